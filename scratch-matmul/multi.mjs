// Interleaved benchmark of several matmul shader variants (round-robin, medians).
// usage: node multi.mjs '{"variants":[{"shader":"..","tm":16,"tn":8,"wgx":8,"wgy":8,"consts":{}}], "sizes":[[M,N,K,ta,tb]], "reps":5}'
import { create, globals } from 'webgpu';
import fs from 'node:fs';
Object.assign(globalThis, globals);

const opt = JSON.parse(process.argv[2]);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice({
  requiredLimits: {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  },
});
globalThis.__keep = [gpu, adapter];
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
function buf(data, usage = GPUBufferUsage.STORAGE) {
  const b = device.createBuffer({ size: Math.max(4, data.byteLength), usage, mappedAtCreation: true });
  new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  b.unmap();
  return b;
}
const modules = new Map();
async function pipe(v, ta, tb) {
  if (!modules.has(v.shader)) {
    const m = device.createShaderModule({ code: fs.readFileSync(v.shader, 'utf8') });
    for (const msg of (await m.getCompilationInfo()).messages) console.error(v.shader, msg.lineNum, msg.message);
    modules.set(v.shader, m);
  }
  return device.createComputePipelineAsync({
    layout,
    compute: { module: modules.get(v.shader), entryPoint: 'main', constants: { ...(v.consts ?? {}), wg_x: v.wgx, wg_y: v.wgy, transpose_a: +ta, transpose_b: +tb } },
  });
}
const reps = opt.reps ?? 5;
const results = [];
for (const [M, N, K, ta, tb, batch = 1] of opt.sizes) {
  const A = buf(new Float32Array(batch * M * K).map(() => Math.random()));
  const B = buf(new Float32Array(batch * K * N).map(() => Math.random()));
  const bias = buf(new Float32Array(N));
  const C = device.createBuffer({ size: batch * M * N * 4, usage: GPUBufferUsage.STORAGE });
  const u = new Uint32Array([M, N, K, batch, M * K, K * N, 0, 0]);
  const U = buf(u, GPUBufferUsage.UNIFORM);
  const bg = device.createBindGroup({ layout: bgl, entries: [U, A, B, bias, C].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const runs = [];
  for (const v of opt.variants) {
    const p = await pipe(v, !!ta, !!tb);
    const grid = [Math.ceil(N / (v.wgx * v.tn)), Math.ceil(M / (v.wgy * v.tm)), batch];
    const inner = opt.inner ?? Math.max(1, Math.round(2e8 / (2 * M * N * K * batch)));
    const once = () => {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(...grid); pass.end();
      device.queue.submit([enc.finish()]);
    };
    once(); await device.queue.onSubmittedWorkDone();
    runs.push({ v, once, inner, times: [] });
  }
  for (let r = 0; r < reps; r++) {
    for (const run of runs) {
      const t0 = performance.now();
      for (let i = 0; i < run.inner; i++) run.once();
      await device.queue.onSubmittedWorkDone();
      run.times.push((performance.now() - t0) / run.inner);
    }
  }
  for (const run of runs) {
    run.times.sort((x, y) => x - y);
    const med = run.times[run.times.length >> 1];
    const label = run.v.label ?? `${run.v.shader.split('/').pop()} ${run.v.tm}x${run.v.tn} wg${run.v.wgx}x${run.v.wgy}`;
    results.push({ size: `${M}x${N}x${K}${ta ? ' tA' : ''}${tb ? ' tB' : ''}${batch > 1 ? ' b' + batch : ''}`, label, ms: med, gf: (2 * M * N * K * batch) / med / 1e6, min: run.times[0] });
  }
  for (const x of [A, B, bias, C, U]) x.destroy();
}
const labels = [...new Set(results.map((r) => r.label))];
const sizes = [...new Set(results.map((r) => r.size))];
console.log(['variant'.padEnd(34), ...sizes.map((s) => s.padStart(18))].join(' '));
for (const l of labels) console.log([l.padEnd(34), ...sizes.map((s) => { const r = results.find((x) => x.label === l && x.size === s); return `${r.gf.toFixed(2)} (${(2e-6 * 0 + r.ms).toFixed(1)}ms)`.padStart(18); })].join(' '));
process.exit(0);
