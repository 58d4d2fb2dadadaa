// Losses (mseLoss, binaryCrossEntropy, softmaxCrossEntropy with class indices or target
// rows, label smoothing): WebGPU against the CPU reference through the public API, the
// lecture identities (∇_z CE = (y - d)/T, smoothed targets 1 - (K-1)ε and ε), extreme
// logits, every backward rule by finite differences (CPU, f64), determinism, and errors.

import { describe, expect, it } from 'vitest';
import { cpu, expectClose, gpu, randomArray, both, f64, maxAbs } from './backends';
import { checkGradients } from './gradcheck';
import type { Engine, Tensor } from '../src/index';

/** f32 unit roundoff. */
const U = 2 ** -24;
/** Relative error allowed for a value that depends on a sum of n f32 terms, with an exp or
 *  log on the way: exp/log may be off by tens of ulps (WGSL allows exp 3 + 2|x| ulp, |x| ≤ 10
 *  here), and a sum of n terms by ≲ n·U in the worst case, ~sqrt(n)·U typically (strided
 *  partial sums, then a tree): we allow 48 U + 4·sqrt(n)·U (measured: ≤ 32 U). */
const sumTol = (n: number) => (48 + 4 * Math.sqrt(n)) * U;

/** Row-normalised random probabilities (soft targets). */
function probabilities(T: number, K: number, seed: number): Float32Array {
  const p = randomArray(T * K, seed, 0.01, 1);
  for (let o = 0; o < p.length; o += K) {
    let s = 0;
    for (let j = o; j < o + K; j++) s += p[j]!;
    for (let j = o; j < o + K; j++) p[j]! /= s;
  }
  return p;
}

const classes = (T: number, K: number) => Int32Array.from({ length: T }, (_, t) => (t * 7 + 3) % K);

type Case = { name: string; loss: (e: Engine, x: Tensor, T: number, K: number) => Tensor; lo: number; hi: number };
const cases: Case[] = [
  { name: 'mseLoss', lo: -1, hi: 1, loss: (e, y, T, K) => e.mseLoss(y, e.tensor(randomArray(T * K, 2), [T, K])) },
  { name: 'binaryCrossEntropy', lo: 0.01, hi: 0.99, loss: (e, p, T, K) => e.binaryCrossEntropy(p, e.tensor(randomArray(T * K, 3, 0, 1), [T, K])) },
  { name: 'softmaxCrossEntropy (class indices)', lo: -5, hi: 5, loss: (e, z, T, K) => e.softmaxCrossEntropy(z, classes(T, K)) },
  {
    name: 'softmaxCrossEntropy (class indices, labelSmoothing 0.1)',
    lo: -5,
    hi: 5,
    loss: (e, z, T, K) => e.softmaxCrossEntropy(z, classes(T, K), { labelSmoothing: 0.1 }),
  },
  { name: 'softmaxCrossEntropy (target rows)', lo: -5, hi: 5, loss: (e, z, T, K) => e.softmaxCrossEntropy(z, e.tensor(probabilities(T, K, 4), [T, K])) },
  {
    // rows that do not sum to 1 (multi-label): the gradient is (softmax(z)·Σ_i t_i - t)/T
    name: 'softmaxCrossEntropy (unnormalised target rows, labelSmoothing 0.3)',
    lo: -5,
    hi: 5,
    loss: (e, z, T, K) => e.softmaxCrossEntropy(z, e.tensor(randomArray(T * K, 5, 0, 1), [T, K]), { labelSmoothing: 0.3 }),
  },
];

