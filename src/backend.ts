// ComputeBackend: what the engine needs from a device, so that src/engine.ts holds only the
// public API, scopes, the tape and the lifetime rules. Two implementations: the GPU backend
// (src/gpu/backend.ts: WebGPU buffers from a pool, dispatches recorded on one command queue)
// and the CPU reference (src/cpu/backend.ts: Float64Array, results rounded to f32 unless the
// engine runs in f64). A handle H is the backend's buffer type; the engine never looks inside.

import type { AdapterReport } from './gpu/device';
import type { KernelUse } from './gpu/profile';
import type { PoolStats } from './gpu/pool';
import type { QueueCounters } from './gpu/queue';
import type { KernelOpDef, UpdateDef } from './ops/op';
import type { Shape } from './ops/tensor';

export interface BackendStats {
  /** The GPU buffer pool (null on the CPU). */
  pool: PoolStats | null;
  /** Kernels run, submits and readbacks so far (the CPU counts its kernel calls as dispatches). */
  queue: QueueCounters;
  /** Kernel family -> variants used so far, with their parameters (empty on the CPU). */
  kernels: Record<string, KernelUse[]>;
}

export interface ComputeBackend<H = unknown> {
  readonly name: 'webgpu' | 'cpu';
  /** The adapter in use, e.g. "google / swiftshader (software)", or "cpu (reference backend)". */
  readonly adapter: string;
  readonly adapterReport: AdapterReport | null;
  readonly device: GPUDevice | null;

  /** Storage for a tensor of `shape` (contents undefined); `op` names the caller in errors. */
  alloc(op: string, shape: Shape): H;
  /** Returns storage to the backend (the GPU pool reuses it after the pending submit). */
  free(handle: H): void;
  /** Runs a kernel op: allocates its outputs, computes (or records) them, returns them.
   *  `outShapes` is the result's alone for a backwardOnly op when `saved` is false. */
  run<A>(op: KernelOpDef<A>, inputs: H[], inShapes: readonly Shape[], outShapes: readonly Shape[], attrs: A, saved: boolean): H[];
  /** Runs an in-place update on `targets`; `shapes` lists targets' then inputs' shapes. */
  update<A>(op: UpdateDef<A>, targets: H[], inputs: H[], shapes: readonly Shape[], attrs: A): void;
  /** Overwrites the first data.length values. Commands recorded earlier still see the old
   *  values (pending work that uses the storage is submitted first). */
  write(handle: H, data: ArrayLike<number>): void;
  /** The first `size` values as f32; `beforeSubmit` runs once the copy is recorded (e.g. to
   *  dispose the tensor so its buffer is reusable right after this submit). */
  read(handle: H, size: number, beforeSubmit?: () => void): Promise<Float32Array>;
  /** The first `size` values at the backend's precision (f64 on an f64 CPU engine). */
  readF64(handle: H, size: number): Promise<Float64Array>;

  /** Debug (EngineOptions.checkFinite): looks for NaN or ±inf in the first `size` values.
   *  The CPU answers at once (true: found); the GPU records a check that flags `seq` on the
   *  device if so, and answers null: firstNonFinite() tells later. */
  checkFinite(handle: H, size: number, seq: number): boolean | null;
  /** The smallest `seq` flagged by checkFinite since the last call (null: none); resets it. */
  firstNonFinite(): Promise<number | null>;

  /** Submits recorded work now. */
  flush(): void;
  /** Waits for all submitted work; rejects with the first error since the last check. */
  sync(): Promise<void>;
  stats(): BackendStats;
  /** Releases what the backend holds (the device too, if it acquired it). */
  destroy(): void;
}
