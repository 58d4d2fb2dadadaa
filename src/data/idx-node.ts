// Reading MNIST-format (IDX) datasets from disk in Node.
//
// A dataset directory holds four files, each optionally gzip-compressed:
//   train-images-idx3-ubyte  train-labels-idx1-ubyte
//   t10k-images-idx3-ubyte   t10k-labels-idx1-ubyte
// which is how MNIST, Fashion-MNIST (Debian: /usr/share/datasets/fashion-mnist/) and
// KMNIST ship. Errors always name the file involved, because "wrong length" alone is
// useless when four files are read.

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { constants as zlibConstants, gunzipSync, type ZlibOptions } from 'node:zlib';

import { makeSplit, type Dataset, type Split } from './dataset';
import { checkGzipCanHold, isGzip, parseIdx, readIdxHeader, tooLong, type IdxArray } from './idx';

/** Where the Debian package dataset-fashion-mnist installs Fashion-MNIST. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Reads one IDX file, gunzipping it if its bytes start with the gzip magic number. */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read IDX file: ${(e as Error).message}`);
  }
  // Detect by content, not by the .gz suffix: some mirrors ship gzip data under the
  // plain name (browsers and curl may also have decompressed a .gz already).
  return parseIdx(isGzip(bytes) ? gunzipIdx(bytes, path) : bytes, path);
}

/** Gunzips an IDX file without trusting it: the header is decompressed first, then the rest
 *  only up to the size the header declares (which must fit the compressed size), so a
 *  corrupt header or a gzip bomb fails before a large allocation. */
function gunzipIdx(bytes: Uint8Array, path: string): Uint8Array {
  const gunzip = (input: Uint8Array, options: ZlibOptions, what: string): Uint8Array => {
    try {
      return gunzipSync(input, options);
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLong(path, options.maxOutputLength!);
      throw new Error(`${path}: gzip decompression failed${what}: ${(e as Error).message}`);
    }
  };
  // A prefix of n compressed bytes decompresses to at most GZIP_MAX_RATIO·n: read growing
  // prefixes (sync-flushed, so a cut stream is not an error) until the header is complete.
  let header = null;
  for (let n = 256; header === null; n *= 2) {
    const prefix = bytes.subarray(0, Math.min(n, bytes.length));
    const start = gunzip(prefix, { finishFlush: zlibConstants.Z_SYNC_FLUSH }, ' (reading the IDX header)');
    header = readIdxHeader(start, path);
    // The whole file and still no header: unflushed, a cut gzip stream is reported as such;
    // a complete one is a short IDX file, which parseIdx reports.
    if (header === null && prefix.length === bytes.length) return gunzip(bytes, { maxOutputLength: 4 + 4 * 255 }, '');
  }
  checkGzipCanHold(header, bytes.length, path);
  return gunzip(bytes, { maxOutputLength: Math.max(1, header.totalBytes) }, '');
}

/** Options for loadIdxDataset. */
export interface IdxDatasetOptions {
  /** Number of classes; default: 1 + the largest label seen in either split. */
  classes?: number;
  /** Dataset name; default: the directory's base name. */
  name?: string;
}

/**
 * Loads the train and t10k splits from an MNIST-format directory. Images become
 * Float32Array [count, rows*cols] scaled to [0, 1]; labels become Int32Array.
 */
export function loadIdxDataset(dir: string, options: IdxDatasetOptions = {}): Dataset {
  const train = readPair(dir, 'train');
  const test = readPair(dir, 't10k');
  if (train.features !== test.features) {
    throw new Error(
      `${dir}: train images have ${train.features} pixels each but t10k images have ${test.features}`,
    );
  }
  let maxLabel = 0;
  for (const labels of [train.labels, test.labels]) {
    for (let i = 0; i < labels.length; i++) maxLabel = Math.max(maxLabel, labels[i]);
  }
  const classes = options.classes ?? maxLabel + 1;
  const name = options.name ?? basename(dir.replace(/[\\/]+$/, ''));
  return {
    name,
    train: toSplit(train, classes),
    test: toSplit(test, classes),
  };
}

interface RawPair {
  images: Uint8Array;
  labels: Int32Array;
  features: number;
  labelsPath: string;
}

// Reads and cross-checks one split's images and labels files.
function readPair(dir: string, prefix: 'train' | 't10k'): RawPair {
  const imagesPath = findFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = findFile(dir, `${prefix}-labels-idx1-ubyte`);
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  if (images.dims.length !== 3) {
    throw new Error(`${imagesPath}: images must have 3 dims [count, rows, cols], got [${images.dims.join(', ')}]`);
  }
  if (labels.dims.length !== 1) {
    throw new Error(`${labelsPath}: labels must have 1 dim [count], got [${labels.dims.join(', ')}]`);
  }
  const [imageCount, rows, cols] = images.dims;
  const labelCount = labels.dims[0];
  if (imageCount !== labelCount) {
    throw new Error(
      `image/label count mismatch: ${imagesPath} has ${imageCount} images but ${labelsPath} has ${labelCount} labels`,
    );
  }
  return { images: images.data, labels: Int32Array.from(labels.data), features: rows * cols, labelsPath };
}

// Prefers the uncompressed file when both exist: it is what a user who ran gunzip
// by hand most recently touched, and it is faster to read.
function findFile(dir: string, stem: string): string {
  for (const candidate of [stem, `${stem}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  throw new Error(`${dir}: no ${stem} or ${stem}.gz found (is this an MNIST-format directory?)`);
}

// A label can only be out of range when the caller passed `classes`, so an error
// names the labels file.
function toSplit(raw: RawPair, classes: number): Split {
  const images = new Float32Array(raw.images.length);
  for (let i = 0; i < images.length; i++) images[i] = raw.images[i] / 255;
  try {
    return makeSplit(images, raw.labels, raw.features, classes);
  } catch (e) {
    throw new Error(`${raw.labelsPath}: ${(e as Error).message}`);
  }
}
