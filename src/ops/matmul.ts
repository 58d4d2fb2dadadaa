// Batched matrix multiply C[b] = op(A[b])·op(B[b]) (+ bias row, then an activation), op =
// identity or transpose per operand. Rank 2 ([M, K]·[K, N]) or rank 3 with batch broadcast
// (a batch-1 operand is reused for every batch). The affine layer Z = X·Wᵀ + b is
// matmul(X, W, { transposeB: true, bias: b }), and its backward needs the other transposes:
// dX = dZ·W, dW = dZᵀ·X, db = Σ_rows dZ.

import { matmulCpu, type MatmulParams } from '../cpu/matmul';
import type { ActivationKind } from '../cpu/activation';
import type { OpDef, OpRunner } from './op';
import { fmt, type Shape, type Tensor } from './tensor';
import { activationCode, checkActivation } from './elementwise';
import { sumToShape } from './reduce';
import { dispatchMatmul } from '../gpu/matmul';

export interface MatmulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  /** Applied after the bias, in the same kernel. Differentiable where f' follows from the
   *  output alone (fusedGradFromOutput); otherwise the engine splits the activation into its
   *  own op while gradients are recorded. */
  activation: ActivationKind;
  alpha: number;
  /** Subgradient of relu / leaky relu at exactly 0 (the engine's reluGradAtZero). */
  gradAtZero: 0 | 1;
}

/** Can the backward of a fused activation take f' from the output y = f(z) alone? sigmoid
 *  y(1-y) and tanh 1-y² always; relu when its subgradient at 0 is 0 (y > 0 exactly when
 *  z > 0; y = 0 for all z <= 0); leaky relu with a positive slope (y has z's sign, 0 only at
 *  0). Not softplus (f' = sigmoid(z)), nor relu with gradAtZero 1 (z = 0 and z < 0 both
 *  give y = 0). */
export function fusedGradFromOutput({ activation, alpha, gradAtZero }: Pick<MatmulAttrs, 'activation' | 'alpha' | 'gradAtZero'>): boolean {
  switch (activation) {
    case 'identity':
    case 'sigmoid':
    case 'tanh':
      return true;
    case 'relu':
      return gradAtZero === 0;
    case 'leakyRelu':
      return alpha > 0;
    case 'softplus':
      return false;
  }
}

/** The CPU reference's parameters (transposes included) plus the output shape. */
type Dims = MatmulParams & { out: Shape };

function dims(a: Shape, b: Shape, bias: Shape | undefined, { transposeA, transposeB }: MatmulAttrs): Dims {
  const desc = `matmul: A ${fmt(a)}${transposeA ? 'ᵀ' : ''} · B ${fmt(b)}${transposeB ? 'ᵀ' : ''}`;
  if ((a.length !== 2 && a.length !== 3) || (b.length !== 2 && b.length !== 3)) {
    throw new Error(`${desc}: operands must have rank 2 ([M, K]) or 3 ([batch, M, K])`);
  }
  const [ar, ac] = a.slice(-2) as [number, number];
  const [br, bc] = b.slice(-2) as [number, number];
  const [M, K] = transposeA ? [ac, ar] : [ar, ac];
  const [K2, N] = transposeB ? [bc, br] : [br, bc];
  if (K !== K2) throw new Error(`${desc}: inner dimensions differ (${K} vs ${K2})`);
  const ab = a.length === 3 ? a[0]! : 1;
  const bb = b.length === 3 ? b[0]! : 1;
  if (ab !== bb && ab !== 1 && bb !== 1) throw new Error(`${desc}: batch sizes ${ab} and ${bb} differ (one may be 1 to broadcast)`);
  const batch = Math.max(ab, bb);
  if (bias && (bias.length !== 1 || bias[0] !== N)) throw new Error(`${desc}: bias has shape ${fmt(bias)}, expected [${N}]`);
  const out = a.length === 3 || b.length === 3 ? [batch, M, N] : [M, N];
  return { batch, M, N, K, aBatched: ab > 1, bBatched: bb > 1, transposeA, transposeB, out };
}

