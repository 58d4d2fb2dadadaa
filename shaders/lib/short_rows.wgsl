// Short rows in registers: one invocation per row of at most 16 columns, the row's slots
// written out as 4 quads with no loop (the `*_short` kernels of softmax.wgsl and loss.wgsl).
// The row length is the override row_cols, so a pipeline is built per length and every test
// j < row_cols is a constant. A slot past the row loads its row's first element again (the
// compiler merges the two loads) and is masked out of every sum and store. Why: SwiftShader
// spends far more on a loop over a 10-column row (its entry, lane masks, exit) than on the
// row's arithmetic; softmax [4096, 10], stand-alone kernels, median ms: 0.92 with the row
// loops, 0.46 written out with the length in a uniform, 0.21-0.43 with it a constant (the same
// with guarded loads or with repeated first elements).
// Linked after lib/float.wgsl and lib/rows.wgsl (RowStats) into families that declare
//   override row_cols: u32        (1 .. 16: the row length)
//   x: array<f32>                 (the rows, [rows * row_cols])
//   out: array<f32>, read_write   (what put_out4 writes)
// A family reads its other bindings' rows with one-line gathers over short_index (quads of
// flat indices), as `vec4f(y[i.x], y[i.y], y[i.z], y[i.w])`.

alias ShortRow = array<vec4f, 4>;     // slots 0..15 as quads
alias ShortIndex = array<vec4u, 4>;   // their flat indices

// Which of slots j .. j + 3 lie in the row (constants once row_cols is).
fn short_live(j: u32) -> vec4<bool> {
  return (vec4u(j) + vec4u(0u, 1u, 2u, 3u)) < vec4u(row_cols);
}

// Slots j .. j + 3 of the row starting at flat index `base`; past the row, `base` again.
fn short_quad_index(base: u32, j: u32) -> vec4u {
  return select(vec4u(base), vec4u(base + j) + vec4u(0u, 1u, 2u, 3u), short_live(j));
}

fn short_index(base: u32) -> ShortIndex {
  return ShortIndex(short_quad_index(base, 0u), short_quad_index(base, 4u), short_quad_index(base, 8u),
                    short_quad_index(base, 12u));
}

fn short_x4(i: vec4u) -> vec4f {
  return vec4f(x[i.x], x[i.y], x[i.z], x[i.w]);
}

// x's row at these indices; slots past the row hold `fill`.
fn short_row(s: ShortIndex, fill: f32) -> ShortRow {
  return ShortRow(select(vec4f(fill), short_x4(s[0]), short_live(0u)),
                  select(vec4f(fill), short_x4(s[1]), short_live(4u)),
                  select(vec4f(fill), short_x4(s[2]), short_live(8u)),
                  select(vec4f(fill), short_x4(s[3]), short_live(12u)));
}

// Σ over the row's slots (those past it are skipped, whatever they hold).
fn short_sum(q: ShortRow) -> f32 {
  let z = vec4f(0.0);
  let s = (select(z, q[0], short_live(0u)) + select(z, q[1], short_live(4u)))
        + (select(z, q[2], short_live(8u)) + select(z, q[3], short_live(12u)));
  return (s.x + s.y) + (s.z + s.w);
}

// The element-wise product of two rows (for short_sum of a dot product).
fn short_mul(a: ShortRow, b: ShortRow) -> ShortRow {
  return ShortRow(a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]);
}

// The row's softmax statistics (lib/rows.wgsl RowStats, extra 0) from x's row read with fill
// LOWEST: m = max_j x_j (LOWEST for an all -inf row), s = Σ_j e^(x_j - m), poisoned by a NaN
// or +inf.
fn short_softmax_stats(q: ShortRow) -> RowStats {
  let m4 = max(max(q[0], q[1]), max(q[2], q[3]));
  let m = max(max(max(m4.x, m4.y), max(m4.z, m4.w)), LOWEST);   // a full row of -inf: LOWEST
  let e = ShortRow(exp(q[0] - m), exp(q[1] - m), exp(q[2] - m), exp(q[3] - m));
  let poisoned = (poisons4(q[0]) | poisons4(q[1])) | (poisons4(q[2]) | poisons4(q[3]));
  return RowStats(m, short_sum(e), poisoned, 0.0);
}

// Stores slots j .. j + 3 of a short row of out that lie in the row (constant tests).
fn put_out4(base: u32, j: u32, vals: vec4f) {
  let live = short_live(j);
  if (live.x) { out[base + j] = vals.x; }
  if (live.y) { out[base + j + 1u] = vals.y; }
  if (live.z) { out[base + j + 2u] = vals.z; }
  if (live.w) { out[base + j + 3u] = vals.w; }
}
