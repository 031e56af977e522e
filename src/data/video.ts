// Video: WebCodecs VideoDecoder for demuxed streams, and whole files through the page's
// <video> element. Neither exists in Deno or Node, where loading video is unsupported.
import { type MxArray, fromTyped } from '../core/array.ts';
import { uint8 } from '../core/dtype.ts';
import { resolveDevice } from '../core/device.ts';
import { toBytes, isBytesLike, type BytesLike } from '../io/bytes.ts';

const UNSUPPORTED = '[loadVideo] Video decoding needs a page with WebCodecs or a <video> element; it is not supported in Deno or Node.';

function frameToRgba(frame: CanvasImageSource, w: number, h: number, ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D): Uint8Array {
  ctx.drawImage(frame, 0, 0, w, h);
  return new Uint8Array(ctx.getImageData(0, 0, w, h).data.buffer);
}

function stackFrames(frames: Uint8Array[], h: number, w: number): MxArray {
  const all = new Uint8Array(frames.length * h * w * 4);
  frames.forEach((f, i) => all.set(f, i * h * w * 4));
  return fromTyped(all, [frames.length, h, w, 4], uint8, resolveDevice());
}

/**
 * Decodes already-demuxed encoded video (e.g. H.264 samples from an MP4 demuxer) with
 * WebCodecs' VideoDecoder; returns RGBA frames [T, H, W, 4] (uint8).
 * @example
 * const frames = await dx.decodeVideo({ codec: 'avc1.42E01E', description }, chunks);
 */
export async function decodeVideo(config: VideoDecoderConfig, chunks: EncodedVideoChunkInit[], maxFrames = Infinity): Promise<MxArray> {
  if (typeof VideoDecoder === 'undefined' || typeof OffscreenCanvas === 'undefined') throw new Error(UNSUPPORTED);
  const support = await VideoDecoder.isConfigSupported(config);
  if (!support.supported) throw new Error(`[decodeVideo] The codec '${config.codec}' is not supported by this browser.`);
  const frames: Uint8Array[] = [];
  let w = 0, h = 0, ctx: OffscreenCanvasRenderingContext2D | null = null;
  let failure: unknown = null;
  const dec = new VideoDecoder({
    output: (f) => {
      try {
        if (frames.length < maxFrames) {
          if (!ctx) {
            w = f.displayWidth;
            h = f.displayHeight;
            ctx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true });
          }
          frames.push(frameToRgba(f, w, h, ctx!));
        }
      } finally {
        f.close();
      }
    },
    error: (e) => (failure = e),
  });
  dec.configure(config);
  for (const c of chunks) dec.decode(new EncodedVideoChunk(c));
  await dec.flush();
  dec.close();
  if (failure) throw new Error(`[decodeVideo] Decoding failed: ${failure instanceof Error ? failure.message : String(failure)}`);
  if (!frames.length) throw new Error('[decodeVideo] The decoder produced no frames.');
  return stackFrames(frames, h, w);
}

/** Options of loadVideo. */
export interface LoadVideoOptions {
  /** Frames per second to sample (default 4). */
  fps?: number;
  /** Stop after this many frames (default 64). */
  maxFrames?: number;
}

/**
 * Loads a video file (any container/codec the browser plays) by seeking a <video> element
 * at `fps`; returns RGBA frames [T, H, W, 4]. Pages only: elsewhere it throws.
 * @example
 * const clip = await dx.loadVideo('clip.mp4', { fps: 2, maxFrames: 16 });
 */
export async function loadVideo(src: string | BytesLike, opts: LoadVideoOptions = {}): Promise<MxArray> {
  const doc = (globalThis as { document?: Document }).document;
  if (!doc) throw new Error(UNSUPPORTED);
  const url = typeof src === 'string' ? src : isBytesLike(src) ? URL.createObjectURL(new Blob([(await toBytes(src)) as Uint8Array<ArrayBuffer>])) : null;
  if (!url) throw new TypeError('[loadVideo] Expected a URL or bytes.');
  const v = doc.createElement('video');
  v.muted = true;
  v.preload = 'auto';
  v.crossOrigin = 'anonymous';
  const once = (ev: string) => new Promise<void>((res, rej) => {
    v.addEventListener(ev, () => res(), { once: true });
    v.addEventListener('error', () => rej(new Error(`[loadVideo] The browser could not load the video (${v.error?.message ?? 'unknown error'}).`)), { once: true });
  });
  try {
    v.src = url;
    await once('loadeddata');
    const w = v.videoWidth, h = v.videoHeight;
    const ctx = doc.createElement('canvas').getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('[loadVideo] Could not create a 2d canvas context.');
    ctx.canvas.width = w;
    ctx.canvas.height = h;
    const fps = opts.fps ?? 4, max = opts.maxFrames ?? 64;
    const frames: Uint8Array[] = [];
    for (let t = 0; t < v.duration && frames.length < max; t += 1 / fps) {
      v.currentTime = t;
      await once('seeked');
      frames.push(frameToRgba(v, w, h, ctx));
    }
    return stackFrames(frames, h, w);
  } finally {
    if (typeof src !== 'string') URL.revokeObjectURL(url);
  }
}
