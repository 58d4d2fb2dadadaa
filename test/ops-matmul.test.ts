// matmul: GPU against the CPU reference on awkward shapes (1, primes, non-multiples of the
// 16×8 register tile, K = 4099), every transpose combination, batch broadcast, and the fused
// bias + activation epilogue; its gradients by finite differences.

import { describe, expect, it } from 'vitest';
import { cpu, expectClose, f64, gpu, randomArray, testProfile } from './backends';
import { checkGradients } from './gradcheck';
import { createEngine, type Engine, type Tensor } from '../src/index';
import type { ActivationKind } from '../src/cpu/activation';

// Each output is a K-term f32 dot product accumulated in a different order on each backend
// (GPU: sequential f32; CPU: f64 then rounded). With |a|, |b| <= 1 the f32 rounding error is
// at most ~K·2^-24 in the worst case and ~sqrt(K)·2^-24 typically; 4·sqrt(K)·2^-24 + K·2^-30
// bounds what we observe with a margin while still catching any wrong index (errors ~O(1)).
const tol = (K: number) => 4 * Math.sqrt(K) * 2 ** -24 + K * 2 ** -30 + 1e-7;

interface Case {
  a: number[];
  b: number[];
  tA?: boolean;
  tB?: boolean;
}

function stored(M: number, N: number, K: number, batchA: number, batchB: number, tA: boolean, tB: boolean): Case {
  const a = tA ? [K, M] : [M, K];
  const b = tB ? [N, K] : [K, N];
  return { a: batchA ? [batchA, ...a] : a, b: batchB ? [batchB, ...b] : b, tA, tB };
}

async function compare(c: Case, opts: { bias?: boolean; activation?: ActivationKind } = {}): Promise<void> {
  const run = async (e: Engine) => {
    const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
    const a = e.tensor(randomArray(size(c.a), 1), c.a);
    const b = e.tensor(randomArray(size(c.b), 2), c.b);
    const N = c.tB ? c.b.at(-2)! : c.b.at(-1)!;
    const bias = opts.bias ? e.tensor(randomArray(N, 3), [N]) : undefined;
    const out = e.matmul(a, b, { transposeA: c.tA, transposeB: c.tB, bias, activation: opts.activation, alpha: 0.1 });
    const v = { shape: out.shape, data: await out.read() };
    [a, b, out, bias].forEach((t) => t?.dispose());
    return v;
  };
  const [g, r] = [await run(await gpu()), await run(await cpu())];
  expect(g.shape).toEqual(r.shape);
  const K = c.tA ? c.a.at(-2)! : c.a.at(-1)!;
  expectClose(g.data, r.data, tol(K) * 4, tol(K), `matmul ${JSON.stringify(c)} ${JSON.stringify(opts)}`);
}

