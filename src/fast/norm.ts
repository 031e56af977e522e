// mx.fast.rmsNorm and mx.fast.layerNorm: one extern op each, a float64 CPU reference,
// one WebGPU kernel (shaders/fast_norm.wgsl), derivatives from the composite definition.
import type { MxArray } from '../core/array.ts';
import { isFloating, promoteTypes, type Dtype } from '../core/dtype.ts';
import { resolveDevice, type StreamOpt } from '../core/device.ts';
import { roundTo } from '../core/numeric.ts';
import type { ExternOp, HostArray, Spec } from '../ir/extern.ts';
import { callExtern } from '../ops/extern.ts';
import { astype } from '../ops/elementwise.ts';
import { grid } from '../backend/webgpu/kernel.ts';
import { narrow } from '../backend/webgpu/layout.ts';
import { layerNormComposite, rmsNormComposite } from './composite.ts';
import { compositeRules, fmt, nextPow2, wideResult } from './util.ts';

interface NormAttrs {
  layer: boolean;
  eps: number;
  hasW: boolean;
  hasB: boolean;
}

const NWG = 256;

function cpuNorm(ins: HostArray[], a: NormAttrs, outs: Spec[]): Float64Array[] {
  const x = ins[0];
  const n = x.shape[x.shape.length - 1];
  const rows = n ? x.data.length / n : 0;
  const w = a.hasW ? ins[1].data : null;
  const b = a.hasB ? ins[a.hasW ? 2 : 1].data : null;
  const dt = outs[0].dtype.name;
  const y = new Float64Array(x.data.length);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let mu = 0;
    if (a.layer) {
      for (let j = 0; j < n; j++) mu += x.data[o + j];
      mu /= n;
    }
    let q = 0;
    for (let j = 0; j < n; j++) q += (x.data[o + j] - mu) ** 2;
    const inv = 1 / Math.sqrt(q / n + a.eps);
    for (let j = 0; j < n; j++) {
      let v = roundTo(dt, (x.data[o + j] - mu) * inv);
      if (w) v = roundTo(dt, v * w[j]);
      if (b) v = roundTo(dt, v + b[j]);
      y[o + j] = v;
    }
  }
  return [y];
}

const composite = (ins: MxArray[], a: NormAttrs): MxArray => {
  const w = a.hasW ? ins[1] : null;
  const b = a.hasB ? ins[a.hasW ? 2 : 1] : null;
  return a.layer ? layerNormComposite(ins[0], w, b, a.eps) : rmsNormComposite(ins[0], w, a.eps);
};

const NORM: ExternOp<NormAttrs> = {
  name: 'fast.norm',
  outputs: (ins) => [{ shape: ins[0].shape, dtype: ins[0].dtype }],
  cpu: cpuNorm,
  gpu(cx, ins, outs, a) {
    const x = ins[0];
    const n = x.shape[x.ndim - 1];
    const rows = n ? x.size / n : 0;
    const tpr = Math.min(NWG, nextPow2(Math.ceil(n / 4)));
    const out = wideResult(cx, outs[0].dtype, outs[0].shape, a.layer ? 'layerNorm' : 'rmsNorm');
    const { k, g } = cx.kernel(a.layer ? 'fast.layerNorm' : 'fast.rmsNorm');
    const p = k.p;
    const ld = g.fnOf(x);
    const N = p.u32(n);
    const d = outs[0].dtype;
    let y = narrow(d, 'y');
    if (a.hasW) y = narrow(d, `${y} * ${g.fnOf(ins[1])}(j)`);
    if (a.hasB) y = narrow(d, `${y} + ${g.fnOf(ins[a.hasW ? 2 : 1])}(j)`);
    k.emit(`const NWG: u32 = ${NWG}u;\nconst NM_LAYER: bool = ${a.layer};`);
    // the row length and threads per row are literals, so the strided loops unroll and their
    // loads overlap (the row length is a model constant: no extra pipelines)
    k.emit(`fn nm_rows() -> u32 {\n  return ${p.u32(rows)};\n}\nfn nm_len() -> u32 {\n  return ${n}u;\n}\nfn nm_tpr() -> u32 {\n  return ${tpr}u;\n}\nfn nm_eps() -> f32 {\n  return ${p.f32(a.eps)};\n}`);
    k.emit(`fn nm_load(row: u32, j: u32) -> f32 {\n  return ${ld}(row * ${N} + j);\n}`);
    k.emit(`fn nm_store(row: u32, j: u32, y: f32) {\n  out[row * ${N} + j] = bitcast<u32>(${y});\n}`);
    const groups = grid(Math.ceil(rows / (NWG / tpr)), cx.ctx.limits.maxComputeWorkgroupsPerDimension);
    cx.push(k.build('fast_norm', 'norm_main', out.storage.gpu!.buffer, groups));
    return [out];
  },
  ...compositeRules<NormAttrs>(composite, (ins) => ins.map((_, i) => i)),
};

