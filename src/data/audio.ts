// Audio: WAV decoding (PCM 8/16/24/32-bit, float 32/64, WAVE_FORMAT_EXTENSIBLE), other
// formats through the page's audio decoder, and log-mel filterbank features (mfsc) as
// array ops: framing by gather, pre-emphasis + window + DFT folded into one matmul.
import { type MxArray, fromTyped } from '../core/array.ts';
import { resolveDevice } from '../core/device.ts';
import { float32, int32 } from '../core/dtype.ts';
import { array } from '../ops/core.ts';
import { astype, add, square, log, maximum } from '../ops/elementwise.ts';
import { reshape, squeeze } from '../ops/shape.ts';
import { take } from '../ops/indexing.ts';
import { matmul } from '../ops/matmul.ts';
import { FormatError, check, toBytes, isBytesLike, type BytesLike } from '../io/bytes.ts';
import { readFile } from '../io/fs.ts';

/** Decoded audio: interleaved float samples in [-1, 1], [frames, channels]. */
export interface DecodedAudio {
  sampleRate: number;
  channels: number;
  frames: number;
  data: Float32Array;
}

const ascii = (b: Uint8Array, o: number) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
/** @internal Whether bytes look like a RIFF/WAVE file. */
export const isWav = (b: Uint8Array): boolean => b.length >= 12 && ascii(b, 0) === 'RIFF' && ascii(b, 8) === 'WAVE';

/**
 * Decodes a WAV file. Integer PCM is scaled to [-1, 1) (divided by 2^(bits-1); 8-bit is
 * unsigned around 128); float data is returned as is.
 * @example
 * const { sampleRate, channels, data } = decodeWav(bytes);
 */
export function decodeWav(b: Uint8Array): DecodedAudio {
  check(b.length >= 12, 'wav', `File is too short (${b.length} bytes) for a RIFF header.`);
  check(ascii(b, 0) === 'RIFF' && ascii(b, 8) === 'WAVE', 'wav', 'Bad magic: not a RIFF/WAVE file.');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let fmt: { tag: number; ch: number; rate: number; align: number; bits: number } | null = null;
  let data: Uint8Array | null = null;
  for (let p = 12; p + 8 <= b.length; ) {
    const id = ascii(b, p), len = dv.getUint32(p + 4, true);
    const body = p + 8;
    if (id === 'fmt ') {
      check(len >= 16 && body + len <= b.length, 'wav', `The fmt chunk (${len} bytes) is truncated.`);
      let tag = dv.getUint16(body, true);
      if (tag === 0xfffe) {
        check(len >= 40, 'wav', 'The WAVE_FORMAT_EXTENSIBLE fmt chunk is too short.');
        tag = dv.getUint16(body + 24, true);
      }
      fmt = { tag, ch: dv.getUint16(body + 2, true), rate: dv.getUint32(body + 4, true), align: dv.getUint16(body + 12, true), bits: dv.getUint16(body + 14, true) };
    } else if (id === 'data') {
      check(fmt, 'wav', 'The data chunk comes before the fmt chunk.');
      check(body + len <= b.length, 'wav', `The data chunk says ${len} bytes but only ${b.length - body} remain: the file is truncated.`);
      data = b.subarray(body, body + len);
      break;
    }
    p = body + len + (len & 1);
  }
  check(fmt, 'wav', 'No fmt chunk.');
  check(data, 'wav', 'No data chunk (truncated?).');
  const { tag, ch, rate, bits } = fmt;
  check(ch >= 1 && rate >= 1, 'wav', `Invalid channel count ${ch} or sample rate ${rate}.`);
  const bps = bits / 8;
  check((tag === 1 && [8, 16, 24, 32].includes(bits)) || (tag === 3 && (bits === 32 || bits === 64)), 'wav',
    `Unsupported sample format: tag ${tag} with ${bits} bits (PCM 8/16/24/32 and float 32/64 are supported).`);
  check(fmt.align === ch * bps, 'wav', `Block align ${fmt.align} does not match ${ch} channels of ${bits} bits.`);
  const frames = Math.floor(data.length / fmt.align);
  const n = frames * ch;
  const out = new Float32Array(n);
  const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < n; i++) {
    const o = i * bps;
    if (tag === 3) out[i] = bits === 32 ? d.getFloat32(o, true) : d.getFloat64(o, true);
    else if (bits === 8) out[i] = (data[o] - 128) / 128;
    else if (bits === 16) out[i] = d.getInt16(o, true) / 32768;
    else if (bits === 24) out[i] = (((data[o] | (data[o + 1] << 8) | (data[o + 2] << 16)) << 8) >> 8) / 8388608;
    else out[i] = d.getInt32(o, true) / 2147483648;
  }
  return { sampleRate: rate, channels: ch, frames, data: out };
}

