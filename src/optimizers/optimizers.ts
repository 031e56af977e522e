// The optimizers of mlx.optimizers, with MLX's update formulas (eps placement, bias
// correction flags and defaults as in MLX). Any hyperparameter may be a schedule.
import type { MxArray } from '../core/array.ts';
import { zerosLike, zeros } from '../ops/creation.ts';
import {
  add, subtract, multiply, divide, square, sqrt, rsqrt, maximum, minimum, abs, sign, power, astype,
} from '../ops/elementwise.ts';
import { mean, sum } from '../ops/reduce.ts';
import { reshape, transpose, expandDims } from '../ops/shape.ts';
import { matmul } from '../ops/matmul.ts';
import { Optimizer, type Hyper, type Scalar, mul, sub, A } from './optimizer.ts';

type Dict = Record<string, unknown>;
const get = (s: Dict, k: string) => s[k] as MxArray;

/** Splits `(learningRate, options)` or `(options)` calls into one options object. */
function opts<T extends { learningRate?: Hyper }>(lr: Hyper | T | undefined, rest: Omit<T, 'learningRate'> | undefined, name: string, required = true): T {
  const o = (typeof lr === 'number' || typeof lr === 'function' ? { ...rest, learningRate: lr } : { ...rest, ...(lr ?? {}) }) as T;
  if (required && o.learningRate === undefined) throw new Error(`[${name}] A learning rate is required.`);
  return o;
}

export interface SGDOptions {
  learningRate?: Hyper;
  /** Momentum strength (default 0). */
  momentum?: Hyper;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: Hyper;
  /** Dampening of the momentum (default 0). */
  dampening?: Hyper;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, weight decay, dampening and
 * Nesterov momentum: v = mu v + (1 - tau) g; w = w - lr v.
 * @example
 * const opt = new optim.SGD(0.1, { momentum: 0.9, nesterov: true });
 */
export class SGD extends Optimizer {
  readonly nesterov: boolean;
  constructor(learningRate: Hyper | SGDOptions, options?: Omit<SGDOptions, 'learningRate'>) {
    super();
    const o = opts<SGDOptions>(learningRate, options, 'SGD');
    const momentum = o.momentum ?? 0, dampening = o.dampening ?? 0;
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && typeof momentum === 'number' && (momentum <= 0 || dampening !== 0)) {
      throw new Error('[SGD] Nesterov momentum requires a momentum and zero dampening.');
    }
    this.hyper('learningRate', o.learningRate!);
    this.hyper('momentum', momentum);
    this.hyper('weightDecay', o.weightDecay ?? 0);
    this.hyper('dampening', dampening);
  }
  initSingle(p: MxArray, s: Dict): void {
    s.v = zerosLike(p);
  }
  applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const dt = g.dtype;
    if (this.active('weightDecay')) g = add(g, mul(this.hp('weightDecay', dt), p));
    const lr = this.hp('learningRate', dt);
    const momentum = this.hp('momentum', dt);
    if (typeof momentum === 'number' && momentum <= 0) return subtract(p, multiply(lr, g));
    let v = A(mul(momentum, get(s, 'v')));
    v = this.active('dampening') ? add(v, mul(sub(1, this.hp('dampening', dt)), g)) : add(v, g);
    const update = this.nesterov ? add(g, mul(momentum, v)) : v;
    s.v = v;
    return subtract(p, multiply(lr, update));
  }
}

export interface RMSpropOptions {
  learningRate?: Hyper;
  /** Smoothing constant (default 0.99). */
  alpha?: Hyper;
  /** Added to the denominator (default 1e-8). */
  eps?: Hyper;
}

/**
 * RMSprop: v = alpha v + (1 - alpha) g^2; w = w - lr g / (sqrt(v) + eps).
 * @example
 * const opt = new optim.RMSprop(1e-2, { alpha: 0.9 });
 */
export class RMSprop extends Optimizer {
  constructor(learningRate: Hyper | RMSpropOptions, options?: Omit<RMSpropOptions, 'learningRate'>) {
    super();
    const o = opts<RMSpropOptions>(learningRate, options, 'RMSprop');
    const alpha = o.alpha ?? 0.99, eps = o.eps ?? 1e-8;
    if (typeof alpha === 'number' && alpha < 0) throw new Error(`[RMSprop] alpha should be >= 0, ${alpha} was provided instead.`);
    if (typeof eps === 'number' && eps < 0) throw new Error(`[RMSprop] epsilon should be >= 0, ${eps} was provided instead.`);
    this.hyper('learningRate', o.learningRate!);
    this.hyper('alpha', alpha);
    this.hyper('eps', eps);
  }
  initSingle(p: MxArray, s: Dict): void {
    s.v = zerosLike(p);
  }
  applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const dt = g.dtype, lr = this.hp('learningRate', dt), alpha = this.hp('alpha', dt), eps = this.hp('eps', dt);
    const v = add(mul(alpha, get(s, 'v')), mul(sub(1, alpha), square(g)));
    s.v = v;
    return subtract(p, divide(multiply(lr, g), add(sqrt(v), eps)));
  }
}

