// Shared transformer blocks for the decoder-only architectures: normalized arguments,
// attention (GQA, KV cache, RoPE, q/k norms, biases, sliding window, soft-capping), MLPs,
// norms, and the causal LM wrapper. Whether mx.fast kernels are used is decided here only.
import * as mx from '../../index.ts';
import * as nn from '../../nn/index.ts';
import { KVCache, type Cache } from '../cache.ts';
import { ropeFrequencies, ropeSpec, type RopeSpec } from '../rope.ts';

type MxArray = mx.MxArray;
export type Config = Record<string, any>;

/** Everything the shared blocks need, read from a config.json by each architecture. */
export interface ModelArgs {
  modelType: string;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  normEps: number;
  tieEmbeddings: boolean;
  /** Bias on q/k/v projections; `oBias` on the output projection; `mlpBias` on the MLP. */
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  act: 'silu' | 'gelu' | 'gelu_tanh';
  mlp: 'gated' | 'fused_gated' | 'plain';
  qkv: 'separate' | 'fused';
  /** q/k RMSNorm per head ('head'), over the whole projection ('full'), or none. */
  qkNorm: 'none' | 'head' | 'full';
  /** rms: w * x̂; rms1p: (1 + w) * x̂ (gemma); layer: LayerNorm with bias. */
  norm: 'rms' | 'rms1p' | 'layer';
  /** pre: llama; sandwich: gemma2/3 (norms before and after); post: olmo2 (after only). */
  layout: 'pre' | 'sandwich' | 'post';
  embedScale: boolean;
  attnSoftcap?: number;
  finalSoftcap?: number;
  /** softmax scale = queryScale^-0.5 (head_dim by default). */
  queryScale: number;
  /** Per layer: a sliding window size, or 0 for full attention. */
  windows: number[];
  /** Per layer: the rope spec, or null for a layer without rope (smollm3). */
  ropes: (RopeSpec | null)[];
  /** llama2.c rotates adjacent pairs; Hugging Face rotates halves. */
  ropeTraditional: boolean;
}

const need = (c: Config, key: string): number => {
  const v = c[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`[loadModel] config.json: '${key}' must be a number, got ${JSON.stringify(v)}.`);
  return v;
};

/**
 * Llama-style defaults from a config; each architecture overrides what differs.
 * @example
 * const args = baseArgs(config, { qkvBias: true });
 */
export function baseArgs(c: Config, over: Partial<ModelArgs> = {}): ModelArgs {
  const hiddenSize = need(c, 'hidden_size');
  const numHeads = need(c, 'num_attention_heads');
  const numLayers = need(c, 'num_hidden_layers');
  const headDim = typeof c.head_dim === 'number' ? c.head_dim : hiddenSize / numHeads;
  const numKvHeads = typeof c.num_key_value_heads === 'number' ? c.num_key_value_heads : numHeads;
  if (numHeads % numKvHeads !== 0) throw new Error(`[loadModel] num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads}).`);
  const act = String(c.hidden_activation ?? c.hidden_act ?? 'silu');
  const spec = ropeSpec(c, headDim);
  const args: ModelArgs = {
    modelType: String(c.model_type), hiddenSize, numLayers, numHeads, numKvHeads, headDim,
    intermediateSize: need(c, 'intermediate_size'), vocabSize: need(c, 'vocab_size'),
    normEps: Number(c.rms_norm_eps ?? c.layer_norm_eps ?? c.norm_epsilon ?? 1e-6),
    tieEmbeddings: Boolean(c.tie_word_embeddings ?? false),
    qkvBias: Boolean(c.attention_bias ?? false), oBias: Boolean(c.attention_bias ?? false), mlpBias: Boolean(c.mlp_bias ?? false),
    act: act === 'silu' || act === 'swish' ? 'silu' : act === 'gelu' ? 'gelu' : act.startsWith('gelu') ? 'gelu_tanh' : badAct(act),
    mlp: 'gated', qkv: 'separate', qkNorm: 'none', norm: 'rms', layout: 'pre', embedScale: false,
    queryScale: headDim, windows: Array(numLayers).fill(0), ropes: Array(numLayers).fill(spec), ropeTraditional: Boolean(c.rope_traditional ?? false),
  };
  return { ...args, ...over };
}

