// Layers, losses, optimizers and the training step, on both backends: the lectures' examples
// (XOR, 4-bit parity, the zig-zag ReLU construction), the one-submit step, reproducibility
// across backends, and the error paths.

import { describe, expect, it } from 'vitest';
import { cpu, gpu } from './backends';
import { checkGradients } from './gradcheck';
import { dense, sequential } from '../src/nn/layers';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, mse, softmaxCrossEntropy } from '../src/nn/losses';
import { Optimizer, inverseTimeDecay } from '../src/nn/optimizers';
import { TrainingStep } from '../src/schedule/step';
import { fit, evaluate, minimize } from '../src/nn/train';
import { makeSplit } from '../src/data/dataset';
import { createRng } from '../src/data/batches';
import type { ActivationKind } from '../src/cpu/activation';
import type { Engine, Tensor } from '../src/index';

const backends = [
  ['webgpu', gpu],
  ['cpu', () => cpu()],
] as const;

/** All 2^bits inputs (as ±1 features) and their parity. */
function parityTable(bits: number): { x: Float32Array; y: Int32Array } {
  const n = 1 << bits;
  const x = new Float32Array(n * bits);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let ones = 0;
    for (let b = 0; b < bits; b++) {
      const bit = (i >> b) & 1;
      x[i * bits + b] = bit ? 1 : -1;
      ones += bit;
    }
    y[i] = ones % 2;
  }
  return { x, y };
}

async function accuracy(e: Engine, logits: Tensor, labels: Int32Array): Promise<number> {
  const o = await logits.read();
  const k = o.length / labels.length;
  let right = 0;
  labels.forEach((l, r) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (o[r * k + j]! > o[r * k + best]!) best = j;
    if (best === l) right++;
  });
  return right / labels.length;
}

describe('MLP gradients match finite differences (CPU, f64), every activation and loss', () => {
  const acts: ActivationKind[] = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'softplus', 'identity'];
  for (const act of acts) {
    it(`dense(3→5, ${act}) → dense(5→4): mse, softmax CE (α = 0.1), BCE on sigmoid`, async () => {
      const e = await cpu('f64');
      const rng = createRng(7);
      const r = (n: number) => Float64Array.from({ length: n }, () => rng.next() * 2 - 1);
      const x = e.tensor(r(6 * 3), [6, 3]);
      const target = e.tensor(Float64Array.from({ length: 24 }, () => rng.next()), [6, 4]);
      const labels = Int32Array.from([0, 3, 1, 2, 2, 0]);
      const mlp = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
        e.matmul(e.matmul(x, w1, { transposeB: true, bias: b1, activation: act, alpha: 0.1 }), w2, { transposeB: true, bias: b2 });
      const shapes = [[5, 3], [5], [4, 5], [4]];
      const params = shapes.map((s, i) => ({ data: r(s.reduce((a, b) => a * b, 1)).map((v) => v + (i % 2 ? 0.05 : 0)), shape: s }));
      for (const loss of [
        (y: Tensor) => e.mseLoss(y, target),
        (y: Tensor) => e.softmaxCrossEntropy(y, labels, { labelSmoothing: 0.1 }),
        (y: Tensor) => e.binaryCrossEntropy(e.sigmoid(y), target),
      ]) {
        await checkGradients(e, (w1, b1, w2, b2) => loss(mlp(w1!, b1!, w2!, b2!)), params);
      }
    });
  }
});

