// Scratch harness for shaders/matmul.wgsl variants.
// usage: node harness.mjs SHADER MODE [json-options]
//   MODE test | bench
//   options: { tm, tn, wgx, wgy, consts: {...}, sub: {TILE_M: 8, ...}, sizes: [[M,N,K,ta,tb],...], reps, inner }
import { create, globals } from 'webgpu';
import fs from 'node:fs';
Object.assign(globalThis, globals);

const [, , shaderPath, mode = 'test', optJson = '{}'] = process.argv;
const opt = JSON.parse(optJson);
let src = fs.readFileSync(shaderPath, 'utf8');
const variants = (opt.variants ?? []).map((v) => ({ ...v, src: fs.readFileSync(v.shader, 'utf8') }));
for (const [name, val] of Object.entries(opt.sub ?? {})) {
  const re = new RegExp(`const ${name}: u32 = \\d+u;`);
  if (!re.test(src)) throw new Error('no const ' + name);
  src = src.replace(re, `const ${name}: u32 = ${val}u;`);
}
const wgx = opt.wgx ?? 8, wgy = opt.wgy ?? 8;
// tile sizes for dispatch: from sub, else from opts, else parse the source
function parseConst(name) {
  const m = src.match(new RegExp(`const ${name}: u32 = (\\d+)u;`));
  return m ? +m[1] : undefined;
}
function parseOverride(name) {
  const m = src.match(new RegExp(`override ${name}: u32 = (\\d+)u?;`));
  return m ? +m[1] : undefined;
}
const consts0 = opt.consts ?? {};
const tm = opt.tm ?? consts0.tile_m ?? parseConst('TILE_M') ?? parseOverride('tile_m');
const tn = opt.tn ?? (consts0.tile_n4 ? consts0.tile_n4 * 4 : undefined) ?? consts0.tile_n ??
  (parseConst('TILE_N4') ? parseConst('TILE_N4') * 4 : undefined) ?? parseConst('TILE_N') ??
  (parseOverride('tile_n4') ? parseOverride('tile_n4') * 4 : parseOverride('tile_n'));

const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice({
  requiredLimits: {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  },
});
globalThis.__keep = [gpu, adapter];
device.addEventListener?.('uncapturederror', (e) => console.error('UNCAPTURED', e.error?.message));

