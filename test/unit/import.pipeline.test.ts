/**
 * The import pipeline in Node (fast-png decoder, fake-indexeddb): a folder with good cases and
 * every kind of bad input, a cancel part-way, and a full disk part-way. Asserts what is stored,
 * that the dataset stays consistent, and what the report says per file.
 */
import 'fake-indexeddb/auto';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { importReportToCsv, importReportToMarkdown, type CaseSplit } from '../../src/core/data/dataset';
import { splitsForAddedCases } from '../../src/core/data/splits';
import type { RgbaImage } from '../../src/core/image';
import { decodeImageNode, encodePngNode } from '../../src/core/io/decodeNode';
import { writeIsbiText } from '../../src/core/io/landmarks';
import { buildFileIndex, type ImportInput } from '../../src/engine/import/fileIndex';
import {
  findDuplicateCases,
  planImport,
  runAddToDataset,
  runImport,
  safeCaseIds,
  type ImageDecoder,
  type ImportProgress,
} from '../../src/engine/import/pipeline';
import {
  getCaseImage,
  listCaseIds,
  listCases,
  getDataset,
  type DatasetManifest,
} from '../../src/store/datasets';
import type { Kv } from '../../src/store/kv';
import { openStudioStorage, type StudioStorage } from '../../src/store/storage';

const open = () => openStudioStorage({ prefix: `imp-${globalThis.crypto.randomUUID()}` });

const decode: ImageDecoder = async (blob, file) => {
  const r = decodeImageNode(new Uint8Array(await blob.arrayBuffer()), file);
  if (!r.ok) throw new Error(r.problem.message);
  return r.image;
};

/** A small test image: a gradient with a bright block whose position depends on k. */
function image(k: number, w = 64, h = 48, grey = false): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const inBlock =
        x >= 8 + (k % 5) * 6 && x < 20 + (k % 5) * 6 && y >= 10 + (k % 3) * 8 && y < 22 + (k % 3) * 8;
      const v = inBlock ? 230 : 40 + ((x * 3 + y * 2 + k * 17) % 120);
      data[i] = v;
      data[i + 1] = grey ? v : (v * 0.8) | 0;
      data[i + 2] = grey ? v : (v * 0.6) | 0;
      data[i + 3] = 255;
    }
  return { width: w, height: h, data };
}

const pts = (k: number) =>
  Array.from({ length: 19 }, (_, i) => [5 + i * 3 + k, 4 + i * 2] as [number, number]);

function png(img: RgbaImage): Uint8Array<ArrayBuffer> {
  return encodePngNode(img) as Uint8Array<ArrayBuffer>;
}

/** PNG bytes claiming 9000 px width in the header (the import must refuse it before decoding). */
function hugePngHeader(): Uint8Array<ArrayBuffer> {
  const b = png(image(0, 8, 8)).slice();
  new DataView(b.buffer).setUint32(16, 9000);
  return b;
}

function folderInputs(n: number): ImportInput[] {
  const inputs: ImportInput[] = [];
  for (let k = 1; k <= n; k++) {
    const id = String(k).padStart(3, '0');
    inputs.push({ path: `ceph/photo/${id}.png`, blob: new Blob([png(image(k))]) });
    inputs.push({ path: `ceph/xray/${id}.png`, blob: new Blob([png(image(k + 100, 64, 48, true))]) });
    inputs.push({ path: `ceph/landmarks/${id}.txt`, blob: new Blob([writeIsbiText(pts(k))]) });
  }
  return inputs;
}

function manifestOk(m: DatasetManifest | undefined): void {
  expect(m).toBeDefined();
  expect(m!.meta.caseCount).toBe(m!.caseIds.length);
}

async function manifest(storage: StudioStorage, id: string): Promise<DatasetManifest | undefined> {
  return storage.datasets.get<DatasetManifest>(`manifest/${id}`);
}

