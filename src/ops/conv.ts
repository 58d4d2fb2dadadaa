// 2-D convolution in PyTorch's layouts (x [N, C, H, W], weight [O, C, kh, kw], bias [O],
// y [N, O, OH, OW]) as im2col + the tuned matmul + a layout change:
//
//   cols = im2col(x)                          [N·OH·OW, K']
//   z    = cols · W2ᵀ + b  (matmul, transposeB) [N·OH·OW, O']  W2 = weight as [O, C·kh·kw]
//   y    = transpose(z as [N, OH·OW, O'], [0, 2, 1]) as [N, O, OH, OW]
// K' = C·kh·kw and O' = O rounded up to multiples of 4 (the vec4 matmul's alignment): cols'
// extra columns are 0, W2 is padded with zeros to [O', K'], b to [O'], and y sliced back to O.
//
// Each piece is an op with its own backward rule, so the gradient needs no rule of its own:
// dz = the inverse transpose of dy; dW2 = dzᵀ·cols and dcols = dz·W2 (the matmul's rule);
// db = Σ_rows dz; dx = col2im(dcols), a gather (no atomics).
//
// Why not a direct kernel: see the measurements in shaders/conv.wgsl (im2col + matmul was 9%
// faster on LeNet's dominant layer). The layout kernels live in shaders/conv.wgsl; the matmul is
// src/ops/matmul.ts's, called as it is.

import { col2imCpu, convOutSize, im2colCpu, type Conv2dGeometry } from '../cpu/conv';
import type { ActivationKind } from '../cpu/activation';
import type { CommandQueue } from '../gpu/queue';
import type { KernelName } from '../gpu/kernels';
import type { OpDef, OpRunner } from './op';
import { checkEpilogue, runMatmul } from './matmul';
import { Tensor, fmt, type Shape } from './tensor';

/** Workgroup shape of the layout kernels (x, y: a 4 × 4 patch of a plane; z: 4 planes):
 *  the plane sizes of small images (28, 24, 12, 8, 4) are multiples of 4, so few
 *  invocations idle at the edges. */
export const WORKGROUP_3D = [4, 4, 4] as const;
const MAX_GROUPS = 65535;

/** A size per image axis: n for both, or [h, w]. */
export type Pair = number | readonly [number, number];

/** A sliding window's sizes per axis (height, width). */
export interface Window2d {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  padding: readonly [number, number];
  dilation: readonly [number, number];
}

