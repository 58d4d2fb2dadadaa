// One WebGPU instance for the whole benchmark process, shared by webgrad and the peers.
//
// Node 20 has no global `navigator`; TF.js and jax-js look for `navigator.gpu`. We create ONE
// Dawn instance (npm `webgpu`), keep it referenced for the process lifetime (if it is
// garbage-collected, Dawn tears down under live devices and the process crashes at random,
// see DESIGN.md "WebGPU without a GPU"), and publish it as `globalThis.navigator.gpu`.
// webgrad's createEngine picks the same `navigator.gpu`, so every library gets an adapter
// from the same instance, i.e. the same physical (here: software) adapter.
//
// requestAdapter is wrapped so that every library's adapter is recorded under the label of
// the library being initialised (see `initialising`), for the report header.

import os from 'node:os';
import { nodeGpu } from '../src/gpu/device';

export interface AdapterRecord {
  /** Who asked (the label set with `initialising`). */
  owner: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

// Held for the life of the process: never cleared.
const keepAlive: unknown[] = [];
const adapters: AdapterRecord[] = [];
let currentOwner = 'unknown';

/** Labels adapters requested from now on (until the next call) as belonging to `owner`. */
export function initialising(owner: string): void {
  currentOwner = owner;
}

export function recordedAdapters(): readonly AdapterRecord[] {
  return adapters;
}

export function formatAdapterRecord(a: AdapterRecord): string {
  const parts = [a.vendor, a.architecture, a.device, a.description].filter((s) => s.length > 0);
  const name = parts.length > 0 ? [...new Set(parts)].join(' / ') : 'unknown adapter';
  // Same wording as webgrad's own adapter string, so identical adapters print identically.
  const software = a.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software|warp/i.test(name);
  return software ? `${name} (software)` : name;
}

/** Creates the Dawn instance (once) and installs `navigator.gpu`. Returns the GPU object. */
export async function installNavigatorGpu(): Promise<GPU> {
  const existing = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (existing) return existing;

  // The library's own loader: the same SwiftShader and XDG_RUNTIME_DIR set-up as createEngine.
  const node = await nodeGpu();
  if (!node) throw new Error('bench: installNavigatorGpu runs in Node only');
  const { gpu, module } = node;
  keepAlive.push(module, gpu);

  const requestAdapter = gpu.requestAdapter.bind(gpu);
  const wrapped = {
    async requestAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter | null> {
      const adapter = await requestAdapter(options);
      if (adapter) {
        keepAlive.push(adapter);
        const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
        adapters.push({
          owner: currentOwner,
          vendor: info?.vendor ?? '',
          architecture: info?.architecture ?? '',
          device: info?.device ?? '',
          description: info?.description ?? '',
          isFallbackAdapter: info?.isFallbackAdapter === true || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
        });
      }
      return adapter;
    },
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    get wgslLanguageFeatures() {
      return gpu.wgslLanguageFeatures;
    },
  } as unknown as GPU;
  keepAlive.push(wrapped);

  // jax-js reads navigator.userAgent (Firefox/mobile checks) and navigator.hardwareConcurrency.
  const nav = {
    gpu: wrapped,
    userAgent: `Node.js/${process.versions.node} (${process.platform}; ${process.arch})`,
    hardwareConcurrency: os.cpus().length,
    language: 'en-US',
  };
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  countCommands(node.module.globals);
  return wrapped;
}

/** GPU commands issued so far by every library in the process (counted at the WebGPU API). */
export interface CommandCounts {
  /** dispatchWorkgroups calls */
  dispatches: number;
  /** copyBufferToBuffer calls */
  copies: number;
  /** beginComputePass calls */
  passes: number;
  /** queue.submit calls */
  submits: number;
  /** queue.writeBuffer calls (uploads; some libraries write uniforms per dispatch) */
  writes: number;
}

const counts: CommandCounts = { dispatches: 0, copies: 0, passes: 0, submits: 0, writes: 0 };

export function commandCounts(): CommandCounts {
  return { ...counts };
}

/** Wraps the prototype methods that issue GPU commands, so that one step of any library can
 *  be counted the same way (bench/run.ts reports dispatches, copies and passes per step). */
function countCommands(globals: Record<string, unknown>): void {
  const wrap = (cls: string, method: string, key: keyof CommandCounts) => {
    const proto = (globals[cls] as { prototype?: Record<string, unknown> } | undefined)?.prototype;
    const original = proto?.[method];
    if (typeof original !== 'function') return;
    proto![method] = function (this: unknown, ...args: unknown[]) {
      counts[key]++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  };
  wrap('GPUComputePassEncoder', 'dispatchWorkgroups', 'dispatches');
  wrap('GPUCommandEncoder', 'copyBufferToBuffer', 'copies');
  wrap('GPUCommandEncoder', 'beginComputePass', 'passes');
  wrap('GPUQueue', 'submit', 'submits');
  wrap('GPUQueue', 'writeBuffer', 'writes');
}
