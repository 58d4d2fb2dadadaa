// The browser training page (`npm run app`): trains the lectures' MNIST MLP, 784-H-10 with
// ReLU, softmax cross-entropy and Adam, on the student's own GPU through WebGPU (or on the
// CPU reference backend), with a live loss curve, one line per epoch and, at the end, the
// predictions on a few test digits. The training loop is the library's `fit`; Stop sets a
// flag that the next onStep/onEpoch callback turns into a `Stopped` exception ending `fit`.
// The hidden query parameter ?limit=N trains on the first N examples (the smoke test's).

import { createEngine, type Backend, type Engine } from '../src/index';
import { batchCount } from '../src/data/batches';
import type { Split } from '../src/data/dataset';
import { dense, sequential, type Sequential } from '../src/nn/layers';
import { softmaxCrossEntropy } from '../src/nn/losses';
import { evaluate, fit } from '../src/nn/train';
import { firstExamples, loadMnist } from './data';
import { addEpochLine, clearResults, drawDigits, drawLossCurve, setAdapter, setProgress, setStatus, type Point } from './view';

const SEED = 1;
/** Read the loss back every this many steps: a point of the live curve. */
const LOSS_EVERY = 5;
/** How many test digits the prediction grid shows. */
const GRID_DIGITS = 24;

interface Settings {
  backend: Backend;
  epochs: number;
  batchSize: number;
  hidden: number;
  lr: number;
  labelSmoothing: number;
}

/** Thrown from a fit callback when Stop was pressed. */
class Stopped extends Error {}

const form = document.getElementById('controls') as HTMLFormElement;
const trainButton = document.getElementById('train') as HTMLButtonElement;
const stopButton = document.getElementById('stop') as HTMLButtonElement;
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
const limit = parseLimit(new URLSearchParams(location.search).get('limit'));
let stopRequested = false;

function parseLimit(v: string | null): number | null {
  const n = Number(v);
  return v !== null && Number.isInteger(n) && n > 0 ? n : null;
}

/** The form's values, checked; throws a message naming the bad field. */
function readSettings(): Settings {
  const num = (name: string, label: string, ok: (v: number) => boolean, rule: string) => {
    const v = Number(field(name).value);
    if (field(name).value.trim() === '' || !ok(v)) throw new Error(`${label} must be ${rule}`);
    return v;
  };
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  return {
    backend: field('backend').value as Backend,
    epochs: num('epochs', 'Epochs', posInt, 'a whole number ≥ 1'),
    batchSize: num('batchSize', 'Batch size', posInt, 'a whole number ≥ 1'),
    hidden: num('hidden', 'Hidden units', posInt, 'a whole number ≥ 1'),
    lr: num('lr', 'Learning rate', (v) => v > 0 && Number.isFinite(v), 'a positive number'),
    labelSmoothing: num('labelSmoothing', 'Label smoothing', (v) => v >= 0 && v < 1, 'in [0, 1)'),
  };
}

/** Reports whether this browser has a usable WebGPU adapter; without one, selects the CPU. */
async function probeWebGpu(): Promise<void> {
  const cpuHint = 'The CPU backend is selected instead (the reference implementation: the same numbers, slower).';
  let problem: string | null = null;
  if (!isSecureContext) problem = 'WebGPU needs a secure page (https:// or http://localhost).';
  else if (!navigator.gpu) problem = 'This browser has no WebGPU (Chrome and Edge 113+ have it; in Firefox and Safari it may need enabling).';
  else {
    const adapter = await navigator.gpu.requestAdapter().catch(() => null);
    if (!adapter) problem = 'WebGPU is present but no GPU adapter is usable (chrome://gpu shows why).';
    else {
      const { vendor, architecture, device, description } = adapter.info;
      const name = [...new Set([vendor, architecture, device, description].filter((s) => s))].join(' / ') || 'unknown adapter';
      setAdapter(`WebGPU adapter: ${name}`);
      return;
    }
  }
  setAdapter(`WebGPU is not available: ${problem} ${cpuHint}`, true);
  field('backend').value = 'cpu';
  updateBackendHint();
}

function updateBackendHint(): void {
  const hint = document.getElementById('backend-hint')!;
  hint.textContent = field('backend').value === 'cpu' ? 'the page updates once per epoch' : '';
}

function setRunning(running: boolean): void {
  form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select').forEach((el) => (el.disabled = running));
  trainButton.disabled = running;
  stopButton.disabled = !running;
}

