// Row passes for kernels that give each row of a [rows, cols] view to one workgroup
// (softmax.wgsl, loss.wgsl): a strided per-invocation fold, then a workgroup tree. Linked
// after lib/float.wgsl and lib/tree.wgsl into those families, which must declare:
//   override workgroup_size: u32  (a power of two)
//   dims.cols                     (the row length, in the family's Dims uniform)
//   x: array<f32>                 (the rows)

// (max, poison flag) over this invocation's strided part of the row starting at base
fn strided_max(base: u32, t: u32) -> vec2f {
  var m = vec2f(LOWEST, 0.0);
  for (var j = t; j < dims.cols; j += workgroup_size) {
    let e = x[base + j];
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
fn row_softmax_stats(base: u32, t: u32) -> RowStats {
  let mx = tree_max(t, strided_max(base, t));
  var s = 0.0;
  for (var j = t; j < dims.cols; j += workgroup_size) { s += exp(x[base + j] - mx.x); }
  return RowStats(mx.x, tree_sum(t, s), mx.y != 0.0);
}
