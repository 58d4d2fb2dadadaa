// The training loop: mini-batch epochs with seeded shuffling, evaluation, and full-batch
// gradient descent with the lectures' stopping rules. Each step is one TrainingStep (one
// submit); the loss is read back only every `lossEvery` steps, asynchronously, and the
// on-GPU finiteness flags are checked at the same moments, so a NaN stops training with the
// step and the layer that produced it.

import type { Engine } from '../engine';
import type { Split } from '../data/dataset';
import { batches, batchCount, createRng } from '../data/batches';
import { pcg2dHash } from '../cpu/dropout';
import { TrainingStep } from '../schedule/step';
import { fmt, type Tensor } from '../ops/tensor';
import type { Sequential } from './layers';
import type { Loss } from './losses';
import { Optimizer, type OptimizerConfig } from './optimizers';

/** What {@link FitOptions.onStep} is told after each step. */
export interface StepInfo {
  /** The epoch, from 1. */
  epoch: number;
  /** The step, from 1, counted over all epochs. */
  step: number;
  /** Present on the steps whose loss was read back. */
  loss?: number;
}

/** One epoch's summary. */
export interface EpochInfo {
  /** The epoch, from 1. */
  epoch: number;
  /** The mean of the epoch's mini-batch losses. */
  trainLoss: number;
  /** Wall-clock time of the epoch. */
  seconds: number;
  /** Training examples per second over the epoch. */
  samplesPerSecond: number;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** Passes over the training data. */
  epochs: number;
  /** Examples per step (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** The optimizer and its learning rate. */
  optimizer: OptimizerConfig;
  /** The objective, e.g. `losses.softmaxCrossEntropy()`. */
  loss: Loss;
  /** Seed of the shuffling (default 1). */
  seed?: number;
  /** Read the loss back every this many steps for onStep (default 50). The epoch's mean
   *  training loss is summed on the device and read once per epoch regardless. */
  lossEvery?: number;
  /** Called after every step (without a loss unless it was read back). */
  onStep?: (info: StepInfo) => void;
  /** Called after every epoch; training waits for a returned promise. */
  onEpoch?: (info: EpochInfo) => void | Promise<void>;
}

/** What {@link fit} returns. */
export interface FitResult {
  /** One summary per epoch. */
  epochs: EpochInfo[];
  /** Steps taken in all. */
  steps: number;
}

/** Thrown when the loss or a gradient becomes NaN or infinite; the message names the step
 *  and the parameter. */
export class NonFiniteError extends Error {}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`fit: ${name} must be a positive integer, got ${String(v)}`);
}

