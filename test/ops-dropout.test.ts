// dropout: the GPU draws exactly the CPU reference's mask (same seed, same bits), survivors
// are scaled by 1/(1 − rate), the keep rate and the independence of masks across seeds and
// neighbouring elements are what a fair coin gives, the gradient applies the same mask, and
// it is the identity when not training.

import { describe, expect, it } from 'vitest';
import { both, cpu, f64, gpu, randomArray } from './backends';
import { checkGradients } from './gradcheck';
import { dropoutCpu, dropoutKeeps } from '../src/cpu/dropout';

describe('dropout', () => {
  for (const [n, rate, seed] of [[1, 0.5, 0], [1000, 0.1, 7], [4099, 0.5, 123456789], [3 * 97, 0.9, 2 ** 32 - 1]] as const) {
    it(`the GPU mask and values equal the CPU reference bit for bit: n ${n}, rate ${rate}, seed ${seed}`, async () => {
      const x = randomArray(n, n, -2, 2);
      const want = Float32Array.from(dropoutCpu(Float64Array.from(x), rate, seed));
      const [g, c] = await both(async (e) => e.dropout(e.tensor(x, [n]), rate, { seed, training: true }).read());
      expect(Array.from(g)).toEqual(Array.from(want));
      expect(Array.from(c)).toEqual(Array.from(want));
      for (let i = 0; i < n; i++) {
        const kept = dropoutKeeps(i, seed, rate);
        expect(g[i]).toBe(kept ? Math.fround(x[i]! * Math.fround(1 / (1 - rate))) : 0);
      }
    });
  }

  it('keeps a fraction 1 − rate of elements, independently across seeds and neighbours', () => {
    const n = 100_000;
    const rate = 0.3;
    const a = Array.from({ length: n }, (_, i) => dropoutKeeps(i, 42, rate));
    const b = Array.from({ length: n }, (_, i) => dropoutKeeps(i, 43, rate));
    const q = 1 - rate;
    const kept = a.filter(Boolean).length;
    // binomial: σ = √(n p q) ≈ 145; 5σ bounds a correct generator's failure at ~1e-6
    const sigma = Math.sqrt(n * rate * q);
    expect(Math.abs(kept - n * q)).toBeLessThan(5 * sigma);
    // neighbouring seeds and neighbouring elements agree as often as independent coins (p² + q²)
    const agreeSeeds = a.filter((v, i) => v === b[i]).length;
    const agreeNext = a.slice(1).filter((v, i) => v === a[i]).length;
    const pAgree = rate * rate + q * q;
    const sAgree = Math.sqrt(n * pAgree * (1 - pAgree));
    expect(Math.abs(agreeSeeds - n * pAgree)).toBeLessThan(5 * sAgree);
    expect(Math.abs(agreeNext - n * pAgree)).toBeLessThan(5 * sAgree);
  });

  it('is the identity when not training or at rate 0; rate 1 drops everything', async () => {
    await both(async (e) => {
      const x = e.tensor([1, 2, 3], [3]);
      expect(e.dropout(x, 0.5, { seed: 1, training: false })).toBe(x);
      expect(e.dropout(x, 0, { seed: 1, training: true })).toBe(x);
      expect(Array.from(await e.dropout(x, 1, { seed: 1, training: true }).read())).toEqual([0, 0, 0]);
    });
  });

  it('the gradient is the same mask and scale (finite differences, f64) and matches on the GPU', async () => {
    const e = await cpu('f64');
    const r = e.tensor(f64(40, 3), [5, 8]);
    await checkGradients(e, (x) => e.sum(e.mul(e.dropout(x!, 0.4, { seed: 9, training: true }), r)), [{ data: f64(40, 4), shape: [5, 8] }]);
    const rv = randomArray(40, 5);
    const [g, c] = await both(async (eng) => {
      const { grads } = await eng.valueAndGrad((x) => eng.sum(eng.mul(eng.dropout(x!, 0.4, { seed: 9, training: true }), eng.tensor(rv, [5, 8]))))(eng.tensor(randomArray(40, 6), [5, 8]));
      return grads[0]!.read();
    });
    expect(Array.from(g)).toEqual(Array.from(c));
    expect(Array.from(g)).toEqual(Array.from(Float32Array.from(dropoutCpu(Float64Array.from(rv), 0.4, 9))));
  });

  it('errors name the op', async () => {
    const e = await gpu();
    const x = e.tensor([1], [1]);
    expect(() => e.dropout(x, 1.5, { seed: 1, training: true })).toThrow(/dropout: rate must be a number in \[0, 1\]/);
    expect(() => e.dropout(x, 0.5, { seed: -1, training: true })).toThrow(/dropout: seed must be an integer in \[0, 2\^32\)/);
    expect(() => e.dropout(x, 0.5, { seed: 1.5, training: true })).toThrow(/dropout: seed must be an integer/);
    expect(() => e.dropout(x, 0.5, { seed: 1 } as never)).toThrow(/dropout: options must be \{ seed, training \}/);
  });
});
