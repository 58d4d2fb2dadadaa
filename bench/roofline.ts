// The roofline of the adapter at hand, from microkernels (shaders/roofline.wgsl): the peak f32
// FMA rate (the faster of independent chains and register-tile products) and the streaming
// copy and read bandwidths. A case that performs F FLOP and must move B bytes cannot run
// faster than max(F / peak, B / bandwidth), the bandwidth being the read one for a case that
// only reads (`readOnly`): that bound over the measured time is the case's fraction of its roof
// (bench/harness.ts `rowsFor`).
//
// The copy runs twice: with 4 MiB buffers, the working set of the cases (a 1M-float operand),
// which a repeated case finds in the GPU's L2 (or, on SwiftShader, the CPU's caches): that is
// the roof the cases are placed under; and with 64 MiB buffers, beyond any cache: the memory
// (DRAM/HBM) bandwidth, for the record.
//
// Timing: each measurement is one submit of `repeats` dispatches, timed on the CPU from submit
// to onSubmittedWorkDone (waited for as the engine waits: src/gpu/wait.ts). The work per submit is grown (iterations, then repeats) until it
// takes at least `targetMs`, so the submit latency is a small part of it; the best of
// `trials` submits is the roof (interference only ever slows a run down). Bind group layouts
// come from wgsl_reflect, as the engine's kernels do (src/gpu/kernels.ts).

import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';
import source from '../shaders/roofline.wgsl';
import type { BenchCase } from './cases/index';
import { gpuWait } from '../src/gpu/wait';

export interface Roofs {
  /** Peak f32 multiply-add rate, GFLOP/s (an FMA counts as 2 FLOP). */
  gflops: number;
  /** Streaming copy bandwidth, GB/s (bytes read + written), 4 MiB buffers (the cases' size). */
  gbps: number;
  /** Streaming read bandwidth, GB/s, 4 MiB: the bound of a case that only reads (a reduction). */
  readGbps: number;
  /** The same with 64 MiB buffers: memory bandwidth beyond the caches. */
  memoryGbps: number;
  /** What was run, for the report: invocations, iterations, repeats, bytes. */
  detail: string;
}

export interface RoofOptions {
  /** Grow the work per submit until it takes this long (ms). */
  targetMs?: number;
  /** Submits measured at the final size; the fastest counts. */
  trials?: number;
}

const WORKGROUP = 256;
/** 1,024 workgroups of 256: enough invocations to fill the largest GPUs (an H100 runs ~270K
 *  threads at once) while staying one dispatch. */
const FMA_INVOCATIONS = 1024 * WORKGROUP;
const CHAINS = 8; // independent vec4 chains per invocation (peak_fma_chains)
const PRODUCTS = 3; // mat4x4 accumulators per invocation (peak_fma_products)
/** vec4s each stream_copy invocation copies (the shader's `copies` override). */
const COPIES = 4;
/** vec4s each stream_read invocation sums (`reads`): its one write is 1/16 of the traffic. */
const READS = 16;
/** Copy buffer sizes: the cases' 1M-float operands, and source + destination (128 MiB) beyond
 *  the largest GPU caches (an H100/H200 has 50 MB of L2). */
const CASE_COPY_BYTES = 4 * 1024 * 1024;
const MEMORY_COPY_BYTES = 64 * 1024 * 1024;
const MAX_ITERATIONS = 1 << 16;
const MAX_REPEATS = 4096;

/** The best-case time (ms) of a case under the roofline. */
export function roofMs(c: BenchCase, r: Roofs): number {
  const compute = c.flops !== undefined ? c.flops / (r.gflops * 1e6) : 0;
  return Math.max(compute, c.bytes / ((c.readOnly ? r.readGbps : r.gbps) * 1e6));
}

interface Microkernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  slots: Map<string, number>;
  uniformOffsets: Map<string, number>;
  uniformSize: number;
}

