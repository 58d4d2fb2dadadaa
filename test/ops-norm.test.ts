// layerNorm over the last axis: WebGPU against the CPU reference on awkward shapes (one
// feature, primes, rank 3, rows wider than a workgroup), rows with a large offset (the
// two-pass variance), gradients for x, gamma and beta by finite differences (CPU, f64) and
// GPU gradients against the CPU engine's, and errors.

import { describe, expect, it } from 'vitest';
import { both, cpu, expectClose, f64, maxAbs, randomArray } from './backends';
import { checkGradients } from './gradcheck';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const U = 2 ** -24;

describe('layerNorm: GPU vs CPU reference', () => {
  const shapes = [[1, 1], [1, 7], [5, 13], [3, 4, 129], [64, 500], [2, 1025]];
  for (const shape of shapes) {
    it(`value and gradients on [${shape.join(', ')}]`, async () => {
      const F = shape.at(-1)!;
      const x = randomArray(size(shape), F, -3, 3);
      const gamma = randomArray(F, 2, 0.5, 1.5);
      const beta = randomArray(F, 3);
      const r = randomArray(size(shape), 4);
      const [g, c] = await both(async (e) => {
        const rt = e.tensor(r, shape);
        const y = e.layerNorm(e.tensor(x, shape), e.tensor(gamma, [F]), e.tensor(beta, [F]));
        expect(y.owned.length).toBe(0); // outside a tape: no saved μ, r (backwardOnly)
        const { value, grads } = await e.valueAndGrad((xt, gt, bt) => e.sum(e.mul(e.layerNorm(xt!, gt!, bt!), rt)))(
          e.tensor(x, shape), e.tensor(gamma, [F]), e.tensor(beta, [F]),
        );
        // the recorded forward (which saves μ, r) computes the same bits as the plain one
        expect(Object.is((await e.sum(e.mul(y, rt)).read())[0], Math.fround(value))).toBe(true);
        return { y: await y.read(), grads: await Promise.all(grads.map((t) => t.read())) };
      });
      // y = x̂·γ + β with |x̂| ≲ √F: sums of F terms, relative error ~ (F + 16)·U of the scale
      expectClose(g.y, c.y, (F + 16) * U * 8, 0, 'y');
      // dx cancels (g − mean(g) − x̂·mean(g·x̂)); dγ, dβ sum over rows: compare to the largest
      g.grads.forEach((gg, i) => expectClose(gg, c.grads[i]!, 1e-5 * Math.max(1, maxAbs(c.grads[i]!)), 0, ['dx', 'dgamma', 'dbeta'][i]));
    });
  }

  it('rows far from 0 (offset 1e4, spread 1) still normalize to mean 0, variance 1', async () => {
    const F = 64;
    const x = randomArray(4 * F, 5, 1e4 - 1, 1e4 + 1);
    const [g] = await both(async (e) => e.layerNorm(e.tensor(x, [4, F]), e.tensor(new Float32Array(F).fill(1), [F]), e.tensor(new Float32Array(F), [F])).read());
    for (let t = 0; t < 4; t++) {
      const row = g.subarray(t * F, (t + 1) * F);
      const mean = row.reduce((a, b) => a + b, 0) / F;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / F;
      // f32 inputs near 1e4 carry ~1e-3 absolute rounding (ulp 2^-10): ~1e-3 relative to σ = 0.58
      expect(Math.abs(mean)).toBeLessThan(1e-2);
      expect(Math.abs(variance - 1)).toBeLessThan(1e-2);
    }
  });

  it('a constant row gives beta (x̂ = 0, eps keeps r finite)', async () => {
    await both(async (e) => {
      const y = await e.layerNorm(e.tensor([2, 2, 2], [1, 3]), e.tensor([1, 1, 1], [3]), e.tensor([0.5, -1, 3], [3])).read();
      expect(Array.from(y)).toEqual([0.5, -1, 3]);
    });
  });

  it('gradients for x, gamma and beta by finite differences, eps 1e-3', async () => {
    const e = await cpu('f64');
    const r = e.tensor(f64(15, 6), [3, 5]);
    await checkGradients(e, (x, g, b) => e.sum(e.mul(e.layerNorm(x!, g!, b!, { eps: 1e-3 }), r)), [
      { data: f64(15, 7), shape: [3, 5] },
      { data: f64(5, 8), shape: [5] },
      { data: f64(5, 9), shape: [5] },
    ]);
  });

  it('errors name the op and the shapes', async () => {
    const e = await cpu();
    const x = e.tensor(new Float32Array(6), [2, 3]);
    const v3 = e.tensor([1, 1, 1], [3]);
    expect(() => e.layerNorm(x, e.tensor([1, 1], [2]), v3)).toThrow(/layerNorm: gamma has shape \[2\], expected \[3\] \(the last axis of x \[2, 3\]\)/);
    expect(() => e.layerNorm(x, v3, e.tensor(new Float32Array(6), [2, 3]))).toThrow(/layerNorm: beta has shape \[2, 3\], expected \[3\]/);
    expect(() => e.layerNorm(x, v3, v3, { eps: -1 })).toThrow(/layerNorm: eps must be a finite number >= 0/);
    expect(() => e.layerNorm(x, v3, v3, 0.1 as never)).toThrow(/layerNorm: options must be an object such as \{ eps: 1e-5 \}, got 0.1/);
  });
});
