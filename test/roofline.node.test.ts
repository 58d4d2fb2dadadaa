// The roofline microkernels (bench/roofline.ts, shaders/roofline.wgsl) compile and run on the
// adapter, and the roofs they report are the rates they measured: the FMA roof is the faster
// of the two FMA forms, and every rate is finite and positive. (Their speed is not tested.)

import { describe, expect, it } from 'vitest';
import { gpu } from './backends';
import { measureRoofs } from '../bench/roofline';

describe('roofline microkernels', () => {
  it('measure the FMA, copy and read roofs', async () => {
    const e = await gpu();
    const r = await measureRoofs(e.device!, { targetMs: 5, trials: 1 });
    for (const rate of [r.gflops, r.gbps, r.readGbps, r.memoryGbps]) {
      expect(Number.isFinite(rate) && rate > 0).toBe(true);
    }
    const forms = [...r.detail.matchAll(/([\d.]+) GFLOP\/s/g)].map((m) => Number(m[1]));
    expect(forms).toHaveLength(2);
    expect(r.gflops.toFixed(2)).toBe(Math.max(...forms).toFixed(2));
  }, 120_000);
});
