// Activation functions (MLX's nn.relu, nn.gelu, ...) and their Module forms (nn.ReLU, ...).
import * as mx from '../index.ts';
import { Module } from './module.ts';

type MxArray = mx.MxArray;
type In = mx.MxArray;

/** Logistic sigmoid 1 / (1 + e^-x). @example nn.sigmoid(x) */
export const sigmoid = (x: In): MxArray => mx.sigmoid(x);
/** max(x, 0). @example nn.relu(mx.array([-1, 2])) // [0, 2] */
export const relu = (x: In): MxArray => mx.maximum(x, 0);
/** max(x, 0)^2. @example nn.relu2(x) */
export const relu2 = (x: In): MxArray => mx.square(mx.maximum(x, 0));
/** min(max(x, 0), 6). @example nn.relu6(x) */
export const relu6 = (x: In): MxArray => mx.minimum(mx.maximum(x, 0), 6);
/** max(negativeSlope * x, x). @example nn.leakyRelu(x, 0.1) */
export const leakyRelu = (x: In, negativeSlope = 0.01): MxArray => mx.maximum(mx.multiply(x, negativeSlope), x);

/**
 * x - logsumexp(x) along `axis`, with the max shifted out first.
 * @example
 * nn.logSoftmax(logits, -1)
 */
export function logSoftmax(x: In, axis = -1): MxArray {
  const s = mx.subtract(x, mx.stopGradient(mx.max(x, axis, true)));
  return mx.subtract(s, mx.logsumexp(s, axis, true));
}

/** x for x > 0, alpha * (e^x - 1) otherwise. @example nn.elu(x) */
export const elu = (x: In, alpha = 1): MxArray => mx.where(mx.greater(x, 0), x, mx.multiply(mx.subtract(mx.exp(x), 1), alpha));
/** Softmax along `axis`. @example nn.softmax(x, -1) */
export const softmax = (x: In, axis = -1): MxArray => mx.softmax(x, axis);
/** log(1 + e^x). @example nn.softplus(x) */
export const softplus = (x: In): MxArray => mx.logaddexp(x, 0);
/** x / (1 + |x|). @example nn.softsign(x) */
export const softsign = (x: In): MxArray => mx.divide(x, mx.add(mx.abs(x), 1));
/** x - sign(x) * lambd where |x| > lambd, else 0. @example nn.softShrink(x, 0.5) */
export const softShrink = (x: In, lambd = 0.5): MxArray => mx.where(mx.greater(mx.abs(x), lambd), mx.subtract(x, mx.multiply(mx.sign(x), lambd)), 0);
/** max(0, x) + alpha * (e^(min(x, 0) / alpha) - 1). @example nn.celu(x, 1.0) */
export const celu = (x: In, alpha = 1): MxArray =>
  mx.add(mx.maximum(x, 0), mx.multiply(mx.subtract(mx.exp(mx.divide(mx.minimum(x, 0), alpha)), 1), alpha));
