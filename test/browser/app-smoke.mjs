// `npm run test:app [-- --screenshot out.png]`: a smoke test of the browser training page
// (app/). Builds it with vite into a temp dir, serves it with `vite preview` on localhost,
// opens it in headless Chromium on WebGPU (chromium.mjs), trains one epoch on the first 1,000
// digits (the page's hidden ?limit= parameter) and checks the epoch line, the loss curve, the
// digit grid, that Stop ends a long run, and that the page raised no errors. Prints one line
// per check and, last, `app: N passed, N failed`; exits 1 on any failure. Env: CHROME_PATH,
// APP_TEST_TIMEOUT_MS (whole run, default 10 min).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { launchChromium, runWithCleanup, teardown } from './chromium.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const configFile = join(here, '..', '..', 'app', 'vite.config.ts');
const RUN_TIMEOUT_MS = Number(process.env.APP_TEST_TIMEOUT_MS ?? 10 * 60_000);
const LIMIT = 1000;
const MIN_ACCURACY = 0.6;
const screenshotAt = process.argv.includes('--screenshot') ? process.argv[process.argv.indexOf('--screenshot') + 1] : null;

const started = Date.now();
const outDir = mkdtempSync(join(tmpdir(), 'webgrad-app-build-'));
const userDataDir = mkdtempSync(join(tmpdir(), 'webgrad-app-profile-'));
let server, browser;
let passed = 0;
let failed = 0;
const pageErrors = [];

function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? '✓' : '✗'} ${name}${detail ? ` (${detail})` : ''}`);
  return ok;
}

/** Sets a form field the way a user would (the page reads values when Train is clicked). */
async function setField(page, name, value) {
  await page.$eval(`[name="${name}"]`, (el, v) => {
    el.value = v;
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, String(value));
}

/** Waits until the status line reaches a final state; returns it and its text. */
async function waitForEnd(page, timeout) {
  await page.waitForSelector('#status:is([data-state="done"], [data-state="stopped"], [data-state="error"])', { timeout });
  return page.$eval('#status', (el) => ({ state: el.dataset.state, text: el.textContent }));
}

async function run() {
  console.log('app: building the training page (vite)...');
  await build({ configFile, build: { outDir }, logLevel: 'warn' });
  server = await preview({ configFile, build: { outDir }, preview: { host: 'localhost', port: 0, open: false }, logLevel: 'warn' });
  const url = `${server.resolvedUrls.local[0]}?limit=${LIMIT}`;
  browser = await launchChromium(userDataDir);
  console.log(`app: ${await browser.version()}, ${url}`);
  const page = await browser.newPage();
  await page.setViewport({ width: 1150, height: 900 });
  page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
  });
  page.on('error', (e) => pageErrors.push(`the page crashed: ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });

  await page.waitForSelector('#adapter[data-state]', { timeout: 60_000 });
  const probe = await page.$eval('#adapter', (el) => ({ state: el.dataset.state, text: el.textContent }));
  check('the page finds a WebGPU adapter', probe.state === 'ok', probe.text);

  // One epoch on the first LIMIT digits, batch 32 (about 78% test accuracy).
  await page.select('[name="backend"]', 'webgpu');
  await setField(page, 'epochs', 1);
  await setField(page, 'batchSize', 32);
  await page.click('#train');
  const end = await waitForEnd(page, 5 * 60_000);
  check('one epoch trains to the end', end.state === 'done', end.text);
  const lines = await page.$$eval('#log li', (els) => els.map((el) => ({ text: el.textContent, accuracy: Number(el.dataset.testAccuracy) })));
  const accuracy = lines[0]?.accuracy ?? NaN;
  check(`one epoch line with test accuracy above ${MIN_ACCURACY}`, lines.length === 1 && accuracy > MIN_ACCURACY, lines[0]?.text ?? 'no epoch line');
  const adapter = await page.$eval('#adapter', (el) => el.textContent);
  check('the adapter in use is shown', /^Training on WebGPU: .+/.test(adapter), adapter);
  const points = await page.$$eval('#chart polyline', (els) => els.map((el) => el.getAttribute('points').trim().split(/\s+/).filter(Boolean).length));
  check('the loss curve is drawn', points.length === 2 && points[0] >= 2 && points[1] >= 1, `points per series: ${points.join(', ')}`);
  const digits = await page.$$eval('#digits figure', (els) => els.map((el) => el.dataset.predicted === el.dataset.label));
  const right = digits.filter(Boolean).length;
  check('the digit grid shows predictions', digits.length > 0 && right > digits.length / 2, `${right} of ${digits.length} right`);
  if (screenshotAt) {
    await page.screenshot({ path: screenshotAt, fullPage: true });
    console.log(`app: screenshot written to ${screenshotAt}`);
  }

  // Stop: a 100-epoch run, stopped once its first epoch line is there.
  await setField(page, 'epochs', 100);
  await page.click('#train');
  await page.waitForSelector('#log li', { timeout: 5 * 60_000 });
  await page.click('#stop');
  const stopped = await waitForEnd(page, 2 * 60_000);
  const epochs = await page.$$eval('#log li', (els) => els.length);
  check('Stop ends a long run early', stopped.state === 'stopped' && epochs < 100, `${stopped.text} ${epochs} epoch line(s)`);
  const trainEnabled = await page.$eval('#train', (el) => !el.disabled);
  check('Train is enabled again after Stop', trainEnabled);
}

const cleanup = () => teardown(browser, server, [outDir, userDataDir]);
const aborted = await runWithCleanup(run, cleanup, RUN_TIMEOUT_MS);
if (aborted) check('the smoke test ran to the end', false, aborted?.message ?? String(aborted));
check('no errors in the page', pageErrors.length === 0, pageErrors.join('\n    '));
console.log(`app: finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`app: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
