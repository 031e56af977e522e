// An OpenAI-compatible HTTP server over node:http (Node, and Deno through its Node
// compatibility): /v1/chat/completions, /v1/completions (JSON or SSE streams), /v1/models
// and /health. It binds to loopback unless told otherwise, checks an optional bearer key,
// bounds request bodies and max_tokens, and runs one generation at a time (LmEngine's queue).
import { LmEngine, LmRequestError, type EngineLimits, type LoadGeneratorOptions } from './engine.ts';
import type { FileMap } from './hub.ts';

/** Options of `serve`. */
export interface ServeOptions extends LoadGeneratorOptions, EngineLimits {
  /** What to serve: a Hub repo id, a folder, a URL or a FileMap. */
  model?: string | FileMap;
  /** A ready engine instead of `model` (e.g. one over a custom TextGenerator). */
  engine?: LmEngine;
  /** Interface to bind (default 127.0.0.1); anything but loopback needs `allowRemote`. */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** Allow binding a non-loopback host: other machines can then reach the model. */
  allowRemote?: boolean;
  /** Require `Authorization: Bearer <apiKey>` on /v1/ routes. */
  apiKey?: string;
  /** Largest request body in bytes (default 1 MiB); larger ones get 413. */
  maxRequestBytes?: number;
  /** Answer browsers from this origin ('*' for any): CORS headers and OPTIONS preflights. Off by default, so web pages cannot use the model unasked. */
  cors?: string;
  /** Called with one line per request. */
  log?: (line: string) => void;
}

/** A running server. */
export interface LmServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  host: string;
  port: number;
  engine: LmEngine;
  close(): Promise<void>;
}

interface Req {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  on(ev: 'data', f: (c: Uint8Array) => void): void;
  on(ev: 'end' | 'close', f: () => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
  destroy(): void;
}
interface Res {
  writeHead(status: number, headers?: Record<string, string>): Res;
  write(s: string): boolean;
  end(s?: string): void;
  on(ev: 'close', f: () => void): void;
  headersSent: boolean;
  writableEnded: boolean;
}
interface HttpServer {
  listen(port: number, host: string, cb: () => void): void;
  once(ev: 'error', f: (e: Error) => void): void;
  address(): { port: number } | string | null;
  close(cb: () => void): void;
  closeAllConnections?(): void;
}
interface NodeHttp {
  createServer(handler: (req: Req, res: Res) => void): HttpServer;
}

/**
 * Whether `host` names this machine only (127.0.0.0/8, ::1, localhost).
 * @example
 * isLoopback('0.0.0.0') // false
 */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

const json = (res: Res, status: number, body: unknown, extra: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(JSON.stringify(body));
};

function readBody(req: Req, limit: number): Promise<string> {
  return new Promise((ok, fail) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return fail(new LmRequestError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, { code: 'request_too_large' }));
    const parts: Uint8Array[] = [];
    let size = 0, failed = false;
    req.on('data', (c) => {
      if (failed) return;
      size += c.byteLength;
      if (size > limit) {
        failed = true;
        fail(new LmRequestError(413, `request body exceeds the limit of ${limit} bytes`, { code: 'request_too_large' }));
      } else parts.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      const all = new Uint8Array(size);
      let o = 0;
      for (const p of parts) (all.set(p, o), (o += p.byteLength));
      ok(new TextDecoder().decode(all));
    });
    req.on('error', (e) => fail(e));
  });
}

/** Compares without leaking the key's length-prefix match through timing. */
function sameKey(a: string, b: string): boolean {
  let d = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) d |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return d === 0;
}

/**
 * Serves a model over OpenAI's HTTP API. Refuses a non-loopback `host` unless
 * `allowRemote` is set. Errors are JSON in OpenAI's shape `{error: {message, type, code}}`.
 * @example
 * const server = await serve({ model: 'mlx-community/SmolLM2-135M-Instruct-4bit', port: 8080 });
 * // curl http://127.0.0.1:8080/v1/chat/completions -d '{"messages":[{"role":"user","content":"Hi"}]}'
 * await server.close();
 */
