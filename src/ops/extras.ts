// Small mlx.core names built from other ops: array-API aliases, angle conversions,
// dtype predicates and shape helpers.
import type { MxArray } from '../core/array.ts';
import { type DtypeLike, bool, toDtype, promoteTypes, issubdtype, type DtypeCategory } from '../core/dtype.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { array, operands, type ArrayInput } from './core.ts';
import * as E from './elementwise.ts';
import * as S from './shape.ts';

const arr = (a: ArrayInput, opts?: StreamOpt): MxArray => array(a, undefined, opts);

/**
 * `mx.array` without a copy when given an array (the array API's asarray).
 * @example
 * mx.asarray([1, 2, 3], mx.float32)
 */
export function asarray(a: ArrayInput, dtype?: DtypeLike, opts?: StreamOpt): MxArray {
  return array(a, dtype, opts);
}

/**
 * The shape arrays of these shapes broadcast to (NumPy's rules); throws naming the shapes.
 * @example
 * mx.broadcastShapes([2, 1], [3]) // [2, 3]
 */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = nd - s.length + i, d = s[i];
      if (d === out[j] || d === 1) continue;
      if (out[j] !== 1) throw new Error(`[broadcastShapes] Shapes ${shapes.map((x) => `(${x.join(',')})`).join(' and ')} cannot be broadcast.`);
      out[j] = d;
    }
  }
  return out;
}

/**
 * Whether `from` converts to `to` by MLX's promotion rules (promoting both gives `to`).
 * @example
 * mx.canCast(mx.int8, mx.int32) // true
 */
export function canCast(from: MxArray | DtypeLike, to: DtypeLike): boolean {
  const f = typeof from === 'object' && 'dtype' in from ? from.dtype : toDtype(from as DtypeLike);
  const t = toDtype(to);
  return promoteTypes(f, t) === t;
}

type Kind = 'bool' | 'signed integer' | 'unsigned integer' | 'integral' | 'real floating' | 'complex floating' | 'numeric';
const KINDS: Record<Kind, DtypeCategory | null> = {
  bool: null, 'signed integer': 'signedinteger', 'unsigned integer': 'unsignedinteger', integral: 'integer',
  'real floating': 'floating', 'complex floating': null, numeric: 'number',
};

/**
 * The array API's dtype test: a dtype, a kind name, or a list of them.
 * @example
 * mx.isdtype(mx.float16, 'real floating') // true
 */
export function isdtype(dtype: DtypeLike, kind: DtypeLike | Kind | (DtypeLike | Kind)[]): boolean {
  const d = toDtype(dtype);
  const one = (k: DtypeLike | Kind): boolean => {
    if (typeof k === 'string' && k in KINDS) {
      if (k === 'bool') return d === bool;
      const c = KINDS[k as Kind];
      return c !== null && issubdtype(d, c);
    }
    if (typeof k === 'string' && k.includes(' ')) throw new Error(`[isdtype] Unknown data type kind: '${k}'.`);
    return toDtype(k as DtypeLike) === d;
  };
  return Array.isArray(kind) ? kind.some(one) : one(kind);
}

/**
 * Alias of concatenate (array API).
 * @example
 * mx.concat([a, b], 0)
 */
export const concat = S.concatenate;

/**
 * Alias of transpose (array API).
 * @example
 * mx.permuteDims(x, [1, 0])
 */
export const permuteDims = S.transpose;

/**
 * The array itself (arrays are always usable as given; MLX copies strided data here).
 * @example
 * const y = mx.contiguous(x.T)
 */
export function contiguous(a: ArrayInput, _allowColMajor = false, opts?: StreamOpt): MxArray {
  // a fused copy: multiplying by one keeps dtype and produces fresh row-major storage
  const x = arr(a, opts);
  return x.dtype === bool ? E.logicalAnd(x, true, opts) : E.multiply(x, 1, opts);
}

/**
 * +x (array API's positive): a copy with the same dtype.
 * @example
 * mx.positive(mx.array([-1, 2])) // [-1, 2]
 */
export function positive(a: ArrayInput, opts?: StreamOpt): MxArray {
  return contiguous(a, false, opts);
}

/**
 * Radians to degrees.
 * @example
 * mx.degrees(Math.PI) // 180
 */
export function degrees(a: ArrayInput, opts?: StreamOpt): MxArray {
  return E.multiply(floatOf(a, opts), 180 / Math.PI, opts);
}

/**
 * Degrees to radians.
 * @example
 * mx.radians(180) // 3.14159...
 */
export function radians(a: ArrayInput, opts?: StreamOpt): MxArray {
  return E.multiply(floatOf(a, opts), Math.PI / 180, opts);
}

const floatOf = (a: ArrayInput, opts?: StreamOpt): MxArray => {
  const x = arr(a, opts);
  return x.dtype.kind === 'f' || x.dtype.kind === 'V' ? x : x.astype('float32');
};

/**
 * True where x is -inf.
 * @example
 * mx.isneginf(mx.array([-Infinity, 1])) // [true, false]
 */
export function isneginf(a: ArrayInput, opts?: StreamOpt): MxArray {
  const x = arr(a, opts);
  return E.logicalAnd(E.isinf(x, opts), E.less(x, 0, opts), opts);
}

/**
 * True where x is +inf.
 * @example
 * mx.isposinf(mx.array([Infinity, 1])) // [true, false]
 */
export function isposinf(a: ArrayInput, opts?: StreamOpt): MxArray {
  const x = arr(a, opts);
  return E.logicalAnd(E.isinf(x, opts), E.greater(x, 0, opts), opts);
}

/**
 * Elementwise logical exclusive or.
 * @example
 * mx.logicalXor(mx.array([true, false]), true) // [false, true]
 */
export function logicalXor(a: ArrayInput, b: ArrayInput, opts?: StreamOpt): MxArray {
  const [x, y] = operands('logicalXor', [a, b], resolveDevice(opts));
  return E.notEqual(E.astype(x, bool, opts), E.astype(y, bool, opts), opts);
}

/**
 * Rounds toward zero; integers are returned unchanged.
 * @example
 * mx.trunc(mx.array([-1.7, 1.7])) // [-1, 1]
 */
export function trunc(a: ArrayInput, opts?: StreamOpt): MxArray {
  const x = arr(a, opts);
  if (!(x.dtype.kind === 'f' || x.dtype.kind === 'V')) return x;
  return E.where(E.less(x, 0, opts), E.ceil(x, opts), E.floor(x, opts), opts);
}

/**
 * Splits an array into its slices along `axis` (the inverse of stack).
 * @example
 * mx.unstack(mx.zeros([3, 2])) // three arrays of shape [2]
 */
export function unstack(a: ArrayInput, axis = 0, opts?: StreamOpt): MxArray[] {
  const x = arr(a, opts);
  if (x.ndim === 0) throw new Error('[unstack] Cannot unstack a scalar (shape ()).');
  const ax = axis < 0 ? axis + x.ndim : axis;
  if (ax < 0 || ax >= x.ndim) throw new Error(`[unstack] Axis ${axis} is out of bounds for an array of dimension ${x.ndim}.`);
  const n = x.shape[ax];
  return Array.from({ length: n }, (_, i) => S.squeeze(S.sliceAxes(x, [ax], [i], [i + 1], undefined, opts), ax, opts));
}

