// webmlx's array file I/O (mx.save, mx.load, mx.savez, mx.saveSafetensors, ...): every
// function works on bytes, and takes an optional path (Deno/Node file system, OPFS in
// browsers, URLs for reading).
import { MxArray } from '../core/array.ts';
import type { StreamOpt } from '../core/device.ts';
import { FormatError, check, toBytes, isBytesLike, type BytesLike } from './bytes.ts';
import { encodeNpy, decodeNpy, isNpy } from './npy.ts';
import { writeZip, readZip, isZip } from './zip.ts';
import { encodeSafetensors, decodeSafetensors, isSafetensors, type Safetensors } from './safetensors.ts';
import { readFile, writeFile } from './fs.ts';
import { encodeGguf, decodeGguf, isGguf, type Gguf, type GgufLoadOptions, type GgufMetadataInput, type GgufValue } from './gguf.ts';

export { FormatError, toBytes, type BytesLike } from './bytes.ts';
export { readFile, writeFile, fsKind, type FsKind } from './fs.ts';
export { crc32, readZip, writeZip, type ZipEntry } from './zip.ts';
export { encodeNpy, decodeNpy, parseNpyHeader } from './npy.ts';
export { encodeSafetensors, decodeSafetensors, parseSafetensorsHeader, type Safetensors } from './safetensors.ts';
export {
  encodeGguf, decodeGguf, parseGgufHeader, GGUF_VALUE_TYPES, type Gguf, type GgufHeader, type GgufLoadOptions, type GgufMetadataInput,
  type GgufNumericArray, type GgufTensorInfo, type GgufTypedValue, type GgufValue, type GgufValueType,
} from './gguf.ts';
export { GGML_TYPES, dequantizeBlocks, repackBlocks, type GgmlType } from './gguf-quants.ts';
export { ggufTokenizer, type GgufTokenizer } from './gguf-tokenizer.ts';

/** Where a save goes: a path, or nothing (only the bytes are returned). */
export type SaveTarget = string | null | undefined;
/** File formats `load` understands. */
export type FileFormat = 'npy' | 'npz' | 'safetensors' | 'gguf';

const withExt = (file: string, ext: string) => (file.toLowerCase().endsWith(ext) ? file : file + ext);

async function finish(file: SaveTarget, ext: string, bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof file === 'string') await writeFile(withExt(file, ext), bytes);
  return bytes;
}

/**
 * Saves one array in NumPy's .npy format. With a path (".npy" is appended if missing)
 * the file is written; the bytes are always returned.
 * @example
 * const bytes = await mx.save(null, mx.arange(4));
 * await mx.save('weights', w); // writes weights.npy
 */
export async function save(file: SaveTarget | MxArray, a?: MxArray): Promise<Uint8Array> {
  if (file instanceof MxArray) return save(null, file);
  if (!(a instanceof MxArray)) throw new TypeError('[save] Expected an array to save.');
  return finish(file, '.npy', await encodeNpy(a));
}

type Named = Record<string, MxArray> | MxArray[];
const named = (arrays: Named): Record<string, MxArray> =>
  Array.isArray(arrays) ? Object.fromEntries(arrays.map((a, i) => [`arr_${i}`, a])) : arrays;

async function npz(file: SaveTarget, arrays: Named, compress: boolean, op: string): Promise<Uint8Array> {
  const dict = named(arrays);
  const entries = [];
  for (const [k, v] of Object.entries(dict)) {
    if (!(v instanceof MxArray)) throw new TypeError(`[${op}] '${k}' is not an array.`);
    entries.push({ name: `${k}.npy`, data: await encodeNpy(v) });
  }
  return finish(file, '.npz', await writeZip(entries, compress));
}

/**
 * Saves several arrays in an uncompressed .npz archive (a list is named arr_0, arr_1, ...
 * as NumPy does).
 * @example
 * const bytes = await mx.savez(null, { w, b });
 * await mx.savez('model.npz', { w, b });
 */
