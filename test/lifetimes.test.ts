// Tensor lifetimes and hazards found in review, on both backends: a reduction's scratch buffer
// is never reused before the reduction runs; valueAndGrad never disposes what the caller owns;
// tensors disposed inside f (e.g. by a tidy) live until backward is done; nested gradients and
// aliased in-place updates are refused clearly; NaN is the maximum on the GPU as on the CPU.
// Views (reshape) share their source's storage: it is freed once, when the last tensor on it
// goes, and whatever valueAndGrad hands out is the caller's alone.

import { describe, expect, it } from 'vitest';
import { cpu, gpu } from './backends';
import type { Engine } from '../src/index';
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

    it(`${name}: disposing the source of a view keeps the view readable`, async () => {
      const e = await make();
      const x = e.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const v = e.reshape(x, [3, 2]);
      x.dispose();
      expect(v.shape).toEqual([3, 2]);
      expect(Array.from(await v.read())).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(await e.sum(v, 0).read())).toEqual([9, 12]);
      v.dispose();
    });

    it(`${name}: reshape copies nothing and dispatches nothing (a write to the source shows through)`, async () => {
      const e = await make();
      const x = e.tensor([1, 2, 3, 4], [4]);
      const before = e.stats().queue.dispatches;
      const v = e.reshape(x, [2, 2]);
      expect(e.stats().queue.dispatches).toBe(before);
      e.write(x, [5, 6, 7, 8]);
      expect(Array.from(await v.read())).toEqual([5, 6, 7, 8]);
      expect(() => e.update(addInPlace, [x], [v], {})).toThrow(/addInPlace: a tensor is passed twice, or two views of one storage/);
      [x, v].forEach((t) => t.dispose());
    });

    it(`${name}: a view returned from tidy survives the disposal of its source`, async () => {
      const e = await make();
      const before = e.stats().liveTensors;
      const v = e.tidy(() => e.reshape(e.scale(e.tensor([1, 2, 3], [3]), 2), [1, 3]));
      expect(e.stats().liveTensors).toBe(before + 1); // the source and the upload are gone
      expect(Array.from(await v.read())).toEqual([2, 4, 6]);
      v.dispose();
      expect(e.stats().liveTensors).toBe(before);
    });

    it(`${name}: valueAndGrad hands out a copy, not a view, of an input that f reshapes`, async () => {
      const e = await make();
      const x = e.tensor([3], [1]);
      const { value, grads } = e.gradients((a) => e.reshape(a!, []), [x]);
      e.write(value, [9]); // must not write into x
      expect(Array.from(await x.read())).toEqual([3]);
      value.dispose();
      expect(Array.from(await x.read())).toEqual([3]);
      expect(Array.from(await grads[0]!.read())).toEqual([1]);
      grads[0]!.dispose();
    });

    it(`${name}: gradients that would view one buffer are handed out as separate tensors`, async () => {
      const e = await make();
      const a = e.tensor([1, 2], [1, 2]);
      const b = e.tensor([3, 4], [1, 2]);
      // add's gradient is dy itself for both sides; reshape's backward views it twice
      const { value, grads } = e.gradients((p, q) => e.sum(e.add(e.reshape(p!, [2]), e.reshape(q!, [2]))), [a, b]);
      e.write(grads[0]!, [7, 7]);
      expect(Array.from(await grads[1]!.read())).toEqual([1, 1]);
      e.update(addInPlace, [grads[0]!], [grads[1]!], {}); // distinct storages: allowed
      expect(Array.from(await grads[0]!.read())).toEqual([8, 8]);
      [value, ...grads, a, b].forEach((t) => t.dispose());
    });

    it(`${name}: the source of a view disposed inside f lives until backward is done, then is freed`, async () => {
      const e = await make();
      const x = e.tensor([0.5, -1], [2]);
      const before = e.stats().liveTensors;
      const { value, grads } = await e.valueAndGrad((a) => {
        const s = e.sigmoid(a!); // its backward reads s
        const v = e.reshape(s, [1, 2]);
        s.dispose();
        return e.sum(v);
      })(x);
      const sig = (t: number) => 1 / (1 + Math.exp(-t));
      expect(value).toBeCloseTo(sig(0.5) + sig(-1), 6);
      expect((await grads[0]!.read())[0]).toBeCloseTo(sig(0.5) * (1 - sig(0.5)), 6);
      grads[0]!.dispose();
      expect(e.stats().liveTensors).toBe(before);
    });
  }

  it('webgpu: a buffer shared by a tensor and its views returns to the pool once, after the last', async () => {
    const e: Engine = await gpu();
    const live = () => e.stats().pool!.liveBuffers;
    const before = live();
    const x = e.tensor([1, 2, 3, 4], [4]);
    const v1 = e.reshape(x, [2, 2]);
    const v2 = e.reshape(v1, [1, 4]);
    expect(live()).toBe(before + 1);
    x.dispose();
    v1.dispose();
    expect(live()).toBe(before + 1);
    expect(Array.from(await v2.read())).toEqual([1, 2, 3, 4]);
    v2.dispose(); // a second release of the buffer would throw in the pool
    v2.dispose();
    expect(live()).toBe(before);
  });
});
