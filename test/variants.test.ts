// Kernel variants, each forced through a one-variant profile on the test device, against the
// CPU reference: every matmul variant (with and without split-K) on awkward shapes, the row
// reductions (workgroup tree, subgroup butterfly, subgroup fold) with several rows per
// workgroup; split-K and subgroup results bit-identical run to run; the profile table's
// choices per adapter; e.kernelProfile and stats().kernels.

import { afterEach, describe, expect, it } from 'vitest';
import { cpu, expectClose, gpu, randomArray } from './backends';
import { createEngine, type Engine, type Tensor } from '../src/index';
import {
  PROFILES,
  profileFor,
  profileMatmul,
  describeVariant,
  type KernelProfile,
  type MatmulVariant,
  type ReducePolicy,
  type RowPolicy,
  type TiledMatmul,
} from '../src/gpu/profile';
import type { AdapterReport } from '../src/gpu/device';

// As in ops-matmul.test.ts: a K-term f32 dot product in another order than the f64 reference.
const tol = (K: number) => 4 * Math.sqrt(K) * 2 ** -24 + K * 2 ** -30 + 1e-7;
const NEVER_SPLIT = { maxTiles: 0, minK: Infinity, chunk: 1, maxSplits: 1 };
const ALWAYS_SPLIT = { maxTiles: Infinity, minK: 0, chunk: 16, maxSplits: 5 };

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((e) => e.destroy()));

/** An engine on the shared test device running only `matmul` (and `rows`) as given. */
async function forced(name: string, over: Partial<KernelProfile>): Promise<Engine> {
  const device = (await gpu()).device!;
  const profile: KernelProfile = { ...PROFILES.software, name, ...over };
  const e = await createEngine({ backend: 'webgpu', device, profile });
  engines.push(e);
  return e;
}

const size = (s: number[]) => s.reduce((x, y) => x * y, 1);

async function matmulOn(e: Engine, a: number[], b: number[], tA: boolean, tB: boolean, bias: boolean): Promise<Float32Array> {
  const ta = e.tensor(randomArray(size(a), 1), a);
  const tb = e.tensor(randomArray(size(b), 2), b);
  const N = tB ? b.at(-2)! : b.at(-1)!;
  const tbias = bias ? e.tensor(randomArray(N, 3), [N]) : undefined;
  const out = e.matmul(ta, tb, { transposeA: tA, transposeB: tB, bias: tbias, activation: bias ? 'tanh' : 'identity' });
  const v = await out.read();
  [ta, tb, tbias, out].forEach((t) => t?.dispose());
  return v;
}

/** [M, N, K, batchA, batchB] stored for the transposes (batch 0: rank 2). */
function operands(M: number, N: number, K: number, bA: number, bB: number, tA: boolean, tB: boolean): [number[], number[]] {
  const a = tA ? [K, M] : [M, K];
  const b = tB ? [N, K] : [K, N];
  return [bA ? [bA, ...a] : a, bB ? [bB, ...b] : b];
}

const VARIANTS: MatmulVariant[] = [
  { kind: 'scalar', wgX: 8, wgY: 4, strided: false },
  { kind: 'scalar', wgX: 4, wgY: 2, strided: true },
  { kind: 'vec4', wgX: 4, wgY: 4, shareA: false },
  { kind: 'vec4', wgX: 4, wgY: 4, shareA: true },
  { kind: 'tiled', tileM: 64, tileN: 64, tileK: 16, rowsPerThread: 4 },
  { kind: 'tiled', tileM: 128, tileN: 64, tileK: 16, rowsPerThread: 8 },
  { kind: 'tiled', tileM: 16, tileN: 32, tileK: 8, rowsPerThread: 1 },
];

