// matmul: batched matrix product with a fused bias + activation epilogue.
//
//   C[z] = act(op(A[z]) · op(B[z]) + bias)        z = 0 .. batch-1   (splits = 1)
//   P[z, s] = op(A[z])[:, Ks] · op(B[z])[Ks, :]    (splits > 1: split s of K, no epilogue;
//            Ks = [s·k_chunk, min(K, (s+1)·k_chunk)); matmul_splitk.wgsl sums the splits)
//   op(A) = A, or Aᵀ when transpose_a;  op(B) = B, or Bᵀ when transpose_b
//   op(A[z]) is [M, K], op(B[z]) is [K, N], C[z] is [M, N]; everything row-major f32.
//
// Bindings (group 0):
//   0 dims  uniform              Dims below; a_batch_stride / b_batch_stride are in elements,
//                                0 broadcasts a batch-1 operand over all z (usually M*K / K*N)
//   1 a     storage, read        [batchA, M, K], or [batchA, K, M] when transpose_a
//   2 b     storage, read        [batchB, K, N], or [batchB, N, K] when transpose_b
//   3 bias  storage, read        [N]; read only when has_bias (bind any 4-byte buffer otherwise)
//   4 c     storage, read_write  [batch, splits, M, N]
//
// Overrides:
//   transpose_a, transpose_b, has_bias  as above
//   activation  applied after the bias: 0 identity, 1 sigmoid, 2 tanh, 3 relu,
//               4 leaky_relu (negative slope dims.alpha), 5 softplus; all overflow-safe
//               (functions from lib/activation.wgsl, linked in front of this file)
//   wg_x, wg_y  workgroup size (default 8 x 4); any sizes with wg_x * wg_y <= 256
//   strided     false: an invocation owns TILE_M consecutive rows and TILE_N consecutive
//               columns (fastest on SwiftShader). true: rows r0 + i*wg_y and columns
//               c0 + j*wg_x, so neighbouring invocations touch neighbouring addresses
//               (coalesced, meant for real GPUs; not measured on one).
//   The tile TILE_M x TILE_N = 16 x 8 per invocation is a const, not an override: WGSL sizes
//   function-scope arrays with const expressions only, and the tile is spelled out as 16
//   mat2x4 accumulators because a loop over a private array ran several times slower on
//   SwiftShader (a dynamically indexed private array becomes per-lane gathers).
//
// Dispatch: workgroups (tiles_x, tiles_y, batch * splits) = (ceil(N / (8 * wg_x)),
//           ceil(M / (16 * wg_y)), batch * splits), or that grid folded (lib/tile_grid.wgsl).
// This is the clamped scalar path: it takes every shape and layout. matmul_vec4.wgsl is
// faster on SwiftShader where K and the contiguous axes allow vec4 loads.
//
// Design: each invocation accumulates a 16 x 8 tile of C in private variables and walks K
// once, loading 16 values of op(A) and 8 of op(B) per k step for 128 multiply-adds; no
// workgroup memory, no barriers. Row and column indices are clamped to M-1 / N-1 before the
// loop, so every load is in bounds and the loop has no branches; rows/columns past the edge
// are computed from duplicated data and not stored. Accumulation is plain f32 in k order.
//
// Speed on SwiftShader (adapter "swiftshader-device-subzero", npm webgpu 0.6.2, Node 20, 2 cores
// of a Xeon shared with other jobs). Kernel time from timestamp queries on an idle machine,
// with the JS thread blocked while the GPU works (awaiting onSubmittedWorkDone makes the node
// bindings poll, which takes a core away from SwiftShader), wg 8 x 4, bias on, GFLOP/s:
//   M=1024 N=1024 K=1024                 4.8   (transpose_a + transpose_b: 4.6)
//   M=128  N=128  K=784   transpose_b    5.1   forward Z = X·Wᵀ (also with sigmoid)
//   M=128  N=784  K=128                  4.3   backward dX = dZ·W
//   M=128  N=784  K=128   transpose_a    4.3   backward dW = dZᵀ·X
//   M=784  N=128  K=128   transpose_a    4.5
// Every transpose combination of these shapes, with and without an activation, measured
// 3.8-5.1 from the SwiftShader threads' CPU time on the busy machine. A naive kernel (one
// output per invocation) ran 0.37 at 520^3 in the same runs. Pipeline creation: ~0.1 s per
// override combination.
// Why 16 x 8: under SwiftShader's Subzero JIT one storage load is ~120 x86 instructions
// (index clamp, robustness mask, a branchy per-lane gather), roughly 5 times the cost of a
// vec4 multiply-add, so the tile wants to be large; but the 16 x 8 loop is already ~34 KB of
// machine code, and tiles with more than 24 loads per k step (16x12, 20x8, 16x16) ran 35-45%
// slower, presumably because the loop no longer fits the instruction cache. 16x8, 12x8 and
// 8x12 tied (12x12, 8x16, 20x4, 8x8: 10-25% slower); 16x8 divides 784 and powers of two.
// The workgroup size does not change per-invocation speed; 8 x 4 gives small matrices
// (128 x 128) 4 workgroups to share between cores.

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
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

