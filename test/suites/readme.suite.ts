// The README's training example, verbatim in structure, so the documented code keeps working.
import * as mx from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';
import * as optim from '../../src/optimizers/index.ts';
import * as dx from '../../src/data/index.ts';
import { suite } from '../harness/suite.ts';
import { assert } from '../harness/assert.ts';
import { onDevice } from './common.ts';

type Tree = Record<string, unknown>;

class MLP extends nn.Module {
  l1 = new nn.Linear(2, 32);
  l2 = new nn.Linear(32, 1);
  override forward(x: mx.MxArray): mx.MxArray {
    return this.l2.forward(nn.relu(this.l1.forward(x)));
  }
}

export const readmeSuite = suite('readme', (t) => {
  const test = onDevice(t);

  test('the training example learns y = |x|^2 and resumes from safetensors', async () => {
    mx.random.seed(0);
    const model = new MLP();
    const opt = new optim.AdamW(optim.cosineDecay(1e-2, 300), { weightDecay: 0.01 });
    const lossAndGrad = nn.valueAndGrad(model, (x: mx.MxArray, y: mx.MxArray) => nn.losses.mseLoss(model.forward(x), y, { reduction: 'mean' }));
    // one compiled step: parameters and optimizer state in, updated ones out
    const step = mx.compile((params: Tree, state: Tree, x: mx.MxArray, y: mx.MxArray) => {
      model.update(params);
      opt.state = state;
      const [loss, grads] = lossAndGrad(x, y);
      const [clipped] = optim.clipGradNorm(grads, 1.0);
      return [loss, opt.applyGradients(clipped, params), opt.state];
    });
    opt.init(model.trainableParameters());

    const X = mx.random.uniform(-1, 1, [512, 2]);
    const data = dx.fromArrays({ x: X, y: mx.sum(mx.square(X), 1, true) });
    let last = Infinity;
    for (let epoch = 0; epoch < 30; epoch++) {
      for await (const { x, y } of data.shuffle(epoch).batch(128)) {
        const [loss, params, state] = step(model.trainableParameters(), opt.state, x as mx.MxArray, y as mx.MxArray) as [mx.MxArray, Tree, Tree];
        model.update(params);
        opt.state = state;
        await mx.eval(loss, model.parameters(), opt.state);
        last = (await loss.item()) as number;
      }
    }
    assert(last < 0.01, `final loss ${last}`);

    // save, reload into a fresh model, same predictions
    const bytes = await mx.saveSafetensors(model.saveWeights());
    const again = new MLP().loadWeights((await mx.loadSafetensors(bytes)).arrays);
    const probe = mx.array([[0.5, -0.5]]);
    const [a, b] = [(await model.forward(probe).item()) as number, (await again.forward(probe).item()) as number];
    assert(Math.abs(a - b) < 1e-6 && Math.abs(a - 0.5) < 0.1, `predictions ${a} and ${b} (target 0.5)`);
  });
});
