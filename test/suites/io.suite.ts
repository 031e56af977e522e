// Array file I/O: .npy, .npz (stored and deflated) and safetensors round trips for every
// dtype, files written by NumPy, dispatch by magic, and malformed or truncated files.
import * as mx from '../../src/index.ts';
import * as io from '../../src/io/index.ts';
import { arrayBytes } from '../../src/io/bytes.ts';
import { suite, type TestCtx } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertRejects } from '../harness/assert.ts';
import { arrayFiles } from '../fixtures/opt_media.gen.ts';

const dev = (ctx: TestCtx) => mx.setDefaultDevice(ctx.device === 'cpu' ? mx.cpu : mx.gpu);
const CPU = { devices: ['cpu' as const] };
export const b64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** One array per dtype, with edge values; 64-bit ones only when `wide`. */
function samples(wide: boolean): Record<string, mx.MxArray> {
  const out: Record<string, mx.MxArray> = {
    bool: mx.array([[true, false, true], [false, false, true]]),
    uint8: mx.array([0, 1, 255, 128], mx.uint8),
    uint16: mx.array([0, 65535, 1234], mx.uint16),
    uint32: mx.array([0, 4294967295, 7], mx.uint32),
    int8: mx.array([-128, 127, 0, -1], mx.int8),
    int16: mx.array([-32768, 32767, 5], mx.int16),
    int32: mx.reshape(mx.array([-2147483648, 2147483647, 0, 1, -1, 9], mx.int32), [3, 2]),
    float16: mx.array([0.5, -65504, 6e-8, Infinity, NaN, -0], mx.float16),
    bfloat16: mx.array([1, -3.140625, 1e20, -Infinity, NaN], mx.bfloat16),
    float32: mx.reshape(mx.array([1.5, -2.25, 3.4e38, 1e-45, NaN, -Infinity], mx.float32), [2, 1, 3]),
    scalar: mx.array(3.25, mx.float32),
    empty: mx.zeros([0, 3], mx.int16),
    transposed: mx.transpose(mx.reshape(mx.arange(12, undefined, undefined, mx.float32), [3, 4])),
  };
  if (wide) {
    const c = { stream: mx.cpu };
    out.int64 = mx.array([-(2n ** 63n), 2n ** 62n + 1n, 0n], mx.int64, c);
    out.uint64 = mx.array([2n ** 64n - 1n, 3n], mx.uint64, c);
    out.float64 = mx.array([Math.PI, -Number.MAX_VALUE, 5e-324, NaN], mx.float64, c);
  }
  return out;
}

async function sameArray(got: mx.MxArray, exp: mx.MxArray, what: string): Promise<void> {
  assertEqual(got.dtype.name, exp.dtype.name, `${what} dtype`);
  assertEqual([...got.shape], [...exp.shape], `${what} shape`);
  assertEqual(hex(await arrayBytes(got)), hex(await arrayBytes(exp)), `${what} bytes`);
}

async function roundTrips(wide: boolean): Promise<void> {
  const arrs = samples(wide);
  for (const [name, a] of Object.entries(arrs)) {
    await sameArray(io.decodeNpy(await io.save(null, a)), a, `npy ${name}`);
    await sameArray((await io.load(await io.save(a))) as mx.MxArray, a, `npy via load ${name}`);
  }
  for (const compressed of [false, true]) {
    const bytes = compressed ? await io.savezCompressed(null, arrs) : await io.savez(arrs);
    const back = (await io.load(bytes)) as Record<string, mx.MxArray>;
    assertEqual(Object.keys(back), Object.keys(arrs), 'npz names');
    for (const [name, a] of Object.entries(arrs)) await sameArray(back[name], a, `npz${compressed ? ' deflated' : ''} ${name}`);
  }
  const st = await io.saveSafetensors(arrs, { framework: 'webmlx', note: 'ü' });
  const [back, meta] = (await io.load(st, { returnMetadata: true })) as [Record<string, mx.MxArray>, Record<string, string>];
  assertEqual(meta, { framework: 'webmlx', note: 'ü' });
  for (const [name, a] of Object.entries(arrs)) await sameArray(back[name], a, `safetensors ${name}`);
}

