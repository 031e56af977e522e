// The WebGPU kernels of mx.fast.scaledDotProductAttention: the hooks shared by the flash
// (shaders/fast_sdpa.wgsl) and split-key (shaders/fast_sdpa_split.wgsl) templates, and the
// pass that combines split partials. All math in f32; results land in a 32-bit buffer.
import type { MxArray, Realized } from '../core/array.ts';
import { float32 } from '../core/dtype.ts';
import type { Spec } from '../ir/extern.ts';
import type { BuildCtx } from '../backend/webgpu/segment.ts';
import { grid, type KernelBuilder } from '../backend/webgpu/kernel.ts';
import { shader } from '../backend/webgpu/wgsl.ts';
import { cast } from '../backend/webgpu/layout.ts';
import { halves, storedFloat } from '../backend/webgpu/kernels/matmul.ts';
import type { SdpaAttrs } from './sdpa.ts';
import { sdpaSmHooks, sdpaSmSubgroups } from './sdpa_sm.ts';
import { wideResult } from './util.ts';

const NEG = '-3.4028234e38';
const BQ = 64;
/** Query rows from which the flash kernel runs, and the workgroup memory it needs. */
export const PREFILL_MIN_ROWS = 8;
export const PREFILL_WORKGROUP_BYTES = 24576;
const SPLIT_WG = 64;
// keys per split workgroup: small, so one decode row spreads over many workgroups
const CHUNK = 64;
// the vectorised decode kernel (shaders/fast_sdpa_vec.wgsl) and its keys per workgroup: 32 (at
// least one per slot of D / 8 threads); 64 took 9-13% longer on an H100
const VEC_WG = 128;
const vecChunk = (D: number) => Math.max(32, VEC_WG / (D / 8));
// the combine pass: workgroups of 16 chunk groups x 16 columns of one row, 16 chunks a round
// (on an H100, 8 x 32 and 8 chunks a round: 4096 keys 12 against 11 us alone, 16384: 24 against 13)
const COMBINE_GROUPS = 16;
const COMBINE_COLS = 16;

/** Workgroup bytes of fast_sdpa_vec.wgsl for head dim D and rep query heads per kv head. */
const vecBytes = (D: number, rep: number) => vecChunk(D) * (D / 8 + 1) * 16 + rep * D * 4 + rep * vecChunk(D) * 4 + VEC_WG * 64 + rep * 64 + rep * 8;

/**
 * 16-byte loads of row j of head bh (batch * heads + head) of x [B, H, L, D] (queries, or a
 * kv cache), when x is stored as such (float16/bfloat16: 8 values a load, or float32: 4) with
 * rows contiguous along D and every stride a multiple of that; else null. `at(bh, j, p)` is
 * load p of the row as a vec4<u32>, `dec` turns a word of two halves into a vec2<f32>.
 */
function rowsVec(k: KernelBuilder, g: G, x: MxArray): { at: (bh: string, j: string, p: string) => string; dec: (w: string) => string; dt: string; per: number } | null {
  const acc = g.accessOf(x);
  const st = acc.src.kind === 'buf' ? acc.src.storage : null;
  const dt = storedFloat(x, st);
  if (!st?.gpu || !dt) return null;
  const per = dt === 'float32' ? 4 : 8;
  const [sB, sH, sJ, sD] = acc.strides;
  if (sD !== 1 || [acc.offset, sB, sH, sJ].some((s) => s < 0 || s % per !== 0)) return null;
  const P = k.p, H = x.shape[1];
  return {
    at: (bh, j, p) => `${k.inputVec4(st)}[${P.u32(acc.offset / per)} + (${bh} / ${P.u32(H)}) * ${P.u32(sB / per)} + (${bh} % ${P.u32(H)}) * ${P.u32(sH / per)} + ${j} * ${P.u32(sJ / per)} + ${p}]`,
    dec: dt === 'float32' ? (w) => w : halves(dt), dt, per,
  };
}

type G = ReturnType<BuildCtx['kernel']>['g'];

