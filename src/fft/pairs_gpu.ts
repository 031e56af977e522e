// WebGPU kernels of fftPairs (shaders/fft.wgsl). A power-of-two length N is cut into
// passes of radix R <= L (L complex values fit one workgroup's memory): pass p reads
// x[j + r N/R], twiddles it by w_N^(r (j mod Ns) N/(Ns R)) and writes the R-point DFT to
// (j / Ns) Ns R + j mod Ns + k Ns (Stockham, Ns = product of the earlier radices), so
// N <= L is one dispatch and N <= L^2 two. Other lengths run Bluestein as two such
// transforms of length m >= 2n - 1 whose first load multiplies by the chirp and whose last
// store multiplies by it again. The inverse is conj(F(conj(x))): one sign at load and store.
import { invalidatePlans } from '../backend/webgpu/replay.ts';
import type { MxArray, Realized } from '../core/array.ts';
import { float32 } from '../core/dtype.ts';
import type { Storage } from '../core/memory.ts';
import { contiguousStrides } from '../core/shape.ts';
import type { Spec } from '../ir/extern.ts';
import type { BuildCtx } from '../backend/webgpu/segment.ts';
import { grid, type KernelBuilder } from '../backend/webgpu/kernel.ts';
import type { ExprGen } from '../backend/webgpu/codegen.ts';

let localCap: number | null = null;

/** Caps the complex values one workgroup holds (tests use it to force several passes); null restores the default. */
export function setFftLocalLimit(L: number | null): void {
  invalidatePlans();
  localCap = L;
}

/**
 * Complex values per workgroup for length N: N itself between 1024 and 4096 (short rows
 * share a 1024-slot workgroup; more workgroups fill a big GPU better), capped by the
 * workgroup memory limit.
 */
function localSize(cx: BuildCtx, N: number): number {
  let L = Math.min(4096, Math.max(1024, N));
  while (L > 4 && L * 8 > cx.ctx.limits.maxComputeWorkgroupStorageSize) L /= 2;
  if (localCap !== null) while (L > Math.max(4, localCap)) L /= 2;
  return L;
}

/** Radix bits of each pass: log2(N) split as evenly as possible into parts of <= log2(L). */
export function passBits(N: number, L: number): number[] {
  const bits = Math.round(Math.log2(N)), lb = Math.round(Math.log2(L));
  const P = Math.max(1, Math.ceil(bits / lb));
  return Array.from({ length: P }, (_, p) => Math.floor(bits / P) + (p < bits % P ? 1 : 0));
}

/** Emits `fn name(row: u32, e: u32) -> vec2<f32>` (a source) or `fn name(row, e, v)` (a sink). */
type Hook = (k: KernelBuilder, g: ExprGen, name: string) => void;

/** A twiddle lookup `fn(i) -> vec2<f32>` = exp(-2 pi i i / N) from a [fine(B) | coarse(N/B)] table. */
function twiddleFn(k: KernelBuilder, g: ExprGen, table: MxArray, B: number): string {
  const T = g.fnOf(table), name = k.fresh('ff_w');
  const b = k.p.u32(B);
  k.emit(
    `fn ${name}(i: u32) -> vec2<f32> {\n  let lo = i % ${b};\n  let f = vec2<f32>(f32(${T}(2u * lo)), f32(${T}(2u * lo + 1u)));\n` +
      `  let hi = i / ${b};\n  if (hi == 0u) {\n    return f;\n  }\n  let c = 2u * (${b} + hi);\n  return ff_cmul(f, vec2<f32>(f32(${T}(c)), f32(${T}(c + 1u))));\n}`,
  );
  return name;
}

/** Fine-table length of a length-N twiddle table (see pairs.ts `twiddleTable`). */
export const fineLen = (N: number): number => (N <= 8192 ? N : 2 ** Math.ceil(Math.log2(N) / 2));

