// Batched matmul through the tiled template; inputs are read through their (possibly
// strided or fused) expressions, accumulated in f32 for floats and i32/u32 for integers.
import type { MxArray, Realized } from '../../../core/array.ts';
import { contiguousStrides, isContiguous, sizeOf } from '../../../core/shape.ts';
import type { BuildCtx } from '../segment.ts';
import type { GpuContext } from '../context.ts';
import { grid } from '../kernel.ts';
import { shader } from '../wgsl.ts';
import { accType, fromAcc, toAcc, wideBits, wideOf, wtype } from '../layout.ts';
import type { KernelBuilder } from '../kernel.ts';
import type { Storage } from '../../../core/memory.ts';
import type { ExprGen } from '../codegen.ts';
import { subgroupMatrixHooks, subgroupMatrixPlan } from './matmul_sm.ts';

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
  // large float products: 128x128 tiles with 16x8 or 8x8 per thread (shaders/matmul_big*.wgsl), from
  // as many tiles as fill the GPU (a default, or measured by mx.gpu.tuneMatmul)
  // subgroup-matrix units where the device has them for these inputs (matmul_sm.ts)
  const sm = A === 'f32' ? subgroupMatrixPlan(cx.ctx, a.dtype, b.dtype, batch, M, N, K) : null;
  const big = !sm && A === 'f32' && M >= 128 && N >= 128 && K >= 32 && batch * Math.ceil(M / 128) * Math.ceil(N / 128) >= cx.ctx.tuning.bigMinTiles;
  const pm = P.u32(M), pn = P.u32(N), pk = P.u32(K);
  const T = sm ? sm.tile : big ? 128 : 64;
  const tm = Math.ceil(M / T), tn = Math.ceil(N / T);
  k.emit(`alias MA = ${A};`);
  // B stored with K contiguous (B = W^T, how Linear layers hold weights): tile loads run
  // along K, so neighbouring threads read neighbouring bytes
  const ba = g.accessOf(b);
  const bt = ba.src.kind === 'buf' && K > 1 && N > 1 && ba.strides[nd - 2] === 1;
  k.emit(`const MM_BT: bool = ${bt};`);
  const consts: [string, string][] = [['m', pm], ['n', pn], ['k', pk], ['batch', P.u32(batch)], ['tiles_m', P.u32(tm)], ['tiles_n', P.u32(tn)]];
  for (const [name, v] of consts) k.emit(`fn mm_${name}() -> u32 {\n  return ${v};\n}`);
  const fa = g.fnOf(a), fb = g.fnOf(b);
  k.emit(`fn mm_a(b: u32, m: u32, k: u32) -> MA {\n  return ${toAcc(a.dtype, `${fa}((b * ${pm} + m) * ${pk} + k)`)};\n}`);
  k.emit(`fn mm_b(b: u32, k: u32, n: u32) -> MA {\n  return ${toAcc(b.dtype, `${fb}((b * ${pk} + k) * ${pn} + n)`)};\n}`);
  // whole tiles: every tile inside the matrices (and, for the loads, K a multiple of the step)
  const whole = M % T === 0 && N % T === 0;
  // the 128x128 kernel's blocks per thread: 16x8 (K steps of 16) or 8x8 (K steps of 8)
  const blocks8 = big && cx.ctx.tuning.bigBlocks === 8;
  const half = tileLoads(k, g, a, b, M, N, K, bt, whole && K % (sm ? sm.bk : blocks8 ? 8 : 16) === 0 && A === 'f32', sm?.config.componentType === 'f16', big);
  const st = storeExpr(k, g, n, root, A, 'v', 'i');
  if (sm) {
    // results leave through staging matrices one value at a time (mm_store checks the edges)
    k.emit(`fn mm_store(b: u32, m: u32, n: u32, v: MA) {\n  let i = (b * ${pm} + m) * ${pn} + n;\n${root ? '  mm_v = v;\n' : ''}  out[i] = ${st};\n}`);
    subgroupMatrixHooks(k, sm, bt, half);
  } else if (whole) {
    // 4 values per store (out as vec4 words): float32 products as they are, anything else
    // element by element (unrolled)
    const plain = !root && n.dtype.name === 'float32';
    const four = (x: string, at: string) => plain ? `bitcast<vec4<u32>>(${x})` : `vec4<u32>(${['x', 'y', 'z', 'w'].map((c, j) => `mm_el(${x}.${c}, ${at} + ${j}u)`).join(', ')})`;
    if (!plain) k.emit(`fn mm_el(v: MA, i: u32) -> u32 {\n${root ? '  mm_v = v;\n' : ''}  return ${st};\n}`);
    const at = `  let i0 = (b * ${pm} + m) * ${pn} + n;\n  out[i0 / 4u] = ${four('lo', 'i0')};`;
    if (big) k.emit(`fn mm_store8(b: u32, m: u32, n: u32, lo: vec4<f32>, hi: vec4<f32>, M: u32, N: u32) {\n${at}\n  out[i0 / 4u + 16u] = ${four('hi', 'i0 + 64u')};\n}`);
    else k.emit(`fn mm_store4(b: u32, m: u32, n: u32, lo: vec4<MA>, M: u32, N: u32) {\n${at}\n}`);
  } else {
    k.emit(`fn mm_store(b: u32, m: u32, n: u32, v: MA) {\n  let i = (b * ${pm} + m) * ${pn} + n;\n${root ? '  mm_v = v;\n' : ''}  out[i] = ${st};\n}`);
    k.emit(shader(big ? 'mm_store8' : 'mm_store4'));
  }
  if (big) k.emit(shader('matmul_big_put'));
  k.label = root ? g.label(sm ? 'matmul.sm' : 'matmul') : sm ? 'matmul.sm' : k.label;
  const [tpl, entry] = sm ? ['matmul_sm', 'matmul_sm'] : blocks8 ? ['matmul_big8', 'matmul_big8'] : big ? ['matmul_big', 'matmul_big'] : ['matmul', 'matmul_main'];
  cx.push(k.build(tpl, entry, out.gpu!.buffer, grid(batch * tm * tn, cx.ctx.limits.maxComputeWorkgroupsPerDimension), whole && !sm ? 'vec4' : false));
  return { storage: out, strides: contiguousStrides(res.shape), offset: 0 };
}

