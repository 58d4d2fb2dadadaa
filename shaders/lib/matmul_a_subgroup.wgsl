enable subgroups;
// Subgroup uniformity is by construction here, not provable by the compiler: see below.
diagnostic(off, subgroup_uniformity);

// How matmul_vec4.wgsl gets the 32 rows of op(A) its invocation's tile needs at each k step,
// on devices whose subgroups are exactly 4 lanes (SwiftShader): with wg_x = 4, the lanes of a
// subgroup are lid.x = 0..3 of one lid.y, so they share row0 and need the same rows. Lane L
// loads quads L and 4 + L (rows 4L..4L+3 and 16+4L..16+4L+3: 8 vec4 loads) and every lane
// takes the eight quads by subgroupBroadcast from lanes 0..3: 8 loads per k step instead of
// 32. On a CPU implementation a storage load is a per-lane gather and a broadcast a register
// shuffle (1024², same process: 3.9 -> 4.7 GFLOP/s with a 16-row tile, and the 32-row tile
// gains more, docs/performance.md). Chosen only for such devices (KernelChoices.subgroupQuads):
// with other subgroup sizes the lanes would not share rows. Linked FIRST in its family (the
// `enable` and `diagnostic` must precede every declaration); the kernel calls a_tile only
// where all four lanes are active: it has no early exit that separates lanes of one lid.y.

// The walk starts of this lane's two quads of rows.
struct ARows { lo: vec4u, hi: vec4u }

fn a_rows(a_off: u32, row0: u32, k0: u32, lane: u32) -> ARows {
  return ARows(quad_walk(a_off, row0 + 4u * lane, k0), quad_walk(a_off, row0 + 16u + 4u * lane, k0));
}

// Quad Q of the tile is quad Q % 4 of lane Q % 4's lo (Q < 4) or hi (subgroupBroadcast takes
// a constant lane, so the lanes are spelled out).
fn a_tile(w: ARows, kq: u32, ks: u32) -> ATile {
  let lo = load_a(w.lo, kq, ks);
  let hi = load_a(w.hi, kq, ks);
  return ATile(from_lane0(lo), from_lane1(lo), from_lane2(lo), from_lane3(lo),
               from_lane0(hi), from_lane1(hi), from_lane2(hi), from_lane3(hi));
}

fn from_lane0(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 0u), subgroupBroadcast(m[1], 0u), subgroupBroadcast(m[2], 0u), subgroupBroadcast(m[3], 0u));
}
fn from_lane1(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 1u), subgroupBroadcast(m[1], 1u), subgroupBroadcast(m[2], 1u), subgroupBroadcast(m[3], 1u));
}
fn from_lane2(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 2u), subgroupBroadcast(m[1], 2u), subgroupBroadcast(m[2], 2u), subgroupBroadcast(m[3], 2u));
}
fn from_lane3(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 3u), subgroupBroadcast(m[1], 3u), subgroupBroadcast(m[2], 3u), subgroupBroadcast(m[3], 3u));
}
