// Memory over long runs: 10,000 training steps with nothing growing after warm-up (live
// tensors, live buffers, bytes allocated, buffers created), a model and its optimizer that
// give back everything they took when disposed, and losses that do not leak the targets
// they build from class indices. Node only: the counters are the engine's, the same in a
// page, and 10,000 steps are more than a browser-suite page should take.

import { describe, expect, it } from 'vitest';

import { dense, losses, Optimizer, sequential, TrainingStep, type Engine, type Tensor } from '../src/index';
import { createRng } from '../src/data/batches';
import { cpu, gpu } from './backends';

const backends = [
  ['webgpu', gpu],
  ['cpu', () => cpu()],
] as const;

/** What must not grow: tensors and buffers alive, bytes the pool holds, buffers created. */
function counts(e: Engine) {
  const s = e.stats();
  return {
    liveTensors: s.liveTensors,
    liveBuffers: s.pool?.liveBuffers ?? 0,
    allocatedBytes: s.pool?.allocatedBytes ?? 0,
    allocations: s.pool?.allocations ?? 0,
  };
}

describe('10,000 training steps', () => {
  for (const [name, make] of backends) {
    it(`${name}: live tensors, live buffers and allocated bytes stay flat after warm-up`, async () => {
      const e = await make();
      const start = counts(e);
      const rng = createRng(3);
      const data = Float32Array.from({ length: 64 * 4 }, () => rng.normal());
      const labels = Int32Array.from({ length: 64 }, () => rng.nextInt(3));
      const model = sequential([dense(4, 3)]).build(e, 2);
      const opt = new Optimizer(e, model.params, { kind: 'adam', lr: 1e-3 });
      let x = e.zeros([8, 4]);
      let y = labels.subarray(0, 8);
      // mse with class indices: the loss builds one-hot targets itself (it used to leak them).
      const loss = name === 'cpu' ? losses.mse() : losses.softmaxCrossEntropy();
      const step = new TrainingStep(e, () => loss.compute(e, model.forward(x), y), opt);
      let warm: ReturnType<typeof counts> | null = null;
      let last = NaN;
      for (let k = 1; k <= 10_000; k++) {
        // A new batch tensor every step, as fit makes them.
        const b = k % 8;
        x.dispose();
        x = e.tensor(data.subarray(b * 32, b * 32 + 32), [8, 4]);
        y = labels.subarray(b * 8, b * 8 + 8);
        // Read every 100 steps, as fit does every 50: it bounds how far the CPU runs ahead.
        if (k % 100 === 0) last = await step.run(true);
        else step.run(false);
        if (k === 200) warm = counts(e);
        if (k > 200 && k % 1000 === 0) expect(counts(e), `after ${k} steps`).toEqual(warm);
      }
      expect(Number.isFinite(last)).toBe(true);
      x.dispose();
      opt.dispose();
      model.dispose();
      expect({ ...counts(e), allocatedBytes: 0, allocations: 0 }).toEqual({ ...start, allocatedBytes: 0, allocations: 0 });
    });
  }
});

describe('disposal returns the engine to its starting counts', () => {
  for (const [name, make] of backends) {
    it(`${name}: a model, its optimizer (every kind) and a trained step`, async () => {
      const e = await make();
      const start = counts(e);
      for (const kind of ['sgd', 'momentum', 'adam'] as const) {
        const model = sequential([dense(3, 5, { activation: 'tanh' }), dense(5, 2, { activation: 'sigmoid' })]).build(e, 1);
        const opt = new Optimizer(e, model.params, kind === 'adam' ? { kind } : { kind, lr: 0.1 });
        const x = e.tensor([1, 2, 3, -1, -2, -3], [2, 3]);
        const step = new TrainingStep(e, () => losses.binaryCrossEntropy().compute(e, model.forward(x), Int32Array.of(0, 1)), opt);
        await step.run(true);
        step.run(false);
        expect(counts(e).liveTensors).toBeGreaterThan(start.liveTensors);
        x.dispose();
        opt.dispose();
        model.dispose();
        await e.sync();
        const now = counts(e);
        expect({ liveTensors: now.liveTensors, liveBuffers: now.liveBuffers }, kind).toEqual({ liveTensors: start.liveTensors, liveBuffers: start.liveBuffers });
      }
    });
  }
});

