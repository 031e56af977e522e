#!/usr/bin/env -S deno run -A
// Trains the chat demo's embedded model: a tiny llama (RMSNorm, RoPE on halves, GQA,
// SwiGLU, tied embeddings) over bytes of tinyshakespeare, and writes it in Hugging Face
// form (config.json, model.safetensors, tokenizer.json, tokenizer_config.json with a chat
// template) to demo/chat/model/. Each speech ends in <|endoftext|>, so replies stop.
// Usage (Deno reads the TypeScript sources): deno run -A scripts/lm-train-tiny.mjs [--steps 300] [--out DIR]
import * as mx from '../src/index.ts';
import * as nn from '../src/nn/index.ts';
import * as optim from '../src/optimizers/index.ts';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const arg = (n, d) => {
  const i = Deno.args.indexOf(`--${n}`);
  return i >= 0 ? Deno.args[i + 1] : d;
};
const STEPS = Number(arg('steps', 300));
const OUT = arg('out', 'demo/chat/model');
const CFG = { dims: 64, layers: 2, heads: 4, kvHeads: 2, hidden: 176, vocab: 257, ctx: 64, batch: 16 };
const EOS = 256;
// The CPU device: faster than a software GPU for these sizes.
mx.setDefaultDevice(mx.cpu);
mx.random.seed(0);

// Bytes of the corpus, an EOS after each speech (speeches are separated by blank lines).
const text = readFileSync(arg('data', 'demo/train/data/tinyshakespeare.txt'), 'utf8');
const ids = [];
const enc = new TextEncoder();
for (const speech of text.split('\n\n')) {
  if (!speech.trim()) continue;
  for (const b of enc.encode(speech + '\n')) ids.push(b);
  ids.push(EOS);
  ids.push(10);
}
const data = Int32Array.from(ids);

class Attention extends nn.Module {
  constructor() {
    super();
    const { dims, heads, kvHeads } = CFG, hd = dims / heads;
    this.q_proj = new nn.Linear(dims, heads * hd, { bias: false });
    this.k_proj = new nn.Linear(dims, kvHeads * hd, { bias: false });
    this.v_proj = new nn.Linear(dims, kvHeads * hd, { bias: false });
    this.o_proj = new nn.Linear(heads * hd, dims, { bias: false });
    this._rope = new nn.RoPE(hd, { traditional: false, base: 10000 });
  }
  forward(x, mask) {
    const [B, T] = x.shape, { heads, kvHeads, dims } = CFG, hd = dims / heads;
    const split = (y, h) => mx.transpose(mx.reshape(y, [B, T, h, hd]), [0, 2, 1, 3]);
    const q = this._rope.forward(split(this.q_proj.forward(x), heads));
    let k = this._rope.forward(split(this.k_proj.forward(x), kvHeads));
    let v = split(this.v_proj.forward(x), kvHeads);
    const rep = heads / kvHeads;
    k = mx.repeat(k, rep, 1);
    v = mx.repeat(v, rep, 1);
    const s = mx.add(mx.multiply(mx.matmul(q, mx.swapaxes(k, -1, -2)), 1 / Math.sqrt(hd)), mask);
    const o = mx.matmul(mx.softmax(s, -1, true), v);
    return this.o_proj.forward(mx.reshape(mx.transpose(o, [0, 2, 1, 3]), [B, T, heads * hd]));
  }
}
class MLP extends nn.Module {
  constructor() {
    super();
    this.gate_proj = new nn.Linear(CFG.dims, CFG.hidden, { bias: false });
    this.up_proj = new nn.Linear(CFG.dims, CFG.hidden, { bias: false });
    this.down_proj = new nn.Linear(CFG.hidden, CFG.dims, { bias: false });
  }
  forward(x) {
    return this.down_proj.forward(mx.multiply(nn.silu(this.gate_proj.forward(x)), this.up_proj.forward(x)));
  }
}
class Layer extends nn.Module {
  constructor() {
    super();
    this.input_layernorm = new nn.RMSNorm(CFG.dims, { eps: 1e-5 });
    this.self_attn = new Attention();
    this.post_attention_layernorm = new nn.RMSNorm(CFG.dims, { eps: 1e-5 });
    this.mlp = new MLP();
  }
  forward(x, mask) {
    x = mx.add(x, this.self_attn.forward(this.input_layernorm.forward(x), mask));
    return mx.add(x, this.mlp.forward(this.post_attention_layernorm.forward(x)));
  }
}
class Llama extends nn.Module {
  constructor() {
    super();
    this.embed_tokens = new nn.Embedding(CFG.vocab, CFG.dims);
    this.layers = Array.from({ length: CFG.layers }, () => new Layer());
    this.norm = new nn.RMSNorm(CFG.dims, { eps: 1e-5 });
  }
  forward(x) {
    const T = x.shape[1], i = mx.arange(T);
    const mask = mx.multiply(mx.astype(mx.less(mx.reshape(i, [T, 1]), mx.reshape(i, [1, T])), mx.float32), -1e9);
    let h = this.embed_tokens.forward(x);
    for (const l of this.layers) h = l.forward(h, mask);
    return this.embed_tokens.asLinear(this.norm.forward(h));
  }
}

