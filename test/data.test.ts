// Tests for src/data: the IDX reader (bytes and directories, gzip and plain), the
// bundled MNIST digits and their fixed split, the seeded RNG, shuffling and batching.
// Small IDX files are built in a temp directory so everything runs without any
// dataset installed; Fashion-MNIST is checked too when its Debian package is present.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { batchCount, batches, createRng, oneHot, shuffledIndices } from '../src/data/batches';
import { makeSplit, type Dataset, type Split } from '../src/data/dataset';
import { encodeIdx, isGzip, parseIdx, parseIdxAuto } from '../src/data/idx';
import { FASHION_MNIST_DIR, loadIdxDataset, readIdxFile } from '../src/data/idx-node';
import { loadMnistDigits, MNIST_FEATURES, splitMnistDigits } from '../src/data/mnist';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'webgrad-data-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

// Writes a tiny MNIST-format directory: `n` images of rows x cols with pixel value
// (i * 7 + p) % 256 and label i % classes. `gzip` picks which files are compressed.
function writeIdxDir(
  name: string,
  sizes: { train: number; test: number; rows?: number; cols?: number; classes?: number },
  gzip: (file: string) => boolean = () => false,
  override: Record<string, Uint8Array> = {},
): string {
  const out = join(tmp, name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const rows = sizes.rows ?? 2;
  const cols = sizes.cols ?? 3;
  const classes = sizes.classes ?? 3;
  for (const [prefix, n] of [['train', sizes.train], ['t10k', sizes.test]] as const) {
    const pixels = new Uint8Array(n * rows * cols);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) labels[i] = i % classes;
    const files: Record<string, Uint8Array> = {
      [`${prefix}-images-idx3-ubyte`]: encodeIdx([n, rows, cols], pixels),
      [`${prefix}-labels-idx1-ubyte`]: encodeIdx([n], labels),
    };
    for (const [file, bytes] of Object.entries(files)) {
      const content = override[file] ?? bytes;
      if (gzip(file)) writeFileSync(join(out, `${file}.gz`), gzipSync(content));
      else writeFileSync(join(out, file), content);
    }
  }
  return out;
}

function expectThrow(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  let error: Error | undefined;
  try {
    fn();
  } catch (e) {
    error = e as Error;
  }
  expect(error, 'expected an error').toBeInstanceOf(Error);
  for (const p of parts) {
    if (typeof p === 'string') expect(error!.message).toContain(p);
    else expect(error!.message).toMatch(p);
  }
}

