// nn.valueAndGrad and nn.checkpoint: transforms over a model's trainable parameters.
import * as mx from '../index.ts';
import { Module, type ParamTree } from './module.ts';

type MxArray = mx.MxArray;

/** The array leaves of a parameter tree, and a way to put new leaves in their places. */
function leavesOf(tree: ParamTree): { arrays: MxArray[]; rebuild: (xs: MxArray[]) => ParamTree } {
  const arrays = mx.treeFlatten(tree).map(([, v]) => v).filter((v): v is MxArray => v instanceof mx.MxArray);
  const rebuild = (xs: MxArray[]) => {
    let i = 0;
    // treeMap keeps empty lists/dicts (placeholders of parameter-less entries) in place
    return mx.treeMap((v: unknown) => (v instanceof mx.MxArray ? xs[i++] : v), tree) as ParamTree;
  };
  return { arrays, rebuild };
}

/** The flat list a transform returns for a list argument (it may come back as a record). */
const asList = (x: unknown, n: number): MxArray[] => (Array.isArray(x) ? x : Array.from({ length: n }, (_, i) => (x as Record<number, MxArray>)[i]));

/**
 * Returns a function computing [fn(...args), gradients of the loss with respect to the
 * model's trainable parameters] (MLX's nn.value_and_grad). During the call the model
 * holds the traced parameters, so fn just uses the model; afterwards they are restored.
 * fn returns the scalar loss, or a list whose first element is the loss.
 * @example
 * const lossAndGrad = nn.valueAndGrad(model, (x, y) => nn.losses.mseLoss(model.forward(x), y));
 * const [loss, grads] = lossAndGrad(x, y);
 * model.update(mx.treeMap((p, g) => p.subtract(g.multiply(0.1)), model.trainableParameters(), [grads]) as nn.ParamTree);
 */
export function valueAndGrad<F extends (...args: any[]) => any>(model: Module, fn: F): (...args: Parameters<F>) => [ReturnType<F>, ParamTree] {
  const inner = (flat: MxArray[], rebuild: (xs: MxArray[]) => ParamTree, n: number, ...args: Parameters<F>) => {
    model.update(rebuild(asList(flat, n)));
    return fn(...args);
  };
  const vg = mx.valueAndGrad(inner);
  return (...args: Parameters<F>) => {
    const params = model.trainableParameters();
    const { arrays, rebuild } = leavesOf(params);
    try {
      const [value, g] = vg(arrays, rebuild, arrays.length, ...args);
      return [value as ReturnType<F>, rebuild(asList(g, arrays.length))];
    } finally {
      model.update(params);
    }
  };
}

/**
 * Wraps a module call so its intermediates are recomputed in the backward pass instead
 * of being kept (MLX's nn.utils.checkpoint); gradients still flow to the module's
 * trainable parameters. `fn` defaults to the module's forward.
 * @example
 * const block = nn.checkpoint(layer);
 * const y = block(x, mask);
 */
export function checkpoint<A extends unknown[], R>(module: Module, fn?: (...args: A) => R): (...args: A) => R {
  const call = fn ?? ((...a: A) => module.forward(...a) as R);
  return (...args: A): R => {
    const params = module.trainableParameters();
    const { arrays, rebuild } = leavesOf(params);
    const argPos = args.flatMap((a, i) => (a instanceof mx.MxArray ? [i] : []));
    const n = arrays.length;
    const body = (...xs: MxArray[]): MxArray | MxArray[] => {
      // runs now and again in the backward pass: install the given parameters, then restore
      const saved = module.trainableParameters();
      module.update(rebuild(xs.slice(0, n)));
      try {
        const a = args.slice() as A;
        argPos.forEach((p, j) => ((a as unknown[])[p] = xs[n + j]));
        return call(...a) as MxArray | MxArray[];
      } finally {
        module.update(saved);
      }
    };
    return mx.checkpoint(body)(...arrays, ...argPos.map((p) => args[p] as MxArray)) as R;
  };
}
