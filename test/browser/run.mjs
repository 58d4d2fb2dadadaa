// `npm run test:browser [-- name-filter...] [--screenshots DIR]`: runs the engine's vitest files
// in headless Chromium on WebGPU. Builds test/browser (vite, 'vitest' aliased to an in-page
// shim) into a temp dir, serves it with `vite preview` on localhost, and opens one fresh page
// per test file. With --screenshots, also writes DIR/app.png and DIR/bench.png: the training
// page and the benchmark page after a short run each (screenshots.mjs), counted as two more
// results. Prints every result and `browser: N passed, N failed`; exits 1 on any failure, when
// the page has no WebGPU, or on timeout. Env: CHROME_PATH, BROWSER_TEST_TIMEOUT_MS (whole run,
// default 15 min), BROWSER_TEST_TEST_TIMEOUT_MS (per test and hook, default 120 s as in Node).

import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { launchChromium, runWithCleanup, teardown } from './chromium.mjs';
import { Reporter } from './reporter.mjs';
import { takeScreenshots } from './screenshots.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..');
const configFile = join(here, 'vite.config.ts');
const RUN_TIMEOUT_MS = Number(process.env.BROWSER_TEST_TIMEOUT_MS ?? 15 * 60_000);
const TEST_TIMEOUT_MS = Number(process.env.BROWSER_TEST_TEST_TIMEOUT_MS ?? 120_000);
const args = process.argv.slice(2);
const shotsAt = args.indexOf('--screenshots');
const screenshotDir = shotsAt >= 0 ? args[shotsAt + 1] : null;
if (shotsAt >= 0 && !screenshotDir) {
  console.error('browser: --screenshots needs a directory');
  process.exit(2);
}
const filters = args.filter((_, i) => shotsAt < 0 || (i !== shotsAt && i !== shotsAt + 1));
const suites = JSON.parse(readFileSync(join(here, '..', 'profile-suites.json'), 'utf8'));

const started = Date.now();
const outDir = mkdtempSync(join(tmpdir(), 'webgrad-browser-build-'));
const userDataDir = mkdtempSync(join(tmpdir(), 'webgrad-browser-profile-'));
const reporter = new Reporter(outDir, repoRoot);
let server, browser;
let current = 'startup';

/** An expected way to fail (reported without a Node stack trace). */
const failure = (message) => Object.assign(new Error(message), { known: true });

/** The page's next report of one of `types` (see entry.ts), or a rejection on crash/hang. */
let waiter = null;
function next(types, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(failure(`the page sent nothing for ${ms / 1000} s`)), ms);
    waiter = { types, resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)), ms, timer };
  });
}
function onReport(ev) {
  if (ev.type === 'result') reporter.result(ev.result);
  if (ev.type === 'fatal') return waiter?.reject(failure(ev.reason));
  if (waiter?.types.includes(ev.type)) waiter.resolve(ev);
  else if (waiter) waiter.timer.refresh(); // progress: restart the silence watchdog
}

async function run() {
  console.log('browser: building the test page (vite)...');
  await build({ configFile, build: { outDir }, logLevel: 'warn' }).catch((e) => {
    const hint = 'A test file that needs Node (node:fs, ...) goes in the exclusion list in test/browser/entry.ts, or is named *.node.test.ts.';
    throw failure(`vite could not build the test page: ${e.message}\n${hint}`);
  });
  server = await preview({ configFile, build: { outDir }, preview: { host: 'localhost', port: 0, open: false }, logLevel: 'warn' });
  const url = server.resolvedUrls.local[0];
  browser = await launchChromium(userDataDir);
  const page = await browser.newPage();
  await page.exposeFunction('__webgradReport', onReport);
  page.on('console', (m) => {
    const text = m.args().length > 0 ? m.args().map((h) => formatValue(h.remoteObject())).join(' ') : m.text();
    if (m.type() !== 'debug') console.log(`    [page ${m.type()}] ${reporter.mapStack(text)}`);
  });
  page.on('pageerror', (e) => reporter.error(`uncaught exception in the page (during ${current})`, e.stack ?? e.message));
  page.on('error', (e) => waiter?.reject(failure(`the page crashed: ${e.message}`)));

  const ready = next(['ready'], 60_000);
  await page.goto(url, { waitUntil: 'load' });
  const { files, adapter } = await ready;
  console.log(`browser: ${await browser.version()}, WebGPU adapter: ${Object.entries(adapter).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ') || '(no info)'}`);
  const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
  if (selected.length === 0) throw failure(`no test files selected (bundle has: ${files.join(', ')})`);
  // The profile-dependent suites run once per kernel profile (test/profile-suites.json).
  const runs = selected.flatMap((file) => (suites.files.includes(file) ? suites.profiles.map((p) => [file, p]) : [[file, null]]));
  for (const [file, profile] of runs) {
    const label = profile ? `${file} [profile ${profile}]` : file;
    console.log(`\n${label}`);
    current = label;
    const done = next(['done'], TEST_TIMEOUT_MS + 60_000);
    const query = `file=${encodeURIComponent(file)}&testTimeout=${TEST_TIMEOUT_MS}${profile ? `&profile=${profile}` : ''}`;
    await page.goto(`${url}?${query}`, { waitUntil: 'load' });
    await done;
  }
  if (screenshotDir) {
    console.log(`\nscreenshots -> ${screenshotDir}`);
    current = 'screenshots';
    mkdirSync(screenshotDir, { recursive: true });
    await takeScreenshots(browser, screenshotDir, (name, ok, detail) =>
      ok ? reporter.result({ file: 'screenshots', name: `${name}: ${detail}`, status: 'pass', ms: 0 }) : reporter.error(name, detail),
    );
  }
}

/** A console.log argument as Node would roughly print it, from the CDP object preview. */
function formatValue(o) {
  if ('value' in o) return typeof o.value === 'string' ? o.value : JSON.stringify(o.value) ?? String(o.value);
  if (o.unserializableValue) return o.unserializableValue;
  const p = o.preview;
  if (!p) return o.description ?? o.type;
  const more = p.overflow ? ', …' : '';
  const value = (x) => (x.type === 'string' ? `'${x.value}'` : x.value);
  if (p.subtype === 'array' || p.subtype === 'typedarray') {
    const items = p.properties.filter((x) => /^\d+$/.test(x.name)).map(value);
    return `${p.description.replace(/\(\d+\)$/, '').replace(/^Array$/, '')}[${items.join(', ')}${more}]`;
  }
  if (p.subtype === 'error') return o.description;
  return `${p.description === 'Object' ? '' : `${p.description} `}{ ${p.properties.map((x) => `${x.name}: ${value(x)}`).join(', ')}${more} }`;
}

const cleanup = () => teardown(browser, server, [outDir, userDataDir]);
// A closed pipe (`| head`) also closes the browser and removes the temp dirs.
process.stdout.on('error', () => cleanup().finally(() => process.exit(1)));

const aborted = await runWithCleanup(run, cleanup, RUN_TIMEOUT_MS, failure);
if (aborted) reporter.error('browser test run aborted', aborted?.known ? aborted.message : (aborted?.stack ?? String(aborted)));
console.log(`\nbrowser: finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
reporter.summary();
process.exit(reporter.failed > 0 || reporter.passed === 0 ? 1 : 0);
