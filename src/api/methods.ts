// Array methods mirroring MLX's (a.add(b), a.sum(0), a.T, ...), installed on MxArray.
import { logcumsumexp } from '../ops/logcumsumexp.ts';
import { MxArray } from '../core/array.ts';
import type { StreamOpt } from '../core/device.ts';
import type { DtypeLike } from '../core/dtype.ts';
import type { ArrayInput } from '../ops/core.ts';
import * as E from '../ops/elementwise.ts';
import * as R from '../ops/reduce.ts';
import * as S from '../ops/shape.ts';
import * as I from '../ops/indexing.ts';
import { matmul } from '../ops/matmul.ts';
import { diag, diagonal } from '../ops/misc.ts';
import { view } from '../ops/view.ts';
import { data, tolist, item, type Nested, type Complex } from './readback.ts';
import * as C from '../ops/complex.ts';
import type { TypedArray } from '../core/numeric.ts';

type Ax = R.Axis;
declare module '../core/array.ts' {
  interface MxArray {
    add(b: ArrayInput, opts?: StreamOpt): MxArray;
    subtract(b: ArrayInput, opts?: StreamOpt): MxArray;
    multiply(b: ArrayInput, opts?: StreamOpt): MxArray;
    divide(b: ArrayInput, opts?: StreamOpt): MxArray;
    power(b: ArrayInput, opts?: StreamOpt): MxArray;
    floorDivide(b: ArrayInput, opts?: StreamOpt): MxArray;
    remainder(b: ArrayInput, opts?: StreamOpt): MxArray;
    maximum(b: ArrayInput, opts?: StreamOpt): MxArray;
    minimum(b: ArrayInput, opts?: StreamOpt): MxArray;
    equal(b: ArrayInput, opts?: StreamOpt): MxArray;
    notEqual(b: ArrayInput, opts?: StreamOpt): MxArray;
    greater(b: ArrayInput, opts?: StreamOpt): MxArray;
    greaterEqual(b: ArrayInput, opts?: StreamOpt): MxArray;
    less(b: ArrayInput, opts?: StreamOpt): MxArray;
    lessEqual(b: ArrayInput, opts?: StreamOpt): MxArray;
    matmul(b: ArrayInput, opts?: StreamOpt): MxArray;
    abs(opts?: StreamOpt): MxArray;
    negative(opts?: StreamOpt): MxArray;
    exp(opts?: StreamOpt): MxArray;
    log(opts?: StreamOpt): MxArray;
    sqrt(opts?: StreamOpt): MxArray;
    rsqrt(opts?: StreamOpt): MxArray;
    square(opts?: StreamOpt): MxArray;
    reciprocal(opts?: StreamOpt): MxArray;
    sin(opts?: StreamOpt): MxArray;
    cos(opts?: StreamOpt): MxArray;
    log1p(opts?: StreamOpt): MxArray;
    log2(opts?: StreamOpt): MxArray;
    log10(opts?: StreamOpt): MxArray;
    sigmoid(opts?: StreamOpt): MxArray;
    round(decimals?: number, opts?: StreamOpt): MxArray;
    astype(dtype: DtypeLike, opts?: StreamOpt): MxArray;
    sum(axis?: Ax, keepdims?: boolean, opts?: StreamOpt): MxArray;
    prod(axis?: Ax, keepdims?: boolean, opts?: StreamOpt): MxArray;
    mean(axis?: Ax, keepdims?: boolean, opts?: StreamOpt): MxArray;
    max(axis?: Ax, keepdims?: boolean, opts?: StreamOpt): MxArray;
    min(axis?: Ax, keepdims?: boolean, opts?: StreamOpt): MxArray;
    all(axis?: Ax, keepdims?: boolean, opts?: StreamOpt): MxArray;
    any(axis?: Ax, keepdims?: boolean, opts?: StreamOpt): MxArray;
    var(axis?: Ax, keepdims?: boolean, ddof?: number, opts?: StreamOpt): MxArray;
    std(axis?: Ax, keepdims?: boolean, ddof?: number, opts?: StreamOpt): MxArray;
    logsumexp(axis?: Ax, keepdims?: boolean, opts?: StreamOpt): MxArray;
    argmax(axis?: number | null, keepdims?: boolean, opts?: StreamOpt): MxArray;
    argmin(axis?: number | null, keepdims?: boolean, opts?: StreamOpt): MxArray;
    cumsum(axis?: number | null, reverse?: boolean, inclusive?: boolean, opts?: StreamOpt): MxArray;
    logcumsumexp(axis?: number | null, reverse?: boolean, inclusive?: boolean, opts?: StreamOpt): MxArray;
    cumprod(axis?: number | null, reverse?: boolean, inclusive?: boolean, opts?: StreamOpt): MxArray;
    diag(k?: number, opts?: StreamOpt): MxArray;
    diagonal(offset?: number, axis1?: number, axis2?: number, opts?: StreamOpt): MxArray;
    view(dtype: DtypeLike, opts?: StreamOpt): MxArray;
    cummax(axis?: number | null, reverse?: boolean, inclusive?: boolean, opts?: StreamOpt): MxArray;
    cummin(axis?: number | null, reverse?: boolean, inclusive?: boolean, opts?: StreamOpt): MxArray;
    reshape(...shape: number[] | [number[]]): MxArray;
    flatten(startAxis?: number, endAxis?: number, opts?: StreamOpt): MxArray;
    squeeze(axis?: number | number[], opts?: StreamOpt): MxArray;
    expandDims(axis: number | number[], opts?: StreamOpt): MxArray;
    transpose(...axes: number[] | [number[]]): MxArray;
    swapaxes(a1: number, a2: number, opts?: StreamOpt): MxArray;
    moveaxis(src: number, dst: number, opts?: StreamOpt): MxArray;
    split(indicesOrSections: number | number[], axis?: number, opts?: StreamOpt): MxArray[];
    /** The transpose (all axes reversed). */
    readonly T: MxArray;
    /** The real part (mx.real). */
    readonly real: MxArray;
    /** The imaginary part (mx.imag). */
    readonly imag: MxArray;
    /** The complex conjugate (mx.conj). */
    conj(): MxArray;
    /** NumPy-style indexing; see `mx.index`. */
    index(...keys: I.IndexKey[]): MxArray;
    /** Scatter updates at indexed positions: `a.at(idx).add(v)`. */
    at(...keys: I.IndexKey[]): I.AtIndexer;
    /** Evaluates and reads values as nested JS arrays. */
    tolist(): Promise<Nested>;
    /** Evaluates and reads the single value. */
    item(): Promise<number | boolean | Complex>;
    /** Evaluates and reads values as a TypedArray. */
    data(): Promise<TypedArray | globalThis.ArrayLike<number>>;
  }
}

