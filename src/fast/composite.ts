// The op-level definitions of mx.fast (MLX's fallbacks): the oracle the fast kernels are
// tested against, the source of their derivative rules, and the path for shapes the
// WebGPU kernels do not cover.
import * as mx from '../index.ts';

type MxArray = mx.MxArray;

/**
 * x / sqrt(mean(x^2) + eps) over the last axis in float32, cast to x's dtype, times w.
 * @example
 * rmsNormComposite(mx.ones([2, 4]), null, 1e-5)
 */
export function rmsNormComposite(x: MxArray, w: MxArray | null, eps: number): MxArray {
  const xf = mx.astype(x, mx.float32);
  let y = mx.astype(mx.multiply(xf, mx.rsqrt(mx.add(mx.mean(mx.square(xf), -1, true), mx.array(eps, mx.float32)))), x.dtype);
  if (w) y = mx.multiply(y, w);
  return y;
}

/**
 * (x - mean) / sqrt(var + eps) over the last axis in float32, cast to x's dtype, then
 * times w and plus b.
 * @example
 * layerNormComposite(mx.arange(4).reshape(1, 4), null, null, 1e-5)
 */
export function layerNormComposite(x: MxArray, w: MxArray | null, b: MxArray | null, eps: number): MxArray {
  const xf = mx.astype(x, mx.float32);
  const xc = mx.subtract(xf, mx.mean(xf, -1, true));
  const v = mx.mean(mx.square(xc), -1, true);
  let y = mx.astype(mx.multiply(xc, mx.rsqrt(mx.add(v, mx.array(eps, mx.float32)))), x.dtype);
  if (w) y = mx.multiply(y, w);
  if (b) y = mx.add(y, b);
  return y;
}

/** Attributes of a rope call (offset and freqs come as arrays or are absent). */
export interface RopeAttrs {
  dims: number;
  traditional: boolean;
  base: number;
  scale: number;
  /** A constant offset; an offset array is an input instead. */
  offset: number;
  /** false: the inverse rotation (the vjp). */
  forward: boolean;
}

/**
 * Rotary embedding of x [B, ..., T, D] with positions (offset + t) * scale and inverse
 * frequencies base^(-j / (dims/2)) (or 1 / freqs), as MLX's rope fallback.
 * @example
 * ropeComposite(x, { dims: 8, traditional: false, base: 10000, scale: 1, offset: 0, forward: true }, null, null)
 */
export function ropeComposite(x: MxArray, a: RopeAttrs, offset: MxArray | null, freqs: MxArray | null): MxArray {
  const shape = [...x.shape];
  const T = shape[shape.length - 2], D = shape[shape.length - 1];
  const B = shape[0];
  const x4 = mx.reshape(x, [B, -1, T, D]);
  const half = a.dims / 2;
  let pos = mx.arange(0, T, 1, mx.float32);
  if (offset) {
    const off = mx.astype(offset, mx.float32);
    pos = offset.size > 1 ? mx.add(pos, mx.reshape(off, [B, 1, 1])) : mx.add(pos, mx.reshape(off, []));
  } else pos = mx.add(pos, a.offset);
  pos = mx.multiply(pos, mx.array(a.scale, mx.float32));
  const inv = freqs
    ? mx.reciprocal(mx.astype(freqs, mx.float32))
    : mx.exp(mx.multiply(mx.arange(0, -half, -1, mx.float32), mx.array(Math.log(a.base) / half, mx.float32)));
  const theta = mx.multiply(mx.expandDims(pos, -1), inv);
  const cos = mx.astype(mx.cos(theta), x.dtype), sin = mx.astype(mx.sin(theta), x.dtype);
  const rot = (x1: MxArray, x2: MxArray): MxArray[] =>
    a.forward
      ? [mx.subtract(mx.multiply(x1, cos), mx.multiply(x2, sin)), mx.add(mx.multiply(x1, sin), mx.multiply(x2, cos))]
      : [mx.add(mx.multiply(x2, sin), mx.multiply(x1, cos)), mx.subtract(mx.multiply(x2, cos), mx.multiply(x1, sin))];
  const rest = a.dims < D ? [mx.sliceAxes(x4, [-1], [a.dims], [null])] : [];
  let out: MxArray;
  if (a.traditional) {
    const [r1, r2] = rot(mx.sliceAxes(x4, [-1], [0], [a.dims], [2]), mx.sliceAxes(x4, [-1], [1], [a.dims], [2]));
    const rx = mx.reshape(mx.stack([r1, r2], -1), [...x4.shape.slice(0, 3), a.dims]);
    out = rest.length ? mx.concatenate([rx, ...rest], -1) : rx;
  } else {
    const [r1, r2] = rot(mx.sliceAxes(x4, [-1], [0], [half]), mx.sliceAxes(x4, [-1], [half], [a.dims]));
    out = mx.concatenate([r1, r2, ...rest], -1);
  }
  return mx.reshape(out, shape);
}

/**
 * softmax(scale q k^T + mask) v with grouped heads, an optional causal mask aligned to the
 * last keys, an additive or boolean mask (broadcast to [B, Hq, Lq, Lk]) and per-head sink
 * logits that take part in the softmax only.
 * @example
 * sdpaComposite(q, k, v, 0.125, 'causal', null)
 */
export function sdpaComposite(q: MxArray, k: MxArray, v: MxArray, scale: number, mask: MxArray | 'causal' | null, sinks: MxArray | null): MxArray {
  const [B, Hq, Lq] = q.shape;
  const Hk = k.shape[1], Lk = k.shape[2];
  const rep = Hq / Hk;
  let qs = mx.multiply(q, mx.array(scale, q.dtype));
  let kk = k, vv = v;
  if (rep > 1) {
    qs = mx.reshape(qs, [B, Hk, rep, Lq, q.shape[3]]);
    kk = mx.expandDims(k, 2);
    vv = mx.expandDims(v, 2);
  }
  let s = mx.matmul(qs, mx.swapaxes(kk, -1, -2));
  if (mask) {
    let m: MxArray;
    if (mask === 'causal') {
      m = mx.greaterEqual(mx.reshape(mx.arange(Lk - Lq, Lk), [Lq, 1]), mx.reshape(mx.arange(0, Lk), [1, Lk]));
    } else m = mx.broadcastTo(mask, [B, Hq, Lq, Lk]);
    if (rep > 1 && m.ndim === 4) m = mx.reshape(m, [B, Hk, rep, Lq, Lk]);
    s = m.dtype === mx.bool ? mx.where(m, s, mx.array(mx.finfo(s.dtype).min, s.dtype)) : mx.add(s, mx.astype(m, s.dtype));
  }
  if (sinks) {
    let sk = mx.reshape(mx.astype(sinks, s.dtype), rep > 1 ? [1, Hk, rep, 1, 1] : [1, Hq, 1, 1]);
    sk = mx.broadcastTo(sk, [...s.shape.slice(0, -1), 1]);
    s = mx.concatenate([sk, s], -1);
  }
  let p = mx.softmax(s, -1, true);
  if (sinks) p = mx.sliceAxes(p, [-1], [1], [null]);
  let o = mx.matmul(p, vv);
  if (rep > 1) o = mx.reshape(o, [B, Hq, Lq, v.shape[3]]);
  return o;
}
