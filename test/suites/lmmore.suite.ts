// More architectures against transformers (test/fixtures/hf/make_more.py, run on the GPU
// machine): mistral and gemma2/gemma3 with sliding windows shorter than the prompt, gemma2's
// soft-capping, olmo2, starcoder2 and llama 3.1 rope scaling. The checkpoints are read from
// disk, so these run on the CPU device (Node, vitest) and one family on the GPU in Node/Deno.
import * as mx from '../../src/index.ts';
import * as lm from '../../src/lm/index.ts';
import { readFile } from '../../src/io/fs.ts';
import { suite } from '../harness/suite.ts';
import { assertClose, assertEqual } from '../harness/assert.ts';
import { CPU_ONLY, onDevice } from './common.ts';

interface Ref {
  model_type: string; prompt: string; input_ids: number[]; logits_first: number[]; logits_last: number[]; argmax_all: number[]; greedy24: number[];
}
const HF = 'test/fixtures/hf';
const MORE = ['mistral', 'gemma2', 'gemma3', 'olmo2', 'starcoder2', 'llama31'];
const rowArgmax = (r: number[]) => r.indexOf(Math.max(...r));

async function check(fam: string, greedy: boolean): Promise<void> {
  const r: Ref = JSON.parse(new TextDecoder().decode(await readFile(`${HF}/${fam}.ref.json`)));
  const { model, tokenizer, config } = await lm.loadModel(`${HF}/${fam}`);
  assertEqual(config.model_type, r.model_type);
  assertEqual(tokenizer.encode(r.prompt), r.input_ids);
  const l = (await mx.astype(model.forward(mx.array([r.input_ids], mx.int32)), mx.float32).tolist()) as number[][][];
  const rows = l[0];
  assertClose(rows[0], r.logits_first, { atol: 1e-3, rtol: 0 });
  assertClose(rows[rows.length - 1], r.logits_last, { atol: 1e-3, rtol: 0 });
  assertEqual(rows.map(rowArgmax), r.argmax_all);
  if (greedy) assertEqual(await lm.generateTokens(model, r.input_ids, { maxTokens: 24 }), r.greedy24);
}

export const lmmoreSuite = suite('lmmore', (t) => {
  const test = onDevice(t);
  for (const fam of MORE) test(`${fam}: logits, argmax and greedy24 match transformers`, () => check(fam, true), CPU_ONLY);
  test('gemma2 on the GPU (sliding window, soft-capping)', async (ctx) => {
    // the page has no file system: Node and Deno cover the GPU path
    if (ctx.runtime !== 'chromium') await check('gemma2', false);
  }, { devices: ['gpu'] });
});