override transpose_a: bool = false;
override transpose_b: bool = false;
override has_bias: bool = false;
override activation: u32 = 0u;
override wg_x: u32 = 8u;
override wg_y: u32 = 4u;
override strided: bool = false;

const TILE_M: u32 = 16u;
const TILE_N: u32 = 8u;

fn store(row_off: u32, col: u32, x: f32) {
  if (col < dims.N) {
    var v = x;
    if (has_bias) { v += bias[col]; }
    c[row_off + col] = activate(v, activation, dims.alpha);
  }
}

// Columns of one accumulator row: col0 + j * dx for j = 0..7.
fn store_row(c_off: u32, row: u32, col0: u32, dx: u32, v: mat2x4<f32>) {
  if (row >= dims.M) { return; }
  let o = c_off + row * dims.N;
  store(o, col0, v[0].x);
  store(o, col0 + dx, v[0].y);
  store(o, col0 + 2u * dx, v[0].z);
  store(o, col0 + 3u * dx, v[0].w);
  store(o, col0 + 4u * dx, v[1].x);
  store(o, col0 + 5u * dx, v[1].y);
  store(o, col0 + 6u * dx, v[1].z);
  store(o, col0 + 7u * dx, v[1].w);
}

@compute @workgroup_size(wg_x, wg_y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let M = dims.M;
  let N = dims.N;
  let K = dims.K;
  let place = tile_of(wid, groups);   // (tile x, tile y, z · splits + split)
  let tile_x = place.x;
  let tile_y = place.y;
  let zs = place.z;
  // First row / column of this invocation's tile and the step between its rows / columns.
  var row0 = (tile_y * wg_y + lid.y) * TILE_M;
  var col0 = (tile_x * wg_x + lid.x) * TILE_N;
  var dy = 1u;
  var dx = 1u;
  if (strided) {
    row0 = tile_y * wg_y * TILE_M + lid.y;
    col0 = tile_x * wg_x * TILE_N + lid.x;
    dy = wg_y;
    dx = wg_x;
  }
  let z = zs / dims.splits;
  let k0 = (zs % dims.splits) * dims.k_chunk;
  let k1 = min(K, k0 + dims.k_chunk);
  if (row0 >= M || col0 >= N || z >= dims.batch) { return; }

  // op(A)[i, k] = a[a_off + i * a_rs + k * a_ks] and op(B)[k, j] = b[b_off + j * b_cs + k * b_ks].
  var a_rs = K;
  var a_ks = 1u;
  if (transpose_a) { a_rs = 1u; a_ks = M; }
  var b_cs = 1u;
  var b_ks = N;
  if (transpose_b) { b_cs = K; b_ks = 1u; }
  let a_off = z * dims.a_batch_stride;
  let b_off = z * dims.b_batch_stride;
  let m1 = M - 1u;
  let n1 = N - 1u;

  // Start of each tile row in a and of each tile column in b, clamped into the matrix.
  let ai0 = a_off + min(row0, m1) * a_rs;
  let ai1 = a_off + min(row0 + dy, m1) * a_rs;
  let ai2 = a_off + min(row0 + 2u * dy, m1) * a_rs;
  let ai3 = a_off + min(row0 + 3u * dy, m1) * a_rs;
  let ai4 = a_off + min(row0 + 4u * dy, m1) * a_rs;
  let ai5 = a_off + min(row0 + 5u * dy, m1) * a_rs;
  let ai6 = a_off + min(row0 + 6u * dy, m1) * a_rs;
  let ai7 = a_off + min(row0 + 7u * dy, m1) * a_rs;
  let ai8 = a_off + min(row0 + 8u * dy, m1) * a_rs;
  let ai9 = a_off + min(row0 + 9u * dy, m1) * a_rs;
  let ai10 = a_off + min(row0 + 10u * dy, m1) * a_rs;
  let ai11 = a_off + min(row0 + 11u * dy, m1) * a_rs;
  let ai12 = a_off + min(row0 + 12u * dy, m1) * a_rs;
  let ai13 = a_off + min(row0 + 13u * dy, m1) * a_rs;
  let ai14 = a_off + min(row0 + 14u * dy, m1) * a_rs;
  let ai15 = a_off + min(row0 + 15u * dy, m1) * a_rs;
  let bj0 = b_off + min(col0, n1) * b_cs;
  let bj1 = b_off + min(col0 + dx, n1) * b_cs;
  let bj2 = b_off + min(col0 + 2u * dx, n1) * b_cs;
  let bj3 = b_off + min(col0 + 3u * dx, n1) * b_cs;
  let bj4 = b_off + min(col0 + 4u * dx, n1) * b_cs;
  let bj5 = b_off + min(col0 + 5u * dx, n1) * b_cs;
  let bj6 = b_off + min(col0 + 6u * dx, n1) * b_cs;
  let bj7 = b_off + min(col0 + 7u * dx, n1) * b_cs;

  // accI holds row I of the tile: columns 0-3 in accI[0], 4-7 in accI[1].
  var acc0 = mat2x4<f32>();
  var acc1 = mat2x4<f32>();
  var acc2 = mat2x4<f32>();
  var acc3 = mat2x4<f32>();
  var acc4 = mat2x4<f32>();
  var acc5 = mat2x4<f32>();
  var acc6 = mat2x4<f32>();
  var acc7 = mat2x4<f32>();
  var acc8 = mat2x4<f32>();
  var acc9 = mat2x4<f32>();
  var acc10 = mat2x4<f32>();
  var acc11 = mat2x4<f32>();
  var acc12 = mat2x4<f32>();
  var acc13 = mat2x4<f32>();
  var acc14 = mat2x4<f32>();
  var acc15 = mat2x4<f32>();

  var ak = k0 * a_ks;  // k * a_ks
  var bk = k0 * b_ks;  // k * b_ks
  for (var k = k0; k < k1; k++) {
    // Row k of op(B) restricted to the tile's 8 columns, times op(A)[i, k] for each tile row i.
    let bk_row = mat2x4<f32>(b[bj0 + bk], b[bj1 + bk], b[bj2 + bk], b[bj3 + bk],
                             b[bj4 + bk], b[bj5 + bk], b[bj6 + bk], b[bj7 + bk]);
    acc0 += bk_row * a[ai0 + ak];
    acc1 += bk_row * a[ai1 + ak];
    acc2 += bk_row * a[ai2 + ak];
    acc3 += bk_row * a[ai3 + ak];
    acc4 += bk_row * a[ai4 + ak];
    acc5 += bk_row * a[ai5 + ak];
    acc6 += bk_row * a[ai6 + ak];
    acc7 += bk_row * a[ai7 + ak];
    acc8 += bk_row * a[ai8 + ak];
    acc9 += bk_row * a[ai9 + ak];
    acc10 += bk_row * a[ai10 + ak];
    acc11 += bk_row * a[ai11 + ak];
    acc12 += bk_row * a[ai12 + ak];
    acc13 += bk_row * a[ai13 + ak];
    acc14 += bk_row * a[ai14 + ak];
    acc15 += bk_row * a[ai15 + ak];
    ak += a_ks;
    bk += b_ks;
  }

  // A loop over the rows, not 16 inlined copies of the epilogue: the activation code is then
  // compiled once, which cut pipeline creation on SwiftShader from 0.3-0.8 s to ~0.1 s (and
  // the whole kernel ran no slower, 10-20% faster with bias + softplus).
  let tile = array<mat2x4<f32>, TILE_M>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7,
                                        acc8, acc9, acc10, acc11, acc12, acc13, acc14, acc15);
  let c_off = zs * M * N;
  for (var i = 0u; i < TILE_M; i++) {
    store_row(c_off, row0 + i * dy, col0, dx, tile[i]);
  }
}
