// matmul_vec4: batched matrix product, a 32 x 16 register tile per invocation fed by vec4
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
// Without transposes A is read along K and B along N, so the 32 x 4 block of op(A) and the
// 4 x 16 block of op(B) that one k step of 4 needs take 32 + 16 vec4 loads, for 2048 FMAs
// (8 + 16 where a subgroup of 4 shares op(A)'s rows).
//
// Bindings (group 0):
//   0 dims  uniform              Dims below; batch strides in elements, 0 broadcasts a batch-1
//                                operand over all z
//   1 a     storage, read        [batchA, M, K], or [batchA, K, M] when transpose_a (as vec4)
//   2 b     storage, read        [batchB, K, N], or [batchB, N, K] when transpose_b (as vec4)
//   3 bias  storage, read        [N]; read only when has_bias (bind any buffer otherwise)
//   4 c     storage, read_write  [batch, splits, M, N]
//
// Linked after lib/matmul_a_own.wgsl (each invocation loads its own rows of op(A)) or, as
// matmul_vec4_subgroups, after lib/matmul_a_subgroup.wgsl (the 4 lanes of a subgroup share
// them; devices whose subgroups are exactly 4 lanes, wg_x = 4): a_rows, a_tile, ARows.
//
// Overrides: transpose_a, transpose_b, has_bias, activation (codes of lib/activation.wgsl,
// leaky_relu slope dims.alpha), wg_x, wg_y (workgroup size, default 4 x 4).
// Dispatch: workgroups (ceil(N / (16 wg_x)), ceil(M / (32 wg_y)), batch · splits), or that
// grid folded (lib/tile_grid.wgsl: tiles_x, tiles_y are its first two sizes).
//
// Design: the accumulators are 32 mat4x4 named values, acc_QG = rows 4Q..4Q+3 by columns
// 4G..4G+3 (column r of acc_QG is row 4Q+r), updated as acc_QG += B_G · A_Q, where A_Q's
// column r holds op(A)[4Q+r, k..k+3] and B_G's column j holds op(B)[k+j, 4G..4G+3]: each
// mat4x4 product is 16 FMAs on values already in registers. A transposed operand arrives with
// rows and columns swapped and is fixed with transpose(), which costs no loads. Named values,
// not an array: a dynamically indexed private array becomes per-lane gathers on SwiftShader.
// Rows / columns past the edge are clamped to the last whole vec4 (or row) and not stored.
// Accumulation is f32 in k order, so results are bit-identical run to run.
//
// Why 32 rows: a lane's 16 vec4 loads of op(B) per k step then feed 2048 FMAs, not 1024;
// with op(A)'s rows shared by the subgroup, loads per k step fall from 20 per 1024 FMAs to
// 24 per 2048. Each lane loading its own rows gains nothing from the taller tile (measured
// even). Speed on SwiftShader: docs/performance.md.

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

const TILE_M: u32 = 32u;   // rows of the register tile (8 quads)
const TILE_N: u32 = 16u;   // columns (4 vec4s)

// Rows 4Q..4Q+3 of op(A) at k..k+3, as the columns of a mat4x4. w: the four rows' vec4 index
// at the walk's start (quad_walk; transposed, w.x alone: one vec4 holds the four rows); kq:
// the walk's offset for this k step; ks: the vec4 distance from k to k+1 (transposed only).
fn load_a(w: vec4u, kq: u32, ks: u32) -> mat4x4f {
  if (transpose_a) {
    return transpose(mat4x4f(a[w.x + kq], a[w.x + kq + ks], a[w.x + kq + 2u * ks], a[w.x + kq + 3u * ks]));
  }
  return mat4x4f(a[w.x + kq], a[w.y + kq], a[w.z + kq], a[w.w + kq]);
}