/** Hooks reading q, k, v, the mask and sinks for row r = (b * Hq + h) * Lq + i. */
function hooks(k: KernelBuilder, g: G, ins: MxArray[], a: SdpaAttrs, DM: number): void {
  const [q, kk, v] = ins;
  const [, Hq, Lq, D] = q.shape;
  const [, Hk, Lk] = kk.shape;
  const Dv = v.shape[3];
  const p = k.p;
  const U = (x: number) => p.u32(x);
  k.emit(`const SD_DM: u32 = ${DM}u;`);
  // head dims are literals, so loops over them have constant bounds and unroll (a loop of
  // dependent-latency loads otherwise); lengths stay parameters (one pipeline as caches grow)
  for (const [n, val] of [['lq', U(Lq)], ['lk', U(Lk)], ['d', `${D}u`], ['dv', `${Dv}u`]] as const) k.emit(`fn sd_${n}() -> u32 {\n  return ${val};\n}`);
  // the kv head of query row r (batch b = r / (Hq Lq), head h = (r / Lq) % Hq, kv head
  // b Hk + h / rep) and its first kv row
  k.emit(`fn sd_kvh(r: u32) -> u32 {\n  let b = r / ${U(Hq * Lq)};\n  let h = (r / ${U(Lq)}) % ${U(Hq)};\n  return b * ${U(Hk)} + h / ${U(Hq / Hk)};\n}\nfn sd_kv(r: u32) -> u32 {\n  return sd_kvh(r) * ${U(Lk)};\n}`);
  const ld = (x: MxArray) => g.fnOf(x);
  k.emit(`fn sd_q(r: u32, d: u32) -> f32 {\n  return ${ld(q)}(r * ${U(D)} + d) * ${p.f32(a.scale)};\n}`);
  k.emit(`fn sd_k(r: u32, j: u32, d: u32) -> f32 {\n  return ${ld(kk)}((sd_kv(r) + j) * ${U(D)} + d);\n}`);
  k.emit(`fn sd_v(r: u32, j: u32, d: u32) -> f32 {\n  return ${ld(v)}((sd_kv(r) + j) * ${U(Dv)} + d);\n}`);
  const body: string[] = [];
  if (a.causal) body.push(`  if (j + ${U(Lq)} > (r % ${U(Lq)}) + ${U(Lk)}) {\n    return ${NEG};\n  }`);
  if (a.mask === 'bool') body.push(`  if (!${g.fnOf(ins[3])}(r * ${U(Lk)} + j)) {\n    return ${NEG};\n  }`);
  if (a.mask === 'add') body.push(`  return max(s + ${cast(`${g.fnOf(ins[3])}(r * ${U(Lk)} + j)`, ins[3].dtype, float32)}, ${NEG});`);
  else body.push('  return s;');
  k.emit(`fn sd_score(r: u32, j: u32, s: f32) -> f32 {\n${body.join('\n')}\n}`);
  // keys a boolean or causal mask removes: their scores need no dot product
  const dead = [a.causal ? `j + ${U(Lq)} > (r % ${U(Lq)}) + ${U(Lk)}` : '', a.mask === 'bool' ? `!${g.fnOf(ins[3])}(r * ${U(Lk)} + j)` : ''].filter(Boolean);
  k.emit(`fn sd_dead(r: u32, j: u32) -> bool {\n  return ${dead.length ? dead.join(' || ') : 'false'};\n}`);
  const sink = a.sinks ? `${g.fnOf(ins[ins.length - 1])}((r / ${U(Lq)}) % ${U(Hq)})` : NEG;
  k.emit(`fn sd_sink(r: u32) -> f32 {\n  return ${sink};\n}\nfn sd_l0() -> f32 {\n  return ${a.sinks ? '1.0' : '0.0'};\n}`);
  // causal rows need keys up to i + Lk - Lq only (all keys when some rows have none)
  const kend = a.causal && Lq <= Lk ? `min(${U(Lk)}, (r % ${U(Lq)}) + ${U(Lk - Lq + 1)})` : U(Lk);
  k.emit(`fn sd_kend(r: u32) -> u32 {\n  return ${kend};\n}`);
}

