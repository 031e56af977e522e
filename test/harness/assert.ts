// Runtime-neutral assertions (no vitest `expect`): they must run unchanged in
// Node, Deno and a browser page.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** Complex values (from a complex64 readback) compare as a trailing axis of (re, im). */
export type Numeric = number | bigint | boolean | { re: number; im: number };
/** A number, a flat array-like (typed arrays included), or nested arrays of them. */
export type NumericTree = Numeric | ArrayLike<Numeric> | readonly NumericTree[];

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  equalNan?: boolean;
  msg?: string;
}

function fail(msg: string | undefined, detail: string): never {
  throw new AssertionError(msg ? `${msg}: ${detail}` : detail);
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return (
    Array.isArray(x) ||
    ArrayBuffer.isView(x) ||
    (typeof x === 'object' && x !== null && typeof (x as { length?: unknown }).length === 'number')
  );
}

/** Shape and row-major flat values of a nested numeric tree; throws on ragged input. */
export function flatten(x: unknown, what = 'value'): { shape: number[]; data: number[] } {
  const shape: number[] = [];
  const data: number[] = [];
  let leafDepth = -1;
  // The shape is fixed by the first element on each level; later ones must agree.
  const walk = (v: unknown, depth: number, path: string): void => {
    if (typeof v === 'object' && v !== null && 're' in v && 'im' in v) v = [(v as { re: number }).re, (v as { im: number }).im];
    if (isArrayLike(v)) {
      if (leafDepth >= 0 && depth >= leafDepth)
        fail(undefined, `${what} is ragged at ${path}: an array where a scalar was expected`);
      if (depth === shape.length) shape.push(v.length);
      else if (depth > shape.length || shape[depth] !== v.length)
        fail(undefined, `${what} is ragged at ${path || '[]'} (length ${v.length}, expected ${shape[depth] ?? 'a scalar'})`);
      for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
      return;
    }
    if (depth !== shape.length) fail(undefined, `${what} is ragged at ${path}: a scalar where an array was expected`);
    leafDepth = depth;
    if (typeof v === 'number') data.push(v);
    else if (typeof v === 'bigint' || typeof v === 'boolean') data.push(Number(v));
    else fail(undefined, `${what} has a non-numeric element at ${path || '[]'}: ${fmt(v)}`);
  };
  walk(x, 0, '');
  return { shape, data };
}

