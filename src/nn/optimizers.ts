// Optimizers: gradient descent W ← W − η∇W (with a learning-rate schedule: the lectures'
// decaying η), momentum, and Adam. The Optimizer holds the state tensors and writes the
// step's hyperparameters; each update is the in-place op `optimizerUpdate` (src/ops/optimizer.ts),
// which also records, on the device, the first step at which a parameter's gradient was not
// finite, so a NaN stops training without per-step readbacks.

import type { Engine } from '../engine';
import { Tensor, fmt } from '../ops/tensor';

/** health[] starts at "never": above any step number, as u32 bits on the GPU (atomicMin) and
 *  as a value on the CPU. FLT_MAX, so that the flags are finite numbers either way (a NaN
 *  pattern would trip EngineOptions.checkFinite). */
const NEVER_BITS = 0x7f7fffff;
const FLT_MAX = 3.4028234663852886e38;

/** A learning rate: fixed, or a function of the step (0, 1, ...) such as
 *  {@link inverseTimeDecay}. */
export type Schedule = number | ((step: number) => number);

/** Which optimizer and its settings. */
export type OptimizerConfig =
  | {
      /** Gradient descent: W ← W − η∇W. */
      kind: 'sgd';
      /** η. */
      lr: Schedule;
    }
  | {
      /** Heavy-ball momentum: v ← μv + ∇W, W ← W − ηv. */
      kind: 'momentum';
      /** η. */
      lr: Schedule;
      /** μ (default 0.9). */
      momentum?: number;
    }
  | {
      /** Adam (Kingma & Ba), bias-corrected. */
      kind: 'adam';
      /** η (default 1e-3). */
      lr?: Schedule;
      /** Decay of the gradient's running mean (default 0.9). */
      beta1?: number;
      /** Decay of the squared gradient's running mean (default 0.999). */
      beta2?: number;
      /** Added to the denominator (default 1e-8). */
      eps?: number;
    };

/** The options each kind takes: anything else (a PyTorch habit such as momentum on sgd, or
 *  weightDecay) is refused rather than silently ignored. */
const CONFIG_KEYS: Record<OptimizerConfig['kind'], readonly string[]> = {
  sgd: ['kind', 'lr'],
  momentum: ['kind', 'lr', 'momentum'],
  adam: ['kind', 'lr', 'beta1', 'beta2', 'eps'],
};

function checkConfig(config: OptimizerConfig): void {
  if (config === null || typeof config !== 'object') {
    throw new Error(`optimizer: the config must be an object such as { kind: 'adam', lr: 1e-3 }, got ${typeof config === 'string' ? `'${config}'` : String(config)}`);
  }
  const keys = CONFIG_KEYS[config.kind];
  if (!Object.hasOwn(CONFIG_KEYS, config.kind)) throw new Error(`optimizer: unknown kind '${String(config.kind)}' (expected sgd, momentum or adam)`);
  for (const k of Object.keys(config)) {
    if (keys.includes(k)) continue;
    const hint = config.kind === 'sgd' && k === 'momentum' ? " (SGD with momentum is kind 'momentum')" : '';
    throw new Error(`optimizer: ${config.kind} has no option '${k}'${hint}; its options are ${keys.join(', ')}`);
  }
}

/** η_k = η0 / (1 + decay·k): the lectures' decaying step size (Σ η = ∞, η → 0). */
export function inverseTimeDecay(lr0: number, decay: number): (step: number) => number {
  return (k) => lr0 / (1 + decay * k);
}

/** η_k = η0 · rate^(k / steps). */
export function exponentialDecay(lr0: number, rate: number, steps: number): (step: number) => number {
  return (k) => lr0 * Math.pow(rate, k / steps);
}

/** Where training first went non-finite (see {@link Optimizer.firstNonFinite}). */
export interface NonFinite {
  /** The optimizer step (1, 2, ...). */
  step: number;
  /** Index into the parameter list, or -1 for the loss itself. */
  param: number;
}

/** Updates parameters in place from their gradients, one kernel per parameter, and flags
 *  non-finite gradients on the device. {@link fit} makes one; custom loops call
 *  {@link Optimizer.step} after {@link Engine.valueAndGrad}. */
export class Optimizer {
  /** Which update rule. */
  readonly kind: OptimizerConfig['kind'];
  private readonly lr: Schedule;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly state: [Tensor, Tensor][];
  private readonly hyper: Tensor;
  /** slot 0: the loss; slot i+1: parameter i. */
  private readonly health: Tensor;
  /** Stand-ins for unused state (sgd has none): two, since both are bound read_write. */
  private readonly dummies: [Tensor, Tensor];
  /** Steps taken so far. */
  steps = 0;

