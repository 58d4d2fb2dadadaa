// The WGSL sources of every kernel family, imported as text so that bundles carry them.
// A family may link function libraries (shaders/lib/) that are prepended to its source.

import activationLib from '../../shaders/lib/activation.wgsl';
import rowsLib from '../../shaders/lib/rows.wgsl';
import ieeeLib from '../../shaders/lib/ieee.wgsl';
import unaryLib from '../../shaders/lib/unary.wgsl';
import elementwise from '../../shaders/elementwise.wgsl';
import broadcast from '../../shaders/broadcast.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import optimizer from '../../shaders/optimizer.wgsl';
import matmul from '../../shaders/matmul.wgsl';
import softmax from '../../shaders/softmax.wgsl';
import loss from '../../shaders/loss.wgsl';

export interface ShaderPart {
  file: string;
  code: string;
}

const activation: ShaderPart = { file: 'lib/activation.wgsl', code: activationLib };
const rows: ShaderPart = { file: 'lib/rows.wgsl', code: rowsLib };
const ieee: ShaderPart = { file: 'lib/ieee.wgsl', code: ieeeLib };
const unary: ShaderPart = { file: 'lib/unary.wgsl', code: unaryLib };

export const shaderFamilies = {
  elementwise: [ieee, activation, unary, { file: 'elementwise.wgsl', code: elementwise }],
  broadcast: [ieee, { file: 'broadcast.wgsl', code: broadcast }],
  reduce: [{ file: 'reduce.wgsl', code: reduce }],
  optimizer: [{ file: 'optimizer.wgsl', code: optimizer }],
  matmul: [activation, { file: 'matmul.wgsl', code: matmul }],
  softmax: [rows, { file: 'softmax.wgsl', code: softmax }],
  loss: [rows, { file: 'loss.wgsl', code: loss }],
} satisfies Record<string, ShaderPart[]>;

export type ShaderFamily = keyof typeof shaderFamilies;
