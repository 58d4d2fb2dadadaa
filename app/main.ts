// The browser training page (`npm run app`): an MLP (hidden sizes and activation of one's
// choosing) trained on MNIST digits or Fashion-MNIST on the visitor's own GPU through WebGPU,
// or on the CPU reference backend. Start / Pause-Resume / Stop / Reset drive a
// TrainingSession (session.ts); its reports feed the curves (charts.ts), the epoch lines and
// the test-digit grid; the draw pad (draw.ts) asks the current model for its ten class
// probabilities as the person draws. Weights download and load as safetensors with the CLI's
// names (model.ts). Faults: bad fields are marked (settings.ts), a NaN loss stops training with
// the last good weights, no WebGPU offers the CPU, a lost device offers a restart from the
// last good weights. The hidden query parameter ?limit=N trains on the first N examples.

import { createEngine, type Backend, type Engine } from '../src/index';
import type { Dataset, Split } from '../src/data/dataset';
import type { Sequential } from '../src/nn/layers';
import { TrainingCharts } from './charts';
import { CLASS_NAMES, fashionAvailable, firstExamples, loadDataset, type DatasetId } from './data';
import { DrawPad } from './draw';
import { buildModel, cnnLayers, decodeWeights, describeArchitecture, encodeWeights, exampleShape, sameArchitecture, type Architecture } from './model';
import { TrainingSession, readWeights, type Checkpoint, type Outcome } from './session';
import { DEFAULT_LR, architectureOf, optimizerConfig, readSettings, type OptimizerKind, type Settings } from './settings';
import * as view from './view';

const SEED = 1;
const GRID_DIGITS = 24;
const FEATURES = 784;
const CLASSES = 10;

const form = view.byId<HTMLFormElement>('controls');
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
const button = (id: string) => view.byId<HTMLButtonElement>(id);
const limit = ((v: string | null) => (v !== null && Number.isInteger(Number(v)) && Number(v) > 0 ? Number(v) : null))(new URLSearchParams(location.search).get('limit'));

/** The engine and the model the page holds, and the training history of that model. */
interface Current {
  engine: Engine;
  model: Sequential;
  arch: Architecture;
  /** Where the weights came from, for the drawing's caption. */
  origin: string;
  dataset: DatasetId;
  steps: number;
  epochs: number;
}

let current: Current | null = null;
let session: TrainingSession | null = null;
let running: Promise<void> | null = null;
/** The newest weights known to be finite: what a NaN or a lost device falls back to. */
let lastGood: Checkpoint | null = null;
/** Devices the page destroys itself (a backend switch, Reset): their loss is not a fault. */
const retiring = new WeakSet<GPUDevice>();
const charts = new TrainingCharts({
  loss: view.byId<HTMLCanvasElement>('chart-loss'),
  accuracy: view.byId<HTMLCanvasElement>('chart-accuracy'),
  norms: view.byId<HTMLCanvasElement>('chart-norms'),
});
const pad = new DrawPad(view.byId<HTMLCanvasElement>('pad'), (input) => void predict(input));

const names = () => CLASS_NAMES[current?.dataset ?? (field('dataset').value as DatasetId)];
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

// ---- engine and model ---------------------------------------------------------------------

async function newEngine(backend: Backend): Promise<Engine> {
  const e = await createEngine({ backend });
  const device = e.device;
  void device?.lost.then((info) => {
    if (retiring.has(device) || current?.engine !== e || session) return; // a run reports its own loss
    deviceLost(`${info.reason}: ${info.message || 'no details'}`, null);
  });
  view.setBackendNotice(backend === 'webgpu' ? `Training on WebGPU: ${e.adapter}` : `Training on the CPU reference backend (${e.adapter}); WebGPU is faster where present.`, 'ok');
  return e;
}

function retire(c: Current | null): void {
  if (!c) return;
  if (c.engine.device) retiring.add(c.engine.device);
  try {
    c.model.dispose();
    c.engine.destroy();
  } catch (err) {
    console.warn('retiring an engine:', (err as Error).message); // a lost one may refuse
  }
}

