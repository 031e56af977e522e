// How each dtype sits in array<u32> words and the WGSL that loads, converts and packs it.
// Sub-32-bit dtypes pack little-endian (4 x 8-bit or 2 x 16-bit per word) as the CPU arrays.
import { type Dtype, float32, int32, uint32 } from '../../core/dtype.ts';
import type { WType } from '../../ops/defs/elementwise.ts';

export type { WType };

/** Compute type of a dtype inside kernels. */
export function wtype(d: Dtype): WType {
  switch (d.kind) {
    case 'f': case 'V': return 'f32';
    case 'i': return 'i32';
    case 'u': return 'u32';
    case 'b': return 'bool';
    // complex ops lower to float32 (re, im) pairs before any kernel is generated
    case 'c': throw new Error(`internal: a kernel was asked to compute on ${d.name}`);
  }
}

/** Elements per u32 word. */
export function perWord(d: Dtype): number {
  return d.size >= 4 ? 1 : 4 / d.size;
}

/** The 32-bit dtype that holds d's compute values unpacked (routine kernels' temporaries). */
export function wideOf(d: Dtype): Dtype {
  switch (wtype(d)) {
    case 'f32': return float32;
    case 'i32': return int32;
    default: return uint32;
  }
}

export function zero(t: WType): string {
  return t === 'bool' ? 'false' : t === 'f32' ? '0.0' : t === 'i32' ? '0i' : '0u';
}

/** The compute value of element `sub` of `word` (both u32 expressions). */
export function decode(d: Dtype, word: string, sub: string): string {
  switch (d.name) {
    case 'float32': return `bitcast<f32>(${word})`;
    case 'int32': return `bitcast<i32>(${word})`;
    case 'uint32': return word;
    case 'float16': return `mxb_dec_f16(${word}, ${sub})`;
    case 'bfloat16': return `mxb_dec_bf16(${word}, ${sub})`;
    case 'int8': return `mxb_dec_i8(${word}, ${sub})`;
    case 'uint8': return `mxb_dec_u8(${word}, ${sub})`;
    case 'int16': return `mxb_dec_i16(${word}, ${sub})`;
    case 'uint16': return `mxb_dec_u16(${word}, ${sub})`;
    case 'bool': return `mxb_dec_bool(${word}, ${sub})`;
    default: throw new Error(`[gpu] dtype ${d.name} cannot be used on the GPU.`);
  }
}

/** A function `name(e: u32) -> T` loading element e of binding `buf` holding dtype d. */
export function loadFn(name: string, buf: string, d: Dtype): string {
  const n = perWord(d);
  const word = n === 1 ? `${buf}[e]` : `${buf}[e >> ${n === 2 ? 1 : 2}u]`;
  const sub = n === 1 ? '0u' : `(e & ${n - 1}u)`;
  return `fn ${name}(e: u32) -> ${wtype(d)} {\n  return ${decode(d, word, sub)};\n}`;
}

/** As loadFn, with the u32 word at word index `w` given by `word(w)` (e.g. from a vec4 binding). */
export function loadWordsFn(name: string, word: (w: string) => string, d: Dtype): string {
  const n = perWord(d);
  const wi = n === 1 ? 'e' : `e >> ${n === 2 ? 1 : 2}u`;
  const sub = n === 1 ? '0u' : `(e & ${n - 1}u)`;
  return `fn ${name}(e: u32) -> ${wtype(d)} {\n  return ${decode(d, word(wi), sub)};\n}`;
}

/** Rounds/wraps a compute value to what dtype d holds (the CPU rounds at every node). */
export function narrow(d: Dtype, x: string): string {
  switch (d.name) {
    case 'float16': return `mxb_round_f16(${x})`;
    case 'bfloat16': return `mxb_round_bf16(${x})`;
    case 'int8': return `extractBits(${x}, 0u, 8u)`;
    case 'int16': return `extractBits(${x}, 0u, 16u)`;
    case 'uint8': return `((${x}) & 0xffu)`;
    case 'uint16': return `((${x}) & 0xffffu)`;
    default: return x;
  }
}

/** The bits of one element of d (the low d.size * 8 bits of a u32). */
export function elemBits(d: Dtype, x: string): string {
  switch (d.name) {
    case 'float32': return `bitcast<u32>(${x})`;
    case 'int32': return `bitcast<u32>(${x})`;
    case 'uint32': return x;
    case 'float16': return `mxb_f16_bits(${x})`;
    case 'bfloat16': return `mxb_bf16_bits(${x})`;
    case 'int8': return `(bitcast<u32>(${x}) & 0xffu)`;
    case 'int16': return `(bitcast<u32>(${x}) & 0xffffu)`;
    case 'uint8': return `(${x} & 0xffu)`;
    case 'uint16': return `(${x} & 0xffffu)`;
    case 'bool': return `select(0u, 1u, ${x})`;
    default: throw new Error(`[gpu] dtype ${d.name} cannot be used on the GPU.`);
  }
}

/** One u32 word from perWord(d) element values (already narrowed), lowest first. */
export function packWord(d: Dtype, vals: string[]): string {
  const bits = d.size * 8;
  return vals.map((v, k) => (k === 0 ? elemBits(d, v) : `(${elemBits(d, v)} << ${k * bits}u)`)).join(' | ');
}

/** `word` with element `sub` replaced by compute value v. */
export function putElem(d: Dtype, word: string, sub: string, v: string): string {
  if (perWord(d) === 1) return elemBits(d, v);
  const bits = d.size * 8;
  return `insertBits(${word}, ${elemBits(d, v)}, ${sub} * ${bits}u, ${bits}u)`;
}

/** Converts a compute value of dtype `from` to dtype `to` as the CPU casts do. */
export function cast(x: string, from: Dtype, to: Dtype): string {
  if (from === to) return x;
  const f = wtype(from), t = wtype(to);
  if (f === 'bool') {
    if (t === 'bool') return x;
    return narrow(to, `select(${zero(t)}, ${t === 'f32' ? '1.0' : t === 'i32' ? '1i' : '1u'}, ${x})`);
  }
  if (t === 'bool') return f === 'f32' ? `mxb_f2bool(${x})` : `(${x} != ${zero(f)})`;
  if (f === 'f32') {
    if (t === 'f32') return narrow(to, x);
    if (to.name === 'int32') return `mxb_f2i32(${x})`;
    const w = `mxb_f2wrap(${x})`;
    return narrow(to, t === 'i32' ? `bitcast<i32>(${w})` : w);
  }
  if (t === 'f32') return narrow(to, `f32(${x})`);
  if (f === t) return narrow(to, x);
  return narrow(to, `bitcast<${t}>(${x})`);
}

/** Bits of compute value v of dtype d in d's wide (32-bit) temporary layout. */
export function wideBits(d: Dtype, v: string): string {
  return wtype(d) === 'bool' ? `select(0u, 1u, ${v})` : elemBits(wideOf(d), v);
}

/** Accumulator type of reductions/scans over dtype d (bools count as u32 0/1). */
export function accType(d: Dtype): 'f32' | 'i32' | 'u32' {
  const t = wtype(d);
  return t === 'bool' ? 'u32' : t;
}

/** A compute value of d as its accumulator type. */
export function toAcc(d: Dtype, x: string): string {
  return wtype(d) === 'bool' ? `select(0u, 1u, ${x})` : x;
}

/** An accumulator value back to d's compute value, rounded as d stores it. */
export function fromAcc(d: Dtype, x: string): string {
  return wtype(d) === 'bool' ? `(${x} != 0u)` : narrow(d, x);
}