describe('losses built from class indices do not leak their targets', () => {
  for (const [name, make] of backends) {
    it(`${name}: mse and binaryCrossEntropy outside tidy and under valueAndGrad`, async () => {
      const e = await make();
      const y = e.tensor([0.2, 0.7, 0.1, 0.9, 0.4, 0.3], [2, 3]);
      const p = e.tensor([0.2, 0.9], [2, 1]);
      const before = counts(e).liveTensors;
      for (let i = 0; i < 5; i++) {
        const l1 = losses.mse().compute(e, y, Int32Array.of(1, 2));
        const l2 = losses.binaryCrossEntropy().compute(e, p, Int32Array.of(0, 1));
        // The targets were used before they were freed: mse of one-hot rows [0,1,0], [0,0,1].
        expect((await l1.read())[0]).toBeCloseTo(0.5 * (0.04 + 0.09 + 0.01 + 0.81 + 0.16 + 0.49) / 2, 6);
        expect((await l2.read())[0]).toBeCloseTo(-(Math.log(0.8) + Math.log(0.9)) / 2, 5);
        l1.dispose();
        l2.dispose();
      }
      expect(counts(e).liveTensors).toBe(before);
      // Under the tape the targets live until the backward pass has used them.
      const { value, grads } = await e.valueAndGrad((t) => losses.mse().compute(e, t, Int32Array.of(1, 2)))(y);
      expect(value).toBeCloseTo(0.5 * (0.04 + 0.09 + 0.01 + 0.81 + 0.16 + 0.49) / 2, 6);
      expect(Array.from(await grads[0]!.read()).map((v) => +v.toFixed(5))).toEqual([0.1, -0.15, 0.05, 0.45, 0.2, -0.35]);
      grads[0]!.dispose();
      expect(counts(e).liveTensors).toBe(before);
      y.dispose();
      p.dispose();
    });
  }
});

describe('backward frees each gradient once it is consumed', () => {
  // A deep chain of dense tanh layers, differentiated with respect to its input only. The
  // forward pass keeps two [B, H] tensors per layer for the backward rules; the backward pass
  // must add only a constant on top (the gradients in flight), however deep the net.
  const B = 8;
  const H = 16;
  const TENSOR = B * H * 4;
  for (const [name, make] of backends) {
    it(`${name}: the peak above the forward pass does not grow with depth`, async () => {
      const e = await make();
      const rng = createRng(8);
      const excess = async (depth: number) => {
        const ws = Array.from({ length: depth }, () => e.tensor(Float32Array.from({ length: H * H }, () => rng.normal() / 4), [H, H]));
        const bs = Array.from({ length: depth }, () => e.tensor(Float32Array.from({ length: H }, () => rng.normal() / 4), [H]));
        const x = e.tensor(Float32Array.from({ length: B * H }, () => rng.normal()), [B, H]);
        // tanh as its own op: forward-only and recorded passes then keep the same tensors.
        const f = (input: Tensor) => e.sum(ws.reduce((h, w, l) => e.tanh(e.matmul(h, w, { transposeB: true, bias: bs[l] })), input));
        e.resetPeakBytes();
        const base = e.stats().liveBytes;
        e.tidy(() => f(x));
        const forward = e.stats().peakBytes - base;
        e.resetPeakBytes();
        const { grads } = await e.valueAndGrad(f)(x);
        const both = e.stats().peakBytes - base;
        expect(Array.from(await grads[0]!.read()).every(Number.isFinite)).toBe(true);
        grads[0]!.dispose();
        [...ws, ...bs, x].forEach((t) => t.dispose());
        expect(forward).toBeGreaterThanOrEqual(2 * depth * TENSOR); // Z and tanh(Z) per layer
        return both - forward;
      };
      const shallow = await excess(4);
      const deep = await excess(32);
      // Backward's own live tensors: dy, the rule's result and its input gradient, the
      // returned gradient and the seed: a handful of [B, H] tensors at any depth.
      expect(deep).toBeLessThanOrEqual(6 * TENSOR);
      expect(deep - shallow).toBeLessThanOrEqual(TENSOR);
    });
  }
});