describe('runImport', () => {
  it('imports good cases and reports every bad file, continuing past each', async () => {
    const storage = await open();
    const inputs = folderInputs(12);
    // bad input, each in its own case or file
    const truncated = png(image(50)).slice(0, 60);
    inputs.push({ path: 'ceph/photo/050.png', blob: new Blob([truncated]) });
    inputs.push({ path: 'ceph/xray/050.png', blob: new Blob([png(image(150, 64, 48, true))]) });
    inputs.push({ path: 'ceph/photo/060.png', blob: new Blob([png(image(60))]) }); // unpaired
    inputs.push({ path: 'ceph/xray/070.dcm', blob: new Blob([new Uint8Array(200)]) }); // DICOM by name
    const dicomContent = new Uint8Array(300);
    dicomContent.set([0x44, 0x49, 0x43, 0x4d], 128);
    inputs.push({ path: 'ceph/photo/080.png', blob: new Blob([dicomContent]) }); // DICOM with an image name
    inputs.push({ path: 'ceph/xray/080.png', blob: new Blob([png(image(180, 64, 48, true))]) });
    inputs.push({ path: 'ceph/photo/090.png', blob: new Blob([hugePngHeader()]) });
    inputs.push({ path: 'ceph/xray/090.png', blob: new Blob([png(image(190, 64, 48, true))]) });
    // landmark files: wrong count, not numbers
    inputs.push({ path: 'ceph/photo/100.png', blob: new Blob([png(image(7))]) });
    inputs.push({ path: 'ceph/xray/100.png', blob: new Blob([png(image(107, 64, 48, true))]) });
    inputs.push({ path: 'ceph/landmarks/100.txt', blob: new Blob([writeIsbiText(pts(1).slice(0, 18))]) });
    inputs.push({ path: 'ceph/photo/110.png', blob: new Blob([png(image(8))]) });
    inputs.push({ path: 'ceph/xray/110.png', blob: new Blob([png(image(108, 64, 48, true))]) });
    inputs.push({
      path: 'ceph/landmarks/110.txt',
      blob: new Blob(['1,2\n3,abc\n' + writeIsbiText(pts(1).slice(2))]),
    });
    inputs.push({ path: 'ceph/.DS_Store', blob: new Blob(['x']) });
    // a ZIP beside the folder: too large for the cap, so rejected as a whole
    inputs.push({ path: 'extra.zip', blob: new Blob([zipSync({ 'a.png': new Uint8Array(400_000) })]) });

    const index = await buildFileIndex(inputs, { maxEntries: 1000, maxTotalBytes: 100_000 });
    const plan = planImport(index);
    expect(plan.kind).toBe('folders');
    expect(plan.cases.length).toBe(18); // 12 good + 050, 060, 080, 090, 100, 110

    const progress: ImportProgress[] = [];
    const out = await runImport(
      index,
      plan,
      { name: 'ceph', splitSeed: 7 },
      {
        storage,
        decode,
        batchSize: 4,
        datasetId: 'ds-test-1',
        onProgress: (p) => progress.push(p),
      },
    );
    expect(out.cancelled).toBe(false);
    expect(out.storageFull).toBeNull();
    // every case with a readable image is stored (090's photo and 080's photo fail, their X-rays are fine)
    expect(out.stored).toBe(18);
    expect(out.usable).toBe(14); // 12 + 100 + 110 (050, 060, 080, 090 lack one image)
    manifestOk(await manifest(storage, 'ds-test-1'));
    const { cases } = await listCases(storage.datasets, 'ds-test-1', { limit: 100 });
    const byId = new Map(cases.map((c) => [c.record.id, c.record]));
    expect(byId.get('001')!.landmarks).toEqual(pts(1));
    expect(byId.get('001')!.photoSize).toEqual({ width: 64, height: 48 });
    expect(byId.get('100')!.landmarks).toBeNull();
    expect(byId.get('100')!.flags.map((f) => f.code)).toContain('landmark-count');
    expect(byId.get('110')!.flags.map((f) => f.code)).toContain('landmark-count');
    expect(byId.get('050')!.flags.map((f) => f.code)).toContain('unreadable');
    expect(byId.get('060')!.flags.map((f) => f.code)).toContain('unpaired');
    expect(cases.every((c) => !c.record.state.excluded)).toBe(true);
    // originals kept exactly as dropped
    const blob = await getCaseImage(storage.datasets, 'ds-test-1', '003', 'xray');
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(png(image(103, 64, 48, true)));
    expect(blob!.type).toBe('image/png');

    const code = (path: string) =>
      out.report.files.filter((f) => f.path === path).map((f) => `${f.status}:${f.code ?? ''}`);
    expect(code('ceph/photo/050.png')).toEqual(['error:unreadable']);
    expect(code('ceph/photo/060.png')).toEqual(['error:unpaired']);
    expect(code('ceph/xray/070.dcm')).toEqual(['error:unsupported-dicom']);
    expect(code('ceph/photo/080.png')).toEqual(['error:unsupported-dicom']);
    expect(code('ceph/photo/090.png')).toEqual(['error:image-too-large']);
    expect(code('ceph/landmarks/100.txt')).toEqual(['error:landmark-count']);
    expect(code('ceph/landmarks/110.txt')).toEqual(['error:landmark-not-number']);
    expect(code('ceph/.DS_Store')).toEqual(['skipped:hidden']);
    expect(code('extra.zip')).toEqual(['error:zip-too-large']);
    expect(code('ceph/photo/001.png')).toEqual(['imported:']);
    const msg090 = out.report.files.find((f) => f.path === 'ceph/photo/090.png')!.message;
    expect(msg090).toContain('9000 × 8 px, above the limit of 8192 px per side');
    const dicomMsg = out.report.files.find((f) => f.path === 'ceph/xray/070.dcm')!.message;
    expect(dicomMsg).toContain('Export PNG from your DICOM viewer');
    const lm110 = out.report.files.find((f) => f.path === 'ceph/landmarks/110.txt')!;
    expect(lm110.line).toBe(2);
    // the report exports
    const md = importReportToMarkdown(out.report);
    expect(md).toContain('| ceph/photo/050.png | error | 050 |');
    expect(importReportToCsv(out.report).split('\r\n')[0]).toBe('path,status,case,message');

    // splits and the fixed evaluation list (val cases that are usable)
    const ds = await getDataset(storage.datasets, 'ds-test-1');
    const valUsable = cases
      .filter((c) => c.record.split === 'val' && c.record.photoSize && c.record.xraySize)
      .map((c) => c.record.id);
    expect(ds!.evalList.version).toBe(1);
    expect(valUsable.length).toBeGreaterThan(0);
    expect(ds!.evalList.ids.length).toBe(Math.min(20, valUsable.length));
    expect(ds!.evalList.ids.every((id) => valUsable.includes(id))).toBe(true);
    expect(ds!.landmarkSet?.symbols.length).toBe(19);
    expect(ds!.landmarkFormat).toBe('isbi-txt');

    // progress: counts go up to the total with an ETA during the cases
    const last = progress.filter((p) => p.phase === 'cases').at(-1)!;
    expect(last.done).toBe(18);
    expect(last.total).toBe(18);
    expect(progress.some((p) => p.phase === 'cases' && p.etaMs !== null && p.etaMs >= 0)).toBe(true);
  });

  it('a cancel keeps the cases read so far, listed and complete, and reports the rest as not imported', async () => {
    const storage = await open();
    const index = await buildFileIndex(folderInputs(10));
    const plan = planImport(index);
    const ctl = new AbortController();
    const out = await runImport(
      index,
      plan,
      { name: 'c' },
      {
        storage,
        decode,
        batchSize: 2,
        datasetId: 'ds-cancel',
        signal: ctl.signal,
        onProgress: (p) => {
          if (p.phase === 'cases' && p.done === 3) ctl.abort();
        },
      },
    );
    expect(out.cancelled).toBe(true);
    expect(out.report.cancelled).toBe(true);
    expect(out.stored).toBe(3);
    const m = await manifest(storage, 'ds-cancel');
    manifestOk(m);
    expect(m!.caseIds).toEqual(['001', '002', '003']);
    const notImported = out.report.files.filter((f) => f.code === 'cancelled').map((f) => f.path);
    expect(notImported).toContain('ceph/photo/004.png');
    expect(notImported).toContain('ceph/landmarks/010.txt');
    expect(notImported.length).toBe(7 * 3);
  });

  it('a full disk stops cleanly: the committed batches stay, the rest is reported', async () => {
    const storage = await open();
    let writes = 0;
    const full: Kv = {
      ...storage.datasets,
      async setMany(entries) {
        if (++writes > 2) {
          const e = new Error('quota');
          e.name = 'QuotaExceededError';
          throw e;
        }
        return storage.datasets.setMany(entries);
      },
    };
    const index = await buildFileIndex(folderInputs(9));
    const plan = planImport(index);
    const out = await runImport(
      index,
      plan,
      { name: 'f' },
      {
        storage: { datasets: full },
        decode,
        batchSize: 2,
        datasetId: 'ds-full',
      },
    );
    expect(out.storageFull?.name).toBe('StorageFullError');
    expect(out.stored).toBe(4);
    const ids = await listCaseIds(storage.datasets, 'ds-full');
    expect(ids).toEqual(['001', '002', '003', '004']);
    manifestOk(await manifest(storage, 'ds-full'));
    const full5 = out.report.files.filter((f) => f.path === 'ceph/photo/005.png');
    expect(full5.map((f) => f.code)).toEqual(['storage-full']);
    expect(out.report.files.filter((f) => f.code === 'storage-full').length).toBe(5 * 3);
    // nothing unlisted was left behind by the failed batch
    const keys = await storage.datasets.keys('case/ds-full/');
    expect(keys.length).toBe(4);
  });

  it('imports the aligned layout with splits from folders and landmarks from one CSV', async () => {
    const storage = await open();
    const inputs: ImportInput[] = [];
    const rows = ['image_path,' + Array.from({ length: 19 }, (_, i) => `${i + 1}_x,${i + 1}_y`).join(',')];
    for (let k = 1; k <= 6; k++) {
      const split = k <= 4 ? 'train' : 'val';
      const a = image(k, 40, 30);
      const b = image(k + 50, 40, 30, true);
      const both = { width: 80, height: 30, data: new Uint8ClampedArray(80 * 30 * 4) };
      for (let y = 0; y < 30; y++) {
        both.data.set(a.data.subarray(y * 160, y * 160 + 160), y * 320);
        both.data.set(b.data.subarray(y * 160, y * 160 + 160), y * 320 + 160);
      }
      inputs.push({ path: `AB/${split}/${k}.png`, blob: new Blob([png(both)]) });
      rows.push(
        `${k}.png,` +
          pts(k)
            .map((p) => `${p[0]},${p[1]}`)
            .join(','),
      );
    }
    rows.push(
      '99.png,' +
        pts(1)
          .map((p) => `${p[0]},${p[1]}`)
          .join(','),
    );
    inputs.push({ path: 'AB/landmarks.csv', blob: new Blob([rows.join('\n')]) });
    const index = await buildFileIndex(inputs);
    const plan = planImport(index);
    expect(plan.kind).toBe('aligned');
    const out = await runImport(index, plan, { name: 'ab' }, { storage, decode, datasetId: 'ds-ab' });
    expect(out.usable).toBe(6);
    const { cases } = await listCases(storage.datasets, 'ds-ab');
    const c5 = cases.find((c) => c.record.id === '5')!;
    expect(c5.record.split).toBe('val');
    expect(c5.record.xraySize).toEqual({ width: 40, height: 30 });
    expect(c5.images.aligned?.fileName).toBe('AB/val/5.png');
    expect(c5.record.landmarks).toEqual(pts(5));
    const csvLine = out.report.files.find((f) => f.code === 'landmark-csv')!;
    expect(csvLine.message).toContain('landmarks for 6 case(s); 1 row(s) name no imported case (99.png)');
    const ds = await getDataset(storage.datasets, 'ds-ab');
    expect(ds!.splitsFromFolders).toBe(true);
    expect(ds!.evalList.ids).toEqual(['5', '6']);
    expect(ds!.landmarkFormat).toBe('isbi-csv');
  });
});

