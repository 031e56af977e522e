// One training step (MLP, softmax cross-entropy, SGD) in webmlx (eager and compiled),
// @jax-js/jax (jit of valueAndGrad + update) and tfjs-webgpu (optimizer.minimize), on one
// adapter in one process. Each timed step ends by reading the loss back, so GPU work is
// inside the time; the median of the timed steps is reported with the final losses (all
// start from the same weights and data, so their loss curves must agree).
//   node dist/gpu/train.mjs (bundled by bench/gpu-build.mjs) [--big] [--steps=N] [--libs=webmlx,webmlx-eager,jax-js,tfjs]
import * as mx from '../src/index.ts';
import { setupGpu, runtimeName, randomFloats, loadJax, loadTfjs } from './suite.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const G = globalThis as Any;

const rand = (n: number, seed: number, scale: number): Float32Array => randomFloats(n, seed).map((v) => v * scale);

interface Problem {
  dims: number[];
  batch: number;
  lr: number;
  x: Float32Array;
  y: Float32Array; // one-hot
  w: Float32Array[];
  b: Float32Array[];
}

function problem(big: boolean): Problem {
  const dims = big ? [784, 1024, 1024, 10] : [64, 128, 128, 10];
  const batch = big ? 256 : 32;
  const x = rand(batch * dims[0], 1, 1);
  const y = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) y[i * 10 + ((i * 7) % 10)] = 1;
  const w: Float32Array[] = [], b: Float32Array[] = [];
  for (let l = 0; l < 3; l++) {
    w.push(rand(dims[l] * dims[l + 1], 10 + l, Math.sqrt(6 / (dims[l] + dims[l + 1]))));
    b.push(new Float32Array(dims[l + 1]));
  }
  return { dims, batch, lr: 0.1, x, y, w, b };
}

interface Runner {
  name: string;
  init(): Promise<void>;
  /** One step; resolves with the loss read back. */
  step(): Promise<number>;
}

function webmlx(p: Problem, compiled: boolean): Runner {
  type P = Record<string, mx.MxArray>;
  let params: P = {}, x: mx.MxArray, y: mx.MxArray;
  const loss = (q: P, xb: mx.MxArray, yb: mx.MxArray) => {
    let h = mx.maximum(mx.add(mx.matmul(xb, q.w0), q.b0), 0);
    h = mx.maximum(mx.add(mx.matmul(h, q.w1), q.b1), 0);
    const logits = mx.add(mx.matmul(h, q.w2), q.b2);
    const logp = mx.subtract(logits, mx.logsumexp(logits, -1, true));
    return mx.multiply(mx.sum(mx.multiply(logp, yb)), -1 / p.batch);
  };
  const vg = mx.valueAndGrad(loss);
  const update = (q: P, xb: mx.MxArray, yb: mx.MxArray): [mx.MxArray, P] => {
    const [l, g] = vg(q, xb, yb) as [mx.MxArray, P];
    const next: P = {};
    for (const k of Object.keys(q)) next[k] = mx.subtract(q[k], mx.multiply(g[k], p.lr));
    return [l, next];
  };
  const step = compiled ? mx.compile(update) : update;
  return {
    name: compiled ? 'webmlx (compile)' : 'webmlx (eager)',
    async init() {
      await mx.gpu.init();
      for (let l = 0; l < 3; l++) {
        params[`w${l}`] = mx.reshape(mx.array(p.w[l]), [p.dims[l], p.dims[l + 1]]);
        params[`b${l}`] = mx.array(p.b[l]);
      }
      x = mx.reshape(mx.array(p.x), [p.batch, p.dims[0]]);
      y = mx.reshape(mx.array(p.y), [p.batch, 10]);
      await mx.eval(params, x, y);
    },
    async step() {
      const [l, next] = step(params, x, y);
      await mx.eval(l, next);
      for (const k of Object.keys(params)) params[k].dispose();
      params = next;
      const v = (await l.item()) as number;
      l.dispose();
      return v;
    },
  };
}

