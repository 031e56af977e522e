// The CPU reference implementation of every primitive (float64 math, rounded on store).
import type { MxArray, Realized } from '../../core/array.ts';
import { type Prim, type ParamsOf, UNARY, BINARY, REDUCE, SCAN, type ReducePrim, type ScanPrim } from '../../ir/primitive.ts';
import { UNARY_DEFS, BINARY_DEFS } from '../../ops/defs/elementwise.ts';
import { contiguousStrides, sizeOf, reshapeStrides } from '../../core/shape.ts';
import { cpuIn, cpuOut, offsets, unravel, type CpuIn } from './strided.ts';
import { threefry2x32 } from '../../random/threefry.ts';
import { dtypeRange } from '../../core/dtype.ts';
import { complexStrides, complexViewable } from '../../core/array.ts';

/** Inputs as the kernels see them: realized data plus the array's shape/dtype. */
export interface KIn {
  r: Realized;
  a: MxArray;
  /** Lazily built logical-order reader. */
  in(): CpuIn;
}

type Kernel<P extends Prim> = (ins: KIn[], p: ParamsOf<P>, out: MxArray) => Realized;

const elementwise = (f: (vals: number[]) => number) => (ins: KIn[], _p: unknown, out: MxArray): Realized => {
  const xs = ins.map((k) => k.in());
  const o = cpuOut(out.shape, out.dtype);
  const n = out.size;
  const vals = new Array<number>(xs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < xs.length; k++) vals[k] = xs[k].get(i);
    o.set(i, f(vals));
  }
  return o.realized();
};

/** View of the input with new strides, sharing storage. */
const view = (r: Realized, strides: number[], offset: number): Realized => ({ storage: r.storage, strides, offset });

/** Materialises an input contiguously (for reshapes that cannot be views). */
function copyContiguous(k: KIn): Realized {
  const x = k.in();
  const o = cpuOut(k.a.shape, k.a.dtype);
  if (k.a.dtype.size === 8) {
    for (let i = 0; i < x.offs.length; i++) o.data[i] = x.data[x.offs[i]];
  } else for (let i = 0; i < x.offs.length; i++) o.set(i, x.get(i));
  return o.realized();
}

function reduceKernel(prim: ReducePrim): Kernel<ReducePrim> {
  return (ins, p, out) => {
    const x = ins[0].in();
    const shape = x.shape;
    const axes = new Set(p.axes);
    const ostr = contiguousStrides(out.shape).map((s, d) => (axes.has(d) ? 0 : s));
    const oidx = offsets(shape, ostr, 0);
    const n = out.size;
    const isArg = prim === 'argmax' || prim === 'argmin';
    // integer/bool identities are the dtype's limits (an empty any() is false, all() true)
    const isInt = x.dtype.kind !== 'f' && x.dtype.kind !== 'V';
    const lim = dtypeRange(x.dtype);
    const init = { sum: 0, prod: 1, max: isInt ? lim.min : -Infinity, min: isInt ? lim.max : Infinity, argmax: -Infinity, argmin: Infinity }[prim];
    const acc = new Float64Array(n).fill(init);
    const arg = new Float64Array(isArg ? n : 0);
    // position within the reduced axes, for arg ops
    const rshape = shape.map((d, i) => (axes.has(i) ? d : 1));
    const rpos = isArg ? offsets(shape, contiguousStrides(rshape).map((s, d) => (axes.has(d) ? s : 0)), 0) : null;
    const seenNan = new Uint8Array(isArg ? n : 0);
    for (let i = 0; i < x.offs.length; i++) {
      const v = x.get(i);
      const j = oidx[i];
      switch (prim) {
        case 'sum': acc[j] += v; break;
        case 'prod': acc[j] *= v; break;
        case 'max': acc[j] = Number.isNaN(v) || Number.isNaN(acc[j]) ? NaN : Math.max(acc[j], v); break;
        case 'min': acc[j] = Number.isNaN(v) || Number.isNaN(acc[j]) ? NaN : Math.min(acc[j], v); break;
        case 'argmax': case 'argmin':
          if (seenNan[j]) break;
          if (Number.isNaN(v)) { seenNan[j] = 1; arg[j] = rpos![i]; break; }
          if (prim === 'argmax' ? v > acc[j] : v < acc[j]) { acc[j] = v; arg[j] = rpos![i]; }
          break;
      }
    }
    const o = cpuOut(out.shape, out.dtype);
    for (let j = 0; j < n; j++) o.set(j, isArg ? arg[j] : acc[j]);
    return o.realized();
  };
}

