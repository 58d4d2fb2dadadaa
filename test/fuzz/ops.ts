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
import { broadcastShapes, type Domain, type GraphBuilder, type KinkRule } from './graph';

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

/** add, sub, mul, div, pow, minimum, maximum with NumPy broadcasting, either way round. A
 *  divisor stays away from 0 and a power's base positive, exponents in [-3, 3]: singular
 *  points amplify rounding past any tolerance. minimum and maximum are kinked at a = b. */
const binary: FuzzOp = {
  covers: ['add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum'],
  add(g) {
    const name = g.choose(['add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum'] as const);
    let [x, y]: number[] = [];
    if (name === 'div' || name === 'pow') {
      x = name === 'pow' ? g.pickValued((v) => v >= 0.25, 'positive') : g.pick();
      const partner = g.broadcastPartner(g.shape(x));
      y = name === 'pow' ? g.pickValued((v) => Math.abs(v) <= 3, 'any', partner) : g.pickValued((v) => Math.abs(v) >= 0.25, 'away', partner);
    } else {
      const a = g.pick();
      const partner = g.broadcastPartner(g.shape(a));
      const b = g.pickShaped(partner) ?? g.leaf(partner);
      [x, y] = g.rng.next() < 0.5 ? [a, b] : [b, a];
    }
    const kink: KinkRule | undefined = name === 'minimum' || name === 'maximum' ? { node: x!, rule: 'order', other: y! } : undefined;
    g.op(name, [x!, y!], (e, [p, q]) => e[name](p!, q!), kink);
    return true;
  },
};

/** where(a ⋚ b, x, y): a comparison (which has no gradient, so only where() may use it) as
 *  the condition; all three broadcast. Kinked where a = b. */
const where: FuzzOp = {
  covers: ['where', 'greater', 'greaterEqual', 'less', 'lessEqual', 'equal'],
  add(g) {
    const cmp = g.choose(['greater', 'greaterEqual', 'less', 'lessEqual', 'equal'] as const);
    const a = g.pick();
    const b = g.pickShaped(g.broadcastPartner(g.shape(a))) ?? g.leaf(g.broadcastPartner(g.shape(a)));
    // equal() is 1 only where both sides are the very same values: compare a with itself then.
    const [l, r] = cmp === 'equal' && g.rng.next() < 0.5 ? [a, a] : [a, b];
    const cond = g.op(cmp, [l, r], (e, [p, q]) => e[cmp](p!, q!), { node: l, rule: 'order', other: r }, true);
    // x broadcasts with cond; y with both (a partner of their broadcast shape is).
    const x = g.pick((s) => g.rng.next() < 0.5 && broadcastShapes(s, g.shape(cond)) !== null) ?? g.leaf(g.broadcastPartner(g.shape(cond)));
    const both = broadcastShapes(g.shape(cond), g.shape(x))!;
    const y = g.pickShaped(g.broadcastPartner(both)) ?? g.leaf(g.broadcastPartner(both));
    g.op('where', [cond, x, y], (e, [c, p, q]) => e.where(c!, p!, q!));
    return true;
  },
};

type MathName = 'exp' | 'log' | 'log1p' | 'expm1' | 'sqrt' | 'rsqrt' | 'neg' | 'square' | 'reciprocal' | 'sin' | 'cos' | 'silu';
/** Where each math function's input must lie (and the leaf domain that satisfies it): clear of
 *  poles and overflow, and sin/cos within [-π, π], where WGSL bounds their error. */
const mathDomains: Record<MathName, [(v: number) => boolean, Domain]> = {
  exp: [(v) => v <= 15, 'any'],
  expm1: [(v) => v <= 15, 'any'],
  log: [(v) => v >= 0.25, 'positive'],
  log1p: [(v) => v >= -0.75, 'positive'],
  sqrt: [(v) => v >= 0.25, 'positive'],
  rsqrt: [(v) => v >= 0.25, 'positive'],
  reciprocal: [(v) => Math.abs(v) >= 0.25, 'away'],
  sin: [(v) => Math.abs(v) <= Math.PI, 'any'],
  cos: [(v) => Math.abs(v) <= Math.PI, 'any'],
  neg: [() => true, 'any'],
  square: [() => true, 'any'],
  silu: [() => true, 'any'],
};

