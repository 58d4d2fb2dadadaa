// Kernel profiles: which variant of each kernel family runs, with which tile and workgroup
// parameters, for a class of adapter. 'auto' picks the class from the adapter's info; tests
// force each class on SwiftShader, so no variant goes untested because CI has no GPU of that
// kind. The tuner (src/gpu/tune.ts) may replace a profile's matmul choice per shape class with
// the candidate it measured fastest on the user's adapter.

import type { AdapterReport } from './device';

/** A kernel variant table: for CPU implementations (SwiftShader), integrated GPUs, discrete GPUs. */
export type ProfileName = 'software' | 'integrated' | 'discrete';
/** `createEngine({ profile })`: a table by name, or 'auto' to pick it from the adapter's info. */
export type ProfileOption = ProfileName | 'auto';
export const PROFILE_NAMES: readonly ProfileName[] = ['software', 'integrated', 'discrete'];

/** matmul.wgsl: a 16 x 8 register tile per invocation, clamped scalar loads; any shape. */
export interface ScalarMatmul {
  /** Which kernel. */
  kind: 'scalar';
  /** Workgroup width in invocations (x). */
  wgX: number;
  /** Workgroup height in invocations (y). */
  wgY: number;
  /** Neighbouring invocations take neighbouring columns (coalesced) instead of neighbouring tiles. */
  strided: boolean;
}
/** matmul_vec4.wgsl: a 32 x 16 register tile, vec4 loads; needs 4-aligned axes (vec4Fits). */
export interface Vec4Matmul {
  /** Which kernel. */
  kind: 'vec4';
  /** Workgroup width in invocations (x). */
  wgX: number;
  /** Workgroup height in invocations (y). */
  wgY: number;
  /** The 4 lanes of a subgroup, which share their rows of op(A), load a quarter each and
   *  broadcast (lib/matmul_a_subgroup.wgsl). Taken only where the device's subgroups are
   *  exactly 4 wide and wgX is 4 (KernelChoices.subgroupQuads); else each lane loads all. */
  shareA: boolean;
}
/** matmul_tiled.wgsl: workgroup-memory tiles; any shape. */
export interface TiledMatmul {
  /** Which kernel. */
  kind: 'tiled';
  /** Output rows per workgroup tile. */
  tileM: number;
  /** Output columns per workgroup tile. */
  tileN: number;
  /** K step staged in workgroup memory. */
  tileK: number;
  /** Output rows each invocation computes (its register tile is rowsPerThread x 4). */
  rowsPerThread: number;
}
/** A matmul kernel with its tile and workgroup shape. */
export type MatmulVariant = ScalarMatmul | Vec4Matmul | TiledMatmul;

/** Split-K for skinny products: partial sums per K chunk, then a fixed-order second pass. */
export interface SplitKPolicy {
  /** Split only when the product has at most this many output tiles (over the batch). */
  maxTiles: number;
  /** ... and K is at least this. */
  minK: number;
  /** Target K per split (rounded to a multiple of 16) and the most splits. */
  chunk: number;
  /** The most splits. */
  maxSplits: number;
}

/** Row ops (softmax, log-softmax, softmaxJvp, the losses, layer norm): invocations per row and rows per workgroup. */
export interface RowPolicy {
  /** Most invocations per row (a power of two); rows are strided past it. */
  maxThreads: number;
  /** A row gets about one invocation per this many columns (then rounded up to a power of
   *  two, at most maxThreads): short rows waste no lanes on a CPU implementation. */
  colsPerThread: number;
  /** Rows share a workgroup until it has this many invocations (short rows: [4096, 10]). */
  groupThreads: number;
  /** Use subgroupAdd / subgroupMax where the device has the `subgroups` feature. */
  subgroups: boolean;
  /** Rows of at most this many columns (capped at 16) run the short-row kernels of softmax,
   *  log-softmax and softmax CE: one invocation per row, the row in registers (default 0: never). */
  shortCols?: number;
}

