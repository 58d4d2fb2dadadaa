// Binary and ternary elementwise ops with NumPy broadcasting (links lib/float, lib/index).
//
//   binary4:      out[i] = a[i] ⊕ b[i]                     (no stretching: equal layouts)
//   binary:       out[i] = a[ia] ⊕ b[ib]                   (broadcast)
//   binary_rows4: the same, four results per invocation, when the innermost dim is a
//                 multiple of 4 that each operand reads contiguously or splats
//   binary_grad:  out[i] = dy[i] * ∂(a ⊕ b)/∂(a or b) at (a[ia], b[ib], y[i]); exactly 0
//                 where dy[i] = 0 (so 0 * inf or 0 * NaN from a branch that where() masked
//                 out is 0, not NaN)
//   where_pick:   out[i] = cond[ic] != 0 ? a[ia] : b[ib]   (where; NaN counts as nonzero)
//   where_grad:   out[i] = dy[i] where `operand` was picked, else exactly 0 (a select, not
//                 a product with a mask)
// ⊕ is the override `op`: 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 minimum, 6 maximum,
// 7 greater, 8 greater_equal, 9 less, 10 less_equal, 11 equal (comparisons give 1.0 or 0.0,
// and 0.0 when either side is NaN; minimum and maximum propagate NaN; pow and div follow
// NumPy at the edges, see pow_real and div_ieee in lib/float.wgsl). The CPU twin is
// src/cpu/elementwise.ts.
//
// Broadcast indexing: the result is walked row-major over `rank` collapsed dims
// (src/cpu/broadcast.ts merges dims that every operand steps through alike, so [M, N] + [N]
// has rank 2 and equal shapes rank 1). The uniform holds one vec4u per dim, innermost first:
// its size and the three operands' strides (0 along a dim the operand stretches over), so
// ia = Σ_d coord_d(i) · stride_a[d], and likewise ib, ic.
//
// Bindings (group 0): dims uniform; inputs read-only storage, out read_write.
//   binary4: a4, b4, out4 [ceil(len/4)]            binary: a, b, out [len]
//   binary_rows4: a and a4, b and b4 (each pair one buffer, two views), out4 [len/4]
//   binary_grad: a, b, y [len], dy [len], out [len]
//   where_pick: cond, a, b, out [len]               where_grad: cond, dy [len], out [len]
// Dispatch: ceil(n / workgroup_size) workgroups, n = len (ceil(len/4) for the *4 entries), folded
// into (x, y) past 65535; index = gid.x + gid.y * num_workgroups.x * workgroup_size.

struct Dims {
  len: u32,                  // result elements
  rank: u32,                 // collapsed dims in use, 1..6
  // per collapsed dim, innermost first: (size, stride of a, stride of b, stride of cond);
  // a stride is 0 along a dim that operand stretches over
  axes: array<vec4u, 6>,
  outer: vec4u,              // axes[rank - 1], the outermost dim (read without an index)
}

override workgroup_size: u32 = 256;
override op: u32 = 0;
override operand: u32 = 0;        // binary_grad, where_grad: 0 differentiates a, 1 b

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> cond: array<f32>;
@group(0) @binding(4) var<storage, read> y: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read> a4: array<vec4f>;
@group(0) @binding(8) var<storage, read> b4: array<vec4f>;
@group(0) @binding(9) var<storage, read_write> out4: array<vec4f>;

// NumPy's power for reals: integer exponents of a negative base keep the sign
// (pow(-2, 3) = -8); a non-integer one gives NaN; pow(z, 0) = pow(1, w) = 1 even for NaN.
// Integer exponents below 2^24 multiply by squaring (exact for small ones: pow(z, 2) = z*z);
// others go through exp2(w log2|z|).
fn pow_real(z: f32, w: f32) -> f32 {
  if (w == 0.0 || z == 1.0) { return 1.0; }
  if (is_nan(z) || is_nan(w)) { return nan_f32(); }
  let m = abs(z);
  if (m == 1.0 && is_inf(w)) { return 1.0; }
  let integral = !is_inf(w) && floor(w) == w;
  if (z < 0.0 && !is_inf(z) && !integral) { return nan_f32(); }
  var r: f32;
  if (integral && abs(w) < 16777216.0) {
    var e = u32(abs(w));
    var base = m;
    r = 1.0;
    loop {
      if ((e & 1u) != 0u) { r = r * base; }
      e = e >> 1u;
      if (e == 0u) { break; }
      base = base * base;
    }
    if (w < 0.0) { r = div_ieee(1.0, r); }
  } else if (m == 0.0 || is_inf(m) || is_inf(w)) {
    // 0^w, inf^w, m^±inf: 0 or inf by whether the result shrinks or grows
    let grows = (m > 1.0) == (w > 0.0);
    r = select(0.0, inf_f32(1.0), grows);
  } else {
    let e = w * log2(m);
    r = select(exp2(e), inf_f32(1.0), e >= 128.0);
  }
  let odd = integral && abs(w) < 16777216.0 && (u32(abs(w)) & 1u) == 1u;
  return select(r, -r, odd && sign_bit(z));
}

fn comparison(holds: bool, u: f32, v: f32) -> f32 {
  return select(0.0, 1.0, holds && !is_nan(u) && !is_nan(v));
}

