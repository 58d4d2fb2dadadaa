// Optimizers: gradient descent W ← W − η∇W (with a learning-rate schedule: the lectures'
// decaying η), momentum, and Adam. Each update is one in-place kernel per parameter
// (shaders/optimizer.wgsl) that also records, on the GPU, the first step at which a
// parameter's gradient was not finite, so a NaN stops training without per-step readbacks.

import type { Engine } from '../engine';
import type { UpdateDef } from '../ops/op';
import { fmt, shapeSize, type Shape, type Tensor } from '../ops/tensor';
import { grid1d } from '../gpu/queue';

const WORKGROUP = 256;
/** health[] starts at 0xffffffff ("never"); read back as f32 that bit pattern is a NaN. */
const NEVER = 0xffffffff;

export type Schedule = number | ((step: number) => number);

export type OptimizerConfig =
  | { kind: 'sgd'; lr: Schedule }
  | { kind: 'momentum'; lr: Schedule; momentum?: number }
  | { kind: 'adam'; lr?: Schedule; beta1?: number; beta2?: number; eps?: number };

/** η_k = η0 / (1 + decay·k): the lectures' decaying step size (Σ η = ∞, η → 0). */
export function inverseTimeDecay(lr0: number, decay: number): (step: number) => number {
  return (k) => lr0 / (1 + decay * k);
}

/** η_k = η0 · rate^(k / steps). */
export function exponentialDecay(lr0: number, rate: number, steps: number): (step: number) => number {
  return (k) => lr0 * Math.pow(rate, k / steps);
}

const methodCode = { sgd: 0, momentum: 1, adam: 2 } as const;

interface UpdateAttrs {
  method: 0 | 1 | 2;
  slot: number;
  /** CPU path only: η, μ/β1, β2, ε, 1−β1^t, 1−β2^t, step (the GPU reads them from `hyper`). */
}

/** One parameter's update: targets [param, state1, state2, health], inputs [hyper, grad]. */
const optimizerUpdate: UpdateDef<UpdateAttrs> = {
  name: 'optimizerUpdate',
  check([param, s1, s2], [, grad]) {
    const stateOk = (s: Shape) => shapeSize(s) === shapeSize(param!) || shapeSize(s) === 1;
    if (shapeSize(param!) !== shapeSize(grad!) || !stateOk(s1!) || !stateOk(s2!)) {
      throw new Error(`optimizer: gradient ${fmt(grad!)} does not match parameter ${fmt(param!)}`);
    }
  },
  cpu([param, s1, s2, health], [hyper, grad], { method, slot }) {
    const [lr, b1, b2, eps, c1, c2, step] = hyper!;
    for (let i = 0; i < param!.length; i++) {
      const g = grad![i]!;
      if (!Number.isFinite(g)) {
        health![slot] = Math.min(health![slot]!, step!);
        continue;
      }
      if (method === 1) {
        s1![i] = b1! * s1![i]! + g;
        param![i]! -= lr! * s1![i]!;
      } else if (method === 2) {
        s1![i] = b1! * s1![i]! + (1 - b1!) * g;
        s2![i] = b2! * s2![i]! + (1 - b2!) * g * g;
        const r = Math.sqrt(c2!);
        param![i]! -= ((lr! * r) / c1!) * (s1![i]! / (Math.sqrt(s2![i]!) + eps! * r));
      } else {
        param![i]! -= lr! * g;
      }
    }
  },
  gpu(q, [param, s1, s2, health], [hyper, grad], [p], { method, slot }) {
    const len = shapeSize(p!);
    q.dispatch({
      kernel: 'optimizer.update',
      overrides: { workgroup_size: WORKGROUP, method },
      uniforms: { len, slot },
      bindings: { hyper: hyper!, grad: grad!, param: param!, state1: s1!, state2: s2!, health: health! },
      workgroups: grid1d(Math.ceil(len / 4), WORKGROUP),
    });
  },
};