device.pushErrorScope('validation');
const module = device.createShaderModule({ code: src });
const info = await module.getCompilationInfo();
for (const m of info.messages) console.error(`${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
const bgl = device.createBindGroupLayout({
  entries: [
    { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
    { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
    { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
    { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
    { binding: 4, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
  ],
});
const layout = device.createPipelineLayout({ bindGroupLayouts: [bgl] });
const pipeCache = new Map();
async function pipeline(constants) {
  const key = JSON.stringify(constants);
  if (!pipeCache.has(key)) {
    device.pushErrorScope('validation');
    const p = await device.createComputePipelineAsync({
      layout,
      compute: { module, entryPoint: 'main', constants },
    });
    const err = await device.popErrorScope();
    if (err) throw new Error(err.message);
    pipeCache.set(key, p);
  }
  return pipeCache.get(key);
}
const e0 = await device.popErrorScope();
if (e0) throw new Error(e0.message);

function buf(data, usage = GPUBufferUsage.STORAGE) {
  const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
  const b = device.createBuffer({ size, usage: usage | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
  new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  b.unmap();
  return b;
}

function setup({ M, N, K, batch = 1, aBatch = batch, bBatch = batch, ta = false, tb = false, hasBias = false, act = 0, alpha = 0.01 }) {
  const A = new Float32Array(aBatch * M * K).map(() => Math.random() * 2 - 1);
  const B = new Float32Array(bBatch * K * N).map(() => Math.random() * 2 - 1);
  const bias = new Float32Array(hasBias ? N : 1).map(() => Math.random() * 2 - 1);
  const u = new ArrayBuffer(32);
  const uu = new Uint32Array(u), uf = new Float32Array(u);
  uu[0] = M; uu[1] = N; uu[2] = K; uu[3] = batch;
  uu[4] = aBatch === 1 ? 0 : M * K; uu[5] = bBatch === 1 ? 0 : K * N; uf[6] = alpha;
  const ub = buf(new Uint8Array(u), GPUBufferUsage.UNIFORM);
  const ab = buf(A), bb = buf(B), biasb = buf(bias);
  const cb = device.createBuffer({ size: Math.max(4, batch * M * N * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const bg = device.createBindGroup({
    layout: bgl,
    entries: [ub, ab, bb, biasb, cb].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const grid = [Math.ceil(N / (wgx * tn)), Math.ceil(M / (wgy * tm)), batch];
  const constants = { ...consts0, wg_x: wgx, wg_y: wgy, transpose_a: +ta, transpose_b: +tb, has_bias: +hasBias, activation: act };
  return { A, B, bias, ub, ab, bb, biasb, cb, bg, grid, constants, destroy() { for (const x of [ub, ab, bb, biasb, cb]) x.destroy(); } };
}

function reference({ M, N, K, batch = 1, aBatch = batch, bBatch = batch, ta = false, tb = false, hasBias = false, act = 0, alpha = 0.01 }, A, B, bias) {
  const C = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const ao = (aBatch === 1 ? 0 : z) * M * K, bo = (bBatch === 1 ? 0 : z) * K * N;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = ta ? A[ao + k * M + i] : A[ao + i * K + k];
        const bv = tb ? B[bo + j * K + k] : B[bo + k * N + j];
        s += av * bv;
      }
      if (hasBias) s += bias[j];
      switch (act) {
        case 1: s = 1 / (1 + Math.exp(-s)); break;
        case 2: s = Math.tanh(s); break;
        case 3: s = Math.max(s, 0); break;
        case 4: s = s >= 0 ? s : alpha * s; break;
        case 5: s = Math.max(s, 0) + Math.log1p(Math.exp(-Math.abs(s))); break;
      }
      C[z * M * N + i * N + j] = s;
    }
  }
  return C;
}

async function run(cfg) {
  const s = setup(cfg);
  const p = await pipeline(s.constants);
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(p); pass.setBindGroup(0, s.bg); pass.dispatchWorkgroups(...s.grid); pass.end();
  const rb = device.createBuffer({ size: s.cb.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  enc.copyBufferToBuffer(s.cb, 0, rb, 0, s.cb.size);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(rb.getMappedRange().slice(0));
  rb.destroy();
  const ref = reference(cfg, s.A, s.B, s.bias);
  let maxErr = 0;
  let bad = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(out[i] - ref[i]);
    if (!(e <= maxErr)) maxErr = Number.isNaN(e) ? Infinity : Math.max(maxErr, e);
  }
  const tol = 1e-5 * Math.sqrt(cfg.K) * 1 * 1 + 1e-6; // |A|,|B| <= 1
  s.destroy();
  return { maxErr, tol, ok: maxErr <= tol };
}

async function bench(cfg, reps = opt.reps ?? 5, inner = opt.inner ?? 1) {
  const s = setup(cfg);
  const p = await pipeline(s.constants);
  const once = () => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(p); pass.setBindGroup(0, s.bg);
    pass.dispatchWorkgroups(...s.grid); pass.end();
    device.queue.submit([enc.finish()]);
  };
  once(); await device.queue.onSubmittedWorkDone();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) once();
    await device.queue.onSubmittedWorkDone();
    times.push((performance.now() - t0) / inner);
  }
  times.sort((x, y) => x - y);
  const med = times[times.length >> 1];
  s.destroy();
  return { ms: med, gflops: (2 * cfg.M * cfg.N * cfg.K * (cfg.batch ?? 1)) / med / 1e6 };
}

if (mode === 'test') {
  const cases = [];
  const shapes = [
    [1, 1, 1], [7, 13, 127], [13, 7, 5], [127, 13, 7], [17, 33, 65], [64, 64, 64], [65, 129, 31],
    [3, 200, 4099], [128, 128, 784], [33, 5, 1], [1, 300, 17], [300, 1, 9],
  ];
  for (const [M, N, K] of shapes) for (const ta of [false, true]) for (const tb of [false, true]) cases.push({ M, N, K, ta, tb });
  for (const act of [0, 1, 2, 3, 4, 5]) cases.push({ M: 37, N: 41, K: 29, hasBias: true, act, alpha: 0.1 });
  for (const act of [1, 2, 5]) cases.push({ M: 5, N: 9, K: 3000, hasBias: false, act }); // large |x|
  cases.push({ M: 19, N: 23, K: 11, batch: 3, ta: true });
  cases.push({ M: 19, N: 23, K: 11, batch: 3, aBatch: 1, tb: true });
  cases.push({ M: 19, N: 23, K: 11, batch: 4, bBatch: 1, ta: true, tb: true, hasBias: true, act: 3 });
  cases.push({ M: 70, N: 65, K: 33, batch: 2, bBatch: 1 });
  let fails = 0;
  for (const cfg of cases) {
    const r = await run(cfg);
    if (!r.ok) fails++;
    if (!r.ok || opt.verbose) console.log(r.ok ? 'ok  ' : 'FAIL', JSON.stringify(cfg), r.maxErr.toExponential(2), r.tol.toExponential(2));
  }
  console.log(`${cases.length - fails}/${cases.length} passed (tm=${tm} tn=${tn} wg=${wgx}x${wgy})`);
} else {
  const sizes = opt.sizes ?? [
    [1024, 1024, 1024, 0, 0],
    [128, 128, 784, 0, 1],
    [784, 128, 128, 1, 0],
    [128, 784, 128, 0, 0],
  ];
  const row = [];
  for (const [M, N, K, ta, tb] of sizes) {
    const r = await bench({ M, N, K, ta: !!ta, tb: !!tb });
    row.push(`${M}x${N}x${K}${ta ? ' tA' : ''}${tb ? ' tB' : ''}: ${r.gflops.toFixed(2)} GF/s (${r.ms.toFixed(1)} ms)`);
  }
  console.log(`tm=${tm} tn=${tn} wg=${wgx}x${wgy} ${JSON.stringify(opt.sub ?? {})} ${JSON.stringify(consts0)} | ` + row.join(' | '));
}
process.exit(0);
