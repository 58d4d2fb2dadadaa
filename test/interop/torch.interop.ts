// PyTorch interop: webgrad saves a model with its safetensors writer (parameters under the
// nn.Sequential state_dict names, the torch.nn modules in the metadata) and the logits it
// computes for a probe batch; test/interop/torch_check.py parses the files itself, builds the
// nn.Sequential, load_state_dict(strict=True), and compares PyTorch's logits with webgrad's.
// Run by `npm run test:torch` (and .ci/run); needs /usr/bin/python3 with torch.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpu, randomArray } from '../backends';
import {
  activationLayer, avgPool2d, conv2d, dense, dropout, embedding, flatten, layerNorm, maxPool2d, sequential, type LayerSpec, type SequentialOptions,
} from '../../src/nn/layers';
import { saveSafetensors } from '../../src/io/safetensors-node';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'webgrad-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const models: { name: string; layers: () => LayerSpec[]; opts: SequentialOptions; features: number; tokens?: number }[] = [
  {
    name: 'the MLP of npm run train (784-128-10 ReLU)',
    layers: () => [dense(784, 128, { activation: 'relu' }), dense(128, 10)],
    opts: {},
    features: 784,
  },
  {
    name: 'the CNN of npm run train -- --model cnn (LeNet-like)',
    layers: () => [
      conv2d(1, 20, 5, { activation: 'relu' }), maxPool2d(2), conv2d(20, 50, 5, { activation: 'relu' }), maxPool2d(2),
      flatten(), dense(800, 500, { activation: 'relu' }), dense(500, 10),
    ],
    opts: { inputShape: [1, 28, 28] },
    features: 784,
  },
  {
    name: 'every layer kind: strided, padded, dilated convs, both pools, layerNorm, dropout, activations',
    layers: () => [
      conv2d(3, 6, [3, 2], { stride: [2, 1], padding: [1, 1], activation: 'leakyRelu', alpha: 0.1 }),
      avgPool2d(2, 1),
      conv2d(6, 5, 3, { dilation: 2, padding: 2, bias: false }),
      activationLayer('tanh'),
      maxPool2d([2, 3], [1, 2]),
      flatten(),
      layerNorm(5 * 4 * 4),
      dropout(0.3),
      dense(80, 7, { activation: 'softplus' }),
      dense(7, 4, { activation: 'sigmoid' }),
    ],
    opts: { inputShape: [3, 11, 9] },
    features: 3 * 11 * 9,
  },
  {
    name: 'an embedding of 6 tokens from a vocabulary of 50, then layerNorm and dense',
    layers: () => [embedding(50, 8), layerNorm(8), flatten(), dense(6 * 8, 3)],
    opts: { inputShape: [6] },
    features: 6,
    tokens: 50,
  },
];

describe('safetensors from webgrad load into PyTorch with the same logits', () => {
  models.forEach((m, k) => {
    it(m.name, async () => {
      const e = await gpu();
      const model = sequential(m.layers(), m.opts).build(e, 11 + k);
      // random values for every parameter (not the initial ones: layerNorm starts at 1 and 0)
      const state = await model.stateDict();
      Object.values(state).forEach((t, i) => t.data.set(randomArray(t.data.length, 100 + i, -0.5, 0.5)));
      model.loadStateDict(state, 'random parameters');
      const batch = 5;
      const input = m.tokens === undefined
        ? randomArray(batch * m.features, 7, 0, 1)
        : Float32Array.from(randomArray(batch * m.features, 7, 0, m.tokens), Math.floor);
      const x = e.tensor(input, model.batchShape(batch, m.features));
      const logits = model.forward(x); // inference: dropout off, as PyTorch's model.eval()
      const modelPath = join(dir, `model${k}.safetensors`);
      const probePath = join(dir, `probe${k}.safetensors`);
      saveSafetensors(modelPath, await model.stateDict(), {
        format: 'pt',
        torch_modules: JSON.stringify(model.torchModules()),
        input_shape: JSON.stringify(model.inputShape ?? [m.features]),
      });
      saveSafetensors(probePath, {
        input: { shape: [...x.shape], data: input },
        logits: { shape: [...logits.shape], data: await logits.read() },
      });
      x.dispose();
      logits.dispose();
      model.dispose();
      const run = spawnSync(PYTHON, ['test/interop/torch_check.py', modelPath, probePath], { encoding: 'utf8' });
      if (run.error) throw new Error(`cannot run ${PYTHON}: ${run.error.message} (install python3-torch, see scripts/setup.sh)`);
      console.log(`[torch_check] ${run.stdout.trim()}`);
      expect(run.stderr + run.stdout).toMatch(/^ok: /m);
      expect(run.status).toBe(0);
    });
  });
});
