// Batched matmul through the tiled template; inputs are read through their (possibly
// strided or fused) expressions, accumulated in f32 for floats and i32/u32 for integers.
import type { MxArray, Realized } from '../../../core/array.ts';
import { contiguousStrides, sizeOf } from '../../../core/shape.ts';
import type { BuildCtx } from '../segment.ts';
import { grid } from '../kernel.ts';
import { accType, fromAcc, toAcc, wideBits, wideOf, wtype } from '../layout.ts';
import type { KernelBuilder } from '../kernel.ts';
import type { ExprGen } from '../codegen.ts';

/**
 * The value a matmul kernel stores at output index i: the product itself, or, with an
 * epilogue `root`, that elementwise root evaluated with the product as its input.
 */
function storeExpr(k: KernelBuilder, g: ExprGen, n: MxArray, root: MxArray | null, acc: string, v: string, i: string): string {
  if (!root) return wideBits(n.dtype, fromAcc(n.dtype, v));
  // called once per kernel: the product is handed to the root's expression through mm_v
  k.emit(`var<private> mm_v: ${acc};`);
  k.emit(`fn mm_product(i: u32) -> ${wtype(n.dtype)} {\n  return ${fromAcc(n.dtype, 'mm_v')};\n}`);
  g.provide(n, 'mm_product');
  return `${wideBits(root.dtype, `${g.fnOf(root)}(${i})`)}`;
}

/** Builds matmul `n`; with `root`, an elementwise epilogue computed in the store hook. */
export function matmulNode(cx: BuildCtx, n: MxArray, root: MxArray | null = null): Realized {
  const [a, b] = n._node!.inputs;
  const nd = n.ndim;
  const M = n.shape[nd - 2], N = n.shape[nd - 1], K = a.shape[nd - 1];
  const batch = sizeOf(n.shape.slice(0, nd - 2));
  const A = accType(n.dtype);
  if (M <= 8 && A === 'f32' && K > 0) return gemvNode(cx, n, M, N, K, batch, root);
  const res = root ?? n;
  const out = cx.storage(wideOf(res.dtype), res.size, 'matmul');
  const { k, g } = cx.kernel('matmul');
  const P = k.p;
  const pm = P.u32(M), pn = P.u32(N), pk = P.u32(K);
  const tm = Math.ceil(M / 64), tn = Math.ceil(N / 64);
  k.emit(`alias MA = ${A};`);
  const consts: [string, string][] = [['m', pm], ['n', pn], ['k', pk], ['batch', P.u32(batch)], ['tiles_m', P.u32(tm)], ['tiles_n', P.u32(tn)]];
  for (const [name, v] of consts) k.emit(`fn mm_${name}() -> u32 {\n  return ${v};\n}`);
  const fa = g.fnOf(a), fb = g.fnOf(b);
  k.emit(`fn mm_a(b: u32, m: u32, k: u32) -> MA {\n  return ${toAcc(a.dtype, `${fa}((b * ${pm} + m) * ${pk} + k)`)};\n}`);
  k.emit(`fn mm_b(b: u32, k: u32, n: u32) -> MA {\n  return ${toAcc(b.dtype, `${fb}((b * ${pk} + k) * ${pn} + n)`)};\n}`);
  const st = storeExpr(k, g, n, root, A, 'v', 'i');
  k.emit(`fn mm_store(b: u32, m: u32, n: u32, v: MA) {\n  let i = (b * ${pm} + m) * ${pn} + n;\n${root ? '  mm_v = v;\n' : ''}  out[i] = ${st};\n}`);
  if (root) k.label = g.label('matmul');
  cx.push(k.build('matmul', 'matmul_main', out.gpu!.buffer, grid(batch * tm * tn, cx.ctx.limits.maxComputeWorkgroupsPerDimension)));
  return { storage: out, strides: contiguousStrides(res.shape), offset: 0 };
}

/** Few rows (decode): one workgroup per output column reads B along K (shaders/gemv.wgsl). */
function gemvNode(cx: BuildCtx, n: MxArray, M: number, N: number, K: number, batch: number, root: MxArray | null): Realized {
  const [a, b] = n._node!.inputs;
  const res = root ?? n;
  const out = cx.storage(wideOf(res.dtype), res.size, 'matmul');
  const { k, g } = cx.kernel('matmul.gemv');
  const P = k.p;
  const pm = P.u32(M), pn = P.u32(N), pk = P.u32(K);
  for (const [name, v] of [['rows', pm], ['n', pn], ['k', pk], ['batch', P.u32(batch)]] as const) k.emit(`fn gv_${name}() -> u32 {\n  return ${v};\n}`);
  const fa = g.fnOf(a), fb = g.fnOf(b);
  k.emit(`fn gv_a(b: u32, m: u32, k: u32) -> f32 {\n  if (m >= ${pm}) {\n    return 0.0;\n  }\n  return ${toAcc(a.dtype, `${fa}((b * ${pm} + m) * ${pk} + k)`)};\n}`);
  k.emit(`fn gv_b(b: u32, k: u32, n: u32) -> f32 {\n  return ${toAcc(b.dtype, `${fb}((b * ${pk} + k) * ${pn} + n)`)};\n}`);
  const st = storeExpr(k, g, n, root, 'f32', 'v', 'i');
  k.emit(`fn gv_store(b: u32, m: u32, n: u32, v: f32) {\n  let i = (b * ${pm} + m) * ${pn} + n;\n${root ? '  mm_v = v;\n' : ''}  out[i] = ${st};\n}`);
  if (root) k.label = g.label('matmul.gemv');
  cx.push(k.build('gemv', 'gemv_main', out.gpu!.buffer, grid(batch * N, cx.ctx.limits.maxComputeWorkgroupsPerDimension)));
  return { storage: out, strides: contiguousStrides(res.shape), offset: 0 };
}
