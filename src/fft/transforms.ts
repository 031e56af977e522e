// mx.fft transforms over complex64 arrays: each axis is moved last, resized to n (zero pad
// or truncate, as NumPy), viewed as float32 (re, im) pairs and transformed by the O(n log n)
// pair kernel (pairs.ts); the inverse divides by n. Real transforms take the first
// n // 2 + 1 outputs (rfft) or rebuild the Hermitian spectrum before an inverse (irfft).
import type { MxArray } from '../core/array.ts';
import { complex64, float32, isComplex } from '../core/dtype.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { fmtShape } from '../core/shape.ts';
import { operands, type ArrayInput } from '../ops/core.ts';
import { astype, multiply } from '../ops/elementwise.ts';
import { conj, fromPairs, real, toPairs } from '../ops/complex.ts';
import { concatenate, flip, moveaxis, pad, sliceAxes } from '../ops/shape.ts';
import { fftPairs } from './pairs.ts';

function input(op: string, a: ArrayInput, opts?: StreamOpt): MxArray {
  const [x] = operands(`fft.${op}`, [a], resolveDevice(opts));
  return x;
}

function normAxis(op: string, x: MxArray, axis: number): number {
  const ax = axis < 0 ? axis + x.ndim : axis;
  if (!Number.isInteger(axis) || ax < 0 || ax >= x.ndim) throw new Error(`[fft.${op}] Invalid axis ${axis} for array of shape ${fmtShape(x.shape)}.`);
  return ax;
}

function checkLen(op: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`[fft.${op}] Invalid number of FFT points ${n}: it must be a positive integer.`);
}

/** x resized to n along axis: truncated, or padded with zeros at the end. */
function resize(x: MxArray, axis: number, n: number): MxArray {
  const m = x.shape[axis];
  if (m === n) return x;
  if (m > n) return sliceAxes(x, [axis], [0], [n]);
  const high = x.shape.map((_, i) => (i === axis ? n - m : 0));
  return pad(x, x.shape.map((_, i) => [0, high[i]] as [number, number]));
}

/** The complex transform of x (complex64) along one axis, n points, unnormalised. */
function c2c(x: MxArray, axis: number, n: number, inverse: boolean): MxArray {
  const last = x.ndim - 1;
  const z = resize(x, axis, n);
  const moved = axis === last ? z : moveaxis(z, axis, last);
  let y = fromPairs(fftPairs(toPairs(moved), inverse));
  if (inverse) y = multiply(y, 1 / n);
  return axis === last ? y : moveaxis(y, last, axis);
}

const toComplex = (x: MxArray) => (isComplex(x.dtype) ? x : astype(x, complex64));

/** Axes and sizes of an n-dimensional transform, as NumPy resolves them. */
function plan(op: string, x: MxArray, s: number[] | undefined, axes: number[] | undefined, dflt?: number[]): { axes: number[]; s: number[] } {
  let ax: number[];
  if (axes !== undefined) ax = axes;
  else if (dflt) ax = dflt;
  else if (s !== undefined) ax = s.map((_, i) => i - s.length);
  else ax = x.shape.map((_, i) => i);
  ax = ax.map((a) => normAxis(op, x, a));
  if (new Set(ax).size !== ax.length) throw new Error(`[fft.${op}] Duplicate axis in [${axes}].`);
  if (s !== undefined && s.length !== ax.length) throw new Error(`[fft.${op}] Shape s = [${s}] and axes = [${ax}] must have the same length.`);
  const sizes = s ?? ax.map((a) => x.shape[a]);
  sizes.forEach((n) => checkLen(op, n));
  return { axes: ax, s: sizes };
}

function nd(op: string, a: ArrayInput, s: number[] | undefined, axes: number[] | undefined, inverse: boolean, opts?: StreamOpt, dflt?: number[]): MxArray {
  let x = toComplex(input(op, a, opts));
  const p = plan(op, x, s, axes, dflt);
  p.axes.forEach((ax, i) => (x = c2c(x, ax, p.s[i], inverse)));
  return x;
}

/**
 * One-dimensional discrete Fourier transform along `axis` (n points: the input is
 * truncated or zero-padded). Real inputs are cast to complex64.
 * @example
 * await mx.fft.fft(mx.array([1, 0, 0, 0])).tolist() // four {re: 1, im: 0}
 */
export function fft(a: ArrayInput, n?: number, axis = -1, opts?: StreamOpt): MxArray {
  const x = toComplex(input('fft', a, opts));
  const ax = normAxis('fft', x, axis);
  const len = n ?? x.shape[ax];
  checkLen('fft', len);
  return c2c(x, ax, len, false);
}

/**
 * Inverse of fft (divides by n).
 * @example
 * mx.fft.ifft(mx.fft.fft(x)) // x, as complex64
 */
export function ifft(a: ArrayInput, n?: number, axis = -1, opts?: StreamOpt): MxArray {
  const x = toComplex(input('ifft', a, opts));
  const ax = normAxis('ifft', x, axis);
  const len = n ?? x.shape[ax];
  checkLen('ifft', len);
  return c2c(x, ax, len, true);
}

/** Two-dimensional DFT over `axes` (default the last two). @example mx.fft.fft2(img) */
export function fft2(a: ArrayInput, s?: number[], axes: number[] = [-2, -1], opts?: StreamOpt): MxArray {
  return nd('fft2', a, s, axes, false, opts);
}

