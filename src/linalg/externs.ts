// The factorizations as extern ops: shape rules, float64 CPU kernels run per matrix of a
// batch, and batching rules. They have no WebGPU kernel, so they run on the CPU for
// arrays of either device (as MLX runs linalg on the CPU stream); derivative rules are
// attached in grads.ts.
import type { ExternOp, HostArray, Spec } from '../ir/extern.ts';
import type { MxArray } from '../core/array.ts';
import { toDtype } from '../core/dtype.ts';
import { callExtern } from '../ops/extern.ts';
import { moveaxis } from '../ops/shape.ts';
import { LinalgError, choleskyHost, invHost, luHost, qrHost, triInvHost } from './host.ts';
import { eigHost, eighHost, svdHost } from './spectral.ts';
import { choleskyJvp, choleskyVjp, eighJvp, eighVjp, invJvp, invVjp, luJvp, luVjp, qrJvp, qrVjp, svdJvp, svdVjp } from './grads.ts';

const uint32 = toDtype('uint32');
const fmt = (s: readonly number[]) => `(${s.join(',')})`;

/** Runs `f` on every m x n matrix of a batched input; outputs are concatenated. */
function perMatrix(name: string, x: HostArray, outSizes: number[], f: (a: Float64Array, m: number, n: number) => Float64Array[]): Float64Array[] {
  const s = x.shape;
  const m = s[s.length - 2], n = s[s.length - 1];
  const count = m * n === 0 ? s.slice(0, -2).reduce((a, b) => a * b, 1) : x.data.length / (m * n);
  const outs = outSizes.map((z) => new Float64Array(z * count));
  for (let b = 0; b < count; b++) {
    let r: Float64Array[];
    try {
      r = f(x.data.subarray(b * m * n, (b + 1) * m * n), m, n);
    } catch (e) {
      if (e instanceof LinalgError) {
        const where = count > 1 ? `, batch element ${b}` : '';
        throw new Error(`[linalg.${name}] ${e.message} (shape ${fmt(s)}${where}).`);
      }
      throw e;
    }
    r.forEach((v, i) => outs[i].set(v, b * outSizes[i]));
  }
  return outs;
}

const last2 = (s: readonly number[]) => [s[s.length - 2], s[s.length - 1]];
const batchOf = (s: readonly number[]) => s.slice(0, -2);

/** A batching rule for a one-input op that works over leading dims: move the axis to 0. */
function vmapUnary<A>(op: () => ExternOp<A>) {
  return (ins: MxArray[], axes: (number | null)[], attrs: A): MxArray[] => {
    const x = axes[0] === null || axes[0] === 0 ? ins[0] : moveaxis(ins[0], axes[0], 0);
    return callExtern(op(), [x], attrs, x.device);
  };
}

/** Square-matrix ops read only the last two dims; this is their common shape check. */
export function checkSquare(name: string, s: readonly number[]): void {
  if (s.length < 2) throw new Error(`[linalg.${name}] Arrays must have >= 2 dimensions. Received array with ${s.length} dimensions.`);
  if (s[s.length - 1] !== s[s.length - 2]) throw new Error(`[linalg.${name}] Only defined for square matrices; received shape ${fmt(s)}.`);
}

export interface InvAttrs {
  tri: boolean;
  upper: boolean;
}

/** General or triangular inverse (a triangular one reads only its triangle). */
export const INV: ExternOp<InvAttrs> = {
  name: 'linalg.inv',
  outputs: ([a]) => [{ shape: a.shape, dtype: a.dtype }],
  cpu: ([a], p) => {
    const n = a.shape[a.shape.length - 1];
    return perMatrix(p.tri ? 'triInv' : 'inv', a, [n * n], (x) => [p.tri ? triInvHost(x, n, p.upper) : invHost(x, n)]);
  },
  vjp: invVjp,
  jvp: invJvp,
  vmap: vmapUnary(() => INV),
};

/** Lower Cholesky factor (reads the lower triangle). */
export const CHOLESKY: ExternOp<null> = {
  name: 'linalg.cholesky',
  outputs: ([a]) => [{ shape: a.shape, dtype: a.dtype }],
  cpu: ([a]) => {
    const n = a.shape[a.shape.length - 1];
    return perMatrix('cholesky', a, [n * n], (x) => [choleskyHost(x, n)]);
  },
  vjp: choleskyVjp,
  jvp: choleskyJvp,
  vmap: vmapUnary(() => CHOLESKY),
};

