// Upsample: nearest, linear and cubic interpolation of channels-last inputs [N, ...spatial, C].
import * as mx from '../../index.ts';
import { Module } from '../module.ts';

type MxArray = mx.MxArray;
/** Per-axis sampling taps: (indices [M], weights [M]) pairs whose weighted sum interpolates. */
type Taps = [MxArray, MxArray][];

function scaledIndices(N: number, scale: number, alignCorners: boolean): MxArray {
  const M = Math.floor(scale * N);
  const i = mx.arange(0, M, 1, mx.float32);
  if (alignCorners) return mx.multiply(i, (N - 1) / Math.max(M - 1, 1));
  const step = 1 / scale;
  const start = ((M - 1) * step - N + 1) / 2;
  return mx.subtract(mx.multiply(i, step), start);
}

function nearestIndices(N: number, scale: number): MxArray {
  const M = Math.floor(scale * N);
  let i = mx.arange(0, M, 1, mx.float32);
  i = M > N ? mx.round(mx.subtract(mx.multiply(mx.add(i, 0.5), N / M), 0.5)) : mx.multiply(i, N / M);
  return mx.astype(i, mx.int32);
}

const clipIdx = (i: MxArray, N: number) => mx.astype(mx.clip(i, 0, N - 1), mx.int32);

function linearTaps(N: number, scale: number, alignCorners: boolean): Taps {
  const i = mx.clip(scaledIndices(N, scale, alignCorners), 0, N - 1);
  const l = mx.floor(i), r = mx.ceil(i);
  const w = mx.subtract(i, l);
  return [[clipIdx(l, N), mx.subtract(1, w)], [clipIdx(r, N), w]];
}

function cubicTaps(N: number, scale: number, alignCorners: boolean): Taps {
  const i = scaledIndices(N, scale, alignCorners);
  const l1 = mx.floor(i), r1 = mx.floor(mx.add(i, 1));
  const l2 = mx.subtract(l1, 1), r2 = mx.add(r1, 1);
  const a = -0.75;
  const near = (g: MxArray) => {
    const x = mx.abs(mx.subtract(i, g));
    return mx.add(mx.multiply(mx.multiply(mx.subtract(mx.multiply(x, a + 2), a + 3), x), x), 1);
  };
  const far = (g: MxArray) => {
    const x = mx.abs(mx.subtract(i, g));
    return mx.multiply(mx.subtract(mx.multiply(mx.add(mx.multiply(mx.subtract(x, 5), x), 8), x), 4), a);
  };
  return [[clipIdx(l1, N), near(l1)], [clipIdx(r1, N), near(r1)], [clipIdx(l2, N), far(l2)], [clipIdx(r2, N), far(r2)]];
}

const triangle = (x: MxArray) => mx.maximum(mx.subtract(1, x), 0);
function cubicKernel(x: MxArray): MxArray {
  const a = -0.5;
  const inner = mx.add(mx.multiply(mx.multiply(mx.subtract(mx.multiply(x, a + 2), a + 3), x), x), 1);
  const outer = mx.multiply(mx.subtract(mx.multiply(mx.add(mx.multiply(mx.subtract(x, 5), x), 8), x), 4), a);
  return mx.where(mx.lessEqual(x, 1), inner, mx.where(mx.lessEqual(x, 2), outer, 0));
}

/** Antialiased taps: the kernel widened by 1/scale when downsampling, weights normalised. */
function aaTaps(N: number, scale: number, alignCorners: boolean, kernel: (x: MxArray) => MxArray, radius: number): Taps {
  const i = scaledIndices(N, scale, alignCorners);
  const inv = scale < 1 ? 1 / scale : 1;
  const taps = Math.ceil(radius * inv) + 1;
  const idx: MxArray[] = [], ws: MxArray[] = [];
  for (let k = -taps + 1; k < taps; k++) {
    const j = mx.add(mx.floor(i), k);
    const w = kernel(mx.divide(mx.abs(mx.subtract(i, j)), inv));
    ws.push(mx.where(mx.logicalAnd(mx.greaterEqual(j, 0), mx.less(j, N)), w, 0));
    idx.push(j);
  }
  let total = ws.reduce((s, w) => mx.add(s, w));
  total = mx.where(mx.greater(total, 0), total, 1);
  return idx.map((j, k) => [clipIdx(j, N), mx.divide(ws[k], total)]);
}

/** Applies per-axis taps to x: a sum over every combination of the axes' taps. */
function interpolate(x: MxArray, taps: Taps[]): MxArray {
  const d = taps.length;
  // axis by axis (the weights factor per axis), each axis a weighted sum of gathers
  let out = x;
  for (let a = 0; a < d; a++) {
    const wshape = out.shape.map((_, i) => (i === a + 1 ? -1 : 1));
    out = taps[a].map(([idx, w]) => mx.multiply(mx.take(out, idx, a + 1), mx.astype(mx.reshape(w, wshape), out.dtype))).reduce((s, t) => mx.add(s, t));
  }
  return out;
}

/**
 * Nearest-neighbour upsampling by per-axis scale factors (integer factors repeat elements).
 * @example
 * nn.upsampleNearest(mx.ones([1, 2, 2, 1]), [2, 2]) // shape [1, 4, 4, 1]
 */
