// MLX-LM's convert: a Hugging Face checkpoint (a local folder or FileMap) to MLX's format,
// optionally quantized (MLX's affine or mxfp4 packing via nn.quantize) or cast, written as
// model.safetensors + config.json (with MLX's "quantization" entry) + the tokenizer files,
// which MLX-LM and webmlx's loadModel both read back.
import * as mx from '../index.ts';
import * as nn from '../nn/index.ts';
import { fsKind, readFile, writeFile } from '../io/fs.ts';
import { toDtype } from '../core/dtype.ts';
import { loadModel, type FileMap } from './load.ts';

/** Options of convert (MLX-LM's names in camelCase). */
export interface ConvertOptions {
  /** Quantize the Linear/Embedding layers (default false). */
  quantize?: boolean;
  qBits?: number;
  qGroupSize?: number;
  qMode?: 'affine' | 'mxfp4';
  /** Cast the float weights first (e.g. 'float16'). */
  dtype?: mx.DtypeLike;
  onProgress?: (msg: string) => void;
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'generation_config.json'];

async function mkdirs(dir: string): Promise<void> {
  const g = globalThis as { Deno?: { mkdir(p: string, o: { recursive: boolean }): Promise<void> } };
  if (fsKind() === 'deno') await g.Deno!.mkdir(dir, { recursive: true });
  else if (fsKind() === 'node') await (await import(/* @vite-ignore */ ['node', 'fs/promises'].join(':'))).mkdir(dir, { recursive: true });
}

/**
 * Converts `src` to MLX format in the folder `dst`; returns the written config.
 * @example
 * await convert('models/Qwen2.5-0.5B-Instruct', 'models/qwen-4bit', { quantize: true, qBits: 4, qGroupSize: 64 });
 */
export async function convert(src: string | FileMap, dst: string, options: ConvertOptions = {}): Promise<Record<string, unknown>> {
  const log = options.onProgress ?? (() => {});
  log(`loading ${typeof src === 'string' ? src : 'the given files'}`);
  const { model, config } = await loadModel(src);
  const out: Record<string, unknown> = { ...config };
  if (options.dtype !== undefined) {
    model.setDtype(toDtype(options.dtype));
    out.torch_dtype = toDtype(options.dtype).name;
  }
  if (options.quantize) {
    const groupSize = options.qGroupSize ?? (options.qMode === 'mxfp4' ? 32 : 64), bits = options.qBits ?? 4, mode = options.qMode ?? 'affine';
    if (config.quantization) throw new Error('[convert] The source is already quantized.');
    log(`quantizing to ${bits} bits, group ${groupSize} (${mode})`);
    nn.quantize(model, { groupSize, bits, mode });
    out.quantization = mode === 'affine' ? { group_size: groupSize, bits } : { group_size: groupSize, bits, mode };
  }
  const weights = Object.fromEntries(mx.treeFlatten(model.parameters()) as [string, mx.MxArray][]);
  await mx.eval(Object.values(weights));
  await mkdirs(dst);
  log(`writing ${Object.keys(weights).length} tensors to ${dst}/model.safetensors`);
  await mx.saveSafetensors(`${dst}/model.safetensors`, weights, { format: 'mlx' });
  await writeFile(`${dst}/config.json`, new TextEncoder().encode(JSON.stringify(out, null, 2)));
  for (const name of TOKENIZER_FILES) {
    const v = typeof src === 'string' ? await readFile(`${src}/${name}`).catch(() => null) : (src[name] ?? null);
    const bytes = v instanceof Blob ? new Uint8Array(await v.arrayBuffer()) : v;
    if (bytes instanceof Uint8Array) await writeFile(`${dst}/${name}`, bytes);
  }
  return out;
}
