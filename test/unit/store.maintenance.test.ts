import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { createDatasetMeta } from '../../src/core/data/dataset';
import { DEFAULT_PREPROCESS } from '../../src/core/data/preprocess';
import { chooseEvalList } from '../../src/core/data/splits';
import * as store from '../../src/store';

describe('store startup maintenance', () => {
  it('finishes interrupted deletes, marks dead runs interrupted, removes old checkpoint garbage', async () => {
    const s = await store.openStudioStorage({ prefix: `t-${globalThis.crypto.randomUUID()}` });
    const now = 1_900_000_000_000;
    for (const id of ['dsA', 'dsB']) {
      await store.createDataset(
        s.datasets,
        createDatasetMeta({ id, name: id, layout: 'folders', evalList: chooseEvalList([], 1) }),
      );
    }
    await s.datasets.update<store.DatasetManifest>('manifest/dsA', (m) => ({ ...m!, state: 'deleting' }));
    const run = {
      datasetId: 'dsB',
      config: DEFAULT_CONFIG,
      preprocessing: DEFAULT_PREPROCESS,
      backend: 'wasm',
      adapter: null,
    };
    await store.createRun(s.runs, { ...run, id: 'dead', name: 'dead' }, now - 120_000);
    await store.createRun(s.runs, { ...run, id: 'alive', name: 'alive' }, now - 1_000);
    await s.checkpoints.set(
      `ver/dead/${store.newId('v', now - 7_200_000)}/G.safetensors/00000`,
      new Blob(['x']),
    );
    const report = await store.startupMaintenance(s, { nowMs: now });
    expect(report).toEqual({
      finishedDeletes: ['dsA'],
      interruptedRuns: ['dead'],
      removedCheckpointVersions: 1,
    });
    expect((await store.listDatasets(s.datasets)).map((d) => d.id)).toEqual(['dsB']);
    expect((await store.getRun(s.runs, 'alive'))?.status).toBe('running');
    expect(await s.checkpoints.keys('ver/')).toEqual([]);
  });

  it('a full disk during a heartbeat is a StorageFullError naming what to do', async () => {
    const s = await store.openStudioStorage({ prefix: `t-${globalThis.crypto.randomUUID()}` });
    const run = {
      datasetId: 'dsB',
      config: DEFAULT_CONFIG,
      preprocessing: DEFAULT_PREPROCESS,
      backend: 'wasm',
      adapter: null,
    };
    await store.createRun(s.runs, { ...run, id: 'r1', name: 'r1' });
    const full: store.Kv = {
      ...s.runs,
      update: async () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    };
    const err = await store.heartbeat(full, 'r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(store.StorageFullError);
    expect((err as Error).message).toMatch(
      /deleting what you no longer need: old runs .*; then resume the run\.$/,
    );
  });
});
