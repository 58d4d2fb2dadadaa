// Acquires a GPUDevice: the caller's, the browser's navigator.gpu, or Dawn's Node bindings
// (npm `webgpu`). In Node the Dawn instance and the adapter must stay referenced for as long
// as the device lives: if they are garbage-collected Dawn tears down under the live device
// and the process crashes at random. GpuDevice holds them for exactly that reason.

/** The WebGPU adapter an engine runs on, as the adapter describes itself. */
export interface AdapterReport {
  /** e.g. 'nvidia', 'google'; may be empty. */
  vendor: string;
  /** e.g. 'ampere', 'swiftshader'; may be empty. */
  architecture: string;
  /** The device name; may be empty. */
  device: string;
  /** A free-form description; may be empty. */
  description: string;
  /** True for CPU implementations of WebGPU such as SwiftShader. */
  isSoftware: boolean;
  /** Subgroup sizes the adapter may use (WebGPU's bounds, 4 and 128, where it does not say). */
  subgroupMinSize: number;
  /** The largest subgroup size (see subgroupMinSize). */
  subgroupMaxSize: number;
}

/** A device and what must stay referenced while it lives. */
export interface GpuDevice {
  /** The device kernels run on. */
  device: GPUDevice;
  /** Its adapter; null for a device the caller passed in. */
  adapter: GPUAdapter | null;
  /** The adapter's description. */
  report: AdapterReport;
  /** Objects that must outlive the device (Dawn's instance in Node). */
  keepAlive: unknown[];
}

const NO_ADAPTER_HELP =
  "createEngine({ backend: 'webgpu' }): no WebGPU adapter is available. " +
  "Use createEngine({ backend: 'cpu' }) for the CPU reference backend, or enable WebGPU: " +
  'in Chrome/Edge it is on by default (chrome://gpu shows its status); on Linux without a GPU, ' +
  'install chromium and libvulkan1 and run with ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (SwiftShader).';

function describeAdapter(adapter: GPUAdapter | null, device: GPUDevice): AdapterReport {
  const info = (adapter?.info ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo) as
    | GPUAdapterInfo
    | undefined;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const name = info?.device ?? '';
  const description = info?.description ?? '';
  const text = `${vendor} ${architecture} ${name} ${description}`.toLowerCase();
  const extra = info as (GPUAdapterInfo & { isFallbackAdapter?: boolean; subgroupMinSize?: number; subgroupMaxSize?: number }) | undefined;
  const isFallback = extra?.isFallbackAdapter === true;
  return {
    vendor,
    architecture,
    device: name,
    description,
    isSoftware: isFallback || /swiftshader|llvmpipe|lavapipe|software|warp/.test(text),
    subgroupMinSize: extra?.subgroupMinSize ?? 4,
    subgroupMaxSize: extra?.subgroupMaxSize ?? 128,
  };
}

export function formatAdapter(r: AdapterReport): string {
  const parts = [r.vendor, r.architecture, r.device, r.description].filter((s) => s.length > 0);
  const name = parts.length > 0 ? [...new Set(parts)].join(' / ') : 'unknown adapter';
  return r.isSoftware ? `${name} (software)` : name;
}

/** The parts of Dawn's Node bindings (npm `webgpu`) that webgrad uses. */
export interface NodeWebGpu {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Features kernel variants may use: subgroup reductions, and GPU timestamps for the tuner.
 *  ('subgroups' is newer than the GPUFeatureName union of @webgpu/types.) */
const OPTIONAL_FEATURES = ['subgroups', 'timestamp-query'] as GPUFeatureName[];

/** On Linux with no GPU render node, point Vulkan at SwiftShader (if installed) before Dawn
 *  starts: the Vulkan loader reads VK_ICD_FILENAMES once. Variables already set are respected. */
async function useSwiftShaderWithoutGpu(): Promise<void> {
  if (process.platform !== 'linux' || process.env.VK_ICD_FILENAMES) return;
  const fsName = 'node:fs'; // a variable specifier keeps browser bundles from including it
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
  const hasGpu = fs.existsSync('/dev/dri') && fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  if (!hasGpu && fs.existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // Without XDG_RUNTIME_DIR (containers, CI) the Vulkan stack prints "XDG_RUNTIME_DIR is
  // invalid" on every start; a private temporary directory keeps the output clean.
  if (!process.env.XDG_RUNTIME_DIR) {
    const osName = 'node:os';
    const os = (await import(/* @vite-ignore */ osName)) as typeof import('node:os');
    const dir = `${os.tmpdir()}/webgrad-runtime-${process.getuid?.() ?? 'user'}`;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
}

/**
 * In Node, loads Dawn (npm `webgpu`) with the environment set up first (SwiftShader when there
 * is no GPU, a private XDG_RUNTIME_DIR), mirrors its constants (GPUBufferUsage, ...) as
 * globals, and creates one instance. Null outside Node. The caller must keep both `gpu` and
 * `module` referenced while any device made from them lives. The benchmarks share this.
 */
export async function nodeGpu(): Promise<{ gpu: GPU; module: NodeWebGpu } | null> {
  const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  if (!isNode) return null;
  await useSwiftShaderWithoutGpu();
  // A variable specifier keeps bundlers from pulling the native module into browser builds.
  const name = 'webgpu';
  const module = (await import(/* @vite-ignore */ name)) as NodeWebGpu;
  // Dawn's constants (GPUBufferUsage, GPUMapMode, ...) are globals in browsers; mirror that.
  for (const [k, v] of Object.entries(module.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return { gpu: module.create([]), module };
}

/**
 * The caller's device, or a new one from the browser's or Dawn's adapter. `requiredLimits`
 * (checked by the adapter) replace the defaults asked for here: the adapter's full buffer
 * limits. Tests use them to get devices at chosen limits.
 */
export async function acquireDevice(given?: GPUDevice, requiredLimits?: Record<string, number>): Promise<GpuDevice> {
  if (given) return { device: given, adapter: null, report: describeAdapter(null, given), keepAlive: [] };

  let gpu: GPU | undefined = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  const keepAlive: unknown[] = [];
  if (!gpu) {
    const node = await nodeGpu().catch((err: unknown) => {
      throw new Error(`${NO_ADAPTER_HELP} (loading the 'webgpu' package failed: ${String(err)})`);
    });
    if (node) {
      gpu = node.gpu;
      keepAlive.push(node.gpu, node.module);
    }
  }
  if (!gpu) throw new Error(NO_ADAPTER_HELP);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(NO_ADAPTER_HELP);
  keepAlive.push(adapter);
  // Ask for the adapter's full buffer limits: the defaults (128 MiB bindings) are smaller;
  // and for the optional features kernels can use, only where the adapter has them (asking
  // for a missing feature fails the request). Subgroup variants run only when granted.
  const device = await adapter.requestDevice({
    requiredFeatures: OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)),
    requiredLimits: requiredLimits ?? {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  return { device, adapter, report: describeAdapter(adapter, device), keepAlive };
}