function jaxjs(p: Problem): Runner {
  let jax: Any, np: Any, nn: Any, params: Any, x: Any, y: Any, step: Any;
  return {
    name: 'jax-js (jit)',
    async init() {
      jax = await loadJax();
      np = jax.numpy;
      nn = jax.nn;
      params = {};
      for (let l = 0; l < 3; l++) {
        params[`w${l}`] = np.array(p.w[l], { shape: [p.dims[l], p.dims[l + 1]], dtype: np.float32 });
        params[`b${l}`] = np.array(p.b[l], { shape: [p.dims[l + 1]], dtype: np.float32 });
      }
      x = np.array(p.x, { shape: [p.batch, p.dims[0]], dtype: np.float32 });
      y = np.array(p.y, { shape: [p.batch, 10], dtype: np.float32 });
      // jax-js arrays are reference counted: every use consumes one reference (.ref adds one)
      const loss = (q: Any, xb: Any, yb: Any) => {
        let h = nn.relu(np.matmul(xb, q.w0).add(q.b0));
        h = nn.relu(np.matmul(h, q.w1).add(q.b1));
        const logits = np.matmul(h, q.w2).add(q.b2);
        return nn.logSoftmax(logits, -1).mul(yb).sum().mul(-1 / p.batch);
      };
      step = jax.jit((q: Any, xb: Any, yb: Any) => {
        const keep: Any = {};
        for (const k of Object.keys(q)) keep[k] = q[k].ref;
        const [l, g] = jax.valueAndGrad(loss)(q, xb, yb);
        const next: Any = {};
        for (const k of Object.keys(keep)) next[k] = keep[k].sub(g[k].mul(p.lr));
        return [l, next];
      });
      for (const a of [...Object.values(params), x, y]) await (a as Any).blockUntilReady();
    },
    async step() {
      const [l, next] = step(params, x.ref, y.ref);
      params = next;
      const v = (await l.data())[0];
      return v;
    },
  };
}

function tfjs(p: Problem): Runner {
  let tf: Any, vars: Any[] = [], x: Any, y: Any, opt: Any;
  return {
    name: 'tfjs-webgpu',
    async init() {
      tf = await loadTfjs();
      for (let l = 0; l < 3; l++) {
        vars.push(tf.variable(tf.tensor(p.w[l], [p.dims[l], p.dims[l + 1]])), tf.variable(tf.tensor(p.b[l], [p.dims[l + 1]])));
      }
      x = tf.tensor(p.x, [p.batch, p.dims[0]]);
      y = tf.tensor(p.y, [p.batch, 10]);
      opt = tf.train.sgd(p.lr);
    },
    async step() {
      const l = opt.minimize(() => {
        let h = tf.relu(tf.add(tf.matMul(x, vars[0]), vars[1]));
        h = tf.relu(tf.add(tf.matMul(h, vars[2]), vars[3]));
        const logits = tf.add(tf.matMul(h, vars[4]), vars[5]);
        return tf.mul(tf.sum(tf.mul(tf.logSoftmax(logits, -1), y)), -1 / p.batch);
      }, true);
      const v = (await l.data())[0];
      l.dispose();
      return v;
    },
  };
}

function argList(): string[] {
  if (G.Deno?.args) return G.Deno.args as string[];
  return (G.process?.argv ?? []).slice(2);
}

async function main(): Promise<void> {
  const args = argList();
  const opt = (k: string) => args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const big = args.includes('--big');
  const steps = Number(opt('steps') ?? (big ? 30 : 5));
  const want = (opt('libs') ?? 'webmlx,webmlx-eager,jax-js,tfjs').split(',');
  await setupGpu();
  const p = problem(big);
  const all: [string, () => Runner][] = [
    ['webmlx', () => webmlx(p, true)], ['webmlx-eager', () => webmlx(p, false)], ['jax-js', () => jaxjs(p)], ['tfjs', () => tfjs(p)],
  ];
  const rows: { lib: string; medianMs: number | null; first: number | null; last: number | null; error?: string }[] = [];
  for (const [key, make] of all.filter(([k]) => want.includes(k))) {
    const r = make();
    try {
      await r.init();
      const losses: number[] = [], times: number[] = [];
      for (let i = 0; i < steps + 3; i++) {
        const t0 = performance.now();
        losses.push(await r.step());
        if (i >= 3) times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      rows.push({ lib: r.name, medianMs: times[times.length >> 1], first: losses[0], last: losses[losses.length - 1] });
    } catch (e) {
      rows.push({ lib: r.name, medianMs: null, first: null, last: null, error: String((e as Error).message ?? e).slice(0, 200) });
    }
    console.log(`# ${key} done`);
  }
  const fast = Math.min(...rows.filter((r) => r.medianMs).map((r) => r.medianMs!));
  console.log(`JSON ${JSON.stringify({ runtime: runtimeName(), big, steps, dims: p.dims, batch: p.batch, rows })}`);
  console.log(`\nMLP ${p.dims.join('-')}, batch ${p.batch}, SGD: one training step (forward, backward, update, loss read back), median of ${steps}\n`);
  console.log('| library | ms/step | vs fastest | loss at step 1 | loss at last step |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(r.medianMs === null ? `| ${r.lib} | failed: ${r.error} | | | |` : `| ${r.lib} | ${r.medianMs.toFixed(2)} | ${(r.medianMs / fast).toFixed(2)}x | ${r.first!.toFixed(4)} | ${r.last!.toFixed(4)} |`);
  }
  if (G.process?.exit && !G.Deno) G.process.exit(0);
}

await main();
