// The benchmark page (`npm run bench:page`, or `npm run bench:browser` in headless Chromium):
// the cases of `npm run bench` (bench/cases/index.ts), timed by the same harness
// (bench/harness.ts) in this browser against TensorFlow.js WebGPU and jax-js WebGPU on the same
// adapter, each output checked against webgrad's CPU reference, with the adapter's roofs
// (bench/roofline.ts), the live objects each case leaves, and the per-kernel GPU times of one
// training step (bench/kernel-times.ts). The query string reproduces a configuration
// (config.ts); the results download as JSON and stay in `window.__benchResult` for scripts.

import { CASES, caseLabel, selectCases, type BenchCase } from '../cases/index';
import { benchCase, errMsg, median, rowsFor, type CaseResult, type Row } from '../harness';
import { DispatchRecorder, profileStep, type StepProfile } from '../kernel-times';
import type { Library } from '../peers/types';
import { Webgrad } from '../peers/webgrad';
import { measureRoofs, type Roofs } from '../roofline';
import { BenchCharts } from './charts';
import { configFromQuery, queryFromConfig, type PageConfig } from './config';
import { browserVersion, summarizeAdapter, webgradVersion, type AdapterSummary } from './env';
import { browserPeer } from './peers';
import { byId, logLine, readConfig, renderConfig, setStatus, showEnv, showKernelTable, showResults, showRoofs, type EnvInfo } from './view';

/** Everything a run found: what the JSON download holds. */
export interface BenchResult {
  date: string;
  seconds: number;
  url: string;
  config: PageConfig;
  browser: string;
  webgrad: string;
  adapter: AdapterSummary | null;
  /** The engine's kernel profile and variants where the engine reports them ('n/a' before). */
  kernelProfile: string;
  engineKernels: unknown;
  peers: { name: string; version: string; note?: string }[];
  roofs: Roofs | null;
  kernelTimes: (StepProfile & { stepMs: number }) | null;
  /** The same rows as `npm run bench -- --json`. */
  rows: Row[];
}

declare global {
  interface Window {
    __benchResult?: BenchResult;
  }
}

let config: PageConfig;
let env: EnvInfo;
let last: BenchResult | null = null;
const charts = new BenchCharts({
  time: byId<HTMLCanvasElement>('chart-time'),
  ratio: byId<HTMLCanvasElement>('chart-ratio'),
  roof: byId<HTMLCanvasElement>('chart-roof'),
  kernels: byId<HTMLCanvasElement>('chart-kernels'),
});

async function probe(): Promise<GPUAdapter | null> {
  let problem: string | null = null;
  let adapter: GPUAdapter | null = null;
  if (!isSecureContext) problem = 'WebGPU needs a secure page (https:// or http://localhost).';
  else if (!navigator.gpu) problem = 'This browser has no WebGPU (Chrome and Edge 113+ have it; Firefox and Safari may need it enabled).';
  else {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (!adapter) problem = 'WebGPU is present but no adapter is usable (chrome://gpu shows why).';
  }
  env = {
    adapter: adapter ? summarizeAdapter(adapter) : null,
    problem,
    browser: await browserVersion(),
    webgrad: webgradVersion,
    kernelProfile: 'known once a run has started the engine',
  };
  showEnv(env);
  return adapter;
}

/** The engine's kernel profile, where this build of the engine has one (the real-GPU kernels
 *  issue adds `e.kernelProfile` and `e.stats().kernels`). */
function kernelProfileOf(lib: Webgrad): { profile: string; kernels: unknown } {
  const e = lib.engine as unknown as { kernelProfile?: unknown; stats(): { kernels?: unknown } };
  const p = e.kernelProfile;
  return {
    profile: p === undefined ? 'n/a (this engine has no kernel profiles yet)' : typeof p === 'string' ? p : JSON.stringify(p),
    kernels: e.stats().kernels ?? null,
  };
}

