// Peer: jax-js on WebGPU (@jax-js/jax).
//
// Every case is a jit-compiled function (jax-js's recommended fast path: it fuses elementwise
// work into the kernels; softmax becomes a few fused kernels instead of one per primitive).
// jax-js arrays are reference counted: a function consumes its arguments, `x.ref` keeps one.
//
// Timing: jax-js is lazy: an op returns an Array whose kernels are "pending" until something
// realises it, and disposing an unrealised Array drops its work. step() therefore calls
// `y.gpuBufferSync()`, which prepares (pipelines are cached after the warm-up) and submits
// the pending kernels (jax-js submits one command buffer per kernel) and then disposes y
// (its buffer returns to jax-js's pool). sync() awaits
// getWebGPUDevice().queue.onSubmittedWorkDone(). (`Array.blockUntilReady()` would also work
// but maps a staging buffer per array.)

import type * as JAX from '@jax-js/jax';
import type { BenchCase } from '../cases/index';
import type { Library, Runner } from './types';

type Jax = typeof JAX;
type Arr = JAX.Array;

export class JaxWebgpu implements Library {
  readonly name = 'jax-js-webgpu';
  jax: Jax | null = null;

  /** `version`: the package and version for the report, e.g. "@jax-js/jax 0.1.25". */
  constructor(readonly version: string) {}

  async init(): Promise<void> {
    const jax = (await import('@jax-js/jax')) as Jax;
    const available = await jax.init('webgpu');
    if (!available.includes('webgpu')) throw new Error("jax.init('webgpu') found no WebGPU adapter");
    jax.defaultDevice('webgpu');
    this.jax = jax;
  }

  private async sync(): Promise<void> {
    await this.jax!.getWebGPUDevice().queue.onSubmittedWorkDone();
  }

  prepare(c: BenchCase, inputs: Float32Array[]): Runner {
    const jax = this.jax!;
    const { numpy: np, nn } = jax;
    const s = c.spec;
    if (s.op === 'mlpTrainStep') return this.mlpTrainStep(c, inputs);
    const t: Arr[] = inputs.map((data, i) => np.array(data, { shape: c.shapes[i]!, device: 'webgpu' }));
    let f: ((...xs: Arr[]) => Arr) & { dispose?: () => void };
    switch (s.op) {
      case 'matmul':
        if (s.biasRelu) f = jax.jit((a: Arr, b: Arr, bias: Arr) => nn.relu(np.add(np.matmul(a, np.transpose(b)), bias)));
        else if (s.transposeB) f = jax.jit((a: Arr, b: Arr) => np.matmul(a, np.transpose(b)));
        else f = jax.jit((a: Arr, b: Arr) => np.matmul(a, b));
        break;
      case 'add':
        f = jax.jit((a: Arr, b: Arr) => np.add(a, b));
        break;
      case 'relu':
        f = jax.jit((a: Arr) => nn.relu(a));
        break;
      case 'sum':
        f = jax.jit((a: Arr) => np.sum(a));
        break;
      case 'transpose':
        f = jax.jit((a: Arr) => np.transpose(a));
        break;
      case 'sumAxis0':
        f = jax.jit((a: Arr) => np.sum(a, 0));
        break;
      case 'softmax':
        f = jax.jit((a: Arr) => nn.softmax(a, -1));
        break;
      case 'conv2d': {
        // lax.conv takes NCHW inputs and [out, in, kh, kw] kernels, as webgrad does
        const bias = [1, s.O, 1, 1];
        f = jax.jit((x: Arr, w: Arr, b: Arr) => nn.relu(np.add(jax.lax.conv(x, w, [1, 1], 'VALID'), np.reshape(b, bias))));
        break;
      }
      case 'softmaxCrossEntropy':
        f = jax.jit((z: Arr, y: Arr) => np.negative(np.mean(np.sum(np.multiply(nn.logSoftmax(z, -1), y), -1))));
        break;
    }
    const call = () => f(...t.map((x) => x.ref));
    if (s.op === 'matmul' && s.readback) {
      let pending: Promise<unknown>[] = [];
      return {
        once: async () => Float32Array.from((await call().data()) as Float32Array),
        step: () => void pending.push(call().data()),
        sync: async () => {
          await Promise.all(pending);
          pending = [];
        },
        dispose: () => {
          t.forEach((x) => x.dispose());
          f.dispose?.();
        },
      };
    }
    return {
      once: async () => Float32Array.from((await call().data()) as Float32Array),
      step: () => void call().gpuBufferSync(),
      sync: () => this.sync(),
      dispose: () => {
        t.forEach((x) => x.dispose());
        f.dispose?.();
      },
    };
  }

  // ---- MLP training step: valueAndGrad + plain SGD, all in one jit -----------------------
  private mlpTrainStep(c: BenchCase, inputs: Float32Array[]): Runner {
    const jax = this.jax!;
    const { numpy: np, nn } = jax;
    if (c.spec.op !== 'mlpTrainStep') throw new Error('unreachable');
    const lr = c.spec.lr;
    const [xData, w1, b1, w2, b2, labelData] = inputs as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const classes = c.spec.sizes.at(-1)!;
    const onehot = new Float32Array(labelData.length * classes);
    labelData.forEach((l, i) => (onehot[i * classes + l] = 1));
    const arr = (d: Float32Array, shape: number[]) => np.array(d, { shape, device: 'webgpu' });
    const X = arr(xData, c.shapes[0]!);
    const Y = arr(onehot, [labelData.length, classes]);
    let params: Arr[] = [arr(w1, c.shapes[1]!), arr(b1, c.shapes[2]!), arr(w2, c.shapes[3]!), arr(b2, c.shapes[4]!)];
    const loss = (p: Arr[], x: Arr, y: Arr): Arr => {
      const [W1, B1, W2, B2] = p as [Arr, Arr, Arr, Arr];
      const h = nn.relu(np.add(np.matmul(x, np.transpose(W1)), B1));
      const z = np.add(np.matmul(h, np.transpose(W2)), B2);
      // softmax cross-entropy, mean over the batch
      return np.negative(np.mean(np.sum(np.multiply(nn.logSoftmax(z, -1), y), -1)));
    };
    const step = jax.jit((p: Arr[], x: Arr, y: Arr) => {
      const [value, grads] = jax.valueAndGrad(loss)(p.map((q) => q.ref), x, y);
      const next = p.map((q, i) => np.subtract(q, np.multiply(grads[i]!, lr)));
      return [value, next] as [Arr, Arr[]];
    });
    const train = (): Arr => {
      const [value, next] = step(params, X.ref, Y.ref) as unknown as [Arr, Arr[]];
      params = next;
      return value;
    };
    const submit = (a: Arr) => void a.ref.gpuBufferSync();
    return {
      once: async () => {
        const v = train();
        params.forEach(submit);
        return Float32Array.from((await v.data()) as Float32Array);
      },
      step: () => {
        const v = train();
        params.forEach(submit);
        v.gpuBufferSync();
      },
      sync: () => this.sync(),
      dispose: () => {
        [X, Y, ...params].forEach((x) => x.dispose());
        step.dispose();
      },
    };
  }

  destroy(): void {
    try {
      this.jax?.getWebGPUDevice().destroy();
    } catch {
      // not initialised
    }
  }
}
