// WGSL for fused expressions: each node becomes `fn(i: u32) -> T` over its own row-major
// logical index. View chains fold into one strided access (as the CPU view kernels do);
// a reshape that strides cannot express starts a new access over the logical index.
import type { MxArray, Realized } from '../../core/array.ts';
import { type Dtype, float32, int32, uint32 } from '../../core/dtype.ts';
import type { Storage } from '../../core/memory.ts';
import { roundTo } from '../../core/numeric.ts';
import { contiguousStrides, reshapeStrides, sizeOf } from '../../core/shape.ts';
import { isBinary, isUnary, VIEW_PRIMS, type ParamsOf } from '../../ir/primitive.ts';
import { BINARY_DEFS, UNARY_DEFS } from '../../ops/defs/elementwise.ts';
import type { KernelBuilder } from './kernel.ts';
import { cast, decode, narrow, perWord, wideOf, wtype } from './layout.ts';

/** Where an access reads: a bound buffer, or a generated function over a logical index. */
type Src = { kind: 'buf'; storage: Storage } | { kind: 'fn'; name: string; constant: boolean };

/** A strided view (in elements) of a source, holding values of `dtype`. */
export interface Access {
  src: Src;
  dtype: Dtype;
  shape: number[];
  strides: number[];
  offset: number;
}

/** Drops size-1 dims and merges dims that are contiguous with each other. */
export function collapse(shape: readonly number[], strides: readonly number[]): [number[], number[]] {
  const sh: number[] = [], st: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const k = sh.length - 1;
    if (k >= 0 && st[k] === strides[d] * shape[d]) {
      sh[k] *= shape[d];
      st[k] = strides[d];
    } else {
      sh.push(shape[d]);
      st.push(strides[d]);
    }
  }
  return [sh, st];
}

/**
 * Strides and offset of view node n over its input's `strides` and `offset` (the CPU view
 * kernels' rules), or null for a reshape that strides cannot express.
 */
export function viewStrides(n: MxArray, strides: readonly number[], offset: number): { strides: number[]; offset: number } | null {
  const node = n._node!;
  const x = viewInput(n);
  switch (node.prim) {
    case 'custom':
      return { strides: [...strides], offset };
    case 'transpose':
      return { strides: (node.params as ParamsOf<'transpose'>).perm.map((d) => strides[d]), offset };
    case 'slice': {
      const p = node.params as ParamsOf<'slice'>;
      return { strides: strides.map((s, d) => s * p.step[d]), offset: offset + p.start.reduce((acc, s, d) => acc + s * strides[d], 0) };
    }
    case 'broadcast': {
      const lead = n.ndim - x.ndim;
      return { strides: n.shape.map((d, i) => (i < lead || x.shape[i - lead] !== d ? 0 : strides[i - lead])), offset };
    }
    case 'reshape': {
      const st = reshapeStrides(x.shape, strides, n.shape);
      return st ? { strides: st, offset } : null;
    }
    default:
      throw new Error(`internal: ${node.prim} is not a view`);
  }
}

/** The input a view reads (a custom function's output is its last input). */
export const viewInput = (n: MxArray): MxArray => {
  const node = n._node!;
  return node.prim === 'custom' ? node.inputs[node.inputs.length - 1] : node.inputs[0];
};


/** Converts a value stored as `stored` (maybe the wide temporary of `d`) to d's compute value. */
function fromStored(x: string, stored: Dtype, d: Dtype): string {
  if (stored === d) return x;
  if (stored === wideOf(d)) return d.kind === 'b' ? `(${x} != 0u)` : x;
  throw new Error(`internal: storage of ${stored.name} read as ${d.name}`);
}

const BOOL_AS_U32 = new Set(['greater', 'greaterEqual', 'less', 'lessEqual', 'leftShift', 'rightShift']);

export class ExprGen {
  private fns = new Map<MxArray, string>();
  private ops: string[] = [];

  /** `valueOf` gives the realized data of materialized nodes (null for inlined ones). */
  constructor(readonly k: KernelBuilder, private readonly valueOf: (n: MxArray) => Realized | null) {}

