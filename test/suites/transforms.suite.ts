// Transforms: every differentiable op against finite differences, vmap against loops,
// nesting, custom rules and checkpointing.
import * as mx from '../../src/index.ts';
import { suite } from '../harness/suite.ts';
import { assert, assertClose } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';

type F = (...x: any[]) => mx.MxArray;
const u = (lo: number, hi: number, shape: number[], seed: number) =>
  mx.random.uniform(lo, hi, shape, mx.float32, { key: mx.random.key(seed) });

// [name, fn, inputs]; inputs keep each op inside its smooth domain
const UNARY: [string, F, number, number][] = [
  ['abs', mx.abs, 0.2, 2], ['negative', mx.negative, -2, 2], ['sqrt', mx.sqrt, 0.5, 3], ['rsqrt', mx.rsqrt, 0.5, 3],
  ['square', mx.square, -2, 2], ['reciprocal', mx.reciprocal, 0.5, 3], ['exp', mx.exp, -2, 2], ['expm1', mx.expm1, -1, 1],
  ['log', mx.log, 0.5, 3], ['log1p', mx.log1p, -0.5, 2], ['log2', mx.log2, 0.5, 3], ['log10', mx.log10, 0.5, 3],
  ['sin', mx.sin, -2, 2], ['cos', mx.cos, -2, 2], ['tan', mx.tan, -1, 1], ['arcsin', mx.arcsin, -0.8, 0.8],
  ['arccos', mx.arccos, -0.8, 0.8], ['arctan', mx.arctan, -2, 2], ['sinh', mx.sinh, -2, 2], ['cosh', mx.cosh, -2, 2],
  ['tanh', mx.tanh, -2, 2], ['arcsinh', mx.arcsinh, -2, 2], ['arccosh', mx.arccosh, 1.5, 3], ['arctanh', mx.arctanh, -0.8, 0.8],
  ['sigmoid', mx.sigmoid, -3, 3], ['erf', mx.erf, -1.5, 1.5], ['erfinv', mx.erfinv, -0.8, 0.8],
];
const BINARY: [string, F, [number, number], [number, number]][] = [
  ['add', mx.add, [-2, 2], [-2, 2]], ['subtract', mx.subtract, [-2, 2], [-2, 2]], ['multiply', mx.multiply, [-2, 2], [-2, 2]],
  ['divide', mx.divide, [-2, 2], [0.5, 2]], ['power', mx.power, [0.5, 2], [-1, 2]], ['maximum', mx.maximum, [-2, 0], [0.1, 2]],
  ['minimum', mx.minimum, [-2, 0], [0.1, 2]], ['arctan2', mx.arctan2, [0.5, 2], [0.5, 2]], ['logaddexp', mx.logaddexp, [-2, 2], [-2, 2]],
  ['remainder', mx.remainder, [2.1, 2.9], [1.0, 1.9]],
];

const layerNorm = (x: mx.MxArray, w: mx.MxArray, b: mx.MxArray) => {
  const mu = mx.mean(x, -1, true);
  const v = mx.var(x, -1, true);
  return mx.add(mx.multiply(mx.divide(mx.subtract(x, mu), mx.sqrt(mx.add(v, 1e-5))), w), b);
};
const attention = (q: mx.MxArray, k: mx.MxArray, v: mx.MxArray) =>
  mx.matmul(mx.softmax(mx.divide(mx.matmul(q, mx.swapaxes(k, -1, -2)), 2), -1), v);

