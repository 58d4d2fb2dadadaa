// Untrusted files: thousands of random and mutated IDX and safetensors inputs, as bytes and
// as files on disk, gzip-compressed or not. Whatever the bytes, a reader either returns a
// result that is consistent with itself or throws an Error whose message starts with the
// file's name: no other exception, no hang, and no allocation that the file's size cannot
// justify (a header claiming 2^40 bytes allocates nothing; a gzip bomb is cut off at the
// size its header declares). Seeded: a failure prints the case's seed and mutation.
// WEBGRAD_FUZZ_LONG=1 (npm run fuzz -- --long) runs ten times as many cases. Node only
// (files on disk, zlib).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRng, type Rng } from '../src/data/batches';
import { encodeIdx, parseIdx, parseIdxAuto, type IdxArray } from '../src/data/idx';
import { readIdxFile } from '../src/data/idx-node';
import { decodeSafetensors, encodeSafetensors, type NamedTensor, type SafetensorsContents } from '../src/io/safetensors';
import { loadSafetensors } from '../src/io/safetensors-node';

const LONG = process.env.WEBGRAD_FUZZ_LONG === '1';
const CASES = LONG ? 20_000 : 2_000;
const DISK_CASES = LONG ? 2_000 : 200;
const ASYNC_CASES = LONG ? 2_000 : 200;
/** No input here is over ~70 KB, so any growth of this size is an allocation no file justifies. */
const ALLOCATION_LIMIT = 64 * 1024 * 1024;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'webgrad-untrusted-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

// ---- mutations ----------------------------------------------------------------------

const u32 = (rng: Rng) => rng.nextInt(2 ** 32);
/** Integers a corrupt size field tends to hold: 0, 1, small, powers of two, all ones. */
function nastyU32(rng: Rng): number {
  const pick = [0, 1, 2, 255, 256, 65535, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
  return rng.next() < 0.5 ? pick[rng.nextInt(pick.length)]! : u32(rng);
}

/** One random byte-level mutation; returns the new bytes and what was done. */
function mutateBytes(bytes: Uint8Array, rng: Rng): [Uint8Array, string] {
  const out = Uint8Array.from(bytes);
  const at = (n: number) => rng.nextInt(Math.max(1, n));
  switch (rng.nextInt(7)) {
    case 0: {
      const n = 1 + rng.nextInt(4);
      for (let i = 0; i < n && out.length > 0; i++) out[at(out.length)] = rng.nextInt(256);
      return [out, `flip ${n} bytes`];
    }
    case 1: {
      const len = at(bytes.length);
      return [out.subarray(0, len), `truncate to ${len}`];
    }
    case 2: {
      const extra = Uint8Array.from({ length: 1 + rng.nextInt(64) }, () => rng.nextInt(256));
      const grown = new Uint8Array(out.length + extra.length);
      grown.set(out);
      grown.set(extra, out.length);
      return [grown, `append ${extra.length} bytes`];
    }
    case 3: {
      // Overwrite an aligned 32-bit word in the first 64 bytes (sizes live there) big-endian.
      const pos = 4 * rng.nextInt(Math.max(1, Math.min(16, Math.floor(out.length / 4))));
      if (pos + 4 <= out.length) new DataView(out.buffer).setUint32(pos, nastyU32(rng), false);
      return [out, `u32 at ${pos}`];
    }
    case 4: {
      const pos = at(out.length);
      const cut = 1 + rng.nextInt(8);
      return [Uint8Array.from([...out.subarray(0, pos), ...out.subarray(pos + cut)]), `delete ${cut} at ${pos}`];
    }
    case 5: {
      const pos = at(out.length);
      const ins = Array.from({ length: 1 + rng.nextInt(8) }, () => rng.nextInt(256));
      return [Uint8Array.from([...out.subarray(0, pos), ...ins, ...out.subarray(pos)]), `insert ${ins.length} at ${pos}`];
    }
    default: {
      const len = rng.nextInt(96);
      return [Uint8Array.from({ length: len }, () => rng.nextInt(256)), `random ${len} bytes`];
    }
  }
}

// ---- oracles --------------------------------------------------------------------------

/** Runs one case: it must return (checked by `valid`) or throw an Error naming the file, and
 *  must not grow array-buffer memory by more than any input here can justify. */
async function expectSafe<T>(name: string, label: string, run: () => T | Promise<T>, valid: (r: T) => void): Promise<void> {
  const before = process.memoryUsage().arrayBuffers;
  let result: T | undefined;
  let error: unknown = null;
  try {
    result = await run();
  } catch (e) {
    error = e;
  }
  const grown = process.memoryUsage().arrayBuffers - before;
  if (grown > ALLOCATION_LIMIT) expect.fail(`${label}: array-buffer memory grew by ${grown} bytes`);
  if (error === null) {
    valid(result as T);
    return;
  }
  if (!(error instanceof Error)) expect.fail(`${label}: threw a non-Error ${String(error)}`);
  if (!error.message.startsWith(`${name}: `)) expect.fail(`${label}: error does not start with the file name: ${error.message}`);
  if (error.message.length > 1000) expect.fail(`${label}: a ${error.message.length}-character error message`);
}

function validIdx(r: IdxArray, label: string): void {
  const size = r.dims.reduce((a, b) => a * b, 1);
  if (r.dims.length < 1 || r.data.length !== size) expect.fail(`${label}: accepted dims [${r.dims}] with ${r.data.length} values`);
}

function validSafetensors(r: SafetensorsContents, label: string): void {
  for (const [name, t] of Object.entries(r.tensors)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!(t.data instanceof Float32Array) || t.data.length !== size) expect.fail(`${label}: tensor ${name} [${t.shape}] has ${t.data.length} values`);
  }
  for (const v of Object.values(r.metadata)) if (typeof v !== 'string') expect.fail(`${label}: metadata value ${String(v)}`);
  // What was accepted must survive a round trip unchanged.
  const again = decodeSafetensors(encodeSafetensors(r.tensors, r.metadata), 'round trip');
  expect(Object.keys(again.tensors).sort()).toEqual(Object.keys(r.tensors).sort());
}

