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
//   5 a4    storage, read        a's buffer bound again as vec4s; read only when a_vec4
//   6 b4    storage, read        b's buffer again; read only when b_vec4 (read-only aliases
//                                are legal; every pool buffer is a multiple of 16 bytes)
//
// Layout and epilogue are uniforms here (dims.transpose_a / transpose_b / has_bias /
// activation, codes of lib/activation.wgsl, leaky_relu slope dims.alpha; a_vec4 / b_vec4),
// not overrides as in the register-tile kernels: they change only the staging loop's index
// arithmetic and the epilogue, where a uniform branch costs nothing measurable, while each
// override value is a pipeline to compile (~2 s each on SwiftShader for this kernel; a
// first-use stall on GPUs).
//
// Overrides: tile_m, tile_n, tile_k (the workgroup's block; tile_n a multiple of 4);
// rows_per_thread (1..8, divides tile_m). Each invocation owns rows ty·rows_per_thread + i
// and columns 4·tx .. 4·tx+3 of the block.
// Workgroup size (tile_n / 4) x (tile_m / rows_per_thread), at most 256 invocations.
// Workgroup memory: 4·tile_k·(tile_m + 1 + tile_n + 4) bytes (at most 16 KiB, WebGPU's
// default limit; the +1 / +4 pad each k row so the staging writes, which walk k when an
// operand is stored K-contiguous, fall into different memory banks).
// Dispatch: workgroups (ceil(N / tile_n), ceil(M / tile_m), batch · splits), or that grid
// folded (lib/tile_grid.wgsl: tiles_x, tiles_y are its first two sizes).
//
// Staging loads: dims.a_vec4 = 1 stages op(A) in vec4s along A's storage axis (4 elements of
// one row of [M, K] along k, or of one k row of [K, M] along m), else one f32 per load; the
// same for B (along n for [K, N], along k for [N, K]). src/gpu/profile.ts (tiledVec4Loads)
// sets it when that axis is a multiple of 4 long (K, or M when A is transposed; N, or K when
// B is) and so are the tile's steps along it (tile_k, tile_m; tile_n always is) and k_chunk.
// Then every vec4 starts at a multiple of 4 (batch offsets M·K and K·N are multiples of 4 as
// well) and every edge along that axis (M, N, K, k1) is a multiple of 4: a vec4 lies wholly
// inside the matrix or wholly past an edge, so one bounds test per vec4 zeroes exactly the
// elements a scalar load would, and no load leaves the logical matrix. Effect: one global
// load instruction per 4 staged elements instead of 4 (64x64x16: each of the 256
// invocations issues 1 instead of 4 per operand per staged block), 16 bytes each, still unit
// stride across invocations; workgroup-memory writes stay one per element, except B as
// [K, N], whose 4 columns are one vec4 of b_tile.
//
// Coalescing: the staging loop hands consecutive invocations consecutive elements (or vec4s)
// of the operand's storage order, whichever axis that is (K for A, N for B, and the other way
// round when transposed), so every transpose reads memory in unit stride; the blocks are stored
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
  a_vec4: u32,        // 0 or 1: stage A from a4 (rule in the header)
  b_vec4: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
@group(0) @binding(5) var<storage, read> a4: array<vec4f>;   // a's buffer again, as vec4s
@group(0) @binding(6) var<storage, read> b4: array<vec4f>;   // b's buffer again

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

// Staging element (or vec4) e of a block whose storage axis is `along` long: (its offset along
// that axis, a multiple of w; its index on the other axis). Consecutive e walk the storage axis,
// so consecutive invocations read consecutive addresses.
fn staged_place(e: u32, w: u32, along: u32) -> vec2u {
  return vec2u(w * (e % (along / w)), e / (along / w));
}

// Stages op(A)[row0 .., k ..] (tile_m x tile_k) into a_tile, zero past M and k1: w = 1 or 4
// elements per load, consecutive along A's storage axis (k, or rows when transposed), from a
// (w = 1) or a4 (w = 4). With w = 4 a load never straddles an edge (rule in the header).
fn stage_a(w: u32, t: u32, row0: u32, k: u32, k1: u32, a_off: u32) {
  let transposed = dims.transpose_a != 0u;
  for (var e = t; e < tile_m * tile_k / w; e += wg_x * wg_y) {
    let p = staged_place(e, w, select(tile_k, tile_m, transposed));   // [M, K] walks k; [K, M] rows
    let r = select(p.y, p.x, transposed);
    let kk = select(p.x, p.y, transposed);
    let row = row0 + r;
    let kg = k + kk;
    var v = vec4f();
    if (row < dims.M && kg < k1) {
      let i = a_off + select(row * dims.K + kg, kg * dims.M + row, transposed);
      if (w == 4u) { v = a4[i / 4u]; } else { v.x = a[i]; }
    }
    for (var l = 0u; l < w; l++) {
      a_tile[select((kk + l) * a_row + r, kk * a_row + r + l, transposed)] = v[l];
    }
  }
}

// Stages op(B)[k .., col0 ..] (tile_k x tile_n) into b_tile, zero past k1 and N, as stage_a:
// w elements consecutive along B's storage axis (columns, or k when transposed), from b or b4.
fn stage_b(w: u32, t: u32, col0: u32, k: u32, k1: u32, b_off: u32) {
  let transposed = dims.transpose_b != 0u;
  for (var e = t; e < tile_n * tile_k / w; e += wg_x * wg_y) {
    let p = staged_place(e, w, select(tile_n, tile_k, transposed));   // [K, N] walks columns; [N, K] k
    let j = select(p.x, p.y, transposed);
    let kk = select(p.y, p.x, transposed);
    let col = col0 + j;
    let kg = k + kk;
    var v = vec4f();
    if (col < dims.N && kg < k1) {
      let i = b_off + select(kg * dims.N + col, col * dims.K + kg, transposed);
      if (w == 4u) { v = b4[i / 4u]; } else { v.x = b[i]; }
    }
    if (w == 4u && !transposed) {
      b_tile[kk * b_row + j / 4u] = v;   // 4 columns: one vec4 of the block
    } else {
      for (var l = 0u; l < w; l++) {   // one column: w = 1, or 4 k rows when transposed
        b_tile[(kk + l) * b_row + j / 4u][j % 4u] = v[l];
      }
    }
  }
}

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

  var acc: array<vec4f, MAX_ROWS>;
  for (var k = k0; k < k1; k += tile_k) {
    // uniform branches; each call has a constant width, so its index divisions stay by
    // constants once the driver inlines it
    if (dims.a_vec4 != 0u) { stage_a(4u, t, row0, k, k1, a_off); } else { stage_a(1u, t, row0, k, k1, a_off); }
    if (dims.b_vec4 != 0u) { stage_b(4u, t, col0, k, k1, b_off); } else { stage_b(1u, t, col0, k, k1, b_off); }
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