describe('losses: GPU vs CPU, value and gradient w.r.t. the first input', () => {
  const shapes: [number, number][] = [[1, 1], [1, 10], [7, 13], [127, 1], [64, 10], [3, 4099]];
  for (const c of cases) {
    for (const [T, K] of shapes) {
      it(`${c.name} on [${T}, ${K}]`, async () => {
        const x = randomArray(T * K, 1 + K, c.lo, c.hi);
        const [g, r] = await both(async (e) => {
          const { value, grads } = await e.valueAndGrad((t) => c.loss(e, t!, T, K))(e.tensor(x, [T, K]));
          return { value, grad: await grads[0]!.read() };
        });
        expect(Number.isFinite(g.value)).toBe(true);
        // every per-row term is ≥ 0, so the loss has no cancellation: a relative bound
        expect(Math.abs(g.value - r.value)).toBeLessThanOrEqual(sumTol(T * K) * Math.abs(r.value) + 1e-30);
        // a gradient element may cancel (p ≈ d): compare on the scale of the largest one
        expectClose(g.grad, r.grad, sumTol(K) * maxAbs(r.grad) + 1e-30, 0, 'gradient');
      });
    }
  }

  it('rows of length 0 cost 0 (and the gradient is empty)', async () => {
    await both(async (e) => {
      const x = e.tensor([], [3, 0]);
      const values = [e.mseLoss(x, x), e.binaryCrossEntropy(x, x), e.softmaxCrossEntropy(x, x)];
      for (const v of values) expect(Array.from(await v.read())).toEqual([0]);
    });
  });

  it('the mean is over rows of the last axis (rank 3: T = 2·3 rows of 4)', async () => {
    const y = randomArray(24, 5);
    const d = randomArray(24, 6);
    let want = 0;
    for (let i = 0; i < 24; i++) want += 0.5 * (y[i]! - d[i]!) ** 2;
    want /= 6;
    const [g, c] = await both((e) => e.mseLoss(e.tensor(y, [2, 3, 4]), e.tensor(d, [2, 3, 4])).read());
    for (const v of [g[0]!, c[0]!]) expect(Math.abs(v - want)).toBeLessThanOrEqual(sumTol(24) * want);
  });
});

