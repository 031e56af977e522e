// GGUF files (src/io/gguf*.ts): files written byte by byte by test/fixtures/gguf_gen.py
// (every tensor and metadata type, versions 1-3, quantized blocks with ggml's values from
// NumPy), MLX's affine repacking, saveGguf round trips, malformed and truncated files, and
// tokenizer.json built from tokenizer.ggml.* metadata.
import { Tokenizer } from '@huggingface/tokenizers';
import * as io from '../../src/io/index.ts';
import { arrayBytes } from '../../src/io/bytes.ts';
import { f16BitsToF32, f32ToF16Bits } from '../../src/core/numeric.ts';
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertRejects, assertThrows } from '../harness/assert.ts';
import { mx, onDevice, CPU_ONLY, type MxArray } from './common.ts';
import * as fx from '../fixtures/gguf.gen.ts';

const b64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const vals = async (a: MxArray) => Array.from((await a.data()) as ArrayLike<number>, Number);
type Arrays = Record<string, MxArray>;
type Meta = Record<string, io.GgufValue>;

async function same(got: MxArray, exp: MxArray, what: string): Promise<void> {
  assertEqual(got.dtype.name, exp.dtype.name, `${what} dtype`);
  assertEqual([...got.shape], [...exp.shape], `${what} shape`);
  assertEqual(hex(await arrayBytes(got)), hex(await arrayBytes(exp)), `${what} bytes`);
}

/** Little-endian patches of a copy of `b`. */
function patch(b: Uint8Array, at: number, bytes: number[]): Uint8Array {
  const c = b.slice();
  c.set(bytes, at);
  return c;
}
const le = (v: bigint, n: number) => Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 255n));

const EXPECTED_META: Meta = {
  'general.architecture': 'llama', 'general.name': 'tïny “gguf” 🦙', 'k.u8': 255, 'k.i8': -128, 'k.u16': 65535,
  'k.i16': -32768, 'k.u32': 4294967295, 'k.i32': -2147483648, 'k.f32': Math.fround(0.1), 'k.bool': true,
  'k.u64': 2n ** 64n - 1n, 'k.i64': -(2n ** 63n), 'k.i64small': 1234567, 'k.f64': 1e-300,
  'k.arr.u8': new Uint8Array([0, 1, 255]), 'k.arr.i16': new Int16Array([-3, 4]), 'k.arr.u32': new Uint32Array([1, 4294967295]),
  'k.arr.i32': new Int32Array([-1, 2, 3]), 'k.arr.f32': new Float32Array([0.5, -1.25]), 'k.arr.f64': new Float64Array([0.1]),
  'k.arr.i64': new BigInt64Array([-5n, 2n ** 62n]), 'k.arr.bool': [true, false, true], 'k.arr.str': ['a', '', 'ü b'],
  'k.arr.empty': new Float32Array([]), 'k.arr.nested': [new Int32Array([1, 2]), new Int32Array([3])],
};