/** Axis reductions (src/ops/reduce.ts reduceLayout; shaders/reduce.wgsl). */
export interface ReducePolicy {
  /** Most invocations per output (a power of two), folded in a workgroup tree; also the
   *  workgroup size, so outputs of short axes share a workgroup. */
  maxLanes: number;
  /** From this many outputs on, each output is folded serially by one invocation ... */
  serialOutputs: number;
  /** ... also when an output's elements are contiguous (row sums), not only for columns. */
  serialRows: boolean;
  /** Combine an output's lanes with subgroup shuffles where the device has `subgroups` and
   *  the lanes are neighbouring invocations (lib/lanes_subgroup.wgsl). */
  subgroups: boolean;
}

/** The variants and their parameters that a profile chooses for each kernel family. */
export interface KernelProfile {
  /** A class of adapter, or any name for a custom table (tests force single variants). */
  name: string;
  /** matmul variants by preference: the first that takes the shape runs. */
  matmul: readonly {
    /** The kernel and its tile. */
    variant: MatmulVariant;
    /** Taken only from this many outputs (M·N·batch) on. */
    minOutputs?: number;
    /** ... and only if at most this fraction of the columns it computes lies past N (a
     *  workgroup column of the variant covers variantTile(v)[1] columns; the last one's lanes
     *  past N compute clamped columns that are never stored). */
    maxIdleColumns?: number;
  }[];
  /** The candidates the tuner times for this class of adapter (src/gpu/tune.ts). */
  tune: readonly MatmulVariant[];
  /** When skinny products (small M·N, large K) split K over workgroups. */
  splitK: SplitKPolicy;
  /** Row ops: softmax, log-softmax, softmaxJvp, the losses. */
  rows: RowPolicy;
  /** Axis reductions: invocations per output, when to fold serially. */
  reduce: ReducePolicy;
}

const SCALAR_SOFTWARE: ScalarMatmul = { kind: 'scalar', wgX: 8, wgY: 4, strided: false };
// SwiftShader's subgroups are its 4 SIMD lanes: sharing op(A)'s rows cuts a k step's loads
// from 48 to 24 vec4s (matmul_vec4.wgsl).
// One subgroup per workgroup: 1024² and 512² tie with 4 x 4 (and 4 x 2) workgroups in one
// process; a small product such as [128, 784]·[784, 128] then has 4x more workgroups to
// spread over the CPU's threads.
const VEC4_SHARED: Vec4Matmul = { kind: 'vec4', wgX: 4, wgY: 1, shareA: true };
const VEC4_NARROW: Vec4Matmul = { kind: 'vec4', wgX: 1, wgY: 4, shareA: false };
const SCALAR_STRIDED: ScalarMatmul = { kind: 'scalar', wgX: 16, wgY: 8, strided: true };
// Workgroup memory: 4·tile_k·(tile_m + 1 + tile_n + 4) bytes, within WebGPU's default 16 KiB.
const TILED_64: TiledMatmul = { kind: 'tiled', tileM: 64, tileN: 64, tileK: 16, rowsPerThread: 4 }; // 8.3 KiB, 256 inv.
const TILED_64_K24: TiledMatmul = { kind: 'tiled', tileM: 64, tileN: 64, tileK: 24, rowsPerThread: 4 }; // 12.5 KiB, 256 inv.
const TILED_32: TiledMatmul = { kind: 'tiled', tileM: 32, tileN: 32, tileK: 16, rowsPerThread: 2 }; // 4.3 KiB, 128 inv.
const TILED_128: TiledMatmul = { kind: 'tiled', tileM: 128, tileN: 64, tileK: 16, rowsPerThread: 8 }; // 12.3 KiB, 256 inv.

