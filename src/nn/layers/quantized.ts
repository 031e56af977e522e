// QuantizedLinear, QuantizedEmbedding and nn.quantize, as mlx.nn: parameter names
// (weight, scales, biases, bias) match MLX's so mlx-community checkpoints load unchanged.
import * as mx from '../../index.ts';
import { Module, type ParamTree } from '../module.ts';
import { Embedding, Linear } from './linear.ts';

type MxArray = mx.MxArray;

/** Quantization settings of a layer (MLX's defaults: affine 64/4, mxfp4 32/4). */
export interface QuantizeConfig {
  groupSize?: number | null;
  bits?: number | null;
  mode?: mx.QuantMode;
}

function defaults(c: QuantizeConfig): { groupSize: number; bits: number; mode: mx.QuantMode } {
  const mode = c.mode ?? 'affine';
  if (mode !== 'affine' && mode !== 'mxfp4') throw new Error(`[nn.quantize] Invalid quantization mode '${mode}'. Valid modes are: affine, mxfp4.`);
  const [g, b] = mode === 'affine' ? [64, 4] : [32, 4];
  return { groupSize: c.groupSize ?? g, bits: c.bits ?? b, mode };
}

/**
 * A Linear layer with a quantized weight (frozen; gradients still flow to the input, so
 * adapters trained around it work). `fromLinear` converts a Linear.
 * @example
 * const q = nn.QuantizedLinear.fromLinear(new nn.Linear(128, 64), { bits: 4 });
 * q.forward(mx.ones([2, 128])) // shape [2, 64]
 */
export class QuantizedLinear extends Module {
  weight: MxArray;
  scales: MxArray;
  biases?: MxArray;
  bias?: MxArray;
  readonly groupSize: number;
  readonly bits: number;
  readonly mode: mx.QuantMode;

  constructor(inputDims: number, outputDims: number, options: QuantizeConfig & { bias?: boolean } = {}) {
    super();
    const d = defaults(options);
    this.groupSize = d.groupSize;
    this.bits = d.bits;
    this.mode = d.mode;
    const scale = Math.sqrt(1 / inputDims);
    const w = mx.random.uniform(-scale, scale, [outputDims, inputDims]);
    [this.weight, this.scales, this.biases] = mx.quantize(w, this.groupSize, this.bits, this.mode);
    if (!this.biases) delete this.biases;
    if (options.bias ?? true) this.bias = mx.zeros([outputDims]);
    this.freeze();
  }

  /**
   * The quantized form of a Linear layer (its bias is kept as is).
   * @example
   * const q = nn.QuantizedLinear.fromLinear(lin, { groupSize: 32, bits: 8 });
   */
  static fromLinear(linear: Linear, config: QuantizeConfig = {}): QuantizedLinear {
    const [out, inp] = linear.weight.shape;
    const q = new QuantizedLinear(inp, out, { ...config, bias: false });
    [q.weight, q.scales, q.biases] = mx.quantize(linear.weight, q.groupSize, q.bits, q.mode);
    if (!q.biases) delete q.biases;
    if (linear.bias) q.bias = linear.bias;
    return q;
  }

  override extraRepr(): string {
    const [out, words] = this.weight.shape;
    return `input_dims=${(words * 32) / this.bits}, output_dims=${out}, bias=${this.bias !== undefined}, group_size=${this.groupSize}, bits=${this.bits}, mode=${this.mode}`;
  }

  override forward(x: MxArray): MxArray {
    const y = mx.quantizedMatmul(x, this.weight, this.scales, this.biases ?? null, true, this.groupSize, this.bits, this.mode);
    return this.bias ? mx.add(y, this.bias) : y;
  }
}

/**
 * An Embedding with a quantized table; `asLinear` uses it as a tied output projection.
 * @example
 * const e = nn.QuantizedEmbedding.fromEmbedding(new nn.Embedding(1000, 64));
 * e.forward(mx.array([[1, 2]])) // shape [1, 2, 64]
 */
export class QuantizedEmbedding extends Module {
  weight: MxArray;
  scales: MxArray;
  biases?: MxArray;
  readonly groupSize: number;
  readonly bits: number;
  readonly mode: mx.QuantMode;
  readonly numEmbeddings: number;
  readonly dims: number;

