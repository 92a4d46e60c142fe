/**
 * ZIP archives for the import, read with random access so memory stays bounded by one case:
 *
 * 1. `indexZip(source, name)` reads only the end of the archive (end record, ZIP64 locator) and the
 *    central directory, never the file data. It returns the entries (names, declared sizes) and
 *    applies the zip-bomb guard BEFORE anything is inflated: too many entries or a declared total
 *    above the cap rejects the archive (core `checkZipLimits`), a declared size beyond DEFLATE's
 *    maximum ratio marks that entry as forged.
 * 2. `extractZipEntry(source, entry, caps)` inflates one entry on demand with fflate's streaming
 *    `Inflate`, reading the compressed data in 1 MB slices. It stops as soon as the output passes the
 *    entry's declared size or the per-entry cap (so a lying header cannot expand past the cap),
 *    verifies the CRC-32 and returns a Blob. STORED entries are returned as a slice of the archive
 *    (no copy) after their CRC is checked.
 *
 * The import reads a case's two images and landmarks when it reaches that case, so a 2 GB ZIP is
 * never held in memory (a single streaming pass over the archive would have to buffer every photo
 * until its X-ray, often in another folder at the other end of the archive, turns up).
 *
 * Framework-free: a `RandomAccess` is a Blob in the browser or a Uint8Array in Node tests.
 * Names: UTF-8 when flagged (or when valid UTF-8), the Info-ZIP Unicode Path field when present,
 * else GBK (Chinese Windows) and finally CP437.
 */
import { Inflate } from 'fflate';
import type { FileProblem } from '../../core/data/dataset';
import { checkZipLimits, LIMITS } from '../../core/data/dataset';

/** Random read access to the archive's bytes. */
export interface RandomAccess {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** A Blob of a byte range without copying (Blob sources), or undefined. */
  sliceBlob?(offset: number, length: number): Blob;
}

