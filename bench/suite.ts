// Peer benchmark suite: the same ops, inputs and timing protocol for webmlx and the WebGPU
// libraries it is compared with (@jax-js/jax eager and jit, @tensorflow/tfjs-backend-webgpu,
// onnxruntime-web's WebGPU EP), all on one adapter of one process. Runs in Node
// (dawn.node), Deno and a page; bench/peers.ts is the entry point, bench/run-peers.mjs
// bundles and drives it. The peers live in bench/peers/node_modules (a separate npm
// package): they are imported dynamically, so a missing one is reported and skipped.
//
// Protocol, identical for every library: inputs are uploaded once; each repetition runs
// the op and then reads back 4 bytes of the output (so the GPU work is inside the time);
// warm-up repetitions first (shader compilation, pools), then the median of N. One extra
// run reads the whole output back to check it against a float64 CPU reference (sampled
// entries) and to give a checksum (float64 sum of the output) comparable across libraries.
import { hotGpu } from './clocks.ts';
import { copyBandwidth as rawCopyBandwidth } from './copy.ts';
import { I64, onnxModel, scalarF32, type OnnxInit, type OnnxNode } from './onnx.ts';
import { fmt } from './report.ts';
export { onnxModel } from './onnx.ts';
import * as mx from '../src/index.ts';
import { gelu as mxGelu } from '../src/nn/activations.ts';
import { layerNorm as mxLayerNorm } from '../src/nn/layers/norm.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export type BenchKind = 'matmul' | 'gelu' | 'softmax' | 'layernorm' | 'sum' | 'adds';
export type Unit = 'GFLOP/s' | 'GB/s' | 'us/op';

/** One measurement: a library on one bench. */
export interface Row {
  lib: string;
  bench: string;
  kind: BenchKind;
  ms: number | null;
  value: number | null;
  unit: Unit;
  /** value / measured copy bandwidth (GB/s benches only). */
  ofCopy?: number | null;
  /** 'ok', or what the check against the CPU reference found. */
  check?: string;
  /** float64 sum of the whole output. */
  checksum?: number;
  /** min of the timed repetitions (ms). */
  minMs?: number;
  reps?: number;
  error?: string;
}

export interface LibInfo {
  lib: string;
  adapter: string;
  note?: string;
  error?: string;
}

export interface SuiteResult {
  runtime: string;
  adapter: string;
  copyGBs: number | null;
  copyBytes: number;
  libs: LibInfo[];
  rows: Row[];
  big: boolean;
}

export interface SuiteOptions {
  /** The GPU machine's full sizes (default: small sizes for software drivers). */
  big?: boolean;
  /** Libraries to run (default: all). Names: webmlx, jax-js, jax-js-jit, tfjs, ort. */
  libs?: string[];
  /** Benches to run, by kind (default: all). */
  kinds?: BenchKind[];
  /** Override repetitions. */
  reps?: number;
  /** Override warm-up runs (default 3 big, 1 small). */
  warm?: number;
  /** The bytes of ORT's WebGPU wasm (ort-wasm-simd-threaded.asyncify.wasm); ORT is skipped without it. */
  ortWasm?: () => Promise<ArrayBuffer | Uint8Array>;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Per-case time limit in ms (default 90 s big, 300 s small; the case is then recorded as timed out). */
  caseTimeoutMs?: number;
}

export const ALL_LIBS = ['webmlx', 'jax-js', 'jax-js-jit', 'tfjs', 'ort'] as const;

// ---------------------------------------------------------------------------------------
// Runtime and GPU set-up

const G = globalThis as Any;
/** Objects dawn.node needs kept alive (it aborts if its GPU instance is collected). */
const keep: unknown[] = [];

export function runtimeName(): string {
  if (G.Deno?.version) return `deno ${G.Deno.version.deno}`;
  if (G.process?.versions?.node && !G.document) return `node ${G.process.versions.node}`;
  if (G.navigator?.userAgent && G.document) {
    const m = /Chrom(?:e|ium)\/([\d.]+)/.exec(G.navigator.userAgent);
    return m ? `chromium ${m[1]}` : 'browser';
  }
  return 'unknown';
}

