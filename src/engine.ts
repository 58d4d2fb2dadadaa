// The Engine: the public API. It runs the ops of the table (src/ops/table.ts) on a compute
// backend (src/backend.ts: the GPU or the CPU reference), tracks tensor lifetimes in scopes,
// shares storage between a tensor and its views, and records ops on a tape for valueAndGrad.

import type { ComputeBackend } from './backend';
import { CpuBackend } from './cpu/backend';
import { acquireDevice, type AdapterReport } from './gpu/device';
import { GpuBackend } from './gpu/backend';
import { checkProfileOption, type KernelProfile, type KernelUse, type MatmulProblem, type ProfileOption } from './gpu/profile';
import { TUNE_MODES, checkProblems, defaultStore, type TuneMode, type TuneResult } from './gpu/tune';
import type { PoolStats } from './gpu/pool';
import type { QueueCounters } from './gpu/queue';
import { backward, Tape } from './autograd/tape';
import { isView, type OpDef, type OpRunner, type UpdateDef } from './ops/op';
import { opTable, updateTable, type AttrsOf, type OpName, type UpdateAttrsOf, type UpdateName } from './ops/table';
import { Storage, Tensor, checkData, checkShape, fmt, shapeSize, type Shape } from './ops/tensor';
import type { ActivationAttrs, UnaryAttrs } from './ops/elementwise';
import { runArgExtremum, runReduce, type ReduceOptions } from './ops/reduce';
import { expandDimsShape, runConcat, runPad, runSlice, runStack, runTranspose, squeezeShape, type Paddings } from './ops/shape';
import { runGather, runOneHot } from './ops/gather';
import { runMatmul, type MatmulOptions } from './ops/matmul';
import { softmaxCrossEntropyWith, type SoftmaxCrossEntropyOptions } from './ops/loss';
import { conv2dWith, type Conv2dOptions } from './ops/conv';
import { poolAttrs, type Pool2dOptions } from './ops/pool';
import { checkDropout } from './ops/dropout';

/** Where an engine runs its ops: 'webgpu' (WGSL compute shaders on a WebGPU device) or 'cpu'
 *  (the reference backend, in f64 with every result rounded to f32 unless precision is 'f64'). */
export type Backend = 'webgpu' | 'cpu';

/** Options of {@link createEngine}; all optional. */
export interface EngineOptions {
  /** 'webgpu' (default) or 'cpu'; createEngine rejects any other value. */
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
  /** Debug: check every op's output (tensor creation and in-place updates too) for NaN or
   *  ±Inf, and name the first op that produced one. The CPU backend throws at that op; WebGPU
   *  checks on the device (one more small kernel per op) and the next read, sync or
   *  valueAndGrad rejects with the name. Off by default. */
  checkFinite?: boolean;
}

/** What {@link Engine.stats} returns: counters of the engine's memory and GPU work so far. */
export interface EngineStats {
  /** The GPU buffer pool's counters; null on the CPU backend. */
  pool: PoolStats | null;
  /** Dispatches, submits and readbacks issued so far (on the CPU backend an op counts as a
   *  dispatch and submits stay 0). */
  queue: QueueCounters;
  /** Tensors created and not yet disposed; each view counts as one. */
  liveTensors: number;
  /** Kernel family -> the variants used so far, with their tile / workgroup parameters (the
   *  tiled matmul also with loadsA / loadsB: 'vec4' or 'scalar', how it staged each operand). */
  kernels: Record<string, KernelUse[]>;
  /** Bytes of tensor data alive now (4 per element; a view shares its tensor's bytes). */
  liveBytes: number;
  /** The most liveBytes reached since the engine started or resetPeakBytes(). */
  peakBytes: number;
}

/**
 * A tensor engine on one backend: creates tensors, runs every op (as methods), frees tensors
 * in {@link Engine.tidy} scopes and computes gradients with {@link Engine.valueAndGrad}. Make
 * one with {@link createEngine}; a tensor belongs to its engine and cannot be passed to another.
 */
export class Engine implements OpRunner {
  /** The backend this engine runs on. */
  readonly backend: Backend;
  private readonly compute: ComputeBackend;
  private readonly reluGradAtZero: 0 | 1;
  private readonly scopes: Set<Tensor>[] = [];
  private readonly live = new Set<Tensor>();
  private tape: Tape | null = null;
  /** Tensors disposed while the tape held them: freed when gradients() finishes. */
  private deferred = new Set<Tensor>();
  private fatal: Error | null = null;
  private liveBytes = 0;
  private peakBytes = 0;
  /** checkFinite: ops numbered in the order they ran, and what each was (WebGPU only: kept
   *  until a read shows whether one of them produced a non-finite value). */
  private readonly finite: { seq: number; ops: Map<number, string> } | null;

