// WebGPU kernels of the quantized ops. quantize/dequantize are map kernels (one thread per
// output word); quantizedMatmul and gatherQmm dequantize in registers (GEMV template for
// transpose with at most 8 rows) or in the 64x64 float tile kernel's loads (shaders/matmul.wgsl).
import type { MxArray, Realized } from '../core/array.ts';
import { uint32 } from '../core/dtype.ts';
import { contiguousStrides, isContiguous, type Shape } from '../core/shape.ts';
import type { Epilogue, Spec } from '../ir/extern.ts';
import type { BuildCtx } from '../backend/webgpu/segment.ts';
import { grid } from '../backend/webgpu/kernel.ts';
import { mapKernel } from '../backend/webgpu/kernels/map.ts';
import { emitX8, fold4Shader, halfFour, tileHooks } from '../backend/webgpu/kernels/matmul.ts';
import { subgroupMatrixHooks, subgroupMatrixPlan } from '../backend/webgpu/kernels/matmul_sm.ts';
import { narrow, wideBits, wideOf } from '../backend/webgpu/layout.ts';
import { shader } from '../backend/webgpu/wgsl.ts';
import { packedDims, qmmWeightInputs, type QmmAttrs } from './cpu.ts';
import type { QuantParams } from './layout.ts';

const last = (s: Shape): number => s[s.length - 1];
const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);
const real = (st: Realized['storage'], shape: Shape): Realized => ({ storage: st, strides: contiguousStrides(shape), offset: 0 });
/**
 * Threads per workgroup of the one-row 4/8-bit GEMV (4 rows a workgroup) for `packs` packs of
 * 32 values per row over `workgroups` workgroups. A grid of many waves (batched weights,
 * experts) streamed faster with 64 threads at K = 4096 (2 packs each); one weight's grid is a
 * single wave, where 128 threads finish sooner (lent H100, sessions 12-13).
 */
export function gemv4Threads(packs: number, workgroups: number): number {
  if (packs === 128 && workgroups >= 8192) return 64;
  return packs >= 128 ? 128 : packs >= 64 ? 64 : 32;
}
const fn = (name: string, args: string, ret: string, body: string): string => `fn ${name}(${args}) -> ${ret} {\n${body}\n}`;

/** WGSL reading code k (u32 expr) of packed row r from loader `ld` (row length W words). */
function codeExpr(k: ReturnType<BuildCtx['kernel']>['k'], ld: string, bitsValue: number): string {
  const name = k.fresh('qz_code');
  const bits = k.p.u32(bitsValue);
  k.emit(fn(name, 'row0: u32, k: u32', 'u32', [
    `  let bit = k * ${bits};`, '  let j = row0 + (bit >> 5u);', '  let sh = bit & 31u;', `  var v = ${ld}(j) >> sh;`,
    `  if (sh + ${bits} > 32u) {\n    v |= ${ld}(j + 1u) << (32u - sh);\n  }`, `  return v & ((1u << ${bits}) - 1u);`,
  ].join('\n')));
  return name;
}

