// Recurrent layers: RNN (Elman), GRU and LSTM over [..., L, D] sequences (batch optional).
import * as mx from '../../index.ts';
import { Module } from '../module.ts';

type MxArray = mx.MxArray;

/** x @ W^T (+ b). */
const affine = (x: MxArray, w: MxArray, b?: MxArray | null) => {
  const y = mx.matmul(x, mx.transpose(w));
  return b ? mx.add(y, b) : y;
};
/** Step t of a [..., L, D] sequence: [..., D]. */
const at = (x: MxArray, t: number) => mx.squeeze(mx.sliceAxes(x, [-2], [t], [t + 1]), -2);
const lastSlice = (x: MxArray, from: number | null, to: number | null) => mx.sliceAxes(x, [-1], [from], [to]);

/**
 * Elman RNN: h_t = f(x_t Wxh^T + h_{t-1} Whh^T + b), f = tanh by default. Input [N, L, D]
 * or [L, D]; returns all hidden states [N, L, H]. Weights start as U(-k, k), k = 1/sqrt(H).
 * @example
 * const rnn = new nn.RNN(4, 8);
 * rnn.forward(mx.ones([2, 5, 4])) // shape [2, 5, 8]
 */
export class RNN extends Module {
  Wxh: MxArray;
  Whh: MxArray;
  bias: MxArray | null;
  readonly hiddenSize: number;
  readonly nonlinearity: (x: MxArray) => MxArray;
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; nonlinearity?: (x: MxArray) => MxArray } = {}) {
    super();
    const { bias = true, nonlinearity } = options;
    this.nonlinearity = nonlinearity ?? ((x) => mx.tanh(x));
    if (typeof this.nonlinearity !== 'function') throw new Error(`[RNN] Nonlinearity must be callable. Current value: ${String(nonlinearity)}.`);
    const s = 1 / Math.sqrt(hiddenSize);
    this.hiddenSize = hiddenSize;
    this.Wxh = mx.random.uniform(-s, s, [hiddenSize, inputSize]);
    this.Whh = mx.random.uniform(-s, s, [hiddenSize, hiddenSize]);
    this.bias = bias ? mx.random.uniform(-s, s, [hiddenSize]) : null;
  }
  override extraRepr(): string {
    return `input_dims=${this.Wxh.shape[1]}, hidden_size=${this.hiddenSize}, bias=${this.bias !== null}`;
  }
  override forward(x: MxArray, hidden?: MxArray | null): MxArray {
    const xp = affine(x, this.Wxh, this.bias);
    const all: MxArray[] = [];
    let h = hidden ?? null;
    for (let t = 0; t < xp.shape[xp.ndim - 2]; t++) {
      const xt = at(xp, t);
      h = this.nonlinearity(h ? mx.add(xt, mx.matmul(h, mx.transpose(this.Whh))) : xt);
      all.push(h);
    }
    return mx.stack(all, -2);
  }
}

/**
 * Gated recurrent unit (PyTorch's gate equations, MLX's parameter layout: Wx, Wh
 * [3H, ·], b [3H], bhn [H]). Returns all hidden states.
 * @example
 * new nn.GRU(4, 8).forward(mx.ones([2, 5, 4])) // shape [2, 5, 8]
 */
export class GRU extends Module {
  Wx: MxArray;
  Wh: MxArray;
  b: MxArray | null;
  bhn: MxArray | null;
  readonly hiddenSize: number;
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean } = {}) {
    super();
    const bias = options.bias ?? true;
    const s = 1 / Math.sqrt(hiddenSize);
    this.hiddenSize = hiddenSize;
    this.Wx = mx.random.uniform(-s, s, [3 * hiddenSize, inputSize]);
    this.Wh = mx.random.uniform(-s, s, [3 * hiddenSize, hiddenSize]);
    this.b = bias ? mx.random.uniform(-s, s, [3 * hiddenSize]) : null;
    this.bhn = bias ? mx.random.uniform(-s, s, [hiddenSize]) : null;
  }
  override extraRepr(): string {
    return `input_dims=${this.Wx.shape[1]}, hidden_size=${this.hiddenSize}, bias=${this.b !== null}`;
  }
  override forward(x: MxArray, hidden?: MxArray | null): MxArray {
    const H = this.hiddenSize;
    const xp = affine(x, this.Wx, this.b);
    const xrz = lastSlice(xp, null, -H), xn = lastSlice(xp, -H, null);
    const all: MxArray[] = [];
    let h = hidden ?? null;
    for (let t = 0; t < xp.shape[xp.ndim - 2]; t++) {
      let rz = at(xrz, t);
      let hn: MxArray | null = null;
      if (h) {
        const hp = mx.matmul(h, mx.transpose(this.Wh));
        hn = lastSlice(hp, -H, null);
        if (this.bhn) hn = mx.add(hn, this.bhn);
        rz = mx.add(rz, lastSlice(hp, null, -H));
      }
      const [r, z] = mx.split(mx.sigmoid(rz), 2, -1);
      let n = at(xn, t);
      if (hn) n = mx.add(n, mx.multiply(r, hn));
      else if (this.bhn) n = mx.add(n, mx.multiply(r, this.bhn));
      n = mx.tanh(n);
      h = h ? mx.add(mx.multiply(mx.subtract(1, z), n), mx.multiply(z, h)) : mx.multiply(mx.subtract(1, z), n);
      all.push(h);
    }
    return mx.stack(all, -2);
  }
}

/**
 * Long short-term memory (gates i, f, g, o; MLX's layout Wx, Wh [4H, ·], bias [4H]).
 * Returns [all hidden states, all cell states].
 * @example
 * const [h, c] = new nn.LSTM(4, 8).forward(mx.ones([2, 5, 4])); // both [2, 5, 8]
 */
export class LSTM extends Module {
  Wx: MxArray;
  Wh: MxArray;
  bias: MxArray | null;
  readonly hiddenSize: number;
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean } = {}) {
    super();
    const bias = options.bias ?? true;
    const s = 1 / Math.sqrt(hiddenSize);
    this.hiddenSize = hiddenSize;
    this.Wx = mx.random.uniform(-s, s, [4 * hiddenSize, inputSize]);
    this.Wh = mx.random.uniform(-s, s, [4 * hiddenSize, hiddenSize]);
    this.bias = bias ? mx.random.uniform(-s, s, [4 * hiddenSize]) : null;
  }
  override extraRepr(): string {
    return `input_dims=${this.Wx.shape[1]}, hidden_size=${this.hiddenSize}, bias=${this.bias !== null}`;
  }
  override forward(x: MxArray, hidden?: MxArray | null, cell?: MxArray | null): [MxArray, MxArray] {
    const xp = affine(x, this.Wx, this.bias);
    const hs: MxArray[] = [], cs: MxArray[] = [];
    let h = hidden ?? null, c = cell ?? null;
    for (let t = 0; t < xp.shape[xp.ndim - 2]; t++) {
      let ifgo = at(xp, t);
      if (h) ifgo = mx.add(ifgo, mx.matmul(h, mx.transpose(this.Wh)));
      const [i0, f0, g0, o0] = mx.split(ifgo, 4, -1);
      const i = mx.sigmoid(i0), f = mx.sigmoid(f0), g = mx.tanh(g0), o = mx.sigmoid(o0);
      c = c ? mx.add(mx.multiply(f, c), mx.multiply(i, g)) : mx.multiply(i, g);
      h = mx.multiply(o, mx.tanh(c));
      cs.push(c);
      hs.push(h);
    }
    return [mx.stack(hs, -2), mx.stack(cs, -2)];
  }
}
