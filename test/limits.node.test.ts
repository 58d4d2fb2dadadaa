// Device limits: devices requested at chosen limits (requestDevice with requiredLimits).
// Real adapters report limits that are not powers of two (200,000,000 bytes per binding is
// common); a tensor just under such a limit must work, and one over it (or over maxBufferSize)
// must fail with a clear error before any GPU work, leaving the engine usable. Dispatches with
// more than 65,535 workgroups in a dimension are folded, matmul's batch included.
// Node only: the large buffers are too much for the browser suite's page.

import { afterAll, describe, expect, it } from 'vitest';

import { createEngine, type Engine } from '../src/index';
import { acquireDevice, type GpuDevice } from '../src/gpu/device';
import { maxTensorBytes, sizeClass } from '../src/gpu/pool';
import { both, expectClose, gpu, randomArray } from './backends';

// Devices made here; each holds its adapter and Dawn instance (see src/gpu/device.ts) until
// the end of the file.
const held: { dev: GpuDevice; engine: Engine }[] = [];
afterAll(() => {
  for (const { dev, engine } of held) {
    engine.destroy();
    dev.device.destroy();
  }
});

async function engineWithLimits(limits: Record<string, number>): Promise<Engine> {
  const dev = await acquireDevice(undefined, limits);
  for (const [k, v] of Object.entries(limits)) expect(dev.device.limits[k as keyof GPUSupportedLimits]).toBe(v);
  const engine = await createEngine({ backend: 'webgpu', device: dev.device });
  held.push({ dev, engine });
  return engine;
}

describe('size classes and the per-tensor limit', () => {
  it('size classes are capped at the limit and never below the request', () => {
    const cap = 200_000_000;
    for (const bytes of [1, 255, 256, 257, 1000, 2 ** 20 + 1, 134_217_728, 160_000_000, 199_999_996, 200_000_000]) {
      const c = sizeClass(bytes, cap);
      expect(c).toBeGreaterThanOrEqual(Math.ceil(bytes / 16) * 16);
      expect(c).toBeLessThanOrEqual(cap);
      expect(c % 16).toBe(0);
    }
    // Without the cap, 199,999,996 bytes round to 1.5·2^27 = 201,326,592: past the limit.
    expect(sizeClass(199_999_996)).toBeGreaterThan(cap);
  });

  it('maxTensorBytes is the smaller limit rounded down to 16 bytes', () => {
    const limits = (binding: number, buffer: number) => ({ maxStorageBufferBindingSize: binding, maxBufferSize: buffer }) as GPUSupportedLimits;
    expect(maxTensorBytes(limits(200_000_000, 268_435_456))).toBe(200_000_000);
    expect(maxTensorBytes(limits(300_000_000, 270_000_004))).toBe(270_000_000);
    expect(maxTensorBytes(limits(134_217_727, 2 ** 30))).toBe(134_217_712);
  });
});

describe('devices at chosen limits', () => {
  // 140,000,000: not a power of two, above the 128 MiB default (lower requests get the default).
  const BINDING = 140_000_000;

  it(`a tensor just under a ${BINDING}-byte binding limit works through the vec4 kernels`, async () => {
    const e = await engineWithLimits({ maxStorageBufferBindingSize: BINDING });
    const n = BINDING / 4 - 1; // 34,999,999 values: the last vec4 is partial
    const data = new Float32Array(n);
    for (let i = n - 1000; i < n; i++) data[i] = i % 7 === 0 ? -(i % 13) : i % 13;
    const x = e.tensor(data, [n]);
    const y = e.relu(x); // the vec4 kernel: its last vec4 reaches past n
    const ry = await y.read();
    for (let i = n - 1000; i < n; i++) {
      const want = Math.max(data[i]!, 0);
      if (ry[i] !== want) expect.fail(`element ${i}: relu ${ry[i]}, expected ${want}`);
    }
    await e.sync();
    for (const t of [x, y]) t.dispose();
  });

  it('a tensor over the limit fails before any GPU work, naming the op, the shape and the limits; the engine lives on', async () => {
    const e = await engineWithLimits({ maxStorageBufferBindingSize: BINDING });
    const before = e.stats().queue.dispatches;
    expect(() => e.zeros([BINDING / 4 + 1])).toThrow(
      /^zeros: a tensor of shape \[35000001\] needs 140000004 bytes; this device holds at most 140000000 bytes per tensor \(maxStorageBufferBindingSize 140000000, maxBufferSize \d+/,
    );
    // An op whose inputs fit but whose output does not.
    const a = e.tensor(new Float32Array(6000), [6000, 1]);
    expect(() => e.matmul(a, a, { transposeB: true })).toThrow(/^matmul: a tensor of shape \[6000, 6000\] needs 144000000 bytes; this device holds at most 140000000/);
    expect(e.stats().queue.dispatches).toBe(before);
    expect(Array.from(await e.scale(e.tensor([1, 2], [2]), 3).read())).toEqual([3, 6]);
    await e.sync();
  });

  it('maxBufferSize below the binding limit: a tensor between the two fails clearly, not as a dead engine', async () => {
    const e = await engineWithLimits({ maxStorageBufferBindingSize: 300_000_000, maxBufferSize: 270_000_000 });
    expect(() => e.zeros([68_000_000])).toThrow(/272000000 bytes; this device holds at most 270000000 bytes per tensor \(maxStorageBufferBindingSize 300000000, maxBufferSize 270000000/);
    expect(Array.from(await e.relu(e.tensor([-1, 2], [2])).read())).toEqual([0, 2]);
    await e.sync();
  });
});

describe('grids over 65,535 workgroups per dimension are folded', () => {
  // The kernel splits its flat workgroup index into (tile x, tile y, batch) on every grid, so
  // the other matmul tests check that arithmetic; this one checks the folded 2-D grid.
  it('matmul with a batch of 65,600 (and a broadcast batch-1 operand)', async () => {
    const [B, M, K, N] = [65_600, 1, 3, 2];
    const a = randomArray(B * M * K, 1);
    const b = randomArray(B * K * N, 2);
    const [g, c] = await both((e) => e.matmul(e.tensor(a, [B, M, K]), e.tensor(b, [B, K, N])).read());
    // K = 3 products of values in [-1, 1): f32 rounding is a few 1e-7.
    expectClose(g, c, 1e-6, 0, 'batched matmul');
  });

  it('an elementwise kernel past 65,535 workgroups (kernels with one workgroup per row: ops-softmax)', async () => {
    const e = await gpu();
    const n = 65_535 * 256 + 300; // the scalar broadcast kernel: one invocation per element
    const x = new Float32Array(n);
    for (let i = n - 600; i < n; i++) x[i] = i % 11;
    const out = await e.mul(e.tensor(x, [n]), e.tensor([2], [1])).read();
    for (let i = n - 600; i < n; i++) if (out[i] !== 2 * x[i]!) expect.fail(`element ${i}: ${out[i]}`);
  });
});