export const PROFILES: Record<ProfileName, KernelProfile> = {
  // SwiftShader and other CPU implementations: a storage load costs ~5 vec4 FMAs and barriers
  // cost per invocation, so big register tiles, no workgroup memory, rows of few lanes.
  software: {
    name: 'software',
    // A subgroup sharing A's rows spans 64 columns; where N leaves many of them idle, one lane
    // per workgroup column (16) wastes fewer: [36864, 28]·[28, 20] (LeNet conv1's product) took
    // 50 ms shared, 33 ms narrow; K = 500, M = 4096: N = 40 and 48 narrow ahead (idle 38%,
    // 25%), N = 52 shared ahead (19%, as narrow's 52 of 64); N = 64 shared ahead at K = 28.
    matmul: [{ variant: VEC4_SHARED, maxIdleColumns: 0.2 }, { variant: VEC4_NARROW }, { variant: SCALAR_SOFTWARE }],
    tune: [
      VEC4_SHARED,
      VEC4_NARROW,
      { kind: 'vec4', wgX: 4, wgY: 4, shareA: true },
      { kind: 'vec4', wgX: 4, wgY: 4, shareA: false },
      { kind: 'vec4', wgX: 2, wgY: 2, shareA: false },
      { kind: 'vec4', wgX: 8, wgY: 4, shareA: false },
      SCALAR_SOFTWARE,
      { kind: 'scalar', wgX: 4, wgY: 4, strided: false },
    ],
    splitK: { maxTiles: 2, minK: 4096, chunk: 1024, maxSplits: 8 },
    // SwiftShader's subgroups are its 4 SIMD lanes: a row of <= 4 invocations reduces with
    // shuffles and no barrier. softmax [4096, 10] (median ms): 21.5 with one 4-wide tree per
    // workgroup, 7.3 one invocation per row 64 rows a group, 6.2 4 lanes per row by shuffles
    // 64 a group, 4.5 with 2 lanes per row; [128, 1000] and [4096, 1000] tie (bandwidth).
    // Since the softmax statistics take one read (online max/sum), the per-row combine costs
    // more than the lanes save on short rows: one invocation per row below 256 columns
    // (colsPerThread 256; same process, medians of 7): softmax [4096, 10] 1.7 ms vs 2.2 with
    // 2 lanes, CE [4096, 10] 1.7 vs 2.4; [4096, 1000] and [128, 1000] (4 lanes) tie with
    // 1 lane per row, and 4 lanes keep a few long rows on all SIMD lanes. Groups of 16 or
    // 256 invocations tied with 64.
    // Rows of at most 16 columns: the short-row kernels, no loop (lib/short_rows.wgsl).
    rows: { maxThreads: 4, colsPerThread: 256, groupThreads: 64, subgroups: true, shortCols: 16 },
    // Serial folds won for row sums too ([1024, 1024] over axis 1: 8 ms with one lane per
    // output, 20 ms with 8), once there are 1024 outputs (16 workgroups of 64 on SwiftShader's
    // threads); fewer stay in trees: the first pass of a 1M sum has 64 outputs and wants 64
    // workgroups. Subgroup lanes (8 lanes: butterflies over 4 then 2 partials) edged out the
    // workgroup tree: sum + logSumExp + max over the last axis, median ms, tree / subgroups:
    // [64, 4096] 30.9 / 29.6, [512, 300] 34.1 / 28.9, [128, 1000] 13.3 / 12.4 (load ~5).
    reduce: { maxLanes: 8, serialOutputs: 1024, serialRows: true, subgroups: true },
  },
  // Apple M-series, Intel Xe, mobile GPUs: 64 x 64 tiles in 256 invocations (4 x 4 each).
  integrated: {
    name: 'integrated',
    matmul: [{ variant: TILED_64 }],
    tune: [TILED_64, TILED_64_K24, TILED_32, TILED_128, SCALAR_STRIDED],
    splitK: { maxTiles: 8, minK: 512, chunk: 256, maxSplits: 32 },
    rows: { maxThreads: 64, colsPerThread: 1, groupThreads: 64, subgroups: true },
    // Column folds go serial once ~256 workgroups of 64 outputs keep the GPU busy.
    reduce: { maxLanes: 64, serialOutputs: 16384, serialRows: false, subgroups: true },
  },
  // NVIDIA / AMD cards: 128 x 64 tiles (8 x 4 per invocation) once the output fills them.
  discrete: {
    name: 'discrete',
    matmul: [{ variant: TILED_128, minOutputs: 128 * 64 * 64 }, { variant: TILED_64 }],
    tune: [TILED_128, TILED_64, TILED_64_K24, TILED_32, SCALAR_STRIDED],
    splitK: { maxTiles: 32, minK: 512, chunk: 256, maxSplits: 64 },
    rows: { maxThreads: 128, colsPerThread: 1, groupThreads: 128, subgroups: true },
    reduce: { maxLanes: 128, serialOutputs: 16384, serialRows: false, subgroups: true },
  },
};

