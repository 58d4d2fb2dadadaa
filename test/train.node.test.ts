// `npm run train` itself (Node only: files, exit codes): a short run on real MNIST digits whose
// saved weights load back to the same predictions, and its error cases.

import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../src/data/idx';
import { runTrain } from '../cli/run-train';

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

  it('--help prints the usage once, on stdout, and exits 0 without training', async () => {
    // Everything goes through the io given to runTrain: a second copy on process.stdout
    // (commander's own printing) is the bug this guards against.
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let direct: unknown[][] = [];
    const r = await cli('--help').finally(() => {
      direct = [...stdout.mock.calls];
      stdout.mockRestore();
    });
    expect(direct).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    const text = r.out.join('\n');
    expect(text.match(/^Usage:/gm)).toHaveLength(1);
    expect(text).toMatch(/--epochs <n>/);
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