/**
 * Makes `navigator.gpu` available to every library: in Node it loads dawn.node once
 * (`create(['backend=vulkan'])`, its globals) and defines `navigator`; elsewhere the
 * runtime's own. Also gives Node-detecting CommonJS code (tfjs) a `require`.
 */
export async function setupGpu(): Promise<GPU> {
  const isNodeLike = !!G.process?.versions?.node && !G.document;
  if (isNodeLike && typeof G.require === 'undefined') {
    try {
      const { createRequire } = await import('node:module');
      G.require = createRequire(import.meta.url);
    } catch {
      /* no require: tfjs then falls back to its browser platform */
    }
  }
  if (G.navigator?.gpu) {
    if (G.Deno) await patchSharedWriteBuffer(G.navigator.gpu);
    return G.navigator.gpu as GPU;
  }
  if (!isNodeLike || G.Deno) throw new Error('this runtime has no navigator.gpu');
  const spec = ['web', 'gpu'].join(''); // computed, so bundlers leave dawn.node alone
  const mod = (await import(/* @vite-ignore */ spec)) as { create(o: string[]): GPU; globals: object };
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create(['backend=vulkan']);
  keep.push(gpu);
  const ua = `Node.js/${G.process.version} (dawn.node)`;
  if (G.navigator) {
    Object.defineProperty(G.navigator, 'gpu', { value: gpu, configurable: true });
    if (!G.navigator.userAgent) Object.defineProperty(G.navigator, 'userAgent', { value: ua, configurable: true });
  } else {
    let cores = 4;
    try {
      cores = (await import('node:os')).cpus().length;
    } catch {
      /* keep 4 */
    }
    G.navigator = { gpu, userAgent: ua, hardwareConcurrency: cores, language: 'en-US' };
  }
  await patchSharedWriteBuffer(gpu);
  return gpu;
}

/**
 * dawn.node and Deno reject `queue.writeBuffer` from a view on shared memory (ORT's
 * threaded wasm heap is a SharedArrayBuffer: "Invalid argument"). Copies such views
 * first; other data passes through untouched. Patched once on the GPUQueue prototype.
 */
async function patchSharedWriteBuffer(gpu: GPU): Promise<void> {
  if (typeof SharedArrayBuffer === 'undefined') return;
  const adapter = await gpu.requestAdapter();
  if (!adapter) return;
  const device = await adapter.requestDevice();
  const proto = Object.getPrototypeOf(device.queue) as Any;
  if (!proto.__webmlxSharedCopy) {
    const orig = proto.writeBuffer;
    proto.writeBuffer = function (buf: GPUBuffer, off: number, data: Any, dataOff?: number, size?: number) {
      const ab = ArrayBuffer.isView(data) ? data.buffer : data;
      if (ab instanceof SharedArrayBuffer) {
        const es = ArrayBuffer.isView(data) ? ((data as Any).BYTES_PER_ELEMENT ?? 1) : 1;
        const base = ArrayBuffer.isView(data) ? data.byteOffset : 0;
        const total = ArrayBuffer.isView(data) ? data.byteLength : (data as SharedArrayBuffer).byteLength;
        const start = (dataOff ?? 0) * es;
        const len = size === undefined ? total - start : size * es;
        const copy = new Uint8Array(len);
        copy.set(new Uint8Array(ab, base + start, len));
        return orig.call(this, buf, off, copy, 0, len);
      }
      return orig.call(this, buf, off, data, dataOff, size);
    };
    proto.__webmlxSharedCopy = true;
  }
  device.destroy();
}

function describeAdapter(info: Any): string {
  if (!info) return 'unknown';
  return [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ').trim() || 'unknown';
}

// ---------------------------------------------------------------------------------------
// Inputs and references

/** Deterministic uniform(-1, 1) floats (mulberry32). */
export function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** erf in float64: Maclaurin series below 2.5, erfc's continued fraction above (the
 * usual Abramowitz-Stegun 7.1.26 fit is only good to 1.5e-7, too coarse as a reference). */
