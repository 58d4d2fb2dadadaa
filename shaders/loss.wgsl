// Losses over a batch viewed as [rows, cols] (T = rows, K = cols): the per-row divergences
// and the gradient with respect to the first input, in one kernel (row_threads invocations
// per row). The op then averages row_loss with reduce.reduce_sum (scale 1/T):
// Loss = (1/T) Σ_t Div(x_t, d_t). with_grad false (no gradient will be taken: inference,
// evaluation) skips the gradient's writes; grad is then bound to a stand-in.
//
//   mse_rows:  row_loss_t = ½ Σ_j (x_j - d_j)²             grad_j = (x_j - d_j) / T
//   bce_rows:  row_loss_t = Σ_j -d log p_c - (1-d) log q_c  grad_j = (p_c - d) / (p_c q_c) / T
//              p_c = clamp(x_j, eps, 1-eps), q_c = 1 - p_c (straight-through clamp, as
//              src/cpu/loss.ts: the derivative at the boundary, not 0, outside it)
//   ce_rows:   row_loss_t = -Σ_j t_j log softmax(x)_j      grad_j = (softmax(x)_j Σ_i t_i - t_j) / T
//              targets t = (1-α)·onehot(d_t) + α/K (d: class indices, dense_labels false) or
//              t = (1-α)·d + α/K (d: rows of the logits' shape, dense_labels true)
//   ce_short, ce_target_grad_short: ce_rows and ce_target_grad for rows of at most 16
//              columns, one invocation per row, the row in registers (lib/short_rows.wgsl; the
//              pipeline is built per row_cols)
//   bce_logits_rows: row_loss_t = Σ_j softplus(z_j) − z_j d_j, divided by K  grad_j = (σ(z_j) − d_j)·inv_t
//              (z = x; the loss is the mean over all T·K elements, so here inv_t = 1/(T·K);
//              softplus(z) = max(z, 0) + log1p(e^−|z|) and σ from lib/activation.wgsl: stable
//              for every z)
//   mse_target_grad:  out_i = -g x_i               (x: the saved grad (y - d)/T, so -∂/∂d · g)
//   bce_target_grad:  out_i = g (log q_c - log p_c) / T         (∂/∂d of the BCE terms · g)
//   ce_target_grad:   out_j = -g (1-α) log softmax(x)_j / T     (∂/∂d of the CE row · g)
//   bce_logits_target_grad: out_i = -g z_i · inv_t                (∂/∂d of the terms · g)
//
// Softmax CE works in log space, log softmax = (x - m) - log Σ e^(x - m), m the row max:
// logits ±1000 stay finite, and a true class with probability e^-200 costs ≈ 200, not inf.
// Terms with t_j = 0 are skipped (no 0·log 0). A row of all -inf takes the equal-logits
// limit (softmax 1/K) like src/cpu/softmax.ts; a NaN or +inf logit makes the row's loss and
// gradient NaN, like src/cpu/loss.ts (detected on the bits, see shaders/softmax.wgsl).
//
// Deterministic: every row sum is a fixed strided fold per invocation and a fixed-order
// combination over the row's invocations (lib/tree.wgsl or lib/tree_subgroup.wgsl); the mean
// over rows is reduce.reduce_sum. No atomics.
//
// Bindings (group 0): dims uniform; x, d, g, x4, d4 read-only storage; grad, row_loss, out
// read_write.
//   *_rows:           x [T*K], d [T*K], grad [T*K], row_loss [T]
//   ce_rows:          x4 (the logits as vec4s), d (class indices [T], as f32; any buffer when
//                     dense), d4 (dense targets as vec4s; any buffer with class indices),
//                     grad [T*K], row_loss [T]
//   ce_short:         x [T*K], d (class indices [T] or dense targets [T*K]), grad, row_loss
//   ce_target_grad_short: x [T*K], g [1], out [T*K]
//   *_target_grad:    x [T*K], g [1], out [T*K]     (ce_target_grad: x4 instead of x)
// x4 and d4 are bound to buffers that hold whole vec4s (every engine buffer does).
// Dispatch: *_rows, ce_target_grad and the *_short kernels (row_threads 1): row_threads invocations per row, group_rows rows per
// workgroup, ceil(T / group_rows) workgroups folded into (x, y) past 65535
// (lib/workgroup_rows.wgsl).
// mse_target_grad, bce_target_grad, bce_logits_target_grad: ceil(T*K / workgroup_size)
// workgroups, folded likewise.

