// The op table: every op the engine can run, registered once by name. Adding an op is one
// line here (see the recipe at the top of src/ops/op.ts). The name and attribute type of
// `ops.run('name', inputs, attrs)` come from this table, so a typo or wrong attributes do
// not compile, and every entry is a full OpDef (shape rule, CPU, GPU, backward).

import type { OpDef, UpdateDef } from './op';
import { activation, activationGrad, addInPlace, scale, unary, unaryGrad } from './elementwise';
import {
  add, binaryGrad, div, equal, greater, greaterEqual, less, lessEqual, maximum, minimum, mul, pow, sub, where, whereGrad,
} from './broadcast';
import { matmul } from './matmul';
import { broadcastAxis, centeredGrad, logSumExp, max, maxGrad, mean, min, sum, variance } from './reduce';
import { concat, copy, pad, reshape, slice, stack, transpose } from './shape';
import { gather, oneHot, scatterAdd } from './gather';
import { logSoftmax, logSoftmaxGrad, softmax, softmaxJvp, softmaxJvpGradY } from './softmax';
import { bceTargetGrad, binaryCrossEntropy, ceTargetGrad, mseLoss, mseTargetGrad, softmaxCrossEntropy } from './loss';
import { lossCheck, optimizerUpdate } from './optimizer';

export const opTable = {
  // elementwise (binary ops broadcast)
  add, sub, mul, div, pow, minimum, maximum, binaryGrad,
  greater, greaterEqual, less, lessEqual, equal, where, whereGrad,
  scale, activation, activationGrad, unary, unaryGrad,
  // shapes
  reshape, copy, transpose, slice, pad, concat, stack,
  // indices
  gather, scatterAdd, oneHot,
  // linear algebra
  matmul,
  // reductions
  sum, mean, max, min, logSumExp, variance, broadcastAxis, maxGrad, centeredGrad,
  // rows
  softmax, logSoftmax, softmaxJvp, softmaxJvpGradY, logSoftmaxGrad,
  // losses
  mseLoss, binaryCrossEntropy, softmaxCrossEntropy, mseTargetGrad, bceTargetGrad, ceTargetGrad,
};

/** In-place updates (not differentiable, never recorded). */
export const updateTable = {
  addInPlace, optimizerUpdate, lossCheck,
};

export type OpName = keyof typeof opTable;
export type AttrsOf<K extends OpName> = (typeof opTable)[K] extends OpDef<infer A> ? A : never;
export type UpdateName = keyof typeof updateTable;
export type UpdateAttrsOf<K extends UpdateName> = (typeof updateTable)[K] extends UpdateDef<infer A> ? A : never;
