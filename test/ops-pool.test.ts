// maxPool2d / avgPool2d: WebGPU against the CPU reference on awkward shapes (batch 1, primes,
// overlapping windows, padding, rectangular kernels, a plane smaller than a tile), PyTorch's
// conventions (first arg-max on ties, count_include_pad=True, NaN propagates), gradients by
// finite differences (CPU, f64) and GPU gradients against the CPU engine's, and errors.

import { describe, expect, it } from 'vitest';
import { both, cpu, expectClose, f64, gpu, randomArray } from './backends';
import { checkGradients } from './gradcheck';
import type { Pool2dOptions } from '../src/ops/pool';
import type { Engine, Tensor } from '../src/index';

type Kind = 'max' | 'avg';
const pool = (e: Engine, kind: Kind, x: Tensor, o: Pool2dOptions) => (kind === 'max' ? e.maxPool2d(x, o) : e.avgPool2d(x, o));
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const cases: { x: number[]; o: Pool2dOptions; out: number[] }[] = [
  { x: [1, 1, 1, 1], o: { kernel: 1 }, out: [1, 1, 1, 1] },
  { x: [2, 3, 8, 8], o: { kernel: 2 }, out: [2, 3, 4, 4] },
  { x: [3, 2, 7, 11], o: { kernel: 2 }, out: [3, 2, 3, 5] }, // odd sizes: the last row/column is dropped
  { x: [1, 5, 9, 10], o: { kernel: 3, stride: 2, padding: 1 }, out: [1, 5, 5, 5] }, // overlapping, padded
  { x: [2, 1, 6, 13], o: { kernel: [2, 5], stride: [1, 3], padding: [1, 2] }, out: [2, 1, 7, 5] },
];

describe('pooling forward and backward: GPU vs CPU reference', () => {
  for (const kind of ['max', 'avg'] as const) {
    for (const c of cases) {
      it(`${kind}Pool2d ${JSON.stringify(c.o)} on [${c.x.join(', ')}]`, async () => {
        const x = randomArray(size(c.x), size(c.x));
        const dy = randomArray(size(c.out), 5);
        const [g, r] = await both(async (e) => {
          const dyt = e.tensor(dy, c.out);
          const { value, grads } = await e.valueAndGrad((t) => {
            const y = pool(e, kind, t!, c.o);
            expect(y.shape).toEqual(c.out);
            return e.sum(e.mul(y, dyt));
          })(e.tensor(x, c.x));
          // outside a tape max pooling makes no arg-max (backwardOnly); same values
          const y = pool(e, kind, e.tensor(x, c.x), c.o);
          expect(y.owned.length).toBe(0);
          const plain = (await e.sum(e.mul(y, dyt)).read())[0]!;
          expect(Object.is(plain, Math.fround(value))).toBe(true);
          return { y: await y.read(), dx: await grads[0]!.read(), value };
        });
        if (kind === 'max') {
          // max picks values and routes dy without arithmetic (sums of ≤ 4 dy at most): exact
          // in y and arg-max, and dx within the rounding of those few additions
          expect(Array.from(g.y)).toEqual(Array.from(r.y));
          expectClose(g.dx, r.dx, 1e-6, 0, 'dx');
        } else {
          // avg sums ≤ 10 terms of |x| ≤ 1 and divides: a few ulps
          expectClose(g.y, r.y, 1e-6, 0, 'y');
          expectClose(g.dx, r.dx, 1e-6, 0, 'dx');
        }
      });
    }
  }

  it('gradients by finite differences (distinct values, so max has no ties)', async () => {
    const e = await cpu('f64');
    for (const kind of ['max', 'avg'] as const) {
      for (const c of [cases[3]!, cases[4]!]) {
        const shape = [1, 1, c.x[2]!, c.x[3]!];
        const r = e.tensor(f64(size([1, 1, c.out[2]!, c.out[3]!]), 8), [1, 1, c.out[2]!, c.out[3]!]);
        await checkGradients(e, (x) => e.sum(e.mul(pool(e, kind, x!, c.o), r)), [{ data: f64(size(shape), 9), shape }]);
      }
    }
  });
});

