// mx.fft: the transforms (transforms.ts, over the pair kernel of pairs.ts) and the
// real-valued helpers (sample frequencies and shifts).
import type { MxArray } from '../core/array.ts';
import { type StreamOpt } from '../core/device.ts';
import { array, type ArrayInput } from '../ops/core.ts';
import { arange } from '../ops/creation.ts';
import { divide, remainder, subtract } from '../ops/elementwise.ts';
import { roll } from '../ops/shape.ts';

export { fft, ifft, fft2, ifft2, fftn, ifftn, rfft, irfft, rfft2, irfft2, rfftn, irfftn } from './transforms.ts';

function checkN(op: string, n: number, d: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`[fft.${op}] n must be a positive integer, got ${n}.`);
  if (!(d !== 0 && Number.isFinite(d))) throw new Error(`[fft.${op}] d must be a finite non-zero spacing, got ${d}.`);
}

/**
 * Sample frequencies of an n-point FFT with sample spacing d: [0, 1, ..., -1] / (d n).
 * @example
 * mx.fft.fftfreq(4) // [0, 0.25, -0.5, -0.25]
 */
export function fftfreq(n: number, d = 1, opts?: StreamOpt): MxArray {
  checkN('fftfreq', n, d);
  // i for i < ceil(n/2), else i - n
  const i = arange(0, n, 1, 'float32', opts);
  const k = subtract(remainder(i.add(Math.floor(n / 2), opts), n, opts), Math.floor(n / 2), opts);
  return divide(k, d * n, opts);
}

/**
 * Sample frequencies of an n-point real FFT: [0, 1, ..., n/2] / (d n).
 * @example
 * mx.fft.rfftfreq(4) // [0, 0.25, 0.5]
 */
export function rfftfreq(n: number, d = 1, opts?: StreamOpt): MxArray {
  checkN('rfftfreq', n, d);
  return divide(arange(0, Math.floor(n / 2) + 1, 1, 'float32', opts), d * n, opts);
}

const normAxes = (x: MxArray, axes?: number | number[]): number[] =>
  axes === undefined ? [...Array(x.ndim).keys()] : (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + x.ndim : a));

/**
 * Moves the zero-frequency entry to the centre (a roll by n // 2 along each axis).
 * @example
 * mx.fft.fftshift(mx.fft.fftfreq(5)) // [-0.4, -0.2, 0, 0.2, 0.4]
 */
export function fftshift(a: ArrayInput, axes?: number | number[], opts?: StreamOpt): MxArray {
  const x = array(a, undefined, opts);
  const ax = normAxes(x, axes);
  return roll(x, ax.map((i) => Math.floor(x.shape[i] / 2)), ax, opts);
}

/**
 * The inverse of fftshift (a roll by -(n // 2) along each axis).
 * @example
 * mx.fft.ifftshift(mx.fft.fftshift(x)) // x
 */
export function ifftshift(a: ArrayInput, axes?: number | number[], opts?: StreamOpt): MxArray {
  const x = array(a, undefined, opts);
  const ax = normAxes(x, axes);
  return roll(x, ax.map((i) => -Math.floor(x.shape[i] / 2)), ax, opts);
}
