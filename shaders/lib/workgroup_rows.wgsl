// Rows of a workgroup: kernels that reduce rows (softmax, the losses, axis reductions) give
// each row `row_threads` invocations and a workgroup `group_rows` rows, so short rows
// ([4096, 10], or a column sum of length 2) do not leave most of a workgroup idle.
// Entry points are @workgroup_size(row_threads, group_rows): lid.x is the invocation's place
// in its row, lid.y the row's slot. Linked into families that declare
//   override row_threads: u32     (a power of two)
//   override group_rows: u32
//   dims.rows, dims.cols          (the rows, and the length a live row's loops cover)
// and then lib/tree.wgsl or lib/tree_subgroup.wgsl for the reductions over a row.

// One invocation's row. A slot past the last row stays in the workgroup (its barriers must be
// reached by every invocation) with n = 0: its loops do nothing, and it must write nothing.
struct Row {
  index: u32,   // the row (wid-major, then slot)
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

// The reductions' workgroup memory: one entry per invocation.
var<workgroup> scratch: array<vec2f, row_threads * group_rows>;