describe('runImport with Aariz JSON', () => {
  it('takes the landmark set (symbols, names) from the files and flags a file with another count', async () => {
    const storage = await open();
    const { writeAarizJson } = await import('../../src/core/io/landmarks');
    const symbols = ['S', 'N', 'Me'];
    const names = ['Sella', 'Nasion', 'Menton'];
    const inputs: ImportInput[] = [];
    for (let k = 1; k <= 5; k++) {
      inputs.push({ path: `a/${k}_photo.png`, blob: new Blob([png(image(k))]) });
      inputs.push({ path: `a/${k}_xray.png`, blob: new Blob([png(image(k + 20, 64, 48, true))]) });
      const p = pts(k).slice(0, k === 5 ? 2 : 3);
      inputs.push({
        path: `a/${k}.json`,
        blob: new Blob([writeAarizJson(String(k), p, symbols.slice(0, p.length), names)]),
      });
    }
    const index = await buildFileIndex(inputs);
    const plan = planImport(index);
    expect(plan.kind).toBe('suffix');
    expect(plan.landmarkFormat).toBe('aariz-json');
    const out = await runImport(index, plan, { name: 'aariz' }, { storage, decode, datasetId: 'ds-aariz' });
    const ds = await getDataset(storage.datasets, 'ds-aariz');
    expect(ds!.landmarkSet).toEqual({ id: 'file-3', symbols, names });
    expect(ds!.landmarkFormat).toBe('aariz-json');
    const { cases } = await listCases(storage.datasets, 'ds-aariz');
    const byId = new Map(cases.map((c) => [c.record.id, c.record]));
    expect(byId.get('2')!.landmarks).toEqual(pts(2).slice(0, 3));
    expect(byId.get('5')!.landmarks).toBeNull();
    expect(byId.get('5')!.flags.map((f) => f.code)).toContain('landmark-count');
    expect(out.report.files.find((f) => f.path === 'a/5.json')!.code).toBe('landmark-count');
  });
});

