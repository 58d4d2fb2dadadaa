// Reductions over the middle axis of a tensor viewed as [outer, len, inner], and their
// gradients. axis 0 of a matrix is (1, M, N): column sums, the bias
// gradient; the last axis is (M, N, 1): row sums; everything is (1, size, 1): the loss. A set
// of adjacent axes is one middle axis; src/ops/reduce.ts transposes other sets into that form.
//
//   reduce_sum:       out[o, c, i] = scale * Σ_{k in chunk c} x[o, k, i]  (scale 1: sum, 1/len: mean)
//                     chunk c covers k in [c·chunk, min((c+1)·chunk, len)), c < chunks; with
//                     chunks = 1 this is the whole axis. A long axis with few outputs is reduced
//                     in two passes (chunks > 1, then the partials), so many workgroups share it.
//   reduce_sum4:      the same for inner = 1 and len, chunk multiples of 4, through vec4 loads.
//   reduce_sum_cols4: the same for inner a multiple of 4 and chunks = 1, four neighbouring
//                     outputs per invocation through vec4 loads (one lane each).
//   reduce_max:       out[o, i] = max_k x[o, k, i] (min_k with `minimum`); aux_out[o, i] = the
//                     first k attaining it (as f32); a NaN is the extremum (the first NaN), as
//                     in PyTorch and the CPU reference
//   reduce_logsumexp: out[o, i] = m + log Σ_k exp(x[o, k, i] − m), m = max_k x (stable); −inf
//                     when every x is −inf, +inf when one is +inf, NaN when one is NaN
//   reduce_variance:  out[o, i] = scale · Σ_k (x[o, k, i] − mean)², aux_out[o, i] = mean =
//                     scale · Σ_k x[o, k, i]  (scale = 1/len: population variance, two passes)
//   broadcast:        out[o, k, i] = scale * dy[o, i]                  (gradient of sum / mean)
//   max_grad:         out[o, k, i] = dy[o, i] if k == aux[o, i] else 0 (subgradient of max / min)
//   centered_grad:    out[o, k, i] = dy[o, i] · exp(x[o, k, i] − aux[o, i])  (logSumExp: the
//                     softmax, 0 where x = −inf), or dy[o, i] · 2 (x[o, k, i] − aux[o, i]) · scale
//                     (variance, aux = the mean), by the override `centered`
//
// Deterministic: each output is reduced by `lanes` invocations (a segment of one workgroup)
// that each fold a fixed strided subsequence, then combine in a fixed tree (workgroup memory,
// or subgroup shuffles where the device has them): same input, bit-identical output. No atomics. lanes = 1 (short axes, many outputs) folds serially
// without barriers; src/ops/reduce.ts picks lanes from the axis length.
//
// Bindings (group 0): dims uniform; x/dy/aux/x4 read-only storage; out/aux_out read_write.
// Dispatch: reduce_*: ceil(outputs / (workgroup_size / lanes)) workgroups (outputs =
// outer*chunks*inner; reduce_sum_cols4: ceil(outer*inner/4 / workgroup_size)), folded into
// (x, y) past 65535; broadcast, max_grad, centered_grad: ceil(outer*len*inner / workgroup_size) workgroups,
// folded likewise.

struct Dims {
  outer: u32,
  len: u32,
  inner: u32,
  scale: f32,
  chunks: u32,   // reduce_sum only (1 elsewhere)
  chunk: u32,    // reduce_sum only (len elsewhere)
}

override workgroup_size: u32 = 64;
override lanes: u32 = 64;         // reduce_*: invocations per output (a power of two <= workgroup_size)
override outputs_adjacent: bool = false;  // reduce_*: neighbouring invocations take neighbouring
                                          // outputs (else neighbouring lanes of one output)
override minimum: bool = false;   // reduce_max: the minimum instead
override centered: u32 = 0u;      // centered_grad: 0 logSumExp, 1 variance

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> aux: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> aux_out: array<f32>;
@group(0) @binding(6) var<storage, read> x4: array<vec4f>;

// Linked: lib/float (is_nan, is_finite, is_inf, sign_bit, exp_ieee), lib/index (flat_index,
// group_index), and the trees over an output's lanes (lane_sum, lane_best): lib/lanes.wgsl
// (workgroup memory), or lib/lanes_subgroup.wgsl in the reduce_subgroups family.

