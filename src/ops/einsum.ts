// einsum: subscripts parsed into labels (ellipsis dims become unused letters), repeated
// labels within an operand taken as diagonals, then a greedy pairwise order where every
// pair is one transpose/reshape + batched matmul; einsumPath reports that order.
import type { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { promoteTypes } from '../core/dtype.ts';
import { fmtShape, sizeOf } from '../core/shape.ts';
import { operands, type ArrayInput } from './core.ts';
import { astype, broadcastTo } from './elementwise.ts';
import { sum } from './reduce.ts';
import { reshape, transpose } from './shape.ts';
import { matmul } from './matmul.ts';
import { diagonal } from './misc.ts';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

interface Spec {
  inputs: string[][];
  output: string[];
  sizes: Map<string, number>;
}

function fail(msg: string): never {
  throw new Error(`[einsum] ${msg}`);
}

/** Labels of every operand and of the output, and each label's (broadcast) size. */
function parse(subscripts: string, shapes: (readonly number[])[]): Spec {
  const s = subscripts.replace(/\s+/g, '');
  const parts = s.split('->');
  if (parts.length > 2) fail(`Subscripts '${subscripts}' contain more than one '->'.`);
  const terms = parts[0].split(',');
  if (terms.length !== shapes.length) fail(`Subscripts '${subscripts}' name ${terms.length} operand(s) but ${shapes.length} were given.`);
  const valid = /^[A-Za-z]*(\.\.\.)?[A-Za-z]*$/;
  for (const t of [...terms, ...(parts.length === 2 ? [parts[1]] : [])]) {
    if (!valid.test(t)) fail(`Invalid subscript '${t}' in '${subscripts}': use letters and at most one '...'.`);
  }
  const free = [...LETTERS].filter((c) => !s.includes(c));
  const ellDims = terms.map((t, k) => {
    const letters = t.replace('...', '').length;
    const nd = shapes[k].length;
    if (t.includes('...') ? nd < letters : nd !== letters) {
      fail(`Operand ${k} with shape ${fmtShape(shapes[k])} has ${nd} dimension(s) but its subscript '${t}' names ${letters}.`);
    }
    return t.includes('...') ? nd - letters : 0;
  });
  const maxE = Math.max(0, ...ellDims);
  if (maxE > free.length) fail(`Too many dimensions under '...' in '${subscripts}'.`);
  const ell = free.slice(0, maxE);
  const expand = (t: string, e: number) => [...t.replace('...', ell.slice(maxE - e).join(''))];
  const inputs = terms.map((t, k) => expand(t, ellDims[k]));
  const sizes = new Map<string, number>();
  inputs.forEach((labels, k) =>
    labels.forEach((l, d) => {
      const n = shapes[k][d], had = sizes.get(l);
      if (had === undefined || had === 1) sizes.set(l, n);
      else if (n !== 1 && n !== had) {
        fail(`Label '${ell.includes(l) ? '...' : l}' has size ${had} in one operand but size ${n} in operand ${k} with shape ${fmtShape(shapes[k])} (subscripts '${subscripts}').`);
      }
    }),
  );
  let output: string[];
  if (parts.length === 2) {
    if (maxE > 0 && !parts[1].includes('...')) fail(`Inputs of '${subscripts}' have ${maxE} dimension(s) under '...' but the output has no '...'.`);
    output = expand(parts[1], maxE);
    for (const l of output) if (!sizes.has(l)) fail(`Output label '${l}' of '${subscripts}' does not appear in any input.`);
    if (new Set(output).size !== output.length) fail(`Output subscript '${parts[1]}' repeats a label.`);
  } else {
    const count = new Map<string, number>();
    for (const l of inputs.flat()) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count.keys()].filter((l) => count.get(l) === 1 && !ell.includes(l)).sort();
    output = [...ell, ...once];
  }
  return { inputs, output, sizes };
}

const sizeOfLabels = (ls: Iterable<string>, sizes: Map<string, number>) => [...ls].reduce((p, l) => p * sizes.get(l)!, 1);

interface Step {
  pair: number[];
  result: string[];
  union: string[];
  contracted: boolean;
  remaining: string[][];
}