export async function savez(file: SaveTarget | Named, arrays?: Named): Promise<Uint8Array> {
  if (file !== null && typeof file === 'object') return npz(null, file, false, 'savez');
  return npz(file, arrays ?? {}, false, 'savez');
}

/**
 * Saves several arrays in a deflate-compressed .npz archive (CompressionStream).
 * @example
 * await mx.savezCompressed('model.npz', { w, b });
 */
export async function savezCompressed(file: SaveTarget | Named, arrays?: Named): Promise<Uint8Array> {
  if (file !== null && typeof file === 'object') return npz(null, file, true, 'savezCompressed');
  return npz(file, arrays ?? {}, true, 'savezCompressed');
}

/**
 * Saves named arrays in the safetensors format, with optional string metadata. Call as
 * `(arrays, metadata?)` for bytes, or `(path, arrays, metadata?)` to also write a file.
 * @example
 * const bytes = await mx.saveSafetensors({ w, b }, { format: 'mlx' });
 * await mx.saveSafetensors('model.safetensors', { w, b });
 */
export async function saveSafetensors(
  file: SaveTarget | Record<string, MxArray>, arrays?: Record<string, MxArray> | Record<string, string>, metadata?: Record<string, string>,
): Promise<Uint8Array> {
  if (file !== null && typeof file === 'object') {
    return encodeSafetensors(file, arrays as Record<string, string> | undefined);
  }
  const arrs = (arrays ?? {}) as Record<string, MxArray>;
  for (const [k, v] of Object.entries(arrs)) if (!(v instanceof MxArray)) throw new TypeError(`[saveSafetensors] '${k}' is not an array.`);
  return finish(file, '.safetensors', await encodeSafetensors(arrs, metadata));
}

/**
 * Saves named arrays and metadata in GGUF (version 3, as MLX's `save_gguf`). Call as
 * `(arrays, metadata?)` for bytes, or `(path, arrays, metadata?)` to also write a file
 * (".gguf" is appended if missing). Metadata values: strings, booleans, numbers, bigints,
 * typed arrays, arrays, 0-d/1-d MxArrays, or `{ type, value, itemType? }` for an explicit
 * GGUF type (plain integers are written as int32/uint32/int64, other numbers as float32).
 * @example
 * const bytes = await mx.saveGguf({ 'output.weight': w }, { 'general.architecture': 'llama' });
 * await mx.saveGguf('model.gguf', { w }, { 'llama.block_count': { type: 'uint32', value: 2 } });
 */
export async function saveGguf(
  file: SaveTarget | Record<string, MxArray>, arrays?: Record<string, MxArray> | Record<string, GgufMetadataInput>, metadata?: Record<string, GgufMetadataInput>,
): Promise<Uint8Array> {
  if (file !== null && typeof file === 'object') return encodeGguf(file, arrays as Record<string, GgufMetadataInput> | undefined);
  return finish(file, '.gguf', await encodeGguf((arrays ?? {}) as Record<string, MxArray>, metadata));
}

/**
 * Loads a GGUF file: its arrays (quantized tensors dequantized, or kept as MLX affine
 * quantization with `quantized`) and its metadata.
 * @example
 * const { arrays, metadata } = await mx.loadGguf('model.gguf', { quantized: true });
 */
export async function loadGguf(src: LoadSource, opts?: GgufLoadOptions): Promise<Gguf> {
  return decodeGguf(await source(src), opts);
}

/** A path or URL, or the file's bytes. */
export type LoadSource = string | BytesLike;

async function source(src: LoadSource): Promise<Uint8Array> {
  if (typeof src === 'string') return readFile(src);
  if (!isBytesLike(src)) throw new TypeError('[load] Expected a path, URL, Uint8Array, ArrayBuffer or Blob.');
  return toBytes(src);
}

/**
 * Loads a .npy file into an array.
 * @example
 * const a = await loadNpy(bytes);
 */
export async function loadNpy(src: LoadSource, opts?: StreamOpt): Promise<MxArray> {
  return decodeNpy(await source(src), opts);
}

/**
 * Loads a .npz archive (stored or deflated) into named arrays.
 * @example
 * const { w, b } = await loadNpz('model.npz');
 */
