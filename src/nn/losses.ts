// nn.losses: MLX's loss functions. Required arguments are positional; the rest go in an
// options object, with MLX's defaults (including each loss's default reduction).
import * as mx from '../index.ts';

type MxArray = mx.MxArray;
/** How to reduce the per-element losses. */
export type Reduction = 'none' | 'mean' | 'sum';

function reduce(op: string, loss: MxArray, reduction: Reduction): MxArray {
  if (reduction === 'mean') return mx.mean(loss);
  if (reduction === 'sum') return mx.sum(loss);
  if (reduction === 'none') return loss;
  throw new Error(`[${op}] Invalid reduction '${String(reduction)}'. Must be one of none, mean, sum.`);
}

const shapeStr = (s: readonly number[]) => `(${s.join(', ')})`;
const sameShape = (a: MxArray, b: MxArray) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

function applyWeights(op: string, loss: MxArray, weights?: MxArray): MxArray {
  if (!weights) return loss;
  if (!sameShape(weights, loss)) throw new Error(`[${op}] Weights with shape ${shapeStr(weights.shape)} is not the same as output loss with shape ${shapeStr(loss.shape)}.`);
  return mx.multiply(loss, weights);
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions {
  /** Per-sample weights, shaped like the unreduced loss. */
  weights?: MxArray;
  /** The class axis (default -1). */
  axis?: number;
  /** Label smoothing in [0, 1) (default 0). */
  labelSmoothing?: number;
  /** Default 'none'. */
  reduction?: Reduction;
}

/**
 * Cross entropy between logits and targets, which are class indices (one dimension less
 * than logits) or class probabilities (same shape as logits).
 * @example
 * nn.losses.crossEntropy(logits, mx.array([0, 2]), { reduction: 'mean' })
 * nn.losses.crossEntropy(logits, probs, { labelSmoothing: 0.1 })
 */
export function crossEntropy(logits: MxArray, targets: MxArray, options: CrossEntropyOptions = {}): MxArray {
  const { weights, axis = -1, labelSmoothing = 0, reduction = 'none' } = options;
  const op = 'crossEntropy';
  if (labelSmoothing < 0 || labelSmoothing >= 1) throw new Error(`[${op}] Label smoothing must be in [0, 1), got ${labelSmoothing}.`);
  const asProbs = targets.ndim === logits.ndim;
  const ax = axis < 0 ? axis + logits.ndim : axis;
  const dropped = logits.shape.filter((_, i) => i !== ax);
  if ((asProbs && !sameShape(targets, logits)) || (!asProbs && targets.shape.join() !== dropped.join())) {
    throw new Error(`[${op}] Targets shape ${shapeStr(targets.shape)} does not match logits shape ${shapeStr(logits.shape)}.`);
  }
  const shifted = mx.subtract(logits, mx.stopGradient(mx.max(logits, axis, true)));
  const score = asProbs
    ? mx.sum(mx.multiply(shifted, targets), axis)
    : mx.squeeze(mx.takeAlongAxis(shifted, mx.expandDims(targets, axis), axis), axis);
  const lse = mx.logsumexp(shifted, axis);
  let loss: MxArray;
  if (labelSmoothing > 0) {
    const adjusted = mx.multiply(score, 1 - labelSmoothing);
    const smoothed = mx.multiply(mx.negative(mx.mean(shifted, axis)), labelSmoothing);
    loss = mx.add(mx.subtract(lse, adjusted), smoothed);
  } else loss = mx.subtract(lse, score);
  return reduce(op, applyWeights(op, loss, weights), reduction);
}

/**
 * Binary cross entropy on logits (default) or probabilities (`withLogits: false`, logs
 * clipped at -100).
 * @example
 * nn.losses.binaryCrossEntropy(logits, mx.array([0, 1, 1]))
 */
export function binaryCrossEntropy(inputs: MxArray, targets: MxArray, options: { weights?: MxArray; withLogits?: boolean; reduction?: Reduction } = {}): MxArray {
  const { weights, withLogits = true, reduction = 'mean' } = options;
  const op = 'binaryCrossEntropy';
  if (!sameShape(inputs, targets)) throw new Error(`[${op}] Inputs shape ${shapeStr(inputs.shape)} does not match targets shape ${shapeStr(targets.shape)}.`);
  let loss: MxArray;
  if (withLogits) loss = mx.subtract(mx.logaddexp(0, inputs), mx.multiply(inputs, targets));
  else {
    const logP = mx.maximum(mx.log(inputs), -100);
    const log1mP = mx.maximum(mx.log(mx.subtract(1, inputs)), -100);
    loss = mx.negative(mx.add(mx.multiply(targets, logP), mx.multiply(mx.subtract(1, targets), log1mP)));
  }
  return reduce(op, applyWeights(op, loss, weights), reduction);
}

function checkPair(op: string, a: MxArray, b: MxArray, an = 'Predictions', bn = 'targets') {
  if (!sameShape(a, b)) throw new Error(`[${op}] ${an} shape ${shapeStr(a.shape)} does not match ${bn} shape ${shapeStr(b.shape)}.`);
}

/** Mean absolute error. @example nn.losses.l1Loss(pred, y) */
export function l1Loss(predictions: MxArray, targets: MxArray, options: { reduction?: Reduction } = {}): MxArray {
  checkPair('l1Loss', predictions, targets);
  return reduce('l1Loss', mx.abs(mx.subtract(predictions, targets)), options.reduction ?? 'mean');
}

/** Mean squared error. @example nn.losses.mseLoss(pred, y) */
export function mseLoss(predictions: MxArray, targets: MxArray, options: { reduction?: Reduction } = {}): MxArray {
  checkPair('mseLoss', predictions, targets);
  return reduce('mseLoss', mx.square(mx.subtract(predictions, targets)), options.reduction ?? 'mean');
}

/** Negative log likelihood of the target classes given log-probabilities. @example nn.losses.nllLoss(logp, labels) */
export function nllLoss(inputs: MxArray, targets: MxArray, options: { axis?: number; reduction?: Reduction } = {}): MxArray {
  const { axis = -1, reduction = 'none' } = options;
  const loss = mx.negative(mx.squeeze(mx.takeAlongAxis(inputs, mx.expandDims(targets, axis), axis), axis));
  return reduce('nllLoss', loss, reduction);
}

/**
 * Gaussian negative log likelihood of targets under N(inputs, vars).
 * @example
 * nn.losses.gaussianNllLoss(mu, y, variance, { full: true })
 */
export function gaussianNllLoss(inputs: MxArray, targets: MxArray, vars: MxArray, options: { full?: boolean; eps?: number; reduction?: Reduction } = {}): MxArray {
  const { full = false, eps = 1e-6, reduction = 'mean' } = options;
  const op = 'gaussianNllLoss';
  checkPair(op, inputs, targets, 'Inputs');
  checkPair(op, inputs, vars, 'Inputs', 'vars');
  const v = mx.maximum(vars, eps);
  let loss = mx.multiply(mx.add(mx.log(v), mx.divide(mx.square(mx.subtract(targets, inputs)), v)), 0.5);
  if (full) loss = mx.add(loss, 0.5 * Math.log(2 * Math.PI));
  return reduce(op, loss, reduction);
}

/** KL divergence sum(exp(t) * (t - x)) between log-probabilities. @example nn.losses.klDivLoss(logq, logp) */
export function klDivLoss(inputs: MxArray, targets: MxArray, options: { axis?: number; reduction?: Reduction } = {}): MxArray {
  const { axis = -1, reduction = 'none' } = options;
  return reduce('klDivLoss', mx.sum(mx.multiply(mx.exp(targets), mx.subtract(targets, inputs)), axis), reduction);
}

/** Smooth L1: 0.5 d^2 / beta below beta, |d| - 0.5 beta above. @example nn.losses.smoothL1Loss(pred, y, { beta: 1 }) */
export function smoothL1Loss(predictions: MxArray, targets: MxArray, options: { beta?: number; reduction?: Reduction } = {}): MxArray {
  const { beta = 1, reduction = 'mean' } = options;
  checkPair('smoothL1Loss', predictions, targets);
  const diff = mx.abs(mx.subtract(predictions, targets));
  const loss = mx.where(mx.less(diff, beta), mx.divide(mx.multiply(mx.square(diff), 0.5), beta), mx.subtract(diff, 0.5 * beta));
  return reduce('smoothL1Loss', loss, reduction);
}

/**
 * Triplet margin loss with p-norm distances along `axis`.
 * @example
 * nn.losses.tripletLoss(anchors, positives, negatives, { margin: 1 })
 */
export function tripletLoss(
  anchors: MxArray, positives: MxArray, negatives: MxArray,
  options: { axis?: number; p?: number; margin?: number; eps?: number; reduction?: Reduction } = {},
): MxArray {
  const { axis = -1, p = 2, margin = 1, eps = 1e-6, reduction = 'none' } = options;
  const dist = (b: MxArray) => mx.power(mx.add(mx.sum(mx.power(mx.abs(mx.subtract(anchors, b)), p), axis), eps), 1 / p);
  const loss = mx.maximum(mx.add(mx.subtract(dist(positives), dist(negatives)), margin), 0);
  return reduce('tripletLoss', loss, reduction);
}

/** max(0, 1 - inputs * targets) for targets in {-1, 1}. @example nn.losses.hingeLoss(scores, labels) */
export function hingeLoss(inputs: MxArray, targets: MxArray, options: { reduction?: Reduction } = {}): MxArray {
  return reduce('hingeLoss', mx.maximum(mx.subtract(1, mx.multiply(inputs, targets)), 0), options.reduction ?? 'none');
}

/** Huber loss: quadratic up to delta, linear beyond. @example nn.losses.huberLoss(pred, y, { delta: 1 }) */
export function huberLoss(inputs: MxArray, targets: MxArray, options: { delta?: number; reduction?: Reduction } = {}): MxArray {
  const { delta = 1, reduction = 'none' } = options;
  const abs = mx.abs(mx.subtract(inputs, targets));
  const quad = mx.minimum(abs, delta);
  const lin = mx.subtract(abs, quad);
  return reduce('huberLoss', mx.add(mx.multiply(mx.square(quad), 0.5), mx.multiply(lin, delta)), reduction);
}

/** log(cosh(inputs - targets)), computed stably. @example nn.losses.logCoshLoss(pred, y) */
export function logCoshLoss(inputs: MxArray, targets: MxArray, options: { reduction?: Reduction } = {}): MxArray {
  const e = mx.subtract(inputs, targets);
  return reduce('logCoshLoss', mx.subtract(mx.logaddexp(e, mx.negative(e)), Math.LN2), options.reduction ?? 'none');
}

/**
 * Cosine similarity of x1 and x2 along `axis` (default 1), as MLX (the similarity itself,
 * not 1 - similarity).
 * @example
 * nn.losses.cosineSimilarityLoss(a, b, { axis: -1 })
 */
export function cosineSimilarityLoss(x1: MxArray, x2: MxArray, options: { axis?: number; eps?: number; reduction?: Reduction } = {}): MxArray {
  const { axis = 1, eps = 1e-8, reduction = 'none' } = options;
  const norm = (x: MxArray) => mx.sqrt(mx.sum(mx.square(x), axis));
  const loss = mx.divide(mx.sum(mx.multiply(x1, x2), axis), mx.maximum(mx.multiply(norm(x1), norm(x2)), eps));
  return reduce('cosineSimilarityLoss', loss, reduction);
}

/**
 * max(0, -targets * (inputs1 - inputs2) + margin) for targets in {-1, 1}.
 * @example
 * nn.losses.marginRankingLoss(a, b, mx.array([1, -1]), { margin: 0.1 })
 */
export function marginRankingLoss(inputs1: MxArray, inputs2: MxArray, targets: MxArray, options: { margin?: number; reduction?: Reduction } = {}): MxArray {
  const { margin = 0, reduction = 'none' } = options;
  if (!sameShape(inputs1, inputs2) || !sameShape(inputs1, targets)) {
    throw new Error(`[marginRankingLoss] The shapes of the arguments do not match: inputs1 ${shapeStr(inputs1.shape)}, inputs2 ${shapeStr(inputs2.shape)}, targets ${shapeStr(targets.shape)}.`);
  }
  const loss = mx.maximum(mx.add(mx.multiply(mx.negative(targets), mx.subtract(inputs1, inputs2)), margin), 0);
  return reduce('marginRankingLoss', loss, reduction);
}