function badAct(a: string): never {
  throw new Error(`[loadModel] Unsupported hidden_act '${a}'; supported: silu, gelu, gelu_pytorch_tanh.`);
}

/** Per-layer sliding windows from `layer_types` (or a pattern function). */
export function layerWindows(c: Config, n: number, isSliding: (i: number) => boolean): number[] {
  const w = typeof c.sliding_window === 'number' ? c.sliding_window : 0;
  const types = Array.isArray(c.layer_types) ? (c.layer_types as string[]) : null;
  return Array.from({ length: n }, (_, i) => ((types ? types[i] === 'sliding_attention' : isSliding(i)) ? w : 0));
}

// ---- the one place that picks fast kernels or composites ----

// Set to false to run the composites below instead of mx.fast (for debugging).
const USE_FAST = true;
const fast = USE_FAST ? mx.fast : undefined;

function rms(x: MxArray, w: MxArray, eps: number, onePlus: boolean): MxArray {
  if (!onePlus && fast) return fast.rmsNorm(x, w, eps);
  const xf = mx.astype(x, mx.float32);
  const y = mx.multiply(xf, mx.rsqrt(mx.add(mx.mean(mx.square(xf), -1, true), eps)));
  if (onePlus) return mx.astype(mx.multiply(y, mx.add(mx.astype(w, mx.float32), 1)), x.dtype);
  return mx.multiply(w, mx.astype(y, x.dtype));
}

/** RMSNorm with `w * x̂` (Llama) or `(1 + w) * x̂` (Gemma) scaling. */
export class Norm extends nn.Module {
  weight: MxArray;
  bias?: MxArray;
  constructor(dims: number, readonly eps: number, readonly kind: ModelArgs['norm']) {
    super();
    this.weight = kind === 'rms1p' ? mx.zeros([dims]) : mx.ones([dims]);
    if (kind === 'layer') this.bias = mx.zeros([dims]);
  }
  override forward(x: MxArray): MxArray {
    if (this.kind === 'layer') {
      const xf = mx.astype(x, mx.float32);
      const mu = mx.mean(xf, -1, true);
      const y = mx.astype(mx.multiply(mx.subtract(xf, mu), mx.rsqrt(mx.add(mx.var(xf, -1, true), this.eps))), x.dtype);
      return mx.add(mx.multiply(y, this.weight), this.bias!);
    }
    return rms(x, this.weight, this.eps, this.kind === 'rms1p');
  }
}

/** Rotates the first dims features of x [B, H, L, D] at positions offset.. (halves or pairs). */
export function applyRope(x: MxArray, invFreq: MxArray, offset: number | MxArray, scale: number, traditional: boolean, freqs?: MxArray): MxArray {
  const L = x.shape[2], D = x.shape[3], half = invFreq.shape[0], dims = half * 2;
  if (fast && (scale === 1 || dims === D)) {
    const y = fast.rope(x, dims, { traditional, offset, freqs: freqs ?? mx.reciprocal(invFreq) });
    return scale === 1 ? y : mx.multiply(y, mx.astype(mx.array(scale), y.dtype));
  }
  const pos = mx.add(mx.arange(0, L, 1, mx.float32), offset);
  const theta = mx.multiply(mx.reshape(pos, [L, 1]), mx.reshape(invFreq, [1, half]));
  let cos = mx.cos(theta), sin = mx.sin(theta);
  if (scale !== 1) { cos = mx.multiply(cos, scale); sin = mx.multiply(sin, scale); }
  cos = mx.astype(cos, x.dtype);
  sin = mx.astype(sin, x.dtype);
  const rest = dims < D ? [mx.sliceAxes(x, [-1], [dims], [null])] : [];
  let x1: MxArray, x2: MxArray;
  if (traditional) {
    x1 = mx.sliceAxes(x, [-1], [0], [dims], [2]);
    x2 = mx.sliceAxes(x, [-1], [1], [dims], [2]);
  } else {
    x1 = mx.sliceAxes(x, [-1], [0], [half]);
    x2 = mx.sliceAxes(x, [-1], [half], [dims]);
  }
  const r1 = mx.subtract(mx.multiply(x1, cos), mx.multiply(x2, sin));
  const r2 = mx.add(mx.multiply(x1, sin), mx.multiply(x2, cos));
  const rx = traditional ? mx.reshape(mx.stack([r1, r2], -1), [...x.shape.slice(0, -1), dims]) : mx.concatenate([r1, r2], -1);
  return rest.length ? mx.concatenate([rx, ...rest], -1) : rx;
}

