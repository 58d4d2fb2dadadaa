// The image and regularization layers in a sequential model: PyTorch state_dict names (a
// fused activation counts as its own module), NCHW batches from inputShape, dropout active in
// fit's steps and off in evaluate, a small CNN that learns on both backends with the same
// numbers, and errors that name the layer.

import { describe, expect, it } from 'vitest';
import { both, cpu, expectClose, gpu, randomArray } from './backends';
import { makeSplit, type Split } from '../src/data/dataset';
import {
  activationLayer, avgPool2d, conv2d, dense, dropout, embedding, flatten, layerNorm, maxPool2d, sequential,
} from '../src/nn/layers';
import { softmaxCrossEntropy } from '../src/nn/losses';
import { evaluate, fit } from '../src/nn/train';

const tinyCnn = () =>
  sequential(
    [
      conv2d(1, 4, 3, { activation: 'relu', padding: 1 }), // 0 Conv2d, 1 ReLU
      maxPool2d(2), // 2
      conv2d(4, 6, [3, 2]), // 3
      activationLayer('relu'), // 4
      avgPool2d(2, 1), // 5
      flatten(), // 6
      layerNorm(6 * 1 * 2), // 7
      dropout(0.25), // 8
      dense(12, 3), // 9
    ],
    { inputShape: [1, 8, 8] },
  );

/** Images whose class is the quadrant with the brightest blob: learnable by a tiny CNN. */
function blobs(count: number, seed: number): Split {
  const noise = randomArray(count * 64, seed, 0, 0.3);
  const labels = Int32Array.from({ length: count }, (_, i) => (i * 7 + seed) % 3);
  labels.forEach((c, i) => {
    const [r0, c0] = [[0, 0], [0, 4], [4, 2]][c]!;
    for (let r = r0; r < r0 + 4; r++) for (let k = c0; k < c0 + 4; k++) noise[i * 64 + r * 8 + k]! += 0.7;
  });
  return makeSplit(noise, labels, 64, 3);
}

