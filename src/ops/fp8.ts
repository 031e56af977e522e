// fp8 (e4m3) conversions as MLX does them: to_fp8 rounds to nearest even, saturates at
// ±448 (NaN and ±inf saturate too), and from_fp8 reads code 0x7F as 480 (no NaN code).
import type { MxArray } from '../core/array.ts';
import { type DtypeLike, bfloat16, isFloating, toDtype, uint8 } from '../core/dtype.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { contiguousStrides, sizeOf } from '../core/shape.ts';
import type { ExternOp } from '../ir/extern.ts';
import { mapKernel } from '../backend/webgpu/kernels/map.ts';
import { array, type ArrayInput } from './core.ts';
import { callExtern } from './extern.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const MAX_BITS = 0x43e00000; // 448.0f: at or above, saturate to 0x7E
const MIN_NORMAL_BITS = 121 << 23; // 2^-6: below, the value is subnormal in e4m3
const DENORM_BITS = 141 << 23; // 2^14: adding it rounds to a multiple of 2^-9

function toFp8Code(x: number): number {
  f32[0] = x;
  let b = u32[0];
  const sign = (b >>> 24) & 0x80;
  b &= 0x7fffffff;
  let r: number;
  if (b >= MAX_BITS) r = 0x7e;
  else if (b < MIN_NORMAL_BITS) {
    u32[0] = b;
    f32[0] = f32[0] + 16384;
    r = (u32[0] - DENORM_BITS) & 0xff;
  } else {
    // rebias the exponent (127 -> 7) and round the mantissa to 3 bits, ties to even
    r = ((b - (120 << 23) + 0x7ffff + ((b >>> 20) & 1)) >>> 20) & 0xff;
  }
  return r | sign;
}

function fromFp8Code(c: number): number {
  const e = (c >> 3) & 15, m = c & 7;
  const v = e === 0 ? (m / 8) * 2 ** -6 : (1 + m / 8) * 2 ** (e - 7);
  return c & 0x80 ? -v : v;
}

const TO_FP8: ExternOp<null> = {
  name: 'toFp8',
  outputs: ([x]) => [{ shape: x.shape, dtype: uint8 }],
  cpu: ([x]) => [x.data.map(toFp8Code)],
  gpu(cx, [x], [o]) {
    const { k, g } = cx.kernel('toFp8');
    const ld = g.fnOf(x);
    k.emit(`fn fp8_enc(i: u32) -> u32 {
  var b = bitcast<u32>(f32(${ld}(i)));
  let sign = (b >> 24u) & 0x80u;
  b = b & 0x7fffffffu;
  var r: u32;
  if (b >= ${MAX_BITS}u) {
    r = 0x7eu;
  } else if (b < ${MIN_NORMAL_BITS}u) {
    r = (bitcast<u32>(bitcast<f32>(b) + 16384.0) - ${DENORM_BITS}u) & 0xffu;
  } else {
    r = ((b - ${120 << 23}u + 0x7ffffu + ((b >> 20u) & 1u)) >> 20u) & 0xffu;
  }
  return r | sign;
}`);
    return [{ storage: mapKernel(cx, k, 'fp8_enc', o.dtype, sizeOf(o.shape)), strides: contiguousStrides(o.shape), offset: 0 }];
  },
};

const FROM_FP8: ExternOp<{ dtype: DtypeLike }> = {
  name: 'fromFp8',
  outputs: ([x], a) => [{ shape: x.shape, dtype: toDtype(a.dtype) }],
  cpu: ([x]) => [x.data.map(fromFp8Code)],
  gpu(cx, [x], [o]) {
    const { k, g } = cx.kernel('fromFp8');
    const ld = g.fnOf(x);
    k.emit(`fn fp8_dec(i: u32) -> f32 {
  let c = u32(${ld}(i));
  let e = (c >> 3u) & 15u;
  let m = f32(c & 7u) / 8.0;
  var v: f32;
  if (e == 0u) {
    v = m * exp2(-6.0);
  } else {
    v = (1.0 + m) * exp2(f32(e) - 7.0);
  }
  return select(v, -v, (c & 0x80u) != 0u);
}`);
    return [{ storage: mapKernel(cx, k, 'fp8_dec', o.dtype, sizeOf(o.shape)), strides: contiguousStrides(o.shape), offset: 0 }];
  },
};

/**
 * Encodes floats as fp8 e4m3 bytes (uint8), as MLX's to_fp8.
 * @example
 * mx.toFp8(mx.array([1, -0.5, 1000])) // uint8 [0x38, 0xB0, 0x7E]
 */
export function toFp8(a: ArrayInput, opts?: StreamOpt): MxArray {
  const x = array(a, undefined, opts);
  if (!isFloating(x.dtype)) throw new TypeError(`[toFp8] Only real floating types are supported but x.dtype == ${x.dtype.name}.`);
  return callExtern(TO_FP8, [x], null, resolveDevice(opts))[0];
}

/**
 * Decodes fp8 e4m3 bytes (uint8) to a float dtype (bfloat16 by default), as MLX's from_fp8.
 * @example
 * mx.fromFp8(mx.array([0x38], mx.uint8), mx.float32) // [1]
 */
export function fromFp8(a: ArrayInput, dtype: DtypeLike = bfloat16, opts?: StreamOpt): MxArray {
  const x = array(a, undefined, opts);
  if (x.dtype !== uint8) throw new TypeError(`[fromFp8] Input must have type uint8 but x.dtype == ${x.dtype.name}.`);
  if (!isFloating(toDtype(dtype))) throw new TypeError(`[fromFp8] Only real floating types are supported but dtype == ${toDtype(dtype).name}.`);
  return callExtern(FROM_FP8, [x], { dtype }, resolveDevice(opts))[0];
}