/** n or [h, w] as [h, w], each an integer >= min; the error names the op and option. */
export function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair [h, w] of them, got ${Array.isArray(v) ? `[${v.map(String).join(', ')}]` : String(v)}`);
  }
  return [p[0]!, p[1]!];
}

/** The geometry of a window sweep over an NCHW input; throws if the window does not fit. */
export function windowGeometry(op: string, x: Shape, win: Window2d): Conv2dGeometry {
  if (x.length !== 4) throw new Error(`${op}: input must be NCHW (rank 4), got shape ${fmt(x)}`);
  const [batch, channels, height, width] = x as [number, number, number, number];
  const [kernelH, kernelW] = win.kernel;
  const [strideH, strideW] = win.stride;
  const [padH, padW] = win.padding;
  const [dilationH, dilationW] = win.dilation;
  const outH = convOutSize(height, kernelH, strideH, padH, dilationH);
  const outW = convOutSize(width, kernelW, strideW, padW, dilationW);
  if (outH < 1 || outW < 1) {
    throw new Error(
      `${op}: input ${fmt(x)} with padding [${padH}, ${padW}] is smaller than the kernel [${kernelH}, ${kernelW}]` +
        ` (dilation [${dilationH}, ${dilationW}]): the output would be ${outH} × ${outW}`,
    );
  }
  return { batch, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW };
}

/** The Dims uniform of shaders/conv.wgsl. */
function convUniforms(g: Conv2dGeometry, colsWidth: number): Record<string, number> {
  return {
    cols_width: colsWidth,
    batch: g.batch,
    channels: g.channels,
    height: g.height,
    width: g.width,
    kernel_h: g.kernelH,
    kernel_w: g.kernelW,
    stride_h: g.strideH,
    stride_w: g.strideW,
    pad_h: g.padH,
    pad_w: g.padW,
    dilation_h: g.dilationH,
    dilation_w: g.dilationW,
    out_h: g.outH,
    out_w: g.outW,
  };
}

/** A 3-D grid over (x, y, planes) with WORKGROUP_3D workgroups; past 65535 workgroups in z the
 *  kernels loop over the planes. */
export function dispatch3d(q: CommandQueue, kernel: KernelName, [nx, ny, planes]: [number, number, number], uniforms: Record<string, number>, bindings: Record<string, GPUBuffer>, overrides = {}): void {
  if (nx * ny * planes === 0) return;
  const [wx, wy, wz] = WORKGROUP_3D;
  q.dispatch({
    kernel,
    overrides: { wg_x: wx, wg_y: wy, wg_z: wz, ...overrides },
    uniforms,
    bindings,
    workgroups: [Math.ceil(nx / wx), Math.ceil(ny / wy), Math.min(MAX_GROUPS, Math.ceil(planes / wz))],
  });
}

/** im2col's window, and the row length of cols (>= C·kh·kw; the columns past it are 0). */
export interface Im2colAttrs extends Window2d {
  colsWidth: number;
}

/** Throws unless cols' row length can hold the C·kh·kw taps of a window. */
function checkColsWidth(op: string, g: Conv2dGeometry, colsWidth: number): void {
  const ckk = g.channels * g.kernelH * g.kernelW;
  if (!Number.isInteger(colsWidth) || colsWidth < ckk) throw new Error(`${op}: colsWidth ${colsWidth} must be an integer >= C·kh·kw = ${ckk}`);
}

/** cols [N·OH·OW, colsWidth]: the receptive field of every output position as a row. */
export const im2col: OpDef<Im2colAttrs> = {
  name: 'im2col',
  outputs([x], attrs) {
    const g = windowGeometry('im2col', x!, attrs);
    checkColsWidth('im2col', g, attrs.colsWidth);
    return [[g.batch * g.outH * g.outW, attrs.colsWidth]];
  },
  cpu: ([x], [s], attrs) => [im2colCpu(x!, windowGeometry('im2col', s!, attrs), attrs.colsWidth)],
  gpu(q, [x], [cols], [s], attrs) {
    const g = windowGeometry('im2col', s!, attrs);
    dispatch3d(q, 'conv.im2col', [g.outW, g.outH, g.batch * g.channels], convUniforms(g, attrs.colsWidth), { x: x!, cols: cols! });
  },
  // im2col is linear; its transpose is col2im
  backward: ({ ops, inputs: [x], dy, attrs }) => [ops.run1('col2im', [dy], { ...attrs, inputShape: x!.shape })],
};

/** dx [N, C, H, W] from dcols: im2col's transpose, each input element gathering its taps. */
export const col2im: OpDef<Im2colAttrs & { inputShape: Shape }> = {
  name: 'col2im',
  outputs([dcols], attrs) {
    const g = windowGeometry('col2im', attrs.inputShape, attrs);
    checkColsWidth('col2im', g, attrs.colsWidth);
    const want = [g.batch * g.outH * g.outW, attrs.colsWidth];
    if (dcols!.length !== 2 || dcols![0] !== want[0] || dcols![1] !== want[1]) {
      throw new Error(`col2im: dcols has shape ${fmt(dcols!)}, expected ${fmt(want)} for input ${fmt(attrs.inputShape)}`);
    }
    return [attrs.inputShape];
  },
  cpu: ([dcols], _s, attrs) => [col2imCpu(dcols!, windowGeometry('col2im', attrs.inputShape, attrs), attrs.colsWidth)],
  gpu(q, [dcols], [dx], _s, attrs) {
    const g = windowGeometry('col2im', attrs.inputShape, attrs);
    const unitStride = g.strideH === 1 && g.strideW === 1;
    dispatch3d(q, 'conv.col2im', [g.width, g.height, g.batch * g.channels], convUniforms(g, attrs.colsWidth), { dcols: dcols!, dx: dx! }, { unit_stride: unitStride });
  },
  // col2im is linear; its transpose is im2col
  backward: ({ ops, dy, attrs }) => [ops.run1('im2col', [dy], { kernel: attrs.kernel, stride: attrs.stride, padding: attrs.padding, dilation: attrs.dilation, colsWidth: attrs.colsWidth })],
};

/** Options of {@link Engine.conv2d}. */
export interface Conv2dOptions {
  /** [O], added to every output position of channel o. */
  bias?: Tensor;
  /** Step between windows (default 1). */
  stride?: Pair;
  /** Zeros added on each side of the input (default 0). */
  padding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Applied after the bias (fused into the matmul unless gradients are being recorded). */
  activation?: ActivationKind;
  /** leakyRelu slope (default 0.01). */
  alpha?: number;
}

/** Workgroups the weight gradient's matmul should have at least, so that every core of the
 *  adapter gets some (SwiftShader runs one workgroup on one thread). */
const MIN_WEIGHT_GRAD_GROUPS = 8;
/** About the matmul's output tile per workgroup (shaders/matmul.wgsl today: 4 × 8 invocations
 *  of 16 × 8 outputs); only a heuristic for the split, correct for any value. */
const MATMUL_GROUP_TILE = 64;

/**
 * The weight gradient dW = dzᵀ·cols is one matmul with K = N·OH·OW. When its output [O, C·kh·kw]
 * fits in few workgroups (LeNet's first conv: [20, 25], one workgroup walking K = 36,864 on one
 * thread), the rows are split into chunks of whole images: the forward matmul runs batched over
 * the chunks with a broadcast weight, so its backward rule computes one product per chunk in
 * parallel and sums them (sumToShape). Returns the smallest chunk count (a divisor of the batch)
 * that reaches MIN_WEIGHT_GRAD_GROUPS; 1 when dW alone does (no partials to add up).
 */
export function weightGradChunks(batch: number, ckk: number, outChannels: number): number {
  const groups = Math.ceil(ckk / MATMUL_GROUP_TILE) * Math.ceil(outChannels / MATMUL_GROUP_TILE);
  for (let s = 1; s <= batch; s++) if (batch % s === 0 && groups * s >= MIN_WEIGHT_GRAD_GROUPS) return s;
  return Math.max(1, batch); // an empty batch is one empty chunk
}

/** conv2d as im2col + matmul + channelsFirst (see the top of this file). */
export function conv2dWith(ops: OpRunner, recording: boolean, x: Tensor, w: Tensor, opts: Conv2dOptions, gradAtZero: 0 | 1, activationOp: (z: Tensor) => Tensor): Tensor {
  checkEpilogue('conv2d', opts);
  for (const [name, t] of [['x', x], ['w', w], ['bias', opts.bias ?? null]] as const) {
    if (t !== null && !(t instanceof Tensor)) throw new Error(`conv2d: ${name} must be a Tensor, got ${Array.isArray(t) ? 'an array' : String(t)}`);
    t?.storage('conv2d'); // a disposed tensor is named here, not by an inner op (im2col, reshape)
  }
  if (w.rank !== 4) throw new Error(`conv2d: weight must be [out, in, kh, kw] (rank 4), got shape ${fmt(w.shape)}`);
  const [O, C, kh, kw] = w.shape as [number, number, number, number];
  if (x.rank !== 4 || x.shape[1] !== C) {
    throw new Error(`conv2d: input ${fmt(x.shape)} must be NCHW with ${C} channels (weight ${fmt(w.shape)} is [out, in, kh, kw])`);
  }
  if (opts.bias && (opts.bias.rank !== 1 || opts.bias.shape[0] !== O)) {
    throw new Error(`conv2d: bias has shape ${fmt(opts.bias.shape)}, expected [${O}] (one per output channel)`);
  }
  if (kh === 0 || kw === 0 || C === 0) throw new Error(`conv2d: weight ${fmt(w.shape)} has an empty kernel`);
  const win: Window2d = {
    kernel: [kh, kw],
    stride: pair('conv2d', 'stride', opts.stride ?? 1, 1),
    padding: pair('conv2d', 'padding', opts.padding ?? 0, 0),
    dilation: pair('conv2d', 'dilation', opts.dilation ?? 1, 1),
  };
  const g = windowGeometry('conv2d', x.shape, win);
  const positions = g.outH * g.outW;
  const ckk = C * kh * kw;
  // The products' shared sizes padded with zeros to multiples of 4, which the vec4 matmul
  // needs along each operand's contiguous axis: cols' rows (K = C·kh·kw: LeNet's conv1 has 25)
  // and the output channels (dW2 = dzᵀ·cols and dcols = dz·W2 read dz along O: LeNet's conv2
  // has 50). Unpadded, these products take the clamped scalar kernel; on SwiftShader the two
  // measured the same for LeNet (step 555-596 ms padded, 557-604 unpadded), and the vec4 and
  // workgroup-memory kernels are the ones the profiles tune.
  const Kp = Math.ceil(ckk / 4) * 4;
  const Op = Math.ceil(O / 4) * 4;
  const chunks = weightGradChunks(g.batch, Kp, Op);
  const temps: Tensor[] = [];
  const keep = (t: Tensor) => (temps.push(t), t);
  const cols = keep(ops.run1('im2col', [x], { ...win, colsWidth: Kp }));
  const chunked = keep(ops.run1('reshape', [cols], { shape: [chunks, (g.batch / chunks) * positions, Kp] }));
  let w2 = keep(ops.run1('reshape', [w], { shape: [O, ckk] }));
  let bias = opts.bias;
  if (Op !== O || Kp !== ckk) w2 = keep(ops.run1('pad', [w2], { paddings: [[0, Op - O], [0, Kp - ckk]] }));
  if (Op !== O && bias) bias = keep(ops.run1('pad', [bias], { paddings: [[0, Op - O]] }));
  const z = keep(runMatmul(ops, recording, chunked, w2, { transposeB: true, bias, activation: opts.activation, alpha: opts.alpha }, gradAtZero, activationOp));
  const channelsLast = keep(ops.run1('reshape', [z], { shape: [g.batch, positions, Op] }));
  let channelsFirst = keep(ops.run1('transpose', [channelsLast], { perm: [0, 2, 1] }));
  if (Op !== O) channelsFirst = keep(ops.run1('slice', [channelsFirst], { begin: [0, 0, 0], size: [g.batch, O, positions] }));
  const y = ops.run1('reshape', [channelsFirst], { shape: [g.batch, O, g.outH, g.outW] });
  // The intermediates' commands are recorded: freeing them now is safe (the pool reuses a
  // buffer only after the submit), and a tape that still needs them defers the free.
  for (const t of temps) t.dispose();
  return y;
}