function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x, sum = x;
    const x2 = x * x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // continued fraction for erfc (Lentz), accurate for x >= 2.5
  const z = ax;
  let f = z, c = z, d = 0;
  for (let k = 1; k < 200; k++) {
    const ak = k / 2;
    d = z + ak * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = z + ak / c;
    if (c === 0) c = 1e-300;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

interface Input {
  name: string;
  data: Float32Array;
  shape: number[];
}

export interface Bench {
  kind: BenchKind;
  label: string;
  inputs: Input[];
  outShape: number[];
  unit: Unit;
  /** FLOPs (matmul), bytes moved (GB/s benches) or op count (us/op). */
  work: number;
  reps: number;
  warm: number;
  /** Largest error against the float64 reference and whether it is within tolerance. */
  check(y: Float32Array): { err: number; ok: boolean };
}

const LN_EPS = 1e-5;

function samples(count: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Math.floor(((i + 0.5) / count) * n));
  out.push(0, n - 1);
  return out;
}

export function makeBenches(big: boolean, kinds?: BenchKind[], repsOverride?: number, warmOverride?: number): Bench[] {
  const want = (k: BenchKind) => !kinds || kinds.includes(k);
  const n = big ? 16 * 2 ** 20 : 2 ** 20;
  const [R, C] = big ? [4096, 1024] : [256, 1024];
  const reps = (r: number) => repsOverride ?? (big ? r : 3);
  const warm = warmOverride ?? (big ? 3 : 1);
  const benches: Bench[] = [];
  if (want('matmul')) {
    for (const N of big ? [256, 1024, 2048, 4096] : [256, 512]) {
      const a = randomFloats(N * N, 11 + N), b = randomFloats(N * N, 13 + N);
      benches.push({
        kind: 'matmul', label: `matmul f32 ${N}`, unit: 'GFLOP/s', work: 2 * N ** 3, reps: reps(N >= 2048 ? 10 : 20), warm,
        inputs: [{ name: 'a', data: a, shape: [N, N] }, { name: 'b', data: b, shape: [N, N] }], outShape: [N, N],
        check(y) {
          let worst = 0;
          for (const i of samples(8, N)) for (const j of samples(8, N)) {
            let s = 0, sa = 0;
            for (let k = 0; k < N; k++) {
              const p = a[i * N + k] * b[k * N + j];
              s += p;
              sa += Math.abs(p);
            }
            worst = Math.max(worst, Math.abs(y[i * N + j] - s) / (sa + 1e-30));
          }
          return { err: worst, ok: worst < 1e-4 };
        },
      });
    }
  }
  const x = want('gelu') || want('sum') ? randomFloats(n, 7) : new Float32Array(0);
  if (want('gelu')) {
    benches.push({
      kind: 'gelu', label: `GELU(x*1.5+0.5)*x ${n >= 2 ** 20 ? `${n / 2 ** 20}M` : n}`, unit: 'GB/s', work: 8 * n, reps: reps(20), warm,
      inputs: [{ name: 'x', data: x, shape: [n] }], outShape: [n],
      check(y) {
        let worst = 0;
        for (const i of samples(4096, n)) {
          const t = x[i] * 1.5 + 0.5;
          const ref = 0.5 * t * (1 + erf64(t / Math.SQRT2)) * x[i];
          worst = Math.max(worst, Math.abs(y[i] - ref) / (1e-3 + Math.abs(ref)));
        }
        return { err: worst, ok: worst < 1e-3 };
      },
    });
  }
  const m = want('softmax') || want('layernorm') ? randomFloats(R * C, 5).map((v) => v * 4) : new Float32Array(0);
  if (want('softmax')) {
    benches.push({
      kind: 'softmax', label: `softmax [${R},${C}]`, unit: 'GB/s', work: 8 * R * C, reps: reps(20), warm,
      inputs: [{ name: 'x', data: m, shape: [R, C] }], outShape: [R, C],
      check(y) {
        let worst = 0;
        for (const r of samples(16, R)) {
          let mxv = -Infinity;
          for (let c = 0; c < C; c++) mxv = Math.max(mxv, m[r * C + c]);
          let s = 0;
          for (let c = 0; c < C; c++) s += Math.exp(m[r * C + c] - mxv);
          for (let c = 0; c < C; c++) {
            const ref = Math.exp(m[r * C + c] - mxv) / s;
            worst = Math.max(worst, Math.abs(y[r * C + c] - ref) / (1e-6 + ref));
          }
        }
        return { err: worst, ok: worst < 1e-3 };
      },
    });
  }
  if (want('layernorm')) {
    const g = randomFloats(C, 17).map((v) => 1 + 0.5 * v), bb = randomFloats(C, 19).map((v) => 0.1 * v);
    benches.push({
      kind: 'layernorm', label: `layernorm [${R},${C}]`, unit: 'GB/s', work: 8 * R * C, reps: reps(20), warm,
      inputs: [{ name: 'x', data: m, shape: [R, C] }, { name: 'g', data: g, shape: [C] }, { name: 'b', data: bb, shape: [C] }],
      outShape: [R, C],
      check(y) {
        let worst = 0;
        for (const r of samples(16, R)) {
          let mu = 0;
          for (let c = 0; c < C; c++) mu += m[r * C + c];
          mu /= C;
          let v = 0;
          for (let c = 0; c < C; c++) v += (m[r * C + c] - mu) ** 2;
          v /= C;
          const inv = 1 / Math.sqrt(v + LN_EPS);
          for (let c = 0; c < C; c++) {
            const ref = (m[r * C + c] - mu) * inv * g[c] + bb[c];
            worst = Math.max(worst, Math.abs(y[r * C + c] - ref));
          }
        }
        return { err: worst, ok: worst < 1e-3 };
      },
    });
  }
  if (want('sum')) {
    benches.push({
      kind: 'sum', label: `sum ${n >= 2 ** 20 ? `${n / 2 ** 20}M` : n}`, unit: 'GB/s', work: 4 * n, reps: reps(20), warm,
      inputs: [{ name: 'x', data: x, shape: [n] }], outShape: [],
      check(y) {
        let s = 0, sa = 0;
        for (let i = 0; i < n; i++) {
          s += x[i];
          sa += Math.abs(x[i]);
        }
        const err = Math.abs(y[0] - s) / sa;
        return { err, ok: err < 1e-5 };
      },
    });
  }
  if (want('adds')) {
    benches.push({
      kind: 'adds', label: '1000 tiny adds + 1 readback', unit: 'us/op', work: 1000, reps: reps(10), warm,
      inputs: [{ name: 'x', data: new Float32Array(16).map((_, i) => i), shape: [16] }], outShape: [16],
      check(y) {
        let worst = 0;
        for (let i = 0; i < 16; i++) worst = Math.max(worst, Math.abs(y[i] - (i + 1000)));
        return { err: worst, ok: worst === 0 };
      },
    });
  }
  return benches;
}

