import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDatasetMeta, type CaseRecord, type CaseSplit } from '../../src/core/data/dataset';
import { assignSplits, chooseEvalList } from '../../src/core/data/splits';
import { DEFAULT_PREPROCESS } from '../../src/core/data/preprocess';
import {
  addCases,
  beginCaseStaging,
  commitCaseStaging,
  createDataset,
  deleteDataset,
  discardCaseStaging,
  finishPendingDeletes,
  getCase,
  getCaseImage,
  getDataset,
  listCaseIds,
  listCases,
  listDatasets,
  renameDataset,
  repairDataset,
  resplitDataset,
  setCaseExclusion,
  stageCases,
  updateDatasetMeta,
  updateStagedCase,
  type DatasetManifest,
  type NewCase,
} from '../../src/store/datasets';
import { StorageFullError } from '../../src/store/errors';
import type { Kv } from '../../src/store/kv';
import { openStudioStorage, type StudioStorage } from '../../src/store/storage';
import {
  getCachedTensors,
  listTensorCache,
  openTensorCache,
  putCachedTensors,
} from '../../src/store/tensorCache';

afterEach(() => vi.unstubAllGlobals());

const open = () => openStudioStorage({ prefix: `t-${globalThis.crypto.randomUUID()}` });

function meta(id: string, name = id) {
  return createDatasetMeta({ id, name, layout: 'folders', evalList: chooseEvalList([], 42) });
}

function record(id: string): CaseRecord {
  return {
    id,
    split: 'train',
    source: { photoPath: `photo/${id}.jpg`, xrayPath: `xray/${id}.png` },
    photoSize: { width: 1520, height: 1236 },
    xraySize: { width: 1520, height: 1236 },
    landmarks: [
      [100.5, 200.25],
      [300, 400],
    ],
    flags: [],
    state: { excluded: false },
  };
}

/** A case whose photo is `n` bytes of value k and X-ray 2n bytes. */
function newCase(id: string, n = 10, k = 7): NewCase {
  return {
    record: record(id),
    images: {
      photo: {
        blob: new Blob([new Uint8Array(n).fill(k)], { type: 'image/jpeg' }),
        fileName: `photo/${id}.jpg`,
      },
      xray: {
        blob: new Blob([new Uint8Array(2 * n).fill(k + 1)], { type: 'image/png' }),
        fileName: `xray/${id}.png`,
      },
    },
  };
}

const ids = (n: number, p = 'c') => Array.from({ length: n }, (_, i) => `${p}${String(i).padStart(3, '0')}`);

/** Wraps a Kv so that the `failAt`-th write call (set or setMany, 1-based) throws QuotaExceededError. */
function quotaAfter(kv: Kv, failAt: number): Kv & { writes: number } {
  const w = {
    ...kv,
    writes: 0,
    async set(key: string, value: unknown) {
      if (++w.writes === failAt) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return kv.set(key, value);
    },
    async setMany(entries: ReadonlyArray<readonly [string, unknown]>) {
      if (++w.writes === failAt) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return kv.setMany(entries);
    },
  };
  return w;
}

/** Every listed case has its record and both images; caseCount and bytes match. */
async function expectConsistent(s: StudioStorage, dsId: string, n: number, bytesPerCase: number) {
  const m = (await s.datasets.get<DatasetManifest>(`manifest/${dsId}`))!;
  expect(m.caseIds).toHaveLength(n);
  expect(m.meta.caseCount).toBe(n);
  expect(m.bytesOnDisk).toBe(n * bytesPerCase);
  const { cases, total } = await listCases(s.datasets, dsId, { limit: 10_000 });
  expect(total).toBe(n);
  expect(cases.map((c) => c.record.id)).toEqual(m.caseIds);
  for (const id of m.caseIds) {
    expect(await getCaseImage(s.datasets, dsId, id, 'photo')).toBeInstanceOf(Blob);
    expect(await getCaseImage(s.datasets, dsId, id, 'xray')).toBeInstanceOf(Blob);
  }
  // nothing unlisted is stored
  expect(await s.datasets.keys(`case/${dsId}/`)).toHaveLength(n);
  expect(await s.datasets.keys(`img/${dsId}/`)).toHaveLength(2 * n);
}

