// mx.gpu.tuneMatmul: which matmul tile kernel to use from which size, and the 128x128 kernel's
// per-thread blocks, are measured on the adapter in hand (both move with the GPU and its
// driver), then cached per adapter in memory and, where there is one, in localStorage.
import { debugState, setDebug } from '../core/debug.ts';
import { gpu, gpuHooks, installTuner, type MatmulTuning, type TuneOptions } from '../core/device.ts';
import { matmul } from '../ops/matmul.ts';
import { normal } from '../random/index.ts';
import { evalArrays } from '../ir/eval.ts';
import type { MxArray } from '../core/array.ts';

const DEFAULT_SIZES: [number, number, number][] = [
  [256, 256, 256], [512, 512, 512], [768, 768, 768], [1024, 1024, 1024], [1536, 1536, 1536],
  [2048, 2048, 2048], [4096, 4096, 4096], [512, 8192, 2048], [2048, 2048, 8192],
];
const memo = new Map<string, MatmulTuning>();
const KEY = 'webmlx.matmulTuning:';

/* eslint-disable @typescript-eslint/no-explicit-any */
const store = (): { getItem(k: string): string | null; setItem(k: string, v: string): void } | null => {
  try {
    return (globalThis as any).localStorage ?? null;
  } catch {
    return null;
  }
};

/** Median microseconds of `reps` runs of x @ y: GPU time from timestamps, else wall time. */
async function timeOf(x: MxArray, y: MxArray, reps: number, timestamps: boolean): Promise<number> {
  const run = async () => {
    const z = matmul(x, y);
    await evalArrays(z);
    await z.reshape(-1).index(0).item();
    z.dispose();
  };
  await run(); // compiles the kernel
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    if (timestamps) {
      const saved = { timeKernels: debugState.timeKernels, log: debugState.log };
      let us = 0;
      setDebug({ timeKernels: true, log: (m) => {
        const g = /^\[gpu time\] matmul[^:]*: ([0-9.]+) us/.exec(m);
        if (g) us += Number(g[1]);
      } });
      try {
        await run();
      } finally {
        setDebug(saved);
      }
      ts.push(us);
    } else {
      const t0 = performance.now();
      await run();
      ts.push((performance.now() - t0) * 1e3);
    }
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}

async function tune(opts: TuneOptions): Promise<MatmulTuning> {
  const h = gpuHooks();
  const state = await h.tuning();
  const key = KEY + state.adapter;
  if (!opts.force) {
    const hit = memo.get(key) ?? (() => {
      try {
        const s = store()?.getItem(key);
        return s ? (JSON.parse(s) as MatmulTuning) : undefined;
      } catch {
        return undefined;
      }
    })();
    if (hit && (hit.bigMinTiles === null || typeof hit.bigMinTiles === 'number')) {
      await h.setTuning(hit.bigMinTiles ?? Infinity, hit.bigBlocks === 8 || hit.bigBlocks === 16 ? hit.bigBlocks : null);
      return { ...hit, source: 'cache' };
    }
  }
  const sizes = opts.sizes ?? DEFAULT_SIZES;
  for (const [m, n, k] of sizes) {
    if (![m, n, k].every((d) => Number.isInteger(d) && d > 0)) throw new Error(`[gpu.tuneMatmul] Sizes must be positive integers [m, n, k]; got [${m}, ${n}, ${k}].`);
  }
  const reps = opts.reps ?? 5;
  const timed: { m: number; n: number; k: number; tiles: number; small: number; big8: number; big16: number }[] = [];
  const before = state.bigMinTiles, blocksBefore = state.bigBlocks;
  // the tile kernels alone (float32 products could otherwise take subgroup matrices)
  await h.setSubgroupMatrix(false);
  try {
    for (const [m, n, k] of sizes) {
      const x = normal([m, k], undefined, 0, 1, { stream: gpu }), y = normal([k, n], undefined, 0, 1, { stream: gpu });
      await evalArrays(x, y);
      await h.setTuning(Infinity);
      const small = await timeOf(x, y, reps, state.timestamps);
      await h.setTuning(0, 16);
      const big16 = await timeOf(x, y, reps, state.timestamps);
      await h.setTuning(0, 8);
      const big8 = await timeOf(x, y, reps, state.timestamps);
      timed.push({ m, n, k, tiles: Math.ceil(m / 128) * Math.ceil(n / 128), small, big8, big16 });
      x.dispose();
      y.dispose();
      opts.progress?.(timed.length, sizes.length);
    }
  } catch (e) {
    await h.setTuning(before, blocksBefore);
    throw e;
  } finally {
    await h.setSubgroupMatrix(state.subgroupMatrix);
  }
  // sizes the 128x128 kernel can run (at least 128 rows and columns, K >= 32)
  const fits = (r: { m: number; n: number; k: number }) => r.m >= 128 && r.n >= 128 && r.k >= 32;
  // the blocks with the smaller total time over the sizes where the 128x128 kernel beats the
  // 64x64 one with either (the large products it is for), else over all it can run
  const runs = timed.filter(fits);
  const wins = runs.filter((r) => Math.min(r.big8, r.big16) <= r.small);
  const total = (blocks: 8 | 16) => (wins.length ? wins : runs).reduce((a, r) => a + (blocks === 8 ? r.big8 : r.big16), 0);
  const bigBlocks: 8 | 16 = total(16) < total(8) ? 16 : 8;
  const measured: MatmulTuning['measured'] = timed.map((r) => ({ ...r, big: bigBlocks === 16 ? r.big16 : r.big8 }));
  // with those blocks, from the fewest tiles at and above which it is never slower
  const usable = measured.filter(fits).sort((a, b) => a.tiles - b.tiles);
  let bigMinTiles: number | null = null;
  for (let i = usable.length - 1; i >= 0 && usable[i].big <= usable[i].small; i--) bigMinTiles = usable[i].tiles;
  const result: MatmulTuning = { adapter: state.adapter, bigMinTiles, bigBlocks, measured, source: 'measured' };
  await h.setTuning(bigMinTiles ?? Infinity, bigBlocks);
  memo.set(key, result);
  try {
    store()?.setItem(key, JSON.stringify(result));
  } catch {
    // storage full or blocked: the in-memory copy still serves this session
  }
  return result;
}

installTuner({
  tune,
  async set(t) {
    if (t !== null && t.bigMinTiles !== null && !(typeof t.bigMinTiles === 'number' && t.bigMinTiles >= 0)) {
      throw new Error(`[gpu.setMatmulTuning] bigMinTiles must be a number >= 0 or null; got ${String(t.bigMinTiles)}.`);
    }
    if (t !== null && t.bigBlocks !== undefined && t.bigBlocks !== 8 && t.bigBlocks !== 16) {
      throw new Error(`[gpu.setMatmulTuning] bigBlocks must be 8 or 16; got ${String(t.bigBlocks)}.`);
    }
    await gpuHooks().setTuning(t === null ? null : t.bigMinTiles ?? Infinity, t?.bigBlocks ?? null);
  },
});