fn combine(u: f32, v: f32) -> f32 {
  switch op {
    case 0u: { return u + v; }
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    case 3u: { return div_ieee(u, v); }
    case 4u: { return pow_real(u, v); }
    case 5u: { return select(select(min(u, v), v, is_nan(v)), u, is_nan(u)); }
    case 6u: { return select(select(max(u, v), v, is_nan(v)), u, is_nan(u)); }
    case 7u: { return comparison(u > v, u, v); }
    case 8u: { return comparison(u >= v, u, v); }
    case 9u: { return comparison(u < v, u, v); }
    case 10u: { return comparison(u <= v, u, v); }
    default: { return comparison(u == v, u, v); }
  }
}

fn combine4(u: vec4f, v: vec4f) -> vec4f {
  switch op {
    case 0u: { return u + v; }
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    default: { return vec4f(combine(u.x, v.x), combine(u.y, v.y), combine(u.z, v.z), combine(u.w, v.w)); }
  }
}

// The share of the gradient that `own` gets from minimum/maximum: all when it was selected
// (`wins`), half on a tie (as PyTorch; the symmetric finite difference agrees), all to a NaN.
fn selected_share(own: f32, other: f32, wins: bool) -> f32 {
  if (is_nan(own)) { return 1.0; }
  if (is_nan(other)) { return 0.0; }
  return select(select(0.0, 1.0, wins), 0.5, own == other);
}

// ∂(u ⊕ v)/∂u (operand 0) or ∂/∂v (operand 1) given fy = u ⊕ v
fn partial(u: f32, v: f32, fy: f32) -> f32 {
  let wrt_u = operand == 0u;
  switch op {
    case 1u: { return select(-1.0, 1.0, wrt_u); }               // d(u − v) = du − dv
    case 2u: { return select(u, v, wrt_u); }                     // d(uv) = v du + u dv
    case 3u: {                                                   // d(u/v) = du/v − (u/v²) dv
      if (wrt_u) { return div_ieee(1.0, v); }
      return -div_ieee(fy, v);
    }
    case 4u: {                                      // d(uᵛ) = v uᵛ⁻¹ du + uᵛ log(u) dv
      if (wrt_u) { return select(v * pow_real(u, v - 1.0), 0.0, v == 0.0); }
      return select(fy * log_ieee(u), 0.0, u == 0.0 && v >= 0.0);  // 0 at u = 0 as PyTorch
    }
    case 5u: {                                      // the selected side of minimum
      if (wrt_u) { return selected_share(u, v, u < v); }
      return selected_share(v, u, v < u);
    }
    case 6u: {                                      // the selected side of maximum
      if (wrt_u) { return selected_share(u, v, u > v); }
      return selected_share(v, u, v > u);
    }
    default: { return 1.0; }                                     // d(u + v) = du + dv
  }
}

// (ia, ib, ic) for result element i: peel the coordinates off i, innermost dim first.
// The coordinate of dim `axis` (size, strides) in `rest`, times the strides; rest becomes
// the index over the outer dims.
fn peel(rest: ptr<function, u32>, axis: vec4u) -> vec3u {
  let q = *rest / axis.x;
  let c = *rest - q * axis.x;
  *rest = q;
  return c * axis.yzw;
}

// (ia, ib, ic) for result element i: peel the coordinates off i, innermost dim first. The
// dims are indexed by constants (SwiftShader turns a loop over a uniform array into gathers
// that cost more than the arithmetic), and the outermost needs no division.
fn offsets(i: u32) -> vec3u {
  var rest = i;
  var off = vec3u(0u);
  if (dims.rank > 1u) { off += peel(&rest, dims.axes[0]); }
  if (dims.rank > 2u) { off += peel(&rest, dims.axes[1]); }
  if (dims.rank > 3u) { off += peel(&rest, dims.axes[2]); }
  if (dims.rank > 4u) { off += peel(&rest, dims.axes[3]); }
  if (dims.rank > 5u) { off += peel(&rest, dims.axes[4]); }
  return off + rest * dims.outer.yzw;
}

@compute @workgroup_size(workgroup_size)
fn binary4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= (dims.len + 3u) / 4u) { return; }
  out4[i] = combine4(a4[i], b4[i]);
}

// Four results per invocation when the innermost dim is a multiple of 4 and each operand
// walks it with stride 1 (a vec4 load: its other strides are multiples of 4 too) or 0 (one
// value, splat): a bias row, a column, a scalar. One offsets() per four elements.
@compute @workgroup_size(workgroup_size)
fn binary_rows4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len / 4u) { return; }
  let o = offsets(4u * i);
  let inner = dims.axes[0];
  var u: vec4f;
  var v: vec4f;
  if (inner.y == 0u) { u = vec4f(a[o.x]); } else { u = a4[o.x / 4u]; }
  if (inner.z == 0u) { v = vec4f(b[o.y]); } else { v = b4[o.y / 4u]; }
  out4[i] = combine4(u, v);
}

@compute @workgroup_size(workgroup_size)
fn binary(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  let o = offsets(i);
  out[i] = combine(a[o.x], b[o.y]);
}

@compute @workgroup_size(workgroup_size)
fn binary_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  let o = offsets(i);
  let g = dy[i];
  out[i] = select(g * partial(a[o.x], b[o.y], y[i]), 0.0, g == 0.0);
}

// cond != 0 on the bits: NaN picks a (as NumPy's truth value), ±0 picks b.
fn picks_a(c: f32) -> bool {
  return (bitcast<u32>(c) & 0x7fffffffu) != 0u;
}

@compute @workgroup_size(workgroup_size)
fn where_pick(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  let o = offsets(i);
  out[i] = select(b[o.y], a[o.x], picks_a(cond[o.z]));
}

@compute @workgroup_size(workgroup_size)
fn where_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  let o = offsets(i);
  out[i] = select(0.0, dy[i], picks_a(cond[o.z]) == (operand == 0u));
}