export function upsampleNearest(x: MxArray, scaleFactor: readonly number[]): MxArray {
  const d = x.ndim - 2;
  if (d !== scaleFactor.length) throw new Error('[upsampleNearest] A scale needs to be provided for each spatial dimension.');
  if (scaleFactor.every(Number.isInteger)) {
    const sp = x.shape.slice(1, -1);
    const inter = [x.shape[0], ...sp.flatMap((s) => [s, 1]), x.shape[d + 1]];
    const big = [x.shape[0], ...sp.flatMap((s, i) => [s, scaleFactor[i]]), x.shape[d + 1]];
    return mx.reshape(mx.broadcastTo(mx.reshape(x, inter), big), [x.shape[0], ...sp.map((s, i) => s * scaleFactor[i]), x.shape[d + 1]]);
  }
  let out = x;
  x.shape.slice(1, -1).forEach((n, i) => (out = mx.take(out, nearestIndices(n, scaleFactor[i]), i + 1)));
  return out;
}

/**
 * Linear (bilinear, trilinear) upsampling; `antialias` widens the filter when downsampling.
 * @example
 * nn.upsampleLinear(x, [2, 2], true)
 */
export function upsampleLinear(x: MxArray, scaleFactor: readonly number[], alignCorners = false, antialias = false): MxArray {
  checkAA(alignCorners, antialias);
  const sp = x.shape.slice(1, -1);
  if (sp.length !== scaleFactor.length) throw new Error('[upsampleLinear] A scale needs to be provided for each spatial dimension.');
  return interpolate(x, sp.map((n, i) => (antialias ? aaTaps(n, scaleFactor[i], alignCorners, triangle, 1) : linearTaps(n, scaleFactor[i], alignCorners))));
}

/**
 * Cubic (bicubic, a = -0.75; antialiased a = -0.5) upsampling.
 * @example
 * nn.upsampleCubic(x, [2, 2])
 */
export function upsampleCubic(x: MxArray, scaleFactor: readonly number[], alignCorners = false, antialias = false): MxArray {
  checkAA(alignCorners, antialias);
  const sp = x.shape.slice(1, -1);
  if (sp.length !== scaleFactor.length) throw new Error('[upsampleCubic] A scale needs to be provided for each spatial dimension.');
  return interpolate(x, sp.map((n, i) => (antialias ? aaTaps(n, scaleFactor[i], alignCorners, cubicKernel, 2) : cubicTaps(n, scaleFactor[i], alignCorners))));
}

function checkAA(alignCorners: boolean, antialias: boolean): void {
  if (antialias && alignCorners) throw new Error('[Upsample] antialias=True with align_corners=True is not supported. Use align_corners=False for antialiased interpolation.');
}

/** Options of Upsample. */
export interface UpsampleOptions {
  mode?: 'nearest' | 'linear' | 'cubic';
  alignCorners?: boolean;
  antialias?: boolean;
}

/**
 * Upsamples [N, ...spatial, C] by `scaleFactor` (one number or one per spatial axis).
 * @example
 * new nn.Upsample(2, { mode: 'linear' }).forward(mx.ones([1, 4, 4, 3])) // [1, 8, 8, 3]
 */
export class Upsample extends Module {
  readonly scaleFactor: number | number[];
  readonly mode: 'nearest' | 'linear' | 'cubic';
  readonly alignCorners: boolean;
  readonly antialias: boolean;
  constructor(scaleFactor: number | readonly number[], options: UpsampleOptions = {}) {
    super();
    const { mode = 'nearest', alignCorners = false, antialias = false } = options;
    if (!['nearest', 'linear', 'cubic'].includes(mode)) throw new Error(`[Upsample] Got unsupported upsampling algorithm: ${mode}.`);
    if (antialias && mode === 'nearest') throw new Error('[Upsample] Antialiasing is not supported for nearest neighbor upsampling.');
    checkAA(alignCorners, antialias);
    this.scaleFactor = typeof scaleFactor === 'number' ? scaleFactor : [...scaleFactor];
    this.mode = mode;
    this.alignCorners = alignCorners;
    this.antialias = antialias;
  }
  override extraRepr(): string {
    return `scale_factor=${JSON.stringify(this.scaleFactor)}, mode='${this.mode}', align_corners=${this.alignCorners}${this.antialias ? ', antialias=true' : ''}`;
  }
  override forward(x: MxArray): MxArray {
    const d = x.ndim - 2;
    if (d <= 0) throw new Error(`[Upsample] The input should have at least 1 spatial dimension which means it should be at least 3D but ${x.ndim}D was provided.`);
    let sf: number[];
    if (typeof this.scaleFactor === 'number') sf = new Array<number>(d).fill(this.scaleFactor);
    else {
      sf = this.scaleFactor;
      if (sf.length !== d) throw new Error(`[Upsample] One scale per spatial dimension is required but scale_factor=(${sf.join(', ')}) and the number of spatial dimensions were ${d}.`);
    }
    if (this.mode === 'nearest') return upsampleNearest(x, sf);
    if (this.mode === 'linear') return upsampleLinear(x, sf, this.alignCorners, this.antialias);
    return upsampleCubic(x, sf, this.alignCorners, this.antialias);
  }
}
