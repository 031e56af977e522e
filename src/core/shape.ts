// Shape arithmetic shared by ops and backends.

export type Shape = readonly number[];

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** Row-major strides in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export const fmtShape = (s: Shape): string => `(${s.join(',')}${s.length === 1 ? ',' : ''})`;

/** NumPy broadcasting of several shapes; throws naming the op. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = nd - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new Error(`[${op}] Shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast.`);
      }
    }
  }
  return out;
}

/** Normalises a possibly negative axis; throws naming the op. */
export function normAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new Error(`[${op}] Axis ${axis} is out of bounds for array with ${ndim} dimensions.`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Normalises an axis list (undefined = all axes), rejecting duplicates. */
export function normAxes(op: string, axes: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axes === undefined || axes === null) return [...Array(ndim).keys()];
  const list = typeof axes === 'number' ? [axes] : axes;
  const r = list.map((a) => normAxis(op, a, ndim));
  if (new Set(r).size !== r.length) throw new Error(`[${op}] Received duplicate axes [${list.join(', ')}].`);
  return r.sort((a, b) => a - b);
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function checkShape(op: string, shape: Shape): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`[${op}] Invalid shape ${fmtShape(shape)}: dimensions must be non-negative integers.`);
  }
  return [...shape];
}

/** Whether (shape, strides) describes row-major contiguous memory (size-1 dims ignored). */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== acc) return false;
    acc *= shape[i];
  }
  return true;
}

/**
 * Strides for viewing (shape, strides) as newShape without a copy, or null if a copy is
 * needed (NumPy's attempt_nocopy_reshape).
 */
export function reshapeStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  const os: number[] = [], ost: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1) { os.push(shape[i]); ost.push(strides[i]); }
  const ns = [...newShape];
  const nst = new Array<number>(ns.length).fill(0);
  if (sizeOf(shape) === 0) return contiguousStrides(newShape);
  let oi = 0, oj = 1, ni = 0, nj = 1;
  while (ni < ns.length && oi < os.length) {
    let np = ns[ni], op = os[oi];
    while (np !== op) {
      if (np < op) np *= ns[nj++];
      else op *= os[oj++];
    }
    for (let k = oi; k < oj - 1; k++) if (ost[k] !== os[k + 1] * ost[k + 1]) return null;
    nst[nj - 1] = ost[oj - 1];
    for (let k = nj - 1; k > ni; k--) nst[k - 1] = nst[k] * ns[k];
    ni = nj++;
    oi = oj++;
  }
  // trailing size-1 dims of the new shape
  for (let k = ni; k < ns.length; k++) nst[k] = 1;
  return nst;
}

/** The smallest power of two >= n (1 for n <= 1). */
export const nextPow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
