// Waiting for the GPU without taking a core from it (Node).
//
// Dawn's Node bindings resolve a pending mapAsync / onSubmittedWorkDone / popErrorScope by
// polling on the JS thread: each poll calls the instance's ProcessEvents and schedules the
// next one with the global `setImmediate`, looked up on every tick. While the GPU works the
// JS thread therefore spins at 100%, and on a CPU implementation (SwiftShader) that core is
// taken from the GPU work itself. Measured here (2 shared cores, 1024² matmul + readback):
// 2.1 GFLOP/s end to end while spinning, 3.1 when each poll waits a timer tick instead.
//
// So while one of our waits is pending, `setImmediate` is swapped for a 1 ms timer: the
// bindings still poll, 1000 times a second instead of continuously, and the core is free.
// Other code's setImmediate callbacks in the same window also run ~1 ms later; the original
// is restored as soon as the last wait settles. Browsers poll on their own: nothing to do.

type Immediate = (fn: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

const POLL_MS = 1;
let waiting = 0;
let original: Immediate | null = null;

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

function throttled(fn: (...args: unknown[]) => void, ...args: unknown[]): unknown {
  return setTimeout(fn, POLL_MS, ...args);
}

/**
 * Runs `start` (which begins a GPU wait: mapAsync, onSubmittedWorkDone) with Dawn's polling
 * throttled until the promise it returns settles. In a browser it only awaits the promise.
 */
export async function gpuWait<T>(start: () => Promise<T>): Promise<T> {
  const g = globalThis as unknown as { setImmediate?: Immediate };
  if (!isNode || typeof g.setImmediate !== 'function') return start();
  if (waiting++ === 0) {
    original = g.setImmediate;
    g.setImmediate = throttled;
  }
  try {
    return await start();
  } finally {
    if (--waiting === 0) {
      g.setImmediate = original!;
      original = null;
    }
  }
}
