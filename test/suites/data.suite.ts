// webmlx/data: buffers and streams (order, batching, shuffling determinism, prefetch),
// text/CSV sources, padding, image ops, PNG/JPEG/WAV decoding of committed files, mfsc.
import * as mx from '../../src/index.ts';
import * as dx from '../../src/data/index.ts';
import { suite, type TestCtx } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertRejects, assertThrows } from '../harness/assert.ts';
import media from '../fixtures/opt_media.gen.ts';
import mfscFixture from '../fixtures/opt_mfsc.gen.ts';

const dev = (ctx: TestCtx) => mx.setDefaultDevice(ctx.device === 'cpu' ? mx.cpu : mx.gpu);
const b64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const nums = async (a: mx.MxArray) => Array.from((await a.data()) as ArrayLike<number>, Number);
const file = (name: string) => media.find((f) => f.name === name)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f32 = (x: number[] | number[][]) => mx.array(x as mx.NestedData, mx.float32);

/** Bilinear resize with half-pixel centers, written with plain loops (the reference). */
function resizeRef(src: number[][], h: number, w: number): number[][] {
  const H = src.length, W = src[0].length;
  const at = (n: number, o: number, out: number) => Math.min(Math.max((o + 0.5) * (n / out) - 0.5, 0), n - 1);
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => {
    const sy = at(H, y, h), sx = at(W, x, w);
    const y0 = Math.floor(sy), x0 = Math.floor(sx), y1 = Math.min(y0 + 1, H - 1), x1 = Math.min(x0 + 1, W - 1);
    const fy = sy - y0, fx = sx - x0;
    const top = src[y0][x0] * (1 - fx) + src[y0][x1] * fx, bot = src[y1][x0] * (1 - fx) + src[y1][x1] * fx;
    return top * (1 - fy) + bot * fy;
  }));
}