  /** A constant of dtype d (rounded as the CPU stores it) as a WGSL parameter. */
  constant(d: Dtype, v: number): string {
    const r = roundTo(d.name, v);
    switch (wtype(d)) {
      case 'f32': return this.k.p.f32(r);
      case 'i32': return this.k.p.i32(r);
      case 'u32': return this.k.p.u32(r);
      case 'bool': return `(${this.k.p.u32(r ? 1 : 0)} != 0u)`;
    }
  }

  /** Access of a realized array's data. */
  realizedAccess(r: Realized, shape: readonly number[], dtype: Dtype): Access {
    return { src: { kind: 'buf', storage: r.storage }, dtype, shape: [...shape], strides: [...r.strides], offset: r.offset };
  }

  /** How node n's logical elements are read: folded views over a buffer or a function. */
  accessOf(n: MxArray): Access {
    const v = this.valueOf(n);
    if (v) return this.realizedAccess(v, n.shape, n.dtype);
    const node = n._node!;
    const contiguous = (name: string, constant = false): Access => ({
      src: { kind: 'fn', name, constant }, dtype: n.dtype, shape: [...n.shape], strides: contiguousStrides(n.shape), offset: 0,
    });
    if (VIEW_PRIMS.has(node.prim)) return this.foldView(n, this.accessOf(viewInput(n)));
    return contiguous(this.fnOf(n), node.prim === 'full');
  }

  /** Applies view node n on top of access a of its input (the CPU view kernels' rules). */
  foldView(n: MxArray, a: Access): Access {
    const base = { src: a.src, dtype: n.dtype, shape: [...n.shape] };
    const v = viewStrides(n, a.strides, a.offset);
    if (v) return { ...base, ...v };
    // a reshape not expressible by strides: read the input access at the same row-major index
    const name = this.accessFn(a);
    return { ...base, src: { kind: 'fn', name, constant: false }, strides: contiguousStrides(n.shape), offset: 0 };
  }

  /** Element offset expression (i32) of multi-index `idx` (u32 expressions) in access a. */
  private offsetExpr(a: Access, idx: string[], strides: number[]): string {
    const terms = [this.k.p.i32(a.offset)];
    idx.forEach((ix, d) => {
      const s = strides[d];
      if (s === 0) return;
      terms.push(s === 1 ? `i32(${ix})` : `i32(${ix}) * ${this.k.p.i32(s)}`);
    });
    return terms.join(' + ');
  }

  /** Reads access a at an element offset expression (i32). */
  private readAt(a: Access, off: string): string {
    if (a.src.kind === 'fn') return `${a.src.name}(u32(${off}))`;
    const ld = this.k.input(a.src.storage);
    return fromStored(`${ld}(u32(${off}))`, a.src.storage.dtype, a.dtype);
  }

  /** `fn(i: u32) -> T` reading access a at row-major index i of a.shape. */
  accessFn(a: Access): string {
    const name = this.k.fresh('a');
    const T = wtype(a.dtype);
    if (a.src.kind === 'fn' && a.src.constant) {
      this.k.emit(`fn ${name}(i: u32) -> ${T} {\n  return ${a.src.name}(0u);\n}`);
      return name;
    }
    const [sh, st] = collapse(a.shape, a.strides);
    const { lines, idx } = this.indexLines(sh);
    lines.push(`  return ${this.readAt(a, this.offsetExpr(a, idx, st))};`);
    this.k.emit(`fn ${name}(i: u32) -> ${T} {\n${lines.join('\n')}\n}`);
    return name;
  }

  /** Makes `fn` (already emitted) the reader of node n's value, e.g. a matmul's product in its epilogue. */
  provide(n: MxArray, fn: string): void {
    this.fns.set(n, fn);
  }

  /** `fn(i: u32) -> T` giving node n's value at its logical index i. */
  fnOf(n: MxArray): string {
    let name = this.fns.get(n);
    if (name) return name;
    const v = this.valueOf(n);
    if (v) name = this.accessFn(this.realizedAccess(v, n.shape, n.dtype));
    else {
      const p = n._node!.prim;
      this.ops.push(p);
      if (VIEW_PRIMS.has(p)) name = this.accessFn(this.accessOf(n));
      else name = this.exprFn(n);
    }
    this.fns.set(n, name);
    return name;
  }

