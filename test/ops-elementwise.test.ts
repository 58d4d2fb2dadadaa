// Elementwise ops with NumPy broadcasting: binary ops and comparisons on awkward shape pairs
// (both sides stretching, ranks 0 to 6, empty), where(), the math functions; GPU vs the CPU
// reference, finite-difference gradients (CPU, f64), GPU gradients vs CPU, and the edge
// numerics (overflow, log(0), negative bases, NaN propagation, NaN in where's other branch).

import { describe, expect, it } from 'vitest';
import { cpu, f64, gpu, randomArray } from './backends';
import { checkGradients } from './gradcheck';
import type { Engine, Tensor } from '../src/index';
import { powScalar, type BinaryOp } from '../src/cpu/elementwise';
import { erf, type UnaryKind } from '../src/cpu/unary';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Like expectClose, but NaN must meet NaN and ±inf the same inf (edge values must agree too). */
function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    const ok = Number.isFinite(w) ? Math.abs(g - w) <= atol + rtol * Math.abs(w) : Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w));
    if (!ok) expect.fail(`${what}: element ${i} is ${g}, expected ${w} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Values k/64 in [-2, 2]: ties for minimum/maximum/equal, zeros for x/0, integers for pow. */
function grid(n: number, seed: number): Float32Array {
  return randomArray(n, seed, -2, 2).map((v) => Math.round(v * 64) / 64);
}

type Binary = BinaryOp;
const ARITHMETIC: Binary[] = ['add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum'];
const COMPARISONS: Binary[] = ['greater', 'greaterEqual', 'less', 'lessEqual', 'equal'];

// GPU vs CPU per binary op. The CPU computes in f64 and rounds once, so it is within 0.5 ulp
// (6e-8) of the truth: add/sub/mul/min/max round alike on the GPU; WGSL allows x/y 2.5 ulp;
// pow of an integer exponent multiplies by squaring (≤ 6 roundings for |w| ≤ 2 → 4e-7), and
// otherwise exp2(w·log2 z), whose error grows with |w·log2 z| ≤ 12 here (2e-6). Comparisons exact.
const BINARY_RTOL: Record<Binary, number> = {
  add: 2.5e-7, sub: 2.5e-7, mul: 2.5e-7, div: 4e-7, pow: 2e-6, minimum: 0, maximum: 0,
  greater: 0, greaterEqual: 0, less: 0, lessEqual: 0, equal: 0,
};

// Shape pairs: both sides stretching, a scalar [] on either side, ranks 4 and 6, primes, a
// size-0 dim, and rows longer than a workgroup. Rows of a multiple of 4 read contiguously or
// splat ([4, 3] with [], [6, 8] with [8], [5, 4] with [5, 1], [2, 3, 4, 8] with [3, 1, 8])
// take the four-per-invocation path (binary_rows4); [7, 5] twice the equal-shape one.
const PAIRS: [number[], number[]][] = [
  [[2, 3], [2, 1]], [[2, 1], [2, 3]], [[5, 1, 7], [1, 3, 1]], [[1], [13]], [[], [4, 3]], [[4, 3], []],
  [[3, 1, 4, 1], [2, 1, 5]], [[2, 1, 3, 1, 2, 1], [1, 3, 1, 2, 1, 5]], [[127, 3], [3]], [[7, 5], [7, 5]],
  [[0, 3], [1, 3]], [[300, 67], [300, 1]], [[6, 8], [8]], [[5, 4], [5, 1]], [[2, 3, 4, 8], [3, 1, 8]],
];

async function binaryAll(e: Engine, a: Float32Array, sa: number[], b: Float32Array, sb: number[]) {
  const [ta, tb] = [e.tensor(a, sa), e.tensor(b, sb)];
  const out: { shape: readonly number[]; values: Float32Array }[] = [];
  for (const op of [...ARITHMETIC, ...COMPARISONS]) {
    const t = e[op](ta, tb);
    out.push({ shape: t.shape, values: await t.read() });
    t.dispose();
  }
  ta.dispose();
  tb.dispose();
  return out;
}

describe('binary ops with broadcasting: GPU vs CPU', () => {
  for (const [sa, sb] of PAIRS) {
    it(`every op on ${JSON.stringify(sa)} with ${JSON.stringify(sb)}`, async () => {
      const [a, b] = [grid(size(sa), 1), grid(size(sb), 2)];
      const [g, c] = [await binaryAll(await gpu(), a, sa, b, sb), await binaryAll(await cpu(), a, sa, b, sb)];
      [...ARITHMETIC, ...COMPARISONS].forEach((op, k) => {
        expect(g[k]!.shape, op).toEqual(c[k]!.shape);
        expectSame(g[k]!.values, c[k]!.values, 0, BINARY_RTOL[op], op);
      });
      // and the reference against plain arithmetic at the last element of the result
      const shape = c[0]!.shape;
      if (size(shape) > 0) {
        const idx = (s: number[]) => size(s) - 1; // the last element reads each operand's last
        expect(c[0]!.values[size(shape) - 1]).toBe(Math.fround(a[idx(sa)]! + b[idx(sb)]!));
      }
    });
  }

  it('the result shape does not depend on the order of the operands', async () => {
    const e = await cpu();
    for (const [sa, sb] of PAIRS) {
      const [ta, tb] = [e.zeros(sa), e.zeros(sb)];
      expect(e.add(ta, tb).shape).toEqual(e.add(tb, ta).shape);
      expect(e.where(ta, tb, ta).shape).toEqual(e.where(tb, ta, tb).shape);
    }
    expect(e.sub(e.zeros([2, 3]), e.zeros([2, 1])).shape).toEqual([2, 3]); // x − max(x, 1)
    expect(e.mul(e.zeros([4, 1]), e.zeros([3])).shape).toEqual([4, 3]);
  });

  it('shapes that do not broadcast, and ranks above 6, are errors naming the op and shapes', async () => {
    for (const e of [await gpu(), await cpu()]) {
      expect(() => e.div(e.zeros([2, 3]), e.zeros([3, 2]))).toThrow(/div: shapes \[2, 3\] and \[3, 2\] do not broadcast: dimension -2 is 2 in one and 3 in another/);
      expect(() => e.where(e.zeros([2]), e.zeros([3]), e.zeros([1]))).toThrow(/where: shapes \[2\], \[3\] and \[1\] do not broadcast/);
      expect(() => e.add(e.zeros([1, 1, 1, 1, 1, 1, 2]), e.zeros([2]))).toThrow(/add: .* have rank 7; broadcasting supports rank at most 6/);
      expect(() => e.clip(e.zeros([2]), 1, -1)).toThrow(/clip: bounds must be numbers with lo <= hi, got lo 1, hi -1/);
      expect(() => e.gelu(e.zeros([2]), { approximate: 'erf' as 'none' })).toThrow(/gelu: approximate must be 'none' or 'tanh', got erf/);
      expect(() => e.gelu(e.zeros([2]), null as never)).toThrow(/gelu: options must be an object such as \{ approximate: 'tanh' \}, got null/);
      expect(() => e.tidy(42 as never)).toThrow(/tidy: needs a function to run, got 42/);
    }
  });
});

describe('where: GPU vs CPU', () => {
  const triples: [number[], number[], number[]][] = [[[2, 3], [2, 3], [2, 3]], [[2, 1], [3], []], [[1, 4, 1], [3, 1, 5], [5]], [[131], [1], [131]]];
  for (const [sc, sa, sb] of triples) {
    it(`where(${JSON.stringify(sc)}, ${JSON.stringify(sa)}, ${JSON.stringify(sb)})`, async () => {
      // cond: zeros, ±0.5 and NaN (a NaN condition picks a, as NumPy's truth value)
      const cond = grid(size(sc), 3).map((v, i) => (i % 5 === 4 ? NaN : v > 0.5 ? 0 : v));
      const [a, b] = [grid(size(sa), 4), grid(size(sb), 5)];
      const run = async (e: Engine) => e.where(e.tensor(cond, sc), e.tensor(a, sa), e.tensor(b, sb)).read();
      const [g, c] = [await run(await gpu()), await run(await cpu())];
      expectSame(g, c, 0, 0, 'where');
    });
  }
});

/** Inputs for each function: inside its domain, away from kinks, plus the points that matter. */
const UNARY_DOMAIN: Record<UnaryKind, [number, number]> = {
  exp: [-4, 4], log: [0.01, 10], log1p: [-0.9, 3], expm1: [-2, 2], sqrt: [0, 9], rsqrt: [0.01, 9],
  abs: [-2, 2], neg: [-2, 2], square: [-3, 3], reciprocal: [-3, 3], sin: [-20, 20], cos: [-20, 20],
  sign: [-2, 2], silu: [-6, 6], gelu: [-5, 5], geluTanh: [-5, 5], clip: [-2, 2],
};
// GPU vs CPU (within f32 rounding of the truth): WGSL allows exp 3 + 2|x| ulp (11 ulp = 1.3e-6
// at |x| = 4), log 3 ulp or 2^-21 absolute near 1 (also log1p past the series), sqrt and
// inverseSqrt ~2.5 ulp; sin/cos are our own (lib/unary.wgsl, ~1 ulp; WGSL's builtins may be
// 2^-11 off); silu/gelu add a few roundings and erf's 7e-8 approximation error.
const UNARY_TOL: Record<UnaryKind, [atol: number, rtol: number]> = {
  exp: [0, 1.5e-6], log: [5e-7, 4e-7], log1p: [5e-7, 4e-7], expm1: [2e-7, 1e-6], sqrt: [0, 4e-7], rsqrt: [0, 4e-7],
  abs: [0, 0], neg: [0, 0], square: [0, 0], reciprocal: [0, 4e-7], sin: [1e-7, 2.5e-7], cos: [1e-7, 2.5e-7],
  sign: [0, 0], silu: [1e-6, 1e-6], gelu: [1e-6, 1e-6], geluTanh: [1e-6, 1e-6], clip: [0, 0],
};
const UNARY = Object.keys(UNARY_DOMAIN) as UnaryKind[];
const POSITIVE = new Set<UnaryKind>(['log', 'log1p', 'sqrt', 'rsqrt', 'reciprocal']);

function applyUnary(e: Engine, kind: UnaryKind, x: Tensor): Tensor {
  if (kind === 'clip') return e.clip(x, -0.5, 0.75);
  if (kind === 'gelu') return e.gelu(x);
  if (kind === 'geluTanh') return e.gelu(x, { approximate: 'tanh' });
  return e[kind](x);
}

describe('CPU reference functions that JS lacks', () => {
  it('erf matches tabulated values on both sides of the series / continued-fraction switch at 3', () => {
    // erf to 16 digits (3 and up take the continued fraction); erf(6) = 1 − 2e-17 rounds to 1
    const table: [number, number][] = [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
      [3, 0.9999779095030014], [4, 0.9999999845827421], [6, 1]];
    for (const [x, want] of table) {
      expect(Math.abs(erf(x) - want)).toBeLessThan(5e-16); // a few f64 ulps
      expect(erf(-x)).toBe(-erf(x));
    }
  });
  it("powScalar follows NumPy where JS's ** differs", () => {
    expect([powScalar(1, NaN), powScalar(NaN, 0), powScalar(-1, Infinity), powScalar(-8, 1 / 3), powScalar(-2, 3)]).toEqual([1, 1, 1, NaN, -8]);
  });
});

describe('math functions: GPU vs CPU', () => {
  const shape = [3, 67]; // 201 elements: not a multiple of the vec4 width
  it('every function on its domain', async () => {
    const run = async (e: Engine) => {
      const out: Float32Array[] = [];
      for (const kind of UNARY) {
        const [lo, hi] = UNARY_DOMAIN[kind];
        const data = randomArray(size(shape), 7, lo, hi);
        data[0] = 0; // log1p(0), sign(0), sqrt(0) = 0, ...
        data[1] = lo;
        out.push(await applyUnary(e, kind, e.tensor(data, shape)).read());
      }
      return out;
    };
    const [g, c] = [await run(await gpu()), await run(await cpu())];
    UNARY.forEach((kind, k) => expectSame(g[k]!, c[k]!, ...UNARY_TOL[kind], kind));
  });

  it('log1p and expm1 keep their precision for tiny x (where log(1 + x) and exp(x) − 1 lose it)', async () => {
    const x = [1e-7, -3e-6, 1e-4, -0.03, 0.06];
    for (const e of [await gpu(), await cpu()]) {
      const t = e.tensor(x, [5]);
      const [l, m] = [await e.log1p(t).read(), await e.expm1(t).read()];
      x.forEach((v, i) => {
        expect(Math.abs(l[i]! - Math.log1p(v)) / Math.abs(Math.log1p(v))).toBeLessThan(3e-7); // a few ulp
        expect(Math.abs(m[i]! - Math.expm1(v)) / Math.abs(Math.expm1(v))).toBeLessThan(3e-7);
      });
    }
  });
});

// Finite differences on the CPU engine in f64. Each function f is weighted by a fixed random
// tensor w (sum(w ⊙ f)), so every element's gradient enters with a different factor.
describe('gradients by finite differences (CPU, f64)', () => {
  const weighted = (e: Engine, y: Tensor, seed: number) => e.sum(e.mul(y, e.tensor(f64(size(y.shape), seed), y.shape)));
  const domains: Partial<Record<Binary, [[number, number], [number, number]]>> = {
    div: [[-2, 2], [0.5, 2]],
    pow: [[0.5, 2], [-2, 2]],
  };
  for (const op of ARITHMETIC) {
    for (const [sa, sb] of [[[2, 3], [2, 1]], [[3], [2, 3]], [[2, 1, 3], [4, 1]]] as [number[], number[]][]) {
      it(`${op}: ${JSON.stringify(sa)} with ${JSON.stringify(sb)}, gradients summed back to each shape`, async () => {
        const e = await cpu('f64');
        const [da, db] = domains[op] ?? [[-2, 2], [-2, 2]];
        await checkGradients(e, (a, b) => weighted(e, e[op](a!, b!), 11), [
          { data: f64(size(sa), 12, ...da), shape: sa },
          { data: f64(size(sb), 13, ...db), shape: sb },
        ]);
      });
    }
  }

  it('pow of a negative base with an integer exponent (d/da = b·a^(b−1))', async () => {
    const e = await cpu('f64');
    const b = e.tensor(Float64Array.of(3, 2, -1, 4), [4]);
    await checkGradients(e, (a) => weighted(e, e.pow(a!, b), 14), [{ data: f64(8, 15, -2, -0.5), shape: [2, 4] }]);
  });

  it('minimum and maximum split a tie evenly (as the symmetric finite difference does)', async () => {
    const e = await cpu('f64');
    for (const op of ['minimum', 'maximum'] as const) {
      const x = e.tensor([1, 2, 3], [3]);
      const y = e.tensor([1, 5, 0], [3]);
      const { grads } = await e.valueAndGrad((a, b) => e.sum(e[op](a!, b!)))(x, y);
      const [gx, gy] = await Promise.all(grads.map((g) => g.read()));
      expect([Array.from(gx!), Array.from(gy!)]).toEqual(op === 'minimum' ? [[0.5, 1, 0], [0.5, 0, 1]] : [[0.5, 0, 1], [0.5, 1, 0]]);
    }
  });

  for (const kind of UNARY.filter((k) => k !== 'sign')) {
    it(`${kind}`, async () => {
      const e = await cpu('f64');
      const [lo, hi] = kind === 'sqrt' ? [0.1, 9] : kind === 'reciprocal' ? [0.3, 3] : UNARY_DOMAIN[kind];
      await checkGradients(e, (x) => weighted(e, applyUnary(e, kind, x!), 16), [{ data: f64(12, 17, lo, hi), shape: [3, 4] }]);
    });
  }

  it('sign is flat: zero gradient', async () => {
    const e = await cpu('f64');
    const { grads } = await e.valueAndGrad((x) => e.sum(e.sign(x!)))(e.tensor([-1, 0, 2], [3]));
    expect(Array.from(await grads[0]!.read())).toEqual([0, 0, 0]);
  });

  it('where: gradients to a and b by the mask, summed back over broadcasting', async () => {
    const e = await cpu('f64');
    const cond = e.tensor([1, 0, 0, 1, 1, 0], [2, 1, 3]);
    await checkGradients(e, (a, b) => weighted(e, e.where(cond, a!, b!), 18), [
      { data: f64(4, 19), shape: [4, 1] },
      { data: f64(3, 20), shape: [3] },
    ]);
  });
});

describe('GPU gradients agree with the CPU reference', () => {
  // One composite per backward kernel: binary_grad for each op (both operands, broadcast),
  // where_grad, unary_grad for each math function. Both sides are f32; the loss is a weighted
  // sum of ≤ 60 terms, and gradients are summed over ≤ 4 broadcast copies.
  const run = async (e: Engine) => {
    const a = e.tensor(randomArray(60, 21, 0.5, 2), [4, 5, 3]);
    const b = e.tensor(randomArray(15, 22, 0.3, 1.5).map((v, i) => (i % 2 ? v : -v)), [5, 3]); // |b| ≥ 0.3: x/b stays O(1)
    const w = e.tensor(randomArray(60, 23), [4, 5, 3]);
    const f = (x: Tensor, y: Tensor) => {
      const terms = ARITHMETIC.map((op) => e[op](x, y));
      terms.push(e.where(e.greater(y, x), x, y));
      // x ∈ [0.5, 2] for the functions with a pole or a bounded domain, x·y ∈ [-3, 3] elsewhere
      for (const kind of UNARY) terms.push(applyUnary(e, kind, POSITIVE.has(kind) ? x : e.mul(x, y)));
      return e.sum(e.mul(terms.reduce((s, t) => e.add(s, t)), w));
    };
    const { value, grads } = await e.valueAndGrad(f)(a, b);
    return { value, grads: await Promise.all(grads.map((g) => g.read())) };
  };
  it('every binary op, where and every math function in one composite', async () => {
    const [g, c] = [await run(await gpu()), await run(await cpu())];
    expect(Math.abs(g.value - c.value)).toBeLessThan(1e-5 * Math.abs(c.value) + 1e-5);
    for (let i = 0; i < 2; i++) expectSame(g.grads[i]!, c.grads[i]!, 1e-5, 1e-5, `grad ${i}`);
  });
});

describe('edge numerics, the same on both backends', () => {
  const values = async (t: Tensor) => Array.from(await t.read());
  for (const backend of ['webgpu', 'cpu'] as const) {
    const engine = () => (backend === 'webgpu' ? gpu() : cpu());

    it(`${backend}: exp overflows past ln(FLT_MAX) = 88.72, log(0) = −inf, log(< 0) = sqrt(−1) = NaN`, async () => {
      const e = await engine();
      const [big, over] = await values(e.exp(e.tensor([88.7, 89], [2])));
      expect(Number.isFinite(big)).toBe(true);
      expect(big).toBeGreaterThan(3.2e38);
      expect(over).toBe(Infinity);
      expect(await values(e.exp(e.tensor([-Infinity, Infinity, NaN], [3])))).toEqual([0, Infinity, NaN]);
      expect(await values(e.log(e.tensor([0, -1, Infinity], [3])))).toEqual([-Infinity, NaN, Infinity]);
      expect(await values(e.log1p(e.tensor([-1, -2], [2])))).toEqual([-Infinity, NaN]);
      expect(await values(e.sqrt(e.tensor([-1, 0, 4], [3])))).toEqual([NaN, 0, 2]);
      expect(await values(e.rsqrt(e.tensor([0, -1, 4, Infinity], [4])))).toEqual([Infinity, NaN, 0.5, 0]);
      expect(await values(e.expm1(e.tensor([100, -100], [2])))).toEqual([Infinity, -1]);
    });

    it(`${backend}: pow of negative bases (integer exponents keep the sign), x/0, 0/0, sign(0)`, async () => {
      const e = await engine();
      const base = e.tensor([-2, -2, -2, -2, 0, 0, NaN, 1, -1], [9]);
      const expo = e.tensor([3, 0.5, 2, -1, -1, 2, 0, NaN, Infinity], [9]);
      expect(await values(e.pow(base, expo))).toEqual([-8, NaN, 4, -0.5, Infinity, 0, 1, 1, 1]);
      expect(await values(e.div(e.tensor([1, -1, 0, 3], [4]), e.tensor([0, 0, 0, -0], [4])))).toEqual([Infinity, -Infinity, NaN, -Infinity]);
      expect(await values(e.reciprocal(e.tensor([0, 4], [2])))).toEqual([Infinity, 0.25]);
      expect(await values(e.sign(e.tensor([0, -3, 2, NaN], [4])))).toEqual([0, -1, 1, NaN]);
    });

    it(`${backend}: NaN propagates through minimum, maximum and clip; comparisons with NaN are 0`, async () => {
      const e = await engine();
      const a = e.tensor([NaN, 1, NaN, 2], [4]);
      const b = e.tensor([1, NaN, NaN, 3], [4]);
      expect(await values(e.minimum(a, b))).toEqual([NaN, NaN, NaN, 2]);
      expect(await values(e.maximum(a, b))).toEqual([NaN, NaN, NaN, 3]);
      expect(await values(e.clip(e.tensor([NaN, -5, 5, 0.5], [4]), 0, 1))).toEqual([NaN, 0, 1, 0.5]);
      for (const op of COMPARISONS) expect(await values(e[op](a, b)), op).toEqual([0, 0, 0, op === 'less' || op === 'lessEqual' ? 1 : 0]);
    });

    it(`${backend}: where() lets no NaN through from the branch not taken, in values or gradients`, async () => {
      const e = await engine();
      const x = e.tensor([-1, 0, 2, 0.5], [4]);
      const zero = e.tensor([0], []);
      // log(x) is NaN at −1 and −inf at 0: the branch not taken there
      const f = (t: Tensor) => e.sum(e.where(e.greater(t, zero), e.log(t), zero));
      expect(await values(e.where(e.greater(x, zero), e.log(x), zero))).toEqual([0, 0, Math.fround(Math.log(2)), Math.fround(Math.log(0.5))]);
      const { value, grads } = await e.valueAndGrad(f)(x);
      expect(value).toBeCloseTo(Math.log(2) + Math.log(0.5), 6);
      // d/dx = 1/x where taken; exactly 0 elsewhere, also at x = 0 where 1/x = inf (a zero
      // upstream gradient contributes 0, not 0 · inf = NaN)
      expect(await values(grads[0]!)).toEqual([0, 0, 0.5, 2]);
      // the same with sqrt (NaN derivative below 0) and a NaN/inf operand in the other branch
      const y = e.tensor([-4, 4, NaN, Infinity], [4]);
      const g = (t: Tensor) => e.sum(e.where(e.tensor([0, 1, 0, 0], [4]), e.sqrt(t), e.tensor([1, 1, 1, 1], [4])));
      const r = await e.valueAndGrad(g)(y);
      expect(r.value).toBe(5);
      expect(await values(r.grads[0]!)).toEqual([0, 0.25, 0, 0]);
    });
  }
});