// Shapes for every variant ([M, N, K, batchA, batchB]): 1, primes, tile edges, K = 4099,
// tiny M·N with large K, batch broadcast on either side. vec4 takes only the aligned ones.
const ANY_SHAPE: number[][] = [[1, 1, 1, 0, 0], [3, 5, 4099, 0, 0], [17, 9, 33, 0, 0], [65, 130, 7, 0, 0], [9, 11, 5, 3, 1], [5, 7, 6, 1, 2]];
// [132, 36, 8] and [36, 136, 12]: several tiles down and across, lanes past the last column.
const ALIGNED: number[][] = [[4, 4, 4, 0, 0], [12, 20, 36, 0, 0], [4, 8, 4100, 0, 0], [132, 36, 8, 0, 0], [36, 136, 12, 0, 0], [8, 12, 16, 3, 1], [4, 8, 20, 1, 2]];

describe('every matmul variant agrees with the CPU reference', () => {
  for (const variant of VARIANTS) {
    for (const [split, splitK] of [['', NEVER_SPLIT], [' + split-K', ALWAYS_SPLIT]] as const) {
      it(`${describeVariant(variant)}${split}`, async () => {
        const e = await forced(`${variant.kind}${split}`, { matmul: [{ variant }], splitK });
        const ref = await cpu();
        // The tiled kernel runs K = 4099 split only: unsplit it is 257 barrier pairs of 256
        // invocations, seconds on SwiftShader; its K tail is tested by K = 33 and 7 as well.
        const shapes = (variant.kind === 'vec4' ? ALIGNED : [...ANY_SHAPE, ...ALIGNED]).filter(([, , K]) => split || variant.kind !== 'tiled' || K! < 1024);
        for (const [M, N, K, bA, bB] of shapes) {
          for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
            const [a, b] = operands(M!, N!, K!, bA!, bB!, tA, tB);
            // the epilogue on one layout only: each override combination is a pipeline to
            // compile (up to seconds on SwiftShader for the tiled kernel)
            const bias = (M === 17 || M === 12) && !tA && tB;
            const [g, c] = [await matmulOn(e, a, b, tA, tB, bias), await matmulOn(ref, a, b, tA, tB, bias)];
            expectClose(g, c, tol(K!) * 4, tol(K!), `${describeVariant(variant)}${split} ${JSON.stringify({ M, N, K, bA, bB, tA, tB })}`);
          }
        }
        const used = e.stats().kernels;
        // one entry per staging combination for the tiled kernel (loadsA, loadsB)
        expect([...new Set(used.matmul?.map((u) => u.label))]).toEqual([describeVariant(variant)]);
        if (split) expect(used.matmul_splitk?.length).toBeGreaterThan(0);
        else expect(used.matmul_splitk).toBeUndefined();
        if (variant.kind === 'vec4') {
          // rows of op(A) shared by subgroup broadcasts only where subgroups are 4 lanes wide
          // (SwiftShader's, so CI runs both paths)
          const info = e.device!.adapterInfo as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
          const quads = e.device!.features.has('subgroups') && info.subgroupMinSize === 4 && info.subgroupMaxSize === 4;
          if (/swiftshader/i.test(e.adapter)) expect(quads).toBe(true);
          expect([...new Set(used.matmul?.map((u) => u.rowsA))]).toEqual([variant.shareA && quads ? 'subgroup' : 'own']);
        }
      });
    }
  }

  // matmul_tiled.wgsl stages an operand by vec4 loads where its storage axis (K for A, M for
  // Aᵀ, N for B, K for Bᵀ) and the tile's step along it are multiples of 4 (tiledVec4Loads),
  // else by scalar loads. Shapes where only one operand qualifies, per layout:
  //   [8, 7, 12], [12, 9, 36]: A vec4 (K and M aligned), B only when transposed (N odd);
  //   [7, 8, 9]: A scalar (M, K odd), B only along N; [12, 5, 6]: only Aᵀ (along M);
  //   [13, 12, 4]: K = 4, M prime; [4, 16, 8]: all aligned; [5, 3, 7]: nothing aligned.
  // (A·Bᵀ reads both along K: there they qualify together.) Batches: broadcast either way.
  // K = 4, 8 are partial chunks of tile_k 8 and 16; K = 36 splits into [0, 32) + [32, 36).
  const MIXED: number[][] = [[8, 7, 12, 0, 0], [12, 9, 36, 0, 0], [7, 8, 9, 0, 0], [12, 5, 6, 2, 1], [13, 12, 4, 1, 3], [4, 16, 8, 0, 0], [5, 3, 7, 3, 3]];
  const staged: TiledMatmul[] = [
    { kind: 'tiled', tileM: 16, tileN: 32, tileK: 8, rowsPerThread: 1 },
    { kind: 'tiled', tileM: 64, tileN: 64, tileK: 16, rowsPerThread: 4 },
    { kind: 'tiled', tileM: 6, tileN: 16, tileK: 6, rowsPerThread: 2 }, // steps of 6: A always scalar
  ];
  for (const variant of staged) {
    for (const [split, splitK] of [['', NEVER_SPLIT], [' + split-K', ALWAYS_SPLIT]] as const) {
      it(`${describeVariant(variant)}${split}: vec4 staging loads where the layout allows, scalar elsewhere, every transpose`, async () => {
        const ref = await cpu();
        const { tileM, tileN, tileK } = variant;
        const fits = (length: number, step: number) => (length % 4 === 0 && step % 4 === 0 ? 'vec4' : 'scalar');
        for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          // an engine per layout, so its stats() say which loads that layout used (the
          // pipeline is the device's: compiled once)
          const e = await forced(`staging${split}`, { matmul: [{ variant }], splitK });
          const want = new Set<string>();
          for (const [M, N, K, bA, bB] of MIXED) {
            const [a, b] = operands(M!, N!, K!, bA!, bB!, tA, tB);
            const bias = M === 8 && N === 7; // the epilogue after mixed staging
            const [g, c] = [await matmulOn(e, a, b, tA, tB, bias), await matmulOn(ref, a, b, tA, tB, bias)];
            expectClose(g, c, tol(K!) * 4, tol(K!), `${describeVariant(variant)}${split} ${JSON.stringify({ M, N, K, bA, bB, tA, tB })}`);
            want.add(`${tA ? fits(M!, tileM) : fits(K!, tileK)} ${tB ? fits(K!, tileK) : fits(N!, tileN)}`);
          }
          const used = e.stats().kernels.matmul ?? [];
          expect(new Set(used.map((u) => `${u.loadsA} ${u.loadsB}`))).toEqual(want);
          // both paths of each operand ran, unless the tile's step along its axis is not a
          // multiple of 4 (tile 6x16x6: A always, Bᵀ)
          const paths = (vec4: boolean) => (vec4 ? ['scalar', 'vec4'] : ['scalar']);
          expect([...new Set(used.map((u) => u.loadsA))].sort()).toEqual(paths((tA ? tileM : tileK) % 4 === 0));
          expect([...new Set(used.map((u) => u.loadsB))].sort()).toEqual(paths(!tB || tileK % 4 === 0));
          if (split) expect(e.stats().kernels.matmul_splitk?.some((u) => (u.splits as number) > 1)).toBe(true);
        }
      });
    }
  }

  // A batch of 65,541 products needs as many workgroups in z: past WebGPU's 65,535 per
  // dimension, so src/gpu/matmul.ts folds the grid and lib/tile_grid.wgsl unfolds it. Small
  // tiles keep this fast on SwiftShader (the tiled kernel's 256-invocation tiles would be
  // 17M idle invocations); the fold does not depend on the tile size.
  it('every kind folds its tile grid past 65,535 workgroups', async () => {
    const batch = 65_541;
    const folded: MatmulVariant[] = [VARIANTS[0]!, VARIANTS[2]!, { kind: 'tiled', tileM: 4, tileN: 4, tileK: 4, rowsPerThread: 1 }];
    const ref = await cpu();
    for (const variant of folded) {
      const e = await forced('folded grid', { matmul: [{ variant }], splitK: NEVER_SPLIT });
      for (const [tA, tB] of [[false, false], [true, true]] as const) {
        const [a, b] = operands(4, 4, 8, batch, batch, tA, tB);
        const [g, c] = [await matmulOn(e, a, b, tA, tB, false), await matmulOn(ref, a, b, tA, tB, false)];
        expectClose(g, c, tol(8) * 4, tol(8), `${describeVariant(variant)} batch ${batch} ${JSON.stringify({ tA, tB })}`);
      }
    }
  });

  it('split-K is bit-identical run to run (fixed-order second pass)', async () => {
    for (const variant of [VARIANTS[0]!, VARIANTS[2]!, VARIANTS[4]!]) {
      const e = await forced('split determinism', { matmul: [{ variant }], splitK: ALWAYS_SPLIT });
      const [a, b] = operands(4, 8, 4100, 0, 0, false, true);
      const first = await matmulOn(e, a, b, false, true, true);
      for (let i = 0; i < 3; i++) expect(await matmulOn(e, a, b, false, true, true)).toEqual(first);
    }
  });
});

