// mx.random: key-based generation on Threefry bits, with a global key for convenience.
import { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice, cpu } from '../core/device.ts';
import { type DtypeLike, toDtype, float32, int32, uint32, bool, isFloating, finfo } from '../core/dtype.ts';
import { checkShape, normAxis, fmtShape } from '../core/shape.ts';
import { bind, array, operands, type ArrayInput } from '../ops/core.ts';
import {
  astype, add, multiply, subtract, divide, rightShift, erfinv, maximum, minimum, less, log,
  negative, floor, clip, abs,
} from '../ops/elementwise.ts';
import { reshape, moveaxis } from '../ops/shape.ts';
import { argmax } from '../ops/reduce.ts';
import { index, take, at } from '../ops/indexing.ts';
import { expandDims } from '../ops/shape.ts';
import { sum } from '../ops/reduce.ts';
import { arange, zeros } from '../ops/creation.ts';
import { argsort } from '../ops/sort.ts';
import { logicalAnd, logicalOr, equal, erf as erfOf } from '../ops/elementwise.ts';

/** Options of every random function: an explicit key and a device. */
export interface RandomOpt extends StreamOpt {
  key?: MxArray;
}

/**
 * A PRNG key from a seed: a uint32 array of shape [2].
 * @example
 * const k = mx.random.key(0);
 */
export function key(seed: number): MxArray {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`[random.key] Seed must be a non-negative integer, got ${seed}.`);
  const hi = Math.floor(seed / 2 ** 32) >>> 0, lo = seed >>> 0;
  return array([hi, lo], uint32, { stream: cpu });
}

let globalKey: MxArray = key(Date.now() % 2 ** 31);

/**
 * Seeds the global key used when no key is passed.
 * @example
 * mx.random.seed(42);
 */
export function seed(s: number): void {
  globalKey = key(s);
}

/** The key to use: the given one, or a fresh split of the global key. */
function nextKey(opts?: RandomOpt): MxArray {
  if (opts?.key) {
    const k = opts.key;
    if (k.dtype !== uint32 || k.ndim !== 1 || k.shape[0] !== 2) throw new Error(`[random] Keys must be uint32 arrays of shape (2,), got ${fmtShape(k.shape)} ${k.dtype.name}.`);
    return k;
  }
  const [a, b] = split(globalKey, 2, { stream: cpu });
  globalKey = a;
  return b;
}

/**
 * Raw random bits (uint32), MLX's `random.bits` with width 4.
 * @example
 * mx.random.bits([4], { key: mx.random.key(0) })
 */
export function bits(shape: number[] = [], opts?: RandomOpt): MxArray {
  const sh = checkShape('random.bits', shape);
  return bind('randomBits', [nextKey(opts)], { shape: sh }, sh, uint32, resolveDevice(opts));
}

/**
 * Splits a key into `num` new keys (shape [num, 2]).
 * @example
 * const [k1, k2] = mx.random.split(k);
 */
export function split(k: MxArray, num = 2, opts?: StreamOpt): MxArray[] {
  const b = bind('randomBits', [k], { shape: [num, 2] }, [num, 2], uint32, resolveDevice(opts));
  return Array.from({ length: num }, (_, i) => index(b, [i], opts));
}

/** Uniform floats in [0, 1) from 23 random mantissa bits. */
function unit(shape: number[], opts?: RandomOpt): MxArray {
  const b = rightShift(bits(shape, opts), 9, opts);
  return multiply(astype(b, float32, opts), 1 / 2 ** 23, opts);
}

/**
 * Uniform samples in [low, high).
 * @example
 * mx.random.uniform(0, 1, [3, 3])
 */
export function uniform(low: ArrayInput = 0, high: ArrayInput = 1, shape: number[] = [], dtype: DtypeLike = float32, opts?: RandomOpt): MxArray {
  const dt = toDtype(dtype);
  if (!isFloating(dt)) throw new TypeError(`[random.uniform] Can only generate floating types, got ${dt.name}.`);
  const [lo, hi] = operands('random.uniform', [low, high], resolveDevice(opts)).map((x) => astype(x, float32, opts));
  const r = astype(add(multiply(unit(shape, opts), subtract(hi, lo, opts), opts), lo, opts), dt, opts);
  // rounding to a narrow type must not reach `high`
  const below = subtract(hi, multiply(maximum(abs(hi, opts), finfo(dt).eps, opts), finfo(dt).eps, opts), opts);
  return minimum(r, astype(below, dt, opts), opts);
}

/**
 * Normal samples with mean `loc` and standard deviation `scale`.
 * @example
 * mx.random.normal([2, 3])
 */
