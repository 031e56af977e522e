// The OpenAI-compatible server over HTTP: response shapes, SSE streams, 4xx JSON errors,
// the API key, the loopback-only default, FIFO queueing, and one real model (the chat
// demo's embedded tiny llama) answering through loadModel + streamGenerate on the CPU.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import * as mx from '../../src/index.ts';
import { LmEngine, type GeneratorOptions, type TextGenerator } from '../../src/lm/engine.ts';
import { serve, type LmServer } from '../../src/lm/server.ts';

const order: string[] = [];
const scripted: TextGenerator = {
  id: 'scripted',
  chatPrompt: (ms) => ms.map((m) => m.content).join('|'),
  countTokens: (p) => p.length,
  async *stream(prompt, o: GeneratorOptions) {
    const p = String(prompt);
    order.push(`start ${p}`);
    for (const ch of `re:${p}`.slice(0, o.maxTokens)) {
      await new Promise((r) => setTimeout(r, 2));
      if (o.signal?.aborted) break;
      yield { text: ch, token: ch.charCodeAt(0) };
    }
    order.push(`end ${p}`);
  },
};

/** The data: lines of an SSE body. */
const events = (body: string) => body.split('\n\n').filter(Boolean).map((b) => b.replace(/^data: /, ''));

describe('OpenAI-compatible server', () => {
  let s: LmServer;
  let url = '';
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k1', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  beforeAll(async () => {
    s = await serve({ engine: new LmEngine(scripted, { maxTokens: 64 }), port: 0, apiKey: 'k1', maxRequestBytes: 2000 });
    url = s.url;
  });
  afterAll(() => s.close());

  it('GET /health and /v1/models', async () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok', model: 'scripted', pending: 0 });
    const m = await (await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer k1' } })).json();
    expect(m).toMatchObject({ object: 'list', data: [{ id: 'scripted', object: 'model', owned_by: 'webmlx' }] });
  });

  it('POST /v1/chat/completions (JSON)', async () => {
    const r = await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const j = await r.json();
    expect(j).toMatchObject({ object: 'chat.completion', model: 'scripted', choices: [{ index: 0, message: { role: 'assistant', content: 're:hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 } });
  });

  it('POST /v1/chat/completions (SSE stream)', async () => {
    const r = await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'abc' }], max_tokens: 4, stream: true });
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const ev = events(await r.text());
    expect(ev.at(-1)).toBe('[DONE]');
    const chunks = ev.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('re:a');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
  });

  it('POST /v1/completions (JSON and stream)', async () => {
    const j = await (await post('/v1/completions', { prompt: 'xy' })).json();
    expect(j).toMatchObject({ object: 'text_completion', choices: [{ text: 're:xy', finish_reason: 'stop' }] });
    const ev = events(await (await post('/v1/completions', { prompt: 'xy', stream: true })).text());
    expect(ev.at(-1)).toBe('[DONE]');
    expect(ev.slice(0, -1).map((e) => JSON.parse(e).choices[0].text).join('')).toBe('re:xy');
  });

  it('bad requests get 4xx JSON errors in OpenAI shape', async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [post('/v1/chat/completions', '{not json'), 400, /not valid JSON/],
      [post('/v1/chat/completions', { messages: 'hi' }), 400, /'messages' must be a non-empty list/],
      [post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], max_tokens: 65 }), 400, /limit of 64/],
      [post('/v1/completions', { prompt: 'x'.repeat(3000) }), 413, /exceeds the limit of 2000 bytes/],
      [post('/v1/chat/completions', { messages: [] }, { authorization: 'Bearer nope' }), 401, /invalid API key/],
      [fetch(`${url}/v1/models`), 401, /invalid API key/],
      [fetch(`${url}/v1/chat/completions`, { headers: { authorization: 'Bearer k1' } }), 405, /takes POST/],
      [post('/v1/embeddings', {}), 404, /no route/],
    ];
    for (const [p, status, re] of cases) {
      const r = await p;
      const j = await r.json();
      expect([r.status, j.error.message]).toEqual([status, expect.stringMatching(re)]);
      expect(Object.keys(j.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    }
  });

  it('concurrent requests run one at a time, first come first served', async () => {
    order.length = 0;
    const rs = await Promise.all(['p1', 'p2', 'p3'].map((p, i) => new Promise((r) => setTimeout(r, i * 5)).then(() => post('/v1/completions', { prompt: p, stream: i === 1 }).then((r) => r.text()))));
    expect(rs.length).toBe(3);
    expect(order).toEqual(['start p1', 'end p1', 'start p2', 'end p2', 'start p3', 'end p3']);
  });

  it('CORS only when asked for', async () => {
    expect((await fetch(`${url}/health`)).headers.get('access-control-allow-origin')).toBe(null);
    const c = await serve({ engine: new LmEngine(scripted), port: 0, cors: 'https://app.example' });
    const pre = await fetch(`${c.url}/v1/chat/completions`, { method: 'OPTIONS' });
    expect([pre.status, pre.headers.get('access-control-allow-origin')]).toEqual([204, 'https://app.example']);
    expect((await fetch(`${c.url}/v1/models`)).headers.get('access-control-allow-origin')).toBe('https://app.example');
    await c.close();
  });

  it('refuses a non-loopback bind unless allowRemote', async () => {
    const engine = new LmEngine(scripted);
    await expect(serve({ engine, host: '0.0.0.0', port: 0 })).rejects.toThrow(/refusing to bind to '0.0.0.0'.*allowRemote: true/);
    const open = await serve({ engine, host: '0.0.0.0', port: 0, allowRemote: true });
    expect((await fetch(`http://127.0.0.1:${open.port}/health`)).status).toBe(200);
    await open.close();
  });
});

describe('server with a real model', () => {
  const model = 'demo/chat/model';
  it('the chat demo model answers over HTTP', async () => {
    expect(existsSync(`${model}/model.safetensors`)).toBe(true);
    mx.setDefaultDevice(mx.cpu);
    const s = await serve({ model, port: 0, maxTokens: 32 });
    try {
      const r = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'Good morrow.' }], max_tokens: 12, temperature: 0 }) });
      const j = await r.json();
      expect(r.status).toBe(200);
      expect(j.model).toBe(model);
      expect(typeof j.choices[0].message.content).toBe('string');
      expect(j.usage.completion_tokens).toBeGreaterThan(0);
      expect(j.usage.completion_tokens).toBeLessThanOrEqual(12);
      const ev = events(await (await fetch(`${s.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt: 'ROMEO:\n', max_tokens: 6, stream: true, seed: 1 }) })).text());
      expect(ev.at(-1)).toBe('[DONE]');
    } finally {
      await s.close();
    }
  });
});
