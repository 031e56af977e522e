// Brings the GPU to its working clocks before a timed run. The lent H100 drops its SM clock
// from 1980 MHz towards 345 MHz within a second or two of idleness and takes 1-3 s of load to
// climb back (nvidia-smi sampled every 0.2 s: bench/results/clocks-h100-node-2026-11-27-s13.csv),
// so work timed after host-side set-up ran up to 4x slower.

interface Spinner { pipe: GPUComputePipeline; bg: GPUBindGroup; best: number }
const spinners = new WeakMap<GPUDevice, Spinner>();

/** An arithmetic loop (no memory traffic): its time tracks the SM clock. */
function spinner(device: GPUDevice): Spinner {
  let s = spinners.get(device);
  if (s) return s;
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read_write> sink: array<f32>;
@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  var a = f32(g.x) * 1e-9;
  var b = 1.0;
  for (var i = 0u; i < 4096u; i++) {
    b = fma(b, 0.999999, a);
    a = fma(a, 1.000001, 1e-7);
  }
  // never true; keeps the loop from being removed
  if (b == 12345.0) { sink[0] = a; }
}`,
  });
  const pipe = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const sink = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
  const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: sink } }] });
  s = { pipe, bg, best: Infinity };
  spinners.set(device, s);
  return s;
}

/** Wall ms of one submit of `n` spin dispatches, waited for. */
async function batch(device: GPUDevice, s: Spinner, n: number): Promise<number> {
  const t0 = performance.now();
  const enc = device.createCommandEncoder();
  const p = enc.beginComputePass();
  p.setPipeline(s.pipe);
  p.setBindGroup(0, s.bg);
  for (let i = 0; i < n; i++) p.dispatchWorkgroups(1024);
  p.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

/**
 * Spins the GPU until a fixed batch of arithmetic (~4 ms on the H100) runs within 8% of the fastest batch this
 * device has run (at least `minMs`, at most `maxMs`). The first call should be long
 * (`minMs` of a few seconds) so that the fastest batch is one at full clocks.
 */
export async function hotGpu(device: GPUDevice, minMs = 0, maxMs = 4000): Promise<{ ms: number; batchMs: number }> {
  const s = spinner(device);
  const t0 = performance.now();
  let last = Infinity;
  for (;;) {
    last = await batch(device, s, 100);
    s.best = Math.min(s.best, last);
    const ms = performance.now() - t0;
    if ((ms >= minMs && last <= s.best * 1.08) || ms >= maxMs) return { ms, batchMs: last };
  }
}

/**
 * Queues about `ms` of spin arithmetic without waiting, so that the work submitted next starts
 * on a GPU that is already busy: repetitions separated by host work otherwise leave it idle
 * often enough to lower its clocks. Arithmetic, not copies: timed right after 15 ms of copies,
 * the 4-bit GEMVs ran 5-9% slower (written lines left in the L2 cache, we suppose).
 */
export function spinAhead(device: GPUDevice, ms: number): void {
  const s = spinner(device);
  // best: the fastest 100-dispatch batch seen (hotGpu); 40 us a dispatch until one has run
  const per = Number.isFinite(s.best) ? s.best / 100 : 0.04;
  const enc = device.createCommandEncoder();
  const p = enc.beginComputePass();
  p.setPipeline(s.pipe);
  p.setBindGroup(0, s.bg);
  for (let i = 0, n = Math.ceil(ms / per); i < n; i++) p.dispatchWorkgroups(1024);
  p.end();
  device.queue.submit([enc.finish()]);
}
