// Raw vec4 copy through WebGPU: the practical bandwidth limit of an adapter, the reference
// both benchmarks (bench/ops.ts, bench/suite.ts) report against.
import { spinAhead } from './clocks.ts';

/** The copy kernel: one vec4 per thread, src to dst (a 2-D grid of 256-thread workgroups). */
function copyPipeline(device: GPUDevice): GPUComputePipeline {
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>;
@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = g.x + g.y * n.x * 256u;
  if (i < arrayLength(&src)) { dst[i] = src[i]; }
}`,
  });
  return device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
}

/** Bytes capped at what one binding may hold (a software driver's limit can be below 256 MB). */
const capped = (device: GPUDevice, bytes: number) => Math.min(bytes, Math.floor(Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) / 4096) * 4096);

/** The bind group of a copy from `src` to `dst` and its workgroup grid for `bytes`. */
function copyOf(device: GPUDevice, pipe: GPUComputePipeline, src: GPUBuffer, dst: GPUBuffer, bytes: number): { bg: GPUBindGroup; grid: [number, number] } {
  const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }] });
  const groups = Math.ceil(bytes / 16 / 256);
  const gx = Math.min(groups, 65535);
  return { bg, grid: [gx, Math.ceil(groups / gx)] };
}

/** GB/s of a vec4 copy of `bytes` (capped at one binding), median of `reps` submits of 10 copies. */
export async function copyBandwidth(device: GPUDevice, bytes: number, reps: number): Promise<{ gbs: number; bytes: number }> {
  bytes = capped(device, bytes);
  device.pushErrorScope('validation');
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const a = device.createBuffer({ size: bytes, usage });
  const b = device.createBuffer({ size: bytes, usage });
  const probe = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  // a marker at the end of the source: the copy must have reached it
  const marker = new Uint32Array([0x12345678, 0x9abcdef0, 0x0badf00d, 0xfeedface]);
  device.queue.writeBuffer(a, bytes - 16, marker);
  const pipe = copyPipeline(device);
  const { bg, grid } = copyOf(device, pipe, a, b, bytes);
  const k = 10; // copies per submit, so the round trip does not dominate
  const run = async () => {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < k; i++) {
      const p = enc.beginComputePass();
      p.setPipeline(pipe);
      p.setBindGroup(0, bg);
      p.dispatchWorkgroups(...grid);
      p.end();
    }
    enc.copyBufferToBuffer(b, bytes - 16, probe, 0, 16);
    device.queue.submit([enc.finish()]);
    await probe.mapAsync(GPUMapMode.READ);
    const got = new Uint32Array(probe.getMappedRange().slice(0));
    probe.unmap();
    return got;
  };
  const first = await run();
  const err = await device.popErrorScope();
  if (err) throw new Error(`copy kernel: ${err.message}`);
  if (!marker.every((v, i) => first[i] === v)) throw new Error('copy kernel did not copy (marker missing)');
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    ts.push(performance.now() - t0);
  }
  ts.sort((x, y) => x - y);
  const ms = ts[Math.floor(ts.length / 2)];
  a.destroy();
  b.destroy();
  probe.destroy();
  return { gbs: (2 * bytes * k) / (ms / 1e3) / 1e9, bytes };
}

/**
 * GPU time (timestamps) of `count` vec4 copies of `bytes` each between distinct buffers, back to
 * back in one pass: what streaming that many bytes costs where each kernel reads its own
 * buffer (null where the adapter has no timestamp-query). `spin` ms of arithmetic (spinAhead) go
 * ahead of each repetition.
 */
export async function copyStreamGpu(device: GPUDevice, bytes: number, count: number, reps = 5, spin = 0): Promise<{ us: number; gbs: number } | null> {
  if (!device.features.has('timestamp-query')) return null;
  const usage = GPUBufferUsage.STORAGE;
  const bufs = Array.from({ length: 2 * count }, () => device.createBuffer({ size: bytes, usage }));
  const pipe = copyPipeline(device);
  const copies = Array.from({ length: count }, (_, i) => copyOf(device, pipe, bufs[2 * i], bufs[2 * i + 1], bytes));
  const set = device.createQuerySet({ type: 'timestamp', count: 2 });
  const res = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const out = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const ts: number[] = [];
  for (let r = 0; r <= reps; r++) {
    if (spin) spinAhead(device, spin);
    const enc = device.createCommandEncoder();
    const p = enc.beginComputePass({ timestampWrites: { querySet: set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    p.setPipeline(pipe);
    for (const c of copies) {
      p.setBindGroup(0, c.bg);
      p.dispatchWorkgroups(...c.grid);
    }
    p.end();
    enc.resolveQuerySet(set, 0, 2, res, 0);
    enc.copyBufferToBuffer(res, 0, out, 0, 16);
    device.queue.submit([enc.finish()]);
    await out.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(out.getMappedRange().slice(0));
    out.unmap();
    if (r > 0) ts.push(Number(t[1] - t[0]) / 1e3 / count);
  }
  for (const b of [...bufs, res, out]) b.destroy();
  set.destroy();
  ts.sort((a, b) => a - b);
  const us = ts[ts.length >> 1];
  return { us, gbs: (2 * bytes) / us / 1e3 };
}
