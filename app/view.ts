// What the training page draws: the status lines, one line per epoch, the live loss curve
// (the same small SVG line chart `npm run train -- --save` writes, from cli/loss-curve.ts)
// and a grid of test digits with the model's predictions. Plain DOM; main.ts decides when.

import { lossCurveSvg } from '../src/io/loss-curve';

const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
};

export type State = 'idle' | 'running' | 'done' | 'stopped' | 'error';

/** The main status line; `data-state` tells the smoke test where the run is. */
export function setStatus(text: string, state: State): void {
  const el = byId('status');
  el.textContent = text;
  el.dataset.state = state;
}

/** The backend line: the adapter in use, or why WebGPU is unavailable (`data-state`
 *  becomes 'ok' or 'unavailable' once the page has checked). */
export function setAdapter(text: string, problem = false): void {
  const el = byId('adapter');
  el.textContent = text;
  el.dataset.state = problem ? 'unavailable' : 'ok';
}

/** The line under the status that changes every step (epoch and step counters). */
export function setProgress(text: string): void {
  byId('progress').textContent = text;
}

export interface EpochLine {
  epoch: number;
  epochs: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  samplesPerSecond: number;
  seconds: number;
}

export function addEpochLine(l: EpochLine): void {
  const li = document.createElement('li');
  li.textContent =
    `epoch ${l.epoch}/${l.epochs}: train loss ${l.trainLoss.toFixed(4)} · test loss ${l.testLoss.toFixed(4)} · ` +
    `test accuracy ${(100 * l.testAccuracy).toFixed(2)}% · ${Math.round(l.samplesPerSecond).toLocaleString('en-US')} samples/s ` +
    `(${l.seconds.toFixed(1)} s)`;
  li.dataset.testAccuracy = String(l.testAccuracy);
  li.dataset.trainLoss = String(l.trainLoss);
  byId('log').append(li);
}

export interface Point {
  x: number;
  y: number;
}

/** Redraws the loss curve at the next animation frame (many calls per frame cost one draw). */
export function drawLossCurve(title: string, train: Point[], test: Point[]): void {
  pendingCurve = { title, train, test };
  if (curveFrame !== null) return;
  curveFrame = requestAnimationFrame(() => {
    curveFrame = null;
    const c = pendingCurve!;
    byId('chart').innerHTML = lossCurveSvg(c.title, 'epoch', [
      { name: 'train (every few steps)', color: '#1f77b4', points: c.train },
      { name: 'test (per epoch)', color: '#d62728', points: c.test, markers: true },
    ]);
  });
}
let pendingCurve: { title: string; train: Point[]; test: Point[] } | null = null;
let curveFrame: number | null = null;

/** Empties the epoch lines, the chart and the digit grid before a new run. */
export function clearResults(): void {
  if (curveFrame !== null) cancelAnimationFrame(curveFrame);
  curveFrame = null;
  byId('log').replaceChildren();
  byId('chart').replaceChildren(placeholder('The loss curve appears here while the network trains.'));
  byId('digits').replaceChildren(placeholder('Predictions on test digits appear here after training.'));
  setProgress('');
}

function placeholder(text: string): HTMLElement {
  const p = document.createElement('p');
  p.className = 'placeholder';
  p.textContent = text;
  return p;
}

/** One 28×28 digit per cell (ink dark on white), captioned with the predicted label;
 *  a wrong prediction is red and shows the true label. */
export function drawDigits(images: Float32Array, labels: Int32Array, predicted: ArrayLike<number>, caption: string): void {
  const grid = document.createElement('div');
  grid.className = 'grid';
  for (let i = 0; i < labels.length; i++) {
    const canvas = document.createElement('canvas');
    canvas.width = 28;
    canvas.height = 28;
    const img = new ImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      const v = Math.round(255 * (1 - images[i * 784 + p]!));
      img.data.set([v, v, v, 255], p * 4);
    }
    canvas.getContext('2d')!.putImageData(img, 0, 0);
    const ok = predicted[i] === labels[i];
    const label = document.createElement('span');
    label.textContent = ok ? `${predicted[i]}` : `${predicted[i]} (is ${labels[i]})`;
    const cell = document.createElement('figure');
    cell.className = ok ? 'right' : 'wrong';
    cell.dataset.predicted = String(predicted[i]);
    cell.dataset.label = String(labels[i]);
    cell.append(canvas, label);
    grid.append(cell);
  }
  const note = document.createElement('p');
  note.className = 'note';
  note.textContent = caption;
  byId('digits').replaceChildren(note, grid);
}
