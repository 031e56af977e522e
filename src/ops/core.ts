// Building arrays: from JS data, from scalars, and applying primitives.
import { MxArray, fromTyped, makeNode } from '../core/array.ts';
import {
  type Dtype, type DtypeLike, toDtype, bool, int32, float32, complex64, isFloating, isComplex, promoteTypes, is64,
} from '../core/dtype.ts';
import { type Device, type StreamOpt, resolveDevice, defaultDevice } from '../core/device.ts';
import { allocTyped, writer, type TypedArray } from '../core/numeric.ts';
import { type Shape, fmtShape } from '../core/shape.ts';
import type { Prim, ParamsOf } from '../ir/primitive.ts';

/** Nested JS data accepted by `mx.array`. */
export type NestedData = number | boolean | bigint | ComplexValue | readonly NestedData[];
/** A complex number for `mx.array` (gives complex64). */
export interface ComplexValue {
  re: number;
  im: number;
}
const isComplexValue = (v: unknown): v is ComplexValue => typeof v === 'object' && v !== null && 're' in v && 'im' in v;
/** Anything an op accepts as an array operand. */
export type ArrayInput = MxArray | number | boolean | NestedData | TypedArray;

/** Applies a primitive, creating a lazy array on the op's device. */
export function bind<P extends Prim>(
  prim: P, inputs: MxArray[], params: ParamsOf<P>, shape: Shape, dtype: Dtype, device: Device,
): MxArray {
  if (prim !== 'complexView' && (isComplex(dtype) || inputs.some((x) => isComplex(x.dtype)))) {
    return lowerComplex(prim, inputs, params, shape, dtype, device);
  }
  if (device.type === 'gpu') {
    for (const x of inputs) {
      if (is64(x.dtype)) throw new TypeError(`[${prim}] Input of dtype ${x.dtype.name} cannot be used on the GPU; cast it on the CPU first.`);
    }
  }
  return makeNode(prim, inputs, params, shape, dtype, device);
}

type Lowering = (prim: Prim, inputs: MxArray[], params: unknown, shape: Shape, dtype: Dtype, device: Device) => MxArray;
let lowerComplex: Lowering = () => {
  throw new Error('internal: complex lowering not installed');
};
/** @internal src/ops/complex.ts rewrites ops on complex64 into float32 ops on (re, im) pairs. */
export function installComplexLowering(f: Lowering): void {
  lowerComplex = f;
}

function typedDtype(a: TypedArray): Dtype {
  const n = a.constructor.name;
  const m: Record<string, DtypeLike> = {
    Uint8Array: 'uint8', Int8Array: 'int8', Uint16Array: 'uint16', Int16Array: 'int16', Uint32Array: 'uint32',
    Int32Array: 'int32', Float32Array: 'float32', Float64Array: 'float32', BigInt64Array: 'int64', BigUint64Array: 'uint64',
  };
  return toDtype(m[n] ?? 'float32');
}

function inferShape(data: NestedData, op: string): number[] {
  const shape: number[] = [];
  let cur: NestedData = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  // check every row agrees
  const check = (d: NestedData, depth: number) => {
    if (depth === shape.length) {
      if (Array.isArray(d)) throw new Error(`[${op}] Ragged nested array: expected a scalar at depth ${depth}.`);
      return;
    }
    if (!Array.isArray(d) || d.length !== shape[depth]) throw new Error(`[${op}] Ragged nested array: dimension ${depth} should have length ${shape[depth]}.`);
    for (const e of d) check(e, depth + 1);
  };
  check(data, 0);
  return shape;
}

type Scalar = number | boolean | bigint | ComplexValue;

function flatten(data: NestedData, out: Scalar[]): void {
  if (Array.isArray(data)) for (const d of data) flatten(d, out);
  else out.push(data as Scalar);
}

/**
 * Creates an array from nested JS arrays, numbers, booleans or a TypedArray. Integers
 * default to int32, other numbers to float32, booleans to bool (MLX's rule).
 * @example
 * const a = mx.array([[1, 2], [3, 4]], mx.float32);
 * const b = mx.array(new Float32Array([1, 2, 3]));
 */
