// The page's models and their weights files. An MLP: inputs → hidden layers (one activation)
// → 10 logits, built as `sequential([dense(784, h1, { activation }), ..., dense(hk, 10)])`, so
// its parameters carry the names of the same PyTorch nn.Sequential ('0.weight' [h1, 784],
// '0.bias', '2.weight', ...) and a file saved by `npm run train -- --save` loads here, and one
// downloaded here loads there (same names, same metadata). A small CNN (conv 8 → pool → conv
// 16 → pool → dense 10, NCHW input) is offered once the engine's layers include conv2d,
// maxPool2d and flatten (the general-ops issue); until then `cnnLayers()` is null and the page
// says why the choice is disabled.

import type { ActivationKind } from '../src/cpu/activation';
import type { Engine } from '../src/engine';
import * as layerModule from '../src/nn/layers';
import { dense, sequential, type LayerSpec, type Sequential } from '../src/nn/layers';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../src/io/safetensors';
import type { Weights } from './session';

export const HIDDEN_ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'leakyRelu', 'softplus'] as const satisfies readonly ActivationKind[];
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];

export interface Architecture {
  kind: 'mlp' | 'cnn';
  inputs: number;
  /** MLP: the hidden layers' widths. CNN: its two convolutions' channels. */
  hidden: number[];
  outputs: number;
  activation: HiddenActivation;
}

export function sameArchitecture(a: Architecture, b: Architecture): boolean {
  return a.kind === b.kind && a.inputs === b.inputs && a.outputs === b.outputs && a.activation === b.activation && a.hidden.join(',') === b.hidden.join(',');
}

/** "784-128-10 relu", the CLI's metadata string; "cnn 1x28x28-c8-c16-10 relu" for the CNN. */
export function describeArchitecture(a: Architecture): string {
  if (a.kind === 'cnn') return `cnn 1x28x28-${a.hidden.map((c) => `c${c}`).join('-')}-${a.outputs} ${a.activation}`;
  return `${[a.inputs, ...a.hidden, a.outputs].join('-')} ${a.activation}`;
}

/** The shape of one example as the model takes it: [784] for the MLP, [1, 28, 28] (NCHW). */
export function exampleShape(a: Architecture): number[] {
  return a.kind === 'cnn' ? [1, 28, 28] : [a.inputs];
}

/** The CNN's layer constructors, where this engine has them (DESIGN.md's layer API). */
interface CnnLayers {
  conv2d(inC: number, outC: number, kernel: number, opts: { padding: number; activation: HiddenActivation }): LayerSpec;
  maxPool2d(kernel: number): LayerSpec;
  flatten(): LayerSpec;
}

export function cnnLayers(): CnnLayers | null {
  const m = layerModule as unknown as Partial<CnnLayers>;
  return typeof m.conv2d === 'function' && typeof m.maxPool2d === 'function' && typeof m.flatten === 'function' ? (m as CnnLayers) : null;
}

export function buildModel(e: Engine, a: Architecture, seed: number): Sequential {
  if (a.kind === 'cnn') {
    const l = cnnLayers();
    if (!l) throw new Error('the CNN needs conv2d, maxPool2d and flatten layers, which this build of webgrad does not have yet');
    const [c1, c2] = a.hidden as [number, number];
    const opts = { padding: 1, activation: a.activation };
    return sequential([l.conv2d(1, c1, 3, opts), l.maxPool2d(2), l.conv2d(c1, c2, 3, opts), l.maxPool2d(2), l.flatten(), dense(c2 * 7 * 7, a.outputs)]).build(e, seed);
  }
  const sizes = [a.inputs, ...a.hidden, a.outputs];
  const layers = sizes.slice(1).map((out, i) => dense(sizes[i]!, out, i < a.hidden.length ? { activation: a.activation } : {}));
  return sequential(layers).build(e, seed);
}

/** The weights as safetensors bytes, with the metadata `npm run train -- --save` writes. */
export function encodeWeights(weights: Weights, a: Architecture, dataset: string): Uint8Array {
  return encodeSafetensors(weights, { format: 'pt', architecture: describeArchitecture(a), dataset });
}

/** Reads a weights file: its tensors and the MLP they describe (layer sizes from the shapes,
 *  the activation from the metadata; `fallback` when the file does not say). */
export function decodeWeights(bytes: Uint8Array, fileName: string, fallback: HiddenActivation): { weights: Weights; architecture: Architecture } {
  const { tensors, metadata } = decodeSafetensors(bytes, fileName);
  const layers = Object.keys(tensors)
    .filter((k) => k.endsWith('.weight'))
    .map((k) => Number(k.slice(0, -'.weight'.length)))
    .sort((x, y) => x - y);
  const expected = layers.map((_, i) => 2 * i);
  if (layers.length === 0 || layers.some((v, i) => v !== expected[i])) {
    throw new Error(`${fileName}: expected the weights of an MLP named 0.weight, 2.weight, 4.weight, … (a PyTorch nn.Sequential of Linear and activation modules; CNN files do not load here yet); found ${Object.keys(tensors).join(', ') || 'no tensors'}`);
  }
  const shapeOf = (name: string): NamedTensor['shape'] => tensors[name]!.shape;
  const sizes: number[] = [];
  layers.forEach((index, i) => {
    const [out, inp] = shapeOf(`${index}.weight`) as [number, number];
    if (shapeOf(`${index}.weight`).length !== 2) throw new Error(`${fileName}: ${index}.weight has shape [${shapeOf(`${index}.weight`).join(', ')}], expected [out, in]`);
    if (i === 0) sizes.push(inp);
    else if (inp !== sizes.at(-1)) throw new Error(`${fileName}: ${index}.weight takes ${inp} inputs but the layer before gives ${sizes.at(-1)}`);
    sizes.push(out);
  });
  const named = /\b(relu|tanh|sigmoid|leakyRelu|softplus)\b/.exec(metadata.architecture ?? '')?.[1] as HiddenActivation | undefined;
  const weights: Weights = {};
  for (const [k, t] of Object.entries(tensors)) weights[k] = { shape: [...t.shape], data: t.data };
  return { weights, architecture: { kind: 'mlp', inputs: sizes[0]!, hidden: sizes.slice(1, -1), outputs: sizes.at(-1)!, activation: named ?? fallback } };
}
