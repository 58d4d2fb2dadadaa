// BufferPool: reuses GPU storage buffers by size class so that a training loop, which asks
// for the same shapes step after step, stops allocating after its first step.
//
// A released buffer may still be read by commands recorded but not yet submitted, and
// queue.writeBuffer runs before those commands: so releases are parked until the owner
// says the pending commands were submitted (`afterSubmit`). After that, reuse is safe
// because the queue executes submitted work in order.

/** The GPU buffer pool's counters. */
export interface PoolStats {
  /** Buffers handed out and not released. */
  liveBuffers: number;
  /** Bytes of all buffers the pool created and has not destroyed (live + free + parked). */
  allocatedBytes: number;
  /** createBuffer calls so far. */
  allocations: number;
  /** acquire() calls served from the free lists. */
  reuses: number;
  /** Released buffers waiting for reuse. */
  freeBuffers: number;
}

const USAGE_STORAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST

/**
 * The most bytes one tensor may use on `limits`: it must fit one storage binding and one
 * buffer, rounded down to 16 bytes because the vec4 kernels bind (and may write) whole vec4s.
 * Real adapters report limits that are not powers of two (e.g. 200,000,000).
 */
export function maxTensorBytes(limits: GPUSupportedLimits): number {
  return Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 16) * 16;
}

/** Size classes: 256 B minimum, then four steps per power of two (<= 19% slack), capped at
 *  `cap` (a multiple of 16) so that a tensor just under the limit does not round past it. */
export function sizeClass(bytes: number, cap = Infinity): number {
  if (bytes <= 256) return Math.min(256, cap);
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const c = Math.ceil((p * f) / 256) * 256;
    if (c >= bytes) return Math.min(c, cap);
  }
  return Math.min(2 * p, cap);
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private parked: GPUBuffer[] = [];
  /** Bytes released since the last submit (reusable after it). */
  parkedBytes = 0;
  private readonly live = new Set<GPUBuffer>();
  private stats = { allocatedBytes: 0, allocations: 0, reuses: 0 };
  /** The largest buffer handed out: see maxTensorBytes. */
  readonly maxBytes: number;

  constructor(private readonly device: GPUDevice) {
    this.maxBytes = maxTensorBytes(device.limits);
  }

  /** The size class of `bytes` on this device. */
  sizeClass(bytes: number): number {
    return sizeClass(bytes, this.maxBytes);
  }

  acquire(bytes: number): GPUBuffer {
    // Callers check tensor sizes first with better messages; this is the backstop that keeps
    // an oversized createBuffer (an uncaptured, engine-fatal error) from ever being issued.
    if (!(bytes <= this.maxBytes)) {
      throw new Error(`BufferPool: a ${bytes}-byte buffer exceeds this device's ${this.maxBytes}-byte limit for one tensor (maxStorageBufferBindingSize / maxBufferSize)`);
    }
    const size = this.sizeClass(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.stats.reuses++;
    } else {
      buf = this.device.createBuffer({ size, usage: USAGE_STORAGE });
      this.stats.allocations++;
      this.stats.allocatedBytes += size;
    }
    this.live.add(buf);
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (!this.live.delete(buf)) throw new Error('BufferPool.release: buffer is not live (released twice?)');
    this.parked.push(buf);
    this.parkedBytes += buf.size;
  }

  /** The commands that might read parked buffers were submitted: make them reusable. */
  afterSubmit(): void {
    for (const buf of this.parked) {
      const list = this.free.get(buf.size);
      if (list) list.push(buf);
      else this.free.set(buf.size, [buf]);
    }
    this.parked = [];
    this.parkedBytes = 0;
  }

  /** Destroys the free buffers (not live or parked ones). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buf of list) {
        this.stats.allocatedBytes -= buf.size;
        buf.destroy();
      }
    }
    this.free.clear();
  }

  /** Destroys every buffer the pool created, live and parked ones included: for an engine
   *  being destroyed (its tensors are gone), on a device that may outlive it. */
  destroy(): void {
    for (const buf of [...this.live, ...this.parked, ...[...this.free.values()].flat()]) buf.destroy();
    this.live.clear();
    this.parked = [];
    this.parkedBytes = 0;
    this.free.clear();
    this.stats.allocatedBytes = 0;
  }

  get counters(): PoolStats {
    let freeBuffers = 0;
    for (const l of this.free.values()) freeBuffers += l.length;
    return { ...this.stats, liveBuffers: this.live.size, freeBuffers };
  }
}
