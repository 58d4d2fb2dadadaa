// Row reductions for kernels that give each row of a [rows, cols] view to one workgroup
// (softmax.wgsl, loss.wgsl): a strided per-invocation fold, then a fixed workgroup tree.
// Linked (prepended) into those families, which must declare what this uses:
//   override workgroup_size: u32  (a power of two: the trees halve it)
//   dims.cols                     (the row length, in the family's Dims uniform)
//   x: array<f32>                 (the rows that strided_max scans)

const LOWEST: f32 = -0x1.fffffep+127f;  // -FLT_MAX: the max of a row of all -inf stays here

// NaN or +inf: the entries that make a row NaN (as in src/cpu/softmax.ts). Tested on the
// bits, since WGSL lets compilers assume that floats are finite.
fn poisons(a: f32) -> bool {
  let b = bitcast<u32>(a);
  return (b & 0x7f800000u) == 0x7f800000u && b != 0xff800000u;
}

fn is_nan(a: f32) -> bool {
  return (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u;
}

// Whether a is exactly ±0 or exactly 1, on the bits: `a != 0.0` is false for a NaN once
// compiled with finite-math assumptions, which would skip (and so drop) a NaN term.
fn is_zero(a: f32) -> bool {
  return (bitcast<u32>(a) & 0x7fffffffu) == 0u;
}

fn is_one(a: f32) -> bool {
  return bitcast<u32>(a) == 0x3f800000u;
}

// A quiet NaN (from a runtime value: a NaN constant expression is a shader-creation error).
fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// (max, poison flag) over this invocation's strided part of the row starting at base
fn strided_max(base: u32, t: u32) -> vec2f {
  var m = vec2f(LOWEST, 0.0);
  for (var j = t; j < dims.cols; j += workgroup_size) {
    let a = x[base + j];
    if (a > m.x) { m.x = a; }
    if (poisons(a)) { m.y = 1.0; }
  }
  return m;
}

var<workgroup> scratch: array<vec2f, workgroup_size>;

// Workgroup max of each invocation's pair `a`, per component (call from uniform control
// flow; every invocation gets the result). The trailing barrier frees `scratch` for reuse.
fn tree_max(t: u32, a: vec2f) -> vec2f {
  scratch[t] = a;
  workgroupBarrier();
  for (var s = workgroup_size / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      let o = scratch[t + s];
      scratch[t] = select(scratch[t], o, o > scratch[t]);
    }
    workgroupBarrier();
  }
  let r = scratch[0];
  workgroupBarrier();
  return r;
}

fn tree_sum2(t: u32, a: vec2f) -> vec2f {
  scratch[t] = a;
  workgroupBarrier();
  for (var s = workgroup_size / 2u; s > 0u; s >>= 1u) {
    if (t < s) { scratch[t] += scratch[t + s]; }
    workgroupBarrier();
  }
  let r = scratch[0];
  workgroupBarrier();
  return r;
}

fn tree_sum(t: u32, a: f32) -> f32 {
  return tree_sum2(t, vec2f(a, 0.0)).x;
}

fn row_index(wid: vec3u, groups: vec3u) -> u32 {
  return wid.x + wid.y * groups.x;
}