function unravel(flat: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * Element-wise |a - e| <= atol + rtol * |e| (NumPy's isclose), with NaN == NaN
 * (when equalNan) and infinities compared exactly. Shapes must match.
 */
export function assertClose(actual: NumericTree, expected: NumericTree, opts: CloseOptions = {}): void {
  const { rtol = 1e-5, atol = 1e-6, equalNan = true, msg } = opts;
  const a = flatten(actual, 'actual');
  const e = flatten(expected, 'expected');
  if (a.shape.length !== e.shape.length || a.shape.some((n, i) => n !== e.shape[i]))
    fail(msg, `shape mismatch: actual ${shapeStr(a.shape)}, expected ${shapeStr(e.shape)}`);
  let bad = 0;
  let first = -1;
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < e.data.length; i++) {
    const x = a.data[i];
    const y = e.data[i];
    let ok: boolean;
    if (Number.isNaN(x) || Number.isNaN(y)) ok = equalNan && Number.isNaN(x) && Number.isNaN(y);
    else if (!Number.isFinite(x) || !Number.isFinite(y)) ok = x === y;
    else {
      const err = Math.abs(x - y);
      ok = err <= atol + rtol * Math.abs(y);
      maxAbs = Math.max(maxAbs, err);
      if (y !== 0) maxRel = Math.max(maxRel, err / Math.abs(y));
    }
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad === 0) return;
  const idx = a.shape.length ? shapeStr(unravel(first, a.shape)) : '(scalar)';
  fail(
    msg,
    `${bad} of ${e.data.length} elements differ (rtol=${rtol}, atol=${atol}); ` +
      `first at ${idx}: actual ${a.data[first]}, expected ${e.data[first]}; ` +
      `max abs error ${maxAbs}, max rel error ${maxRel} (finite elements)`,
  );
}

/** Short printable form of any value for messages. */
export function fmt(v: unknown, max = 12): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (isArrayLike(v) && typeof v !== 'function') {
    const items = Array.from({ length: Math.min(v.length, max) }, (_, i) => fmt(v[i], max));
    const tail = v.length > max ? `, ... (${v.length} items)` : '';
    const tag = Array.isArray(v) ? '' : (v as object).constructor?.name ?? '';
    return `${tag}[${items.join(', ')}${tail}]`;
  }
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (typeof v === 'object' && v !== null) {
    try {
      const s = JSON.stringify(v);
      return s.length > 200 ? s.slice(0, 200) + '...' : s;
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
  return String(v);
}

function typeTag(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  if (Array.isArray(v)) return 'Array';
  return (v as object).constructor?.name ?? 'Object';
}

// Returns the path and reason of the first difference, or null when equal.
function diff(a: unknown, b: unknown, path: string): string | null {
  if (a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))) return null;
  const ta = typeTag(a);
  const tb = typeTag(b);
  if (ta !== tb) return `${path || 'value'}: type ${ta} vs ${tb} (${fmt(a)} vs ${fmt(b)})`;
  if (typeof a !== 'object' || a === null || b === null) return `${path || 'value'}: ${fmt(a)} !== ${fmt(b)}`;
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return `${path || 'value'}: Map size ${a.size} vs ${b.size}`;
    for (const [k, v] of a) {
      if (!b.has(k)) return `${path}.get(${fmt(k)}): missing in expected`;
      const d = diff(v, b.get(k), `${path}.get(${fmt(k)})`);
      if (d) return d;
    }
    return null;
  }
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return `${path || 'value'}: Set size ${a.size} vs ${b.size}`;
    for (const k of a) if (!b.has(k)) return `${path || 'value'}: Set element ${fmt(k)} missing in expected`;
    return null;
  }
  if (isArrayLike(a) && isArrayLike(b)) {
    if (a.length !== b.length) return `${path || 'value'}: length ${a.length} vs ${b.length} (${fmt(a)} vs ${fmt(b)})`;
    for (let i = 0; i < a.length; i++) {
      const d = diff(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  const d = diff(ka, kb, `${path || 'value'} keys`);
  if (d) return d;
  for (const k of ka) {
    const dd = diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (dd) return dd;
  }
  return null;
}

/** Deep equality: same types (typed-array class included), NaN equals NaN, 0 equals -0. */
export function assertEqual(actual: unknown, expected: unknown, msg?: string): void {
  const d = diff(actual, expected, '');
  if (d) fail(msg, `not equal at ${d}`);
}

/** `x` is an object with a `shape` (e.g. an mx array) or a nested numeric array. */
export function assertShape(x: unknown, expected: readonly number[], msg?: string): void {
  const own = (x as { shape?: unknown } | null)?.shape;
  const shape = Array.isArray(own) ? own : flatten(x).shape;
  if (shape.length !== expected.length || shape.some((n, i) => n !== expected[i]))
    fail(msg, `shape ${shapeStr(shape)}, expected ${shapeStr(expected)}`);
}

function checkError(e: unknown, re: RegExp, what: string): unknown {
  const message = e instanceof Error ? e.message : String(e);
  if (!re.test(message)) fail(undefined, `${what} with '${message}', which does not match ${re}`);
  return e;
}

/** `fn` must throw synchronously with a message matching `re`; returns the error. */
export function assertThrows(fn: () => unknown, re: RegExp): unknown {
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    return checkError(e, re, 'threw');
  }
  if (r instanceof Promise) {
    r.catch(() => {}); // avoid an unhandled rejection; the caller wanted assertRejects
    fail(undefined, `expected a synchronous throw matching ${re}, but fn returned a Promise (use assertRejects)`);
  }
  fail(undefined, `expected a throw matching ${re}, but fn returned ${fmt(r)}`);
}

/** `fn()` must reject (or throw) with a message matching `re`; returns the error. */
export async function assertRejects(fn: () => Promise<unknown> | unknown, re: RegExp): Promise<unknown> {
  let r: unknown;
  try {
    r = await fn();
  } catch (e) {
    return checkError(e, re, 'rejected');
  }
  fail(undefined, `expected a rejection matching ${re}, but it resolved to ${fmt(r)}`);
}

export function assert(cond: unknown, msg = 'assertion failed'): asserts cond {
  if (!cond) fail(undefined, msg);
}