describe('the training step', () => {
  for (const [name, make] of backends) {
    it(`${name}: one submit and no readback per step unless the loss is asked for; no allocation after step 1`, async () => {
      const e = await make();
      const model = sequential([dense(20, 16, { activation: 'relu' }), dense(16, 3)]).build(e, 3);
      const rng = createRng(5);
      const x = e.tensor(Float32Array.from({ length: 32 * 20 }, () => rng.next()), [32, 20]);
      const labels = Int32Array.from({ length: 32 }, (_, i) => i % 3);
      const opt = new Optimizer(e, model.params, { kind: 'adam', lr: 0.01 });
      const step = new TrainingStep(e, () => e.softmaxCrossEntropy(model.forward(x), labels), opt);
      const first = await step.run(true);
      step.run(false);
      const quiet = { ...step.last };
      const second = await step.run(true);
      const loud = { ...step.last };
      if (name === 'webgpu') {
        expect(quiet.submits).toBe(1);
        expect(quiet.readbacks).toBe(0);
        expect(quiet.allocations).toBe(0);
        expect(loud.submits).toBe(1);
        expect(loud.readbacks).toBe(1);
        expect(loud.allocations).toBe(0);
        expect(quiet.dispatches).toBeGreaterThan(8);
      }
      expect(second).toBeLessThan(first);
      opt.dispose();
      model.dispose();
      x.dispose();
    });
  }

  it('50 SGD steps from the same seed give the same loss curve on both backends', async () => {
    const curves: number[][] = [];
    for (const [, make] of backends) {
      const e = await make();
      const model = sequential([dense(10, 12, { activation: 'tanh' }), dense(12, 4)]).build(e, 11);
      const rng = createRng(9);
      const x = e.tensor(Float32Array.from({ length: 40 * 10 }, () => rng.normal()), [40, 10]);
      const labels = Int32Array.from({ length: 40 }, () => rng.nextInt(4));
      const opt = new Optimizer(e, model.params, { kind: 'sgd', lr: 0.1 });
      const step = new TrainingStep(e, () => e.softmaxCrossEntropy(model.forward(x), labels), opt);
      const curve: number[] = [];
      for (let i = 0; i < 50; i++) curve.push(await step.run(true));
      curves.push(curve);
      opt.dispose();
      model.dispose();
      x.dispose();
    }
    // Both compute in f32 with different summation orders; differences of a few ulps per
    // step compound only mildly over 50 smooth steps, so 1e-4 relative is generous but tight
    // enough to catch a wrong gradient (which changes the curve at the first or second digit).
    curves[1]!.forEach((c, i) => expect(Math.abs(curves[0]![i]! - c)).toBeLessThan(1e-4 * Math.abs(c) + 1e-6));
    expect(curves[0]![49]).toBeLessThan(curves[0]![0]! * 0.7);
  });
});

describe("the lectures' examples", () => {
  for (const [name, make] of backends) {
    it(`${name}: XOR and 4-bit parity learned to 100% on the truth table`, async () => {
      const e = await make();
      for (const bits of [2, 4]) {
        const { x, y } = parityTable(bits);
        const split = makeSplit(x, y, bits, 2);
        const model = sequential([dense(bits, 16, { activation: 'tanh' }), dense(16, 2)]).build(e, 2);
        await fit(model, split, { epochs: 300, batchSize: split.count, optimizer: { kind: 'adam', lr: 0.05 }, loss: softmaxCrossEntropy(), lossEvery: 100 });
        const xt = e.tensor(x, [split.count, bits]);
        const out = model.forward(xt);
        expect(await accuracy(e, out, y)).toBe(1);
        out.dispose();
        xt.dispose();
        model.dispose();
      }
    });
  }

  it('the zig-zag construction: a depth-k ReLU net has 2^k linear pieces on [0, 1]', async () => {
    // Tent map t(x) = relu(2x) − relu(4(x − 1/2)) (Pavia notes): 2x on [0, ½], 2 − 2x on [½, 1].
    // Composing it k times gives a zig-zag with 2^k pieces, from 2 hidden units per layer.
    for (const [, make] of backends) {
      const e = await make();
      const n = 4097; // grid points: 4096 intervals, a multiple of 2^k, so kinks lie on the grid
      const xs = Float32Array.from({ length: n }, (_, i) => i / (n - 1));
      for (const k of [1, 2, 3, 4, 5]) {
        let h = e.tensor(xs, [n, 1]);
        const w1 = e.tensor([2, 4], [2, 1]);
        const b1 = e.tensor([0, -2], [2]);
        const w2 = e.tensor([1, -1], [1, 2]);
        const out = e.tidy(() => {
          for (let layer = 0; layer < k; layer++) {
            // h_{k} = relu(W h_{k−1} + b) then the tent combination w·h (a 1-unit linear layer)
            h = e.matmul(e.matmul(h, w1, { transposeB: true, bias: b1, activation: 'relu' }), w2, { transposeB: true });
          }
          return h;
        });
        const y = await out.read();
        let pieces = 1;
        const slope = (i: number) => (y[i + 1]! - y[i]!) * (n - 1);
        for (let i = 1; i < n - 1; i++) if (Math.abs(slope(i) - slope(i - 1)) > 1e-2 * 2 ** k) pieces++;
        expect(pieces).toBe(2 ** k);
        expect(Math.max(...y)).toBeCloseTo(1, 5);
        [out, w1, b1, w2].forEach((t) => t.dispose());
      }
    }
  });
});