  /** Whether a map kernel rooted at n can compute 4 elements at a time (elementwise roots). */
  static vectorRoot(n: MxArray): boolean {
    const p = n._node!.prim;
    return isUnary(p) || isBinary(p) || p === 'where' || p === 'astype';
  }

  /**
   * `fn(i: u32) -> vec4<T>`: node n's values at logical indices i..i+3 (i and n.size multiples
   * of 4). Elementwise nodes apply their scalar definitions per component; a contiguous,
   * 16-byte-aligned input is read as one vec4; anything else as four scalar reads.
   */
  fn4Of(n: MxArray): string {
    let name = this.fns4.get(n);
    if (!name) {
      name = this.vec4Fn(n);
      this.fns4.set(n, name);
    }
    return name;
  }
  private fns4 = new Map<MxArray, string>();

  private vec4Fn(n: MxArray): string {
    const T = wtype(n.dtype);
    const V = `vec4<${T}>`;
    const name = this.k.fresh('v');
    const emit = (body: string) => {
      this.k.emit(`fn ${name}(i: u32) -> ${V} {\n${body}\n}`);
      return name;
    };
    const comps = (f: (c: string) => string) => `${V}(${['x', 'y', 'z', 'w'].map(f).join(', ')})`;
    if (this.valueOf(n) || VIEW_PRIMS.has(n._node!.prim)) {
      const a = this.accessOf(n);
      const st = a.src.kind === 'buf' ? a.src.storage : null;
      // float16 data on shader-f16 devices: 4 halves in one 8-byte load
      const h = st && this.quadAligned(a, true) ? this.k.inputHalfQuads(st) : null;
      if (h) {
        const [sh, sd] = collapse(a.shape, a.strides);
        const { lines, idx } = this.indexLines(sh);
        lines.push(`  return vec4<f32>(${h}[u32(${this.offsetExpr(a, idx, sd)}) >> 2u]);`);
        return emit(lines.join('\n'));
      }
      const q = this.quadAligned(a) ? this.k.inputQuads((a.src as { storage: Storage }).storage) : null;
      if (q) {
        const [sh, st] = collapse(a.shape, a.strides);
        const { lines, idx } = this.indexLines(sh);
        const sd = (a.src as { storage: Storage }).storage.dtype;
        lines.push(`  let w = ${q}[u32(${this.offsetExpr(a, idx, st)}) >> 2u];`);
        lines.push(`  return ${comps((c) => fromStored(decode(sd, `w.${c}`, '0u'), sd, a.dtype))};`);
        return emit(lines.join('\n'));
      }
      const f = this.fnOf(n);
      return emit(`  return ${V}(${f}(i), ${f}(i + 1u), ${f}(i + 2u), ${f}(i + 3u));`);
    }
    const node = n._node!;
    const p = node.prim;
    const ins = node.inputs;
    if (isUnary(p)) {
      const x = ins[0];
      const t = wtype(x.dtype);
      const toBool = p === 'logicalNot' && t !== 'bool';
      this.ops.push(p);
      return emit(`  let x = ${this.fn4Of(x)}(i);\n  return ${comps((c) => narrow(n.dtype, UNARY_DEFS[p].wgsl(toBool ? cast(`x.${c}`, x.dtype, n.dtype) : `x.${c}`, toBool ? 'bool' : t)))};`);
    } else if (isBinary(p)) {
      const t = wtype(ins[0].dtype);
      this.ops.push(p);
      const head = `  let a = ${this.fn4Of(ins[0])}(i);\n  let b = ${this.fn4Of(ins[1])}(i);\n`;
      if (t === 'bool' && BOOL_AS_U32.has(p)) {
        return emit(`${head}  return ${comps((c) => {
          const e = BINARY_DEFS[p].wgsl(`u32(a.${c})`, `u32(b.${c})`, 'u32');
          return wtype(n.dtype) === 'bool' && p.endsWith('Shift') ? `(${e} != 0u)` : e;
        })};`);
      }
      return emit(`${head}  return ${comps((c) => narrow(n.dtype, BINARY_DEFS[p].wgsl(`a.${c}`, `b.${c}`, t)))};`);
    } else if (p === 'where') {
      this.ops.push(p);
      return emit(`  return select(${this.fn4Of(ins[2])}(i), ${this.fn4Of(ins[1])}(i), ${this.fn4Of(ins[0])}(i));`);
    } else if (p === 'astype') {
      this.ops.push(p);
      return emit(`  let x = ${this.fn4Of(ins[0])}(i);\n  return ${comps((c) => cast(`x.${c}`, ins[0].dtype, n.dtype))};`);
    } else if (p === 'full') {
      return emit(`  return ${V}(${this.constant(n.dtype, (node.params as ParamsOf<'full'>).value)});`);
    }
    const f = this.fnOf(n);
    return emit(`  return ${V}(${f}(i), ${f}(i + 1u), ${f}(i + 2u), ${f}(i + 3u));`);
  }