/** Trains `model` (already built) on a split with integer class labels. */
export async function fit(model: Sequential, data: Split, opts: FitOptions): Promise<FitResult> {
  if (opts === null || typeof opts !== 'object') throw new Error(`fit: options must be an object with epochs, batchSize, loss and optimizer, got ${String(opts)}`);
  if (typeof opts.loss?.compute !== 'function') {
    throw new Error(`fit: loss must be a loss such as softmaxCrossEntropy() (the function called), got ${typeof opts.loss === 'function' ? `function ${(opts.loss as { name: string }).name}` : String(opts.loss)}`);
  }
  if (opts.optimizer === undefined) throw new Error("fit: optimizer is missing (e.g. { kind: 'adam', lr: 1e-3 })");
  checkPositiveInt('epochs', opts.epochs);
  checkPositiveInt('batchSize', opts.batchSize);
  const lossEvery = opts.lossEvery ?? 50;
  checkPositiveInt('lossEvery', lossEvery);
  const e = model.engine;
  const outputs = model.outputFeatures;
  const binary = outputs === 1 && data.classes <= 2; // one sigmoid output for two classes
  if (outputs !== undefined && data.classes > outputs && !binary) {
    throw new Error(`fit: the data has ${data.classes} classes (labels 0..${data.classes - 1}) but the model outputs ${outputs} values per example`);
  }
  const optimizer = new Optimizer(e, model.params, opts.optimizer);
  const rng = createRng(opts.seed ?? 1);
  const names = model.namedParams().map((p) => p.name);
  let x: Tensor | null = null;
  let labels: Int32Array = new Int32Array(0);
  let dropoutSeed = 0;
  const lossSum = e.zeros([1]);
  const forward = () => model.forward(x!, { training: true, seed: dropoutSeed });
  const step = new TrainingStep(e, () => opts.loss.compute(e, forward(), labels), optimizer, lossSum);
  const epochs: EpochInfo[] = [];
  let steps = 0;
  // onStep runs in step order: a read step's callback waits for its loss, and every later
  // step's callback queues behind it (`delivered` is the tail of that queue; `queued` counts
  // the callbacks in it, so a step with nothing ahead of it is reported at once).
  let delivered: Promise<void> = Promise.resolve();
  let queued = 0;
  const reads: Promise<void>[] = [];
  const deliver = (report: () => void | Promise<void>): Promise<void> => {
    queued++;
    const p = delivered.then(async () => {
      queued--;
      await report();
    });
    p.catch(() => {}); // handled where it is awaited; this only marks it as observed
    delivered = p;
    return p;
  };

  const checkHealth = async () => {
    const bad = await optimizer.firstNonFinite();
    if (bad) {
      const where = bad.param < 0 ? 'the loss' : `the gradient of ${names[bad.param]} (${fmt(model.params[bad.param]!.shape)})`;
      throw new NonFiniteError(`training stopped: ${where} became NaN or infinite at step ${bad.step}; the parameters keep their last finite values`);
    }
  };

  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const t0 = performance.now();
      e.write(lossSum, [0]);
      let epochSteps = 0;
      for (const batch of batches(data, opts.batchSize, { shuffle: true, rng })) {
        x = e.tensor(batch.x, model.batchShape(batch.size, data.features));
        labels = batch.labels;
        steps++;
        dropoutSeed = pcg2dHash(steps, opts.seed ?? 1); // a new dropout mask every step
        epochSteps++;
        const s = steps;
        if (s === 1) await step.prepare(); // compile (and with tune 'always', tune) before step 1
        const read = s % lossEvery === 0 || s === 1;
        if (read) {
          const loss = step.run(true);
          loss.catch(() => {}); // awaited in the delivery queue
          reads.push(
            deliver(async () => {
              const value = await loss;
              opts.onStep?.({ epoch, step: s, loss: value });
              if (!Number.isFinite(value)) await checkHealth();
            }),
          );
          // Bound how far the CPU runs ahead of the GPU: wait for the previous read only.
          if (reads.length > 2) await reads.shift();
        } else {
          step.run(false);
          if (queued === 0) opts.onStep?.({ epoch, step: s });
          else void deliver(() => opts.onStep?.({ epoch, step: s }));
        }
        x.dispose();
        x = null;
      }
      reads.length = 0;
      await delivered;
      const trainLoss = (await lossSum.read())[0]! / epochSteps;
      await checkHealth();
      const seconds = (performance.now() - t0) / 1000;
      const info = { epoch, trainLoss, seconds, samplesPerSecond: data.count / seconds };
      epochs.push(info);
      await opts.onEpoch?.(info);
    }
  } catch (err) {
    await delivered.catch(() => {});
    x?.dispose();
    throw err;
  } finally {
    lossSum.dispose();
    optimizer.dispose();
  }
  return { epochs, steps };
}

/** What {@link evaluate} returns. */
export interface Evaluation {
  /** The mean loss over the split. */
  loss: number;
  /** The fraction of examples classified right, in [0, 1]. */
  accuracy: number;
}

/** Mean loss and classification accuracy over a split (dropout off): the arg-max of the output,
 *  or for a one-column output whether it is above 0.5 (a sigmoid probability) or above 0
 *  (a logit, for a loss that takes logits). */
