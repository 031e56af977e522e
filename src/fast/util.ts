// Helpers shared by the mx.fast ops: argument checks and kernel outputs.
import type { MxArray, Realized } from '../core/array.ts';
import type { Dtype } from '../core/dtype.ts';
import * as mx from '../index.ts';
import { contiguousStrides, type Shape } from '../core/shape.ts';
import type { BuildCtx } from '../backend/webgpu/segment.ts';
import { wideOf } from '../backend/webgpu/layout.ts';

export const fmt = (s: Shape): string => `(${s.join(',')})`;

/** A fresh contiguous 32-bit result of `size` elements for a value of dtype d. */
export function wideResult(cx: BuildCtx, d: Dtype, shape: Shape, label: string): Realized {
  const size = shape.reduce((a, b) => a * b, 1);
  return { storage: cx.storage(wideOf(d), size, label), strides: contiguousStrides(shape), offset: 0 };
}

/**
 * Derivative rules of an extern op from its composite definition `f` (inputs in call
 * order); only the inputs listed in `diff` get cotangents/tangents.
 */
export function compositeRules<A>(f: (ins: MxArray[], attrs: A) => MxArray, diff: (ins: MxArray[]) => number[]) {
  const partial = (ins: MxArray[], attrs: A, which: number[]) => (...xs: MxArray[]) => {
    const all = [...ins];
    which.forEach((w, i) => (all[w] = xs[i]));
    return [f(all, attrs)];
  };
  return {
    vjp(ins: MxArray[], _outs: MxArray[], g: MxArray, _index: number, attrs: A): (MxArray | null)[] {
      const which = diff(ins);
      const [, gs] = mx.vjp(partial(ins, attrs, which), which.map((w) => ins[w]), [g]);
      const res: (MxArray | null)[] = ins.map(() => null);
      which.forEach((w, i) => (res[w] = gs[i]));
      return res;
    },
    jvp(ins: MxArray[], _outs: MxArray[], ts: (MxArray | null)[], _index: number, attrs: A): MxArray | null {
      const which = diff(ins).filter((w) => ts[w]);
      if (!which.length) return null;
      const [, [t]] = mx.jvp(partial(ins, attrs, which), which.map((w) => ins[w]), which.map((w) => ts[w]!));
      return t;
    },
  };
}

export { nextPow2 } from '../core/shape.ts';
