// matmul_vec4: batched matrix product, a 16 x 16 register tile per invocation fed by vec4
// loads along each operand's contiguous axis. The variant for CPU implementations of WebGPU
// (SwiftShader), where a storage load costs far more than a multiply-add; shapes it cannot
// take go to matmul.wgsl (clamped scalar loads).
//
//   C[z] = act(op(A[z]) · op(B[z]) + bias)            (splits = 1)
//   P[z, s] = op(A[z])[:, Ks] · op(B[z])[Ks, :]        (splits > 1: split s of K, no epilogue;
//            Ks = [s·k_chunk, min(K, (s+1)·k_chunk)); matmul_splitk.wgsl sums the splits)
//   op(A) = A or Aᵀ (transpose_a), op(B) = B or Bᵀ (transpose_b); op(A[z]) is [M, K],
//   op(B[z]) is [K, N]; everything row-major f32.
//
// Requires (checked by the op): K % 4 == 0 and k_chunk % 4 == 0; M % 4 == 0 when transpose_a
// (A is read as vec4 along M); N % 4 == 0 unless transpose_b (B is read as vec4 along N).
// Without transposes A is read along K and B along N, so the 16 x 4 block of op(A) and the
// 4 x 16 block of op(B) that one k step of 4 needs take 16 + 16 vec4 loads, for 1024 FMAs.
//
// Bindings (group 0):
//   0 dims  uniform              Dims below; batch strides in elements, 0 broadcasts a batch-1
//                                operand over all z
//   1 a     storage, read        [batchA, M, K], or [batchA, K, M] when transpose_a (as vec4)
//   2 b     storage, read        [batchB, K, N], or [batchB, N, K] when transpose_b (as vec4)
//   3 bias  storage, read        [N]; read only when has_bias (bind any buffer otherwise)
//   4 c     storage, read_write  [batch, splits, M, N]
//
// Overrides: transpose_a, transpose_b, has_bias, activation (codes of lib/activation.wgsl,
// leaky_relu slope dims.alpha), wg_x, wg_y (workgroup size, default 4 x 4).
// Dispatch: workgroups (ceil(N / (16 wg_x)), ceil(M / (16 wg_y)), batch · splits), or that
// grid folded (lib/tile_grid.wgsl: tiles_x, tiles_y are its first two sizes).
//
// Design: the accumulators are 16 mat4x4 named values, acc_QG = rows 4Q..4Q+3 by columns
// 4G..4G+3 (column r of acc_QG is row 4Q+r), updated as acc_QG += B_G · A_Q, where A_Q's
// column r holds op(A)[4Q+r, k..k+3] and B_G's column j holds op(B)[k+j, 4G..4G+3]: each
// mat4x4 product is 16 FMAs on values already in registers. A transposed operand arrives with
// rows and columns swapped and is fixed with transpose(), which costs no loads. Named values,
// not an array: a dynamically indexed private array becomes per-lane gathers on SwiftShader.
// Rows / columns past the edge are clamped to the last whole vec4 (or row) and not stored.
// Accumulation is f32 in k order, so results are bit-identical run to run.
//
// Speed on SwiftShader: see docs/performance.md (1024² plain: ~5.9 GFLOP/s on an EPYC host
// with the JS thread asleep, against ~2.8 for matmul.wgsl's 16 x 8 scalar tile).

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  batch: u32,
  a_batch_stride: u32,
  b_batch_stride: u32,
  alpha: f32,
  splits: u32,
  k_chunk: u32,
  tiles_x: u32,
  tiles_y: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

override transpose_a: bool = false;
override transpose_b: bool = false;
override has_bias: bool = false;
override activation: u32 = 0u;
override wg_x: u32 = 4u;
override wg_y: u32 = 4u;

const TILE: u32 = 16u;

// Rows 4Q..4Q+3 of op(A) at k..k+3, as the columns of a mat4x4. i0..i3: each row's vec4
// index at the walk's start (transposed, i0 alone: one vec4 holds the four rows); kq: the
// walk's offset for this k step; ks: the vec4 distance from k to k+1 (transposed only).
fn load_a(i0: u32, i1: u32, i2: u32, i3: u32, kq: u32, ks: u32) -> mat4x4f {
  if (transpose_a) {
    return transpose(mat4x4f(a[i0 + kq], a[i0 + kq + ks], a[i0 + kq + 2u * ks], a[i0 + kq + 3u * ks]));
  }
  return mat4x4f(a[i0 + kq], a[i1 + kq], a[i2 + kq], a[i3 + kq]);
}

