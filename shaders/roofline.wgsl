// Roofline microkernels: the two ceilings of the roofline model, measured on the adapter at
// hand by bench/roofline.ts (the benchmark page and `npm run bench` place every case under them).
//
//   peak_fma:    each invocation runs CHAINS = 8 independent vec4 chains acc = acc * a + b
//                for `iterations` steps, then writes the sum of its chains to out[i]:
//                2 · 4 · CHAINS · iterations FLOP per invocation. Written as a multiply-add,
//                as the matmul kernels accumulate (GPU compilers contract it into one FMA;
//                the `fma()` builtin is emulated exactly, and slowly, by SwiftShader).
//                Independent chains hide the latency (one chain would measure latency, not
//                throughput); a and b come from the uniform so nothing folds at compile
//                time, and the store keeps the chains alive. With a = 0.999, b = 0.001 the
//                accumulators stay near 1 (no overflow, no denormals).
//   stream_copy: dst[i] = src[i] over `count` vec4s, `copies` per invocation at a stride of
//                count / copies (neighbouring invocations touch neighbouring vec4s: coalesced);
//                32 bytes read + written per vec4: the streaming bandwidth a memory-bound
//                kernel can reach. Several copies per invocation keep the per-invocation cost
//                (large on SwiftShader) from standing in for the bandwidth.
//
// Bindings (group 0): dims uniform { iterations, count, a, b }
//   peak_fma:    out: array<vec4<f32>> read_write [count]
//   stream_copy: src: array<vec4<f32>> read [count], dst: array<vec4<f32>> read_write [count]
// Dispatch: peak_fma: ceil(count / workgroup_size) workgroups along x; stream_copy:
// ceil(count / copies / workgroup_size) (count a multiple of copies); ≤ 65535 workgroups.
// Workgroup size: `workgroup_size` override, default 256 (a multiple of every vendor's warp).

struct Dims {
  iterations: u32,
  count: u32,
  a: f32,
  b: f32,
}

override workgroup_size: u32 = 256;
override copies: u32 = 4;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dst: array<vec4<f32>>;

// CHAINS = 8 accumulators written out as variables, not an array indexed in a loop: a
// compiler that does not unroll that loop would keep the array in memory and measure loads.
@compute @workgroup_size(workgroup_size)
fn peak_fma(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= dims.count) {
    return;
  }
  let a = vec4<f32>(dims.a);
  let b = vec4<f32>(dims.b);
  let seed = f32(i % 7u);
  var c0 = vec4<f32>(seed, 0.0, 0.5, 0.25);
  var c1 = c0 + 1.0;
  var c2 = c0 + 2.0;
  var c3 = c0 + 3.0;
  var c4 = c0 + 4.0;
  var c5 = c0 + 5.0;
  var c6 = c0 + 6.0;
  var c7 = c0 + 7.0;
  for (var k = 0u; k < dims.iterations; k++) {
    c0 = c0 * a + b;
    c1 = c1 * a + b;
    c2 = c2 * a + b;
    c3 = c3 * a + b;
    c4 = c4 * a + b;
    c5 = c5 * a + b;
    c6 = c6 * a + b;
    c7 = c7 * a + b;
  }
  out[i] = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
}

@compute @workgroup_size(workgroup_size)
fn stream_copy(@builtin(global_invocation_id) gid: vec3<u32>) {
  let stride = dims.count / copies;
  if (gid.x >= stride) {
    return;
  }
  for (var k = 0u; k < copies; k++) {
    let i = gid.x + k * stride;
    dst[i] = src[i];
  }
}
