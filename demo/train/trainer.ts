// The training loop shared by the CLI (train.ts), the page (main.ts) and the tests:
// AdamW with linear warmup + cosine decay, global-norm clipping, an optional compiled
// step (state passed in and out explicitly), explicit release of replaced arrays so
// memory stays flat, checkpoints as safetensors bytes, and temperature sampling.
import * as mx from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';
import * as optim from '../../src/optimizers/index.ts';
import { GPT, lmLoss, hfConfig, type GPTConfig } from './model.ts';
import { CharData } from './data.ts';

type MxArray = mx.MxArray;
type Tree = Record<string, unknown>;

export interface TrainOptions {
  /** Peak learning rate. */
  lr: number;
  /** Final learning rate of the cosine decay (default lr / 10). */
  minLr?: number;
  /** Linear warmup steps (default 0). */
  warmup?: number;
  /** Length of the schedule: the cosine reaches minLr here. */
  totalSteps: number;
  weightDecay?: number;
  /** Global gradient-norm clip (0 = none). */
  clip?: number;
  batchSize: number;
  /** Seed of the batches (and of nothing else: weights come from mx.random). */
  seed?: number;
  /** Run the step through mx.compile (default true). */
  compile?: boolean;
}

/** One [step, loss] entry of the loss log; `step` counts completed updates. */
export type LossEntry = [number, number];

/** The learning-rate schedule of the options: warmup then cosine decay. */
export function schedule(o: TrainOptions): optim.ScheduleFn {
  const minLr = o.minLr ?? o.lr / 10;
  const warmup = o.warmup ?? 0;
  const cos = optim.cosineDecay(o.lr, Math.max(1, o.totalSteps - warmup), minLr);
  if (warmup <= 0) return cos;
  return optim.joinSchedules([optim.linearSchedule(o.lr / warmup, o.lr, warmup), cos], [warmup]);
}

/** The array leaves of trees. */
function leaves(...trees: unknown[]): MxArray[] {
  return trees.flatMap((t) => mx.treeFlatten(t).map(([, v]) => v)).filter((v): v is MxArray => v instanceof mx.MxArray);
}

/**
 * Trains a GPT on a CharData. `step()` builds one update lazily and returns its loss;
 * `run(n)` runs n updates, evaluating each and releasing what it replaced.
 * @example
 * const t = new Trainer(new GPT({ ...SMALL.model, vocabSize: data.vocabSize }), data, { lr: 3e-3, totalSteps: 1000, batchSize: 16 });
 * const losses = await t.run(100);
 */
export class Trainer {
  readonly model: GPT;
  readonly data: CharData;
  readonly options: TrainOptions;
  opt: optim.AdamW;
  /** Completed updates. */
  stepCount = 0;
  /** Whether the optimizer state holds every parameter's moments (init or restore). */
  private optReady = false;
  private readonly lossAndGrad: (x: MxArray, y: MxArray) => [MxArray, nn.ParamTree];
  private readonly stepFn: (params: Tree, state: Tree, x: MxArray, y: MxArray) => [MxArray, MxArray, Tree, Tree];
  private compiled: ((params: Tree, state: Tree, x: MxArray, y: MxArray) => [MxArray, MxArray, Tree, Tree]) & { traces?: () => number };

  constructor(model: GPT, data: CharData, options: TrainOptions) {
    this.model = model;
    this.data = data;
    this.options = options;
    this.opt = this.makeOptimizer();
    this.lossAndGrad = nn.valueAndGrad(model, (x: MxArray, y: MxArray) => lmLoss(model, x, y));
    // The whole update as a function of (params, optimizer state, batch): what mx.compile
    // needs, since a replay runs no JS and so cannot read or write the optimizer object.
    this.stepFn = (params, state, x, y) => {
      this.model.update(params);
      this.opt.state = state;
      const [loss, grads] = this.lossAndGrad(x, y);
      let g: Tree = grads, norm: MxArray;
      if (this.options.clip) [g, norm] = optim.clipGradNorm(grads, this.options.clip);
      else norm = mx.sqrt(leaves(grads).map((a) => mx.sum(mx.square(a))).reduce((a, b) => mx.add(a, b)));
      const newParams = this.opt.applyGradients(g, params) as Tree;
      return [loss, norm, newParams, this.opt.state];
    };
    this.compiled = options.compile === false ? this.stepFn : mx.compile(this.stepFn);
  }

  private makeOptimizer(): optim.AdamW {
    return new optim.AdamW(schedule(this.options), { weightDecay: this.options.weightDecay ?? 0.01, betas: [0.9, 0.99], biasCorrection: true });
  }

  /** How many times the compiled step was traced (0 when not compiled). */
  get traces(): number {
    return this.compiled.traces?.() ?? 0;
  }

  /** Builds one update (lazy) and installs it; returns [loss, gradient norm before clipping]. */
  step(): [MxArray, MxArray] {
    const { batchSize } = this.options;
    const [x, y] = this.data.batch(this.stepCount, batchSize, this.model.config.contextLength, this.options.seed ?? 0);
    const params = this.model.trainableParameters() as Tree;
    if (!this.optReady) {
      this.opt.init(params);
      this.optReady = true;
    }
    const [loss, norm, newParams, newState] = this.compiled(params, this.opt.state, x, y);
    this.model.update(newParams);
    this.opt.state = newState;
    this.stepCount++;
    return [loss, norm];
  }

