// Tests of the CPU reference kernels (src/cpu), all in f64.
//
// Every gradient is checked against central finite differences of the forward kernel:
// g_i ≈ (L(x + h e_i) - L(x - h e_i)) / 2h with h = 1e-6. The truncation error is
// O(h² · L''') ≈ 1e-12 and the rounding error O(ε_f64 · |L| / h) ≈ 1e-16 · |L| / 1e-6
// = 1e-10 · |L|; with |L| = O(1..10) both are far below the tolerance used,
// |g - fd| ≤ 1e-6 · |fd| + 1e-8, which still catches any wrong factor, sign or index
// (those give O(1) relative errors). Points are kept ≥ 1e-3 away from kinks (relu at 0,
// ties in max, the BCE clamp), where the FD would straddle two branches.
//
// Inputs come from a small seeded PRNG (mulberry32), so failures reproduce.

import { describe, expect, it } from 'vitest';
import {
  activationCpu,
  activationGradCpu,
  binaryCpu,
  binaryCrossEntropyCpu,
  matmulCpu,
  mseLossCpu,
  reduceCpu,
  reduceGradCpu,
  softmaxCpu,
  softmaxCrossEntropyCpu,
  softmaxJvpCpu,
  softmaxTargetsCpu,
  type ActivationKind,
  type MatmulParams,
  type ReduceKind,
  type Vec,
} from '../src/cpu';

// ---- helpers ---------------------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniforms in [lo, hi). */
function uniform(rand: () => number, n: number, lo = -1, hi = 1): Vec {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rand();
  return v;
}

/** n uniforms in ±[gap, 1 + gap): away from 0 (the relu kink). */
function awayFromZero(rand: () => number, n: number, gap = 1e-2): Vec {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = (rand() < 0.5 ? -1 : 1) * (gap + rand());
  return v;
}

const H = 1e-6;
const RTOL = 1e-6;
const ATOL = 1e-8;

/** Central-difference gradient of the scalar function f at x (x is restored). */
function fdGrad(f: (x: Vec) => number, x: Vec, h = H): Vec {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    x[i] = xi + h;
    const fp = f(x);
    x[i] = xi - h;
    const fm = f(x);
    x[i] = xi;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

function dot(a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Elementwise |got - want| ≤ rtol·|want| + atol, reporting the first failure. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol = RTOL, atol = ATOL): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const ok = Math.abs(g - w) <= rtol * Math.abs(w) + atol;
    if (!ok) expect.fail(`index ${i}: got ${g}, want ${w} (|diff| ${Math.abs(g - w)})`);
  }
}

/** Naive triple loop over explicit (b, i, j, k) indexing, the matmul oracle. */
function naiveMatmul(a: Vec, b: Vec, p: MatmulParams): Vec {
  const { batch, M, N, K } = p;
  const c = new Float64Array(batch * M * N);
  for (let bt = 0; bt < batch; bt++) {
    const ab = p.aBatched ? bt : 0;
    const bb = p.bBatched ? bt : 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = p.transposeA ? a[ab * K * M + k * M + i]! : a[ab * M * K + i * K + k]!;
          const bv = p.transposeB ? b[bb * N * K + j * K + k]! : b[bb * K * N + k * N + j]!;
          s += av * bv;
        }
        c[bt * M * N + i * N + j] = s;
      }
    }
  }
  return c;
}

function mm(
  batch: number, M: number, N: number, K: number,
  flags: Partial<Pick<MatmulParams, 'aBatched' | 'bBatched' | 'transposeA' | 'transposeB'>> = {},
): MatmulParams {
  return { batch, M, N, K, aBatched: false, bBatched: false, transposeA: false, transposeB: false, ...flags };
}

const KINDS: ActivationKind[] = ['identity', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'softplus'];

// ---- elementwise -----------------------------------------------------------------------

