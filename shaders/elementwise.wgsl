// Elementwise kernels over flat f32 arrays (links lib/activation.wgsl).
//
//   unary:       out[i] = f(x[i])                          (f = activation `kind`)
//   unary_grad:  out[i] = dy[i] * f'(x[i], y[i])           (diagonal Jacobian of f)
//   scale:       out[i] = alpha * x[i]
//   binary:      out[i] = a[i % a_len] (+, − or *) b[i % b_len]  (trailing broadcast: a row
//                vector or a scalar repeats over the rows of the larger operand)
//
// Bindings (group 0): dims uniform; inputs are read-only storage, `out` is read_write.
//   unary, scale: x [len], out [len]
//   unary_grad: x [len], y [len], dy [len], out [len]
//   binary:     a [a_len], b [b_len], out [len]
// Dispatch: ceil(len / workgroup_size) workgroups, folded into (x, y) when over 65535;
// one invocation per element, index = gid.x + gid.y * num_workgroups.x * workgroup_size.

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

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * workgroup_size;
}

@compute @workgroup_size(workgroup_size)
fn unary(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  out[i] = activate(x[i], kind, dims.alpha);
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
  let u = a[i % dims.a_len];
  let v = b[i % dims.b_len];
  switch binary_op {
    case 1u: { out[i] = u - v; }
    case 2u: { out[i] = u * v; }
    default: { out[i] = u + v; }
  }
}

@compute @workgroup_size(workgroup_size)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  out[i] = dims.alpha * x[i];
}
