// The tuner: times the candidate matmul variants of the engine's profile on the user's adapter,
// once per (adapter, shape class), and keeps the fastest. As Burn/CubeCL's autotune, the key
// rounds each size up to a power of two (src/gpu/profile.ts matmulShapeClass), so a result
// serves every size of its class.
//
//   tune: 'off'     the profile's table only; no cache is read or written
//         'cached'  (default) the table, with the stored results for this adapter on top
//         'always'  as 'cached', and every shape class met at a preparation point
//                   (e.tune(), TrainingStep.prepare()) is timed again once per engine
//
// Timing: GPU timestamps around the candidate's pass where the device has 'timestamp-query'
// (several runs per pass: browsers quantize timestamps), else the wall time to completion.
// Results persist in localStorage (a page) or in a JSON file under the user's cache directory
// (Node: $XDG_CACHE_HOME/webgrad/tune.json, else ~/.cache/webgrad/tune.json), keyed by the
// adapter's vendor / architecture / device / description, the engine version and a hash of
// the matmul shaders; a stale or corrupt cache is ignored with a warning, never fatal.

import type { AdapterReport } from './device';
import type { BufferPool } from './pool';
import type { CommandQueue } from './queue';
import { describeVariant, matmulShapeClass, validVariant, variantFits, type KernelChoices, type MatmulProblem, type MatmulVariant } from './profile';
import { dispatchMatmul } from './matmul';
import { shaderFamilies } from './shaders';
import { VERSION } from '../version';

/** `createEngine({ tune })`: the profile's table only, stored measurements when present, or always measure. */
export type TuneMode = 'off' | 'cached' | 'always';
export const TUNE_MODES: readonly TuneMode[] = ['off', 'cached', 'always'];

/** One tuned shape class: each candidate's ms per run, and the winner. */
export interface TuneResult {
  /** The class's key: transposes, each of M, N, K, batch rounded up to a power of two, and
   *  ' v4' when vec4 loads fit, e.g. 'NT M64 N16 K1024 B1 v4'. */
  shapeClass: string;
  /** The problem that was timed (a member of the class). */
  problem: MatmulProblem;
  /** Each candidate variant that fits the problem, in the profile's order. */
  timings: {
    /** The variant, e.g. 'tiled 64x64x16 4x4/inv'. */
    label: string;
    /** Milliseconds per matmul: the median of several timed batches of runs. */
    ms: number;
  }[];
  /** The fastest variant: the engine uses it from now on for every matmul of the class. */
  chosen: MatmulVariant;
  /** 'measured' now, or 'cache' (loaded from the store). */
  source: 'measured' | 'cache';
}

interface StoredEntry {
  variant: MatmulVariant;
  timings: { label: string; ms: number }[];
}

interface StoredFile {
  format: 1;
  adapters: Record<string, Record<string, StoredEntry>>;
}

/** Where results live: a file in Node, localStorage in a page. */
export interface TuneStore {
  readonly where: string;
  read(): Promise<string | null>;
  write(text: string): Promise<void>;
}

const LOCAL_STORAGE_KEY = 'webgrad.tune';
/** A timed batch lasts at least this long (timestamps and timers are coarse). */
const MIN_BATCH_MS = 20;
const MAX_RUNS = 64;
const BATCHES = 3;

