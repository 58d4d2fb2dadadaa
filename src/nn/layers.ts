// Layers and the sequential model. A dense layer computes the lectures' affine map
// z = W·y + b batch-major: Z = X·Wᵀ + b with W stored [out, in] (PyTorch's nn.Linear), then
// an optional scalar activation. Parameters are created when the model is built on an engine.

import type { Engine } from '../engine';
import type { ActivationKind } from '../cpu/activation';
import { fmt, type Tensor } from '../ops/tensor';
import type { NamedTensor } from '../io/safetensors';
import { initWeights, type Initializer } from './init';

/** A layer before it has parameters: what {@link sequential} takes; {@link dense} and
 *  {@link activationLayer} make them. */
export interface LayerSpec {
  /** What the layer computes. */
  readonly kind: 'dense' | 'activation';
  /** Number of modules the layer corresponds to in a PyTorch nn.Sequential (for names). */
  readonly torchModules: number;
  /** Output features, when the layer changes them (dense). */
  readonly outFeatures?: number;
  /** Creates the layer's parameters on `e`, initialised from `seed`. */
  build(e: Engine, seed: number): BuiltLayer;
}

/** A layer with its parameters, made by {@link LayerSpec.build}. */
export interface BuiltLayer {
  /** Parameters in a fixed order, with PyTorch-style local names ('weight', 'bias'). */
  readonly params: NamedParam[];
  /** The layer's output for a batch `x`. */
  forward(e: Engine, x: Tensor): Tensor;
}

/** A parameter and its PyTorch-style name. */
export interface NamedParam {
  /** 'weight', 'bias', or in a model '0.weight', '2.bias', ... */
  name: string;
  /** The parameter's values on the engine. */
  tensor: Tensor;
}

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Applied after the affine map, fused into the same kernel (default 'identity'). */
  activation?: ActivationKind;
  /** Slope for leakyRelu. */
  alpha?: number;
  /** Default: He for relu-like activations, Glorot otherwise. */
  init?: Initializer;
  /** Whether the layer has a bias `b` (default true). */
  bias?: boolean;
}

const ACTIVATIONS: readonly ActivationKind[] = ['identity', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'softplus'];

function checkActivation(where: string, a: string): void {
  if (!ACTIVATIONS.includes(a as ActivationKind)) throw new Error(`${where}: unknown activation '${a}' (expected one of ${ACTIVATIONS.join(', ')})`);
}

/** A fully connected layer with `inFeatures` inputs and `outFeatures` outputs:
 *  `Z = X·Wᵀ + b` with `W` stored `[outFeatures, inFeatures]` (PyTorch's nn.Linear), then
 *  `opts.activation`. */
export function dense(inFeatures: number, outFeatures: number, opts: DenseOptions = {}): LayerSpec {
  for (const [n, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`dense: ${n} must be a positive integer, got ${v}`);
  }
  const activation = opts.activation ?? 'identity';
  checkActivation('dense', activation);
  const init = opts.init ?? (activation === 'relu' || activation === 'leakyRelu' ? 'he' : 'glorot');
  const hasBias = opts.bias ?? true;
  return {
    kind: 'dense',
    torchModules: activation === 'identity' ? 1 : 2,
    outFeatures,
    build(e, seed) {
      const weight = e.tensor(initWeights(init, inFeatures, outFeatures, seed), [outFeatures, inFeatures]);
      const params = [{ name: 'weight', tensor: weight }];
      const bias = hasBias ? e.zeros([outFeatures]) : undefined;
      if (bias) params.push({ name: 'bias', tensor: bias });
      return {
        params,
        forward(eng, x) {
          if (x.rank !== 2 || x.shape[1] !== inFeatures) {
            throw new Error(`dense(${inFeatures}, ${outFeatures}): input has shape ${fmt(x.shape)}, expected [batch, ${inFeatures}]`);
          }
          return eng.matmul(x, weight, { transposeB: true, bias, activation, alpha: opts.alpha });
        },
      };
    },
  };
}

