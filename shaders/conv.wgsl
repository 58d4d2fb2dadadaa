// conv: the layout kernels of a 2-D convolution computed as im2col + the tuned matmul
// (src/ops/conv.ts). x is NCHW [N, C, H, W]; the weight [O, C, kh, kw] is read by the matmul
// as [O, C·kh·kw]; output positions p = (oh, ow), P = OH·OW; all f32, row-major.
//
//   im2col:          cols[(n, p), (c, i, j)] = x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]
//                    (0 in the padding); cols is [N·P, C·kh·kw], so that
//                    matmul(cols, w, transposeB, bias) = y in channels-last order [N·P, O]
//   col2im:          dx[n, c, h, w] = Σ_(i, j) dcols[(n, oh, ow), (c, i, j)] over the taps with
//                    oh·sh − ph + i·dh = h and ow·sw − pw + j·dw = w (i, then j ascending):
//                    im2col's transpose as a gather, deterministic, no atomics
//   transpose_channels: to_last false: y[n, o, p] = x[n, p, o]  ([N, P, O] -> NCHW [N, O, P])
//                       to_last true:  y[n, p, o] = x[n, o, p]  (NCHW -> [N, P, O])
//
// Bindings (group 0): dims uniform (Dims below); x read [N·C·H·W]; cols read_write [N·P·C·kh·kw];
//   dcols read [N·P·C·kh·kw]; dx read_write [N·C·H·W]; src read [N·P·O]; dst read_write [N·P·O].
//   im2col: x, cols   col2im: dcols, dx   transpose_channels: src, dst
// Dispatch: 1-D over ceil(n / workgroup_size) workgroups, folded into (x, y) past 65535
// (index = gid.x + gid.y · num_workgroups.x · workgroup_size), with n = N·P·C (im2col: one
// invocation writes the kh·kw taps of one (n, p, c)), N·C·H·W (col2im), N·P·O (transpose).
// workgroup_size: override, default 256. Linked: lib/index (flat_index).
//
// Why im2col + matmul and not a direct kernel: measured on SwiftShader (see src/ops/conv.ts
// for the numbers and the direct kernel that lost).

struct Dims {
  batch: u32,
  channels: u32,
  height: u32,
  width: u32,
  kernel_h: u32,
  kernel_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_h: u32,
  pad_w: u32,
  dilation_h: u32,
  dilation_w: u32,
  out_h: u32,
  out_w: u32,
  out_channels: u32,
}

override workgroup_size: u32 = 256;
override to_last: bool = false;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;
@group(0) @binding(3) var<storage, read> dcols: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read> src: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(workgroup_size)
fn im2col(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  let C = dims.channels;
  let P = dims.out_h * dims.out_w;
  if (t >= dims.batch * P * C) { return; }
  let c = t % C;
  let row = t / C;                      // (n, p)
  let n = row / P;
  let p = row % P;
  let h0 = i32((p / dims.out_w) * dims.stride_h) - i32(dims.pad_h);
  let w0 = i32((p % dims.out_w) * dims.stride_w) - i32(dims.pad_w);
  let H = i32(dims.height);
  let W = i32(dims.width);
  let plane = (n * C + c) * dims.height * dims.width;
  var o = t * dims.kernel_h * dims.kernel_w;  // = row · C·kh·kw + c · kh·kw
  for (var i = 0u; i < dims.kernel_h; i++) {
    let h = h0 + i32(i * dims.dilation_h);
    for (var j = 0u; j < dims.kernel_w; j++) {
      let w = w0 + i32(j * dims.dilation_w);
      var v = 0.0;
      if (h >= 0 && h < H && w >= 0 && w < W) { v = x[plane + u32(h * W + w)]; }
      cols[o] = v;
      o++;
    }
  }
}

@compute @workgroup_size(workgroup_size)
fn col2im(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  let H = dims.height;
  let W = dims.width;
  if (t >= dims.batch * dims.channels * H * W) { return; }
  let w = t % W;
  let h = (t / W) % H;
  let c = (t / (W * H)) % dims.channels;
  let n = t / (W * H * dims.channels);
  let kk = dims.kernel_h * dims.kernel_w;
  let ckk = dims.channels * kk;
  var s = 0.0;
  for (var i = 0u; i < dims.kernel_h; i++) {
    // the output row whose tap i lands on h: oh·sh = h + ph − i·dh, if that is a multiple of sh
    let th = i32(h + dims.pad_h) - i32(i * dims.dilation_h);
    if (th < 0 || u32(th) % dims.stride_h != 0u) { continue; }
    let oh = u32(th) / dims.stride_h;
    if (oh >= dims.out_h) { continue; }
    for (var j = 0u; j < dims.kernel_w; j++) {
      let tw = i32(w + dims.pad_w) - i32(j * dims.dilation_w);
      if (tw < 0 || u32(tw) % dims.stride_w != 0u) { continue; }
      let ow = u32(tw) / dims.stride_w;
      if (ow >= dims.out_w) { continue; }
      let row = (n * dims.out_h + oh) * dims.out_w + ow;
      s += dcols[row * ckk + c * kk + i * dims.kernel_w + j];
    }
  }
  dx[t] = s;
}

@compute @workgroup_size(workgroup_size)
fn transpose_channels(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  let P = dims.out_h * dims.out_w;
  let O = dims.out_channels;
  if (t >= dims.batch * P * O) { return; }
  let n = t / (P * O);
  let r = t % (P * O);
  if (to_last) {
    // t = (n, p, o) reads x[n, o, p]
    dst[t] = src[n * P * O + (r % O) * P + r / O];
  } else {
    // t = (n, o, p) reads x[n, p, o]
    dst[t] = src[n * P * O + (r % P) * O + r / P];
  }
}
