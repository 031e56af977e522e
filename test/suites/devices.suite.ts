// Devices: the default device, per-op {stream}, arrays moving between cpu and gpu.
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertThrows } from '../harness/assert.ts';
import { mx, nums, onDevice, GPU_ONLY } from './common.ts';

export const devicesSuite = suite('devices', (t) => {
  const test = onDevice(t);

  test('the runner selects the default device', (ctx) => {
    assertEqual(mx.defaultDevice().type, ctx.device);
    const a = mx.zeros([2]);
    assertEqual(a.device.type, ctx.device);
    assertEqual(mx.exp(a).device.type, ctx.device);
  });

  test('setDefaultDevice switches and restores', (ctx) => {
    const prev = mx.defaultDevice();
    try {
      mx.setDefaultDevice(mx.cpu);
      assertEqual(mx.defaultDevice(), mx.cpu);
      assertEqual(mx.ones([1]).device, mx.cpu);
    } finally {
      mx.setDefaultDevice(prev);
    }
    assertEqual(mx.defaultDevice().type, ctx.device);
  });

  test('{stream: mx.cpu} runs an op on the cpu whatever the default', async () => {
    const a = mx.array([1, 2, 3], mx.float32);
    const b = mx.exp(a, { stream: mx.cpu });
    const c = mx.add(b, a, { stream: mx.cpu });
    const d = mx.sum(c, undefined, false, { stream: mx.cpu });
    assertEqual(b.device, mx.cpu);
    assertEqual(d.device, mx.cpu);
    await mx.eval(d, c);
    const want = [1, 2, 3].map((x) => Math.exp(x) + x);
    assertClose(await nums(c), want, { rtol: 1e-6 });
    assertClose(await nums(d), [want.reduce((p, q) => p + q)], { rtol: 1e-6 });
  });

  test('a cpu array used by a gpu op and back', async () => {
    const x = mx.array([[1, -2], [3, 4]], mx.float32, { stream: mx.cpu });
    await mx.eval(x);
    const g = mx.multiply(mx.abs(x, { stream: mx.gpu }), 2, { stream: mx.gpu });
    assertEqual(g.device, mx.gpu);
    const back = mx.add(g, x, { stream: mx.cpu });
    const s = mx.sum(back, 1, false, { stream: mx.gpu });
    await mx.eval(back, s);
    assertEqual(await back.tolist(), [[3, 2], [9, 12]]);
    assertEqual(await s.tolist(), [5, 21]);
    assertEqual(await g.tolist(), [[2, 4], [6, 8]]);
  }, GPU_ONLY);

  test('a gpu result feeds cpu-only 64-bit work after a cast on the cpu', async () => {
    const g = mx.add(mx.arange(4, undefined, undefined, mx.int32, { stream: mx.gpu }), 1, { stream: mx.gpu });
    const wide = mx.astype(g, mx.int64, { stream: mx.cpu });
    const big = mx.multiply(wide, 2 ** 33, { stream: mx.cpu });
    assertEqual(await big.tolist(), [1, 2, 3, 4].map((v) => v * 2 ** 33));
  }, GPU_ONLY);

  test('64-bit arrays live on the cpu stream on any default device', async () => {
    const a = mx.array([2 ** 40, 3], mx.int64, { stream: mx.cpu });
    const b = mx.add(a, a, { stream: mx.cpu });
    assertEqual(b.dtype, mx.int64);
    assertEqual(await b.tolist(), [2 ** 41, 6]);
    assertThrows(() => mx.add(a, a, { stream: mx.gpu }), /int64.*GPU/);
  });

  test('mx.gpu exposes use/init and its GPUDevice', () => {
    assert(typeof mx.gpu.use === 'function' && typeof mx.gpu.init === 'function', 'gpu.use and gpu.init exist');
    assertEqual(mx.cpu.type, 'cpu');
    assertEqual(mx.gpu.type, 'gpu');
  });

  test('the GPUDevice is available once gpu work ran', async () => {
    await mx.eval(mx.add(mx.ones([4]), 1));
    assert(mx.gpu.device !== null, 'mx.gpu.device after a gpu evaluation');
  }, GPU_ONLY);
});
