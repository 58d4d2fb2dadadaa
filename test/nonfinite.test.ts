// NaN, infinities and subnormals. Every public op, and the gradient of every differentiable
// one, is fed inputs holding NaN, +Inf and -Inf among ordinary values, on WebGPU and on the
// CPU reference: the outputs must agree position by position (a NaN where the reference has
// a NaN, the same infinity where it has one, close values elsewhere). A NaN never vanishes:
// WGSL's max/min/clamp may drop a NaN operand, so the kernels test for NaN explicitly.
//
// Subnormals: WebGPU lets a device flush f32 subnormals (|x| < 2^-126) to zero, and most do;
// the CPU reference keeps them. The contract is that |x| < FLT_MIN compares as 0
// (flushDenormal in test/backends.ts); the comparison is tested here on cases it must reject.

import { describe, expect, it } from 'vitest';

import type { Engine, Tensor } from '../src/index';
import { both, cpu, expectClose, FLT_MIN, flushDenormal, gpu, randomArray } from './backends';

/** Ordinary entries are O(1): f32 results of these ops agree to a few ulps; the sums and the
 *  exp/log inside softmax and the losses to ~1e-6 relative (see ops-softmax, ops-loss). */
const ATOL = 1e-6;
const RTOL = 1e-5;

const nan = Number.NaN;
const inf = Number.POSITIVE_INFINITY;

/** [4, 5] with NaN, +Inf and -Inf in different rows and columns; row 3 is all finite (its
 *  outputs must stay finite), row 2 has a -Inf only (a legitimate softmax input). */
const specials = Float32Array.from([
  0.5, nan, -1.5, 2, 0,
  inf, -0.25, 1, -inf, 3,
  -inf, 0.75, -2, 1.25, -0.5,
  0.1, -0.2, 0.3, -0.4, 0.6,
]);
const SHAPE = [4, 5];
const finite = randomArray(20, 7, -2, 2);
const probs = randomArray(20, 8, 0.05, 0.95);

type Case = { name: string; run: (e: Engine, x: Tensor) => Tensor; grad?: boolean };

