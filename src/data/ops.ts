// Per-sample ops shared by Buffer and Stream (mlx-data's common ops): key transforms,
// padding, loading files/images/audio, and image augmentations.
import { MxArray } from '../core/array.ts';
import { squeeze as squeezeOp } from '../ops/shape.ts';
import { toBytes, isBytesLike } from '../io/bytes.ts';
import { readFile } from '../io/fs.ts';
import { type Sample, padToSize, padToMultiple } from './sample.ts';
import {
  loadImage, imageResize, imageResizeSmallestSide, imageCenterCrop, imageRandomCrop, imageRandomHFlip, imageRotate,
  type LoadImageOptions,
} from './image.ts';
import { loadAudio, type LoadAudioOptions } from './audio.ts';
import { rngFor, type Rng } from './rng.ts';

/** A per-sample function; it may be async. */
export type SampleFn = (sample: Sample) => Sample | Promise<Sample>;

/** Where loaders read from: `prefix` is prepended to string values. */
export interface LoadOptions {
  /** Prepended to the key's value (a directory or a base URL). */
  prefix?: string;
  /** Store the result here instead of replacing the key. */
  outputKey?: string;
}

async function bytesOf(v: unknown, prefix = ''): Promise<Uint8Array> {
  if (typeof v === 'string') return readFile(prefix + v);
  if (isBytesLike(v)) return toBytes(v);
  throw new TypeError(`[data] Expected a path/URL string or bytes to load, got ${typeof v}.`);
}

function need(s: Sample, key: string, op: string): any {
  if (!(key in s)) throw new Error(`[${op}] The sample has no key '${key}' (keys: ${Object.keys(s).join(', ')}).`);
  return s[key];
}

function arr(s: Sample, key: string, op: string): MxArray {
  const v = need(s, key, op);
  if (!(v instanceof MxArray)) throw new TypeError(`[${op}] '${key}' is not an array.`);
  return v;
}

/**
 * The ops every Buffer and Stream has; each returns a new pipeline of the same kind.
 * @example
 * const s = dx.fromFiles(paths, 'image').loadImage('image').imageResize('image', 64, 64);
 */
export abstract class Ops<Self> {
  /**
   * Applies a function to every sample.
   * @example
   * dset.map((s) => ({ ...s, x: mx.divide(s.x, 255) }))
   */
  abstract map(fn: SampleFn): Self;

  /**
   * Transforms the value of one key (into `outputKey` if given).
   * @example
   * dset.keyTransform('x', (x) => mx.multiply(x, 2))
   */
  keyTransform(key: string, fn: (value: any) => any, outputKey = key): Self {
    return this.map(async (s) => ({ ...s, [outputKey]: await fn(need(s, key, 'keyTransform')) }));
  }

  /** Renames a key. @example dset.renameKey('image', 'x') */
  renameKey(from: string, to: string): Self {
    return this.map((s) => {
      const { [from]: v, ...rest } = s;
      if (v === undefined && !(from in s)) throw new Error(`[renameKey] The sample has no key '${from}'.`);
      return { ...rest, [to]: v };
    });
  }

  /** Keeps only the given keys. @example dset.filterKey(['x', 'y']) */
  filterKey(keys: string | string[], remove = false): Self {
    const ks = new Set(typeof keys === 'string' ? [keys] : keys);
    return this.map((s) => Object.fromEntries(Object.entries(s).filter(([k]) => ks.has(k) !== remove)));
  }

  /** Pads the array under `key` along `dim` to `size`. @example dset.padToSize('tokens', 0, 128) */
  padToSize(key: string, dim: number, size: number, value = 0): Self {
    return this.map((s) => ({ ...s, [key]: padToSize(arr(s, key, 'padToSize'), dim, size, value) }));
  }

  /** Pads the array under `key` along `dim` to a multiple. @example dset.padToMultiple('audio', 0, 160) */
  padToMultiple(key: string, dim: number, multiple: number, value = 0): Self {
    return this.map((s) => ({ ...s, [key]: padToMultiple(arr(s, key, 'padToMultiple'), dim, multiple, value) }));
  }

