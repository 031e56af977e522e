// Where pipelines start: arrays, lists of samples, iterables, text lines, CSV, file names.
import { MxArray } from '../core/array.ts';
import { int32 } from '../core/dtype.ts';
import { array, type ArrayInput } from '../ops/core.ts';
import { take, index } from '../ops/indexing.ts';
import { toBytes, isBytesLike, type BytesLike } from '../io/bytes.ts';
import { readFile } from '../io/fs.ts';
import { Buffer } from './buffer.ts';
import { Stream, streamOf } from './stream.ts';
import { type Sample, collate, isPlainObject } from './sample.ts';

/**
 * A buffer over arrays that share their first dimension: sample i holds row i of each.
 * Batches are one gather per array (lazy, on the arrays' device).
 * @example
 * const buf = dx.fromArrays({ x: mx.random.normal([1000, 8]), y: labels });
 * const { x, y } = await buf.batch(32).get(0); // x: [32, 8]
 */
export function fromArrays(arrays: Record<string, ArrayInput>): Buffer {
  const keys = Object.keys(arrays);
  if (keys.length === 0) throw new Error('[fromArrays] Give at least one array.');
  const arrs = Object.fromEntries(keys.map((k) => [k, arrays[k] instanceof MxArray ? (arrays[k] as MxArray) : array(arrays[k])]));
  const n = arrs[keys[0]].shape[0];
  for (const k of keys) {
    const a = arrs[k];
    if (a.ndim === 0) throw new Error(`[fromArrays] '${k}' is a scalar; arrays need a first dimension.`);
    if (a.shape[0] !== n) throw new Error(`[fromArrays] '${k}' has ${a.shape[0]} rows but '${keys[0]}' has ${n}.`);
  }
  const rows = (idx: number[] | number) => Object.fromEntries(keys.map((k) => {
    const a = arrs[k];
    return [k, typeof idx === 'number' ? index(a, [idx]) : take(a, array(idx, int32, { stream: a.device }), 0)];
  }));
  return new Buffer(n, (i) => rows(i), (idx) => rows(idx));
}

/**
 * A buffer over a list of samples (mlx-data's buffer_from_vector).
 * @example
 * const buf = dx.fromVector([{ file: 'a.png', label: 0 }, { file: 'b.png', label: 1 }]);
 */
export function fromVector(samples: Sample[]): Buffer {
  samples.forEach((s, i) => {
    if (!isPlainObject(s)) throw new TypeError(`[fromVector] Sample ${i} is not a plain object.`);
  });
  const list = samples.slice();
  return new Buffer(list.length, (i) => ({ ...list[i] }), (idx, o) => collate(idx.map((i) => list[i]), o));
}

/**
 * A stream over an iterable or async iterable of samples. Pass a function returning the
 * iterable to let the stream restart (for `repeat` or iterating twice). Values that are not
 * plain objects become `{ value }` samples.
 * @example
 * const s = dx.fromIterable(function* () { for (let i = 0; i < 10; i++) yield { x: i }; });
 */
export function fromIterable(src: Iterable<unknown> | AsyncIterable<unknown> | (() => Iterable<unknown> | AsyncIterable<unknown>)): Stream {
  return streamOf(src as never).map((v) => (isPlainObject(v) ? v : { value: v }));
}

/** A text source: a path or URL, bytes, or a Blob/File. */
export type TextSource = string | BytesLike;

async function* chunks(src: TextSource): AsyncGenerator<Uint8Array> {
  if (typeof Blob !== 'undefined' && src instanceof Blob) {
    const reader = src.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  }
  if (typeof src === 'string' && /^https?:/i.test(src)) {
    const r = await fetch(src);
    if (!r.ok || !r.body) throw new Error(`[data] Cannot read '${src}': HTTP ${r.status} ${r.statusText}`);
    const reader = r.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  }
  const all = typeof src === 'string' ? await readFile(src) : isBytesLike(src) ? await toBytes(src) : null;
  if (!all) throw new TypeError('[data] Expected a path, URL, bytes or Blob.');
  for (let i = 0; i < all.length; i += 1 << 20) yield all.subarray(i, i + (1 << 20));
}

async function* lines(src: TextSource): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let rest = '';
  for await (const c of chunks(src)) {
    rest += dec.decode(c, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, nl).replace(/\r$/, '');
      rest = rest.slice(nl + 1);
    }
  }
  rest += dec.decode();
  if (rest !== '') yield rest.replace(/\r$/, '');
}

