// Random op graphs for the fuzzer (test/fuzz.test.ts): seeded generation from the op table
// (ops.ts), evaluation on an engine (every node's values, and the gradient with respect to
// every leaf of a weighted sum over all nodes), and the comparison of the GPU against the f64
// CPU reference, with tolerances scaled by the f32 CPU's own error on the same graph.

import type { Engine, Tensor } from '../../src/index';
import { createRng, type Rng } from '../../src/data/batches';
import { fuzzOps } from './ops';

/** Leaf values: 'any' uniform in [-2, 2), 'unit' in [0.05, 0.95) (probabilities, targets),
 *  'positive' in [0.25, 2) (log, sqrt, a power's base), 'away' ±[0.25, 2) (a divisor). */
export type Domain = 'any' | 'unit' | 'positive' | 'away';

const DOMAINS: Record<Domain, [number, number]> = { any: [-2, 2], unit: [0.05, 0.95], positive: [0.25, 2], away: [0.25, 2] };

/** Which node's values decide a kink, and the decision: the sign (relu, leaky relu), the
 *  first arg-max along an axis (max, argMax), or the side of the BCE clamp. */
export type KinkRule =
  | { node: number; rule: 'sign' }
  | { node: number; rule: 'extremum'; sense: 'max' | 'min'; axes: number | readonly number[] | undefined }
  | { node: number; rule: 'bceClamp' }
  | { node: number; rule: 'clip'; lo: number; hi: number }
  | { node: number; rule: 'order'; other: number };

interface LeafNode {
  kind: 'leaf';
  label: string;
  shape: number[];
  data: Float32Array;
}

interface OpNode {
  kind: 'op';
  label: string;
  inputs: number[];
  shape: number[];
  apply: (e: Engine, xs: Tensor[]) => Tensor;
  kink?: KinkRule;
  /** A node computed only to decide a kink, or one without a gradient (a comparison: only
   *  where() may use it): not part of the objective, not picked as an input. */
  probe: boolean;
}

export type Node = LeafNode | OpNode;

export interface Graph {
  seed: number;
  nodes: Node[];
  /** Objective weights of each op node (empty for leaves and probes). */
  weights: Float32Array[];
}

/** Dimensions drawn for shapes: 1 often (broadcasting, batch 1), small primes, powers of two. */
const DIMS = [1, 1, 2, 3, 4, 5, 7, 8, 13, 17];
const MAX_OPS = 6;

