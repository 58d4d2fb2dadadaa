// Row-wise softmax over the last axis of a tensor viewed as [rows, cols], its log, and the
// Jacobian products their gradients need. row_threads invocations per row, group_rows rows
// per workgroup (lib/workgroup_rows.wgsl).
//
//   softmax:           out_j = e^(x_j - m) / Σ_i e^(x_i - m),  m = max_i x_i   (log_output false)
//                      out_j = (x_j - m) - log Σ_i e^(x_i - m)                  (log_output true)
//   log_softmax_grad:  out_j = dy_j - e^(y_j) Σ_i dy_i       (y: the saved log-softmax, e^y = softmax)
//   jvp:               out_j = y_j (v_j - ⟨v, y⟩)             (J v without forming J; J = Jᵀ)
//   jvp_grad_y:        out_j = dy_j (v_j - ⟨v, y⟩) - v_j ⟨dy, y⟩   (∂/∂y of ⟨dy, jvp(y, v)⟩)
//
//   softmax_vec4:      softmax for cols % 4 == 0, loading and storing vec4s
//   *_short:           softmax, log_softmax_grad, jvp and jvp_grad_y for rows of at most 16
//                      columns, one invocation per row, the row in registers
//                      (lib/short_rows.wgsl; the pipeline is built per row_cols)
//
// Reads: the max and Σ e^(x - m) come from one read of the row (online, lib/rows.wgsl), the
// write pass reads it again: 2 reads and 1 write of the row (it was 3 reads with a max pass).
// Stability: subtracting the row max makes the largest term e^0 = 1, so the sum is in
// [1, cols]: logits ±1000 give finite output and no division by zero. A row of all -inf has
// no max: m stays at the sentinel -FLT_MAX, every term is e^-inf = 0, the sum is 0, and we
// write the equal-logits limit (1/cols, log: -log cols), as src/cpu/softmax.ts does. A row
// with a NaN or +inf entry is all NaN, as there; both are detected on the bits (WGSL lets
// compilers assume floats are finite, and SwiftShader's exp(NaN) is not always NaN).
//
// Deterministic: each invocation t folds the fixed strided subsequence j = t, t + row_threads,
// ... of its row (quads k = first + t, first + t + row_threads, ... in softmax_vec4), then the row's invocations combine the partials in a fixed order (a tree in
// workgroup memory, or subgroup operations: lib/tree.wgsl, lib/tree_subgroup.wgsl).
// No atomics: same input, bit-identical output.
//
// Bindings (group 0): dims uniform; x, y, v, dy read-only storage [rows * cols];
// out read_write [rows * cols]; x4 read-only [ceil(rows * cols / 4)] (vec4s; the buffer holds
// whole vec4s), out4 read_write [rows * cols / 4].
//   softmax, softmax_short: x, out   softmax_vec4: x4, out4   log_softmax_grad(_short): y, dy, out   jvp(_short): y, v, out
//   jvp_grad_y(_short): y, v, dy, out
// Dispatch: ceil(rows / group_rows) workgroups, folded into (x, y) past 65535 (row =
// (wid.x + wid.y * num_workgroups.x) * group_rows + lid.y; slots past the last row idle).
// Workgroup size (row_threads, group_rows): row_threads a power of two, the smallest covering
// cols up to the profile's cap (longer rows are strided); group_rows fills short rows' groups.

struct Dims {
  rows: u32,
  cols: u32,
}

override row_threads: u32 = 64u;    // a power of two (the tree halves it)
override group_rows: u32 = 1u;
override log_output: bool = false;
override whole_quads: bool = false;  // cols % 4 == 0 (lib/rows.wgsl)
override row_cols: u32 = 16u;        // softmax_short: the row length (lib/short_rows.wgsl)

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read> x4: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> out4: array<vec4f>;

// Linked: lib/float (nan_f32, is_nan, poisons, poisons4), lib/workgroup_rows (Row, row_of), lib/tree or
// lib/tree_subgroup (tree_sum, tree_sum2), lib/rows (online_step, row_stats_of,
// row_softmax_stats, row_quads).


