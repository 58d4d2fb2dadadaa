// Losses as training objectives: a loss maps the model's output and the batch's targets to a
// scalar tensor (the mean over the batch of the per-row divergence, DESIGN.md "Math").

import type { Engine } from '../engine';
import type { Tensor } from '../ops/tensor';
import { classIndices } from '../ops/loss';

/** What a loss compares the output with: a tensor of the output's shape, or one class index
 *  per row (one-hot for several outputs, 0/1 for one sigmoid output). */
export type Targets = Tensor | Int32Array;

/** A training objective for {@link fit}, {@link evaluate} and custom loops. */
export interface Loss {
  /** The loss's name, e.g. 'softmaxCrossEntropy'. */
  readonly name: string;
  /** The loss takes raw scores (logits): a one-column output predicts class 1 when it is
   *  above 0, not above 0.5 (a probability). */
  readonly logits?: boolean;
  /** The model's output is passed through this loss as logits (softmax CE), probabilities
   *  (binary CE) or values (mse). */
  compute(e: Engine, output: Tensor, targets: Targets): Tensor;
}

/** Targets as a tensor of the output's shape: class indices become 0/1 values for a
 *  one-column output (binary classification) and one-hot rows otherwise. */
function tensorTargets(e: Engine, output: Tensor, targets: Targets): Tensor {
  if (!(targets instanceof Int32Array)) return targets;
  const cols = output.shape[output.rank - 1] ?? 1;
  const rows = output.size / Math.max(cols, 1);
  // One column is a binary classifier: labels 0 and 1.
  const labels = classIndices('loss', [rows, cols === 1 ? 2 : cols], targets);
  const d = new Float32Array(output.size);
  labels.forEach((label, r) => {
    if (cols === 1) d[r] = label;
    else d[r * cols + label] = 1;
  });
  return e.tensor(d, output.shape);
}

/** Runs a loss on tensor targets, freeing targets made here from class indices once the loss
 *  has used them (under valueAndGrad the tape keeps them until the backward pass is done). */
function withTargets(e: Engine, output: Tensor, targets: Targets, loss: (d: Tensor) => Tensor): Tensor {
  const d = tensorTargets(e, output, targets);
  try {
    return loss(d);
  } finally {
    if (d !== targets) d.dispose();
  }
}

/** (1/T) Σ ½‖y − d‖² */
export function mse(): Loss {
  return { name: 'mse', compute: (e, y, d) => withTargets(e, y, d, (t) => e.mseLoss(y, t)) };
}

/** (1/T) Σ_t Σ_i −d log p − (1−d) log(1−p), p = sigmoid(output) taken by the caller's model. */
export function binaryCrossEntropy(): Loss {
  return { name: 'binaryCrossEntropy', compute: (e, p, d) => withTargets(e, p, d, (t) => e.binaryCrossEntropy(p, t)) };
}

/** The mean over all elements of the BCE of sigmoid(z), computed from the logits z (stable for
 *  any z): a one-column output scores class 1 of two; several columns are independent labels. */
export function binaryCrossEntropyWithLogits(): Loss {
  return { name: 'binaryCrossEntropyWithLogits', logits: true, compute: (e, z, d) => withTargets(e, z, d, (t) => e.binaryCrossEntropyWithLogits(z, t)) };
}

/** (1/T) Σ_t −Σ_i d_i log softmax(z_t)_i, targets optionally smoothed by α. */
export function softmaxCrossEntropy(opts: { labelSmoothing?: number } = {}): Loss {
  return { name: 'softmaxCrossEntropy', compute: (e, z, d) => e.softmaxCrossEntropy(z, d, opts) };
}