struct Dims {
  rows: u32,
  cols: u32,
  inv_t: f32,    // 1 / T
  alpha: f32,    // label smoothing α in [0, 1)
  eps: f32,      // the BCE clamp
}

override row_threads: u32 = 64u;     // row kernels: a power of two (the tree halves it)
override group_rows: u32 = 1u;
override workgroup_size: u32 = 64u;  // the elementwise *_target_grad kernels
override dense_labels: bool = false;
override with_grad: bool = true;      // *_rows: write grad
override whole_quads: bool = false;   // cols % 4 == 0 (lib/rows.wgsl)
override row_cols: u32 = 16u;         // ce_short: the row length (lib/short_rows.wgsl)

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> d: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
@group(0) @binding(5) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read> x4: array<vec4f>;   // x as vec4s (softmax CE)
@group(0) @binding(8) var<storage, read> d4: array<vec4f>;   // dense targets as vec4s (ce_rows)

// Linked: lib/float (nan_f32, log1p, is_nan, is_zero, is_zero4, is_one, poisons4), lib/index (flat_index),
// lib/workgroup_rows (Row, row_of), lib/tree or lib/tree_subgroup (tree_sum, tree_sum2),
// lib/rows (row_softmax_stats, row_quads, in_row4, online_step4, online_fold4, row_stats_of),
// lib/short_rows (ShortRow, short_row, short_live, short_sum, short_softmax_stats),
// lib/activation (sigmoid_stable, softplus_stable).

// The clamped p_c and q_c = 1 - p_c of BCE. q_c is exactly eps at the upper clamp, and
// 1 - p is exact for p ≥ 0.5 (Sterbenz), as in src/cpu/loss.ts. Callers handle a NaN p
// themselves (clamp may turn it into a bound).
fn bce_clamp(p: f32) -> vec2f {
  let lo = dims.eps;
  let hi = 1.0 - dims.eps;
  let pc = clamp(p, lo, hi);
  return vec2f(pc, select(1.0 - pc, dims.eps, p > hi));
}

// -log p_c and -log q_c (log1p keeps the digits of log(1 - p) for small p)
fn bce_neg_logs(c: vec2f) -> vec2f {
  let log_q = select(log(c.y), log1p(-c.x), c.x < 0.5);
  return -vec2f(log(c.x), log_q);
}

@compute @workgroup_size(row_threads, group_rows)
fn mse_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
            @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  var acc = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) {
    let e = x[r.base + j] - d[r.base + j];
    acc += e * e;
    if (with_grad) { grad[r.base + j] = e * dims.inv_t; }
  }
  acc = tree_sum(r, acc);
  if (r.t == 0u && r.live) { row_loss[r.index] = 0.5 * acc; }
}

@compute @workgroup_size(row_threads, group_rows)
fn bce_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
            @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  var acc = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) {
    let p = x[r.base + j];
    let dj = d[r.base + j];
    let c = bce_clamp(p);
    let nl = bce_neg_logs(c);
    // a term whose weight is exactly 0 is skipped, as in the reference (a NaN d is not)
    if (!is_zero(dj)) { acc += dj * nl.x; }
    if (!is_one(dj)) { acc += (1.0 - dj) * nl.y; }
    // p_c - d, written as (1 - d) - q_c near 1 so the upper clamp keeps its digits
    let num = select((1.0 - dj) - c.y, c.x - dj, c.x < 0.5);
    var gj = num / (c.x * c.y) * dims.inv_t;
    if (is_nan(p)) {                           // NaN term and gradient, as in the reference
      acc += p;
      gj = p;
    }
    if (with_grad) { grad[r.base + j] = gj; }
  }
  acc = tree_sum(r, acc);
  if (r.t == 0u && r.live) { row_loss[r.index] = acc; }
}

