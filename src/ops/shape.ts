// Shape ops. reshape is a view: the result shares its input's storage (no copy, no dispatch;
// the storage is freed when the last tensor on it is disposed). copy is the explicit copy,
// for where a result must not alias its source (valueAndGrad's hand-outs).

import type { NoAttrs, OpDef } from './op';
import { checkShape, fmt, shapeSize, type Shape } from './tensor';

/** The same values under a new shape of the same size. */
export const reshape: OpDef<{ shape: Shape }> = {
  name: 'reshape',
  view: true,
  outputs([x], { shape }) {
    checkShape('reshape', shape);
    if (shapeSize(x!) !== shapeSize(shape)) throw new Error(`reshape: cannot reshape ${fmt(x!)} (${shapeSize(x!)} elements) to ${fmt(shape)} (${shapeSize(shape)} elements)`);
    return [shape];
  },
  // d(reshape(x, s)) = reshape(dy, shape of x)
  backward: ({ ops, inputs: [x], dy }) => [ops.run1('reshape', [dy], { shape: x!.shape })],
};

/** out = x, in a new storage. */
export const copy: OpDef<NoAttrs> = {
  name: 'copy',
  outputs: ([x]) => [x!],
  cpu: ([x]) => [x!.slice()],
  gpu(q, [x], [out], [s]) {
    q.copy(x!, out!, shapeSize(s!) * 4);
  },
  // d(copy x) = dy
  backward: ({ dy }) => [dy],
};
