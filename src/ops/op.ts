// The shape of an op definition. Each op is written once, in one file of src/ops/: its shape
// rule (which validates and throws before any GPU work), its GPU dispatch, its CPU reference
// call and its backward rule, side by side. The engine runs whichever backend it has.

import type { CommandQueue } from '../gpu/queue';
import type { Shape, Tensor } from './tensor';

export interface OpDef<A> {
  readonly name: string;
  /** Validates input shapes and attributes; returns output shapes ([0] is the result, the
   *  rest are auxiliaries saved for the backward rule, owned by the result). */
  outputs(inputs: readonly Shape[], attrs: A): Shape[];
  cpu(inputs: Float64Array[], shapes: readonly Shape[], attrs: A): Float64Array[];
  gpu(queue: CommandQueue, inputs: GPUBuffer[], outputs: GPUBuffer[], shapes: readonly Shape[], attrs: A): void;
  /** Vector-Jacobian product: gradients of the inputs given dy (the result's gradient).
   *  Entries for inputs with needsGrad[i] false may be null. Absent: not differentiable. */
  backward?(args: BackwardArgs<A>): (Tensor | null)[];
}

export interface BackwardArgs<A> {
  ops: OpRunner;
  inputs: readonly Tensor[];
  /** The result followed by the auxiliaries. */
  outputs: readonly Tensor[];
  attrs: A;
  dy: Tensor;
  needsGrad: readonly boolean[];
}

/** What op implementations (backward rules) may call: run another op, untracked by
 *  the caller's code but on the same engine. */
export interface OpRunner {
  run<A>(op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor[];
}

/** Shorthand: the result of running one op. */
export function run1<A>(ops: OpRunner, op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor {
  return ops.run(op, inputs, attrs)[0]!;
}

/** An in-place update (optimizer steps): `targets` are read and written, `inputs` only read.
 *  Nothing is recorded on the tape: updates are not differentiable. */
export interface UpdateDef<A> {
  readonly name: string;
  /** Validates shapes and attributes; throws before any GPU work. */
  check(targets: readonly Shape[], inputs: readonly Shape[], attrs: A): void;
  /** Mutates `targets` in place. */
  cpu(targets: Float64Array[], inputs: Float64Array[], attrs: A): void;
  gpu(queue: CommandQueue, targets: GPUBuffer[], inputs: GPUBuffer[], shapes: readonly Shape[], attrs: A): void;
}
