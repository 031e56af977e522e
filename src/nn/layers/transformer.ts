// MultiHeadAttention and the Transformer encoder/decoder stacks (MLX's layouts and names).
import * as mx from '../../index.ts';
import { Module } from '../module.ts';
import { relu } from '../activations.ts';
import { checkpoint as ckpt } from '../utils.ts';
import { Linear } from './linear.ts';
import { LayerNorm } from './norm.ts';
import { Dropout } from './dropout.ts';

type MxArray = mx.MxArray;
/** An attention mask: additive (float), boolean (true = attend), or 'causal'. */
export type AttentionMask = MxArray | 'causal' | null | undefined;

/**
 * softmax(q k^T * scale + mask) v over [B, H, L, D] inputs (MLX's
 * mx.fast.scaled_dot_product_attention, computed with ops; keys/values may have fewer
 * heads than the queries, grouped-query style).
 * @internal
 */
export function scaledDotProductAttention(q: MxArray, k: MxArray, v: MxArray, scale: number, mask?: AttentionMask): MxArray {
  const hq = q.shape[1], hk = k.shape[1];
  if (hq !== hk) {
    if (hq % hk !== 0) throw new Error(`[scaledDotProductAttention] ${hq} query heads are not a multiple of ${hk} key/value heads.`);
    k = mx.repeat(k, hq / hk, 1);
    v = mx.repeat(v, hq / hk, 1);
  }
  let s = mx.multiply(mx.matmul(q, mx.swapaxes(k, -1, -2)), scale);
  if (mask === 'causal') {
    const [L, S] = [q.shape[2], k.shape[2]];
    const keep = mx.greaterEqual(mx.reshape(mx.arange(S - L, S), [L, 1]), mx.reshape(mx.arange(0, S), [1, S]));
    s = mx.where(keep, s, mx.finfo(s.dtype).min);
  } else if (mask) {
    s = mask.dtype === mx.bool ? mx.where(mask, s, mx.finfo(s.dtype).min) : mx.add(s, mask);
  }
  return mx.matmul(mx.softmax(s, -1, true), v);
}

/** Options of MultiHeadAttention (input/output sizes default to `dims`). */
export interface MultiHeadAttentionOptions {
  queryInputDims?: number;
  keyInputDims?: number;
  valueInputDims?: number;
  valueDims?: number;
  valueOutputDims?: number;
  /** Biases in the projections (default false). */
  bias?: boolean;
}

/**
 * Multi-head attention with query/key/value/output projections (`query_proj`,
 * `key_proj`, `value_proj`, `out_proj`, as MLX). Inputs [N, L, D]; the mask is
 * additive or boolean, broadcast to [N, heads, L_q, L_k].
 * @example
 * const mha = new nn.MultiHeadAttention(16, 4);
 * const mask = nn.MultiHeadAttention.createAdditiveCausalMask(10);
 * mha.forward(x, x, x, mask) // x: [2, 10, 16] -> [2, 10, 16]
 */
export class MultiHeadAttention extends Module {
  readonly numHeads: number;
  query_proj: Linear;
  key_proj: Linear;
  value_proj: Linear;
  out_proj: Linear;
  constructor(dims: number, numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    if (dims % numHeads !== 0) throw new Error(`[MultiHeadAttention] The input feature dimensions should be divisible by the number of heads (${dims} % ${numHeads}) != 0.`);
    const qd = options.queryInputDims ?? dims;
    const kd = options.keyInputDims ?? dims;
    const vd = options.valueInputDims ?? kd;
    const vdims = options.valueDims ?? dims;
    const vout = options.valueOutputDims ?? dims;
    const bias = options.bias ?? false;
    this.numHeads = numHeads;
    this.query_proj = new Linear(qd, dims, { bias });
    this.key_proj = new Linear(kd, dims, { bias });
    this.value_proj = new Linear(vd, vdims, { bias });
    this.out_proj = new Linear(vdims, vout, { bias });
  }
  override forward(queries: MxArray, keys: MxArray, values: MxArray, mask?: AttentionMask): MxArray {
    const h = this.numHeads;
    const split = (x: MxArray) => mx.transpose(mx.reshape(x, [...x.shape.slice(0, -1), h, -1]), [0, 2, 1, 3]);
    const q = split(this.query_proj.forward(queries));
    const k = split(this.key_proj.forward(keys));
    const v = split(this.value_proj.forward(values));
    const o = scaledDotProductAttention(q, k, v, Math.sqrt(1 / q.shape[3]), mask);
    const t = mx.transpose(o, [0, 2, 1, 3]);
    return this.out_proj.forward(mx.reshape(t, [...t.shape.slice(0, -2), -1]));
  }
  /**
   * An additive causal mask [N, N]: 0 on and below the diagonal, the dtype's minimum above.
   * @example
   * nn.MultiHeadAttention.createAdditiveCausalMask(4)
   */
  static createAdditiveCausalMask(N: number, dtype: mx.DtypeLike = 'float32'): MxArray {
    const i = mx.arange(N);
    const m = mx.less(mx.reshape(i, [N, 1]), mx.reshape(i, [1, N]));
    return mx.multiply(mx.astype(m, dtype), mx.finfo(dtype).min);
  }
}

