// Debug check for EngineOptions.checkFinite: after each op, flag a NaN or ±inf in its output.
//
//   check:  health[0] = min(health[0], dims.seq)  if any x[i], i < len, is NaN or ±inf
//
// seq numbers the ops in the order they ran (src/engine.ts keeps what each number was), so
// after any number of ops health[0] names the first one that produced a non-finite value;
// atomicMin makes that independent of thread order. health[0] = 0xffffffff: none yet.
// The test is on the bits (is_finite, lib/float.wgsl): WGSL lets compilers assume finite floats.
//
// Bindings (group 0): dims uniform { len, seq }; x read-only storage [len] (a pool buffer may
// be longer: the rest is not looked at); health read_write storage [1] atomic u32.
// Dispatch: ceil(len / workgroup_size) workgroups, folded into (x, y) past 65535 (flat_index).

struct Dims {
  len: u32,
  seq: u32,
}

override workgroup_size: u32 = 256;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> health: array<atomic<u32>>;

@compute @workgroup_size(workgroup_size)
fn check(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < dims.len && !is_finite(x[i])) {
    atomicMin(&health[0], dims.seq);
  }
}
