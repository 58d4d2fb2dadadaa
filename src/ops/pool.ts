// 2-D max and average pooling over NCHW tensors (PyTorch's MaxPool2d / AvgPool2d with
// ceil_mode off; avg counts padding, count_include_pad=True). Kernels: shaders/pool.wgsl;
// reference: src/cpu/pool.ts. Max pooling saves the in-plane index of each window's first
// maximum as an auxiliary output, so its gradient is a gather that needs no comparison of
// values; both gradients are gathers over the windows covering each input element.

import { pool2dCpu, pool2dGradCpu, type PoolKind } from '../cpu/pool';
import type { Conv2dGeometry } from '../cpu/conv';
import type { CommandQueue } from '../gpu/queue';
import { nonDifferentiable, type OpDef } from './op';
import { dispatch3d, pair, windowGeometry, type Pair, type Window2d } from './conv';
import { fmt, type Shape } from './tensor';

/** Options of {@link Engine.maxPool2d} and {@link Engine.avgPool2d}. */
export interface Pool2dOptions {
  /** The window, n or [h, w]. */
  kernel: Pair;
  /** Default: the kernel (non-overlapping windows). */
  stride?: Pair;
  /** Implicit padding on each side, at most half the kernel (as PyTorch). Default 0. */
  padding?: Pair;
}

export interface PoolAttrs {
  kind: PoolKind;
  window: Window2d;
}

/** The validated window of maxPool2d / avgPool2d options. */
export function poolAttrs(kind: PoolKind, opts: Pool2dOptions): PoolAttrs {
  const op = `${kind}Pool2d`;
  if (opts === null || typeof opts !== 'object') throw new Error(`${op}: options must be an object such as { kernel: 2 }, got ${String(opts)}`);
  if (opts.kernel === undefined) throw new Error(`${op}: options.kernel is required (n or [h, w])`);
  const kernel = pair(op, 'kernel', opts.kernel, 1);
  const stride = pair(op, 'stride', opts.stride ?? kernel, 1);
  const padding = pair(op, 'padding', opts.padding ?? 0, 0);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw new Error(`${op}: padding [${padding.join(', ')}] must be at most half the kernel [${kernel.join(', ')}] (a window would hold only padding)`);
  }
  return { kind, window: { kernel, stride, padding, dilation: [1, 1] } };
}

function geometry(kind: PoolKind, x: Shape, attrs: PoolAttrs): Conv2dGeometry {
  return windowGeometry(`${kind}Pool2d`, x, attrs.window);
}

/** The Dims uniform of shaders/pool.wgsl. */
function poolUniforms(g: Conv2dGeometry): Record<string, number> {
  return {
    planes: g.batch * g.channels,
    height: g.height,
    width: g.width,
    kernel_h: g.kernelH,
    kernel_w: g.kernelW,
    stride_h: g.strideH,
    stride_w: g.strideW,
    pad_h: g.padH,
    pad_w: g.padW,
    out_h: g.outH,
    out_w: g.outW,
  };
}

/** pool: a grid over the output planes; pool_grad: over the input planes. */
function dispatchPool(q: CommandQueue, kernel: 'pool.pool' | 'pool.pool_grad', g: Conv2dGeometry, kind: PoolKind, bindings: Record<string, GPUBuffer>, saveArg = true): void {
  const [nx, ny] = kernel === 'pool.pool' ? [g.outW, g.outH] : [g.width, g.height];
  const overrides = kernel === 'pool.pool' ? { is_max: kind === 'max', save_arg: saveArg } : { is_max: kind === 'max' };
  dispatch3d(q, kernel, [nx, ny, g.batch * g.channels], poolUniforms(g), bindings, overrides);
}

/** y [N, C, OH, OW]; for max also the arg-max indices (an auxiliary output, made only where a
 *  tape records the op: backwardOnly). */
export const pool2d: OpDef<PoolAttrs> = {
  name: 'pool2d',
  outputs([x], attrs) {
    const g = geometry(attrs.kind, x!, attrs);
    const y = [g.batch, g.channels, g.outH, g.outW];
    return attrs.kind === 'max' ? [y, y] : [y];
  },
  backwardOnly: true,
  cpu([x], [s], attrs, saved) {
    const r = pool2dCpu(attrs.kind, x!, geometry(attrs.kind, s!, attrs));
    return r.argmax && saved ? [r.values, r.argmax] : [r.values];
  },
  gpu(q, [x], [y, arg], [s], attrs, saved) {
    const g = geometry(attrs.kind, s!, attrs);
    // avg, or max outside a tape, writes no arg-max, but the binding needs a buffer (not y:
    // two writable bindings of one buffer are rejected)
    dispatchPool(q, 'pool.pool', g, attrs.kind, { x: x!, y: y!, arg: arg ?? q.scratch(4) }, saved);
  },
  // max: dy to the (first) arg-max of each window;  avg: dy/(kh·kw) to every element of it
  backward: ({ ops, inputs: [x], outputs: [, arg], dy, attrs }) => [
    ops.run1('pool2dGrad', attrs.kind === 'max' ? [dy, arg!] : [dy], { ...attrs, inputShape: x!.shape }),
  ],
};

/** dx [N, C, H, W] from dy (and the saved arg-max for max pooling). */
export const pool2dGrad: OpDef<PoolAttrs & { inputShape: Shape }> = {
  name: 'pool2dGrad',
  outputs([dy, arg], attrs) {
    const g = geometry(attrs.kind, attrs.inputShape, attrs);
    const want = [g.batch, g.channels, g.outH, g.outW];
    for (const s of attrs.kind === 'max' ? [dy!, arg!] : [dy!]) {
      if (s === undefined || s.length !== 4 || s.some((d, i) => d !== want[i])) {
        throw new Error(`${attrs.kind}Pool2d gradient: got ${s ? fmt(s) : 'no arg-max'}, expected ${fmt(want)}`);
      }
    }
    return [attrs.inputShape];
  },
  cpu: ([dy, arg], _s, attrs) => [pool2dGradCpu(attrs.kind, dy!, geometry(attrs.kind, attrs.inputShape, attrs), arg)],
  gpu(q, [dy, arg], [dx], _s, attrs) {
    const g = geometry(attrs.kind, attrs.inputShape, attrs);
    dispatchPool(q, 'pool.pool_grad', g, attrs.kind, { dy: dy!, arg_in: arg ?? dy! /* avg: unread */, dx: dx! });
  },
  backward: nonDifferentiable('pool2dGrad serves the backward rule of pooling; second derivatives are not supported'),
};