/** Replaces the engine and/or model; `weights` (else fresh ones) and the history to keep. */
async function install(backend: Backend, arch: Architecture, weights: Checkpoint['weights'] | null, origin: string, keep?: Pick<Current, 'dataset' | 'steps' | 'epochs'>): Promise<void> {
  const reuse = current && current.engine.backend === backend && !isLost(current.engine) ? current.engine : null;
  const e = reuse ?? (await newEngine(backend));
  const model = buildModel(e, arch, SEED);
  if (weights) model.loadStateDict(weights, origin);
  if (current && current.engine !== e) retire(current);
  else current?.model.dispose();
  current = { engine: e, model, arch, origin, dataset: keep?.dataset ?? (field('dataset').value as DatasetId), steps: keep?.steps ?? 0, epochs: keep?.epochs ?? 0 };
  await refreshPredictions();
}

const lostEngines = new WeakSet<Engine>();
const isLost = (e: Engine) => lostEngines.has(e);

// ---- predictions: the drawn digit and the test grid -----------------------------------------

let predicting = false;
let queued: Float32Array | null | undefined;

/** The model's probabilities for the drawing; one at a time, the newest drawing wins. */
async function predict(input: Float32Array | null): Promise<void> {
  if (predicting) {
    queued = input;
    return;
  }
  const c = current;
  if (!input || !c || isLost(c.engine)) {
    view.showProbabilities(null, names(), caption());
    return;
  }
  predicting = true;
  try {
    const e = c.engine;
    const y = e.tidy(() => e.softmax(c.model.forward(e.tensor(input, [1, ...exampleShape(c.arch)]))));
    view.showProbabilities(await e.readAndDispose(y), names(), caption());
  } catch (err) {
    console.warn('prediction skipped:', (err as Error).message);
  } finally {
    predicting = false;
  }
  if (queued !== undefined) {
    const next = queued;
    queued = undefined;
    await predict(next);
  }
}

function caption(): string {
  if (!current) return 'no model yet';
  const c = current;
  const training = session ? ', training' : '';
  if (c.epochs === 0 && c.steps === 0) return `${describeArchitecture(c.arch)}, ${c.origin}${training}`;
  return `${describeArchitecture(c.arch)} after ${plural(c.epochs, 'epoch')} (${c.steps} steps)${training}`;
}

async function showGrid(test: Split, title: string): Promise<void> {
  const c = current;
  if (!c) return;
  const n = Math.min(GRID_DIGITS, test.count);
  const images = test.images.slice(0, n * test.features);
  const e = c.engine;
  const predicted = e.tidy(() => e.argMax(c.model.forward(e.tensor(images, [n, ...exampleShape(c.arch)]))));
  const labels = await e.readAndDispose(predicted);
  const truth = test.labels.slice(0, n);
  const right = truth.filter((l, i) => labels[i] === l).length;
  view.drawDigits(images, truth, labels, CLASS_NAMES[c.dataset], `${title}: ${right} of ${n} right.`);
}

async function refreshPredictions(): Promise<void> {
  await predict(pad.input());
  const c = current;
  if (!c) return;
  const data = await loadDataset(c.dataset).catch(() => null);
  if (data && current === c) await showGrid(data.test, `Predictions of the ${caption()}`).catch((err: unknown) => console.warn(err));
}

// ---- training -------------------------------------------------------------------------------

function setRunning(state: 'idle' | 'running' | 'paused'): void {
  const busy = state !== 'idle';
  form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select').forEach((el) => (el.disabled = busy));
  if (!busy) field('hidden').disabled = field('model').value === 'cnn'; // the CNN's layers are fixed
  button('start').disabled = busy;
  button('pause').disabled = !busy;
  button('pause').textContent = state === 'paused' ? 'Resume' : 'Pause';
  button('stop').disabled = !busy;
  button('load').disabled = busy;
  view.byId<HTMLInputElement>('weights-file').disabled = busy;
}

function layerNames(model: Sequential): string[] {
  const prefixes = [...new Set(model.namedParams().map((p) => p.name.split('.')[0]!))];
  return prefixes.map((p, i) => `layer ${i + 1} (${p}.weight, ${p}.bias)`);
}

