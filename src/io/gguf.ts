// GGUF (llama.cpp's model format): a header, typed metadata key/values, tensor infos with
// ggml dims (fastest axis first) and types, then the aligned tensor data. Versions 1-3,
// little-endian.
import { MxArray, fromTyped } from '../core/array.ts';
import { type Dtype, type DtypeName, toDtype, float16, float32, bfloat16, uint32 } from '../core/dtype.ts';
import { resolveDevice, type StreamOpt } from '../core/device.ts';
import { f32ToBf16Bits, f32ToF16Bits, type TypedArray } from '../core/numeric.ts';
import { hostData } from '../api/readback.ts';
import { FormatError, check, arrayBytes, arrayFromBytes, concatBytes, fromUtf8, utf8 } from './bytes.ts';
import { GGML_TYPES, REPACKABLE, dequantizeBlocks, ggmlTypeByName, isBlockType, repackBlocks, type GgmlType } from './gguf-quants.ts';

/** GGUF metadata value types, indexed by their id in the file. */
export const GGUF_VALUE_TYPES = [
  'uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64',
] as const;
/** A GGUF metadata value type. */
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

/** Numeric GGUF arrays come back as typed arrays of their element type. */
export type GgufNumericArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
/**
 * A metadata value as read: numbers (64-bit integers beyond 2^53 as bigint), booleans,
 * strings, typed arrays for numeric arrays, plain arrays of strings, booleans or arrays.
 */
export type GgufValue = number | bigint | boolean | string | GgufNumericArray | GgufValue[];
/** A metadata value with its GGUF type (`itemType` for arrays). */
export interface GgufTypedValue {
  type: GgufValueType;
  value: GgufValue;
  itemType?: GgufValueType;
}
/** What `saveGguf` accepts as a metadata value: plain values (types inferred), typed values, or 0-d/1-d arrays. */
export type GgufMetadataInput = GgufValue | GgufTypedValue | MxArray;

/** One tensor's entry in a GGUF file. */
export interface GgufTensorInfo {
  name: string;
  /** Shape in MLX/NumPy order (the file's dims reversed). */
  shape: number[];
  /** ggml type name: 'F32', 'Q4_0', ... */
  type: string;
  /** Byte offset from the start of the tensor data. */
  offset: number;
  nbytes: number;
}

/** A parsed GGUF header. */
export interface GgufHeader {
  version: number;
  alignment: number;
  metadata: Record<string, GgufTypedValue>;
  tensors: GgufTensorInfo[];
  /** File offset of the tensor data. */
  dataStart: number;
}

const SIZES: Partial<Record<GgufValueType, number>> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, bool: 1, uint64: 8, int64: 8, float64: 8,
};
type ArrayCtor = { new (b: ArrayBuffer): GgufNumericArray; BYTES_PER_ELEMENT: number };
const ARRAYS: Partial<Record<GgufValueType, ArrayCtor>> = {
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, uint32: Uint32Array, int32: Int32Array,
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array, uint64: BigUint64Array,
};
const MAGIC = [0x47, 0x47, 0x55, 0x46]; // "GGUF"
const MAX_DEPTH = 16;
const MAX_DIMS = 8;

/** @internal Whether bytes start with the GGUF magic. */
export const isGguf = (b: Uint8Array): boolean => b.length >= 4 && MAGIC.every((m, i) => b[i] === m);

