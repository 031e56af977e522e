// The Optimizer base class (MLX's mlx.optimizers.Optimizer), MultiOptimizer and
// clipGradNorm. Parameters and gradients are trees: nested plain objects and lists of
// arrays. Updates are lazy array ops; per-step values (the step, scheduled
// hyperparameters, the learning rate) are 0-d arrays, so every step builds the same graph.
import { MxArray } from '../core/array.ts';
import { type Dtype, float32, uint32 } from '../core/dtype.ts';
import { array } from '../ops/core.ts';
import { add, subtract, multiply, divide, astype, sqrt, minimum, square } from '../ops/elementwise.ts';
import { sum } from '../ops/reduce.ts';
import { treeFlatten, treeUnflatten, treeMap, treeReduce } from '../transforms/tree.ts';

/** A schedule: the step (a uint32 0-d array) to a hyperparameter value. */
export type Schedule = (step: MxArray) => MxArray | number;
/** A hyperparameter: a constant, or a schedule evaluated at every step. */
export type Hyper = number | Schedule;
/** A number or a 0-d array, as hyperparameters appear inside update formulas. */
export type Scalar = number | MxArray;

/** Anything `Optimizer.update` can update: webmlx/nn modules or any look-alike. */
export interface Updatable {
  parameters(): unknown;
  update(parameters: any): unknown;
}

type Dict = Record<string, unknown>;
/** @internal */
export const isDict = (x: unknown): x is Dict => !!x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype;

// Arithmetic on numbers-or-arrays: constant hyperparameters stay JS numbers (weak scalars,
// as Python floats are in MLX) and fold in JS; arrays go through ops.
/** @internal */ export const mul = (a: Scalar, b: Scalar): Scalar => (typeof a === 'number' && typeof b === 'number' ? a * b : multiply(a, b));
/** @internal */ export const sub = (a: Scalar, b: Scalar): Scalar => (typeof a === 'number' && typeof b === 'number' ? a - b : subtract(a, b));
/** @internal */ export const plus = (a: Scalar, b: Scalar): Scalar => (typeof a === 'number' && typeof b === 'number' ? a + b : add(a, b));
/** @internal */ export const div = (a: Scalar, b: Scalar): Scalar => (typeof a === 'number' && typeof b === 'number' ? a / b : divide(a, b));
/** @internal An array expression (x is an array, the other operand may be a number). */
export const A = (x: Scalar): MxArray => x as MxArray;

function scalarSync(a: unknown): number | null {
  if (!(a instanceof MxArray) || a.size !== 1) return null;
  const d = a._data;
  if (!d || !d.storage.cpu) return null;
  return Number(d.storage.cpu[d.offset]);
}

/**
 * Base class of the optimizers. Subclasses implement `initSingle` (per-parameter state)
 * and `applySingle` (one parameter's update), as in MLX.
 * @example
 * const opt = new optim.Adam(1e-3);
 * const lossAndGrad = mx.valueAndGrad(loss);
 * const [l, grads] = lossAndGrad(params, x, y);
 * params = opt.applyGradients(grads, params);
 * await mx.eval(params, opt.state);
 * // under mx.compile (which replays without running JS), pass the state in and out:
 * opt.init(params);
 * const step = mx.compile((p, state, x, y) => {
 *   opt.state = state;
 *   const [l, g] = lossAndGrad(p, x, y);
 *   return [l, opt.applyGradients(g, p), opt.state];
 * });
 * let l; [l, params, opt.state] = step(params, opt.state, x, y);
 */
export abstract class Optimizer {
  /** @internal */ protected _state: Dict = {};
  /** @internal */ protected _initialized = false;
  /** @internal */ protected _schedulers: Record<string, Schedule> = {};
  /** @internal Constant hyperparameters other than the learning rate. */ protected _consts: Record<string, number> = {};
  /** @internal The step as a JS number, while known (keeps the step a fresh 0-d input). */ protected _hostStep: number | null = 0;
  /** State keys that are not parameter state. */
  protected readonly _reserved = new Set<string>(['step']);

