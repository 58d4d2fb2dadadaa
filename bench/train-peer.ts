// npm run bench:train -- [--dataset mnist|fashion-mnist|DIR] [--epochs N] [--seed N] [--limit N] [--json]
//
// The training job's recipe (cli/run-train.ts) trained twice in ONE process, on ONE WebGPU
// adapter (bench/gpu-env.ts): by webgrad, through the same code path as `npm run train`
// (`sequential([...]).build(e, seed)`, `fit`, `evaluate`), and by TensorFlow.js with its WebGPU
// backend (tfjs-core only, loaded by bench/peers/tfjs.ts). Everything that decides the result
// is shared or checked to be identical:
//   - data: the same loader and split (src/data), the same batches in the same order: each
//     side gets its own createRng(seed) and draws one batches(..., { shuffle: true, rng }) per
//     epoch, exactly as src/nn/train.ts `fit` does, so both see the same permutations;
//   - model: 784-128-10, dense ReLU + dense, W stored [out, in] (TF.js: X·Wᵀ via transposeB);
//   - initial weights: initWeights() with the seeds Sequential.build uses (layer i:
//     seed·1000 + i; He normal for the ReLU layer, Glorot uniform for the output layer),
//     biases zero; checked bit for bit against the weights our model was built with;
//   - loss: softmax cross-entropy, label smoothing 0.1 (targets (1−α)·onehot + α/K on both
//     sides), mean over the batch (TF.js: SUM_BY_NONZERO_WEIGHTS without weights = mean);
//   - optimizer: Adam lr 1e-3, β1 0.9, β2 0.999, ε 1e-8 (TF.js's default ε is 1e-7: passed
//     explicitly). Both apply lr·m̂/(√v̂ + ε);
//   - the epoch's train loss is the mean over all its steps, summed on the device and read once
//     per epoch (fit does that; TF.js: a scalar variable += cost each step); the loss is also
//     read at step 1 and every 50 steps (fit's default lossEvery) on both sides, which the
//     `same start?` line compares; test metrics use batches of 500 in order.
// The two run epoch by epoch interleaved (ours epoch k, then TF.js epoch k), so other processes
// competing for the CPU (on a software adapter, the "GPU") slow both alike. An epoch's time
// covers its training steps until the last one has finished on the GPU; evaluation is timed
// separately.
//
// Output: one line per epoch and library (train loss, test loss/accuracy, samples/s), a table
// at the end; with --json the last line of stdout is
//   { dataset, epochs, ours: { testAccuracy, samplesPerSecond, seconds, ... }, tfjs: {...}, accuracyGap }
// accuracyGap = ours − TF.js test accuracy (fractions, like testAccuracy).
// Exit codes: 0 ok, 1 our final test accuracy is more than 1 point below TF.js's, 2 bad flags
// or data files, 3 the comparison could not run (TF.js unavailable, an error, NaN).

import { Command, Option } from 'commander';
import os from 'node:os';
import type * as TF from '@tensorflow/tfjs-core';
import { createEngine, type Engine } from '../src/index';
import type { Split } from '../src/data/dataset';
import { batchCount, batches, createRng, oneHot, type Rng } from '../src/data/batches';
import { dense, sequential, type Sequential } from '../src/nn/layers';
import { initWeights } from '../src/nn/init';
import { softmaxCrossEntropy } from '../src/nn/losses';
import { evaluate, fit } from '../src/nn/train';
import { formatAdapterRecord, initialising, installNavigatorGpu, recordedAdapters } from './gpu-env';
import { nodeTfjs } from './peers/tfjs-node';
import { UsageError, loadDataset, parseCommand, positiveInt } from '../cli/args';

// ---- the recipe (cli/run-train.ts defaults) ------------------------------------------------
const HIDDEN = 128;
const BATCH = 64;
const LR = 1e-3;
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8; // src/nn/optimizers.ts default
const LABEL_SMOOTHING = 0.1;
/** Progress reads: src/nn/train.ts `fit`'s default lossEvery (not passed, so ours runs as the job does). */
const LOSS_EVERY = 50;
const EVAL_BATCH = 500; // src/nn/train.ts `evaluate` default
/** Fail (exit 1) when ours is more than this below TF.js (fraction: 0.01 = 1 point). */
const MAX_DEFICIT = 0.01;

interface Options {
  dataset: string;
  epochs: number;
  seed: number;
  limit?: number;
  json: boolean;
}