describe('softmaxCrossEntropy: the lecture identities and extremes', () => {
  it('one read of each row: a max that rises at every logit keeps the digits, with or without the gradient', async () => {
    // The GPU keeps Σ t (x − m) relative to a running max m and re-bases it whenever m
    // rises; ascending rows re-base at every element. Offsets up to 1e4 make x − m lose
    // digits if it were formed as (x − 0) − m. Labels first (re-based K−1 times) and last.
    const K = 13;
    const offsets = [0, -37.5, 1000, -1000, 1e4];
    const rows: number[][] = [];
    offsets.forEach((off, i) => {
      const steps = Array.from(randomArray(K, 120 + i, 0.05, 1.5));
      let v = off;
      rows.push(steps.map((s) => (v += s)));
    });
    const T = rows.length;
    const x = new Float32Array(rows.flat());
    const labels = Int32Array.from({ length: T }, (_, t) => (t % 2 === 0 ? 0 : K - 1));
    const dense = probabilities(T, K, 131);
    const e = await gpu();
    const c = await cpu('f64');
    for (const [name, target, opts] of [
      ['class indices', labels, {}],
      ['class indices, labelSmoothing 0.2', labels, { labelSmoothing: 0.2 }],
      ['target rows', dense, {}],
    ] as const) {
      const loss = async (eng: Engine, withGrad: boolean) => {
        const d = target instanceof Int32Array ? target : eng.tensor(target, [T, K]);
        if (withGrad) return (await eng.valueAndGrad((z) => eng.softmaxCrossEntropy(z!, d, opts))(eng.tensor(x, [T, K]))).value;
        return (await eng.softmaxCrossEntropy(eng.tensor(x, [T, K]), d, opts).read())[0]!;
      };
      const want = await loss(c, false);
      const forward = await loss(e, false);
      expect(Math.abs(forward - want), name).toBeLessThanOrEqual(sumTol(T * K) * want);
      // the loss comes from the same pass either way: bit-identical
      expect(await loss(e, true), name).toBe(forward);
    }
  });

  it('∇_z CE = (softmax(z) - d)/T with one-hot d (valueAndGrad)', async () => {
    const [T, K] = [16, 10];
    const z = randomArray(T * K, 7, -4, 4);
    const labels = classes(T, K);
    await both(async (e) => {
      const { value, grads } = await e.valueAndGrad((t) => e.softmaxCrossEntropy(t!, labels))(e.tensor(z, [T, K]));
      const grad = await grads[0]!.read();
      let loss = 0;
      const want = new Float64Array(T * K);
      for (let t = 0; t < T; t++) {
        const row = Array.from(z.subarray(t * K, (t + 1) * K));
        const m = Math.max(...row);
        const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
        row.forEach((v, j) => (want[t * K + j] = (Math.exp(v - m) / s - (j === labels[t] ? 1 : 0)) / T));
        loss -= (row[labels[t]!]! - m - Math.log(s)) / T;
      }
      expect(Math.abs(value - loss)).toBeLessThanOrEqual(sumTol(T * K) * loss);
      expectClose(grad, want, sumTol(K) / T, 0, `${e.backend} ∇z`);
    });
  });

  it('label smoothing α: targets 1 - (K-1)ε on the true class and ε elsewhere, ε = α/K', async () => {
    const [T, K, alpha] = [8, 5, 0.2];
    const eps = alpha / K;
    const z = randomArray(T * K, 8, -3, 3);
    const labels = classes(T, K);
    const smoothed = new Float32Array(T * K).map((_, i) => (i % K === labels[Math.floor(i / K)] ? 1 - (K - 1) * eps : eps));
    await both(async (e) => {
      const zt = e.tensor(z, [T, K]);
      // from the gradient: d = softmax(z) - T·∇z
      const { value, grads } = await e.valueAndGrad((t) => e.softmaxCrossEntropy(t!, labels, { labelSmoothing: alpha }))(zt);
      const grad = await grads[0]!.read();
      const y = await e.softmax(zt).read();
      const targets = y.map((v, i) => v - T * grad[i]!);
      expectClose(targets, smoothed, sumTol(K), 0, `${e.backend} smoothed targets`);
      // and directly: the same loss as unsmoothed CE against the smoothed target rows
      const direct = await e.softmaxCrossEntropy(zt, e.tensor(smoothed, [T, K])).read();
      expect(Math.abs(value - direct[0]!)).toBeLessThanOrEqual(sumTol(T * K) * value);
      // smoothing applies to target rows too: (1 - α)·onehot + α/K
      const onehot = new Float32Array(T * K).map((_, i) => (i % K === labels[Math.floor(i / K)] ? 1 : 0));
      const viaRows = await e.softmaxCrossEntropy(zt, e.tensor(onehot, [T, K]), { labelSmoothing: alpha }).read();
      expect(Math.abs(value - viaRows[0]!)).toBeLessThanOrEqual(sumTol(T * K) * value);
    });
  });

  it('a true-class probability near 0 (logit gap 200) gives a finite loss ≈ the gap', async () => {
    const K = 10;
    const z = new Float32Array(2 * K);
    z[0] = 200; // row 0: class 0 leads by 200, the label is class 3
    z[K + 5] = 200; // row 1: class 5 leads by 200, the label is class 5 (loss ≈ 0)
    await both(async (e) => {
      const { value, grads } = await e.valueAndGrad((t) => e.softmaxCrossEntropy(t!, Int32Array.of(3, 5)))(e.tensor(z, [2, K]));
      const grad = await grads[0]!.read();
      // (200 + log(1 + 9 e^-200) + log(1 + 9 e^-200)) / 2 = 100 in f32
      expect(Math.abs(value - 100)).toBeLessThanOrEqual(100 * 4 * U);
      expect(grad.every(Number.isFinite)).toBe(true);
      expect(grad[0]).toBeCloseTo(0.5, 6); // (1 - 0)/T
      expect(grad[3]).toBeCloseTo(-0.5, 6); // (e^-200 - 1)/T
    });
  });

  it('logits ±1000 give a finite loss and gradient', async () => {
    const z = [1000, -1000, 0, 999, -1000, 1000, 1000, -1000];
    await both(async (e) => {
      const { value, grads } = await e.valueAndGrad((t) => e.softmaxCrossEntropy(t!, Int32Array.of(1, 2), { labelSmoothing: 0.1 }))(e.tensor(z, [2, 4]));
      expect(Number.isFinite(value)).toBe(true);
      // row 0: -Σ t log p with log p = z - 1000 - log(1 + e^-1), t = 0.925 on class 1, 0.025 elsewhere
      const lse0 = 1000 + Math.log1p(Math.exp(-1));
      const row0 = -[0, 1, 2, 3].reduce((a, j) => a + (j === 1 ? 0.925 : 0.025) * (z[j]! - lse0), 0);
      const lse1 = 1000 + Math.log(2);
      const row1 = -[4, 5, 6, 7].reduce((a, j) => a + (j === 6 ? 0.925 : 0.025) * (z[j]! - lse1), 0);
      expect(Math.abs(value - (row0 + row1) / 2)).toBeLessThanOrEqual(16 * U * value);
      expect((await grads[0]!.read()).every(Number.isFinite)).toBe(true);
    });
  });

  it('an all -inf row costs log K and pushes toward uniform, as the CPU reference', async () => {
    const K = 4;
    const z = [-Infinity, -Infinity, -Infinity, -Infinity];
    const [g, c] = await both(async (e) => {
      const { value, grads } = await e.valueAndGrad((t) => e.softmaxCrossEntropy(t!, Int32Array.of(2)))(e.tensor(z, [1, K]));
      return { value, grad: Array.from(await grads[0]!.read()) };
    });
    for (const r of [g, c]) {
      expect(r.value).toBeCloseTo(Math.log(K), 6);
      expect(r.grad).toEqual([0.25, 0.25, -0.75, 0.25]);
    }
  });

  it('a NaN or +inf logit poisons only its own row, also where rows share a vec4 (unaligned rows)', async () => {
    // The GPU reads rows as the aligned vec4s of the flat buffer: with K = 5, 7 or 10, a
    // vec4 holds the end of one row and the start of the next, whose lanes must be masked.
    for (const K of [5, 7, 10]) {
      const rows: number[][] = [];
      const base = Array.from(randomArray(K, 80 + K, -4, 4));
      for (const bad of [NaN, Infinity]) {
        rows.push(base, base.map((v, j) => (j === 0 ? bad : v)), base, base.map((v, j) => (j === K - 1 ? bad : v)));
      }
      rows.push(base.map(() => -Infinity), base.map((v, j) => (j % 2 === 0 ? -Infinity : v)), base);
      const T = rows.length;
      const x = rows.flat();
      for (const dense of [false, true]) {
        const [g, c] = await both(async (e) => {
          const labels = dense ? e.tensor(probabilities(T, K, 90 + K), [T, K]) : classes(T, K);
          const { value, grads } = await e.valueAndGrad((z) => e.softmaxCrossEntropy(z!, labels, { labelSmoothing: 0.1 }))(e.tensor(x, [T, K]));
          return { value, grad: await grads[0]!.read() };
        });
        expect(Number.isNaN(g.value)).toBe(true);
        expect(Number.isNaN(c.value)).toBe(true);
        const nanAt = (a: Float32Array) => Array.from(a, Number.isNaN);
        expect(nanAt(g.grad), `K = ${K}, ${dense ? 'dense targets' : 'class indices'}`).toEqual(nanAt(c.grad));
        const keep = (a: Float32Array) => a.map((v) => (Number.isNaN(v) ? 0 : v));
        expectClose(keep(g.grad), keep(c.grad), sumTol(K) * maxAbs(keep(c.grad)), 0, `K = ${K} gradient`);
      }
    }
  });

  it('sigmoid + binaryCrossEntropy equals 2-class softmaxCrossEntropy on logits [0, z]', async () => {
    const T = 20;
    const z = randomArray(T, 9, -3, 3);
    const d = randomArray(T, 10, 0, 1);
    const logits = new Float32Array(2 * T).map((_, i) => (i % 2 === 1 ? z[(i - 1) / 2]! : 0));
    const targets = new Float32Array(2 * T).map((_, i) => (i % 2 === 1 ? d[(i - 1) / 2]! : 1 - d[i / 2]!));
    await both(async (e) => {
      const bce = (await e.binaryCrossEntropy(e.sigmoid(e.tensor(z, [T, 1])), e.tensor(d, [T, 1])).read())[0]!;
      const ce = (await e.softmaxCrossEntropy(e.tensor(logits, [T, 2]), e.tensor(targets, [T, 2])).read())[0]!;
      // log of a sigmoid in [0.05, 0.95]: a few ulps each (the GPU sigmoid is absolute-accurate)
      expect(Math.abs(bce - ce)).toBeLessThanOrEqual(sumTol(2 * T) * ce);
    });
  });
});

