// A PNG decoder for runtimes without image codecs (Deno, Node): every color type, bit
// depths 1-16 (16-bit keeps the high byte), all five row filters, palette transparency.
// zlib data is inflated by the platform's DecompressionStream('deflate').
import { FormatError, check, pipeThrough, concatBytes } from '../io/bytes.ts';
import { crc32 } from '../io/zip.ts';

/** Decoded 8-bit pixels, row-major [height, width, channels]. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** @internal Whether bytes start with the PNG signature. */
export const isPng = (b: Uint8Array): boolean => b.length >= 8 && SIG.every((v, i) => b[i] === v);

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Largest image the decoder accepts (pixels). */
const MAX_PIXELS = 1 << 28;

function unfilter(raw: Uint8Array, height: number, rowBytes: number, bpp: number): Uint8Array {
  const out = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const ft = raw[y * (rowBytes + 1)];
    const src = y * (rowBytes + 1) + 1;
    const o = y * rowBytes, p = o - rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? out[o + i - bpp] : 0;
      const b = y > 0 ? out[p + i] : 0;
      const c = y > 0 && i >= bpp ? out[p + i - bpp] : 0;
      let pred: number;
      switch (ft) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) >> 1; break;
        case 4: {
          const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new FormatError('png', `Row ${y} has an unknown filter type ${ft}.`);
      }
      out[o + i] = (raw[src + i] + pred) & 0xff;
    }
  }
  return out;
}

/**
 * Decodes PNG bytes to 8-bit pixels. Palette images become RGB (RGBA with a tRNS chunk);
 * gray and gray+alpha keep 1 and 2 channels. Interlaced (Adam7) images are not supported.
 * @example
 * const { width, height, channels, data } = await decodePng(bytes);
 */
export async function decodePng(b: Uint8Array): Promise<DecodedImage> {
  check(isPng(b), 'png', 'Bad signature: not a PNG file.');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 8;
  let ihdr: { w: number; h: number; depth: number; ct: number; interlace: number } | null = null;
  let palette: Uint8Array | null = null, trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (p < b.length && !ended) {
    check(p + 8 <= b.length, 'png', `Chunk header at byte ${p} is truncated.`);
    const len = dv.getUint32(p);
    const type = String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    check(/^[A-Za-z]{4}$/.test(type), 'png', `Chunk at byte ${p} has an invalid type.`);
    check(p + 12 + len <= b.length, 'png', `Chunk ${type} (${len} bytes at ${p}) runs past the end of the file.`);
    const body = b.subarray(p + 8, p + 8 + len);
    check(crc32(b.subarray(p + 4, p + 8 + len)) === dv.getUint32(p + 8 + len), 'png', `CRC mismatch in chunk ${type}: the file is corrupt.`);
    if (!ihdr) check(type === 'IHDR', 'png', `The first chunk is ${type}, not IHDR.`);
    switch (type) {
      case 'IHDR': {
        check(len === 13, 'png', `IHDR has length ${len}, not 13.`);
        const w = dv.getUint32(p + 8), h = dv.getUint32(p + 12);
        const depth = body[8], ct = body[9], interlace = body[12];
        check(w > 0 && h > 0 && w * h <= MAX_PIXELS, 'png', `Invalid or too large image size ${w}x${h}.`);
        check(CHANNELS[ct] !== undefined, 'png', `Unknown color type ${ct}.`);
        check(DEPTHS[ct].includes(depth), 'png', `Bit depth ${depth} is not valid for color type ${ct}.`);
        check(body[10] === 0 && body[11] === 0, 'png', 'Unknown compression or filter method.');
        check(interlace <= 1, 'png', `Unknown interlace method ${interlace}.`);
        if (interlace === 1) throw new FormatError('png', 'Interlaced (Adam7) PNGs are not supported by the built-in decoder.');
        ihdr = { w, h, depth, ct, interlace };
        break;
      }
      case 'PLTE': check(len % 3 === 0 && len > 0 && len <= 768, 'png', `PLTE has invalid length ${len}.`); palette = body; break;
      case 'tRNS': trns = body; break;
      case 'IDAT': idat.push(body); break;
      case 'IEND': ended = true; break;
      default: break; // other chunks (text, gamma, ...) are skipped
    }
    p += 12 + len;
  }
  check(ihdr, 'png', 'No IHDR chunk.');
  check(idat.length > 0, 'png', 'No IDAT chunk: the file has no image data (truncated?).');
  check(ended, 'png', 'No IEND chunk: the file is truncated.');
  const { w, h, depth, ct } = ihdr;
  if (ct === 3) check(palette, 'png', 'A palette image has no PLTE chunk.');
  const ch = CHANNELS[ct];
  const bitsPerPixel = ch * depth;
  const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
  const expect = h * (rowBytes + 1);
  if (typeof DecompressionStream === 'undefined') throw new FormatError('png', 'This runtime has no DecompressionStream to inflate the image data.');
  const raw = await pipeThrough(concatBytes(idat), new DecompressionStream('deflate'), 'png', 'Image data (zlib)', expect);
  check(raw.length === expect, 'png', `Image data inflates to ${raw.length} bytes, expected ${expect} for ${w}x${h} (truncated?).`);
  const px = unfilter(raw, h, rowBytes, Math.max(1, bitsPerPixel >> 3));
  // samples -> 8 bits
  const n = w * h * ch;
  const s = new Uint8Array(n);
  if (depth === 8) s.set(px);
  else if (depth === 16) for (let i = 0; i < n; i++) s[i] = px[Math.floor(i / (w * ch)) * rowBytes + (i % (w * ch)) * 2];
  else {
    const scale = ct === 3 ? 1 : 255 / ((1 << depth) - 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const bit = x * depth;
        const v = (px[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        s[y * w + x] = Math.round(v * scale);
      }
    }
  }
  if (ct !== 3) return { width: w, height: h, channels: ch, data: s };
  const pal = palette!;
  const outCh = trns ? 4 : 3;
  const out = new Uint8Array(w * h * outCh);
  for (let i = 0; i < w * h; i++) {
    const k = s[i];
    check(k * 3 + 2 < pal.length, 'png', `Palette index ${k} is out of range (${pal.length / 3} entries).`);
    out[i * outCh] = pal[k * 3];
    out[i * outCh + 1] = pal[k * 3 + 1];
    out[i * outCh + 2] = pal[k * 3 + 2];
    if (trns) out[i * outCh + 3] = k < trns.length ? trns[k] : 255;
  }
  return { width: w, height: h, channels: outCh, data: out };
}
