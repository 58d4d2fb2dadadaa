// Softmax, log-softmax and the softmax Jacobian-vector product: WebGPU against the CPU
// reference on random inputs (rows of 1 to 100,000, more rows than one grid dimension
// holds), extreme and degenerate rows, the backward rules by finite differences (CPU, f64),
// and the errors for bad input.

import { describe, expect, it } from 'vitest';
import { cpu, expectClose, gpu, randomArray, both, f64, maxAbs } from './backends';
import { checkGradients } from './gradcheck';
import type { Engine, Tensor } from '../src/index';

/** f32 unit roundoff. */
const U = 2 ** -24;
/** Relative error allowed for a value that depends on a sum of n f32 terms, with an exp or
 *  log on the way: exp may be off by 3 + 2|x| ulp (WGSL's bound; |x| ≤ 10 here, so ≤ 46 U),
 *  and a sum of n terms by ≲ n·U in the worst case, ~sqrt(n)·U typically (each invocation
 *  sums a strided part, then a tree): we allow 48 U + 4·sqrt(n)·U (measured: ≤ 20 U). */
const sumTol = (n: number) => (48 + 4 * Math.sqrt(n)) * U;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

describe('softmax and logSoftmax: GPU vs CPU', () => {
  // rows of a multiple of 4 columns run the vec4 kernel ([5, 1000], [2, 100000], [4099, 4])
  const shapes = [[1, 1], [1, 10], [7, 13], [127, 1], [3, 4099], [2, 100000], [2, 3, 5], [4099, 10], [5, 1000], [3, 1001], [4099, 4]];
  for (const shape of shapes) {
    it(`on ${JSON.stringify(shape)}`, async () => {
      const cols = shape.at(-1)!;
      const x = randomArray(size(shape), 11 + cols, -5, 5);
      const [g, c] = await both(async (e) => {
        const t = e.tensor(x, shape);
        return Promise.all([e.softmax(t).read(), e.logSoftmax(t).read()]);
      });
      expectClose(g[0], c[0], 1e-30, sumTol(cols), 'softmax');
      // log-softmax: absolute error of log Σ (≈ the sum's relative error), plus rounding
      expectClose(g[1], c[1], sumTol(cols), 4 * U, 'logSoftmax');
      // every row sums to 1 (up to the same bound, summed here in f64)
      for (const y of [g[0], c[0]]) {
        for (let o = 0; o < y.length; o += cols) {
          let s = 0;
          for (let j = o; j < o + cols; j++) s += y[j]!;
          expect(Math.abs(s - 1)).toBeLessThanOrEqual(sumTol(cols));
        }
      }
    });
  }

  it('a single column gives softmax 1 and logSoftmax 0 exactly', async () => {
    await both(async (e) => {
      const t = e.tensor(randomArray(127, 3, -50, 50), [127, 1]);
      expect(Array.from(await e.softmax(t).read()).every((v) => v === 1)).toBe(true);
      expect(Array.from(await e.logSoftmax(t).read()).every((v) => v === 0)).toBe(true);
    });
  });

  it('more rows than one grid dimension holds (folded 2-D grid)', async () => {
    const shape = [70001, 2];
    const x = randomArray(size(shape), 5, -3, 3);
    const [g, c] = await both((e) => e.softmax(e.tensor(x, shape)).read());
    expectClose(g, c, 1e-30, sumTol(2), 'softmax');
  });

  it('logits ±1000 give finite, correct output', async () => {
    const z = [1000, -1000, 0, 999];
    // exact: softmax = [1, 0, 0, e^-1] / (1 + e^-1), log-softmax = z - 1000 - log(1 + e^-1)
    const lse = 1000 + Math.log1p(Math.exp(-1));
    const want = z.map((v) => Math.exp(v - lse));
    const wantLog = z.map((v) => v - lse);
    const long = randomArray(300, 9, -1000, 1000);
    const [g, c] = await both(async (e) => {
      const t = e.tensor(z, [1, 4]);
      const l = e.tensor(long, [1, 300]);
      return Promise.all([e.softmax(t).read(), e.logSoftmax(t).read(), e.softmax(l).read(), e.logSoftmax(l).read()]);
    });
    for (const r of [g, c]) {
      expectClose(r[0], want, 1e-30, 8 * U, 'softmax ±1000');
      expectClose(r[1], wantLog, 0, 8 * U, 'logSoftmax ±1000');
      expect(r[2].every(Number.isFinite) && r[3].every(Number.isFinite)).toBe(true);
    }
    // |x - max| up to 2000: log-softmax is that difference minus log Σ, exact to a few ulps
    expectClose(g[2], c[2], 1e-30, sumTol(300), 'softmax of a long ±1000 row');
    expectClose(g[3], c[3], sumTol(300), 4 * U, 'logSoftmax of a long ±1000 row');
  });

  it('an all -inf row is uniform (as the CPU reference); a NaN or +inf entry makes the row NaN', async () => {
    const ninf = -Infinity;
    const x = [ninf, ninf, ninf, ninf, 1, ninf, 2, ninf, NaN, 1, 2, 3, Infinity, 0, 1, 2];
    const [g, c] = await both(async (e) => {
      const t = e.tensor(x, [4, 4]);
      return Promise.all([e.softmax(t).read(), e.logSoftmax(t).read()]);
    });
    for (const r of [g, c]) {
      expect(Array.from(r[0].subarray(0, 4))).toEqual([0.25, 0.25, 0.25, 0.25]);
      expectClose(r[1].subarray(0, 4), Array(4).fill(-Math.log(4)), 0, 2 * U);
      expect(r[0][5]).toBe(0); // a partly -inf row: those entries get exactly 0 (log: -inf)
      expect(r[1][5]).toBe(-Infinity);
      expect(Array.from(r[0].subarray(8)).every(Number.isNaN)).toBe(true);
      expect(Array.from(r[1].subarray(8)).every(Number.isNaN)).toBe(true);
    }
    expectClose(g[0].subarray(4, 8), c[0].subarray(4, 8), 1e-30, 8 * U);
  });

  it('the NaN/±inf rules hold on the scalar and vec4 kernels, wherever the entry sits in a long row', async () => {
    // The running max/sum (one read) must give what the two-pass reference gives: a NaN or
    // +inf anywhere poisons the row; -inf entries are 0; ascending rows rescale the sum at
    // every element, descending rows never do.
    for (const cols of [5, 8, 1000, 1001]) {
      const rows: number[][] = [];
      const base = Array.from(randomArray(cols, 61 + cols, -20, 20));
      for (const at of [0, 1, Math.floor(cols / 2), cols - 1]) {
        for (const bad of [NaN, Infinity, -Infinity]) rows.push(base.map((v, j) => (j === at ? bad : v)));
      }
      rows.push(base.map(() => -Infinity));
      rows.push(base.map((v, j) => (j % 3 === 0 ? -Infinity : v)));
      rows.push(base.map((_, j) => j / 10)); // ascending: a new max at every element
      rows.push(base.map((_, j) => -j / 10)); // descending
      rows.push(base.map((_, j) => (j === cols - 1 ? 90 : -90))); // the max last, e^-180 terms before it
      const x = rows.flat();
      const shape = [rows.length, cols];
      const [g, c] = await both(async (e) => {
        const t = e.tensor(x, shape);
        return Promise.all([e.softmax(t).read(), e.logSoftmax(t).read()]);
      });
      for (const k of [0, 1]) {
        const nanAt = (a: Float32Array) => Array.from(a, Number.isNaN);
        expect(nanAt(g[k]!)).toEqual(nanAt(c[k]!));
        const keep = (a: Float32Array) => a.map((v) => (Number.isNaN(v) ? 0 : v));
        // -inf entries: softmax exactly 0 and log-softmax -inf on both
        if (k === 0) expectClose(keep(g[0]), keep(c[0]), 1e-30, sumTol(cols), `softmax, ${cols} columns`);
        else {
          const [a, b] = [keep(g[1]), keep(c[1])];
          const bad = Array.from(a).findIndex((v, i) => !(v === b[i] || Math.abs(v - b[i]!) <= sumTol(cols) * (1 + Math.abs(b[i]!))));
          expect(bad, `logSoftmax, ${cols} columns, at ${bad}: ${a[bad]} vs ${b[bad]}`).toBe(-1);
        }
      }
    }
  });

  it('sigmoid of a 2-class problem equals 2-way softmax: sigmoid(z1 - z0) = softmax([z0, z1])[1]', async () => {
    const rows = 50;
    const z = randomArray(2 * rows, 4, -10, 10);
    const diff = Float32Array.from({ length: rows }, (_, t) => z[2 * t + 1]! - z[2 * t]!);
    await both(async (e) => {
      const sm = await e.softmax(e.tensor(z, [rows, 2])).read();
      const sg = await e.sigmoid(e.tensor(diff, [rows])).read();
      const sg0 = await e.sigmoid(e.tensor(diff.map((d) => -d), [rows])).read();
      for (let t = 0; t < rows; t++) {
        // against the exact value: exp of |x| ≤ 20 may be off by 3 + 2|x| ulp (≤ 86 U)
        const d = z[2 * t + 1]! - z[2 * t]!;
        const exact = [1 / (1 + Math.exp(d)), 1 / (1 + Math.exp(-d))];
        for (const k of [0, 1]) expect(Math.abs(sm[2 * t + k]! - exact[k]!)).toBeLessThanOrEqual(128 * U * exact[k]!);
        // against e.sigmoid: its GPU form 1 - 1/(1 + e^-|x|) for x < 0 is accurate only in
        // absolute terms (rounding of 1/(1 + e) and exp's error, a few U), hence the atol
        expect(Math.abs(sm[2 * t + 1]! - sg[t]!)).toBeLessThanOrEqual(128 * U * sg[t]! + 16 * U);
        expect(Math.abs(sm[2 * t]! - sg0[t]!)).toBeLessThanOrEqual(128 * U * sg0[t]! + 16 * U);
      }
    });
  });
});