describe('matmul: GPU vs CPU', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [7, 13, 1],
    [13, 7, 127],
    [17, 9, 33],
    [127, 129, 31],
    [16, 8, 8],
    [3, 5, 4099],
  ];
  for (const [M, N, K] of shapes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        it(`M=${M} N=${N} K=${K}${tA ? ' Aᵀ' : ''}${tB ? ' Bᵀ' : ''}`, () => compare(stored(M, N, K, 0, 0, tA, tB)));
      }
    }
  }

  it('batched, with a batch-1 operand broadcast on either side, every transpose', async () => {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        await compare(stored(9, 11, 5, 3, 3, tA, tB));
        await compare(stored(9, 11, 5, 3, 0, tA, tB));
        await compare(stored(9, 11, 5, 1, 4, tA, tB));
      }
    }
    await compare(stored(1, 1, 1, 1, 1, false, false));
  });

  for (const activation of ['identity', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'softplus'] as const) {
    // K = 37 takes the scalar tile; K % 4 == 0 the vec4 tile, whose epilogue stores whole
    // column quads unchecked and checks each column of a partial one (N = 22: 2 of 4 columns).
    it(`fused bias + ${activation}`, async () => {
      await compare(stored(19, 23, 37, 0, 0, false, true), { bias: true, activation });
      await compare(stored(37, 22, 12, 0, 0, false, true), { bias: true, activation });
      await compare(stored(33, 20, 8, 0, 0, false, false), { bias: true, activation });
    });
  }

  it('large activations stay finite and exact at the extremes', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const x = e.tensor([100, -100], [2, 1]);
      const w = e.tensor([1], [1, 1]);
      const read = async (activation: ActivationKind) => Array.from(await e.matmul(x, w, { activation }).read());
      // e^-100 ≈ 3.7e-44 is subnormal: the CPU keeps it, the GPU may flush it, and the
      // denormal contract compares |x| < FLT_MIN as 0 (test/nonfinite.test.ts tests that).
      const tiny = Math.exp(-100);
      expectClose(await read('sigmoid'), [1, tiny / (1 + tiny)], 0, 0, 'sigmoid ±100');
      expect(await read('tanh')).toEqual([1, -1]);
      expectClose(await read('softplus'), [100, Math.log1p(tiny)], 0, 0, 'softplus ±100');
    }
  });
});

describe('matmul gradients (CPU, f64, finite differences)', () => {
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`dA, dB, dbias with${tA ? ' Aᵀ' : ''}${tB ? ' Bᵀ' : ''}, batched with broadcast`, async () => {
      const e = await cpu('f64');
      const c = stored(3, 4, 5, 2, 0, tA, tB);
      const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const w = e.tensor(Float64Array.from(randomArray(2 * 3 * 4, 9)), [2, 3, 4]);
      await checkGradients(e, (a, b, bias) => e.sum(e.mul(e.matmul(a!, b!, { transposeA: tA, transposeB: tB, bias: bias!, activation: 'tanh' }), w)), [
        { data: Float64Array.from(randomArray(n(c.a), 4)), shape: c.a },
        { data: Float64Array.from(randomArray(n(c.b), 5)), shape: c.b },
        { data: Float64Array.from(randomArray(4, 6)), shape: [4] },
      ]);
    });
  }
});

