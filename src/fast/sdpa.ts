// mx.fast.scaledDotProductAttention: one extern op with a float64 CPU reference and two
// WebGPU kernels (flash-style tiles for prefill, split keys + combine for decode); keys and
// values are read through their kv head, never repeated. Derivatives come from the
// composite; head sizes above 256 use the composite on the GPU.
import type { MxArray } from '../core/array.ts';
import { bool, isFloating, promoteTypes, type Dtype } from '../core/dtype.ts';
import { resolveDevice, type StreamOpt } from '../core/device.ts';
import { roundTo } from '../core/numeric.ts';
import type { ExternOp, HostArray, Spec } from '../ir/extern.ts';
import { callExtern } from '../ops/extern.ts';
import { astype, broadcastTo } from '../ops/elementwise.ts';
import { broadcastShapes } from '../core/shape.ts';
import { PREFILL_MIN_ROWS, PREFILL_WORKGROUP_BYTES, sdpaGpu } from './sdpa_gpu.ts';
import { currentContext } from '../backend/webgpu/context.ts';
import { sdpaComposite } from './composite.ts';
import { compositeRules, fmt } from './util.ts';

/** Attributes of one attention call (mask and sinks are inputs 3 and 3/4 when present). */
export interface SdpaAttrs {
  scale: number;
  causal: boolean;
  mask: 'none' | 'bool' | 'add';
  sinks: boolean;
}

/** The scores' floor: masked keys get the float32 minimum, as MLX's boolean masks do. */
export const NEG = -3.4028234663852886e38;

function cpuSdpa(ins: HostArray[], a: SdpaAttrs, outs: Spec[]): Float64Array[] {
  const [q, k, v] = ins;
  const [B, Hq, Lq, D] = q.shape;
  const [, Hk, Lk] = k.shape;
  const Dv = v.shape[3];
  const rep = Hq / Hk;
  const dt = q.dtype.name;
  const mask = a.mask !== 'none' ? ins[3].data : null;
  const sinks = a.sinks ? ins[ins.length - 1].data : null;
  // MLX's fallback scales q in its dtype and uses the dtype's minimum for boolean masks
  const low = dt === 'float16' || dt === 'bfloat16';
  const floor = a.mask === 'bool' || a.causal ? (dt === 'float16' ? -65504 : NEG) : NEG;
  const out = new Float64Array(B * Hq * Lq * Dv);
  const s = new Float64Array(Lk);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kh = Math.floor(h / rep);
      const kb = (b * Hk + kh) * Lk;
      for (let i = 0; i < Lq; i++) {
        const r = (b * Hq + h) * Lq + i;
        let m = sinks ? sinks[h] : -Infinity;
        for (let j = 0; j < Lk; j++) {
          let acc = 0;
          for (let d = 0; d < D; d++) acc += roundTo(dt, q.data[r * D + d] * a.scale) * k.data[(kb + j) * D + d];
          if (low) acc = roundTo(dt, acc);
          if (a.causal && j > i + Lk - Lq) acc = floor;
          if (mask) acc = a.mask === 'bool' ? (mask[r * Lk + j] ? acc : floor) : acc + mask[r * Lk + j];
          s[j] = acc;
          m = Math.max(m, acc);
        }
        let l = sinks ? Math.exp(sinks[h] - m) : 0;
        for (let j = 0; j < Lk; j++) l += (s[j] = Math.exp(s[j] - m));
        for (let d = 0; d < Dv; d++) {
          let o = 0;
          for (let j = 0; j < Lk; j++) o += s[j] * v.data[(kb + j) * Dv + d];
          out[r * Dv + d] = o / l;
        }
      }
    }
  }
  return [out];
}

const composite = (ins: MxArray[], a: SdpaAttrs): MxArray =>
  sdpaComposite(ins[0], ins[1], ins[2], a.scale, a.causal ? 'causal' : a.mask !== 'none' ? ins[3] : null, a.sinks ? ins[ins.length - 1] : null);

const SDPA: ExternOp<SdpaAttrs> = {
  name: 'fast.scaledDotProductAttention',
  outputs: (ins) => [{ shape: [ins[0].shape[0], ins[0].shape[1], ins[0].shape[2], ins[2].shape[3]], dtype: ins[0].dtype }],
  cpu: cpuSdpa,
  gpu: sdpaGpu,
  ...compositeRules<SdpaAttrs>(composite, (ins) => ins.map((x, i) => (x.dtype === bool ? -1 : i)).filter((i) => i >= 0)),
};

/** Options of scaledDotProductAttention (MLX's keyword arguments). */
export interface SdpaOptions extends StreamOpt {
  /** Multiplies q k^T (default 1 / sqrt(D)). */
  scale?: number;
  /** 'causal' (aligned to the last keys), an additive float mask or a boolean mask (true = attend), broadcastable to [B, Hq, Lq, Lk]. */
  mask?: MxArray | 'causal' | null;
  /** Per-head attention-sink logits [Hq]: they join the softmax and take no value. */
  sinks?: MxArray | null;
}

