// conv2d (im2col + matmul + channelsFirst): WebGPU and the CPU engine against the textbook
// seven-loop convolution (src/cpu/conv.ts conv2dDirectCpu, which shares no code with the
// im2col path) on awkward shapes (batch 1, one channel, primes, stride, padding, dilation,
// rectangular kernels), gradients for input, weight and bias by finite differences (CPU, f64),
// GPU gradients against the CPU engine's, and errors.

import { describe, expect, it } from 'vitest';
import { both, cpu, expectClose, f64, maxAbs, randomArray } from './backends';
import { checkGradients } from './gradcheck';
import { conv2dDirectCpu, convOutSize, type Conv2dGeometry } from '../src/cpu/conv';
import type { Engine, Tensor } from '../src/index';

interface Case {
  name: string;
  x: [number, number, number, number];
  out: number;
  kernel: [number, number];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  bias?: boolean;
}

const cases: Case[] = [
  { name: 'one 1×1 pixel, 1×1 kernel', x: [1, 1, 1, 1], out: 1, kernel: [1, 1] },
  { name: 'batch 1, one channel, 3×3 on 5×5', x: [1, 1, 5, 5], out: 1, kernel: [3, 3], bias: true },
  { name: 'primes: 3×2×7×11 -> 5, 3×2 kernel', x: [3, 2, 7, 11], out: 5, kernel: [3, 2], bias: true },
  { name: 'stride [2, 3], padding [1, 2]', x: [2, 3, 9, 10], out: 4, kernel: [3, 3], stride: [2, 3], padding: [1, 2], bias: true },
  { name: 'dilation [2, 1] with padding 2', x: [2, 2, 8, 7], out: 3, kernel: [3, 2], dilation: [2, 1], padding: [2, 2] },
  { name: 'LeNet conv2: 20 -> 50, 5×5 on 12×12 (K = 500 > tile)', x: [2, 20, 12, 12], out: 50, kernel: [5, 5], bias: true },
  { name: 'kernel as large as the padded input', x: [1, 3, 4, 3], out: 2, kernel: [6, 5], padding: [1, 1], bias: true },
];

