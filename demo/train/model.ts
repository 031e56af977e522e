// A small character-level GPT: token + learned position embeddings, pre-norm blocks of
// causal self-attention and a GELU MLP, a final LayerNorm, and a tied or untied head.
// Parameter names follow Hugging Face's llama layout where the parts match
// (embed_tokens, layers.i.self_attn.q_proj, mlp.up_proj, norm, lm_head), so a later
// exporter can map them one to one; see `hfNames` below.
import * as mx from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';

type MxArray = mx.MxArray;

export interface GPTConfig {
  vocabSize: number;
  /** Longest sequence the position table covers. */
  contextLength: number;
  dims: number;
  numHeads: number;
  numLayers: number;
  /** Hidden size of the MLP (default 4 * dims). */
  mlpDims?: number;
  /** Use the token embedding as the output projection (no lm_head). */
  tieEmbeddings?: boolean;
}

/** Model and batch sizes of a run. */
export interface RunConfig {
  model: Omit<GPTConfig, 'vocabSize'>;
  batchSize: number;
}

/** For software GPUs (SwiftShader, llvmpipe) and the page's quick start. */
export const TINY: RunConfig = { model: { contextLength: 32, dims: 32, numHeads: 2, numLayers: 1 }, batchSize: 8 };
/** The default: 2 layers, 64 dims, context 64, batch 16. */
export const SMALL: RunConfig = { model: { contextLength: 64, dims: 64, numHeads: 4, numLayers: 2 }, batchSize: 16 };
/** For a real GPU (the H100). */
export const BIG: RunConfig = { model: { contextLength: 128, dims: 256, numHeads: 8, numLayers: 6 }, batchSize: 64 };

/** 0 on and below the diagonal, a large negative number above: [T, T]. */
const masks = new Map<string, MxArray>();
export function causalMask(T: number): MxArray {
  const key = `${T}:${mx.defaultDevice().type}`;
  let m = masks.get(key);
  if (!m) {
    const i = mx.arange(T);
    m = mx.multiply(mx.astype(mx.less(mx.reshape(i, [T, 1]), mx.reshape(i, [1, T])), mx.float32), -1e9);
    masks.set(key, m);
  }
  return m;
}

export class Attention extends nn.Module {
  q_proj: nn.Linear;
  k_proj: nn.Linear;
  v_proj: nn.Linear;
  o_proj: nn.Linear;
  readonly numHeads: number;
  constructor(dims: number, numHeads: number) {
    super();
    if (dims % numHeads !== 0) throw new Error(`dims ${dims} is not a multiple of numHeads ${numHeads}`);
    this.numHeads = numHeads;
    this.q_proj = new nn.Linear(dims, dims, { bias: false });
    this.k_proj = new nn.Linear(dims, dims, { bias: false });
    this.v_proj = new nn.Linear(dims, dims, { bias: false });
    this.o_proj = new nn.Linear(dims, dims, { bias: false });
  }
  override forward(x: MxArray, mask: MxArray): MxArray {
    const [B, T, C] = x.shape;
    const H = this.numHeads, D = C / H;
    const heads = (y: MxArray) => mx.transpose(mx.reshape(y, [B, T, H, D]), [0, 2, 1, 3]);
    const q = heads(this.q_proj.forward(x));
    const k = heads(this.k_proj.forward(x));
    const v = heads(this.v_proj.forward(x));
    const scores = mx.add(mx.multiply(mx.matmul(q, mx.swapaxes(k, -1, -2)), 1 / Math.sqrt(D)), mask);
    const o = mx.matmul(mx.softmax(scores, -1, true), v); // [B, H, T, D]
    return this.o_proj.forward(mx.reshape(mx.transpose(o, [0, 2, 1, 3]), [B, T, C]));
  }
}

export class MLP extends nn.Module {
  up_proj: nn.Linear;
  down_proj: nn.Linear;
  constructor(dims: number, hidden: number) {
    super();
    this.up_proj = new nn.Linear(dims, hidden);
    this.down_proj = new nn.Linear(hidden, dims);
  }
  override forward(x: MxArray): MxArray {
    return this.down_proj.forward(nn.gelu(this.up_proj.forward(x)));
  }
}

