// npm run bench -- [--json] [--filter NAME] [--runs N] [--peers tfjs,jax] [--min-batch-ms MS]
// npm run tune (= bench --tune): see bench/tune.ts
//
// Times webgrad against its peers (TensorFlow.js WebGPU, jax-js WebGPU) in ONE process on
// ONE WebGPU instance (bench/gpu-env.ts), case by case (bench/cases/index.ts). For each case
// and library: warm up (compile pipelines; the output is compared across libraries), pick a
// batch size so one batch takes at least --min-batch-ms, run one untimed batch (the buffer
// pools fill; for an op slower than that the calibration run counts as run 1 instead), then
// --runs timed batches, interleaved across libraries (ours, peer 1, peer 2,
// ours, ...) so drift hits everyone alike. A batch = enqueue N executions, then wait for the
// GPU (each library's own sync, see bench/peers/*.ts). Reported: the median ms per execution,
// and ratio = peer ms / our ms (> 1: webgrad is faster).
// With --json the last line printed is a JSON array of rows
// { name, size, ours, peer, peerName, unit, ratio, ... }.

import { Command, InvalidArgumentError } from 'commander';
import os from 'node:os';
import { CASES, caseLabel, type BenchCase } from './cases/index';
import { commandCounts, formatAdapterRecord, initialising, installNavigatorGpu, recordedAdapters, type CommandCounts } from './gpu-env';
import { JaxWebgpu } from './peers/jax';
import { TfjsWebgpu } from './peers/tfjs';
import { Unsupported, type Library, type Runner } from './peers/types';
import { Webgrad } from './peers/webgrad';
import { runTune } from './tune';

interface Options {
  json: boolean;
  filter?: string;
  runs: number;
  peers: string;
  minBatchMs: number;
  maxIters: number;
  timeoutS: number;
  list: boolean;
  tune: boolean;
}

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
  /** max |peer - ours| / max |ours| over the warm-up outputs. */
  relDiff: number | null;
  /** GPU commands one execution issues (counted at the WebGPU API; null if not measured). */
  oursCommands?: CommandCounts | null;
  peerCommands?: CommandCounts | null;
  /** Why a side is missing, or a warning. */
  note?: string;
}

const PEERS: Record<string, () => Library> = {
  tfjs: () => new TfjsWebgpu(),
  jax: () => new JaxWebgpu(),
};

const AGREE_TOLERANCE = 1e-3;

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function parseArgs(argv: string[]): Options {
  const program = new Command()
    .name('npm run bench --')
    .description('webgrad vs TensorFlow.js WebGPU and jax-js WebGPU, same process, same adapter')
    .option('--json', 'print the results as a JSON array on the last line', false)
    .option('--filter <names>', 'only cases whose "name size" contains one of these comma-separated words (case-insensitive)')
    .option('--runs <n>', 'timed runs per case and library (the median is reported)', positiveInt, 5)
    .option('--peers <list>', `comma-separated peers to compare with (${Object.keys(PEERS).join(', ')}), or "none"`, Object.keys(PEERS).join(','))
    .option('--min-batch-ms <ms>', 'a timed batch repeats the op until it takes at least this long', positiveNumber, 250)
    .option('--max-iters <n>', 'at most this many executions per batch', positiveInt, 200)
    .option('--timeout-s <s>', 'give up on a library for a case after a warm-up or batch takes this long', positiveNumber, 180)
    .option('--list', 'list the cases and exit', false)
    .option('--tune', "time webgrad's matmul variants for the training job's shapes, store the winners, print the table (npm run tune)", false)
    .showHelpAfterError()
    .parse(argv);
  const o = program.opts<Options>();
  return o;
}

function selectCases(filter: string | undefined): BenchCase[] {
  if (!filter) return CASES;
  const words = filter
    .split(',')
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w.length > 0);
  return CASES.filter((c) => words.some((w) => caseLabel(c).toLowerCase().includes(w)));
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmtMs(x: number | null): string {
  if (x === null) return '—';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function fmtNum(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined ? '—' : x.toFixed(digits);
}

function errMsg(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 200);
}

