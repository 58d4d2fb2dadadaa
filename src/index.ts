// webgrad: a tensor engine whose arithmetic runs as WGSL compute shaders on WebGPU.
export { createEngine, Engine } from './engine';
export type { Backend, EngineOptions, EngineStats } from './engine';
export { Tensor } from './ops/tensor';
export type { Shape } from './ops/tensor';
export type { AdapterReport } from './gpu/device';
export type { SoftmaxCrossEntropyOptions } from './ops/loss';
export type { ActivationKind } from './cpu/activation';