/** Records in health[slot] the step if the scalar loss is not finite. */
const lossCheck: UpdateDef<{ slot: number }> = {
  name: 'lossCheck',
  check(_t, [, loss]) {
    if (shapeSize(loss!) !== 1) throw new Error(`lossCheck: loss must be a scalar, got ${fmt(loss!)}`);
  },
  cpu([health], [hyper, loss], { slot }) {
    if (!Number.isFinite(loss![0]!)) health![slot] = Math.min(health![slot]!, hyper![6]!);
  },
  gpu(q, [health], [hyper, loss], _s, { slot }) {
    q.dispatch({
      kernel: 'optimizer.check_loss',
      uniforms: { len: 1, slot },
      bindings: { hyper: hyper!, grad: loss!, health: health! },
      workgroups: [1],
    });
  },
};

export interface NonFinite {
  step: number;
  /** Index into the parameter list, or -1 for the loss itself. */
  param: number;
}

export class Optimizer {
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
    readonly params: Tensor[],
    config: OptimizerConfig,
  ) {
    this.kind = config.kind;
    if (!(config.kind in methodCode)) throw new Error(`optimizer: unknown kind '${String(config.kind)}' (expected sgd, momentum or adam)`);
    this.lr = config.lr ?? 1e-3;
    checkLr(this.lr, 0);
    this.b1 = config.kind === 'momentum' ? (config.momentum ?? 0.9) : config.kind === 'adam' ? (config.beta1 ?? 0.9) : 0;
    this.b2 = config.kind === 'adam' ? (config.beta2 ?? 0.999) : 0;
    this.eps = config.kind === 'adam' ? (config.eps ?? 1e-8) : 0;
    for (const [name, v] of [['momentum/beta1', this.b1], ['beta2', this.b2]] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`optimizer: ${name} must be in [0, 1), got ${v}`);
    }
    if (!(this.eps >= 0 && Number.isFinite(this.eps))) throw new Error(`optimizer: eps must be a finite number >= 0, got ${this.eps}`);
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
    if (grads.length !== this.params.length) {
      throw new Error(`optimizer.step: ${grads.length} gradients for ${this.params.length} parameters`);
    }
    grads.forEach((g, i) => {
      if (g.size !== this.params[i]!.size) {
        throw new Error(`optimizer.step: gradient ${i} ${fmt(g.shape)} does not match parameter ${fmt(this.params[i]!.shape)}`);
      }
    });
    const t = this.steps + 1;
    const lr = typeof this.lr === 'number' ? this.lr : this.lr(this.steps);
    checkLr(lr, this.steps);
    this.e.write(this.hyper, [lr, this.b1, this.b2, this.eps, 1 - Math.pow(this.b1, t), 1 - Math.pow(this.b2, t), t, 0]);
    if (loss) this.e.update(lossCheck, [this.health], [this.hyper, loss], { slot: 0 });
    this.params.forEach((p, i) => {
      const [s1, s2] = this.state[i]!;
      this.e.update(optimizerUpdate, [p, s1, s2, this.health], [this.hyper, grads[i]!], { method: methodCode[this.kind], slot: i + 1 });
    });
    if (!this.e.planning) this.steps = t; // a planned step (Engine.prepare) does not count
  }

  /** The first step at which the loss or a gradient was not finite (reads back a few bytes). */
  async firstNonFinite(): Promise<NonFinite | null> {
    const raw = await this.health.read();
    const values = this.e.backend === 'cpu' ? Array.from(raw) : Array.from(new Uint32Array(raw.buffer));
    let best: NonFinite | null = null;
    values.forEach((v, i) => {
      const never = this.e.backend === 'cpu' ? v === Infinity : v === NEVER;
      if (!never && (!best || v < best.step)) best = { step: v, param: i - 1 };
    });
    return best;
  }

  dispose(): void {
    for (const t of this.state.flat()) t.dispose();
    for (const t of this.dummies) t.dispose();
    this.hyper.dispose();
    this.health.dispose();
  }

  private neverValues(n: number): Float32Array {
    if (this.e.backend === 'cpu') return new Float32Array(n).fill(Infinity);
    return new Float32Array(new Uint32Array(n).fill(NEVER).buffer);
  }
}

function checkLr(lr: Schedule, step: number): void {
  if (typeof lr === 'function') return;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
    throw new Error(`optimizer: learning rate must be a positive finite number, got ${String(lr)}${step > 0 ? ` at step ${step}` : ''}`);
  }
}
