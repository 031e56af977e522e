// The subgroup-matrix prefill attention kernel (shaders/fast_sdpa_sm.wgsl): when a device's
// f16 units take it, and the generated per-subgroup steps. As in the subgroup-matrix matmul
// (backend/webgpu/kernels/matmul_sm.ts), each subgroup gets its own switch case so that every
// load and store offset is a constant and Tint adds no bounds check around them.
import type { GpuContext } from '../backend/webgpu/context.ts';
import type { KernelBuilder } from '../backend/webgpu/kernel.ts';
import { perSubgroup, smLoad, smStore, squareConfigs } from '../backend/webgpu/kernels/matmul_sm.ts';

/** Keys per tile. */
const BK = 32;

/** Workgroup bytes of fast_sdpa_sm.wgsl for head dims D, Dv and nsg subgroups. */
function sdpaSmBytes(D: number, Dv: number, nsg: number): number {
  const sk = D + 8, sv = Dv + 8;
  return Math.max(64 * sk, BK * sk + BK * sv) * 2 + (16 * nsg * (BK + 4) + 4) * 4 + 16 * nsg * (BK + 8) * 2;
}

/**
 * Subgroups per workgroup (16 query rows each) for float16 attention with head dims D, Dv on
 * this device's subgroup matrices (f16 16x16x16 -> f32, subgroups of 32), or 0 where it can't
 * run: 8 for head dims of 128 where workgroup memory holds them, else 4. H100, causal L=2048,
 * 32 heads, D=128: 37.1-37.3 TFLOP/s with 8 against 25.8-25.9 with 4; at D=64 (Llama-3.2-1B)
 * 8 made a 2048-token prefill 1.5% slower.
 */
export function sdpaSmSubgroups(ctx: GpuContext, D: number, Dv: number): number {
  if (!squareConfigs(ctx, 'f16').some((c) => c.M === 16 && c.K === 16)) return 0;
  // o stays in registers (head dims up to 128)
  if (![D, Dv].every((d) => d % 32 === 0 && d <= 128)) return 0;
  const fits = (nsg: number) => sdpaSmBytes(D, Dv, nsg) <= ctx.limits.maxComputeWorkgroupStorageSize;
  if (D === 128 && Dv === 128 && fits(8)) return 8;
  return fits(4) ? 4 : 0;
}

/** Emits the kernel's types, constants and generated steps for head dims D, Dv and nsg subgroups. */
export function sdpaSmHooks(k: KernelBuilder, D: number, Dv: number, nsg: number, templateMajor: boolean): void {
  k.enableF16();
  const sk = D + 8, sv = Dv + 8, ss = BK + 4, sp = BK + 8, voff = BK * sk;
  k.emit('alias SA_LEFT = subgroup_matrix_left<f16, 16, 16>;\nalias SA_RIGHT = subgroup_matrix_right<f16, 16, 16>;\nalias SA_RESULT = subgroup_matrix_result<f32, 16, 16>;');
  const consts = [['NSG', nsg], ['BK', BK], ['SK', sk], ['SV', sv], ['SS', ss], ['SP', sp], ['NQ', D / 16], ['NO', Dv / 16], ['VOFF', voff], ['KV', Math.max(64 * sk, voff + BK * sv)], ['D', D], ['DV', Dv]] as const;
  for (const [n, v] of consts) k.emit(`const SA_${n}: u32 = ${v}u;`);
  const load = (ty: string, arr: string, col: boolean, off: number, stride: string) => smLoad(templateMajor, ty, arr, col, `${off}u`, stride);
  const store = (arr: string, off: number, v: string, stride: string) => smStore(templateMajor, arr, `${off}u`, v, stride);
  const sw = (body: (sg: number) => string[]) => perSubgroup(nsg, body);
  const kb = BK / 16;
  // the subgroup's 16 query rows (of the 64 staged at a time), D/16 matrices of 16 dims
  k.emit(`fn sa_load_q(sg: u32, qf: ptr<function, array<SA_LEFT, SA_NQ>>) {\n${sw((sg) => Array.from({ length: D / 16 }, (_, d) => `(*qf)[${d}] = ${load('SA_LEFT', 'sa_kv', false, 16 * (sg % 4) * sk + 16 * d, 'SA_SK')};`))}\n}`);
  // scores of the tile: Q (16 x D) times K^T (D x 16) per block of 16 keys (K rows, read as
  // column-major columns), stored as the subgroup's 16 rows of sa_s
  const sc: string[] = [];
  for (let b = 0; b < kb; b++) {
    sc.push(`  var s${b} = SA_RESULT();`);
    for (let d = 0; d < D / 16; d++) sc.push(`  s${b} = subgroupMatrixMultiplyAccumulate((*qf)[${d}], ${load('SA_RIGHT', 'sa_kv', true, 16 * b * sk + 16 * d, 'SA_SK')}, s${b});`);
  }
  sc.push(sw((sg) => Array.from({ length: kb }, (_, b) => store('sa_s', 16 * sg * ss + 16 * b, `s${b}`, 'SA_SS'))));
  k.emit(`fn sa_scores(sg: u32, qf: ptr<function, array<SA_LEFT, SA_NQ>>) {\n${sc.join('\n')}\n}`);
  // o += P (16 x BK, the subgroup's rows of sa_p) V (BK x Dv)
  k.emit(`fn sa_pv(sg: u32, o: ptr<function, array<SA_RESULT, SA_NO>>) {\n${sw((sg) => [
    ...Array.from({ length: kb }, (_, b) => `let p${b} = ${load('SA_LEFT', 'sa_p', false, 16 * sg * sp + 16 * b, 'SA_SP')};`),
    ...Array.from({ length: Dv / 16 }, (_, j) => Array.from({ length: kb }, (_, b) => `(*o)[${j}] = subgroupMatrixMultiplyAccumulate(p${b}, ${load('SA_RIGHT', 'sa_kv', false, voff + 16 * b * sv + 16 * j, 'SA_SV')}, (*o)[${j}]);`)).flat(),
  ])}\n}`);
  // o's rows times their lane's a (a moved maximum), 16 columns at a time through sa_s
  const res: string[] = [];
  for (let j = 0; j < Dv / 16; j++) {
    res.push(sw((sg) => [store('sa_s', 16 * sg * ss, `(*o)[${j}]`, 'SA_SS')]), '  workgroupBarrier();', '  sa_scale(sg, lane, a);', '  workgroupBarrier();',
      sw((sg) => [`(*o)[${j}] = ${load('SA_RESULT', 'sa_s', false, 16 * sg * ss, 'SA_SS')};`]), '  workgroupBarrier();');
  }
  k.emit(`fn sa_rescale(sg: u32, lane: u32, a: f32, o: ptr<function, array<SA_RESULT, SA_NO>>) {\n${res.join('\n')}\n}`);
  // results leave 16 columns at a time through the subgroup's rows of sa_s
  const fin: string[] = [];
  for (let j = 0; j < Dv / 16; j++) {
    fin.push(sw((sg) => [store('sa_s', 16 * sg * ss, `(*o)[${j}]`, 'SA_SS')]), '  workgroupBarrier();', `  sa_emit(sg, lane, r, i, ${j}u, l);`, '  workgroupBarrier();');
  }
  k.emit(`fn sa_finish(sg: u32, lane: u32, r: u32, i: u32, l: f32, o: ptr<function, array<SA_RESULT, SA_NO>>) {\n${fin.join('\n')}\n}`);
}