describe('backward rules match finite differences (CPU, f64)', () => {
  const shape = [3, 4];
  it('mseLoss w.r.t. y (y - d)/T and d -(y - d)/T', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (y, d) => e.mseLoss(y!, d!), [
      { data: f64(12, 61), shape },
      { data: f64(12, 62), shape },
    ]);
  });

  it('binaryCrossEntropy w.r.t. p (p - d)/(p(1-p))/T and d (log(1-p) - log p)/T', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (p, d) => e.binaryCrossEntropy(p!, d!), [
      { data: f64(12, 63, 0.05, 0.95), shape },
      { data: f64(12, 64, 0.05, 0.95), shape },
    ]);
  });

  it('softmaxCrossEntropy with class indices and smoothing w.r.t. the logits', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (z) => e.softmaxCrossEntropy(z!, Int32Array.of(1, 0, 3), { labelSmoothing: 0.1 }), [{ data: f64(12, 65, -2, 2), shape }]);
  });

  it('softmaxCrossEntropy with target rows w.r.t. the logits and the targets -(1-α) log softmax(z)/T', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (z, d) => e.softmaxCrossEntropy(z!, d!, { labelSmoothing: 0.2 }), [
      { data: f64(12, 66, -2, 2), shape },
      { data: Float64Array.from(probabilities(3, 4, 67)), shape },
    ]);
  });

  it('a loss inside a composition: mseLoss(softmax(z), d) + 0.5·softmaxCrossEntropy(z, labels)', async () => {
    const e = await cpu('f64');
    const half = e.tensor([0.5], []);
    await checkGradients(e, (z, d) => e.add(e.mseLoss(e.softmax(z!), d!), e.mul(e.softmaxCrossEntropy(z!, Int32Array.of(2, 2, 0)), half)), [
      { data: f64(12, 68, -2, 2), shape },
      { data: f64(12, 69, 0, 1), shape },
    ]);
  });
});