class Reader {
  pos = 0;
  readonly dv: DataView;
  constructor(readonly b: Uint8Array, readonly v1: boolean) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  need(n: number, what: string): void {
    check(n <= this.b.length - this.pos, 'gguf', () => `Truncated file: ${what} at byte ${this.pos} needs ${n} bytes, only ${this.b.length - this.pos} left.`);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(what: string): number {
    this.need(8, what);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    check(v <= BigInt(Number.MAX_SAFE_INTEGER), 'gguf', `${what} ${v} is out of range.`);
    return Number(v);
  }
  /** A count or length: 32-bit in version 1, 64-bit after. */
  len(what: string): number {
    return this.v1 ? this.u32(what) : this.u64(what);
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  str(what: string): string {
    const n = this.len(`${what} length`);
    return fromUtf8(this.bytes(n, what), 'gguf', what);
  }
  valueType(what: string): GgufValueType {
    const id = this.u32(`${what} type`);
    const t = GGUF_VALUE_TYPES[id];
    check(t !== undefined, 'gguf', `${what} has unknown value type ${id}.`);
    return t;
  }
  scalar(t: GgufValueType, what: string): number | bigint | boolean {
    this.need(SIZES[t]!, what);
    const dv = this.dv, p = this.pos;
    this.pos += SIZES[t]!;
    switch (t) {
      case 'uint8': return dv.getUint8(p);
      case 'int8': return dv.getInt8(p);
      case 'uint16': return dv.getUint16(p, true);
      case 'int16': return dv.getInt16(p, true);
      case 'uint32': return dv.getUint32(p, true);
      case 'int32': return dv.getInt32(p, true);
      case 'float32': return dv.getFloat32(p, true);
      case 'float64': return dv.getFloat64(p, true);
      case 'bool': {
        const v = dv.getUint8(p);
        check(v <= 1, 'gguf', `${what} is a bool holding the byte ${v}; only 0 and 1 are valid.`);
        return v === 1;
      }
      default: {
        const v = t === 'int64' ? dv.getBigInt64(p, true) : dv.getBigUint64(p, true);
        return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
    }
  }
  value(t: GgufValueType, what: string, depth = 0): GgufTypedValue {
    if (t === 'string') return { type: t, value: this.str(what) };
    if (t !== 'array') return { type: t, value: this.scalar(t, what) };
    check(depth < MAX_DEPTH, 'gguf', `${what} nests arrays more than ${MAX_DEPTH} deep.`);
    const itemType = this.valueType(`${what} item`);
    const n = this.len(`${what} length`);
    const ctor = ARRAYS[itemType];
    if (ctor) {
      const raw = this.bytes(n * ctor.BYTES_PER_ELEMENT, `${what} (${n} x ${itemType})`);
      return { type: t, itemType, value: new ctor(raw.slice().buffer) };
    }
    // each string, bool or nested array takes at least 1 byte: a length beyond the file is a lie
    this.need(n, `${what} (${n} x ${itemType})`);
    const items: GgufValue[] = [];
    for (let i = 0; i < n; i++) items.push(this.value(itemType, `${what}[${i}]`, depth + 1).value);
    return { type: t, itemType, value: items };
  }
}

/**
 * Parses and validates a GGUF header (metadata with types, tensor infos) without reading
 * tensor data. Throws a FormatError naming the problem for malformed or truncated files.
 * @example
 * const { metadata, tensors } = parseGgufHeader(bytes);
 * console.log(metadata['general.architecture'].value, tensors.map((t) => t.type));
 */
export function parseGgufHeader(b: Uint8Array): GgufHeader {
  check(b.length >= 8, 'gguf', `File is too short (${b.length} bytes) for the GGUF header.`);
  check(isGguf(b), 'gguf', `Bad magic ${JSON.stringify(String.fromCharCode(...b.subarray(0, 4)))}: not a GGUF file (expected "GGUF").`);
  const version = new DataView(b.buffer, b.byteOffset, 8).getUint32(4, true);
  check((version & 0xffff) !== 0, 'gguf', 'Big-endian GGUF files are not supported.');
  check(version >= 1 && version <= 3, 'gguf', `Unsupported GGUF version ${version} (webmlx reads versions 1 to 3).`);
  const r = new Reader(b, version === 1);
  r.pos = 8;
  const nTensors = r.len('tensor count');
  const nKv = r.len('metadata count');
  // every key/value takes at least 13 bytes and every tensor info at least 24 (9 and 20 in v1)
  check(nKv * (r.v1 ? 9 : 13) + nTensors * (r.v1 ? 20 : 24) <= b.length - r.pos, 'gguf', `Truncated file: ${nKv} metadata entries and ${nTensors} tensor infos cannot fit in ${b.length} bytes.`);
  const metadata: Record<string, GgufTypedValue> = {};
  for (let i = 0; i < nKv; i++) {
    const key = r.str(`metadata key ${i}`);
    check(!(key in metadata), 'gguf', `Duplicate metadata key '${key}'.`);
    metadata[key] = r.value(r.valueType(`metadata '${key}'`), `metadata '${key}'`);
  }
  let alignment = 32;
  const al = metadata['general.alignment'];
  if (al) {
    const v = Number(al.value);
    check(typeof al.value === 'number' && Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0 && v <= 1 << 30, 'gguf', `general.alignment ${String(al.value)} is not a power of two.`);
    alignment = v;
  }
  const infos: (GgufTensorInfo & { t: GgmlType; n: number })[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const name = r.str(`tensor ${i} name`);
    check(!names.has(name), 'gguf', `Duplicate tensor name '${name}'.`);
    names.add(name);
    const nd = r.u32(`tensor '${name}' dimension count`);
    check(nd <= MAX_DIMS, 'gguf', `Tensor '${name}' has ${nd} dimensions (at most ${MAX_DIMS}).`);
    const ne: number[] = [];
    for (let d = 0; d < nd; d++) ne.push(r.len(`tensor '${name}' dimension ${d}`));
    const id = r.u32(`tensor '${name}' type`);
    const offset = r.u64(`tensor '${name}' offset`);
    const t = GGML_TYPES.get(id);
    check(t, 'gguf', `Tensor '${name}' has unknown tensor type ${id}.`);
    check(t.readable, 'gguf', `Tensor '${name}' has tensor type ${t.name} (${id}), which webmlx does not support.`);
    const n = ne.reduce((p, d) => p * d, 1);
    check(Number.isSafeInteger(n), 'gguf', `Tensor '${name}' has too many elements (dims ${ne.join(' x ')}).`);
    check(t.block === 1 || (ne[0] ?? 1) % t.block === 0, 'gguf', `Tensor '${name}' of type ${t.name}: first dimension ${ne[0]} is not a multiple of the block size ${t.block}.`);
    check(offset % alignment === 0, 'gguf', `Tensor '${name}' offset ${offset} is not a multiple of the alignment ${alignment}.`);
    infos.push({ name, shape: ne.slice().reverse(), type: t.name, offset, nbytes: (n / t.block) * t.bytes, t, n });
  }
  const dataStart = Math.ceil(r.pos / alignment) * alignment;
  const dataLen = b.length - dataStart;
  for (const e of infos) {
    check(e.offset + e.nbytes <= dataLen, 'gguf', `Tensor '${e.name}' data [${e.offset}, ${e.offset + e.nbytes}) is out of range of the ${Math.max(dataLen, 0)} data bytes: the file is truncated or the offsets are wrong.`);
  }
  return { version, alignment, metadata, tensors: infos.map(({ name, shape, type, offset, nbytes }) => ({ name, shape, type, offset, nbytes })), dataStart };
}

/** Options of GGUF loading. */
export interface GgufLoadOptions extends StreamOpt {
  /** Keep Q4_0/Q4_1/Q4_K/Q8_0 tensors as MLX affine quantization (`name`, `prefix.scales`, `prefix.biases`), as MLX's loader does. */
  quantized?: boolean;
  /** Dtype of dequantized tensors (default float32). */
  dequantizeDtype?: 'float32' | 'float16' | 'bfloat16';
}

/** Tensors and metadata of a GGUF file. */
export interface Gguf {
  arrays: Record<string, MxArray>;
  metadata: Record<string, GgufValue>;
}

const PLAIN: Record<string, DtypeName> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', I8: 'int8', I16: 'int16', I32: 'int32', I64: 'int64',
};

function floatArray(y: Float32Array, shape: number[], dtype: Dtype, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  if (dtype === float32) return fromTyped(y, shape, float32, dev);
  const conv = dtype === float16 ? f32ToF16Bits : f32ToBf16Bits;
  const h = new Uint16Array(y.length);
  for (let i = 0; i < y.length; i++) h[i] = conv(y[i]);
  return fromTyped(h, shape, dtype, dev);
}

/**
 * Decodes GGUF bytes into named arrays (MLX shapes: the file's dims reversed) and plain
 * metadata values. Quantized tensors are dequantized with ggml's formulas unless
 * `quantized` keeps Q4_0/Q4_1/Q4_K/Q8_0 in MLX's affine layout (group size 32).
 * @example
 * const { arrays, metadata } = decodeGguf(bytes, { quantized: true });
 */
export function decodeGguf(b: Uint8Array, opts: GgufLoadOptions = {}): Gguf {
  const h = parseGgufHeader(b);
  const deq = toDtype(opts.dequantizeDtype ?? 'float32');
  check(deq === float32 || deq === float16 || deq === bfloat16, 'gguf', `dequantizeDtype must be float32, float16 or bfloat16, not ${deq.name}.`);
  const arrays: Record<string, MxArray> = {};
  const put = (name: string, a: MxArray) => {
    check(!(name in arrays), 'gguf', `Duplicate array name '${name}' (quantized tensors add '.scales' and '.biases').`);
    arrays[name] = a;
  };
  for (const e of h.tensors) {
    const t = ggmlTypeByName(e.type)!;
    const raw = b.subarray(h.dataStart + e.offset, h.dataStart + e.offset + e.nbytes);
    const n = (e.nbytes / t.bytes) * t.block;
    if (PLAIN[t.name]) {
      put(e.name, arrayFromBytes(raw, toDtype(PLAIN[t.name]), e.shape, opts));
    } else if (opts.quantized && REPACKABLE[t.name] && e.shape.length > 0) {
      const bits = REPACKABLE[t.name], last = e.shape.length - 1;
      const { wq, scales, biases } = repackBlocks(t, raw, n);
      const dev = resolveDevice(opts);
      const prefix = e.name.endsWith('.weight') ? e.name.slice(0, -7) : e.name;
      const sshape = e.shape.map((d, i) => (i === last ? d / 32 : d));
      put(e.name, fromTyped(wq, e.shape.map((d, i) => (i === last ? (d * bits) / 32 : d)), uint32, dev));
      put(`${prefix}.scales`, fromTyped(scales, sshape, float16, dev));
      put(`${prefix}.biases`, fromTyped(biases, sshape, float16, dev));
    } else if (isBlockType(t)) {
      put(e.name, floatArray(dequantizeBlocks(t, raw, n), e.shape, deq, opts));
    } else {
      throw new FormatError('gguf', `Tensor '${e.name}' has tensor type ${t.name}, which webmlx does not support.`);
    }
  }
  const metadata: Record<string, GgufValue> = {};
  for (const [k, v] of Object.entries(h.metadata)) metadata[k] = v.value;
  return { arrays, metadata };
}

// ---- writing ----

const TENSOR_TYPE: Partial<Record<DtypeName, string>> = {
  float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64', int8: 'I8', int16: 'I16', int32: 'I32', int64: 'I64',
};
const META_OF_DTYPE: Partial<Record<DtypeName, GgufValueType>> = {
  bool: 'bool', uint8: 'uint8', int8: 'int8', uint16: 'uint16', int16: 'int16', uint32: 'uint32', int32: 'int32',
  float32: 'float32', uint64: 'uint64', int64: 'int64', float64: 'float64',
};
const RANGES: Partial<Record<GgufValueType, [bigint, bigint]>> = {
  uint8: [0n, 255n], int8: [-128n, 127n], uint16: [0n, 65535n], int16: [-32768n, 32767n], uint32: [0n, 4294967295n],
  int32: [-2147483648n, 2147483647n], uint64: [0n, 2n ** 64n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n],
};

const isTyped = (v: unknown): v is GgufNumericArray => ArrayBuffer.isView(v) && !(v instanceof DataView);
function typedArrayType(v: GgufNumericArray): GgufValueType {
  for (const [t, ctor] of Object.entries(ARRAYS)) if (v instanceof ctor!) return t as GgufValueType;
  return 'uint8'; // Uint8ClampedArray
}
const isTagged = (v: unknown): v is GgufTypedValue =>
  !!v && typeof v === 'object' && !Array.isArray(v) && !isTyped(v) && !(v instanceof MxArray) && 'type' in v && 'value' in v;

/** The GGUF type a plain JS value is written as. */
function inferType(v: unknown, what: string): GgufTypedValue {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'bigint') return { type: v > 2n ** 63n - 1n ? 'uint64' : 'int64', value: v };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return { type: 'float32', value: v };
    if (v >= -(2 ** 31) && v < 2 ** 31) return { type: 'int32', value: v };
    if (v >= 0 && v < 2 ** 32) return { type: 'uint32', value: v };
    return { type: 'int64', value: v };
  }
  if (isTyped(v)) return { type: 'array', itemType: typedArrayType(v), value: v };
  if (Array.isArray(v)) {
    const items = v.map((x, i) => inferType(x, `${what}[${i}]`));
    let itemType: GgufValueType = items[0]?.type ?? 'int32';
    if (items.every((x) => x.type === 'int32' || x.type === 'float32' || x.type === 'uint32' || x.type === 'int64')) {
      const kinds = new Set(items.map((x) => x.type));
      if (kinds.has('float32')) itemType = 'float32';
      else if (kinds.has('int64') || (kinds.has('uint32') && items.some((x) => (x.value as number) < 0))) itemType = 'int64';
      else if (kinds.has('uint32')) itemType = 'uint32';
    }
    for (const x of items) {
      const ok = x.type === itemType || (typeof x.value === 'number' && ['float32', 'int64', 'uint32'].includes(itemType));
      if (!ok) throw new TypeError(`[saveGguf] ${what} mixes ${itemType} and ${x.type} items; GGUF arrays hold one type.`);
    }
    return { type: 'array', itemType, value: v as GgufValue[] };
  }
  throw new TypeError(`[saveGguf] ${what} cannot be written as GGUF metadata (got ${v === null ? 'null' : typeof v}).`);
}