export const matmul: OpDef<MatmulAttrs> = {
  name: 'matmul',
  outputs: ([a, b, bias], attrs) => [dims(a!, b!, bias, attrs).out],
  cpu([a, b, bias], [sa, sb, sbias], attrs) {
    return [matmulCpu(a!, b!, dims(sa!, sb!, sbias, attrs), { bias, activation: attrs.activation, alpha: attrs.alpha })];
  },
  gpu(q, [a, b, bias], [c], [sa, sb, sbias], attrs) {
    dispatchMatmul(q, { a: a!, b: b!, bias, c: c! }, dims(sa!, sb!, sbias, attrs), activationCode[attrs.activation], attrs.alpha);
  },
  // dZ = dC ⊙ f'(C) (f' from the saved output, as activationGrad with C for both z and f(z):
  // see fusedGradFromOutput); dA = dZ·op(B)ᵀ and dB = op(A)ᵀ·dZ, written for each stored
  // layout; db = Σ_rows dZ.
  backward({ ops, inputs: [a, b, bias], outputs: [c], dy: dc, attrs, needsGrad }) {
    if (!fusedGradFromOutput(attrs)) {
      throw new Error(`matmul: the gradient of a fused ${attrs.activation} epilogue (alpha ${attrs.alpha}, gradAtZero ${attrs.gradAtZero}) needs its input; the engine runs it as a separate op while recording`);
    }
    const { transposeA: tA, transposeB: tB } = attrs;
    const dy = attrs.activation === 'identity' ? dc : ops.run1('activationGrad', [c!, c!, dc], { kind: attrs.activation, alpha: attrs.alpha, gradAtZero: attrs.gradAtZero });
    const mm = (x: Tensor, y: Tensor, transposeA: boolean, transposeB: boolean) =>
      ops.run1('matmul', [x, y], { transposeA, transposeB, activation: 'identity', alpha: 0, gradAtZero: 0 });
    const da = needsGrad[0] ? sumToShape(ops, tA ? mm(b!, dy, tB, true) : mm(dy, b!, false, !tB), a!.shape) : null;
    const db = needsGrad[1] ? sumToShape(ops, tB ? mm(dy, a!, true, tA) : mm(a!, dy, !tA, false), b!.shape) : null;
    const dbias = bias && needsGrad[2] ? sumToShape(ops, dy, bias.shape) : null;
    return [da, db, dbias];
  },
};

/** Options of {@link Engine.matmul}. */
export interface MatmulOptions {
  /** Use A transposed: a is stored [K, M] (or [batch, K, M]). Default false. */
  transposeA?: boolean;
  /** Use B transposed: b is stored [N, K] (or [batch, N, K]), as a PyTorch Linear weight
   *  [out, in]. Default false. */
  transposeB?: boolean;
  /** A row [N] added to every row of the result. */
  bias?: Tensor;
  /** Applied after the bias, fused into the matmul kernel (see {@link Engine.matmul}):
   *  'identity' (default) or the engine's activation method of that name. */
  activation?: ActivationKind;
  /** leakyRelu slope (default 0.01). */
  alpha?: number;
}

/** Throws unless `opts` is an object whose activation (if any) is known and whose alpha (if
 *  any) is a finite number: checked before any GPU work (matmul, conv2d). */
export function checkEpilogue(op: string, opts: Pick<MatmulOptions, 'activation' | 'alpha'>): void {
  if (opts === null || typeof opts !== 'object') throw new Error(`${op}: options must be an object, got ${String(opts)}`);
  if (opts.activation !== undefined) checkActivation(op, opts.activation);
  if (opts.alpha !== undefined && (typeof opts.alpha !== 'number' || !Number.isFinite(opts.alpha))) {
    throw new Error(`${op}: alpha must be a finite number, got ${String(opts.alpha)}`);
  }
}

/** matmul with the public options. The activation stays fused (one kernel, forward and
 *  backward) unless gradients are being recorded and its derivative needs the pre-activation
 *  (fusedGradFromOutput): then it runs as its own op. */
export function runMatmul(ops: OpRunner, recording: boolean, a: Tensor, b: Tensor, opts: MatmulOptions, gradAtZero: 0 | 1, activationOp: (z: Tensor) => Tensor): Tensor {
  checkEpilogue('matmul', opts);
  for (const flag of ['transposeA', 'transposeB'] as const) {
    if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') throw new Error(`matmul: ${flag} must be true or false, got ${String(opts[flag])}`);
  }
  const attrs: MatmulAttrs = {
    transposeA: opts.transposeA ?? false,
    transposeB: opts.transposeB ?? false,
    activation: opts.activation ?? 'identity',
    alpha: opts.alpha ?? 0.01,
    gradAtZero,
  };
  const inputs = opts.bias ? [a, b, opts.bias] : [a, b];
  if (recording && !fusedGradFromOutput(attrs)) {
    return activationOp(ops.run1('matmul', inputs, { ...attrs, activation: 'identity' }));
  }
  return ops.run1('matmul', inputs, attrs);
}