describe('fused bias + activation under gradients', () => {
  const cases: [ActivationKind, number, 0 | 1, boolean][] = [
    // kind, alpha, reluGradAtZero, stays fused (f' from the output alone)
    ['sigmoid', 0.01, 0, true],
    ['tanh', 0.01, 0, true],
    ['relu', 0.01, 0, true],
    ['leakyRelu', 0.2, 0, true],
    ['leakyRelu', 0.2, 1, true],
    ['relu', 0.01, 1, false],
    ['leakyRelu', -0.5, 0, false],
    ['softplus', 0.01, 0, false],
  ];
  const shapes = { a: [5, 7], b: [6, 7], bias: [6] };
  for (const [activation, alpha, gradAtZero, fused] of cases) {
    const name = `${activation}${activation === 'leakyRelu' ? ` α=${alpha}` : ''}, relu'(0)=${gradAtZero}: ${fused ? 'one kernel' : 'split off'}`;
    it(name, async () => {
      const act = (e: Engine, z: Tensor) =>
        activation === 'leakyRelu' ? e.leakyRelu(z, alpha) : e[activation as 'sigmoid' | 'tanh' | 'relu' | 'softplus'](z);
      // the loss Σ w ⊙ act(a·bᵀ + bias), fused by the engine or written as two ops
      const loss = (e: Engine, w: Tensor, split: boolean) => (a: Tensor, b: Tensor, bias: Tensor) =>
        e.sum(e.mul(split ? act(e, e.matmul(a, b, { transposeB: true, bias })) : e.matmul(a, b, { transposeB: true, bias, activation, alpha }), w));
      // finite differences on the CPU in f64 (h = 1e-5 stays clear of relu's kink at 0 here)
      const ref = await createEngine({ backend: 'cpu', precision: 'f64', reluGradAtZero: gradAtZero });
      const w64 = ref.tensor(f64(30, 9), [5, 6]);
      await checkGradients(ref, (a, b, bias) => loss(ref, w64, false)(a!, b!, bias!), [
        { data: f64(35, 4), shape: shapes.a },
        { data: f64(42, 5), shape: shapes.b },
        { data: f64(6, 6), shape: shapes.bias },
      ]);
      const grads = async (e: Engine, split: boolean) => {
        const inputs = [e.tensor(randomArray(35, 4), shapes.a), e.tensor(randomArray(42, 5), shapes.b), e.tensor(randomArray(6, 6), shapes.bias)];
        const w = e.tensor(randomArray(30, 9), [5, 6]);
        const before = e.stats().queue.dispatches;
        const { grads: g } = await e.valueAndGrad(loss(e, w, split))(...(inputs as [Tensor, Tensor, Tensor]));
        const dispatches = e.stats().queue.dispatches - before;
        const out = await Promise.all(g.map((t) => t.read()));
        [...g, ...inputs, w].forEach((t) => t.dispose());
        return { out, dispatches };
      };
      const device = (await gpu()).device!;
      const onGpu = await createEngine({ backend: 'webgpu', device, profile: testProfile, reluGradAtZero: gradAtZero });
      const onCpu = await createEngine({ backend: 'cpu', reluGradAtZero: gradAtZero });
      const [g, c] = [await grads(onGpu, false), await grads(onCpu, false)];
      // 7-term products, an f32 derivative, 5- or 6-term sums: errors ~1e-7, far below 1e-5
      g.out.forEach((v, i) => expectClose(v, c.out[i]!, 1e-5, 1e-5, `${name} gradient ${i}`));
      // fused, the forward is one dispatch fewer than matmul followed by the activation op
      const split = await grads(onGpu, true);
      expect(g.dispatches).toBe(fused ? split.dispatches - 1 : split.dispatches);
      onGpu.destroy();
    });
  }
});

describe('matmul: bad input', () => {
  it('names the op, the shapes and what was expected, before any GPU work', async () => {
    for (const e of [await gpu(), await cpu()]) {
      const before = e.stats().queue.dispatches;
      const a = e.tensor(new Float32Array(6), [2, 3]);
      const b = e.tensor(new Float32Array(8), [4, 2]);
      expect(() => e.matmul(a, b)).toThrow(/matmul: A \[2, 3\] · B \[4, 2\]: inner dimensions differ \(3 vs 4\)/);
      expect(() => e.matmul(a, e.tensor(new Float32Array(3), [3]))).toThrow(/operands must have rank 2 \(\[M, K\]\) or 3/);
      expect(() => e.matmul(e.tensor(new Float32Array(12), [2, 2, 3]), e.tensor(new Float32Array(27), [3, 3, 3]))).toThrow(/batch sizes 2 and 3 differ/);
      expect(() => e.matmul(a, e.tensor(new Float32Array(6), [3, 2]), { bias: e.tensor([1, 2, 3], [3]) })).toThrow(/bias has shape \[3\], expected \[2\]/);
      // epilogue options: an unknown activation reached pipeline creation as a TypeError
      const c = e.tensor(new Float32Array(9), [3, 3]);
      expect(() => e.matmul(c, c, { activation: 'gelu' as never })).toThrow(/matmul: unknown activation 'gelu' \(expected one of identity, sigmoid, tanh, relu, leakyRelu, softplus\)/);
      expect(() => e.matmul(c, c, { transposeB: 1 as never })).toThrow(/matmul: transposeB must be true or false, got 1/);
      expect(() => e.matmul(c, c, { activation: 'leakyRelu', alpha: NaN })).toThrow(/matmul: alpha must be a finite number, got NaN/);
      expect(e.stats().queue.dispatches).toBe(before);
    }
  });
});
