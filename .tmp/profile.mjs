// src/ops/tensor.ts
var Storage = class {
  constructor(handle) {
    this.handle = handle;
  }
  handle;
  /** Live (not yet disposed) tensors on this storage. */
  refs = 1;
};
var nextTensorId = 1;
var Tensor = class {
  constructor(host, storage, shape) {
    this.host = host;
    this.shape = shape;
    this.size = shapeSize(shape);
    this.storageRef = storage;
  }
  host;
  shape;
  id = nextTensorId++;
  size;
  storageRef;
  /** Tensors owned by this one (an op's saved auxiliaries), disposed with it. */
  owned = [];
  get rank() {
    return this.shape.length;
  }
  get isDisposed() {
    return this.storageRef === null;
  }
  /** The storage; throws if the tensor was disposed. `op` names the caller in the error. */
  storage(op) {
    if (!this.storageRef) throw new Error(`${op}: tensor #${this.id} of shape [${this.shape.join(", ")}] was disposed`);
    return this.storageRef;
  }
  /** Copies the values to the CPU (a GPU readback on 'webgpu'). */
  async read() {
    this.storage("read");
    return this.host.readTensor(this);
  }
  /** The values at full precision: f64 on the CPU engine in 'f64' mode, else f32 widened. */
  async readF64() {
    this.storage("readF64");
    return this.host.readTensorF64(this);
  }
  /** Frees the tensor (its storage goes back to the pool once no view shares it).
   *  Disposing twice is a no-op. */
  dispose() {
    if (!this.storageRef) return;
    if (!this.host.releaseTensor(this)) return;
    this.storageRef = null;
    for (const t of this.owned) t.dispose();
  }
  toString() {
    return `Tensor#${this.id}[${this.shape.join(", ")}]`;
  }
};
function shapeSize(shape) {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
function fmt(shape) {
  return `[${shape.join(", ")}]`;
}
function sameShape(a, b) {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
function checkShape(op, shape) {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of dimensions, got ${String(shape)}`);
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: shape ${fmt(shape)} has dimension ${String(d)}; dimensions must be non-negative integers`);
    }
  }
}

// src/cpu/backend.ts
var CpuBackend = class {
  constructor(precision) {
    this.precision = precision;
  }
  precision;
  name = "cpu";
  adapter = "cpu (reference backend)";
  adapterReport = null;
  device = null;
  counters = { dispatches: 0, submits: 0, readbacks: 0 };
  alloc(_op, shape) {
    return new Float64Array(shapeSize(shape));
  }
  free() {
  }
  run(op, inputs, inShapes, outShapes, attrs) {
    const outputs = op.cpu(inputs, inShapes, attrs);
    this.counters.dispatches++;
    outputs.forEach((data, i) => {
      const want = shapeSize(outShapes[i]);
      if (data.length !== want) throw new Error(`${op.name}: the CPU reference returned ${data.length} values for output ${i} of shape ${fmt(outShapes[i])}`);
      this.round(data);
    });
    return outputs;
  }
  update(op, targets, inputs, _shapes, attrs) {
    op.cpu(targets, inputs, attrs);
    targets.forEach((t) => this.round(t));
    this.counters.dispatches++;
  }
  write(data, values) {
    data.set(values);
    this.round(data);
  }
  async read(data, size, beforeSubmit) {
    this.counters.readbacks++;
    const out = Float32Array.from(data.subarray(0, size));
    beforeSubmit?.();
    return out;
  }
  async readF64(data, size) {
    return data.slice(0, size);
  }
  flush() {
  }
  async sync() {
  }
  stats() {
    return { pool: null, queue: { ...this.counters } };
  }
  destroy() {
  }
  round(data) {
    if (this.precision === "f64") return;
    for (let j = 0; j < data.length; j++) data[j] = Math.fround(data[j]);
  }
};