  constructor() {
    this._state = { step: array(0, uint32) };
  }

  /**
   * Registers a hyperparameter: a schedule (stored in the state, re-evaluated each step),
   * the learning rate (a float32 0-d array in the state, as MLX), or a constant.
   */
  protected hyper(name: string, value: Hyper | MxArray): void {
    this._reserved.add(name);
    if (typeof value === 'function') {
      this._schedulers[name] = value;
      this._state[name] = toArray(value(this.step));
    } else if (name === 'learningRate' || value instanceof MxArray) {
      this._state[name] = value instanceof MxArray ? value : array(value, float32);
    } else {
      if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`[${this.constructor.name}] ${name} must be a number or a schedule, got ${String(value)}.`);
      this._consts[name] = value;
    }
  }

  /** A hyperparameter's current value for a gradient of `dtype`: a number or a 0-d array. */
  protected hp(name: string, dtype: Dtype): Scalar {
    if (name in this._consts) return this._consts[name];
    const v = this._state[name];
    if (!(v instanceof MxArray)) throw new Error(`[${this.constructor.name}] Hyperparameter '${name}' is not set.`);
    return astype(v, dtype);
  }

  /** Whether a hyperparameter is a nonzero constant or any schedule/array. */
  protected active(name: string): boolean {
    return !(name in this._consts) || this._consts[name] !== 0;
  }

  /** The optimizer's state: `step`, the learning rate, scheduled values and per-parameter state. */
  get state(): Dict {
    return this._state;
  }
  set state(s: Dict) {
    if (!isDict(s)) throw new TypeError(`[${this.constructor.name}] The state must be a plain object.`);
    this._state = s;
    this._initialized = false;
    const n = scalarSync(s.step);
    this._hostStep = n;
    if (n !== null && (s.step as MxArray).dtype !== uint32) s.step = array(n, uint32);
  }

  /** The number of updates applied so far (a uint32 0-d array). */
  get step(): MxArray {
    return this._state.step as MxArray;
  }

  /** The learning rate (a 0-d array); set it with a number or an array. */
  get learningRate(): MxArray {
    return this._state.learningRate as MxArray;
  }
  set learningRate(lr: number | MxArray) {
    this._state.learningRate = lr instanceof MxArray ? lr : array(lr, float32);
  }

  /**
   * Creates the state of every parameter of a tree (optional: the first update does it).
   * @example
   * opt.init(params); Object.keys(opt.state); // ['step', 'learningRate', ...param names]
   */
  init(parameters: unknown): void {
    const visit = (p: unknown, holder: Dict | unknown[], key: string | number, path: string): void => {
      const h = holder as Record<string | number, unknown>;
      if (p instanceof MxArray) {
        let st = h[key];
        if (!isDict(st)) h[key] = st = {};
        if (Object.keys(st as Dict).length === 0) this.initSingle(p, st as Dict);
      } else if (Array.isArray(p)) {
        if (!Array.isArray(h[key])) h[key] = [];
        p.forEach((c, i) => visit(c, h[key] as unknown[], i, `${path}.${i}`));
      } else if (isDict(p)) {
        if (!isDict(h[key])) h[key] = {};
        for (const k of Object.keys(p)) visit(p[k], h[key] as Dict, k, `${path}.${k}`);
      }
    };
    this.topLevel(parameters, (child, key) => visit(child, this._state, key, key));
    this._initialized = true;
  }

  /** Runs fn over the top level of a tree; state keys for it live in `_state` itself. */
  private topLevel(tree: unknown, fn: (child: unknown, key: string) => void): void {
    const check = (k: string) => {
      if (this._reserved.has(k)) throw new Error(`[${this.constructor.name}] A parameter named '${k}' clashes with the optimizer's own state key '${k}'.`);
    };
    if (tree instanceof MxArray) fn(tree, 'param');
    else if (Array.isArray(tree)) tree.forEach((c, i) => fn(c, String(i)));
    else if (isDict(tree)) for (const k of Object.keys(tree)) (check(k), fn(tree[k], k));
    else throw new TypeError(`[${this.constructor.name}] Parameters and gradients must be arrays or trees (plain objects and lists) of arrays.`);
  }

  /** Sets up the state of one parameter. */
  abstract initSingle(parameter: MxArray, state: Dict): void;
  /** Returns the updated parameter, writing the new state into `state`. */
  abstract applySingle(gradient: MxArray, parameter: MxArray, state: Dict): MxArray;

  /** Advances `step` (a fresh 0-d input while the count is known, else a lazy add). */
  protected advance(): void {
    for (const [name, s] of Object.entries(this._schedulers)) this._state[name] = toArray(s(this.step));
    if (this._hostStep !== null) this._state.step = array(++this._hostStep, uint32);
    else this._state.step = add(this.step, 1);
  }

  /**
   * Applies gradients to parameters and returns the new parameters (in the structure of
   * the gradients; `parameters` may hold more).
   * @example
   * params = opt.applyGradients(grads, params);
   */
  applyGradients(gradients: unknown, parameters: unknown): any {
    if (!this._initialized) this.init(gradients);
    this.advance();
    const walk = (g: unknown, p: unknown, holder: Dict | unknown[], key: string | number, path: string): unknown => {
      const h = holder as Record<string | number, unknown>;
      if (g instanceof MxArray) {
        if (!(p instanceof MxArray)) throw new Error(`[${this.constructor.name}] No parameter array for the gradient at '${path}'.`);
        if (g.shape.join() !== p.shape.join()) throw new Error(`[${this.constructor.name}] Gradient at '${path}' has shape (${g.shape}) but the parameter has shape (${p.shape}).`);
        let st = h[key];
        if (!isDict(st)) h[key] = st = {};
        if (Object.keys(st as Dict).length === 0) this.initSingle(p, st as Dict);
        return this.applySingle(g, p, st as Dict);
      }
      const pp = p as Record<string | number, unknown> | undefined;
      if (Array.isArray(g)) {
        if (!Array.isArray(h[key])) h[key] = [];
        return g.map((c, i) => walk(c, pp?.[i], h[key] as unknown[], i, `${path}.${i}`));
      }
      if (isDict(g)) {
        if (!isDict(h[key])) h[key] = {};
        return Object.fromEntries(Object.keys(g).map((k) => [k, walk(g[k], pp?.[k], h[key] as Dict, k, `${path}.${k}`)]));
      }
      return g;
    };
    const params = parameters as Record<string, unknown>;
    if (gradients instanceof MxArray) return walk(gradients, parameters, this._state, 'param', 'param');
    const out: Record<string, unknown> = {};
    this.topLevel(gradients, (child, key) => {
      out[key] = walk(child, params?.[key], this._state, key, key);
    });
    return Array.isArray(gradients) ? gradients.map((_, i) => out[String(i)]) : out;
  }

  /**
   * Applies gradients to a model: `model.update(opt.applyGradients(grads, model.parameters()))`.
   * Works with anything that has `parameters()` and `update(tree)` (webmlx/nn modules).
   * @example
   * opt.update(model, grads);
   * await mx.eval(model.parameters(), opt.state);
   */
  update(model: Updatable, gradients: unknown): void {
    if (!model || typeof model.parameters !== 'function' || typeof model.update !== 'function') {
      throw new TypeError(`[${this.constructor.name}.update] The model needs parameters() and update(tree) methods; for plain parameter trees use applyGradients(grads, params), which returns the new parameters.`);
    }
    model.update(this.applyGradients(gradients, model.parameters()));
  }
}

