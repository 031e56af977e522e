// loadModel: config.json + safetensors weights (single or sharded) + tokenizer files from
// a folder (Deno/Node), a base URL, or a FileMap (browser folder pickers, the downloader).
import * as mx from '../index.ts';
import * as nn from '../nn/index.ts';
import { readFile } from '../io/fs.ts';
import { toDtype } from '../core/dtype.ts';
import { modelFromConfig, type CausalLM, type Config } from './models/index.ts';
import { Tokenizer } from './tokenizer.ts';
import { ggufSourceBytes, loadGgufModel } from './gguf.ts';

type MxArray = mx.MxArray;

/** Model files by name: bytes, a Blob, or a URL to fetch. */
export type FileMap = Record<string, Uint8Array | Blob | string>;

/** A loading progress event: `file` is done, `loaded` of `total` files. */
export interface LoadProgress {
  file: string;
  loaded: number;
  total: number;
}

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** Cast floating-point weights to this dtype (e.g. 'float32' for a bfloat16 checkpoint). */
  dtype?: mx.DtypeLike;
  onProgress?: (p: LoadProgress) => void;
  /** Load weights without checking names and shapes (default false: strict). */
  lax?: boolean;
  /** GGUF only: keep Q4_0/Q4_1/Q4_K/Q8_0 tensors quantized (QuantizedLinear, group 32) instead of dequantizing. */
  quantized?: boolean;
}

/** What `loadModel` returns. */
export interface LoadedModel {
  model: CausalLM;
  config: Config;
  tokenizer: Tokenizer;
}

/** Reads files of one model by name. */
interface Files {
  has(name: string): Promise<boolean>;
  bytes(name: string): Promise<Uint8Array>;
  names?(): string[];
  where: string;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`HTTP ${r.status} ${r.statusText}`);
  return new Uint8Array(await r.arrayBuffer());
}

function filesOf(source: string | FileMap): Files {
  if (typeof source === 'string') {
    const base = source.replace(/\/+$/, '');
    const isUrl = /^(https?|blob):/i.test(base);
    const read = (n: string) => (isUrl ? fetchBytes(`${base}/${n}`) : readFile(`${base}/${n}`));
    const seen = new Map<string, Promise<Uint8Array | null>>();
    const tryRead = (n: string) => {
      if (!seen.has(n)) seen.set(n, read(n).catch(() => null));
      return seen.get(n)!;
    };
    return {
      where: `'${source}'`,
      has: async (n) => (await tryRead(n)) !== null,
      bytes: async (n) => {
        const b = await tryRead(n);
        if (b === null) return read(n); // rethrows the reader's error
        seen.delete(n);
        return b;
      },
    };
  }
  if (!source || typeof source !== 'object') throw new TypeError('[loadModel] Expected a folder path, a base URL or a FileMap {name: bytes | Blob | URL}.');
  return {
    where: 'the FileMap',
    has: async (n) => n in source,
    names: () => Object.keys(source),
    bytes: async (n) => {
      const v = source[n];
      if (v === undefined) throw new Error(`[loadModel] '${n}' is not in the FileMap.`);
      if (typeof v === 'string') return fetchBytes(v);
      if (v instanceof Uint8Array) return v;
      return new Uint8Array(await v.arrayBuffer());
    },
  };
}