async function start(): Promise<void> {
  const s = readSettings(form);
  if (!s) {
    view.setStatus('Fix the marked fields: nothing was started.', 'error');
    return;
  }
  view.setStatus(`Loading ${s.dataset === 'mnist' ? 'the MNIST digits' : 'Fashion-MNIST'}…`, 'loading');
  let data: Dataset;
  try {
    const full = await loadDataset(s.dataset);
    data = { ...full, train: firstExamples(full.train, limit) };
  } catch (err) {
    view.setStatus(`Could not load the data: ${(err as Error).message}`, 'error');
    return;
  }
  if (s.batchSize > data.train.count) {
    view.setFieldError('batchSize', `at most ${data.train.count} (the training examples)`);
    view.setStatus('Fix the marked fields: nothing was started.', 'error');
    return;
  }
  const arch = architectureOf(s);
  try {
    if (!current || current.engine.backend !== s.backend || isLost(current.engine) || !sameArchitecture(current.arch, arch)) {
      await install(s.backend, arch, null, 'untrained');
      resetHistory();
    } else if (current.dataset !== s.dataset) {
      current.dataset = s.dataset;
      resetHistory();
    }
  } catch (err) {
    startFailed(s.backend, err);
    return;
  }
  await train(s, data);
}

function startFailed(backend: Backend, err: unknown): void {
  const message = (err as Error).message ?? String(err);
  if (backend === 'webgpu') {
    view.setBackendNotice(`WebGPU could not start: ${message}`, 'unavailable', { label: 'Use the CPU backend', run: useCpu });
  }
  view.setStatus(`Could not start: ${message}`, 'error');
}

function resetHistory(): void {
  charts.clear();
  view.clearLog();
  view.setSpeed(null);
  if (current) Object.assign(current, { steps: 0, epochs: 0 });
}

/** A run cut short by a lost device: what a restart trains on with. */
interface Interrupted {
  s: Settings;
  data: Dataset;
  /** The epoch count the run was to reach. */
  targetEpoch: number;
}

/** Runs a session for s.epochs more epochs of the current model. */
async function train(s: Settings, data: Dataset): Promise<void> {
  const c = current!;
  const targetEpoch = c.epochs + s.epochs;
  const layers = layerNames(c.model);
  const stepsPerEpoch = Math.ceil(data.train.count / s.batchSize);
  let progressFrame: number | null = null;
  const t0 = performance.now();
  session = new TrainingSession(c.model, data, { epochs: s.epochs, batchSize: s.batchSize, optimizer: optimizerConfig(s), labelSmoothing: s.labelSmoothing, seed: SEED + c.epochs, exampleShape: exampleShape(c.arch), startStep: c.steps, startEpoch: c.epochs }, {
    onLoss: (_step, x, l) => charts.addTrainLoss(x, l),
    onNorms: (_step, x, n) => charts.addNorms(x, n, layers),
    onSpeed: (v) => view.setSpeed(v),
    onProgress: (epoch, i, n, step) => {
      c.steps = step;
      view.byId('progress').dataset.step = String(step);
      progressFrame ??= requestAnimationFrame(() => {
        progressFrame = null;
        view.setProgress(`epoch ${epoch}, step ${i} of ${n} (${c.steps} steps in all)`);
      });
    },
    onEpoch: async (r) => {
      c.epochs = r.epoch;
      charts.addEpoch(r.epoch, r.testLoss, r.testAccuracy);
      view.addEpochLine(r);
      await showGrid(data.test, `Predictions after epoch ${r.epoch}`);
      void predict(pad.input());
    },
    onCheckpoint: (cp) => (lastGood = cp),
  });
  view.setStatus(
    `Training ${describeArchitecture(c.arch)}, ${s.optimizer} lr ${s.lr}, batch ${s.batchSize}, label smoothing ${s.labelSmoothing}: ` +
      `${plural(s.epochs, 'epoch')} of ${stepsPerEpoch} steps on ${data.train.count.toLocaleString('en-US')} examples (test: ${data.test.count.toLocaleString('en-US')}).`,
    'running',
  );
  setRunning('running');
  let outcome: Outcome;
  running = session.run().then((o) => void (outcome = o));
  await running;
  session = null;
  running = null;
  setRunning('idle');
  view.setProgress('');
  finish(outcome!, s, t0, { s, data, targetEpoch });
}

function finish(o: Outcome, s: Settings, t0: number, run: Interrupted): void {
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  switch (o.kind) {
    case 'done':
    case 'stopped':
      view.setStatus(`${o.kind === 'done' ? 'Done' : 'Stopped'}: ${plural(current!.epochs, 'epoch')} in all, ${current!.steps} steps (${secs} s).`, o.kind);
      break;
    case 'diverged':
      current!.steps = o.restored.step;
      current!.epochs = o.restored.epoch;
      lastGood = o.restored;
      view.setStatus(
        `Training stopped at step ${o.step}: ${o.where} became NaN or infinite (is learning rate ${s.lr >= 1e4 ? s.lr.toExponential() : s.lr} too high for ${s.optimizer}?). ` +
          `The model keeps the last good weights, from step ${o.restored.step}.`,
        'diverged',
      );
      view.addLogNote(`stopped: NaN at step ${o.step}; weights of step ${o.restored.step} kept`);
      break;
    case 'lost':
      lastGood = o.lastGood ?? lastGood;
      deviceLost(o.message, run);
      return;
    case 'failed':
      console.error(o.error);
      view.setStatus(`Training failed: ${o.error.message}`, 'error');
      break;
  }
  void refreshPredictions();
}

