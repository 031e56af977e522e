// Kernel benchmark for the fast paths (issue #5): f32/f16 matmul against the FP32 peak,
// 4-bit GEMV in GB/s of weights read against the measured copy bandwidth, and attention
// (prefill and single-token decode). Small ops are timed as 16 independent calls (distinct
// weights, so nothing is served from cache) in one evaluation, divided by 16.
//   node dist/bench-kernels/kernels.mjs [--big] [--peak=67000]   (GFLOP/s of the FP32 peak)
import * as mx from '../src/index.ts';
import { copyBandwidth, copyStreamGpu } from './copy.ts';
import { hotGpu, spinAhead } from './clocks.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
const G = globalThis as any;
const args: string[] = G.Deno?.args ?? (G.process?.argv ?? []).slice(2);
const big = args.includes('--big');
const peak = Number(args.find((a) => a.startsWith('--peak='))?.slice(7) ?? 67000);
// dense f16 tensor peak (f32 accumulate) for subgroup-matrix rows: H100 SXM 989 TFLOP/s
const tensorPeak = Number(args.find((a) => a.startsWith('--tensor-peak='))?.slice(14) ?? 989000);
// --only=matmul,gemv,fft,map,sdpa runs some sections
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const want = (s: string) => !only || only.includes(s);

async function time(fn: () => Promise<void>, reps: number): Promise<number> {
  await fn();
  await fn();
  await hot();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}

// results are disposed (with the read element's view), so their buffers go back to the pool
const sync = async (ys: mx.MxArray[]) => {
  const done = mx.asyncEval(...ys);
  const first = ys[0].reshape(-1).index(0);
  await first.item();
  await done;
  first.dispose();
  for (const y of ys) y.dispose();
};

/** GPU time per kernel (timestamp queries, µs), by label prefix, of one evaluation. */
async function gpuTimes(fn: () => Promise<void>, prefix: string, mode: 'timeKernels' | 'timeRuns' = 'timeKernels', first = true): Promise<number[]> {
  // first of a series: an untimed run (it compiles its kernels, and the GPU idles meanwhile)
  // and the clock check; later ones keep the clocks up with the spin below
  if (first) {
    await fn();
    await hot();
  }
  const us: number[] = [];
  mx.setDebug({ [mode]: true, log: (m) => {
    const r = /^\[gpu time\] (.*): ([0-9.]+) us/.exec(m);
    if (r && r[1].startsWith(prefix)) us.push(Number(r[2]));
  } });
  try {
    // arithmetic queued ahead of the timed work keeps the clocks up between repetitions
    if (big) spinAhead(device, 15);
    await fn();
  } finally {
    mx.setDebug({ [mode]: false, log: (m) => console.log(m) });
  }
  return us.sort((a, b) => a - b);
}
const median = (xs: number[]) => xs[xs.length >> 1];

/** Median over repeated evaluations of the longest GPU time (µs) whose label starts with `prefix`. */
async function medianGpu(fn: () => Promise<void>, prefix: string, mode: 'timeKernels' | 'timeRuns' = 'timeKernels'): Promise<number> {
  const ts: number[] = [];
  for (let r = 0; r < (big ? 7 : 2); r++) ts.push(Math.max(0, ...await gpuTimes(fn, prefix, mode, r === 0)));
  return median(ts.sort((a, b) => a - b));
}

