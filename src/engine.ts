// The Engine: the public API. It owns the backend (a GPU device with its buffer pool and
// command queue, or the CPU reference), runs op definitions (src/ops/) on it, tracks tensor
// lifetimes in scopes, and records ops on a tape for valueAndGrad.

import { acquireDevice, formatAdapter, type AdapterReport, type GpuDevice } from './gpu/device';
import { KernelRegistry } from './gpu/kernels';
import { BufferPool, type PoolStats } from './gpu/pool';
import { CommandQueue, type QueueCounters } from './gpu/queue';
import { Tuner, TUNE_MODES, adapterKey, defaultStore, type TuneMode, type TuneResult, type TuneStore } from './gpu/tune';
import { KernelChoices, checkProfileOption, resolveProfile, type KernelProfile, type KernelUse, type MatmulProblem, type ProfileOption } from './gpu/profile';
import { backward, Tape } from './autograd/tape';
import type { OpDef, OpRunner, UpdateDef } from './ops/op';
import { Tensor, checkShape, fmt, shapeSize, type Shape, type Storage } from './ops/tensor';
import { activation, add, mul, scale, sub, type ActivationAttrs } from './ops/elementwise';
import { max, mean, reshape, sum } from './ops/reduce';
import { runMatmul, type MatmulOptions } from './ops/matmul';
import { logSoftmax, softmax, softmaxJvp } from './ops/softmax';
import { binaryCrossEntropy, mseLoss, softmaxCrossEntropyWith, type SoftmaxCrossEntropyOptions } from './ops/loss';

export type Backend = 'webgpu' | 'cpu';

export interface EngineOptions {
  backend?: Backend;
  /** Use this device instead of acquiring one. */
  device?: GPUDevice;
  /** Submit after every dispatch so a WebGPU validation error names its kernel (slow). */
  debug?: boolean;
  /** CPU backend only: 'f32' (default) rounds every result to f32 like the GPU; 'f64' keeps
   *  full precision, for finite-difference checks. */
  precision?: 'f32' | 'f64';
  /** Subgradient of relu at exactly 0: 0 (default, as PyTorch and TF.js) or 1 (lectures). */
  reluGradAtZero?: 0 | 1;
  /** WebGPU only: the kernel variants to run. 'auto' (default) picks from the adapter's info;
   *  'software', 'integrated', 'discrete' force that class's table (src/gpu/profile.ts); a
   *  KernelProfile object is used as given (experiments, tests of single variants). */
  profile?: ProfileOption | KernelProfile;
  /** WebGPU only: 'off' (the profile's table), 'cached' (default: plus results stored for this
   *  adapter), 'always' (also time every matmul shape class met by prepare()/tune() once). */
  tune?: TuneMode;
}

export interface EngineStats {
  pool: PoolStats | null;
  queue: QueueCounters;
  liveTensors: number;
  /** Kernel family -> the variants used so far, with their tile / workgroup parameters. */
  kernels: Record<string, KernelUse[]>;
}

interface GpuState {
  gpu: GpuDevice;
  pool: BufferPool;
  queue: CommandQueue;
  tuner: Tuner;
}

export class Engine implements OpRunner {
  readonly backend: Backend;
  private readonly gpuState: GpuState | null;
  private readonly precision: 'f32' | 'f64';
  private readonly reluGradAtZero: 0 | 1;
  private readonly scopes: Set<Tensor>[] = [];
  private readonly live = new Set<Tensor>();
  private tape: Tape | null = null;
  /** Tensors disposed while the tape held them: freed when gradients() finishes. */
  private deferred = new Set<Tensor>();
  private fatal: Error | null = null;
  private readonly cpuCounters: QueueCounters = { dispatches: 0, submits: 0, readbacks: 0 };