describe('parseIdx', () => {
  it('round-trips images and labels with the MNIST magic numbers', () => {
    const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
    const images = encodeIdx([2, 3, 4], pixels);
    expect(Array.from(images.subarray(0, 4))).toEqual([0, 0, 8, 3]); // 0x00000803
    const parsed = parseIdx(images, 'images');
    expect(parsed.dims).toEqual([2, 3, 4]);
    expect(Array.from(parsed.data)).toEqual(Array.from(pixels));

    const labels = encodeIdx([5], Uint8Array.from([0, 9, 3, 3, 1]));
    expect(Array.from(labels.subarray(0, 12))).toEqual([0, 0, 8, 1, 0, 0, 0, 5, 0, 9, 3, 3]);
    expect(parseIdx(labels, 'labels').dims).toEqual([5]);
  });

  it('reads big-endian dimensions above 255', () => {
    const bytes = encodeIdx([300], new Uint8Array(300).fill(7));
    expect(Array.from(bytes.subarray(4, 8))).toEqual([0, 0, 1, 44]);
    expect(parseIdx(bytes, 'x').dims).toEqual([300]);
    expect(parseIdx(bytes.slice().buffer, 'x').dims).toEqual([300]); // an ArrayBuffer, as fetch() gives
  });

  it('rejects types other than unsigned byte, saying which', () => {
    const bytes = encodeIdx([1], Uint8Array.of(0));
    bytes[2] = 0x0d;
    expectThrow(() => parseIdx(bytes, 'floats.idx'), 'floats.idx', '0x0d', 'float', 'only 0x08');
    bytes[2] = 0x42;
    expectThrow(() => parseIdx(bytes, 'weird.idx'), 'weird.idx', '0x42', 'unknown type');
  });

  it('rejects a magic number that does not start with two zero bytes', () => {
    const bytes = encodeIdx([1], Uint8Array.of(0));
    bytes[0] = 0x50;
    expectThrow(() => parseIdx(bytes, 'x.idx'), 'x.idx', 'not an IDX file', '0x50000801');
  });

  it('rejects truncated files naming the file and the expected and actual sizes', () => {
    const bytes = encodeIdx([4, 2, 2], new Uint8Array(16));
    expectThrow(() => parseIdx(bytes.subarray(0, 20), 'train-images'), 'train-images', 'truncated', 'need 32 bytes, got 20');
    expectThrow(() => parseIdx(bytes.subarray(0, 10), 'train-images'), 'train-images', 'truncated IDX header', 'need 16', 'has 10');
    expectThrow(() => parseIdx(bytes.subarray(0, 2), 'tiny'), 'tiny', 'only 2 bytes');
  });

  it('rejects trailing bytes and zero dimensions', () => {
    const bytes = new Uint8Array([...encodeIdx([2], Uint8Array.of(1, 2)), 99]);
    expectThrow(() => parseIdx(bytes, 'long'), 'long', 'trailing bytes', 'need 10 bytes, got 11');
    expectThrow(() => parseIdx(Uint8Array.of(0, 0, 8, 0), 'nodims'), 'nodims', '0 dimensions');
  });

  it('detects gzip by its magic number and parses it with parseIdxAuto', async () => {
    const plain = encodeIdx([3], Uint8Array.of(4, 5, 6));
    const gz = gzipSync(plain);
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(plain)).toBe(false);
    expectThrow(() => parseIdx(gz, 'labels.gz'), 'labels.gz', 'gzip-compressed');
    const parsed = await parseIdxAuto(gz, 'labels.gz');
    expect(Array.from(parsed.data)).toEqual([4, 5, 6]);
    expect(Array.from((await parseIdxAuto(plain, 'labels')).data)).toEqual([4, 5, 6]);
    await expect(parseIdxAuto(gz.subarray(0, 12), 'cut.gz')).rejects.toThrow(/cut\.gz: gzip decompression failed/);
  });

  it('encodeIdx validates its input', () => {
    expectThrow(() => encodeIdx([2, 2], new Uint8Array(3)), 'hold 4 values, data has 3');
    expectThrow(() => encodeIdx([], new Uint8Array(1)), '1..255 dimensions');
  });
});