// ---- inputs -------------------------------------------------------------------------------

function randomIdx(rng: Rng): Uint8Array {
  const dims = Array.from({ length: 1 + rng.nextInt(3) }, () => rng.nextInt(6));
  const size = dims.reduce((a, b) => a * b, 1);
  return encodeIdx(dims, Uint8Array.from({ length: size }, () => rng.nextInt(256)));
}

/** An IDX input: plain or gzipped, mutated before and/or after compression. */
function idxCase(seed: number): { bytes: Uint8Array; what: string } {
  const rng = createRng(seed);
  let bytes = randomIdx(rng);
  const what: string[] = [];
  if (rng.next() < 0.7) {
    const [b, w] = mutateBytes(bytes, rng);
    bytes = b;
    what.push(w);
  }
  if (rng.next() < 0.4) {
    bytes = gzipSync(bytes);
    what.push('gzip');
    if (rng.next() < 0.5) {
      const [b, w] = mutateBytes(bytes, rng);
      bytes = b;
      what.push(w);
    }
  }
  return { bytes, what: what.join(', ') || 'valid' };
}

const names = ['w', 'layer.0.weight', '__proto__', 'constructor', 'toString', '__metadata__x', '', 'ü', 'x'.repeat(300)];

function randomTensors(rng: Rng): Record<string, NamedTensor> {
  const tensors: Record<string, NamedTensor> = {};
  const n = rng.nextInt(4);
  for (let i = 0; i < n; i++) {
    const shape = Array.from({ length: rng.nextInt(3) }, () => rng.nextInt(4));
    const size = shape.reduce((a, b) => a * b, 1);
    const name = rng.next() < 0.3 ? names[rng.nextInt(names.length)]! : `t${i}`;
    Object.defineProperty(tensors, name, {
      value: { shape, data: Float32Array.from({ length: size }, () => rng.normal()) },
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return tensors;
}

/** Header-level mutations: valid JSON whose fields lie. */
function mutateHeader(header: Record<string, unknown>, rng: Rng): string {
  const keys = Object.keys(header).filter((k) => k !== '__metadata__');
  const lies: unknown[] = [-1, 1.5, 2 ** 53, 2 ** 40, 1e308, '3', null, [], {}, [2 ** 31, 2 ** 31], 'F32'];
  const lie = () => lies[rng.nextInt(lies.length)];
  if (keys.length === 0 || rng.next() < 0.15) {
    header['__metadata__'] = rng.next() < 0.5 ? { k: lie() } : lie();
    return 'metadata';
  }
  const entry = header[keys[rng.nextInt(keys.length)]!] as Record<string, unknown>;
  switch (rng.nextInt(5)) {
    case 0:
      entry.shape = Array.from({ length: 1 + rng.nextInt(3) }, () => (rng.next() < 0.5 ? lie() : 2 ** rng.nextInt(48)));
      return 'shape';
    case 1:
      entry.data_offsets = [rng.next() < 0.5 ? lie() : rng.nextInt(64), rng.next() < 0.5 ? lie() : 2 ** rng.nextInt(48)];
      return 'offsets';
    case 2:
      entry.dtype = ['F16', 'BF16', 'F64', 'I32', 'f32', 7, null][rng.nextInt(7)];
      return 'dtype';
    case 3:
      delete entry[['dtype', 'shape', 'data_offsets'][rng.nextInt(3)]!];
      return 'missing field';
    default:
      header[keys[rng.nextInt(keys.length)]!] = lie();
      return 'entry';
  }
}

/** A safetensors input: valid, byte-mutated, a lying header, or a huge length field. */
function safetensorsCase(seed: number): { bytes: Uint8Array; what: string } {
  const rng = createRng(seed);
  const meta = rng.next() < 0.3 ? { epoch: '3', __proto__x: 'y' } : undefined;
  const valid = encodeSafetensors(randomTensors(rng), meta);
  const kind = rng.nextInt(4);
  if (kind === 0) return { bytes: valid, what: 'valid' };
  if (kind === 1) {
    const [b, w] = mutateBytes(valid, rng);
    return { bytes: b, what: w };
  }
  const headerLen = Number(new DataView(valid.buffer).getBigUint64(0, true));
  if (kind === 2) {
    const header = JSON.parse(new TextDecoder().decode(valid.subarray(8, 8 + headerLen))) as Record<string, unknown>;
    const what = mutateHeader(header, rng);
    const json = new TextEncoder().encode(JSON.stringify(header));
    const data = valid.subarray(8 + headerLen);
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return { bytes: out, what: `header ${what}` };
  }
  const out = Uint8Array.from(valid);
  const claims = [2n ** 40n, 2n ** 64n - 1n, BigInt(valid.length), 99_999_999n, 0n];
  const claim = claims[rng.nextInt(claims.length)]!;
  new DataView(out.buffer).setBigUint64(0, claim, true);
  return { bytes: out, what: `length field ${claim}` };
}

// ---- tests ------------------------------------------------------------------------------------

describe('untrusted IDX files', () => {
  it(`${CASES} random and mutated IDX byte strings: a consistent result or an error naming the file`, async () => {
    const outcomes = { ok: 0, failed: 0 };
    for (let seed = 1; seed <= CASES; seed++) {
      const { bytes, what } = idxCase(seed);
      const label = `IDX seed ${seed} (${what})`;
      // Gzipped input goes through the Node reader's decompression on disk below; here the
      // pure parser must refuse it by name, and plain input must parse or fail by name.
      await expectSafe(`case-${seed}.idx`, label, () => parseIdx(bytes, `case-${seed}.idx`), (r) => validIdx(r, label));
      try {
        parseIdx(bytes, 'x');
        outcomes.ok++;
      } catch {
        outcomes.failed++;
      }
    }
    // The mix must exercise both sides of the oracle.
    expect(outcomes.ok).toBeGreaterThan(CASES / 10);
    expect(outcomes.failed).toBeGreaterThan(CASES / 10);
  });

  it(`${DISK_CASES} mutated IDX files on disk (readIdxFile, gzip or not)`, async () => {
    for (let seed = 1; seed <= DISK_CASES; seed++) {
      const { bytes, what } = idxCase(100_000 + seed);
      const path = join(tmp, `case-${seed}-idx1-ubyte${what.includes('gzip') ? '.gz' : ''}`);
      writeFileSync(path, bytes);
      const label = `IDX file seed ${100_000 + seed} (${what})`;
      await expectSafe(path, label, () => readIdxFile(path), (r) => validIdx(r, label));
    }
  });

  it(`${ASYNC_CASES} mutated gzip IDX inputs through parseIdxAuto (DecompressionStream, the browser's path)`, async () => {
    for (let seed = 1; seed <= ASYNC_CASES; seed++) {
      const { bytes, what } = idxCase(200_000 + seed);
      const label = `parseIdxAuto seed ${200_000 + seed} (${what})`;
      await expectSafe('auto.gz', label, () => parseIdxAuto(bytes, 'auto.gz'), (r) => validIdx(r, label));
    }
  });

  // The header first: [2^20, 2^20] is 2^40 bytes; a 29-byte gzip file cannot hold that.
  const hugeHeader = () => {
    const h = new Uint8Array(12);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x0802);
    v.setUint32(4, 2 ** 20);
    v.setUint32(8, 2 ** 20);
    return h;
  };

  it('a header claiming 2^40 bytes allocates nothing, plain or gzipped', async () => {
    const plain = hugeHeader();
    const path = join(tmp, 'huge-idx3-ubyte.gz');
    writeFileSync(path, gzipSync(plain));
    const before = process.memoryUsage().arrayBuffers;
    expect(() => parseIdx(plain, 'huge')).toThrow(/^huge: IDX file truncated: dims \[1048576, 1048576\] need 1099511627788 bytes, got 12$/);
    expect(() => readIdxFile(path)).toThrow(`${path}: IDX header declares dims [1048576, 1048576] (1099511627788 bytes), more than a`);
    await expect(parseIdxAuto(gzipSync(plain), 'huge.gz')).rejects.toThrow(/^huge\.gz: IDX header declares .* more than a \d+-byte gzip file can hold/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  it('a gzip bomb (a 10-byte IDX followed by 100 MB of zeros in 100 KB) is cut off at the declared size', async () => {
    // Concatenated gzip members decompress as one stream: cheap to build, 1000x expansion.
    const zeros = gzipSync(new Uint8Array(1 << 20));
    const bomb = Buffer.concat([gzipSync(encodeIdx([10], new Uint8Array(10))), ...Array.from({ length: 100 }, () => zeros)]);
    const path = join(tmp, 'bomb-idx1-ubyte.gz');
    writeFileSync(path, bomb);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readIdxFile(path)).toThrow(`${path}: gzip data decompresses to more than the 18 bytes its IDX header declares`);
    await expect(parseIdxAuto(bomb, 'bomb.gz')).rejects.toThrow(/^bomb\.gz: gzip data decompresses to more than the 18 bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('a valid gzip file still reads in full (the bounds are not off by one)', async () => {
    const bytes = encodeIdx([3, 5, 7], Uint8Array.from({ length: 105 }, (_, i) => i));
    const path = join(tmp, 'ok-idx3-ubyte.gz');
    writeFileSync(path, gzipSync(bytes));
    expect(Array.from(readIdxFile(path).data)).toEqual(Array.from(bytes.subarray(16)));
    expect(Array.from((await parseIdxAuto(gzipSync(bytes), 'ok.gz')).data)).toEqual(Array.from(bytes.subarray(16)));
    const cut = gzipSync(bytes).subarray(0, 30);
    writeFileSync(path, cut);
    expect(() => readIdxFile(path)).toThrow(`${path}: gzip decompression failed`);
  });
});

describe('untrusted safetensors files', () => {
  it(`${CASES} random, mutated and lying safetensors inputs: a consistent result or an error naming the file`, async () => {
    const outcomes = { ok: 0, failed: 0 };
    for (let seed = 1; seed <= CASES; seed++) {
      const { bytes, what } = safetensorsCase(seed);
      const label = `safetensors seed ${seed} (${what})`;
      await expectSafe('model.safetensors', label, () => decodeSafetensors(bytes, 'model.safetensors'), (r) => validSafetensors(r, label));
      try {
        decodeSafetensors(bytes, 'x');
        outcomes.ok++;
      } catch {
        outcomes.failed++;
      }
    }
    expect(outcomes.ok).toBeGreaterThan(CASES / 10);
    expect(outcomes.failed).toBeGreaterThan(CASES / 10);
  });

  it(`${DISK_CASES} mutated safetensors files on disk (loadSafetensors)`, async () => {
    for (let seed = 1; seed <= DISK_CASES; seed++) {
      const { bytes, what } = safetensorsCase(300_000 + seed);
      const path = join(tmp, `case-${seed}.safetensors`);
      writeFileSync(path, bytes);
      const label = `safetensors file seed ${300_000 + seed} (${what})`;
      await expectSafe(path, label, () => loadSafetensors(path), (r) => validSafetensors(r, label));
    }
  });

  it('tensors named __proto__ or constructor are kept as tensors, not lost to the prototype', () => {
    const tensors: Record<string, NamedTensor> = {};
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
      Object.defineProperty(tensors, name, { value: { shape: [1], data: Float32Array.of(7) }, enumerable: true });
    }
    const decoded = decodeSafetensors(encodeSafetensors(tensors), 'p.st').tensors;
    expect(Object.keys(decoded).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    expect(Array.from(Object.getOwnPropertyDescriptor(decoded, '__proto__')!.value.data)).toEqual([7]);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });

  it('a header length of 2^40 or a shape of 2^40 elements allocates nothing', () => {
    const valid = encodeSafetensors({ w: { shape: [2], data: Float32Array.of(1, 2) } });
    const lying = Uint8Array.from(valid);
    new DataView(lying.buffer).setBigUint64(0, 2n ** 40n, true);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeSafetensors(lying, 'len.st')).toThrow(/^len\.st: header length 1099511627776 goes beyond the end of the file/);
    const header = JSON.stringify({ w: { dtype: 'F32', shape: [2 ** 20, 2 ** 18], data_offsets: [0, 2 ** 40] } });
    const json = new TextEncoder().encode(header);
    const big = new Uint8Array(8 + json.length);
    new DataView(big.buffer).setBigUint64(0, BigInt(json.length), true);
    big.set(json, 8);
    expect(() => decodeSafetensors(big, 'shape.st')).toThrow(/^shape\.st: tensor "w": data_offsets \[0, 1099511627776\] go beyond the 0 data bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  it('error messages quote at most a short part of a huge name or value', () => {
    const name = 'n'.repeat(100_000);
    const header = JSON.stringify({ [name]: { dtype: 'X'.repeat(100_000), shape: [1], data_offsets: [0, 4] } });
    const json = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + json.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    let message = '';
    try {
      decodeSafetensors(bytes, 'long.st');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^long\.st: tensor "n{79}\.\.\. \(100002 characters\) has dtype "X{79}\.\.\. \(100002 characters\); only F32/);
  });
});
