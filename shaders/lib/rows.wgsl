// Row passes for kernels that give each row of a [rows, cols] view to row_threads invocations
// (softmax.wgsl, loss.wgsl): a strided per-invocation fold, then a reduction over the row.
// Linked after lib/float.wgsl, lib/workgroup_rows.wgsl and lib/tree.wgsl (or
// lib/tree_subgroup.wgsl) into those families, which must declare x4: array<vec4f> (the rows
// as the vec4s of the flat buffer; the op binds the buffer that holds them) and
// `override whole_quads: bool` (true when cols % 4 == 0: every quad is all one row's, and
// the lane masks compile away).
//
// Rows are read as "quads": the aligned vec4s of the flat buffer that hold the row, whatever
// cols is. Quad k covers elements 4k .. 4k+3; those in [base, base + n) are the row's (a row
// of 10 starting at 20 spans quads 5, 6, 7: 3 vec4 loads, not 10 scalar ones). The neighbour
// rows' lanes are masked out. On a CPU implementation a vec4 load costs about what a scalar
// one does, and on a GPU it is a wider coalesced access. The buffer must hold whole quads:
// every engine buffer is a multiple of 256 bytes (src/gpu/pool.ts). Measured on SwiftShader
// (medians of 4 alternating runs, ms): softmax CE [128, 1000] 3.4 -> 1.8, [4096, 12] 1.43 ->
// 1.27, [4096, 10] 1.31 -> 1.41 (within the noise); softmax's statistics on short rows that are
// not whole vec4s were 10-20% slower through masked quads, so that kernel reads elements.

// The quads [first, end) that hold row r (none for a slot past the last row).
fn row_quads(r: Row) -> vec2u {
  return vec2u(r.base / 4u, select(r.base / 4u, (r.base + r.n + 3u) / 4u, r.n > 0u));
}

// Which lanes of quad k belong to row r.
fn in_row4(r: Row, k: u32) -> vec4<bool> {
  if (whole_quads) { return vec4<bool>(true); }
  let i = vec4u(4u * k) + vec4u(0u, 1u, 2u, 3u);
  return (i >= vec4u(r.base)) & (i < vec4u(r.base + r.n));
}

// What a stable softmax of a row needs: m = max_j x_j and s = Σ_j e^(x_j - m), in [1, cols]
// unless the row is all -inf (m stays LOWEST, s = 0); poisoned when a NaN or +inf is in it.
struct RowStats {
  row_max: f32,
  sum_exp: f32,
  poisoned: bool,
  extra: f32,      // the row sum of a caller's per-invocation value (row_stats_of), else 0
}

// "Online" softmax statistics, so a row is read once for them: an invocation keeps a running
// max m and s = Σ e^(x - m) over the elements it has seen, and rescales s by e^(m - x) when an
// x exceeds m. One exp per element: e^-|x - m| is the new term when x <= m, and the rescale
// factor when x > m (the new term is then e^0 = 1). A first finite x overflows x - LOWEST to
// +inf: factor e^-inf = 0, s = 1. A -inf entry adds e^-inf = 0 and never raises m. What NaN
// and +inf do to m and s does not matter: they set the poison flag (on the bits, lib/float),
// and callers then ignore m and s. online_step4 does the same per component of a quad, for
// the components in `inside` (the others keep their m and s).
fn online_step(ms: vec2f, e: f32) -> vec2f {
  let diff = e - ms.x;
  let factor = exp(-abs(diff));
  return select(vec2f(ms.x, ms.y + factor), vec2f(e, ms.y * factor + 1.0), diff > 0.0);
}

fn online_step4(m: ptr<function, vec4f>, s: ptr<function, vec4f>, e: vec4f, inside: vec4<bool>) {
  let diff = e - *m;
  let factor = exp(-abs(diff));
  let grows = diff > vec4f(0.0);
  *s = select(*s, select(*s + factor, *s * factor + 1.0, grows), inside);
  *m = select(*m, e, grows & inside);
}

// An invocation's running (m, s) over its components: the max, and the sum rescaled to it (a
// component that saw nothing has m = LOWEST, s = 0 and adds 0).
fn online_fold4(m: vec4f, s: vec4f) -> vec2f {
  let top = max(max(m.x, m.y), max(m.z, m.w));
  return vec2f(top, dot(s, exp(m - top)));
}

// The row's statistics from each invocation's running (m, s) and poison flag (1.0 or 0.0):
// the max over the invocations' m, and the sum of their s rescaled to it (e^(m - max) <= 1;
// 1 for an invocation still at LOWEST when the row is all -inf or it saw no element).
// `extra` rides along in the same tree: a second row sum for free (CE's Σ targets).
fn row_stats_of(r: Row, ms: vec2f, poison: f32, extra: f32) -> RowStats {
  let mx = tree_max(r, vec2f(ms.x, poison));
  let total = tree_sum2(r, vec2f(ms.y * exp(ms.x - mx.x), extra));
  return RowStats(mx.x, total.x, mx.y != 0.0, total.y);
}

// The log-sum-exp pass of softmax, log-softmax and softmax cross-entropy: log Σ e^x = m + log s.
// Invocation t of the row folds quads first + t, first + t + row_threads, ...
fn row_softmax_stats(r: Row) -> RowStats {
  var m = vec4f(LOWEST);
  var s = vec4f(0.0);
  var poison = 0.0;
  let q = row_quads(r);
  for (var k = q.x + r.t; k < q.y; k += row_threads) {
    let e = x4[k];
    let inside = in_row4(r, k);
    online_step4(&m, &s, e, inside);
    if (poisons4(select(vec4f(0.0), e, inside))) { poison = 1.0; }
  }
  return row_stats_of(r, online_fold4(m, s), poison, 0.0);
}