/** Causal (and optionally windowed) mask [L, K] for the last L of K keys, or null if none is needed. */
export function attentionMask(L: number, K: number, window: number): MxArray | null {
  if (L === 1 && (!window || K <= window)) return null;
  const q = mx.reshape(mx.add(mx.arange(0, L, 1, mx.int32), K - L), [L, 1]);
  const k = mx.reshape(mx.arange(0, K, 1, mx.int32), [1, K]);
  let m = mx.lessEqual(k, q);
  if (window) m = mx.logicalAnd(m, mx.greater(k, mx.subtract(q, window)));
  return m;
}

// A decode step's position and masks, made once per step and shared by the layers.
let stepMemo: { offset: number; pos: MxArray; masks: Map<string, MxArray> } | null = null;

/** The position (int32 [1]) of a decode step and its boolean masks over a cache of K slots. */
function stepInputs(offset: number, window: number): { pos: MxArray; mask: (K: number) => MxArray } {
  if (!stepMemo || stepMemo.offset !== offset) stepMemo = { offset, pos: mx.array([offset], mx.int32), masks: new Map() };
  const memo = stepMemo;
  return {
    pos: memo.pos,
    mask: (K) => {
      const key = `${K}/${window}`;
      let m = memo.masks.get(key);
      if (!m) {
        // keys 0..offset are written; a sliding window keeps the last `window` of them
        const lo = window ? Math.max(0, offset + 1 - window) : 0;
        const keep: boolean[] = new Array(K);
        for (let j = 0; j < K; j++) keep[j] = j >= lo && j <= offset;
        m = mx.reshape(mx.array(keep, mx.bool), [1, 1, 1, K]);
        memo.masks.set(key, m);
      }
      return m;
    },
  };
}

/** Attention of q [B, Hq, L, D] over k, v [B, Hkv, K, D] (grouped heads), optional soft-capping. */
export function sdpa(q: MxArray, k: MxArray, v: MxArray, scale: number, mask: MxArray | null, softcap?: number): MxArray {
  const [B, Hq, L, D] = q.shape, Hkv = k.shape[1], K = k.shape[2], Dv = v.shape[3], rep = Hq / Hkv;
  if (!softcap && fast) return fast.scaledDotProductAttention(q, k, v, { scale, mask });
  const qg = mx.reshape(mx.multiply(q, scale), [B, Hkv, rep * L, D]);
  let s = mx.astype(mx.matmul(qg, mx.swapaxes(k, -1, -2)), mx.float32);
  if (softcap) s = mx.multiply(mx.tanh(mx.divide(s, softcap)), softcap);
  s = mx.reshape(s, [B, Hkv, rep, L, K]);
  if (mask) s = mx.where(mask, s, -Infinity);
  const p = mx.astype(mx.softmax(s, -1), v.dtype);
  return mx.reshape(mx.matmul(mx.reshape(p, [B, Hkv, rep * L, K]), v), [B, Hq, L, Dv]);
}