describe('binaryCpu', () => {
  const rand = prng(1);
  it('adds and multiplies equal shapes', () => {
    const a = uniform(rand, 13);
    const b = uniform(rand, 13);
    const s = binaryCpu('add', a, [13], b, [13]);
    const p = binaryCpu('mul', a, [13], b, [13]);
    for (let i = 0; i < 13; i++) {
      expect(s[i]).toBe(a[i]! + b[i]!);
      expect(p[i]).toBe(a[i]! * b[i]!);
    }
  });
  it('broadcasts a row vector, a column and a scalar, on either side', () => {
    const M = 7;
    const N = 5;
    const x = uniform(rand, M * N);
    const row = uniform(rand, N);
    const col = uniform(rand, M);
    const scalar = Float64Array.of(2.5);
    const xr = binaryCpu('add', x, [M, N], row, [N]);
    const rx = binaryCpu('mul', row, [1, N], x, [M, N]);
    const xc = binaryCpu('sub', x, [M, N], col, [M, 1]);
    const xs = binaryCpu('mul', x, [M, N], scalar, []);
    const outer = binaryCpu('mul', col, [M, 1], row, [N]); // [M, 1] · [N] -> [M, N]
    expect(xr.length).toBe(M * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        expect(xr[i * N + j]).toBe(x[i * N + j]! + row[j]!);
        expect(rx[i * N + j]).toBe(row[j]! * x[i * N + j]!);
        expect(xc[i * N + j]).toBe(x[i * N + j]! - col[i]!);
        expect(xs[i * N + j]).toBe(x[i * N + j]! * 2.5);
        expect(outer[i * N + j]).toBe(col[i]! * row[j]!);
      }
    }
  });
  it('rejects shapes that do not broadcast, and gives empty for an empty operand', () => {
    expect(() => binaryCpu('add', new Float64Array(6), [6], new Float64Array(4), [4])).toThrow(/add: shapes \[6\] and \[4\] do not broadcast/);
    expect(binaryCpu('add', new Float64Array(0), [0, 3], new Float64Array(3), [3]).length).toBe(0);
  });
});

// ---- activations -----------------------------------------------------------------------

describe('activationCpu', () => {
  it('computes the textbook values', () => {
    const x = Float64Array.of(-2, -0.5, 0, 0.5, 2);
    const alpha = 0.1;
    const want: Record<ActivationKind, (v: number) => number> = {
      identity: (v) => v,
      sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      tanh: (v) => Math.tanh(v),
      relu: (v) => Math.max(v, 0),
      leakyRelu: (v) => (v > 0 ? v : alpha * v),
      softplus: (v) => Math.log(1 + Math.exp(v)),
    };
    for (const kind of KINDS) {
      expectClose(activationCpu(kind, x, alpha), Array.from(x, want[kind]), 1e-14, 1e-15);
    }
  });

  it('is finite and saturates correctly for |x| = 1000 (no overflow)', () => {
    const x = Float64Array.of(-1000, -745, 745, 1000);
    for (const kind of KINDS) {
      for (const v of activationCpu(kind, x)) expect(Number.isFinite(v)).toBe(true);
    }
    const s = activationCpu('sigmoid', x);
    expect(s[0]).toBe(0);
    expect(s[3]).toBe(1);
    const sp = activationCpu('softplus', x);
    expect(sp[0]).toBe(0);
    expect(sp[3]).toBe(1000);
    expect(activationCpu('tanh', x)[0]).toBe(-1);
  });

  it('softplus keeps precision for very negative x (log1p form)', () => {
    // softplus(-40) = log(1 + e^-40) ≈ e^-40; the naive log(1 + e^x) returns 0 here
    const sp = activationCpu('softplus', Float64Array.of(-40));
    expectClose(sp, [Math.exp(-40)], 1e-14, 0);
  });

  it('sigmoid of a 2-class problem equals 2-way softmax: sigmoid(z1 - z0) = softmax([z0, z1])[1]', () => {
    const rand = prng(2);
    const rows = 11;
    const z = uniform(rand, 2 * rows, -30, 30);
    z[0] = -1000; // extremes too
    z[1] = 1000;
    const sm = softmaxCpu(z, rows, 2);
    const diff = new Float64Array(rows);
    for (let t = 0; t < rows; t++) diff[t] = z[2 * t + 1]! - z[2 * t]!;
    const sg = activationCpu('sigmoid', diff);
    for (let t = 0; t < rows; t++) {
      expect(Math.abs(sg[t]! - sm[2 * t + 1]!)).toBeLessThan(1e-15);
      expect(Math.abs(1 - sg[t]! - sm[2 * t]!)).toBeLessThan(1e-15);
    }
  });
});