const t = (e: Engine, v: Float32Array, shape = SHAPE) => e.tensor(v, shape);
const cases: Case[] = [
  ...(['sigmoid', 'tanh', 'relu', 'softplus'] as const).map((k) => ({ name: k, run: (e: Engine, x: Tensor) => e[k](x), grad: true })),
  { name: 'leakyRelu', run: (e, x) => e.leakyRelu(x, 0.1), grad: true },
  { name: 'scale by 2', run: (e, x) => e.scale(x, 2), grad: true },
  { name: 'scale by 0 (0·Inf is NaN)', run: (e, x) => e.scale(x, 0), grad: true },
  { name: 'add (same shape)', run: (e, x) => e.add(x, t(e, finite)), grad: true },
  { name: 'sub (row broadcast)', run: (e, x) => e.sub(t(e, finite.subarray(0, 5), [5]), x), grad: true },
  { name: 'mul (scalar broadcast)', run: (e, x) => e.mul(x, e.tensor([-3], [1])), grad: true },
  { name: 'mul by 0 (same shape)', run: (e, x) => e.mul(x, e.zeros(SHAPE)), grad: true },
  { name: 'reshape', run: (e, x) => e.reshape(x, [5, 4]), grad: true },
  ...(['exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'abs', 'neg', 'square', 'reciprocal', 'sin', 'cos', 'sign', 'silu'] as const).map((k) => ({
    name: k,
    run: (e: Engine, x: Tensor) => e[k](x),
    grad: true,
  })),
  { name: 'gelu', run: (e, x) => e.gelu(x), grad: true },
  { name: 'gelu (tanh)', run: (e, x) => e.gelu(x, { approximate: 'tanh' }), grad: true },
  { name: 'clip', run: (e, x) => e.clip(x, -1, 1), grad: true },
  ...(['div', 'pow', 'minimum', 'maximum'] as const).flatMap((k) => [
    { name: `${k} (non-finite first operand)`, run: (e: Engine, x: Tensor) => e[k](x, t(e, probs)), grad: true },
    { name: `${k} (non-finite second operand, broadcast)`, run: (e: Engine, x: Tensor) => e[k](t(e, probs.subarray(0, 5), [5]), x), grad: true },
  ]),
  ...(['greater', 'greaterEqual', 'less', 'lessEqual', 'equal'] as const).map((k) => ({ name: k, run: (e: Engine, x: Tensor) => e[k](x, t(e, finite)) })),
  { name: 'where (non-finite branches)', run: (e, x) => e.where(e.greater(t(e, finite), e.tensor([0], [1])), x, e.neg(x)), grad: true },
  { name: 'where (non-finite condition)', run: (e, x) => e.where(x, t(e, finite), e.tensor([7], [1])) },
  { name: 'sum', run: (e, x) => e.sum(x), grad: true },
  { name: 'sum over axis 0', run: (e, x) => e.sum(x, 0), grad: true },
  { name: 'mean over axis 1', run: (e, x) => e.mean(x, 1), grad: true },
  { name: 'max', run: (e, x) => e.max(x), grad: true },
  { name: 'max over axis 0', run: (e, x) => e.max(x, 0), grad: true },
  { name: 'max over axis 1', run: (e, x) => e.max(x, 1), grad: true },
  { name: 'min over axis 1', run: (e, x) => e.min(x, 1), grad: true },
  { name: 'min over axes [0, 1]', run: (e, x) => e.min(x, [0, 1]), grad: true },
  { name: 'logSumExp over axis 1', run: (e, x) => e.logSumExp(x, 1), grad: true },
  { name: 'logSumExp (keepDims)', run: (e, x) => e.logSumExp(x, 0, { keepDims: true }), grad: true },
  { name: 'variance over axis 1', run: (e, x) => e.variance(x, 1), grad: true },
  { name: 'argMin over axis 1', run: (e, x) => e.argMin(x, 1) },
  { name: 'transpose', run: (e, x) => e.transpose(x), grad: true },
  { name: 'slice', run: (e, x) => e.slice(x, [1, 1], [2, 3]), grad: true },
  { name: 'pad', run: (e, x) => e.pad(x, [[1, 0], [0, 2]]), grad: true },
  { name: 'concat', run: (e, x) => e.concat([x, t(e, finite)], 1), grad: true },
  { name: 'stack', run: (e, x) => e.stack([t(e, finite), x], 0), grad: true },
  { name: 'expandDims and squeeze', run: (e, x) => e.squeeze(e.expandDims(x, 1)), grad: true },
  { name: 'gather', run: (e, x) => e.gather(x, Int32Array.of(2, 0, 2), 0), grad: true },
  { name: 'argMax over axis 1', run: (e, x) => e.argMax(x, 1) },
  { name: 'argMax over axis 0', run: (e, x) => e.argMax(x, 0) },
  { name: 'softmax', run: (e, x) => e.softmax(x), grad: true },
  { name: 'logSoftmax', run: (e, x) => e.logSoftmax(x), grad: true },
  { name: 'softmaxJvp (v non-finite)', run: (e, x) => e.softmaxJvp(e.softmax(t(e, finite)), x), grad: true },
  { name: 'softmaxJvp (y non-finite)', run: (e, x) => e.softmaxJvp(x, t(e, finite)), grad: true },
  { name: 'matmul A·B', run: (e, x) => e.matmul(x, t(e, finite, [5, 4])), grad: true },
  { name: 'matmul Aᵀ·B (non-finite B)', run: (e, x) => e.matmul(t(e, finite), x, { transposeA: true }), grad: true },
  ...(['identity', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'softplus'] as const).map((activation) => ({
    name: `matmul + non-finite bias + ${activation}`,
    run: (e: Engine, x: Tensor) => e.matmul(t(e, finite), x, { transposeB: true, bias: e.reshape(e.sum(x, 1), [4]), activation }),
    grad: activation === 'identity',
  })),
  { name: 'mseLoss', run: (e, x) => e.mseLoss(x, t(e, finite)), grad: true },
  { name: 'mseLoss (non-finite targets)', run: (e, x) => e.mseLoss(t(e, finite), x), grad: true },
  { name: 'binaryCrossEntropy', run: (e, x) => e.binaryCrossEntropy(x, t(e, probs)), grad: true },
  { name: 'binaryCrossEntropy (non-finite targets)', run: (e, x) => e.binaryCrossEntropy(t(e, probs), x), grad: true },
  { name: 'softmaxCrossEntropy (labels)', run: (e, x) => e.softmaxCrossEntropy(x, Int32Array.of(1, 0, 4, 2)), grad: true },
  { name: 'softmaxCrossEntropy (smoothed)', run: (e, x) => e.softmaxCrossEntropy(x, Int32Array.of(1, 0, 4, 2), { labelSmoothing: 0.1 }), grad: true },
  { name: 'softmaxCrossEntropy (non-finite target rows)', run: (e, x) => e.softmaxCrossEntropy(t(e, finite), x), grad: true },
];

// Row by row, so one op's output also tells which rows a special value reached.
const perRowInputs: [string, Float32Array][] = [['NaN, ±Inf', specials]];
for (let r = 0; r < 3; r++) {
  const only = Float32Array.from(finite);
  only.set(specials.subarray(5 * r, 5 * r + 5), 5 * r);
  perRowInputs.push([`row ${r} only`, only]);
}