  /** Row-major index lines for a collapsed shape: `idx[d]` names dim d's index of `i`. */
  private indexLines(sh: number[]): { lines: string[]; idx: string[] } {
    const lines: string[] = [];
    const idx: string[] = [];
    if (sh.length === 1) idx.push('i');
    else if (sh.length > 1) {
      lines.push('  var r = i;');
      for (let d = sh.length - 1; d >= 1; d--) {
        const S = this.k.p.u32(sh[d]);
        lines.push(`  let i${d} = r % ${S};`, `  r = r / ${S};`);
        idx[d] = `i${d}`;
      }
      idx[0] = 'r';
    }
    return { lines, idx };
  }

  /**
   * A buffer access whose aligned groups of 4 logical elements are one aligned vec4: of
   * 32-bit words, or (`half`) of float16 values read as such.
   */
  private quadAligned(a: Access, half = false): boolean {
    if (a.src.kind !== 'buf' || a.offset % 4 !== 0) return false;
    const sd = a.src.storage.dtype;
    if (half ? sd.name !== 'float16' || a.dtype.name !== 'float16' || !this.k.f16 : perWord(sd) !== 1) return false;
    const [sh, st] = collapse(a.shape, a.strides);
    const last = sh.length - 1;
    return last >= 0 && st[last] === 1 && sh[last] % 4 === 0 && st.every((s, d) => d === last || s % 4 === 0);
  }

  /** A kernel label: the ops fused into it, root first (for error messages). */
  label(root: string): string {
    const ops = [...new Set([root, ...this.ops.reverse()])];
    return ops.length > 8 ? `${ops.slice(0, 8).join('+')}+...` : ops.join('+');
  }

  private exprFn(n: MxArray): string {
    const name = this.k.fresh('n');
    const T = wtype(n.dtype);
    const body = this.body(n);
    this.k.emit(`fn ${name}(i: u32) -> ${T} {\n${body}\n}`);
    return name;
  }

  private body(n: MxArray): string {
    const node = n._node!;
    const ins = node.inputs;
    const at = (x: MxArray, ix = 'i') => `${this.fnOf(x)}(${ix})`;
    const ret = (e: string) => `  return ${e};`;
    const p = node.prim;
    if (isUnary(p)) {
      const x = ins[0];
      let t = wtype(x.dtype);
      let xv = at(x);
      if (p === 'logicalNot' && t !== 'bool') {
        xv = cast(xv, x.dtype, n.dtype);
        t = 'bool';
      }
      return ret(narrow(n.dtype, UNARY_DEFS[p].wgsl(xv, t)));
    }
    if (isBinary(p)) {
      const t = wtype(ins[0].dtype);
      if (t === 'bool' && BOOL_AS_U32.has(p)) {
        // WGSL has no ordering or shifts on bool: compare/shift 0/1 as u32
        const e = BINARY_DEFS[p].wgsl(`u32(${at(ins[0])})`, `u32(${at(ins[1])})`, 'u32');
        return ret(wtype(n.dtype) === 'bool' && p.endsWith('Shift') ? `(${e} != 0u)` : e);
      }
      return ret(narrow(n.dtype, BINARY_DEFS[p].wgsl(at(ins[0]), at(ins[1]), t)));
    }
    switch (p) {
      case 'where':
        return ret(`select(${at(ins[2])}, ${at(ins[1])}, ${at(ins[0])})`);
      case 'astype':
        return ret(cast(at(ins[0]), ins[0].dtype, n.dtype));
      case 'full':
        return ret(this.constant(n.dtype, (node.params as ParamsOf<'full'>).value));
      case 'arange':
        return ret(this.arange(n, node.params as ParamsOf<'arange'>));
      case 'pad':
        return this.pad(n, node.params as ParamsOf<'pad'>);
      case 'gather':
        return this.gather(n, node.params as ParamsOf<'gather'>);
      case 'concatenate':
        return this.concat(n, node.params as ParamsOf<'concatenate'>);
      case 'randomBits': {
        const key = ins[0];
        const kv = (j: string) => cast(at(key, j), key.dtype, uint32);
        return ret(`mxb_random_word(vec2<u32>(${kv('0u')}, ${kv('1u')}), i)`);
      }
      default:
        throw new Error(`internal: ${p} cannot be generated as an expression`);
    }
  }

