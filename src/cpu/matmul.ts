// Batched matrix multiply with optional transposes, batch broadcast and a fused epilogue
// (bias row + activation): the CPU twin of the GPU matmul kernel.
//
//   C[b] = act(op(A[b]) · op(B[b]) + bias),   op(X) = X or Xᵀ
//
// Storage is row-major. A is [batchA, M, K], or [batchA, K, M] when transposeA; B is
// [batchB, K, N], or [batchB, N, K] when transposeB; batchX is `batch` when xBatched, else
// 1 and that operand is reused for every batch (broadcast). C is [batch, M, N].
//
// With these flags the affine layer Z = X·Wᵀ + b (W is [out, in]) and its backward
// dX = dZ·W, dW = dZᵀ·X are single calls, and a broadcast operand's gradient (summed over
// the batch) is a transposeA call on the batch folded into the rows.
//
// Speed (it trains MNIST MLPs on the CPU backend): loops run over contiguous memory.
// Without transposeB the order is i-k-j (scalars of A times rows of B into a row of C,
// four k per pass so each C element is loaded and stored once per four multiply-adds);
// with transposeB each C[i, j] is a dot product of two contiguous rows of length K, four
// j per pass, with a row of Aᵀ gathered once per i when transposeA as well. Sums are f64;
// their order differs from a naive loop only by f64 rounding. Every product is computed
// (zeros are not skipped), so Inf and NaN propagate as IEEE arithmetic says.

import { activationCpu, type ActivationKind } from './activation';
import { assertDims, assertLength, type Vec } from './types';

export interface MatmulParams {
  batch: number;
  M: number;
  N: number;
  K: number;
  aBatched: boolean;
  bBatched: boolean;
  transposeA: boolean;
  transposeB: boolean;
}

export interface MatmulEpilogue {
  /** Row vector of length N added to every row of every C[b]. */
  bias?: Vec;
  /** Activation applied after the bias (default identity). */
  activation?: ActivationKind;
  /** Leaky ReLU slope (default 0.01). */
  alpha?: number;
}

// C[b,i,j] = act(Σ_k op(A)[b,i,k] · op(B)[b,k,j] + bias[j])
export function matmulCpu(a: Vec, b: Vec, p: MatmulParams, epilogue?: MatmulEpilogue): Vec {
  const { batch, M, N, K, aBatched, bBatched, transposeA, transposeB } = p;
  assertDims('matmulCpu', { batch, M, N, K });
  const batchA = aBatched ? batch : 1;
  const batchB = bBatched ? batch : 1;
  assertLength('matmulCpu', transposeA ? 'A [batchA, K, M]' : 'A [batchA, M, K]', a, batchA * M * K);
  assertLength('matmulCpu', transposeB ? 'B [batchB, N, K]' : 'B [batchB, K, N]', b, batchB * K * N);
  const bias = epilogue?.bias;
  if (bias !== undefined) assertLength('matmulCpu', 'bias', bias, N);

  const out = new Float64Array(batch * M * N);
  const aRow = transposeA && transposeB ? new Float64Array(K) : undefined;
  for (let bt = 0; bt < batch; bt++) {
    const aOff = aBatched ? bt * M * K : 0;
    const bOff = bBatched ? bt * K * N : 0;
    const cOff = bt * M * N;
    if (!transposeB) {
      // i-k-j: C[i, :] += op(A)[i, k] · B[k, :]
      // op(A)[i, k] is A[i*K + k], or A[k*M + i] when transposed (a strided scalar read,
      // M·K of them against M·K·N multiply-adds).
      const aStrideI = transposeA ? 1 : K;
      const aStrideK = transposeA ? M : 1;
      for (let i = 0; i < M; i++) {
        const cRow = cOff + i * N;
        const aBase = aOff + i * aStrideI;
        let k = 0;
        // four rows of B per pass: one load/store of C[i, j] per four multiply-adds
        for (; k + 4 <= K; k += 4) {
          const a0 = a[aBase + k * aStrideK]!;
          const a1 = a[aBase + (k + 1) * aStrideK]!;
          const a2 = a[aBase + (k + 2) * aStrideK]!;
          const a3 = a[aBase + (k + 3) * aStrideK]!;
          const b0 = bOff + k * N;
          const b1 = b0 + N;
          const b2 = b1 + N;
          const b3 = b2 + N;
          for (let j = 0; j < N; j++) {
            out[cRow + j]! += a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!;
          }
        }
        for (; k < K; k++) {
          const aik = a[aBase + k * aStrideK]!;
          const bRow = bOff + k * N;
          for (let j = 0; j < N; j++) out[cRow + j]! += aik * b[bRow + j]!;
        }
      }
    } else {
      // dot products: C[i, j] = Σ_k op(A)[i, k] · B[j, k], both rows contiguous in k
      for (let i = 0; i < M; i++) {
        let src: Vec = a;
        let aBase = aOff + i * K;
        if (aRow !== undefined) {
          for (let k = 0; k < K; k++) aRow[k] = a[aOff + k * M + i]!;
          src = aRow;
          aBase = 0;
        }
        const cRow = cOff + i * N;
        let j = 0;
        // four columns of C per pass: each element of the A row is loaded once for four
        for (; j + 4 <= N; j += 4) {
          const b0 = bOff + j * K;
          const b1 = b0 + K;
          const b2 = b1 + K;
          const b3 = b2 + K;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let k = 0; k < K; k++) {
            const aik = src[aBase + k]!;
            s0 += aik * b[b0 + k]!;
            s1 += aik * b[b1 + k]!;
            s2 += aik * b[b2 + k]!;
            s3 += aik * b[b3 + k]!;
          }
          out[cRow + j] = s0;
          out[cRow + j + 1] = s1;
          out[cRow + j + 2] = s2;
          out[cRow + j + 3] = s3;
        }
        for (; j < N; j++) {
          const bRow = bOff + j * K;
          let s = 0;
          for (let k = 0; k < K; k++) s += src[aBase + k]! * b[bRow + k]!;
          out[cRow + j] = s;
        }
      }
    }
  }

  if (bias !== undefined && N > 0) {
    for (let r = 0; r < batch * M; r++) {
      const row = r * N;
      for (let j = 0; j < N; j++) out[row + j]! += bias[j]!;
    }
  }
  const act = epilogue?.activation ?? 'identity';
  return act === 'identity' ? out : activationCpu(act, out, epilogue?.alpha ?? 0.01);
}
