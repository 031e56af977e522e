// Float64 host FFTs: the CPU reference of fftPairs and the tables its WebGPU kernels read.
// Radix-2 (iterative, bit-reversed) for powers of two; Bluestein's chirp convolution of a
// power-of-two length m >= 2n - 1 for every other n, so every length is O(n log n).

/** exp(-2 pi i k / N) for k < N / 2 (cos and sin parts). */
function halfTable(N: number): [Float64Array, Float64Array] {
  const c = new Float64Array(N / 2), s = new Float64Array(N / 2);
  for (let k = 0; k < N / 2; k++) {
    c[k] = Math.cos((2 * Math.PI * k) / N);
    s[k] = -Math.sin((2 * Math.PI * k) / N);
  }
  return [c, s];
}

/** In-place forward DFT of a power-of-two length (re, im separate). */
export function fftPow2(re: Float64Array, im: Float64Array): void {
  const N = re.length;
  if (N <= 1) return;
  for (let i = 1, j = 0; i < N; i++) {
    let bit = N >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  const [c, s] = halfTable(N);
  for (let len = 2; len <= N; len *= 2) {
    const h = len / 2, step = N / len;
    for (let b = 0; b < N; b += len) {
      for (let j = 0; j < h; j++) {
        const wr = c[j * step], wi = s[j * step];
        const p = b + j, q = p + h;
        const xr = re[q] * wr - im[q] * wi, xi = re[q] * wi + im[q] * wr;
        re[q] = re[p] - xr;
        im[q] = im[p] - xi;
        re[p] += xr;
        im[p] += xi;
      }
    }
  }
}

/** The convolution length of Bluestein's algorithm for n. */
export const bluesteinLen = (n: number): number => 2 ** Math.ceil(Math.log2(2 * n - 1));

/** The chirp exp(-pi i j^2 / n), j < n, with j^2 reduced mod 2n in exact integers. */
export function chirp(n: number): [Float64Array, Float64Array] {
  const c = new Float64Array(n), s = new Float64Array(n);
  let q = 0;
  for (let j = 0; j < n; j++) {
    c[j] = Math.cos((Math.PI * q) / n);
    s[j] = -Math.sin((Math.PI * q) / n);
    q = (q + 2 * j + 1) % (2 * n);
  }
  return [c, s];
}

/** FFT_m of Bluestein's filter b_j = conj(chirp_j) placed at j and m - j. */
export function bluesteinFilter(n: number, m: number, cr: Float64Array, ci: Float64Array): [Float64Array, Float64Array] {
  const br = new Float64Array(m), bi = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    br[j] = cr[j];
    bi[j] = -ci[j];
    if (j > 0) {
      br[m - j] = cr[j];
      bi[m - j] = -ci[j];
    }
  }
  fftPow2(br, bi);
  return [br, bi];
}

/** Forward DFT of any length (a new pair of arrays). */
export function dft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  if ((n & (n - 1)) === 0) {
    const r = re.slice(), i = im.slice();
    fftPow2(r, i);
    return [r, i];
  }
  const m = bluesteinLen(n);
  const [cr, ci] = chirp(n);
  const [br, bi] = bluesteinFilter(n, m, cr, ci);
  const ar = new Float64Array(m), ai = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    ar[j] = re[j] * cr[j] - im[j] * ci[j];
    ai[j] = re[j] * ci[j] + im[j] * cr[j];
  }
  fftPow2(ar, ai);
  // inverse transform of A * B as conj(F(conj(A * B))) / m
  for (let k = 0; k < m; k++) {
    const pr = ar[k] * br[k] - ai[k] * bi[k], pi = ar[k] * bi[k] + ai[k] * br[k];
    ar[k] = pr;
    ai[k] = -pi;
  }
  fftPow2(ar, ai);
  const yr = new Float64Array(n), yi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const vr = ar[k] / m, vi = -ai[k] / m;
    yr[k] = vr * cr[k] - vi * ci[k];
    yi[k] = vr * ci[k] + vi * cr[k];
  }
  return [yr, yi];
}

/** Rows of interleaved (re, im) pairs of length n transformed; the inverse is unnormalised. */
export function fftRows(data: Float64Array, n: number, inverse: boolean): Float64Array {
  const out = new Float64Array(data.length);
  const sg = inverse ? -1 : 1;
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let o = 0; o < data.length; o += 2 * n) {
    for (let j = 0; j < n; j++) {
      re[j] = data[o + 2 * j];
      im[j] = sg * data[o + 2 * j + 1];
    }
    const [yr, yi] = dft(re, im);
    for (let k = 0; k < n; k++) {
      out[o + 2 * k] = yr[k];
      out[o + 2 * k + 1] = sg * yi[k];
    }
  }
  return out;
}

/**
 * The GPU twiddle table of length N as interleaved float32 pairs: exp(-2 pi i k / N) for
 * k < B (fine), then for k * B, k < N / B (coarse); B = N up to 8192 (one entry coarse).
 */
export function twiddleTable(N: number, B: number): Float32Array {
  const t = new Float32Array(2 * (B + N / B));
  for (let k = 0; k < B; k++) {
    t[2 * k] = Math.cos((2 * Math.PI * k) / N);
    t[2 * k + 1] = -Math.sin((2 * Math.PI * k) / N);
  }
  for (let k = 0; k < N / B; k++) {
    t[2 * (B + k)] = Math.cos((2 * Math.PI * k * B) / N);
    t[2 * (B + k) + 1] = -Math.sin((2 * Math.PI * k * B) / N);
  }
  return t;
}
