// NumPy's .npy format: magic, version, a Python-dict header, then the raw data.
import type { MxArray } from '../core/array.ts';
import { type Dtype, toDtype } from '../core/dtype.ts';
import type { StreamOpt } from '../core/device.ts';
import { transpose, reshape } from '../ops/shape.ts';
import { FormatError, check, arrayBytes, arrayFromBytes, byteswap, concatBytes, utf8 } from './bytes.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Array-protocol type strings, as MLX writes them ('<V2' is MLX's bfloat16). */
function descrOf(d: Dtype): string {
  if (d.name === 'bfloat16') return '<V2';
  if (d.name === 'bool') return '|b1';
  const kind = d.kind === 'V' ? 'V' : d.kind;
  return `${d.size === 1 ? '|' : '<'}${kind}${d.size}`;
}

const DESCR: Record<string, string> = {
  b1: 'bool', u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64', i1: 'int8', i2: 'int16', i4: 'int32',
  i8: 'int64', f2: 'float16', f4: 'float32', f8: 'float64', V2: 'bfloat16', c8: 'complex64',
};

/**
 * Encodes an array as .npy bytes (version 1.0, or 2.0 for huge headers). bfloat16 is
 * written as '<V2', as MLX does.
 * @example
 * const bytes = await encodeNpy(mx.arange(6).reshape(2, 3));
 */
export async function encodeNpy(a: MxArray): Promise<Uint8Array> {
  const data = await arrayBytes(a);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${descrOf(a.dtype)}', 'fortran_order': False, 'shape': ${shape}, }`;
  const v1 = header.length + 11 < 65535;
  const pre = v1 ? 10 : 12;
  // pad magic + version + length + header + '\n' to a multiple of 64 (NumPy's alignment)
  header += ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const head = new Uint8Array(pre);
  head.set(MAGIC);
  head[6] = v1 ? 1 : 2;
  const dv = new DataView(head.buffer);
  if (v1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  return concatBytes([head, utf8(header), data]);
}

/** The fields of a .npy header. */
export interface NpyHeader {
  dtype: Dtype;
  bigEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

function parseHeaderDict(h: string): { descr: string; fortran: boolean; shape: number[] } {
  const t = h.trim();
  check(t.startsWith('{') && t.endsWith('}'), 'npy', `Header is not a Python dict literal: ${JSON.stringify(t.slice(0, 80))}.`);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(t);
  check(descr, 'npy', "Header has no 'descr' entry.");
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(t);
  check(fortran, 'npy', "Header has no 'fortran_order' entry (True or False).");
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(t);
  check(shape, 'npy', "Header has no 'shape' tuple.");
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out = dims.map((s) => {
    check(/^\d+L?$/.test(s), 'npy', `Shape entry '${s}' is not a non-negative integer.`);
    const v = parseInt(s, 10);
    check(Number.isSafeInteger(v), 'npy', `Shape entry '${s}' is too large.`);
    return v;
  });
  return { descr: descr[1], fortran: fortran[1] === 'True', shape: out };
}

/**
 * Parses and validates the header of .npy bytes.
 * @example
 * const { dtype, shape } = parseNpyHeader(bytes);
 */
export function parseNpyHeader(b: Uint8Array): NpyHeader {
  check(b.length >= 10, 'npy', `File is too short (${b.length} bytes) to hold the magic and header length.`);
  check(MAGIC.every((m, i) => b[i] === m), 'npy', 'Bad magic: the file does not start with \\x93NUMPY.');
  const major = b[6];
  check(major >= 1 && major <= 3, 'npy', `Unsupported format version ${major}.${b[7]}.`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  check(b.length >= 8 + lenSize, 'npy', 'File is truncated inside the header length.');
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = 8 + lenSize;
  check(start + hlen <= b.length, 'npy', `Header length ${hlen} runs past the end of the file (${b.length} bytes).`);
  const hb = b.subarray(start, start + hlen);
  let text = '';
  for (const c of hb) text += String.fromCharCode(c); // latin-1 (v1/v2) is enough for the fields we read
  const { descr, fortran, shape } = parseHeaderDict(text);
  const m = /^([<>|=]?)([a-zA-Z]\d+)$/.exec(descr);
  check(m && DESCR[m[2]], 'npy', `Unsupported dtype descr '${descr}'.`);
  const dtype = toDtype(DESCR[m[2]] as never);
  return { dtype, bigEndian: m[1] === '>' && dtype.size > 1, fortranOrder: fortran, shape, dataOffset: start + hlen };
}

/**
 * Decodes .npy bytes into an array (Fortran-ordered and big-endian data are converted).
 * @example
 * const a = decodeNpy(await (await fetch('w.npy')).bytes());
 */
export function decodeNpy(b: Uint8Array, opts?: StreamOpt): MxArray {
  const h = parseNpyHeader(b);
  const n = h.shape.reduce((p, d) => p * d, 1);
  const need = n * h.dtype.size;
  const have = b.length - h.dataOffset;
  check(have >= need, 'npy', `Data is truncated: shape (${h.shape.join(', ')}) of ${h.dtype.name} needs ${need} bytes, the file has ${have}.`);
  const raw = b.slice(h.dataOffset, h.dataOffset + need);
  if (h.bigEndian) byteswap(raw, h.dtype.kind === 'c' ? 4 : h.dtype.size);
  if (h.dtype.name === 'bool') {
    for (const v of raw) check(v <= 1, 'npy', `bool data holds the byte ${v}; only 0 and 1 are valid.`);
  }
  if (!h.fortranOrder || h.shape.length < 2) return arrayFromBytes(raw, h.dtype, h.shape, opts);
  const rev = [...h.shape].reverse();
  return reshape(transpose(arrayFromBytes(raw, h.dtype, rev, opts), undefined, opts), h.shape, opts);
}

/** @internal Whether bytes start with the .npy magic. */
export const isNpy = (b: Uint8Array): boolean => b.length >= 6 && MAGIC.every((m, i) => b[i] === m);

export { FormatError };
