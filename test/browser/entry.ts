/// <reference types="vite/client" />
// The page's entry. Without ?file it checks WebGPU, reports the adapter and the list of test
// files; with ?file=<name> it runs that one file (run.mjs opens a fresh page per file, so each
// file gets its own module instances and GPU device, as vitest isolates files in Node).
// Everything goes to run.mjs through window.__webgradReport (a puppeteer exposeFunction).

import { runFile, type TestResult } from './runner';

// Every test/*.test.ts except the Node-only ones (they need node:fs, zlib, temp dirs, ...),
// plus this folder's own check of the shim. A new Node-only test file: name it
// *.node.test.ts, or add it to this list.
const files = import.meta.glob(['../*.test.ts', '!../*.node.test.ts', '!../data.test.ts', '!../io.test.ts', './*.test.ts']);

type Event =
  | { type: 'fatal'; reason: string }
  | { type: 'ready'; files: string[]; adapter: Record<string, string> }
  | { type: 'result'; result: TestResult }
  | { type: 'done' };

const report = (ev: Event) => (window as unknown as { __webgradReport: (e: Event) => Promise<void> }).__webgradReport(ev);
const nameOf = (path: string) => path.replace(/^\.\.\//, 'test/').replace(/^\.\//, 'test/browser/');

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const file = params.get('file');
  if (file === null) return listFiles();
  const path = Object.keys(files).find((p) => nameOf(p) === file);
  if (!path) return report({ type: 'fatal', reason: `no such test file in the bundle: ${file}` });
  const timeout = Number(params.get('testTimeout') ?? 120_000);
  const profile = params.get('profile'); // read by test/backends.ts too
  await runFile(profile ? `${file} [profile ${profile}]` : file, files[path]!, (result) => report({ type: 'result', result }), timeout);
  await report({ type: 'done' });
}

async function listFiles(): Promise<void> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    return report({
      type: 'fatal',
      reason: `navigator.gpu is undefined (isSecureContext=${isSecureContext}, origin=${location.origin}, ${navigator.userAgent})`,
    });
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) {
    return report({
      type: 'fatal',
      reason: 'navigator.gpu.requestAdapter() returned null: WebGPU is exposed but no adapter is usable (check the Vulkan/SwiftShader flags, chrome://gpu)',
    });
  }
  const { vendor, architecture, device, description } = adapter.info;
  await report({ type: 'ready', files: Object.keys(files).map(nameOf).sort(), adapter: { vendor, architecture, device, description } });
}

main().catch((e: unknown) => report({ type: 'fatal', reason: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