/** Builds a graph node by node; each op runs at once on a CPU engine to learn its shape. */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  private readonly tensors: Tensor[] = [];

  constructor(
    readonly rng: Rng,
    private readonly cpu: Engine,
  ) {}

  choose<T>(items: readonly T[]): T {
    return items[this.rng.nextInt(items.length)]!;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.rng.nextInt(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  dim(): number {
    return this.choose(DIMS);
  }

  randomShape(rank: number): number[] {
    return Array.from({ length: rank }, () => this.dim());
  }

  shape(i: number): number[] {
    return this.nodes[i]!.shape;
  }

  size(i: number): number {
    return this.shape(i).reduce((a, b) => a * b, 1);
  }

  /** The node's values on the CPU engine (f32 results), for inputs that need a domain. */
  values(i: number): Float64Array {
    return this.tensors[i]!.storage('fuzz').handle as Float64Array;
  }

  /** A random existing node (whose shape and values satisfy `ok`, if given; null when none
   *  does). Probes are never picked. */
  pick(): number;
  pick(ok: (shape: number[], values: Float64Array) => boolean): number | null;
  pick(ok?: (shape: number[], values: Float64Array) => boolean): number | null {
    const fits = this.nodes
      .map((n, i) => (!(n.kind === 'op' && n.probe) && (ok === undefined || ok(n.shape, this.values(i))) ? i : -1))
      .filter((i) => i >= 0);
    return fits.length === 0 ? null : this.choose(fits);
  }

  /** An existing node whose values all satisfy `ok` (half the time), else a new leaf. */
  pickValued(ok: (v: number) => boolean, domain: Domain, shape?: number[]): number {
    const fit = this.rng.next() < 0.5 ? null : this.pick((s, v) => (shape === undefined || sameShape(s, shape)) && v.every(ok));
    return fit ?? this.leaf(shape ?? this.randomShape(1 + this.rng.nextInt(3)), domain);
  }

  /** Half the time an existing node of exactly this shape (reuse makes gradients add up). */
  pickShaped(shape: readonly number[]): number | null {
    if (this.rng.next() < 0.5) return null;
    return this.pick((s) => sameShape(s, shape));
  }

  /** A shape that broadcasts against `shape` as NumPy does: the same shape a third of the time;
   *  else its last k dims (k random, down to a scalar []), each kept or set to 1 (a 1 in
   *  `shape` may become any size, stretching `shape` instead), maybe behind a new leading dim. */
  broadcastPartner(shape: readonly number[]): number[] {
    if (this.rng.next() < 0.33) return [...shape];
    const r = shape.length;
    const tail = shape.slice(r - this.rng.nextInt(r + 1)).map((d) => (d === 1 ? (this.rng.next() < 0.5 ? this.dim() : 1) : this.rng.next() < 0.3 ? 1 : d));
    return this.rng.next() < 0.2 && tail.length === r && r < 4 ? [this.dim(), ...tail] : tail;
  }

  /** A random shape of rank 1 to 3 with `size` elements. */
  factorShape(size: number): number[] {
    const rank = 1 + this.rng.nextInt(3);
    const shape = new Array<number>(rank).fill(1);
    let n = size;
    for (let p = 2; n > 1; p++) {
      while (n % p === 0) {
        shape[this.rng.nextInt(rank)]! *= p;
        n /= p;
      }
    }
    return shape;
  }

  leaf(shape: number[], domain: Domain = 'any'): number {
    const size = shape.reduce((a, b) => a * b, 1);
    const [lo, hi] = DOMAINS[domain];
    const sign = () => (domain === 'away' && this.rng.next() < 0.5 ? -1 : 1);
    const data = Float32Array.from({ length: size }, () => sign() * (lo + (hi - lo) * this.rng.next()));
    this.nodes.push({ kind: 'leaf', label: `leaf [${shape}] ${domain}`, shape, data });
    this.tensors.push(this.cpu.tensor(data, shape));
    return this.nodes.length - 1;
  }

  op(label: string, inputs: number[], apply: OpNode['apply'], kink?: KinkRule, probe = false): number {
    let out: Tensor;
    try {
      out = apply(this.cpu, inputs.map((i) => this.tensors[i]!));
    } catch (err) {
      throw new Error(`fuzzer bug: ${label} on [${inputs.map((i) => `[${this.shape(i)}]`).join(', ')}] was refused: ${(err as Error).message}`);
    }
    this.nodes.push({ kind: 'op', label, inputs, shape: [...out.shape], apply, kink, probe });
    this.tensors.push(out);
    return this.nodes.length - 1;
  }

  dispose(): void {
    this.tensors.forEach((t) => t.dispose());
  }
}

/** The graph of a seed: 1-2 leaves of rank 1-3, then 1-6 ops drawn from the table. */
/** NumPy's broadcast of two shapes, or null when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < r; k++) {
    const x = a[a.length - r + k] ?? 1;
    const y = b[b.length - r + k] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

export function generate(seed: number, cpu: Engine): Graph {
  const rng = createRng(seed);
  const g = new GraphBuilder(rng, cpu);
  try {
    const leaves = 1 + rng.nextInt(2);
    for (let i = 0; i < leaves; i++) g.leaf(g.randomShape(1 + rng.nextInt(3)));
    const ops = 1 + rng.nextInt(MAX_OPS);
    for (let k = 0; k < ops; k++) {
      while (!g.choose(fuzzOps).add(g)) {
        // the entry found nothing it can use: draw another
      }
    }
    const weights = g.nodes.map((n) =>
      n.kind === 'op' && !n.probe ? Float32Array.from({ length: n.shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1) : new Float32Array(0),
    );
    return { seed, nodes: g.nodes, weights };
  } finally {
    g.dispose();
  }
}

export function describe(graph: Graph): string {
  return graph.nodes
    .map((n, i) => `  n${i} = ${n.kind === 'leaf' ? n.label : `${n.label}(${n.inputs.map((j) => `n${j}`).join(', ')})${n.probe ? ' [probe]' : ''}`} -> [${n.shape}]`)
    .join('\n');
}

// ---- evaluation ---------------------------------------------------------------------------

export interface Evaluation {
  values: Float64Array[];
  objective: number;
  /** Gradient of the objective with respect to each leaf, in node order. */
  grads: Float64Array[];
}

