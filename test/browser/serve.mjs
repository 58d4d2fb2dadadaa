// Builds a vite page (the training page, the benchmark page) into a temporary directory and
// serves it with `vite preview` on localhost (WebGPU needs a secure context: localhost is one).
// Used by app-smoke.mjs, run.mjs --screenshots and bench/browser.mjs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';

/** Resolves to { url, outDir, server }; the caller closes `server` and removes `outDir`. */
export async function buildAndServe(configFile, label) {
  const outDir = mkdtempSync(join(tmpdir(), `webgrad-${label}-build-`));
  try {
    await build({ configFile, build: { outDir }, logLevel: 'warn' });
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    throw new Error(`vite could not build the ${label} page: ${e.message}`);
  }
  const server = await preview({ configFile, build: { outDir }, preview: { host: 'localhost', port: 0, open: false }, logLevel: 'warn' });
  return { url: server.resolvedUrls.local[0], outDir, server };
}

/**
 * page.waitForSelector for waits longer than puppeteer's protocol timeout (180 s: one wait is
 * one CDP call): waits in one-minute slices until `timeoutMs` (0: no limit).
 */
export async function waitForSelectorLong(page, selector, timeoutMs) {
  const until = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  for (;;) {
    const slice = Math.min(60_000, until - Date.now());
    try {
      return await page.waitForSelector(selector, { timeout: slice });
    } catch (e) {
      if (e?.name !== 'TimeoutError' || Date.now() >= until) throw e;
    }
  }
}
