// webmlx/lm delivery, runtime-neutral parts: the OpenAI request/response layer (LmEngine)
// over a scripted generator, the Web Worker engine over an in-memory message channel, the
// Hub helpers, and (in pages) downloads into Cache Storage through a stubbed Hub.
// Node-only parts (disk cache, HTTP server, the chat page) are in test/node/lm*.test.ts.
import { suite } from '../harness/suite.ts';
import { assert, assertEqual, assertRejects, assertThrows } from '../harness/assert.ts';
import {
  LmEngine, LmRequestError, WorkerEngine, chatMessages, samplingOptions,
  type ChatCompletion, type ChatCompletionChunk, type Completion, type FromWorker, type GeneratorOptions, type TextGenerator, type ToWorker,
} from '../../src/lm/engine.ts';
import { runWorker } from '../../src/lm/worker.ts';
import { download, hubCacheDir, matchGlob, repoFolderName, resolveUrl, selectFiles } from '../../src/lm/hub.ts';
import { clearBrowserCache, hasBrowserCache } from '../../src/lm/fs-cache.ts';
import { isLoopback } from '../../src/lm/server.ts';
import { parseArgs } from '../../src/lm/cli.ts';

/** Replies "echo:" + the prompt's last 6 characters, one character per token. */
function scripted(log: string[] = []): TextGenerator {
  let calls = 0;
  return {
    id: 'scripted',
    chatPrompt: (ms) => ms.map((m) => `${m.role}: ${m.content}\n`).join('') + 'assistant: ',
    countTokens: (p) => (typeof p === 'string' ? p.length : p.length),
    async *stream(prompt, o: GeneratorOptions) {
      const n = ++calls;
      log.push(`start ${n}`);
      try {
        const p = typeof prompt === 'string' ? prompt : prompt.join(',');
        const text = `echo:${p.slice(-6)}`;
        let sofar = '';
        for (let i = 0; i < Math.min(text.length, o.maxTokens); i++) {
          await new Promise((r) => setTimeout(r, 1));
          if (o.signal?.aborted) return;
          sofar += text[i];
          if (o.stopStrings?.some((s) => sofar.endsWith(s))) return void (yield { text: text[i], token: text.charCodeAt(i), finishReason: 'stop' });
          yield { text: text[i], token: text.charCodeAt(i) };
        }
      } finally {
        log.push(`end ${n}`);
      }
    },
  };
}

const user = (content: string) => [{ role: 'user' as const, content }];

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Two linked in-memory endpoints standing in for a page and its worker. */
function channel() {
  const mk = () => ({ listeners: [] as ((e: { data: unknown }) => void)[] });
  const a = mk(), b = mk();
  const end = (self: ReturnType<typeof mk>, other: ReturnType<typeof mk>) => ({
    postMessage: (m: unknown) => setTimeout(() => other.listeners.forEach((f) => f({ data: m })), 0),
    addEventListener: (_: 'message', f: (e: { data: never }) => void) => void self.listeners.push(f as (e: { data: unknown }) => void),
  });
  return { page: end(a, b) as { postMessage(m: ToWorker): void; addEventListener(t: 'message', f: (e: { data: FromWorker }) => void): void }, worker: end(b, a) as { postMessage(m: FromWorker): void; addEventListener(t: 'message', f: (e: { data: ToWorker }) => void): void } };
}