function parseArgs(argv: string[]): Options | null {
  const program = new Command()
    .name('npm run bench:train --')
    .description("Train the `npm run train` recipe with webgrad and with TensorFlow.js WebGPU in one process, on the same adapter, and compare.")
    .option('--dataset <name>', "'mnist' (bundled digits, 8,000 train / 2,000 test), 'fashion-mnist', or a directory of MNIST-format IDX files", 'mnist')
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), 10)
    .option('--seed <n>', 'seed for initialisation and shuffling', positiveInt('--seed'), 1)
    .option('--limit <n>', 'train on the first n training examples only (quick checks)', positiveInt('--limit'))
    .addOption(new Option('--json', 'end with one JSON summary line on stdout').default(false));
  return parseCommand<Options>(program, argv, (text) => console.log(text));
}

// ---- bookkeeping ------------------------------------------------------------------------------

interface EpochRecord {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  /** Training time of the epoch (until its last step finished on the GPU). */
  seconds: number;
  samplesPerSecond: number;
  evalSeconds: number;
}

interface Side {
  name: string;
  epochs: EpochRecord[];
  /** Losses read back for progress, by global step (1, 50, 100, ...). */
  reads: Map<number, number>;
}

function summary(s: Side, trainCount: number) {
  const last = s.epochs.at(-1);
  const trainSeconds = s.epochs.reduce((a, e) => a + e.seconds, 0);
  const evalSeconds = s.epochs.reduce((a, e) => a + e.evalSeconds, 0);
  return {
    testAccuracy: last?.testAccuracy ?? NaN,
    samplesPerSecond: trainSeconds > 0 ? (s.epochs.length * trainCount) / trainSeconds : 0,
    /** Training + per-epoch evaluation, this library's share of the run. */
    seconds: trainSeconds + evalSeconds,
    trainSeconds,
    testLoss: last?.testLoss ?? NaN,
    trainLoss: last?.trainLoss ?? NaN,
    perEpoch: s.epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, testLoss: e.testLoss, testAccuracy: e.testAccuracy, samplesPerSecond: e.samplesPerSecond })),
  };
}

const pct = (a: number) => `${(100 * a).toFixed(2)}%`;

function epochLine(name: string, r: EpochRecord, epochs: number): string {
  return (
    `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs} ${name.padEnd(12)} train loss ${r.trainLoss.toFixed(4)}  ` +
    `test loss ${r.testLoss.toFixed(4)}  test accuracy ${pct(r.testAccuracy)}  ${Math.round(r.samplesPerSecond)} samples/s`
  );
}

// ---- the TF.js side -----------------------------------------------------------------------------

type Tf = typeof TF;

/** The same MLP, optimizer and loop in TF.js (tfjs-core ops only, as a user without tfjs-layers
 *  would write it; the dense layers are tf.fused.matMul, what tf.layers.dense runs). */
class TfjsTrainer {
  private readonly vars: TF.Variable[];
  private readonly opt: TF.AdamOptimizer;
  private readonly rng: Rng;
  /** The epoch's summed training loss, on the device. */
  private readonly lossSum: TF.Variable;
  private steps = 0;

  constructor(
    private readonly tf: Tf,
    init: { w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array },
    private readonly features: number,
    private readonly hidden: number,
    private readonly classes: number,
    seed: number,
  ) {
    // Inside tidy: the initial tensors are disposed, the variables (which share their data) stay.
    this.vars = tf.tidy(() => [
      tf.variable(tf.tensor2d(init.w1, [hidden, features]), true, 'peer/0.weight'),
      tf.variable(tf.tensor1d(init.b1), true, 'peer/0.bias'),
      tf.variable(tf.tensor2d(init.w2, [classes, hidden]), true, 'peer/2.weight'),
      tf.variable(tf.tensor1d(init.b2), true, 'peer/2.bias'),
    ]);
    this.opt = tf.train.adam(LR, BETA1, BETA2, EPS);
    this.lossSum = tf.tidy(() => tf.variable(tf.zeros([]), false, 'peer/lossSum'));
    this.rng = createRng(seed); // fit() does the same: one generator, one permutation per epoch
  }

  private forward(x: TF.Tensor2D): TF.Tensor2D {
    const tf = this.tf;
    const [w1, b1, w2, b2] = this.vars as [TF.Variable, TF.Variable, TF.Variable, TF.Variable];
    const h = tf.fused.matMul({ a: x, b: w1 as TF.Tensor2D, transposeB: true, bias: b1, activation: 'relu' });
    return tf.fused.matMul({ a: h, b: w2 as TF.Tensor2D, transposeB: true, bias: b2 }) as TF.Tensor2D;
  }

