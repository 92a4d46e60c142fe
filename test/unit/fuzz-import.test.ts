/**
 * Property-based fuzzing (fast-check, fixed seeds) of what the dataset import reads before a single
 * pixel is stored: the import ZIP reader (central directory index, entry extraction, file index),
 * folder pairing (detectLayout), image headers (readImageHeader, the Node decoder's header checks),
 * and aligned-image splitting. FUZZ_RUNS inputs per parser: valid archives and images mutated at
 * random or with forged size/count/offset fields, path lists built from the names the pairing
 * recognises (and prototype names), and random bytes.
 *
 * Typed outcomes: indexZip, buildFileIndex, detectLayout, readImageHeader and decodeImageNode never
 * throw (a problem is a FileProblem value); extractZipEntry throws only ZipEntryError (with a
 * FileProblem); splitAlignedImage throws only RangeError. Every call < MAX_CALL_MS and outputs stay
 * within the caps (entries, declared bytes, pixels). Targeted tests show each cap is applied before
 * anything is inflated or decoded.
 */
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/data/dataset';
import { checkAlignedImage, detectLayout } from '../../src/core/data/layout';
import { splitAlignedImage } from '../../src/core/data/preprocess';
import { decodeImageNode, encodeJpegNode, encodePngNode } from '../../src/core/io/decodeNode';
import { crc32, writeZip } from '../../src/core/io/zip';
import type { RgbaImage } from '../../src/core/image';
import { buildFileIndex } from '../../src/engine/import/fileIndex';
import { readImageHeader } from '../../src/engine/import/imageHeader';
import { walkEntries, type EntryLike } from '../../src/engine/import/walk';
import {
  bytesAccess,
  extractZipEntry,
  indexZip,
  ZipEntryError,
  type RandomAccess,
  type ZipCaps,
} from '../../src/engine/import/zipIndex';
import {
  check,
  FUZZ_RUNS,
  mutatedBytes,
  newStats,
  nothingThrown,
  probe,
  probeAsync,
  randomBytes,
  report,
  type FuzzStats,
} from './fuzz-kit';

const all: FuzzStats[] = [];
afterAll(() => all.forEach(report));

/** A RandomAccess over bytes that records every read (to prove what was NOT read). */
function recordingAccess(bytes: Uint8Array): RandomAccess & { reads: [number, number][] } {
  const inner = bytesAccess(bytes);
  const reads: [number, number][] = [];
  return {
    size: inner.size,
    reads,
    read(offset, length) {
      reads.push([offset, length]);
      return inner.read(offset, length);
    },
  };
}

// ------------------------------------------------------------------------------------------------
// import ZIPs

const nameArb = fc.oneof(
  fc.constantFrom(
    'photo/001.jpg',
    'xray/001.png',
    'a/',
    '001.txt',
    'nested.zip',
    '../../etc/passwd',
    '/abs.png',
    'C:\\win\\x.png',
    '张三/001_photo.jpg',
    '__MACOSX/._001.png',
  ),
  fc.string({ maxLength: 10 }),
);
const entriesArb = fc.uniqueArray(fc.record({ name: nameArb, data: fc.uint8Array({ maxLength: 48 }) }), {
  maxLength: 5,
  selector: (e) => e.name,
});

/** STORED (core writer) or DEFLATE (fflate) archives. */
const validZipArb = fc.tuple(entriesArb, fc.boolean()).map(([es, deflate]) =>
  deflate
    ? zipSync(Object.fromEntries(es.filter((e) => e.name.length > 0).map((e) => [e.name, e.data])), {
        level: 6,
      })
    : writeZip(es, 1),
);

/** Offsets of the size/count/offset fields of an archive's directory and local headers. */
function fieldOffsets(zip: Uint8Array): number[] {
  if (zip.length < 22) return [];
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  const out = [eocd + 4, eocd + 6, eocd + 8, eocd + 10, eocd + 12, eocd + 16];
  let o = dv.getUint32(eocd + 16, true);
  while (o + 46 <= eocd && dv.getUint32(o, true) === 0x02014b50) {
    out.push(o + 8, o + 10, o + 16, o + 20, o + 24, o + 28, o + 30, o + 32, o + 42);
    o += 46 + dv.getUint16(o + 28, true) + dv.getUint16(o + 30, true) + dv.getUint16(o + 32, true);
  }
  out.push(6, 8, 14, 18, 22, 26, 28);
  return out;
}

