// WebGPU kernels of the sort family (shaders/sort.wgsl): a map pass turns a row of any
// dtype or view into u32 keys whose order is NumPy's, then (key, index) pairs are sorted.
// Rows that fit a workgroup are sorted by one dispatch (several short rows per workgroup);
// longer rows are padded to a power of two and finish with global bitonic steps and
// in-memory merges. Values are gathered from the input by the sorted indices, so every
// dtype (and NaN payloads, -0) comes back intact.
import type { MxArray, Realized } from '../core/array.ts';
import { type Dtype, uint32 } from '../core/dtype.ts';
import type { Storage } from '../core/memory.ts';
import { contiguousStrides } from '../core/shape.ts';
import type { Spec } from '../ir/extern.ts';
import type { BuildCtx } from '../backend/webgpu/segment.ts';
import { grid, type KernelBuilder } from '../backend/webgpu/kernel.ts';
import { mapKernel } from '../backend/webgpu/kernels/map.ts';
import { wtype } from '../backend/webgpu/layout.ts';

/** 'sort': pairs (key, i), padding last; 'topk': pairs (key, ~i), padding first, so ties prefer low i. */
type Mode = 'sort' | 'topk';

interface Cfg {
  /** Threads per workgroup. */
  WG: number;
  /** Pairs one workgroup sorts in its memory (a power of two). */
  L: number;
}

const pow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

function cfg(cx: BuildCtx): Cfg {
  // two u32 per pair; 512 pairs: big GPUs want many workgroups even for one long row,
  // and software drivers compile (zero-initialise) workgroup memory slowly
  let L = 512;
  while (L * 8 > cx.ctx.limits.maxComputeWorkgroupStorageSize) L /= 2;
  const WG = Math.min(256, cx.ctx.device.limits.maxComputeInvocationsPerWorkgroup, L / 2);
  return { WG, L };
}

/** WGSL `fn(x: T) -> u32` whose unsigned order is NumPy's sort order (NaN last, -0 == 0). */
function keyFn(k: KernelBuilder, d: Dtype): string {
  const name = k.fresh('so_key');
  const T = wtype(d);
  const body = {
    f32:
      '  let b = bitcast<u32>(x);\n  let m = b & 0x7fffffffu;\n  if (m > 0x7f800000u) {\n    return 0xffffffffu;\n  }\n' +
      '  if (m == 0u) {\n    return 0x80000000u;\n  }\n  return select(b | 0x80000000u, ~b, (b >> 31u) != 0u);',
    i32: '  return bitcast<u32>(x) ^ 0x80000000u;',
    u32: '  return x;',
    bool: '  return select(0u, 1u, x);',
  }[T];
  k.emit(`fn ${name}(x: ${T}) -> u32 {\n${body}\n}`);
  return name;
}

/** The sort keys of x (any dtype or view) as a contiguous u32 array, read by every block pass. */
function keysOf(cx: BuildCtx, x: MxArray): Storage {
  const { k, g } = cx.kernel('sort keys');
  const X = g.fnOf(x), key = keyFn(k, x.dtype);
  k.emit(`fn so_keyof(i: u32) -> u32 {\n  return ${key}(${X}(i));\n}`);
  return mapKernel(cx, k, 'so_keyof', uint32, x.size);
}

/**
 * One block pass. Rows of `m` entries of `src` (keys, or (key, index) pairs) are cut into
 * `chunks` segments of `seg`; each sorted segment s writes positions [lo, hi) to
 * out[s * keep + i - lo], as pairs or as indices. Every value is a uniform parameter, so
 * all block passes share one pipeline.
 */
interface Pass {
  blk: number;
  seg: number;
  chunks: number;
  rows: number;
  m: number;
  srcPairs: boolean;
  mode: Mode;
  lo: number;
  hi: number;
  keep: number;
  dstPairs: boolean;
}

type Values = Partial<Record<'blk' | 'seg' | 'merge' | 'k' | 'j' | 'flip' | 'count', number>>;

function params(k: KernelBuilder, c: Cfg, v: Values): void {
  k.emit(`const SO_WG: u32 = ${c.WG}u;\nconst SO_L: u32 = ${c.L}u;`);
  for (const name of ['blk', 'seg', 'merge', 'k', 'j', 'flip', 'count'] as const) {
    k.emit(`fn so_${name}() -> u32 {\n  return ${k.p.u32(v[name] ?? 0)};\n}`);
  }
}

