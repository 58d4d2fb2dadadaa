// Peer: TensorFlow.js with its WebGPU backend (@tensorflow/tfjs-core + @tensorflow/tfjs-backend-webgpu).
//
// Loading. The packages' Node entry points ("main") are CommonJS bundles of tfjs-core that
// register no gradients (the full @tensorflow/tfjs package does that), and their ES module
// files use extensionless imports that Node cannot load. So at startup we bundle the ES
// modules with esbuild (a devDependency) into ONE CommonJS file, cached in
// node_modules/.cache/webgrad-bench/: tfjs-core + register_all_gradients + the WebGPU backend,
// exactly what a web app bundler would produce. If that fails we fall back to the packages'
// CommonJS entry points (op benchmarks only; the training step then reports why).
// The backend registers itself only if `navigator.gpu` exists when it is loaded, so this
// module is imported after bench/gpu-env.ts has installed navigator.gpu.
//
// Timing: step() runs the op inside tf.tidy (outputs and intermediates are disposed; the
// backend releases their buffers at its next submit). TF.js records dispatches into a command
// encoder and submits every 15 dispatches (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE). sync() does what
// the backend's own read path does before mapping a buffer (end the pass, submitQueue()) and
// then awaits device.queue.onSubmittedWorkDone(). WEBGPU_CPU_FORWARD is turned off so no op
// quietly runs on the CPU.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import type { BenchCase } from '../cases/index';
import { installedVersion, Unsupported, type Library, type Runner } from './types';

type Tf = typeof TF;

interface WebGpuBackendInternals {
  device: GPUDevice;
  adapterInfo?: { vendor?: string; architecture?: string };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const ENTRY = `
export * from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
`;

async function bundledTf(versionKey: string): Promise<Tf> {
  const dir = join(process.cwd(), 'node_modules', '.cache', 'webgrad-bench');
  const file = join(dir, `tfjs-webgpu-${versionKey}.cjs`);
  if (!existsSync(file)) {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'js', sourcefile: 'tfjs-entry.js' },
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      mainFields: ['module', 'main'], // the ES module builds
      external: ['node-fetch'], // tfjs-core's Node platform requires it lazily; Node 20 has fetch
      logLevel: 'silent',
    });
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, out.outputFiles[0]!.text);
  }
  const require = createRequire(join(process.cwd(), 'package.json'));
  return require(file) as Tf;
}

async function commonJsTf(): Promise<Tf> {
  const require = createRequire(join(process.cwd(), 'package.json'));
  const tf = require('@tensorflow/tfjs-core') as Tf;
  require('@tensorflow/tfjs-backend-webgpu');
  return tf;
}

export class TfjsWebgpu implements Library {
  readonly name = 'tfjs-webgpu';
  readonly version: string;
  tf: Tf | null = null;
  /** How TF.js was loaded (and why the fallback, if any). */
  loadNote = '';
  private gradients = false;

  constructor() {
    const core = installedVersion('@tensorflow/tfjs-core');
    const backend = installedVersion('@tensorflow/tfjs-backend-webgpu');
    this.version = `@tensorflow/tfjs-core ${core} + @tensorflow/tfjs-backend-webgpu ${backend}`;
  }

  async init(): Promise<void> {
    const key = `${installedVersion('@tensorflow/tfjs-core')}-${installedVersion('@tensorflow/tfjs-backend-webgpu')}`;
    try {
      this.tf = await bundledTf(key);
      this.gradients = true;
      this.loadNote = 'ES modules bundled with esbuild (gradients registered)';
    } catch (err) {
      this.tf = await commonJsTf();
      this.loadNote = `CommonJS entry points (bundling failed: ${(err as Error).message.split('\n')[0]}); no gradients`;
    }
    const tf = this.tf;
    if (!tf.findBackendFactory('webgpu')) throw new Error('the webgpu backend did not register (navigator.gpu missing when it was loaded?)');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const ok = await tf.setBackend('webgpu');
    if (!ok) throw new Error("tf.setBackend('webgpu') failed");
    await tf.ready();
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
      case 'softmax':
        run = () => tf.softmax(t[0]!);
        break;
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
    const W1 = tf.variable(tf.tensor2d(w1, c.shapes[1] as [number, number]));
    const B1 = tf.variable(tf.tensor1d(b1));
    const W2 = tf.variable(tf.tensor2d(w2, c.shapes[3] as [number, number]));
    const B2 = tf.variable(tf.tensor1d(b2));
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
