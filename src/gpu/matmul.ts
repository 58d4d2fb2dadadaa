// The GPU side of matmul (src/ops/matmul.ts, the tuner): pick a variant (the tuner's, else the profile's; src/gpu/profile.ts),
// split K when the product is skinny, and dispatch. Every variant computes the same contract
// (shaders/matmul*.wgsl headers); the grid is derived from the same parameters that are
// passed as overrides, so the two cannot drift apart.

import type { CommandQueue } from './queue';
import { grid1d, MAX_WORKGROUPS_PER_DIM } from './queue';
import { describeVariant, splitCount, tiledVec4Loads, variantTile, type MatmulProblem, type MatmulVariant } from './profile';
import type { Overrides } from './kernels';

export interface MatmulBuffers {
  a: GPUBuffer;
  b: GPUBuffer;
  bias?: GPUBuffer;
  c: GPUBuffer;
}

export interface MatmulGpuProblem extends MatmulProblem {
  aBatched: boolean;
  bBatched: boolean;
}

const COMBINE_WORKGROUP = 64;

/** Records the matmul. `forced` runs that variant (the tuner's candidates: not noted in
 *  stats().kernels nor as a problem to tune); else the engine chooses. */
export function dispatchMatmul(
  q: CommandQueue,
  { a, b, bias, c }: MatmulBuffers,
  p: MatmulGpuProblem,
  activation: number,
  alpha: number,
  forced?: MatmulVariant,
): void {
  const variant = forced ?? q.choices.matmul(p);
  const note = forced === undefined;
  if (note) q.noteMatmul({ M: p.M, N: p.N, K: p.K, batch: p.batch, transposeA: p.transposeA, transposeB: p.transposeB });
  const { splits, kChunk } = splitCount(q.choices.profile.splitK, variant, p);
  const split = splits > 1;
  const target = split ? q.scratch(p.batch * splits * p.M * p.N * 4) : c;
  const [tileM, tileN] = variantTile(variant);
  const tilesX = Math.max(1, Math.ceil(p.N / tileN));
  const tilesY = Math.max(1, Math.ceil(p.M / tileM));
  const zs = Math.max(1, p.batch * splits);
  const uniforms: Record<string, number> = {
    M: p.M,
    N: p.N,
    K: p.K,
    batch: p.batch,
    a_batch_stride: p.aBatched ? p.M * p.K : 0,
    b_batch_stride: p.bBatched ? p.K * p.N : 0,
    alpha,
    splits,
    k_chunk: kChunk,
    tiles_x: tilesX,
    tiles_y: tilesY,
  };
  // Layout and epilogue: overrides for the register-tile kernels (their loads are specialized
  // per layout), uniforms for matmul_tiled.wgsl (one pipeline per tile: compile time).
  const layout = { transpose_a: p.transposeA, transpose_b: p.transposeB, has_bias: !split && bias !== undefined, activation: split ? 0 : activation };
  const overrides: Overrides = { ...(variant.kind === 'tiled' ? {} : layout), ...variantOverrides(variant) };
  // The tiled kernel's staging loads (vec4 where the layout allows), noted in stats().kernels.
  const loads = variant.kind === 'tiled' ? tiledVec4Loads(variant, p, kChunk) : null;
  if (loads) for (const [k, v] of Object.entries({ ...layout, a_vec4: loads.a, b_vec4: loads.b })) uniforms[k] = Number(v);
  // matmul_vec4 shares op(A)'s rows across a subgroup only where its subgroups fit the tile.
  const sharedA = variant.kind === 'vec4' && variant.shareA && q.choices.subgroupQuads(variant.wgX);
  q.dispatch({
    kernel: variant.kind === 'scalar' ? 'matmul.main' : variant.kind === 'tiled' ? 'matmul_tiled.main' : sharedA ? 'matmul_vec4_subgroups.main' : 'matmul_vec4.main',
    overrides,
    uniforms,
    // An unused bias binding still needs a buffer: A serves (it is never read). The tiled
    // kernel binds A and B twice, as f32s and as vec4s.
    bindings: { a, b, bias: bias ?? a, c: target, ...(loads ? { a4: a, b4: b } : {}) },
    // The natural grid where it fits; else the same workgroups folded (lib/tile_grid.wgsl).
    workgroups: Math.max(tilesX, tilesY, zs) <= MAX_WORKGROUPS_PER_DIM ? [tilesX, tilesY, zs] : grid1d(tilesX * tilesY * zs, 1),
  });
  const rowsA: Record<string, string> = variant.kind === 'vec4' ? { rowsA: sharedA ? 'subgroup' : 'own' } : {};
  if (note) q.choices.note('matmul', { variant: variant.kind, ...variantParams(variant), ...(loads ? { loadsA: width(loads.a), loadsB: width(loads.b) } : {}), ...rowsA, label: describeVariant(variant) });
  if (!split) return;
  const count = p.batch * p.M * p.N;
  q.dispatch({
    kernel: 'matmul_splitk.combine',
    overrides: { has_bias: bias !== undefined, activation, workgroup_size: COMBINE_WORKGROUP },
    uniforms: { count, mn: p.M * p.N, N: p.N, splits, alpha },
    bindings: { partial: target, bias: bias ?? target, c },
    workgroups: grid1d(count, COMBINE_WORKGROUP),
  });
  if (note) q.choices.note('matmul_splitk', { variant: 'split-K', splits, kChunk, under: variant.kind });
}

function variantOverrides(v: MatmulVariant): Overrides {
  switch (v.kind) {
    case 'scalar':
      return { wg_x: v.wgX, wg_y: v.wgY, strided: v.strided };
    case 'vec4':
      return { wg_x: v.wgX, wg_y: v.wgY };
    case 'tiled':
      return { tile_m: v.tileM, tile_n: v.tileN, tile_k: v.tileK, rows_per_thread: v.rowsPerThread };
  }
}

/** How the tiled kernel staged an operand: 'vec4' or 'scalar' loads. */
const width = (vec4: boolean) => (vec4 ? 'vec4' : 'scalar');

function variantParams(v: MatmulVariant): Record<string, number | boolean> {
  const { kind: _kind, ...params } = v;
  return params;
}