  private arange(n: MxArray, a: ParamsOf<'arange'>): string {
    const t = wtype(n.dtype);
    // integer ranges in exact i32 arithmetic; everything else in f32, then cast
    if (t !== 'f32' && Number.isInteger(a.start) && Number.isInteger(a.step) && Math.abs(a.start) < 2 ** 31 && Math.abs(a.step) < 2 ** 31) {
      return cast(`(${this.k.p.i32(a.start)} + i32(i) * ${this.k.p.i32(a.step)})`, int32, n.dtype);
    }
    const f = `(${this.k.p.f32(a.start)} + f32(i) * ${this.k.p.f32(a.step)})`;
    return t === 'f32' ? narrow(n.dtype, f) : cast(f, float32, n.dtype);
  }

  /** Pad: a view whose out-of-range elements take the fill value. */
  private pad(n: MxArray, p: ParamsOf<'pad'>): string {
    const x = n._node!.inputs[0];
    const a = this.accessOf(x);
    const lines: string[] = [];
    const nd = n.ndim;
    if (nd > 0) lines.push('  var r = i;');
    const conds: string[] = [];
    const idx: string[] = [];
    for (let d = nd - 1; d >= 0; d--) {
      const S = this.k.p.u32(n.shape[d]);
      lines.push(d > 0 ? `  let o${d} = r % ${S};\n  r = r / ${S};` : `  let o${d} = r;`);
      lines.push(`  let j${d} = i32(o${d}) - ${this.k.p.i32(p.low[d])};`);
      conds.push(`j${d} < 0 || j${d} >= ${this.k.p.i32(x.shape[d])}`);
      idx[d] = `u32(j${d})`;
    }
    const fill = this.constant(n.dtype, p.value);
    if (conds.length) lines.push(`  if (${conds.join(' || ')}) {\n    return ${fill};\n  }`);
    lines.push(`  return ${this.readAt(a, this.offsetExpr(a, idx, a.strides))};`);
    return lines.join('\n');
  }

  private gather(n: MxArray, p: ParamsOf<'gather'>): string {
    const [a, idx] = n._node!.inputs;
    const N = a.shape[p.axis];
    const post = sizeOf(a.shape.slice(p.axis + 1));
    const P = this.k.p.u32(post), NI = this.k.p.u32(idx.size), NN = this.k.p.u32(N);
    const kv = cast(`${this.fnOf(idx)}(q.y)`, idx.dtype, int32);
    return `  let q = mxb_gather_pos(i, ${NI}, ${P});\n  return ${this.fnOf(a)}(mxb_gather_src(q, ${kv}, ${NN}, ${P}));`;
  }

  private concat(n: MxArray, p: ParamsOf<'concatenate'>): string {
    const ins = n._node!.inputs;
    const inner = this.k.p.u32(sizeOf(n.shape.slice(p.axis + 1)));
    const lines = [`  let q = mxb_concat_pos(i, ${inner}, ${this.k.p.u32(n.shape[p.axis])});`];
    let start = 0;
    ins.forEach((x, j) => {
      const len = x.shape[p.axis];
      const call = `${this.fnOf(x)}(mxb_concat_src(q, ${this.k.p.u32(start)}, ${this.k.p.u32(len)}, ${inner}))`;
      start += len;
      if (j < ins.length - 1) lines.push(`  if (q.y < ${this.k.p.u32(start)}) {\n    return ${call};\n  }`);
      else lines.push(`  return ${call};`);
    });
    return lines.join('\n');
  }
}
