// The seeded random-op-graph fuzzer. Each seed draws a small graph from the op table in
// test/fuzz/ops.ts (every public op; shapes with 1s, primes and broadcasting; transposed and
// batched matmul), evaluates it on WebGPU, on the CPU in f32 and on the CPU in f64 (the
// reference): every node's values, and through valueAndGrad the gradient of a weighted sum
// of all nodes with respect to every leaf. The GPU must match the reference within the
// tolerance of test/fuzz/graph.ts (violation). A seed whose backends take different sides of
// a kink (relu at 0, an arg-max tie, the BCE clamp) is ambiguous and skipped; they are rare.
//
//   npm test                       300 seeds (CI)
//   npm run fuzz -- --long         3,000 seeds (WEBGRAD_FUZZ_LONG=1)
//   npm run fuzz -- --seed 1234    replays one seed, printing its graph (or the replay line a
//                                  failure prints: WEBGRAD_FUZZ_SEED=1234 npx vitest run ...)
//   npm run fuzz -- --first 5000 --count 100    another range of seeds

import { describe, expect, it } from 'vitest';

import { Engine } from '../src/index';
import { ambiguity, describe as describeGraph, evaluate, generate, mismatches, violation } from './fuzz/graph';
import { fuzzOps, notOps } from './fuzz/ops';
import { cpu, gpu } from './backends';

// process.env in Node; the browser suite runs the CI count.
const env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env;
const REPLAY = env.WEBGRAD_FUZZ_SEED === undefined ? null : Number(env.WEBGRAD_FUZZ_SEED);
const LONG = env.WEBGRAD_FUZZ_LONG === '1';
const FIRST = Number(env.WEBGRAD_FUZZ_FIRST ?? 1);
const COUNT = REPLAY !== null ? 1 : Number(env.WEBGRAD_FUZZ_COUNT ?? (LONG ? 3000 : 300));
/** Ambiguous seeds (kinks within rounding) allowed, as a fraction: measured ~1%. */
const MAX_AMBIGUOUS = 0.05;

const replayCommand = (seed: number) => `npm run fuzz -- --seed ${seed}`;

const CHUNK = 100;

describe('random op graphs: WebGPU against the f64 CPU reference, values and gradients', () => {
  const seeds = REPLAY !== null ? [REPLAY] : Array.from({ length: COUNT }, (_, i) => FIRST + i);
  const ambiguous: number[] = [];
  const drawn = new Map<string, number>();

  // Chunks of 100 seeds: each a test of its own, well inside the per-test timeout.
  for (let start = 0; start < seeds.length; start += CHUNK) {
    const chunk = seeds.slice(start, start + CHUNK);
    const title = REPLAY !== null ? `replays seed ${REPLAY}` : `seeds ${chunk[0]}-${chunk.at(-1)}${LONG ? ' (long)' : ''}`;
    it(title, async () => {
      const [g, c32, c64] = [await gpu(), await cpu('f32'), await cpu('f64')];
      for (const seed of chunk) {
        const graph = generate(seed, c32);
        for (const n of graph.nodes) {
          const name = n.label.replace(/[(\s].*$/, '');
          if (n.kind === 'op') drawn.set(name, (drawn.get(name) ?? 0) + 1);
        }
        if (REPLAY !== null) console.log(`seed ${seed}:\n${describeGraph(graph)}`);
        let evals;
        try {
          evals = [await evaluate(g, graph), await evaluate(c32, graph), await evaluate(c64, graph)];
        } catch (err) {
          throw new Error(`seed ${seed}: ${(err as Error).message}\n${describeGraph(graph)}\nreplay: ${replayCommand(seed)}`);
        }
        const why = ambiguity(graph, evals);
        if (why !== null) {
          ambiguous.push(seed);
          if (REPLAY !== null) console.log(`ambiguous: ${why}`);
          continue;
        }
        const bad = mismatches(graph, evals[0]!, evals[1]!, evals[2]!);
        if (bad.length > 0) {
          expect.fail(`seed ${seed}: the GPU disagrees with the reference\n${bad.join('\n')}\ngraph:\n${describeGraph(graph)}\nreplay: ${replayCommand(seed)}`);
        }
      }
    });
  }

  if (REPLAY === null) {
    it('few seeds are ambiguous, and every table entry was drawn', () => {
      console.log(`[fuzz] ${seeds.length} seeds, ${ambiguous.length} ambiguous (${ambiguous.slice(0, 10).join(', ')}); ops drawn: ${[...drawn].map(([k, v]) => `${k} ${v}`).join(', ')}`);
      expect(ambiguous.length).toBeLessThanOrEqual(MAX_AMBIGUOUS * seeds.length);
      for (const op of fuzzOps) for (const name of op.covers) expect([...drawn.keys()].some((k) => k.startsWith(name)), `op ${name} never drawn`).toBe(true);
    });
  }

  it('every public op of the engine is in the fuzzer table', () => {
    const methods = Object.getOwnPropertyNames(Engine.prototype).filter((m) => !notOps.has(m) && typeof Object.getOwnPropertyDescriptor(Engine.prototype, m)!.value === 'function');
    const covered = new Set(fuzzOps.flatMap((op) => op.covers));
    expect(methods.filter((m) => !covered.has(m)), 'add an entry to test/fuzz/ops.ts for these').toEqual([]);
  });

  it('the comparison rejects what it must: an error well above f32 rounding, a lost NaN', () => {
    const ref = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i) * 3);
    const c32 = Float64Array.from(ref, (v) => Math.fround(v));
    expect(violation(c32, c32, ref).ratio).toBeLessThanOrEqual(1);
    const off = Float64Array.from(c32);
    off[7] = off[7]! * (1 + 1e-3);
    expect(violation(off, c32, ref)).toMatchObject({ at: 7 });
    expect(violation(off, c32, ref).ratio).toBeGreaterThan(1);
    const nan = Float64Array.from(c32);
    nan[3] = Number.NaN;
    expect(violation(nan, c32, ref).ratio).toBeGreaterThan(1);
  });
});
