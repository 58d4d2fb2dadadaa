// CommandQueue: records kernel dispatches into one command encoder and submits them only
// when asked (a read, or the end of a training step). This is what makes a whole step one
// queue.submit. It also caches what would otherwise be created per dispatch: uniform
// buffers (immutable, keyed by content, so a repeated step reuses them) and bind groups.

import type { BufferPool } from './pool';
import type { KernelName, KernelRegistry, Overrides, UniformValue } from './kernels';
import { gpuWait } from './wait';
import { KernelChoices, PROFILES, type MatmulProblem } from './profile';

export interface DispatchSpec {
  kernel: KernelName;
  overrides?: Overrides;
  uniforms?: Record<string, UniformValue>;
  bindings: Record<string, GPUBuffer>;
  workgroups: readonly [number, number?, number?];
}

interface Planning {
  compile: boolean;
  compiles: Promise<void>[];
  matmuls: MatmulProblem[];
}

/** Work the engine has issued so far. */
export interface QueueCounters {
  /** Compute dispatches recorded. */
  dispatches: number;
  /** queue.submit calls. */
  submits: number;
  /** Buffers mapped for reading (mapAsync). */
  readbacks: number;
}

const MAX_UNIFORMS = 2048;
const MAX_BIND_GROUPS = 8192;
/** WebGPU's default maxComputeWorkgroupsPerDimension (what every adapter offers). */
export const MAX_WORKGROUPS_PER_DIM = 65535;
/** Released-but-unsubmitted bytes that trigger an early submit: a long run of ops with no
 *  read would otherwise allocate fresh buffers for every one of them. */
const PARKED_FLUSH_BYTES = 64 * 1024 * 1024;

/** Workgroup grid for `n` invocations of `size` each, folded into 2-D past 65535 groups. */
export function grid1d(n: number, size: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(groups / y), y];
}

export class CommandQueue {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uniforms = new Map<string, GPUBuffer>();
  private retiredUniforms: GPUBuffer[] = [];
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  private readonly staging = new Map<number, GPUBuffer[]>();
  /** Error scopes of submits still in flight (each removes itself when it settles), and the
   *  first error they reported: bounded however long a loop runs without a read. */
  private readonly submitChecks = new Set<Promise<void>>();
  private submitError: Error | null = null;
  /** Buffers bound by recorded, unsubmitted commands (see `isPending`). */
  private readonly pendingBuffers = new Set<GPUBuffer>();
  readonly counters: QueueCounters = { dispatches: 0, submits: 0, readbacks: 0 };
  private planning: Planning | null = null;
  private readonly maxBindingBytes: number;
  private destroyed = false;

  constructor(
    private readonly device: GPUDevice,
    private readonly kernels: KernelRegistry,
    private readonly pool: BufferPool,
    /** Submit after every dispatch, so a validation error names the one kernel. */
    private readonly debug: boolean,
    /** The kernel variants this engine runs (profile, tuner results) and a record of use. */
    readonly choices: KernelChoices = new KernelChoices(PROFILES.software, new Set()),
  ) {
    this.maxBindingBytes = Math.floor(device.limits.maxStorageBufferBindingSize / 16) * 16;
  }

