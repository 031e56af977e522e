// Float64 reference kernels of the factorizations on one row-major matrix each:
// LU with partial pivoting, Cholesky, triangular and general inverses, Householder QR.
// The extern ops (externs.ts) call these per matrix of a batch.

/** A failure on one matrix, reported by the extern op with the op name and shape. */
export class LinalgError extends Error {}

export interface LuResult {
  lu: Float64Array;
  /** LAPACK-style pivots, 0-based: row j was swapped with row pivots[j]. */
  pivots: Float64Array;
  /** `rowIdx[i]` is the row of L*U that holds row i of A (A = (L U)[rowIdx]). */
  rowIdx: Float64Array;
  /** The forward permutation: (L U)[i] = A[perm[i]]. */
  perm: Float64Array;
  /** Whether a pivot was exactly zero (LAPACK's info > 0). */
  singular: boolean;
}

/** LU with partial pivoting of an m x n matrix (getrf's pivot order). */
export function luHost(a: Float64Array, m: number, n: number): LuResult {
  const lu = a.slice();
  const k = Math.min(m, n);
  const pivots = new Float64Array(k);
  const perm = new Float64Array(m).map((_, i) => i);
  let singular = false;
  for (let j = 0; j < k; j++) {
    let p = j;
    let best = Math.abs(lu[j * n + j]);
    for (let i = j + 1; i < m; i++) {
      const v = Math.abs(lu[i * n + j]);
      if (v > best) (best = v), (p = i);
    }
    pivots[j] = p;
    if (p !== j) {
      for (let c = 0; c < n; c++) {
        const t = lu[j * n + c];
        lu[j * n + c] = lu[p * n + c];
        lu[p * n + c] = t;
      }
      const t = perm[j];
      perm[j] = perm[p];
      perm[p] = t;
    }
    const d = lu[j * n + j];
    if (d === 0) {
      singular = true;
      continue;
    }
    for (let i = j + 1; i < m; i++) {
      const f = (lu[i * n + j] /= d);
      if (f !== 0) for (let c = j + 1; c < n; c++) lu[i * n + c] -= f * lu[j * n + c];
    }
  }
  const rowIdx = new Float64Array(m);
  for (let i = 0; i < m; i++) rowIdx[perm[i]] = i;
  return { lu, pivots, rowIdx, perm, singular };
}

/** Lower Cholesky factor of the symmetric matrix whose lower triangle `a` holds. */
export function choleskyHost(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0)) throw new LinalgError(`matrix is not positive definite (leading minor ${j + 1} is not positive)`);
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** Inverse of the triangle of `a` (the other triangle is ignored and returned as zeros). */
export function triInvHost(a: Float64Array, n: number, upper: boolean): Float64Array {
  const x = new Float64Array(n * n);
  const at = (i: number, j: number) => (upper ? a[j * n + i] : a[i * n + j]);
  // solve L X = I column by column for the lower case; the upper case is its transpose
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= at(i, k) * x[k * n + c];
      const d = at(i, i);
      if (d === 0) throw new LinalgError('matrix is singular');
      x[i * n + c] = s / d;
    }
  }
  if (!upper) return x;
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[i * n + j] = x[j * n + i];
  return t;
}

/** Inverse of a square matrix through LU; throws on an exactly zero pivot. */
export function invHost(a: Float64Array, n: number): Float64Array {
  const { lu, perm, singular } = luHost(a, n, n);
  if (singular) throw new LinalgError('matrix is singular');
  const x = new Float64Array(n * n);
  const y = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    // column c of P^T: solve L U x = e_perm
    for (let i = 0; i < n; i++) {
      let s = perm[i] === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= lu[i * n + k] * y[k];
      y[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < n; k++) s -= lu[i * n + k] * x[k * n + c];
      x[i * n + c] = s / lu[i * n + i];
    }
  }
  return x;
}

/**
 * Reduced QR of an m x n matrix by Householder reflections with LAPACK's sign choice
 * (R's diagonal is -sign(a_kk) * norm), so results match geqrf/orgqr.
 */
export function qrHost(a: Float64Array, m: number, n: number): { q: Float64Array; r: Float64Array } {
  const k = Math.min(m, n);
  const w = a.slice();
  const vs: Float64Array[] = [];
  const taus: number[] = [];
  for (let j = 0; j < k; j++) {
    const alpha = w[j * n + j];
    let xn = 0;
    for (let i = j + 1; i < m; i++) xn += w[i * n + j] * w[i * n + j];
    const v = new Float64Array(m);
    if (xn === 0) {
      vs.push(v);
      taus.push(0);
      continue;
    }
    const beta = -Math.sign(alpha || 1) * Math.sqrt(alpha * alpha + xn);
    const tau = (beta - alpha) / beta;
    v[j] = 1;
    for (let i = j + 1; i < m; i++) v[i] = w[i * n + j] / (alpha - beta);
    // apply H = I - tau v v^T to the trailing columns
    for (let c = j; c < n; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += v[i] * w[i * n + c];
      s *= tau;
      for (let i = j; i < m; i++) w[i * n + c] -= s * v[i];
    }
    vs.push(v);
    taus.push(tau);
  }
  const r = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) r[i * n + c] = w[i * n + c];
  // Q = H_0 ... H_{k-1} applied to the first k columns of the identity
  const q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j], tau = taus[j];
    if (tau === 0) continue;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += v[i] * q[i * k + c];
      s *= tau;
      for (let i = j; i < m; i++) q[i * k + c] -= s * v[i];
    }
  }
  return { q, r };
}
