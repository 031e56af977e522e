// The subgroup-matrix matmul (shaders/matmul_sm.wgsl): which products take it on this device,
// and the hooks that fix its matrix shapes and the builtin spelling the device's WGSL takes.
import type { Dtype } from '../../../core/dtype.ts';
import type { GpuContext, SubgroupMatrixConfig } from '../context.ts';
import type { KernelBuilder } from '../kernel.ts';
import { shader } from '../wgsl.ts';

/** A subgroup-matrix load of the matrix at `off` in workgroup array `arr`, in the device's spelling. */
export function smLoad(templateMajor: boolean, ty: string, arr: string, col: boolean, off: string, stride: string): string {
  return templateMajor
    ? `subgroupMatrixLoad<${ty}, ${col ? 'col_major' : 'row_major'}>(&${arr}, ${off}, ${stride})`
    : `subgroupMatrixLoad<${ty}>(&${arr}, ${off}, ${col}, ${stride})`;
}

/** A row-major store of matrix `v` at `off` in workgroup array `arr`, in the device's spelling. */
export function smStore(templateMajor: boolean, arr: string, off: string, v: string, stride: string): string {
  return templateMajor ? `subgroupMatrixStore<row_major>(&${arr}, ${off}, ${v}, ${stride});` : `subgroupMatrixStore(&${arr}, ${off}, ${v}, false, ${stride});`;
}

/**
 * `switch (sg)` with one case per subgroup 0..n-1 (the last as default), each holding the
 * lines `body(sg)`: generated kernels give every subgroup literal offsets this way.
 */
export function perSubgroup(n: number, body: (sg: number) => string[]): string {
  const cases = Array.from({ length: n }, (_, sg) => `    ${sg === n - 1 ? 'default' : `case ${sg}u`}: {\n${body(sg).map((l) => `      ${l}`).join('\n')}\n    }`);
  return ['  switch (sg) {', ...cases, '  }'].join('\n');
}

/**
 * The device's square f32-result subgroup-matrix configurations for f16 or f32 inputs
 * (largest first), where they can run: the feature on, subgroups of 32, and for f16
 * `shader-f16`. Empty otherwise.
 */
export function squareConfigs(ctx: GpuContext, t: 'f16' | 'f32'): SubgroupMatrixConfig[] {
  const sm = ctx.subgroupMatrix;
  if (!sm || !ctx.tuning.subgroupMatrix || sm.subgroupSize !== 32 || (t === 'f16' && !ctx.features.shaderF16)) return [];
  return sm.configs.filter((c) => c.componentType === t && c.resultComponentType === 'f32' && c.M === c.N).sort((x, y) => y.M * y.K - x.M * x.K);
}

/** Emits `fn name(off: u32, c: SM_RESULT)`: a row-major result-matrix store into workgroup array `arr`. */
function emitSmStore(k: KernelBuilder, templateMajor: boolean, name: string, arr: string, stride: string): void {
  k.emit(`fn ${name}(off: u32, c: SM_RESULT) {\n  ${smStore(templateMajor, arr, 'off', 'c', stride)}\n}`);
}

/**
 * Emits `sm_mma(sg, acc)`, one K step of subgroup sg's products, and `sm_finish`, which stages
 * its results out. Each of the 4 subgroups gets its own case with every load offset a
 * constant: Tint's robustness pass then sees the loads are in bounds and adds no check
 * (H100, f16 4096^3: 133 TFLOP/s with checked loads at computed offsets, 178 this way).
 */
function emitSmSteps(k: KernelBuilder, p: SubgroupMatrixPlan, bt: boolean, sa: number, sb: number): void {
  const { M, N, K } = p.config, R = p.r, steps = p.bk / K;
  const step = (sg: number) => {
    const sm = (sg >> 1) * R * M, sn = (sg & 1) * R * N;
    const body: string[] = [];
    for (let s = 0; s < steps; s++) {
      const kk = s * K;
      for (let i = 0; i < R; i++) body.push(`let a${s}${i} = ${smLoad(p.templateMajor, 'SM_LEFT', 'sm_as', false, `${(sm + i * M) * sa + kk}u`, 'SM_SA')};`);
      for (let j = 0; j < R; j++) {
        const n = sn + j * N, off = bt ? n * sb + kk : kk * sb + n;
        body.push(`let b${s}${j} = ${smLoad(p.templateMajor, 'SM_RIGHT', 'sm_bs', bt, `${off}u`, 'SM_SB')};`);
      }
      for (let i = 0; i < R; i++) {
        for (let j = 0; j < R; j++) body.push(`(*acc)[${i * R + j}] = subgroupMatrixMultiplyAccumulate(a${s}${i}, b${s}${j}, (*acc)[${i * R + j}]);`);
      }
    }
    return body;
  };
  k.emit(`fn sm_mma(sg: u32, acc: ptr<function, array<SM_RESULT, ${R * R}>>) {\n${perSubgroup(4, step)}\n}`);
  const outs: string[] = [];
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < R; j++) outs.push(`  sm_stage(b, m + ${i * M}u, n + ${j * N}u, sg, lane, (*acc)[${i * R + j}], M, N);`);
  }
  k.emit(`fn sm_finish(b: u32, m: u32, n: u32, sg: u32, lane: u32, M: u32, N: u32, acc: ptr<function, array<SM_RESULT, ${R * R}>>) {\n${outs.join('\n')}\n}`);
}