  private loss(y: TF.Tensor2D, z: TF.Tensor2D): TF.Scalar {
    // (onehotLabels, logits, weights, labelSmoothing, reduction = SUM_BY_NONZERO_WEIGHTS: the mean)
    return this.tf.losses.softmaxCrossEntropy(y, z, undefined, LABEL_SMOOTHING) as TF.Scalar;
  }

  private inputs(x: Float32Array, labels: Int32Array, size: number): [TF.Tensor2D, TF.Tensor2D] {
    return [this.tf.tensor2d(x, [size, this.features]), this.tf.tensor2d(oneHot(labels, this.classes), [size, this.classes])];
  }

  /** One epoch; resolves when its last step has finished on the GPU. */
  async trainEpoch(split: Split, epoch: number, reads: Map<number, number>): Promise<{ trainLoss: number; seconds: number }> {
    const t0 = performance.now();
    const tf = this.tf;
    tf.tidy(() => this.lossSum.assign(tf.zeros([])));
    let epochSteps = 0;
    const pending: Promise<void>[] = [];
    for (const batch of batches(split, BATCH, { shuffle: true, rng: this.rng })) {
      const s = ++this.steps;
      epochSteps++;
      const [x, y] = this.inputs(batch.x, batch.labels, batch.size);
      const cost = this.opt.minimize(() => this.loss(y, this.forward(x)), true, this.vars)!;
      x.dispose();
      y.dispose();
      // The epoch's loss stays on the device (as fit's does): one add per step, no readback.
      tf.tidy(() => this.lossSum.assign(tf.add(this.lossSum, cost)));
      if (s % LOSS_EVERY === 0 || s === 1) {
        const p = cost.data().then((v) => {
          cost.dispose();
          const l = v[0]!;
          if (!Number.isFinite(l)) throw new Error(`TF.js: the loss became ${l} at step ${s} (epoch ${epoch})`);
          reads.set(s, l);
        });
        p.catch(() => {}); // observed where awaited
        pending.push(p);
        // Like fit(): the CPU runs at most two reads ahead of the GPU.
        if (pending.length > 2) await pending.shift();
      } else {
        cost.dispose();
      }
    }
    await Promise.all(pending);
    const total = (await this.lossSum.data())[0]!;
    // The last step's update writes every variable: reading one waits for it.
    await this.vars[3]!.data();
    if (!Number.isFinite(total)) throw new Error(`TF.js: the training loss became ${total} in epoch ${epoch}`);
    return { trainLoss: total / epochSteps, seconds: (performance.now() - t0) / 1000 };
  }

  async evaluate(split: Split): Promise<{ loss: number; accuracy: number }> {
    const tf = this.tf;
    let lossSum = 0;
    let correct = 0;
    for (const batch of batches(split, EVAL_BATCH, { shuffle: false })) {
      const [x, y] = this.inputs(batch.x, batch.labels, batch.size);
      const [z, l] = tf.tidy(() => {
        const z = this.forward(x);
        return [z, this.loss(y, z)] as const;
      });
      const [zv, lv] = await Promise.all([z.data(), l.data()]);
      [x, y, z, l].forEach((t) => t.dispose());
      lossSum += lv[0]! * batch.size;
      const k = this.classes;
      // Arg-max with the first maximum winning ties, as src/nn/train.ts `evaluate` does.
      for (let r = 0; r < batch.size; r++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (zv[r * k + j]! > zv[r * k + best]!) best = j;
        if (best === batch.labels[r]) correct++;
      }
    }
    return { loss: lossSum / split.count, accuracy: correct / split.count };
  }

  get liveTensors(): number {
    return this.tf.memory().numTensors;
  }

  dispose(): void {
    this.vars.forEach((v) => v.dispose());
    this.lossSum.dispose();
    this.opt.dispose();
  }
}

// ---- main --------------------------------------------------------------------------------------

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

