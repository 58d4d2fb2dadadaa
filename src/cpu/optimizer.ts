// Optimizer updates, in place, the reference of shaders/optimizer.wgsl:
//   sgd:       w ← w − η g
//   momentum:  v ← μ v + g;  w ← w − η v
//   adam:      m ← β1 m + (1−β1) g;  s ← β2 s + (1−β2) g²;  w ← w − η_t m / (√s + ε_t),
//              η_t = η √(1−β2^t)/(1−β1^t), ε_t = ε √(1−β2^t)
// A non-finite gradient element leaves its parameter and state untouched and records the
// step in health[slot] (the minimum over bad steps, so the first bad step wins).
//
// hyper holds [η, μ or β1, β2, ε, 1−β1^t, 1−β2^t, step, unused], as on the GPU.

import type { Vec } from './types';

export type OptimizerMethod = 'sgd' | 'momentum' | 'adam';

export function optimizerUpdateCpu(method: OptimizerMethod, param: Vec, s1: Vec, s2: Vec, health: Vec, slot: number, hyper: Vec, grad: Vec): void {
  const [lr, b1, b2, eps, c1, c2, step] = hyper as unknown as number[];
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]!;
    if (!Number.isFinite(g)) {
      health[slot] = Math.min(health[slot]!, step!);
      continue;
    }
    if (method === 'momentum') {
      s1[i] = b1! * s1[i]! + g;
      param[i]! -= lr! * s1[i]!;
    } else if (method === 'adam') {
      s1[i] = b1! * s1[i]! + (1 - b1!) * g;
      s2[i] = b2! * s2[i]! + (1 - b2!) * g * g;
      const r = Math.sqrt(c2!);
      param[i]! -= ((lr! * r) / c1!) * (s1[i]! / (Math.sqrt(s2[i]!) + eps! * r));
    } else {
      param[i]! -= lr! * g;
    }
  }
}

/** health[slot] = min(health[slot], step) if the scalar loss is not finite. */
export function lossCheckCpu(health: Vec, slot: number, hyper: Vec, loss: number): void {
  if (!Number.isFinite(loss)) health[slot] = Math.min(health[slot]!, hyper[6]!);
}
