/**
 * engine/import/importDataset.ts in Node (fast-png decoder, fake-indexeddb): a folder with good cases
 * and every kind of bad input, a cancel part-way, and a full disk part-way. Asserts what is stored,
 * that the dataset stays consistent, and what the report says per file; Aariz JSON landmarks.
 */
import 'fake-indexeddb/auto';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { importReportToCsv, importReportToMarkdown } from '../../src/core/data/dataset';
import { writeIsbiText } from '../../src/core/io/landmarks';
import { buildFileIndex, type ImportInput } from '../../src/engine/import/fileIndex';
import { planImport, runImport } from '../../src/engine/import/importDataset';
import type { ImportProgress } from '../../src/engine/import/readCases';
import { getCaseImage, getDataset, listCaseIds, listCases } from '../../src/store/datasets';
import type { Kv } from '../../src/store/kv';
import {
  decode,
  folderInputs,
  hugePngHeader,
  image,
  manifest,
  manifestOk,
  open,
  png,
  pts,
} from './import-fixtures';

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
