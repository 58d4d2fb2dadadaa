// Reductions (sum, mean, max over axis 0, the last axis, a middle axis, everything) and
// argMax: GPU vs CPU, determinism, subgradients; and the device-lost path. Then every
// reduction over sets of axes with keepDims (GPU vs CPU vs a NumPy-style loop written here),
// logSumExp's edge values, gradients by finite differences and GPU vs CPU, and sumToShape.

import { describe, expect, it } from 'vitest';
import { both, cpu, expectClose, f64, gpu, randomArray } from './backends';
import { checkGradients } from './gradcheck';
import { createEngine, type Engine, type Tensor } from '../src/index';
import { reduceLayout, sumToShape } from '../src/ops/reduce';
import { PROFILES } from '../src/gpu/profile';

// Sums of n f32 terms in different orders (GPU: strided partial sums + a tree; CPU: f64 then
// rounded) differ by at most ~n·2^-24·Σ|x| in the worst case, ~sqrt(n)·2^-24·Σ|x| typically.
const sumTol = (n: number) => 4 * Math.sqrt(n) * 2 ** -24 * n + 1e-7;

// [20011, 3] over axis 0 and [2, 40009, 3] over axis 1 take the two-pass (chunked) path (len > 16384).
// [13, 8] (last axis) and [49152] (two passes) take the vec4 path (contiguous rows, lengths multiples of 4).
// [3, 37] over the last axis puts several outputs with 2 lanes each in one workgroup
// (reduceLayout below); short axes and 64 or more outputs get one lane each; [37, 128] over
// axis 0 and [3, 5, 64] over axis 1 sum four neighbouring columns per invocation (cols4).
const shapes: number[][] = [[1], [7], [13, 1], [1, 13], [127, 3], [3, 127], [3, 37], [5, 7, 11], [1000, 65], [20011, 3], [2, 40009, 3], [13, 8], [49152], [37, 128], [3, 5, 64]];
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

type Kind = 'sum' | 'mean' | 'max' | 'min' | 'logSumExp' | 'variance';
const KINDS: Kind[] = ['sum', 'mean', 'max', 'min', 'logSumExp', 'variance'];

/** NumPy's reduction of `shape` over `axes` (keepDims false), by coordinates: the reference
 *  for the engine's plans (adjacent view or transpose). */
function naiveReduce(data: ArrayLike<number>, shape: number[], axes: number[], kind: Kind): number[] {
  const groups = new Map<number, number[]>();
  const strides = shape.map((_, d) => size(shape.slice(d + 1)));
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  for (let flat = 0; flat < data.length; flat++) {
    const key = kept.reduce((acc, d) => acc * shape[d]! + (Math.floor(flat / strides[d]!) % shape[d]!), 0);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(data[flat]!);
  }
  return [...groups.keys()].sort((a, b) => a - b).map((k) => {
    const v = groups.get(k)!;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    switch (kind) {
      case 'sum': return mean * v.length;
      case 'mean': return mean;
      case 'max': return Math.max(...v);
      case 'min': return Math.min(...v);
      case 'logSumExp': return Math.log(v.reduce((a, b) => a + Math.exp(b), 0));
      case 'variance': return v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    }
  });
}

function reduceBy(e: Engine, kind: Kind, x: Tensor, axis: number | number[] | undefined, keepDims: boolean): Tensor {
  return e[kind](x, axis, { keepDims });
}

