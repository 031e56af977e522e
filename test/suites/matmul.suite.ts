// Matrix multiplication against NumPy (matmul.gen.ts): 1-D operands, batch
// broadcasting, 16-bit floats, views, K crossing tile sizes, empty dims.
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertRejects, assertShape, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import fixture from '../fixtures/matmul.gen.ts';
import { mx, arr, fakeSubgroupMatrixKernel, fixtureTests, onDevice, nums, withKernels, GPU_ONLY, type Adapter } from './common.ts';

const adapters: Record<string, Adapter> = { matmul: (xs) => mx.matmul(xs[0], xs[1]) };

export const matmulSuite = suite('matmul', (t) => {
  const test = onDevice(t);
  // matmul pipelines take seconds each to compile on SwiftShader: 8 cases per test
  fixtureTests(test, fixture.cases, adapters, (op) => op, 8);

  test('decode products against weight rows (16-byte loads): f16, bf16, f32, batches, misaligned fallback', async (ctx) => {
    const k = (s: number) => mx.random.key(s);
    const c = { stream: mx.cpu };
    for (const dt of ['float16', 'bfloat16', 'float32'] as mx.DtypeName[]) {
      const W = mx.random.normal([37, 64], mx.float32, 0, 1, { key: k(1) }).astype(dt);
      const r = mx.random.normal([1, 37], mx.float32, 0, 1, { key: k(5) }).astype(dt);
      const W2 = mx.random.normal([37, 72], mx.float32, 0, 1, { key: k(6) }).astype(dt);
      for (const rows of [1, 3]) {
        const x = mx.random.normal([2, rows, 64], mx.float32, 0, 1, { key: k(2 + rows) }).astype(dt);
        await mx.eval(W, x, r, W2);
        const lines: string[] = [];
        if (ctx.device === 'gpu') mx.setDebug({ logKernels: true, log: (m) => lines.push(m) });
        let y: mx.MxArray, z: mx.MxArray;
        try {
          // a Linear layer's product and its residual (an epilogue), and a misaligned row slice
          y = mx.add(mx.matmul(x, W.T), r);
          z = mx.matmul(x, mx.sliceAxes(W2, [1], [1], [65]).T);
          await mx.eval(y, z);
        } finally {
          if (ctx.device === 'gpu') mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
        }
        // one row of x: 4 weight rows per workgroup (gemv4); more rows: 8 rows (gemvt_main)
        if (ctx.device === 'gpu') assertEqual(lines.filter((l) => l.includes(rows === 1 ? 'fn gemv4(' : 'gemvt_main')).length, 1, `${dt}: one row kernel`);
        const tol = dt === 'float32' || dt === 'int32' ? 1e-4 : 3e-2;
        const f = (a: mx.MxArray) => a.astype(mx.float32, c);
        assertClose(await nums(y.astype(mx.float32)), await nums(mx.add(mx.matmul(f(x), f(W).T, c), f(r), c)), { rtol: tol, atol: tol, msg: `${dt} rows ${rows}` });
        assertClose(await nums(z.astype(mx.float32)), await nums(mx.matmul(f(x), mx.sliceAxes(f(W2), [1], [1], [65], undefined, c).T, c)), { rtol: tol, atol: tol, msg: `${dt} slice` });
      }
    }
  });

  test('decode products with long rows (several steps per thread) and rows not divisible by 4', async () => {
    const k = (s: number) => mx.random.key(s);
    const c = { stream: mx.cpu };
    for (const [dt, N, K] of [['float16', 9, 2048], ['float32', 6, 4096], ['bfloat16', 13, 520]] as [mx.DtypeName, number, number][]) {
      const W = mx.random.normal([N, K], mx.float32, 0, 1, { key: k(N) }).astype(dt);
      const x = mx.random.normal([3, 1, K], mx.float32, 0, 1, { key: k(K) }).astype(dt);
      const y = mx.matmul(x, W.T);
      const f = (a: mx.MxArray) => a.astype(mx.float32, c);
      const tol = dt === 'float32' ? 1e-3 : 0.25;
      assertClose(await nums(y.astype(mx.float32)), await nums(mx.matmul(f(x), f(W).T, c)), { rtol: 3e-2, atol: tol, msg: `${dt} ${N}x${K}` });
    }
  });

  // the 128x128 kernel from one tile on (as mx.gpu.tuneMatmul may choose), so small products
  // take it; the last flag stores B as W^T (K contiguous, how Linear layers hold weights)
  // (small: never the 128x128 kernel, so the 64x64 one)
  // (blocks: the 128x128 kernel's per-thread blocks, 16x8 or 8x8)
  const largeCases = async (device: string, cases: [number, number, number, number, number, mx.DtypeName][], small = false, blocks: 8 | 16 = 16) => {
    // (the tile kernels, also where the device has subgroup-matrix units)
    if (device === 'gpu') await mx.gpu.setMatmulTuning({ bigMinTiles: small ? null : 0, bigBlocks: blocks });
    if (device === 'gpu') await mx.gpu.setSubgroupMatrix(false);
    try {
      for (const [B, M, K, N, t, dt] of cases) await largeCase(device, B, M, K, N, t, dt, small, blocks);
    } finally {
      if (device === 'gpu') await mx.gpu.setMatmulTuning(null);
      if (device === 'gpu') await mx.gpu.setSubgroupMatrix(true);
    }
  };

  test('large products (128x128 tiles) over edges: odd sizes, a batch, an epilogue, B stored as W^T, against the CPU', async (ctx) => {
    await largeCases(ctx.device, [[1, 130, 77, 259, 0, 'float32'], [2, 128, 40, 131, 0, 'float32'], [1, 300, 33, 260, 0, 'float32'],
      [1, 300, 33, 260, 1, 'float32'], [2, 130, 50, 260, 1, 'float32']]);
  });

  // whole tiles: unchecked vector loads (16 bytes at f32, 8 at f16/bf16) and 4-wide stores; one
  // kernel each (each takes seconds to compile on the software drivers)
  const whole: [string, [number, number, number, number, number, mx.DtypeName]][] = [
    ['f32, batched A, batch-broadcast B', [3, 128, 32, 256, 0, 'float32']], ['f32, B stored as W^T', [1, 256, 48, 384, 1, 'float32']],
    ['f32, with the product alone', [1, 256, 48, 384, 0, 'float32']], ['f16', [1, 256, 48, 384, 0, 'float16']], ['bf16, B stored as W^T', [1, 256, 48, 384, 1, 'bfloat16']],
    ['f32, K not a multiple of the K step (checked loads)', [1, 128, 40, 128, 1, 'float32']]];
  for (const [what, c] of whole) {
    test(`large products (128x128 tiles) of whole tiles: ${what}`, async (ctx) => {
      await largeCases(ctx.device, [c]);
    });
  }
  // the 8x8-block 128x128 kernel (adapters other than NVIDIA): edges with an epilogue, W^T, and
  // whole tiles with K a multiple of its K step of 8 but not of 16
  test('large products (128x128 tiles) with 8x8 blocks per thread: edges and whole tiles', async (ctx) => {
    await largeCases(ctx.device, [[1, 130, 77, 259, 0, 'float32'], [1, 300, 33, 260, 1, 'float32'], [1, 256, 40, 384, 1, 'float32']], false, 8);
  });
  // the 64x64 kernel the same way (whole tiles: multiples of 64, K of 16); integers store 4 at
  // a time but load through the checked path
  test('64x64 tiles: whole tiles (f32, f16 W^T, int32) and edges', async (ctx) => {
    await largeCases(ctx.device, [[1, 128, 48, 192, 0, 'float32'], [2, 64, 32, 128, 1, 'float16'], [1, 64, 16, 64, 0, 'int32'], [1, 70, 20, 100, 1, 'float32']], true);
  });

  // one product through the 128x128 kernel against the CPU (and, on the GPU, which loads it got)
  async function largeCase(device: string, B: number, M: number, K: number, N: number, t: number, dt: mx.DtypeName, small = false, blocks: 8 | 16 = 16): Promise<void> {
    const k = (s: number) => mx.random.key(s);
    const c = { stream: mx.cpu };
    const a = mx.random.normal([B, M, K], mx.float32, 0, 1, { key: k(M) }).astype(dt);
    const w0 = (t ? mx.random.normal([N, K], mx.float32, 0, 1, { key: k(N) }) : mx.random.normal([K, N], mx.float32, 0, 1, { key: k(N) })).astype(dt);
    const bias = mx.random.normal([N], mx.float32, 0, 1, { key: k(K) });
    await mx.eval(a, w0, bias);
    // a lazy transpose of a stored array: the kernel reads it in place
    const w = t ? mx.transpose(w0) : w0;
    const { out: y, kernels: lines } = await withKernels('gpu', () => mx.tanh(mx.add(mx.matmul(a, w), bias)));
    const T = small ? 64 : 128;
    const inside = M % T === 0 && N % T === 0 && K % (small || blocks === 16 ? 16 : 8) === 0 && dt !== 'int32';
    const fn = t ? 'fn mm_bt4' : 'fn mm_b4';
    if (device === 'gpu') {
      const src = lines.find((l) => l.includes(small ? 'fn matmul_main' : blocks === 8 ? 'fn matmul_big8(' : 'fn matmul_big(')) ?? '';
      assert(src !== '', `the ${T}x${T} kernel ran for ${B}x${M}x${K}x${N}`);
      // whole tiles store 4 values at a time
      assertEqual(/fn mm_store[48]\([^)]*\) \{\s*let i0 =/.test(src), M % T === 0 && N % T === 0, `stores ${B}x${M}x${K}x${N} ${dt}`);
      for (const f of ['fn mm_a4', fn]) assertEqual(new RegExp(`${f}\\([^{]*\\{\\s*return (bitcast<vec4<f32>>|mm_four)`).test(src), inside, `${f} ${B}x${M}x${K}x${N} ${dt}`);
    }
    // the CPU reference in float32 from the same (rounded) inputs
    const f = (x: mx.MxArray) => x.astype(mx.float32, c);
    const tol = dt === 'float32' || dt === 'int32' ? 1e-4 : 3e-2;
    const ref = mx.matmul(f(a), f(w), c);
    assertClose(await nums(y.astype(mx.float32)), await nums(mx.tanh(mx.add(ref, bias, c), c)), { rtol: tol, atol: tol, msg: `${B}x${M}x${K}x${N} ${dt}` });
    // the product alone (no epilogue) through the same stores
    if (inside && B === 1 && !t) assertClose(await nums(mx.matmul(a, w).astype(mx.float32)), await nums(ref), { rtol: tol, atol: tol * 8, msg: `plain ${B}x${M}x${K}x${N} ${dt}` });
  }

  test('method form and identity', async () => {
    const a = mx.reshape(mx.arange(12, undefined, undefined, mx.float32), [3, 4]);
    const i4 = mx.eye(4);
    const p = a.matmul(i4);
    const q = mx.matmul(mx.identity(3), a);
    await mx.eval(p, q, a);
    assertClose(await nums(p), await nums(a), { rtol: 0, atol: 0 });
    assertClose(await nums(q), await nums(a), { rtol: 0, atol: 0 });
  });

  test('shapes are known before evaluation', () => {
    assertShape(mx.matmul(mx.zeros([5, 1, 2, 3]), mx.zeros([4, 3, 6])), [5, 4, 2, 6]);
    assertShape(mx.matmul(mx.zeros([3]), mx.zeros([5, 3, 2])), [5, 2]);
    assertShape(mx.matmul(mx.zeros([7, 3]), mx.zeros([3])), [7]);
    assertEqual(mx.matmul(mx.zeros([2, 2], mx.float16), mx.zeros([2, 2], mx.bfloat16)).dtype, mx.float32);
  });

  test('mismatched inner dimensions and 0-d inputs throw naming matmul', () => {
    assertThrows(() => mx.matmul(mx.zeros([2, 3]), mx.zeros([4, 2])), /\[matmul\].*\(2,3\).*\(4,2\)/);
    assertThrows(() => mx.matmul(mx.zeros([3]), mx.zeros([4])), /\[matmul\]/);
    assertThrows(() => mx.matmul(mx.zeros([2, 2, 3]), mx.zeros([3, 3, 2])), /\[matmul\]/);
    assertThrows(() => mx.matmul(mx.zeros([]), mx.zeros([2])), /\[matmul\]/);
    assertThrows(() => mx.matmul(mx.zeros([2, 2], mx.bool), mx.zeros([2, 2], mx.bool)), /\[matmul\]/);
  });

  test('a small MLP forward pass in one graph', async () => {
    const x = mx.array([[1, 2], [3, 4], [5, 6]], mx.float32);
    const w1 = mx.array([[0.5, -1, 0], [0.25, 0.5, 1]], mx.float32);
    const b1 = mx.array([0, 1, -1], mx.float32);
    const w2 = mx.array([[1], [2], [3]], mx.float32);
    const h = mx.maximum(mx.add(mx.matmul(x, w1), b1), 0);
    const y = mx.matmul(h, w2);
    const got = arr(y);
    const want = [[1, 2], [3, 4], [5, 6]].map(([a, b]) => {
      const h0 = Math.max(a * 0.5 + b * 0.25, 0), h1 = Math.max(-a + b * 0.5 + 1, 0), h2 = Math.max(b - 1, 0);
      return [h0 + 2 * h1 + 3 * h2];
    });
    assertClose(await got.tolist() as number[][], want, { rtol: 1e-6 });
  });
  // logits[:, -1] of a pending LM-head product: only that row is multiplied (a GEMV on the
  // GPU), with the values, gradients and the full product unchanged
  test('a row slice of a pending matmul multiplies only those rows', async (ctx) => {
    const c = { stream: mx.cpu };
    const h = mx.random.normal([2, 40, 32], mx.float32, 0, 1, { key: mx.random.key(11) });
    const w = mx.random.normal([32, 300], mx.float32, 0, 1, { key: mx.random.key(12) });
    await mx.eval(h, w);
    const logits = mx.matmul(h, w);
    const { out: last, kernels } = await withKernels(ctx.device, () => logits.index(mx.slice(), -1));
    assertShape(last, [2, 300]);
    if (ctx.device === 'gpu') assert(kernels.length === 1 && kernels[0].includes('matmul.gemv'), `one GEMV: ${kernels.map((l) => l.split('\n')[0]).join(' | ')}`);
    const ref = mx.matmul(h, w, c);
    const want = await nums(ref.index(mx.slice(), -1));
    assertClose(await nums(last), want, { rtol: 1e-4, atol: 1e-4 });
    // rows 3..9 step 2, and the whole product afterwards
    assertClose(await nums(mx.sliceAxes(logits, [1], [3], [10], [2])), await nums(mx.sliceAxes(ref, [1], [3], [10], [2])), { rtol: 1e-4, atol: 1e-4 });
    assertClose(await nums(logits), await nums(ref), { rtol: 1e-4, atol: 1e-4 });
    // a slice along the columns is not a row slice: it stays a slice of the product
    assertClose(await nums(mx.sliceAxes(mx.matmul(h, w), [2], [5], [9])), await nums(mx.sliceAxes(ref, [2], [5], [9])), { rtol: 1e-4, atol: 1e-4 });
    await checkGrads((a, b) => mx.sum(mx.multiply(mx.matmul(a, b).index(mx.slice(), -1), mx.arange(0, 300, 1, mx.float32))), [h, w], { rtol: 5e-3, atol: 5e-3 });
  });

  // attention's output [B, H, L, D] -> [B, L, H * D] feeds the output projection: a large
  // product reads a contiguous copy of it (one copy kernel), a small one the views in place
  test('matmul of heads merged back into rows (transpose + reshape): large products copy the input first', async (ctx) => {
    const c = { stream: mx.cpu };
    for (const [L, big] of [[64, true], [4, false]] as [number, boolean][]) {
      const h = mx.random.normal([2, 4, L, 32], mx.float32, 0, 1, { key: mx.random.key(L) });
      const w = mx.random.normal([128, 256], mx.float32, 0, 1, { key: mx.random.key(5) });
      await mx.eval(h, w);
      const merged = (x: mx.MxArray, o?: { stream: mx.Device }) => mx.reshape(mx.transpose(x, [0, 2, 1, 3], o), [2, L, 128], o);
      const { out: y, kernels } = await withKernels(ctx.device, () => mx.matmul(merged(h), w));
      if (ctx.device === 'gpu') {
        const n = kernels.filter((l) => l.includes('@compute')).length;
        assertEqual(n, big ? 2 : 1, `kernels for L=${L}: ${kernels.map((l) => l.split('\n')[0]).join(' | ')}`);
      }
      assertClose(await nums(y), await nums(mx.matmul(merged(h, c), w, c)), { rtol: 1e-4, atol: 1e-4, msg: `L=${L}` });
    }
  });

  // tensor cores / simdgroup matrices where the device exposes them (Dawn: allow_unsafe_apis;
  // NVIDIA Vulkan also needs vulkan_enable_f16_on_nvidia); elsewhere the tile kernels must run
  test('subgroup-matrix products (f16, f32 where offered): edges, batches, W^T, epilogues; tile kernels without the feature', async () => {
    const info = await mx.gpu.info();
    const has = await mx.gpu.setSubgroupMatrix(true);
    const offers = String(info.subgroup_matrix);
    assertEqual(has, offers !== '', `setSubgroupMatrix vs info: ${offers}`);
    const k = (s: number) => mx.random.key(s);
    const c = { stream: mx.cpu };
    const cases: [number, number, number, number, boolean, mx.DtypeName, boolean][] = [
      [1, 256, 64, 384, false, 'float16', false], [1, 256, 96, 256, true, 'float16', true], [2, 77, 45, 133, false, 'float16', true],
      [3, 130, 200, 9, true, 'float16', false], [1, 9, 16, 17, false, 'float16', false], [1, 200, 64, 136, false, 'float32', true]];
    for (const [B, M, K, N, t, dt, epi] of cases) {
      const a = mx.random.normal(B === 1 ? [M, K] : [B, M, K], mx.float32, 0, 1, { key: k(M) }).astype(dt);
      const w0 = mx.random.normal(t ? [N, K] : [K, N], mx.float32, 0, 1, { key: k(N) }).astype(dt);
      const bias = mx.random.normal([N], mx.float32, 0, 1, { key: k(K) }).astype(dt);
      await mx.eval(a, w0, bias);
      const w = t ? mx.transpose(w0) : w0;
      const { out: y, kernels: lines } = await withKernels('gpu', () => (epi ? mx.maximum(mx.add(mx.matmul(a, w), bias), 0) : mx.matmul(a, w)));
      const what = `${B}x${M}x${K}x${N} ${dt}${t ? ' W^T' : ''}${epi ? ' +epilogue' : ''}`;
      const want = has && offers.includes(dt === 'float16' ? 'f16xf32' : 'f32xf32');
      assertEqual(lines.some((l) => l.includes('fn matmul_sm(')), want, `subgroup-matrix kernel for ${what} (${offers || 'not offered'})`);
      // whole tiles of stored float16 load 8 bytes (vec4<f16>) at a time
      const src = lines.find((l) => l.includes('fn matmul_sm(')) ?? '';
      if (want) assertEqual(new RegExp(`fn sm_${t ? 'bt4' : 'b4'}\\([^{]*\\{\\s*return bh\\d+\\[`).test(src), dt === 'float16' && M % 64 === 0 && N % 64 === 0 && K % 32 === 0, `vector loads for ${what}`);
      const f = (x: mx.MxArray) => x.astype(mx.float32, c);
      const p = mx.matmul(f(a), f(w), c);
      const ref = epi ? mx.maximum(mx.add(p, f(bias), c), 0, c) : p;
      const tol = dt === 'float32' ? 1e-3 : 3e-2;
      assertClose(await nums(y.astype(mx.float32)), await nums(ref), { rtol: tol, atol: tol * Math.sqrt(K), msg: what });
    }
    // x from another kernel (a float16 result kept as float32 words), as LLM layers get it
    {
      const x = mx.random.normal([256, 64], mx.float32, 0, 1, { key: k(7) }).astype(mx.float16);
      const w = mx.random.normal([384, 64], mx.float32, 0, 1, { key: k(8) }).astype(mx.float16);
      await mx.eval(x, w);
      const { out: y, kernels: lines } = await withKernels('gpu', () => mx.matmul(mx.fast.rmsNorm(x, null, 1e-5), w.T));
      const src = lines.find((l) => l.includes('fn matmul_sm(')) ?? '';
      if (has && offers.includes('f16xf32')) assert(/fn sm_a4\([^{]*\{\s*return vec4<f16>\(bitcast<vec4<f32>>\(bq\d+\[/.test(src), 'vector loads of a kernel result');
      const f = (v: mx.MxArray) => v.astype(mx.float32, c);
      const ref = mx.matmul(f(mx.fast.rmsNorm(x, null, 1e-5, c)), f(w).T, c);
      assertClose(await nums(y.astype(mx.float32)), await nums(ref), { rtol: 3e-2, atol: 0.3, msg: 'rmsNorm(x) @ W^T' });
    }
    // off: the tile kernels again
    await mx.gpu.setSubgroupMatrix(false);
    try {
      const a = mx.random.normal([128, 64], mx.float16, 0, 1, { key: k(1) });
      const { kernels: lines } = await withKernels('gpu', () => mx.matmul(a, a.T));
      assert(!lines.some((l) => l.includes('fn matmul_sm(')) && lines.some((l) => l.includes('fn matmul_')), 'tile kernel when off');
      await assertRejects(() => mx.gpu.setSubgroupMatrix(1 as unknown as boolean), /\[gpu.setSubgroupMatrix\] expects true or false/);
    } finally {
      await mx.gpu.setSubgroupMatrix(true);
    }
  }, GPU_ONLY);

  // the subgroup-matrix kernel's source on every runner, as generated for a device that offered
  // f16 16x16x16 units in either builtin spelling; compiling it here must fail (no such units),
  // so what is checked is the generated WGSL, and that the failure is a clear error
  test('subgroup-matrix kernel source in both builtin spellings (generated on any device)', async () => {
    const ctx = (await import('../../src/backend/webgpu/context.ts')).currentContext()!;
    if (ctx.subgroupMatrix) return; // a device with the units runs the kernel in the test above
    const a = mx.random.normal([128, 64], mx.float32, 0, 1, { key: mx.random.key(3) }).astype(mx.float16);
    const w = mx.random.normal([128, 64], mx.float32, 0, 1, { key: mx.random.key(4) }).astype(mx.float16);
    await mx.eval(a, w);
    const fails = /\[gpu\] Compiling the WebGPU kernel for matmul\.sm failed/;
    try {
      for (const templateMajor of [true, false]) {
        const src = await fakeSubgroupMatrixKernel(templateMajor, () => mx.matmul(a, w.T), 'matmul_sm', fails);
        assert(src !== '', 'the subgroup-matrix kernel was generated');
        // 64x64 tiles step K by 64 (4 matrix steps): subgroup 1's second step: A at row 0,
        // column 16 (rows 72 apart); B^T's block of columns 32..47 at its row 32 + 16 (SM_SB = 72)
        for (const want of ['enable chromium_experimental_subgroup_matrix;', 'enable f16;', 'alias SM_LEFT = subgroup_matrix_left<f16, 16, 16>;', 'const SM_TILE: u32 = 64u;', 'const SM_BK: u32 = 64u;', 'const MM_BT: bool = true;',
          templateMajor ? 'subgroupMatrixLoad<SM_LEFT, row_major>(&sm_as, 16u, SM_SA)' : 'subgroupMatrixLoad<SM_LEFT>(&sm_as, 16u, false, SM_SA)',
          templateMajor ? 'subgroupMatrixLoad<SM_RIGHT, col_major>(&sm_bs, 2320u, SM_SB)' : 'subgroupMatrixLoad<SM_RIGHT>(&sm_bs, 2320u, true, SM_SB)',
          templateMajor ? 'subgroupMatrixStore<row_major>(&sm_cs, off, c, SM_N)' : 'subgroupMatrixStore(&sm_cs, off, c, false, SM_N)']) {
          assert(src.includes(want), `${templateMajor ? 'template' : 'bool'} spelling: ${want}`);
        }
        // every load at a constant offset, one case per subgroup (no bounds check from Tint)
        assertEqual(src.match(/subgroupMatrixLoad<[^>]*>\(&sm_[ab]s, \d+u,/g)?.length, 4 * 4 * 4, 'loads at constant offsets');
        assert(!/subgroupMatrixLoad<[^>]*>\(&sm_[ab]s, [^\d]/.test(src), 'no load at a computed offset');
        // whole 64x64 tiles of stored float16: 8-byte loads of both operands
        assert(/fn sm_a4\([^{]*\{\s*return bh\d+\[/.test(src) && /fn sm_bt4\([^{]*\{\s*return bh\d+\[/.test(src), 'vector loads');
        // a float16 result of another kernel (kept as float32 words): 16-byte loads of 4 values
        const wsrc = await fakeSubgroupMatrixKernel(templateMajor, () => mx.matmul(mx.fast.rmsNorm(a, null, 1e-5), w.T), 'matmul_sm', fails);
        assert(/fn sm_a4\([^{]*\{\s*return vec4<f16>\(bitcast<vec4<f32>>\(bq\d+\[/.test(wsrc), `vector loads of a kernel's float16 result: ${(/fn sm_a4\([^}]*\}/.exec(wsrc) ?? [''])[0]}`);
      }
    } finally {
      await mx.gpu.setSubgroupMatrix(true);
    }
    // and the product itself still works on the tile kernels
    assertClose(await nums(mx.matmul(a, w.T).astype(mx.float32)), await nums(mx.matmul(a.astype(mx.float32), w.astype(mx.float32).T, { stream: mx.cpu })), { rtol: 3e-2, atol: 0.3 });
  }, GPU_ONLY);

  test('mx.gpu.tuneMatmul times both tile kernels and keeps its choice per adapter; setMatmulTuning picks them', async () => {
    const x = mx.random.normal([256, 64], mx.float32, 0, 1, { key: mx.random.key(1) });
    const y = mx.random.normal([64, 256], mx.float32, 0, 1, { key: mx.random.key(2) });
    await mx.eval(x, y);
    const ref = await nums(mx.matmul(x, y, { stream: mx.cpu }));
    // which template the product compiles to, and its values
    const kernelOf = async (): Promise<string> => {
      const lines: string[] = [];
      mx.setDebug({ logKernels: true, log: (m) => lines.push(m) });
      let z: mx.MxArray;
      try {
        z = mx.matmul(x, y);
        await mx.eval(z);
      } finally {
        mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
      }
      assertClose(await nums(z), ref, { rtol: 1e-4, atol: 1e-4 });
      return lines.some((l) => l.includes('fn matmul_big8(')) ? 'big8' : lines.some((l) => l.includes('fn matmul_big(')) ? 'big16' : lines.some((l) => l.includes('fn matmul_main')) ? 'small' : lines.join(';').slice(0, 200);
    };
    await mx.gpu.setSubgroupMatrix(false);
    try {
      await mx.gpu.setMatmulTuning({ bigMinTiles: 0, bigBlocks: 16 });
      assertEqual(await kernelOf(), 'big16', '128x128 from 0 tiles, 16x8 blocks');
      await mx.gpu.setMatmulTuning({ bigMinTiles: 0, bigBlocks: 8 });
      assertEqual(await kernelOf(), 'big8', '128x128 from 0 tiles, 8x8 blocks');
      await mx.gpu.setMatmulTuning({ bigMinTiles: null });
      assertEqual(await kernelOf(), 'small', 'never 128x128');
      const sizes: [number, number, number][] = [[128, 128, 32], [256, 256, 64]];
      const t = await mx.gpu.tuneMatmul({ sizes, reps: 1, force: true });
      assertEqual(t.source, 'measured');
      assert(t.measured.length === 2 && t.measured.every((r) => r.small > 0 && r.big8! > 0 && r.big16! > 0 && r.big === (t.bigBlocks === 8 ? r.big8 : r.big16)), JSON.stringify(t.measured));
      assert(t.bigMinTiles === null || t.bigMinTiles === 1 || t.bigMinTiles === 4, `bigMinTiles ${t.bigMinTiles}`);
      assert(t.bigBlocks === 8 || t.bigBlocks === 16, `bigBlocks ${t.bigBlocks}`);
      // 256 x 256 is 4 tiles: the kernel follows the measured choice
      assertEqual(await kernelOf(), t.bigMinTiles !== null && t.bigMinTiles <= 4 ? `big${t.bigBlocks}` : 'small', 'tuned');
      const again = await mx.gpu.tuneMatmul({ sizes, reps: 1 });
      assertEqual([again.source, again.bigMinTiles, again.bigBlocks], ['cache', t.bigMinTiles, t.bigBlocks]);
      await assertRejects(() => mx.gpu.setMatmulTuning({ bigMinTiles: -1 }), /\[gpu.setMatmulTuning\] bigMinTiles must be/);
      await assertRejects(() => mx.gpu.setMatmulTuning({ bigMinTiles: 0, bigBlocks: 12 as 8 }), /\[gpu.setMatmulTuning\] bigBlocks must be 8 or 16; got 12/);
      await assertRejects(() => mx.gpu.tuneMatmul({ sizes: [[0, 4, 4]], force: true }), /\[gpu.tuneMatmul\] Sizes must be positive integers/);
    } finally {
      await mx.gpu.setMatmulTuning(null);
      await mx.gpu.setSubgroupMatrix(true);
    }
  }, GPU_ONLY);
});