function compile(device: GPUDevice, entry: 'peak_fma_chains' | 'peak_fma_products' | 'stream_copy' | 'stream_read', constants: Record<string, number>): Microkernel {
  const reflect = new WgslReflect(source);
  const fn = reflect.entry.compute.find((f) => f.name === entry);
  if (!fn) throw new Error(`roofline: shaders/roofline.wgsl has no entry point '${entry}'`);
  const slots = new Map<string, number>();
  const uniformOffsets = new Map<string, number>();
  let uniformSize = 0;
  const entries: GPUBindGroupLayoutEntry[] = fn.resources.map((r) => {
    slots.set(r.name, r.binding);
    let type: GPUBufferBindingType;
    if (r.resourceType === ResourceType.Uniform) {
      type = 'uniform';
      uniformSize = r.size;
      for (const m of r.members ?? []) uniformOffsets.set(m.name, m.offset);
    } else {
      type = r.access === 'read_write' ? 'storage' : 'read-only-storage';
    }
    return { binding: r.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } };
  });
  const layout = device.createBindGroupLayout({ label: `roofline.${entry}`, entries });
  const module = device.createShaderModule({ label: 'roofline', code: source });
  const pipeline = device.createComputePipeline({
    label: `roofline.${entry}`,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: entry, constants },
  });
  return { pipeline, layout, slots, uniformOffsets, uniformSize };
}

/** A bind group of `k` from buffers named as the shader's bindings. */
function bindByName(device: GPUDevice, k: Microkernel, buffers: Record<string, GPUBuffer>): GPUBindGroup {
  const entries = Object.entries(buffers).map(([name, buffer]) => ({ binding: k.slots.get(name)!, resource: { buffer } }));
  return device.createBindGroup({ layout: k.layout, entries });
}

function uniform(device: GPUDevice, k: Microkernel, values: { iterations: number; count: number; a: number; b: number }): GPUBuffer {
  const bytes = new ArrayBuffer(Math.ceil(k.uniformSize / 16) * 16);
  const view = new DataView(bytes);
  view.setUint32(k.uniformOffsets.get('iterations')!, values.iterations, true);
  view.setUint32(k.uniformOffsets.get('count')!, values.count, true);
  view.setFloat32(k.uniformOffsets.get('a')!, values.a, true);
  view.setFloat32(k.uniformOffsets.get('b')!, values.b, true);
  const buf = device.createBuffer({ size: bytes.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, bytes);
  return buf;
}

/** ms for one submit of `repeats` dispatches of a bind group over `groups` workgroups. */
async function timeSubmit(device: GPUDevice, k: Microkernel, group: GPUBindGroup, groups: number, repeats: number): Promise<number> {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, group);
  for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(groups);
  pass.end();
  const commands = encoder.finish();
  const t0 = performance.now();
  device.queue.submit([commands]);
  // gpuWait: in Node, Dawn's polling would otherwise spin on the JS thread and take a core
  // from a CPU adapter (SwiftShader), halving the roofs it measures
  await gpuWait(() => device.queue.onSubmittedWorkDone());
  return performance.now() - t0;
}

/** Grows (iterations, repeats) until one submit takes targetMs; returns the best of `trials`
 *  at that size, in ms per unit of work (one iteration of one dispatch). */
async function measure(
  targetMs: number,
  trials: number,
  grow: 'iterations' | 'repeats',
  run: (iterations: number, repeats: number) => Promise<number>,
): Promise<{ msPerUnit: number; iterations: number; repeats: number }> {
  let iterations = grow === 'iterations' ? 16 : 1;
  let repeats = 1;
  await run(iterations, repeats); // warm-up: pipeline creation, first touch of the buffers
  let ms = await run(iterations, repeats);
  while (ms < targetMs) {
    const factor = Math.min(16, Math.max(2, Math.ceil(targetMs / Math.max(ms, 0.05))));
    if (grow === 'iterations' && iterations < MAX_ITERATIONS) iterations = Math.min(MAX_ITERATIONS, iterations * factor);
    else if (repeats < MAX_REPEATS) repeats = Math.min(MAX_REPEATS, repeats * factor);
    else break;
    ms = await run(iterations, repeats);
  }
  let best = ms;
  for (let t = 1; t < trials; t++) best = Math.min(best, await run(iterations, repeats));
  return { msPerUnit: best / (iterations * repeats), iterations, repeats };
}

