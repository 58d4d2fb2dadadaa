// Node: while a read waits for the GPU, Dawn's polling goes through a throttled setImmediate
// (src/gpu/wait.ts) so the JS thread does not spin; the original comes back afterwards, also
// when the wait fails, and overlapping waits restore it only once the last one settles.

import { describe, expect, it } from 'vitest';
import { gpu } from './backends';
import { gpuWait } from '../src/gpu/wait';

describe('waiting for the GPU in Node', () => {
  it('throttles setImmediate during a read and restores it afterwards', async () => {
    const e = await gpu();
    const original = globalThis.setImmediate;
    const x = e.tensor([1, 2, 3], [3]);
    let during: unknown = null;
    const p = e.relu(x).read();
    during = globalThis.setImmediate;
    expect(Array.from(await p)).toEqual([1, 2, 3]);
    expect(during).not.toBe(original);
    expect(globalThis.setImmediate).toBe(original);
    x.dispose();
  });

  it('restores setImmediate after a failed wait and after overlapping waits', async () => {
    const original = globalThis.setImmediate;
    await expect(gpuWait(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(globalThis.setImmediate).toBe(original);
    let release!: () => void;
    const first = gpuWait(() => new Promise<void>((r) => { release = r; }));
    const second = gpuWait(async () => 2);
    expect(await second).toBe(2);
    expect(globalThis.setImmediate).not.toBe(original); // the first is still waiting
    release();
    await first;
    expect(globalThis.setImmediate).toBe(original);
  });
});