export async function loadNpz(src: LoadSource, opts?: StreamOpt): Promise<Record<string, MxArray>> {
  const entries = await readZip(await source(src), 'npz');
  const out: Record<string, MxArray> = {};
  for (const e of entries) {
    check(e.name.endsWith('.npy'), 'npz', `Entry '${e.name}' is not a .npy file.`);
    try {
      out[e.name.slice(0, -4)] = decodeNpy(e.data, opts);
    } catch (err) {
      if (err instanceof FormatError) throw new FormatError('npz', `Entry '${e.name}': ${err.message}`);
      throw err;
    }
  }
  return out;
}

/**
 * Loads a safetensors file: its arrays and its string metadata.
 * @example
 * const { arrays, metadata } = await mx.loadSafetensors('model.safetensors');
 */
export async function loadSafetensors(src: LoadSource, opts?: StreamOpt): Promise<Safetensors> {
  return decodeSafetensors(await source(src), opts);
}

/** Options of `load`. */
export interface LoadOptions extends GgufLoadOptions {
  /** The format; by default from the path's extension, else from the file's magic. */
  format?: FileFormat;
  /** Also return the metadata (safetensors and gguf), as `[arrays, metadata]`. */
  returnMetadata?: boolean;
}

function detect(src: LoadSource, b: Uint8Array): FileFormat {
  if (typeof src === 'string') {
    const m = /\.(npy|npz|safetensors|gguf)(?:[?#].*)?$/i.exec(src);
    if (m) {
      return m[1].toLowerCase() as FileFormat;
    }
  }
  if (isNpy(b)) return 'npy';
  if (isZip(b)) return 'npz';
  if (isSafetensors(b)) return 'safetensors';
  if (isGguf(b)) return 'gguf';
  throw new FormatError('load', 'Unknown file format: not .npy (\\x93NUMPY), .npz (zip), safetensors (length + JSON header) or GGUF.');
}

/**
 * Loads arrays from .npy (one array), .npz, .safetensors or .gguf (named arrays), chosen
 * by `format`, the path's extension, or the file's magic. With `returnMetadata`, a
 * safetensors or GGUF file gives `[arrays, metadata]`. GGUF options: `quantized` (keep
 * Q4_0/Q4_1/Q4_K/Q8_0 as MLX affine quantization) and `dequantizeDtype`.
 * @example
 * const a = (await mx.load('w.npy')) as mx.MxArray;
 * const weights = (await mx.load(bytes)) as Record<string, mx.MxArray>;
 * const [arrays, meta] = (await mx.load('m.safetensors', { returnMetadata: true })) as [Record<string, mx.MxArray>, Record<string, string>];
 */
export async function load(
  src: LoadSource, opts: LoadOptions = {},
): Promise<MxArray | Record<string, MxArray> | [Record<string, MxArray>, Record<string, string>] | [Record<string, MxArray>, Record<string, GgufValue>]> {
  let b: Uint8Array;
  try {
    b = await source(src);
  } catch (e) {
    // name the format when the path says GGUF, so a missing model file reads clearly
    if (typeof src === 'string' && /\.gguf(?:[?#].*)?$/i.test(src)) throw new Error(`[load] Cannot read GGUF file '${src}': ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
  const fmt = opts.format ?? detect(src, b);
  if (opts.returnMetadata && fmt !== 'safetensors' && fmt !== 'gguf') throw new Error(`[load] Metadata is only available for safetensors and gguf files, not ${fmt}.`);
  switch (fmt) {
    case 'npy': return decodeNpy(b, opts);
    case 'npz': return loadNpz(b, opts);
    case 'safetensors': {
      const r = decodeSafetensors(b, opts);
      return opts.returnMetadata ? [r.arrays, r.metadata] : r.arrays;
    }
    case 'gguf': {
      const r = decodeGguf(b, opts);
      return opts.returnMetadata ? [r.arrays, r.metadata] : r.arrays;
    }
    default: throw new Error(`[load] Unknown format '${String(fmt)}'; use npy, npz, safetensors or gguf.`);
  }
}
