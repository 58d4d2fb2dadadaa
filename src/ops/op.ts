// The shape of an op definition. Each op is written once, in one file of src/ops/: its shape
// rule (which validates and throws before any GPU work), its GPU dispatch, its CPU reference
// call and its backward rule, side by side, and registered by name in src/ops/table.ts. The
// engine runs it on whichever backend it has (src/backend.ts).
//
// How to add an op (say `gelu(x, { approximate })`):
//  1. Kernel: an entry point in shaders/<family>.wgsl (a new family or an existing one), with
//     the header comment (formula, bindings with access and shape, dispatch grid, workgroup
//     size). Helpers (NaN tests, LOWEST, log1p, flat_index, workgroup trees, row max and
//     log-sum-exp) come from shaders/lib/: a new family lists the libs it links in
//     src/gpu/shaders.ts. Shapes go in the `dims` uniform, choices in `override` constants.
//  2. CPU reference: a function over Float64Array in src/cpu/<family>.ts (f64 in and out).
//  3. Definition: in src/ops/<family>.ts export
//       export const gelu: OpDef<GeluAttrs> = {
//         name: 'gelu',                                  // = its key in the table
//         outputs: ([x], attrs) => [x!],                 // shape rule: validate, throw with
//                                                        // the op, the shapes, what was expected
//         cpu: ([x], [sx], attrs) => [geluCpu(x!, attrs)],
//         gpu: (q, [x], [out], [sx], attrs) => q.dispatch({ kernel: 'elementwise.gelu', ... }),
//         // d(gelu x) = dy ⊙ gelu'(x)                    <- the math, one line
//         backward: ({ ops, inputs: [x], dy, attrs }) => [ops.run1('geluGrad', [x!, dy], attrs)],
//       };
//     `backward` is required: a rule (gradients of the inputs given dy, null where
//     needsGrad[i] is false), or `nonDifferentiable('why')` (comparisons, argMax, kernels
//     that only serve a backward rule); the reason is the error valueAndGrad reports.
//     Backward rules call other ops by name (ops.run1 / ops.run), never the backend.
//     An op whose result only re-labels its input's storage (reshape, expandDims, squeeze)
//     says `view: true` instead of cpu/gpu: its output shares input 0's storage, no dispatch.
//     An op whose auxiliary outputs (all but [0]) only its backward rule reads (a loss's
//     saved ∂Loss/∂x, max pooling's arg-max, layer norm's μ and r) says `backwardOnly: true`:
//     where no gradient can flow through a call (no tape records it: inference, evaluation)
//     the engine makes only the result. cpu and gpu are then called with `saved` false, get
//     (gpu) and return (cpu) the result alone, and skip the work of the auxiliaries (a GPU
//     kernel still statically using their bindings gets q.scratch stand-ins).
//  4. Register it: one line `gelu,` in the table of src/ops/table.ts (the name and the
//     attribute type of ops.run('gelu', ...) come from there).
//  5. Public method on Engine (src/engine.ts), one line: `return this.run1('gelu', [x], attrs)`.
//  6. Tests: GPU vs CPU on awkward shapes (`both` in test/backends.ts) and a finite-difference
//     gradient check on the f64 CPU engine (test/gradcheck.ts).
// An in-place update (optimizer steps) is an UpdateDef, registered in updateTable.

import type { CommandQueue } from '../gpu/queue';
import type { AttrsOf, OpName } from './table';
import type { Shape, Tensor } from './tensor';

/** Attributes of an op that has none. */
export type NoAttrs = Record<string, never>;

interface OpCommon<A> {
  readonly name: string;
  /** Validates input shapes and attributes; returns output shapes ([0] is the result, the
   *  rest are auxiliaries saved for the backward rule, owned by the result). */
  outputs(inputs: readonly Shape[], attrs: A): Shape[];
  /** Vector-Jacobian product, or why there is none. */
  backward: BackwardRule<A> | NonDifferentiable;
  /** The auxiliary outputs are read only by the backward rule: where no tape records the
   *  call they are not allocated, computed or returned (cpu/gpu get `saved` false). */
  readonly backwardOnly?: boolean;
}

/** An op computed by a kernel: a GPU dispatch and its CPU reference. */
export interface KernelOpDef<A> extends OpCommon<A> {
  /** The outputs (the result alone for a backwardOnly op when `saved` is false). */
  cpu(inputs: Float64Array[], shapes: readonly Shape[], attrs: A, saved: boolean): Float64Array[];
  /** Records the dispatches that fill `outputs` (the result alone for a backwardOnly op when `saved` is false). */
  gpu(queue: CommandQueue, inputs: GPUBuffer[], outputs: GPUBuffer[], shapes: readonly Shape[], attrs: A, saved: boolean): void;
}

/** An op whose one output is its first input's storage under a new shape (no copy, no dispatch). */
export interface ViewOpDef<A> extends OpCommon<A> {
  readonly view: true;
}

export type OpDef<A> = KernelOpDef<A> | ViewOpDef<A>;

export function isView<A>(op: OpDef<A>): op is ViewOpDef<A> {
  return 'view' in op && op.view;
}

/** Gradients of the inputs given dy (the result's gradient). Entries for inputs with
 *  needsGrad[i] false may be null. */
export type BackwardRule<A> = (args: BackwardArgs<A>) => (Tensor | null)[];

export interface NonDifferentiable {
  readonly nonDifferentiable: string;
}

/** The backward entry of an op without a gradient; `reason` ends up in valueAndGrad's error. */
export function nonDifferentiable(reason: string): NonDifferentiable {
  return { nonDifferentiable: reason };
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

/** What op implementations (backward rules) may call: other registered ops, by name. */
export interface OpRunner {
  /** Every output (the result, then the auxiliaries). */
  run<K extends OpName>(op: K, inputs: Tensor[], attrs: AttrsOf<K>): Tensor[];
  /** The result only. */
  run1<K extends OpName>(op: K, inputs: Tensor[], attrs: AttrsOf<K>): Tensor;
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