  /** Removes size-1 axes of the array under `key`. @example dset.squeeze('audio', 1) */
  squeeze(key: string, dim?: number | number[]): Self {
    return this.map((s) => ({ ...s, [key]: squeezeOp(arr(s, key, 'squeeze'), dim) }));
  }

  /**
   * Reads the file (path/URL under `key`, with `prefix`) into bytes.
   * @example
   * dx.fromFiles(paths).loadFile('file', { outputKey: 'bytes' })
   */
  loadFile(key: string, opts: LoadOptions = {}): Self {
    return this.map(async (s) => ({ ...s, [opts.outputKey ?? key]: await bytesOf(need(s, key, 'loadFile'), opts.prefix) }));
  }

  /**
   * Loads the image named (or held as bytes) under `key` as a uint8 array [H, W, C].
   * @example
   * dx.fromFiles(paths, 'image').loadImage('image', { channels: 3 })
   */
  loadImage(key: string, opts: LoadOptions & LoadImageOptions = {}): Self {
    return this.map(async (s) => ({ ...s, [opts.outputKey ?? key]: await loadImage(await bytesOf(need(s, key, 'loadImage'), opts.prefix), opts) }));
  }

  /**
   * Loads audio under `key` as float32 [frames, channels]; the rate goes to `sampleRateKey`.
   * @example
   * dx.fromFiles(wavs, 'audio').loadAudio('audio').squeeze('audio', 1)
   */
  loadAudio(key: string, opts: LoadOptions & LoadAudioOptions & { sampleRateKey?: string } = {}): Self {
    return this.map(async (s) => {
      const { audio, sampleRate } = await loadAudio(await bytesOf(need(s, key, 'loadAudio'), opts.prefix), opts);
      return { ...s, [opts.outputKey ?? key]: audio, [opts.sampleRateKey ?? `${key}SampleRate`]: sampleRate };
    });
  }

  /** Bilinear resize of the image under `key`. @example dset.imageResize('image', 224, 224) */
  imageResize(key: string, height: number, width: number): Self {
    return this.map((s) => ({ ...s, [key]: imageResize(arr(s, key, 'imageResize'), height, width) }));
  }

  /** Resizes so the smaller side is `size`. @example dset.imageResizeSmallestSide('image', 256) */
  imageResizeSmallestSide(key: string, size: number): Self {
    return this.map((s) => ({ ...s, [key]: imageResizeSmallestSide(arr(s, key, 'imageResizeSmallestSide'), size) }));
  }

  /** Central crop. @example dset.imageCenterCrop('image', 224, 224) */
  imageCenterCrop(key: string, height: number, width: number): Self {
    return this.map((s) => ({ ...s, [key]: imageCenterCrop(arr(s, key, 'imageCenterCrop'), height, width) }));
  }

  /** Random crop (seeded by `seed`, else the global seed). @example dset.imageRandomCrop('image', 224, 224) */
  imageRandomCrop(key: string, height: number, width: number, seed?: number | Rng): Self {
    const rng = rngFor(seed);
    return this.map((s) => ({ ...s, [key]: imageRandomCrop(arr(s, key, 'imageRandomCrop'), height, width, rng) }));
  }

  /** Random left-right flip. @example dset.imageRandomHFlip('image', 0.5) */
  imageRandomHFlip(key: string, prob = 0.5, seed?: number | Rng): Self {
    const rng = rngFor(seed);
    return this.map((s) => ({ ...s, [key]: imageRandomHFlip(arr(s, key, 'imageRandomHFlip'), prob, rng) }));
  }

  /** Counterclockwise rotation by degrees. @example dset.imageRotate('image', 10) */
  imageRotate(key: string, angle: number): Self {
    return this.map((s) => ({ ...s, [key]: imageRotate(arr(s, key, 'imageRotate'), angle) }));
  }
}