function deviceLost(message: string, resume: Interrupted | null): void {
  if (current) lostEngines.add(current.engine);
  const from = lastGood ? `the last good weights (step ${lastGood.step})` : 'fresh weights';
  const at = resume ? ` at step ${current?.steps ?? 0}` : '';
  view.setStatus(`The GPU device was lost (${message})${at}. ${lastGood ? `The last good weights, from step ${lastGood.step}, are kept on the CPU.` : ''}`, 'lost');
  view.setBackendNotice(`The GPU device was lost (${message}).`, 'lost', {
    label: `Restart from ${from}`,
    run: () => void restart(resume),
  });
  view.showProbabilities(null, names(), 'the device was lost');
}

/** A new engine, the model with the last good weights, and (if a run was cut short) training on. */
async function restart(resume: Interrupted | null): Promise<void> {
  const c = current!;
  const cp = lastGood;
  const backend = field('backend').value as Backend;
  try {
    await install(backend, c.arch, cp?.weights ?? null, cp ? 'restored' : 'untrained', { dataset: c.dataset, steps: cp?.step ?? 0, epochs: cp?.epoch ?? 0 });
  } catch (err) {
    startFailed(backend, err);
    return;
  }
  view.addLogNote(`restarted from step ${cp?.step ?? 0} on a new device`);
  if (!resume) {
    view.setStatus(`Restarted on a new device from ${cp ? `step ${cp.step}` : 'fresh weights'}.`, 'idle');
    return;
  }
  await train({ ...resume.s, epochs: Math.max(1, resume.targetEpoch - current!.epochs) }, resume.data);
}

// ---- buttons --------------------------------------------------------------------------------

async function reset(): Promise<void> {
  if (session) {
    session.stop();
    await running;
  }
  const s = readSettings(form);
  const arch = s ? architectureOf(s) : current?.arch;
  lastGood = null;
  resetHistory();
  if (!arch) return;
  try {
    await install(s?.backend ?? current!.engine.backend, arch, null, 'untrained');
    view.setStatus('Reset: a new, untrained model.', 'idle');
  } catch (err) {
    startFailed(s?.backend ?? 'webgpu', err);
  }
}

