// Node only: loads TF.js with its WebGPU backend for bench/run.ts and bench/train-peer.ts.
//
// The packages' Node entry points ("main") are CommonJS bundles of tfjs-core that register no
// gradients (the full @tensorflow/tfjs package does that), and their ES module files use
// extensionless imports that Node cannot load. So at startup we bundle the ES modules with
// esbuild (a devDependency) into ONE CommonJS file, cached in node_modules/.cache/webgrad-bench/:
// tfjs-core + register_all_gradients + the WebGPU backend, exactly what a web app bundler would
// produce. If that fails we fall back to the packages' CommonJS entry points (op benchmarks
// only; the training step then reports why). Import this after bench/gpu-env.ts has installed
// navigator.gpu: the backend registers only if it exists when the module is loaded.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { installedVersion, peerVersions } from './installed';
import { TfjsWebgpu, type Tf, type TfLoader } from './tfjs';

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

function commonJsTf(): Tf {
  const require = createRequire(join(process.cwd(), 'package.json'));
  const tf = require('@tensorflow/tfjs-core') as Tf;
  require('@tensorflow/tfjs-backend-webgpu');
  return tf;
}

const loadInNode: TfLoader = async () => {
  const key = `${installedVersion('@tensorflow/tfjs-core')}-${installedVersion('@tensorflow/tfjs-backend-webgpu')}`;
  try {
    return { tf: await bundledTf(key), gradients: true, note: 'ES modules bundled with esbuild (gradients registered)' };
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    return { tf: commonJsTf(), gradients: false, note: `CommonJS entry points (bundling failed: ${why}); no gradients` };
  }
};

/** TF.js WebGPU as the Node tools load it. */
export function nodeTfjs(): TfjsWebgpu {
  return new TfjsWebgpu(loadInNode, peerVersions().tfjs);
}