export function sdpaGpu(cx: BuildCtx, ins: MxArray[], outs: Spec[], a: SdpaAttrs): Realized[] {
  const [q, , v] = ins;
  const [B, Hq, Lq, D] = q.shape;
  const Lk = ins[1].shape[2];
  const Dv = v.shape[3];
  const DM = Math.max(D, Dv) <= 64 ? 64 : Math.max(D, Dv) <= 128 ? 128 : 256;
  const out = wideResult(cx, outs[0].dtype, outs[0].shape, 'sdpa');
  const rows = B * Hq * Lq;
  const maxDim = cx.ctx.limits.maxComputeWorkgroupsPerDimension;
  // query blocks per (batch, head), and the (batch, head) count
  const qblockHooks = (k: KernelBuilder, blocks: number) => k.emit(`fn sd_qblocks() -> u32 {\n  return ${k.p.u32(blocks)};\n}\nfn sd_bh() -> u32 {\n  return ${k.p.u32(B * Hq)};\n}`);
  const store = (k: KernelBuilder) => k.emit(`fn sd_store(r: u32, d: u32, o: f32) {\n  out[r * ${k.p.u32(Dv)} + d] = bitcast<u32>(o);\n}`);
  if (Lq >= PREFILL_MIN_ROWS) {
    const { k, g } = cx.kernel('fast.sdpa');
    hooks(k, g, ins, a, DM);
    const qblocks = Math.ceil(Lq / BQ);
    // rows stored contiguously: chunks staged with 16-byte loads (8 halves or 4 floats)
    const [qr, kr, vr] = D % 8 === 0 && Dv % 8 === 0 ? ins.slice(0, 3).map((x) => rowsVec(k, g, x)) : [null, null, null];
    if (qr && kr && vr && qr.dt === kr.dt && kr.dt === vr.dt) {
      const P = k.p, f32 = kr.per === 4;
      const ret = (e: string) => (f32 ? `bitcast<vec4<f32>>(${e})` : e);
      const ty = f32 ? 'vec4<f32>' : 'vec4<u32>';
      k.emit(`fn sd_q16(r: u32, p: u32) -> ${ty} {\n  return ${ret(qr.at(`(r / ${P.u32(Lq)})`, `(r % ${P.u32(Lq)})`, 'p'))};\n}`);
      k.emit(`fn sd_k16(r: u32, j: u32, p: u32) -> ${ty} {\n  return ${ret(kr.at('sd_kvh(r)', 'j', 'p'))};\n}\nfn sd_v16(r: u32, j: u32, p: u32) -> ${ty} {\n  return ${ret(vr.at('sd_kvh(r)', 'j', 'p'))};\n}`);
      if (!f32) k.emit(`fn sd_dec(w: u32) -> vec2<f32> {\n  return ${kr.dec('w')};\n}`);
      k.emit(`fn sd_scale() -> f32 {\n  return ${P.f32(a.scale)};\n}`);
      const nsg = qr.dt === 'float16' ? sdpaSmSubgroups(cx.ctx, D, Dv) : 0;
      if (nsg) {
        // float16 on tensor cores / simdgroup matrices (shaders/fast_sdpa_sm.wgsl)
        sdpaSmHooks(k, D, Dv, nsg, cx.ctx.subgroupMatrix!.templateMajor);
        const blocks = Math.ceil(Lq / (16 * nsg));
        qblockHooks(k, blocks);
        store(k);
        k.label = k.label.replace('fast.sdpa', 'fast.sdpa.sm');
        cx.push(k.build('fast_sdpa_sm', 'sdpa_sm', out.storage.gpu!.buffer, grid(B * Hq * blocks, maxDim)));
        return [out];
      }
      k.emit(shader(f32 ? 'fast_sdpa_stage32' : 'fast_sdpa_stage16'));
      k.label = k.label.replace('fast.sdpa', f32 ? 'fast.sdpa.flash32' : 'fast.sdpa.flash16');
    } else k.emit(shader('fast_sdpa_stage'));
    k.emit(`const SD_NC: u32 = ${Math.ceil(D / 32)}u;\nconst SD_NCV: u32 = ${Math.ceil(Dv / 32)}u;`);
    qblockHooks(k, qblocks);
    store(k);
    cx.push(k.build('fast_sdpa', 'sdpa_flash', out.storage.gpu!.buffer, grid(B * Hq * qblocks, maxDim)));
    return [out];
  }
  // decode: partials over key chunks, then a pass that combines them
  const Hk = ins[1].shape[1], rep = Hq / Hk;
  const groups = B * Hk;
  const { k, g } = cx.kernel('fast.sdpa.split');
  hooks(k, g, ins, a, DM);
  // float16/bfloat16 caches with contiguous rows: 16-byte loads (shaders/fast_sdpa_vec.wgsl)
  const vecShape = Lq === 1 && rep <= 8 && D === Dv && [16, 32, 64, 128].includes(D) && vecBytes(D, rep) <= cx.ctx.limits.maxComputeWorkgroupStorageSize;
  const kr = vecShape ? rowsVec(k, g, ins[1]) : null;
  const vr = kr?.per === 8 ? rowsVec(k, g, v) : null;
  const chunk = kr && vr && kr.dt === vr.dt ? vecChunk(D) : CHUNK;
  const chunks = Math.ceil(Lk / chunk);
  const part = cx.temp(float32, rows * chunks * (Dv + 2), 'sdpa partials');
  {
    const P = k.p;
    k.emit(`const SD_WG: u32 = ${SPLIT_WG}u;\nconst SD_CMAX: u32 = ${CHUNK}u;\nconst SD_VU: u32 = 8u;`);
    k.emit(`fn sd_rows() -> u32 {\n  return ${P.u32(rows)};\n}\nfn sd_chunks() -> u32 {\n  return ${P.u32(chunks)};\n}\nfn sd_chunk() -> u32 {\n  return ${P.u32(chunk)};\n}`);
    k.emit('fn sd_part(at: u32, v: f32) {\n  out[at] = bitcast<u32>(v);\n}');
    // one token with grouped heads: the query heads of a kv head share one pass over its keys
    // (when that still leaves enough workgroups: short caches keep one per query head)
    const group = (k: KernelBuilder) => k.emit(`const SD_REP: u32 = ${rep}u;\nfn sd_groups() -> u32 {\n  return ${P.u32(groups)};\n}\nfn sd_group_rows(g: u32) -> u32 {\n  return g * SD_REP;\n}`);
    if (kr && vr && kr.dt === vr.dt) {
      k.label = k.label.replace('fast.sdpa.split', 'fast.sdpa.vec');
      group(k);
      k.emit(`const SV_WG: u32 = ${VEC_WG}u;\nconst SV_CH: u32 = ${chunk}u;\nconst SV_L: u32 = ${D / 8}u;`);
      k.emit(`fn sv_k16(bh: u32, j: u32, p: u32) -> vec4<u32> {\n  return ${kr.at('bh', 'j', 'p')};\n}\nfn sv_v16(bh: u32, j: u32, p: u32) -> vec4<u32> {\n  return ${vr.at('bh', 'j', 'p')};\n}`);
      k.emit(`fn sv_dec(w: u32) -> vec2<f32> {\n  return ${kr.dec('w')};\n}`);
      cx.push(k.build('fast_sdpa_vec', 'sdpa_vec', part.gpu!.buffer, grid(groups * chunks, maxDim)));
    } else if (Lq === 1 && rep >= 2 && rep <= 8 && groups * chunks >= 256) {
      group(k);
      cx.push(k.build('fast_sdpa_group', 'sdpa_group', part.gpu!.buffer, grid(groups * chunks, maxDim)));
    } else cx.push(k.build('fast_sdpa_split', 'sdpa_split', part.gpu!.buffer, grid(rows * chunks, maxDim)));
  }
  {
    // workgroups of 16 columns of a row merge its chunks (shaders/fast_sdpa_combine.wgsl)
    const { k, g } = cx.kernel('fast.sdpa.combine');
    const P = k.p;
    const pl = k.input(part);
    const sink = a.sinks ? `${g.fnOf(ins[ins.length - 1])}((r / ${P.u32(Lq)}) % ${P.u32(Hq)})` : NEG;
    k.emit(`const CB_G: u32 = ${COMBINE_GROUPS}u;\nconst CB_COLS: u32 = ${COMBINE_COLS}u;\nconst CB_U: u32 = 16u;`);
    k.emit(`fn cb_rows() -> u32 {\n  return ${P.u32(rows)};\n}\nfn cb_chunks() -> u32 {\n  return ${P.u32(chunks)};\n}\nfn cb_dv() -> u32 {\n  return ${Dv}u;\n}`);
    k.emit(`fn cb_part(i: u32) -> f32 {\n  return ${pl}(i);\n}\nfn cb_sink(r: u32) -> f32 {\n  return ${sink};\n}\nfn cb_l0() -> f32 {\n  return ${a.sinks ? '1.0' : '0.0'};\n}`);
    k.emit(`fn cb_store(r: u32, d: u32, o: f32) {\n  out[r * ${P.u32(Dv)} + d] = bitcast<u32>(o);\n}`);
    cx.push(k.build('fast_sdpa_combine', 'sdpa_combine', out.storage.gpu!.buffer, grid(rows * Math.ceil(Dv / COMBINE_COLS), maxDim)));
  }
  return [out];
}
