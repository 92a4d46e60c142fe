import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { DEFAULT_PREPROCESS } from '../../src/core/data/preprocess';
import { listCheckpoints, saveCheckpoint } from '../../src/store/checkpoints';
import type { Kv } from '../../src/store/kv';
import {
  HISTORY_CHUNK,
  appendHistory,
  createRun,
  deleteRun,
  getRun,
  heartbeat,
  listRuns,
  markInterruptedRuns,
  readHistory,
  setRunStatus,
  truncateHistoryAfterStep,
  updateRun,
  type MetricPoint,
  type NewRun,
} from '../../src/store/runs';
import { openStudioStorage } from '../../src/store/storage';

const open = () => openStudioStorage({ prefix: `t-${globalThis.crypto.randomUUID()}` });

const newRun = (id: string, datasetId = 'dsA'): NewRun => ({
  id,
  name: `run ${id}`,
  datasetId,
  config: { ...DEFAULT_CONFIG },
  preprocessing: { ...DEFAULT_PREPROCESS },
  backend: 'webgpu',
  adapter: 'swiftshader',
});

const pts = (from: number, n: number): MetricPoint[] =>
  Array.from({ length: n }, (_, i) => ({
    step: (from + i) * 10,
    epoch: 1,
    timeMs: 1000 + from + i,
    values: { G_L1: from + i, D_real: i % 2 === 0 ? 0.5 : null },
  }));