/**
 * The float dtype x's values are stored in, when its storage holds them as they are (its own
 * float16/bfloat16, or a 32-bit float: a float computed in this run may sit in a 32-bit
 * temporary); null otherwise.
 */
export function storedFloat(x: MxArray, st: Storage | null): 'float32' | 'float16' | 'bfloat16' | null {
  const dt = st?.dtype.name;
  if (dt === 'float32' && (x.dtype.kind === 'f' || x.dtype.kind === 'V')) return dt;
  return (dt === 'float16' || dt === 'bfloat16') && st!.dtype === x.dtype ? dt : null;
}

/** WGSL turning a u32 of two packed halves (float16 or bfloat16) into a vec2<f32>. */
export function halves(dt: 'float16' | 'bfloat16'): (w: string) => string {
  return dt === 'float16' ? (w) => `unpack2x16float(${w})` : (w) => `vec2<f32>(bitcast<f32>(${w} << 16u), bitcast<f32>(${w} & 0xffff0000u))`;
}

/**
 * 4 consecutive stored values of x along an axis as a vec4<f32>, when x is stored (float32,
 * or float16/bfloat16 as such) with these strides for its last two axes and its batch axes
 * contiguous above them or broadcast: a function of the element index (a multiple of 4)
 * within batch b's matrix. With `half`: stored float16 only, as a vec4<f16>.
 */