const forgedZipArb = fc
  .tuple(
    validZipArb,
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom(0, 1, 8, 99, 0x800, 0xffff, 0xfffe, 0x7fffffff, 0xffffffff, 0xfffffffe, 46, 1000),
        fc.boolean(),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([zip, forge]) => {
    const fields = fieldOffsets(zip);
    if (!fields.length) return zip;
    const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    for (const [i, v, wide] of forge) {
      const at = fields[i % fields.length];
      if (wide && at + 4 <= zip.length) dv.setUint32(at, v >>> 0, true);
      else if (at + 2 <= zip.length) dv.setUint16(at, v & 0xffff, true);
    }
    return zip;
  });

const zipInputArb = fc.oneof(
  forgedZipArb,
  validZipArb.chain((z) => mutatedBytes(z, 4)),
  randomBytes(300),
);
const SMALL_CAPS: ZipCaps = { maxEntries: 3, maxTotalBytes: 100 };

describe('fuzz: import ZIP reader', () => {
  it(`indexZip + extractZipEntry: ${FUZZ_RUNS} forged, mutated and random archives`, async () => {
    const idx = newStats(
      'import ZIP index (indexZip)',
      'FileProblem values (zip-invalid, zip-too-many-entries, zip-too-large…)',
    );
    const ext = newStats('import ZIP entry (extractZipEntry)', 'ZipEntryError');
    all.push(idx, ext);
    await fc.assert(
      fc.asyncProperty(zipInputArb, fc.boolean(), async (bytes, small) => {
        const caps = small ? SMALL_CAPS : undefined;
        const src = bytesAccess(bytes);
        const r = (await probeAsync(idx, nothingThrown, () => indexZip(src, 'in.zip', caps)))!;
        if (!r.ok) {
          expect(r.problem.file).toBe('in.zip');
          expect(r.problem.message).toContain('in.zip');
          expect(r.problem.severity).toBe('error');
          return;
        }
        // caps hold on what the index lets through
        const c = caps ?? { maxEntries: LIMITS.maxZipEntries, maxTotalBytes: LIMITS.maxZipTotalBytes };
        expect(r.index.entries.length).toBeLessThanOrEqual(c.maxEntries);
        expect(r.index.totalSize).toBeLessThanOrEqual(c.maxTotalBytes);
        for (const e of r.index.entries.slice(0, 3)) {
          const maxBytes = 64;
          const blob = await probeAsync(
            ext,
            (err) => err instanceof ZipEntryError && err.problem.message.length > 10,
            () => extractZipEntry(src, 'in.zip', e, { maxBytes }),
          );
          if (blob) {
            expect(blob.size).toBe(e.size);
            expect(blob.size).toBeLessThanOrEqual(maxBytes);
          }
        }
      }),
      { seed: 0x21901, numRuns: FUZZ_RUNS },
    );
    expect(idx.rejected + idx.ok).toBe(idx.runs);
  });

  it(`extractZipEntry: ${FUZZ_RUNS} entries with forged directory fields over mutated archives`, async () => {
    const stats = newStats('import ZIP entry, forged (extractZipEntry)', 'ZipEntryError');
    all.push(stats);
    const boundary = fc.constantFrom(0, 1, 2, 7, 46, 1032, 65_535, 0x7fffffff, 0xffffffff, 2 ** 40);
    const caseArb = fc
      .tuple(
        validZipArb.filter((z) => z.length > 22 && new DataView(z.buffer).getUint16(z.length - 12, true) > 0),
        fc.nat(),
        fc.record(
          {
            size: boundary,
            compressedSize: boundary,
            localOffset: fc.oneof(boundary, fc.nat(64)),
            method: fc.constantFrom(0, 8, 12),
            crc32: fc.constantFrom(0, 0xffffffff),
            encrypted: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        fc.boolean(),
      )
      .chain(([zip, i, forge, mutate]) =>
        (mutate ? mutatedBytes(zip, 3) : fc.constant(zip)).map((bytes) => ({ zip, i, forge, bytes })),
      );
    await fc.assert(
      fc.asyncProperty(caseArb, fc.constantFrom(16, 4096), async ({ zip, i, forge, bytes }, maxBytes) => {
        const r = await indexZip(bytesAccess(zip), 'v.zip');
        if (!r.ok) throw new Error(r.problem.message);
        const e = { ...r.index.entries[i % r.index.entries.length], ...forge };
        const blob = await probeAsync(
          stats,
          (err) => err instanceof ZipEntryError && err.problem.message.includes('v.zip/'),
          () => extractZipEntry(bytesAccess(bytes), 'v.zip', e, { maxBytes }),
        );
        if (blob) check(blob.size === e.size && blob.size <= maxBytes, `blob of ${blob.size} bytes`);
      }),
      { seed: 0x21907, numRuns: FUZZ_RUNS },
    );
    expect(stats.rejected).toBeGreaterThan(FUZZ_RUNS / 4);
  });

  // buildFileIndex only routes each input to indexZip (fuzzed 10,000 times above) or keeps it as a
  // loose file; whole drops check the routing and the caps across several archives
  it(`buildFileIndex: ${FUZZ_RUNS} drops of loose files and archives`, async () => {
    const stats = newStats('import file index (buildFileIndex)', 'FileProblem values');
    all.push(stats);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.oneof(nameArb, fc.constantFrom('a.zip', 'B.ZIP', 'x/y.zip')), zipInputArb), {
          maxLength: 3,
        }),
        async (inputs) => {
          const r = (await probeAsync(stats, nothingThrown, () =>
            buildFileIndex(
              inputs.map(([path, bytes]) => ({ path, blob: new Blob([new Uint8Array(bytes)]) })),
              SMALL_CAPS,
              (blob) => ({
                size: blob.size,
                read: async (o, n) => new Uint8Array(await blob.slice(o, o + n).arrayBuffer()),
              }),
            ),
          ))!;
          const archives = inputs.filter(([p]) => /\.zip$/i.test(p)).length;
          expect(
            r.archives.length + r.problems.filter((p) => p.code.startsWith('zip')).length,
          ).toBeLessThanOrEqual(archives);
          expect(r.files.length).toBeLessThanOrEqual(inputs.length * SMALL_CAPS.maxEntries);
          for (const p of r.problems) expect(p.message).toContain(p.file.split('/')[0]);
        },
      ),
      { seed: 0x21902, numRuns: FUZZ_RUNS },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// walking a drop (the browser's entries API, faked): folders read in batches, some reads failing

type FakeNode =
  | { kind: 'file'; name: string; fails: boolean }
  | { kind: 'dir'; name: string; fails: boolean; batch: number; children: FakeNode[] };

const treeArb = fc.letrec<{ node: FakeNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('file' as const), name: segArbLazy(), fails: fc.boolean() }),
    fc.record({
      kind: fc.constant('dir' as const),
      name: segArbLazy(),
      fails: fc.boolean(),
      batch: fc.integer({ min: 1, max: 3 }),
      children: fc.array(tie('node'), { maxLength: 4 }),
    }),
  ),
})).node;

