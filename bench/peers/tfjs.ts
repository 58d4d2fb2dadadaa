// Peer: TensorFlow.js with its WebGPU backend (@tensorflow/tfjs-core + @tensorflow/tfjs-backend-webgpu).
//
// Loading is the caller's (`TfLoader`): Node bundles the ES modules (tfjs-node.ts), the browser
// page imports them through vite (bench/page/peers.ts). The backend registers itself only if
// `navigator.gpu` exists when it is loaded.
//
// Timing: step() runs the op inside tf.tidy (outputs and intermediates are disposed; the
// backend releases their buffers at its next submit). TF.js records dispatches into a command
// encoder and submits every 15 dispatches (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE). sync() does what
// the backend's own read path does before mapping a buffer (end the pass, submitQueue()) and
// then awaits device.queue.onSubmittedWorkDone(). WEBGPU_CPU_FORWARD is turned off so no op
// quietly runs on the CPU.

import type * as TF from '@tensorflow/tfjs-core';
import type { BenchCase } from '../cases/index';
import { Unsupported, type Library, type Runner } from './types';

interface WebGpuBackendInternals {
  device: GPUDevice;
  adapterInfo?: { vendor?: string; architecture?: string };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export type Tf = typeof TF;

/** Loads TF.js with the WebGPU backend registered; `gradients` says whether the training
 *  step can run, `note` how it was loaded (for the report header). */
export type TfLoader = () => Promise<{ tf: Tf; gradients: boolean; note: string }>;

export class TfjsWebgpu implements Library {
  readonly name = 'tfjs-webgpu';
  tf: Tf | null = null;
  readonly liveUnit = 'tensors';
  /** How TF.js was loaded (and why the fallback, if any). */
  loadNote = '';
  private gradients = false;

  constructor(
    private readonly load: TfLoader,
    readonly version: string,
  ) {}

  async init(): Promise<void> {
    const { tf, gradients, note } = await this.load();
    this.tf = tf;
    this.gradients = gradients;
    this.loadNote = note;
    if (!tf.findBackendFactory('webgpu')) throw new Error('the webgpu backend did not register (navigator.gpu missing when it was loaded?)');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const ok = await tf.setBackend('webgpu');
    if (!ok) throw new Error("tf.setBackend('webgpu') failed");
    await tf.ready();
  }

  live(): number {
    return this.tf!.memory().numTensors;
  }

  private get backend(): WebGpuBackendInternals {
    return this.tf!.backend() as unknown as WebGpuBackendInternals;
  }

  private async sync(): Promise<void> {
    const b = this.backend;
    b.ensureCommandEncoderReady();
    b.endComputePassEncoder();
    b.submitQueue();
    await b.device.queue.onSubmittedWorkDone();
  }