/** The profile name for an adapter ('auto'): CPU implementations are 'software'; vendors
 *  that make only integrated GPUs, and Intel's non-Arc parts, 'integrated'; the rest 'discrete'. */
export function profileFor(report: AdapterReport): ProfileName {
  if (report.isSoftware) return 'software';
  const text = `${report.vendor} ${report.architecture} ${report.device} ${report.description}`.toLowerCase();
  if (/apple|qualcomm|adreno|\barm\b|mali|imagination|powervr|broadcom/.test(text)) return 'integrated';
  if (/intel/.test(text)) return /\barc\b|alchemist|battlemage|xe-hpg|dg2/.test(text) ? 'discrete' : 'integrated';
  // AMD APUs report "AMD Radeon(TM) Graphics" / "Vega 8" style names without a model number.
  if (/amd|ati/.test(text) && /radeon\(tm\) graphics|vega \d\b|apu/.test(text)) return 'integrated';
  return 'discrete';
}

/** Whether `v` is a matmul variant with positive integer sizes (a custom table's, a cache's). */
export function validVariant(v: unknown): v is MatmulVariant {
  const o = v as Record<string, unknown> | null;
  const ints = (...ks: string[]) => ks.every((k) => Number.isInteger(o![k]) && (o![k] as number) > 0);
  if (!o || typeof o !== 'object') return false;
  if (o.kind === 'scalar') return ints('wgX', 'wgY') && typeof o.strided === 'boolean';
  if (o.kind === 'vec4') return ints('wgX', 'wgY') && typeof o.shareA === 'boolean';
  if (o.kind === 'tiled') return ints('tileM', 'tileN', 'tileK', 'rowsPerThread');
  return false;
}

/** Throws unless a custom table has every field of KernelProfile with a usable value. */
function checkProfileTable(t: KernelProfile): void {
  const where = `createEngine: profile table '${String(t.name)}'`;
  const fail = (what: string) => {
    throw new Error(`${where}: ${what} (see KernelProfile; PROFILES.software is a complete example)`);
  };
  const record = (k: keyof KernelProfile) => {
    const v = t[k] as unknown;
    if (v === null || typeof v !== 'object') fail(`${k} must be an object, got ${String(v)}`);
    return v as Record<string, unknown>;
  };
  const numbers = (k: keyof KernelProfile, keys: string[], min: number) => {
    const r = record(k);
    for (const key of keys) if (typeof r[key] !== 'number' || !(r[key] >= min)) fail(`${k}.${key} must be a number >= ${min}, got ${String(r[key])}`);
    return r;
  };
  const powerOfTwo = (k: keyof KernelProfile, key: string) => {
    const n = record(k)[key];
    if (!Number.isInteger(n) || (n as number) < 1 || ((n as number) & ((n as number) - 1)) !== 0) fail(`${k}.${key} must be a power of two, got ${String(n)}`);
  };
  const flags = (k: keyof KernelProfile, keys: string[]) => {
    for (const key of keys) if (typeof record(k)[key] !== 'boolean') fail(`${k}.${key} must be true or false, got ${String(record(k)[key])}`);
  };
  if (!Array.isArray(t.matmul) || t.matmul.length === 0) fail('matmul must be a non-empty list of { variant } entries');
  t.matmul.forEach((m, i) => {
    if (!validVariant(m?.variant)) fail(`matmul[${i}].variant is not a matmul variant: ${JSON.stringify(m?.variant)}`);
  });
  if (!Array.isArray(t.tune) || !t.tune.every(validVariant)) fail('tune must be a list of matmul variants');
  numbers('splitK', ['maxTiles', 'minK', 'chunk', 'maxSplits'], 0);
  numbers('rows', ['colsPerThread', 'groupThreads'], 1);
  powerOfTwo('rows', 'maxThreads');
  flags('rows', ['subgroups']);
  numbers('reduce', ['serialOutputs'], 0);
  powerOfTwo('reduce', 'maxLanes');
  flags('reduce', ['serialRows', 'subgroups']);
}