export const lmserveSuite = suite('lmserve', (test) => {
  test('chat completion object', async () => {
    const e = new LmEngine(scripted());
    const r = (await e.chat.completions.create({ messages: user('hello world'), max_tokens: 100 })) as ChatCompletion;
    assertEqual(r.object, 'chat.completion');
    assertEqual(r.model, 'scripted');
    assertEqual(r.choices[0].message, { role: 'assistant', content: 'echo:tant: ' });
    assertEqual(r.choices[0].finish_reason, 'stop');
    const prompt = 'user: hello world\nassistant: ';
    assertEqual(r.usage, { prompt_tokens: prompt.length, completion_tokens: 11, total_tokens: prompt.length + 11 });
    assert(/^chatcmpl-/.test(r.id), r.id);
  });

  test('chat stream chunks, length finish, usage chunk', async () => {
    const e = new LmEngine(scripted());
    const it = await e.chat.completions.create({ messages: user('abc'), max_tokens: 4, stream: true, stream_options: { include_usage: true } });
    const chunks = (await collect(it)) as ChatCompletionChunk[];
    assertEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    assertEqual(chunks.slice(1, 5).map((c) => c.choices[0].delta.content).join(''), 'echo');
    assertEqual(chunks[5].choices[0].finish_reason, 'length');
    assertEqual(chunks[6].choices, []);
    assertEqual(chunks[6].usage?.completion_tokens, 4);
    assert(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id));
  });

  test('text completions, stop strings and token-id prompts', async () => {
    const e = new LmEngine(scripted());
    const r = (await e.completions.create({ prompt: 'xyz', stop: 'o:' })) as Completion;
    assertEqual([r.object, r.choices[0].text, r.choices[0].finish_reason], ['text_completion', 'echo:', 'stop']);
    const s = (await collect(await e.completions.create({ prompt: [1, 2, 3], max_tokens: 8, stream: true }))) as Completion[];
    assertEqual(s.map((c) => c.choices[0].text).join(''), 'echo:1,2');
    assertEqual(s.at(-1)!.choices[0].finish_reason, 'length');
  });

  test('bad requests are 400 errors naming the field', async () => {
    const e = new LmEngine(scripted(), { maxTokens: 16 });
    const err = (await assertRejects(() => e.chat.completions.create({ messages: [] }), /'messages' must be a non-empty list/)) as LmRequestError;
    assertEqual([err.status, err.toJSON().error.type, err.param], [400, 'invalid_request_error', 'messages']);
    await assertRejects(() => e.chat.completions.create({ messages: user('x'), max_tokens: 17 }), /exceeds this server's limit of 16/);
    await assertRejects(() => e.chat.completions.create({ messages: user('x'), temperature: 3 }), /'temperature' must be a number in \[0, 2\]/);
    await assertRejects(() => e.chat.completions.create({ messages: [{ role: 'robot', content: 'x' }] as never }), /messages\[0\]\.role/);
    await assertRejects(() => e.completions.create({ prompt: '' }), /'prompt' must be a non-empty string/);
    const strict = new LmEngine({ ...scripted(), chatPrompt: () => { throw new Error('roles must alternate'); } });
    await assertRejects(() => strict.chat.completions.create({ messages: user('x') }), /chat template rejected these messages: roles must alternate/);
    assertThrows(() => samplingOptions({ logit_bias: { a: 1 } }), /logit_bias/);
    assertThrows(() => samplingOptions({ stop: [''] }), /'stop'/);
    assertThrows(() => chatMessages({ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }), /only text content parts/);
  });

  test('sampling fields map to generate options', () => {
    const o = samplingOptions({ max_tokens: 5, temperature: 0.5, top_p: 0.9, top_k: 40, min_p: 0.05, seed: 3, repetition_penalty: 1.1, presence_penalty: 0.5, frequency_penalty: -0.5, logit_bias: { '7': -100 }, stop: ['\n'] }, { maxTokens: 8 });
    assertEqual(o, { maxTokens: 5, temperature: 0.5, topP: 0.9, topK: 40, minP: 0.05, seed: 3, repetitionPenalty: 1.1, presencePenalty: 0.5, frequencyPenalty: -0.5, logitBias: { 7: -100 }, stopStrings: ['\n'] });
    assertEqual(samplingOptions({}, { maxTokens: 8 }).maxTokens, 8);
    assertEqual(chatMessages({ messages: [{ role: 'developer', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] }), [{ role: 'system', content: 'ab' }]);
  });

  test('one generation at a time, in arrival order; leaving a stream frees the engine', async () => {
    const log: string[] = [];
    const e = new LmEngine(scripted(log));
    const s = await e.chat.completions.create({ messages: user('first'), stream: true });
    const a = e.chat.completions.create({ messages: user('second') });
    const b = e.completions.create({ prompt: 'third' });
    for await (const c of s) if (c.choices[0]?.delta.content === 'c') break; // stop early
    await Promise.all([a, b]);
    assertEqual(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    assertEqual(e.pending, 0);
    assertEqual(e.models().data[0].id, 'scripted');
  });

  test('worker engine: same shapes through messages, errors and early stop', async () => {
    const ch = channel();
    const log: string[] = [];
    runWorker(ch.worker, async () => scripted(log));
    const w = new WorkerEngine(ch.page);
    await assertRejects(() => w.chat.completions.create({ messages: user('x') }), /no model loaded/);
    await w.load('anything', { maxTokens: 32, device: 'cpu' });
    assertEqual(w.modelId, 'scripted');
    const r = await w.chat.completions.create({ messages: user('hi') });
    assertEqual(r.choices[0].message.content, 'echo:tant: ');
    const chunks = await collect(await w.chat.completions.create({ messages: user('hi'), stream: true, max_tokens: 3 }));
    assertEqual(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'ech');
    const err = (await assertRejects(() => w.completions.create({ prompt: 'x', max_tokens: 33 }), /limit of 32/)) as LmRequestError;
    assertEqual(err.status, 400);
    const s = await w.completions.create({ prompt: 'abcdef', stream: true });
    for await (const c of s) if (c.choices[0].text === 'e') break;
    const ctrl = new AbortController();
    const s2 = await w.completions.create({ prompt: 'abcdef', stream: true }, { signal: ctrl.signal });
    let n = 0;
    for await (const _ of s2) if (++n === 2) ctrl.abort();
    assert(n < 10, `abort stopped the stream (got ${n} chunks)`);
    const after = await w.completions.create({ prompt: 'zz', max_tokens: 2 });
    assertEqual(after.choices[0].text, 'ec');
  });

  test('hub helpers: urls, globs, cache folders', () => {
    assertEqual(resolveUrl('https://hf.co/', 'org/m', 'main', 'sub dir/a.json'), 'https://hf.co/org/m/resolve/main/sub%20dir/a.json');
    assertEqual(repoFolderName('mlx-community/SmolLM2-135M-Instruct'), 'models--mlx-community--SmolLM2-135M-Instruct');
    assertEqual(hubCacheDir({ HF_HUB_CACHE: '/c' }), '/c');
    assertEqual(hubCacheDir({ HF_HOME: '/h' }), '/h/hub');
    assertEqual(hubCacheDir({ HOME: '/home/u' }), '/home/u/.cache/huggingface/hub');
    assertEqual(hubCacheDir({ HOME: '/home/u', XDG_CACHE_HOME: '/x' }), '/x/huggingface/hub');
    assert(matchGlob('*.safetensors', 'model-00001-of-00002.safetensors'));
    assert(!matchGlob('*.json', 'sub/config.json') && matchGlob('**.json', 'sub/config.json'));
    assertEqual(selectFiles(['README.md', 'config.json', 'model.safetensors', 'tokenizer.model', '.gitattributes', 'chat_template.jinja']), ['config.json', 'model.safetensors', 'tokenizer.model', 'chat_template.jinja']);
    assert(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && !isLoopback('0.0.0.0') && !isLoopback('192.168.1.2'));
    assertEqual(parseArgs(['serve', '--port', '9', '--allow-remote', '--stop=a', '--stop', 'b']), { _: ['serve'], port: '9', 'allow-remote': true, stop: ['a', 'b'] });
  });

  test('download into Cache Storage through a stubbed Hub (pages)', async (ctx) => {
    // Disk caching (Deno/Node) is tested against a real HTTP server in test/node/lmhub.test.ts.
    if (ctx.runtime !== 'chromium' || !hasBrowserCache()) return;
    const files: Record<string, string> = { 'config.json': '{"model_type":"llama"}', 'model.safetensors': 'W'.repeat(1000), 'README.md': 'x' };
    let requests = 0;
    const real = globalThis.fetch;
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      requests++;
      const u = new URL(String(input));
      if (u.pathname === '/api/models/org/tiny/revision/main') return Response.json({ sha: 'c'.repeat(40), siblings: Object.keys(files).map((rfilename) => ({ rfilename })) });
      const m = /^\/org\/tiny\/resolve\/c{40}\/(.+)$/.exec(u.pathname);
      if (m && files[m[1]] !== undefined) return new Response(files[m[1]], { headers: { 'content-length': String(files[m[1]].length) } });
      return new Response('no', { status: 404 });
    }) as typeof fetch;
    try {
      const endpoint = 'https://hub.invalid';
      await clearBrowserCache(`${endpoint}/org/tiny/`);
      const seen: string[] = [];
      const got = (await download('org/tiny', { endpoint, onProgress: (p) => p.loaded === p.total && seen.push(p.file) })) as Record<string, Blob>;
      assertEqual(Object.keys(got).sort(), ['config.json', 'model.safetensors']);
      assertEqual(await got['config.json'].text(), files['config.json']);
      assertEqual(seen.sort(), ['config.json', 'model.safetensors']);
      const before = requests;
      const again = (await download('org/tiny', { endpoint })) as Record<string, Blob>;
      assertEqual([requests, again['model.safetensors'].size], [before, 1000]);
      await assertRejects(() => download('org/other', { endpoint, offline: true }), /not in the browser cache/);
      await clearBrowserCache(`${endpoint}/org/tiny/`);
    } finally {
      globalThis.fetch = real;
    }
  });
});