function relDiff(ours: Float32Array, peer: Float32Array): number {
  if (ours.length !== peer.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i]! - peer[i]!);
    if (!(d <= diff)) diff = d; // NaN propagates as Infinity-like (d <= diff is false)
    scale = Math.max(scale, Math.abs(ours[i]!));
  }
  if (Number.isNaN(diff)) return Infinity;
  return scale > 0 ? diff / scale : diff;
}

/** Rejects if `p` has not settled after `seconds` (a lost device can leave a sync pending). */
function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

let batchTimeoutS = 180;

async function timeBatch(r: Runner, iters: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) r.step();
  await withTimeout(r.sync(), batchTimeoutS, `a batch of ${iters}`);
  return (performance.now() - t0) / iters;
}

interface Contender {
  lib: Library;
  runner: Runner | null;
  reason: string | null;
  output: Float32Array | null;
  iters: number;
  runs: number[];
  commands: CommandCounts | null;
}

async function benchCase(c: BenchCase, libs: Library[], o: Options): Promise<Contender[]> {
  const inputs = c.inputs();
  const contenders: Contender[] = libs.map((lib) => ({ lib, runner: null, reason: null, output: null, iters: 1, runs: [], commands: null }));
  for (const k of contenders) {
    try {
      k.runner = k.lib.prepare(c, inputs);
    } catch (err) {
      k.reason = err instanceof Unsupported ? `unsupported: ${err.message}` : `prepare failed: ${errMsg(err)}`;
    }
  }
  const active = () => contenders.filter((k) => k.runner !== null && k.reason === null);
  const fail = (k: Contender, what: string, err: unknown) => {
    k.reason = `${what} failed: ${errMsg(err)}`;
    try {
      k.runner?.dispose();
    } catch {
      // ignore
    }
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
  // The calibration run also counts the GPU commands of one execution (after the warm-up).
  for (const k of active()) {
    try {
      const before = commandCounts();
      const single = await timeBatch(k.runner!, 1);
      const after = commandCounts();
      k.commands = Object.fromEntries(Object.entries(after).map(([key, v]) => [key, v - before[key as keyof CommandCounts]])) as unknown as CommandCounts;
      k.iters = Math.max(1, Math.min(o.maxIters, Math.ceil(o.minBatchMs / Math.max(single, 1e-3))));
      log(`  ${k.lib.name}: ~${fmtMs(single)} ms per execution -> ${k.iters} per batch`);
      // A slow op (one execution per batch): the calibration run is already a valid timed
      // batch (after the warm-up, same code path), so it counts as the first run.
      if (k.iters === 1) k.runs.push(single);
      else await timeBatch(k.runner!, k.iters);
    } catch (err) {
      fail(k, 'calibration', err);
    }
  }
  for (let run = 0; run < o.runs; run++) {
    for (const k of active()) {
      if (k.runs.length >= o.runs) continue;
      try {
        k.runs.push(await timeBatch(k.runner!, k.iters));
      } catch (err) {
        fail(k, `run ${run + 1}`, err);
      }
    }
  }
  for (const k of contenders) {
    try {
      k.runner?.dispose();
    } catch {
      // ignore
    }
  }
  return contenders;
}

function paired(ours: number[], peer: number[]): number | null {
  const n = Math.min(ours.length, peer.length);
  if (n === 0) return null;
  return median(Array.from({ length: n }, (_, i) => peer[i]! / ours[i]!));
}

function rowsFor(c: BenchCase, ks: Contender[]): Row[] {
  const [ours, ...peers] = ks as [Contender, ...Contender[]];
  const oursMs = ours.reason === null && ours.runs.length > 0 ? median(ours.runs) : null;
  const gflops = (ms: number | null) => (c.flops !== undefined && ms !== null ? c.flops / (ms * 1e6) : null);
  return peers.map((p) => {
    const peerMs = p.reason === null && p.runs.length > 0 ? median(p.runs) : null;
    const rd = ours.output && p.output ? relDiff(ours.output, p.output) : null;
    const notes: string[] = [];
    if (ours.reason) notes.push(`webgrad ${ours.reason}`);
    if (p.reason) notes.push(`${p.lib.name} ${p.reason}`);
    if (rd !== null && !(rd <= AGREE_TOLERANCE)) notes.push(`outputs differ: rel. diff ${rd.toExponential(2)}`);
    const row: Row = {
      name: c.name,
      size: c.size,
      ours: oursMs,
      peer: peerMs,
      peerName: p.lib.name,
      unit: 'ms',
      ratio: oursMs !== null && peerMs !== null ? peerMs / oursMs : null,
      pairedRatio: paired(ours.runs, p.runs),
      oursRuns: ours.runs,
      peerRuns: p.runs,
      oursIters: ours.iters,
      peerIters: p.iters,
      relDiff: rd,
      oursCommands: ours.commands,
      peerCommands: p.commands,
    };
    if (c.flops !== undefined) {
      row.oursGflops = gflops(oursMs);
      row.peerGflops = gflops(peerMs);
    }
    if (notes.length > 0) row.note = notes.join('; ');
    return row;
  });
}

const COLUMNS: [string, number, 'l' | 'r'][] = [
  ['case', 14, 'l'],
  ['size', 28, 'l'],
  ['ours ms', 9, 'r'],
  ['peer', 14, 'l'],
  ['peer ms', 9, 'r'],
  ['ratio', 7, 'r'],
  ['GFLOP/s ours/peer', 18, 'r'],
  ['note', 0, 'l'],
];

function tableLine(cells: string[]): string {
  return cells
    .map((s, i) => {
      const [, w, align] = COLUMNS[i]!;
      if (w === 0) return s;
      return align === 'l' ? s.padEnd(w) : s.padStart(w);
    })
    .join('  ')
    .trimEnd();
}

function printRow(r: Row): void {
  const g = r.oursGflops !== undefined ? `${fmtNum(r.oursGflops)} / ${fmtNum(r.peerGflops)}` : '';
  console.log(tableLine([r.name, r.size, fmtMs(r.ours), r.peerName, fmtMs(r.peer), r.ratio === null ? '—' : r.ratio.toFixed(2), g, r.note ?? '']));
}

/** GPU commands per execution of each library, for the cases where they were counted. */
function printCommands(rows: Row[]): void {
  const fmt = (c: CommandCounts | null | undefined) =>
    c ? `${c.dispatches} dispatches, ${c.copies} copies, ${c.passes} passes, ${c.submits} submits, ${c.writes} writes` : '—';
  console.log('GPU commands per execution (counted at the WebGPU API during one calibration run):');
  const seen = new Set<string>();
  for (const r of rows) {
    const label = `${r.name} ${r.size}`;
    if (!seen.has(label) && r.oursCommands) console.log(`  ${label.padEnd(42)} webgrad: ${fmt(r.oursCommands)}`);
    seen.add(label);
    if (r.peerCommands) console.log(`  ${''.padEnd(42)} ${r.peerName}: ${fmt(r.peerCommands)}`);
  }
  console.log('');
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv);
  if (o.tune) return runTune();
  const cases = selectCases(o.filter);
  if (o.list) {
    for (const c of CASES) console.log(caseLabel(c));
    return 0;
  }
  if (cases.length === 0) {
    console.error(`no case matches --filter ${o.filter}; cases: ${[...new Set(CASES.map((c) => c.name))].join(', ')}`);
    return 2;
  }
  const peerNames = o.peers === 'none' ? [] : o.peers.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const p of peerNames) {
    if (!(p in PEERS)) {
      console.error(`unknown peer '${p}' (known: ${Object.keys(PEERS).join(', ')})`);
      return 2;
    }
  }

  batchTimeoutS = o.timeoutS;
  const started = new Date();
  await installNavigatorGpu();

  const ours = new Webgrad();
  initialising(ours.name);
  try {
    await ours.init();
  } catch (err) {
    console.error(`webgrad: createEngine({ backend: 'webgpu' }) failed: ${errMsg(err)}`);
    return 1;
  }
  const libs: Library[] = [ours];
  const failedPeers: { name: string; reason: string }[] = [];
  for (const p of peerNames) {
    const lib = PEERS[p]!();
    initialising(lib.name);
    try {
      await lib.init();
      libs.push(lib);
    } catch (err) {
      failedPeers.push({ name: lib.name, reason: errMsg(err) });
    }
  }
  initialising('unknown');

  // ---- header ----------------------------------------------------------------------------
  console.log(`webgrad benchmarks, ${started.toISOString()}`);
  console.log(`node ${process.version} on ${os.platform()} ${os.arch()}, ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown CPU'})`);
  const load = os.loadavg()[0]!;
  console.log(`load average ${load.toFixed(2)}${load > 0.5 ? ' (other processes are using the CPU: on a software adapter the times are noisy; compare ratios)' : ''}`);
  console.log(`webgrad adapter: ${ours.adapter}`);
  for (const lib of libs.slice(1)) {
    const a = recordedAdapters().filter((r) => r.owner === lib.name);
    const note = lib instanceof TfjsWebgpu ? `; loaded as ${lib.loadNote}` : '';
    console.log(`${lib.name} (${lib.version}) adapter: ${a.length > 0 ? a.map(formatAdapterRecord).join(', ') : 'unknown'}${note}`);
  }
  for (const f of failedPeers) console.log(`${f.name}: NOT AVAILABLE: ${f.reason}`);
  console.log(`runs: ${o.runs} timed batches per case and library (median reported), batches of >= ${o.minBatchMs} ms; ratio = peer ms / ours ms (> 1: webgrad faster)`);
  console.log('');
  console.log(tableLine(COLUMNS.map(([h]) => h)));

  // ---- cases -----------------------------------------------------------------------------
  const rows: Row[] = [];
  for (const c of cases) {
    log(`${caseLabel(c)}`);
    let ks: Contender[];
    try {
      ks = await benchCase(c, libs, o);
    } catch (err) {
      // benchCase catches per-library errors; this is a last resort so the run continues.
      ks = libs.map((lib) => ({ lib, runner: null, reason: `failed: ${errMsg(err)}`, output: null, iters: 0, runs: [], commands: null }));
    }
    const caseRows = rowsFor(c, ks);
    if (caseRows.length === 0) {
      // No peer at all: still report our time.
      const [k] = ks;
      const ms = k && k.runs.length > 0 ? median(k.runs) : null;
      caseRows.push({ name: c.name, size: c.size, ours: ms, peer: null, peerName: 'none', unit: 'ms', ratio: null, oursRuns: k?.runs ?? [], peerRuns: [], oursIters: k?.iters ?? 0, peerIters: 0, pairedRatio: null, relDiff: null, note: k?.reason ?? undefined });
    }
    for (const f of failedPeers) {
      caseRows.push({ name: c.name, size: c.size, ours: caseRows[0]!.ours, peer: null, peerName: f.name, unit: 'ms', ratio: null, oursRuns: caseRows[0]!.oursRuns, peerRuns: [], oursIters: caseRows[0]!.oursIters, peerIters: 0, pairedRatio: null, relDiff: null, note: `${f.name} not available: ${f.reason}` });
    }
    caseRows.forEach(printRow);
    rows.push(...caseRows);
  }
  console.log('');
  printCommands(rows);
  console.log(`done in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);

  for (const lib of libs.reverse()) {
    try {
      lib.destroy();
    } catch {
      // exiting anyway
    }
  }
  // Let device-lost callbacks (which may log) run before the JSON line, which must be last.
  await new Promise((resolve) => setTimeout(resolve, 100));
  if (o.json) console.log(JSON.stringify(rows));
  return 0;
}

main().then(
  (code) => {
    // Dawn keeps the event loop alive; exit explicitly once stdout has drained.
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
