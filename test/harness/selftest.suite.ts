// Self-tests of the harness: the assertions (on every device) and a raw-WebGPU
// smoke case proving a GPU runner really executes a compute shader.
import { assertClose, assertEqual, assertRejects, assertShape, assertThrows, AssertionError } from './assert.ts';
import { suite } from './suite.ts';
import { rawGpuDevice } from './webgpu.ts';

export const harnessSuite = suite('harness', (test) => {
  test('assertClose passes within tolerance', () => {
    assertClose(1.0000001, 1);
    assertClose([1, 2, 3], new Float32Array([1, 2, 3]));
    assertClose([[1, 2], [3, 4]], [[1, 2], [3, 4 + 1e-7]]);
    assertClose([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity]);
    assertClose([1.05], [1], { rtol: 0.1 });
    assertClose([0.5], [0], { atol: 1 });
    assertClose([], []);
    assertClose([1n, true], [1, 1]);
  });

  test('assertClose reports index, values and max error', () => {
    const e = assertThrows(() => assertClose([[1, 2], [3, 5]], [[1, 2], [3, 4]], { msg: 'ctx' }), /ctx: 1 of 4/);
    const m = (e as Error).message;
    for (const part of ['first at [1, 1]', 'actual 5', 'expected 4', 'max abs error 1']) {
      if (!m.includes(part)) throw new AssertionError(`message lacks '${part}': ${m}`);
    }
    if (!(e instanceof AssertionError)) throw new Error('not an AssertionError');
  });

  test('assertClose is strict on shape, NaN and infinities', () => {
    assertThrows(() => assertClose([1, 2, 3, 4], [[1, 2], [3, 4]]), /shape mismatch: actual \[4\], expected \[2, 2\]/);
    assertThrows(() => assertClose(1, [1]), /shape mismatch/);
    assertThrows(() => assertClose([[1, 2], [3]], [[1, 2], [3, 4]]), /ragged/);
    assertThrows(() => assertClose([1, [2]], [1, 2]), /ragged/);
    assertThrows(() => assertClose([NaN], [NaN], { equalNan: false }), /first at \[0\]/);
    assertThrows(() => assertClose([NaN], [0]), /actual NaN, expected 0/);
    assertThrows(() => assertClose([1e308], [Infinity], { rtol: 1 }), /actual 1e\+308, expected Infinity/);
    assertThrows(() => assertClose([-Infinity], [Infinity]), /differ/);
    assertThrows(() => assertClose(1.1, 1), /first at \(scalar\)/);
  });

  test('assertEqual is deep and typed', () => {
    assertEqual({ a: [1, 2, { b: 'x' }], c: NaN }, { a: [1, 2, { b: 'x' }], c: NaN });
    assertEqual(new Int32Array([1, 2]), new Int32Array([1, 2]));
    assertEqual(new Map([[1, [2]]]), new Map([[1, [2]]]));
    assertEqual(0, -0);
    assertThrows(() => assertEqual([1, 2], [1, 3]), /at \[1\]: 2 !== 3/);
    assertThrows(() => assertEqual({ a: { b: 1 } }, { a: { b: 2 } }, 'deep'), /deep: not equal at \.a\.b/);
    assertThrows(() => assertEqual(new Int32Array([1]), new Float32Array([1])), /Int32Array vs Float32Array/);
    assertThrows(() => assertEqual([1], [1, 2]), /length 1 vs 2/);
    assertThrows(() => assertEqual({ a: 1 }, { b: 1 }), /keys/);
  });

  test('assertShape reads .shape or nesting', () => {
    assertShape({ shape: [2, 3] }, [2, 3]);
    assertShape([[1, 2, 3], [4, 5, 6]], [2, 3]);
    assertShape(5, []);
    assertThrows(() => assertShape({ shape: [2] }, [2, 1]), /shape \[2\], expected \[2, 1\]/);
  });

  test('assertThrows and assertRejects', async () => {
    assertThrows(() => {
      throw new TypeError('bad dtype');
    }, /dtype/);
    assertThrows(() => assertThrows(() => 1, /x/), /but fn returned 1/);
    assertThrows(() => assertThrows(() => { throw new Error('abc'); }, /xyz/), /'abc', which does not match/);
    assertThrows(() => assertThrows(async () => {}, /x/), /use assertRejects/);
    await assertRejects(async () => {
      throw new Error('async boom');
    }, /boom/);
    await assertRejects(() => Promise.reject(new Error('plain')), /plain/);
    await assertRejects(() => assertRejects(async () => 7, /x/), /resolved to 7/);
  });

  // Raw WebGPU, independent of mx: doubles 1024 floats in a compute shader, reads back via mapAsync.
  test('webgpu smoke: compute shader doubles numbers', async () => {
    const device = rawGpuDevice();
    const n = 1024;
    const input = Float32Array.from({ length: n }, (_, i) => i - 100.5);
    const data = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(data, 0, input);
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read_write> x: array<f32>;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
          if (id.x < arrayLength(&x)) { x[id.x] = 2.0 * x[id.x]; }
        }`,
    });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bind = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: data } }] });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(n / 64);
    pass.end();
    enc.copyBufferToBuffer(data, 0, staging, 0, n * 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    data.destroy();
    staging.destroy();
    assertClose(out, input.map((v) => 2 * v), { rtol: 0, atol: 0 });
  }, { devices: ['gpu'] });
});
