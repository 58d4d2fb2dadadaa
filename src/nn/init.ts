// Weight initializers, seeded and reproducible: the same seed gives the same weights on every
// backend. Glorot/Xavier uniform keeps the variance of activations and gradients roughly
// constant through sigmoid/tanh layers; He normal does the same for ReLU (half the units off).

import { createRng } from '../data/batches';

/** How {@link initWeights} draws values: Glorot/Xavier uniform, He normal, or all zeros. */
export type Initializer = 'glorot' | 'he' | 'zeros';

/** Values for a [fanOut, fanIn] weight matrix. */
export function initWeights(kind: Initializer, fanIn: number, fanOut: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(fanIn * fanOut);
  if (kind === 'zeros') return out;
  if (kind === 'glorot') {
    // U(-a, a) with a = sqrt(6 / (fanIn + fanOut))  (Glorot & Bengio 2010)
    const a = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * a;
  } else {
    // N(0, 2 / fanIn)  (He et al. 2015)
    const s = Math.sqrt(2 / fanIn);
    for (let i = 0; i < out.length; i++) out[i] = rng.normal() * s;
  }
  return out;
}
