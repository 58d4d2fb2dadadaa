// Elementwise ops: add and mul with trailing broadcast (the smaller operand's shape must be a
// suffix of the larger's, or a single element: a bias row over a batch, a scalar scale), the
// scalar activations and their derivatives (diagonal Jacobians).

import { accumulateCpu, binaryCpu, scaleCpu } from '../cpu/elementwise';
import { activationCpu, activationGradCpu, type ActivationKind } from '../cpu/activation';
import { grid1d } from '../gpu/queue';
import { nonDifferentiable, type NoAttrs, type OpDef, type UpdateDef } from './op';
import { fmt, shapeSize, type Shape, type Tensor } from './tensor';
import { sumToShape } from './reduce';

const WORKGROUP = 256;

export const activationCode: Record<ActivationKind, number> = {
  identity: 0,
  sigmoid: 1,
  tanh: 2,
  relu: 3,
  leakyRelu: 4,
  softplus: 5,
};

/** The broadcast result shape of a and b, or an error naming the op and both shapes. */
export function broadcastShape(op: string, a: Shape, b: Shape): Shape {
  const [big, small] = shapeSize(a) >= shapeSize(b) ? [a, b] : [b, a];
  if (shapeSize(small) === 1 && shapeSize(big) >= 1) return big;
  let start = 0;
  while (start < small.length && small[start] === 1) start++; // leading 1s broadcast freely
  const suffix = small.slice(start);
  const tail = big.slice(big.length - suffix.length);
  if (suffix.length <= big.length && suffix.every((d, i) => d === tail[i])) return big;
  throw new Error(
    `${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast; expected equal shapes, a scalar, ` +
      `or one shape a trailing suffix of the other (e.g. [M, N] and [N])`,
  );
}

type BinaryKind = 'add' | 'sub' | 'mul';
const binaryCode: Record<BinaryKind, number> = { add: 0, sub: 1, mul: 2 };

function binaryOp(kind: BinaryKind): OpDef<NoAttrs> {
  return {
    name: kind,
    outputs: ([a, b]) => [broadcastShape(kind, a!, b!)],
    cpu: ([a, b]) => [binaryCpu(kind, a!, b!)],
    gpu(q, [a, b], [out], [sa, sb]) {
      const [na, nb] = [shapeSize(sa!), shapeSize(sb!)];
      const len = Math.max(na, nb);
      const same = na === nb; // no broadcast: four elements per invocation
      q.dispatch({
        kernel: same ? 'elementwise.binary4' : 'elementwise.binary',
        overrides: { workgroup_size: WORKGROUP, binary_op: binaryCode[kind] },
        uniforms: { len, a_len: Math.max(1, na), b_len: Math.max(1, nb), alpha: 0, grad_at_zero: 0 },
        bindings: same ? { a4: a!, b4: b!, out4: out! } : { a: a!, b: b!, out: out! },
        workgroups: grid1d(same ? Math.ceil(len / 4) : len, WORKGROUP),
      });
    },
    // d(a±b) = da ± db;  d(a*b) = b da + a db; a broadcast operand sums its gradient back.
    backward({ ops, inputs: [a, b], dy, needsGrad }) {
      const grad = (self: Tensor, other: Tensor, sign: 1 | -1) => {
        if (kind === 'mul') return sumToShape(ops, ops.run1('mul', [dy, other], {}), self.shape);
        const g = sumToShape(ops, dy, self.shape);
        return sign > 0 ? g : ops.run1('scale', [g], { factor: -1 });
      };
      return [needsGrad[0] ? grad(a!, b!, 1) : null, needsGrad[1] ? grad(b!, a!, kind === 'sub' ? -1 : 1) : null];
    },
  };
}

export const add = binaryOp('add');
export const sub = binaryOp('sub');
export const mul = binaryOp('mul');

export interface ActivationAttrs {
  kind: ActivationKind;
  alpha: number;
  /** Subgradient of relu/leaky relu at exactly 0: 0 (PyTorch, TF.js) or 1 (the lectures). */
  gradAtZero: 0 | 1;
}

function activationUniforms(len: number, attrs: ActivationAttrs) {
  return { len, a_len: 1, b_len: 1, alpha: attrs.alpha, grad_at_zero: attrs.gradAtZero };
}