/** @internal A schedule's output as a 0-d array. */
export function toArray(v: MxArray | number): MxArray {
  return v instanceof MxArray ? v : array(v, float32);
}

function merge(a: unknown, b: unknown): unknown {
  const empty = (x: unknown) => x === undefined || (isDict(x) && Object.keys(x).length === 0) || (Array.isArray(x) && x.length === 0);
  if (empty(a)) return b;
  if (empty(b)) return a;
  const asDict = (x: unknown): Dict | null => (isDict(x) ? x : Array.isArray(x) ? Object.fromEntries(x.map((v, i) => [String(i), v])) : null);
  const da = asDict(a), db = asDict(b);
  if (!da || !db) throw new Error('[MultiOptimizer] Two optimizers updated the same parameter.');
  const keys = [...new Set([...Object.keys(da), ...Object.keys(db)])];
  const out = Object.fromEntries(keys.map((k) => [k, merge(da[k], db[k])]));
  const listy = (Array.isArray(a) || Array.isArray(b)) && keys.every((k, i) => k === String(i));
  return listy ? keys.map((k) => out[k]) : out;
}

/**
 * Routes parameters to several optimizers: `filters[i](path, grad)` picks the parameters of
 * `optimizers[i]`; the last optimizer takes the rest.
 * @example
 * const opt = new optim.MultiOptimizer([new optim.Adam(1e-3), new optim.SGD(0.1)], [(path) => path.endsWith('bias')]);
 */
