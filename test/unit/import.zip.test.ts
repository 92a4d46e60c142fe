/** The import's ZIP walker: central directory index, caps before inflating, streaming extraction with checks. */
import { Zip, ZipDeflate, ZipPassThrough, zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildFileIndex } from '../../src/engine/import/fileIndex';
import { readImageHeader } from '../../src/engine/import/imageHeader';
import {
  bytesAccess,
  crc32Update,
  decodeZipName,
  extractZipEntry,
  indexZip,
  ZipEntryError,
  type ZipIndexEntry,
} from '../../src/engine/import/zipIndex';

const text = (b: Blob) => b.text();
/** Byte equality without vitest's slow element-wise diff of large arrays. */
const sameBytes = (x: Uint8Array, y: Uint8Array) => Buffer.compare(Buffer.from(x), Buffer.from(y)) === 0;

function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** A streamed ZIP (data descriptors, zero sizes in local headers), as many tools write. */
function streamedZip(files: Record<string, Uint8Array>, level: 0 | 6 = 6): Uint8Array {
  const parts: Uint8Array[] = [];
  const z = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  for (const [name, data] of Object.entries(files)) {
    const f = level === 0 ? new ZipPassThrough(name) : new ZipDeflate(name, { level });
    z.add(f);
    f.push(data, true);
  }
  z.end();
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('indexZip', () => {
  it('lists entries with declared sizes from the central directory (deflated and stored)', async () => {
    const big = pseudoRandom(3_000_000);
    const zip = zipSync({
      'cases/photo/001.png': [big, { level: 0 }],
      'cases/xray/001.png': [strToU8('x'.repeat(5000)), { level: 9 }],
      'cases/empty/': new Uint8Array(0),
    });
    const r = await indexZip(bytesAccess(zip), 'cases.zip');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const byName = new Map(r.index.entries.map((e) => [e.name, e]));
    expect(byName.get('cases/photo/001.png')).toMatchObject({
      method: 0,
      size: 3_000_000,
      compressedSize: 3_000_000,
    });
    expect(byName.get('cases/xray/001.png')!.method).toBe(8);
    expect(byName.get('cases/xray/001.png')!.size).toBe(5000);
    expect(byName.get('cases/xray/001.png')!.compressedSize).toBeLessThan(100);
    expect(byName.get('cases/empty/')!.directory).toBe(true);
    expect(r.index.totalSize).toBe(3_005_000);
  });

  it('rejects archives past the entry cap or the expansion cap before inflating anything', async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 12; i++) files[`f${i}.txt`] = strToU8('hello');
    const zip = zipSync(files);
    const many = await indexZip(bytesAccess(zip), 'many.zip', { maxEntries: 10, maxTotalBytes: 1e9 });
    expect(many.ok).toBe(false);
    if (!many.ok) {
      expect(many.problem.code).toBe('zip-too-many-entries');
      expect(many.problem.message).toContain('many.zip: the ZIP holds 12 files, above the limit of 10');
    }
    // 1 MB of zeros deflates to ~1 KB: the declared total is what the cap looks at
    const bomb = zipSync({ 'zeros.bin': new Uint8Array(1_000_000) });
    expect(bomb.length).toBeLessThan(5000);
    const big = await indexZip(bytesAccess(bomb), 'bomb.zip', { maxEntries: 100, maxTotalBytes: 500_000 });
    expect(big.ok).toBe(false);
    if (!big.ok) expect(big.problem.code).toBe('zip-too-large');
  });

  it('reports damaged and non-ZIP input as a problem, never throws', async () => {
    const notZip = await indexZip(bytesAccess(strToU8('just some text, not an archive at all')), 'notes.zip');
    expect(notZip.ok).toBe(false);
    if (!notZip.ok) {
      expect(notZip.problem.code).toBe('zip-invalid');
      expect(notZip.problem.message).toMatch(/^notes\.zip: not a readable ZIP archive/);
    }
    const zip = zipSync({ 'a.txt': strToU8('aaaa'), 'b.txt': strToU8('bbbb') });
    const truncated = zip.slice(0, zip.length - 10);
    const t = await indexZip(bytesAccess(truncated), 'cut.zip');
    expect(t.ok).toBe(false);
    // a central directory damaged in the middle
    const damaged = zip.slice();
    const cd = damaged.length - 22 - 2 * (46 + 5);
    damaged[cd + 46 + 5] = 0; // second record's signature
    const d = await indexZip(bytesAccess(damaged), 'damaged.zip');
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.problem.message).toContain('central directory entry 2 is damaged');
  });

  it('reads ZIP64 end records', async () => {
    const zip = zipSync({ 'a.txt': strToU8('alpha'), 'b.txt': strToU8('beta') });
    // rewrite the end: EOCD with 0xFFFF count / 0xFFFFFFFF offsets, preceded by ZIP64 EOCD + locator
    const eocdAt = zip.length - 22;
    const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const count = dv.getUint16(eocdAt + 10, true);
    const cdSize = dv.getUint32(eocdAt + 12, true);
    const cdOffset = dv.getUint32(eocdAt + 16, true);
    const z64 = new Uint8Array(56 + 20 + 22);
    const v = new DataView(z64.buffer);
    const z64At = eocdAt; // the ZIP64 record goes where the old EOCD was
    v.setUint32(0, 0x06064b50, true);
    v.setBigUint64(4, 44n, true);
    v.setBigUint64(24, BigInt(count), true);
    v.setBigUint64(32, BigInt(count), true);
    v.setBigUint64(40, BigInt(cdSize), true);
    v.setBigUint64(48, BigInt(cdOffset), true);
    v.setUint32(56, 0x07064b50, true);
    v.setBigUint64(56 + 8, BigInt(z64At), true);
    v.setUint32(56 + 16, 1, true);
    v.setUint32(76, 0x06054b50, true);
    v.setUint16(76 + 8, 0xffff, true);
    v.setUint16(76 + 10, 0xffff, true);
    v.setUint32(76 + 12, 0xffffffff, true);
    v.setUint32(76 + 16, 0xffffffff, true);
    const out = new Uint8Array(eocdAt + z64.length);
    out.set(zip.subarray(0, eocdAt));
    out.set(z64, eocdAt);
    const r = await indexZip(bytesAccess(out), 'z64.zip');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.index.entries.map((e) => e.name)).toEqual(['a.txt', 'b.txt']);
  });

  it('decodes entry names: UTF-8, GBK from Chinese Windows, CP437', () => {
    const utf8 = new TextEncoder().encode('病例/照片.png');
    expect(decodeZipName(utf8, true)).toBe('病例/照片.png');
    expect(decodeZipName(utf8, false)).toBe('病例/照片.png');
    // "照片.png" in GBK
    const gbk = new Uint8Array([0xd5, 0xd5, 0xc6, 0xac, 0x2e, 0x70, 0x6e, 0x67]);
    expect(decodeZipName(gbk, false)).toBe('照片.png');
    // 0xFF is neither UTF-8 nor GBK: CP437 (0x82 = é, 0xFF = no-break space)
    expect(decodeZipName(new Uint8Array([0x41, 0x82, 0xff]), false)).toBe('Aé\u00a0');
  });
});