// src/gpu/device.ts
var NO_ADAPTER_HELP = "createEngine({ backend: 'webgpu' }): no WebGPU adapter is available. Use createEngine({ backend: 'cpu' }) for the CPU reference backend, or enable WebGPU: in Chrome/Edge it is on by default (chrome://gpu shows its status); on Linux without a GPU, install chromium and libvulkan1 and run with VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (SwiftShader).";
function describeAdapter(adapter, device) {
  const info = adapter?.info ?? device.adapterInfo;
  const vendor = info?.vendor ?? "";
  const architecture = info?.architecture ?? "";
  const name = info?.device ?? "";
  const description = info?.description ?? "";
  const text = `${vendor} ${architecture} ${name} ${description}`.toLowerCase();
  const isFallback = info?.isFallbackAdapter === true;
  return {
    vendor,
    architecture,
    device: name,
    description,
    isSoftware: isFallback || /swiftshader|llvmpipe|lavapipe|software|warp/.test(text)
  };
}
function formatAdapter(r) {
  const parts = [r.vendor, r.architecture, r.device, r.description].filter((s) => s.length > 0);
  const name = parts.length > 0 ? [...new Set(parts)].join(" / ") : "unknown adapter";
  return r.isSoftware ? `${name} (software)` : name;
}
var SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
async function useSwiftShaderWithoutGpu() {
  if (process.platform !== "linux" || process.env.VK_ICD_FILENAMES) return;
  const fsName = "node:fs";
  const fs = await import(
    /* @vite-ignore */
    fsName
  );
  const hasGpu = fs.existsSync("/dev/dri") && fs.readdirSync("/dev/dri").some((f) => f.startsWith("renderD"));
  if (!hasGpu && fs.existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  if (!process.env.XDG_RUNTIME_DIR) {
    const osName = "node:os";
    const os = await import(
      /* @vite-ignore */
      osName
    );
    const dir = `${os.tmpdir()}/webgrad-runtime-${process.getuid?.() ?? "user"}`;
    fs.mkdirSync(dir, { recursive: true, mode: 448 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
}
async function nodeGpu() {
  const isNode = typeof process !== "undefined" && process.versions?.node !== void 0;
  if (!isNode) return null;
  await useSwiftShaderWithoutGpu();
  const name = "webgpu";
  const module = await import(
    /* @vite-ignore */
    name
  );
  for (const [k, v] of Object.entries(module.globals)) {
    if (!(k in globalThis)) globalThis[k] = v;
  }
  return { gpu: module.create([]), module };
}
async function acquireDevice(given) {
  if (given) return { device: given, adapter: null, report: describeAdapter(null, given), keepAlive: [] };
  let gpu = typeof navigator !== "undefined" ? navigator.gpu : void 0;
  const keepAlive = [];
  if (!gpu) {
    const node = await nodeGpu().catch((err) => {
      throw new Error(`${NO_ADAPTER_HELP} (loading the 'webgpu' package failed: ${String(err)})`);
    });
    if (node) {
      gpu = node.gpu;
      keepAlive.push(node.gpu, node.module);
    }
  }
  if (!gpu) throw new Error(NO_ADAPTER_HELP);
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error(NO_ADAPTER_HELP);
  keepAlive.push(adapter);
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize
    }
  });
  return { device, adapter, report: describeAdapter(adapter, device), keepAlive };
}

// src/gpu/kernels.ts
import { WgslReflect, ResourceType } from "wgsl_reflect/wgsl_reflect.module.js";

// shaders/lib/float.wgsl
var float_default = "// Float helpers shared by the kernel families: bit tests for NaN and infinity, the lowest\n// finite f32, a NaN made at run time, and an accurate log1p. A function library, linked\n// (prepended) into the families that list it in src/gpu/shaders.ts; it declares no bindings.\n//\n// Tests are on the bits: WGSL lets compilers assume that floats are finite, so `v != v` or\n// `v == inf` may be folded away (and SwiftShader's exp(NaN) is not always NaN).\n// Parameter names (val, vals) differ from every binding name on purpose: wgsl_reflect finds\n// the bindings an entry point uses by name and does not see shadowing.\n\nconst LOWEST: f32 = -0x1.fffffep+127f;  // -FLT_MAX: a max over nothing (or all -inf) stays here\n\nfn is_nan(val: f32) -> bool {\n  return (bitcast<u32>(val) & 0x7fffffffu) > 0x7f800000u;\n}\n\n// Per lane: neither NaN nor \xB1inf.\nfn is_finite4(vals: vec4f) -> vec4<bool> {\n  return (bitcast<vec4u>(vals) & vec4u(0x7f800000u)) != vec4u(0x7f800000u);\n}\n\nfn is_finite(val: f32) -> bool {\n  return (bitcast<u32>(val) & 0x7f800000u) != 0x7f800000u;\n}\n\n// NaN or +inf: the entries that make a softmax row NaN (-inf is an ordinary logit, e^-inf = 0),\n// as in src/cpu/softmax.ts.\nfn poisons(val: f32) -> bool {\n  return !is_finite(val) && bitcast<u32>(val) != 0xff800000u;\n}\n\n// A quiet NaN (from a runtime value: a NaN constant expression is a shader-creation error).\nfn nan_f32() -> f32 {\n  var bits = 0x7fc00000u;\n  return bitcast<f32>(bits);\n}\n\n// log(1 + val) for val > -1. WGSL only promises log an absolute error of 2^-21 near 1, so\n// small |val| use the series val \u2212 val\xB2/2 + \u2026 (relative error < 1e-8 for |val| < 1/16).\nfn log1p(val: f32) -> f32 {\n  if (abs(val) < 0.0625) {\n    return val * (1.0 + val * (-1.0 / 2.0 + val * (1.0 / 3.0 + val * (-1.0 / 4.0 + val * (0.2 - val / 6.0)))));\n  }\n  return log(1.0 + val);\n}\n";

// shaders/lib/index.wgsl
var lib_default = "// Indices over 1-D work folded into a 2-D grid past 65535 workgroups (grid1d in\n// src/gpu/queue.ts): extra invocations or workgroups get indices past the end and exit.\n// Linked into families that declare `override workgroup_size: u32`.\n\n// The invocation's element index: gid.x + gid.y \xB7 (invocations per grid row)\nfn flat_index(gid: vec3u, groups: vec3u) -> u32 {\n  return gid.x + gid.y * groups.x * workgroup_size;\n}\n\n// The workgroup's index (one workgroup per row or per output)\nfn group_index(wid: vec3u, groups: vec3u) -> u32 {\n  return wid.x + wid.y * groups.x;\n}\n";

// shaders/lib/tree.wgsl
var tree_default = "// Workgroup trees: combine one value per invocation in a fixed order (deterministic: same\n// input, bit-identical result; no atomics). Linked into families that declare\n// `override workgroup_size: u32` (a power of two: the trees halve it). Call from uniform\n// control flow; every invocation gets the result, and the trailing barrier frees `scratch`\n// for the next tree.\n\nvar<workgroup> scratch: array<vec2f, workgroup_size>;\n\n// Per-component maximum of each invocation's pair `val`\nfn tree_max(t: u32, val: vec2f) -> vec2f {\n  scratch[t] = val;\n  workgroupBarrier();\n  for (var s = workgroup_size / 2u; s > 0u; s >>= 1u) {\n    if (t < s) {\n      let o = scratch[t + s];\n      scratch[t] = select(scratch[t], o, o > scratch[t]);\n    }\n    workgroupBarrier();\n  }\n  let r = scratch[0];\n  workgroupBarrier();\n  return r;\n}\n\n// Per-component sum of each invocation's pair `val`: two sums for the barriers of one\nfn tree_sum2(t: u32, val: vec2f) -> vec2f {\n  scratch[t] = val;\n  workgroupBarrier();\n  for (var s = workgroup_size / 2u; s > 0u; s >>= 1u) {\n    if (t < s) { scratch[t] += scratch[t + s]; }\n    workgroupBarrier();\n  }\n  let r = scratch[0];\n  workgroupBarrier();\n  return r;\n}\n\nfn tree_sum(t: u32, val: f32) -> f32 {\n  return tree_sum2(t, vec2f(val, 0.0)).x;\n}\n";

// shaders/lib/rows.wgsl
var rows_default = "// Row passes for kernels that give each row of a [rows, cols] view to one workgroup\n// (softmax.wgsl, loss.wgsl): a strided per-invocation fold, then a workgroup tree. Linked\n// after lib/float.wgsl and lib/tree.wgsl into those families, which must declare:\n//   override workgroup_size: u32  (a power of two)\n//   dims.cols                     (the row length, in the family's Dims uniform)\n//   x: array<f32>                 (the rows)\n\n// (max, poison flag) over this invocation's strided part of the row starting at base\nfn strided_max(base: u32, t: u32) -> vec2f {\n  var m = vec2f(LOWEST, 0.0);\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    let e = x[base + j];\n    if (e > m.x) { m.x = e; }\n    if (poisons(e)) { m.y = 1.0; }\n  }\n  return m;\n}\n\n// What a stable softmax of a row needs: m = max_j x_j and s = \u03A3_j e^(x_j - m), in [1, cols]\n// unless the row is all -inf (m stays LOWEST, s = 0); poisoned when a NaN or +inf is in it.\nstruct RowStats {\n  row_max: f32,\n  sum_exp: f32,\n  poisoned: bool,\n}\n\n// The log-sum-exp pass of softmax, log-softmax and softmax cross-entropy: log \u03A3 e^x = m + log s.\nfn row_softmax_stats(base: u32, t: u32) -> RowStats {\n  let mx = tree_max(t, strided_max(base, t));\n  var s = 0.0;\n  for (var j = t; j < dims.cols; j += workgroup_size) { s += exp(x[base + j] - mx.x); }\n  return RowStats(mx.x, tree_sum(t, s), mx.y != 0.0);\n}\n";

// shaders/lib/activation.wgsl
var activation_default = "// Scalar activations and their derivatives: a function library, linked (prepended) into the\n// kernels that need it (elementwise.wgsl, matmul.wgsl), after lib/float.wgsl. It declares no\n// bindings.\n//\n// Parameter names (z, fz, t) differ from every binding name on purpose: wgsl_reflect finds\n// the bindings an entry point uses by name and does not see shadowing.\n//\n// kind: 0 identity, 1 sigmoid, 2 tanh, 3 relu, 4 leaky_relu (slope alpha), 5 softplus.\n// Every form is stable for |z| up to f32 max: exp only ever sees -|z| (WGSL's tanh and a\n// naive 1/(1+exp(-x)) overflow to NaN/inf on some drivers for |x| > ~88).\n\n// For z < 0, e/(1+e) keeps full relative precision (1 \u2212 sigmoid(|x|) would round to 0).\nfn sigmoid_stable(z: f32) -> f32 {\n  let e = exp(-abs(z));            // in (0, 1]\n  return select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);\n}\n\nfn tanh_stable(z: f32) -> f32 {\n  let ax = abs(z);\n  if (ax < 0.0625) {  // 1 \u2212 e would cancel: odd Taylor series, relative error < 1e-9\n    let z2 = z * z;\n    return z * (1.0 + z2 * (-1.0 / 3.0 + z2 * (2.0 / 15.0 - z2 * (17.0 / 315.0))));\n  }\n  let e = exp(-2.0 * ax);          // in (0, 1)\n  return sign(z) * (1.0 - e) / (1.0 + e);\n}\n\n// softplus(z) = log(1 + e^z) = max(z, 0) + log(1 + e^-|z|)\nfn softplus_stable(z: f32) -> f32 {\n  return max(z, 0.0) + log1p(exp(-abs(z)));   // log1p: lib/float.wgsl\n}\n\nfn activate(z: f32, kind: u32, alpha: f32) -> f32 {\n  switch kind {\n    case 1u: { return sigmoid_stable(z); }\n    case 2u: { return tanh_stable(z); }\n    case 3u: { return max(z, 0.0); }\n    case 4u: { return select(alpha * z, z, z > 0.0); }\n    case 5u: { return softplus_stable(z); }\n    default: { return z; }\n  }\n}\n\n// f'(z) given the input z and the output fz = f(z); each kind uses whichever is stable:\n// sigmoid fz(1-fz), tanh 1-fz^2, relu step (value at exactly 0 is grad_at_zero), leaky relu\n// 1 or alpha (at 0: alpha unless grad_at_zero is 1), softplus sigmoid(z).\nfn activation_derivative(z: f32, fz: f32, kind: u32, alpha: f32, grad_at_zero: f32) -> f32 {\n  switch kind {\n    case 1u: { return fz * (1.0 - fz); }\n    case 2u: { return 1.0 - fz * fz; }\n    case 3u: { return select(select(0.0, grad_at_zero, z == 0.0), 1.0, z > 0.0); }\n    case 4u: { return select(select(alpha, mix(alpha, 1.0, grad_at_zero), z == 0.0), 1.0, z > 0.0); }\n    case 5u: { return sigmoid_stable(z); }\n    default: { return 1.0; }\n  }\n}\n";

// shaders/elementwise.wgsl
var elementwise_default = "// Elementwise kernels over flat f32 arrays (links lib/float, lib/index and lib/activation).\n//\n//   unary4:      out[i] = f(x[i])                          (f = activation `kind`)\n//   scale4:      out[i] = alpha * x[i]\n//   binary4:     out[i] = a[i] (+, \u2212 or *) b[i]             (equal lengths)\n//   binary:      out[i] = a[i % a_len] (+, \u2212 or *) b[i % b_len]  (trailing broadcast: a row\n//                vector or a scalar repeats over the rows of the larger operand)\n//   unary_grad:  out[i] = dy[i] * f'(x[i], y[i])           (diagonal Jacobian of f)\n//   accumulate:  acc[i] = acc[i] + x[i]                     (in place: a running loss sum)\n// The *4 entry points do four elements per invocation through vec4 views of the buffers\n// (x4, a4, b4, out4): a vec4 load costs about what a scalar load costs on SwiftShader, so\n// that is ~4x fewer loads. The last vec4 may reach past `len` into the buffer's padding (pool\n// buffers are multiples of 256 bytes): those lanes are computed and stored there, unused.\n//\n// Bindings (group 0): dims uniform; inputs are read-only storage, outputs read_write.\n//   unary4, scale4: x4, out4 [ceil(len/4)]\n//   unary_grad: x [len], y [len], dy [len], out [len]      accumulate: x [len], acc [len]\n//   binary:     a [a_len], b [b_len], out [len]   binary4: a4, b4, out4 [ceil(len/4)]\n// Dispatch: ceil(n / workgroup_size) workgroups with n = len (or ceil(len/4) for the vec4\n// entry points), folded into (x, y) when over 65535;\n// index = gid.x + gid.y * num_workgroups.x * workgroup_size.\n\nstruct Dims {\n  len: u32,\n  a_len: u32,\n  b_len: u32,\n  alpha: f32,          // leaky relu slope; the factor of `scale`\n  grad_at_zero: f32,   // relu/leaky relu subgradient at exactly 0 (0 or 1)\n}\n\noverride workgroup_size: u32 = 256;\noverride kind: u32 = 0;        // activation kind, see lib/activation.wgsl\noverride binary_op: u32 = 0;   // 0 add, 1 sub, 2 mul\n\n@group(0) @binding(0) var<uniform> dims: Dims;\n@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read> y: array<f32>;\n@group(0) @binding(3) var<storage, read> dy: array<f32>;\n@group(0) @binding(4) var<storage, read> a: array<f32>;\n@group(0) @binding(5) var<storage, read> b: array<f32>;\n@group(0) @binding(6) var<storage, read_write> out: array<f32>;\n@group(0) @binding(7) var<storage, read> x4: array<vec4f>;\n@group(0) @binding(8) var<storage, read> a4: array<vec4f>;\n@group(0) @binding(9) var<storage, read> b4: array<vec4f>;\n@group(0) @binding(10) var<storage, read_write> out4: array<vec4f>;\n@group(0) @binding(11) var<storage, read_write> acc: array<f32>;\n\nfn combine(u: vec4f, v: vec4f) -> vec4f {\n  switch binary_op {\n    case 1u: { return u - v; }\n    case 2u: { return u * v; }\n    default: { return u + v; }\n  }\n}\n\nfn activate4(v: vec4f) -> vec4f {\n  return vec4f(activate(v.x, kind, dims.alpha), activate(v.y, kind, dims.alpha),\n               activate(v.z, kind, dims.alpha), activate(v.w, kind, dims.alpha));\n}\n\n@compute @workgroup_size(workgroup_size)\nfn unary_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i >= dims.len) { return; }\n  out[i] = dy[i] * activation_derivative(x[i], y[i], kind, dims.alpha, dims.grad_at_zero);\n}\n\n@compute @workgroup_size(workgroup_size)\nfn binary(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i >= dims.len) { return; }\n  out[i] = combine(vec4f(a[i % dims.a_len]), vec4f(b[i % dims.b_len])).x;\n}\n\nfn vec4_count() -> u32 {\n  return (dims.len + 3u) / 4u;\n}\n\n@compute @workgroup_size(workgroup_size)\nfn unary4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i >= vec4_count()) { return; }\n  out4[i] = activate4(x4[i]);\n}\n\n@compute @workgroup_size(workgroup_size)\nfn scale4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i >= vec4_count()) { return; }\n  out4[i] = dims.alpha * x4[i];\n}\n\n@compute @workgroup_size(workgroup_size)\nfn binary4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i >= vec4_count()) { return; }\n  out4[i] = combine(a4[i], b4[i]);\n}\n\n@compute @workgroup_size(workgroup_size)\nfn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i >= dims.len) { return; }\n  acc[i] = acc[i] + x[i];\n}\n";

// shaders/reduce.wgsl
var reduce_default = "// Reductions over the middle axis of a tensor viewed as [outer, len, inner], and their\n// gradients. axis 0 of a matrix is (1, M, N): column sums, the bias gradient; the last axis\n// is (M, N, 1): row sums; everything is (1, size, 1): the loss.\n//\n//   reduce_sum:  out[o, c, i] = scale * \u03A3_{k in chunk c} x[o, k, i]  (scale 1: sum, 1/len: mean)\n//                chunk c covers k in [c\xB7chunk, min((c+1)\xB7chunk, len)), c < chunks; with\n//                chunks = 1 this is the whole axis. A long axis with few outputs is reduced in\n//                two passes (chunks > 1, then the partials), so many workgroups share the work.\n//   reduce_sum4: the same for inner = 1 and len, chunk multiples of 4, through vec4 loads.\n//   reduce_max:  out[o, i] = max_k x[o, k, i];  arg[o, i] = first k attaining it (as f32);\n//                a NaN is the maximum (the first NaN), as in PyTorch and the CPU reference\n//   broadcast:   out[o, k, i] = scale * dy[o, i]                  (gradient of sum / mean)\n//   max_grad:    out[o, k, i] = dy[o, i] if k == arg[o, i] else 0 (subgradient of max)\n//\n// Deterministic: each output is reduced by one workgroup whose invocations each sum a fixed\n// strided subsequence, then combine in a fixed tree: same input, bit-identical output. No atomics.\n//\n// Bindings (group 0): dims uniform; x/dy/arg read-only storage; out/arg_out read_write.\n// Dispatch: reduce_*: one workgroup per output (outer*chunks*inner), folded into (x, y) past 65535;\n// broadcast, max_grad: ceil(outer*len*inner / workgroup_size) workgroups, folded likewise.\n\nstruct Dims {\n  outer: u32,\n  len: u32,\n  inner: u32,\n  scale: f32,\n  chunks: u32,   // reduce_sum only (1 elsewhere)\n  chunk: u32,    // reduce_sum only (len elsewhere)\n}\n\noverride workgroup_size: u32 = 64;\n\n@group(0) @binding(0) var<uniform> dims: Dims;\n@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read> dy: array<f32>;\n@group(0) @binding(3) var<storage, read> arg: array<f32>;\n@group(0) @binding(4) var<storage, read_write> out: array<f32>;\n@group(0) @binding(5) var<storage, read_write> arg_out: array<f32>;\n@group(0) @binding(6) var<storage, read> x4: array<vec4f>;\n\n// Linked: lib/float (is_nan, LOWEST), lib/index (flat_index, group_index), lib/tree (tree_sum).\n\n// reduce_max's tree carries an index with each value (tree_max of lib/tree.wgsl has none)\nvar<workgroup> partial: array<f32, workgroup_size>;\nvar<workgroup> partial_arg: array<u32, workgroup_size>;\n\n// Does candidate (v at index k) replace the current best (b at index bk; bk = 0xffffffff:\n// none yet)? NaN is the maximum, as in PyTorch; among equals (or NaNs) the smaller index\n// wins, so the first maximum is reported whatever order the tree meets them in.\nfn beats(v: f32, k: u32, b: f32, bk: u32) -> bool {\n  if (k == 0xffffffffu) { return false; }\n  if (bk == 0xffffffffu) { return true; }\n  if (is_nan(b)) { return is_nan(v) && k < bk; }\n  if (is_nan(v)) { return true; }\n  return v > b || (v == b && k < bk);\n}\n\n@compute @workgroup_size(workgroup_size)\nfn reduce_sum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n              @builtin(local_invocation_index) t: u32) {\n  let g = group_index(wid, groups);            // uniform across the workgroup\n  let inner = max(dims.inner, 1u);\n  let valid = g < dims.outer * dims.chunks * inner;\n  let o = g / (dims.chunks * inner);\n  let c = (g / inner) % dims.chunks;\n  let i = g % inner;\n  let end = min(dims.len, (c + 1u) * dims.chunk);\n  var acc = 0.0;\n  if (valid) {\n    for (var k = c * dims.chunk + t; k < end; k += workgroup_size) {\n      acc += x[(o * dims.len + k) * dims.inner + i];\n    }\n  }\n  write_sum(g, t, valid, acc);\n}\n\n// The workgroup's fixed tree over the invocations' partial sums; invocation 0 writes.\nfn write_sum(g: u32, t: u32, valid: bool, acc: f32) {\n  let total = tree_sum(t, acc);\n  if (t == 0u && valid) { out[g] = total * dims.scale; }\n}\n\n// reduce_sum for contiguous rows (inner = 1) with len and chunk multiples of 4: four elements\n// per load through the vec4 view x4 (a vec4 load costs about a scalar load on SwiftShader).\n@compute @workgroup_size(workgroup_size)\nfn reduce_sum4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n               @builtin(local_invocation_index) t: u32) {\n  let g = group_index(wid, groups);\n  let valid = g < dims.outer * dims.chunks;\n  let o = g / dims.chunks;\n  let c = g % dims.chunks;\n  let end = min(dims.len, (c + 1u) * dims.chunk) / 4u;\n  var acc = vec4f(0.0);\n  if (valid) {\n    let base = o * dims.len / 4u;\n    for (var k = c * dims.chunk / 4u + t; k < end; k += workgroup_size) {\n      acc += x4[base + k];\n    }\n  }\n  write_sum(g, t, valid, (acc.x + acc.y) + (acc.z + acc.w));\n}\n\n@compute @workgroup_size(workgroup_size)\nfn reduce_max(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n              @builtin(local_invocation_index) t: u32) {\n  let g = group_index(wid, groups);\n  let valid = g < dims.outer * dims.inner;\n  let o = g / max(dims.inner, 1u);\n  let i = g % max(dims.inner, 1u);\n  var best = LOWEST;\n  var best_k = 0xffffffffu;\n  if (valid) {\n    for (var k = t; k < dims.len; k += workgroup_size) {\n      let v = x[(o * dims.len + k) * dims.inner + i];\n      if (beats(v, k, best, best_k)) { best = v; best_k = k; }\n    }\n  }\n  partial[t] = best;\n  partial_arg[t] = best_k;\n  workgroupBarrier();\n  for (var s = workgroup_size / 2u; s > 0u; s >>= 1u) {\n    if (t < s) {\n      let v = partial[t + s];\n      let k = partial_arg[t + s];\n      if (beats(v, k, partial[t], partial_arg[t])) {\n        partial[t] = v;\n        partial_arg[t] = k;\n      }\n    }\n    workgroupBarrier();\n  }\n  if (t == 0u && valid) {\n    out[g] = partial[0];\n    arg_out[g] = f32(partial_arg[0]);\n  }\n}\n\n@compute @workgroup_size(workgroup_size)\nfn broadcast(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let j = flat_index(gid, groups);\n  if (j >= dims.outer * dims.len * dims.inner) { return; }\n  let o = j / (dims.len * dims.inner);\n  let i = j % dims.inner;\n  out[j] = dy[o * dims.inner + i] * dims.scale;\n}\n\n@compute @workgroup_size(workgroup_size)\nfn max_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let j = flat_index(gid, groups);\n  if (j >= dims.outer * dims.len * dims.inner) { return; }\n  let o = j / (dims.len * dims.inner);\n  let k = (j / dims.inner) % dims.len;\n  let i = j % dims.inner;\n  let r = o * dims.inner + i;\n  out[j] = select(0.0, dy[r], u32(arg[r]) == k);\n}\n";

// shaders/optimizer.wgsl
var optimizer_default = "// Optimizer updates, in place on a parameter tensor, and the on-GPU finiteness check that\n// lets training stop on a NaN/inf gradient without reading anything back each step.\n//\n//   method 0, sgd:       w \u2190 w \u2212 \u03B7 g\n//   method 1, momentum:  v \u2190 \u03BC v + g;            w \u2190 w \u2212 \u03B7 v\n//   method 2, adam:      m \u2190 \u03B21 m + (1\u2212\u03B21) g;  s \u2190 \u03B22 s + (1\u2212\u03B22) g\xB2;\n//                        w \u2190 w \u2212 \u03B7_t m / (\u221As + \u03B5_t)   with \u03B7_t = \u03B7 \u221A(1\u2212\u03B22^t)/(1\u2212\u03B21^t),\n//                        \u03B5_t = \u03B5 \u221A(1\u2212\u03B22^t)  (the bias-corrected form of Kingma & Ba, sec. 2)\n// A non-finite gradient element leaves its parameter and state untouched and records the\n// step in health[slot] (atomicMin: the first bad step wins, independent of thread order).\n//\n// Bindings (group 0):\n//   dims   uniform  { len, slot }\n//   hyper  read     [8] f32: \u03B7, \u03BC or \u03B21, \u03B22, \u03B5, 1\u2212\u03B21^t, 1\u2212\u03B22^t, step, unused (written by the\n//                   trainer each step, so one pipeline and bind group serve every step)\n//   grad   read     [len] as vec4 (check_loss: the loss, a scalar, in lane 0)\n//   param  read_write [len] as vec4\n//   state1 read_write [len] as vec4 (momentum v, adam m; unused by sgd but bound)\n//   state2 read_write [len] as vec4 (adam s)\n//   health read_write [n] atomic u32, initialised to 0xffffffff\n// Dispatch: ceil(len / 4 / workgroup_size) workgroups (four elements per invocation),\n// folded into (x, y) past 65535.\n\nstruct Dims {\n  len: u32,\n  slot: u32,\n}\n\noverride workgroup_size: u32 = 256;\noverride method: u32 = 0;\n\n@group(0) @binding(0) var<uniform> dims: Dims;\n@group(0) @binding(1) var<storage, read> hyper: array<f32, 8>;\n@group(0) @binding(2) var<storage, read> grad: array<vec4f>;\n@group(0) @binding(3) var<storage, read_write> param: array<vec4f>;\n@group(0) @binding(4) var<storage, read_write> state1: array<vec4f>;\n@group(0) @binding(5) var<storage, read_write> state2: array<vec4f>;\n@group(0) @binding(6) var<storage, read_write> health: array<atomic<u32>>;\n\n// Linked: lib/float (is_finite4), lib/index (flat_index).\n\n// Four elements per invocation (vec4 views: ~4x fewer loads on SwiftShader). Lanes past `len`\n// are the buffers' padding: they are neither checked nor written.\n@compute @workgroup_size(workgroup_size)\nfn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i * 4u >= dims.len) { return; }\n  let in_range = vec4u(i * 4u) + vec4u(0u, 1u, 2u, 3u) < vec4u(dims.len);\n  let g = grad[i];\n  let ok = is_finite4(g) & in_range;\n  if (any(!is_finite4(g) & in_range)) {\n    atomicMin(&health[dims.slot], u32(hyper[6]));\n  }\n  let lr = hyper[0];\n  let w = param[i];\n  switch method {\n    case 1u: {\n      let v = hyper[1] * state1[i] + g;\n      state1[i] = select(state1[i], v, ok);\n      param[i] = select(w, w - lr * v, ok);\n    }\n    case 2u: {\n      let m = hyper[1] * state1[i] + (1.0 - hyper[1]) * g;\n      let s = hyper[2] * state2[i] + (1.0 - hyper[2]) * g * g;\n      state1[i] = select(state1[i], m, ok);\n      state2[i] = select(state2[i], s, ok);\n      let c2 = sqrt(hyper[5]);\n      param[i] = select(w, w - (lr * c2 / hyper[4]) * m / (sqrt(s) + hyper[3] * c2), ok);\n    }\n    default: {\n      param[i] = select(w, w - lr * g, ok);\n    }\n  }\n}\n\n// health[slot] = min(health[slot], step) if the loss (grad[0].x, a scalar) is not finite.\n@compute @workgroup_size(1)\nfn check_loss(@builtin(global_invocation_id) gid: vec3u) {\n  if (!is_finite4(grad[0]).x) {\n    atomicMin(&health[dims.slot], u32(hyper[6]));\n  }\n}\n";

// shaders/matmul.wgsl
var matmul_default = `// matmul: batched matrix product with a fused bias + activation epilogue.
//
//   C[z] = act(op(A[z]) \xB7 op(B[z]) + bias)        z = 0 .. batch-1
//   op(A) = A, or A\u1D40 when transpose_a;  op(B) = B, or B\u1D40 when transpose_b
//   op(A[z]) is [M, K], op(B[z]) is [K, N], C[z] is [M, N]; everything row-major f32.
//
// Bindings (group 0):
//   0 dims  uniform              Dims below; a_batch_stride / b_batch_stride are in elements,
//                                0 broadcasts a batch-1 operand over all z (usually M*K / K*N)
//   1 a     storage, read        [batchA, M, K], or [batchA, K, M] when transpose_a
//   2 b     storage, read        [batchB, K, N], or [batchB, N, K] when transpose_b
//   3 bias  storage, read        [N]; read only when has_bias (bind any 4-byte buffer otherwise)
//   4 c     storage, read_write  [batch, M, N]
//
// Overrides:
//   transpose_a, transpose_b, has_bias  as above
//   activation  applied after the bias: 0 identity, 1 sigmoid, 2 tanh, 3 relu,
//               4 leaky_relu (negative slope dims.alpha), 5 softplus; all overflow-safe
//               (functions from lib/activation.wgsl, linked in front of this file)
//   wg_x, wg_y  workgroup size (default 8 x 4); any sizes with wg_x * wg_y <= 256
//   strided     false: an invocation owns TILE_M consecutive rows and TILE_N consecutive
//               columns (fastest on SwiftShader). true: rows r0 + i*wg_y and columns
//               c0 + j*wg_x, so neighbouring invocations touch neighbouring addresses
//               (coalesced, meant for real GPUs; not measured on one).
//   The tile TILE_M x TILE_N = 16 x 8 per invocation is a const, not an override: WGSL sizes
//   function-scope arrays with const expressions only, and the tile is spelled out as 16
//   mat2x4 accumulators because a loop over a private array ran several times slower on
//   SwiftShader (a dynamically indexed private array becomes per-lane gathers).
//
// Dispatch: workgroups (ceil(N / (wg_x * TILE_N)), ceil(M / (wg_y * TILE_M)), batch)
//           = (ceil(N / (8 * wg_x)), ceil(M / (16 * wg_y)), batch).
//
// Design: each invocation accumulates a 16 x 8 tile of C in private variables and walks K
// once, loading 16 values of op(A) and 8 of op(B) per k step for 128 multiply-adds; no
// workgroup memory, no barriers. Row and column indices are clamped to M-1 / N-1 before the
// loop, so every load is in bounds and the loop has no branches; rows/columns past the edge
// are computed from duplicated data and not stored. Accumulation is plain f32 in k order.
//
// Speed on SwiftShader (adapter "swiftshader-device-subzero", npm webgpu 0.6.2, Node 20, 2 cores
// of a Xeon shared with other jobs). Kernel time from timestamp queries on an idle machine,
// with the JS thread blocked while the GPU works (awaiting onSubmittedWorkDone makes the node
// bindings poll, which takes a core away from SwiftShader), wg 8 x 4, bias on, GFLOP/s:
//   M=1024 N=1024 K=1024                 4.8   (transpose_a + transpose_b: 4.6)
//   M=128  N=128  K=784   transpose_b    5.1   forward Z = X\xB7W\u1D40 (also with sigmoid)
//   M=128  N=784  K=128                  4.3   backward dX = dZ\xB7W
//   M=128  N=784  K=128   transpose_a    4.3   backward dW = dZ\u1D40\xB7X
//   M=784  N=128  K=128   transpose_a    4.5
// Every transpose combination of these shapes, with and without an activation, measured
// 3.8-5.1 from the SwiftShader threads' CPU time on the busy machine. A naive kernel (one
// output per invocation) ran 0.37 at 520^3 in the same runs. Pipeline creation: ~0.1 s per
// override combination.
// Why 16 x 8: under SwiftShader's Subzero JIT one storage load is ~120 x86 instructions
// (index clamp, robustness mask, a branchy per-lane gather), roughly 5 times the cost of a
// vec4 multiply-add, so the tile wants to be large; but the 16 x 8 loop is already ~34 KB of
// machine code, and tiles with more than 24 loads per k step (16x12, 20x8, 16x16) ran 35-45%
// slower, presumably because the loop no longer fits the instruction cache. 16x8, 12x8 and
// 8x12 tied (12x12, 8x16, 20x4, 8x8: 10-25% slower); 16x8 divides 784 and powers of two.
// The workgroup size does not change per-invocation speed; 8 x 4 gives small matrices
// (128 x 128) 4 workgroups to share between cores.

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  batch: u32,
  a_batch_stride: u32,
  b_batch_stride: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

override transpose_a: bool = false;
override transpose_b: bool = false;
override has_bias: bool = false;
override activation: u32 = 0u;
override wg_x: u32 = 8u;
override wg_y: u32 = 4u;
override strided: bool = false;

const TILE_M: u32 = 16u;
const TILE_N: u32 = 8u;

fn store(row_off: u32, col: u32, x: f32) {
  if (col < dims.N) {
    var v = x;
    if (has_bias) { v += bias[col]; }
    c[row_off + col] = activate(v, activation, dims.alpha);
  }
}

// Columns of one accumulator row: col0 + j * dx for j = 0..7.
fn store_row(c_off: u32, row: u32, col0: u32, dx: u32, v: mat2x4<f32>) {
  if (row >= dims.M) { return; }
  let o = c_off + row * dims.N;
  store(o, col0, v[0].x);
  store(o, col0 + dx, v[0].y);
  store(o, col0 + 2u * dx, v[0].z);
  store(o, col0 + 3u * dx, v[0].w);
  store(o, col0 + 4u * dx, v[1].x);
  store(o, col0 + 5u * dx, v[1].y);
  store(o, col0 + 6u * dx, v[1].z);
  store(o, col0 + 7u * dx, v[1].w);
}

@compute @workgroup_size(wg_x, wg_y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = dims.M;
  let N = dims.N;
  let K = dims.K;
  // First row / column of this invocation's tile and the step between its rows / columns.
  var row0 = (wid.y * wg_y + lid.y) * TILE_M;
  var col0 = (wid.x * wg_x + lid.x) * TILE_N;
  var dy = 1u;
  var dx = 1u;
  if (strided) {
    row0 = wid.y * wg_y * TILE_M + lid.y;
    col0 = wid.x * wg_x * TILE_N + lid.x;
    dy = wg_y;
    dx = wg_x;
  }
  if (row0 >= M || col0 >= N || wid.z >= dims.batch) { return; }

  // op(A)[i, k] = a[a_off + i * a_rs + k * a_ks] and op(B)[k, j] = b[b_off + j * b_cs + k * b_ks].
  var a_rs = K;
  var a_ks = 1u;
  if (transpose_a) { a_rs = 1u; a_ks = M; }
  var b_cs = 1u;
  var b_ks = N;
  if (transpose_b) { b_cs = K; b_ks = 1u; }
  let a_off = wid.z * dims.a_batch_stride;
  let b_off = wid.z * dims.b_batch_stride;
  let m1 = M - 1u;
  let n1 = N - 1u;

  // Start of each tile row in a and of each tile column in b, clamped into the matrix.
  let ai0 = a_off + min(row0, m1) * a_rs;
  let ai1 = a_off + min(row0 + dy, m1) * a_rs;
  let ai2 = a_off + min(row0 + 2u * dy, m1) * a_rs;
  let ai3 = a_off + min(row0 + 3u * dy, m1) * a_rs;
  let ai4 = a_off + min(row0 + 4u * dy, m1) * a_rs;
  let ai5 = a_off + min(row0 + 5u * dy, m1) * a_rs;
  let ai6 = a_off + min(row0 + 6u * dy, m1) * a_rs;
  let ai7 = a_off + min(row0 + 7u * dy, m1) * a_rs;
  let ai8 = a_off + min(row0 + 8u * dy, m1) * a_rs;
  let ai9 = a_off + min(row0 + 9u * dy, m1) * a_rs;
  let ai10 = a_off + min(row0 + 10u * dy, m1) * a_rs;
  let ai11 = a_off + min(row0 + 11u * dy, m1) * a_rs;
  let ai12 = a_off + min(row0 + 12u * dy, m1) * a_rs;
  let ai13 = a_off + min(row0 + 13u * dy, m1) * a_rs;
  let ai14 = a_off + min(row0 + 14u * dy, m1) * a_rs;
  let ai15 = a_off + min(row0 + 15u * dy, m1) * a_rs;
  let bj0 = b_off + min(col0, n1) * b_cs;
  let bj1 = b_off + min(col0 + dx, n1) * b_cs;
  let bj2 = b_off + min(col0 + 2u * dx, n1) * b_cs;
  let bj3 = b_off + min(col0 + 3u * dx, n1) * b_cs;
  let bj4 = b_off + min(col0 + 4u * dx, n1) * b_cs;
  let bj5 = b_off + min(col0 + 5u * dx, n1) * b_cs;
  let bj6 = b_off + min(col0 + 6u * dx, n1) * b_cs;
  let bj7 = b_off + min(col0 + 7u * dx, n1) * b_cs;

  // accI holds row I of the tile: columns 0-3 in accI[0], 4-7 in accI[1].
  var acc0 = mat2x4<f32>();
  var acc1 = mat2x4<f32>();
  var acc2 = mat2x4<f32>();
  var acc3 = mat2x4<f32>();
  var acc4 = mat2x4<f32>();
  var acc5 = mat2x4<f32>();
  var acc6 = mat2x4<f32>();
  var acc7 = mat2x4<f32>();
  var acc8 = mat2x4<f32>();
  var acc9 = mat2x4<f32>();
  var acc10 = mat2x4<f32>();
  var acc11 = mat2x4<f32>();
  var acc12 = mat2x4<f32>();
  var acc13 = mat2x4<f32>();
  var acc14 = mat2x4<f32>();
  var acc15 = mat2x4<f32>();

  var ak = 0u;  // k * a_ks
  var bk = 0u;  // k * b_ks
  for (var k = 0u; k < K; k++) {
    // Row k of op(B) restricted to the tile's 8 columns, times op(A)[i, k] for each tile row i.
    let bk_row = mat2x4<f32>(b[bj0 + bk], b[bj1 + bk], b[bj2 + bk], b[bj3 + bk],
                             b[bj4 + bk], b[bj5 + bk], b[bj6 + bk], b[bj7 + bk]);
    acc0 += bk_row * a[ai0 + ak];
    acc1 += bk_row * a[ai1 + ak];
    acc2 += bk_row * a[ai2 + ak];
    acc3 += bk_row * a[ai3 + ak];
    acc4 += bk_row * a[ai4 + ak];
    acc5 += bk_row * a[ai5 + ak];
    acc6 += bk_row * a[ai6 + ak];
    acc7 += bk_row * a[ai7 + ak];
    acc8 += bk_row * a[ai8 + ak];
    acc9 += bk_row * a[ai9 + ak];
    acc10 += bk_row * a[ai10 + ak];
    acc11 += bk_row * a[ai11 + ak];
    acc12 += bk_row * a[ai12 + ak];
    acc13 += bk_row * a[ai13 + ak];
    acc14 += bk_row * a[ai14 + ak];
    acc15 += bk_row * a[ai15 + ak];
    ak += a_ks;
    bk += b_ks;
  }

  // A loop over the rows, not 16 inlined copies of the epilogue: the activation code is then
  // compiled once, which cut pipeline creation on SwiftShader from 0.3-0.8 s to ~0.1 s (and
  // the whole kernel ran no slower, 10-20% faster with bias + softplus).
  let tile = array<mat2x4<f32>, TILE_M>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7,
                                        acc8, acc9, acc10, acc11, acc12, acc13, acc14, acc15);
  let c_off = wid.z * M * N;
  for (var i = 0u; i < TILE_M; i++) {
    store_row(c_off, row0 + i * dy, col0, dx, tile[i]);
  }
}
`;

// shaders/softmax.wgsl
var softmax_default = "// Row-wise softmax over the last axis of a tensor viewed as [rows, cols], its log, and the\n// Jacobian products their gradients need. One workgroup per row.\n//\n//   softmax:           out_j = e^(x_j - m) / \u03A3_i e^(x_i - m),  m = max_i x_i   (log_output false)\n//                      out_j = (x_j - m) - log \u03A3_i e^(x_i - m)                  (log_output true)\n//   log_softmax_grad:  out_j = dy_j - e^(y_j) \u03A3_i dy_i       (y: the saved log-softmax, e^y = softmax)\n//   jvp:               out_j = y_j (v_j - \u27E8v, y\u27E9)             (J v without forming J; J = J\u1D40)\n//   jvp_grad_y:        out_j = dy_j (v_j - \u27E8v, y\u27E9) - v_j \u27E8dy, y\u27E9   (\u2202/\u2202y of \u27E8dy, jvp(y, v)\u27E9)\n//\n// Stability: subtracting the row max makes the largest term e^0 = 1, so the sum is in\n// [1, cols]: logits \xB11000 give finite output and no division by zero. A row of all -inf has\n// no max: m stays at the sentinel -FLT_MAX, every term is e^-inf = 0, the sum is 0, and we\n// write the equal-logits limit (1/cols, log: -log cols), as src/cpu/softmax.ts does. A row\n// with a NaN or +inf entry is all NaN, as there; both are detected on the bits (WGSL lets\n// compilers assume floats are finite, and SwiftShader's exp(NaN) is not always NaN).\n//\n// Deterministic: each invocation t folds the fixed strided subsequence j = t, t + wg, ...\n// of its row, then the workgroup combines the partials in a fixed tree (wg a power of two).\n// No atomics: same input, bit-identical output.\n//\n// Bindings (group 0): dims uniform; x, y, v, dy read-only storage [rows * cols];\n// out read_write [rows * cols].\n//   softmax: x, out   log_softmax_grad: y, dy, out   jvp: y, v, out   jvp_grad_y: y, v, dy, out\n// Dispatch: one workgroup per row, rows folded into (x, y) past 65535 workgroups\n// (row = wid.x + wid.y * num_workgroups.x; extra groups exit). workgroup_size: a power of\n// two in [4, 64], the op picks the smallest covering cols; longer rows are strided.\n\nstruct Dims {\n  rows: u32,\n  cols: u32,\n}\n\noverride workgroup_size: u32 = 64;    // a power of two (the tree halves it)\noverride log_output: bool = false;\n\n@group(0) @binding(0) var<uniform> dims: Dims;\n@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read> y: array<f32>;\n@group(0) @binding(3) var<storage, read> v: array<f32>;\n@group(0) @binding(4) var<storage, read> dy: array<f32>;\n@group(0) @binding(5) var<storage, read_write> out: array<f32>;\n\n// Linked: lib/float (nan_f32), lib/index (group_index), lib/tree (tree_sum, tree_sum2),\n// lib/rows (row_softmax_stats).\n\n\n@compute @workgroup_size(workgroup_size)\nfn softmax(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n           @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }          // uniform: the whole workgroup leaves\n  let base = row * dims.cols;\n  let st = row_softmax_stats(base, t);\n  let m = st.row_max;\n  let s = st.sum_exp;\n  // a NaN or +inf entry: a NaN row; all -inf (sum 0): the equal-logits limit\n  if (st.poisoned || s == 0.0) {\n    let u = select(select(1.0 / f32(dims.cols), -log(f32(dims.cols)), log_output), nan_f32(), st.poisoned);\n    for (var j = t; j < dims.cols; j += workgroup_size) { out[base + j] = u; }\n    return;\n  }\n  if (log_output) {\n    let ls = log(s);                         // in [0, log cols]\n    for (var j = t; j < dims.cols; j += workgroup_size) { out[base + j] = (x[base + j] - m) - ls; }\n  } else {\n    let inv = 1.0 / s;\n    for (var j = t; j < dims.cols; j += workgroup_size) { out[base + j] = exp(x[base + j] - m) * inv; }\n  }\n}\n\n@compute @workgroup_size(workgroup_size)\nfn log_softmax_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n                    @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }\n  let base = row * dims.cols;\n  var s = 0.0;\n  for (var j = t; j < dims.cols; j += workgroup_size) { s += dy[base + j]; }\n  s = tree_sum(t, s);\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    out[base + j] = dy[base + j] - exp(y[base + j]) * s;\n  }\n}\n\n@compute @workgroup_size(workgroup_size)\nfn jvp(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n       @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }\n  let base = row * dims.cols;\n  var s = 0.0;\n  for (var j = t; j < dims.cols; j += workgroup_size) { s += v[base + j] * y[base + j]; }\n  s = tree_sum(t, s);\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    out[base + j] = y[base + j] * (v[base + j] - s);\n  }\n}\n\n@compute @workgroup_size(workgroup_size)\nfn jvp_grad_y(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n              @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }\n  let base = row * dims.cols;\n  var s = vec2f(0.0);                        // (\u27E8v, y\u27E9, \u27E8dy, y\u27E9)\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    s += vec2f(v[base + j], dy[base + j]) * y[base + j];\n  }\n  s = tree_sum2(t, s);\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    out[base + j] = dy[base + j] * (v[base + j] - s.x) - v[base + j] * s.y;\n  }\n}\n";

// shaders/loss.wgsl
var loss_default = "// Losses over a batch viewed as [rows, cols] (T = rows, K = cols): the per-row divergences\n// and the gradient with respect to the first input, in one kernel (a workgroup per row). The\n// op then averages row_loss with reduce.reduce_sum (scale 1/T): Loss = (1/T) \u03A3_t Div(x_t, d_t).\n//\n//   mse_rows:  row_loss_t = \xBD \u03A3_j (x_j - d_j)\xB2             grad_j = (x_j - d_j) / T\n//   bce_rows:  row_loss_t = \u03A3_j -d log p_c - (1-d) log q_c  grad_j = (p_c - d) / (p_c q_c) / T\n//              p_c = clamp(x_j, eps, 1-eps), q_c = 1 - p_c (straight-through clamp, as\n//              src/cpu/loss.ts: the derivative at the boundary, not 0, outside it)\n//   ce_rows:   row_loss_t = -\u03A3_j t_j log softmax(x)_j      grad_j = (softmax(x)_j \u03A3_i t_i - t_j) / T\n//              targets t = (1-\u03B1)\xB7onehot(d_t) + \u03B1/K (d: class indices, dense_labels false) or\n//              t = (1-\u03B1)\xB7d + \u03B1/K (d: rows of the logits' shape, dense_labels true)\n//   bce_logits_rows: row_loss_t = \u03A3_j softplus(z_j) \u2212 z_j d_j, divided by K  grad_j = (\u03C3(z_j) \u2212 d_j)\xB7inv_t\n//              (z = x; the loss is the mean over all T\xB7K elements, so here inv_t = 1/(T\xB7K);\n//              softplus(z) = max(z, 0) + log1p(e^\u2212|z|) and \u03C3 from lib/activation.wgsl: stable\n//              for every z)\n//   mse_target_grad:  out_i = -g x_i               (x: the saved grad (y - d)/T, so -\u2202/\u2202d \xB7 g)\n//   bce_target_grad:  out_i = g (log q_c - log p_c) / T         (\u2202/\u2202d of the BCE terms \xB7 g)\n//   ce_target_grad:   out_j = -g (1-\u03B1) log softmax(x)_j / T     (\u2202/\u2202d of the CE row \xB7 g)\n//   bce_logits_target_grad: out_i = -g z_i \xB7 inv_t                (\u2202/\u2202d of the terms \xB7 g)\n//\n// Softmax CE works in log space, log softmax = (x - m) - log \u03A3 e^(x - m), m the row max:\n// logits \xB11000 stay finite, and a true class with probability e^-200 costs \u2248 200, not inf.\n// Terms with t_j = 0 are skipped (no 0\xB7log 0). A row of all -inf takes the equal-logits\n// limit (softmax 1/K) like src/cpu/softmax.ts; a NaN or +inf logit makes the row's loss and\n// gradient NaN, like src/cpu/loss.ts (detected on the bits, see shaders/softmax.wgsl).\n//\n// Deterministic: every row sum is a fixed strided fold per invocation and a fixed workgroup\n// tree (workgroup_size a power of two); the mean over rows is reduce.reduce_sum. No atomics.\n//\n// Bindings (group 0): dims uniform; x, d, g read-only storage; grad, row_loss, out read_write.\n//   *_rows:           x [T*K], d [T*K] (ce_rows with class indices: d [T], as f32), grad [T*K],\n//                     row_loss [T]\n//   *_target_grad:    x [T*K], g [1], out [T*K]\n// Dispatch: *_rows and ce_target_grad: one workgroup per row, rows folded into (x, y) past\n// 65535 workgroups; workgroup_size a power of two in [4, 64] chosen from K.\n// mse_target_grad, bce_target_grad, bce_logits_target_grad: ceil(T*K / workgroup_size)\n// workgroups, folded likewise.\n\nstruct Dims {\n  rows: u32,\n  cols: u32,\n  inv_t: f32,    // 1 / T\n  alpha: f32,    // label smoothing \u03B1 in [0, 1)\n  eps: f32,      // the BCE clamp\n}\n\noverride workgroup_size: u32 = 64;    // a power of two (the tree halves it)\noverride dense_labels: bool = false;\n\n@group(0) @binding(0) var<uniform> dims: Dims;\n@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read> d: array<f32>;\n@group(0) @binding(3) var<storage, read> g: array<f32>;\n@group(0) @binding(4) var<storage, read_write> grad: array<f32>;\n@group(0) @binding(5) var<storage, read_write> row_loss: array<f32>;\n@group(0) @binding(6) var<storage, read_write> out: array<f32>;\n\n// Linked: lib/float (nan_f32, log1p), lib/index (flat_index, group_index), lib/tree\n// (tree_sum, tree_sum2), lib/rows (row_softmax_stats), lib/activation (sigmoid_stable,\n// softplus_stable).\n\n// The clamped p_c and q_c = 1 - p_c of BCE. q_c is exactly eps at the upper clamp, and\n// 1 - p is exact for p \u2265 0.5 (Sterbenz), as in src/cpu/loss.ts.\nfn bce_clamp(p: f32) -> vec2f {\n  let lo = dims.eps;\n  let hi = 1.0 - dims.eps;\n  let pc = clamp(p, lo, hi);\n  return vec2f(pc, select(1.0 - pc, dims.eps, p > hi));\n}\n\n// -log p_c and -log q_c (log1p keeps the digits of log(1 - p) for small p)\nfn bce_neg_logs(c: vec2f) -> vec2f {\n  let log_q = select(log(c.y), log1p(-c.x), c.x < 0.5);\n  return -vec2f(log(c.x), log_q);\n}\n\n@compute @workgroup_size(workgroup_size)\nfn mse_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n            @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }          // uniform: the whole workgroup leaves\n  let base = row * dims.cols;\n  var acc = 0.0;\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    let e = x[base + j] - d[base + j];\n    acc += e * e;\n    grad[base + j] = e * dims.inv_t;\n  }\n  acc = tree_sum(t, acc);\n  if (t == 0u) { row_loss[row] = 0.5 * acc; }\n}\n\n@compute @workgroup_size(workgroup_size)\nfn bce_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n            @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }\n  let base = row * dims.cols;\n  var acc = 0.0;\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    let p = x[base + j];\n    let dj = d[base + j];\n    let c = bce_clamp(p);\n    let nl = bce_neg_logs(c);\n    // a term whose weight is exactly 0 is skipped, as in the reference\n    if (dj != 0.0) { acc += dj * nl.x; }\n    if (dj != 1.0) { acc += (1.0 - dj) * nl.y; }\n    // p_c - d, written as (1 - d) - q_c near 1 so the upper clamp keeps its digits\n    let num = select((1.0 - dj) - c.y, c.x - dj, c.x < 0.5);\n    grad[base + j] = num / (c.x * c.y) * dims.inv_t;\n  }\n  acc = tree_sum(t, acc);\n  if (t == 0u) { row_loss[row] = acc; }\n}\n\n// target j of a row: (1-\u03B1)\xB7d_j + \u03B1/K (dense) or \u03B1/K + (1-\u03B1)[j = label] (class index)\nfn ce_target(base: u32, j: u32, label: u32) -> f32 {\n  let keep = 1.0 - dims.alpha;\n  let spread = dims.alpha / f32(dims.cols);\n  if (dense_labels) { return keep * d[base + j] + spread; }\n  return select(spread, spread + keep, j == label);\n}\n\n@compute @workgroup_size(workgroup_size)\nfn ce_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n           @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }\n  let base = row * dims.cols;\n  var label = 0u;\n  if (!dense_labels) { label = u32(d[row]); }   // validated on the CPU: an integer in [0, K)\n  let st = row_softmax_stats(base, t);\n  let poison = st.poisoned;                    // a NaN or +inf logit: NaN loss and gradient\n  let all_neg_inf = st.sum_exp == 0.0;\n  let ls = log(st.sum_exp);\n  let uniform_logp = -log(f32(dims.cols));\n  // class-index targets sum to exactly 1 (the f32 sum of K rounded \u03B1/K need not)\n  var sum_t = 1.0;\n  if (dense_labels) {\n    var acc = 0.0;\n    for (var j = t; j < dims.cols; j += workgroup_size) { acc += ce_target(base, j, label); }\n    sum_t = tree_sum(t, acc);\n  }\n  var loss = 0.0;\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    let tj = ce_target(base, j, label);\n    let logp = select((x[base + j] - st.row_max) - ls, uniform_logp, all_neg_inf);\n    if (tj != 0.0) { loss -= tj * logp; }\n    grad[base + j] = select((exp(logp) * sum_t - tj) * dims.inv_t, nan_f32(), poison);\n  }\n  loss = tree_sum(t, loss);\n  if (t == 0u) { row_loss[row] = select(loss, nan_f32(), poison); }\n}\n\n@compute @workgroup_size(workgroup_size)\nfn bce_logits_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n                   @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }\n  let base = row * dims.cols;\n  var acc = 0.0;\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    let z = x[base + j];\n    let dj = d[base + j];\n    acc += softplus_stable(z) - z * dj;\n    grad[base + j] = (sigmoid_stable(z) - dj) * dims.inv_t;\n  }\n  acc = tree_sum(t, acc);\n  if (t == 0u) { row_loss[row] = acc / f32(dims.cols); }\n}\n\n@compute @workgroup_size(workgroup_size)\nfn bce_logits_target_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i >= dims.rows * dims.cols) { return; }\n  out[i] = -g[0] * x[i] * dims.inv_t;\n}\n\n@compute @workgroup_size(workgroup_size)\nfn mse_target_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i >= dims.rows * dims.cols) { return; }\n  out[i] = -g[0] * x[i];\n}\n\n@compute @workgroup_size(workgroup_size)\nfn bce_target_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let i = flat_index(gid, groups);\n  if (i >= dims.rows * dims.cols) { return; }\n  let nl = bce_neg_logs(bce_clamp(x[i]));\n  out[i] = g[0] * (nl.x - nl.y) * dims.inv_t;\n}\n\n@compute @workgroup_size(workgroup_size)\nfn ce_target_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n                  @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }\n  let base = row * dims.cols;\n  let st = row_softmax_stats(base, t);\n  let ls = log(st.sum_exp);\n  let scale = -g[0] * (1.0 - dims.alpha) * dims.inv_t;\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    let logp = select((x[base + j] - st.row_max) - ls, -log(f32(dims.cols)), st.sum_exp == 0.0);\n    out[base + j] = select(scale * logp, nan_f32(), st.poisoned);\n  }\n}\n";

// shaders/conv.wgsl
var conv_default = "// conv: the layout kernels of a 2-D convolution computed as im2col + the tuned matmul\n// (src/ops/conv.ts). x is NCHW [N, C, H, W]; the weight [O, C, kh, kw] is read by the matmul\n// as [O, C\xB7kh\xB7kw]; output positions p = (oh, ow), P = OH\xB7OW; all f32, row-major.\n//\n//   im2col:          cols[(n, p), (c, i, j)] = x[n, c, oh\xB7sh \u2212 ph + i\xB7dh, ow\xB7sw \u2212 pw + j\xB7dw]\n//                    (0 in the padding); cols is [N\xB7P, C\xB7kh\xB7kw], so that\n//                    matmul(cols, w, transposeB, bias) = y in channels-last order [N\xB7P, O]\n//   col2im:          dx[n, c, h, w] = \u03A3_(i, j) dcols[(n, oh, ow), (c, i, j)] over the taps with\n//                    oh\xB7sh \u2212 ph + i\xB7dh = h and ow\xB7sw \u2212 pw + j\xB7dw = w (i, then j ascending):\n//                    im2col's transpose as a gather, deterministic, no atomics\n//   transpose_channels: to_last false: y[n, o, p] = x[n, p, o]  ([N, P, O] -> NCHW [N, O, P])\n//                       to_last true:  y[n, p, o] = x[n, o, p]  (NCHW -> [N, P, O])\n//\n// Bindings (group 0): dims uniform (Dims below); x read [N\xB7C\xB7H\xB7W]; cols read_write [N\xB7P\xB7C\xB7kh\xB7kw];\n//   dcols read [N\xB7P\xB7C\xB7kh\xB7kw]; dx read_write [N\xB7C\xB7H\xB7W]; src read [N\xB7P\xB7O]; dst read_write [N\xB7P\xB7O].\n//   im2col: x, cols   col2im: dcols, dx   transpose_channels: src, dst\n// Dispatch: a 3-D grid of (wg_x, wg_y, wg_z) workgroups (overrides, default 4 \xD7 4 \xD7 4):\n//   im2col       x: ow, y: oh, z: planes (n, c)   one invocation writes the kh\xB7kw taps of (n, c, oh, ow)\n//   col2im       x: w,  y: h,  z: planes (n, c)   one invocation per element of dx\n//   transpose_channels  x: p, y: o, z: n          one invocation per element\n// with ceil(extent / wg) workgroups per axis; z is capped at 65535 workgroups and each\n// invocation loops over the planes (or images) z, z + (grid z size), ... The grid carries the\n// coordinates, so no invocation divides a flat index (SwiftShader emulates vector integer\n// division lane by lane: a flat-index version of pool_grad spent about half its time there).\n// unit_stride (override): stride 1 on both axes, so col2im needs no divisibility test per tap.\n//\n// Why im2col + matmul and not a direct kernel: measured on SwiftShader (see src/ops/conv.ts\n// for the numbers and the direct kernel that lost).\n\nstruct Dims {\n  batch: u32,\n  channels: u32,\n  height: u32,\n  width: u32,\n  kernel_h: u32,\n  kernel_w: u32,\n  stride_h: u32,\n  stride_w: u32,\n  pad_h: u32,\n  pad_w: u32,\n  dilation_h: u32,\n  dilation_w: u32,\n  out_h: u32,\n  out_w: u32,\n  out_channels: u32,\n}\n\noverride wg_x: u32 = 4u;\noverride wg_y: u32 = 4u;\noverride wg_z: u32 = 4u;\noverride to_last: bool = false;\noverride unit_stride: bool = false;\n\n@group(0) @binding(0) var<uniform> dims: Dims;\n@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read_write> cols: array<f32>;\n@group(0) @binding(3) var<storage, read> dcols: array<f32>;\n@group(0) @binding(4) var<storage, read_write> dx: array<f32>;\n@group(0) @binding(5) var<storage, read> src: array<f32>;\n@group(0) @binding(6) var<storage, read_write> dst: array<f32>;\n\n@compute @workgroup_size(wg_x, wg_y, wg_z)\nfn im2col(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let ow = gid.x;\n  let oh = gid.y;\n  if (ow >= dims.out_w || oh >= dims.out_h) { return; }\n  let C = dims.channels;\n  let H = i32(dims.height);\n  let W = i32(dims.width);\n  let kk = dims.kernel_h * dims.kernel_w;\n  let h0 = i32(oh * dims.stride_h) - i32(dims.pad_h);\n  let w0 = i32(ow * dims.stride_w) - i32(dims.pad_w);\n  for (var plane = gid.z; plane < dims.batch * C; plane += groups.z * wg_z) {\n    let n = plane / C;\n    let row = (n * dims.out_h + oh) * dims.out_w + ow;      // (n, oh, ow)\n    var o = (row * C + plane % C) * kk;                      // cols[row, (c, 0, 0)]\n    let base = plane * dims.height * dims.width;\n    for (var i = 0u; i < dims.kernel_h; i++) {\n      let h = h0 + i32(i * dims.dilation_h);\n      for (var j = 0u; j < dims.kernel_w; j++) {\n        let w = w0 + i32(j * dims.dilation_w);\n        var v = 0.0;\n        if (h >= 0 && h < H && w >= 0 && w < W) { v = x[base + u32(h * W + w)]; }\n        cols[o] = v;\n        o++;\n      }\n    }\n  }\n}\n\n// The output index along one axis whose tap `tap` lands on input position `at`, or -1:\n// out\xB7stride = at + pad \u2212 tap\xB7dilation must be a non-negative multiple of stride below `size`.\nfn source_index(at: u32, pad: u32, tap: u32, dilation: u32, stride: u32, size: u32) -> i32 {\n  let t = i32(at + pad) - i32(tap * dilation);\n  if (t < 0) { return -1; }\n  var o = u32(t);\n  if (!unit_stride) {\n    if (o % stride != 0u) { return -1; }\n    o = o / stride;\n  }\n  return select(-1, i32(o), o < size);\n}\n\n@compute @workgroup_size(wg_x, wg_y, wg_z)\nfn col2im(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let w = gid.x;\n  let h = gid.y;\n  if (w >= dims.width || h >= dims.height) { return; }\n  let C = dims.channels;\n  let kk = dims.kernel_h * dims.kernel_w;\n  let ckk = C * kk;\n  for (var plane = gid.z; plane < dims.batch * C; plane += groups.z * wg_z) {\n    let n = plane / C;\n    let c = plane % C;\n    var s = 0.0;\n    for (var i = 0u; i < dims.kernel_h; i++) {\n      let oh = source_index(h, dims.pad_h, i, dims.dilation_h, dims.stride_h, dims.out_h);\n      if (oh < 0) { continue; }\n      let row0 = (n * dims.out_h + u32(oh)) * dims.out_w;\n      for (var j = 0u; j < dims.kernel_w; j++) {\n        let ow = source_index(w, dims.pad_w, j, dims.dilation_w, dims.stride_w, dims.out_w);\n        if (ow < 0) { continue; }\n        s += dcols[(row0 + u32(ow)) * ckk + c * kk + i * dims.kernel_w + j];\n      }\n    }\n    dx[(plane * dims.height + h) * dims.width + w] = s;\n  }\n}\n\n@compute @workgroup_size(wg_x, wg_y, wg_z)\nfn transpose_channels(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let p = gid.x;\n  let o = gid.y;\n  let P = dims.out_h * dims.out_w;\n  let O = dims.out_channels;\n  if (p >= P || o >= O) { return; }\n  for (var n = gid.z; n < dims.batch; n += groups.z * wg_z) {\n    let last = (n * P + p) * O + o;    // [N, P, O]\n    let first = (n * O + o) * P + p;   // [N, O, P]\n    if (to_last) { dst[last] = src[first]; } else { dst[first] = src[last]; }\n  }\n}\n";

// shaders/pool.wgsl
var pool_default = "// pool: 2-D max and average pooling over the planes of an NCHW tensor, and their gradients\n// (CPU twin: src/cpu/pool.ts). Windows kh \xD7 kw with stride (sh, sw) and implicit padding\n// (ph, pw) sweep each plane like a convolution with dilation 1: window (oh, ow) covers rows\n// oh\xB7sh \u2212 ph + i and columns ow\xB7sw \u2212 pw + j.\n//\n//   pool (is_max true):   y = max over the window's real entries (padding is \u2212inf, never\n//                         picked); arg = h\xB7W + w of the first maximum in row-major window\n//                         order; a NaN counts as the maximum and the first NaN wins\n//   pool (is_max false):  y = \u03A3 window / (kh\xB7kw)  (padding counts as 0: PyTorch's\n//                         count_include_pad=True)\n//   pool_grad:            dx[h, w] = \u03A3 over the windows (oh, ow) that contain (h, w), in\n//                         (oh, ow) order, of dy[oh, ow] \xB7 [arg = h\xB7W + w] (max) or\n//                         dy[oh, ow] / (kh\xB7kw) (avg): a gather, deterministic, no atomics\n//\n// Bindings (group 0): dims uniform; x read [N\xB7C\xB7H\xB7W]; y read_write [N\xB7C\xB7OH\xB7OW];\n//   arg read_write [N\xB7C\xB7OH\xB7OW] (pool, is_max: the flat in-plane index as f32, exact below\n//   2^24); dy read [N\xB7C\xB7OH\xB7OW]; arg_in read [N\xB7C\xB7OH\xB7OW] (pool_grad, is_max); dx read_write\n//   [N\xB7C\xB7H\xB7W]. When is_max is false, arg / arg_in are not touched (bind any buffer).\n//   pool: x, y, arg   pool_grad: dy, arg_in, dx\n// Dispatch: a 3-D grid of (wg_x, wg_y, wg_z) workgroups (overrides, default 4 \xD7 4 \xD7 4): x, y\n// the output column and row (pool) or the input column and row (pool_grad), z the planes,\n// ceil(extent / wg) workgroups per axis, z capped at 65535 workgroups (each invocation loops\n// over planes z, z + grid z size, ...). The window arithmetic of a position is done once and\n// reused for every plane, and no flat index is divided (see shaders/conv.wgsl). Linked:\n// lib/float (is_nan, tested on the bits).\n\nstruct Dims {\n  planes: u32,       // N\xB7C\n  height: u32,\n  width: u32,\n  kernel_h: u32,\n  kernel_w: u32,\n  stride_h: u32,\n  stride_w: u32,\n  pad_h: u32,\n  pad_w: u32,\n  out_h: u32,\n  out_w: u32,\n}\n\noverride wg_x: u32 = 4u;\noverride wg_y: u32 = 4u;\noverride wg_z: u32 = 4u;\noverride is_max: bool = true;\n\n@group(0) @binding(0) var<uniform> dims: Dims;\n@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read_write> y: array<f32>;\n@group(0) @binding(3) var<storage, read_write> arg: array<f32>;\n@group(0) @binding(4) var<storage, read> dy: array<f32>;\n@group(0) @binding(5) var<storage, read> arg_in: array<f32>;\n@group(0) @binding(6) var<storage, read_write> dx: array<f32>;\n\n@compute @workgroup_size(wg_x, wg_y, wg_z)\nfn pool(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let ow = gid.x;\n  let oh = gid.y;\n  if (ow >= dims.out_w || oh >= dims.out_h) { return; }\n  // the window clipped to the plane: rows [h0, h1), columns [w0, w1)\n  let top = i32(oh * dims.stride_h) - i32(dims.pad_h);\n  let left = i32(ow * dims.stride_w) - i32(dims.pad_w);\n  let h0 = u32(max(top, 0));\n  let w0 = u32(max(left, 0));\n  let h1 = u32(min(top + i32(dims.kernel_h), i32(dims.height)));\n  let w1 = u32(min(left + i32(dims.kernel_w), i32(dims.width)));\n  let plane_size = dims.height * dims.width;\n  let out_size = dims.out_h * dims.out_w;\n  let inv_area = 1.0 / f32(dims.kernel_h * dims.kernel_w);\n  for (var plane = gid.z; plane < dims.planes; plane += groups.z * wg_z) {\n    let base = plane * plane_size;\n    var best = 0.0;\n    var best_at = -1;\n    var sum = 0.0;\n    for (var h = h0; h < h1; h++) {\n      for (var w = w0; w < w1; w++) {\n        let at = h * dims.width + w;\n        let v = x[base + at];\n        sum += v;\n        if (best_at < 0 || (!is_nan(best) && (v > best || is_nan(v)))) {\n          best = v;\n          best_at = i32(at);\n        }\n      }\n    }\n    let t = plane * out_size + oh * dims.out_w + ow;\n    if (is_max) {\n      y[t] = best;\n      arg[t] = f32(best_at);\n    } else {\n      y[t] = sum * inv_area;\n    }\n  }\n}\n\n// The windows along one axis that cover position `at`: [first, last] (empty if first > last).\n// first = ceil((at + pad \u2212 kernel + 1) / stride) clamped to 0, last = min(out \u2212 1, (at + pad) / stride).\nfn covering(at: u32, pad: u32, kernel: u32, stride: u32, out: u32) -> vec2u {\n  let lead = at + pad + 1u;\n  let first = select((lead - kernel + stride - 1u) / stride, 0u, lead <= kernel);\n  return vec2u(first, min(out - 1u, (at + pad) / stride));\n}\n\n@compute @workgroup_size(wg_x, wg_y, wg_z)\nfn pool_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let w = gid.x;\n  let h = gid.y;\n  if (w >= dims.width || h >= dims.height) { return; }\n  let rows = covering(h, dims.pad_h, dims.kernel_h, dims.stride_h, dims.out_h);\n  let cols = covering(w, dims.pad_w, dims.kernel_w, dims.stride_w, dims.out_w);\n  let here = f32(h * dims.width + w);\n  let inv_area = 1.0 / f32(dims.kernel_h * dims.kernel_w);\n  let out_size = dims.out_h * dims.out_w;\n  for (var plane = gid.z; plane < dims.planes; plane += groups.z * wg_z) {\n    let base = plane * out_size;\n    var s = 0.0;\n    for (var oh = rows.x; oh <= rows.y; oh++) {\n      for (var ow = cols.x; ow <= cols.y; ow++) {\n        let o = base + oh * dims.out_w + ow;\n        if (is_max) {\n          if (arg_in[o] == here) { s += dy[o]; }\n        } else {\n          s += dy[o] * inv_area;\n        }\n      }\n    }\n    dx[(plane * dims.height + h) * dims.width + w] = s;\n  }\n}\n";

// shaders/norm.wgsl
var norm_default = "// norm: layer normalization over the last axis of x viewed as [rows, cols] (F = cols), and\n// its gradients (CPU twin: src/cpu/norm.ts). Linked: lib/index (flat_index, group_index),\n// lib/tree (tree_sum, tree_sum2).\n//\n//   layer_norm:             \u03BC = \u03A3x/F, \u03C3\xB2 = \u03A3(x \u2212 \u03BC)\xB2/F (two passes: exact for large offsets),\n//                           r = 1/\u221A(\u03C3\xB2 + eps);  y = (x \u2212 \u03BC)\xB7r\xB7\u03B3 + \u03B2;  mean[row] = \u03BC, rstd[row] = r\n//   layer_norm_grad:        dx = r\xB7(g \u2212 \u03A3g/F \u2212 x\u0302\xB7\u03A3(g\xB7x\u0302)/F),  g = dy\xB7\u03B3,  x\u0302 = (x \u2212 \u03BC)\xB7r\n//   layer_norm_param_grad:  dgamma[j] = \u03A3_rows dy\xB7x\u0302,  dbeta[j] = \u03A3_rows dy  (rows in order)\n//\n// Deterministic: row sums are a fixed strided fold per invocation, then a fixed workgroup tree\n// (lib/tree.wgsl); the parameter gradients loop over rows in order, one invocation per feature.\n//\n// Bindings (group 0): dims uniform; x, gamma, beta, dy, mean_in, rstd_in read-only;\n//   y, mean, rstd, dx, dgamma, dbeta read_write.   x, y, dy, dx [rows\xB7F]; gamma, beta, dgamma,\n//   dbeta [F]; mean, rstd, mean_in, rstd_in [rows].\n//   layer_norm: x, gamma, beta, y, mean, rstd\n//   layer_norm_grad: x, gamma, dy, mean_in, rstd_in, dx\n//   layer_norm_param_grad: x, dy, mean_in, rstd_in, dgamma, dbeta\n// Dispatch: layer_norm, layer_norm_grad: one workgroup per row (rows folded into (x, y) past\n// 65535), workgroup_size a power of two chosen from F (src/ops/softmax.ts rowWorkgroupSize);\n// layer_norm_param_grad: ceil(F / workgroup_size) workgroups, one invocation per feature,\n// folded into (x, y) past 65535 (feature = gid.x + gid.y \xB7 num_workgroups.x \xB7 workgroup_size).\n\nstruct Dims {\n  rows: u32,\n  cols: u32,\n  eps: f32,\n}\n\noverride workgroup_size: u32 = 64;    // a power of two (the trees halve it)\n\n@group(0) @binding(0) var<uniform> dims: Dims;\n@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read> gamma: array<f32>;\n@group(0) @binding(3) var<storage, read> beta: array<f32>;\n@group(0) @binding(4) var<storage, read_write> y: array<f32>;\n@group(0) @binding(5) var<storage, read_write> mean: array<f32>;\n@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;\n@group(0) @binding(7) var<storage, read> dy: array<f32>;\n@group(0) @binding(8) var<storage, read> mean_in: array<f32>;\n@group(0) @binding(9) var<storage, read> rstd_in: array<f32>;\n@group(0) @binding(10) var<storage, read_write> dx: array<f32>;\n@group(0) @binding(11) var<storage, read_write> dgamma: array<f32>;\n@group(0) @binding(12) var<storage, read_write> dbeta: array<f32>;\n\n@compute @workgroup_size(workgroup_size)\nfn layer_norm(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n              @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }          // uniform: the whole workgroup leaves\n  let base = row * dims.cols;\n  let f = f32(dims.cols);\n  var s = 0.0;\n  for (var j = t; j < dims.cols; j += workgroup_size) { s += x[base + j]; }\n  let mu = tree_sum(t, s) / f;\n  var v = 0.0;\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    let c = x[base + j] - mu;\n    v += c * c;\n  }\n  let r = inverseSqrt(tree_sum(t, v) / f + dims.eps);\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    y[base + j] = (x[base + j] - mu) * r * gamma[j] + beta[j];\n  }\n  if (t == 0u) {\n    mean[row] = mu;\n    rstd[row] = r;\n  }\n}\n\n@compute @workgroup_size(workgroup_size)\nfn layer_norm_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,\n                   @builtin(local_invocation_index) t: u32) {\n  let row = group_index(wid, groups);\n  if (row >= dims.rows) { return; }\n  let base = row * dims.cols;\n  let mu = mean_in[row];\n  let r = rstd_in[row];\n  var acc = vec2f(0.0);                      // (\u03A3 g, \u03A3 g\xB7x\u0302)\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    let g = dy[base + j] * gamma[j];\n    acc += vec2f(g, g * (x[base + j] - mu) * r);\n  }\n  let m = tree_sum2(t, acc) / f32(dims.cols);\n  for (var j = t; j < dims.cols; j += workgroup_size) {\n    let xhat = (x[base + j] - mu) * r;\n    dx[base + j] = r * (dy[base + j] * gamma[j] - m.x - xhat * m.y);\n  }\n}\n\n@compute @workgroup_size(workgroup_size)\nfn layer_norm_param_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {\n  let j = flat_index(gid, groups);\n  if (j >= dims.cols) { return; }\n  var dg = 0.0;\n  var db = 0.0;\n  for (var row = 0u; row < dims.rows; row++) {\n    let i = row * dims.cols + j;\n    dg += dy[i] * (x[i] - mean_in[row]) * rstd_in[row];\n    db += dy[i];\n  }\n  dgamma[j] = dg;\n  dbeta[j] = db;\n}\n";

// shaders/dropout.wgsl
var dropout_default = `// dropout: inverted dropout with a counter-based generator (CPU twin: src/cpu/dropout.ts,
// which draws the same mask bit for bit).
//
//   u_i = pcg2d(i, seed).x       keep_i = (u_i >> 8) >= threshold,  threshold = floor(rate\xB72^24)
//   y_i = keep_i ? x_i \xB7 scale : 0,   scale = f32(1 / (1 \u2212 rate))  (0 when rate = 1)
//
// pcg2d is Jarzynski & Olano's 2-D hash ("Hash Functions for GPU Rendering", JCGT 2020):
// u32 multiply-adds and xor-shifts only, so every implementation gets the same bits. The mask
// is a function of (element index, seed): nothing is stored, and the backward pass (the same
// mask applied to dy) is this kernel run on dy with the same seed. A dropped element is 0 even
// if x is NaN or inf (select, not a multiply by 0).
//
// Bindings (group 0): dims uniform; x read [len]; y read_write [len].
// Dispatch: ceil(len / workgroup_size) workgroups folded into (x, y) past 65535
// (index = gid.x + gid.y \xB7 num_workgroups.x \xB7 workgroup_size). workgroup_size: override.
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
`;

// src/gpu/shaders.ts
var float = { file: "lib/float.wgsl", code: float_default };
var index = { file: "lib/index.wgsl", code: lib_default };
var tree = { file: "lib/tree.wgsl", code: tree_default };
var rows = { file: "lib/rows.wgsl", code: rows_default };
var activation = { file: "lib/activation.wgsl", code: activation_default };
var shaderFamilies = {
  elementwise: [float, index, activation, { file: "elementwise.wgsl", code: elementwise_default }],
  reduce: [float, index, tree, { file: "reduce.wgsl", code: reduce_default }],
  optimizer: [float, index, { file: "optimizer.wgsl", code: optimizer_default }],
  matmul: [float, activation, { file: "matmul.wgsl", code: matmul_default }],
  softmax: [float, index, tree, rows, { file: "softmax.wgsl", code: softmax_default }],
  loss: [float, index, tree, rows, activation, { file: "loss.wgsl", code: loss_default }],
  conv: [{ file: "conv.wgsl", code: conv_default }],
  pool: [float, { file: "pool.wgsl", code: pool_default }],
  norm: [index, tree, { file: "norm.wgsl", code: norm_default }],
  dropout: [index, { file: "dropout.wgsl", code: dropout_default }]
};

// src/gpu/kernels.ts
var Kernel = class {
  constructor(name, device, module, reflect, onPipeline) {
    this.name = name;
    this.device = device;
    this.module = module;
    this.onPipeline = onPipeline;
    const entry = name.slice(name.indexOf(".") + 1);
    const fn = reflect.entry.compute.find((f) => f.name === entry);
    if (!fn) {
      const have = reflect.entry.compute.map((f) => f.name).join(", ");
      const hint = have ? `it has: ${have}` : "it has none: wgsl_reflect could not parse the file, see the WGSL compile error";
      throw new Error(`kernel ${name}: no compute entry point '${entry}' in the shader (${hint})`);
    }
    const entries = [];
    for (const r of fn.resources) {
      if (r.group !== 0) throw new Error(`kernel ${name}: binding '${r.name}' is in group ${r.group}; kernels use group 0 only`);
      let kind;
      if (r.resourceType === ResourceType.Uniform) {
        kind = "uniform";
        this.uniform = uniformLayout(name, r.name, r.size, r.members ?? []);
      } else if (r.resourceType === ResourceType.Storage) {
        kind = r.access === "read_write" ? "storage" : "read-only-storage";
      } else {
        throw new Error(`kernel ${name}: binding '${r.name}' is not a buffer; only uniform and storage buffers are supported`);
      }
      this.bindings.set(r.name, { slot: r.binding, kind });
      entries.push({ binding: r.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: kind } });
    }
    this.overrideNames = new Set(reflect.overrides.map((o) => o.name));
    this.bindGroupLayout = device.createBindGroupLayout({ label: name, entries });
    this.pipelineLayout = device.createPipelineLayout({ label: name, bindGroupLayouts: [this.bindGroupLayout] });
  }
  name;
  device;
  module;
  onPipeline;
  bindings = /* @__PURE__ */ new Map();
  uniform = null;
  overrideNames;
  bindGroupLayout;
  pipelineLayout;
  pipelines = /* @__PURE__ */ new Map();
  pipeline(overrides = {}) {
    const key = JSON.stringify(Object.entries(overrides).sort(([a], [b]) => a < b ? -1 : 1));
    let p = this.pipelines.get(key);
    if (p) return p;
    for (const k of Object.keys(overrides)) {
      if (!this.overrideNames.has(k)) {
        throw new Error(`kernel ${this.name}: unknown override constant '${k}' (the shader declares: ${[...this.overrideNames].join(", ")})`);
      }
    }
    const constants = {};
    for (const [k, v] of Object.entries(overrides)) constants[k] = typeof v === "boolean" ? Number(v) : v;
    this.device.pushErrorScope("validation");
    p = this.device.createComputePipeline({
      label: `${this.name} ${key}`,
      layout: this.pipelineLayout,
      compute: { module: this.module, entryPoint: this.name.slice(this.name.indexOf(".") + 1), constants }
    });
    this.onPipeline(this.name, this.device.popErrorScope());
    this.pipelines.set(key, p);
    return p;
  }
  /** Checks that `given` names exactly the shader's bindings; the error names both sets. */
  checkBindings(given) {
    const want = [...this.bindings.entries()].filter(([, b]) => b.kind !== "uniform").sort(([, x2], [, y]) => x2.slot - y.slot).map(([n]) => n);
    const missing = want.filter((n) => !given.includes(n));
    const extra = given.filter((n) => !this.bindings.has(n) || this.bindings.get(n).kind === "uniform");
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(
        `kernel ${this.name}: bindings do not match the shader. Shader declares {${want.join(", ")}}, TypeScript bound {${given.join(", ")}}` + (missing.length ? `; missing {${missing.join(", ")}}` : "") + (extra.length ? `; not in the shader {${extra.join(", ")}}` : "")
      );
    }
  }
  /** Packs uniform values at the offsets wgsl_reflect reports; every field must be given. */
  packUniform(values) {
    const u = this.uniform;
    if (!u) {
      if (Object.keys(values).length > 0) throw new Error(`kernel ${this.name}: shader has no uniform, but values were given`);
      return new Uint8Array(0);
    }
    const bytes = new Uint8Array(Math.ceil(u.size / 16) * 16);
    const view2 = new DataView(bytes.buffer);
    for (const [field, { offset, type }] of u.fields) {
      const v = values[field];
      if (v === void 0) throw new Error(`kernel ${this.name}: uniform field '${u.name}.${field}' was not given`);
      if (type === "f32") view2.setFloat32(offset, v, true);
      else if (type === "u32") view2.setUint32(offset, v, true);
      else view2.setInt32(offset, v, true);
    }
    for (const field of Object.keys(values)) {
      if (!u.fields.has(field)) throw new Error(`kernel ${this.name}: '${field}' is not a field of uniform ${u.name} (fields: ${[...u.fields.keys()].join(", ")})`);
    }
    return bytes;
  }
};
function uniformLayout(kernel, name, size, members) {
  const fields = /* @__PURE__ */ new Map();
  for (const m of members) {
    const t = m.type.name;
    if (t !== "u32" && t !== "i32" && t !== "f32") {
      throw new Error(`kernel ${kernel}: uniform field ${name}.${m.name} has type ${t}; only u32, i32 and f32 scalars are supported`);
    }
    fields.set(m.name, { offset: m.offset, type: t });
  }
  return { name, size, fields };
}
var KernelRegistry = class {
  constructor(device) {
    this.device = device;
  }
  device;
  families = /* @__PURE__ */ new Map();
  kernels = /* @__PURE__ */ new Map();
  /** Compilation and pipeline-creation checks still to be awaited (errors name the kernel). */
  pending = [];
  get(name) {
    let k = this.kernels.get(name);
    if (k) return k;
    const family = name.slice(0, name.indexOf("."));
    const parts = shaderFamilies[family];
    if (!parts) throw new Error(`kernel ${name}: no shader family '${family}' (known: ${Object.keys(shaderFamilies).join(", ")})`);
    let f = this.families.get(family);
    if (!f) {
      const code = parts.map((p) => p.code).join("\n");
      this.device.pushErrorScope("validation");
      const module = this.device.createShaderModule({ label: family, code });
      void this.device.popErrorScope();
      this.pending.push(compilationErrors(module, parts).then(() => null, (err) => err));
      f = { module, reflect: new WgslReflect(code) };
      this.families.set(family, f);
    }
    k = new Kernel(
      name,
      this.device,
      f.module,
      f.reflect,
      (kernel, scope) => this.pending.push(
        scope.then((err) => err ? new Error(`kernel ${kernel}: pipeline creation failed: ${err.message}`) : null)
      )
    );
    this.kernels.set(name, k);
    return k;
  }
  /** Resolves when every compile so far has succeeded; rejects with the first error. */
  async check() {
    const pending = this.pending;
    this.pending = [];
    const first = (await Promise.all(pending)).find((e2) => e2 !== null);
    if (first) throw first;
  }
};
async function compilationErrors(module, parts) {
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === "error");
  if (errors.length === 0) return;
  const where = (line) => {
    for (const p of parts) {
      const n = p.code.split("\n").length;
      if (line <= n) return `shaders/${p.file}:${line}`;
      line -= n;
    }
    return `line ${line}`;
  };
  throw new Error(`WGSL compile error: ${errors.map((m) => `${where(m.lineNum)}: ${m.message}`).join("; ")}`);
}