describe('losses as training objectives', () => {
  it('mse and binary cross-entropy objectives train (loss falls) on both backends', async () => {
    for (const [, make] of backends) {
      const e = await make();
      const rng = createRng(4);
      const x = e.tensor(Float32Array.from({ length: 64 * 5 }, () => rng.normal()), [64, 5]);
      const d = e.tensor(Float32Array.from({ length: 64 }, (_, i) => (i % 2)), [64, 1]);
      for (const [loss, last] of [[mse(), 'identity'], [binaryCrossEntropy(), 'sigmoid']] as const) {
        const model = sequential([dense(5, 8, { activation: 'tanh' }), dense(8, 1, { activation: last })]).build(e, 1);
        const opt = new Optimizer(e, model.params, { kind: 'momentum', lr: 0.1 });
        const step = new TrainingStep(e, () => loss.compute(e, model.forward(x), d), opt);
        const l0 = await step.run(true);
        for (let i = 0; i < 20; i++) step.run(false);
        expect(await step.run(true)).toBeLessThan(l0);
        opt.dispose();
        model.dispose();
      }
    }
  });

  it('targets made from class indices are freed with the loss value (every loss)', async () => {
    for (const [, make] of backends) {
      const e = await make();
      const z = e.tensor([0.5, -1, 2, 0.1], [4, 1]);
      const z2 = e.tensor([0.5, -1, 2, 0.1, 0, 1, 3, 2], [4, 2]);
      const labels = Int32Array.of(1, 0, 1, 1);
      for (const [loss, output] of [[mse(), z], [binaryCrossEntropyWithLogits(), z], [softmaxCrossEntropy(), z2]] as const) {
        const before = e.stats().liveTensors;
        const value = loss.compute(e, output, labels);
        await value.read();
        value.dispose();
        expect(e.stats().liveTensors - before, loss.name).toBe(0);
      }
    }
  });
});

describe('bad input', () => {
  for (const [name, make] of backends) {
    it(`${name}: learning rate, feature size, labels, NaN`, async () => {
      const e = await make();
      const model = sequential([dense(4, 3, { activation: 'relu' }), dense(3, 2)]).build(e, 1);
      expect(() => new Optimizer(e, model.params, { kind: 'sgd', lr: -1 })).toThrow(/learning rate must be a positive finite number, got -1/);
      expect(() => new Optimizer(e, model.params, { kind: 'sgd', lr: NaN })).toThrow(/learning rate must be a positive finite number, got NaN/);
      // options a kind does not take are refused, not ignored; values are numbers
      expect(() => new Optimizer(e, model.params, { kind: 'sgd', lr: 0.1, momentum: 0.9 } as never)).toThrow(/optimizer: sgd has no option 'momentum' \(SGD with momentum is kind 'momentum'\); its options are kind, lr/);
      expect(() => new Optimizer(e, model.params, { kind: 'adam', weightDecay: 0.01 } as never)).toThrow(/optimizer: adam has no option 'weightDecay'/);
      expect(() => new Optimizer(e, model.params, { kind: 'momentum', lr: 0.1, momentum: '0.5' as never })).toThrow(/momentum\/beta1 must be in \[0, 1\), got 0.5/);
      const sgd = new Optimizer(e, model.params, { kind: 'sgd', lr: 0.1 });
      expect(() => sgd.step(model.params.map(() => undefined) as never)).toThrow(/optimizer.step: gradient 0 must be a Tensor, got undefined/);
      sgd.dispose();
      expect(() => model.loadStateDict(null as never, 'weights.safetensors')).toThrow(/weights.safetensors: loadStateDict needs an object/);
      expect(() => new Optimizer(e, model.params, 'adam' as never)).toThrow(/optimizer: the config must be an object such as \{ kind: 'adam', lr: 1e-3 \}, got 'adam'/);
      expect(() => sequential([dense as never])).toThrow(/sequential: layers\[0\] is not a layer \(a layer function; call it, e.g. dense\(784, 128\)\)/);
      expect(() => dense(2, 2, { init: 'xavier' as never })).toThrow(/dense: unknown init 'xavier' \(expected one of glorot, he, normal, zeros; 'glorot' is Xavier uniform\)/);
      expect(() => dense(2, 2, { bias: 'no' as never })).toThrow(/dense: bias must be true or false, got no/);
      const tiny = makeSplit(new Float32Array(8), Int32Array.from([0, 1]), 4, 2);
      await expect(fit(model, tiny, { epochs: 1, batchSize: 2, optimizer: { kind: 'sgd', lr: 0.1 } } as never)).rejects.toThrow(/fit: loss must be a loss such as softmaxCrossEntropy\(\)/);
      await expect(fit(model, tiny, { epochs: 1, batchSize: 2, loss: softmaxCrossEntropy } as never)).rejects.toThrow(/fit: loss must be .* got function softmaxCrossEntropy/);
      await expect(fit(model, tiny, { epochs: 1, batchSize: 2, loss: softmaxCrossEntropy() } as never)).rejects.toThrow(/fit: optimizer is missing/);
      await expect(evaluate(model, makeSplit(new Float32Array(0), new Int32Array(0), 4, 2), softmaxCrossEntropy())).rejects.toThrow(/evaluate: the split has no examples/);
      const p = e.tensor([1, 2], [2]);
      await expect(minimize(e, () => e.sum(e.mul(p, p)), [p], { lr: 0.1, maxSteps: 2.5 })).rejects.toThrow(/minimize: maxSteps must be an integer >= 1, got 2.5/);
      await expect(minimize(e, () => e.sum(e.mul(p, p)), [], { lr: 0.1, maxSteps: 2 })).rejects.toThrow(/minimize: params must be a non-empty array/);
      expect(() => e.conv2d(e.zeros([1, 1, 3, 3]), e.zeros([1, 1, 2, 2]), { stride: NaN })).toThrow(/conv2d: stride must be an integer >= 1 or a pair \[h, w\] of them, got NaN/);
      expect(() => model.forward(e.tensor(new Float32Array(10), [2, 5]))).toThrow(/dense\(4, 3\): input has shape \[2, 5\], expected \[batch, 4\]/);
      const split = makeSplit(new Float32Array(8), Int32Array.from([0, 5]), 4, 6);
      const before = e.stats().queue.dispatches;
      await expect(fit(model, split, { epochs: 1, batchSize: 2, optimizer: { kind: 'sgd', lr: 0.1 }, loss: softmaxCrossEntropy() })).rejects.toThrow(
        /fit: the data has 6 classes \(labels 0..5\) but the model outputs 2 values per example/,
      );
      expect(e.stats().queue.dispatches).toBe(before);
      expect(() => e.softmaxCrossEntropy(e.tensor(new Float32Array(4), [2, 2]), Int32Array.from([0, 5]))).toThrow(/5/);
      // A NaN input poisons the loss and the gradients: training stops naming the step and layer.
      const bad = makeSplit(Float32Array.from([1, 2, NaN, 4, 1, 2, 3, 4]), Int32Array.from([0, 1]), 4, 2);
      await expect(fit(model, bad, { epochs: 1, batchSize: 2, optimizer: { kind: 'sgd', lr: 0.1 }, loss: softmaxCrossEntropy() })).rejects.toThrow(
        /training stopped: the (loss|gradient of \d\.(weight|bias) \(\[\d+(, \d+)?\]\)) became NaN or infinite at step 1/,
      );
      model.dispose();
    });
  }
});