describe('activationGradCpu', () => {
  for (const kind of KINDS) {
    it(`matches finite differences for ${kind}`, () => {
      const rand = prng(10 + KINDS.indexOf(kind));
      const n = 17;
      const alpha = 0.07;
      // ±[0.01, 3): away from the relu / leaky relu kink at 0
      const x = awayFromZero(rand, n);
      for (let i = 0; i < n; i++) x[i]! *= 3;
      const dy = uniform(rand, n);
      const y = activationCpu(kind, x, alpha);
      // L(x) = ⟨dy, f(x)⟩, so ∇L = dy ⊙ f'(x)
      const fd = fdGrad((xv) => dot(dy, activationCpu(kind, xv, alpha)), x);
      const dx = activationGradCpu(kind, dy, x, y, { alpha });
      expectClose(dx, fd);
    });
  }

  it('reads only what it needs: an empty x for sigmoid/tanh, an empty y for the others', () => {
    const x = Float64Array.of(-1, 0.5, 2);
    const dy = Float64Array.of(1, 1, 1);
    const empty = new Float64Array(0);
    for (const kind of ['sigmoid', 'tanh'] as const) {
      const y = activationCpu(kind, x);
      expectClose(activationGradCpu(kind, dy, empty, y, {}), activationGradCpu(kind, dy, x, y, {}), 0, 0);
    }
    for (const kind of ['relu', 'leakyRelu', 'softplus'] as const) {
      const y = activationCpu(kind, x);
      expectClose(activationGradCpu(kind, dy, x, empty, {}), activationGradCpu(kind, dy, x, y, {}), 0, 0);
    }
    expect(() => activationGradCpu('sigmoid', dy, x, empty, {})).toThrow(/length/);
  });

  it('uses the documented subgradient at exactly 0 for relu and leaky relu', () => {
    const x = Float64Array.of(-1, 0, 1);
    const dy = Float64Array.of(2, 2, 2);
    const y = new Float64Array(0);
    expect(Array.from(activationGradCpu('relu', dy, x, y, {}))).toEqual([0, 0, 2]);
    expect(Array.from(activationGradCpu('relu', dy, x, y, { reluGradAtZero: 0 }))).toEqual([0, 0, 2]);
    expect(Array.from(activationGradCpu('relu', dy, x, y, { reluGradAtZero: 1 }))).toEqual([0, 2, 2]);
    const a = 0.25;
    expect(Array.from(activationGradCpu('leakyRelu', dy, x, y, { alpha: a }))).toEqual([0.5, 0.5, 2]);
    expect(Array.from(activationGradCpu('leakyRelu', dy, x, y, { alpha: a, reluGradAtZero: 1 }))).toEqual([0.5, 2, 2]);
  });

  it('is finite for |x| = 1000', () => {
    const x = Float64Array.of(-1000, 1000);
    const dy = Float64Array.of(1, 1);
    for (const kind of KINDS) {
      const dx = activationGradCpu(kind, dy, x, activationCpu(kind, x), {});
      for (const v of dx) expect(Number.isFinite(v)).toBe(true);
    }
  });
});

// ---- matmul ----------------------------------------------------------------------------

