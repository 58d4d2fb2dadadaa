// matmul_splitk: the second pass of a split-K matmul. The first pass (matmul.wgsl,
// matmul_vec4.wgsl or matmul_tiled.wgsl with splits > 1) wrote one partial product per
// split of K; this sums them in split order and applies the epilogue:
//
//   C[z, i, j] = act(Σ_{s = 0 .. splits-1} P[z, s, i, j] + bias[j])
//
// A skinny product (M·N small, K large: dW = dZᵀ·X with K = batch, a 10-class output layer)
// has too few output tiles to fill a GPU; splitting K multiplies the parallelism by `splits`.
// The sum runs in a fixed order, one invocation per output, so results are bit-identical run
// to run (no float atomics, whose order would vary).
//
// Bindings (group 0):
//   0 dims     uniform              Dims below (count = batch * M * N)
//   1 partial  storage, read        [batch, splits, M, N]
//   2 bias     storage, read        [N]; read only when has_bias (bind any buffer otherwise)
//   3 c        storage, read_write  [batch, M, N]
// Overrides: has_bias, activation (codes of lib/activation.wgsl, leaky_relu slope
// dims.alpha), workgroup_size.
// Dispatch: ceil(count / workgroup_size) workgroups, folded into (x, y) past 65535.

struct Dims {
  count: u32,     // batch * M * N
  mn: u32,        // M * N
  N: u32,
  splits: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

override has_bias: bool = false;
override activation: u32 = 0u;
override workgroup_size: u32 = 64u;

@compute @workgroup_size(workgroup_size)
fn combine(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * workgroup_size;
  if (i >= dims.count) { return; }
  let z = i / dims.mn;
  let e = i % dims.mn;
  var p = (z * dims.splits) * dims.mn + e;
  var acc = 0.0;
  for (var s = 0u; s < dims.splits; s++) {
    acc += partial[p];
    p += dims.mn;
  }
  if (has_bias) { acc += bias[e % dims.N]; }
  c[i] = activate(acc, activation, dims.alpha);
}