// The targets of quad k's lanes (in-row indices j4): (1-α)·d_j + α/K (dense) or
// α/K + (1-α)[j = label] (class index).
fn ce_target4(k: u32, j4: vec4u, label: u32) -> vec4f {
  let keep = 1.0 - dims.alpha;
  let spread = dims.alpha / f32(dims.cols);
  if (dense_labels) { return keep * d4[k] + spread; }
  return select(vec4f(spread), vec4f(spread + keep), j4 == vec4u(label));
}

// Softmax CE's running sums beside online_step4's (m, s), per component of a quad, called
// with the component maxima m from before that step: tt = Σ t and u = Σ t (x − m), kept
// relative to the running max, so the loss T·log s − U (T, U the row's sums at its max) needs
// one read of the row. When x raises the max, u is re-based: u += tt·(m − x) (x's own term is
// t·0). A zero target adds nothing (no 0·(−inf)); a component at LOWEST has seen only −inf or
// nothing, so its u (±inf or 0) needs no re-base.
fn ce_step4(m: vec4f, u: ptr<function, vec4f>, tt: ptr<function, vec4f>, e: vec4f, t: vec4f,
            inside: vec4<bool>) {
  let diff = e - m;
  let rebase = select(-*tt * diff, vec4f(0.0), is_zero4(*tt) | (m == vec4f(LOWEST)));
  let term = select(t * diff, vec4f(0.0), is_zero4(t));
  *u = select(*u, *u + select(term, rebase, diff > vec4f(0.0)), inside);
  *tt = select(*tt, *tt + t, inside);
}

// An invocation's Σ t (x − row_max) from its components' running sums (ce_step4).
fn ce_fold4(m: vec4f, u: vec4f, tt: vec4f, row_max: f32) -> f32 {
  let w = u + select(tt * (m - row_max), vec4f(0.0), is_zero4(tt) | (m == vec4f(LOWEST)));
  return (w.x + w.y) + (w.z + w.w);
}

// Softmax CE reads the logits and dense targets as quads (lib/rows.wgsl: the aligned vec4s
// of the flat buffer that hold the row, the neighbour rows' lanes masked out). One pass gives
// the loss (ce_step4); a second, only with_grad, writes the gradient.
@compute @workgroup_size(row_threads, group_rows)
fn ce_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
           @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  var label = 0u;
  if (!dense_labels && r.live) { label = u32(d[r.index]); }   // validated on the CPU: an integer in [0, K)
  let q = row_quads(r);
  let lane_j = vec4u(0u, 1u, 2u, 3u) - vec4u(r.base);          // + 4k: the lanes' places in the row
  var m = vec4f(LOWEST);
  var s = vec4f(0.0);
  var u = vec4f(0.0);
  var tt = vec4f(0.0);
  var bad = 0.0;
  for (var k = q.x + r.t; k < q.y; k += row_threads) {
    let e = x4[k];
    let inside = in_row4(r, k);
    ce_step4(m, &u, &tt, e, ce_target4(k, vec4u(4u * k) + lane_j, label), inside);
    online_step4(&m, &s, e, inside);
    if (poisons4(select(vec4f(0.0), e, inside))) { bad = 1.0; }
  }
  let st = row_stats_of(r, online_fold4(m, s), bad, (tt.x + tt.y) + (tt.z + tt.w));
  let total_u = tree_sum(r, ce_fold4(m, u, tt, st.row_max));
  // class-index targets sum to exactly 1 (the f32 sum of K rounded α/K need not)
  let sum_t = select(1.0, st.extra, dense_labels);
  if (r.t == 0u && r.live) { row_loss[r.index] = ce_row_loss(st, sum_t, total_u); }
  if (!with_grad) { return; }
  for (var k = q.x + r.t; k < q.y; k += row_threads) {
    let inside = in_row4(r, k);
    let gj = ce_grad4(x4[k], ce_target4(k, vec4u(4u * k) + lane_j, label), st, sum_t);
    if (inside.x) { grad[4u * k] = gj.x; }
    if (inside.y) { grad[4u * k + 1u] = gj.y; }
    if (inside.z) { grad[4u * k + 2u] = gj.z; }
    if (inside.w) { grad[4u * k + 3u] = gj.w; }
  }
}

