// Reductions (sum prod max min argmax argmin) over any set of axes: the input is read as
// [rows, len] with the reduced axes moved last. Short rows use a thread each; long rows
// are cut into chunks of at most 16 loads per thread, and passes repeat over the partials.
import type { MxArray, Realized } from '../../../core/array.ts';
import { uint32, type Dtype } from '../../../core/dtype.ts';
import type { Storage } from '../../../core/memory.ts';
import { contiguousStrides, sizeOf } from '../../../core/shape.ts';
import type { ParamsOf, ReducePrim } from '../../../ir/primitive.ts';
import type { BuildCtx } from '../segment.ts';
import { grid, type KernelBuilder } from '../kernel.ts';
import { accType, fromAcc, toAcc, wideBits, wideOf, wtype } from '../layout.ts';
import type { ExprGen } from '../codegen.ts';

const WG = 256;
const CHUNK = WG * 16;

/** Identity of a reduction (or scan) in accumulator type A. */
export function initOf(prim: string, A: 'f32' | 'i32' | 'u32'): string {
  const max = prim === 'max' || prim === 'argmax' || prim === 'cummax';
  const min = prim === 'min' || prim === 'argmin' || prim === 'cummin';
  if (max) return A === 'f32' ? 'mxb_f32_bits(0xff800000u)' : A === 'i32' ? 'bitcast<i32>(0x80000000u)' : '0u';
  if (min) return A === 'f32' ? 'mxb_f32_bits(0x7f800000u)' : A === 'i32' ? '2147483647i' : '0xffffffffu';
  const one = prim === 'prod' || prim === 'cumprod';
  return A === 'f32' ? (one ? '1.0' : '0.0') : A === 'i32' ? (one ? '1i' : '0i') : one ? '1u' : '0u';
}

/** Combination of two accumulator values a and b (NaN-propagating max/min). */
export function combineOf(prim: string, A: 'f32' | 'i32' | 'u32', a: string, b: string): string {
  switch (prim) {
    case 'sum': case 'cumsum': return `${a} + ${b}`;
    case 'prod': case 'cumprod': return `${a} * ${b}`;
    case 'max': case 'cummax': return A === 'f32' ? `mxb_max_f32(${a}, ${b})` : `max(${a}, ${b})`;
    case 'min': case 'cummin': return A === 'f32' ? `mxb_min_f32(${a}, ${b})` : `min(${a}, ${b})`;
    default: throw new Error(`internal: no combine for ${prim}`);
  }
}

