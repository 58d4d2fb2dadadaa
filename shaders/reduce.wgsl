// Reductions over the middle axis of a tensor viewed as [outer, len, inner], and their
// gradients. axis 0 of a matrix is (1, M, N): column sums, the bias gradient; the last axis
// is (M, N, 1): row sums; everything is (1, size, 1): the loss.
//
//   reduce_sum:  out[o, c, i] = scale * Σ_{k in chunk c} x[o, k, i]  (scale 1: sum, 1/len: mean)
//                chunk c covers k in [c·chunk, min((c+1)·chunk, len)), c < chunks; with
//                chunks = 1 this is the whole axis. A long axis with few outputs is reduced in
//                two passes (chunks > 1, then the partials), so many workgroups share the work.
//   reduce_sum4: the same for inner = 1 and len, chunk multiples of 4, through vec4 loads.
//   reduce_max:  out[o, i] = max_k x[o, k, i];  arg[o, i] = first k attaining it (as f32);
//                a NaN is the maximum (the first NaN), as in PyTorch and the CPU reference
//   broadcast:   out[o, k, i] = scale * dy[o, i]                  (gradient of sum / mean)
//   max_grad:    out[o, k, i] = dy[o, i] if k == arg[o, i] else 0 (subgradient of max)
//
// Deterministic: each output is a row of lib/workgroup_rows.wgsl: row_threads invocations
// each sum a fixed strided subsequence, then combine in a fixed order (lib/tree.wgsl or
// lib/tree_subgroup.wgsl): same input, bit-identical output. No atomics.
//
// Bindings (group 0): dims uniform; x/dy/arg read-only storage; out/arg_out read_write.
// Dispatch: reduce_*: one row per output (rows = outer*chunks*inner outputs, cols = the length
// one output reduces), group_rows outputs per workgroup, ceil(rows / group_rows) workgroups
// folded into (x, y) past 65535; broadcast, max_grad: ceil(outer*len*inner / workgroup_size)
// workgroups, folded likewise.

struct Dims {
  outer: u32,
  len: u32,
  inner: u32,
  scale: f32,
  chunks: u32,   // reduce_sum only (1 elsewhere)
  chunk: u32,    // reduce_sum only (len elsewhere)
  rows: u32,     // reduce_*: the number of outputs (lib/workgroup_rows.wgsl)
  cols: u32,     // reduce_*: the length one output reduces (chunk, or len)
}

override workgroup_size: u32 = 64u;  // broadcast, max_grad
override row_threads: u32 = 8u;      // reduce_*: invocations per output (a power of two)
override group_rows: u32 = 1u;       // reduce_*: outputs per workgroup

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> arg: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> arg_out: array<f32>;
@group(0) @binding(6) var<storage, read> x4: array<vec4f>;

// Linked: lib/float (is_nan, LOWEST), lib/index (flat_index), lib/workgroup_rows (Row, row_of),
// lib/tree or lib/tree_subgroup (tree_sum).

// reduce_max's tree carries an index with each value (tree_max of lib/tree.wgsl has none)
var<workgroup> partial: array<f32, row_threads * group_rows>;
var<workgroup> partial_arg: array<u32, row_threads * group_rows>;

// Does candidate (v at index k) replace the current best (b at index bk; bk = 0xffffffff:
// none yet)? NaN is the maximum, as in PyTorch; among equals (or NaNs) the smaller index
// wins, so the first maximum is reported whatever order the tree meets them in.
fn beats(v: f32, k: u32, b: f32, bk: u32) -> bool {
  if (k == 0xffffffffu) { return false; }
  if (bk == 0xffffffffu) { return true; }
  if (is_nan(b)) { return is_nan(v) && k < bk; }
  if (is_nan(v)) { return true; }
  return v > b || (v == b && k < bk);
}

@compute @workgroup_size(row_threads, group_rows)
fn reduce_sum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
              @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  let g = r.index;
  let inner = max(dims.inner, 1u);
  let o = g / (dims.chunks * inner);
  let c = (g / inner) % dims.chunks;
  let i = g % inner;
  let end = select(0u, min(dims.len, (c + 1u) * dims.chunk), r.live);
  var acc = 0.0;
  for (var k = c * dims.chunk + r.t; k < end; k += row_threads) {
    acc += x[(o * dims.len + k) * dims.inner + i];
  }
  write_sum(r, acc);
}

// The row's fixed-order sum of the invocations' partial sums; its first invocation writes.
fn write_sum(r: Row, acc: f32) {
  let total = tree_sum(r, acc);
  if (r.t == 0u && r.live) { out[r.index] = total * dims.scale; }
}

// reduce_sum for contiguous rows (inner = 1) with len and chunk multiples of 4: four elements
// per load through the vec4 view x4 (a vec4 load costs about a scalar load on SwiftShader).
@compute @workgroup_size(row_threads, group_rows)
fn reduce_sum4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
               @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  let o = r.index / dims.chunks;
  let c = r.index % dims.chunks;
  let end = select(0u, min(dims.len, (c + 1u) * dims.chunk) / 4u, r.live);
  let base = o * dims.len / 4u;
  var acc = vec4f(0.0);
  for (var k = c * dims.chunk / 4u + r.t; k < end; k += row_threads) {
    acc += x4[base + k];
  }
  write_sum(r, (acc.x + acc.y) + (acc.z + acc.w));
}

@compute @workgroup_size(row_threads, group_rows)
fn reduce_max(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
              @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  let o = r.index / max(dims.inner, 1u);
  let i = r.index % max(dims.inner, 1u);
  var best = LOWEST;
  var best_k = 0xffffffffu;
  let end = select(0u, dims.len, r.live);
  for (var k = r.t; k < end; k += row_threads) {
    let v = x[(o * dims.len + k) * dims.inner + i];
    if (beats(v, k, best, best_k)) { best = v; best_k = k; }
  }
  let at = r.slot + r.t;
  partial[at] = best;
  partial_arg[at] = best_k;
  workgroupBarrier();
  for (var s = row_threads / 2u; s > 0u; s >>= 1u) {
    if (r.t < s) {
      let v = partial[at + s];
      let k = partial_arg[at + s];
      if (beats(v, k, partial[at], partial_arg[at])) {
        partial[at] = v;
        partial_arg[at] = k;
      }
    }
    workgroupBarrier();
  }
  if (r.t == 0u && r.live) {
    out[r.index] = partial[r.slot];
    arg_out[r.index] = f32(partial_arg[r.slot]);
  }
}

@compute @workgroup_size(workgroup_size)
fn broadcast(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= dims.outer * dims.len * dims.inner) { return; }
  let o = j / (dims.len * dims.inner);
  let i = j % dims.inner;
  out[j] = dy[o * dims.inner + i] * dims.scale;
}

@compute @workgroup_size(workgroup_size)
fn max_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= dims.outer * dims.len * dims.inner) { return; }
  let o = j / (dims.len * dims.inner);
  let k = (j / dims.inner) % dims.len;
  let i = j % dims.inner;
  let r = o * dims.inner + i;
  out[j] = select(0.0, dy[r], u32(arg[r]) == k);
}
