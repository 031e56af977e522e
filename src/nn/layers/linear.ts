// Identity, Linear, Bilinear, Embedding and Sequential.
import * as mx from '../../index.ts';
import { Module } from '../module.ts';

type MxArray = mx.MxArray;

/**
 * Returns its input unchanged (accepts and ignores any constructor arguments).
 * @example
 * new nn.Identity().forward(x) === x
 */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }
  override forward(x: MxArray): MxArray {
    return x;
  }
}

/**
 * y = x W^T + b with W [outputDims, inputDims]; W and b start as U(-k, k), k = 1/sqrt(inputDims).
 * @example
 * const lin = new nn.Linear(3, 2);
 * lin.forward(mx.ones([4, 3])) // shape [4, 2]
 */
export class Linear extends Module {
  weight: MxArray;
  bias?: MxArray;
  constructor(inputDims: number, outputDims: number, options: { bias?: boolean } = {}) {
    super();
    const scale = Math.sqrt(1 / inputDims);
    this.weight = mx.random.uniform(-scale, scale, [outputDims, inputDims]);
    if (options.bias ?? true) this.bias = mx.random.uniform(-scale, scale, [outputDims]);
  }
  override extraRepr(): string {
    return `input_dims=${this.weight.shape[1]}, output_dims=${this.weight.shape[0]}, bias=${this.bias !== undefined}`;
  }
  override forward(x: MxArray): MxArray {
    const y = mx.matmul(x, mx.transpose(this.weight));
    return this.bias ? mx.add(y, this.bias) : y;
  }
}

/**
 * y_i = x2^T W_i x1 + b_i with W [outputDims, input2Dims, input1Dims]; initialised as
 * U(-k, k), k = 1/sqrt(input1Dims).
 * @example
 * new nn.Bilinear(3, 4, 2).forward(mx.ones([5, 3]), mx.ones([5, 4])) // shape [5, 2]
 */
export class Bilinear extends Module {
  weight: MxArray;
  bias?: MxArray;
  constructor(input1Dims: number, input2Dims: number, outputDims: number, options: { bias?: boolean } = {}) {
    super();
    const scale = Math.sqrt(1 / input1Dims);
    this.weight = mx.random.uniform(-scale, scale, [outputDims, input2Dims, input1Dims]);
    if (options.bias ?? true) this.bias = mx.random.uniform(-scale, scale, [outputDims]);
  }
  override extraRepr(): string {
    const [o, i2, i1] = this.weight.shape;
    return `input1_dims=${i1}, input2_dims=${i2}, output_dims=${o}, bias=${this.bias !== undefined}`;
  }
  override forward(x1: MxArray, x2: MxArray): MxArray {
    const [out, in2, in1] = this.weight.shape;
    const lead = x1.shape.slice(0, -1);
    const a = mx.reshape(x1, [-1, in1]);
    const b = mx.reshape(x2, [-1, 1, in2]);
    const w = mx.reshape(this.weight, [out * in2, in1]);
    let y = mx.swapaxes(mx.reshape(mx.matmul(a, mx.transpose(w)), [-1, out, in2]), -2, -1);
    y = mx.reshape(mx.squeeze(mx.matmul(b, y), 1), [...lead, out]);
    return this.bias ? mx.add(y, this.bias) : y;
  }
}

/**
 * A lookup table [numEmbeddings, dims] indexed by integer ids; initialised as
 * N(0, 1/dims).
 * @example
 * const emb = new nn.Embedding(100, 8);
 * emb.forward(mx.array([[1, 2, 3]])) // shape [1, 3, 8]
 */
export class Embedding extends Module {
  weight: MxArray;
  constructor(numEmbeddings: number, dims: number) {
    super();
    this.weight = mx.random.normal([numEmbeddings, dims], 'float32', 0, Math.sqrt(1 / dims));
  }
  override extraRepr(): string {
    return `${this.weight.shape[0]}, ${this.weight.shape[1]}`;
  }
  override forward(x: MxArray): MxArray {
    return mx.take(this.weight, x, 0);
  }
  /**
   * Uses the table as a linear layer (tied output projection): x @ W^T.
   * @example
   * const logits = emb.asLinear(hidden);
   */
  asLinear(x: MxArray): MxArray {
    return mx.matmul(x, mx.transpose(this.weight));
  }
}

/** A layer of a Sequential: a module or a plain function of one array. */
export type Layer = Module | ((x: any) => any);

/**
 * Calls its layers (modules or plain functions) in order.
 * @example
 * const mlp = new nn.Sequential(new nn.Linear(2, 16), nn.relu, new nn.Linear(16, 1));
 * mlp.forward(x)
 */
export class Sequential extends Module {
  layers: Layer[];
  constructor(...modules: Layer[]) {
    super();
    this.layers = modules;
  }
  override forward(x: any): any {
    for (const m of this.layers) x = m instanceof Module ? m.forward(x) : m(x);
    return x;
  }
}
