// The fused map kernel: one thread per output word evaluates a generated expression for
// the element(s) packed in that word (4 for 8-bit dtypes, 2 for 16-bit), so no two
// threads write one word.
import type { Dtype } from '../../../core/dtype.ts';
import type { Storage } from '../../../core/memory.ts';
import type { BuildCtx } from '../segment.ts';
import { grid, type KernelBuilder } from '../kernel.ts';
import { elemBits, packWord, perWord, wtype, zero } from '../layout.ts';

/** Writes fn(i) for i < size into `out` (a fresh storage of dtype unless given). */
export function mapKernel(cx: BuildCtx, k: KernelBuilder, fn: string, dtype: Dtype, size: number, out?: Storage): Storage {
  const st = out ?? cx.storage(dtype, size, k.label);
  const vpw = perWord(dtype);
  const words = Math.ceil(size / vpw);
  k.emit(`fn mp_words() -> u32 {\n  return ${k.p.u32(words)};\n}`);
  if (vpw === 1) {
    k.emit(`fn mp_word(w: u32) -> u32 {\n  return ${elemBits(dtype, `${fn}(w)`)};\n}`);
  } else {
    const T = wtype(dtype);
    const n = k.p.u32(size);
    const lines = [`  let b = w * ${vpw}u;`, `  let v0 = ${fn}(b);`];
    const vals = ['v0'];
    for (let j = 1; j < vpw; j++) {
      lines.push(`  var v${j}: ${T} = ${zero(T)};`, `  if (b + ${j}u < ${n}) {\n    v${j} = ${fn}(b + ${j}u);\n  }`);
      vals.push(`v${j}`);
    }
    lines.push(`  return ${packWord(dtype, vals)};`);
    k.emit(`fn mp_word(w: u32) -> u32 {\n${lines.join('\n')}\n}`);
  }
  cx.push(k.build('map', 'map_main', st.gpu!.buffer, grid(Math.ceil(words / 256), cx.ctx.limits.maxComputeWorkgroupsPerDimension)));
  return st;
}

/** mapKernel for 32-bit outputs of a size divisible by 4: fn4(i) gives elements i..i+3, stored as one vec4. */
export function mapKernel4(cx: BuildCtx, k: KernelBuilder, fn4: string, dtype: Dtype, size: number): Storage {
  const st = cx.storage(dtype, size, k.label);
  const quads = size / 4;
  // float16 results (shader-f16 devices): stored as vec4<f16>; the values are already rounded
  // to float16 (narrow), so the conversion is exact
  const half = dtype.name === 'float16';
  k.emit(`fn mp_quads() -> u32 {\n  return ${k.p.u32(quads)};\n}`);
  const ret = half ? `vec4<f16>(${fn4}(q * 4u))` : `vec4<u32>(${['x', 'y', 'z', 'w'].map((c) => elemBits(dtype, `v.${c}`)).join(', ')})`;
  k.emit(`fn mp_quad(q: u32) -> vec4<${half ? 'f16' : 'u32'}> {\n${half ? '' : `  let v = ${fn4}(q * 4u);\n`}  return ${ret};\n}`);
  cx.push(k.build('map4', 'map4_main', st.gpu!.buffer, grid(Math.ceil(quads / 256), cx.ctx.limits.maxComputeWorkgroupsPerDimension), half ? 'vec4f16' : 'vec4'));
  return st;
}
