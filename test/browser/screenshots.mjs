// `npm run test:browser -- --screenshots DIR`: PNGs of the two pages as a person sees them after
// using them, taken in the test run's Chromium. app.png: the training page after two short
// epochs (the first 2,000 digits), with the curves, the digit grid and a drawn digit with its
// probabilities; bench.png: the benchmark page after a short run (a few small cases, every
// peer, the CPU check, roofs and the kernel table). Each page is built with vite and served on
// localhost; each screenshot is reported as a pass or a failure, with what it shows.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { buildAndServe, waitForSelectorLong } from './serve.mjs';
import * as app from './app-driver.mjs';

const appConfig = fileURLToPath(new URL('../../app/vite.config.ts', import.meta.url));
const benchConfig = fileURLToPath(new URL('../../bench/page/vite.config.ts', import.meta.url));
/** The benchmark page's short configuration: small cases, enough batches for a median. */
const BENCH_QUERY = 'filter=matmul 256x256,add,relu 1M,softmax,mlp_train_step&runs=5&minBatchMs=40&run=1';

async function withPage(browser, configFile, label, fn) {
  const served = await buildAndServe(configFile, label);
  const page = await browser.newPage();
  try {
    return await fn(page, served.url);
  } finally {
    await page.close().catch(() => {});
    await served.server.close().catch(() => {});
    rmSync(served.outDir, { recursive: true, force: true });
  }
}

async function appShot(browser, dir) {
  return withPage(browser, appConfig, 'app', async (page, url) => {
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${url}?limit=2000`, { waitUntil: 'load' });
    await app.backendNotice(page);
    const end = await app.train(page, { epochs: 2, batchSize: 32 });
    if (end.state !== 'done') throw new Error(`training did not finish: ${end.text}`);
    const seen = await app.updates(page);
    await app.draw(page, app.SEVEN);
    const p = await app.probabilities(page, seen);
    const accuracy = await page.$$eval('#log li', (els) => els.map((el) => Number(el.dataset.testAccuracy)).filter(Number.isFinite));
    await new Promise((r) => setTimeout(r, 300)); // the charts redraw on the next frame
    const path = join(dir, 'app.png');
    await page.screenshot({ path, fullPage: true });
    return `${path}: test accuracy ${accuracy.map((a) => `${(100 * a).toFixed(1)}%`).join(', ')}; the drawn 7 read as ${p.predicted}`;
  });
}

async function benchShot(browser, dir) {
  return withPage(browser, benchConfig, 'bench', async (page, url) => {
    await page.setViewport({ width: 1400, height: 1000 });
    await page.goto(`${url}?${BENCH_QUERY}`, { waitUntil: 'load' });
    await waitForSelectorLong(page, '#status:is([data-state="done"], [data-state="error"])', 10 * 60_000);
    const status = await page.$eval('#status', (el) => ({ state: el.dataset.state, text: el.textContent }));
    const result = await page.evaluate(() => window.__benchResult);
    await new Promise((r) => setTimeout(r, 300));
    const path = join(dir, 'bench.png');
    await page.screenshot({ path, fullPage: true });
    if (status.state !== 'done') throw new Error(`the benchmark run failed: ${status.text}`);
    const ratios = result.rows.filter((r) => r.ratio !== null).length;
    if (ratios < result.rows.length) throw new Error(`${result.rows.length - ratios} rows without a ratio: ${result.rows.filter((r) => r.ratio === null).map((r) => r.note).join('; ')}`);
    return `${path}: ${result.rows.length} rows with ratios, roofs ${result.roofs ? 'measured' : 'missing'}, ${result.kernelTimes?.kernels.length ?? 0} kernels timed`;
  });
}

/** Takes both screenshots; `report(name, ok, detail)` gets one call per page. */
export async function takeScreenshots(browser, dir, report) {
  for (const [name, shot] of [['training page screenshot', appShot], ['benchmark page screenshot', benchShot]]) {
    try {
      report(name, true, await shot(browser, dir));
    } catch (e) {
      report(name, false, e.stack ?? String(e));
    }
  }
}