  constructor(backend: Backend, gpu: GpuDevice | null, options: EngineOptions, tuneStore: TuneStore | null = null) {
    this.backend = backend;
    this.precision = options.precision ?? 'f32';
    this.reluGradAtZero = options.reluGradAtZero ?? 0;
    if (gpu) {
      const kernels = new KernelRegistry(gpu.device);
      const pool = new BufferPool(gpu.device);
      const choices = new KernelChoices(resolveProfile(options.profile, gpu.report), gpu.device.features, [gpu.report.subgroupMinSize, gpu.report.subgroupMaxSize]);
      const queue = new CommandQueue(gpu.device, kernels, pool, options.debug ?? false, choices);
      const tuner = new Tuner(options.tune ?? 'cached', queue, pool, choices, adapterKey(gpu.report), tuneStore);
      this.gpuState = { gpu, pool, queue, tuner };
      void gpu.device.lost.then((info) => {
        this.fatal ??= new Error(`WebGPU device lost (${info.reason}): ${info.message || 'no details'}. Create a new engine.`);
      });
      gpu.device.addEventListener('uncapturederror', (ev) => {
        const msg = (ev as GPUUncapturedErrorEvent).error.message;
        this.fatal ??= new Error(`WebGPU error: ${msg}`);
      });
    } else {
      this.gpuState = null;
    }
  }

  /** The adapter in use, e.g. "google / swiftshader (software)", or "cpu". */
  get adapter(): string {
    return this.gpuState ? formatAdapter(this.gpuState.gpu.report) : 'cpu (reference backend)';
  }

  get adapterReport(): AdapterReport | null {
    return this.gpuState?.gpu.report ?? null;
  }

  get device(): GPUDevice | null {
    return this.gpuState?.gpu.device ?? null;
  }

  /** The kernel profile in effect ('auto' resolved: 'software', 'integrated' or 'discrete';
   *  a custom table's name), or null on the CPU backend. */
  get kernelProfile(): string | null {
    return this.gpuState?.queue.choices.profile.name ?? null;
  }

  // ---- tensors -----------------------------------------------------------------------

  /** A tensor from row-major values. The data is copied; the caller keeps its array. */
  tensor(data: ArrayLike<number>, shape: Shape): Tensor {
    this.checkAlive('tensor');
    checkShape('tensor', shape);
    if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
      throw new Error(`tensor: data must be an array or typed array of numbers, got ${String(data)}`);
    }
    if (data.length !== shapeSize(shape)) {
      throw new Error(`tensor: data has ${data.length} values but shape ${fmt(shape)} needs ${shapeSize(shape)}`);
    }
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    if (this.gpuState) {
      this.checkBindable('tensor', shape);
      const { pool, gpu } = this.gpuState;
      const buffer = pool.acquire(f32.byteLength);
      if (f32.byteLength > 0) gpu.device.queue.writeBuffer(buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
      return this.adopt({ kind: 'gpu', buffer }, [...shape]);
    }
    const values = this.precision === 'f64' && !(data instanceof Float32Array) ? Float64Array.from(data) : Float64Array.from(f32);
    return this.adopt({ kind: 'cpu', data: values }, [...shape]);
  }

  zeros(shape: Shape): Tensor {
    checkShape('zeros', shape);
    return this.tensor(new Float32Array(shapeSize(shape)), shape);
  }