export async function serve(options: ServeOptions): Promise<LmServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.allowRemote)
    throw new Error(`[serve] refusing to bind to '${host}': only loopback addresses (127.0.0.1, ::1, localhost) are allowed unless allowRemote: true is passed (CLI: --allow-remote); other machines could then use the model, so set an apiKey too`);
  if (!options.engine && options.model === undefined) throw new Error('[serve] pass `model` (a Hub repo id, folder, URL or FileMap) or `engine`');
  const engine = options.engine ?? (await LmEngine.load(options.model!, options));
  const limit = options.maxRequestBytes ?? 1 << 20;
  const log = options.log ?? (() => {});
  const http = (await import(/* @vite-ignore */ ['node', 'http'].join(':'))) as NodeHttp;

  const cors: Record<string, string> = options.cors
    ? { 'access-control-allow-origin': options.cors, 'access-control-allow-headers': 'authorization, content-type', 'access-control-allow-methods': 'GET, POST, OPTIONS' }
    : {};
  const handle = async (req: Req, res: Res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const t0 = Date.now();
    try {
      if (method === 'OPTIONS' && options.cors) return void res.writeHead(204, cors).end();
      if (path === '/health' && method === 'GET') return json(res, 200, { status: 'ok', model: engine.generator.id, pending: engine.pending }, cors);
      if (options.apiKey && path.startsWith('/v1/')) {
        const auth = String(req.headers.authorization ?? '');
        const m = /^Bearer\s+(.+)$/i.exec(auth);
        if (!m || !sameKey(m[1].trim(), options.apiKey)) throw new LmRequestError(401, 'missing or invalid API key: send Authorization: Bearer <key>', { code: 'invalid_api_key' });
      }
      if (path === '/v1/models' && method === 'GET') return json(res, 200, engine.models(), cors);
      const chat = path === '/v1/chat/completions', text = path === '/v1/completions';
      if (!chat && !text) throw new LmRequestError(404, `no route ${method} ${path}; try POST /v1/chat/completions, POST /v1/completions, GET /v1/models or GET /health`, { code: 'not_found' });
      if (method !== 'POST') throw new LmRequestError(405, `${path} takes POST, not ${method}`, { code: 'method_not_allowed' });
      const raw = await readBody(req, limit);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch (e) {
        throw new LmRequestError(400, `the request body is not valid JSON: ${(e as Error).message}`, { code: 'invalid_json' });
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new LmRequestError(400, 'the request body must be a JSON object', { code: 'invalid_json' });
      const ctrl = new AbortController();
      res.on('close', () => {
        if (!res.writableEnded) ctrl.abort();
      });
      const out = chat ? await engine.chat.completions.create(body as never, { signal: ctrl.signal }) : await engine.completions.create(body as never, { signal: ctrl.signal });
      if (!(Symbol.asyncIterator in (out as object))) {
        json(res, 200, out, cors);
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...cors });
        const it = out as AsyncIterableIterator<unknown>;
        try {
          for await (const chunk of it) {
            if (ctrl.signal.aborted) break;
            res.write(`data: ${JSON.stringify(chunk)}\n\n`);
          }
          if (!ctrl.signal.aborted) res.write('data: [DONE]\n\n');
        } catch (e) {
          const err = e instanceof LmRequestError ? e : new LmRequestError(500, String((e as Error)?.message ?? e));
          res.write(`data: ${JSON.stringify(err.toJSON())}\n\n`);
        }
        res.end();
      }
      log(`${method} ${path} 200 ${Date.now() - t0} ms`);
    } catch (e) {
      const err = e instanceof LmRequestError ? e : new LmRequestError(500, String((e as Error)?.message ?? e));
      log(`${method} ${path} ${err.status} ${err.message}`);
      if (res.headersSent) return res.end();
      json(res, err.status, err.toJSON(), cors);
    }
  };

  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 8080, host, ok);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port ?? 8080;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    host,
    port,
    engine,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections?.();
      server.close(() => ok());
    }),
  };
}