export class Block extends nn.Module {
  input_layernorm: nn.LayerNorm;
  self_attn: Attention;
  post_attention_layernorm: nn.LayerNorm;
  mlp: MLP;
  constructor(dims: number, numHeads: number, mlpDims: number) {
    super();
    this.input_layernorm = new nn.LayerNorm(dims);
    this.self_attn = new Attention(dims, numHeads);
    this.post_attention_layernorm = new nn.LayerNorm(dims);
    this.mlp = new MLP(dims, mlpDims);
  }
  override forward(x: MxArray, mask: MxArray): MxArray {
    x = mx.add(x, this.self_attn.forward(this.input_layernorm.forward(x), mask));
    return mx.add(x, this.mlp.forward(this.post_attention_layernorm.forward(x)));
  }
}

/**
 * forward(tokens [B, T] int32) -> logits [B, T, vocab].
 * @example
 * const gpt = new GPT({ vocabSize: 65, contextLength: 64, dims: 64, numHeads: 4, numLayers: 2 });
 * const logits = gpt.forward(mx.zeros([1, 8], mx.int32));
 */
export class GPT extends nn.Module {
  embed_tokens: nn.Embedding;
  embed_positions: nn.Embedding;
  layers: Block[];
  norm: nn.LayerNorm;
  lm_head?: nn.Linear;
  readonly config: GPTConfig;
  constructor(config: GPTConfig) {
    super();
    this.config = { ...config, mlpDims: config.mlpDims ?? 4 * config.dims, tieEmbeddings: config.tieEmbeddings ?? false };
    const { vocabSize, contextLength, dims, numHeads, numLayers } = config;
    this.embed_tokens = new nn.Embedding(vocabSize, dims);
    this.embed_positions = new nn.Embedding(contextLength, dims);
    this.layers = Array.from({ length: numLayers }, () => new Block(dims, numHeads, this.config.mlpDims!));
    this.norm = new nn.LayerNorm(dims);
    if (!this.config.tieEmbeddings) this.lm_head = new nn.Linear(dims, vocabSize, { bias: false });
  }
  override forward(tokens: MxArray): MxArray {
    const T = tokens.shape[1];
    if (T > this.config.contextLength) throw new Error(`sequence of ${T} is longer than the context (${this.config.contextLength})`);
    let x = mx.add(this.embed_tokens.forward(tokens), this.embed_positions.forward(mx.arange(T)));
    const mask = causalMask(T);
    for (const l of this.layers) x = l.forward(x, mask);
    x = this.norm.forward(x);
    return this.lm_head ? this.lm_head.forward(x) : this.embed_tokens.asLinear(x);
  }
  /** Number of scalar parameters. */
  numParams(): number {
    return Object.values(this.saveWeights()).reduce((n, a) => n + a.size, 0);
  }
}

/** Mean next-token cross entropy of logits [B, T, V] against targets [B, T]. */
export function lmLoss(model: GPT, x: MxArray, y: MxArray): MxArray {
  return nn.losses.crossEntropy(model.forward(x), y, { reduction: 'mean' });
}

/**
 * The Hugging Face name of each saved parameter (prefix `model.` and the llama layout;
 * embed_positions has no llama counterpart and keeps its name, GPT-2 would call it wpe).
 * @example
 * hfNames(model) // { 'layers.0.self_attn.q_proj.weight': 'model.layers.0.self_attn.q_proj.weight', ... }
 */
export function hfNames(model: GPT): Record<string, string> {
  return Object.fromEntries(Object.keys(model.saveWeights()).map((k) => [k, k.startsWith('lm_head') ? k : `model.${k}`]));
}

/** A config.json in Hugging Face's vocabulary plus what this model needs. */
export function hfConfig(model: GPT, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const c = model.config;
  return {
    model_type: 'webmlx-char-gpt',
    vocab_size: c.vocabSize,
    max_position_embeddings: c.contextLength,
    hidden_size: c.dims,
    num_attention_heads: c.numHeads,
    num_hidden_layers: c.numLayers,
    intermediate_size: c.mlpDims,
    hidden_act: 'gelu',
    layer_norm_eps: 1e-5,
    tie_word_embeddings: c.tieEmbeddings,
    position_embedding_type: 'learned',
    attention_bias: false,
    ...extra,
  };
}