  /** Runs an op definition; the public methods below are one-line wrappers of this. */
  run<A>(op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor[] {
    this.checkAlive(op.name);
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`${op.name}: input ${i} is not a Tensor (got ${String(t)})`);
      if (t.host !== this) throw new Error(`${op.name}: input ${i} ${t} belongs to another engine`);
      t.storage(op.name);
    });
    const shapes = inputs.map((t) => t.shape);
    const outShapes = op.outputs(shapes, attrs);
    let outputs: Tensor[];
    if (this.gpuState) {
      outShapes.forEach((s) => this.checkBindable(op.name, s));
      const { pool, queue } = this.gpuState;
      const bufs = outShapes.map((s) => pool.acquire(Math.max(4, shapeSize(s) * 4)));
      const ins = inputs.map((t) => (t.storage(op.name) as { buffer: GPUBuffer }).buffer);
      try {
        op.gpu(queue, ins, bufs, shapes, attrs);
      } catch (err) {
        bufs.forEach((b) => pool.release(b));
        throw err;
      }
      outputs = bufs.map((buffer, i) => this.adopt({ kind: 'gpu', buffer }, outShapes[i]!));
      queue.flushIfManyReleased();
    } else {
      const ins = inputs.map((t) => (t.storage(op.name) as { data: Float64Array }).data);
      const res = op.cpu(ins, shapes, attrs);
      this.cpuCounters.dispatches++;
      outputs = res.map((data, i) => {
        if (this.precision === 'f32') roundToF32(data);
        return this.adopt({ kind: 'cpu', data }, outShapes[i]!);
      });
    }
    for (const aux of outputs.slice(1)) outputs[0]!.owned.push(aux);
    this.tape?.record(op, inputs, outputs, attrs);
    return outputs;
  }

  /** Runs an in-place update on `targets` (their storage is rewritten, no new tensors). */
  update<A>(op: UpdateDef<A>, targets: Tensor[], inputs: Tensor[], attrs: A): void {
    this.checkAlive(op.name);
    const all = [...targets, ...inputs];
    all.forEach((t, i) => {
      if (!(t instanceof Tensor) || t.host !== this) throw new Error(`${op.name}: argument ${i} is not a tensor of this engine`);
      t.storage(op.name);
    });
    const distinct = new Set(all.map((t) => t.storage(op.name)));
    if (distinct.size !== all.length) {
      throw new Error(`${op.name}: a tensor is passed twice (targets ${targets.join(', ')}; inputs ${inputs.join(', ')}): an in-place update cannot read and write one buffer`);
    }
    op.check(targets.map((t) => t.shape), inputs.map((t) => t.shape), attrs);
    if (this.gpuState) {
      const buf = (t: Tensor) => (t.storage(op.name) as { buffer: GPUBuffer }).buffer;
      op.gpu(this.gpuState.queue, targets.map(buf), inputs.map(buf), all.map((t) => t.shape), attrs);
      this.gpuState.queue.flushIfManyReleased();
    } else {
      const data = (t: Tensor) => (t.storage(op.name) as { data: Float64Array }).data;
      op.cpu(targets.map(data), inputs.map(data), attrs);
      if (this.precision === 'f32') for (const t of targets) roundToF32(data(t));
      this.cpuCounters.dispatches++;
    }
  }

  /** Overwrites a tensor's values (e.g. per-step hyperparameters). Commands recorded
   *  earlier still see the old values: if one uses the tensor, pending work is submitted first. */
  write(t: Tensor, data: ArrayLike<number>): void {
    this.checkAlive('write');
    if (!(t instanceof Tensor) || t.host !== this) throw new Error('write: the tensor does not belong to this engine');
    const s = t.storage('write');
    if (data.length !== t.size) throw new Error(`write: ${data.length} values for tensor of shape ${fmt(t.shape)} (${t.size} values)`);
    if (s.kind === 'cpu') {
      s.data.set(data);
      if (this.precision === 'f32') roundToF32(s.data);
      return;
    }
    if (this.planning) return; // nothing runs while planning
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    if (this.gpuState!.queue.isPending(s.buffer)) this.gpuState!.queue.flush();
    this.gpuState!.gpu.device.queue.writeBuffer(s.buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
  }

  // ---- public ops ----------------------------------------------------------------------

  /**
   * op(a)·op(b) (+ bias row, then activation) for rank-2 or rank-3 (batched, a batch-1 side
   * broadcasts) operands; op is a transpose when transposeA/transposeB. Bias and activation
   * run in the matmul kernel itself (the activation as its own op while gradients are recorded).
   */
  matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
    return runMatmul(this, this.tape !== null, a, b, opts, (z) => this.act(z, opts.activation ?? 'identity', opts.alpha ?? 0.01));
  }

  add(a: Tensor, b: Tensor): Tensor {
    return this.run(add, [a, b], {})[0]!;
  }
  sub(a: Tensor, b: Tensor): Tensor {
    return this.run(sub, [a, b], {})[0]!;
  }
  /** factor · x for a number factor. */
  scale(x: Tensor, factor: number): Tensor {
    return this.run(scale, [x], { factor })[0]!;
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.run(mul, [a, b], {})[0]!;
  }
  sigmoid(x: Tensor): Tensor {
    return this.act(x, 'sigmoid');
  }
  tanh(x: Tensor): Tensor {
    return this.act(x, 'tanh');
  }
  relu(x: Tensor): Tensor {
    return this.act(x, 'relu');
  }
  leakyRelu(x: Tensor, alpha = 0.01): Tensor {
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`leakyRelu: alpha must be a finite number, got ${String(alpha)}`);
    return this.act(x, 'leakyRelu', alpha);
  }
  softplus(x: Tensor): Tensor {
    return this.act(x, 'softplus');
  }
  sum(x: Tensor, axis?: number): Tensor {
    return this.run(sum, [x], { axis })[0]!;
  }
  mean(x: Tensor, axis?: number): Tensor {
    return this.run(mean, [x], { axis })[0]!;
  }
  /** Maximum over an axis (or everything); its gradient goes to the (first) arg-max. */
  max(x: Tensor, axis?: number): Tensor {
    return this.run(max, [x], { axis })[0]!;
  }
  /** Index of the (first) maximum along an axis, as float values (exact below 2^24). */
  argMax(x: Tensor, axis = -1): Tensor {
    const [values, indices] = this.run(max, [x], { axis });
    values!.owned.splice(values!.owned.indexOf(indices!), 1);
    values!.dispose();
    return indices!;
  }
  reshape(x: Tensor, shape: Shape): Tensor {
    checkShape('reshape', shape);
    return this.run(reshape, [x], { shape: [...shape] })[0]!;
  }
  /** Row-wise softmax over the last axis, stable (the row max is subtracted). */
  softmax(x: Tensor): Tensor {
    return this.run(softmax, [x], {})[0]!;
  }
  /** Row-wise log-softmax over the last axis: x - max - log Σ e^(x - max). */
  logSoftmax(x: Tensor): Tensor {
    return this.run(logSoftmax, [x], {})[0]!;
  }
  /** y ⊙ (v - ⟨v, y⟩) per row: the softmax Jacobian at y = softmax(z) times v (J = Jᵀ). */
  softmaxJvp(y: Tensor, v: Tensor): Tensor {
    return this.run(softmaxJvp, [y, v], {})[0]!;
  }
  /** (1/T) Σ_t ½‖y_t - d_t‖² over the T rows (last axis = one example). */
  mseLoss(y: Tensor, d: Tensor): Tensor {
    return this.run(mseLoss, [y, d], {})[0]!;
  }
  /** (1/T) Σ_t Σ_i -d log p - (1-d) log(1-p), p clamped to [1e-7, 1 - 1e-7]. */
  binaryCrossEntropy(p: Tensor, d: Tensor): Tensor {
    return this.run(binaryCrossEntropy, [p, d], {})[0]!;
  }
  /** (1/T) Σ_t -Σ_i d_i log softmax(z_t)_i; labels: class indices (Int32Array, one per row)
   *  or target rows of the logits' shape; labelSmoothing α in [0, 1). */
  softmaxCrossEntropy(logits: Tensor, labels: Int32Array | Tensor, opts?: SoftmaxCrossEntropyOptions): Tensor {
    return softmaxCrossEntropyWith(this, logits, labels, opts);
  }

  private act(x: Tensor, kind: ActivationAttrs['kind'], alpha = 0): Tensor {
    return this.run(activation, [x], { kind, alpha, gradAtZero: this.reluGradAtZero })[0]!;
  }

  // ---- autograd and lifetimes ---------------------------------------------------------

  /**
   * Runs fn and disposes every tensor it created except those it returns (as one tensor, an
   * array or an object of tensors), which move to the enclosing scope.
   */
  tidy<T>(fn: () => T): T {
    this.scopes.push(new Set());
    const kept = new Set<Tensor>();
    try {
      const result = fn();
      if (result instanceof Promise) throw new Error('tidy: fn must be synchronous (its tensors are freed when it returns); await outside tidy');
      collectTensors(result, kept);
      return result;
    } finally {
      const scope = this.scopes.pop()!;
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
  valueAndGrad(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => Promise<{ value: number; grads: Tensor[] }> {
    return async (...xs) => {
      const { value, grads } = this.gradients(f, xs);
      try {
        return { value: (await this.readAndDispose(value))[0]!, grads };
      } catch (err) {
        value.dispose();
        grads.forEach((g) => g.dispose());
        throw err;
      }
    };
  }

  /** Like valueAndGrad without the readback: the value stays a tensor on the device. */
  gradients(f: (...xs: Tensor[]) => Tensor, xs: Tensor[]): { value: Tensor; grads: Tensor[] } {
    if (this.tape) throw new Error('valueAndGrad: nested gradients (derivatives of derivatives) are not supported');
    xs.forEach((x, i) => {
      if (!(x instanceof Tensor) || x.host !== this) throw new Error(`valueAndGrad: argument ${i} is not a tensor of this engine`);
      x.storage('valueAndGrad');
    });
    return this.tidy(() => {
      const scope = this.scopes.at(-1)!;
      const tape = new Tape(xs);
      this.tape = tape;
      let value: Tensor;
      let raw: Tensor[];
      try {
        value = f(...xs);
        if (!(value instanceof Tensor) || value.size !== 1) {
          throw new Error(`valueAndGrad: f must return a scalar tensor (one element), got ${value instanceof Tensor ? fmt(value.shape) : String(value)}`);
        }
        this.tape = null; // backward's own ops are not recorded
        const seed = this.tensor([1], value.shape);
        raw = backward(this, tape, value, seed, xs, (x) => this.zeros(x.shape));
      } finally {
        this.tape = null;
        // Tensors disposed inside f (e.g. by a tidy) that the tape kept alive.
        const deferred = [...this.deferred];
        this.deferred.clear();
        for (const t of deferred) t.dispose();
      }
      // The result is handed to the caller: if f returned a tensor it did not create (an
      // input or a constant), hand out a copy so that disposing the result spares the original.
      if (!scope.has(value)) value = this.reshape(value, value.shape);
      // A gradient handed out twice (the same x passed twice) is copied so each is owned once.
      const seen = new Set<Tensor>();
      const grads = raw.map((g) => {
        if (!seen.has(g)) {
          seen.add(g);
          return g;
        }
        return this.reshape(g, g.shape);
      });
      return { value, grads };
    });
  }

  // ---- backend plumbing ----------------------------------------------------------------

  /**
   * Compiles the pipelines that fn's ops would use, without running anything (fn's GPU work is
   * not recorded and tensor writes are skipped), so their first real run does not stall on
   * shader compilation. With tune 'always', the matmul shapes fn meets are tuned first.
   */
  async prepare(fn: () => void): Promise<void> {
    this.checkAlive('prepare');
    if (!this.gpuState) return;
    const { queue, tuner } = this.gpuState;
    if (tuner.mode === 'always') await tuner.tune((await queue.plan(fn, false)).matmuls);
    await queue.plan(fn);
  }

  /**
   * Times the matmul variants of the profile for these problems' shape classes on this adapter
   * and keeps the fastest (stored for later engines unless tune is 'off'). Classes already
   * tuned are not timed again ('cached': stored results count; 'always': once per engine).
   */
  async tune(problems: MatmulProblem[]): Promise<TuneResult[]> {
    this.checkAlive('tune');
    if (!this.gpuState) return [];
    return this.gpuState.tuner.tune(problems);
  }

  /** @internal createEngine: reads the stored tuning results. */
  async loadTuning(): Promise<void> {
    await this.gpuState?.tuner.load();
  }

  /** True while prepare() plans: nothing is recorded, writes are skipped. */
  get planning(): boolean {
    return this.gpuState?.queue.isPlanning ?? false;
  }

  /** Submits recorded GPU work now (reads do this themselves). */
  flush(): void {
    this.gpuState?.queue.flush();
  }

  /** Waits for all submitted GPU work; rejects with the first WebGPU error since the last check. */
  async sync(): Promise<void> {
    this.checkAlive('sync');
    await this.gpuState?.queue.sync();
  }

  stats(): EngineStats {
    return {
      pool: this.gpuState?.pool.counters ?? null,
      queue: { ...(this.gpuState?.queue.counters ?? this.cpuCounters) },
      liveTensors: this.live.size,
      kernels: this.gpuState?.queue.choices.report() ?? {},
    };
  }

  /** Frees every tensor, and the device if the engine acquired it (not one passed in). */
  destroy(): void {
    if (this.fatal?.message === 'engine was destroyed') return;
    for (const t of [...this.live]) t.dispose();
    this.fatal = new Error('engine was destroyed');
    if (this.gpuState) {
      this.gpuState.queue.flush();
      this.gpuState.pool.trim();
      if (this.gpuState.gpu.adapter) this.gpuState.gpu.device.destroy();
    }
  }

  /** @internal TensorHost */
  async readTensor(t: Tensor): Promise<Float32Array> {
    this.checkAlive('read');
    const s = t.storage('read');
    if (s.kind === 'cpu') {
      this.cpuCounters.readbacks++;
      return Float32Array.from(s.data);
    }
    return this.gpuState!.queue.read(s.buffer, t.size * 4);
  }

  /** Reads a tensor and disposes it, so its buffer is reusable right after this submit. */
  async readAndDispose(t: Tensor): Promise<Float32Array> {
    this.checkAlive('read');
    const s = t.storage('read');
    if (s.kind === 'cpu') {
      const v = await this.readTensor(t);
      t.dispose();
      return v;
    }
    return this.gpuState!.queue.read(s.buffer, t.size * 4, () => t.dispose());
  }

  /** @internal TensorHost */
  releaseTensor(t: Tensor): boolean {
    if (this.tape?.held.has(t)) {
      this.deferred.add(t);
      return false;
    }
    this.live.delete(t);
    for (const s of this.scopes) s.delete(t);
    const s = t.storage('dispose');
    if (s.kind === 'gpu' && !this.fatal) this.gpuState!.pool.release(s.buffer);
    return true;
  }

  private adopt(storage: Storage, shape: Shape): Tensor {
    const t = new Tensor(this, storage, shape);
    this.live.add(t);
    this.scopes.at(-1)?.add(t);
    return t;
  }

  /** A tensor larger than one storage binding can hold cannot be used by any kernel. */
  private checkBindable(op: string, shape: Shape): void {
    const limit = this.gpuState!.gpu.device.limits.maxStorageBufferBindingSize;
    const bytes = shapeSize(shape) * 4;
    if (bytes > limit) {
      throw new Error(`${op}: a tensor of shape ${fmt(shape)} needs ${bytes} bytes; this adapter binds at most ${limit} bytes per buffer (maxStorageBufferBindingSize)`);
    }
  }

  private checkAlive(op: string): void {
    if (this.fatal) throw new Error(`${op}: ${this.fatal.message}`);
  }
}

function roundToF32(data: Float64Array): void {
  for (let j = 0; j < data.length; j++) data[j] = Math.fround(data[j]!);
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) {
    into.add(value);
    value.owned.forEach((t) => into.add(t));
  }
  else if (Array.isArray(value)) value.forEach((v) => collectTensors(v, into));
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach((v) => collectTensors(v, into));
  }
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const backend = options.backend ?? 'webgpu';
  if (backend !== 'webgpu' && backend !== 'cpu') {
    throw new Error(`createEngine: unknown backend '${String(backend)}' (expected 'webgpu' or 'cpu')`);
  }
  if (backend === 'cpu') return new Engine('cpu', null, options);
  checkProfileOption(options.profile); // before a device is acquired
  const tune = options.tune ?? 'cached';
  if (!TUNE_MODES.includes(tune)) throw new Error(`createEngine: unknown tune mode '${String(tune)}' (expected 'off', 'cached' or 'always')`);
  const store = tune === 'off' ? null : await defaultStore();
  const e = new Engine('webgpu', await acquireDevice(options.device), options, store);
  await e.loadTuning();
  return e;
}