describe('matmulCpu', () => {
  const shapes: Array<[number, number, number, number]> = [
    // [batch, M, N, K]: ones, primes, non-multiples of 4 (the unroll), K below/above 4
    [1, 1, 1, 1],
    [1, 1, 7, 13],
    [1, 7, 1, 13],
    [1, 13, 7, 1],
    [2, 5, 3, 4],
    [3, 7, 13, 11],
    [1, 17, 9, 23],
  ];
  const bools = [false, true];

  it('matches a naive triple loop for every transpose and batch-broadcast combination', () => {
    const rand = prng(20);
    for (const [batch, M, N, K] of shapes) {
      for (const transposeA of bools) for (const transposeB of bools) {
        for (const aBatched of bools) for (const bBatched of bools) {
          const p = mm(batch, M, N, K, { transposeA, transposeB, aBatched, bBatched });
          const a = uniform(rand, (aBatched ? batch : 1) * M * K);
          const b = uniform(rand, (bBatched ? batch : 1) * K * N);
          expectClose(matmulCpu(a, b, p), naiveMatmul(a, b, p), 1e-13, 1e-13);
        }
      }
    }
  });

  it('a broadcast operand equals the batched call with copies of it', () => {
    const rand = prng(21);
    const batch = 3, M = 4, N = 5, K = 6;
    const a = uniform(rand, batch * M * K);
    const w = uniform(rand, K * N);
    const wTiled = new Float64Array(batch * K * N);
    for (let bt = 0; bt < batch; bt++) wTiled.set(w, bt * K * N);
    const c1 = matmulCpu(a, w, mm(batch, M, N, K, { aBatched: true }));
    const c2 = matmulCpu(a, wTiled, mm(batch, M, N, K, { aBatched: true, bBatched: true }));
    expectClose(c1, c2, 0, 0);
  });

  it('fuses bias and activation: act(A·B + bias) equals the composed kernels', () => {
    const rand = prng(22);
    const M = 7, N = 13, K = 5;
    const a = uniform(rand, M * K);
    const b = uniform(rand, N * K);
    const bias = uniform(rand, N);
    const p = mm(1, M, N, K, { transposeB: true });
    const z = binaryCpu('add', matmulCpu(a, b, p), [M, N], bias, [N]);
    for (const kind of KINDS) {
      const fused = matmulCpu(a, b, p, { bias, activation: kind, alpha: 0.2 });
      expectClose(fused, activationCpu(kind, z, 0.2), 1e-15, 1e-15);
    }
  });

  it('handles K = 0 (zeros plus bias) and rejects wrong lengths', () => {
    const c = matmulCpu(new Float64Array(0), new Float64Array(0), mm(1, 2, 3, 0), { bias: Float64Array.of(1, 2, 3) });
    expect(Array.from(c)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(() => matmulCpu(new Float64Array(5), new Float64Array(6), mm(1, 2, 3, 3))).toThrow(/A \[batchA, M, K\]/);
    expect(() => matmulCpu(new Float64Array(6), new Float64Array(9), mm(1, 2, 3, 3), { bias: new Float64Array(2) })).toThrow(/bias/);
  });

  describe('gradient identities vs finite differences', () => {
    // L = ⟨G, C⟩ with C = A·B: ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G, both computed by matmulCpu
    const cases: Array<[number, number, number]> = [[1, 1, 1], [1, 7, 13], [7, 1, 13], [13, 7, 1], [7, 13, 11]];
    for (const [M, N, K] of cases) {
      it(`C = A·B, M=${M} N=${N} K=${K}: dA = dC·Bᵀ, dB = Aᵀ·dC`, () => {
        const rand = prng(30 + M * 100 + N * 10 + K);
        const a = uniform(rand, M * K);
        const b = uniform(rand, K * N);
        const g = uniform(rand, M * N);
        const dA = matmulCpu(g, b, mm(1, M, K, N, { transposeB: true }));
        const dB = matmulCpu(a, g, mm(1, K, N, M, { transposeA: true }));
        expectClose(dA, fdGrad((av) => dot(g, matmulCpu(av, b, mm(1, M, N, K))), a));
        expectClose(dB, fdGrad((bv) => dot(g, matmulCpu(a, bv, mm(1, M, N, K))), b));
      });
    }

    it('affine layer Z = act(X·Wᵀ + b), W [out, in]: dX = dZ·W, dW = dZᵀ·X, db = Σ_rows dZ', () => {
      const rand = prng(40);
      const T = 7, IN = 13, OUT = 5;
      const x = uniform(rand, T * IN);
      const w = uniform(rand, OUT * IN);
      const bias = uniform(rand, OUT);
      const g = uniform(rand, T * OUT);
      for (const kind of ['identity', 'tanh', 'softplus', 'sigmoid'] as const) {
        const fwd = (xv: Vec, wv: Vec, bv: Vec) =>
          matmulCpu(xv, wv, mm(1, T, OUT, IN, { transposeB: true }), { bias: bv, activation: kind });
        const pre = matmulCpu(x, w, mm(1, T, OUT, IN, { transposeB: true }), { bias });
        const y = activationCpu(kind, pre);
        const dZ = activationGradCpu(kind, g, pre, y, {});
        const dX = matmulCpu(dZ, w, mm(1, T, IN, OUT));
        const dW = matmulCpu(dZ, x, mm(1, OUT, IN, T, { transposeA: true }));
        const db = reduceCpu(dZ, 1, T, OUT, 'sum').values;
        expectClose(dX, fdGrad((xv) => dot(g, fwd(xv, w, bias)), x));
        expectClose(dW, fdGrad((wv) => dot(g, fwd(x, wv, bias)), w));
        expectClose(db, fdGrad((bv) => dot(g, fwd(x, w, bv)), bias));
      }
    });

    it('every transpose flag, batched A and broadcast B: dB sums over the batch', () => {
      const rand = prng(41);
      const batch = 3, M = 5, N = 7, K = 2;
      for (const transposeA of bools) for (const transposeB of bools) {
        const p = mm(batch, M, N, K, { aBatched: true, transposeA, transposeB });
        const a = uniform(rand, batch * M * K);
        const b = uniform(rand, K * N);
        const g = uniform(rand, batch * M * N);
        // dA[b] = G[b]·op(B)ᵀ, stored in A's layout: [M, K] = G·op(B)ᵀ, or [K, M] = op(B)·G[b]ᵀ
        const dA = transposeA
          ? matmulCpu(b, g, { batch, M: K, N: M, K: N, aBatched: false, bBatched: true, transposeA: transposeB, transposeB: true })
          : matmulCpu(g, b, { batch, M, N: K, K: N, aBatched: true, bBatched: false, transposeA: false, transposeB: !transposeB });
        // dB (broadcast): Σ_b op(A[b])ᵀ·G[b] — fold the batch into the rows: A as [batch·M, K]
        // works when A is not transposed; otherwise sum per-batch products.
        let dB: Vec;
        if (!transposeA) {
          dB = transposeB
            ? matmulCpu(g, a, mm(1, N, K, batch * M, { transposeA: true })) // [N, K] = Gᵀ·A
            : matmulCpu(a, g, mm(1, K, N, batch * M, { transposeA: true })); // [K, N] = Aᵀ·G
        } else {
          const per = transposeB
            ? matmulCpu(g, a, { batch, M: N, N: K, K: M, aBatched: true, bBatched: true, transposeA: true, transposeB: true })
            : matmulCpu(a, g, { batch, M: K, N, K: M, aBatched: true, bBatched: true, transposeA: false, transposeB: false });
          dB = reduceCpu(per, 1, batch, K * N, 'sum').values;
        }
        expectClose(dA, fdGrad((av) => dot(g, matmulCpu(av, b, p)), a));
        expectClose(dB, fdGrad((bv) => dot(g, matmulCpu(a, bv, p)), b));
      }
    });
  });
});

// ---- softmax ---------------------------------------------------------------------------

describe('softmaxCpu', () => {
  it('rows sum to 1 and log-softmax equals log(softmax)', () => {
    const rand = prng(50);
    const rows = 7, cols = 13;
    const z = uniform(rand, rows * cols, -20, 20);
    const y = softmaxCpu(z, rows, cols);
    const ly = softmaxCpu(z, rows, cols, true);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += y[r * cols + j]!;
      expect(Math.abs(s - 1)).toBeLessThan(1e-14);
    }
    expectClose(ly, Array.from(y, Math.log), 1e-13, 1e-13);
  });

  it('is finite for logits ±1000 and shift invariant', () => {
    const z = Float64Array.of(1000, -1000, 999, 0, -1000, -999);
    const y = softmaxCpu(z, 2, 3);
    const ly = softmaxCpu(z, 2, 3, true);
    for (const v of [...y, ...ly]) expect(Number.isFinite(v)).toBe(true);
    const e = Math.exp(-1);
    expectClose(y, [1 / (1 + e), 0, e / (1 + e), 1, 0, 0], 1e-15, 1e-300);
    expectClose(ly.slice(0, 3), [-Math.log1p(e), -2000 - Math.log1p(e), -1 - Math.log1p(e)], 1e-15, 0);
  });

  it('gives the uniform limit for an all -inf row (not NaN)', () => {
    const z = Float64Array.of(-Infinity, -Infinity, -Infinity, -Infinity);
    expect(Array.from(softmaxCpu(z, 1, 4))).toEqual([0.25, 0.25, 0.25, 0.25]);
    expectClose(softmaxCpu(z, 1, 4, true), [-Math.log(4), -Math.log(4), -Math.log(4), -Math.log(4)], 1e-15, 0);
  });

  it('JVP y ⊙ (v - ⟨v, y⟩) matches the FD directional derivative and the FD gradient (J symmetric)', () => {
    const rand = prng(51);
    for (const [rows, cols] of [[1, 1], [1, 7], [7, 13], [3, 2]] as const) {
      const z = uniform(rand, rows * cols, -3, 3);
      const v = uniform(rand, rows * cols);
      const y = softmaxCpu(z, rows, cols);
      const jv = softmaxJvpCpu(y, v, rows, cols);
      // directional: d/dε softmax(z + εv) at ε = 0
      const zp = z.map((zi, i) => zi + H * v[i]!);
      const zm = z.map((zi, i) => zi - H * v[i]!);
      const yp = softmaxCpu(zp, rows, cols);
      const ym = softmaxCpu(zm, rows, cols);
      expectClose(jv, yp.map((p, i) => (p - ym[i]!) / (2 * H)));
      // VJP: ∇_z ⟨v, softmax(z)⟩ = Jᵀv = Jv
      expectClose(jv, fdGrad((zv) => dot(v, softmaxCpu(zv, rows, cols)), z));
    }
  });
});

