// loadModel for llama.cpp's GGUF files: a Hugging Face style config from the `{arch}.*`
// metadata, llama.cpp tensor names mapped to the names the models use, and the changes
// convert_hf_to_gguf.py makes to tensors undone (the Q/K row permutation of 'llama'
// architectures, Gemma's `1 + w` norms). The tokenizer comes from the metadata.
import * as mx from '../index.ts';
import * as nn from '../nn/index.ts';
import { readFile } from '../io/fs.ts';
import { isBytesLike, toBytes } from '../io/bytes.ts';
import type { GgufValue } from '../io/gguf.ts';
import { ggufTokenizer } from '../io/gguf-tokenizer.ts';
import { toDtype } from '../core/dtype.ts';
import { ropeFrequencies, ropeSpec } from './rope.ts';
import { modelFromConfig, type CausalLM, type Config } from './models/index.ts';
import { Tokenizer } from './tokenizer.ts';

type MxArray = mx.MxArray;
type Meta = Record<string, GgufValue>;

/** GGUF `general.architecture` → model_type (llama.cpp writes Mistral checkpoints as 'llama'). */
export const GGUF_ARCHITECTURES: Record<string, string> = {
  llama: 'llama', mistral: 'mistral', qwen2: 'qwen2', qwen3: 'qwen3', gemma: 'gemma', gemma2: 'gemma2', phi3: 'phi3',
};
// convert_hf_to_gguf.py permutes q/k rows of these (LlamaModel and its subclasses) so that
// ggml's adjacent-pair rope computes Hugging Face's half rotation.
const PERMUTED = new Set(['llama', 'mistral']);
// Gemma's converter stores RMSNorm weights as 1 + w (ggml multiplies by the weight).
const NORM_PLUS_ONE = new Set(['gemma', 'gemma2']);

/** A `.gguf` model file: a path or URL ending in .gguf, or its bytes. */
export type GgufModelSource = string | Uint8Array | ArrayBuffer | Blob;