export async function evaluate(model: Sequential, data: Split, loss: Loss, batchSize = 500): Promise<Evaluation> {
  if (data.count === 0) throw new Error('evaluate: the split has no examples (its loss and accuracy would be 0/0)');
  if (typeof loss?.compute !== 'function') throw new Error(`evaluate: loss must be a loss such as softmaxCrossEntropy() (the function called), got ${String(loss)}`);
  const e = model.engine;
  let lossSum = 0;
  let correct = 0;
  for (const batch of batches(data, batchSize, { shuffle: false })) {
    const { l, y } = e.tidy(() => {
      const y = model.forward(e.tensor(batch.x, model.batchShape(batch.size, data.features)));
      return { l: loss.compute(e, y, batch.labels), y };
    });
    const [lv, o] = await Promise.all([l.read(), y.read()]).finally(() => {
      l.dispose();
      y.dispose();
    });
    lossSum += lv[0]! * batch.size;
    const k = o.length / batch.size;
    if (k === 1) {
      // One output column: a probability of class 1 (sigmoid + binary cross-entropy) or its logit.
      const threshold = loss.logits ? 0 : 0.5;
      for (let r = 0; r < batch.size; r++) if (Number(o[r]! > threshold) === batch.labels[r]) correct++;
      continue;
    }
    for (let r = 0; r < batch.size; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (o[r * k + j]! > o[r * k + best]!) best = j;
      if (best === batch.labels[r]) correct++;
    }
  }
  return { loss: lossSum / data.count, accuracy: correct / data.count };
}

/** Options of {@link minimize}; give at least one stopping rule or `maxSteps`. */
export interface MinimizeOptions {
  /** The learning rate η, fixed or per step. */
  lr: number | ((step: number) => number);
  /** Stop when |Loss_k − Loss_{k−1}| < lossTolerance. */
  lossTolerance?: number;
  /** Stop when ‖∇‖ < gradTolerance. */
  gradTolerance?: number;
  /** Stop after this many steps (default 10,000). */
  maxSteps?: number;
  /** The update rule (default 'sgd': plain gradient descent). */
  optimizer?: OptimizerConfig['kind'];
}

/** What {@link minimize} returns. */
export interface MinimizeResult {
  /** The loss at the last step. */
  loss: number;
  /** Steps taken. */
  steps: number;
  /** ‖∇‖ at the last step. */
  gradNorm: number;
  /** Which rule stopped it. */
  reason: 'loss' | 'grad' | 'maxSteps';
}

/**
 * Full-batch gradient descent on f(params) with the lectures' stopping rules. Reads the loss
 * and gradient norm back every step (the stopping rules need them).
 */
export async function minimize(e: Engine, f: () => Tensor, params: Tensor[], opts: MinimizeOptions): Promise<MinimizeResult> {
  const maxSteps = opts.maxSteps ?? 10_000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new Error(`minimize: maxSteps must be an integer >= 1, got ${String(maxSteps)}`);
  if (!Array.isArray(params) || params.length === 0) throw new Error('minimize: params must be a non-empty array of the tensors to optimize');
  const optimizer = new Optimizer(e, params, { kind: opts.optimizer ?? 'sgd', lr: opts.lr } as OptimizerConfig);
  let prev = Infinity;
  try {
    for (let k = 1; k <= maxSteps; k++) {
      const { value, grads } = e.gradients(f, params);
      const sq = e.tidy(() => grads.map((g) => e.sum(e.mul(g, g))).reduce((a, b) => e.add(a, b)));
      optimizer.step(grads, value);
      grads.forEach((g) => g.dispose());
      const [loss, g2] = await Promise.all([value.read(), sq.read()]);
      value.dispose();
      sq.dispose();
      const l = loss[0]!;
      const gradNorm = Math.sqrt(g2[0]!);
      if (!Number.isFinite(l) || !Number.isFinite(gradNorm)) throw new NonFiniteError(`minimize: loss or gradient became non-finite at step ${k}`);
      if (opts.gradTolerance !== undefined && gradNorm < opts.gradTolerance) return { loss: l, steps: k, gradNorm, reason: 'grad' };
      if (opts.lossTolerance !== undefined && Math.abs(l - prev) < opts.lossTolerance) return { loss: l, steps: k, gradNorm, reason: 'loss' };
      prev = l;
      if (k === maxSteps) return { loss: l, steps: k, gradNorm, reason: 'maxSteps' };
    }
    throw new Error('minimize: unreachable (maxSteps >= 1 returns in the loop)');
  } finally {
    optimizer.dispose();
  }
}
