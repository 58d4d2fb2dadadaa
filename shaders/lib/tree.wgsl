// Workgroup trees over a row's invocations (lib/workgroup_rows.wgsl): combine one value per
// invocation in a fixed order, log2(row_threads) barriers (deterministic: same input,
// bit-identical result; no atomics). lib/tree_subgroup.wgsl has the same functions on
// subgroup operations. Call from uniform control flow; every invocation of the row gets the
// result, and the trailing barrier frees `scratch` for the next tree. A row of one invocation
// (short rows on a CPU adapter) is its own result: no scratch, no barrier (row_threads is an
// override, so the branch is uniform). Barriers are what a CPU implementation pays most for:
// softmax [4096, 10] in Chromium's SwiftShader took 3.3 ms with the four barriers of its two
// trees, against 2.3 for jax-js.

// Per-component maximum of each invocation's pair `val`
fn tree_max(r: Row, val: vec2f) -> vec2f {
  if (row_threads == 1u) { return val; }
  let i = r.slot + r.t;
  scratch[i] = val;
  workgroupBarrier();
  for (var s = row_threads / 2u; s > 0u; s >>= 1u) {
    if (r.t < s) { scratch[i] = max(scratch[i], scratch[i + s]); }
    workgroupBarrier();
  }
  let m = scratch[r.slot];
  workgroupBarrier();
  return m;
}

// Per-component sum of each invocation's pair `val`: two sums for the barriers of one
fn tree_sum2(r: Row, val: vec2f) -> vec2f {
  if (row_threads == 1u) { return val; }
  let i = r.slot + r.t;
  scratch[i] = val;
  workgroupBarrier();
  for (var s = row_threads / 2u; s > 0u; s >>= 1u) {
    if (r.t < s) { scratch[i] += scratch[i + s]; }
    workgroupBarrier();
  }
  let m = scratch[r.slot];
  workgroupBarrier();
  return m;
}

fn tree_sum(r: Row, val: f32) -> f32 {
  return tree_sum2(r, vec2f(val, 0.0)).x;
}