export function blobAccess(blob: Blob): RandomAccess {
  return {
    size: blob.size,
    async read(offset, length) {
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
    sliceBlob: (offset, length) => blob.slice(offset, offset + length),
  };
}

export function bytesAccess(bytes: Uint8Array): RandomAccess {
  return {
    size: bytes.length,
    async read(offset, length) {
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
  };
}

export interface ZipIndexEntry {
  /** Path inside the archive (`/`-separated, as stored). */
  name: string;
  /** 0 = stored, 8 = deflate; anything else is reported unsupported. */
  method: number;
  compressedSize: number;
  /** Declared uncompressed size. */
  size: number;
  crc32: number;
  /** Offset of the entry's local header. */
  localOffset: number;
  encrypted: boolean;
  directory: boolean;
}

export interface ZipIndex {
  name: string;
  entries: ZipIndexEntry[];
  /** Sum of the declared uncompressed sizes. */
  totalSize: number;
}

export interface ZipCaps {
  /** Most entries per archive. */
  maxEntries: number;
  /** Largest declared total of uncompressed bytes per archive. */
  maxTotalBytes: number;
}

export const DEFAULT_ZIP_CAPS: ZipCaps = {
  maxEntries: LIMITS.maxZipEntries,
  maxTotalBytes: LIMITS.maxZipTotalBytes,
};

/** DEFLATE cannot expand more than ~1032:1; a declared size beyond that is forged. */
export const MAX_DEFLATE_RATIO = 1032;

const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const SIG_EOCD = 0x06054b50;
const SIG_Z64_LOCATOR = 0x07064b50;
const SIG_Z64_EOCD = 0x06064b50;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const READ_CHUNK = 1 << 20;

export type ZipIndexResult = { ok: true; index: ZipIndex } | { ok: false; problem: FileProblem };

function zipProblem(file: string, code: string, message: string): ZipIndexResult {
  return { ok: false, problem: { file, code, severity: 'error', message } };
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
}
function u64(b: Uint8Array, o: number): number {
  return u32(b, o) + u32(b, o + 4) * 0x100000000;
}

const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** Decode an entry name: UTF-8 (flagged or valid), else GBK, else CP437. */
export function decodeZipName(raw: Uint8Array, utf8Flag: boolean): string {
  if (utf8Flag) return new TextDecoder('utf-8').decode(raw);
  if (raw.every((c) => c < 0x80)) return String.fromCharCode(...raw);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    /* not UTF-8 */
  }
  try {
    return new TextDecoder('gbk', { fatal: true }).decode(raw);
  } catch {
    /* not GBK either (or no GBK decoder) */
  }
  let s = '';
  for (const c of raw) s += c < 0x80 ? String.fromCharCode(c) : CP437_HIGH[c - 0x80];
  return s;
}

/** Read the central directory (and only it). Never throws for bad input. */
export async function indexZip(
  src: RandomAccess,
  name: string,
  caps: ZipCaps = DEFAULT_ZIP_CAPS,
): Promise<ZipIndexResult> {
  const notZip = (why: string): ZipIndexResult =>
    zipProblem(
      name,
      'zip-invalid',
      `${name}: not a readable ZIP archive (${why}). Create the ZIP again, or drop the folder itself.`,
    );
  if (src.size < 22) return notZip('too short');
  // end of central directory: last 22 bytes + up to 65,535 bytes of comment
  const tailLen = Math.min(src.size, 22 + U16_MAX);
  const tailStart = src.size - tailLen;
  const tail = await src.read(tailStart, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return notZip('no end-of-archive record');
  if (u16(tail, eocd + 4) !== 0 || u16(tail, eocd + 6) !== 0) {
    return zipProblem(
      name,
      'zip-unsupported',
      `${name}: multi-part (spanned) ZIP archives are not supported. Create a single ZIP file.`,
    );
  }
  let count = u16(tail, eocd + 10);
  let cdSize = u32(tail, eocd + 12);
  let cdOffset = u32(tail, eocd + 16);
  // ZIP64: a locator right before the end record points to the ZIP64 end record
  if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const locAt = eocd - 20;
    if (locAt < 0 || u32(tail, locAt) !== SIG_Z64_LOCATOR) return notZip('ZIP64 locator missing');
    const z64Offset = u64(tail, locAt + 8);
    if (z64Offset + 56 > src.size) return notZip('ZIP64 end record out of range');
    const z = await src.read(z64Offset, 56);
    if (u32(z, 0) !== SIG_Z64_EOCD) return notZip('bad ZIP64 end record');
    count = u64(z, 32);
    cdSize = u64(z, 40);
    cdOffset = u64(z, 48);
  }
  if (count > caps.maxEntries) {
    return { ok: false, problem: checkZipLimitsOrEntries(name, count, caps) };
  }
  if (cdOffset + cdSize > src.size) return notZip('central directory out of range');
  // a central directory record is at least 46 bytes: a count beyond that is forged
  if (count * 46 > cdSize) return notZip('entry count does not fit the central directory');
  const cd = await src.read(cdOffset, cdSize);
  const entries: ZipIndexEntry[] = [];
  let p = 0;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || u32(cd, p) !== SIG_CENTRAL)
      return notZip(`central directory entry ${i + 1} is damaged`);
    const flags = u16(cd, p + 8);
    const method = u16(cd, p + 10);
    const crc = u32(cd, p + 16);
    let compressedSize = u32(cd, p + 20);
    let size = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    let localOffset = u32(cd, p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) return notZip(`central directory entry ${i + 1} is damaged`);
    const rawName = cd.subarray(p + 46, p + 46 + nameLen);
    let entryName = decodeZipName(rawName, (flags & 0x800) !== 0);
    // extra fields: ZIP64 sizes (0x0001), Info-ZIP Unicode path (0x7075)
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = u16(cd, e);
      const len = u16(cd, e + 2);
      const body = e + 4;
      if (body + len > extraEnd) break;
      if (id === 0x0001) {
        let q = body;
        if (size === U32_MAX && q + 8 <= body + len) {
          size = u64(cd, q);
          q += 8;
        }
        if (compressedSize === U32_MAX && q + 8 <= body + len) {
          compressedSize = u64(cd, q);
          q += 8;
        }
        if (localOffset === U32_MAX && q + 8 <= body + len) localOffset = u64(cd, q);
      } else if (id === 0x7075 && len > 5 && cd[body] === 1) {
        entryName = new TextDecoder('utf-8').decode(cd.subarray(body + 5, body + len));
      }
      e = body + len;
    }
    entries.push({
      name: entryName,
      method,
      compressedSize,
      size,
      crc32: crc,
      localOffset,
      encrypted: (flags & 1) !== 0,
      directory: entryName.endsWith('/'),
    });
    total += size;
    p = end;
  }
  const over = checkZipLimitsOrNull(name, entries.length, total, caps);
  if (over) return { ok: false, problem: over };
  return { ok: true, index: { name, entries, totalSize: total } };
}

