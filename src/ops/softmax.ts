// Softmax along one axis as a single kernel: an extern op whose WebGPU kernel makes three
// passes over each row in one dispatch (shaders/softmax.wgsl), reading the row through
// fused elementwise producers (a bias add before it costs no extra kernel). The CPU
// reference works in float64; derivatives are the closed forms y (g - sum(g y)).
import { contiguousStrides, nextPow2, sizeOf } from '../core/shape.ts';
import type { ExternOp } from '../ir/extern.ts';
import { grid } from '../backend/webgpu/kernel.ts';
import { narrow, wideOf } from '../backend/webgpu/layout.ts';
import { multiply, subtract } from './elementwise.ts';
import { sum } from './reduce.ts';

const SWG = 256;

/** Softmax over the last axis of its one input. */
export const SOFTMAX: ExternOp<null> = {
  name: 'softmax',
  fuseElementwise: true,
  outputs: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
  cpu([x]) {
    const n = x.shape[x.shape.length - 1];
    const y = new Float64Array(x.data.length);
    for (let o = 0; o < x.data.length; o += n) {
      let m = -Infinity, s = 0;
      for (let j = 0; j < n; j++) m = Math.max(m, x.data[o + j]);
      for (let j = 0; j < n; j++) s += Math.exp(x.data[o + j] - m);
      for (let j = 0; j < n; j++) y[o + j] = Math.exp(x.data[o + j] - m) / s;
    }
    return [y];
  },
  gpu(cx, [x], [o]) {
    const n = x.shape[x.ndim - 1];
    const rows = n ? sizeOf(x.shape) / n : 0;
    const tpr = Math.min(SWG, nextPow2(Math.ceil(n / 4)));
    const st = cx.storage(wideOf(o.dtype), sizeOf(o.shape), 'softmax');
    const { k, g } = cx.kernel('softmax');
    const p = k.p;
    const ld = g.fnOf(x);
    const N = p.u32(n);
    k.emit(`const SWG: u32 = ${SWG}u;`);
    k.emit(`fn sm_rows() -> u32 {\n  return ${p.u32(rows)};\n}\nfn sm_len() -> u32 {\n  return ${N};\n}\nfn sm_tpr() -> u32 {\n  return ${p.u32(tpr)};\n}`);
    k.emit(`fn sm_load(row: u32, j: u32) -> f32 {\n  return f32(${ld}(row * ${N} + j));\n}`);
    k.emit(`fn sm_store(row: u32, j: u32, y: f32) {\n  out[row * ${N} + j] = bitcast<u32>(${narrow(o.dtype, 'y')});\n}`);
    cx.push(k.build('softmax', 'softmax_main', st.gpu!.buffer, grid(Math.ceil(rows / (SWG / tpr)), cx.ctx.limits.maxComputeWorkgroupsPerDimension)));
    return [{ storage: st, strides: contiguousStrides(o.shape), offset: 0 }];
  },
  vjp: (_ins, [y], g) => [multiply(y, subtract(g, sum(multiply(g, y), -1, true)))],
  jvp: (_ins, [y], [t]) => (t ? multiply(y, subtract(t, sum(multiply(t, y), -1, true))) : null),
};

