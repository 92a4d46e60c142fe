/**
 * Minimal ZIP writer and reader for checkpoint containers and the server bundle.
 *
 * Writer: STORED entries only (PyTorch's .pth never compresses, and the bundle's PNGs are already
 * compressed), each entry's data aligned to `align` bytes (64, like PyTorch) with a padding extra
 * field of id "FB" exactly as torch.save writes it. Hand-written rather than fflate's zipSync because
 * the alignment needs control over each local header's extra field, and because the output must be
 * one exactly-sized buffer (a 200 MB generator is not copied twice). Writes no ZIP64: archives and entries
 * must stay below 4 GiB and 65,535 entries; larger input raises a CheckpointFormatError.
 * `writeZip` builds the archive in memory; `createZipWriter` streams the same bytes to a sink one
 * entry at a time (the server bundle of a whole clinic dataset never sits in memory). fflate's
 * streaming `Zip` is not used for that: it writes data descriptors (sizes after the data) and no
 * alignment, so its archives would differ from `writeZip`'s; here each entry is complete before it
 * is written, so its sizes and CRC go in the local header as before.
 *
 * Reader: walks the central directory (local headers of torch.save carry zero sizes and a data
 * descriptor, so only the central directory is authoritative), checks every offset against the
 * buffer, reads ZIP64 end records and size fields (miniz inside torch.save always writes a ZIP64 end
 * record), refuses encryption and multi-disk archives, inflates DEFLATE entries with fflate into
 * a buffer of the declared size (capped, so a forged size cannot allocate gigabytes), and verifies
 * CRC-32. STORED entries are returned as views into the input (no copy).
 */
import { inflateSync } from 'fflate';
import { CheckpointFormatError } from './checkpointError';

export interface ZipInputEntry {
  /** Path inside the archive, `/`-separated. */
  name: string;
  data: Uint8Array;
}

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the entry's (compressed) data in the archive. */
  dataOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const U32_MAX = 0xffffffff;