export const ggufSuite = suite('gguf', (t) => {
  const test = onDevice(t);

  test('tensors of every plain type and metadata of every value type', async () => {
    const [arrays, meta] = (await io.load(b64(fx.plainB64), { returnMetadata: true })) as [Arrays, Meta];
    assertEqual(Object.keys(arrays), fx.plainTensors.map((e) => e.name));
    for (const e of fx.plainTensors) {
      const a = arrays[e.name];
      assertEqual([a.dtype.name, [...a.shape]], [e.dtype, e.shape], e.name);
      assertClose(await vals(a), e.values, { rtol: 0, atol: 0, msg: e.name });
    }
    assertEqual(meta, EXPECTED_META);
  });

  test('detection by magic, format option, Blob, loadGguf and versions 1-3', async () => {
    const bytes = b64(fx.plainB64);
    assert(!((await io.load(bytes)) instanceof mx.MxArray), 'gguf by magic gives a record');
    assertEqual(Object.keys((await io.load(new Blob([bytes as Uint8Array<ArrayBuffer>]), { format: 'gguf' })) as Arrays).length, fx.plainTensors.length);
    for (const src of [fx.tinyV1B64, fx.tinyV2B64, fx.tinyV3B64]) {
      const b = b64(src);
      const { arrays, metadata } = await io.loadGguf(b);
      assertEqual(metadata, { 'general.alignment': 64, 'general.name': 'tiny' });
      assertEqual([...arrays.a.shape], [2, 3]);
      assertEqual(await vals(arrays.a), [0, 1, 2, 3, 4, 5]);
      assertEqual([arrays.b.dtype.name, await vals(arrays.b)], ['int8', [0, 1, 2, 3, 4]]);
      const h = io.parseGgufHeader(b);
      assertEqual([h.alignment, h.dataStart % 64, h.tensors.map((e) => e.offset % 64)], [64, 0, [0, 0]]);
    }
    assertEqual([io.parseGgufHeader(b64(fx.tinyV1B64)).version, io.parseGgufHeader(b64(fx.tinyV2B64)).version], [1, 2]);
    await assertRejects(() => io.load('no/such/file.gguf'), /GGUF/);
  });

  test('quantized blocks dequantize like ggml, bit for bit', async () => {
    const { arrays } = io.decodeGguf(b64(fx.quantB64));
    for (const e of fx.quantTensors) {
      const a = arrays[e.name];
      assertEqual([a.dtype.name, [...a.shape]], ['float32', e.shape], e.name);
      assertClose(await vals(a), e.values, { rtol: 0, atol: 0, msg: `${e.type} ${e.name}` });
    }
    const half = io.decodeGguf(b64(fx.quantB64), { dequantizeDtype: 'float16' }).arrays;
    const e = fx.quantTensors.find((x) => x.type === 'Q6_K')!;
    assertEqual(half[e.name].dtype.name, 'float16');
    assertClose(await vals(half[e.name]), e.values.map((v) => f16BitsToF32(f32ToF16Bits(v))), { rtol: 0, atol: 0 });
  });

  test('quantized option keeps Q4_0/Q4_1/Q4_K/Q8_0 in MLX affine form', async () => {
    const { arrays } = await io.loadGguf(b64(fx.quantB64), { quantized: true });
    const deq = io.decodeGguf(b64(fx.quantB64)).arrays;
    for (const r of fx.quantRepacks) {
      const e = fx.quantTensors.find((x) => x.name === r.name)!;
      const prefix = r.name.slice(0, -'.weight'.length);
      const wq = arrays[r.name], s = arrays[`${prefix}.scales`], b = arrays[`${prefix}.biases`];
      const last = e.shape.length - 1;
      assertEqual([wq.dtype.name, [...wq.shape]], ['uint32', e.shape.map((d, i) => (i === last ? (d * r.bits) / 32 : d))], r.name);
      assertEqual([s.dtype.name, [...s.shape]], ['float16', e.shape.map((d, i) => (i === last ? d / 32 : d))], `${r.name} scales`);
      assertEqual(await vals(wq), r.wq, `${r.name} words`);
      assertEqual([await vals(s), await vals(b)], [r.scales, r.biases], `${r.name} scales/biases`);
      const w = await vals(mx.dequantize(wq, s, b, 32, r.bits, 'affine', { dtype: mx.float32, stream: mx.cpu }));
      if (e.type === 'Q4_K') {
        // MLX rounds d*sc and dmin*m to float16, so compare with scale * q + bias of the unpacked words
        const per = 32 / r.bits;
        const q = r.wq.flatMap((x) => Array.from({ length: per }, (_, k) => (x >>> (r.bits * k)) & ((1 << r.bits) - 1)));
        assertClose(w, q.map((v, i) => r.scales[i >> 5] * v + r.biases[i >> 5]), { rtol: 1e-6, atol: 1e-6, msg: r.name });
        assertClose(w, e.values, { rtol: 0, atol: 0.05, msg: `${r.name} near ggml` });
      } else {
        assertClose(w, e.values, { rtol: 0, atol: 0, msg: r.name });
      }
    }
    assertEqual(arrays['q6_k.weight'].dtype.name, 'float32');
    assertEqual(await vals(arrays['q5_0.weight']), await vals(deq['q5_0.weight']));
    assert(!('q6_k.scales' in arrays), 'only repackable types get scales');
  });

  test('saveGguf round trips every writable dtype', async (ctx) => {
    const arrs: Arrays = {
      f32: mx.reshape(mx.array([1.5, -2.25, 3.4e38, 1e-45, NaN, -Infinity], mx.float32), [2, 1, 3]),
      f16: mx.array([0.5, -65504, 6e-8, Infinity, NaN], mx.float16),
      bf16: mx.array([1, -3.140625, 1e20, -Infinity], mx.bfloat16),
      i8: mx.array([-128, 127, 0], mx.int8),
      i16: mx.array([[-32768, 32767], [5, 6]], mx.int16),
      i32: mx.array([-2147483648, 2147483647, 9], mx.int32),
      scalar: mx.array(3.25, mx.float32),
      empty: mx.zeros([0, 3], mx.int16),
      transposed: mx.transpose(mx.reshape(mx.arange(15, undefined, undefined, mx.float32), [3, 5])),
    };
    if (ctx.device === 'cpu') {
      arrs.i64 = mx.array([-(2n ** 63n), 2n ** 62n + 1n], mx.int64);
      arrs.f64 = mx.array([Math.PI, -Number.MAX_VALUE, 5e-324], mx.float64);
    }
    const bytes = await mx.saveGguf(arrs, { 'general.name': 'rt' });
    assertEqual(hex(await mx.saveGguf(null, arrs, { 'general.name': 'rt' })), hex(bytes), 'same bytes with a null path');
    const [back, meta] = (await mx.load(bytes, { returnMetadata: true })) as [Arrays, Meta];
    assertEqual(meta, { 'general.name': 'rt' });
    assertEqual(Object.keys(back), Object.keys(arrs));
    for (const [k, a] of Object.entries(arrs)) await same(back[k], a, k);
    const h = io.parseGgufHeader(bytes);
    assertEqual(h.tensors.find((e) => e.name === 'transposed')!.shape, [5, 3]);
    assert(h.tensors.every((e) => e.offset % 32 === 0) && h.dataStart % 32 === 0, 'aligned to 32');
  });

  test('saveGguf metadata: typed, inferred and array values', async () => {
    const md: Record<string, io.GgufMetadataInput> = {
      'general.alignment': { type: 'uint32', value: 16 },
      u8: { type: 'uint8', value: 200 }, i8: { type: 'int8', value: -7 }, u16: { type: 'uint16', value: 60000 },
      i16: { type: 'int16', value: -300 }, u32: { type: 'uint32', value: 3 }, u64: { type: 'uint64', value: 2n ** 63n },
      i64: { type: 'int64', value: -9 }, f64: { type: 'float64', value: 0.1 }, f32: { type: 'float32', value: 0.25 },
      int: 42, big: 2 ** 40, uint: 3e9, float: 1.5, flag: false, text: 'héllo', bigint: -(2n ** 60n),
      ints: [1, -2, 3], floats: [1, 2.5], strs: ['x', 'y'], bools: [true, false], typed: new Uint16Array([1, 65535]),
      nested: [['a'], ['b', 'c']], u8arr: { type: 'array', itemType: 'uint8', value: [1, 2] },
      mxScalar: mx.array(7, mx.uint8), mxVec: mx.array([1, -2], mx.int16), mxBool: mx.array([true, false]),
    };
    const bytes = await mx.saveGguf({ w: mx.ones([3]) }, md);
    const h = io.parseGgufHeader(bytes);
    const types = Object.fromEntries(Object.entries(h.metadata).map(([k, v]) => [k, v.itemType ? `${v.type}<${v.itemType}>` : v.type]));
    assertEqual(types, {
      'general.alignment': 'uint32', u8: 'uint8', i8: 'int8', u16: 'uint16', i16: 'int16', u32: 'uint32', u64: 'uint64',
      i64: 'int64', f64: 'float64', f32: 'float32', int: 'int32', big: 'int64', uint: 'uint32', float: 'float32', flag: 'bool',
      text: 'string', bigint: 'int64', ints: 'array<int32>', floats: 'array<float32>', strs: 'array<string>',
      bools: 'array<bool>', typed: 'array<uint16>', nested: 'array<array>', u8arr: 'array<uint8>', mxScalar: 'uint8',
      mxVec: 'array<int16>', mxBool: 'array<bool>',
    });
    assertEqual([h.alignment, h.dataStart % 16], [16, 0]);
    const { metadata } = io.decodeGguf(bytes);
    assertEqual([metadata.u64, metadata.i64, metadata.f64, metadata.big, metadata.bigint], [2n ** 63n, -9, 0.1, 2 ** 40, -(2n ** 60n)]);
    assertEqual([metadata.ints, metadata.floats, metadata.nested, metadata.mxVec, metadata.mxBool],
      [new Int32Array([1, -2, 3]), new Float32Array([1, 2.5]), [['a'], ['b', 'c']], new Int16Array([1, -2]), [true, false]]);
  });

  test('saveGguf rejects what GGUF cannot hold', async () => {
    await assertRejects(() => mx.saveGguf({ u: mx.array([1], mx.uint8) }), /'u' has dtype uint8/);
    await assertRejects(() => mx.saveGguf({}, { h: mx.array([1], mx.float16) }), /float16 cannot be GGUF metadata/);
    await assertRejects(() => mx.saveGguf({}, { m: mx.zeros([2, 2], mx.int32) }), /more than one dimension/);
    await assertRejects(() => mx.saveGguf({}, { o: { type: 'uint8', value: 300 } }), /300 is not a uint8 value/);
    await assertRejects(() => mx.saveGguf({}, { mix: [1, 'a'] as unknown as io.GgufValue }), /mixes/);
    await assertRejects(() => mx.saveGguf({}, { 'general.alignment': 12 }), /power of two/);
    await assertRejects(() => mx.saveGguf({}, { n: null as unknown as io.GgufValue }), /cannot be written/);
  });

  test('malformed files raise FormatError naming the problem', async () => {
    const plain = b64(fx.plainB64);
    const at = fx.plainTypeAt;
    const bad = (b: Uint8Array, re: RegExp) => {
      const e = assertThrows(() => io.decodeGguf(b), re);
      assert(e instanceof io.FormatError && e.format === 'gguf', `FormatError for ${re}`);
    };
    bad(patch(plain, 0, [0x47, 0x47, 0x4d, 0x4c]), /Bad magic "GGML"/);
    bad(patch(plain, 4, [4, 0, 0, 0]), /Unsupported GGUF version 4/);
    bad(patch(plain, 4, [0, 0, 0, 3]), /Big-endian/);
    bad(patch(plain, at, [77, 0, 0, 0]), /unknown tensor type 77/);
    bad(patch(plain, at, [16, 0, 0, 0]), /IQ2_XXS \(16\), which webmlx does not support/);
    bad(patch(plain, at, [8, 0, 0, 0]), /not a multiple of the block size 32/);
    bad(patch(plain, at + 4, [4, 0, 0, 0, 0, 0, 0, 0]), /offset 4 is not a multiple of the alignment 32/);
    bad(patch(plain, at + 4, le(1n << 40n, 8)), /out of range/);
    bad(patch(plain, 8, le(1n << 40n, 8)), /cannot fit/);
    bad(patch(plain, 8, le(1n << 62n, 8)), /out of range/);
    const small = await mx.saveGguf({}, { k: true }); // magic, version, counts, key 'k' at 32, type, bool at 37
    bad(patch(small, 37, [2]), /bool holding the byte 2/);
    bad(patch(small, 32, [0xff]), /not valid UTF-8/);
    bad(patch(small, 33, [13, 0, 0, 0]), /unknown value type 13/);
    // an array nested 20 deep
    const deep = [...small.subarray(0, 33), 9, 0, 0, 0, ...Array.from({ length: 20 }, () => [9, 0, 0, 0, ...le(1n, 8)]).flat(), 7, 0, 0, 0, ...le(0n, 8)];
    bad(new Uint8Array(deep), /nests arrays more than 16 deep/);
    bad(patch(small, 24, le(1n << 50n, 8)), /Truncated file: metadata key 0 at byte 32 needs 1125899906842624 bytes/);
    await assertRejects(() => mx.load(new Uint8Array([0x47, 0x47, 0x55]), { format: 'gguf' }), /\[gguf\] File is too short/);
  });

  test('truncated files are rejected at every cut', () => {
    for (const src of [fx.plainB64, fx.tinyV1B64]) {
      const b = b64(src);
      for (let n = 0; n < b.length; n++) {
        try {
          io.decodeGguf(b.subarray(0, n));
        } catch (e) {
          if (e instanceof io.FormatError && /^\[gguf\] /.test(e.message)) continue;
          throw e;
        }
        throw new Error(`a cut at ${n} of ${b.length} bytes was accepted`);
      }
    }
  }, CPU_ONLY);

  test('ggufTokenizer: gpt2 byte-level BPE', () => {
    const tokens = ['<|endoftext|>', 'h', 'e', 'l', 'o', 'Ġ', 'w', 'r', 'd', '!', 'll', 'he', 'hell', 'hello', 'or', 'Ġw', 'Ġwor', 'Ġworl', 'Ġworld'];
    const md: Meta = {
      'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.token_type': new Int32Array(tokens.map((_, i) => (i === 0 ? 3 : 1))),
      'tokenizer.ggml.merges': ['l l', 'h e', 'he ll', 'hell o', 'o r', 'Ġ w', 'Ġw or', 'Ġwor l', 'Ġworl d'],
      'tokenizer.ggml.bos_token_id': 0, 'tokenizer.ggml.eos_token_id': 0, 'tokenizer.chat_template': '{{ messages }}',
    };
    const g = io.ggufTokenizer(md);
    assertEqual([g.config.eos_token, g.config.chat_template, g.eosTokenIds], ['<|endoftext|>', '{{ messages }}', [0]]);
    const tok = new Tokenizer(g.tokenizer, g.config);
    const ids = tok.encode('hello world!<|endoftext|>').ids;
    assertEqual(ids, [13, 18, 9, 0]);
    assertEqual(tok.decode(ids, { skip_special_tokens: true }), 'hello world!');
    const llama3 = io.ggufTokenizer({ ...md, 'tokenizer.ggml.pre': 'llama-bpe', 'tokenizer.ggml.add_bos_token': true });
    assertEqual(new Tokenizer(llama3.tokenizer, llama3.config).encode('hello world').ids, [0, 13, 18]);
  });

  test('ggufTokenizer: llama SentencePiece BPE with byte fallback', () => {
    const bytes = Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`);
    const pieces = ['▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', 'll', 'he', '▁he', '▁hell', '▁hello', 'or', '▁w', '▁wor', '▁worl', '▁world'];
    const tokens = ['<unk>', '<s>', '</s>', ...bytes, ...pieces];
    const scores = new Float32Array(tokens.map((t, i) => (i < 259 ? 0 : -(i - 259) + (t.length > 1 ? 100 + t.length : 0))));
    const types = new Int32Array(tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1)));
    const md: Meta = {
      'tokenizer.ggml.model': 'llama', 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.scores': scores, 'tokenizer.ggml.token_type': types,
      'tokenizer.ggml.bos_token_id': 1, 'tokenizer.ggml.eos_token_id': 2, 'tokenizer.ggml.unknown_token_id': 0, 'tokenizer.ggml.eot_token_id': 2,
    };
    const g = io.ggufTokenizer(md);
    assertEqual([g.config.bos_token, g.config.add_bos_token, g.eosTokenIds], ['<s>', true, [2]]);
    const tok = new Tokenizer(g.tokenizer, g.config);
    const id = (t: string) => tokens.indexOf(t);
    const ids = tok.encode('hello world!').ids;
    assertEqual(ids, [1, id('▁hello'), id('▁world'), id('<0x21>')]);
    assertEqual(tok.decode(ids, { skip_special_tokens: true }), 'hello world!');
    assertThrows(() => io.ggufTokenizer({ ...md, 'tokenizer.ggml.model': 'rwkv' }), /'rwkv' is not supported/);
    assertThrows(() => io.ggufTokenizer({ ...md, 'tokenizer.ggml.scores': new Float32Array(3) }), /has 3 entries but there are 277 tokens/);
    assertThrows(() => io.ggufTokenizer({ 'tokenizer.ggml.model': 'llama' }), /no 'tokenizer.ggml.tokens'/);
  });
});