const rows: Record<string, string | number>[] = [];
const device = await mx.gpu.init();
// The lent H100 lowers its clocks within a second of idleness (host-side set-up, shader
// compiles) and takes seconds to climb back: each timed run first spins it until a fixed
// batch of arithmetic runs at full speed (bench/clocks.ts).
const hotLog: number[] = [];
async function hot(): Promise<void> {
  if (big) hotLog.push((await hotGpu(device)).ms);
}
const info = (device as any).adapterInfo;
const adapter = info ? `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim() : 'unknown';
// full clocks before anything is timed, and the fastest spin batch as the reference
if (big) await hotGpu(device, 3000, 6000);
const { gbs: copy } = await copyBandwidth(device, big ? 256 * 2 ** 20 : 16 * 2 ** 20, big ? 20 : 5);
rows.push({ bench: 'copy (raw WGSL vec4)', value: copy.toFixed(0), unit: 'GB/s' });
// the same copy timed by the GPU's timestamps (the GPU-time rows' like-for-like reference; the
// row above is wall time with a submit and readback per 10 copies)
const copyGpu = (await copyStreamGpu(device, big ? 256 * 2 ** 20 : 16 * 2 ** 20, 2, 5, big ? 15 : 0))?.gbs ?? 0;
if (copyGpu) rows.push({ bench: 'copy (raw WGSL vec4), GPU time', value: copyGpu.toFixed(0), unit: 'GB/s' });
const ofGpuCopy = (g: number) => (copyGpu ? `; ${(g / copyGpu).toFixed(2)} of the GPU-time copy` : '');

// ---- fused map kernels over 16M floats (bytes = one read and one write), and per-evaluation latency
if (want('map')) {
  const n = big ? 2 ** 24 : 2 ** 16;
  const x = mx.random.normal([n]);
  await mx.eval(x);
  const gelu = (x: mx.MxArray) => mx.multiply(mx.multiply(mx.multiply(mx.add(mx.multiply(x, 1.5), 0.5), 0.5), mx.add(mx.erf(mx.multiply(mx.add(mx.multiply(x, 1.5), 0.5), Math.SQRT1_2)), 1)), x);
  for (const [name, f] of [['x*1.5+0.5', (x: mx.MxArray) => mx.add(mx.multiply(x, 1.5), 0.5)], ['GELU(x*1.5+0.5)*x', gelu]] as const) {
    const us = await gpuTimes(() => sync([f(x)]), '');
    const main = us[us.length - 1];
    const g = (8 * n) / (main / 1e6) / 1e9;
    rows.push({ bench: `map ${name} ${n} f32, GPU time (largest of ${us.length} kernels)`, value: g.toFixed(0), unit: 'GB/s', ms: (main / 1e3).toFixed(4), ofCopy: (g / copy).toFixed(2) });
    const wEval = await time(async () => { const y = f(x); await mx.eval(y); const e = y.index(0); await e.item(); e.dispose(); y.dispose(); }, big ? 20 : 3);
    const wAsync = await time(() => sync([f(x)]), big ? 20 : 3);
    const wKeep = await time(async () => { const y = f(x); await mx.eval(y); await y.index(0).item(); }, big ? 20 : 3);
    rows.push({ bench: `map ${name} wall: eval + item / asyncEval + item / not disposed`, value: `${wEval.toFixed(3)} / ${wAsync.toFixed(3)} / ${wKeep.toFixed(3)}`, unit: 'ms' });
  }
  // the same GELU chain unfused: each op evaluated on its own (one kernel and one submit each)
  const unfused = async () => {
    const steps: ((v: mx.MxArray[]) => mx.MxArray)[] = [
      ([x]) => mx.multiply(x, 1.5), ([, t]) => mx.add(t, 0.5), ([, t]) => mx.multiply(t, Math.SQRT1_2), ([, t]) => mx.erf(t),
      ([, t]) => mx.add(t, 1), ([, t]) => mx.multiply(t, 0.5), ([, t, u]) => mx.multiply(t, u), ([x, t]) => mx.multiply(t, x),
    ];
    // values kept: x, the running value, and t = x*1.5+0.5 for the product with (1 + erf)/2
    let cur = x, u = x;
    for (let i = 0; i < steps.length; i++) {
      const y = i === 6 ? mx.multiply(cur, u) : steps[i]([x, cur, u]);
      await mx.eval(y);
      if (i === 1) u = y;
      cur = y;
    }
    await sync([cur]);
  };
  const wUnfused = await time(unfused, big ? 10 : 3);
  const usUnfused = await gpuTimes(unfused, '');
  const usFused = await gpuTimes(() => sync([gelu(x)]), '');
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const wFused = await time(() => sync([gelu(x)]), big ? 20 : 3);
  rows.push({ bench: `GELU chain fused vs unfused (${usUnfused.length} kernels): wall ms / GPU ms`, value: `${wFused.toFixed(3)} / ${(sum(usFused) / 1e3).toFixed(4)} vs ${wUnfused.toFixed(3)} / ${(sum(usUnfused) / 1e3).toFixed(4)}`, unit: 'ms', ofCopy: `${(wUnfused / wFused).toFixed(1)}x wall, ${(sum(usUnfused) / sum(usFused)).toFixed(1)}x GPU` });
  const one = mx.array([1]);
  await mx.eval(one);
  const tEval = await time(async () => { await mx.eval(mx.add(one, 1)); }, 50);
  const tItem = await time(async () => { await mx.add(one, 1).item(); }, 50);
  rows.push({ bench: 'latency: eval of one tiny add / item of one tiny add', value: `${(tEval * 1e3).toFixed(0)} / ${(tItem * 1e3).toFixed(0)}`, unit: 'µs' });
}

// ---- matmul: the tile choice measured on this adapter (mx.gpu.tuneMatmul), then products
if (want('matmul') && big) {
  await hot();
  const t = await mx.gpu.tuneMatmul({ force: true });
  const per = t.measured.map((r) => `${r.m}x${r.n}x${r.k}: ${r.small.toFixed(0)} / ${r.big16?.toFixed(0)} / ${r.big8?.toFixed(0)}`).join('; ');
  rows.push({ bench: `matmul tuning: 128x128 tiles (${t.bigBlocks === 8 ? '8x8' : '16x8'} blocks per thread) from this many tiles (64x64 / 128x128 16x8 / 128x128 8x8 kernel µs per size)`, value: String(t.bigMinTiles), unit: 'tiles', ms: per });
}
/** A row from one product's kernel times (median of 5 runs), when the adapter has timestamps. */
async function gpuRow(bench: string, flops: number, sm: boolean, fn: () => Promise<void>, prefix: string): Promise<void> {
  const us: number[] = [];
  for (let r = 0; r < 5; r++) us.push(...await gpuTimes(fn, prefix, 'timeKernels', r === 0));
  us.sort((a, b) => a - b);
  if (!us.length) return;
  const g = flops / (median(us) / 1e6) / 1e9;
  rows.push({ bench, value: g.toFixed(0), unit: 'GFLOP/s', ms: (median(us) / 1e3).toFixed(3), ofPeak: (g / (sm ? tensorPeak : peak)).toFixed(3) });
}

// float16 products twice where the device has subgroup-matrix units: on them (against the
// tensor peak) and on the tile kernels (mx.gpu.setSubgroupMatrix(false))
const hasSm = want('matmul') && (await mx.gpu.setSubgroupMatrix(true));
const smModes = (dt: mx.DtypeName) => (hasSm && dt === 'float16' ? [true, false] : [false]);
const smTag = (on: boolean) => (on ? ', subgroup matrix' : hasSm ? ', tile kernel' : '');
for (const [N, dt] of (!want('matmul') ? [] : big ? [[1024, 'float32'], [2048, 'float32'], [4096, 'float32'], [2048, 'float16'], [4096, 'float16'], [4096, 'bfloat16']] : [[256, 'float32'], [256, 'float16']]) as [number, mx.DtypeName][]) {
  const a = mx.random.normal([N, N]).astype(dt), b = mx.random.normal([N, N]).astype(dt);
  await mx.eval(a, b);
  for (const on of smModes(dt)) {
    await mx.gpu.setSubgroupMatrix(on);
    const pk = on ? tensorPeak : peak;
    const ms = await time(() => sync([mx.matmul(a, b)]), big ? 10 : 3);
    const gf = (2 * N ** 3) / (ms / 1e3) / 1e9;
    rows.push({ bench: `matmul ${dt} ${N}^3${smTag(on)}`, value: gf.toFixed(0), unit: 'GFLOP/s', ms: ms.toFixed(3), ofPeak: (gf / pk).toFixed(3) });
    // the kernel alone (timestamps; median of 5)
    await gpuRow(`matmul ${dt} ${N}^3${smTag(on)}, GPU time`, 2 * N ** 3, on, () => sync([mx.matmul(a, b)]), 'matmul');
  }
  if (want('matmul')) await mx.gpu.setSubgroupMatrix(true);
}

// ---- prefill-shaped products against weights stored as Linear holds them (W [N, K], x @ W^T)
for (const [Mx, K, N] of !want('matmul') ? [] : big ? [[512, 2048, 8192], [512, 8192, 2048], [2048, 2048, 2048]] : [[64, 128, 256]]) {
  const x = mx.random.normal([Mx, K]).astype(mx.float16), w = mx.random.normal([N, K]).astype(mx.float16);
  await mx.eval(x, w);
  for (const on of smModes('float16')) {
    await mx.gpu.setSubgroupMatrix(on);
    const ms = await time(() => sync([mx.matmul(x, mx.transpose(w))]), big ? 10 : 3);
    const gf = (2 * Mx * K * N) / (ms / 1e3) / 1e9;
    rows.push({ bench: `matmul float16 x [${Mx}, ${K}] @ W^T (W [${N}, ${K}])${smTag(on)}`, value: gf.toFixed(0), unit: 'GFLOP/s', ms: ms.toFixed(3), ofPeak: (gf / (on ? tensorPeak : peak)).toFixed(3) });
    await gpuRow(`matmul float16 x [${Mx}, ${K}] @ W^T${smTag(on)}, GPU time`, 2 * Mx * K * N, on, () => sync([mx.matmul(x, mx.transpose(w))]), 'matmul');
  }
  // the same product against 4-bit weights (group 64), dequantized as tiles load
  const [wq, sc, bi] = mx.quantize(w, 64, 4);
  await mx.eval(wq, sc, bi);
  for (const on of smModes('float16')) {
    await mx.gpu.setSubgroupMatrix(on);
    const ms = await time(() => sync([mx.quantizedMatmul(x, wq, sc, bi, true, 64, 4)]), big ? 10 : 3);
    const gf = (2 * Mx * K * N) / (ms / 1e3) / 1e9;
    rows.push({ bench: `quantizedMatmul 4-bit x [${Mx}, ${K}] @ W^T (W [${N}, ${K}])${smTag(on)}`, value: gf.toFixed(0), unit: 'GFLOP/s', ms: ms.toFixed(3), ofPeak: (gf / (on ? tensorPeak : peak)).toFixed(3) });
    await gpuRow(`quantizedMatmul 4-bit x [${Mx}, ${K}] @ W^T${smTag(on)}, GPU time`, 2 * Mx * K * N, on, () => sync([mx.quantizedMatmul(x, wq, sc, bi, true, 64, 4)]), 'quantizedMatmul');
  }
  await mx.gpu.setSubgroupMatrix(true);
}

// ---- decode GEMV: x [1, K] times 16 distinct [N, K] weights (4-bit group 64 with f16 scales
// and biases, and float16), results kept in float32 (an astype epilogue) so no pack kernel runs
const REP = 16;
for (const [Nout, K] of !want('gemv') ? [] : big ? [[4096, 4096], [11008, 4096], [4096, 11008]] : [[256, 512]]) {
  for (const kind of ['4-bit', '8-bit', 'float16'] as const) {
    const x = mx.random.normal([1, K]).astype(mx.float16);
    const ws = Array.from({ length: REP }, (_, i) => {
      const w = mx.random.normal([Nout, K], mx.float16, 0, 0.02, { key: mx.random.key(i) });
      return kind === 'float16' ? [w] : mx.quantize(w, 64, kind === '4-bit' ? 4 : 8);
    });
    await mx.eval(x, ...ws.flat());
    const bits = kind === '4-bit' ? 4 : 8;
    const calls = () => ws.map((w) => (w.length === 3 ? mx.quantizedMatmul(x, w[0], w[1], w[2], true, 64, bits) : mx.matmul(x, mx.transpose(w[0]))).astype(mx.float32));
    const bytes = kind === 'float16' ? Nout * K * 2 : (Nout * K * bits) / 8 + (Nout * K / 64) * 2 * 2; // weights + f16 scales and biases
    const name = `${kind} GEMV ${Nout}x${K}${kind === 'float16' ? '' : ' (group 64, f16)'}`;
    const ms = (await time(() => sync(calls()), big ? 20 : 3)) / REP;
    const gbs = bytes / (ms / 1e3) / 1e9;
    rows.push({ bench: `${name}, wall per call`, value: gbs.toFixed(0), unit: 'GB/s', ms: ms.toFixed(4), ofCopy: (gbs / copy).toFixed(2) });
    // GPU time of the 16 calls back to back in one pass (as a decode step runs them), and
    // the same-size copy streamed the same way: that ratio takes out the per-dispatch cost
    const per = (await medianGpu(() => sync(calls()), 'run', 'timeRuns')) / REP;
    if (per > 0) {
      const g = bytes / (per / 1e6) / 1e9;
      await hot();
      const same = await copyStreamGpu(device, Math.ceil(bytes / 16) * 16, REP, 5, big ? 15 : 0);
      rows.push({ bench: `${name}, GPU time (16 in one pass)`, value: g.toFixed(0), unit: 'GB/s', ms: (per / 1e3).toFixed(4), ofCopy: `${(g / copy).toFixed(2)} (${same ? (g / same.gbs).toFixed(2) : '-'} of a same-size copy stream, ${same ? same.gbs.toFixed(0) : '-'} GB/s${ofGpuCopy(g)})` });
    }
    if (kind !== 'float16') {
      // the same 16 weights stacked [16, N, K/8] against x [16, 1, K]: one dispatch streams all
      // of them, so this row has no per-dispatch cost in it
      const [wq, sc, bi] = [0, 1, 2].map((j) => mx.stack(ws.map((w) => w[j])));
      const xs = mx.contiguous(mx.broadcastTo(mx.reshape(x, [1, 1, K]), [REP, 1, K]));
      await mx.eval(wq, sc, bi, xs);
      const one = () => sync([mx.quantizedMatmul(xs, wq, sc, bi, true, 64, bits).astype(mx.float32)]);
      const t = await medianGpu(one, 'quantizedMatmul');
      if (t > 0) {
        const g = (REP * bytes) / (t / 1e6) / 1e9;
        rows.push({ bench: `${name}, 16 weights batched in one dispatch, GPU time`, value: g.toFixed(0), unit: 'GB/s', ms: (t / 1e3 / REP).toFixed(4), ofCopy: `${(g / copy).toFixed(2)}${ofGpuCopy(g)}` });
      }
      for (const a of [wq, sc, bi, xs]) a.dispose();
    }
  }
}
// what one dispatch costs in a pass of 16 that do almost nothing (4 KB copies)
if (want('gemv')) {
  await hot();
  const tiny = await copyStreamGpu(device, 4096, REP, 5, big ? 15 : 0);
  if (tiny) rows.push({ bench: 'dispatch floor: 16 copies of 4 KB in one pass, GPU time each', value: tiny.us.toFixed(2), unit: 'µs' });
}

// ---- FFT: batched complex64 rows (bytes = one read and one write of the data)
for (const [rows_, n] of !want('fft') ? [] : big ? [[4096, 1024], [1024, 4096], [4096, 1000], [16, 65536]] : [[64, 256], [64, 100]]) {
  const re = mx.random.normal([rows_, n]), im = mx.random.normal([rows_, n]);
  const z = mx.complex(re, im);
  await mx.eval(z);
  const ms = await time(() => sync([mx.real(mx.fft.fft(z))]), big ? 10 : 3);
  const us = await gpuTimes(() => sync([mx.fft.fft(z)]), 'fft');
  const bytes = 2 * rows_ * n * 8;
  const gpuMs = us.reduce((a, b) => a + b, 0) / 1e3;
  const g = gpuMs ? bytes / (gpuMs / 1e3) / 1e9 : 0;
  rows.push({ bench: `fft complex64 [${rows_}, ${n}] (${us.length} fft kernels)`, value: g.toFixed(0), unit: 'GB/s (GPU time)', ms: `${gpuMs.toFixed(4)} GPU, ${ms.toFixed(3)} wall`, ofCopy: (g / copy).toFixed(2) });
}

// ---- attention
const fast = (mx as any).fast;
if (fast?.scaledDotProductAttention && want('sdpa')) {
  const H = 32, D = 128, L = big ? 2048 : 128;
  for (const dt of ['float16', 'float32'] as mx.DtypeName[]) {
    const [q, k, v] = [1, 2, 3].map((s) => mx.random.normal([1, H, L, D], mx.float32, 0, 1, { key: mx.random.key(s) }).astype(dt));
    await mx.eval(q, k, v);
    const ms = await time(() => sync([fast.scaledDotProductAttention(q, k, v, { scale: 1 / Math.sqrt(D), mask: 'causal' })]), big ? 10 : 3);
    const flops = 4 * H * D * (L * (L + 1)) / 2; // causal: half of QK^T and PV
    rows.push({ bench: `SDPA prefill causal ${dt} L=${L} H=${H} D=${D}`, value: (flops / (ms / 1e3) / 1e9).toFixed(0), unit: 'GFLOP/s', ms: ms.toFixed(3) });
    const us = await gpuTimes(() => sync([fast.scaledDotProductAttention(q, k, v, { scale: 1 / Math.sqrt(D), mask: 'causal' })]), 'fast.sdpa');
    if (us.length) rows.push({ bench: `SDPA prefill causal ${dt} L=${L}, GPU time`, value: (flops / (us[us.length - 1] / 1e6) / 1e9).toFixed(0), unit: 'GFLOP/s', ms: (us[us.length - 1] / 1e3).toFixed(3) });
  }
  // decode: one query against a GQA cache (8 KV heads) of 4096 (and 16384) tokens, 16 distinct caches
  for (const Lk of big ? [4096, 16384] : [256]) {
    const Hkv = 8;
    const kvs = Array.from({ length: REP }, (_, i) => [0, 1].map((j) => mx.random.normal([1, Hkv, Lk, D], mx.float32, 0, 1, { key: mx.random.key(10 + 2 * i + j) }).astype(mx.float16)));
    const q1 = mx.random.normal([1, H, 1, D]).astype(mx.float16);
    await mx.eval(q1, ...kvs.flat());
    const run = () => sync(kvs.map(([k, v]) => fast.scaledDotProductAttention(q1, k, v, { scale: 1 / Math.sqrt(D) })));
    const ms = (await time(run, big ? 20 : 3)) / REP;
    const bytes = 2 * Hkv * Lk * D * 2;
    const gbs = bytes / (ms / 1e3) / 1e9;
    rows.push({ bench: `SDPA decode f16 Lk=${Lk} Hq=${H} Hkv=${Hkv} D=${D}, wall per call`, value: gbs.toFixed(0), unit: 'GB/s of KV', ms: ms.toFixed(4), ofCopy: (gbs / copy).toFixed(2) });
    // GPU time of one call's kernels (partials + combine), median over the 16 calls
    const us = await gpuTimes(run, 'fast.sdpa');
    if (us.length) {
      const per = us.reduce((a, b) => a + b, 0) / REP;
      const g = bytes / (per / 1e6) / 1e9;
      rows.push({ bench: `SDPA decode f16 Lk=${Lk}, GPU time (${us.length / REP} kernels)`, value: g.toFixed(0), unit: 'GB/s of KV', ms: (per / 1e3).toFixed(4), ofCopy: (g / copy).toFixed(2) });
    }
    // each kernel's own median (its label's prefix)
    for (const part of ['fast.sdpa.vec', 'fast.sdpa.group', 'fast.sdpa.split', 'fast.sdpa.combine']) {
      const t = await gpuTimes(run, part);
      if (t.length) rows.push({ bench: `SDPA decode f16 Lk=${Lk}, ${part} alone, GPU time (median of ${t.length})`, value: median(t).toFixed(1), unit: 'µs' });
    }
    // the 16 calls back to back in one pass, as the GEMV rows (each kernel timed alone above
    // carries a pass's fixed cost)
    const perRun = (await medianGpu(run, 'run', 'timeRuns')) / REP;
    if (perRun > 0) {
      const g = bytes / (perRun / 1e6) / 1e9;
      rows.push({ bench: `SDPA decode f16 Lk=${Lk}, GPU time (16 in one pass)`, value: g.toFixed(0), unit: 'GB/s of KV', ms: (perRun / 1e3).toFixed(4), ofCopy: (g / copy).toFixed(2) });
    }
    for (const a of kvs.flat()) a.dispose();
  }
}

if (hotLog.length) console.log(`clock checks before timed runs: ${hotLog.length}, ${hotLog.reduce((a, b) => a + b, 0).toFixed(0)} ms of spinning in all, longest ${Math.max(...hotLog).toFixed(0)} ms`);
console.log(`JSON ${JSON.stringify({ adapter, big, peakGflops: peak, rows })}`);
console.log(`\nadapter: ${adapter}\n`);
console.log('| bench | value | unit | ms | of peak / of copy |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.bench} | ${r.value} | ${r.unit} | ${r.ms ?? ''} | ${r.ofPeak ?? r.ofCopy ?? ''} |`);
if (G.process?.exit && !G.Deno) G.process.exit(0);
