// view: bit reinterpretation as another dtype (MLX's mx.view). An extern op: the CPU
// path writes the values into the source dtype's bytes and reads them back as the target
// dtype; the WebGPU path rebuilds each target element from the source elements' bits
// (little-endian, as the packed 8/16-bit storage is).
import type { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { type Dtype, type DtypeLike, toDtype } from '../core/dtype.ts';
import { allocTyped, reader, viewTyped, writer } from '../core/numeric.ts';
import { contiguousStrides, fmtShape } from '../core/shape.ts';
import type { ExternOp } from '../ir/extern.ts';
import { mapKernel } from '../backend/webgpu/kernels/map.ts';
import { decode, elemBits, wtype } from '../backend/webgpu/layout.ts';
import { operands, type ArrayInput } from './core.ts';
import { callExtern } from './extern.ts';

function viewShape(shape: readonly number[], from: Dtype, to: Dtype): number[] {
  if (from.size === to.size) return [...shape];
  if (shape.length === 0) throw new Error(`[view] Cannot view a 0-d ${from.name} array as ${to.name}: the item sizes differ.`);
  const last = shape[shape.length - 1] * from.size;
  if (last % to.size !== 0) {
    throw new Error(`[view] Cannot view shape ${fmtShape(shape)} of ${from.name} as ${to.name}: the last axis (${last} bytes) is not a multiple of ${to.size} bytes.`);
  }
  return [...shape.slice(0, -1), last / to.size];
}

const VIEW: ExternOp<Dtype> = {
  name: 'view',
  outputs: ([x], to) => [{ shape: viewShape(x.shape, x.dtype, to), dtype: to }],
  cpu([x], to) {
    const src = allocTyped(x.dtype, x.data.length);
    const w = writer(x.dtype, src);
    for (let i = 0; i < x.data.length; i++) w(i, x.data[i]);
    const dst = viewTyped(to, src.buffer as ArrayBuffer, 0, (x.data.length * x.dtype.size) / to.size);
    const r = reader(to, dst);
    const out = new Float64Array(dst.length);
    for (let i = 0; i < out.length; i++) out[i] = r(i);
    return [out];
  },
  gpu(cx, [x], [spec], to) {
    const { k, g } = cx.kernel(`view ${x.dtype.name}->${to.name}`);
    const ld = g.fnOf(x);
    const sb = x.dtype.size * 8, db = to.size * 8;
    k.emit(`fn vw_src(e: u32) -> u32 {\n  return ${elemBits(x.dtype, `${ld}(e)`)};\n}`);
    let body: string;
    if (sb === db) body = '  let w = vw_src(i);';
    else if (db > sb) {
      const r = db / sb;
      const parts = [...Array(r).keys()].map((j) => (j ? `(vw_src(i * ${r}u + ${j}u) << ${j * sb}u)` : `vw_src(i * ${r}u)`));
      body = `  let w = ${parts.join(' | ')};`;
    } else {
      const r = sb / db;
      body = `  let w = vw_src(i / ${r}u) >> ((i % ${r}u) * ${db}u);`;
    }
    k.emit(`fn vw_el(i: u32) -> ${wtype(to)} {\n${body}\n  return ${decode(to, 'w', '0u')};\n}`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    return [{ storage: mapKernel(cx, k, 'vw_el', to, size), strides: contiguousStrides(spec.shape), offset: 0 }];
  },
};

/**
 * The array's bits read as another dtype. With a different item size the last axis
 * scales (int32 [2, 3] as uint8 is [2, 12]). Not differentiable.
 * @example
 * mx.view(mx.array([1], mx.float32), mx.int32) // [1065353216]
 */
export function view(a: ArrayInput, dtype: DtypeLike, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const [x] = operands('view', [a], dev);
  const to = toDtype(dtype);
  if (to === x.dtype) return x;
  return callExtern(VIEW, [x], to, dev)[0];
}