/** Greedy order: the pair sharing a label whose result shrinks sizes most; else the smallest outer product. */
function greedy(spec: Spec): Step[] {
  let ops = spec.inputs.map((t) => [...new Set(t)]);
  const steps: Step[] = [];
  if (ops.length === 1) return [{ pair: [0], result: spec.output, union: ops[0], contracted: ops[0].length > spec.output.length, remaining: [] }];
  while (ops.length > 1) {
    let best: { i: number; j: number; cost: number; shared: boolean; result: string[] } | null = null;
    for (let i = 0; i < ops.length; i++) {
      for (let j = i + 1; j < ops.length; j++) {
        const keep = new Set([...spec.output, ...ops.filter((_, k) => k !== i && k !== j).flat()]);
        const union = [...new Set([...ops[i], ...ops[j]])];
        const result = union.filter((l) => keep.has(l));
        const shared = ops[i].some((l) => ops[j].includes(l));
        const rs = sizeOfLabels(result, spec.sizes);
        const cost = shared ? rs - sizeOfLabels(ops[i], spec.sizes) - sizeOfLabels(ops[j], spec.sizes) : rs;
        if (!best || (shared && !best.shared) || (shared === best.shared && cost < best.cost)) best = { i, j, cost, shared, result };
      }
    }
    const { i, j, result } = best!;
    const union = [...new Set([...ops[i], ...ops[j]])];
    ops = [...ops.filter((_, k) => k !== i && k !== j), result];
    steps.push({ pair: [i, j], result, union, contracted: union.length > result.length, remaining: ops });
  }
  return steps;
}

function flops(labels: string[], inner: boolean, terms: number, sizes: Map<string, number>): number {
  return sizeOfLabels(labels, sizes) * (Math.max(1, terms - 1) + (inner ? 1 : 0));
}

function describe(subscripts: string, spec: Spec, steps: Step[]): string {
  const all = [...new Set(spec.inputs.flat())];
  const naive = flops(all, all.length > spec.output.length, spec.inputs.length, spec.sizes);
  const opt = steps.reduce((f, s) => f + flops(s.union, s.contracted, s.pair.length, spec.sizes), 0);
  const largest = Math.max(...steps.map((s) => sizeOfLabels(s.result, spec.sizes)), ...spec.inputs.map((t) => sizeOfLabels(new Set(t), spec.sizes)));
  const fmt = (ts: string[][]) => `${ts.map((t) => t.join('')).join(',')}->${spec.output.join('')}`;
  const lines = [
    `  Complete contraction:  ${subscripts.replace(/\s+/g, '')}`,
    `         Naive scaling:  ${all.length}`,
    `     Optimized scaling:  ${Math.max(...steps.map((s) => s.union.length))}`,
    `      Naive FLOP count:  ${naive.toExponential(3)}`,
    `  Optimized FLOP count:  ${opt.toExponential(3)}`,
    `   Theoretical speedup:  ${(naive / Math.max(1, opt)).toFixed(3)}`,
    `  Largest intermediate:  ${largest.toExponential(3)} elements`,
    '-'.repeat(74),
    `${'scaling'.padEnd(10)}${'current'.padEnd(32)}remaining`,
    '-'.repeat(74),
  ];
  let ops = spec.inputs.map((t) => [...t]);
  for (const s of steps) {
    const cur = `${s.pair.map((k) => ops[k].join('')).join(',')}->${s.result.join('')}`;
    ops = s.pair.length === 2 ? [...ops.filter((_, k) => !s.pair.includes(k)), s.result] : [s.result];
    lines.push(`${String(s.union.length).padStart(4).padEnd(10)}${cur.padEnd(32)}${fmt(ops)}`);
  }
  return lines.join('\n');
}

/**
 * The contraction order einsum uses (greedy pairwise by intermediate size) and a
 * description like NumPy's: `[path, text]`, path a list of operand-index pairs where
 * each pair is removed and its result appended.
 * @example
 * const [path] = mx.einsumPath('ij,jk,kl->il', a, b, c); // e.g. [[0, 1], [0, 1]]
 */
export function einsumPath(subscripts: string, ...arrays: ArrayInput[]): [number[][], string] {
  const xs = operands('einsum', arrays, resolveDevice());
  const spec = parse(subscripts, xs.map((x) => x.shape));
  const steps = greedy(spec);
  return [steps.map((s) => s.pair), describe(subscripts, spec, steps)];
}

interface Term {
  x: MxArray;
  labels: string[];
}