export const activation: OpDef<ActivationAttrs> = {
  name: 'activation',
  outputs: ([x]) => [x!],
  cpu: ([x], _s, { kind, alpha }) => [activationCpu(kind, x!, alpha)],
  gpu(q, [x], [out], [sx], attrs) {
    const len = shapeSize(sx!);
    q.dispatch({
      kernel: 'elementwise.unary4',
      overrides: { workgroup_size: WORKGROUP, kind: activationCode[attrs.kind] },
      uniforms: activationUniforms(len, attrs),
      bindings: { x4: x!, out4: out! },
      workgroups: grid1d(Math.ceil(len / 4), WORKGROUP),
    });
  },
  // dx = dy ⊙ f'(x)  (diagonal Jacobian)
  backward: ({ ops, inputs: [x], outputs: [y], dy, attrs }) => [ops.run1('activationGrad', [x!, y!, dy], attrs)],
};

/** dx = dy ⊙ f'(x, y): f' from the saved input x or output y, whichever is stable. */
export const activationGrad: OpDef<ActivationAttrs> = {
  name: 'activationGrad',
  outputs([x, y, dy]) {
    if (shapeSize(x!) !== shapeSize(y!) || shapeSize(x!) !== shapeSize(dy!)) {
      throw new Error(`activationGrad: x ${fmt(x!)}, y ${fmt(y!)} and dy ${fmt(dy!)} must have the same size`);
    }
    return [x!];
  },
  cpu: ([x, y, dy], _s, { kind, alpha, gradAtZero }) => [activationGradCpu(kind, dy!, x!, y!, { alpha, reluGradAtZero: gradAtZero })],
  gpu(q, [x, y, dy], [out], [sx], attrs) {
    const len = shapeSize(sx!);
    q.dispatch({
      kernel: 'elementwise.unary_grad',
      overrides: { workgroup_size: WORKGROUP, kind: activationCode[attrs.kind] },
      uniforms: activationUniforms(len, attrs),
      bindings: { x: x!, y: y!, dy: dy!, out: out! },
      workgroups: grid1d(len, WORKGROUP),
    });
  },
  backward: nonDifferentiable('activationGrad is a backward kernel; second derivatives of activations are not supported'),
};

/** out = factor · x */
export const scale: OpDef<{ factor: number }> = {
  name: 'scale',
  outputs([x], { factor }) {
    if (typeof factor !== 'number' || Number.isNaN(factor)) throw new Error(`scale: factor must be a number, got ${String(factor)}`);
    return [x!];
  },
  cpu: ([x], _s, { factor }) => [scaleCpu(x!, factor)],
  gpu(q, [x], [out], [sx], { factor }) {
    const len = shapeSize(sx!);
    q.dispatch({
      kernel: 'elementwise.scale4',
      overrides: { workgroup_size: WORKGROUP },
      uniforms: { len, a_len: 1, b_len: 1, alpha: factor, grad_at_zero: 0 },
      bindings: { x4: x!, out4: out! },
      workgroups: grid1d(Math.ceil(len / 4), WORKGROUP),
    });
  },
  // d(cx) = c dx
  backward: ({ ops, dy, attrs }) => [ops.run1('scale', [dy], attrs)],
};

/** acc += x, in place (a running sum on the device, e.g. of a training loss). */
export const addInPlace: UpdateDef<NoAttrs> = {
  name: 'addInPlace',
  check([acc], [x]) {
    if (shapeSize(acc!) !== shapeSize(x!)) throw new Error(`addInPlace: accumulator ${fmt(acc!)} and value ${fmt(x!)} differ in size`);
  },
  cpu: ([acc], [x]) => accumulateCpu(acc!, x!),
  gpu(q, [acc], [x], [s]) {
    const len = shapeSize(s!);
    q.dispatch({
      kernel: 'elementwise.accumulate',
      overrides: { workgroup_size: WORKGROUP },
      uniforms: { len, a_len: 1, b_len: 1, alpha: 0, grad_at_zero: 0 },
      bindings: { x: x!, acc: acc! },
      workgroups: grid1d(len, WORKGROUP),
    });
  },
};
