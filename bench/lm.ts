// LLM benchmark (issue #8): prefill and decode tokens/s of real model geometries with
// random weights (Llama-3.2-1B, Qwen2.5-0.5B) in float16 and 4-bit (MLX affine, group 64),
// and decode as a fraction of the bandwidth roofline: bytes of weights + KV cache read per
// token divided by the adapter's measured copy bandwidth.
//   node dist/bench-lm/lm.mjs [--tiny] [--prompt=512] [--decode=64] [--models=llama,qwen] [--no-subgroup-matrix]
import * as mx from '../src/index.ts';
import * as nn from '../src/nn/index.ts';
import { modelFromConfig, makePromptCache, evalCache, fuseProjections, type Config } from '../src/lm/index.ts';
import { copyBandwidth } from './copy.ts';
import { hotGpu } from './clocks.ts';
import { setReplay } from '../src/backend/webgpu/replay.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
const G = globalThis as any;
const args: string[] = G.Deno?.args ?? (G.process?.argv ?? []).slice(2);
const opt = (k: string) => args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
const tiny = args.includes('--tiny');
const noFuse = args.includes('--no-fuse');
if (args.includes('--no-replay')) setReplay(false);
// the tile kernels even where the device has subgroup-matrix units (for A/B runs)
if (args.includes('--no-subgroup-matrix')) await mx.gpu.setSubgroupMatrix(false);
const P = Number(opt('prompt') ?? (tiny ? 16 : 512));
const D = Number(opt('decode') ?? (tiny ? 4 : 64));

const CONFIGS: Record<string, Config> = {
  'Llama-3.2-1B': {
    model_type: 'llama', hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32,
    num_key_value_heads: 8, head_dim: 64, vocab_size: 128256, rms_norm_eps: 1e-5, rope_theta: 500000, tie_word_embeddings: true,
    max_position_embeddings: 131072,
  },
  'Qwen2.5-0.5B': {
    model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
    num_key_value_heads: 2, vocab_size: 151936, rms_norm_eps: 1e-6, rope_theta: 1000000, tie_word_embeddings: true,
    max_position_embeddings: 32768,
  },
  tiny: {
    model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 16, num_attention_heads: 4,
    num_key_value_heads: 2, vocab_size: 512, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
  },
};

const paramBytes = (m: nn.Module) => (mx.treeFlatten(m.parameters()) as [string, mx.MxArray][]).reduce((s, [, a]) => s + a.nbytes, 0);

