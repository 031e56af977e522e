// Conv1d/2d/3d and ConvTranspose1d/2d/3d: channels-last convolutions with a learned
// kernel [C_out, ...kernel, C_in / groups] (MLX's layout) and an optional bias.
import * as mx from '../../index.ts';
import { convGeneral, convTranspose1d, convTranspose2d, convTranspose3d, type IntOrTuple } from '../../ops/conv.ts';
import { Module } from '../module.ts';

type MxArray = mx.MxArray;

/** Options of the convolution layers. */
export interface ConvOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  groups?: number;
  bias?: boolean;
}
/** Options of the transposed convolution layers. */
export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: IntOrTuple;
}

const tuple = (v: IntOrTuple, d: number): number[] => (typeof v === 'number' ? new Array<number>(d).fill(v) : [...v]);

abstract class ConvBase extends Module {
  weight: MxArray;
  bias?: MxArray;
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly groups: number;
  constructor(name: string, d: number, inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvOptions) {
    super();
    const groups = o.groups ?? 1;
    if (inChannels % groups !== 0) throw new Error(`[${name}] The number of input channels (${inChannels}) must be divisible by the number of groups (${groups}).`);
    if (outChannels % groups !== 0) throw new Error(`[${name}] The number of output channels (${outChannels}) must be divisible by the number of groups (${groups}).`);
    const k = tuple(kernelSize, d);
    if (k.length !== d) throw new Error(`[${name}] kernelSize must have ${d} entries, got (${k.join(', ')}).`);
    const scale = Math.sqrt(1 / (inChannels * k.reduce((p, q) => p * q, 1)));
    this.weight = mx.random.uniform(-scale, scale, [outChannels, ...k, inChannels / groups]);
    if (o.bias ?? true) this.bias = mx.zeros([outChannels]);
    this.stride = tuple(o.stride ?? 1, d);
    this.padding = tuple(o.padding ?? 0, d);
    this.dilation = tuple(o.dilation ?? 1, d);
    this.groups = groups;
  }
  override extraRepr(): string {
    return `${this.weight.shape[this.weight.ndim - 1] * this.groups}, ${this.weight.shape[0]}, kernel_size=(${this.weight.shape.slice(1, -1).join(', ')}), stride=(${this.stride.join(', ')}), padding=(${this.padding.join(', ')}), dilation=(${this.dilation.join(', ')}), groups=${this.groups}, bias=${this.bias !== undefined}`;
  }
  protected addBias(y: MxArray): MxArray {
    return this.bias ? mx.add(y, this.bias) : y;
  }
}

abstract class ConvNd extends ConvBase {
  override forward(x: MxArray): MxArray {
    return this.addBias(convGeneral(x, this.weight, this.stride, this.padding, this.dilation, 1, this.groups));
  }
}

/**
 * 1-D convolution over [N, L, C_in]; weight [C_out, K, C_in / groups] initialised as
 * U(-k, k), k = 1/sqrt(C_in * K); bias zeros.
 * @example
 * const conv = new nn.Conv1d(4, 8, 3, { padding: 1 });
 * conv.forward(mx.ones([2, 16, 4])) // shape [2, 16, 8]
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 2-D convolution over [N, H, W, C_in]; weight [C_out, KH, KW, C_in / groups].
 * @example
 * const conv = new nn.Conv2d(3, 16, 3, { stride: 2, padding: 1 });
 * conv.forward(mx.ones([1, 32, 32, 3])) // shape [1, 16, 16, 16]
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 3-D convolution over [N, D, H, W, C_in]; weight [C_out, KD, KH, KW, C_in / groups].
 * @example
 * new nn.Conv3d(2, 4, 3).forward(mx.ones([1, 5, 5, 5, 2])) // shape [1, 3, 3, 3, 4]
 */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvOptions = {}) {
    super('Conv3d', 3, inChannels, outChannels, kernelSize, options);
  }
}

abstract class ConvTransposeNd extends ConvBase {
  readonly outputPadding: number[];
  private readonly fn: typeof convTranspose2d;
  constructor(name: string, d: number, inC: number, outC: number, k: IntOrTuple, o: ConvTransposeOptions) {
    super(name, d, inC, outC, k, o);
    this.outputPadding = tuple(o.outputPadding ?? 0, d);
    this.fn = (d === 1 ? convTranspose1d : d === 2 ? convTranspose2d : convTranspose3d) as typeof convTranspose2d;
  }
  override extraRepr(): string {
    return `${super.extraRepr()}, output_padding=(${this.outputPadding.join(', ')})`;
  }
  override forward(x: MxArray): MxArray {
    return this.addBias(this.fn(x, this.weight, this.stride, this.padding, this.dilation, this.outputPadding, this.groups));
  }
}

/**
 * 1-D transposed convolution over [N, L, C_in]; weight [C_out, K, C_in / groups].
 * @example
 * new nn.ConvTranspose1d(4, 2, 3, { stride: 2 }).forward(mx.ones([1, 8, 4])) // shape [1, 17, 2]
 */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvTransposeOptions = {}) {
    super('ConvTranspose1d', 1, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 2-D transposed convolution over [N, H, W, C_in]; weight [C_out, KH, KW, C_in / groups].
 * @example
 * new nn.ConvTranspose2d(8, 4, 3, { stride: 2, padding: 1, outputPadding: 1 }).forward(mx.ones([1, 4, 4, 8])) // [1, 8, 8, 4]
 */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvTransposeOptions = {}) {
    super('ConvTranspose2d', 2, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 3-D transposed convolution over [N, D, H, W, C_in]; weight [C_out, KD, KH, KW, C_in / groups].
 * @example
 * new nn.ConvTranspose3d(2, 2, 2, { stride: 2 }).forward(mx.ones([1, 2, 2, 2, 2])) // [1, 4, 4, 4, 2]
 */
export class ConvTranspose3d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvTransposeOptions = {}) {
    super('ConvTranspose3d', 3, inChannels, outChannels, kernelSize, options);
  }
}
