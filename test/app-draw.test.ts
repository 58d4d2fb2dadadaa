// The draw-a-digit pad's preprocessing (app/draw.ts toMnistInput): MNIST's recipe of a 20-pixel
// box with the aspect ratio kept and the centre of mass at the field's centre.

import { describe, expect, it } from 'vitest';
import { toMnistInput } from '../app/draw';
import { createRng } from '../src/data/batches';

const W = 280;

/** A W×W canvas with ink 1 in the rectangle [x, x + w) × [y, y + h). */
function rect(x: number, y: number, w: number, h: number): Float32Array {
  const ink = new Float32Array(W * W);
  for (let r = y; r < y + h; r++) ink.fill(1, r * W + x, r * W + x + w);
  return ink;
}

/** Bounding box, mass and centre of mass of a 28×28 input. */
function measure(img: Float32Array) {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1, mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = img[y * 28 + x]!;
      if (v > 0) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1, mass, cx: cx / mass, cy: cy / mass };
}

describe('app/draw.ts toMnistInput', () => {
  it('an empty drawing gives null; a faint fringe below the threshold counts as empty', () => {
    expect(toMnistInput(new Float32Array(W * W), W, W)).toBeNull();
    expect(toMnistInput(new Float32Array(W * W).fill(0.01), W, W)).toBeNull();
  });

  it('rejects an image whose size does not match its dimensions', () => {
    expect(() => toMnistInput(new Float32Array(10), 4, 4)).toThrow(/10 values for a 4×4 image/);
  });

  it('scales the longer side to 20 pixels, keeps the aspect ratio, and centres the mass wherever the drawing was', () => {
    for (const [x, y, w, h] of [[0, 0, 100, 50], [170, 200, 60, 80], [5, 60, 200, 200], [250, 3, 7, 21]] as const) {
      const img = toMnistInput(rect(x, y, w, h), W, W)!;
      expect(img.length).toBe(784);
      const m = measure(img);
      const long = Math.max(m.w, m.h);
      expect(long).toBe(20);
      expect(Math.min(m.w, m.h)).toBe(Math.round((20 * Math.min(w, h)) / Math.max(w, h)));
      // A solid block: its centre of mass sits within half a pixel of the field's centre.
      expect(Math.abs(m.cx - 13.5)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(m.cy - 13.5)).toBeLessThanOrEqual(0.5);
      expect(Math.max(...img)).toBeLessThanOrEqual(1);
    }
  });

  it('averages the area under each pixel: the mean ink is kept', () => {
    // Random ink (values in [0, 1)) in a 200×140 box: area-averaging keeps the mean ink.
    const rng = createRng(3);
    const ink = new Float32Array(W * W);
    for (let r = 40; r < 180; r++) for (let c = 30; c < 230; c++) ink[r * W + c] = 0.06 + 0.94 * rng.next();
    let mean = 0;
    for (const v of ink) mean += v;
    mean /= 200 * 140;
    const m = measure(toMnistInput(ink, W, W)!);
    expect(m.w).toBe(20);
    expect(m.h).toBe(14);
    // 280 target pixels, each the mean of a 10×10 block: their sum is 280 × the mean ink (f32 sums).
    expect(m.mass / (20 * 14)).toBeCloseTo(mean, 4);
  });

  it('a centre of mass off the box centre (an "L") moves the box, not the mass', () => {
    const ink = rect(60, 20, 30, 200);
    for (let r = 190; r < 220; r++) ink.fill(1, r * W + 60, r * W + 220); // the foot of the L
    const m = measure(toMnistInput(ink, W, W)!);
    expect(Math.abs(m.cx - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(m.cy - 13.5)).toBeLessThanOrEqual(0.5);
  });
});
