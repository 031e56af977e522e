// The OpenAI-compatible request/response layer shared by the HTTP server (server.ts), the
// Web Worker (worker.ts) and in-process use: validates requests, runs one generation at a
// time in arrival order, and shapes results as chat.completion / text_completion objects
// or streams of their chunks.
import type * as mx from '../index.ts';
import { download, type DownloadProgress, type FileMap } from './hub.ts';

/** One chat message; content may be OpenAI's list of parts (text parts are joined). */
export interface ChatCompletionMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'developer';
  content: string | { type: string; text?: string }[] | null;
  name?: string;
}

/** Sampling fields shared by chat and text completions (OpenAI names, plus MLX-LM's). */
export interface SamplingRequest {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  seed?: number;
  stop?: string | string[] | null;
  repetition_penalty?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  logit_bias?: Record<string, number>;
  n?: number;
}
export interface ChatCompletionRequest extends SamplingRequest {
  messages: ChatCompletionMessage[];
}
export interface CompletionRequest extends SamplingRequest {
  prompt: string | number[];
}

export type FinishReason = 'stop' | 'length';
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: number; message: { role: 'assistant'; content: string }; finish_reason: FinishReason; logprobs: null }[];
  usage: Usage;
}
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: number; delta: { role?: 'assistant'; content?: string }; finish_reason: FinishReason | null; logprobs: null }[];
  usage?: Usage;
}
export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: FinishReason | null; logprobs: null }[];
  usage?: Usage;
}

/** One generated piece, as streamGenerate yields it. */
export interface GeneratedPiece {
  text: string;
  token: number;
  finishReason?: FinishReason;
}

/** Sampling options in streamGenerate's names. */
export interface GeneratorOptions {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  repetitionPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  logitBias?: Record<number, number>;
  stopStrings?: string[];
  signal?: AbortSignal;
}

/** What the engine needs from a model: a chat template, a token count, a token stream. */
export interface TextGenerator {
  readonly id: string;
  /** Token ids that end generation (benchmarks ban them to run a fixed length). */
  readonly eosTokenIds?: number[];
  chatPrompt(messages: { role: string; content: string }[]): string;
  countTokens(prompt: string | number[]): number;
  stream(prompt: string | number[], opts: GeneratorOptions): AsyncIterable<GeneratedPiece>;
}

/**
 * An error with an HTTP status, shaped as OpenAI's `{error: {message, type, code, param}}`.
 * @example
 * throw new LmRequestError(400, "'messages' must be a non-empty list", { param: 'messages' });
 */
export class LmRequestError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  constructor(status: number, message: string, opts: { type?: string; code?: string; param?: string } = {}) {
    super(message);
    this.status = status;
    this.type = opts.type ?? (status === 401 ? 'authentication_error' : status >= 500 ? 'server_error' : 'invalid_request_error');
    this.code = opts.code ?? null;
    this.param = opts.param ?? null;
  }
  /** The JSON body OpenAI's clients parse. */
  toJSON(): { error: { message: string; type: string; code: string | null; param: string | null } } {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

/** Limits an engine enforces on every request. */
export interface EngineLimits {
  /** Largest max_tokens a request may ask for; also the default (512). */
  maxTokens?: number;
}

const bad = (message: string, param?: string, code = 'invalid_value') => new LmRequestError(400, message, { param, code });

function num(body: Record<string, unknown>, key: string, lo: number, hi: number, integer = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v)))
    throw bad(`'${key}' must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${JSON.stringify(v)}`, key);
  return v;
}

/**
 * Checks a request body's sampling fields and maps them to streamGenerate's options;
 * throws LmRequestError (400) naming the bad field.
 * @example
 * samplingOptions({ max_tokens: 16, temperature: 0 }, { maxTokens: 512 }) // { maxTokens: 16, temperature: 0, ... }
 */
