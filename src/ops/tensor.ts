// Tensor: a shape over a Storage that the engine owns: a pooled GPUBuffer on 'webgpu', a
// Float64Array on 'cpu' (values rounded to f32 unless the engine runs in f64). Row-major.
// A view (reshape) is another Tensor on the same Storage: the storage counts the live
// tensors on it and goes back to the backend only when the last of them is disposed.

/** A tensor's dimensions, outermost first (row-major); [] is a scalar. Each is a non-negative
 *  integer; Engine.tensor, zeros and reshape throw otherwise. */
export type Shape = readonly number[];

/** A backend buffer shared by a tensor and its views. `handle` is the backend's own type
 *  (GPUBuffer or Float64Array); only the backend looks inside. */
export class Storage {
  /** Live (not yet disposed) tensors on this storage. */
  refs = 1;
  constructor(
    readonly handle: unknown,
    /** Bytes of f32 data it holds (what the engine's live and peak byte counts add up). */
    readonly bytes: number,
  ) {}
}

/** What a tensor needs from its engine. */
export interface TensorHost {
  readTensor(t: Tensor): Promise<Float32Array>;
  readTensorF64(t: Tensor): Promise<Float64Array>;
  /** Frees the tensor now (its storage too, if no view shares it), or returns false to keep
   *  it a little longer (an active gradient tape still needs it; the host frees it when the
   *  tape is done). */
  releaseTensor(t: Tensor): boolean;
}

let nextTensorId = 1;

/**
 * An n-dimensional array of f32 values (row-major; f64 on a CPU engine with precision 'f64')
 * that lives on its engine's backend. Make one with {@link Engine.tensor} or an op, read it
 * with {@link Tensor.read}, free it with {@link Tensor.dispose} or an {@link Engine.tidy}
 * scope. A view (reshape, expandDims, squeeze) is another Tensor sharing the same storage.
 */
export class Tensor {
  /** A number unique among the tensors of this process (counting from 1), shown in errors. */
  readonly id = nextTensorId++;
  /** The number of elements: the product of the shape's dimensions (1 for shape []). */
  readonly size: number;
  private storageRef: Storage | null;
  /** Tensors owned by this one (an op's saved auxiliaries), disposed with it. */
  readonly owned: Tensor[] = [];

  constructor(
    /** The engine that made this tensor (it reads and frees it). */
    readonly host: TensorHost,
    storage: Storage,
    /** The dimensions, outermost first. */
    readonly shape: Shape,
  ) {
    this.size = shapeSize(shape);
    this.storageRef = storage;
  }

  /** The number of dimensions (0 for a scalar of shape []). */
  get rank(): number {
    return this.shape.length;
  }

  /** True once the tensor is disposed: by dispose(), by the tidy scope that created it, or by
   *  Engine.destroy(). One disposed inside valueAndGrad's f stays alive until the gradients are
   *  computed (the tape still needs it). */
  get isDisposed(): boolean {
    return this.storageRef === null;
  }

  /** The storage; throws if the tensor was disposed. `op` names the caller in the error. */
  storage(op: string): Storage {
    if (!this.storageRef) throw new Error(`${op}: tensor #${this.id} of shape [${this.shape.join(', ')}] was disposed`);
    return this.storageRef;
  }

  /** Copies the values to the CPU (a GPU readback on 'webgpu'). */
  async read(): Promise<Float32Array> {
    this.storage('read');
    return this.host.readTensor(this);
  }

  /** The values at full precision: f64 on the CPU engine in 'f64' mode, else f32 widened. */
  async readF64(): Promise<Float64Array> {
    this.storage('readF64');
    return this.host.readTensorF64(this);
  }

  /** Frees the tensor (its storage goes back to the pool once no view shares it).
   *  Disposing twice is a no-op. */
  dispose(): void {
    if (!this.storageRef) return;
    if (!this.host.releaseTensor(this)) return;
    this.storageRef = null;
    for (const t of this.owned) t.dispose();
  }

  /** `Tensor#id[d0, d1, ...]`, e.g. `Tensor#7[2, 3]`: the id and shape, not the values. */
  toString(): string {
    return `Tensor#${this.id}[${this.shape.join(', ')}]`;
  }
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws unless `data` is a typed array or an array of numbers (NaN and ±Infinity are numbers:
 *  they are data, not mistakes). */
export function checkData(op: string, data: unknown): void {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) return;
  if (!Array.isArray(data)) throw new Error(`${op}: data must be an array or typed array of numbers, got ${data === null ? 'null' : typeof data === 'object' ? Object.prototype.toString.call(data) : String(data)}`);
  const bad = data.findIndex((v) => typeof v !== 'number');
  if (bad >= 0) throw new Error(`${op}: data[${bad}] is ${JSON.stringify(data[bad]) ?? String(data[bad])}, not a number`);
}

/** Throws unless every dimension is a non-negative integer. */
export function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of dimensions, got ${String(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: shape ${fmt(shape)} has dimension ${String(d)}; dimensions must be non-negative integers`);
    }
  }
}
