// conv: the layout kernels of a 2-D convolution computed as im2col + the tuned matmul
// (src/ops/conv.ts). x is NCHW [N, C, H, W]; the weight [O, C, kh, kw] is read by the matmul
// as [O, C·kh·kw]; output positions p = (oh, ow), P = OH·OW; all f32, row-major.
//
//   im2col:          cols[(n, p), (c, i, j)] = x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]
//                    (0 in the padding); cols is [N·P, cols_width], cols_width >= C·kh·kw, its
//                    columns past C·kh·kw zero (a width the vec4 matmul takes), so that
//                    matmul(cols, w, transposeB, bias) = y in channels-last order [N·P, O]
//                    (src/ops/conv.ts then transposes it to NCHW with the shapes' strided copy)
//   col2im:          dx[n, c, h, w] = Σ_(i, j) dcols[(n, oh, ow), (c, i, j)] over the taps with
//                    oh·sh − ph + i·dh = h and ow·sw − pw + j·dw = w (i, then j ascending):
//                    im2col's transpose as a gather, deterministic, no atomics
//
// Bindings (group 0): dims uniform (Dims below); x read [N·C·H·W]; cols read_write
//   [N·P·cols_width]; dcols read [N·P·cols_width] (its padding columns are not read);
//   dx read_write [N·C·H·W].   im2col: x, cols   col2im: dcols, dx
// Dispatch: a 3-D grid of (wg_x, wg_y, wg_z) workgroups (overrides, default 4 × 4 × 4):
//   im2col       x: ow, y: oh, z: planes (n, c)   one invocation writes the kh·kw taps of (n, c, oh, ow)
//   col2im       x: w,  y: h,  z: planes (n, c)   one invocation per element of dx
// with ceil(extent / wg) workgroups per axis; z is capped at 65535 workgroups and each
// invocation loops over the planes z, z + (grid z size), ... The grid carries the
// coordinates: no invocation decodes a flat index.
// unit_stride (override): stride 1 on both axes, so col2im needs no divisibility test per tap.
//
// Why im2col + matmul and not a direct kernel (measured on SwiftShader, npm webgpu 0.6.2, Node 20,
// 2 cores shared with other jobs at load average 12-17, so as process CPU time per call, medians
// of 8 interleaved rounds of 3; forward with bias + ReLU, batch 64). The direct kernel was the
// strongest one we could write: an implicit GEMM with the tuned matmul's 16 × 8 register tile,
// k = (c, i, j) walked with an incremental input offset, writing NCHW itself (so no im2col pass
// and no transpose), stride 1 and no padding only (its best case):
//   LeNet conv2  20 -> 50, 5 × 5 on 12 × 12:  im2col + matmul + transpose 378 ms, direct 413 ms
//   LeNet conv1   1 -> 20, 5 × 5 on 28 × 28:  im2col + matmul + transpose 195 ms, direct 167 ms
// The layer that dominates (conv2, 102 M multiply-adds) is 9% faster through im2col, where the
// matmul walks contiguous rows; the direct kernel wins only where K = C·kh·kw is tiny (25) and the
// layout passes weigh more. The backward passes would need two more implicit-GEMM kernels (dW,
// dx), i.e. forks of the matmul; im2col reuses it for all three products, and its tuning with it.
// Outputs of both were bit-identical (same k order, f32 accumulation).

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
  cols_width: u32,   // row length of cols / dcols (>= channels · kernel_h · kernel_w)
}

override wg_x: u32 = 4u;
override wg_y: u32 = 4u;
override wg_z: u32 = 4u;
override unit_stride: bool = false;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;
@group(0) @binding(3) var<storage, read> dcols: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(wg_x, wg_y, wg_z)
fn im2col(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let d = dims;  // one uniform read: field reads in loops are loads on SwiftShader
  let ow = gid.x;
  let oh = gid.y;
  if (ow >= d.out_w || oh >= d.out_h) { return; }
  let C = d.channels;
  let H = i32(d.height);
  let W = i32(d.width);
  let kk = d.kernel_h * d.kernel_w;
  let h0 = i32(oh * d.stride_h) - i32(d.pad_h);
  let w0 = i32(ow * d.stride_w) - i32(d.pad_w);
  for (var plane = gid.z; plane < d.batch * C; plane += groups.z * wg_z) {
    let n = plane / C;
    let c = plane % C;
    let row = (n * d.out_h + oh) * d.out_w + ow;      // (n, oh, ow)
    var o = row * d.cols_width + c * kk;                     // cols[row, (c, 0, 0)]
    let base = plane * d.height * d.width;
    for (var i = 0u; i < d.kernel_h; i++) {
      let h = h0 + i32(i * d.dilation_h);
      for (var j = 0u; j < d.kernel_w; j++) {
        let w = w0 + i32(j * d.dilation_w);
        var v = 0.0;
        if (h >= 0 && h < H && w >= 0 && w < W) { v = x[base + u32(h * W + w)]; }
        cols[o] = v;
        o++;
      }
    }
    // the last channel's invocation zeroes the row's padding columns
    if (c == C - 1u) {
      for (var k = o; k < (row + 1u) * d.cols_width; k++) { cols[k] = 0.0; }
    }
  }
}

// The output index along one axis whose tap `tap` lands on input position `at`, or -1:
// out·stride = at + pad − tap·dilation must be a non-negative multiple of stride below `size`.
fn source_index(at: u32, pad: u32, tap: u32, dilation: u32, stride: u32, size: u32) -> i32 {
  let t = i32(at + pad) - i32(tap * dilation);
  if (t < 0) { return -1; }
  var o = u32(t);
  if (!unit_stride) {
    if (o % stride != 0u) { return -1; }
    o = o / stride;
  }
  return select(-1, i32(o), o < size);
}

@compute @workgroup_size(wg_x, wg_y, wg_z)
fn col2im(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let d = dims;  // one uniform read: field reads in loops are loads on SwiftShader
  let w = gid.x;
  let h = gid.y;
  if (w >= d.width || h >= d.height) { return; }
  let C = d.channels;
  let kk = d.kernel_h * d.kernel_w;
  for (var plane = gid.z; plane < d.batch * C; plane += groups.z * wg_z) {
    let n = plane / C;
    let c = plane % C;
    var s = 0.0;
    for (var i = 0u; i < d.kernel_h; i++) {
      let oh = source_index(h, d.pad_h, i, d.dilation_h, d.stride_h, d.out_h);
      if (oh < 0) { continue; }
      let row0 = (n * d.out_h + u32(oh)) * d.out_w;
      for (var j = 0u; j < d.kernel_w; j++) {
        let ow = source_index(w, d.pad_w, j, d.dilation_w, d.stride_w, d.out_w);
        if (ow < 0) { continue; }
        s += dcols[(row0 + u32(ow)) * d.cols_width + c * kk + i * d.kernel_w + j];
      }
    }
    dx[(plane * d.height + h) * d.width + w] = s;
  }
}