export function samplingOptions(body: Record<string, unknown>, limits: EngineLimits = {}): GeneratorOptions {
  const limit = limits.maxTokens ?? 512;
  const maxTokens = num(body, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true) ?? num(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true) ?? limit;
  if (maxTokens > limit) throw new LmRequestError(400, `max_tokens ${maxTokens} exceeds this server's limit of ${limit}`, { param: 'max_tokens', code: 'max_tokens_exceeded' });
  const n = num(body, 'n', 1, 1, true);
  void n;
  let stop = body.stop;
  if (typeof stop === 'string') stop = [stop];
  if (stop !== undefined && stop !== null && !(Array.isArray(stop) && stop.length <= 8 && stop.every((s) => typeof s === 'string' && s.length > 0)))
    throw bad(`'stop' must be a string or a list of at most 8 non-empty strings`, 'stop');
  const bias = body.logit_bias;
  let logitBias: Record<number, number> | undefined;
  if (bias !== undefined && bias !== null) {
    if (typeof bias !== 'object' || Array.isArray(bias)) throw bad(`'logit_bias' must map token ids to numbers`, 'logit_bias');
    logitBias = {};
    for (const [k, v] of Object.entries(bias)) {
      if (!/^\d+$/.test(k) || typeof v !== 'number' || v < -100 || v > 100) throw bad(`'logit_bias' entry ${k}: ${JSON.stringify(v)} is not a token id with a bias in [-100, 100]`, 'logit_bias');
      logitBias[Number(k)] = v;
    }
  }
  return {
    maxTokens,
    temperature: num(body, 'temperature', 0, 2),
    topP: num(body, 'top_p', 0, 1),
    topK: num(body, 'top_k', 0, 1 << 20, true),
    minP: num(body, 'min_p', 0, 1),
    seed: num(body, 'seed', -(2 ** 53), 2 ** 53, true),
    repetitionPenalty: num(body, 'repetition_penalty', 0, 10),
    presencePenalty: num(body, 'presence_penalty', -2, 2),
    frequencyPenalty: num(body, 'frequency_penalty', -2, 2),
    logitBias,
    stopStrings: (stop as string[] | undefined | null) ?? undefined,
  };
}

function messageText(m: ChatCompletionMessage, i: number): string {
  if (typeof m.content === 'string') return m.content;
  if (m.content === null || m.content === undefined) return '';
  if (Array.isArray(m.content)) {
    return m.content.map((p) => {
      if (p?.type !== 'text' || typeof p.text !== 'string') throw bad(`messages[${i}]: only text content parts are supported, got type '${p?.type}'`, 'messages');
      return p.text;
    }).join('');
  }
  throw bad(`messages[${i}].content must be a string or a list of text parts`, 'messages');
}

/**
 * Validates a chat request's messages: a non-empty list of {role, content}.
 * @example
 * chatMessages({ messages: [{ role: 'user', content: 'Hi' }] }) // [{ role: 'user', content: 'Hi' }]
 */
export function chatMessages(body: Record<string, unknown>): { role: string; content: string }[] {
  const ms = body.messages;
  if (!Array.isArray(ms) || ms.length === 0) throw bad(`'messages' must be a non-empty list`, 'messages', 'missing_required_parameter');
  return ms.map((m: ChatCompletionMessage, i) => {
    if (!m || typeof m !== 'object' || typeof m.role !== 'string' || !['system', 'user', 'assistant', 'tool', 'developer'].includes(m.role))
      throw bad(`messages[${i}].role must be one of system, developer, user, assistant, tool`, 'messages');
    return { role: m.role === 'developer' ? 'system' : m.role, content: messageText(m, i) };
  });
}