// The output an invocation of a reduce_* kernel works on (workgroup_size / lanes per
// workgroup), its lane, and the distance in the workgroup between two lanes of one output.
fn output_index(wid: vec3u, groups: vec3u, t: u32) -> u32 {
  let outs = workgroup_size / lanes;
  return group_index(wid, groups) * outs + select(t / lanes, t % outs, outputs_adjacent);
}

fn lane_of(t: u32) -> u32 {
  return select(t % lanes, t / (workgroup_size / lanes), outputs_adjacent);
}

fn lane_stride() -> u32 {
  return select(1u, workgroup_size / lanes, outputs_adjacent);
}

// Does candidate (v at index k) replace the current best (b at index bk; bk = 0xffffffff:
// none yet)? NaN is the extremum, as in PyTorch; among equals (or NaNs) the smaller index
// wins, so the first extremum is reported whatever order the tree meets them in.
fn beats(v: f32, k: u32, b: f32, bk: u32) -> bool {
  if (k == 0xffffffffu) { return false; }
  if (bk == 0xffffffffu) { return true; }
  if (is_nan(b)) { return is_nan(v) && k < bk; }
  if (is_nan(v)) { return true; }
  return select(v > b, v < b, minimum) || (v == b && k < bk);
}

struct Best {
  val: f32,
  k: u32,   // 0xffffffff: none
}

fn element(o: u32, k: u32, i: u32) -> f32 {
  return x[(o * dims.len + k) * dims.inner + i];
}

// Each lane's best over its strided part of output (o, i) (an invalid output has none).
fn strided_best(o: u32, i: u32, lane: u32, valid: bool) -> Best {
  var b = Best(0.0, 0xffffffffu);
  if (valid) {
    for (var k = lane; k < dims.len; k += lanes) {
      let v = element(o, k, i);
      if (beats(v, k, b.val, b.k)) { b = Best(v, k); }
    }
  }
  return b;
}

@compute @workgroup_size(workgroup_size)
fn reduce_sum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
              @builtin(local_invocation_index) t: u32) {
  let g = output_index(wid, groups, t);
  let lane = lane_of(t);
  let inner = max(dims.inner, 1u);
  let valid = g < dims.outer * dims.chunks * inner;
  let o = g / (dims.chunks * inner);
  let c = (g / inner) % dims.chunks;
  let i = g % inner;
  let end = min(dims.len, (c + 1u) * dims.chunk);
  var acc = 0.0;
  if (valid) {
    for (var k = c * dims.chunk + lane; k < end; k += lanes) {
      acc += element(o, k, i);
    }
  }
  write_sum(g, t, valid, acc);
}

// The lanes' fixed tree over their partial sums; the first lane writes.
fn write_sum(g: u32, t: u32, valid: bool, acc: f32) {
  let total = lane_sum(t, acc);
  if (lane_of(t) == 0u && valid) { out[g] = total * dims.scale; }
}

// reduce_sum for contiguous rows (inner = 1) with len and chunk multiples of 4: four elements
// per load through the vec4 view x4 (a vec4 load costs about a scalar load on SwiftShader).
// Four accumulators (a lane's loads i, i+1, i+2, i+3 go to acc .. acc3, combined in a fixed
// order): one chain waited on each add; sum of 1M on SwiftShader, alternating runs, 3.5-4.0
// -> 2.9-3.1 ms.
@compute @workgroup_size(workgroup_size)
fn reduce_sum4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
               @builtin(local_invocation_index) t: u32) {
  let g = output_index(wid, groups, t);
  let valid = g < dims.outer * dims.chunks;
  let o = g / dims.chunks;
  let c = g % dims.chunks;
  let end = min(dims.len, (c + 1u) * dims.chunk) / 4u;
  var acc = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  if (valid) {
    let base = o * dims.len / 4u;
    var k = c * dims.chunk / 4u + lane_of(t);
    for (; k + 3u * lanes < end; k += 4u * lanes) {
      acc += x4[base + k];
      acc1 += x4[base + k + lanes];
      acc2 += x4[base + k + 2u * lanes];
      acc3 += x4[base + k + 3u * lanes];
    }
    for (; k < end; k += lanes) { acc += x4[base + k]; }
  }
  acc = (acc + acc1) + (acc2 + acc3);
  write_sum(g, t, valid, (acc.x + acc.y) + (acc.z + acc.w));
}