describe('row ops and reductions: every variant, several rows per workgroup', () => {
  const policies: [string, RowPolicy][] = [
    ['workgroup tree', { maxThreads: 8, colsPerThread: 1, groupThreads: 64, subgroups: false }],
    ['subgroups', { maxThreads: 8, colsPerThread: 1, groupThreads: 64, subgroups: true }],
    ['subgroups, wide rows', { maxThreads: 64, colsPerThread: 1, groupThreads: 128, subgroups: true }],
    ['subgroups, 8 columns per lane', { maxThreads: 4, colsPerThread: 8, groupThreads: 64, subgroups: true }],
    ['workgroup tree, 256 columns per lane', { maxThreads: 4, colsPerThread: 256, groupThreads: 64, subgroups: false }],
    ['short rows, subgroups past 16 columns', { maxThreads: 4, colsPerThread: 256, groupThreads: 64, subgroups: true, shortCols: 16 }],
  ];
  // f32 sums in another order than the f64 reference, with an exp: see ops-softmax.test.ts.
  const sumTol = (n: number) => (48 + 4 * Math.sqrt(n)) * 2 ** -24;
  for (const [name, rows] of policies) {
    it(name, async () => {
      // The axis reductions keep their own layout (ReducePolicy); they run here for coverage.
      const e = await forced(name, { rows });
      const ref = await cpu();
      for (const shape of [[1, 1], [5, 3], [33, 10], [7, 300], [2, 3, 4099]]) {
        const x = randomArray(size(shape), 7, -4, 4);
        const labels = Int32Array.from({ length: size(shape.slice(0, -1)) }, (_, i) => (i * 7) % shape.at(-1)!);
        const targets = randomArray(size(shape), 8, 0, 1);
        const v = randomArray(size(shape), 9);
        // Every row kernel forward and backward: softmax (jvp), log-softmax (its grad), the
        // jvp and its y-gradient, mse / bce / dense CE rows and their target gradients.
        const objective = (en: Engine) => (z: Tensor, d: Tensor, u: Tensor) =>
          en.add(
            en.add(en.mseLoss(en.softmax(z), d), en.binaryCrossEntropy(en.sigmoid(z), d)),
            en.add(en.softmaxCrossEntropy(z, d), en.add(en.sum(en.softmaxJvp(en.softmax(z), u)), en.mean(en.logSoftmax(z)))),
          );
        const run = async (en: Engine) => {
          const [t, d, u] = [en.tensor(x, shape), en.tensor(targets, shape), en.tensor(v, shape)];
          const { value, grads } = await en.valueAndGrad(objective(en))(t, d, u);
          const out = [await en.softmax(t).read(), Float32Array.of(value), ...(await Promise.all(grads.map((g) => g.read())))];
          const { grads: ce } = await en.valueAndGrad((z) => en.softmaxCrossEntropy(z!, labels))(t);
          out.push(await ce[0]!.read());
          // outside a tape: the losses skip their gradient (backwardOnly); [7, 300] takes softmax_vec4
          out.push(await en.softmaxCrossEntropy(t, d).read(), await en.softmaxCrossEntropy(t, labels).read(), await en.mseLoss(t, d).read());
          for (const axis of [0, -1, undefined]) out.push(await en.sum(t, axis).read());
          out.push(await en.max(t, -1).read(), await en.argMax(t, 0).read());
          [...grads, ...ce, t, d, u].forEach((g) => g.dispose());
          return out;
        };
        const [g, c] = [await run(e), await run(ref)];
        const n = size(shape); // the longest sum (everything)
        g.forEach((v, i) => expectClose(v, c[i]!, sumTol(n), sumTol(n), `${name} ${JSON.stringify(shape)} output ${i}`));
        expect(await run(e)).toEqual(g); // bit-identical run to run
      }
      const used = e.stats().kernels;
      const kinds = new Set([...(used.softmax ?? []), ...(used.loss ?? [])].map((u) => u.variant));
      // [1, 1], [5, 3] and [33, 10] are short rows where the policy has them
      expect(kinds.delete('short rows')).toBe(rows.shortCols === 16);
      if (!rows.subgroups || !e.device!.features.has('subgroups')) expect([...kinds]).toEqual(['workgroup tree']);
      else expect([...kinds].every((k) => k.startsWith('subgroup'))).toBe(true);
      expect([...(used.softmax ?? [])].some((u) => (u.groupRows as number) > 1)).toBe(true);
    });
  }
});

