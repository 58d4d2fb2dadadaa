// Faults of the device: a lost device (device.destroy(), as a driver reset or a tab in the
// background would do) makes every later call fail with an error that says so; a new engine
// can be created at once; and training resumed from the last weights saved to disk gives the
// same numbers as the run that was never interrupted. An engine on a caller's device frees
// every buffer it created when destroyed, and leaves the device working.
// Node only: checkpoints go to disk through saveSafetensors (atomic rename).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { createEngine, dense, losses, Optimizer, sequential, TrainingStep, type Engine, type Sequential } from '../src/index';
import { acquireDevice } from '../src/gpu/device';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors-node';
import { createRng } from '../src/data/batches';

const tmp = mkdtempSync(join(tmpdir(), 'webgrad-loss-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LOST = /WebGPU device lost \(destroyed\)/;

describe('a lost device', () => {
  it('fails every call with an error that says the device was lost; a new engine works', async () => {
    const e = await createEngine({ backend: 'webgpu' });
    const x = e.tensor([1, -2, 3, -4], [2, 2]);
    const w = e.tensor([0.5, 0.25, -1, 2], [2, 2]);
    const inFlight = e.matmul(x, w).read();
    e.device!.destroy();
    // A read in flight when the device went: Dawn rejects mapAsync with a bare AbortError.
    await expect(inFlight).rejects.toThrow(LOST);
    const calls: [string, () => unknown][] = [
      ['tensor', () => e.tensor([1], [1])],
      ['zeros', () => e.zeros([3])],
      ['relu', () => e.relu(x)],
      ['matmul', () => e.matmul(x, w, { transposeB: true, bias: e.tensor([1, 2], [2]) })],
      ['add', () => e.add(x, w)],
      ['sum', () => e.sum(x, 0)],
      ['softmax', () => e.softmax(x)],
      ['softmaxCrossEntropy', () => e.softmaxCrossEntropy(x, Int32Array.of(0, 1))],
      ['write', () => e.write(x, [1, 2, 3, 4])],
      ['reshape', () => e.reshape(x, [4])],
    ];
    for (const [name, call] of calls) expect(call, name).toThrow(LOST);
    await expect(x.read()).rejects.toThrow(LOST);
    await expect(e.sync()).rejects.toThrow(LOST);
    await expect(e.valueAndGrad((a) => e.sum(a))(x)).rejects.toThrow(LOST);
    expect(() => e.destroy()).not.toThrow();

    const fresh = await createEngine({ backend: 'webgpu' });
    expect(Array.from(await fresh.relu(fresh.tensor([1, -2], [2])).read())).toEqual([1, 0]);
    fresh.destroy();
  });

  // SGD keeps no state besides the weights, so a run resumed from saved weights must repeat
  // the uninterrupted run exactly (same kernels, same inputs, deterministic reductions).
  it('training resumes from the last saved weights with the same results as an uninterrupted run', async () => {
    const STEPS = 20;
    const CHECKPOINT = 10;
    const LOST_AT = 14;
    const rng = createRng(5);
    const xs = Float32Array.from({ length: 32 * 6 }, () => rng.normal());
    const labels = Int32Array.from({ length: 32 }, () => rng.nextInt(3));
    const spec = () => sequential([dense(6, 8, { activation: 'tanh' }), dense(8, 3)]);
    const loss = losses.softmaxCrossEntropy();

    // Steps [from, to) on batch k % 4 (8 rows each); `beforeRead` may pull the plug mid-step.
    const train = async (e: Engine, model: Sequential, from: number, to: number, beforeRead?: (k: number) => void) => {
      const opt = new Optimizer(e, model.params, { kind: 'sgd', lr: 0.2 });
      const curve: number[] = [];
      let batch = e.zeros([8, 6]);
      let y = labels.subarray(0, 8);
      const step = new TrainingStep(e, () => loss.compute(e, model.forward(batch), y), opt);
      try {
        for (let k = from; k < to; k++) {
          const b = k % 4;
          batch.dispose();
          batch = e.tensor(xs.subarray(b * 48, b * 48 + 48), [8, 6]);
          y = labels.subarray(b * 8, b * 8 + 8);
          const value = step.run(true);
          beforeRead?.(k);
          curve.push(await value);
        }
      } finally {
        batch.dispose();
        opt.dispose();
      }
      return curve;
    };
    const weights = async (model: Sequential) => Object.values(await model.stateDict()).map((t) => Array.from(t.data));

    // The uninterrupted run.
    const e1 = await createEngine({ backend: 'webgpu' });
    const m1 = spec().build(e1, 3);
    const whole = [...(await train(e1, m1, 0, CHECKPOINT)), ...(await train(e1, m1, CHECKPOINT, STEPS))];
    const final1 = await weights(m1);
    e1.destroy();

    // The interrupted run: a checkpoint at step 10, the device lost during step 14.
    const path = join(tmp, 'checkpoint.safetensors');
    const e2 = await createEngine({ backend: 'webgpu' });
    const m2 = spec().build(e2, 3);
    const first = await train(e2, m2, 0, CHECKPOINT);
    saveSafetensors(path, await m2.stateDict(), { step: String(CHECKPOINT) });
    await expect(train(e2, m2, CHECKPOINT, STEPS, (k) => k === LOST_AT && e2.device!.destroy())).rejects.toThrow(LOST);
    expect(() => m2.forward(e2.zeros([1, 6]))).toThrow(LOST);
    e2.destroy();

    // A new engine, the saved weights, the remaining steps.
    const e3 = await createEngine({ backend: 'webgpu' });
    const m3 = spec().build(e3, 99); // other initial weights: the checkpoint must replace them
    const saved = loadSafetensors(path);
    expect(saved.metadata.step).toBe(String(CHECKPOINT));
    m3.loadStateDict(saved.tensors, path);
    const resumed = await train(e3, m3, CHECKPOINT, STEPS);
    expect([...first, ...resumed]).toEqual(whole);
    expect(await weights(m3)).toEqual(final1);
    expect(resumed.at(-1)!).toBeLessThan(whole[0]!);
    m3.dispose();
    e3.destroy();
  });
});

describe("an engine on the caller's device", () => {
  it('destroy() frees every buffer the engine created (pool, uniforms, staging) and leaves the device usable', async () => {
    const dev = await acquireDevice();
    const device = dev.device;
    const created = new Set<GPUBuffer>();
    const destroyed = new Set<GPUBuffer>();
    const createBuffer = device.createBuffer.bind(device);
    device.createBuffer = (desc: GPUBufferDescriptor) => {
      const b = createBuffer(desc);
      created.add(b);
      const destroy = b.destroy.bind(b);
      b.destroy = () => {
        destroyed.add(b);
        destroy();
      };
      return b;
    };
    try {
      const e = await createEngine({ backend: 'webgpu', device });
      const model = sequential([dense(5, 7, { activation: 'relu' }), dense(7, 2)]).build(e, 1);
      const opt = new Optimizer(e, model.params, { kind: 'adam', lr: 0.01 });
      const x = e.tensor(Float32Array.from({ length: 20 }, (_, i) => Math.cos(i)), [4, 5]);
      const step = new TrainingStep(e, () => e.softmaxCrossEntropy(model.forward(x), Int32Array.of(0, 1, 1, 0)), opt);
      for (let i = 0; i < 3; i++) await step.run(true);
      await e.softmax(x).read();
      const kinds = new Set([...created].map((b) => b.usage));
      expect(kinds.has(GPUBufferUsage.UNIFORM)).toBe(true);
      expect(kinds.has(GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST)).toBe(true);
      e.destroy();
      const leaked = [...created].filter((b) => !destroyed.has(b));
      expect(leaked.map((b) => `${b.size} bytes, usage ${b.usage}`)).toEqual([]);
      expect(() => e.relu(x)).toThrow(/engine was destroyed/);
      // The device is the caller's: still alive, and another engine can use it.
      const again = await createEngine({ backend: 'webgpu', device });
      expect(Array.from(await again.scale(again.tensor([1, 2], [2]), 2).read())).toEqual([2, 4]);
      again.destroy();
    } finally {
      device.createBuffer = createBuffer;
      device.destroy();
    }
  });
});