// src/gpu/pool.ts
var USAGE_STORAGE = 128 | 4 | 8;
function sizeClass(bytes) {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const c = Math.ceil(p * f / 256) * 256;
    if (c >= bytes) return c;
  }
  return 2 * p;
}
var BufferPool = class {
  constructor(device) {
    this.device = device;
  }
  device;
  free = /* @__PURE__ */ new Map();
  parked = [];
  /** Bytes released since the last submit (reusable after it). */
  parkedBytes = 0;
  live = /* @__PURE__ */ new Set();
  stats = { allocatedBytes: 0, allocations: 0, reuses: 0 };
  acquire(bytes) {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.stats.reuses++;
    } else {
      buf = this.device.createBuffer({ size, usage: USAGE_STORAGE });
      this.stats.allocations++;
      this.stats.allocatedBytes += size;
    }
    this.live.add(buf);
    return buf;
  }
  release(buf) {
    if (!this.live.delete(buf)) throw new Error("BufferPool.release: buffer is not live (released twice?)");
    this.parked.push(buf);
    this.parkedBytes += buf.size;
  }
  /** The commands that might read parked buffers were submitted: make them reusable. */
  afterSubmit() {
    for (const buf of this.parked) {
      const list = this.free.get(buf.size);
      if (list) list.push(buf);
      else this.free.set(buf.size, [buf]);
    }
    this.parked = [];
    this.parkedBytes = 0;
  }
  /** Destroys the free buffers (not live or parked ones). */
  trim() {
    for (const list of this.free.values()) {
      for (const buf of list) {
        this.stats.allocatedBytes -= buf.size;
        buf.destroy();
      }
    }
    this.free.clear();
  }
  get counters() {
    let freeBuffers = 0;
    for (const l of this.free.values()) freeBuffers += l.length;
    return { ...this.stats, liveBuffers: this.live.size, freeBuffers };
  }
};