/** quantize on the GPU: group parameters into a temporary, then the words and the scales. */
export function quantizeGpu(cx: BuildCtx, w: MxArray, outs: Spec[], q: QuantParams): Realized[] {
  const K = last(w.shape), rows = size(w.shape) / K;
  const G = rows * (K / q.groupSize), W = (K * q.bits) / 32;
  const per = q.mode === 'affine' ? 2 : 1;
  const tmp = cx.temp(uint32, G * per, 'quantize params');
  {
    const { k, g } = cx.kernel('quantize.params');
    const ld = g.fnOf(w);
    const gs = k.p.u32(q.groupSize), bins = k.p.f32(2 ** q.bits - 1);
    k.emit(shader('quant'));
    const scan = [`  let s0 = (i / ${per}u) * ${gs};`, '  var hi = bitcast<f32>(0xff7fffffu);', '  var lo = bitcast<f32>(0x7f7fffffu);', '  var amax = 0.0;',
      `  for (var j = 0u; j < ${gs}; j++) {\n    let v = f32(${ld}(s0 + j));\n    hi = max(hi, v);\n    lo = min(lo, v);\n    amax = max(amax, abs(v));\n  }`];
    const body = q.mode === 'affine'
      ? [...scan, '  let side = abs(lo) > abs(hi);', `  var scale = max((hi - lo) / ${bins}, bitcast<f32>(0x33d6bf95u));`,
        '  scale = select(-scale, scale, side);', '  let edge = select(hi, lo, side);', '  let q0 = round(edge / scale);',
        '  var bias = 0.0;', '  if (q0 != 0.0) {\n    scale = edge / q0;\n    bias = edge;\n  }',
        '  return bitcast<u32>(select(scale, bias, (i & 1u) == 1u));']
      : [...scan, '  return qz_e8m0_code(amax / 6.0);'];
    k.emit(fn('qz_param', 'i: u32', 'u32', body.join('\n')));
    mapKernel(cx, k, 'qz_param', uint32, G * per, tmp);
  }
  const { k, g } = cx.kernel('quantize.pack');
  const ld = g.fnOf(w), lp = k.input(tmp);
  k.emit(shader('quant'));
  const bits = k.p.u32(q.bits), gpb = k.p.u32(q.groupSize * q.bits), top = k.p.f32(2 ** q.bits - 1);
  // the values whose bits touch word j of its row; they all lie in one group
  const enc = q.mode === 'affine'
    ? `clamp(round((v - bitcast<f32>(${lp}(2u * grp + 1u))) / bitcast<f32>(${lp}(2u * grp))), 0.0, ${top})`
    : `qz_fp4_code(ldexp(v, 127 - i32(${lp}(grp))))`;
  const pW = k.p.u32(W), pK = k.p.u32(K), pG = k.p.u32(K / q.groupSize);
  k.emit(fn('qz_word', 'i: u32', 'u32', [
    `  let r = i / ${pW};`, `  let b0 = (i % ${pW}) * 32u;`, `  let grp = r * ${pG} + b0 / ${gpb};`,
    '  var word = 0u;', `  for (var kk = b0 / ${bits}; kk * ${bits} < b0 + 32u; kk++) {`,
    `    let v = f32(${ld}(r * ${pK} + kk));`, `    let c = u32(${enc});`, `    let at = kk * ${bits};`,
    '    if (at >= b0) {\n      word |= c << (at - b0);\n    } else {\n      word |= c >> (b0 - at);\n    }', '  }', '  return word;',
  ].join('\n')));
  const wq = mapKernel(cx, k, 'qz_word', uint32, rows * W);
  const res = [real(wq, outs[0].shape)];
  for (let o = 1; o < outs.length; o++) {
    const { k: k2 } = cx.kernel(`quantize.${o === 1 ? 'scales' : 'biases'}`);
    const l2 = k2.input(tmp);
    const body = q.mode === 'affine' ? `  return bitcast<f32>(${l2}(2u * i + ${o - 1}u));` : `  return ${l2}(i);`;
    k2.emit(fn('qz_out', 'i: u32', q.mode === 'affine' ? 'f32' : 'u32', body));
    res.push(real(mapKernel(cx, k2, 'qz_out', outs[o].dtype, G), outs[o].shape));
  }
  return res;
}

/** dequantize on the GPU: one map kernel over the output. */
export function dequantizeGpu(cx: BuildCtx, ins: MxArray[], out: Spec, q: QuantParams): Realized {
  const [wq, scales, biases] = ins;
  const cols = last(out.shape), W = last(wq.shape), G = cols / q.groupSize;
  const { k, g } = cx.kernel('dequantize');
  const lw = g.fnOf(wq), ls = g.fnOf(scales), lb = biases ? g.fnOf(biases) : '';
  k.emit(shader('quant'));
  const code = codeExpr(k, lw, q.bits);
  const val = biases ? `f32(${ls}(gi)) * f32(c) + f32(${lb}(gi))` : `qz_fp4_val(c) * qz_e8m0_val(u32(${ls}(gi)))`;
  const pC = k.p.u32(cols), pW = k.p.u32(W), pG = k.p.u32(G);
  k.emit(fn('dq_el', 'i: u32', 'f32', [
    `  let r = i / ${pC};`, `  let kk = i % ${pC};`, `  let c = ${code}(r * ${pW}, kk);`, `  let gi = r * ${pG} + kk / ${k.p.u32(q.groupSize)};`, `  return ${val};`,
  ].join('\n')));
  return real(mapKernel(cx, k, 'dq_el', out.dtype, size(out.shape)), out.shape);
}

