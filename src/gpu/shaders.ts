// The WGSL sources of every kernel family, imported as text so that bundles carry them.
// A family may link function libraries (shaders/lib/) that are prepended to its source.

import activationLib from '../../shaders/lib/activation.wgsl';
import rowsLib from '../../shaders/lib/rows.wgsl';
import rowsTreeLib from '../../shaders/lib/rows_tree.wgsl';
import rowsSubgroupLib from '../../shaders/lib/rows_subgroup.wgsl';
import elementwise from '../../shaders/elementwise.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import optimizer from '../../shaders/optimizer.wgsl';
import matmul from '../../shaders/matmul.wgsl';
import matmulVec4 from '../../shaders/matmul_vec4.wgsl';
import matmulTiled from '../../shaders/matmul_tiled.wgsl';
import matmulSplitk from '../../shaders/matmul_splitk.wgsl';
import softmax from '../../shaders/softmax.wgsl';
import loss from '../../shaders/loss.wgsl';

export interface ShaderPart {
  file: string;
  code: string;
}

const activation: ShaderPart = { file: 'lib/activation.wgsl', code: activationLib };
const rows: ShaderPart = { file: 'lib/rows.wgsl', code: rowsLib };
const rowsTree: ShaderPart = { file: 'lib/rows_tree.wgsl', code: rowsTreeLib };
// First in its families: it starts with `enable subgroups;`, which must precede everything.
const rowsSubgroup: ShaderPart = { file: 'lib/rows_subgroup.wgsl', code: rowsSubgroupLib };

export const shaderFamilies = {
  elementwise: [activation, { file: 'elementwise.wgsl', code: elementwise }],
  reduce: [{ file: 'reduce.wgsl', code: reduce }],
  optimizer: [{ file: 'optimizer.wgsl', code: optimizer }],
  matmul: [activation, { file: 'matmul.wgsl', code: matmul }],
  matmul_vec4: [activation, { file: 'matmul_vec4.wgsl', code: matmulVec4 }],
  matmul_tiled: [activation, { file: 'matmul_tiled.wgsl', code: matmulTiled }],
  matmul_splitk: [activation, { file: 'matmul_splitk.wgsl', code: matmulSplitk }],
  softmax: [rows, rowsTree, { file: 'softmax.wgsl', code: softmax }],
  softmax_subgroups: [rowsSubgroup, rows, { file: 'softmax.wgsl', code: softmax }],
  loss: [rows, rowsTree, { file: 'loss.wgsl', code: loss }],
  loss_subgroups: [rowsSubgroup, rows, { file: 'loss.wgsl', code: loss }],
} satisfies Record<string, ShaderPart[]>;

export type ShaderFamily = keyof typeof shaderFamilies;