const math: FuzzOp = {
  covers: Object.keys(mathDomains),
  add(g) {
    const name = g.choose(Object.keys(mathDomains) as MathName[]);
    const [ok, domain] = mathDomains[name];
    g.op(name, [g.pickValued(ok, domain)], (e, [x]) => e[name](x!));
    return true;
  },
};

/** gelu, exact or tanh-approximated (smooth). */
const gelu: FuzzOp = {
  covers: ['gelu'],
  add(g) {
    const approximate = g.choose(['none', 'tanh'] as const);
    g.op(`gelu(${approximate})`, [g.pick()], (e, [x]) => e.gelu(x!, { approximate }));
    return true;
  },
};

/** abs and sign (kinked at 0; sign's gradient is 0) and clip (kinked at its bounds). */
const piecewise: FuzzOp = {
  covers: ['abs', 'sign', 'clip'],
  add(g) {
    const x = g.pick();
    const name = g.choose(['abs', 'sign', 'clip'] as const);
    if (name === 'clip') {
      const [lo, hi] = g.choose([[-1, 1], [0, 0.5], [-0.25, 2]] as const);
      g.op(`clip(${lo}, ${hi})`, [x], (e, [t]) => e.clip(t!, lo, hi), { node: x, rule: 'clip', lo, hi });
    } else g.op(name, [x], (e, [t]) => e[name](t!), { node: x, rule: 'sign' });
    return true;
  },
};

/** Axes to reduce: everything (undefined), one axis (maybe negative) or a list of distinct axes. */
function reduceAxes(g: GraphBuilder, rank: number): number | number[] | undefined {
  const u = g.rng.next();
  if (rank === 0 || u < 0.25) return undefined;
  if (u < 0.7) return g.rng.nextInt(2 * rank) - rank;
  return [...Array(rank).keys()].filter(() => g.rng.next() < 0.5);
}

/** sum, mean, max, min, logSumExp, variance over reduceAxes, keepDims or not; max and min are
 *  kinked at ties. */
const reduction: FuzzOp = {
  covers: ['sum', 'mean', 'max', 'min', 'logSumExp', 'variance'],
  add(g) {
    const name = g.choose(['sum', 'mean', 'max', 'min', 'logSumExp', 'variance'] as const);
    const x = g.pick();
    const axis = reduceAxes(g, g.shape(x).length);
    const keepDims = g.rng.next() < 0.3;
    const kink: KinkRule | undefined = name === 'max' || name === 'min' ? { node: x, rule: 'extremum', sense: name, axes: axis } : undefined;
    g.op(`${name}(axis ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''})`, [x], (e, [t]) => e[name](t!, axis, { keepDims }), kink);
    return true;
  },
};

const argExtremum: FuzzOp = {
  covers: ['argMax', 'argMin'],
  add(g) {
    const x = g.pick((s) => s.length >= 1);
    if (x === null) return false;
    const r = g.shape(x).length;
    const axis = g.rng.nextInt(2 * r) - r;
    const [name, sense] = g.choose([['argMax', 'max'], ['argMin', 'min']] as const);
    g.op(`${name}(axis ${axis})`, [x], (e, [t]) => e[name](t!, axis), { node: x, rule: 'extremum', sense, axes: axis });
    return true;
  },
};

