// The CPU reference backend's kernels: pure functions over Float64Array (f64 in, f64
// out, f64 accumulation). The ops layer checks shapes and calls these; the CPU engine
// rounds their results to f32 to mimic the GPU; gradient checks call them in f64.

export { assertDims, assertLength, type Vec } from './types';
export { accumulateCpu, binaryCpu, binaryGradCpu, powScalar, scaleCpu, whereCpu, whereGradCpu, type BinaryOp } from './elementwise';
export { broadcastShape, broadcastPlan, MAX_RANK, type BroadcastPlan } from './broadcast';
export { unaryCpu, unaryGradCpu, erf, type UnaryKind, type UnaryParams } from './unary';
export {
  activationCpu,
  activationGradCpu,
  sigmoidScalar,
  softplusScalar,
  type ActivationGradOptions,
  type ActivationKind,
} from './activation';
export { matmulCpu, type MatmulEpilogue, type MatmulParams } from './matmul';
export { logSoftmaxGradCpu, softmaxCpu, softmaxJvpCpu, softmaxJvpGradYCpu } from './softmax';
export { reduceCpu, reduceGradCpu, type ReduceKind, type ReduceResult } from './reduce';
export {
  bceTargetGradCpu,
  binaryCrossEntropyCpu,
  ceTargetGradCpu,
  binaryCrossEntropyWithLogitsCpu,
  bceLogitsTargetGradCpu,
  mseLossCpu,
  mseTargetGradCpu,
  softmaxCrossEntropyCpu,
  softmaxTargetsCpu,
  lossOutputs,
  type LossResult,
} from './loss';
export { lossCheckCpu, optimizerUpdateCpu, type OptimizerMethod } from './optimizer';
export { col2imCpu, conv2dDirectCpu, convOutSize, im2colCpu, type Conv2dGeometry } from './conv';
export { pool2dCpu, pool2dGradCpu, type PoolKind, type PoolResult } from './pool';
export { layerNormCpu, layerNormGradCpu, layerNormParamGradCpu, type LayerNormResult } from './norm';
export { dropoutCpu, dropoutKeeps, dropoutScale, dropThreshold, pcg2dHash } from './dropout';
