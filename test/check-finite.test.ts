// EngineOptions.checkFinite: the first op whose output holds NaN or ±Inf is named (with its
// input and output shapes), in the forward pass, in a backward rule, in an in-place update,
// or as the data a tensor was made from. The CPU throws at that op; WebGPU flags it on the
// device and the next read, sync or valueAndGrad rejects. Either way the engine goes on.

import { describe, expect, it } from 'vitest';

import { createEngine, dense, losses, Optimizer, sequential, TrainingStep, type Engine } from '../src/index';

const backends = ['webgpu', 'cpu'] as const;
const engines = new Map<string, Promise<Engine>>();
const checked = (backend: (typeof backends)[number]) => {
  if (!engines.has(backend)) engines.set(backend, createEngine({ backend, checkFinite: true }));
  return engines.get(backend)!;
};

/** Runs `ops` and reads what it returns: on the CPU an op throws, on the GPU the read rejects. */
async function firstReport(e: Engine, ops: () => { read: () => Promise<unknown> }): Promise<string> {
  try {
    const out = ops();
    await out.read();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('checkFinite names the first op that produced a non-finite value', () => {
  for (const backend of backends) {
    it(`${backend}: forward ops, then the engine goes on`, async () => {
      const e = await checked(backend);
      const a = e.tensor([1e30, 2, -3], [3]);
      // relu and scale stay finite; mul overflows to Inf; sub then makes NaN (Inf - Inf).
      const msg = await firstReport(e, () => {
        const b = e.scale(e.relu(a), 2);
        const c = e.mul(b, b);
        return e.sub(c, c);
      });
      expect(msg).toMatch(/^checkFinite: mul \(inputs \[3\], \[3\]\) produced NaN or ±Inf in \[3\]: the first op to do so/);
      // Reported once; later finite work reads normally.
      expect(Array.from(await e.relu(e.tensor([-1, 5], [2])).read())).toEqual([0, 5]);
      await e.sync();
      a.dispose();
    });

    it(`${backend}: a backward rule (the gradient of a matmul overflows)`, async () => {
      const e = await checked(backend);
      // f(w) = 1e25 · Σ a·w: a·w ≈ [1, 2] and f ≈ 3e25 are finite, but the gradient
      // aᵀ·(1e25, 1e25) reaches 1e45: the matmul in matmul's backward rule overflows.
      const a = e.tensor([1e20, 1], [1, 2]);
      const w = e.tensor([1e-20, 2e-20, 3e-20, 4e-20], [2, 2]);
      const msg = await e
        .valueAndGrad((t) => e.sum(e.scale(e.matmul(a, t), 1e25)))(w)
        .then(() => 'no error', (err: Error) => err.message);
      expect(msg).toMatch(/^checkFinite: matmul \(inputs \[1, 2\], \[1, 2\]\) produced NaN or ±Inf in \[2, 2\]/);
      [a, w].forEach((t) => t.dispose());
    });

    it(`${backend}: data given to tensor() or write(), named as such`, async () => {
      const e = await checked(backend);
      const msg = await firstReport(e, () => e.tensor([0, Number.NaN], [2]));
      expect(msg).toMatch(/^checkFinite: tensor \(the data given\) produced NaN or ±Inf in \[2\]/);
      const t = e.tensor([1, 2], [2]);
      const msg2 = await firstReport(e, () => {
        e.write(t, [Number.POSITIVE_INFINITY, 0]);
        return t;
      });
      expect(msg2).toMatch(/^checkFinite: write \(the data given\) produced NaN or ±Inf in \[2\]/);
      t.dispose();
    });

    it(`${backend}: training with an optimizer is clean until a step blows up`, async () => {
      const e = await checked(backend);
      const model = sequential([dense(3, 4, { activation: 'relu' }), dense(4, 2)]).build(e, 1);
      e.write(model.params[0]!, new Float32Array(12).fill(0.5)); // so 3 · 0.5 · 3e38 overflows below
      const opt = new Optimizer(e, model.params, { kind: 'adam', lr: 0.01 });
      let x = e.tensor([1, 2, 3, -1, 0, 2], [2, 3]);
      const step = new TrainingStep(e, () => losses.softmaxCrossEntropy().compute(e, model.forward(x), Int32Array.of(0, 1)), opt);
      for (let i = 0; i < 3; i++) expect(Number.isFinite(await step.run(true))).toBe(true);
      x.dispose();
      x = e.tensor([3e38, 3e38, 3e38, 1, 1, 1], [2, 3]); // the first matmul overflows
      // (async: on the CPU the step throws at once, on the GPU its read rejects)
      const msg = await (async () => step.run(true))().then(() => 'no error', (err: Error) => err.message);
      expect(msg).toMatch(/^checkFinite: matmul \(inputs \[2, 3\], \[4, 3\], \[4\]\) produced NaN or ±Inf in \[2, 4\]/);
      x.dispose();
      opt.dispose();
      model.dispose();
    });
  }

  it('off by default: no extra work, and NaN flows through as the ops define', async () => {
    const e = await createEngine({ backend: 'webgpu' });
    const on = await checked('webgpu');
    const count = async (eng: Engine) => {
      const before = eng.stats().queue.dispatches;
      const y = eng.relu(eng.tensor([1, 2], [2]));
      await y.read();
      return eng.stats().queue.dispatches - before;
    };
    expect(await count(e)).toBe(1);
    expect(await count(on)).toBe(3); // the tensor, relu, and a check of each
    expect(Number.isNaN((await e.relu(e.tensor([Number.NaN], [1])).read())[0])).toBe(true);
    e.destroy();
  });
});