function blockPass(cx: BuildCtx, c: Cfg, label: string, p: Pass, src: Storage, out: Storage): void {
  const { k } = cx.kernel(label);
  params(k, c, { blk: p.blk, seg: p.seg });
  const u = (v: number | boolean) => k.p.u32(+v);
  const ld = k.input(src);
  const [C, S, R, M, SP, TK] = [u(p.chunks), u(p.seg), u(p.rows), u(p.m), u(p.srcPairs), u(p.mode === 'topk')];
  k.emit(
    `fn so_load(s: u32, i: u32) -> vec2<u32> {\n  let row = s / ${C};\n  let t = (s % ${C}) * ${S} + i;\n  let topk = ${TK} != 0u;\n` +
      `  if (row >= ${R} || t >= ${M}) {\n    return select(vec2<u32>(0xffffffffu), vec2<u32>(0u), topk);\n  }\n` +
      `  if (${SP} != 0u) {\n    let e = 2u * (row * ${M} + t);\n    return vec2<u32>(${ld}(e), ${ld}(e + 1u));\n  }\n` +
      `  return vec2<u32>(${ld}(row * ${M} + t), select(t, ~t, topk));\n}`,
  );
  const [NS, LO, HI, K, DP] = [u(p.rows * p.chunks), u(p.lo), u(p.hi), u(p.keep), u(p.dstPairs)];
  k.emit(
    `fn so_store(s: u32, i: u32, v: vec2<u32>) {\n  if (s >= ${NS} || i < ${LO} || i >= ${HI}) {\n    return;\n  }\n` +
      `  let e = s * ${K} + i - ${LO};\n  if (${DP} != 0u) {\n    out[2u * e] = v.x;\n    out[2u * e + 1u] = v.y;\n  } else {\n` +
      `    out[e] = select(v.y, ~v.y, ${TK} != 0u);\n  }\n}`,
  );
  const groups = Math.ceil((p.rows * p.chunks * p.seg) / p.blk);
  cx.push(k.build('sort', 'sort_block', out.gpu!.buffer, grid(groups, cx.ctx.limits.maxComputeWorkgroupsPerDimension)));
}

/** Hooks of the passes working in place on pairs in `out` (global steps and merges). */
function inPlace(k: KernelBuilder, c: Cfg, total: number, v: Values): void {
  params(k, c, v);
  const L = k.p.u32(c.L), NS = k.p.u32(total / c.L);
  k.emit(`fn so_load(s: u32, i: u32) -> vec2<u32> {\n  if (s >= ${NS}) {\n    return vec2<u32>(0u, 0u);\n  }\n  let e = 2u * (s * ${L} + i);\n  return vec2<u32>(out[e], out[e + 1u]);\n}`);
  k.emit(`fn so_store(s: u32, i: u32, v: vec2<u32>) {\n  if (s < ${NS}) {\n    let e = 2u * (s * ${L} + i);\n    out[e] = v.x;\n    out[e + 1u] = v.y;\n  }\n}`);
}

/**
 * Sorts rows of n > L keys into a temporary of rows * P pairs (P = n padded to a power
 * of two): blocks of L first, then per stage the global steps down to distance L and one
 * in-memory merge for the rest.
 */
function longSort(cx: BuildCtx, c: Cfg, keys: Storage, rows: number, n: number, mode: Mode): { pairs: Storage; P: number } {
  const P = pow2(n), L = c.L, total = rows * P;
  const pairs = cx.temp(uint32, 2 * total, 'sort pairs');
  const maxDim = cx.ctx.limits.maxComputeWorkgroupsPerDimension;
  const first: Pass = { blk: L, seg: L, chunks: P / L, rows, m: n, srcPairs: false, mode, lo: 0, hi: L, keep: L, dstPairs: true };
  blockPass(cx, c, 'sort blocks', first, keys, pairs);
  const step = (kk: number, j: number, flip: boolean) => {
    const { k } = cx.kernel('sort step');
    inPlace(k, c, total, { k: kk, j, flip: flip ? 1 : 0, count: total / 2 });
    cx.push(k.build('sort', 'sort_step', pairs.gpu!.buffer, grid(Math.ceil(total / 2 / c.WG), maxDim)));
  };
  for (let kk = 2 * L; kk <= P; kk *= 2) {
    step(kk, kk / 2, true);
    for (let j = kk / 4; j >= L; j /= 2) step(kk, j, false);
    const { k } = cx.kernel('sort merge');
    inPlace(k, c, total, { blk: L, seg: L, merge: 1 });
    cx.push(k.build('sort', 'sort_block', pairs.gpu!.buffer, grid(total / L, maxDim)));
  }
  return { pairs, P };
}

/** Indices (uint32, rows of `kk`) read from sorted pairs at row * P + first + j. */
function pickIndices(cx: BuildCtx, pairs: Storage, P: number, first: number, kk: number, rows: number, mode: Mode): Storage {
  const { k } = cx.kernel('sort indices');
  const ld = k.input(pairs), K = k.p.u32(kk);
  const e = `2u * ((i / ${K}) * ${k.p.u32(P)} + ${k.p.u32(first)} + i % ${K}) + 1u`;
  k.emit(`fn so_pick(i: u32) -> u32 {\n  return ${mode === 'sort' ? '' : '~'}${ld}(${e});\n}`);
  return mapKernel(cx, k, 'so_pick', uint32, rows * kk);
}