// reduce_sum for four neighbouring outputs per invocation, through vec4 loads: inner a multiple
// of 4, one lane per output, chunks = 1 (column sums of a matrix: the bias gradient).
//   out[o, i + c] = scale * Σ_k x4[((o·len + k)·inner + i) / 4][c],  i a multiple of 4, c < 4
@compute @workgroup_size(workgroup_size)
fn reduce_sum_cols4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let g = flat_index(gid, groups);   // outputs 4g .. 4g + 3
  let quads = dims.inner / 4u;
  if (g >= dims.outer * quads) { return; }
  let o = g / quads;
  let q = g % quads;
  var acc = vec4f(0.0);
  for (var k = 0u; k < dims.len; k++) {
    acc += x4[(o * dims.len + k) * quads + q];
  }
  let first = o * dims.inner + q * 4u;
  for (var c = 0u; c < 4u; c++) { out[first + c] = acc[c] * dims.scale; }
}

@compute @workgroup_size(workgroup_size)
fn reduce_max(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
              @builtin(local_invocation_index) t: u32) {
  let g = output_index(wid, groups, t);
  let valid = g < dims.outer * dims.inner;
  let inner = max(dims.inner, 1u);
  let best = lane_best(t, strided_best(g / inner, g % inner, lane_of(t), valid));
  if (lane_of(t) == 0u && valid) {
    out[g] = best.val;
    aux_out[g] = f32(best.k);
  }
}

@compute @workgroup_size(workgroup_size)
fn reduce_logsumexp(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                    @builtin(local_invocation_index) t: u32) {
  let g = output_index(wid, groups, t);
  let lane = lane_of(t);
  let valid = g < dims.outer * dims.inner;
  let inner = max(dims.inner, 1u);
  let o = g / inner;
  let i = g % inner;
  // pass 1: the max, NaN first (reduce_max's rule; this entry point keeps minimum = false)
  let row_max = lane_best(t, strided_best(o, i, lane, valid)).val;
  // pass 2: Σ exp(x − max) ≥ 1 when the max is finite (else the result is decided already:
  // −inf for a row of −inf, +inf, or NaN)
  let finite = is_finite(row_max);
  let c = select(0.0, row_max, finite);
  var acc = 0.0;
  if (valid) {
    for (var k = lane; k < dims.len; k += lanes) {
      acc += exp(element(o, k, i) - c);
    }
  }
  let s = lane_sum(t, acc);
  if (lane == 0u && valid) {
    out[g] = select(row_max, row_max + log(s), finite);
  }
}

@compute @workgroup_size(workgroup_size)
fn reduce_variance(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                   @builtin(local_invocation_index) t: u32) {
  let g = output_index(wid, groups, t);
  let lane = lane_of(t);
  let valid = g < dims.outer * dims.inner;
  let inner = max(dims.inner, 1u);
  let o = g / inner;
  let i = g % inner;
  var acc = 0.0;
  if (valid) {
    for (var k = lane; k < dims.len; k += lanes) {
      acc += element(o, k, i);
    }
  }
  let mean = lane_sum(t, acc) * dims.scale;
  var acc2 = 0.0;
  if (valid) {
    for (var k = lane; k < dims.len; k += lanes) {
      let d = element(o, k, i) - mean;
      acc2 += d * d;
    }
  }
  let s = lane_sum(t, acc2);
  if (lane == 0u && valid) {
    out[g] = s * dims.scale;
    aux_out[g] = mean;
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
  out[j] = select(0.0, dy[r], u32(aux[r]) == k);
}

@compute @workgroup_size(workgroup_size)
fn centered_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= dims.outer * dims.len * dims.inner) { return; }
  let o = j / (dims.len * dims.inner);
  let i = j % dims.inner;
  let r = o * dims.inner + i;
  let v = x[j];
  var d: f32;
  if (centered == 1u) {
    d = 2.0 * (v - aux[r]) * dims.scale;
  } else {
    // exp_ieee: a NaN row (its logSumExp is NaN) stays NaN; SwiftShader's exp(NaN) gave inf
    d = select(exp_ieee(v - aux[r]), 0.0, is_inf(v) && sign_bit(v));
  }
  out[j] = dy[r] * d;
}