describe('short rows: one invocation per row, the row in registers (software table)', () => {
  const sumTol = (n: number) => (48 + 4 * Math.sqrt(n)) * 2 ** -24;
  it('softmax, log-softmax, softmax CE and every backward row kernel on each row length 1..17, with -inf, NaN and +inf in every slot', async () => {
    const ref = await cpu();
    for (let cols = 1; cols <= 17; cols++) {
      const e = await forced(`short rows ${cols}`, {});
      // regular rows: random, one of ±1000-scale logits, one all -inf
      const regular = randomArray(6 * cols, 100 + cols, -6, 6);
      for (let j = 0; j < cols; j++) {
        regular[2 * cols + j]! *= 200;
        regular[5 * cols + j] = -Infinity;
      }
      // special rows: -inf, NaN and +inf at each slot j of a random row
      const special = randomArray(3 * cols * cols, 200 + cols, -6, 6);
      for (let j = 0; j < cols; j++) [-Infinity, NaN, Infinity].forEach((v, k) => (special[(3 * j + k) * cols + j] = v));
      const run = async (en: Engine) => {
        const out: Float32Array[] = [];
        for (const x of [regular, special]) {
          const rows = x.length / cols;
          const t = en.tensor(x, [rows, cols]);
          const labels = Int32Array.from({ length: rows }, (_, i) => (i + 1) % cols);
          const dense = en.tensor(randomArray(x.length, 300 + cols, 0, 1), [rows, cols]);
          out.push(await en.softmax(t).read(), await en.logSoftmax(t).read());
          out.push(await en.softmaxCrossEntropy(t, labels).read(), await en.softmaxCrossEntropy(t, dense, { labelSmoothing: 0.1 }).read());
          const index = await en.valueAndGrad((z) => en.softmaxCrossEntropy(z!, labels, { labelSmoothing: 0.2 }))(t);
          const soft = await en.valueAndGrad((z) => en.softmaxCrossEntropy(z!, dense))(t);
          out.push(Float32Array.of(index.value, soft.value), await index.grads[0]!.read(), await soft.grads[0]!.read());
          // the backward kernels: softmax's (jvp), log-softmax's, softmaxJvp's y-gradient, CE's target gradient
          const u = en.tensor(randomArray(x.length, 400 + cols), [rows, cols]);
          const back = await en.valueAndGrad((z, dd, uu) =>
            en.add(
              en.add(en.sum(en.mul(en.softmax(z!), uu!)), en.sum(en.mul(en.logSoftmax(z!), uu!))),
              en.add(en.sum(en.softmaxJvp(en.softmax(z!), uu!)), en.softmaxCrossEntropy(z!, dd!)),
            ),
          )(t, dense, u);
          out.push(Float32Array.of(back.value), ...(await Promise.all(back.grads.map((g) => g.read()))));
          [t, dense, u, ...index.grads, ...soft.grads, ...back.grads].forEach((g) => g.dispose());
        }
        return out;
      };
      const [g, c] = [await run(e), await run(ref)];
      g.forEach((v, i) => expectClose(v, c[i]!, sumTol(cols), sumTol(cols), `[${regular.length / cols}, ${cols}] output ${i}`));
      const kinds = new Set([...(e.stats().kernels.softmax ?? []), ...(e.stats().kernels.loss ?? [])].map((u) => u.variant));
      expect(kinds.has('short rows')).toBe(cols <= 16);
    }
  });
});