/** A standalone activation layer (`alpha`: the leakyRelu slope). */
export function activationLayer(kind: ActivationKind, alpha = 0.01): LayerSpec {
  checkActivation('activationLayer', kind);
  return {
    kind: 'activation',
    torchModules: 1,
    build: () => ({
      params: [],
      forward: (e, x) => {
        switch (kind) {
          case 'sigmoid': return e.sigmoid(x);
          case 'tanh': return e.tanh(x);
          case 'relu': return e.relu(x);
          case 'leakyRelu': return e.leakyRelu(x, alpha);
          case 'softplus': return e.softplus(x);
          default: return x;
        }
      },
    }),
  };
}

/** Layers applied one after the other; made by {@link sequential}. Call
 *  {@link Sequential.build} before using it. */
export class Sequential {
  private built: { engine: Engine; layers: BuiltLayer[] } | null = null;

  constructor(
    /** The layers, first to last. */
    readonly layers: readonly LayerSpec[],
  ) {
    if (layers.length === 0) throw new Error('sequential: needs at least one layer');
  }

  /** Creates the parameters on `e`, each layer seeded from `seed` (reproducible). */
  build(e: Engine, seed = 1): this {
    this.dispose();
    this.built = { engine: e, layers: this.layers.map((l, i) => l.build(e, seed * 1000 + i)) };
    return this;
  }

  private get b() {
    if (!this.built) throw new Error('sequential: call model.build(engine, seed) before using the model');
    return this.built;
  }

  /** Features of the model's output (the last dense layer's), if known. */
  get outputFeatures(): number | undefined {
    return this.layers.findLast((l) => l.outFeatures !== undefined)?.outFeatures;
  }

  /** The engine the model was built on. */
  get engine(): Engine {
    return this.b.engine;
  }

  /** Parameters in order (layer by layer, weight then bias). */
  get params(): Tensor[] {
    return this.b.layers.flatMap((l) => l.params.map((p) => p.tensor));
  }

  /** Names as PyTorch's nn.Sequential state_dict would give them ('0.weight', '2.bias', ...). */
  namedParams(): NamedParam[] {
    const out: NamedParam[] = [];
    let index = 0;
    this.b.layers.forEach((l, i) => {
      for (const p of l.params) out.push({ name: `${index}.${p.name}`, tensor: p.tensor });
      index += this.layers[i]!.torchModules;
    });
    return out;
  }

  /** Parameter values by PyTorch-style name, shapes as stored ([out, in] for weights). */
  async stateDict(): Promise<Record<string, NamedTensor>> {
    const out: Record<string, NamedTensor> = {};
    for (const { name, tensor } of this.namedParams()) out[name] = { shape: [...tensor.shape], data: await tensor.read() };
    return out;
  }

  /** Replaces every parameter's values; checks names and shapes first, so a bad file
   *  changes nothing. `source` names the file in errors. */
  loadStateDict(tensors: Record<string, NamedTensor>, source: string): void {
    const named = this.namedParams();
    for (const { name, tensor } of named) {
      const t = tensors[name];
      if (!t) throw new Error(`${source}: missing tensor '${name}' (expected shape ${fmt(tensor.shape)}; the file has: ${Object.keys(tensors).join(', ') || 'nothing'})`);
      if (t.shape.length !== tensor.shape.length || t.shape.some((d, i) => d !== tensor.shape[i])) {
        throw new Error(`${source}: tensor '${name}' has shape ${fmt(t.shape)}, the model expects ${fmt(tensor.shape)}`);
      }
    }
    const extra = Object.keys(tensors).filter((k) => !named.some((p) => p.name === k));
    if (extra.length > 0) throw new Error(`${source}: tensors not in the model: ${extra.join(', ')}`);
    for (const { name, tensor } of named) this.engine.write(tensor, tensors[name]!.data);
  }

  /** The model's output for a batch `x` ([batch, features]). */
  forward(x: Tensor): Tensor {
    const { engine, layers } = this.b;
    let h = x;
    for (const l of layers) h = l.forward(engine, h);
    return h;
  }

  /** Frees the parameters; the model must be built again before further use. */
  dispose(): void {
    for (const l of this.built?.layers ?? []) for (const p of l.params) p.tensor.dispose();
    this.built = null;
  }
}

/** A model of `layers` applied in order, e.g.
 *  `sequential([dense(784, 128, { activation: 'relu' }), dense(128, 10)]).build(e, seed)`. */
export function sequential(layers: LayerSpec[]): Sequential {
  return new Sequential(layers);
}