async function resolveMeta(v: GgufMetadataInput, what: string): Promise<GgufTypedValue> {
  if (v instanceof MxArray) {
    const t = META_OF_DTYPE[v.dtype.name];
    if (!t) throw new TypeError(`[saveGguf] ${what}: arrays of ${v.dtype.name} cannot be GGUF metadata.`);
    if (v.ndim > 1) throw new TypeError(`[saveGguf] ${what}: cannot save arrays with more than one dimension as metadata (shape (${v.shape.join(',')})).`);
    if (v.size === 0) throw new TypeError(`[saveGguf] ${what}: cannot save empty arrays as metadata.`);
    const data: TypedArray = await hostData(v);
    if (v.ndim === 0) return { type: t, value: t === 'bool' ? data[0] !== 0 : (data[0] as number | bigint) };
    if (t === 'bool') return { type: 'array', itemType: 'bool', value: Array.from(data as Uint8Array, (x) => x !== 0) };
    return { type: 'array', itemType: t, value: data as GgufNumericArray };
  }
  if (isTagged(v)) {
    if (!GGUF_VALUE_TYPES.includes(v.type)) throw new TypeError(`[saveGguf] ${what} has unknown GGUF type '${String(v.type)}'.`);
    return v;
  }
  return inferType(v, what);
}

