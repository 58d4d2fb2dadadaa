// createEngine({ backend: 'webgpu' }) where WebGPU exists but offers no adapter: the error says
// so and suggests the CPU backend and the SwiftShader recipe. (Node only: it fakes navigator.gpu.)

import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../src/index';
import { PROFILES } from '../src/gpu/profile';

const g = globalThis as { navigator?: unknown };
const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');

afterEach(() => {
  if (saved) Object.defineProperty(globalThis, 'navigator', saved);
  else delete g.navigator;
});

describe('no WebGPU adapter', () => {
  it('fails with a clear error that suggests the CPU backend and SwiftShader', async () => {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => null } }, configurable: true, writable: true });
    const err = await createEngine({ backend: 'webgpu' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/no WebGPU adapter is available/);
    expect((err as Error).message).toMatch(/backend: 'cpu'/);
    expect((err as Error).message).toMatch(/VK_ICD_FILENAMES=\/usr\/lib\/chromium\/vk_swiftshader_icd\.json/);
  });

  it('an unknown backend is named in the error', async () => {
    await expect(createEngine({ backend: 'webgl' as 'cpu' })).rejects.toThrow(/unknown backend 'webgl' \(expected 'webgpu' or 'cpu'\)/);
  });

  it('every option is checked, on either backend, before a device is acquired', async () => {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => { throw new Error('no device was to be acquired'); } } }, configurable: true, writable: true });
    const bad: [unknown, RegExp][] = [
      ['cpu', /options must be an object such as \{ backend: 'cpu' \}, got 'cpu'/], // it used to make a WebGPU engine
      [{ reluGradAtZero: 2 }, /reluGradAtZero must be 0 or 1, got 2/],
      [{ backend: 'cpu', reluGradAtZero: '1' }, /reluGradAtZero must be 0 or 1, got '1'/],
      [{ backend: 'cpu', precision: 'f16' }, /precision must be 'f32' or 'f64', got 'f16'/],
      [{ backend: 'cpu', profile: 'bogus' }, /unknown profile 'bogus'/],
      [{ backend: 'cpu', tune: 'sometimes' }, /unknown tune mode 'sometimes'/],
      [{ checkFinite: 'false' }, /checkFinite must be true or false, got 'false'/],
      [{ debug: 1 }, /debug must be true or false, got 1/],
      [{ device: {} }, /device must be a GPUDevice/],
      [{ profile: { ...PROFILES.software, matmul: [] } }, /profile table 'software': matmul must be a non-empty list/],
      [{ profile: { ...PROFILES.software, matmul: [{ variant: { kind: 'vec4', wgX: 0, wgY: 1, shareA: true } }] } }, /matmul\[0\]\.variant is not a matmul variant/],
      [{ profile: { ...PROFILES.software, rows: { ...PROFILES.software.rows, maxThreads: 3 } } }, /rows\.maxThreads must be a power of two, got 3/],
      [{ profile: { ...PROFILES.software, reduce: undefined } }, /reduce must be an object, got undefined/],
    ];
    for (const [options, message] of bad) await expect(createEngine(options as never), JSON.stringify(options)).rejects.toThrow(message);
  });
});
