// The foundation: tensors, the buffer pool and the first ops (add with broadcast, mul, relu)
// on WebGPU compared with the CPU reference, and the error messages for bad input.

import { describe, expect, it } from 'vitest';
import { cpu, expectClose, gpu, randomArray, both } from './backends';
import type { Engine } from '../src/index';

// Elementwise ops do one f32 operation per element on both backends (the CPU rounds each
// result to f32), so GPU and CPU agree to within one rounding: 1 ulp ~ 1.2e-7 relative.
const ELEMENTWISE_RTOL = 2.5e-7;

describe('elementwise ops: GPU vs CPU', () => {
  const shapes: number[][] = [[1], [7], [13, 1], [127, 3], [1000003], [2, 3, 5]];
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    it(`add, mul, relu on ${JSON.stringify(shape)}`, async () => {
      const a = randomArray(n, 1);
      const b = randomArray(n, 2);
      const [g, c] = await both(async (e) => {
        const ta = e.tensor(a, shape);
        const tb = e.tensor(b, shape);
        const out = await Promise.all([e.add(ta, tb), e.mul(ta, tb), e.relu(ta)].map((t) => t.read()));
        return out;
      });
      for (let k = 0; k < 3; k++) expectClose(g[k]!, c[k]!, 1e-30, ELEMENTWISE_RTOL, ['add', 'mul', 'relu'][k]);
      // and the CPU reference against plain JS arithmetic
      const i = n - 1;
      expect(c[0]![i]).toBeCloseTo(a[i]! + b[i]!, 6);
      expect(c[2]![i]).toBe(Math.max(a[i]!, 0));
    });
  }

  it('broadcasts a row vector and a scalar over the rows', async () => {
    const [M, N] = [13, 7];
    const x = randomArray(M * N, 3);
    const row = randomArray(N, 4);
    const [g, c] = await both(async (e) => {
      const tx = e.tensor(x, [M, N]);
      return Promise.all([e.add(tx, e.tensor(row, [N])).read(), e.mul(e.tensor(row, [1, N]), tx).read(), e.mul(tx, e.tensor([3], [])).read()]);
    });
    for (let k = 0; k < 3; k++) expectClose(g[k]!, c[k]!, 1e-30, ELEMENTWISE_RTOL);
    expect(g[0]![N * 5 + 2]).toBeCloseTo(x[N * 5 + 2]! + row[2]!, 6);
    expect(g[2]![11]).toBeCloseTo(3 * x[11]!, 5);
  });

  it('relu has subgradient 0 at exactly 0 by default', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const x = e.tensor([-1, 0, 2], [3]);
      const { grads } = await e.valueAndGrad((t) => e.sum(e.relu(t)))(x);
      expect(Array.from(await grads[0]!.read())).toEqual([0, 0, 1]);
    }
  });
});

describe('buffer pool', () => {
  it('reuses buffers: allocations stop growing over repeated same-shape work', async () => {
    const e = await gpu();
    const a = e.tensor(randomArray(4096, 5), [64, 64]);
    const b = e.tensor(randomArray(64, 6), [64]);
    const step = () => e.tidy(() => e.relu(e.mul(e.add(a, b), a)));
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = step();
      await r.read(); // a submit between steps makes released buffers reusable
      r.dispose();
      counts.push(e.stats().pool!.allocations);
    }
    expect(counts[5]).toBe(counts[1]);
    expect(e.stats().pool!.reuses).toBeGreaterThan(0);
    a.dispose();
    b.dispose();
  });

  it('a long run of ops without a read does not keep allocating (released buffers are resubmitted for reuse)', async () => {
    const e = await gpu();
    const x = e.tensor(randomArray(1 << 20, 9), [1 << 20]); // 4 MiB
    const before = e.stats().pool!.allocatedBytes;
    for (let i = 0; i < 100; i++) e.relu(x).dispose(); // 400 MiB of results, none read
    await e.sync();
    const grown = e.stats().pool!.allocatedBytes - before;
    expect(grown).toBeLessThan(100 * 2 ** 20); // ~64 MiB parked at most, then reused
    x.dispose();
  });

  it('returns every buffer of a tidy scope', async () => {
    const e = await gpu();
    const before = e.stats().pool!.liveBuffers;
    const x = e.tensor(randomArray(100, 7), [100]);
    const kept = e.tidy(() => e.relu(e.add(e.mul(x, x), x)));
    expect(e.stats().pool!.liveBuffers).toBe(before + 2);
    kept.dispose();
    x.dispose();
    expect(e.stats().pool!.liveBuffers).toBe(before);
  });
});

describe('bad input gets a clear error', () => {
  for (const name of ['webgpu', 'cpu'] as const) {
    it(`${name}: data length, shapes, disposed tensors, broadcast`, async () => {
      const e = name === 'webgpu' ? await gpu() : await cpu();
      expect(() => e.tensor(new Float32Array(5), [2, 3])).toThrow(/tensor: data has 5 values but shape \[2, 3\] needs 6/);
      expect(() => e.tensor([], [-1])).toThrow(/dimension -1; dimensions must be non-negative integers/);
      expect(() => e.tensor([1, 2], [1.5])).toThrow(/dimension 1.5/);
      // data that is not numbers: it became NaN values
      expect(() => e.tensor(['a', 'b'] as never, [2])).toThrow(/tensor: data\[0\] is "a", not a number/);
      expect(() => e.tensor({ length: 2 } as never, [2])).toThrow(/tensor: data must be an array or typed array of numbers, got \[object Object\]/);
      expect(() => e.write(e.zeros([6]), 'abcdef' as never)).toThrow(/write: data must be an array or typed array of numbers, got abcdef/);
      expect(await e.tensor([NaN, Infinity], [2]).read()).toEqual(Float32Array.of(NaN, Infinity)); // numbers all the same
      const t = e.tensor([1, 2], [2]);
      t.dispose();
      await expect(t.read()).rejects.toThrow(/read: tensor #\d+ of shape \[2\] was disposed/);
      expect(() => e.relu(t)).toThrow(/activation: tensor #\d+ of shape \[2\] was disposed/);
      const a = e.tensor(new Float32Array(6), [2, 3]);
      expect(() => e.add(a, e.tensor([1, 2], [2]))).toThrow(/add: shapes \[2, 3\] and \[2\] do not broadcast/);
      expect(() => e.sum(a, 2)).toThrow(/sum: axis 2 is out of range for shape \[2, 3\]/);
    });
  }

  it('the CPU backend refuses a tensor too big to hold (it was killed for memory)', async () => {
    const c = await cpu();
    expect(() => c.zeros([2 ** 31])).toThrow(/zeros: a tensor of shape \[2147483648\] has 2147483648 elements; the CPU backend holds at most 268435456/);
  });

  it('a tensor from another engine is rejected', async () => {
    const [g, c] = [await gpu(), await cpu()];
    expect(() => g.add(g.tensor([1], [1]), c.tensor([1], [1]))).toThrow(/belongs to another engine/);
    // readAndDispose too (it reached copyBufferToBuffer as a TypeError; the CPU disposed the other's tensor)
    const [fromCpu, fromGpu] = [c.tensor([1], [1]), g.tensor([1], [1])];
    await expect(g.readAndDispose(fromCpu)).rejects.toThrow(/readAndDispose: argument 0 .* belongs to another engine/);
    await expect(c.readAndDispose(fromGpu)).rejects.toThrow(/readAndDispose: argument 0 .* belongs to another engine/);
    expect(await fromCpu.read()).toEqual(Float32Array.of(1));
  });
});