class Writer {
  chunks: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array) {
    this.chunks.push(b);
    this.size += b.length;
  }
  num(t: GgufValueType, v: unknown, what: string) {
    const out = new Uint8Array(SIZES[t]!), dv = new DataView(out.buffer);
    const range = RANGES[t];
    if (range) {
      const ok = (typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'bigint';
      if (!ok || BigInt(v as number) < range[0] || BigInt(v as number) > range[1]) {
        throw new RangeError(`[saveGguf] ${what}: ${String(v)} is not a ${t} value.`);
      }
    } else if (t === 'bool' ? typeof v !== 'boolean' : typeof v !== 'number') {
      throw new TypeError(`[saveGguf] ${what}: ${String(v)} is not a ${t} value.`);
    }
    switch (t) {
      case 'uint8': dv.setUint8(0, v as number); break;
      case 'int8': dv.setInt8(0, v as number); break;
      case 'uint16': dv.setUint16(0, v as number, true); break;
      case 'int16': dv.setInt16(0, v as number, true); break;
      case 'uint32': dv.setUint32(0, v as number, true); break;
      case 'int32': dv.setInt32(0, v as number, true); break;
      case 'float32': dv.setFloat32(0, v as number, true); break;
      case 'float64': dv.setFloat64(0, v as number, true); break;
      case 'bool': dv.setUint8(0, v ? 1 : 0); break;
      case 'int64': dv.setBigInt64(0, BigInt(v as number), true); break;
      default: dv.setBigUint64(0, BigInt(v as number), true);
    }
    this.push(out);
  }
  u32(v: number) { this.num('uint32', v, 'u32'); }
  u64(v: number) { this.num('uint64', v, 'u64'); }
  str(s: string) {
    const b = utf8(s);
    this.u64(b.length);
    this.push(b);
  }
  value(t: GgufValueType, v: unknown, what: string, itemType?: GgufValueType, depth = 0): void {
    if (t === 'string') {
      if (typeof v !== 'string') throw new TypeError(`[saveGguf] ${what}: expected a string, got ${typeof v}.`);
      return this.str(v);
    }
    if (t !== 'array') return this.num(t, v, what);
    if (depth >= MAX_DEPTH) throw new RangeError(`[saveGguf] ${what} nests arrays more than ${MAX_DEPTH} deep.`);
    if (!Array.isArray(v) && !isTyped(v)) throw new TypeError(`[saveGguf] ${what}: expected an array.`);
    const it = itemType ?? (isTyped(v) ? typedArrayType(v) : inferType(v, what).itemType!);
    this.u32(GGUF_VALUE_TYPES.indexOf(it));
    this.u64(v.length);
    if (isTyped(v) && typedArrayType(v) === it) return this.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice());
    for (let i = 0; i < v.length; i++) {
      const x = (v as ArrayLike<unknown>)[i];
      const inner = it === 'array' ? inferType(x, `${what}[${i}]`).itemType : undefined;
      this.value(it, x, `${what}[${i}]`, inner, depth + 1);
    }
  }
}