describe('image layers in a sequential model', () => {
  it("names parameters as PyTorch's nn.Sequential state_dict, with PyTorch's shapes", async () => {
    const e = await cpu();
    const model = tinyCnn().build(e, 1);
    expect(model.namedParams().map((p) => `${p.name} [${p.tensor.shape.join(', ')}]`)).toEqual([
      '0.weight [4, 1, 3, 3]', '0.bias [4]', '3.weight [6, 4, 3, 2]', '3.bias [6]',
      '7.weight [12]', '7.bias [12]', '9.weight [3, 12]', '9.bias [3]',
    ]);
    model.dispose();
  });

  it('runs NCHW batches, and gives the same outputs on both backends', async () => {
    const x = randomArray(5 * 64, 3);
    const [g, c] = await both(async (e) => {
      const model = tinyCnn().build(e, 2);
      const y = model.forward(e.tensor(x, model.batchShape(5, 64)));
      expect(y.shape).toEqual([5, 3]);
      const out = await y.read();
      model.dispose();
      return out;
    });
    expectClose(g, c, 1e-4, 1e-4, 'logits');
  });

  it('dropout is active only while training, with a new mask for every seed', async () => {
    const e = await gpu();
    const model = sequential([dropout(0.5)]).build(e);
    const x = e.tensor(new Float32Array(64).fill(1), [1, 64]);
    expect(Array.from(await model.forward(x).read())).toEqual(new Array(64).fill(1));
    const a = Array.from(await model.forward(x, { training: true, seed: 1 }).read());
    const b = Array.from(await model.forward(x, { training: true, seed: 2 }).read());
    expect(new Set(a)).toEqual(new Set([0, 2]));
    expect(a).not.toEqual(b);
    expect(Array.from(await model.forward(x, { training: true, seed: 1 }).read())).toEqual(a);
  });

  it("fit's steps drop units, evaluate does not", async () => {
    const e = await gpu();
    const data = blobs(32, 5);
    const model = sequential([flatten(), dropout(0.5), dense(64, 3)]).build(e, 6);
    // a step size of 1e-30 leaves the weights as they are: only dropout can move the loss
    const r = await fit(model, data, { epochs: 1, batchSize: 32, optimizer: { kind: 'sgd', lr: 1e-30 }, loss: softmaxCrossEntropy() });
    const a = await evaluate(model, data, softmaxCrossEntropy());
    const b = await evaluate(model, data, softmaxCrossEntropy());
    expect(a.loss).toBe(b.loss);
    expect(Math.abs(r.epochs[0]!.trainLoss - a.loss)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('a small CNN learns on both backends, with the same curve (dropout on in fit, off in evaluate)', async () => {
    const train = blobs(96, 1);
    const test = blobs(48, 2);
    const [g, c] = await both(async (e) => {
      const model = tinyCnn().build(e, 4);
      const r = await fit(model, train, { epochs: 8, batchSize: 16, optimizer: { kind: 'adam', lr: 0.02 }, loss: softmaxCrossEntropy() });
      const ev = await evaluate(model, test, softmaxCrossEntropy());
      model.dispose();
      return { losses: r.epochs.map((ep) => ep.trainLoss), ev };
    });
    expect(g.losses.at(-1)!).toBeLessThan(g.losses[0]! * 0.5);
    expect(g.ev.accuracy).toBeGreaterThan(0.9);
    // the same masks and the same arithmetic up to f32 rounding: the curves agree closely
    expectClose(g.losses, c.losses, 1e-3, 1e-2, 'loss curve');
    // evaluate is deterministic (no dropout): its loss matches the CPU's
    expect(Math.abs(g.ev.loss - c.ev.loss)).toBeLessThan(1e-3 + 1e-2 * c.ev.loss);
  });

  it('embedding looks rows up, and its gradient sums the uses of each row (both backends)', async () => {
    const tokens = [3, 0, 3, 4, 3, 1]; // token 3 three times, token 2 never
    const [g, c] = await both(async (e) => {
      const model = sequential([embedding(5, 4), flatten(), dense(3 * 4, 2)], { inputShape: [3] }).build(e, 9);
      expect(model.namedParams().map((p) => `${p.name} [${p.tensor.shape.join(', ')}]`)).toEqual(['0.weight [5, 4]', '2.weight [2, 12]', '2.bias [2]']);
      const table = await model.params[0]!.read();
      const x = e.tensor(tokens, [2, 3]);
      const rows = await e.gather(model.params[0]!, x, 0).read();
      tokens.forEach((t, j) => expect(Array.from(rows.subarray(4 * j, 4 * j + 4))).toEqual(Array.from(table.subarray(4 * t, 4 * t + 4))));
      const { grads } = await e.valueAndGrad((w) => e.sum(e.square(e.gather(w!, x, 0))))(model.params[0]!);
      const dw = await grads[0]!.read();
      model.dispose();
      return { dw, table };
    });
    // d Σ row² = 2·row per use: token 3 gets 3 uses, token 2 none
    const want = Array.from(g.table, (v, i) => 2 * v * tokens.filter((t) => t === Math.floor(i / 4)).length);
    expectClose(g.dw, want, 1e-6, 1e-6, 'GPU dw');
    expectClose(c.dw, want, 1e-6, 1e-6, 'CPU dw');
  });

  it('errors name the layer and what it expected', async () => {
    const e = await cpu();
    expect(() => conv2d(0, 4, 3)).toThrow(/conv2d: inChannels must be a positive integer, got 0/);
    expect(() => conv2d(1, 4, [3, 0])).toThrow(/conv2d: kernel must be an integer >= 1/);
    expect(() => dropout(1)).toThrow(/dropout: rate must be a number in \[0, 1\)/);
    expect(() => sequential([flatten()], { inputShape: [1, 0] })).toThrow(/sequential: inputShape must be a non-empty array of positive integers/);
    const model = tinyCnn().build(e);
    expect(() => model.forward(e.tensor(new Float32Array(64), [1, 64]))).toThrow(/conv2d\(1, 4, \[3, 3\]\): input has shape \[1, 64\], expected NCHW \[batch, 1, H, W\]/);
    expect(() => model.batchShape(2, 65)).toThrow(/inputShape \[1, 8, 8\] holds 64 values, but the examples have 65/);
    model.dispose();
  });
});