/** Options of loadAudio. */
export interface LoadAudioOptions {
  /** Sample rate for formats the page decodes (it resamples); default 48000. WAV keeps its own. */
  sampleRate?: number;
}

/**
 * Loads audio as a float32 array [frames, channels] and its sample rate. WAV is decoded
 * everywhere; other formats (mp3, ogg, ...) use the page's decoder (Web Audio's
 * decodeAudioData, which also needs no demuxer) and are resampled to `sampleRate`.
 * @example
 * const { audio, sampleRate } = await dx.loadAudio('speech.wav');
 */
export async function loadAudio(src: string | BytesLike, opts: LoadAudioOptions = {}): Promise<{ audio: MxArray; sampleRate: number }> {
  const bytes = typeof src === 'string' ? await readFile(src) : isBytesLike(src) ? await toBytes(src) : null;
  if (!bytes) throw new TypeError('[loadAudio] Expected a path, URL or bytes.');
  let dec: DecodedAudio;
  if (isWav(bytes)) dec = decodeWav(bytes);
  else dec = await platformDecode(bytes, opts.sampleRate ?? 48000);
  return { audio: fromTyped(dec.data, [dec.frames, dec.channels], float32, resolveDevice()), sampleRate: dec.sampleRate };
}

async function platformDecode(bytes: Uint8Array, rate: number): Promise<DecodedAudio> {
  const Ctx = (globalThis as { OfflineAudioContext?: typeof OfflineAudioContext }).OfflineAudioContext;
  if (!Ctx) throw new FormatError('audio', 'Only WAV can be decoded in this runtime; other formats need a page with Web Audio.');
  const ctx = new Ctx(1, 1, rate);
  let buf: AudioBuffer;
  try {
    buf = await ctx.decodeAudioData(bytes.slice().buffer);
  } catch (e) {
    throw new FormatError('audio', `The page could not decode the audio (${e instanceof Error ? e.message : String(e)}).`);
  }
  const ch = buf.numberOfChannels, frames = buf.length;
  const data = new Float32Array(frames * ch);
  for (let c = 0; c < ch; c++) {
    const plane = buf.getChannelData(c);
    for (let i = 0; i < frames; i++) data[i * ch + c] = plane[i];
  }
  return { sampleRate: buf.sampleRate, channels: ch, frames, data };
}

/** Options of mfsc (mlx-data's defaults). */
export interface MfscOptions {
  /** Frame length in milliseconds (default 25). */
  frameSizeMs?: number;
  /** Hop between frames in milliseconds (default 10). */
  frameStrideMs?: number;
  /** Pre-emphasis coefficient, applied per frame (default 0.97; 0 disables). */
  preEmphasis?: number;
  /** Lowest filterbank frequency in Hz (default 0). */
  lowFreq?: number;
  /** Highest filterbank frequency in Hz; <= 0 means the Nyquist frequency (default -1). */
  highFreq?: number;
  /** Filterbank energies are floored at this value before the log (default 1). */
  melFloor?: number;
}

const melOf = (f: number) => 2595 * Math.log10(1 + f / 700);
const hzOf = (m: number) => 700 * (10 ** (m / 2595) - 1);

/**
 * Makes a log-mel filterbank feature extractor (MFSC), as mlx-data's `features.mfsc`: the
 * returned function maps mono audio [N] (or [N, 1]) to features [frames, nFilterbank].
 * Per frame: pre-emphasis y[0] = (1 - a) x[0], y[i] = x[i] - a x[i-1]; Hamming window;
 * power spectrum of an FFT-size (next power of two) DFT; triangular mel filters (HTK mel
 * scale); log(max(energy, melFloor)). Everything after framing is two matmuls.
 * @example
 * const features = dx.mfsc(80, 16000)(audio); // [frames, 80]
 */