function storedFour(k: KernelBuilder, g: ExprGen, x: MxArray, last2: [number, number], perBatch: number, half = false): ((b: string, i: string) => string) | null {
  const nd = x.ndim;
  const acc = g.accessOf(x);
  const src = acc.src.kind === 'buf' ? acc.src.storage : null;
  const dt = storedFloat(x, src);
  if (!src?.gpu || !dt || acc.offset % 4 !== 0) return null;
  if (acc.strides[nd - 2] !== last2[0] || acc.strides[nd - 1] !== last2[1]) return null;
  // batch axes either contiguous above the matrices or all broadcast (stride 0)
  const axes = x.shape.slice(0, nd - 2).map((d, i) => [d, acc.strides[i]]).filter(([d]) => d > 1);
  let want = perBatch;
  const chain = axes.reverse().every(([d, st]) => {
    const ok = st === want;
    want *= d;
    return ok;
  });
  if (!chain && !axes.every(([, st]) => st === 0)) return null;
  const P = k.p;
  const at = (b: string, i: string) => `${P.u32(acc.offset / 4)} + (${chain ? `${b} * ${P.u32(perBatch)} + ` : ''}${i}) / 4u`;
  if (half) {
    // for f16 tiles: float16 stored as such (8-byte vec4<f16> loads), or a kernel's float16
    // result kept as float32 words (16-byte loads: a 2048-token Llama-3.2-1B prefill's matmuls
    // ran 1.9-2.6x faster on an H100 than with the checked scalar loads they took before)
    if (dt === 'float32' && x.dtype.name === 'float16') {
      const V = k.inputVec4(src);
      return (b, i) => `vec4<f16>(bitcast<vec4<f32>>(${V}[${at(b, i)}]))`;
    }
    const H = dt === 'float16' ? k.inputHalf4(src) : null;
    return H ? (b, i) => `${H}[${at(b, i)}]` : null;
  }
  if (dt === 'float32') {
    const V = k.inputVec4(src);
    return (b, i) => `bitcast<vec4<f32>>(${V}[${at(b, i)}])`;
  }
  const V = k.inputVec2(src);
  const two = halves(dt);
  const name = k.fresh('mm_four');
  k.emit(`fn ${name}(v: vec2<u32>) -> vec4<f32> {\n  return vec4<f32>(${two('v.x')}, ${two('v.y')});\n}`);
  return (b, i) => `${name}(${V}[${at(b, i)}])`;
}

/** 4 consecutive stored float16 values of x as a vec4<f16> (see storedFour), for f16 tiles. */
export function halfFour(k: KernelBuilder, g: ExprGen, x: MxArray, last2: [number, number], perBatch: number): ((b: string, i: string) => string) | null {
  return storedFour(k, g, x, last2, perBatch, true);
}

// The tile kernels' loads of 4 consecutive values (mm_a4 along K, mm_b4 along N, mm_bt4 along
// K of B = W^T) as 4 checked loads that read zeros past the edges.
const plus = (v: string, j: number) => (j ? `${v} + ${j}u` : v);
const four = (f: (j: number) => string) => `vec4<MA>(${[0, 1, 2, 3].map(f).join(', ')})`;
const CHECKED = {
  a: four((j) => `mm_load_a(b, m, ${plus('k', j)}, M, K)`),
  b: four((j) => `mm_load_b(b, k, ${plus('n', j)}, K, N)`),
  bt: four((j) => `mm_load_b(b, ${plus('k', j)}, n, K, N)`),
};
// The same without branches (for the 128x128 kernel: M, N >= 128 and K >= 32, so the clamped
// indices are in range): 16 branchy loads per K step took SwiftShader minutes and >16 GB to compile.
const lanes = (v: string, L: string) => `vec4<u32>(${v}) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(${L})`;
const masked = (f: (j: number) => string, fixed: string, F: string, v: string, L: string) => `select(vec4<MA>(0), ${four(f)}, vec4<bool>(${fixed} < ${F}) & (${lanes(v, L)}))`;
const BRANCHLESS = {
  a: masked((j) => `mm_a(b, min(m, M - 1u), min(${plus('k', j)}, K - 1u))`, 'm', 'M', 'k', 'K'),
  b: masked((j) => `mm_b(b, min(k, K - 1u), min(${plus('n', j)}, N - 1u))`, 'k', 'K', 'n', 'N'),
  bt: masked((j) => `mm_b(b, min(${plus('k', j)}, K - 1u), min(n, N - 1u))`, 'n', 'N', 'k', 'K'),
};

