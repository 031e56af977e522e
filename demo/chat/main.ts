// The chat page: the model runs in a Web Worker (src/lm/worker.ts) behind WorkerEngine,
// which takes OpenAI-shaped requests and streams chunks back. Hub models are cached in
// Cache Storage and the page itself by a service worker, so both work offline once loaded.
import { createWorkerEngine, type ChatCompletionChunk, type WorkerEngine } from '../../src/lm/engine.ts';
import type { DownloadProgress, FileMap } from '../../src/lm/hub.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const modelSel = $<HTMLSelectElement>('model'), repo = $<HTMLInputElement>('repo'), folder = $<HTMLInputElement>('folder');
const deviceSel = $<HTMLSelectElement>('device'), loadBtn = $<HTMLButtonElement>('load'), bar = $<HTMLProgressElement>('bar');
const status = $('status'), log = $('log'), form = $<HTMLFormElement>('form'), input = $<HTMLTextAreaElement>('input');
const send = $<HTMLButtonElement>('send'), stop = $<HTMLButtonElement>('stop'), stats = $('stats');

const params = new URLSearchParams(location.search);
if (params.get('device')) deviceSel.value = params.get('device')!;
if (params.get('model')) {
  const m = params.get('model')!;
  if (![...modelSel.options].some((o) => o.value === m)) {
    modelSel.value = 'custom';
    repo.value = m;
  } else modelSel.value = m;
}

let engine: WorkerEngine | undefined;
let history: { role: 'user' | 'assistant'; content: string }[] = [];
let running: AbortController | undefined;
/** For tests and the console: the state of the page. */
const state = { ready: false, busy: false, replies: 0, lastTokensPerSecond: 0 };
(globalThis as { chatState?: typeof state }).chatState = state;

modelSel.onchange = () => {
  repo.hidden = modelSel.value !== 'custom';
  folder.hidden = modelSel.value !== 'folder';
};
modelSel.onchange(new Event('change'));

function bubble(role: string, text = ''): HTMLDivElement {
  const d = document.createElement('div');
  d.className = `msg ${role}`;
  d.textContent = text;
  log.append(d);
  log.scrollTop = log.scrollHeight;
  return d;
}

/** The chosen model as loadModel takes it: a Hub id, the embedded folder's URL, or files. */
function source(): string | FileMap {
  if (modelSel.value === 'embedded') return new URL('./model/', location.href).href;
  if (modelSel.value === 'custom') {
    if (!/^[\w.-]+\/[\w.-]+$/.test(repo.value.trim())) throw new Error('enter a Hub repository id like org/name');
    return repo.value.trim();
  }
  if (modelSel.value === 'folder') {
    const files = [...(folder.files ?? [])];
    if (!files.length) throw new Error('choose a folder holding config.json, tokenizer.json and *.safetensors');
    // webkitRelativePath is "<folder>/<name>": keep the name inside the folder.
    return Object.fromEntries(files.map((f) => [f.webkitRelativePath.split('/').slice(1).join('/') || f.name, f]));
  }
  return modelSel.value;
}

async function load(): Promise<void> {
  loadBtn.disabled = input.disabled = send.disabled = true;
  state.ready = false;
  engine?.terminate();
  engine = undefined;
  const files = new Map<string, DownloadProgress>();
  bar.hidden = false;
  bar.value = 0;
  const t0 = performance.now();
  try {
    const src = source();
    status.textContent = 'starting the worker…';
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    engine = await createWorkerEngine(worker, src, {
      device: deviceSel.value as 'auto' | 'cpu',
      id: typeof src === 'string' ? (modelSel.value === 'embedded' ? 'tiny-shakespeare' : src) : 'local folder',
      maxTokens: 1024,
      onDownload: (p) => {
        files.set(p.file, p);
        let loaded = 0, total = 0;
        for (const f of files.values()) (loaded += f.loaded, (total += f.total || f.loaded));
        bar.value = total ? loaded / total : 0;
        status.textContent = `downloading ${(loaded / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB (${p.file})`;
      },
      onProgress: (p) => {
        const q = p as { file?: string; loaded?: number; total?: number };
        bar.value = q.total ? (q.loaded ?? 0) / q.total : 1;
        status.textContent = `loading weights ${q.loaded ?? ''}/${q.total ?? ''} ${q.file ?? ''}`;
      },
    });
    history = [];
    log.textContent = '';
    bubble('system', `${engine.modelId} loaded on ${engine.device} in ${((performance.now() - t0) / 1000).toFixed(1)} s.${modelSel.value === 'embedded' ? ' It speaks as JULIET to your ROMEO (a 2-layer character-level model, so expect Shakespeare-flavoured babble).' : ''}`);
    status.textContent = 'ready';
    state.ready = true;
    input.disabled = send.disabled = false;
    input.focus();
  } catch (e) {
    status.textContent = `error: ${(e as Error).message}`;
  } finally {
    bar.hidden = true;
    loadBtn.disabled = false;
  }
}

async function chat(text: string): Promise<void> {
  if (!engine || state.busy) return;
  state.busy = true;
  send.disabled = true;
  stop.disabled = false;
  history.push({ role: 'user', content: text });
  bubble('user', text);
  const out = bubble('assistant');
  running = new AbortController();
  let n = 0, first = 0, reply = '';
  const t0 = performance.now();
  try {
    const stream = await engine.chat.completions.create({ messages: history, stream: true, max_tokens: Number(params.get('max_tokens') ?? 256), temperature: 0.7, top_p: 0.95 }, { signal: running.signal });
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      const piece = chunk.choices[0]?.delta.content;
      if (!piece) continue;
      if (!n) first = performance.now();
      n++;
      reply += piece;
      out.textContent = reply;
      log.scrollTop = log.scrollHeight;
      const secs = (performance.now() - first) / 1000;
      if (n > 1) stats.textContent = `${n} chunks, ${((n - 1) / secs).toFixed(1)} tok/s, first token after ${((first - t0) / 1000).toFixed(2)} s`;
    }
    state.lastTokensPerSecond = n > 1 ? (n - 1) / ((performance.now() - first) / 1000) : 0;
  } catch (e) {
    out.textContent = reply + `\n[error: ${(e as Error).message}]`;
  } finally {
    if (running.signal.aborted) out.textContent = reply + ' [stopped]';
    history.push({ role: 'assistant', content: reply });
    running = undefined;
    state.busy = false;
    state.replies++;
    send.disabled = false;
    stop.disabled = true;
  }
}

loadBtn.onclick = () => void load();
stop.onclick = () => running?.abort();
form.onsubmit = (e) => {
  e.preventDefault();
  const t = input.value.trim();
  if (!t) return;
  input.value = '';
  void chat(t);
};
input.onkeydown = (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    form.requestSubmit();
  }
};

// The page shell, worker and embedded model stay usable offline after the first visit.
if ('serviceWorker' in navigator && !params.has('nosw')) navigator.serviceWorker.register('./sw.js').catch(() => {});
if (params.has('autoload')) void load();