describe('reductions over sets of axes, with keepDims', () => {
  // [0, 2] and [0, 1, 3] are not adjacent: they go through a transpose; [1, 2] of [3, 1, 5]
  // is adjacent once the size-1 axis is ignored.
  const cases: [number[], (number | number[] | undefined)[]][] = [
    [[7], [undefined, 0, [-1]]],
    [[3, 1, 5], [[0, 2], [1, 2], -2, [0, 1, 2]]],
    [[4, 3, 5, 2], [[0, 2], [0, 1, 3], [1, 2], [-1, -4], 3]],
    [[5, 7, 11], [[0, 2], 1, [1, 2]]],
  ];
  for (const [shape, axisList] of cases) {
    it(`every reduction of ${JSON.stringify(shape)} over ${JSON.stringify(axisList)}: GPU = CPU = NumPy loop`, async () => {
      const data = randomArray(size(shape), 50, -2, 2);
      const run = async (e: Engine) => {
        const x = e.tensor(data, shape);
        const out: { shape: readonly number[]; v: Float32Array }[] = [];
        for (const axis of axisList) {
          for (const kind of KINDS) {
            for (const keepDims of [false, true]) {
              const y = reduceBy(e, kind, x, axis, keepDims);
              out.push({ shape: y.shape, v: await y.read() });
              y.dispose();
            }
          }
        }
        return out;
      };
      const [g, c] = await both(run);
      let n = 0;
      for (const axis of axisList) {
        const r = shape.length;
        const axes = axis === undefined ? shape.map((_, d) => d) : [axis].flat().map((a) => (a < 0 ? a + r : a));
        for (const kind of KINDS) {
          const want = naiveReduce(data, shape, axes, kind);
          for (const keepDims of [false, true]) {
            const [gk, ck] = [g[n]!, c[n++]!];
            expect(ck.shape).toEqual(keepDims ? shape.map((d, k) => (axes.includes(k) ? 1 : d)) : shape.filter((_, k) => !axes.includes(k)));
            expect(gk.shape).toEqual(ck.shape);
            // f32 sums of at most 770 terms of |x| <= 2 (the CPU rounds its f64 result once)
            if (kind === 'max' || kind === 'min') expect(gk.v).toEqual(ck.v);
            else expectClose(gk.v, ck.v, 2e-5, 2e-6, `${kind} over ${JSON.stringify(axis)}`);
            expectClose(ck.v, want, 1e-5, 1e-6, `CPU ${kind} over ${JSON.stringify(axis)} vs the loop`);
          }
        }
      }
    });
  }

  it('argMin/argMax: the first index on ties, along any axis; GPU = CPU', async () => {
    const data = [3, 1, 1, 7, 7, 0, 2, 2, 5, 0, 9, 9];
    const [g, c] = await both(async (e) => {
      const x = e.tensor(data, [2, 2, 3]);
      return Promise.all([e.argMin(x, -1), e.argMax(x, -1), e.argMin(x, 0), e.argMax(x, 1)].map((t) => t.read()));
    });
    expect(g).toEqual(c);
    // x[0] = [[3, 1, 1], [7, 7, 0]], x[1] = [[2, 2, 5], [0, 9, 9]]
    expect(Array.from(c[0]!)).toEqual([1, 2, 0, 0]);
    expect(Array.from(c[1]!)).toEqual([0, 0, 2, 1]);
    expect(Array.from(c[2]!)).toEqual([1, 0, 0, 1, 0, 0]);
    expect(Array.from(c[3]!)).toEqual([1, 1, 0, 0, 1, 1]);
  });

  it('logSumExp: rows of ±1e4 are finite, a row of −inf gives −inf, +inf gives +inf, NaN gives NaN', async () => {
    const ln2 = Math.log(2);
    const rows = [1e4, 1e4, -1e4, -1e4, -1e4, -Infinity, -Infinity, -Infinity, 1, Infinity, NaN, 1];
    const [g, c] = await both((e) => e.logSumExp(e.tensor(rows, [6, 2]), 1).read());
    for (const v of [g, c]) {
      // f32 spacing at 1e4 is ~1e-3
      expect(Math.abs(v[0]! - (1e4 + ln2))).toBeLessThan(2e-3);
      expect(Math.abs(v[1]! - (-1e4 + ln2))).toBeLessThan(2e-3);
      expect(v[2]).toBe(-1e4);
      expect(v[3]).toBe(-Infinity);
      expect(v[4]).toBe(Infinity);
      expect(v[5]).toBeNaN();
    }
    // the gradient (softmax) of a −inf row is 0, not NaN
    for (const e of [await gpu(), await cpu()]) {
      const { grads } = await e.valueAndGrad((t) => e.sum(e.logSumExp(t!, 1)))(e.tensor([-Infinity, -Infinity, 3, 3], [2, 2]));
      // exp(3 − (3 + ln 2)) with 3 + ln 2 rounded to f32: within a few ulps of 1/2
      expectClose(await grads[0]!.read(), [0, 0, 0.5, 0.5], 1e-6);
    }
  });

  it('an empty axis list reduces nothing; a scalar reduces to itself (NumPy)', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const x = e.tensor([1, -2, 3, 4, 5, 6], [2, 3]);
      const none = e.variance(x, []);
      expect(none.shape).toEqual([2, 3]);
      expect(Array.from(await none.read())).toEqual([0, 0, 0, 0, 0, 0]);
      expect(Array.from(await e.max(x, [], { keepDims: true }).read())).toEqual([1, -2, 3, 4, 5, 6]);
      const s = e.logSumExp(e.tensor([2], []));
      expect(s.shape).toEqual([]);
      expect(Array.from(await s.read())).toEqual([2]);
    }
  });

  it('rejects repeated or out-of-range axes and a bad keepDims', async () => {
    const e = await cpu();
    const x = e.tensor(new Float32Array(6), [2, 3]);
    expect(() => e.sum(x, [1, -1])).toThrow(/sum: axis \[1, -1\] names an axis twice for shape \[2, 3\]/);
    expect(() => e.variance(x, [0, 2])).toThrow(/variance: axis 2 is out of range for shape \[2, 3\]/);
    expect(() => e.max(x, 0, { keepDims: 1 as unknown as boolean })).toThrow(/max: keepDims must be a boolean/);
    expect(() => e.min(e.tensor([], [2, 0]), 1)).toThrow(/min: cannot reduce an empty axis of shape \[2, 0\]/);
  });
});

