// Trains the character-level GPT on tinyshakespeare from the command line (Node or Deno),
// run from the repository root:
//
//   deno run -A demo/train/train.ts --steps 2000                  (Deno's WebGPU)
//   npx esbuild demo/train/train.ts --bundle --platform=node --format=esm --external:webgpu \
//     --outfile=dist/train/train.mjs && node dist/train/train.mjs --steps 2000   (dawn.node)
//
// Sizes: default 2 layers, 64 dims, 4 heads, context 64, batch 16; --big 6 layers, 256
// dims, 8 heads, context 128, batch 64 (a real GPU); --tiny 1 layer, 32 dims, context 32,
// batch 8 (software GPUs). --steps N trains until step N (and is the length of the cosine
// schedule); --resume continues from the checkpoint in --ckpt DIR (default
// dist/train/ckpt-SIZE), appending to its losses.json. Also: --batch B, --lr X, --warmup N,
// --clip X, --device gpu|cpu (or --cpu), --no-compile, --save-every K, --sample-every K,
// --eval-every K, --sample-len N, --temperature T, --data FILE, --seed S, --quiet.
// Node on these machines needs VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
import * as mx from '../../src/index.ts';
import { GPT, TINY, SMALL, BIG } from './model.ts';
import { CharData } from './data.ts';
import { Trainer, readCheckpointConfig, type TrainOptions, type LossEntry } from './trainer.ts';
import * as host from './host.ts';

interface Cli {
  size: 'tiny' | 'small' | 'big';
  steps: number;
  batch?: number;
  lr?: number;
  warmup?: number;
  clip?: number;
  device: 'gpu' | 'cpu';
  compile: boolean;
  ckpt?: string;
  resume: boolean;
  saveEvery: number;
  sampleEvery: number;
  evalEvery: number;
  sampleLen: number;
  temperature: number;
  data: string;
  seed: number;
  quiet: boolean;
}

