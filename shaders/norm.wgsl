// norm: layer normalization over the last axis of x viewed as [rows, cols] (F = cols), and
// its gradients (CPU twin: src/cpu/norm.ts). Linked: lib/index (flat_index),
// lib/workgroup_rows (Row, row_of, scratch), lib/tree or lib/tree_subgroup (tree_sum, tree_sum2).
//
//   layer_norm:             μ = Σx/F, σ² = Σ(x − μ)²/F (two passes: exact for large offsets),
//                           r = 1/√(σ² + eps);  y = (x − μ)·r·γ + β;  mean[row] = μ, rstd[row] = r
//   layer_norm_grad:        dx = r·(g − Σg/F − x̂·Σ(g·x̂)/F),  g = dy·γ,  x̂ = (x − μ)·r
//   layer_norm_param_grad:  dgamma[j] = Σ_rows dy·x̂,  dbeta[j] = Σ_rows dy  (rows in order)
//
// Deterministic: row sums are a fixed strided fold per invocation, then a fixed workgroup tree
// (lib/tree.wgsl); the parameter gradients loop over rows in order, one invocation per feature.
//
// Bindings (group 0): dims uniform; x, gamma, beta, dy, mean_in, rstd_in read-only;
//   y, mean, rstd, dx, dgamma, dbeta read_write.   x, y, dy, dx [rows·F]; gamma, beta, dgamma,
//   dbeta [F]; mean, rstd, mean_in, rstd_in [rows].
//   layer_norm: x, gamma, beta, y, mean, rstd
//   layer_norm_grad: x, gamma, dy, mean_in, rstd_in, dx
//   layer_norm_param_grad: x, dy, mean_in, rstd_in, dgamma, dbeta
// Dispatch: layer_norm, layer_norm_grad: row_threads invocations per row, group_rows rows per
// workgroup, ceil(rows / group_rows) workgroups folded into (x, y) past 65535 (src/gpu/rows.ts);
// layer_norm_param_grad: ceil(F / workgroup_size) workgroups, one invocation per feature,
// folded into (x, y) past 65535 (feature = gid.x + gid.y · num_workgroups.x · workgroup_size).

struct Dims {
  rows: u32,
  cols: u32,
  eps: f32,
}

override row_threads: u32 = 64u;     // row kernels: a power of two (the tree halves it)
override group_rows: u32 = 1u;
override workgroup_size: u32 = 64u;  // layer_norm_param_grad

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(7) var<storage, read> dy: array<f32>;
@group(0) @binding(8) var<storage, read> mean_in: array<f32>;
@group(0) @binding(9) var<storage, read> rstd_in: array<f32>;
@group(0) @binding(10) var<storage, read_write> dx: array<f32>;
@group(0) @binding(11) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(12) var<storage, read_write> dbeta: array<f32>;

@compute @workgroup_size(row_threads, group_rows)
fn layer_norm(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
              @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  let f = f32(dims.cols);
  var s = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) { s += x[r.base + j]; }
  let mu = tree_sum(r, s) / f;
  var v = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) {
    let c = x[r.base + j] - mu;
    v += c * c;
  }
  let rs = inverseSqrt(tree_sum(r, v) / f + dims.eps);
  for (var j = r.t; j < r.n; j += row_threads) {
    y[r.base + j] = (x[r.base + j] - mu) * rs * gamma[j] + beta[j];
  }
  if (r.t == 0u && r.live) {
    mean[r.index] = mu;
    rstd[r.index] = rs;
  }
}

@compute @workgroup_size(row_threads, group_rows)
fn layer_norm_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                   @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  var mu = 0.0;
  var rs = 0.0;
  if (r.live) {
    mu = mean_in[r.index];
    rs = rstd_in[r.index];
  }
  var acc = vec2f(0.0);                      // (Σ g, Σ g·x̂)
  for (var j = r.t; j < r.n; j += row_threads) {
    let g = dy[r.base + j] * gamma[j];
    acc += vec2f(g, g * (x[r.base + j] - mu) * rs);
  }
  let m = tree_sum2(r, acc) / f32(dims.cols);
  for (var j = r.t; j < r.n; j += row_threads) {
    let xhat = (x[r.base + j] - mu) * rs;
    dx[r.base + j] = rs * (dy[r.base + j] * gamma[j] - m.x - xhat * m.y);
  }
}

@compute @workgroup_size(workgroup_size)
fn layer_norm_param_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= dims.cols) { return; }
  var dg = 0.0;
  var db = 0.0;
  for (var row = 0u; row < dims.rows; row++) {
    let i = row * dims.cols + j;
    dg += dy[i] * (x[i] - mean_in[row]) * rstd_in[row];
    db += dy[i];
  }
  dgamma[j] = dg;
  dbeta[j] = db;
}
