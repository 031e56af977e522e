// Minimal zip archives for .npz: writing stored or deflated entries, reading stored and
// deflated ones (zip64 sizes included) with every offset checked against the file.
import { FormatError, check, concatBytes, fromUtf8, pipeThrough, utf8 } from './bytes.ts';

let crcTable: Uint32Array | null = null;
/**
 * CRC-32 (IEEE) of bytes, as zip and PNG use it.
 * @example
 * crc32(new TextEncoder().encode('abc')) // 0x352441c2
 */
export function crc32(b: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** One file inside an archive. */
export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const LIMIT = 0xffffffff;

/**
 * Writes a zip archive; entries are stored, or deflated when `compress` is true (through
 * the platform's CompressionStream('deflate-raw')).
 * @example
 * const zip = await writeZip([{ name: 'a.npy', data }], false);
 */
export async function writeZip(entries: ZipEntry[], compress = false, format = 'npz'): Promise<Uint8Array> {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = utf8(e.name);
    const crc = crc32(e.data);
    const body = compress ? await pipeThrough(e.data, new CompressionStream('deflate-raw'), format, `Entry '${e.name}'`) : e.data;
    if (e.data.length >= LIMIT || body.length >= LIMIT || offset >= LIMIT) {
      throw new FormatError(format, `Writing archives over 4 GiB (zip64) is not supported (entry '${e.name}').`);
    }
    const method = compress ? 8 : 0;
    const lh = new Uint8Array(30 + name.length);
    const l = new DataView(lh.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(6, 0x0800, true); // UTF-8 names
    l.setUint16(8, method, true);
    l.setUint16(10, 0, true);
    l.setUint16(12, 0x21, true); // 1980-01-01
    l.setUint32(14, crc, true);
    l.setUint32(18, body.length, true);
    l.setUint32(22, e.data.length, true);
    l.setUint16(26, name.length, true);
    l.setUint16(28, 0, true);
    lh.set(name, 30);
    const ch = new Uint8Array(46 + name.length);
    const c = new DataView(ch.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, 0x0800, true);
    c.setUint16(10, method, true);
    c.setUint16(12, 0, true);
    c.setUint16(14, 0x21, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, body.length, true);
    c.setUint32(24, e.data.length, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, offset, true);
    ch.set(name, 46);
    locals.push(lh, body);
    centrals.push(ch);
    offset += lh.length + body.length;
  }
  const cd = concatBytes(centrals);
  const end = new Uint8Array(22);
  const d = new DataView(end.buffer);
  d.setUint32(0, 0x06054b50, true);
  d.setUint16(8, entries.length, true);
  d.setUint16(10, entries.length, true);
  d.setUint32(12, cd.length, true);
  d.setUint32(16, offset, true);
  return concatBytes([...locals, cd, end]);
}

/** @internal Whether bytes start like a zip archive (a local header or an empty archive). */
export const isZip = (b: Uint8Array): boolean =>
  b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6));

/**
 * Reads every entry of a zip archive. Stored and deflated entries are supported; sizes,
 * offsets and CRCs are checked, and malformed archives throw a FormatError.
 * @example
 * for (const { name, data } of await readZip(bytes)) console.log(name, data.length);
 */
export async function readZip(b: Uint8Array, format = 'npz'): Promise<ZipEntry[]> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => {
    const v = dv.getBigUint64(o, true);
    check(v <= BigInt(Number.MAX_SAFE_INTEGER), format, 'A zip64 size or offset is too large.');
    return Number(v);
  };
  check(b.length >= 22, format, `Not a zip archive: ${b.length} bytes is too short for an end-of-central-directory record.`);
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
    if (u32(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  check(eocd >= 0, format, 'Not a zip archive (or truncated): no end-of-central-directory record.');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOff = u32(eocd + 16);
  let cdLimit = eocd;
  if (count === 0xffff || cdSize === LIMIT || cdOff === LIMIT) {
    const loc = eocd - 20;
    check(loc >= 0 && u32(loc) === 0x07064b50, format, 'Zip64 end-of-central-directory locator is missing.');
    const z = u64(loc + 8);
    check(z + 56 <= loc && u32(z) === 0x06064b50, format, 'Zip64 end-of-central-directory record is missing or out of range.');
    count = u64(z + 32);
    cdSize = u64(z + 40);
    cdOff = u64(z + 48);
    cdLimit = z;
  }
  check(cdOff + cdSize <= cdLimit, format, `Central directory (offset ${cdOff}, ${cdSize} bytes) runs past its end record.`);
  check(count * 46 <= cdSize, format, `Central directory of ${cdSize} bytes cannot hold ${count} entries.`);
  const out: ZipEntry[] = [];
  let p = cdOff;
  for (let k = 0; k < count; k++) {
    check(p + 46 <= cdOff + cdSize && u32(p) === 0x02014b50, format, `Central directory entry ${k} is malformed or truncated.`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    let csize = u32(p + 20);
    let usize = u32(p + 24);
    const nlen = u16(p + 28), xlen = u16(p + 30), clen = u16(p + 32);
    let lho = u32(p + 42);
    check(p + 46 + nlen + xlen + clen <= cdOff + cdSize, format, `Central directory entry ${k} runs past the directory.`);
    const name = fromUtf8(b.subarray(p + 46, p + 46 + nlen), format, `Name of entry ${k}`);
    // zip64 extra field: the 0xffffffff fields, in order usize, csize, offset
    let x = p + 46 + nlen;
    const xend = x + xlen;
    while (x + 4 <= xend) {
      const id = u16(x), sz = u16(x + 2);
      check(x + 4 + sz <= xend, format, `Extra field of entry '${name}' is truncated.`);
      if (id === 1) {
        let q = x + 4;
        const take = () => {
          check(q + 8 <= x + 4 + sz, format, `Zip64 extra field of entry '${name}' is too short.`);
          const v = u64(q);
          q += 8;
          return v;
        };
        if (usize === LIMIT) usize = take();
        if (csize === LIMIT) csize = take();
        if (lho === LIMIT) lho = take();
      }
      x += 4 + sz;
    }
    p += 46 + nlen + xlen + clen;
    check(!(flags & 1), format, `Entry '${name}' is encrypted.`);
    check(lho + 30 <= b.length && u32(lho) === 0x04034b50, format, `Local header of entry '${name}' (offset ${lho}) is missing or out of range.`);
    const start = lho + 30 + u16(lho + 26) + u16(lho + 28);
    check(start + csize <= b.length, format, `Data of entry '${name}' (${csize} bytes at ${start}) runs past the end of the file (${b.length} bytes).`);
    const body = b.subarray(start, start + csize);
    let data: Uint8Array;
    if (method === 0) {
      check(csize === usize, format, `Stored entry '${name}' has compressed size ${csize} but size ${usize}.`);
      data = body;
    } else if (method === 8) {
      if (typeof DecompressionStream === 'undefined') throw new FormatError(format, `Entry '${name}' is deflated and this runtime has no DecompressionStream.`);
      data = await pipeThrough(body, new DecompressionStream('deflate-raw'), format, `Deflated entry '${name}'`, usize);
      check(data.length === usize, format, `Entry '${name}' inflates to ${data.length} bytes, its header says ${usize}.`);
    } else {
      throw new FormatError(format, `Entry '${name}' uses compression method ${method}; only stored (0) and deflate (8) are supported.`);
    }
    check(crc32(data) === crc, format, `CRC mismatch in entry '${name}': the data is corrupt.`);
    out.push({ name, data });
  }
  return out;
}
