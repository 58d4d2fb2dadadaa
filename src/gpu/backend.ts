// The WebGPU backend: tensors live in pooled storage buffers (BufferPool), ops record their
// dispatches on one CommandQueue (one submit until a read or the end of a training step),
// and kernels come reflected from the KernelRegistry.

import type { BackendStats, ComputeBackend } from '../backend';
import type { KernelOpDef, UpdateDef } from '../ops/op';
import { fmt, shapeSize, type Shape } from '../ops/tensor';
import { formatAdapter, type AdapterReport, type GpuDevice } from './device';
import { KernelRegistry } from './kernels';
import { BufferPool } from './pool';
import { CommandQueue, grid1d } from './queue';
import { KernelChoices, resolveProfile, type KernelProfile, type MatmulProblem, type ProfileOption } from './profile';
import { Tuner, adapterKey, type TuneMode, type TuneResult, type TuneStore } from './tune';

const FINITE_WORKGROUP = 256;
const NONE = 0xffffffff;

export class GpuBackend implements ComputeBackend<GPUBuffer> {
  readonly name = 'webgpu';
  private readonly pool: BufferPool;
  private readonly queue: CommandQueue;
  /** checkFinite's flag: the smallest op number whose output was not finite (NONE: none). */
  private health: { flag: GPUBuffer; none: GPUBuffer } | null = null;

  private readonly choices: KernelChoices;
  /** Removed on destroy: engines that share a device passed in must not pile up listeners. */
  private readonly onUncaptured: (ev: Event) => void;
  private readonly tuner: Tuner;

  constructor(
    private readonly gpu: GpuDevice,
    /** Submit after every dispatch so a WebGPU validation error names its kernel (slow). */
    debug: boolean,
    /** Called once the device is lost or reports an uncaptured error: the engine is dead. */
    onFatal: (err: Error) => void,
    /** Which kernel variants run: the profile (src/gpu/profile.ts) and the tuner's store. */
    settings: { profile?: ProfileOption | KernelProfile; tune?: TuneMode; store?: TuneStore | null } = {},
  ) {
    this.pool = new BufferPool(gpu.device);
    const { report } = gpu;
    this.choices = new KernelChoices(resolveProfile(settings.profile, report), gpu.device.features, [report.subgroupMinSize, report.subgroupMaxSize]);
    this.queue = new CommandQueue(gpu.device, KernelRegistry.of(gpu.device), this.pool, debug, this.choices);
    this.tuner = new Tuner(settings.tune ?? 'cached', this.queue, this.pool, this.choices, adapterKey(report), settings.store ?? null);
    void gpu.device.lost.then((info) => onFatal(new Error(`WebGPU device lost (${info.reason}): ${info.message || 'no details'}. Create a new engine.`)));
    this.onUncaptured = (ev) => onFatal(new Error(`WebGPU error: ${(ev as GPUUncapturedErrorEvent).error.message}`));
    gpu.device.addEventListener('uncapturederror', this.onUncaptured);
  }

  get adapter(): string {
    return formatAdapter(this.gpu.report);
  }