describe('axis reductions: workgroup trees and subgroup lanes', () => {
  // serialOutputs Infinity keeps every output in a tree; maxLanes sets how many lanes: up to
  // 4 (SwiftShader's subgroup size) combine by a butterfly, 64 by subgroups then partials.
  const policies: [string, ReducePolicy][] = [
    ['workgroup tree', { maxLanes: 8, serialOutputs: Infinity, serialRows: false, subgroups: false }],
    ['subgroups, 4 lanes', { maxLanes: 4, serialOutputs: Infinity, serialRows: false, subgroups: true }],
    ['subgroups, 64 lanes', { maxLanes: 64, serialOutputs: Infinity, serialRows: false, subgroups: true }],
  ];
  // f32 sums in another order than the f64 reference (logSumExp adds an exp and a log)
  const sumTol = (n: number) => (48 + 4 * Math.sqrt(n)) * 2 ** -24;
  for (const [name, reduce] of policies) {
    it(name, async () => {
      const e = await forced(name, { reduce });
      const ref = await cpu();
      // rows of 1, 67, 300 and 4099 (1 to 64 lanes), several per workgroup; the column sums
      // (axis 0) take the workgroup tree whatever the policy: their lanes are not neighbours
      for (const shape of [[3, 1], [5, 67], [7, 300], [2, 4099]]) {
        const data = randomArray(size(shape), 11, -4, 4);
        data[shape[1]! + 2] = data[shape[1]! + 5]!; // a tie in row 1: the first index wins
        if (shape[1]! > 50) data[3 * shape[1]! + 40] = NaN; // a NaN row for max/argMax/logSumExp
        const run = async (en: Engine) => {
          const x = en.tensor(data, shape);
          const outs = [en.sum(x, -1), en.mean(x, 0), en.max(x, -1), en.min(x, -1), en.argMax(x, -1), en.argMin(x, -1), en.logSumExp(x, -1), en.variance(x, -1)];
          const values = await Promise.all(outs.map((t) => t.read()));
          [x, ...outs].forEach((t) => t.dispose());
          return values;
        };
        const [g, c] = [await run(e), await run(ref)];
        const n = shape[1]!;
        g.forEach((v, i) => expectClose(v, c[i]!, sumTol(n) * 4, sumTol(n), `${name} ${JSON.stringify(shape)} output ${i}`));
        expect(await run(e)).toEqual(g); // bit-identical run to run
      }
      const variants = new Set((e.stats().kernels.reduce ?? []).filter((u) => (u.lanes as number) > 1 && !u.outputsAdjacent).map((u) => u.variant));
      expect(variants.size).toBeGreaterThan(0);
      if (!reduce.subgroups || !e.device!.features.has('subgroups')) expect([...variants]).toEqual(['workgroup tree']);
      else expect([...variants].every((v) => String(v).startsWith('subgroup'))).toBe(true);
    });
  }
});

