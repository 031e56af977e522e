// Quantization (src/quant, nn.QuantizedLinear/QuantizedEmbedding/quantize): MLX's packed
// layouts bit for bit (hand examples and the NumPy re-implementation in
// test/fixtures/quant_gen.py), dequantize error bounds, quantizedMatmul and gatherQmm
// against dequantize-then-matmul (GEMV and tiled paths), gradients, layers and errors.
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertShape, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import { gemv4Threads } from '../../src/quant/gpu.ts';
import { cases } from '../fixtures/quant.gen.ts';
import { fakeSubgroupMatrixKernel, mx, nums, onDevice, withKernels, type MxArray } from './common.ts';
import * as nn from '../../src/nn/index.ts';

const key = (i: number) => mx.random.key(i);
// inputs are drawn on the CPU device (they move once), so GPU runs compile fewer kernels
const normal = (shape: number[], seed: number, dtype: mx.DtypeLike = 'float32') =>
  mx.astype(mx.random.normal(shape, mx.float32, 0, 1, { key: key(seed), stream: mx.cpu }), dtype, { stream: mx.cpu });
const words = async (a: MxArray) => Array.from((await a.data()) as ArrayLike<number>, Number);
const maxAbs = (a: number[]) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

// w[k] = k mod 2^bits over one group of 32: MLX picks the max as edge, so scale = -1,
// bias = 2^bits - 1 and q = bias - w (for 6 and 8 bits 32 values span less, scale differs)
const HAND: Record<number, { wq: number[]; scale: number; bias: number }> = {
  2: { wq: [0x1b1b1b1b, 0x1b1b1b1b], scale: -1, bias: 3 },
  3: { wq: [0x77053977, 0x39770539, 0x05397705], scale: -1, bias: 7 },
  4: { wq: [0x89abcdef, 0x01234567, 0x89abcdef, 0x01234567], scale: -1, bias: 15 },
  5: { wq: [0x75be77df, 0x3a56d7c6, 0x35cf8465, 0xc74254b6, 0x00443214], scale: -1, bias: 31 },
};

const CPU = { stream: mx.cpu };
/** Quantized on the CPU device, so GPU runs compile only the kernels under test. */
const quantized = (w: MxArray, gs: number, bits: number, mode: mx.QuantMode = 'affine') => mx.quantize(w, gs, bits, mode, CPU);

/** The reference on the CPU device: dequantize, then a plain matmul. */
function reference(x: MxArray, wq: MxArray, s: MxArray, b: MxArray | null, transpose: boolean, gs: number, bits: number, mode: mx.QuantMode = 'affine'): MxArray {
  const w = mx.dequantize(wq, s, b, gs, bits, mode, { dtype: mx.float32, stream: mx.cpu });
  return mx.matmul(mx.astype(x, mx.float32, CPU), transpose ? mx.swapaxes(w, -1, -2, CPU) : w, CPU);
}

