// Row passes for kernels that give each row of a [rows, cols] view to row_threads invocations
// (softmax.wgsl, loss.wgsl): a strided per-invocation fold, then a reduction over the row.
// Linked after lib/float.wgsl, lib/workgroup_rows.wgsl and lib/tree.wgsl (or
// lib/tree_subgroup.wgsl) into those families, which must declare x: array<f32> (the rows).

// (max, poison flag) over this invocation's strided part of the row
fn strided_max(r: Row) -> vec2f {
  var m = vec2f(LOWEST, 0.0);
  for (var j = r.t; j < r.n; j += row_threads) {
    let e = x[r.base + j];
    if (e > m.x) { m.x = e; }
    if (poisons(e)) { m.y = 1.0; }
  }
  return m;
}

// What a stable softmax of a row needs: m = max_j x_j and s = Σ_j e^(x_j - m), in [1, cols]
// unless the row is all -inf (m stays LOWEST, s = 0); poisoned when a NaN or +inf is in it.
struct RowStats {
  row_max: f32,
  sum_exp: f32,
  poisoned: bool,
}

// The log-sum-exp pass of softmax, log-softmax and softmax cross-entropy: log Σ e^x = m + log s.
fn row_softmax_stats(r: Row) -> RowStats {
  let mx = tree_max(r, strided_max(r));
  var s = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) { s += exp(x[r.base + j] - mx.x); }
  return RowStats(mx.x, tree_sum(r, s), mx.y != 0.0);
}