describe('profiles', () => {
  const adapter = (vendor: string, architecture: string, description = '', isSoftware = false): AdapterReport =>
    ({ vendor, architecture, device: '', description, isSoftware, subgroupMinSize: 4, subgroupMaxSize: 128 });

  it("'auto' picks the class from the adapter's info", () => {
    expect(profileFor(adapter('google', 'swiftshader', '', true))).toBe('software');
    expect(profileFor(adapter('apple', 'metal-3'))).toBe('integrated');
    expect(profileFor(adapter('intel', 'gen-12lp', 'Intel(R) Iris(R) Xe Graphics'))).toBe('integrated');
    expect(profileFor(adapter('intel', 'xe-hpg', 'Intel(R) Arc(TM) A770'))).toBe('discrete');
    expect(profileFor(adapter('nvidia', 'ampere', 'NVIDIA GeForce RTX 3060'))).toBe('discrete');
    expect(profileFor(adapter('amd', 'rdna-2', 'AMD Radeon(TM) Graphics'))).toBe('integrated');
    expect(profileFor(adapter('amd', 'rdna-3', 'AMD Radeon RX 7900 XTX'))).toBe('discrete');
  });

  it('e.kernelProfile names the profile in effect; an unknown one is refused before any device', async () => {
    const device = (await gpu()).device!;
    for (const profile of ['software', 'integrated', 'discrete'] as const) {
      const e = await createEngine({ backend: 'webgpu', device, profile });
      expect(e.kernelProfile).toBe(profile);
      e.destroy();
    }
    const auto = await createEngine({ backend: 'webgpu', device });
    expect(auto.kernelProfile).toBe(auto.adapterReport!.isSoftware ? 'software' : expect.stringMatching(/integrated|discrete/));
    auto.destroy();
    expect((await cpu()).kernelProfile).toBeNull();
    await expect(createEngine({ backend: 'webgpu', profile: 'fast' as 'auto' })).rejects.toThrow(/unknown profile 'fast'.*'software', 'integrated', 'discrete'/);
  });

  it('the software table: subgroup-shared rows unless over 20% of their 64-column span is idle, then one lane per column of workgroups; scalar for unaligned shapes', () => {
    const p = (M: number, N: number, K: number) => ({ M, N, K, batch: 1, transposeA: false, transposeB: true });
    const label = (M: number, N: number, K: number) => describeVariant(profileMatmul(PROFILES.software, p(M, N, K)));
    expect(label(128, 128, 784)).toBe('vec4 32x16 wg 4x1 shared A');
    expect(label(36864, 64, 28)).toBe('vec4 32x16 wg 4x1 shared A');
    expect(label(4096, 52, 500)).toBe('vec4 32x16 wg 4x1 shared A');   // 12 of 64 idle
    expect(label(4096, 48, 500)).toBe('vec4 32x16 wg 1x4');            // 16 of 64
    expect(label(128, 784, 128)).toBe('vec4 32x16 wg 4x1 shared A');   // 48 of 832
    expect(label(36864, 20, 28)).toBe('vec4 32x16 wg 1x4');
    expect(label(128, 10, 128)).toBe('vec4 32x16 wg 1x4');   // B transposed: read along K, any N
    expect(label(128, 10, 127)).toBe('scalar 16x8 wg 8x4');
  });

  it('stats().kernels records each family with its parameters', async () => {
    const device = (await gpu()).device!;
    const e = await createEngine({ backend: 'webgpu', device, profile: 'discrete' });
    expect(e.stats().kernels).toEqual({});
    const a = e.tensor(randomArray(64 * 32, 1), [64, 32]);
    await e.softmax(e.matmul(a, a, { transposeB: true })).read();
    const k = e.stats().kernels;
    expect(k.matmul).toEqual([{ variant: 'tiled', tileM: 64, tileN: 64, tileK: 16, rowsPerThread: 4, loadsA: 'vec4', loadsB: 'vec4', label: 'tiled 64x64x16 4x4/inv' }]);
    expect(k.softmax?.[0]).toMatchObject({ rowThreads: 64, groupRows: 2 });
    e.destroy();
  });
});