// src/gpu/queue.ts
var MAX_UNIFORMS = 2048;
var MAX_BIND_GROUPS = 8192;
var MAX_WORKGROUPS_PER_DIM = 65535;
var PARKED_FLUSH_BYTES = 64 * 1024 * 1024;
function grid1d(n, size) {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(groups / y), y];
}
var CommandQueue = class {
  constructor(device, kernels, pool, debug, softwareAdapter = false) {
    this.device = device;
    this.kernels = kernels;
    this.pool = pool;
    this.debug = debug;
    this.softwareAdapter = softwareAdapter;
  }
  device;
  kernels;
  pool;
  debug;
  softwareAdapter;
  encoder = null;
  pass = null;
  uniforms = /* @__PURE__ */ new Map();
  retiredUniforms = [];
  bindGroups = /* @__PURE__ */ new Map();
  ids = /* @__PURE__ */ new WeakMap();
  nextId = 1;
  staging = /* @__PURE__ */ new Map();
  /** Error scopes of submits still in flight (each removes itself when it settles), and the
   *  first error they reported: bounded however long a loop runs without a read. */
  submitChecks = /* @__PURE__ */ new Set();
  submitError = null;
  /** Buffers bound by recorded, unsubmitted commands (see `isPending`). */
  pendingBuffers = /* @__PURE__ */ new Set();
  counters = { dispatches: 0, submits: 0, readbacks: 0 };
  dispatch(spec) {
    const kernel = this.kernels.get(spec.kernel);
    kernel.checkBindings(Object.keys(spec.bindings));
    const pipeline = kernel.pipeline(spec.overrides);
    const bufs = [];
    for (const [name, buf] of Object.entries(spec.bindings)) bufs.push([kernel.bindings.get(name).slot, buf]);
    if (kernel.uniform) {
      const slot = kernel.bindings.get(kernel.uniform.name).slot;
      bufs.push([slot, this.uniformBuffer(spec.kernel, kernel.packUniform(spec.uniforms ?? {}))]);
    } else {
      kernel.packUniform(spec.uniforms ?? {});
    }
    bufs.sort((x3, y2) => x3[0] - y2[0]);
    const key = `${pipeline.label}|${bufs.map(([s, b]) => `${s}:${this.id(b)}`).join(",")}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      group = this.device.createBindGroup({
        label: spec.kernel,
        layout: kernel.bindGroupLayout,
        entries: bufs.map(([binding, buffer]) => ({ binding, resource: { buffer } }))
      });
      this.bindGroups.set(key, group);
    }
    const [x2, y = 1, z = 1] = spec.workgroups;
    for (const n of [x2, y, z]) {
      if (!Number.isInteger(n) || n < 1 || n > MAX_WORKGROUPS_PER_DIM) {
        throw new Error(`kernel ${spec.kernel}: invalid workgroup grid [${x2}, ${y}, ${z}] (each 1..${MAX_WORKGROUPS_PER_DIM})`);
      }
    }
    for (const [, b] of bufs) this.pendingBuffers.add(b);
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x2, y, z);
    this.counters.dispatches++;
    if (this.debug) this.flush();
  }
  /** A temporary buffer for the commands being recorded: it returns to the pool at once, and
   *  the pool hands it out again only after this submit, so the recorded commands own it. */
  scratch(bytes) {
    const buf = this.pool.acquire(bytes);
    this.pool.release(buf);
    return buf;
  }
  /** Records a buffer-to-buffer copy in order with the dispatches. */
  copy(src, dst, bytes) {
    this.endPass();
    this.pendingBuffers.add(src).add(dst);
    this.commandEncoder().copyBufferToBuffer(src, 0, dst, 0, bytes);
  }
  /** Called between ops (never inside one: an op's scratch buffers must stay unsubmitted
   *  until its last dispatch is recorded): submits early when many released bytes wait. */
  flushIfManyReleased() {
    if (this.pool.parkedBytes > PARKED_FLUSH_BYTES) this.flush();
  }
  /** True if a recorded, unsubmitted command uses `buf`: queue.writeBuffer to it now would
   *  run before that command. */
  isPending(buf) {
    return this.pendingBuffers.has(buf);
  }
  /** Submits everything recorded so far (no-op when nothing is pending). */
  flush() {
    if (!this.encoder) return;
    this.endPass();
    const encoder = this.encoder;
    this.encoder = null;
    this.pendingBuffers.clear();
    this.device.pushErrorScope("validation");
    this.device.queue.submit([encoder.finish()]);
    const check = this.device.popErrorScope().then((err) => {
      if (err) this.submitError ??= new Error(`WebGPU validation error in submitted work: ${err.message}`);
      this.submitChecks.delete(check);
    });
    this.submitChecks.add(check);
    this.counters.submits++;
    this.pool.afterSubmit();
    for (const u of this.retiredUniforms) u.destroy();
    this.retiredUniforms = [];
  }
  /** Copies `bytes` of `src` to the CPU, in the same submit as the pending work.
   *  `beforeSubmit` runs once the copy is recorded (e.g. to release `src` to the pool). */
  async read(src, bytes, beforeSubmit) {
    const size = sizeClass(Math.max(bytes, 4));
    const staging = this.staging.get(size)?.pop() ?? this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (bytes > 0) this.copy(src, staging, Math.ceil(bytes / 4) * 4);
    beforeSubmit?.();
    this.flush();
    this.counters.readbacks++;
    await this.check();
    await staging.mapAsync(GPUMapMode.READ, 0, size);
    const out = new Float32Array(bytes / 4);
    out.set(new Float32Array(staging.getMappedRange(0, out.byteLength === 0 ? 0 : Math.ceil(bytes / 4) * 4), 0, out.length));
    staging.unmap();
    const list = this.staging.get(size);
    if (list) list.push(staging);
    else this.staging.set(size, [staging]);
    return out;
  }
  /** Rejects with the first compile or validation error since the last check. */
  async check() {
    await this.kernels.check();
    await Promise.all([...this.submitChecks]);
    const first = this.submitError;
    this.submitError = null;
    if (first) throw first;
  }
  /** Waits until the GPU has finished everything submitted. */
  async sync() {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.check();
  }
  uniformBuffer(kernel, bytes) {
    let key = kernel;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (const w of words) key += "," + w.toString(36);
    const hit = this.uniforms.get(key);
    if (hit) {
      this.uniforms.delete(key);
      this.uniforms.set(key, hit);
      return hit;
    }
    if (this.uniforms.size >= MAX_UNIFORMS) {
      const [oldKey, old] = this.uniforms.entries().next().value;
      this.uniforms.delete(oldKey);
      this.retiredUniforms.push(old);
    }
    const buf = this.device.createBuffer({ size: bytes.byteLength, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    new Uint8Array(buf.getMappedRange()).set(bytes);
    buf.unmap();
    this.uniforms.set(key, buf);
    return buf;
  }
  id(b) {
    let id = this.ids.get(b);
    if (id === void 0) {
      id = this.nextId++;
      this.ids.set(b, id);
    }
    return id;
  }
  commandEncoder() {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }
  computePass() {
    if (!this.pass) this.pass = this.commandEncoder().beginComputePass();
    return this.pass;
  }
  endPass() {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }
};

// src/gpu/backend.ts
var GpuBackend = class {
  constructor(gpu, debug, onFatal) {
    this.gpu = gpu;
    this.pool = new BufferPool(gpu.device);
    this.queue = new CommandQueue(gpu.device, new KernelRegistry(gpu.device), this.pool, debug, gpu.report.isSoftware);
    void gpu.device.lost.then((info) => onFatal(new Error(`WebGPU device lost (${info.reason}): ${info.message || "no details"}. Create a new engine.`)));
    gpu.device.addEventListener("uncapturederror", (ev) => onFatal(new Error(`WebGPU error: ${ev.error.message}`)));
  }
  gpu;
  name = "webgpu";
  pool;
  queue;
  get adapter() {
    return formatAdapter(this.gpu.report);
  }
  get adapterReport() {
    return this.gpu.report;
  }
  get device() {
    return this.gpu.device;
  }
  alloc(op, shape) {
    this.checkBindable(op, shape);
    return this.pool.acquire(Math.max(4, shapeSize(shape) * 4));
  }
  free(buffer) {
    this.pool.release(buffer);
  }
  run(op, inputs, inShapes, outShapes, attrs) {
    outShapes.forEach((s) => this.checkBindable(op.name, s));
    const outputs = outShapes.map((s) => this.alloc(op.name, s));
    try {
      op.gpu(this.queue, inputs, outputs, inShapes, attrs);
    } catch (err) {
      outputs.forEach((b) => this.pool.release(b));
      throw err;
    }
    this.queue.flushIfManyReleased();
    return outputs;
  }
  update(op, targets, inputs, shapes, attrs) {
    op.gpu(this.queue, targets, inputs, shapes, attrs);
    this.queue.flushIfManyReleased();
  }
  write(buffer, data) {
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    if (f32.byteLength === 0) return;
    if (this.queue.isPending(buffer)) this.queue.flush();
    this.gpu.device.queue.writeBuffer(buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
  }
  read(buffer, size, beforeSubmit) {
    return this.queue.read(buffer, size * 4, beforeSubmit);
  }
  async readF64(buffer, size) {
    return Float64Array.from(await this.read(buffer, size));
  }
  flush() {
    this.queue.flush();
  }
  sync() {
    return this.queue.sync();
  }
  stats() {
    return { pool: this.pool.counters, queue: { ...this.queue.counters } };
  }
  destroy() {
    this.queue.flush();
    this.pool.trim();
    if (this.gpu.adapter) this.gpu.device.destroy();
  }
  /** A tensor larger than one storage binding can hold cannot be used by any kernel. */
  checkBindable(op, shape) {
    const limit = this.gpu.device.limits.maxStorageBufferBindingSize;
    const bytes = shapeSize(shape) * 4;
    if (bytes > limit) {
      throw new Error(`${op}: a tensor of shape ${fmt(shape)} needs ${bytes} bytes; this adapter binds at most ${limit} bytes per buffer (maxStorageBufferBindingSize)`);
    }
  }
};

// src/autograd/tape.ts
var Tape = class {
  nodes = [];
  /** Ids of tensors that depend on a watched tensor (and so need gradients). */
  tracked = /* @__PURE__ */ new Set();
  /** Tensors the backward rules will read: their disposal waits until backward is done. */
  held = /* @__PURE__ */ new Set();
  constructor(watched) {
    for (const t of watched) this.tracked.add(t.id);
  }
  record(op, inputs, outputs, attrs) {
    if (!inputs.some((t) => this.tracked.has(t.id))) return;
    this.nodes.push({ op, inputs, outputs, attrs });
    for (const t of outputs) this.tracked.add(t.id);
    for (const t of [...inputs, ...outputs]) this.held.add(t);
  }
};
function backward(ops, tape, output, seed, wrt, zeros) {
  const grads = /* @__PURE__ */ new Map([[output.id, seed]]);
  for (let n = tape.nodes.length - 1; n >= 0; n--) {
    const node = tape.nodes[n];
    const dy = grads.get(node.outputs[0].id);
    if (!dy) continue;
    const needsGrad = node.inputs.map((t) => tape.tracked.has(t.id));
    const rule = node.op.backward;
    if (typeof rule !== "function") {
      throw new Error(`valueAndGrad: op ${node.op.name} (inputs ${node.inputs.map((t) => fmt(t.shape)).join(", ")}) has no gradient: ${rule.nonDifferentiable}`);
    }
    const gs = rule({ ops, inputs: node.inputs, outputs: node.outputs, attrs: node.attrs, dy, needsGrad });
    node.inputs.forEach((x2, i) => {
      const g = gs[i];
      if (!needsGrad[i] || !g) return;
      const prev = grads.get(x2.id);
      grads.set(x2.id, prev ? ops.run1("add", [prev, g], {}) : g);
    });
  }
  return wrt.map((x2) => grads.get(x2.id) ?? zeros(x2));
}

// src/ops/op.ts
function isView(op) {
  return "view" in op && op.view;
}
function nonDifferentiable(reason) {
  return { nonDifferentiable: reason };
}

// src/cpu/elementwise.ts
function binaryCpu(op, a, b) {
  const na = a.length;
  const nb = b.length;
  if (na === 0 || nb === 0) return new Float64Array(0);
  const n = Math.max(na, nb);
  if (n % na !== 0 || n % nb !== 0) {
    throw new RangeError(`binaryCpu(${op}): lengths ${na} and ${nb} do not broadcast`);
  }
  const out = new Float64Array(n);
  if (op === "add") {
    if (na === nb) for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
    else for (let i = 0; i < n; i++) out[i] = a[i % na] + b[i % nb];
  } else if (op === "sub") {
    for (let i = 0; i < n; i++) out[i] = a[i % na] - b[i % nb];
  } else if (op === "mul") {
    if (na === nb) for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
    else for (let i = 0; i < n; i++) out[i] = a[i % na] * b[i % nb];
  } else {
    throw new RangeError(`binaryCpu: unknown op ${String(op)}`);
  }
  return out;
}
function scaleCpu(x2, factor) {
  return x2.map((v) => factor * v);
}
function accumulateCpu(acc, x2) {
  for (let i = 0; i < acc.length; i++) acc[i] += x2[i];
}

// src/cpu/types.ts
function assertLength(fn, name, v, n) {
  if (v.length !== n) {
    throw new RangeError(`${fn}: ${name} has length ${v.length}, expected ${n}`);
  }
}
function assertDims(fn, dims2) {
  for (const key of Object.keys(dims2)) {
    const d = dims2[key];
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${fn}: ${key} must be a non-negative integer, got ${d}`);
    }
  }
}

// src/cpu/activation.ts
function sigmoidScalar(x2) {
  const e2 = Math.exp(-Math.abs(x2));
  return x2 >= 0 ? 1 / (1 + e2) : e2 / (1 + e2);
}
function softplusScalar(x2) {
  return Math.max(x2, 0) + Math.log1p(Math.exp(-Math.abs(x2)));
}
function activationCpu(kind, x2, alpha = 0.01) {
  const n = x2.length;
  const y = new Float64Array(n);
  switch (kind) {
    case "identity":
      y.set(x2);
      break;
    case "sigmoid":
      for (let i = 0; i < n; i++) y[i] = sigmoidScalar(x2[i]);
      break;
    case "tanh":
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x2[i]);
      break;
    case "relu":
      for (let i = 0; i < n; i++) {
        const v = x2[i];
        y[i] = v < 0 ? 0 : v;
      }
      break;
    case "leakyRelu":
      for (let i = 0; i < n; i++) {
        const v = x2[i];
        y[i] = v < 0 ? alpha * v : v;
      }
      break;
    case "softplus":
      for (let i = 0; i < n; i++) y[i] = softplusScalar(x2[i]);
      break;
    default:
      throw new RangeError(`activationCpu: unknown activation ${String(kind)}`);
  }
  return y;
}
function activationGradCpu(kind, dy, x2, y, opts = {}) {
  const n = dy.length;
  const alpha = opts.alpha ?? 0.01;
  const atZero = opts.reluGradAtZero ?? 0;
  if (atZero !== 0 && atZero !== 1) {
    throw new RangeError(`activationGradCpu: reluGradAtZero must be 0 or 1, got ${String(atZero)}`);
  }
  const dx = new Float64Array(n);
  switch (kind) {
    case "identity":
      dx.set(dy);
      break;
    case "sigmoid":
      assertLength("activationGradCpu(sigmoid)", "y", y, n);
      for (let i = 0; i < n; i++) {
        const s = y[i];
        dx[i] = dy[i] * s * (1 - s);
      }
      break;
    case "tanh":
      assertLength("activationGradCpu(tanh)", "y", y, n);
      for (let i = 0; i < n; i++) {
        const t = y[i];
        dx[i] = dy[i] * (1 - t * t);
      }
      break;
    case "relu": {
      assertLength("activationGradCpu(relu)", "x", x2, n);
      for (let i = 0; i < n; i++) {
        const v = x2[i];
        const d = v > 0 ? 1 : v < 0 ? 0 : v === 0 ? atZero : NaN;
        dx[i] = dy[i] * d;
      }
      break;
    }
    case "leakyRelu": {
      assertLength("activationGradCpu(leakyRelu)", "x", x2, n);
      const g0 = atZero === 1 ? 1 : alpha;
      for (let i = 0; i < n; i++) {
        const v = x2[i];
        const d = v > 0 ? 1 : v < 0 ? alpha : v === 0 ? g0 : NaN;
        dx[i] = dy[i] * d;
      }
      break;
    }
    case "softplus":
      assertLength("activationGradCpu(softplus)", "x", x2, n);
      for (let i = 0; i < n; i++) dx[i] = dy[i] * sigmoidScalar(x2[i]);
      break;
    default:
      throw new RangeError(`activationGradCpu: unknown activation ${String(kind)}`);
  }
  return dx;
}

// src/cpu/reduce.ts
function reduceCpu(x2, outer, len, inner, kind) {
  assertDims("reduceCpu", { outer, len, inner });
  assertLength("reduceCpu", "x", x2, outer * len * inner);
  const values = new Float64Array(outer * inner);
  if (kind === "sum" || kind === "mean") {
    for (let o = 0; o < outer; o++) {
      const dst = o * inner;
      for (let l = 0; l < len; l++) {
        const src = (o * len + l) * inner;
        for (let i = 0; i < inner; i++) values[dst + i] += x2[src + i];
      }
    }
    if (kind === "mean") {
      const inv = 1 / len;
      for (let j = 0; j < values.length; j++) values[j] *= inv;
    }
    return { values };
  }
  if (kind === "max") {
    if (len === 0 && outer * inner > 0) throw new RangeError("reduceCpu: max over an empty axis");
    const argmax = new Int32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      const dst = o * inner;
      const first = o * len * inner;
      for (let i = 0; i < inner; i++) values[dst + i] = x2[first + i];
      for (let l = 1; l < len; l++) {
        const src = (o * len + l) * inner;
        for (let i = 0; i < inner; i++) {
          const v = x2[src + i];
          const best = values[dst + i];
          if (v > best || v !== v && best === best) {
            values[dst + i] = v;
            argmax[dst + i] = l;
          }
        }
      }
    }
    return { values, argmax };
  }
  throw new RangeError(`reduceCpu: unknown reduction ${String(kind)}`);
}
function reduceGradCpu(kind, dy, outer, len, inner, argmax) {
  assertDims("reduceGradCpu", { outer, len, inner });
  assertLength("reduceGradCpu", "dy", dy, outer * inner);
  const dx = new Float64Array(outer * len * inner);
  if (kind === "sum" || kind === "mean") {
    const scale2 = kind === "mean" ? 1 / len : 1;
    for (let o = 0; o < outer; o++) {
      const src = o * inner;
      for (let l = 0; l < len; l++) {
        const dst = (o * len + l) * inner;
        for (let i = 0; i < inner; i++) dx[dst + i] = dy[src + i] * scale2;
      }
    }
    return dx;
  }
  if (kind === "max") {
    if (argmax === void 0) throw new RangeError("reduceGradCpu: max needs the argmax of the forward pass");
    assertLength("reduceGradCpu", "argmax", argmax, outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const l = argmax[o * inner + i];
        if (l < 0 || l >= len) throw new RangeError(`reduceGradCpu: argmax ${l} outside [0, ${len})`);
        dx[(o * len + l) * inner + i] = dy[o * inner + i];
      }
    }
    return dx;
  }
  throw new RangeError(`reduceGradCpu: unknown reduction ${String(kind)}`);
}

