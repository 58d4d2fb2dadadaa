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
}

// The log-sum-exp pass of softmax, log-softmax and softmax cross-entropy: log Σ e^x = m + log s.
// One read of the row ("online" softmax): each invocation keeps a running max m and
// s = Σ e^(x_j - m) over its strided part, rescaling s by e^(m - x) when x exceeds m. One exp
// per element: e^-|x - m| is the new term when x <= m, the rescale factor when x > m (the new
// term is then e^0 = 1). A first finite x overflows x - LOWEST to +inf: factor e^-inf = 0,
// s = 1. A -inf entry adds e^-inf = 0 and never raises m. NaN and +inf set the poison flag
// (on the bits, lib/float.wgsl); what they do to m and s is then ignored by the callers.
// The row's invocations then combine: the max over their m, and the sum of their s rescaled
// to it (e^(m - max) <= 1; 1 for a lane still at LOWEST when the row is all -inf).
fn row_softmax_stats(r: Row) -> RowStats {
  var m = LOWEST;
  var s = 0.0;
  var poison = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) {
    let e = x[r.base + j];
    let diff = e - m;
    let factor = exp(-abs(diff));
    let grows = diff > 0.0;
    s = select(s + factor, s * factor + 1.0, grows);
    m = select(m, e, grows);
    if (poisons(e)) { poison = 1.0; }
  }
  let mx = tree_max(r, vec2f(m, poison));
  let total = tree_sum(r, s * exp(m - mx.x));
  return RowStats(mx.x, total, mx.y != 0.0);
}
