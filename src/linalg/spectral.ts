// Float64 reference kernels of the spectral decompositions on one row-major matrix:
// cyclic Jacobi for symmetric eigenproblems, one-sided Jacobi for the SVD, and complex
// shifted QR on the Hessenberg form plus inverse iteration for general eigenproblems.

const EPS = 2.220446049250313e-16;

/** Flips a column so its largest-magnitude entry is positive (a deterministic sign). */
function fixSign(v: Float64Array, rows: number, cols: number, c: number): void {
  let best = 0;
  for (let i = 0; i < rows; i++) if (Math.abs(v[i * cols + c]) > Math.abs(best)) best = v[i * cols + c];
  if (best < 0) for (let i = 0; i < rows; i++) v[i * cols + c] = -v[i * cols + c];
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns) of the symmetric matrix whose
 * lower triangle `a` holds.
 */
export function eighHost(a: Float64Array, n: number): { w: Float64Array; v: Float64Array } {
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) s[i * n + j] = s[j * n + i] = a[i * n + j];
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const x = s[i * n + j] * s[i * n + j];
        total += x;
        if (i !== j) off += x;
      }
    if (off <= EPS * EPS * total * 1e-2 || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = s[p * n + q];
        if (apq === 0) continue;
        const theta = (s[q * n + q] - s[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), sn = t * c;
        for (let k = 0; k < n; k++) {
          const kp = s[k * n + p], kq = s[k * n + q];
          s[k * n + p] = c * kp - sn * kq;
          s[k * n + q] = sn * kp + c * kq;
        }
        for (let k = 0; k < n; k++) {
          const pk = s[p * n + k], qk = s[q * n + k];
          s[p * n + k] = c * pk - sn * qk;
          s[q * n + k] = sn * pk + c * qk;
        }
        for (let k = 0; k < n; k++) {
          const kp = v[k * n + p], kq = v[k * n + q];
          v[k * n + p] = c * kp - sn * kq;
          v[k * n + q] = sn * kp + c * kq;
        }
      }
  }
  const order = [...Array(n).keys()].sort((i, j) => s[i * n + i] - s[j * n + j]);
  const w = new Float64Array(n), vs = new Float64Array(n * n);
  order.forEach((o, c) => {
    w[c] = s[o * n + o];
    for (let i = 0; i < n; i++) vs[i * n + c] = v[i * n + o];
    fixSign(vs, n, n, c);
  });
  return { w, v: vs };
}

/** Completes the first `have` orthonormal columns of an m x m matrix to a basis. */
function completeBasis(u: Float64Array, m: number, have: number[]): void {
  const done = new Set(have);
  const basis = [...have];
  for (let c = 0; c < m; c++) {
    if (done.has(c)) continue;
    // the standard basis vector leaving the largest residual after projection
    let bestVec: Float64Array | null = null, bestNorm = -1;
    for (let e = 0; e < m; e++) {
      const x = new Float64Array(m);
      x[e] = 1;
      for (let pass = 0; pass < 2; pass++)
        for (const b of basis) {
          let d = 0;
          for (let i = 0; i < m; i++) d += u[i * m + b] * x[i];
          for (let i = 0; i < m; i++) x[i] -= d * u[i * m + b];
        }
      let nr = 0;
      for (let i = 0; i < m; i++) nr += x[i] * x[i];
      if (nr > bestNorm) (bestNorm = nr), (bestVec = x);
    }
    const nr = Math.sqrt(bestNorm);
    for (let i = 0; i < m; i++) u[i * m + c] = bestVec![i] / nr;
    basis.push(c);
  }
}

/**
 * Full SVD of an m x n matrix: U (m x m), S (min(m, n), descending), Vt (n x n).
 */