/** transpose (a random permutation, or reversed), slice, pad, expandDims and squeeze. */
const layout: FuzzOp = {
  covers: ['transpose', 'slice', 'pad', 'expandDims', 'squeeze'],
  add(g) {
    const x = g.pick();
    const shape = g.shape(x);
    const r = shape.length;
    switch (g.choose(['transpose', 'slice', 'pad', 'expandDims', 'squeeze'] as const)) {
      case 'transpose': {
        const perm = g.rng.next() < 0.3 ? undefined : g.shuffle([...Array(r).keys()]);
        g.op(`transpose(${JSON.stringify(perm)})`, [x], (e, [t]) => e.transpose(t!, perm));
        return true;
      }
      case 'slice': {
        if (r === 0) return false;
        const begin = shape.map((d) => g.rng.nextInt(d));
        const size = shape.map((d, k) => (g.rng.next() < 0.2 ? -1 : 1 + g.rng.nextInt(d - begin[k]!)));
        g.op(`slice([${begin}], [${size}])`, [x], (e, [t]) => e.slice(t!, begin, size));
        return true;
      }
      case 'pad': {
        const paddings = shape.map(() => [g.rng.nextInt(3), g.rng.nextInt(3)] as [number, number]);
        g.op(`pad(${JSON.stringify(paddings)})`, [x], (e, [t]) => e.pad(t!, paddings));
        return true;
      }
      case 'expandDims': {
        const axis = g.rng.nextInt(2 * r + 2) - (r + 1);
        g.op(`expandDims(${axis})`, [x], (e, [t]) => e.expandDims(t!, axis));
        return true;
      }
      default: {
        const ones = shape.map((d, k) => (d === 1 ? k : -1)).filter((k) => k >= 0);
        const axis = ones.length === 0 || g.rng.next() < 0.5 ? undefined : g.choose(ones);
        g.op(`squeeze(${axis})`, [x], (e, [t]) => e.squeeze(t!, axis));
        return true;
      }
    }
  },
};

/** concat along an existing axis and stack along a new one, of 2-3 tensors (a node may come twice). */
const join: FuzzOp = {
  covers: ['concat', 'stack'],
  add(g) {
    const x = g.pick((s) => s.length >= 1);
    if (x === null) return false;
    const shape = g.shape(x);
    const r = shape.length;
    const stack = g.rng.next() < 0.4;
    const axis = stack ? g.rng.nextInt(2 * r + 2) - (r + 1) : g.rng.nextInt(2 * r) - r;
    const a = axis < 0 ? axis + r : axis;
    const others = Array.from({ length: 1 + g.rng.nextInt(2) }, () => {
      if (g.rng.next() < 0.3) return x;
      return g.leaf(stack ? [...shape] : shape.map((d, k) => (k === a ? g.dim() : d)));
    });
    const inputs = g.shuffle([x, ...others]);
    const name = stack ? 'stack' : 'concat';
    g.op(`${name}(axis ${axis})`, inputs, (e, ts) => e[name](ts, axis));
    return true;
  },
};

/** gather along an axis with repeated indices (the gradient scatter-adds), and oneHot (a
 *  constant: no inputs, no gradient). */
