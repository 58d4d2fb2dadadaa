// Shape ops (transpose, slice, pad, concat, stack, expandDims, squeeze), gather and oneHot:
// GPU vs the CPU reference on awkward shapes, the CPU reference against index arithmetic
// written out here, finite-difference gradients (CPU, f64), and the errors for bad input.
// Copies move values without arithmetic, so GPU and CPU must agree exactly.

import { describe, expect, it } from 'vitest';
import { both, cpu, expectClose, f64, gpu, randomArray } from './backends';
import { checkGradients } from './gradcheck';
import { createEngine, type Engine, type Tensor } from '../src/index';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Runs fn on both backends with tensors made from `inputs`; returns the results' values. */
async function compare(inputs: { data: Float32Array; shape: number[] }[], fn: (e: Engine, ...xs: Tensor[]) => Tensor): Promise<[Float32Array, Float32Array]> {
  return both(async (e) => {
    const xs = inputs.map((x) => e.tensor(x.data, x.shape));
    const out = fn(e, ...xs);
    const v = await out.read();
    out.dispose();
    xs.forEach((x) => x.dispose());
    return v;
  });
}

const input = (shape: number[], seed: number) => ({ data: randomArray(size(shape), seed), shape });

/** Σ w ⊙ op(xs) with fixed random weights w: a scalar whose gradient exercises every output. */
function weighted(e: Engine, y: Tensor, seed: number): Tensor {
  return e.sum(e.mul(y, e.tensor(f64(y.size, seed), y.shape)));
}

describe('transpose', () => {
  const cases: [number[], number[] | undefined][] = [
    [[7], undefined], [[1, 13], undefined], [[13, 1], [1, 0]], [[3, 5], undefined], [[127, 3], [1, 0]],
    [[2, 3, 5], [2, 0, 1]], [[2, 3, 5], [0, 2, 1]], [[5, 1, 7, 3], [3, 1, 0, 2]], [[2, 3, 1, 4, 5], [-1, 0, 2, -2, 1]],
    [[2, 2, 3, 1, 2, 3, 2], [6, 5, 4, 3, 2, 1, 0]],
  ];
  for (const [shape, perm] of cases) {
    it(`${JSON.stringify(shape)} by ${JSON.stringify(perm ?? 'reversed')}: GPU = CPU = index arithmetic`, async () => {
      const x = input(shape, 1);
      const [g, c] = await compare([x], (e, t) => e.transpose(t!, perm));
      expect(g).toEqual(c);
      const r = shape.length;
      const p = (perm ?? shape.map((_, d) => r - 1 - d)).map((a) => (a < 0 ? a + r : a));
      const outShape = p.map((a) => shape[a]!);
      // the last element and one in the middle, located by hand
      for (const flat of [size(shape) - 1, Math.floor(size(shape) / 2)]) {
        let rem = flat;
        const oc = outShape.map(() => 0);
        for (let d = r - 1; d >= 0; d--) {
          oc[d] = rem % outShape[d]!;
          rem = Math.floor(rem / outShape[d]!);
        }
        const xc = new Array<number>(r);
        p.forEach((a, d) => (xc[a] = oc[d]!));
        const src = xc.reduce((acc, v, d) => acc * shape[d]! + v, 0);
        expect(c[flat]).toBe(x.data[src]);
      }
    });
  }

  it('transposes of 4-aligned blocks run as 4 x 4 block transposes, exactly; others as strided copies', async () => {
    // block_transpose (vec4 loads and stores) takes the two innermost axes when they swap and
    // every size and stride is a multiple of 4; outer axes are walked as in strided_copy.
    const device = (await gpu()).device!;
    const blocks: [number[], number[]][] = [[[4, 4], [1, 0]], [[8, 12], [1, 0]], [[3, 8, 16], [0, 2, 1]], [[2, 3, 4, 8], [1, 0, 3, 2]], [[20, 36], [1, 0]]];
    const strided: [number[], number[]][] = [[[8, 6], [1, 0]], [[3, 8, 16], [1, 0, 2]], [[6, 8], [1, 0]]];
    for (const [cases, variant] of [[blocks, 'block transpose 4x4'], [strided, 'strided']] as const) {
      for (const [shape, perm] of cases) {
        const e = await createEngine({ backend: 'webgpu', device });
        const x = input(shape, 7);
        const [g, c] = await compare([x], (k, t) => k.transpose(t!, perm));
        expect(g, `${JSON.stringify(shape)} by ${JSON.stringify(perm)}`).toEqual(c);
        const y = e.transpose(e.tensor(x.data, shape), perm);
        expect(await y.read()).toEqual(c);
        expect(e.stats().kernels.copy, `${JSON.stringify(shape)} by ${JSON.stringify(perm)}`).toEqual([{ variant }]);
        e.destroy();
      }
    }
  });

  it('gradient: the inverse permutation', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (a) => weighted(e, e.transpose(a!, [2, 0, 1]), 2), [{ data: f64(30, 3), shape: [2, 3, 5] }]);
  });

  it('rejects a bad permutation', async () => {
    const e = await cpu();
    const x = e.tensor(new Float32Array(6), [2, 3]);
    expect(() => e.transpose(x, [0, 0])).toThrow(/transpose: perm \[0, 0\] is not a permutation of the 2 axes of \[2, 3\]/);
    expect(() => e.transpose(x, [0, 1, 2])).toThrow(/transpose: perm/);
  });
});

