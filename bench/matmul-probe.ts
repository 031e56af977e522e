// Matmul probe (session 12): float16 products on subgroup-matrix units, A @ B and x @ W^T at
// prefill shapes, with each kernel's GPU time (the product and the pack of its float16 result),
// after a check against the CPU device and a clock warm-up (GPU clocks drop when it idles).
//   npx esbuild bench/matmul-probe.ts --bundle --format=esm --platform=node --external:webgpu --outfile=dist/gpu/matmul-probe.mjs
//   node dist/gpu/matmul-probe.mjs     (results: bench/results/matmul-sm-kstep-pack-*-s12.txt)
import * as mx from '../src/index.ts';
import { hotGpu } from './clocks.ts';
const device = await mx.gpu.init();
// correctness: GPU against the CPU device on whole and partial tiles, A@B and x@W^T
for (const [M, K, N] of [[256, 512, 384], [200, 96, 136]]) {
  for (const bt of [false, true]) {
    const a = mx.random.normal([M, K], mx.float32, 0, 1, { key: mx.random.key(1), stream: mx.cpu }).astype(mx.float16, { stream: mx.cpu });
    const b0 = mx.random.normal(bt ? [N, K] : [K, N], mx.float32, 0, 1, { key: mx.random.key(2), stream: mx.cpu }).astype(mx.float16, { stream: mx.cpu });
    const g = bt ? mx.matmul(a, mx.transpose(b0)) : mx.matmul(a, b0);
    const c = bt ? mx.matmul(a.astype(mx.float32, { stream: mx.cpu }), mx.transpose(b0.astype(mx.float32, { stream: mx.cpu }), undefined, { stream: mx.cpu }), { stream: mx.cpu }) : mx.matmul(a.astype(mx.float32, { stream: mx.cpu }), b0.astype(mx.float32, { stream: mx.cpu }), { stream: mx.cpu });
    const gv = (await g.astype(mx.float32).data()) as Float32Array, cv = (await c.data()) as Float32Array;
    let worst = 0;
    for (let i = 0; i < gv.length; i++) worst = Math.max(worst, Math.abs(gv[i] - cv[i]) / (1 + Math.abs(cv[i])));
    console.log(`check ${M}x${K}x${N} ${bt ? 'W^T' : 'A@B'}: worst rel err ${worst.toExponential(2)} ${worst < 2e-2 ? 'ok' : 'BAD'}`);
  }
}
// full clocks first (they drop after a second or so of idleness; bench/clocks.ts)
await hotGpu(device, 3000, 6000);
const shapes: [string, number, number, number, boolean][] = [
  ['A@B 2048^3', 2048, 2048, 2048, false], ['x@W^T 2048^3', 2048, 2048, 2048, true],
  ['x[512,2048]@W^T W[8192,2048]', 512, 2048, 8192, true], ['x[512,8192]@W^T W[2048,8192]', 512, 8192, 2048, true],
  ['A@B 512x8192x2048', 512, 8192, 2048, false], ['A@B 1024^3', 1024, 1024, 1024, false], ['x[512,2048]@W^T W[2048,2048]', 512, 2048, 2048, true],
  ['x[1024,8192]@W^T W[2048,8192]', 1024, 8192, 2048, true], ['A@B 4096^3', 4096, 4096, 4096, false], ['x@W^T 4096^3', 4096, 4096, 4096, true],
];
for (const [name, M, K, N, bt] of shapes) {
  const a = mx.random.normal([M, K]).astype(mx.float16);
  const b = bt ? mx.random.normal([N, K]).astype(mx.float16) : mx.random.normal([K, N]).astype(mx.float16);
  await mx.eval(a, b);
  const f = () => (bt ? mx.matmul(a, mx.transpose(b)) : mx.matmul(a, b));
  for (let i = 0; i < 3; i++) await mx.eval(f());
  const ts: string[] = [];
  for (let r = 0; r < 5; r++) {
    const lines: string[] = [];
    mx.setDebug({ timeKernels: true, log: (m) => { if (m.startsWith('[gpu time]')) lines.push(m); } });
    await mx.eval(f());
    mx.setDebug({ timeKernels: false, log: (m) => console.log(m) });
    ts.push(lines.join(' | '));
  }
  mx.setDebug({ logKernels: true, log: (m) => { if (m.startsWith('[gpu]')) console.log('   ', m.split('\n')[0]); } });
  await mx.eval(f());
  mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
  console.log(name, '\n   ', ts.join('\n    '), '\n    TFLOP/s at last:', (2 * M * K * N / Number(/([0-9.]+) us/.exec(ts[4])?.[1]) / 1e6).toFixed(1));
}
(globalThis as { process?: { exit(c: number): void } }).process?.exit(0);