// Columns 4G..4G+3 of op(B) at k..k+3: column j of the result is op(B)[k+j, 4G..4G+3].
fn load_b(j0: u32, j1: u32, j2: u32, j3: u32, kq: u32, ks: u32) -> mat4x4f {
  if (transpose_b) {
    return transpose(mat4x4f(b[j0 + kq], b[j1 + kq], b[j2 + kq], b[j3 + kq]));
  }
  return mat4x4f(b[j0 + kq], b[j0 + kq + ks], b[j0 + kq + 2u * ks], b[j0 + kq + 3u * ks]);
}

// Where tile row (column) `row` of op(A) (op(B)) starts at k0, as a vec4 index, and how far
// the walk advances per k step of 4: 1 vec4 along K, or 4 storage rows when transposed.
struct Walk { start: u32, step: u32 }

fn walk_a(off: u32, row: u32, k0: u32) -> Walk {
  if (transpose_a) {                         // [K, M]: row k holds M / 4 vec4s
    let m4 = dims.M / 4u;
    return Walk(off / 4u + k0 * m4 + min(row, dims.M - 4u) / 4u, 4u * m4);
  }
  let k4 = dims.K / 4u;                       // [M, K]: one vec4 is 4 k's
  return Walk(off / 4u + min(row, dims.M - 1u) * k4 + k0 / 4u, 1u);
}

fn walk_b(off: u32, col: u32, k0: u32) -> Walk {
  if (transpose_b) {                         // [N, K]: one vec4 is 4 k's
    let k4 = dims.K / 4u;
    return Walk(off / 4u + min(col, dims.N - 1u) * k4 + k0 / 4u, 1u);
  }
  let n4 = dims.N / 4u;                       // [K, N]: row k holds N / 4 vec4s
  return Walk(off / 4u + k0 * n4 + min(col, dims.N - 4u) / 4u, 4u * n4);
}

fn store(row: u32, col: u32, c_off: u32, v: vec4f) {
  if (row >= dims.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let cj = col + j;
    if (cj < dims.N) {
      var x = v[j];
      if (has_bias) { x += bias[cj]; }
      c[c_off + row * dims.N + cj] = activate(x, activation, dims.alpha);
    }
  }
}