  constructor(compute: ComputeBackend, options: EngineOptions) {
    this.compute = compute;
    this.backend = compute.name;
    this.reluGradAtZero = options.reluGradAtZero ?? 0;
    this.finite = options.checkFinite ? { seq: 0, ops: new Map() } : null;
  }

  /** The adapter in use, e.g. "google / swiftshader (software)", or "cpu". */
  get adapter(): string {
    return this.compute.adapter;
  }

  /** How the WebGPU adapter describes itself (vendor, architecture, whether it is software,
   *  subgroup sizes); null on the CPU backend. */
  get adapterReport(): AdapterReport | null {
    return this.compute.adapterReport;
  }

  /** The GPUDevice the engine runs on (acquired, or the one passed as `device`); null on the CPU backend. */
  get device(): GPUDevice | null {
    return this.compute.device;
  }

  /** The kernel profile in effect ('auto' resolved: 'software', 'integrated' or 'discrete';
   *  a custom table's name), or null on the CPU backend. */
  get kernelProfile(): string | null {
    return this.gpu?.kernelProfile ?? null;
  }

  /** True while prepare() plans: nothing is recorded, writes are skipped. */
  get planning(): boolean {
    return this.gpu?.planning ?? false;
  }

  private get gpu(): GpuBackend | null {
    return this.compute instanceof GpuBackend ? this.compute : null;
  }

  // ---- tensors -----------------------------------------------------------------------

  /** A tensor from row-major values. The data is copied; the caller keeps its array. */
  tensor(data: ArrayLike<number>, shape: Shape): Tensor {
    this.checkAlive('tensor');
    checkShape('tensor', shape);
    checkData('tensor', data);
    if (data.length !== shapeSize(shape)) {
      throw new Error(`tensor: data has ${data.length} values but shape ${fmt(shape)} needs ${shapeSize(shape)}`);
    }
    const handle = this.compute.alloc('tensor', shape);
    this.compute.write(handle, data);
    const t = this.adopt(this.newStorage(handle, shape), [...shape]);
    this.checkOutputs('tensor', 'the data given', [t]);
    return t;
  }

  /** A tensor of `shape` filled with 0; throws unless every dimension is a non-negative integer. */
  zeros(shape: Shape): Tensor {
    this.checkAlive('zeros');
    checkShape('zeros', shape);
    const handle = this.compute.alloc('zeros', shape); // the backend's size check, before a host array
    this.compute.write(handle, new Float32Array(shapeSize(shape)));
    return this.adopt(this.newStorage(handle, shape), [...shape]);
  }

  /** Runs a registered op (or, for tests of the GPU layer, an unregistered definition);
   *  returns the result followed by its auxiliaries. The public methods below wrap this. */
  run<K extends OpName>(op: K, inputs: Tensor[], attrs: AttrsOf<K>): Tensor[];
  run<A>(op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor[];
  run(op: OpName | OpDef<unknown>, inputs: Tensor[], attrs: unknown): Tensor[] {
    const def = (typeof op === 'string' ? opTable[op] : op) as OpDef<unknown>;
    this.checkAlive(def.name);
    const storages = this.storagesOf(def.name, inputs);
    const shapes = inputs.map((t) => t.shape);
    const outShapes = def.outputs(shapes, attrs);
    let outputs: Tensor[];
    if (isView(def)) {
      storages[0]!.refs++;
      outputs = [this.adopt(storages[0]!, outShapes[0]!)];
    } else {
      // Auxiliaries only a backward rule reads are left out where no gradient can flow.
      const saved = this.tape?.records(inputs) ?? false;
      const made = saved || !def.backwardOnly ? outShapes : outShapes.slice(0, 1);
      const handles = this.compute.run(def, storages.map((s) => s.handle), shapes, made, attrs, saved);
      outputs = handles.map((h, i) => this.adopt(this.newStorage(h, outShapes[i]!), outShapes[i]!));
      this.checkOutputs(def.name, `inputs ${shapes.map(fmt).join(', ') || 'none'}`, outputs);
    }
    for (const aux of outputs.slice(1)) outputs[0]!.owned.push(aux);
    this.tape?.record(def, inputs, outputs, attrs);
    return outputs;
  }

  /** The result of a registered op. */
  run1<K extends OpName>(op: K, inputs: Tensor[], attrs: AttrsOf<K>): Tensor {
    return this.run(op, inputs, attrs)[0]!;
  }

  /** Runs an in-place update on `targets` (their storage is rewritten, no new tensors). */
  update<K extends UpdateName>(op: K, targets: Tensor[], inputs: Tensor[], attrs: UpdateAttrsOf<K>): void;
  update<A>(op: UpdateDef<A>, targets: Tensor[], inputs: Tensor[], attrs: A): void;
  update(op: UpdateName | UpdateDef<unknown>, targets: Tensor[], inputs: Tensor[], attrs: unknown): void {
    const def = (typeof op === 'string' ? updateTable[op] : op) as UpdateDef<unknown>;
    this.checkAlive(def.name);
    const all = [...targets, ...inputs];
    const storages = this.storagesOf(def.name, all);
    if (new Set(storages).size !== all.length) {
      throw new Error(`${def.name}: a tensor is passed twice, or two views of one storage (targets ${targets.join(', ')}; inputs ${inputs.join(', ')}): an in-place update cannot read and write one buffer`);
    }
    def.check(targets.map((t) => t.shape), inputs.map((t) => t.shape), attrs);
    const handles = storages.map((s) => s.handle);
    this.compute.update(def, handles.slice(0, targets.length), handles.slice(targets.length), all.map((t) => t.shape), attrs);
    this.checkOutputs(def.name, `in place; inputs ${inputs.map((t) => fmt(t.shape)).join(', ') || 'none'}`, targets, false);
  }

  /** Overwrites a tensor's values (e.g. per-step hyperparameters); its views see them too.
   *  Commands recorded earlier still see the old values. */
  write(t: Tensor, data: ArrayLike<number>): void {
    this.checkAlive('write');
    if (this.planning) return; // nothing runs while prepare() plans
    const [s] = this.storagesOf('write', [t]);
    checkData('write', data);
    if (data.length !== t.size) throw new Error(`write: ${data.length} values for tensor of shape ${fmt(t.shape)} (${t.size} values)`);
    this.compute.write(s!.handle, data);
    this.checkOutputs('write', 'the data given', [t], false);
  }

  // ---- public ops ----------------------------------------------------------------------

  /**
   * op(a)·op(b) (+ bias row, then activation) for rank-2 or rank-3 (batched, a batch-1 side
   * broadcasts) operands; op is a transpose when transposeA/transposeB. Bias and activation
   * run in the matmul kernel itself (the activation as its own op while gradients are recorded).
   */
  matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
    return runMatmul(this, this.tape !== null, a, b, opts, this.reluGradAtZero, (z) => this.act(z, opts.activation ?? 'identity', opts.alpha ?? 0.01));
  }

