// What the benchmark ran on: the WebGPU adapter (vendor, architecture, features, key limits),
// the browser and its version, the webgrad version. The vite config fills in the versions.

declare const __WEBGRAD_VERSION__: string;
declare const __PEER_VERSIONS__: { tfjs: string; jax: string };

export const webgradVersion: string = __WEBGRAD_VERSION__;
export const peerVersions: { tfjs: string; jax: string } = __PEER_VERSIONS__;

/** The features the kernels care about, shown whether present or not. */
export const KEY_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

const KEY_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  subgroupMinSize: number | null;
  subgroupMaxSize: number | null;
  /** Every feature the adapter offers, sorted. */
  features: string[];
  limits: Record<string, number>;
}

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number; isFallbackAdapter?: boolean };
  const limits: Record<string, number> = {};
  for (const k of KEY_LIMITS) limits[k] = (adapter.limits as unknown as Record<string, number>)[k]!;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter === true || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
    subgroupMinSize: info.subgroupMinSize ?? null,
    subgroupMaxSize: info.subgroupMaxSize ?? null,
    features: [...adapter.features].sort(),
    limits,
  };
}

export function adapterName(a: AdapterSummary): string {
  const parts = [a.vendor, a.architecture, a.device, a.description].filter((s) => s.length > 0);
  return parts.length > 0 ? [...new Set(parts)].join(' / ') : 'unknown adapter';
}

interface UaData {
  brands: { brand: string; version: string }[];
  getHighEntropyValues(hints: string[]): Promise<{ fullVersionList?: { brand: string; version: string }[]; platform?: string; platformVersion?: string }>;
}

/** "Chromium 131.0.6778.85 (Linux)", from client hints where the browser has them. */
export async function browserVersion(): Promise<string> {
  const ua = (navigator as Navigator & { userAgentData?: UaData }).userAgentData;
  if (ua) {
    try {
      const v = await ua.getHighEntropyValues(['fullVersionList', 'platform', 'platformVersion']);
      const brands = (v.fullVersionList ?? ua.brands).filter((b) => !/not.?a.?brand/i.test(b.brand));
      const main = brands.find((b) => b.brand !== 'Chromium') ?? brands[0];
      const chromium = brands.find((b) => b.brand === 'Chromium');
      const name = main ? `${main.brand} ${main.version}${chromium && chromium !== main ? ` (Chromium ${chromium.version})` : ''}` : 'unknown browser';
      return `${name}, ${v.platform ?? ''} ${v.platformVersion ?? ''}`.trim().replace(/,$/, '');
    } catch {
      // fall back to the user-agent string
    }
  }
  const s = navigator.userAgent;
  const m = /(Firefox|Edg|OPR|HeadlessChrome|Chrome)\/([\d.]+)/.exec(s);
  if (m) return `${m[1]} ${m[2]}`;
  const safari = /Version\/([\d.]+).*Safari/.exec(s);
  return safari ? `Safari ${safari[1]}` : s;
}