  dispatch(spec: DispatchSpec): void {
    const kernel = this.kernels.get(spec.kernel);
    kernel.checkBindings(Object.keys(spec.bindings));
    const [x, y = 1, z = 1] = spec.workgroups;
    for (const n of [x, y, z]) {
      if (!Number.isInteger(n) || n < 1 || n > MAX_WORKGROUPS_PER_DIM) {
        throw new Error(`kernel ${spec.kernel}: invalid workgroup grid [${x}, ${y}, ${z}] (each 1..${MAX_WORKGROUPS_PER_DIM})`);
      }
    }
    if (this.planning) {
      kernel.packUniform(spec.uniforms ?? {}); // validates the fields
      if (this.planning.compile) this.planning.compiles.push(kernel.prepare(spec.overrides));
      return;
    }
    const pipeline = kernel.pipeline(spec.overrides);
    const bufs: [number, GPUBuffer][] = [];
    for (const [name, buf] of Object.entries(spec.bindings)) bufs.push([kernel.bindings.get(name)!.slot, buf]);
    if (kernel.uniform) {
      const slot = kernel.bindings.get(kernel.uniform.name)!.slot;
      bufs.push([slot, this.uniformBuffer(spec.kernel, kernel.packUniform(spec.uniforms ?? {}))]);
    } else {
      kernel.packUniform(spec.uniforms ?? {});
    }
    bufs.sort((x, y) => x[0] - y[0]);
    const key = `${pipeline.label}|${bufs.map(([s, b]) => `${s}:${this.id(b)}`).join(',')}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      group = this.device.createBindGroup({
        label: spec.kernel,
        layout: kernel.bindGroupLayout,
        // Explicit sizes: a storage binding may not exceed maxStorageBufferBindingSize even
        // where the buffer is larger (pool buffers never are; this keeps any buffer bindable).
        entries: bufs.map(([binding, buffer]) => ({ binding, resource: { buffer, size: Math.min(buffer.size, this.maxBindingBytes) } })),
      });
      this.bindGroups.set(key, group);
    }
    for (const [, b] of bufs) this.pendingBuffers.add(b);
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    this.counters.dispatches++;
    if (this.debug) this.flush();
  }

  /** A temporary buffer for the commands being recorded: it returns to the pool at once, and
   *  the pool hands it out again only after this submit, so the recorded commands own it. */
  scratch(bytes: number): GPUBuffer {
    const buf = this.pool.acquire(bytes);
    this.pool.release(buf);
    return buf;
  }

  /**
   * Runs `record` (ops, a training step) without recording GPU work: each dispatch only starts
   * compiling its pipeline with createComputePipelineAsync (unless !compile). Resolves, once all are compiled,
   * with the matmul problems met (for the tuner). Writes to tensors are skipped meanwhile
   * (Engine.write); buffers taken and released return to the pool as usual.
   */
  async plan(record: () => void, compile = true): Promise<{ matmuls: MatmulProblem[] }> {
    if (this.planning) throw new Error('plan: already planning (plans do not nest)');
    this.flush();
    const planning: Planning = { compile, compiles: [], matmuls: [] };
    this.planning = planning;
    try {
      record();
    } finally {
      this.planning = null;
    }
    await Promise.all(planning.compiles);
    await this.kernels.check();
    return { matmuls: planning.matmuls };
  }

  get isPlanning(): boolean {
    return this.planning !== null;
  }

  /** During plan(): notes a matmul problem for the tuner. */
  noteMatmul(p: MatmulProblem): void {
    this.planning?.matmuls.push(p);
  }

  /** Records a buffer-to-buffer copy in order with the dispatches. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    if (this.planning) return;
    this.endPass();
    this.pendingBuffers.add(src).add(dst);
    this.commandEncoder().copyBufferToBuffer(src, 0, dst, 0, bytes);
  }

  /** Called between ops (never inside one: an op's scratch buffers must stay unsubmitted
   *  until its last dispatch is recorded): submits early when many released bytes wait. */
  flushIfManyReleased(): void {
    if (this.pool.parkedBytes > PARKED_FLUSH_BYTES) this.flush();
  }

  /** True if a recorded, unsubmitted command uses `buf`: queue.writeBuffer to it now would
   *  run before that command. */
  isPending(buf: GPUBuffer): boolean {
    return this.pendingBuffers.has(buf);
  }

  /** Submits everything recorded so far (no-op when nothing is pending). */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const encoder = this.encoder;
    this.encoder = null;
    this.pendingBuffers.clear();
    this.device.pushErrorScope('validation');
    this.device.queue.submit([encoder.finish()]);
    const check: Promise<void> = this.device.popErrorScope().then((err) => {
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
  async read(src: GPUBuffer, bytes: number, beforeSubmit?: () => void): Promise<Float32Array> {
    if (this.planning) throw new Error('read: values cannot be read while a step is being planned (nothing runs then)');
    const size = this.pool.sizeClass(Math.max(bytes, 4));
    const staging = this.staging.get(size)?.pop() ??
      this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (bytes > 0) this.copy(src, staging, Math.ceil(bytes / 4) * 4);
    beforeSubmit?.();
    this.flush();
    this.counters.readbacks++;
    await gpuWait(async () => {
      await this.check();
      try {
        await staging.mapAsync(GPUMapMode.READ, 0, size);
      } catch (err) {
        staging.destroy();
        throw await this.mapFailure(err);
      }
    });
    const out = new Float32Array(bytes / 4);
    out.set(new Float32Array(staging.getMappedRange(0, out.byteLength === 0 ? 0 : Math.ceil(bytes / 4) * 4), 0, out.length));
    staging.unmap();
    if (this.destroyed) {
      staging.destroy(); // the engine was destroyed while this read was in flight
      return out;
    }
    const list = this.staging.get(size);
    if (list) list.push(staging);
    else this.staging.set(size, [staging]);
    return out;
  }

  /**
   * Runs `record` (which dispatches) in a compute pass of its own, after everything pending,
   * and resolves with its GPU time in ms: from timestamp queries at the pass's start and end
   * where the device has 'timestamp-query', else the wall time until the work is done.
   */
  async timePass(record: () => void): Promise<number> {
    await this.sync();
    if (!this.device.features.has('timestamp-query')) {
      const t0 = performance.now();
      record();
      await this.sync();
      return performance.now() - t0;
    }
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: 2 });
    const stamps = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    try {
      this.pass = this.commandEncoder().beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
      record();
      this.endPass();
      this.commandEncoder().resolveQuerySet(querySet, 0, 2, stamps, 0);
      const [begin, end] = new BigUint64Array((await this.read(stamps, 16)).buffer);
      return Number(end! - begin!) / 1e6;
    } catch (err) {
      // Drop what this call recorded (the queue was empty at its start): its pass writes
      // timestamps into the query set destroyed below, so a later submit would fail on it.
      if (this.encoder) {
        this.endPass();
        this.encoder = null;
        this.pendingBuffers.clear();
      }
      throw err;
    } finally {
      querySet.destroy();
      stamps.destroy();
    }
  }

  /** The error for a failed mapAsync: it fails (with an AbortError and no message in Dawn)
   *  when the device is lost, which `device.lost` reports within a turn of the event loop. */
  private async mapFailure(err: unknown): Promise<Error> {
    const lost = await Promise.race([
      this.device.lost,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 0)),
    ]);
    if (lost) return new Error(`WebGPU device lost (${lost.reason}): ${lost.message || 'no details'}. Create a new engine.`);
    return new Error(`reading a result back failed (mapAsync): ${String(err)}`);
  }

  /** Objects the queue keeps between calls (all freed by destroy). */
  get cached(): { uniformBuffers: number; stagingBuffers: number; bindGroups: number } {
    let staging = 0;
    for (const list of this.staging.values()) staging += list.length;
    return { uniformBuffers: this.uniforms.size + this.retiredUniforms.length, stagingBuffers: staging, bindGroups: this.bindGroups.size };
  }

  /** Frees what the queue created: uniform and staging buffers, and its bind groups. For an
   *  engine on a caller's device, which outlives the engine. Pending work is submitted first. */
  destroy(): void {
    this.destroyed = true;
    this.flush();
    for (const u of [...this.uniforms.values(), ...this.retiredUniforms]) u.destroy();
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.uniforms.clear();
    this.retiredUniforms = [];
    this.staging.clear();
    this.bindGroups.clear();
  }

  /** Rejects with the first compile or validation error since the last check. */
  async check(): Promise<void> {
    await this.kernels.check();
    await Promise.all([...this.submitChecks]);
    const first = this.submitError;
    this.submitError = null;
    if (first) throw first;
  }

  /** Waits until the GPU has finished everything submitted. */
  async sync(): Promise<void> {
    this.flush();
    await gpuWait(async () => {
      await this.device.queue.onSubmittedWorkDone();
      await this.check();
    });
  }

  private uniformBuffer(kernel: string, bytes: Uint8Array): GPUBuffer {
    let key = kernel;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (const w of words) key += ',' + w.toString(36);
    const hit = this.uniforms.get(key);
    if (hit) {
      // Refresh its place in the insertion order: the map doubles as an LRU list.
      this.uniforms.delete(key);
      this.uniforms.set(key, hit);
      return hit;
    }
    if (this.uniforms.size >= MAX_UNIFORMS) {
      const [oldKey, old] = this.uniforms.entries().next().value as [string, GPUBuffer];
      this.uniforms.delete(oldKey);
      this.retiredUniforms.push(old); // may still be bound by pending commands
    }
    const buf = this.device.createBuffer({ size: bytes.byteLength, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    new Uint8Array(buf.getMappedRange()).set(bytes);
    buf.unmap();
    this.uniforms.set(key, buf);
    return buf;
  }

  private id(b: GPUBuffer): number {
    let id = this.ids.get(b);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(b, id);
    }
    return id;
  }

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }
}
