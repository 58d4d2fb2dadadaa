// What the command-line tools (npm run train, npm run bench:train) share: flag value parsers,
// commander parsing that turns every mistake into a one-line UsageError (exit code 2), and
// loading a dataset named by --dataset (optionally cut to its first n training examples).

import { InvalidArgumentError, type Command } from 'commander';
import { loadMnistDigits } from '../src/data/mnist';
import { FASHION_MNIST_DIR, loadIdxDataset } from '../src/data/idx-node';
import { makeSplit, type Dataset } from '../src/data/dataset';

/** Errors in what the user gave (flags, files): exit code 2. */
export class UsageError extends Error {}

export function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} expects a positive integer, got '${v}'`);
    return n;
  };
}

export function positiveNumber(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} expects a positive number, got '${v}'`);
    return n;
  };
}

export function unitInterval(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !(n >= 0 && n < 1)) throw new InvalidArgumentError(`${flag} expects a number in [0, 1), got '${v}'`);
    return n;
  };
}

/** Parses argv; null after --help was printed; a UsageError for anything wrong. */
export function parseCommand<T>(program: Command, argv: string[], print: (text: string) => void): T | null {
  // Commander prints --help itself (through writeOut), then throws helpDisplayed.
  program
    .exitOverride()
    .configureOutput({ writeOut: (text) => print(text.replace(/\n$/, '')), writeErr: () => {} })
    .allowExcessArguments(false);
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return null;
    throw new UsageError(e.message.replace(/^error: /, ''));
  }
  return program.opts<T & Record<string, unknown>>();
}

/** 'mnist' (the bundled digits), 'fashion-mnist' (the Debian package) or an IDX directory. */
export function loadDataset(name: string, limit?: number): Dataset {
  let data: Dataset;
  try {
    if (name === 'mnist') data = loadMnistDigits();
    else if (name === 'fashion-mnist') data = loadIdxDataset(FASHION_MNIST_DIR, { name: 'fashion-mnist' });
    else data = loadIdxDataset(name);
  } catch (err) {
    const hint = name === 'fashion-mnist' ? ' (install the Debian package dataset-fashion-mnist, see README)' : '';
    throw new UsageError(`--dataset ${name}: ${(err as Error).message}${hint}`);
  }
  if (limit === undefined || limit >= data.train.count) return data;
  const { train } = data;
  return { ...data, train: makeSplit(train.images.slice(0, limit * train.features), train.labels.slice(0, limit), train.features, train.classes) };
}
