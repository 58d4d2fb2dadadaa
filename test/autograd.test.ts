// valueAndGrad: gradients of compositions of the public ops, checked by finite differences
// (CPU, f64) and GPU against CPU; the lecture's quadratic minimized by gradient descent.

import { describe, expect, it } from 'vitest';
import { cpu, expectClose, gpu, randomArray, f64 } from './backends';
import { checkGradients } from './gradcheck';
import { minimize } from '../src/nn/train';
import type { Engine, Tensor } from '../src/index';

describe('valueAndGrad matches finite differences (CPU, f64)', () => {
  it('add, sub, mul, scale with broadcasting', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (a, b, c) => e.sum(e.mul(e.sub(e.add(a!, b!), e.scale(c!, 0.5)), e.add(a!, c!))), [
      { data: f64(15, 1), shape: [5, 3] },
      { data: f64(3, 2), shape: [3] },
      { data: f64(1, 3), shape: [] },
    ]);
  });

  for (const act of ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'softplus'] as const) {
    it(`${act} (inputs away from the kink at 0)`, async () => {
      const e = await cpu('f64');
      const x = f64(12, 4).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v) * 3);
      const w = f64(12, 5);
      const apply = (t: Tensor) => (act === 'leakyRelu' ? e.leakyRelu(t, 0.1) : e[act](t));
      await checkGradients(e, (a) => e.sum(e.mul(apply(a!), e.tensor(w, [3, 4]))), [{ data: x, shape: [3, 4] }]);
    });
  }

  it('sum, mean, max over each axis and over everything', async () => {
    const e = await cpu('f64');
    const w = f64(4, 7);
    await checkGradients(
      e,
      (a) => {
        const parts = [e.sum(e.mul(e.sum(a!, 0), e.tensor(w, [4]))), e.mean(e.max(a!, 1)), e.max(a!), e.mean(a!, -1), e.sum(e.max(a!, 0))];
        return parts.map((p) => e.sum(p)).reduce((s, p) => e.add(s, p));
      },
      [{ data: f64(12, 6), shape: [3, 4] }],
    );
  });

  it('a tensor used twice gets the sum of both paths; unused inputs get zeros', async () => {
    for (const e of [await cpu('f64'), await gpu()]) {
      const x = e.tensor([1, 2, 3], [3]);
      const unused = e.tensor([5, 5], [2]);
      const { value, grads } = await e.valueAndGrad((a, _u) => e.sum(e.mul(a!, a!)))(x, unused);
      expect(value).toBeCloseTo(14, 5);
      expect(Array.from(await grads[0]!.read())).toEqual([2, 4, 6]);
      expect(Array.from(await grads[1]!.read())).toEqual([0, 0]);
    }
  });

  it('reshape views in both directions, and a view reused on two paths', async () => {
    const e = await cpu('f64');
    const w = Float64Array.from({ length: 6 }, (_, i) => 0.3 * i - 0.7);
    await checkGradients(e, (a, b) => {
      const v = e.reshape(a!, [3, 2]); // a view of a, used on two paths
      const flat = e.reshape(e.mul(v, v), [6]); // a view of a product, flattened and back
      const gate = e.sigmoid(e.reshape(flat, [3, 2]));
      return e.sum(e.mul(e.add(v, e.reshape(b!, [3, 2])), gate));
    }, [{ data: w, shape: [2, 3] }, { data: w.map((t) => -t), shape: [6] }]);
  });

  it('valueAndGrad rejects a non-scalar result with a clear error', async () => {
    const e = await cpu();
    const x = e.tensor([1, 2], [2]);
    await expect(e.valueAndGrad((a) => e.relu(a!))(x)).rejects.toThrow(/f must return a scalar tensor \(one element\), got \[2\]/);
  });
});

describe('GPU gradients agree with the CPU reference', () => {
  it('a composition of every elementwise op and reduction', async () => {
    const run = async (e: Engine) => {
      const a = e.tensor(randomArray(7 * 13, 8, -2, 2), [7, 13]);
      const b = e.tensor(randomArray(13, 9), [13]);
      const f = (x: Tensor, y: Tensor) =>
        e.add(e.sum(e.mul(e.sigmoid(e.add(x, y)), e.tanh(x))), e.add(e.mean(e.softplus(e.sub(x, y))), e.sum(e.max(e.leakyRelu(x, 0.2), 1))));
      const { value, grads } = await e.valueAndGrad(f)(a, b);
      return { value, grads: await Promise.all(grads.map((g) => g.read())) };
    };
    const [g, c] = [await run(await gpu()), await run(await cpu())];
    // f32 on both sides; the reductions sum at most 91 terms (rounding ~ 91·6e-8 relative).
    expect(Math.abs(g.value - c.value)).toBeLessThan(1e-5 * Math.abs(c.value) + 1e-6);
    for (let i = 0; i < 2; i++) expectClose(g.grads[i]!, c.grads[i]!, 1e-6, 1e-5);
  });
});

describe("the lecture's quadratic (gradient descent reaches the closed form)", () => {
  // f(x) = x1² + x1(1 − x2) + x2² − x2x3 + x3² + x3, minimum at x = (−1, −1, −1).
  for (const backend of ['webgpu', 'cpu'] as const) {
    it(`${backend}: minimize by gradient descent with the stopping rule ‖∇f‖ < 1e-4`, async () => {
      const e = backend === 'webgpu' ? await gpu() : await cpu();
      const xs = [e.tensor([0], [1]), e.tensor([0], [1]), e.tensor([0], [1])];
      const one = e.tensor([1], [1]);
      const f = () => {
        const [x1, x2, x3] = xs as [Tensor, Tensor, Tensor];
        const terms = [e.mul(x1, x1), e.mul(x1, e.sub(one, x2)), e.mul(x2, x2), e.scale(e.mul(x2, x3), -1), e.mul(x3, x3), x3];
        return e.sum(terms.reduce((s, t) => e.add(s, t)));
      };
      const r = await minimize(e, f, xs, { lr: 0.2, gradTolerance: 1e-4, maxSteps: 500 });
      expect(r.reason).toBe('grad');
      for (const x of xs) expect((await x.read())[0]).toBeCloseTo(-1, 3);
      expect(r.loss).toBeCloseTo(-1, 6); // f(−1, −1, −1) = 1 − 2 + 1 − 1 + 1 − 1 = −1
    });
  }
});