/** The store for this environment, or null (no localStorage, no file system). */
export async function defaultStore(): Promise<TuneStore | null> {
  const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  if (!isNode) {
    if (typeof localStorage === 'undefined') return null;
    return {
      where: `localStorage['${LOCAL_STORAGE_KEY}']`,
      read: async () => localStorage.getItem(LOCAL_STORAGE_KEY),
      write: async (text) => localStorage.setItem(LOCAL_STORAGE_KEY, text),
    };
  }
  // Variable specifiers keep browser bundles from including Node modules.
  const [fsName, pathName, osName] = ['node:fs/promises', 'node:path', 'node:os'];
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
  const path = (await import(/* @vite-ignore */ pathName)) as typeof import('node:path');
  const os = (await import(/* @vite-ignore */ osName)) as typeof import('node:os');
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const file = path.join(base, 'webgrad', 'tune.json');
  return {
    where: file,
    read: () => fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e))),
    async write(text) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`; // write then rename: a crash leaves no half file
      await fs.writeFile(tmp, text);
      await fs.rename(tmp, file);
    },
  };
}

/** The cache key of an adapter with this engine's kernels. */
export function adapterKey(r: AdapterReport): string {
  const sources = [shaderFamilies.matmul, shaderFamilies.matmul_vec4, shaderFamilies.matmul_vec4_subgroups, shaderFamilies.matmul_tiled, shaderFamilies.matmul_splitk]
    .flat()
    .map((p) => p.code)
    .join('\n');
  return `${r.vendor} / ${r.architecture} / ${r.device} / ${r.description} | webgrad ${VERSION} | kernels ${fnv1a(sources)}`;
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Parses a cache file; anything unexpected gives null and a warning (the cache is then
 *  rebuilt on the next save). */
function parse(text: string | null, where: string, quiet = false): StoredFile | null {
  if (text === null) return null;
  try {
    const f = JSON.parse(text) as StoredFile;
    if (f?.format !== 1 || typeof f.adapters !== 'object' || f.adapters === null) throw new Error('unknown format');
    return f;
  } catch (err) {
    if (!quiet) console.warn(`webgrad: ignoring the tuning cache ${where}: it is not a valid cache file (${(err as Error).message}); it will be rewritten`);
    return null;
  }
}

/** Throws unless `problems` is a list of matmul problems: M, N, K, batch integers >= 1 and
 *  the transposes true or false (checked before anything is timed or stored). */
export function checkProblems(op: string, problems: unknown): asserts problems is MatmulProblem[] {
  if (!Array.isArray(problems)) throw new Error(`${op}: problems must be an array of { M, N, K, batch, transposeA, transposeB }, got ${String(problems)}`);
  problems.forEach((p: Record<string, unknown> | null, i) => {
    if (p === null || typeof p !== 'object') throw new Error(`${op}: problems[${i}] must be an object { M, N, K, batch, transposeA, transposeB }, got ${String(p)}`);
    for (const k of ['M', 'N', 'K', 'batch']) {
      if (!Number.isInteger(p[k]) || (p[k] as number) < 1) throw new Error(`${op}: problems[${i}].${k} must be an integer >= 1, got ${String(p[k])}`);
    }
    for (const k of ['transposeA', 'transposeB']) {
      if (typeof p[k] !== 'boolean') throw new Error(`${op}: problems[${i}].${k} must be true or false, got ${String(p[k])}`);
    }
  });
}

/** The engine's tuner: loads the stored results into `choices.tuned`, measures on request. */
export class Tuner {
  /** Shape classes timed by this engine (so 'always' times each once per engine). */
  private readonly measured = new Set<string>();
  readonly results = new Map<string, TuneResult>();

  constructor(
    readonly mode: TuneMode,
    private readonly queue: CommandQueue,
    private readonly pool: BufferPool,
    private readonly choices: KernelChoices,
    private readonly key: string,
    private readonly store: TuneStore | null,
  ) {}

  /** Reads the stored results for this adapter ('cached' and 'always'). */
  async load(): Promise<void> {
    if (this.mode === 'off' || !this.store) return;
    const file = parse(await this.store.read().catch(() => null), this.store.where);
    for (const [shapeClass, entry] of Object.entries(file?.adapters[this.key] ?? {})) {
      if (!validVariant(entry?.variant)) continue;
      this.choices.tuned.set(shapeClass, entry.variant);
      this.results.set(shapeClass, { shapeClass, problem: problemOf(shapeClass), timings: entry.timings ?? [], chosen: entry.variant, source: 'cache' });
    }
  }

  /** Times the classes of `problems` not tuned yet ('always': not timed by this engine yet;
   *  `force`: regardless), stores the winners, and returns the results for all of them. */
  async tune(problems: readonly MatmulProblem[], force = false): Promise<TuneResult[]> {
    if (this.mode === 'off' && !force) return [];
    const out: TuneResult[] = [];
    let changed = false;
    for (const p of problems) {
      const shapeClass = matmulShapeClass(p);
      const stale = force || (this.mode === 'always' ? !this.measured.has(shapeClass) : !this.results.has(shapeClass));
      if (stale && !this.measured.has(shapeClass)) {
        this.results.set(shapeClass, await this.measure(p, shapeClass));
        this.measured.add(shapeClass);
        changed = true;
      }
      if (!out.some((r) => r.shapeClass === shapeClass)) out.push(this.results.get(shapeClass)!);
    }
    if (changed) await this.save();
    return out;
  }

  private async measure(p: MatmulProblem, shapeClass: string): Promise<TuneResult> {
    const candidates = this.choices.profile.tune.filter((v) => variantFits(v, p));
    const bytes = (n: number) => Math.max(4, n * 4);
    const a = this.pool.acquire(bytes(p.batch * p.M * p.K));
    const b = this.pool.acquire(bytes(p.batch * p.K * p.N));
    const c = this.pool.acquire(bytes(p.batch * p.M * p.N));
    const problem = { ...p, aBatched: p.batch > 1, bBatched: p.batch > 1 };
    const timings: { label: string; ms: number }[] = [];
    try {
      for (const variant of candidates) {
        const run = (n: number) => () => {
          for (let i = 0; i < n; i++) dispatchMatmul(this.queue, { a, b, c }, problem, 0, 0, variant);
        };
        const once = await this.queue.timePass(run(1)); // compiles the pipeline, warms up
        const n = Math.min(MAX_RUNS, Math.max(1, Math.ceil(MIN_BATCH_MS / Math.max(once, 1e-3))));
        const batches: number[] = [];
        for (let i = 0; i < BATCHES; i++) batches.push((await this.queue.timePass(run(n))) / n);
        batches.sort((x, y) => x - y);
        timings.push({ label: describeVariant(variant), ms: batches[BATCHES >> 1]! });
      }
    } finally {
      [a, b, c].forEach((buf) => this.pool.release(buf));
      this.queue.flush();
    }
    const best = timings.reduce((i, t, j) => (t.ms < timings[i]!.ms ? j : i), 0);
    const chosen = candidates[best]!;
    this.choices.tuned.set(shapeClass, chosen);
    return { shapeClass, problem: p, timings, chosen, source: 'measured' };
  }

  private async save(): Promise<void> {
    if (!this.store || this.mode === 'off') return;
    const file: StoredFile = parse(await this.store.read().catch(() => null), this.store.where, true) ?? { format: 1, adapters: {} };
    const mine: Record<string, StoredEntry> = (file.adapters[this.key] ??= {});
    for (const r of this.results.values()) mine[r.shapeClass] = { variant: r.chosen, timings: r.timings };
    try {
      await this.store.write(JSON.stringify(file, null, 1));
    } catch (err) {
      console.warn(`webgrad: could not save the tuning cache ${this.store.where}: ${(err as Error).message}`);
    }
  }
}

/** A representative problem of a class (its upper bounds), for results read from a cache. */
function problemOf(shapeClass: string): MatmulProblem {
  const num = (tag: string) => Number(new RegExp(`${tag}(\\d+)`).exec(shapeClass)?.[1] ?? 1);
  return { M: num(' M'), N: num(' N'), K: num(' K'), batch: num(' B'), transposeA: shapeClass[0] === 'T', transposeB: shapeClass[1] === 'T' };
}
