// webgrad itself, through its public API only (what a user would write): on WebGPU (the timed
// contender) or on its CPU reference backend (the correctness check of every case).
//
// Timing: step() records one op into the engine's command encoder and disposes the output (the
// pool keeps the buffer for reuse after the submit); sync() is `await e.sync()`, which submits
// the recorded work as one queue.submit and waits for queue.onSubmittedWorkDone().

import { createEngine, type Backend, type Engine, type Tensor } from '../../src/index';
import { dense, sequential } from '../../src/nn/layers';
import { Optimizer } from '../../src/nn/optimizers';
import { TrainingStep } from '../../src/schedule/step';
import type { BenchCase } from '../cases/index';
import type { Library, Runner } from './types';

export interface WebgradOptions {
  backend?: Backend;
  /** Run on this device (the page's, e.g. one with timestamp queries) instead of acquiring one. */
  device?: GPUDevice;
  /** The version string for the report (default "workspace"). */
  version?: string;
}

export class Webgrad implements Library {
  readonly name: string;
  readonly version: string;
  readonly liveUnit = 'GPU buffers';
  engine: Engine | null = null;

  constructor(private readonly options: WebgradOptions = {}) {
    this.name = options.backend === 'cpu' ? 'webgrad-cpu' : 'webgrad';
    this.version = options.version ?? 'workspace';
  }

  async init(): Promise<void> {
    this.engine = await createEngine({ backend: this.options.backend ?? 'webgpu', device: this.options.device });
  }

  /** GPU buffers held by live tensors (the CPU backend: live tensors). */
  live(): number {
    const s = this.engine!.stats();
    return s.pool?.liveBuffers ?? s.liveTensors;
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
        const [a, b, bias] = t as [Tensor, Tensor, Tensor?];
        run = s.biasRelu
          ? () => e.matmul(a, b, { transposeB: s.transposeB, bias, activation: 'relu' })
          : () => e.matmul(a, b, { transposeB: s.transposeB });
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
      case 'transpose':
        run = () => e.transpose(t[0]!);
        break;
      case 'sumAxis0':
        run = () => e.sum(t[0]!, 0);
        break;
      case 'softmax':
        run = () => e.softmax(t[0]!);
        break;
      case 'conv2d':
        run = () => e.conv2d(t[0]!, t[1]!, { bias: t[2]!, activation: 'relu' });
        break;
      case 'softmaxCrossEntropy':
        run = () => e.softmaxCrossEntropy(t[0]!, t[1]!);
        break;
    }
    if (s.op === 'matmul' && s.readback) {
      let pending: Promise<unknown>[] = [];
      return {
        once: () => e.readAndDispose(run()),
        step: () => void pending.push(e.readAndDispose(run())),
        sync: async () => {
          await Promise.all(pending);
          pending = [];
        },
        dispose: () => t.forEach((x) => x.dispose()),
      };
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
  // The engine's training-step API: forward, loss, backward and the in-place SGD update
  // recorded into one command encoder, one queue.submit per step, no readback.
  private mlpTrainStep(c: BenchCase, inputs: Float32Array[]): Runner {
    const e = this.engine!;
    if (c.spec.op !== 'mlpTrainStep') throw new Error('unreachable');
    const [xData, w1, b1, w2, b2, labelData] = inputs as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const [inputsN, hidden, classes] = c.spec.sizes as [number, number, number];
    const model = sequential([dense(inputsN, hidden, { activation: 'relu' }), dense(hidden, classes)]).build(e);
    const shape = (i: number) => [...c.shapes[i]!];
    model.loadStateDict(
      {
        '0.weight': { shape: shape(1), data: w1 },
        '0.bias': { shape: shape(2), data: b1 },
        '2.weight': { shape: shape(3), data: w2 },
        '2.bias': { shape: shape(4), data: b2 },
      },
      'bench inputs',
    );
    const X = e.tensor(xData, c.shapes[0]!);
    const labels = Int32Array.from(labelData);
    const optimizer = new Optimizer(e, model.params, { kind: 'sgd', lr: c.spec.lr });
    const step = new TrainingStep(e, () => e.softmaxCrossEntropy(model.forward(X), labels), optimizer);
    return {
      once: async () => Float32Array.of(await step.run(true)),
      step: () => step.run(false),
      sync: () => e.sync(),
      dispose: () => {
        optimizer.dispose();
        model.dispose();
        X.dispose();
      },
    };
  }

  destroy(): void {
    this.engine?.destroy();
    this.engine = null;
  }
}
