// The training page: trains the char-level GPT on WebGPU with a live loss curve,
// steps/s, samples as it learns, and save/load (OPFS, downloads, or the CLI's files).
// URL parameters for scripted runs: ?size=tiny|small|big&steps=N&every=K&len=N&autostart=1.
import * as mx from '../../src/index.ts';
import { GPT, TINY, SMALL, BIG, type RunConfig, type GPTConfig } from './model.ts';
import { CharData } from './data.ts';
import { Trainer, readCheckpointConfig, type LossEntry, type TrainOptions } from './trainer.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  size: $<HTMLSelectElement>('size'), steps: $<HTMLInputElement>('steps'), every: $<HTMLInputElement>('every'),
  temp: $<HTMLInputElement>('temp'), start: $<HTMLButtonElement>('start'), save: $<HTMLButtonElement>('save'),
  download: $<HTMLButtonElement>('download'), load: $<HTMLButtonElement>('load'), files: $<HTMLInputElement>('files'),
  stats: $('stats'), curve: $<HTMLCanvasElement>('curve'), sample: $('sample'), log: $('log'),
};
const SIZES: Record<string, RunConfig> = { tiny: TINY, small: SMALL, big: BIG };
const LR: Record<string, number> = { tiny: 1e-2, small: 3e-3, big: 1e-3 };
const params = new URLSearchParams(location.search);
const sampleLen = Number(params.get('len')) || 120;

/** What a scripted run (Playwright) reads. */
const status = { ready: false, step: 0, losses: [] as LossEntry[], running: false, rate: 0, sample: '', samples: 0, error: '', adapter: '' };
(globalThis as { __train?: typeof status }).__train = status;

let data: CharData;
let trainer: Trainer | null = null;
let losses: LossEntry[] = [];
let running = false;
let rate = 0;

const log = (s: string) => {
  ui.log.textContent = `${s}\n${ui.log.textContent}`.slice(0, 4000);
};

function options(size: string, totalSteps: number): TrainOptions {
  const r = SIZES[size];
  return { lr: LR[size], warmup: Math.min(100, Math.floor(totalSteps / 10)), totalSteps, batchSize: r.batchSize, clip: 1, weightDecay: 0.01, compile: true };
}

function build(config: GPTConfig, opts: TrainOptions): Trainer {
  mx.random.seed(0);
  return new Trainer(new GPT(config), data, opts);
}

function sizeOf(config: GPTConfig): string | null {
  for (const [k, r] of Object.entries(SIZES)) {
    const m = r.model;
    if (m.dims === config.dims && m.numLayers === config.numLayers && m.contextLength === config.contextLength && m.numHeads === config.numHeads) return k;
  }
  return null;
}

function describe(t: Trainer): string {
  const c = t.model.config;
  return `${c.numLayers} layer${c.numLayers > 1 ? 's' : ''}, ${c.dims} dims, ${c.numHeads} heads, context ${c.contextLength}, ${(t.model.numParams() / 1e3).toFixed(0)}K params, batch ${t.options.batchSize}`;
}

function stats(): void {
  const t = trainer;
  const last = losses.length ? losses[losses.length - 1][1] : NaN;
  const total = t?.options.totalSteps ?? Number(ui.steps.value);
  const eta = rate > 0 && t ? (total - t.stepCount) / rate : NaN;
  ui.stats.textContent = [
    `adapter  ${status.adapter}`,
    `model    ${t ? describe(t) : '-'}`,
    `step     ${t?.stepCount ?? 0} / ${total}   loss ${Number.isNaN(last) ? '-' : last.toFixed(4)}   ${rate.toFixed(2)} steps/s   ETA ${Number.isFinite(eta) ? `${Math.round(eta)} s` : '-'}`,
    `memory   ${(mx.getActiveMemory() / 2 ** 20).toFixed(1)} MiB active, ${(mx.getCacheMemory() / 2 ** 20).toFixed(1)} MiB cached   ${running ? 'training' : 'paused'}`,
  ].join('\n');
  status.step = t?.stepCount ?? 0;
  status.losses = losses;
  status.running = running;
  status.rate = rate;
}