export function svdHost(a: Float64Array, m: number, n: number): { u: Float64Array; s: Float64Array; vt: Float64Array } {
  if (m < n) {
    const t = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
    const r = svdHost(t, n, m);
    // A^T = U' S V'^T, so A = V' S U'^T
    const u = new Float64Array(m * m), vt = new Float64Array(n * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) u[i * m + j] = r.vt[j * m + i];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[i * n + j] = r.u[j * n + i];
    return { u, s: r.s, vt };
  }
  // one-sided Jacobi on the columns (m >= n)
  const w = a.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        let al = 0, be = 0, ga = 0;
        for (let i = 0; i < m; i++) {
          const x = w[i * n + p], y = w[i * n + q];
          al += x * x;
          be += y * y;
          ga += x * y;
        }
        if (ga === 0 || Math.abs(ga) <= EPS * Math.sqrt(al * be)) continue;
        rotated = true;
        const zeta = (be - al) / (2 * ga);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), sn = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[i * n + p], y = w[i * n + q];
          w[i * n + p] = c * x - sn * y;
          w[i * n + q] = sn * x + c * y;
        }
        for (let i = 0; i < n; i++) {
          const x = v[i * n + p], y = v[i * n + q];
          v[i * n + p] = c * x - sn * y;
          v[i * n + q] = sn * x + c * y;
        }
      }
    if (!rotated) break;
  }
  const norms = [...Array(n).keys()].map((c) => {
    let s = 0;
    for (let i = 0; i < m; i++) s += w[i * n + c] * w[i * n + c];
    return Math.sqrt(s);
  });
  const order = [...Array(n).keys()].sort((i, j) => norms[j] - norms[i]);
  const s = new Float64Array(n), u = new Float64Array(m * m), vt = new Float64Array(n * n);
  const tiny = (norms[order[0]] || 0) * EPS * Math.max(m, n);
  const have: number[] = [];
  order.forEach((o, c) => {
    s[c] = norms[o];
    for (let i = 0; i < n; i++) vt[c * n + i] = v[i * n + o];
    if (norms[o] > tiny && norms[o] > 0) {
      for (let i = 0; i < m; i++) u[i * m + c] = w[i * n + o] / norms[o];
      have.push(c);
    }
  });
  completeBasis(u, m, have);
  return { u, s, vt };
}

// ---------------------------------------------------------------- general eig

/** Complex numbers as [re, im] pairs in parallel arrays. */
interface CMat {
  re: Float64Array;
  im: Float64Array;
}