/** The 64x64 template's 4-value loads and store, all checked at the edges (any hooks mm_a, mm_b, mm_store). */
export function checkedTileHooks(k: KernelBuilder): void {
  tileHooks(k);
  k.emit(shader('mm_store4'));
}

/** The 4-value load hooks from WGSL expressions (over b, m/n, k, M/N, K): checked ones by default. */
export function tileHooks(k: KernelBuilder, a = CHECKED.a, b = CHECKED.b, bt = CHECKED.bt): void {
  k.emit(`fn mm_a4(b: u32, m: u32, k: u32, M: u32, K: u32) -> vec4<MA> {\n  return ${a};\n}`);
  k.emit(`fn mm_b4(b: u32, k: u32, n: u32, K: u32, N: u32) -> vec4<MA> {\n  return ${b};\n}`);
  k.emit(`fn mm_bt4(b: u32, n: u32, k: u32, N: u32, K: u32) -> vec4<MA> {\n  return ${bt};\n}`);
}

/**
 * The tile loads of a product: with `fast` (float inputs, every tile inside the matrices) one
 * unchecked 16- (or 8-) byte load where an input is stored, else the checked loads. With
 * `half` (the f16 subgroup-matrix kernel) the unchecked loads are of stored float16 as
 * vec4<f16>, returned for its sm_* hooks, and the mm_* hooks stay checked.
 */
function tileLoads(k: KernelBuilder, g: ExprGen, a: MxArray, b: MxArray, M: number, N: number, K: number, bt: boolean, fast: boolean, half = false, big = false): { a?: string; b?: string; bt?: string } {
  const P = k.p, nd = a.ndim;
  const pn = P.u32(N), pk = P.u32(K);
  const inside = fast && b.ndim === nd;
  const la = inside ? storedFour(k, g, a, [K, 1], M * K, half) : null;
  const lb = inside && !bt ? storedFour(k, g, b, [N, 1], K * N, half) : null;
  const lt = inside && bt ? storedFour(k, g, b, [1, K], N * K, half) : null;
  const ea = la?.('b', `m * ${pk} + k`), eb = lb?.('b', `k * ${pn} + n`), et = lt?.('b', `n * ${pk} + k`);
  if (half) {
    tileHooks(k);
    return { a: ea, b: eb, bt: et };
  }
  const C = big ? BRANCHLESS : CHECKED;
  tileHooks(k, ea ?? C.a, eb ?? C.b, et ?? C.bt);
  return {};
}

/** B as rows of a stored weight W [N, K] (B = W^T, as Linear layers hold it), 16-byte aligned. */
function weightRows(cx: BuildCtx, b: MxArray, K: number, batch: number): { storage: Storage; offset: number } | null {
  if (!['float16', 'bfloat16', 'float32'].includes(b.dtype.name) || K % 8 !== 0) return null;
  const acc = cx.kernel('probe').g.accessOf(b);
  if (acc.src.kind !== 'buf' || acc.src.storage.dtype !== b.dtype || !acc.src.storage.gpu) return null;
  const nd = b.ndim, st = acc.strides;
  if (st[nd - 2] !== 1 || (st[nd - 1] !== K && b.shape[nd - 1] > 1) || acc.offset % 8 !== 0) return null;
  if (batch > 1 && st.slice(0, nd - 2).some((s) => s !== 0)) return null;
  return { storage: acc.src.storage, offset: acc.offset };
}

/**
 * The decode GEMVs' workgroup sum for F4_T threads: one slot per subgroup where the adapter's
 * subgroups are runs of one size (one barrier; 5% faster on an H100), else fold4_sg / fold4.
 */
export function fold4Shader(ctx: GpuContext, threads: number): string {
  const S = ctx.subgroupRun;
  if (S && threads % S === 0) return `const FS: u32 = ${S}u;\n${shader('fold4_sgf')}`;
  return shader(ctx.features.subgroups ? 'fold4_sg' : 'fold4');
}

