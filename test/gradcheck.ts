// Finite-difference gradient checks through the public API, on the CPU engine in f64:
// central differences (f(x+h) − f(x−h)) / 2h have truncation error O(h²·f''') and rounding
// error O(ε·|f|/h); h = 1e-5 balances them near 1e-10 for the O(1) functions tested, so a
// relative tolerance of 1e-6 separates a right gradient from a wrong one with a wide margin.

import { expect } from 'vitest';
import type { Engine, Tensor } from '../src/index';

export interface Input {
  data: Float64Array | Float32Array | number[];
  shape: number[];
}

export async function checkGradients(e: Engine, f: (...xs: Tensor[]) => Tensor, inputs: Input[], h = 1e-5, rtol = 1e-6, atol = 1e-7): Promise<void> {
  const make = (vals: ArrayLike<number>[]) => vals.map((v, i) => e.tensor(v, inputs[i]!.shape));
  const base = inputs.map((x) => Float64Array.from(x.data));
  const xs = make(base);
  const { grads } = await e.valueAndGrad(f)(...xs);
  const analytic = await Promise.all(grads.map((g) => g.readF64()));
  grads.forEach((g) => g.dispose());
  xs.forEach((x) => x.dispose());
  const value = async (vals: Float64Array[]) => {
    const ts = make(vals);
    const out = e.tidy(() => f(...ts));
    const v = (await out.readF64())[0]!;
    out.dispose();
    ts.forEach((t) => t.dispose());
    return v;
  };
  for (let i = 0; i < base.length; i++) {
    for (let j = 0; j < base[i]!.length; j++) {
      const plus = base.map((b) => b.slice());
      const minus = base.map((b) => b.slice());
      plus[i]![j]! += h;
      minus[i]![j]! -= h;
      const fd = ((await value(plus)) - (await value(minus))) / (2 * h);
      const got = analytic[i]![j]!;
      if (!(Math.abs(got - fd) <= atol + rtol * Math.abs(fd))) {
        expect.fail(`gradient of input ${i} element ${j}: analytic ${got}, finite difference ${fd}`);
      }
    }
  }
}