describe('softmaxJvp: y ⊙ (v - ⟨v, y⟩), the Jacobian product without forming J', () => {
  for (const shape of [[1, 1], [7, 13], [3, 4099]]) {
    it(`GPU vs CPU on ${JSON.stringify(shape)}`, async () => {
      const n = size(shape);
      const cols = shape.at(-1)!;
      const z = randomArray(n, 21, -3, 3);
      const v = randomArray(n, 22, -1, 1);
      const [g, c] = await both(async (e) => e.softmaxJvp(e.softmax(e.tensor(z, shape)), e.tensor(v, shape)).read());
      // v - ⟨v, y⟩ may cancel: compare against the scale max|y|·max|v| ≤ max|c| + ...
      expectClose(g, c, sumTol(cols) * (maxAbs(c) + 1 / cols), sumTol(cols), 'softmaxJvp');
    });
  }

  it('equals J v with J formed explicitly, J_ij = y_i (δ_ij - y_j) (CPU, f64)', async () => {
    const e = await cpu('f64');
    const K = 6;
    const z = f64(K, 31, -2, 2);
    const v = f64(K, 32);
    const yT = e.softmax(e.tensor(z, [1, K]));
    const y = await yT.readF64();
    const jv = await e.softmaxJvp(yT, e.tensor(v, [1, K])).readF64();
    for (let i = 0; i < K; i++) {
      let want = 0;
      for (let j = 0; j < K; j++) want += y[i]! * ((i === j ? 1 : 0) - y[j]!) * v[j]!;
      expect(Math.abs(jv[i]! - want)).toBeLessThan(1e-15);
    }
  });
});

