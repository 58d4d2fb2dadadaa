// The lectures' quadratic, minimized by gradient descent with the stopping rule ‖∇f‖ < ε:
//   f(x) = x1² + x1(1 − x2) + x2² − x2·x3 + x3² + x3,  minimum f = −1 at x = (−1, −1, −1).
import { createEngine, minimize, type Tensor } from 'webgrad';

const e = await createEngine({ backend: 'webgpu' });
const [x1, x2, x3] = [e.tensor([0], [1]), e.tensor([0], [1]), e.tensor([0], [1])];
const one = e.tensor([1], [1]);

const f = (): Tensor => {
  const terms = [e.mul(x1, x1), e.mul(x1, e.sub(one, x2)), e.mul(x2, x2), e.scale(e.mul(x2, x3), -1), e.mul(x3, x3), x3];
  return e.sum(terms.reduce((s, t) => e.add(s, t)));
};

// W ← W − η∇W with η = 0.2, until ‖∇f‖ < 1e-4.
const result = await minimize(e, f, [x1, x2, x3], { lr: 0.2, gradTolerance: 1e-4, maxSteps: 500 });
const x = await Promise.all([x1, x2, x3].map(async (t) => (await t.read())[0]!));
console.log(`stopped by '${result.reason}' after ${result.steps} steps: f = ${result.loss.toFixed(6)}`);
console.log(`x = (${x.map((v) => v.toFixed(4)).join(', ')})`);
e.destroy();