/**
 * softmax(scale q k^T + mask) v for q [B, Hq, Lq, D] and k, v [B, Hkv, Lk, D | Dv] with Hq a
 * multiple of Hkv (grouped/multi-query attention), softmax in float32.
 * @example
 * const o = mx.fast.scaledDotProductAttention(q, k, v, { scale: 0.125, mask: 'causal' });
 */
export function scaledDotProductAttention(q: MxArray, k: MxArray, v: MxArray, options: SdpaOptions = {}): MxArray {
  const op = 'scaledDotProductAttention';
  const all = `q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`;
  for (const t of [q, k, v]) if (t.ndim !== 4) throw new Error(`[${op}] Inputs must have rank 4 ([B, heads, L, D]) but got ${all}.`);
  if (k.shape[0] !== q.shape[0] || v.shape[0] !== q.shape[0]) throw new Error(`[${op}] Mismatching batch dimensions: ${all}.`);
  if (q.shape[3] !== k.shape[3]) throw new Error(`[${op}] q and k must have the same last dimension: ${all}.`);
  if (k.shape[1] !== v.shape[1] || k.shape[2] !== v.shape[2]) throw new Error(`[${op}] k and v must have the same heads and length: ${all}.`);
  if (q.shape[1] % k.shape[1] !== 0) throw new Error(`[${op}] The ${q.shape[1]} query heads must be a multiple of the ${k.shape[1]} key/value heads: ${all}.`);
  const dt: Dtype = promoteTypes(promoteTypes(q.dtype, k.dtype), v.dtype);
  if (!isFloating(dt)) throw new TypeError(`[${op}] Received unsupported type ${dt.name} (${all}; ${q.dtype.name}, ${k.dtype.name}, ${v.dtype.name}).`);
  const dev = resolveDevice(options);
  const cast = (x: MxArray, d: Dtype) => (x.dtype === d ? x : astype(x, d, { stream: dev }));
  const scale = options.scale ?? 1 / Math.sqrt(q.shape[3]);
  const { mask = null, sinks = null } = options;
  const ins = [cast(q, dt), cast(k, dt), cast(v, dt)];
  const attrs: SdpaAttrs = { scale, causal: mask === 'causal', mask: 'none', sinks: !!sinks };
  const full = [q.shape[0], q.shape[1], q.shape[2], k.shape[2]];
  if (mask && mask !== 'causal') {
    if (typeof mask === 'string') throw new Error(`[${op}] mask must be 'causal' or an array but got '${mask}'.`);
    if (mask.ndim > 4) throw new Error(`[${op}] The mask with shape ${fmt(mask.shape)} must have at most rank 4.`);
    let b: number[] = [];
    try {
      b = broadcastShapes(op, mask.shape, full);
    } catch {
      // reported below with the inputs' shapes
    }
    if (b.join() !== full.join()) throw new Error(`[${op}] The mask with shape ${fmt(mask.shape)} does not broadcast to ${fmt(full)} (${all}).`);
    if (mask.dtype !== bool && promoteTypes(mask.dtype, dt) !== dt) throw new TypeError(`[${op}] Mask type ${mask.dtype.name} must promote to the output type ${dt.name}.`);
    attrs.mask = mask.dtype === bool ? 'bool' : 'add';
    ins.push(broadcastTo(mask.dtype === bool ? mask : cast(mask, dt), full, { stream: dev }));
  }
  if (sinks) {
    if (sinks.ndim !== 1 || sinks.shape[0] !== q.shape[1]) throw new Error(`[${op}] sinks must have shape (${q.shape[1]}) but got ${fmt(sinks.shape)}.`);
    if (promoteTypes(sinks.dtype, dt) !== dt) throw new TypeError(`[${op}] Type of sinks ${sinks.dtype.name} must promote to the output type ${dt.name}.`);
    ins.push(cast(sinks, dt));
  }
  // the GPU kernels take head sizes up to 256; the prefill kernel needs 24 KB of workgroup
  // memory (every desktop adapter has 32 KB; the WebGPU minimum is 16 KB)
  const gpuTooWide = Math.max(q.shape[3], v.shape[3]) > 256;
  const smallWorkgroups = q.shape[2] >= PREFILL_MIN_ROWS && (currentContext()?.limits.maxComputeWorkgroupStorageSize ?? 0) < PREFILL_WORKGROUP_BYTES;
  if (dev.type === 'gpu' && (gpuTooWide || smallWorkgroups)) return composite(ins, attrs);
  return callExtern(SDPA, ins, attrs, dev)[0];
}