// A row's loss from its statistics, its Σ t (sum_t) and Σ t (x − max) (total_u):
// −Σ t_j log p_j = T·log s − Σ t_j (x_j − max); an all −inf row takes log p_j = −log K; a NaN
// or +inf logit makes it NaN.
fn ce_row_loss(st: RowStats, sum_t: f32, total_u: f32) -> f32 {
  let loss = select(sum_t * log(st.sum_exp) - total_u, sum_t * log(f32(dims.cols)), st.sum_exp == 0.0);
  return select(loss, nan_f32(), st.poisoned);
}

// The gradient at 4 logits e with targets tj: (p_j Σt − t_j) / T, log p_j = (x_j − max) − log s.
fn ce_grad4(e: vec4f, tj: vec4f, st: RowStats, sum_t: f32) -> vec4f {
  let uniform_logp = -log(f32(dims.cols));
  let logp = select((e - st.row_max) - log(st.sum_exp), vec4f(uniform_logp), st.sum_exp == 0.0);
  return select((exp(logp) * sum_t - tj) * dims.inv_t, vec4f(nan_f32()), st.poisoned);
}

// Softmax CE on short rows (row_threads 1, lib/short_rows.wgsl): the row and its targets in
// registers, one read of each; Σ t (x − max) is taken at the row's max (no re-base).
@compute @workgroup_size(row_threads, group_rows)
fn ce_short(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
            @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  if (!r.live) { return; }
  var label = 0u;
  if (!dense_labels) { label = u32(d[r.index]); }              // validated on the CPU
  let i = short_index(r.base);
  let q = short_row(i, LOWEST);
  let t = ShortRow(ce_short_target4(i[0], 0u, label), ce_short_target4(i[1], 4u, label),
                   ce_short_target4(i[2], 8u, label), ce_short_target4(i[3], 12u, label));
  let st = short_softmax_stats(q);
  var u: ShortRow;                                               // t (x − max); a zero t adds 0
  u[0] = select(t[0] * (q[0] - st.row_max), vec4f(0.0), is_zero4(t[0]));
  u[1] = select(t[1] * (q[1] - st.row_max), vec4f(0.0), is_zero4(t[1]));
  u[2] = select(t[2] * (q[2] - st.row_max), vec4f(0.0), is_zero4(t[2]));
  u[3] = select(t[3] * (q[3] - st.row_max), vec4f(0.0), is_zero4(t[3]));
  let sum_t = select(1.0, short_sum(t), dense_labels);
  row_loss[r.index] = ce_row_loss(st, sum_t, short_sum(u));
  if (!with_grad) { return; }
  put_grad4(r.base, 0u, ce_grad4(q[0], t[0], st, sum_t));
  put_grad4(r.base, 4u, ce_grad4(q[1], t[1], st, sum_t));
  put_grad4(r.base, 8u, ce_grad4(q[2], t[2], st, sum_t));
  put_grad4(r.base, 12u, ce_grad4(q[3], t[3], st, sum_t));
}