// src/ops/reduce.ts
var REDUCE_WORKGROUP = 64;
var WORKGROUP = REDUCE_WORKGROUP;
var SOFTWARE_WORKGROUP = 8;
function view(op, shape, axis) {
  const n = shapeSize(shape);
  if (axis === void 0) return { outer: 1, len: n, inner: 1, out: [] };
  const r = shape.length;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) {
    throw new Error(`${op}: axis ${axis} is out of range for shape ${fmt(shape)} (expected an integer in [${-r}, ${r - 1}])`);
  }
  const a = axis < 0 ? axis + r : axis;
  return {
    outer: shapeSize(shape.slice(0, a)),
    len: shape[a],
    inner: shapeSize(shape.slice(a + 1)),
    out: [...shape.slice(0, a), ...shape.slice(a + 1)]
  };
}
function reduceOp(kind) {
  return {
    name: kind,
    outputs([x2], { axis }) {
      const v = view(kind, x2, axis);
      if (kind !== "sum" && v.len === 0) throw new Error(`${kind}: cannot reduce an empty axis of shape ${fmt(x2)}`);
      return kind === "max" ? [v.out, v.out] : [v.out];
    },
    cpu([x2], [s], { axis }) {
      const { outer, len, inner } = view(kind, s, axis);
      const r = reduceCpu(x2, outer, len, inner, kind);
      return kind === "max" ? [r.values, Float64Array.from(r.argmax)] : [r.values];
    },
    gpu(q2, [x2], [out, argOut], [s], { axis }) {
      const { outer, len, inner } = view(kind, s, axis);
      const scale2 = kind === "mean" ? 1 / len : 1;
      const wg = q2.softwareAdapter ? SOFTWARE_WORKGROUP : WORKGROUP;
      if (kind === "max") {
        q2.dispatch({
          kernel: "reduce.reduce_max",
          overrides: { workgroup_size: wg },
          uniforms: { outer, len, inner, scale: scale2, chunks: 1, chunk: len },
          bindings: { x: x2, out, arg_out: argOut },
          workgroups: grid1d(outer * inner, 1)
        });
        return;
      }
      const sumPass = (src, dst, n, chunks2, passScale) => {
        const chunk = chunks2 === 1 ? n : Math.ceil(n / chunks2 / 4) * 4;
        const vec4 = inner === 1 && n % 4 === 0 && chunk % 4 === 0;
        q2.dispatch({
          kernel: vec4 ? "reduce.reduce_sum4" : "reduce.reduce_sum",
          overrides: { workgroup_size: wg },
          uniforms: { outer, len: n, inner, scale: passScale, chunks: chunks2, chunk },
          bindings: vec4 ? { x4: src, out: dst } : { x: src, out: dst },
          workgroups: grid1d(outer * chunks2 * inner, 1)
        });
      };
      let chunks = outer * inner < 32 && len >= 8192 ? Math.min(256, Math.ceil(len / 16384)) : 1;
      if (chunks > 1) chunks = Math.ceil(len / (Math.ceil(len / chunks / 4) * 4));
      if (chunks === 1) return sumPass(x2, out, len, 1, scale2);
      const partial = q2.scratch(outer * chunks * inner * 4);
      sumPass(x2, partial, len, chunks, 1);
      sumPass(partial, out, chunks, 1, scale2);
    },
    // sum: dx = dy broadcast;  mean: dx = dy / len broadcast;  max: dy routed to the arg-max.
    backward({ ops, inputs: [x2], outputs, dy, attrs }) {
      const grad = kind === "max" ? ops.run1("maxGrad", [dy, outputs[1]], { shape: x2.shape, axis: attrs.axis }) : ops.run1("broadcastAxis", [dy], { shape: x2.shape, axis: attrs.axis, mean: kind === "mean" });
      return [grad];
    }
  };
}
var sum = reduceOp("sum");
var mean = reduceOp("mean");
var max = reduceOp("max");
var broadcastAxis = {
  name: "broadcastAxis",
  outputs([dy], { shape, axis }) {
    const v = view("broadcastAxis", shape, axis);
    if (shapeSize(dy) !== shapeSize(v.out)) throw new Error(`broadcastAxis: dy ${fmt(dy)} does not match the reduced shape ${fmt(v.out)}`);
    return [shape];
  },
  cpu([dy], _s, { shape, axis, mean: mean2 }) {
    const { outer, len, inner } = view("broadcastAxis", shape, axis);
    return [reduceGradCpu(mean2 ? "mean" : "sum", dy, outer, len, inner)];
  },
  gpu(q2, [dy], [out], _s, { shape, axis, mean: mean2 }) {
    const { outer, len, inner } = view("broadcastAxis", shape, axis);
    q2.dispatch({
      kernel: "reduce.broadcast",
      overrides: { workgroup_size: WORKGROUP },
      uniforms: { outer, len, inner, scale: mean2 ? 1 / len : 1, chunks: 1, chunk: len },
      bindings: { dy, out },
      workgroups: grid1d(outer * len * inner, WORKGROUP)
    });
  },
  // linear: its transpose is the sum (or mean-scaled sum) over the same axis
  backward: ({ ops, dy, attrs }) => [ops.run1(attrs.mean ? "mean" : "sum", [dy], { axis: attrs.axis })]
};
var maxGrad = {
  name: "maxGrad",
  outputs: (_s, { shape }) => [shape],
  cpu([dy, arg], _s, { shape, axis }) {
    const { outer, len, inner } = view("maxGrad", shape, axis);
    return [reduceGradCpu("max", dy, outer, len, inner, Int32Array.from(arg))];
  },
  gpu(q2, [dy, arg], [out], _s, { shape, axis }) {
    const { outer, len, inner } = view("maxGrad", shape, axis);
    q2.dispatch({
      kernel: "reduce.max_grad",
      overrides: { workgroup_size: WORKGROUP },
      uniforms: { outer, len, inner, scale: 1, chunks: 1, chunk: len },
      bindings: { dy, arg, out },
      workgroups: grid1d(outer * len * inner, WORKGROUP)
    });
  },
  backward: nonDifferentiable("maxGrad is the backward kernel of max; second derivatives are not supported")
};
function sumToShape(ops, g, shape) {
  if (sameShape(g.shape, shape)) return g;
  const n = shapeSize(shape);
  if (shapeSize(g.shape) === n) return ops.run1("reshape", [g], { shape });
  const rows3 = shapeSize(g.shape) / n;
  const flat = ops.run1("reshape", [g], { shape: [rows3, n] });
  return ops.run1("reshape", [ops.run1("sum", [flat], { axis: 0 })], { shape });
}

// src/ops/elementwise.ts
var WORKGROUP2 = 256;
var activationCode = {
  identity: 0,
  sigmoid: 1,
  tanh: 2,
  relu: 3,
  leakyRelu: 4,
  softplus: 5
};
function broadcastShape(op, a, b) {
  const [big, small] = shapeSize(a) >= shapeSize(b) ? [a, b] : [b, a];
  if (shapeSize(small) === 1 && shapeSize(big) >= 1) return big;
  let start = 0;
  while (start < small.length && small[start] === 1) start++;
  const suffix = small.slice(start);
  const tail = big.slice(big.length - suffix.length);
  if (suffix.length <= big.length && suffix.every((d, i) => d === tail[i])) return big;
  throw new Error(
    `${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast; expected equal shapes, a scalar, or one shape a trailing suffix of the other (e.g. [M, N] and [N])`
  );
}
var binaryCode = { add: 0, sub: 1, mul: 2 };
function binaryOp(kind) {
  return {
    name: kind,
    outputs: ([a, b]) => [broadcastShape(kind, a, b)],
    cpu: ([a, b]) => [binaryCpu(kind, a, b)],
    gpu(q2, [a, b], [out], [sa, sb]) {
      const [na, nb] = [shapeSize(sa), shapeSize(sb)];
      const len = Math.max(na, nb);
      const same = na === nb;
      q2.dispatch({
        kernel: same ? "elementwise.binary4" : "elementwise.binary",
        overrides: { workgroup_size: WORKGROUP2, binary_op: binaryCode[kind] },
        uniforms: { len, a_len: Math.max(1, na), b_len: Math.max(1, nb), alpha: 0, grad_at_zero: 0 },
        bindings: same ? { a4: a, b4: b, out4: out } : { a, b, out },
        workgroups: grid1d(same ? Math.ceil(len / 4) : len, WORKGROUP2)
      });
    },
    // d(a±b) = da ± db;  d(a*b) = b da + a db; a broadcast operand sums its gradient back.
    backward({ ops, inputs: [a, b], dy, needsGrad }) {
      const grad = (self, other, sign) => {
        if (kind === "mul") return sumToShape(ops, ops.run1("mul", [dy, other], {}), self.shape);
        const g = sumToShape(ops, dy, self.shape);
        return sign > 0 ? g : ops.run1("scale", [g], { factor: -1 });
      };
      return [needsGrad[0] ? grad(a, b, 1) : null, needsGrad[1] ? grad(b, a, kind === "sub" ? -1 : 1) : null];
    }
  };
}
var add = binaryOp("add");
var sub = binaryOp("sub");
var mul = binaryOp("mul");
function activationUniforms(len, attrs) {
  return { len, a_len: 1, b_len: 1, alpha: attrs.alpha, grad_at_zero: attrs.gradAtZero };
}
var activation2 = {
  name: "activation",
  outputs: ([x2]) => [x2],
  cpu: ([x2], _s, { kind, alpha }) => [activationCpu(kind, x2, alpha)],
  gpu(q2, [x2], [out], [sx], attrs) {
    const len = shapeSize(sx);
    q2.dispatch({
      kernel: "elementwise.unary4",
      overrides: { workgroup_size: WORKGROUP2, kind: activationCode[attrs.kind] },
      uniforms: activationUniforms(len, attrs),
      bindings: { x4: x2, out4: out },
      workgroups: grid1d(Math.ceil(len / 4), WORKGROUP2)
    });
  },
  // dx = dy ⊙ f'(x)  (diagonal Jacobian)
  backward: ({ ops, inputs: [x2], outputs: [y], dy, attrs }) => [ops.run1("activationGrad", [x2, y, dy], attrs)]
};
var activationGrad = {
  name: "activationGrad",
  outputs([x2, y, dy]) {
    if (shapeSize(x2) !== shapeSize(y) || shapeSize(x2) !== shapeSize(dy)) {
      throw new Error(`activationGrad: x ${fmt(x2)}, y ${fmt(y)} and dy ${fmt(dy)} must have the same size`);
    }
    return [x2];
  },
  cpu: ([x2, y, dy], _s, { kind, alpha, gradAtZero }) => [activationGradCpu(kind, dy, x2, y, { alpha, reluGradAtZero: gradAtZero })],
  gpu(q2, [x2, y, dy], [out], [sx], attrs) {
    const len = shapeSize(sx);
    q2.dispatch({
      kernel: "elementwise.unary_grad",
      overrides: { workgroup_size: WORKGROUP2, kind: activationCode[attrs.kind] },
      uniforms: activationUniforms(len, attrs),
      bindings: { x: x2, y, dy, out },
      workgroups: grid1d(len, WORKGROUP2)
    });
  },
  backward: nonDifferentiable("activationGrad is a backward kernel; second derivatives of activations are not supported")
};
var scale = {
  name: "scale",
  outputs([x2], { factor }) {
    if (typeof factor !== "number" || Number.isNaN(factor)) throw new Error(`scale: factor must be a number, got ${String(factor)}`);
    return [x2];
  },
  cpu: ([x2], _s, { factor }) => [scaleCpu(x2, factor)],
  gpu(q2, [x2], [out], [sx], { factor }) {
    const len = shapeSize(sx);
    q2.dispatch({
      kernel: "elementwise.scale4",
      overrides: { workgroup_size: WORKGROUP2 },
      uniforms: { len, a_len: 1, b_len: 1, alpha: factor, grad_at_zero: 0 },
      bindings: { x4: x2, out4: out },
      workgroups: grid1d(Math.ceil(len / 4), WORKGROUP2)
    });
  },
  // d(cx) = c dx
  backward: ({ ops, dy, attrs }) => [ops.run1("scale", [dy], attrs)]
};
var addInPlace = {
  name: "addInPlace",
  check([acc], [x2]) {
    if (shapeSize(acc) !== shapeSize(x2)) throw new Error(`addInPlace: accumulator ${fmt(acc)} and value ${fmt(x2)} differ in size`);
  },
  cpu: ([acc], [x2]) => accumulateCpu(acc, x2),
  gpu(q2, [acc], [x2], [s]) {
    const len = shapeSize(s);
    q2.dispatch({
      kernel: "elementwise.accumulate",
      overrides: { workgroup_size: WORKGROUP2 },
      uniforms: { len, a_len: 1, b_len: 1, alpha: 0, grad_at_zero: 0 },
      bindings: { x: x2, acc },
      workgroups: grid1d(len, WORKGROUP2)
    });
  }
};

// src/cpu/matmul.ts
function matmulCpu(a, b, p, epilogue) {
  const { batch, M, N, K, aBatched, bBatched, transposeA, transposeB } = p;
  assertDims("matmulCpu", { batch, M, N, K });
  const batchA = aBatched ? batch : 1;
  const batchB = bBatched ? batch : 1;
  assertLength("matmulCpu", transposeA ? "A [batchA, K, M]" : "A [batchA, M, K]", a, batchA * M * K);
  assertLength("matmulCpu", transposeB ? "B [batchB, N, K]" : "B [batchB, K, N]", b, batchB * K * N);
  const bias = epilogue?.bias;
  if (bias !== void 0) assertLength("matmulCpu", "bias", bias, N);
  const out = new Float64Array(batch * M * N);
  const aRow = transposeA && transposeB ? new Float64Array(K) : void 0;
  for (let bt = 0; bt < batch; bt++) {
    const aOff = aBatched ? bt * M * K : 0;
    const bOff = bBatched ? bt * K * N : 0;
    const cOff = bt * M * N;
    if (!transposeB) {
      const aStrideI = transposeA ? 1 : K;
      const aStrideK = transposeA ? M : 1;
      for (let i = 0; i < M; i++) {
        const cRow = cOff + i * N;
        const aBase = aOff + i * aStrideI;
        let k = 0;
        for (; k + 4 <= K; k += 4) {
          const a0 = a[aBase + k * aStrideK];
          const a1 = a[aBase + (k + 1) * aStrideK];
          const a2 = a[aBase + (k + 2) * aStrideK];
          const a3 = a[aBase + (k + 3) * aStrideK];
          const b0 = bOff + k * N;
          const b1 = b0 + N;
          const b2 = b1 + N;
          const b3 = b2 + N;
          for (let j = 0; j < N; j++) {
            out[cRow + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
          }
        }
        for (; k < K; k++) {
          const aik = a[aBase + k * aStrideK];
          const bRow = bOff + k * N;
          for (let j = 0; j < N; j++) out[cRow + j] += aik * b[bRow + j];
        }
      }
    } else {
      for (let i = 0; i < M; i++) {
        let src = a;
        let aBase = aOff + i * K;
        if (aRow !== void 0) {
          for (let k = 0; k < K; k++) aRow[k] = a[aOff + k * M + i];
          src = aRow;
          aBase = 0;
        }
        const cRow = cOff + i * N;
        let j = 0;
        for (; j + 4 <= N; j += 4) {
          const b0 = bOff + j * K;
          const b1 = b0 + K;
          const b2 = b1 + K;
          const b3 = b2 + K;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let k = 0; k < K; k++) {
            const aik = src[aBase + k];
            s0 += aik * b[b0 + k];
            s1 += aik * b[b1 + k];
            s2 += aik * b[b2 + k];
            s3 += aik * b[b3 + k];
          }
          out[cRow + j] = s0;
          out[cRow + j + 1] = s1;
          out[cRow + j + 2] = s2;
          out[cRow + j + 3] = s3;
        }
        for (; j < N; j++) {
          const bRow = bOff + j * K;
          let s = 0;
          for (let k = 0; k < K; k++) s += src[aBase + k] * b[bRow + k];
          out[cRow + j] = s;
        }
      }
    }
  }
  if (bias !== void 0 && N > 0) {
    for (let r = 0; r < batch * M; r++) {
      const row = r * N;
      for (let j = 0; j < N; j++) out[row + j] += bias[j];
    }
  }
  const act = epilogue?.activation ?? "identity";
  return act === "identity" ? out : activationCpu(act, out, epilogue?.alpha ?? 0.01);
}

// src/ops/matmul.ts
var TILE_M = 16;
var TILE_N = 8;
var WG_X = 8;
var WG_Y = 4;
function dims(a, b, bias, { transposeA, transposeB }) {
  const desc = `matmul: A ${fmt(a)}${transposeA ? "\u1D40" : ""} \xB7 B ${fmt(b)}${transposeB ? "\u1D40" : ""}`;
  if (a.length !== 2 && a.length !== 3 || b.length !== 2 && b.length !== 3) {
    throw new Error(`${desc}: operands must have rank 2 ([M, K]) or 3 ([batch, M, K])`);
  }
  const [ar, ac] = a.slice(-2);
  const [br, bc] = b.slice(-2);
  const [M, K] = transposeA ? [ac, ar] : [ar, ac];
  const [K2, N] = transposeB ? [bc, br] : [br, bc];
  if (K !== K2) throw new Error(`${desc}: inner dimensions differ (${K} vs ${K2})`);
  const ab = a.length === 3 ? a[0] : 1;
  const bb = b.length === 3 ? b[0] : 1;
  if (ab !== bb && ab !== 1 && bb !== 1) throw new Error(`${desc}: batch sizes ${ab} and ${bb} differ (one may be 1 to broadcast)`);
  const batch = Math.max(ab, bb);
  if (bias && (bias.length !== 1 || bias[0] !== N)) throw new Error(`${desc}: bias has shape ${fmt(bias)}, expected [${N}]`);
  const out = a.length === 3 || b.length === 3 ? [batch, M, N] : [M, N];
  return { batch, M, N, K, aBatched: ab > 1, bBatched: bb > 1, transposeA, transposeB, out };
}
var matmul = {
  name: "matmul",
  outputs: ([a, b, bias], attrs) => [dims(a, b, bias, attrs).out],
  cpu([a, b, bias], [sa, sb, sbias], attrs) {
    return [matmulCpu(a, b, dims(sa, sb, sbias, attrs), { bias, activation: attrs.activation, alpha: attrs.alpha })];
  },
  gpu(q2, [a, b, bias], [c], [sa, sb, sbias], attrs) {
    const d = dims(sa, sb, sbias, attrs);
    q2.dispatch({
      kernel: "matmul.main",
      overrides: {
        transpose_a: attrs.transposeA,
        transpose_b: attrs.transposeB,
        has_bias: bias !== void 0,
        activation: activationCode[attrs.activation]
      },
      uniforms: {
        M: d.M,
        N: d.N,
        K: d.K,
        batch: d.batch,
        a_batch_stride: d.aBatched ? d.M * d.K : 0,
        b_batch_stride: d.bBatched ? d.K * d.N : 0,
        alpha: attrs.alpha
      },
      // An unused bias binding still needs a buffer: A serves (it is never read).
      bindings: { a, b, bias: bias ?? a, c },
      workgroups: [Math.max(1, Math.ceil(d.N / (WG_X * TILE_N))), Math.max(1, Math.ceil(d.M / (WG_Y * TILE_M))), Math.max(1, d.batch)]
    });
  },
  // dA = dC·op(B)ᵀ and dB = op(A)ᵀ·dC, written for each stored layout; db = Σ_rows dC.
  backward({ ops, inputs: [a, b, bias], dy, attrs, needsGrad }) {
    if (attrs.activation !== "identity") throw new Error(`matmul: gradient through a fused ${attrs.activation} epilogue is not supported`);
    const { transposeA: tA, transposeB: tB } = attrs;
    const mm = (x2, y, transposeA, transposeB) => ops.run1("matmul", [x2, y], { transposeA, transposeB, activation: "identity", alpha: 0 });
    const da = needsGrad[0] ? sumToShape(ops, tA ? mm(b, dy, tB, true) : mm(dy, b, false, !tB), a.shape) : null;
    const db = needsGrad[1] ? sumToShape(ops, tB ? mm(dy, a, true, tA) : mm(a, dy, !tA, false), b.shape) : null;
    const dbias = bias && needsGrad[2] ? sumToShape(ops, dy, bias.shape) : null;
    return [da, db, dbias];
  }
};
function runMatmul(ops, recording, a, b, opts, activationOp) {
  if (opts === null || typeof opts !== "object") throw new Error(`matmul: options must be an object, got ${String(opts)}`);
  const activation3 = opts.activation ?? "identity";
  const base = { transposeA: opts.transposeA ?? false, transposeB: opts.transposeB ?? false, alpha: opts.alpha ?? 0.01 };
  const inputs = opts.bias ? [a, b, opts.bias] : [a, b];
  if (recording && activation3 !== "identity") {
    return activationOp(ops.run1("matmul", inputs, { ...base, activation: "identity" }));
  }
  return ops.run1("matmul", inputs, { ...base, activation: activation3 });
}

// src/ops/shape.ts
var reshape = {
  name: "reshape",
  view: true,
  outputs([x2], { shape }) {
    checkShape("reshape", shape);
    if (shapeSize(x2) !== shapeSize(shape)) throw new Error(`reshape: cannot reshape ${fmt(x2)} (${shapeSize(x2)} elements) to ${fmt(shape)} (${shapeSize(shape)} elements)`);
    return [shape];
  },
  // d(reshape(x, s)) = reshape(dy, shape of x)
  backward: ({ ops, inputs: [x2], dy }) => [ops.run1("reshape", [dy], { shape: x2.shape })]
};
var copy = {
  name: "copy",
  outputs: ([x2]) => [x2],
  cpu: ([x2]) => [x2.slice()],
  gpu(q2, [x2], [out], [s]) {
    q2.copy(x2, out, shapeSize(s) * 4);
  },
  // d(copy x) = dy
  backward: ({ dy }) => [dy]
};

// src/cpu/softmax.ts
function softmaxCpu(x2, rows3, cols, log = false) {
  assertDims("softmaxCpu", { rows: rows3, cols });
  assertLength("softmaxCpu", "x", x2, rows3 * cols);
  const y = new Float64Array(rows3 * cols);
  for (let r = 0; r < rows3; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = x2[o + j];
      if (v > m || v !== v) m = v;
    }
    if (m === -Infinity) {
      y.fill(log ? -Math.log(cols) : 1 / cols, o, o + cols);
      continue;
    }
    let sum2 = 0;
    for (let j = 0; j < cols; j++) sum2 += Math.exp(x2[o + j] - m);
    if (log) {
      const lse = Math.log(sum2);
      for (let j = 0; j < cols; j++) y[o + j] = x2[o + j] - m - lse;
    } else {
      const inv = 1 / sum2;
      for (let j = 0; j < cols; j++) y[o + j] = Math.exp(x2[o + j] - m) * inv;
    }
  }
  return y;
}
function softmaxJvpCpu(y, v, rows3, cols) {
  assertDims("softmaxJvpCpu", { rows: rows3, cols });
  assertLength("softmaxJvpCpu", "y", y, rows3 * cols);
  assertLength("softmaxJvpCpu", "v", v, rows3 * cols);
  const out = new Float64Array(rows3 * cols);
  for (let r = 0; r < rows3; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += v[o + j] * y[o + j];
    for (let j = 0; j < cols; j++) out[o + j] = y[o + j] * (v[o + j] - dot);
  }
  return out;
}
function softmaxJvpGradYCpu(y, v, g, rows3, cols) {
  assertDims("softmaxJvpGradYCpu", { rows: rows3, cols });
  for (const [name, a] of [["y", y], ["v", v], ["g", g]]) assertLength("softmaxJvpGradYCpu", name, a, rows3 * cols);
  const out = new Float64Array(rows3 * cols);
  for (let o = 0; o < out.length; o += cols) {
    let vy = 0;
    let gy = 0;
    for (let j = o; j < o + cols; j++) {
      vy += v[j] * y[j];
      gy += g[j] * y[j];
    }
    for (let j = o; j < o + cols; j++) out[j] = g[j] * (v[j] - vy) - v[j] * gy;
  }
  return out;
}
function logSoftmaxGradCpu(y, dy, rows3, cols) {
  assertDims("logSoftmaxGradCpu", { rows: rows3, cols });
  assertLength("logSoftmaxGradCpu", "y", y, rows3 * cols);
  assertLength("logSoftmaxGradCpu", "dy", dy, rows3 * cols);
  const out = new Float64Array(rows3 * cols);
  for (let o = 0; o < out.length; o += cols) {
    let sum2 = 0;
    for (let j = o; j < o + cols; j++) sum2 += dy[j];
    for (let j = o; j < o + cols; j++) out[j] = dy[j] - Math.exp(y[j]) * sum2;
  }
  return out;
}

// src/ops/softmax.ts
function rowView(shape) {
  return { rows: shapeSize(shape.slice(0, -1)), cols: shape.length === 0 ? 1 : shape[shape.length - 1] };
}
function rowWorkgroupSize(cols, software) {
  const cap = software ? 4 : 64;
  let size = 4;
  while (size < cols && size < cap) size *= 2;
  return size;
}
function dispatchRows(q2, kernel, { rows: rows3, cols }, uniforms, bindings, overrides = {}) {
  if (rows3 === 0) return;
  q2.dispatch({
    kernel,
    overrides: { workgroup_size: rowWorkgroupSize(cols, q2.softwareAdapter), ...overrides },
    uniforms: { rows: rows3, cols, ...uniforms },
    bindings,
    workgroups: grid1d(rows3, 1)
  });
}
function rankAtLeast1(op, s) {
  if (s.length === 0) throw new Error(`${op}: needs a tensor of rank >= 1 (it runs over the last axis), got a scalar of shape []`);
}
function sameShapes(op, names, shapes) {
  const first = shapes[0];
  shapes.forEach((s, i) => {
    if (s.length !== first.length || s.some((d, k) => d !== first[k])) {
      throw new Error(`${op}: ${names[0]} ${fmt(first)} and ${names[i]} ${fmt(s)} must have the same shape`);
    }
  });
  rankAtLeast1(op, first);
  return first;
}
function softmaxOp(log) {
  const name = log ? "logSoftmax" : "softmax";
  return {
    name,
    outputs([x2]) {
      rankAtLeast1(name, x2);
      return [x2];
    },
    cpu([x2], [s]) {
      const { rows: rows3, cols } = rowView(s);
      return [softmaxCpu(x2, rows3, cols, log)];
    },
    gpu(q2, [x2], [out], [s]) {
      dispatchRows(q2, "softmax.softmax", rowView(s), {}, { x: x2, out }, { log_output: log });
    },
    // softmax:      dx = Jᵀ dy = J dy = y ⊙ (dy - ⟨dy, y⟩)
    // log-softmax:  dx = dy - softmax(x) Σ_row dy, softmax(x) = e^y
    backward: ({ ops, outputs: [y], dy }) => [ops.run1(log ? "logSoftmaxGrad" : "softmaxJvp", [y, dy], {})]
  };
}
var softmax = softmaxOp(false);
var logSoftmax = softmaxOp(true);
var softmaxJvp = {
  name: "softmaxJvp",
  outputs: (shapes) => [sameShapes("softmaxJvp", ["y", "v"], shapes)],
  cpu([y, v], [s]) {
    const { rows: rows3, cols } = rowView(s);
    return [softmaxJvpCpu(y, v, rows3, cols)];
  },
  gpu(q2, [y, v], [out], [s]) {
    dispatchRows(q2, "softmax.jvp", rowView(s), {}, { y, v, out });
  },
  // out = y ⊙ (v - s), s = ⟨v, y⟩, upstream g:
  //   ∂/∂v = y ⊙ (g - ⟨g, y⟩) = jvp(y, g);   ∂/∂y = g ⊙ (v - s) - v ⟨g, y⟩
  backward: ({ ops, inputs: [y, v], dy, needsGrad }) => [
    needsGrad[0] ? ops.run1("softmaxJvpGradY", [y, v, dy], {}) : null,
    needsGrad[1] ? ops.run1("softmaxJvp", [y, dy], {}) : null
  ]
};
var softmaxJvpGradY = {
  name: "softmaxJvpGradY",
  outputs: (shapes) => [sameShapes("softmaxJvpGradY", ["y", "v", "dy"], shapes)],
  cpu([y, v, g], [s]) {
    const { rows: rows3, cols } = rowView(s);
    return [softmaxJvpGradYCpu(y, v, g, rows3, cols)];
  },
  gpu(q2, [y, v, g], [out], [s]) {
    dispatchRows(q2, "softmax.jvp_grad_y", rowView(s), {}, { y, v, dy: g, out });
  },
  backward: nonDifferentiable("softmaxJvpGradY is a backward kernel; third derivatives of softmax are not supported")
};
var logSoftmaxGrad = {
  name: "logSoftmaxGrad",
  outputs: (shapes) => [sameShapes("logSoftmaxGrad", ["y", "dy"], shapes)],
  cpu([y, dy], [s]) {
    const { rows: rows3, cols } = rowView(s);
    return [logSoftmaxGradCpu(y, dy, rows3, cols)];
  },
  gpu(q2, [y, dy], [out], [s]) {
    dispatchRows(q2, "softmax.log_softmax_grad", rowView(s), {}, { y, dy, out });
  },
  backward: nonDifferentiable("logSoftmaxGrad is a backward kernel; second derivatives of logSoftmax are not supported")
};