export const quantSuite = suite('quant', (t) => {
  const test = onDevice(t);

  // logits[:, -1] of a pending quantized LM head: only that row is multiplied (a GEMV on
  // the GPU); the full product is unchanged
  test('a row slice of a pending quantizedMatmul multiplies only those rows', async (ctx) => {
    const c = { stream: mx.cpu };
    const w = mx.random.normal([300, 64], mx.float32, 0, 1, { key: key(21) });
    const [wq, sc, bi] = mx.quantize(w, 64, 4);
    const x = mx.random.normal([2, 40, 64], mx.float32, 0, 1, { key: key(22) });
    await mx.eval(wq, sc, bi, x);
    const logits = mx.quantizedMatmul(x, wq, sc, bi, true, 64, 4);
    const { out: last, kernels } = await withKernels(ctx.device, () => logits.index(mx.slice(), -1));
    assertShape(last, [2, 300]);
    if (ctx.device === 'gpu') assert(kernels.length === 1 && kernels[0].includes('quantizedMatmul.gemv'), `one GEMV: ${kernels.map((l) => l.split('\n')[0]).join(' | ')}`);
    const ref = mx.quantizedMatmul(x, wq, sc, bi, true, 64, 4, 'affine', c);
    assertClose(await nums(last), await nums(ref.index(mx.slice(), -1)), { rtol: 1e-4, atol: 1e-4 });
    assertClose(await nums(mx.sliceAxes(logits, [1], [2], [9], [3])), await nums(mx.sliceAxes(ref, [1], [2], [9], [3])), { rtol: 1e-4, atol: 1e-4 });
    assertClose(await nums(logits), await nums(ref), { rtol: 1e-4, atol: 1e-4 });
  });

  test('hand-computed MLX layouts for 2, 3, 4, 5 bits and mxfp4', async () => {
    const outs: MxArray[] = [];
    for (const bits of [2, 3, 4, 5]) {
      const w = mx.array([Array.from({ length: 32 }, (_, k) => k % 2 ** bits)], mx.float32);
      outs.push(...mx.quantize(w, 32, bits));
      outs.push(mx.dequantize(outs[outs.length - 3], outs[outs.length - 2], outs[outs.length - 1], 32, bits));
    }
    const fw = mx.array([[0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.5, -1, -6, 0.25, 0.75, 2.5, 5, 7, 0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.5, -1, -6, 0.25, 0.75, 2.5, 5, 7]], mx.float32);
    const [fq, fs] = mx.quantize(fw, 32, 4, 'mxfp4');
    const fd = mx.dequantize(fq, fs, null, 32, 4, 'mxfp4');
    await mx.eval(...outs, fq, fs, fd);
    for (const [i, bits] of [2, 3, 4, 5].entries()) {
      const [wq, s, b, d] = outs.slice(i * 4, i * 4 + 4);
      assertEqual(await words(wq), HAND[bits].wq, `bits=${bits} words`);
      assertEqual(await s.tolist(), [[HAND[bits].scale]]);
      assertEqual(await b.tolist(), [[HAND[bits].bias]]);
      assertEqual(await d.tolist(), [Array.from({ length: 32 }, (_, k) => k % 2 ** bits)]);
    }
    // e2m1 codes 0..7, then -0.5 -1 -6 and the ties 0.25 -> 0, 0.75 -> 1, 2.5 -> 2, 5 -> 4 (to even); 7 -> 6
    assertEqual(await words(fq), [0x76543210, 0x76420fa9, 0x76543210, 0x76420fa9]);
    assertEqual(fs.dtype, mx.uint8);
    assertEqual(await fs.tolist(), [[127]]);
    assertEqual(fd.dtype, mx.bfloat16);
    assertEqual((await fd.tolist() as number[][])[0].slice(8, 16), [-0.5, -1, -6, 0, 1, 2, 4, 6]);
  });

  test('quantize matches the NumPy re-implementation bit for bit (bits 2..8, gs 32/64/128, f32/f16/bf16, mxfp4)', async () => {
    const res = cases.map((c) => {
      const w = mx.reshape(mx.array(c.w, c.dtype), c.shape);
      return { c, w, out: mx.quantize(w, c.gs, c.bits, c.mode) };
    });
    await mx.eval(...res.flatMap((r) => r.out));
    for (const { c, out } of res) {
      assertEqual(await words(out[0]), c.wq, `${c.name}: wq`);
      assertEqual(out[1].dtype.name, c.mode === 'affine' ? c.dtype : 'uint8', `${c.name}: scales dtype`);
      assertClose(await nums(out[1]), c.scales, { rtol: 0, atol: 0, msg: `${c.name}: scales` });
      if (c.biases) assertClose(await nums(out[2]), c.biases, { rtol: 0, atol: 0, msg: `${c.name}: biases` });
      assertEqual(out.length, c.mode === 'affine' ? 3 : 2);
    }
  });

  // MLX's test bound is |scale|: snapping the scale so the edge is exact can clip the far end
  test('dequantize is within |scale| of w (MLX test bound) and keeps batch dims', async () => {
    const w = normal([2, 3, 128], 11);
    const runs = [2, 3, 4, 5, 6, 8].map((bits) => {
      const [wq, s, b] = mx.quantize(w, 64, bits);
      return { bits, s, d: mx.dequantize(wq, s, b, 64, bits) };
    });
    await mx.eval(...runs.flatMap((r) => [r.s, r.d]));
    const wv = await nums(w);
    for (const { bits, s, d } of runs) {
      assertShape(d, [2, 3, 128]);
      const dv = await nums(d), sv = await nums(s);
      for (let i = 0; i < wv.length; i++) {
        const bound = Math.abs(sv[Math.floor(i / 64)]) + 1e-6;
        assert(Math.abs(dv[i] - wv[i]) <= bound, `bits=${bits} element ${i}: |${dv[i]} - ${wv[i]}| > ${bound}`);
      }
    }
  });

  test('quantizedMatmul equals dequantize-then-matmul (GEMV M=1,3; tiled M=33; transpose false; batches)', async () => {
    // [M, K, N, bits, gs, transpose, dtype, x batch, w batch]
    const configs: [number, number, number, number, number, boolean, mx.DtypeLike, number[], number[]][] = [
      [1, 256, 40, 4, 64, true, 'float32', [], []],
      [3, 96, 13, 3, 32, true, 'float16', [2], []],
      [1, 128, 8, 8, 128, true, 'bfloat16', [], []],
      [33, 160, 37, 5, 32, true, 'float32', [], []],
      [33, 45, 64, 6, 64, false, 'float32', [], []],
      [3, 50, 96, 2, 32, false, 'float16', [], []],
      [3, 64, 20, 4, 32, true, 'float32', [2], [2]],
      // long rows: several unrolled load batches per lane of the row kernel (4- and 8-bit)
      [1, 2048, 9, 4, 64, true, 'float32', [], []],
      [2, 4096, 5, 4, 64, true, 'float16', [], []],
      [1, 8192, 3, 4, 128, true, 'float32', [], []],
      [1, 4096, 3, 8, 64, true, 'float32', [], []],
      // one x row at 4 bits (4 weight rows per workgroup): row counts not divisible by 4,
      // fewer packs than threads, batched x and batched weights
      [1, 64, 7, 4, 32, true, 'float32', [2], [2]],
      [1, 96, 6, 4, 32, true, 'float16', [3], []],
      [1, 4096, 17, 4, 128, true, 'bfloat16', [], []],
      [1, 96, 7, 8, 32, true, 'float16', [2], [2]],
      // tiled (64x64 tiles, 4 codes per word load at 2/4/8 bits): edges in M, N and K
      [33, 128, 40, 4, 32, true, 'float16', [], []],
      [70, 64, 96, 8, 32, false, 'float32', [], []],
    ];
    const pairs = configs.map(([M, K, N, bits, gs, tr, dt, xb, wb], i) => {
      const w = normal([...wb, ...(tr ? [N, K] : [K, N])], 100 + i, dt);
      const [wq, s, b] = quantized(w, gs, bits);
      const x = normal([...xb, M, K], 200 + i, dt);
      const y = mx.quantizedMatmul(x, wq, s, b, tr, gs, bits);
      return { name: `M=${M} K=${K} N=${N} bits=${bits} tr=${tr} ${dt}`, y, ref: reference(x, wq, s, b, tr, gs, bits), dt, shape: [...(xb.length ? xb : wb), M, N] };
    });
    await mx.eval(...pairs.flatMap((p) => [p.y, p.ref]));
    for (const p of pairs) {
      assertShape(p.y, p.shape, p.name);
      assertEqual(p.y.dtype, mx.resultType(p.dt), p.name);
      const r = await nums(p.ref);
      const tol = p.dt === 'float32' ? 1e-4 : 2e-2;
      assertClose(await nums(p.y), r, { rtol: tol, atol: tol * Math.max(1, maxAbs(r)), msg: p.name });
    }
  });

  test('one x row at 4 and 8 bits takes the 4-rows-per-workgroup GEMV kernel (a fused epilogue too)', async (ctx) => {
    for (const bits of [4, 8]) {
      const w = normal([10, 256], 7);
      const [wq, s, b] = quantized(w, 64, bits);
      const x = normal([1, 256], 8), r = normal([1, 10], 9);
      await mx.eval(wq, s, b, x, r);
      const lines: string[] = [], codes: string[] = [];
      mx.setDebug({ logKernels: true, log: (m) => (lines.push(m.split('\n')[0]), codes.push(m)) });
      let y: MxArray;
      try {
        y = mx.add(mx.quantizedMatmul(x, wq, s, b, true, 64, bits), r);
        await mx.eval(y);
      } finally {
        mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
      }
      if (ctx.device === 'gpu') assert(lines.length === 1 && lines[0].includes('quantizedMatmul.gemv4'), `${bits} bits: ${lines.join('; ')}`);
      if (ctx.device === 'gpu') {
        // the workgroup sum takes one slot per subgroup where the probe found runs of one size
        const run = Number((await mx.gpu.info()).subgroup_run);
        const code = codes.join('\n');
        assertEqual(code.includes('const F4_HOLD: u32 = 4u;'), run > 0, `subgroup_run ${run}`);
      }
      const ref = mx.add(reference(x, wq, s, b, true, 64, bits), r);
      assertClose(await nums(y), await nums(ref), { rtol: 1e-4, atol: 1e-4, msg: `${bits} bits` });
    }
  });

  // Random 4-bit words with unit scales, zero biases and x = 1: each output is its row's sum of
  // codes (exact in f32), so big batched grids are checked without a float reference.
  async function rowSums(P: number, N: number, K: number): Promise<void> {
    const W = K / 8;
    const words = new Uint32Array(P * N * W);
    let seed = 7;
    for (let i = 0; i < words.length; i++) words[i] = seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const want = new Float32Array(P * N);
    for (let r = 0; r < P * N; r++) {
      let t = 0;
      for (let j = r * W; j < (r + 1) * W; j++) {
        const w = words[j];
        for (let c = 0; c < 32; c += 4) t += (w >>> c) & 15;
      }
      want[r] = t;
    }
    const wq = mx.array(words, mx.uint32).reshape([P, N, W]);
    const s = mx.ones([P, N, K / 32]), b = mx.zeros([P, N, K / 32]), x = mx.ones([P, 1, K]);
    const y = mx.quantizedMatmul(x, wq, s, b, true, 32, 4);
    assertShape(y, [P, 1, N]);
    assertEqual(await nums(y), Array.from(want), `P=${P} N=${N} K=${K}`);
  }

  test('batched one-row GEMV over more than 65535 workgroups (a 2-D grid): every batch, none past the end', async () => {
    // 65 weights of 4096 rows: 65 * 1024 workgroups of 4 rows
    await rowSums(65, 4096, 32);
  });

  test('batched one-row GEMV at K = 4096 over 8192 workgroups takes 64 threads a workgroup, and sums right', async (ctx) => {
    assertEqual([gemv4Threads(128, 8191), gemv4Threads(128, 8192), gemv4Threads(129, 9000), gemv4Threads(64, 10)], [128, 64, 128, 64]);
    const codes: string[] = [];
    if (ctx.device === 'gpu') mx.setDebug({ logKernels: true, log: (m) => codes.push(m) });
    try {
      await rowSums(8, 4096, 4096);
    } finally {
      if (ctx.device === 'gpu') mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
    }
    if (ctx.device === 'gpu') assert(codes.some((c) => c.includes('const F4_T: u32 = 64u;')), 'F4_T 64');
  });

  test('tiled quantizedMatmul runs in the 64x64 tile kernel, 4 codes per word load at 2/4/8 bits', async (ctx) => {
    // (the tile kernel, also where float32 subgroup-matrix units exist)
    if (ctx.device === 'gpu') await mx.gpu.setSubgroupMatrix(false);
    try {
      await tiledCases(ctx.device);
    } finally {
      if (ctx.device === 'gpu') await mx.gpu.setSubgroupMatrix(true);
    }
  });
  const tiledCases = async (device: string) => {
    for (const [bits, tr] of [[4, true], [8, false], [5, true]] as [number, boolean][]) {
      const w = normal(tr ? [72, 128] : [128, 96], 11);
      const [wq, s, b] = quantized(w, 32, bits);
      const x = normal([40, 128], 12);
      await mx.eval(wq, s, b, x);
      const lines: string[] = [];
      mx.setDebug({ logKernels: true, log: (m) => lines.push(m) });
      let y: MxArray;
      try {
        y = mx.quantizedMatmul(x, wq, s, b, tr, 32, bits);
        await mx.eval(y);
      } finally {
        mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
      }
      if (device === 'gpu') {
        const src = lines.find((l) => l.includes('fn matmul_main')) ?? '';
        assert(src !== '', `${bits} bits: the tile kernel ran`);
        const four = tr ? 'return qm_w4(b, n, k, N, K);' : 'return qm_w4(b, k, n, K, N);';
        assertEqual(src.includes(four), bits !== 5, `${bits} bits: 4 codes per load`);
      }
      assertClose(await nums(y), await nums(reference(x, wq, s, b, tr, 32, bits)), { rtol: 1e-4, atol: 1e-4, msg: `${bits} bits` });
    }
  };

  // float16 x and weights (so float16 scales, as in float16 checkpoints) on a device with f16
  // subgroup-matrix units: the weights dequantize to f16 tiles
  test('tiled quantizedMatmul of float16 x on subgroup-matrix units where the device has them', async (ctx) => {
    const has = ctx.device === 'gpu' && (await mx.gpu.setSubgroupMatrix(true)) && String((await mx.gpu.info()).subgroup_matrix).includes('f16xf32');
    // (the last: whole 64x64 tiles of a stored x, read 8 bytes at a time)
    const cases: [number, boolean, 'affine' | 'mxfp4', number[], number][] = [[4, true, 'affine', [2, 70, 256], 136], [8, false, 'affine', [2, 70, 256], 136], [8, true, 'affine', [2, 70, 256], 136], [4, true, 'mxfp4', [2, 70, 256], 136], [4, true, 'affine', [128, 256], 136]];
    // enough 128x128 tiles for the big ones (one pack per row per thread), on devices with the units
    if (has) cases.push([4, true, 'affine', [2048, 64], 2056], [8, true, 'affine', [2048, 64], 2056]);
    for (const [bits, tr, mode, xs, rows] of cases) {
      const w = normal(tr ? [rows, xs[xs.length - 1]] : [256, 96], 21, 'float16');
      const [wq, s, b] = quantized(w, 32, bits, mode);
      const x = normal(xs, 22, 'float16');
      await mx.eval(wq, s, x);
      const { out: y, kernels: lines } = await withKernels(ctx.device, () => mx.quantizedMatmul(x, wq, s, b, tr, 32, bits, mode));
      if (ctx.device === 'gpu') {
        const src = lines.find((l) => l.includes(has ? 'fn matmul_sm(' : 'fn matmul_main(')) ?? '';
        assert(src !== '', `${bits} bits ${mode}: ${has ? 'subgroup-matrix' : 'tile'} kernel`);
        if (has) assertEqual(/fn sm_a4\([^{]*\{\s*return bh\d+\[/.test(src), xs.length === 2, `${bits} bits ${mode} x ${xs}: 8-byte x loads`);
        // transposed weights load a whole pack of 32 codes per row and K step
        if (has) assertEqual(src.includes('smq_sb = qm_sb(b, n, p);'), tr, `${bits} bits ${mode} transpose ${tr}: packed B staging`);
      }
      const ref = reference(x, wq, s, b, tr, 32, bits, mode);
      assertClose(await nums(y.astype(mx.float32)), await nums(ref), { rtol: 2e-2, atol: 5e-2, msg: `${bits} bits ${mode}` });
    }
  });

  // the packed-weight staging of the subgroup-matrix kernel as generated for a device with f16
  // units (this one has none, so compiling it fails and the source is what is checked)
  test('subgroup-matrix quantizedMatmul source: one pack of 32 codes per row and K step, two where K is a multiple of 64', async (ctx) => {
    if (ctx.device !== 'gpu') return;
    const cur = (await import('../../src/backend/webgpu/context.ts')).currentContext()!;
    if (cur.subgroupMatrix) return; // the test above runs the kernel itself there
    const w = normal([136, 256], 23, 'float16');
    const x = normal([70, 256], 24, 'float16'), x2 = normal([70, 136], 25, 'float16');
    const fails = /\[gpu\] Compiling the WebGPU kernel for quantizedMatmul\.sm failed/;
    for (const bits of [4, 8]) {
      const [wq, s, b] = quantized(w, 64, bits);
      await mx.eval(wq, s, b, x, x2);
      const src = await fakeSubgroupMatrixKernel(true, () => mx.quantizedMatmul(x, wq, s, b, true, 64, bits), 'matmul_sm', fails);
      for (const want of [`const QB_BITS: u32 = ${bits}u;`, bits === 4 ? 'let w = qm_pack4(b, n, p, 0u);' : 'smq_w0 = qm_pack4(b, n, p, h);', 'smq_sb = qm_sb(b, n, p);', 'fn sm_put_b(li: u32)', 'const SM_PREFETCH: bool = true;', 'const SM_TILE: u32 = 64u;', 'const SM_BK: u32 = 64u;']) {
        assert(src.includes(want), `${bits} bits: ${want}`);
      }
      // K = 160: steps of one pack
      const [wq3, s3, b3] = quantized(normal([136, 160], 26, 'float16'), 32, bits);
      const x3 = normal([70, 160], 27, 'float16');
      await mx.eval(wq3, s3, b3, x3);
      const src3 = await fakeSubgroupMatrixKernel(true, () => mx.quantizedMatmul(x3, wq3, s3, b3, true, 32, bits), 'matmul_sm', fails);
      assert(src3.includes('const SM_BK: u32 = 32u;') && src3.includes('smq_sb = qm_sb(b, n, p);'), `${bits} bits, K = 160: one pack a step`);
      assert(!src.includes('var<private> sm_rb'), `${bits} bits: no 4-value B staging`);
      // not transposed: B's rows run along N, so the 4-value staging stays
      const src2 = await fakeSubgroupMatrixKernel(true, () => mx.quantizedMatmul(x2, wq, s, b, false, 64, bits), 'matmul_sm', fails);
      assert(src2.includes('var<private> sm_rb') && !src2.includes('smq_w0'), `${bits} bits, no transpose: 4-value B staging`);
    }
  });

  test('quantizedMatmul of heads merged back into rows (transpose + reshape): large products copy x first', async (ctx) => {
    const w = normal([256, 128], 51);
    const [wq, s, b] = quantized(w, 64, 4);
    for (const [L, big] of [[64, true], [4, false]] as [number, boolean][]) {
      const h = normal([2, 4, L, 32], 52 + L);
      await mx.eval(wq, s, b, h);
      const merged = (x: MxArray, o?: { stream: mx.Device }) => mx.reshape(mx.transpose(x, [0, 2, 1, 3], o), [2, L, 128], o);
      const { out: y, kernels } = await withKernels(ctx.device, () => mx.quantizedMatmul(merged(h), wq, s, b, true, 64, 4));
      if (ctx.device === 'gpu') {
        const n = kernels.filter((l) => l.includes('@compute')).length;
        assertEqual(n, big ? 2 : 1, `kernels for L=${L}: ${kernels.map((l) => l.split('\n')[0]).join(' | ')}`);
      }
      assertClose(await nums(y), await nums(reference(merged(h, CPU), wq, s, b, true, 64, 4)), { rtol: 1e-4, atol: 1e-4, msg: `L=${L}` });
    }
  });

  test('mxfp4 quantizedMatmul (GEMV and tiled) and 1-D x', async () => {
    const w = normal([24, 64], 31);
    const [wq, s] = quantized(w, 32, 4, 'mxfp4');
    const xs = [normal([1, 64], 32), normal([33, 64], 33), normal([64], 34)];
    const ys = xs.map((x) => mx.quantizedMatmul(x, wq, s, null, true, 32, 4, 'mxfp4'));
    const refs = xs.map((x) => reference(x, wq, s, null, true, 32, 4, 'mxfp4'));
    await mx.eval(...ys, ...refs);
    assertShape(ys[2], [24]);
    for (let i = 0; i < ys.length; i++) assertClose(await nums(ys[i]), await nums(refs[i]), { rtol: 1e-4, atol: 1e-3 });
  });

  test('gatherQmm selects experts per batch (rhs, lhs and both indices)', async () => {
    const E = 3, N = 16, K = 64;
    const w = normal([E, N, K], 41);
    const [wq, s, b] = quantized(w, 32, 4);
    const x = normal([4, 2, K], 42);
    const rhs = mx.array([2, 0, 2, 1], mx.int32);
    const lhs = mx.array([3, 3, 0], mx.uint32);
    const y1 = mx.gatherQmm(x, wq, s, b, null, rhs, true, 32, 4);
    const y2 = mx.gatherQmm(x, wq, s, b, lhs, mx.array([1, 0, 2], mx.int32), true, 32, 4);
    const deq = mx.dequantize(wq, s, b, 32, 4, 'affine', CPU);
    const expect1 = mx.stack([0, 1, 2, 3].map((i) => mx.matmul(x.index(i), mx.transpose(deq.index([2, 0, 2, 1][i])))));
    const expect2 = mx.stack([[3, 1], [3, 0], [0, 2]].map(([l, r]) => mx.matmul(x.index(l), mx.transpose(deq.index(r)))));
    await mx.eval(y1, y2, expect1, expect2);
    assertShape(y1, [4, 2, N]);
    assertShape(y2, [3, 2, N]);
    assertClose(await nums(y1), await nums(expect1), { rtol: 1e-4, atol: 1e-4 });
    assertClose(await nums(y2), await nums(expect2), { rtol: 1e-4, atol: 1e-4 });
  });

  test('gradients w.r.t. x: quantizedMatmul (both transposes) and gatherQmm with repeated indices', async () => {
    const [wq, s, b] = quantized(normal([8, 64], 51), 32, 4);
    await checkGrads((x) => mx.quantizedMatmul(x, wq, s, b, true, 32, 4), [normal([2, 64], 52)], { rtol: 1e-2, atol: 1e-2 });
    const [wq2, s2, b2] = quantized(normal([5, 32], 53), 32, 8);
    await checkGrads((x) => mx.quantizedMatmul(x, wq2, s2, b2, false, 32, 8), [normal([3, 5], 54)], { rtol: 1e-2, atol: 1e-2 });
    const [wq3, s3, b3] = quantized(normal([2, 8, 32], 55), 32, 4);
    const lhs = mx.array([1, 1, 0], mx.uint32), rhs = mx.array([0, 1, 1], mx.uint32);
    await checkGrads((x) => mx.gatherQmm(x, wq3, s3, b3, lhs, rhs, true, 32, 4), [normal([2, 1, 32], 56)], { rtol: 1e-2, atol: 1e-2 });
  });

  test('nn.QuantizedLinear / QuantizedEmbedding / nn.quantize stay close to the float model; LoRA-style training', async () => {
    mx.random.seed(3);
    const model = new nn.Sequential(new nn.Embedding(50, 64), new nn.Linear(64, 96), nn.relu, new nn.Linear(96, 32));
    const ids = mx.array([[1, 7, 49], [0, 3, 3]], mx.int32);
    const before = model.forward(ids);
    nn.quantize(model, { groupSize: 32, bits: 8 });
    const layers = model.layers as nn.Module[];
    assert(layers[0] instanceof nn.QuantizedEmbedding && layers[1] instanceof nn.QuantizedLinear && layers[3] instanceof nn.QuantizedLinear);
    const after = model.forward(ids);
    const ql = layers[1] as nn.QuantizedLinear;
    assertEqual(mx.treeFlatten(ql.parameters()).map(([k]) => k).sort(), ['bias', 'biases', 'scales', 'weight']);
    // only the float bias (kept from the Linear) is trainable, as in MLX's fromLinear
    assertEqual(mx.treeFlatten(ql.trainableParameters()).map(([k]) => k), ['bias']);
    const emb = layers[0] as nn.QuantizedEmbedding;
    const tied = emb.asLinear(normal([2, 64], 61));
    await mx.eval(before, after, tied);
    assertShape(tied, [2, 50]);
    const bv = await nums(before);
    assertClose(await nums(after), bv, { rtol: 0.05, atol: 0.02 * Math.max(1, maxAbs(bv)) });
    // a predicate picks layers and per-layer settings
    const m2 = new nn.Sequential(new nn.Linear(64, 32), new nn.Linear(32, 32));
    nn.quantize(m2, { classPredicate: (p) => (p === 'layers.0' ? { bits: 4, groupSize: 64 } : false) });
    assert((m2.layers as nn.Module[])[0] instanceof nn.QuantizedLinear && (m2.layers as nn.Module[])[1] instanceof nn.Linear);
    assertEqual(((m2.layers as nn.Module[])[0] as nn.QuantizedLinear).bits, 4);

    // LoRA: a frozen quantized base plus a trainable low-rank update
    class Lora extends nn.Module {
      base = nn.QuantizedLinear.fromLinear(new nn.Linear(32, 8), { groupSize: 32, bits: 4 });
      a = mx.multiply(normal([32, 2], 62), 0.1);
      b = mx.zeros([2, 8]);
      override forward(x: MxArray): MxArray {
        return mx.add(this.base.forward(x), mx.matmul(mx.matmul(x, this.a), this.b));
      }
    }
    const lora = new Lora();
    lora.base.freeze();
    const x = normal([4, 32], 63), y = normal([4, 8], 64);
    const step = nn.valueAndGrad(lora, (xx: MxArray, yy: MxArray) => nn.losses.mseLoss(lora.forward(xx), yy));
    const [l0, g] = step(x, y);
    assertEqual(mx.treeFlatten(g).map(([k]) => k).sort(), ['a', 'b']);
    lora.update(mx.treeMap((p: MxArray, d: MxArray) => mx.subtract(p, mx.multiply(d, 0.5)), lora.trainableParameters(), [g]) as nn.ParamTree);
    const [l1] = step(x, y);
    assert((await l1.item()) < (await l0.item()), 'the loss decreases through the quantized layer');
    const gb = mx.treeFlatten(g).find(([k]) => k === 'b')![1] as MxArray;
    assert(maxAbs(await nums(gb)) > 0, 'the adapter gradient flows through quantizedMatmul');
  });

  test('clear errors: group size, bits, dtypes, shapes, modes', () => {
    const w = mx.zeros([4, 96]);
    assertThrows(() => mx.quantize(w, 64, 4), /\[quantize\] The last dimension of the matrix needs to be divisible by the quantization group size 64.*\(4,96\)/);
    assertThrows(() => mx.quantize(w, 32, 7), /\[quantize\] The requested number of bits 7 is not supported/);
    assertThrows(() => mx.quantize(w, 16, 4), /\[quantize\] The requested group size 16 is not supported/);
    assertThrows(() => mx.quantize(mx.zeros([4, 64], mx.int32), 32, 4), /\[quantize\] Only real floating types.*int32/);
    assertThrows(() => mx.quantize(mx.zeros([64]), 32, 4), /\[quantize\].*at least 2 dimensions/);
    assertThrows(() => mx.quantize(w, 64, 4, 'nvfp4' as mx.QuantMode), /\[quantize\] Invalid quantization mode 'nvfp4'/);
    assertThrows(() => mx.quantize(w, 64, 4, 'mxfp4'), /\[quantize\] mxfp4 quantization requires group size 32/);
    const [wq, s, b] = mx.quantize(mx.zeros([8, 64]), 32, 4);
    assertThrows(() => mx.quantizedMatmul(mx.zeros([2, 60]), wq, s, b, true, 32, 4), /\[quantizedMatmul\] Last dimension of first input with shape \(2,60\) does not match the expanded quantized matrix \(64, 8\)/);
    assertThrows(() => mx.quantizedMatmul(mx.zeros([2, 64]), wq, s, null, true, 32, 4), /\[quantizedMatmul\] Biases must be provided/);
    assertThrows(() => mx.quantizedMatmul(mx.zeros([2, 64]), wq, s, b, true, 64, 4), /\[quantizedMatmul\] The shapes of the weight and scales are incompatible/);
    assertThrows(() => mx.dequantize(wq.astype(mx.int32), s, b, 32, 4), /\[dequantize\] The weight matrix should be uint32 but received int32/);
    assertThrows(() => mx.dequantize(wq, s, b, 32, 4, 'mxfp4'), /\[dequantize\] Biases must be null for quantization mode 'mxfp4'/);
    assertThrows(() => mx.gatherQmm(mx.zeros([1, 2, 64]), wq, s, b, null, mx.array([0.5]), true, 32, 4), /\[gatherQmm\] Indices must be integers/);
  });
});