describe('GPU gradients w.r.t. the targets agree with the CPU reference', () => {
  const [T, K] = [9, 11];
  const targetCases: [string, number, number, (e: Engine, x: Tensor, d: Tensor) => Tensor, Float32Array][] = [
    ['mseLoss', -1, 1, (e, y, d) => e.mseLoss(y, d), randomArray(T * K, 71)],
    ['binaryCrossEntropy', 0.02, 0.98, (e, p, d) => e.binaryCrossEntropy(p, d), randomArray(T * K, 72, 0, 1)],
    ['softmaxCrossEntropy', -4, 4, (e, z, d) => e.softmaxCrossEntropy(z, d, { labelSmoothing: 0.1 }), probabilities(T, K, 73)],
  ];
  for (const [name, lo, hi, f, d] of targetCases) {
    it(name, async () => {
      const x = randomArray(T * K, 74, lo, hi);
      const [g, c] = await both(async (e) => {
        const { grads } = await e.valueAndGrad((a, b) => f(e, a!, b!))(e.tensor(x, [T, K]), e.tensor(d, [T, K]));
        return Promise.all(grads.map((t) => t.read()));
      });
      for (let i = 0; i < 2; i++) expectClose(g[i]!, c[i]!, sumTol(K) * maxAbs(c[i]!), 0, `${name} grad ${i}`);
    });
  }

  it('a target that needs no gradient costs no kernel (needsGrad is honored)', async () => {
    const e = await gpu();
    const y = e.tensor(randomArray(20, 75), [4, 5]);
    const d = e.tensor(randomArray(20, 76), [4, 5]);
    const count = async (f: () => Promise<unknown>) => {
      const before = e.stats().queue.dispatches;
      await f();
      return e.stats().queue.dispatches - before;
    };
    const onlyY = await count(() => e.valueAndGrad((a) => e.mseLoss(a!, d))(y));
    const both = await count(() => e.valueAndGrad((a, b) => e.mseLoss(a!, b!))(y, d));
    expect(both - onlyY).toBe(1); // the one mse_target_grad dispatch
  });
});