/** LU with partial pivoting: packed LU, pivots, row indices (A = (LU)[rowIdx]), forward permutation. */
export const LU: ExternOp<null> = {
  name: 'linalg.luFactor',
  outputs: ([a]) => {
    const [m, n] = last2(a.shape);
    const b = batchOf(a.shape);
    return [
      { shape: a.shape, dtype: a.dtype },
      { shape: [...b, Math.min(m, n)], dtype: uint32 },
      { shape: [...b, m], dtype: uint32 },
      { shape: [...b, m], dtype: uint32 },
    ];
  },
  cpu: ([a]) => {
    const [m, n] = last2(a.shape);
    return perMatrix('lu', a, [m * n, Math.min(m, n), m, m], (x) => {
      const r = luHost(x, m, n);
      return [r.lu, r.pivots, r.rowIdx, r.perm];
    });
  },
  vjp: luVjp,
  jvp: luJvp,
  vmap: vmapUnary(() => LU),
};

/** Reduced QR: Q (m x k), R (k x n). */
export const QR: ExternOp<null> = {
  name: 'linalg.qr',
  outputs: ([a]) => {
    const [m, n] = last2(a.shape);
    const k = Math.min(m, n), b = batchOf(a.shape);
    return [{ shape: [...b, m, k], dtype: a.dtype }, { shape: [...b, k, n], dtype: a.dtype }];
  },
  cpu: ([a]) => {
    const [m, n] = last2(a.shape);
    const k = Math.min(m, n);
    return perMatrix('qr', a, [m * k, k * n], (x) => {
      const r = qrHost(x, m, n);
      return [r.q, r.r];
    });
  },
  vjp: qrVjp,
  jvp: qrJvp,
  vmap: vmapUnary(() => QR),
};

/** Full SVD: U (m x m), S, Vt (n x n); always with U and Vt, which the gradients need. */
export const SVD: ExternOp<null> = {
  name: 'linalg.svd',
  outputs: ([a]) => {
    const [m, n] = last2(a.shape);
    const b = batchOf(a.shape);
    return [{ shape: [...b, m, m], dtype: a.dtype }, { shape: [...b, Math.min(m, n)], dtype: a.dtype }, { shape: [...b, n, n], dtype: a.dtype }];
  },
  cpu: ([a]) => {
    const [m, n] = last2(a.shape);
    return perMatrix('svd', a, [m * m, Math.min(m, n), n * n], (x) => {
      const r = svdHost(x, m, n);
      return [r.u, r.s, r.vt];
    });
  },
  vjp: svdVjp,
  jvp: svdJvp,
  vmap: vmapUnary(() => SVD),
};

/** Symmetric eigendecomposition from the lower triangle: ascending values, vector columns. */
export const EIGH: ExternOp<null> = {
  name: 'linalg.eigh',
  outputs: ([a]) => [{ shape: a.shape.slice(0, -1), dtype: a.dtype }, { shape: a.shape, dtype: a.dtype }],
  cpu: ([a]) => {
    const n = a.shape[a.shape.length - 1];
    return perMatrix('eigh', a, [n, n * n], (x) => {
      const r = eighHost(x, n);
      return [r.w, r.v];
    });
  },
  vjp: eighVjp,
  jvp: eighJvp,
  vmap: vmapUnary(() => EIGH),
};

/** General eigendecomposition; complex results as a trailing (real, imag) axis of size 2. */
export const EIG: ExternOp<{ vectors: boolean }> = {
  name: 'linalg.eig',
  outputs: ([a], p) => {
    const w: Spec = { shape: [...a.shape.slice(0, -1), 2], dtype: a.dtype };
    return p.vectors ? [w, { shape: [...a.shape, 2], dtype: a.dtype }] : [w];
  },
  cpu: ([a], p) => {
    const n = a.shape[a.shape.length - 1];
    return perMatrix('eig', a, p.vectors ? [2 * n, 2 * n * n] : [2 * n], (x) => {
      const r = eigHost(x, n, p.vectors);
      const w = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) (w[2 * i] = r.wr[i]), (w[2 * i + 1] = r.wi[i]);
      if (!p.vectors) return [w];
      const v = new Float64Array(2 * n * n);
      for (let i = 0; i < n * n; i++) (v[2 * i] = r.vr[i]), (v[2 * i + 1] = r.vi[i]);
      return [w, v];
    });
  },
  vmap: vmapUnary(() => EIG),
};
