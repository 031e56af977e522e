// A compact baseline JPEG decoder (sequential DCT, Huffman, 8-bit) for runtimes without
// image codecs: any sampling factors, restart intervals, one or several scans, gray or
// YCbCr (Adobe RGB too). Float IDCT; chroma is upsampled by replication (nearest).
// Progressive, arithmetic-coded, lossless and 12-bit JPEGs are rejected with a clear error.
import { FormatError, check } from '../io/bytes.ts';
import type { DecodedImage } from './png.ts';

const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
]);
// DCT[u * 8 + x] = c(u) / 2 * cos((2x + 1) u pi / 16)
const DCT = new Float64Array(64);
for (let u = 0; u < 8; u++) for (let x = 0; x < 8; x++) DCT[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);

/** @internal Whether bytes start with a JPEG SOI marker. */
export const isJpeg = (b: Uint8Array): boolean => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

interface Huffman {
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxcode = new Int32Array(18).fill(-1), valptr = new Int32Array(17), mincode = new Int32Array(17);
  let code = 0, k = 0;
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1];
    if (n) {
      valptr[l] = k;
      mincode[l] = code;
      code += n;
      k += n;
      maxcode[l] = code - 1;
    }
    check(code <= 1 << l, 'jpeg', 'A Huffman table has more codes than its code lengths allow.');
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { maxcode, valptr, mincode, values };
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Blocks per line/column, padded to whole MCUs. */
  bw: number;
  bh: number;
  /** Blocks that hold the image (non-interleaved scans cover only these). */
  bwImg: number;
  bhImg: number;
  coefs: Int16Array;
  scanned: boolean;
}

class BitReader {
  private bits = 0;
  private nbits = 0;
  constructor(private readonly b: Uint8Array, public p: number) {}
  bit(): number {
    if (this.nbits === 0) {
      check(this.p < this.b.length, 'jpeg', 'Entropy-coded data is truncated (end of file inside a scan).');
      let byte = this.b[this.p++];
      if (byte === 0xff) {
        const next = this.b[this.p];
        check(next !== undefined, 'jpeg', 'Entropy-coded data is truncated (end of file inside a scan).');
        if (next === 0) this.p++;
        else throw new FormatError('jpeg', `Entropy-coded data ended early: marker FF${next.toString(16).toUpperCase()} inside a scan.`);
        byte = 0xff;
      }
      this.bits = byte;
      this.nbits = 8;
    }
    this.nbits--;
    return (this.bits >> this.nbits) & 1;
  }
  receive(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }
  decode(t: Huffman): number {
    let code = this.bit(), l = 1;
    while (code > t.maxcode[l]) {
      code = (code << 1) | this.bit();
      l++;
      check(l <= 16, 'jpeg', 'Invalid Huffman code in the entropy-coded data.');
    }
    return t.values[t.valptr[l] + code - t.mincode[l]];
  }
  /** Drops the bits left in the current byte (before a restart marker). */
  align(): void {
    this.nbits = 0;
  }
}

const extend = (v: number, t: number) => (v < 1 << (t - 1) ? v - (1 << t) + 1 : v);

function decodeBlock(r: BitReader, dc: Huffman, ac: Huffman, out: Int16Array, off: number, pred: number): number {
  const t = r.decode(dc);
  check(t <= 11, 'jpeg', `Invalid DC magnitude category ${t}.`);
  const dcv = pred + (t ? extend(r.receive(t), t) : 0);
  out[off] = dcv;
  for (let k = 1; k < 64; ) {
    const rs = r.decode(ac);
    const run = rs >> 4, s = rs & 15;
    if (s === 0) {
      if (run !== 15) break;
      k += 16;
      continue;
    }
    k += run;
    check(k < 64, 'jpeg', 'An AC coefficient run passes the end of the block.');
    out[off + ZIGZAG[k]] = extend(r.receive(s), s);
    k++;
  }
  return dcv;
}

/**
 * Decodes a baseline JPEG to 8-bit pixels: 3 channels (RGB) for color, 1 for grayscale.
 * @example
 * const { width, height, channels, data } = decodeJpeg(bytes);
 */