describe('extractZipEntry', () => {
  it('inflates deflated and stored entries of plain and streamed archives exactly', async () => {
    const a = pseudoRandom(2_500_000, 7); // spans several 1 MB reads
    const b = strToU8('1,2\n3,4\n'.repeat(1000));
    for (const zip of [
      zipSync({ 'a.bin': a, 'b.txt': [b, { level: 0 }] }),
      streamedZip({ 'a.bin': a, 'b.txt': b }),
      streamedZip({ 'a.bin': a, 'b.txt': b }, 0),
    ]) {
      const src = bytesAccess(zip);
      const r = await indexZip(src, 'x.zip');
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      const [ea, eb] = r.index.entries;
      const blobA = await extractZipEntry(src, 'x.zip', ea, { maxBytes: 10e6 });
      expect(sameBytes(new Uint8Array(await blobA.arrayBuffer()), a)).toBe(true);
      expect(
        await text(await extractZipEntry(src, 'x.zip', eb, { maxBytes: 10e6, mime: 'text/plain' })),
      ).toBe('1,2\n3,4\n'.repeat(1000));
    }
  });

  it('refuses an entry above the per-file cap without inflating it', async () => {
    const zip = zipSync({ 'huge.png': new Uint8Array(2_000_000) });
    const src = bytesAccess(zip);
    const r = await indexZip(src, 'x.zip');
    if (!r.ok) throw new Error('index failed');
    const err = await extractZipEntry(src, 'x.zip', r.index.entries[0], { maxBytes: 1_000_000 }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ZipEntryError);
    expect((err as ZipEntryError).problem).toMatchObject({ file: 'x.zip/huge.png', code: 'file-too-large' });
  });

  it('stops inflating when an entry expands past its declared size (forged header)', async () => {
    const zip = zipSync({ 'a.bin': new Uint8Array(200_000).fill(3) });
    const src = bytesAccess(zip);
    const r = await indexZip(src, 'x.zip');
    if (!r.ok) throw new Error('index failed');
    const lying: ZipIndexEntry = { ...r.index.entries[0], size: 1000 };
    const err = await extractZipEntry(src, 'x.zip', lying, { maxBytes: 10e6 }).catch((e) => e);
    expect((err as ZipEntryError).problem.code).toBe('zip-expands');
    // a declared size no DEFLATE stream can reach from its compressed size
    const forged: ZipIndexEntry = { ...r.index.entries[0], size: r.index.entries[0].compressedSize * 2000 };
    const err2 = await extractZipEntry(src, 'x.zip', forged, { maxBytes: 1e12 }).catch((e) => e);
    expect((err2 as ZipEntryError).problem.code).toBe('zip-forged-size');
  });

  it('detects damaged data by its checksum', async () => {
    const data = pseudoRandom(50_000, 3);
    const zip = zipSync({ 'a.bin': [data, { level: 0 }] });
    const r = await indexZip(bytesAccess(zip), 'x.zip');
    if (!r.ok) throw new Error('index failed');
    const bad = zip.slice();
    bad[30 + 'a.bin'.length + 1000] ^= 0xff;
    const err = await extractZipEntry(bytesAccess(bad), 'x.zip', r.index.entries[0], { maxBytes: 1e6 }).catch(
      (e) => e,
    );
    expect((err as ZipEntryError).problem.code).toBe('zip-crc');
  });

  it('computes CRC-32 incrementally like the one-shot value', () => {
    // CRC-32 of "123456789" is 0xCBF43926 (the standard check value)
    const all = crc32Update(0, strToU8('123456789'));
    expect(all).toBe(0xcbf43926);
    expect(crc32Update(crc32Update(0, strToU8('1234')), strToU8('56789'))).toBe(0xcbf43926);
  });
});