function parse(argv: string[]): Cli {
  const c: Cli = {
    size: 'small', steps: 2000, device: 'gpu', compile: true, resume: false, saveEvery: 500, sampleEvery: 500, evalEvery: 0,
    sampleLen: 200, temperature: 0.8, data: 'demo/train/data/tinyshakespeare.txt', seed: 0, quiet: false,
  };
  const num = (i: number) => {
    const v = Number(argv[i]);
    if (!Number.isFinite(v)) throw new Error(`${argv[i - 1]} needs a number, got '${argv[i]}'`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--big': c.size = 'big'; break;
      case '--tiny': c.size = 'tiny'; break;
      case '--steps': c.steps = num(++i); break;
      case '--batch': c.batch = num(++i); break;
      case '--lr': c.lr = num(++i); break;
      case '--warmup': c.warmup = num(++i); break;
      case '--clip': c.clip = num(++i); break;
      case '--device': c.device = argv[++i] === 'cpu' ? 'cpu' : 'gpu'; break;
      case '--cpu': c.device = 'cpu'; break;
      case '--no-compile': c.compile = false; break;
      case '--ckpt': c.ckpt = argv[++i]; break;
      case '--resume': c.resume = true; break;
      case '--save-every': c.saveEvery = num(++i); break;
      case '--sample-every': c.sampleEvery = num(++i); break;
      case '--eval-every': c.evalEvery = num(++i); break;
      case '--sample-len': c.sampleLen = num(++i); break;
      case '--temperature': c.temperature = num(++i); break;
      case '--data': c.data = argv[++i]; break;
      case '--seed': c.seed = num(++i); break;
      case '--quiet': c.quiet = true; break;
      case '-h': case '--help':
        host.write('see the header of demo/train/train.ts for the options\n');
        host.exit(0);
        break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return c;
}

const fmtTime = (s: number) => {
  if (!Number.isFinite(s)) return '--';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
};

/** One progress line: bar, step/total, loss, steps/s, ETA. */
function bar(step: number, total: number, loss: number, rate: number, lr: number): string {
  const w = 24, f = Math.round((w * Math.min(step, total)) / total);
  return `[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${step}/${total} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} ${rate.toFixed(2)} steps/s ETA ${fmtTime((total - step) / rate)}`;
}

async function main(): Promise<void> {
  const cli = parse(host.args());
  const run = { tiny: TINY, small: SMALL, big: BIG }[cli.size];
  const ckpt = cli.ckpt ?? `dist/train/ckpt-${cli.size}`;
  mx.setDefaultDevice(cli.device === 'cpu' ? mx.cpu : mx.gpu);
  mx.random.seed(cli.seed);
  let devName: string = cli.device;
  if (cli.device === 'gpu') {
    const dev = await mx.gpu.init();
    const info = (dev as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    devName = `gpu (${host.runtime}${info ? `: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' / ')}` : ''})`;
  }
  const text = await host.readText(cli.data);

  let weightsBytes: Uint8Array | null = null, optBytes: Uint8Array | null = null;
  let saved: Awaited<ReturnType<typeof readCheckpointConfig>> | null = null;
  let log: { train: LossEntry[]; val: LossEntry[] } = { train: [], val: [] };
  if (cli.resume) {
    weightsBytes = await host.readBytes(`${ckpt}/model.safetensors`);
    optBytes = await host.readBytes(`${ckpt}/optimizer.safetensors`);
    saved = await readCheckpointConfig(weightsBytes);
    if (await host.exists(`${ckpt}/losses.json`)) log = JSON.parse(await host.readText(`${ckpt}/losses.json`));
  }
  const data = new CharData(text, saved?.vocab);
  const modelConfig = saved?.config ?? { ...run.model, vocabSize: data.vocabSize };
  const prev = saved?.train;
  const options: TrainOptions = {
    lr: cli.lr ?? prev?.lr ?? { tiny: 1e-2, small: 3e-3, big: 1e-3 }[cli.size],
    warmup: cli.warmup ?? prev?.warmup ?? Math.min(cli.size === 'big' ? 200 : 50, Math.floor(cli.steps / 10)),
    totalSteps: cli.steps,
    weightDecay: prev?.weightDecay ?? 0.01,
    clip: cli.clip ?? prev?.clip ?? 1.0,
    batchSize: cli.batch ?? prev?.batchSize ?? run.batchSize,
    seed: prev?.seed ?? cli.seed,
    compile: cli.compile,
  };
  const model = new GPT(modelConfig);
  const trainer = new Trainer(model, data, options);
  if (weightsBytes && optBytes) {
    await trainer.restore(weightsBytes, optBytes);
    log.train = log.train.filter(([s]) => s <= trainer.stepCount);
    log.val = log.val.filter(([s]) => s <= trainer.stepCount);
  } else await mx.eval(model.parameters());
  const c = model.config;
  host.write(
    `webmlx char-GPT on ${devName}: ${c.numLayers} layer${c.numLayers > 1 ? "s" : ""}, ${c.dims} dims, ${c.numHeads} heads, context ${c.contextLength}, ` +
    `vocab ${c.vocabSize}, ${(model.numParams() / 1e6).toFixed(2)}M params; batch ${options.batchSize}, lr ${options.lr}, ` +
    `${options.compile ? 'compiled' : 'eager'} step; ${cli.resume ? `resumed at step ${trainer.stepCount}` : 'fresh'}; checkpoints in ${ckpt}\n`,
  );
  if (trainer.stepCount >= cli.steps) {
    host.write(`already at step ${trainer.stepCount} >= --steps ${cli.steps}\n`);
    return;
  }

  const tty = host.isTerminal();
  let lastLine = '';
  const clearLine = () => {
    if (tty && lastLine) host.write('\r' + ' '.repeat(lastLine.length) + '\r');
  };
  const say = (s: string) => {
    clearLine();
    host.write(s + '\n');
    if (tty && lastLine) host.write(lastLine);
  };
  const save = async () => {
    await host.mkdirp(ckpt);
    const { weights, optimizer, config } = await trainer.checkpoint();
    await host.writeBytes(`${ckpt}/model.safetensors`, weights);
    await host.writeBytes(`${ckpt}/optimizer.safetensors`, optimizer);
    await host.writeBytes(`${ckpt}/config.json`, JSON.stringify(config, null, 1));
    await host.writeBytes(`${ckpt}/losses.json`, JSON.stringify(log));
  };

  const t0 = performance.now();
  const startStep = trainer.stepCount;
  let lastPrint = 0, smooth = NaN;
  // the first chunk includes tracing and kernel compilation; the rate counts after it
  let warm: { t: number; step: number } | null = null;
  let paused = 0; // ms spent sampling, evaluating and saving (not counted in steps/s)
  while (trainer.stepCount < cli.steps) {
    const chunk = Math.min(10, cli.steps - trainer.stepCount);
    await trainer.run(chunk, ([s, l]) => {
      log.train.push([s, l]);
      smooth = Number.isNaN(smooth) ? l : 0.9 * smooth + 0.1 * l;
    }, chunk);
    const now = performance.now();
    const rate = warm ? (trainer.stepCount - warm.step) / ((now - warm.t - paused) / 1000) : (trainer.stepCount - startStep) / ((now - t0) / 1000);
    warm ??= { t: now, step: trainer.stepCount };
    const lr = (await trainer.opt.learningRate.item()) as number;
    lastLine = bar(trainer.stepCount, cli.steps, smooth, rate, lr);
    if (tty) host.write('\r' + lastLine);
    else if (!cli.quiet && (performance.now() - lastPrint > 10_000 || trainer.stepCount >= cli.steps)) {
      host.write(lastLine + '\n');
      lastPrint = performance.now();
    }
    const s = trainer.stepCount;
    const tp = performance.now();
    if (cli.evalEvery && s % cli.evalEvery === 0) {
      const v = await trainer.evalLoss('val');
      log.val.push([s, v]);
      say(`step ${s}: val loss ${v.toFixed(4)}`);
    }
    if (cli.sampleEvery && s % cli.sampleEvery === 0) {
      const txt = await trainer.sample('\n', cli.sampleLen, cli.temperature, s);
      say(`--- sample at step ${s} (temperature ${cli.temperature}) ---\n${txt}\n---`);
    }
    if (cli.saveEvery && s % cli.saveEvery === 0) await save();
    paused += performance.now() - tp;
  }
  if (tty) host.write('\n');
  const tEnd = performance.now();
  const v = await trainer.evalLoss('val');
  log.val.push([trainer.stepCount, v]);
  await save();
  const secs = (tEnd - t0) / 1000;
  const last = log.train.slice(-50);
  const meanLast = last.reduce((a, [, l]) => a + l, 0) / Math.max(1, last.length);
  host.write(
    `done: step ${trainer.stepCount}, train loss (mean of last ${last.length}) ${meanLast.toFixed(4)}, val loss ${v.toFixed(4)}; ` +
    `${trainer.stepCount - startStep} steps in ${secs.toFixed(1)} s (${((trainer.stepCount - startStep) / secs).toFixed(2)} steps/s overall, ` +
    `${warm ? ((warm.t - t0) / 1000).toFixed(2) : '-'} s for the first ${warm ? warm.step - startStep : 0}); traces ${trainer.traces}; active memory ${(mx.getActiveMemory() / 2 ** 20).toFixed(1)} MiB; saved to ${ckpt}\n`,
  );
  const steady = warm && trainer.stepCount > warm.step ? (trainer.stepCount - warm.step) / ((tEnd - warm.t - paused) / 1000) : NaN;
  host.write(`RESULT ${JSON.stringify({ device: devName, config: cli.size, step: trainer.stepCount, trainLoss: meanLast, valLoss: v, secs, stepsPerSec: (trainer.stepCount - startStep) / secs, steadyStepsPerSec: steady })}\n`);
}

main().then(
  () => host.exit(0),
  (e) => {
    host.write(`\nerror: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    host.exit(1);
  },
);
