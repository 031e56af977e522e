// Normalization layers: LayerNorm, RMSNorm, GroupNorm, InstanceNorm and BatchNorm.
import * as mx from '../../index.ts';
import { Module, type FreezeOptions } from '../module.ts';

type MxArray = mx.MxArray;

/** The dtype statistics are computed in: float32, or float64 for float64 inputs. */
const accum = (d: mx.Dtype): mx.Dtype => (d === mx.float64 ? mx.float64 : mx.float32);

function checkEps(name: string, eps: number): void {
  if (!(eps > 0)) throw new Error(`[${name}] 'eps' must be positive but got ${eps}.`);
}

/**
 * (x - mean) / sqrt(var + eps) over the last axis, computed in float32 and cast back,
 * then optionally scaled and shifted (MLX's mx.fast.layer_norm).
 * @internal
 */
export function layerNorm(x: MxArray, weight: MxArray | undefined, bias: MxArray | undefined, eps: number): MxArray {
  return mx.fast.layerNorm(x, weight ?? null, bias ?? null, eps);
}

/**
 * x / sqrt(mean(x^2) + eps) over the last axis, times weight (MLX's mx.fast.rms_norm).
 * @internal
 */
export function rmsNorm(x: MxArray, weight: MxArray, eps: number): MxArray {
  return mx.fast.rmsNorm(x, weight, eps);
}

/**
 * Layer normalization over the last axis with optional learned scale (ones) and bias (zeros).
 * @example
 * new nn.LayerNorm(8).forward(mx.random.normal([2, 8]))
 */
