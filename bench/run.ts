// npm run bench -- [--json] [--filter NAME] [--runs N] [--peers tfjs,jax] [--min-batch-ms MS]
// npm run tune (= bench --tune): see bench/tune.ts
//
// Times webgrad against its peers (TensorFlow.js WebGPU, jax-js WebGPU) in ONE process on
// ONE WebGPU instance (bench/gpu-env.ts), case by case (bench/cases/index.ts), with the timing
// harness the benchmark page uses too (bench/harness.ts: warm-up, calibration, interleaved
// timed batches, medians, the check against webgrad's CPU reference, leaks). The roofs (peak
// FMA rate, copy bandwidth; bench/roofline.ts) are measured first on webgrad's device.
// With --json the last line printed is a JSON array of rows
// { name, size, ours, peer, peerName, unit, ratio, ... } (bench/harness.ts `Row`).

import { Command, InvalidArgumentError } from 'commander';
import os from 'node:os';
import { CASES, caseLabel, selectCases } from './cases/index';
import { commandCounts, formatAdapterRecord, initialising, installNavigatorGpu, recordedAdapters, type CommandCounts } from './gpu-env';
import { DEFAULT_OPTIONS, benchCase, errMsg, fmtMs, rowsFor, type CaseResult, type HarnessOptions, type Row } from './harness';
import { peerVersions } from './peers/installed';
import { JaxWebgpu } from './peers/jax';
import { TfjsWebgpu } from './peers/tfjs';
import { nodeTfjs } from './peers/tfjs-node';
import type { Library } from './peers/types';
import { Webgrad } from './peers/webgrad';
import { measureRoofs, type Roofs } from './roofline';
import { runTune } from './tune';

interface Options extends HarnessOptions {
  json: boolean;
  filter?: string;
  peers: string;
  check: boolean;
  roofs: boolean;
  list: boolean;
  tune: boolean;
}

const PEERS: Record<string, () => Library> = {
  tfjs: () => nodeTfjs(),
  jax: () => new JaxWebgpu(peerVersions().jax),
};

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
    .option('--runs <n>', 'timed runs per case and library (the median is reported)', positiveInt, DEFAULT_OPTIONS.runs)
    .option('--peers <list>', `comma-separated peers to compare with (${Object.keys(PEERS).join(', ')}), or "none"`, Object.keys(PEERS).join(','))
    .option('--min-batch-ms <ms>', 'a timed batch repeats the op until it takes at least this long', positiveNumber, DEFAULT_OPTIONS.minBatchMs)
    .option('--max-iters <n>', 'at most this many executions per batch', positiveInt, DEFAULT_OPTIONS.maxIters)
    .option('--timeout-s <s>', 'give up on a library for a case after a warm-up or batch takes this long', positiveNumber, DEFAULT_OPTIONS.timeoutS)
    .option('--no-check', "skip the check of every output against webgrad's CPU reference backend")
    .option('--no-roofs', 'skip the roofline microkernels (peak FMA rate, copy bandwidth)')
    .option('--list', 'list the cases and exit', false)
    .option('--tune', "time webgrad's matmul variants for the training job's shapes, store the winners, print the table (npm run tune)", false)
    .showHelpAfterError()
    .parse(argv);
  const o = program.opts<Options>();
  return o;
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);

function fmtNum(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined ? '—' : x.toFixed(digits);
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`);

const COLUMNS: [string, number, 'l' | 'r'][] = [
  ['case', 14, 'l'],
  ['size', 28, 'l'],
  ['ours ms', 9, 'r'],
  ['peer', 14, 'l'],
  ['peer ms', 9, 'r'],
  ['ratio', 7, 'r'],
  ['GFLOP/s ours/peer', 18, 'r'],
  ['roof ours/peer', 15, 'r'],
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
  const roof = r.oursRoof !== undefined ? `${pct(r.oursRoof)} / ${pct(r.peerRoof)}` : '';
  console.log(tableLine([r.name, r.size, fmtMs(r.ours), r.peerName, fmtMs(r.peer), r.ratio === null ? '—' : r.ratio.toFixed(2), g, roof, r.note ?? '']));
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
  const cases = selectCases({ filter: o.filter });
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
  let reference: Library | null = null;
  if (o.check) {
    reference = new Webgrad({ backend: 'cpu' });
    await reference.init();
  }
  let roofs: Roofs | null = null;
  let roofNote = '';
  if (o.roofs) {
    log('roofline microkernels (peak FMA rate, copy bandwidth)');
    roofs = await measureRoofs(ours.engine!.device!).catch((err: unknown) => {
      roofNote = `roofline microkernels failed: ${errMsg(err)}`;
      return null;
    });
  }

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
  if (roofs) console.log(`roofs: ${roofs.gflops.toFixed(2)} GFLOP/s peak f32 FMA, ${roofs.gbps.toFixed(2)} GB/s copy, ${roofs.readGbps.toFixed(2)} GB/s read (copy ${roofs.memoryGbps.toFixed(2)} GB/s beyond the caches; ${roofs.detail}); roof % = roofline bound / median`);
  else if (roofNote) console.log(roofNote);
  if (reference) console.log(`check: every output against webgrad's CPU reference backend (max |x - cpu| / max |cpu| <= 1e-3, else a note)`);
  console.log(`runs: ${o.runs} timed batches per case and library (median reported), batches of >= ${o.minBatchMs} ms; ratio = peer ms / ours ms (> 1: webgrad faster)`);
  console.log('');
  console.log(tableLine(COLUMNS.map(([h]) => h)));

  // ---- cases -----------------------------------------------------------------------------
  const rows: Row[] = [];
  for (const c of cases) {
    log(`${caseLabel(c)}`);
    let result: CaseResult;
    try {
      result = await benchCase(c, libs, { ...o, commandCounts }, log, reference);
    } catch (err) {
      // benchCase catches per-library errors; this is a last resort so the run continues.
      result = { contenders: libs.map((lib) => ({ lib, runner: null, reason: `failed: ${errMsg(err)}`, output: null, iters: 0, runs: [], leak: null, commands: null })), reference: null };
    }
    const caseRows = rowsFor(c, result, roofs, failedPeers);
    caseRows.forEach(printRow);
    rows.push(...caseRows);
  }
  console.log('');
  printCommands(rows);
  console.log(`done in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);

  for (const lib of [...libs.reverse(), ...(reference ? [reference] : [])]) {
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
