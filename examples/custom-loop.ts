// A training loop written by hand: valueAndGrad gives the loss and the gradient of every
// parameter, an Optimizer applies them. The model is a 1-16-1 tanh network fitted to
// y = sin(x) on [−π, π] by mean squared error.
import { createEngine, createRng, Optimizer } from 'webgrad';

const e = await createEngine({ backend: 'webgpu' });
const n = 64;
const xs = Float32Array.from({ length: n }, (_, i) => -Math.PI + (2 * Math.PI * i) / (n - 1));
const x = e.tensor(xs, [n, 1]);
const y = e.tensor(xs.map(Math.sin), [n, 1]);

// W1 [16, 1], b1 [16], W2 [1, 16], b2 [1]: PyTorch's [out, in] layout, seeded normal weights.
const rng = createRng(1);
const normal = (count: number, std: number) => Float32Array.from({ length: count }, () => std * rng.normal());
const params = [e.tensor(normal(16, 1), [16, 1]), e.zeros([16]), e.tensor(normal(16, 0.25), [1, 16]), e.zeros([1])];

const lossAndGrads = e.valueAndGrad((w1, b1, w2, b2) => {
  const hidden = e.matmul(x, w1, { transposeB: true, bias: b1, activation: 'tanh' });
  return e.mseLoss(e.matmul(hidden, w2, { transposeB: true, bias: b2 }), y);
});
const optimizer = new Optimizer(e, params, { kind: 'adam', lr: 0.02 });

let first = NaN;
let last = NaN;
for (let step = 1; step <= 300; step++) {
  const { value, grads } = await lossAndGrads(...params);
  optimizer.step(grads);
  grads.forEach((g) => g.dispose());
  if (step === 1) first = value;
  last = value;
  if (step % 100 === 0) console.log(`step ${step}: loss ${value.toFixed(5)}`);
}
console.log(`loss ${first.toFixed(5)} -> ${last.toFixed(5)}`);
e.destroy();
