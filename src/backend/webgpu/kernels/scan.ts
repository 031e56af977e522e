// Scans (cumsum cumprod cummax cummin; inclusive/exclusive; reverse) along one axis of
// the [rows, len] view (axis moved last). Short rows take a thread each, rows up to
// LONG elements a workgroup each; longer rows run in three passes: chunk totals, a scan
// of the totals (recursively), then every chunk from its carry in parallel.
import type { MxArray, Realized } from '../../../core/array.ts';
import { type Dtype, dtypeRange, isFloating, uint32 } from '../../../core/dtype.ts';
import type { Storage } from '../../../core/memory.ts';
import { contiguousStrides, sizeOf } from '../../../core/shape.ts';
import type { ParamsOf, ReducePrim, ScanPrim } from '../../../ir/primitive.ts';
import type { BuildCtx } from '../segment.ts';
import { grid, type KernelBuilder } from '../kernel.ts';
import type { ExprGen } from '../codegen.ts';
import { accType, fromAcc, toAcc, wideBits, wideOf } from '../layout.ts';
import { combineOf, hooks as reduceHooks, initOf } from './reduce.ts';

const WG = 256;
const CHUNK = WG * 4;
const LONG = 8 * CHUNK;
const REDUCE_OF: Record<ScanPrim, ReducePrim> = { cumsum: 'sum', cumprod: 'prod', cummax: 'max', cummin: 'min' };

/** The CPU's starting value, which an exclusive scan stores first: integers start at their limits. */
function cpuInit(prim: ScanPrim, d: Dtype): number {
  const lim = isFloating(d) ? { min: -Infinity, max: Infinity } : dtypeRange(d);
  return { cumsum: 0, cumprod: 1, cummax: lim.min, cummin: lim.max }[prim];
}

type A = 'f32' | 'i32' | 'u32';
/** Emits sc_load (or sc_store) into a kernel. */
type Emit = (k: KernelBuilder, g: ExprGen) => void;

interface ScanSpec {
  prim: ScanPrim;
  A: A;
  rows: number;
  len: number;
  exclusive: boolean;
  load: Emit;
  store: Emit;
}

function scanHooks(k: KernelBuilder, s: ScanSpec, chunks: number): void {
  const P = k.p;
  k.emit(`alias SA = ${s.A};\nconst SWG: u32 = ${WG}u;\nconst SC_EXCL: bool = ${s.exclusive};`);
  k.emit(`fn sc_init() -> SA {\n  return ${initOf(s.prim, s.A)};\n}`);
  k.emit(`fn sc_comb(a: SA, b: SA) -> SA {\n  return ${combineOf(s.prim, s.A, 'a', 'b')};\n}`);
  for (const [name, v] of [['rows', s.rows], ['len', s.len], ['chunks', chunks]] as const) k.emit(`fn sc_${name}() -> u32 {\n  return ${P.u32(v)};\n}`);
}

