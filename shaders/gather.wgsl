// Gather along an axis, its gradient (a deterministic scatter-add) and one-hot rows.
// x is viewed as [outer, len, inner] around the gathered axis; `count` indices, stored as f32
// (exact integers below 2^24).
//
//   gather:           out[o, j, i] = x[o, idx[j], i] when idx[j] is an integer in [0, len),
//                     else NaN (a bad index from a tensor shows as NaN rows, never as a wrong row)
//   scatter_add_rows: dx[o, r, i] = Σ_{k in [row_start[r], row_start[r+1])} dy[o, order[k], i]
//                     (order lists the positions j grouped by idx[j], increasing j: a CSR built
//                     on the CPU from Int32Array indices; see src/cpu/gather.ts rowLists)
//   scatter_add_scan: dx[o, r, i] = Σ_{j < count, idx[j] = r} dy[o, j, i]  (indices in a tensor:
//                     each output scans all indices, O(len·count) reads, no readback)
//   one_hot:          out[j, c] = 1 if idx[j] = c else 0    (len = depth)
// Every output is written by one invocation that sums in a fixed order: no atomics, so the
// scatter-add is deterministic and repeated indices add up.
//
// Bindings (group 0): dims uniform; x, idx, dy, order, row_start read-only storage; out read_write.
//   gather: x [outer·len·inner], idx [count], out [outer·count·inner]
//   scatter_add_rows: dy [outer·count·inner], order [count], row_start [len + 1], out [outer·len·inner]
//   scatter_add_scan: dy, idx, out as above            one_hot: idx [count], out [count·len]
// Dispatch: ceil(outputs / workgroup_size) workgroups, folded into (x, y) past 65535.

struct Dims {
  outer: u32,
  len: u32,
  inner: u32,
  count: u32,
}

override workgroup_size: u32 = 256;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> order: array<f32>;
@group(0) @binding(5) var<storage, read> row_start: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

// Linked: lib/float (nan_f32), lib/index (flat_index).

// The row idx[j] names, or 0xffffffff when it is not an integer in [0, len) (NaN fails both
// comparisons).
fn index_row(j: u32) -> u32 {
  let v = idx[j];
  if (v >= 0.0 && v < f32(dims.len) && v == floor(v)) { return u32(v); }
  return 0xffffffffu;
}

@compute @workgroup_size(workgroup_size)
fn gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flat_index(gid, groups);
  if (e >= dims.outer * dims.count * dims.inner) { return; }
  let i = e % dims.inner;
  let j = (e / dims.inner) % dims.count;
  let o = e / (dims.inner * dims.count);
  let r = index_row(j);
  if (r == 0xffffffffu) {
    out[e] = nan_f32();
  } else {
    out[e] = x[(o * dims.len + r) * dims.inner + i];
  }
}

@compute @workgroup_size(workgroup_size)
fn scatter_add_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flat_index(gid, groups);
  if (e >= dims.outer * dims.len * dims.inner) { return; }
  let i = e % dims.inner;
  let r = (e / dims.inner) % dims.len;
  let o = e / (dims.inner * dims.len);
  var acc = 0.0;
  for (var k = u32(row_start[r]); k < u32(row_start[r + 1u]); k++) {
    acc += dy[(o * dims.count + u32(order[k])) * dims.inner + i];
  }
  out[e] = acc;
}

@compute @workgroup_size(workgroup_size)
fn scatter_add_scan(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flat_index(gid, groups);
  if (e >= dims.outer * dims.len * dims.inner) { return; }
  let i = e % dims.inner;
  let r = (e / dims.inner) % dims.len;
  let o = e / (dims.inner * dims.len);
  var acc = 0.0;
  for (var j = 0u; j < dims.count; j++) {
    if (index_row(j) == r) { acc += dy[(o * dims.count + j) * dims.inner + i]; }
  }
  out[e] = acc;
}

@compute @workgroup_size(workgroup_size)
fn one_hot(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flat_index(gid, groups);
  if (e >= dims.count * dims.len) { return; }
  out[e] = select(0.0, 1.0, index_row(e / dims.len) == e % dims.len);
}
