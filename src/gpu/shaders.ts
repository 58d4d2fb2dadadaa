// The WGSL sources of every kernel family, imported as text so that bundles carry them.
// A family may link function libraries (shaders/lib/) that are prepended to its source.

import floatLib from '../../shaders/lib/float.wgsl';
import indexLib from '../../shaders/lib/index.wgsl';
import treeLib from '../../shaders/lib/tree.wgsl';
import rowsLib from '../../shaders/lib/rows.wgsl';
import shortRowsLib from '../../shaders/lib/short_rows.wgsl';
import workgroupRowsLib from '../../shaders/lib/workgroup_rows.wgsl';
import treeSubgroupLib from '../../shaders/lib/tree_subgroup.wgsl';
import lanesLib from '../../shaders/lib/lanes.wgsl';
import lanesSubgroupLib from '../../shaders/lib/lanes_subgroup.wgsl';
import activationLib from '../../shaders/lib/activation.wgsl';
import tileGridLib from '../../shaders/lib/tile_grid.wgsl';
import matmulAOwnLib from '../../shaders/lib/matmul_a_own.wgsl';
import matmulASubgroupLib from '../../shaders/lib/matmul_a_subgroup.wgsl';
import unaryLib from '../../shaders/lib/unary.wgsl';
import elementwise from '../../shaders/elementwise.wgsl';
import broadcast from '../../shaders/broadcast.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import optimizer from '../../shaders/optimizer.wgsl';
import matmul from '../../shaders/matmul.wgsl';
import matmulVec4 from '../../shaders/matmul_vec4.wgsl';
import matmulTiled from '../../shaders/matmul_tiled.wgsl';
import matmulSplitk from '../../shaders/matmul_splitk.wgsl';
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
//   float       LOWEST, is_nan(4), is_inf, is_finite(4), is_zero, is_one, poisons, sign_bit, nan_f32,
//               inf_f32, log1p, and NumPy's edges: div_ieee, log_ieee, exp_ieee
//   index           flat_index, group_index     (needs the family's workgroup_size override)
//   workgroup_rows  Row, row_of, scratch        (needs row_threads, group_rows, dims.rows/cols)
//   tree            tree_max, tree_sum, tree_sum2 over a Row (workgroup memory), or
//   tree_subgroup   the same on subgroup operations (first in its families, for `enable`)
//   rows            row_softmax_stats, row_quads, in_row4 (needs float, a tree, binding x4)
//   short_rows      ShortRow, short_index, short_row, short_live, short_sum, put_out4,
//                   short_softmax_stats (needs rows, bindings x and out, override row_cols)
//   lanes           lane_sum, lane_best over one output's lanes in reduce.wgsl (workgroup
//   lanes_subgroup  memory, or subgroup shuffles: first in its family, for `enable`)
//   activation  activate, activation_derivative (needs float)
//   tile_grid   tile_of: a matmul workgroup's tile, unfolding a folded grid (needs dims.tiles_x/y)
//   unary       unary_math, unary_math_derivative (needs float, activation)
//   matmul_a_own       a_rows, a_tile: how matmul_vec4.wgsl gets op(A)'s rows (each
//   matmul_a_subgroup  invocation loads them, or a subgroup of 4 shares them: first in its
//                      family, for `enable`)
const float: ShaderPart = { file: 'lib/float.wgsl', code: floatLib };
const tileGrid: ShaderPart = { file: 'lib/tile_grid.wgsl', code: tileGridLib };
const index: ShaderPart = { file: 'lib/index.wgsl', code: indexLib };
const tree: ShaderPart = { file: 'lib/tree.wgsl', code: treeLib };
const rows: ShaderPart = { file: 'lib/rows.wgsl', code: rowsLib };
const shortRows: ShaderPart = { file: 'lib/short_rows.wgsl', code: shortRowsLib };
const activation: ShaderPart = { file: 'lib/activation.wgsl', code: activationLib };
const unary: ShaderPart = { file: 'lib/unary.wgsl', code: unaryLib };
const workgroupRows: ShaderPart = { file: 'lib/workgroup_rows.wgsl', code: workgroupRowsLib };
const lanes: ShaderPart = { file: 'lib/lanes.wgsl', code: lanesLib };
// First in their families: they start with `enable subgroups;`, which must precede everything.
const treeSubgroup: ShaderPart = { file: 'lib/tree_subgroup.wgsl', code: treeSubgroupLib };
const lanesSubgroup: ShaderPart = { file: 'lib/lanes_subgroup.wgsl', code: lanesSubgroupLib };
const matmulAOwn: ShaderPart = { file: 'lib/matmul_a_own.wgsl', code: matmulAOwnLib };
const matmulASubgroup: ShaderPart = { file: 'lib/matmul_a_subgroup.wgsl', code: matmulASubgroupLib };

// Row families come in two variants: workgroup-memory trees, and `<family>_subgroups` with
// the same kernels over lib/tree_subgroup.wgsl (run only on devices with 'subgroups').
export const shaderFamilies = {
  elementwise: [float, index, activation, unary, { file: 'elementwise.wgsl', code: elementwise }],
  broadcast: [float, index, { file: 'broadcast.wgsl', code: broadcast }],
  // Trees over each output's lanes (several outputs per workgroup), in workgroup memory or on
  // subgroups (reduce_subgroups: only on devices with 'subgroups').
  reduce: [float, index, lanes, { file: 'reduce.wgsl', code: reduce }],
  reduce_subgroups: [lanesSubgroup, float, index, { file: 'reduce.wgsl', code: reduce }],
  optimizer: [float, index, { file: 'optimizer.wgsl', code: optimizer }],
  matmul: [float, activation, tileGrid, { file: 'matmul.wgsl', code: matmul }],
  matmul_vec4: [float, activation, tileGrid, matmulAOwn, { file: 'matmul_vec4.wgsl', code: matmulVec4 }],
  // The subgroup of 4 lanes shares op(A)'s rows (only on devices whose subgroups are 4 wide).
  matmul_vec4_subgroups: [matmulASubgroup, float, activation, tileGrid, { file: 'matmul_vec4.wgsl', code: matmulVec4 }],
  matmul_tiled: [float, activation, tileGrid, { file: 'matmul_tiled.wgsl', code: matmulTiled }],
  matmul_splitk: [float, activation, { file: 'matmul_splitk.wgsl', code: matmulSplitk }],
  softmax: [float, workgroupRows, tree, rows, shortRows, { file: 'softmax.wgsl', code: softmax }],
  softmax_subgroups: [treeSubgroup, float, workgroupRows, rows, shortRows, { file: 'softmax.wgsl', code: softmax }],
  loss: [float, index, workgroupRows, tree, rows, shortRows, activation, { file: 'loss.wgsl', code: loss }],
  loss_subgroups: [treeSubgroup, float, index, workgroupRows, rows, shortRows, activation, { file: 'loss.wgsl', code: loss }],
  copy: [index, { file: 'copy.wgsl', code: copy }],
  gather: [float, index, { file: 'gather.wgsl', code: gather }],
  finite: [float, index, { file: 'finite.wgsl', code: finite }],
  conv: [{ file: 'conv.wgsl', code: conv }],
  pool: [float, { file: 'pool.wgsl', code: pool }],
  norm: [index, workgroupRows, tree, { file: 'norm.wgsl', code: norm }],
  norm_subgroups: [treeSubgroup, index, workgroupRows, { file: 'norm.wgsl', code: norm }],
  dropout: [index, { file: 'dropout.wgsl', code: dropout }],
} satisfies Record<string, ShaderPart[]>;

export type ShaderFamily = keyof typeof shaderFamilies;