/** A subgroup-matrix product's shape choices. */
export interface SubgroupMatrixPlan {
  config: SubgroupMatrixConfig;
  /** Result matrices per subgroup along each side (4, or 2 for products of few tiles). */
  r: number;
  /** Output tile side: 2x2 subgroups of r x r result matrices. */
  tile: number;
  /** K step staged in workgroup memory. */
  bk: number;
  templateMajor: boolean;
}

/**
 * The plan for a float product [batch, M, K] x [K, N] of `a` and `b` on this device, or null
 * for the tile kernels: both inputs float16 (f16 units) or both float32 (f32 units), a square
 * f32-result shape on the adapter, subgroups of 32, and the tiles fitting workgroup memory.
 * Big tiles from as many tiles as the 128x128 tile kernel would take (ctx.tuning.bigMinTiles).
 */
export function subgroupMatrixPlan(ctx: GpuContext, a: Dtype, b: Dtype, batch: number, M: number, N: number, deepK = 0): SubgroupMatrixPlan | null {
  const t = a.name !== b.name ? null : a.name === 'float16' ? 'f16' : a.name === 'float32' ? 'f32' : null;
  const config = t ? squareConfigs(ctx, t)[0] : undefined;
  if (!config) return null;
  const big = 8 * config.M;
  const r = batch * Math.ceil(M / big) * Math.ceil(N / big) >= ctx.tuning.bigMinTiles ? 4 : 2;
  // deepK (the product's K where its loads can take steps of 4 matrices, else 0), a multiple of
  // 4 matrix steps: the small tiles step K by 4 matrices, half the barriers per product (H100,
  // 16x16x16 f16: x [512, 8192] @ W^T 72 -> 110 TFLOP/s, 1024^3 62 -> 71); the big tiles keep 2
  // (4 halved their speed)
  const deep = r === 2 && config.K === 16 && deepK > 0 && deepK % (4 * config.K) === 0;
  const tile = 2 * r * config.M, bk = (deep ? 4 : 2) * config.K;
  const bytes = 2 * tile * (bk + tile / 8) * (t === 'f16' ? 2 : 4) + 4 * config.M * config.N * 4;
  // every thread loads whole groups of 4 values of each tile (tile * bk / 4 a multiple of 128)
  if ((tile * bk) % 512 !== 0 || bytes > ctx.limits.maxComputeWorkgroupStorageSize) return null;
  return { config, r, tile, bk, templateMajor: ctx.subgroupMatrix!.templateMajor };
}

/**
 * Emits the template's type, shape and load/store hooks (B's tile is [N][K] when `bt`); its
 * 4-value loads are `four` (expressions over b, m/n, k, M/N, K) where given, else the tile
 * kernels' mm_a4 / mm_b4 / mm_bt4 converted. `prefetch`: the next K step's loads go to
 * registers during the multiplies (worth it where loads do work, as dequantizing ones).
 * `packedB`: a prefetched B comes a pack of 32 codes per row (shaders/matmul_sm_bq.wgsl,
 * whose hooks the caller emits).
 */
export function subgroupMatrixHooks(k: KernelBuilder, p: SubgroupMatrixPlan, bt: boolean, four: { a?: string; b?: string; bt?: string }, prefetch = false, packedB = false): void {
  const { M, N, K, componentType: t } = p.config;
  if (t === 'f16') k.enableF16();
  k.emit(`alias SM_T = ${t};`);
  k.emit(`alias SM_LEFT = subgroup_matrix_left<${t}, ${K}, ${M}>;`);
  k.emit(`alias SM_RIGHT = subgroup_matrix_right<${t}, ${N}, ${K}>;`);
  k.emit(`alias SM_RESULT = subgroup_matrix_result<f32, ${N}, ${M}>;`);
  // rows padded by 16 bytes (bank conflicts)
  const pad = t === 'f16' ? 8 : 4, sa = p.bk + pad, sb = bt ? p.bk + pad : p.tile + pad;
  const consts = [['M', M], ['N', N], ['K', K], ['R', p.r], ['TILE', p.tile], ['BK', p.bk], ['SA', sa], ['SB', sb], ['BS_LEN', (bt ? p.tile : p.bk) * sb]] as const;
  for (const [name, v] of consts) k.emit(`const SM_${name}: u32 = ${v}u;`);
  k.emit(`const SM_PREFETCH: bool = ${prefetch};`);
  k.emit(shader(packedB ? 'matmul_sm_bq' : 'matmul_sm_b'));
  emitSmSteps(k, p, bt, sa, sb);
  emitSmStore(k, p.templateMajor, 'sm_store_c', 'sm_cs', 'SM_N');
  k.emit(`fn sm_a4(b: u32, m: u32, k: u32, M: u32, K: u32) -> vec4<SM_T> {\n  return ${four.a ?? 'vec4<SM_T>(mm_a4(b, m, k, M, K))'};\n}`);
  k.emit(`fn sm_b4(b: u32, k: u32, n: u32, K: u32, N: u32) -> vec4<SM_T> {\n  return ${four.b ?? 'vec4<SM_T>(mm_b4(b, k, n, K, N))'};\n}`);
  k.emit(`fn sm_bt4(b: u32, n: u32, k: u32, N: u32, K: u32) -> vec4<SM_T> {\n  return ${four.bt ?? 'vec4<SM_T>(mm_bt4(b, n, k, N, K))'};\n}`);
}