describe('backward rules match finite differences (CPU, f64)', () => {
  const shape = [3, 5];
  const w = f64(15, 41);
  const weighted = (e: Engine, t: Tensor) => e.sum(e.mul(t, e.tensor(w, shape)));

  it('softmax: dx = y ⊙ (dy - ⟨dy, y⟩)', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (z) => weighted(e, e.softmax(z!)), [{ data: f64(15, 42, -2, 2), shape }]);
  });

  it('logSoftmax: dx = dy - softmax(x) Σ dy', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (z) => weighted(e, e.logSoftmax(z!)), [{ data: f64(15, 43, -2, 2), shape }]);
  });

  it('softmaxJvp w.r.t. y (g (v - s) - v ⟨g, y⟩) and v (jvp(y, g))', async () => {
    const e = await cpu('f64');
    await checkGradients(e, (y, v) => weighted(e, e.softmaxJvp(y!, v!)), [
      { data: f64(15, 44, 0.05, 1), shape },
      { data: f64(15, 45), shape },
    ]);
  });

  it('softmax feeding its own JVP (the chain through both rules), rank 3', async () => {
    const e = await cpu('f64');
    const s3 = [2, 2, 4];
    await checkGradients(e, (z, v) => e.sum(e.mul(e.softmaxJvp(e.softmax(z!), v!), e.logSoftmax(z!))), [
      { data: f64(16, 46, -2, 2), shape: s3 },
      { data: f64(16, 47), shape: s3 },
    ]);
  });
});

