// Binary ops (arithmetic, minimum/maximum, comparisons) and where(), with NumPy
// broadcasting on every operand (shape rule and index plan in src/cpu/broadcast.ts), on the
// GPU by shaders/broadcast.wgsl and on the CPU by src/cpu/elementwise.ts.
//
// Backward: each operand's gradient is formed at the result's shape (one binary_grad or
// where_grad dispatch, add/sub need none) and summed back over the dims it was stretched
// along (sumToShape). Where the upstream gradient is 0 the contribution is an exact 0, even
// where the local derivative is inf or NaN: where(x > 0, log(x), 0) has a finite gradient at
// x = 0 (JAX and PyTorch give NaN there and need a second where on the input).

import { binaryCpu, binaryGradCpu, isComparison, whereCpu, whereGradCpu, type BinaryOp } from '../cpu/elementwise';
import { broadcastPlan, broadcastShape, MAX_RANK, type BroadcastPlan } from '../cpu/broadcast';
import type { CommandQueue } from '../gpu/queue';
import type { KernelName } from '../gpu/kernels';
import { grid1d } from '../gpu/queue';
import { nonDifferentiable, type NoAttrs, type OpDef } from './op';
import { sumToShape } from './reduce';
import { shapeSize } from './tensor';

export type { BinaryOp } from '../cpu/elementwise';

const WORKGROUP = 256;
/** The `op` override of shaders/broadcast.wgsl. */
const binaryCode: Record<BinaryOp, number> = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, minimum: 5, maximum: 6,
  greater: 7, greaterEqual: 8, less: 9, lessEqual: 10, equal: 11,
};

/** The Dims uniform: per collapsed dim, innermost first, (size, stride of a, of b, of cond). */
function dimsUniform(plan: BroadcastPlan, operands: { a?: number; b?: number; cond?: number }) {
  const axes: number[] = [];
  for (let d = plan.dims.length - 1; d >= 0; d--) {
    const stride = (k: number | undefined) => (k === undefined ? 0 : plan.strides[k]![d]!);
    axes.push(plan.dims[d]!, stride(operands.a), stride(operands.b), stride(operands.cond));
  }
  while (axes.length < 4 * MAX_RANK) axes.push(1, 0, 0, 0);
  const rank = plan.dims.length;
  return { len: shapeSize(plan.dims), rank, axes, outer: axes.slice(4 * (rank - 1), 4 * rank) };
}

/** One broadcast dispatch over the plan, `per` results per invocation; `operands` names the
 *  Dims strides each plan operand fills. An empty result dispatches nothing. */
function dispatchBroadcast(
  q: CommandQueue,
  kernel: KernelName,
  plan: BroadcastPlan,
  operands: { a?: number; b?: number; cond?: number },
  overrides: Record<string, number>,
  bindings: Record<string, GPUBuffer>,
  per: 1 | 4 = 1,
): void {
  const uniforms = dimsUniform(plan, operands);
  if (uniforms.len === 0) return;
  q.dispatch({
    kernel,
    overrides: { workgroup_size: WORKGROUP, ...overrides },
    uniforms,
    bindings,
    workgroups: grid1d(Math.ceil(uniforms.len / per), WORKGROUP),
  });
}

/** No operand stretches: one contiguous dim (equal shapes, or ones that differ by 1s). */
const contiguous = (plan: BroadcastPlan) => plan.dims.length === 1 && plan.strides.every((s) => s[0] === 1);

/** Rows of a multiple of 4 that each operand reads contiguously or splats (a bias row, a
 *  column, a scalar): four results per invocation. */
function rowsOf4(plan: BroadcastPlan): boolean {
  const inner = plan.dims.length - 1;
  return plan.dims[inner]! % 4 === 0 && plan.strides.every((st) => st[inner]! <= 1);
}

const COMPARISON = nonDifferentiable('a comparison is piecewise constant: its 0/1 mask has no gradient (use it as where()\'s condition)');

function binaryOp(kind: BinaryOp): OpDef<NoAttrs> {
  return {
    name: kind,
    outputs: ([a, b]) => [broadcastShape(kind, [a!, b!])],
    cpu: ([a, b], [sa, sb]) => [binaryCpu(kind, a!, sa!, b!, sb!)],
    gpu(q, [a, b], [out], [sa, sb]) {
      const plan = broadcastPlan(broadcastShape(kind, [sa!, sb!]), [sa!, sb!]);
      const overrides = { op: binaryCode[kind] };
      if (contiguous(plan)) dispatchBroadcast(q, 'broadcast.binary4', plan, { a: 0, b: 1 }, overrides, { a4: a!, b4: b!, out4: out! }, 4);
      else if (rowsOf4(plan)) dispatchBroadcast(q, 'broadcast.binary_rows4', plan, { a: 0, b: 1 }, overrides, { a: a!, a4: a!, b: b!, b4: b!, out4: out! }, 4);
      else dispatchBroadcast(q, 'broadcast.binary', plan, { a: 0, b: 1 }, overrides, { a: a!, b: b!, out: out! });
    },
    // d(a ⊕ b) = ∂a·da + ∂b·db at the result's shape, each summed back to its operand's shape
    backward: isComparison(kind) ? COMPARISON : ({ ops, inputs: [a, b], outputs: [y], dy, needsGrad }) =>
      ([0, 1] as const).map((k) => {
        if (!needsGrad[k]) return null;
        const self = k === 0 ? a! : b!;
        if (kind === 'add' || kind === 'sub') {
          const g = sumToShape(ops, dy, self.shape);
          return kind === 'sub' && k === 1 ? ops.run1('scale', [g], { factor: -1 }) : g;
        }
        return sumToShape(ops, ops.run1('binaryGrad', [a!, b!, y!, dy], { kind, operand: k }), self.shape);
      }),
  };
}