/** Values x[row, idx[row, j]] for rows of kk indices into rows of n. */
function gatherValues(cx: BuildCtx, x: MxArray, idx: Storage, n: number, kk: number, dtype: Dtype, size: number): Storage {
  const { k, g } = cx.kernel('sort values');
  const X = g.fnOf(x), ld = k.input(idx);
  k.emit(`fn so_val(i: u32) -> ${wtype(dtype)} {\n  return ${X}((i / ${k.p.u32(kk)}) * ${k.p.u32(n)} + ${ld}(i));\n}`);
  return mapKernel(cx, k, 'so_val', dtype, size);
}

const realized = (st: Storage, s: Spec): Realized => ({ storage: st, strides: contiguousStrides(s.shape), offset: 0 });

/** Rows of m <= L entries: several segments of pow2(m) per workgroup, positions [lo, hi) kept. */
function shortPass(c: Cfg, rows: number, m: number, srcPairs: boolean, mode: Mode, lo: number, hi: number): Pass {
  const S = pow2(m);
  return { blk: Math.min(c.L, S * pow2(rows)), seg: S, chunks: 1, rows, m, srcPairs, mode, lo, hi, keep: hi - lo, dstPairs: false };
}

/** Sorted values and stable argsort indices of x's rows (last axis). */
export function sortGpu(cx: BuildCtx, x: MxArray, outs: Spec[]): Realized[] {
  const c = cfg(cx);
  const n = x.shape[x.ndim - 1], rows = x.size / n;
  const keys = keysOf(cx, x);
  let idx: Storage;
  if (n <= c.L) {
    idx = cx.storage(uint32, rows * n, 'argsort');
    blockPass(cx, c, 'sort', shortPass(c, rows, n, false, 'sort', 0, n), keys, idx);
  } else {
    const { pairs, P } = longSort(cx, c, keys, rows, n, 'sort');
    idx = pickIndices(cx, pairs, P, 0, n, rows, 'sort');
  }
  return [realized(gatherValues(cx, x, idx, n, n, outs[0].dtype, rows * n), outs[0]), realized(idx, outs[1])];
}

/**
 * The kk largest of each row, ascending, and their indices. Rows that fit a workgroup are
 * sorted whole; for longer rows with small kk every workgroup sorts a chunk of L and keeps
 * its top kk, and the candidates (rows * chunks * kk) are reduced the same way until one
 * chunk is left: about log_{L/kk}(n) dispatches (4 for a 150k vocabulary and kk = 50).
 * Larger kk sort the padded row and read its tail.
 */
export function topkGpu(cx: BuildCtx, x: MxArray, kk: number, outs: Spec[]): Realized[] {
  const c = cfg(cx);
  const n = x.shape[x.ndim - 1], rows = x.size / n;
  const keys = keysOf(cx, x);
  let idx: Storage;
  if (n > c.L && 4 * kk > c.L) {
    const { pairs, P } = longSort(cx, c, keys, rows, n, 'topk');
    idx = pickIndices(cx, pairs, P, P - kk, kk, rows, 'topk');
  } else {
    idx = cx.storage(uint32, rows * kk, 'topk indices');
    let src = keys, m = n, srcPairs = false;
    while (m > c.L) {
      const chunks = Math.ceil(m / c.L);
      const cand = cx.temp(uint32, 2 * rows * chunks * kk, 'topk candidates');
      const p: Pass = { blk: c.L, seg: c.L, chunks, rows, m, srcPairs, mode: 'topk', lo: c.L - kk, hi: c.L, keep: kk, dstPairs: true };
      blockPass(cx, c, 'topk chunks', p, src, cand);
      [src, m, srcPairs] = [cand, chunks * kk, true];
    }
    const S = pow2(m);
    blockPass(cx, c, 'topk', shortPass(c, rows, m, srcPairs, 'topk', S - kk, S), src, idx);
  }
  return [realized(gatherValues(cx, x, idx, n, kk, outs[0].dtype, rows * kk), outs[0]), realized(idx, outs[1])];
}

/** Insertion points of `values` in 1-D `sorted` (NumPy's searchsorted), both of one dtype. */
export function searchGpu(cx: BuildCtx, sorted: MxArray, values: MxArray, right: boolean, out: Spec): Realized[] {
  const { k, g } = cx.kernel('searchsorted');
  const A = g.fnOf(sorted), V = g.fnOf(values), key = keyFn(k, sorted.dtype);
  const N = k.p.u32(sorted.size);
  k.emit(
    `fn so_search(i: u32) -> u32 {\n  let v = ${key}(${V}(i));\n  var lo = 0u;\n  var hi = ${N};\n` +
      `  for (var it = 0u; it < 33u && lo < hi; it++) {\n    let mid = lo + (hi - lo) / 2u;\n` +
      `    if (${key}(${A}(mid)) ${right ? '<=' : '<'} v) {\n      lo = mid + 1u;\n    } else {\n      hi = mid;\n    }\n  }\n  return lo;\n}`,
  );
  return [realized(mapKernel(cx, k, 'so_search', uint32, values.size), out)];
}
