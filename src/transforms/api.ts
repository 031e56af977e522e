// Public transforms: grad, valueAndGrad, vjp, jvp, customFunction, checkpoint.
import { MxArray } from '../core/array.ts';
import type { CustomImpl } from '../ir/primitive.ts';
import { bind } from '../ops/core.ts';
import { onesLike } from '../ops/creation.ts';
import { mark, backward, forward, customOutputs } from './trace.ts';
import { treeFlatten, treeMap, type Tree } from './tree.ts';

const asList = (x: unknown): MxArray[] => {
  const leaves = treeFlatten(x).map(([, l]) => l);
  for (const l of leaves) if (!(l instanceof MxArray)) throw new TypeError('[transform] Functions must return arrays (or trees of arrays).');
  return leaves as MxArray[];
};

/** Marks every array leaf of a tree; returns the marked tree and the marks. */
function markTree(t: Tree): { tree: Tree; marks: MxArray[] } {
  const marks: MxArray[] = [];
  // treeMap keeps empty containers (a Sequential's parameter-less layers), flatten would not
  const tree = treeMap((l: unknown) => {
    if (!(l instanceof MxArray)) return l;
    const m = mark(l);
    marks.push(m);
    return m;
  }, t);
  return { tree, marks };
}

/** Puts a flat list of leaves back into the shape of a tree's array leaves. */
function refill(t: Tree, vals: MxArray[]): Tree {
  let k = 0;
  return treeMap((l: unknown) => (l instanceof MxArray ? vals[k++] : l), t);
}

/**
 * Vector-Jacobian product: returns [outputs, cotangents of the primals].
 * @example
 * const [[y], [dx]] = mx.vjp((x) => [mx.sin(x)], [x], [mx.onesLike(x)]);
 */
export function vjp(fn: (...args: MxArray[]) => MxArray | MxArray[], primals: MxArray[], cotangents: MxArray[]): [MxArray[], MxArray[]] {
  const marks = primals.map(mark);
  const outs = asList(fn(...marks));
  if (outs.length !== cotangents.length) throw new Error(`[vjp] Got ${cotangents.length} cotangents for ${outs.length} outputs.`);
  outs.forEach((o, i) => {
    if (o.shape.join() !== cotangents[i].shape.join()) throw new Error(`[vjp] Cotangent ${i} has shape (${cotangents[i].shape}) but the output has shape (${o.shape}).`);
  });
  return [outs, backward(outs, cotangents, marks)];
}

/**
 * Jacobian-vector product: returns [outputs, output tangents].
 * @example
 * const [[y], [dy]] = mx.jvp((x) => [mx.exp(x)], [x], [mx.onesLike(x)]);
 */
export function jvp(fn: (...args: MxArray[]) => MxArray | MxArray[], primals: MxArray[], tangents: MxArray[]): [MxArray[], MxArray[]] {
  if (primals.length !== tangents.length) throw new Error(`[jvp] Got ${tangents.length} tangents for ${primals.length} primals.`);
  const marks = primals.map(mark);
  const outs = asList(fn(...marks));
  const ts = forward(outs, marks, tangents);
  return [outs, ts.map((t, i) => t ?? bind('full', [], { value: 0 }, outs[i].shape, outs[i].dtype, outs[i].device))];
}

export interface GradOptions {
  /** Which positional arguments to differentiate (default 0). */
  argnums?: number | number[];
}

/**
 * Returns a function computing [value, gradients] of fn. fn returns a scalar loss, or an
 * array/tuple whose first element is the loss (the rest are passed through).
 * Arguments may be trees (objects and lists of arrays), e.g. model parameters.
 * @example
 * const lossAndGrad = mx.valueAndGrad((w, x, y) => mx.mean(mx.square(x.matmul(w).subtract(y))));
 * const [loss, dw] = lossAndGrad(w, x, y);
 */