export interface AdagradOptions {
  learningRate?: Hyper;
  /** Added to the denominator (default 1e-8). */
  eps?: Hyper;
}

/**
 * Adagrad: v = v + g^2; w = w - lr g / (sqrt(v) + eps).
 * @example
 * const opt = new optim.Adagrad(0.1);
 */
export class Adagrad extends Optimizer {
  constructor(learningRate: Hyper | AdagradOptions, options?: Omit<AdagradOptions, 'learningRate'>) {
    super();
    const o = opts<AdagradOptions>(learningRate, options, 'Adagrad');
    const eps = o.eps ?? 1e-8;
    if (typeof eps === 'number' && eps < 0) throw new Error(`[Adagrad] epsilon should be >= 0, ${eps} was provided instead.`);
    this.hyper('learningRate', o.learningRate!);
    this.hyper('eps', eps);
  }
  initSingle(p: MxArray, s: Dict): void {
    s.v = zerosLike(p);
  }
  applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const dt = g.dtype, lr = this.hp('learningRate', dt), eps = this.hp('eps', dt);
    const v = add(get(s, 'v'), square(g));
    s.v = v;
    return subtract(p, divide(multiply(lr, g), add(sqrt(v), eps)));
  }
}

export interface AdaDeltaOptions {
  learningRate?: Hyper;
  /** Running-average coefficient (default 0.9). */
  rho?: Hyper;
  /** Added inside both square roots (default 1e-6). */
  eps?: Hyper;
}

/**
 * AdaDelta: v = rho v + (1 - rho) g^2; d = sqrt(u + eps) / sqrt(v + eps) g;
 * u = rho u + (1 - rho) d^2; w = w - lr d.
 * @example
 * const opt = new optim.AdaDelta(1.0, { rho: 0.95 });
 */
export class AdaDelta extends Optimizer {
  constructor(learningRate: Hyper | AdaDeltaOptions, options?: Omit<AdaDeltaOptions, 'learningRate'>) {
    super();
    const o = opts<AdaDeltaOptions>(learningRate, options, 'AdaDelta');
    const rho = o.rho ?? 0.9, eps = o.eps ?? 1e-6;
    if (typeof rho === 'number' && rho < 0) throw new Error(`[AdaDelta] rho should be >= 0, ${rho} was provided instead.`);
    if (typeof eps === 'number' && eps < 0) throw new Error(`[AdaDelta] epsilon should be >= 0, ${eps} was provided instead.`);
    this.hyper('learningRate', o.learningRate!);
    this.hyper('rho', rho);
    this.hyper('eps', eps);
  }
  initSingle(p: MxArray, s: Dict): void {
    s.v = zerosLike(p);
    s.u = zerosLike(p);
  }
  applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const dt = g.dtype, lr = this.hp('learningRate', dt), rho = this.hp('rho', dt), eps = this.hp('eps', dt);
    const v = add(mul(rho, get(s, 'v')), mul(sub(1, rho), square(g)));
    const d = multiply(divide(sqrt(add(get(s, 'u'), eps)), sqrt(add(v, eps))), g);
    const u = add(mul(rho, get(s, 'u')), mul(sub(1, rho), square(d)));
    s.v = v;
    s.u = u;
    return subtract(p, multiply(lr, d));
  }
}

export interface AdamOptions {
  learningRate?: Hyper;
  /** Running-average coefficients of g and g^2 (default [0.9, 0.999]). */
  betas?: [Hyper, Hyper];
  /** Added to the denominator (default 1e-8). */
  eps?: Hyper;
  /** Apply bias correction (default false, as MLX). */
  biasCorrection?: boolean;
}

function checkBetas(name: string, betas: Hyper[]): void {
  betas.forEach((b, i) => {
    if (typeof b === 'number' && !(b >= 0 && b < 1)) throw new Error(`[${name}] beta${i + 1} should be in [0, 1), ${b} was provided instead.`);
  });
}

