// The tuner (src/gpu/tune.ts) in Node: it times the profile's candidates, keeps the fastest,
// stores it under $XDG_CACHE_HOME/webgrad/tune.json (a temp dir here) and the next engine
// reuses it without timing; 'always' times again, 'off' neither reads nor writes; a corrupt
// cache file is ignored with a warning, never a crash.

import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEngine, type Engine } from '../src/index';
import { PROFILES, describeVariant, type KernelProfile, type MatmulProblem } from '../src/gpu/profile';
import { VERSION } from '../src/version';
import { gpu, randomArray } from './backends';

let dir: string;
let saved: string | undefined;
const cacheFile = () => join(dir, 'webgrad', 'tune.json');

// Two cheap candidates keep the test short; the software table's full list is what users time.
const profile: KernelProfile = {
  ...PROFILES.software,
  name: 'tune-test',
  tune: [{ kind: 'vec4', wgX: 4, wgY: 4, shareA: true }, { kind: 'scalar', wgX: 8, wgY: 4, strided: false }],
};
const problem: MatmulProblem = { M: 48, N: 40, K: 64, batch: 1, transposeA: false, transposeB: true };

const engines: Engine[] = [];
async function engine(tune: 'off' | 'cached' | 'always'): Promise<Engine> {
  const e = await createEngine({ backend: 'webgpu', device: (await gpu()).device!, profile, tune });
  engines.push(e);
  return e;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'webgrad-tune-'));
  saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = dir;
});
afterAll(() => {
  engines.forEach((e) => e.destroy());
  if (saved === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe('tuner', () => {
  it('picks the fastest candidate, uses it, and stores it', async () => {
    const e = await engine('cached');
    const [r] = await e.tune([problem]);
    expect(r!.source).toBe('measured');
    expect(r!.timings.map((t) => t.label)).toEqual(profile.tune.map(describeVariant));
    const best = r!.timings.reduce((a, b) => (b.ms < a.ms ? b : a));
    expect(describeVariant(r!.chosen)).toBe(best.label);
    for (const t of r!.timings) expect(t.ms).toBeGreaterThan(0);
    // the choice is used by matmuls of the class (another size of it, here)
    const a = e.tensor(randomArray(40 * 60, 1), [40, 60]);
    const w = e.tensor(randomArray(33 * 60, 2), [33, 60]);
    await e.matmul(a, w, { transposeB: true }).read();
    expect(e.stats().kernels.matmul?.map((u) => u.label)).toEqual([best.label]);
    const stored = JSON.parse(readFileSync(cacheFile(), 'utf8'));
    const entries = Object.entries(stored.adapters as Record<string, Record<string, { variant: unknown }>>);
    expect(entries).toHaveLength(1);
    expect(entries[0]![0]).toContain(`webgrad ${VERSION}`);
    expect(Object.values(entries[0]![1])[0]!.variant).toEqual(r!.chosen);
  });

  it("a new engine reuses the stored result without timing ('cached'); 'always' times again", async () => {
    const first = JSON.parse(readFileSync(cacheFile(), 'utf8'));
    const cached = await engine('cached');
    const [r] = await cached.tune([problem]);
    expect(r!.source).toBe('cache');
    const again = await engine('always');
    const [m] = await again.tune([problem]);
    expect(m!.source).toBe('measured');
    expect(Object.keys(JSON.parse(readFileSync(cacheFile(), 'utf8')).adapters)).toEqual(Object.keys(first.adapters));
  });

  it("'off' neither reads nor writes the cache", async () => {
    rmSync(cacheFile());
    const e = await engine('off');
    expect(await e.tune([problem])).toEqual([]);
    expect(existsSync(cacheFile())).toBe(false);
  });

  it('a corrupt cache file is ignored with a warning, then rewritten', async () => {
    writeFileSync(cacheFile(), '{"format": 1, "adapters": ');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const e = await engine('cached');
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/ignoring the tuning cache .*tune\.json: it is not a valid cache file/);
      const [r] = await e.tune([problem]);
      expect(r!.source).toBe('measured');
      expect(JSON.parse(readFileSync(cacheFile(), 'utf8')).format).toBe(1);
    } finally {
      warn.mockRestore();
    }
  });

  it('bad problems are refused before anything is timed or stored; the engine works on', async () => {
    const e = await engine('always');
    const before = existsSync(cacheFile()) ? readFileSync(cacheFile(), 'utf8') : null;
    await expect(e.tune([{ ...problem, M: -1 }])).rejects.toThrow(/tune: problems\[0\]\.M must be an integer >= 1, got -1/);
    await expect(e.tune([{ ...problem, K: '4' as never }])).rejects.toThrow(/tune: problems\[0\]\.K must be an integer >= 1, got 4/);
    await expect(e.tune([{ M: 4, N: 4, K: 4, batch: 1 } as never])).rejects.toThrow(/tune: problems\[0\]\.transposeA must be true or false, got undefined/);
    await expect(e.tune(undefined as never)).rejects.toThrow(/tune: problems must be an array/);
    expect(existsSync(cacheFile()) ? readFileSync(cacheFile(), 'utf8') : null).toBe(before);
    expect(await e.add(e.tensor([1, 2], [2]), e.tensor([3, 4], [2])).read()).toEqual(Float32Array.of(4, 6));
  });

  it('entries of an unknown shape are skipped; an unknown tune mode is refused', async () => {
    const file = JSON.parse(readFileSync(cacheFile(), 'utf8'));
    const key = Object.keys(file.adapters)[0]!;
    for (const c of Object.keys(file.adapters[key])) file.adapters[key][c].variant = { kind: 'warp-speed' };
    writeFileSync(cacheFile(), JSON.stringify(file));
    const e = await engine('cached');
    expect((await e.tune([problem]))[0]!.source).toBe('measured');
    await expect(createEngine({ backend: 'webgpu', tune: 'sometimes' as 'off' })).rejects.toThrow(/unknown tune mode 'sometimes'/);
  });

  it("the engine version is package.json's", () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });
});
