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

  /** Whether record() will keep an op with these inputs (one depends on a watched tensor). */
  records(inputs: readonly Tensor[]): boolean {
    return inputs.some((t) => this.tracked.has(t.id));
  }

  record<A>(op: OpDef<A>, inputs: Tensor[], outputs: Tensor[], attrs: A): void {
    if (!this.records(inputs)) return;
    this.nodes.push({ op: op as OpDef<unknown>, inputs, outputs, attrs });
    for (const t of outputs) this.tracked.add(t.id);
    for (const t of [...inputs, ...outputs]) this.held.add(t);
  }
}

/** What backward needs from the engine: ops by name, and scopes that free what a rule made
 *  but did not return. */
export interface BackwardHost extends OpRunner {
  tidy<T>(fn: () => T): T;
}

/**
 * Gradients of the scalar `output` with respect to each of `wrt`; inputs that do not reach the
 * output get zeros from `zeros`. Ops run through `ops`, untracked.
 *
 * Memory: a gradient is freed as soon as it is consumed (the rule of the op that produced its
 * tensor has run, or it was summed into an accumulated gradient), and what a rule computes
 * on the way is freed when the rule returns; so backward holds O(1) gradients beyond the
 * forward pass's saved tensors and the gradients it returns, whatever the depth. One tensor
 * may be the gradient of several tensors at once (add's rule returns dy itself for both
 * inputs): it is freed when the last of them lets go.
 */
export function backward(
  ops: BackwardHost,
  tape: Tape,
  output: Tensor,
  seed: Tensor,
  wrt: readonly Tensor[],
  zeros: (like: Tensor) => Tensor,
): Tensor[] {
  const grads = new Map<number, Tensor>();
  const holders = new Map<Tensor, number>();
  const set = (id: number, g: Tensor) => {
    grads.set(id, g);
    holders.set(g, (holders.get(g) ?? 0) + 1);
  };
  // Frees g once no entry of `grads` holds it. A tensor of the forward pass (a rule may hand
  // one back as a gradient) belongs to the tape's owner, not to backward.
  const release = (g: Tensor) => {
    const n = holders.get(g) ?? 0;
    if (n > 1) holders.set(g, n - 1);
    else {
      holders.delete(g);
      if (!tape.held.has(g)) g.dispose();
    }
  };
  set(output.id, seed);
  for (let n = tape.nodes.length - 1; n >= 0; n--) {
    const node = tape.nodes[n]!;
    const key = node.outputs[0]!.id;
    const dy = grads.get(key);
    if (!dy) continue;
    const needsGrad = node.inputs.map((t) => tape.tracked.has(t.id));
    const rule = node.op.backward;
    if (typeof rule !== 'function') {
      throw new Error(`valueAndGrad: op ${node.op.name} (inputs ${node.inputs.map((t) => fmt(t.shape)).join(', ')}) has no gradient: ${rule.nonDifferentiable}`);
    }
    const gs = ops.tidy(() => rule({ ops, inputs: node.inputs, outputs: node.outputs, attrs: node.attrs, dy, needsGrad }));
    const fresh = new Set<Tensor>();
    node.inputs.forEach((x, i) => {
      const g = gs[i];
      if (!g) return;
      if (!needsGrad[i]) {
        fresh.add(g);
        return;
      }
      const prev = grads.get(x.id);
      if (!prev) return set(x.id, g);
      set(x.id, ops.run1('add', [prev, g], {})); // d(x) sums every path from x to the output
      release(prev);
      fresh.add(g);
    });
    // dy is consumed: this op was the only producer of its tensor.
    grads.delete(key);
    release(dy);
    for (const g of fresh) if (!holders.has(g) && !tape.held.has(g)) g.dispose();
  }
  const result = wrt.map((x) => grads.get(x.id) ?? zeros(x));
  const returned = new Set(result);
  for (const g of holders.keys()) if (!returned.has(g) && !tape.held.has(g)) g.dispose();
  return result;
}
