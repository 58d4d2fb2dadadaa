// The draw-a-digit pad: a canvas the person draws on with a mouse, pen or finger, and the
// preprocessing that turns the drawing into a 28×28 MNIST-style input, as MNIST's digits were
// made (LeCun et al.): the ink's bounding box scaled to fit 20×20 pixels with its aspect ratio
// kept (area-averaged, so strokes become grey at their edges), then placed in the 28×28 field
// with its centre of mass at the centre.

/** MNIST's geometry: the digit fits this box, inside a field of SIDE × SIDE pixels. */
const BOX = 20;
const SIDE = 28;
/** Ink below this (0..1) does not count towards the bounding box (antialiasing fringe). */
const INK_THRESHOLD = 0.05;

/**
 * Ink values (0 = paper, 1 = ink), row-major `width × height`, to a 784-value MNIST input in
 * [0, 1]; null when there is no ink.
 */
export function toMnistInput(ink: Float32Array, width: number, height: number): Float32Array | null {
  if (ink.length !== width * height) throw new Error(`toMnistInput: ${ink.length} values for a ${width}×${height} image`);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > INK_THRESHOLD) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const scale = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * scale));
  const th = Math.max(1, Math.round(h * scale));
  // Each target pixel averages the source pixels under its footprint (at least one; the last
  // row and column reach the box's edge whatever the rounding of tw and th).
  const span = (t: number, n: number, start: number, end: number): [number, number] => {
    const a = Math.min(end, start + Math.floor(t / scale));
    const b = t === n - 1 ? end + 1 : Math.min(end + 1, start + Math.floor((t + 1) / scale));
    return [a, Math.max(a + 1, b)];
  };
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const [sy0, sy1] = span(ty, th, y0, y1);
    for (let tx = 0; tx < tw; tx++) {
      const [sx0, sx1] = span(tx, tw, x0, x1);
      let sum = 0;
      for (let sy = sy0; sy < sy1; sy++) for (let sx = sx0; sx < sx1; sx++) sum += ink[sy * width + sx]!;
      small[ty * tw + tx] = sum / ((sy1 - sy0) * (sx1 - sx0));
    }
  }
  // Centre of mass in pixel-index coordinates; the field's centre is (SIDE - 1) / 2.
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x]!;
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const ox = clamp(Math.round((SIDE - 1) / 2 - cx / mass), SIDE - tw);
  const oy = clamp(Math.round((SIDE - 1) / 2 - cy / mass), SIDE - th);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out[(oy + y) * SIDE + ox + x] = Math.min(1, small[y * tw + x]!);
  return out;
}

/**
 * The canvas: pointer events (mouse, pen, touch) draw round strokes; `onChange` gets the
 * MNIST input at most once per animation frame while drawing, and null after `clear`.
 */
export class DrawPad {
  private drawing = false;
  private last: { x: number; y: number } | null = null;
  private frame: number | null = null;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onChange: (input: Float32Array | null) => void,
  ) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    // A stroke about 2.5 of MNIST's 28 pixels wide once the digit is scaled to 20 pixels.
    this.ctx.lineWidth = canvas.width / 12;
    this.ctx.lineCap = 'round';
    this.ctx.lineJoin = 'round';
    this.ctx.strokeStyle = '#000';
    canvas.style.touchAction = 'none'; // a finger draws instead of scrolling the page
    canvas.addEventListener('pointerdown', (ev) => {
      this.drawing = true;
      canvas.setPointerCapture(ev.pointerId);
      this.last = this.point(ev);
      this.stroke(this.last);
    });
    canvas.addEventListener('pointermove', (ev) => {
      if (!this.drawing) return;
      this.stroke(this.point(ev));
    });
    const end = () => {
      this.drawing = false;
      this.last = null;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.onChange(null);
  }

  /** The current drawing as an MNIST input (null if empty). */
  input(): Float32Array | null {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i + 3]! / 255; // strokes are black: alpha is ink
    return toMnistInput(ink, width, height);
  }

  private point(ev: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((ev.clientX - r.left) / r.width) * this.canvas.width, y: ((ev.clientY - r.top) / r.height) * this.canvas.height };
  }

  private stroke(p: { x: number; y: number }): void {
    const from = this.last ?? p;
    this.ctx.beginPath();
    this.ctx.moveTo(from.x, from.y);
    this.ctx.lineTo(p.x + 0.01, p.y); // a zero-length line draws nothing: a click makes a dot
    this.ctx.stroke();
    this.last = p;
    this.frame ??= requestAnimationFrame(() => {
      this.frame = null;
      this.onChange(this.input());
    });
  }
}