async function downloadWeights(): Promise<void> {
  const c = current;
  if (!c) return;
  const bytes = encodeWeights(await readWeights(c.model), c.arch, c.dataset);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  a.download = `webgrad-${c.dataset}-${[c.arch.inputs, ...c.arch.hidden, c.arch.outputs].join('-')}-${c.arch.activation}.safetensors`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function loadWeights(file: File): Promise<void> {
  const status = view.byId('weights-status');
  try {
    const { weights, architecture } = decodeWeights(new Uint8Array(await file.arrayBuffer()), file.name, field('activation').value as Architecture['activation']);
    if (architecture.inputs !== FEATURES || architecture.outputs !== CLASSES) {
      throw new Error(`${file.name}: a ${describeArchitecture(architecture)} network; this page trains 784 inputs → 10 classes`);
    }
    await install(field('backend').value as Backend, architecture, weights, `loaded from ${file.name}`);
    field('model').value = 'mlp';
    field('hidden').value = architecture.hidden.join(', ');
    field('activation').value = architecture.activation;
    resetHistory();
    lastGood = { step: 0, epoch: 0, weights };
    status.textContent = `Loaded ${file.name}: ${describeArchitecture(architecture)}, ${Object.keys(weights).length} tensors (${Object.keys(weights).join(', ')}).`;
    status.dataset.loaded = file.name;
    view.setStatus(`Weights loaded from ${file.name}. Start trains on from them.`, 'idle');
  } catch (err) {
    status.textContent = (err as Error).message;
    status.dataset.loaded = '';
    view.setStatus(`Could not load weights: ${(err as Error).message}`, 'error');
  }
}

function useCpu(): void {
  field('backend').value = 'cpu';
  void switchBackend();
}

/** The backend select changed (while idle): the model moves to a new engine, weights and all. */
async function switchBackend(): Promise<void> {
  const backend = field('backend').value as Backend;
  view.byId('backend-hint').textContent = backend === 'cpu' ? 'slower; same numbers' : '';
  try {
    if (!current) {
      const s = readSettings(form);
      await install(backend, architectureOf(s ?? { model: 'mlp', hidden: [128], activation: 'relu' }), null, 'untrained');
      return;
    }
    const c = current;
    const weights = isLost(c.engine) ? (lastGood?.weights ?? null) : await readWeights(c.model);
    await install(backend, c.arch, weights, c.origin, c);
  } catch (err) {
    startFailed(backend, err);
  }
}

/** Says whether this browser has a usable WebGPU adapter; without one, offers the CPU. */
async function probeWebGpu(): Promise<boolean> {
  let problem: string | null = null;
  if (!isSecureContext) problem = 'WebGPU needs a secure page (https:// or http://localhost).';
  else if (!navigator.gpu) problem = 'This browser has no WebGPU (Chrome and Edge 113+ have it; in Firefox and Safari it may need enabling).';
  else if (!(await navigator.gpu.requestAdapter().catch(() => null))) problem = 'WebGPU is present but no GPU adapter is usable (chrome://gpu shows why).';
  if (!problem) return true;
  view.setBackendNotice(`WebGPU is not available: ${problem} The CPU reference backend computes the same numbers, more slowly.`, 'unavailable', { label: 'Use the CPU backend', run: useCpu });
  return false;
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void start();
});
button('pause').addEventListener('click', () => {
  if (!session) return;
  if (session.paused) {
    session.resume();
    setRunning('running');
    view.setStatus(`Resumed at step ${current!.steps}.`, 'running');
  } else {
    session.pause();
    setRunning('paused');
    view.setStatus(`Paused at step ${current!.steps}. Resume goes on from there.`, 'paused');
  }
});
button('stop').addEventListener('click', () => {
  session?.stop();
  view.setProgress('stopping…');
});
button('reset').addEventListener('click', () => void reset());
button('clear').addEventListener('click', () => pad.clear());
button('download').addEventListener('click', () => void downloadWeights());
button('load').addEventListener('click', () => view.byId<HTMLInputElement>('weights-file').click());
view.byId<HTMLInputElement>('weights-file').addEventListener('change', (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (file) void loadWeights(file);
  (ev.target as HTMLInputElement).value = '';
});
field('backend').addEventListener('change', () => void switchBackend());
field('model').addEventListener('change', () => {
  field('hidden').disabled = field('model').value === 'cnn';
});
field('optimizer').addEventListener('change', () => {
  // A default learning rate follows the optimizer; one the person typed stays.
  const lr = field('lr');
  if (Object.values(DEFAULT_LR).map(String).includes(lr.value)) lr.value = String(DEFAULT_LR[field('optimizer').value as OptimizerKind]);
});
form.addEventListener('input', (ev) => {
  const name = (ev.target as HTMLInputElement).name;
  if (name) view.setFieldError(name, '');
});

/** For the smoke test: lose the device as a driver crash would, and read the charts. */
(window as unknown as { __webgradApp: object }).__webgradApp = {
  loseDevice: () => current?.engine.device?.destroy(),
  chartCounts: () => charts.counts(),
};

setRunning('idle');
if (!cnnLayers()) {
  const cnn = form.querySelector<HTMLOptionElement>('option[value="cnn"]')!;
  cnn.disabled = true;
  cnn.textContent = 'CNN (needs conv2d, maxPool2d, flatten: not in this build yet)';
}
view.showProbabilities(null, names(), 'starting…');
view.setStatus(limit === null ? 'Ready: draw a digit, or Start training.' : `Ready (training on the first ${limit} examples: ?limit=${limit}).`, 'idle');
void fashionAvailable().then((ok) => {
  const option = form.querySelector<HTMLOptionElement>('option[value="fashion-mnist"]')!;
  option.disabled = !ok;
  option.textContent = ok ? 'Fashion-MNIST (60,000 / 10,000)' : 'Fashion-MNIST (not served here: see README)';
  view.byId('datasets').dataset.fashion = ok ? 'available' : 'missing';
});
void probeWebGpu().then((ok) => {
  if (ok) void switchBackend();
});