// Columns 4G..4G+3 of op(B) at k..k+3: column j of the result is op(B)[k+j, 4G..4G+3]
// (w as in load_a: w.x alone unless transposed).
fn load_b(w: vec4u, kq: u32, ks: u32) -> mat4x4f {
  if (transpose_b) {
    return transpose(mat4x4f(b[w.x + kq], b[w.y + kq], b[w.z + kq], b[w.w + kq]));
  }
  return mat4x4f(b[w.x + kq], b[w.x + kq + ks], b[w.x + kq + 2u * ks], b[w.x + kq + 3u * ks]);
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

// The walk starts of rows row..row+3 of op(A), for load_a (the row clamp keeps a quad past
// the edge in bounds; transposed, the rows share one walk).
fn quad_walk(off: u32, row: u32, k0: u32) -> vec4u {
  return vec4u(walk_a(off, row, k0).start, walk_a(off, row + 1u, k0).start,
               walk_a(off, row + 2u, k0).start, walk_a(off, row + 3u, k0).start);
}

fn quad_walk_b(off: u32, col: u32, k0: u32) -> vec4u {
  return vec4u(walk_b(off, col, k0).start, walk_b(off, col + 1u, k0).start,
               walk_b(off, col + 2u, k0).start, walk_b(off, col + 3u, k0).start);
}

// The tile's 32 rows of op(A) at one k step: quads Q = 0..7 (lib/matmul_a_own.wgsl or
// lib/matmul_a_subgroup.wgsl get them: a_rows, a_tile).
struct ATile { q0: mat4x4f, q1: mat4x4f, q2: mat4x4f, q3: mat4x4f, q4: mat4x4f, q5: mat4x4f, q6: mat4x4f, q7: mat4x4f }

// The epilogue. On SwiftShader every stored element is a masked per-lane scatter, so the
// epilogue is a large share of thin products (conv1's [36864, 28]·[28, 20]: about half).
// It loads the bias once per column quad, not once per element, and it stores a quad wholly
// inside the matrix without per-element checks. The thin products ran 6-10% faster (medians of 16
// alternating runs), with the same pipeline creation time (docs/performance.md).

// Bias of columns col..col+3 (clamped at the edge; those columns are not stored).
fn bias4(col: u32) -> vec4f {
  if (!has_bias) { return vec4f(); }
  let last = dims.N - 1u;
  return vec4f(bias[min(col, last)], bias[min(col + 1u, last)], bias[min(col + 2u, last)], bias[min(col + 3u, last)]);
}

// act(v) into row `row`, columns col..col+3, skipping what lies past the matrix.
fn store(row: u32, col: u32, c_off: u32, v: vec4f) {
  if (row >= dims.M) { return; }
  let o = c_off + row * dims.N + col;
  if (col + 3u < dims.N) {
    c[o] = activate(v.x, activation, dims.alpha);
    c[o + 1u] = activate(v.y, activation, dims.alpha);
    c[o + 2u] = activate(v.z, activation, dims.alpha);
    c[o + 3u] = activate(v.w, activation, dims.alpha);
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    if (col + j < dims.N) { c[o + j] = activate(v[j], activation, dims.alpha); }
  }
}

@compute @workgroup_size(wg_x, wg_y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let place = tile_of(wid, groups);   // (tile x, tile y, z · splits + split)
  let row0 = (place.y * wg_y + lid.y) * TILE_M;
  let col0 = (place.x * wg_x + lid.x) * TILE_N;
  let z = place.z / dims.splits;
  let split = place.z % dims.splits;
  // Only exits that keep the lanes of one lid.y together (lib/matmul_a_subgroup.wgsl shares
  // loads across them); a tile past the last column computes clamped columns, stores none.
  if (row0 >= dims.M || z >= dims.batch) { return; }
  let k0 = split * dims.k_chunk;
  let k1 = min(dims.K, k0 + dims.k_chunk);
  let a_off = z * dims.a_batch_stride;
  let b_off = z * dims.b_batch_stride;

  let wa = a_rows(a_off, row0, k0, lid.x);
  let wb0 = quad_walk_b(b_off, col0, k0);
  let wb1 = quad_walk_b(b_off, col0 + 4u, k0);
  let wb2 = quad_walk_b(b_off, col0 + 8u, k0);
  let wb3 = quad_walk_b(b_off, col0 + 12u, k0);
  let sa = walk_a(a_off, row0, k0).step;   // advance per k step of 4
  let sb = walk_b(b_off, col0, k0).step;
  let ia = sa / 4u;                         // transposed operands: vec4 distance from k to k+1
  let ib = sb / 4u;

  var acc00 = mat4x4f(); var acc01 = mat4x4f(); var acc02 = mat4x4f(); var acc03 = mat4x4f();
  var acc10 = mat4x4f(); var acc11 = mat4x4f(); var acc12 = mat4x4f(); var acc13 = mat4x4f();
  var acc20 = mat4x4f(); var acc21 = mat4x4f(); var acc22 = mat4x4f(); var acc23 = mat4x4f();
  var acc30 = mat4x4f(); var acc31 = mat4x4f(); var acc32 = mat4x4f(); var acc33 = mat4x4f();
  var acc40 = mat4x4f(); var acc41 = mat4x4f(); var acc42 = mat4x4f(); var acc43 = mat4x4f();
  var acc50 = mat4x4f(); var acc51 = mat4x4f(); var acc52 = mat4x4f(); var acc53 = mat4x4f();
  var acc60 = mat4x4f(); var acc61 = mat4x4f(); var acc62 = mat4x4f(); var acc63 = mat4x4f();
  var acc70 = mat4x4f(); var acc71 = mat4x4f(); var acc72 = mat4x4f(); var acc73 = mat4x4f();

  var ka = 0u;  // vec4 offset of the current k step of 4 along each walk
  var kb = 0u;
  for (var k = k0; k < k1; k += 4u) {
    let at = a_tile(wa, ka, ia);
    let b_0 = load_b(wb0, kb, ib);
    let b_1 = load_b(wb1, kb, ib);
    let b_2 = load_b(wb2, kb, ib);
    let b_3 = load_b(wb3, kb, ib);
    acc00 += b_0 * at.q0; acc01 += b_1 * at.q0; acc02 += b_2 * at.q0; acc03 += b_3 * at.q0;
    acc10 += b_0 * at.q1; acc11 += b_1 * at.q1; acc12 += b_2 * at.q1; acc13 += b_3 * at.q1;
    acc20 += b_0 * at.q2; acc21 += b_1 * at.q2; acc22 += b_2 * at.q2; acc23 += b_3 * at.q2;
    acc30 += b_0 * at.q3; acc31 += b_1 * at.q3; acc32 += b_2 * at.q3; acc33 += b_3 * at.q3;
    acc40 += b_0 * at.q4; acc41 += b_1 * at.q4; acc42 += b_2 * at.q4; acc43 += b_3 * at.q4;
    acc50 += b_0 * at.q5; acc51 += b_1 * at.q5; acc52 += b_2 * at.q5; acc53 += b_3 * at.q5;
    acc60 += b_0 * at.q6; acc61 += b_1 * at.q6; acc62 += b_2 * at.q6; acc63 += b_3 * at.q6;
    acc70 += b_0 * at.q7; acc71 += b_1 * at.q7; acc72 += b_2 * at.q7; acc73 += b_3 * at.q7;
    ka += sa;
    kb += sb;
  }

  // Loops over the 32 blocks, not 32 inlined epilogues: store's 5 copies of the activation
  // are the kernel's only ones (pipeline creation grew ~1.5x when the epilogue was written out).
  // Column quads outermost, so each quad's bias is loaded once.
  let tile = array<mat4x4f, 32>(acc00, acc01, acc02, acc03, acc10, acc11, acc12, acc13,
                                acc20, acc21, acc22, acc23, acc30, acc31, acc32, acc33,
                                acc40, acc41, acc42, acc43, acc50, acc51, acc52, acc53,
                                acc60, acc61, acc62, acc63, acc70, acc71, acc72, acc73);
  let c_off = place.z * dims.M * dims.N;
  for (var g = 0u; g < 4u; g++) {
    let col = col0 + 4u * g;
    let bv = bias4(col);
    for (var q = 0u; q < 8u; q++) {
      let blk = tile[q * 4u + g];
      for (var r = 0u; r < 4u; r++) {
        store(row0 + 4u * q + r, col, c_off, blk[r] + bv);
      }
    }
  }
}
