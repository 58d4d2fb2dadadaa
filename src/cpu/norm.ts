// Layer normalization over the last axis of x viewed as [rows, F] (the CPU twin of
// shaders/norm.wgsl), with the pieces of its backward rule:
//
//   μ = mean(x_row),  σ² = mean((x_row − μ)²)  (population),  r = 1/√(σ² + eps)
//   x̂ = (x − μ)·r,    y = x̂·γ + β
//   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  g = dy·γ          (per row)
//   dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy                      (per feature, rows in order)
//
// The variance is the two-pass form (subtract the mean, then square), which stays accurate
// for rows with a large offset (one-pass E[x²] − μ² loses every digit when |μ| ≫ σ).

import { assertLength, type Vec } from './types';

export interface LayerNormResult {
  y: Vec;
  /** μ per row. */
  mean: Vec;
  /** r = 1/√(σ² + eps) per row. */
  rstd: Vec;
}

export function layerNormCpu(x: Vec, gamma: Vec, beta: Vec, rows: number, features: number, eps: number): LayerNormResult {
  assertLength('layerNormCpu', 'x [rows, F]', x, rows * features);
  assertLength('layerNormCpu', 'gamma [F]', gamma, features);
  assertLength('layerNormCpu', 'beta [F]', beta, features);
  const y = new Float64Array(x.length);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    const o = t * features;
    let s = 0;
    for (let j = 0; j < features; j++) s += x[o + j]!;
    const mu = s / features;
    let v = 0;
    for (let j = 0; j < features; j++) v += (x[o + j]! - mu) ** 2;
    const r = 1 / Math.sqrt(v / features + eps);
    for (let j = 0; j < features; j++) y[o + j] = (x[o + j]! - mu) * r * gamma[j]! + beta[j]!;
    mean[t] = mu;
    rstd[t] = r;
  }
  return { y, mean, rstd };
}

// dx = r·(g − mean(g) − x̂·mean(g·x̂)),  g = dy·γ,  x̂ = (x − μ)·r
export function layerNormGradCpu(dy: Vec, x: Vec, gamma: Vec, mean: Vec, rstd: Vec, rows: number, features: number): Vec {
  assertLength('layerNormGradCpu', 'dy', dy, rows * features);
  const dx = new Float64Array(x.length);
  for (let t = 0; t < rows; t++) {
    const o = t * features;
    const [mu, r] = [mean[t]!, rstd[t]!];
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < features; j++) {
      const g = dy[o + j]! * gamma[j]!;
      sg += g;
      sgx += g * (x[o + j]! - mu) * r;
    }
    const [mg, mgx] = [sg / features, sgx / features];
    for (let j = 0; j < features; j++) {
      const xhat = (x[o + j]! - mu) * r;
      dx[o + j] = r * (dy[o + j]! * gamma[j]! - mg - xhat * mgx);
    }
  }
  return dx;
}

// dγ_j = Σ_t dy[t, j]·x̂[t, j],  dβ_j = Σ_t dy[t, j]
export function layerNormParamGradCpu(dy: Vec, x: Vec, mean: Vec, rstd: Vec, rows: number, features: number): { dgamma: Vec; dbeta: Vec } {
  assertLength('layerNormParamGradCpu', 'dy', dy, rows * features);
  const dgamma = new Float64Array(features);
  const dbeta = new Float64Array(features);
  for (let t = 0; t < rows; t++) {
    const o = t * features;
    for (let j = 0; j < features; j++) {
      dgamma[j]! += dy[o + j]! * (x[o + j]! - mean[t]!) * rstd[t]!;
      dbeta[j]! += dy[o + j]!;
    }
  }
  return { dgamma, dbeta };
}