describe('slice and pad', () => {
  it('slice on awkward shapes, size -1 and short begin/size as TF.js', async () => {
    const x = input([5, 7, 3, 2], 4);
    const calls: ((e: Engine, t: Tensor) => Tensor)[] = [
      (e, t) => e.slice(t, [1, 2, 0, 1], [3, -1, 2, 1]),
      (e, t) => e.slice(t, [4, 6, 2, 1], [1, 1, 1, 1]),
      (e, t) => e.slice(t, 2), // rows 2.. of axis 0
      (e, t) => e.slice(t, [0, 3], [5, 2]),
      (e, t) => e.slice(t, [1, 0, 1, 0], [0, 7, 2, 2]), // empty
    ];
    for (const call of calls) {
      const [g, c] = await compare([x], (e, t) => call(e, t!));
      expect(g).toEqual(c);
    }
    const [, c] = await compare([x], (e, t) => e.slice(t!, [1, 2, 0, 1], [3, -1, 2, 1]));
    // out[i, j, k, 0] = x[1 + i, 2 + j, k, 1]; out shape [3, 5, 2, 1]
    expect(c[(2 * 5 + 4) * 2 + 1]).toBe(x.data[((3 * 7 + 6) * 3 + 1) * 2 + 1]);
  });

  it('pad on awkward shapes: zeros around, x inside', async () => {
    for (const [shape, paddings] of [[[7], [[2, 3]]], [[3, 5], [[0, 1], [4, 0]]], [[2, 1, 3, 2], [[1, 1], [0, 2], [3, 0], [0, 0]]], [[0, 3], [[1, 0], [2, 2]]]] as [number[], [number, number][]][]) {
      const x = input(shape, 5);
      const [g, c] = await compare([x], (e, t) => e.pad(t!, paddings));
      expect(g).toEqual(c);
      const outShape = shape.map((d, k) => d + paddings[k]![0] + paddings[k]![1]);
      expect(c.length).toBe(size(outShape));
      const nonzero = Array.from(c).filter((v) => v !== 0).length;
      expect(nonzero).toBe(Array.from(x.data).filter((v) => v !== 0).length);
    }
    // x [3, 5] padded by [[0, 1], [4, 0]]: out[r, 4 + j] = x[r, j]
    const x = input([3, 5], 6);
    const [, c] = await compare([x], (e, t) => e.pad(t!, [[0, 1], [4, 0]]));
    expect(c[2 * 9 + 4 + 3]).toBe(x.data[2 * 5 + 3]);
    expect(c[3 * 9 + 5]).toBe(0);
  });

  it('gradients: slice -> pad, pad -> slice', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (a) => weighted(e, e.slice(a!, [1, 0, 2], [2, -1, 3]), 7), [{ data: f64(60, 8), shape: [4, 3, 5] }]);
    await checkGradients(e, (a) => weighted(e, e.pad(a!, [[1, 2], [0, 3]]), 9), [{ data: f64(6, 10), shape: [2, 3] }]);
  });

  it('rejects out-of-range slices and bad paddings', async () => {
    const e = await cpu();
    const x = e.tensor(new Float32Array(6), [2, 3]);
    expect(() => e.slice(x, [1, 2], [2, 1])).toThrow(/slice: begin \[1, 2\] and size \[2, 1\] do not fit in \[2, 3\]/);
    expect(() => e.slice(x, [-1, 0])).toThrow(/slice/);
    expect(() => e.pad(x, [[1, 1]])).toThrow(/pad: paddings .* one \[before, after\] pair of non-negative integers per axis of \[2, 3\]/);
    expect(() => e.pad(x, [[1, 1], [0, -1]])).toThrow(/pad:/);
  });
});

