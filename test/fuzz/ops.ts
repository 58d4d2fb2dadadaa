// The fuzzer's op table: one entry per public op (or op variant), each saying how to add the
// op to a random graph: which existing nodes it takes (or which new leaves it makes), with
// which attributes, and where its kinks are. Adding an op to the engine means adding an
// entry here (the `every public op is in the table` test names any Engine method missing).
//
// An entry's add() picks inputs with the GraphBuilder (graph.ts) and calls g.op(...) with a
// closure that applies the op on any engine; the builder runs it at once on the CPU engine to
// learn the output shape, so shape rules are never copied here. Entries return false when the
// graph has nothing they can use; the builder then tries another entry.
//
// Kinks: where an op's output or gradient jumps (relu at 0, the arg-max of max, the BCE
// clamp), backends that round differently may legitimately decide differently for inputs
// within rounding of the kink. `kink` tells the fuzzer which node's values decide, and how;
// a case whose backends decide differently is counted as ambiguous, not compared.

import type { Engine, Tensor } from '../../src/index';
import type { GraphBuilder, KinkRule } from './graph';

export interface FuzzOp {
  /** The Engine methods it exercises (for the coverage test). */
  readonly covers: readonly string[];
  add(g: GraphBuilder): boolean;
}

const unary = (name: 'sigmoid' | 'tanh' | 'softplus'): FuzzOp => ({
  covers: [name],
  add: (g) => (g.op(name, [g.pick()], (e, [x]) => e[name](x!)), true),
});

/** relu and leaky relu (alpha 0.01 or 0.2): kinked at 0. */
const rectifier: FuzzOp = {
  covers: ['relu', 'leakyRelu'],
  add(g) {
    const x = g.pick();
    const kink: KinkRule = { node: x, rule: 'sign' };
    if (g.rng.next() < 0.5) g.op('relu', [x], (e, [a]) => e.relu(a!), kink);
    else {
      const alpha = g.choose([0.01, 0.2]);
      g.op(`leakyRelu(α=${alpha})`, [x], (e, [a]) => e.leakyRelu(a!, alpha), kink);
    }
    return true;
  },
};

const scale: FuzzOp = {
  covers: ['scale'],
  add(g) {
    const c = g.choose([-1.5, 0.5, 3]);
    g.op(`scale(${c})`, [g.pick()], (e, [x]) => e.scale(x!, c));
    return true;
  },
};

/** add, sub, mul with equal shapes, a trailing-suffix operand, or a scalar, either way round. */
const binary: FuzzOp = {
  covers: ['add', 'sub', 'mul'],
  add(g) {
    const name = g.choose(['add', 'sub', 'mul'] as const);
    const a = g.pick();
    const partner = g.broadcastPartner(g.shape(a));
    const b = g.pickShaped(partner) ?? g.leaf(partner);
    const [x, y] = g.rng.next() < 0.5 ? [a, b] : [b, a];
    g.op(name, [x, y], (e, [p, q]) => e[name](p!, q!));
    return true;
  },
};

/** sum, mean, max over everything or one axis (negative axes too); max is kinked at ties. */
const reduction: FuzzOp = {
  covers: ['sum', 'mean', 'max'],
  add(g) {
    const name = g.choose(['sum', 'mean', 'max'] as const);
    const x = g.pick();
    const r = g.shape(x).length;
    const axis = r === 0 || g.rng.next() < 0.3 ? undefined : g.rng.nextInt(2 * r) - r;
    g.op(`${name}(axis ${axis})`, [x], (e, [t]) => e[name](t!, axis), name === 'max' ? { node: x, rule: 'argmax', axis } : undefined);
    return true;
  },
};

const argMax: FuzzOp = {
  covers: ['argMax'],
  add(g) {
    const x = g.pick((s) => s.length >= 1);
    if (x === null) return false;
    const r = g.shape(x).length;
    const axis = g.rng.nextInt(2 * r) - r;
    g.op(`argMax(axis ${axis})`, [x], (e, [t]) => e.argMax(t!, axis), { node: x, rule: 'argmax', axis });
    return true;
  },
};

const reshape: FuzzOp = {
  covers: ['reshape'],
  add(g) {
    const x = g.pick();
    const shape = g.factorShape(g.size(x));
    g.op(`reshape([${shape}])`, [x], (e, [t]) => e.reshape(t!, shape));
    return true;
  },
};

const softmaxRows: FuzzOp = {
  covers: ['softmax', 'logSoftmax'],
  add(g) {
    const x = g.pick((s) => s.length >= 1);
    if (x === null) return false;
    const name = g.choose(['softmax', 'logSoftmax'] as const);
    g.op(name, [x], (e, [t]) => e[name](t!));
    return true;
  },
};

/** softmaxJvp(softmax(z), v): y must be a softmax output for the Jacobian to mean anything. */
const softmaxJvp: FuzzOp = {
  covers: ['softmaxJvp'],
  add(g) {
    const z = g.pick((s) => s.length >= 1);
    if (z === null) return false;
    const y = g.op('softmax', [z], (e, [t]) => e.softmax(t!));
    const v = g.pickShaped(g.shape(z)) ?? g.leaf(g.shape(z));
    g.op('softmaxJvp', [y, v], (e, [p, q]) => e.softmaxJvp(p!, q!));
    return true;
  },
};