// src/cpu/loss.ts
function checkRows(fn, rows3, cols) {
  assertDims(fn, { rows: rows3, cols });
  if (rows3 === 0) throw new RangeError(`${fn}: the mean over 0 rows is undefined`);
}
function mseLossCpu(y, d, rows3, cols) {
  checkRows("mseLossCpu", rows3, cols);
  assertLength("mseLossCpu", "y", y, rows3 * cols);
  assertLength("mseLossCpu", "d", d, rows3 * cols);
  const invT = 1 / rows3;
  const grad = new Float64Array(rows3 * cols);
  let sum2 = 0;
  for (let i = 0; i < grad.length; i++) {
    const e2 = y[i] - d[i];
    sum2 += e2 * e2;
    grad[i] = e2 * invT;
  }
  return { loss: 0.5 * sum2 * invT, grad };
}
function binaryCrossEntropyCpu(p, d, rows3, cols, eps = 1e-7) {
  checkRows("binaryCrossEntropyCpu", rows3, cols);
  assertLength("binaryCrossEntropyCpu", "p", p, rows3 * cols);
  assertLength("binaryCrossEntropyCpu", "d", d, rows3 * cols);
  if (!(eps >= 0 && eps < 0.5)) throw new RangeError(`binaryCrossEntropyCpu: eps must be in [0, 0.5), got ${eps}`);
  const invT = 1 / rows3;
  const lo = eps;
  const hi = 1 - eps;
  const grad = new Float64Array(rows3 * cols);
  let sum2 = 0;
  for (let i = 0; i < grad.length; i++) {
    const pi = p[i];
    const pc = pi < lo ? lo : pi > hi ? hi : pi;
    const qc = pi > hi ? eps : 1 - pc;
    const di = d[i];
    if (di !== 0) sum2 -= di * Math.log(pc);
    if (di !== 1) sum2 -= (1 - di) * (pc < 0.5 ? Math.log1p(-pc) : Math.log(qc));
    const num = pc < 0.5 ? pc - di : 1 - di - qc;
    grad[i] = num / (pc * qc) * invT;
  }
  return { loss: sum2 * invT, grad };
}
function binaryCrossEntropyWithLogitsCpu(z, d, rows3, cols) {
  checkRows("binaryCrossEntropyWithLogitsCpu", rows3, cols);
  assertLength("binaryCrossEntropyWithLogitsCpu", "z", z, rows3 * cols);
  assertLength("binaryCrossEntropyWithLogitsCpu", "d", d, rows3 * cols);
  const invN = 1 / (rows3 * cols);
  const grad = new Float64Array(rows3 * cols);
  let sum2 = 0;
  for (let i = 0; i < grad.length; i++) {
    const zi = z[i];
    const e2 = Math.exp(-Math.abs(zi));
    sum2 += Math.max(zi, 0) - zi * d[i] + Math.log1p(e2);
    const sigmoid = zi >= 0 ? 1 / (1 + e2) : e2 / (1 + e2);
    grad[i] = (sigmoid - d[i]) * invN;
  }
  return { loss: sum2 * invN, grad };
}
function softmaxTargetsCpu(labels2, rows3, cols, labelSmoothing = 0) {
  assertDims("softmaxTargetsCpu", { rows: rows3, cols });
  const alpha = labelSmoothing;
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new RangeError(`softmaxTargetsCpu: labelSmoothing must be in [0, 1], got ${alpha}`);
  }
  const keep = 1 - alpha;
  const eps = cols > 0 ? alpha / cols : 0;
  const out = new Float64Array(rows3 * cols);
  if (labels2 instanceof Int32Array) {
    assertLength("softmaxTargetsCpu", "labels (class indices)", labels2, rows3);
    out.fill(eps);
    for (let t = 0; t < rows3; t++) {
      const c = labels2[t];
      if (c < 0 || c >= cols) throw new RangeError(`softmaxTargetsCpu: label ${c} in row ${t} outside [0, ${cols})`);
      out[t * cols + c] += keep;
    }
  } else {
    assertLength("softmaxTargetsCpu", "labels (target rows)", labels2, rows3 * cols);
    for (let i = 0; i < out.length; i++) out[i] = keep * labels2[i] + eps;
  }
  return out;
}
function softmaxCrossEntropyCpu(logits, targets, rows3, cols) {
  checkRows("softmaxCrossEntropyCpu", rows3, cols);
  assertLength("softmaxCrossEntropyCpu", "logits", logits, rows3 * cols);
  assertLength("softmaxCrossEntropyCpu", "targets", targets, rows3 * cols);
  const invT = 1 / rows3;
  const grad = new Float64Array(rows3 * cols);
  let total2 = 0;
  for (let t = 0; t < rows3; t++) {
    const o = t * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = logits[o + j];
      if (v > m || v !== v) m = v;
    }
    const allNegInf = m === -Infinity;
    let sumExp = 0;
    if (!allNegInf) for (let j = 0; j < cols; j++) sumExp += Math.exp(logits[o + j] - m);
    const logSum = Math.log(sumExp);
    let sumD = 0;
    let rowLoss = 0;
    for (let j = 0; j < cols; j++) {
      const dj = targets[o + j];
      sumD += dj;
      const logp = allNegInf ? -Math.log(cols) : logits[o + j] - m - logSum;
      if (dj !== 0) rowLoss -= dj * logp;
    }
    for (let j = 0; j < cols; j++) {
      const pj = allNegInf ? 1 / cols : Math.exp(logits[o + j] - m - logSum);
      grad[o + j] = (pj * sumD - targets[o + j]) * invT;
    }
    total2 += rowLoss;
  }
  return { loss: total2 * invT, grad };
}
function withRowLosses(fn, x2, d, rows3, cols) {
  const { loss, grad } = fn(x2, d, rows3, cols);
  const perRow = new Float64Array(rows3);
  for (let t = 0; t < rows3; t++) {
    const [o, e2] = [t * cols, (t + 1) * cols];
    perRow[t] = fn(x2.subarray(o, e2), d.subarray(o, e2), 1, cols).loss;
  }
  return [Float64Array.of(loss), grad, perRow];
}
function mseTargetGradCpu(aux, g) {
  return aux.map((a) => -g * a);
}
function bceTargetGradCpu(p, g, rows3, eps = 1e-7) {
  const scale2 = g / rows3;
  return p.map((pi) => {
    const pc = Math.min(Math.max(pi, eps), 1 - eps);
    const logQ = pc < 0.5 ? Math.log1p(-pc) : Math.log(pi > 1 - eps ? eps : 1 - pc);
    return scale2 * (logQ - Math.log(pc));
  });
}
function bceLogitsTargetGradCpu(z, g) {
  return z.map((zi) => -g * zi / z.length);
}
function ceTargetGradCpu(z, g, rows3, cols, labelSmoothing) {
  const scale2 = -g * (1 - labelSmoothing) / rows3;
  return softmaxCpu(z, rows3, cols, true).map((l) => scale2 * l);
}

// src/ops/loss.ts
var BCE_EPS = 1e-7;
var ELEMENTWISE_WORKGROUP = 256;
function rowsOf(op, x2) {
  const view2 = rowView(x2);
  if (view2.rows === 0) throw new Error(`${op}: input ${fmt(x2)} has no rows; the mean over 0 rows is undefined`);
  return view2;
}
function sameShape2(op, [a, b], sa, sb) {
  if (sa.length !== sb.length || sa.some((d, k) => d !== sb[k])) {
    throw new Error(`${op}: ${a} ${fmt(sa)} and ${b} ${fmt(sb)} must have the same shape`);
  }
}
function checkLabelSmoothing(op, alpha) {
  if (typeof alpha !== "number" || !(alpha >= 0 && alpha < 1)) {
    throw new Error(`${op}: labelSmoothing must be a number in [0, 1), got ${String(alpha)}`);
  }
  return alpha;
}
function lossGpu(q2, kernel, [x2, d], [value, grad, rowLoss], shape, u = {}) {
  const view2 = rowView(shape);
  const overrides = u.dense === void 0 ? {} : { dense_labels: u.dense };
  dispatchRows(q2, kernel, view2, { inv_t: u.invT ?? 1 / view2.rows, alpha: u.alpha ?? 0, eps: BCE_EPS }, { x: x2, d, grad, row_loss: rowLoss }, overrides);
  q2.dispatch({
    kernel: "reduce.reduce_sum",
    overrides: { workgroup_size: REDUCE_WORKGROUP },
    uniforms: { outer: 1, len: view2.rows, inner: 1, scale: 1 / view2.rows, chunks: 1, chunk: view2.rows },
    bindings: { x: rowLoss, out: value },
    workgroups: [1, 1]
  });
}
var mseLoss = {
  name: "mseLoss",
  outputs([y, d]) {
    sameShape2("mseLoss", ["y", "d"], y, d);
    return [[], y, [rowsOf("mseLoss", y).rows]];
  },
  cpu: ([y, d], [s]) => withRowLosses(mseLossCpu, y, d, rowView(s).rows, rowView(s).cols),
  gpu: (q2, ins, outs, [s]) => lossGpu(q2, "loss.mse_rows", ins, outs, s),
  // aux = (y - d)/T:  dy = g·aux,  dd = -g·aux
  backward: ({ ops, outputs: [, aux], dy, needsGrad }) => [
    needsGrad[0] ? ops.run1("mul", [aux, dy], {}) : null,
    needsGrad[1] ? ops.run1("mseTargetGrad", [aux, dy], {}) : null
  ]
};
var binaryCrossEntropy = {
  name: "binaryCrossEntropy",
  outputs([p, d]) {
    sameShape2("binaryCrossEntropy", ["p", "d"], p, d);
    return [[], p, [rowsOf("binaryCrossEntropy", p).rows]];
  },
  cpu: ([p, d], [s]) => withRowLosses((a, b, r, c) => binaryCrossEntropyCpu(a, b, r, c, BCE_EPS), p, d, rowView(s).rows, rowView(s).cols),
  gpu: (q2, ins, outs, [s]) => lossGpu(q2, "loss.bce_rows", ins, outs, s),
  // aux = (p_c - d)/(p_c q_c)/T:  dp = g·aux,  dd = g (log q_c - log p_c)/T
  backward: ({ ops, inputs: [p], outputs: [, aux], dy, needsGrad }) => [
    needsGrad[0] ? ops.run1("mul", [aux, dy], {}) : null,
    needsGrad[1] ? ops.run1("bceTargetGrad", [p, dy], {}) : null
  ]
};
var softmaxCrossEntropy = {
  name: "softmaxCrossEntropy",
  outputs([z, d], { labelSmoothing, labels: labels2 }) {
    const op = "softmaxCrossEntropy";
    checkLabelSmoothing(op, labelSmoothing);
    const { rows: rows3 } = rowsOf(op, z);
    if (labels2 === "dense") sameShape2(op, ["logits", "labels"], z, d);
    else if (d.length !== 1 || d[0] !== rows3) {
      throw new Error(`${op}: class indices ${fmt(d)} must have shape [${rows3}], one per row of logits ${fmt(z)}`);
    }
    return [[], z, [rows3]];
  },
  cpu([z, d], [s], { labelSmoothing, labels: labels2 }) {
    const { rows: rows3, cols } = rowView(s);
    const targets = softmaxTargetsCpu(labels2 === "index" ? Int32Array.from(d) : d, rows3, cols, labelSmoothing);
    return withRowLosses(softmaxCrossEntropyCpu, z, targets, rows3, cols);
  },
  gpu: (q2, ins, outs, [s], { labelSmoothing, labels: labels2 }) => lossGpu(q2, "loss.ce_rows", ins, outs, s, { alpha: labelSmoothing, dense: labels2 === "dense" }),
  // aux = (softmax(z)·Σt - t)/T:  dz = g·aux;  dense targets: dd = -g (1 - α) log softmax(z)/T
  backward: ({ ops, inputs: [z], outputs: [, aux], dy, needsGrad, attrs }) => [
    needsGrad[0] ? ops.run1("mul", [aux, dy], {}) : null,
    needsGrad[1] && attrs.labels === "dense" ? ops.run1("ceTargetGrad", [z, dy], { labelSmoothing: attrs.labelSmoothing }) : null
  ]
};
var binaryCrossEntropyWithLogits = {
  name: "binaryCrossEntropyWithLogits",
  outputs([z, d]) {
    sameShape2("binaryCrossEntropyWithLogits", ["z", "d"], z, d);
    if (shapeSize(z) === 0) throw new Error(`binaryCrossEntropyWithLogits: z ${fmt(z)} is empty; the mean over 0 elements is undefined`);
    return [[], z, [rowsOf("binaryCrossEntropyWithLogits", z).rows]];
  },
  cpu: ([z, d], [s]) => withRowLosses(binaryCrossEntropyWithLogitsCpu, z, d, rowView(s).rows, rowView(s).cols),
  gpu: (q2, ins, outs, [s]) => lossGpu(q2, "loss.bce_logits_rows", ins, outs, s, { invT: 1 / shapeSize(s) }),
  // aux = (σ(z) − d)/n:  dz = g·aux,  dd = −g·z/n
  backward: ({ ops, inputs: [z], outputs: [, aux], dy, needsGrad }) => [
    needsGrad[0] ? ops.run1("mul", [aux, dy], {}) : null,
    needsGrad[1] ? ops.run1("bceLogitsTargetGrad", [z, dy], {}) : null
  ]
};
function elementwiseGpu(q2, kernel, [x2, g], [out], s, invT = 1 / Math.max(rowView(s).rows, 1)) {
  const { rows: rows3, cols } = rowView(s);
  const n = shapeSize(s);
  if (n === 0) return;
  q2.dispatch({
    kernel,
    overrides: { workgroup_size: ELEMENTWISE_WORKGROUP },
    uniforms: { rows: rows3, cols, inv_t: invT, alpha: 0, eps: BCE_EPS },
    bindings: { x: x2, g, out },
    workgroups: grid1d(n, ELEMENTWISE_WORKGROUP)
  });
}
var TARGET_GRAD = nonDifferentiable("a loss gradient w.r.t. its targets is a backward kernel; second derivatives of losses are not supported");
function scalarGrad(op, x2, g) {
  if (shapeSize(g) !== 1) throw new Error(`${op}: the upstream gradient ${fmt(g)} must have one element`);
  return [x2];
}
var mseTargetGrad = {
  name: "mseTargetGrad",
  outputs: ([aux, g]) => scalarGrad("mseTargetGrad", aux, g),
  cpu: ([aux, g]) => [mseTargetGradCpu(aux, g[0])],
  gpu: (q2, ins, outs, [s]) => elementwiseGpu(q2, "loss.mse_target_grad", ins, outs, s),
  backward: TARGET_GRAD
};
var bceTargetGrad = {
  name: "bceTargetGrad",
  outputs: ([p, g]) => scalarGrad("bceTargetGrad", p, g),
  cpu: ([p, g], [s]) => [bceTargetGradCpu(p, g[0], rowView(s).rows, BCE_EPS)],
  gpu: (q2, ins, outs, [s]) => elementwiseGpu(q2, "loss.bce_target_grad", ins, outs, s),
  backward: TARGET_GRAD
};
var bceLogitsTargetGrad = {
  name: "bceLogitsTargetGrad",
  outputs: ([z, g]) => scalarGrad("bceLogitsTargetGrad", z, g),
  cpu: ([z, g]) => [bceLogitsTargetGradCpu(z, g[0])],
  gpu: (q2, ins, outs, [s]) => elementwiseGpu(q2, "loss.bce_logits_target_grad", ins, outs, s, 1 / shapeSize(s)),
  backward: TARGET_GRAD
};
var ceTargetGrad = {
  name: "ceTargetGrad",
  outputs: ([z, g]) => scalarGrad("ceTargetGrad", z, g),
  cpu([z, g], [s], { labelSmoothing }) {
    const { rows: rows3, cols } = rowView(s);
    return [ceTargetGradCpu(z, g[0], rows3, cols, labelSmoothing)];
  },
  gpu(q2, [z, g], [out], [s], { labelSmoothing }) {
    const view2 = rowView(s);
    dispatchRows(q2, "loss.ce_target_grad", view2, { inv_t: 1 / view2.rows, alpha: labelSmoothing, eps: BCE_EPS }, { x: z, g, out });
  },
  backward: TARGET_GRAD
};
function classIndices(op, shape, labels2) {
  const { rows: rows3, cols } = rowView(shape);
  if (labels2 === null || typeof labels2 !== "object" || typeof labels2.length !== "number") {
    throw new Error(`${op}: labels must be an Int32Array of class indices (one per row) or a Tensor of the logits' shape ${fmt(shape)}, got ${String(labels2)}`);
  }
  const a = labels2;
  if (a.length !== rows3) {
    throw new Error(`${op}: labels has length ${a.length}, expected ${rows3} (one class index per row of logits ${fmt(shape)})`);
  }
  if (cols > 2 ** 24) throw new Error(`${op}: ${cols} classes is more than f32 class indices can address exactly (2^24); pass one-hot targets`);
  for (let i = 0; i < a.length; i++) {
    const c = a[i];
    if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c >= cols) {
      const what = typeof c === "number" && Number.isInteger(c) ? "is out of range" : "is not an integer";
      throw new Error(`${op}: label ${String(c)} at index ${i} ${what}; expected an integer class index in [0, ${cols}) for logits ${fmt(shape)}`);
    }
  }
  return Float32Array.from(a);
}
function softmaxCrossEntropyWith(e2, logits, labels2, opts = {}) {
  const op = "softmaxCrossEntropy";
  if (!(logits instanceof Tensor)) throw new Error(`${op}: logits must be a Tensor, got ${String(logits)}`);
  if (opts === null || typeof opts !== "object") {
    throw new Error(`${op}: options must be an object such as { labelSmoothing: 0.1 }, got ${String(opts)}`);
  }
  const labelSmoothing = checkLabelSmoothing(op, opts.labelSmoothing ?? 0);
  if (labels2 instanceof Tensor) return e2.run1("softmaxCrossEntropy", [logits, labels2], { labelSmoothing, labels: "dense" });
  const indices = e2.tensor(classIndices(op, logits.shape, labels2), [rowView(logits.shape).rows]);
  try {
    const loss = e2.run1("softmaxCrossEntropy", [logits, indices], { labelSmoothing, labels: "index" });
    loss.owned.push(indices);
    return loss;
  } catch (err) {
    indices.dispose();
    throw err;
  }
}

// src/cpu/optimizer.ts
function optimizerUpdateCpu(method, param, s1, s2, health, slot, hyper, grad) {
  const [lr, b1, b2, eps, c1, c2, step2] = hyper;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    if (!Number.isFinite(g)) {
      health[slot] = Math.min(health[slot], step2);
      continue;
    }
    if (method === "momentum") {
      s1[i] = b1 * s1[i] + g;
      param[i] -= lr * s1[i];
    } else if (method === "adam") {
      s1[i] = b1 * s1[i] + (1 - b1) * g;
      s2[i] = b2 * s2[i] + (1 - b2) * g * g;
      const r = Math.sqrt(c2);
      param[i] -= lr * r / c1 * (s1[i] / (Math.sqrt(s2[i]) + eps * r));
    } else {
      param[i] -= lr * g;
    }
  }
}
function lossCheckCpu(health, slot, hyper, loss) {
  if (!Number.isFinite(loss)) health[slot] = Math.min(health[slot], hyper[6]);
}

// src/ops/optimizer.ts
var WORKGROUP3 = 256;
var methodCode = { sgd: 0, momentum: 1, adam: 2 };
var optimizerUpdate = {
  name: "optimizerUpdate",
  check([param, s1, s2], [, grad]) {
    const stateOk = (s) => shapeSize(s) === shapeSize(param) || shapeSize(s) === 1;
    if (shapeSize(param) !== shapeSize(grad) || !stateOk(s1) || !stateOk(s2)) {
      throw new Error(`optimizer: gradient ${fmt(grad)} does not match parameter ${fmt(param)}`);
    }
  },
  cpu: ([param, s1, s2, health], [hyper, grad], { method, slot }) => optimizerUpdateCpu(method, param, s1, s2, health, slot, hyper, grad),
  gpu(q2, [param, s1, s2, health], [hyper, grad], [p], { method, slot }) {
    const len = shapeSize(p);
    q2.dispatch({
      kernel: "optimizer.update",
      overrides: { workgroup_size: WORKGROUP3, method: methodCode[method] },
      uniforms: { len, slot },
      bindings: { hyper, grad, param, state1: s1, state2: s2, health },
      workgroups: grid1d(Math.ceil(len / 4), WORKGROUP3)
    });
  }
};
var lossCheck = {
  name: "lossCheck",
  check(_t, [, loss]) {
    if (shapeSize(loss) !== 1) throw new Error(`lossCheck: loss must be a scalar, got ${fmt(loss)}`);
  },
  cpu: ([health], [hyper, loss], { slot }) => lossCheckCpu(health, slot, hyper, loss[0]),
  gpu(q2, [health], [hyper, loss], _s, { slot }) {
    q2.dispatch({
      kernel: "optimizer.check_loss",
      uniforms: { len: 1, slot },
      bindings: { hyper, grad: loss, health },
      workgroups: [1]
    });
  }
};

// src/cpu/conv.ts
function convOutSize(input, kernel, stride, pad, dilation) {
  return Math.floor((input + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}
function im2colCpu(x2, g) {
  const { batch: N, channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
  assertLength("im2colCpu", "x [N, C, H, W]", x2, N * C * H * W);
  const cols = new Float64Array(N * OH * OW * C * KH * KW);
  let r = 0;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          const plane = (n * C + c) * H * W;
          for (let i = 0; i < KH; i++) {
            const h = oh * g.strideH - g.padH + i * g.dilationH;
            for (let j = 0; j < KW; j++, r++) {
              const w = ow * g.strideW - g.padW + j * g.dilationW;
              if (h >= 0 && h < H && w >= 0 && w < W) cols[r] = x2[plane + h * W + w];
            }
          }
        }
      }
    }
  }
  return cols;
}
function col2imCpu(dcols, g) {
  const { batch: N, channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
  const ckk = C * KH * KW;
  assertLength("col2imCpu", "dcols [N\xB7OH\xB7OW, C\xB7kh\xB7kw]", dcols, N * OH * OW * ckk);
  const dx = new Float64Array(N * C * H * W);
  let r = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++, r++) {
          let s = 0;
          for (let i = 0; i < KH; i++) {
            const th = h + g.padH - i * g.dilationH;
            if (th < 0 || th % g.strideH !== 0 || th / g.strideH >= OH) continue;
            const oh = th / g.strideH;
            for (let j = 0; j < KW; j++) {
              const tw = w + g.padW - j * g.dilationW;
              if (tw < 0 || tw % g.strideW !== 0 || tw / g.strideW >= OW) continue;
              const row = (n * OH + oh) * OW + tw / g.strideW;
              s += dcols[row * ckk + (c * KH + i) * KW + j];
            }
          }
          dx[r] = s;
        }
      }
    }
  }
  return dx;
}
function batchTransposeCpu(x2, batch, rows3, cols) {
  assertLength("batchTransposeCpu", "x [batch, rows, cols]", x2, batch * rows3 * cols);
  const y = new Float64Array(x2.length);
  for (let b = 0; b < batch; b++) {
    const o = b * rows3 * cols;
    for (let i = 0; i < rows3; i++) for (let j = 0; j < cols; j++) y[o + j * rows3 + i] = x2[o + i * cols + j];
  }
  return y;
}

// src/ops/conv.ts
var WORKGROUP_3D = [4, 4, 4];
var MAX_GROUPS = 65535;
function pair(op, name, v, min) {
  const p = typeof v === "number" ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => typeof d === "number" && Number.isInteger(d) && d >= min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair [h, w] of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}
