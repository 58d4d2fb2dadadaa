// What the training page shows besides the charts: the status lines, the backend notice (with
// its action: use the CPU, restart after a lost device), one line per epoch, the test-digit
// grid and the ten class probabilities of the drawn digit. Plain DOM; main.ts decides when.
// `data-*` attributes carry the numbers for the smoke test.

export const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
};

export type State = 'idle' | 'loading' | 'running' | 'paused' | 'done' | 'stopped' | 'diverged' | 'lost' | 'error';

/** The main status line; `data-state` tells the smoke test where the page is. */
export function setStatus(text: string, state: State): void {
  const el = byId('status');
  el.textContent = text;
  el.dataset.state = state;
}

/** The line under the status that changes every step. */
export function setProgress(text: string): void {
  byId('progress').textContent = text;
}

export function setSpeed(samplesPerSecond: number | null): void {
  const el = byId('speed');
  el.textContent = samplesPerSecond === null ? '' : `${Math.round(samplesPerSecond).toLocaleString('en-US')} samples/s`;
  el.dataset.value = samplesPerSecond === null ? '' : String(samplesPerSecond);
}

/** The backend line: what runs the arithmetic, or a problem with one action button.
 *  `data-state`: 'ok', 'unavailable' (no WebGPU) or 'lost' (the device was lost). */
export function setBackendNotice(text: string, state: 'ok' | 'unavailable' | 'lost', action?: { label: string; run: () => void }): void {
  const el = byId('backend-notice');
  el.dataset.state = state;
  const p = document.createElement('span');
  p.textContent = text;
  el.replaceChildren(p);
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.id = 'notice-action';
    b.textContent = action.label;
    b.addEventListener('click', action.run);
    el.append(' ', b);
  }
}

/** The message next to a form field ('' clears it). */
export function setFieldError(name: string, message: string): void {
  const input = document.querySelector<HTMLInputElement>(`[name="${name}"]`);
  const hint = input?.closest('label')?.querySelector('small.error');
  if (!input || !hint) throw new Error(`index.html has no field '${name}' with a small.error`);
  hint.textContent = message;
  input.setAttribute('aria-invalid', message ? 'true' : 'false');
}

export interface EpochLine {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  samplesPerSecond: number;
  seconds: number;
}

export function addEpochLine(l: EpochLine): void {
  const li = document.createElement('li');
  li.textContent =
    `epoch ${l.epoch}: train loss ${l.trainLoss.toFixed(4)} · test loss ${l.testLoss.toFixed(4)} · ` +
    `test accuracy ${(100 * l.testAccuracy).toFixed(2)}% · ${Math.round(l.samplesPerSecond).toLocaleString('en-US')} samples/s ` +
    `(${l.seconds.toFixed(1)} s)`;
  li.dataset.testAccuracy = String(l.testAccuracy);
  li.dataset.trainLoss = String(l.trainLoss);
  byId('log').append(li);
}

export function addLogNote(text: string): void {
  const li = document.createElement('li');
  li.className = 'note';
  li.textContent = text;
  byId('log').append(li);
}

export function clearLog(): void {
  byId('log').replaceChildren();
}

/** One 28×28 image per cell (ink dark on white), captioned with the predicted class; a wrong
 *  prediction is red and shows the true class. */
export function drawDigits(images: Float32Array, labels: Int32Array, predicted: ArrayLike<number>, names: string[], caption: string): void {
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
    const name = (k: number) => names[k] ?? String(k);
    label.textContent = ok ? name(predicted[i]!) : `${name(predicted[i]!)} (is ${name(labels[i]!)})`;
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

/** The ten softmax probabilities as bars, the most likely class highlighted; null clears them. */
export function showProbabilities(p: Float32Array | null, names: string[], modelNote: string): void {
  const box = byId('probabilities');
  const best = p ? p.indexOf(Math.max(...p)) : -1;
  box.dataset.values = p ? Array.from(p, (v) => v.toFixed(6)).join(',') : '';
  box.dataset.predicted = String(best);
  box.dataset.updates = String(Number(box.dataset.updates ?? 0) + 1);
  const rows = names.map((name, k) => {
    const row = document.createElement('div');
    row.className = k === best ? 'prob best' : 'prob';
    const label = document.createElement('span');
    label.className = 'name';
    label.textContent = name;
    const track = document.createElement('span');
    track.className = 'track';
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${p ? (100 * p[k]!).toFixed(1) : 0}%`;
    track.append(bar);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = p ? `${(100 * p[k]!).toFixed(1)}%` : '';
    row.append(label, track, value);
    return row;
  });
  const head = byId('reading');
  head.textContent = p ? `The model reads: ${names[best]} (${(100 * p[best]!).toFixed(1)}%) · ${modelNote}` : `Draw a digit in the box · ${modelNote}`;
  box.replaceChildren(...rows);
}