describe('GPU gradients agree with the CPU reference', () => {
  it('softmax, logSoftmax and softmaxJvp composed', async () => {
    const shape = [9, 37];
    const z = randomArray(size(shape), 51, -3, 3);
    const v = randomArray(size(shape), 52);
    const w = randomArray(size(shape), 53);
    const run = async (e: Engine) => {
      const f = (a: Tensor, b: Tensor) => {
        const W = e.tensor(w, shape);
        return e.add(e.sum(e.mul(e.softmaxJvp(e.softmax(a), b), W)), e.sum(e.mul(e.logSoftmax(a), W)));
      };
      const { value, grads } = await e.valueAndGrad(f)(e.tensor(z, shape), e.tensor(v, shape));
      return { value, grads: await Promise.all(grads.map((g) => g.read())) };
    };
    const [g, c] = await both(run);
    expect(Math.abs(g.value - c.value)).toBeLessThanOrEqual(sumTol(size(shape)) * (Math.abs(c.value) + 1));
    // each gradient element sums ~2·37 products of O(1) terms per row
    for (let i = 0; i < 2; i++) expectClose(g.grads[i]!, c.grads[i]!, sumTol(37) * maxAbs(c.grads[i]!), 0, `grad ${i}`);
  });
});

describe('bad input gets a clear error before any GPU work', () => {
  for (const name of ['webgpu', 'cpu'] as const) {
    it(`${name}: rank 0, mismatched shapes`, async () => {
      const e = name === 'webgpu' ? await gpu() : await cpu();
      const s = e.tensor([1], []);
      const a = e.tensor(new Float32Array(6), [2, 3]);
      const b = e.tensor(new Float32Array(6), [3, 2]);
      const before = e.stats();
      expect(() => e.softmax(s)).toThrow(/softmax: needs a tensor of rank >= 1 \(it runs over the last axis\), got a scalar of shape \[\]/);
      expect(() => e.logSoftmax(s)).toThrow(/logSoftmax: needs a tensor of rank >= 1/);
      expect(() => e.softmaxJvp(a, b)).toThrow(/softmaxJvp: y \[2, 3\] and v \[3, 2\] must have the same shape/);
      expect(() => e.softmaxJvp(s, s)).toThrow(/softmaxJvp: needs a tensor of rank >= 1/);
      expect(e.stats().queue.dispatches).toBe(before.queue.dispatches);
      expect(e.stats().liveTensors).toBe(before.liveTensors);
      [s, a, b].forEach((t) => t.dispose());
    });
  }
});