function scanKernel(prim: ScanPrim): Kernel<ScanPrim> {
  return (ins, p, out) => {
    const x = ins[0].in();
    const o = cpuOut(out.shape, out.dtype);
    const shape = x.shape;
    const len = shape[p.axis];
    const inner = sizeOf(shape.slice(p.axis + 1));
    const outer = sizeOf(shape.slice(0, p.axis));
    const isInt = out.dtype.kind !== 'f' && out.dtype.kind !== 'V';
    const lim = dtypeRange(out.dtype);
    const init = { cumsum: 0, cumprod: 1, cummax: isInt ? lim.min : -Infinity, cummin: isInt ? lim.max : Infinity }[prim];
    const comb = {
      cumsum: (a: number, b: number) => a + b,
      cumprod: (a: number, b: number) => a * b,
      cummax: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
      cummin: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
    }[prim];
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < inner; c++) {
        let acc = init;
        for (let t = 0; t < len; t++) {
          const k = p.reverse ? len - 1 - t : t;
          const i = (a * len + k) * inner + c;
          const v = x.get(i);
          if (p.inclusive) { acc = comb(acc, v); o.set(i, acc); }
          else { o.set(i, acc); acc = comb(acc, v); }
        }
      }
    }
    return o.realized();
  };
}

function matmul(ins: KIn[], _p: unknown, out: MxArray): Realized {
  const a = ins[0].in(), b = ins[1].in();
  const nd = out.ndim;
  const M = out.shape[nd - 2], N = out.shape[nd - 1], K = a.shape[nd - 1];
  const batch = sizeOf(out.shape.slice(0, nd - 2));
  const o = cpuOut(out.shape, out.dtype);
  const av = new Float64Array(a.offs.length), bv = new Float64Array(b.offs.length);
  for (let i = 0; i < av.length; i++) av[i] = a.get(i);
  for (let i = 0; i < bv.length; i++) bv[i] = b.get(i);
  const row = new Float64Array(N);
  for (let q = 0; q < batch; q++) {
    for (let m = 0; m < M; m++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const x = av[(q * M + m) * K + k];
        if (x === 0 && Number.isFinite(x)) continue;
        const base = (q * K + k) * N;
        for (let n = 0; n < N; n++) row[n] += x * bv[base + n];
      }
      for (let n = 0; n < N; n++) o.set((q * M + m) * N + n, row[n]);
    }
  }
  return o.realized();
}

/** Index of the gathered/scattered axis position, wrapping negatives and clamping. */
const fixIndex = (v: number, n: number) => {
  const i = v < 0 ? v + n : v;
  return Math.min(Math.max(i, 0), n - 1);
};

function gather(ins: KIn[], p: ParamsOf<'gather'>, out: MxArray): Realized {
  const a = ins[0].in(), idx = ins[1].in();
  const ax = p.axis;
  const pre = a.shape.slice(0, ax), post = a.shape.slice(ax + 1);
  const n = a.shape[ax];
  const I = idx.offs.length, P = sizeOf(post);
  const astr = contiguousStrides(a.shape);
  const o = cpuOut(out.shape, out.dtype);
  let w = 0;
  const nPre = sizeOf(pre);
  for (let q = 0; q < nPre; q++) {
    for (let i = 0; i < I; i++) {
      const j = fixIndex(idx.get(i), n);
      const base = q * n * P + j * (ax < astr.length ? astr[ax] : 1);
      for (let r = 0; r < P; r++) o.set(w++, a.get(base + r));
    }
  }
  return o.realized();
}

function scatter(ins: KIn[], p: ParamsOf<'scatter'>, out: MxArray): Realized {
  const a = ins[0].in(), idx = ins[1].in(), upd = ins[2].in();
  const o = cpuOut(out.shape, out.dtype);
  const size = out.size;
  const vals = new Float64Array(size);
  for (let i = 0; i < size; i++) vals[i] = a.get(i);
  const ax = p.axis;
  const n = a.shape[ax];
  const P = sizeOf(a.shape.slice(ax + 1)), I = idx.offs.length, nPre = sizeOf(a.shape.slice(0, ax));
  let u = 0;
  for (let q = 0; q < nPre; q++) {
    for (let i = 0; i < I; i++) {
      const j = fixIndex(idx.get(i), n);
      for (let r = 0; r < P; r++) {
        const t = (q * n + j) * P + r;
        const v = upd.get(u++);
        switch (p.mode) {
          case 'set': vals[t] = v; break;
          case 'add': vals[t] += v; break;
          case 'prod': vals[t] *= v; break;
          case 'max': vals[t] = Math.max(vals[t], v); break;
          case 'min': vals[t] = Math.min(vals[t], v); break;
        }
      }
    }
  }
  for (let i = 0; i < size; i++) o.set(i, vals[i]);
  return o.realized();
}