/** Lets the browser paint and handle clicks (the CPU backend otherwise never yields). */
const breathe = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function train(): Promise<void> {
  let s: Settings;
  try {
    s = readSettings();
  } catch (err) {
    setStatus((err as Error).message, 'error');
    return;
  }
  stopRequested = false;
  setRunning(true);
  clearResults();
  let e: Engine | null = null;
  let model: Sequential | null = null;
  let test: Split | null = null;
  let epochsDone = 0;
  const t0 = performance.now();
  try {
    setStatus('Loading the MNIST digits…', 'running');
    const data = await loadMnist();
    test = data.test;
    const trainSplit = firstExamples(data.train, limit);
    setStatus(`Starting the ${s.backend} backend…`, 'running');
    e = await createEngine({ backend: s.backend });
    setAdapter(s.backend === 'webgpu' ? `Training on WebGPU: ${e.adapter}` : `Training on the CPU reference backend (${e.adapter})`);
    const m = sequential([dense(784, s.hidden, { activation: 'relu' }), dense(s.hidden, 10)]).build(e, SEED);
    model = m;
    const loss = softmaxCrossEntropy({ labelSmoothing: s.labelSmoothing });
    const stepsPerEpoch = batchCount(trainSplit.count, s.batchSize);
    setStatus(
      `Training 784-${s.hidden}-10 ReLU, Adam lr ${s.lr}, batch ${s.batchSize}, label smoothing ${s.labelSmoothing}: ` +
        `${s.epochs} epoch${s.epochs === 1 ? '' : 's'} of ${stepsPerEpoch} steps on ${trainSplit.count.toLocaleString('en-US')} digits ` +
        `(test: ${data.test.count.toLocaleString('en-US')})`,
      'running',
    );
    const title = `softmax cross-entropy, label smoothing ${s.labelSmoothing}`;
    const trainCurve: Point[] = [];
    const testCurve: Point[] = [];
    await fit(m, trainSplit, {
      epochs: s.epochs,
      batchSize: s.batchSize,
      optimizer: { kind: 'adam', lr: s.lr },
      loss,
      seed: SEED,
      lossEvery: LOSS_EVERY,
      onStep: ({ epoch, step, loss: l }) => {
        if (stopRequested) throw new Stopped();
        setProgress(`epoch ${epoch}/${s.epochs}, step ${step - (epoch - 1) * stepsPerEpoch}/${stepsPerEpoch}`);
        if (l === undefined) return;
        trainCurve.push({ x: step / stepsPerEpoch, y: l });
        drawLossCurve(title, trainCurve, testCurve);
      },
      onEpoch: async (info) => {
        const ev = await evaluate(m, data.test, loss);
        epochsDone = info.epoch;
        testCurve.push({ x: info.epoch, y: ev.loss });
        drawLossCurve(title, trainCurve, testCurve);
        addEpochLine({ ...info, epochs: s.epochs, testLoss: ev.loss, testAccuracy: ev.accuracy });
        await breathe();
        if (stopRequested && info.epoch < s.epochs) throw new Stopped();
      },
    });
    setProgress('');
    await showPredictions(m, data.test, `Predictions after ${epochsDone} epoch${epochsDone === 1 ? '' : 's'}`);
    setStatus(`Done: ${epochsDone} epoch${epochsDone === 1 ? '' : 's'} in ${seconds(t0)} s.`, 'done');
  } catch (err) {
    if (!(err instanceof Stopped)) {
      console.error(err);
      const hint = s.backend === 'webgpu' && e === null ? ' Choose the CPU backend to train without WebGPU.' : '';
      setStatus(`Training failed: ${(err as Error).message ?? String(err)}${hint}`, 'error');
      return;
    }
    setProgress('');
    const caption = `Predictions of the network stopped after ${epochsDone} complete epoch${epochsDone === 1 ? '' : 's'}`;
    if (model && test) await showPredictions(model, test, caption).catch((e2: unknown) => console.error(e2));
    setStatus(`Stopped after ${epochsDone} complete epoch${epochsDone === 1 ? '' : 's'} (${seconds(t0)} s).`, 'stopped');
  } finally {
    model?.dispose();
    e?.destroy();
    setRunning(false);
  }
}

const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

/** Runs the first test digits through the model and draws them with the arg-max labels. */
async function showPredictions(model: Sequential, test: Split, caption: string): Promise<void> {
  const e = model.engine;
  const n = Math.min(GRID_DIGITS, test.count);
  const images = test.images.slice(0, n * test.features);
  const predicted = e.tidy(() => e.argMax(model.forward(e.tensor(images, [n, test.features]))));
  const labels = await predicted.read().finally(() => predicted.dispose());
  const right = test.labels.slice(0, n).filter((l, i) => labels[i] === l).length;
  drawDigits(images, test.labels.slice(0, n), labels, `${caption}: ${right} of ${n} right.`);
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void train();
});
stopButton.addEventListener('click', () => {
  stopRequested = true;
  stopButton.disabled = true;
  setProgress('stopping…');
});
field('backend').addEventListener('change', updateBackendHint);
clearResults();
setRunning(false);
setStatus(limit === null ? 'Ready.' : `Ready (training on the first ${limit} examples: ?limit=${limit}).`, 'idle');
void probeWebGpu();