/** Eigenvalues of the upper Hessenberg complex matrix h (n x n), destroyed in place. */
function hessenbergQr(h: CMat, n: number): { re: Float64Array; im: Float64Array } {
  const { re, im } = h;
  const wr = new Float64Array(n), wi = new Float64Array(n);
  let hi = n - 1;
  let iter = 0;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.hypot(re[i], im[i]));
  while (hi >= 0) {
    if (hi === 0) {
      wr[0] = re[0];
      wi[0] = im[0];
      hi--;
      continue;
    }
    // find the start of the active unreduced block
    let lo = hi;
    while (lo > 0) {
      const sub = Math.hypot(re[lo * n + lo - 1], im[lo * n + lo - 1]);
      const d = Math.hypot(re[lo * n + lo], im[lo * n + lo]) + Math.hypot(re[(lo - 1) * n + lo - 1], im[(lo - 1) * n + lo - 1]);
      if (sub <= EPS * (d || scale)) {
        re[lo * n + lo - 1] = im[lo * n + lo - 1] = 0;
        break;
      }
      lo--;
    }
    if (lo === hi) {
      wr[hi] = re[hi * n + hi];
      wi[hi] = im[hi * n + hi];
      hi--;
      iter = 0;
      continue;
    }
    if (++iter > 300 * n) throw new Error('eigenvalue iteration did not converge');
    // Wilkinson shift from the trailing 2x2 block (exceptional shifts break cycles)
    const a = [re[(hi - 1) * n + hi - 1], im[(hi - 1) * n + hi - 1]], b = [re[(hi - 1) * n + hi], im[(hi - 1) * n + hi]];
    const c = [re[hi * n + hi - 1], im[hi * n + hi - 1]], d = [re[hi * n + hi], im[hi * n + hi]];
    let mu: number[];
    if (iter % 11 === 10) mu = [d[0] + 0.75 * Math.abs(c[0]), d[1] + 0.4 * Math.abs(c[0])];
    else {
      const tr = [(a[0] + d[0]) / 2, (a[1] + d[1]) / 2];
      const hd = [(a[0] - d[0]) / 2, (a[1] - d[1]) / 2];
      const disc = csqrt(hd[0] * hd[0] - hd[1] * hd[1] + b[0] * c[0] - b[1] * c[1], 2 * hd[0] * hd[1] + b[0] * c[1] + b[1] * c[0]);
      const m1 = [tr[0] + disc[0], tr[1] + disc[1]], m2 = [tr[0] - disc[0], tr[1] - disc[1]];
      mu = Math.hypot(m1[0] - d[0], m1[1] - d[1]) < Math.hypot(m2[0] - d[0], m2[1] - d[1]) ? m1 : m2;
    }
    for (let i = lo; i <= hi; i++) (re[i * n + i] -= mu[0]), (im[i * n + i] -= mu[1]);
    // QR of the active block by Givens rotations, then RQ
    const rots: number[][] = [];
    for (let k = lo; k < hi; k++) {
      const xr = re[k * n + k], xi = im[k * n + k], yr = re[(k + 1) * n + k], yi = im[(k + 1) * n + k];
      const r = Math.hypot(xr, xi, yr, yi);
      if (r === 0) {
        rots.push([1, 0, 0, 0]);
        continue;
      }
      // G = [[conj(cc), conj(ss)], [-ss, cc]] with cc = x / r, ss = y / r
      const cr = xr / r, ci = xi / r, sr = yr / r, si = yi / r;
      rots.push([cr, ci, sr, si]);
      for (let j = k; j < n; j++) {
        const ar = re[k * n + j], ai = im[k * n + j], br = re[(k + 1) * n + j], bi = im[(k + 1) * n + j];
        re[k * n + j] = cr * ar + ci * ai + sr * br + si * bi;
        im[k * n + j] = cr * ai - ci * ar + sr * bi - si * br;
        re[(k + 1) * n + j] = -(sr * ar - si * ai) + (cr * br - ci * bi);
        im[(k + 1) * n + j] = -(sr * ai + si * ar) + (cr * bi + ci * br);
      }
    }
    for (let k = lo; k < hi; k++) {
      const [cr, ci, sr, si] = rots[k - lo];
      // multiply columns k, k+1 on the right by G^H = [[cc, -conj(ss)], [ss, conj(cc)]]
      for (let i = 0; i <= Math.min(hi, k + 2); i++) {
        const ar = re[i * n + k], ai = im[i * n + k], br = re[i * n + k + 1], bi = im[i * n + k + 1];
        re[i * n + k] = cr * ar - ci * ai + (sr * br - si * bi);
        im[i * n + k] = cr * ai + ci * ar + (sr * bi + si * br);
        re[i * n + k + 1] = -(sr * ar + si * ai) + (cr * br + ci * bi);
        im[i * n + k + 1] = -(sr * ai - si * ar) + (cr * bi - ci * br);
      }
    }
    for (let i = lo; i <= hi; i++) (re[i * n + i] += mu[0]), (im[i * n + i] += mu[1]);
  }
  return { re: wr, im: wi };
}

function csqrt(x: number, y: number): number[] {
  const r = Math.hypot(x, y);
  const a = Math.sqrt((r + x) / 2);
  const b = Math.sqrt(Math.max(0, (r - x) / 2));
  return [a, y < 0 ? -b : b];
}

/** Solves (A - lambda I) x = b for complex lambda and b by Gaussian elimination. */
function shiftedSolve(a: Float64Array, n: number, lr: number, li: number, b: CMat): CMat {
  const re = new Float64Array(n * (n + 1)), im = new Float64Array(n * (n + 1));
  const w = n + 1;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) re[i * w + j] = a[i * n + j];
    re[i * w + i] -= lr;
    im[i * w + i] -= li;
    re[i * w + n] = b.re[i];
    im[i * w + n] = b.im[i];
  }
  for (let j = 0; j < n; j++) {
    let p = j;
    for (let i = j + 1; i < n; i++) if (Math.hypot(re[i * w + j], im[i * w + j]) > Math.hypot(re[p * w + j], im[p * w + j])) p = i;
    for (let c = 0; c < w; c++) {
      [re[j * w + c], re[p * w + c]] = [re[p * w + c], re[j * w + c]];
      [im[j * w + c], im[p * w + c]] = [im[p * w + c], im[j * w + c]];
    }
    let dr = re[j * w + j], di = im[j * w + j];
    if (dr === 0 && di === 0) dr = EPS;
    const dd = dr * dr + di * di;
    for (let i = j + 1; i < n; i++) {
      const xr = re[i * w + j], xi = im[i * w + j];
      const fr = (xr * dr + xi * di) / dd, fi = (xi * dr - xr * di) / dd;
      for (let c = j; c < w; c++) {
        re[i * w + c] -= fr * re[j * w + c] - fi * im[j * w + c];
        im[i * w + c] -= fr * im[j * w + c] + fi * re[j * w + c];
      }
    }
    re[j * w + j] = dr;
    im[j * w + j] = di;
  }
  const x: CMat = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let i = n - 1; i >= 0; i--) {
    let sr = re[i * w + n], si = im[i * w + n];
    for (let k = i + 1; k < n; k++) {
      sr -= re[i * w + k] * x.re[k] - im[i * w + k] * x.im[k];
      si -= re[i * w + k] * x.im[k] + im[i * w + k] * x.re[k];
    }
    const dr = re[i * w + i], di = im[i * w + i], dd = dr * dr + di * di;
    x.re[i] = (sr * dr + si * di) / dd;
    x.im[i] = (si * dr - sr * di) / dd;
  }
  return x;
}

