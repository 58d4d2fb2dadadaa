// `npm run test:app [-- --screenshot out.png]`: a smoke test of the browser training page
// (app/) in headless Chromium on WebGPU, driven as a person would (app-driver.mjs), on the first
// 1,000 digits (the page's hidden ?limit= parameter). Checks: a drawn "1" gets ten
// probabilities from the untrained model and is read as a 1 after an epoch; the epoch line, the
// three curves and the digit grid have real numbers; Pause holds the step count and Resume goes
// on; Stop; downloaded weights have the CLI's names and load back to the same probabilities; a
// diverging learning rate stops at a NaN naming the step and keeps the last good weights; bad
// fields are marked and start nothing; a lost device is reported and training restarts from
// the last good weights; without navigator.gpu the page offers the CPU backend; Fashion-MNIST
// is offered where the server has it; no errors in the page. Prints one line per check and,
// last, `app: N passed, N failed`; exits 1 on any failure. Env: CHROME_PATH, APP_TEST_TIMEOUT_MS
// (whole run, default 10 min).

import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, runWithCleanup, teardown } from './chromium.mjs';
import { buildAndServe } from './serve.mjs';
import * as app from './app-driver.mjs';

const configFile = fileURLToPath(new URL('../../app/vite.config.ts', import.meta.url));
const RUN_TIMEOUT_MS = Number(process.env.APP_TEST_TIMEOUT_MS ?? 10 * 60_000);
const LIMIT = 1000;
const MIN_ACCURACY = 0.6;
const screenshotAt = process.argv.includes('--screenshot') ? process.argv[process.argv.indexOf('--screenshot') + 1] : null;

const started = Date.now();
const userDataDir = mkdtempSync(join(tmpdir(), 'webgrad-app-profile-'));
const downloads = mkdtempSync(join(tmpdir(), 'webgrad-app-downloads-'));
let served, browser;
let passed = 0;
let failed = 0;
const pageErrors = [];

