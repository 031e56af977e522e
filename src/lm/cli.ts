#!/usr/bin/env node
// The `webmlx` command (Node: dist/cli.js; Deno: deno run -A src/lm/cli.ts):
// generate, chat, serve, benchmark and convert, over a Hub repo id or a local model folder.
import * as mx from '../index.ts';
import { loadGenerator, type GeneratorOptions, type LoadGeneratorOptions, type TextGenerator } from './engine.ts';
import { serve } from './server.ts';
import type { DownloadProgress } from './hub.ts';

const USAGE = `usage: webmlx <command> [options]

commands:
  generate --model M --prompt P   generate text (chat template applied unless --raw)
  chat --model M                  interactive chat over stdin (/reset clears, /exit or Ctrl-D quits)
  serve --model M [--port 8080]   OpenAI-compatible server: /v1/chat/completions, /v1/completions, /v1/models, /health
  benchmark --model M             prefill and decode tokens/s over random prompt ids, peak memory
  convert --hf-path DIR --mlx-path DIR [--quantize --q-bits 4 --q-group-size 64 --q-mode affine --dtype float16]

model options:
  --model M            Hub repo id (org/name), local folder or URL
  --revision R         Hub branch, tag or commit (default main)
  --offline            use only the Hub cache (also HF_HUB_OFFLINE=1)
  --dtype D            cast weights, e.g. float16
  --cpu                run on the CPU device instead of WebGPU
sampling options:
  --max-tokens N (256) --temp T (0 = greedy) --top-p P --top-k K --min-p P --seed S
  --repetition-penalty R --stop STR (repeatable) --system TEXT --raw (no chat template)
serve options:
  --host H (127.0.0.1) --port P (8080) --allow-remote --api-key K --cors ORIGIN (or '*')
  --max-request-bytes B (1048576) --max-tokens N (server limit, default 512)
benchmark options:
  --prompt-tokens N (512) --gen-tokens N (128) --trials N (1)`;

type Args = { _: string[]; [k: string]: string | boolean | string[] };

/**
 * Parses `--key value`, `--key=value` and bare `--flag` arguments; repeated keys become lists.
 * @example
 * parseArgs(['generate', '--model', 'm', '--raw']) // { _: ['generate'], model: 'm', raw: true }
 */
export function parseArgs(argv: string[]): Args {
  const out: Args = { _: [] };
  const flags = new Set(['raw', 'offline', 'cpu', 'allow-remote', 'help', 'verbose']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    let [k, v] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (v === undefined) v = flags.has(k) || i + 1 >= argv.length || argv[i + 1].startsWith('--') ? undefined : argv[++i];
    const val: string | boolean = v ?? true;
    const prev = out[k];
    out[k] = prev === undefined ? val : ([] as string[]).concat(prev as string[], String(val));
  }
  return out;
}

const g = globalThis as {
  Deno?: { args: string[]; exit(c: number): never; stdout: { writeSync(b: Uint8Array): number }; stderr: { writeSync(b: Uint8Array): number } };
  process?: { argv: string[]; exit(c: number): never; stdout: { write(s: string): void }; stderr: { write(s: string): void; isTTY?: boolean }; on(e: string, f: () => void): void };
};
const enc = new TextEncoder();
const out = (s: string) => (g.Deno ? g.Deno.stdout.writeSync(enc.encode(s)) : g.process!.stdout.write(s));
const err = (s: string) => (g.Deno ? g.Deno.stderr.writeSync(enc.encode(s)) : g.process!.stderr.write(s));
const exit = (c: number): never => (g.Deno ? g.Deno.exit(c) : g.process!.exit(c));

