// logcumsumexp as an extern op: a scan whose combine is logaddexp, so no prefix can
// overflow or underflow (a max-shifted cumsum would lose small early terms). The WebGPU
// kernel reuses shaders/scan.wgsl with its own hooks; derivatives are written with the op.
import type { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { float32, float64, isFloating } from '../core/dtype.ts';
import { contiguousStrides, normAxis } from '../core/shape.ts';
import type { ExternOp } from '../ir/extern.ts';
import { grid } from '../backend/webgpu/kernel.ts';
import { operands, type ArrayInput } from './core.ts';
import { callExtern } from './extern.ts';
import { astype, equal, exp, log, maximum, minimum, negative, subtract, where, add } from './elementwise.ts';
import { flatten, moveaxis } from './shape.ts';

interface Attrs {
  reverse: boolean;
  inclusive: boolean;
}

// a function call: WGSL rejects a constant-folded infinity
const NEG_INF_WGSL = 'mxb_f32_bits(0xff800000u)';

function lae(a: number, b: number): number {
  if (a === b) return a + Math.LN2;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(Math.min(a, b) - m));
}

/** The op along the last axis of a float32 (or, on the CPU, float64) array. */
const LCSE: ExternOp<Attrs> = {
  name: 'logcumsumexp',
  outputs: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
  cpu([x], { reverse, inclusive }) {
    const n = x.shape.length ? x.shape[x.shape.length - 1] : 1;
    const out = new Float64Array(x.data.length);
    for (let r = 0; r * n < x.data.length; r++) {
      let acc = -Infinity;
      for (let t = 0; t < n; t++) {
        const i = r * n + (reverse ? n - 1 - t : t);
        if (inclusive) acc = lae(acc, x.data[i]);
        out[i] = acc;
        if (!inclusive) acc = lae(acc, x.data[i]);
      }
    }
    return [out];
  },
  gpu(cx, [x], [spec], { reverse, inclusive }) {
    const n = x.ndim ? x.shape[x.ndim - 1] : 1;
    const rows = n ? x.size / n : 0;
    const out = cx.storage(float32, x.size, 'logcumsumexp');
    const { k, g } = cx.kernel('logcumsumexp');
    const ld = g.fnOf(x);
    const L = k.p.u32(n);
    const pos = reverse ? `(${L} - 1u - t)` : 't';
    k.emit(`alias SA = f32;\nconst SWG: u32 = 256u;\nconst SC_EXCL: bool = ${!inclusive};`);
    k.emit(`fn sc_init() -> SA {\n  return ${NEG_INF_WGSL};\n}`);
    // equal arguments (both infinite included) give a + log 2, so -inf - -inf never occurs
    k.emit(`fn sc_comb(a: SA, b: SA) -> SA {\n  if (a == b) {\n    return a + 0.6931471805599453;\n  }\n  let m = max(a, b);\n  return m + log(1.0 + exp(min(a, b) - m));\n}`);
    k.emit(`fn sc_rows() -> u32 {\n  return ${k.p.u32(rows)};\n}\nfn sc_len() -> u32 {\n  return ${L};\n}\nfn sc_chunks() -> u32 {\n  return 1u;\n}`);
    k.emit('fn sc_carry(row: u32, c: u32) -> SA {\n  return sc_init();\n}');
    k.emit(`fn sc_load(row: u32, t: u32) -> SA {\n  return f32(${ld}(row * ${L} + ${pos}));\n}`);
    k.emit(`fn sc_store(row: u32, t: u32, v: SA) {\n  out[row * ${L} + ${pos}] = bitcast<u32>(v);\n}`);
    const maxDim = cx.ctx.limits.maxComputeWorkgroupsPerDimension;
    const short = n <= 64;
    cx.push(k.build('scan', short ? 'scan_thread' : 'scan_wg', out.gpu!.buffer, grid(short ? Math.ceil(rows / 256) : rows, maxDim)));
    return [{ storage: out, strides: contiguousStrides(spec.shape), offset: 0 }];
  },
  // d y_i / d x_j = exp(x_j - y_i) over the scanned window; signed weights are split
  // into positive and negative parts so the sums stay in log space
  vjp([x], [y], g, _index, { reverse, inclusive }) {
    const dual = { reverse: !reverse, inclusive };
    const part = (w: MxArray) => {
      const t = where(equal(y, -Infinity), -Infinity, subtract(log(w), y));
      return exp(add(x, run(t, dual)));
    };
    return [subtract(part(maximum(g, 0)), part(negative(minimum(g, 0))))];
  },
  jvp([x], [y], [t], _index, attrs) {
    if (!t) return null;
    const part = (w: MxArray) => exp(subtract(run(add(x, log(w)), attrs), y));
    const d = subtract(part(maximum(t, 0)), part(negative(minimum(t, 0))));
    return where(equal(y, -Infinity), 0, d);
  },
};

const run = (x: MxArray, attrs: Attrs): MxArray => callExtern(LCSE, [x], attrs, x.device)[0];

/**
 * log(cumsum(exp(a))) along an axis (the flattened array by default), computed as a
 * logaddexp scan; `reverse` scans from the end, `inclusive: false` shifts by one (-inf first).
 * @example
 * mx.logcumsumexp(mx.array([0, 0, 0])) // [0, log 2, log 3]
 */
export function logcumsumexp(a: ArrayInput, axis?: number | null, reverse = false, inclusive = true, opts?: StreamOpt): MxArray {
  let [x] = operands('logcumsumexp', [a], resolveDevice(opts));
  const dt = isFloating(x.dtype) ? x.dtype : float32;
  if (axis === undefined || axis === null) {
    x = flatten(x, 0, -1, opts);
    axis = 0;
  }
  if (x.ndim === 0) x = flatten(x, 0, -1, opts);
  const ax = normAxis('logcumsumexp', axis, x.ndim);
  const ct = dt === float64 ? float64 : float32;
  const y = run(moveaxis(astype(x, ct, opts), ax, -1, opts), { reverse, inclusive });
  return astype(moveaxis(y, -1, ax, opts), dt, opts);
}
