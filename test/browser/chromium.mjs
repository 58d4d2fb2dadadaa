// The headless Chromium that the browser suite (run.mjs) and the training page's smoke test
// (app-smoke.mjs) drive through puppeteer: WebGPU forced on, on SwiftShader (the CPU Vulkan
// Debian's chromium ships) so it works on machines without a GPU, and no background traffic.
// Env: CHROME_PATH (default /usr/bin/chromium). `gpu: true` drops the SwiftShader flags, for a
// machine with a real GPU (`npm run bench:browser -- --gpu`).

import { rmSync } from 'node:fs';
import puppeteer from 'puppeteer';

const SWIFTSHADER_ARGS = ['--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader'];

export const CHROME_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', ...SWIFTSHADER_ARGS,
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Starts Chromium with a private profile directory (the caller creates and removes it);
 *  `extraArgs` are added to the flags. */
export function launchChromium(userDataDir, { gpu = false, extraArgs = [] } = {}) {
  const args = gpu ? CHROME_ARGS.filter((a) => !SWIFTSHADER_ARGS.includes(a)) : CHROME_ARGS;
  return puppeteer.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    headless: true,
    args: [...args, ...extraArgs, `--user-data-dir=${userDataDir}`],
    handleSIGINT: false, // the callers' own handlers clean up, then exit
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

/** Closes the browser; one stuck in a GPU call may not close, so after 10 s the process
 *  that launchChromium started is killed. Never throws. */
export async function closeChromium(browser) {
  const proc = browser?.process();
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 10_000))]).catch(() => {});
  if (proc && proc.exitCode === null) proc.kill('SIGKILL');
}

/** Closes the browser and the server and removes the temporary directories. Never throws. */
export async function teardown(browser, server, dirs) {
  await closeChromium(browser);
  await server?.close().catch(() => {});
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs `run` under an overall time limit, then `cleanup`, which also runs on Ctrl-C or kill.
 * Resolves to the error that ended the run early (`makeError` wraps the timeout's message), or null.
 */
export async function runWithCleanup(run, cleanup, timeoutMs, makeError = (message) => new Error(message)) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => cleanup().finally(() => process.exit(130)));
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(makeError(`the whole run timed out after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  const running = run();
  running.catch(() => {}); // after a timeout it may still reject while we clean up
  try {
    await Promise.race([running, timeout]);
    return null;
  } catch (e) {
    return e;
  } finally {
    clearTimeout(timer);
    await cleanup();
  }
}
