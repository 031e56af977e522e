// Positional encodings: RoPE, SinusoidalPositionalEncoding and ALiBi.
import * as mx from '../../index.ts';
import { Module } from '../module.ts';

type MxArray = mx.MxArray;

/**
 * Rotary positional encoding of the first `dims` features of x [..., L, D], positions
 * offset + 0..L-1 scaled by `scale`, frequencies base^(-2i/dims) (MLX's mx.fast.rope).
 * `traditional` rotates consecutive pairs; otherwise the two halves of the first `dims`.
 * @internal
 */
export function rope(x: MxArray, dims: number, traditional: boolean, base: number, scale: number, offset: number): MxArray {
  // mx.fast.rope wants [B, ..., T, D] with a floating dtype
  const xf = mx.issubdtype(x.dtype, 'floating') ? x : mx.astype(x, mx.float32);
  const x3 = xf.ndim < 3 ? mx.reshape(xf, [...Array(3 - xf.ndim).fill(1), ...xf.shape]) : xf;
  const y = mx.fast.rope(x3, dims, { traditional, base, scale, offset });
  return x3 === xf ? y : mx.reshape(y, xf.shape);
}

/**
 * Rotary positional encoding (RoFormer). forward(x, offset) rotates x [..., L, D].
 * @example
 * const rope = new nn.RoPE(8);
 * rope.forward(q, cacheLength)
 */
export class RoPE extends Module {
  readonly dims: number;
  readonly traditional: boolean;
  readonly base: number;
  readonly scale: number;
  constructor(dims: number, options: { traditional?: boolean; base?: number; scale?: number } = {}) {
    super();
    this.dims = dims;
    this.traditional = options.traditional ?? false;
    this.base = options.base ?? 10000;
    this.scale = options.scale ?? 1;
  }
  override extraRepr(): string {
    return `${this.dims}, traditional=${this.traditional}`;
  }
  override forward(x: MxArray, offset = 0): MxArray {
    return rope(x, this.dims, this.traditional, this.base, this.scale, offset);
  }
}

/**
 * Sinusoidal encoding of (possibly fractional) positions: [...x.shape, dims], sin features
 * then cos features (or cos first), frequencies from maxFreq down to minFreq.
 * @example
 * new nn.SinusoidalPositionalEncoding(8).forward(mx.arange(10)) // shape [10, 8]
 */
export class SinusoidalPositionalEncoding extends Module {
  /** @internal Frequencies (underscore: not a parameter). */
  _sigmas: MxArray;
  readonly scale: number;
  readonly cosFirst: boolean;
  constructor(dims: number, options: { minFreq?: number; maxFreq?: number; scale?: number; cosFirst?: boolean; fullTurns?: boolean } = {}) {
    super();
    const { minFreq = 0.0001, maxFreq = 1, scale, cosFirst = false, fullTurns = false } = options;
    if (!(dims > 0) || dims % 2 !== 0) throw new Error(`[SinusoidalPositionalEncoding] dims must be positive and even but got ${dims}.`);
    const h = dims / 2;
    const oneZero = dims === 2 ? mx.array([1], mx.float32) : mx.subtract(1, mx.divide(mx.arange(0, h), h - 1));
    const lo = Math.log(minFreq), hi = Math.log(maxFreq);
    this._sigmas = mx.exp(mx.add(mx.multiply(oneZero, hi - lo), lo));
    if (fullTurns) this._sigmas = mx.multiply(this._sigmas, 2 * Math.PI);
    this.scale = scale ?? Math.sqrt(2 / dims);
    this.cosFirst = cosFirst;
  }
  override forward(x: MxArray): MxArray {
    const y = mx.multiply(mx.expandDims(x, -1), this._sigmas);
    const c = mx.cos(y), s = mx.sin(y);
    const out = mx.concatenate(this.cosFirst ? [c, s] : [s, c], -1);
    return this.scale !== 1 ? mx.multiply(out, this.scale) : out;
  }
}

function alibiSlopes(n: number): number[] {
  const l2 = Math.log2(n);
  if (Number.isInteger(l2)) {
    const start = 2 ** -(2 ** -(l2 - 3));
    return Array.from({ length: n }, (_, i) => start * start ** i);
  }
  const p = 2 ** Math.floor(l2);
  return [...alibiSlopes(p), ...alibiSlopes(2 * p).filter((_, i) => i % 2 === 0).slice(0, n - p)];
}

/**
 * Attention with linear biases: adds -slope_h * |i - j| to attention scores [B, H, L, S].
 * @example
 * new nn.ALiBi().forward(scores, 0, mask)
 */
export class ALiBi extends Module {
  /**
   * The bias [1, H, L - offset, S] for queries offset..L-1 and keys 0..S-1.
   * @example
   * nn.ALiBi.createAlibiMatrix(4, 4, 2, 0)
   */
  static createAlibiMatrix(qSequenceLength: number, kSequenceLength: number, numHeads: number, offset: number, dtype: mx.DtypeLike = 'float32'): MxArray {
    const x1 = mx.arange(offset, qSequenceLength), x2 = mx.arange(0, kSequenceLength);
    const dist = mx.negative(mx.abs(mx.subtract(mx.reshape(x1, [1, 1, -1, 1]), mx.reshape(x2, [1, 1, 1, -1]))));
    return mx.astype(mx.multiply(dist, ALiBi.createAlibiSlope(numHeads, dtype)), dtype);
  }
  /** The per-head slopes [H, 1, 1]. @example nn.ALiBi.createAlibiSlope(8) */
  static createAlibiSlope(numHeads: number, dtype: mx.DtypeLike = 'float32'): MxArray {
    return mx.reshape(mx.array(alibiSlopes(numHeads), dtype), [numHeads, 1, 1]);
  }
  override forward(attentionScores: MxArray, offset = 0, mask?: MxArray | null): MxArray {
    const s = attentionScores.shape;
    let m = ALiBi.createAlibiMatrix(s[s.length - 2] + offset, s[s.length - 1], s[1], offset, attentionScores.dtype);
    if (mask) m = mx.add(m, mask);
    return mx.add(attentionScores, m);
  }
}
