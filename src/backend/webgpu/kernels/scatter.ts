// Scatter: the output starts as a copy of `a` (a map kernel), then every update merges
// into its target word with a compare-exchange loop, so duplicates accumulate.
import type { MxArray, Realized } from '../../../core/array.ts';
import { int32 } from '../../../core/dtype.ts';
import { contiguousStrides, isContiguous, sizeOf } from '../../../core/shape.ts';
import { Storage } from '../../../core/memory.ts';
import { VIEW_PRIMS, type ParamsOf } from '../../../ir/primitive.ts';
import type { BuildCtx } from '../segment.ts';
import { grid } from '../kernel.ts';
import { cast, decode, narrow, perWord, putElem, wtype } from '../layout.ts';
import { mapKernel } from './map.ts';

/**
 * a's own buffer when it may be written in place: a view chain over an array realized before
 * this evaluation that nothing else here reads, stored whole, contiguous, in n's layout.
 */
function donated(cx: BuildCtx, a: MxArray, n: MxArray): Storage | null {
  let root = a;
  while (root._node && VIEW_PRIMS.has(root._node.prim) && root._node.prim !== 'custom') {
    if (cx.readers(root) !== 1) return null;
    root = root._node.inputs[0];
  }
  if (!root._data || cx.readers(root) !== 1) return null;
  const acc = cx.kernel('scatter (donated)').g.accessOf(a);
  if (acc.src.kind !== 'buf') return null;
  const st = acc.src.storage;
  const whole = acc.offset === 0 && st.size === n.size && st.dtype === n.dtype && st.gpu;
  if (!whole || !isContiguous(a.shape, acc.strides)) return null;
  // the buffer moves to the result; the donated array keeps only a CPU copy, if it had one
  const own = new Storage(st.dtype, st.size);
  own.setGpu(st.detachGpu());
  return own;
}

export function scatterNode(cx: BuildCtx, n: MxArray): Realized {
  const [a, idx, upd] = n._node!.inputs;
  const p = n._node!.params as ParamsOf<'scatter'>;
  const d = n.dtype;
  const copy = cx.kernel('scatter (copy)');
  const out = (p.donate ? donated(cx, a, n) : null) ?? mapKernel(cx, copy.k, copy.g.fnOf(a), d, n.size);
  const count = upd.size;
  if (count === 0) return { storage: out, strides: contiguousStrides(n.shape), offset: 0 };
  const { k, g } = cx.kernel(`scatter ${p.mode}`);
  const P = k.p;
  const T = wtype(d);
  const post = P.u32(sizeOf(a.shape.slice(p.axis + 1)));
  const vpw = perWord(d);
  k.emit(`alias ST = ${T};\nconst ST_VPW: u32 = ${vpw}u;`);
  k.emit(`fn st_count() -> u32 {\n  return ${P.u32(count)};\n}`);
  const iv = cast(`${g.fnOf(idx)}(q.y)`, idx.dtype, int32);
  k.emit(
    `fn st_target(u: u32) -> u32 {\n  let q = mxb_gather_pos(u, ${P.u32(idx.size)}, ${post});\n` +
      `  return mxb_gather_src(q, ${iv}, ${P.u32(a.shape[p.axis])}, ${post});\n}`,
  );
  k.emit(`fn st_update(u: u32) -> ST {\n  return ${g.fnOf(upd)}(u);\n}`);
  let comb: string;
  const isF = T === 'f32', isB = T === 'bool';
  switch (p.mode) {
    case 'set': comb = 'v'; break;
    case 'add': comb = isB ? 'old || v' : 'old + v'; break;
    case 'prod': comb = isB ? 'old && v' : 'old * v'; break;
    case 'max': comb = isB ? 'old || v' : isF ? 'mxb_max_f32(old, v)' : 'max(old, v)'; break;
    case 'min': comb = isB ? 'old && v' : isF ? 'mxb_min_f32(old, v)' : 'min(old, v)'; break;
  }
  k.emit(`fn st_comb(old: ST, v: ST) -> ST {\n  return ${narrow(d, comb)};\n}`);
  k.emit(`fn st_get(w: u32, sub: u32) -> ST {\n  return ${decode(d, 'w', 'sub')};\n}`);
  k.emit(`fn st_put(w: u32, sub: u32, v: ST) -> u32 {\n  return ${putElem(d, 'w', 'sub', 'v')};\n}`);
  cx.push(k.build('scatter', 'scatter_main', out.gpu!.buffer, grid(Math.ceil(count / 256), cx.ctx.limits.maxComputeWorkgroupsPerDimension), true));
  return { storage: out, strides: contiguousStrides(n.shape), offset: 0 };
}