/** Encodes the pass(es) of scan `s`. */
function scanPasses(cx: BuildCtx, label: string, s: ScanSpec, out: Storage): void {
  const maxDim = cx.ctx.limits.maxComputeWorkgroupsPerDimension;
  const simple = (entry: string, groups: number) => {
    const { k, g } = cx.kernel(label);
    scanHooks(k, s, 1);
    k.emit(`fn sc_carry(row: u32, c: u32) -> SA {\n  return sc_init();\n}`);
    s.load(k, g);
    s.store(k, g);
    cx.push(k.build('scan', entry, out.gpu!.buffer, grid(groups, maxDim)));
  };
  if (s.len <= 64) return simple('scan_thread', Math.ceil(s.rows / WG));
  if (s.len <= LONG) return simple('scan_wg', s.rows);
  const chunks = Math.ceil(s.len / CHUNK);
  // pass 1: the total of every chunk, with the reduce template
  const totals = cx.temp(uint32, s.rows * chunks, `${label} totals`);
  {
    const { k, g } = cx.kernel(`${label} totals`);
    reduceHooks(k, REDUCE_OF[s.prim], s.A, s.rows, s.len, CHUNK, chunks);
    k.emit('alias SA = RA;');
    s.load(k, g);
    k.emit('fn rd_load(row: u32, r: u32) -> RAcc {\n  return RAcc(sc_load(row, r), 0u);\n}');
    k.emit('fn rd_store(g: u32, a: RAcc) {\n  out[g] = bitcast<u32>(a.v);\n}');
    cx.push(k.build('reduce', 'reduce_wg', totals.gpu!.buffer, grid(s.rows * chunks, maxDim)));
  }
  // pass 2: each chunk's carry is the exclusive scan of the totals before it
  const carries = cx.temp(uint32, s.rows * chunks, `${label} carries`);
  scanPasses(cx, `${label} carries`, {
    prim: s.prim, A: s.A, rows: s.rows, len: chunks, exclusive: true,
    load: (k) => k.emit(`fn sc_load(row: u32, t: u32) -> SA {\n  return bitcast<SA>(${k.input(totals)}(row * ${k.p.u32(chunks)} + t));\n}`),
    store: (k) => k.emit(`fn sc_store(row: u32, t: u32, v: SA) {\n  out[row * ${k.p.u32(chunks)} + t] = bitcast<u32>(v);\n}`),
  }, carries);
  // pass 3: every chunk from its carry
  const { k, g } = cx.kernel(label);
  scanHooks(k, s, chunks);
  k.emit(`fn sc_carry(row: u32, c: u32) -> SA {\n  return bitcast<SA>(${k.input(carries)}(row * ${k.p.u32(chunks)} + c));\n}`);
  s.load(k, g);
  s.store(k, g);
  cx.push(k.build('scan', 'scan_chunks', out.gpu!.buffer, grid(s.rows * chunks, maxDim)));
}

export function scanNode(cx: BuildCtx, n: MxArray): Realized {
  const node = n._node!;
  const prim = node.prim as ScanPrim;
  const p = node.params as ParamsOf<ScanPrim>;
  const x = node.inputs[0];
  const ax = p.axis;
  const len = n.shape[ax];
  const inner = sizeOf(n.shape.slice(ax + 1));
  const out = cx.storage(wideOf(n.dtype), n.size, prim);
  // the input with the scanned axis last, so element (row, t) is at row * len + t
  const perm = [...[...Array(x.ndim).keys()].filter((d) => d !== ax), ax];
  const pos = (k: KernelBuilder) => (p.reverse ? `(${k.p.u32(len)} - 1u - t)` : 't');
  const load: Emit = (k, g) => {
    const a = g.accessOf(x);
    const fn = g.accessFn({ ...a, shape: perm.map((d) => x.shape[d]), strides: perm.map((d) => a.strides[d]) });
    k.emit(`fn sc_load(row: u32, t: u32) -> SA {\n  return ${toAcc(x.dtype, `${fn}(row * ${k.p.u32(len)} + ${pos(k)})`)};\n}`);
  };
  const store: Emit = (k, g) => {
    let v = fromAcc(n.dtype, 'v');
    // an exclusive scan's first value is the CPU's start value cast to the dtype
    if (!p.inclusive) v = `select(${v}, ${g.constant(n.dtype, cpuInit(prim, n.dtype))}, t == 0u)`;
    const L = k.p.u32(len), IN = k.p.u32(inner);
    k.emit(
      `fn sc_store(row: u32, t: u32, v: SA) {\n  let k = ${pos(k)};\n` +
        `  out[((row / ${IN}) * ${L} + k) * ${IN} + row % ${IN}] = ${wideBits(n.dtype, v)};\n}`,
    );
  };
  scanPasses(cx, prim, { prim, A: accType(x.dtype), rows: n.size / len, len, exclusive: !p.inclusive, load, store }, out);
  return { storage: out, strides: contiguousStrides(n.shape), offset: 0 };
}