export const add = binaryOp('add');
export const sub = binaryOp('sub');
export const mul = binaryOp('mul');
export const div = binaryOp('div');
export const pow = binaryOp('pow');
export const minimum = binaryOp('minimum');
export const maximum = binaryOp('maximum');
export const greater = binaryOp('greater');
export const greaterEqual = binaryOp('greaterEqual');
export const less = binaryOp('less');
export const lessEqual = binaryOp('lessEqual');
export const equal = binaryOp('equal');

export interface BinaryGradAttrs {
  kind: BinaryOp;
  operand: 0 | 1;
}

/** dy ⊙ ∂(a ⊕ b)/∂(a or b) at the result's shape (0 where dy is 0); inputs a, b, y, dy. */
export const binaryGrad: OpDef<BinaryGradAttrs> = {
  name: 'binaryGrad',
  outputs([a, b, y, dy], { kind }) {
    const shape = broadcastShape(`${kind} gradient`, [a!, b!]);
    if (shapeSize(y!) !== shapeSize(shape) || shapeSize(dy!) !== shapeSize(shape)) {
      throw new Error(`${kind} gradient: y [${y!.join(', ')}] and dy [${dy!.join(', ')}] must have the result's shape [${shape.join(', ')}]`);
    }
    return [shape];
  },
  cpu: ([a, b, y, dy], [sa, sb], { kind, operand }) => [binaryGradCpu(kind, operand, a!, sa!, b!, sb!, y!, dy!)],
  gpu(q, [a, b, y, dy], [out], [sa, sb], { kind, operand }) {
    const plan = broadcastPlan(broadcastShape(kind, [sa!, sb!]), [sa!, sb!]);
    dispatchBroadcast(q, 'broadcast.binary_grad', plan, { a: 0, b: 1 }, { op: binaryCode[kind], operand }, { a: a!, b: b!, y: y!, dy: dy!, out: out! });
  },
  backward: nonDifferentiable('binaryGrad is a backward kernel; second derivatives are not supported'),
};

/** cond != 0 ? a : b, broadcasting all three (NaN in cond counts as nonzero). */
export const where: OpDef<NoAttrs> = {
  name: 'where',
  outputs: ([c, a, b]) => [broadcastShape('where', [c!, a!, b!])],
  cpu: ([c, a, b], [sc, sa, sb]) => [whereCpu(c!, sc!, a!, sa!, b!, sb!)],
  gpu(q, [c, a, b], [out], shapes) {
    const plan = broadcastPlan(broadcastShape('where', shapes), shapes);
    dispatchBroadcast(q, 'broadcast.where_pick', plan, { cond: 0, a: 1, b: 2 }, {}, { cond: c!, a: a!, b: b!, out: out! });
  },
  // d where(c, a, b) = [c] da + [!c] db, by selection (exact zeros, never a product with the
  // mask); the mask itself is piecewise constant and gets no gradient.
  backward: ({ ops, inputs: [c, a, b], dy, needsGrad }) => [
    null,
    ...([0, 1] as const).map((k) => {
      if (!needsGrad[k + 1]) return null;
      const picked = ops.run1('whereGrad', [c!, dy], { operand: k });
      return sumToShape(ops, picked, (k === 0 ? a! : b!).shape);
    }),
  ],
};

/** dy where `operand` (0: a, 1: b) was picked by cond, else 0; inputs cond, dy. */
export const whereGrad: OpDef<{ operand: 0 | 1 }> = {
  name: 'whereGrad',
  outputs([c, dy]) {
    const shape = broadcastShape('where gradient', [c!, dy!]);
    if (shape.length !== dy!.length || shape.some((d, i) => d !== dy![i])) {
      throw new Error(`where gradient: cond [${c!.join(', ')}] must broadcast to dy's shape [${dy!.join(', ')}]`);
    }
    return [dy!];
  },
  cpu: ([c, dy], [sc, sdy], { operand }) => [whereGradCpu(operand, c!, sc!, sdy!, dy!)],
  gpu(q, [c, dy], [out], [sc, sdy], { operand }) {
    dispatchBroadcast(q, 'broadcast.where_grad', broadcastPlan(sdy!, [sc!]), { cond: 0 }, { operand }, { cond: c!, dy: dy!, out: out! });
  },
  backward: nonDifferentiable('whereGrad is a backward kernel; second derivatives are not supported'),
};