/** Options of fromTextLines. */
export interface TextLinesOptions {
  /** The key of each line (default 'line'). */
  key?: string;
  /** Skip empty lines (default false). */
  skipEmpty?: boolean;
}

/**
 * A stream of the lines of a text file (path/URL/bytes/Blob), read incrementally.
 * @example
 * for await (const { line } of dx.fromTextLines('corpus.txt')) count++;
 */
export function fromTextLines(src: TextSource, opts: TextLinesOptions = {}): Stream {
  const key = opts.key ?? 'line';
  return new Stream(async function* () {
    for await (const l of lines(src)) if (!(opts.skipEmpty && l === '')) yield { [key]: l };
  });
}

/** Options of fromCsv. */
export interface CsvOptions {
  /** Field separator (default ','). */
  sep?: string;
  /** Quote character (default '"'); doubled inside quotes to escape it. */
  quote?: string;
  /** The first row names the columns (default true); otherwise columns are '0', '1', ... */
  header?: boolean;
  /** Column names to use (overrides the header row). */
  columns?: string[];
  /** Convert these columns (or all, with true) to numbers. */
  numeric?: boolean | string[];
}

async function* csvRows(src: TextSource, sep: string, quote: string): AsyncGenerator<string[]> {
  const dec = new TextDecoder();
  let field = '', row: string[] = [], inQ = false, afterQ = false, any = false;
  const flushRow = function* () {
    row.push(field);
    field = '';
    if (row.length > 1 || row[0] !== '') yield row;
    row = [];
    any = false;
  };
  for await (const c of chunks(src)) {
    const text = dec.decode(c, { stream: true });
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (inQ) {
        if (ch === quote) {
          if (text[i + 1] === quote) {
            field += quote;
            i++;
          } else {
            inQ = false;
            afterQ = true;
          }
        } else field += ch;
        continue;
      }
      if (ch === quote && field === '' && !afterQ) {
        inQ = true;
        any = true;
      } else if (ch === sep) {
        row.push(field);
        field = '';
        afterQ = false;
        any = true;
      } else if (ch === '\n') {
        afterQ = false;
        yield* flushRow();
      } else if (ch === '\r') {
        continue;
      } else {
        field += ch;
        any = true;
      }
    }
  }
  if (inQ) throw new Error('[fromCsv] The file ends inside a quoted field.');
  if (any || field !== '' || row.length) yield* flushRow();
}

/**
 * A stream of CSV records as samples keyed by column name (values are strings, or numbers
 * for `numeric` columns). Quoted fields may hold separators, quotes ("") and newlines.
 * @example
 * const rows = dx.fromCsv('data.csv', { numeric: ['x', 'y'] }).batch(64);
 */
export function fromCsv(src: TextSource, opts: CsvOptions = {}): Stream {
  const sep = opts.sep ?? ',', quote = opts.quote ?? '"';
  return new Stream(async function* () {
    let names: string[] | null = opts.columns ?? null;
    let first = true, line = 0;
    for await (const row of csvRows(src, sep, quote)) {
      line++;
      if (first && (opts.header ?? true)) {
        first = false;
        names ??= row;
        continue;
      }
      first = false;
      names ??= row.map((_, i) => String(i));
      if (row.length !== names.length) throw new Error(`[fromCsv] Record ${line} has ${row.length} fields, expected ${names.length}.`);
      const num = opts.numeric;
      yield Object.fromEntries(row.map((v, i) => {
        const k = names![i];
        const conv = num === true || (Array.isArray(num) && num.includes(k));
        if (!conv) return [k, v];
        const x = Number(v);
        if (v.trim() === '' || Number.isNaN(x) && v.trim() !== 'NaN') throw new Error(`[fromCsv] Record ${line}, column '${k}': '${v}' is not a number.`);
        return [k, x];
      }));
    }
  });
}

/**
 * A buffer of file names (one sample per path, under `key`); chain `loadImage`,
 * `loadAudio` or `loadFile` to read them.
 * @example
 * const imgs = dx.fromFiles(paths, 'image').loadImage('image').imageResize('image', 64, 64);
 */
export function fromFiles(paths: string[], key = 'file'): Buffer {
  return fromVector(paths.map((p) => ({ [key]: p })));
}

/**
 * A buffer of URLs (one sample per URL, under `key`); loaders fetch them.
 * @example
 * const imgs = dx.fromUrls(urls).loadImage('url', { outputKey: 'image' });
 */
export function fromUrls(urls: string[], key = 'url'): Buffer {
  return fromFiles(urls, key);
}
