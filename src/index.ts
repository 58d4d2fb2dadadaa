/**
 * webgrad: a tensor engine whose arithmetic runs as WGSL compute shaders on WebGPU, in the
 * browser and in Node, with a CPU reference backend, reverse-mode gradients, layers,
 * optimizers and a training loop.
 *
 * Start with {@link createEngine}; every op is a method of {@link Engine}.
 *
 * @packageDocumentation
 */
export { createEngine, Engine } from './engine';
export type { Backend, EngineOptions, EngineStats } from './engine';
export { Tensor } from './ops/tensor';
export type { Shape } from './ops/tensor';
export type { MatmulOptions } from './ops/matmul';
export type { AdapterReport } from './gpu/device';
export type { ProfileName, ProfileOption, KernelProfile, KernelUse, MatmulProblem, MatmulVariant, ScalarMatmul, Vec4Matmul, TiledMatmul, SplitKPolicy, RowPolicy, ReducePolicy } from './gpu/profile';
export type { TuneMode, TuneResult } from './gpu/tune';
export type { PoolStats } from './gpu/pool';
export type { QueueCounters } from './gpu/queue';
export type { SoftmaxCrossEntropyOptions } from './ops/loss';
export type { ReduceOptions } from './ops/reduce';
export type { Paddings } from './ops/shape';
export type { Conv2dOptions, Pair } from './ops/conv';
export type { Pool2dOptions } from './ops/pool';
export type { ActivationKind } from './cpu/activation';

// Training: layers, losses, optimizers, the one-submit training step and the loop.
export { dense, activationLayer, conv2d, maxPool2d, avgPool2d, flatten, layerNorm, dropout, embedding, sequential, Sequential } from './nn/layers';
export type { BuiltLayer, DenseOptions, Conv2dLayerOptions, ForwardMode, LayerSpec, NamedParam, SequentialOptions, TorchModule } from './nn/layers';
export * as losses from './nn/losses';
export { Optimizer, inverseTimeDecay, exponentialDecay } from './nn/optimizers';
export type { NonFinite, OptimizerConfig, Schedule } from './nn/optimizers';
export { initWeights } from './nn/init';
export type { Initializer } from './nn/init';
export { TrainingStep } from './schedule/step';
export type { StepCounters, Updater } from './schedule/step';
export { fit, evaluate, minimize, NonFiniteError } from './nn/train';
export type { FitOptions, FitResult, EpochInfo, StepInfo, Evaluation, MinimizeOptions, MinimizeResult } from './nn/train';

// Data and weights (browser-safe parts; Node file helpers live in src/data/idx-node.ts,
// src/data/mnist.ts and src/io/safetensors-node.ts).
export { createRng, batches, shuffledIndices, oneHot } from './data/batches';
export type { Batch, BatchOptions, Rng } from './data/batches';
export { makeSplit } from './data/dataset';
export type { Split, Dataset } from './data/dataset';
export { parseIdx, parseIdxAuto } from './data/idx';
export type { IdxArray } from './data/idx';
export { splitMnistDigits } from './data/mnist-split';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors';
export type { NamedTensor, SafetensorsContents } from './io/safetensors';