const now = () => Math.floor(Date.now() / 1000);
let idCounter = 0;
const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}${(idCounter++).toString(36)}`;

/**
 * Runs OpenAI-shaped requests against one model, one generation at a time (FIFO). The
 * same object backs the HTTP server, the Web Worker engine and in-process use.
 * @example
 * const engine = await LmEngine.load('mlx-community/SmolLM2-135M-Instruct-4bit');
 * const r = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }] });
 * console.log(r.choices[0].message.content);
 */
export class LmEngine {
  readonly generator: TextGenerator;
  readonly limits: EngineLimits;
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(generator: TextGenerator, limits: EngineLimits = {}) {
    this.generator = generator;
    this.limits = limits;
  }

  /** Loads a model (repo id, folder, URL or FileMap) and wraps it in an engine. */
  static async load(source: string | FileMap, opts: LoadGeneratorOptions & EngineLimits = {}): Promise<LmEngine> {
    return new LmEngine(await loadGenerator(source, opts), opts);
  }

  /** Requests waiting for or running a generation. */
  get pending(): number {
    return this.waiting;
  }

  readonly chat = {
    completions: {
      create: ((req: ChatCompletionRequest, o?: RequestOptions) => this.createChat(req, o?.signal)) as {
        (req: ChatCompletionRequest & { stream: true }, o?: RequestOptions): Promise<AsyncIterableIterator<ChatCompletionChunk>>;
        (req: ChatCompletionRequest & { stream?: false | null }, o?: RequestOptions): Promise<ChatCompletion>;
        (req: ChatCompletionRequest, o?: RequestOptions): Promise<ChatCompletion | AsyncIterableIterator<ChatCompletionChunk>>;
      },
    },
  };

  readonly completions = {
    create: ((req: CompletionRequest, o?: RequestOptions) => this.createCompletion(req, o?.signal)) as {
      (req: CompletionRequest & { stream: true }, o?: RequestOptions): Promise<AsyncIterableIterator<Completion>>;
      (req: CompletionRequest & { stream?: false | null }, o?: RequestOptions): Promise<Completion>;
      (req: CompletionRequest, o?: RequestOptions): Promise<Completion | AsyncIterableIterator<Completion>>;
    },
  };

  /** `GET /v1/models`'s body. */
  models(): { object: 'list'; data: { id: string; object: 'model'; created: number; owned_by: string }[] } {
    return { object: 'list', data: [{ id: this.generator.id, object: 'model', created: now(), owned_by: 'webmlx' }] };
  }

  private async createChat(req: ChatCompletionRequest, signal?: AbortSignal): Promise<ChatCompletion | AsyncIterableIterator<ChatCompletionChunk>> {
    const body = req as unknown as Record<string, unknown>;
    if (!body || typeof body !== 'object') throw bad('the request body must be a JSON object');
    const messages = chatMessages(body);
    const opts = samplingOptions(body, this.limits);
    let prompt: string;
    try {
      prompt = this.generator.chatPrompt(messages);
    } catch (e) {
      // Templates reject conversations they cannot render (e.g. roles that do not alternate).
      throw bad(`the chat template rejected these messages: ${(e as Error)?.message ?? e}`, 'messages');
    }
    const id = newId('chatcmpl'), created = now(), model = this.generator.id;
    const includeUsage = !!req.stream_options?.include_usage;
    if (req.stream) {
      const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], finish: FinishReason | null): ChatCompletionChunk =>
        ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
      return this.streamed(prompt, opts, signal, function* (ev) {
        if (ev.kind === 'start') yield chunk({ role: 'assistant', content: '' }, null);
        else if (ev.kind === 'text') yield chunk({ content: ev.text }, null);
        else {
          yield chunk({}, ev.finish);
          if (includeUsage) yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: ev.usage };
        }
      });
    }
    const { text, finish, usage } = await this.collect(prompt, opts, signal);
    return { id, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish, logprobs: null }], usage };
  }

  private async createCompletion(req: CompletionRequest, signal?: AbortSignal): Promise<Completion | AsyncIterableIterator<Completion>> {
    const body = req as unknown as Record<string, unknown>;
    if (!body || typeof body !== 'object') throw bad('the request body must be a JSON object');
    const p = body.prompt;
    const ids = Array.isArray(p) && p.length > 0 && p.every((t) => Number.isInteger(t) && t >= 0);
    if (!(typeof p === 'string' && p.length > 0) && !ids) throw bad(`'prompt' must be a non-empty string or list of token ids`, 'prompt', 'missing_required_parameter');
    const prompt = p as string | number[];
    const opts = samplingOptions(body, this.limits);
    const id = newId('cmpl'), created = now(), model = this.generator.id;
    const includeUsage = !!req.stream_options?.include_usage;
    const obj = (text: string, finish: FinishReason | null): Completion =>
      ({ id, object: 'text_completion', created, model, choices: [{ index: 0, text, finish_reason: finish, logprobs: null }] });
    if (req.stream) {
      return this.streamed(prompt, opts, signal, function* (ev) {
        if (ev.kind === 'text') yield obj(ev.text, null);
        else if (ev.kind === 'end') {
          yield obj('', ev.finish);
          if (includeUsage) yield { id, object: 'text_completion', created, model, choices: [], usage: ev.usage };
        }
      });
    }
    const { text, finish, usage } = await this.collect(prompt, opts, signal);
    return { ...obj(text, finish), usage };
  }

  /** Waits for the engine's turn; the returned function hands the turn on. */
  private async turn(): Promise<() => void> {
    this.waiting++;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => mine);
    await prev;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.waiting--;
      release();
    };
  }

  private async collect(prompt: string | number[], opts: GeneratorOptions, signal?: AbortSignal): Promise<{ text: string; finish: FinishReason; usage: Usage }> {
    const release = await this.turn();
    try {
      let text = '', n = 0, reason: FinishReason | undefined;
      for await (const piece of this.generator.stream(prompt, { ...opts, signal })) {
        text += piece.text;
        n++;
        reason = piece.finishReason ?? reason;
      }
      const finish = reason ?? (n < opts.maxTokens ? 'stop' : 'length');
      const pt = this.generator.countTokens(prompt);
      return { text, finish, usage: { prompt_tokens: pt, completion_tokens: n, total_tokens: pt + n } };
    } finally {
      release();
    }
  }

  /**
   * A lazy stream: waits for its turn on the first next(), holds it until the end, and
   * gives it back (aborting the generation) when the consumer stops early.
   */
  private streamed<T>(
    prompt: string | number[], opts: GeneratorOptions, signal: AbortSignal | undefined,
    shape: (ev: { kind: 'start' } | { kind: 'text'; text: string } | { kind: 'end'; finish: FinishReason; usage: Usage }) => Iterable<T>,
  ): AsyncIterableIterator<T> {
    const gen = this.generator;
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort();
    signal?.addEventListener('abort', onAbort);
    const self = this;
    async function* run(): AsyncGenerator<T> {
      const release = await self.turn();
      try {
        yield* shape({ kind: 'start' });
        let n = 0, reason: FinishReason | undefined;
        for await (const piece of gen.stream(prompt, { ...opts, signal: ctrl.signal })) {
          n++;
          reason = piece.finishReason ?? reason;
          if (piece.text) yield* shape({ kind: 'text', text: piece.text });
        }
        const finish = reason ?? (n < opts.maxTokens ? 'stop' : 'length');
        const pt = gen.countTokens(prompt);
        yield* shape({ kind: 'end', finish, usage: { prompt_tokens: pt, completion_tokens: n, total_tokens: pt + n } });
      } finally {
        ctrl.abort();
        signal?.removeEventListener('abort', onAbort);
        release();
      }
    }
    return run();
  }
}

/** Options of `loadGenerator`: Hub download options plus loadModel's. */
export interface LoadGeneratorOptions {
  /** Name reported as `model` in responses (default: the source's name). */
  id?: string;
  dtype?: string;
  revision?: string;
  endpoint?: string;
  token?: string;
  cacheDir?: string;
  offline?: boolean;
  onDownload?: (p: DownloadProgress) => void;
  onProgress?: (p: unknown) => void;
  signal?: AbortSignal;
}

interface FsStat {
  stat(p: string): Promise<unknown>;
}

/** A Hub repo id ('org/name') that is not also an existing local path. */
async function isRepoId(source: string): Promise<boolean> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(source) || source.startsWith('.')) return false;
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
  if (!g.Deno && !g.process?.versions?.node) return true;
  try {
    await ((await import(/* @vite-ignore */ ['node', 'fs/promises'].join(':'))) as FsStat).stat(source);
    return false;
  } catch {
    return true;
  }
}

/**
 * What loadModel should read for `source`: a Hub repo id ('org/name' that is not a local
 * path) is downloaded (cache-first) to a snapshot folder or FileMap; anything else is
 * returned as is.
 * @example
 * const dir = await resolveModelSource('mlx-community/SmolLM2-135M-Instruct-4bit');
 */
export async function resolveModelSource(source: string | FileMap, opts: LoadGeneratorOptions = {}): Promise<string | FileMap> {
  if (typeof source !== 'string' || !(await isRepoId(source))) return source;
  return download(source, { revision: opts.revision, endpoint: opts.endpoint, token: opts.token, cacheDir: opts.cacheDir, offline: opts.offline, onProgress: opts.onDownload, signal: opts.signal });
}

/**
 * Loads a model for the engine: a Hub repo id is downloaded first (cache-first, see
 * `download`); a folder, URL or FileMap goes straight to loadModel.
 * @example
 * const gen = await loadGenerator('demo/chat/model');
 * for await (const p of gen.stream('ROMEO:\n', { maxTokens: 8 })) console.log(p.text);
 */
export async function loadGenerator(source: string | FileMap, opts: LoadGeneratorOptions = {}): Promise<TextGenerator> {
  const src = await resolveModelSource(source, opts);
  // Imported here: pages that only talk to a worker never run this, and the lm index
  // may re-export this module.
  const [{ loadModel }, { streamGenerate }, { fuseProjections }] = await Promise.all([import('./load.ts'), import('./generate.ts'), import('./models/fuse.ts')]);
  const { model, tokenizer } = await loadModel(src, { dtype: opts.dtype as mx.DtypeLike | undefined, onProgress: opts.onProgress });
  // generation only: one q/k/v projection per layer (and gate/up when quantized)
  await fuseProjections(model);
  const id = opts.id ?? (typeof source === 'string' ? source.replace(/\/+$/, '') : 'local');
  return {
    id,
    eosTokenIds: [...(tokenizer.eosTokenIds ?? [])],
    chatPrompt: (messages) => tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }),
    countTokens: (p) => (typeof p === 'string' ? tokenizer.encode(p).length : p.length),
    stream: (prompt, o) => streamGenerate(model, tokenizer, prompt, o),
  };
}

/** Messages between a page's WorkerEngine and worker.ts. */
export type ToWorker =
  | { type: 'load'; id: number; source: string | FileMap; options: LoadGeneratorOptions & EngineLimits & { device?: 'cpu' | 'gpu' | 'auto' } }
  | { type: 'chat' | 'completion'; id: number; request: ChatCompletionRequest | CompletionRequest }
  | { type: 'abort'; id: number };
export type FromWorker =
  | { type: 'progress'; id: number; kind: 'download' | 'load'; data: unknown }
  | { type: 'ok'; id: number; result: unknown }
  | { type: 'chunk'; id: number; chunk: unknown }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; error: { status: number; message: string; type: string; code: string | null; param: string | null } };

interface WorkerLike {
  postMessage(m: ToWorker): void;
  addEventListener(t: 'message', f: (e: { data: FromWorker }) => void): void;
  terminate?(): void;
}

/** Options of `createWorkerEngine`. */
export interface WorkerEngineOptions extends Omit<LoadGeneratorOptions, 'onDownload' | 'onProgress' | 'signal'>, EngineLimits {
  /** Where the worker runs the model: 'gpu' (WebGPU), 'cpu', or 'auto' (WebGPU when it starts, else CPU; default). */
  device?: 'cpu' | 'gpu' | 'auto';
  onDownload?: (p: DownloadProgress) => void;
  onProgress?: (p: unknown) => void;
}

/** Per-call options, as OpenAI's client takes them. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/**
 * The page side of an engine whose model runs in a Web Worker (worker.ts): the same
 * `chat.completions.create` / `completions.create` shapes as LmEngine and the server.
 * Leaving a stream early (break, return) or aborting `signal` stops the generation.
 * @example
 * const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
 * const engine = await createWorkerEngine(worker, 'mlx-community/SmolLM2-135M-Instruct-4bit');
 * for await (const c of await engine.chat.completions.create({ messages, stream: true }))
 *   out.textContent += c.choices[0]?.delta.content ?? '';
 */
export class WorkerEngine {
  readonly worker: WorkerLike;
  /** The loaded model's id. */
  modelId = '';
  /** The device the worker runs it on. */
  device = '';
  private next = 1;
  private handlers = new Map<number, (m: FromWorker) => void>();

  constructor(worker: WorkerLike) {
    this.worker = worker;
    worker.addEventListener('message', (e) => this.handlers.get(e.data.id)?.(e.data));
  }

  /** Loads (or replaces) the worker's model. */
  async load(source: string | FileMap, options: WorkerEngineOptions = {}): Promise<void> {
    const { onDownload, onProgress, ...rest } = options;
    const r = (await this.call({ type: 'load', id: 0, source, options: rest }, (m) => {
      if (m.type === 'progress') (m.kind === 'download' ? onDownload?.(m.data as DownloadProgress) : onProgress?.(m.data));
    })) as { id: string; device: string };
    this.modelId = r.id;
    this.device = r.device;
  }

  readonly chat = {
    completions: {
      create: ((req: ChatCompletionRequest, o?: RequestOptions) => this.request('chat', req, o)) as {
        (req: ChatCompletionRequest & { stream: true }, o?: RequestOptions): Promise<AsyncIterableIterator<ChatCompletionChunk>>;
        (req: ChatCompletionRequest & { stream?: false | null }, o?: RequestOptions): Promise<ChatCompletion>;
        (req: ChatCompletionRequest, o?: RequestOptions): Promise<ChatCompletion | AsyncIterableIterator<ChatCompletionChunk>>;
      },
    },
  };

  readonly completions = {
    create: ((req: CompletionRequest, o?: RequestOptions) => this.request('completion', req, o)) as {
      (req: CompletionRequest & { stream: true }, o?: RequestOptions): Promise<AsyncIterableIterator<Completion>>;
      (req: CompletionRequest & { stream?: false | null }, o?: RequestOptions): Promise<Completion>;
      (req: CompletionRequest, o?: RequestOptions): Promise<Completion | AsyncIterableIterator<Completion>>;
    },
  };

  /** Stops the worker (and its model). */
  terminate(): void {
    this.worker.terminate?.();
  }

  private call(msg: ToWorker, onOther?: (m: FromWorker) => void): Promise<unknown> {
    const id = this.next++;
    // A stream's messages after 'ok' (chunks, end, a late error) go to onOther.
    const streaming = msg.type !== 'load' && !!(msg as { request: SamplingRequest }).request.stream;
    let settled = false;
    return new Promise((ok, fail) => {
      this.handlers.set(id, (m) => {
        if (settled || (m.type !== 'ok' && m.type !== 'error')) return onOther?.(m);
        settled = true;
        if (m.type === 'ok') ok(m.result);
        else fail(new LmRequestError(m.error.status, m.error.message, { type: m.error.type, code: m.error.code ?? undefined, param: m.error.param ?? undefined }));
        if (!streaming || m.type === 'error') this.handlers.delete(id);
      });
      this.worker.postMessage({ ...msg, id } as ToWorker);
    });
  }

  private async request(type: 'chat' | 'completion', request: ChatCompletionRequest | CompletionRequest, o?: RequestOptions): Promise<unknown> {
    if (!this.modelId) throw new Error('[engine] no model loaded: await engine.load(source) first');
    const queue: FromWorker[] = [];
    let wake: (() => void) | undefined;
    const id = this.next; // call() takes this id
    const result = this.call({ type, id: 0, request }, (m) => {
      queue.push(m);
      wake?.();
    });
    const abort = () => this.worker.postMessage({ type: 'abort', id });
    o?.signal?.addEventListener('abort', abort);
    const r = await result.catch((e) => {
      o?.signal?.removeEventListener('abort', abort);
      throw e;
    });
    if (!request.stream) {
      o?.signal?.removeEventListener('abort', abort);
      return r;
    }
    const handlers = this.handlers;
    async function* chunks(): AsyncGenerator<unknown> {
      let ended = false;
      try {
        for (;;) {
          while (!queue.length) await new Promise<void>((w) => (wake = w));
          const m = queue.shift()!;
          if (m.type === 'chunk') yield m.chunk;
          else if (m.type === 'end') {
            ended = true;
            return;
          } else if (m.type === 'error') {
            ended = true;
            throw new LmRequestError(m.error.status, m.error.message);
          }
        }
      } finally {
        if (!ended) abort();
        handlers.delete(id);
        o?.signal?.removeEventListener('abort', abort);
      }
    }
    return chunks();
  }
}

/**
 * Starts an engine in `worker` (a module worker running worker.ts) and loads `source`.
 * @example
 * const engine = await createWorkerEngine(new Worker('./worker.js', { type: 'module' }), './model/');
 * const r = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }] });
 */
export async function createWorkerEngine(worker: WorkerLike, source: string | FileMap, options: WorkerEngineOptions = {}): Promise<WorkerEngine> {
  const engine = new WorkerEngine(worker);
  await engine.load(source, options);
  return engine;
}
