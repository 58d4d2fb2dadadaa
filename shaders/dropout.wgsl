// dropout: inverted dropout with a counter-based generator (CPU twin: src/cpu/dropout.ts,
// which draws the same mask bit for bit).
//
//   u_i = pcg2d(i, seed).x       keep_i = (u_i >> 8) >= threshold,  threshold = floor(rate·2^24)
//   y_i = keep_i ? x_i · scale : 0,   scale = f32(1 / (1 − rate))  (0 when rate = 1)
//
// pcg2d is Jarzynski & Olano's 2-D hash ("Hash Functions for GPU Rendering", JCGT 2020):
// u32 multiply-adds and xor-shifts only, so every implementation gets the same bits. The mask
// is a function of (element index, seed): nothing is stored, and the backward pass (the same
// mask applied to dy) is this kernel run on dy with the same seed. A dropped element is 0 even
// if x is NaN or inf (select, not a multiply by 0).
//
// Bindings (group 0): dims uniform; x read [len]; y read_write [len].
// Dispatch: ceil(len / workgroup_size) workgroups folded into (x, y) past 65535
// (index = gid.x + gid.y · num_workgroups.x · workgroup_size). workgroup_size: override.
// Linked: lib/index (flat_index).

struct Dims {
  len: u32,
  seed: u32,
  threshold: u32,
  scale: f32,
}

override workgroup_size: u32 = 256;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn pcg2d(key: vec2u) -> vec2u {
  var v = key * 1664525u + 1013904223u;
  v.x += v.y * 1664525u;
  v.y += v.x * 1664525u;
  v = v ^ (v >> vec2u(16u));
  v.x += v.y * 1664525u;
  v.y += v.x * 1664525u;
  v = v ^ (v >> vec2u(16u));
  return v;
}

@compute @workgroup_size(workgroup_size)
fn dropout(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= dims.len) { return; }
  let keep = (pcg2d(vec2u(i, dims.seed)).x >> 8u) >= dims.threshold;
  y[i] = select(0.0, x[i] * dims.scale, keep);
}
