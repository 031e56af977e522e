// Hand-written kernels as one primitive: an ExternOp carries its own shape rule, CPU
// reference, optional WebGPU kernel and derivative rules, so new ops (sort, linalg, fft,
// quantized matmul, attention) are defined once, in their own file, without widening the
// closed set of primitives the compiler and transforms must know.
import type { MxArray, Realized } from '../core/array.ts';
import type { Dtype } from '../core/dtype.ts';
import type { Device } from '../core/device.ts';
import type { Shape } from '../core/shape.ts';
import type { BuildCtx } from '../backend/webgpu/segment.ts';

/** Shape and dtype of one output. */
export interface Spec {
  shape: Shape;
  dtype: Dtype;
}

/** A CPU input: values in logical row-major order (64-bit integers beyond 2^53 round). */
export interface HostArray {
  shape: Shape;
  dtype: Dtype;
  data: Float64Array;
}

/**
 * The definition of an extern op. `A` is its attribute record (axis, group size, ...).
 * Rules receive the call's inputs and all of its outputs; `index` picks the output whose
 * cotangent/tangent is asked for (contributions of several outputs add up).
 */
export interface ExternOp<A = unknown> {
  readonly name: string;
  /**
   * Whether the WebGPU kernel may read its inputs through fused elementwise producers
   * (recomputed at each read); otherwise only view chains fuse into it.
   */
  readonly fuseElementwise?: boolean;
  /**
   * Whether output rows (axis -2) are computed from the same rows of input 0 alone, which
   * has the output's rank, so a slice of rows can be taken from input 0 first.
   */
  rowwise?(attrs: A): boolean;
  /**
   * Whether input 0 [.., M, K] is read many times, as a product's left operand (outputs
   * [.., M, N]): a large product then takes a contiguous copy of an input 0 that its views
   * reach only through index arithmetic, as matmul does.
   */
  readonly productOfInput0?: boolean;
  /** The shape rule: outputs from inputs and attributes. Throws on bad input. */
  outputs(ins: Spec[], attrs: A): Spec[];
  /** The reference kernel: one Float64Array per output, rounded to its dtype on store. */
  cpu(ins: HostArray[], attrs: A, outs: Spec[]): Float64Array[];
  /**
   * The WebGPU kernel(s): returns every output, each built with `cx.storage` (values in
   * the dtype's storage layout). Inputs are read through `cx.kernel(...).g.fnOf(input)`,
   * which may fuse view chains. Without it the op runs on the CPU and its result moves.
   */
  gpu?(cx: BuildCtx, ins: MxArray[], outs: Spec[], attrs: A, epilogue?: Epilogue): Realized[];
  /**
   * Whether `gpu` takes an elementwise epilogue (single-output ops): the kernel stores
   * `epilogue.root` (computed by `storeEpilogue`) instead of its raw result.
   */
  readonly epilogue?: boolean;
  vjp?(ins: MxArray[], outs: MxArray[], g: MxArray, index: number, attrs: A): (MxArray | null)[];
  jvp?(ins: MxArray[], outs: MxArray[], tangents: (MxArray | null)[], index: number, attrs: A): MxArray | null;
  /** Batched form: inputs with their batch axis (or null); returns outputs batched on axis 0. */
  vmap?(ins: MxArray[], axes: (number | null)[], attrs: A): MxArray[];
}

/** An elementwise chain to compute in a kernel's store: `root` reads the op's output `node`. */
export interface Epilogue {
  node: MxArray;
  root: MxArray;
}

/** Parameters of an `extern` node: one call of an op, and which output it is. */
export interface ExternParams {
  op: ExternOp<any>;
  attrs: unknown;
  index: number;
  /** Shared by the outputs of one call, so their kernel runs once. */
  call: ExternCall;
}

export interface ExternCall {
  readonly outs: MxArray[];
}

/** Where an extern node computes: ops without a WebGPU kernel run on the CPU. */
export const externOnCpu = (p: ExternParams): boolean => !p.op.gpu;