/** Every proper prefix of a valid file must be rejected with a clear format error. */
async function rejectsTruncations(bytes: Uint8Array, load: (b: Uint8Array) => Promise<unknown>, re: RegExp): Promise<void> {
  const cuts = new Set<number>();
  for (let i = 0; i < bytes.length; i += Math.max(1, Math.floor(bytes.length / 97))) cuts.add(i);
  for (const i of [0, 1, 7, 8, 9, 10, 11, bytes.length - 1, bytes.length - 2, bytes.length - 22]) if (i >= 0 && i < bytes.length) cuts.add(i);
  for (const n of cuts) {
    await assertRejects(() => load(bytes.slice(0, n)), re).catch((e) => {
      throw new Error(`truncated to ${n} of ${bytes.length} bytes: ${(e as Error).message}`);
    });
  }
}

function patch(b: Uint8Array, at: number, text: string | number[]): Uint8Array {
  const c = b.slice();
  const v = typeof text === 'string' ? new TextEncoder().encode(text) : Uint8Array.from(text);
  c.set(v, at);
  return c;
}

export const ioSuite = suite('io', (test) => {
  test('round trips: npy, npz (stored, deflated), safetensors, every 8/16/32-bit dtype', async (ctx) => {
    dev(ctx);
    await roundTrips(false);
  });

  test('round trips of 64-bit dtypes (cpu)', async (ctx) => {
    dev(ctx);
    await roundTrips(true);
  }, CPU);

  test('npy bytes are exactly what NumPy writes', async (ctx) => {
    dev(ctx);
    const b = await io.save(mx.reshape(mx.arange(6, undefined, undefined, mx.int32), [2, 3]));
    const header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }";
    const total = Math.ceil((10 + header.length + 1) / 64) * 64; // NumPy aligns the data to 64 bytes
    const expected = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
    assertEqual(new TextDecoder().decode(b.subarray(10, total)), expected);
    assertEqual(Array.from(b.subarray(0, 10)), [0x93, 78, 85, 77, 80, 89, 1, 0, total - 10, 0]);
    assertEqual(b.length, total + 24);
    const one = await io.save(mx.array([1], mx.bfloat16));
    assert(new TextDecoder().decode(one).includes("'descr': '<V2', 'fortran_order': False, 'shape': (1,), }"), 'bfloat16 as <V2, 1-d shape as (1,)');
  });

  for (const f of arrayFiles) {
    test(`loads ${f.name} (${f.kind === 'safetensors' ? 'written from the spec' : 'written by NumPy'})`, async (ctx) => {
      dev(ctx);
      const bytes = b64(f.b64);
      const out = f.kind === 'npy' ? { '': (await io.load(bytes)) as mx.MxArray } : f.kind === 'npz'
        ? await io.loadNpz(bytes) : (await io.loadSafetensors(bytes)).arrays;
      assertEqual(Object.keys(out).sort(), Object.keys(f.arrays).sort(), 'names');
      for (const [name, spec] of Object.entries(f.arrays)) {
        const a = out[name];
        assertEqual(a.dtype.name, spec.dtype, `${name} dtype`);
        assertEqual([...a.shape], spec.shape, `${name} shape`);
        const vals = spec.dtype === 'int64' ? Array.from((await a.data()) as BigInt64Array, (x) => Number(x)) : Array.from((await a.data()) as ArrayLike<number>, Number);
        // float32-family values are written as their shortest float32 text
        const exp = (spec.data as (number | boolean)[]).map((v) => (/float32|bfloat16/.test(spec.dtype) ? Math.fround(Number(v)) : Number(v)));
        assertClose(vals, exp, { rtol: 0, atol: 0, msg: name });
      }
      if (f.metadata) assertEqual((await io.loadSafetensors(bytes)).metadata, f.metadata);
    }, f.cpuOnly ? CPU : undefined);
  }

  test('load dispatches by extension, format option and magic', async (ctx) => {
    dev(ctx);
    const a = mx.array([1, 2, 3], mx.float32);
    const npy = await io.save(a), npz = await io.savez([a]), st = await io.saveSafetensors({ a });
    assert((await io.load(npy)) instanceof mx.MxArray, 'npy by magic');
    assertEqual(Object.keys((await io.load(npz)) as object), ['arr_0']);
    assertEqual(Object.keys((await io.load(new Blob([st as Uint8Array<ArrayBuffer>]))) as object), ['a']);
    assertEqual(Object.keys((await io.load(st.buffer as ArrayBuffer, { format: 'safetensors' })) as object), ['a']);
    await assertRejects(() => io.load(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])), /\[load\] Unknown file format/);
    await assertRejects(() => io.load(npy, { returnMetadata: true }), /only available for safetensors/);
    await assertRejects(() => io.load('no/such/file.gguf'), /GGUF/);
  });

  test('truncated files are rejected at every cut', async (ctx) => {
    dev(ctx);
    const arrs = { w: mx.reshape(mx.arange(6, undefined, undefined, mx.float32), [2, 3]), b: mx.array([true, false]) };
    await rejectsTruncations(await io.save(arrs.w), (b) => io.loadNpy(b), /^\[npy\] /);
    await rejectsTruncations(await io.savez(arrs), (b) => io.loadNpz(b), /^\[npz\] /);
    await rejectsTruncations(await io.savezCompressed(arrs), (b) => io.loadNpz(b), /^\[npz\] /);
    await rejectsTruncations(await io.saveSafetensors(arrs, { k: 'v' }), (b) => io.loadSafetensors(b), /^\[safetensors\] /);
    for (const f of arrayFiles.filter((x) => x.kind === 'npz')) await rejectsTruncations(b64(f.b64), (b) => io.loadNpz(b), /^\[npz\] /);
  });

  test('malformed npy: bad magic, lying or broken headers', async (ctx) => {
    dev(ctx);
    const good = await io.save(mx.arange(6, undefined, undefined, mx.float32));
    const text = new TextDecoder().decode(good.subarray(10, 64));
    const withHeader = (h: string) => patch(good, 10, h.padEnd(text.length - 1, ' ') + '\n');
    await assertRejects(() => io.loadNpy(patch(good, 0, [0x92])), /\[npy\] Bad magic/);
    await assertRejects(() => io.loadNpy(patch(good, 6, [9])), /\[npy\] Unsupported format version 9/);
    await assertRejects(() => io.loadNpy(patch(good, 8, [0xff, 0x7f])), /\[npy\] Header length 32767 runs past the end/);
    await assertRejects(() => io.loadNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }")), /\[npy\] Data is truncated/);
    await assertRejects(() => io.loadNpy(withHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }")), /\[npy\] Unsupported dtype descr '<c16'/);
    await assertRejects(() => io.loadNpy(withHeader("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }")), /\[npy\] Unsupported dtype/);
    await assertRejects(() => io.loadNpy(withHeader("{'descr': '<f4', 'shape': (6,), }")), /\[npy\] .*fortran_order/);
    await assertRejects(() => io.loadNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }")), /\[npy\] Shape entry '-6'/);
    await assertRejects(() => io.loadNpy(withHeader("not a dict at all")), /\[npy\] Header is not a Python dict/);
    const boolBad = await io.save(mx.array([true, false]));
    boolBad[boolBad.length - 1] = 7;
    await assertRejects(() => io.loadNpy(boolBad), /\[npy\] bool data holds the byte 7/);
  });

  test('malformed npz: corrupt data, CRCs, headers and directories', async (ctx) => {
    dev(ctx);
    const arrs = { w: mx.arange(16, undefined, undefined, mx.float32) };
    const stored = await io.savez(arrs), deflated = await io.savezCompressed(arrs);
    const flipped = stored.slice();
    flipped[stored.length - 22 - 53 - 5] ^= 0x40; // a data byte of the only entry
    await assertRejects(() => io.loadNpz(flipped), /\[npz\] CRC mismatch in entry 'w.npy'/);
    const garbled = deflated.slice();
    for (let i = 40; i < 60; i++) garbled[i] = 0xff;
    await assertRejects(() => io.loadNpz(garbled), /\[npz\] .*(not valid compressed data|CRC mismatch|inflates)/);
    await assertRejects(() => io.loadNpz(patch(stored, 0, [0, 0, 0, 0])), /\[npz\] Local header of entry 'w.npy'/);
    const eocd = stored.length - 22;
    await assertRejects(() => io.loadNpz(patch(stored, eocd + 10, [200, 0])), /\[npz\] Central directory of \d+ bytes cannot hold 200 entries/);
    await assertRejects(() => io.loadNpz(patch(stored, eocd + 16, [0xff, 0xff, 0, 0])), /\[npz\] Central directory .* runs past/);
    const cd = eocd - (46 + 5);
    await assertRejects(() => io.loadNpz(patch(stored, cd + 42, [0, 0, 1, 0])), /\[npz\] Local header of entry 'w.npy' \(offset 65536\)/);
    await assertRejects(() => io.loadNpz(patch(stored, cd + 10, [14, 0])), /\[npz\] Entry 'w.npy' uses compression method 14/);
    await assertRejects(() => io.loadNpz(patch(stored, cd + 20, [0xff, 0xff, 0, 0])), /\[npz\] Data of entry 'w.npy' .* runs past the end/);
    const badNpy = patch(await io.save(arrs.w), 0, [0x92]);
    await assertRejects(async () => io.loadNpz(await io.writeZip([{ name: 'w.npy', data: badNpy }])), /\[npz\] Entry 'w.npy': \[npy\] Bad magic/);
    await assertRejects(async () => io.loadNpz(await io.writeZip([{ name: 'w.txt', data: badNpy }])), /\[npz\] Entry 'w.txt' is not a .npy file/);
  });

  test('malformed safetensors: lengths, JSON, dtypes, shapes and offsets', async (ctx) => {
    dev(ctx);
    const st = await io.saveSafetensors({ a: mx.array([1, 2, 3], mx.float32) });
    const n = Number(new DataView(st.buffer).getBigUint64(0, true));
    const withHeader = (h: string) => {
      const t = new TextEncoder().encode(h.padEnd(n, ' '));
      return patch(st, 8, Array.from(t));
    };
    await assertRejects(() => io.loadSafetensors(patch(st, 0, [0, 0, 0, 0, 0, 0, 0, 0x10])), /\[safetensors\] Header length \d+ runs past the end/);
    await assertRejects(() => io.loadSafetensors(patch(st, 8, '['.split('').map((c) => c.charCodeAt(0)))), /\[safetensors\] Header does not start with a JSON object/);
    await assertRejects(() => io.loadSafetensors(withHeader('{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]')), /\[safetensors\] Header is not valid JSON/);
    await assertRejects(() => io.loadSafetensors(withHeader('{"a":{"dtype":"F7","shape":[3],"data_offsets":[0,12]}}')), /\[safetensors\] Entry 'a' has unknown dtype "F7"/);
    await assertRejects(() => io.loadSafetensors(withHeader('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}}')), /\[safetensors\] Entry 'a': shape \[4\] of F32 needs 16 bytes but data_offsets span 12/);
    await assertRejects(() => io.loadSafetensors(withHeader('{"a":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}')), /\[safetensors\] Entry 'a' data \[4, 16\) runs past the end/);
    await assertRejects(() => io.loadSafetensors(withHeader('{"a":{"dtype":"F32","shape":[3],"data_offsets":[12,0]}}')), /out of order/);
    await assertRejects(() => io.loadSafetensors(withHeader('{"a":{"dtype":"F32","shape":[-3],"data_offsets":[0,12]}}')), /invalid shape/);
    await assertRejects(() => io.loadSafetensors(withHeader('{"__metadata__":{"k":1}}')), /Metadata value of 'k' is not a string/);
    await assertRejects(() => io.loadSafetensors(patch(st, 8, [0xff, 0xfe])), /\[safetensors\] Header is not valid UTF-8/);
    await assertRejects(() => io.saveSafetensors({ a: mx.ones([1]) }, { k: 3 as never }), /Metadata value of 'k' must be a string/);
  });

  test('path helpers write and read files (Deno/Node fs, OPFS in pages)', async (ctx) => {
    dev(ctx);
    if (io.fsKind() === 'none') return;
    const dir = io.fsKind() === 'opfs' ? 'webmlx-test' : ((globalThis as { Deno?: unknown }).Deno ? '/tmp' : '/tmp');
    const base = `${dir}/webmlx-io-${Math.random().toString(36).slice(2)}`;
    const a = mx.array([[1, 2], [3, 4]], mx.int16);
    await io.save(base, a); // .npy appended
    await sameArray((await io.load(`${base}.npy`)) as mx.MxArray, a, 'npy file');
    await io.saveSafetensors(`${base}`, { a }, { m: 'x' });
    const [arrs, meta] = (await io.load(`${base}.safetensors`, { returnMetadata: true })) as [Record<string, mx.MxArray>, Record<string, string>];
    await sameArray(arrs.a, a, 'safetensors file');
    assertEqual(meta, { m: 'x' });
    await io.savezCompressed(`${base}.npz`, { a });
    await sameArray(((await io.load(`${base}.npz`)) as Record<string, mx.MxArray>).a, a, 'npz file');
    await assertRejects(() => io.load(`${base}-missing.npy`), /\[io\] Cannot read/);
    if (ctx.runtime !== 'chromium' && io.fsKind() !== 'opfs') {
      const fs = (await import(/* @vite-ignore */ ['node', 'fs/promises'].join(':'))) as { rm(p: string): Promise<void> };
      for (const ext of ['.npy', '.safetensors', '.npz']) await fs.rm(base + ext).catch(() => {});
    }
  });
});
