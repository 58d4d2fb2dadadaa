// The benchmark cases: what is computed, on which shapes, with which inputs. ONE list for
// `npm run bench` (bench/run.ts, Node) and the benchmark page (bench/page/, the browser). Each
// library (bench/peers/*.ts) turns a case into a Runner; bench/harness.ts times the runners.

export type CaseSpec =
  | {
      op: 'matmul';
      M: number;
      K: number;
      N: number;
      /** B is stored [N, K] and used transposed (the affine layer X·Wᵀ, W = [out, in]). */
      transposeB: boolean;
      /** Fused epilogue: + bias row, then relu (a dense layer's forward pass). */
      biasRelu: boolean;
      /** Each execution also reads the result back to the CPU (end to end). */
      readback?: boolean;
    }
  | { op: 'add'; n: number }
  | { op: 'relu'; n: number }
  | { op: 'sum'; n: number }
  /** x [rows, cols] transposed to [cols, rows] (a copy). */
  | { op: 'transpose'; rows: number; cols: number }
  /** Σ over axis 0 of x [rows, cols]: column sums, as a bias gradient. */
  | { op: 'sumAxis0'; rows: number; cols: number }
  | { op: 'softmax'; rows: number; cols: number }
  /** mean over rows of -Σ_j d_j log softmax(z)_j, d one-hot rows (inputs: logits, targets) */
  | { op: 'softmaxCrossEntropy'; rows: number; cols: number }
  | {
      /** relu(conv2d(x, w) + b), stride 1, no padding; x NCHW [N, C, H, W], w [O, C, k, k],
       *  b [O]; the output is compared in NCHW. */
      op: 'conv2d';
      N: number;
      C: number;
      H: number;
      W: number;
      O: number;
      k: number;
    }
  | {
      op: 'mlpTrainStep';
      batch: number;
      sizes: readonly number[];
      lr: number;
    };

export interface BenchCase {
  name: string;
  size: string;
  spec: CaseSpec;
  /** Floating-point operations per execution (for GFLOP/s), when meaningful. */
  flops?: number;
  /** Bytes an execution must at least move to or from memory (inputs read once, outputs
   *  written once): with `flops`, what places the case under the roofline (bench/roofline.ts). */
  bytes: number;
  /** The case only reads (a reduction: its writes are a few values), so its roof is the
   *  read bandwidth, not the copy bandwidth. */
  readOnly?: boolean;
  /** The input arrays, deterministic (same for every library). */
  inputs(): Float32Array[];
  /** Shapes of inputs(), in order. */
  shapes: number[][];
}

