// The extern-op mechanism (src/ir/extern.ts) on a toy two-output op: row min and max.
// Checks one kernel run per call, the CPU fallback, compile replay, vmap and grad rules.
import { suite } from '../harness/suite.ts';
import { assertEqual, assertThrows } from '../harness/assert.ts';
import { mx, onDevice } from './common.ts';
import type { ExternOp } from '../../src/ir/extern.ts';
import { callExtern } from '../../src/ops/extern.ts';
import { mapKernel } from '../../src/backend/webgpu/kernels/map.ts';
import type { MxArray } from '../../src/core/array.ts';

let cpuRuns = 0;
let gpuRuns = 0;

const rowSpecs = (ins: { shape: readonly number[]; dtype: mx.Dtype }[]) => {
  const s = ins[0].shape;
  if (s.length < 1) throw new Error(`[rowMinMax] needs at least 1 dimension, got shape (${s.join(',')})`);
  return [0, 1].map(() => ({ shape: s.slice(0, -1), dtype: ins[0].dtype }));
};

function hostMinMax(data: Float64Array, n: number): Float64Array[] {
  const rows = n ? data.length / n : 0;
  const lo = new Float64Array(rows), hi = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    lo[r] = Infinity;
    hi[r] = -Infinity;
    for (let j = 0; j < n; j++) {
      lo[r] = Math.min(lo[r], data[r * n + j]);
      hi[r] = Math.max(hi[r], data[r * n + j]);
    }
  }
  return [lo, hi];
}

const MINMAX: ExternOp<null> = {
  name: 'rowMinMax',
  outputs: rowSpecs,
  cpu(ins) {
    cpuRuns++;
    return hostMinMax(ins[0].data, ins[0].shape[ins[0].shape.length - 1]);
  },
  gpu(cx, [x], outs) {
    gpuRuns++;
    const n = x.shape[x.ndim - 1];
    return ['min', 'max'].map((f, o) => {
      const { k, g } = cx.kernel(`rowMinMax.${f}`);
      const ld = g.fnOf(x);
      const N = k.p.u32(n);
      k.emit(`fn mm_row(r: u32) -> f32 {\n  var acc = ${ld}(r * ${N});\n  for (var j = 1u; j < ${N}; j++) {\n    acc = ${f}(acc, ${ld}(r * ${N} + j));\n  }\n  return acc;\n}`);
      const size = outs[o].shape.reduce((a, b) => a * b, 1);
      return { storage: mapKernel(cx, k, 'mm_row', outs[o].dtype, size), strides: [...outs[o].shape.keys()].map((i) => outs[o].shape.slice(i + 1).reduce((a, b) => a * b, 1)), offset: 0 };
    });
  },
  vjp(ins, outs, g, index) {
    // the gradient flows to the first position holding the extreme
    const x = ins[0];
    const y = mx.expandDims(outs[index], -1);
    const hit = mx.equal(x, y);
    const first = mx.equal(mx.cumsum(hit.astype(mx.int32), -1), 1);
    return [mx.multiply(mx.logicalAnd(hit, first).astype(x.dtype), mx.expandDims(g, -1))];
  },
};
const CPU_ONLY_OP: ExternOp<null> = { name: 'rowMinMaxHost', outputs: rowSpecs, cpu: MINMAX.cpu };

const minMax = (x: MxArray, op = MINMAX) => callExtern(op, [x], null, x.device);

export const externSuite = suite('extern', (t) => {
  const test = onDevice(t);

  test('two outputs of one call run one kernel', async (ctx) => {
    const x = mx.array([[3, -1, 2], [0, 5, 4]], mx.float32);
    const [lo, hi] = minMax(mx.multiply(x, 2));
    const c0 = cpuRuns, g0 = gpuRuns;
    await mx.eval(lo, hi);
    assertEqual(await lo.tolist(), [-2, 0]);
    assertEqual(await hi.tolist(), [6, 10]);
    if (ctx.device === 'gpu') assertEqual(gpuRuns - g0, 1);
    else assertEqual(cpuRuns - c0, 1);
  });

  test('an op without a WebGPU kernel runs on the CPU and its result moves', async () => {
    const x = mx.array([[1, 7], [4, 2]], mx.float32);
    const [lo, hi] = minMax(mx.add(x, 1), CPU_ONLY_OP);
    const s = mx.add(lo, hi);
    assertEqual(await s.tolist(), [10, 8]);
  });

  test('compile replays a fresh call per invocation', async () => {
    const f = mx.compile((x: MxArray) => {
      const [lo, hi] = minMax(x);
      return mx.subtract(hi, lo);
    });
    assertEqual(await f(mx.array([[1, 5]], mx.float32)).tolist(), [4]);
    assertEqual(await f(mx.array([[2, 9]], mx.float32)).tolist(), [7]);
    assertEqual(f.traces(), 1);
  });

  test('vmap applies the op per element without a batching rule', async () => {
    const f = mx.vmap((x: MxArray) => minMax(x)[1]);
    const y = f(mx.array([[[1, 2], [3, 0]], [[5, 5], [-1, -2]]], mx.float32));
    assertEqual(await y.tolist(), [[2, 3], [5, -1]]);
  });

  test('grad uses the op rule; a missing rule is a clear error', async () => {
    const g = mx.grad((x: MxArray) => mx.sum(minMax(x)[1]))(mx.array([[1, 3, 3], [2, 0, 1]], mx.float32));
    assertEqual(await g.tolist(), [[0, 1, 0], [1, 0, 0]]);
    const bad = mx.grad((x: MxArray) => mx.sum(minMax(x, CPU_ONLY_OP)[0]));
    assertThrows(() => bad(mx.array([[1, 2]], mx.float32)), /\[rowMinMaxHost\] has no gradient/);
  });
});