describe('concat, stack, expandDims, squeeze', () => {
  it('concat along every axis (negative too) of rank-3 tensors of awkward sizes', async () => {
    for (const axis of [0, 1, 2, -1]) {
      const a = axis === -1 ? 2 : axis;
      const shapes = [5, 1, 3].map((n) => [2, 3, 7].map((d, k) => (k === a ? n : d)));
      const xs = shapes.map((s, k) => input(s, 11 + k));
      const [g, c] = await compare(xs, (e, ...ts) => e.concat(ts, axis));
      expect(g).toEqual(c);
      // the first and last elements come from the first and last input
      expect(c[0]).toBe(xs[0]!.data[0]);
      expect(c[c.length - 1]).toBe(xs[2]!.data.at(-1));
    }
  });

  it('stack along a new axis, first to last', async () => {
    for (const axis of [0, 1, 2, -1]) {
      const xs = [0, 1, 2, 3].map((k) => input([3, 5], 20 + k));
      const [g, c] = await compare(xs, (e, ...ts) => e.stack(ts, axis));
      expect(g).toEqual(c);
      const a = axis < 0 ? axis + 3 : axis;
      const outShape = [3, 5];
      outShape.splice(a, 0, 4);
      // out[..., k at axis a, ...] = xs[k] at (row 2, col 4)
      const coord = [2, 4];
      coord.splice(a, 0, 3);
      expect(c[coord.reduce((acc, v, d) => acc * outShape[d]! + v, 0)]).toBe(xs[3]!.data[2 * 5 + 4]);
    }
  });

  it('expandDims and squeeze are reshapes with the documented shapes', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const x = e.tensor(randomArray(6, 30), [2, 1, 3]);
      expect(e.expandDims(x, 0).shape).toEqual([1, 2, 1, 3]);
      expect(e.expandDims(x, -1).shape).toEqual([2, 1, 3, 1]);
      expect(e.expandDims(x, 2).shape).toEqual([2, 1, 1, 3]);
      expect(e.squeeze(x).shape).toEqual([2, 3]);
      expect(e.squeeze(x, -2).shape).toEqual([2, 3]);
      expect(Array.from(await e.squeeze(e.expandDims(x, 3)).read())).toEqual(Array.from(await x.read()));
      expect(() => e.squeeze(x, 0)).toThrow(/squeeze: axis 0 of \[2, 1, 3\] has size 2; only axes of size 1 can be squeezed/);
      expect(() => e.expandDims(x, 4)).toThrow(/expandDims: axis 4 is out of range for shape \[2, 1, 3\]/);
      expect(() => e.expandDims(x, '1' as never)).toThrow(/expandDims: axis '1' is not an integer for shape \[2, 1, 3\] \(expected an integer in \[-4, 3\]\)/);
      expect(() => e.squeeze(x, [1, 1])).toThrow(/squeeze: axes \[1, 1\] of \[2, 1, 3\] name an axis twice/);
      expect(() => e.squeeze(x, '1' as never)).toThrow(/squeeze: axis '1' is not an integer/);
      expect(() => e.argMax(e.tensor([], [2, 0]))).toThrow(/argMax: axis 1 of \[2, 0\] is empty: there is no index to return/);
    }
  });

  it('gradients: concat -> slices, stack -> slices + squeeze', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (a, b) => weighted(e, e.concat([a!, b!, a!], 1), 31), [
      { data: f64(6, 32), shape: [2, 3] },
      { data: f64(2, 33), shape: [2, 1] },
    ]);
    await checkGradients(e, (a, b) => weighted(e, e.stack([a!, b!], 1), 34), [
      { data: f64(6, 35), shape: [3, 2] },
      { data: f64(6, 36), shape: [3, 2] },
    ]);
  });

  it('rejects mismatched shapes with both shapes in the message', async () => {
    const e = await cpu();
    const a = e.tensor(new Float32Array(6), [2, 3]);
    const b = e.tensor(new Float32Array(8), [2, 4]);
    expect(() => e.concat([a, b], 0)).toThrow(/concat: tensor 1 has shape \[2, 4\], tensor 0 has \[2, 3\]; all dims except axis 0 must match/);
    expect(() => e.stack([a, b])).toThrow(/stack: tensor 1 has shape \[2, 4\], tensor 0 has \[2, 3\]/);
    expect(() => e.concat([], 0)).toThrow(/concat: expected a non-empty array of tensors/);
    expect(() => e.concat([a], 2)).toThrow(/concat: axis 2 is out of range/);
  });
});