function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? '✓' : '✗'} ${name}${detail ? ` (${detail})` : ''}`);
  return ok;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stepOf = (page) => page.$eval('#progress', (el) => Number(el.dataset.step ?? 0));
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const maxDiff = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

async function newPage(withoutGpu = false) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
  });
  page.on('error', (e) => pageErrors.push(`the page crashed: ${e.message}`));
  if (withoutGpu) await page.evaluateOnNewDocument(() => delete Object.getPrototypeOf(navigator).gpu);
  await page.goto(`${served.url}?limit=${LIMIT}`, { waitUntil: 'load' });
  return page;
}

/** The safetensors header of a file: tensor names and shapes (as the reference parser reads it). */
function safetensorsHeader(path) {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
}

async function run() {
  console.log('app: building the training page (vite)...');
  served = await buildAndServe(configFile, 'app');
  browser = await launchChromium(userDataDir);
  console.log(`app: ${await browser.version()}, ${served.url}`);
  const page = await newPage();
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });

  const notice = await app.backendNotice(page);
  check('the page finds a WebGPU adapter', notice.state === 'ok' && /WebGPU/.test(notice.text), notice.text);
  const fashion = await page.waitForFunction(() => document.getElementById('datasets').dataset.fashion).then((h) => h.jsonValue());
  const fashionHere = existsSync('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
  check('Fashion-MNIST is offered exactly when the server has it', fashion === (fashionHere ? 'available' : 'missing'), fashion);

  // Draw a "1": the untrained model answers with ten probabilities.
  let seen = await app.updates(page);
  await app.draw(page, app.ONE);
  const untrained = await app.probabilities(page, seen);
  check('drawing a digit shows ten probabilities that sum to 1', untrained.values.length === 10 && Math.abs(sum(untrained.values) - 1) < 1e-3, untrained.raw);

  // One epoch (batch 32): curves, epoch line, grid, and the drawn 1 read as a 1.
  seen = await app.updates(page);
  const end = await app.train(page, { epochs: 1, batchSize: 32 });
  check('one epoch trains to the end', end.state === 'done', end.text);
  const lines = await page.$$eval('#log li:not(.note)', (els) => els.map((el) => ({ text: el.textContent, accuracy: Number(el.dataset.testAccuracy) })));
  check(`one epoch line with test accuracy above ${MIN_ACCURACY}`, lines.length === 1 && lines[0].accuracy > MIN_ACCURACY, lines[0]?.text ?? 'no epoch line');
  const counts = await page.evaluate(() => window.__webgradApp.chartCounts());
  check('the curves have points: train loss, test loss, accuracy, a gradient norm per layer',
    counts.trainLoss >= 3 && counts.testLoss === 1 && counts.accuracy === 1 && counts.norms.length === 2 && counts.norms.every((n) => n >= 3), JSON.stringify(counts));
  const speed = await page.$eval('#speed', (el) => Number(el.dataset.value));
  check('samples/s is shown', speed > 0, `${speed.toFixed(0)} samples/s`);
  const digits = await page.$$eval('#digits figure', (els) => els.map((el) => el.dataset.predicted === el.dataset.label));
  check('the digit grid shows predictions', digits.length === 24 && digits.filter(Boolean).length > 12, `${digits.filter(Boolean).length} of ${digits.length} right`);
  const trained = await app.probabilities(page, seen);
  check('after an epoch the drawn 1 is read as a 1', trained.predicted === 1 && Math.abs(sum(trained.values) - 1) < 1e-3, trained.raw);
  if (screenshotAt) {
    await page.screenshot({ path: screenshotAt, fullPage: true });
    console.log(`app: screenshot written to ${screenshotAt}`);
  }

  // Pause holds the step count; Resume goes on; Stop ends the run.
  await app.setField(page, 'epochs', 20);
  await page.$eval('#status', (el) => (el.dataset.state = 'idle'));
  await page.$eval('#progress', (el) => (el.dataset.step = '0')); // the step count is global: wait for this run's
  await page.click('#start');
  await page.waitForFunction(() => Number(document.getElementById('progress').dataset.step) >= 40, { timeout: 120_000 });
  await page.click('#pause');
  await app.waitForStatus(page, ['paused'], 10_000);
  await sleep(500); // the step being recorded when Pause was clicked
  const atPause = await stepOf(page);
  await sleep(1500);
  const stillPaused = await stepOf(page);
  check('Pause holds training: no step in 1.5 s', stillPaused === atPause, `step ${atPause} -> ${stillPaused}`);
  await page.click('#pause');
  await page.waitForFunction((s) => Number(document.getElementById('progress').dataset.step) > s + 5, { timeout: 60_000 }, atPause);
  check('Resume goes on from the same step', (await stepOf(page)) > atPause, `step ${await stepOf(page)}`);
  seen = await app.updates(page);
  await page.click('#stop');
  const stopped = await app.waitForStatus(page, ['stopped', 'done', 'error'], 120_000);
  check('Stop ends a long run early', stopped.state === 'stopped', stopped.text);

  // Weights: download, Reset (the model changes), load back (the same probabilities).
  const before = await app.probabilities(page, seen); // re-read after the run ended
  await page.click('#download');
  let file = null;
  for (let i = 0; i < 100 && !file; i++) {
    file = readdirSync(downloads).find((f) => f.endsWith('.safetensors'));
    if (!file) await sleep(100);
  }
  const header = file ? safetensorsHeader(join(downloads, file)) : {};
  const shapes = Object.fromEntries(Object.entries(header).filter(([k]) => k !== '__metadata__').map(([k, v]) => [k, v.shape.join('x')]));
  check('Download writes safetensors with the CLI\'s names and shapes',
    JSON.stringify(shapes) === JSON.stringify({ '0.bias': '128', '0.weight': '128x784', '2.bias': '10', '2.weight': '10x128' }) && header.__metadata__?.architecture === '784-128-10 relu',
    `${file}: ${JSON.stringify(shapes)} ${JSON.stringify(header.__metadata__)}`);
  await page.click('#reset');
  const fresh = await app.probabilities(page, before.updates);
  await (await page.$('#weights-file')).uploadFile(join(downloads, file));
  await page.waitForFunction(() => document.getElementById('weights-status').dataset.loaded, { timeout: 30_000 });
  const loaded = await app.probabilities(page, fresh.updates);
  check('Load brings the weights back: the same probabilities as before Reset', maxDiff(loaded.values, before.values) < 1e-5, `max diff ${maxDiff(loaded.values, before.values).toExponential(1)}; after Reset ${fresh.raw}`);

  // A diverging learning rate: the run stops at the NaN, names the step, keeps the weights.
  seen = await app.updates(page);
  const diverged = await app.train(page, { epochs: 1, optimizer: 'sgd', lr: 1e8 });
  const step = /at step (\d+)/.exec(diverged.text)?.[1];
  check('a NaN loss stops training and names the step', diverged.state === 'diverged' && step !== undefined, diverged.text);
  const kept = await app.probabilities(page, seen);
  check('the last good weights are kept (the loaded ones: the same probabilities)', kept.values.every(Number.isFinite) && maxDiff(kept.values, before.values) < 1e-5, kept.raw);

  // Bad fields: messages next to the fields, nothing starts.
  const linesBefore = await page.$$eval('#log li', (els) => els.length);
  await app.setField(page, 'optimizer', 'adam');
  const bad = await app.train(page, { epochs: 1, batchSize: 0, lr: 'abc', hidden: '128, -4' });
  const errors = await page.$$eval('small.error', (els) => Object.fromEntries(els.map((el) => [el.closest('label').querySelector('input, select').name, el.textContent]).filter(([, t]) => t)));
  const linesAfter = await page.$$eval('#log li', (els) => els.length);
  check('bad fields are marked next to the field and nothing starts',
    bad.state === 'error' && Object.keys(errors).sort().join() === 'batchSize,hidden,lr' && linesAfter === linesBefore, `${bad.text} ${JSON.stringify(errors)}`);

  // A lost device: reported, and training restarts from the last good weights.
  await app.setField(page, 'batchSize', 32);
  await app.setField(page, 'lr', 0.001);
  await app.setField(page, 'hidden', 128);
  await app.setField(page, 'epochs', 2);
  await page.$eval('#status', (el) => (el.dataset.state = 'idle'));
  await page.$eval('#progress', (el) => (el.dataset.step = '0'));
  await page.click('#start');
  await page.waitForFunction(() => Number(document.getElementById('progress').dataset.step) >= 40, { timeout: 120_000 });
  await page.evaluate(() => window.__webgradApp.loseDevice());
  const lost = await app.waitForStatus(page, ['lost', 'error', 'done'], 60_000);
  const lostNotice = await app.backendNotice(page);
  check('a lost device is reported, naming the step, with an offer to restart',
    lost.state === 'lost' && Number(/lost .* at step (\d+)/.exec(lost.text)?.[1]) >= 40 && lostNotice.state === 'lost' && /Restart from/.test(lostNotice.text), `${lost.text} | ${lostNotice.text}`);
  await page.$eval('#status', (el) => (el.dataset.state = 'idle'));
  await page.click('#notice-action');
  const restarted = await app.waitForStatus(page, ['done', 'stopped', 'diverged', 'lost', 'error'], 5 * 60_000);
  const notes = await page.$$eval('#log li.note', (els) => els.map((el) => el.textContent));
  // The run was to reach epoch 2 (64 steps); the end of epoch 1 (step 32) is a checkpoint.
  check('the restart trains on from the last good weights to the end',
    restarted.state === 'done' && notes.some((n) => /restarted from step 32\b/.test(n)) && /2 epochs in all, 64 steps/.test(restarted.text), `${restarted.text} ${notes.join(' | ')}`);
  const after = await app.probabilities(page, 0);
  check('the restarted model reads the drawing', Math.abs(sum(after.values) - 1) < 1e-3, after.raw);
  await page.close();

  // No WebGPU: the page says so and offers the CPU backend, which works.
  const cpuPage = await newPage(true);
  const none = await app.backendNotice(cpuPage);
  check('without navigator.gpu the page says so and offers the CPU', none.state === 'unavailable' && /no WebGPU/.test(none.text), none.text);
  await cpuPage.click('#notice-action');
  await cpuPage.waitForFunction(() => /CPU reference backend/.test(document.getElementById('backend-notice').textContent), { timeout: 30_000 });
  const cpuSeen = await app.updates(cpuPage);
  await app.draw(cpuPage, app.SEVEN);
  const onCpu = await app.probabilities(cpuPage, cpuSeen);
  check('on the CPU backend the drawing gets its probabilities', Math.abs(sum(onCpu.values) - 1) < 1e-3, onCpu.raw);
}

const cleanup = () => teardown(browser, served?.server, [userDataDir, downloads, ...(served ? [served.outDir] : [])]);
const aborted = await runWithCleanup(run, cleanup, RUN_TIMEOUT_MS);
if (aborted) check('the smoke test ran to the end', false, aborted?.stack ?? String(aborted));
check('no errors in the page', pageErrors.length === 0, pageErrors.join('\n    '));
console.log(`app: finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`app: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