function parseJson(b: Uint8Array, name: string): Config {
  try {
    const v = JSON.parse(new TextDecoder().decode(b));
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v;
  } catch (e) {
    throw new Error(`[loadModel] ${name} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The safetensors files of a checkpoint: from the shard index, else model.safetensors. */
async function weightFiles(f: Files): Promise<string[]> {
  if (await f.has('model.safetensors.index.json')) {
    const idx = parseJson(await f.bytes('model.safetensors.index.json'), 'model.safetensors.index.json');
    const map = idx.weight_map;
    if (!map || typeof map !== 'object') throw new Error("[loadModel] model.safetensors.index.json has no 'weight_map'.");
    return [...new Set(Object.values(map) as string[])].sort();
  }
  if (await f.has('model.safetensors')) return ['model.safetensors'];
  const listed = f.names?.().filter((n) => n.endsWith('.safetensors')).sort();
  if (listed?.length) return listed;
  throw new Error(`[loadModel] No weights in ${f.where}: expected model.safetensors or model.safetensors.index.json.`);
}

/** Applies the config's quantization (MLX-LM checkpoints) with nn.quantize, if it exists. */
function quantize(model: CausalLM, config: Config, weights: Record<string, MxArray>): void {
  const q = config.quantization ?? config.quantization_config;
  if (!q) return;
  const { group_size: groupSize = 64, bits = 4, mode = 'affine' } = q as { group_size?: number; bits?: number; mode?: mx.QuantMode };
  // Only layers the checkpoint stores scales for are quantized (MLX-LM's rule); per-layer
  // entries ({"model.layers.0.mlp.down_proj": {"bits": 8, ...}}) override the defaults.
  nn.quantize(model, {
    groupSize, bits, mode,
    classPredicate: (path: string) => {
      if (!(`${path}.scales` in weights)) return false;
      const own = (q as Record<string, unknown>)[path];
      if (own && typeof own === 'object') {
        const o = own as { group_size?: number; bits?: number; mode?: mx.QuantMode };
        return { groupSize: o.group_size ?? groupSize, bits: o.bits ?? bits, mode: o.mode ?? mode };
      }
      return true;
    },
  });
}

/**
 * Loads a causal LM, its config and tokenizer from a folder (Deno/Node), a base URL, or a
 * FileMap. Reads config.json, model.safetensors or the sharded index, tokenizer.json,
 * tokenizer_config.json and chat_template.jinja; `dtype` casts floating weights. A GGUF
 * file (a path or URL ending in .gguf, its bytes, or a FileMap with one .gguf entry) gives
 * the config and tokenizer from its metadata; `quantized` keeps its quantized tensors.
 * @example
 * const { model, tokenizer } = await loadModel('models/Qwen3-0.6B');
 * const text = await generate(model, tokenizer, 'Hello', { maxTokens: 20 });
 * const q = await loadModel('models/qwen2.5-0.5b-instruct-q8_0.gguf', { quantized: true });
 */
export async function loadModel(source: string | FileMap | Uint8Array | ArrayBuffer | Blob, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const gguf = await ggufSourceBytes(source);
  if (gguf) {
    const r = await loadGgufModel(gguf.bytes, options, gguf.where);
    options.onProgress?.({ file: gguf.where, loaded: 1, total: 1 });
    return r;
  }
  const folder = source as string | FileMap;
  const f = filesOf(folder);
  if (!(await f.has('config.json'))) throw new Error(`[loadModel] No config.json in ${f.where}.`);
  const config = parseJson(await f.bytes('config.json'), 'config.json');
  const model = modelFromConfig(config);
  const files = await weightFiles(f);
  const total = files.length;
  let weights: Record<string, MxArray> = {};
  let loaded = 0;
  for (const name of files) {
    let st;
    try {
      st = await mx.loadSafetensors(await f.bytes(name));
    } catch (e) {
      throw new Error(`[loadModel] Cannot read ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    Object.assign(weights, st.arrays);
    options.onProgress?.({ file: name, loaded: ++loaded, total });
  }
  weights = model.sanitize(weights);
  if (options.dtype !== undefined) {
    const dt = toDtype(options.dtype);
    for (const [k, v] of Object.entries(weights)) if (mx.issubdtype(v.dtype, 'floating') && v.dtype !== dt) weights[k] = mx.astype(v, dt);
  }
  quantize(model, config, weights);
  try {
    model.loadWeights(weights, !options.lax);
  } catch (e) {
    throw new Error(`[loadModel] The weights do not match a ${config.model_type} model of this config: ${e instanceof Error ? e.message : String(e)}`);
  }
  model.eval();
  await mx.eval(model.parameters());
  const tokenizer = await loadTokenizer(folder, config, f);
  return { model, config, tokenizer };
}

/**
 * Loads the tokenizer of a model folder/URL/FileMap (tokenizer.json, tokenizer_config.json,
 * chat_template.jinja, generation_config.json for extra EOS ids).
 * @example
 * const tok = await loadTokenizer('models/Qwen3-0.6B');
 */
export async function loadTokenizer(source: string | FileMap, config: Config = {}, files?: Files): Promise<Tokenizer> {
  const f = files ?? filesOf(source);
  if (!(await f.has('tokenizer.json'))) throw new Error(`[loadTokenizer] No tokenizer.json in ${f.where}.`);
  const tj = parseJson(await f.bytes('tokenizer.json'), 'tokenizer.json');
  const tc = (await f.has('tokenizer_config.json')) ? parseJson(await f.bytes('tokenizer_config.json'), 'tokenizer_config.json') : {};
  const chatTemplate = (await f.has('chat_template.jinja')) ? new TextDecoder().decode(await f.bytes('chat_template.jinja')) : undefined;
  const gen = (await f.has('generation_config.json')) ? parseJson(await f.bytes('generation_config.json'), 'generation_config.json') : {};
  const eos = [config.eos_token_id, gen.eos_token_id].flat().filter((x): x is number => typeof x === 'number');
  return new Tokenizer(tj, tc, { chatTemplate, eosTokenIds: eos });
}