// ---- reduce ----------------------------------------------------------------------------

describe('reduceCpu / reduceGradCpu', () => {
  const views: Array<[number, number, number]> = [
    [1, 1, 1], [1, 7, 1], [1, 7, 13], [13, 7, 1], [3, 5, 2], [2, 1, 3],
  ];

  it('matches a naive loop for sum, mean, max (+ first arg-max on ties)', () => {
    const rand = prng(60);
    for (const [outer, len, inner] of views) {
      const x = uniform(rand, outer * len * inner);
      const sum = reduceCpu(x, outer, len, inner, 'sum').values;
      const mean = reduceCpu(x, outer, len, inner, 'mean').values;
      const { values: max, arg: argmax } = reduceCpu(x, outer, len, inner, 'max');
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let s = 0;
          let m = -Infinity;
          let am = -1;
          for (let l = 0; l < len; l++) {
            const v = x[(o * len + l) * inner + i]!;
            s += v;
            if (v > m) { m = v; am = l; }
          }
          expect(Math.abs(sum[o * inner + i]! - s)).toBeLessThan(1e-14);
          expect(Math.abs(mean[o * inner + i]! - s / len)).toBeLessThan(1e-14);
          expect(max[o * inner + i]).toBe(m);
          expect(argmax![o * inner + i]).toBe(am);
        }
      }
    }
    const tie = reduceCpu(Float64Array.of(1, 3, 0, 3, 2, 3), 1, 6, 1, 'max');
    expect(tie.arg![0]).toBe(1);
    const nan = reduceCpu(Float64Array.of(1, NaN, 5, NaN), 1, 4, 1, 'max');
    expect(Number.isNaN(nan.values[0])).toBe(true);
    expect(nan.arg![0]).toBe(1);
  });

  it('min, logSumExp, variance match their definitions; logSumExp is stable at ±1e4 and −inf', () => {
    const rand = prng(62);
    for (const [outer, len, inner] of views) {
      const x = uniform(rand, outer * len * inner, -3, 3);
      const min = reduceCpu(x, outer, len, inner, 'min');
      const lse = reduceCpu(x, outer, len, inner, 'logSumExp').values;
      const variance = reduceCpu(x, outer, len, inner, 'variance').values;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const row = Array.from({ length: len }, (_, l) => x[(o * len + l) * inner + i]!);
          const mean = row.reduce((a, b) => a + b, 0) / len;
          expect(min.values[o * inner + i]).toBe(Math.min(...row));
          expect(min.arg![o * inner + i]).toBe(row.indexOf(Math.min(...row)));
          expect(Math.abs(lse[o * inner + i]! - Math.log(row.reduce((a, b) => a + Math.exp(b), 0)))).toBeLessThan(1e-14);
          expect(Math.abs(variance[o * inner + i]! - row.reduce((a, b) => a + (b - mean) ** 2, 0) / len)).toBeLessThan(1e-14);
        }
      }
    }
    const big = reduceCpu(Float64Array.of(1e4, 1e4, -1e4, -1e4, -1e4 + Math.log(2), -Infinity, -Infinity, -Infinity), 4, 2, 1, 'logSumExp').values;
    expect(big[0]).toBeCloseTo(1e4 + Math.log(2), 9);
    expect(big[1]).toBeCloseTo(-1e4 + Math.log(2), 9);
    expect(big[2]).toBe(-1e4 + Math.log(2)); // a −inf entry adds nothing
    expect(big[3]).toBe(-Infinity); // a row of −inf: −inf, not NaN
    expect(reduceGradCpu('logSumExp', Float64Array.of(1), 1, 2, 1, { x: Float64Array.of(-Infinity, -Infinity), center: Float64Array.of(-Infinity) })).toEqual(Float64Array.of(0, 0));
  });

  for (const kind of ['sum', 'mean', 'max', 'min', 'logSumExp', 'variance'] as ReduceKind[]) {
    it(`${kind}: gradient matches finite differences`, () => {
      const rand = prng(61);
      for (const [outer, len, inner] of views) {
        // distinct values, ≥ 1e-3 apart, so the arg-max does not move under ±h
        const n = outer * len * inner;
        const perm = Array.from({ length: n }, (_, i) => i);
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [perm[i], perm[j]] = [perm[j]!, perm[i]!];
        }
        const x = Float64Array.from(perm, (p) => (p - n / 2) * 1e-2 + 1e-3 * rand());
        const w = uniform(rand, outer * inner);
        const { values, arg, center } = reduceCpu(x, outer, len, inner, kind);
        const dx = reduceGradCpu(kind, w, outer, len, inner, { arg, x, center: kind === 'logSumExp' ? values : center });
        expectClose(dx, fdGrad((xv) => dot(w, reduceCpu(xv, outer, len, inner, kind).values), x));
      }
    });
  }

  it('max backward needs the arg-max; max over an empty axis is an error; empty mean is NaN', () => {
    expect(() => reduceGradCpu('max', new Float64Array(1), 1, 3, 1)).toThrow(/max needs the arg-max/);
    expect(() => reduceCpu(new Float64Array(0), 2, 0, 1, 'max')).toThrow(/empty/);
    expect(Number.isNaN(reduceCpu(new Float64Array(0), 1, 0, 1, 'mean').values[0])).toBe(true);
  });
});