describe('store runs', () => {
  it('creates, updates, lists newest first (per dataset) and keeps status transitions', async () => {
    const s = await open();
    await createRun(s.runs, newRun('run001'), 1000);
    await createRun(s.runs, newRun('run002', 'dsB'), 2000);
    await createRun(s.runs, newRun('run003'), 3000);
    await expect(createRun(s.runs, newRun('run001'))).rejects.toThrow(/already exists/);
    const r = await updateRun(
      s.runs,
      'run001',
      { step: 40, durationMs: 12_345, best: { metric: 'val_l1_01', value: 0.08, step: 40, epoch: 1 } },
      5000,
    );
    expect(r).toMatchObject({
      step: 40,
      durationMs: 12_345,
      updatedAt: 5000,
      status: 'running',
      startedAt: 1000,
    });
    expect((await setRunStatus(s.runs, 'run001', 'failed', 'GPU device lost')).error).toBe('GPU device lost');
    const all = await listRuns(s.runs);
    expect(all.total).toBe(3);
    expect(all.runs.map((x) => x.id)).toEqual(['run003', 'run002', 'run001']);
    const page = await listRuns(s.runs, { offset: 1, limit: 1 });
    expect(page.runs.map((x) => x.id)).toEqual(['run002']);
    const ofA = await listRuns(s.runs, { datasetId: 'dsA' });
    expect(ofA).toMatchObject({ total: 2 });
    expect(ofA.runs.map((x) => x.id)).toEqual(['run003', 'run001']);
  });

  it('marks live runs with a stale heartbeat as interrupted, and only those', async () => {
    const s = await open();
    const t0 = 1_000_000;
    for (const id of ['live', 'stale', 'pausedstale', 'done', 'failedold'])
      await createRun(s.runs, newRun(id), t0);
    await heartbeat(s.runs, 'live', { step: 120, durationMs: 60_000 }, t0 + 55_000);
    await setRunStatus(s.runs, 'pausedstale', 'paused', null, t0);
    await setRunStatus(s.runs, 'done', 'finished', null, t0);
    await setRunStatus(s.runs, 'failedold', 'failed', 'x', t0);
    const changed = await markInterruptedRuns(s.runs, { staleMs: 30_000, nowMs: t0 + 60_000 });
    expect(changed.sort()).toEqual(['pausedstale', 'stale']);
    const stale = await getRun(s.runs, 'stale');
    expect(stale?.status).toBe('interrupted');
    expect(stale?.error).toMatch(/no sign of life for 60 s/);
    expect((await getRun(s.runs, 'live'))?.status).toBe('running');
    expect((await getRun(s.runs, 'live'))?.step).toBe(120);
    expect((await getRun(s.runs, 'done'))?.status).toBe('finished');
    expect((await getRun(s.runs, 'failedold'))?.status).toBe('failed');
    expect(await markInterruptedRuns(s.runs, { staleMs: 30_000, nowMs: t0 + 60_000 })).toEqual([]);
  });

  it('appends history in 500-point chunks and reads any range back', async () => {
    const s = await open();
    await createRun(s.runs, newRun('r1'));
    // 1234 points in uneven appends, some concurrent (serialised by the store)
    await appendHistory(s.runs, 'r1', 'train', pts(0, 7));
    await Promise.all([
      appendHistory(s.runs, 'r1', 'train', pts(7, 600)),
      appendHistory(s.runs, 'r1', 'train', pts(607, 627)),
    ]);
    await appendHistory(s.runs, 'r1', 'val', pts(0, 3));
    expect(HISTORY_CHUNK).toBe(500);
    expect(await s.runs.keys('hist/r1/train/')).toEqual([
      'hist/r1/train/000000',
      'hist/r1/train/000001',
      'hist/r1/train/000002',
    ]);
    expect((await s.runs.get<MetricPoint[]>('hist/r1/train/000002'))?.length).toBe(234);
    const all = await readHistory(s.runs, 'r1', 'train');
    expect(all).toHaveLength(1234);
    expect(all.map((p) => p.values.G_L1)).toEqual(Array.from({ length: 1234 }, (_, i) => i));
    expect(all[3].values.D_real).toBeNull();
    const mid = await readHistory(s.runs, 'r1', 'train', { from: 495, to: 1003 });
    expect(mid.map((p) => p.values.G_L1)).toEqual(Array.from({ length: 508 }, (_, i) => 495 + i));
    expect((await readHistory(s.runs, 'r1', 'val')).map((p) => p.step)).toEqual([0, 10, 20]);
    expect((await getRun(s.runs, 'r1'))?.historyCounts).toEqual({ train: 1234, val: 3 });
  });

  it('a crash between chunk write and count update leaves no visible extra point; the next append overwrites it', async () => {
    const s = await open();
    await createRun(s.runs, newRun('r1'));
    await appendHistory(s.runs, 'r1', 'train', pts(0, 498));
    // run-record update fails after the chunk was written
    let failRunUpdate = true;
    const crashy: Kv = {
      ...s.runs,
      update: async <T>(key: string, fn: (old: T | undefined) => T) => {
        if (key === 'run/r1' && failRunUpdate) {
          failRunUpdate = false;
          throw new Error('tab closed');
        }
        return s.runs.update<T>(key, fn);
      },
    };
    await expect(appendHistory(crashy, 'r1', 'train', pts(1000, 5))).rejects.toThrow('tab closed');
    expect(await readHistory(s.runs, 'r1', 'train')).toHaveLength(498);
    await appendHistory(s.runs, 'r1', 'train', pts(498, 4));
    const all = await readHistory(s.runs, 'r1', 'train');
    expect(all.map((p) => p.values.G_L1)).toEqual(Array.from({ length: 502 }, (_, i) => i));
  });

  it('truncates history after the resumed checkpoint step (across a chunk boundary)', async () => {
    const s = await open();
    await createRun(s.runs, newRun('r1'));
    await appendHistory(s.runs, 'r1', 'train', pts(0, 620)); // steps 0, 10, ..., 6190
    expect(await truncateHistoryAfterStep(s.runs, 'r1', 'train', 4995)).toBe(500); // keeps steps <= 4990
    const h = await readHistory(s.runs, 'r1', 'train');
    expect(h[h.length - 1].step).toBe(4990);
    await appendHistory(s.runs, 'r1', 'train', pts(500, 2));
    expect((await readHistory(s.runs, 'r1', 'train')).map((p) => p.step).slice(-3)).toEqual([
      4990, 5000, 5010,
    ]);
    expect(await truncateHistoryAfterStep(s.runs, 'r1', 'train', -1)).toBe(0);
  });

  it('deleting a run removes its record, history and checkpoints, not other runs', async () => {
    const s = await open();
    for (const id of ['r1', 'r2']) {
      await createRun(s.runs, newRun(id));
      await appendHistory(s.runs, id, 'train', pts(0, 3));
      const info = { epoch: 1, step: 3, metrics: {}, configSummary: {} };
      await saveCheckpoint(s.checkpoints, id, 'last', new Map([['a.bin', new Uint8Array([1, 2, 3])]]), info);
    }
    await deleteRun(s, 'r1');
    expect(await getRun(s.runs, 'r1')).toBeUndefined();
    expect(await s.runs.keys('hist/r1/')).toEqual([]);
    expect(await listCheckpoints(s.checkpoints, 'r1')).toEqual([]);
    expect(await s.checkpoints.keys('ver/r1/')).toEqual([]);
    expect(await readHistory(s.runs, 'r2', 'train')).toHaveLength(3);
    expect(await listCheckpoints(s.checkpoints, 'r2')).toHaveLength(1);
  });

  it('deleting a run cut short at any write leaves a readable run naming no lost checkpoint; a retry finishes', async () => {
    type S = Awaited<ReturnType<typeof open>>;
    const setup = async (): Promise<S> => {
      const s = await open();
      await createRun(s.runs, newRun('r1'));
      await appendHistory(s.runs, 'r1', 'train', pts(0, 3));
      const info = { epoch: 1, step: 3, metrics: {}, configSummary: {} };
      for (const n of ['last', 'best'])
        await saveCheckpoint(s.checkpoints, 'r1', n, new Map([['a.bin', new Uint8Array([1, 2, 3])]]), info);
      await updateRun(s.runs, 'r1', { checkpointNames: ['last', 'best'] });
      return s;
    };
    const fail = () => Promise.reject(new Error('tab closed'));
    const cuts: ((s: S) => S)[] = [
      // the checkpoints' delete fails (after the run forgot them)
      (s) => ({ ...s, checkpoints: { ...s.checkpoints, delMany: fail } }),
      // the history's delete fails (checkpoints gone)
      (s) => ({ ...s, runs: { ...s.runs, delMany: fail } }),
      // the record's delete fails (everything else gone)
      (s) => ({ ...s, runs: { ...s.runs, del: fail } }),
    ];
    for (const cut of cuts) {
      const s = await setup();
      await expect(deleteRun(cut(s), 'r1')).rejects.toThrow('tab closed');
      const run = await getRun(s.runs, 'r1');
      expect(run).toBeDefined();
      const stored = new Set((await listCheckpoints(s.checkpoints, 'r1')).map((c) => c.name));
      for (const n of run!.checkpointNames) expect(stored.has(n)).toBe(true);
      expect(run!.checkpointNames).toEqual([]);
      // the history reads (empty) instead of failing on a deleted chunk
      expect(await readHistory(s.runs, 'r1', 'train')).toEqual([]);
      expect((await listRuns(s.runs)).runs.map((r) => r.id)).toEqual(['r1']);
      await deleteRun(s, 'r1');
      expect(await getRun(s.runs, 'r1')).toBeUndefined();
      expect(await s.runs.keys('hist/r1/')).toEqual([]);
      expect(await s.checkpoints.keys('')).toEqual(
        expect.not.arrayContaining([expect.stringContaining('r1/')]),
      );
    }
    // a run whose record is already gone: its leftovers are removed
    const s = await setup();
    await s.runs.del('run/r1');
    await deleteRun(s, 'r1');
    expect(await s.runs.keys('hist/r1/')).toEqual([]);
    expect(await listCheckpoints(s.checkpoints, 'r1')).toEqual([]);
  });
});
