// Unary elementwise ops, one kernel family (shaders/elementwise.wgsl): the scalar activations
// (also fused into matmul) and the math functions (exp, log, ..., gelu, clip), each with its
// derivative (a diagonal Jacobian); scale; and an in-place accumulate. Binary ops, which
// broadcast, are in ./broadcast.

import { accumulateCpu, scaleCpu } from '../cpu/elementwise';
import { activationCpu, activationGradCpu, type ActivationKind } from '../cpu/activation';
import { unaryCpu, unaryGradCpu, type UnaryKind } from '../cpu/unary';
import { grid1d } from '../gpu/queue';
import { nonDifferentiable, type NoAttrs, type OpDef, type UpdateDef } from './op';
import { fmt, shapeSize } from './tensor';

const WORKGROUP = 256;

export const activationCode: Record<ActivationKind, number> = {
  identity: 0,
  sigmoid: 1,
  tanh: 2,
  relu: 3,
  leakyRelu: 4,
  softplus: 5,
};

/** Throws unless `kind` names an activation (what `where` was given, and what it takes). */
export function checkActivation(where: string, kind: unknown): asserts kind is ActivationKind {
  if (typeof kind !== 'string' || !Object.hasOwn(activationCode, kind)) {
    throw new Error(`${where}: unknown activation ${typeof kind === 'string' ? `'${kind}'` : String(kind)} (expected one of ${Object.keys(activationCode).join(', ')})`);
  }
}

export interface ActivationAttrs {
  kind: ActivationKind;
  alpha: number;
  /** Subgradient of relu/leaky relu at exactly 0: 0 (PyTorch, TF.js) or 1 (the lectures). */
  gradAtZero: 0 | 1;
}

function activationUniforms(len: number, attrs: ActivationAttrs) {
  return { len, alpha: attrs.alpha, beta: 0, grad_at_zero: attrs.gradAtZero };
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

/** The shape rule of a diagonal-Jacobian gradient: x, y and dy of one size. */
function gradShapes(op: string, [x, y, dy]: readonly (readonly number[])[]): number[][] {
  if (shapeSize(x!) !== shapeSize(y!) || shapeSize(x!) !== shapeSize(dy!)) {
    throw new Error(`${op}: x ${fmt(x!)}, y ${fmt(y!)} and dy ${fmt(dy!)} must have the same size`);
  }
  return [[...x!]];
}

/** dx = dy ⊙ f'(x, y): f' from the saved input x or output y, whichever is stable. */
export const activationGrad: OpDef<ActivationAttrs> = {
  name: 'activationGrad',
  outputs: (shapes) => gradShapes('activationGrad', shapes),
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

/** The `math_fn` override of shaders/elementwise.wgsl (lib/unary.wgsl); 0 is "none". */
const unaryCode: Record<UnaryKind, number> = {
  exp: 1, log: 2, log1p: 3, expm1: 4, sqrt: 5, rsqrt: 6, abs: 7, neg: 8, square: 9, reciprocal: 10,
  sin: 11, cos: 12, sign: 13, silu: 14, gelu: 15, geluTanh: 16, clip: 17,
};

export interface UnaryAttrs {
  kind: UnaryKind;
  /** clip's bounds; ignored by the other functions. */
  lo: number;
  hi: number;
}

function unaryUniforms(len: number, { lo, hi }: UnaryAttrs) {
  return { len, alpha: lo, beta: hi, grad_at_zero: 0 };
}

/** y = f(x) for a math function f (the derivatives are in src/cpu/unary.ts and lib/unary.wgsl). */
export const unary: OpDef<UnaryAttrs> = {
  name: 'unary',
  outputs([x], { kind, lo, hi }) {
    if (!(kind in unaryCode)) throw new Error(`unary: unknown function '${String(kind)}' (known: ${Object.keys(unaryCode).join(', ')})`);
    if (kind === 'clip' && (typeof lo !== 'number' || typeof hi !== 'number' || !(lo <= hi))) {
      throw new Error(`clip: bounds must be numbers with lo <= hi, got lo ${String(lo)}, hi ${String(hi)} (for input ${fmt(x!)})`);
    }
    return [x!];
  },
  cpu: ([x], _s, attrs) => [unaryCpu(attrs.kind, x!, attrs)],
  gpu(q, [x], [out], [sx], attrs) {
    const len = shapeSize(sx!);
    q.dispatch({
      kernel: 'elementwise.unary4',
      overrides: { workgroup_size: WORKGROUP, math_fn: unaryCode[attrs.kind] },
      uniforms: unaryUniforms(len, attrs),
      bindings: { x4: x!, out4: out! },
      workgroups: grid1d(Math.ceil(len / 4), WORKGROUP),
    });
  },
  // dx = dy ⊙ f'(x) (diagonal Jacobian), exactly 0 where dy is 0
  backward: ({ ops, inputs: [x], outputs: [y], dy, attrs }) => [ops.run1('unaryGrad', [x!, y!, dy], attrs)],
};

/** dx = dy ⊙ f'(x, y) for a math function, exactly 0 where dy is 0. */
export const unaryGrad: OpDef<UnaryAttrs> = {
  name: 'unaryGrad',
  outputs: (shapes) => gradShapes('unaryGrad', shapes),
  cpu: ([x, y, dy], _s, attrs) => [unaryGradCpu(attrs.kind, x!, y!, dy!, attrs)],
  gpu(q, [x, y, dy], [out], [sx], attrs) {
    const len = shapeSize(sx!);
    q.dispatch({
      kernel: 'elementwise.unary_grad',
      overrides: { workgroup_size: WORKGROUP, math_fn: unaryCode[attrs.kind] },
      uniforms: unaryUniforms(len, attrs),
      bindings: { x: x!, y: y!, dy: dy!, out: out! },
      workgroups: grid1d(len, WORKGROUP),
    });
  },
  backward: nonDifferentiable('unaryGrad is a backward kernel; second derivatives are not supported'),
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
      uniforms: { len, alpha: factor, beta: 0, grad_at_zero: 0 },
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
      uniforms: { len, alpha: 0, beta: 0, grad_at_zero: 0 },
      bindings: { x: x!, acc: acc! },
      workgroups: grid1d(len, WORKGROUP),
    });
  },
};
