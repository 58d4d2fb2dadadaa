// Tensor lifetimes and hazards found in review, on both backends: a reduction's scratch buffer
// is never reused before the reduction runs; valueAndGrad never disposes what the caller owns;
// tensors disposed inside f (e.g. by a tidy) live until backward is done; nested gradients and
// aliased in-place updates are refused clearly; NaN is the maximum on the GPU as on the CPU.

import { describe, expect, it } from 'vitest';
import { cpu, gpu } from './backends';
import { addInPlace } from '../src/ops/elementwise';

const backends = [
  ['webgpu', gpu],
  ['cpu', () => cpu()],
] as const;

describe('lifetimes', () => {
  it('an early submit (many released bytes) never frees a two-pass reduction\'s scratch buffer', async () => {
    const e = await gpu();
    const x = e.tensor(new Float32Array(40000).fill(1), [40000]); // long enough for two passes
    const big = e.zeros([17_000_000]); // ~68 MiB: disposing it passes the early-submit threshold
    await e.sync();
    big.dispose();
    const s = e.sum(x); // two passes through a scratch buffer
    const t = e.tensor([1000], [1]); // an upload that must not land in that scratch buffer
    expect((await s.read())[0]).toBe(40000);
    [t, s, x].forEach((u) => u.dispose());
  });

  for (const [name, make] of backends) {
    it(`${name}: valueAndGrad spares inputs and constants that f returns`, async () => {
      const e = await make();
      const x = e.tensor([3], []);
      const c = e.tensor([5], []);
      const r1 = await e.valueAndGrad((a) => a!)(x);
      expect(r1.value).toBe(3);
      expect(Array.from(await r1.grads[0]!.read())).toEqual([1]);
      const r2 = await e.valueAndGrad((_a) => c)(x);
      expect(r2.value).toBe(5);
      expect(Array.from(await r2.grads[0]!.read())).toEqual([0]);
      expect([x.isDisposed, c.isDisposed]).toEqual([false, false]);
    });

    it(`${name}: a tidy (or dispose) inside f does not free what backward needs`, async () => {
      const e = await make();
      const x = e.tensor([0.5, -1], [2]);
      const before = e.stats().liveTensors;
      const { value, grads } = await e.valueAndGrad((a) => e.tidy(() => e.sum(e.sigmoid(a!))))(x);
      const s = (v: number) => 1 / (1 + Math.exp(-v));
      expect(value).toBeCloseTo(s(0.5) + s(-1), 6);
      const g = await grads[0]!.read();
      expect(g[0]).toBeCloseTo(s(0.5) * (1 - s(0.5)), 6);
      grads[0]!.dispose();
      expect(e.stats().liveTensors).toBe(before); // everything f made was freed afterwards
    });

    it(`${name}: nested gradients and aliased in-place updates are refused`, async () => {
      const e = await make();
      const x = e.tensor([2], [1]);
      await expect(e.valueAndGrad((a) => e.sum(e.gradients((b) => e.sum(e.mul(b!, b!)), [a!]).grads[0]!))(x)).rejects.toThrow(
        /nested gradients .* not supported/,
      );
      expect(x.isDisposed).toBe(false);
      expect(() => e.update(addInPlace, [x], [x], {})).toThrow(/addInPlace: a tensor is passed twice/);
    });

    it(`${name}: max treats NaN as the maximum (the first NaN), like the CPU reference and PyTorch`, async () => {
      const e = await make();
      for (const data of [[NaN, 1, 2, 3], [1, 2, NaN, 0], [1, NaN, 3, 2, 5, 6, 7, 8, 9, 10, NaN]]) {
        const t = e.tensor(data, [data.length]);
        expect((await e.max(t).read())[0]).toBeNaN();
        expect((await e.argMax(t).read())[0]).toBe(data.findIndex(Number.isNaN));
      }
    });
  }
});