function draw(): void {
  const cv = ui.curve, g = cv.getContext('2d')!;
  const W = cv.width, H = cv.height, L = 48, R = 10, T = 10, B = 26;
  g.clearRect(0, 0, W, H);
  g.font = '12px system-ui, sans-serif';
  g.fillStyle = '#555';
  if (!losses.length) {
    g.fillText('loss curve: press Start', L + 10, H / 2);
    return;
  }
  const total = Math.max(trainer?.options.totalSteps ?? 1, losses[losses.length - 1][0]);
  const ys = losses.map(([, l]) => l);
  const hi = Math.max(...ys.slice(0, 20), ...ys) , lo = Math.max(0, Math.min(...ys) - 0.1);
  const x = (s: number) => L + ((W - L - R) * s) / total;
  const y = (l: number) => T + ((H - T - B) * (hi - l)) / Math.max(1e-6, hi - lo);
  g.strokeStyle = '#ddd';
  g.beginPath();
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    g.moveTo(L, y(v));
    g.lineTo(W - R, y(v));
    g.fillText(v.toFixed(2), 4, y(v) + 4);
  }
  g.stroke();
  g.fillText('0', L, H - 8);
  g.fillText(String(total), W - R - 40, H - 8);
  g.fillText('step', (W - L) / 2, H - 8);
  g.strokeStyle = '#9bc3e6';
  g.beginPath();
  losses.forEach(([s, l], i) => (i ? g.lineTo(x(s), y(l)) : g.moveTo(x(s), y(l))));
  g.stroke();
  // exponential moving average
  g.strokeStyle = '#1f5fa8';
  g.lineWidth = 2;
  g.beginPath();
  let ema = 0;
  losses.forEach(([s, l], i) => {
    ema = 0.95 * ema + 0.05 * l;
    const v = ema / (1 - 0.95 ** (i + 1)); // bias-corrected, so the start is not dragged to 0
    if (i) g.lineTo(x(s), y(v));
    else g.moveTo(x(s), y(v));
  });
  g.stroke();
  g.lineWidth = 1;
}

async function sample(): Promise<void> {
  if (!trainer) return;
  const txt = await trainer.sample('\n', sampleLen, Number(ui.temp.value) || 0.8, trainer.stepCount);
  ui.sample.textContent = `step ${trainer.stepCount}:\n${txt}`;
  status.sample = txt;
  status.samples++;
}

async function loop(): Promise<void> {
  const t = trainer!;
  const every = Number(ui.every.value) || 0;
  while (running && t.stepCount < t.options.totalSteps) {
    const chunk = Math.min(5, t.options.totalSteps - t.stepCount);
    const before = t.stepCount;
    const t0 = performance.now();
    await t.run(chunk, (e) => void losses.push(e), chunk);
    const dt = (performance.now() - t0) / 1000;
    const r = chunk / dt;
    rate = rate && before > 0 ? 0.7 * rate + 0.3 * r : r;
    stats();
    draw();
    if (every && Math.floor(before / every) !== Math.floor(t.stepCount / every)) await sample();
    await new Promise((res) => setTimeout(res, 0));
  }
  if (t.stepCount >= t.options.totalSteps) {
    running = false;
    ui.start.textContent = 'Done';
    ui.start.disabled = true;
    if (every) await sample();
  }
  stats();
}

async function toggle(): Promise<void> {
  if (running) {
    running = false;
    ui.start.textContent = 'Resume';
    return;
  }
  if (!trainer) {
    trainer = build({ ...SIZES[ui.size.value].model, vocabSize: data.vocabSize }, options(ui.size.value, Number(ui.steps.value)));
    await mx.eval(trainer.model.parameters());
    log(`new model: ${describe(trainer)}`);
  }
  ui.size.disabled = ui.steps.disabled = true;
  running = true;
  ui.start.textContent = 'Pause';
  try {
    await loop();
  } catch (e) {
    fail(e);
  }
}

// ---------------------------------------------------------------- saving and loading

const DIR = 'webmlx-train';
async function opfs(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(DIR, { create: true });
}

async function checkpointFiles(): Promise<Record<string, Uint8Array>> {
  const { weights, optimizer, config } = await trainer!.checkpoint();
  const enc = new TextEncoder();
  return {
    'model.safetensors': weights, 'optimizer.safetensors': optimizer,
    'config.json': enc.encode(JSON.stringify(config, null, 1)), 'losses.json': enc.encode(JSON.stringify({ train: losses, val: [] })),
  };
}

