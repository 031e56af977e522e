// webmlx/optimizers: every optimizer against NumPy over several steps, schedules,
// clipGradNorm, a quadratic minimised by Adam, state save/load, trees and modules.
import * as mx from '../../src/index.ts';
import * as optim from '../../src/optimizers/index.ts';
import * as io from '../../src/io/index.ts';
import { suite, type TestCtx } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertThrows, assertRejects } from '../harness/assert.ts';
import fixture, { type OptCase, type TreeSpec } from '../fixtures/opt.gen.ts';

type Tree = Record<string, mx.MxArray>;
const dev = (ctx: TestCtx) => mx.setDefaultDevice(ctx.device === 'cpu' ? mx.cpu : mx.gpu);
const nums = async (a: mx.MxArray) => Array.from((await a.data()) as ArrayLike<number>, Number);

function tree(spec: TreeSpec, dtype: mx.DtypeName): Tree {
  return Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, mx.reshape(mx.array(v.data, dtype), v.shape)]));
}

const SCHEDULES: Record<string, (...a: number[]) => optim.ScheduleFn> = {
  exponentialDecay: optim.exponentialDecay, stepDecay: optim.stepDecay, cosineDecay: optim.cosineDecay,
  linearSchedule: optim.linearSchedule,
};

function makeOpt(c: OptCase): optim.Optimizer {
  const o: Record<string, unknown> = { ...c.args };
  if (c.learningRate !== null) o.learningRate = c.learningRate;
  for (const [name, s] of Object.entries(c.schedules)) {
    const fn = SCHEDULES[s.fn](...s.args);
    if (name === 'beta1') o.betas = [fn, (c.args.betas as number[] | undefined)?.[1] ?? 0.999];
    else o[name] = fn;
  }
  const C = (optim as unknown as Record<string, new (o: unknown) => optim.Optimizer>)[c.opt];
  return new C(o);
}

async function checkTree(got: Tree, exp: TreeSpec, c: OptCase, what: string): Promise<void> {
  for (const [k, v] of Object.entries(exp)) {
    assertEqual([...got[k].shape], v.shape, `${what} ${k} shape`);
    assertClose(await nums(got[k]), v.data, { rtol: c.rtol, atol: c.atol, msg: `${what} ${k}` });
  }
}

/** Nodes of the lazy graph behind arrays (stops at realized arrays). */
function graphSize(...xs: mx.MxArray[]): number {
  const seen = new Set<mx.MxArray>();
  const stack = [...xs];
  while (stack.length) {
    const a = stack.pop()!;
    if (seen.has(a) || a._data) continue;
    seen.add(a);
    stack.push(...(a._node?.inputs ?? []));
  }
  return seen.size;
}