async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  // timestamp-query lets the kernel table use GPU timestamps; subgroups, webgrad's subgroup
  // variants (without it the row kernels fall back to workgroup trees and their barriers);
  // the buffer limits are the adapter's. All as webgrad asks when it acquires a device itself.
  const requiredFeatures = (['timestamp-query', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  return adapter.requestDevice({
    requiredFeatures,
    requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
  });
}

/** Times one training step's kernels on an engine of its own (its device is a recording proxy). */
async function kernelTimes(device: GPUDevice, c: BenchCase): Promise<StepProfile & { stepMs: number }> {
  const recorder = new DispatchRecorder(device);
  const lib = new Webgrad({ device: recorder.device, version: webgradVersion });
  await lib.init();
  const runner = lib.prepare(c, c.inputs());
  try {
    await runner.once();
    await runner.sync();
    const steps: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      runner.step();
      await runner.sync();
      steps.push(performance.now() - t0);
    }
    const stepMs = median(steps);
    const profile = await profileStep(recorder, async () => {
      runner.step();
      await runner.sync();
    }, stepMs);
    return { ...profile, stepMs };
  } finally {
    runner.dispose();
    lib.destroy();
  }
}

async function run(c: PageConfig): Promise<void> {
  const started = performance.now();
  const cases = selectCases({ filter: c.filter, names: c.cases, sizes: c.sizes });
  if (cases.length === 0) throw new Error(`no case matches (cases: ${[...new Set(CASES.map((k) => k.name))].join(', ')})`);
  byId<HTMLButtonElement>('run').disabled = true;
  byId<HTMLButtonElement>('download').disabled = true;
  byId('log').textContent = '';
  setStatus(`Running ${cases.length} case${cases.length === 1 ? '' : 's'}…`, 'running');
  const adapter = await probe();
  if (!adapter) throw new Error(env.problem ?? 'no WebGPU adapter');
  const device = await requestDevice(adapter);
  const ours = new Webgrad({ device, version: webgradVersion });
  const libs: Library[] = [ours];
  const failedPeers: { name: string; reason: string }[] = [];
  let reference: Library | null = null;
  const result: BenchResult = {
    date: new Date().toISOString(),
    seconds: 0,
    url: location.href,
    config: c,
    browser: env.browser,
    webgrad: webgradVersion,
    adapter: env.adapter,
    kernelProfile: 'n/a',
    engineKernels: null,
    peers: [],
    roofs: null,
    kernelTimes: null,
    rows: [],
  };
  try {
    await ours.init();
    const kp = kernelProfileOf(ours);
    result.kernelProfile = env.kernelProfile = kp.profile;
    showEnv(env);
    if (c.roofs) {
      logLine('roofline microkernels: peak FMA rate, copy bandwidth');
      result.roofs = await measureRoofs(device).catch((err: unknown) => {
        logLine(`roofline microkernels failed: ${errMsg(err)}`);
        return null;
      });
    }
    showRoofs(result.roofs, c.roofs ? 'The roofline microkernels failed (see the log).' : 'Roofs not measured (roofs=0).');
    for (const id of c.peers) {
      const lib = browserPeer(id);
      logLine(`${lib.name}: initialising (${lib.version})`);
      try {
        await lib.init();
        libs.push(lib);
        result.peers.push({ name: lib.name, version: lib.version, note: (lib as { loadNote?: string }).loadNote });
      } catch (err) {
        failedPeers.push({ name: lib.name, reason: errMsg(err) });
        result.peers.push({ name: lib.name, version: lib.version, note: `not available: ${errMsg(err)}` });
        logLine(`${lib.name}: NOT AVAILABLE: ${errMsg(err)}`);
      }
    }
    if (c.check) {
      reference = new Webgrad({ backend: 'cpu', version: webgradVersion });
      await reference.init();
    }
    for (const k of cases) {
      logLine(caseLabel(k));
      setStatus(`Running ${caseLabel(k)} (${cases.indexOf(k) + 1} of ${cases.length})…`, 'running');
      let r: CaseResult;
      try {
        r = await benchCase(k, libs, c, logLine, reference);
      } catch (err) {
        r = { contenders: libs.map((lib) => ({ lib, runner: null, reason: `failed: ${errMsg(err)}`, output: null, iters: 0, runs: [], leak: null, commands: null })), reference: null };
      }
      result.rows.push(...rowsFor(k, r, result.roofs, failedPeers));
      showResults(result.rows);
      charts.update(result.rows);
    }
    result.engineKernels = kernelProfileOf(ours).kernels;
    const step = CASES.find((k) => k.spec.op === 'mlpTrainStep');
    if (c.kernels && step) {
      setStatus('Timing the kernels of one training step…', 'running');
      logLine(`kernel times: ${caseLabel(step)}`);
      result.kernelTimes = await kernelTimes(device, step).catch((err: unknown) => {
        logLine(`kernel times failed: ${errMsg(err)}`);
        return null;
      });
    }
    if (result.kernelTimes) charts.showKernels(result.kernelTimes);
    showKernelTable(result.kernelTimes, result.kernelTimes?.stepMs ?? null, c.kernels ? 'Kernel timing failed (see the log).' : 'Not measured (kernels=0).');
  } finally {
    for (const lib of [...libs.reverse(), ...(reference ? [reference] : [])]) {
      try {
        lib.destroy();
      } catch {
        // done anyway
      }
    }
    device.destroy();
    result.seconds = (performance.now() - started) / 1000;
    last = result;
    window.__benchResult = result;
    byId<HTMLButtonElement>('run').disabled = false;
    byId<HTMLButtonElement>('download').disabled = false;
  }
  const peerRows = result.rows.filter((r) => r.ratio !== null).length;
  setStatus(`Done in ${result.seconds.toFixed(0)} s: ${cases.length} cases, ${peerRows} comparisons with a ratio.`, 'done');
}