export function mfsc(nFilterbank: number, sampleRate: number, opts: MfscOptions = {}): (audio: MxArray) => MxArray {
  const L = Math.round((sampleRate * (opts.frameSizeMs ?? 25)) / 1000);
  const S = Math.round((sampleRate * (opts.frameStrideMs ?? 10)) / 1000);
  if (L < 2 || S < 1) throw new Error(`[mfsc] Frame size ${L} and stride ${S} (in samples) are too small.`);
  const a = opts.preEmphasis ?? 0.97;
  let nfft = 1;
  while (nfft < L) nfft *= 2;
  const nb = nfft / 2 + 1;
  // x (frame) -> pre-emphasis -> window: one [L, L] matrix P with y = P x
  const win = Float64Array.from({ length: L }, (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (L - 1)));
  // cos/sin DFT matrices with P folded in: re = frames @ C, im = frames @ Sn, each [L, nb]
  const C = new Float32Array(L * nb), Sn = new Float32Array(L * nb);
  for (let n = 0; n < L; n++) {
    for (let k = 0; k < nb; k++) {
      // coefficient of x[n] in y[m] * w[m] summed against the DFT basis at m = n and m = n + 1
      const basis = (m: number, f: (t: number) => number) => win[m] * f((2 * Math.PI * k * m) / nfft);
      const own = n === 0 ? 1 - a : 1;
      const c = own * basis(n, Math.cos) - (n + 1 < L ? a * basis(n + 1, Math.cos) : 0);
      const s = own * basis(n, Math.sin) - (n + 1 < L ? a * basis(n + 1, Math.sin) : 0);
      C[n * nb + k] = c;
      Sn[n * nb + k] = s;
    }
  }
  const high = (opts.highFreq ?? -1) <= 0 ? sampleRate / 2 : opts.highFreq!;
  const low = opts.lowFreq ?? 0;
  if (!(low >= 0 && low < high)) throw new Error(`[mfsc] Invalid frequency range [${low}, ${high}].`);
  const lo = melOf(low), hi = melOf(high);
  const pts = Array.from({ length: nFilterbank + 2 }, (_, i) => hzOf(lo + ((hi - lo) * i) / (nFilterbank + 1)));
  const fb = new Float32Array(nb * nFilterbank);
  for (let k = 0; k < nb; k++) {
    const f = (k * sampleRate) / nfft;
    for (let j = 0; j < nFilterbank; j++) {
      const [l, c, r] = [pts[j], pts[j + 1], pts[j + 2]];
      fb[k * nFilterbank + j] = Math.max(0, Math.min((f - l) / (c - l), (r - f) / (r - c)));
    }
  }
  const floor = opts.melFloor ?? 1.0;
  const mats = new Map<string, MxArray[]>();
  return (audio: MxArray) => {
    let x = audio;
    if (x.ndim === 2 && x.shape[1] === 1) x = squeeze(x, 1);
    if (x.ndim !== 1) throw new Error(`[mfsc] Expected mono audio of shape [N] or [N, 1], got [${audio.shape.join(', ')}].`);
    const N = x.shape[0];
    if (N < L) throw new Error(`[mfsc] The audio has ${N} samples, fewer than one frame (${L}).`);
    const nFrames = 1 + Math.floor((N - L) / S);
    const idx = new Int32Array(nFrames * L);
    for (let f = 0; f < nFrames; f++) for (let n = 0; n < L; n++) idx[f * L + n] = f * S + n;
    const key = x.device.type;
    if (!mats.has(key)) {
      const o = { stream: x.device };
      mats.set(key, [reshape(array(C, float32, o), [L, nb], o), reshape(array(Sn, float32, o), [L, nb], o), reshape(array(fb, float32, o), [nb, nFilterbank], o)]);
    }
    const [Cm, Sm, Fm] = mats.get(key)!;
    const frames = take(astype(x, float32), reshape(array(idx, int32), [nFrames, L]), 0);
    const power = add(square(matmul(frames, Cm)), square(matmul(frames, Sm)));
    return log(maximum(matmul(power, Fm), floor));
  };
}