export const dataSuite = suite('data', (test) => {
  test('fromArrays: get, batch (gathers), dropLast, negative index', async (ctx) => {
    dev(ctx);
    const buf = dx.fromArrays({ x: mx.reshape(mx.arange(20), [10, 2]), y: mx.arange(10) });
    assertEqual(buf.size, 10);
    const s = await buf.get(3);
    assertEqual(await s.x.tolist(), [6, 7]);
    assertEqual(await s.y.item(), 3);
    assertEqual(await (await buf.get(-1)).y.item(), 9);
    const batches = await buf.batch(4).toArray();
    assertEqual(batches.map((b) => [...b.x.shape]), [[4, 2], [4, 2], [2, 2]]);
    assertEqual(await batches[2].y.tolist(), [8, 9]);
    assertEqual((await buf.batch(4, { dropLast: true }).toArray()).length, 2);
    assertEqual(await (await buf.perm([7, 1]).batch(2).get(0)).y.tolist(), [7, 1]);
    await assertRejects(() => buf.get(10), /out of range/);
    assertThrows(() => dx.fromArrays({ a: mx.ones([3]), b: mx.ones([4]) }), /has 4 rows/);
  });

  test('shuffle is a permutation, reproducible with a seed', async (ctx) => {
    dev(ctx);
    const buf = dx.fromArrays({ i: mx.arange(50) });
    const order = async (b: dx.Buffer) => Promise.all((await b.toArray()).map((s) => s.i.item() as Promise<number>));
    const a = await order(buf.shuffle(7)), b = await order(buf.shuffle(7)), c = await order(buf.shuffle(8));
    assertEqual(a, b, 'same seed, same order');
    assert(a.join() !== c.join(), 'different seeds differ');
    assertEqual([...a].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i), 'a permutation');
    dx.seed(3);
    const g1 = await order(buf.shuffle());
    dx.seed(3);
    assertEqual(await order(buf.shuffle()), g1, 'dx.seed makes unseeded shuffles repeat');
    const st = async (seed: number) => (await dx.fromIterable(() => Array.from({ length: 30 }, (_, i) => ({ i }))).shuffle(8, seed).toArray()).map((s) => s.i);
    const s1 = await st(1);
    assertEqual(await st(1), s1, 'stream shuffle repeats with a seed');
    assertEqual([...s1].sort((p, q) => p - q), Array.from({ length: 30 }, (_, i) => i), 'stream shuffle is a permutation');
    assert(s1.join() !== Array.from({ length: 30 }, (_, i) => i).join(), 'stream shuffle moves samples');
  });

  test('partition, shard, repeat on buffers and streams', async (ctx) => {
    dev(ctx);
    const buf = dx.fromVector(Array.from({ length: 10 }, (_, i) => ({ i })));
    const ids = async (b: AsyncIterable<dx.Sample>) => { const o: number[] = []; for await (const s of b) o.push(s.i); return o; };
    assertEqual(await ids(buf.partition(3, 1)), [1, 4, 7]);
    assertEqual(await ids(buf.shard(3, 1)), [3, 4, 5]);
    assertEqual(await ids(buf.shard(3, 2)), [6, 7, 8, 9]);
    assertEqual(await ids(buf.repeat(2)), [...Array(10).keys(), ...Array(10).keys()]);
    const st = buf.toStream();
    assertEqual(await ids(st.partition(4, 3)), [3, 7]);
    assertEqual(await ids(st.shard(5, 0)), [0, 5]);
    assertEqual(await ids(st.repeat(2).take(13)), [...Array(10).keys(), 0, 1, 2]);
    assertThrows(() => buf.partition(2, 2), /partition 2/);
  });

  test('streams: map, filter, take, batch, restart, async sources', async (ctx) => {
    dev(ctx);
    const s = dx.fromIterable(function* () { for (let i = 0; i < 7; i++) yield { x: i, sq: mx.array([i, i * i]) }; });
    const out = await s.filter((v) => v.x % 2 === 0).map((v) => ({ ...v, y: v.x * 10 })).batch(3).toArray();
    assertEqual(out.length, 2);
    assertEqual(await out[0].y.tolist(), [0, 20, 40]);
    assertEqual(await out[1].sq.tolist(), [[6, 36]]);
    assertEqual((await s.toArray()).length, 7, 'iterating again restarts the source');
    const asyncSrc = dx.fromIterable(async function* () { for (let i = 0; i < 3; i++) { await sleep(1); yield i; } });
    assertEqual((await asyncSrc.toArray()).map((v) => v.value), [0, 1, 2], 'non-object values become { value }');
    assertEqual((await s.take(2).toArray()).length, 2);
  });

  test('batching pads variable shapes; numbers and strings are collected', async (ctx) => {
    dev(ctx);
    const buf = dx.fromVector([
      { tok: mx.array([1, 2, 3]), n: 3, name: 'a' },
      { tok: mx.array([4]), n: 1, name: 'b' },
      { tok: mx.array([5, 6]), n: 2, name: 'c' },
    ]);
    const b = await buf.batch(3, { pad: { tok: -1 } }).get(0);
    assertEqual(await b.tok.tolist(), [[1, 2, 3], [4, -1, -1], [5, 6, -1]]);
    assertEqual(await b.n.tolist(), [3, 1, 2]);
    assertEqual(b.name, ['a', 'b', 'c']);
    const p = await buf.padToMultiple('tok', 0, 4, 9).get(2);
    assertEqual(await p.tok.tolist(), [5, 6, 9, 9]);
    assertEqual(await dx.padToSize(mx.ones([2, 2]), 1, 3).tolist(), [[1, 1, 0], [1, 1, 0]]);
    assertEqual([...dx.padToMultiple(mx.ones([5, 3]), 0, 4).shape], [8, 3]);
    assertThrows(() => dx.padToSize(mx.ones([5]), 0, 3), /larger than the target 3/);
    const r = await buf.renameKey('n', 'len').filterKey(['len']).get(0);
    assertEqual(r, { len: 3 });
  });

  test('dynamicBatch groups similar sizes within maxDataSize', async (ctx) => {
    dev(ctx);
    const lens = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10, 1, 5];
    const s = dx.fromIterable(() => lens.map((n, i) => ({ id: i, tok: mx.full([n], i + 1) })));
    const batches = await s.dynamicBatch(6, 'tok', 16).toArray();
    const seen: number[] = [];
    for (const b of batches) {
      const [count, width] = b.tok.shape;
      assert(count === 1 || count * width <= 16, `batch ${count}x${width} exceeds 16 elements`);
      const ids = await b.id.tolist() as number[];
      seen.push(...ids);
      const rows = await b.tok.tolist() as number[][];
      rows.forEach((row, k) => assertEqual(row, Array.from({ length: width }, (_, j) => (j < lens[ids[k]] ? ids[k] + 1 : 0)), 'zero padded'));
    }
    assertEqual(seen.sort((a, b) => a - b), lens.map((_, i) => i), 'every sample exactly once');
  });

  test('prefetch keeps order and runs ahead of the consumer', async (ctx) => {
    dev(ctx);
    let produced = 0;
    const s = dx.fromIterable(async function* () {
      for (let i = 0; i < 8; i++) {
        await sleep(1);
        produced++;
        yield { i, x: mx.array([i]) };
      }
    });
    const ahead: number[] = [];
    const got: number[] = [];
    for await (const v of s.prefetch(3)) {
      got.push(v.i);
      await sleep(15); // the consumer is slow; the producer fills the queue meanwhile
      ahead.push(produced - got.length);
    }
    assertEqual(got, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert(Math.max(...ahead) >= 3, `the producer ran ahead by at most ${Math.max(...ahead)} samples`);
    let inflight = 0, peak = 0;
    const slow = dx.fromVector(Array.from({ length: 10 }, (_, i) => ({ i }))).map(async (v) => {
      inflight++;
      peak = Math.max(peak, inflight);
      await sleep(2);
      inflight--;
      return v;
    });
    const ordered = (await slow.prefetch(4).toArray()).map((v) => v.i);
    assertEqual(ordered, [...Array(10).keys()], 'ordered prefetch keeps order');
    assert(peak >= 3 && peak <= 5, `buffer prefetch loads concurrently (peak ${peak} in flight)`);
  });

  test('slidingWindow splits arrays into windows', async (ctx) => {
    dev(ctx);
    const s = dx.fromIterable([{ a: mx.arange(10), k: 'x' }, { a: mx.arange(3), k: 'y' }]);
    const w = await s.slidingWindow('a', 4, 3).toArray();
    assertEqual(await Promise.all(w.map((v) => v.a.tolist())), [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9], [0, 1, 2]]);
    assertEqual(w.map((v) => v.k), ['x', 'x', 'x', 'y']);
  });

  test('fromTextLines and fromCsv parse bytes and Blobs', async (ctx) => {
    dev(ctx);
    const enc = new TextEncoder();
    const text = enc.encode('alpha\r\nbeta\n\ngamma é');
    assertEqual((await dx.fromTextLines(text).toArray()).map((s) => s.line), ['alpha', 'beta', '', 'gamma é']);
    assertEqual((await dx.fromTextLines(new Blob([text]), { skipEmpty: true, key: 't' }).toArray()).map((s) => s.t), ['alpha', 'beta', 'gamma é']);
    const csv = enc.encode('name,x,y\n"Smith, J",1.5,2\n"say ""hi""",-3,4e2\r\n"multi\nline",0,NaN\n');
    const rows = await dx.fromCsv(csv, { numeric: ['x', 'y'] }).toArray();
    assertEqual(rows, [{ name: 'Smith, J', x: 1.5, y: 2 }, { name: 'say "hi"', x: -3, y: 400 }, { name: 'multi\nline', x: 0, y: NaN }]);
    const noHeader = await dx.fromCsv(enc.encode('1;2\n3;4'), { header: false, sep: ';', numeric: true }).batch(2).toArray();
    assertEqual(await noHeader[0]['1'].tolist(), [2, 4]);
    await assertRejects(() => dx.fromCsv(enc.encode('a,b\n1\n')).toArray(), /Record 2 has 1 fields, expected 2/);
    await assertRejects(() => dx.fromCsv(enc.encode('a\n"open\n')).toArray(), /ends inside a quoted field/);
    await assertRejects(() => dx.fromCsv(enc.encode('a\nzz\n'), { numeric: true }).toArray(), /'zz' is not a number/);
  });

  for (const f of media.filter((m) => m.kind === 'png')) {
    test(`PNG ${f.name} decodes to the written pixels`, async (ctx) => {
      dev(ctx);
      const img = await dx.decodePng(b64(f.b64));
      assertEqual([img.height, img.width, img.channels], f.shape);
      assertEqual(Array.from(img.data), f.pixels);
      const arr = await dx.loadImage(b64(f.b64), { decoder: 'builtin' });
      assertEqual(arr.dtype, mx.uint8);
      assertEqual(await nums(arr), f.pixels!);
    });
  }

  test('PNG: channel conversion, malformed and truncated files', async (ctx) => {
    dev(ctx);
    const bytes = b64(file('rgba8.png').b64);
    const rgb = await dx.loadImage(bytes, { decoder: 'builtin', channels: 3 });
    const px = file('rgba8.png').pixels!;
    assertEqual(await nums(rgb), px.filter((_, i) => i % 4 !== 3));
    const gray = await dx.loadImage(b64(file('gray8.png').b64), { decoder: 'builtin', channels: 4 });
    assertEqual([...gray.shape], [6, 7, 4]);
    await assertRejects(() => dx.decodePng(bytes.slice(1)), /\[png\] Bad signature/);
    for (const n of [8, 20, 33, 40, bytes.length - 13, bytes.length - 1]) {
      await assertRejects(() => dx.decodePng(bytes.slice(0, n)), /^\[png\] /);
    }
    const corrupt = bytes.slice();
    corrupt[45] ^= 0xff; // inside the IDAT data
    await assertRejects(() => dx.decodePng(corrupt), /\[png\] CRC mismatch/);
    await assertRejects(() => dx.loadImage(new Uint8Array([1, 2, 3, 4]), { decoder: 'builtin' }), /\[image\] Unknown image format/);
  });

  for (const f of media.filter((m) => m.kind === 'jpeg')) {
    test(`JPEG ${f.name} decodes like the reference decoder`, async (ctx) => {
      dev(ctx);
      const img = dx.decodeJpeg(b64(f.b64));
      assertEqual([img.height, img.width, img.channels], f.shape);
      assertClose(Array.from(img.data), f.pixels!, { atol: 1, rtol: 0, msg: 'vs the exact decode' });
      const err = Array.from(img.data).reduce((s, v, i) => s + Math.abs(v - f.original![i]), 0) / img.data.length;
      assert(err < 8, `mean error vs the encoded image is ${err}`);
    });
  }

  test('JPEG: truncated, progressive and malformed files are rejected', async (ctx) => {
    dev(ctx);
    const bytes = b64(file('color420.jpg').b64);
    const sof = bytes.findIndex((v, i) => v === 0xff && bytes[i + 1] === 0xc0);
    const sos = bytes.findIndex((v, i) => v === 0xff && bytes[i + 1] === 0xda);
    for (const n of [1, 2, 5, 30, sof + 4, sos + 3, sos + 20, bytes.length - 30]) {
      assertThrows(() => dx.decodeJpeg(bytes.slice(0, n)), /^\[jpeg\] /);
    }
    const prog = bytes.slice();
    prog[sof + 1] = 0xc2;
    assertThrows(() => dx.decodeJpeg(prog), /\[jpeg\] Progressive JPEGs are not supported/);
    const noTable = bytes.slice();
    noTable[sos + 6] = 0x33; // component 1 asks for tables 3/3
    assertThrows(() => dx.decodeJpeg(noTable), /\[jpeg\] The scan uses DC Huffman table 3, which was not defined/);
    assertThrows(() => dx.decodeJpeg(new Uint8Array([0xff, 0xd9])), /\[jpeg\] Bad magic/);
  });

  for (const f of media.filter((m) => m.kind === 'wav')) {
    test(`WAV ${f.name} decodes to the written samples`, async (ctx) => {
      dev(ctx);
      const { audio, sampleRate } = await dx.loadAudio(b64(f.b64));
      assertEqual(sampleRate, f.sampleRate);
      assertEqual([...audio.shape], f.shape);
      assertClose(await nums(audio), f.samples!, { rtol: 0, atol: 1e-7 });
    });
  }

  test('WAV: malformed and truncated files are rejected', async (ctx) => {
    dev(ctx);
    const bytes = b64(file('pcm16.wav').b64);
    assertThrows(() => dx.decodeWav(bytes.slice(0, 8)), /\[wav\] File is too short/);
    assertThrows(() => dx.decodeWav(bytes.slice(0, bytes.length - 4)), /\[wav\] The data chunk says \d+ bytes/);
    assertThrows(() => dx.decodeWav(bytes.slice(0, 30)), /\[wav\] (The fmt chunk|No data chunk)/);
    const bad = bytes.slice();
    bad[34] = 12; // 12 bits per sample
    assertThrows(() => dx.decodeWav(bad), /\[wav\] Unsupported sample format/);
    const notWav = bytes.slice();
    notWav[8] = 0x41;
    assertThrows(() => dx.decodeWav(notWav), /\[wav\] Bad magic/);
    if (ctx.runtime !== 'chromium') await assertRejects(() => dx.loadAudio(new Uint8Array(64)), /\[audio\] Only WAV/);
  });

  test('mfsc matches the NumPy log-mel reference', async (ctx) => {
    dev(ctx);
    const x = mx.array(mfscFixture.signal, mx.float32);
    for (const c of mfscFixture.cases) {
      const feats = dx.mfsc(c.nFilterbank, c.sampleRate, c.options)(mx.reshape(x, [-1, 1]));
      assertEqual([...feats.shape], c.shape);
      assertClose(await nums(feats), c.values, { rtol: 1e-4, atol: 2e-3, msg: `mfsc ${c.nFilterbank}` });
    }
    assertThrows(() => dx.mfsc(10, 8000)(mx.zeros([10])), /fewer than one frame/);
    assertThrows(() => dx.mfsc(10, 8000)(mx.zeros([300, 2])), /mono audio/);
  });

  test('image ops: resize, crops, flips, rotation as array ops', async (ctx) => {
    dev(ctx);
    const src = [[0, 10, 40], [20, 30, 0]];
    const img = mx.reshape(f32(src), [2, 3, 1]);
    const up = dx.imageResize(img, 5, 4);
    assertEqual([...up.shape], [5, 4, 1]);
    assertClose(await nums(up), resizeRef(src, 5, 4).flat(), { rtol: 1e-5, atol: 1e-5 });
    const down = dx.imageResize(mx.reshape(mx.arange(36, undefined, undefined, mx.float32), [6, 6, 1]), 3, 2);
    assertClose(await nums(down), resizeRef(Array.from({ length: 6 }, (_, y) => Array.from({ length: 6 }, (_, x) => y * 6 + x)), 3, 2).flat(), { atol: 1e-4 });
    const u8 = mx.reshape(mx.array([0, 255, 255, 0], mx.uint8), [1, 2, 2, 1]); // a batch of one
    const r8 = dx.imageResize(u8, 2, 3);
    assertEqual(r8.dtype, mx.uint8);
    assertEqual(await nums(r8), resizeRef([[0, 255], [255, 0]], 2, 3).flat().map((v) => Math.round(v)));
    assertEqual([...dx.imageResizeSmallestSide(mx.zeros([4, 8, 3]), 2).shape], [2, 4, 3]);
    const grid = mx.reshape(mx.arange(4 * 5 * 2), [4, 5, 2]);
    assertEqual(await dx.imageCenterCrop(grid, 2, 3).tolist(), await grid.index('1:3', '1:4').tolist());
    const rc1 = await dx.imageRandomCrop(grid, 2, 2, 5).tolist(), rc2 = await dx.imageRandomCrop(grid, 2, 2, 5).tolist();
    assertEqual(rc1, rc2, 'seeded random crop repeats');
    assertEqual(await dx.imageRandomHFlip(grid, 1).tolist(), await mx.flip(grid, 1).tolist());
    assertEqual(await dx.imageRandomHFlip(grid, 0).tolist(), await grid.tolist());
    const sq = mx.reshape(mx.arange(9, undefined, undefined, mx.float32), [3, 3, 1]);
    assertClose(await nums(dx.imageRotate(sq, 90)), [2, 5, 8, 1, 4, 7, 0, 3, 6], { atol: 1e-4, msg: 'counterclockwise quarter turn (np.rot90)' });
    assertClose(await nums(dx.imageRotate(sq, 180)), [8, 7, 6, 5, 4, 3, 2, 1, 0], { atol: 1e-4 });
    assertClose(await nums(dx.imageRotate(sq, 0)), [0, 1, 2, 3, 4, 5, 6, 7, 8], { atol: 1e-6 });
    const rot45 = await nums(dx.imageRotate(mx.ones([9, 9, 1]), 45));
    assert(rot45[0] === 0 && Math.abs(rot45[40] - 1) < 1e-6, 'corners outside the source are 0');
    assertThrows(() => dx.imageCenterCrop(grid, 5, 5), /larger than the image/);
    assertThrows(() => dx.imageResize(mx.zeros([3, 3]), 2, 2), /Expected an image/);
  });

  test('pipelines load and transform images', async (ctx) => {
    dev(ctx);
    const pngs = media.filter((m) => m.kind === 'png' && m.shape[2] === 3).map((m) => ({ image: b64(m.b64), label: m.name }));
    const batches = await dx.fromVector(pngs).loadImage('image', { decoder: 'builtin', channels: 3 })
      .imageResize('image', 4, 4).imageRandomHFlip('image', 0.5, 1).batch(2).toStream().prefetch(2).toArray();
    assertEqual(batches.map((b) => [...b.image.shape]), [[2, 4, 4, 3]]);
    assertEqual(batches[0].label, pngs.map((p) => p.label));
    if (ctx.runtime !== 'chromium') {
      const fromDisk = await dx.fromFiles(['rgb8.png'], 'img').loadImage('img', { prefix: 'test/fixtures/media/', decoder: 'builtin' }).get(0);
      assertEqual(await nums(fromDisk.img), file('rgb8.png').pixels!);
      const wav = await dx.fromFiles(['pcm16.wav'], 'a').loadAudio('a', { prefix: 'test/fixtures/media/' }).squeeze('a', 1).get(0);
      assertEqual([...wav.a.shape], [9]);
      assertEqual(wav.aSampleRate, 16000);
      await assertRejects(() => dx.loadVideo(new Uint8Array(8)), /not supported in Deno or Node/);
    }
  });
});