/**
 * Emits `fn name(b, m, q) -> mat2x4<f32>`: values 8q..8q+7 of row m of x [batch, M, K]. A
 * stored, contiguous, 16-byte aligned f16/bf16/f32 x is read with vector loads; anything
 * else through its element function.
 */
export function emitX8(k: KernelBuilder, g: ExprGen, x: MxArray, name: string, M: number, K: number, lit = false): void {
  // lit: offsets and sizes as literals (not uniform reads)
  const P = lit ? { u32: (v: number) => `${v}u` } : k.p;
  const acc = K % 8 === 0 ? g.accessOf(x) : null;
  const st = acc?.src.kind === 'buf' ? acc.src.storage : null;
  const dt = storedFloat(x, st);
  if (acc && st?.gpu && dt && acc.offset % 8 === 0 && isContiguous(x.shape, acc.strides)) {
    const V = k.inputVec4(st);
    if (dt === 'float32') {
      k.emit(`fn ${name}(b: u32, m: u32, q: u32) -> mat2x4<f32> {\n  let i = ${P.u32(acc.offset / 4)} + (b * ${P.u32(M)} + m) * ${P.u32(K / 4)} + 2u * q;\n  return mat2x4<f32>(bitcast<vec4<f32>>(${V}[i]), bitcast<vec4<f32>>(${V}[i + 1u]));\n}`);
    } else {
      const two = halves(dt);
      k.emit(`fn ${name}(b: u32, m: u32, q: u32) -> mat2x4<f32> {\n  let v = ${V}[${P.u32(acc.offset / 8)} + (b * ${P.u32(M)} + m) * ${P.u32(K / 8)} + q];\n  return mat2x4<f32>(vec4<f32>(${two('v.x')}, ${two('v.y')}), vec4<f32>(${two('v.z')}, ${two('v.w')}));\n}`);
    }
    return;
  }
  const fx = g.fnOf(x);
  const el = (o: number) => toAcc(x.dtype, `${fx}(i + ${o}u)`);
  k.emit(`fn ${name}(b: u32, m: u32, q: u32) -> mat2x4<f32> {\n  let i = (b * ${P.u32(M)} + m) * ${P.u32(K)} + q * 8u;\n  return mat2x4<f32>(vec4<f32>(${el(0)}, ${el(1)}, ${el(2)}, ${el(3)}), vec4<f32>(${el(4)}, ${el(5)}, ${el(6)}, ${el(7)}));\n}`);
}

