// Matrix multiplication with NumPy's rules for 1-D operands and batch broadcasting.
import type { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { bool, promoteTypes } from '../core/dtype.ts';
import { broadcastShapes, fmtShape } from '../core/shape.ts';
import { bind, operands, type ArrayInput } from './core.ts';
import { astype, broadcastTo } from './elementwise.ts';
import { reshape } from './shape.ts';

/**
 * Matrix product. 1-D operands are treated as vectors; batch dims broadcast.
 * @example
 * mx.matmul(mx.ones([4, 2, 3]), mx.ones([3, 5])) // shape [4, 2, 5]
 */
export function matmul(a: ArrayInput, b: ArrayInput, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  let [x, y] = operands('matmul', [a, b], dev);
  if (x.ndim === 0 || y.ndim === 0) {
    throw new Error(`[matmul] Got 0-dimension input; inputs must have at least 1 dimension (shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}).`);
  }
  const dt = promoteTypes(x.dtype, y.dtype);
  if (dt === bool) throw new TypeError('[matmul] bool inputs are not supported.');
  const vecA = x.ndim === 1, vecB = y.ndim === 1;
  if (vecA) x = reshape(x, [1, x.shape[0]], opts);
  if (vecB) y = reshape(y, [y.shape[0], 1], opts);
  const [M, K] = x.shape.slice(-2), [K2, N] = y.shape.slice(-2);
  if (K !== K2) {
    throw new Error(`[matmul] Last dimension of first input with shape ${fmtShape(vecA ? [K] : x.shape)} must match second to last dimension of second input with shape ${fmtShape(vecB ? [K2] : y.shape)}.`);
  }
  const batch = broadcastShapes('matmul', x.shape.slice(0, -2), y.shape.slice(0, -2));
  x = broadcastTo(astype(x, dt, opts), [...batch, M, K], opts);
  y = broadcastTo(astype(y, dt, opts), [...batch, K, N], opts);
  let out = bind('matmul', [x, y], {}, [...batch, M, N], dt, dev);
  if (vecA || vecB) {
    const shape = [...batch, ...(vecA ? [] : [M]), ...(vecB ? [] : [N])];
    out = reshape(out, shape, opts);
  }
  return out;
}