function download(): void {
  if (!last) return;
  const blob = new Blob([JSON.stringify(last, null, 2)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  const adapter = (last.adapter?.vendor || 'webgpu').replace(/[^a-z0-9]+/gi, '-');
  a.download = `webgrad-bench-${adapter}-${last.date.slice(0, 10)}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Keeps the address bar (and the share link) in step with the form. */
function syncUrl(): void {
  try {
    config = readConfig(config);
  } catch {
    return; // the field shows its error; the URL keeps the last valid configuration
  }
  const url = `${location.origin}${location.pathname}${queryFromConfig({ ...config, autorun: false })}`;
  history.replaceState(null, '', url);
  const share = byId<HTMLAnchorElement>('share');
  share.href = `${url}${url.includes('?') ? '&' : '?'}run=1`;
  share.textContent = share.href;
}

function start(): void {
  try {
    config = readConfig(config);
  } catch (err) {
    setStatus(errMsg(err), 'error');
    return;
  }
  syncUrl();
  run(config).catch((err: unknown) => {
    console.error(err);
    logLine(`failed: ${errMsg(err)}`);
    setStatus(`The run failed: ${errMsg(err)}`, 'error');
  });
}

try {
  config = configFromQuery(location.search);
} catch (err) {
  config = configFromQuery('');
  setStatus(`Ignored the query string: ${errMsg(err)}`, 'error');
}
renderConfig(config);
syncUrl();
byId('config').addEventListener('change', syncUrl);
byId('config').addEventListener('submit', (ev) => {
  ev.preventDefault();
  start();
});
byId('download').addEventListener('click', download);
void probe().then((adapter) => {
  if (byId('status').dataset.state !== 'error') setStatus(adapter ? 'Ready.' : `No WebGPU here: ${env.problem}`, adapter ? 'idle' : 'error');
  if (config.autorun && adapter) start();
});
