// Optimizer updates as in-place ops (UpdateDefs): one kernel per parameter (shaders/optimizer.wgsl,
// CPU reference src/cpu/optimizer.ts) that also records, on the device, the first step at
// which a parameter's gradient (or the loss) was not finite, so a NaN stops training without
// per-step readbacks. src/nn/optimizers.ts composes them (schedules, state, hyperparameters).

import { lossCheckCpu, optimizerUpdateCpu, type OptimizerMethod } from '../cpu/optimizer';
import { grid1d } from '../gpu/queue';
import type { UpdateDef } from './op';
import { fmt, shapeSize, type Shape } from './tensor';

const WORKGROUP = 256;
const methodCode: Record<OptimizerMethod, number> = { sgd: 0, momentum: 1, adam: 2 };

export interface OptimizerUpdateAttrs {
  method: OptimizerMethod;
  /** The entry of `health` that records this parameter's first non-finite step. */
  slot: number;
}

/** One parameter's update: targets [param, state1, state2, health], inputs [hyper, grad]
 *  (hyper: η, μ or β1, β2, ε, 1−β1^t, 1−β2^t, step, unused). A state a method does not use
 *  may be a one-element stand-in. */
export const optimizerUpdate: UpdateDef<OptimizerUpdateAttrs> = {
  name: 'optimizerUpdate',
  check([param, s1, s2], [, grad]) {
    const stateOk = (s: Shape) => shapeSize(s) === shapeSize(param!) || shapeSize(s) === 1;
    if (shapeSize(param!) !== shapeSize(grad!) || !stateOk(s1!) || !stateOk(s2!)) {
      throw new Error(`optimizer: gradient ${fmt(grad!)} does not match parameter ${fmt(param!)}`);
    }
  },
  cpu: ([param, s1, s2, health], [hyper, grad], { method, slot }) => optimizerUpdateCpu(method, param!, s1!, s2!, health!, slot, hyper!, grad!),
  gpu(q, [param, s1, s2, health], [hyper, grad], [p], { method, slot }) {
    const len = shapeSize(p!);
    q.dispatch({
      kernel: 'optimizer.update',
      overrides: { workgroup_size: WORKGROUP, method: methodCode[method] },
      uniforms: { len, slot },
      bindings: { hyper: hyper!, grad: grad!, param: param!, state1: s1!, state2: s2!, health: health! },
      workgroups: grid1d(Math.ceil(len / 4), WORKGROUP),
    });
  },
};

/** Records in health[slot] the step if the scalar loss is not finite: targets [health],
 *  inputs [hyper, loss]. */
export const lossCheck: UpdateDef<{ slot: number }> = {
  name: 'lossCheck',
  check(_t, [, loss]) {
    if (shapeSize(loss!) !== 1) throw new Error(`lossCheck: loss must be a scalar, got ${fmt(loss!)}`);
  },
  cpu: ([health], [hyper, loss], { slot }) => lossCheckCpu(health!, slot, hyper!, loss![0]!),
  gpu(q, [health], [hyper, loss], _s, { slot }) {
    q.dispatch({
      kernel: 'optimizer.check_loss',
      uniforms: { len: 1, slot },
      bindings: { hyper: hyper!, grad: loss!, health: health! },
      workgroups: [1],
    });
  },
};