/** Decode matmul over weight rows: 16-byte loads, 8 outputs per workgroup (shaders/gemv_t.wgsl). */
function gemvRowsNode(
  cx: BuildCtx, n: MxArray, M: number, N: number, K: number, batch: number, root: MxArray | null, w: { storage: Storage; offset: number },
): Realized {
  const [a] = n._node!.inputs;
  const res = root ?? n;
  const out = cx.storage(wideOf(res.dtype), res.size, 'matmul');
  const { k, g } = cx.kernel('matmul.gemv');
  const P = k.p;
  const pm = P.u32(M), pn = P.u32(N);
  for (const [name, v] of [['rows', `${M}u`], ['n', pn], ['chunks', P.u32(K / 8)], ['batch', P.u32(batch)]] as const) k.emit(`fn gt_${name}() -> u32 {\n  return ${v};\n}`);
  emitX8(k, g, a, 'gt_x8', M, K);
  const W = k.inputVec4(w.storage);
  const dt = w.storage.dtype.name;
  if (dt === 'float32') {
    k.emit(`fn gt_w8(b: u32, n: u32, q: u32) -> mat2x4<f32> {\n  let i = ${P.u32(w.offset / 4)} + n * ${P.u32(K / 4)} + 2u * q;\n  return mat2x4<f32>(bitcast<vec4<f32>>(${W}[i]), bitcast<vec4<f32>>(${W}[i + 1u]));\n}`);
  } else {
    const two = halves(dt as 'float16' | 'bfloat16');
    k.emit(`fn gt_w8(b: u32, n: u32, q: u32) -> mat2x4<f32> {\n  let v = ${W}[${P.u32(w.offset / 8)} + n * ${P.u32(K / 8)} + q];\n  return mat2x4<f32>(vec4<f32>(${two('v.x')}, ${two('v.y')}), vec4<f32>(${two('v.z')}, ${two('v.w')}));\n}`);
  }
  const st = storeExpr(k, g, n, root, 'f32', 'v', 'i');
  k.emit(`fn gt_store(b: u32, m: u32, n: u32, v: f32) {\n  let i = (b * ${pm} + m) * ${pn} + n;\n${root ? '  mm_v = v;\n' : ''}  out[i] = ${st};\n}`);
  if (root) k.label = g.label('matmul.gemv');
  const maxDim = cx.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (M === 1) {
    // one row of x: 4 weight rows per workgroup share each x load (shaders/gemv4.wgsl)
    const Q = K / 8;
    k.label = k.label.replace('matmul.gemv', 'matmul.gemv4');
    const T = Q >= 256 ? 128 : Q >= 64 ? 64 : 32;
    k.emit(`const F4_T: u32 = ${T}u;`);
    k.emit(fold4Shader(cx.ctx, T));
    k.emit(shader('rows4'));
    k.emit('fn r4_store(b: u32, n: u32, v: f32) {\n  gt_store(b, 0u, n, v);\n}');
    cx.push(k.build('gemv4', 'gemv4', out.gpu!.buffer, grid(batch * Math.ceil(N / 4), maxDim)));
    return { storage: out, strides: contiguousStrides(res.shape), offset: 0 };
  }
  cx.push(k.build('gemv_t', 'gemvt_main', out.gpu!.buffer, grid(batch * Math.ceil(N / 8), maxDim)));
  return { storage: out, strides: contiguousStrides(res.shape), offset: 0 };
}

/** Few rows (decode): one workgroup per output column reads B along K (shaders/gemv.wgsl). */
function gemvNode(cx: BuildCtx, n: MxArray, M: number, N: number, K: number, batch: number, root: MxArray | null): Realized {
  const [a, b] = n._node!.inputs;
  const fast = weightRows(cx, b, K, batch);
  if (fast) return gemvRowsNode(cx, n, M, N, K, batch, root, fast);
  const res = root ?? n;
  const out = cx.storage(wideOf(res.dtype), res.size, 'matmul');
  const { k, g } = cx.kernel('matmul.gemv');
  const P = k.p;
  const pm = P.u32(M), pn = P.u32(N), pk = P.u32(K);
  for (const [name, v] of [['rows', `${M}u`], ['n', pn], ['k', pk], ['batch', P.u32(batch)]] as const) k.emit(`fn gv_${name}() -> u32 {\n  return ${v};\n}`);
  const fa = g.fnOf(a), fb = g.fnOf(b);
  k.emit(`fn gv_a(b: u32, m: u32, k: u32) -> f32 {\n  if (m >= ${pm}) {\n    return 0.0;\n  }\n  return ${toAcc(a.dtype, `${fa}((b * ${pm} + m) * ${pk} + k)`)};\n}`);
  k.emit(`fn gv_b(b: u32, k: u32, n: u32) -> f32 {\n  return ${toAcc(b.dtype, `${fb}((b * ${pk} + k) * ${pn} + n)`)};\n}`);
  const st = storeExpr(k, g, n, root, 'f32', 'v', 'i');
  k.emit(`fn gv_store(b: u32, m: u32, n: u32, v: f32) {\n  let i = (b * ${pm} + m) * ${pn} + n;\n${root ? '  mm_v = v;\n' : ''}  out[i] = ${st};\n}`);
  if (root) k.label = g.label('matmul.gemv');
  cx.push(k.build('gemv', 'gemv_main', out.gpu!.buffer, grid(batch * N, cx.ctx.limits.maxComputeWorkgroupsPerDimension)));
  return { storage: out, strides: contiguousStrides(res.shape), offset: 0 };
}