  constructor(
    private readonly e: Engine,
    /** The parameters it updates, in the order {@link Optimizer.step} takes gradients. */
    readonly params: Tensor[],
    config: OptimizerConfig,
  ) {
    checkConfig(config);
    this.kind = config.kind;
    this.lr = config.lr ?? 1e-3;
    checkLr(this.lr, 0);
    this.b1 = config.kind === 'momentum' ? (config.momentum ?? 0.9) : config.kind === 'adam' ? (config.beta1 ?? 0.9) : 0;
    this.b2 = config.kind === 'adam' ? (config.beta2 ?? 0.999) : 0;
    this.eps = config.kind === 'adam' ? (config.eps ?? 1e-8) : 0;
    for (const [name, v] of [['momentum/beta1', this.b1], ['beta2', this.b2]] as const) {
      if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`optimizer: ${name} must be in [0, 1), got ${v}`);
    }
    if (typeof this.eps !== 'number' || !(this.eps >= 0 && Number.isFinite(this.eps))) throw new Error(`optimizer: eps must be a finite number >= 0, got ${this.eps}`);
    this.dummies = [e.zeros([1]), e.zeros([1])];
    this.state = params.map((p) => {
      const needs1 = config.kind !== 'sgd';
      const needs2 = config.kind === 'adam';
      return [needs1 ? e.zeros(p.shape) : this.dummies[0], needs2 ? e.zeros(p.shape) : this.dummies[1]];
    });
    this.hyper = e.zeros([8]);
    this.health = e.tensor(this.neverValues(params.length + 1), [params.length + 1]);
  }

  /** Records the update of every parameter (no submit, no readback). */
  step(grads: Tensor[], loss?: Tensor): void {
    if (!Array.isArray(grads) || grads.length !== this.params.length) {
      throw new Error(`optimizer.step: ${Array.isArray(grads) ? grads.length : String(grads)} gradients for ${this.params.length} parameters (an array of tensors in the order of params)`);
    }
    grads.forEach((g, i) => {
      if (!(g instanceof Tensor)) throw new Error(`optimizer.step: gradient ${i} must be a Tensor, got ${Array.isArray(g) ? 'an array' : String(g)}`);
      if (g.size !== this.params[i]!.size) {
        throw new Error(`optimizer.step: gradient ${i} ${fmt(g.shape)} does not match parameter ${fmt(this.params[i]!.shape)}`);
      }
    });
    const t = this.steps + 1;
    const lr = typeof this.lr === 'number' ? this.lr : this.lr(this.steps);
    checkLr(lr, this.steps);
    this.e.write(this.hyper, [lr, this.b1, this.b2, this.eps, 1 - Math.pow(this.b1, t), 1 - Math.pow(this.b2, t), t, 0]);
    if (loss) this.e.update('lossCheck', [this.health], [this.hyper, loss], { slot: 0 });
    this.params.forEach((p, i) => {
      const [s1, s2] = this.state[i]!;
      this.e.update('optimizerUpdate', [p, s1, s2, this.health], [this.hyper, grads[i]!], { method: this.kind, slot: i + 1 });
    });
    if (!this.e.planning) this.steps = t; // a planned step (Engine.prepare) does not count
  }

  /** The first step at which the loss or a gradient was not finite (reads back a few bytes). */
  async firstNonFinite(): Promise<NonFinite | null> {
    const raw = await this.health.read();
    const values = this.e.backend === 'cpu' ? Array.from(raw) : Array.from(new Uint32Array(raw.buffer));
    let best: NonFinite | null = null;
    values.forEach((v, i) => {
      const never = this.e.backend === 'cpu' ? v === FLT_MAX : v === NEVER_BITS;
      if (!never && (!best || v < best.step)) best = { step: v, param: i - 1 };
    });
    return best;
  }

  /** Frees the optimizer's state (moments, flags); the parameters stay. */
  dispose(): void {
    for (const t of this.state.flat()) t.dispose();
    for (const t of this.dummies) t.dispose();
    this.hyper.dispose();
    this.health.dispose();
  }

  private neverValues(n: number): Float32Array {
    if (this.e.backend === 'cpu') return new Float32Array(n).fill(FLT_MAX);
    return new Float32Array(new Uint32Array(n).fill(NEVER_BITS).buffer);
  }
}

function checkLr(lr: Schedule, step: number): void {
  if (typeof lr === 'function') return;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
    throw new Error(`optimizer: learning rate must be a positive finite number, got ${String(lr)}${step > 0 ? ` at step ${step}` : ''}`);
  }
}
