// Reverse-mode autodiff. While a tape is active, every op whose inputs depend on a watched
// tensor is recorded; backward() walks the records in reverse (a reverse topological order,
// since records are appended as ops run) and applies each op's backward rule, adding into
// the gradient of every input, so a tensor used twice gets the sum of both paths.

import type { OpDef, OpRunner } from '../ops/op';
import type { Tensor } from '../ops/tensor';
import { fmt } from '../ops/tensor';

interface TapeNode {
  op: OpDef<unknown>;
  inputs: Tensor[];
  outputs: Tensor[];
  attrs: unknown;
}

export class Tape {
  readonly nodes: TapeNode[] = [];
  /** Ids of tensors that depend on a watched tensor (and so need gradients). */
  readonly tracked = new Set<number>();
  /** Tensors the backward rules will read: their disposal waits until backward is done. */
  readonly held = new Set<Tensor>();

  constructor(watched: readonly Tensor[]) {
    for (const t of watched) this.tracked.add(t.id);
  }

  record<A>(op: OpDef<A>, inputs: Tensor[], outputs: Tensor[], attrs: A): void {
    if (!inputs.some((t) => this.tracked.has(t.id))) return;
    this.nodes.push({ op: op as OpDef<unknown>, inputs, outputs, attrs });
    for (const t of outputs) this.tracked.add(t.id);
    for (const t of [...inputs, ...outputs]) this.held.add(t);
  }
}

/**
 * Gradients of the scalar `output` with respect to each of `wrt`; inputs that do not reach the
 * output get zeros from `zeros`. Ops run through `ops`, untracked.
 */
export function backward(
  ops: OpRunner,
  tape: Tape,
  output: Tensor,
  seed: Tensor,
  wrt: readonly Tensor[],
  zeros: (like: Tensor) => Tensor,
): Tensor[] {
  const grads = new Map<number, Tensor>([[output.id, seed]]);
  for (let n = tape.nodes.length - 1; n >= 0; n--) {
    const node = tape.nodes[n]!;
    const dy = grads.get(node.outputs[0]!.id);
    if (!dy) continue;
    const needsGrad = node.inputs.map((t) => tape.tracked.has(t.id));
    const rule = node.op.backward;
    if (typeof rule !== 'function') {
      throw new Error(`valueAndGrad: op ${node.op.name} (inputs ${node.inputs.map((t) => fmt(t.shape)).join(', ')}) has no gradient: ${rule.nonDifferentiable}`);
    }
    const gs = rule({ ops, inputs: node.inputs, outputs: node.outputs, attrs: node.attrs, dy, needsGrad });
    node.inputs.forEach((x, i) => {
      const g = gs[i];
      if (!needsGrad[i] || !g) return;
      const prev = grads.get(x.id);
      grads.set(x.id, prev ? ops.run1('add', [prev, g], {}) : g);
    });
  }
  return wrt.map((x) => grads.get(x.id) ?? zeros(x));
}
