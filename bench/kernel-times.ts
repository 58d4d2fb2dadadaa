// Per-kernel GPU times of one training step, without touching the engine: the engine runs on
// a device seen through a recording proxy (`DispatchRecorder`), which notes every compute
// dispatch (pipeline, bind groups, grid) while `capture` runs a step. Each recorded dispatch is
// then replayed on its own: `repeats` times in one compute pass, timed by timestamp queries at
// the pass's start and end where the adapter offers 'timestamp-query', else on the CPU from
// submit to onSubmittedWorkDone (minus an empty submit's round trip). Repeating matters:
// browsers quantize timestamps (Chrome to ~65–100 µs) and a small kernel on a real GPU takes a
// few µs. Times are summed per kernel (its pipeline label: entry point + override constants).
//
// A replay sees warm caches and runs without its neighbours, so the per-kernel times are what
// each kernel costs alone; their sum next to the measured step time shows the rest (launch
// gaps, copies, the submit).

import { gpuWait } from '../src/gpu/wait';

export interface CapturedDispatch {
  /** The pipeline's label: `family.entry [[override, value], ...]` for webgrad's kernels. */
  label: string;
  pipeline: GPUComputePipeline;
  bindGroups: (GPUBindGroup | null)[];
  workgroups: [number, number, number];
}

export interface KernelTime {
  /** Kernel name with its override constants, e.g. "matmul.main (act=1, tile_m=16)". */
  kernel: string;
  /** Dispatches of this kernel per step. */
  calls: number;
  /** GPU ms per step, all calls together. */
  ms: number;
}

export interface StepProfile {
  timing: 'timestamp-query' | 'cpu';
  /** Replays per dispatch (the time per call is the replay time over this). */
  repeats: number;
  /** Dispatches and buffer copies in the captured step. */
  dispatches: number;
  copies: number;
  /** Kernels, slowest first. */
  kernels: KernelTime[];
  /** Sum of the kernel times (ms). */
  totalMs: number;
}

interface OpenPass {
  pipeline: GPUComputePipeline | null;
  bindGroups: (GPUBindGroup | null)[];
}

/** A proxy whose own methods are `overrides`; everything else goes to `target`, called on the
 *  real object (WebGPU's methods and getters check that `this` is one of theirs). */
function forward<T extends object>(target: T, overrides: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop as keyof T];
      const v = Reflect.get(t, prop, t) as unknown;
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(t) : v;
    },
  });
}

export class DispatchRecorder {
  /** Give this device to createEngine({ device }). */
  readonly device: GPUDevice;
  private captured: CapturedDispatch[] | null = null;
  private copies = 0;

  constructor(readonly real: GPUDevice) {
    this.device = forward(real, {
      createCommandEncoder: (desc?: GPUCommandEncoderDescriptor) => this.wrapEncoder(real.createCommandEncoder(desc)),
    });
  }

  /** Runs `fn` (one step, ending with its submit) and returns the dispatches it recorded. */
  async capture(fn: () => Promise<void>): Promise<{ dispatches: CapturedDispatch[]; copies: number }> {
    this.captured = [];
    this.copies = 0;
    try {
      await fn();
      return { dispatches: this.captured, copies: this.copies };
    } finally {
      this.captured = null;
    }
  }

  private wrapEncoder(encoder: GPUCommandEncoder): GPUCommandEncoder {
    return forward(encoder, {
      beginComputePass: (desc?: GPUComputePassDescriptor) => this.wrapPass(encoder.beginComputePass(desc)),
      copyBufferToBuffer: (...args: unknown[]) => {
        if (this.captured) this.copies++;
        return (encoder.copyBufferToBuffer as (...a: unknown[]) => undefined)(...args);
      },
    });
  }

  private wrapPass(pass: GPUComputePassEncoder): GPUComputePassEncoder {
    const state: OpenPass = { pipeline: null, bindGroups: [] };
    return forward(pass, {
      setPipeline: (p: GPUComputePipeline) => {
        state.pipeline = p;
        pass.setPipeline(p);
      },
      setBindGroup: (index: number, group: GPUBindGroup | null, ...rest: unknown[]) => {
        if (rest.length > 0) throw new Error('kernel timing: dynamic bind group offsets are not recorded');
        state.bindGroups[index] = group;
        pass.setBindGroup(index, group);
      },
      dispatchWorkgroups: (x: number, y = 1, z = 1) => {
        if (this.captured && state.pipeline) {
          this.captured.push({ label: state.pipeline.label, pipeline: state.pipeline, bindGroups: [...state.bindGroups], workgroups: [x, y, z] });
        }
        pass.dispatchWorkgroups(x, y, z);
      },
    });
  }
}

