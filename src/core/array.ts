// The lazy array: a node of the graph until evaluated, then a strided view of a Storage.
import { type Dtype, float32, is64 } from './dtype.ts';
import { type Device } from './device.ts';
import { Storage } from './memory.ts';
import { type Shape, contiguousStrides, sizeOf, fmtShape } from './shape.ts';
import type { Prim, ParamsOf } from '../ir/primitive.ts';
import type { TypedArray } from './numeric.ts';

/** How an array was made: a primitive applied to inputs. */
export interface Node<P extends Prim = Prim> {
  readonly prim: P;
  readonly inputs: MxArray[];
  readonly params: ParamsOf<P>;
}

/** A realized array: `storage` read through strides (elements) and an offset. */
export interface Realized {
  readonly storage: Storage;
  readonly strides: readonly number[];
  readonly offset: number;
}

// Dropped arrays give their storage back without the user counting references.
const finalizer = new FinalizationRegistry<Storage>((s) => s.drop());

let nextId = 1;

/**
 * An n-dimensional array. Ops return new lazy arrays; shape and dtype are known at once,
 * values after `await mx.eval(...)` or a readback (`await a.tolist()`).
 * @example
 * const a = mx.array([[1, 2], [3, 4]]);
 * const b = a.add(1).sum(0);
 * console.log(await b.tolist()); // [6, 8]
 */
export class MxArray {
  readonly shape: readonly number[];
  readonly dtype: Dtype;
  /** The device this array is computed on. */
  readonly device: Device;
  /** @internal */ _node: Node | null;
  /** @internal */ _data: Realized | null = null;
  /** @internal Evaluation in progress elsewhere. */ _pending: Promise<void> | null = null;
  /** @internal */ readonly id = nextId++;
  /** @internal */ _disposed = false;

  /** @internal Use mx.array() or an op. */
  constructor(shape: Shape, dtype: Dtype, device: Device, node: Node | null) {
    this.shape = shape;
    this.dtype = dtype;
    this.device = device;
    this._node = node;
  }

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  get itemsize(): number {
    return this.dtype.size;
  }
  get nbytes(): number {
    return this.size * this.dtype.size;
  }

  /** @internal Attaches realized data and detaches the graph. */
  _realize(r: Realized): void {
    if (this._data) return;
    r.storage.retain();
    this._data = r;
    this._node = null;
    finalizer.register(this, r.storage, this);
  }

  /**
   * Releases this array's memory now. Using it afterwards throws.
   * @example
   * const big = mx.zeros([4096, 4096]); await mx.eval(big); big.dispose();
   */
  dispose(): void {
    if (this._data) {
      finalizer.unregister(this);
      this._data.storage.drop();
      this._data = null;
    }
    this._node = null;
    this._disposed = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `array(shape=${fmtShape(this.shape)}, dtype=${this.dtype.name}${this._data ? '' : ', lazy'})`;
  }
}

/** @internal Wraps host data (already in `dtype`'s storage type) as a realized array. */
export function fromTyped(data: TypedArray, shape: Shape, dtype: Dtype, device: Device): MxArray {
  // complex64 is stored as float32 (re, im) pairs; strides count complex elements
  const st = new Storage(dtype.kind === 'c' ? float32 : dtype, data.length);
  st.setCpu(data);
  const a = new MxArray(shape, dtype, device, null);
  a._realize({ storage: st, strides: contiguousStrides(shape), offset: 0 });
  return a;
}

/** @internal Creates the lazy output of a primitive, checking device support. */
export function makeNode<P extends Prim>(
  prim: P, inputs: MxArray[], params: ParamsOf<P>, shape: Shape, dtype: Dtype, device: Device,
): MxArray {
  if (device.type === 'gpu' && is64(dtype)) {
    throw new TypeError(`[${prim}] ${dtype.name} is not supported on the GPU; use {stream: mx.cpu} (MLX does the same for float64).`);
  }
  for (const x of inputs) if (x._disposed) throw new Error(`[${prim}] An input array was disposed.`);
  return new MxArray(shape, dtype, device, { prim, inputs, params } as Node);
}

/** Strides of complex elements over float32 pairs (size-1 axes get 0, their stride may be odd). */
export const complexStrides = (r: Realized, shape: readonly number[]): number[] => r.strides.slice(0, -1).map((s, d) => (shape[d] === 1 ? 0 : s / 2));

/** Whether float32 pairs [...S, 2] can be read as complex storage without a copy. */
export function complexViewable(r: Realized, shape: readonly number[]): boolean {
  const nd = shape.length;
  return r.strides[nd - 1] === 1 && r.offset % 2 === 0 && r.strides.every((s, d) => d === nd - 1 || shape[d] === 1 || s % 2 === 0);
}