export const optimizersSuite = suite('optimizers', (test) => {
  for (const c of fixture.cases) {
    test(`${c.name}: ${c.grads.length} steps vs NumPy`, async (ctx) => {
      dev(ctx);
      const opt = makeOpt(c);
      let params = tree(c.params, c.dtype);
      for (let s = 0; s < c.grads.length; s++) {
        params = opt.applyGradients(tree(c.grads[s], c.dtype), params) as Tree;
        await mx.eval(params, opt.state);
        await checkTree(params, c.expected[s], c, `step ${s + 1}`);
      }
      assertEqual(await opt.step.item(), c.grads.length, 'step count');
    });
  }

  test('schedules match MLX formulas (array and number steps)', async (ctx) => {
    dev(ctx);
    for (const s of fixture.schedules) {
      const fn = s.fn === 'joinSchedules'
        ? optim.joinSchedules([optim.linearSchedule(0, 0.1, 5), optim.cosineDecay(0.1, 10)], [5])
        : SCHEDULES[s.fn](...s.args);
      const viaArray = s.steps.map((k) => fn(mx.array(k, mx.uint32)));
      const viaNumber = s.steps.map((k) => fn(k));
      await mx.eval(viaArray, viaNumber);
      const a = await Promise.all(viaArray.map((x) => x.item() as Promise<number>));
      const n = await Promise.all(viaNumber.map((x) => x.item() as Promise<number>));
      // WGSL's cos/pow promise only about 2^-11 absolute error
      const tol = ctx.device === 'gpu' ? { rtol: 1e-4, atol: 3e-5 } : { rtol: 1e-5, atol: 1e-7 };
      assertClose(a, s.values, { ...tol, msg: `${s.fn}(${s.args}) with array steps` });
      assertClose(n, s.values, { ...tol, msg: `${s.fn}(${s.args}) with number steps` });
      assert(viaArray.every((x) => x.dtype === mx.float32 && x.ndim === 0), `${s.fn} returns float32 0-d arrays`);
    }
    assertThrows(() => optim.joinSchedules([optim.linearSchedule(0, 1, 2)], [3]), /boundaries/);
    assertThrows(() => optim.cosineDecay(1, 0), /decaySteps/);
    assertThrows(() => optim.stepDecay(1, 0.5, 0), /stepSize/);
  });

  test('clipGradNorm scales to the max norm and reports the norm', async (ctx) => {
    dev(ctx);
    for (const c of fixture.clip) {
      const g = { a: mx.array(c.grads.a), b: mx.reshape(mx.array(c.grads.b), [2, 2]) };
      const [clipped, norm] = optim.clipGradNorm(g, c.maxNorm);
      await mx.eval(clipped, norm);
      assertClose(await norm.item() as number, c.norm, { rtol: 1e-5, msg: 'norm' });
      assertClose(await nums(clipped.a), c.clipped.a, { rtol: 1e-5, msg: `a (max ${c.maxNorm})` });
      assertClose(await nums(clipped.b), c.clipped.b, { rtol: 1e-5, msg: `b (max ${c.maxNorm})` });
      assertEqual([...clipped.b.shape], [2, 2]);
    }
    assertThrows(() => optim.clipGradNorm({ a: mx.ones([2]) }, -1), /maxNorm/);
  });

  test('Adam minimises a quadratic', async (ctx) => {
    dev(ctx);
    const target = mx.array([1.5, -2, 0.25]);
    const scale = mx.array([1, 4, 0.5]);
    const loss = (p: { x: mx.MxArray }) => mx.sum(mx.multiply(scale, mx.square(mx.subtract(p.x, target))));
    const lossAndGrad = mx.valueAndGrad(loss);
    const opt = new optim.Adam(0.1, { biasCorrection: true });
    let params = { x: mx.zeros([3]) };
    let first = 0, last = 0;
    for (let i = 0; i < 200; i++) {
      const [l, g] = lossAndGrad(params);
      params = opt.applyGradients(g, params);
      await mx.eval(params, opt.state, l);
      if (i === 0) first = (await l.item()) as number;
      last = (await l.item()) as number;
    }
    assert(last < first * 1e-3, `loss went from ${first} to ${last}`);
    assertClose(await nums(params.x), [1.5, -2, 0.25], { atol: 0.05, rtol: 0 });
  });

  test('state save/load round trip continues identically', async (ctx) => {
    dev(ctx);
    const grads = (k: number) => ({ w: mx.multiply(mx.ones([2, 3]), k * 0.3 - 0.4), b: [mx.array([k, -k], mx.float32), { c: mx.array([0.5 * k], mx.float32) }] });
    const p0 = { w: mx.reshape(mx.arange(6, undefined, undefined, mx.float32), [2, 3]), b: [mx.array([1, 2], mx.float32), { c: mx.array([3], mx.float32) }] };
    const a = new optim.AdamW(0.05, { biasCorrection: true, betas: [0.8, optim.linearSchedule(0.9, 0.99, 4)] });
    let pa: any = p0;
    for (let k = 1; k <= 2; k++) pa = a.applyGradients(grads(k), pa);
    await mx.eval(pa, a.state);
    const bytes = await optim.saveState(a);
    const b = new optim.AdamW(0.05, { biasCorrection: true, betas: [0.8, optim.linearSchedule(0.9, 0.99, 4)] });
    await optim.loadState(b, bytes);
    assertEqual(await b.step.item(), 2, 'restored step');
    assertEqual(b.step.dtype, mx.uint32);
    assertEqual(Object.keys(b.state).sort(), Object.keys(a.state).sort(), 'state keys');
    assert(Array.isArray((b.state as any).b), 'list subtrees come back as lists');
    let pb: any = pa;
    for (let k = 3; k <= 4; k++) {
      pa = a.applyGradients(grads(k), pa);
      pb = b.applyGradients(grads(k), pb);
    }
    await mx.eval(pa, pb);
    assertClose(await nums(pb.w), await nums(pa.w), { rtol: 0, atol: 0, msg: 'w' });
    assertClose(await nums(pb.b[1].c), await nums(pa.b[1].c), { rtol: 0, atol: 0, msg: 'b.1.c' });
    await assertRejects(() => optim.loadState(new optim.SGD(0.1), bytes), /saved from AdamW/);
  });

  test('state files written by MLX load (snake_case names, uint64 step)', async (ctx) => {
    dev(ctx);
    const c = { stream: mx.cpu };
    const w = mx.array([1, 2], mx.float32);
    const mlxState = {
      step: mx.array(3, mx.uint64, c), learning_rate: mx.array(0.5, mx.float32), 'w.exp_avg_sq': mx.array([0.25, 4], mx.float32),
    };
    const opt = new optim.Adafactor({ learningRate: 0.1, relativeStep: false });
    await optim.loadState(opt, await io.saveSafetensors(mlxState));
    assertEqual(opt.step.dtype, mx.uint32);
    assertEqual(await opt.step.item(), 3);
    assertClose(await opt.learningRate.item() as number, 0.5);
    assertEqual(await ((opt.state as any).w.expAvgSq as mx.MxArray).tolist(), [0.25, 4]);
    const out = opt.applyGradients({ w: mx.array([1, 1], mx.float32) }, { w });
    await mx.eval(out);
    assertEqual(await opt.step.item(), 4);
  }, { devices: ['cpu'] });

  test('update(model, grads) works on duck-typed modules', async (ctx) => {
    dev(ctx);
    class Model {
      params: { layers: { weight: mx.MxArray }[]; bias: mx.MxArray } = { layers: [{ weight: mx.ones([2]) }, { weight: mx.ones([2]) }], bias: mx.zeros([2]) };
      parameters() { return this.params; }
      update(t: any) {
        // partial trees merge in, as nn.Module.update does
        if (t.bias) this.params.bias = t.bias;
        t.layers?.forEach((l: any, i: number) => { if (l?.weight) this.params.layers[i].weight = l.weight; });
      }
    }
    const m = new Model();
    const opt = new optim.SGD(0.5);
    const f = (x: number[]) => mx.array(x, mx.float32);
    opt.update(m, { layers: [{ weight: f([1, 2]) }, { weight: f([0, -2]) }], bias: f([1, 1]) });
    await mx.eval(m.parameters());
    assertEqual(await m.params.layers[0].weight.tolist(), [0.5, 0]);
    assertEqual(await m.params.layers[1].weight.tolist(), [1, 2]);
    assertEqual(await m.params.bias.tolist(), [-0.5, -0.5]);
    assertThrows(() => opt.update({ w: mx.ones([2]) } as never, { w: mx.ones([2]) }), /applyGradients/);
  });

  test('trees: lists, nesting, superset parameters, bare arrays, init', async (ctx) => {
    dev(ctx);
    const opt = new optim.SGD(1, { momentum: 0.5 });
    const params = { a: [mx.array([1, 2]), mx.array([3])], b: { c: mx.array([4]) }, frozen: mx.array([9]) };
    opt.init({ a: params.a, b: params.b });
    assertEqual(Object.keys(opt.state), ['step', 'learningRate', 'a', 'b']);
    const out = opt.applyGradients({ a: [mx.array([1, 1]), mx.array([2])], b: { c: mx.array([1]) } }, params);
    assert(!('frozen' in out), 'result has the structure of the gradients');
    assertEqual(await out.a[0].tolist(), [0, 1]);
    assertEqual(await out.b.c.tolist(), [3]);
    assertEqual(await ((opt.state as any).a[1].v as mx.MxArray).tolist(), [2]);
    const list = new optim.Adagrad(0.1).applyGradients([mx.array([1]), mx.array([2])], [mx.array([0]), mx.array([0])]);
    assert(Array.isArray(list) && list.length === 2, 'list trees stay lists');
    const bare = new optim.SGD(0.1).applyGradients(mx.array([1, 2], mx.float32), mx.zeros([2]));
    assertClose(await nums(bare), [-0.1, -0.2]);
    assertThrows(() => opt.applyGradients({ step: mx.ones([1]) }, { step: mx.ones([1]) }), /clashes/);
    assertThrows(() => opt.applyGradients({ z: mx.ones([2]) }, { z: mx.ones([3]) }), /shape/);
    assertThrows(() => opt.applyGradients({ q: mx.ones([2]) }, {}), /No parameter/);
  });

  test('learningRate, step and scheduled hyperparameters live in the state', async (ctx) => {
    dev(ctx);
    const opt = new optim.SGD(optim.exponentialDecay(1, 0.5), { momentum: 0.9 });
    assertClose(await opt.learningRate.item() as number, 1);
    let p = { w: mx.array([0]) };
    for (let i = 0; i < 3; i++) p = opt.applyGradients({ w: mx.array([1]) }, p);
    assertEqual(await opt.step.item(), 3);
    assertClose(await opt.learningRate.item() as number, 0.25, { msg: 'schedule(step=2) as MLX: evaluated before the increment' });
    const fixed = new optim.Adam(1e-3);
    fixed.learningRate = 0.5;
    assertEqual(fixed.learningRate.dtype, mx.float32);
    assertClose(await fixed.learningRate.item() as number, 0.5);
    assertThrows(() => new optim.SGD(0.1, { nesterov: true }), /Nesterov/);
    assertThrows(() => new optim.Adam(0.1, { betas: [1.2, 0.9] }), /beta1/);
    assertThrows(() => new optim.Adafactor({ relativeStep: false }), /learning rate/);
    assertThrows(() => new optim.MultiOptimizer([new optim.SGD(1), new optim.SGD(1)]), /filters/);
  });

  test('per-step values are 0-d inputs: graphs do not grow with the step', async (ctx) => {
    dev(ctx);
    const opt = new optim.Adam(optim.cosineDecay(0.1, 100), { biasCorrection: true });
    let p = { w: mx.ones([4]) };
    const hyper: number[] = [], update: number[] = [];
    for (let i = 0; i < 5; i++) {
      p = opt.applyGradients({ w: mx.full([4], 0.5) }, p);
      hyper.push(graphSize(opt.step, opt.learningRate));
      update.push(graphSize(p.w));
      // the moments are evaluated; the step and learning rate deliberately are not
      await mx.eval(p, (opt.state as any).w);
    }
    assert(opt.step._data !== null, 'the step is a realized 0-d array');
    assert(hyper.every((s) => s === hyper[0]), `step/lr graph sizes per step: ${hyper.join(', ')}`);
    // step 1 also builds the zero-initialised moments
    assert(update.slice(1).every((s) => s === update[1]), `update graph sizes per step: ${update.join(', ')}`);
  });

  test('compiled training steps: the state goes in and out explicitly', async (ctx) => {
    dev(ctx);
    const target = mx.array([0.5, -1, 2], mx.float32);
    const loss = (p: { w: mx.MxArray }, x: mx.MxArray) => mx.sum(mx.square(mx.subtract(mx.multiply(p.w, x), target)));
    const lossAndGrad = mx.valueAndGrad(loss);
    const make = () => new optim.Adam(optim.cosineDecay(0.1, 20), { biasCorrection: true });
    const eager = make(), comp = make();
    const step = mx.compile((params: { w: mx.MxArray }, state: Record<string, unknown>, x: mx.MxArray) => {
      comp.state = state;
      const [l, g] = lossAndGrad(params, x);
      return [l, comp.applyGradients(g, params), comp.state];
    });
    let pe = { w: mx.ones([3]) }, pc = { w: mx.ones([3]) };
    comp.init(pc);
    for (let i = 0; i < 5; i++) {
      const x = mx.array([1, 2, 0.5 + i], mx.float32);
      const [, g] = lossAndGrad(pe, x);
      pe = eager.applyGradients(g, pe);
      const [, np, st] = step(pc, comp.state, x) as [mx.MxArray, { w: mx.MxArray }, Record<string, unknown>];
      pc = np;
      comp.state = st;
      await mx.eval(pe, eager.state, pc, comp.state);
    }
    assertEqual(step.traces(), 1, 'traced once');
    assertEqual(await comp.step.item(), 5);
    assertClose(await nums(pc.w), await nums(pe.w), { rtol: 1e-6, atol: 1e-7 });
    assertClose(await comp.learningRate.item() as number, await eager.learningRate.item() as number, { rtol: 1e-6 });
  });

  test('MultiOptimizer routes parameters by path and saves its state', async (ctx) => {
    dev(ctx);
    const mk = () => new optim.MultiOptimizer([new optim.SGD(1), new optim.SGD(0.1)], [(path) => path.endsWith('bias')]);
    const opt = mk();
    const f = (x: number) => mx.array([x], mx.float32);
    const params = { l: { weight: f(1), bias: f(1) }, head: [{ bias: f(2) }] };
    const g = { l: { weight: f(1), bias: f(1) }, head: [{ bias: f(1) }] };
    const out = opt.applyGradients(g, params);
    await mx.eval(out);
    assertClose(await nums(out.l.weight), [0.9]);
    assertClose(await nums(out.l.bias), [0]);
    assertClose(await nums(out.head[0].bias), [1]);
    assert(Array.isArray(out.head), 'lists survive the split and merge');
    assertEqual(Object.keys(opt.state), ['states']);
    opt.learningRate = 0.5;
    assertClose(await (opt.optimizers[1].learningRate.item()) as number, 0.5);
    const bytes = await optim.saveState(opt);
    const other = mk();
    await optim.loadState(other, bytes);
    assertEqual(await other.optimizers[0].step.item(), 1);
  });
});
