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
//   [N·C·H·W]. When is_max is false, arg / arg_in are not touched (bind any buffer).
//   pool: x, y, arg   pool_grad: dy, arg_in, dx
// Dispatch: 1-D over ceil(n / workgroup_size) workgroups folded into (x, y) past 65535, one
// invocation per output element (pool, n = N·C·OH·OW) or input element (pool_grad,
// n = N·C·H·W). workgroup_size: override, default 256. Linked: lib/float (is_nan, tested
// on the bits), lib/index (flat_index).

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

override workgroup_size: u32 = 256;
override is_max: bool = true;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> arg: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read> arg_in: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(workgroup_size)
fn pool(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  if (t >= dims.planes * dims.out_h * dims.out_w) { return; }
  let ow = t % dims.out_w;
  let oh = (t / dims.out_w) % dims.out_h;
  let plane = (t / (dims.out_w * dims.out_h)) * dims.height * dims.width;
  let h0 = i32(oh * dims.stride_h) - i32(dims.pad_h);
  let w0 = i32(ow * dims.stride_w) - i32(dims.pad_w);
  var best = 0.0;
  var best_at = -1;
  var sum = 0.0;
  for (var i = 0; i < i32(dims.kernel_h); i++) {
    let h = h0 + i;
    if (h < 0 || h >= i32(dims.height)) { continue; }
    for (var j = 0; j < i32(dims.kernel_w); j++) {
      let w = w0 + j;
      if (w < 0 || w >= i32(dims.width)) { continue; }
      let at = h * i32(dims.width) + w;
      let v = x[plane + u32(at)];
      sum += v;
      if (best_at < 0 || (!is_nan(best) && (v > best || is_nan(v)))) {
        best = v;
        best_at = at;
      }
    }
  }
  if (is_max) {
    y[t] = best;
    arg[t] = f32(best_at);
  } else {
    y[t] = sum / f32(dims.kernel_h * dims.kernel_w);
  }
}

// First window index along an axis whose window covers position `at` (clamped to 0):
// ceil((at + pad − kernel + 1) / stride), computed on non-negative integers.
fn first_window(at: u32, pad: u32, kernel: u32, stride: u32) -> u32 {
  let lead = at + pad + 1u;
  if (lead <= kernel) { return 0u; }
  return (lead - kernel + stride - 1u) / stride;
}

@compute @workgroup_size(workgroup_size)
fn pool_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  let H = dims.height;
  let W = dims.width;
  if (t >= dims.planes * H * W) { return; }
  let w = t % W;
  let h = (t / W) % H;
  let out_plane = (t / (W * H)) * dims.out_h * dims.out_w;
  let oh1 = min(dims.out_h - 1u, (h + dims.pad_h) / dims.stride_h);
  let ow1 = min(dims.out_w - 1u, (w + dims.pad_w) / dims.stride_w);
  let here = f32(h * W + w);
  let inv_area = 1.0 / f32(dims.kernel_h * dims.kernel_w);
  var s = 0.0;
  for (var oh = first_window(h, dims.pad_h, dims.kernel_h, dims.stride_h); oh <= oh1; oh++) {
    for (var ow = first_window(w, dims.pad_w, dims.kernel_w, dims.stride_w); ow <= ow1; ow++) {
      let o = out_plane + oh * dims.out_w + ow;
      if (is_max) {
        if (arg_in[o] == here) { s += dy[o]; }
      } else {
        s += dy[o] * inv_area;
      }
    }
  }
  dx[t] = s;
}
