// npm run bench:browser -- [--json] [--filter NAME] [--screenshot FILE] [--runs N] [--peers tfjs,jax|none]
//                          [--min-batch-ms MS] [--max-iters N] [--no-check] [--no-roofs] [--no-kernels] [--gpu]
//
// The benchmark page (bench/page/) in headless Chromium: builds it with vite, serves it on
// localhost, opens it with the query string that reproduces these flags (?filter=…&run=1),
// forwards the page's log to stderr, waits for the run to end and prints the environment and a
// table; with --json the LAST line of stdout is the JSON array of rows, the same rows as
// `npm run bench -- --json` (name, size, ours, peer, peerName, unit, ratio, ...). --screenshot
// writes a PNG of the whole page. Chromium runs on SwiftShader unless --gpu (a machine with a
// real GPU). Exit codes: 0 done, 1 the run failed or timed out, 2 bad flags.
// Env: CHROME_PATH, BENCH_BROWSER_TIMEOUT_MS (whole run, default 60 min).

import { Command, InvalidArgumentError } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, runWithCleanup, teardown } from '../test/browser/chromium.mjs';
import { buildAndServe, waitForSelectorLong } from '../test/browser/serve.mjs';

const configFile = fileURLToPath(new URL('./page/vite.config.ts', import.meta.url));
const RUN_TIMEOUT_MS = Number(process.env.BENCH_BROWSER_TIMEOUT_MS ?? 60 * 60_000);

function positive(integer) {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`expected a positive ${integer ? 'integer' : 'number'}`);
    return n;
  };
}

const o = new Command()
  .name('npm run bench:browser --')
  .description('the benchmark page (webgrad vs TensorFlow.js WebGPU and jax-js WebGPU) in headless Chromium')
  .option('--json', 'print the rows as a JSON array on the last line', false)
  .option('--filter <names>', 'only cases whose "name size" contains one of these comma-separated words')
  .option('--screenshot <file>', 'write a PNG of the whole page when the run is done')
  .option('--runs <n>', 'timed batches per case and library', positive(true))
  .option('--peers <list>', 'tfjs,jax (default both), or none')
  .option('--min-batch-ms <ms>', 'a timed batch repeats the op until it takes this long', positive(false))
  .option('--max-iters <n>', 'at most this many executions per batch', positive(true))
  .option('--no-check', "skip the check against webgrad's CPU reference")
  .option('--no-roofs', 'skip the roofline microkernels')
  .option('--no-kernels', 'skip the per-kernel times of a training step')
  .option('--gpu', 'use the machine\'s GPU instead of SwiftShader', false)
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse(process.argv)
  .opts();

const query = new URLSearchParams({ run: '1' });
if (o.filter) query.set('filter', o.filter);
if (o.runs) query.set('runs', String(o.runs));
if (o.peers) query.set('peers', o.peers);
if (o.minBatchMs) query.set('minBatchMs', String(o.minBatchMs));
if (o.maxIters) query.set('maxIters', String(o.maxIters));
if (!o.check) query.set('check', '0');
if (!o.roofs) query.set('roofs', '0');
if (!o.kernels) query.set('kernels', '0');

const err = (line) => process.stderr.write(`${line}\n`);
const userDataDir = mkdtempSync(join(tmpdir(), 'webgrad-bench-profile-'));
let served = null;
let browser = null;
let result = null;
let failure = null;

