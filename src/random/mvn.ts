// Multivariate normal samples through an SVD of the covariance (as MLX does), so a
// positive semi-definite covariance works too.
import type { MxArray } from '../core/array.ts';
import { type DtypeLike, toDtype, float32, isFloating } from '../core/dtype.ts';
import { array, type ArrayInput } from '../ops/core.ts';
import { add, astype, multiply, sqrt } from '../ops/elementwise.ts';
import { expandDims } from '../ops/shape.ts';
import { matmul } from '../ops/matmul.ts';
import { svd } from '../linalg/index.ts';
import { normal, type RandomOpt } from './index.ts';

/**
 * Samples of N(mean, cov): shape `[...shape, n]` for mean [..., n] and cov [..., n, n].
 * @example
 * mx.random.multivariateNormal(mx.zeros([2]), mx.eye(2), [1000])
 */
export function multivariateNormal(mean: ArrayInput, cov: ArrayInput, shape: number[] = [], dtype: DtypeLike = float32, opts?: RandomOpt): MxArray {
  const dt = toDtype(dtype);
  if (!isFloating(dt)) throw new TypeError(`[random.multivariateNormal] Can only generate floating types, got ${dt.name}.`);
  const m = astype(array(mean, undefined, opts), float32), c = astype(array(cov, undefined, opts), float32);
  const n = m.shape[m.ndim - 1];
  if (m.ndim < 1 || c.ndim < 2 || c.shape[c.ndim - 1] !== n || c.shape[c.ndim - 2] !== n) {
    throw new Error(`[random.multivariateNormal] mean must be [..., n] and cov [..., n, n]; got mean (${m.shape.join(',')}) and cov (${c.shape.join(',')}).`);
  }
  const [, s, vt] = svd(c) as MxArray[];
  const z = normal([...shape, n], float32, 0, 1, opts);
  // cov = Vt^T diag(S) Vt for a symmetric PSD matrix, so z (sqrt(S) Vt) has that covariance
  const l = multiply(expandDims(sqrt(s), -1), vt);
  return astype(add(matmul(z, l), m), dt);
}