function windowGeometry(op, x2, win) {
  if (x2.length !== 4) throw new Error(`${op}: input must be NCHW (rank 4), got shape ${fmt(x2)}`);
  const [batch, channels, height, width] = x2;
  const [kernelH, kernelW] = win.kernel;
  const [strideH, strideW] = win.stride;
  const [padH, padW] = win.padding;
  const [dilationH, dilationW] = win.dilation;
  const outH = convOutSize(height, kernelH, strideH, padH, dilationH);
  const outW = convOutSize(width, kernelW, strideW, padW, dilationW);
  if (outH < 1 || outW < 1) {
    throw new Error(
      `${op}: input ${fmt(x2)} with padding [${padH}, ${padW}] is smaller than the kernel [${kernelH}, ${kernelW}] (dilation [${dilationH}, ${dilationW}]): the output would be ${outH} \xD7 ${outW}`
    );
  }
  return { batch, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW };
}
function convUniforms(g, outChannels) {
  return {
    batch: g.batch ?? 0,
    channels: g.channels ?? 0,
    height: g.height ?? 0,
    width: g.width ?? 0,
    kernel_h: g.kernelH ?? 0,
    kernel_w: g.kernelW ?? 0,
    stride_h: g.strideH ?? 0,
    stride_w: g.strideW ?? 0,
    pad_h: g.padH ?? 0,
    pad_w: g.padW ?? 0,
    dilation_h: g.dilationH ?? 0,
    dilation_w: g.dilationW ?? 0,
    out_h: g.outH ?? 0,
    out_w: g.outW ?? 0,
    out_channels: outChannels
  };
}
function dispatch3d(q2, kernel, [nx, ny, planes], uniforms, bindings, overrides = {}) {
  if (nx * ny * planes === 0) return;
  const [wx, wy, wz] = WORKGROUP_3D;
  q2.dispatch({
    kernel,
    overrides: { wg_x: wx, wg_y: wy, wg_z: wz, ...overrides },
    uniforms,
    bindings,
    workgroups: [Math.ceil(nx / wx), Math.ceil(ny / wy), Math.min(MAX_GROUPS, Math.ceil(planes / wz))]
  });
}
var im2col = {
  name: "im2col",
  outputs([x2], win) {
    const g = windowGeometry("im2col", x2, win);
    return [[g.batch * g.outH * g.outW, g.channels * g.kernelH * g.kernelW]];
  },
  cpu: ([x2], [s], win) => [im2colCpu(x2, windowGeometry("im2col", s, win))],
  gpu(q2, [x2], [cols], [s], win) {
    const g = windowGeometry("im2col", s, win);
    dispatch3d(q2, "conv.im2col", [g.outW, g.outH, g.batch * g.channels], convUniforms(g, 0), { x: x2, cols });
  },
  // im2col is linear; its transpose is col2im
  backward: ({ ops, inputs: [x2], dy, attrs }) => [ops.run1("col2im", [dy], { ...attrs, inputShape: x2.shape })]
};
var col2im = {
  name: "col2im",
  outputs([dcols], attrs) {
    const g = windowGeometry("col2im", attrs.inputShape, attrs);
    const want = [g.batch * g.outH * g.outW, g.channels * g.kernelH * g.kernelW];
    if (dcols.length !== 2 || dcols[0] !== want[0] || dcols[1] !== want[1]) {
      throw new Error(`col2im: dcols has shape ${fmt(dcols)}, expected ${fmt(want)} for input ${fmt(attrs.inputShape)}`);
    }
    return [attrs.inputShape];
  },
  cpu: ([dcols], _s, attrs) => [col2imCpu(dcols, windowGeometry("col2im", attrs.inputShape, attrs))],
  gpu(q2, [dcols], [dx], _s, attrs) {
    const g = windowGeometry("col2im", attrs.inputShape, attrs);
    const unitStride = g.strideH === 1 && g.strideW === 1;
    dispatch3d(q2, "conv.col2im", [g.width, g.height, g.batch * g.channels], convUniforms(g, 0), { dcols, dx }, { unit_stride: unitStride });
  },
  // col2im is linear; its transpose is im2col
  backward: ({ ops, dy, attrs }) => [ops.run1("im2col", [dy], { kernel: attrs.kernel, stride: attrs.stride, padding: attrs.padding, dilation: attrs.dilation })]
};
function channelsOp(toLast) {
  const name = toLast ? "channelsLast" : "channelsFirst";
  const view2 = (s, { batch, outH, outW }) => {
    const positions = outH * outW;
    const O = s[1];
    const ok = toLast ? s.length === 4 && s[0] === batch && s[2] === outH && s[3] === outW : s.length === 2 && s[0] === batch * positions;
    if (!ok) {
      const want = toLast ? `[${batch}, O, ${outH}, ${outW}]` : `[${batch * positions}, O]`;
      throw new Error(`${name}: input has shape ${fmt(s)}, expected ${want}`);
    }
    return { positions, O };
  };
  return {
    name,
    outputs([s], attrs) {
      const { positions, O } = view2(s, attrs);
      return [toLast ? [attrs.batch * positions, O] : [attrs.batch, O, attrs.outH, attrs.outW]];
    },
    cpu([x2], [s], attrs) {
      const { positions, O } = view2(s, attrs);
      return [toLast ? batchTransposeCpu(x2, attrs.batch, O, positions) : batchTransposeCpu(x2, attrs.batch, positions, O)];
    },
    gpu(q2, [x2], [y], [s], attrs) {
      const { O, positions } = view2(s, attrs);
      dispatch3d(q2, "conv.transpose_channels", [positions, O, attrs.batch], convUniforms(attrs, O), { src: x2, dst: y }, { to_last: toLast });
    },
    // a permutation: its transpose is the inverse permutation
    backward: ({ ops, dy, attrs }) => [ops.run1(toLast ? "channelsFirst" : "channelsLast", [dy], attrs)]
  };
}
var channelsFirst = channelsOp(false);
var channelsLast = channelsOp(true);
var MIN_CHUNK_ROWS = 512;
function weightGradChunks(batch, positions) {
  for (let s = batch; s > 1; s--) if (batch % s === 0 && batch / s * positions >= MIN_CHUNK_ROWS) return s;
  return 1;
}
function conv2dWith(ops, recording, x2, w, opts, activationOp) {
  if (opts === null || typeof opts !== "object") throw new Error(`conv2d: options must be an object, got ${String(opts)}`);
  if (w.rank !== 4) throw new Error(`conv2d: weight must be [out, in, kh, kw] (rank 4), got shape ${fmt(w.shape)}`);
  const [O, C, kh, kw] = w.shape;
  if (x2.rank !== 4 || x2.shape[1] !== C) {
    throw new Error(`conv2d: input ${fmt(x2.shape)} must be NCHW with ${C} channels (weight ${fmt(w.shape)} is [out, in, kh, kw])`);
  }
  if (opts.bias && (opts.bias.rank !== 1 || opts.bias.shape[0] !== O)) {
    throw new Error(`conv2d: bias has shape ${fmt(opts.bias.shape)}, expected [${O}] (one per output channel)`);
  }
  if (kh === 0 || kw === 0 || C === 0) throw new Error(`conv2d: weight ${fmt(w.shape)} has an empty kernel`);
  const win = {
    kernel: [kh, kw],
    stride: pair("conv2d", "stride", opts.stride ?? 1, 1),
    padding: pair("conv2d", "padding", opts.padding ?? 0, 0),
    dilation: pair("conv2d", "dilation", opts.dilation ?? 1, 1)
  };
  const g = windowGeometry("conv2d", x2.shape, win);
  const positions = g.outH * g.outW;
  const chunks = globalThis.__chunks ?? weightGradChunks(g.batch, positions);
  const cols = ops.run1("im2col", [x2], win);
  const chunked = ops.run1("reshape", [cols], { shape: [chunks, g.batch / chunks * positions, C * kh * kw] });
  const w2 = ops.run1("reshape", [w], { shape: [O, C * kh * kw] });
  const z = runMatmul(ops, recording, chunked, w2, { transposeB: true, bias: opts.bias, activation: opts.activation, alpha: opts.alpha }, activationOp);
  const rows3 = ops.run1("reshape", [z], { shape: [g.batch * positions, O] });
  const y = ops.run1("channelsFirst", [rows3], { batch: g.batch, outH: g.outH, outW: g.outW });
  for (const t of [cols, chunked, w2, z, rows3]) t.dispose();
  return y;
}

// src/cpu/pool.ts
function pool2dCpu(kind, x2, g) {
  const { batch: N, channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
  assertLength("pool2dCpu", "x [N, C, H, W]", x2, N * C * H * W);
  const values = new Float64Array(N * C * OH * OW);
  const argmax = kind === "max" ? new Float64Array(values.length) : void 0;
  let r = 0;
  for (let p = 0; p < N * C; p++) {
    const plane = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, r++) {
        let best = -Infinity;
        let arg = -1;
        let sum2 = 0;
        for (let i = 0; i < KH; i++) {
          const h = oh * g.strideH - g.padH + i;
          if (h < 0 || h >= H) continue;
          for (let j = 0; j < KW; j++) {
            const w = ow * g.strideW - g.padW + j;
            if (w < 0 || w >= W) continue;
            const v = x2[plane + h * W + w];
            sum2 += v;
            if (arg < 0 || !Number.isNaN(best) && (v > best || Number.isNaN(v))) {
              best = v;
              arg = h * W + w;
            }
          }
        }
        values[r] = kind === "max" ? best : sum2 / (KH * KW);
        if (argmax) argmax[r] = arg;
      }
    }
  }
  return { values, argmax };
}
function windowsCovering(at, pad, kernel, stride, outSize) {
  const first = Math.max(0, Math.ceil((at + pad - kernel + 1) / stride));
  const last = Math.min(outSize - 1, Math.floor((at + pad) / stride));
  return [first, last];
}
function pool2dGradCpu(kind, dy, g, argmax) {
  const { batch: N, channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
  assertLength("pool2dGradCpu", "dy [N, C, OH, OW]", dy, N * C * OH * OW);
  if (kind === "max") assertLength("pool2dGradCpu", "argmax", argmax ?? [], dy.length);
  const dx = new Float64Array(N * C * H * W);
  let r = 0;
  for (let p = 0; p < N * C; p++) {
    const out = p * OH * OW;
    for (let h = 0; h < H; h++) {
      const [oh0, oh1] = windowsCovering(h, g.padH, KH, g.strideH, OH);
      for (let w = 0; w < W; w++, r++) {
        const [ow0, ow1] = windowsCovering(w, g.padW, KW, g.strideW, OW);
        let s = 0;
        for (let oh = oh0; oh <= oh1; oh++) {
          for (let ow = ow0; ow <= ow1; ow++) {
            const o = out + oh * OW + ow;
            if (kind === "avg") s += dy[o] / (KH * KW);
            else if (argmax[o] === h * W + w) s += dy[o];
          }
        }
        dx[r] = s;
      }
    }
  }
  return dx;
}

// src/ops/pool.ts
function poolAttrs(kind, opts) {
  const op = `${kind}Pool2d`;
  if (opts === null || typeof opts !== "object") throw new Error(`${op}: options must be an object such as { kernel: 2 }, got ${String(opts)}`);
  if (opts.kernel === void 0) throw new Error(`${op}: options.kernel is required (n or [h, w])`);
  const kernel = pair(op, "kernel", opts.kernel, 1);
  const stride = pair(op, "stride", opts.stride ?? kernel, 1);
  const padding = pair(op, "padding", opts.padding ?? 0, 0);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw new Error(`${op}: padding [${padding.join(", ")}] must be at most half the kernel [${kernel.join(", ")}] (a window would hold only padding)`);
  }
  return { kind, window: { kernel, stride, padding, dilation: [1, 1] } };
}
function geometry(kind, x2, attrs) {
  return windowGeometry(`${kind}Pool2d`, x2, attrs.window);
}
function poolUniforms(g) {
  return {
    planes: g.batch * g.channels,
    height: g.height,
    width: g.width,
    kernel_h: g.kernelH,
    kernel_w: g.kernelW,
    stride_h: g.strideH,
    stride_w: g.strideW,
    pad_h: g.padH,
    pad_w: g.padW,
    out_h: g.outH,
    out_w: g.outW
  };
}
function dispatchPool(q2, kernel, g, kind, bindings) {
  const [nx, ny] = kernel === "pool.pool" ? [g.outW, g.outH] : [g.width, g.height];
  dispatch3d(q2, kernel, [nx, ny, g.batch * g.channels], poolUniforms(g), bindings, { is_max: kind === "max" });
}
var pool2d = {
  name: "pool2d",
  outputs([x2], attrs) {
    const g = geometry(attrs.kind, x2, attrs);
    const y = [g.batch, g.channels, g.outH, g.outW];
    return attrs.kind === "max" ? [y, y] : [y];
  },
  cpu([x2], [s], attrs) {
    const r = pool2dCpu(attrs.kind, x2, geometry(attrs.kind, s, attrs));
    return r.argmax ? [r.values, r.argmax] : [r.values];
  },
  gpu(q2, [x2], [y, arg], [s], attrs) {
    const g = geometry(attrs.kind, s, attrs);
    dispatchPool(q2, "pool.pool", g, attrs.kind, { x: x2, y, arg: arg ?? q2.scratch(4) });
  },
  // max: dy to the (first) arg-max of each window;  avg: dy/(kh·kw) to every element of it
  backward: ({ ops, inputs: [x2], outputs: [, arg], dy, attrs }) => [
    ops.run1("pool2dGrad", attrs.kind === "max" ? [dy, arg] : [dy], { ...attrs, inputShape: x2.shape })
  ]
};
var pool2dGrad = {
  name: "pool2dGrad",
  outputs([dy, arg], attrs) {
    const g = geometry(attrs.kind, attrs.inputShape, attrs);
    const want = [g.batch, g.channels, g.outH, g.outW];
    for (const s of attrs.kind === "max" ? [dy, arg] : [dy]) {
      if (s === void 0 || s.length !== 4 || s.some((d, i) => d !== want[i])) {
        throw new Error(`${attrs.kind}Pool2d gradient: got ${s ? fmt(s) : "no arg-max"}, expected ${fmt(want)}`);
      }
    }
    return [attrs.inputShape];
  },
  cpu: ([dy, arg], _s, attrs) => [pool2dGradCpu(attrs.kind, dy, geometry(attrs.kind, attrs.inputShape, attrs), arg)],
  gpu(q2, [dy, arg], [dx], _s, attrs) {
    const g = geometry(attrs.kind, attrs.inputShape, attrs);
    dispatchPool(q2, "pool.pool_grad", g, attrs.kind, { dy, arg_in: arg ?? dy, dx });
  },
  backward: nonDifferentiable("pool2dGrad serves the backward rule of pooling; second derivatives are not supported")
};

// src/cpu/norm.ts
function layerNormCpu(x2, gamma, beta, rows3, features2, eps) {
  assertLength("layerNormCpu", "x [rows, F]", x2, rows3 * features2);
  assertLength("layerNormCpu", "gamma [F]", gamma, features2);
  assertLength("layerNormCpu", "beta [F]", beta, features2);
  const y = new Float64Array(x2.length);
  const mean2 = new Float64Array(rows3);
  const rstd = new Float64Array(rows3);
  for (let t = 0; t < rows3; t++) {
    const o = t * features2;
    let s = 0;
    for (let j = 0; j < features2; j++) s += x2[o + j];
    const mu = s / features2;
    let v = 0;
    for (let j = 0; j < features2; j++) v += (x2[o + j] - mu) ** 2;
    const r = 1 / Math.sqrt(v / features2 + eps);
    for (let j = 0; j < features2; j++) y[o + j] = (x2[o + j] - mu) * r * gamma[j] + beta[j];
    mean2[t] = mu;
    rstd[t] = r;
  }
  return { y, mean: mean2, rstd };
}
function layerNormGradCpu(dy, x2, gamma, mean2, rstd, rows3, features2) {
  assertLength("layerNormGradCpu", "dy", dy, rows3 * features2);
  const dx = new Float64Array(x2.length);
  for (let t = 0; t < rows3; t++) {
    const o = t * features2;
    const [mu, r] = [mean2[t], rstd[t]];
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < features2; j++) {
      const g = dy[o + j] * gamma[j];
      sg += g;
      sgx += g * (x2[o + j] - mu) * r;
    }
    const [mg, mgx] = [sg / features2, sgx / features2];
    for (let j = 0; j < features2; j++) {
      const xhat = (x2[o + j] - mu) * r;
      dx[o + j] = r * (dy[o + j] * gamma[j] - mg - xhat * mgx);
    }
  }
  return dx;
}
function layerNormParamGradCpu(dy, x2, mean2, rstd, rows3, features2) {
  assertLength("layerNormParamGradCpu", "dy", dy, rows3 * features2);
  const dgamma = new Float64Array(features2);
  const dbeta = new Float64Array(features2);
  for (let t = 0; t < rows3; t++) {
    const o = t * features2;
    for (let j = 0; j < features2; j++) {
      dgamma[j] += dy[o + j] * (x2[o + j] - mean2[t]) * rstd[t];
      dbeta[j] += dy[o + j];
    }
  }
  return { dgamma, dbeta };
}

// src/ops/norm.ts
var PARAM_GRAD_WORKGROUP = 64;
function features(op, x2, gamma, beta) {
  if (x2.length === 0) throw new Error(`${op}: x must have rank >= 1 (it normalizes the last axis), got a scalar`);
  const F = x2[x2.length - 1];
  for (const [name, s] of [["gamma", gamma], ["beta", beta]]) {
    if (s.length !== 1 || s[0] !== F) throw new Error(`${op}: ${name} has shape ${fmt(s)}, expected [${F}] (the last axis of x ${fmt(x2)})`);
  }
  if (F === 0) throw new Error(`${op}: x ${fmt(x2)} has an empty last axis (no mean to subtract)`);
  return rowView(x2);
}
var layerNorm = {
  name: "layerNorm",
  outputs([x2, gamma, beta], { eps }) {
    if (typeof eps !== "number" || !(eps >= 0) || !Number.isFinite(eps)) throw new Error(`layerNorm: eps must be a finite number >= 0, got ${String(eps)}`);
    const { rows: rows3 } = features("layerNorm", x2, gamma, beta);
    return [x2, [rows3], [rows3]];
  },
  cpu([x2, gamma, beta], [s], { eps }) {
    const { rows: rows3, cols } = rowView(s);
    const r = layerNormCpu(x2, gamma, beta, rows3, cols, eps);
    return [r.y, r.mean, r.rstd];
  },
  gpu(q2, [x2, gamma, beta], [y, mean2, rstd], [s], { eps }) {
    dispatchRows(q2, "norm.layer_norm", rowView(s), { eps }, { x: x2, gamma, beta, y, mean: mean2, rstd });
  },
  // dx = r·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ;  dγ = Σ_rows dy·x̂;  dβ = Σ_rows dy
  backward({ ops, inputs: [x2, gamma], outputs: [, mean2, rstd], dy, needsGrad }) {
    const dx = needsGrad[0] ? ops.run1("layerNormGrad", [x2, gamma, dy, mean2, rstd], { eps: 0 }) : null;
    if (!needsGrad[1] && !needsGrad[2]) return [dx, null, null];
    const [dgamma, dbeta] = ops.run("layerNormParamGrad", [x2, dy, mean2, rstd], { eps: 0 });
    dgamma.owned.splice(dgamma.owned.indexOf(dbeta), 1);
    return [dx, dgamma, dbeta];
  }
};
var layerNormGrad = {
  name: "layerNormGrad",
  outputs: ([x2]) => [x2],
  cpu([x2, gamma, dy, mean2, rstd], [s]) {
    const { rows: rows3, cols } = rowView(s);
    return [layerNormGradCpu(dy, x2, gamma, mean2, rstd, rows3, cols)];
  },
  gpu(q2, [x2, gamma, dy, mean2, rstd], [dx], [s]) {
    dispatchRows(q2, "norm.layer_norm_grad", rowView(s), { eps: 0 }, { x: x2, gamma, dy, mean_in: mean2, rstd_in: rstd, dx });
  },
  backward: nonDifferentiable("layerNormGrad serves the backward rule of layerNorm; second derivatives are not supported")
};
var layerNormParamGrad = {
  name: "layerNormParamGrad",
  outputs([x2]) {
    const F = x2[x2.length - 1];
    return [[F], [F]];
  },
  cpu([x2, dy, mean2, rstd], [s]) {
    const { rows: rows3, cols } = rowView(s);
    const r = layerNormParamGradCpu(dy, x2, mean2, rstd, rows3, cols);
    return [r.dgamma, r.dbeta];
  },
  gpu(q2, [x2, dy, mean2, rstd], [dgamma, dbeta], [s]) {
    const { rows: rows3, cols } = rowView(s);
    q2.dispatch({
      kernel: "norm.layer_norm_param_grad",
      overrides: { workgroup_size: PARAM_GRAD_WORKGROUP },
      uniforms: { rows: rows3, cols, eps: 0 },
      bindings: { x: x2, dy, mean_in: mean2, rstd_in: rstd, dgamma, dbeta },
      workgroups: grid1d(cols, PARAM_GRAD_WORKGROUP)
    });
  },
  backward: nonDifferentiable("layerNormParamGrad serves the backward rule of layerNorm; second derivatives are not supported")
};

// src/cpu/dropout.ts
var LCG_MUL = 1664525;
var LCG_ADD = 1013904223;
function pcg2dHash(index2, seed) {
  let x2 = Math.imul(index2 >>> 0, LCG_MUL) + LCG_ADD >>> 0;
  let y = Math.imul(seed >>> 0, LCG_MUL) + LCG_ADD >>> 0;
  x2 = x2 + Math.imul(y, LCG_MUL) >>> 0;
  y = y + Math.imul(x2, LCG_MUL) >>> 0;
  x2 = (x2 ^ x2 >>> 16) >>> 0;
  y = (y ^ y >>> 16) >>> 0;
  x2 = x2 + Math.imul(y, LCG_MUL) >>> 0;
  return (x2 ^ x2 >>> 16) >>> 0;
}
function dropThreshold(rate) {
  return Math.floor(rate * 2 ** 24);
}
function dropoutScale(rate) {
  return rate >= 1 ? 0 : Math.fround(1 / (1 - rate));
}
function dropoutCpu(x2, rate, seed) {
  const threshold = dropThreshold(rate);
  const s = dropoutScale(rate);
  const y = new Float64Array(x2.length);
  for (let i = 0; i < x2.length; i++) if (pcg2dHash(i, seed) >>> 8 >= threshold) y[i] = x2[i] * s;
  return y;
}

// src/ops/dropout.ts
var WORKGROUP4 = 256;
function checkDropout(rate, seed) {
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw new Error(`dropout: rate must be a number in [0, 1], got ${String(rate)}`);
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error(`dropout: seed must be an integer in [0, 2^32), got ${String(seed)}`);
  }
}
var dropout = {
  name: "dropout",
  outputs([x2], { rate, seed }) {
    checkDropout(rate, seed);
    return [x2];
  },
  cpu: ([x2], _s, { rate, seed }) => [dropoutCpu(x2, rate, seed)],
  gpu(q2, [x2], [y], [s], { rate, seed }) {
    const len = shapeSize(s);
    if (len === 0) return;
    q2.dispatch({
      kernel: "dropout.dropout",
      overrides: { workgroup_size: WORKGROUP4 },
      uniforms: { len, seed, threshold: dropThreshold(rate), scale: dropoutScale(rate) },
      bindings: { x: x2, y },
      workgroups: grid1d(len, WORKGROUP4)
    });
  },
  // linear in x with a fixed mask: dx = mask ⊙ dy / (1 − rate), the same op on dy
  backward: ({ ops, dy, attrs }) => [ops.run1("dropout", [dy], attrs)]
};

// src/ops/table.ts
var opTable = {
  // elementwise
  add,
  sub,
  mul,
  scale,
  activation: activation2,
  activationGrad,
  // shapes
  reshape,
  copy,
  // linear algebra
  matmul,
  // reductions
  sum,
  mean,
  max,
  broadcastAxis,
  maxGrad,
  // rows
  softmax,
  logSoftmax,
  softmaxJvp,
  softmaxJvpGradY,
  logSoftmaxGrad,
  // losses
  mseLoss,
  binaryCrossEntropy,
  softmaxCrossEntropy,
  mseTargetGrad,
  bceTargetGrad,
  ceTargetGrad,
  binaryCrossEntropyWithLogits,
  bceLogitsTargetGrad,
  // convolution (im2col + matmul + layout), pooling, normalization, dropout
  im2col,
  col2im,
  channelsFirst,
  channelsLast,
  pool2d,
  pool2dGrad,
  layerNorm,
  layerNormGrad,
  layerNormParamGrad,
  dropout
};
var updateTable = {
  addInPlace,
  optimizerUpdate,
  lossCheck
};