  prepare(c: BenchCase, inputs: Float32Array[]): Runner {
    const tf = this.tf!;
    const s = c.spec;
    if (s.op === 'mlpTrainStep') return this.mlpTrainStep(c, inputs);
    const t = inputs.map((data, i) => tf.tensor(data, c.shapes[i]!));
    let run: () => TF.Tensor;
    switch (s.op) {
      case 'matmul': {
        const [a, b, bias] = t as [TF.Tensor2D, TF.Tensor2D, TF.Tensor1D?];
        run = s.biasRelu
          ? () => tf.fused.matMul({ a, b, transposeB: s.transposeB, bias, activation: 'relu' })
          : () => tf.matMul(a, b, false, s.transposeB);
        break;
      }
      case 'add':
        run = () => tf.add(t[0]!, t[1]!);
        break;
      case 'relu':
        run = () => tf.relu(t[0]!);
        break;
      case 'sum':
        run = () => tf.sum(t[0]!);
        break;
      case 'transpose':
        run = () => tf.transpose(t[0]!);
        break;
      case 'sumAxis0':
        run = () => tf.sum(t[0]!, 0);
        break;
      case 'softmax':
        run = () => tf.softmax(t[0]!);
        break;
      case 'conv2d': {
        // TF.js convolves NHWC with filters [k, k, in, out]: transposed once here, not timed
        const x = tf.transpose(t[0]!, [0, 2, 3, 1]) as TF.Tensor4D;
        const filter = tf.transpose(t[1]!, [2, 3, 1, 0]) as TF.Tensor4D;
        t.push(x, filter);
        const conv = () => tf.fused.conv2d({ x, filter, strides: 1, pad: 'valid', bias: t[2]!, activation: 'relu' });
        return {
          once: async () => {
            const y = tf.tidy(() => tf.transpose(conv(), [0, 3, 1, 2])); // back to NCHW to compare
            try {
              return Float32Array.from(await y.data());
            } finally {
              y.dispose();
            }
          },
          step: () => tf.tidy(() => void conv()),
          sync: () => this.sync(),
          dispose: () => t.forEach((v) => v.dispose()),
        };
      }
      case 'softmaxCrossEntropy':
        run = () => tf.losses.softmaxCrossEntropy(t[1]!, t[0]!);
        break;
    }
    if (s.op === 'matmul' && s.readback) {
      let pending: Promise<unknown>[] = [];
      const read = () => {
        const y = run();
        return y.data().finally(() => y.dispose());
      };
      return {
        once: async () => Float32Array.from(await read()),
        step: () => void pending.push(read()),
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
          return Float32Array.from(await y.data());
        } finally {
          y.dispose();
        }
      },
      step: () => tf.tidy(() => void run()),
      sync: () => this.sync(),
      dispose: () => t.forEach((x) => x.dispose()),
    };
  }

  // ---- MLP training step: tf.train.sgd + tf.losses.softmaxCrossEntropy -------------------
  // Dense layers as tf.layers builds them (fused matMul + bias + relu), W stored [out, in].
  private mlpTrainStep(c: BenchCase, inputs: Float32Array[]): Runner {
    if (!this.gradients) throw new Unsupported(`tfjs: no gradients registered (${this.loadNote})`);
    const tf = this.tf!;
    if (c.spec.op !== 'mlpTrainStep') throw new Error('unreachable');
    const [xData, w1, b1, w2, b2, labelData] = inputs as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const classes = c.spec.sizes.at(-1)!;
    const onehot = new Float32Array(labelData.length * classes);
    labelData.forEach((l, i) => (onehot[i * classes + l] = 1));
    const X = tf.tensor2d(xData, c.shapes[0] as [number, number]);
    const Y = tf.tensor2d(onehot, [labelData.length, classes]);
    // tf.variable copies its initial value: the initial tensor is disposed (else it leaks).
    const variable = (t: TF.Tensor) => {
      const v = tf.variable(t);
      t.dispose();
      return v;
    };
    const W1 = variable(tf.tensor2d(w1, c.shapes[1] as [number, number]));
    const B1 = variable(tf.tensor1d(b1));
    const W2 = variable(tf.tensor2d(w2, c.shapes[3] as [number, number]));
    const B2 = variable(tf.tensor1d(b2));
    const vars = [W1, B1, W2, B2];
    const opt = tf.train.sgd(c.spec.lr);
    const loss = (): TF.Scalar => {
      const h = tf.fused.matMul({ a: X, b: W1, transposeB: true, bias: B1, activation: 'relu' });
      const z = tf.fused.matMul({ a: h, b: W2, transposeB: true, bias: B2 });
      return tf.losses.softmaxCrossEntropy(Y, z) as TF.Scalar;
    };
    const train = () => opt.minimize(loss, true, vars)!;
    return {
      once: async () => {
        const v = train();
        try {
          return Float32Array.from(await v.data());
        } finally {
          v.dispose();
        }
      },
      step: () => train().dispose(),
      sync: () => this.sync(),
      dispose: () => {
        [X, Y, ...vars].forEach((x) => x.dispose());
        opt.dispose();
      },
    };
  }

  destroy(): void {
    try {
      const device = this.backend.device;
      this.tf?.disposeVariables();
      device.destroy();
    } catch {
      // not initialised
    }
  }
}
