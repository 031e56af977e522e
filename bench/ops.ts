// Op benchmark: memory-bound elementwise (GB/s) and matmul (GFLOP/s) on the default GPU,
// with the adapter's measured copy bandwidth as the reference limit. Runs in Node, Deno
// and a page: `npm run bench` (Node + Deno), or dist/bench/ops.js on the GPU machine.
import * as mx from '../src/index.ts';
import { copyBandwidth } from './copy.ts';

const now = () => performance.now();

/** Median wall time (ms) of `fn` (each call ends with a GPU round trip). */
async function time(fn: () => Promise<void>, reps: number): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    await fn();
    ts.push(now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

async function sync(y: mx.MxArray): Promise<void> {
  await mx.eval(y);
  await y.reshape(-1).index(0).item();
}

export async function main(opts: { big?: boolean } = {}): Promise<Record<string, number | string>[]> {
  const device = await mx.gpu.init();
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const adapter = info ? `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim() : 'unknown';
  const big = opts.big ?? false;
  const n = big ? 16 * 2 ** 20 : 2 ** 20;
  const reps = big ? 20 : 5;
  const rows: Record<string, number | string>[] = [];
  const { gbs: copy, bytes: copied } = await copyBandwidth(device, n * 4 * (big ? 4 : 1), reps);
  rows.push({ bench: `copy ${copied / 2 ** 20} MB (raw WGSL vec4)`, value: copy.toFixed(1), unit: 'GB/s' });

  const x = mx.random.uniform(-1, 1, [n]);
  await mx.eval(x);
  const gelu = (v: mx.MxArray) => {
    const t = mx.add(mx.multiply(v, 1.5), 0.5);
    return mx.multiply(mx.multiply(mx.multiply(t, 0.5), mx.add(1, mx.erf(mx.divide(t, Math.SQRT2)))), v);
  };
  const ms = await time(() => sync(gelu(x)), reps);
  const gbs = (2 * n * 4) / (ms / 1e3) / 1e9;
  rows.push({ bench: `GELU(x*1.5+0.5)*x, ${n} f32`, value: gbs.toFixed(1), unit: 'GB/s', ms: ms.toFixed(3), ofCopy: (gbs / copy).toFixed(2) });
  const addMs = await time(() => sync(mx.add(x, 1)), reps);
  const addGbs = (2 * n * 4) / (addMs / 1e3) / 1e9;
  rows.push({ bench: `x + 1, ${n} f32`, value: addGbs.toFixed(1), unit: 'GB/s', ms: addMs.toFixed(3), ofCopy: (addGbs / copy).toFixed(2) });
  const sumMs = await time(() => sync(mx.sum(x)), reps);
  const sumGbs = (n * 4) / (sumMs / 1e3) / 1e9;
  rows.push({ bench: `sum of ${n} f32`, value: sumGbs.toFixed(1), unit: 'GB/s', ms: sumMs.toFixed(3), ofCopy: (sumGbs / copy).toFixed(2) });

  for (const N of big ? [1024, 2048, 4096] : [256, 512]) {
    const a = mx.random.normal([N, N]), b = mx.random.normal([N, N]);
    await mx.eval(a, b);
    const t = await time(() => sync(mx.matmul(a, b)), big ? 10 : 3);
    rows.push({ bench: `matmul f32 ${N}^3`, value: ((2 * N ** 3) / (t / 1e3) / 1e9).toFixed(1), unit: 'GFLOP/s', ms: t.toFixed(3) });
  }
  const tiny = mx.zeros([16]);
  await mx.eval(tiny);
  const chain = async () => {
    let y = tiny;
    for (let i = 0; i < 1000; i++) y = mx.add(y, 1);
    await sync(y);
  };
  const cms = await time(chain, 3);
  rows.push({ bench: '1000 tiny adds, one readback', value: ((cms * 1e3) / 1000).toFixed(2), unit: 'us/op', ms: cms.toFixed(2) });
  return rows.map((r) => ({ adapter, ...r }));
}

// Runs when started as a script with --run (bench/run.mjs passes it).
const argv: string[] = (globalThis as { process?: { argv?: string[] } }).process?.argv ?? (globalThis as unknown as { Deno?: { args: string[] } }).Deno?.args ?? [];
if (argv.includes('--run')) {
  const rows = await main({ big: argv.includes('--big') });
  console.table(rows);
  console.log(JSON.stringify(rows));
  (globalThis as { process?: { exit?: (c: number) => void } }).process?.exit?.(0);
}