async function run(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  if (!o) return 0;
  const data = loadDataset(o.dataset, o.limit);
  const { features, classes } = data.train;
  const started = new Date();

  await installNavigatorGpu();
  initialising('webgrad');
  let e: Engine;
  try {
    e = await createEngine({ backend: 'webgpu' });
  } catch (err) {
    throw new Error(`webgrad: createEngine({ backend: 'webgpu' }) failed: ${(err as Error).message}`);
  }
  const peer = nodeTfjs();
  initialising(peer.name);
  console.error('loading TF.js (the first run bundles it with esbuild into node_modules/.cache/webgrad-bench/) ...');
  try {
    await peer.init();
  } catch (err) {
    throw new Error(`TF.js WebGPU is not available: ${(err as Error).message}`);
  }
  initialising('unknown');
  const tf = peer.tf!;
  if (!tf.getGradient('BatchMatMul')) throw new Error(`TF.js was loaded without gradients (${peer.loadNote}); it cannot train`);

  const peerAdapters = recordedAdapters().filter((r) => r.owner === peer.name).map(formatAdapterRecord);
  const oursAdapters = recordedAdapters().filter((r) => r.owner === 'webgrad').map(formatAdapterRecord);
  const stepsPerEpoch = batchCount(data.train.count, BATCH);
  console.log(`webgrad vs TF.js: the training recipe, ${started.toISOString()}`);
  console.log(`node ${process.version} on ${os.platform()} ${os.arch()}, ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${os.loadavg()[0]!.toFixed(2)}`);
  console.log(`webgrad adapter: ${e.adapter}`);
  console.log(`${peer.name} (${peer.version}) adapter: ${peerAdapters.join(', ') || 'unknown'}; loaded as ${peer.loadNote}`);
  if (oursAdapters.length > 0 && peerAdapters.length > 0 && oursAdapters.join() !== peerAdapters.join()) {
    console.log(`WARNING: the libraries got different adapters (${oursAdapters.join(', ')} vs ${peerAdapters.join(', ')}): speeds are not comparable`);
  }
  console.log(`data: ${data.name}, ${data.train.count} train / ${data.test.count} test, ${features} features, ${classes} classes`);
  console.log(
    `recipe: ${features}-${HIDDEN}-${classes} ReLU MLP, He normal / Glorot uniform init (seed ${o.seed}), Adam lr ${LR} β1 ${BETA1} β2 ${BETA2} ε ${EPS}, ` +
      `softmax cross-entropy with label smoothing ${LABEL_SMOOTHING}, batch ${BATCH}, ${o.epochs} epochs (${stepsPerEpoch} steps each), shuffled with createRng(${o.seed})`,
  );
  console.log('');

  // ---- ours: exactly the training job's code path ----
  const model: Sequential = sequential([dense(features, HIDDEN, { activation: 'relu' }), dense(HIDDEN, classes)]).build(e, o.seed);
  const loss = softmaxCrossEntropy({ labelSmoothing: LABEL_SMOOTHING });

  // ---- TF.js: the same initial weights (Sequential.build seeds layer i with seed·1000 + i) ----
  const init = {
    w1: initWeights('he', features, HIDDEN, o.seed * 1000 + 0),
    b1: new Float32Array(HIDDEN),
    w2: initWeights('glorot', HIDDEN, classes, o.seed * 1000 + 1),
    b2: new Float32Array(classes),
  };
  const built = await model.stateDict();
  const expected: Record<string, Float32Array> = { '0.weight': init.w1, '0.bias': init.b1, '2.weight': init.w2, '2.bias': init.b2 };
  for (const [name, values] of Object.entries(expected)) {
    if (!built[name] || !sameBits(built[name].data, values)) throw new Error(`initial weights differ from webgrad's model at '${name}': the recipes would not be identical`);
  }
  const peerTrainer = new TfjsTrainer(tf, init, features, HIDDEN, classes, o.seed);

  const ours: Side = { name: 'webgrad', epochs: [], reads: new Map() };
  const theirs: Side = { name: peer.name, epochs: [], reads: new Map() };
  const tensorsAfter: number[] = [];

  await fit(model, data.train, {
    epochs: o.epochs,
    batchSize: BATCH,
    optimizer: { kind: 'adam', lr: LR, beta1: BETA1, beta2: BETA2, eps: EPS },
    loss,
    seed: o.seed,
    onStep: ({ step, loss: l }) => {
      if (l !== undefined) ours.reads.set(step, l);
    },
    onEpoch: async (info) => {
      // fit's clock for the next epoch starts after this callback returns.
      let t = performance.now();
      const ev = await evaluate(model, data.test, loss, EVAL_BATCH);
      const oursRec: EpochRecord = { epoch: info.epoch, trainLoss: info.trainLoss, testLoss: ev.loss, testAccuracy: ev.accuracy, seconds: info.seconds, samplesPerSecond: info.samplesPerSecond, evalSeconds: (performance.now() - t) / 1000 };
      ours.epochs.push(oursRec);
      console.log(epochLine(ours.name, oursRec, o.epochs));

      const tr = await peerTrainer.trainEpoch(data.train, info.epoch, theirs.reads);
      t = performance.now();
      const pev = await peerTrainer.evaluate(data.test);
      const peerRec: EpochRecord = { epoch: info.epoch, trainLoss: tr.trainLoss, testLoss: pev.loss, testAccuracy: pev.accuracy, seconds: tr.seconds, samplesPerSecond: data.train.count / tr.seconds, evalSeconds: (performance.now() - t) / 1000 };
      theirs.epochs.push(peerRec);
      console.log(epochLine(theirs.name, peerRec, o.epochs));
      tensorsAfter.push(peerTrainer.liveTensors);
      if (info.epoch === 1) {
        // Same weights, same first batch: the first losses must agree to float32 rounding.
        const checks = [1, LOSS_EVERY, 2 * LOSS_EVERY].filter((s) => ours.reads.has(s) && theirs.reads.has(s));
        const parts = checks.map((s) => `step ${s}: ${ours.reads.get(s)!.toFixed(6)} vs ${theirs.reads.get(s)!.toFixed(6)}`);
        console.log(`  same start? loss webgrad vs TF.js, ${parts.join('; ')}`);
      }
    },
  });

  // ---- report ----
  const so = summary(ours, data.train.count);
  const st = summary(theirs, data.train.count);
  const gap = so.testAccuracy - st.testAccuracy;
  const leak = tensorsAfter.length > 1 && tensorsAfter.at(-1)! > tensorsAfter[0]!;
  console.log('');
  const head = ['epoch', 'webgrad loss', 'acc', 'samples/s', 'TF.js loss', 'acc', 'samples/s', 'Δ acc (pts)'];
  const widths = [5, 12, 8, 10, 12, 8, 10, 12];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  ours.epochs.forEach((a, i) => {
    const b = theirs.epochs[i]!;
    console.log(line([String(a.epoch), a.trainLoss.toFixed(4), pct(a.testAccuracy), String(Math.round(a.samplesPerSecond)), b.trainLoss.toFixed(4), pct(b.testAccuracy), String(Math.round(b.samplesPerSecond)), (100 * (a.testAccuracy - b.testAccuracy)).toFixed(2)]));
  });
  console.log(line(['all', so.trainLoss.toFixed(4), pct(so.testAccuracy), String(Math.round(so.samplesPerSecond)), st.trainLoss.toFixed(4), pct(st.testAccuracy), String(Math.round(st.samplesPerSecond)), (100 * gap).toFixed(2)]));
  console.log('');
  console.log(
    `time: webgrad ${so.trainSeconds.toFixed(1)} s training + ${(so.seconds - so.trainSeconds).toFixed(1)} s evaluation, ` +
      `TF.js ${st.trainSeconds.toFixed(1)} s + ${(st.seconds - st.trainSeconds).toFixed(1)} s; speed ratio (ours samples/s ÷ TF.js) ${(so.samplesPerSecond / st.samplesPerSecond).toFixed(2)}; ` +
      `run ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`,
  );
  if (leak) console.log(`note: TF.js live tensors grew from ${tensorsAfter[0]} to ${tensorsAfter.at(-1)} over the epochs (a leak in this script?)`);
  const failed = gap < -MAX_DEFICIT - 1e-12;
  console.log(
    failed
      ? `FAIL: webgrad's test accuracy ${pct(so.testAccuracy)} is ${(-100 * gap).toFixed(2)} points below TF.js's ${pct(st.testAccuracy)} (allowed: ${100 * MAX_DEFICIT})`
      : `ok: webgrad ${pct(so.testAccuracy)} vs TF.js ${pct(st.testAccuracy)} (${gap >= 0 ? '+' : ''}${(100 * gap).toFixed(2)} points; fail below −${100 * MAX_DEFICIT})`,
  );

  const adapter = e.adapter;
  peerTrainer.dispose();
  model.dispose();
  peer.destroy();
  e.destroy();
  // Let device-lost callbacks (which may log) run before the JSON line, which must be last.
  await new Promise((resolve) => setTimeout(resolve, 100));
  if (o.json) {
    console.log(
      JSON.stringify({
        dataset: data.name,
        epochs: o.epochs,
        seed: o.seed,
        trainCount: data.train.count,
        testCount: data.test.count,
        adapter,
        ours: so,
        tfjs: { ...st, version: peer.version },
        accuracyGap: Number(gap.toFixed(6)), // 1e-6 = 0.0001 points: drops float noise like 5.00000000000056e-4
      }),
    );
  }
  return failed ? 1 : 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    // Dawn keeps the event loop alive; exit explicitly once stdout has drained.
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`bench:train: ${err.message}`);
      process.exit(2);
    }
    console.error(`bench:train: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(3);
  },
);