function geometry(c: Case): Conv2dGeometry {
  const [batch, channels, height, width] = c.x;
  const [kernelH, kernelW] = c.kernel;
  const [strideH, strideW] = c.stride ?? [1, 1];
  const [padH, padW] = c.padding ?? [0, 0];
  const [dilationH, dilationW] = c.dilation ?? [1, 1];
  return {
    batch, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW,
    outH: convOutSize(height, kernelH, strideH, padH, dilationH),
    outW: convOutSize(width, kernelW, strideW, padW, dilationW),
  };
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function inputs(c: Case, seed: number) {
  const wShape = [c.out, c.x[1], ...c.kernel];
  return { x: randomArray(size(c.x), seed), w: randomArray(size(wShape), seed + 1), b: randomArray(c.out, seed + 2), wShape };
}

function conv(e: Engine, c: Case, x: Tensor, w: Tensor, b?: Tensor): Tensor {
  return e.conv2d(x, w, { bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation });
}

/** f32 unit roundoff. A conv output is a dot product of K = C·kh·kw f32 products (plus the
 *  bias) accumulated in f32 in k order: error ≤ K·U·Σ|terms| in the worst case; we allow
 *  4·K·U relative to the largest |term| sum, which |x|, |w| ≤ 1 bound by K + 1. */
const U = 2 ** -24;

describe('conv2d forward: GPU and CPU engine vs the direct convolution', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { x, w, b, wShape } = inputs(c, 7);
      const g = geometry(c);
      const want = conv2dDirectCpu(Float64Array.from(x), Float64Array.from(w), c.bias ? Float64Array.from(b) : undefined, c.out, g);
      const [gpuOut, cpuOut] = await both(async (e) => {
        const y = conv(e, c, e.tensor(x, c.x), e.tensor(w, wShape), c.bias ? e.tensor(b, [c.out]) : undefined);
        expect(y.shape).toEqual([c.x[0], c.out, g.outH, g.outW]);
        return y.read();
      });
      const K = c.x[1] * c.kernel[0] * c.kernel[1];
      const tol = 4 * (K + 1) * (K + 1) * U;
      expectClose(gpuOut, want, tol, 0, 'GPU');
      expectClose(cpuOut, want, tol, 0, 'CPU engine');
    });
  }

  // cols is padded to a multiple of 4 columns (C·kh·kw = 2·3·2 = 12 is aligned; 1·3·3 = 9 is
  // not) and W2 with zero columns: the padding columns must be written as 0, not left as
  // whatever a reused buffer held (NaN · 0 would poison every output).
  it('the padding columns of cols are zeroed, whatever the reused buffer held', async () => {
    const c = cases[1]!;
    const { x, w, b, wShape } = inputs(c, 13);
    const want = conv2dDirectCpu(Float64Array.from(x), Float64Array.from(w), Float64Array.from(b), c.out, geometry(c));
    await both(async (e) => {
      const g = geometry(c);
      // buffers of cols' size (and a few others) full of NaN, returned to the pool
      const n = g.outH * g.outW * 12;
      const nans = Array.from({ length: 8 }, () => e.tensor(new Float32Array(n).fill(NaN), [n]));
      nans.forEach((t) => t.dispose());
      // the pool reuses a released buffer after the next submit: make one
      await e.neg(e.tensor(new Float32Array(4), [4])).read();
      const reusesBefore = e.stats().pool?.reuses ?? 0;
      const y = await conv(e, c, e.tensor(x, c.x), e.tensor(w, wShape), e.tensor(b, [c.out])).read();
      expectClose(y, want, 4 * 10 * 10 * U, 0, e.backend);
      if (e.backend === 'webgpu') expect(e.stats().pool!.reuses).toBeGreaterThan(reusesBefore); // a NaN buffer was taken
    });
  });

  it('a fused activation (no gradients recorded) equals conv then relu', async () => {
    const c = cases[3]!;
    const { x, w, b, wShape } = inputs(c, 11);
    await both(async (e) => {
      const [xt, wt, bt] = [e.tensor(x, c.x), e.tensor(w, wShape), e.tensor(b, [c.out])];
      const fused = await e.conv2d(xt, wt, { bias: bt, stride: c.stride, padding: c.padding, activation: 'relu' }).read();
      const split = await e.relu(e.conv2d(xt, wt, { bias: bt, stride: c.stride, padding: c.padding })).read();
      expect(Array.from(fused)).toEqual(Array.from(split));
    });
  });
});

describe('conv2d backward', () => {
  // small cases with every option, checked by central differences in f64
  const gradCases = [cases[2]!, cases[3]!, cases[4]!].map((c) => ({ ...c, x: [1, c.x[1], Math.min(c.x[2], 6), Math.min(c.x[3], 7)] as Case['x'], out: 2 }));
  for (const c of gradCases) {
    it(`input, weight and bias by finite differences: ${c.name}`, async () => {
      const e = await cpu('f64');
      const { wShape } = inputs(c, 3);
      const g = geometry(c);
      const r = e.tensor(f64(c.x[0] * c.out * g.outH * g.outW, 9), [c.x[0], c.out, g.outH, g.outW]);
      await checkGradients(e, (x, w, b) => e.sum(e.mul(conv(e, c, x!, w!, b!), r)), [
        { data: f64(size(c.x), 4), shape: c.x },
        { data: f64(size(wShape), 5), shape: wShape },
        { data: f64(c.out, 6), shape: [c.out] },
      ]);
    });
  }

  for (const c of [cases[1]!, cases[3]!, cases[5]!]) {
    it(`GPU gradients match the CPU engine: ${c.name}`, async () => {
      const { x, w, b, wShape } = inputs(c, 21);
      const g = geometry(c);
      const rShape = [c.x[0], c.out, g.outH, g.outW];
      const rv = randomArray(size(rShape), 22);
      const [gg, cg] = await both(async (e) => {
        const r = e.tensor(rv, rShape);
        const { grads } = await e.valueAndGrad((xt, wt, bt) => e.sum(e.mul(conv(e, c, xt!, wt!, bt!), r)))(
          e.tensor(x, c.x), e.tensor(w, wShape), e.tensor(b, [c.out]),
        );
        return Promise.all(grads.map((t) => t.read()));
      });
      // dx sums ≤ O·kh·kw products, dw and db sum N·OH·OW: relative to the largest element
      for (let i = 0; i < 3; i++) expectClose(gg[i]!, cg[i]!, 1e-5 * Math.max(1, maxAbs(cg[i]!)), 0, ['dx', 'dw', 'db'][i]);
    });
  }
});

