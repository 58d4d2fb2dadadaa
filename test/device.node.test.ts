// createEngine({ backend: 'webgpu' }) where WebGPU exists but offers no adapter: the error says
// so and suggests the CPU backend and the SwiftShader recipe. (Node only: it fakes navigator.gpu.)

import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../src/index';

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
});
