// Binary and ternary elementwise ops with NumPy broadcasting (src/cpu/broadcast.ts), the CPU
// twin of shaders/broadcast.wgsl, and the local derivatives their backward rules use.
//
// Semantics follow NumPy in f64: x/0 = ±inf, 0/0 = NaN; pow of a negative base is real only
// for an integer exponent (pow(−2, 3) = −8, pow(−2, 0.5) = NaN), pow(x, 0) = pow(1, y) = 1
// even for NaN; minimum and maximum propagate NaN; comparisons give 1 or 0 (0 when either
// side is NaN); where(c, a, b) picks a wherever c != 0 (NaN included).
//
// Gradients are computed at the result's shape (the ops layer sums them back to each
// operand's shape). A zero upstream gradient gives an exactly zero contribution, even where
// the local derivative is infinite or NaN: dx = dy == 0 ? 0 : dy · ∂f. That is what keeps
// where(x > 0, log(x), 0) differentiable at x = 0 (see `chain`).

import { broadcastPlan, broadcastShape, expand } from './broadcast';
import type { Vec } from './types';

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'minimum' | 'maximum'
  | 'greater' | 'greaterEqual' | 'less' | 'lessEqual' | 'equal';
type Shape = readonly number[];

/** NumPy's power for reals: integer exponents of negative bases keep their sign. */
export function powScalar(a: number, b: number): number {
  if (b === 0 || a === 1) return 1; // also for NaN (C99, NumPy); JS gives 1 ** NaN = NaN
  if (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) return 1;
  return Math.pow(a, b); // NaN for a < 0 and a non-integer b, as NumPy
}

const nan = (a: number, b: number) => Number.isNaN(a) || Number.isNaN(b);

const forward: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: powScalar,
  minimum: (a, b) => (nan(a, b) ? (Number.isNaN(a) ? a : b) : Math.min(a, b)),
  maximum: (a, b) => (nan(a, b) ? (Number.isNaN(a) ? a : b) : Math.max(a, b)),
  greater: (a, b) => Number(a > b),
  greaterEqual: (a, b) => Number(a >= b),
  less: (a, b) => Number(a < b),
  lessEqual: (a, b) => Number(a <= b),
  equal: (a, b) => Number(a === b),
};

// The share of the gradient that the selected side of minimum/maximum gets: all of it, half
// on a tie (as PyTorch; the symmetric finite difference agrees), and a NaN side takes it all.
function selectedShare(self: number, other: number, wins: (s: number, o: number) => boolean): number {
  if (Number.isNaN(self)) return 1;
  if (Number.isNaN(other)) return 0;
  return self === other ? 0.5 : wins(self, other) ? 1 : 0;
}

/** ∂f/∂a and ∂f/∂b at (a, b) with y = f(a, b); null for the comparisons (no gradient). */
const partials: Partial<Record<BinaryOp, [(a: number, b: number, y: number) => number, (a: number, b: number, y: number) => number]>> = {
  add: [() => 1, () => 1], // d(a + b) = da + db
  sub: [() => 1, () => -1], // d(a − b) = da − db
  mul: [(_a, b) => b, (a) => a], // d(ab) = b da + a db
  div: [(_a, b) => 1 / b, (_a, b, y) => -y / b], // d(a/b) = da/b − (a/b²) db
  // d(a^b) = b a^(b−1) da + a^b log(a) db; 0 for b = 0, and for a = 0 with b >= 0 (as PyTorch)
  pow: [(a, b) => (b === 0 ? 0 : b * powScalar(a, b - 1)), (a, b, y) => (a === 0 && b >= 0 ? 0 : y * Math.log(a))],
  minimum: [(a, b) => selectedShare(a, b, (s, o) => s < o), (a, b) => selectedShare(b, a, (s, o) => s < o)],
  maximum: [(a, b) => selectedShare(a, b, (s, o) => s > o), (a, b) => selectedShare(b, a, (s, o) => s > o)],
};

/** True for the comparisons: 0/1 masks without a gradient. */
export function isComparison(op: BinaryOp): boolean {
  return partials[op] === undefined;
}

/** dy · ∂, with an exact 0 where dy is 0 (0 · inf and 0 · NaN from a masked branch). */
export function chain(dy: number, partial: number): number {
  return dy === 0 ? 0 : dy * partial;
}

// out = a ⊕ b over the broadcast shape of aShape and bShape
export function binaryCpu(op: BinaryOp, a: Vec, aShape: Shape, b: Vec, bShape: Shape): Vec {
  const f = forward[op];
  if (!f) throw new RangeError(`binaryCpu: unknown op ${String(op)}`);
  const plan = broadcastPlan(broadcastShape(op, [aShape, bShape]), [aShape, bShape]);
  const [av, bv] = [expand(a, plan, 0), expand(b, plan, 1)];
  for (let i = 0; i < av.length; i++) av[i] = f(av[i]!, bv[i]!);
  return av;
}

// out = dy ⊙ ∂(a ⊕ b)/∂(operand), at the broadcast (result) shape; dy and y have that shape
export function binaryGradCpu(op: BinaryOp, operand: 0 | 1, a: Vec, aShape: Shape, b: Vec, bShape: Shape, y: Vec, dy: Vec): Vec {
  const d = partials[op]?.[operand];
  if (!d) throw new RangeError(`binaryGradCpu: ${String(op)} has no gradient`);
  const plan = broadcastPlan(broadcastShape(op, [aShape, bShape]), [aShape, bShape]);
  const [av, bv] = [expand(a, plan, 0), expand(b, plan, 1)];
  for (let i = 0; i < av.length; i++) av[i] = chain(dy[i]!, d(av[i]!, bv[i]!, y[i]!));
  return av;
}

// out = cond != 0 ? a : b over the broadcast shape of the three (NaN counts as nonzero)
export function whereCpu(cond: Vec, condShape: Shape, a: Vec, aShape: Shape, b: Vec, bShape: Shape): Vec {
  const shapes = [condShape, aShape, bShape];
  const plan = broadcastPlan(broadcastShape('where', shapes), shapes);
  const [cv, av, bv] = [expand(cond, plan, 0), expand(a, plan, 1), expand(b, plan, 2)];
  for (let i = 0; i < cv.length; i++) cv[i] = cv[i] !== 0 ? av[i]! : bv[i]!;
  return cv;
}

// d where / d(a or b) = dy where that side was picked, else an exact 0 (a select, never
// dy · mask, so a NaN or inf dy in the other branch's positions cannot leak through)
export function whereGradCpu(operand: 0 | 1, cond: Vec, condShape: Shape, outShape: Shape, dy: Vec): Vec {
  const cv = expand(cond, broadcastPlan(outShape, [condShape]), 0);
  for (let i = 0; i < cv.length; i++) cv[i] = (cv[i] !== 0) === (operand === 0) ? dy[i]! : 0;
  return cv;
}

// out[i] = factor · x[i]
export function scaleCpu(x: Vec, factor: number): Vec {
  return x.map((v) => factor * v);
}

// acc[i] += x[i], in place
export function accumulateCpu(acc: Vec, x: Vec): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += x[i]!;
}
