// Dispatch of the row kernels (softmax, the losses; axis reductions lay out their own, src/ops/reduce.ts): each row gets
// row_threads invocations and a workgroup group_rows rows (shaders/lib/workgroup_rows.wgsl);
// the family's subgroup variant runs where the profile and the device allow it
// (KernelChoices.subgroupRows). Both numbers come from the profile's RowPolicy, and the grid
// is derived from the same values that are passed as overrides.

import type { Overrides, UniformValue } from './kernels';
import type { RowPolicy } from './profile';
import { grid1d, type CommandQueue } from './queue';

/** Families whose row kernels have a `<family>_subgroups` variant. */
export type RowFamily = 'softmax' | 'loss' | 'norm';

/** Invocations per row: the smallest power of two covering the row at the policy's columns
 *  per invocation, up to its cap (longer rows are strided); rows per workgroup: enough to
 *  reach the policy's group size, so short rows do not leave most of a workgroup idle. On a
 *  software adapter (SwiftShader) barriers cost per invocation: softmax [128, 1000] ran 29 ms
 *  at 64 wide, 11.5 ms at 16 and 7.5 ms at 4 (one tree per workgroup); a real GPU wants wide
 *  groups. The measurements behind each profile's numbers are in src/gpu/profile.ts. */
export function rowLayout(cols: number, policy: RowPolicy): { rowThreads: number; groupRows: number } {
  const want = Math.ceil(cols / policy.colsPerThread);
  let rowThreads = 1;
  while (rowThreads < want && rowThreads < policy.maxThreads) rowThreads *= 2;
  return { rowThreads, groupRows: Math.max(1, Math.floor(policy.groupThreads / rowThreads)) };
}

/** The most columns a short-row kernel holds (shaders/lib/short_rows.wgsl: 4 quads). */
const SHORT_ROW_MAX = 16;

/** Whether rows of `cols` columns run their family's short-row kernel (`<entry>_short`): one
 *  invocation per row, the row in registers, a pipeline per row length. */
export function shortRows(cols: number, policy: RowPolicy): boolean {
  return cols >= 1 && cols <= Math.min(policy.shortCols ?? 0, SHORT_ROW_MAX);
}

/** `kernel`, or its short-row variant `<kernel>_short` (same bindings) where `shortRows` holds. */
export function rowKernel<K extends `${RowFamily}.${string}`>(q: CommandQueue, kernel: K, cols: number): K | `${K}_short` {
  return shortRows(cols, q.choices.profile.rows) ? `${kernel}_short` : kernel;
}

/** Records `kernel` over `rows` rows of length `cols` (the uniforms get rows and cols too).
 *  Rows of length 0 are still dispatched (cheap, and a loss must write their value, 0).
 *  A `_short` kernel gets one invocation per row and its row length as the row_cols override. */
export function dispatchRows(
  q: CommandQueue,
  kernel: `${RowFamily}.${string}`,
  { rows, cols }: { rows: number; cols: number },
  uniforms: Record<string, UniformValue>,
  bindings: Record<string, GPUBuffer>,
  overrides: Overrides = {},
  policy: RowPolicy = q.choices.profile.rows,
): void {
  if (rows === 0) return;
  const short = kernel.endsWith('_short');
  const { rowThreads, groupRows } = short ? { rowThreads: 1, groupRows: policy.groupThreads } : rowLayout(cols, policy);
  // a short row needs no reduction over invocations: no subgroup variant
  const subgroups = policy.subgroups && !short ? q.choices.subgroupRows(rowThreads) : null;
  const [family, entry] = kernel.split('.') as [RowFamily, string];
  q.dispatch({
    kernel: subgroups ? `${family}_subgroups.${entry}` : kernel,
    overrides: {
      row_threads: rowThreads,
      group_rows: groupRows,
      ...(subgroups ? { row_in_subgroup: subgroups === 'butterfly' } : {}),
      ...(short ? { row_cols: cols } : {}),
      ...overrides,
    },
    uniforms: { rows, cols, ...uniforms },
    bindings,
    workgroups: grid1d(rows, groupRows),
  });
  q.choices.note(family, { variant: short ? 'short rows' : subgroups ? `subgroup ${subgroups}` : 'workgroup tree', rowThreads, groupRows });
}