describe('buildFileIndex', () => {
  it('expands ZIPs into prefixed paths, keeps loose files, reports nested and capped archives', async () => {
    const inner = zipSync({ 'x.txt': strToU8('x') });
    const zip = zipSync({
      'photo/001.png': strToU8('p'),
      'xray/001.png': strToU8('x'),
      'more.zip': inner,
      'dir/': new Uint8Array(0),
    });
    const idx = await buildFileIndex([
      { path: 'cases.zip', blob: new Blob([zip]) },
      { path: 'loose/readme.txt', blob: new Blob(['hi']) },
      { path: 'bad.zip', blob: new Blob(['not a zip']) },
    ]);
    expect(idx.files.map((f) => f.path).sort()).toEqual([
      'cases.zip/photo/001.png',
      'cases.zip/xray/001.png',
      'loose/readme.txt',
    ]);
    expect(idx.problems.map((p) => p.code).sort()).toEqual(['nested-zip', 'zip-invalid']);
    expect(idx.archives).toEqual([{ path: 'cases.zip', entries: 4, totalBytes: 2 + inner.length }]);
    expect(await text(await idx.byPath.get('cases.zip/xray/001.png')!.open({ maxBytes: 100 }))).toBe('x');
  });
});

describe('readImageHeader', () => {
  it('reads PNG and JPEG sizes from the first bytes', async () => {
    const { encodePngNode, encodeJpegNode } = await import('../../src/core/io/decodeNode');
    const img = { width: 37, height: 21, data: new Uint8ClampedArray(37 * 21 * 4).fill(200) };
    expect(readImageHeader(encodePngNode(img))).toEqual({ type: 'png', width: 37, height: 21 });
    expect(readImageHeader(encodeJpegNode(img))).toEqual({ type: 'jpeg', width: 37, height: 21 });
    expect(readImageHeader(strToU8('hello'))).toEqual({ type: null, width: null, height: null });
  });
});
