// Public names not driven by the op fixture tables: devices, views, introspection, format
// errors, some nn layers and functions, and webmlx/data helpers (incl. WebCodecs video).
import * as mx from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';
import * as dx from '../../src/data/index.ts';
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertRejects, assertThrows } from '../harness/assert.ts';
import { onDevice, nums } from './common.ts';
import media from '../fixtures/opt_media.gen.ts';

export const surfaceSuite = suite('surface', (t) => {
  const test = onDevice(t);

  test('Device objects, sliceAxes and the AtIndexer', async () => {
    assert(mx.cpu instanceof mx.Device && mx.gpu instanceof mx.Device, 'mx.cpu and mx.gpu are Devices');
    assertEqual(mx.cpu.type, 'cpu');
    const x = mx.arange(0, 12, 1, mx.int32).reshape(3, 4);
    assertEqual(await mx.sliceAxes(x, [1], [1], [3]).tolist(), [[1, 2], [5, 6], [9, 10]]);
    const at = x.at(0);
    assert(at instanceof mx.AtIndexer, 'x.at(...) is an AtIndexer');
    assertEqual(await at.add(100).index(0).tolist(), [100, 101, 102, 103]);
  });

  test('exportToDot names ops, shapes and the outputs', () => {
    const a = mx.ones([2, 3]);
    const dot = mx.exportToDot(mx.sum(mx.exp(a), 1));
    assert(dot.startsWith('digraph'), dot.slice(0, 20));
    assert(/exp\\n\(2,3\) float32/.test(dot) && /sum/.test(dot), dot);
  });

  test('setDebug logs each generated kernel with its dispatch size', async (ctx) => {
    const lines: string[] = [];
    mx.setDebug({ logKernels: true, log: (m) => lines.push(m) });
    try {
      await mx.eval(mx.multiply(mx.exp(mx.arange(0, 300, 1, mx.float32)), 2));
    } finally {
      mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
    }
    if (ctx.device === 'gpu') {
      assert(lines.some((l) => /exp/.test(l) && /workgroups/.test(l) && /@compute/.test(l)), lines.join('\n').slice(0, 400));
    } else assert(lines.some((l) => /cpu/.test(l) && /exp/.test(l)), lines.join('\n').slice(0, 400));
  });

  test('setDebug({timeKernels}) reports each kernel\'s GPU time, or that the adapter cannot', async (ctx) => {
    const lines: string[] = [];
    mx.setDebug({ timeKernels: true, log: (m) => lines.push(m) });
    try {
      await mx.eval(mx.sum(mx.exp(mx.arange(0, 5000, 1, mx.float32))));
    } finally {
      mx.setDebug({ timeKernels: false, log: (m) => console.log(m) });
    }
    if (ctx.device === 'gpu') {
      const timed = lines.filter((l) => /^\[gpu time\] .*: [\d.]+ us \(\d+x\d+ workgroups\)/.test(l));
      const none = lines.some((l) => /no timestamp-query feature/.test(l));
      assert(timed.length >= 1 || none, lines.join('\n'));
    }
  });

  test('setDebug({timeRuns}) reports one GPU time per evaluation, with its dispatch count', async (ctx) => {
    const lines: string[] = [];
    mx.setDebug({ timeRuns: true, log: (m) => lines.push(m) });
    try {
      const x = mx.arange(0, 5000, 1, mx.float32);
      await mx.eval(mx.sum(mx.exp(x)), mx.max(mx.sin(x)));
    } finally {
      mx.setDebug({ timeRuns: false, log: (m) => console.log(m) });
    }
    if (ctx.device === 'gpu') {
      const runs = lines.filter((l) => /^\[gpu time\] run: [\d.]+ us \((\d+) dispatches\)/.test(l));
      const none = lines.some((l) => /no timestamp-query feature/.test(l));
      assert((runs.length === 1 && Number(/\((\d+) dispatches/.exec(runs[0])![1]) >= 2) || none, lines.join('\n'));
    }
  });

  test('malformed files raise FormatError naming the format', async () => {
    await assertRejects(() => mx.loadNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), /npy/);
    let err: unknown = null;
    await mx.loadNpy(new Uint8Array(12)).catch((e: unknown) => (err = e));
    assert(err instanceof mx.FormatError && err.format === 'npy', `got ${String(err)}`);
  });

  test('nn.Identity and the transformer layers keep shapes', async () => {
    mx.random.seed(1);
    const x = mx.random.normal([2, 5, 8]);
    
    assertClose(await nums(new nn.Identity().forward(x)), await nums(x));
    const enc = new nn.TransformerEncoderLayer(8, 2, { mlpDims: 16 });
    const dec = new nn.TransformerDecoderLayer(8, 2, { mlpDims: 16 });
    const e = enc.forward(x, null);
    const d = dec.forward(x, e, null, null);
    assertEqual([...e.shape], [2, 5, 8]);
    assertEqual([...d.shape], [2, 5, 8]);
    const v = await nums(d);
    assert(v.every(Number.isFinite), 'finite outputs');
  });

  test('upsample functions match nn.Upsample', async () => {
    const x = mx.arange(0, 2 * 3 * 3 * 2, 1, mx.float32).reshape(2, 3, 3, 2);
    const pairs: [mx.MxArray, mx.MxArray][] = [
      [nn.upsampleNearest(x, [2, 2]), new nn.Upsample(2, { mode: 'nearest' }).forward(x)],
      [nn.upsampleLinear(x, [2, 2]), new nn.Upsample(2, { mode: 'linear' }).forward(x)],
      [nn.upsampleCubic(x, [2, 2], true), new nn.Upsample(2, { mode: 'cubic', alignCorners: true }).forward(x)],
    ];
    for (const [a, b] of pairs) {
      assertEqual([...a.shape], [2, 6, 6, 2]);
      assertClose(await nums(a), await nums(b), { rtol: 1e-6, atol: 1e-6 });
    }
    // nearest doubling repeats each pixel
    assertEqual((await nums(pairs[0][0])).slice(0, 4), [0, 1, 0, 1]);
  });

  test('data: Stream/Ops, fromUrls, collate, makeRng, convertChannels', async () => {
    const s = dx.fromVector([{ v: 1 }, { v: 2 }, { v: 3 }]).toStream();
    assert(s instanceof dx.Stream && s instanceof dx.Ops, 'a stream is a Stream and has the shared Ops');
    const seen: number[] = [];
    for await (const x of s.map((x) => ({ v: mx.multiply(x.v as mx.MxArray, 10) }))) seen.push(await (x.v as mx.MxArray).item() as number);
    assertEqual(seen, [10, 20, 30]);
    const urls = dx.fromUrls(['a.png', 'b.png']);
    assertEqual(urls.size, 2);
    const batch = dx.collate([{ x: mx.array([1, 2]) }, { x: mx.array([3, 4]) }]);
    assertEqual(await (batch.x as mx.MxArray).tolist(), [[1, 2], [3, 4]]);
    const r1 = dx.makeRng(7), r2 = dx.makeRng(7);
    const a = [r1(), r1(), r1()], b = [r2(), r2(), r2()];
    assertEqual(a, b);
    assert(a.every((v) => v >= 0 && v < 1) && new Set(a).size === 3, `uniform draws ${a}`);
    const img = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array([10, 20, 30, 200, 100, 0]) };
    const rgba = dx.convertChannels(img, 4);
    assertEqual([...rgba.data], [10, 20, 30, 255, 200, 100, 0, 255]);
    assertEqual(dx.convertChannels(img, 1).data.length, 2);
  });

  test('data: decodeImage reads PNG bytes; decodeVideo decodes WebCodecs chunks in a page', async (ctx) => {
    // a 1x1 red PNG
    const png = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));
    const im = await dx.decodeImage(png, 'builtin');
    assertEqual([im.width, im.height], [1, 1]);
    assertEqual([...im.data.slice(0, 3)], [255, 0, 0]);
    if (ctx.runtime !== 'chromium') {
      await assertRejects(() => dx.decodeVideo({ codec: 'vp8' }, []), /not supported in Deno or Node/);
      return;
    }
    // encode four solid-colour frames with WebCodecs, then decode them back
    const W = 32, H = 32, chunks: EncodedVideoChunkInit[] = [];
    const enc = new VideoEncoder({
      output: (c) => {
        const data = new Uint8Array(c.byteLength);
        c.copyTo(data);
        chunks.push({ type: c.type, timestamp: c.timestamp, data });
      },
      error: (e) => { throw e; },
    });
    enc.configure({ codec: 'vp8', width: W, height: H, bitrate: 500_000 });
    const canvas = new OffscreenCanvas(W, H);
    const g = canvas.getContext('2d')!;
    const colors = ['#ff0000', '#00ff00', '#0000ff', '#ffffff'];
    colors.forEach((c, i) => {
      g.fillStyle = c;
      g.fillRect(0, 0, W, H);
      const f = new VideoFrame(canvas, { timestamp: i * 33_000 });
      enc.encode(f, { keyFrame: i === 0 });
      f.close();
    });
    await enc.flush();
    enc.close();
    const frames = await dx.decodeVideo({ codec: 'vp8', codedWidth: W, codedHeight: H }, chunks);
    assertEqual([...frames.shape], [4, H, W, 4]);
    const mean = await nums(mx.mean(frames.astype(mx.float32), [1, 2]));
    const expect = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
    expect.forEach((rgb, i) => rgb.forEach((v, k) => assert(Math.abs(mean[i * 4 + k] - v) < 40, `frame ${i} channel ${k}: ${mean[i * 4 + k]} vs ${v}`)));
  });

  test('data: the page\'s own decoders (createImageBitmap/ImageDecoder, Web Audio) agree with the built-in ones', async (ctx) => {
    if (ctx.runtime !== 'chromium') return;
    const b64 = (x: string) => Uint8Array.from(atob(x), (c) => c.charCodeAt(0));
    const bad: string[] = [];
    // rgb8.png splits its IDAT around a text chunk, which browsers refuse (the built-in
    // decoder accepts it); canvases store premultiplied alpha, so colours of translucent
    // pixels may differ by rounding and those of transparent ones are lost
    for (const f of media.filter((m) => m.kind === 'png' && m.name !== 'rgb8.png')) {
      const bytes = b64(f.b64);
      const a = await dx.decodeImage(bytes, 'platform').catch((e: Error) => (bad.push(`${f.name}: ${e.message}`), null));
      if (!a) continue;
      const b = await dx.decodeImage(bytes, 'builtin');
      const ca = dx.convertChannels(a, 4), cb = dx.convertChannels(b, 4);
      assertEqual([ca.width, ca.height], [cb.width, cb.height]);
      let diff = 0;
      for (let i = 0; i < ca.data.length; i++) {
        const alpha = cb.data[i - (i % 4) + 3];
        if (i % 4 === 3 || alpha === 255) diff = Math.max(diff, Math.abs(ca.data[i] - cb.data[i]));
        else if (alpha > 0) diff = Math.max(diff, Math.abs(ca.data[i] - cb.data[i]) > 2 ? 99 : 0);
      }
      if (diff > 0) bad.push(`${f.name}: max difference ${diff}`);
    }
    assert(bad.length === 0, bad.join('; '));
    const jpg = media.find((m) => m.name === 'color444_rst.jpg')!;
    const [pj, bj] = [await dx.decodeImage(b64(jpg.b64), 'platform'), await dx.decodeImage(b64(jpg.b64), 'builtin')];
    const [qa, qb] = [dx.convertChannels(pj, 3).data, dx.convertChannels(bj, 3).data];
    const err = qa.reduce((t, v, i) => t + Math.abs(v - qb[i]), 0) / qa.length;
    assert(qa.length === qb.length && err < 4, `JPEG platform vs built-in mean abs difference ${err}`);
    const wav = media.find((m) => m.name === 'pcm16.wav')!;
    const { audio, sampleRate } = await dx.loadAudio(b64(wav.b64));
    assert(sampleRate > 0 && audio.shape[0] > 0, 'WAV decodes in the page');
  });
});
