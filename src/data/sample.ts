// Samples (records of arrays and plain values), batching them, and padding helpers.
import { MxArray } from '../core/array.ts';
import { array } from '../ops/core.ts';
import { pad, stack } from '../ops/shape.ts';
import { normAxis } from '../core/shape.ts';

/**
 * One element of a dataset: named values. Arrays are webmlx arrays; numbers, booleans,
 * strings and bytes are allowed too.
 */
export type Sample = Record<string, any>;

/** Options of batching ops. */
export interface BatchOptions {
  /** Pad value per key for arrays whose shapes differ within a batch (default 0). */
  pad?: Record<string, number>;
  /** Drop a last, smaller batch (default false). */
  dropLast?: boolean;
}

/**
 * Pads an array along `dim` to exactly `size` (it must not be longer).
 * @example
 * dx.padToSize(mx.ones([3, 2]), 0, 5) // shape [5, 2], zero rows appended
 */
export function padToSize(a: MxArray, dim: number, size: number, value = 0): MxArray {
  const d = normAxis('padToSize', dim, a.ndim);
  const n = a.shape[d];
  if (n > size) throw new Error(`[padToSize] Dimension ${d} has size ${n}, larger than the target ${size}.`);
  if (n === size) return a;
  return pad(a, a.shape.map((_, i) => (i === d ? [0, size - n] : [0, 0])), 'constant', value);
}

/**
 * Pads an array along `dim` up to the next multiple of `multiple`.
 * @example
 * dx.padToMultiple(mx.ones([5]), 0, 4) // shape [8]
 */
export function padToMultiple(a: MxArray, dim: number, multiple: number, value = 0): MxArray {
  if (!Number.isInteger(multiple) || multiple < 1) throw new Error(`[padToMultiple] multiple must be a positive integer, got ${multiple}.`);
  const d = normAxis('padToMultiple', dim, a.ndim);
  return padToSize(a, d, Math.ceil(a.shape[d] / multiple) * multiple, value);
}

/** @internal Stacks arrays, padding each at the end of every axis to the largest shape. */
export function stackPadded(xs: MxArray[], value = 0, key = ''): MxArray {
  const nd = xs[0].ndim;
  for (const x of xs) {
    if (x.ndim !== nd) throw new Error(`[batch] Arrays under '${key}' have different numbers of dimensions (${xs.map((y) => y.ndim).join(', ')}).`);
  }
  const max = xs[0].shape.map((_, i) => Math.max(...xs.map((x) => x.shape[i])));
  return stack(xs.map((x) => (x.shape.every((d, i) => d === max[i]) ? x : pad(x, x.shape.map((d, i) => [0, max[i] - d]), 'constant', value))));
}

/**
 * Turns a list of samples into one batch: arrays are stacked (padded to a common shape
 * with the key's pad value), numbers and booleans become 1-d arrays, anything else a list.
 * @example
 * collate([{ x: mx.ones([2]), y: 1 }, { x: mx.zeros([2]), y: 0 }]) // { x: [2, 2] array, y: [1, 0] array }
 */
export function collate(samples: Sample[], opts: BatchOptions = {}): Sample {
  if (samples.length === 0) return {};
  const out: Sample = {};
  for (const key of Object.keys(samples[0])) {
    const vals = samples.map((s, i) => {
      if (!(key in s)) throw new Error(`[batch] Sample ${i} of the batch has no key '${key}'.`);
      return s[key];
    });
    const v0 = vals[0];
    if (v0 instanceof MxArray) {
      if (!vals.every((v) => v instanceof MxArray)) throw new Error(`[batch] Key '${key}' mixes arrays and other values.`);
      out[key] = stackPadded(vals as MxArray[], opts.pad?.[key] ?? 0, key);
    } else if (typeof v0 === 'number' && vals.every((v) => typeof v === 'number')) out[key] = array(vals as number[]);
    else if (typeof v0 === 'boolean' && vals.every((v) => typeof v === 'boolean')) out[key] = array(vals as boolean[]);
    else out[key] = vals;
  }
  return out;
}

/** @internal Whether a value is a plain object (a sample). */
export const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  !!x && typeof x === 'object' && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null);