/** Core's limit check with caps that tests can lower. */
function checkZipLimitsOrNull(
  name: string,
  entries: number,
  total: number,
  caps: ZipCaps,
): FileProblem | null {
  if (caps.maxEntries === LIMITS.maxZipEntries && caps.maxTotalBytes === LIMITS.maxZipTotalBytes) {
    return checkZipLimits(name, entries, total);
  }
  if (entries > caps.maxEntries) return checkZipLimitsOrEntries(name, entries, caps);
  if (total > caps.maxTotalBytes) {
    return {
      file: name,
      code: 'zip-too-large',
      severity: 'error',
      message:
        `${name}: the ZIP expands to ${formatBytes(total)}, above the limit of ${formatBytes(caps.maxTotalBytes)}. ` +
        'Split it into several ZIPs or drop the folder instead.',
    };
  }
  return null;
}

function checkZipLimitsOrEntries(name: string, entries: number, caps: ZipCaps): FileProblem {
  return {
    file: name,
    code: 'zip-too-many-entries',
    severity: 'error',
    message:
      `${name}: the ZIP holds ${entries.toLocaleString('en-US')} files, above the limit of ` +
      `${caps.maxEntries.toLocaleString('en-US')}. Split it into several ZIPs or drop the folder instead.`,
  };
}

function formatBytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : `${(n / 1024 ** 2).toFixed(1)} MB`;
}

// ---------------------------------------------------------------------------------------------
// Extraction

let CRC_TABLE: Uint32Array | null = null;

