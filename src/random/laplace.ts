// Laplace samples by inverting the distribution's CDF on uniform bits.
import type { MxArray } from '../core/array.ts';
import { type DtypeLike, toDtype, float32, isFloating } from '../core/dtype.ts';
import { abs, add, astype, log1p, multiply, negative, sign } from '../ops/elementwise.ts';
import { uniform, type RandomOpt } from './index.ts';

/**
 * Laplace samples with location `loc` and scale `scale` (MLX's random.laplace).
 * @example
 * mx.random.laplace([1000], mx.float32, 0, 2)
 */
export function laplace(shape: number[] = [], dtype: DtypeLike = float32, loc = 0, scale = 1, opts?: RandomOpt): MxArray {
  const dt = toDtype(dtype);
  if (!isFloating(dt)) throw new TypeError(`[random.laplace] Can only generate floating types, got ${dt.name}.`);
  // u in (-1, 1): x = loc - scale * sign(u) * log(1 - |u|)
  const u = uniform(-1 + 1e-7, 1 - 1e-7, shape, float32, opts);
  const x = multiply(negative(multiply(sign(u, opts), log1p(negative(abs(u, opts), opts), opts), opts), opts), scale, opts);
  return astype(add(x, loc, opts), dt, opts);
}
