// The first demo: fit a line with valueAndGrad on the GPU, in the page.
import * as mx from '../../src/index.ts';

const out = document.getElementById('out')!;
const log = (s: string) => (out.textContent += s + '\n');

async function run(): Promise<void> {
  const dev = await mx.gpu.init();
  log(`WebGPU adapter ready (${(dev as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo?.description || 'unknown'})`);
  const key = mx.random.key(0);
  const [k1, k2] = mx.random.split(key);
  const x = mx.random.uniform(-1, 1, [256, 1], mx.float32, { key: k1 });
  const y = mx.add(mx.multiply(x, 3), mx.add(0.5, mx.multiply(mx.random.normal([256, 1], mx.float32, 0, 1, { key: k2 }), 0.05)));
  let params = { w: mx.zeros([1, 1]), b: mx.zeros([1]) };
  const loss = (p: typeof params) => mx.mean(mx.square(mx.subtract(mx.add(mx.matmul(x, p.w), p.b), y)));
  const step = mx.valueAndGrad(loss);
  for (let i = 0; i <= 100; i++) {
    const [l, g] = step(params) as [mx.MxArray, typeof params];
    params = { w: mx.subtract(params.w, mx.multiply(g.w, 0.3)), b: mx.subtract(params.b, mx.multiply(g.b, 0.3)) };
    await mx.eval(l, params);
    if (i % 20 === 0) log(`step ${i}: loss ${((await l.item()) as number).toFixed(5)}`);
  }
  log(`w = ${((await params.w.item()) as number).toFixed(3)} (true 3), b = ${((await params.b.item()) as number).toFixed(3)} (true 0.5)`);
  (globalThis as { __done?: boolean }).__done = true;
}

run().catch((e) => {
  log(`error: ${(e as Error).message}`);
  (globalThis as { __error?: string }).__error = String(e);
});
