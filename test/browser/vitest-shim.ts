// Browser stand-in for the 'vitest' module (vite aliases 'vitest' to this file in the browser
// bundle). describe/it/test and the hooks only register; runFile() in ./runner executes them.
// `expect` is built from @vitest/expect and its chai exactly as vitest 4 builds its global
// expect (vitest/dist/chunks/test.*.js: chai.use(JestExtend, JestChaiExpect,
// ChaiStyleAssertions, JestAsymmetricMatchers) + createExpect), minus snapshots and expect.poll.

import {
  addCustomEqualityTesters,
  ASYMMETRIC_MATCHERS_OBJECT,
  chai,
  ChaiStyleAssertions,
  customMatchers,
  getState,
  GLOBAL_EXPECT,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from '@vitest/expect';
import { currentSuite, newSuite, registryStack, type Fn, type Hook, type Mode, type Suite } from './registry';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(ChaiStyleAssertions);
chai.use(JestAsymmetricMatchers);

// ---- expect -------------------------------------------------------------------------------

type AnyExpect = ((value: unknown, message?: string) => unknown) & Record<string, unknown>;

function createExpect(): AnyExpect {
  const expect = ((value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect as never);
    setState({ assertionCalls: assertionCalls + 1 }, expect as never);
    return chai.expect(value, message);
  }) as AnyExpect;
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as Record<symbol, object>)[ASYMMETRIC_MATCHERS_OBJECT]);
  expect.getState = () => getState(expect as never);
  expect.setState = (state: object) => setState(state as never, expect as never);
  resetExpectState(expect, '');
  expect.assert = chai.assert;
  expect.extend = (matchers: object) => (chai.expect as unknown as { extend: Fn }).extend(expect, matchers);
  expect.addEqualityTesters = (testers: never) => addCustomEqualityTesters(testers);
  expect.unreachable = (message?: string) => {
    chai.assert.fail(`expected${message ? ` "${message}" ` : ' '}not to be reached`);
  };
  chai.util.addMethod(expect, 'assertions', (n: number) =>
    setState(
      {
        expectedAssertionsNumber: n,
        expectedAssertionsNumberErrorGen: () =>
          new Error(`expected number of assertions to be ${n}, but got ${getState(expect as never).assertionCalls}`),
      } as never,
      expect as never,
    ),
  );
  chai.util.addMethod(expect, 'hasAssertions', () =>
    setState(
      { isExpectingAssertions: true, isExpectingAssertionsError: new Error('expected any number of assertion, but got none') } as never,
      expect as never,
    ),
  );
  (expect.extend as Fn)(customMatchers);
  return expect;
}

function resetExpectState(e: object, testName: string): void {
  setState(
    {
      assertionCalls: 0,
      isExpectingAssertions: false,
      isExpectingAssertionsError: null,
      expectedAssertionsNumber: null,
      expectedAssertionsNumberErrorGen: null,
      currentTestName: testName,
    } as never,
    e as never,
  );
}

const globalExpect = createExpect();
Object.defineProperty(globalThis, GLOBAL_EXPECT, { value: globalExpect, writable: true, configurable: true });

/** Called by the runner around each test: resets counts, then checks expect.assertions(n). */
export function beginTest(name: string): void {
  resetExpectState(globalExpect, name);
}
export function checkAssertionCounts(): void {
  const s = getState(globalExpect as never) as unknown as {
    assertionCalls: number;
    isExpectingAssertions: boolean;
    isExpectingAssertionsError: Error | null;
    expectedAssertionsNumber: number | null;
    expectedAssertionsNumberErrorGen: (() => Error) | null;
  };
  if (s.expectedAssertionsNumber !== null && s.assertionCalls !== s.expectedAssertionsNumber)
    throw s.expectedAssertionsNumberErrorGen!();
  if (s.isExpectingAssertions && s.assertionCalls === 0) throw s.isExpectingAssertionsError;
}