/** quantizedMatmul / gatherQmm on the GPU: x [Bx, M, K], w [Bw, rows, words] -> [P, M, N]. */
export function qmmGpu(cx: BuildCtx, ins: MxArray[], out: Spec, a: QmmAttrs, epi?: Epilogue): Realized {
  const [x, wq, scales] = ins;
  const nw = qmmWeightInputs(a);
  const biases = a.q.mode === 'affine' ? ins[3] : null;
  const [P, M, N] = out.shape;
  const K = last(x.shape), { batches: Bw, rows, words: W } = packedDims(wq.shape);
  const G = (W * 32) / a.q.bits / a.q.groupSize;
  const gemv = a.transpose && M <= 8;
  const { k, g } = cx.kernel(gemv ? 'quantizedMatmul.gemv' : 'quantizedMatmul.tiled');
  const p = k.p;
  const pM = p.u32(M), pN = p.u32(N), pK = p.u32(K), pW = p.u32(W), pG = p.u32(G), pR = p.u32(rows);
  const lx = g.fnOf(x), lw = g.fnOf(wq), ls = g.fnOf(scales), lb = biases ? g.fnOf(biases) : '';
  k.emit(shader('quant'));
  // batch p reads x[xb(p)] and w[wb(p)]
  const xb = a.gather ? `u32(${g.fnOf(ins[nw])}(b))` : 'b';
  const wb = a.gather ? `u32(${g.fnOf(ins[nw + 1])}(b))` : Bw === 1 ? '0u' : 'b';
  k.emit(fn('qm_x', 'b: u32, m: u32, k: u32', 'f32', `  return f32(${lx}((${xb} * ${pM} + m) * ${pK} + k));`));
  k.emit(fn('qm_word', 'b: u32, r: u32, j: u32', 'u32', `  return ${lw}((${wb} * ${pR} + r) * ${pW} + j);`));
  const sb = biases
    ? `vec2<f32>(f32(${ls}(gi)), f32(${lb}(gi)))`
    : `vec2<f32>(qz_e8m0_val(u32(${ls}(gi))), 0.0)`;
  k.emit(fn('qm_sbg', 'b: u32, r: u32, grp: u32', 'vec2<f32>', `  let gi = (${wb} * ${pR} + r) * ${pG} + grp;\n  return ${sb};`));
  k.emit(fn('qm_val', 'c: u32', 'f32', biases ? '  return f32(c);' : '  return qz_fp4_val(c);'));
  const T = out.dtype;
  const st = cx.storage(wideOf(epi ? epi.root.dtype : T), size(out.shape), 'quantizedMatmul');
  if (epi) {
    // an elementwise epilogue (residual add, activation): its root is stored instead, reading
    // the product through qm_product
    k.emit(`var<private> qm_v: f32;`);
    k.emit(fn('qm_product', 'i: u32', 'f32', `  return ${narrow(T, 'qm_v')};`));
    g.provide(epi.node, 'qm_product');
    const rf = g.fnOf(epi.root);
    k.emit(`fn qm_store(b: u32, m: u32, n: u32, v: f32) {\n  let i = (b * ${pM} + m) * ${pN} + n;\n  qm_v = v;\n  out[i] = ${wideBits(epi.root.dtype, `${rf}(i)`)};\n}`);
    k.label = g.label(k.label);
  } else k.emit(`fn qm_store(b: u32, m: u32, n: u32, v: f32) {\n  out[(b * ${pM} + m) * ${pN} + n] = ${wideBits(T, narrow(T, 'v'))};\n}`);
  // lit: sizes, strides and offsets written into the code rather than read from the uniform
  // (the one-x-row 4-bit GEMV: 12% faster per call on an H100 at 4096^2; at 8 bits the same
  // made 4096x11008 10% slower per call, so 8 bits keep the uniforms)
  const lit = gemv && M === 1 && !!biases && a.q.bits === 4 && !a.gather;
  const u = lit ? (v: number) => `${v}u` : (v: number) => p.u32(v);
  k.emit(fn('qm_batch', '', 'u32', `  return ${u(P)};`));
  const maxDim = cx.ctx.limits.maxComputeWorkgroupsPerDimension;
  // 4 and 8 bits over stored, aligned rows: a pack of 32 codes in 16 or 32 bytes (qm_pack4);
  // sbHook: the pack's scale and bias (qm_sb)
  // stored contiguous 4/8-bit weights whose packs of 32 codes load as 16-byte words
  const packSource = () => {
    const acc = (a.q.bits === 4 || a.q.bits === 8) && !a.gather && K % 32 === 0 ? g.accessOf(wq) : null;
    const src = acc?.src.kind === 'buf' ? acc.src.storage : null;
    if (!acc || !src?.gpu || src.dtype !== uint32 || acc.offset % 4 !== 0 || W % 4 !== 0 || !isContiguous(wq.shape, acc.strides)) return null;
    return { acc, src };
  };
  const packHooks = (): boolean => {
    const ps = packSource();
    if (!ps) return false;
    const { acc, src } = ps;
    const V = k.inputVec4(src);
    k.emit(fn('qm_pack4', 'b: u32, n: u32, pk: u32, h: u32', 'vec4<u32>', `  return ${V}[${u(acc.offset / 4)} + (${wb} * ${u(rows)} + n) * ${u(W / 4)} + pk * ${a.q.bits / 4}u + h];`));
    return true;
  };
  const sbHook = () => {
    // with lit, stored contiguous scales and biases load at literal offsets
    const plain = (arr: MxArray | null) => {
      const x = lit && arr ? g.accessOf(arr) : null;
      return x?.src.kind === 'buf' && x.src.storage.gpu && isContiguous(arr!.shape, x.strides) ? { ld: k.input(x.src.storage), offset: x.offset } : null;
    };
    const ps = plain(scales), pb = plain(biases);
    if (ps && pb) {
      const gi = `(${wb} * ${rows}u + n) * ${G}u + pk * 32u / ${a.q.groupSize}u`;
      k.emit(fn('qm_sb', 'b: u32, n: u32, pk: u32', 'vec2<f32>', `  let gi = ${gi};\n  return vec2<f32>(f32(${ps.ld}(${ps.offset}u + gi)), f32(${pb.ld}(${pb.offset}u + gi)));`));
    } else k.emit(fn('qm_sb', 'b: u32, n: u32, pk: u32', 'vec2<f32>', `  return qm_sbg(b, n, pk * 32u / ${a.q.groupSize}u);`));
  };
  if (gemv) {
    const blocks = Math.ceil(N / 4);
    // constants: the kernels' loops over rows and bits then unroll
    k.emit(fn('qm_bits', '', 'u32', `  return ${a.q.bits}u;`));
    k.emit(fn('qm_rows', '', 'u32', `  return ${M}u;`));
    k.emit(fn('qm_cols', '', 'u32', `  return ${u(N)};`));
    k.emit(fn('qm_packs', '', 'u32', `  return ${K / 32}u;`));
    k.emit(fn('qm_blocks', '', 'u32', `  return ${p.u32(blocks)};`));
    sbHook();
    // 16-byte loads, 32 threads per row
    if (packHooks()) {
      emitX8(k, g, x, 'qm_x8', M, K, lit);
      if (M === 1 && biases) {
        // one row of x: 4 weight rows per workgroup share each x load
        const T = gemv4Threads(K / 32, P * Math.ceil(N / 4));
        k.label = k.label.replace('quantizedMatmul.gemv', 'quantizedMatmul.gemv4');
        k.emit(`const F4_T: u32 = ${T}u;\nconst QG_BITS: u32 = ${a.q.bits}u;`);
        k.emit(fold4Shader(cx.ctx, T));
        k.emit(shader('rows4'));
        k.emit(`fn r4_store(b: u32, n: u32, v: f32) {\n  qm_store(b, 0u, n, v);\n}`);
        cx.push(k.build('quant_gemv4', 'qgemv4', st.gpu!.buffer, grid(P * Math.ceil(N / 4), maxDim)));
        return real(st, epi ? epi.root.shape : out.shape);
      }
      cx.push(k.build('quant_gemv_rows', 'qmv_rows', st.gpu!.buffer, grid(P * Math.ceil(N / 8), maxDim)));
      return real(st, epi ? epi.root.shape : out.shape);
    }
    // 2, 4 and 8 bits decode word by word without per-thread arrays
    const entry = 32 % a.q.bits === 0 ? 'qmv_pow2' : 'qmv_main';
    cx.push(k.build('quant_gemv', entry, st.gpu!.buffer, grid(P * blocks, maxDim)));
  } else {
    // the 64x64 float tile kernel (shaders/matmul.wgsl) over the weight as a K x N matrix
    // (stored [N, K] with transpose, so B's K axis is contiguous), dequantized as tiles load;
    // float16 x on a device with f16 subgroup-matrix units: those (weights dequantized to f16)
    // packed transposed weights may take K steps of two packs on small tiles (as float products)
    const sm = subgroupMatrixPlan(cx.ctx, x.dtype, x.dtype, P, M, N, a.transpose && packSource() ? K : 0);
    if (sm) k.label = k.label.replace('quantizedMatmul.tiled', 'quantizedMatmul.sm');
    const T = sm ? sm.tile : 64;
    const tm = Math.ceil(M / T), tn = Math.ceil(N / T);
    k.emit(`alias MA = f32;\nconst MM_BT: bool = ${a.transpose};`);
    const consts: [string, string][] = [['m', pM], ['n', pN], ['k', pK], ['batch', p.u32(P)], ['tiles_m', p.u32(tm)], ['tiles_n', p.u32(tn)]];
    for (const [name, v] of consts) k.emit(fn(`mm_${name}`, '', 'u32', `  return ${v};`));
    const [r, c] = a.transpose ? ['n', 'k'] : ['k', 'n'];
    const bits = p.u32(a.q.bits), gs = p.u32(a.q.groupSize);
    k.emit(fn('qm_w', 'b: u32, k: u32, n: u32', 'f32', [
      `  let bit = ${c} * ${bits};`, '  let j = bit >> 5u;', '  let sh = bit & 31u;', `  var v = qm_word(b, ${r}, j) >> sh;`,
      `  if (sh + ${bits} > 32u) {\n    v |= qm_word(b, ${r}, j + 1u) << (32u - sh);\n  }`,
      `  let sb = qm_sbg(b, ${r}, ${c} / ${gs});`,
      `  return sb.x * qm_val(v & ((1u << ${bits}) - 1u)) + sb.y;`,
    ].join('\n')));
    k.emit(fn('mm_a', 'b: u32, m: u32, k: u32', 'f32', '  return qm_x(b, m, k);'));
    k.emit(fn('mm_b', 'b: u32, k: u32, n: u32', 'f32', '  return qm_w(b, k, n);'));
    k.emit('fn mm_store(b: u32, m: u32, n: u32, v: f32) {\n  qm_store(b, m, n, v);\n}');
    if (32 % a.q.bits === 0) {
      // at 2, 4 and 8 bits, 4 consecutive codes of a stored row (4-aligned, so inside one
      // group) lie in one word: one word and one scale load per 4 values
      const q = a.q.bits;
      const codes = [0, 1, 2, 3].map((j) => `qm_val((w >> ${j * q}u) & ${(1 << q) - 1}u)`).join(', ');
      k.emit(fn('qm_w4', 'b: u32, r: u32, c: u32, R: u32, C: u32', 'vec4<f32>', [
        '  if (r >= R || c >= C) {\n    return vec4<f32>(0.0);\n  }', `  let bit = c * ${bits};`, '  let w = qm_word(b, r, bit >> 5u) >> (bit & 31u);',
        `  let sb = qm_sbg(b, r, c / ${gs});`, `  return sb.x * vec4<f32>(${codes}) + sb.y;`,
      ].join('\n')));
      if (a.transpose) tileHooks(k, undefined, undefined, 'qm_w4(b, n, k, N, K)');
      else tileHooks(k, undefined, 'qm_w4(b, k, n, K, N)');
    } else tileHooks(k);
    if (sm) {
      // float16 x stored as such, in whole tiles: 8-byte loads of 4 values
      const fx = !a.gather && sm.config.componentType === 'f16' && M % sm.tile === 0 && K % sm.bk === 0 ? halfFour(k, g, x, [K, 1], M * K) : null;
      // transposed 4- and 8-bit weights in K steps of one or two packs: packs load whole
      const packed = a.transpose && ((sm.bk === 32 && (sm.tile === 64 || sm.tile === 128)) || (sm.bk === 64 && sm.tile === 64)) && packHooks();
      if (packed) {
        sbHook();
        k.emit(`const QB_BITS: u32 = ${a.q.bits}u;`);
      }
      subgroupMatrixHooks(k, sm, a.transpose, fx ? { a: fx('b', `m * ${pK} + k`) } : {}, true, packed);
      cx.push(k.build('matmul_sm', 'matmul_sm', st.gpu!.buffer, grid(P * tm * tn, maxDim)));
      return real(st, epi ? epi.root.shape : out.shape);
    }
    k.emit(shader('mm_store4'));
    cx.push(k.build('matmul', 'matmul_main', st.gpu!.buffer, grid(P * tm * tn, maxDim)));
  }
  return real(st, epi ? epi.root.shape : out.shape);
}