const str = (a: Args, k: string) => (typeof a[k] === 'string' ? (a[k] as string) : Array.isArray(a[k]) ? (a[k] as string[]).at(-1) : undefined);
function numArg(a: Args, k: string, d?: number): number | undefined {
  const v = str(a, k);
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${k} takes a number, got '${v}'`);
  return n;
}

/** One progress line on stderr, rewritten in place. */
function progress(): Pick<LoadGeneratorOptions, 'onDownload' | 'onProgress'> & { done(): void } {
  const files = new Map<string, DownloadProgress>();
  let last = 0, shown = false;
  const line = (s: string, force = false) => {
    const t = Date.now();
    if (!force && t - last < 100) return;
    last = t;
    shown = true;
    err(`\r\x1b[2K${s}`);
  };
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return {
    onDownload: (p) => {
      files.set(p.file, p);
      let loaded = 0, total = 0;
      for (const f of files.values()) (loaded += f.loaded, (total += f.total || f.loaded));
      line(`downloading ${files.size} file(s): ${mb(loaded)}/${mb(total)} MB${total ? ` (${((100 * loaded) / total).toFixed(0)}%)` : ''} ${p.file}`, p.loaded === p.total);
    },
    onProgress: (p) => {
      const q = p as { file?: string; loaded?: number; total?: number };
      line(`loading weights ${q.loaded ?? ''}/${q.total ?? ''} ${q.file ?? ''}`, true);
    },
    done: () => shown && err('\r\x1b[2K'),
  };
}

async function pickDevice(a: Args): Promise<void> {
  if (a.cpu) return mx.setDefaultDevice(mx.cpu);
  try {
    await mx.gpu.init();
  } catch (e) {
    err(`webmlx: no WebGPU adapter (${(e as Error).message.split('\n')[0]}); using the CPU device\n`);
    mx.setDefaultDevice(mx.cpu);
  }
}

function modelOptions(a: Args): LoadGeneratorOptions {
  return { revision: str(a, 'revision'), offline: a.offline === true ? true : undefined, dtype: str(a, 'dtype'), endpoint: str(a, 'endpoint') };
}

async function load(a: Args): Promise<TextGenerator> {
  const model = str(a, 'model');
  if (!model) throw new Error('--model is required (a Hub repo id like mlx-community/SmolLM2-135M-Instruct-4bit, or a folder)');
  await pickDevice(a);
  const p = progress();
  const gen = await loadGenerator(model, { ...modelOptions(a), ...p });
  p.done();
  return gen;
}

function sampling(a: Args): GeneratorOptions {
  const stop = a.stop === undefined ? undefined : ([] as string[]).concat(a.stop as string[]).map(String);
  return {
    maxTokens: numArg(a, 'max-tokens', 256)!,
    temperature: numArg(a, 'temp') ?? numArg(a, 'temperature'),
    topP: numArg(a, 'top-p'), topK: numArg(a, 'top-k'), minP: numArg(a, 'min-p'), seed: numArg(a, 'seed'),
    repetitionPenalty: numArg(a, 'repetition-penalty'), stopStrings: stop,
  };
}

/** Streams one reply to stdout; returns its text and a tokens/s summary. */
async function reply(gen: TextGenerator, prompt: string, opts: GeneratorOptions): Promise<{ text: string; stats: string }> {
  const t0 = performance.now();
  let first = 0, n = 0, text = '';
  for await (const p of gen.stream(prompt, opts)) {
    if (!n) first = performance.now();
    n++;
    text += p.text;
    out(p.text);
  }
  const t1 = performance.now();
  const pt = gen.countTokens(prompt);
  const pre = first ? (pt / ((first - t0) / 1000)).toFixed(1) : '-';
  const dec = n > 1 ? ((n - 1) / ((t1 - first) / 1000)).toFixed(1) : '-';
  return { text, stats: `prompt: ${pt} tokens, ${pre} tok/s; generation: ${n} tokens, ${dec} tok/s; peak memory ${(mx.getPeakMemory() / 1e6).toFixed(1)} MB` };
}

async function cmdGenerate(a: Args): Promise<void> {
  const prompt = str(a, 'prompt');
  if (prompt === undefined) throw new Error('--prompt is required');
  const gen = await load(a);
  const messages = [...(str(a, 'system') ? [{ role: 'system', content: str(a, 'system')! }] : []), { role: 'user', content: prompt }];
  const text = a.raw ? prompt : gen.chatPrompt(messages);
  const { stats } = await reply(gen, text, sampling(a));
  out('\n');
  err(`${stats}\n`);
}

interface Rl extends AsyncIterable<string> {
  close(): void;
}

async function cmdChat(a: Args): Promise<void> {
  const gen = await load(a);
  const readline = (await import(/* @vite-ignore */ ['node', 'readline'].join(':'))) as { createInterface(o: unknown): Rl };
  const proc = (await import(/* @vite-ignore */ ['node', 'process'].join(':'))) as { stdin: unknown };
  // The line iterator buffers lines typed (or piped) while a reply is generating.
  const rl = readline.createInterface({ input: proc.stdin, terminal: false });
  const system = str(a, 'system');
  let history: { role: string; content: string }[] = system ? [{ role: 'system', content: system }] : [];
  err(`chatting with ${gen.id}; /reset clears the history, /exit quits\n`);
  const opts = sampling(a);
  out('> ');
  for await (const line of rl) {
    const msg = line.trim();
    if (msg === '/exit' || msg === '/quit') break;
    if (msg === '/reset') history = history.filter((m) => m.role === 'system');
    else if (msg) {
      history.push({ role: 'user', content: msg });
      const { text, stats } = await reply(gen, gen.chatPrompt(history), opts);
      history.push({ role: 'assistant', content: text });
      out('\n');
      if (a.verbose) err(`${stats}\n`);
    }
    out('> ');
  }
  rl.close();
}

async function cmdServe(a: Args): Promise<void> {
  const model = str(a, 'model');
  if (!model) throw new Error('--model is required');
  await pickDevice(a);
  const p = progress();
  const s = await serve({
    model, ...modelOptions(a), ...p,
    host: str(a, 'host'), port: numArg(a, 'port', 8080), allowRemote: a['allow-remote'] === true,
    apiKey: str(a, 'api-key'), cors: str(a, 'cors'), maxRequestBytes: numArg(a, 'max-request-bytes'), maxTokens: numArg(a, 'max-tokens'),
    log: (l) => err(`${new Date().toISOString()} ${l}\n`),
  });
  p.done();
  err(`serving ${s.engine.generator.id} on ${s.url}/v1 (POST /v1/chat/completions, /v1/completions; GET /v1/models, /health)\n`);
}

async function cmdBenchmark(a: Args): Promise<void> {
  const gen = await load(a);
  const promptTokens = numArg(a, 'prompt-tokens', 512)!, genTokens = numArg(a, 'gen-tokens', 128)!, trials = numArg(a, 'trials', 1)!;
  // Random ids in [10, 210) exist in every vocabulary; EOS is banned so every trial runs its full length.
  const logitBias = Object.fromEntries((gen.eosTokenIds ?? []).map((id) => [id, -1e9]));
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 200) + 10;
  const rows: string[] = [];
  for (let t = 0; t < trials; t++) {
    const ids = Array.from({ length: promptTokens }, rand);
    mx.resetPeakMemory();
    const t0 = performance.now();
    let first = 0, n = 0;
    for await (const _ of gen.stream(ids, { maxTokens: genTokens, temperature: 0, logitBias })) {
      if (!n) first = performance.now();
      n++;
    }
    const t1 = performance.now();
    const prefill = promptTokens / ((first - t0) / 1000), decode = n > 1 ? (n - 1) / ((t1 - first) / 1000) : NaN;
    rows.push(`trial ${t + 1}: prefill ${promptTokens} tokens ${prefill.toFixed(1)} tok/s, decode ${n} tokens ${decode.toFixed(1)} tok/s, peak memory ${(mx.getPeakMemory() / 1e6).toFixed(1)} MB`);
    out(rows.at(-1) + '\n');
  }
}

async function cmdConvert(a: Args): Promise<void> {
  // mlx_lm.convert's flags: --hf-path (or --model), --mlx-path, --quantize, --q-bits,
  // --q-group-size, --q-mode, --dtype
  const src = str(a, 'hf-path') ?? str(a, 'model'), dst = str(a, 'mlx-path') ?? 'mlx_model';
  if (!src) throw new Error('convert needs --hf-path (or --model): a local model folder');
  const num = (k: string) => (str(a, k) === undefined ? undefined : Number(str(a, k)));
  const { convert } = await import('./convert.ts');
  await convert(src, dst, {
    quantize: !!a.quantize, qBits: num('q-bits'), qGroupSize: num('q-group-size'),
    qMode: str(a, 'q-mode') as 'affine' | 'mxfp4' | undefined, dtype: str(a, 'dtype') as never, onProgress: (m) => err(`${m}\n`),
  });
  out(`wrote ${dst}\n`);
}

/**
 * Runs the command line (`argv` without the runtime and script names).
 * @example
 * await main(['generate', '--model', 'demo/chat/model', '--prompt', 'Hello', '--max-tokens', '20']);
 */
export async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  const cmd = a._[0];
  if (!cmd || a.help || cmd === 'help') {
    out(USAGE + '\n');
    return;
  }
  const cmds: Record<string, (a: Args) => Promise<void>> = { generate: cmdGenerate, chat: cmdChat, serve: cmdServe, benchmark: cmdBenchmark, convert: cmdConvert };
  if (!cmds[cmd]) throw new Error(`unknown command '${cmd}'\n${USAGE}`);
  await cmds[cmd](a);
}

const isMain = (() => {
  const meta = import.meta as { main?: boolean; url: string };
  if (g.Deno) return meta.main === true;
  const script = g.process?.argv[1] ?? '';
  // by the script's name, not import.meta.url: a bundle that includes this module is not the CLI
  return /[\\/](cli\.(js|ts|mjs)|webmlx)$/.test(script);
})();
if (isMain) {
  const argv = g.Deno ? g.Deno.args : g.process!.argv.slice(2);
  main(argv).then(
    // A GPU device keeps the process alive; only serve should keep running.
    () => void (parseArgs(argv)._[0] !== 'serve' && exit(0)),
    (e) => {
      err(`webmlx: ${(e as Error)?.message ?? e}\n`);
      exit(1);
    },
  );
}