describe('reduction gradients', () => {
  const shape = [3, 4, 2];
  // distinct values >= 1e-2 apart, so max/min's arg does not move under the ±1e-5 steps
  const data = Float64Array.from({ length: 24 }, (_, i) => ((i * 7) % 24) * 0.05 - 0.6);
  for (const kind of KINDS) {
    it(`${kind}: finite differences (CPU f64) over [0, 2], [1] with keepDims, and everything`, async () => {
      const e = await cpu('f64');
      const w = (y: Tensor, seed: number) => e.tensor(f64(y.size, seed), y.shape);
      await checkGradients(e, (x) => {
        const a = reduceBy(e, kind, x!, [0, 2], false);
        const b = reduceBy(e, kind, x!, 1, true);
        return e.add(e.add(e.sum(e.mul(a, w(a, 60))), e.sum(e.mul(b, w(b, 61)))), e.scale(reduceBy(e, kind, x!, undefined, false), 0.3));
      }, [{ data, shape }]);
    });
  }

  it('GPU backward kernels = CPU for every reduction', async () => {
    const [g, c] = await both(async (e) => {
      const out: Float32Array[] = [];
      for (const kind of KINDS) {
        for (const axis of [[0, 2], -1, undefined]) {
          const x = e.tensor(Float32Array.from(data), shape);
          const { grads } = await e.valueAndGrad((t) => {
            const y = reduceBy(e, kind, t!, axis, true);
            return e.sum(e.mul(y, e.tensor(randomArray(y.size, 62), y.shape)));
          })(x);
          out.push(await grads[0]!.read());
        }
      }
      return out;
    });
    g.forEach((v, k) => expectClose(v, c[k]!, 1e-6, 1e-5, `gradient ${k}`));
  });
});

describe('sumToShape (the backward of NumPy broadcasting)', () => {
  it('sums the stretched and the leading axes; returns g itself when shapes match', async () => {
    const gShape = [2, 3, 4];
    const data = randomArray(24, 70);
    const targets = [[3, 1], [1], [4], [2, 1, 4], [], [1, 3, 1], [2, 3, 4]];
    const [g, c] = await both(async (e) => {
      const t = e.tensor(data, gShape);
      expect(sumToShape(e, t, gShape)).toBe(t);
      return Promise.all(targets.map(async (s) => {
        const r = sumToShape(e, t, s);
        expect(r.shape).toEqual(s);
        return r.read();
      }));
    });
    targets.forEach((s, k) => {
      expectClose(g[k]!, c[k]!, 1e-6, 1e-6);
      const lead = gShape.length - s.length;
      const axes = gShape.map((_, d) => d).filter((d) => d < lead || s[d - lead] === 1);
      expectClose(c[k]!, naiveReduce(data, gShape, axes, 'sum'), 1e-6, 1e-6, `to ${JSON.stringify(s)}`);
    });
    const e = await cpu();
    expect(() => sumToShape(e, e.tensor(data, gShape), [2, 4])).toThrow(/sumToShape: a gradient of shape \[2, 3, 4\] does not sum to \[2, 4\]/);
  });
});

describe('reduceLayout', () => {
  it('gives an output more lanes as its axis grows, up to the tree width; one lane fills a workgroup', () => {
    for (const profile of [PROFILES.software, PROFILES.integrated, PROFILES.discrete]) {
      const policy = profile.reduce;
      const widest = profile.reduce.maxLanes;
      let prev = 0;
      for (const len of [0, 1, 31, 32, 64, 100, 1000, 5000, 1e6]) {
        const { workgroup, lanes, outputsAdjacent } = reduceLayout(len, 1, 1, policy);
        expect(lanes).toBeGreaterThanOrEqual(prev);
        expect(Number.isInteger(Math.log2(lanes)) && lanes <= workgroup && workgroup % lanes === 0).toBe(true);
        expect(lanes === 1 || len >= 16 * lanes).toBe(true); // each lane folds at least 16 elements
        expect(workgroup).toBe(lanes === 1 ? 64 : widest);
        expect(outputsAdjacent).toBe(false);
        prev = lanes;
      }
      expect(reduceLayout(1e6, 1, 1, policy).lanes).toBe(widest);
      // columns (inner > 1): neighbouring invocations take neighbouring outputs; enough of them
      // to fill the device fold serially
      expect(reduceLayout(1e6, 8, 8, policy)).toEqual({ workgroup: widest, lanes: widest, outputsAdjacent: true });
      expect(reduceLayout(1e6, 1 << 14, 1 << 14, policy)).toEqual({ workgroup: 64, lanes: 1, outputsAdjacent: true });
    }
    // SwiftShader folds rows serially too once there are 1024 of them (16 workgroups), not
    // before: the first pass of a 1M sum (64 chunks of 16K) keeps 64 workgroups
    expect(reduceLayout(1024, 1024, 1, PROFILES.software.reduce).lanes).toBe(1);
    expect(reduceLayout(4096, 64, 1, PROFILES.software.reduce)).toEqual({ workgroup: 8, lanes: 8, outputsAdjacent: false });
    expect(reduceLayout(1024, 1024, 1, PROFILES.integrated.reduce).lanes).toBe(64);
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