describe('safeCaseIds', () => {
  it('keeps safe ids and makes others storage-safe and unique', () => {
    const m = safeCaseIds(['001', 'train/001', '张三', '李四', 'a b']);
    expect(m.get('001')).toBe('001');
    expect(m.get('train/001')).toMatch(/^train_001-[0-9a-z]{7}$/);
    expect(m.get('张三')).toMatch(/^_-[0-9a-z]{7}$/);
    expect(m.get('张三')).not.toBe(m.get('李四'));
    expect(new Set(m.values()).size).toBe(5);
    for (const v of m.values()) expect(v).toMatch(/^[A-Za-z0-9_.-]{1,128}$/);
  });
});

/** Cases `from`..`to` as a ZIP named `name` (photo/, xray/, ISBI landmarks), like a clinic's second batch. */
function zipInputs(name: string, from: number, to: number): ImportInput[] {
  const files: Record<string, Uint8Array> = {};
  for (let k = from; k <= to; k++) {
    const id = String(k).padStart(3, '0');
    files[`batch/photo/${id}.png`] = png(image(k));
    files[`batch/xray/${id}.png`] = png(image(k + 100, 64, 48, true));
    files[`batch/landmarks/${id}.txt`] = new TextEncoder().encode(writeIsbiText(pts(k)));
  }
  return [{ path: name, blob: new Blob([zipSync(files)]) }];
}

