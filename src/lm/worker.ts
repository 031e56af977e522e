// The worker side of WorkerEngine (engine.ts): load this module as a module worker; it
// loads a model into an LmEngine and answers chat/completion requests with the same
// shapes as the HTTP server, streaming chunks as messages. The page stays responsive
// while the model downloads, compiles and generates.
import * as mx from '../index.ts';
import { LmEngine, LmRequestError, loadGenerator, type FromWorker, type LoadGeneratorOptions, type TextGenerator, type ToWorker } from './engine.ts';
import type { FileMap } from './hub.ts';

interface Scope {
  postMessage(m: FromWorker): void;
  addEventListener(t: 'message', f: (e: { data: ToWorker }) => void): void;
}

/**
 * Answers WorkerEngine messages on `scope` (run automatically on the worker's global
 * scope when this module is a worker's entry). `load` replaces loadGenerator, e.g. to
 * serve a custom TextGenerator.
 * @example
 * // worker.js, bundled from src/lm/worker.ts: nothing to call, importing starts it.
 * const engine = await createWorkerEngine(new Worker('./worker.js', { type: 'module' }), './model/');
 */
export function runWorker(scope: Scope, load: (source: string | FileMap, opts: LoadGeneratorOptions) => Promise<TextGenerator> = loadGenerator): void {
  let engine: LmEngine | undefined;
  const running = new Map<number, AbortController>();
  const fail = (id: number, e: unknown) => {
    const err = e instanceof LmRequestError ? e : new LmRequestError(500, String((e as Error)?.message ?? e));
    scope.postMessage({ type: 'error', id, error: { status: err.status, ...err.toJSON().error } });
  };
  scope.addEventListener('message', async ({ data: m }) => {
    if (m.type === 'abort') return running.get(m.id)?.abort();
    const ctrl = new AbortController();
    running.set(m.id, ctrl);
    try {
      if (m.type === 'load') {
        const device = await pickDevice(m.options.device ?? 'auto');
        const gen = await load(m.source, {
          ...m.options,
          onDownload: (p) => scope.postMessage({ type: 'progress', id: m.id, kind: 'download', data: p }),
          onProgress: (p) => scope.postMessage({ type: 'progress', id: m.id, kind: 'load', data: plain(p) }),
          signal: ctrl.signal,
        });
        engine = new LmEngine(gen, m.options);
        scope.postMessage({ type: 'ok', id: m.id, result: { id: gen.id, device } });
        return;
      }
      if (!engine) throw new LmRequestError(409, 'no model loaded in the worker', { code: 'model_not_loaded' });
      const out = m.type === 'chat'
        ? await engine.chat.completions.create(m.request as never, { signal: ctrl.signal })
        : await engine.completions.create(m.request as never, { signal: ctrl.signal });
      if (!(Symbol.asyncIterator in (out as object))) {
        scope.postMessage({ type: 'ok', id: m.id, result: out });
        return;
      }
      scope.postMessage({ type: 'ok', id: m.id, result: 'stream' });
      for await (const chunk of out as AsyncIterable<unknown>) {
        if (ctrl.signal.aborted) break;
        scope.postMessage({ type: 'chunk', id: m.id, chunk });
      }
      scope.postMessage({ type: 'end', id: m.id });
    } catch (e) {
      fail(m.id, e);
    } finally {
      running.delete(m.id);
    }
  });
}

/** WebGPU when asked for (or on 'auto' when an adapter starts), else the CPU device. */
async function pickDevice(want: 'cpu' | 'gpu' | 'auto'): Promise<string> {
  if (want !== 'cpu') {
    try {
      await mx.gpu.init();
      mx.setDefaultDevice(mx.gpu);
      return 'gpu';
    } catch (e) {
      if (want === 'gpu') throw e;
    }
  }
  mx.setDefaultDevice(mx.cpu);
  return 'cpu';
}

/** Progress objects may hold functions or arrays; keep what structured clone can copy. */
function plain(p: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(p));
  } catch {
    return String(p);
  }
}

const g = globalThis as { WorkerGlobalScope?: new () => unknown; postMessage?: unknown };
if (typeof g.WorkerGlobalScope === 'function' && globalThis instanceof g.WorkerGlobalScope) runWorker(globalThis as unknown as Scope);