describe('NaN and Inf propagate through every op as in the CPU reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      for (const [label, input] of perRowInputs) {
        const [g, r] = await both(async (e) => {
          const value = await e.tidy(() => c.run(e, t(e, input))).read();
          if (!c.grad) return { value, grad: null };
          // d/dx Σ op(x)·w with a fixed finite w: every output's gradient path is exercised.
          const w = randomArray(value.length, 9, 0.5, 1.5);
          const { grads } = await e.valueAndGrad((x) => {
            const y = c.run(e, x);
            return e.sum(e.mul(e.reshape(y, [y.size]), e.tensor(w, [y.size])));
          })(t(e, input));
          const grad = await grads[0]!.read();
          grads[0]!.dispose();
          return { value, grad };
        });
        expectClose(g.value, r.value, ATOL, RTOL, `${c.name} (${label}) value`);
        if (g.grad) expectClose(g.grad, r.grad!, ATOL, RTOL, `${c.name} (${label}) gradient`);
      }
    });
  }

  it('the reference itself keeps NaN: relu, max, sum and softmax of a NaN are NaN', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const x = e.tensor([nan, 1, -1, 0], [1, 4]);
      expect(Number.isNaN((await e.relu(x).read())[0])).toBe(true);
      expect(Number.isNaN((await e.leakyRelu(x).read())[0])).toBe(true);
      expect(Number.isNaN((await e.softplus(x).read())[0])).toBe(true);
      expect(Number.isNaN((await e.max(x).read())[0])).toBe(true);
      expect(Number.isNaN((await e.sum(x).read())[0])).toBe(true);
      expect((await e.softmax(x).read()).every(Number.isNaN)).toBe(true);
      expect(Array.from(await e.relu(e.tensor([inf, -inf], [2])).read())).toEqual([inf, 0]);
    }
  });
});

describe('subnormals: |x| < FLT_MIN compares as 0', () => {
  it('the comparison flushes subnormals and nothing else', () => {
    expect(flushDenormal(3.7e-44)).toBe(0);
    expect(flushDenormal(-FLT_MIN / 2)).toBe(0);
    expect(flushDenormal(FLT_MIN)).toBe(FLT_MIN);
    expectClose([3.7e-44, -1e-40, 0], [0, 0, 1e-39], 0, 0, 'subnormal vs 0');
    // Must be rejected: a normal value against 0, NaN against a number, opposite infinities.
    expect(() => expectClose([1.2e-38], [0], 0, 0)).toThrow(/mismatch at 0/);
    expect(() => expectClose([1e-30], [0], 1e-31, 0)).toThrow(/mismatch at 0/);
    expect(() => expectClose([nan], [0], 1, 1)).toThrow(/mismatch at 0/);
    expect(() => expectClose([0], [nan], 1, 1)).toThrow(/mismatch at 0/);
    expect(() => expectClose([inf], [-inf], 1, 1)).toThrow(/mismatch at 0/);
    expect(() => expectClose([inf], [3e38], 1, 1)).toThrow(/mismatch at 0/);
    expectClose([nan, inf, -inf], [nan, inf, -inf], 0, 0, 'specials');
  });

  it('sigmoid and softplus of -100 (subnormal results) agree under the contract; of -80 (normal) they agree to rtol', async () => {
    const [g, c] = await both(async (e) => {
      const x = e.tensor([100, -100, -80], [3, 1]);
      const w = e.tensor([1], [1, 1]);
      return Promise.all([e.matmul(x, w, { activation: 'sigmoid' }).read(), e.matmul(x, w, { activation: 'softplus' }).read(), e.sigmoid(x).read()]);
    });
    const sigmoid = (v: number) => Math.exp(-Math.abs(v)) / (1 + Math.exp(-Math.abs(v)));
    const want = [1, sigmoid(-100), sigmoid(-80)];
    const wantSoftplus = [100, Math.log1p(Math.exp(-100)), Math.log1p(Math.exp(-80))];
    // The CPU keeps the subnormal e^-100 ≈ 3.7e-44; the GPU may flush it to 0.
    expect(c[0][1]).toBeGreaterThan(0);
    expect(c[0][1]).toBeLessThan(FLT_MIN);
    // WGSL's exp is accurate to 3 + 2|x| ulp: at x = -80 that is 163 ulp ≈ 1e-5 relative.
    const rtol = (3 + 2 * 80) * 2 ** -23;
    for (const r of [g, c]) {
      expectClose(r[0], want, 0, rtol, 'fused sigmoid');
      expectClose(r[1], wantSoftplus, 0, rtol, 'fused softplus');
      expectClose(r[2], want, 0, rtol, 'sigmoid');
    }
    expectClose(g[0], c[0], 0, rtol, 'GPU vs CPU');
  });
});
