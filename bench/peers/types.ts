// What the benchmark harness (bench/harness.ts) needs from each library: webgrad itself, its
// CPU reference and the peers. Browser-safe: the Node-only helpers live in installed.ts.

import type { BenchCase } from '../cases/index';

/** One case prepared on one library: inputs uploaded, functions ready. */
export interface Runner {
  /** Runs the case once and returns its output values (the first call compiles pipelines:
   *  it is the warm-up; the values are compared across libraries). */
  once(): Promise<Float32Array>;
  /** Enqueues one execution and releases its output; the GPU may still be working. */
  step(): void;
  /** Resolves when all work enqueued so far has finished on the GPU. */
  sync(): Promise<void>;
  /** Frees the inputs. */
  dispose(): void;
}

export class Unsupported extends Error {}

export interface Library {
  /** Short name for the table, e.g. "tfjs-webgpu". */
  readonly name: string;
  /** Package and version, e.g. "@tensorflow/tfjs-backend-webgpu 4.22.0". */
  readonly version: string;
  /** Acquires the device; throws if the library cannot run here. */
  init(): Promise<void>;
  /** Prepares a case; throws Unsupported (with the reason) when the library can't run it. */
  prepare(c: BenchCase, inputs: Float32Array[]): Runner;
  /** What the library still holds (GPU buffers, tensors), where it can say: the harness
   *  compares the count before a case with the count after its runner is disposed (leaks). */
  live?(): number;
  /** What `live` counts, e.g. "GPU buffers". */
  readonly liveUnit?: string;
  /** Releases the device. */
  destroy(): void;
}