describe('conv2d errors name the op, the shapes and what was expected', () => {
  it('rejects bad shapes and options', async () => {
    const e = await cpu();
    const x = e.tensor(new Float32Array(2 * 3 * 5 * 5), [2, 3, 5, 5]);
    const w = e.tensor(new Float32Array(4 * 3 * 3 * 3), [4, 3, 3, 3]);
    expect(() => e.conv2d(e.tensor(new Float32Array(75), [3, 5, 5]), w)).toThrow(/conv2d: input \[3, 5, 5\] must be NCHW with 3 channels/);
    expect(() => e.conv2d(x, e.tensor(new Float32Array(36), [4, 1, 3, 3]))).toThrow(/conv2d: input \[2, 3, 5, 5\] must be NCHW with 1 channels/);
    expect(() => e.conv2d(x, e.tensor(new Float32Array(36), [4, 9]))).toThrow(/conv2d: weight must be \[out, in, kh, kw\]/);
    expect(() => e.conv2d(x, w, { bias: e.tensor([1, 2], [2]) })).toThrow(/conv2d: bias has shape \[2\], expected \[4\]/);
    expect(() => e.conv2d(x, w, { stride: 0 })).toThrow(/conv2d: stride must be an integer >= 1/);
    expect(() => e.conv2d(x, w, { activation: 'gelu' as never })).toThrow(/conv2d: unknown activation 'gelu'/);
    expect(() => e.conv2d(x, w, { bias: [1, 2, 3, 4] as never })).toThrow(/conv2d: bias must be a Tensor, got an array/);
    expect(() => e.conv2d(undefined as never, w)).toThrow(/conv2d: x must be a Tensor, got undefined/);
    const gone = e.tensor(new Float32Array(4 * 3 * 3 * 3), [4, 3, 3, 3]);
    gone.dispose();
    expect(() => e.conv2d(x, gone)).toThrow(/^conv2d: tensor #\d+ of shape \[4, 3, 3, 3\] was disposed/);
    expect(() => e.conv2d(x, w, { activation: 'leakyRelu', alpha: Infinity })).toThrow(/conv2d: alpha must be a finite number, got Infinity/);
    expect(() => e.conv2d(x, w, { padding: [1, -1] })).toThrow(/conv2d: padding must be an integer >= 0/);
    expect(() => e.conv2d(x, w, { dilation: 3 })).toThrow(/conv2d: input \[2, 3, 5, 5\] with padding \[0, 0\] is smaller than the kernel \[3, 3\] \(dilation \[3, 3\]\)/);
  });
});

describe('grids past 65535 workgroups', () => {
  it('conv2d and its gradients loop over planes when N·C > 4 · 65535', async () => {
    const c: Case = { name: 'many planes', x: [262_200, 1, 1, 2], out: 2, kernel: [1, 2], bias: true };
    const { x, w, b, wShape } = inputs(c, 31);
    const rv = randomArray(262_200 * 2, 32);
    const [g, r] = await both(async (e) => {
      const rt = e.tensor(rv, [262_200, 2, 1, 1]);
      const { value, grads } = await e.valueAndGrad((xt, wt) => e.sum(e.mul(conv(e, c, xt!, wt!, e.tensor(b, [2])), rt)))(e.tensor(x, c.x), e.tensor(w, wShape));
      return { value, dx: await grads[0]!.read(), dw: await grads[1]!.read() };
    });
    // a sum of 524,400 terms: compare relative to its size
    expect(Math.abs(g.value - r.value)).toBeLessThan(1e-3 * Math.max(1, Math.abs(r.value)));
    expectClose(g.dx, r.dx, 1e-6, 0, 'dx');
    expectClose(g.dw, r.dw, 1e-3 * maxAbs(r.dw), 0, 'dw');
  });
});
