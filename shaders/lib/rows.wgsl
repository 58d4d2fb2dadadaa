// Row passes for kernels that give each row of a [rows, cols] view to row_threads invocations
// (softmax.wgsl, loss.wgsl): a strided per-invocation fold, then a reduction over the row.
// Linked after lib/float.wgsl, lib/workgroup_rows.wgsl and lib/tree.wgsl (or
// lib/tree_subgroup.wgsl) into those families, which must declare x: array<f32> (the rows).

// What a stable softmax of a row needs: m = max_j x_j and s = Σ_j e^(x_j - m), in [1, cols]
// unless the row is all -inf (m stays LOWEST, s = 0); poisoned when a NaN or +inf is in it.
struct RowStats {
  row_max: f32,
  sum_exp: f32,
  poisoned: bool,
  extra: f32,      // the row sum of a caller's per-invocation value (row_stats_of), else 0
}

// "Online" softmax statistics, so a row is read once for them: an invocation keeps a running
// max m and s = Σ e^(x - m) over the elements it has seen, and rescales s by e^(m - x) when an
// x exceeds m. One exp per element: e^-|x - m| is the new term when x <= m, and the rescale
// factor when x > m (the new term is then e^0 = 1). A first finite x overflows x - LOWEST to
// +inf: factor e^-inf = 0, s = 1. A -inf entry adds e^-inf = 0 and never raises m. What NaN
// and +inf do to m and s does not matter: they set the poison flag (on the bits, lib/float),
// and callers then ignore m and s. online_step4 does the same per component (vec4 loads).
fn online_step(ms: vec2f, e: f32) -> vec2f {
  let diff = e - ms.x;
  let factor = exp(-abs(diff));
  return select(vec2f(ms.x, ms.y + factor), vec2f(e, ms.y * factor + 1.0), diff > 0.0);
}

fn online_step4(m: ptr<function, vec4f>, s: ptr<function, vec4f>, e: vec4f) {
  let diff = e - *m;
  let factor = exp(-abs(diff));
  let grows = diff > vec4f(0.0);
  *s = select(*s + factor, *s * factor + 1.0, grows);
  *m = select(*m, e, grows);
}

// An invocation's running (m, s) over its components: the max, and the sum rescaled to it.
fn online_fold4(m: vec4f, s: vec4f) -> vec2f {
  let top = max(max(m.x, m.y), max(m.z, m.w));
  return vec2f(top, dot(s, exp(m - top)));
}

// The row's statistics from each invocation's running (m, s) and poison flag (1.0 or 0.0):
// the max over the invocations' m, and the sum of their s rescaled to it (e^(m - max) <= 1;
// 1 for an invocation still at LOWEST when the row is all -inf or it saw no element).
// `extra` rides along in the same tree: a second row sum for free (CE's Σ targets).
fn row_stats_of(r: Row, ms: vec2f, poison: f32, extra: f32) -> RowStats {
  let mx = tree_max(r, vec2f(ms.x, poison));
  let total = tree_sum2(r, vec2f(ms.y * exp(ms.x - mx.x), extra));
  return RowStats(mx.x, total.x, mx.y != 0.0, total.y);
}

// The log-sum-exp pass of softmax, log-softmax and softmax cross-entropy: log Σ e^x = m + log s.
fn row_softmax_stats(r: Row) -> RowStats {
  var ms = vec2f(LOWEST, 0.0);
  var poison = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) {
    let e = x[r.base + j];
    ms = online_step(ms, e);
    if (poisons(e)) { poison = 1.0; }
  }
  return row_stats_of(r, ms, poison, 0.0);
}
