// A training step as one unit of GPU work: forward, loss, backward (the tape's rules) and the
// optimizer update are recorded into the engine's one command encoder and submitted once.
// Intermediate buffers return to the pool when the step ends and are reused by the next step
// of the same shapes; nothing is read back unless the caller asks for the loss.

import type { Engine } from '../engine';
import type { TuneResult } from '../gpu/tune';
import type { QueueCounters } from '../gpu/queue';
import type { Tensor } from '../ops/tensor';

/** Applies gradients to parameters (an optimizer); `loss` lets it check finiteness on the GPU. */
export interface Updater {
  /** The tensors the step differentiates with respect to. */
  readonly params: Tensor[];
  /** Records the update from `grads` (one per parameter). */
  step(grads: Tensor[], loss?: Tensor): void;
}

/** What one training step cost. */
export interface StepCounters extends QueueCounters {
  /** GPU buffers created during the step (0 once shapes repeat). */
  allocations: number;
}

/** One training step (forward, backward, update) recorded into one command encoder and
 *  submitted once. `objective` computes the loss from the current parameters. */
export class TrainingStep {
  /** What the most recent step cost. */
  last: StepCounters = { dispatches: 0, submits: 0, readbacks: 0, allocations: 0 };

  constructor(
    private readonly e: Engine,
    private readonly objective: () => Tensor,
    private readonly updater: Updater,
    /** If given (a scalar tensor), each step adds its loss here on the device: an epoch's
     *  mean loss then costs one readback, not one per step. */
    private readonly lossSum?: Tensor,
  ) {}

  /**
   * Compiles every pipeline the step uses (createComputePipelineAsync), without running it, so
   * step 1 does not stall the page on shader compilation; with tune 'always' its matmul shapes
   * are tuned first (their results are returned). Optional: run() compiles what it needs on
   * the fly.
   */
  async prepare(): Promise<TuneResult[]> {
    return this.e.prepare(() => {
      const { value, grads } = this.e.gradients(this.objective, this.updater.params);
      try {
        this.updater.step(grads, value);
        if (this.lossSum) this.e.update('addInPlace', [this.lossSum], [value], {});
      } finally {
        value.dispose();
        grads.forEach((g) => g.dispose());
      }
    });
  }

  /**
   * Runs one step. With readLoss, the loss is copied out in the same submit and the promise
   * resolves when the GPU gets there; without it, there is no readback at all.
   */
  run(readLoss: false): void;
  run(readLoss: true): Promise<number>;
  run(readLoss: boolean): Promise<number> | void {
    const before = this.counters();
    const { value, grads } = this.e.gradients(this.objective, this.updater.params);
    let result: Promise<number> | undefined;
    try {
      this.updater.step(grads, value);
      if (this.lossSum) this.e.update('addInPlace', [this.lossSum], [value], {});
    } catch (err) {
      value.dispose();
      throw err;
    } finally {
      grads.forEach((g) => g.dispose());
    }
    // Disposing before the submit (the commands that use the buffers are already recorded)
    // returns every buffer to the pool for the next step.
    if (readLoss) {
      result = this.e.readAndDispose(value).then((v) => v[0]!);
    } else {
      value.dispose();
      this.e.flush();
    }
    const after = this.counters();
    this.last = {
      dispatches: after.dispatches - before.dispatches,
      submits: after.submits - before.submits,
      readbacks: after.readbacks - before.readbacks,
      allocations: after.allocations - before.allocations,
    };
    return result;
  }

  private counters(): StepCounters {
    const s = this.e.stats();
    return { ...s.queue, allocations: s.pool?.allocations ?? 0 };
  }
}