/** Incremental CRC-32 (IEEE, as in ZIP): pass the previous value (start with 0). */
export function crc32Update(crc: number, data: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** A problem with one entry while extracting (the message names the archive and the entry). */
export class ZipEntryError extends Error {
  readonly problem: FileProblem;
  constructor(problem: FileProblem) {
    super(problem.message);
    this.name = 'ZipEntryError';
    this.problem = problem;
  }
}

export interface ExtractOptions {
  /** Largest entry this call may produce, in bytes (e.g. 50 MB for an image). */
  maxBytes: number;
  /** Path shown in messages (default `<archive>/<entry>`). */
  displayPath?: string;
  /** MIME type of the returned Blob. */
  mime?: string;
  signal?: AbortSignal;
}

/** Problems that make an entry unreadable before any byte is inflated (null: fine). */
export function entryProblem(
  archive: string,
  entry: ZipIndexEntry,
  maxBytes: number,
  displayPath?: string,
): FileProblem | null {
  const file = displayPath ?? `${archive}/${entry.name}`;
  const err = (code: string, message: string): FileProblem => ({ file, code, severity: 'error', message });
  if (entry.encrypted)
    return err(
      'zip-encrypted',
      `${file}: the entry is password-protected. Create the ZIP without a password.`,
    );
  if (entry.method !== 0 && entry.method !== 8) {
    return err(
      'zip-method',
      `${file}: compressed with method ${entry.method}, which the studio cannot read. Create the ZIP with standard (Deflate) compression.`,
    );
  }
  if (entry.method === 0 && entry.compressedSize !== entry.size) {
    return err(
      'zip-corrupt',
      `${file}: stored entry sizes disagree (damaged archive). Create the ZIP again.`,
    );
  }
  if (entry.method === 8 && entry.size > Math.max(1, entry.compressedSize) * MAX_DEFLATE_RATIO) {
    return err(
      'zip-forged-size',
      `${file}: the declared size (${entry.size.toLocaleString('en-US')} bytes) cannot come from ` +
        `${entry.compressedSize.toLocaleString('en-US')} compressed bytes: the archive is damaged or crafted. Skipped.`,
    );
  }
  if (entry.size > maxBytes) {
    return err(
      'file-too-large',
      `${file}: ${formatBytes(entry.size)} uncompressed, above the limit of ${formatBytes(maxBytes)} for this kind of file.`,
    );
  }
  return null;
}

/**
 * Inflate one entry (streaming) and return it as a Blob. Throws ZipEntryError with a problem for
 * a damaged, forged or oversized entry; throws the signal's reason when aborted.
 */
export async function extractZipEntry(
  src: RandomAccess,
  archive: string,
  entry: ZipIndexEntry,
  opts: ExtractOptions,
): Promise<Blob> {
  const file = opts.displayPath ?? `${archive}/${entry.name}`;
  const fail = (code: string, message: string): never => {
    throw new ZipEntryError({ file, code, severity: 'error', message });
  };
  const pre = entryProblem(archive, entry, opts.maxBytes, file);
  if (pre) throw new ZipEntryError(pre);
  if (entry.localOffset + 30 > src.size)
    fail('zip-corrupt', `${file}: the entry lies outside the archive (damaged ZIP).`);
  const lh = await src.read(entry.localOffset, 30);
  if (u32(lh, 0) !== SIG_LOCAL)
    fail('zip-corrupt', `${file}: the entry's header is damaged. Create the ZIP again.`);
  const dataStart = entry.localOffset + 30 + u16(lh, 26) + u16(lh, 28);
  if (dataStart + entry.compressedSize > src.size)
    fail(
      'zip-corrupt',
      `${file}: the archive is truncated (the entry's data is incomplete). Copy or download it again.`,
    );
  const limit = Math.min(entry.size, opts.maxBytes);
  const mime = opts.mime ?? '';
  let crc = 0;

  if (entry.method === 0) {
    for (let off = 0; off < entry.size; off += READ_CHUNK) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      crc = crc32Update(crc, await src.read(dataStart + off, Math.min(READ_CHUNK, entry.size - off)));
    }
    if (crc !== entry.crc32)
      fail('zip-crc', `${file}: checksum mismatch (damaged archive). Create the ZIP again.`);
    if (src.sliceBlob) {
      const b = src.sliceBlob(dataStart, entry.size);
      return mime ? new Blob([b], { type: mime }) : b;
    }
    return new Blob([(await src.read(dataStart, entry.size)).slice()], { type: mime });
  }

  const parts: Uint8Array[] = [];
  let produced = 0;
  let overflow = false;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    produced += chunk.length;
    if (produced > limit) {
      overflow = true;
      return;
    }
    crc = crc32Update(crc, chunk);
    parts.push(chunk);
    if (final) ended = true;
  });
  try {
    for (let off = 0; off < entry.compressedSize && !overflow; off += READ_CHUNK) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const n = Math.min(READ_CHUNK, entry.compressedSize - off);
      const chunk = await src.read(dataStart + off, n);
      inflater.push(chunk.slice(), off + n >= entry.compressedSize);
    }
    if (entry.compressedSize === 0) inflater.push(new Uint8Array(0), true);
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (e instanceof ZipEntryError) throw e;
    fail(
      'zip-corrupt',
      `${file}: the compressed data is damaged (${e instanceof Error ? e.message : String(e)}). Create the ZIP again.`,
    );
  }
  if (overflow)
    fail(
      'zip-expands',
      `${file}: expands beyond its declared size (${formatBytes(limit)}): the archive is damaged or crafted. Extraction stopped.`,
    );
  if (!ended || produced !== entry.size)
    fail(
      'zip-corrupt',
      `${file}: ${produced} of ${entry.size} bytes could be read (damaged archive). Create the ZIP again.`,
    );
  if (crc !== entry.crc32)
    fail('zip-crc', `${file}: checksum mismatch (damaged archive). Create the ZIP again.`);
  return new Blob(parts as Uint8Array<ArrayBuffer>[], { type: mime });
}
