// The WGSL sources of every kernel family, imported as text so that bundles carry them.
// A family may link function libraries (shaders/lib/) that are prepended to its source.

import floatLib from '../../shaders/lib/float.wgsl';
import indexLib from '../../shaders/lib/index.wgsl';
import treeLib from '../../shaders/lib/tree.wgsl';
import rowsLib from '../../shaders/lib/rows.wgsl';
import activationLib from '../../shaders/lib/activation.wgsl';
import unaryLib from '../../shaders/lib/unary.wgsl';
import elementwise from '../../shaders/elementwise.wgsl';
import broadcast from '../../shaders/broadcast.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import optimizer from '../../shaders/optimizer.wgsl';
import matmul from '../../shaders/matmul.wgsl';
import softmax from '../../shaders/softmax.wgsl';
import loss from '../../shaders/loss.wgsl';
import copy from '../../shaders/copy.wgsl';
import gather from '../../shaders/gather.wgsl';
import finite from '../../shaders/finite.wgsl';
import conv from '../../shaders/conv.wgsl';
import pool from '../../shaders/pool.wgsl';
import norm from '../../shaders/norm.wgsl';
import dropout from '../../shaders/dropout.wgsl';

export interface ShaderPart {
  file: string;
  code: string;
}

// The libraries, in link order (each may use those before it):
//   float       LOWEST, is_nan, is_inf, is_finite(4), is_zero, is_one, poisons, sign_bit, nan_f32,
//               inf_f32, log1p, and NumPy's edges: div_ieee, log_ieee, exp_ieee
//   index       flat_index, group_index        (needs the family's workgroup_size override)
//   tree        tree_max, tree_sum, tree_sum2   (needs workgroup_size, a power of two)
//   rows        strided_max, row_softmax_stats  (needs float, tree, dims.cols and binding x)
//   activation  activate, activation_derivative (needs float)
//   unary       unary_math, unary_math_derivative (needs float, activation)
const float: ShaderPart = { file: 'lib/float.wgsl', code: floatLib };
const index: ShaderPart = { file: 'lib/index.wgsl', code: indexLib };
const tree: ShaderPart = { file: 'lib/tree.wgsl', code: treeLib };
const rows: ShaderPart = { file: 'lib/rows.wgsl', code: rowsLib };
const activation: ShaderPart = { file: 'lib/activation.wgsl', code: activationLib };
const unary: ShaderPart = { file: 'lib/unary.wgsl', code: unaryLib };

export const shaderFamilies = {
  elementwise: [float, index, activation, unary, { file: 'elementwise.wgsl', code: elementwise }],
  broadcast: [float, index, { file: 'broadcast.wgsl', code: broadcast }],
  reduce: [float, index, { file: 'reduce.wgsl', code: reduce }],
  optimizer: [float, index, { file: 'optimizer.wgsl', code: optimizer }],
  matmul: [float, activation, { file: 'matmul.wgsl', code: matmul }],
  softmax: [float, index, tree, rows, { file: 'softmax.wgsl', code: softmax }],
  loss: [float, index, tree, rows, activation, { file: 'loss.wgsl', code: loss }],
  copy: [index, { file: 'copy.wgsl', code: copy }],
  gather: [float, index, { file: 'gather.wgsl', code: gather }],
  finite: [float, index, { file: 'finite.wgsl', code: finite }],
  conv: [{ file: 'conv.wgsl', code: conv }],
  pool: [float, { file: 'pool.wgsl', code: pool }],
  norm: [index, tree, { file: 'norm.wgsl', code: norm }],
  dropout: [index, { file: 'dropout.wgsl', code: dropout }],
} satisfies Record<string, ShaderPart[]>;

export type ShaderFamily = keyof typeof shaderFamilies;
