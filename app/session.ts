// One training run of the page: mini-batch epochs of a Sequential model that can be paused,
// resumed and stopped, reporting as it goes. No DOM: main.ts turns the reports into charts,
// and test/app-session.test.ts drives it on both backends.
//
// Each step is one TrainingStep (one submit, no readback). Reads are asynchronous and only
// every few steps: the loss every `lossEvery` steps (the train curve, samples/s and the NaN
// check), the gradient norm of each layer every `normsEvery` steps (computed on the device
// inside the step, from the gradients the optimizer applies), and the weights every
// `checkpointEvery` steps (a copy on the CPU: the "last good weights" a diverging run falls
// back to, and what a lost device restarts from). The CPU runs at most a few reads (about 30
// steps) ahead of the GPU, and yields to the browser every few milliseconds, so the page never
// stalls.

import type { Engine } from '../src/engine';
import type { Dataset, Split } from '../src/data/dataset';
import { batchCount, batches, createRng } from '../src/data/batches';
import type { Sequential } from '../src/nn/layers';
import { softmaxCrossEntropy } from '../src/nn/losses';
import { Optimizer, type OptimizerConfig } from '../src/nn/optimizers';
import type { Loss } from '../src/nn/losses';
import type { Tensor } from '../src/ops/tensor';
import { TrainingStep, type Updater } from '../src/schedule/step';

export type Weights = Record<string, { shape: number[]; data: Float32Array }>;

export interface Checkpoint {
  /** Steps done (global, across runs) when the weights were read. */
  step: number;
  epoch: number;
  weights: Weights;
}

export interface SessionConfig {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  labelSmoothing: number;
  seed: number;
  /** Read the loss every this many steps (default 10). */
  lossEvery?: number;
  /** Read the per-layer gradient norms every this many steps (default 10). */
  normsEvery?: number;
  /** Read the weights every this many steps (default 100; rounded to a multiple of lossEvery). */
  checkpointEvery?: number;
  /** One example's shape as the model takes it (default [features]; [1, 28, 28] for a CNN). */
  exampleShape?: number[];
  /** Where this run starts, when it continues an earlier one (for the reported numbers). */
  startStep?: number;
  startEpoch?: number;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  samplesPerSecond: number;
  seconds: number;
}

export interface SessionHooks {
  /** A loss read back: `x` is the position in epochs (step / steps per epoch). */
  onLoss?(step: number, x: number, loss: number): void;
  /** The gradient norm of each layer (weight and bias together) at a step. */
  onNorms?(step: number, x: number, norms: number[]): void;
  /** Samples per second over the last few seconds of training (pauses excluded). */
  onSpeed?(samplesPerSecond: number): void;
  /** Every step, when it is recorded (the GPU may still be behind). */
  onProgress?(epoch: number, stepInEpoch: number, stepsPerEpoch: number, step: number): void;
  onEpoch?(report: EpochReport): void | Promise<void>;
  onCheckpoint?(c: Checkpoint): void;
}

export type Outcome =
  | { kind: 'done'; step: number; epoch: number }
  | { kind: 'stopped'; step: number; epoch: number }
  /** A NaN or infinite loss: training stopped and the model holds the checkpoint's weights. */
  | { kind: 'diverged'; step: number; where: string; restored: Checkpoint }
  /** The GPU device was lost; `lastGood` is what a new engine can restart from. */
  | { kind: 'lost'; message: string; lastGood: Checkpoint | null }
  | { kind: 'failed'; error: Error; lastGood: Checkpoint | null };

/** Reads every parameter in one go: the reads are recorded back to back, so the weights are
 *  those of one step even while more steps are queued behind them. */
export function readWeights(model: Sequential): Promise<Weights> {
  const named = model.namedParams();
  return Promise.all(named.map((p) => p.tensor.read())).then((values) => {
    const out: Weights = {};
    named.forEach((p, i) => (out[p.name] = { shape: [...p.tensor.shape], data: values[i]! }));
    return out;
  });
}