/** Reads a contiguous temporary of rows of N complex values. */
const tempSource = (st: Storage, N: number): Hook => (k, _g, name) => {
  const ld = k.input(st), n = k.p.u32(N);
  k.emit(`fn ${name}(row: u32, e: u32) -> vec2<f32> {\n  let i = 2u * (row * ${n} + e);\n  return vec2<f32>(${ld}(i), ${ld}(i + 1u));\n}`);
};

/** Writes rows of N complex values to the kernel's output. */
const outSink = (N: number, cj = 1): Hook => (k, _g, name) => {
  const n = k.p.u32(N), c = k.p.f32(cj);
  k.emit(`fn ${name}(row: u32, e: u32, v: vec2<f32>) {\n  let i = 2u * (row * ${n} + e);\n  out[i] = bitcast<u32>(v.x);\n  out[i + 1u] = bitcast<u32>(${c} * v.y);\n}`);
};

/**
 * A power-of-two transform of `rows` rows of length N from `src` to a fresh storage (or
 * `dst`'s sink into `into`), one dispatch per pass.
 */
function pow2(cx: BuildCtx, N: number, rows: number, table: MxArray, src: Hook, dst: Hook, into: Storage, label: string): void {
  const L = localSize(cx, N);
  const WG = Math.min(256, L / 4);
  const bits = passBits(N, L);
  let Ns = 1, source = src;
  bits.forEach((rb, p) => {
    const R = 2 ** rb, T = N / R, last = p === bits.length - 1;
    const target = last ? into : cx.temp(float32, 2 * rows * N, `${label} pass`);
    const { k, g } = cx.kernel(bits.length > 1 ? `${label} pass ${p + 1}/${bits.length}` : label);
    const u = (v: number) => k.p.u32(v);
    k.emit(`const FF_L: u32 = ${L}u;\nconst FF_WG: u32 = ${WG}u;`);
    source(k, g, 'ff_src');
    (last ? dst : outSink(N))(k, g, 'ff_dst');
    const w = twiddleFn(k, g, table, fineLen(N));
    const S = (rows * N) / R;
    const [cR, cT, cNs, cS] = [u(R), u(T), u(Ns), u(S)];
    k.emit(
      `fn ff_len() -> u32 {\n  return ${cR};\n}\nfn ff_count() -> u32 {\n  return ${cS};\n}\n` +
        `fn ff_rfast() -> u32 {\n  return ${u(+(T === 1))};\n}\nfn ff_kfast() -> u32 {\n  return ${u(+(Ns === 1))};\n}\n` +
        `fn ff_tw(e: u32) -> vec2<f32> {\n  return ${w}(e * ${cT});\n}`,
    );
    k.emit(
      `fn ff_load(s: u32, r: u32) -> vec2<f32> {\n  let row = s / ${cT};\n  let j = s % ${cT};\n  let v = ff_src(row, j + r * ${cT});\n` +
        `  let jm = j % ${cNs};\n  if (jm == 0u) {\n    return v;\n  }\n  return ff_cmul(v, ${w}(r * jm * ${u(N / (Ns * R))}));\n}`,
    );
    k.emit(
      `fn ff_store(s: u32, q: u32, v: vec2<f32>) {\n  let row = s / ${cT};\n  let j = s % ${cT};\n` +
        `  ff_dst(row, (j / ${cNs}) * ${cNs} * ${cR} + j % ${cNs} + q * ${cNs}, v);\n}`,
    );
    cx.push(k.build('fft', 'ff_main', target.gpu!.buffer, grid(Math.ceil(S / (L / R)), cx.ctx.limits.maxComputeWorkgroupsPerDimension)));
    Ns *= R;
    source = tempSource(target, N);
  });
}

