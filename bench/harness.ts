// The timing harness shared by `npm run bench` (bench/run.ts, Node) and the benchmark page
// (bench/page/, the browser): how one case is warmed up, timed and checked on every library,
// and the rows it yields. Browser-safe (no Node imports).
//
// For each case and library: warm up (compile pipelines; the output is kept), pick a batch size
// so one batch takes at least `minBatchMs`, run one untimed batch (the buffer pools fill; for an
// op slower than that the calibration run counts as run 1 instead), then `runs` timed batches,
// interleaved across libraries (ours, peer 1, peer 2, ours, ...) so drift hits everyone alike.
// A batch = enqueue N executions, then wait for the GPU (each library's own sync, see
// bench/peers/*.ts). Reported: the median ms per execution, and ratio = peer ms / our ms
// (> 1: webgrad is faster). The warm-up outputs are compared with each other and with webgrad's
// CPU reference backend (run once, untimed), and each library's live objects are counted before
// the case and after its runner is disposed (what is left is a leak).

import type { BenchCase } from './cases/index';
import type { CommandCounts } from './gpu-env';
import { roofMs, type Roofs } from './roofline';
import { Unsupported, type Library, type Runner } from './peers/types';

export interface HarnessOptions {
  /** Timed batches per case and library; the median is reported. */
  runs: number;
  /** A timed batch repeats the op until it takes at least this long. */
  minBatchMs: number;
  /** At most this many executions per batch. */
  maxIters: number;
  /** Give up on a library for a case when a warm-up or batch takes longer. */
  timeoutS: number;
  /** GPU commands issued so far in the process, where they are counted (Node: bench/gpu-env.ts):
   *  the calibration run reports one execution's. */
  commandCounts?: () => CommandCounts;
}

export const DEFAULT_OPTIONS: HarnessOptions = { runs: 5, minBatchMs: 250, maxIters: 200, timeoutS: 180 };

/** Outputs agree when max |a − b| / max |reference| is at most this: f32 results of different
 *  summation orders over K ≤ 1024 terms differ by ~1e-6 relative; 1e-3 flags real errors. */
export const AGREE_TOLERANCE = 1e-3;

export interface Row {
  name: string;
  size: string;
  /** Median ms per execution, ours (null if ours could not run the case). */
  ours: number | null;
  /** Median ms per execution, the peer (null if it could not run the case). */
  peer: number | null;
  peerName: string;
  unit: 'ms';
  /** peer / ours: > 1 means webgrad is faster. */
  ratio: number | null;
  oursGflops?: number | null;
  peerGflops?: number | null;
  /** Timed runs (ms per execution) and executions per run. */
  oursRuns: number[];
  peerRuns: number[];
  oursIters: number;
  peerIters: number;
  /** Median over runs of peer / ours within the same round (robust to drift between rounds). */
  pairedRatio: number | null;
  /** max |peer − ours| / max |ours| over the warm-up outputs. */
  relDiff: number | null;
  /** max |x − cpu| / max |cpu|: each side's warm-up output against webgrad's CPU reference. */
  oursVsCpu?: number | null;
  peerVsCpu?: number | null;
  /** Live objects left after the case's runner was disposed (webgrad: GPU buffers; TF.js:
   *  tensors); null where the library cannot say. */
  oursLeak?: number | null;
  peerLeak?: number | null;
  /** The roofline bound (ms) over the median: the fraction of the attainable speed reached. */
  oursRoof?: number | null;
  peerRoof?: number | null;
  /** GPU commands one execution issues (counted at the WebGPU API; null if not measured). */
  oursCommands?: CommandCounts | null;
  peerCommands?: CommandCounts | null;
  /** Why a side is missing, or a warning. */
  note?: string;
}

export interface Contender {
  lib: Library;
  runner: Runner | null;
  reason: string | null;
  output: Float32Array | null;
  iters: number;
  runs: number[];
  leak: number | null;
  /** GPU commands one execution issues (null if not counted). */
  commands: CommandCounts | null;
}

export interface CaseResult {
  contenders: Contender[];
  /** The CPU reference's output, or why there is none. */
  reference: { output: Float32Array | null; reason: string | null } | null;
}

export type Log = (msg: string) => void;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function errMsg(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 200);
}

/** max |a − ref| / max |ref|; Infinity for a length mismatch or a NaN. */
export function relDiff(ref: Float32Array, other: Float32Array): number {
  if (ref.length !== other.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ref[i]! - other[i]!);
    if (!(d <= diff)) diff = d; // a NaN makes the comparison false and propagates
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  if (Number.isNaN(diff)) return Infinity;
  return scale > 0 ? diff / scale : diff;
}

