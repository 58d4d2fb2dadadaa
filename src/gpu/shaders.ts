// The WGSL sources of every kernel family, imported as text so that bundles carry them.
// A family may link function libraries (shaders/lib/) that are prepended to its source.

import activationLib from '../../shaders/lib/activation.wgsl';
import floatLib from '../../shaders/lib/float.wgsl';
import rowsLib from '../../shaders/lib/rows.wgsl';
import elementwise from '../../shaders/elementwise.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import optimizer from '../../shaders/optimizer.wgsl';
import matmul from '../../shaders/matmul.wgsl';
import softmax from '../../shaders/softmax.wgsl';
import loss from '../../shaders/loss.wgsl';
import copy from '../../shaders/copy.wgsl';
import gather from '../../shaders/gather.wgsl';

export interface ShaderPart {
  file: string;
  code: string;
}

const activation: ShaderPart = { file: 'lib/activation.wgsl', code: activationLib };
const float: ShaderPart = { file: 'lib/float.wgsl', code: floatLib };
const rows: ShaderPart = { file: 'lib/rows.wgsl', code: rowsLib };

export const shaderFamilies = {
  elementwise: [activation, { file: 'elementwise.wgsl', code: elementwise }],
  reduce: [float, { file: 'reduce.wgsl', code: reduce }],
  optimizer: [{ file: 'optimizer.wgsl', code: optimizer }],
  matmul: [activation, { file: 'matmul.wgsl', code: matmul }],
  softmax: [float, rows, { file: 'softmax.wgsl', code: softmax }],
  loss: [float, rows, { file: 'loss.wgsl', code: loss }],
  copy: [{ file: 'copy.wgsl', code: copy }],
  gather: [float, { file: 'gather.wgsl', code: gather }],
} satisfies Record<string, ShaderPart[]>;

export type ShaderFamily = keyof typeof shaderFamilies;