const COMPOSITE: [string, F, number[][]][] = [
  ['where', (a, b) => mx.where(mx.greater(a, 0), a, b), [[3, 4], [3, 4]]],
  ['clip', (a) => mx.clip(a, -0.5, 0.5), [[12]]],
  ['sum-axes', (a) => mx.sum(a, [0, 2]), [[2, 3, 4]]],
  ['prod', (a) => mx.prod(mx.add(a, 2), 1), [[3, 4]]],
  ['max', (a) => mx.max(a, 1), [[3, 5]]],
  ['min', (a) => mx.min(a, 0, true), [[3, 5]]],
  ['mean', (a) => mx.mean(a, -1), [[3, 5]]],
  ['var', (a) => mx.var(a, 0, false, 1), [[4, 3]]],
  ['std', (a) => mx.std(a), [[4, 3]]],
  ['logsumexp', (a) => mx.logsumexp(a, -1), [[3, 5]]],
  ['softmax', (a) => mx.softmax(a, -1), [[3, 5]]],
  ['layernorm', layerNorm, [[3, 8], [8], [8]]],
  ['attention', attention, [[2, 4, 4], [2, 5, 4], [2, 5, 3]]],
  ['cumsum', (a) => mx.cumsum(a, 1), [[3, 5]]],
  ['cumsum-rev-excl', (a) => mx.cumsum(a, 1, true, false), [[3, 5]]],
  ['cumprod', (a) => mx.cumprod(mx.add(a, 2), 0), [[4, 3]]],
  ['cumprod-excl', (a) => mx.cumprod(mx.add(a, 2), 1, false, false), [[3, 4]]],
  ['cummax', (a) => mx.cummax(a, 1), [[3, 6]]],
  ['cummin-rev', (a) => mx.cummin(a, 1, true), [[3, 6]]],
  ['reshape-transpose', (a) => mx.transpose(mx.reshape(a, [3, 2, 2]), [2, 0, 1]), [[12]]],
  ['slice-step', (a) => a.index('::-2', '1:'), [[5, 3]]],
  ['broadcast', (a, b) => mx.multiply(a, b), [[3, 1], [4]]],
  ['pad', (a) => mx.pad(a, [[1, 2], [0, 1]]), [[2, 3]]],
  ['pad-edge', (a) => mx.pad(a, 1, 'edge'), [[2, 3]]],
  ['concatenate', (a, b) => mx.concatenate([a, b], 1), [[2, 3], [2, 2]]],
  ['stack-split', (a) => mx.stack(mx.split(a, 2, 1), 0), [[2, 4]]],
  ['tile-repeat', (a) => mx.repeat(mx.tile(a, [2, 1]), 2, 1), [[2, 3]]],
  ['flip-roll', (a) => mx.roll(mx.flip(a, 0), 1, 1), [[3, 4]]],
  ['gather-index', (a) => a.index(mx.array([2, 0, 2]), '1:'), [[3, 4]]],
  ['take', (a) => mx.take(a, mx.array([[1, 1], [0, 3]]), 1), [[2, 4]]],
  ['takeAlongAxis', (a) => mx.takeAlongAxis(a, mx.array([[0], [2]]), 1), [[2, 3]]],
  ['scatter-add', (a, b) => a.at(mx.array([0, 2, 0])).add(b), [[3, 2], [3, 2]]],
  ['scatter-set', (a, b) => mx.sliceUpdate(a, b, [1], [0]), [[4, 2], [2, 2]]],
  ['matmul', mx.matmul, [[3, 4], [4, 2]]],
  ['matmul-batched', mx.matmul, [[2, 3, 4], [4, 5]]],
  ['matmul-vec', mx.matmul, [[4], [4, 3]]],
];

