// mx.fast: each op against its composite definition (forward and gradients), NumPy
// fixtures for rope and attention, and user WGSL kernels.
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import { CPU_ONLY, GPU_ONLY, fakeSubgroupMatrixKernel, mx, nums, onDevice, withKernels, type MxArray } from './common.ts';
import { FAST_CASES, type FastCase } from '../fixtures/fast.gen.ts';
import { layerNormComposite, rmsNormComposite, ropeComposite, sdpaComposite, type RopeAttrs } from '../../src/fast/composite.ts';

/** The fixture generator's inputs: sin(0.61803 i + seed) as float32. */
const gen = (shape: number[], seed: number): MxArray =>
  mx.reshape(mx.array(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.61803 + seed)), mx.float32), shape);

function fixtureOut(c: FastCase): MxArray {
  const a = c.args;
  if (c.op === 'rope') {
    const off = Array.isArray(a.offset) ? mx.array(a.offset, mx.int32) : (a.offset as number);
    return mx.fast.rope(gen(c.x!.shape, c.x!.seed), a.dims as number, { traditional: a.traditional as boolean, base: a.base as number, scale: a.scale as number, offset: off });
  }
  const [B, Hq, Hk, Lq, Lk, D, seed] = ['B', 'Hq', 'Hk', 'Lq', 'Lk', 'D', 'seed'].map((k) => a[k] as number);
  const q = gen([B, Hq, Lq, D], seed + 1), k = gen([B, Hk, Lk, D], seed + 2), v = gen([B, Hk, Lk, D], seed + 3);
  let mask: MxArray | 'causal' | null = null;
  if (a.mask === 'causal') mask = 'causal';
  else if (a.mask === 'add') mask = mx.multiply(gen([1, Hq, Lq, Lk], seed + 4), 2);
  else if (a.mask === 'bool') mask = mx.greater(gen([Lq, Lk], seed + 4), -0.5);
  const sinks = a.sinks ? gen([Hq], seed + 5) : null;
  return mx.fast.scaledDotProductAttention(q, k, v, { scale: a.scale as number, mask, sinks });
}

const rnd = (shape: number[], seed: number, dtype: mx.Dtype = mx.float32): MxArray =>
  mx.astype(mx.random.normal(shape, mx.float32, 0, 1, { key: mx.random.key(seed) }), dtype);

/** Evaluates pairs [fast, reference] together and compares each pair. */
async function pairs(ps: [MxArray, MxArray, string][], rtol = 1e-5, atol = 1e-5): Promise<void> {
  await mx.eval(...ps.flat().filter((x): x is MxArray => x instanceof mx.MxArray));
  for (const [a, b, what] of ps) {
    if (a.dtype !== b.dtype) throw new Error(`${what}: dtype ${a.dtype.name} vs ${b.dtype.name}`);
    if (a.shape.join() !== b.shape.join()) throw new Error(`${what}: shape ${a.shape} vs ${b.shape}`);
    assertClose(await nums(a), await nums(b), { rtol, atol, msg: what });
  }
}

