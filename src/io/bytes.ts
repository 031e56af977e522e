// Byte plumbing shared by the file formats: inputs as bytes, arrays <-> raw little-endian
// bytes, and the format errors every reader throws.
import { MxArray, fromTyped } from '../core/array.ts';
import { type Dtype, is64 } from '../core/dtype.ts';
import { cpu, resolveDevice, type StreamOpt } from '../core/device.ts';
import { viewTyped } from '../core/numeric.ts';
import { hostData } from '../api/readback.ts';

/** Anything the readers accept as file contents. */
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView | Blob;

/**
 * The error every reader throws for a malformed or truncated file. `format` names the
 * format ('npy', 'npz', 'safetensors', 'png', ...); the message starts with `[format]`.
 * @example
 * try { await mx.load(bytes); } catch (e) { if (e instanceof FormatError) console.log(e.format); }
 */
export class FormatError extends Error {
  override name = 'FormatError';
  constructor(readonly format: string, problem: string) {
    super(`[${format}] ${problem}`);
  }
}

/** @internal Throws a FormatError unless `cond` holds. */
export function check(cond: unknown, format: string, problem: string | (() => string)): asserts cond {
  if (!cond) throw new FormatError(format, typeof problem === 'string' ? problem : problem());
}

/**
 * Reads bytes from a Uint8Array, ArrayBuffer, any typed array view or a Blob (File).
 * Views are not copied.
 * @example
 * const u8 = await toBytes(await (await fetch(url)).blob());
 */
export async function toBytes(src: BytesLike): Promise<Uint8Array> {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  if (typeof Blob !== 'undefined' && src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
  throw new TypeError('[io] Expected a Uint8Array, ArrayBuffer, typed array or Blob.');
}

/** @internal Whether a value can be passed to toBytes. */
export function isBytesLike(x: unknown): x is BytesLike {
  return x instanceof ArrayBuffer || ArrayBuffer.isView(x) || (typeof Blob !== 'undefined' && x instanceof Blob);
}

/**
 * The raw row-major bytes of an array in its own dtype (little-endian; bool as 0/1 bytes,
 * float16/bfloat16 as their 16-bit patterns). Evaluates the array.
 * @example
 * const raw = await arrayBytes(mx.array([1, 2], mx.float16)); // 4 bytes
 */
export async function arrayBytes(a: MxArray): Promise<Uint8Array> {
  const t = await hostData(a);
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

/**
 * Builds a realized array from raw little-endian bytes (copied). 64-bit dtypes are put on
 * the CPU device (the GPU cannot hold them); others on the default device or `stream`.
 * @example
 * const a = arrayFromBytes(bytes, mx.float32, [2, 3]);
 */
export function arrayFromBytes(bytes: Uint8Array, dtype: Dtype, shape: readonly number[], opts?: StreamOpt): MxArray {
  const n = shape.reduce((p, d) => p * d, 1);
  if (bytes.byteLength !== n * dtype.size) {
    throw new Error(`[io] ${bytes.byteLength} bytes do not hold ${n} elements of ${dtype.name}.`);
  }
  const own = bytes.slice(); // aligned copy the array owns
  const typed = viewTyped(dtype, own.buffer, 0, n);
  const dev = is64(dtype) ? cpu : resolveDevice(opts);
  return fromTyped(typed, [...shape], dtype, dev);
}

/** @internal Swaps the byte order of every `size`-byte element, in place. */
export function byteswap(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** @internal Concatenates byte chunks. */
export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

const te = new TextEncoder();
/** @internal UTF-8 encodes a string. */
export const utf8 = (s: string): Uint8Array => te.encode(s);
/** @internal UTF-8 decodes bytes, throwing a FormatError on invalid sequences. */
export function fromUtf8(b: Uint8Array, format: string, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new FormatError(format, `${what} is not valid UTF-8.`);
  }
}

/** @internal Runs bytes through a CompressionStream/DecompressionStream, failing clearly. */
export async function pipeThrough(
  data: Uint8Array, stream: CompressionStream | DecompressionStream, format: string, what: string, maxOut = Infinity,
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  // errors of the writing side surface on the reading side too; keep them from going unhandled
  const w = writer.write(data as Uint8Array<ArrayBuffer>).then(() => writer.close()).catch(() => {});
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxOut) {
        await reader.cancel().catch(() => {});
        throw new FormatError(format, `${what} inflates to more than the ${maxOut} bytes it declares.`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(format, `${what} is not valid compressed data (${e instanceof Error ? e.message : String(e)}).`);
  }
  await w;
  return concatBytes(chunks);
}