const finite = (w: Weights) => Object.values(w).every((t) => t.data.every(Number.isFinite));

/** Mean loss and accuracy (arg-max, first maximum wins) over a split, in batches of 500, each
 *  batch shaped [n, ...example]: src/nn/train.ts `evaluate` with the example shape. */
export async function evaluateSplit(model: Sequential, split: Split, loss: Loss, example: number[]): Promise<{ loss: number; accuracy: number }> {
  const e = model.engine;
  let lossSum = 0;
  let correct = 0;
  for (const batch of batches(split, 500)) {
    const { l, y } = e.tidy(() => {
      const y = model.forward(e.tensor(batch.x, [batch.size, ...example]));
      return { l: loss.compute(e, y, batch.labels), y };
    });
    const [lv, out] = await Promise.all([e.readAndDispose(l), e.readAndDispose(y)]);
    lossSum += lv[0]! * batch.size;
    const k = out.length / batch.size;
    for (let r = 0; r < batch.size; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (out[r * k + j]! > out[r * k + best]!) best = j;
      if (best === batch.labels[r]) correct++;
    }
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count };
}

/** Resolves on the next turn of the event loop without setTimeout's clamping (which
 *  background tabs stretch to a second). */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/** How long the loop may run before it yields: a frame at 60 Hz keeps clicks and drawing live. */
const YIELD_MS = 12;
/** Reads in flight before the loop waits for the oldest (loss and norm reads: ~30 steps). */
const MAX_PENDING_READS = 6;
/** Samples/s is measured over loss reads at most this far apart. */
const SPEED_WINDOW_MS = 3000;

export class TrainingSession {
  private pausedAt: number | null = null;
  private resumeGate: (() => void) | null = null;
  private stopRequested = false;
  private readonly checkpoints: Checkpoint[] = [];
  private readonly lossEvery: number;
  private readonly normsEvery: number;
  private readonly checkpointEvery: number;
  private lost: { message: string } | null = null;
  private readonly lostSignal: Promise<never>;

  constructor(
    private readonly model: Sequential,
    private readonly data: Dataset,
    private readonly cfg: SessionConfig,
    private readonly hooks: SessionHooks = {},
  ) {
    this.lossEvery = cfg.lossEvery ?? 10;
    this.normsEvery = cfg.normsEvery ?? 10;
    this.checkpointEvery = Math.max(1, Math.round((cfg.checkpointEvery ?? 100) / this.lossEvery)) * this.lossEvery;
    const device = model.engine.device;
    this.lostSignal = new Promise<never>((_, reject) => {
      void device?.lost.then((info) => {
        this.lost = { message: `${info.reason === 'destroyed' ? 'destroyed' : info.reason}: ${info.message || 'no details'}` };
        reject(new Error(`the GPU device was lost (${this.lost.message})`));
      });
    });
    this.lostSignal.catch(() => {}); // observed where it is raced
  }

  get paused(): boolean {
    return this.pausedAt !== null;
  }

  pause(): void {
    if (this.pausedAt === null) this.pausedAt = performance.now();
  }

  resume(): void {
    if (this.pausedAt === null) return;
    this.pausedAt = null;
    this.resumeGate?.();
    this.resumeGate = null;
  }

  /** Ends the run after the step being recorded; `run` then resolves with 'stopped'. */
  stop(): void {
    this.stopRequested = true;
    this.resume();
  }

  /** The newest checkpoint whose loss and weights were finite. */
  get lastGood(): Checkpoint | null {
    return this.checkpoints.at(-1) ?? null;
  }

