// Pytrees: nested plain objects and JS arrays whose leaves are arrays (or anything else).
import { MxArray } from '../core/array.ts';

export type Tree = unknown;
const isDict = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype;

/**
 * Flattens a tree into [path, leaf] pairs in a fixed order (MLX's tree_flatten, paths as
 * 'a.0.b').
 * @example
 * mx.treeFlatten({ w: x, b: [y, z] }) // [['w', x], ['b.0', y], ['b.1', z]]
 */
export function treeFlatten(tree: Tree, prefix = '', isLeaf?: (x: unknown) => boolean): [string, unknown][] {
  const out: [string, unknown][] = [];
  const walk = (t: unknown, p: string) => {
    if (isLeaf?.(t)) out.push([p, t]);
    else if (Array.isArray(t)) t.forEach((c, i) => walk(c, p ? `${p}.${i}` : String(i)));
    else if (isDict(t)) for (const k of Object.keys(t)) walk(t[k], p ? `${p}.${k}` : k);
    else out.push([p, t]);
  };
  walk(tree, prefix);
  return out;
}

/**
 * Rebuilds a tree from [path, leaf] pairs (numeric path parts become JS arrays).
 * @example
 * mx.treeUnflatten([['w', x], ['b.0', y]]) // { w: x, b: [y] }
 */
export function treeUnflatten(pairs: [string, unknown][]): Tree {
  if (pairs.length === 1 && pairs[0][0] === '') return pairs[0][1];
  const root: Record<string, unknown> = {};
  for (const [path, v] of pairs) {
    const parts = path.split('.');
    let cur: Record<string, unknown> = root;
    parts.forEach((k, i) => {
      if (i === parts.length - 1) cur[k] = v;
      else cur = (cur[k] ??= {}) as Record<string, unknown>;
    });
  }
  const fix = (t: unknown): unknown => {
    if (!isDict(t)) return t;
    const keys = Object.keys(t);
    if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => fix(t[k]));
    return Object.fromEntries(keys.map((k) => [k, fix(t[k])]));
  };
  return fix(root);
}

/**
 * Applies fn to every leaf (and the matching leaves of `rest`), keeping the structure.
 * @example
 * mx.treeMap((p) => p.multiply(0.5), params)
 */
export function treeMap(fn: (...leaves: any[]) => unknown, tree: Tree, rest: Tree[] = [], isLeaf?: (x: unknown) => boolean): Tree {
  return treeMapWithPath((_p, ...l) => fn(...l), tree, rest, isLeaf);
}

/**
 * Like treeMap, with each leaf's path as the first argument.
 * @example
 * mx.treeMapWithPath((path, p) => path.endsWith('bias') ? p : p.multiply(2), params)
 */
export function treeMapWithPath(fn: (path: string, ...leaves: any[]) => unknown, tree: Tree, rest: Tree[] = [], isLeaf?: (x: unknown) => boolean, path = ''): Tree {
  if (isLeaf?.(tree)) return fn(path, tree, ...rest);
  const sub = (k: string | number) => (path ? `${path}.${k}` : String(k));
  if (Array.isArray(tree)) return tree.map((c, i) => treeMapWithPath(fn, c, rest.map((r) => (r as unknown[])[i]), isLeaf, sub(i)));
  if (isDict(tree)) {
    return Object.fromEntries(Object.keys(tree).map((k) => [k, treeMapWithPath(fn, tree[k], rest.map((r) => (r as Record<string, unknown>)[k]), isLeaf, sub(k))]));
  }
  return fn(path, tree, ...rest);
}

/**
 * Folds the leaves of a tree.
 * @example
 * mx.treeReduce((acc, p) => acc + p.size, params, 0)
 */
export function treeReduce<A>(fn: (acc: A, leaf: any) => A, tree: Tree, initial: A, isLeaf?: (x: unknown) => boolean): A {
  return treeFlatten(tree, '', isLeaf).reduce((acc, [, l]) => fn(acc, l), initial);
}

/** The MxArray leaves of a tree, in treeFlatten order. */
export const arrayLeaves = (tree: Tree): MxArray[] => treeFlatten(tree).map(([, l]) => l).filter((l): l is MxArray => l instanceof MxArray);

/**
 * Merges two trees: containers merge key by key (lists position by position); where only
 * one tree has a value it is kept; where both have leaves, `mergeFn` combines them.
 * @example
 * mx.treeMerge({ a: 1 }, { b: 2 }) // { a: 1, b: 2 }
 */
export function treeMerge(a: Tree, b: Tree, mergeFn?: (a: unknown, b: unknown) => unknown): Tree {
  const empty = (t: unknown) => t === null || t === undefined || (Array.isArray(t) && t.length === 0) || (isDict(t) && Object.keys(t).length === 0);
  if (empty(a)) return empty(b) ? a ?? b : b;
  if (empty(b)) return a;
  if (Array.isArray(a) && Array.isArray(b)) {
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => treeMerge(a[i] as Tree, b[i] as Tree, mergeFn));
  }
  if (isDict(a) && isDict(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return Object.fromEntries(keys.map((k) => [k, treeMerge(a[k] as Tree, b[k] as Tree, mergeFn)]));
  }
  if (!mergeFn) throw new Error('[treeMerge] Both trees have a value at the same place but no mergeFn was given.');
  return mergeFn(a, b) as Tree;
}
