// The compiler's dispatch and submit counts for known graphs (issue #3): a GELU chain is
// one kernel and one submit, softmax(x @ w + b) at most three kernels; fused and compiled
// results equal the CPU reference.
import * as mx from '../../src/index.ts';
import { sliceUpdateDonated } from '../../src/ops/indexing.ts';
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual } from '../harness/assert.ts';
import { onDevice, nums } from './common.ts';

/** Kernels (from setDebug) and queue submits of evaluating `f()`'s outputs on the GPU. */
async function counts(f: () => mx.MxArray[]): Promise<{ kernels: string[]; submits: number; out: mx.MxArray[] }> {
  const dev = mx.gpu.device!;
  const q = dev.queue as GPUQueue & { submit: GPUQueue['submit'] };
  const orig = q.submit;
  let submits = 0;
  q.submit = function (this: GPUQueue, cbs: Iterable<GPUCommandBuffer>) {
    submits++;
    return orig.call(this, cbs);
  } as GPUQueue['submit'];
  const kernels: string[] = [];
  mx.setDebug({ logKernels: true, log: (m) => kernels.push(m.split('\n')[0]) });
  try {
    const out = f();
    await mx.eval(...out);
    return { kernels, submits, out };
  } finally {
    mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
    q.submit = orig;
  }
}

const gelu = (x: mx.MxArray) => {
  const t = mx.add(mx.multiply(x, 1.5), 0.5);
  return mx.multiply(mx.multiply(mx.multiply(t, 0.5), mx.add(1, mx.erf(mx.divide(t, Math.SQRT2)))), x);
};

