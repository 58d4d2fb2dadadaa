// The training page's run loop (app/session.ts) on both backends: reports, gradient norms
// against the CPU reference, pause/resume, stop, the NaN stop that keeps the last good weights,
// and a lost device. A small synthetic dataset keeps it fast.

import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/index';
import { createRng } from '../src/data/batches';
import { makeSplit, type Dataset } from '../src/data/dataset';
import { dense, sequential, type Sequential } from '../src/nn/layers';
import { TrainingSession, readWeights, type EpochReport, type SessionConfig } from '../app/session';
import { cpu, expectClose, gpu } from './backends';

const FEATURES = 12;
const CLASSES = 3;

/** Three noisy clusters (class c has mean +1 on features c, c+3, ...): learnable in an epoch. */
function clusters(count: number, seed: number) {
  const rng = createRng(seed);
  const images = new Float32Array(count * FEATURES);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % CLASSES;
    labels[i] = c;
    for (let f = 0; f < FEATURES; f++) images[i * FEATURES + f] = (f % CLASSES === c ? 1 : 0) + 0.3 * (rng.next() - 0.5);
  }
  return makeSplit(images, labels, FEATURES, CLASSES);
}

const data: Dataset = { name: 'clusters', train: clusters(96, 1), test: clusters(30, 2) };
const model = (e: Engine, activation: 'tanh' | 'relu' = 'tanh'): Sequential =>
  sequential([dense(FEATURES, 16, { activation }), dense(16, CLASSES)]).build(e, 3);
const config = (over: Partial<SessionConfig> = {}): SessionConfig => ({
  epochs: 2,
  batchSize: 8,
  optimizer: { kind: 'adam', lr: 0.01 },
  labelSmoothing: 0.1,
  seed: 5,
  lossEvery: 2,
  normsEvery: 3,
  checkpointEvery: 4,
  ...over,
});

async function train(e: Engine, cfg = config()) {
  const m = model(e);
  const losses: [number, number][] = [];
  const norms: [number, number[]][] = [];
  const epochs: EpochReport[] = [];
  const session = new TrainingSession(m, data, cfg, {
    onLoss: (step, _x, l) => losses.push([step, l]),
    onNorms: (step, _x, n) => norms.push([step, n]),
    onEpoch: (r) => void epochs.push(r),
  });
  const outcome = await session.run();
  return { m, session, outcome, losses, norms, epochs };
}

