// The op table: every op is registered under its own name, and an op without a gradient
// says why when valueAndGrad reaches it (a missing backward rule does not compile).

import { describe, expect, it } from 'vitest';
import { cpu } from './backends';
import { opTable, updateTable } from '../src/ops/table';

describe('op table', () => {
  it('registers every op and update under the name it reports in errors', () => {
    for (const [key, def] of Object.entries({ ...opTable, ...updateTable })) expect(def.name).toBe(key);
  });

  it('every op has a backward rule or a stated reason why it has none', () => {
    for (const def of Object.values(opTable)) {
      const b = def.backward;
      expect(typeof b === 'function' || (typeof b.nonDifferentiable === 'string' && b.nonDifferentiable.length > 10)).toBe(true);
    }
  });

  it('valueAndGrad through a non-differentiable op reports the op, its input shapes and the reason', async () => {
    const e = await cpu();
    const x = e.tensor([0.5, -1], [2]);
    const attrs = { kind: 'sigmoid', alpha: 0, gradAtZero: 0 } as const;
    await expect(e.valueAndGrad((a) => e.sum(e.run1('activationGrad', [a!, a!, a!], attrs)))(x)).rejects.toThrow(
      /op activationGrad \(inputs \[2\], \[2\], \[2\]\) has no gradient: activationGrad is a backward kernel/,
    );
    expect(x.isDisposed).toBe(false);
    expect(e.stats().liveTensors).toBe(1);
  });
});
