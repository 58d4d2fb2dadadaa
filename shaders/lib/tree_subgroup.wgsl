enable subgroups;

// Row reductions on subgroup operations: the same tree_max / tree_sum2 / tree_sum over a row
// of lib/workgroup_rows.wgsl as lib/tree.wgsl, for devices with the `subgroups` feature, and
// used only where the device has it (src/gpu/profile.ts). Linked FIRST in its families: the
// `enable` must precede every declaration.
//
//   row_in_subgroup true (the op sets it when row_threads <= the adapter's subgroupMinSize):
//     a row's invocations lie in one subgroup; a butterfly of subgroupShuffleXor over offsets
//     1, 2, .. row_threads/2 reduces each aligned run of row_threads lanes. No barrier and no
//     workgroup memory.
//   row_in_subgroup false: subgroupAdd / subgroupMax over each subgroup, whose first lane
//     writes the result to scratch; after one barrier every invocation folds its row's
//     row_threads / subgroup_size partials in index order. Two barriers instead of log2.
//
// Assumes what every Vulkan, Metal and D3D12 driver does for compute (and what ONNX Runtime
// Web's subgroup kernels assume): a subgroup is a run of consecutive local_invocation_index,
// starting at a multiple of its size. The subgroup size is read as subgroupAdd(1u), since a
// library function cannot take the entry point's @builtin(subgroup_size); every invocation
// is active here (called from uniform control flow in full workgroups).
// Deterministic: the butterfly pairs lanes in a fixed order (x + y == y + x, so all lanes of
// a run hold the same bits); subgroupAdd's order is fixed by the hardware; the partials are
// folded in index order.

override row_in_subgroup: bool = false;

fn tree_max(r: Row, val: vec2f) -> vec2f {
  if (row_in_subgroup) {
    var m = val;
    for (var off = 1u; off < row_threads; off <<= 1u) { m = max(m, subgroupShuffleXor(m, off)); }
    return m;
  }
  return fold_partials(r, subgroupMax(val), true);
}

fn tree_sum2(r: Row, val: vec2f) -> vec2f {
  if (row_in_subgroup) {
    var s = val;
    for (var off = 1u; off < row_threads; off <<= 1u) { s += subgroupShuffleXor(s, off); }
    return s;
  }
  return fold_partials(r, subgroupAdd(val), false);
}

fn tree_sum(r: Row, val: f32) -> f32 {
  return tree_sum2(r, vec2f(val, 0.0)).x;
}

// Each subgroup's result (the same in all its lanes) into scratch, then the row's partials
// folded in order: max or sum. The trailing barrier frees `scratch` for reuse. (Names here
// avoid the families' binding names: wgsl_reflect counts a local `v` as a use of binding v.)
fn fold_partials(r: Row, sub_result: vec2f, take_max: bool) -> vec2f {
  let lanes = subgroupAdd(1u);
  if (subgroupExclusiveAdd(1u) == 0u) { scratch[r.slot + r.t / lanes] = sub_result; }
  workgroupBarrier();
  var acc = scratch[r.slot];
  for (var k = 1u; k < row_threads / lanes; k++) {
    let part = scratch[r.slot + k];
    acc = select(acc + part, max(acc, part), take_max);
  }
  workgroupBarrier();
  return acc;
}
