// Workgroup trees: combine one value per invocation in a fixed order (deterministic: same
// input, bit-identical result; no atomics). Linked into families that declare
// `override workgroup_size: u32` (a power of two: the trees halve it). Call from uniform
// control flow; every invocation gets the result, and the trailing barrier frees `scratch`
// for the next tree.

var<workgroup> scratch: array<vec2f, workgroup_size>;

// Per-component maximum of each invocation's pair `val`
fn tree_max(t: u32, val: vec2f) -> vec2f {
  scratch[t] = val;
  workgroupBarrier();
  for (var s = workgroup_size / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      let o = scratch[t + s];
      scratch[t] = select(scratch[t], o, o > scratch[t]);
    }
    workgroupBarrier();
  }
  let r = scratch[0];
  workgroupBarrier();
  return r;
}

// Per-component sum of each invocation's pair `val`: two sums for the barriers of one
fn tree_sum2(t: u32, val: vec2f) -> vec2f {
  scratch[t] = val;
  workgroupBarrier();
  for (var s = workgroup_size / 2u; s > 0u; s >>= 1u) {
    if (t < s) { scratch[t] += scratch[t + s]; }
    workgroupBarrier();
  }
  let r = scratch[0];
  workgroupBarrier();
  return r;
}

fn tree_sum(t: u32, val: f32) -> f32 {
  return tree_sum2(t, vec2f(val, 0.0)).x;
}