export const fusionSuite = suite('fusion', (t) => {
  const test = onDevice(t);

  test('a GELU chain on one array is one kernel and one submit', async (ctx) => {
    const x = mx.random.uniform(-2, 2, [4099], mx.float32, { key: mx.random.key(1) });
    await mx.eval(x);
    const ref = await nums(gelu(x.astype(mx.float32, { stream: mx.cpu })));
    if (ctx.device !== 'gpu') {
      assertClose(await nums(gelu(x)), ref, { rtol: 1e-5, atol: 1e-6 });
      return;
    }
    const { kernels, submits, out } = await counts(() => [gelu(x)]);
    assert(kernels.length === 1 && submits === 1, `kernels: ${kernels.join('; ')}; submits ${submits}`);
    assertClose(await nums(out[0]), ref, { rtol: 1e-5, atol: 1e-6 });
  });

  test('32-bit elementwise kernels run 4 elements a thread: vec4 loads where aligned, scalar reads otherwise', async (ctx) => {
    const k = (s: number) => mx.random.key(s);
    const a = mx.random.normal([8, 12], mx.float32, 0, 1, { key: k(11) });
    const b = mx.random.normal([12], mx.float32, 0, 1, { key: k(12) });
    const h = mx.random.normal([8, 8], mx.float32, 0, 1, { key: k(13) }).astype(mx.float16);
    const n = mx.random.randint(-50, 50, [8, 8], mx.int32, { key: k(14) });
    await mx.eval(a, b, h, n);
    const cases: [string, (d?: mx.Device) => mx.MxArray, boolean | 'f16'][] = [
      // label, graph, whether every input is a vec4 load
      ['contiguous + broadcast row', (d) => mx.exp(mx.add(mx.multiply(a, 2, { stream: d }), b, { stream: d }), { stream: d }), true],
      ['unaligned slice', (d) => mx.sin(a.index(':', '1:9'), { stream: d }), false],
      ['aligned slice + transpose', (d) => mx.add(a.index(':', '4:12'), mx.transpose(a.index(':', ':8')), { stream: d }), false],
      // float16 data is read 4 values per load on shader-f16 devices (vec4<f16>) only
      ['float16 input, int32 and bool math', (d) => mx.where(mx.greater(n, 0, { stream: d }), mx.astype(h, mx.float32, { stream: d }), mx.astype(mx.remainder(n, 7, { stream: d }), mx.float32, { stream: d }), { stream: d }), 'f16'],
      ['int32 result', (d) => mx.add(mx.multiply(n, 3, { stream: d }), mx.floorDivide(n, 4, { stream: d }), { stream: d }), true],
      ['float16 result', (d) => mx.multiply(mx.add(h, 1, { stream: d }), h, { stream: d }), 'f16'],
    ];
    const f16 = ctx.device === 'gpu' && mx.gpu.device!.features.has('shader-f16');
    for (const [label, f, quads] of cases) {
      const allQuads = quads === 'f16' ? f16 : quads;
      const ref = await nums(f(mx.cpu));
      if (ctx.device !== 'gpu') {
        assertClose(await nums(f()), ref, { rtol: 1e-6, atol: 0 });
        continue;
      }
      const codes: string[] = [];
      mx.setDebug({ logKernels: true, log: (m) => codes.push(m) });
      let y: mx.MxArray;
      try {
        y = f();
        await mx.eval(y);
      } finally {
        mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
      }
      // float16 results are vectorised on shader-f16 devices only
      const vec = !label.startsWith('float16 result') || f16;
      assert(codes.length === 1 && codes[0].includes('fn map4_main') === vec, `${label}: ${codes.map((c) => c.split('\n')[0]).join('; ')}`);
      assert(allQuads === !/array<u32>;\nfn ld|fn ldq|fn ldh/.test(codes[0]), `${label}: vec4 loads ${allQuads ? 'expected' : 'not expected'} for every input`);
      assertClose(await nums(y), ref, { rtol: 1e-6, atol: 0 });
    }
  });

  test('softmax(x @ w + b) takes at most 3 kernels and matches the CPU', async (ctx) => {
    const k = (s: number) => mx.random.key(s);
    const x = mx.random.normal([37, 29], mx.float32, 0, 1, { key: k(2) });
    const w = mx.random.normal([29, 101], mx.float32, 0, 1, { key: k(3) });
    const b = mx.random.normal([101], mx.float32, 0, 1, { key: k(4) });
    await mx.eval(x, w, b);
    const f = () => [mx.softmax(mx.add(mx.matmul(x, w), b), -1)];
    const ref = await nums(mx.softmax(mx.add(mx.matmul(x, w, { stream: mx.cpu }), b, { stream: mx.cpu }), -1, false, { stream: mx.cpu }));
    if (ctx.device !== 'gpu') {
      assertClose(await nums(f()[0]), ref, { rtol: 1e-5, atol: 1e-7 });
      return;
    }
    const { kernels, submits, out } = await counts(f);
    assert(kernels.length <= 3 && submits === 1, `kernels: ${kernels.join('; ')}; submits ${submits}`);
    assertClose(await nums(out[0]), ref, { rtol: 1e-5, atol: 1e-7 });
  });

  test('identical nodes are computed once (two equal reductions are one kernel); -0, NaN and inf constants stay distinct', async (ctx) => {
    const x = mx.random.normal([64, 33], mx.float32, 0, 1, { key: mx.random.key(6) });
    await mx.eval(x);
    const f = () => [mx.add(mx.sum(mx.exp(x), 1), mx.sum(mx.exp(x), 1))];
    const want = (await nums(mx.sum(mx.exp(x), 1))).map((v) => 2 * v);
    if (ctx.device === 'gpu') {
      const { kernels, out } = await counts(f);
      assert(kernels.filter((k) => k.startsWith('[gpu] sum')).length === 1, kernels.join('; '));
      assertClose(await nums(out[0]), want, { rtol: 1e-6 });
    } else assertClose(await nums(f()[0]), want, { rtol: 1e-6 });
    const a = mx.full([2], -0, mx.float32), b = mx.full([2], 0, mx.float32), c = mx.full([2], NaN), d = mx.full([2], Infinity);
    const same = mx.full([2], 3), same2 = mx.full([2], 3);
    await mx.eval(a, b, c, d, same, same2);
    assert(Object.is((await nums(a))[0], -0) && Object.is((await nums(b))[0], 0), 'signed zeros');
    assert(Number.isNaN((await nums(c))[0]) && (await nums(d))[0] === Infinity, 'NaN and inf');
    assertClose(await nums(same2), [3, 3]);
  });

  test('a matmul followed by bias and activation is one kernel (epilogue), tiled and GEMV', async (ctx) => {
    const k = (s: number) => mx.random.key(s);
    const w = mx.random.normal([29, 67], mx.float32, 0, 1, { key: k(7) });
    const b = mx.random.normal([67], mx.float32, 0, 1, { key: k(8) });
    const r = mx.random.normal([40, 67], mx.float32, 0, 1, { key: k(12) });
    for (const rows of [40, 3]) {
      const x = mx.random.normal([rows, 29], mx.float32, 0, 1, { key: k(9 + rows) });
      await mx.eval(x, w, b, r);
      // bias, GELU-like activation and a residual, all in the matmul's store hook
      const res = mx.sliceAxes(r, [0], [0], [rows]);
      await mx.eval(res);
      const f = () => [mx.add(mx.tanh(mx.add(mx.matmul(x, w), b)), res)];
      const c = { stream: mx.cpu };
      const ref = await nums(mx.add(mx.tanh(mx.add(mx.matmul(x, w, c), b, c), c), res, c));
      if (ctx.device !== 'gpu') {
        assertClose(await nums(f()[0]), ref, { rtol: 1e-5, atol: 1e-6 });
        continue;
      }
      const { kernels, out } = await counts(f);
      assert(kernels.length === 1 && kernels[0].startsWith('[gpu] matmul'), kernels.join('; '));
      // (GPU tanh builtins differ from the CPU's by a few ulp of the pre-activation: 1.2e-6 on an H100)
      assertClose(await nums(out[0]), ref, { rtol: 1e-5, atol: 3e-6 });
    }
  });

  test('a quantized matmul takes an elementwise epilogue (residual add, activation): one kernel, GEMV and tiled', async (ctx) => {
    const k = (s: number) => mx.random.key(s);
    const w = mx.random.normal([48, 64], mx.float32, 0, 1, { key: k(20) });
    const [wq, sc, bi] = mx.quantize(w, 32, 4);
    const r = mx.random.normal([12, 48], mx.float32, 0, 1, { key: k(21) });
    for (const rows of [1, 12]) {
      const x = mx.random.normal([rows, 64], mx.float32, 0, 1, { key: k(22 + rows) });
      const res = mx.sliceAxes(r, [0], [0], [rows]);
      await mx.eval(x, wq, sc, bi!, res);
      const f = () => [mx.add(mx.sigmoid(mx.quantizedMatmul(x, wq, sc, bi!, true, 32, 4)), res)];
      const c = { stream: mx.cpu };
      const ref = await nums(mx.add(mx.sigmoid(mx.quantizedMatmul(x, wq, sc, bi!, true, 32, 4, 'affine', c), c), res, c));
      if (ctx.device !== 'gpu') {
        assertClose(await nums(f()[0]), ref, { rtol: 1e-5, atol: 1e-5 });
        continue;
      }
      const { kernels, out } = await counts(f);
      assert(kernels.length === 1 && kernels[0].startsWith('[gpu] quantizedMatmul'), kernels.join('; '));
      assertClose(await nums(out[0]), ref, { rtol: 1e-4, atol: 1e-4 });
    }
  });

  test('a repeated graph replays its recorded dispatches with new inputs (and in-place updates)', async (ctx) => {
    const k = (s: number) => mx.random.key(s);
    const w = mx.random.normal([24, 10], mx.float32, 0, 1, { key: k(30) });
    const b = mx.random.normal([10], mx.float32, 0, 1, { key: k(31) });
    await mx.eval(w, b);
    const plans = ctx.device === 'gpu' ? (await import('../../src/backend/webgpu/context.ts')).currentContext()?.pool.plans : undefined;
    const hits0 = plans?.hits ?? 0;
    let cache = mx.zeros([4, 10], mx.float32);
    await mx.eval(cache);
    for (let i = 0; i < 4; i++) {
      const x = mx.random.normal([4, 24], mx.float32, 0, 1, { key: k(40 + i) });
      await mx.eval(x);
      const y = mx.softmax(mx.add(mx.matmul(x, w), b), -1);
      const row = mx.sliceAxes(y, [0], [i], [i + 1]);
      cache = sliceUpdateDonated(cache, mx.multiply(row, i + 1), [i], [0]);
      await mx.eval(y, cache);
      const c = { stream: mx.cpu };
      assertClose(await nums(y), await nums(mx.softmax(mx.add(mx.matmul(x, w, c), b, c), -1, false, c)), { rtol: 1e-5, atol: 1e-6 });
      assertClose(await nums(mx.sliceAxes(cache, [0], [i], [i + 1])), (await nums(row)).map((v) => v * (i + 1)), { rtol: 1e-5, atol: 1e-6 });
    }
    // structures recur from the second step (the row index is a parameter of its own)
    if (plans) assert(plans.hits > hits0, `replays: ${plans.hits - hits0}`);
  });

  test('a replayed graph keeps its bind groups and makes no buffers when its small inputs and outputs change', async (ctx) => {
    const k = (s: number) => mx.random.key(s);
    const w = mx.random.normal([24, 10], mx.float32, 0, 1, { key: k(50) });
    await mx.eval(w);
    const dev = ctx.device === 'gpu' ? mx.gpu.device! : null;
    const orig = dev ? { bg: dev.createBindGroup, buf: dev.createBuffer } : null;
    let groups = 0, buffers = 0;
    if (dev && orig) {
      dev.createBindGroup = function (this: GPUDevice, d: GPUBindGroupDescriptor) {
        groups++;
        return orig.bg.call(this, d);
      };
      dev.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor) {
        buffers++;
        return orig.buf.call(this, d);
      };
    }
    try {
      for (let i = 0; i < 6; i++) {
        // a fresh GPU input and a fresh host array (written into the plan's stand-in) each step
        const x = mx.random.normal([4, 24], mx.float32, 0, 1, { key: k(60 + i) });
        await mx.eval(x);
        groups = buffers = 0;
        const shift = mx.array([i * 0.25, -i], mx.float32);
        const y = mx.add(mx.exp(mx.matmul(x, w)), mx.reshape(mx.tile(shift, [5]), [1, 10]));
        await mx.eval(y);
        const c = { stream: mx.cpu };
        const want = mx.add(mx.exp(mx.matmul(x, w, c), c), mx.reshape(mx.tile(mx.array([i * 0.25, -i], mx.float32, c), [5], c), [1, 10], c), c);
        assertClose(await nums(y), await nums(want), { rtol: 1e-5, atol: 1e-6 });
        x.dispose();
        y.dispose();
      }
      if (dev) assertEqual([groups, buffers], [0, 0], 'bind groups and buffers created by the sixth run');
    } finally {
      if (dev && orig) {
        dev.createBindGroup = orig.bg;
        dev.createBuffer = orig.buf;
      }
    }
  });

  test('a reduction with an elementwise consumer is one kernel (mean, L2 norm)', async (ctx) => {
    const x = mx.random.normal([33, 300], mx.float32, 0, 1, { key: mx.random.key(13) });
    await mx.eval(x);
    const f = () => [mx.mean(x, 1), mx.sqrt(mx.sum(mx.square(x), -1))];
    const c = { stream: mx.cpu };
    const refs = [await nums(mx.mean(x, 1, false, c)), await nums(mx.sqrt(mx.sum(mx.square(x, c), -1, false, c), c))];
    if (ctx.device !== 'gpu') {
      const o = f();
      for (let i = 0; i < 2; i++) assertClose(await nums(o[i]), refs[i], { rtol: 1e-5, atol: 1e-6 });
      return;
    }
    const { kernels, out } = await counts(f);
    assert(kernels.length === 2, kernels.join('; '));
    for (let i = 0; i < 2; i++) assertClose(await nums(out[i]), refs[i], { rtol: 1e-5, atol: 1e-6 });
  });

  test('compiled and eager results are bitwise equal; softmax over other axes and its gradient', async () => {
    const x = mx.random.normal([6, 5, 7], mx.float32, 0, 1, { key: mx.random.key(5) });
    await mx.eval(x);
    const f = (a: mx.MxArray) => mx.add(gelu(a), mx.softmax(a, 1));
    const eager = await nums(f(x));
    const compiled = await nums(mx.compile(f)(x));
    assert(eager.every((v, i) => Object.is(v, compiled[i])), 'compiled == eager bitwise');
    for (const ax of [0, 1, 2]) {
      const s = await nums(mx.softmax(x, ax));
      const xv = await nums(x);
      const [A, B, C] = [6, 5, 7];
      const ref: number[] = new Array(xv.length);
      const at = (i: number, j: number, l: number) => (i * B + j) * C + l;
      for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) for (let l = 0; l < C; l++) {
        let m = -Infinity, z = 0;
        const idx = (q: number) => (ax === 0 ? at(q, j, l) : ax === 1 ? at(i, q, l) : at(i, j, q));
        const n = [A, B, C][ax];
        for (let q = 0; q < n; q++) m = Math.max(m, xv[idx(q)]);
        for (let q = 0; q < n; q++) z += Math.exp(xv[idx(q)] - m);
        ref[at(i, j, l)] = Math.exp(xv[at(i, j, l)] - m) / z;
      }
      assertClose(s, ref, { rtol: 1e-5, atol: 1e-7 });
    }
    // d/dx sum(softmax(x) * c) = s * (c - sum(c * s))
    const c = mx.arange(0, 7, 1, mx.float32);
    const g = await nums(mx.grad((a: mx.MxArray) => mx.sum(mx.multiply(mx.softmax(a, -1), c)))(x));
    const s = mx.softmax(x, -1);
    const want = await nums(mx.multiply(s, mx.subtract(c, mx.sum(mx.multiply(c, s), -1, true))));
    assertClose(g, want, { rtol: 1e-5, atol: 1e-6 });
  });
});
