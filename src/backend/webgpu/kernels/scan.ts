// Scans (cumsum cumprod cummax cummin; inclusive/exclusive; reverse) along one axis:
// rows of the [rows, len] view (axis moved last) go to a workgroup each, or to a
// thread each when short.
import type { MxArray, Realized } from '../../../core/array.ts';
import { contiguousStrides, sizeOf } from '../../../core/shape.ts';
import type { ParamsOf, ScanPrim } from '../../../ir/primitive.ts';
import type { BuildCtx } from '../segment.ts';
import { grid } from '../kernel.ts';
import { accType, fromAcc, toAcc, wideBits, wideOf } from '../layout.ts';
import { combineOf, initOf } from './reduce.ts';

const WG = 256;
/** The CPU's starting values, which an exclusive scan stores first (then cast to the dtype). */
const CPU_INIT: Record<ScanPrim, number> = { cumsum: 0, cumprod: 1, cummax: -Infinity, cummin: Infinity };

export function scanNode(cx: BuildCtx, n: MxArray): Realized {
  const node = n._node!;
  const prim = node.prim as ScanPrim;
  const p = node.params as ParamsOf<ScanPrim>;
  const x = node.inputs[0];
  const ax = p.axis;
  const len = n.shape[ax];
  const inner = sizeOf(n.shape.slice(ax + 1));
  const rows = n.size / len;
  const A = accType(x.dtype);
  const out = cx.storage(wideOf(n.dtype), n.size, prim);
  const { k, g } = cx.kernel(prim);
  const P = k.p;
  const L = P.u32(len), IN = P.u32(inner);
  k.emit(`alias SA = ${A};\nconst SWG: u32 = ${WG}u;\nconst SC_EXCL: bool = ${!p.inclusive};`);
  k.emit(`fn sc_init() -> SA {\n  return ${initOf(prim, A)};\n}`);
  k.emit(`fn sc_comb(a: SA, b: SA) -> SA {\n  return ${combineOf(prim, A, 'a', 'b')};\n}`);
  k.emit(`fn sc_rows() -> u32 {\n  return ${P.u32(rows)};\n}\nfn sc_len() -> u32 {\n  return ${L};\n}`);
  const pos = p.reverse ? `(${L} - 1u - t)` : 't';
  // the input with the scanned axis last, so element (row, t) is at row * len + t
  const perm = [...[...Array(x.ndim).keys()].filter((d) => d !== ax), ax];
  const a = g.accessOf(x);
  const fn = g.accessFn({ ...a, shape: perm.map((d) => x.shape[d]), strides: perm.map((d) => a.strides[d]) });
  k.emit(`fn sc_load(row: u32, t: u32) -> SA {\n  return ${toAcc(x.dtype, `${fn}(row * ${L} + ${pos})`)};\n}`);
  let v = fromAcc(n.dtype, 'v');
  // an exclusive scan's first value is the CPU's start value cast to the dtype
  if (!p.inclusive) v = `select(${v}, ${g.constant(n.dtype, CPU_INIT[prim])}, t == 0u)`;
  k.emit(
    `fn sc_store(row: u32, t: u32, v: SA) {\n  let k = ${pos};\n` +
      `  out[((row / ${IN}) * ${L} + k) * ${IN} + row % ${IN}] = ${wideBits(n.dtype, v)};\n}`,
  );
  const maxDim = cx.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (len <= 64) cx.push(k.build('scan', 'scan_thread', out.gpu!.buffer, grid(Math.ceil(rows / WG), maxDim)));
  else cx.push(k.build('scan', 'scan_wg', out.gpu!.buffer, grid(rows, maxDim)));
  return { storage: out, strides: contiguousStrides(n.shape), offset: 0 };
}
