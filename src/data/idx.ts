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

/** What an IDX header declares: the dimensions, the header's length and the whole file's. */
export interface IdxHeader {
  dims: number[];
  headerBytes: number;
  /** headerBytes + the product of dims (may exceed 2^53 for a corrupt header: then inexact,
   *  but still far beyond any real file). */
  totalBytes: number;
}

/** zlib's documented limit: deflate expands its input at most 1032 times, so a gzip file of
 *  n bytes holds at most 1032·n bytes. A header claiming more is refused before anything
 *  is decompressed or allocated. */
export const GZIP_MAX_RATIO = 1032;

/**
 * Reads the IDX header at the start of `bytes` (all of the file, or only its start): null when
 * `bytes` is too short to hold the whole header. Throws, naming `name`, when what is there is
 * not an IDX header of unsigned bytes. Allocates nothing the header declares.
 */
export function readIdxHeader(bytes: Uint8Array, name: string): IdxHeader | null {
  if (bytes.length < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${name}: not an IDX file (magic number 0x${hex8(magic)} must start with two zero bytes)`);
  }
  const type = bytes[2]!;
  if (type !== UBYTE) {
    const what = IDX_TYPES[type] ?? 'unknown type';
    throw new Error(
      `${name}: IDX type byte 0x${type.toString(16).padStart(2, '0')} (${what}) is not supported; only 0x08 (unsigned byte) is`,
    );
  }
  const ndims = bytes[3]!;
  if (ndims === 0) {
    throw new Error(`${name}: IDX magic number 0x${hex8(magic)} declares 0 dimensions`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) return null;
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  return { dims, headerBytes, totalBytes: headerBytes + size };
}

/**
 * Parses an uncompressed IDX file of unsigned bytes. `name` (usually the file path)
 * is put in every error so the user knows which file is bad.
 */
export function parseIdx(data: Uint8Array | ArrayBuffer, name: string): IdxArray {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data; // fetch() gives ArrayBuffers
  if (isGzip(bytes)) {
    // Decompression is platform-specific (zlib in Node, DecompressionStream in the
    // browser), so the caller must do it; see readIdxFile and parseIdxAuto.
    throw new Error(`${name}: IDX data is gzip-compressed; decompress it before parsing`);
  }
  if (bytes.length < 4) {
    throw new Error(`${name}: not an IDX file (only ${bytes.length} bytes, the magic number needs 4)`);
  }
  const header = readIdxHeader(bytes, name);
  if (!header) {
    const ndims = bytes[3]!;
    throw new Error(
      `${name}: truncated IDX header: ${ndims} dimensions need ${4 + 4 * ndims} header bytes, file has ${bytes.length}`,
    );
  }
  const { dims, headerBytes, totalBytes: expected } = header;
  if (bytes.length !== expected) {
    const problem = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new Error(
      `${name}: IDX file ${problem}: dims [${dims.join(', ')}] need ${expected} bytes, got ${bytes.length}`,
    );
  }
  // subarray, not a copy: the caller usually converts to floats right away.
  return { dims, data: bytes.subarray(headerBytes, expected) };
}

/** Throws unless a gzip file of `compressedBytes` bytes can hold what `header` declares. */
export function checkGzipCanHold(header: IdxHeader, compressedBytes: number, name: string): void {
  if (header.totalBytes > GZIP_MAX_RATIO * compressedBytes) {
    throw new Error(
      `${name}: IDX header declares dims [${header.dims.join(', ')}] (${header.totalBytes} bytes), more than a ` +
        `${compressedBytes}-byte gzip file can hold (at most ${GZIP_MAX_RATIO}x); the file is corrupt`,
    );
  }
}

/**
 * Like parseIdx but accepts gzip-compressed bytes too, decompressing with the
 * web-standard DecompressionStream (present in browsers and Node >= 18). The output is read
 * chunk by chunk: the header is checked first, and nothing past the size it declares is
 * kept, so a corrupt header or a gzip bomb costs no more memory than a valid file would.
 */
export async function parseIdxAuto(bytes: Uint8Array, name: string): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, name);
  let raw: Uint8Array;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    reader = stream.getReader();
    raw = await readBounded(reader, bytes.length, name);
  } catch (e) {
    const msg = (e as Error).message;
    // Errors from our own checks already name the file; the stream's do not.
    throw new Error(msg.startsWith(`${name}: `) ? msg : `${name}: gzip decompression failed: ${msg}`);
  } finally {
    reader?.cancel().catch(() => {});
  }
  return parseIdx(raw, name);
}

// Reads the decompressed stream until the IDX header is complete, checks it, then keeps
// reading into one buffer of the declared size; more data than that is an error at once.
async function readBounded(reader: ReadableStreamDefaultReader<Uint8Array>, compressedBytes: number, name: string): Promise<Uint8Array> {
  let head = new Uint8Array(0); // the bytes before the header is complete (at most 1024 + 4)
  let out: Uint8Array | null = null;
  let filled = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out ? out.subarray(0, filled) : head;
    if (!out) {
      const joined = new Uint8Array(head.length + value.length);
      joined.set(head);
      joined.set(value, head.length);
      const header = readIdxHeader(joined, name);
      if (!header) {
        head = joined;
        continue;
      }
      checkGzipCanHold(header, compressedBytes, name);
      if (joined.length > header.totalBytes) throw tooLong(name, header.totalBytes);
      out = new Uint8Array(header.totalBytes);
      out.set(joined);
      filled = joined.length;
      continue;
    }
    if (filled + value.length > out.length) throw tooLong(name, out.length);
    out.set(value, filled);
    filled += value.length;
  }
}

/** The error for gzip data longer than its IDX header says (trailing bytes, or a bomb). */
export function tooLong(name: string, declared: number): Error {
  return new Error(`${name}: gzip data decompresses to more than the ${declared} bytes its IDX header declares (trailing bytes)`);
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
