// webgrad itself, through its public API only (what a user would write).
//
// Timing: step() records one op into the engine's command encoder and disposes the output (the
// pool keeps the buffer for reuse after the submit); sync() is `await e.sync()`, which submits
// the recorded work as one queue.submit and waits for queue.onSubmittedWorkDone().

import { createEngine, type Engine, type Tensor } from '../../src/index';
import type { BenchCase } from '../cases/index';
import { Unsupported, type Library, type Runner } from './types';

// The parts of the API that are landing while this runner is written: typed loosely so the
// bench builds (and reports "unsupported") against an engine that lacks them.
interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: Tensor;
  activation?: 'identity' | 'relu' | 'sigmoid' | 'tanh' | 'leakyRelu' | 'softplus';
}
interface Landing {
  matmul?: (a: Tensor, b: Tensor, opts?: MatmulOptions) => Tensor;
  softmax?: (x: Tensor) => Tensor;
  softmaxCrossEntropy?: (logits: Tensor, labels: Int32Array | Tensor) => Tensor;
  gradients?: (f: (...xs: Tensor[]) => Tensor, xs: Tensor[]) => { value: Tensor; grads: Tensor[] };
}

function need<K extends keyof Landing>(e: Engine, name: K): NonNullable<Landing[K]> {
  const fn = (e as unknown as Landing)[name];
  if (typeof fn !== 'function') throw new Unsupported(`webgrad: e.${name} is not available yet`);
  return (fn as (...args: unknown[]) => unknown).bind(e) as NonNullable<Landing[K]>;
}

export class Webgrad implements Library {
  readonly name = 'webgrad';
  readonly version = 'workspace';
  engine: Engine | null = null;

  async init(): Promise<void> {
    this.engine = await createEngine({ backend: 'webgpu' });
  }

  get adapter(): string {
    return this.engine?.adapter ?? 'not initialised';
  }

  prepare(c: BenchCase, inputs: Float32Array[]): Runner {
    const e = this.engine!;
    const s = c.spec;
    if (s.op === 'mlpTrainStep') return this.mlpTrainStep(c, inputs);
    const t = inputs.map((data, i) => e.tensor(data, c.shapes[i]!));
    let run: () => Tensor;
    switch (s.op) {
      case 'matmul': {
        const matmul = need(e, 'matmul');
        const [a, b, bias] = t as [Tensor, Tensor, Tensor?];
        run = s.biasRelu
          ? () => matmul(a, b, { transposeB: s.transposeB, bias, activation: 'relu' })
          : () => matmul(a, b, { transposeB: s.transposeB });
        break;
      }
      case 'add':
        run = () => e.add(t[0]!, t[1]!);
        break;
      case 'relu':
        run = () => e.relu(t[0]!);
        break;
      case 'sum':
        run = () => e.sum(t[0]!);
        break;
      case 'softmax': {
        const softmax = need(e, 'softmax');
        run = () => softmax(t[0]!);
        break;
      }
    }
    return {
      once: async () => {
        const y = run();
        try {
          return await y.read();
        } finally {
          y.dispose();
        }
      },
      step: () => run().dispose(),
      sync: () => e.sync(),
      dispose: () => t.forEach((x) => x.dispose()),
    };
  }

  // ---- MLP training step ----------------------------------------------------------------
  // TODO(training-step API): this is written with the op-level public API (gradients + sub/
  // scale for SGD) because the engine's training-step API (src/schedule: one submit per step,
  // in-place optimizer update) has not landed. When it does, replace the body of `train` with
  // that API (e.g. a compiled step of sequential([dense(784,128,relu), dense(128,10)]) with
  // sgd(lr)), keeping the same initial weights, data and loss so the peers stay comparable.
  private mlpTrainStep(c: BenchCase, inputs: Float32Array[]): Runner {
    const e = this.engine!;
    if (c.spec.op !== 'mlpTrainStep') throw new Error('unreachable');
    const { lr } = c.spec;
    const matmul = need(e, 'matmul');
    const sce = need(e, 'softmaxCrossEntropy');
    const gradients = need(e, 'gradients');
    const [xData, w1, b1, w2, b2, labelData] = inputs as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const classes = c.spec.sizes.at(-1)!;
    const onehot = new Float32Array(labelData.length * classes);
    labelData.forEach((l, i) => (onehot[i * classes + l] = 1));
    const X = e.tensor(xData, c.shapes[0]!);
    const Y = e.tensor(onehot, [labelData.length, classes]);
    let params = [e.tensor(w1, c.shapes[1]!), e.tensor(b1, c.shapes[2]!), e.tensor(w2, c.shapes[3]!), e.tensor(b2, c.shapes[4]!)];
    const loss = (W1: Tensor, B1: Tensor, W2: Tensor, B2: Tensor) => {
      const h = matmul(X, W1, { transposeB: true, bias: B1, activation: 'relu' });
      const z = matmul(h, W2, { transposeB: true, bias: B2 });
      return sce(z, Y);
    };
    const train = (): Tensor => {
      const { value, grads } = gradients(loss as (...xs: Tensor[]) => Tensor, params);
      const next = e.tidy(() => params.map((p, i) => e.sub(p, e.scale(grads[i]!, lr))));
      params.forEach((p) => p.dispose());
      grads.forEach((g) => g.dispose());
      params = next;
      return value;
    };
    return {
      once: async () => {
        const v = train();
        try {
          return await v.read();
        } finally {
          v.dispose();
        }
      },
      step: () => train().dispose(),
      sync: () => e.sync(),
      dispose: () => [X, Y, ...params].forEach((x) => x.dispose()),
    };
  }

  destroy(): void {
    this.engine?.destroy();
    this.engine = null;
  }
}