/** Throws on a profile option that is neither a known name, 'auto', nor a complete table. */
export function checkProfileOption(option: unknown): void {
  if (option === undefined || option === 'auto' || (PROFILE_NAMES as readonly unknown[]).includes(option)) return;
  if (option !== null && typeof option === 'object') return checkProfileTable(option as KernelProfile);
  throw new Error(`createEngine: unknown profile '${String(option)}' (expected 'auto', ${PROFILE_NAMES.map((n) => `'${n}'`).join(', ')} or a KernelProfile table)`);
}

/** A profile option: a name, 'auto' (from the adapter's info), or a custom table (as given). */
export function resolveProfile(option: ProfileOption | KernelProfile | undefined, report: AdapterReport): KernelProfile {
  checkProfileOption(option);
  if (typeof option === 'object') return option;
  return PROFILES[option === undefined || option === 'auto' ? profileFor(report) : option];
}

// ---- matmul choice ---------------------------------------------------------------------

/** The problem a matmul dispatch solves, as the variants see it. */
export interface MatmulProblem {
  /** Rows of the result (and of op(A)). */
  M: number;
  /** Columns of the result (and of op(B)). */
  N: number;
  /** The inner dimension: columns of op(A), rows of op(B). */
  K: number;
  /** Products computed at once (1 for a rank-2 matmul). */
  batch: number;
  /** A is stored [K, M] (see {@link MatmulOptions.transposeA}). */
  transposeA: boolean;
  /** B is stored [N, K] (see {@link MatmulOptions.transposeB}). */
  transposeB: boolean;
}

/** Output rows x columns one workgroup of a variant covers. */
export function variantTile(v: MatmulVariant): [number, number] {
  if (v.kind === 'scalar') return [16 * v.wgY, 8 * v.wgX];
  if (v.kind === 'vec4') return [32 * v.wgY, 16 * v.wgX];
  return [v.tileM, v.tileN];
}

/** matmul_vec4.wgsl reads vec4s along K, along M when A is transposed, along N unless B is. */
export function vec4Fits(p: MatmulProblem): boolean {
  return p.K % 4 === 0 && (!p.transposeA || p.M % 4 === 0) && (p.transposeB || p.N % 4 === 0);
}

/** Which operands matmul_tiled.wgsl stages by vec4 loads (its header: dims.a_vec4, b_vec4):
 *  those whose storage axis (K for A, M for Aᵀ; N for B, K for Bᵀ) is a multiple of 4 long,
 *  as are the tile's steps along it and the split chunk, so no vec4 straddles an edge. */
export function tiledVec4Loads(v: TiledMatmul, p: MatmulProblem, kChunk: number): { a: boolean; b: boolean } {
  const alongK = p.K % 4 === 0 && v.tileK % 4 === 0 && kChunk % 4 === 0;
  return {
    a: p.transposeA ? p.M % 4 === 0 && v.tileM % 4 === 0 : alongK,
    b: p.transposeB ? alongK : p.N % 4 === 0 && v.tileN % 4 === 0,
  };
}

export function variantFits(v: MatmulVariant, p: MatmulProblem): boolean {
  return v.kind !== 'vec4' || vec4Fits(p);
}