describe('without a tape the gradient output is skipped (backwardOnly), the value is unchanged', () => {
  // A loss outside valueAndGrad (inference, evaluation) neither allocates nor computes its
  // saved gradient; the value must be the same bits as the one valueAndGrad returns, on both
  // backends, and agree across them.
  const shapes: [number, number][] = [[4099, 1], [5, 3], [4099, 10], [3, 1000], [5, 1001]];
  for (const c of cases) {
    it(c.name, async () => {
      for (const [T, K] of shapes) {
        const x = randomArray(T * K, 7 + K, c.lo, c.hi);
        const [g, r] = await both(async (e) => {
          const xt = e.tensor(x, [T, K]);
          const outputs = e.tidy(() => {
            const loss = c.loss(e, xt, T, K);
            return loss.owned.filter((t) => t.shape.length === 2).length; // the [T, K] gradient, if made
          });
          const plain = await e.readAndDispose(e.tidy(() => c.loss(e, xt, T, K)));
          const { value } = await e.valueAndGrad((t) => c.loss(e, t!, T, K))(xt);
          xt.dispose();
          return { outputs, plain: plain[0]!, value };
        });
        for (const b of [g, r]) {
          expect(b.outputs).toBe(0);
          expect(Object.is(b.plain, Math.fround(b.value))).toBe(true);
        }
        expect(Math.abs(g.plain - r.plain)).toBeLessThanOrEqual(sumTol(T * K) * Math.abs(r.plain) + 1e-30);
      }
    });
  }

  it('valueAndGrad still gets the gradient (the saved output is made while a tape records)', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const z = e.tensor(randomArray(12, 92), [3, 4]);
      const d = e.tensor(probabilities(3, 4, 93), [3, 4]);
      let outputs = 0;
      await e.valueAndGrad((t) => {
        const loss = e.softmaxCrossEntropy(t!, d);
        outputs = loss.owned.length;
        return loss;
      })(z);
      expect(outputs).toBe(1); // the gradient
      expect(e.tidy(() => e.softmaxCrossEntropy(z, d).owned.length)).toBe(0);
      z.dispose();
      d.dispose();
    }
  });
});

describe('determinism: two GPU runs of each loss are bit-identical', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const e = await gpu();
      const [T, K] = [96, 300];
      const x = e.tensor(randomArray(T * K, 81, c.lo, c.hi), [T, K]);
      const run = async () => {
        const { value, grads } = await e.valueAndGrad((t) => c.loss(e, t!, T, K))(x);
        return { value, grad: await grads[0]!.read() };
      };
      const [a, b] = [await run(), await run()];
      expect(Object.is(a.value, b.value)).toBe(true);
      const [ba, bb] = [a.grad, b.grad].map((g) => new Uint32Array(g.buffer, g.byteOffset, g.length));
      expect(ba!.findIndex((w, i) => w !== bb![i])).toBe(-1); // the first differing bit pattern
    });
  }
});