// src/engine.ts
var Engine = class {
  backend;
  compute;
  reluGradAtZero;
  scopes = [];
  live = /* @__PURE__ */ new Set();
  tape = null;
  /** Tensors disposed while the tape held them: freed when gradients() finishes. */
  deferred = /* @__PURE__ */ new Set();
  fatal = null;
  constructor(compute, options) {
    this.compute = compute;
    this.backend = compute.name;
    this.reluGradAtZero = options.reluGradAtZero ?? 0;
  }
  /** The adapter in use, e.g. "google / swiftshader (software)", or "cpu". */
  get adapter() {
    return this.compute.adapter;
  }
  get adapterReport() {
    return this.compute.adapterReport;
  }
  get device() {
    return this.compute.device;
  }
  // ---- tensors -----------------------------------------------------------------------
  /** A tensor from row-major values. The data is copied; the caller keeps its array. */
  tensor(data, shape) {
    this.checkAlive("tensor");
    checkShape("tensor", shape);
    if (data === null || typeof data !== "object" || typeof data.length !== "number") {
      throw new Error(`tensor: data must be an array or typed array of numbers, got ${String(data)}`);
    }
    if (data.length !== shapeSize(shape)) {
      throw new Error(`tensor: data has ${data.length} values but shape ${fmt(shape)} needs ${shapeSize(shape)}`);
    }
    const handle = this.compute.alloc("tensor", shape);
    this.compute.write(handle, data);
    return this.adopt(new Storage(handle), [...shape]);
  }
  zeros(shape) {
    checkShape("zeros", shape);
    return this.tensor(new Float32Array(shapeSize(shape)), shape);
  }
  run(op, inputs, attrs) {
    const def = typeof op === "string" ? opTable[op] : op;
    this.checkAlive(def.name);
    const storages = this.storagesOf(def.name, inputs);
    const shapes = inputs.map((t) => t.shape);
    const outShapes = def.outputs(shapes, attrs);
    let outputs;
    if (isView(def)) {
      storages[0].refs++;
      outputs = [this.adopt(storages[0], outShapes[0])];
    } else {
      const handles = this.compute.run(def, storages.map((s) => s.handle), shapes, outShapes, attrs);
      outputs = handles.map((h, i) => this.adopt(new Storage(h), outShapes[i]));
    }
    for (const aux of outputs.slice(1)) outputs[0].owned.push(aux);
    this.tape?.record(def, inputs, outputs, attrs);
    return outputs;
  }
  /** The result of a registered op. */
  run1(op, inputs, attrs) {
    return this.run(op, inputs, attrs)[0];
  }
  update(op, targets, inputs, attrs) {
    const def = typeof op === "string" ? updateTable[op] : op;
    this.checkAlive(def.name);
    const all = [...targets, ...inputs];
    const storages = this.storagesOf(def.name, all);
    if (new Set(storages).size !== all.length) {
      throw new Error(`${def.name}: a tensor is passed twice, or two views of one storage (targets ${targets.join(", ")}; inputs ${inputs.join(", ")}): an in-place update cannot read and write one buffer`);
    }
    def.check(targets.map((t) => t.shape), inputs.map((t) => t.shape), attrs);
    const handles = storages.map((s) => s.handle);
    this.compute.update(def, handles.slice(0, targets.length), handles.slice(targets.length), all.map((t) => t.shape), attrs);
  }
  /** Overwrites a tensor's values (e.g. per-step hyperparameters); its views see them too.
   *  Commands recorded earlier still see the old values. */
  write(t, data) {
    this.checkAlive("write");
    const [s] = this.storagesOf("write", [t]);
    if (data.length !== t.size) throw new Error(`write: ${data.length} values for tensor of shape ${fmt(t.shape)} (${t.size} values)`);
    this.compute.write(s.handle, data);
  }
  // ---- public ops ----------------------------------------------------------------------
  /**
   * op(a)·op(b) (+ bias row, then activation) for rank-2 or rank-3 (batched, a batch-1 side
   * broadcasts) operands; op is a transpose when transposeA/transposeB. Bias and activation
   * run in the matmul kernel itself (the activation as its own op while gradients are recorded).
   */
  matmul(a, b, opts = {}) {
    return runMatmul(this, this.tape !== null, a, b, opts, (z) => this.act(z, opts.activation ?? "identity", opts.alpha ?? 0.01));
  }
  add(a, b) {
    return this.run1("add", [a, b], {});
  }
  sub(a, b) {
    return this.run1("sub", [a, b], {});
  }
  /** factor · x for a number factor. */
  scale(x2, factor) {
    return this.run1("scale", [x2], { factor });
  }
  mul(a, b) {
    return this.run1("mul", [a, b], {});
  }
  sigmoid(x2) {
    return this.act(x2, "sigmoid");
  }
  tanh(x2) {
    return this.act(x2, "tanh");
  }
  relu(x2) {
    return this.act(x2, "relu");
  }
  leakyRelu(x2, alpha = 0.01) {
    if (typeof alpha !== "number" || !Number.isFinite(alpha)) throw new Error(`leakyRelu: alpha must be a finite number, got ${String(alpha)}`);
    return this.act(x2, "leakyRelu", alpha);
  }
  softplus(x2) {
    return this.act(x2, "softplus");
  }
  sum(x2, axis) {
    return this.run1("sum", [x2], { axis });
  }
  mean(x2, axis) {
    return this.run1("mean", [x2], { axis });
  }
  /** Maximum over an axis (or everything); its gradient goes to the (first) arg-max. */
  max(x2, axis) {
    return this.run1("max", [x2], { axis });
  }
  /** Index of the (first) maximum along an axis, as float values (exact below 2^24). */
  argMax(x2, axis = -1) {
    const [values, indices] = this.run("max", [x2], { axis });
    values.owned.splice(values.owned.indexOf(indices), 1);
    values.dispose();
    return indices;
  }
  /** The same values under a new shape of the same size: a view (no copy) sharing x's storage. */
  reshape(x2, shape) {
    checkShape("reshape", shape);
    return this.run1("reshape", [x2], { shape: [...shape] });
  }
  /** Row-wise softmax over the last axis, stable (the row max is subtracted). */
  softmax(x2) {
    return this.run1("softmax", [x2], {});
  }
  /** Row-wise log-softmax over the last axis: x - max - log Σ e^(x - max). */
  logSoftmax(x2) {
    return this.run1("logSoftmax", [x2], {});
  }
  /** y ⊙ (v - ⟨v, y⟩) per row: the softmax Jacobian at y = softmax(z) times v (J = Jᵀ). */
  softmaxJvp(y, v) {
    return this.run1("softmaxJvp", [y, v], {});
  }
  /** (1/T) Σ_t ½‖y_t - d_t‖² over the T rows (last axis = one example). */
  mseLoss(y, d) {
    return this.run1("mseLoss", [y, d], {});
  }
  /** (1/T) Σ_t Σ_i -d log p - (1-d) log(1-p), p clamped to [1e-7, 1 - 1e-7]. */
  binaryCrossEntropy(p, d) {
    return this.run1("binaryCrossEntropy", [p, d], {});
  }
  /** (1/T) Σ_t -Σ_i d_i log softmax(z_t)_i; labels: class indices (Int32Array, one per row)
   *  or target rows of the logits' shape; labelSmoothing α in [0, 1). */
  softmaxCrossEntropy(logits, labels2, opts) {
    return softmaxCrossEntropyWith(this, logits, labels2, opts);
  }
  /** (1/n) Σ max(z, 0) − z·d + log1p(e^−|z|) over all n elements: binary cross-entropy of
   *  sigmoid(z) against targets d in [0, 1], stable for any logit z. */
  binaryCrossEntropyWithLogits(z, d) {
    return this.run1("binaryCrossEntropyWithLogits", [z, d], {});
  }
  /** 2-D convolution: x [N, C, H, W] ⋆ w [O, C, kh, kw] (+ bias [O]) -> [N, O, OH, OW], with
   *  stride, zero padding and dilation (n or [h, w]), as PyTorch's conv2d. */
  conv2d(x2, w, opts = {}) {
    return conv2dWith(this, this.tape !== null, x2, w, opts, (z) => this.act(z, opts.activation ?? "identity", opts.alpha ?? 0.01));
  }
  /** Max over kernel windows of each NCHW plane (stride defaults to the kernel); the gradient
   *  goes to the first maximum of each window. */
  maxPool2d(x2, opts) {
    return this.run1("pool2d", [x2], poolAttrs("max", opts));
  }
  /** Mean over kernel windows of each NCHW plane, padding counted (count_include_pad=True). */
  avgPool2d(x2, opts) {
    return this.run1("pool2d", [x2], poolAttrs("avg", opts));
  }
  /** (x − mean)/√(var + eps)·gamma + beta over the last axis (population variance). */
  layerNorm(x2, gamma, beta, opts = {}) {
    return this.run1("layerNorm", [x2, gamma, beta], { eps: opts?.eps ?? 1e-5 });
  }
  /** Inverted dropout: each element is zeroed with probability `rate` (a mask drawn from
   *  (element index, seed), the same on every backend) and survivors scaled by 1/(1 − rate).
   *  When !training (or rate is 0) it returns x itself. */
  dropout(x2, rate, opts) {
    if (opts === null || typeof opts !== "object" || typeof opts.training !== "boolean") {
      throw new Error(`dropout: options must be { seed, training } with training a boolean, got ${JSON.stringify(opts)}`);
    }
    checkDropout(rate, opts.seed);
    if (!opts.training || rate === 0) return x2;
    return this.run1("dropout", [x2], { rate, seed: opts.seed });
  }
  act(x2, kind, alpha = 0) {
    return this.run1("activation", [x2], { kind, alpha, gradAtZero: this.reluGradAtZero });
  }
  // ---- autograd and lifetimes ---------------------------------------------------------
  /**
   * Runs fn and disposes every tensor it created except those it returns (as one tensor, an
   * array or an object of tensors), which move to the enclosing scope. A returned view keeps
   * its storage alive after the tensor it views is disposed.
   */
  tidy(fn) {
    this.scopes.push(/* @__PURE__ */ new Set());
    const kept = /* @__PURE__ */ new Set();
    try {
      const result = fn();
      if (result instanceof Promise) throw new Error("tidy: fn must be synchronous (its tensors are freed when it returns); await outside tidy");
      collectTensors(result, kept);
      return result;
    } finally {
      const scope = this.scopes.pop();
      for (const t of scope) {
        if (kept.has(t)) this.scopes.at(-1)?.add(t);
        else t.dispose();
      }
    }
  }
  /**
   * valueAndGrad(f)(...xs): the value of the scalar f(...xs) and its gradient with respect
   * to each x. Intermediate tensors are freed; the gradients belong to the caller.
   */
  valueAndGrad(f) {
    return async (...xs) => {
      const { value, grads } = this.gradients(f, xs);
      try {
        return { value: (await this.readAndDispose(value))[0], grads };
      } catch (err) {
        value.dispose();
        grads.forEach((g) => g.dispose());
        throw err;
      }
    };
  }
  /** Like valueAndGrad without the readback: the value stays a tensor on the device. */
  gradients(f, xs) {
    if (this.tape) throw new Error("valueAndGrad: nested gradients (derivatives of derivatives) are not supported");
    this.storagesOf("valueAndGrad", xs);
    let created;
    const { value, raw } = this.tidy(() => {
      created = this.scopes.at(-1);
      const tape = new Tape(xs);
      this.tape = tape;
      try {
        const value2 = f(...xs);
        if (!(value2 instanceof Tensor) || value2.size !== 1) {
          throw new Error(`valueAndGrad: f must return a scalar tensor (one element), got ${value2 instanceof Tensor ? fmt(value2.shape) : String(value2)}`);
        }
        this.tape = null;
        const seed = this.tensor([1], value2.shape);
        return { value: value2, raw: backward(this, tape, value2, seed, xs, (x2) => this.zeros(x2.shape)) };
      } finally {
        this.tape = null;
        const deferred = [...this.deferred];
        this.deferred.clear();
        for (const t of deferred) t.dispose();
      }
    });
    const handedOut = /* @__PURE__ */ new Set();
    const own = (t) => {
      let result = t;
      if (handedOut.has(t) || !created.has(t) || t.storage("valueAndGrad").refs > 1) {
        result = this.run1("copy", [t], {});
        if (created.has(t) && !handedOut.has(t)) t.dispose();
      }
      handedOut.add(result);
      return result;
    };
    return { value: own(value), grads: raw.map(own) };
  }
  // ---- backend plumbing ----------------------------------------------------------------
  /** Submits recorded GPU work now (reads do this themselves). */
  flush() {
    this.compute.flush();
  }
  /** Waits for all submitted GPU work; rejects with the first WebGPU error since the last check. */
  async sync() {
    this.checkAlive("sync");
    await this.compute.sync();
  }
  stats() {
    return { ...this.compute.stats(), liveTensors: this.live.size };
  }
  /** Frees every tensor, and the device if the engine acquired it (not one passed in). */
  destroy() {
    if (this.fatal?.message === "engine was destroyed") return;
    for (const t of [...this.live]) t.dispose();
    this.fatal = new Error("engine was destroyed");
    this.compute.destroy();
  }
  /** @internal TensorHost */
  async readTensor(t) {
    this.checkAlive("read");
    return this.compute.read(t.storage("read").handle, t.size);
  }
  /** @internal TensorHost */
  async readTensorF64(t) {
    this.checkAlive("readF64");
    return this.compute.readF64(t.storage("readF64").handle, t.size);
  }
  /** Reads a tensor and disposes it, so its buffer is reusable right after this submit. */
  async readAndDispose(t) {
    this.checkAlive("read");
    return this.compute.read(t.storage("read").handle, t.size, () => t.dispose());
  }
  /** @internal TensorHost */
  releaseTensor(t) {
    if (this.tape?.held.has(t)) {
      this.deferred.add(t);
      return false;
    }
    this.live.delete(t);
    for (const s2 of this.scopes) s2.delete(t);
    const s = t.storage("dispose");
    s.refs--;
    if (s.refs === 0 && !this.fatal) this.compute.free(s.handle);
    return true;
  }
  adopt(storage, shape) {
    const t = new Tensor(this, storage, shape);
    this.live.add(t);
    this.scopes.at(-1)?.add(t);
    return t;
  }
  /** The storage of each argument, after checking it is a live tensor of this engine. */
  storagesOf(op, tensors) {
    return tensors.map((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`${op}: argument ${i} is not a Tensor (got ${String(t)})`);
      if (t.host !== this) throw new Error(`${op}: argument ${i} ${t} belongs to another engine`);
      return t.storage(op);
    });
  }
  checkAlive(op) {
    if (this.fatal) throw new Error(`${op}: ${this.fatal.message}`);
  }
  /** @internal the backend reports a lost device or an uncaptured error. */
  markFatal(err) {
    this.fatal ??= err;
  }
};
function collectTensors(value, into) {
  if (value instanceof Tensor) {
    into.add(value);
    value.owned.forEach((t) => into.add(t));
  } else if (Array.isArray(value)) value.forEach((v) => collectTensors(v, into));
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach((v) => collectTensors(v, into));
  }
}
async function createEngine(options = {}) {
  const backend = options.backend ?? "webgpu";
  if (backend !== "webgpu" && backend !== "cpu") {
    throw new Error(`createEngine: unknown backend '${String(backend)}' (expected 'webgpu' or 'cpu')`);
  }
  if (backend === "cpu") return new Engine(new CpuBackend(options.precision ?? "f32"), options);
  let engine = null;
  const gpu = new GpuBackend(await acquireDevice(options.device), options.debug ?? false, (err) => engine?.markFatal(err));
  engine = new Engine(gpu, options);
  return engine;
}

// src/data/batches.ts
function createRng(seed) {
  if (!Number.isInteger(seed)) {
    throw new Error(`createRng: seed must be an integer, got ${seed}`);
  }
  let state = seed >>> 0;
  let spare = null;
  const nextU32 = () => {
    state = state + 1831565813 >>> 0;
    let t = state;
    t = Math.imul(t ^ t >>> 15, t | 1);
    t ^= t + Math.imul(t ^ t >>> 7, t | 61);
    return (t ^ t >>> 14) >>> 0;
  };
  const next = () => nextU32() / 4294967296;
  return {
    next,
    nextInt(n) {
      if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
        throw new Error(`nextInt: n must be an integer in [1, 2^32], got ${n}`);
      }
      const limit = 4294967296 - 4294967296 % n;
      let x2 = nextU32();
      while (x2 >= limit) x2 = nextU32();
      return x2 % n;
    },
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    }
  };
}

// src/nn/init.ts
function initWeights(kind, fanIn, fanOut, seed, count = fanIn * fanOut) {
  const rng = createRng(seed);
  const out = new Float32Array(count);
  if (kind === "zeros") return out;
  if (kind === "glorot") {
    const a = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * a;
  } else {
    const s = Math.sqrt(2 / fanIn);
    for (let i = 0; i < out.length; i++) out[i] = rng.normal() * s;
  }
  return out;
}

// src/nn/layers.ts
var TORCH_ACTIVATIONS = {
  identity: "Identity",
  sigmoid: "Sigmoid",
  tanh: "Tanh",
  relu: "ReLU",
  leakyRelu: "LeakyReLU",
  softplus: "Softplus"
};
function torchActivation(kind, alpha = 0.01) {
  return { type: TORCH_ACTIVATIONS[kind], args: kind === "leakyRelu" ? { negative_slope: alpha } : {} };
}
function withActivation(module, kind, alpha) {
  return kind === "identity" ? [module] : [module, torchActivation(kind, alpha)];
}
var ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leakyRelu", "softplus"];
function checkActivation(where, a) {
  if (!ACTIVATIONS.includes(a)) throw new Error(`${where}: unknown activation '${a}' (expected one of ${ACTIVATIONS.join(", ")})`);
}
function dense(inFeatures, outFeatures, opts = {}) {
  for (const [n, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]]) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`dense: ${n} must be a positive integer, got ${v}`);
  }
  const activation3 = opts.activation ?? "identity";
  checkActivation("dense", activation3);
  const init = defaultInit(activation3, opts.init);
  const hasBias = opts.bias ?? true;
  return {
    kind: "dense",
    torch: withActivation({ type: "Linear", args: { in_features: inFeatures, out_features: outFeatures, bias: hasBias } }, activation3, opts.alpha),
    outFeatures,
    build(e2, seed) {
      const weight = e2.tensor(initWeights(init, inFeatures, outFeatures, seed), [outFeatures, inFeatures]);
      const params = [{ name: "weight", tensor: weight }];
      const bias = hasBias ? e2.zeros([outFeatures]) : void 0;
      if (bias) params.push({ name: "bias", tensor: bias });
      return {
        params,
        forward(eng, x2) {
          if (x2.rank !== 2 || x2.shape[1] !== inFeatures) {
            throw new Error(`dense(${inFeatures}, ${outFeatures}): input has shape ${fmt(x2.shape)}, expected [batch, ${inFeatures}]`);
          }
          return eng.matmul(x2, weight, { transposeB: true, bias, activation: activation3, alpha: opts.alpha });
        }
      };
    }
  };
}
function defaultInit(activation3, init) {
  return init ?? (activation3 === "relu" || activation3 === "leakyRelu" ? "he" : "glorot");
}
function positiveInts(layer, values) {
  for (const [n, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${layer}: ${n} must be a positive integer, got ${v}`);
  }
}
function expectRank4(layer, x2, channels) {
  if (x2.rank !== 4 || channels !== void 0 && x2.shape[1] !== channels) {
    throw new Error(`${layer}: input has shape ${fmt(x2.shape)}, expected NCHW [batch, ${channels ?? "C"}, H, W]`);
  }
}
function conv2d(inChannels, outChannels, kernel, opts = {}) {
  positiveInts("conv2d", { inChannels, outChannels });
  const [kh, kw] = pair("conv2d", "kernel", kernel, 1);
  const activation3 = opts.activation ?? "identity";
  checkActivation("conv2d", activation3);
  const hasBias = opts.bias ?? true;
  const name = `conv2d(${inChannels}, ${outChannels}, [${kh}, ${kw}])`;
  return {
    kind: "conv2d",
    torch: withActivation(
      {
        type: "Conv2d",
        args: {
          in_channels: inChannels,
          out_channels: outChannels,
          kernel_size: [kh, kw],
          bias: hasBias,
          stride: pair("conv2d", "stride", opts.stride ?? 1, 1),
          padding: pair("conv2d", "padding", opts.padding ?? 0, 0),
          dilation: pair("conv2d", "dilation", opts.dilation ?? 1, 1)
        }
      },
      activation3,
      opts.alpha
    ),
    build(e2, seed) {
      const init = defaultInit(activation3, opts.init);
      const values = initWeights(init, inChannels * kh * kw, outChannels * kh * kw, seed, outChannels * inChannels * kh * kw);
      const weight = e2.tensor(values, [outChannels, inChannels, kh, kw]);
      const params = [{ name: "weight", tensor: weight }];
      const bias = hasBias ? e2.zeros([outChannels]) : void 0;
      if (bias) params.push({ name: "bias", tensor: bias });
      return {
        params,
        forward(eng, x2) {
          expectRank4(name, x2, inChannels);
          return eng.conv2d(x2, weight, { bias, stride: opts.stride, padding: opts.padding, dilation: opts.dilation, activation: activation3, alpha: opts.alpha });
        }
      };
    }
  };
}
function poolLayer(kind, kernel, stride) {
  const k = pair(kind, "kernel", kernel, 1);
  const s = pair(kind, "stride", stride ?? k, 1);
  return {
    kind,
    torch: [{ type: kind === "maxPool2d" ? "MaxPool2d" : "AvgPool2d", args: { kernel_size: k, stride: s } }],
    build: () => ({
      params: [],
      forward(e2, x2) {
        expectRank4(kind, x2);
        return kind === "maxPool2d" ? e2.maxPool2d(x2, { kernel: k, stride: s }) : e2.avgPool2d(x2, { kernel: k, stride: s });
      }
    })
  };
}
function maxPool2d(kernel, stride) {
  return poolLayer("maxPool2d", kernel, stride);
}
function flatten() {
  return {
    kind: "flatten",
    torch: [{ type: "Flatten", args: {} }],
    build: () => ({
      params: [],
      forward(e2, x2) {
        if (x2.rank < 1) throw new Error(`flatten: input must have a batch axis, got shape ${fmt(x2.shape)}`);
        return e2.reshape(x2, [x2.shape[0], shapeSize(x2.shape.slice(1))]);
      }
    })
  };
}
var Sequential = class {
  constructor(layers, opts = {}) {
    this.layers = layers;
    if (layers.length === 0) throw new Error("sequential: needs at least one layer");
    if (opts.inputShape !== void 0) {
      const s = opts.inputShape;
      if (!Array.isArray(s) || s.length === 0 || !s.every((d) => Number.isInteger(d) && d >= 1)) {
        throw new Error(`sequential: inputShape must be a non-empty array of positive integers, got ${JSON.stringify(s)}`);
      }
      this.inputShape = [...s];
    }
  }
  layers;
  built = null;
  inputShape;
  /** The shape of a batch of `batch` examples of `features` values each. */
  batchShape(batch, features2) {
    if (!this.inputShape) return [batch, features2];
    if (shapeSize(this.inputShape) !== features2) {
      throw new Error(`sequential: inputShape ${fmt(this.inputShape)} holds ${shapeSize(this.inputShape)} values, but the examples have ${features2}`);
    }
    return [batch, ...this.inputShape];
  }
  /** Creates the parameters on `e`, each layer seeded from `seed` (reproducible). */
  build(e2, seed = 1) {
    this.dispose();
    this.built = { engine: e2, layers: this.layers.map((l, i) => l.build(e2, seed * 1e3 + i)) };
    return this;
  }
  get b() {
    if (!this.built) throw new Error("sequential: call model.build(engine, seed) before using the model");
    return this.built;
  }
  /** Features of the model's output (the last dense layer's), if known. */
  get outputFeatures() {
    return this.layers.findLast((l) => l.outFeatures !== void 0)?.outFeatures;
  }
  get engine() {
    return this.b.engine;
  }
  /** Parameters in order (layer by layer, weight then bias). */
  get params() {
    return this.b.layers.flatMap((l) => l.params.map((p) => p.tensor));
  }
  /** Names as PyTorch's nn.Sequential state_dict would give them ('0.weight', '2.bias', ...). */
  namedParams() {
    const out = [];
    let index2 = 0;
    this.b.layers.forEach((l, i) => {
      for (const p of l.params) out.push({ name: `${index2}.${p.name}`, tensor: p.tensor });
      index2 += this.layers[i].torch.length;
    });
    return out;
  }
  /** The same model as torch.nn modules, in nn.Sequential order (see TorchModule). */
  torchModules() {
    return this.layers.flatMap((l) => l.torch);
  }
  /** Parameter values by PyTorch-style name, shapes as stored ([out, in] for weights). */
  async stateDict() {
    const out = {};
    for (const { name, tensor } of this.namedParams()) out[name] = { shape: [...tensor.shape], data: await tensor.read() };
    return out;
  }
  /** Replaces every parameter's values; checks names and shapes first, so a bad file
   *  changes nothing. `source` names the file in errors. */
  loadStateDict(tensors, source) {
    const named = this.namedParams();
    for (const { name, tensor } of named) {
      const t = tensors[name];
      if (!t) throw new Error(`${source}: missing tensor '${name}' (expected shape ${fmt(tensor.shape)}; the file has: ${Object.keys(tensors).join(", ") || "nothing"})`);
      if (t.shape.length !== tensor.shape.length || t.shape.some((d, i) => d !== tensor.shape[i])) {
        throw new Error(`${source}: tensor '${name}' has shape ${fmt(t.shape)}, the model expects ${fmt(tensor.shape)}`);
      }
    }
    const extra = Object.keys(tensors).filter((k) => !named.some((p) => p.name === k));
    if (extra.length > 0) throw new Error(`${source}: tensors not in the model: ${extra.join(", ")}`);
    for (const { name, tensor } of named) this.engine.write(tensor, tensors[name].data);
  }
  /** The model applied to a batch; `training` turns dropout on, with masks drawn from `seed`
   *  (fit passes a new seed every step). Default: inference (dropout off). */
  forward(x2, opts = {}) {
    const { engine, layers } = this.b;
    const training = opts.training ?? false;
    const seed = opts.seed ?? 0;
    let h = x2;
    layers.forEach((l, layer) => {
      h = l.forward(engine, h, { training, seed, layer });
    });
    return h;
  }
  dispose() {
    for (const l of this.built?.layers ?? []) for (const p of l.params) p.tensor.dispose();
    this.built = null;
  }
};
function sequential(layers, opts = {}) {
  return new Sequential(layers, opts);
}

// src/nn/optimizers.ts
var NEVER = 4294967295;
var Optimizer = class {
  constructor(e2, params, config) {
    this.e = e2;
    this.params = params;
    this.kind = config.kind;
    if (!["sgd", "momentum", "adam"].includes(config.kind)) throw new Error(`optimizer: unknown kind '${String(config.kind)}' (expected sgd, momentum or adam)`);
    this.lr = config.lr ?? 1e-3;
    checkLr(this.lr, 0);
    this.b1 = config.kind === "momentum" ? config.momentum ?? 0.9 : config.kind === "adam" ? config.beta1 ?? 0.9 : 0;
    this.b2 = config.kind === "adam" ? config.beta2 ?? 0.999 : 0;
    this.eps = config.kind === "adam" ? config.eps ?? 1e-8 : 0;
    for (const [name, v] of [["momentum/beta1", this.b1], ["beta2", this.b2]]) {
      if (!(v >= 0 && v < 1)) throw new Error(`optimizer: ${name} must be in [0, 1), got ${v}`);
    }
    if (!(this.eps >= 0 && Number.isFinite(this.eps))) throw new Error(`optimizer: eps must be a finite number >= 0, got ${this.eps}`);
    this.dummies = [e2.zeros([1]), e2.zeros([1])];
    this.state = params.map((p) => {
      const needs1 = config.kind !== "sgd";
      const needs2 = config.kind === "adam";
      return [needs1 ? e2.zeros(p.shape) : this.dummies[0], needs2 ? e2.zeros(p.shape) : this.dummies[1]];
    });
    this.hyper = e2.zeros([8]);
    this.health = e2.tensor(this.neverValues(params.length + 1), [params.length + 1]);
  }
  e;
  params;
  kind;
  lr;
  b1;
  b2;
  eps;
  state;
  hyper;
  /** slot 0: the loss; slot i+1: parameter i. */
  health;
  /** Stand-ins for unused state (sgd has none): two, since both are bound read_write. */
  dummies;
  /** Steps taken so far. */
  steps = 0;
  /** Records the update of every parameter (no submit, no readback). */
  step(grads, loss) {
    if (grads.length !== this.params.length) {
      throw new Error(`optimizer.step: ${grads.length} gradients for ${this.params.length} parameters`);
    }
    grads.forEach((g, i) => {
      if (g.size !== this.params[i].size) {
        throw new Error(`optimizer.step: gradient ${i} ${fmt(g.shape)} does not match parameter ${fmt(this.params[i].shape)}`);
      }
    });
    const t = this.steps + 1;
    const lr = typeof this.lr === "number" ? this.lr : this.lr(this.steps);
    checkLr(lr, this.steps);
    this.e.write(this.hyper, [lr, this.b1, this.b2, this.eps, 1 - Math.pow(this.b1, t), 1 - Math.pow(this.b2, t), t, 0]);
    if (loss) this.e.update("lossCheck", [this.health], [this.hyper, loss], { slot: 0 });
    this.params.forEach((p, i) => {
      const [s1, s2] = this.state[i];
      this.e.update("optimizerUpdate", [p, s1, s2, this.health], [this.hyper, grads[i]], { method: this.kind, slot: i + 1 });
    });
    this.steps = t;
  }
  /** The first step at which the loss or a gradient was not finite (reads back a few bytes). */
  async firstNonFinite() {
    const raw = await this.health.read();
    const values = this.e.backend === "cpu" ? Array.from(raw) : Array.from(new Uint32Array(raw.buffer));
    let best = null;
    values.forEach((v, i) => {
      const never = this.e.backend === "cpu" ? v === Infinity : v === NEVER;
      if (!never && (!best || v < best.step)) best = { step: v, param: i - 1 };
    });
    return best;
  }
  dispose() {
    for (const t of this.state.flat()) t.dispose();
    for (const t of this.dummies) t.dispose();
    this.hyper.dispose();
    this.health.dispose();
  }
  neverValues(n) {
    if (this.e.backend === "cpu") return new Float32Array(n).fill(Infinity);
    return new Float32Array(new Uint32Array(n).fill(NEVER).buffer);
  }
};
function checkLr(lr, step2) {
  if (typeof lr === "function") return;
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr <= 0) {
    throw new Error(`optimizer: learning rate must be a positive finite number, got ${String(lr)}${step2 > 0 ? ` at step ${step2}` : ""}`);
  }
}

// src/schedule/step.ts
var TrainingStep = class {
  constructor(e2, objective, updater, lossSum) {
    this.e = e2;
    this.objective = objective;
    this.updater = updater;
    this.lossSum = lossSum;
  }
  e;
  objective;
  updater;
  lossSum;
  /** What the most recent step cost. */
  last = { dispatches: 0, submits: 0, readbacks: 0, allocations: 0 };
  run(readLoss) {
    const before = this.counters();
    const { value, grads } = this.e.gradients(this.objective, this.updater.params);
    let result;
    try {
      this.updater.step(grads, value);
      if (this.lossSum) this.e.update("addInPlace", [this.lossSum], [value], {});
    } catch (err) {
      value.dispose();
      throw err;
    } finally {
      grads.forEach((g) => g.dispose());
    }
    if (readLoss) {
      result = this.e.readAndDispose(value).then((v) => v[0]);
    } else {
      value.dispose();
      this.e.flush();
    }
    const after = this.counters();
    this.last = {
      dispatches: after.dispatches - before.dispatches,
      submits: after.submits - before.submits,
      readbacks: after.readbacks - before.readbacks,
      allocations: after.allocations - before.allocations
    };
    return result;
  }
  counters() {
    const s = this.e.stats();
    return { ...s.queue, allocations: s.pool?.allocations ?? 0 };
  }
};

// src/data/mnist-split.ts
var MNIST_ROWS = 28;
var MNIST_COLS = 28;
var MNIST_FEATURES = MNIST_ROWS * MNIST_COLS;

// src/io/safetensors.ts
var HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ../../../tmp/nn/profile.ts
var e = await createEngine({ backend: "webgpu" });
var rnd = (n) => Float32Array.from({ length: n }, () => Math.random());
var model = sequential([conv2d(1, 20, 5, { activation: "relu" }), maxPool2d(2), conv2d(20, 50, 5, { activation: "relu" }), maxPool2d(2), flatten(), dense(800, 500, { activation: "relu" }), dense(500, 10)], { inputShape: [1, 28, 28] }).build(e, 1);
var B = Number(process.env.B ?? 64);
var x = e.tensor(rnd(B * 784), [B, 1, 28, 28]);
var labels = Int32Array.from({ length: B }, (_, i) => i % 10);
var opt = new Optimizer(e, model.params, { kind: "adam", lr: 1e-3 });
var step = new TrainingStep(e, () => e.softmaxCrossEntropy(model.forward(x, { training: true, seed: 1 }), labels), opt);
step.run(false);
await e.sync();
var specs = [];
var orig = CommandQueue.prototype.dispatch;
var q;
CommandQueue.prototype.dispatch = function(spec) {
  q = this;
  specs.push(spec);
  return orig.call(this, spec);
};
step.run(false);
await e.sync();
CommandQueue.prototype.dispatch = orig;
var rows2 = [];
for (const s of specs) {
  for (let i = 0; i < 2; i++) q.dispatch(s);
  await e.sync();
  const reps = 6;
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) q.dispatch(s);
  await e.sync();
  const c = process.cpuUsage(c0);
  const u = s.uniforms ? Object.entries(s.uniforms).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(2) : v}`).join(" ") : "";
  const ov = s.overrides ? Object.entries(s.overrides).filter(([k]) => k !== "workgroup_size").map(([k, v]) => `${k}=${v}`).join(" ") : "";
  rows2.push([`${s.kernel} [${s.workgroups.join(",")}] ${ov} | ${u}`, (c.user + c.system) / 1e3 / reps]);
}
var total = rows2.reduce((a, [, t]) => a + t, 0);
for (const [n, t] of rows2) console.log(t.toFixed(1).padStart(7), (100 * t / total).toFixed(1).padStart(5) + "%", n.slice(0, 150));
console.log("total", total.toFixed(0), "ms cpu; dispatches", specs.length);
e.destroy();
