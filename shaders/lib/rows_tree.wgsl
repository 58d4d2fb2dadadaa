// Row reductions in workgroup memory (linked after lib/rows.wgsl): a fixed tree over the
// row's row_threads invocations, log2(row_threads) barriers. Same input, same bits.

// Row max of each invocation's pair `a`, per component (call from uniform control flow; every
// invocation of the row gets the result). The trailing barrier frees `scratch` for reuse.
fn tree_max(r: Row, a: vec2f) -> vec2f {
  let i = r.slot + r.t;
  scratch[i] = a;
  workgroupBarrier();
  for (var s = row_threads / 2u; s > 0u; s >>= 1u) {
    if (r.t < s) { scratch[i] = max(scratch[i], scratch[i + s]); }
    workgroupBarrier();
  }
  let m = scratch[r.slot];
  workgroupBarrier();
  return m;
}

fn tree_sum2(r: Row, a: vec2f) -> vec2f {
  let i = r.slot + r.t;
  scratch[i] = a;
  workgroupBarrier();
  for (var s = row_threads / 2u; s > 0u; s >>= 1u) {
    if (r.t < s) { scratch[i] += scratch[i + s]; }
    workgroupBarrier();
  }
  let m = scratch[r.slot];
  workgroupBarrier();
  return m;
}

fn tree_sum(r: Row, a: f32) -> f32 {
  return tree_sum2(r, vec2f(a, 0.0)).x;
}