/** Measures the roofs on `device` (a few hundred ms of GPU time each). */
export async function measureRoofs(device: GPUDevice, opts: RoofOptions = {}): Promise<Roofs> {
  const buffers: GPUBuffer[] = [];
  device.pushErrorScope('validation');
  let result: Roofs | Error;
  try {
    result = await measureBoth(device, opts.targetMs ?? 100, opts.trials ?? 3, buffers);
  } catch (err) {
    result = err instanceof Error ? err : new Error(String(err));
  }
  // Popped whatever happened, so a failure leaves the device's error scopes balanced.
  const scopeError = await device.popErrorScope();
  for (const b of buffers) b.destroy();
  if (result instanceof Error) throw result;
  if (scopeError) throw new Error(`roofline microkernels: ${scopeError.message}`);
  return result;
}

async function measureBoth(device: GPUDevice, targetMs: number, trials: number, buffers: GPUBuffer[]): Promise<Roofs> {
  const storage = (bytes: number) => {
    const b = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    buffers.push(b);
    return b;
  };

  // ---- peak FMA rate: the faster of the two microkernels ----
  const out = storage(FMA_INVOCATIONS * 16);
  const fmaRate = async (entry: 'peak_fma_chains' | 'peak_fma_products', flopPerIteration: number) => {
    const fma = compile(device, entry, { workgroup_size: WORKGROUP });
    const fmaRun = async (iterations: number, repeats: number) => {
      const u = uniform(device, fma, { iterations, count: FMA_INVOCATIONS, a: 0.999, b: 0.001 });
      buffers.push(u);
      return timeSubmit(device, fma, bindByName(device, fma, { dims: u, out }), FMA_INVOCATIONS / WORKGROUP, repeats);
    };
    const f = await measure(targetMs, trials, 'iterations', fmaRun);
    return { gflops: (FMA_INVOCATIONS * flopPerIteration) / (f.msPerUnit * 1e6), iterations: f.iterations };
  };
  const chains = await fmaRate('peak_fma_chains', CHAINS * 4 * 2);
  const products = await fmaRate('peak_fma_products', PRODUCTS * 64 * 2);

  // ---- streaming bandwidth: copy (read + write), read (a reduction's traffic) ----
  const stream = async (entry: 'stream_copy' | 'stream_read', perInvocation: number, bytes: number) => {
    const k = compile(device, entry, { workgroup_size: WORKGROUP, [entry === 'stream_copy' ? 'copies' : 'reads']: perInvocation });
    const vec4s = Math.min(Math.floor(Math.min(bytes, device.limits.maxStorageBufferBindingSize) / 16), 65535 * WORKGROUP * perInvocation);
    const count = vec4s - (vec4s % perInvocation);
    const src = storage(count * 16);
    const dst = storage(count * 16);
    const u = uniform(device, k, { iterations: 0, count, a: 0, b: 0 });
    buffers.push(u);
    const group = bindByName(device, k, { dims: u, src, dst });
    const groups = Math.ceil(count / perInvocation / WORKGROUP);
    const c = await measure(targetMs, trials, 'repeats', (_i, repeats) => timeSubmit(device, k, group, groups, repeats));
    const moved = entry === 'stream_copy' ? 2 * 16 * count : 16 * (count + count / perInvocation);
    return { gbps: moved / (c.msPerUnit * 1e6), repeats: c.repeats };
  };
  const cached = await stream('stream_copy', COPIES, CASE_COPY_BYTES);
  const memory = await stream('stream_copy', COPIES, MEMORY_COPY_BYTES);
  const read = await stream('stream_read', READS, CASE_COPY_BYTES);
  return {
    gflops: Math.max(chains.gflops, products.gflops),
    gbps: cached.gbps,
    readGbps: read.gbps,
    memoryGbps: memory.gbps,
    detail:
      `FMA: ${FMA_INVOCATIONS} invocations, ${CHAINS} vec4 chains × ${chains.iterations} iterations ${chains.gflops.toFixed(2)} GFLOP/s, ` +
      `${PRODUCTS} mat4x4 products × ${products.iterations} iterations ${products.gflops.toFixed(2)} GFLOP/s; ` +
      `copy: 4 MiB × ${cached.repeats} and 64 MiB × ${memory.repeats} dispatches; read: 4 MiB × ${read.repeats}; best of ${trials} CPU-timed submits`,
  };
}