describe('lifetimes', () => {
  it('the uploaded class indices live and die with the loss', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const z = e.tensor(randomArray(12, 91), [3, 4]);
      const before = e.stats().liveTensors;
      const loss = e.softmaxCrossEntropy(z, Int32Array.of(0, 1, 2));
      expect((await loss.read())[0]).toBeGreaterThan(0);
      loss.dispose();
      expect(e.stats().liveTensors).toBe(before);
      z.dispose();
    }
  });
});

describe('bad input gets a clear error before any GPU work', () => {
  for (const name of ['webgpu', 'cpu'] as const) {
    it(`${name}: shapes, label smoothing, labels`, async () => {
      const e = name === 'webgpu' ? await gpu() : await cpu();
      const a = e.tensor(new Float32Array(6), [2, 3]);
      const b = e.tensor(new Float32Array(6), [3, 2]);
      const empty = e.tensor([], [0, 3]);
      const before = e.stats();
      expect(() => e.mseLoss(a, b)).toThrow(/mseLoss: y \[2, 3\] and d \[3, 2\] must have the same shape/);
      expect(() => e.binaryCrossEntropy(a, b)).toThrow(/binaryCrossEntropy: p \[2, 3\] and d \[3, 2\] must have the same shape/);
      expect(() => e.softmaxCrossEntropy(a, b)).toThrow(/softmaxCrossEntropy: logits \[2, 3\] and labels \[3, 2\] must have the same shape/);
      expect(() => e.mseLoss(empty, empty)).toThrow(/mseLoss: input \[0, 3\] has no rows; the mean over 0 rows is undefined/);
      const labels = Int32Array.of(0, 2);
      for (const bad of [-0.1, 1, 1.5, NaN, '0.1']) {
        expect(() => e.softmaxCrossEntropy(a, labels, { labelSmoothing: bad as number })).toThrow(
          new RegExp(`softmaxCrossEntropy: labelSmoothing must be a number in \\[0, 1\\), got ${String(bad)}`),
        );
      }
      expect(() => e.softmaxCrossEntropy(a, labels, 0.1 as never)).toThrow(/softmaxCrossEntropy: options must be an object such as \{ labelSmoothing: 0.1 \}, got 0.1/);
      expect(() => e.softmaxCrossEntropy(a, Int32Array.of(0, 3))).toThrow(
        /softmaxCrossEntropy: label 3 at index 1 is out of range; expected an integer class index in \[0, 3\) for logits \[2, 3\]/,
      );
      expect(() => e.softmaxCrossEntropy(a, Int32Array.of(-1, 0))).toThrow(/label -1 at index 0 is out of range; expected an integer class index in \[0, 3\)/);
      expect(() => e.softmaxCrossEntropy(a, [0, 1.5] as never)).toThrow(/label 1.5 at index 1 is not an integer; expected an integer class index in \[0, 3\)/);
      expect(() => e.softmaxCrossEntropy(a, Int32Array.of(0))).toThrow(/softmaxCrossEntropy: labels has length 1, expected 2 \(one class index per row of logits \[2, 3\]\)/);
      expect(() => e.softmaxCrossEntropy(a, 'cat' as never)).toThrow(/softmaxCrossEntropy: labels must be an Int32Array of class indices \(one per row\) or a Tensor of the logits' shape \[2, 3\], got cat/);
      expect(() => e.softmaxCrossEntropy(null as never, labels)).toThrow(/softmaxCrossEntropy: logits must be a Tensor, got null/);
      expect(e.stats().queue.dispatches).toBe(before.queue.dispatches);
      expect(e.stats().liveTensors).toBe(before.liveTensors);
      [a, b, empty].forEach((t) => t.dispose());
    });
  }
});

describe('binaryCrossEntropyWithLogits', () => {
  const shapes: [number, number][] = [[1, 1], [7, 13], [64, 1], [3, 4099]];
  for (const [T, K] of shapes) {
    it(`GPU vs CPU, value and both gradients on [${T}, ${K}]`, async () => {
      const z = randomArray(T * K, 11 + K, -6, 6);
      const d = randomArray(T * K, 12, 0, 1);
      const [g, r] = await both(async (e) => {
        const { value, grads } = await e.valueAndGrad((zt, dt) => e.binaryCrossEntropyWithLogits(zt!, dt!))(e.tensor(z, [T, K]), e.tensor(d, [T, K]));
        return { value, dz: await grads[0]!.read(), dd: await grads[1]!.read() };
      });
      // terms can cancel (softplus(z) − z·d), so compare on the scale of the mean |term| ≤ 7
      expect(Math.abs(g.value - r.value)).toBeLessThanOrEqual(sumTol(T * K) * 7);
      expectClose(g.dz, r.dz, sumTol(1) * maxAbs(r.dz), 0, 'dz');
      expectClose(g.dd, r.dd, sumTol(1) * maxAbs(r.dd), 0, 'dd');
    });
  }

  it('is the mean over all elements of the BCE of sigmoid(z)', async () => {
    const e = await cpu('f64');
    const [T, K] = [4, 3];
    const z = e.tensor(f64(T * K, 1, -4, 4), [T, K]);
    const d = e.tensor(f64(T * K, 2, 0, 1), [T, K]);
    const viaLogits = (await e.binaryCrossEntropyWithLogits(z, d).readF64())[0]!;
    // binaryCrossEntropy sums over a row and averages over rows: divide by K for the mean
    const viaProbabilities = (await e.binaryCrossEntropy(e.sigmoid(z), d).readF64())[0]! / K;
    expect(Math.abs(viaLogits - viaProbabilities)).toBeLessThan(1e-12);
  });

  it('is finite and exact for huge logits, where sigmoid saturates', async () => {
    const z = [1e4, -1e4, 88.8, -88.8, 1e30, -1e30, 0];
    const d = [0, 1, 0, 1, 1, 0, 0.5];
    // max(z,0) − z·d + log1p(e^−|z|): e^−|z| underflows to 0 past ~104 (f32)
    const want = [1e4, 1e4, 88.8, 88.8, 0, 0, Math.log(2)];
    const [g, r] = await both(async (e) => {
      const { value, grads } = await e.valueAndGrad((zt) => e.binaryCrossEntropyWithLogits(zt!, e.tensor(d, [7])))(e.tensor(z, [7]));
      return { value, dz: await grads[0]!.read() };
    });
    for (const v of [g, r]) {
      const mean = want.reduce((a, b) => a + b, 0) / 7;
      expect(Math.abs(v.value - mean)).toBeLessThanOrEqual(1e-6 * mean);
      // (σ(z) − d)/n: −1/7, 1/7, ~1/7, ~−1/7, 0, 0, 0
      expectClose(v.dz, [1, -1, 1, -1, 0, 0, 0].map((s) => s / 7), 1e-6, 0, 'dz');
    }
  });

  it('gradients for z and d by finite differences (f64)', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (z, d) => e.binaryCrossEntropyWithLogits(z!, d!), [
      { data: f64(12, 3, -5, 5), shape: [3, 4] },
      { data: f64(12, 4, 0, 1), shape: [3, 4] },
    ]);
  });

  it('errors name the op and the shapes', async () => {
    const e = await cpu();
    expect(() => e.binaryCrossEntropyWithLogits(e.tensor([1, 2], [2]), e.tensor([1], [1]))).toThrow(/binaryCrossEntropyWithLogits: z \[2\] and d \[1\] must have the same shape/);
    expect(() => e.binaryCrossEntropyWithLogits(e.tensor([], [0]), e.tensor([], [0]))).toThrow(/binaryCrossEntropyWithLogits: z \[0\] is empty/);
  });
});