export function decodeJpeg(b: Uint8Array): DecodedImage {
  check(b.length >= 2 && b[0] === 0xff && b[1] === 0xd8, 'jpeg', 'Bad magic: the file does not start with an SOI marker (FFD8).');
  const qt: (Uint16Array | null)[] = [null, null, null, null];
  const dcT: (Huffman | null)[] = [null, null, null, null], acT: (Huffman | null)[] = [null, null, null, null];
  let comps: Component[] = [];
  let width = 0, height = 0, hmax = 1, vmax = 1, mcusX = 0, mcusY = 0, restart = 0, adobe = -1, eoi = false;
  let p = 2;
  const u16 = (o: number) => (b[o] << 8) | b[o + 1];
  while (p < b.length && !eoi) {
    if (b[p] !== 0xff) {
      p++; // garbage between segments is skipped, as decoders commonly do
      continue;
    }
    while (b[p] === 0xff) p++;
    check(p < b.length, 'jpeg', 'File is truncated after a marker prefix.');
    const m = b[p++];
    if (m === 0xd9) {
      eoi = true;
      break;
    }
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) continue;
    check(p + 2 <= b.length, 'jpeg', `Segment FF${m.toString(16).toUpperCase()} is truncated.`);
    const len = u16(p);
    check(len >= 2 && p + len <= b.length, 'jpeg', `Segment FF${m.toString(16).toUpperCase()} (length ${len} at byte ${p}) runs past the end of the file.`);
    const s = p + 2, end = p + len;
    p = end;
    if (m === 0xdb) {
      for (let q = s; q < end; ) {
        const pq = b[q] >> 4, tq = b[q] & 15;
        check(tq < 4 && pq <= 1, 'jpeg', `Invalid quantization table header ${b[q]}.`);
        const n = pq ? 128 : 64;
        check(q + 1 + n <= end, 'jpeg', 'A quantization table is truncated.');
        const t = new Uint16Array(64);
        for (let i = 0; i < 64; i++) t[ZIGZAG[i]] = pq ? u16(q + 1 + 2 * i) : b[q + 1 + i];
        qt[tq] = t;
        q += 1 + n;
      }
    } else if (m === 0xc4) {
      for (let q = s; q < end; ) {
        check(q + 17 <= end, 'jpeg', 'A Huffman table header is truncated.');
        const tc = b[q] >> 4, th = b[q] & 15;
        check(tc <= 1 && th < 4, 'jpeg', `Invalid Huffman table header ${b[q]}.`);
        const counts = b.slice(q + 1, q + 17);
        const total = counts.reduce((a, c) => a + c, 0);
        check(total <= 256 && q + 17 + total <= end, 'jpeg', 'A Huffman table is truncated or too large.');
        (tc ? acT : dcT)[th] = buildHuffman(counts, b.slice(q + 17, q + 17 + total));
        q += 17 + total;
      }
    } else if (m === 0xc0 || m === 0xc1) {
      check(len >= 8, 'jpeg', 'The frame header (SOF) is truncated.');
      check(b[s] === 8, 'jpeg', `Sample precision ${b[s]} is not supported (only 8-bit).`);
      height = u16(s + 1);
      width = u16(s + 3);
      const nf = b[s + 5];
      check(height > 0 && width > 0, 'jpeg', `Invalid image size ${width}x${height} (DNL markers are not supported).`);
      check(width * height <= 1 << 28, 'jpeg', `Image ${width}x${height} is too large.`);
      check(nf === 1 || nf === 3, 'jpeg', `${nf} components are not supported (only grayscale and YCbCr/RGB).`);
      check(len >= 8 + 3 * nf, 'jpeg', 'The frame header (SOF) is truncated.');
      comps = [];
      for (let i = 0; i < nf; i++) {
        const o = s + 6 + 3 * i;
        const h = b[o + 1] >> 4, v = b[o + 1] & 15;
        check(h >= 1 && h <= 4 && v >= 1 && v <= 4 && b[o + 2] < 4, 'jpeg', `Component ${b[o]} has invalid sampling ${h}x${v} or table ${b[o + 2]}.`);
        comps.push({ id: b[o], h, v, tq: b[o + 2], bw: 0, bh: 0, bwImg: 0, bhImg: 0, coefs: new Int16Array(0), scanned: false });
      }
      hmax = Math.max(...comps.map((c) => c.h));
      vmax = Math.max(...comps.map((c) => c.v));
      mcusX = Math.ceil(width / (8 * hmax));
      mcusY = Math.ceil(height / (8 * vmax));
      for (const c of comps) {
        c.bw = mcusX * c.h;
        c.bh = mcusY * c.v;
        c.bwImg = Math.ceil(Math.ceil((width * c.h) / hmax) / 8);
        c.bhImg = Math.ceil(Math.ceil((height * c.v) / vmax) / 8);
        c.coefs = new Int16Array(c.bw * c.bh * 64);
      }
    } else if (m === 0xc2 || m === 0xc6 || m === 0xca || m === 0xce) {
      throw new FormatError('jpeg', 'Progressive JPEGs are not supported by the built-in decoder (use a page with image codecs).');
    } else if ((m >= 0xc3 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)) {
      throw new FormatError('jpeg', `JPEG process SOF${m - 0xc0} (lossless or arithmetic coding) is not supported.`);
    } else if (m === 0xdd) {
      check(len === 4, 'jpeg', 'The restart interval segment (DRI) has a bad length.');
      restart = u16(s);
    } else if (m === 0xee) {
      if (len >= 14 && String.fromCharCode(...b.subarray(s, s + 5)) === 'Adobe') adobe = b[s + 11];
    } else if (m === 0xda) {
      check(comps.length > 0, 'jpeg', 'A scan (SOS) comes before the frame header (SOF).');
      const ns = b[s];
      check(ns >= 1 && ns <= comps.length && len === 6 + 2 * ns, 'jpeg', `The scan header has a bad component count ${ns} or length ${len}.`);
      const scan = Array.from({ length: ns }, (_, i) => {
        const c = comps.find((x) => x.id === b[s + 1 + 2 * i]);
        check(c, 'jpeg', `The scan names component ${b[s + 1 + 2 * i]}, which the frame does not have.`);
        const td = b[s + 2 + 2 * i] >> 4, ta = b[s + 2 + 2 * i] & 15;
        const dc = dcT[td & 3], ac = acT[ta & 3];
        check(dc && td < 4, 'jpeg', `The scan uses DC Huffman table ${td}, which was not defined.`);
        check(ac && ta < 4, 'jpeg', `The scan uses AC Huffman table ${ta}, which was not defined.`);
        return { c, dc, ac };
      });
      const se = b[s + 1 + 2 * ns + 1];
      check(b[s + 1 + 2 * ns] === 0 && se === 63, 'jpeg', 'The scan is not a baseline (sequential, full spectrum) scan.');
      p = decodeScan(b, end, scan, ns > 1 ? mcusX * mcusY : scan[0].c.bwImg * scan[0].c.bhImg, ns > 1 ? mcusX : scan[0].c.bwImg, restart);
    }
  }
  check(comps.length > 0, 'jpeg', 'No frame header (SOF0/SOF1): the file is truncated or not a baseline JPEG.');
  for (const c of comps) {
    check(c.scanned, 'jpeg', `Component ${c.id} has no scan: the file is truncated.`);
    check(qt[c.tq], 'jpeg', `Quantization table ${c.tq} was not defined.`);
  }
  void eoi;
  const planes = comps.map((c) => idctPlane(c, qt[c.tq]!));
  const nc = comps.length;
  const out = new Uint8Array(width * height * nc);
  const rgb = nc === 3 && adobe !== 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * nc;
      for (let k = 0; k < nc; k++) {
        const c = comps[k];
        out[o + k] = planes[k][Math.floor((y * c.v) / vmax) * c.bw * 8 + Math.floor((x * c.h) / hmax)];
      }
      if (rgb) {
        const Y = out[o], cb = out[o + 1] - 128, cr = out[o + 2] - 128;
        out[o] = clamp(Math.round(Y + 1.402 * cr));
        out[o + 1] = clamp(Math.round(Y - 0.344136 * cb - 0.714136 * cr));
        out[o + 2] = clamp(Math.round(Y + 1.772 * cb));
      }
    }
  }
  return { width, height, channels: nc, data: out };
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