export function valueAndGrad<F extends (...args: any[]) => any>(fn: F, options: GradOptions = {}): (...args: Parameters<F>) => [ReturnType<F>, any] {
  const argnums = options.argnums ?? 0;
  const nums = typeof argnums === 'number' ? [argnums] : argnums;
  return (...args: Parameters<F>) => {
    for (const i of nums) if (i < 0 || i >= args.length) throw new Error(`[grad] argnums ${i} is out of range for ${args.length} arguments.`);
    const marked = args.slice();
    const perArg = nums.map((i) => {
      const { tree, marks } = markTree(args[i]);
      marked[i] = tree;
      return marks;
    });
    const value = fn(...marked);
    const loss = value instanceof MxArray ? value : Array.isArray(value) && value[0] instanceof MxArray ? value[0] : null;
    if (!loss) throw new TypeError('[grad] The function must return an array or a list whose first element is the loss array.');
    if (loss.size !== 1) throw new Error(`[grad] The function must return a scalar loss; got shape (${loss.shape.join(',')}).`);
    const all = perArg.flat();
    const gs = backward([loss], [onesLike(loss)], all);
    let k = 0;
    const grads = nums.map((i, j) => refill(args[i], gs.slice(k, (k += perArg[j].length))));
    return [value, typeof argnums === 'number' ? grads[0] : grads];
  };
}

/**
 * Returns a function computing the gradient of fn's scalar output.
 * @example
 * const df = mx.grad((x) => mx.sum(mx.square(x)));
 * await df(mx.array([1, 2])).tolist(); // [2, 4]
 */
export function grad<F extends (...args: any[]) => any>(fn: F, options: GradOptions = {}): (...args: Parameters<F>) => any {
  const vg = valueAndGrad(fn, options);
  return (...args: Parameters<F>) => vg(...args)[1];
}

export interface CustomFunction<F extends (...args: MxArray[]) => MxArray | MxArray[]> {
  (...args: Parameters<F>): ReturnType<F>;
  /** Sets the vjp: (primals, cotangents, outputs) => cotangents of the primals. */
  vjp(rule: (primals: MxArray[], cotangents: MxArray[], outputs: MxArray[]) => (MxArray | null)[]): CustomFunction<F>;
  /** Sets the jvp: (primals, tangents) => output tangents. */
  jvp(rule: (primals: MxArray[], tangents: MxArray[]) => MxArray[]): CustomFunction<F>;
  /** Sets the vmap: (inputs, axes) => [outputs, outAxes]. */
  vmap(rule: (inputs: MxArray[], axes: (number | null)[]) => [MxArray[], (number | null)[]]): CustomFunction<F>;
}

/**
 * Wraps fn so transforms use the rules you give instead of differentiating fn's body.
 * @example
 * const f = mx.customFunction((x) => mx.exp(x));
 * f.vjp(([x], [g], [y]) => [g.multiply(y)]);
 */
export function customFunction<F extends (...args: MxArray[]) => MxArray | MxArray[]>(fn: F, name = 'custom'): CustomFunction<F> {
  const rules: { vjp?: CustomImpl['vjp']; jvp?: CustomImpl['jvp']; vmap?: CustomImpl['vmap'] } = {};
  const call = ((...args: MxArray[]) => {
    const res = fn(...args);
    const outs = Array.isArray(res) ? res : [res];
    const impl: CustomImpl = { name, nOut: outs.length, ...rules };
    const wrapped = outs.map((o, index) => bind('custom', [...args, o], { impl, index }, o.shape, o.dtype, o.device));
    customOutputs.set(impl, wrapped);
    return Array.isArray(res) ? wrapped : wrapped[0];
  }) as unknown as CustomFunction<F>;
  call.vjp = (r) => ((rules.vjp = r as CustomImpl['vjp']), call);
  call.jvp = (r) => ((rules.jvp = r as CustomImpl['jvp']), call);
  call.vmap = (r) => ((rules.vmap = r as CustomImpl['vmap']), call);
  return call;
}

/**
 * Recomputes fn's intermediates in the backward pass instead of keeping them.
 * @example
 * const block = mx.checkpoint((x) => mx.tanh(mx.matmul(x, w)));
 */
export function checkpoint<F extends (...args: MxArray[]) => MxArray | MxArray[]>(fn: F): CustomFunction<F> {
  const f = customFunction(fn, 'checkpoint');
  return f.vjp((primals, cotangents) => {
    // stop the recomputation from reusing the forward graph: fresh marks, same values
    const [, cts] = vjp((...xs) => {
      const r = fn(...xs);
      return Array.isArray(r) ? r : [r];
    }, primals, cotangents);
    return cts;
  });
}