const isGgufName = (s: string) => /\.gguf(?:[?#].*)?$/i.test(s);

/**
 * The GGUF bytes of a loadModel source, or null when the source is a model folder: a path or
 * URL ending in .gguf, bytes (Uint8Array, ArrayBuffer, Blob), or a FileMap whose only model
 * file is one `.gguf` entry (no config.json).
 * @example
 * const g = await ggufSourceBytes('models/qwen2.5-0.5b-q8_0.gguf');
 */
export async function ggufSourceBytes(source: unknown): Promise<{ bytes: Uint8Array; where: string } | null> {
  if (typeof source === 'string') {
    if (!isGgufName(source)) return null;
    try {
      return { bytes: await readFile(source), where: `'${source}'` };
    } catch (e) {
      throw new Error(`[loadModel] Cannot read the GGUF file '${source}': ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (isBytesLike(source)) return { bytes: await toBytes(source), where: 'the given bytes' };
  if (!source || typeof source !== 'object' || 'config.json' in source) return null;
  const map = source as Record<string, Uint8Array | Blob | string>;
  const names = Object.keys(map).filter(isGgufName);
  if (names.length === 0) return null;
  if (names.length > 1) throw new Error(`[loadModel] The FileMap holds ${names.length} GGUF files (${names.join(', ')}); pass one (split GGUF files are not supported).`);
  const v = map[names[0]];
  let bytes: Uint8Array;
  if (typeof v === 'string') {
    const r = await fetch(v);
    if (!r.ok) throw new Error(`[loadModel] Cannot fetch '${names[0]}' (${v}): HTTP ${r.status} ${r.statusText}`);
    bytes = new Uint8Array(await r.arrayBuffer());
  } else bytes = await toBytes(v);
  return { bytes, where: `'${names[0]}'` };
}

const num = (md: Meta, key: string): number | undefined => {
  const v = md[key];
  if (v === undefined) return undefined;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`[loadModel] GGUF metadata '${key}' must be a number, got ${typeof v === 'object' ? 'an array' : JSON.stringify(v)}.`);
  return n;
};
const need = (md: Meta, key: string): number => {
  const n = num(md, key);
  if (n === undefined) throw new Error(`[loadModel] GGUF metadata has no '${key}'.`);
  return n;
};

/** The architecture of GGUF metadata, checked against the supported ones. */
function architecture(md: Meta): string {
  const arch = md['general.architecture'];
  if (arch === undefined) throw new Error("[loadModel] GGUF metadata has no 'general.architecture'.");
  if (typeof arch !== 'string' || !(arch in GGUF_ARCHITECTURES)) {
    throw new Error(`[loadModel] Unsupported GGUF architecture ${JSON.stringify(arch)}; supported: ${Object.keys(GGUF_ARCHITECTURES).join(', ')}.`);
  }
  return arch;
}

/** RoPE scaling from `{arch}.rope.scaling.*` (and the old `rope.scale_linear`), HF style. */
function ropeScaling(md: Meta, a: string): Record<string, unknown> | undefined {
  const type = md[`${a}.rope.scaling.type`];
  const factor = num(md, `${a}.rope.scaling.factor`) ?? num(md, `${a}.rope.scale_linear`);
  const orig = num(md, `${a}.rope.scaling.original_context_length`);
  if (type === 'linear' || (type === undefined && factor !== undefined && factor !== 1)) return { rope_type: 'linear', factor };
  if (type === 'yarn') {
    const s: Record<string, unknown> = { rope_type: 'yarn', factor, original_max_position_embeddings: orig };
    const bf = num(md, `${a}.rope.scaling.yarn_beta_fast`), bs = num(md, `${a}.rope.scaling.yarn_beta_slow`);
    if (bf !== undefined) s.beta_fast = bf;
    if (bs !== undefined) s.beta_slow = bs;
    return s;
  }
  if (type === undefined || type === 'none') return undefined;
  throw new Error(`[loadModel] Unsupported GGUF rope scaling type ${JSON.stringify(type)}; supported: none, linear, yarn.`);
}

/**
 * A Hugging Face style config (model_type, hidden_size, ...) from GGUF metadata and the
 * file's tensor shapes (vocab_size from the embedding rows, else the token list; tied
 * embeddings when there is no `output.weight`; biases from the tensors present).
 * @example
 * const [arrays, md] = await mx.load('m.gguf', { format: 'gguf', returnMetadata: true });
 * const config = ggufConfig(md, Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, v.shape])));
 */
export function ggufConfig(md: Meta, shapes: Record<string, readonly number[]>): Config {
  const a = architecture(md);
  const hidden = need(md, `${a}.embedding_length`), heads = need(md, `${a}.attention.head_count`);
  const headDim = num(md, `${a}.attention.key_length`) ?? hidden / heads;
  const ropeDims = num(md, `${a}.rope.dimension_count`) ?? headDim;
  const tokens = md['tokenizer.ggml.tokens'];
  const vocab = shapes['token_embd.weight']?.[0] ?? num(md, `${a}.vocab_size`) ?? (Array.isArray(tokens) ? tokens.length : undefined);
  if (vocab === undefined) throw new Error("[loadModel] The GGUF file has no 'token_embd.weight' tensor and no token list to size the vocabulary.");
  const eps = num(md, `${a}.attention.layer_norm_rms_epsilon`) ?? num(md, `${a}.attention.layer_norm_epsilon`) ?? 1e-6;
  const c: Config = {
    model_type: GGUF_ARCHITECTURES[a], hidden_size: hidden, num_hidden_layers: need(md, `${a}.block_count`),
    intermediate_size: need(md, `${a}.feed_forward_length`), num_attention_heads: heads,
    num_key_value_heads: num(md, `${a}.attention.head_count_kv`) ?? heads, head_dim: headDim,
    rms_norm_eps: eps, rope_theta: num(md, `${a}.rope.freq_base`) ?? 10000, vocab_size: vocab,
    max_position_embeddings: num(md, `${a}.context_length`) ?? 2048,
    tie_word_embeddings: !('output.weight' in shapes),
  };
  if (ropeDims !== headDim) c.partial_rotary_factor = ropeDims / headDim;
  const scaling = ropeScaling(md, a);
  if (scaling) c.rope_scaling = scaling;
  if (a === 'llama' || a === 'mistral') {
    c.attention_bias = 'blk.0.attn_q.bias' in shapes;
    c.mlp_bias = 'blk.0.ffn_up.bias' in shapes;
  }
  if (a === 'gemma2') {
    c.attn_logit_softcapping = num(md, 'gemma2.attn_logit_softcapping') ?? null;
    c.final_logit_softcapping = num(md, 'gemma2.final_logit_softcapping') ?? null;
    c.sliding_window = num(md, 'gemma2.attention.sliding_window') ?? 4096;
    // llama.cpp scales queries by hidden/heads for the 46-layer (27B) model, head_dim otherwise
    c.query_pre_attn_scalar = c.num_hidden_layers === 46 ? hidden / heads : headDim;
  }
  for (const k of ['bos', 'eos', 'padding'] as const) {
    const v = num(md, `tokenizer.ggml.${k}_token_id`);
    if (v !== undefined) c[k === 'padding' ? 'pad_token_id' : `${k}_token_id`] = v;
  }
  return c;
}

// llama.cpp block tensor names → Hugging Face module paths (`ffn_norm` depends on the layout).
const BLOCK: Record<string, string> = {
  attn_q: 'self_attn.q_proj', attn_k: 'self_attn.k_proj', attn_v: 'self_attn.v_proj', attn_output: 'self_attn.o_proj',
  attn_qkv: 'self_attn.qkv_proj', attn_q_norm: 'self_attn.q_norm', attn_k_norm: 'self_attn.k_norm',
  ffn_gate: 'mlp.gate_proj', ffn_up: 'mlp.up_proj', ffn_down: 'mlp.down_proj',
  attn_norm: 'input_layernorm', ffn_norm: 'post_attention_layernorm', post_attention_norm: 'post_attention_layernorm',
  post_ffw_norm: 'post_feedforward_layernorm',
};
const TOP: Record<string, string> = { token_embd: 'model.embed_tokens', output_norm: 'model.norm', output: 'lm_head' };

/**
 * The Hugging Face name of a llama.cpp tensor name (suffixes .weight/.bias/.scales/.biases
 * kept), or null for a name with no counterpart.
 * @example
 * ggufTensorName('blk.3.attn_q.weight', 'llama') // 'model.layers.3.self_attn.q_proj.weight'
 */
export function ggufTensorName(name: string, modelType: string): string | null {
  const m = /^(?:blk\.(\d+)\.)?([a-z_0-9]+)\.(weight|bias|scales|biases)$/.exec(name);
  if (!m) return null;
  const [, layer, base, suffix] = m;
  if (layer === undefined) return TOP[base] ? `${TOP[base]}.${suffix}` : null;
  let mod = BLOCK[base];
  if (!mod) return null;
  const sandwich = modelType === 'gemma2';
  if (base === 'ffn_norm' && sandwich) mod = 'pre_feedforward_layernorm';
  if (modelType === 'phi3' && base === 'ffn_up') mod = 'mlp.gate_up_proj';
  return `model.layers.${layer}.${mod}.${suffix}`;
}

/** Undoes convert_hf_to_gguf.py's permute(w, n_head): interleaved pairs back to halves, per head (rows). */
function unpermute(w: MxArray, nHead: number): MxArray {
  const rows = w.shape[0], rest = w.shape.slice(1);
  const x = mx.reshape(w, [nHead, rows / nHead / 2, 2, ...rest]);
  return mx.reshape(mx.swapaxes(x, 1, 2), w.shape);
}

async function floats(a: MxArray): Promise<number[]> {
  return (await mx.astype(a, mx.float32).tolist()) as number[];
}

/**
 * Loads a causal LM and its tokenizer from GGUF bytes (see `loadModel`).
 * @example
 * const { model, tokenizer } = await loadGgufModel(bytes, { quantized: true });
 */
export async function loadGgufModel(
  bytes: Uint8Array, options: { dtype?: mx.DtypeLike; quantized?: boolean; lax?: boolean } = {}, where = 'the GGUF file',
): Promise<{ model: CausalLM; config: Config; tokenizer: Tokenizer }> {
  const [arrays, md] = (await mx.load(bytes, { format: 'gguf', returnMetadata: true, quantized: options.quantized ?? false })) as [Record<string, MxArray>, Meta];
  const config = ggufConfig(md, Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, v.shape])));
  const arch = String(md['general.architecture']), type = config.model_type as string;
  // rope tensors carry settings, not weights: Phi-3's longrope factors, Llama 3's frequency divisors
  let ropeFreqs: MxArray | undefined;
  if (arrays['rope_factors_long.weight'] && arrays['rope_factors_short.weight']) {
    const orig = num(md, `${arch}.rope.scaling.original_context_length`);
    const attn = num(md, `${arch}.rope.scaling.attn_factor`);
    config.rope_scaling = {
      rope_type: 'longrope', long_factor: await floats(arrays['rope_factors_long.weight']), short_factor: await floats(arrays['rope_factors_short.weight']),
      ...(orig !== undefined ? { original_max_position_embeddings: orig } : {}), ...(attn !== undefined ? { attention_factor: attn } : {}),
    };
  }
  if (arrays['rope_freqs.weight']) ropeFreqs = arrays['rope_freqs.weight'];
  const model = modelFromConfig(config);

  let weights: Record<string, MxArray> = {};
  const origin = new Map<string, string>();
  for (const [name, v] of Object.entries(arrays)) {
    if (/^rope_(freqs|factors_long|factors_short)\.weight$/.test(name)) continue;
    const hf = ggufTensorName(name, type);
    if (hf === null) {
      if (options.lax) continue;
      throw new Error(`[loadModel] GGUF tensor '${name}' has no counterpart in a ${type} model (architecture '${arch}').`);
    }
    let w = v;
    if (PERMUTED.has(arch)) {
      if (/\.self_attn\.q_proj\./.test(hf)) w = unpermute(w, config.num_attention_heads);
      else if (/\.self_attn\.k_proj\./.test(hf)) w = unpermute(w, config.num_key_value_heads);
    }
    if (NORM_PLUS_ONE.has(arch) && hf.endsWith('norm.weight')) w = mx.subtract(w, mx.astype(mx.array(1), w.dtype));
    weights[hf] = w;
    origin.set(hf, name);
  }
  weights = model.sanitize(weights);
  if (options.dtype !== undefined) {
    const dt = toDtype(options.dtype);
    for (const [k, v] of Object.entries(weights)) if (mx.issubdtype(v.dtype, 'floating') && v.dtype !== dt) weights[k] = mx.astype(v, dt);
  }
  // only layers whose weights came quantized become QuantizedLinear/QuantizedEmbedding;
  // bits per layer from the packed width (Q4_* 4, Q8_0 8), groups of 32
  nn.quantize(model, {
    classPredicate: (path: string) => {
      const s = weights[`${path}.scales`], w = weights[`${path}.weight`];
      if (!s || !w) return false;
      return { groupSize: 32, bits: w.shape[w.ndim - 1] / s.shape[s.ndim - 1], mode: 'affine' };
    },
  });
  if (!options.lax) {
    const want = mx.treeFlatten(model.parameters()).map(([k]) => k);
    const missing = want.filter((k) => !(k in weights));
    if (missing.length) {
      const gg = (k: string) => {
        for (const [g, hfName] of Object.entries(TOP)) if (k.startsWith(`${hfName}.`)) return `${g}${k.slice(hfName.length)}`;
        const m = /^model\.layers\.(\d+)\.(.+)\.(\w+)$/.exec(k);
        const base = m && Object.entries(BLOCK).find(([, p]) => p === m[2])?.[0];
        return m && base ? `blk.${m[1]}.${base}.${m[3]}` : k;
      };
      throw new Error(`[loadModel] ${where} lacks ${missing.length} tensor(s) a ${type} model needs: ${missing.slice(0, 8).map((k) => `'${gg(k)}' (${k})`).join(', ')}${missing.length > 8 ? ', ...' : ''}.`);
    }
  }
  try {
    model.loadWeights(weights, !options.lax);
  } catch (e) {
    throw new Error(`[loadModel] The GGUF tensors do not match a ${type} model of this config: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (ropeFreqs) await useRopeDivisors(model, ropeFreqs);
  model.eval();
  await mx.eval(model.parameters());
  const t = ggufTokenizer(md);
  const tokenizer = new Tokenizer(t.tokenizer, t.config, { eosTokenIds: t.eosTokenIds });
  return { model, config, tokenizer };
}

/** Llama 3.x GGUFs store the rope scaling as per-frequency divisors (`rope_freqs.weight`). */
async function useRopeDivisors(model: CausalLM, divisors: MxArray): Promise<void> {
  const div = await floats(divisors);
  for (const layer of model.layers) {
    const spec = model.args.ropes[layer.self_attn._layer];
    if (!spec) continue;
    const base = ropeFrequencies(ropeSpec({ rope_theta: spec.theta, max_position_embeddings: spec.maxPositions }, spec.dims)).invFreq;
    if (div.length !== base.length) throw new Error(`[loadModel] GGUF 'rope_freqs.weight' has ${div.length} entries; the rope has ${base.length} frequencies.`);
    // the Attention caches frequencies by regime; the default regime's key is ''
    const inv = Array.from(base, (f, i) => f / div[i]);
    layer.self_attn._freqs.set('', { inv: mx.array(inv, mx.float32), periods: mx.array(inv.map((v) => 1 / v), mx.float32), scale: 1 });
  }
}