/** The reduce template's hooks besides rd_load and rd_store. */
export function hooks(k: KernelBuilder, prim: ReducePrim, A: 'f32' | 'i32' | 'u32', rows: number, len: number, chunk: number, chunks: number, quads: string | null = null): void {
  const p = k.p;
  k.emit(`alias RA = ${A};\nconst RWG: u32 = ${WG}u;`);
  k.emit(`fn rd_init() -> RAcc {\n  return RAcc(${initOf(prim, A)}, 0xffffffffu);\n}`);
  let comb: string;
  if (prim === 'argmax' || prim === 'argmin') {
    const better = prim === 'argmax' ? '>' : '<';
    // NaN wins (the first one); otherwise the extreme, ties to the first index
    const nan = A === 'f32'
      ? `  let an = mxb_isnan(a.v);\n  let bn = mxb_isnan(b.v);\n  if (an || bn) {\n    if (an && (!bn || a.i <= b.i)) {\n      return a;\n    }\n    return b;\n  }\n`
      : '';
    comb = `${nan}  if (b.v ${better} a.v || (b.v == a.v && b.i < a.i)) {\n    return b;\n  }\n  return a;`;
  } else comb = `  return RAcc(${combineOf(prim, A, 'a.v', 'b.v')}, 0u);`;
  k.emit(`fn rd_comb(a: RAcc, b: RAcc) -> RAcc {\n${comb}\n}`);
  const consts: [string, number][] = [['rows', rows], ['len', len], ['chunk', chunk], ['chunks', chunks]];
  for (const [name, v] of consts) k.emit(`fn rd_${name}() -> u32 {\n  return ${p.u32(v)};\n}`);
  // full chunks loop a literal number of times, so the loop unrolls and its loads overlap
  // (shorter rows keep a parameter: one pipeline for all their lengths)
  const iters = Math.ceil(chunk / WG);
  const lit = chunk === CHUNK;
  if (quads) {
    // `quads(row, r)` gives elements r..r+3 (r, the chunk and the row length multiples of 4)
    k.emit(`fn rd_fold(row: u32, start: u32, end: u32, t: u32) -> RAcc {
  var acc = rd_init();
  for (var k = 0u; k < ${lit ? `${iters / 4}u` : p.u32(Math.ceil(iters / 4))}; k++) {
    let r = start + 4u * (k * RWG + t);
    if (r < end) {
      let v = ${quads}(row, r);
      acc = rd_comb(rd_comb(acc, RAcc(v.x, r)), rd_comb(RAcc(v.y, r), rd_comb(RAcc(v.z, r), RAcc(v.w, r))));
    }
  }
  return acc;
}`);
    return;
  }
  k.emit(`fn rd_fold(row: u32, start: u32, end: u32, t: u32) -> RAcc {
  var acc = rd_init();
  for (var k = 0u; k < ${lit ? `${iters}u` : p.u32(iters)}; k++) {
    let r = start + k * RWG + t;
    if (r < end) {
      acc = rd_comb(acc, rd_load(row, r));
    }
  }
  return acc;
}`);
}

/** The subgroup operation of a reduction, where its result matches the CPU (not float max/min: NaN). */
function subgroupOp(prim: ReducePrim, A: 'f32' | 'i32' | 'u32'): string | null {
  switch (prim) {
    case 'sum': return 'subgroupAdd';
    case 'prod': return 'subgroupMul';
    case 'max': return A === 'f32' ? null : 'subgroupMax';
    case 'min': return A === 'f32' ? null : 'subgroupMin';
    default: return null;
  }
}