describe("PyTorch's conventions", () => {
  it('max: ties send the whole gradient to the first maximum of each window (row-major)', async () => {
    await both(async (e) => {
      const x = e.tensor(new Float32Array(16).fill(3), [1, 1, 4, 4]);
      const { grads } = await e.valueAndGrad((t) => e.sum(e.maxPool2d(t!, { kernel: 2 })))(x);
      const dx = Array.from(await grads[0]!.read());
      // windows start at (0,0), (0,2), (2,0), (2,2): their first elements get 1
      expect(dx).toEqual(Array.from({ length: 16 }, (_, i) => Number(Math.floor(i / 4) % 2 === 0 && i % 2 === 0)));
    });
  });

  it('avg counts the padding (count_include_pad=True): a corner of ones averages 4/9', async () => {
    const [g, r] = await both(async (e) => e.avgPool2d(e.tensor(new Float32Array(9).fill(1), [1, 1, 3, 3]), { kernel: 3, stride: 1, padding: 1 }).read());
    expectClose(g, r, 1e-7, 0, 'GPU vs CPU');
    expect(r[0]).toBeCloseTo(4 / 9, 6);
    expect(r[4]).toBeCloseTo(1, 6);
  });

  it('max: NaN propagates; padding never wins over a negative value', async () => {
    await both(async (e) => {
      const x = e.tensor([-5, NaN, -7, -1, -2, -3, -4, -6, -8], [1, 1, 3, 3]);
      const y = Array.from(await e.maxPool2d(x, { kernel: 2, stride: 1, padding: 1 }).read());
      // windows over the padded 5×5: corners see one real value; the NaN reaches 4 windows
      expect(y[0]).toBe(-5);
      expect(Number.isNaN(y[1]!)).toBe(true);
      expect(Number.isNaN(y[2]!)).toBe(true);
      expect(y[3]).toBe(-7);
      expect(y[15]).toBe(-8);
    });
  });
});

describe('pooling errors', () => {
  it('rejects bad options and shapes with the op name', async () => {
    const e = await gpu();
    const x = e.tensor(new Float32Array(2 * 3 * 4 * 4), [2, 3, 4, 4]);
    expect(() => e.maxPool2d(x, {} as Pool2dOptions)).toThrow(/maxPool2d: options.kernel is required/);
    expect(() => e.avgPool2d(x, { kernel: 2, padding: 2 })).toThrow(/avgPool2d: padding \[2, 2\] must be at most half the kernel \[2, 2\]/);
    expect(() => e.maxPool2d(x, { kernel: [2, 0] })).toThrow(/maxPool2d: kernel must be an integer >= 1/);
    expect(() => e.maxPool2d(x, { kernel: 5 })).toThrow(/maxPool2d: input \[2, 3, 4, 4\] .* is smaller than the kernel \[5, 5\]/);
    expect(() => e.avgPool2d(e.tensor(new Float32Array(16), [4, 4]), { kernel: 2 })).toThrow(/avgPool2d: input must be NCHW \(rank 4\), got shape \[4, 4\]/);
  });
});

describe('grids past 65535 workgroups', () => {
  it('pooling and its gradient loop over planes when N·C > 4 · 65535', async () => {
    const shape = [131_101, 2, 2, 2];
    const x = randomArray(size(shape), 41);
    const dy = randomArray(131_101 * 2, 42);
    const [g, r] = await both(async (e) => {
      const { grads } = await e.valueAndGrad((t) => e.sum(e.mul(e.maxPool2d(t!, { kernel: 2 }), e.tensor(dy, [131_101, 2, 1, 1]))))(e.tensor(x, shape));
      return { y: await e.avgPool2d(e.tensor(x, shape), { kernel: 2 }).read(), dx: await grads[0]!.read() };
    });
    expectClose(g.y, r.y, 1e-6, 0, 'avg');
    expect(Array.from(g.dx)).toEqual(Array.from(r.dx));
  });
});
