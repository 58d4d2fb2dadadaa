// Inverted dropout with a counter-based generator: the mask bit of element i is a pure
// function of (i, seed), so the GPU (shaders/dropout.wgsl) and this reference draw the SAME
// mask bit for bit, any element can be recomputed without storing the mask, and the backward
// pass reuses it by running the same op on dy.
//
//   u_i    = pcg2d(i, seed).x      (Jarzynski & Olano, "Hash Functions for GPU Rendering",
//                                   JCGT 2020: two rounds of an LCG step and xor-shift mixing)
//   keep_i = (u_i >> 8) >= floor(rate · 2^24)   (24 bits, so rate = 1 drops everything and
//                                                the threshold is exact in f32 and u32)
//   y_i    = keep_i ? x_i · s : 0,  s = f32(1 / (1 − rate))   (0 when rate = 1)
//
// All arithmetic is on u32 (Math.imul, >>> 0 here); s is rounded to f32 first because the
// GPU multiplies by an f32 uniform, and an f32 × f32 product is exact in f64, so the rounded
// results agree exactly too.

import type { Vec } from './types';

const LCG_MUL = 1664525;
const LCG_ADD = 1013904223;

/** pcg2d(v).x: 32 well-mixed bits from the pair (index, seed). */
export function pcg2dHash(index: number, seed: number): number {
  let x = (Math.imul(index >>> 0, LCG_MUL) + LCG_ADD) >>> 0;
  let y = (Math.imul(seed >>> 0, LCG_MUL) + LCG_ADD) >>> 0;
  x = (x + Math.imul(y, LCG_MUL)) >>> 0;
  y = (y + Math.imul(x, LCG_MUL)) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  y = (y ^ (y >>> 16)) >>> 0;
  x = (x + Math.imul(y, LCG_MUL)) >>> 0; // pcg2d's last y update does not reach x: skipped
  return (x ^ (x >>> 16)) >>> 0;
}

/** The 24-bit threshold below which an element is dropped. */
export function dropThreshold(rate: number): number {
  return Math.floor(rate * 2 ** 24);
}

/** The inverted-dropout scale as the GPU sees it (an f32 uniform). */
export function dropoutScale(rate: number): number {
  return rate >= 1 ? 0 : Math.fround(1 / (1 - rate));
}

/** Whether element `index` survives: the mask both backends use. */
export function dropoutKeeps(index: number, seed: number, rate: number): boolean {
  return pcg2dHash(index, seed) >>> 8 >= dropThreshold(rate);
}

// y_i = keep(i, seed) ? x_i / (1 − rate) : 0
export function dropoutCpu(x: Vec, rate: number, seed: number): Vec {
  const threshold = dropThreshold(rate);
  const s = dropoutScale(rate);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) if (pcg2dHash(i, seed) >>> 8 >= threshold) y[i] = x[i]! * s;
  return y;
}