/** Largest uncompressed DEFLATE entry the reader will allocate. */
const MAX_INFLATED_BYTES = 1 << 30;
/** A checkpoint archive holds a few hundred entries; more is not a checkpoint (checked from the end record). */
export const MAX_ZIP_ENTRIES = 100_000;
/** Sum of the entries' declared unpacked sizes (checked while listing, before anything is inflated). */
export const MAX_ZIP_TOTAL_BYTES = 4 * 1024 * 1024 * 1024;
/** DEFLATE cannot expand more than ~1032:1; a declared size beyond that is forged. */
const MAX_DEFLATE_RATIO = 1032;
/** DOS date 1980-01-01, time 00:00: fixed so that equal input gives byte-identical archives. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const FLAG_UTF8 = 1 << 11;

let crcTables: Uint32Array[] | null = null;

/** CRC-32 (IEEE 802.3, as in ZIP and PNG), slicing-by-8 (a 200 MB generator in well under a second). */
export function crc32(data: Uint8Array): number {
  if (!crcTables) {
    const t0 = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t0[n] = c >>> 0;
    }
    crcTables = [t0];
    for (let k = 1; k < 8; k++) {
      const prev = crcTables[k - 1];
      const t = new Uint32Array(256);
      for (let n = 0; n < 256; n++) t[n] = (prev[n] >>> 8) ^ t0[prev[n] & 0xff];
      crcTables.push(t);
    }
  }
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crcTables;
  let c = 0xffffffff;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const a = (c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    c =
      t7[a & 0xff] ^
      t6[(a >>> 8) & 0xff] ^
      t5[(a >>> 16) & 0xff] ^
      t4[a >>> 24] ^
      t3[data[i + 4]] ^
      t2[data[i + 5]] ^
      t1[data[i + 6]] ^
      t0[data[i + 7]];
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** What the writer knows about an entry once its data is known: enough for both headers. */
interface PlannedEntry {
  name: Uint8Array;
  size: number;
  crc: number;
  /** Offset of the local header in the archive. */
  offset: number;
  /** Bytes of the padding extra field (its 4-byte header included); 0 when unaligned. */
  pad: number;
}

function checkAlign(align: number): void {
  if (!Number.isInteger(align) || align < 1 || align > 4096) {
    throw new CheckpointFormatError(`ZIP alignment must be an integer in 1..4096, got ${align}`);
  }
}

const nameEncoder = new TextEncoder();

/** Name bytes, padding and checks of the entry that starts at `offset` (shared by both writers). */
function planEntry(
  name: string,
  data: Uint8Array,
  offset: number,
  align: number,
  seen: Set<string>,
): PlannedEntry {
  if (seen.has(name)) throw new CheckpointFormatError(`ZIP entry "${name}" is listed twice`);
  seen.add(name);
  if (seen.size > 0xffff) {
    throw new CheckpointFormatError(
      `ZIP with ${seen.size} entries needs ZIP64, which the studio does not write (limit 65,535)`,
    );
  }
  const bytes = nameEncoder.encode(name);
  if (bytes.length > 0xffff) throw new CheckpointFormatError(`ZIP entry name too long: "${name}"`);
  if (data.length >= U32_MAX) {
    throw new CheckpointFormatError(
      `ZIP entry "${name}" is ${data.length} bytes; entries of 4 GiB or more need ZIP64, which the studio does not write`,
    );
  }
  let pad = 0;
  if (align > 1) {
    const start = offset + 30 + bytes.length;
    pad = (align - ((start + 4) % align)) % align;
    pad += 4; // the extra field's own 4-byte header (id + length)
  }
  return { name: bytes, size: data.length, crc: crc32(data), offset, pad };
}

/** Local header + name + padding extra field of `p`, written at `o`; returns the bytes written. */
function putLocalHeader(out: Uint8Array, dv: DataView, o: number, p: PlannedEntry): number {
  dv.setUint32(o, SIG_LOCAL, true);
  dv.setUint16(o + 4, 20, true); // version needed: 2.0
  dv.setUint16(o + 6, FLAG_UTF8, true);
  dv.setUint16(o + 8, 0, true); // stored
  dv.setUint16(o + 10, 0, true); // time
  dv.setUint16(o + 12, DOS_DATE, true);
  dv.setUint32(o + 14, p.crc, true);
  dv.setUint32(o + 18, p.size, true);
  dv.setUint32(o + 22, p.size, true);
  dv.setUint16(o + 26, p.name.length, true);
  dv.setUint16(o + 28, p.pad, true);
  out.set(p.name, o + 30);
  const x = o + 30 + p.name.length;
  if (p.pad > 0) {
    dv.setUint16(x, 0x4246, true); // "FB": PyTorch's padding extra field
    dv.setUint16(x + 2, p.pad - 4, true);
    out.fill(0x5a, x + 4, x + p.pad); // 'Z', as PyTorch fills it
  }
  return 30 + p.name.length + p.pad;
}

/**
 * Central directory entries and the end record of `plan`, written at `o` of `out`; the directory
 * starts at `cdOffset` of the archive.
 */
function putDirectory(
  out: Uint8Array,
  dv: DataView,
  o: number,
  plan: readonly PlannedEntry[],
  cdOffset: number,
): void {
  const start = o;
  for (const p of plan) {
    dv.setUint32(o, SIG_CENTRAL, true);
    dv.setUint16(o + 4, 20, true); // version made by
    dv.setUint16(o + 6, 20, true); // version needed
    dv.setUint16(o + 8, FLAG_UTF8, true);
    dv.setUint16(o + 10, 0, true);
    dv.setUint16(o + 12, 0, true);
    dv.setUint16(o + 14, DOS_DATE, true);
    dv.setUint32(o + 16, p.crc, true);
    dv.setUint32(o + 20, p.size, true);
    dv.setUint32(o + 24, p.size, true);
    dv.setUint16(o + 28, p.name.length, true);
    // extra length, comment length, disk start, internal attrs: 0; external attrs 0
    dv.setUint32(o + 42, p.offset, true);
    out.set(p.name, o + 46);
    o += 46 + p.name.length;
  }
  dv.setUint32(o, SIG_EOCD, true);
  dv.setUint16(o + 8, plan.length, true);
  dv.setUint16(o + 10, plan.length, true);
  dv.setUint32(o + 12, o - start, true);
  dv.setUint32(o + 16, cdOffset, true);
}

const directorySize = (plan: readonly PlannedEntry[]): number =>
  plan.reduce((s, p) => s + 46 + p.name.length, 0) + 22;

function tooLarge(total: number): CheckpointFormatError {
  return new CheckpointFormatError(
    `the ZIP would be ${total} bytes; archives of 4 GiB or more need ZIP64, which the studio does not write — export fewer cases`,
  );
}

/**
 * Write a ZIP of STORED entries, each entry's data starting at a multiple of `align` bytes
 * (PyTorch uses 64). `align` = 1 disables padding.
 */
export function writeZip(entries: readonly ZipInputEntry[], align = 64): Uint8Array {
  checkAlign(align);
  if (entries.length > 0xffff) {
    throw new CheckpointFormatError(
      `ZIP with ${entries.length} entries needs ZIP64, which the studio does not write (limit 65,535)`,
    );
  }
  const seen = new Set<string>();
  const plan: PlannedEntry[] = [];
  let pos = 0;
  for (const e of entries) {
    const p = planEntry(e.name, e.data, pos, align, seen);
    plan.push(p);
    pos += 30 + p.name.length + p.pad + p.size;
  }
  const total = pos + directorySize(plan);
  if (total >= U32_MAX) throw tooLarge(total);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  entries.forEach((e, i) => {
    const p = plan[i];
    out.set(e.data, p.offset + putLocalHeader(out, dv, p.offset, p));
  });
  putDirectory(out, dv, pos, plan, pos);
  return out;
}

/** Where a streamed ZIP goes: its bytes in order, handed over synchronously. */
export interface ZipSink {
  /**
   * Take the next bytes of the archive. The chunk may be a view of the caller's data (an entry's
   * bytes are passed through, not copied): consume or copy it before returning, never modify it.
   */
  write(chunk: Uint8Array): void;
}

/** A streaming ZIP writer (`createZipWriter`): the same bytes as `writeZip`, one entry at a time. */
export interface ZipWriter {
  /** Write one entry (local header, padding, data) to the sink; nothing of it is kept but its name, size and CRC. */
  add(name: string, data: Uint8Array): void;
  /** Write the central directory and the end record; returns the archive's size in bytes. */
  finish(): number;
  /** Bytes handed to the sink so far. */
  readonly bytesWritten: number;
  /** Name and size of every entry added, in order. */
  readonly entries: readonly { name: string; bytes: number }[];
}

/**
 * Stream a ZIP of STORED entries to `sink`: byte for byte what `writeZip` makes of the same
 * entries (same alignment, fixed date, no data descriptors), but only one entry is ever needed in
 * memory, and the writer itself keeps ~60 bytes per entry. Entry data must be complete when added
 * (the CRC and size go in the local header). Same limits as `writeZip` (no ZIP64).
 */
export function createZipWriter(sink: ZipSink, align = 64): ZipWriter {
  checkAlign(align);
  const seen = new Set<string>();
  const plan: PlannedEntry[] = [];
  const listed: { name: string; bytes: number }[] = [];
  let pos = 0;
  let done = false;
  return {
    add(name, data) {
      if (done) throw new Error(`ZIP entry "${name}" added after the archive was finished`);
      const p = planEntry(name, data, pos, align, seen);
      const headerSize = 30 + p.name.length + p.pad;
      const end = pos + headerSize + p.size;
      // the directory of what is written so far must still fit below 4 GiB
      if (end + directorySize(plan) + 46 + p.name.length >= U32_MAX) throw tooLarge(end);
      const header = new Uint8Array(headerSize);
      putLocalHeader(header, new DataView(header.buffer), 0, { ...p, offset: 0 });
      sink.write(header);
      if (data.length > 0) sink.write(data);
      plan.push(p);
      listed.push({ name, bytes: p.size });
      pos = end;
    },
    finish() {
      if (done) throw new Error('the ZIP archive is already finished');
      done = true;
      const dir = new Uint8Array(directorySize(plan));
      putDirectory(dir, new DataView(dir.buffer), 0, plan, pos);
      sink.write(dir);
      pos += dir.length;
      return pos;
    },
    get bytesWritten() {
      return pos;
    },
    get entries() {
      return listed;
    },
  };
}

/** A sink that keeps the chunks (as handed over, not copied) in memory; `bytes()` joins them into one buffer. */
export function memorySink(): ZipSink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  let total = 0;
  return {
    write(chunk) {
      chunks.push(chunk);
      total += chunk.length;
    },
    bytes() {
      const out = new Uint8Array(total);
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.length;
      }
      return out;
    },
  };
}