/** Self-attention with GQA, rope, cache, optional q/k norms, biases, window and soft-capping. */
export class Attention extends nn.Module {
  q_proj?: nn.Linear;
  k_proj?: nn.Linear;
  v_proj?: nn.Linear;
  qkv_proj?: nn.Linear;
  o_proj: nn.Linear;
  q_norm?: Norm;
  k_norm?: Norm;
  _freqs = new Map<string, { inv: MxArray; periods: MxArray; scale: number }>();
  constructor(readonly _a: ModelArgs, readonly _layer: number) {
    super();
    const a = _a, H = a.hiddenSize, qd = a.numHeads * a.headDim, kd = a.numKvHeads * a.headDim;
    if (a.qkv === 'fused') this.qkv_proj = new nn.Linear(H, qd + 2 * kd, { bias: a.qkvBias });
    else {
      this.q_proj = new nn.Linear(H, qd, { bias: a.qkvBias });
      this.k_proj = new nn.Linear(H, kd, { bias: a.qkvBias });
      this.v_proj = new nn.Linear(H, kd, { bias: a.qkvBias });
    }
    this.o_proj = new nn.Linear(qd, H, { bias: a.oBias });
    const normKind = a.norm === 'layer' ? 'rms' : a.norm;
    if (a.qkNorm === 'head') {
      this.q_norm = new Norm(a.headDim, a.normEps, normKind);
      this.k_norm = new Norm(a.headDim, a.normEps, normKind);
    } else if (a.qkNorm === 'full') {
      this.q_norm = new Norm(qd, a.normEps, normKind);
      this.k_norm = new Norm(kd, a.normEps, normKind);
    }
  }

  private freqs(spec: RopeSpec, end: number): { inv: MxArray; periods: MxArray; scale: number } {
    // Only dynamic and longrope depend on the length; key by the regime.
    const orig = Number(spec.params.original_max_position_embeddings ?? spec.maxPositions);
    const key = spec.type === 'dynamic' ? String(Math.max(end, orig)) : spec.type === 'longrope' ? String(end > orig) : '';
    let f = this._freqs.get(key);
    if (!f) {
      const r = ropeFrequencies(spec, end);
      // periods (1 / inverse frequency) for mx.fast.rope, made once rather than per step
      f = { inv: mx.array(r.invFreq, mx.float32), periods: mx.array(Array.from(r.invFreq, (v) => 1 / v), mx.float32), scale: r.scale };
      this._freqs.set(key, f);
    }
    return f;
  }

  override forward(x: MxArray, cache?: Cache): MxArray {
    const a = this._a, [B, L] = x.shape, qd = a.numHeads * a.headDim, kd = a.numKvHeads * a.headDim;
    let q: MxArray, k: MxArray, v: MxArray;
    let qkv: MxArray | null = null;
    if (this.qkv_proj) {
      qkv = this.qkv_proj.forward(x);
      q = mx.sliceAxes(qkv, [-1], [0], [qd]);
      k = mx.sliceAxes(qkv, [-1], [qd], [qd + kd]);
      v = mx.sliceAxes(qkv, [-1], [qd + kd], [qd + 2 * kd]);
    } else {
      q = this.q_proj!.forward(x);
      k = this.k_proj!.forward(x);
      v = this.v_proj!.forward(x);
    }
    if (a.qkNorm === 'full') {
      q = this.q_norm!.forward(q);
      k = this.k_norm!.forward(k);
    }
    q = mx.reshape(q, [B, L, a.numHeads, a.headDim]);
    k = mx.reshape(k, [B, L, a.numKvHeads, a.headDim]);
    if (a.qkNorm === 'head') {
      q = this.q_norm!.forward(q);
      k = this.k_norm!.forward(k);
    }
    q = mx.transpose(q, [0, 2, 1, 3]);
    k = mx.transpose(k, [0, 2, 1, 3]);
    v = mx.transpose(mx.reshape(v, [B, L, a.numKvHeads, a.headDim]), [0, 2, 1, 3]);
    const offset = cache?.offset ?? 0;
    const spec = a.ropes[this._layer];
    const window = a.windows[this._layer];
    // a decode step reads positions from arrays and attends over the whole cache buffer
    // with a mask, so its graph keeps its shapes and parameters from step to step
    const step = L === 1 && cache instanceof KVCache ? stepInputs(offset, window) : null;
    if (spec) {
      const f = this.freqs(spec, offset + L);
      const rope = (t: MxArray) => applyRope(t, f.inv, step?.pos ?? offset, f.scale, a.ropeTraditional, f.periods);
      if (qkv && a.qkNorm === 'none') {
        // q and k sit side by side in the fused projection: one rope over their heads
        const qk = rope(mx.transpose(mx.reshape(mx.sliceAxes(qkv, [-1], [0], [qd + kd]), [B, L, a.numHeads + a.numKvHeads, a.headDim]), [0, 2, 1, 3]));
        q = mx.sliceAxes(qk, [1], [0], [a.numHeads]);
        k = mx.sliceAxes(qk, [1], [a.numHeads], [a.numHeads + a.numKvHeads]);
      } else {
        q = rope(q);
        k = rope(k);
      }
    }
    if (step) [k, v] = (cache as KVCache).updateAtPosition(k, v, step.pos);
    else if (cache) [k, v] = cache.updateAndFetch(k, v);
    const mask = step ? step.mask(k.shape[2]) : attentionMask(L, k.shape[2], window);
    const o = sdpa(q, k, v, a.queryScale ** -0.5, mask, a.attnSoftcap);
    return this.o_proj.forward(mx.reshape(mx.transpose(o, [0, 2, 1, 3]), [B, L, qd]));
  }
}