/**
 * Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w = w - lr m / (sqrt(v) + eps).
 * Bias correction is off by default, as in MLX.
 * @example
 * const opt = new optim.Adam(1e-3, { betas: [0.9, 0.98], biasCorrection: true });
 */
export class Adam extends Optimizer {
  readonly biasCorrection: boolean;
  constructor(learningRate: Hyper | AdamOptions, options?: Omit<AdamOptions, 'learningRate'>) {
    super();
    const o = opts<AdamOptions>(learningRate, options, this.constructor.name);
    const betas = o.betas ?? [0.9, 0.999], eps = o.eps ?? 1e-8;
    checkBetas(this.constructor.name, betas);
    if (typeof eps === 'number' && eps < 0) throw new Error(`[${this.constructor.name}] epsilon should be >= 0, ${eps} was provided instead.`);
    this.hyper('learningRate', o.learningRate!);
    this.hyper('beta1', betas[0]);
    this.hyper('beta2', betas[1]);
    this.hyper('eps', eps);
    this.biasCorrection = o.biasCorrection ?? false;
  }
  initSingle(p: MxArray, s: Dict): void {
    s.m = zerosLike(p);
    s.v = zerosLike(p);
  }
  applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const dt = g.dtype, lr = this.hp('learningRate', dt), b1 = this.hp('beta1', dt), b2 = this.hp('beta2', dt), eps = this.hp('eps', dt);
    const m = add(mul(b1, get(s, 'm')), mul(sub(1, b1), g));
    const v = add(mul(b2, get(s, 'v')), mul(sub(1, b2), square(g)));
    s.m = m;
    s.v = v;
    if (this.biasCorrection) {
      const step = this.step;
      const c1 = astype(divide(lr, subtract(1, power(b1, step))), dt);
      const c2 = astype(rsqrt(subtract(1, power(b2, step))), dt);
      return subtract(p, divide(multiply(c1, m), add(multiply(sqrt(v), c2), eps)));
    }
    return subtract(p, divide(multiply(lr, m), add(sqrt(v), eps)));
  }
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay (default 0.01). */
  weightDecay?: Hyper;
}

/**
 * AdamW: Adam on w (1 - lr weightDecay) (decoupled weight decay).
 * @example
 * const opt = new optim.AdamW(1e-3, { weightDecay: 0.05 });
 */
export class AdamW extends Adam {
  constructor(learningRate: Hyper | AdamWOptions, options?: Omit<AdamWOptions, 'learningRate'>) {
    const o = opts<AdamWOptions>(learningRate, options, 'AdamW');
    super(o);
    this.hyper('weightDecay', o.weightDecay ?? 0.01);
  }
  override applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const lr = this.hp('learningRate', g.dtype);
    return super.applySingle(g, multiply(p, sub(1, mul(lr, this.hp('weightDecay', g.dtype)))), s);
  }
}

/**
 * Adamax (Adam on the infinity norm): m = b1 m + (1 - b1) g; v = max(b2 v, |g|);
 * w = w - lr m / (v + eps).
 * @example
 * const opt = new optim.Adamax(2e-3);
 */
export class Adamax extends Adam {
  constructor(learningRate: Hyper | Omit<AdamOptions, 'biasCorrection'>, options?: Omit<AdamOptions, 'learningRate' | 'biasCorrection'>) {
    super(opts<AdamOptions>(learningRate, options, 'Adamax'));
  }
  override applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const dt = g.dtype, lr = this.hp('learningRate', dt), b1 = this.hp('beta1', dt), b2 = this.hp('beta2', dt), eps = this.hp('eps', dt);
    const m = add(mul(b1, get(s, 'm')), mul(sub(1, b1), g));
    const v = maximum(mul(b2, get(s, 'v')), abs(g));
    s.m = m;
    s.v = v;
    return subtract(p, divide(multiply(lr, m), add(v, eps)));
  }
}

export interface LionOptions {
  learningRate?: Hyper;
  /** Coefficients of the update direction and the momentum (default [0.9, 0.99]). */
  betas?: [Hyper, Hyper];
  /** Decoupled weight decay (default 0). */
  weightDecay?: Hyper;
}

/**
 * Lion: c = b1 m + (1 - b1) g; m = b2 m + (1 - b2) g; w = w (1 - lr wd) - lr sign(c).
 * @example
 * const opt = new optim.Lion(1e-4, { weightDecay: 0.1 });
 */