async function save(): Promise<void> {
  if (!trainer) return;
  const files = await checkpointFiles();
  const dir = await opfs();
  for (const [name, bytes] of Object.entries(files)) {
    const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
    await w.write(bytes as Uint8Array<ArrayBuffer>);
    await w.close();
  }
  log(`saved step ${trainer.stepCount} to OPFS ${DIR}/ (${(files['model.safetensors'].length / 1024).toFixed(0)} KiB of weights)`);
}

async function download(): Promise<void> {
  if (!trainer) return;
  for (const [name, bytes] of Object.entries(await checkpointFiles())) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}

async function restore(files: Record<string, Uint8Array | undefined>, from: string): Promise<void> {
  const w = files['model.safetensors'], o = files['optimizer.safetensors'];
  if (!w || !o) throw new Error('need model.safetensors and optimizer.safetensors');
  running = false;
  const saved = await readCheckpointConfig(w);
  if (saved.vocab.join('') !== data.vocab.join('')) throw new Error('the checkpoint was trained on a different character set');
  const size = sizeOf(saved.config);
  if (size) ui.size.value = size;
  const total = Math.max(saved.train?.totalSteps ?? Number(ui.steps.value), saved.step);
  ui.steps.value = String(total);
  trainer = build(saved.config, { ...options(size ?? 'small', total), ...saved.train, totalSteps: total, compile: true });
  await trainer.restore(w, o);
  losses = [];
  if (files['losses.json']) losses = (JSON.parse(new TextDecoder().decode(files['losses.json'])).train as LossEntry[]).filter(([s]) => s <= trainer!.stepCount);
  rate = 0;
  ui.size.disabled = ui.steps.disabled = true;
  ui.start.disabled = trainer.stepCount >= total;
  ui.start.textContent = 'Resume';
  log(`loaded step ${trainer.stepCount} from ${from}: ${describe(trainer)}`);
  stats();
  draw();
  await sample();
}

async function loadOpfs(): Promise<void> {
  const dir = await opfs();
  const files: Record<string, Uint8Array | undefined> = {};
  for (const name of ['model.safetensors', 'optimizer.safetensors', 'losses.json']) {
    try {
      files[name] = new Uint8Array(await (await (await dir.getFileHandle(name)).getFile()).arrayBuffer());
    } catch {
      // a missing losses.json is fine; restore() reports missing weights
    }
  }
  await restore(files, `OPFS ${DIR}/`);
}

async function loadPicked(): Promise<void> {
  const files: Record<string, Uint8Array | undefined> = {};
  for (const f of Array.from(ui.files.files ?? [])) {
    const key = f.name.includes('optimizer') ? 'optimizer.safetensors' : f.name.endsWith('.safetensors') ? 'model.safetensors' : f.name.includes('losses') ? 'losses.json' : null;
    if (key) files[key] = new Uint8Array(await f.arrayBuffer());
  }
  await restore(files, 'files');
}

function fail(e: unknown): void {
  running = false;
  const msg = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  status.error = msg;
  log(`error: ${msg}`);
  ui.start.textContent = 'Start';
}

const guard = (f: () => Promise<void>) => () => void f().catch(fail);

async function main(): Promise<void> {
  for (const [k, el] of [['size', ui.size], ['steps', ui.steps], ['every', ui.every]] as const) {
    const v = params.get(k);
    if (v) el.value = v;
  }
  const dev = await mx.gpu.init();
  const info = (dev as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  status.adapter = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || 'WebGPU' : 'WebGPU';
  const res = await fetch('./tinyshakespeare.txt');
  if (!res.ok) throw new Error(`cannot fetch tinyshakespeare.txt: HTTP ${res.status}`);
  data = new CharData(await res.text());
  log(`tinyshakespeare: ${data.train.length + data.val.length} characters, vocabulary ${data.vocabSize}`);
  ui.start.onclick = guard(toggle);
  ui.save.onclick = guard(save);
  ui.download.onclick = guard(download);
  ui.load.onclick = guard(loadOpfs);
  ui.files.onchange = guard(loadPicked);
  for (const b of [ui.start, ui.save, ui.download, ui.load, ui.files]) b.disabled = false;
  (globalThis as { __trainApi?: unknown }).__trainApi = { toggle, save, loadOpfs, sample };
  status.ready = true;
  stats();
  draw();
  if (params.get('autostart')) await toggle();
}

main().catch(fail);
