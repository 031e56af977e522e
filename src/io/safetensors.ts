// The safetensors format: an 8-byte little-endian header length, a JSON header naming
// each tensor's dtype, shape and byte range, then the concatenated data.
import type { MxArray } from '../core/array.ts';
import { type Dtype, toDtype, type DtypeName } from '../core/dtype.ts';
import type { StreamOpt } from '../core/device.ts';
import { FormatError, check, arrayBytes, arrayFromBytes, concatBytes, fromUtf8, utf8 } from './bytes.ts';

const TO_ST: Record<DtypeName, string> = {
  bool: 'BOOL', uint8: 'U8', uint16: 'U16', uint32: 'U32', uint64: 'U64', int8: 'I8', int16: 'I16', int32: 'I32',
  int64: 'I64', float16: 'F16', bfloat16: 'BF16', float32: 'F32', float64: 'F64', complex64: 'C64',
};
const FROM_ST: Record<string, DtypeName> = Object.fromEntries(Object.entries(TO_ST).map(([k, v]) => [v, k as DtypeName]));

/** Tensors and string metadata of a safetensors file. */
export interface Safetensors {
  arrays: Record<string, MxArray>;
  metadata: Record<string, string>;
}

/**
 * Encodes named arrays (and optional string metadata) as safetensors bytes. The header is
 * padded with spaces to a multiple of 8 bytes, as the reference implementation does.
 * @example
 * const bytes = await encodeSafetensors({ w: mx.ones([2, 2]) }, { format: 'mlx' });
 */
export async function encodeSafetensors(arrays: Record<string, MxArray>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`[safetensors] Metadata value of '${k}' must be a string, got ${typeof v}.`);
    }
    header.__metadata__ = metadata;
  }
  const names = Object.keys(arrays);
  const datas = await Promise.all(names.map((n) => arrayBytes(arrays[n])));
  let off = 0;
  names.forEach((n, i) => {
    if (n === '__metadata__') throw new Error("[safetensors] '__metadata__' cannot be used as a tensor name.");
    const a = arrays[n];
    header[n] = { dtype: TO_ST[a.dtype.name], shape: [...a.shape], data_offsets: [off, off + datas[i].length] };
    off += datas[i].length;
  });
  let json = JSON.stringify(header);
  const enc = utf8(json);
  const pad = (8 - (enc.length % 8)) % 8;
  json += ' '.repeat(pad);
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, BigInt(enc.length + pad), true);
  return concatBytes([head, utf8(json), ...datas]);
}

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Largest header the reader accepts (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

/**
 * Parses and validates a safetensors header without building arrays.
 * @example
 * const { entries, metadata } = parseSafetensorsHeader(bytes);
 */
export function parseSafetensorsHeader(b: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  check(b.length >= 8, 'safetensors', `File is too short (${b.length} bytes) to hold the 8-byte header length.`);
  const n64 = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  check(n64 <= BigInt(b.length - 8), 'safetensors', `Header length ${n64} runs past the end of the file (${b.length} bytes).`);
  const n = Number(n64);
  check(n <= MAX_HEADER, 'safetensors', `Header length ${n} exceeds the ${MAX_HEADER}-byte limit.`);
  check(n >= 2, 'safetensors', `Header length ${n} is too small for a JSON object.`);
  const text = fromUtf8(b.subarray(8, 8 + n), 'safetensors', 'Header');
  check(text.trimStart().startsWith('{'), 'safetensors', 'Header does not start with a JSON object (bad magic or not a safetensors file).');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FormatError('safetensors', `Header is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  check(parsed && typeof parsed === 'object' && !Array.isArray(parsed), 'safetensors', 'Header is not a JSON object.');
  const dataStart = 8 + n;
  const dataLen = b.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      check(v && typeof v === 'object' && !Array.isArray(v), 'safetensors', '__metadata__ must be an object of strings.');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        check(typeof s === 'string', 'safetensors', `Metadata value of '${k}' is not a string.`);
        metadata[k] = s;
      }
      continue;
    }
    check(v && typeof v === 'object', 'safetensors', `Entry '${name}' is not an object.`);
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    check(typeof e.dtype === 'string' && FROM_ST[e.dtype], 'safetensors', `Entry '${name}' has unknown dtype ${JSON.stringify(e.dtype)}.`);
    check(Array.isArray(e.shape) && e.shape.every((d) => Number.isSafeInteger(d) && d >= 0), 'safetensors', `Entry '${name}' has an invalid shape ${JSON.stringify(e.shape)}.`);
    const off = e.data_offsets;
    check(Array.isArray(off) && off.length === 2 && off.every((o) => Number.isSafeInteger(o) && o >= 0), 'safetensors', `Entry '${name}' has invalid data_offsets ${JSON.stringify(off)}.`);
    const [begin, end] = off as number[];
    check(begin <= end, 'safetensors', `Entry '${name}' has data_offsets [${begin}, ${end}] out of order.`);
    check(end <= dataLen, 'safetensors', `Entry '${name}' data [${begin}, ${end}) runs past the end of the data (${dataLen} bytes): the file is truncated or the header lies.`);
    const dtype = toDtype(FROM_ST[e.dtype as string]);
    const shape = e.shape as number[];
    const size = shape.reduce((p, d) => p * d, 1);
    check(size * dtype.size === end - begin, 'safetensors', `Entry '${name}': shape [${shape.join(', ')}] of ${e.dtype} needs ${size * dtype.size} bytes but data_offsets span ${end - begin}.`);
    entries.push({ name, dtype, shape, begin, end });
  }
  return { entries, metadata, dataStart };
}

/**
 * Decodes safetensors bytes into named arrays and metadata.
 * @example
 * const { arrays, metadata } = decodeSafetensors(bytes);
 */
export function decodeSafetensors(b: Uint8Array, opts?: StreamOpt): Safetensors {
  const { entries, metadata, dataStart } = parseSafetensorsHeader(b);
  const arrays: Record<string, MxArray> = {};
  for (const e of entries) {
    const raw = b.subarray(dataStart + e.begin, dataStart + e.end);
    if (e.dtype.name === 'bool') {
      for (const v of raw) check(v <= 1, 'safetensors', `Entry '${e.name}': BOOL data holds the byte ${v}; only 0 and 1 are valid.`);
    }
    arrays[e.name] = arrayFromBytes(raw, e.dtype, e.shape, opts);
  }
  return { arrays, metadata };
}

/** @internal Whether bytes look like safetensors (a plausible length followed by '{'). */
export function isSafetensors(b: Uint8Array): boolean {
  if (b.length < 10) return false;
  const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  return n <= BigInt(b.length - 8) && b[8] === 0x7b;
}