/** True when the bytes start like a ZIP archive (local file header or empty-archive EOCD). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

/** A little-endian u64 that must be a safe JS integer. */
function u64(dv: DataView, at: number, what: string, fail: (msg: string) => never): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is out of range`);
  return Number(v);
}

/** Find an extra field by id inside [at, at+len); null when absent or malformed. */
function findExtra(dv: DataView, at: number, len: number, id: number): { at: number; len: number } | null {
  let p = at;
  while (p + 4 <= at + len) {
    const fid = dv.getUint16(p, true);
    const flen = dv.getUint16(p + 2, true);
    if (p + 4 + flen > at + len) return null;
    if (fid === id) return { at: p + 4, len: flen };
    p += 4 + flen;
  }
  return null;
}

/** List the entries of a ZIP archive from its central directory, with every offset checked. */
export function listZip(bytes: Uint8Array, fileName: string): ZipEntry[] {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(`${fileName}: not a readable ZIP archive — ${msg}`);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 22) fail(`only ${bytes.length} bytes (truncated?)`);
  // the end-of-central-directory record is the last 22 bytes plus a comment of up to 65,535 bytes
  let eocd = -1;
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let i = bytes.length - 22; i >= lowest; i--) {
    if (dv.getUint32(i, true) === SIG_EOCD && i + 22 + dv.getUint16(i + 20, true) <= bytes.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (the file is truncated or not a ZIP)');
  let disk = dv.getUint16(eocd + 4, true);
  let cdDisk = dv.getUint16(eocd + 6, true);
  let countHere = dv.getUint16(eocd + 8, true);
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  // PyTorch (miniz) always writes a ZIP64 end record and locator, even for small files
  let cdEnd = eocd;
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR) {
    const z64 = u64(dv, eocd - 20 + 8, 'ZIP64 end record offset', fail);
    if (z64 + 56 > eocd - 20 || dv.getUint32(z64, true) !== SIG_ZIP64_EOCD) fail('damaged ZIP64 end record');
    disk = dv.getUint32(z64 + 16, true);
    cdDisk = dv.getUint32(z64 + 20, true);
    countHere = u64(dv, z64 + 24, 'entry count', fail);
    count = u64(dv, z64 + 32, 'entry count', fail);
    cdSize = u64(dv, z64 + 40, 'central directory size', fail);
    cdOffset = u64(dv, z64 + 48, 'central directory offset', fail);
    cdEnd = z64;
  }
  if (disk !== 0 || cdDisk !== 0 || countHere !== count)
    fail('multi-part (spanned) archives are not supported');
  if (cdOffset + cdSize > cdEnd)
    fail(`central directory (offset ${cdOffset}, ${cdSize} bytes) runs past its end`);
  if (count > MAX_ZIP_ENTRIES)
    fail(`it claims ${count} entries, above the limit of ${MAX_ZIP_ENTRIES} for a checkpoint archive`);
  if (count * 46 > cdSize) fail(`${count} entries cannot fit in a central directory of ${cdSize} bytes`);
  let total = 0;
  const dec = new TextDecoder('utf-8', { fatal: false });
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    if (o + 46 > cdOffset + cdSize || dv.getUint32(o, true) !== SIG_CENTRAL) {
      fail(`central directory entry ${i} is damaged`);
    }
    const flags = dv.getUint16(o + 8, true);
    const method = dv.getUint16(o + 10, true);
    const crc = dv.getUint32(o + 16, true);
    let compressedSize = dv.getUint32(o + 20, true);
    let size = dv.getUint32(o + 24, true);
    const nameLen = dv.getUint16(o + 28, true);
    const extraLen = dv.getUint16(o + 30, true);
    const commentLen = dv.getUint16(o + 32, true);
    let localOffset = dv.getUint32(o + 42, true);
    if (o + 46 + nameLen + extraLen + commentLen > cdOffset + cdSize)
      fail(`central directory entry ${i} is damaged`);
    const name = dec.decode(bytes.subarray(o + 46, o + 46 + nameLen));
    if (compressedSize === U32_MAX || size === U32_MAX || localOffset === U32_MAX) {
      // ZIP64 extended information (extra field 0x0001): the 64-bit values, in this order, of the
      // fields that are 0xFFFFFFFF
      const z = findExtra(dv, o + 46 + nameLen, extraLen, 0x0001);
      if (z === null) fail(`entry "${name}" lacks its ZIP64 size field`);
      let p = (z as { at: number; len: number }).at;
      const end = p + (z as { at: number; len: number }).len;
      const next = (what: string): number => {
        if (p + 8 > end) fail(`entry "${name}" has a short ZIP64 field`);
        const v = u64(dv, p, what, fail);
        p += 8;
        return v;
      };
      if (size === U32_MAX) size = next('size');
      if (compressedSize === U32_MAX) compressedSize = next('packed size');
      if (localOffset === U32_MAX) localOffset = next('offset');
    }
    o += 46 + nameLen + extraLen + commentLen;
    total += size;
    if (total > MAX_ZIP_TOTAL_BYTES)
      fail(
        `its entries declare more than ${MAX_ZIP_TOTAL_BYTES} bytes unpacked in total; refusing before inflating`,
      );
    if (flags & 1) fail(`entry "${name}" is encrypted`);
    if (method !== 0 && method !== 8)
      fail(`entry "${name}" uses compression method ${method} (only stored and deflate)`);
    if (method === 0 && compressedSize !== size)
      fail(`stored entry "${name}" has different packed and unpacked sizes`);
    if (names.has(name)) fail(`entry "${name}" appears twice`);
    names.add(name);
    if (localOffset + 30 > cdOffset || dv.getUint32(localOffset, true) !== SIG_LOCAL) {
      fail(`local header of entry "${name}" (offset ${localOffset}) is missing or damaged`);
    }
    const localNameLen = dv.getUint16(localOffset + 26, true);
    const localExtraLen = dv.getUint16(localOffset + 28, true);
    const dataOffset = localOffset + 30 + localNameLen + localExtraLen;
    if (dataOffset + compressedSize > cdOffset) {
      fail(
        `data of entry "${name}" (${compressedSize} bytes at offset ${dataOffset}) runs past the archive (truncated?)`,
      );
    }
    entries.push({ name, method, compressedSize, size, crc32: crc, dataOffset });
  }
  return entries;
}

/**
 * The uncompressed bytes of one entry, CRC-checked. STORED entries are views into `bytes`
 * (not copies); DEFLATE entries are inflated into a new buffer of the declared size.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, fileName: string): Uint8Array {
  const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) {
    data = raw;
  } else {
    if (entry.size > MAX_INFLATED_BYTES || entry.size > Math.max(1024, raw.length * MAX_DEFLATE_RATIO)) {
      throw new CheckpointFormatError(
        `${fileName}: ZIP entry "${entry.name}" claims ${entry.size} bytes unpacked from ${raw.length}; refusing (damaged or hostile archive)`,
      );
    }
    try {
      data = inflateSync(raw, { out: new Uint8Array(entry.size) });
    } catch (e) {
      throw new CheckpointFormatError(
        `${fileName}: ZIP entry "${entry.name}" does not decompress (${(e as Error).message})`,
      );
    }
    if (data.length !== entry.size) {
      throw new CheckpointFormatError(
        `${fileName}: ZIP entry "${entry.name}" unpacks to ${data.length} bytes, the directory says ${entry.size}`,
      );
    }
  }
  if (crc32(data) !== entry.crc32) {
    throw new CheckpointFormatError(
      `${fileName}: ZIP entry "${entry.name}" fails its CRC-32 check (the file is damaged; download or copy it again)`,
    );
  }
  return data;
}

/** All entries of a ZIP, by name (directories, i.e. names ending in `/`, left out). */
export function readZip(bytes: Uint8Array, fileName: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const e of listZip(bytes, fileName)) {
    if (e.name.endsWith('/')) continue;
    out.set(e.name, readZipEntry(bytes, e, fileName));
  }
  return out;
}