export class MultiOptimizer extends Optimizer {
  readonly optimizers: Optimizer[];
  readonly filters: ((path: string, grad: MxArray) => boolean)[];

  constructor(optimizers: Optimizer[], filters: ((path: string, grad: MxArray) => boolean)[] = []) {
    super();
    if (filters.length !== optimizers.length - 1) throw new Error(`[MultiOptimizer] Given ${filters.length} filters but ${optimizers.length - 1} needed.`);
    this.optimizers = optimizers;
    this.filters = [...filters, () => true];
  }

  private split(tree: unknown): unknown[] {
    if (this.optimizers.length === 1) return [tree];
    const parts: [string, unknown][][] = this.optimizers.map(() => []);
    for (const [k, g] of treeFlatten(tree)) {
      const i = this.filters.findIndex((f) => f(k, g as MxArray));
      parts[i].push([k, g]);
    }
    return parts.map((p) => (p.length ? treeUnflatten(p) : {}));
  }

  override init(parameters: unknown): void {
    this.split(parameters).forEach((p, i) => this.optimizers[i].init(p));
  }

  override applyGradients(gradients: unknown, parameters: unknown): any {
    let tree: unknown = {};
    // every optimizer steps, even one with no gradients this time (as MLX)
    this.split(gradients).forEach((g, i) => {
      tree = merge(tree, this.optimizers[i].applyGradients(g, parameters));
    });
    return tree;
  }

  initSingle(): void {}
  applySingle(g: MxArray): MxArray {
    return g;
  }

  override get state(): Dict {
    return { states: this.optimizers.map((o) => o.state) };
  }
  override set state(s: Dict) {
    const states = s?.states;
    if (!Array.isArray(states) || states.length !== this.optimizers.length) throw new Error('[MultiOptimizer] Invalid state: expected { states: [...] } with one entry per optimizer.');
    states.forEach((st, i) => (this.optimizers[i].state = st as Dict));
  }
  override get step(): MxArray {
    return this.optimizers[0].step;
  }
  override get learningRate(): MxArray {
    return this.optimizers[0].learningRate;
  }
  override set learningRate(lr: number | MxArray) {
    for (const o of this.optimizers) o.learningRate = lr;
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`; returns the clipped
 * gradients and the norm before clipping.
 * @example
 * const [clipped, norm] = optim.clipGradNorm(grads, 1.0);
 */
export function clipGradNorm<T>(grads: T, maxNorm: number): [T, MxArray] {
  if (maxNorm < 0) throw new Error(`[clipGradNorm] maxNorm should be >= 0, got ${maxNorm}.`);
  const sq = treeReduce<Scalar>((acc, g: MxArray) => add(acc, sum(square(g))), grads, 0.0);
  const total = sqrt(sq as MxArray);
  const normalizer = minimum(divide(maxNorm, add(total, 1e-6)), 1.0);
  return [treeMap((g: MxArray) => multiply(g, normalizer), grads) as T, total];
}