  /** Waits on `p`, or rejects as soon as the device is lost (a lost device may never answer). */
  private guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.lostSignal]);
  }

  async run(): Promise<Outcome> {
    const { model, data, cfg, hooks } = this;
    const e: Engine = model.engine;
    const names = model.namedParams().map((p) => p.name);
    // Layers for the norms: parameters grouped by their module index ("0.weight", "0.bias").
    const layerOf = names.map((n) => n.slice(0, n.indexOf('.')));
    const layers = [...new Set(layerOf)].map((l) => layerOf.flatMap((x, i) => (x === l ? [i] : [])));
    const optimizer = new Optimizer(e, model.params, cfg.optimizer);
    const loss = softmaxCrossEntropy({ labelSmoothing: cfg.labelSmoothing });
    const stepsPerEpoch = batchCount(data.train.count, cfg.batchSize);
    const example = cfg.exampleShape ?? [data.train.features];
    const rng = createRng(cfg.seed);
    let step = cfg.startStep ?? 0;
    let epoch = cfg.startEpoch ?? 0;
    let x: Tensor | null = null;
    let labels: Int32Array = new Int32Array(0);
    let probeNorms = false;
    let norms: Tensor[] = [];
    const updater: Updater = {
      params: model.params,
      step(grads, value) {
        // ‖g‖ per layer, recorded before the update in the same submit: no readback here.
        if (probeNorms) norms = layers.map((idx) => e.tidy(() => idx.map((i) => e.sum(e.mul(grads[i]!, grads[i]!))).reduce((a, b) => e.add(a, b))));
        optimizer.step(grads, value);
      },
    };
    const lossSum = e.zeros([1]);
    const trainStep = new TrainingStep(e, () => loss.compute(e, model.forward(x!), labels), updater, lossSum);
    const pending: Promise<void>[] = [];
    // Reads can resolve out of order (the first waits for pipeline compilation): their reports
    // are chained so the hooks see steps in order.
    let reported: Promise<unknown> = Promise.resolve();
    const inOrder = <T>(read: Promise<T>, report: (v: T) => void | Promise<void>): Promise<void> => {
      // The chain reaches `read` only after the earlier reports: mark its rejection as handled
      // now (a lost device rejects every read at once), the chain still sees it.
      read.catch(() => {});
      const done = reported.then(() => read).then(report);
      reported = done.catch(() => {});
      return done;
    };
    let speedMarks: { step: number; t: number }[] = [];
    let firstBad: { step: number; where: string } | null = null;

    // The optimizer flags, on the device, the first step whose loss or gradient was not
    // finite; `at` (the step whose loss read showed it) is the fallback.
    const noteBad = async (at: number) => {
      if (firstBad) return;
      const bad = await optimizer.firstNonFinite();
      const where = !bad || bad.param < 0 ? 'the loss' : `the gradient of ${names[bad.param]}`;
      firstBad = { step: bad ? (cfg.startStep ?? 0) + bad.step : at, where };
    };
    const keep = (c: Checkpoint) => {
      this.checkpoints.push(c);
      if (this.checkpoints.length > 3) this.checkpoints.shift();
      hooks.onCheckpoint?.(c);
    };
    const checkpoint = (at: number, lossRead: Promise<number>) =>
      Promise.all([lossRead, readWeights(model)]).then(([l, w]) => {
        if (Number.isFinite(l) && finite(w) && !firstBad) keep({ step: at, epoch, weights: w });
      });

    try {
      // The starting weights are the first checkpoint: a run that diverges at once falls back to them.
      const initial = await this.guard(readWeights(model));
      this.checkpoints.push({ step, epoch, weights: initial });
      let lastYield = performance.now();
      for (let ep = 0; ep < cfg.epochs && !this.stopRequested && !firstBad; ep++) {
        epoch++;
        const t0 = performance.now();
        let pausedMs = 0;
        e.write(lossSum, [0]);
        let inEpoch = 0;
        for (const batch of batches(data.train, cfg.batchSize, { shuffle: true, rng })) {
          if (this.pausedAt !== null) {
            const since = this.pausedAt;
            await this.guard(Promise.all(pending)); // let the GPU finish, then wait
            await new Promise<void>((resolve) => (this.resumeGate = resolve));
            pausedMs += performance.now() - since;
            speedMarks = [];
          }
          if (this.stopRequested || firstBad) break;
          x = e.tensor(batch.x, [batch.size, ...example]);
          labels = batch.labels;
          step++;
          inEpoch++;
          const s = step;
          const pos = epoch - 1 + inEpoch / stepsPerEpoch;
          probeNorms = s % this.normsEvery === 0 || s === 1;
          if (s % this.lossEvery === 0 || inEpoch === 1) {
            const lossRead = trainStep.run(true);
            const p = inOrder(lossRead, async (l) => {
              const t = performance.now();
              speedMarks.push({ step: s, t });
              while (speedMarks.length > 2 && t - speedMarks[0]!.t > SPEED_WINDOW_MS) speedMarks.shift();
              const first = speedMarks[0]!;
              if (speedMarks.length > 1) hooks.onSpeed?.(((s - first.step) * cfg.batchSize) / ((t - first.t) / 1000));
              hooks.onLoss?.(s, pos, l);
              if (!Number.isFinite(l)) await noteBad(s);
            });
            pending.push(s % this.checkpointEvery === 0 ? Promise.all([p, checkpoint(s, lossRead)]).then(() => {}) : p);
          } else {
            trainStep.run(false);
          }
          if (probeNorms) {
            const reads = norms.map((t) => e.readAndDispose(t));
            norms = [];
            pending.push(inOrder(Promise.all(reads), (sq) => hooks.onNorms?.(s, pos, sq.map((v) => Math.sqrt(v[0]!)))));
          }
          x.dispose();
          x = null;
          hooks.onProgress?.(epoch, inEpoch, stepsPerEpoch, s);
          // Bound how far the CPU runs ahead of the GPU, and let the page breathe.
          while (pending.length > MAX_PENDING_READS) await this.guard(pending.shift()!);
          if (performance.now() - lastYield > YIELD_MS) {
            await yieldToBrowser();
            lastYield = performance.now();
          }
        }
        await this.guard(Promise.all(pending.splice(0)));
        if (this.stopRequested && inEpoch < stepsPerEpoch) {
          epoch--; // an unfinished epoch is not reported
          break;
        }
        if (firstBad) break;
        const trainLoss = (await this.guard(lossSum.read()))[0]! / inEpoch;
        if (!Number.isFinite(trainLoss)) {
          await noteBad(step);
          break;
        }
        const seconds = (performance.now() - t0 - pausedMs) / 1000;
        const test = await this.guard(evaluateSplit(model, data.test, loss, example));
        const weights = await this.guard(readWeights(model));
        if (finite(weights)) keep({ step, epoch, weights });
        await hooks.onEpoch?.({ epoch, trainLoss, testLoss: test.loss, testAccuracy: test.accuracy, samplesPerSecond: data.train.count / seconds, seconds });
      }
      if (firstBad) {
        const bad: { step: number; where: string } = firstBad;
        const restored = [...this.checkpoints].reverse().find((c) => c.step < bad.step) ?? this.checkpoints[0]!;
        model.loadStateDict(restored.weights, 'the last good weights');
        return { kind: 'diverged', step: bad.step, where: bad.where, restored };
      }
      return { kind: this.stopRequested ? 'stopped' : 'done', step, epoch };
    } catch (err) {
      // A lost device rejects reads before `device.lost` resolves: give it a moment to say so.
      // Reads in flight settle (or, on a lost device, may never: a moment only).
      const moment = () => new Promise((resolve) => setTimeout(resolve, 1000));
      await Promise.race([this.lostSignal.catch(() => {}), moment()]);
      await Promise.race([Promise.allSettled(pending), moment()]);
      if (this.lost) return { kind: 'lost', message: this.lost.message, lastGood: this.lastGood };
      return { kind: 'failed', error: err instanceof Error ? err : new Error(String(err)), lastGood: this.lastGood };
    } finally {
      // Disposing on a dead engine only drops the handles.
      for (const t of [x, ...norms, lossSum]) t?.dispose();
      optimizer.dispose();
    }
  }
}