export class LayerNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  readonly dims: number;
  readonly eps: number;
  constructor(dims: number, options: { eps?: number; affine?: boolean; bias?: boolean } = {}) {
    super();
    const { eps = 1e-5, affine = true, bias = true } = options;
    checkEps('LayerNorm', eps);
    if (affine) {
      this.weight = mx.ones([dims]);
      if (bias) this.bias = mx.zeros([dims]);
    }
    this.dims = dims;
    this.eps = eps;
  }
  override extraRepr(): string {
    return `${this.dims}, eps=${this.eps}, affine=${this.weight !== undefined}`;
  }
  override forward(x: MxArray): MxArray {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/**
 * Root-mean-square normalization over the last axis with a learned scale (ones).
 * @example
 * new nn.RMSNorm(8).forward(x)
 */
export class RMSNorm extends Module {
  weight: MxArray;
  readonly eps: number;
  constructor(dims: number, options: { eps?: number } = {}) {
    super();
    const { eps = 1e-5 } = options;
    checkEps('RMSNorm', eps);
    this.weight = mx.ones([dims]);
    this.eps = eps;
  }
  override extraRepr(): string {
    return `${this.weight.shape[0]}, eps=${this.eps}`;
  }
  override forward(x: MxArray): MxArray {
    return rmsNorm(x, this.weight, this.eps);
  }
}

/**
 * Group normalization of [N, ..., C]: statistics over the spatial axes and the channels
 * of each of `numGroups` groups. MLX's default groups channels with stride numGroups;
 * `pytorchCompatible` uses contiguous groups as PyTorch does.
 * @example
 * new nn.GroupNorm(2, 8).forward(mx.random.normal([2, 4, 4, 8]))
 */
export class GroupNorm extends Module {
  bias?: MxArray;
  weight?: MxArray;
  readonly numGroups: number;
  readonly dims: number;
  readonly eps: number;
  readonly pytorchCompatible: boolean;
  constructor(numGroups: number, dims: number, options: { eps?: number; affine?: boolean; pytorchCompatible?: boolean } = {}) {
    super();
    const { eps = 1e-5, affine = true, pytorchCompatible = false } = options;
    checkEps('GroupNorm', eps);
    if (!(numGroups > 0) || !Number.isInteger(numGroups)) throw new Error(`[GroupNorm] The number of groups (${numGroups}) must be a positive integer.`);
    if (!(dims > 0) || !Number.isInteger(dims)) throw new Error(`[GroupNorm] The number of features (${dims}) must be a positive integer.`);
    if (dims % numGroups !== 0) throw new Error(`[GroupNorm] The number of features (${dims}) must be evenly divisible by the number of groups (${numGroups}).`);
    if (affine) {
      this.bias = mx.zeros([dims]);
      this.weight = mx.ones([dims]);
    }
    this.numGroups = numGroups;
    this.dims = dims;
    this.eps = eps;
    this.pytorchCompatible = pytorchCompatible;
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.dims}, eps=${this.eps}, affine=${this.weight !== undefined}, pytorch_compatible=${this.pytorchCompatible}`;
  }
  override forward(x: MxArray): MxArray {
    const g = this.numGroups;
    const [batch, ...rest] = x.shape;
    const dims = rest.pop()!;
    let y: MxArray;
    if (this.pytorchCompatible) {
      const gs = dims / g;
      let t = mx.transpose(mx.reshape(x, [batch, -1, g, gs]), [0, 2, 1, 3]);
      t = layerNorm(mx.reshape(t, [batch, g, -1]), undefined, undefined, this.eps);
      y = mx.reshape(mx.transpose(mx.reshape(t, [batch, g, -1, gs]), [0, 2, 1, 3]), [batch, ...rest, dims]);
    } else {
      const t = mx.reshape(x, [batch, -1, g]);
      const mu = mx.mean(t, 1, true), v = mx.var(t, 1, true);
      y = mx.reshape(mx.multiply(mx.subtract(t, mu), mx.rsqrt(mx.add(v, this.eps))), [batch, ...rest, dims]);
    }
    return this.weight ? mx.add(mx.multiply(this.weight, y), this.bias!) : y;
  }
}

/**
 * Instance normalization of [N, ..., C]: each sample's channels over the spatial axes.
 * @example
 * new nn.InstanceNorm(4, { affine: true }).forward(mx.random.normal([2, 5, 5, 4]))
 */
export class InstanceNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  readonly dims: number;
  readonly eps: number;
  constructor(dims: number, options: { eps?: number; affine?: boolean } = {}) {
    super();
    const { eps = 1e-5, affine = false } = options;
    checkEps('InstanceNorm', eps);
    if (affine) {
      this.weight = mx.ones([dims]);
      this.bias = mx.zeros([dims]);
    }
    this.dims = dims;
    this.eps = eps;
  }
  override extraRepr(): string {
    return `${this.dims}, eps=${this.eps}, affine=${this.weight !== undefined}`;
  }
  override forward(x: MxArray): MxArray {
    if (x.ndim < 3) throw new Error(`[InstanceNorm] InstanceNorm expects inputs with at least 3 dimensions (N, ..., C) but the input has ${x.ndim} dimensions.`);
    const [batch, ...rest] = x.shape;
    const c = rest.pop()!;
    const cf = mx.transpose(x, [0, x.ndim - 1, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 1)]);
    const n = layerNorm(mx.reshape(cf, [batch, c, -1]), undefined, undefined, this.eps);
    const y = mx.transpose(mx.reshape(n, [batch, c, ...rest]), [0, ...Array.from({ length: rest.length }, (_, i) => i + 2), 1]);
    return this.weight ? mx.add(mx.multiply(this.weight, y), this.bias!) : y;
  }
}

/**
 * Batch normalization of [N, C], [N, L, C] or [N, H, W, C] over all axes but the last.
 * In training mode it uses the batch statistics and updates `running_mean` /
 * `running_var` (unbiased variance) with `momentum`; in eval mode it uses the running
 * statistics. The running statistics are frozen (never trained).
 * @example
 * const bn = new nn.BatchNorm(8);
 * bn.forward(x); bn.eval(); bn.forward(x);
 */
export class BatchNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  running_mean?: MxArray;
  running_var?: MxArray;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly trackRunningStats: boolean;
  constructor(numFeatures: number, options: { eps?: number; momentum?: number; affine?: boolean; trackRunningStats?: boolean } = {}) {
    super();
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = options;
    checkEps('BatchNorm', eps);
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.trackRunningStats = trackRunningStats;
    if (affine) {
      this.weight = mx.ones([numFeatures]);
      this.bias = mx.zeros([numFeatures]);
    }
    if (trackRunningStats) {
      this.running_mean = mx.zeros([numFeatures]);
      this.running_var = mx.ones([numFeatures]);
      this.freeze({ keys: ['running_mean', 'running_var'], recurse: false });
    }
  }
  /** Unfreezes like Module.unfreeze but keeps the running statistics frozen. @example bn.unfreeze() */
  override unfreeze(options: FreezeOptions = {}): this {
    super.unfreeze(options);
    if (this.trackRunningStats) this.freeze({ keys: ['running_mean', 'running_var'], recurse: false });
    return this;
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== undefined}, track_running_stats=${this.trackRunningStats}`;
  }
  override forward(x: MxArray): MxArray {
    if (x.ndim < 2 || x.ndim > 4) throw new Error(`[BatchNorm] Expected input tensor to have 2, 3 or 4 dimensions, but got ${x.ndim}.`);
    const axes = Array.from({ length: x.ndim - 1 }, (_, i) => i);
    if (this.training && x.shape.slice(0, -1).reduce((p, q) => p * q, 1) === 1) throw new Error('[BatchNorm] BatchNorm training requires more than one value per channel.');
    let mean = mx.mean(x, axes);
    let v = mx.var(x, axes);
    if (this.training && this.trackRunningStats) {
      const mu = this.momentum;
      this.running_mean = mx.add(mx.multiply(this.running_mean!, 1 - mu), mx.multiply(mean, mu));
      this.running_var = mx.add(mx.multiply(this.running_var!, 1 - mu), mx.multiply(mx.var(x, axes, false, 1), mu));
    } else if (this.trackRunningStats) {
      mean = this.running_mean!;
      v = this.running_var!;
    }
    const y = mx.multiply(mx.subtract(x, mean), mx.rsqrt(mx.add(v, this.eps)));
    return this.weight ? mx.add(mx.multiply(this.weight, y), this.bias!) : y;
  }
}