/** Rejects if `p` has not settled after `seconds` (a lost device can leave a sync pending). */
export function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function timeBatch(r: Runner, iters: number, timeoutS: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) r.step();
  await withTimeout(r.sync(), timeoutS, `a batch of ${iters}`);
  return (performance.now() - t0) / iters;
}

function disposeQuietly(r: Runner | null): void {
  try {
    r?.dispose();
  } catch {
    // the library failed already; its reason is recorded
  }
}

/** Runs the CPU reference once (untimed): the output every library is checked against. */
async function referenceOutput(c: BenchCase, inputs: Float32Array[], reference: Library, timeoutS: number): Promise<CaseResult['reference']> {
  let runner: Runner | null = null;
  try {
    runner = reference.prepare(c, inputs);
    return { output: await withTimeout(runner.once(), timeoutS, 'the CPU reference'), reason: null };
  } catch (err) {
    return { output: null, reason: err instanceof Unsupported ? `unsupported: ${err.message}` : errMsg(err) };
  } finally {
    disposeQuietly(runner);
  }
}

/** Times one case on every library (the first is ours); `reference` checks the outputs. */
export async function benchCase(c: BenchCase, libs: Library[], o: HarnessOptions, log: Log, reference: Library | null = null): Promise<CaseResult> {
  const inputs = c.inputs();
  const ref = reference ? await referenceOutput(c, inputs, reference, o.timeoutS) : null;
  const contenders: Contender[] = libs.map((lib) => ({ lib, runner: null, reason: null, output: null, iters: 1, runs: [], leak: null, commands: null }));
  const liveBefore = new Map<Contender, number>();
  for (const k of contenders) {
    try {
      if (k.lib.live) liveBefore.set(k, k.lib.live());
      k.runner = k.lib.prepare(c, inputs);
    } catch (err) {
      k.reason = err instanceof Unsupported ? `unsupported: ${err.message}` : `prepare failed: ${errMsg(err)}`;
    }
  }
  const active = () => contenders.filter((k) => k.runner !== null && k.reason === null);
  const fail = (k: Contender, what: string, err: unknown) => {
    k.reason = `${what} failed: ${errMsg(err)}`;
    disposeQuietly(k.runner);
    k.runner = null;
  };
  // Warm-up: compiles pipelines, uploads inputs; the outputs are compared.
  for (const k of active()) {
    log(`  ${k.lib.name}: warm-up`);
    try {
      k.output = await withTimeout(k.runner!.once(), o.timeoutS, 'the warm-up');
      await withTimeout(k.runner!.sync(), o.timeoutS, 'the warm-up');
    } catch (err) {
      fail(k, 'warm-up', err);
    }
  }
  // Calibrate, then one untimed batch at the final size (buffer pools reach steady state).
  for (const k of active()) {
    try {
      const before = o.commandCounts?.();
      const single = await timeBatch(k.runner!, 1, o.timeoutS);
      const after = o.commandCounts?.();
      if (before && after) k.commands = Object.fromEntries(Object.entries(after).map(([key, v]) => [key, v - before[key as keyof CommandCounts]])) as unknown as CommandCounts;
      k.iters = Math.max(1, Math.min(o.maxIters, Math.ceil(o.minBatchMs / Math.max(single, 1e-3))));
      log(`  ${k.lib.name}: ~${fmtMs(single)} ms per execution -> ${k.iters} per batch`);
      // A slow op (one execution per batch): the calibration run is already a valid timed
      // batch (after the warm-up, same code path), so it counts as the first run.
      if (k.iters === 1) k.runs.push(single);
      else await timeBatch(k.runner!, k.iters, o.timeoutS);
    } catch (err) {
      fail(k, 'calibration', err);
    }
  }
  for (let run = 0; run < o.runs; run++) {
    for (const k of active()) {
      if (k.runs.length >= o.runs) continue;
      try {
        k.runs.push(await timeBatch(k.runner!, k.iters, o.timeoutS));
      } catch (err) {
        fail(k, `run ${run + 1}`, err);
      }
    }
  }
  for (const k of contenders) {
    disposeQuietly(k.runner);
    const before = liveBefore.get(k);
    // Freed buffers may wait for the next submit; an idle sync makes the count settle.
    if (before !== undefined && k.runner) {
      await k.runner.sync().catch(() => {});
      k.leak = k.lib.live!() - before;
    }
    k.runner = null;
  }
  return { contenders, reference: ref };
}