/**
 * Eigenvalues and (if asked) unit eigenvectors of a general real n x n matrix, as real
 * and imaginary parts; vectors are columns, each scaled so its largest entry is real.
 */
export function eigHost(a: Float64Array, n: number, vectors: boolean): { wr: Float64Array; wi: Float64Array; vr: Float64Array; vi: Float64Array } {
  // Householder reduction to Hessenberg form (eigenvalues are unchanged)
  const h = a.slice();
  for (let k = 0; k < n - 2; k++) {
    let nr = 0;
    for (let i = k + 1; i < n; i++) nr += h[i * n + k] * h[i * n + k];
    nr = Math.sqrt(nr);
    if (nr === 0) continue;
    const alpha = h[(k + 1) * n + k] > 0 ? -nr : nr;
    const v = new Float64Array(n);
    for (let i = k + 1; i < n; i++) v[i] = h[i * n + k];
    v[k + 1] -= alpha;
    let vn = 0;
    for (let i = k + 1; i < n; i++) vn += v[i] * v[i];
    if (vn === 0) continue;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k + 1; i < n; i++) s += v[i] * h[i * n + j];
      s = (2 * s) / vn;
      for (let i = k + 1; i < n; i++) h[i * n + j] -= s * v[i];
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += h[i * n + j] * v[j];
      s = (2 * s) / vn;
      for (let j = k + 1; j < n; j++) h[i * n + j] -= s * v[j];
    }
  }
  const { re: wr, im: wi } = hessenbergQr({ re: h, im: new Float64Array(n * n) }, n);
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm = Math.max(norm, Math.abs(a[i]));
  // a real matrix: tiny imaginary parts are rounding, and complex values pair up exactly
  for (let i = 0; i < n; i++) if (Math.abs(wi[i]) <= 1e3 * EPS * (norm || 1)) wi[i] = 0;
  const vr = new Float64Array(vectors ? n * n : 0), vi = new Float64Array(vectors ? n * n : 0);
  if (!vectors) return { wr, wi, vr, vi };
  for (let c = 0; c < n; c++) {
    // inverse iteration from a fixed start; a slightly perturbed shift keeps it regular
    const d = (norm || 1) * 1e-10;
    let x: CMat = { re: new Float64Array(n).map((_, i) => 1 + i / n), im: new Float64Array(n) };
    for (let it = 0; it < 3; it++) {
      x = shiftedSolve(a, n, wr[c] + d, wi[c], x);
      let s = 0;
      for (let i = 0; i < n; i++) s += x.re[i] * x.re[i] + x.im[i] * x.im[i];
      s = Math.sqrt(s) || 1;
      for (let i = 0; i < n; i++) (x.re[i] /= s), (x.im[i] /= s);
    }
    // rotate the phase so the largest entry is real and positive
    let big = 0;
    for (let i = 1; i < n; i++) if (Math.hypot(x.re[i], x.im[i]) > Math.hypot(x.re[big], x.im[big]) * (1 + 1e-9)) big = i;
    const m = Math.hypot(x.re[big], x.im[big]) || 1;
    const pr = x.re[big] / m, pi = -x.im[big] / m;
    for (let i = 0; i < n; i++) {
      const r = x.re[i] * pr - x.im[i] * pi, im = x.re[i] * pi + x.im[i] * pr;
      vr[i * n + c] = r;
      vi[i * n + c] = wi[c] === 0 ? 0 : im;
    }
  }
  return { wr, wi, vr, vi };
}
