// The training page's field rules (app/settings.ts) and weights files (app/model.ts): what a
// person may type, and safetensors that round-trip with the CLI's names and metadata.

import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors';
import { buildModel, decodeWeights, describeArchitecture, encodeWeights, type Architecture } from '../app/model';
import { readWeights } from '../app/session';
import { architectureOf, hiddenSizes, positiveInt, positiveNumber, smoothing } from '../app/settings';
import { cpu, randomArray } from './backends';

const isError = (v: unknown) => typeof v === 'object' && v !== null && 'error' in v;

describe('app/settings.ts field rules', () => {
  it('accepts what a person means and rejects a non-number, 0 or a negative value', () => {
    expect(positiveInt('64')).toBe(64);
    for (const bad of ['', ' ', 'abc', '0', '-3', '2.5', 'NaN', 'Infinity']) expect(isError(positiveInt(bad)), `positiveInt('${bad}')`).toBe(true);
    expect(positiveNumber('1e-3')).toBe(0.001);
    expect(positiveNumber('0.05')).toBe(0.05);
    for (const bad of ['', 'x', '0', '-0.1', 'Infinity']) expect(isError(positiveNumber(bad)), `positiveNumber('${bad}')`).toBe(true);
    expect(smoothing('0')).toBe(0);
    expect(smoothing('0.1')).toBe(0.1);
    for (const bad of ['', '1', '-0.1', 'a']) expect(isError(smoothing(bad)), `smoothing('${bad}')`).toBe(true);
  });

  it('hidden sizes: one to four widths separated by commas or spaces', () => {
    expect(hiddenSizes('128')).toEqual([128]);
    expect(hiddenSizes('256, 128')).toEqual([256, 128]);
    expect(hiddenSizes(' 64 32  16 ')).toEqual([64, 32, 16]);
    for (const bad of ['', '0', '128, -4', 'abc', '1.5', '1,2,3,4,5', '5000']) expect(isError(hiddenSizes(bad)), `hiddenSizes('${bad}')`).toBe(true);
  });

  it('the architecture of the settings: 784 inputs, 10 classes; the CNN has fixed channels', () => {
    expect(architectureOf({ model: 'mlp', hidden: [256, 128], activation: 'tanh' })).toEqual({ kind: 'mlp', inputs: 784, hidden: [256, 128], outputs: 10, activation: 'tanh' });
    expect(architectureOf({ model: 'cnn', hidden: [256, 128], activation: 'relu' }).hidden).toEqual([8, 16]);
  });
});

describe('app/model.ts weights files', () => {
  const arch: Architecture = { kind: 'mlp', inputs: 784, hidden: [32, 16], outputs: 10, activation: 'tanh' };

  it('round-trips: names as PyTorch nn.Sequential, the CLI metadata, the same outputs after loading', async () => {
    const e = await cpu();
    const model = buildModel(e, arch, 7);
    const weights = await readWeights(model);
    const bytes = encodeWeights(weights, arch, 'mnist');
    const raw = decodeSafetensors(bytes, 'w.safetensors');
    expect(Object.keys(raw.tensors).sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight', '4.bias', '4.weight']);
    expect(raw.tensors['0.weight']!.shape).toEqual([32, 784]);
    expect(raw.metadata).toEqual({ format: 'pt', architecture: '784-32-16-10 tanh', dataset: 'mnist' });

    const back = decodeWeights(bytes, 'w.safetensors', 'relu');
    expect(back.architecture).toEqual(arch);
    const other = buildModel(e, back.architecture, 99); // different initial weights
    other.loadStateDict(back.weights, 'w.safetensors');
    const x = e.tensor(randomArray(3 * 784, 5, 0, 1), [3, 784]);
    expect(Array.from(await other.forward(x).read())).toEqual(Array.from(await model.forward(x).read()));
  });

  it('reads a file written by `npm run train -- --save` (metadata "784-128-10 relu")', async () => {
    const e = await cpu();
    const cliArch: Architecture = { kind: 'mlp', inputs: 784, hidden: [128], outputs: 10, activation: 'relu' };
    const weights = await readWeights(buildModel(e, cliArch, 1));
    // The CLI's saveSafetensors: the same encoder, its metadata keys.
    const bytes = encodeSafetensors(weights, { format: 'pt', architecture: '784-128-10 relu', dataset: 'mnist' });
    expect(decodeWeights(bytes, 'cli.safetensors', 'tanh').architecture).toEqual(cliArch);
    expect(describeArchitecture(cliArch)).toBe('784-128-10 relu');
  });

  it('without an activation in the metadata, the page\'s choice is used', async () => {
    const e = await cpu();
    const bytes = encodeSafetensors(await readWeights(buildModel(e, arch, 1)));
    expect(decodeWeights(bytes, 'bare.safetensors', 'softplus').architecture.activation).toBe('softplus');
  });

  it('a file that is not an MLP of this shape is refused with the file name and what was found', () => {
    const t = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    const names = encodeSafetensors({ 'fc1.weight': t([4, 3]), 'fc1.bias': t([4]) });
    expect(() => decodeWeights(names, 'other.safetensors', 'relu')).toThrow(/other\.safetensors: expected the weights of an MLP named 0\.weight, 2\.weight.*found fc1\.bias, fc1\.weight/);
    const chain = encodeSafetensors({ '0.weight': t([4, 3]), '0.bias': t([4]), '2.weight': t([2, 5]), '2.bias': t([2]) });
    expect(() => decodeWeights(chain, 'chain.safetensors', 'relu')).toThrow(/chain\.safetensors: 2\.weight takes 5 inputs but the layer before gives 4/);
    const conv = encodeSafetensors({ '0.weight': t([8, 1, 3, 3]), '0.bias': t([8]) });
    expect(() => decodeWeights(conv, 'conv.safetensors', 'relu')).toThrow(/conv\.safetensors: 0\.weight has shape \[8, 1, 3, 3\], expected \[out, in\]/);
  });
});
