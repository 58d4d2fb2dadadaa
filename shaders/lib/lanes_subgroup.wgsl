enable subgroups;

// lane_sum and lane_best of lib/lanes.wgsl on subgroup operations, for devices with the
// `subgroups` feature (src/ops/reduce.ts picks this family only there, and only when an
// output's lanes are neighbouring invocations: outputs_adjacent false). Linked FIRST in its
// family: the `enable` must precede every declaration.
//
//   lanes_in_subgroup true (lanes <= the adapter's subgroupMinSize): an output's lanes lie in
//     one subgroup; a butterfly of subgroupShuffleXor over offsets 1, 2, .. lanes/2 combines
//     each aligned run of `lanes` invocations. No barrier, no workgroup memory.
//   lanes_in_subgroup false (lanes >= subgroupMaxSize): the butterfly runs over the whole
//     subgroup, whose first invocation writes the result to `partial`; after one barrier
//     every lane folds its output's lanes / subgroup-size partials in index order. Two
//     barriers instead of log2(lanes).
//
// As lib/tree_subgroup.wgsl: a subgroup is a run of consecutive local_invocation_index
// starting at a multiple of its size, read as subgroupAdd(1u) (every invocation is active:
// full workgroups, uniform control flow). Deterministic: the butterfly pairs lanes in a fixed
// order (a + b == b + a, and `beats` is a strict order on (value, index), so both lanes of a
// pair keep the same bits); the partials are folded in index order.

override lanes_in_subgroup: bool = false;

var<workgroup> partial: array<f32, workgroup_size>;
var<workgroup> partial_arg: array<u32, workgroup_size>;

// The butterfly's span: the output's lanes, or the whole subgroup when lanes exceed it
fn butterfly_span() -> u32 {
  return select(subgroupAdd(1u), lanes, lanes_in_subgroup);
}

fn lane_sum(t: u32, val: f32) -> f32 {
  if (lanes == 1u) { return val; }
  let span = butterfly_span();
  var s = val;
  for (var off = 1u; off < span; off <<= 1u) { s += subgroupShuffleXor(s, off); }
  if (lanes_in_subgroup) { return s; }
  if (t % span == 0u) { partial[t / span] = s; }
  workgroupBarrier();
  let first = (t / lanes) * (lanes / span);
  var acc = partial[first];
  for (var k = 1u; k < lanes / span; k++) { acc += partial[first + k]; }
  workgroupBarrier();
  return acc;
}

fn lane_best(t: u32, b: Best) -> Best {
  if (lanes == 1u) { return b; }
  let span = butterfly_span();
  var best = b;
  for (var off = 1u; off < span; off <<= 1u) {
    let other = Best(subgroupShuffleXor(best.val, off), subgroupShuffleXor(best.k, off));
    if (beats(other.val, other.k, best.val, best.k)) { best = other; }
  }
  if (lanes_in_subgroup) { return best; }
  if (t % span == 0u) {
    partial[t / span] = best.val;
    partial_arg[t / span] = best.k;
  }
  workgroupBarrier();
  let first = (t / lanes) * (lanes / span);
  var acc = Best(partial[first], partial_arg[first]);
  for (var k = 1u; k < lanes / span; k++) {
    if (beats(partial[first + k], partial_arg[first + k], acc.val, acc.k)) { acc = Best(partial[first + k], partial_arg[first + k]); }
  }
  workgroupBarrier();
  return acc;
}