export class Lion extends Optimizer {
  constructor(learningRate: Hyper | LionOptions, options?: Omit<LionOptions, 'learningRate'>) {
    super();
    const o = opts<LionOptions>(learningRate, options, 'Lion');
    const betas = o.betas ?? [0.9, 0.99];
    checkBetas('Lion', betas);
    this.hyper('learningRate', o.learningRate!);
    this.hyper('beta1', betas[0]);
    this.hyper('beta2', betas[1]);
    this.hyper('weightDecay', o.weightDecay ?? 0);
  }
  initSingle(p: MxArray, s: Dict): void {
    s.m = zerosLike(p);
  }
  applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const dt = g.dtype, lr = this.hp('learningRate', dt), b1 = this.hp('beta1', dt), b2 = this.hp('beta2', dt);
    const m = get(s, 'm');
    const c = add(mul(b1, m), mul(sub(1, b1), g));
    s.m = add(mul(b2, m), mul(sub(1, b2), g));
    const wd = this.hp('weightDecay', dt);
    if (typeof wd !== 'number' || wd > 0) p = multiply(sub(1, mul(lr, wd)), p);
    return subtract(p, multiply(lr, sign(c)));
  }
}

export interface AdafactorOptions {
  /** The learning rate; ignored when relativeStep is true (default none). */
  learningRate?: Hyper;
  /** [eps1 added to g^2, eps2 floor of the parameter scale] (default [1e-30, 1e-3]). */
  eps?: [number, number];
  /** Clip the unscaled update's RMS at this value (default 1). */
  clipThreshold?: number;
  /** Exponent of the second-moment decay (default -0.8). */
  decayRate?: number;
  /** First-moment coefficient; no first moment when omitted. */
  beta1?: number;
  /** Weight decay (default 0). */
  weightDecay?: number;
  /** Scale the step by max(eps2, RMS(w)) (default true). */
  scaleParameter?: boolean;
  /** Use min(1e-2, 1/sqrt(step)) instead of the learning rate (default true). */
  relativeStep?: boolean;
  /** With relativeStep, use min(1e-6 step, 1/sqrt(step)) (default false). */
  warmupInit?: boolean;
}

/**
 * Adafactor (Shazeer & Stern 2018) with factored second moments for >= 2-d parameters.
 * @example
 * const opt = new optim.Adafactor({ learningRate: 1e-2, relativeStep: false });
 */
export class Adafactor extends Optimizer {
  readonly eps: [number, number];
  readonly clipThreshold: number;
  readonly decayRate: number;
  readonly beta1: number | undefined;
  readonly weightDecay: number;
  readonly scaleParameter: boolean;
  readonly relativeStep: boolean;
  readonly warmupInit: boolean;
  constructor(learningRate: Hyper | AdafactorOptions = {}, options?: Omit<AdafactorOptions, 'learningRate'>) {
    super();
    const o = opts<AdafactorOptions>(learningRate, options, 'Adafactor', false);
    if (o.learningRate !== undefined) this.hyper('learningRate', o.learningRate);
    this.eps = o.eps ?? [1e-30, 1e-3];
    this.clipThreshold = o.clipThreshold ?? 1.0;
    this.decayRate = o.decayRate ?? -0.8;
    this.beta1 = o.beta1;
    this.weightDecay = o.weightDecay ?? 0;
    this.scaleParameter = o.scaleParameter ?? true;
    this.relativeStep = o.relativeStep ?? true;
    this.warmupInit = o.warmupInit ?? false;
    if (!this.relativeStep && o.learningRate === undefined) throw new Error('[Adafactor] A learning rate is required when relativeStep is false.');
  }
  initSingle(p: MxArray, s: Dict): void {
    if (p.ndim >= 2) {
      s.expAvgSqRow = zeros(p.shape.slice(0, -1), p.dtype);
      s.expAvgSqCol = zeros([...p.shape.slice(0, -2), p.shape[p.ndim - 1]], p.dtype);
    } else s.expAvgSq = zerosLike(p);
    if (this.beta1 !== undefined) s.expAvg = zerosLike(p);
  }
  private rms(x: MxArray): MxArray {
    return sqrt(mean(square(x)));
  }
  private lrFor(step: MxArray, prms: MxArray): MxArray {
    let rel: MxArray;
    if (this.relativeStep) rel = minimum(this.warmupInit ? multiply(1e-6, step) : 1e-2, rsqrt(step));
    else rel = this.state.learningRate as MxArray;
    rel = astype(rel, prms.dtype);
    return this.scaleParameter ? multiply(maximum(this.eps[1], prms), rel) : multiply(1.0, rel);
  }
  applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const step = this.step;
    const prms = this.rms(p);
    const lr = this.lrFor(step, prms);
    const beta2 = subtract(1.0, astype(power(step, this.decayRate), prms.dtype));
    let update = add(square(g), this.eps[0]);
    if (g.ndim >= 2) {
      const row = add(multiply(beta2, get(s, 'expAvgSqRow')), multiply(subtract(1, beta2), mean(update, -1)));
      const col = add(multiply(beta2, get(s, 'expAvgSqCol')), multiply(subtract(1, beta2), mean(update, -2)));
      s.expAvgSqRow = row;
      s.expAvgSqCol = col;
      const r = rsqrt(divide(row, mean(row, -1, true)));
      const c = rsqrt(col);
      update = multiply(multiply(expandDims(r, -1), expandDims(c, -2)), g);
    } else {
      const v = add(multiply(beta2, get(s, 'expAvgSq')), multiply(subtract(1, beta2), update));
      s.expAvgSq = v;
      update = multiply(rsqrt(v), g);
    }
    update = divide(update, maximum(1.0, divide(this.rms(update), this.clipThreshold)));
    update = multiply(lr, update);
    if (this.beta1 !== undefined) {
      const ea = add(multiply(this.beta1, get(s, 'expAvg')), multiply(1 - this.beta1, update));
      s.expAvg = ea;
      update = ea;
    }
    if (this.weightDecay !== 0) p = add(p, multiply(p, multiply(-this.weightDecay, lr)));
    return subtract(p, update);
  }
}

