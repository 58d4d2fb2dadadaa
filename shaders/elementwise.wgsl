// Elementwise kernels over flat f32 arrays (links lib/float, lib/index, lib/activation and
// lib/unary). Binary and ternary ops, which broadcast, live in broadcast.wgsl.
//
//   unary4:      out[i] = f(x[i])          f = math function `math_fn` (lib/unary.wgsl) when
//                                          nonzero, else activation `kind` (lib/activation.wgsl)
//   scale4:      out[i] = alpha * x[i]
//   unary_grad:  out[i] = dy[i] * f'(x[i], y[i])   (diagonal Jacobian of f), and exactly 0
//                where dy[i] = 0, so an inf or NaN f' in positions that a where() masked out
//                never reaches the gradient (0 * inf would be NaN)
//   accumulate:  acc[i] = acc[i] + x[i]     (in place: a running loss sum)
// The *4 entry points do four elements per invocation through vec4 views of the buffers
// (x4, out4): a vec4 load costs about what a scalar load costs on SwiftShader, so that is ~4x
// fewer loads. The last vec4 may reach past `len` into the buffer's padding (pool buffers are
// multiples of 256 bytes): those lanes are computed and stored there, unused.
//
// Bindings (group 0): dims uniform; inputs are read-only storage, outputs read_write.
//   unary4, scale4: x4, out4 [ceil(len/4)]
//   unary_grad: x [len], y [len], dy [len], out [len]      accumulate: x [len], acc [len]
// Dispatch: ceil(n / workgroup_size) workgroups with n = len (or ceil(len/4) for the vec4
// entry points), folded into (x, y) when over 65535;
// index = gid.x + gid.y * num_workgroups.x * workgroup_size.

struct Dims {
  len: u32,
  alpha: f32,          // leaky relu slope; the factor of `scale`; clip's lower bound
  beta: f32,           // clip's upper bound
  grad_at_zero: f32,   // relu/leaky relu subgradient at exactly 0 (0 or 1)
}

override workgroup_size: u32 = 256;
override kind: u32 = 0;      // activation kind, see lib/activation.wgsl (when math_fn is 0)
override math_fn: u32 = 0;   // math function, see lib/unary.wgsl; 0: use the activation

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> x4: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> acc: array<f32>;

fn apply(z: f32) -> f32 {
  if (math_fn != 0u) { return unary_math(z, math_fn, dims.alpha, dims.beta); }
  return activate(z, kind, dims.alpha);
}

fn apply_derivative(z: f32, fz: f32) -> f32 {
  if (math_fn != 0u) { return unary_math_derivative(z, fz, math_fn, dims.alpha, dims.beta); }
  return activation_derivative(z, fz, kind, dims.alpha, dims.grad_at_zero);
}

fn vec4_count() -> u32 {
  return (dims.len + 3u) / 4u;
}

@compute @workgroup_size(workgroup_size)
fn unary_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  let g = dy[i];
  out[i] = select(g * apply_derivative(x[i], y[i]), 0.0, g == 0.0);
}

@compute @workgroup_size(workgroup_size)
fn unary4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= vec4_count()) { return; }
  let v = x4[i];
  out4[i] = vec4f(apply(v.x), apply(v.y), apply(v.z), apply(v.w));
}

@compute @workgroup_size(workgroup_size)
fn scale4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= vec4_count()) { return; }
  out4[i] = dims.alpha * x4[i];
}

@compute @workgroup_size(workgroup_size)
fn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  acc[i] = acc[i] + x[i];
}