const P = MxArray.prototype as unknown as Record<string, unknown>;
for (const name of ['add', 'subtract', 'multiply', 'divide', 'power', 'floorDivide', 'remainder', 'maximum', 'minimum', 'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual'] as const) {
  P[name] = function (this: MxArray, b: ArrayInput, o?: StreamOpt) { return E[name](this, b, o); };
}
for (const name of ['abs', 'negative', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'log1p', 'log2', 'log10', 'sigmoid'] as const) {
  P[name] = function (this: MxArray, o?: StreamOpt) { return E[name](this, o); };
}
for (const name of ['sum', 'prod', 'mean', 'max', 'min', 'all', 'any', 'logsumexp'] as const) {
  P[name] = function (this: MxArray, ax?: Ax, k?: boolean, o?: StreamOpt) { return R[name](this, ax, k, o); };
}
for (const name of ['argmax', 'argmin'] as const) {
  P[name] = function (this: MxArray, ax?: number | null, k?: boolean, o?: StreamOpt) { return R[name](this, ax, k, o); };
}
for (const name of ['cumsum', 'cumprod', 'cummax', 'cummin'] as const) {
  P[name] = function (this: MxArray, ax?: number | null, r?: boolean, inc?: boolean, o?: StreamOpt) { return R[name](this, ax, r, inc, o); };
}
P.var = function (this: MxArray, ax?: Ax, k?: boolean, d?: number, o?: StreamOpt) { return R.variance(this, ax, k, d, o); };
P.std = function (this: MxArray, ax?: Ax, k?: boolean, d?: number, o?: StreamOpt) { return R.std(this, ax, k, d, o); };
P.matmul = function (this: MxArray, b: ArrayInput, o?: StreamOpt) { return matmul(this, b, o); };
P.round = function (this: MxArray, d?: number, o?: StreamOpt) { return E.round(this, d, o); };
P.astype = function (this: MxArray, d: DtypeLike, o?: StreamOpt) { return E.astype(this, d, o); };
P.reshape = function (this: MxArray, ...s: (number | number[])[]) { return S.reshape(this, Array.isArray(s[0]) ? s[0] : (s as number[])); };
P.flatten = function (this: MxArray, a?: number, b?: number, o?: StreamOpt) { return S.flatten(this, a, b, o); };
P.squeeze = function (this: MxArray, a?: number | number[], o?: StreamOpt) { return S.squeeze(this, a, o); };
P.expandDims = function (this: MxArray, a: number | number[], o?: StreamOpt) { return S.expandDims(this, a, o); };
P.transpose = function (this: MxArray, ...a: (number | number[])[]) { return S.transpose(this, a.length === 0 ? undefined : Array.isArray(a[0]) ? a[0] : (a as number[])); };
P.swapaxes = function (this: MxArray, a: number, b: number, o?: StreamOpt) { return S.swapaxes(this, a, b, o); };
P.moveaxis = function (this: MxArray, a: number, b: number, o?: StreamOpt) { return S.moveaxis(this, a, b, o); };
P.diag = function (this: MxArray, k?: number, o?: StreamOpt) { return diag(this, k, o); };
P.diagonal = function (this: MxArray, off?: number, a1?: number, a2?: number, o?: StreamOpt) { return diagonal(this, off, a1, a2, o); };
P.view = function (this: MxArray, d: DtypeLike, o?: StreamOpt) { return view(this, d, o); };
P.split = function (this: MxArray, s: number | number[], a?: number, o?: StreamOpt) { return S.split(this, s, a, o); };
Object.defineProperty(MxArray.prototype, 'T', { get(this: MxArray) { return S.transpose(this); } });
Object.defineProperty(MxArray.prototype, 'real', { get(this: MxArray) { return C.real(this); } });
Object.defineProperty(MxArray.prototype, 'imag', { get(this: MxArray) { return C.imag(this); } });
P.conj = function (this: MxArray) { return C.conj(this); };
P.index = function (this: MxArray, ...k: I.IndexKey[]) { return I.index(this, k); };
P.at = function (this: MxArray, ...k: I.IndexKey[]) { return I.at(this, k); };
P.tolist = function (this: MxArray) { return tolist(this); };
P.item = function (this: MxArray) { return item(this); };
P.data = function (this: MxArray) { return data(this); };
P.logcumsumexp = function (this: MxArray, ax?: number | null, rev?: boolean, inc?: boolean, o?: StreamOpt) {
  return logcumsumexp(this, ax, rev, inc, o);
};