function buildAll(e: Engine, graph: Graph, leaves: Tensor[]): Tensor[] {
  const out: Tensor[] = [];
  let next = 0;
  for (const n of graph.nodes) out.push(n.kind === 'leaf' ? leaves[next++]! : n.apply(e, n.inputs.map((i) => out[i]!)));
  return out;
}

/** Σ over op nodes of ⟨w_n, n⟩: every node's backward rule is on some path to the output. */
function objective(e: Engine, graph: Graph, leaves: Tensor[]): Tensor {
  const all = buildAll(e, graph, leaves);
  let total: Tensor | null = null;
  graph.nodes.forEach((n, i) => {
    const w = graph.weights[i]!;
    if (w.length === 0) return;
    const term = e.sum(e.mul(e.reshape(all[i]!, [w.length]), e.tensor(w, [w.length])));
    total = total ? e.add(total, term) : term;
  });
  return total!;
}

export async function evaluate(e: Engine, graph: Graph): Promise<Evaluation> {
  const leaves = graph.nodes.filter((n): n is LeafNode => n.kind === 'leaf').map((n) => e.tensor(n.data, n.shape));
  try {
    const all = e.tidy(() => buildAll(e, graph, leaves));
    const values = await Promise.all(all.map((t) => t.readF64()));
    all.forEach((t) => !leaves.includes(t) && t.dispose());
    const { value, grads } = await e.valueAndGrad((...xs) => objective(e, graph, xs))(...leaves);
    const g = await Promise.all(grads.map((t) => t.readF64()));
    grads.forEach((t) => t.dispose());
    return { values, objective: value, grads: g };
  } finally {
    leaves.forEach((t) => t.dispose());
  }
}

// ---- comparison ---------------------------------------------------------------------------

/** NumPy broadcasting of two shapes: for each element of the result, the index into each. */
function broadcastPairs(sa: readonly number[], sb: readonly number[]): [number, number][] {
  const r = Math.max(sa.length, sb.length);
  const pad = (s: readonly number[]) => [...new Array<number>(r - s.length).fill(1), ...s];
  const [pa, pb] = [pad(sa), pad(sb)];
  const out = pa.map((d, k) => Math.max(d, pb[k]!));
  const strides = (p: number[]) => p.map((d, k) => (d === 1 ? 0 : p.slice(k + 1).reduce((x, y) => x * y, 1)));
  const [ta, tb] = [strides(pa), strides(pb)];
  const pairs: [number, number][] = [];
  const size = out.reduce((x, y) => x * y, 1);
  for (let i = 0; i < size; i++) {
    let [ia, ib, rest] = [0, 0, i];
    for (let k = r - 1; k >= 0; k--) {
      const c = rest % out[k]!;
      rest = Math.floor(rest / out[k]!);
      ia += c * ta[k]!;
      ib += c * tb[k]!;
    }
    pairs.push([ia, ib]);
  }
  return pairs;
}

/** The decision a kink takes at every element (or output slice) of its deciding node(s). */
function decisions(rule: KinkRule, ev: Evaluation, graph: Graph): number[] {
  const values = ev.values[rule.node]!;
  const shape = graph.nodes[rule.node]!.shape;
  const side = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);
  if (rule.rule === 'sign') return Array.from(values, side);
  if (rule.rule === 'bceClamp') return Array.from(values, (v) => (v < 1e-7 ? -1 : v > 1 - 1e-7 ? 1 : 0));
  if (rule.rule === 'clip') return Array.from(values, (v) => (v < rule.lo ? -1 : v > rule.hi ? 1 : 0));
  if (rule.rule === 'order') {
    const other = ev.values[rule.other]!;
    return broadcastPairs(shape, graph.nodes[rule.other]!.shape).map(([i, j]) => side(values[i]! - other[j]!));
  }
  // extremum: for each slice of the dims kept, the first (row-major) position of the max or
  // min over the reduced dims (NaN counts as the extremum, as in the engine)
  const r = shape.length;
  const list = rule.axes === undefined ? [...Array(r).keys()] : typeof rule.axes === 'number' ? [rule.axes] : [...rule.axes];
  const reduced = new Set(list.map((a) => (a < 0 ? a + r : a)));
  const strides = shape.map((_, k) => shape.slice(k + 1).reduce((x, y) => x * y, 1));
  const best = new Map<number, number>(); // offset of the kept dims -> flat index of the best so far
  const better = (v: number, b: number) => (Number.isNaN(v) ? !Number.isNaN(b) : rule.sense === 'max' ? v > b : v < b);
  for (let i = 0; i < values.length; i++) {
    let key = 0;
    for (let k = 0; k < r; k++) if (!reduced.has(k)) key += (Math.floor(i / strides[k]!) % shape[k]!) * strides[k]!;
    const b = best.get(key);
    if (b === undefined || better(values[i]!, values[b]!)) best.set(key, i);
  }
  return [...best.entries()].sort((x, y) => x[0] - y[0]).map(([, i]) => i);
}