  constructor(numEmbeddings: number, dims: number, config: QuantizeConfig = {}) {
    super();
    const d = defaults(config);
    this.groupSize = d.groupSize;
    this.bits = d.bits;
    this.mode = d.mode;
    this.numEmbeddings = numEmbeddings;
    this.dims = dims;
    const w = mx.random.normal([numEmbeddings, dims], 'float32', 0, Math.sqrt(1 / dims));
    [this.weight, this.scales, this.biases] = mx.quantize(w, this.groupSize, this.bits, this.mode);
    if (!this.biases) delete this.biases;
    this.freeze();
  }

  /**
   * The quantized form of an Embedding layer.
   * @example
   * const q = nn.QuantizedEmbedding.fromEmbedding(emb, { bits: 8 });
   */
  static fromEmbedding(embedding: Embedding, config: QuantizeConfig = {}): QuantizedEmbedding {
    const [n, dims] = embedding.weight.shape;
    const q = new QuantizedEmbedding(n, dims, config);
    [q.weight, q.scales, q.biases] = mx.quantize(embedding.weight, q.groupSize, q.bits, q.mode);
    if (!q.biases) delete q.biases;
    return q;
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.dims}, group_size=${this.groupSize}, bits=${this.bits}, mode=${this.mode}`;
  }

  override forward(x: MxArray): MxArray {
    const rows = (a: MxArray) => mx.take(a, x, 0);
    return mx.dequantize(rows(this.weight), rows(this.scales), this.biases ? rows(this.biases) : null, this.groupSize, this.bits, this.mode);
  }

  /**
   * x @ table^T with the quantized table (tied input embedding and output head).
   * @example
   * const logits = emb.asLinear(hidden);
   */
  asLinear(x: MxArray): MxArray {
    return mx.quantizedMatmul(x, this.weight, this.scales, this.biases ?? null, true, this.groupSize, this.bits, this.mode);
  }
}

/** Options of nn.quantize. */
export interface QuantizeModelOptions extends QuantizeConfig {
  /** Which leaf modules to quantize (true, false, or the settings for that module). */
  classPredicate?: (path: string, module: Module) => boolean | QuantizeConfig;
}

/** The quantized form of a module, or null if it has none. */
function toQuantized(m: Module, c: QuantizeConfig): Module | null {
  const own = (m as unknown as { toQuantized?: (c: QuantizeConfig) => Module }).toQuantized;
  if (typeof own === 'function') return own.call(m, c);
  if (m instanceof Linear) return QuantizedLinear.fromLinear(m, c);
  if (m instanceof Embedding) return QuantizedEmbedding.fromEmbedding(m, c);
  return null;
}

const quantizable = (m: Module): boolean =>
  m instanceof Linear || m instanceof Embedding || typeof (m as unknown as { toQuantized?: unknown }).toQuantized === 'function';

/**
 * Replaces the model's Linear and Embedding leaves (or those `classPredicate` picks) by
 * their quantized forms, in place, as mlx.nn.quantize.
 * @example
 * nn.quantize(model, { groupSize: 64, bits: 4 });
 * nn.quantize(model, { bits: 8, classPredicate: (path, m) => m instanceof nn.Linear && !path.startsWith('head') });
 */
export function quantize(model: Module, options: QuantizeModelOptions = {}): Module {
  const { classPredicate = (_p: string, m: Module) => quantizable(m), ...config } = options;
  const leaves = model.leafModules();
  const mapped = mx.treeMapWithPath((path: string, m: unknown) => {
    if (!(m instanceof Module)) return m;
    const pick = classPredicate(path, m);
    if (pick === false) return m;
    if (pick !== true && (typeof pick !== 'object' || pick === null)) {
      throw new Error('[nn.quantize] classPredicate must return a boolean or an object of quantization settings.');
    }
    const q = toQuantized(m, pick === true ? config : pick);
    if (!q) throw new Error(`[nn.quantize] Unable to quantize model of type ${m.constructor.name} (at '${path}').`);
    return q;
  }, leaves, [], (x) => x instanceof Module);
  model.updateModules(mapped as ParamTree);
  return model;
}
