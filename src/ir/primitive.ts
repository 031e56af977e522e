import type { ExternParams } from './extern.ts';

// The closed set of primitives. Every op in webmlx lowers to these; each one is defined once
// (shape rule, CPU reference, WGSL lowering) in src/ops/defs/, checked exhaustive by tsc.

/** Elementwise ops of one input. */
export const UNARY = [
  'abs', 'negative', 'sign', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'exp', 'expm1', 'log', 'log1p',
  'log2', 'log10', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh',
  'arcsinh', 'arccosh', 'arctanh', 'sigmoid', 'erf', 'erfinv', 'floor', 'ceil', 'round', 'isnan',
  'isinf', 'isfinite', 'logicalNot', 'bitwiseInvert', 'stopGradient',
] as const;
export type UnaryPrim = (typeof UNARY)[number];

/** Elementwise ops of two inputs of one dtype (promotion happens before). */
export const BINARY = [
  'add', 'subtract', 'multiply', 'divide', 'floorDivide', 'remainder', 'power', 'maximum', 'minimum',
  'arctan2', 'logaddexp', 'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual',
  'logicalAnd', 'logicalOr', 'bitwiseAnd', 'bitwiseOr', 'bitwiseXor', 'leftShift', 'rightShift',
] as const;
export type BinaryPrim = (typeof BINARY)[number];

/** Reductions over a set of axes (kept as size-1 dims). */
export const REDUCE = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as const;
export type ReducePrim = (typeof REDUCE)[number];

/** Inclusive/exclusive, forward/reverse scans along one axis. */
export const SCAN = ['cumsum', 'cumprod', 'cummax', 'cummin'] as const;
export type ScanPrim = (typeof SCAN)[number];

export type ScatterMode = 'set' | 'add' | 'prod' | 'max' | 'min';

/** Parameters of every primitive. */
export interface PrimParams {
  // elementwise
  where: Record<string, never>;
  astype: Record<string, never>;
  /** A constant broadcast to the output shape. */
  full: { value: number };
  /** start + step * i along a 1-D output. */
  arange: { start: number; step: number };
  // views: free when the input is realized (strides change), index maps when fused
  reshape: { shape: number[] };
  transpose: { perm: number[] };
  /** Per-axis start and step; the output shape gives the count (negative steps flip). */
  slice: { start: number[]; step: number[] };
  broadcast: { shape: number[] };
  // data movement
  pad: { low: number[]; high: number[]; value: number };
  concatenate: { axis: number };
  /** out = a.take(indices, axis): a.shape[:axis] + idx.shape + a.shape[axis+1:]. */
  gather: { axis: number };
  /** The inverse of gather: updates land at a[..., idx, ...] combined by mode. */
  /**
   * `donate`: the caller will not read `a` again, so the kernel may write into a's buffer
   * instead of copying it first (a KV cache's in-place update).
   */
  scatter: { axis: number; mode: ScatterMode; donate?: boolean };
  matmul: Record<string, never>;
  /** Threefry-2x32 bits from a key of shape [2] (uint32), MLX's generator. */
  randomBits: { shape: number[] };
  /**
   * Output `index` of a customFunction call: evaluates as its last input (the forward
   * result); transforms use the rules in `impl` with the other inputs as primals.
   */
  custom: { impl: CustomImpl; index: number };
  /**
   * complex64 [...S] <-> float32 [...S, 2] (re, im): a reinterpretation that shares storage
   * when the pairs are adjacent in memory. Every other op on complex arrays lowers to float
   * ops between these (src/ops/complex.ts), so kernels never compute on complex values.
   */
  complexView: { toComplex: boolean };
  /** Output `index` of a hand-written kernel (src/ir/extern.ts). */
  extern: ExternParams;
}

/** The user rules of a customFunction (see src/transforms/custom.ts). */
export interface CustomImpl {
  readonly name: string;
  readonly nOut: number;
  readonly vjp?: (primals: unknown[], cotangents: unknown[], outputs: unknown[]) => unknown[];
  readonly jvp?: (primals: unknown[], tangents: unknown[]) => unknown[];
  readonly vmap?: (inputs: unknown[], axes: (number | null)[]) => [unknown[], (number | null)[]];
}
type ReduceParams = { [P in ReducePrim]: { axes: number[] } };
type ScanParams = { [P in ScanPrim]: { axis: number; reverse: boolean; inclusive: boolean } };
type UnaryParams = { [P in UnaryPrim]: Record<string, never> };
type BinaryParams = { [P in BinaryPrim]: Record<string, never> };

export type AllParams = PrimParams & ReduceParams & ScanParams & UnaryParams & BinaryParams;
export type Prim = keyof AllParams;
export type ParamsOf<P extends Prim> = AllParams[P];

const UN = new Set<string>(UNARY);
const BIN = new Set<string>(BINARY);
const RED = new Set<string>(REDUCE);
const SC = new Set<string>(SCAN);
export const isUnary = (p: Prim): p is UnaryPrim => UN.has(p);
export const isBinary = (p: Prim): p is BinaryPrim => BIN.has(p);
export const isReduce = (p: Prim): p is ReducePrim => RED.has(p);
export const isScan = (p: Prim): p is ScanPrim => SC.has(p);
/** Ops that only change how existing memory is read. */
export const VIEW_PRIMS = new Set<Prim>(['reshape', 'transpose', 'slice', 'broadcast', 'custom']);