describe('gather and oneHot', () => {
  const indices = Int32Array.from([3, 0, 3, 6, 1, 3]); // repeated 3s: their gradients must add up

  it('gather along axis 0, 1 and -1 with Int32Array and tensor indices: GPU = CPU', async () => {
    const x = input([7, 5, 7], 40);
    for (const axis of [0, 1, -1]) {
      const len = x.shape[axis < 0 ? axis + 3 : axis]!;
      const idx = indices.map((v) => v % len);
      const [g, c] = await compare([x], (e, t) => e.gather(t!, idx, axis));
      expect(g).toEqual(c);
      const [gt, ct] = await compare([x, { data: Float32Array.from(idx), shape: [2, 3] }], (e, t, i) => e.gather(t!, i!, axis));
      expect(gt).toEqual(ct);
      expect(gt).toEqual(g); // same values, the result shape differs
    }
    // x [7, 5, 7] gathered along 0: out[j, a, b] = x[indices[j], a, b]
    const [, c] = await compare([x], (e, t) => e.gather(t!, indices));
    expect(c[(3 * 5 + 2) * 7 + 4]).toBe(x.data[(6 * 5 + 2) * 7 + 4]);
  });

  it('embedding lookup: the gradient sums repeated indices, deterministically', async () => {
    const [V, D] = [11, 6];
    const table = input([V, D], 41);
    const ids = Int32Array.from([3, 3, 0, 10, 3, 7, 0, 3, 3]);
    const w = randomArray(ids.length * D, 42);
    const grad = async (e: Engine, tensorIds: boolean) => {
      const t = e.tensor(table.data, [V, D]);
      const idx = tensorIds ? e.tensor(Float32Array.from(ids), [ids.length]) : ids;
      const { grads } = await e.valueAndGrad((a) => e.sum(e.mul(e.gather(a!, idx), e.tensor(w, [ids.length, D]))))(t);
      return grads[0]!.read();
    };
    for (const tensorIds of [false, true]) {
      const [g, c] = await both((e) => grad(e, tensorIds));
      // a row used k times sums k products in a fixed order: f32 sums of at most 5 terms
      expectClose(g, c, 1e-6, 0, `gather grad (tensor ids: ${tensorIds})`);
      const again = await grad(await gpu(), tensorIds);
      expect(new Uint32Array(again.buffer)).toEqual(new Uint32Array(g.buffer));
      // row 3 (five uses) gets the sum of the five weight rows; unused rows get 0
      let want = 0;
      ids.forEach((r, j) => (want += r === 3 ? w[j * D + 2]! : 0));
      expect(c[3 * D + 2]).toBeCloseTo(want, 5);
      expect(c[5 * D + 1]).toBe(0);
    }
  });

  it('gradient by finite differences (Int32Array and tensor indices, axis 1)', async () => {
    const e = await cpu('f64');
    const ids = Int32Array.from([2, 0, 2, 2]);
    await checkGradients(e, (a) => weighted(e, e.gather(a!, ids, 1), 43), [{ data: f64(15, 44), shape: [5, 3] }]);
    await checkGradients(e, (a) => weighted(e, e.gather(a!, e.tensor(Float32Array.from(ids), [2, 2]), 1), 45), [{ data: f64(15, 46), shape: [5, 3] }]);
  });

  it('bad indices: an Error for an Int32Array; NaN rows and no gradient from a tensor', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const x = e.tensor(randomArray(12, 47), [4, 3]);
      expect(() => e.gather(x, Int32Array.from([0, 4]))).toThrow(/gather: index 4 at position 1 is out of range for axis 0 of \[4, 3\] \(expected \[0, 4\)\)/);
      expect(() => e.gather(x, Int32Array.from([-1]))).toThrow(/gather: index -1/);
      const bad = e.tensor([1, 4, -1, 2.5, 0], [5]);
      const out = await e.gather(x, bad).read();
      expect(Array.from(out.slice(0, 3))).toEqual(Array.from((await x.read()).slice(3, 6)));
      expect(out.slice(3, 12).every(Number.isNaN)).toBe(true);
      expect(Array.from(out.slice(12))).toEqual(Array.from((await x.read()).slice(0, 3)));
      const { grads } = await e.valueAndGrad((a) => e.sum(e.slice(e.gather(a!, bad), [0, 0], [1, 3])))(x);
      expect(Array.from(await grads[0]!.read())).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    }
  });

  it('oneHot: GPU = CPU = the definition; labels out of range are an Error', async () => {
    const labels = Int32Array.from([0, 6, 3, 3, 1]);
    const [g, c] = await both((e) => e.oneHot(labels, 7).read());
    expect(g).toEqual(c);
    labels.forEach((l, j) => {
      for (let k = 0; k < 7; k++) expect(c[j * 7 + k]).toBe(k === l ? 1 : 0);
    });
    const e = await cpu();
    expect(() => e.oneHot(Int32Array.from([7]), 7)).toThrow(/oneHot: label 7 at position 0 is out of range \(expected \[0, 7\)\)/);
    expect(() => e.oneHot(Int32Array.from([0]), 0)).toThrow(/oneHot: depth must be an integer/);
  });
});