/** Reads row `row`, entry e of x ([..., n, 2], any float dtype or view), conjugated when cj = -1. */
const inputRead = (k: KernelBuilder, g: ExprGen, x: MxArray, n: number, cj: number): string => {
  const X = g.fnOf(x), name = k.fresh('ff_x');
  k.emit(
    `fn ${name}(row: u32, e: u32) -> vec2<f32> {\n  let i = 2u * (row * ${k.p.u32(n)} + e);\n` +
      `  return vec2<f32>(f32(${X}(i)), ${k.p.f32(cj)} * f32(${X}(i + 1u)));\n}`,
  );
  return name;
};

/** A complex table entry `fn(e) -> vec2<f32>` of a [len, 2] float32 array. */
const tableRead = (k: KernelBuilder, g: ExprGen, t: MxArray): string => {
  const T = g.fnOf(t), name = k.fresh('ff_t');
  k.emit(`fn ${name}(e: u32) -> vec2<f32> {\n  return vec2<f32>(${T}(2u * e), ${T}(2u * e + 1u));\n}`);
  return name;
};

/**
 * fftPairs on the GPU. Inputs: x, the length-m twiddle table and, for Bluestein, the chirp
 * exp(-pi i j^2 / n) (n entries) and the transformed filter FFT_m(conj(chirp)) (m entries).
 */
export function fftGpu(cx: BuildCtx, ins: MxArray[], out: Spec, inverse: boolean): Realized[] {
  const [x, table, chirp, filt] = ins;
  const n = x.shape[x.ndim - 2], rows = x.size / (2 * n);
  const cj = inverse ? -1 : 1;
  const st = cx.storage(float32, 2 * rows * n, 'fft');
  if (!chirp) {
    const src: Hook = (k, g, name) => {
      const rd = inputRead(k, g, x, n, cj);
      k.emit(`fn ${name}(row: u32, e: u32) -> vec2<f32> {\n  return ${rd}(row, e);\n}`);
    };
    pow2(cx, n, rows, table, src, outSink(n, cj), st, 'fft');
  } else {
    const m = filt.shape[0];
    const a = cx.temp(float32, 2 * rows * m, 'fft bluestein');
    const premul: Hook = (k, g, name) => {
      const rd = inputRead(k, g, x, n, cj), c = tableRead(k, g, chirp);
      k.emit(
        `fn ${name}(row: u32, e: u32) -> vec2<f32> {\n  if (e >= ${k.p.u32(n)}) {\n    return vec2<f32>(0.0, 0.0);\n  }\n` +
          `  return ff_cmul(${rd}(row, e), ${c}(e));\n}`,
      );
    };
    pow2(cx, m, rows, table, premul, outSink(m), a, 'fft bluestein');
    // the inverse length-m transform of A * F, as conj(F_m(conj(A * F)))
    const conv: Hook = (k, g, name) => {
      const ld = k.input(a), f = tableRead(k, g, filt), M = k.p.u32(m);
      k.emit(
        `fn ${name}(row: u32, e: u32) -> vec2<f32> {\n  let i = 2u * (row * ${M} + e);\n` +
          `  let p = ff_cmul(vec2<f32>(${ld}(i), ${ld}(i + 1u)), ${f}(e));\n  return vec2<f32>(p.x, -p.y);\n}`,
      );
    };
    const post: Hook = (k, g, name) => {
      const c = tableRead(k, g, chirp), N = k.p.u32(n), s = k.p.f32(1 / m), sj = k.p.f32(cj);
      k.emit(
        `fn ${name}(row: u32, e: u32, v: vec2<f32>) {\n  if (e >= ${N}) {\n    return;\n  }\n` +
          `  let y = ${s} * ff_cmul(vec2<f32>(v.x, -v.y), ${c}(e));\n  let i = 2u * (row * ${N} + e);\n` +
          `  out[i] = bitcast<u32>(y.x);\n  out[i + 1u] = bitcast<u32>(${sj} * y.y);\n}`,
      );
    };
    pow2(cx, m, rows, table, conv, post, st, 'fft bluestein');
  }
  return [{ storage: st, strides: contiguousStrides(out.shape), offset: 0 }];
}