/** x * sigmoid(x) (Swish). @example nn.silu(x) */
export const silu = (x: In): MxArray => mx.multiply(x, mx.sigmoid(x));
/** log(sigmoid(x)) = -softplus(-x). @example nn.logSigmoid(x) */
export const logSigmoid = (x: In): MxArray => mx.negative(softplus(mx.negative(x)));
/** x * Phi(x), Phi the Gaussian CDF (exact, with erf). @example nn.gelu(x) */
export const gelu = (x: In): MxArray => mx.divide(mx.multiply(x, mx.add(mx.erf(mx.divide(x, Math.SQRT2)), 1)), 2);
/** tanh approximation of gelu (max abs error < 5e-4 on [-6, 6]). @example nn.geluApprox(x) */
export const geluApprox = (x: In): MxArray =>
  mx.multiply(mx.multiply(x, 0.5), mx.add(mx.tanh(mx.multiply(mx.add(x, mx.multiply(mx.power(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
/** x * sigmoid(1.702 x) (max abs error < 0.015 on [-6, 6]). @example nn.geluFastApprox(x) */
export const geluFastApprox = (x: In): MxArray => mx.multiply(x, mx.sigmoid(mx.multiply(x, 1.702)));

/**
 * Gated linear unit: splits `axis` in halves a, b and returns a * sigmoid(b).
 * @example
 * nn.glu(mx.ones([2, 8])) // shape [2, 4]
 */
export function glu(x: In, axis = -1): MxArray {
  const [a, b] = mx.split(x, 2, axis);
  return mx.multiply(a, mx.sigmoid(b));
}

/** 1 where x >= threshold, else 0 (int32, as MLX). @example nn.step(x, 0) */
export const step = (x: In, threshold = 0): MxArray => mx.where(mx.greaterEqual(x, threshold), 1, 0);
/** 1.0507 * elu(x, 1.67326). @example nn.selu(x) */
export const selu = (x: In): MxArray => mx.multiply(elu(x, 1.67326), 1.0507);
/** max(0, x) + alpha * min(0, x), alpha an array. @example nn.prelu(x, mx.array([0.25])) */
export const prelu = (x: In, alpha: In): MxArray => mx.add(mx.maximum(x, 0), mx.multiply(alpha, mx.minimum(x, 0)));
/** x * tanh(softplus(x)). @example nn.mish(x) */
export const mish = (x: In): MxArray => mx.multiply(x, mx.tanh(softplus(x)));
/** x * min(max(x + 3, 0), 6) / 6. @example nn.hardswish(x) */
export const hardswish = (x: In): MxArray => mx.divide(mx.multiply(x, mx.minimum(mx.maximum(mx.add(x, 3), 0), 6)), 6);
/** Clamps to [minVal, maxVal]. @example nn.hardTanh(x, -1, 1) */
export const hardTanh = (x: In, minVal = -1, maxVal = 1): MxArray => mx.minimum(mx.maximum(x, minVal), maxVal);
/** x where |x| > lambd, else 0. @example nn.hardShrink(x, 0.5) */
export const hardShrink = (x: In, lambd = 0.5): MxArray => mx.where(mx.greater(mx.abs(x), lambd), x, 0);
/** softmax(-x) along `axis`. @example nn.softmin(x, -1) */
export const softmin = (x: In, axis = -1): MxArray => mx.softmax(mx.negative(x), axis);
/** Hyperbolic tangent. @example nn.tanh(x) */
export const tanh = (x: In): MxArray => mx.tanh(x);

// ------------------------------------------------------------------ Module forms

/** Module form of `glu`. @example new nn.GLU(-1).forward(x) */
export class GLU extends Module {
  constructor(readonly axis = -1) { super(); }
  override forward(x: In): MxArray { return glu(x, this.axis); }
}
/** Module form of `sigmoid`. @example new nn.Sigmoid().forward(x) */
export class Sigmoid extends Module { override forward(x: In): MxArray { return sigmoid(x); } }
/** Module form of `mish`. @example new nn.Mish().forward(x) */
export class Mish extends Module { override forward(x: In): MxArray { return mish(x); } }
/** Module form of `relu`. @example new nn.ReLU().forward(x) */
export class ReLU extends Module { override forward(x: In): MxArray { return relu(x); } }
/** Module form of `relu2`. @example new nn.ReLU2().forward(x) */
export class ReLU2 extends Module { override forward(x: In): MxArray { return relu2(x); } }
/** Module form of `relu6`. @example new nn.ReLU6().forward(x) */
export class ReLU6 extends Module { override forward(x: In): MxArray { return relu6(x); } }
/** Module form of `leakyRelu`. @example new nn.LeakyReLU(0.1).forward(x) */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  override forward(x: In): MxArray { return leakyRelu(x, this.negativeSlope); }
}
/** Module form of `elu`. @example new nn.ELU(1.0).forward(x) */
export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  override forward(x: In): MxArray { return elu(x, this.alpha); }
}
/** Module form of `softmax` (last axis). @example new nn.Softmax().forward(x) */
export class Softmax extends Module { override forward(x: In): MxArray { return softmax(x); } }
/** Module form of `softplus`. @example new nn.Softplus().forward(x) */
export class Softplus extends Module { override forward(x: In): MxArray { return softplus(x); } }
/** Module form of `softsign`. @example new nn.Softsign().forward(x) */
export class Softsign extends Module { override forward(x: In): MxArray { return softsign(x); } }
/** Module form of `softShrink`. @example new nn.Softshrink(0.5).forward(x) */
export class Softshrink extends Module {
  constructor(readonly lambd = 0.5) { super(); }
  override forward(x: In): MxArray { return softShrink(x, this.lambd); }
}
/** Module form of `celu`. @example new nn.CELU(1.0).forward(x) */
export class CELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  override forward(x: In): MxArray { return celu(x, this.alpha); }
}
/** Module form of `silu`. @example new nn.SiLU().forward(x) */
export class SiLU extends Module { override forward(x: In): MxArray { return silu(x); } }
/** Module form of `logSoftmax` (last axis). @example new nn.LogSoftmax().forward(x) */
export class LogSoftmax extends Module { override forward(x: In): MxArray { return logSoftmax(x); } }
/** Module form of `logSigmoid`. @example new nn.LogSigmoid().forward(x) */
export class LogSigmoid extends Module { override forward(x: In): MxArray { return logSigmoid(x); } }

/**
 * Parametric ReLU with a learned `weight` of `numParameters` slopes (initialised to `init`).
 * @example
 * new nn.PReLU(1, 0.25).forward(x)
 */
export class PReLU extends Module {
  weight: MxArray;
  constructor(numParameters = 1, init = 0.25) {
    super();
    this.weight = mx.full([numParameters], init, mx.float32);
  }
  override forward(x: In): MxArray { return prelu(x, this.weight); }
}

/**
 * GELU with approx 'none' (exact), 'precise' / 'tanh' (geluApprox) or 'fast' (geluFastApprox).
 * @example
 * new nn.GELU('fast').forward(x)
 */
export class GELU extends Module {
  constructor(readonly approx: 'none' | 'precise' | 'tanh' | 'fast' = 'none') {
    super();
    if (!['none', 'precise', 'tanh', 'fast'].includes(approx)) throw new Error(`[GELU] The approximation should be in none, precise, tanh, fast but '${approx}' was given.`);
  }
  override forward(x: In): MxArray {
    if (this.approx === 'none') return gelu(x);
    return this.approx === 'fast' ? geluFastApprox(x) : geluApprox(x);
  }
}
/** Module form of `tanh`. @example new nn.Tanh().forward(x) */
export class Tanh extends Module { override forward(x: In): MxArray { return tanh(x); } }
/** Module form of `hardswish`. @example new nn.Hardswish().forward(x) */
export class Hardswish extends Module { override forward(x: In): MxArray { return hardswish(x); } }
/** Module form of `step`. @example new nn.Step(0.5).forward(x) */
export class Step extends Module {
  constructor(readonly threshold = 0) { super(); }
  override forward(x: In): MxArray { return step(x, this.threshold); }
}
/** Module form of `selu`. @example new nn.SELU().forward(x) */
export class SELU extends Module { override forward(x: In): MxArray { return selu(x); } }
/** Module form of `hardTanh` (range [-1, 1], as MLX). @example new nn.HardTanh().forward(x) */
export class HardTanh extends Module { override forward(x: In): MxArray { return hardTanh(x); } }
/** Module form of `hardShrink`. @example new nn.HardShrink(0.5).forward(x) */
export class HardShrink extends Module {
  constructor(readonly lambd = 0.5) { super(); }
  override forward(x: In): MxArray { return hardShrink(x, this.lambd); }
}
/** Module form of `softmin` (last axis). @example new nn.Softmin().forward(x) */
export class Softmin extends Module { override forward(x: In): MxArray { return softmin(x); } }