export const fastSuite = suite('fast', (t) => {
  const test = onDevice(t);

  test('rmsNorm and layerNorm match their composites (f32, f16, bf16, short and long rows)', async () => {
    const ps: [MxArray, MxArray, string][] = [];
    for (const [shape, dt] of [[[3, 5], mx.float32], [[2, 3, 37], mx.float32], [[2, 600], mx.float32], [[4, 24], mx.float16], [[3, 40], mx.bfloat16]] as [number[], mx.Dtype][]) {
      const x = mx.add(rnd(shape, shape.length + shape[shape.length - 1], dt), 0.5);
      const n = shape[shape.length - 1];
      const w = rnd([n], 3, dt), b = rnd([n], 4, dt);
      const tag = `${dt.name} [${shape}]`;
      ps.push([mx.fast.rmsNorm(x, w, 1e-5), rmsNormComposite(x, w, 1e-5), `rmsNorm ${tag}`]);
      ps.push([mx.fast.rmsNorm(x, null, 1e-3), rmsNormComposite(x, null, 1e-3), `rmsNorm no weight ${tag}`]);
      ps.push([mx.fast.layerNorm(x, w, b, 1e-5), layerNormComposite(x, w, b, 1e-5), `layerNorm ${tag}`]);
      ps.push([mx.fast.layerNorm(x, null, null, 1e-5), layerNormComposite(x, null, null, 1e-5), `layerNorm plain ${tag}`]);
      ps.push([mx.fast.layerNorm(x, w, null, 1e-5), layerNormComposite(x, w, null, 1e-5), `layerNorm weight only ${tag}`]);
    }
    // low-precision results may differ by one rounding step
    for (const p of ps) await pairs([p], p[0].dtype === mx.float32 ? 2e-5 : 2e-2, p[0].dtype === mx.float32 ? 2e-5 : 2e-2);
  });

  test('rmsNorm and layerNorm gradients', async () => {
    const x = rnd([2, 7], 11), w = rnd([7], 12), b = rnd([7], 13);
    await checkGrads((x, w) => mx.fast.rmsNorm(x, w, 1e-5), [x, w]);
    await checkGrads((x, w, b) => mx.fast.layerNorm(x, w, b, 1e-5), [x, w, b]);
  });

  test('norm errors name the op and shapes', () => {
    const x = mx.zeros([2, 4]);
    assertThrows(() => mx.fast.rmsNorm(x, mx.ones([3]), 1e-5), /\[rmsNorm\] weight with shape \(3\).*\(2,4\)/);
    assertThrows(() => mx.fast.layerNorm(mx.zeros([2, 4], mx.int32), null, null, 1e-5), /\[layerNorm\] Received unsupported type int32/);
    assertThrows(() => mx.fast.layerNorm(mx.array(1), null, null, 1e-5), /\[layerNorm\] Input must have at least 1 dimension/);
  });

  test('rope matches its composite (traditional, dims < D, offsets, freqs, f16)', async () => {
    const ps: [MxArray, MxArray, string][] = [];
    const at = (dims: number, traditional: boolean, o: Partial<RopeAttrs> = {}): RopeAttrs => ({ dims, traditional, base: 10000, scale: 1, offset: 0, forward: true, ...o });
    const x = rnd([2, 3, 5, 12], 21);
    for (const trad of [false, true]) {
      ps.push([mx.fast.rope(x, 12, { traditional: trad }), ropeComposite(x, at(12, trad), null, null), `full ${trad}`]);
      ps.push([mx.fast.rope(x, 8, { traditional: trad, offset: 7, scale: 0.5, base: 500 }), ropeComposite(x, at(8, trad, { offset: 7, scale: 0.5, base: 500 }), null, null), `dims 8 ${trad}`]);
      const off = mx.array([3, 11], mx.int32);
      ps.push([mx.fast.rope(x, 6, { traditional: trad, offset: off }), ropeComposite(x, at(6, trad), off, null), `offset array ${trad}`]);
      const fr = mx.array([1, 3.5, 20, 100], mx.float32);
      ps.push([mx.fast.rope(x, 8, { traditional: trad, freqs: fr, offset: mx.array(4) }), ropeComposite(x, at(8, trad), mx.array(4), fr), `freqs ${trad}`]);
    }
    await pairs(ps, 1e-5, 1e-5);
    const h = rnd([1, 4, 6, 8], 22, mx.float16);
    await pairs([[mx.fast.rope(h, 8, { offset: 2 }), ropeComposite(h, at(8, false, { offset: 2 }), null, null), 'f16']], 1e-2, 1e-2);
  });

  test('rope gradients', async () => {
    await checkGrads((x) => mx.fast.rope(x, 4, { offset: 3 }), [rnd([1, 2, 3, 6], 23)]);
    await checkGrads((x) => mx.fast.rope(x, 6, { traditional: true, offset: mx.array([1, 5]) }), [rnd([2, 1, 3, 6], 24)]);
  });

  // (prefill: D a multiple of 8 stages chunks with 16-byte loads, D = 12 element by element;
  // on the GPU the test checks both kernels ran)
  test('scaledDotProductAttention matches its composite (flash and decode paths, masks, GQA, sinks)', async (ctx) => {
    const ps: [MxArray, MxArray, string][] = [];
    const cases: [number, number, number, number, number, number][] = [
      // B, Hq, Hkv, Lq, Lk, D
      [2, 4, 2, 9, 20, 8], [1, 2, 1, 40, 70, 64], [1, 2, 2, 33, 33, 40], [1, 2, 2, 70, 90, 16], [1, 2, 1, 20, 30, 12],
      [1, 4, 1, 1, 300, 8], [2, 6, 2, 1, 70, 16], [2, 8, 4, 1, 2050, 8],
      // decode over 71 chunks of 64 keys (the combine pass walks them in two rounds) and 40
      // value columns (two column slices, the second part-filled)
      [1, 4, 2, 1, 4500, 40],
    ];
    cases.forEach(([B, Hq, Hk, Lq, Lk, D], c) => {
      const q = rnd([B, Hq, Lq, D], 30 + c), k = rnd([B, Hk, Lk, D], 40 + c), v = rnd([B, Hk, Lk, D], 50 + c);
      const tag = `[${B},${Hq},${Hk},${Lq},${Lk},${D}]`;
      const sc = 1 / Math.sqrt(D);
      ps.push([mx.fast.scaledDotProductAttention(q, k, v, { mask: 'causal' }), sdpaComposite(q, k, v, sc, 'causal', null), `causal ${tag}`]);
      const bm = mx.greater(rnd([Lq, Lk], 60 + c), -0.8);
      ps.push([mx.fast.scaledDotProductAttention(q, k, v, { mask: bm, scale: 0.3 }), sdpaComposite(q, k, v, 0.3, bm, null), `bool mask ${tag}`]);
      const am = rnd([1, Hq, Lq, Lk], 70 + c);
      const sinks = rnd([Hq], 80 + c);
      ps.push([mx.fast.scaledDotProductAttention(q, k, v, { mask: am, sinks }), sdpaComposite(q, k, v, sc, am, sinks), `additive mask + sinks ${tag}`]);
    });
    const lines: string[] = [];
    if (ctx.device === 'gpu') mx.setDebug({ logKernels: true, log: (m) => lines.push(m.split('\n')[0]) });
    try {
      await mx.eval(...ps.map((p) => p[0]));
    } finally {
      mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
    }
    if (ctx.device === 'gpu') {
      assert(lines.some((l) => l.includes('fast.sdpa.flash32')), `no 16-byte staged flash kernel: ${lines.join('; ')}`);
      assert(lines.some((l) => /fast\.sdpa(?![.\w])/.test(l)), `no element-wise staged flash kernel: ${lines.join('; ')}`);
    }
    await pairs(ps, 2e-5, 2e-5);
  });

  // float16 prefill (the flash kernel reads float16 q, k, v) against the composite in f32
  // (on the GPU these stage their chunks with 16-byte loads: the test checks that kernel ran)
  test('scaledDotProductAttention of float16/bfloat16 prefill: masks, GQA, sinks, edges, Dv != D', async (ctx) => {
    const f = (x: MxArray) => mx.astype(x, mx.float32, { stream: mx.cpu });
    const cases: [number, number, number, number, number, number, number, mx.Dtype][] = [
      // B, Hq, Hkv, Lq, Lk, D, Dv
      [1, 4, 2, 70, 90, 64, 64, mx.float16], [2, 2, 1, 16, 40, 16, 32, mx.float16], [1, 2, 2, 130, 130, 128, 128, mx.float16],
      [1, 2, 1, 9, 33, 48, 16, mx.float16], [1, 4, 2, 40, 75, 64, 64, mx.bfloat16], [2, 4, 1, 100, 201, 96, 32, mx.float16],
    ];
    // float16 with head dims multiples of 32 (up to 128) runs on subgroup matrices where offered
    const smF16 = ctx.device === 'gpu' && String((await mx.gpu.info()).subgroup_matrix).includes('f16xf32');
    for (const [c, [B, Hq, Hk, Lq, Lk, D, Dv, dt]] of cases.entries()) {
      const q = rnd([B, Hq, Lq, D], 130 + c, dt), k = rnd([B, Hk, Lk, D], 140 + c, dt), v = rnd([B, Hk, Lk, Dv], 150 + c, dt);
      const bm = mx.greater(rnd([Lq, Lk], 160 + c), -0.8);
      const am = rnd([1, Hq, Lq, Lk], 170 + c, dt);
      const sinks = rnd([Hq], 180 + c, dt);
      const sc = 1 / Math.sqrt(D);
      const tag = `[${B},${Hq},${Hk},${Lq},${Lk},${D},${Dv}] ${dt.name}`;
      const runs: [string, () => MxArray, MxArray][] = [
        ['causal', () => mx.fast.scaledDotProductAttention(q, k, v, { mask: 'causal' }), sdpaComposite(f(q), f(k), f(v), sc, 'causal', null)],
        ['bool mask', () => mx.fast.scaledDotProductAttention(q, k, v, { mask: bm, scale: 0.3 }), sdpaComposite(f(q), f(k), f(v), 0.3, bm, null)],
        ['additive mask + sinks', () => mx.fast.scaledDotProductAttention(q, k, v, { mask: am, sinks }), sdpaComposite(f(q), f(k), f(v), sc, f(am), f(sinks))],
      ];
      // float16 scores spread over tens of units: later key tiles pass a row's first maximum
      // by more than the subgroup-matrix kernel's slack, so it rescales its results (bfloat16
      // rounds such logits too coarsely for a tolerance that still tests anything)
      if (dt === mx.float16) runs.push(['causal, scale 1', () => mx.fast.scaledDotProductAttention(q, k, v, { mask: 'causal', scale: 1 }), sdpaComposite(f(q), f(k), f(v), 1, 'causal', null)]);
      for (const [what, run, ref] of runs) {
        const { out: y, kernels } = await withKernels(ctx.device, run);
        const lines = kernels.map((m) => m.split('\n')[0]);
        const sm = smF16 && dt === mx.float16 && [D, Dv].every((d) => d % 32 === 0 && d <= 128);
        if (ctx.device === 'gpu') assertEqual(lines.filter((l) => l.includes(sm ? 'fast.sdpa.sm' : 'fast.sdpa.flash16')).length, 1, `${what} ${tag}: ${lines.join('; ')}`);
        const tol = dt === mx.bfloat16 ? 5e-2 : what === 'causal, scale 1' ? 4e-2 : 2e-2;
        assertClose(await nums(mx.astype(y, mx.float32)), await nums(ref), { rtol: tol, atol: tol, msg: `${what} ${tag}` });
      }
    }
  });

  // the subgroup-matrix prefill kernel as generated for a device offering f16 16x16x16 units
  // (both builtin spellings); compiling it here must fail clearly, so the WGSL is what is checked
  test('scaledDotProductAttention subgroup-matrix kernel source (generated on any device)', async () => {
    const c = (await import('../../src/backend/webgpu/context.ts')).currentContext()!;
    if (c.subgroupMatrix) return; // a device with the units runs the kernel in the prefill test
    const q = rnd([1, 2, 64, 64], 301, mx.float16), k = rnd([1, 1, 80, 64], 302, mx.float16), v = rnd([1, 1, 80, 32], 303, mx.float16);
    await mx.eval(q, k, v);
    for (const templateMajor of [true, false]) {
      const src = await fakeSubgroupMatrixKernel(templateMajor, () => mx.fast.scaledDotProductAttention(q, k, v, { mask: 'causal' }), 'sdpa_sm', /\[gpu\] Compiling the WebGPU kernel for fast\.sdpa\.sm failed/);
      assert(src !== '', 'the subgroup-matrix attention kernel was generated');
      // subgroup 1's second query matrix (row 16, dims 16..31, rows 72 apart); the second key
      // block's K^T (key 16); V's second key block, dims 16..31, from the V tile (offset 32 x 72)
      for (const want of ['const SA_NQ: u32 = 4u;', 'const SA_NO: u32 = 2u;',
        templateMajor ? 'subgroupMatrixLoad<SA_LEFT, row_major>(&sa_kv, 1168u, SA_SK)' : 'subgroupMatrixLoad<SA_LEFT>(&sa_kv, 1168u, false, SA_SK)',
        templateMajor ? 'subgroupMatrixLoad<SA_RIGHT, col_major>(&sa_kv, 1152u, SA_SK)' : 'subgroupMatrixLoad<SA_RIGHT>(&sa_kv, 1152u, true, SA_SK)',
        templateMajor ? 'subgroupMatrixLoad<SA_RIGHT, row_major>(&sa_kv, 2960u, SA_SV)' : 'subgroupMatrixLoad<SA_RIGHT>(&sa_kv, 2960u, false, SA_SV)']) {
        assert(src.includes(want), `${templateMajor ? 'template' : 'bool'} spelling: ${want}`);
      }
      assert(!/subgroupMatrix(Load|Store)<[^>]*>\(&sa_\w+, [^\d]/.test(src), 'every load and store at a constant offset');
    }
  }, GPU_ONLY);

  // one query token over float16/bfloat16 caches: on the GPU the vectorised decode kernel
  // (16-byte loads of contiguous rows), also over a view of a longer preallocated cache
  test('scaledDotProductAttention of a float16/bfloat16 decode token: GQA 1-8, masks, sinks, cache views', async (ctx) => {
    const f = (x: MxArray) => mx.astype(x, mx.float32, { stream: mx.cpu });
    const cases: [number, number, number, number, number, number, mx.Dtype][] = [
      // B, Hq, Hkv, Lk, D, cache rows (0: exactly Lk), dtype
      [1, 8, 2, 300, 128, 0, mx.float16], [2, 4, 4, 70, 64, 96, mx.float16], [1, 8, 1, 129, 32, 0, mx.bfloat16],
      [1, 6, 2, 64, 16, 0, mx.float16], [1, 14, 2, 1000, 64, 1024, mx.bfloat16],
      // fewer keys than a chunk; more than 128 chunks (the combine pass walks them in rounds)
      [1, 4, 2, 5, 64, 0, mx.float16], [1, 2, 1, 8300, 16, 0, mx.float16],
    ];
    for (const [c, [B, Hq, Hk, Lk, D, rows, dt]] of cases.entries()) {
      const q = rnd([B, Hq, 1, D], 230 + c, dt);
      // a cache of `rows` rows read through a view of its first Lk
      const cache = (seed: number) => rows ? mx.sliceAxes(rnd([B, Hk, rows, D], seed, dt), [2], [0], [Lk]) : rnd([B, Hk, Lk, D], seed, dt);
      const k = cache(240 + c), v = cache(250 + c);
      await mx.eval(q, k, v);
      const bm = mx.greater(rnd([1, Lk], 260 + c), -0.8);
      const am = rnd([B, Hq, 1, Lk], 270 + c, dt);
      const sinks = rnd([Hq], 280 + c, dt);
      const sc = 1 / Math.sqrt(D);
      const tag = `[${B},${Hq},${Hk},${Lk},${D}] ${dt.name}${rows ? ` view of ${rows}` : ''}`;
      const runs: [string, () => MxArray, MxArray][] = [
        ['no mask', () => mx.fast.scaledDotProductAttention(q, k, v, { scale: sc }), sdpaComposite(f(q), f(k), f(v), sc, null, null)],
        ['bool mask', () => mx.fast.scaledDotProductAttention(q, k, v, { mask: bm, scale: 0.3 }), sdpaComposite(f(q), f(k), f(v), 0.3, bm, null)],
        ['additive mask + sinks', () => mx.fast.scaledDotProductAttention(q, k, v, { mask: am, sinks }), sdpaComposite(f(q), f(k), f(v), sc, f(am), f(sinks))],
      ];
      for (const [what, run, ref] of runs) {
        const { out: y, kernels } = await withKernels(ctx.device, run);
        const lines = kernels.map((m) => m.split('\n')[0]);
        if (ctx.device === 'gpu') assertEqual(lines.filter((l) => l.includes('fast.sdpa.vec')).length, 1, `${what} ${tag}: ${lines.join('; ')}`);
        const tol = dt === mx.bfloat16 ? 3e-2 : 5e-3;
        assertClose(await nums(mx.astype(y, mx.float32)), await nums(ref), { rtol: tol, atol: tol, msg: `${what} ${tag}` });
      }
    }
  });

  test('wgslKernel: elementwise exp with templates, f16 input, shape helpers', async () => {
    const k = mx.fast.wgslKernel({
      name: 'scaled_exp',
      inputNames: ['inp'],
      outputNames: ['out'],
      source: 'let i = thread_position_in_grid.x;\nout[i] = T(exp(inp[i]) * SCALE) + T(inp_shape[1] * i32(FLAG));',
    });
    const x = mx.reshape(mx.divide(mx.arange(0, 10, 1, mx.float32), 4), [2, 5]);
    const [y] = k([mx.astype(x, mx.float16)], { grid: [10, 1, 1], threadgroup: [4, 1, 1], outputShapes: [[2, 5]], outputDtypes: [mx.float32], templates: [['T', mx.float32], ['SCALE', 2], ['FLAG', true]] });
    assertClose(await nums(y), (await nums(x)).map((v) => 2 * Math.exp(v) + 5), { rtol: 1e-5 });
  }, GPU_ONLY);

  test('wgslKernel: two outputs, a transposed input, 3-D grid, atomics with initValue', async () => {
    const k = mx.fast.wgslKernel({
      name: 'split2',
      inputNames: ['a', 'b'],
      outputNames: ['s', 'd'],
      header: 'fn sq(x: f32) -> f32 {\n  return x * x;\n}',
      source: 'let p = thread_position_in_grid;\nlet i = (p.z * 3u + p.y) * 2u + p.x;\ns[i] = a[i] + b[i];\nd[i] = sq(a[i] - b[i]);',
    });
    const a = mx.transpose(mx.reshape(mx.arange(0, 12, 1, mx.float32), [2, 3, 2]), [2, 1, 0]);
    const b = mx.full([2, 3, 2], 1.5);
    const [s, d] = k([a, b], { grid: [2, 3, 2], threadgroup: [2, 2, 1], outputShapes: [[2, 3, 2], [12]], outputDtypes: [mx.float32, mx.bfloat16] });
    const av = await nums(a);
    assertClose(await nums(s), av.map((v) => v + 1.5));
    assertClose(await nums(d), av.map((v) => (v - 1.5) ** 2), { rtol: 1e-2 });
    const hist = mx.fast.wgslKernel({
      name: 'hist', inputNames: ['v'], outputNames: ['h'], atomicOutputs: true,
      source: 'let i = thread_position_in_grid.x;\natomicAdd(&h[u32(v[i]) % 3u], 1);',
    });
    const [h] = hist([mx.array([0, 1, 2, 3, 4, 5, 6], mx.int32)], { grid: [7, 1, 1], threadgroup: [32, 1, 1], outputShapes: [[3]], outputDtypes: [mx.int32], initValue: 10 });
    assertClose(await nums(h), [13, 12, 12]);
  }, GPU_ONLY);

  test('wgslKernel errors: the CPU device and bad launches', () => {
    const k = mx.fast.wgslKernel({ name: 'k', inputNames: ['x'], outputNames: ['y'], source: 'y[0] = x[0];' });
    const call = { grid: [1, 1, 1] as [number, number, number], threadgroup: [1, 1, 1] as [number, number, number], outputShapes: [[1]], outputDtypes: [mx.float32] };
    assertThrows(() => k([mx.zeros([1])], call), /\[wgslKernel\] 'k' runs only on the GPU device/);
    assertThrows(() => k([mx.zeros([1])], { ...call, stream: mx.gpu, outputDtypes: [mx.bool] }), /output 'y' has dtype bool/);
    assertThrows(() => k([], { ...call, stream: mx.gpu }), /expects 1 inputs \(x\) but got 0/);
  }, CPU_ONLY);

  for (const op of ['rope', 'sdpa'] as const) {
    const cases = FAST_CASES.filter((c) => c.op === op);
    test(`${op}: ${cases.length} NumPy fixture cases`, async () => {
      const outs = cases.map(fixtureOut);
      await mx.eval(...outs);
      for (let i = 0; i < cases.length; i++) {
        const e = cases[i].out;
        if (outs[i].shape.join() !== e.shape.join()) throw new Error(`${cases[i].name}: shape ${outs[i].shape} vs ${e.shape}`);
        assertClose(await nums(outs[i]), e.data, { rtol: 2e-5, atol: 2e-5, msg: cases[i].name });
      }
    });
  }

  test('scaledDotProductAttention gradients (GQA, causal, sinks, additive mask)', async () => {
    const q = rnd([1, 2, 3, 4], 90), k = rnd([1, 1, 5, 4], 91), v = rnd([1, 1, 5, 4], 92);
    await checkGrads((q, k, v) => mx.fast.scaledDotProductAttention(q, k, v, { mask: 'causal' }), [q, k, v]);
    const m = rnd([3, 5], 93);
    await checkGrads((q, k, v, s) => mx.fast.scaledDotProductAttention(q, k, v, { mask: m, sinks: s }), [q, k, v, rnd([2], 94)]);
  });

  test('scaledDotProductAttention errors and the composite path for D > 256', async () => {
    const q = mx.zeros([1, 3, 2, 4]), k = mx.zeros([1, 2, 2, 4]);
    assertThrows(() => mx.fast.scaledDotProductAttention(q, k, k), /\[scaledDotProductAttention\] The 3 query heads must be a multiple of the 2 key\/value heads/);
    assertThrows(() => mx.fast.scaledDotProductAttention(mx.zeros([3, 2, 4]), k, k), /must have rank 4/);
    assertThrows(() => mx.fast.scaledDotProductAttention(q, mx.zeros([1, 1, 2, 4]), mx.zeros([1, 1, 2, 4]), { mask: mx.zeros([3, 3]) }), /mask with shape \(3,3\) does not broadcast to \(1,3,2,2\)/);
    assertThrows(() => mx.fast.scaledDotProductAttention(q, mx.zeros([1, 1, 2, 4]), mx.zeros([1, 1, 2, 4]), { sinks: mx.zeros([2]) }), /sinks must have shape \(3\)/);
    const w = rnd([1, 1, 2, 260], 95), kv = rnd([1, 1, 3, 260], 96);
    await pairs([[mx.fast.scaledDotProductAttention(w, kv, kv, { mask: 'causal' }), sdpaComposite(w, kv, kv, 1 / Math.sqrt(260), 'causal', null), 'D=260']]);
  });

  test('scaledDotProductAttention prefill on an adapter with 16 KB of workgroup memory uses the composite', async () => {
    const ctx = (await import('../../src/backend/webgpu/context.ts')).currentContext()!;
    const limits = ctx.limits as { maxComputeWorkgroupStorageSize: number };
    const was = limits.maxComputeWorkgroupStorageSize;
    limits.maxComputeWorkgroupStorageSize = 16384;
    try {
      const q = rnd([1, 2, 9, 8], 97), k = rnd([1, 2, 12, 8], 98);
      const y = mx.fast.scaledDotProductAttention(q, k, k, { mask: 'causal' });
      assertEqual(y._node!.prim === 'extern', false, 'built from the composite, not the flash kernel');
      await pairs([[y, sdpaComposite(q, k, k, 1 / Math.sqrt(8), 'causal', null), '16 KB']]);
    } finally {
      limits.maxComputeWorkgroupStorageSize = was;
    }
  }, GPU_ONLY);
});