const device = await mx.gpu.init();
const info = (device as any).adapterInfo;
const adapter = info ? `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim() : 'unknown';
// full clocks before anything is timed
if (!tiny) await hotGpu(device, 3000, 6000);
const { gbs: copy } = await copyBandwidth(device, tiny ? 16 * 2 ** 20 : 256 * 2 ** 20, tiny ? 5 : 20);
const rows: Record<string, string | number>[] = [];
const names = tiny ? ['tiny'] : (opt('models') ?? 'llama,qwen').split(',').map((k) => (k.startsWith('q') ? 'Qwen2.5-0.5B' : 'Llama-3.2-1B'));

for (const name of names) {
  for (const q of ['float16', '4-bit'] as const) {
    mx.random.seed(0);
    const cfg = CONFIGS[name];
    const model = modelFromConfig(cfg);
    model.setDtype(mx.float16);
    if (q === '4-bit') nn.quantize(model, { groupSize: 64, bits: 4 });
    await mx.eval(model.parameters());
    // as loadGenerator (the CLI, server and engine) runs models
    if (!noFuse) await fuseProjections(model);
    const wBytes = paramBytes(model);
    const prompt = mx.array([Array.from({ length: P }, (_, i) => (i * 7919) % cfg.vocab_size)], mx.int32);
    // warm-up: compiles every kernel the prefill and decode steps use
    for (let w = 0; w < 2; w++) {
      const c = makePromptCache(model);
      const l = model.forward(prompt, c);
      const y = mx.argmax(l.index(0, -1), -1);
      await evalCache(c, y);
      const l2 = model.forward(mx.reshape(y, [1, 1]), c);
      await evalCache(c, mx.argmax(l2, -1));
    }
    // the compiles above leave the GPU idle long enough to drop its clocks
    if (!tiny) await hotGpu(device);
    const cache = makePromptCache(model);
    let t0 = performance.now();
    const logits = model.forward(prompt, cache);
    let y = mx.argmax(logits.index(0, -1), -1);
    await evalCache(cache, y);
    await y.item();
    const prefillMs = performance.now() - t0;
    // the same prefill's GPU time (timestamps around each evaluation's pass; wall time above
    // also holds host work and the round trip)
    let prefillGpuUs = 0;
    if (!tiny) await hotGpu(device);
    {
      const c2 = makePromptCache(model);
      mx.setDebug({ timeRuns: true, log: (m) => {
        const r = /^\[gpu time\] run: ([0-9.]+) us/.exec(m);
        if (r) prefillGpuUs += Number(r[1]);
      } });
      try {
        const l = model.forward(prompt, c2);
        await evalCache(c2, mx.argmax(l.index(0, -1), -1));
      } finally {
        mx.setDebug({ timeRuns: false, log: (m) => console.log(m) });
      }
    }
    // one step at a time: build, evaluate, read the token, repeat
    t0 = performance.now();
    for (let i = 0; i < D; i++) {
      y = mx.argmax(model.forward(mx.reshape(y, [1, 1]), cache).index(0, -1), -1);
      await evalCache(cache, y);
      await y.item();
    }
    const seqMs = (performance.now() - t0) / D;
    // overlapped, as streamGenerate runs: the next step is queued before this token is read
    const bufs = () => cache.flatMap((c) => c.buffers);
    t0 = performance.now();
    let host = 0;
    for (let i = 0; i < D; i++) {
      // this token's readback is queued first, so it does not wait for the next step
      const tok = y.item();
      const h0 = performance.now();
      const next = mx.argmax(model.forward(mx.reshape(y, [1, 1]), cache).index(0, -1), -1);
      await mx.asyncEval(next, ...bufs());
      host += performance.now() - h0;
      await tok;
      y = next;
    }
    await y.item();
    const decodeMs = (performance.now() - t0) / D;
    const hostMs = host / D;
    const kvPerTok = 2 * cfg.num_hidden_layers * cfg.num_key_value_heads * (cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads) * 2;
    const bytesPerTok = wBytes + kvPerTok * (P + D / 2);
    const roofMs = (bytesPerTok / (copy * 1e9)) * 1e3;
    rows.push({
      model: name, weights: q, paramsGB: (wBytes / 1e9).toFixed(2), prefillTokS: ((P / prefillMs) * 1e3).toFixed(0), prefillGpuTokS: prefillGpuUs ? ((P / prefillGpuUs) * 1e6).toFixed(0) : '-',
      decodeTokS: (1e3 / decodeMs).toFixed(1), decodeMs: decodeMs.toFixed(2), hostMs: hostMs.toFixed(2), stepwiseTokS: (1e3 / seqMs).toFixed(1), rooflineTokS: (1e3 / roofMs).toFixed(0), ofRoofline: (roofMs / decodeMs).toFixed(2),
    });
    console.log(`# ${name} ${q}: ${JSON.stringify(rows[rows.length - 1])}`);
    for (const [, a] of mx.treeFlatten(model.parameters()) as [string, mx.MxArray][]) a.dispose();
    mx.clearCache();
  }
}

console.log(`JSON ${JSON.stringify({ adapter, copyGBs: copy, prompt: P, decode: D, rows })}`);
console.log(`\nadapter: ${adapter}; copy ${copy.toFixed(0)} GB/s; prompt ${P} tokens, ${D} decoded (greedy, one readback per token; overlapped = the next step queued before the readback, as streamGenerate does)\n`);
console.log('| model | weights | GB | prefill tok/s | prefill tok/s (GPU time) | decode tok/s (overlapped) | JS ms per step | decode tok/s (one step at a time) | roofline tok/s | of roofline |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.model} | ${r.weights} | ${r.paramsGB} | ${r.prefillTokS} | ${r.prefillGpuTokS} | ${r.decodeTokS} | ${r.hostMs} | ${r.stepwiseTokS} | ${r.rooflineTokS} | ${r.ofRoofline} |`);
if (G.process?.exit && !G.Deno) G.process.exit(0);
