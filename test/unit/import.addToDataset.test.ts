/**
 * engine/import/addToDataset.ts in Node: adding files to a stored dataset, all or nothing (staged
 * cases listed in one manifest update), duplicates of stored cases, splits of the added cases.
 */
import 'fake-indexeddb/auto';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { CaseSplit } from '../../src/core/data/dataset';
import { splitsForAddedCases } from '../../src/core/data/splits';
import { buildFileIndex } from '../../src/engine/import/fileIndex';
import { planImport } from '../../src/engine/import/importDataset';
import { findDuplicateCases, runAddToDataset } from '../../src/engine/import/addToDataset';
import type { ImportProgress } from '../../src/engine/import/readCases';
import { getCaseImage, listCases } from '../../src/store/datasets';
import type { Kv } from '../../src/store/kv';
import {
  baseDataset,
  decode,
  image,
  manifest,
  manifestOk,
  open,
  png,
  pts,
  zipInputs,
} from './import-fixtures';
import { messageText } from '../../src/core/messages';
import { auditFlagMessage } from '../../src/core/messages/audit';

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
    expect(messageText(auditFlagMessage(dupFlag), 'en')).toContain(
      'Possibly the same case as the stored case "003"',
    );
    expect(messageText(auditFlagMessage(dupFlag), 'zh')).toContain('可能与已保存的病例 "003" 是同一病例');
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
