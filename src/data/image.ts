// Images: loading (the page's codecs where there are some, built-in PNG and baseline JPEG
// decoders elsewhere) and image ops written as array ops (gathers, lerps, slices), so
// they run on the GPU. Images are [H, W, C] or batches [N, H, W, C].
import { type MxArray, fromTyped } from '../core/array.ts';
import { type Dtype, uint8, int32, float32, isFloating, dtypeRange } from '../core/dtype.ts';
import { resolveDevice } from '../core/device.ts';
import { array } from '../ops/core.ts';
import { astype, add, subtract, multiply, clip, round } from '../ops/elementwise.ts';
import { reshape, sliceAxes, flip } from '../ops/shape.ts';
import { take } from '../ops/indexing.ts';
import { FormatError, toBytes, isBytesLike, type BytesLike } from '../io/bytes.ts';
import { readFile } from '../io/fs.ts';
import { decodePng, isPng, type DecodedImage } from './png.ts';
import { decodeJpeg, isJpeg } from './jpeg.ts';
import { rngFor, type Rng } from './rng.ts';

export type { DecodedImage } from './png.ts';

/** Options of loadImage. */
export interface LoadImageOptions {
  /** Convert to 1 (gray), 3 (RGB) or 4 (RGBA) channels; default: as decoded. */
  channels?: 1 | 3 | 4;
  /** 'builtin' (PNG/baseline JPEG, any runtime), 'platform' (the page's codecs) or 'auto' (default). */
  decoder?: 'auto' | 'builtin' | 'platform';
}

const hasPlatformCodecs = () =>
  typeof OffscreenCanvas !== 'undefined' && (typeof createImageBitmap === 'function' || typeof ImageDecoder !== 'undefined');

function mimeOf(b: Uint8Array): string {
  if (isPng(b)) return 'image/png';
  if (isJpeg(b)) return 'image/jpeg';
  const s = String.fromCharCode(...b.subarray(0, 12));
  if (s.startsWith('GIF8')) return 'image/gif';
  if (s.startsWith('RIFF') && s.slice(8, 12) === 'WEBP') return 'image/webp';
  if (s.startsWith('BM')) return 'image/bmp';
  return 'application/octet-stream';
}

