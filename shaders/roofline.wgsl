// Roofline microkernels: the two ceilings of the roofline model, measured on the adapter at
// hand by bench/roofline.ts (the benchmark page and `npm run bench` place every case under them).
//
//   peak_fma_chains:   each invocation runs CHAINS = 8 independent vec4 chains
//                acc = acc * a + b for `iterations` steps, then writes the sum of its chains to
//                out[i]: 2 · 4 · CHAINS · iterations FLOP per invocation. Written as a
//                multiply-add, as the matmul kernels accumulate (GPU compilers contract it into
//                one FMA; the `fma()` builtin is emulated exactly, and slowly, by SwiftShader).
//                Independent chains hide the latency, which is what a GPU needs; a and b come
//                from the uniform so nothing folds at compile time, and the store keeps the
//                chains alive. With a = 0.999, b = 0.001 the values stay near 1.
//   peak_fma_products: each invocation keeps PRODUCTS = 3 mat4x4 accumulators and adds
//                b_j · x to accumulator j every step, as a register-tiled matmul does:
//                2 · 64 · PRODUCTS · iterations FLOP counted per invocation. The products do
//                not depend on the accumulators, so only the adds are chained. x moves every
//                step (x = x · a + b: 32 more FLOP a step, not counted, so this slightly
//                understates the rate) and no product can be hoisted out of the loop. This is
//                the form a CPU implementation runs fastest: on SwiftShader the chains above
//                are latency-bound and measure ~0.4x of it. The FMA roof is the faster of the two.
//   stream_copy: dst[i] = src[i] over `count` vec4s, `copies` per invocation at a stride of
//                count / copies (neighbouring invocations touch neighbouring vec4s: coalesced);
//                32 bytes read + written per vec4: the streaming bandwidth a memory-bound
//                kernel can reach. Several copies per invocation keep the per-invocation cost
//                (large on SwiftShader) from standing in for the bandwidth.
//   stream_read: dst[i] = the sum of `reads` vec4s of src at a stride of count / reads: the
//                bandwidth of a kernel that only reads (a reduction). 16 bytes read per vec4
//                and 16 written per `reads` vec4s, both counted.
//
// Bindings (group 0): dims uniform { iterations, count, a, b }
//   peak_fma_*:  out: array<vec4<f32>> read_write [count]
//   stream_*:    src: array<vec4<f32>> read [count], dst: array<vec4<f32>> read_write
//                [count] (stream_read writes the first count / reads)
// Dispatch: peak_fma_*: ceil(count / workgroup_size) workgroups along x; stream_copy:
// ceil(count / copies / workgroup_size) (count a multiple of copies), stream_read the same
// with `reads`; ≤ 65535 workgroups.
// Workgroup size: `workgroup_size` override, default 256 (a multiple of every vendor's warp).

struct Dims {
  iterations: u32,
  count: u32,
  a: f32,
  b: f32,
}

override workgroup_size: u32 = 256;
override copies: u32 = 4;
override reads: u32 = 16;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dst: array<vec4<f32>>;

// CHAINS = 8 accumulators written out as variables, not an array indexed in a loop: a
// compiler that does not unroll that loop would keep the array in memory and measure loads.
@compute @workgroup_size(workgroup_size)
fn peak_fma_chains(@builtin(global_invocation_id) gid: vec3<u32>) {
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

// PRODUCTS = 3 accumulators (48 values) measured fastest on SwiftShader (2 and 4 close
// behind, 6 slower: spills); a GPU runs 48 + 48 + 16 registers an invocation easily.
@compute @workgroup_size(workgroup_size)
fn peak_fma_products(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= dims.count) {
    return;
  }
  let b = vec4<f32>(dims.b);
  let step = mat4x4<f32>(b, b, b, b);
  var x = mat4x4<f32>(vec4<f32>(f32(i % 7u)), vec4<f32>(dims.a), b, vec4<f32>(dims.a) + b);
  // three unrelated matrices: no product is a multiple of another, which a compiler could share
  let b0 = x * 0.5;
  let b1 = transpose(x) * 0.25;
  let b2 = (x + step) * 0.125;
  var m0 = mat4x4<f32>();
  var m1 = mat4x4<f32>();
  var m2 = mat4x4<f32>();
  for (var k = 0u; k < dims.iterations; k++) {
    x = x * dims.a + step;
    m0 += b0 * x;
    m1 += b1 * x;
    m2 += b2 * x;
  }
  let m = m0 + m1 + m2;
  out[i] = (m[0] + m[1]) + (m[2] + m[3]);
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

@compute @workgroup_size(workgroup_size)
fn stream_read(@builtin(global_invocation_id) gid: vec3<u32>) {
  let stride = dims.count / reads;
  if (gid.x >= stride) {
    return;
  }
  var sum = vec4<f32>();
  for (var k = 0u; k < reads; k++) {
    sum += src[gid.x + k * stride];
  }
  dst[gid.x] = sum;
}