  /** a + b, NumPy broadcasting (as every binary op below). */
  add(a: Tensor, b: Tensor): Tensor {
    return this.run1('add', [a, b], {});
  }
  /** a − b */
  sub(a: Tensor, b: Tensor): Tensor {
    return this.run1('sub', [a, b], {});
  }
  /** a · b, elementwise */
  mul(a: Tensor, b: Tensor): Tensor {
    return this.run1('mul', [a, b], {});
  }
  /** a / b (x/0 = ±inf, 0/0 = NaN) */
  div(a: Tensor, b: Tensor): Tensor {
    return this.run1('div', [a, b], {});
  }
  /** a^b as NumPy: a negative base needs an integer exponent (else NaN) */
  pow(a: Tensor, b: Tensor): Tensor {
    return this.run1('pow', [a, b], {});
  }
  /** The smaller of a and b, elementwise; NaN if either is NaN */
  minimum(a: Tensor, b: Tensor): Tensor {
    return this.run1('minimum', [a, b], {});
  }
  /** The larger of a and b, elementwise; NaN if either is NaN */
  maximum(a: Tensor, b: Tensor): Tensor {
    return this.run1('maximum', [a, b], {});
  }
  /** 1 where a > b, else 0 (0 where either is NaN); no gradient */
  greater(a: Tensor, b: Tensor): Tensor {
    return this.run1('greater', [a, b], {});
  }
  /** 1 where a ≥ b, else 0; no gradient */
  greaterEqual(a: Tensor, b: Tensor): Tensor {
    return this.run1('greaterEqual', [a, b], {});
  }
  /** 1 where a < b, else 0; no gradient */
  less(a: Tensor, b: Tensor): Tensor {
    return this.run1('less', [a, b], {});
  }
  /** 1 where a ≤ b, else 0; no gradient */
  lessEqual(a: Tensor, b: Tensor): Tensor {
    return this.run1('lessEqual', [a, b], {});
  }
  /** 1 where a = b, else 0; no gradient */
  equal(a: Tensor, b: Tensor): Tensor {
    return this.run1('equal', [a, b], {});
  }
  /** cond != 0 ? a : b, broadcasting all three; no NaN leaks from the branch not taken */
  where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
    return this.run1('where', [cond, a, b], {});
  }
  /** factor · x for a number factor. */
  scale(x: Tensor, factor: number): Tensor {
    return this.run1('scale', [x], { factor });
  }
  /** eˣ (inf past 88.72 in f32) */
  exp(x: Tensor): Tensor {
    return this.math(x, 'exp');
  }
  /** Natural log: −inf at 0, NaN below 0 */
  log(x: Tensor): Tensor {
    return this.math(x, 'log');
  }
  /** log(1 + x), accurate for small x */
  log1p(x: Tensor): Tensor {
    return this.math(x, 'log1p');
  }
  /** eˣ − 1, accurate for small x */
  expm1(x: Tensor): Tensor {
    return this.math(x, 'expm1');
  }
  /** √x (NaN below 0) */
  sqrt(x: Tensor): Tensor {
    return this.math(x, 'sqrt');
  }
  /** 1/√x */
  rsqrt(x: Tensor): Tensor {
    return this.math(x, 'rsqrt');
  }
  /** |x| (subgradient 0 at 0) */
  abs(x: Tensor): Tensor {
    return this.math(x, 'abs');
  }
  /** −x */
  neg(x: Tensor): Tensor {
    return this.math(x, 'neg');
  }
  /** x² */
  square(x: Tensor): Tensor {
    return this.math(x, 'square');
  }
  /** 1/x */
  reciprocal(x: Tensor): Tensor {
    return this.math(x, 'reciprocal');
  }
  /** sin x (radians) */
  sin(x: Tensor): Tensor {
    return this.math(x, 'sin');
  }
  /** cos x (radians) */
  cos(x: Tensor): Tensor {
    return this.math(x, 'cos');
  }
  /** −1, 0 or 1 (NaN for NaN); zero gradient */
  sign(x: Tensor): Tensor {
    return this.math(x, 'sign');
  }
  /** x · sigmoid(x) */
  silu(x: Tensor): Tensor {
    return this.math(x, 'silu');
  }
  /** x · Φ(x) (exact, erf-based) or its tanh approximation, as PyTorch's `approximate` */
  gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
    if (opts === null || typeof opts !== 'object') throw new Error(`gelu: options must be an object such as { approximate: 'tanh' }, got ${String(opts)}`);
    const approximate = opts.approximate ?? 'none';
    if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${String(approximate)}`);
    return this.math(x, approximate === 'tanh' ? 'geluTanh' : 'gelu');
  }
  /** min(max(x, lo), hi), NaN stays NaN; gradient 1 inside [lo, hi] */
  clip(x: Tensor, lo: number, hi: number): Tensor {
    return this.run1('unary', [x], { kind: 'clip', lo, hi });
  }
  /** 1 / (1 + e⁻ˣ), elementwise, computed from e^−|x| so it never overflows. */
  sigmoid(x: Tensor): Tensor {
    return this.act(x, 'sigmoid');
  }
  /** tanh x, elementwise (saturates to ±1, never NaN for finite x). */
  tanh(x: Tensor): Tensor {
    return this.act(x, 'tanh');
  }
  /** max(x, 0), elementwise (NaN stays NaN); the gradient at exactly 0 is the engine's
   *  `reluGradAtZero` (0 by default, as PyTorch and TF.js). */
  relu(x: Tensor): Tensor {
    return this.act(x, 'relu');
  }
  /** x where x ≥ 0, else alpha · x (alpha defaults to 0.01, as PyTorch's negative_slope);
   *  the gradient at exactly 0 is alpha, or 1 with `reluGradAtZero: 1`. Throws unless alpha
   *  is a finite number. */
  leakyRelu(x: Tensor, alpha = 0.01): Tensor {
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`leakyRelu: alpha must be a finite number, got ${String(alpha)}`);
    return this.act(x, 'leakyRelu', alpha);
  }
  /** log(1 + eˣ), elementwise, computed as max(x, 0) + log1p(e^−|x|) so it never overflows. */
  softplus(x: Tensor): Tensor {
    return this.act(x, 'softplus');
  }
  /** Σ over axis (a number, an array, or undefined = all: shape []); negative counts from the end. */
  sum(x: Tensor, axis?: number | readonly number[], opts?: ReduceOptions): Tensor {
    return runReduce(this, 'sum', this.checked('sum', x), axis, opts);
  }
  /** The mean over axis (as sum). */
  mean(x: Tensor, axis?: number | readonly number[], opts?: ReduceOptions): Tensor {
    return runReduce(this, 'mean', this.checked('mean', x), axis, opts);
  }
  /** Maximum over axis (as sum); its gradient goes to the (first) arg-max. */
  max(x: Tensor, axis?: number | readonly number[], opts?: ReduceOptions): Tensor {
    return runReduce(this, 'max', this.checked('max', x), axis, opts);
  }
  /** Minimum over axis (as sum); its gradient goes to the (first) arg-min. */
  min(x: Tensor, axis?: number | readonly number[], opts?: ReduceOptions): Tensor {
    return runReduce(this, 'min', this.checked('min', x), axis, opts);
  }
  /** log Σ exp over axis (as sum), stable (the max is subtracted); its gradient is the softmax. */
  logSumExp(x: Tensor, axis?: number | readonly number[], opts?: ReduceOptions): Tensor {
    return runReduce(this, 'logSumExp', this.checked('logSumExp', x), axis, opts);
  }
  /** Population variance over axis (as sum): the mean of (x − mean)². */
  variance(x: Tensor, axis?: number | readonly number[], opts?: ReduceOptions): Tensor {
    return runReduce(this, 'variance', this.checked('variance', x), axis, opts);
  }
  /** Index of the (first) maximum along an axis, as float values (exact below 2^24); no gradient. */
  argMax(x: Tensor, axis = -1): Tensor {
    return runArgExtremum(this, 'max', this.checked('argMax', x), axis);
  }
  /** Index of the (first) minimum along an axis, as float values; no gradient. */
  argMin(x: Tensor, axis = -1): Tensor {
    return runArgExtremum(this, 'min', this.checked('argMin', x), axis);
  }
  /** The same values under a new shape of the same size: a view (no copy) sharing x's storage. */
  reshape(x: Tensor, shape: Shape): Tensor {
    checkShape('reshape', shape);
    return this.run1('reshape', [x], { shape: [...shape] });
  }
  /** Axes permuted: result axis d is x's axis perm[d] (default: the axes reversed). */
  transpose(x: Tensor, perm?: readonly number[]): Tensor {
    return runTranspose(this, this.checked('transpose', x), perm);
  }
  /** The block of x starting at `begin` with `size` (-1: to the end of the axis), as TF.js. */
  slice(x: Tensor, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
    return runSlice(this, this.checked('slice', x), begin, size);
  }
  /** The tensors joined along an existing axis (all other dims equal). */
  concat(xs: readonly Tensor[], axis = 0): Tensor {
    return runConcat(this, xs, axis);
  }
  /** The tensors (equal shapes) joined along a new axis. */
  stack(xs: readonly Tensor[], axis = 0): Tensor {
    return runStack(this, xs, axis);
  }
  /** x surrounded by zeros: paddings[d] = [before, after] on axis d. */
  pad(x: Tensor, paddings: Paddings): Tensor {
    return runPad(this, this.checked('pad', x), paddings);
  }
  /** x with a new axis of size 1 at `axis` (a reshape). */
  expandDims(x: Tensor, axis = 0): Tensor {
    return this.reshape(x, expandDimsShape(this.checked('expandDims', x).shape, axis));
  }
  /** x without the given axes of size 1, or all of them (a reshape). */
  squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
    return this.reshape(x, squeezeShape(this.checked('squeeze', x).shape, axis));
  }
  /** Rows of x along `axis` picked by indices (an embedding lookup); gradient: a scatter-add. */
  gather(x: Tensor, indices: Int32Array | Tensor, axis = 0): Tensor {
    return runGather(this, x, indices, axis, this.tape !== null);
  }
  /** [n, depth] rows with a 1 at each label's column (not differentiable). */
  oneHot(labels: Int32Array, depth: number): Tensor {
    return runOneHot(this, labels, depth);
  }
  /** Row-wise softmax over the last axis, stable (the row max is subtracted). */
  softmax(x: Tensor): Tensor {
    return this.run1('softmax', [x], {});
  }
  /** Row-wise log-softmax over the last axis: x - max - log Σ e^(x - max). */
  logSoftmax(x: Tensor): Tensor {
    return this.run1('logSoftmax', [x], {});
  }
  /** y ⊙ (v - ⟨v, y⟩) per row: the softmax Jacobian at y = softmax(z) times v (J = Jᵀ). */
  softmaxJvp(y: Tensor, v: Tensor): Tensor {
    return this.run1('softmaxJvp', [y, v], {});
  }
  /** (1/T) Σ_t ½‖y_t - d_t‖² over the T rows (last axis = one example). */
  mseLoss(y: Tensor, d: Tensor): Tensor {
    return this.run1('mseLoss', [y, d], {});
  }
  /** (1/T) Σ_t Σ_i -d log p - (1-d) log(1-p), p clamped to [1e-7, 1 - 1e-7]. */
  binaryCrossEntropy(p: Tensor, d: Tensor): Tensor {
    return this.run1('binaryCrossEntropy', [p, d], {});
  }
  /** (1/T) Σ_t -Σ_i d_i log softmax(z_t)_i; labels: class indices (Int32Array, one per row)
   *  or target rows of the logits' shape; labelSmoothing α in [0, 1). */
  softmaxCrossEntropy(logits: Tensor, labels: Int32Array | Tensor, opts?: SoftmaxCrossEntropyOptions): Tensor {
    return softmaxCrossEntropyWith(this, logits, labels, opts);
  }

  /** (1/n) Σ max(z, 0) − z·d + log1p(e^−|z|) over all n elements: binary cross-entropy of
   *  sigmoid(z) against targets d in [0, 1], stable for any logit z. */
  binaryCrossEntropyWithLogits(z: Tensor, d: Tensor): Tensor {
    return this.run1('binaryCrossEntropyWithLogits', [z, d], {});
  }

  /** 2-D convolution: x [N, C, H, W] ⋆ w [O, C, kh, kw] (+ bias [O]) -> [N, O, OH, OW], with
   *  stride, zero padding and dilation (n or [h, w]), as PyTorch's conv2d. */
  conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
    return conv2dWith(this, this.tape !== null, x, w, opts, this.reluGradAtZero, (z) => this.act(z, opts.activation ?? 'identity', opts.alpha ?? 0.01));
  }
  /** Max over kernel windows of each NCHW plane (stride defaults to the kernel); the gradient
   *  goes to the first maximum of each window. */
  maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
    return this.run1('pool2d', [x], poolAttrs('max', opts));
  }
  /** Mean over kernel windows of each NCHW plane, padding counted (count_include_pad=True). */
  avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
    return this.run1('pool2d', [x], poolAttrs('avg', opts));
  }
  /** (x − mean)/√(var + eps)·gamma + beta over the last axis (population variance). */
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, opts: { eps?: number } = {}): Tensor {
    if (opts === null || typeof opts !== 'object') throw new Error(`layerNorm: options must be an object such as { eps: 1e-5 }, got ${String(opts)}`);
    return this.run1('layerNorm', [x, gamma, beta], { eps: opts.eps ?? 1e-5 });
  }
  /** Inverted dropout: each element is zeroed with probability `rate` (a mask drawn from
   *  (element index, seed), the same on every backend) and survivors scaled by 1/(1 − rate).
   *  When !training (or rate is 0) it returns x itself. */
  dropout(x: Tensor, rate: number, opts: { seed: number; training: boolean }): Tensor {
    if (opts === null || typeof opts !== 'object' || typeof opts.training !== 'boolean') {
      throw new Error(`dropout: options must be { seed, training } with training a boolean, got ${JSON.stringify(opts)}`);
    }
    checkDropout(rate, opts.seed);
    if (!opts.training || rate === 0) return this.checked('dropout', x);
    return this.run1('dropout', [x], { rate, seed: opts.seed });
  }

  /** x itself, once checked to be a live tensor of this engine (for shape rules that read it). */
  private checked(op: string, x: Tensor): Tensor {
    this.storagesOf(op, [x]);
    return x;
  }

  private math(x: Tensor, kind: UnaryAttrs['kind']): Tensor {
    return this.run1('unary', [x], { kind, lo: 0, hi: 0 });
  }

  private act(x: Tensor, kind: ActivationAttrs['kind'], alpha = 0): Tensor {
    return this.run1('activation', [x], { kind, alpha, gradAtZero: this.reluGradAtZero });
  }

  // ---- autograd and lifetimes ---------------------------------------------------------

  /**
   * Runs fn and disposes every tensor it created except those it returns (as one tensor, an
   * array or an object of tensors), which move to the enclosing scope. A returned view keeps
   * its storage alive after the tensor it views is disposed.
   */
  tidy<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new Error(`tidy: needs a function to run, got ${String(fn)}`);
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
  valueAndGrad(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => Promise<{
    /** f's value, read back to the CPU. */
    value: number;
    /** ∂f/∂x for each x, in the order given, each of x's shape. */
    grads: Tensor[];
  }> {
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
  gradients(f: (...xs: Tensor[]) => Tensor, xs: Tensor[]): {
    /** f's value: a one-element tensor of f's shape, the caller's to dispose. */
    value: Tensor;
    /** ∂f/∂x for each x, in the order given, each of x's shape; the caller's to dispose. */
    grads: Tensor[];
  } {
    if (this.tape) throw new Error('valueAndGrad: nested gradients (derivatives of derivatives) are not supported');
    this.storagesOf('valueAndGrad', xs);
    let created!: Set<Tensor>;
    const { value, raw } = this.tidy(() => {
      created = this.scopes.at(-1)!;
      const tape = new Tape(xs);
      this.tape = tape;
      try {
        const value = f(...xs);
        if (!(value instanceof Tensor) || value.size !== 1) {
          throw new Error(`valueAndGrad: f must return a scalar tensor (one element), got ${value instanceof Tensor ? fmt(value.shape) : String(value)}`);
        }
        this.tape = null; // backward's own ops are not recorded
        const seed = this.tensor([1], value.shape);
        return { value, raw: backward(this, tape, value, seed, xs, (x) => this.zeros(x.shape)) };
      } finally {
        this.tape = null;
        // Tensors disposed inside f (e.g. by a tidy) that the tape kept alive.
        const deferred = [...this.deferred];
        this.deferred.clear();
        for (const t of deferred) t.dispose();
      }
    });
    // Each tensor handed to the caller must be the caller's alone: a tensor f did not create
    // (an input, a constant), one handed out twice (the same x passed twice), or one whose
    // storage a live tensor shares (a view of an input, two gradients viewing one buffer) is
    // replaced by a copy, so that disposing or writing it touches nothing else.
    const handedOut = new Set<Tensor>();
    const own = (t: Tensor): Tensor => {
      let result = t;
      if (handedOut.has(t) || !created.has(t) || t.storage('valueAndGrad').refs > 1) {
        result = this.run1('copy', [t], {});
        if (created.has(t) && !handedOut.has(t)) t.dispose();
      }
      handedOut.add(result);
      return result;
    };
    return { value: own(value), grads: raw.map(own) };
  }

  // ---- backend plumbing ----------------------------------------------------------------

  /**
   * Compiles the pipelines that fn's ops would use, without running anything (fn's GPU work is
   * not recorded and tensor writes are skipped), so their first real run does not stall on
   * shader compilation. With tune 'always', the matmul shapes fn meets are tuned first (the
   * results are returned; [] otherwise).
   */
  async prepare(fn: () => void): Promise<TuneResult[]> {
    this.checkAlive('prepare');
    return (await this.gpu?.prepare(fn)) ?? [];
  }

  /**
   * Times the matmul variants of the profile for these problems' shape classes on this adapter
   * and keeps the fastest (stored for later engines); returns one result per class. Classes
   * already tuned are not timed again ('cached': stored results count; 'always': once per
   * engine). With tune 'off', and on the CPU backend, it does nothing and returns [].
   */
  async tune(problems: MatmulProblem[]): Promise<TuneResult[]> {
    this.checkAlive('tune');
    checkProblems('tune', problems);
    return (await this.gpu?.tune(problems)) ?? [];
  }

  /** Submits recorded GPU work now (reads do this themselves). */
  flush(): void {
    this.compute.flush();
  }

  /** Waits for all submitted GPU work; rejects with the first WebGPU error since the last check. */
  async sync(): Promise<void> {
    this.checkAlive('sync');
    await this.compute.sync();
    await this.reportNonFinite();
  }

  /** A snapshot of the engine's counters: buffer pool, GPU work, live tensors and bytes, and
   *  the kernel variants used. */
  stats(): EngineStats {
    return { ...this.compute.stats(), liveTensors: this.live.size, liveBytes: this.liveBytes, peakBytes: this.peakBytes };
  }

  /** Starts a new peak: stats().peakBytes is then the most bytes alive from now on. */
  resetPeakBytes(): void {
    this.peakBytes = this.liveBytes;
  }

  /** Frees every tensor, and the device if the engine acquired it (not one passed in). */
  destroy(): void {
    if (this.fatal?.message === 'engine was destroyed') return;
    for (const t of [...this.live]) t.dispose();
    this.fatal = new Error('engine was destroyed');
    this.compute.destroy();
  }

  /** @internal TensorHost */
  async readTensor(t: Tensor): Promise<Float32Array> {
    this.checkAlive('read');
    const values = await this.compute.read(t.storage('read').handle, t.size);
    await this.reportNonFinite();
    return values;
  }

  /** @internal TensorHost */
  async readTensorF64(t: Tensor): Promise<Float64Array> {
    this.checkAlive('readF64');
    const values = await this.compute.readF64(t.storage('readF64').handle, t.size);
    await this.reportNonFinite();
    return values;
  }

  /** Reads a tensor and disposes it, so its buffer is reusable right after this submit. */
  async readAndDispose(t: Tensor): Promise<Float32Array> {
    this.checkAlive('readAndDispose');
    const [s] = this.storagesOf('readAndDispose', [t]);
    const values = await this.compute.read(s!.handle, t.size, () => t.dispose());
    await this.reportNonFinite();
    return values;
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
    s.refs--;
    if (s.refs === 0) {
      this.liveBytes -= s.bytes;
      if (!this.fatal) this.compute.free(s.handle);
    }
    return true;
  }

  /** checkFinite: checks `outputs` of `op` (described by `what`); on the CPU throws at once,
   *  disposing them if `dispose` (they are new), on the GPU numbers them for a later report. */
  private checkOutputs(op: string, what: string, outputs: readonly Tensor[], dispose = true): void {
    if (!this.finite) return;
    outputs.forEach((t, i) => {
      const seq = ++this.finite!.seq;
      const desc = `${op} (${what}) produced NaN or ±Inf in ${outputs.length > 1 ? `output ${i} ` : ''}${fmt(t.shape)}`;
      const found = this.compute.checkFinite(t.storage(op).handle, t.size, seq);
      if (found === true) {
        if (dispose) outputs.forEach((o) => o.dispose());
        throw new Error(`checkFinite: ${desc}: the first op to do so`);
      }
      if (found === null) {
        const ops = this.finite!.ops;
        ops.set(seq, desc);
        if (ops.size > MAX_CHECKED_OPS) ops.delete(ops.keys().next().value!);
      }
    });
  }

  /** checkFinite on the GPU: rejects naming the first op whose output was flagged since the
   *  last report (all ops recorded before this call are covered). */
  private async reportNonFinite(): Promise<void> {
    if (!this.finite || this.finite.ops.size === 0) return;
    const upTo = this.finite.seq;
    const seq = await this.compute.firstNonFinite();
    const desc = seq === null ? null : (this.finite.ops.get(seq) ?? `op #${seq} (its name was not kept: over ${MAX_CHECKED_OPS} ops ran between reads)`);
    for (const k of [...this.finite.ops.keys()]) if (k <= upTo) this.finite.ops.delete(k);
    if (desc !== null) throw new Error(`checkFinite: ${desc}: the first op to do so since the last read`);
  }

  private newStorage(handle: unknown, shape: Shape): Storage {
    const storage = new Storage(handle, shapeSize(shape) * 4);
    this.liveBytes += storage.bytes;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return storage;
  }

  private adopt(storage: Storage, shape: Shape): Tensor {
    const t = new Tensor(this, storage, shape);
    this.live.add(t);
    this.scopes.at(-1)?.add(t);
    return t;
  }

  /** The storage of each argument, after checking it is a live tensor of this engine. */
  private storagesOf(op: string, tensors: readonly Tensor[]): Storage[] {
    return tensors.map((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`${op}: argument ${i} is not a Tensor (got ${String(t)})`);
      if (t.host !== this) throw new Error(`${op}: argument ${i} ${t} belongs to another engine`);
      return t.storage(op);
    });
  }

  private checkAlive(op: string): void {
    if (this.fatal) throw new Error(`${op}: ${this.fatal.message}`);
  }

  /** @internal the backend reports a lost device or an uncaptured error. */
  markFatal(err: Error): void {
    this.fatal ??= err;
  }
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

