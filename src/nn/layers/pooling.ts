// MaxPool1d/2d/3d and AvgPool1d/2d/3d over channels-last inputs [N, ...spatial, C].
import * as mx from '../../index.ts';
import { windows } from '../../ops/conv.ts';
import { Module } from '../module.ts';

type MxArray = mx.MxArray;
type IntOrTuple = number | readonly number[];

function valueOrList(name: string, what: string, x: IntOrTuple, n: number): number[] {
  const r = typeof x === 'number' ? new Array<number>(n).fill(x) : [...x];
  if (r.length !== n || !r.every(Number.isInteger)) throw new Error(`[${name}] '${what}' must be an integer or a tuple containing ${n} integer${n > 1 ? 's' : ''}.`);
  return r;
}

/** Sliding windows [N, ...out, ...window, C] (a reshape when they tile the input exactly). */
function slidingWindows(x: MxArray, window: number[], stride: number[]): MxArray {
  if (x.ndim < 3) throw new Error(`[pool] To extract sliding windows at least 1 spatial dimension (3 total) is needed but the input only has ${x.ndim} dimensions.`);
  const spatial = x.shape.slice(1, -1);
  if (spatial.length !== window.length) {
    throw new Error(`[pool] The input has ${spatial.length} spatial dimensions (shape (${x.shape.join(', ')})) but the window has ${window.length}.`);
  }
  spatial.forEach((s, i) => {
    if (s < window[i]) throw new Error(`[pool] The window (${window.join(', ')}) is larger than the (padded) input (${spatial.join(', ')}).`);
  });
  const d = window.length;
  if (spatial.every((s, i) => window[i] === stride[i] && s % window[i] === 0)) {
    const shape = [x.shape[0], ...spatial.flatMap((s, i) => [s / window[i], window[i]]), x.shape[d + 1]];
    const perm = [0, ...Array.from({ length: d }, (_, i) => 1 + 2 * i), ...Array.from({ length: d }, (_, i) => 2 + 2 * i), 2 * d + 1];
    return mx.transpose(mx.reshape(x, shape), perm);
  }
  return windows(x, window, stride, window.map(() => 1));
}

abstract class Pool extends Module {
  /** @internal */ readonly _kernelSize: number[];
  /** @internal */ readonly _stride: number[];
  /** @internal */ readonly _padding: number[];
  constructor(private readonly _max: boolean, d: number, kernelSize: IntOrTuple, stride: IntOrTuple | null | undefined, padding: IntOrTuple) {
    super();
    const name = new.target.name;
    this._kernelSize = valueOrList(name, 'kernel_size', kernelSize, d);
    this._stride = stride === null || stride === undefined ? [...this._kernelSize] : valueOrList(name, 'stride', stride, d);
    this._padding = valueOrList(name, 'padding', padding, d);
    for (const [n, v] of [['kernel_size', this._kernelSize], ['stride', this._stride]] as const) {
      if (v.some((e) => e <= 0)) throw new Error(`[${name}] '${n}' must be positive but got (${v.join(', ')}).`);
    }
    if (this._padding.some((p) => p < 0)) throw new Error(`[${name}] 'padding' must be non-negative but got (${this._padding.join(', ')}).`);
  }
  override extraRepr(): string {
    return `kernel_size=(${this._kernelSize.join(', ')}), stride=(${this._stride.join(', ')}), padding=(${this._padding.join(', ')})`;
  }
  override forward(x: MxArray): MxArray {
    if (this._padding.some((p) => p > 0)) {
      const widths = [[0, 0], ...this._padding.map((p) => [p, p]), [0, 0]];
      x = mx.pad(x, widths, 'constant', this._max ? -Infinity : 0);
    }
    const w = slidingWindows(x, this._kernelSize, this._stride);
    const d = this._kernelSize.length;
    const axes = Array.from({ length: d }, (_, i) => -d - 1 + i);
    return this._max ? mx.max(w, axes) : mx.mean(w, axes);
  }
}

/**
 * Max over windows of [N, L, C]; stride defaults to the kernel size.
 * @example
 * new nn.MaxPool1d(2).forward(mx.ones([1, 8, 3])) // shape [1, 4, 3]
 */
export class MaxPool1d extends Pool {
  constructor(kernelSize: IntOrTuple, stride?: IntOrTuple | null, padding: IntOrTuple = 0) {
    super(true, 1, kernelSize, stride, padding);
  }
}
/**
 * Max over windows of [N, H, W, C]; padding pads with -inf.
 * @example
 * new nn.MaxPool2d(2, 2).forward(mx.ones([1, 8, 8, 3])) // shape [1, 4, 4, 3]
 */
export class MaxPool2d extends Pool {
  constructor(kernelSize: IntOrTuple, stride?: IntOrTuple | null, padding: IntOrTuple = 0) {
    super(true, 2, kernelSize, stride, padding);
  }
}
/**
 * Max over windows of [N, D, H, W, C].
 * @example
 * new nn.MaxPool3d(2).forward(mx.ones([1, 4, 4, 4, 2])) // shape [1, 2, 2, 2, 2]
 */
export class MaxPool3d extends Pool {
  constructor(kernelSize: IntOrTuple, stride?: IntOrTuple | null, padding: IntOrTuple = 0) {
    super(true, 3, kernelSize, stride, padding);
  }
}
/**
 * Mean over windows of [N, L, C]; padding pads with zeros (counted in the mean, as MLX).
 * @example
 * new nn.AvgPool1d(3, 1, 1).forward(mx.ones([1, 8, 3])) // shape [1, 8, 3]
 */
export class AvgPool1d extends Pool {
  constructor(kernelSize: IntOrTuple, stride?: IntOrTuple | null, padding: IntOrTuple = 0) {
    super(false, 1, kernelSize, stride, padding);
  }
}
/**
 * Mean over windows of [N, H, W, C].
 * @example
 * new nn.AvgPool2d(2).forward(mx.ones([1, 8, 8, 3])) // shape [1, 4, 4, 3]
 */
export class AvgPool2d extends Pool {
  constructor(kernelSize: IntOrTuple, stride?: IntOrTuple | null, padding: IntOrTuple = 0) {
    super(false, 2, kernelSize, stride, padding);
  }
}
/**
 * Mean over windows of [N, D, H, W, C].
 * @example
 * new nn.AvgPool3d(2).forward(mx.ones([1, 4, 4, 4, 2])) // shape [1, 2, 2, 2, 2]
 */
export class AvgPool3d extends Pool {
  constructor(kernelSize: IntOrTuple, stride?: IntOrTuple | null, padding: IntOrTuple = 0) {
    super(false, 3, kernelSize, stride, padding);
  }
}