function checkParam(op: string, what: string, p: MxArray, x: MxArray): void {
  if (p.ndim !== 1) throw new Error(`[${op}] ${what} must have 1 dimension but has shape ${fmt(p.shape)}.`);
  if (p.shape[0] !== x.shape[x.ndim - 1]) {
    throw new Error(`[${op}] ${what} with shape ${fmt(p.shape)} must have the size of the last dimension of x with shape ${fmt(x.shape)}.`);
  }
}

function normCall(op: string, x: MxArray, params: [string, MxArray | null][], attrs: Omit<NormAttrs, 'hasW' | 'hasB'>, opts?: StreamOpt): MxArray {
  if (x.ndim === 0) throw new Error(`[${op}] Input must have at least 1 dimension but got a scalar.`);
  if (!(attrs.eps >= 0)) throw new Error(`[${op}] eps must be non-negative but got ${attrs.eps}.`);
  const given = params.filter((p): p is [string, MxArray] => !!p[1]);
  given.forEach(([what, p]) => checkParam(op, what, p, x));
  let dt: Dtype = x.dtype;
  if (params[0][1]) for (const [, p] of given) dt = promoteTypes(dt, p.dtype);
  if (!isFloating(dt)) {
    throw new TypeError(`[${op}] Received unsupported type ${dt.name} (inputs ${[x, ...given.map((g) => g[1])].map((a) => `${a.dtype.name} ${fmt(a.shape)}`).join(', ')}).`);
  }
  const dev = resolveDevice(opts);
  const ins = [x, ...given.map((g) => g[1])].map((a) => (a.dtype === dt ? a : astype(a, dt, { stream: dev })));
  const full = { ...attrs, hasW: !!params[0][1], hasB: !!params[1]?.[1] };
  return callExtern(NORM, ins, full, dev)[0];
}

/**
 * Root-mean-square normalization over the last axis: x / sqrt(mean(x^2) + eps) computed
 * in float32, cast to the output dtype, times `weight` (shape [D]) when given.
 * @example
 * const y = mx.fast.rmsNorm(mx.random.normal([2, 16]), mx.ones([16]), 1e-5);
 */
export function rmsNorm(x: MxArray, weight: MxArray | null, eps: number, opts?: StreamOpt): MxArray {
  return normCall('rmsNorm', x, [['weight', weight ?? null]], { layer: false, eps }, opts);
}

/**
 * Layer normalization over the last axis: (x - mean) / sqrt(var + eps) computed in
 * float32, cast to the output dtype, times `weight` and plus `bias` (each [D] or null).
 * @example
 * const y = mx.fast.layerNorm(mx.random.normal([2, 16]), null, null, 1e-5);
 */
export function layerNorm(x: MxArray, weight: MxArray | null, bias: MxArray | null, eps: number, opts?: StreamOpt): MxArray {
  return normCall('layerNorm', x, [['weight', weight ?? null], ['bias', bias ?? null]], { layer: true, eps }, opts);
}