// The targets of a short row's slots j .. j + 3 at flat indices i (as ce_target4), 0 past the row.
fn ce_short_target4(i: vec4u, j: u32, label: u32) -> vec4f {
  let keep = 1.0 - dims.alpha;
  let spread = dims.alpha / f32(dims.cols);
  var tj: vec4f;
  if (dense_labels) {
    tj = keep * vec4f(d[i.x], d[i.y], d[i.z], d[i.w]) + spread;
  } else {
    tj = select(vec4f(spread), vec4f(spread + keep), vec4u(j) + vec4u(0u, 1u, 2u, 3u) == vec4u(label));
  }
  return select(vec4f(0.0), tj, short_live(j));
}

// ce_target_grad on short rows (row_threads 1): x read once into registers.
@compute @workgroup_size(row_threads, group_rows)
fn ce_target_grad_short(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                        @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  if (!r.live) { return; }
  let q = short_row(short_index(r.base), LOWEST);
  let st = short_softmax_stats(q);
  let scale = -g[0] * (1.0 - dims.alpha) * dims.inv_t;
  put_out4(r.base, 0u, ce_target_grad4(q[0], st, scale));
  put_out4(r.base, 4u, ce_target_grad4(q[1], st, scale));
  put_out4(r.base, 8u, ce_target_grad4(q[2], st, scale));
  put_out4(r.base, 12u, ce_target_grad4(q[3], st, scale));
}

// scale · log softmax(x) at 4 logits e (the equal-logits limit for an all -inf row, NaN for a
// poisoned one).
fn ce_target_grad4(e: vec4f, st: RowStats, scale: f32) -> vec4f {
  let logp = select((e - st.row_max) - log(st.sum_exp), vec4f(-log(f32(dims.cols))), st.sum_exp == 0.0);
  return select(scale * logp, vec4f(nan_f32()), st.poisoned);
}

// put_out4 for the gradient binding (WGSL passes no storage binding as a parameter without the
// unrestricted_pointer_parameters extension, which not every browser has).
fn put_grad4(base: u32, j: u32, vals: vec4f) {
  let live = short_live(j);
  if (live.x) { grad[base + j] = vals.x; }
  if (live.y) { grad[base + j + 1u] = vals.y; }
  if (live.z) { grad[base + j + 2u] = vals.z; }
  if (live.w) { grad[base + j + 3u] = vals.w; }
}

@compute @workgroup_size(row_threads, group_rows)
fn bce_logits_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                   @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  var acc = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) {
    let z = x[r.base + j];
    let dj = d[r.base + j];
    acc += softplus_stable(z) - z * dj;
    if (with_grad) { grad[r.base + j] = (sigmoid_stable(z) - dj) * dims.inv_t; }
  }
  acc = tree_sum(r, acc);
  if (r.t == 0u && r.live) { row_loss[r.index] = acc / f32(r.n); }
}

@compute @workgroup_size(workgroup_size)
fn bce_logits_target_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.rows * dims.cols) { return; }
  out[i] = -g[0] * x[i] * dims.inv_t;
}

@compute @workgroup_size(workgroup_size)
fn mse_target_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.rows * dims.cols) { return; }
  out[i] = -g[0] * x[i];
}

@compute @workgroup_size(workgroup_size)
fn bce_target_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.rows * dims.cols) { return; }
  let p = x[i];
  let nl = bce_neg_logs(bce_clamp(p));
  out[i] = select(g[0] * (nl.x - nl.y) * dims.inv_t, p, is_nan(p));
}

@compute @workgroup_size(row_threads, group_rows)
fn ce_target_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                  @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  let st = row_softmax_stats(r);
  let scale = -g[0] * (1.0 - dims.alpha) * dims.inv_t;
  let q = row_quads(r);
  for (var k = q.x + r.t; k < q.y; k += row_threads) {
    let o = ce_target_grad4(x4[k], st, scale);
    let inside = in_row4(r, k);
    if (inside.x) { out[4u * k] = o.x; }
    if (inside.y) { out[4u * k + 1u] = o.y; }
    if (inside.z) { out[4u * k + 2u] = o.z; }
    if (inside.w) { out[4u * k + 3u] = o.w; }
  }
}