  /**
   * Runs `n` updates; evaluates each one, releases the parameters and optimizer state it
   * replaced, and reads the losses back every `readEvery` steps (one readback for all).
   * `onLoss` sees each [step, loss] once it is read.
   */
  async run(n: number, onLoss?: (e: LossEntry) => void | Promise<void>, readEvery = 10): Promise<LossEntry[]> {
    const out: LossEntry[] = [];
    let pending: [number, MxArray][] = [];
    const flush = async () => {
      if (!pending.length) return;
      const stacked = pending.length === 1 ? pending[0][1] : mx.stack(pending.map(([, l]) => l));
      const vals = Array.from((await stacked.data()) as Float32Array);
      if (stacked !== pending[0][1]) stacked.dispose();
      for (let i = 0; i < pending.length; i++) {
        const e: LossEntry = [pending[i][0], vals[i]];
        out.push(e);
        pending[i][1].dispose();
        await onLoss?.(e);
      }
      pending = [];
    };
    for (let i = 0; i < n; i++) {
      const before = leaves(this.model.parameters(), this.opt.state);
      const [loss] = this.step();
      await mx.eval(loss, this.model.parameters(), this.opt.state);
      this.release(before);
      pending.push([this.stepCount, loss]);
      if (pending.length >= readEvery) await flush();
    }
    await flush();
    return out;
  }

  /** Disposes arrays of `before` that the model and optimizer no longer hold. */
  release(before: MxArray[]): void {
    const now = new Set(leaves(this.model.parameters(), this.opt.state));
    for (const a of before) if (!now.has(a)) a.dispose();
  }

  /** Mean loss over `batches` batches of a split (no update). */
  async evalLoss(split: 'train' | 'val' = 'val', batches = 4): Promise<number> {
    let total = 0;
    for (let i = 0; i < batches; i++) {
      const [x, y] = this.data.batch(1_000_000 + i, this.options.batchSize, this.model.config.contextLength, this.options.seed ?? 0, split);
      const l = lmLoss(this.model, x, y);
      total += (await l.item()) as number;
      l.dispose();
    }
    return total / batches;
  }

  /**
   * Generates `n` characters after `prompt` with mx.random.categorical on logits /
   * temperature. Every forward pass has the full context length (the prompt is padded
   * on the right; the causal mask keeps the padding out), so one graph shape serves all.
   */
  async sample(prompt: string, n: number, temperature = 0.8, seed = 0): Promise<string> {
    const T = this.model.config.contextLength;
    const ids = Array.from(this.data.encode(prompt || '\n'));
    let key = mx.random.key(seed);
    for (let i = 0; i < n; i++) {
      const ctx = ids.slice(-T);
      const len = ctx.length;
      const buf = new Int32Array(T);
      buf.set(ctx);
      const logits = this.model.forward(mx.reshape(mx.array(buf, mx.int32), [1, T])); // [1, T, V]
      const last = mx.take(mx.reshape(logits, [T, -1]), mx.array([len - 1], mx.int32), 0); // [1, V]
      const [k1, k2] = mx.random.split(key);
      key = k1;
      const tok = mx.random.categorical(mx.divide(last, Math.max(temperature, 1e-4)), -1, { key: k2 });
      ids.push((await tok.item()) as number);
      tok.dispose();
    }
    return this.data.decode(ids.slice(-n));
  }

  /** The checkpoint as bytes: weights (with config and vocabulary in the metadata) and optimizer state. */
  async checkpoint(): Promise<{ weights: Uint8Array; optimizer: Uint8Array; config: Record<string, unknown> }> {
    const config = hfConfig(this.model, { vocab: this.data.vocab, step: this.stepCount, train: this.options });
    const weights = await mx.saveSafetensors(this.model.saveWeights(), { format: 'webmlx-char-gpt', config: JSON.stringify(config) });
    const optimizer = await optim.saveState(this.opt);
    return { weights, optimizer, config };
  }

  /** Restores weights and optimizer state written by `checkpoint()`; the step comes from the optimizer. */
  async restore(weights: Uint8Array, optimizer: Uint8Array): Promise<void> {
    const { arrays } = await mx.loadSafetensors(weights);
    this.model.loadWeights(arrays);
    this.opt = this.makeOptimizer();
    await optim.loadState(this.opt, optimizer);
    this.optReady = true;
    this.stepCount = Number(await this.opt.step.item());
    await mx.eval(this.model.parameters(), this.opt.state);
  }
}

/** Reads the model config and vocabulary stored in a weights file's metadata. */
export async function readCheckpointConfig(weights: Uint8Array): Promise<{ config: GPTConfig; vocab: string[]; step: number; train?: TrainOptions }> {
  const { metadata } = await mx.loadSafetensors(weights);
  const c = JSON.parse(metadata.config ?? '{}');
  if (!c.vocab) throw new Error('not a webmlx-char-gpt checkpoint (no config/vocab in the metadata)');
  return {
    config: {
      vocabSize: c.vocab_size, contextLength: c.max_position_embeddings, dims: c.hidden_size, numHeads: c.num_attention_heads,
      numLayers: c.num_hidden_layers, mlpDims: c.intermediate_size, tieEmbeddings: c.tie_word_embeddings,
    },
    vocab: c.vocab, step: c.step, train: c.train,
  };
}
