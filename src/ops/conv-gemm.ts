// Convolution as an implicit GEMM: the WebGPU kernel is the tiled matmul template whose
// A-operand hook reads input windows straight from the (unpadded, undilated) input, so
// no im2col matrix is ever stored. Batch = groups, M = N * out positions, N = C_out /
// groups, K = kernel taps * C_in / groups. The CPU reference loops directly; gradients
// come from the composite formulation in conv.ts (pads, strided slices and matmuls).
import { contiguousStrides, sizeOf } from '../core/shape.ts';
import type { ExternOp, Spec } from '../ir/extern.ts';
import { grid } from '../backend/webgpu/kernel.ts';
import { checkedTileHooks } from '../backend/webgpu/kernels/matmul.ts';
import { accType, fromAcc, toAcc, wideBits, wideOf } from '../backend/webgpu/layout.ts';

/** Parameters of one convolution (spatial lists have one entry per axis). */
export interface ConvParams {
  stride: number[];
  /** Padding in the input-dilated coordinates (negative crops). */
  lo: number[];
  hi: number[];
  kernelDilation: number[];
  inputDilation: number[];
  groups: number;
  flip: boolean;
}

/** ConvParams with the output's spatial size (the kernel's attributes). */
export interface ConvGeom extends ConvParams {
  outSpatial: number[];
}

export function convOutputs([x, w]: Spec[], g: ConvGeom): Spec[] {
  return [{ shape: [x.shape[0], ...g.outSpatial, w.shape[0]], dtype: x.dtype }];
}

/** Reference convolution in float64, straight from the definition. */
function convCpu(x: Float64Array, xs: readonly number[], w: Float64Array, ws: readonly number[], g: ConvGeom): Float64Array {
  const d = xs.length - 2;
  const N = xs[0], C = xs[d + 1], Cout = ws[0], G = g.groups, Cg = C / G, Og = Cout / G;
  const S = xs.slice(1, -1), Kd = ws.slice(1, -1), O = g.outSpatial;
  const nOut = sizeOf(O), nK = sizeOf(Kd);
  const out = new Float64Array(N * nOut * Cout);
  const oIdx = new Array<number>(d), kIdx = new Array<number>(d);
  for (let n = 0; n < N; n++) {
    for (let op = 0; op < nOut; op++) {
      let r = op;
      for (let i = d - 1; i >= 0; i--) (oIdx[i] = r % O[i]), (r = Math.floor(r / O[i]));
      for (let co = 0; co < Cout; co++) {
        const grp = Math.floor(co / Og);
        let acc = 0;
        for (let kp = 0; kp < nK; kp++) {
          let q = kp;
          for (let i = d - 1; i >= 0; i--) (kIdx[i] = q % Kd[i]), (q = Math.floor(q / Kd[i]));
          let src = n, ok = true;
          for (let i = 0; i < d && ok; i++) {
            const p = oIdx[i] * g.stride[i] + kIdx[i] * g.kernelDilation[i] - g.lo[i];
            const s = p / g.inputDilation[i];
            ok = p >= 0 && Number.isInteger(s) && s < S[i];
            src = src * S[i] + s;
          }
          if (!ok) continue;
          let wk = co;
          for (let i = 0; i < d; i++) wk = wk * Kd[i] + (g.flip ? Kd[i] - 1 - kIdx[i] : kIdx[i]);
          for (let c = 0; c < Cg; c++) acc += x[src * C + grp * Cg + c] * w[wk * Cg + c];
        }
        out[(n * nOut + op) * Cout + co] = acc;
      }
    }
  }
  return out;
}

