// 2-D max and average pooling over NCHW planes, and their gradients (the CPU twins of
// shaders/pool.wgsl). Windows sweep like a convolution with dilation 1 (Conv2dGeometry with
// channels = C); padding is implicit: -inf for max (never picked), 0 for average.
//
//   max:  y[n, c, oh, ow] = max over the window's real entries; arg = h·W + w of the first
//         maximum in row-major window order (a NaN counts as the maximum; the first NaN wins,
//         so NaN propagates as in PyTorch)
//   avg:  y = Σ window / (kh·kw)  (padding counted: PyTorch's count_include_pad=True)
//   grad: a gather over the windows that contain (h, w), in (oh, ow) order: for max, dy of each
//         window whose arg is (h, w); for avg, dy / (kh·kw) of each window. Deterministic.

import type { Conv2dGeometry } from './conv';
import { assertLength, type Vec } from './types';

export type PoolKind = 'max' | 'avg';

export interface PoolResult {
  values: Vec;
  /** max only: the flat in-plane index h·W + w of each window's (first) maximum. */
  argmax?: Vec;
}

export function pool2dCpu(kind: PoolKind, x: Vec, g: Conv2dGeometry): PoolResult {
  const { batch: N, channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
  assertLength('pool2dCpu', 'x [N, C, H, W]', x, N * C * H * W);
  const values = new Float64Array(N * C * OH * OW);
  const argmax = kind === 'max' ? new Float64Array(values.length) : undefined;
  let r = 0;
  for (let p = 0; p < N * C; p++) {
    const plane = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, r++) {
        let best = -Infinity;
        let arg = -1;
        let sum = 0;
        for (let i = 0; i < KH; i++) {
          const h = oh * g.strideH - g.padH + i;
          if (h < 0 || h >= H) continue;
          for (let j = 0; j < KW; j++) {
            const w = ow * g.strideW - g.padW + j;
            if (w < 0 || w >= W) continue;
            const v = x[plane + h * W + w]!;
            sum += v;
            if (arg < 0 || (!Number.isNaN(best) && (v > best || Number.isNaN(v)))) {
              best = v;
              arg = h * W + w;
            }
          }
        }
        values[r] = kind === 'max' ? best : sum / (KH * KW);
        if (argmax) argmax[r] = arg;
      }
    }
  }
  return { values, argmax };
}

/** First and last window index along one axis whose window covers position `at`. */
function windowsCovering(at: number, pad: number, kernel: number, stride: number, outSize: number): [number, number] {
  const first = Math.max(0, Math.ceil((at + pad - kernel + 1) / stride));
  const last = Math.min(outSize - 1, Math.floor((at + pad) / stride));
  return [first, last];
}

// max: dx[h, w] = Σ_windows dy · [arg = (h, w)];  avg: dx[h, w] = Σ_windows dy / (kh·kw)
export function pool2dGradCpu(kind: PoolKind, dy: Vec, g: Conv2dGeometry, argmax?: Vec): Vec {
  const { batch: N, channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
  assertLength('pool2dGradCpu', 'dy [N, C, OH, OW]', dy, N * C * OH * OW);
  if (kind === 'max') assertLength('pool2dGradCpu', 'argmax', argmax ?? [], dy.length);
  const dx = new Float64Array(N * C * H * W);
  let r = 0;
  for (let p = 0; p < N * C; p++) {
    const out = p * OH * OW;
    for (let h = 0; h < H; h++) {
      const [oh0, oh1] = windowsCovering(h, g.padH, KH, g.strideH, OH);
      for (let w = 0; w < W; w++, r++) {
        const [ow0, ow1] = windowsCovering(w, g.padW, KW, g.strideW, OW);
        let s = 0;
        for (let oh = oh0; oh <= oh1; oh++) {
          for (let ow = ow0; ow <= ow1; ow++) {
            const o = out + oh * OW + ow;
            if (kind === 'avg') s += dy[o]! / (KH * KW);
            else if (argmax![o] === h * W + w) s += dy[o]!;
          }
        }
        dx[r] = s;
      }
    }
  }
  return dx;
}
