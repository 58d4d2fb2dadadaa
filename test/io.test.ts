// Tests for src/io: safetensors encoding and decoding (round trips, the reference
// implementation's own byte vector, a layout built by hand here), every validation
// error, and atomic save / load on disk.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../src/io/safetensors';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors-node';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'webgrad-io-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const enc = new TextEncoder();

// Assembles a safetensors file from a header object (or raw header text) and data
// bytes, padding the header with spaces to 8 bytes as writers do.
function build(header: object | string, data: Uint8Array, pad = true): Uint8Array {
  let json = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (pad && json.length % 8 !== 0) {
    const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

function expectThrow(fn: () => unknown, ...parts: string[]): void {
  let error: Error | undefined;
  try {
    fn();
  } catch (e) {
    error = e as Error;
  }
  expect(error, 'expected an error').toBeInstanceOf(Error);
  for (const p of parts) expect(error!.message).toContain(p);
}

const sample: Record<string, NamedTensor> = {
  'layer1.weight': { shape: [3, 2], data: Float32Array.of(1, -2, 3.5, 0, -0, 1e-30) },
  'layer1.bias': { shape: [3], data: Float32Array.of(0.1, 0.2, 0.3) },
  scalar: { shape: [], data: Float32Array.of(Math.PI) },
  empty: { shape: [0, 4], data: new Float32Array(0) },
};

describe('safetensors encode/decode', () => {
  it('round-trips shapes, values and metadata', () => {
    const bytes = encodeSafetensors(sample, { format: 'pt', epoch: '3' });
    const { tensors, metadata } = decodeSafetensors(bytes, 'model.safetensors');
    expect(metadata).toEqual({ format: 'pt', epoch: '3' });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(sample).sort());
    for (const [name, t] of Object.entries(sample)) {
      expect(tensors[name].shape).toEqual(t.shape);
      expect(tensors[name].data).toBeInstanceOf(Float32Array);
      expect(Array.from(tensors[name].data)).toEqual(Array.from(t.data));
    }
    expect(Object.is(tensors['layer1.weight'].data[4], -0)).toBe(true);
  });

  it('re-encodes decoded tensors to the identical bytes, NaN payloads included', () => {
    const weird = new Float32Array(3);
    new Uint32Array(weird.buffer).set([0x7fc00001, 0xff800000, 0x00000001]); // NaN payload, -inf, denormal
    const tensors = { ...sample, weird: { shape: [3], data: weird } };
    const bytes = encodeSafetensors(tensors, { a: 'b' });
    const back = decodeSafetensors(bytes, 'x');
    const again = encodeSafetensors(back.tensors, back.metadata);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    expect(Array.from(new Uint32Array(back.tensors.weird.data.buffer))).toEqual([0x7fc00001, 0xff800000, 1]);
    // an ArrayBuffer (what fetch() gives) decodes the same
    const fromBuffer = decodeSafetensors(bytes.slice().buffer, 'x');
    expect(Buffer.from(encodeSafetensors(fromBuffer.tensors, fromBuffer.metadata)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('is deterministic: key order does not change the bytes', () => {
    const reversed = Object.fromEntries(Object.entries(sample).reverse());
    expect(Buffer.from(encodeSafetensors(reversed)).equals(Buffer.from(encodeSafetensors(sample)))).toBe(true);
  });

  it('pads the header with spaces so the data starts 8-byte aligned', () => {
    const bytes = encodeSafetensors({ a: { shape: [1], data: Float32Array.of(1) } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toMatch(/^\{"a":\{"dtype":"F32","shape":\[1\],"data_offsets":\[0,4\]\}\} *$/);
    expect(text.length - text.trimEnd().length).toBe(n - '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'.length);
    expect(bytes.length).toBe(8 + n + 4);
  });

  it('matches the byte vector from the reference implementation', () => {
    // huggingface/safetensors, safetensors/src/tensor.rs, test_serialization:
    // "attn.0" of shape [1, 2, 3] holding 0..5; the 64-byte header needs no padding.
    const expected = [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101,
      34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34,
      100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0,
      0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ];
    const out = encodeSafetensors({ 'attn.0': { shape: [1, 2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) } });
    expect(Array.from(out)).toEqual(expected);
    const { tensors, metadata } = decodeSafetensors(Uint8Array.from(expected), 'reference');
    expect(tensors['attn.0'].shape).toEqual([1, 2, 3]);
    expect(Array.from(tensors['attn.0'].data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(metadata).toEqual({});
  });

  it('decodes a hand-built layout with metadata, padding and out-of-order offsets', () => {
    // Written the way another tool might: metadata last, tensors not in offset order.
    const header = {
      b: { dtype: 'F32', shape: [2, 2], data_offsets: [8, 24] },
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      __metadata__: { framework: 'hand' },
    };
    const bytes = build(header, f32Bytes([1.5, -2, 10, 20, 30, 40]));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(n).toBeGreaterThan(JSON.stringify(header).length); // really padded
    const { tensors, metadata } = decodeSafetensors(bytes, 'hand.safetensors');
    expect(metadata).toEqual({ framework: 'hand' });
    expect(tensors.a).toEqual({ shape: [2], data: Float32Array.of(1.5, -2) });
    expect(tensors.b).toEqual({ shape: [2, 2], data: Float32Array.of(10, 20, 30, 40) });
  });

  it('decodes from a subarray of a larger buffer at an odd offset', () => {
    const bytes = encodeSafetensors(sample);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 1);
    const { tensors } = decodeSafetensors(big.subarray(1, 1 + bytes.length), 'slice');
    expect(Array.from(tensors['layer1.bias'].data)).toEqual(Array.from(sample['layer1.bias'].data));
  });
});

describe('safetensors validation errors name the file and the problem', () => {
  const one = (entry: object, data = f32Bytes([1, 2])) => build({ t: entry }, data);
  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

  it('too short for the length field', () => {
    expectThrow(() => decodeSafetensors(new Uint8Array(5), 'short.st'), 'short.st', '5 bytes', 'needs 8');
  });

  it('header length beyond the end of the file', () => {
    const bytes = one(ok);
    new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
    expectThrow(() => decodeSafetensors(bytes, 'f.st'), 'f.st', 'header length 1000 goes beyond the end of the file');
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
    expectThrow(() => decodeSafetensors(bytes, 'f.st'), 'goes beyond the end');
  });

  it('bad JSON, non-UTF-8 and non-object headers', () => {
    expectThrow(() => decodeSafetensors(build('{"t": {', new Uint8Array(0)), 'j.st'), 'j.st', 'not valid UTF-8 JSON');
    const bytes = build('{"t":1}', new Uint8Array(0));
    bytes[10] = 0xff;
    expectThrow(() => decodeSafetensors(bytes, 'u.st'), 'u.st', 'not valid UTF-8 JSON');
    expectThrow(() => decodeSafetensors(build('[1, 2]', new Uint8Array(0)), 'a.st'), 'a.st', 'header JSON must be an object');
    expectThrow(() => decodeSafetensors(build({ t: 5 }, new Uint8Array(0)), 'e.st'), 'tensor "t"', 'must be an object');
  });

  it('dtypes other than F32, saying which', () => {
    expectThrow(
      () => decodeSafetensors(one({ dtype: 'F16', shape: [2], data_offsets: [0, 4] }, new Uint8Array(4)), 'half.st'),
      'half.st',
      'tensor "t" has dtype "F16"',
      'only F32',
    );
    expectThrow(() => decodeSafetensors(one({ shape: [2], data_offsets: [0, 8] }), 'n.st'), 'has dtype undefined');
  });

  it('bad shapes and offsets', () => {
    expectThrow(() => decodeSafetensors(one({ ...ok, shape: [2.5] }), 's.st'), 's.st', 'tensor "t"', 'non-negative integers');
    expectThrow(() => decodeSafetensors(one({ ...ok, shape: 'x' }), 's.st'), 'shape must be an array');
    expectThrow(() => decodeSafetensors(one({ ...ok, data_offsets: [0] }), 'o.st'), 'o.st', 'data_offsets must be [begin, end]');
    expectThrow(() => decodeSafetensors(one({ ...ok, data_offsets: [8, 0] }), 'o.st'), 'begin after end');
  });

  it('offsets beyond the data', () => {
    expectThrow(
      () => decodeSafetensors(one({ ...ok, data_offsets: [0, 12], shape: [3] }), 'big.st'),
      'big.st',
      'data_offsets [0, 12] go beyond the 8 data bytes',
    );
  });

  it('offsets that do not match shape * 4', () => {
    expectThrow(
      () => decodeSafetensors(one({ ...ok, shape: [3] }), 'm.st'),
      'm.st',
      'shape [3] needs 12 bytes of F32 but data_offsets [0, 8] span 8',
    );
  });

  it('overlapping tensors, gaps and leftover data', () => {
    const overlap = build(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      new Uint8Array(12),
    );
    expectThrow(() => decodeSafetensors(overlap, 'ov.st'), 'ov.st', '"a" [0, 8] and "b" [4, 12] overlap');
    const gap = build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
    expectThrow(() => decodeSafetensors(gap, 'gap.st'), 'gap.st', 'no tensor covers bytes [0, 4)');
    const extra = one(ok, new Uint8Array(12));
    expectThrow(() => decodeSafetensors(extra, 'x.st'), 'x.st', 'tensors cover 8 bytes but the file has 12 data bytes');
  });

  it('non-string metadata', () => {
    const bytes = build({ __metadata__: { epoch: 3 } }, new Uint8Array(0));
    expectThrow(() => decodeSafetensors(bytes, 'meta.st'), 'meta.st', '"__metadata__" value for "epoch" must be a string');
    expectThrow(() => decodeSafetensors(build({ __metadata__: [] }, new Uint8Array(0)), 'm2.st'), 'must be an object of strings');
  });

  it('encode rejects inconsistent tensors', () => {
    expectThrow(
      () => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }),
      'tensor "w" has shape [2, 2] (4 values) but 3 values',
    );
    expectThrow(() => encodeSafetensors({ w: { shape: [-1], data: new Float32Array(0) } }), 'non-negative integers');
    expectThrow(
      () => encodeSafetensors({ w: { shape: [1], data: [1] as unknown as Float32Array } }),
      'data must be a Float32Array',
    );
    expectThrow(
      () => encodeSafetensors({ __metadata__: { shape: [0], data: new Float32Array(0) } }),
      '"__metadata__" is reserved',
    );
    expectThrow(
      () => encodeSafetensors({}, { n: 1 as unknown as string }),
      'metadata value for "n" must be a string',
    );
  });
});

describe('saveSafetensors / loadSafetensors', () => {
  it('writes exactly the encoded bytes and reads them back', () => {
    const path = join(tmp, 'model.safetensors');
    saveSafetensors(path, sample, { note: 'round trip' });
    const onDisk = readFileSync(path);
    expect(onDisk.equals(Buffer.from(encodeSafetensors(sample, { note: 'round trip' })))).toBe(true);
    const { tensors, metadata } = loadSafetensors(path);
    expect(metadata).toEqual({ note: 'round trip' });
    expect(Array.from(tensors['layer1.weight'].data)).toEqual(Array.from(sample['layer1.weight'].data));
    // Saving again replaces the file in place.
    saveSafetensors(path, { only: { shape: [1], data: Float32Array.of(7) } });
    expect(Object.keys(loadSafetensors(path).tensors)).toEqual(['only']);
  });

  it('leaves a good file untouched when encoding fails', () => {
    const dir = join(tmp, 'keep');
    mkdirSync(dir);
    const path = join(dir, 'good.safetensors');
    saveSafetensors(path, sample);
    const before = readFileSync(path);
    expect(() => saveSafetensors(path, { bad: { shape: [5], data: new Float32Array(2) } })).toThrow(/has shape \[5\]/);
    expect(() => saveSafetensors(path, { bad: { shape: 4 as never, data: new Float32Array(4) } })).toThrow(/tensor "bad": shape must be an array of dimensions, got 4/);
    expect(() => saveSafetensors(path, { bad: null as never })).toThrow(/tensor "bad" must be \{ shape, data \}, got null/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['good.safetensors']);
  });

  it('cleans up its temp file and names the path when the rename fails', () => {
    const dir = join(tmp, 'rename');
    mkdirSync(join(dir, 'occupied.safetensors'), { recursive: true }); // a directory where the file should go
    const path = join(dir, 'occupied.safetensors');
    expectThrow(() => saveSafetensors(path, sample), path, 'cannot save safetensors');
    expect(readdirSync(dir)).toEqual(['occupied.safetensors']);
  });

  it('names the path when a file is missing or corrupt', () => {
    const missing = join(tmp, 'missing.safetensors');
    expectThrow(() => loadSafetensors(missing), missing, 'cannot read safetensors file');
    const corrupt = join(tmp, 'corrupt.safetensors');
    writeFileSync(corrupt, encodeSafetensors(sample).subarray(0, 100));
    expectThrow(() => loadSafetensors(corrupt), corrupt);
  });
});