/** The implicit-GEMM convolution op (its vjp/jvp are attached by conv.ts). */
export const CONV: ExternOp<ConvGeom> = {
  name: 'conv',
  outputs: convOutputs,
  cpu: ([x, w], g) => [convCpu(x.data, x.shape, w.data, w.shape, g)],
  gpu(cx, [x, w], [o], g) {
    const d = x.ndim - 2;
    const N = x.shape[0], C = x.shape[d + 1], Cout = w.shape[0], G = g.groups, Cg = C / G, Og = Cout / G;
    const S = x.shape.slice(1, -1), Kd = w.shape.slice(1, -1);
    const M = N * sizeOf(g.outSpatial), K = sizeOf(Kd) * Cg;
    const A = accType(o.dtype);
    const out = cx.storage(wideOf(o.dtype), sizeOf(o.shape), 'conv');
    const { k, g: gen } = cx.kernel('conv');
    const P = k.p;
    const pm = P.u32(M), pn = P.u32(Og), pk = P.u32(K), pcg = P.u32(Cg), pc = P.u32(C), pco = P.u32(Cout);
    const tm = Math.ceil(M / 64), tn = Math.ceil(Og / 64);
    k.emit(`alias MA = ${A};`);
    k.emit('const MM_BT: bool = false;');
    for (const [name, v] of [['m', pm], ['n', pn], ['k', pk], ['batch', P.u32(G)], ['tiles_m', P.u32(tm)], ['tiles_n', P.u32(tn)]] as const) {
      k.emit(`fn mm_${name}() -> u32 {\n  return ${v};\n}`);
    }
    const fx = gen.fnOf(x), fw = gen.fnOf(w);
    // one shader for 1-, 2- and 3-D convolutions: leading unit axes pad the rank to 3 (the
    // flat indices do not change) and dilation/flip are parameters, so variants share it
    const lead = 3 - d;
    const ax = <T>(v: readonly T[], one: T): T[] => [...new Array<T>(lead).fill(one), ...v];
    const [OS, SS, KS] = [ax(g.outSpatial, 1), ax(S, 1), ax(Kd, 1)];
    const [ST, KD, ID, LO] = [ax(g.stride, 1), ax(g.kernelDilation, 1), ax(g.inputDilation, 1), ax(g.lo, 0)];
    const flip = P.u32(g.flip ? 1 : 0);
    // A[g][m][k]: m -> (n, o0, o1, o2), k -> (k0, k1, k2, c); zero outside the input and
    // between the elements of a dilated input
    const a: string[] = ['  var r = m;'];
    for (let i = 2; i >= 0; i--) a.push(`  let o${i} = r % ${P.u32(OS[i])};`, `  r = r / ${P.u32(OS[i])};`);
    a.push('  var src = r;', `  var q = k / ${pcg};`, `  let c = k % ${pcg};`);
    for (let i = 2; i >= 0; i--) a.push(`  let k${i} = q % ${P.u32(KS[i])};`, `  q = q / ${P.u32(KS[i])};`);
    for (let i = 0; i < 3; i++) {
      const dil = P.i32(ID[i]);
      a.push(`  let p${i} = i32(o${i} * ${P.u32(ST[i])} + k${i} * ${P.u32(KD[i])}) - ${P.i32(LO[i])};`);
      a.push(`  if (p${i} < 0 || (p${i} % ${dil}) != 0) {\n    return MA(0);\n  }`);
      a.push(`  let s${i} = u32(p${i} / ${dil});`, `  if (s${i} >= ${P.u32(SS[i])}) {\n    return MA(0);\n  }`);
      a.push(`  src = src * ${P.u32(SS[i])} + s${i};`);
    }
    a.push(`  return ${toAcc(x.dtype, `${fx}(src * ${pc} + b * ${pcg} + c)`)};`);
    k.emit(`fn mm_a(b: u32, m: u32, k: u32) -> MA {\n${a.join('\n')}\n}`);
    // B[g][k][n] = weight[g * Og + n, k0, k1, k2 (flipped for true convolution), c]
    const bl: string[] = [`  var q = k / ${pcg};`, `  let c = k % ${pcg};`, `  var wk = b * ${pn} + n;`];
    for (let i = 2; i >= 0; i--) bl.push(`  let k${i} = q % ${P.u32(KS[i])};`, `  q = q / ${P.u32(KS[i])};`);
    for (let i = 0; i < 3; i++) bl.push(`  wk = wk * ${P.u32(KS[i])} + select(k${i}, ${P.u32(KS[i] - 1)} - k${i}, ${flip} != 0u);`);
    bl.push(`  return ${toAcc(w.dtype, `${fw}(wk * ${pcg} + c)`)};`);
    k.emit(`fn mm_b(b: u32, k: u32, n: u32) -> MA {\n${bl.join('\n')}\n}`);
    k.emit(`fn mm_store(b: u32, m: u32, n: u32, v: MA) {\n  out[m * ${pco} + b * ${pn} + n] = ${wideBits(o.dtype, fromAcc(o.dtype, 'v'))};\n}`);
    checkedTileHooks(k);
    cx.push(k.build('matmul', 'matmul_main', out.gpu!.buffer, grid(G * tm * tn, cx.ctx.limits.maxComputeWorkgroupsPerDimension)));
    return [{ storage: out, strides: contiguousStrides(o.shape), offset: 0 }];
  },
};