const indexing: FuzzOp = {
  covers: ['gather', 'oneHot'],
  add(g) {
    if (g.rng.next() < 0.25) {
      const depth = g.dim();
      const labels = Int32Array.from({ length: g.dim() }, () => g.rng.nextInt(depth));
      g.op(`oneHot([${labels}], ${depth})`, [], (e) => e.oneHot(labels, depth));
      return true;
    }
    const x = g.pick((s) => s.length >= 1);
    if (x === null) return false;
    const shape = g.shape(x);
    const axis = g.rng.nextInt(2 * shape.length) - shape.length;
    const len = shape.at(axis)!;
    const indices = Int32Array.from({ length: 1 + g.rng.nextInt(6) }, () => g.rng.nextInt(len));
    g.op(`gather([${indices}], axis ${axis})`, [x], (e, [t]) => e.gather(t!, indices, axis));
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

/** conv2d on a fresh NCHW batch (small planes; stride, padding and dilation drawn so that at
 *  least one output fits), optional bias, a smooth fused activation or none. */
const conv: FuzzOp = {
  covers: ['conv2d'],
  add(g) {
    const [k, stride, padding, dilation] = [g.choose([1, 2, 3]), g.choose([1, 2]), g.choose([0, 1]), g.choose([1, 2])];
    const reach = dilation * (k - 1) + 1;
    const plane = () => Math.max(reach - 2 * padding, 1) + g.rng.nextInt(4);
    const [N, C, O] = [g.choose([1, 2]), g.choose([1, 3]), g.choose([1, 2, 5])];
    const x = g.leaf([N, C, plane(), plane()]);
    const w = g.leaf([O, C, k, k]);
    const bias = g.rng.next() < 0.5 ? g.leaf([O]) : null;
    const activation = g.choose(['identity', 'tanh', 'sigmoid'] as const);
    const inputs = bias === null ? [x, w] : [x, w, bias];
    g.op(`conv2d(k=${k}, stride ${stride}, padding ${padding}, dilation ${dilation}${bias === null ? '' : ', bias'}, ${activation})`, inputs,
      (e, xs) => e.conv2d(xs[0]!, xs[1]!, { bias: xs[2], stride, padding, dilation, activation }));
    return true;
  },
};

/** maxPool2d and avgPool2d on a fresh NCHW batch: its values are the same on both backends,
 *  so max's window arg-max (the kink) decides alike and needs no rule. */
const pool: FuzzOp = {
  covers: ['maxPool2d', 'avgPool2d'],
  add(g) {
    const [kernel, stride, padding] = [g.choose([2, 3]), g.choose([1, 2]), g.choose([0, 1])];
    const side = () => kernel + g.rng.nextInt(4);
    const x = g.leaf([g.choose([1, 2]), g.choose([1, 3]), side(), side()]);
    const name = g.choose(['maxPool2d', 'avgPool2d'] as const);
    g.op(`${name}(kernel ${kernel}, stride ${stride}, padding ${padding})`, [x], (e, [t]) => e[name](t!, { kernel, stride, padding }));
    return true;
  },
};

/** layerNorm over the last axis of fresh rows (at least 2 features, so the variance is not
 *  all rounding), with fresh γ and β. */
const layerNorm: FuzzOp = {
  covers: ['layerNorm'],
  add(g) {
    const F = Math.max(2, g.dim());
    const x = g.leaf([g.dim(), F]);
    g.op(`layerNorm(F=${F})`, [x, g.leaf([F]), g.leaf([F])], (e, [t, gamma, beta]) => e.layerNorm(t!, gamma!, beta!));
    return true;
  },
};

/** dropout with a drawn seed, in training (the same mask bits on both backends) or not. */
const dropout: FuzzOp = {
  covers: ['dropout'],
  add(g) {
    const [rate, seed, training] = [g.choose([0.25, 0.5]), g.rng.nextInt(1000), g.rng.next() < 0.8];
    g.op(`dropout(${rate}, seed ${seed}, training ${training})`, [g.pick()], (e, [x]) => e.dropout(x!, rate, { seed, training }));
    return true;
  },
};

/** binaryCrossEntropyWithLogits(z, d) with targets in (0, 1). */
const bceWithLogits: FuzzOp = {
  covers: ['binaryCrossEntropyWithLogits'],
  add(g) {
    const z = g.pick((s) => s.length >= 1);
    if (z === null) return false;
    const d = g.leaf(g.shape(z), 'unit');
    g.op('binaryCrossEntropyWithLogits', [z, d], (e, [x, t]) => e.binaryCrossEntropyWithLogits(x!, t!));
    return true;
  },
};

export const fuzzOps: readonly FuzzOp[] = [
  unary('sigmoid'), unary('tanh'), unary('softplus'), rectifier, scale, binary, where, math, gelu,
  piecewise, reduction, argExtremum, reshape, layout, join, indexing, softmaxRows, softmaxJvp, matmul,
  loss, bce, conv, pool, layerNorm, dropout, bceWithLogits,
];

/** Engine methods that are not ops on tensors, so the fuzzer has nothing to draw for them. */
export const notOps = new Set([
  'constructor', 'tensor', 'zeros', 'run', 'run1', 'update', 'write', 'tidy', 'valueAndGrad', 'gradients',
  'flush', 'sync', 'stats', 'resetPeakBytes', 'destroy', 'readTensor', 'readTensorF64', 'readAndDispose',
  'releaseTensor', 'markFatal', 'act', 'math', 'checked', 'adopt', 'newStorage', 'storagesOf', 'checkAlive', 'checkOutputs',
  'reportNonFinite', 'prepare', 'tune', // compile pipelines / time matmul variants: no values
]);
