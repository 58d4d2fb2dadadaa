// TrainingStep.prepare(): the step's pipelines are compiled ahead (createComputePipelineAsync)
// so the first run creates none synchronously; planning records no GPU work, writes nothing
// and does not advance the optimizer, so a prepared step computes what an unprepared one does.

import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/index';
import { dense, sequential } from '../src/nn/layers';
import { Optimizer } from '../src/nn/optimizers';
import { TrainingStep } from '../src/schedule/step';
import { randomArray, testProfile } from './backends';

/** A 12-16-3 MLP step with Adam on a fixed batch; counts pipeline creations on its device. */
async function setUp(): Promise<{ e: Engine; step: TrainingStep; created: { sync: number; async: number }; dispose: () => void }> {
  // A fresh device: nothing compiled yet (engines on one device share its pipelines).
  const e = await createEngine({ backend: 'webgpu', profile: testProfile, tune: 'off' });
  const device = e.device!;
  const created = { sync: 0, async: 0 };
  const sync = device.createComputePipeline.bind(device);
  const async = device.createComputePipelineAsync.bind(device);
  device.createComputePipeline = (d) => (created.sync++, sync(d));
  device.createComputePipelineAsync = (d) => (created.async++, async(d));
  const model = sequential([dense(12, 16, { activation: 'relu' }), dense(16, 3)]).build(e, 7);
  const opt = new Optimizer(e, model.params, { kind: 'adam', lr: 0.01 });
  const x = e.tensor(randomArray(5 * 12, 3), [5, 12]);
  const labels = Int32Array.from([0, 1, 2, 1, 0]);
  const step = new TrainingStep(e, () => e.softmaxCrossEntropy(model.forward(x), labels), opt);
  return { e, step, created, dispose: () => e.destroy() };
}

describe('TrainingStep.prepare', () => {
  it('compiles every pipeline of the step ahead: the first run creates none', async () => {
    const { e, step, created, dispose } = await setUp();
    const before = e.stats().queue;
    await step.prepare();
    expect(created.async).toBeGreaterThan(3);
    expect(created.sync).toBe(0);
    // planning recorded and submitted nothing
    expect(e.stats().queue).toEqual(before);
    expect(e.planning).toBe(false);
    await step.run(true);
    await step.run(true);
    expect(created.sync).toBe(0);
    dispose();
  });

  it('has no side effects: a prepared step trains exactly as an unprepared one', async () => {
    const losses = async (prepare: boolean) => {
      const { step, dispose } = await setUp();
      if (prepare) await step.prepare();
      const out = [await step.run(true), await step.run(true), await step.run(true)];
      dispose();
      return out;
    };
    // same device kind, same kernels, same inputs: bit-identical losses (Adam's step count
    // included: a planned step must not advance it)
    expect(await losses(true)).toEqual(await losses(false));
  });

  it('a read while planning is refused', async () => {
    const { e, dispose } = await setUp();
    const t = e.tensor([1, 2], [2]);
    let err: unknown = null;
    await e.prepare(() => {
      e.relu(t).read().catch((x: unknown) => (err = x));
    });
    expect(String(err)).toMatch(/cannot be read while a step is being planned/);
    dispose();
  });
});
