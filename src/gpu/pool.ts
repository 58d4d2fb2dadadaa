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

/** Size classes: 256 B minimum, then four steps per power of two (<= 19% slack). */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const c = Math.ceil((p * f) / 256) * 256;
    if (c >= bytes) return c;
  }
  return 2 * p;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private parked: GPUBuffer[] = [];
  /** Bytes released since the last submit (reusable after it). */
  parkedBytes = 0;
  private readonly live = new Set<GPUBuffer>();
  private stats = { allocatedBytes: 0, allocations: 0, reuses: 0 };

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
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

  get counters(): PoolStats {
    let freeBuffers = 0;
    for (const l of this.free.values()) freeBuffers += l.length;
    return { ...this.stats, liveBuffers: this.live.size, freeBuffers };
  }
}