// ---------------------------------------------------------------------------------------
// Libraries

interface Case {
  /** The op, then a 4-byte readback of its output. */
  run(): Promise<number>;
  /** The op, then a full readback. */
  full(): Promise<Float32Array>;
  dispose(): void;
}

interface Lib {
  name: string;
  note?: string;
  init(): Promise<string>;
  make(b: Bench): Promise<Case>;
}

/** Reads 4 bytes at offset 0 of a GPU buffer through a reused MAP_READ buffer on `device`. */
function smallReader(device: GPUDevice): (buf: GPUBuffer) => Promise<number> {
  const staging = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  return async (buf) => {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(buf, 0, staging, 0, 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const v = new Float32Array(staging.getMappedRange().slice(0))[0];
    staging.unmap();
    return v;
  };
}

function webmlxLib(): Lib {
  const ops: Record<BenchKind, (...a: mx.MxArray[]) => mx.MxArray> = {
    matmul: (a, b) => mx.matmul(a, b),
    gelu: (x) => mx.multiply(mxGelu(mx.add(mx.multiply(x, 1.5), 0.5)), x),
    softmax: (x) => mx.softmax(x, -1),
    layernorm: (x, g, b) => mxLayerNorm(x, g, b, LN_EPS),
    sum: (x) => mx.sum(x),
    adds: (x) => {
      let y = x;
      for (let i = 0; i < 1000; i++) y = mx.add(y, 1);
      return y;
    },
  };
  return {
    name: 'webmlx',
    async init() {
      const dev = await mx.gpu.init();
      return describeAdapter((dev as Any).adapterInfo);
    },
    async make(b) {
      const ins = b.inputs.map((i) => mx.reshape(mx.array(i.data), i.shape));
      await mx.eval(...ins);
      const f = ops[b.kind];
      return {
        async run() {
          // submitted without waiting (MLX's async_eval), then one element read back; the
          // element's view is disposed too, or it would keep y's buffer out of the pool
          const y = f(...ins);
          const done = mx.asyncEval(y);
          const first = y.size === 1 ? y : mx.index(mx.reshape(y, [-1]), [0]);
          const v = Number(await mx.item(first));
          await done;
          if (first !== y) first.dispose();
          y.dispose();
          return v;
        },
        async full() {
          const y = f(...ins);
          await mx.eval(y);
          const d = Float32Array.from((await mx.data(y)) as ArrayLike<number>);
          y.dispose();
          return d;
        },
        dispose() {
          for (const a of ins) a.dispose();
        },
      };
    },
  };
}

/** @jax-js/jax with its WebGPU backend started and made the default device. */
export async function loadJax(): Promise<Any> {
  // @ts-ignore -- optional peer from bench/peers/node_modules, bundled by esbuild
  const jax = await import('@jax-js/jax');
  const got: string[] = await jax.init('webgpu');
  if (!got.includes('webgpu')) throw new Error('jax-js: WebGPU backend did not start');
  jax.defaultDevice('webgpu');
  return jax;
}

/** tfjs-core on its WebGPU backend, with gradients registered (for training benches). */
export async function loadTfjs(): Promise<Any> {
  // @ts-ignore -- optional peer from bench/peers/node_modules, bundled by esbuild
  const tf = await import('@tensorflow/tfjs-core');
  // @ts-ignore -- tfjs-core alone has no gradient kernels (the tfjs umbrella registers them)
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  // @ts-ignore -- registers the 'webgpu' backend when navigator.gpu exists at import time
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: setBackend("webgpu") failed');
  await tf.ready();
  // small ops on CPU-resident tensors would otherwise run on the CPU (1000 tiny adds)
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  return tf;
}

function jaxLib(jit: boolean): Lib {
  let jax: Any, np: Any, nn: Any, read: (b: GPUBuffer) => Promise<number>;
  // every function takes ownership of its arguments (jax-js reference counting)
  const fns: Record<BenchKind, (...a: Any[]) => Any> = {
    matmul: (a, b) => np.matmul(a, b),
    gelu: (x) => nn.gelu(x.ref.mul(1.5).add(0.5), { approximate: false }).mul(x),
    softmax: (x) => nn.softmax(x, -1),
    layernorm: (x, g, b) => nn.standardize(x, -1, { epsilon: LN_EPS }).mul(g).add(b),
    sum: (x) => np.sum(x),
    adds: (x) => {
      let y = x;
      for (let i = 0; i < 1000; i++) y = y.add(1);
      return y;
    },
  };
  return {
    name: jit ? 'jax-js-jit' : 'jax-js',
    note: jit ? '@jax-js/jax, each op wrapped in jit() (fused)' : '@jax-js/jax, eager',
    async init() {
      jax = await loadJax();
      np = jax.numpy;
      nn = jax.nn;
      const dev: GPUDevice = jax.getWebGPUDevice();
      read = smallReader(dev);
      return describeAdapter((dev as Any).adapterInfo);
    },
    async make(b) {
      const ins: Any[] = [];
      for (const i of b.inputs) {
        const a = np.array(i.data, { shape: i.shape, dtype: np.float32 });
        await a.blockUntilReady();
        ins.push(a);
      }
      const f = jit ? jax.jit(fns[b.kind]) : fns[b.kind];
      const call = () => f(...ins.map((a) => a.ref));
      return {
        async run() {
          const y = call();
          // gpuBuffer() realizes the whole (lazy) output and submits its kernels
          const buf = await y.ref.gpuBuffer();
          const v = await read(buf);
          y.dispose();
          return v;
        },
        async full() {
          const y = call();
          return Float32Array.from(await y.data());
        },
        dispose() {
          for (const a of ins) a.dispose();
          if (jit) f.dispose?.();
        },
      };
    },
  };
}

function tfjsLib(): Lib {
  let tf: Any;
  const fns: Record<BenchKind, (...a: Any[]) => Any> = {
    matmul: (a, b) => tf.matMul(a, b),
    // tfjs has no gelu op: the exact (erf) form from its primitives
    gelu: (x) => tf.tidy(() => {
      const t = tf.add(tf.mul(x, 1.5), 0.5);
      return tf.mul(tf.mul(tf.mul(t, 0.5), tf.add(tf.erf(tf.mul(t, Math.SQRT1_2)), 1)), x);
    }),
    softmax: (x) => tf.softmax(x, -1),
    // tfjs has no layer-norm op: moments + normalize
    layernorm: (x, g, b) => tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS))), g), b);
    }),
    sum: (x) => tf.sum(x),
    adds: (x) => tf.tidy(() => {
      let y = x;
      for (let i = 0; i < 1000; i++) y = tf.add(y, 1);
      return y;
    }),
  };
  return {
    name: 'tfjs',
    note: '@tensorflow/tfjs-backend-webgpu (WEBGPU_CPU_FORWARD off)',
    async init() {
      tf = await loadTfjs();
      const be = tf.backend();
      return describeAdapter(be.adapterInfo ?? be.device?.adapterInfo);
    },
    async make(b) {
      const ins = b.inputs.map((i) => tf.tensor(i.data, i.shape, 'float32'));
      // move the inputs to the GPU now (first use would upload them)
      const warm = ins.map((a: Any) => tf.add(a, 0));
      for (const w of warm) await w.data();
      for (const w of warm) w.dispose();
      const f = fns[b.kind];
      return {
        async run() {
          const y = f(...ins);
          const s = tf.tidy(() => tf.slice(tf.reshape(y, [-1]), [0], [1]));
          const v = (await s.data())[0];
          s.dispose();
          y.dispose();
          return v;
        },
        async full() {
          const y = f(...ins);
          const d = Float32Array.from(await y.data());
          y.dispose();
          return d;
        },
        dispose() {
          for (const a of ins) a.dispose();
        },
      };
    },
  };
}