describe('evaluation', () => {
  it('evaluate() reports the loss and the arg-max accuracy', async () => {
    const e = await cpu();
    const model = sequential([dense(2, 2)]).build(e, 1);
    model.loadStateDict({ '0.weight': { shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) }, '0.bias': { shape: [2], data: new Float32Array(2) } }, 'test');
    const split = makeSplit(Float32Array.from([3, 1, 0, 2, 5, 4]), Int32Array.from([0, 1, 1]), 2, 2);
    const r = await evaluate(model, split, softmaxCrossEntropy());
    expect(r.accuracy).toBeCloseTo(2 / 3, 10);
    const ce = (z: number[], l: number) => -(z[l]! - Math.log(Math.exp(z[0]!) + Math.exp(z[1]!)));
    expect(r.loss).toBeCloseTo((ce([3, 1], 0) + ce([0, 2], 1) + ce([5, 4], 1)) / 3, 5);
  });
});

describe('optimizers follow their formulas', () => {
  for (const [name, make] of backends) {
    it(`${name}: SGD with the decaying η_k = η0/(1+k), momentum and Adam on f(w) = Σ g·w`, async () => {
      const e = await make();
      const g = [0.5, -2, 3, 1e-3, 7]; // constant gradient: f is linear
      const run = async (config: ConstructorParameters<typeof Optimizer>[2], steps: number) => {
        const w = e.tensor(new Float32Array(5), [5]);
        const opt = new Optimizer(e, [w], config);
        const gt = e.tensor(g, [5]);
        for (let k = 0; k < steps; k++) opt.step([gt]);
        const out = Array.from(await w.read());
        opt.dispose();
        return out;
      };
      const sgd = await run({ kind: 'sgd', lr: inverseTimeDecay(1, 1) }, 3); // Σ η = 1 + 1/2 + 1/3
      sgd.forEach((v, i) => expect(v).toBeCloseTo(-g[i]! * (1 + 1 / 2 + 1 / 3), 5));
      const mom = await run({ kind: 'momentum', lr: 0.1, momentum: 0.9 }, 2); // v1 = g, v2 = 1.9 g
      mom.forEach((v, i) => expect(v).toBeCloseTo(-0.1 * g[i]! * 2.9, 5));
      // Adam with a constant gradient: m̂ = g and v̂ = g² at every step, so each step moves
      // w by −η·g/(|g| + ε√(1−β2^t))·… ≈ −η·sign(g) (ε = 1e-8 is negligible here).
      const adam = await run({ kind: 'adam', lr: 0.01 }, 4);
      adam.forEach((v, i) => expect(v).toBeCloseTo(-0.04 * Math.sign(g[i]!), 5));
    });
  }
});
