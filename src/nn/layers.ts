// Layers and the sequential model. A dense layer computes the lectures' affine map
// z = W·y + b batch-major: Z = X·Wᵀ + b with W stored [out, in] (PyTorch's nn.Linear), then
// an optional scalar activation. Image layers (conv2d, pooling) take NCHW batches. Every
// layer mirrors a PyTorch module (or two, when an activation is fused), so the parameter
// names of a model are those of the same nn.Sequential's state_dict. Parameters are created
// when the model is built on an engine.

import type { Engine } from '../engine';
import type { ActivationKind } from '../cpu/activation';
import { pcg2dHash } from '../cpu/dropout';
import { fmt, shapeSize, type Shape, type Tensor } from '../ops/tensor';
import { pair, type Pair } from '../ops/conv';
import { checkActivation } from '../ops/elementwise';
import type { NamedTensor } from '../io/safetensors';
import { checkInitializer, initWeights, type Initializer } from './init';

/** A layer before it has parameters: what {@link sequential} takes; {@link dense},
 *  {@link conv2d}, {@link maxPool2d}, ... make them. */
export interface LayerSpec {
  /** What the layer computes. */
  readonly kind: 'dense' | 'activation' | 'conv2d' | 'maxPool2d' | 'avgPool2d' | 'flatten' | 'layerNorm' | 'dropout' | 'embedding';
  /** The PyTorch modules the layer is, in order (a fused activation is its own module): they
   *  number the parameters as nn.Sequential does, and let PyTorch rebuild the model. */
  readonly torch: readonly TorchModule[];
  /** Output features, when the layer changes them (dense). */
  readonly outFeatures?: number;
  /** Creates the layer's parameters on `e`, initialised from `seed`. */
  build(e: Engine, seed: number): BuiltLayer;
}

/** A torch.nn module by class name and constructor keyword arguments (e.g. Conv2d with
 *  in_channels, out_channels, kernel_size, ...). */
export interface TorchModule {
  /** The class name in torch.nn, e.g. 'Conv2d'. */
  type: string;
  /** Its constructor's keyword arguments. */
  args: Record<string, number | boolean | number[]>;
}

const TORCH_ACTIVATIONS: Record<ActivationKind, string> = {
  identity: 'Identity', sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'ReLU', leakyRelu: 'LeakyReLU', softplus: 'Softplus',
};

/** The module of an activation (LeakyReLU carries its slope). */
function torchActivation(kind: ActivationKind, alpha = 0.01): TorchModule {
  return { type: TORCH_ACTIVATIONS[kind], args: kind === 'leakyRelu' ? { negative_slope: alpha } : {} };
}

/** A layer's own module followed by its fused activation's, if any. */
function withActivation(module: TorchModule, kind: ActivationKind, alpha?: number): TorchModule[] {
  return kind === 'identity' ? [module] : [module, torchActivation(kind, alpha)];
}

/** How a forward pass runs: dropout is active only while training, with a mask drawn from
 *  the step's seed (and the layer's index, so two dropout layers differ). */
export interface ForwardMode {
  /** Whether this is a training step (dropout active). */
  training: boolean;
  /** The step's dropout seed. */
  seed: number;
  /** The layer's index in the model. */
  layer: number;
}

/** A layer with its parameters, made by {@link LayerSpec.build}. */
export interface BuiltLayer {
  /** Parameters in a fixed order, with PyTorch-style local names ('weight', 'bias'). */
  readonly params: NamedParam[];
  /** The layer's output for a batch `x`. */
  forward(e: Engine, x: Tensor, mode: ForwardMode): Tensor;
}

/** A parameter and its PyTorch-style name. */
export interface NamedParam {
  /** 'weight', 'bias', or in a model '0.weight', '2.bias', ... */
  name: string;
  /** The parameter's values on the engine. */
  tensor: Tensor;
}

/** Options of {@link dense} (and of {@link conv2d}). */
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

/** A fully connected layer with `inFeatures` inputs and `outFeatures` outputs:
 *  `Z = X·Wᵀ + b` with `W` stored `[outFeatures, inFeatures]` (PyTorch's nn.Linear), then
 *  `opts.activation`. */