// What a row's softmax writes: out = (x - shift) · scale (log: (x - shift) + scale) for a
// regular row; a poisoned or all -inf row writes `fill` instead (use_fill).
struct SoftmaxRow {
  shift: f32,
  scale: f32,
  fill: f32,
  use_fill: bool,
}

// The outputs of 4 inputs of a row.
fn softmax_out4(e: vec4f, w: SoftmaxRow) -> vec4f {
  let z = e - w.shift;
  return select(select(exp(z) * w.scale, z + w.scale, log_output), vec4f(w.fill), w.use_fill);
}

fn softmax_row(st: RowStats) -> SoftmaxRow {
  // a NaN or +inf entry: a NaN row; all -inf (sum 0): the equal-logits limit
  let n = f32(dims.cols);
  let fill = select(select(1.0 / n, -log(n), log_output), nan_f32(), st.poisoned);
  return SoftmaxRow(st.row_max, select(1.0 / st.sum_exp, -log(st.sum_exp), log_output), fill,
                    st.poisoned || st.sum_exp == 0.0);
}

// Any row length, element by element (masked vec4 "quads", lib/rows.wgsl, measured 10-20%
// slower here for short rows on SwiftShader: a quad's other lanes belong to other rows).
@compute @workgroup_size(row_threads, group_rows)
fn softmax(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
           @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  var ms = vec2f(LOWEST, 0.0);
  var poison = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) {
    let e = x[r.base + j];
    ms = online_step(ms, e);
    if (poisons(e)) { poison = 1.0; }
  }
  let w = softmax_row(row_stats_of(r, ms, poison, 0.0));
  for (var j = r.t; j < r.n; j += row_threads) {
    let z = x[r.base + j] - w.shift;
    out[r.base + j] = select(select(exp(z) * w.scale, z + w.scale, log_output), w.fill, w.use_fill);
  }
}

// Rows of a multiple of 4 columns: every quad is the row's, stored whole (softmax [1024, 1000]
// on SwiftShader: 1.6-2x faster than element stores).
@compute @workgroup_size(row_threads, group_rows)
fn softmax_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  let w = softmax_row(row_softmax_stats(r));
  let q = row_quads(r);
  for (var k = q.x + r.t; k < q.y; k += row_threads) {
    out4[k] = softmax_out4(x4[k], w);
  }
}

// Short rows: one read of the row into registers, one write (row_threads is 1).
@compute @workgroup_size(row_threads, group_rows)
fn softmax_short(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                 @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  if (!r.live) { return; }
  let q = short_row(short_index(r.base), LOWEST);
  let w = softmax_row(short_softmax_stats(q));
  put_out4(r.base, 0u, softmax_out4(q[0], w));
  put_out4(r.base, 4u, softmax_out4(q[1], w));
  put_out4(r.base, 8u, softmax_out4(q[2], w));
  put_out4(r.base, 12u, softmax_out4(q[3], w));
}

@compute @workgroup_size(row_threads, group_rows)
fn log_softmax_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                    @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  var s = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) { s += dy[r.base + j]; }
  s = tree_sum(r, s);
  for (var j = r.t; j < r.n; j += row_threads) {
    let yj = y[r.base + j];
    // a NaN row of the log-softmax gives NaN (SwiftShader's exp(NaN) is not always NaN)
    out[r.base + j] = select(dy[r.base + j] - exp(yj) * s, yj, is_nan(yj));
  }
}

@compute @workgroup_size(row_threads, group_rows)
fn jvp(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
       @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  var s = 0.0;
  for (var j = r.t; j < r.n; j += row_threads) { s += v[r.base + j] * y[r.base + j]; }
  s = tree_sum(r, s);
  for (var j = r.t; j < r.n; j += row_threads) {
    out[r.base + j] = y[r.base + j] * (v[r.base + j] - s);
  }
}