/** Builds reduction `n`; with `root`, an elementwise epilogue computed in the final store. */
export function reduceNode(cx: BuildCtx, n: MxArray, root: MxArray | null = null): Realized {
  const node = n._node!;
  const prim = node.prim as ReducePrim;
  const x = node.inputs[0];
  const axes = (node.params as ParamsOf<ReducePrim>).axes;
  const kept = [...Array(x.ndim).keys()].filter((d) => !axes.includes(d));
  const perm = [...kept, ...axes];
  const rows = n.size;
  const R = sizeOf(axes.map((d) => x.shape[d]));
  const A = accType(x.dtype);
  const isArg = prim === 'argmax' || prim === 'argmin';
  const outDtype: Dtype = isArg ? uint32 : wideOf((root ?? n).dtype);
  const out = cx.storage(outDtype, rows, prim);
  const maxDim = cx.ctx.limits.maxComputeWorkgroupsPerDimension;

  // the input as [rows, R]: an access with the reduced axes last
  const inputLoad = (k: KernelBuilder, g: ReturnType<BuildCtx['kernel']>['g'], len: string): void => {
    const a = g.accessOf(x);
    const fn = g.accessFn({ ...a, shape: perm.map((d) => x.shape[d]), strides: perm.map((d) => a.strides[d]) });
    k.emit(`fn rd_load(row: u32, r: u32) -> RAcc {\n  return RAcc(${toAcc(x.dtype, `${fn}(row * ${len} + r)`)}, r);\n}`);
  };
  const partialLoad = (k: KernelBuilder, src: Storage, len: string): void => {
    const ld = k.input(src);
    const body = isArg
      ? `  let j = 2u * (row * ${len} + r);\n  return RAcc(bitcast<RA>(${ld}(j)), ${ld}(j + 1u));`
      : `  return RAcc(bitcast<RA>(${ld}(row * ${len} + r)), 0u);`;
    k.emit(`fn rd_load(row: u32, r: u32) -> RAcc {\n${body}\n}`);
  };
  const finalStore = (k: KernelBuilder, g: ExprGen): void => {
    if (root) {
      // the epilogue reads the reduced value through rd_value at the output's own index
      k.emit(`var<private> rd_v: RA;\nfn rd_value(i: u32) -> ${wtype(n.dtype)} {\n  return ${fromAcc(n.dtype, 'rd_v')};\n}`);
      g.provide(n, 'rd_value');
      k.emit(`fn rd_store(g: u32, a: RAcc) {\n  rd_v = a.v;\n  out[g] = ${wideBits(root.dtype, `${g.fnOf(root)}(g)`)};\n}`);
      k.label = g.label(prim);
      return;
    }
    const v = isArg ? 'a.i' : wideBits(n.dtype, fromAcc(n.dtype, 'a.v'));
    k.emit(`fn rd_store(g: u32, a: RAcc) {\n  out[g] = ${v};\n}`);
  };
  const partialStore = (k: KernelBuilder): void => {
    const body = isArg ? '  out[2u * g] = bitcast<u32>(a.v);\n  out[2u * g + 1u] = a.i;' : '  out[g] = bitcast<u32>(a.v);';
    k.emit(`fn rd_store(g: u32, a: RAcc) {\n${body}\n}`);
  };

  if (R <= 64 || (rows >= 4096 && R <= 1024)) {
    const { k, g } = cx.kernel(prim);
    hooks(k, prim, A, rows, R, R, 1);
    inputLoad(k, g, k.p.u32(R));
    finalStore(k, g);
    cx.push(k.build('reduce', 'reduce_thread', out.gpu!.buffer, grid(Math.ceil(rows / WG), maxDim)));
  } else {
    let len = R;
    let src: Storage | null = null;
    for (;;) {
      const chunks = Math.ceil(len / CHUNK);
      const final = chunks === 1;
      const dst = final ? out : cx.temp(uint32, rows * chunks * (isArg ? 2 : 1), `${prim} partials`);
      const { k, g } = cx.kernel(prim);
      const L = k.p.u32(len);
      // the input's rows in their own order, 4 at a time: 4 elements per step of each thread
      // (vec4 loads where the input is stored contiguously and aligned; fused producers too)
      const quads = !src && !isArg && perm.every((d, i) => d === i) && R % 4 === 0 ? k.fresh('rdq') : null;
      hooks(k, prim, A, rows, len, final ? len : CHUNK, chunks, quads);
      if (src) partialLoad(k, src, L);
      else inputLoad(k, g, L);
      if (quads) {
        const f4 = g.fn4Of(x);
        const c = (e: string) => toAcc(x.dtype, e);
        k.emit(`fn ${quads}(row: u32, r: u32) -> vec4<RA> {\n  let v = ${f4}(row * ${L} + r);\n  return vec4<RA>(${c('v.x')}, ${c('v.y')}, ${c('v.z')}, ${c('v.w')});\n}`);
      }
      if (final) finalStore(k, g);
      else partialStore(k);
      // with subgroups, the cross-thread step uses subgroup operations where they fit the op
      const sg = cx.ctx.features.subgroups ? subgroupOp(prim, A) : null;
      if (sg) k.emit(`fn rd_sg(v: RA) -> RA {\n  return ${sg}(v);\n}`);
      cx.push(k.build(sg ? 'reduce_sg' : 'reduce', sg ? 'reduce_sg' : 'reduce_wg', dst.gpu!.buffer, grid(rows * chunks, maxDim)));
      if (final) break;
      src = dst;
      len = chunks;
    }
  }
  return { storage: out, strides: contiguousStrides((root ?? n).shape), offset: 0 };
}