/** "matmul.main [["act",1],["tile_m",16]]" -> "matmul.main (act=1, tile_m=16)". */
export function kernelName(label: string): string {
  const space = label.indexOf(' ');
  if (space < 0) return label || '(unlabelled pipeline)';
  try {
    const pairs = JSON.parse(label.slice(space + 1)) as [string, number | boolean][];
    if (!Array.isArray(pairs) || pairs.length === 0) return label.slice(0, space);
    return `${label.slice(0, space)} (${pairs.map(([k, v]) => `${k}=${String(v)}`).join(', ')})`;
  } catch {
    return label;
  }
}

function record(pass: GPUComputePassEncoder, d: CapturedDispatch, repeats: number): void {
  pass.setPipeline(d.pipeline);
  d.bindGroups.forEach((g, i) => pass.setBindGroup(i, g));
  for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(...d.workgroups);
}

/** ms per call of each dispatch, from timestamp queries around `repeats` replays. */
async function timestampTimes(device: GPUDevice, list: CapturedDispatch[], repeats: number): Promise<number[]> {
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * list.length });
  const bytes = 2 * list.length * 8;
  const resolved = device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    list.forEach((d, i) => {
      const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      record(pass, d, repeats);
      pass.end();
    });
    encoder.resolveQuerySet(querySet, 0, 2 * list.length, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, readback, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const ns = new BigUint64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    return list.map((_, i) => Math.max(0, Number(ns[2 * i + 1]! - ns[2 * i]!)) / 1e6 / repeats);
  } finally {
    querySet.destroy();
    resolved.destroy();
    readback.destroy();
  }
}

/** ms per call of each dispatch, from CPU-timed submits of `repeats` replays. */
async function cpuTimes(device: GPUDevice, list: CapturedDispatch[], repeats: number): Promise<number[]> {
  const roundTrip = async (d: CapturedDispatch | null) => {
    const encoder = device.createCommandEncoder();
    if (d) {
      const pass = encoder.beginComputePass();
      record(pass, d, repeats);
      pass.end();
    }
    const commands = encoder.finish();
    const t0 = performance.now();
    device.queue.submit([commands]);
    await gpuWait(() => device.queue.onSubmittedWorkDone()); // no spinning poll in Node (src/gpu/wait.ts)
    return performance.now() - t0;
  };
  let empty = Infinity;
  for (let i = 0; i < 5; i++) empty = Math.min(empty, await roundTrip(null));
  const out: number[] = [];
  for (const d of list) out.push(Math.max(0, (await roundTrip(d)) - empty) / repeats);
  return out;
}

/** Times every captured dispatch; `repeats` replays each. */
export async function profileDispatches(
  device: GPUDevice,
  captured: { dispatches: CapturedDispatch[]; copies: number },
  repeats: number,
): Promise<StepProfile> {
  const list = captured.dispatches;
  const timing = device.features.has('timestamp-query') ? 'timestamp-query' : 'cpu';
  device.pushErrorScope('validation');
  const times = await (timing === 'timestamp-query' ? timestampTimes(device, list, repeats) : cpuTimes(device, list, repeats)).finally(async () => {
    const err = await device.popErrorScope();
    if (err) throw new Error(`kernel timing: ${err.message}`);
  });
  const byKernel = new Map<string, KernelTime>();
  list.forEach((d, i) => {
    const name = kernelName(d.label);
    const k = byKernel.get(name) ?? { kernel: name, calls: 0, ms: 0 };
    k.calls++;
    k.ms += times[i]!;
    byKernel.set(name, k);
  });
  const kernels = [...byKernel.values()].sort((a, b) => b.ms - a.ms);
  return { timing, repeats, dispatches: list.length, copies: captured.copies, kernels, totalMs: kernels.reduce((s, k) => s + k.ms, 0) };
}

/** Captures one step of a prepared runner and times its kernels. The runner must have been
 *  prepared on an engine created with `recorder.device`; `stepMs` (a measured step) picks the
 *  replay count so the whole replay takes about `budgetMs`. */
export async function profileStep(
  recorder: DispatchRecorder,
  step: () => Promise<void>,
  stepMs: number,
  budgetMs = 300,
): Promise<StepProfile> {
  const captured = await recorder.capture(step);
  if (captured.dispatches.length === 0) throw new Error('kernel timing: the step recorded no compute dispatch');
  const repeats = Math.max(3, Math.min(200, Math.round(budgetMs / Math.max(stepMs, 0.01))));
  return profileDispatches(recorder.real, captured, repeats);
}
