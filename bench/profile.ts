// Where the time goes on a real GPU: per-kernel GPU times (timestamp queries through
// setDebug({timeKernels})) for the memory-bound benches and one LLM decode step, next to
// the wall time of the same evaluation. Run under `node --cpu-prof` for the JS side.
//   node dist/gpu/profile.mjs [--tiny]
import * as mx from '../src/index.ts';
import * as nn from '../src/nn/index.ts';
import { modelFromConfig, makePromptCache, evalCache, fuseProjections, type Config } from '../src/lm/index.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
const G = globalThis as any;
const args: string[] = G.Deno?.args ?? (G.process?.argv ?? []).slice(2);
const tiny = args.includes('--tiny');
await mx.gpu.init();

async function profile(name: string, make: () => mx.MxArray[], extra?: () => Promise<void>): Promise<void> {
  for (let w = 0; w < 2; w++) {
    const ys = make();
    await mx.eval(...ys);
    if (extra) await extra();
  }
  const lines: string[] = [];
  mx.setDebug({ timeKernels: true, log: (m) => lines.push(m) });
  const t0 = performance.now();
  const ys = make();
  await mx.eval(...ys);
  if (extra) await extra();
  const wall = performance.now() - t0;
  mx.setDebug({ timeKernels: false });
  const times = lines.map((l) => /: ([\d.]+) us/.exec(l)).filter(Boolean).map((m) => Number(m![1]));
  const gpu = times.reduce((a, b) => a + b, 0);
  // untimed wall time too (timestamps split passes)
  const t1 = performance.now();
  await mx.eval(...make());
  if (extra) await extra();
  const plain = performance.now() - t1;
  console.log(`\n## ${name}: ${times.length} kernels, GPU ${(gpu / 1e3).toFixed(3)} ms, wall ${wall.toFixed(3)} ms (untimed ${plain.toFixed(3)} ms)`);
  const agg = new Map<string, [number, number]>();
  for (const l of lines) {
    const m = /^\[gpu time\] (.*): ([\d.]+) us \((.*)\)/.exec(l);
    if (!m) continue;
    const k = `${m[1]} (${m[3]})`;
    const a = agg.get(k) ?? [0, 0];
    agg.set(k, [a[0] + 1, a[1] + Number(m[2])]);
  }
  for (const [k, [n, us]] of [...agg].sort((a, b) => b[1][1] - a[1][1]).slice(0, 25)) console.log(`  ${us.toFixed(1).padStart(9)} us  x${n}  ${k}`);
}

const n = tiny ? 2 ** 16 : 16 * 2 ** 20;
const x = mx.random.uniform(-1, 1, [n]);
await mx.eval(x);
await profile('GELU(x*1.5+0.5)*x', () => {
  const t = mx.add(mx.multiply(x, 1.5), 0.5);
  return [mx.multiply(mx.multiply(mx.multiply(t, 0.5), mx.add(1, mx.erf(mx.divide(t, Math.SQRT2)))), x)];
});
await profile('x + 1', () => [mx.add(x, 1)]);
await profile('sum', () => [mx.sum(x)]);
const K = tiny ? 256 : 4096;
const [wq, s, b] = mx.quantize(mx.random.normal([K, K]).astype(mx.float16), 64, 4);
const xv = mx.random.normal([1, K]).astype(mx.float16);
const wf = mx.random.normal([K, K]).astype(mx.float16);
await mx.eval(wq, s, b, xv, wf);
await profile('4-bit GEMV', () => [mx.quantizedMatmul(xv, wq, s, b, true, 64, 4)]);
await profile('f16 GEMV (matmul 1xK @ KxK)', () => [mx.matmul(xv, wf)]);
// the decode shapes of a Llama-3.2-1B layer (qkv, gate+up, down), weights as Linear holds them
for (const [N, K2] of tiny ? [[64, 128]] : [[3072, 2048], [16384, 2048], [2048, 8192]]) {
  const w = mx.random.normal([N, K2], mx.float16, 0, 0.02);
  const [q4, s4, b4] = mx.quantize(w, 64, 4);
  const x1 = mx.random.normal([1, K2]).astype(mx.float16);
  await mx.eval(w, q4, s4, b4, x1);
  await profile(`f16 GEMV ${N}x${K2}`, () => [mx.matmul(x1, w.T)]);
  await profile(`4-bit GEMV ${N}x${K2}`, () => [mx.quantizedMatmul(x1, q4, s4, b4, true, 64, 4)]);
}
// the prefill shapes of the same layer for a 2048-token prompt: [1, L, K] @ W^T, alone and
// with the residual add its block fuses in
for (const [N, K2] of tiny ? [[64, 128]] : [[3072, 2048], [8192, 2048], [2048, 2048], [2048, 8192]]) {
  const L = tiny ? 64 : 2048;
  const w = mx.random.normal([N, K2], mx.float16, 0, 0.02);
  const x1 = mx.random.normal([1, L, K2]).astype(mx.float16);
  const r = mx.random.normal([1, L, N]).astype(mx.float16);
  await mx.eval(w, x1, r);
  await profile(`f16 prefill matmul [1, ${L}, ${K2}] @ W^T, W ${N}x${K2}`, () => [mx.matmul(x1, w.T)]);
  await profile(`f16 prefill matmul [1, ${L}, ${K2}] @ W^T + residual, W ${N}x${K2}`, () => [mx.add(r, mx.matmul(x1, w.T))]);
}

const cfg: Config = tiny
  ? { model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 512, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true }
  : { model_type: 'llama', hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, vocab_size: 128256, rms_norm_eps: 1e-5, rope_theta: 500000, tie_word_embeddings: true };
for (const q of ['float16', '4-bit']) {
  const model = modelFromConfig(cfg);
  model.setDtype(mx.float16);
  if (q === '4-bit') nn.quantize(model, { groupSize: 64, bits: 4 });
  await mx.eval(model.parameters());
  await fuseProjections(model);
  const cache = makePromptCache(model);
  const prompt = mx.array([Array.from({ length: 32 }, (_, i) => i + 1)], mx.int32);
  model.forward(prompt, cache);
  await evalCache(cache);
  let y = mx.array([[5]], mx.int32);
  await profile(`decode step, Llama-3.2-1B geometry, ${q}`, () => {
    y = mx.reshape(mx.argmax(model.forward(y, cache).index(0, -1), -1), [1, 1]);
    return [y];
  }, () => evalCache(cache));
  // JS-side cost of building one step's graph (no evaluation)
  const t0 = performance.now();
  const l = model.forward(y, cache);
  const build = performance.now() - t0;
  console.log(`  graph build of one step (JS): ${build.toFixed(2)} ms`);
  await evalCache(cache, l);
  // prefill of a long prompt: where a prompt's time goes (matmuls, attention, the rest)
  const L = tiny ? 64 : 2048;
  const long = mx.array([Array.from({ length: L }, (_, i) => (i * 7 + 1) % cfg.vocab_size)], mx.int32);
  await profile(`prefill of ${L} tokens, Llama-3.2-1B geometry, ${q}`, () => {
    const c = makePromptCache(model);
    const out = model.forward(long, c).index(0, -1);
    return [out, ...c.flatMap((e) => e.state)];
  });
}
if (G.process?.exit && !G.Deno) G.process.exit(0);
