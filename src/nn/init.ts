// Weight initializers, seeded and reproducible: the same seed gives the same weights on every
// backend. Glorot/Xavier uniform keeps the variance of activations and gradients roughly
// constant through sigmoid/tanh layers; He normal does the same for ReLU (half the units off).

import { createRng } from '../data/batches';

/** How {@link initWeights} draws values: Glorot/Xavier uniform, He normal, standard normal
 *  N(0, 1) (PyTorch's nn.Embedding), or all zeros. */
export type Initializer = 'glorot' | 'he' | 'normal' | 'zeros';

const INITIALIZERS: readonly Initializer[] = ['glorot', 'he', 'normal', 'zeros'];

/** Throws unless `kind` names an initializer (`where`: the layer or function given it). */
export function checkInitializer(where: string, kind: unknown): asserts kind is Initializer {
  if (!INITIALIZERS.includes(kind as Initializer)) {
    throw new Error(`${where}: unknown init ${typeof kind === 'string' ? `'${kind}'` : String(kind)} (expected one of ${INITIALIZERS.join(', ')}; 'glorot' is Xavier uniform)`);
  }
}

/** Values for a [fanOut, fanIn] weight matrix, or `count` values of a weight with those fans
 *  (a conv weight [out, in, kh, kw]: fanIn = in·kh·kw, fanOut = out·kh·kw, as PyTorch). */
export function initWeights(kind: Initializer, fanIn: number, fanOut: number, seed: number, count = fanIn * fanOut): Float32Array {
  checkInitializer('initWeights', kind);
  const rng = createRng(seed);
  const out = new Float32Array(count);
  if (kind === 'zeros') return out;
  if (kind === 'glorot') {
    // U(-a, a) with a = sqrt(6 / (fanIn + fanOut))  (Glorot & Bengio 2010)
    const a = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * a;
  } else {
    // N(0, 2 / fanIn)  (He et al. 2015), or N(0, 1)
    const s = kind === 'normal' ? 1 : Math.sqrt(2 / fanIn);
    for (let i = 0; i < out.length; i++) out[i] = rng.normal() * s;
  }
  return out;
}
