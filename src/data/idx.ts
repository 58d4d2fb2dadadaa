// IDX, the file format of MNIST and Fashion-MNIST, parsed from bytes.
//
// Layout (all integers big-endian): two zero bytes, a type byte, a byte giving the number
// of dimensions d, then d u32 sizes, then the values in row-major order. MNIST images
// are magic 0x00000803 (u8, 3 dims: count, rows, cols) and labels 0x00000801 (u8,
// 1 dim: count). Only the u8 type (0x08) is read because every MNIST-format dataset
// uses it; other types are rejected by name rather than misread.
//
// This file has no Node dependency so the browser can parse IDX bytes it fetched;
// the file-system side lives in idx-node.ts.

/** A parsed IDX file: its dimensions and its raw u8 values (row-major). */
export interface IdxArray {
  /** The sizes, e.g. [count, rows, cols] for images. */
  dims: number[];
  /** The values, row-major. */
  data: Uint8Array;
}

// The names IDX gives its type byte, used only to say what we refused.
const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short (i16)',
  0x0c: 'int (i32)',
  0x0d: 'float (f32)',
  0x0e: 'double (f64)',
};

const UBYTE = 0x08;

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses an uncompressed IDX file of unsigned bytes. `name` (usually the file path)
 * is put in every error so the user knows which file is bad.
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (isGzip(bytes)) {
    // Decompression is platform-specific (zlib in Node, DecompressionStream in the
    // browser), so the caller must do it; see readIdxFile and parseIdxAuto.
    throw new Error(`${name}: IDX data is gzip-compressed; decompress it before parsing`);
  }
  if (bytes.length < 4) {
    throw new Error(`${name}: not an IDX file (only ${bytes.length} bytes, the magic number needs 4)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${name}: not an IDX file (magic number 0x${hex8(magic)} must start with two zero bytes)`);
  }
  const type = bytes[2];
  if (type !== UBYTE) {
    const what = IDX_TYPES[type] ?? 'unknown type';
    throw new Error(
      `${name}: IDX type byte 0x${type.toString(16).padStart(2, '0')} (${what}) is not supported; only 0x08 (unsigned byte) is`,
    );
  }
  const ndims = bytes[3];
  if (ndims === 0) {
    throw new Error(`${name}: IDX magic number 0x${hex8(magic)} declares 0 dimensions`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${name}: truncated IDX header: ${ndims} dimensions need ${headerBytes} header bytes, file has ${bytes.length}`,
    );
  }
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  const expected = headerBytes + size;
  if (bytes.length !== expected) {
    const problem = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new Error(
      `${name}: IDX file ${problem}: dims [${dims.join(', ')}] need ${expected} bytes, got ${bytes.length}`,
    );
  }
  // subarray, not a copy: the caller usually converts to floats right away.
  return { dims, data: bytes.subarray(headerBytes, expected) };
}

/**
 * Like parseIdx but accepts gzip-compressed bytes too, decompressing with the
 * web-standard DecompressionStream (present in browsers and Node >= 18).
 */
export async function parseIdxAuto(bytes: Uint8Array, name: string): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, name);
  let raw: Uint8Array;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    raw = new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${name}: gzip decompression failed: ${(e as Error).message}`);
  }
  return parseIdx(raw, name);
}

/** Encodes u8 values as an IDX file: the inverse of parseIdx, used by tests and tools. */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  if (dims.length === 0 || dims.length > 255) {
    throw new Error(`encodeIdx: need 1..255 dimensions, got ${dims.length}`);
  }
  if (data.length !== size) {
    throw new Error(`encodeIdx: dims [${dims.join(', ')}] hold ${size} values, data has ${data.length}`);
  }
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