describe('app/session.ts: the training page loop', () => {
  it('trains and reports the same losses and gradient norms on WebGPU as on the CPU reference', async () => {
    const [g, c] = [await train(await gpu()), await train(await cpu())];
    for (const r of [g, c]) {
      expect(r.outcome).toMatchObject({ kind: 'done', step: 24, epoch: 2 }); // 96 / 8 = 12 steps per epoch
      expect(r.epochs.map((x) => x.epoch)).toEqual([1, 2]);
      expect(r.epochs[1]!.trainLoss).toBeLessThan(r.epochs[0]!.trainLoss);
      expect(r.epochs[1]!.testAccuracy).toBeGreaterThan(0.9); // the clusters separate; chance is 1/3
      // Loss reads at the first step of each epoch and every 2 steps; norms at step 1 and every 3.
      expect(r.losses.map(([s]) => s)).toEqual([1, 2, 4, 6, 8, 10, 12, 13, 14, 16, 18, 20, 22, 24]);
      expect(r.norms.map(([s]) => s)).toEqual([1, 3, 6, 9, 12, 15, 18, 21, 24]);
      for (const [, n] of r.norms) expect(n.length).toBe(2); // one norm per dense layer
    }
    // Same weights, batches and arithmetic up to f32 rounding order: a few steps of Adam stay
    // within 1e-3 relative (Adam's normalisation amplifies rounding in tiny gradients).
    expectClose(g.losses.map(([, l]) => l), c.losses.map(([, l]) => l), 1e-4, 1e-3, 'losses');
    expectClose(g.norms.flatMap(([, n]) => n), c.norms.flatMap(([, n]) => n), 1e-5, 1e-3, 'gradient norms');
    g.m.dispose();
    c.m.dispose();
  });

  it('gradient norms are ‖∂L/∂W‖ and ‖∂L/∂b‖ of each layer together, as valueAndGrad computes them', async () => {
    const e = await cpu('f64');
    const r = await train(e, config({ epochs: 1, normsEvery: 1000, lossEvery: 1000 }));
    // Step 1 of a fresh model: recompute the first batch's gradients by hand.
    const m = model(e);
    const first = r.norms[0]!;
    expect(first[0]).toBe(1);
    const rng = createRng(5);
    const { batches } = await import('../src/data/batches');
    const batch = batches(data.train, 8, { shuffle: true, rng }).next().value!;
    const x = e.tensor(batch.x, [8, FEATURES]);
    const { grads } = await e.valueAndGrad((...p) => {
      void p;
      return e.softmaxCrossEntropy(m.forward(x), batch.labels, { labelSmoothing: 0.1 });
    })(...m.params);
    const sq = await Promise.all(grads.map(async (g) => (await g.read()).reduce((s, v) => s + v * v, 0)));
    expectClose(first[1], [Math.sqrt(sq[0]! + sq[1]!), Math.sqrt(sq[2]! + sq[3]!)], 1e-9, 1e-6, 'norms at step 1');
    m.dispose();
    r.m.dispose();
  });

  it('pauses (no step is recorded while paused) and resumes to the end', async () => {
    const e = await gpu();
    const m = model(e);
    let steps = 0;
    const session = new TrainingSession(m, data, config({ epochs: 3 }), { onProgress: (_ep, _i, _n, s) => (steps = s) });
    const running = session.run();
    while (steps < 5) await new Promise((r) => setTimeout(r, 1));
    session.pause();
    expect(session.paused).toBe(true);
    await new Promise((r) => setTimeout(r, 50)); // the step being recorded finishes
    const atPause = steps;
    await new Promise((r) => setTimeout(r, 300));
    expect(steps).toBe(atPause);
    expect(atPause).toBeLessThan(36);
    session.resume();
    expect(await running).toMatchObject({ kind: 'done', step: 36, epoch: 3 });
    m.dispose();
  });

  it('stops early and reports only complete epochs', async () => {
    const e = await gpu();
    const m = model(e);
    let session: TrainingSession | null = null;
    session = new TrainingSession(m, data, config({ epochs: 50 }), { onProgress: (_ep, _i, _n, s) => s === 15 && session!.stop() });
    const outcome = await session.run();
    expect(outcome).toMatchObject({ kind: 'stopped', epoch: 1 }); // stopped in epoch 2 at step 15
    m.dispose();
  });

  it('a diverging learning rate stops training at the NaN, naming the step, with the last good weights kept', async () => {
    for (const e of [await gpu(), await cpu()]) {
      // ReLU does not saturate: with this step size the weights grow without bound until the
      // logits overflow, within a few steps.
      const m = model(e, 'relu');
      const session = new TrainingSession(m, data, config({ epochs: 5, optimizer: { kind: 'sgd', lr: 1e12 }, lossEvery: 1 }));
      const outcome = await session.run();
      expect(outcome.kind).toBe('diverged');
      if (outcome.kind !== 'diverged') return;
      expect(outcome.step).toBeGreaterThan(0);
      expect(outcome.step).toBeLessThan(10);
      expect(outcome.restored.step).toBeLessThan(outcome.step);
      const now = await readWeights(m);
      for (const [name, t] of Object.entries(now)) {
        expect(t.data.every(Number.isFinite), `${e.backend}: ${name} finite`).toBe(true);
        expect(Array.from(t.data)).toEqual(Array.from(outcome.restored.weights[name]!.data));
      }
      const y = await e.tidy(() => e.softmax(m.forward(e.tensor(data.test.images.slice(0, FEATURES), [1, FEATURES])))).read();
      expect(y.every(Number.isFinite)).toBe(true);
      m.dispose();
    }
  });

  it('a lost device ends the run with the last good weights to restart from', async () => {
    const e = await createEngine({ backend: 'webgpu' }); // its own device: this test destroys it
    const m = model(e);
    let session: TrainingSession | null = null;
    session = new TrainingSession(m, data, config({ epochs: 50 }), { onProgress: (_ep, _i, _n, s) => s === 30 && e.device!.destroy() });
    const outcome = await session.run();
    expect(outcome.kind).toBe('lost');
    if (outcome.kind !== 'lost') return;
    expect(outcome.message).toMatch(/destroyed/);
    expect(outcome.lastGood?.step).toBeGreaterThanOrEqual(12); // the end of epoch 1, at least
    // A new engine restarts from those weights.
    const e2 = await cpu();
    const m2 = model(e2);
    m2.loadStateDict(outcome.lastGood!.weights, 'last good');
    const again = await new TrainingSession(m2, data, config({ epochs: 1, startStep: outcome.lastGood!.step, startEpoch: outcome.lastGood!.epoch })).run();
    expect(again).toMatchObject({ kind: 'done', step: outcome.lastGood!.step + 12 });
    m2.dispose();
  });
});