/** Options of the Transformer layers and stacks. */
export interface TransformerLayerOptions {
  /** Hidden size of the MLP (default 4 * dims). */
  mlpDims?: number;
  dropout?: number;
  activation?: (x: MxArray) => MxArray;
  /** Pre-norm (default true) or post-norm. */
  normFirst?: boolean;
}

/**
 * One encoder block: self-attention and an MLP, each with a residual and LayerNorm.
 * @example
 * new nn.TransformerEncoderLayer(16, 4).forward(x, null)
 */
export class TransformerEncoderLayer extends Module {
  attention: MultiHeadAttention;
  ln1: LayerNorm;
  ln2: LayerNorm;
  linear1: Linear;
  linear2: Linear;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly activation: (x: MxArray) => MxArray;
  readonly normFirst: boolean;
  constructor(dims: number, numHeads: number, options: TransformerLayerOptions = {}) {
    super();
    const mlp = options.mlpDims ?? dims * 4;
    this.attention = new MultiHeadAttention(dims, numHeads);
    this.ln1 = new LayerNorm(dims);
    this.ln2 = new LayerNorm(dims);
    this.linear1 = new Linear(dims, mlp);
    this.linear2 = new Linear(mlp, dims);
    this.dropout1 = new Dropout(options.dropout ?? 0);
    this.dropout2 = new Dropout(options.dropout ?? 0);
    this.activation = options.activation ?? relu;
    this.normFirst = options.normFirst ?? true;
  }
  override forward(x: MxArray, mask?: AttentionMask): MxArray {
    const mlp = (y: MxArray) => this.linear2.forward(this.dropout2.forward(this.activation(this.linear1.forward(y))));
    if (this.normFirst) {
      let y = this.ln1.forward(x);
      x = mx.add(x, this.dropout1.forward(this.attention.forward(y, y, y, mask)));
      y = this.ln2.forward(x);
      return mx.add(x, mlp(y));
    }
    x = this.ln1.forward(mx.add(x, this.dropout1.forward(this.attention.forward(x, x, x, mask))));
    return this.ln2.forward(mx.add(x, mlp(x)));
  }
}

/**
 * A stack of encoder layers followed by a LayerNorm (`layers`, `ln`).
 * @example
 * const enc = new nn.TransformerEncoder(2, 16, 4);
 * enc.forward(x, null)
 */
export class TransformerEncoder extends Module {
  layers: TransformerEncoderLayer[];
  ln: LayerNorm;
  readonly checkpoint: boolean;
  constructor(numLayers: number, dims: number, numHeads: number, options: TransformerLayerOptions & { checkpoint?: boolean } = {}) {
    super();
    this.layers = Array.from({ length: numLayers }, () => new TransformerEncoderLayer(dims, numHeads, options));
    this.ln = new LayerNorm(dims);
    this.checkpoint = options.checkpoint ?? false;
  }
  override forward(x: MxArray, mask?: AttentionMask): MxArray {
    for (const l of this.layers) {
      x = this.checkpoint ? ckpt(l, (y: MxArray) => l.forward(y, mask))(x) : l.forward(x, mask);
    }
    return this.ln.forward(x);
  }
}

/**
 * One decoder block: self-attention, cross-attention on `memory`, and an MLP.
 * @example
 * new nn.TransformerDecoderLayer(16, 4).forward(y, memory, causalMask, null)
 */