function segArbLazy(): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom('photo', 'x.png', '张三', '', '..', 'a/b'), fc.string({ maxLength: 5 }));
}

function toEntry(n: FakeNode): EntryLike {
  if (n.kind === 'file')
    return {
      name: n.name,
      isFile: true,
      isDirectory: false,
      file: (ok, fail) =>
        n.fails ? fail?.(new DOMException('gone', 'NotFoundError')) : ok(new File([n.name], n.name || 'f')),
    };
  return {
    name: n.name,
    isFile: false,
    isDirectory: true,
    createReader() {
      let at = 0;
      return {
        readEntries(ok, fail) {
          if (n.fails) return fail?.({ name: 'SecurityError' });
          const batch = n.children.slice(at, at + n.batch).map(toEntry);
          at += batch.length;
          ok(batch);
        },
      };
    },
  };
}

function countTree(n: FakeNode): { files: number; failed: number } {
  if (n.kind === 'file') return { files: n.fails ? 0 : 1, failed: n.fails ? 1 : 0 };
  if (n.fails) return { files: 0, failed: 1 };
  return n.children
    .map(countTree)
    .reduce((a, b) => ({ files: a.files + b.files, failed: a.failed + b.failed }), {
      files: 0,
      failed: 0,
    });
}

describe('fuzz: walking a drop', () => {
  it(`walkEntries: ${FUZZ_RUNS} folder trees with failing reads (errors collected, nothing thrown)`, async () => {
    const stats = newStats('drop walker (walkEntries)', 'errors collected as values');
    all.push(stats);
    await fc.assert(
      fc.asyncProperty(fc.array(treeArb, { maxLength: 3 }), async (roots) => {
        const r = (await probeAsync(stats, nothingThrown, () => walkEntries(roots.map(toEntry))))!;
        const want = roots
          .map(countTree)
          .reduce((a, b) => ({ files: a.files + b.files, failed: a.failed + b.failed }), {
            files: 0,
            failed: 0,
          });
        check(
          r.inputs.length === want.files,
          () => `${r.inputs.length} files walked, ${want.files} readable`,
        );
        check(
          r.errors.length === want.failed,
          () => `${r.errors.length} errors, ${want.failed} failing reads`,
        );
        for (const e of r.errors) check(e.message.length > 0, 'an error without a reason');
      }),
      { seed: 0x21908, numRuns: FUZZ_RUNS },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// folder pairing

const segArb = fc.oneof(
  fc.constantFrom(
    'photo',
    'photos',
    'xray',
    'X-Ray',
    'ceph',
    'A',
    'B',
    'trainA',
    'testB',
    'train',
    'val',
    'Test',
    'p001',
    '001',
    '2',
    '10',
    '.hidden',
    '__MACOSX',
    '张三',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '',
    '.',
    '..',
  ),
  fc.string({ maxLength: 6 }),
);
const fileArb = fc.oneof(
  fc.constantFrom(
    '001.png',
    '001_photo.jpg',
    '001_xray.png',
    'photo_002.jpeg',
    '002-B.png',
    '002_A.png',
    'face.png',
    'ceph.png',
    '001.txt',
    '001.json',
    'landmarks.csv',
    'scan.dcm',
    'x.tif',
    'thumbs.db',
    '~$tmp.png',
    'constructor.png',
    '__proto__.png',
    'toString_photo.jpg',
    '001_fake_B.png',
    'noext',
    '.png',
  ),
  fc
    .tuple(fc.string({ maxLength: 6 }), fc.constantFrom('.png', '.jpg', '.txt', '.csv', ''))
    .map(([a, b]) => a + b),
);
const pathsArb = fc.array(
  fc.record({
    path: fc
      .tuple(fc.array(segArb, { maxLength: 4 }), fileArb, fc.constantFrom('/', '\\', '//'))
      .map(([dirs, f, sep]) => [...dirs, f].join(sep)),
    size: fc.constantFrom(0, 1, 1000),
  }),
  { maxLength: 12 },
);

describe('fuzz: folder pairing', () => {
  it(`detectLayout: ${FUZZ_RUNS} path lists`, () => {
    const stats = newStats('folder pairing (detectLayout)', 'FileProblem values');
    all.push(stats);
    fc.assert(
      fc.property(
        pathsArb,
        fc.constantFrom(undefined, 'paired', 'aligned', 'auto') as fc.Arbitrary<
          'paired' | 'aligned' | 'auto' | undefined
        >,
        (files, assume) => {
          const plan = probe(stats, nothingThrown, () => detectLayout(files, { assume }))!;
          const used = new Set<string>();
          for (const c of plan.cases) {
            check(typeof c.id === 'string' && c.id.length > 0, () => `case id ${String(c.id)}`);
            check(
              c.split === undefined || c.split === 'train' || c.split === 'val' || c.split === 'test',
              () => `case ${c.id} has split ${String(c.split)}`,
            );
            for (const p of [c.photoPath, c.xrayPath, c.alignedPath]) {
              if (!p) continue;
              check(!used.has(p), `${p} is in two cases`); // an image belongs to one case
              used.add(p);
            }
          }
          check(plan.cases.length <= files.length, 'more cases than files');
          check(plan.counts.pairs <= plan.counts.cases, 'more pairs than cases');
          check(!/NaN|undefined|function/.test(plan.summary), () => `summary: ${plan.summary}`);
        },
      ),
      { seed: 0x21903, numRuns: FUZZ_RUNS },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// image headers and decoding

function tinyImage(w: number, h: number): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 0xff;
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width: w, height: h, data };
}

/** A PNG whose IHDR claims width × height (CRC fixed, so only the size is a lie). */
function pngClaiming(width: number, height: number): Uint8Array {
  const png = new Uint8Array(encodePngNode(tinyImage(4, 4), { grey: true }));
  const dv = new DataView(png.buffer);
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  dv.setUint32(29, crc32(png.subarray(12, 29)));
  return png;
}

describe('fuzz: image headers and decoding', () => {
  const png = encodePngNode(tinyImage(5, 3));
  const grey = encodePngNode(tinyImage(3, 2), { grey: true });
  const jpg = encodeJpegNode(tinyImage(8, 8), 80);
  const bmpHead = Uint8Array.from([0x42, 0x4d, ...new Array(24).fill(0)]);
  const webp = new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0');
  const images = [png, grey, jpg, bmpHead, webp, pngClaiming(100_000, 100_000)];
  const imageArb = fc.oneof(
    fc.constantFrom(...images).chain((b) => mutatedBytes(b, 4)),
    fc.constantFrom(...images),
    randomBytes(200),
  );

  it(`readImageHeader: ${FUZZ_RUNS} inputs`, () => {
    const stats = newStats('image header (readImageHeader)', 'none: type/size null when unknown');
    all.push(stats);
    fc.assert(
      fc.property(imageArb, (b) => {
        const h = probe(stats, nothingThrown, () => readImageHeader(b))!;
        for (const v of [h.width, h.height]) {
          if (v !== null) expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
        }
      }),
      { seed: 0x21904, numRuns: FUZZ_RUNS },
    );
  });

  it(`decodeImageNode: ${FUZZ_RUNS} inputs (FileProblem values; pixels within the caps)`, () => {
    const stats = newStats('image decode, Node (decodeImageNode)', 'FileProblem values');
    all.push(stats);
    fc.assert(
      fc.property(imageArb, (b) => {
        const r = probe(stats, nothingThrown, () => decodeImageNode(b, 'img.png'))!;
        if (r.ok) {
          expect(r.image.width).toBeLessThanOrEqual(LIMITS.maxSidePx);
          expect(r.image.height).toBeLessThanOrEqual(LIMITS.maxSidePx);
          expect(r.image.data.length).toBe(r.image.width * r.image.height * 4);
        } else {
          expect(r.problem.message).toContain('img.png');
        }
      }),
      { seed: 0x21905, numRuns: FUZZ_RUNS },
    );
  });

  it(`splitAlignedImage: ${FUZZ_RUNS} images (RangeError only)`, () => {
    const stats = newStats('aligned-image split (splitAlignedImage)', 'RangeError');
    all.push(stats);
    const imgArb = fc
      .tuple(
        fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom(-1, 1.5, NaN, 2 ** 31)),
        fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(-2, 0.5, Infinity)),
        fc.integer({ min: -3, max: 3 }),
      )
      .map(([w, h, skew]) => {
        const n =
          Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0 && w * h < 1000 ? w * h * 4 : 8;
        return { width: w, height: h, data: new Uint8ClampedArray(Math.max(0, n + skew)) };
      });
    fc.assert(
      fc.property(imgArb, (img) => {
        const out = probe(
          stats,
          (e) => e instanceof RangeError,
          () => splitAlignedImage(img),
        );
        if (!out) return;
        expect(out.photo.width + out.xray.width).toBe(img.width);
        expect(out.photo.height).toBe(img.height);
        expect(out.photo.data.length).toBe(out.photo.width * out.photo.height * 4);
        expect(out.xray.data.length).toBe(out.xray.width * out.xray.height * 4);
        // the import checks the pair shape first: what it lets through always splits
        if (checkAlignedImage('a.png', img.width, img.height) === null)
          expect(out.photo.width).toBeGreaterThan(0);
      }),
      { seed: 0x21906, numRuns: FUZZ_RUNS },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// caps are applied before inflating or decoding

describe('import caps hold before decoding', () => {
  it('a PNG header claiming 100000 × 100000 px is refused without allocating its pixels', () => {
    const b = pngClaiming(100_000, 100_000);
    expect(readImageHeader(b)).toEqual({ type: 'png', width: 100_000, height: 100_000 });
    const before = process.memoryUsage().arrayBuffers;
    const r = decodeImageNode(b, 'huge.png');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem.code).toBe('image-too-large');
      expect(r.problem.message).toMatch(
        /huge\.png: the image is 100000 × 100000 px, above the limit of 8192 px/,
      );
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('a PNG header claiming 20000 × 20000 px (would be 1.6 GB of RGBA) is refused before decoding', () => {
    const r = decodeImageNode(pngClaiming(20_000, 20_000), 'big.png');
    expect(r.ok ? null : r.problem.code).toBe('image-too-large');
  });

  it('a PNG header claiming 8192 × 8192 px (within the side cap) over a few bytes of data is refused without allocating', () => {
    const before = process.memoryUsage().arrayBuffers;
    const r = decodeImageNode(pngClaiming(8192, 8192), 'short.png');
    expect(r.ok ? '' : r.problem.message).toMatch(
      /short\.png: the PNG holds \d+ bytes of image data, too little for 8192 × 8192 px/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('a ZIP claiming 200,000 entries is refused from its end record, without reading the directory', async () => {
    const zip = writeZip([{ name: 'a.png', data: new Uint8Array(4) }], 1);
    // turn it into a ZIP64 archive whose end record claims 200,000 entries
    const eocd = zip.length - 22;
    const z64 = new Uint8Array(56 + 20);
    const dv64 = new DataView(z64.buffer);
    dv64.setUint32(0, 0x06064b50, true);
    dv64.setBigUint64(32, 200_000n, true);
    dv64.setBigUint64(40, 46n + 5n, true);
    dv64.setBigUint64(48, BigInt(new DataView(zip.buffer).getUint32(eocd + 16, true)), true);
    dv64.setUint32(56, 0x07064b50, true);
    dv64.setBigUint64(64, BigInt(eocd), true);
    const out = new Uint8Array(eocd + z64.length + 22);
    out.set(zip.subarray(0, eocd));
    out.set(z64, eocd);
    out.set(zip.subarray(eocd), eocd + z64.length);
    new DataView(out.buffer).setUint16(out.length - 22 + 10, 0xffff, true);
    const src = recordingAccess(out);
    const r = await indexZip(src, 'many.zip');
    expect(r.ok ? null : r.problem.code).toBe('zip-too-many-entries');
    expect(r.ok ? '' : r.problem.message).toMatch(
      /many\.zip: the ZIP holds 200,000 files, above the limit of 100,000/,
    );
    // read: the tail and the ZIP64 end record only, never the central directory
    expect(src.reads.length).toBe(2);
  });

  it('a ZIP whose entries declare more than 4 GiB in total is refused before any entry is inflated', async () => {
    const zip = writeZip(
      [
        { name: 'a.png', data: new Uint8Array(8) },
        { name: 'b.png', data: new Uint8Array(8) },
      ],
      1,
    );
    const dv = new DataView(zip.buffer);
    let o = dv.getUint32(zip.length - 22 + 16, true);
    for (let i = 0; i < 2; i++) {
      dv.setUint16(o + 10, 8, true);
      dv.setUint32(o + 24, 0xfffffff0, true);
      o += 46 + dv.getUint16(o + 28, true);
    }
    const r = await indexZip(bytesAccess(zip), 'bomb.zip');
    expect(r.ok ? null : r.problem.code).toBe('zip-too-large');
  });

  it('an entry whose declared size is beyond the DEFLATE ratio is refused without reading its data', async () => {
    const zip = zipSync({ 'x.png': new Uint8Array(5000) }, { level: 9 });
    const src = recordingAccess(zip);
    const r = await indexZip(src, 'r.zip');
    if (!r.ok) throw new Error(r.problem.message);
    const e = { ...r.index.entries[0], size: r.index.entries[0].compressedSize * 2000 };
    const before = src.reads.length;
    await expect(extractZipEntry(src, 'r.zip', e, { maxBytes: 1 << 30 })).rejects.toMatchObject({
      name: 'ZipEntryError',
      problem: { code: 'zip-forged-size' },
    });
    expect(src.reads.length).toBe(before);
  });

  it('an entry that inflates past its declared size is stopped at the declared size', async () => {
    const zip = zipSync({ 'x.png': new Uint8Array(4_000_000) }, { level: 9 });
    const src = bytesAccess(zip);
    const r = await indexZip(src, 'e.zip');
    if (!r.ok) throw new Error(r.problem.message);
    const e = { ...r.index.entries[0], size: 1000 };
    await expect(extractZipEntry(src, 'e.zip', e, { maxBytes: 1 << 20 })).rejects.toMatchObject({
      problem: { code: 'zip-expands' },
    });
  });
});
