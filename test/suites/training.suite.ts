// Training end to end: an MLP and a tiny transformer learn synthetic tasks to stated
// losses with AdamW (compiled steps), memory stays flat over 2,000 steps, and a
// checkpoint (safetensors weights + optimizer state) resumes with the same next loss.
// The transformer and the checkpoint test use the training demo's own code
// (demo/train: the char-level GPT, its data batches and its Trainer).
import * as mx from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';
import * as optim from '../../src/optimizers/index.ts';
import { suite } from '../harness/suite.ts';
import { assert, assertEqual, assertClose } from '../harness/assert.ts';
import { onDevice, nums } from './common.ts';
import { GPT } from '../../demo/train/model.ts';
import { CharData } from '../../demo/train/data.ts';
import { Trainer } from '../../demo/train/trainer.ts';

type MxArray = mx.MxArray;
type Tree = Record<string, unknown>;
const u = (lo: number, hi: number, shape: number[], seed: number) => mx.random.uniform(lo, hi, shape, mx.float32, { key: mx.random.key(seed) });

/** The array leaves of trees. */
const leaves = (...ts: unknown[]) => ts.flatMap((t) => mx.treeFlatten(t).map(([, v]) => v)).filter((v): v is MxArray => v instanceof mx.MxArray);

/**
 * A compiled AdamW step for a model and loss: (params, state, ...batch) in, [loss, params,
 * state] out, as the optimizers document for mx.compile.
 */
function compiledStep(model: nn.Module, opt: optim.Optimizer, loss: (...b: MxArray[]) => MxArray, clip = 0) {
  const lossAndGrad = nn.valueAndGrad(model, loss);
  const step = mx.compile((params: Tree, state: Tree, ...batch: MxArray[]) => {
    model.update(params);
    opt.state = state;
    const [l, g] = lossAndGrad(...batch);
    const gc = clip ? optim.clipGradNorm(g, clip)[0] : g;
    return [l, opt.applyGradients(gc, params), opt.state];
  });
  opt.init(model.trainableParameters());
  return {
    step,
    /** One update, evaluated; the replaced parameters and state are released. */
    async run(...batch: MxArray[]): Promise<MxArray> {
      const before = leaves(model.parameters(), opt.state);
      const [l, p, s] = step(model.trainableParameters(), opt.state, ...batch) as [MxArray, Tree, Tree];
      model.update(p);
      opt.state = s;
      await mx.eval(l, model.parameters(), opt.state);
      const now = new Set(leaves(model.parameters(), opt.state));
      for (const a of before) if (!now.has(a)) a.dispose();
      return l;
    },
  };
}

/**
 * Linear-tanh-Linear-tanh-Linear as a Module of its own, not nn.Sequential with nn.tanh: the
 * `{}` placeholders of a Sequential's parameter-less entries are currently dropped when
 * mx.compile rebuilds its argument trees, and the optimizer then re-initialises its moments
 * on every replay (compiled and eager steps diverge from the second update on).
 */
class MLP extends nn.Module {
  l1: nn.Linear;
  l2: nn.Linear;
  l3: nn.Linear;
  constructor(i: number, h: number, o: number) {
    super();
    this.l1 = new nn.Linear(i, h);
    this.l2 = new nn.Linear(h, h);
    this.l3 = new nn.Linear(h, o);
  }
  override forward(x: MxArray): MxArray {
    return this.l3.forward(nn.tanh(this.l2.forward(nn.tanh(this.l1.forward(x)))));
  }
}

/** Reads a list of scalar losses with one readback. */
async function readAll(ls: MxArray[]): Promise<number[]> {
  return nums(mx.stack(ls));
}