describe('readIdxFile and loadIdxDataset', () => {
  it('reads plain and gzip files alike, detecting gzip by content', () => {
    const bytes = encodeIdx([2, 1, 2], Uint8Array.of(1, 2, 3, 4));
    const plain = join(tmp, 'plain-idx');
    const gz = join(tmp, 'gz-idx.gz');
    const disguised = join(tmp, 'gz-without-suffix');
    writeFileSync(plain, bytes);
    writeFileSync(gz, gzipSync(bytes));
    writeFileSync(disguised, gzipSync(bytes));
    for (const path of [plain, gz, disguised]) {
      const r = readIdxFile(path);
      expect(r.dims).toEqual([2, 1, 2]);
      expect(Array.from(r.data)).toEqual([1, 2, 3, 4]);
    }
  });

  it('names the file on read, gunzip and parse errors', () => {
    const missing = join(tmp, 'no-such-file');
    expectThrow(() => readIdxFile(missing), missing, 'cannot read IDX file');
    const badGz = join(tmp, 'bad.gz');
    writeFileSync(badGz, gzipSync(encodeIdx([4], new Uint8Array(4))).subarray(0, 15));
    expectThrow(() => readIdxFile(badGz), badGz, 'gzip decompression failed');
    const short = join(tmp, 'short-idx.gz');
    writeFileSync(short, gzipSync(encodeIdx([4], new Uint8Array(4)).subarray(0, 10)));
    expectThrow(() => readIdxFile(short), short, 'need 12 bytes, got 10');
  });

  it('loads a directory into scaled Float32 splits (mixed gzip and plain files)', () => {
    const dir = writeIdxDir('tiny', { train: 5, test: 4 }, (f) => f.includes('images'));
    const ds: Dataset = loadIdxDataset(dir);
    expect(ds.name).toBe('tiny');
    expect(ds.train.count).toBe(5);
    expect(ds.test.count).toBe(4);
    expect(ds.train.features).toBe(6);
    expect(ds.train.classes).toBe(3);
    expect(ds.test.classes).toBe(3);
    expect(ds.train.images).toBeInstanceOf(Float32Array);
    expect(ds.train.images.length).toBe(30);
    expect(ds.train.images[1]).toBeCloseTo(7 / 255, 7);
    expect(ds.train.images[29]).toBe(Math.fround(((29 * 7) % 256) / 255));
    expect(Array.from(ds.train.labels)).toEqual([0, 1, 2, 0, 1]);
    expect(ds.test.labels).toBeInstanceOf(Int32Array);
    expect(Array.from(ds.test.labels)).toEqual([0, 1, 2, 0]);
    for (const v of ds.train.images) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('takes classes and name from options', () => {
    const dir = writeIdxDir('opts', { train: 2, test: 2 }, () => true);
    const ds = loadIdxDataset(dir, { classes: 10, name: 'custom' });
    expect(ds.name).toBe('custom');
    expect(ds.train.classes).toBe(10);
    expectThrow(() => loadIdxDataset(dir, { classes: 1 }), 'train-labels-idx1-ubyte.gz', 'label 1 at index 1 is outside [0, 1)');
  });

  it('reports image/label count mismatches naming both files and counts', () => {
    const dir = writeIdxDir('mismatch', { train: 5, test: 4 }, (f) => f.startsWith('t10k'), {
      't10k-labels-idx1-ubyte': encodeIdx([3], Uint8Array.of(0, 1, 2)),
    });
    expectThrow(
      () => loadIdxDataset(dir),
      'count mismatch',
      join(dir, 't10k-images-idx3-ubyte.gz'),
      'has 4 images',
      join(dir, 't10k-labels-idx1-ubyte.gz'),
      'has 3 labels',
    );
  });

  it('reports missing files, wrong ranks and mismatched image sizes', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    expectThrow(() => loadIdxDataset(empty), empty, 'no train-images-idx3-ubyte or train-images-idx3-ubyte.gz');

    const flat = writeIdxDir('flat', { train: 2, test: 2 }, () => false, {
      'train-images-idx3-ubyte': encodeIdx([2, 6], new Uint8Array(12)),
    });
    expectThrow(() => loadIdxDataset(flat), 'train-images-idx3-ubyte', 'must have 3 dims', '[2, 6]');

    const sizes = writeIdxDir('sizes', { train: 2, test: 2 }, () => false, {
      't10k-images-idx3-ubyte': encodeIdx([2, 3, 3], new Uint8Array(18)),
    });
    expectThrow(() => loadIdxDataset(sizes), 'train images have 6 pixels each but t10k images have 9');
  });

  // scripts/setup.sh installs the Debian package dataset-fashion-mnist; without it this fails.
  it(
    'loads Fashion-MNIST from the Debian package',
    () => {
      const ds = loadIdxDataset(FASHION_MNIST_DIR);
      expect(ds.name).toBe('fashion-mnist');
      expect([ds.train.count, ds.test.count]).toEqual([60000, 10000]);
      expect([ds.train.features, ds.train.classes]).toEqual([784, 10]);
      // Fashion-MNIST is exactly balanced: 6,000 train and 1,000 test per class.
      expect(classCounts(ds.train)).toEqual(new Array(10).fill(6000));
      expect(classCounts(ds.test)).toEqual(new Array(10).fill(1000));
      let min = Infinity;
      let max = -Infinity;
      for (const v of ds.test.images) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect([min, max]).toEqual([0, 1]);
    },
    60_000,
  );
});

function classCounts(split: Split): number[] {
  const counts = new Array(split.classes).fill(0);
  for (const y of split.labels) counts[y]++;
  return counts;
}

// FNV-1a over a row's float bits: a cheap fingerprint to find duplicate rows.
function rowHash(images: Float32Array, row: number, features: number): number {
  const bits = new Uint32Array(images.buffer, images.byteOffset + row * features * 4, features);
  let h = 0x811c9dc5;
  for (const b of bits) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

describe('bundled MNIST digits', () => {
  let ds: Dataset<'mnist'>;
  beforeAll(() => {
    ds = loadMnistDigits();
  }, 60_000);

  it('has the fixed 8,000 / 2,000 split of 28x28 digits in 10 classes', () => {
    expect(ds.name).toBe('mnist');
    expect(ds.train.count).toBe(8000);
    expect(ds.test.count).toBe(2000);
    for (const s of [ds.train, ds.test]) {
      expect(s.features).toBe(784);
      expect(s.classes).toBe(10);
      expect(s.images.length).toBe(s.count * 784);
      expect(s.labels.length).toBe(s.count);
    }
  });

  it('keeps pixels in [0, 1] and uses the full range', () => {
    for (const s of [ds.train, ds.test]) {
      let min = Infinity;
      let max = -Infinity;
      for (const v of s.images) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
    }
  });

  it('is stratified: every class is roughly 10% and split 80/20 to within one example', () => {
    const train = classCounts(ds.train);
    const test = classCounts(ds.test);
    // Class sizes of the 10,000 digits in the package.
    expect(train.map((n, c) => n + test[c])).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    train.forEach((n, c) => {
      expect(n / 8000).toBeGreaterThan(0.08);
      expect(n / 8000).toBeLessThan(0.15);
      expect(Math.abs(test[c] - (n + test[c]) / 5)).toBeLessThanOrEqual(1);
    });
  });

  it('has no example in both train and test, and mixes classes within each split', () => {
    const seen = new Set<number>();
    for (let i = 0; i < ds.train.count; i++) seen.add(rowHash(ds.train.images, i, 784));
    let shared = 0;
    for (let i = 0; i < ds.test.count; i++) if (seen.has(rowHash(ds.test.images, i, 784))) shared++;
    expect(shared).toBe(0);
    // The first 100 training labels are not all one class: the split is shuffled.
    expect(new Set(ds.train.labels.subarray(0, 100)).size).toBe(10);
  });

  it('is deterministic: a second load gives identical arrays', () => {
    const again = loadMnistDigits();
    expect(again.train.labels).toEqual(ds.train.labels);
    expect(again.test.labels).toEqual(ds.test.labels);
    expect(Buffer.from(again.test.images.buffer).equals(Buffer.from(ds.test.images.buffer))).toBe(true);
  }, 60_000);

  it('splitMnistDigits validates its input', () => {
    expectThrow(() => splitMnistDigits([[0]]), 'need 10 digit arrays, got 1');
    const bad = Array.from({ length: 10 }, () => new Array(MNIST_FEATURES).fill(0));
    bad[3] = new Array(MNIST_FEATURES + 1).fill(0);
    expectThrow(() => splitMnistDigits(bad), 'digit 3 has 785 values');
  });
});

describe('createRng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 20 }, () => a.next());
    const sb = Array.from({ length: 20 }, () => b.next());
    const sc = Array.from({ length: 20 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    for (const v of sa) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('is pinned: the mulberry32 stream for seed 1 never changes', () => {
    // If this fails, every seeded run (including the MNIST split) has changed.
    // Values from the reference mulberry32 (Tommy Ettinger / bryc) seeded with 1.
    const r = createRng(1);
    expect(r.next() * 2 ** 32).toBe(2693262067);
    expect(r.next() * 2 ** 32).toBe(11749833);
  });

  it('nextInt covers [0, n) uniformly and validates n', () => {
    const r = createRng(7);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[r.nextInt(6)]++;
    for (const n of counts) expect(Math.abs(n - 10000)).toBeLessThan(500);
    expectThrow(() => r.nextInt(0), 'nextInt', 'got 0');
    expectThrow(() => r.nextInt(2.5), 'got 2.5');
    expectThrow(() => createRng(1.5), 'seed must be an integer, got 1.5');
  });

  it('normal() has mean 0 and variance 1', () => {
    const r = createRng(3);
    const n = 50000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      sum += x;
      sq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.03);
  });
});

describe('shuffledIndices', () => {
  it('is a permutation, deterministic per seed, different across seeds', () => {
    const p = shuffledIndices(100, createRng(5));
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(shuffledIndices(100, createRng(5))).toEqual(p);
    expect(Array.from(shuffledIndices(100, createRng(6)))).not.toEqual(Array.from(p));
    expect(shuffledIndices(0, createRng(1)).length).toBe(0);
    expectThrow(() => shuffledIndices(-1, createRng(1)), 'non-negative integer');
  });
});

describe('batches', () => {
  // 10 examples with 3 features; row i is [i, i + 0.25, i + 0.5] / 10, label i % 4.
  const split = makeSplit(
    Float32Array.from({ length: 30 }, (_, k) => (Math.floor(k / 3) + (k % 3) * 0.25) / 10),
    Int32Array.from({ length: 10 }, (_, i) => i % 4),
    3,
    4,
  );

  it('yields batches in order with a partial last batch', () => {
    const bs = [...batches(split, 4)];
    expect(bs.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(bs[2].x.length).toBe(6);
    expect(Array.from(bs[2].labels)).toEqual([0, 1]);
    expect(Array.from(bs[0].x.subarray(3, 6))).toEqual(Array.from(split.images.subarray(3, 6)));
    expect(batchCount(10, 4)).toBe(3);
  });

  it('drops the partial batch with dropLast', () => {
    expect([...batches(split, 4, { dropLast: true })].map((b) => b.size)).toEqual([4, 4]);
    expect(batchCount(10, 4, true)).toBe(2);
    expect([...batches(split, 5, { dropLast: true })].map((b) => b.size)).toEqual([5, 5]);
    expect([...batches(split, 11, { dropLast: true })]).toEqual([]);
  });

  it('shuffles every example exactly once, keeping rows and labels together', () => {
    const bs = [...batches(split, 3, { shuffle: true, rng: createRng(9) })];
    const rows: number[] = [];
    for (const b of bs) {
      for (let i = 0; i < b.size; i++) {
        const row = Math.round(b.x[i * 3] * 10);
        expect(b.x[i * 3 + 2]).toBeCloseTo((row + 0.5) / 10, 6);
        expect(b.labels[i]).toBe(row % 4);
        rows.push(row);
      }
    }
    expect([...rows].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('gives the same order for the same seed and another for a different seed', () => {
    const order = (seed: number) =>
      [...batches(split, 4, { shuffle: true, rng: createRng(seed) })].flatMap((b) => Array.from(b.x));
    expect(order(1)).toEqual(order(1));
    expect(order(1)).not.toEqual(order(2));
    // Successive epochs drawn from one generator differ; the first matches a fresh seed.
    const rng = createRng(1);
    const epoch = () => [...batches(split, 4, { shuffle: true, rng })].flatMap((b) => Array.from(b.x));
    const first = epoch();
    expect(first).toEqual(order(1));
    expect(epoch()).not.toEqual(first);
  });

  it('rejects bad batch sizes and an unseeded shuffle with clear errors', () => {
    for (const bad of [0, -1, 2.5, NaN]) {
      expectThrow(() => batches(split, bad), `batch size must be a positive integer, got ${bad}`);
    }
    expectThrow(() => batches(split, 2, { shuffle: true }), 'shuffle: true needs an rng');
  });
});

describe('oneHot and makeSplit', () => {
  it('oneHot sets one column per row', () => {
    expect(Array.from(oneHot(Int32Array.of(2, 0), 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expectThrow(() => oneHot([3], 3), 'label 3 at index 0 is outside [0, 3)');
    expectThrow(() => oneHot([0], 0), 'classes must be a positive integer');
  });

  it('makeSplit checks array sizes and label range', () => {
    expectThrow(() => makeSplit(new Float32Array(5), new Int32Array(2), 3, 2), 'needs 6 image values, got 5');
    expectThrow(() => makeSplit(new Float32Array(3), Int32Array.of(-1), 3, 2), 'label -1 at index 0');
    expectThrow(() => makeSplit(new Float32Array(0), new Int32Array(0), 0, 2), 'features must be a positive integer');
  });
});