/** mulberry32: a small deterministic PRNG, so every library sees the same numbers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

function matmulCase(name: string, size: string, M: number, K: number, N: number, transposeB: boolean, biasRelu = false): BenchCase {
  const shapes = [[M, K], transposeB ? [N, K] : [K, N], ...(biasRelu ? [[N]] : [])];
  return {
    name,
    size,
    spec: { op: 'matmul', M, K, N, transposeB, biasRelu },
    flops: 2 * M * N * K,
    bytes: 4 * (M * K + K * N + M * N + (biasRelu ? N : 0)),
    shapes,
    inputs: () => shapes.map((s, i) => uniform(s.reduce((p, d) => p * d, 1), 1000 + i)),
  };
}

function unaryCase(name: string, op: 'relu' | 'sum', n: number): BenchCase {
  return {
    name,
    size: `${n / 2 ** 20}M (${n})`,
    spec: { op, n },
    bytes: op === 'relu' ? 8 * n : 4 * (n + 1), // relu reads and writes n; sum reads n, writes 1
    readOnly: op === 'sum',
    shapes: [[n]],
    inputs: () => [uniform(n, 7)],
  };
}

function convCase(name: string, size: string, N: number, C: number, H: number, W: number, O: number, k: number): BenchCase {
  const shapes = [[N, C, H, W], [O, C, k, k], [O]];
  const [OH, OW] = [H - k + 1, W - k + 1];
  return {
    name,
    size,
    spec: { op: 'conv2d', N, C, H, W, O, k },
    flops: 2 * N * O * OH * OW * C * k * k,
    // reads x, w, b and writes y once (a lower bound: im2col and the layout pass move more)
    bytes: 4 * (N * C * H * W + O * C * k * k + O + N * O * OH * OW),
    shapes,
    inputs: () => shapes.map((s, i) => uniform(s.reduce((p, d) => p * d, 1), 2000 + i)),
  };
}

function matrixCase(name: string, op: 'transpose' | 'sumAxis0', rows: number, cols: number): BenchCase {
  return {
    name,
    size: `${rows}x${cols}`,
    spec: { op, rows, cols },
    // transpose reads and writes every element; a column sum reads them and writes one row
    bytes: op === 'transpose' ? 8 * rows * cols : 4 * (rows * cols + cols),
    readOnly: op === 'sumAxis0',
    shapes: [[rows, cols]],
    inputs: () => [uniform(rows * cols, 41)],
  };
}

const M1 = 1 << 20;

function softmaxCase(rows: number, cols: number): BenchCase {
  return {
    name: 'softmax',
    size: `${rows}x${cols}`,
    spec: { op: 'softmax', rows, cols },
    bytes: 8 * rows * cols,
    shapes: [[rows, cols]],
    inputs: () => [uniform(rows * cols, 21, -4, 4)],
  };
}

/** The default case list, in run order. */
export const CASES: BenchCase[] = [
  matmulCase('matmul', '256x256 · 256x256', 256, 256, 256, false),
  matmulCase('matmul', '512x512 · 512x512', 512, 512, 512, false),
  matmulCase('matmul', '1024x1024 · 1024x1024', 1024, 1024, 1024, false),
  // The same product with each result read back to the CPU: what a user waits for.
  { ...matmulCase('matmul_read', '1024x1024 · 1024x1024 + readback', 1024, 1024, 1024, false), spec: { op: 'matmul', M: 1024, K: 1024, N: 1024, transposeB: false, biasRelu: false, readback: true } },
  // The MLP's first layer (784-128-10, batch 128): X [128, 784] · Wᵀ, W [128, 784].
  matmulCase('matmul_tb', '128x784 · (128x784)ᵀ', 128, 784, 128, true),
  // The same layer with its epilogue: relu(X·Wᵀ + b), fused where the library can.
  matmulCase('dense_relu', '128x784 · (128x784)ᵀ + b', 128, 784, 128, true, true),
  {
    name: 'add',
    size: `1M (${M1})`,
    spec: { op: 'add', n: M1 },
    bytes: 12 * M1,
    shapes: [[M1], [M1]],
    inputs: () => [uniform(M1, 11), uniform(M1, 12)],
  },
  unaryCase('relu', 'relu', M1),
  unaryCase('sum', 'sum', M1),
  matrixCase('transpose', 'transpose', 1024, 1024),
  matrixCase('sum_axis0', 'sumAxis0', 1024, 1024),
  softmaxCase(128, 1000),
  softmaxCase(4096, 1000),
  softmaxCase(4096, 10),
  {
    name: 'softmax_ce',
    size: '4096x10, one-hot targets',
    spec: { op: 'softmaxCrossEntropy', rows: 4096, cols: 10 },
    bytes: 8 * 4096 * 10 + 4, // reads the logits and the targets, writes the mean
    readOnly: true,
    shapes: [[4096, 10], [4096, 10]],
    inputs: () => {
      const r = rng(41);
      const targets = new Float32Array(4096 * 10);
      for (let i = 0; i < 4096; i++) targets[i * 10 + Math.floor(r() * 10)] = 1;
      return [uniform(4096 * 10, 40, -4, 4), targets];
    },
  },
  convCase('conv2d_relu', 'LeNet conv2: 64x20x12x12 ⋆ 50x20x5x5 + b', 64, 20, 12, 12, 50, 5),
  convCase('conv2d_relu', 'LeNet conv1: 64x1x28x28 ⋆ 20x1x5x5 + b', 64, 1, 28, 28, 20, 5),
  // ---- MLP training step ------------------------------------------------------------------
  // 784-128-10 MLP, batch 128: forward (dense+relu, dense), softmax cross-entropy, backward,
  // plain SGD update. See bench/peers/*.ts `mlpTrainStep` for how each library runs it. Inputs:
  // X [128, 784], W1 [128, 784], b1 [128], W2 [10, 128], b2 [10], labels as 128 floats in 0..9
  // (each library converts them to what its loss wants: class indices or one-hot rows).
  {
    name: 'mlp_train_step',
    size: '784-128-10, batch 128',
    spec: { op: 'mlpTrainStep', batch: 128, sizes: [784, 128, 10], lr: 0.05 },
    // forward 2·B·(784·128 + 128·10), backward about twice that.
    flops: 3 * 2 * 128 * (784 * 128 + 128 * 10),
    // X once; each parameter read in the forward and backward passes and by the update, which
    // also reads its gradient and writes it back (5 passes); the activations [128, 128 + 10]
    // written and read in both directions (4 passes). An estimate, not a count of kernels.
    bytes: 4 * (128 * 784 + 5 * (128 * 784 + 128 + 10 * 128 + 10) + 4 * 128 * (128 + 10)),
    shapes: [[128, 784], [128, 784], [128], [10, 128], [10], [128]],
    inputs: () => {
      const r = rng(31);
      const labels = new Float32Array(128);
      for (let i = 0; i < 128; i++) labels[i] = Math.floor(r() * 10);
      return [
        uniform(128 * 784, 30, 0, 1),
        uniform(128 * 784, 32, -Math.sqrt(6 / (784 + 128)), Math.sqrt(6 / (784 + 128))),
        new Float32Array(128),
        uniform(10 * 128, 33, -Math.sqrt(6 / (128 + 10)), Math.sqrt(6 / (128 + 10))),
        new Float32Array(10),
        labels,
      ];
    },
  },
];

export function caseLabel(c: BenchCase): string {
  return `${c.name} ${c.size}`;
}

/** Splits a comma-separated list into lower-case words (empty entries dropped). */
export function words(list: string | undefined | null): string[] {
  return (list ?? '')
    .split(',')
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w.length > 0);
}

export interface CaseSelection {
  /** Words any of which "name size" must contain (`npm run bench -- --filter`). */
  filter?: string;
  /** Case names, exactly (the page's `cases=` query parameter). */
  names?: string;
  /** Words any of which the size must contain (the page's `sizes=`). */
  sizes?: string;
}

/** The cases a filter selects, in run order; no filter selects every case. */
export function selectCases(sel: CaseSelection = {}): BenchCase[] {
  const filter = words(sel.filter);
  const names = words(sel.names);
  const sizes = words(sel.sizes);
  return CASES.filter(
    (c) =>
      (filter.length === 0 || filter.some((w) => caseLabel(c).toLowerCase().includes(w))) &&
      (names.length === 0 || names.includes(c.name.toLowerCase())) &&
      (sizes.length === 0 || sizes.some((w) => c.size.toLowerCase().includes(w))),
  );
}
