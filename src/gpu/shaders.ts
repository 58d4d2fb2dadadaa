// The WGSL sources of every kernel family, imported as text so that bundles carry them.
// A family may link function libraries (shaders/lib/) that are prepended to its source.

import activationLib from '../../shaders/lib/activation.wgsl';
import rowsLib from '../../shaders/lib/rows.wgsl';
import elementwise from '../../shaders/elementwise.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import optimizer from '../../shaders/optimizer.wgsl';
import matmul from '../../shaders/matmul.wgsl';
import softmax from '../../shaders/softmax.wgsl';
import loss from '../../shaders/loss.wgsl';
import conv from '../../shaders/conv.wgsl';
import pool from '../../shaders/pool.wgsl';
import norm from '../../shaders/norm.wgsl';
import dropout from '../../shaders/dropout.wgsl';

export interface ShaderPart {
  file: string;
  code: string;
}

const activation: ShaderPart = { file: 'lib/activation.wgsl', code: activationLib };
const rows: ShaderPart = { file: 'lib/rows.wgsl', code: rowsLib };

export const shaderFamilies = {
  elementwise: [activation, { file: 'elementwise.wgsl', code: elementwise }],
  reduce: [{ file: 'reduce.wgsl', code: reduce }],
  optimizer: [{ file: 'optimizer.wgsl', code: optimizer }],
  matmul: [activation, { file: 'matmul.wgsl', code: matmul }],
  softmax: [rows, { file: 'softmax.wgsl', code: softmax }],
  loss: [activation, rows, { file: 'loss.wgsl', code: loss }],
  conv: [{ file: 'conv.wgsl', code: conv }],
  pool: [{ file: 'pool.wgsl', code: pool }],
  norm: [rows, { file: 'norm.wgsl', code: norm }],
  dropout: [{ file: 'dropout.wgsl', code: dropout }],
} satisfies Record<string, ShaderPart[]>;

export type ShaderFamily = keyof typeof shaderFamilies;
