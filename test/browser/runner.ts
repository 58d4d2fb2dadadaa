// Runs one test file in the page, the way vitest runs it: import it (which registers its
// describe/it tree), then run the tests sequentially with beforeAll/afterAll per suite and
// beforeEach/afterEach around each test, each test and hook under its own timeout.
// `.only` in a file restricts that file to the marked tests/suites. Results go to `report`.

import { printDiffOrStringify } from '@vitest/utils/diff';
import { newSuite, registryStack, type HookEntry, type Suite, type TestNode } from './registry';
import { beginTest, checkAssertionCounts, expect } from './vitest-shim';

export interface TestResult {
  file: string;
  name: string;
  status: 'pass' | 'fail' | 'skip' | 'todo';
  ms: number;
  error?: string;
}
export type Report = (r: TestResult) => Promise<void>;

class SkipSignal extends Error {}

/** The error's stack, then (for assertion errors) the same expected/received diff vitest prints. */
function describeError(e: unknown): string {
  if (!(e instanceof Error)) return `thrown non-Error: ${String(e)}`;
  const stack = e.stack ?? '';
  // Chrome's stack starts with "Name: message"; keep the message once.
  let text = stack.includes(e.message) ? stack : `${e.name}: ${e.message}\n${stack}`;
  const { showDiff, actual, expected } = e as Error & { showDiff?: boolean; actual?: unknown; expected?: unknown };
  if (showDiff || (showDiff === undefined && actual !== undefined && expected !== undefined)) {
    const diff = printDiffOrStringify(actual, expected, { expand: false });
    if (diff) text += `\n\n${diff}`;
  }
  if (e.cause !== undefined) text += `\ncaused by: ${describeError(e.cause)}`;
  return text;
}

async function withTimeout<T>(run: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(run), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function hasOnly(s: Suite | TestNode): boolean {
  return s.mode === 'only' || (s.kind === 'suite' && s.children.some(hasOnly));
}

export async function runFile(file: string, load: () => Promise<unknown>, report: Report, defaultTimeout: number): Promise<void> {
  const root = newSuite(file);
  registryStack.push(root);
  try {
    await load();
  } catch (e) {
    await report({ file, name: '(importing the file)', status: 'fail', ms: 0, error: describeError(e) });
    return;
  } finally {
    registryStack.pop();
  }
  const onlyMode = hasOnly(root);

  async function runHooks(hooks: HookEntry[], label: string, teardowns: (() => unknown)[]): Promise<void> {
    for (const h of hooks) {
      const r = await withTimeout(h.fn, h.timeout ?? defaultTimeout, label);
      if (typeof r === 'function') teardowns.push(r as () => unknown);
    }
  }

  async function runTest(t: TestNode, path: string[], each: { before: HookEntry[]; after: HookEntry[] }): Promise<void> {
    const name = [...path, t.name].join(' > ');
    const start = performance.now();
    const teardowns: (() => unknown)[] = [];
    let error: unknown = null;
    let skipped = false;
    beginTest(name);
    try {
      await runHooks(each.before, 'beforeEach hook', teardowns);
      const context = { expect, task: { name: t.name }, skip: () => { throw new SkipSignal(); } };
      await withTimeout(() => t.fn!(context), t.timeout ?? defaultTimeout, 'test');
      checkAssertionCounts();
    } catch (e) {
      if (e instanceof SkipSignal) skipped = true;
      else error = e;
    }
    try {
      await runHooks(each.after, 'afterEach hook', teardowns);
      for (const td of teardowns.reverse()) await withTimeout(td, defaultTimeout, 'beforeEach teardown');
    } catch (e) {
      error ??= e;
    }
    const ms = performance.now() - start;
    if (skipped && error === null) await report({ file, name, status: 'skip', ms });
    else await report({ file, name, status: error === null ? 'pass' : 'fail', ms, error: error === null ? undefined : describeError(error) });
  }

  async function runSuite(s: Suite, path: string[], inOnly: boolean, skip: boolean, each: { before: HookEntry[]; after: HookEntry[] }): Promise<void> {
    const nested = { before: [...each.before, ...s.hooks.beforeEach], after: [...s.hooks.afterEach, ...each.after] };
    const runs = (c: Suite | TestNode) =>
      !skip && c.mode !== 'skip' && c.mode !== 'todo' && (!onlyMode || inOnly || hasOnly(c));
    const teardowns: (() => unknown)[] = [];
    let setupError: unknown = null;
    const active = s.children.some(runs);
    if (active) await runHooks(s.hooks.beforeAll, 'beforeAll hook', teardowns).catch((e) => (setupError = e));
    // A failed beforeAll counts as one failure; the tests it guards are then reported skipped.
    if (setupError !== null)
      await report({ file, name: [...path, '(beforeAll)'].join(' > '), status: 'fail', ms: 0, error: describeError(setupError) });
    for (const c of s.children) {
      const run = runs(c) && setupError === null;
      if (c.kind === 'suite') await runSuite(c, [...path, c.name], inOnly || c.mode === 'only', !run, nested);
      else if (run) await runTest(c, path, nested);
      else await report({ file, name: [...path, c.name].join(' > '), status: c.mode === 'todo' ? 'todo' : 'skip', ms: 0 });
    }
    if (!active) return;
    try {
      await runHooks(s.hooks.afterAll, 'afterAll hook', []);
      for (const td of teardowns.reverse()) await withTimeout(td, defaultTimeout, 'beforeAll teardown');
    } catch (e) {
      await report({ file, name: [...path, '(afterAll)'].join(' > '), status: 'fail', ms: 0, error: describeError(e) });
    }
  }

  await runSuite(root, [], false, false, { before: [], after: [] });
}
