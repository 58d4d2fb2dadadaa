// Concurrency: two engines sharing one device, two training loops interleaved step by step on
// one engine, and two fit() calls running at once, each give the same numbers as the same run
// alone (bit for bit: the kernels are deterministic). And fit's onStep callbacks arrive in step
// order even though the steps whose loss is read back resolve later.

import { describe, expect, it } from 'vitest';

import { createEngine, dense, fit, losses, makeSplit, Optimizer, sequential, TrainingStep, type Engine, type StepInfo } from '../src/index';
import { acquireDevice } from '../src/gpu/device';
import { createRng } from '../src/data/batches';
import { cpu, gpu } from './backends';

const rng = createRng(21);
const data = Float32Array.from({ length: 48 * 5 }, () => rng.normal());
const labels = Int32Array.from({ length: 48 }, () => rng.nextInt(3));

/** A training run as a generator: each next() records one step and yields its loss promise,
 *  so the caller decides how runs interleave. */
function* run(e: Engine, seed: number, kind: 'sgd' | 'adam', steps: number): Generator<Promise<number>, Promise<number[]>> {
  const model = sequential([dense(5, 7, { activation: seed % 2 ? 'tanh' : 'relu' }), dense(7, 3)]).build(e, seed);
  const opt = new Optimizer(e, model.params, kind === 'adam' ? { kind, lr: 0.01 } : { kind, lr: 0.1 });
  let x = e.zeros([12, 5]);
  let y = labels.subarray(0, 12);
  const step = new TrainingStep(e, () => losses.softmaxCrossEntropy({ labelSmoothing: 0.1 }).compute(e, model.forward(x), y), opt);
  for (let k = 0; k < steps; k++) {
    const b = (k + seed) % 4;
    x.dispose();
    x = e.tensor(data.subarray(b * 60, b * 60 + 60), [12, 5]);
    y = labels.subarray(b * 12, b * 12 + 12);
    yield step.run(true);
  }
  return (async () => {
    const weights = Object.values(await model.stateDict()).flatMap((t) => Array.from(t.data));
    x.dispose();
    opt.dispose();
    model.dispose();
    return weights;
  })();
}

/** Runs the generators round-robin, one step each in turn; returns each run's losses
 *  followed by its final weights. */
async function interleave(...runs: Generator<Promise<number>, Promise<number[]>>[]): Promise<number[][]> {
  const stepLosses: Promise<number>[][] = runs.map(() => []);
  const weights: (Promise<number[]> | null)[] = runs.map(() => null);
  while (weights.some((w) => w === null)) {
    runs.forEach((r, i) => {
      if (weights[i]) return;
      const next = r.next();
      if (next.done) weights[i] = next.value;
      else stepLosses[i]!.push(next.value);
    });
  }
  return Promise.all(runs.map(async (_, i) => [...(await Promise.all(stepLosses[i]!)), ...(await weights[i]!)]));
}

const alone = async (make: () => Promise<Engine>, seed: number, kind: 'sgd' | 'adam') => (await interleave(run(await make(), seed, kind, 15)))[0]!;

describe('two training loops at once give the same results as each alone', () => {
  it('interleaved step by step on one engine (webgpu and cpu)', async () => {
    for (const make of [gpu, () => cpu()]) {
      const e = await make();
      const [a, b] = await interleave(run(e, 1, 'sgd', 15), run(e, 2, 'adam', 15));
      expect(a).toEqual(await alone(make, 1, 'sgd'));
      expect(b).toEqual(await alone(make, 2, 'adam'));
    }
  });

  it('two engines sharing one device', async () => {
    const dev = await acquireDevice();
    try {
      const e1 = await createEngine({ backend: 'webgpu', device: dev.device });
      const e2 = await createEngine({ backend: 'webgpu', device: dev.device });
      const [a, b] = await interleave(run(e1, 3, 'adam', 15), run(e2, 4, 'sgd', 15));
      e1.destroy();
      // e1's destroy must not disturb e2 (the device is the caller's).
      expect(Array.from(await e2.relu(e2.tensor([-1, 1], [2])).read())).toEqual([0, 1]);
      e2.destroy();
      expect(a).toEqual(await alone(gpu, 3, 'adam'));
      expect(b).toEqual(await alone(gpu, 4, 'sgd'));
    } finally {
      dev.device.destroy();
    }
  });

  it('two fit() calls running at once on one engine', async () => {
    const e = await gpu();
    const split = makeSplit(data, labels, 5, 3);
    const train = async (seed: number) => {
      const model = sequential([dense(5, 6, { activation: 'relu' }), dense(6, 3)]).build(e, seed);
      const curve: number[] = [];
      const r = await fit(model, split, { epochs: 3, batchSize: 8, seed, optimizer: { kind: 'adam', lr: 0.01 }, loss: losses.softmaxCrossEntropy(), lossEvery: 2, onStep: (s) => s.loss !== undefined && curve.push(s.loss) });
      const weights = Object.values(await model.stateDict()).flatMap((t) => Array.from(t.data));
      model.dispose();
      return { epochs: r.epochs.map((ep) => ep.trainLoss), curve, weights };
    };
    const [a, b] = await Promise.all([train(5), train(6)]);
    expect(a).toEqual(await train(5));
    expect(b).toEqual(await train(6));
  });
});

describe('fit reports steps in order', () => {
  for (const [name, make] of [['webgpu', gpu], ['cpu', () => cpu()]] as const) {
    it(`${name}: onStep sees 1, 2, 3, ... with the loss on the read-back steps`, async () => {
      const e = await make();
      const model = sequential([dense(5, 4, { activation: 'tanh' }), dense(4, 3)]).build(e, 1);
      const seen: StepInfo[] = [];
      const r = await fit(model, makeSplit(data, labels, 5, 3), {
        epochs: 2,
        batchSize: 4,
        optimizer: { kind: 'sgd', lr: 0.05 },
        loss: losses.softmaxCrossEntropy(),
        lossEvery: 5,
        onStep: (s) => seen.push(s),
      });
      model.dispose();
      expect(r.steps).toBe(24);
      expect(seen.map((s) => s.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      expect(seen.map((s) => s.epoch)).toEqual(Array.from({ length: 24 }, (_, i) => (i < 12 ? 1 : 2)));
      const read = seen.filter((s) => s.loss !== undefined).map((s) => s.step);
      expect(read).toEqual([1, 5, 10, 15, 20]);
      expect(seen.every((s) => s.loss === undefined || Number.isFinite(s.loss))).toBe(true);
    });
  }
});