export const transformsSuite = suite('transforms', (test) => {
  for (const [name, f, lo, hi] of UNARY) {
    test(`grad ${name}`, () => checkGrads(f, [u(lo, hi, [2, 3], name.length)]));
  }
  for (const [name, f, ra, rb] of BINARY) {
    test(`grad ${name}`, () => checkGrads(f, [u(ra[0], ra[1], [2, 3], 1), u(rb[0], rb[1], [2, 3], 2)]));
  }
  for (const [name, f, shapes] of COMPOSITE) {
    test(`grad ${name}`, () => checkGrads(f, shapes.map((s, i) => u(-1, 1, s, 10 + i))));
  }

  test('second order: grad(grad) and jvp of grad (Hessian-vector)', async () => {
    await checkGrads((x) => mx.sum(mx.multiply(mx.sin(x), mx.exp(x))), [u(-1, 1, [4], 3)], { order: 2 });
    const x = mx.array([0.5, -1, 2]);
    const g = (y: mx.MxArray) => mx.grad((z: mx.MxArray) => mx.sum(mx.power(z, 3)))(y);
    const [, [hv]] = mx.jvp((y) => [g(y)], [x], [mx.array([1, 0, 1])]);
    assertClose(await hv.tolist(), [3, 0, 12], { rtol: 1e-5 });
    assertClose(await mx.grad((y: mx.MxArray) => mx.sum(g(y)))(x).tolist(), [3, -6, 12], { rtol: 1e-5 });
  });

  test('vmap(grad) gives per-example gradients; grad(vmap) matches', async () => {
    const w = mx.array([1, -2, 0.5]);
    const xs = u(-1, 1, [5, 3], 4);
    const loss = (wt: mx.MxArray, x: mx.MxArray) => mx.square(mx.sum(mx.multiply(wt, x)));
    const per = mx.vmap(mx.grad(loss), { inAxes: [null, 0] })(w, xs) as mx.MxArray;
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(mx.grad(loss)(w, xs.index(i)) as mx.MxArray);
    assertClose(await per.tolist(), await mx.stack(rows).tolist(), { rtol: 1e-5, atol: 1e-6 });
    const total = mx.grad((wt: mx.MxArray) => mx.sum(mx.vmap((x: mx.MxArray) => loss(wt, x))(xs)))(w) as mx.MxArray;
    assertClose(await total.tolist(), await mx.sum(per, 0).tolist(), { rtol: 1e-5, atol: 1e-6 });
  });

  test('vmap matches a loop with inAxes and outAxes other than 0', async () => {
    const a = u(-1, 1, [3, 4, 2], 5);
    const b = u(-1, 1, [2, 4], 6);
    const f = (x: mx.MxArray, y: mx.MxArray) => mx.softmax(mx.add(mx.cumsum(mx.multiply(x, y), 0), mx.max(x)), -1);
    const v = mx.vmap(f, { inAxes: [2, 0], outAxes: 1 })(a, b) as mx.MxArray;
    const parts = [];
    for (let i = 0; i < 2; i++) parts.push(f(a.index('...', i), b.index(i)));
    assertClose(await v.tolist(), await mx.stack(parts, 1).tolist(), { rtol: 1e-5, atol: 1e-6 });
  });

  test('vmap over gathers, matmul, reductions and scatter', async () => {
    const x = u(-1, 1, [4, 5, 3], 7);
    const idx = mx.array([[0, 2], [1, 1], [4, 0], [3, 3]]);
    const f = (a: mx.MxArray, i: mx.MxArray) => mx.matmul(mx.take(a, i, 0), mx.transpose(a)).sum(-1).add(a.at(i).add(1).sum(0).sum());
    const v = mx.vmap(f)(x, idx) as mx.MxArray;
    const parts = [];
    for (let b = 0; b < 4; b++) parts.push(f(x.index(b), idx.index(b)));
    assertClose(await v.tolist(), await mx.stack(parts).tolist(), { rtol: 1e-5, atol: 1e-5 });
  });

  test('compose: vmap of vmap, grad of vmap of grad', async () => {
    const x = u(-1, 1, [2, 3, 4], 8);
    const f = (v: mx.MxArray) => mx.sum(mx.tanh(v));
    const vv = mx.vmap(mx.vmap(mx.grad(f))) (x) as mx.MxArray;
    assertClose(await vv.tolist(), await mx.subtract(1, mx.square(mx.tanh(x))).tolist(), { rtol: 1e-5, atol: 1e-6 });
    const g = mx.grad((y: mx.MxArray) => mx.sum(mx.vmap(mx.grad(f))(y)))(x.index(0)) as mx.MxArray;
    const t = mx.tanh(x.index(0));
    assertClose(await g.tolist(), await mx.multiply(-2, mx.multiply(t, mx.subtract(1, mx.square(t)))).tolist(), { rtol: 1e-4, atol: 1e-5 });
  });

  test('compile(grad(f)) and vmap(compile(f)) match eager, tracing once', async () => {
    let calls = 0;
    const f = (x: mx.MxArray) => { calls++; return mx.sum(mx.multiply(mx.sin(x), mx.exp(x))); };
    const cg = mx.compile(mx.grad(f));
    const eager = (x: mx.MxArray) => mx.grad(f)(x) as mx.MxArray;
    for (const seed of [1, 2]) {
      const x = u(-1, 1, [5], seed);
      assertClose(await (cg(x) as mx.MxArray).tolist(), await eager(x).tolist(), { rtol: 1e-6, atol: 1e-7 });
    }
    assert(cg.traces() === 1, `compiled traces: ${cg.traces()}`);
    const cf = mx.compile((x: mx.MxArray) => mx.softmax(mx.multiply(x, 2), -1));
    const xs = u(-1, 1, [3, 4], 3);
    const v = mx.vmap(cf)(xs) as mx.MxArray;
    assertClose(await v.tolist(), await mx.softmax(mx.multiply(xs, 2), -1).tolist(), { rtol: 1e-6, atol: 1e-7 });
    void calls;
  });

  test('trees keep empty containers through grad and compile replays', async () => {
    const f = mx.compile((p: { w: mx.MxArray; layers: object[] }) => ({ w: mx.add(p.w, 1), layers: [{}, { b: mx.multiply(p.w, 2) }] }));
    for (let i = 0; i < 2; i++) {
      const r = f({ w: mx.array([1], mx.float32), layers: [{}, {}] }) as { w: mx.MxArray; layers: [object, { b: mx.MxArray }] };
      assert(Array.isArray(r.layers) && r.layers.length === 2 && Object.keys(r.layers[0]).length === 0, JSON.stringify(Object.keys(r)));
      assertClose(await r.layers[1].b.tolist(), [2]);
    }
    const g = mx.grad((p: { a: mx.MxArray; mid: object; z: mx.MxArray[] }) => mx.sum(mx.multiply(p.a, p.z[0])))({ a: mx.array([3], mx.float32), mid: {}, z: [mx.array([2], mx.float32)] }) as { mid: object; z: mx.MxArray[] };
    assert(typeof g.mid === 'object' && Object.keys(g.mid).length === 0 && Array.isArray(g.z));
  });

  test('valueAndGrad over parameter trees with argnums and aux outputs', async () => {
    const params = { w: mx.array([[1, 2], [3, 4]], mx.float32), b: [mx.array([0.5, -0.5])] };
    const x = mx.array([[1, 1]], mx.float32);
    const loss = (p: typeof params, xx: mx.MxArray) => {
      const y = mx.add(mx.matmul(xx, p.w), p.b[0]);
      return [mx.sum(mx.square(y)), y];
    };
    const [[l, y], g] = mx.valueAndGrad(loss)(params, x) as [[mx.MxArray, mx.MxArray], typeof params];
    assertClose(await l.item() as number, 4.5 ** 2 + 5.5 ** 2);
    assertClose(await y.tolist(), [[4.5, 5.5]]);
    assertClose(await g.w.tolist(), [[9, 11], [9, 11]]);
    assertClose(await g.b[0].tolist(), [9, 11]);
    const [, [gp, gx]] = mx.valueAndGrad(loss, { argnums: [0, 1] })(params, x) as [unknown, [typeof params, mx.MxArray]];
    assertClose(await gx.tolist(), [[9 * 1 + 11 * 2, 9 * 3 + 11 * 4]]);
    assertClose(await gp.b[0].tolist(), [9, 11]);
  });

  test('astype passes gradients through casts', async () => {
    const g = mx.grad((a: mx.MxArray) => mx.sum(mx.multiply(mx.astype(a, mx.float16), 3)))(mx.array([1.5, 2], mx.float32)) as mx.MxArray;
    assert(g.dtype === mx.float32, g.dtype.name);
    assertClose(await g.tolist(), [3, 3]);
  });

  test('integer inputs and stopGradient give zero gradients', async () => {
    const g = mx.grad((a: mx.MxArray) => mx.sum(mx.astype(a, mx.float32)))(mx.array([1, 2, 3])) as mx.MxArray;
    assertClose(await g.tolist(), [0, 0, 0]);
    const h = mx.grad((a: mx.MxArray) => mx.sum(mx.multiply(mx.stopGradient(a), a)))(mx.array([2, 3], mx.float32)) as mx.MxArray;
    assertClose(await h.tolist(), [2, 3]);
  });

  test('customFunction rules are used (vjp, jvp, vmap)', async () => {
    let vjpCalls = 0, jvpCalls = 0, vmapCalls = 0;
    const f = mx.customFunction((x: mx.MxArray) => mx.exp(x))
      .vjp((_p, [g]) => { vjpCalls++; return [mx.multiply(g, 10)]; })
      .jvp((_p, [t]) => { jvpCalls++; return [mx.multiply(t, 20)]; })
      .vmap(([x], [ax]) => { vmapCalls++; return [[mx.exp(x)], [ax]]; });
    const x = mx.array([0, 1], mx.float32);
    assertClose(await (mx.grad((y: mx.MxArray) => mx.sum(f(y)))(x) as mx.MxArray).tolist(), [10, 10]);
    const [, [t]] = mx.jvp((y) => [f(y)], [x], [mx.array([1, 1], mx.float32)]);
    assertClose(await t.tolist(), [20, 20]);
    assertClose(await (mx.vmap(f)(mx.array([[0], [1]], mx.float32)) as mx.MxArray).tolist(), [[1], [Math.E]], { rtol: 1e-6 });
    assert(vjpCalls === 1 && jvpCalls === 1 && vmapCalls === 1, `rules called ${vjpCalls}/${jvpCalls}/${vmapCalls}`);
  });

  test('checkpoint gives the same gradients with less peak memory', async () => {
    const w = mx.multiply(mx.eye(256), 0.9);
    // two matmuls per block: their outputs are what the plain backward pass keeps (fused
    // elementwise values are recomputed), while checkpoint keeps only each block's input
    const block = (x: mx.MxArray) => {
      const h = mx.matmul(mx.sin(x), w);
      const h2 = mx.matmul(mx.tanh(h), w);
      return mx.multiply(mx.tanh(h2), mx.sigmoid(h));
    };
    const deep = (fn: (x: mx.MxArray) => mx.MxArray) => (x: mx.MxArray) => {
      let h = x;
      for (let i = 0; i < 8; i++) h = fn(h);
      return mx.sum(h);
    };
    const x = u(-1, 1, [64, 256], 9);
    await mx.eval(w, x);
    mx.resetPeakMemory();
    const base = mx.getActiveMemory();
    const g1 = mx.grad(deep(block))(x) as mx.MxArray;
    await mx.eval(g1);
    const plain = mx.getPeakMemory() - base;
    mx.resetPeakMemory();
    const base2 = mx.getActiveMemory();
    const g2 = mx.grad(deep(mx.checkpoint(block)))(x) as mx.MxArray;
    await mx.eval(g2);
    const ckpt = mx.getPeakMemory() - base2;
    assertClose(await g2.tolist(), await g1.tolist(), { rtol: 1e-5, atol: 1e-6 });
    assert(ckpt <= plain, `checkpoint peak ${ckpt} should not exceed plain ${plain}`);
    (globalThis as { __checkpointSaving?: [number, number] }).__checkpointSaving = [plain, ckpt];
  });

  test('tree utilities round-trip', () => {
    const t = { a: [mx.array(1), { b: mx.array(2) }], c: mx.array(3) };
    const flat = mx.treeFlatten(t);
    assert(flat.map(([p]) => p).join() === 'a.0,a.1.b,c', flat.map(([p]) => p).join());
    const back = mx.treeUnflatten(flat) as typeof t;
    assert(back.a[0] === t.a[0] && (back.a[1] as { b: mx.MxArray }).b === (t.a[1] as { b: mx.MxArray }).b);
    assert(mx.treeReduce((s: number, x: mx.MxArray) => s + x.size, t, 0) === 3);
    const m = mx.treeMapWithPath((p: string, x: mx.MxArray) => (p === 'c' ? x : mx.multiply(x, 0)), t) as typeof t;
    assert(m.c === t.c);
  });
});