const model = new Llama();
const lossFn = (x, y) => nn.losses.crossEntropy(model.forward(x), y, { reduction: 'mean' });
const lossAndGrad = nn.valueAndGrad(model, lossFn);
const opt = new optim.AdamW(optim.cosineDecay(3e-3, STEPS, 3e-4), { weightDecay: 0.01 });
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const t0 = Date.now();
for (let step = 1; step <= STEPS; step++) {
  const xs = new Int32Array(CFG.batch * CFG.ctx), ys = new Int32Array(CFG.batch * CFG.ctx);
  for (let b = 0; b < CFG.batch; b++) {
    const o = Math.floor(rand() * (data.length - CFG.ctx - 1));
    xs.set(data.subarray(o, o + CFG.ctx), b * CFG.ctx);
    ys.set(data.subarray(o + 1, o + CFG.ctx + 1), b * CFG.ctx);
  }
  const x = mx.array(xs, mx.int32).reshape([CFG.batch, CFG.ctx]), y = mx.array(ys, mx.int32).reshape([CFG.batch, CFG.ctx]);
  const [loss, grads] = lossAndGrad(x, y);
  opt.update(model, optim.clipGradNorm(grads, 1)[0]);
  await mx.eval(loss, model.parameters(), opt.state);
  if (step % 25 === 0 || step === 1) console.log(`step ${step} loss ${(await loss.item()).toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(0)}s)`);
}

// Hugging Face names: the llama modules sit under `model.`; the head is tied.
const weights = {};
for (const [k, v] of mx.treeFlatten(model.parameters())) weights[`model.${k}`] = v;
mkdirSync(OUT, { recursive: true });
writeFileSync(`${OUT}/model.safetensors`, await mx.saveSafetensors(null, weights, { format: 'pt' }));
writeFileSync(`${OUT}/config.json`, JSON.stringify({
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: CFG.dims, intermediate_size: CFG.hidden,
  num_hidden_layers: CFG.layers, num_attention_heads: CFG.heads, num_key_value_heads: CFG.kvHeads, head_dim: CFG.dims / CFG.heads,
  vocab_size: CFG.vocab, max_position_embeddings: 512, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
  hidden_act: 'silu', attention_bias: false, mlp_bias: false, bos_token_id: EOS, eos_token_id: EOS, torch_dtype: 'float32',
}, null, 2) + '\n');

// GPT-2's byte-to-unicode table: printable bytes map to themselves, the rest above U+0100.
const byteChars = [];
let extra = 0;
for (let b = 0; b < 256; b++) {
  const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  byteChars.push(String.fromCharCode(printable ? b : 256 + extra++));
}
const vocab = Object.fromEntries(byteChars.map((c, i) => [c, i]));
vocab['<|endoftext|>'] = EOS;
writeFileSync(`${OUT}/tokenizer.json`, JSON.stringify({
  version: '1.0', truncation: null, padding: null,
  added_tokens: [{ id: EOS, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: null,
  decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
}) + '\n');
// The user speaks as ROMEO, the model answers as JULIET; a speech ends with EOS.
const template = "{% for m in messages %}{% if m.role == 'user' %}ROMEO:\n{{ m.content }}\n<|endoftext|>\n{% elif m.role == 'assistant' %}JULIET:\n{{ m.content }}\n<|endoftext|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}JULIET:\n{% endif %}";
writeFileSync(`${OUT}/tokenizer_config.json`, JSON.stringify({
  tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: null,
  add_bos_token: false, add_eos_token: false, model_max_length: 512, clean_up_tokenization_spaces: false, chat_template: template,
}, null, 2) + '\n');
writeFileSync(`${OUT}/generation_config.json`, JSON.stringify({ bos_token_id: EOS, eos_token_id: EOS, max_new_tokens: 200 }, null, 2) + '\n');
console.log(`wrote ${OUT} (${STEPS} steps, ${((Date.now() - t0) / 1000).toFixed(0)}s)`);