const act = (kind: ModelArgs['act'], x: MxArray): MxArray =>
  kind === 'silu' ? nn.silu(x) : kind === 'gelu' ? nn.gelu(x) : nn.geluApprox(x);

/** SwiGLU / GeGLU (separate or fused gate+up) or a plain two-layer MLP (c_fc, c_proj). */
export class MLP extends nn.Module {
  gate_proj?: nn.Linear;
  up_proj?: nn.Linear;
  gate_up_proj?: nn.Linear;
  down_proj?: nn.Linear;
  c_fc?: nn.Linear;
  c_proj?: nn.Linear;
  constructor(readonly _a: ModelArgs) {
    super();
    const H = _a.hiddenSize, I = _a.intermediateSize, bias = _a.mlpBias;
    if (_a.mlp === 'plain') {
      this.c_fc = new nn.Linear(H, I, { bias });
      this.c_proj = new nn.Linear(I, H, { bias });
      return;
    }
    if (_a.mlp === 'fused_gated') this.gate_up_proj = new nn.Linear(H, 2 * I, { bias });
    else {
      this.gate_proj = new nn.Linear(H, I, { bias });
      this.up_proj = new nn.Linear(H, I, { bias });
    }
    this.down_proj = new nn.Linear(I, H, { bias });
  }
  override forward(x: MxArray): MxArray {
    const a = this._a;
    if (this.c_fc) return this.c_proj!.forward(act(a.act, this.c_fc.forward(x)));
    let g: MxArray, u: MxArray;
    if (this.gate_up_proj) {
      const gu = this.gate_up_proj.forward(x), I = a.intermediateSize;
      g = mx.sliceAxes(gu, [-1], [0], [I]);
      u = mx.sliceAxes(gu, [-1], [I], [2 * I]);
    } else {
      g = this.gate_proj!.forward(x);
      u = this.up_proj!.forward(x);
    }
    return this.down_proj!.forward(mx.multiply(act(a.act, g), u));
  }
}