function paired(ours: number[], peer: number[]): number | null {
  const n = Math.min(ours.length, peer.length);
  if (n === 0) return null;
  return median(Array.from({ length: n }, (_, i) => peer[i]! / ours[i]!));
}

/** The rows of one case: one per peer (or one with peerName 'none' when there is no peer). */
export function rowsFor(c: BenchCase, result: CaseResult, roofs: Roofs | null, missingPeers: { name: string; reason: string }[] = []): Row[] {
  const [ours, ...peers] = result.contenders as [Contender, ...Contender[]];
  const ms = (k: Contender) => (k.reason === null && k.runs.length > 0 ? median(k.runs) : null);
  const oursMs = ms(ours);
  const gflops = (t: number | null) => (c.flops !== undefined && t !== null ? c.flops / (t * 1e6) : null);
  const bound = roofs ? roofMs(c, roofs) : null;
  const roof = (t: number | null) => (bound !== null && t !== null ? bound / t : null);
  const ref = result.reference?.output ?? null;
  const vsCpu = (k: Contender) => (ref && k.output ? relDiff(ref, k.output) : null);
  const oursVsCpu = vsCpu(ours);
  const base = (peerName: string) => ({
    name: c.name,
    size: c.size,
    ours: oursMs,
    peerName,
    unit: 'ms' as const,
    oursRuns: ours.runs,
    oursIters: ours.iters,
    ...(c.flops !== undefined ? { oursGflops: gflops(oursMs) } : {}),
    ...(result.reference ? { oursVsCpu } : {}),
    oursLeak: ours.leak,
    ...(roofs ? { oursRoof: roof(oursMs) } : {}),
    oursCommands: ours.commands,
  });
  const commonNotes = (): string[] => {
    const notes: string[] = [];
    if (ours.reason) notes.push(`webgrad ${ours.reason}`);
    if (result.reference?.reason) notes.push(`CPU reference ${result.reference.reason}`);
    if (oursVsCpu !== null && !(oursVsCpu <= AGREE_TOLERANCE)) notes.push(`webgrad differs from the CPU reference: ${oursVsCpu.toExponential(2)}`);
    if (ours.leak) notes.push(`webgrad left ${ours.leak} ${ours.lib.liveUnit ?? 'objects'}`);
    return notes;
  };
  const rows: Row[] = peers.map((p) => {
    const peerMs = ms(p);
    const rd = ours.output && p.output ? relDiff(ours.output, p.output) : null;
    const peerVsCpu = vsCpu(p);
    const notes = commonNotes();
    if (p.reason) notes.push(`${p.lib.name} ${p.reason}`);
    if (rd !== null && !(rd <= AGREE_TOLERANCE)) notes.push(`outputs differ: rel. diff ${rd.toExponential(2)}`);
    if (peerVsCpu !== null && !(peerVsCpu <= AGREE_TOLERANCE)) notes.push(`${p.lib.name} differs from the CPU reference: ${peerVsCpu.toExponential(2)}`);
    if (p.leak) notes.push(`${p.lib.name} left ${p.leak} ${p.lib.liveUnit ?? 'objects'}`);
    const row: Row = {
      ...base(p.lib.name),
      peer: peerMs,
      ratio: oursMs !== null && peerMs !== null ? peerMs / oursMs : null,
      pairedRatio: paired(ours.runs, p.runs),
      peerRuns: p.runs,
      peerIters: p.iters,
      relDiff: rd,
      ...(c.flops !== undefined ? { peerGflops: gflops(peerMs) } : {}),
      ...(result.reference ? { peerVsCpu } : {}),
      peerLeak: p.leak,
      ...(roofs ? { peerRoof: roof(peerMs) } : {}),
      peerCommands: p.commands,
    };
    if (notes.length > 0) row.note = notes.join('; ');
    return row;
  });
  const empty = { peer: null, ratio: null, pairedRatio: null, peerRuns: [], peerIters: 0, relDiff: null, peerLeak: null };
  if (rows.length === 0) {
    const notes = commonNotes();
    rows.push({ ...base('none'), ...empty, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) });
  }
  for (const f of missingPeers) rows.push({ ...base(f.name), ...empty, note: `${f.name} not available: ${f.reason}` });
  return rows;
}

export function fmtMs(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}