function pad(ins: KIn[], p: ParamsOf<'pad'>, out: MxArray): Realized {
  const x = ins[0].in();
  const o = cpuOut(out.shape, out.dtype);
  for (let i = 0; i < out.size; i++) o.set(i, p.value);
  const dst = offsets(x.shape, contiguousStrides(out.shape), p.low.reduce((s, l, d) => s + l * contiguousStrides(out.shape)[d], 0));
  for (let i = 0; i < dst.length; i++) o.set(dst[i], x.get(i));
  return o.realized();
}

function concatenate(ins: KIn[], p: ParamsOf<'concatenate'>, out: MxArray): Realized {
  const o = cpuOut(out.shape, out.dtype);
  const ostr = contiguousStrides(out.shape);
  let at = 0;
  for (const k of ins) {
    const x = k.in();
    const dst = offsets(x.shape, ostr, at * ostr[p.axis]);
    for (let i = 0; i < dst.length; i++) o.set(dst[i], x.get(i));
    at += x.shape[p.axis];
  }
  return o.realized();
}

function randomBits(ins: KIn[], _p: ParamsOf<'randomBits'>, out: MxArray): Realized {
  const key = ins[0].in();
  const k0 = key.get(0) >>> 0, k1 = key.get(1) >>> 0;
  const o = cpuOut(out.shape, out.dtype);
  const n = out.size;
  for (let pIdx = 0; pIdx * 2 < n; pIdx++) {
    const [x0, x1] = threefry2x32(k0, k1, pIdx, 0);
    o.set(2 * pIdx, x0);
    if (2 * pIdx + 1 < n) o.set(2 * pIdx + 1, x1);
  }
  return o.realized();
}

/** Exact 64-bit integer elementwise path (BigInt), used when an input is int64/uint64. */
const elementwiseBig = (f: (vals: bigint[]) => bigint | boolean, fallback: ReturnType<typeof elementwise>) => (ins: KIn[], p: unknown, out: MxArray): Realized => {
  if (!ins.some((k) => k.a.dtype.size === 8 && k.a.dtype.kind !== 'f')) return fallback(ins, p, out);
  const xs = ins.map((k) => k.in());
  const o = cpuOut(out.shape, out.dtype);
  const vals = new Array<bigint>(xs.length);
  const wrap = out.dtype.name === 'uint64' ? (v: bigint) => BigInt.asUintN(64, v) : (v: bigint) => BigInt.asIntN(64, v);
  for (let i = 0; i < out.size; i++) {
    for (let k = 0; k < xs.length; k++) vals[k] = BigInt(xs[k].data[xs[k].offs[i]] as bigint);
    const r = f(vals);
    if (typeof r === 'boolean') o.set(i, +r);
    else if (out.dtype.size === 8) o.data[i] = wrap(r);
    else o.set(i, Number(r));
  }
  return o.realized();
};
const unaryKernel = (u: (typeof UNARY)[number]) => {
  const d = UNARY_DEFS[u], base = elementwise((v) => d.cpu(v[0]));
  return d.big ? elementwiseBig((v) => d.big!(v[0]), base) : base;
};
const binaryKernel = (b: (typeof BINARY)[number]) => {
  const d = BINARY_DEFS[b], base = elementwise((v) => d.cpu(v[0], v[1]));
  return d.big ? elementwiseBig((v) => d.big!(v[0], v[1]), base) : base;
};