export function normal(shape: number[] = [], dtype: DtypeLike = float32, loc = 0, scale = 1, opts?: RandomOpt): MxArray {
  const dt = toDtype(dtype);
  if (!isFloating(dt)) throw new TypeError(`[random.normal] Can only generate floating types, got ${dt.name}.`);
  const eps = 1e-7;
  const u = add(multiply(unit(shape, opts), 2 - 2 * eps, opts), -1 + eps, opts);
  const z = multiply(erfinv(u, opts), Math.SQRT2, opts);
  return astype(add(multiply(z, scale, opts), loc, opts), dt, opts);
}

/**
 * Integers in [low, high).
 * @example
 * mx.random.randint(0, 10, [5])
 */
export function randint(low: number, high: number, shape: number[] = [], dtype: DtypeLike = int32, opts?: RandomOpt): MxArray {
  const dt = toDtype(dtype);
  if (isFloating(dt) || dt === bool) throw new TypeError(`[random.randint] dtype must be an integer type, got ${dt.name}.`);
  if (high <= low) return astype(add(multiply(unit(shape, opts), 0, opts), low, opts), dt, opts);
  const u = unit(shape, opts);
  const r = floor(add(multiply(u, high - low, opts), low, opts), opts);
  return astype(clip(r, low, high - 1, opts), dt, opts);
}

/**
 * True with probability p.
 * @example
 * mx.random.bernoulli(0.3, [10])
 */
export function bernoulli(p: ArrayInput = 0.5, shape?: number[], opts?: RandomOpt): MxArray {
  const [pa] = operands('random.bernoulli', [p], resolveDevice(opts));
  return less(unit(shape ?? [...pa.shape], opts), pa, opts);
}

/**
 * Gumbel(0, 1) samples.
 * @example
 * mx.random.gumbel([4])
 */
export function gumbel(shape: number[] = [], dtype: DtypeLike = float32, opts?: RandomOpt): MxArray {
  const u = add(multiply(unit(shape, opts), 1 - 2e-7, opts), 1e-7, opts);
  return astype(negative(log(negative(log(u, opts), opts), opts), opts), dtype, opts);
}

/**
 * Samples class indices from unnormalised log-probabilities (Gumbel-max).
 * @example
 * mx.random.categorical(logits, -1)
 */
export function categorical(logits: MxArray, axis = -1, options: { shape?: number[]; numSamples?: number } & RandomOpt = {}): MxArray {
  const ax = normAxis('random.categorical', axis, logits.ndim);
  const l = moveaxis(logits, ax, -1, options);
  const batch = l.shape.slice(0, -1);
  const n = l.shape[l.ndim - 1];
  if (options.shape && options.numSamples !== undefined) throw new Error('[random.categorical] Give at most one of shape and numSamples.');
  let sampleShape = options.shape ?? batch;
  let lg = l;
  if (options.numSamples !== undefined) {
    sampleShape = [...batch, options.numSamples];
    lg = expandDims(l, -2, options);
  }
  const g = gumbel([...sampleShape, n], float32, options);
  return argmax(add(astype(lg, float32, options), g, options), -1, false, options);
}

/**
 * Normal samples truncated to [lower, upper].
 * @example
 * mx.random.truncatedNormal(-2, 2, [100])
 */
export function truncatedNormal(lower: ArrayInput, upper: ArrayInput, shape?: number[], dtype: DtypeLike = float32, opts?: RandomOpt): MxArray {
  const dev = resolveDevice(opts);
  const [lo, hi] = operands('random.truncatedNormal', [lower, upper], dev).map((x) => astype(x, float32, opts));
  const sh = shape ?? [...(lo.ndim >= hi.ndim ? lo.shape : hi.shape)];
  // inverse CDF between the bounds' CDF values
  const cdf = (x: MxArray) => divide(add(erfOf(divide(x, Math.SQRT2, opts), opts), 1, opts), 2, opts);
  const a = cdf(lo), b = cdf(hi);
  const u = add(multiply(unit(sh, opts), subtract(b, a, opts), opts), a, opts);
  const eps = 1e-7;
  const v = clip(subtract(multiply(u, 2, opts), 1, opts), -1 + eps, 1 - eps, opts);
  const z = multiply(erfinv(v, opts), Math.SQRT2, opts);
  return astype(minimum(maximum(z, lo, opts), hi, opts), dtype, opts);
}

/**
 * A random permutation of `arange(n)` or of an array's entries along an axis.
 * @example
 * mx.random.permutation(10)
 */
export function permutation(x: number | MxArray, axis = 0, opts?: RandomOpt): MxArray {
  const n = typeof x === 'number' ? x : x.shape[normAxis('random.permutation', axis, x.ndim)];
  // the stable argsort of random bits: equal bits (rare) keep their position order
  const perm = argsort(bits([n], opts), 0, opts);
  if (typeof x === 'number') return astype(perm, int32, opts);
  return take(x, perm, axis, opts);
}

export { laplace } from './laplace.ts';
export { multivariateNormal } from './mvn.ts';
