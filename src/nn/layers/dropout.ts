// Dropout, Dropout2d and Dropout3d: random masks in training mode, identity in eval mode.
import * as mx from '../../index.ts';
import { Module } from '../module.ts';

type MxArray = mx.MxArray;

abstract class DropoutBase extends Module {
  /** @internal Keep probability 1 - p. */
  readonly _p1: number;
  constructor(p: number) {
    super();
    if (p < 0 || p >= 1) throw new Error(`[${new.target.name}] The dropout probability ${p} is not in [0, 1).`);
    this._p1 = 1 - p;
  }
  override extraRepr(): string {
    return `p=${1 - this._p1}`;
  }
  protected drop(x: MxArray, maskShape: number[]): MxArray {
    if (this._p1 === 1 || !this.training) return x;
    const mask = mx.random.bernoulli(this._p1, maskShape);
    return mx.multiply(mx.multiply(mask, x), 1 / this._p1);
  }
}

/**
 * Zeroes elements with probability p during training and scales the rest by 1/(1-p).
 * @example
 * const drop = new nn.Dropout(0.1);
 * drop.forward(x); drop.eval(); drop.forward(x) // unchanged in eval mode
 */
export class Dropout extends DropoutBase {
  constructor(p = 0.5) {
    super(p);
  }
  override forward(x: MxArray): MxArray {
    return this.drop(x, [...x.shape]);
  }
}

/**
 * Zeroes whole channels of [N, H, W, C] or [H, W, C] inputs with probability p.
 * @example
 * new nn.Dropout2d(0.2).forward(mx.ones([2, 4, 4, 8]))
 */
export class Dropout2d extends DropoutBase {
  constructor(p = 0.5) {
    super(p);
  }
  override forward(x: MxArray): MxArray {
    if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`[Dropout2d] Received input with ${x.ndim} dimensions. Expected 3 or 4 dimensions.`);
    const s = [...x.shape];
    s[s.length - 2] = s[s.length - 3] = 1;
    return this.drop(x, s);
  }
}

/**
 * Zeroes whole channels of [N, D, H, W, C] or [D, H, W, C] inputs with probability p.
 * @example
 * new nn.Dropout3d(0.2).forward(mx.ones([2, 4, 4, 4, 8]))
 */
export class Dropout3d extends DropoutBase {
  constructor(p = 0.5) {
    super(p);
  }
  override forward(x: MxArray): MxArray {
    if (x.ndim !== 4 && x.ndim !== 5) throw new Error(`[Dropout3d] Received input with ${x.ndim} dimensions. Expected 4 or 5 dimensions.`);
    const s = [...x.shape];
    s[s.length - 2] = s[s.length - 3] = s[s.length - 4] = 1;
    return this.drop(x, s);
  }
}