export class TransformerDecoderLayer extends Module {
  self_attention: MultiHeadAttention;
  cross_attention: MultiHeadAttention;
  ln1: LayerNorm;
  ln2: LayerNorm;
  ln3: LayerNorm;
  linear1: Linear;
  linear2: Linear;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  readonly activation: (x: MxArray) => MxArray;
  readonly normFirst: boolean;
  constructor(dims: number, numHeads: number, options: TransformerLayerOptions = {}) {
    super();
    const mlp = options.mlpDims ?? dims * 4;
    this.self_attention = new MultiHeadAttention(dims, numHeads);
    this.cross_attention = new MultiHeadAttention(dims, numHeads);
    this.ln1 = new LayerNorm(dims);
    this.ln2 = new LayerNorm(dims);
    this.ln3 = new LayerNorm(dims);
    this.linear1 = new Linear(dims, mlp);
    this.linear2 = new Linear(mlp, dims);
    this.dropout1 = new Dropout(options.dropout ?? 0);
    this.dropout2 = new Dropout(options.dropout ?? 0);
    this.dropout3 = new Dropout(options.dropout ?? 0);
    this.activation = options.activation ?? relu;
    this.normFirst = options.normFirst ?? true;
  }
  override forward(x: MxArray, memory: MxArray, xMask?: AttentionMask, memoryMask?: AttentionMask): MxArray {
    const mlp = (y: MxArray) => this.linear2.forward(this.dropout3.forward(this.activation(this.linear1.forward(y))));
    if (this.normFirst) {
      let y = this.ln1.forward(x);
      x = mx.add(x, this.dropout1.forward(this.self_attention.forward(y, y, y, xMask)));
      y = this.ln2.forward(x);
      x = mx.add(x, this.dropout2.forward(this.cross_attention.forward(y, memory, memory, memoryMask)));
      return mx.add(x, mlp(this.ln3.forward(x)));
    }
    x = this.ln1.forward(mx.add(x, this.dropout1.forward(this.self_attention.forward(x, x, x, xMask))));
    x = this.ln2.forward(mx.add(x, this.dropout2.forward(this.cross_attention.forward(x, memory, memory, memoryMask))));
    return this.ln3.forward(mx.add(x, mlp(x)));
  }
}

/**
 * A stack of decoder layers followed by a LayerNorm.
 * @example
 * new nn.TransformerDecoder(2, 16, 4).forward(y, memory, causalMask, null)
 */
export class TransformerDecoder extends Module {
  layers: TransformerDecoderLayer[];
  ln: LayerNorm;
  readonly checkpoint: boolean;
  constructor(numLayers: number, dims: number, numHeads: number, options: TransformerLayerOptions & { checkpoint?: boolean } = {}) {
    super();
    this.layers = Array.from({ length: numLayers }, () => new TransformerDecoderLayer(dims, numHeads, options));
    this.ln = new LayerNorm(dims);
    this.checkpoint = options.checkpoint ?? false;
  }
  override forward(x: MxArray, memory: MxArray, xMask?: AttentionMask, memoryMask?: AttentionMask): MxArray {
    for (const l of this.layers) {
      x = this.checkpoint ? ckpt(l, (y: MxArray, m: MxArray) => l.forward(y, m, xMask, memoryMask))(x, memory) : l.forward(x, memory, xMask, memoryMask);
    }
    return this.ln.forward(x);
  }
}

/** Options of Transformer (MLX's defaults: 512 dims, 8 heads, 6 + 6 layers). */
export interface TransformerOptions extends TransformerLayerOptions {
  dims?: number;
  numHeads?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  customEncoder?: Module;
  customDecoder?: Module;
  checkpoint?: boolean;
}

/**
 * Encoder-decoder Transformer: forward(src, tgt, srcMask, tgtMask, memoryMask).
 * @example
 * const t = new nn.Transformer({ dims: 16, numHeads: 4, numEncoderLayers: 1, numDecoderLayers: 1 });
 * t.forward(src, tgt, null, nn.MultiHeadAttention.createAdditiveCausalMask(tgt.shape[1]), null)
 */
export class Transformer extends Module {
  encoder: Module;
  decoder: Module;
  constructor(options: TransformerOptions = {}) {
    super();
    const { dims = 512, numHeads = 8, numEncoderLayers = 6, numDecoderLayers = 6 } = options;
    this.encoder = options.customEncoder ?? new TransformerEncoder(numEncoderLayers, dims, numHeads, options);
    this.decoder = options.customDecoder ?? new TransformerDecoder(numDecoderLayers, dims, numHeads, options);
  }
  override forward(src: MxArray, tgt: MxArray, srcMask?: AttentionMask, tgtMask?: AttentionMask, memoryMask?: AttentionMask): MxArray {
    const memory = this.encoder.forward(src, srcMask) as MxArray;
    return this.decoder.forward(tgt, memory, tgtMask, memoryMask) as MxArray;
  }
}