/** checkFinite keeps the names of at most this many ops between two reads on WebGPU. */
const MAX_CHECKED_OPS = 100_000;

/** Throws on an option of the wrong type or value (an option for the other backend is
 *  checked too: a typo should not wait for the day the backend changes). */
function checkEngineOptions(options: EngineOptions): void {
  const shown = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));
  if (options === null || typeof options !== 'object') {
    throw new Error(`createEngine: options must be an object such as { backend: 'cpu' }, got ${shown(options)}`);
  }
  const { backend, precision, reluGradAtZero, device, tune } = options;
  if (backend !== undefined && backend !== 'webgpu' && backend !== 'cpu') {
    throw new Error(`createEngine: unknown backend '${String(backend)}' (expected 'webgpu' or 'cpu')`);
  }
  if (precision !== undefined && precision !== 'f32' && precision !== 'f64') {
    throw new Error(`createEngine: precision must be 'f32' or 'f64', got ${shown(precision)}`);
  }
  if (reluGradAtZero !== undefined && reluGradAtZero !== 0 && reluGradAtZero !== 1) {
    throw new Error(`createEngine: reluGradAtZero must be 0 or 1, got ${shown(reluGradAtZero)}`);
  }
  for (const flag of ['debug', 'checkFinite'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') throw new Error(`createEngine: ${flag} must be true or false, got ${shown(options[flag])}`);
  }
  if (device !== undefined && (device === null || typeof device !== 'object' || typeof device.createBuffer !== 'function' || typeof device.limits !== 'object')) {
    throw new Error(`createEngine: device must be a GPUDevice, got ${String(device)}`);
  }
  checkProfileOption(options.profile);
  if (tune !== undefined && !TUNE_MODES.includes(tune)) throw new Error(`createEngine: unknown tune mode '${String(tune)}' (expected 'off', 'cached' or 'always')`);
}

/**
 * Creates an engine on the chosen backend ('webgpu' by default). For WebGPU it acquires a
 * device (unless `device` is given) and, unless tune is 'off', loads the tuning results
 * stored for its adapter. Rejects with a clear message when no WebGPU adapter is available,
 * and on an option of the wrong type or value (an unknown backend, profile or tune mode...).
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  checkEngineOptions(options); // every backend, before a device is acquired
  const backend = options.backend ?? 'webgpu';
  if (backend === 'cpu') return new Engine(new CpuBackend(options.precision ?? 'f32'), options);
  const tune = options.tune ?? 'cached';
  const store = tune === 'off' ? null : await defaultStore();
  let engine: Engine | null = null;
  const settings = { profile: options.profile, tune, store };
  const gpu = new GpuBackend(await acquireDevice(options.device), options.debug ?? false, (err) => engine?.markFatal(err), settings);
  engine = new Engine(gpu, options);
  await gpu.loadTuning();
  return engine;
}
