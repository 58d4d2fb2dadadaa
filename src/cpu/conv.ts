// 2-D convolution in PyTorch's layouts (x [N, C, H, W], weight [O, C, kh, kw], y [N, O, OH, OW])
// as the GPU computes it, plus a direct reference that shares no code with it:
//
//   im2col:   cols[(n, oh, ow), (c, i, j)] = x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]
//             (0 where that falls in the padding); cols is [N·OH·OW, width], width >= C·kh·kw
//             (default C·kh·kw), the columns past C·kh·kw zero
//   conv:     y[n, o, oh, ow] = b[o] + Σ_(c,i,j) w[o, (c, i, j)] · cols[(n, oh, ow), (c, i, j)]
//   col2im:   the transpose of im2col: dx[n, c, h, w] = Σ dcols over every (oh, ow, i, j) whose
//             tap lands on (h, w), summed in (i, j) order (a gather: deterministic, no atomics)

import { assertLength, type Vec } from './types';

/** Sizes of one convolution (or pooling window sweep); every field a non-negative integer. */
export interface Conv2dGeometry {
  batch: number;
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
}

/** Output size along one axis: floor((in + 2·pad − dilation·(k − 1) − 1) / stride) + 1 (PyTorch). */
export function convOutSize(input: number, kernel: number, stride: number, pad: number, dilation: number): number {
  return Math.floor((input + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

// cols[(n, oh, ow), (c, i, j)] = x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw] or 0
export function im2colCpu(x: Vec, g: Conv2dGeometry, width = g.channels * g.kernelH * g.kernelW): Vec {
  const { batch: N, channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
  assertLength('im2colCpu', 'x [N, C, H, W]', x, N * C * H * W);
  const cols = new Float64Array(N * OH * OW * width);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let r = ((n * OH + oh) * OW + ow) * width;
        for (let c = 0; c < C; c++) {
          const plane = (n * C + c) * H * W;
          for (let i = 0; i < KH; i++) {
            const h = oh * g.strideH - g.padH + i * g.dilationH;
            for (let j = 0; j < KW; j++, r++) {
              const w = ow * g.strideW - g.padW + j * g.dilationW;
              if (h >= 0 && h < H && w >= 0 && w < W) cols[r] = x[plane + h * W + w]!;
            }
          }
        }
      }
    }
  }
  return cols;
}

// dx[n, c, h, w] = Σ_(i, j) dcols[(n, oh, ow), (c, i, j)] where oh·sh − ph + i·dh = h, ow·sw − pw + j·dw = w
export function col2imCpu(dcols: Vec, g: Conv2dGeometry, width = g.channels * g.kernelH * g.kernelW): Vec {
  const { batch: N, channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
  assertLength('col2imCpu', 'dcols [N·OH·OW, width]', dcols, N * OH * OW * width);
  const dx = new Float64Array(N * C * H * W);
  let r = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++, r++) {
          let s = 0;
          for (let i = 0; i < KH; i++) {
            const th = h + g.padH - i * g.dilationH;
            if (th < 0 || th % g.strideH !== 0 || th / g.strideH >= OH) continue;
            const oh = th / g.strideH;
            for (let j = 0; j < KW; j++) {
              const tw = w + g.padW - j * g.dilationW;
              if (tw < 0 || tw % g.strideW !== 0 || tw / g.strideW >= OW) continue;
              const row = (n * OH + oh) * OW + tw / g.strideW;
              s += dcols[row * width + (c * KH + i) * KW + j]!;
            }
          }
          dx[r] = s;
        }
      }
    }
  }
  return dx;
}

/** The textbook seven-loop convolution, for tests: independent of im2col and the matmul. */
export function conv2dDirectCpu(x: Vec, w: Vec, bias: Vec | undefined, outChannels: number, g: Conv2dGeometry): Vec {
  const { batch: N, channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
  assertLength('conv2dDirectCpu', 'x', x, N * C * H * W);
  assertLength('conv2dDirectCpu', 'w', w, outChannels * C * KH * KW);
  const y = new Float64Array(N * outChannels * OH * OW);
  let r = 0;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outChannels; o++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, r++) {
          let s = bias ? bias[o]! : 0;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < KH; i++) {
              const h = oh * g.strideH - g.padH + i * g.dilationH;
              if (h < 0 || h >= H) continue;
              for (let j = 0; j < KW; j++) {
                const v = ow * g.strideW - g.padW + j * g.dilationW;
                if (v >= 0 && v < W) s += w[((o * C + c) * KH + i) * KW + j]! * x[((n * C + c) * H + h) * W + v]!;
              }
            }
          }
          y[r] = s;
        }
      }
    }
  }
  return y;
}