@compute @workgroup_size(row_threads, group_rows)
fn jvp_grad_y(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
              @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  var s = vec2f(0.0);                        // (⟨v, y⟩, ⟨dy, y⟩)
  for (var j = r.t; j < r.n; j += row_threads) {
    s += vec2f(v[r.base + j], dy[r.base + j]) * y[r.base + j];
  }
  s = tree_sum2(r, s);
  for (var j = r.t; j < r.n; j += row_threads) {
    out[r.base + j] = dy[r.base + j] * (v[r.base + j] - s.x) - v[r.base + j] * s.y;
  }
}


// ---- short rows (lib/short_rows.wgsl): the backward kernels above, a row per invocation ----

@compute @workgroup_size(row_threads, group_rows)
fn log_softmax_grad_short(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                          @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  if (!r.live) { return; }
  let i = short_index(r.base);
  let g = ShortRow(dy4(i[0]), dy4(i[1]), dy4(i[2]), dy4(i[3]));
  let s = short_sum(g);
  put_out4(r.base, 0u, log_softmax_grad4(y4(i[0]), g[0], s));
  put_out4(r.base, 4u, log_softmax_grad4(y4(i[1]), g[1], s));
  put_out4(r.base, 8u, log_softmax_grad4(y4(i[2]), g[2], s));
  put_out4(r.base, 12u, log_softmax_grad4(y4(i[3]), g[3], s));
}

// log_softmax_grad's element rule on a quad: dy - e^y Σ dy; NaN where y is NaN.
fn log_softmax_grad4(yq: vec4f, g: vec4f, s: f32) -> vec4f {
  return select(g - exp(yq) * s, yq, is_nan4(yq));
}

@compute @workgroup_size(row_threads, group_rows)
fn jvp_short(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
             @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  if (!r.live) { return; }
  let i = short_index(r.base);
  let yr = ShortRow(y4(i[0]), y4(i[1]), y4(i[2]), y4(i[3]));
  let vr = ShortRow(v4(i[0]), v4(i[1]), v4(i[2]), v4(i[3]));
  let s = short_sum(short_mul(vr, yr));
  put_out4(r.base, 0u, yr[0] * (vr[0] - s));
  put_out4(r.base, 4u, yr[1] * (vr[1] - s));
  put_out4(r.base, 8u, yr[2] * (vr[2] - s));
  put_out4(r.base, 12u, yr[3] * (vr[3] - s));
}

@compute @workgroup_size(row_threads, group_rows)
fn jvp_grad_y_short(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                    @builtin(local_invocation_id) lid: vec3u) {
  let r = row_of(wid, groups, lid);
  if (!r.live) { return; }
  let i = short_index(r.base);
  let yr = ShortRow(y4(i[0]), y4(i[1]), y4(i[2]), y4(i[3]));
  let vr = ShortRow(v4(i[0]), v4(i[1]), v4(i[2]), v4(i[3]));
  let gr = ShortRow(dy4(i[0]), dy4(i[1]), dy4(i[2]), dy4(i[3]));
  let vy = short_sum(short_mul(vr, yr));     // ⟨v, y⟩
  let gy = short_sum(short_mul(gr, yr));     // ⟨dy, y⟩
  put_out4(r.base, 0u, gr[0] * (vr[0] - vy) - vr[0] * gy);
  put_out4(r.base, 4u, gr[1] * (vr[1] - vy) - vr[1] * gy);
  put_out4(r.base, 8u, gr[2] * (vr[2] - vy) - vr[2] * gy);
  put_out4(r.base, 12u, gr[3] * (vr[3] - vy) - vr[3] * gy);
}

// Quads of y, v and dy at a short row's indices.
fn y4(i: vec4u) -> vec4f { return vec4f(y[i.x], y[i.y], y[i.z], y[i.w]); }
fn v4(i: vec4u) -> vec4f { return vec4f(v[i.x], v[i.y], v[i.z], v[i.w]); }
fn dy4(i: vec4u) -> vec4f { return vec4f(dy[i.x], dy[i.y], dy[i.z], dy[i.w]); }