export interface MuonOptions {
  learningRate?: Hyper;
  /** Momentum strength (default 0.95). */
  momentum?: Hyper;
  /** L2 penalty added to the gradient (default 0.01). */
  weightDecay?: Hyper;
  /** Nesterov momentum (default true). */
  nesterov?: boolean;
  /** Newton-Schulz iterations (default 5). */
  nsSteps?: number;
}

/**
 * Muon: momentum SGD whose update of each >= 2-d parameter is orthogonalised with a
 * quintic Newton-Schulz iteration (parameters beyond 2-d are flattened after axis 0).
 * @example
 * const opt = new optim.Muon(0.02, { momentum: 0.95 });
 */
export class Muon extends Optimizer {
  readonly nesterov: boolean;
  readonly nsSteps: number;
  constructor(learningRate: Hyper | MuonOptions, options?: Omit<MuonOptions, 'learningRate'>) {
    super();
    const o = opts<MuonOptions>(learningRate, options, 'Muon');
    this.hyper('learningRate', o.learningRate!);
    this.hyper('momentum', o.momentum ?? 0.95);
    this.hyper('weightDecay', o.weightDecay ?? 0.01);
    this.nesterov = o.nesterov ?? true;
    this.nsSteps = o.nsSteps ?? 5;
  }
  initSingle(p: MxArray, s: Dict): void {
    s.v = zerosLike(p);
  }
  private orthogonalize(x: MxArray, steps: number): MxArray {
    const [a, b, c] = [3.4445, -4.775, 2.0315];
    const tr = x.shape[0] > x.shape[1];
    if (tr) x = transpose(x);
    x = divide(x, add(sqrt(sum(square(x), undefined, true)), 1e-7));
    for (let i = 0; i < steps; i++) {
      const AA = matmul(x, transpose(x));
      const B = add(multiply(b, AA), multiply(c, matmul(AA, AA)));
      x = add(multiply(a, x), matmul(B, x));
    }
    return tr ? transpose(x) : x;
  }
  applySingle(g: MxArray, p: MxArray, s: Dict): MxArray {
    const dt = g.dtype;
    if (this.active('weightDecay')) g = add(g, mul(this.hp('weightDecay', dt), p));
    const mom = this.hp('momentum', dt);
    const v = add(mul(mom, get(s, 'v')), mul(sub(1, mom), g));
    s.v = v;
    let update = this.nesterov ? add(mul(g, sub(1, mom)), mul(v, mom)) : v;
    let lr: Scalar = this.hp('learningRate', dt);
    if (update.ndim >= 2) {
      const shape = update.shape;
      if (update.ndim > 2) update = reshape(update, [shape[0], -1]);
      update = this.orthogonalize(update, this.nsSteps);
      if (shape.length > 2) update = reshape(update, shape);
      lr = mul(lr, Math.sqrt(Math.max(1, shape[shape.length - 2] / shape[shape.length - 1])));
    }
    return subtract(p, A(mul(lr, update)));
  }
}

