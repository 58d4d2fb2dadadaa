// Layer normalization over the last axis (PyTorch's nn.LayerNorm(F) on [..., F]):
// y = (x − μ)/√(σ² + eps)·γ + β per row. Kernels: shaders/norm.wgsl; reference: src/cpu/norm.ts.
// The forward saves μ and r = 1/√(σ² + eps) per row (auxiliary outputs) for the backward rule,
// only where a tape records it (backwardOnly; otherwise the kernel writes them to scratch).

import { layerNormCpu, layerNormGradCpu, layerNormParamGradCpu } from '../cpu/norm';
import { grid1d } from '../gpu/queue';
import { nonDifferentiable, type OpDef } from './op';
import { dispatchRows } from '../gpu/rows';
import { rowView } from './softmax';
import { fmt, type Shape } from './tensor';

const PARAM_GRAD_WORKGROUP = 64;

export interface LayerNormAttrs {
  eps: number;
}

function features(op: string, x: Shape, gamma: Shape, beta: Shape): { rows: number; cols: number } {
  if (x.length === 0) throw new Error(`${op}: x must have rank >= 1 (it normalizes the last axis), got a scalar`);
  const F = x[x.length - 1]!;
  for (const [name, s] of [['gamma', gamma], ['beta', beta]] as const) {
    if (s.length !== 1 || s[0] !== F) throw new Error(`${op}: ${name} has shape ${fmt(s)}, expected [${F}] (the last axis of x ${fmt(x)})`);
  }
  if (F === 0) throw new Error(`${op}: x ${fmt(x)} has an empty last axis (no mean to subtract)`);
  return rowView(x);
}

/** y = x̂·γ + β with x̂ = (x − μ)·r; outputs [y, μ [rows], r [rows]]. */
export const layerNorm: OpDef<LayerNormAttrs> = {
  name: 'layerNorm',
  outputs([x, gamma, beta], { eps }) {
    if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new Error(`layerNorm: eps must be a finite number >= 0, got ${String(eps)}`);
    const { rows } = features('layerNorm', x!, gamma!, beta!);
    return [x!, [rows], [rows]];
  },
  backwardOnly: true,
  cpu([x, gamma, beta], [s], { eps }, saved) {
    const { rows, cols } = rowView(s!);
    const r = layerNormCpu(x!, gamma!, beta!, rows, cols, eps);
    return saved ? [r.y, r.mean, r.rstd] : [r.y];
  },
  gpu(q, [x, gamma, beta], [y, mean, rstd], [s], { eps }, saved) {
    const view = rowView(s!);
    const perRow = () => q.scratch(Math.max(4, view.rows * 4)); // one value per row, then dropped
    const stats = saved ? { mean: mean!, rstd: rstd! } : { mean: perRow(), rstd: perRow() };
    dispatchRows(q, 'norm.layer_norm', view, { eps }, { x: x!, gamma: gamma!, beta: beta!, y: y!, ...stats });
  },
  // dx = r·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ;  dγ = Σ_rows dy·x̂;  dβ = Σ_rows dy
  backward({ ops, inputs: [x, gamma], outputs: [, mean, rstd], dy, needsGrad }) {
    const dx = needsGrad[0] ? ops.run1('layerNormGrad', [x!, gamma!, dy, mean!, rstd!], { eps: 0 }) : null;
    if (!needsGrad[1] && !needsGrad[2]) return [dx, null, null];
    const [dgamma, dbeta] = ops.run('layerNormParamGrad', [x!, dy, mean!, rstd!], { eps: 0 });
    dgamma!.owned.splice(dgamma!.owned.indexOf(dbeta!), 1); // two gradients, each owned by the caller
    return [dx, dgamma!, dbeta!];
  },
};

/** dx of layerNorm from x, γ, dy and the saved μ, r. */
export const layerNormGrad: OpDef<LayerNormAttrs> = {
  name: 'layerNormGrad',
  outputs: ([x]) => [x!],
  cpu([x, gamma, dy, mean, rstd], [s]) {
    const { rows, cols } = rowView(s!);
    return [layerNormGradCpu(dy!, x!, gamma!, mean!, rstd!, rows, cols)];
  },
  gpu(q, [x, gamma, dy, mean, rstd], [dx], [s]) {
    dispatchRows(q, 'norm.layer_norm_grad', rowView(s!), { eps: 0 }, { x: x!, gamma: gamma!, dy: dy!, mean_in: mean!, rstd_in: rstd!, dx: dx! });
  },
  backward: nonDifferentiable('layerNormGrad serves the backward rule of layerNorm; second derivatives are not supported'),
};

/** [dγ, dβ] of layerNorm from x, dy and the saved μ, r. */
export const layerNormParamGrad: OpDef<LayerNormAttrs> = {
  name: 'layerNormParamGrad',
  outputs([x]) {
    const F = x![x!.length - 1]!;
    return [[F], [F]];
  },
  cpu([x, dy, mean, rstd], [s]) {
    const { rows, cols } = rowView(s!);
    const r = layerNormParamGradCpu(dy!, x!, mean!, rstd!, rows, cols);
    return [r.dgamma, r.dbeta];
  },
  gpu(q, [x, dy, mean, rstd], [dgamma, dbeta], [s]) {
    const { rows, cols } = rowView(s!);
    q.dispatch({
      kernel: 'norm.layer_norm_param_grad',
      overrides: { workgroup_size: PARAM_GRAD_WORKGROUP },
      uniforms: { rows, cols, eps: 0 },
      bindings: { x: x!, dy: dy!, mean_in: mean!, rstd_in: rstd!, dgamma: dgamma!, dbeta: dbeta! },
      workgroups: grid1d(cols, PARAM_GRAD_WORKGROUP),
    });
  },
  backward: nonDifferentiable('layerNormParamGrad serves the backward rule of layerNorm; second derivatives are not supported'),
};
