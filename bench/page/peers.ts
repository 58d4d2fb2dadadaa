// The peers as the browser page loads them: ES modules through vite, as a web app would.
// TF.js: tfjs-core + its gradients + the WebGPU backend (which registers itself because the
// page has navigator.gpu); jax-js: its package.

import { JaxWebgpu } from '../peers/jax';
import { TfjsWebgpu, type Tf, type TfLoader } from '../peers/tfjs';
import type { Library } from '../peers/types';
import type { PeerId } from './config';
import { peerVersions } from './env';

const loadTf: TfLoader = async () => {
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  await import('@tensorflow/tfjs-backend-webgpu');
  return { tf, gradients: true, note: 'ES modules bundled by vite (gradients registered)' };
};

export function browserPeer(id: PeerId): Library {
  return id === 'tfjs' ? new TfjsWebgpu(loadTf, peerVersions.tfjs) : new JaxWebgpu(peerVersions.jax);
}
