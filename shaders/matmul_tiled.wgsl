// matmul_tiled: batched matrix product through workgroup memory, the variant for hardware
// GPUs (integrated and discrete). A workgroup computes a tile_m x tile_n block of C; it walks
// K in steps of tile_k, staging the tile_m x tile_k block of op(A) and the tile_k x tile_n
// block of op(B) in workgroup memory, from which each invocation accumulates rows_per_thread
// x 4 outputs in registers.
//
//   C[z] = act(op(A[z]) · op(B[z]) + bias)            (splits = 1)
//   P[z, s] = op(A[z])[:, Ks] · op(B[z])[Ks, :]        (splits > 1: split s of K, no epilogue;
//            Ks = [s·k_chunk, min(K, (s+1)·k_chunk)); matmul_splitk.wgsl sums the splits)
//   op(A) = A or Aᵀ (dims.transpose_a), op(B) = B or Bᵀ (dims.transpose_b); op(A[z]) is [M, K],
//   op(B[z]) is [K, N]; everything row-major f32. Any shape: loads past an edge read 0.
//
// Bindings (group 0):
//   0 dims  uniform              Dims below; batch strides in elements, 0 broadcasts a batch-1
//                                operand over all z
//   1 a     storage, read        [batchA, M, K], or [batchA, K, M] when transpose_a
//   2 b     storage, read        [batchB, K, N], or [batchB, N, K] when transpose_b
//   3 bias  storage, read        [N]; read only when has_bias (bind any buffer otherwise)
//   4 c     storage, read_write  [batch, splits, M, N]
//
// Layout and epilogue are uniforms here (dims.transpose_a / transpose_b / has_bias /
// activation, codes of lib/activation.wgsl, leaky_relu slope dims.alpha), not overrides as in
// the register-tile kernels: they change only the staging loop's index arithmetic and the
// epilogue, where a uniform branch costs nothing measurable, while each override value is a
// pipeline to compile (~2 s each on SwiftShader for this kernel; a first-use stall on GPUs).
// Overrides: tile_m, tile_n, tile_k (the workgroup's block; tile_n a
// multiple of 4); rows_per_thread (1..8, divides tile_m). Each invocation owns rows
// ty·rows_per_thread + i and columns 4·tx .. 4·tx+3 of the block.
// Workgroup size (tile_n / 4) x (tile_m / rows_per_thread), at most 256 invocations.
// Workgroup memory: 4·tile_k·(tile_m + 1 + tile_n + 4) bytes (at most 16 KiB, WebGPU's
// default limit; the +1 / +4 pad each k row so the staging writes, which walk k when an
// operand is stored K-contiguous, fall into different memory banks).
// Dispatch: workgroups (ceil(N / tile_n), ceil(M / tile_m), batch · splits), or that grid
// folded (lib/tile_grid.wgsl: tiles_x, tiles_y are its first two sizes).
//
// Coalescing: the staging loop hands consecutive invocations consecutive elements of the
// operand's storage order, whichever axis that is (K for A, N for B, and the other way round
// when transposed), so every transpose reads memory in unit stride; the blocks are stored
// k-major, so the inner loop reads op(B) as one vec4 per k and op(A) as a broadcast.
// Deterministic: f32 accumulation in k order, no atomics.

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
  transpose_a: u32,   // 0 or 1
  transpose_b: u32,
  has_bias: u32,      // 0 or 1
  activation: u32,
  tiles_x: u32,
  tiles_y: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

override tile_m: u32 = 64u;
override tile_n: u32 = 64u;
override tile_k: u32 = 16u;
override rows_per_thread: u32 = 4u;

const MAX_ROWS: u32 = 8u;     // private arrays need a const size; rows_per_thread <= this

// Derived from the tile, never set by the op: override expressions are what may size
// workgroup arrays, and wgsl_reflect parses no expression inside @workgroup_size.
// op(A) block as a_tile[kk * a_row + r], op(B) block as b_tile[kk * b_row + j / 4][j % 4].
override a_row: u32 = tile_m + 1u;
override b_row: u32 = tile_n / 4u + 1u;
override wg_x: u32 = tile_n / 4u;
override wg_y: u32 = tile_m / rows_per_thread;
var<workgroup> a_tile: array<f32, tile_k * a_row>;
var<workgroup> b_tile: array<vec4f, tile_k * b_row>;

@compute @workgroup_size(wg_x, wg_y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) t: u32, @builtin(num_workgroups) groups: vec3u) {
  let M = dims.M;
  let N = dims.N;
  let K = dims.K;
  let place = tile_of(wid, groups);   // (tile x, tile y, z · splits + split)
  let row0 = place.y * tile_m;
  let col0 = place.x * tile_n;
  let z = place.z / dims.splits;
  let k0 = (place.z % dims.splits) * dims.k_chunk;
  let k1 = min(K, k0 + dims.k_chunk);
  // uniform: the whole workgroup leaves together (no barrier is skipped by part of it)
  if (row0 >= M || col0 >= N || z >= dims.batch) { return; }
  let a_off = z * dims.a_batch_stride;
  let b_off = z * dims.b_batch_stride;
  let threads = wg_x * wg_y;
  let transpose_a = dims.transpose_a != 0u;
  let transpose_b = dims.transpose_b != 0u;

  var acc: array<vec4f, MAX_ROWS>;
  for (var k = k0; k < k1; k += tile_k) {
    // Stage op(A)[row0 .., k ..] and op(B)[k .., col0 ..], zero past the edges.
    for (var e = t; e < tile_m * tile_k; e += threads) {
      var r: u32;
      var kk: u32;
      if (transpose_a) { kk = e / tile_m; r = e % tile_m; } else { r = e / tile_k; kk = e % tile_k; }
      let row = row0 + r;
      let kg = k + kk;
      var v = 0.0;
      if (row < M && kg < k1) {
        v = a[a_off + select(row * K + kg, kg * M + row, transpose_a)];
      }
      a_tile[kk * a_row + r] = v;
    }
    for (var e = t; e < tile_n * tile_k; e += threads) {
      var j: u32;
      var kk: u32;
      if (transpose_b) { j = e / tile_k; kk = e % tile_k; } else { kk = e / tile_n; j = e % tile_n; }
      let col = col0 + j;
      let kg = k + kk;
      var v = 0.0;
      if (col < N && kg < k1) {
        v = b[b_off + select(kg * N + col, col * K + kg, transpose_b)];
      }
      b_tile[kk * b_row + j / 4u][j % 4u] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < tile_k; kk++) {
      let bv = b_tile[kk * b_row + lid.x];
      let ab = kk * a_row + lid.y * rows_per_thread;
      for (var i = 0u; i < rows_per_thread; i++) {
        acc[i] += a_tile[ab + i] * bv;
      }
    }
    workgroupBarrier();
  }

  let c_off = place.z * M * N;
  let col = col0 + 4u * lid.x;
  for (var i = 0u; i < rows_per_thread; i++) {
    let row = row0 + lid.y * rows_per_thread + i;
    if (row >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (col + j < N) {
        var x = acc[i][j];
        if (dims.has_bias != 0u) { x += bias[col + j]; }
        c[c_off + row * N + col + j] = activate(x, dims.activation, dims.alpha);
      }
    }
  }
}