export function array(data: ArrayInput, dtype?: DtypeLike, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  if (data instanceof MxArray) return dtype ? astypeHook(data, toDtype(dtype), dev) : data;
  if (ArrayBuffer.isView(data)) {
    const src = data as TypedArray;
    const dt = dtype ? toDtype(dtype) : typedDtype(src);
    if (typedDtype(src) === dt && src.constructor === allocTyped(dt, 0).constructor && !(dev.type === 'gpu' && is64(dt))) return fromTyped(src.slice() as TypedArray, [src.length], dt, dev);
    return fromValues(Array.from(src as globalThis.ArrayLike<number | bigint>), [src.length], dt, dev, src);
  }
  const shape = inferShape(data as NestedData, 'array');
  const flat: Scalar[] = [];
  flatten(data as NestedData, flat);
  let dt: Dtype;
  if (dtype) dt = toDtype(dtype);
  else if (flat.length === 0) dt = float32;
  else if (flat.some(isComplexValue)) dt = complex64;
  else if (flat.every((v) => typeof v === 'boolean')) dt = bool;
  else if (flat.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'boolean')) dt = int32;
  else dt = float32;
  return fromValues(flat, shape, dt, dev);
}

function fromValues(flat: Scalar[], shape: number[], dt: Dtype, dev: Device, src?: TypedArray): MxArray {
  if (dev.type === 'gpu' && is64(dt)) {
    throw new TypeError(`[array] ${dt.name} is not supported on the GPU; pass {stream: mx.cpu}.`);
  }
  if (isComplex(dt)) {
    const pairs = new Float32Array(2 * flat.length);
    flat.forEach((v, i) => {
      pairs[2 * i] = isComplexValue(v) ? v.re : Number(v);
      pairs[2 * i + 1] = isComplexValue(v) ? v.im : 0;
    });
    return fromTyped(pairs, shape, dt, dev);
  }
  if (flat.some(isComplexValue)) throw new TypeError(`[array] Complex values cannot be stored as ${dt.name}; use complex64.`);
  const out = allocTyped(dt, flat.length);
  if (src && src.constructor === out.constructor) out.set(src as never);
  else {
    const w = writer(dt, out);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v === 'bigint' && (dt.name === 'int64' || dt.name === 'uint64')) out[i] = v;
      else w(i, Number(v as number));
    }
  }
  return fromTyped(out, shape, dt, dev);
}

// astype is defined with the elementwise ops; array() needs it without a cycle.
let astypeHook: (a: MxArray, d: Dtype, dev: Device) => MxArray = () => {
  throw new Error('internal: astype not installed');
};
/** @internal */
export function installAstype(f: typeof astypeHook): void {
  astypeHook = f;
}

/** A scalar as a 0-d array of `dtype`. */
export function scalar(v: number | boolean, dtype: Dtype, dev: Device = defaultDevice()): MxArray {
  return bind('full', [], { value: Number(v) }, [], dtype, dev);
}

/**
 * Turns op operands into arrays. JS numbers are weakly typed as in MLX: they take the
 * dtype of the array operands when it can hold them.
 */
export function operands(op: string, xs: ArrayInput[], dev: Device): MxArray[] {
  const arrays = xs.filter((x): x is MxArray => x instanceof MxArray);
  let strong: Dtype | null = null;
  for (const a of arrays) strong = strong ? promoteTypes(strong, a.dtype) : a.dtype;
  return xs.map((x) => {
    if (x instanceof MxArray) return x;
    if (typeof x === 'number') {
      let dt: Dtype;
      if (strong === null) dt = Number.isInteger(x) ? int32 : float32;
      else if (Number.isInteger(x)) dt = strong === bool ? int32 : strong;
      else dt = isFloating(strong) ? strong : float32;
      return scalar(x, dt, dev);
    }
    if (typeof x === 'boolean') return scalar(x, bool, dev);
    return array(x as NestedData, undefined, { stream: dev });
  });
}

/** Throws a uniform error for a dtype an op does not accept. */
export function dtypeError(op: string, ...arrays: MxArray[]): never {
  throw new TypeError(`[${op}] Unsupported dtype ${arrays.map((a) => a.dtype.name).join(', ')} for inputs of shape ${arrays.map((a) => fmtShape(a.shape)).join(', ')}.`);
}