function sumOut(t: Term, drop: (l: string) => boolean, opts?: StreamOpt): Term {
  const axes = t.labels.flatMap((l, d) => (drop(l) ? [d] : []));
  if (!axes.length) return t;
  return { x: sum(t.x, axes, false, opts), labels: t.labels.filter((l) => !drop(l)) };
}

/** Repeated labels of one operand become its diagonal (moved last). */
function takeDiagonals(t: Term, opts?: StreamOpt): Term {
  let { x, labels } = t;
  for (;;) {
    const p = labels.findIndex((l, d) => labels.indexOf(l) !== d);
    if (p < 0) return { x, labels };
    const q = labels.indexOf(labels[p]);
    if (x.shape[p] !== x.shape[q]) fail(`Repeated label '${labels[p]}' spans dimensions of sizes ${x.shape[q]} and ${x.shape[p]} in shape ${fmtShape(x.shape)}.`);
    const l = labels[p];
    x = diagonal(x, 0, q, p, opts);
    labels = [...labels.filter((_, d) => d !== p && d !== q), l];
  }
}

/** One pairwise contraction as [batch, M, K] @ [batch, K, N]. */
function contractPair(a0: Term, b0: Term, keep: Set<string>, opts?: StreamOpt): Term {
  const a = sumOut(a0, (l) => !b0.labels.includes(l) && !keep.has(l), opts);
  const b = sumOut(b0, (l) => !a0.labels.includes(l) && !keep.has(l), opts);
  const inB = (l: string) => b.labels.includes(l);
  const batch = a.labels.filter((l) => inB(l) && keep.has(l));
  const con = a.labels.filter((l) => inB(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !inB(l));
  const bOnly = b.labels.filter((l) => !a.labels.includes(l));
  const dimA = (l: string) => a.x.shape[a.labels.indexOf(l)], dimB = (l: string) => b.x.shape[b.labels.indexOf(l)];
  const both = (l: string) => Math.max(dimA(l), dimB(l));
  const bs = batch.map(both), cs = con.map(both), as = aOnly.map(dimA), bos = bOnly.map(dimB);
  const pa = [...batch, ...aOnly, ...con].map((l) => a.labels.indexOf(l));
  const pb = [...batch, ...con, ...bOnly].map((l) => b.labels.indexOf(l));
  const xa = reshape(broadcastTo(transpose(a.x, pa, opts), [...bs, ...as, ...cs], opts), [sizeOf(bs), sizeOf(as), sizeOf(cs)], opts);
  const xb = reshape(broadcastTo(transpose(b.x, pb, opts), [...bs, ...cs, ...bos], opts), [sizeOf(bs), sizeOf(cs), sizeOf(bos)], opts);
  return { x: reshape(matmul(xa, xb, opts), [...bs, ...as, ...bos], opts), labels: [...batch, ...aOnly, ...bOnly] };
}

/**
 * Einstein summation over the operands, e.g. 'ij,jk->ik' (matmul), 'ii' (trace),
 * 'ii->i' (diagonal), 'bij,bjk->bik', '...ij,...jk' (ellipsis broadcasting), or implicit
 * output (labels appearing once, sorted). Contracts pairwise with matmul in the order
 * einsumPath gives.
 * @example
 * mx.einsum('ij,jk->ik', a, b) // a @ b
 */
export function einsum(subscripts: string, ...arrays: ArrayInput[]): MxArray {
  const xs = operands('einsum', arrays, resolveDevice());
  if (xs.length === 0) fail('At least one operand is required.');
  const spec = parse(subscripts, xs.map((x) => x.shape));
  const dt = xs.map((x) => x.dtype).reduce(promoteTypes);
  const path = greedy(spec).map((s) => s.pair);
  const out = spec.output;
  let terms: Term[] = xs.map((x, k) => takeDiagonals({ x: astype(x, dt), labels: spec.inputs[k] }));
  for (const pair of path) {
    if (pair.length !== 2) break;
    const [i, j] = pair;
    const rest = terms.filter((_, k) => k !== i && k !== j);
    const keep = new Set([...out, ...rest.flatMap((t) => t.labels)]);
    terms = [...rest, contractPair(terms[i], terms[j], keep)];
  }
  const last = sumOut(terms[0], (l) => !out.includes(l));
  const y = transpose(last.x, out.map((l) => last.labels.indexOf(l)));
  return astype(broadcastTo(y, out.map((l) => spec.sizes.get(l)!)), dt);
}