/**
 * matmul: rank 2 or batched rank 3 (a batch-1 operand broadcasts, on either side), every
 * transpose, optional bias and fused activation. A kinked activation gets a probe node (the
 * same product without it) whose values decide the kink.
 */
const matmul: FuzzOp = {
  covers: ['matmul'],
  add(g) {
    const tA = g.rng.next() < 0.5;
    const tB = g.rng.next() < 0.5;
    const a = g.pick((s) => s.length === 2 || s.length === 3) ?? g.leaf(g.randomShape(2 + g.rng.nextInt(2)));
    const sa = g.shape(a);
    const [rows, cols] = sa.slice(-2) as [number, number];
    const [M, K] = tA ? [cols, rows] : [rows, cols];
    const N = g.dim();
    // B's batch: none (rank 2), A's batch, or 1 / any batch against A's batch of 1 (broadcast).
    const batchA = sa.length === 3 ? sa[0]! : 1;
    let bBatch: number[] = [];
    if (g.rng.next() < (sa.length === 3 ? 0.7 : 0.3)) bBatch = [batchA > 1 ? g.choose([batchA, 1]) : g.dim()];
    const b = g.leaf([...bBatch, ...(tB ? [N, K] : [K, N])]);
    const bias = g.rng.next() < 0.5 ? g.leaf([N]) : null;
    const activation = g.choose(['identity', 'identity', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'softplus'] as const);
    const inputs = bias === null ? [a, b] : [a, b, bias];
    const opts = (e: Engine, xs: Tensor[]) => ({ transposeA: tA, transposeB: tB, bias: xs[2], alpha: 0.1 });
    const label = `matmul(${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'}${bias === null ? '' : ' + bias'}, ${activation})`;
    let kink: KinkRule | undefined;
    if (activation === 'relu' || activation === 'leakyRelu') {
      const probe = g.op(`${label} before ${activation}`, inputs, (e, xs) => e.matmul(xs[0]!, xs[1]!, opts(e, xs)), undefined, true);
      kink = { node: probe, rule: 'sign' };
    }
    g.op(label, inputs, (e, xs) => e.matmul(xs[0]!, xs[1]!, { ...opts(e, xs), activation }), kink);
    return true;
  },
};

/** mseLoss(y, d) and softmaxCrossEntropy(z, class indices or target rows, label smoothing). */
const loss: FuzzOp = {
  covers: ['mseLoss', 'softmaxCrossEntropy'],
  add(g) {
    const y = g.pick((s) => s.length >= 1);
    if (y === null) return false;
    const shape = g.shape(y);
    if (g.rng.next() < 0.4) {
      const d = g.pickShaped(shape) ?? g.leaf(shape);
      g.op('mseLoss', [y, d], (e, [p, q]) => e.mseLoss(p!, q!));
      return true;
    }
    const alpha = g.choose([0, 0.1]);
    const cols = shape.at(-1)!;
    if (g.rng.next() < 0.5) {
      const labels = Int32Array.from({ length: g.size(y) / cols }, () => g.rng.nextInt(cols));
      g.op(`softmaxCrossEntropy(labels [${labels}], α=${alpha})`, [y], (e, [z]) => e.softmaxCrossEntropy(z!, labels, { labelSmoothing: alpha }));
    } else {
      const d = g.leaf(shape, 'unit');
      g.op(`softmaxCrossEntropy(target rows, α=${alpha})`, [y, d], (e, [z, t]) => e.softmaxCrossEntropy(z!, t!, { labelSmoothing: alpha }));
    }
    return true;
  },
};

/** binaryCrossEntropy(sigmoid(x), d): probabilities from a sigmoid node, kinked at the clamp. */
const bce: FuzzOp = {
  covers: ['binaryCrossEntropy'],
  add(g) {
    const x = g.pick((s) => s.length >= 1);
    if (x === null) return false;
    const p = g.op('sigmoid', [x], (e, [t]) => e.sigmoid(t!));
    const d = g.leaf(g.shape(x), 'unit');
    g.op('binaryCrossEntropy', [p, d], (e, [q, t]) => e.binaryCrossEntropy(q!, t!), { node: p, rule: 'bceClamp' });
    return true;
  },
};

export const fuzzOps: readonly FuzzOp[] = [
  unary('sigmoid'), unary('tanh'), unary('softplus'), rectifier, scale, binary, reduction, argMax,
  reshape, softmaxRows, softmaxJvp, matmul, loss, bce,
];

/** Engine methods that are not ops on tensors, so the fuzzer has nothing to draw for them. */
export const notOps = new Set([
  'constructor', 'tensor', 'zeros', 'run', 'run1', 'update', 'write', 'tidy', 'valueAndGrad', 'gradients',
  'flush', 'sync', 'stats', 'resetPeakBytes', 'destroy', 'readTensor', 'readTensorF64', 'readAndDispose',
  'releaseTensor', 'markFatal', 'act', 'adopt', 'newStorage', 'storagesOf', 'checkAlive', 'checkOutputs', 'reportNonFinite',
]);
