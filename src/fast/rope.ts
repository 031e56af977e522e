// mx.fast.rope: rotary position embedding as one extern op (an elementwise WebGPU kernel
// that reads each element's rotation partner); its vjp is the inverse rotation.
import type { MxArray } from '../core/array.ts';
import { float32, int32, isFloating, isInteger } from '../core/dtype.ts';
import { resolveDevice, type StreamOpt } from '../core/device.ts';
import { roundTo } from '../core/numeric.ts';
import { contiguousStrides } from '../core/shape.ts';
import type { ExternOp, HostArray, Spec } from '../ir/extern.ts';
import { callExtern } from '../ops/extern.ts';
import { astype } from '../ops/elementwise.ts';
import { mapKernel } from '../backend/webgpu/kernels/map.ts';
import { narrow } from '../backend/webgpu/layout.ts';
import type { RopeAttrs } from './composite.ts';
import { fmt } from './util.ts';

interface Attrs extends RopeAttrs {
  hasOffset: boolean;
  hasFreqs: boolean;
}

const f32 = Math.fround;

function cpuRope(ins: HostArray[], a: Attrs, outs: Spec[]): Float64Array[] {
  const x = ins[0];
  const dt = outs[0].dtype.name;
  const r = (v: number) => roundTo(dt, v);
  const nd = x.shape.length;
  const T = x.shape[nd - 2], D = x.shape[nd - 1];
  const size = x.data.length;
  const perB = size / x.shape[0];
  const off = a.hasOffset ? ins[1].data : null;
  const freqs = a.hasFreqs ? ins[a.hasOffset ? 2 : 1].data : null;
  const half = a.dims / 2;
  const inv = Array.from({ length: half }, (_, j) => (freqs ? f32(1 / freqs[j]) : f32(Math.exp(f32(-j * f32(Math.log(a.base) / half))))));
  const y = new Float64Array(x.data);
  for (let i0 = 0; i0 < size; i0 += D) {
    const t = (i0 / D) % T;
    const o = off ? off[off.length > 1 ? Math.floor(i0 / perB) : 0] : a.offset;
    const pos = f32(f32(t + o) * f32(a.scale));
    for (let j = 0; j < half; j++) {
      const th = f32(pos * inv[j]);
      const c = r(f32(Math.cos(th))), s = r(f32(Math.sin(th)));
      const [p, q] = a.traditional ? [i0 + 2 * j, i0 + 2 * j + 1] : [i0 + j, i0 + half + j];
      const x1 = x.data[p], x2 = x.data[q];
      if (a.forward) {
        y[p] = r(r(x1 * c) - r(x2 * s));
        y[q] = r(r(x1 * s) + r(x2 * c));
      } else {
        y[p] = r(r(x2 * s) + r(x1 * c));
        y[q] = r(r(x2 * c) - r(x1 * s));
      }
    }
  }
  return [y];
}

const ROPE: ExternOp<Attrs> = {
  name: 'fast.rope',
  outputs: (ins) => [{ shape: ins[0].shape, dtype: ins[0].dtype }],
  cpu: cpuRope,
  gpu(cx, ins, outs, a) {
    const x = ins[0];
    const dt = outs[0].dtype;
    const { k, g } = cx.kernel('fast.rope');
    const p = k.p;
    const nd = x.ndim;
    const T = x.shape[nd - 2], D = x.shape[nd - 1];
    const half = a.dims / 2;
    const ld = g.fnOf(x);
    const U = (v: number) => p.u32(v);
    let off = p.f32(a.offset);
    if (a.hasOffset) off = `f32(${g.fnOf(ins[1])}(${ins[1].size > 1 ? `i / ${U(x.size / x.shape[0])}` : '0u'}))`;
    const inv = a.hasFreqs ? `(1.0 / ${g.fnOf(ins[a.hasOffset ? 2 : 1])}(j))` : `mx_exp(-f32(j) * ${p.f32(Math.log(a.base) / half)})`;
    const pair = a.traditional
      ? `  let j = d / 2u;\n  let first = (d & 1u) == 0u;\n  let q = select(i - 1u, i + 1u, first);`
      : `  let j = d % ${U(half)};\n  let first = d < ${U(half)};\n  let q = select(i - ${U(half)}, i + ${U(half)}, first);`;
    // forward rotation: first of a pair x c - y s, second x c + y s; the inverse swaps them
    const minus = a.forward ? 'first' : '!first';
    k.emit(`fn rp_at(i: u32) -> f32 {
  let x = ${ld}(i);
  let d = i % ${U(D)};
  if (d >= ${U(a.dims)}) {
    return x;
  }
  let t = (i / ${U(D)}) % ${U(T)};
${pair}
  let pos = (f32(t) + ${off}) * ${p.f32(a.scale)};
  let th = pos * ${inv};
  let c = ${narrow(dt, 'mx_cos(th)')};
  let s = ${narrow(dt, 'mx_sin(th)')};
  let xc = ${narrow(dt, 'x * c')};
  let ys = ${narrow(dt, `${ld}(q) * s`)};
  return ${narrow(dt, `select(xc + ys, xc - ys, ${minus})`)};
}`);
    return [{ storage: mapKernel(cx, k, 'rp_at', dt, x.size), strides: contiguousStrides(x.shape), offset: 0 }];
  },
  vjp(ins, _outs, g, _index, a) {
    return [callExtern(ROPE, [g, ...ins.slice(1)], { ...a, forward: !a.forward }, g.device)[0], ...ins.slice(1).map(() => null)];
  },
  jvp(ins, _outs, ts, _index, a) {
    return ts[0] ? callExtern(ROPE, [ts[0], ...ins.slice(1)], a, ts[0].device)[0] : null;
  },
};

