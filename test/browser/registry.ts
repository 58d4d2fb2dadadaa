// The tree that describe/it/hooks (./vitest-shim) build while a test file is imported, and
// which ./runner walks. One root suite per test file; registryStack tracks the open describe.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Fn = (...args: any[]) => unknown;
/** A hook may return a teardown function, run after the matching afterAll/afterEach. */
export type Hook = () => unknown;
export type Mode = 'run' | 'only' | 'skip' | 'todo';

export interface HookEntry {
  fn: Hook;
  timeout?: number;
}

export interface TestNode {
  kind: 'test';
  name: string;
  fn?: Fn;
  mode: Mode;
  timeout?: number;
}

export interface Suite {
  kind: 'suite';
  name: string;
  mode: Mode;
  children: (Suite | TestNode)[];
  hooks: { beforeAll: HookEntry[]; afterAll: HookEntry[]; beforeEach: HookEntry[]; afterEach: HookEntry[] };
}

export const registryStack: Suite[] = [];

export function newSuite(name: string, mode: Mode = 'run'): Suite {
  return { kind: 'suite', name, mode, children: [], hooks: { beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] } };
}

export function currentSuite(): Suite {
  const s = registryStack[registryStack.length - 1];
  if (!s) throw new Error('describe/it/hooks were called outside the collection of a test file');
  return s;
}