describe('store datasets', () => {
  it('round-trips a dataset, its cases, images (Blob bytes, type, file name) and landmarks', async () => {
    const s = await open();
    const created = await createDataset(s.datasets, meta('dsA', 'Clinic 2024'));
    expect(created).toMatchObject({
      id: 'dsA',
      name: 'Clinic 2024',
      caseCount: 0,
      bytesOnDisk: 0,
      mmPerPx: 0.1,
    });
    const progress: number[] = [];
    const res = await addCases(s.datasets, 'dsA', [newCase('c1', 10, 7), newCase('c2', 5, 3)], {
      batchSize: 1,
      onProgress: (p) => progress.push(p.added),
    });
    expect(res).toEqual({ added: 2, cancelled: false });
    expect(progress).toEqual([1, 2]);
    const ds = await getDataset(s.datasets, 'dsA');
    expect(ds).toMatchObject({ caseCount: 2, bytesOnDisk: 30 + 15 });
    const c1 = await getCase(s.datasets, 'dsA', 'c1');
    expect(c1?.record).toEqual(record('c1'));
    expect(c1?.images.photo).toEqual({ fileName: 'photo/c1.jpg', mime: 'image/jpeg', bytes: 10 });
    expect(c1?.images.xray).toEqual({ fileName: 'xray/c1.png', mime: 'image/png', bytes: 20 });
    const xray = await getCaseImage(s.datasets, 'dsA', 'c2', 'xray');
    expect(xray?.type).toBe('image/png');
    expect([...new Uint8Array(await xray!.arrayBuffer())]).toEqual(new Array(10).fill(4));
    expect(await getCase(s.datasets, 'dsA', 'nope')).toBeUndefined();
  });

  it('pages cases in import order and lists several datasets side by side', async () => {
    const s = await open();
    await createDataset(s.datasets, meta('dsA'));
    await createDataset(s.datasets, meta('dsB'));
    await addCases(
      s.datasets,
      'dsA',
      ids(23).map((id) => newCase(id, 1)),
      { batchSize: 5 },
    );
    await addCases(
      s.datasets,
      'dsB',
      ids(3, 'b').map((id) => newCase(id, 1)),
    );
    const p2 = await listCases(s.datasets, 'dsA', { offset: 10, limit: 10 });
    expect(p2.total).toBe(23);
    expect(p2.cases.map((c) => c.record.id)).toEqual(ids(23).slice(10, 20));
    const p3 = await listCases(s.datasets, 'dsA', { offset: 20, limit: 10 });
    expect(p3.cases.map((c) => c.record.id)).toEqual(['c020', 'c021', 'c022']);
    const list = await listDatasets(s.datasets);
    expect(list.map((d) => [d.id, d.caseCount]).sort()).toEqual([
      ['dsA', 23],
      ['dsB', 3],
    ]);
  });

  it('refuses duplicate case ids before writing anything', async () => {
    const s = await open();
    await createDataset(s.datasets, meta('dsA'));
    await addCases(s.datasets, 'dsA', [newCase('c1')]);
    await expect(addCases(s.datasets, 'dsA', [newCase('c2'), newCase('c1')])).rejects.toThrow(
      /c1 is already in dataset dsA/,
    );
    await expect(addCases(s.datasets, 'dsA', [newCase('c3'), newCase('c3')])).rejects.toThrow(
      /appears twice/,
    );
    expect(await listCaseIds(s.datasets, 'dsA')).toEqual(['c1']);
    expect(await s.datasets.keys('case/dsA/')).toEqual(['case/dsA/c1']);
  });

  it('renames, edits meta (not caseCount) and excludes a case only with a reason', async () => {
    const s = await open();
    await createDataset(s.datasets, meta('dsA', 'old'));
    await addCases(s.datasets, 'dsA', [newCase('c1')]);
    expect((await renameDataset(s.datasets, 'dsA', '  New name ')).name).toBe('New name');
    await expect(renameDataset(s.datasets, 'dsA', '  ')).rejects.toThrow(/cannot be empty/);
    const edited = await updateDatasetMeta(s.datasets, 'dsA', {
      mmPerPx: 0.125,
      caseCount: 99,
    } as unknown as Parameters<typeof updateDatasetMeta>[2]);
    expect(edited.mmPerPx).toBe(0.125);
    expect(edited.caseCount).toBe(1);
    await expect(updateDatasetMeta(s.datasets, 'dsA', { mmPerPx: -1 })).rejects.toThrow(
      /positive number of mm per pixel/,
    );
    await expect(setCaseExclusion(s.datasets, 'dsA', 'c1', true)).rejects.toThrow(/needs a reason/);
    const rec = await setCaseExclusion(s.datasets, 'dsA', 'c1', true, 'motion blur');
    expect(rec.state).toMatchObject({ excluded: true, reason: 'motion blur' });
    expect((await getCase(s.datasets, 'dsA', 'c1'))?.record.state.excluded).toBe(true);
    expect((await setCaseExclusion(s.datasets, 'dsA', 'c1', false)).state.excluded).toBe(false);
  });

  it('deleting dataset A removes its cases, Blobs and cached tensors, and leaves B intact', async () => {
    const s = await open();
    for (const id of ['dsA', 'dsB']) {
      await createDataset(s.datasets, meta(id));
      await addCases(
        s.datasets,
        id,
        ids(4).map((c) => newCase(c, 3)),
        { batchSize: 3 },
      );
      const spec = { dtype: 'uint8' as const, preprocessing: { ...DEFAULT_PREPROCESS, size: 2 } };
      await openTensorCache(s.tensors, id, spec);
      await putCachedTensors(s.tensors, id, spec, [
        {
          caseId: 'c000',
          photo: { width: 2, height: 2, channels: 1, data: new Uint8Array([1, 2, 3, 4]) },
          xray: null,
        },
      ]);
    }
    expect(await deleteDataset(s, 'dsA')).toBe(true);
    expect(await getDataset(s.datasets, 'dsA')).toBeUndefined();
    expect((await listDatasets(s.datasets)).map((d) => d.id)).toEqual(['dsB']);
    expect(await s.datasets.keys('case/dsA/')).toEqual([]);
    expect(await s.datasets.keys('img/dsA/')).toEqual([]);
    expect(await s.datasets.keys('manifest/dsA')).toEqual([]);
    expect(await s.tensors.keys('t/dsA/')).toEqual([]);
    expect(await listTensorCache(s.tensors, 'dsA')).toEqual([]);
    await expectConsistent(s, 'dsB', 4, 9);
    const spec = { dtype: 'uint8' as const, preprocessing: { ...DEFAULT_PREPROCESS, size: 2 } };
    const [t] = await getCachedTensors(s.tensors, 'dsB', spec, ['c000']);
    expect([...t!.photo!.data]).toEqual([1, 2, 3, 4]);
    expect(await deleteDataset(s, 'dsA')).toBe(false);
  });

  it('finishes a delete interrupted after the manifest was marked', async () => {
    const s = await open();
    await createDataset(s.datasets, meta('dsA'));
    await addCases(s.datasets, 'dsA', [newCase('c1')]);
    await s.datasets.update<DatasetManifest>('manifest/dsA', (m) => ({ ...m!, state: 'deleting' }));
    expect(await listDatasets(s.datasets)).toEqual([]);
    await expect(addCases(s.datasets, 'dsA', [newCase('c2')])).rejects.toThrow(/does not exist/);
    expect(await finishPendingDeletes(s)).toEqual(['dsA']);
    expect(await s.datasets.keys('')).toEqual(['__meta__']);
  });

  it('a full disk part-way stops the import with StorageFullError and leaves the dataset consistent', async () => {
    vi.stubGlobal('navigator', {
      storage: { estimate: async () => ({ usage: 5_000_000_000, quota: 5_003_000_000 }) },
    });
    const s = await open();
    await createDataset(s.datasets, meta('dsA'));
    await addCases(
      s.datasets,
      'dsA',
      ids(2, 'old').map((c) => newCase(c, 4)),
    );
    const faulty = quotaAfter(s.datasets, 3); // batches 1 and 2 commit, batch 3 hits the quota
    const err = await addCases(
      faulty,
      'dsA',
      ids(10).map((c) => newCase(c, 4)),
      { batchSize: 3 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).message).toMatch(
      /^The browser's storage for this site is full: 5,000 MB used of 5,003 MB \(3 MB free\)\. .*; then import again\.$/,
    );
    await expectConsistent(s, 'dsA', 2 + 6, 12);
    expect(await listCaseIds(s.datasets, 'dsA')).toEqual([...ids(2, 'old'), ...ids(6)]);
    // the remaining cases import once space is free
    await addCases(
      s.datasets,
      'dsA',
      ids(10)
        .slice(6)
        .map((c) => newCase(c, 4)),
    );
    await expectConsistent(s, 'dsA', 12, 12);
  });

  it('a quota error on the manifest update (after the batch was written) leaves no unlisted case', async () => {
    const s = await open();
    await createDataset(s.datasets, meta('dsA'));
    const kv: Kv = {
      ...s.datasets,
      update: async () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    };
    await expect(addCases(kv, 'dsA', [newCase('c1')])).rejects.toBeInstanceOf(StorageFullError);
    await expectConsistent(s, 'dsA', 0, 0);
  });

  it('cancel keeps the committed batches; repair removes cases a crash left unlisted', async () => {
    const s = await open();
    await createDataset(s.datasets, meta('dsA'));
    const ctl = new AbortController();
    const res = await addCases(
      s.datasets,
      'dsA',
      ids(9).map((c) => newCase(c, 2)),
      {
        batchSize: 2,
        signal: ctl.signal,
        onProgress: (p) => {
          if (p.added === 4) ctl.abort();
        },
      },
    );
    expect(res).toEqual({ added: 4, cancelled: true });
    await expectConsistent(s, 'dsA', 4, 6);
    // a crash between a batch's write and its manifest update: records exist, manifest does not list them
    await s.datasets.setMany([
      ['case/dsA/ghost', { datasetId: 'dsA', record: record('ghost'), images: {} }],
      ['img/dsA/ghost/photo', new Blob([new Uint8Array(3)])],
    ]);
    expect(await getCase(s.datasets, 'dsA', 'ghost')).toBeUndefined();
    expect((await listCases(s.datasets, 'dsA')).total).toBe(4);
    expect(await repairDataset(s.datasets, 'dsA')).toBe(1);
    await expectConsistent(s, 'dsA', 4, 6);
  });
});

