// The CPU reference backend: tensors are Float64Array, ops call their CPU reference (src/cpu/)
// at once. With precision 'f32' every result is rounded to f32 like the GPU's; 'f64' keeps full
// precision, for finite-difference gradient checks.

import type { BackendStats, ComputeBackend } from '../backend';
import type { QueueCounters } from '../gpu/queue';
import type { KernelOpDef, UpdateDef } from '../ops/op';
import { fmt, shapeSize, type Shape } from '../ops/tensor';

/** The most elements one CPU tensor holds: its storage is f64, and a bigger request (2^31
 *  elements = 16 GiB) got the process killed for memory rather than an error. */
const MAX_CPU_ELEMENTS = 2 ** 28;

export class CpuBackend implements ComputeBackend<Float64Array> {
  readonly name = 'cpu';
  readonly adapter = 'cpu (reference backend)';
  readonly adapterReport = null;
  readonly device = null;
  private readonly counters: QueueCounters = { dispatches: 0, submits: 0, readbacks: 0 };

  constructor(private readonly precision: 'f32' | 'f64') {}

  alloc(op: string, shape: Shape): Float64Array {
    const n = shapeSize(shape);
    if (n > MAX_CPU_ELEMENTS) {
      throw new Error(`${op}: a tensor of shape ${fmt(shape)} has ${n} elements; the CPU backend holds at most ${MAX_CPU_ELEMENTS} (2^28, 2 GiB of f64) per tensor`);
    }
    return new Float64Array(n);
  }

  free(): void {}

  run<A>(op: KernelOpDef<A>, inputs: Float64Array[], inShapes: readonly Shape[], outShapes: readonly Shape[], attrs: A, saved: boolean): Float64Array[] {
    const outputs = op.cpu(inputs, inShapes, attrs, saved);
    this.counters.dispatches++;
    if (outputs.length !== outShapes.length) throw new Error(`${op.name}: the CPU reference returned ${outputs.length} outputs, expected ${outShapes.length}`);
    outputs.forEach((data, i) => {
      const want = shapeSize(outShapes[i]!);
      if (data.length !== want) throw new Error(`${op.name}: the CPU reference returned ${data.length} values for output ${i} of shape ${fmt(outShapes[i]!)}`);
      this.round(data);
    });
    return outputs;
  }

  update<A>(op: UpdateDef<A>, targets: Float64Array[], inputs: Float64Array[], _shapes: readonly Shape[], attrs: A): void {
    op.cpu(targets, inputs, attrs);
    targets.forEach((t) => this.round(t));
    this.counters.dispatches++;
  }

  write(data: Float64Array, values: ArrayLike<number>): void {
    data.set(values);
    this.round(data);
  }

  async read(data: Float64Array, size: number, beforeSubmit?: () => void): Promise<Float32Array> {
    this.counters.readbacks++;
    const out = Float32Array.from(data.subarray(0, size));
    beforeSubmit?.();
    return out;
  }

  async readF64(data: Float64Array, size: number): Promise<Float64Array> {
    return data.slice(0, size);
  }

  checkFinite(data: Float64Array, size: number): boolean {
    for (let i = 0; i < size; i++) if (!Number.isFinite(data[i]!)) return true;
    return false;
  }

  async firstNonFinite(): Promise<null> {
    return null; // checkFinite answers at once: nothing is left to report
  }

  flush(): void {}

  async sync(): Promise<void> {}

  stats(): BackendStats {
    return { pool: null, queue: { ...this.counters }, kernels: {} };
  }

  destroy(): void {}

  private round(data: Float64Array): void {
    if (this.precision === 'f64') return;
    for (let j = 0; j < data.length; j++) data[j] = Math.fround(data[j]!);
  }
}
