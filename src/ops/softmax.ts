// Row-wise softmax and log-softmax over the last axis (a tensor viewed as [rows, cols]), the
// softmax Jacobian-vector product, and the kernels of their backward rules. The invocations
// of a row reduce it (a running max and Σ e^(x - max), in one read) in a fixed order, then
// write it; rows of a multiple of 4 columns go as vec4s, and rows of at most 16 columns where
// the profile says so (software) one per invocation in registers: see shaders/softmax.wgsl.

import { logSoftmaxGradCpu, softmaxCpu, softmaxJvpCpu, softmaxJvpGradYCpu } from '../cpu/softmax';
import { dispatchRows, rowKernel, shortRows } from '../gpu/rows';
import { nonDifferentiable, type NoAttrs, type OpDef } from './op';
import { fmt, shapeSize, type Shape } from './tensor';

/** A tensor as [rows, cols] around its last axis (a scalar is one row of one). */
export function rowView(shape: Shape): { rows: number; cols: number } {
  return { rows: shapeSize(shape.slice(0, -1)), cols: shape.length === 0 ? 1 : shape[shape.length - 1]! };
}

function rankAtLeast1(op: string, s: Shape): void {
  if (s.length === 0) throw new Error(`${op}: needs a tensor of rank >= 1 (it runs over the last axis), got a scalar of shape []`);
}

function sameShapes(op: string, names: string[], shapes: readonly Shape[]): Shape {
  const first = shapes[0]!;
  shapes.forEach((s, i) => {
    if (s.length !== first.length || s.some((d, k) => d !== first[k])) {
      throw new Error(`${op}: ${names[0]} ${fmt(first)} and ${names[i]} ${fmt(s)} must have the same shape`);
    }
  });
  rankAtLeast1(op, first);
  return first;
}

function softmaxOp(log: boolean): OpDef<NoAttrs> {
  const name = log ? 'logSoftmax' : 'softmax';
  return {
    name,
    outputs([x]) {
      rankAtLeast1(name, x!);
      return [x!];
    },
    cpu([x], [s]) {
      const { rows, cols } = rowView(s!);
      return [softmaxCpu(x!, rows, cols, log)];
    },
    gpu(q, [x], [out], [s]) {
      const view = rowView(s!);
      if (shortRows(view.cols, q.choices.profile.rows)) return dispatchRows(q, 'softmax.softmax_short', view, {}, { x: x!, out: out! }, { log_output: log });
      // rows of whole vec4s (16-byte aligned, as every row starts at a multiple of cols)
      if (view.cols > 0 && view.cols % 4 === 0) dispatchRows(q, 'softmax.softmax_vec4', view, {}, { x4: x!, out4: out! }, { log_output: log, whole_quads: true });
      else dispatchRows(q, 'softmax.softmax', view, {}, { x: x!, out: out! }, { log_output: log });
    },
    // softmax:      dx = Jᵀ dy = J dy = y ⊙ (dy - ⟨dy, y⟩)
    // log-softmax:  dx = dy - softmax(x) Σ_row dy, softmax(x) = e^y
    backward: ({ ops, outputs: [y], dy }) => [ops.run1(log ? 'logSoftmaxGrad' : 'softmaxJvp', [y!, dy], {})],
  };
}

export const softmax = softmaxOp(false);
export const logSoftmax = softmaxOp(true);

/** J v = y ⊙ (v - ⟨v, y⟩) per row, J the softmax Jacobian at y (symmetric: JVP = VJP). */
export const softmaxJvp: OpDef<NoAttrs> = {
  name: 'softmaxJvp',
  outputs: (shapes) => [sameShapes('softmaxJvp', ['y', 'v'], shapes)],
  cpu([y, v], [s]) {
    const { rows, cols } = rowView(s!);
    return [softmaxJvpCpu(y!, v!, rows, cols)];
  },
  gpu(q, [y, v], [out], [s]) {
    const view = rowView(s!);
    dispatchRows(q, rowKernel(q, 'softmax.jvp', view.cols), view, {}, { y: y!, v: v!, out: out! });
  },
  // out = y ⊙ (v - s), s = ⟨v, y⟩, upstream g:
  //   ∂/∂v = y ⊙ (g - ⟨g, y⟩) = jvp(y, g);   ∂/∂y = g ⊙ (v - s) - v ⟨g, y⟩
  backward: ({ ops, inputs: [y, v], dy, needsGrad }) => [
    needsGrad[0] ? ops.run1('softmaxJvpGradY', [y!, v!, dy], {}) : null,
    needsGrad[1] ? ops.run1('softmaxJvp', [y!, dy], {}) : null,
  ],
};

/** dx = g ⊙ (v - ⟨v, y⟩) - v ⟨g, y⟩ per row: the gradient of softmaxJvp w.r.t. y. */
export const softmaxJvpGradY: OpDef<NoAttrs> = {
  name: 'softmaxJvpGradY',
  outputs: (shapes) => [sameShapes('softmaxJvpGradY', ['y', 'v', 'dy'], shapes)],
  cpu([y, v, g], [s]) {
    const { rows, cols } = rowView(s!);
    return [softmaxJvpGradYCpu(y!, v!, g!, rows, cols)];
  },
  gpu(q, [y, v, g], [out], [s]) {
    const view = rowView(s!);
    dispatchRows(q, rowKernel(q, 'softmax.jvp_grad_y', view.cols), view, {}, { y: y!, v: v!, dy: g!, out: out! });
  },
  backward: nonDifferentiable('softmaxJvpGradY is a backward kernel; third derivatives of softmax are not supported'),
};

/** dx = dy - e^y Σ_row dy, y the saved log-softmax: the gradient of logSoftmax. */
export const logSoftmaxGrad: OpDef<NoAttrs> = {
  name: 'logSoftmaxGrad',
  outputs: (shapes) => [sameShapes('logSoftmaxGrad', ['y', 'dy'], shapes)],
  cpu([y, dy], [s]) {
    const { rows, cols } = rowView(s!);
    return [logSoftmaxGradCpu(y!, dy!, rows, cols)];
  },
  gpu(q, [y, dy], [out], [s]) {
    const view = rowView(s!);
    dispatchRows(q, rowKernel(q, 'softmax.log_softmax_grad', view.cols), view, {}, { y: y!, dy: dy!, out: out! });
  },
  backward: nonDifferentiable('logSoftmaxGrad is a backward kernel; second derivatives of logSoftmax are not supported'),
};