function ortGraph(b: Bench): { nodes: OnnxNode[]; inits: OnnxInit[] } {
  switch (b.kind) {
    case 'matmul':
      return { nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }], inits: [] };
    case 'gelu':
      return {
        nodes: [
          { op: 'Mul', inputs: ['x', 'c15'], outputs: ['t0'] },
          { op: 'Add', inputs: ['t0', 'c05'], outputs: ['t'] },
          { op: 'Gelu', inputs: ['t'], outputs: ['g'] }, // opset 20, exact (erf) by default
          { op: 'Mul', inputs: ['g', 'x'], outputs: ['y'] },
        ],
        inits: [scalarF32('c15', 1.5), scalarF32('c05', 0.5)],
      };
    case 'softmax':
      return { nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: [{ name: 'axis', i: -1 }] }], inits: [] };
    case 'layernorm':
      return {
        nodes: [{ op: 'LayerNormalization', inputs: ['x', 'g', 'b'], outputs: ['y'], attrs: [{ name: 'axis', i: -1 }, { name: 'epsilon', f: LN_EPS }] }],
        inits: [],
      };
    case 'sum':
      return {
        nodes: [{ op: 'ReduceSum', inputs: ['x', 'axes'], outputs: ['y'], attrs: [{ name: 'keepdims', i: 0 }] }],
        inits: [{ name: 'axes', dtype: I64, dims: [1], raw: new Uint8Array(new BigInt64Array([0n]).buffer) }],
      };
    case 'adds': {
      // 1000 Add kernels inside one session.run (ORT has no eager API)
      const nodes: OnnxNode[] = [];
      for (let i = 0; i < 1000; i++) nodes.push({ op: 'Add', inputs: [i ? `t${i - 1}` : 'x', 'one'], outputs: [i === 999 ? 'y' : `t${i}`] });
      return { nodes, inits: [scalarF32('one', 1)] };
    }
  }
}

