// Model weights in the safetensors format, which PyTorch, Hugging Face and JAX tools
// read and write (https://github.com/huggingface/safetensors).
//
// Layout:
//   8 bytes   N, the header length, unsigned 64-bit little-endian
//   N bytes   UTF-8 JSON: {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
//             ..., "__metadata__": {"<key>": "<string value>"}}, padded with spaces
//   rest      the tensor bytes, little-endian; offsets are relative to the start of this part
//
// webgrad computes in f32, so only F32 is read or written; other dtypes are rejected by
// name. Decoding follows the reference implementation's rules (tensors tile the data
// part exactly: no overlap, no gaps, nothing left over), so a file we accept is one
// the Python library accepts too. Pure: Node file handling is in safetensors-node.ts.

/** A named f32 tensor: row-major values and their shape. */
export interface NamedTensor {
  /** The dimensions, e.g. [out, in] for a weight. */
  shape: number[];
  /** The values, row-major. */
  data: Float32Array;
}

/** What decodeSafetensors returns: the tensors and the free-form string metadata. */
export interface SafetensorsContents {
  /** The tensors by name ('0.weight', ...). */
  tensors: Record<string, NamedTensor>;
  /** The file's `__metadata__` strings. */
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
// The reference implementation refuses headers over 100 MB; a larger length field is
// almost certainly a file that is not safetensors at all.
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Encodes tensors (and optional string metadata) as safetensors bytes. Tensors are
 * written sorted by name, as the reference implementation does for a single dtype,
 * so the same tensors always give the same bytes.
 */
export function encodeSafetensors(
  tensors: Record<string, NamedTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (tensors === null || typeof tensors !== 'object') throw new Error(`encodeSafetensors: tensors must be an object of name -> { shape, data }, got ${String(tensors)}`);
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new Error(`encodeSafetensors: metadata value for "${k}" must be a string, got ${typeof v}`);
      }
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) {
      throw new Error(`encodeSafetensors: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    }
    const entry = tensors[name];
    if (entry === null || typeof entry !== 'object') throw new Error(`encodeSafetensors: tensor "${name}" must be { shape, data }, got ${String(entry)}`);
    const { shape, data } = entry;
    const count = elementCount(shape, `encodeSafetensors: tensor "${name}"`);
    if (!(data instanceof Float32Array)) {
      throw new Error(`encodeSafetensors: tensor "${name}" data must be a Float32Array`);
    }
    if (data.length !== count) {
      throw new Error(
        `encodeSafetensors: tensor "${name}" has shape [${shape.join(', ')}] (${count} values) but ${data.length} values`,
      );
    }
    setOwn(header, name, { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + 4 * count] });
    offset += 4 * count;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data part starts 8-byte aligned, which lets readers map
  // tensors in place without copying.
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const name of names) {
    const { data } = tensors[name];
    writeF32LE(view, pos, data);
    pos += 4 * data.length;
  }
  return out;
}

/**
 * Decodes safetensors bytes. `fileName` is put in every error message. Tensor data is
 * copied, so the result does not keep `bytes` alive or alias it.
 */
export function decodeSafetensors(data: Uint8Array | ArrayBuffer, fileName: string): SafetensorsContents {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data; // fetch() gives ArrayBuffers
  // A declared function (not an arrow in a const) so TypeScript narrows after calls.
  function fail(msg: string): never {
    throw new Error(`${fileName}: ${msg}`);
  }
  if (bytes.length < 8) {
    fail(`not a safetensors file: ${bytes.length} bytes, the header length alone needs 8`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    fail(`header length ${n} goes beyond the end of the file (${bytes.length - 8} bytes after the length field)`);
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerLen = Number(n);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('header JSON must be an object');
  }
  const entries = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const rawMeta = entries[METADATA_KEY];
  if (rawMeta !== undefined) {
    if (typeof rawMeta !== 'object' || rawMeta === null || Array.isArray(rawMeta)) {
      fail(`"${METADATA_KEY}" must be an object of strings`);
    }
    for (const [k, v] of Object.entries(rawMeta as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`"${METADATA_KEY}" value for ${quote(k)} must be a string, got ${clip(JSON.stringify(v))}`);
      setOwn(metadata, k, v as string);
    }
  }

  // First pass: check each entry on its own and collect its byte range.
  const ranges: { name: string; begin: number; end: number; shape: number[] }[] = [];
  for (const [name, info] of Object.entries(entries)) {
    if (name === METADATA_KEY) continue;
    const where = `tensor ${quote(name)}`;
    if (typeof info !== 'object' || info === null || Array.isArray(info)) {
      fail(`${where}: header entry must be an object with dtype, shape and data_offsets`);
    }
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (dtype !== 'F32') {
      fail(`${where} has dtype ${clip(String(JSON.stringify(dtype)))}; only F32 is supported (convert the weights to float32)`);
    }
    if (!Array.isArray(shape)) fail(`${where}: shape must be an array of non-negative integers`);
    const count = elementCount(shape as number[], `${fileName}: ${where}`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`${where}: data_offsets must be [begin, end] with non-negative integers, got ${clip(String(JSON.stringify(offsets)))}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`${where}: data_offsets [${begin}, ${end}] has begin after end`);
    if (end > dataLen) {
      fail(`${where}: data_offsets [${begin}, ${end}] go beyond the ${dataLen} data bytes`);
    }
    if (end - begin !== 4 * count) {
      fail(
        `${where}: shape ${clip(`[${(shape as number[]).join(', ')}]`)} needs ${4 * count} bytes of F32 but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    ranges.push({ name, begin, end, shape: [...(shape as number[])] });
  }

  // Second pass: the ranges must tile the data part exactly, as the reference checks.
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    if (r.begin < expected) {
      const prev = ranges[i - 1];
      fail(`tensors ${quote(prev.name)} [${prev.begin}, ${prev.end}] and ${quote(r.name)} [${r.begin}, ${r.end}] overlap`);
    }
    if (r.begin > expected) {
      fail(`gap in the data: no tensor covers bytes [${expected}, ${r.begin}) (before tensor ${quote(r.name)})`);
    }
    expected = r.end;
  }
  if (expected !== dataLen) {
    fail(`data length mismatch: tensors cover ${expected} bytes but the file has ${dataLen} data bytes`);
  }

  const tensors: Record<string, NamedTensor> = {};
  for (const r of ranges) {
    setOwn(tensors, r.name, { shape: r.shape, data: readF32LE(view, dataStart + r.begin, (r.end - r.begin) / 4) });
  }
  return { tensors, metadata };
}

// Product of the dimensions, checking each is a non-negative integer. [] is a scalar.
function elementCount(shape: number[], where: string): number {
  if (!Array.isArray(shape)) throw new Error(`${where}: shape must be an array of dimensions, got ${String(shape)}`);
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new Error(`${where}: shape ${clip(`[${shape.join(', ')}]`)} must contain non-negative integers`);
    }
    count *= d;
  }
  return count;
}

// Names and values from an untrusted header go into error messages: quoted, and cut short
// so that a 100 MB name does not become a 100 MB message.
function clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

function quote(name: string): string {
  return clip(JSON.stringify(name));
}

// A key from the file may be "__proto__": plain assignment would set the object's prototype
// instead of adding the entry.
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

// The file is little-endian. On little-endian hosts (every WebGPU platform in
// practice) the bytes are copied as they are, which is fast and keeps NaN payloads
// bit-exact; elsewhere a DataView swaps each value.
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function writeF32LE(view: DataView, pos: number, data: Float32Array): void {
  if (HOST_LITTLE_ENDIAN) {
    new Uint8Array(view.buffer, view.byteOffset + pos, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return;
  }
  for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i], true);
}

function readF32LE(view: DataView, pos: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (HOST_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(new Uint8Array(view.buffer, view.byteOffset + pos, 4 * count));
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(pos + 4 * i, true);
  return out;
}
