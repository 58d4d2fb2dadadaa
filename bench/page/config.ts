// The benchmark page's configuration and its query string: a URL reproduces a run. Parameters
// (all optional): cases=matmul,add (case names), sizes=256x256,1M (words a size must contain),
// filter=WORDS (as `npm run bench -- --filter`), runs, minBatchMs, maxIters, timeoutS,
// peers=tfjs,jax|none, check=0|1 (CPU reference), roofs=0|1, kernels=0|1 (per-kernel times of
// one training step), run=1 (start on load).

import { DEFAULT_OPTIONS, type HarnessOptions } from '../harness';

export const PEER_IDS = ['tfjs', 'jax'] as const;
export type PeerId = (typeof PEER_IDS)[number];

export interface PageConfig extends HarnessOptions {
  cases: string;
  sizes: string;
  filter: string;
  peers: PeerId[];
  check: boolean;
  roofs: boolean;
  kernels: boolean;
  autorun: boolean;
}

export const DEFAULT_CONFIG: PageConfig = {
  ...DEFAULT_OPTIONS,
  cases: '',
  sizes: '',
  filter: '',
  peers: [...PEER_IDS],
  check: true,
  roofs: true,
  kernels: true,
  autorun: false,
};

/** Reads the query string; a bad value throws a message naming the parameter. */
export function configFromQuery(search: string): PageConfig {
  const q = new URLSearchParams(search);
  const c: PageConfig = { ...DEFAULT_CONFIG, peers: [...DEFAULT_CONFIG.peers] };
  const positive = (name: Exclude<keyof HarnessOptions, 'commandCounts'>, integer: boolean) => {
    const raw = q.get(name);
    if (raw === null) return;
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      throw new Error(`?${name}=${raw}: expected a positive ${integer ? 'whole number' : 'number'}`);
    }
    c[name] = v;
  };
  positive('runs', true);
  positive('minBatchMs', false);
  positive('maxIters', true);
  positive('timeoutS', false);
  c.cases = q.get('cases') ?? '';
  c.sizes = q.get('sizes') ?? '';
  c.filter = q.get('filter') ?? '';
  const peers = q.get('peers');
  if (peers !== null) {
    const list = peers === 'none' || peers === '' ? [] : peers.split(',').map((p) => p.trim());
    for (const p of list) if (!(PEER_IDS as readonly string[]).includes(p)) throw new Error(`?peers=${peers}: unknown peer '${p}' (known: ${PEER_IDS.join(', ')}, or none)`);
    c.peers = list as PeerId[];
  }
  const flag = (name: 'check' | 'roofs' | 'kernels') => {
    const raw = q.get(name);
    if (raw === null) return;
    if (raw !== '0' && raw !== '1') throw new Error(`?${name}=${raw}: expected 0 or 1`);
    c[name] = raw === '1';
  };
  flag('check');
  flag('roofs');
  flag('kernels');
  c.autorun = q.get('run') === '1';
  return c;
}

/** The query string of a configuration: only what differs from the defaults. */
export function queryFromConfig(c: PageConfig): string {
  const q = new URLSearchParams();
  if (c.cases) q.set('cases', c.cases);
  if (c.sizes) q.set('sizes', c.sizes);
  if (c.filter) q.set('filter', c.filter);
  for (const k of ['runs', 'minBatchMs', 'maxIters', 'timeoutS'] as const) if (c[k] !== DEFAULT_CONFIG[k]) q.set(k, String(c[k]));
  if (c.peers.join(',') !== DEFAULT_CONFIG.peers.join(',')) q.set('peers', c.peers.length > 0 ? c.peers.join(',') : 'none');
  for (const k of ['check', 'roofs', 'kernels'] as const) if (c[k] !== DEFAULT_CONFIG[k]) q.set(k, c[k] ? '1' : '0');
  if (c.autorun) q.set('run', '1');
  const s = q.toString();
  return s ? `?${s}` : '';
}