/** Null when every kink decides alike on the three evaluations, else which one does not. */
export function ambiguity(graph: Graph, evals: Evaluation[]): string | null {
  for (const n of graph.nodes) {
    if (n.kind !== 'op' || !n.kink) continue;
    const [first, ...rest] = evals.map((ev) => decisions(n.kink!, ev, graph));
    if (rest.some((d) => d.some((v, i) => v !== first![i]))) return `${n.label}: n${n.kink.node} is within rounding of a kink`;
  }
  return null;
}

const FLT_MIN = 2 ** -126;
const flush = (v: number) => (Math.abs(v) < FLT_MIN ? 0 : v);

/** How far `got` is outside its tolerance around `ref` (<= 1: within), and where. The
 *  tolerance is 16x the f32 CPU's worst error on this tensor (f32 rounding at another order
 *  of operations; SwiftShader's exp and log are accurate to a few ulps more) plus 1e-5 of
 *  the tensor's magnitude (the GPU sums in f32, the CPU in f64, so long sums differ by more
 *  than the CPU's own rounding). NaN must meet NaN; subnormals compare as 0. */
export function violation(got: ArrayLike<number>, cpu32: ArrayLike<number>, ref: ArrayLike<number>): { ratio: number; at: number; tol: number } {
  let err32 = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(flush(cpu32[i]!) - flush(ref[i]!));
    if (Number.isFinite(d)) err32 = Math.max(err32, d);
    if (Number.isFinite(ref[i]!)) scale = Math.max(scale, Math.abs(ref[i]!));
  }
  const tol = 16 * err32 + 1e-5 * (1 + scale);
  let ratio = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const x = flush(got[i]!);
    const y = flush(ref[i]!);
    let r: number;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) r = 0;
    else if (Number.isNaN(x) || Number.isNaN(y)) r = Infinity;
    else r = Math.abs(x - y) / tol;
    if (!(r <= ratio)) {
      ratio = r;
      at = i;
    }
  }
  return { ratio, at, tol };
}

/** Every mismatch of `gpu` against `ref` (values of each node, the objective, each gradient). */
export function mismatches(graph: Graph, gpu: Evaluation, cpu32: Evaluation, ref: Evaluation): string[] {
  const out: string[] = [];
  const check = (what: string, got: ArrayLike<number>, c32: ArrayLike<number>, r: ArrayLike<number>) => {
    const v = violation(got, c32, r);
    if (!(v.ratio <= 1)) out.push(`${what}: element ${v.at} is ${got[v.at]}, reference ${r[v.at]} (f32 CPU ${c32[v.at]}, tolerance ${v.tol.toExponential(2)})`);
  };
  graph.nodes.forEach((n, i) => check(`n${i} ${n.kind === 'leaf' ? 'leaf' : n.label}`, gpu.values[i]!, cpu32.values[i]!, ref.values[i]!));
  check('objective', [gpu.objective], [cpu32.objective], [ref.objective]);
  let leaf = 0;
  graph.nodes.forEach((n, i) => {
    if (n.kind !== 'leaf') return;
    check(`gradient of n${i}`, gpu.grads[leaf]!, cpu32.grads[leaf]!, ref.grads[leaf]!);
    leaf++;
  });
  return out;
}
