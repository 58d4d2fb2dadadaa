// Row reductions for kernels that give each row of a [rows, cols] view to `row_threads`
// invocations, `group_rows` rows per workgroup (softmax.wgsl, loss.wgsl): a strided
// per-invocation fold (here), then a fixed reduction over the row's invocations, tree_max /
// tree_sum2 / tree_sum, from lib/rows_tree.wgsl (workgroup memory) or lib/rows_subgroup.wgsl
// (subgroup operations, where the device has them); a family links one of the two.
// Short rows ([4096, 10]) share a workgroup instead of leaving most of one idle.
// Linked (prepended) into those families, which must declare what this uses:
//   override row_threads: u32     (a power of two: the trees halve it)
//   override group_rows: u32
//   dims.rows, dims.cols          (in the family's Dims uniform)
//   x: array<f32>                 (the rows that strided_max scans)
// Entry points are @workgroup_size(row_threads, group_rows): lid.x is the invocation's place
// in its row, lid.y the row's slot in the workgroup.

const LOWEST: f32 = -0x1.fffffep+127f;  // -FLT_MAX: the max of a row of all -inf stays here

// NaN or +inf: the entries that make a row NaN (as in src/cpu/softmax.ts). Tested on the
// bits, since WGSL lets compilers assume that floats are finite.
fn poisons(a: f32) -> bool {
  let b = bitcast<u32>(a);
  return (b & 0x7f800000u) == 0x7f800000u && b != 0xff800000u;
}

// A quiet NaN (from a runtime value: a NaN constant expression is a shader-creation error).
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// One invocation's row. A slot past the last row stays in the workgroup (its barriers must be
// reached by every invocation) with n = 0: its loops do nothing and it writes nothing.
struct Row {
  index: u32,   // the row
  base: u32,    // index * cols
  t: u32,       // place in the row, 0 .. row_threads-1
  slot: u32,    // the row's first scratch entry
  n: u32,       // cols, or 0 past the last row
  live: bool,
}

fn row_of(wid: vec3u, groups: vec3u, lid: vec3u) -> Row {
  let index = (wid.x + wid.y * groups.x) * group_rows + lid.y;
  let live = index < dims.rows;
  return Row(index, index * dims.cols, lid.x, lid.y * row_threads, select(0u, dims.cols, live), live);
}

// (max, poison flag) over this invocation's strided part of the row
fn strided_max(r: Row) -> vec2f {
  var m = vec2f(LOWEST, 0.0);
  for (var j = r.t; j < r.n; j += row_threads) {
    let a = x[r.base + j];
    if (a > m.x) { m.x = a; }
    if (poisons(a)) { m.y = 1.0; }
  }
  return m;
}

// The reductions' workgroup memory: one entry per invocation.
var<workgroup> scratch: array<vec2f, row_threads * group_rows>;