/** A dataset of cases 001-012 imported with seed 7, and its manifest and records before any add. */
async function baseDataset(storage: StudioStorage, id: string) {
  const index = await buildFileIndex(folderInputs(12));
  await runImport(
    index,
    planImport(index),
    { name: 'clinic', splitSeed: 7 },
    { storage, decode, datasetId: id },
  );
  const before = (await manifest(storage, id))!;
  const records = (await listCases(storage.datasets, id, { limit: 100 })).cases;
  return { before, records };
}

describe('runAddToDataset', () => {
  it('adds new cases, skips ids already stored (naming the files), keeps splits and the evaluation list', async () => {
    const storage = await open();
    const { before, records } = await baseDataset(storage, 'ds-add');
    expect(before.caseIds).toHaveLength(12);
    // cases 010-016 in a ZIP: 010, 011, 012 are already stored; 016 is a re-saved copy of stored 003
    const inputs = zipInputs('batch2.zip', 10, 15);
    const copyZip: Record<string, Uint8Array> = {
      'more/photo/016.png': png(image(3)),
      'more/xray/016.png': png(image(103, 64, 48, true)),
    };
    inputs.push({ path: 'more.zip', blob: new Blob([zipSync(copyZip)]) });
    const index = await buildFileIndex(inputs);
    const plan = planImport(index);
    expect(plan.cases.length).toBe(7);
    const dups = findDuplicateCases(plan, before.caseIds);
    expect(dups.map((d) => d.caseId)).toEqual(['010', '011', '012']);
    expect(dups[0].files).toEqual([
      'batch2.zip/batch/photo/010.png',
      'batch2.zip/batch/xray/010.png',
      'batch2.zip/batch/landmarks/010.txt',
    ]);

    const progress: ImportProgress[] = [];
    const out = await runAddToDataset(index, plan, 'ds-add', {
      storage,
      decode,
      batchSize: 2,
      onProgress: (p) => progress.push(p),
    });
    expect(out.cancelled).toBe(false);
    expect(out.storageFull).toBeNull();
    expect(out.stored).toBe(4);
    expect(out.usable).toBe(4);
    expect(out.added.duplicates.map((d) => d.caseId)).toEqual(['010', '011', '012']);
    expect(out.added.evalListVersion).toBe(1);
    expect(progress.filter((p) => p.phase === 'cases').at(-1)).toMatchObject({ done: 4, total: 4 });

    // the duplicates: every file named, skipped, with what to do; the stored case is untouched
    const dupLines = out.report.files.filter((f) => f.code === 'duplicate-case');
    expect(dupLines.map((f) => f.path)).toEqual([...dups[0].files, ...dups[1].files, ...dups[2].files]);
    expect(dupLines[0]).toMatchObject({ status: 'skipped', caseId: '010' });
    expect(dupLines[0].message).toBe(
      'batch2.zip/batch/photo/010.png: case "010" is already in this dataset, so this file was not added ' +
        '(a stored case is never overwritten). If it is another patient, rename the file (for example 010-2) and add it again.',
    );
    const after = (await manifest(storage, 'ds-add'))!;
    manifestOk(after);
    expect(after.caseIds).toEqual([...before.caseIds, '013', '014', '015', '016']);
    const { cases } = await listCases(storage.datasets, 'ds-add', { limit: 100 });
    const byId = new Map(cases.map((c) => [c.record.id, c]));
    for (const r of records) expect(byId.get(r.record.id)).toEqual(r); // no stored case changed at all
    const blob010 = await getCaseImage(storage.datasets, 'ds-add', '010', 'xray');
    expect(new Uint8Array(await blob010!.arrayBuffer())).toEqual(png(image(110, 64, 48, true)));

    // splits: the dataset's seeded rule with the existing cases fixed; the list is the same object
    const expected = splitsForAddedCases(
      records.map((c) => ({ id: c.record.id, split: c.record.split, paired: true })),
      ['013', '014', '015', '016'].map((id) => ({ id, paired: true })),
      { seed: 7, ratios: before.meta.splitRatios },
    );
    const counts: Record<CaseSplit, number> = { train: 0, val: 0, test: 0 };
    for (const id of ['013', '014', '015', '016']) {
      expect(byId.get(id)!.record.split).toBe(expected[id]);
      counts[expected[id]]++;
    }
    expect(out.added.splits).toEqual(counts);
    expect(after.meta.evalList).toEqual(before.meta.evalList);
    expect(after.meta.splitSeed).toBe(7);

    // audited like an import: landmarks read, sizes, and the copy of 003 flagged against the stored case
    expect(byId.get('014')!.record.landmarks).toEqual(pts(14));
    expect(byId.get('014')!.record.xraySize).toEqual({ width: 64, height: 48 });
    const dupFlag = byId.get('016')!.record.flags.find((f) => f.code === 'near-duplicate')!;
    expect(dupFlag.details).toEqual({ other: '003', images: ['X-ray', 'photo'], hashBits: [0, 0] });
    expect(dupFlag.message).toContain('Possibly the same case as the stored case "003"');
    expect(byId.get('003')!.record.flags.some((f) => f.code === 'near-duplicate')).toBe(false);
    const flaggedDup = cases.filter((c) => c.record.flags.some((f) => f.code === 'near-duplicate'));
    expect(flaggedDup.map((c) => c.record.id)).toEqual(['016']);
    expect(out.report.files.find((f) => f.path === 'batch2.zip/batch/photo/013.png')!.status).toBe(
      'imported',
    );
  });

  it('a cancel mid-add leaves the dataset exactly as it was: nothing listed, nothing left behind', async () => {
    const storage = await open();
    const { before } = await baseDataset(storage, 'ds-add-c');
    const keysBefore = await storage.datasets.keys('');
    const index = await buildFileIndex(zipInputs('b.zip', 20, 29));
    const plan = planImport(index);
    const ctl = new AbortController();
    const out = await runAddToDataset(index, plan, 'ds-add-c', {
      storage,
      decode,
      batchSize: 2,
      signal: ctl.signal,
      onProgress: (p) => {
        if (p.phase === 'cases' && p.done === 5) ctl.abort(); // 2 batches staged, 1 case pending
      },
    });
    expect(out.cancelled).toBe(true);
    expect(out.report.cancelled).toBe(true);
    expect(out.stored).toBe(0);
    expect(out.added.splits).toEqual({ train: 0, val: 0, test: 0 });
    expect(await manifest(storage, 'ds-add-c')).toEqual(before);
    expect(await storage.datasets.keys('')).toEqual(keysBefore);
    expect(out.dataset!.caseCount).toBe(12);
    // every planned file is reported as not added (read or not), none as imported
    const lines = out.report.files;
    expect(lines.filter((f) => f.status === 'imported')).toEqual([]);
    const notAdded = lines.filter((f) => f.code === 'add-cancelled');
    expect(notAdded).toHaveLength(30);
    expect(notAdded.find((f) => f.path === 'b.zip/batch/photo/020.png')!.message).toBe(
      'b.zip/batch/photo/020.png: not added: the add was cancelled, so nothing of it was kept and the dataset is as it was.',
    );
  });

  it('a full disk mid-add leaves the dataset exactly as it was and says so per file', async () => {
    const storage = await open();
    const { before } = await baseDataset(storage, 'ds-add-f');
    const keysBefore = await storage.datasets.keys('');
    let writes = 0;
    const full: Kv = {
      ...storage.datasets,
      async setMany(entries) {
        if (++writes > 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return storage.datasets.setMany(entries);
      },
    };
    const index = await buildFileIndex(zipInputs('b.zip', 20, 28));
    const out = await runAddToDataset(index, planImport(index), 'ds-add-f', {
      storage: { datasets: full },
      decode,
      batchSize: 2,
    });
    expect(out.storageFull?.name).toBe('StorageFullError');
    expect(out.cancelled).toBe(false);
    expect(out.stored).toBe(0);
    expect(await manifest(storage, 'ds-add-f')).toEqual(before);
    expect(await storage.datasets.keys('')).toEqual(keysBefore);
    const lines = out.report.files.filter((f) => f.code === 'add-storage-full');
    expect(lines).toHaveLength(27);
    expect(lines.every((f) => f.status === 'error')).toBe(true);
    expect(lines[0].message).toContain(
      "not added: the browser's storage is full, so nothing of this add was kept",
    );
  });

  it('an unexpected storage error mid-add is thrown after removing what was staged', async () => {
    const storage = await open();
    const { before } = await baseDataset(storage, 'ds-add-e');
    const keysBefore = await storage.datasets.keys('');
    let writes = 0;
    const broken: Kv = {
      ...storage.datasets,
      async setMany(entries) {
        if (++writes > 1) throw new Error('disk I/O error');
        return storage.datasets.setMany(entries);
      },
    };
    const index = await buildFileIndex(zipInputs('b.zip', 20, 25));
    await expect(
      runAddToDataset(index, planImport(index), 'ds-add-e', {
        storage: { datasets: broken },
        decode,
        batchSize: 2,
      }),
    ).rejects.toThrow('disk I/O error');
    expect(await manifest(storage, 'ds-add-e')).toEqual(before);
    expect(await storage.datasets.keys('')).toEqual(keysBefore);
  });

  it('refuses a dataset that does not exist', async () => {
    const storage = await open();
    const index = await buildFileIndex(zipInputs('b.zip', 1, 1));
    await expect(runAddToDataset(index, planImport(index), 'ds-none', { storage, decode })).rejects.toThrow(
      /does not exist/,
    );
  });
});
