// The training page's form: reading and checking the choices. A bad field (not a number, 0,
// negative, out of range) gets its message next to it, and nothing starts. The parsing rules
// are plain functions so the tests can check them without a page.

import type { Backend } from '../src/engine';
import type { OptimizerConfig } from '../src/nn/optimizers';
import type { DatasetId } from './data';
import { HIDDEN_ACTIVATIONS, type Architecture, type HiddenActivation } from './model';
import { setFieldError } from './view';

export type OptimizerKind = OptimizerConfig['kind'];

export interface Settings {
  dataset: DatasetId;
  model: Architecture['kind'];
  backend: Backend;
  hidden: number[];
  activation: HiddenActivation;
  optimizer: OptimizerKind;
  lr: number;
  batchSize: number;
  epochs: number;
  labelSmoothing: number;
}

/** The learning rate each optimizer starts with (as `npm run train`). */
export const DEFAULT_LR: Record<OptimizerKind, number> = { sgd: 0.1, momentum: 0.05, adam: 1e-3 };

/** A rule: the value, or a message saying what is expected. */
type Rule<T> = (text: string) => T | { error: string };

const MAX_UNITS = 4096;

export const positiveInt: Rule<number> = (text) => {
  const v = Number(text);
  return text.trim() !== '' && Number.isInteger(v) && v >= 1 ? v : { error: 'a whole number ≥ 1' };
};

export const positiveNumber: Rule<number> = (text) => {
  const v = Number(text);
  return text.trim() !== '' && Number.isFinite(v) && v > 0 ? v : { error: 'a number > 0' };
};

export const smoothing: Rule<number> = (text) => {
  const v = Number(text);
  return text.trim() !== '' && v >= 0 && v < 1 ? v : { error: 'a number in [0, 1)' };
};

/** "128" or "256, 128": hidden layer widths, 1 to 4 layers of 1..4096 units. */
export const hiddenSizes: Rule<number[]> = (text) => {
  const parts = text.split(/[\s,]+/).filter((s) => s.length > 0);
  const sizes = parts.map(Number);
  if (parts.length === 0 || parts.length > 4 || sizes.some((v) => !Number.isInteger(v) || v < 1 || v > MAX_UNITS)) {
    return { error: `1 to 4 whole numbers in 1..${MAX_UNITS}, e.g. 128 or 256, 128` };
  }
  return sizes;
};

const field = (form: HTMLFormElement, name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

/** Reads the form; every bad field shows its message. Null if any field is bad. */
export function readSettings(form: HTMLFormElement): Settings | null {
  let ok = true;
  const check = <T>(name: string, rule: Rule<T>): T => {
    const v = rule(field(form, name).value);
    const error = typeof v === 'object' && v !== null && 'error' in v ? v.error : '';
    setFieldError(name, error);
    if (error) ok = false;
    return v as T;
  };
  const activation = field(form, 'activation').value as HiddenActivation;
  const settings: Settings = {
    dataset: field(form, 'dataset').value as DatasetId,
    model: field(form, 'model').value === 'cnn' ? 'cnn' : 'mlp',
    backend: field(form, 'backend').value as Backend,
    hidden: check('hidden', hiddenSizes),
    activation: HIDDEN_ACTIVATIONS.includes(activation) ? activation : 'relu',
    optimizer: field(form, 'optimizer').value as OptimizerKind,
    lr: check('lr', positiveNumber),
    batchSize: check('batchSize', positiveInt),
    epochs: check('epochs', positiveInt),
    labelSmoothing: check('labelSmoothing', smoothing),
  };
  return ok ? settings : null;
}

/** The CNN's two convolutions' channels (fixed: the page's small LeNet-like net). */
const CNN_CHANNELS = [8, 16];

/** The network the settings describe: 784 inputs, 10 classes. */
export function architectureOf(s: Pick<Settings, 'model' | 'hidden' | 'activation'>): Architecture {
  return { kind: s.model, inputs: 784, hidden: s.model === 'cnn' ? CNN_CHANNELS : s.hidden, outputs: 10, activation: s.activation };
}

export function optimizerConfig(s: Settings): OptimizerConfig {
  return s.optimizer === 'adam' ? { kind: 'adam', lr: s.lr } : s.optimizer === 'momentum' ? { kind: 'momentum', lr: s.lr } : { kind: 'sgd', lr: s.lr };
}
