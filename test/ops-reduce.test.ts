// Reductions (sum, mean, max over axis 0, the last axis, a middle axis, everything) and
// argMax: GPU vs CPU, determinism, subgradients; and the device-lost path.

import { describe, expect, it } from 'vitest';
import { cpu, expectClose, gpu, randomArray } from './backends';
import { createEngine, type Engine } from '../src/index';

// Sums of n f32 terms in different orders (GPU: strided partial sums + a tree; CPU: f64 then
// rounded) differ by at most ~n·2^-24·Σ|x| in the worst case, ~sqrt(n)·2^-24·Σ|x| typically.
const sumTol = (n: number) => 4 * Math.sqrt(n) * 2 ** -24 * n + 1e-7;

// [20011, 3] over axis 0 and [2, 40009, 3] over axis 1 take the two-pass (chunked) path (len > 16384).
// [13, 8] (last axis) and [49152] (two passes) take the vec4 path (contiguous rows, lengths multiples of 4).
const shapes: number[][] = [[1], [7], [13, 1], [1, 13], [127, 3], [3, 127], [5, 7, 11], [1000, 65], [20011, 3], [2, 40009, 3], [13, 8], [49152]];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

async function reduceAll(e: Engine, data: Float32Array, shape: number[]) {
  const x = e.tensor(data, shape);
  const axes: (number | undefined)[] = [undefined, 0, -1, ...(shape.length === 3 ? [1] : [])];
  const out: Float32Array[] = [];
  for (const axis of axes) {
    for (const t of [e.sum(x, axis), e.mean(x, axis), e.max(x, axis), e.argMax(x, axis ?? -1)]) {
      out.push(await t.read());
      t.dispose();
    }
  }
  x.dispose();
  return out;
}

describe('reductions: GPU vs CPU', () => {
  for (const shape of shapes) {
    it(`sum, mean, max, argMax over every axis of ${JSON.stringify(shape)}`, async () => {
      const data = randomArray(size(shape), 11, -1, 1);
      const [g, c] = [await reduceAll(await gpu(), data, shape), await reduceAll(await cpu(), data, shape)];
      const n = size(shape);
      g.forEach((v, i) => {
        const kind = i % 4;
        if (kind >= 2) expect(Array.from(v)).toEqual(Array.from(c[i]!)); // max and argMax are exact
        else expectClose(v, c[i]!, sumTol(n), 0, `reduction ${i}`);
      });
    });
  }

  it('is deterministic: two runs are bit-identical', async () => {
    const e = await gpu();
    const data = randomArray(300007, 12, -1e3, 1e3);
    const a = await reduceAll(e, data, [300007]);
    const b = await reduceAll(e, data, [300007]);
    a.forEach((v, i) => expect(new Uint32Array(v.buffer)).toEqual(new Uint32Array(b[i]!.buffer)));
  });

  it('max: the first maximum wins ties and receives the whole subgradient', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const x = e.tensor([1, 5, 5, 2, 7, 7, 7, 0], [2, 4]);
      expect(Array.from(await e.argMax(x, 1).read())).toEqual([1, 0]);
      const { grads } = await e.valueAndGrad((t) => e.sum(e.max(t!, 1)))(x);
      expect(Array.from(await grads[0]!.read())).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
    }
  });

  it('sum over axis 0 is the bias gradient (column sums) for a row wider than a workgroup', async () => {
    const [M, N] = [37, 1000];
    const data = randomArray(M * N, 13);
    for (const e of [await gpu(), await cpu()]) {
      const s = await e.sum(e.tensor(data, [M, N]), 0).read();
      let want = 0;
      for (let r = 0; r < M; r++) want += data[r * N + 999]!;
      expect(s[999]).toBeCloseTo(want, 4);
    }
  });
});

describe('device loss', () => {
  it('a lost device turns into a clear error on the next call', async () => {
    // A device of our own (the shared test engine's must survive this test).
    const adapter = await (await navigatorGpu()).requestAdapter();
    keep.push(adapter);
    const device = await adapter!.requestDevice();
    const e = await createEngine({ backend: 'webgpu', device });
    const x = e.tensor([1, 2], [2]);
    device!.destroy();
    await device!.lost;
    expect(() => e.relu(x)).toThrow(/relu|activation/);
    expect(() => e.relu(x)).toThrow(/WebGPU device lost \(destroyed\)/);
  });
});

/** Dawn's instance and adapters must stay referenced while their devices live. */
const keep: unknown[] = [];

async function navigatorGpu(): Promise<GPU> {
  if (typeof navigator !== 'undefined' && navigator.gpu) return navigator.gpu;
  const name = 'webgpu';
  const m = (await import(/* @vite-ignore */ name)) as { create(f: string[]): GPU };
  const g = m.create([]);
  keep.push(g);
  return g;
}