/** How many splits of K (1: none), each a multiple of 16 long so every variant's K step fits. */
export function splitCount(policy: SplitKPolicy, v: MatmulVariant, p: MatmulProblem): { splits: number; kChunk: number } {
  const [tm, tn] = variantTile(v);
  const tiles = Math.ceil(p.M / tm) * Math.ceil(p.N / tn) * p.batch;
  if (tiles > policy.maxTiles || p.K < policy.minK) return { splits: 1, kChunk: roundUp(Math.max(p.K, 1), 16) };
  const want = Math.min(policy.maxSplits, Math.max(2, Math.floor(p.K / policy.chunk)));
  const kChunk = roundUp(Math.ceil(p.K / want), 16);
  return { splits: Math.ceil(p.K / kChunk), kChunk }; // no empty split
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/** The profile's first variant that takes the problem; the last entry of every profile
 *  takes any shape (scalar or tiled). */
export function profileMatmul(profile: KernelProfile, p: MatmulProblem): MatmulVariant {
  const outputs = p.M * p.N * p.batch;
  const idle = (v: MatmulVariant) => {
    const width = variantTile(v)[1];
    return 1 - p.N / (Math.ceil(p.N / width) * width);
  };
  const hit = profile.matmul.find(
    ({ variant, minOutputs, maxIdleColumns }) => variantFits(variant, p) && outputs >= (minOutputs ?? 0) && idle(variant) <= (maxIdleColumns ?? 1),
  );
  return (hit ?? profile.matmul.at(-1)!).variant;
}

/** A short label with the parameters, for stats().kernels and the tuner's table. */
export function describeVariant(v: MatmulVariant): string {
  if (v.kind === 'scalar') return `scalar 16x8 wg ${v.wgX}x${v.wgY}${v.strided ? ' strided' : ''}`;
  if (v.kind === 'vec4') return `vec4 32x16 wg ${v.wgX}x${v.wgY}${v.shareA ? ' shared A' : ''}`;
  return `tiled ${v.tileM}x${v.tileN}x${v.tileK} ${v.rowsPerThread}x4/inv`;
}

// ---- what an engine chooses, and what it used -------------------------------------------

/** One variant of a kernel family as used, with its parameters (stats().kernels). */
export interface KernelUse {
  /** The variant's name, e.g. 'vec4 32x16' or 'subgroup butterfly'. */
  variant: string;
  [param: string]: string | number | boolean;
}

/** The tuner's measured choices: matmul shape class -> variant (see src/gpu/tune.ts). */
export type TunedMatmul = Map<string, MatmulVariant>;

/** The choices one engine makes: its profile, the tuner's results, and a record of use. */
export class KernelChoices {
  private readonly used = new Map<string, Map<string, KernelUse>>();

  constructor(
    readonly profile: KernelProfile,
    /** Device features the variants may use (e.g. 'subgroups'). */
    readonly features: ReadonlySet<string>,
    /** The adapter's subgroup sizes [min, max] (WebGPU's bounds [4, 128] when unknown). */
    readonly subgroupSizes: readonly [number, number] = [4, 128],
    readonly tuned: TunedMatmul = new Map(),
  ) {}

  /** The tuned variant for the problem's shape class, else the profile's. */
  matmul(p: MatmulProblem): MatmulVariant {
    const t = this.tuned.get(matmulShapeClass(p));
    return t && variantFits(t, p) ? t : profileMatmul(this.profile, p);
  }

  /** How a row of `rowThreads` invocations can reduce with subgroups (lib/tree_subgroup.wgsl):
   *  'butterfly' when the row fits in any subgroup, 'fold' when every subgroup fits in the
   *  row; null when the device has no subgroups, or the adapter's sizes straddle the row. */
  subgroupRows(rowThreads: number): 'butterfly' | 'fold' | null {
    if (!this.features.has('subgroups')) return null;
    if (rowThreads <= this.subgroupSizes[0]) return 'butterfly';
    if (rowThreads >= this.subgroupSizes[1]) return 'fold';
    return null;
  }

  /** Whether matmul_vec4's lanes can share op(A)'s rows by subgroup broadcasts
   *  (lib/matmul_a_subgroup.wgsl): the device has subgroups of exactly 4 lanes, so with a
   *  workgroup 4 wide a subgroup is one row of the workgroup. */
  subgroupQuads(wgX: number): boolean {
    return this.features.has('subgroups') && this.subgroupSizes[0] === 4 && this.subgroupSizes[1] === 4 && wgX === 4;
  }

  note(family: string, use: KernelUse): void {
    let m = this.used.get(family);
    if (!m) this.used.set(family, (m = new Map()));
    const key = JSON.stringify(use);
    if (!m.has(key)) m.set(key, use);
  }

  /** family -> the variants used so far, in first-use order. */
  report(): Record<string, KernelUse[]> {
    const out: Record<string, KernelUse[]> = {};
    for (const [family, m] of this.used) out[family] = [...m.values()];
    return out;
  }
}

/** The tuner's key for a matmul: transposes, vec4 alignment and each size rounded up to a
 *  power of two (a tile choice carries over between sizes of one class, as in CubeCL). */
export function matmulShapeClass(p: MatmulProblem): string {
  const p2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));
  return `${p.transposeA ? 'T' : 'N'}${p.transposeB ? 'T' : 'N'} M${p2(p.M)} N${p2(p.N)} K${p2(p.K)} B${p2(p.batch)}${vec4Fits(p) ? ' v4' : ''}`;
}