@compute @workgroup_size(wg_x, wg_y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let place = tile_of(wid, groups);   // (tile x, tile y, z · splits + split)
  let row0 = (place.y * wg_y + lid.y) * TILE;
  let col0 = (place.x * wg_x + lid.x) * TILE;
  let z = place.z / dims.splits;
  let split = place.z % dims.splits;
  if (row0 >= dims.M || col0 >= dims.N || z >= dims.batch) { return; }
  let k0 = split * dims.k_chunk;
  let k1 = min(dims.K, k0 + dims.k_chunk);
  let a_off = z * dims.a_batch_stride;
  let b_off = z * dims.b_batch_stride;

  // Not transposed, A's tile rows are 16 separate walks; transposed, one walk covers four
  // rows, so quads Q = 0..3 start 1 vec4 apart (the row clamp keeps them in bounds).
  let wa0 = walk_a(a_off, row0, k0);
  let wa4 = walk_a(a_off, row0 + 4u, k0);
  let wa8 = walk_a(a_off, row0 + 8u, k0);
  let wa12 = walk_a(a_off, row0 + 12u, k0);
  let a1 = walk_a(a_off, row0 + 1u, k0).start;
  let a2 = walk_a(a_off, row0 + 2u, k0).start;
  let a3 = walk_a(a_off, row0 + 3u, k0).start;
  let a5 = walk_a(a_off, row0 + 5u, k0).start;
  let a6 = walk_a(a_off, row0 + 6u, k0).start;
  let a7 = walk_a(a_off, row0 + 7u, k0).start;
  let a9 = walk_a(a_off, row0 + 9u, k0).start;
  let a10 = walk_a(a_off, row0 + 10u, k0).start;
  let a11 = walk_a(a_off, row0 + 11u, k0).start;
  let a13 = walk_a(a_off, row0 + 13u, k0).start;
  let a14 = walk_a(a_off, row0 + 14u, k0).start;
  let a15 = walk_a(a_off, row0 + 15u, k0).start;
  let wb0 = walk_b(b_off, col0, k0);
  let wb4 = walk_b(b_off, col0 + 4u, k0);
  let wb8 = walk_b(b_off, col0 + 8u, k0);
  let wb12 = walk_b(b_off, col0 + 12u, k0);
  let b1 = walk_b(b_off, col0 + 1u, k0).start;
  let b2 = walk_b(b_off, col0 + 2u, k0).start;
  let b3 = walk_b(b_off, col0 + 3u, k0).start;
  let b5 = walk_b(b_off, col0 + 5u, k0).start;
  let b6 = walk_b(b_off, col0 + 6u, k0).start;
  let b7 = walk_b(b_off, col0 + 7u, k0).start;
  let b9 = walk_b(b_off, col0 + 9u, k0).start;
  let b10 = walk_b(b_off, col0 + 10u, k0).start;
  let b11 = walk_b(b_off, col0 + 11u, k0).start;
  let b13 = walk_b(b_off, col0 + 13u, k0).start;
  let b14 = walk_b(b_off, col0 + 14u, k0).start;
  let b15 = walk_b(b_off, col0 + 15u, k0).start;
  let sa = wa0.step;          // advance per k step of 4
  let sb = wb0.step;
  let ia = sa / 4u;           // transposed operands: vec4 distance from k to k+1
  let ib = sb / 4u;

  var acc00 = mat4x4f(); var acc01 = mat4x4f(); var acc02 = mat4x4f(); var acc03 = mat4x4f();
  var acc10 = mat4x4f(); var acc11 = mat4x4f(); var acc12 = mat4x4f(); var acc13 = mat4x4f();
  var acc20 = mat4x4f(); var acc21 = mat4x4f(); var acc22 = mat4x4f(); var acc23 = mat4x4f();
  var acc30 = mat4x4f(); var acc31 = mat4x4f(); var acc32 = mat4x4f(); var acc33 = mat4x4f();

  var ka = 0u;  // vec4 offset of the current k step of 4 along each walk
  var kb = 0u;
  for (var k = k0; k < k1; k += 4u) {
    let a_0 = load_a(wa0.start, a1, a2, a3, ka, ia);
    let a_1 = load_a(wa4.start, a5, a6, a7, ka, ia);
    let a_2 = load_a(wa8.start, a9, a10, a11, ka, ia);
    let a_3 = load_a(wa12.start, a13, a14, a15, ka, ia);
    let b_0 = load_b(wb0.start, b1, b2, b3, kb, ib);
    let b_1 = load_b(wb4.start, b5, b6, b7, kb, ib);
    let b_2 = load_b(wb8.start, b9, b10, b11, kb, ib);
    let b_3 = load_b(wb12.start, b13, b14, b15, kb, ib);
    acc00 += b_0 * a_0; acc01 += b_1 * a_0; acc02 += b_2 * a_0; acc03 += b_3 * a_0;
    acc10 += b_0 * a_1; acc11 += b_1 * a_1; acc12 += b_2 * a_1; acc13 += b_3 * a_1;
    acc20 += b_0 * a_2; acc21 += b_1 * a_2; acc22 += b_2 * a_2; acc23 += b_3 * a_2;
    acc30 += b_0 * a_3; acc31 += b_1 * a_3; acc32 += b_2 * a_3; acc33 += b_3 * a_3;
    ka += sa;
    kb += sb;
  }

  // One loop over the 16 blocks, not 16 inlined epilogues: the activation is compiled once.
  let tile = array<mat4x4f, 16>(acc00, acc01, acc02, acc03, acc10, acc11, acc12, acc13,
                                acc20, acc21, acc22, acc23, acc30, acc31, acc32, acc33);
  let c_off = place.z * dims.M * dims.N;
  for (var q = 0u; q < 4u; q++) {
    for (var g = 0u; g < 4u; g++) {
      let blk = tile[q * 4u + g];
      for (var r = 0u; r < 4u; r++) {
        store(row0 + 4u * q + r, col0 + 4u * g, c_off, blk[r]);
      }
    }
  }
}