/** One decoder layer in pre-norm, sandwich or post-norm layout. */
export class DecoderLayer extends nn.Module {
  self_attn: Attention;
  mlp: MLP;
  input_layernorm?: Norm;
  post_attention_layernorm?: Norm;
  pre_feedforward_layernorm?: Norm;
  post_feedforward_layernorm?: Norm;
  constructor(readonly _a: ModelArgs, layer: number) {
    super();
    const n = () => new Norm(_a.hiddenSize, _a.normEps, _a.norm);
    this.self_attn = new Attention(_a, layer);
    this.mlp = new MLP(_a);
    if (_a.layout !== 'post') this.input_layernorm = n();
    this.post_attention_layernorm = n();
    if (_a.layout === 'sandwich') this.pre_feedforward_layernorm = n();
    if (_a.layout !== 'pre') this.post_feedforward_layernorm = n();
  }
  override forward(x: MxArray, cache?: Cache): MxArray {
    const lay = this._a.layout;
    if (lay === 'pre') {
      const h = mx.add(x, this.self_attn.forward(this.input_layernorm!.forward(x), cache));
      return mx.add(h, this.mlp.forward(this.post_attention_layernorm!.forward(h)));
    }
    const attnIn = lay === 'sandwich' ? this.input_layernorm!.forward(x) : x;
    const h = mx.add(x, this.post_attention_layernorm!.forward(this.self_attn.forward(attnIn, cache)));
    const mlpIn = lay === 'sandwich' ? this.pre_feedforward_layernorm!.forward(h) : h;
    return mx.add(h, this.post_feedforward_layernorm!.forward(this.mlp.forward(mlpIn)));
  }
}

/** The transformer body: embed_tokens, layers, norm (Hugging Face's `model.*` names). */
export class Body extends nn.Module {
  embed_tokens: nn.Embedding;
  layers: DecoderLayer[];
  norm: Norm;
  constructor(readonly _a: ModelArgs) {
    super();
    this.embed_tokens = new nn.Embedding(_a.vocabSize, _a.hiddenSize);
    this.layers = Array.from({ length: _a.numLayers }, (_, i) => new DecoderLayer(_a, i));
    this.norm = new Norm(_a.hiddenSize, _a.normEps, _a.norm);
  }
  override forward(ids: MxArray, cache?: Cache[]): MxArray {
    let h = this.embed_tokens.forward(ids);
    if (this._a.embedScale) h = mx.multiply(h, mx.astype(mx.array(Math.sqrt(this._a.hiddenSize)), h.dtype));
    this.layers.forEach((l, i) => { h = l.forward(h, cache?.[i]); });
    return this.norm.forward(h);
  }
}

/**
 * A decoder-only causal language model: forward(ids [B, L], cache?) gives logits [B, L, vocab].
 * Architectures subclass it with their config reading and weight renaming.
 * @example
 * const logits = model.forward(mx.array([[1, 2, 3]], mx.int32), makePromptCache(model));
 */
export class CausalLM extends nn.Module {
  model: Body;
  lm_head?: nn.Linear;
  constructor(readonly args: ModelArgs) {
    super();
    this.model = new Body(args);
    if (!args.tieEmbeddings) this.lm_head = new nn.Linear(args.hiddenSize, args.vocabSize, { bias: false });
  }
  /** Number of decoder layers (one cache each). */
  get numLayers(): number {
    return this.args.numLayers;
  }
  /** The layers, as MLX-LM's `model.layers`. */
  get layers(): DecoderLayer[] {
    return this.model.layers;
  }
  override forward(ids: MxArray, cache?: Cache[]): MxArray {
    const h = this.model.forward(ids, cache);
    let logits = this.lm_head ? this.lm_head.forward(h) : this.model.embed_tokens.asLinear(h);
    const cap = this.args.finalSoftcap;
    if (cap) logits = mx.multiply(mx.tanh(mx.divide(logits, cap)), cap);
    return logits;
  }
  /** Renames or drops checkpoint tensors before loading (rotary buffers, tied heads). */
  sanitize(weights: Record<string, MxArray>): Record<string, MxArray> {
    const out: Record<string, MxArray> = {};
    for (const [k, v] of Object.entries(weights)) {
      if (k.includes('rotary_emb.inv_freq')) continue;
      if (this.args.tieEmbeddings && k === 'lm_head.weight') continue;
      out[k] = v;
    }
    return out;
  }
  /** One standard KVCache per layer. */
  makeCache(): Cache[] {
    return Array.from({ length: this.numLayers }, () => new KVCache());
  }
}