/** Inverse of fft2. @example mx.fft.ifft2(mx.fft.fft2(img)) */
export function ifft2(a: ArrayInput, s?: number[], axes: number[] = [-2, -1], opts?: StreamOpt): MxArray {
  return nd('ifft2', a, s, axes, true, opts);
}

/** N-dimensional DFT over `axes` (default all, or the last len(s)). @example mx.fft.fftn(vol) */
export function fftn(a: ArrayInput, s?: number[], axes?: number[], opts?: StreamOpt): MxArray {
  return nd('fftn', a, s, axes, false, opts);
}

/** Inverse of fftn. @example mx.fft.ifftn(mx.fft.fftn(vol)) */
export function ifftn(a: ArrayInput, s?: number[], axes?: number[], opts?: StreamOpt): MxArray {
  return nd('ifftn', a, s, axes, true, opts);
}

/** The first n // 2 + 1 outputs of a real input's DFT along axis. */
function r2c(op: string, x0: MxArray, axis: number, n: number): MxArray {
  checkLen(op, n);
  // a complex input contributes its real part, as NumPy's rfft
  const x = isComplex(x0.dtype) ? real(x0) : astype(x0, float32);
  const y = c2c(astype(x, complex64), axis, n, false);
  return sliceAxes(y, [axis], [0], [Math.floor(n / 2) + 1]);
}

/** A real signal of n points along axis from the first n // 2 + 1 DFT entries. */
function c2r(op: string, x0: MxArray, axis: number, n: number): MxArray {
  checkLen(op, n);
  const half = Math.floor(n / 2) + 1;
  const x = resize(toComplex(x0), axis, half);
  // X[k] = conj(X[n - k]) for k >= half
  const tail = n - half;
  const full = tail > 0 ? concatenate([x, conj(flip(sliceAxes(x, [axis], [1], [tail + 1]), axis))], axis) : x;
  return real(c2c(full, axis, n, true));
}

/**
 * DFT of a real input along axis: the n // 2 + 1 non-negative frequencies.
 * @example
 * mx.fft.rfft(mx.array([1, 2, 3, 4])).shape // [3]
 */
export function rfft(a: ArrayInput, n?: number, axis = -1, opts?: StreamOpt): MxArray {
  const x = input('rfft', a, opts);
  const ax = normAxis('rfft', x, axis);
  return r2c('rfft', x, ax, n ?? x.shape[ax]);
}

/**
 * Inverse of rfft: a real output of n points (default 2 (m - 1) for m inputs).
 * @example
 * mx.fft.irfft(mx.fft.rfft(x), x.shape[0]) // x
 */
export function irfft(a: ArrayInput, n?: number, axis = -1, opts?: StreamOpt): MxArray {
  const x = input('irfft', a, opts);
  const ax = normAxis('irfft', x, axis);
  return c2r('irfft', x, ax, n ?? 2 * (x.shape[ax] - 1));
}

function rnd(op: string, a: ArrayInput, s: number[] | undefined, axes: number[] | undefined, opts: StreamOpt | undefined, dflt?: number[]): MxArray {
  const x0 = input(op, a, opts);
  const p = plan(op, x0, s, axes, dflt);
  const lastAx = p.axes[p.axes.length - 1];
  let x = r2c(op, x0, lastAx, p.s[p.s.length - 1]);
  p.axes.slice(0, -1).forEach((ax, i) => (x = c2c(x, ax, p.s[i], false)));
  return x;
}

function irnd(op: string, a: ArrayInput, s: number[] | undefined, axes: number[] | undefined, opts: StreamOpt | undefined, dflt?: number[]): MxArray {
  let x = toComplex(input(op, a, opts));
  // the last axis holds n // 2 + 1 entries; its default length is 2 (m - 1)
  const ax0 = (axes ?? dflt ?? (s ? s.map((_, i) => i - s.length) : x.shape.map((_, i) => i))).map((v) => normAxis(op, x, v));
  const sizes = s ?? ax0.map((v, i) => (i === ax0.length - 1 ? 2 * (x.shape[v] - 1) : x.shape[v]));
  const p = plan(op, x, sizes, ax0);
  p.axes.slice(0, -1).forEach((ax, i) => (x = c2c(x, ax, p.s[i], true)));
  return c2r(op, x, p.axes[p.axes.length - 1], p.s[p.s.length - 1]);
}

/** rfft over the last axis of `axes`, then fft over the others. @example mx.fft.rfft2(img) */
export function rfft2(a: ArrayInput, s?: number[], axes: number[] = [-2, -1], opts?: StreamOpt): MxArray {
  return rnd('rfft2', a, s, axes, opts);
}

/** Inverse of rfft2. @example mx.fft.irfft2(mx.fft.rfft2(img), img.shape) */
export function irfft2(a: ArrayInput, s?: number[], axes: number[] = [-2, -1], opts?: StreamOpt): MxArray {
  return irnd('irfft2', a, s, axes, opts);
}

/** N-dimensional rfft (default over all axes). @example mx.fft.rfftn(vol) */
export function rfftn(a: ArrayInput, s?: number[], axes?: number[], opts?: StreamOpt): MxArray {
  return rnd('rfftn', a, s, axes, opts);
}

/** Inverse of rfftn. @example mx.fft.irfftn(mx.fft.rfftn(vol), vol.shape) */
export function irfftn(a: ArrayInput, s?: number[], axes?: number[], opts?: StreamOpt): MxArray {
  return irnd('irfftn', a, s, axes, opts);
}
