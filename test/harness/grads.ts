// checkGrads: transforms vs central finite differences computed in float64 on the CPU.
import * as mx from '../../src/index.ts';
import { assertClose } from './assert.ts';

type Fn = (...xs: mx.MxArray[]) => mx.MxArray;
export interface CheckOpts { order?: 1 | 2; modes?: ('fwd' | 'rev')[]; eps?: number; rtol?: number; atol?: number; seed?: number }

/** Float64 CPU copies of arrays (the finite-difference oracle runs there). */
const to64 = (xs: mx.MxArray[]) => xs.map((x) => mx.astype(x, mx.float64, { stream: mx.cpu }));

async function numericDirectional(fn: Fn, xs: mx.MxArray[], vs: mx.MxArray[], eps: number): Promise<number[]> {
  const prev = mx.defaultDevice();
  mx.setDefaultDevice(mx.cpu);
  try {
    const x64 = to64(xs), v64 = to64(vs);
    const plus = fn(...x64.map((x, i) => mx.add(x, mx.multiply(v64[i], eps))));
    const minus = fn(...x64.map((x, i) => mx.subtract(x, mx.multiply(v64[i], eps))));
    const d = mx.divide(mx.subtract(mx.astype(plus, mx.float64), mx.astype(minus, mx.float64)), 2 * eps);
    return Array.from((await d.data()) as ArrayLike<number>);
  } finally {
    mx.setDefaultDevice(prev);
  }
}

/**
 * Checks fn's jvp (fwd) and vjp (rev) at xs against central differences along random
 * directions; with order 2 it checks the gradient's gradient too.
 */
export async function checkGrads(fn: Fn, xs: mx.MxArray[], opts: CheckOpts = {}): Promise<void> {
  const { order = 1, modes = ['fwd', 'rev'], eps = 1e-4, rtol = 2e-3, atol = 2e-3 } = opts;
  const key = mx.random.key(opts.seed ?? 7);
  const keys = mx.random.split(key, xs.length + 1);
  const vs = xs.map((x, i) => mx.random.normal([...x.shape], mx.float32, 0, 1, { key: keys[i] }));
  const num = await numericDirectional(fn, xs, vs, eps);
  if (modes.includes('fwd')) {
    const [, [t]] = mx.jvp((...a) => [fn(...a)], xs, vs);
    assertClose(Array.from((await t.data()) as ArrayLike<number>), num, { rtol, atol, msg: 'jvp vs finite differences' });
  }
  if (modes.includes('rev')) {
    const y = fn(...xs);
    const ct = mx.random.normal([...y.shape], mx.float32, 0, 1, { key: keys[xs.length] });
    const [, gs] = mx.vjp((...a) => [fn(...a)], xs, [ct]);
    // <ct, J v> must equal <J^T ct, v>
    const c = Array.from((await ct.data()) as ArrayLike<number>);
    const lhs = num.reduce((s, d, i) => s + d * c[i], 0);
    let rhs = 0;
    for (let i = 0; i < xs.length; i++) rhs += (await mx.sum(mx.multiply(gs[i], vs[i])).item()) as number;
    assertClose(rhs, lhs, { rtol, atol: atol * Math.max(1, num.length), msg: 'vjp vs finite differences' });
  }
  if (order === 2) {
    const g = (...a: mx.MxArray[]) => {
      const [, gs] = mx.vjp((...b) => [mx.sum(fn(...b))], a, [mx.array(1)]);
      return gs.reduce((s, x) => mx.add(s, mx.sum(mx.multiply(x, x))), mx.array(0, mx.float32));
    };
    await checkGrads(g, xs, { ...opts, order: 1 });
  }
}