  get adapterReport(): AdapterReport {
    return this.gpu.report;
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  get kernelProfile(): string {
    return this.choices.profile.name;
  }

  get planning(): boolean {
    return this.queue.isPlanning;
  }

  /** Compiles fn's pipelines without running it (CommandQueue.plan); with tune 'always' the
   *  matmul shapes it meets are tuned first, so the pipelines compiled are the ones that run. */
  async prepare(fn: () => void): Promise<TuneResult[]> {
    const tuned = this.tuner.mode === 'always' ? await this.tuner.tune((await this.queue.plan(fn, false)).matmuls) : [];
    await this.queue.plan(fn);
    return tuned;
  }

  tune(problems: readonly MatmulProblem[]): Promise<TuneResult[]> {
    return this.tuner.tune(problems);
  }

  /** Reads the stored tuning results for this adapter (createEngine). */
  loadTuning(): Promise<void> {
    return this.tuner.load();
  }

  alloc(op: string, shape: Shape): GPUBuffer {
    this.checkBindable(op, shape);
    return this.pool.acquire(Math.max(4, shapeSize(shape) * 4));
  }

  free(buffer: GPUBuffer): void {
    this.pool.release(buffer);
  }

  run<A>(op: KernelOpDef<A>, inputs: GPUBuffer[], inShapes: readonly Shape[], outShapes: readonly Shape[], attrs: A, saved: boolean): GPUBuffer[] {
    outShapes.forEach((s) => this.checkBindable(op.name, s));
    const outputs = outShapes.map((s) => this.alloc(op.name, s));
    try {
      op.gpu(this.queue, inputs, outputs, inShapes, attrs, saved);
    } catch (err) {
      outputs.forEach((b) => this.pool.release(b));
      throw err;
    }
    this.queue.flushIfManyReleased();
    return outputs;
  }

  update<A>(op: UpdateDef<A>, targets: GPUBuffer[], inputs: GPUBuffer[], shapes: readonly Shape[], attrs: A): void {
    op.gpu(this.queue, targets, inputs, shapes, attrs);
    this.queue.flushIfManyReleased();
  }

  write(buffer: GPUBuffer, data: ArrayLike<number>): void {
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    if (f32.byteLength === 0) return;
    if (this.queue.isPending(buffer)) this.queue.flush();
    this.gpu.device.queue.writeBuffer(buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
  }

  read(buffer: GPUBuffer, size: number, beforeSubmit?: () => void): Promise<Float32Array> {
    return this.queue.read(buffer, size * 4, beforeSubmit);
  }

  async readF64(buffer: GPUBuffer, size: number): Promise<Float64Array> {
    return Float64Array.from(await this.read(buffer, size));
  }

  checkFinite(buffer: GPUBuffer, size: number, seq: number): null {
    if (size === 0) return null;
    this.health ??= this.newHealth();
    this.queue.dispatch({
      kernel: 'finite.check',
      overrides: { workgroup_size: FINITE_WORKGROUP },
      uniforms: { len: size, seq },
      bindings: { x: buffer, health: this.health.flag },
      workgroups: grid1d(size, FINITE_WORKGROUP),
    });
    return null;
  }

  async firstNonFinite(): Promise<number | null> {
    if (!this.health) return null;
    const { flag, none } = this.health;
    // The reset is recorded right behind the copy that reads the flag, in the same submit:
    // whatever runs later flags afresh, and nothing that ran before is lost.
    const bits = new Uint32Array((await this.queue.read(flag, 4, () => this.queue.copy(none, flag, 4))).buffer)[0]!;
    return bits === NONE ? null : bits;
  }

  flush(): void {
    this.queue.flush();
  }

  sync(): Promise<void> {
    return this.queue.sync();
  }

  stats(): BackendStats {
    return { pool: this.pool.counters, queue: { ...this.queue.counters }, kernels: this.choices.report() };
  }

  /** Frees every buffer the engine created, even on a caller's device (which lives on). */
  destroy(): void {
    this.gpu.device.removeEventListener('uncapturederror', this.onUncaptured);
    this.health?.flag.destroy();
    this.health?.none.destroy();
    this.queue.destroy();
    this.pool.destroy();
    if (this.gpu.adapter) this.gpu.device.destroy(); // only a device we acquired
  }

  private newHealth(): { flag: GPUBuffer; none: GPUBuffer } {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const [flag, none] = [0, 1].map(() => this.gpu.device.createBuffer({ size: 16, usage }));
    for (const b of [flag!, none!]) this.gpu.device.queue.writeBuffer(b, 0, Uint32Array.of(NONE));
    return { flag: flag!, none: none! };
  }

  /** A tensor must fit one storage binding and one buffer (see maxTensorBytes): checked
   *  before any GPU work, so an oversized tensor is an error, not a dead engine. */
  private checkBindable(op: string, shape: Shape): void {
    const bytes = shapeSize(shape) * 4;
    if (bytes > this.pool.maxBytes) {
      const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = this.gpu.device.limits;
      throw new Error(`${op}: a tensor of shape ${fmt(shape)} needs ${bytes} bytes; this device holds at most ${this.pool.maxBytes} bytes per tensor (maxStorageBufferBindingSize ${binding}, maxBufferSize ${buffer}, rounded down to 16)`);
    }
  }
}
