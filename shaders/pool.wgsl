// pool: 2-D max and average pooling over the planes of an NCHW tensor, and their gradients
// (CPU twin: src/cpu/pool.ts). Windows kh × kw with stride (sh, sw) and implicit padding
// (ph, pw) sweep each plane like a convolution with dilation 1: window (oh, ow) covers rows
// oh·sh − ph + i and columns ow·sw − pw + j.
//
//   pool (is_max true):   y = max over the window's real entries (padding is −inf, never
//                         picked); arg = h·W + w of the first maximum in row-major window
//                         order; a NaN counts as the maximum and the first NaN wins
//   pool (is_max false):  y = Σ window / (kh·kw)  (padding counts as 0: PyTorch's
//                         count_include_pad=True)
//   pool_grad:            dx[h, w] = Σ over the windows (oh, ow) that contain (h, w), in
//                         (oh, ow) order, of dy[oh, ow] · [arg = h·W + w] (max) or
//                         dy[oh, ow] / (kh·kw) (avg): a gather, deterministic, no atomics
//
// Bindings (group 0): dims uniform; x read [N·C·H·W]; y read_write [N·C·OH·OW];
//   arg read_write [N·C·OH·OW] (pool, is_max: the flat in-plane index as f32, exact below
//   2^24); dy read [N·C·OH·OW]; arg_in read [N·C·OH·OW] (pool_grad, is_max); dx read_write
//   [N·C·H·W]. When is_max is false, arg / arg_in are not touched (bind any buffer); nor is
//   arg when save_arg is false (no gradient will be taken: the op's backwardOnly output).
//   pool: x, y, arg   pool_grad: dy, arg_in, dx
// Dispatch: a 3-D grid of (wg_x, wg_y, wg_z) workgroups (overrides, default 4 × 4 × 4): x, y
// the output column and row (pool) or the input column and row (pool_grad), z the planes,
// ceil(extent / wg) workgroups per axis, z capped at 65535 workgroups (each invocation loops
// over planes z, z + grid z size, ...). The window arithmetic of a position is done once and
// reused for every plane, and no flat index is decoded. Linked:
// lib/float (is_nan, tested on the bits).

struct Dims {
  planes: u32,       // N·C
  height: u32,
  width: u32,
  kernel_h: u32,
  kernel_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_h: u32,
  pad_w: u32,
  out_h: u32,
  out_w: u32,
}

override wg_x: u32 = 4u;
override wg_y: u32 = 4u;
override wg_z: u32 = 4u;
override is_max: bool = true;
override save_arg: bool = true;   // pool, is_max: write the arg-max (for the backward pass)

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> arg: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read> arg_in: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(wg_x, wg_y, wg_z)
fn pool(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let d = dims;  // one uniform read: field reads in loops are loads on SwiftShader
  let ow = gid.x;
  let oh = gid.y;
  if (ow >= d.out_w || oh >= d.out_h) { return; }
  // the window clipped to the plane: rows [h0, h1), columns [w0, w1)
  let top = i32(oh * d.stride_h) - i32(d.pad_h);
  let left = i32(ow * d.stride_w) - i32(d.pad_w);
  let h0 = u32(max(top, 0));
  let w0 = u32(max(left, 0));
  let h1 = u32(min(top + i32(d.kernel_h), i32(d.height)));
  let w1 = u32(min(left + i32(d.kernel_w), i32(d.width)));
  let plane_size = d.height * d.width;
  let out_size = d.out_h * d.out_w;
  let inv_area = 1.0 / f32(d.kernel_h * d.kernel_w);
  for (var plane = gid.z; plane < d.planes; plane += groups.z * wg_z) {
    let base = plane * plane_size;
    var best = 0.0;
    var best_at = -1;
    var sum = 0.0;
    for (var h = h0; h < h1; h++) {
      for (var w = w0; w < w1; w++) {
        let at = h * d.width + w;
        let v = x[base + at];
        sum += v;
        if (best_at < 0 || (!is_nan(best) && (v > best || is_nan(v)))) {
          best = v;
          best_at = i32(at);
        }
      }
    }
    let t = plane * out_size + oh * d.out_w + ow;
    if (is_max) {
      y[t] = best;
      if (save_arg) { arg[t] = f32(best_at); }
    } else {
      y[t] = sum * inv_area;
    }
  }
}

// The windows along one axis that cover position `at`: [first, last] (empty if first > last).
// first = ceil((at + pad − kernel + 1) / stride) clamped to 0, last = min(out − 1, (at + pad) / stride).
fn covering(at: u32, pad: u32, kernel: u32, stride: u32, out: u32) -> vec2u {
  let lead = at + pad + 1u;
  let first = select((lead - kernel + stride - 1u) / stride, 0u, lead <= kernel);
  return vec2u(first, min(out - 1u, (at + pad) / stride));
}

@compute @workgroup_size(wg_x, wg_y, wg_z)
fn pool_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let d = dims;  // one uniform read: field reads in loops are loads on SwiftShader
  let w = gid.x;
  let h = gid.y;
  if (w >= d.width || h >= d.height) { return; }
  let rows = covering(h, d.pad_h, d.kernel_h, d.stride_h, d.out_h);
  let cols = covering(w, d.pad_w, d.kernel_w, d.stride_w, d.out_w);
  let here = f32(h * d.width + w);
  let inv_area = 1.0 / f32(d.kernel_h * d.kernel_w);
  let out_size = d.out_h * d.out_w;
  for (var plane = gid.z; plane < d.planes; plane += groups.z * wg_z) {
    let base = plane * out_size;
    var s = 0.0;
    for (var oh = rows.x; oh <= rows.y; oh++) {
      for (var ow = cols.x; ow <= cols.y; ow++) {
        let o = base + oh * d.out_w + ow;
        if (is_max) {
          if (arg_in[o] == here) { s += dy[o]; }
        } else {
          s += dy[o] * inv_area;
        }
      }
    }
    dx[(plane * d.height + h) * d.width + w] = s;
  }
}