describe('adding to an existing dataset (staging, all or nothing)', () => {
  async function withCases(s: StudioStorage, dsId: string, n: number): Promise<DatasetManifest> {
    await createDataset(s.datasets, meta(dsId));
    await addCases(
      s.datasets,
      dsId,
      ids(n, 'old').map((c) => newCase(c, 4)),
    );
    return (await s.datasets.get<DatasetManifest>(`manifest/${dsId}`))!;
  }

  it('lists every staged case in one manifest update; before that the dataset reads as it was', async () => {
    const s = await open();
    const before = await withCases(s, 'dsA', 3);
    const st = await beginCaseStaging(s.datasets, 'dsA');
    await stageCases(
      s.datasets,
      st,
      ids(2, 'new').map((c) => newCase(c, 5)),
    );
    await stageCases(s.datasets, st, [newCase('new002', 5)]);
    await updateStagedCase(s.datasets, st, 'new001', (r) => ({ ...r, split: 'val' }));
    // staged, not listed: the manifest is byte-for-byte the one before
    expect(await s.datasets.get<DatasetManifest>('manifest/dsA')).toEqual(before);
    expect(await listCaseIds(s.datasets, 'dsA')).toEqual(ids(3, 'old'));
    expect(await getCase(s.datasets, 'dsA', 'new000')).toBeUndefined();
    const ds = await commitCaseStaging(s.datasets, st);
    expect(ds.caseCount).toBe(6);
    expect(ds.bytesOnDisk).toBe(3 * 12 + 3 * 15);
    expect(await listCaseIds(s.datasets, 'dsA')).toEqual([...ids(3, 'old'), 'new000', 'new001', 'new002']);
    expect((await getCase(s.datasets, 'dsA', 'new001'))!.record.split).toBe('val');
    const m = (await s.datasets.get<DatasetManifest>('manifest/dsA'))!;
    expect(m.meta.evalList).toEqual(before.meta.evalList);
    expect(m.meta.caseCount).toBe(m.caseIds.length);
    expect(await s.datasets.keys('case/dsA/')).toHaveLength(6);
  });

  it('never overwrites a stored case: a listed id is refused before anything is written', async () => {
    const s = await open();
    const before = await withCases(s, 'dsA', 2);
    const oldRecord = (await getCase(s.datasets, 'dsA', 'old000'))!;
    const st = await beginCaseStaging(s.datasets, 'dsA');
    await expect(stageCases(s.datasets, st, [newCase('x1'), newCase('old000', 99, 1)])).rejects.toThrow(
      /old000 is already in dataset dsA; a stored case is never overwritten/,
    );
    await stageCases(s.datasets, st, [newCase('x1')]);
    await expect(stageCases(s.datasets, st, [newCase('x1')])).rejects.toThrow(/appears twice/);
    expect(await getCase(s.datasets, 'dsA', 'old000')).toEqual(oldRecord);
    const blob = await getCaseImage(s.datasets, 'dsA', 'old000', 'photo');
    expect(blob!.size).toBe(4);
    await discardCaseStaging(s.datasets, st);
    expect(await s.datasets.get<DatasetManifest>('manifest/dsA')).toEqual(before);
    await expectConsistent(s, 'dsA', 2, 12);
  });

  it('a full disk while staging or committing leaves the dataset exactly as before the add', async () => {
    const s = await open();
    const before = await withCases(s, 'dsA', 2);
    // staging: batch 1 written, batch 2 hits the quota
    const faulty = quotaAfter(s.datasets, 2);
    const st = await beginCaseStaging(faulty, 'dsA');
    await stageCases(faulty, st, [newCase('a1'), newCase('a2')]);
    const err = await stageCases(faulty, st, [newCase('a3')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).message).toContain('then add the files again');
    await discardCaseStaging(faulty, st);
    expect(await s.datasets.get<DatasetManifest>('manifest/dsA')).toEqual(before);
    await expectConsistent(s, 'dsA', 2, 12);
    // committing: the one manifest update fails
    const noUpdate: Kv = {
      ...s.datasets,
      update: async () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    };
    const st2 = await beginCaseStaging(noUpdate, 'dsA');
    await stageCases(noUpdate, st2, [newCase('b1'), newCase('b2')]);
    await expect(commitCaseStaging(noUpdate, st2)).rejects.toBeInstanceOf(StorageFullError);
    await discardCaseStaging(noUpdate, st2);
    expect(await s.datasets.get<DatasetManifest>('manifest/dsA')).toEqual(before);
    await expectConsistent(s, 'dsA', 2, 12);
  });

  it('repair removes what a crashed add staged, and nothing listed', async () => {
    const s = await open();
    await withCases(s, 'dsA', 2);
    const st = await beginCaseStaging(s.datasets, 'dsA');
    await stageCases(s.datasets, st, [newCase('crash1'), newCase('crash2')]);
    // the tab closes here: no commit, no discard
    expect(await repairDataset(s.datasets, 'dsA')).toBe(2);
    await expectConsistent(s, 'dsA', 2, 12);
  });
});

