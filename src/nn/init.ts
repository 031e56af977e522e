// nn.init: initializer factories (MLX's nn.init). Each returns a function of an array that
// gives a new array of its shape; random ones take an optional `{ key }` last.
import * as mx from '../index.ts';

type MxArray = mx.MxArray;
type RandomOpt = mx.random.RandomOpt;
/** An initializer: a new array shaped like `a`. */
export type Initializer = (a: MxArray, opts?: RandomOpt) => MxArray;

/**
 * All values equal to `value`.
 * @example
 * nn.init.constant(0.5)(mx.zeros([2, 2]))
 */
export function constant(value: number, dtype: mx.DtypeLike = 'float32'): Initializer {
  return (a) => mx.full([...a.shape], value, dtype);
}

/**
 * Samples from N(mean, std^2).
 * @example
 * nn.init.normal(0, 0.02)(w, { key: mx.random.key(0) })
 */
export function normal(mean = 0, std = 1, dtype: mx.DtypeLike = 'float32'): Initializer {
  return (a, opts) => mx.random.normal([...a.shape], dtype, mean, std, opts);
}

/**
 * Samples from U(low, high).
 * @example
 * nn.init.uniform(-0.1, 0.1)(w)
 */
export function uniform(low = 0, high = 1, dtype: mx.DtypeLike = 'float32'): Initializer {
  return (a, opts) => mx.random.uniform(low, high, [...a.shape], dtype, opts);
}

/**
 * The identity matrix (square 2-D arrays only).
 * @example
 * nn.init.identity()(mx.zeros([3, 3]))
 */
export function identity(dtype: mx.DtypeLike = 'float32'): Initializer {
  return (a) => {
    if (a.ndim !== 2 || a.shape[0] !== a.shape[1]) throw new Error(`[init.identity] The input array must be a square matrix but got shape (${a.shape.join(', ')}).`);
    return mx.eye(a.shape[0], a.shape[0], 0, dtype);
  };
}

/** fan_in, fan_out of a weight [out, ...receptive, in] (MLX's convention). */
function fans(op: string, a: MxArray): [number, number] {
  if (a.ndim < 2) throw new Error(`[${op}] Glorot / He initialization requires at least 2 dimensional input but input with ${a.ndim} dimensions.`);
  const rf = a.shape.slice(1, -1).reduce((p, q) => p * q, 1);
  return [a.shape[a.ndim - 1] * rf, a.shape[0] * rf];
}

/**
 * Glorot (Xavier) normal: std = gain * sqrt(2 / (fan_in + fan_out)).
 * @example
 * nn.init.glorotNormal()(w, 1.0)
 */
export function glorotNormal(dtype: mx.DtypeLike = 'float32'): (a: MxArray, gain?: number, opts?: RandomOpt) => MxArray {
  return (a, gain = 1, opts) => {
    const [fi, fo] = fans('init.glorotNormal', a);
    return mx.random.normal([...a.shape], dtype, 0, gain * Math.sqrt(2 / (fi + fo)), opts);
  };
}

/**
 * Glorot (Xavier) uniform: U(-limit, limit), limit = gain * sqrt(6 / (fan_in + fan_out)).
 * @example
 * nn.init.glorotUniform()(w)
 */
export function glorotUniform(dtype: mx.DtypeLike = 'float32'): (a: MxArray, gain?: number, opts?: RandomOpt) => MxArray {
  return (a, gain = 1, opts) => {
    const [fi, fo] = fans('init.glorotUniform', a);
    const limit = gain * Math.sqrt(6 / (fi + fo));
    return mx.random.uniform(-limit, limit, [...a.shape], dtype, opts);
  };
}

export type FanMode = 'fan_in' | 'fan_out';
function pickFan(op: string, a: MxArray, mode: FanMode): number {
  const [fi, fo] = fans(op, a);
  if (mode === 'fan_in') return fi;
  if (mode === 'fan_out') return fo;
  throw new Error(`[${op}] Invalid mode: ${String(mode)}. Valid modes are: fan_in, fan_out.`);
}