const KERNELS: { [P in Prim]: Kernel<P> } = {
  ...(Object.fromEntries(UNARY.map((u) => [u, unaryKernel(u)])) as { [P in (typeof UNARY)[number]]: Kernel<P> }),
  ...(Object.fromEntries(BINARY.map((b) => [b, binaryKernel(b)])) as { [P in (typeof BINARY)[number]]: Kernel<P> }),
  ...(Object.fromEntries(REDUCE.map((r) => [r, reduceKernel(r)])) as { [P in ReducePrim]: Kernel<P> }),
  ...(Object.fromEntries(SCAN.map((s) => [s, scanKernel(s)])) as { [P in ScanPrim]: Kernel<P> }),
  where: elementwise((v) => (v[0] ? v[1] : v[2])),
  astype: (ins, _p, out) => {
    // 64-bit integer casts keep their exact bits
    const x = ins[0];
    if (x.a.dtype.size === 8 && out.dtype.size === 8 && x.a.dtype.kind !== 'f' && out.dtype.kind !== 'f') {
      const src = x.in();
      const o = cpuOut(out.shape, out.dtype);
      for (let i = 0; i < src.offs.length; i++) {
        const v = src.data[src.offs[i]] as bigint;
        o.data[i] = out.dtype.name === 'int64' ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
      }
      return o.realized();
    }
    return elementwise((v) => v[0])(ins, _p, out);
  },
  full: (_ins, p, out) => {
    const o = cpuOut(out.shape, out.dtype);
    for (let i = 0; i < out.size; i++) o.set(i, p.value);
    return o.realized();
  },
  arange: (_ins, p, out) => {
    const o = cpuOut(out.shape, out.dtype);
    for (let i = 0; i < out.size; i++) o.set(i, p.start + i * p.step);
    return o.realized();
  },
  reshape: (ins, p) => {
    const k = ins[0];
    const st = reshapeStrides(k.a.shape, k.r.strides, p.shape);
    if (st) return view(k.r, st, k.r.offset);
    const c = copyContiguous(k);
    return view(c, contiguousStrides(p.shape), 0);
  },
  transpose: (ins, p) => view(ins[0].r, p.perm.map((d) => ins[0].r.strides[d]), ins[0].r.offset),
  slice: (ins, p) => {
    const r = ins[0].r;
    return view(r, r.strides.map((s, d) => s * p.step[d]), r.offset + p.start.reduce((acc, s, d) => acc + s * r.strides[d], 0));
  },
  broadcast: (ins, p) => {
    const r = ins[0].r, x = ins[0].a;
    const lead = p.shape.length - x.ndim;
    const strides = p.shape.map((d, i) => (i < lead || x.shape[i - lead] !== d ? 0 : r.strides[i - lead]));
    return view(r, strides, r.offset);
  },
  pad,
  concatenate,
  gather,
  scatter,
  matmul,
  randomBits,
  custom: (ins) => ins[ins.length - 1].r,
  complexView,
  extern: externKernel,
};

/**
 * complex64 [...S] <-> float32 [...S, 2]. Complex storage is float32 pairs with strides in
 * complex elements, so both directions are views when the pairs are adjacent.
 */
function complexView(ins: KIn[], p: ParamsOf<'complexView'>): Realized {
  const r = ins[0].r;
  if (!p.toComplex) return view(r, [...r.strides.map((s) => 2 * s), 1], 2 * r.offset);
  if (complexViewable(r, ins[0].a.shape)) return view(r, complexStrides(r, ins[0].a.shape), r.offset / 2);
  const c = copyContiguous(ins[0]);
  return view(c, contiguousStrides(ins[0].a.shape.slice(0, -1)), 0);
}

// Results of an extern call, kept until its sibling outputs have read them.
const externResults = new WeakMap<object, Float64Array[]>();

function externKernel(ins: KIn[], p: ParamsOf<'extern'>, out: MxArray): Realized {
  let res = externResults.get(p.call);
  if (!res) {
    const host = ins.map((k) => {
      const x = k.in();
      const data = new Float64Array(x.offs.length);
      if (k.a.dtype.size === 8 && k.a.dtype.kind !== 'f') for (let i = 0; i < data.length; i++) data[i] = Number(x.data[x.offs[i]]);
      else for (let i = 0; i < data.length; i++) data[i] = x.get(i);
      return { shape: k.a.shape, dtype: k.a.dtype, data };
    });
    const specs = p.op.outputs(ins.map((k) => ({ shape: k.a.shape, dtype: k.a.dtype })), p.attrs);
    res = p.op.cpu(host, p.attrs, specs);
    if (res.length !== specs.length) throw new Error(`internal: [${p.op.name}] CPU kernel returned ${res.length} outputs, expected ${specs.length}`);
    if (specs.length > 1) externResults.set(p.call, res);
  }
  const v = res[p.index];
  const o = cpuOut(out.shape, out.dtype);
  if (out.dtype.size === 8 && out.dtype.kind !== 'f') for (let i = 0; i < out.size; i++) o.data[i] = BigInt(Math.trunc(v[i]));
  else for (let i = 0; i < out.size; i++) o.set(i, v[i]);
  return o.realized();
}

/** Runs one primitive on the CPU. */
export function runCpuKernel(node: MxArray, ins: KIn[]): Realized {
  const n = node._node!;
  const k = KERNELS[n.prim] as Kernel<Prim>;
  return k(ins, n.params, node);
}

export { unravel };