export const trainingSuite = suite('training', (t) => {
  const test = onDevice(t);

  test('an MLP learns a synthetic regression to MSE < 0.01 (AdamW, compiled step)', async () => {
    mx.random.seed(1);
    // y = sin(2 x0) * x1 + 0.5 x1^2 on [-1, 1]^2, 64 fixed points, full batch
    const X = u(-1, 1, [64, 2], 11);
    const x0 = X.index(':', '0:1'), x1 = X.index(':', '1:2');
    const Y = mx.add(mx.multiply(mx.sin(mx.multiply(x0, 2)), x1), mx.multiply(mx.square(x1), 0.5));
    await mx.eval(X, Y);
    const model = new MLP(2, 32, 1);
    const opt = new optim.AdamW(optim.cosineDecay(3e-2, 100, 1.5e-3), { weightDecay: 0, biasCorrection: true });
    const { step, run } = compiledStep(model, opt, (x, y) => nn.losses.mseLoss(model.forward(x), y, { reduction: 'mean' }));
    const ls: MxArray[] = [];
    for (let i = 0; i < 100; i++) ls.push(await run(X, Y));
    const v = await readAll(ls);
    // stated target: MSE starts near the variance of y (about 0.1) and ends below 0.01 after 100 steps (reaches ~0.003)
    assert(v[0] > 0.03, `initial loss ${v[0]}`);
    assert(v[99] < 0.01, `loss after 100 steps ${v[99]} should be below 0.01 (start ${v[0]})`);
    assertEqual(step.traces(), 1, 'the compiled step traced once');
  });

  // On SwiftShader one step of this 1-layer, 32-dim model costs 1.4-1.7 s (about 250 kernels
  // at ~6 ms each, measured on the 2-core CI machine) plus ~20 s of first-time pipeline
  // compilation, so the 80 steps here take over two minutes there: CPU only. The
  // same model and compiled AdamW step run on the GPU in the checkpoint test below.
  test('a tiny transformer learns to reverse 4-token sequences to loss < 0.05', async () => {
    mx.random.seed(2);
    // [a b c d | d c b a] over 6 symbols (| = 6, 1,296 sequences): the loss is on the reversed half
    const L = 4, S = 6, SEP = S, B = 16, T = 2 * L;
    const model = new GPT({ vocabSize: S + 1, contextLength: T, dims: 32, numHeads: 2, numLayers: 1 });
    await mx.eval(model.parameters());
    const steps = 80;
    const opt = new optim.AdamW(optim.joinSchedules([optim.linearSchedule(1e-3, 1e-2, 20), optim.cosineDecay(1e-2, steps - 20, 1e-3)], [20]), {
      weightDecay: 0, biasCorrection: true,
    });
    // x = [a b c d | d c b], y = [b c d | d c b a]: positions L..T-1 predict the reversed half
    const mask = mx.array([Array.from({ length: T }, (_, i) => (i >= L ? 1 : 0))], mx.float32);
    const loss = (x: MxArray, y: MxArray) => mx.divide(mx.sum(mx.multiply(nn.losses.crossEntropy(model.forward(x), y), mask)), B * L);
    const { run } = compiledStep(model, opt, loss, 1.0);
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % S;
    const batch = (): [MxArray, MxArray] => {
      const xs: number[] = [], ys: number[] = [];
      for (let b = 0; b < B; b++) {
        const s = Array.from({ length: L }, rnd);
        const seq = [...s, SEP, ...s.slice().reverse()];
        xs.push(...seq.slice(0, T));
        ys.push(...seq.slice(1, T + 1));
      }
      return [mx.reshape(mx.array(xs, mx.int32), [B, T]), mx.reshape(mx.array(ys, mx.int32), [B, T])];
    };
    const ls: MxArray[] = [];
    for (let i = 0; i < steps; i++) ls.push(await run(...batch()));
    const v = await readAll(ls);
    const tail = v.slice(-10).reduce((a, b) => a + b, 0) / 10;
    // stated target: from ~1.9 (log 7) to a mean below 0.05 over the last 10 of 80 steps (it
    // reaches ~0.013 by step 30 and ~0.002 by step 50)
    assert(v[0] > 1, `initial loss ${v[0]}`);
    assert(tail < 0.05, `mean loss of the last 10 steps is ${tail} (should be < 0.05; first ${v[0].toFixed(3)}, step 20 ${v[19].toFixed(3)}, step 40 ${v[39].toFixed(3)})`);
  }, { devices: ['cpu'] });

  /** Active memory over `steps` compiled AdamW steps of a small MLP: its floor must not rise after `probe`. */
  const memoryRun = async (steps: number, probe: number) => {
    mx.random.seed(3);
    const X = u(-1, 1, [16, 4], 31), Y = u(-1, 1, [16, 2], 32);
    await mx.eval(X, Y);
    const model = new MLP(4, 16, 2);
    const opt = new optim.AdamW(optim.cosineDecay(1e-2, steps), { weightDecay: 0.01 });
    const { run } = compiledStep(model, opt, (x, y) => nn.losses.mseLoss(model.forward(x), y, { reduction: 'mean' }), 1.0);
    // unreferenced arrays wait for the garbage collector, so compare the floor of a window
    // of steps (a leak raises it) rather than single readings
    const act: number[] = [];
    for (let i = 1; i <= steps; i++) {
      (await run(X, Y)).dispose();
      act.push(mx.getActiveMemory());
    }
    const win = act.slice(probe - 1, probe + 9), tail = act.slice(-10);
    const floorProbe = Math.min(...win), floorEnd = Math.min(...tail);
    const peakProbe = Math.max(...win), peak = Math.max(...act.slice(probe + 9));
    assert(floorProbe > 0, 'active memory is counted');
    assert(floorEnd <= 1.05 * floorProbe, `active memory floor ${floorEnd} bytes over the last 10 of ${steps} steps vs ${floorProbe} around step ${probe}`);
    assert(peak <= 1.5 * peakProbe, `active memory peaked at ${peak} bytes after step ${probe + 10} (${peakProbe} at most around step ${probe})`);
  };

  // 2,000 steps take about 5 minutes on SwiftShader (~0.15 s per step of this MLP's ~50
  // kernels), so the full-length check runs on the CPU device; the GPU runs 150 steps below.
  test('memory stays flat over 2,000 training steps (active-memory floor at 2,000 within 5% of step 100)', () => memoryRun(2000, 100), { devices: ['cpu'] });
  test('memory stays flat over 150 training steps on the GPU (floor at step 150 within 5% of step 20)', () => memoryRun(150, 20), { devices: ['gpu'] });

  test('save -> load -> resume gives the same next-step loss (weights and AdamW state in safetensors)', async () => {
    const text = 'to be, or not to be, that is the question: whether tis nobler in the mind to suffer\n'.repeat(4);
    const data = new CharData(text);
    const config = { vocabSize: data.vocabSize, contextLength: 8, dims: 16, numHeads: 2, numLayers: 1 };
    const opts = { lr: 1e-2, warmup: 2, totalSteps: 20, batchSize: 4, clip: 1, seed: 5 };
    mx.random.seed(4);
    const a = new Trainer(new GPT(config), data, opts);
    await mx.eval(a.model.parameters());
    await a.run(3);
    const { weights, optimizer } = await a.checkpoint();
    const [[stepA, nextA]] = await a.run(1);

    mx.random.seed(99); // different initial weights: everything must come from the checkpoint
    const b = new Trainer(new GPT(config), data, opts);
    await b.restore(weights, optimizer);
    assertEqual(b.stepCount, 3, 'the step comes back from the optimizer state');
    const [[stepB, nextB]] = await b.run(1);
    assertEqual(stepB, stepA);
    assertClose(nextB, nextA, { rtol: 1e-6, atol: 1e-6, msg: 'loss of the step after resuming' });
    // the step after that matches too (moments and step count were restored, not reset)
    const [[, a5]] = await a.run(1), [[, b5]] = await b.run(1);
    assertClose(b5, a5, { rtol: 1e-5, atol: 1e-6, msg: 'loss two steps after resuming' });
    assertClose(await nums(b.opt.learningRate), await nums(a.opt.learningRate), { rtol: 1e-6, msg: 'scheduled learning rate' });
  });
});
