// webmlx: MLX's array API for the web. `import * as mx from 'webmlx'`.
import './api/methods.ts';
import './backend/cpu/index.ts';
import './backend/webgpu/index.ts';
import './api/tune.ts';
import { MxArray } from './core/array.ts';
import { type Dtype, type DtypeLike, toDtype, promoteTypes } from './core/dtype.ts';
import { evalArrays, evalWith } from './ir/eval.ts';

export { MxArray } from './core/array.ts';
export {
  Dtype, bool, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, float32, bfloat16,
  float64, complex64, issubdtype, finfo, iinfo, type DtypeLike, type DtypeName,
} from './core/dtype.ts';
export { Device, cpu, gpu, setDefaultDevice, defaultDevice, type StreamOpt, type MatmulTuning, type TuneOptions } from './core/device.ts';
export {
  getActiveMemory, getPeakMemory, resetPeakMemory, getCacheMemory, clearCache, setMemoryLimit, setCacheLimit,
} from './core/memory.ts';
export { array, type ArrayInput, type NestedData } from './ops/core.ts';
export * from './ops/elementwise.ts';
export {
  sum, prod, max, min, all, any, argmax, argmin, mean, variance as var, std, logsumexp, softmax,
  cumsum, cumprod, cummax, cummin, allclose, arrayEqual, type Axis,
} from './ops/reduce.ts';
export {
  reshape, flatten, squeeze, expandDims, transpose, swapaxes, moveaxis, concatenate, stack, split, tile, repeat,
  pad, flip, roll, sliceAxes,
} from './ops/shape.ts';
export { zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, identity, tri, tril, triu, meshgrid } from './ops/creation.ts';
export {
  index, take, takeAlongAxis, putAlongAxis, sliceUpdate, slice, newaxis, AtIndexer, type Slice, type IndexKey,
} from './ops/indexing.ts';
export { matmul } from './ops/matmul.ts';
export {
  asarray, broadcastShapes, canCast, isdtype, concat, permuteDims, contiguous, positive, degrees, radians, isneginf, isposinf,
  logicalXor, trunc, unstack,
} from './ops/extras.ts';
export { toFp8, fromFp8 } from './ops/fp8.ts';
export { synchronize, deviceCount, deviceInfo } from './api/devices.ts';
export * as random from './random/index.ts';
export { tolist, item, data } from './api/readback.ts';

/**
 * Evaluates arrays (and arrays inside nested lists/objects) in one graph.
 * @example
 * await mx.eval(loss, params);
 */
export const evaluate = evalArrays;
export { evalArrays as eval };

/**
 * Starts evaluating without waiting: the promise resolves once the work is submitted to
 * the GPU (not finished), so the next step's graph can be built and encoded while the GPU
 * runs. GPU errors of that work are thrown by the next evaluation or readback.
 * @example
 * const done = mx.asyncEval(y); ...; await done;
 */
export function asyncEval(...arrays: unknown[]): Promise<void> {
  return evalWith({ wait: false }, arrays);
}

/**
 * The dtype the arguments promote to (arrays, dtypes, or JS scalars, weakly typed).
 * @example
 * mx.resultType(mx.int8, mx.uint8) // mx.int16
 */
export function resultType(...args: (MxArray | DtypeLike | number | boolean)[]): Dtype {
  const isWeak = (a: unknown): a is number | boolean => typeof a === 'number' || typeof a === 'boolean';
  const strongs = args.filter((a) => !isWeak(a)).map((a) => (a instanceof MxArray ? a.dtype : toDtype(a as DtypeLike)));
  let d: Dtype | null = strongs.length ? strongs.reduce(promoteTypes) : null;
  for (const a of args.filter(isWeak)) {
    const w = typeof a === 'boolean' ? toDtype('bool') : !Number.isInteger(a) ? (d && (d.kind === 'f' || d.kind === 'V') ? d : toDtype('float32')) : d && d.name !== 'bool' ? d : toDtype('int32');
    d = d ? promoteTypes(d, w) : w;
  }
  return d ?? toDtype('float32');
}
export { grad, valueAndGrad, vjp, jvp, customFunction, checkpoint, type GradOptions, type CustomFunction } from './transforms/api.ts';
export { vmap } from './transforms/vmap.ts';
export { treeFlatten, treeUnflatten, treeMap, treeMapWithPath, treeReduce, treeMerge } from './transforms/tree.ts';
export { compile, type CompileOptions } from './transforms/compile.ts';
export { exportToDot } from './ir/dot.ts';
export { setDebug, type DebugOptions } from './core/debug.ts';
export {
  save, load, savez, savezCompressed, saveSafetensors, loadSafetensors, loadNpy, loadNpz, FormatError, saveGguf, loadGguf,
  type LoadOptions, type FileFormat, type LoadSource, type SaveTarget,
} from './io/index.ts';
export { conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d, convGeneral, type ConvPadding, type IntOrTuple } from './ops/conv.ts';
export { sort, argsort, partition, argpartition, topk, searchsorted, median, type SearchsortedOptions } from './ops/sort.ts';
export * as fast from './fast/index.ts';
export { tensordot, inner, outer, kron, vecdot, addmm, blockMaskedMm, gatherMm, segmentedMm } from './ops/contract.ts';
export { einsum, einsumPath } from './ops/einsum.ts';
export {
  diag, diagonal, trace, diff, asStrided, atleast1d, atleast2d, atleast3d, unflatten, broadcastArrays, countNonzero, divmod,
  hamming, hanning, bartlett, blackman, convolve, hadamardTransform,
} from './ops/misc.ts';
export { logcumsumexp } from './ops/logcumsumexp.ts';
export { view } from './ops/view.ts';
export { real, imag, conj, conjugate, angle, complex } from './ops/complex.ts';
export type { ComplexValue } from './ops/core.ts';
export type { Complex } from './api/readback.ts';
export * as linalg from './linalg/index.ts';
export { quantize, dequantize, quantizedMatmul, gatherQmm, type DequantizeOptions, type QuantMode } from './quant/index.ts';
export * as fft from './fft/index.ts';