describe('re-splitting a stored dataset', () => {
  /** 40 complete cases split by the import rule with seed 42, the evaluation list chosen from val. */
  async function seeded(s: StudioStorage, dsId: string, order: string[]): Promise<DatasetManifest> {
    const all = ids(40);
    const splits = assignSplits(all, { seed: 42 });
    const val = all.filter((id) => splits[id] === 'val');
    await createDataset(s.datasets, {
      ...meta(dsId),
      evalList: chooseEvalList(val, 42, 20, new Date('2026-01-01T00:00:00Z')),
    });
    await addCases(
      s.datasets,
      dsId,
      order.map((id) => ({ ...newCase(id, 2), record: { ...record(id), split: splits[id] } })),
    );
    return (await s.datasets.get<DatasetManifest>(`manifest/${dsId}`))!;
  }

  const splitsOf = async (s: StudioStorage, dsId: string): Promise<Record<string, CaseSplit>> =>
    Object.fromEntries(
      (await listCases(s.datasets, dsId, { limit: 1000 })).cases.map((c) => [c.record.id, c.record.split]),
    );

  it('re-deals every case deterministically, updates seed and ratios, and names list cases that left', async () => {
    const s = await open();
    const before = await seeded(s, 'dsA', ids(40));
    await seeded(s, 'dsB', [...ids(40)].reverse()); // same ids, other import order
    const oldSplits = await splitsOf(s, 'dsA');
    const now = new Date('2026-03-02T10:00:00Z');
    const ratios = { train: 0.7, val: 0.15, test: 0.15 };
    const a = await resplitDataset(s.datasets, 'dsA', { seed: 3, ratios, now });
    const b = await resplitDataset(s.datasets, 'dsB', { seed: 3, ratios, now });
    const newA = await splitsOf(s, 'dsA');
    expect(await splitsOf(s, 'dsB')).toEqual(newA); // deterministic given (seed, ratios, ids)
    expect(a.moved).toEqual(b.moved);
    const counts: Record<CaseSplit, number> = { train: 0, val: 0, test: 0 };
    for (const v of Object.values(newA)) counts[v]++;
    expect(counts).toEqual({ train: 28, val: 6, test: 6 });
    expect(a.moved).toEqual(ids(40).filter((id) => newA[id] !== oldSplits[id]));
    expect(a.dataset).toMatchObject({
      splitSeed: 3,
      splitRatios: ratios,
      splitsFromFolders: false,
      caseCount: 40,
    });
    // the list: val/test cases kept, train cases named and removed in one recorded version
    const list = before.meta.evalList;
    expect(a.evalLeft).toEqual(list.ids.filter((id) => newA[id] === 'train'));
    expect(a.evalInTest).toEqual(list.ids.filter((id) => newA[id] === 'test'));
    const stored = (await getDataset(s.datasets, 'dsA'))!.evalList;
    expect(stored.ids).toEqual(list.ids.filter((id) => newA[id] !== 'train'));
    expect(stored).toEqual(a.evalList);
    // the reference values for this seed: the list c007 c012 c016 c022 (val at seed 42) goes val, train, train, val
    expect(list.ids).toEqual(['c007', 'c012', 'c016', 'c022']);
    expect(a.evalLeft).toEqual(['c012', 'c016']);
    expect(stored.ids).toEqual(['c007', 'c022']);
    expect(stored.version).toBe(2);
    expect(stored.history.at(-1)).toEqual({
      at: '2026-03-02T10:00:00.000Z',
      action: 'resplit',
      removedIds: ['c012', 'c016'],
      seed: 3,
      ratios,
    });
    // nothing but splits changed in the records
    const c = (await getCase(s.datasets, 'dsA', 'c000'))!;
    expect({ ...c.record, split: 'train' }).toEqual(record('c000'));
  });

  it('back to the import seed and ratios: the import split again, the list kept as it is', async () => {
    const s = await open();
    await seeded(s, 'dsA', ids(40));
    const importSplits = await splitsOf(s, 'dsA');
    await resplitDataset(s.datasets, 'dsA', { seed: 9, ratios: { train: 0.5, val: 0.25, test: 0.25 } });
    const r = await resplitDataset(s.datasets, 'dsA', {
      seed: 42,
      ratios: { train: 0.8, val: 0.1, test: 0.1 },
    });
    expect(await splitsOf(s, 'dsA')).toEqual(importSplits);
    expect(r.evalLeft).toEqual([]);
  });

  it('a full disk leaves splits, seed and list as they were (one transaction)', async () => {
    const s = await open();
    const before = await seeded(s, 'dsA', ids(40));
    const oldSplits = await splitsOf(s, 'dsA');
    const faulty = quotaAfter(s.datasets, 1);
    await expect(
      resplitDataset(faulty, 'dsA', { seed: 5, ratios: { train: 0.6, val: 0.2, test: 0.2 } }),
    ).rejects.toBeInstanceOf(StorageFullError);
    expect(await s.datasets.get<DatasetManifest>('manifest/dsA')).toEqual(before);
    expect(await splitsOf(s, 'dsA')).toEqual(oldSplits);
  });
});