async function platformDecode(b: Uint8Array): Promise<DecodedImage> {
  let source: CanvasImageSource & { width?: number; height?: number; displayWidth?: number; displayHeight?: number; close?: () => void };
  try {
    if (typeof createImageBitmap === 'function') {
      source = await createImageBitmap(new Blob([b as Uint8Array<ArrayBuffer>], { type: mimeOf(b) }), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    } else {
      const dec = new ImageDecoder({ data: b as Uint8Array<ArrayBuffer>, type: mimeOf(b) });
      source = (await dec.decode()).image;
      dec.close();
    }
  } catch (e) {
    throw new FormatError('image', `The page could not decode the image (${e instanceof Error ? e.message : String(e)}).`);
  }
  const w = source.displayWidth ?? source.width!, h = source.displayHeight ?? source.height!;
  const ctx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('[loadImage] Could not create a 2d canvas context.');
  ctx.drawImage(source, 0, 0);
  source.close?.();
  const data = new Uint8Array(ctx.getImageData(0, 0, w, h).data.buffer);
  return { width: w, height: h, channels: 4, data };
}

/**
 * Decodes image bytes to 8-bit pixels: with the page's codecs (any format the browser
 * reads) or the built-in PNG and baseline JPEG decoders (Deno, Node, or on request).
 * @example
 * const { width, height, channels, data } = await dx.decodeImage(bytes);
 */
export async function decodeImage(bytes: Uint8Array, decoder: LoadImageOptions['decoder'] = 'auto'): Promise<DecodedImage> {
  const usePlatform = decoder === 'platform' || (decoder === 'auto' && hasPlatformCodecs());
  if (usePlatform) {
    if (!hasPlatformCodecs()) throw new Error('[loadImage] This runtime has no image codecs (OffscreenCanvas with createImageBitmap or ImageDecoder).');
    return platformDecode(bytes);
  }
  if (isPng(bytes)) return decodePng(bytes);
  if (isJpeg(bytes)) return decodeJpeg(bytes);
  throw new FormatError('image', `Unknown image format (${mimeOf(bytes)}): only PNG and baseline JPEG can be decoded without the page's codecs.`);
}

/**
 * Converts decoded pixels between 1, 2 (gray+alpha), 3 and 4 channels (gray from RGB with
 * Rec. 601 weights; alpha dropped or set to 255).
 * @example
 * const rgb = dx.convertChannels(await dx.decodeImage(bytes), 3);
 */
export function convertChannels(img: DecodedImage, channels: 1 | 3 | 4): DecodedImage {
  const { width: w, height: h, channels: c, data } = img;
  if (c === channels) return img;
  const out = new Uint8Array(w * h * channels);
  for (let i = 0; i < w * h; i++) {
    const s = i * c;
    const [r, g, b] = c >= 3 ? [data[s], data[s + 1], data[s + 2]] : [data[s], data[s], data[s]];
    const a = c === 4 ? data[s + 3] : c === 2 ? data[s + 1] : 255;
    const o = i * channels;
    if (channels === 1) out[o] = c >= 3 ? Math.round(0.299 * r + 0.587 * g + 0.114 * b) : r;
    else {
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (channels === 4) out[o + 3] = a;
    }
  }
  return { width: w, height: h, channels, data: out };
}

/**
 * Loads an image (path, URL or bytes) as a uint8 array [H, W, C].
 * @example
 * const img = await dx.loadImage('cat.png', { channels: 3 });
 */
export async function loadImage(src: string | BytesLike, opts: LoadImageOptions = {}): Promise<MxArray> {
  const bytes = typeof src === 'string' ? await readFile(src) : isBytesLike(src) ? await toBytes(src) : null;
  if (!bytes) throw new TypeError('[loadImage] Expected a path, URL or bytes.');
  let img = await decodeImage(bytes, opts.decoder);
  if (opts.channels) img = convertChannels(img, opts.channels);
  return fromTyped(img.data, [img.height, img.width, img.channels], uint8, resolveDevice());
}

/** Casts float results back to an image's dtype (integers are rounded and clipped). */
function restore(x: MxArray, dt: Dtype): MxArray {
  if (isFloating(dt)) return astype(x, dt);
  const { min, max } = dtypeRange(dt);
  return astype(clip(round(x), min, max), dt);
}

function checkImage(op: string, img: MxArray): void {
  if (img.ndim !== 3 && img.ndim !== 4) throw new Error(`[${op}] Expected an image [H, W, C] or a batch [N, H, W, C], got shape [${img.shape.join(', ')}].`);
}

/** Source indices and weights of bilinear resampling along one axis (half-pixel centers). */
function lerpTable(n: number, out: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(out), i1 = new Int32Array(out), w = new Float32Array(out);
  const scale = n / out;
  for (let o = 0; o < out; o++) {
    const s = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), n - 1);
    i0[o] = Math.floor(s);
    i1[o] = Math.min(i0[o] + 1, n - 1);
    w[o] = s - i0[o];
  }
  return { i0, i1, w };
}

function lerpAxis(x: MxArray, axis: number, out: number): MxArray {
  const n = x.shape[x.ndim + axis];
  if (n === out) return x;
  const t = lerpTable(n, out);
  const a = take(x, array(t.i0, int32), axis), b = take(x, array(t.i1, int32), axis);
  const wshape = axis === -3 ? [out, 1, 1] : [out, 1];
  return add(a, multiply(subtract(b, a), reshape(array(t.w, float32), wshape)));
}

/**
 * Resizes images with bilinear interpolation (half-pixel centers, as OpenCV and PIL
 * without antialiasing). Integer images are rounded back to their dtype.
 * @example
 * const small = dx.imageResize(img, 64, 64);
 */
export function imageResize(img: MxArray, height: number, width: number): MxArray {
  checkImage('imageResize', img);
  if (!(height >= 1 && width >= 1)) throw new Error(`[imageResize] Invalid size ${height}x${width}.`);
  const x = astype(img, isFloating(img.dtype) ? img.dtype : float32);
  return restore(lerpAxis(lerpAxis(x, -3, Math.round(height)), -2, Math.round(width)), img.dtype);
}

/**
 * Resizes so the smaller side is `size`, keeping the aspect ratio.
 * @example
 * dx.imageResizeSmallestSide(img, 256)
 */
