// Short rows in registers: one invocation per row of at most 16 columns, the row's slots
// written out as 4 quads with no loop (softmax.wgsl softmax_short, loss.wgsl ce_short).
// The row length is the override row_cols, so a pipeline is built per length and every slot's
// test j < row_cols is a constant: the slots past the row compile away. Why: SwiftShader spends
// far more on a loop over a 10-column row (its entry, lane masks, exit) than on the row's
// arithmetic; softmax [4096, 10], stand-alone kernels, median ms: 0.92 with the row loops,
// 0.46 written out with the length in a uniform, 0.26-0.43 with it a constant.
// Linked after lib/float.wgsl and lib/rows.wgsl (RowStats) into families that declare
//   override row_cols: u32        (1 .. 16: the row length)
//   x: array<f32>                 (the rows, [rows * row_cols])

alias ShortRow = array<vec4f, 4>;   // slots 0..15 as quads; slots past the row hold a fill

// Which of slots j .. j + 3 lie in the row (constants once row_cols is).
fn short_live(j: u32) -> vec4<bool> {
  return (vec4u(j) + vec4u(0u, 1u, 2u, 3u)) < vec4u(row_cols);
}

fn short_x(base: u32, j: u32, fill: f32) -> f32 {
  if (j < row_cols) { return x[base + j]; }
  return fill;
}

fn short_x4(base: u32, j: u32, fill: f32) -> vec4f {
  return vec4f(short_x(base, j, fill), short_x(base, j + 1u, fill), short_x(base, j + 2u, fill),
               short_x(base, j + 3u, fill));
}

// The row starting at x[base]; slots past it hold `fill`.
fn short_row(base: u32, fill: f32) -> ShortRow {
  return ShortRow(short_x4(base, 0u, fill), short_x4(base, 4u, fill), short_x4(base, 8u, fill),
                  short_x4(base, 12u, fill));
}

fn short_sum(q: ShortRow) -> f32 {
  let s = (q[0] + q[1]) + (q[2] + q[3]);
  return (s.x + s.y) + (s.z + s.w);
}

// The row's softmax statistics (lib/rows.wgsl RowStats, extra 0) from the row read with
// fill LOWEST: m = max_j x_j (LOWEST for an all -inf row), s = Σ_j e^(x_j - m) over the row's
// slots only (a dead slot's e^(LOWEST - LOWEST) = 1 must not count), poisoned by a NaN or +inf.
fn short_softmax_stats(q: ShortRow) -> RowStats {
  let m4 = max(max(q[0], q[1]), max(q[2], q[3]));
  let m = max(max(max(m4.x, m4.y), max(m4.z, m4.w)), LOWEST);   // a full row of -inf: LOWEST
  var e: ShortRow;
  e[0] = select(vec4f(0.0), exp(q[0] - m), short_live(0u));
  e[1] = select(vec4f(0.0), exp(q[1] - m), short_live(4u));
  e[2] = select(vec4f(0.0), exp(q[2] - m), short_live(8u));
  e[3] = select(vec4f(0.0), exp(q[3] - m), short_live(12u));
  let poisoned = (poisons4(q[0]) | poisons4(q[1])) | (poisons4(q[2]) | poisons4(q[3]));
  return RowStats(m, short_sum(e), poisoned, 0.0);
}