export function dense(inFeatures: number, outFeatures: number, opts: DenseOptions = {}): LayerSpec {
  for (const [n, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`dense: ${n} must be a positive integer, got ${v}`);
  }
  const activation = opts.activation ?? 'identity';
  checkActivation('dense', activation);
  const init = defaultInit('dense', activation, opts.init);
  const hasBias = biasFlag('dense', opts.bias);
  return {
    kind: 'dense',
    torch: withActivation({ type: 'Linear', args: { in_features: inFeatures, out_features: outFeatures, bias: hasBias } }, activation, opts.alpha),
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

function defaultInit(layer: string, activation: ActivationKind, init: Initializer | undefined): Initializer {
  if (init !== undefined) checkInitializer(layer, init);
  return init ?? (activation === 'relu' || activation === 'leakyRelu' ? 'he' : 'glorot');
}

function biasFlag(layer: string, bias: unknown): boolean {
  if (bias !== undefined && typeof bias !== 'boolean') throw new Error(`${layer}: bias must be true or false, got ${String(bias)}`);
  return bias ?? true;
}

function positiveInts(layer: string, values: Record<string, number>): void {
  for (const [n, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${layer}: ${n} must be a positive integer, got ${v}`);
  }
}

function expectRank4(layer: string, x: Tensor, channels?: number): void {
  if (x.rank !== 4 || (channels !== undefined && x.shape[1] !== channels)) {
    throw new Error(`${layer}: input has shape ${fmt(x.shape)}, expected NCHW [batch, ${channels ?? 'C'}, H, W]`);
  }
}

/** Options of {@link conv2d}: those of {@link dense} plus the window's. */
export interface Conv2dLayerOptions extends DenseOptions {
  /** Step between windows, n or [h, w] (default 1). */
  stride?: Pair;
  /** Zeros added on each side, n or [h, w] (default 0). */
  padding?: Pair;
  /** Spacing between kernel taps, n or [h, w] (default 1). */
  dilation?: Pair;
}

/** A 2-D convolution with `inChannels` → `outChannels` and a kernel (n or [h, w]): PyTorch's
 *  nn.Conv2d (weight [out, in, kh, kw], bias [out]), then an optional activation. */
export function conv2d(inChannels: number, outChannels: number, kernel: Pair, opts: Conv2dLayerOptions = {}): LayerSpec {
  positiveInts('conv2d', { inChannels, outChannels });
  const [kh, kw] = pair('conv2d', 'kernel', kernel, 1);
  const activation = opts.activation ?? 'identity';
  checkActivation('conv2d', activation);
  const hasBias = biasFlag('conv2d', opts.bias);
  const init = defaultInit('conv2d', activation, opts.init);
  const name = `conv2d(${inChannels}, ${outChannels}, [${kh}, ${kw}])`;
  return {
    kind: 'conv2d',
    torch: withActivation(
      {
        type: 'Conv2d',
        args: {
          in_channels: inChannels, out_channels: outChannels, kernel_size: [kh, kw], bias: hasBias,
          stride: pair('conv2d', 'stride', opts.stride ?? 1, 1), padding: pair('conv2d', 'padding', opts.padding ?? 0, 0),
          dilation: pair('conv2d', 'dilation', opts.dilation ?? 1, 1),
        },
      },
      activation,
      opts.alpha,
    ),
    build(e, seed) {
      const values = initWeights(init, inChannels * kh * kw, outChannels * kh * kw, seed, outChannels * inChannels * kh * kw);
      const weight = e.tensor(values, [outChannels, inChannels, kh, kw]);
      const params = [{ name: 'weight', tensor: weight }];
      const bias = hasBias ? e.zeros([outChannels]) : undefined;
      if (bias) params.push({ name: 'bias', tensor: bias });
      return {
        params,
        forward(eng, x) {
          expectRank4(name, x, inChannels);
          return eng.conv2d(x, weight, { bias, stride: opts.stride, padding: opts.padding, dilation: opts.dilation, activation, alpha: opts.alpha });
        },
      };
    },
  };
}

function poolLayer(kind: 'maxPool2d' | 'avgPool2d', kernel: Pair, stride?: Pair): LayerSpec {
  const k = pair(kind, 'kernel', kernel, 1);
  const s = pair(kind, 'stride', stride ?? k, 1);
  return {
    kind,
    torch: [{ type: kind === 'maxPool2d' ? 'MaxPool2d' : 'AvgPool2d', args: { kernel_size: k, stride: s } }],
    build: () => ({
      params: [],
      forward(e, x) {
        expectRank4(kind, x);
        return kind === 'maxPool2d' ? e.maxPool2d(x, { kernel: k, stride: s }) : e.avgPool2d(x, { kernel: k, stride: s });
      },
    }),
  };
}

/** nn.MaxPool2d(kernel, stride = kernel) */
export function maxPool2d(kernel: Pair, stride?: Pair): LayerSpec {
  return poolLayer('maxPool2d', kernel, stride);
}

/** nn.AvgPool2d(kernel, stride = kernel) */
export function avgPool2d(kernel: Pair, stride?: Pair): LayerSpec {
  return poolLayer('avgPool2d', kernel, stride);
}

/** nn.Flatten(): [batch, ...] → [batch, product of the rest] (row-major, so NCHW flattens in
 *  PyTorch's order and a following dense layer's weights match). */
export function flatten(): LayerSpec {
  return {
    kind: 'flatten',
    torch: [{ type: 'Flatten', args: {} }],
    build: () => ({
      params: [],
      forward(e, x) {
        if (x.rank < 1) throw new Error(`flatten: input must have a batch axis, got shape ${fmt(x.shape)}`);
        return e.reshape(x, [x.shape[0]!, shapeSize(x.shape.slice(1))]);
      },
    }),
  };
}

/** nn.LayerNorm(features): normalizes the last axis, then weight (γ, ones) and bias (β, zeros). */
export function layerNorm(features: number, opts: { eps?: number } = {}): LayerSpec {
  positiveInts('layerNorm', { features });
  return {
    kind: 'layerNorm',
    torch: [{ type: 'LayerNorm', args: { normalized_shape: [features], eps: opts.eps ?? 1e-5 } }],
    build(e) {
      const gamma = e.tensor(new Float32Array(features).fill(1), [features]);
      const beta = e.zeros([features]);
      return {
        params: [{ name: 'weight', tensor: gamma }, { name: 'bias', tensor: beta }],
        forward(eng, x) {
          if (x.shape[x.rank - 1] !== features) throw new Error(`layerNorm(${features}): input has shape ${fmt(x.shape)}, expected [..., ${features}]`);
          return eng.layerNorm(x, gamma, beta, { eps: opts.eps });
        },
      };
    },
  };
}

/** nn.Dropout(rate): inverted dropout while training (fit's steps), the identity otherwise. */
export function dropout(rate: number): LayerSpec {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be a number in [0, 1), got ${String(rate)}`);
  return {
    kind: 'dropout',
    torch: [{ type: 'Dropout', args: { p: rate } }],
    build: () => ({
      params: [],
      forward: (e, x, mode) => e.dropout(x, rate, { seed: pcg2dHash(mode.layer, mode.seed), training: mode.training }),
    }),
  };
}

/** nn.Embedding(vocab, dim): a table `weight` [vocab, dim] (initialised N(0, 1)); a batch of
 *  token indices (a tensor of integral values in [0, vocab), any shape) becomes their rows,
 *  shape [...indices.shape, dim]. The gradient adds each row's uses (gather's scatter-add). */
export function embedding(vocab: number, dim: number): LayerSpec {
  positiveInts('embedding', { vocab, dim });
  return {
    kind: 'embedding',
    torch: [{ type: 'Embedding', args: { num_embeddings: vocab, embedding_dim: dim } }],
    build(e, seed) {
      const weight = e.tensor(initWeights('normal', vocab, dim, seed), [vocab, dim]);
      return { params: [{ name: 'weight', tensor: weight }], forward: (eng, x) => eng.gather(weight, x, 0) };
    },
  };
}

/** A standalone activation layer (`alpha`: the leakyRelu slope). */
export function activationLayer(kind: ActivationKind, alpha = 0.01): LayerSpec {
  checkActivation('activationLayer', kind);
  return {
    kind: 'activation',
    torch: [torchActivation(kind, alpha)],
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

/** Options of {@link sequential}. */
export interface SequentialOptions {
  /** The shape of one example, e.g. [1, 28, 28] for a conv net on MNIST: fit and evaluate
   *  give the model batches of [batch, ...inputShape]. Default: [features] (flat rows). */
  inputShape?: Shape;
}

/** Layers applied one after the other; made by {@link sequential}. Call
 *  {@link Sequential.build} before using it. */
export class Sequential {
  private built: { engine: Engine; layers: BuiltLayer[] } | null = null;
  /** The shape of one example, if given (see {@link SequentialOptions.inputShape}). */
  readonly inputShape?: Shape;

  constructor(
    /** The layers, first to last. */
    readonly layers: readonly LayerSpec[],
    opts: SequentialOptions = {},
  ) {
    if (!Array.isArray(layers) || layers.length === 0) throw new Error('sequential: needs a non-empty array of layers');
    layers.forEach((l, i) => {
      if (l === null || typeof l !== 'object' || typeof (l as LayerSpec).build !== 'function') {
        const hint = typeof l === 'function' ? ` (a layer function; call it, e.g. dense(784, 128))` : '';
        throw new Error(`sequential: layers[${i}] is not a layer${hint}, got ${typeof l === 'function' ? `function ${l.name}` : String(l)}`);
      }
    });
    if (opts.inputShape !== undefined) {
      const s = opts.inputShape;
      if (!Array.isArray(s) || s.length === 0 || !s.every((d) => Number.isInteger(d) && d >= 1)) {
        throw new Error(`sequential: inputShape must be a non-empty array of positive integers, got ${JSON.stringify(s)}`);
      }
      this.inputShape = [...s];
    }
  }

  /** The shape of a batch of `batch` examples of `features` values each. */
  batchShape(batch: number, features: number): Shape {
    if (!this.inputShape) return [batch, features];
    if (shapeSize(this.inputShape) !== features) {
      throw new Error(`sequential: inputShape ${fmt(this.inputShape)} holds ${shapeSize(this.inputShape)} values, but the examples have ${features}`);
    }
    return [batch, ...this.inputShape];
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
      index += this.layers[i]!.torch.length;
    });
    return out;
  }

  /** The same model as torch.nn modules, in nn.Sequential order (see TorchModule). */
  torchModules(): TorchModule[] {
    return this.layers.flatMap((l) => l.torch);
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
    if (tensors === null || typeof tensors !== 'object') throw new Error(`${source}: loadStateDict needs an object of name -> { shape, data } (decodeSafetensors(...).tensors), got ${String(tensors)}`);
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

  /** The model applied to a batch; `training` turns dropout on, with masks drawn from `seed`
   *  (fit passes a new seed every step). Default: inference (dropout off). */
  forward(x: Tensor, opts: { training?: boolean; seed?: number } = {}): Tensor {
    const { engine, layers } = this.b;
    const training = opts.training ?? false;
    const seed = opts.seed ?? 0;
    let h = x;
    layers.forEach((l, layer) => {
      h = l.forward(engine, h, { training, seed, layer });
    });
    return h;
  }

  /** Frees the parameters; the model must be built again before further use. */
  dispose(): void {
    for (const l of this.built?.layers ?? []) for (const p of l.params) p.tensor.dispose();
    this.built = null;
  }
}

/** A model of `layers` applied in order, e.g.
 *  `sequential([dense(784, 128, { activation: 'relu' }), dense(128, 10)]).build(e, seed)`;
 *  `opts.inputShape` ([C, H, W] for a conv net) shapes the batches fit and evaluate pass. */
export function sequential(layers: LayerSpec[], opts: SequentialOptions = {}): Sequential {
  return new Sequential(layers, opts);
}
