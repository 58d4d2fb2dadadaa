// Elementwise kernels over flat f32 arrays (links lib/float, lib/index and lib/activation).
//
//   unary4:      out[i] = f(x[i])                          (f = activation `kind`)
//   scale4:      out[i] = alpha * x[i]
//   binary4:     out[i] = a[i] (+, − or *) b[i]             (equal lengths)
//   binary:      out[i] = a[i % a_len] (+, − or *) b[i % b_len]  (trailing broadcast: a row
//                vector or a scalar repeats over the rows of the larger operand)
//   unary_grad:  out[i] = dy[i] * f'(x[i], y[i])           (diagonal Jacobian of f)
//   accumulate:  acc[i] = acc[i] + x[i]                     (in place: a running loss sum)
// The *4 entry points do four elements per invocation through vec4 views of the buffers
// (x4, a4, b4, out4): a vec4 load costs about what a scalar load costs on SwiftShader, so
// that is ~4x fewer loads. The last vec4 may reach past `len` into the buffer's padding (pool
// buffers are multiples of 256 bytes): those lanes are computed and stored there, unused.
//
// Bindings (group 0): dims uniform; inputs are read-only storage, outputs read_write.
//   unary4, scale4: x4, out4 [ceil(len/4)]
//   unary_grad: x [len], y [len], dy [len], out [len]      accumulate: x [len], acc [len]
//   binary:     a [a_len], b [b_len], out [len]   binary4: a4, b4, out4 [ceil(len/4)]
// Dispatch: ceil(n / workgroup_size) workgroups with n = len (or ceil(len/4) for the vec4
// entry points), folded into (x, y) when over 65535;
// index = gid.x + gid.y * num_workgroups.x * workgroup_size.

struct Dims {
  len: u32,
  a_len: u32,
  b_len: u32,
  alpha: f32,          // leaky relu slope; the factor of `scale`
  grad_at_zero: f32,   // relu/leaky relu subgradient at exactly 0 (0 or 1)
}

override workgroup_size: u32 = 256;
override kind: u32 = 0;        // activation kind, see lib/activation.wgsl
override binary_op: u32 = 0;   // 0 add, 1 sub, 2 mul

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> a: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read> x4: array<vec4f>;
@group(0) @binding(8) var<storage, read> a4: array<vec4f>;
@group(0) @binding(9) var<storage, read> b4: array<vec4f>;
@group(0) @binding(10) var<storage, read_write> out4: array<vec4f>;
@group(0) @binding(11) var<storage, read_write> acc: array<f32>;

fn combine(u: vec4f, v: vec4f) -> vec4f {
  switch binary_op {
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    default: { return u + v; }
  }
}

fn activate4(v: vec4f) -> vec4f {
  return vec4f(activate(v.x, kind, dims.alpha), activate(v.y, kind, dims.alpha),
               activate(v.z, kind, dims.alpha), activate(v.w, kind, dims.alpha));
}

@compute @workgroup_size(workgroup_size)
fn unary_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  out[i] = dy[i] * activation_derivative(x[i], y[i], kind, dims.alpha, dims.grad_at_zero);
}

@compute @workgroup_size(workgroup_size)
fn binary(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  out[i] = combine(vec4f(a[i % dims.a_len]), vec4f(b[i % dims.b_len])).x;
}

fn vec4_count() -> u32 {
  return (dims.len + 3u) / 4u;
}

@compute @workgroup_size(workgroup_size)
fn unary4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= vec4_count()) { return; }
  out4[i] = activate4(x4[i]);
}

@compute @workgroup_size(workgroup_size)
fn scale4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= vec4_count()) { return; }
  out4[i] = dims.alpha * x4[i];
}

@compute @workgroup_size(workgroup_size)
fn binary4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= vec4_count()) { return; }
  out4[i] = combine(a4[i], b4[i]);
}

@compute @workgroup_size(workgroup_size)
fn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  acc[i] = acc[i] + x[i];
}