function decodeScan(b: Uint8Array, start: number, scan: { c: Component; dc: Huffman; ac: Huffman }[], nMcu: number, perLine: number, restart: number): number {
  const r = new BitReader(b, start);
  const pred = new Int32Array(scan.length);
  const single = scan.length === 1;
  for (let m = 0; m < nMcu; m++) {
    if (restart && m > 0 && m % restart === 0) {
      r.align();
      check(r.p + 1 < b.length && b[r.p] === 0xff && b[r.p + 1] >= 0xd0 && b[r.p + 1] <= 0xd7, 'jpeg', `Expected a restart marker before MCU ${m}.`);
      r.p += 2;
      pred.fill(0);
    }
    const my = Math.floor(m / perLine), mx = m % perLine;
    scan.forEach(({ c, dc, ac }, k) => {
      const nv = single ? 1 : c.v, nh = single ? 1 : c.h;
      for (let v = 0; v < nv; v++) {
        for (let h = 0; h < nh; h++) {
          const row = my * nv + v, col = mx * nh + h;
          pred[k] = decodeBlock(r, dc, ac, c.coefs, (row * c.bw + col) * 64, pred[k]);
        }
      }
    });
  }
  for (const { c } of scan) c.scanned = true;
  // skip the padding bits; the next marker ends the scan
  let p = r.p;
  while (p + 1 < b.length && !(b[p] === 0xff && b[p + 1] !== 0 && !(b[p + 1] >= 0xd0 && b[p + 1] <= 0xd7))) p++;
  return p;
}

function idctPlane(c: Component, q: Uint16Array): Uint8Array {
  const w = c.bw * 8;
  const out = new Uint8Array(w * c.bh * 8);
  const F = new Float64Array(64), tmp = new Float64Array(64);
  for (let by = 0; by < c.bh; by++) {
    for (let bx = 0; bx < c.bw; bx++) {
      const off = (by * c.bw + bx) * 64;
      for (let i = 0; i < 64; i++) F[i] = c.coefs[off + i] * q[i];
      // tmp[v][x] = sum_u F[v][u] DCT[u][x]; f[y][x] = sum_v DCT[v][y] tmp[v][x]
      for (let v = 0; v < 8; v++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let u = 0; u < 8; u++) s += F[v * 8 + u] * DCT[u * 8 + x];
          tmp[v * 8 + x] = s;
        }
      }
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let v = 0; v < 8; v++) s += DCT[v * 8 + y] * tmp[v * 8 + x];
          out[(by * 8 + y) * w + bx * 8 + x] = clamp(Math.round(s + 128));
        }
      }
    }
  }
  return out;
}