export const expect = globalExpect as unknown as typeof import('@vitest/expect').chai.expect & Record<string, Fn>;
export const assert = chai.assert;

// ---- describe / it / hooks ----------------------------------------------------------------

type Options = number | { timeout?: number };
const timeoutOf = (o?: Options) => (typeof o === 'number' ? o : o?.timeout);

/** Replaces printf-style %s/%d/%i/%f/%j/%o and $key placeholders the way vitest's .each does. */
function formatTitle(title: string, args: unknown, index: number): string {
  const list = Array.isArray(args) ? [...args] : [args];
  let out = title.replace(/%[sdifjo#%]/g, (m) => {
    if (m === '%%') return '%';
    if (m === '%#') return String(index);
    const v = list.shift();
    if (m === '%d' || m === '%i') return String(m === '%i' ? Math.trunc(Number(v)) : Number(v));
    if (m === '%f') return String(Number(v));
    if (m === '%s' && typeof v === 'string') return v;
    return typeof v === 'string' ? JSON.stringify(v) : stringify(v);
  });
  if (args && typeof args === 'object' && !Array.isArray(args))
    out = out.replace(/\$([\w.]+)/g, (m, k: string) => {
      const v = k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)?.[p], args);
      return v === undefined ? m : stringify(v);
    });
  return out;
}
const stringify = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

function makeTest(mode: Mode) {
  // it(name, fn, options) and it(name, options, fn) are both accepted, as in vitest.
  const register = (name: string, a?: Fn | Options, b?: Fn | Options) => {
    const [fn, options] = typeof a === 'function' ? [a, b as Options] : [b as Fn | undefined, a];
    currentSuite().children.push({ kind: 'test', name, fn, mode: fn ? mode : 'todo', timeout: timeoutOf(options) });
  };
  return Object.assign(register, {
    each:
      (cases: readonly unknown[]) =>
      (name: string, fn: Fn, options?: Options) =>
        cases.forEach((c, i) =>
          register(formatTitle(name, c, i), () => (Array.isArray(c) ? fn(...c) : fn(c)), options),
        ),
  });
}

function makeDescribe(mode: Mode) {
  const register = (name: string, fn: () => void) => {
    const suite = newSuite(name, mode);
    currentSuite().children.push(suite);
    registryStack.push(suite);
    try {
      fn();
    } finally {
      registryStack.pop();
    }
  };
  return Object.assign(register, {
    each: (cases: readonly unknown[]) => (name: string, fn: Fn) =>
      cases.forEach((c, i) => register(formatTitle(name, c, i), () => (Array.isArray(c) ? fn(...c) : fn(c)))),
  });
}

function withModifiers<T>(make: (mode: Mode) => T) {
  const base = make('run');
  return Object.assign(base as object, {
    only: make('only'),
    skip: make('skip'),
    todo: (name: string) => {
      currentSuite().children.push({ kind: 'test', name, mode: 'todo' });
    },
    skipIf: (cond: unknown) => make(cond ? 'skip' : 'run'),
    runIf: (cond: unknown) => make(cond ? 'run' : 'skip'),
  }) as unknown as T & { only: T; skip: T; todo: (name: string) => void; skipIf: (c: unknown) => T; runIf: (c: unknown) => T };
}

export const it = withModifiers(makeTest);
export const test = it;
export const describe = withModifiers(makeDescribe);
export const suite = describe;

const hook = (kind: keyof Suite['hooks']) => (fn: Hook, options?: Options) =>
  currentSuite().hooks[kind].push({ fn, timeout: timeoutOf(options) });
export const beforeAll = hook('beforeAll');
export const afterAll = hook('afterAll');
export const beforeEach = hook('beforeEach');
export const afterEach = hook('afterEach');

/** Mocks and timers are not available in the browser run; a test that uses them fails here. */
export const vi = new Proxy({}, {
  get: (_t, key) => {
    throw new Error(`vi.${String(key)} is not supported by the browser test shim (test/browser/vitest-shim.ts)`);
  },
});