// ---- losses ----------------------------------------------------------------------------

describe('losses', () => {
  it('mseLoss = (1/T) Σ_t ½‖y_t - d_t‖² (not the per-element mean), grad vs FD', () => {
    const rand = prng(70);
    const rows = 7, cols = 13;
    const y = uniform(rand, rows * cols);
    const d = uniform(rand, rows * cols);
    const { loss, grad } = mseLossCpu(y, d, rows, cols);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += 0.5 * (y[i]! - d[i]!) ** 2;
    expect(Math.abs(loss - s / rows)).toBeLessThan(1e-14);
    expectClose(grad, fdGrad((yv) => mseLossCpu(yv, d, rows, cols).loss, y));
  });

  it('binaryCrossEntropy: value, grad vs FD inside the clamp (hard and soft targets)', () => {
    const rand = prng(71);
    const rows = 5, cols = 3;
    const p = uniform(rand, rows * cols, 0.05, 0.95);
    const d = Float64Array.from({ length: rows * cols }, (_, i) => (i % 3 === 2 ? rand() : i % 2));
    const { loss, grad } = binaryCrossEntropyCpu(p, d, rows, cols);
    let s = 0;
    for (let i = 0; i < p.length; i++) s += -d[i]! * Math.log(p[i]!) - (1 - d[i]!) * Math.log(1 - p[i]!);
    expect(Math.abs(loss - s / rows)).toBeLessThan(1e-14);
    expectClose(grad, fdGrad((pv) => binaryCrossEntropyCpu(pv, d, rows, cols).loss, p));
  });

  it('binaryCrossEntropy: finite at p = 0 and 1; outside the clamp the grad is the boundary derivative', () => {
    const eps = 1e-7;
    const p = Float64Array.of(0, 1, 0, 1);
    const d = Float64Array.of(1, 0, 0, 1);
    const { loss, grad } = binaryCrossEntropyCpu(p, d, 1, 4, eps);
    expect(Number.isFinite(loss)).toBe(true);
    expect(Math.abs(loss - 2 * -Math.log(eps) - 2 * -Math.log1p(-eps))).toBeLessThan(1e-12);
    const b = 1 / (1 - eps); // |(p_c - d)/(p_c(1 - p_c))| at p_c = eps, d = 0
    expectClose(grad, [-1 / eps, 1 / eps, b, -b], 1e-12, 0);
  });

  it('softmaxTargets: label smoothing gives 1 - (K-1)ε on the true class and ε elsewhere, ε = α/K', () => {
    const rows = 3, K = 5, alpha = 0.1;
    const eps = alpha / K;
    const labels = Int32Array.of(0, 4, 2);
    const t = softmaxTargetsCpu(labels, rows, K, alpha);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < K; j++) {
        const v = t[r * K + j]!;
        s += v;
        const want = j === labels[r] ? 1 - (K - 1) * eps : eps;
        expect(Math.abs(v - want)).toBeLessThan(1e-15);
      }
      expect(Math.abs(s - 1)).toBeLessThan(1e-15);
    }
    // one-hot rows given as a matrix give the same targets; α = 0 is plain one-hot
    const onehot = softmaxTargetsCpu(labels, rows, K);
    expect(Array.from(onehot.slice(0, K))).toEqual([1, 0, 0, 0, 0]);
    expectClose(softmaxTargetsCpu(onehot, rows, K, alpha), t, 1e-15, 1e-17);
    expect(() => softmaxTargetsCpu(Int32Array.of(5), 1, K)).toThrow(/label 5/);
  });

  it('softmaxCrossEntropy: value = mean of -Σ d log softmax, ∇_z = (softmax(z) - d)/T, grad vs FD', () => {
    const rand = prng(72);
    const rows = 7, cols = 13;
    const z = uniform(rand, rows * cols, -4, 4);
    const labels = Int32Array.from({ length: rows }, () => Math.floor(rand() * cols));
    for (const alpha of [0, 0.1]) {
      const d = softmaxTargetsCpu(labels, rows, cols, alpha);
      const { loss, grad } = softmaxCrossEntropyCpu(z, d, rows, cols);
      const y = softmaxCpu(z, rows, cols);
      const ly = softmaxCpu(z, rows, cols, true);
      expect(Math.abs(loss - -dot(d, ly) / rows)).toBeLessThan(1e-13);
      expectClose(grad, y.map((yi, i) => (yi - d[i]!) / rows), 1e-14, 1e-16);
      expectClose(grad, fdGrad((zv) => softmaxCrossEntropyCpu(zv, d, rows, cols).loss, z));
    }
    // soft targets that do not sum to 1: the exact gradient still matches FD
    const soft = uniform(rand, rows * cols, 0, 1);
    expectClose(
      softmaxCrossEntropyCpu(z, soft, rows, cols).grad,
      fdGrad((zv) => softmaxCrossEntropyCpu(zv, soft, rows, cols).loss, z),
    );
  });

  it('softmaxCrossEntropy is finite for logits ±1000', () => {
    const z = Float64Array.of(1000, -1000, 0, -1000, 1000, 1000);
    const d = softmaxTargetsCpu(Int32Array.of(1, 0), 2, 3, 0.1);
    const { loss, grad } = softmaxCrossEntropyCpu(z, d, 2, 3);
    expect(Number.isFinite(loss)).toBe(true);
    for (const g of grad) expect(Number.isFinite(g)).toBe(true);
    // row 0: true class at -1000 vs max 1000 → about 2000·(1 - (K-1)ε) + 1000·ε
    expect(loss).toBeGreaterThan(900);
  });

  it('losses reject 0 rows and wrong lengths', () => {
    expect(() => mseLossCpu(new Float64Array(0), new Float64Array(0), 0, 3)).toThrow(/0 rows/);
    expect(() => softmaxCrossEntropyCpu(new Float64Array(6), new Float64Array(5), 2, 3)).toThrow(/targets/);
  });
});