function ortLib(wasm: () => Promise<ArrayBuffer | Uint8Array>): Lib {
  let ort: Any, device: GPUDevice, read: (b: GPUBuffer) => Promise<number>;
  const sessionOptions = () => ({
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
    graphOptimizationLevel: 'all',
  });
  return {
    name: 'ort',
    note: 'onnxruntime-web WebGPU EP, GPU-resident inputs and outputs; 1000 adds = one 1000-node graph',
    async init() {
      // @ts-ignore -- optional peer from bench/peers/node_modules, bundled by esbuild
      ort = await import('onnxruntime-web/webgpu');
      ort = ort.default?.InferenceSession ? ort.default : ort;
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      const bin = await wasm();
      ort.env.wasm.wasmBinary = bin instanceof Uint8Array ? bin : new Uint8Array(bin);
      ort.env.logLevel = 'error';
      // a first session starts the WebGPU EP and its device; it stays open, since ORT
      // drops its WebGPU context (and device) when the last session is released
      const x: Input = { name: 'x', data: new Float32Array(4), shape: [4] };
      keep.push(await ort.InferenceSession.create(onnxModel([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], [x], [4]), sessionOptions()));
      device = await ort.env.webgpu.device;
      if (!device) throw new Error('ort: no WebGPU device after starting the EP');
      read = smallReader(device);
      return describeAdapter((device as Any).adapterInfo);
    },
    async make(b) {
      const { nodes, inits } = ortGraph(b);
      const session = await ort.InferenceSession.create(onnxModel(nodes, b.inputs, b.outShape, inits), sessionOptions());
      const bufs: GPUBuffer[] = [];
      const feeds: Record<string, Any> = {};
      for (const i of b.inputs) {
        const buf = device.createBuffer({
          size: Math.max(16, Math.ceil(i.data.byteLength / 16) * 16),
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        });
        device.queue.writeBuffer(buf, 0, i.data as Float32Array<ArrayBuffer>);
        bufs.push(buf);
        feeds[i.name] = ort.Tensor.fromGpuBuffer(buf, { dataType: 'float32', dims: i.shape });
      }
      return {
        async run() {
          const out = await session.run(feeds);
          const y = out.y;
          const v = await read(y.gpuBuffer);
          y.dispose();
          return v;
        },
        async full() {
          const out = await session.run(feeds);
          const d = Float32Array.from(await out.y.getData(true));
          return d;
        },
        dispose() {
          session.release();
          for (const f of Object.values(feeds)) f.dispose?.();
          for (const buf of bufs) buf.destroy();
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------
// Copy bandwidth (the same vec4 copy kernel as bench/ops.ts) on a device of this adapter

async function copyBandwidth(gpu: GPU, bytes: number, reps: number): Promise<{ gbs: number; adapter: string; bytes: number }> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no adapter');
  const device = await adapter.requestDevice({
    requiredLimits: { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
  });
  const r = await rawCopyBandwidth(device, bytes, reps);
  const info = describeAdapter((device as Any).adapterInfo ?? (adapter as Any).info);
  device.destroy();
  return { ...r, adapter: info };
}

// ---------------------------------------------------------------------------------------
// Timing and the driver

const now = () => performance.now();

async function timeIt(fn: () => Promise<unknown>, reps: number, warm: number, hot?: () => Promise<unknown>): Promise<{ median: number; min: number }> {
  for (let i = 0; i < warm; i++) await fn();
  await hot?.();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    await fn();
    ts.push(now() - t0);
  }
  ts.sort((x, y) => x - y);
  const mid = ts.length >> 1;
  return { median: ts.length % 2 ? ts[mid] : (ts[mid - 1] + ts[mid]) / 2, min: ts[0] };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000}s (${what})`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const errText = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200);

function valueOf(b: Bench, ms: number): number {
  if (b.unit === 'us/op') return (ms * 1e3) / b.work;
  return b.work / (ms / 1e3) / 1e9; // GFLOP/s or GB/s
}

/** Runs the suite for each library present; one row per (library, bench). */
export async function runSuite(opts: SuiteOptions = {}): Promise<SuiteResult> {
  const log = opts.log ?? (() => {});
  const big = opts.big ?? false;
  // generous for software drivers; on a real GPU every case takes seconds at most
  const caseMs = opts.caseTimeoutMs ?? (big ? 90_000 : 300_000);
  const gpu = await setupGpu();
  const runtime = runtimeName();
  let copyBytes = big ? 256 * 2 ** 20 : 4 * 2 ** 20;
  let copyGBs: number | null = null, adapter = 'unknown';
  try {
    const c = await copyBandwidth(gpu, copyBytes, big ? 20 : 3);
    copyGBs = c.gbs;
    adapter = c.adapter;
    copyBytes = c.bytes;
    log(`copy ${copyBytes / 2 ** 20} MB: ${copyGBs.toFixed(1)} GB/s on ${adapter}`);
  } catch (e) {
    log(`copy bandwidth failed: ${errText(e)}`);
  }

  const wanted = opts.libs?.length ? opts.libs : [...ALL_LIBS];
  const factories: Record<string, () => Lib | null> = {
    webmlx: webmlxLib,
    'jax-js': () => jaxLib(false),
    'jax-js-jit': () => jaxLib(true),
    tfjs: tfjsLib,
    ort: () => (opts.ortWasm ? ortLib(opts.ortWasm) : null),
  };
  // One library at a time, each started only when its turn comes, in the order of
  // ALL_LIBS (ORT last): in Node, onnxruntime-web keeps dawn.node busy-polling once it has
  // started (about 40% of a core while idle, measured here), which slowed the libraries
  // that ran beside it.
  const order = [...ALL_LIBS.filter((l) => wanted.includes(l)), ...wanted.filter((l) => !(ALL_LIBS as readonly string[]).includes(l))];
  const benches = makeBenches(big, opts.kinds, opts.reps, opts.warm);
  // big runs: a device of its own brings the GPU back to full clocks before each timing (set-up
  // and compiles idle it; bench/clocks.ts), the same for every library
  const spinDev = big ? await (await gpu.requestAdapter({ powerPreference: 'high-performance' }))?.requestDevice() ?? null : null;
  if (spinDev) await hotGpu(spinDev, 3000, 6000);
  const hot = spinDev ? () => hotGpu(spinDev) : undefined;
  const infos: LibInfo[] = [];
  const rows: Row[] = [];
  for (const name of order) {
    const lib = factories[name]?.();
    if (!lib) {
      infos.push({ lib: name, adapter: '-', error: factories[name] ? 'not available here (no ORT wasm given)' : 'unknown library' });
      continue;
    }
    try {
      const a = await withTimeout(lib.init(), caseMs, `${name} init`);
      infos.push({ lib: name, adapter: a, note: lib.note });
      log(`${name}: started on ${a}`);
    } catch (e) {
      infos.push({ lib: name, adapter: '-', note: lib.note, error: errText(e) });
      log(`${name}: could not start: ${errText(e)}`);
      continue;
    }
    for (const b of benches) {
      const row: Row = { lib: lib.name, bench: b.label, kind: b.kind, ms: null, value: null, unit: b.unit };
      let c: Case | null = null;
      try {
        c = await withTimeout(lib.make(b), caseMs, 'setup');
        const cc = c;
        const t = await withTimeout(timeIt(() => cc.run(), b.reps, b.warm, hot), caseMs, 'timing');
        row.ms = t.median;
        row.minMs = t.min;
        row.reps = b.reps;
        row.value = valueOf(b, t.median);
        if (b.unit === 'GB/s' && copyGBs) row.ofCopy = row.value / copyGBs;
        const y = await withTimeout(cc.full(), caseMs, 'full readback');
        let s = 0;
        for (let i = 0; i < y.length; i++) s += y[i];
        row.checksum = s;
        const chk = y.length === Math.max(1, b.outShape.reduce((p, q) => p * q, 1)) ? b.check(y) : { err: NaN, ok: false };
        row.check = chk.ok ? 'ok' : Number.isNaN(chk.err) ? `BAD (output size ${y.length})` : `BAD (err ${chk.err.toExponential(2)})`;
      } catch (e) {
        row.error = errText(e);
      } finally {
        try {
          c?.dispose();
        } catch {
          /* ignore */
        }
      }
      rows.push(row);
      log(`${b.label} | ${lib.name}: ${row.error ? `ERROR ${row.error}` : `${row.ms!.toFixed(3)} ms, ${fmt(row.value)} ${row.unit}, ${row.check}`}`);
    }
  }
  spinDev?.destroy();
  // rows grouped by bench, libraries in run order
  rows.sort((x, y) => benches.findIndex((b) => b.label === x.bench) - benches.findIndex((b) => b.label === y.bench));
  return { runtime, adapter, copyGBs, copyBytes, libs: infos, rows, big };
}

export { markdownReport } from './report.ts';
