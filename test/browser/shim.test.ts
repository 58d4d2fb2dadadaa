// Checks that the browser's vitest shim (test/browser/vitest-shim.ts) behaves as vitest does:
// this file runs under real vitest in Node (npm test) and under the shim in Chromium
// (npm run test:browser) with the same expectations, so a difference fails one of the two.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test } from 'vitest';

const log: string[] = [];

describe('registration, hooks and order', () => {
  beforeAll(() => {
    log.push('beforeAll');
  });
  beforeEach(() => {
    log.push('beforeEach');
  });
  afterEach(() => {
    log.push('afterEach');
  });
  afterAll(() => {
    const each = (s: string) => ['beforeEach', s, 'afterEach'];
    expect(log).toEqual(['beforeAll', ...each('first'), ...each('second'), ...each('1+2'), ...each('2+3'), ...each('obj')]);
  });

  it('first', () => {
    log.push('first');
  });
  test('second (async)', async () => {
    await new Promise((r) => setTimeout(r, 1));
    log.push('second');
  });
  it.each([
    [1, 2, 3],
    [2, 3, 5],
  ])('each: %i + %i = %i', (a, b, c) => {
    expect(a + b).toBe(c);
    log.push(`${a}+${b}`);
  });
  it.each([{ x: 1 }])('each with an object $x', ({ x }) => {
    expect(x).toBe(1);
    log.push('obj');
  });
});

describe('matchers', () => {
  it('equality', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(-0).not.toBe(0);
    expect(NaN).toEqual(NaN);
    expect({ a: [1, { b: 2 }], c: undefined }).toEqual({ a: [1, { b: 2 }] });
    expect({ a: 1, c: undefined }).not.toStrictEqual({ a: 1 });
    expect(new Float32Array([1, 2])).toEqual(new Float32Array([1, 2]));
    expect(new Float32Array([1, 2])).not.toEqual(new Float32Array([1, 3]));
    expect([1, 2, 3]).toHaveLength(3);
    expect([1, 2, 3]).toContain(2);
    expect('shape [2, 3]').toMatch(/\[2, 3\]/);
    expect({ a: { b: 5 } }).toHaveProperty('a.b', 5);
    expect(new RangeError('x')).toBeInstanceOf(Error);
    expect({ n: 1.5, s: 'x', k: [2] }).toEqual({ n: expect.any(Number), s: expect.stringContaining('x'), k: expect.arrayContaining([2]) });
  });

  it('numbers', () => {
    expect(0.1 + 0.2).toBeCloseTo(0.3, 10);
    expect(1.0049).toBeCloseTo(1, 2);
    expect(() => expect(1.006).toBeCloseTo(1, 2)).toThrow();
    expect(3).toBeGreaterThan(2);
    expect(3).toBeGreaterThanOrEqual(3);
    expect(2).toBeLessThan(3);
    expect(3).toBeLessThanOrEqual(3);
    expect(NaN).toBeNaN();
    expect(0.5).toEqual(expect.closeTo(0.50001, 4));
  });

  it('failure messages', () => {
    expect(() => expect(1).toBe(2)).toThrow('expected 1 to be 2');
    expect(() => expect([1]).toEqual([2])).toThrow('expected [ 1 ] to deeply equal [ 2 ]');
    expect(() => expect(2).toBeLessThanOrEqual(1)).toThrow('expected 2 to be less than or equal to 1');
  });

  it('toThrow', () => {
    const bad = () => {
      throw new TypeError('shape [2, 3] does not broadcast with [4]');
    };
    expect(bad).toThrow();
    expect(bad).toThrow('does not broadcast');
    expect(bad).toThrow(/\[4\]/);
    expect(bad).toThrow(TypeError);
    expect(() => 1).not.toThrow();
    expect(() => expect(() => 1).toThrow()).toThrow();
  });

  it('resolves and rejects', async () => {
    await expect(Promise.resolve(3)).resolves.toBe(3);
    await expect(Promise.reject(new Error('boom: disposed tensor'))).rejects.toThrow('disposed tensor');
    await expect((async () => { throw new RangeError('r'); })()).rejects.toThrow(RangeError);
    await expect(expect(Promise.resolve(1)).rejects.toThrow()).rejects.toThrow();
  });

  it('expect.assertions counts the assertions made', () => {
    expect.assertions(2);
    expect(1).toBe(1);
    expect(2).toBe(2);
  });
});