/** Options of rope (MLX's keyword arguments). */
export interface RopeOptions extends StreamOpt {
  /** Rotate consecutive pairs (true) or the two halves of the first `dims` features (default false). */
  traditional?: boolean;
  /** Frequency base (default 10000 unless `freqs` is given; not both). */
  base?: number | null;
  /** Scale of the positions (default 1). */
  scale?: number;
  /** Position of the first of the T rows: a number or an integer array of size 1 or B. */
  offset?: number | MxArray;
  /** Frequencies [dims / 2] used instead of base^(-2i/dims) (as 1/freqs). */
  freqs?: MxArray | null;
}

/**
 * Rotary position embedding of x [B, ..., T, D] (at least 3 dimensions): the first `dims`
 * features of row t are rotated by angles (offset + t) * scale * base^(-2i/dims).
 * @example
 * const q = mx.fast.rope(mx.random.normal([1, 8, 16, 64]), 64, { offset: 5 });
 */
export function rope(x: MxArray, dims: number, options: RopeOptions = {}): MxArray {
  const { traditional = false, scale = 1, offset = 0, freqs = null } = options;
  const shp = `x with shape ${fmt(x.shape)}`;
  if (x.ndim < 3) throw new Error(`[rope] Input must have at least 3 dimensions but got ${shp}.`);
  if (!isFloating(x.dtype)) throw new TypeError(`[rope] Input must be a floating type but got ${x.dtype.name} (${shp}).`);
  if (!Number.isInteger(dims) || dims <= 0 || dims % 2 !== 0) throw new Error(`[rope] dims must be positive and even but got ${dims} (${shp}).`);
  if (dims > x.shape[x.ndim - 1]) throw new Error(`[rope] dims (${dims}) must not exceed the last dimension of ${shp}.`);
  if (freqs && options.base != null) throw new Error('[rope] Only one of base or freqs can have a value.');
  const base = options.base ?? 10000;
  const dev = resolveDevice(options);
  const ins: MxArray[] = [x];
  let off = 0;
  if (typeof offset === 'number') {
    if (!Number.isInteger(offset)) throw new Error(`[rope] offset must be an integer but got ${offset}.`);
    off = offset;
  } else {
    if (offset.ndim > 1) throw new Error(`[rope] offset must have at most one dimension but has shape ${fmt(offset.shape)}.`);
    if (offset.size !== 1 && offset.size !== x.shape[0]) {
      throw new Error(`[rope] offset must be a scalar or vector with ${x.shape[0]} elements but has shape ${fmt(offset.shape)} (${shp}).`);
    }
    if (!isInteger(offset.dtype)) throw new TypeError(`[rope] offset must be an integer but got type ${offset.dtype.name}.`);
    ins.push(offset.dtype === int32 ? offset : astype(offset, int32, { stream: dev }));
  }
  if (freqs) {
    if (freqs.ndim !== 1 || freqs.shape[0] !== dims / 2) {
      throw new Error(`[rope] freqs must be one dimensional with size ${dims / 2} but got shape ${fmt(freqs.shape)}.`);
    }
    ins.push(freqs.dtype === float32 ? freqs : astype(freqs, float32, { stream: dev }));
  }
  const attrs: Attrs = { dims, traditional, base, scale, offset: off, forward: true, hasOffset: typeof offset !== 'number', hasFreqs: !!freqs };
  return callExtern(ROPE, ins, attrs, dev)[0];
}
