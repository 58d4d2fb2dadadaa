// How matmul_vec4.wgsl gets the 32 rows of op(A) its invocation's tile needs at each k step:
// the invocation loads all eight quads of rows itself (8 x 4 vec4 loads). The variant for
// every device; lib/matmul_a_subgroup.wgsl shares the loads across a subgroup instead.
// Linked before matmul_vec4.wgsl, whose load_a, quad_walk, ATile and dims it uses.

// The walk starts of the tile's quads of rows 4Q..4Q+3, Q = 0..7 (quad_walk of each).
struct ARows { q0: vec4u, q1: vec4u, q2: vec4u, q3: vec4u, q4: vec4u, q5: vec4u, q6: vec4u, q7: vec4u }

// `lane` (the invocation's place in its subgroup) is not needed here: every invocation
// loads its own rows.
fn a_rows(a_off: u32, row0: u32, k0: u32, lane: u32) -> ARows {
  return ARows(quad_walk(a_off, row0, k0), quad_walk(a_off, row0 + 4u, k0),
               quad_walk(a_off, row0 + 8u, k0), quad_walk(a_off, row0 + 12u, k0),
               quad_walk(a_off, row0 + 16u, k0), quad_walk(a_off, row0 + 20u, k0),
               quad_walk(a_off, row0 + 24u, k0), quad_walk(a_off, row0 + 28u, k0));
}

// The tile's op(A) rows at the k step whose walk offset is kq (ks: see load_a).
fn a_tile(w: ARows, kq: u32, ks: u32) -> ATile {
  return ATile(load_a(w.q0, kq, ks), load_a(w.q1, kq, ks), load_a(w.q2, kq, ks), load_a(w.q3, kq, ks),
               load_a(w.q4, kq, ks), load_a(w.q5, kq, ks), load_a(w.q6, kq, ks), load_a(w.q7, kq, ks));
}
