// Plans for shaders/copy.wgsl, the one strided-copy kernel that transpose, slice, pad, concat
// and stack share. An op describes its copy as a list of axes (iteration size, the input's
// and the output's stride, and the window of the iteration in which the input exists); this
// file merges what it can and fills the kernel's Dims uniform.

import { grid1d, type CommandQueue } from '../gpu/queue';
export { stridesOf } from '../cpu/shape';
import { fmt } from './tensor';

/** The kernel's axis count: ranks above it work when merging brings them down. */
export const COPY_MAX_AXES = 6;
const WORKGROUP = 256;
/** Consecutive innermost points per invocation. */
const RUN = 8;

export interface CopyAxis {
  size: number;
  inStride: number;
  outStride: number;
  /** The input exists for lo <= c < hi on this axis (zeros elsewhere: padding). */
  lo: number;
  hi: number;
}

export interface CopyPlan {
  axes: CopyAxis[];
  inOffset: number;
  outOffset: number;
}

/** An axis without padding. */
export function plainAxis(size: number, inStride: number, outStride: number): CopyAxis {
  return { size, inStride, outStride, lo: 0, hi: size };
}

const unpadded = (a: CopyAxis) => a.lo === 0 && a.hi === a.size;

/**
 * Drops unpadded axes of size 1 and merges each unpadded axis into its unpadded outer
 * neighbour when both sides step over it contiguously (outer stride = inner stride · size):
 * a transpose of [2, 3, 4] by [0, 2, 1] stays 3 axes, a slice of whole rows becomes 1.
 */
export function mergeAxes(axes: readonly CopyAxis[]): CopyAxis[] {
  const merged: CopyAxis[] = [];
  for (const a of axes) {
    if (a.size === 1 && unpadded(a)) continue;
    const prev = merged.at(-1);
    if (prev && unpadded(prev) && unpadded(a) && prev.inStride === a.inStride * a.size && prev.outStride === a.outStride * a.size) {
      merged[merged.length - 1] = plainAxis(prev.size * a.size, a.inStride, a.outStride);
    } else {
      merged.push(a);
    }
  }
  return merged;
}

/** Records the copy `plan` describes from x into out (nothing for an empty iteration). */
export function stridedCopy(q: CommandQueue, op: string, x: GPUBuffer, out: GPUBuffer, plan: CopyPlan): void {
  const axes = mergeAxes(plan.axes);
  const len = axes.reduce((n, a) => n * a.size, 1);
  if (len === 0) return;
  if (axes.length > COPY_MAX_AXES) {
    throw new Error(`${op}: this copy needs ${axes.length} axes of sizes ${fmt(axes.map((a) => a.size))} after merging contiguous ones; at most ${COPY_MAX_AXES} are supported`);
  }
  const all = [...new Array<CopyAxis>(COPY_MAX_AXES - axes.length).fill(plainAxis(1, 0, 0)), ...axes];
  const innermost = all[COPY_MAX_AXES - 1]!.size;
  const blocks = blockTransposes(all, plan);
  // rows: the strided copy's outer iteration points, or block_transpose's 4 x 4 blocks
  const rows = blocks ? len / 16 : len / innermost;
  const uniforms: Record<string, number> = { rows, in_offset: plan.inOffset, out_offset: plan.outOffset };
  all.forEach((a, d) => {
    uniforms[`size${d}`] = a.size;
    uniforms[`in_stride${d}`] = a.inStride;
    uniforms[`out_stride${d}`] = a.outStride;
    uniforms[`lo${d}`] = a.lo;
    uniforms[`hi${d}`] = a.hi;
  });
  if (blocks) {
    q.dispatch({
      kernel: 'copy.block_transpose',
      overrides: { workgroup_size: WORKGROUP, axes: axes.length },
      uniforms,
      bindings: { x4: x, out4: out },
      workgroups: grid1d(rows, WORKGROUP),
    });
    q.choices.note('copy', { variant: 'block transpose 4x4' });
    return;
  }
  q.dispatch({
    kernel: 'copy.strided_copy',
    overrides: { workgroup_size: WORKGROUP, axes: Math.max(1, axes.length), run: RUN },
    uniforms,
    bindings: { x, out },
    workgroups: grid1d(rows * Math.ceil(innermost / RUN), WORKGROUP),
  });
  q.choices.note('copy', { variant: 'strided' });
}

/** Whether the two innermost axes of a merged copy (`all`, padded to COPY_MAX_AXES) are a
 *  transpose that shaders/copy.wgsl block_transpose takes: input contiguous along the outer
 *  of the two, output along the inner, every size, stride and offset that addresses a vec4 a
 *  multiple of 4, nothing padded. */
function blockTransposes(all: readonly CopyAxis[], plan: CopyPlan): boolean {
  const [a, b] = [all[COPY_MAX_AXES - 2]!, all[COPY_MAX_AXES - 1]!];
  const by4 = (n: number) => n % 4 === 0;
  return a.inStride === 1 && b.outStride === 1 && by4(a.size) && by4(b.size) && by4(b.inStride) && by4(a.outStride)
    && by4(plan.inOffset) && by4(plan.outOffset)
    && all.every((d) => unpadded(d) && (d === a || d === b || (by4(d.inStride) && by4(d.outStride))));
}