/**
 * Encodes named arrays (float32, float16, bfloat16, float64, int8, int16, int32, int64) and
 * metadata as GGUF version 3 bytes. Metadata values may be plain JS values (strings,
 * booleans, integers as int32/uint32/int64, other numbers as float32, typed arrays, arrays),
 * `{ type, value, itemType? }` for an explicit GGUF type, or 0-d/1-d arrays (MLX's way).
 * @example
 * const bytes = await encodeGguf({ 'tok.weight': w }, { 'general.architecture': 'llama', 'llama.block_count': { type: 'uint32', value: 2 } });
 */
export async function encodeGguf(arrays: Record<string, MxArray>, metadata: Record<string, GgufMetadataInput> = {}): Promise<Uint8Array> {
  const w = new Writer();
  const names = Object.keys(arrays);
  const kvs: [string, GgufTypedValue][] = [];
  for (const [k, v] of Object.entries(metadata)) kvs.push([k, await resolveMeta(v, `metadata '${k}'`)]);
  let alignment = 32;
  const al = kvs.find(([k]) => k === 'general.alignment')?.[1];
  if (al) {
    const v = Number(al.value);
    if (!Number.isInteger(v) || v <= 0 || (v & (v - 1)) !== 0) throw new RangeError(`[saveGguf] general.alignment ${String(al.value)} is not a power of two.`);
    alignment = v;
  }
  w.push(new Uint8Array(MAGIC));
  w.u32(3);
  w.u64(names.length);
  w.u64(kvs.length);
  for (const [k, v] of kvs) {
    w.str(k);
    w.u32(GGUF_VALUE_TYPES.indexOf(v.type));
    w.value(v.type, v.value, `metadata '${k}'`, v.itemType);
  }
  const datas: Uint8Array[] = [];
  let off = 0;
  for (const name of names) {
    const a = arrays[name];
    if (!(a instanceof MxArray)) throw new TypeError(`[saveGguf] '${name}' is not an array.`);
    const tname = TENSOR_TYPE[a.dtype.name];
    if (!tname) throw new TypeError(`[saveGguf] '${name}' has dtype ${a.dtype.name}, which GGUF cannot store (float32, float16, bfloat16, float64, int8, int16, int32, int64).`);
    const data = await arrayBytes(a);
    off = Math.ceil(off / alignment) * alignment;
    w.str(name);
    w.u32(a.ndim);
    for (let d = a.ndim - 1; d >= 0; d--) w.u64(a.shape[d]);
    w.u32(ggmlTypeByName(tname)!.id);
    w.u64(off);
    datas.push(data);
    off += data.length;
  }
  const pad = (n: number) => new Uint8Array((alignment - (n % alignment)) % alignment);
  w.push(pad(w.size));
  let pos = 0;
  for (const d of datas) {
    const p = pad(pos);
    w.push(p);
    w.push(d);
    pos += p.length + d.length;
  }
  return concatBytes(w.chunks);
}
