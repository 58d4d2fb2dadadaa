// Inverted dropout with a counter-based mask: element i is kept iff a hash of (i, seed) clears
// a threshold (shaders/dropout.wgsl, src/cpu/dropout.ts: the same bits on both backends), and
// kept elements are scaled by 1/(1 − rate). The mask is never stored: the gradient is the same
// op applied to dy with the same seed.

import { dropoutCpu, dropoutScale, dropThreshold } from '../cpu/dropout';
import { grid1d } from '../gpu/queue';
import type { OpDef } from './op';
import { shapeSize } from './tensor';

const WORKGROUP = 256;

export interface DropoutAttrs {
  /** Probability of dropping an element, in [0, 1]. */
  rate: number;
  /** Any integer in [0, 2^32): the mask is a function of (element index, seed). */
  seed: number;
}

export function checkDropout(rate: unknown, seed: unknown): void {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new Error(`dropout: rate must be a number in [0, 1], got ${String(rate)}`);
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error(`dropout: seed must be an integer in [0, 2^32), got ${String(seed)}`);
  }
}

/** y = mask ⊙ x / (1 − rate) */
export const dropout: OpDef<DropoutAttrs> = {
  name: 'dropout',
  outputs([x], { rate, seed }) {
    checkDropout(rate, seed);
    return [x!];
  },
  cpu: ([x], _s, { rate, seed }) => [dropoutCpu(x!, rate, seed)],
  gpu(q, [x], [y], [s], { rate, seed }) {
    const len = shapeSize(s!);
    if (len === 0) return;
    q.dispatch({
      kernel: 'dropout.dropout',
      overrides: { workgroup_size: WORKGROUP },
      uniforms: { len, seed, threshold: dropThreshold(rate), scale: dropoutScale(rate) },
      bindings: { x: x!, y: y! },
      workgroups: grid1d(len, WORKGROUP),
    });
  },
  // linear in x with a fixed mask: dx = mask ⊙ dy / (1 − rate), the same op on dy
  backward: ({ ops, dy, attrs }) => [ops.run1('dropout', [dy], attrs)],
};