async function run() {
  err('bench:browser: building the benchmark page (vite)...');
  served = await buildAndServe(configFile, 'bench');
  // Developer features: unquantized timestamp queries for the kernel table.
  browser = await launchChromium(userDataDir, { gpu: o.gpu, extraArgs: ['--enable-webgpu-developer-features'] });
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on('console', (m) => {
    if (m.type() === 'info' && m.text().startsWith('[bench] ')) err(m.text().slice(8));
    else if (m.type() === 'error') err(`[page error] ${m.text()}`);
  });
  page.on('pageerror', (e) => err(`[page exception] ${e.message}`));
  page.on('error', (e) => err(`[page crashed] ${e.message}`));
  browser.on('disconnected', () => err('[browser disconnected]'));
  const url = `${served.url}?${query}`;
  err(`bench:browser: ${await browser.version()}, ${url}`);
  await page.goto(url, { waitUntil: 'load' });
  await waitForSelectorLong(page, '#status:is([data-state="done"], [data-state="error"])', 0);
  const status = await page.$eval('#status', (el) => ({ state: el.dataset.state, text: el.textContent }));
  result = await page.evaluate(() => window.__benchResult ?? null);
  if (o.screenshot) {
    await page.screenshot({ path: o.screenshot, fullPage: true });
    err(`bench:browser: screenshot written to ${o.screenshot}`);
  }
  if (status.state !== 'done') failure = status.text;
}

const fmt = (x) => (x === null || x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const pct = (x) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`);

function print(r) {
  const a = r.adapter;
  console.log(`webgrad benchmarks in ${r.browser}, ${r.date} (${r.seconds.toFixed(0)} s)`);
  console.log(`webgrad ${r.webgrad}; kernel profile: ${r.kernelProfile}`);
  console.log(`adapter: ${a ? [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') : 'none'}; features: ${a?.features.join(', ') || 'none'}`);
  for (const p of r.peers) console.log(`${p.name}: ${p.version}${p.note ? ` (${p.note})` : ''}`);
  if (r.roofs) console.log(`roofs: ${r.roofs.gflops.toFixed(2)} GFLOP/s f32 multiply-add, ${r.roofs.gbps.toFixed(2)} GB/s copy, ${r.roofs.readGbps.toFixed(2)} GB/s read (copy ${r.roofs.memoryGbps.toFixed(2)} GB/s beyond the caches; ${r.roofs.detail})`);
  console.log('');
  const cols = [['case', 14], ['size', 28], ['ours ms', 9], ['peer', 14], ['peer ms', 9], ['ratio', 7], ['roof ours/peer', 15], ['vs CPU ours/peer', 18], ['note', 0]];
  const line = (cells) => cells.map((c, i) => (cols[i][1] === 0 ? c : i < 2 || i === 3 ? c.padEnd(cols[i][1]) : c.padStart(cols[i][1]))).join('  ').trimEnd();
  console.log(line(cols.map(([h]) => h)));
  const e = (x) => (x === null || x === undefined ? '—' : x === 0 ? '0' : x.toExponential(0));
  for (const row of r.rows) {
    console.log(line([row.name, row.size, fmt(row.ours), row.peerName, fmt(row.peer), row.ratio === null ? '—' : row.ratio.toFixed(2),
      row.oursRoof === undefined ? '' : `${pct(row.oursRoof)} / ${pct(row.peerRoof)}`, row.oursVsCpu === undefined ? '' : `${e(row.oursVsCpu)} / ${e(row.peerVsCpu)}`, row.note ?? '']));
  }
  if (r.kernelTimes) {
    const k = r.kernelTimes;
    console.log(`\none training step (${k.dispatches} dispatches, ${k.timing}, ${k.repeats} replays each): kernels sum to ${fmt(k.totalMs)} ms of a ${fmt(k.stepMs)} ms step`);
    for (const t of k.kernels) console.log(`  ${fmt(t.ms).padStart(8)} ms  ×${String(t.calls).padEnd(3)} ${t.kernel}`);
  }
}

const cleanup = () => teardown(browser, served?.server, [userDataDir, ...(served ? [served.outDir] : [])]);
const aborted = await runWithCleanup(run, cleanup, RUN_TIMEOUT_MS);
if (aborted) failure = [aborted.message ?? String(aborted), aborted.cause?.message].filter(Boolean).join(': ');
if (result) print(result);
if (failure) err(`bench:browser: FAILED: ${failure}`);
if (o.json && result) console.log(JSON.stringify(result.rows));
process.exit(failure || !result ? 1 : 0);
