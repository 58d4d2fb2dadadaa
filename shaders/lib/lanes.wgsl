// Trees over the `lanes` invocations of one output of shaders/reduce.wgsl (a segment of the
// workgroup, `lane_stride` apart; lib/tree.wgsl's trees span a whole row of workgroup_rows
// instead), through workgroup memory: log2(lanes) barriers, a fixed order (deterministic).
// lib/lanes_subgroup.wgsl has the same functions on subgroup operations. Call from uniform
// control flow; every lane gets the result, and the trailing barrier frees `partial`.
// Linked into reduce.wgsl, which declares workgroup_size, lanes, lane_of, lane_stride, Best
// and beats.

var<workgroup> partial: array<f32, workgroup_size>;
var<workgroup> partial_arg: array<u32, workgroup_size>;

// Σ over the output's lanes
fn lane_sum(t: u32, val: f32) -> f32 {
  if (lanes == 1u) { return val; }
  partial[t] = val;
  workgroupBarrier();
  for (var s = lanes / 2u; s > 0u; s >>= 1u) {
    if (lane_of(t) < s) { partial[t] += partial[t + s * lane_stride()]; }
    workgroupBarrier();
  }
  let r = partial[t - lane_of(t) * lane_stride()];
  workgroupBarrier();
  return r;
}

// The best (by `beats`) over the output's lanes
fn lane_best(t: u32, b: Best) -> Best {
  if (lanes == 1u) { return b; }
  partial[t] = b.val;
  partial_arg[t] = b.k;
  workgroupBarrier();
  for (var s = lanes / 2u; s > 0u; s >>= 1u) {
    let other = t + s * lane_stride();
    if (lane_of(t) < s && beats(partial[other], partial_arg[other], partial[t], partial_arg[t])) {
      partial[t] = partial[other];
      partial_arg[t] = partial_arg[other];
    }
    workgroupBarrier();
  }
  let head = t - lane_of(t) * lane_stride();
  let r = Best(partial[head], partial_arg[head]);
  workgroupBarrier();
  return r;
}