export function imageResizeSmallestSide(img: MxArray, size: number): MxArray {
  checkImage('imageResizeSmallestSide', img);
  const [h, w] = img.shape.slice(-3, -1);
  const s = size / Math.min(h, w);
  return imageResize(img, Math.max(1, Math.round(h * s)), Math.max(1, Math.round(w * s)));
}

function crop(op: string, img: MxArray, height: number, width: number, y: number, x: number): MxArray {
  checkImage(op, img);
  const [h, w] = img.shape.slice(-3, -1);
  if (height > h || width > w) throw new Error(`[${op}] Crop ${height}x${width} is larger than the image ${h}x${w}.`);
  return sliceAxes(img, [-3, -2], [y, x], [y + height, x + width]);
}

/**
 * Crops the central height x width region.
 * @example
 * dx.imageCenterCrop(img, 224, 224)
 */
export function imageCenterCrop(img: MxArray, height: number, width: number): MxArray {
  const [h, w] = img.shape.slice(-3, -1);
  return crop('imageCenterCrop', img, height, width, Math.floor((h - height) / 2), Math.floor((w - width) / 2));
}

/**
 * Crops a random height x width region (offsets from `rng`, a seed, or the global seed).
 * @example
 * dx.imageRandomCrop(img, 224, 224, 0)
 */
export function imageRandomCrop(img: MxArray, height: number, width: number, rng?: number | Rng): MxArray {
  const r = rngFor(rng);
  const [h, w] = img.shape.slice(-3, -1);
  return crop('imageRandomCrop', img, height, width, Math.floor(r() * (h - height + 1)), Math.floor(r() * (w - width + 1)));
}

/**
 * Flips images left-right with probability `prob`.
 * @example
 * dx.imageRandomHFlip(img, 0.5)
 */
export function imageRandomHFlip(img: MxArray, prob = 0.5, rng?: number | Rng): MxArray {
  checkImage('imageRandomHFlip', img);
  return rngFor(rng)() < prob ? flip(img, -2) : img;
}

/**
 * Rotates images counterclockwise by `angle` degrees about their center, bilinear, keeping
 * the size (uncovered corners are 0). Written as four gathers and a weighted sum.
 * @example
 * dx.imageRotate(img, 15)
 */
export function imageRotate(img: MxArray, angle: number): MxArray {
  checkImage('imageRotate', img);
  const [h, w, c] = img.shape.slice(-3);
  const t = (angle * Math.PI) / 180, cos = Math.cos(t), sin = Math.sin(t);
  const cy = (h - 1) / 2, cx = (w - 1) / 2;
  const idx = [0, 1, 2, 3].map(() => new Int32Array(h * w));
  const wts = [0, 1, 2, 3].map(() => new Float32Array(h * w));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // the source point that lands on (x, y) after a counterclockwise turn (y points down)
      const sx = cos * (x - cx) - sin * (y - cy) + cx;
      const sy = sin * (x - cx) + cos * (y - cy) + cy;
      const x0 = Math.floor(sx + 1e-9), y0 = Math.floor(sy + 1e-9);
      const fx = Math.max(0, sx - x0), fy = Math.max(0, sy - y0);
      const taps: [number, number, number][] = [[y0, x0, (1 - fy) * (1 - fx)], [y0, x0 + 1, (1 - fy) * fx], [y0 + 1, x0, fy * (1 - fx)], [y0 + 1, x0 + 1, fy * fx]];
      taps.forEach(([ty, tx, wt], k) => {
        const ok = ty >= 0 && ty < h && tx >= 0 && tx < w && wt > 1e-7;
        idx[k][y * w + x] = ok ? ty * w + tx : 0;
        wts[k][y * w + x] = ok ? wt : 0;
      });
    }
  }
  const lead = img.shape.slice(0, -3);
  const flat = reshape(astype(img, isFloating(img.dtype) ? img.dtype : float32), [...lead, h * w, c]);
  let acc: MxArray | null = null;
  for (let k = 0; k < 4; k++) {
    const term = multiply(take(flat, array(idx[k], int32), -2), reshape(array(wts[k], float32), [h * w, 1]));
    acc = acc ? add(acc, term) : term;
  }
  return restore(reshape(acc!, img.shape), img.dtype);
}
