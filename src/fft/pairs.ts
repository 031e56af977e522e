// The complex FFT core of mx.fft on float32 "pair" arrays [..., n, 2] (real, imaginary),
// along axis -2, unnormalised in both directions. One extern op, FFT_PAIRS:
// - CPU: float64 radix-2 for powers of two, Bluestein (chirp, power-of-two convolution of
//   length m >= 2n - 1, chirp) for other n; O(n log n) for every n (pairs_cpu.ts).
// - WebGPU (pairs_gpu.ts, shaders/fft.wgsl): Stockham radix-4/2 steps in workgroup memory.
//   A power of two n <= L (L = n clamped to [1024, 4096] complex values, less when
//   maxComputeWorkgroupStorageSize is smaller) is ONE dispatch for any number of rows
//   (several short rows per workgroup); larger n take ceil(log2 n / log2 L) dispatches
//   (2 up to L^2 = 16M), each one read and one write of the data. Other n take twice
//   the passes of m (Bluestein, chirps fused into the first load and the last store), so
//   [4096, 1024, 2] is one dispatch and [4096, 1000, 2] two. Twiddles come from float64
//   host tables (float32 inputs), so they stay accurate for large n.
import type { MxArray } from '../core/array.ts';
import { type Dtype, float32, isFloating } from '../core/dtype.ts';
import type { Device } from '../core/device.ts';
import { fmtShape, type Shape } from '../core/shape.ts';
import type { ExternOp } from '../ir/extern.ts';
import { array } from '../ops/core.ts';
import { callExtern } from '../ops/extern.ts';
import { moveaxis, reshape } from '../ops/shape.ts';
import { bluesteinFilter, bluesteinLen, chirp, fftRows, twiddleTable } from './pairs_cpu.ts';
import { fftGpu, fineLen } from './pairs_gpu.ts';

interface Attrs {
  inverse: boolean;
}

function checkPairs(shape: Shape, dtype: Dtype): void {
  if (shape.length < 2 || shape[shape.length - 1] !== 2 || !isFloating(dtype)) {
    throw new Error(
      `[fft] expected a floating-point array of shape (..., n, 2) holding (real, imaginary) pairs, got shape ${fmtShape(shape)} and dtype ${dtype.name}.`,
    );
  }
}

const FFT_PAIRS: ExternOp<Attrs> = {
  name: 'fft',
  fuseElementwise: true,
  outputs([x]) {
    checkPairs(x.shape, x.dtype);
    return [{ shape: x.shape, dtype: float32 }];
  },
  cpu([x], { inverse }) {
    return [fftRows(x.data, x.shape[x.shape.length - 2], inverse)];
  },
  gpu: (cx, ins, [out], { inverse }) => fftGpu(cx, ins, out, inverse),
  // the DFT is linear over the reals and its adjoint is the DFT of the opposite sign
  vjp: (ins, _outs, g, _i, { inverse }) => [fftPairs(g, !inverse), ...ins.slice(1).map(() => null)],
  jvp: (_ins, _outs, [t], _i, { inverse }) => (t ? fftPairs(t, inverse) : null),
  // the batch axis becomes one more leading row dimension
  vmap: ([x], [ax], { inverse }) => [fftPairs(ax ? moveaxis(x, ax, 0) : x, inverse)],
};

// host tables, kept for the most recent lengths (their GPU copies stay with them)
const tables = new Map<string, MxArray[]>();
const TABLES_KEPT = 16;

const pairsOf = (re: ArrayLike<number>, im: ArrayLike<number>): Float32Array => {
  const t = new Float32Array(2 * re.length);
  for (let i = 0; i < re.length; i++) {
    t[2 * i] = re[i];
    t[2 * i + 1] = im[i];
  }
  return t;
};

/** GPU inputs for length n: the twiddle table of the power-of-two length, and Bluestein's chirp and filter. */
function tablesFor(n: number, device: Device): MxArray[] {
  const key = `${device.type}:${n}`;
  let t = tables.get(key);
  if (t) {
    tables.delete(key);
    tables.set(key, t);
    return t;
  }
  const mk = (d: Float32Array) => reshape(array(d, float32, { stream: device }), [d.length / 2, 2]);
  const pow2 = (n & (n - 1)) === 0;
  const m = pow2 ? n : bluesteinLen(n);
  t = [mk(twiddleTable(m, fineLen(m)))];
  if (!pow2) {
    const [cr, ci] = chirp(n);
    const [br, bi] = bluesteinFilter(n, m, cr, ci);
    t.push(mk(pairsOf(cr, ci)), mk(pairsOf(br, bi)));
  }
  tables.set(key, t);
  if (tables.size > TABLES_KEPT) tables.delete(tables.keys().next().value!);
  return t;
}

/**
 * Unnormalised DFT along axis -2 of x: float [..., n, 2] (real, imaginary). Forward:
 * X_k = sum_j x_j exp(-2 pi i j k / n); inverse: the + sign, NOT divided by n. float16 and
 * bfloat16 inputs compute in float32. Returns float32 [..., n, 2].
 * @example
 * const x = mx.array([[1, 0], [0, 0], [0, 0], [0, 0]]); // a unit impulse, n = 4
 * await fftPairs(x, false).tolist(); // [[1, 0], [1, 0], [1, 0], [1, 0]]
 */
export function fftPairs(x: MxArray, inverse: boolean): MxArray {
  checkPairs(x.shape, x.dtype);
  const n = x.shape[x.ndim - 2];
  const extra = x.device.type === 'gpu' && n > 0 && x.size > 0 ? tablesFor(n, x.device) : [];
  return callExtern(FFT_PAIRS, [x, ...extra], { inverse }, x.device)[0];
}
