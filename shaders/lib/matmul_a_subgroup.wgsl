enable subgroups;
// Subgroup uniformity is by construction here, not provable by the compiler: see below.
diagnostic(off, subgroup_uniformity);

// How matmul_vec4.wgsl gets the 16 rows of op(A) its invocation's tile needs at each k step,
// on devices whose subgroups are exactly 4 lanes (SwiftShader): with wg_x = 4, the lanes of a
// subgroup are lid.x = 0..3 of one lid.y, so they share row0 and need the same rows. Lane Q
// loads quad Q (rows 4Q..4Q+3: 4 vec4 loads) and every lane takes the four quads by
// subgroupBroadcast from lanes 0..3: 4 loads per k step instead of 16. On a CPU implementation
// a storage load is a per-lane gather and a broadcast a register shuffle; measured 1024² in a
// stand-alone kernel, 3.7-3.8 -> 4.8-6.1 GFLOP/s. Chosen only for such devices
// (KernelChoices.subgroupQuads): with other subgroup sizes the lanes would not share rows.
// Linked FIRST in its family (the `enable` and `diagnostic` must precede every declaration),
// and the rest of the family calls a_tile only where all four lanes are active: the kernel
// has no early exit that separates lanes of one lid.y.

// The walk start of this lane's quad of rows.
struct ARows { mine: vec4u }

fn a_rows(a_off: u32, row0: u32, k0: u32, lane: u32) -> ARows {
  return ARows(quad_walk(a_off, row0 + 4u * lane, k0));
}

// Lane Q's quad is rows 4Q..4Q+3 (subgroupBroadcast takes a constant lane, so one line each).
fn a_tile(w: ARows, kq: u32, ks: u32) -> ATile {
  let m = load_a(w.mine, kq, ks);
  return ATile(
    mat4x4f(subgroupBroadcast(m[0], 0u), subgroupBroadcast(m[1], 0u), subgroupBroadcast(m[2], 0u), subgroupBroadcast(m[3], 0u)),
    mat4x4f(subgroupBroadcast(m[0], 1u), subgroupBroadcast(m[1], 1u), subgroupBroadcast(m[2], 1u), subgroupBroadcast(m[3], 1u)),
    mat4x4f(subgroupBroadcast(m[0], 2u), subgroupBroadcast(m[1], 2u), subgroupBroadcast(m[2], 2u), subgroupBroadcast(m[3], 2u)),
    mat4x4f(subgroupBroadcast(m[0], 3u), subgroupBroadcast(m[1], 3u), subgroupBroadcast(m[2], 3u), subgroupBroadcast(m[3], 3u)));
}