/**
 * He (Kaiming) normal: std = gain / sqrt(fan), fan by `mode`.
 * @example
 * nn.init.heNormal()(w, 'fan_out', Math.SQRT2)
 */
export function heNormal(dtype: mx.DtypeLike = 'float32'): (a: MxArray, mode?: FanMode, gain?: number, opts?: RandomOpt) => MxArray {
  return (a, mode = 'fan_in', gain = 1, opts) => mx.random.normal([...a.shape], dtype, 0, gain / Math.sqrt(pickFan('init.heNormal', a, mode)), opts);
}

/**
 * He (Kaiming) uniform: U(-limit, limit), limit = gain * sqrt(3 / fan).
 * @example
 * nn.init.heUniform()(w)
 */
export function heUniform(dtype: mx.DtypeLike = 'float32'): (a: MxArray, mode?: FanMode, gain?: number, opts?: RandomOpt) => MxArray {
  return (a, mode = 'fan_in', gain = 1, opts) => {
    const limit = gain * Math.sqrt(3 / pickFan('init.heUniform', a, mode));
    return mx.random.uniform(-limit, limit, [...a.shape], dtype, opts);
  };
}

/**
 * Normal samples with ceil(sparsity * cols) entries of every row set to zero (2-D only).
 * @example
 * nn.init.sparse(0.25)(mx.zeros([4, 8])) // 2 zeros per row
 */
export function sparse(sparsity: number, mean = 0, std = 1, dtype: mx.DtypeLike = 'float32'): Initializer {
  return (a, opts) => {
    if (a.ndim !== 2) throw new Error('[init.sparse] Only tensors with 2 dimensions are supported.');
    const [rows, cols] = a.shape;
    const numZeros = Math.ceil(sparsity * cols);
    const [k1, k2] = opts?.key ? mx.random.split(opts.key) : [undefined, undefined];
    const vals = mx.random.normal([rows, cols], dtype, mean, std, { ...opts, key: k2 });
    if (numZeros <= 0) return vals;
    // a random rank of every column within its row (ties by position); zero the lowest
    const r = mx.random.bits([rows, cols], { ...opts, key: k1 });
    const ri = mx.reshape(r, [rows, cols, 1]), rj = mx.reshape(r, [rows, 1, cols]);
    const pos = mx.arange(cols);
    const tie = mx.less(mx.reshape(pos, [1, 1, cols]), mx.reshape(pos, [1, cols, 1]));
    const before = mx.logicalOr(mx.less(rj, ri), mx.logicalAnd(mx.equal(rj, ri), tie));
    const rank = mx.sum(before, -1);
    return mx.where(mx.less(rank, numZeros), 0, vals);
  };
}

/**
 * An orthogonal matrix (rows or columns orthonormal) scaled by `gain` (2-D only): the Q
 * of a QR decomposition of a square normal matrix, with R's diagonal made positive, by
 * Gram-Schmidt (twice, for accuracy) with array ops, so it runs on any device.
 * @example
 * nn.init.orthogonal()(mx.zeros([4, 4]))
 */
export function orthogonal(gain = 1, dtype: mx.DtypeLike = 'float32'): Initializer {
  return (a, opts) => {
    if (a.ndim !== 2) throw new Error(`[init.orthogonal] Orthogonal initialization requires a 2D array but got a ${a.ndim}D array.`);
    const [rows, cols] = a.shape;
    const n = Math.max(rows, cols);
    const m = mx.random.normal([n, n], 'float32', 0, 1, opts);
    // column j of Q: column j of M minus its projections on Q's earlier columns, normalised
    let q: MxArray | null = null;
    for (let j = 0; j < n; j++) {
      let v = mx.sliceAxes(m, [1], [j], [j + 1]); // [n, 1]
      for (let pass = 0; pass < 2 && q; pass++) v = mx.subtract(v, mx.matmul(q, mx.matmul(mx.transpose(q), v)));
      v = mx.divide(v, mx.sqrt(mx.sum(mx.square(v))));
      q = q ? mx.concatenate([q, v], 1) : v;
    }
    const out = mx.sliceAxes(q!, [0, 1], [0, 0], [rows, cols]);
    return mx.astype(mx.multiply(out, gain), dtype);
  };
}
