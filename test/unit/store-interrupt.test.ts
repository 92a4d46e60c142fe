/**
 * Interrupted writes (issue 17, item 3) in Node: every store write path is cut at EVERY point a
 * killed tab could stop it — after 0, 1, 2, … committed IndexedDB transactions — and what the
 * studio then reads back must be either the complete old record or the complete new one, never a
 * mix (checkpoints: parts + pointer; detectors: weights + record; tracings: tracing + ground truth;
 * datasets: cases + images + manifest, also an all-or-nothing add). The cut is a crash, not an
 * error: from the cut on every call throws and no cleanup runs (like SIGKILL). After the cut the
 * garbage collectors / repair remove what the kill left, and the survivor still loads.
 *
 * Two tabs: `setCaseLandmarks` in one tab while another tab adds cases to the same dataset in
 * between its read and its write; the other tab's cases stay listed (one readwrite transaction).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { createDatasetMeta, landmarkSetInfo, type CaseRecord } from '../../src/core/data/dataset';
import { ISBI_SET } from '../../src/core/data/landmarkSet';
import { chooseEvalList } from '../../src/core/data/splits';
import type { DetectorMeta } from '../../src/core/detector/checkpoint';
import type { Point } from '../../src/core/image';
import type { StateDict } from '../../src/core/model/types';
import { encodeTrainerState, loadTrainerState, type TrainerState } from '../../src/core/train/checkpoint';
import {
  collectCheckpointGarbage,
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
} from '../../src/store/checkpoints';
import {
  addCases,
  beginCaseStaging,
  commitCaseStaging,
  createDataset,
  getCaseImage,
  getCases,
  getDataset,
  listCaseIds,
  repairDataset,
  setCaseLandmarks,
  stageCases,
  type NewCase,
} from '../../src/store/datasets';
import {
  collectDetectorGarbage,
  getDetector,
  loadDetectorCheckpoint,
  putDetectorRecord,
  saveDetectorCheckpoint,
  type DetectorRecord,
} from '../../src/store/detectors';
import { idbKv, keysUnder, type Kv } from '../../src/store/kv';
import { openStudioStorage, type StudioStorage } from '../../src/store/storage';
import { getTracing, saveTracing, type TracingTarget } from '../../src/store/tracings';
import { createRun, getRun } from '../../src/store/runs';
import { DEFAULT_PREPROCESS } from '../../src/core/data/preprocess';
import { holdRunLock, markOrphanedRuns } from '../../src/engine/runLocks';

const open = () => openStudioStorage({ prefix: `kill-${globalThis.crypto.randomUUID()}` });

class Killed extends Error {
  constructor() {
    super('the tab was killed here');
  }
}

/**
 * A Kv that dies after `writes` committed write transactions: the next write and every call after
 * it (reads, the caller's cleanup) throw Killed, and nothing more reaches the database.
 */
function killedAfter(kv: Kv, writes: number): { kv: Kv; writes: () => number; killed: () => boolean } {
  let n = 0;
  let dead = false;
  const guard = () => {
    if (dead) throw new Killed();
  };
  const write =
    <A extends unknown[]>(f: (...a: A) => Promise<void>) =>
    async (...a: A) => {
      guard();
      if (n >= writes) {
        dead = true;
        throw new Killed();
      }
      n++;
      await f(...a);
    };
  const read =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A) => {
      guard();
      return f(...a);
    };
  const out: Kv = {
    dbName: kv.dbName,
    get: read((k: string) => kv.get(k)) as Kv['get'],
    getMany: read((k: readonly string[]) => kv.getMany(k)) as Kv['getMany'],
    keys: read(kv.keys),
    set: write(kv.set),
    setMany: write(kv.setMany),
    update: write(kv.update as (k: string, u: (o: unknown) => unknown) => Promise<void>) as Kv['update'],
    del: write(kv.del),
    delMany: write(kv.delMany),
  };
  if (kv.updateMany) out.updateMany = write(kv.updateMany.bind(kv));
  return { kv: out, writes: () => n, killed: () => dead };
}

/**
 * Run `op` cut after 0, 1, 2, … writes on a fresh store prepared by `before`, then `check` what
 * the reopened store offers. Returns the number of cut points tried (the clean run's writes + 1).
 */
async function everyCut(
  before: (s: StudioStorage) => Promise<void>,
  op: (s: StudioStorage, wrap: (kv: Kv) => Kv) => Promise<unknown>,
  check: (s: StudioStorage, cut: number, completed: boolean) => Promise<void>,
): Promise<number> {
  let total = -1;
  for (let cut = 0; total < 0 || cut <= total; cut++) {
    const s = await open();
    await before(s);
    let counter: ReturnType<typeof killedAfter> | undefined;
    const wrap = (kv: Kv) => (counter = killedAfter(kv, cut)).kv;
    let completed = false;
    try {
      await op(s, wrap);
      completed = true;
    } catch (e) {
      if (!(e instanceof Killed)) throw e;
    }
    if (completed && total < 0) total = counter!.writes();
    await check(s, cut, completed);
  }
  return total + 1;
}

// ---------------------------------------------------------------------------------------------
// fixtures

function tensor(key: string, n: number, base: number): StateDict[number] {
  return { key, dtype: 'float32', shape: [n], data: Float32Array.from({ length: n }, (_, i) => base + i) };
}

function trainerState(step: number): TrainerState {
  const G = [tensor('model.model.0.weight', 40, step), tensor('model.model.0.bias', 8, -step)];
  const D = [tensor('model.0.weight', 30, 2 * step)];
  const adam = (sd: StateDict) => ({
    iterations: step,
    accBeta1: 0.5 ** (step + 1),
    accBeta2: 0.999 ** (step + 1),
    m: sd.map((e) => ({ ...e, data: (e.data as Float32Array).map((x) => x * 0.1) })),
    v: sd.map((e) => ({ ...e, data: (e.data as Float32Array).map((x) => x * x) })),
  });
  return {
    config: { ...DEFAULT_CONFIG, netG: 'unet_64', size: 64 },
    step,
    epoch: 1,
    iterInEpoch: step,
    trainCount: 10,
    dataOrder: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    historyLength: step,
    metrics: { G_L1: 1 / (step + 1) },
    G,
    D,
    optimizer: { G: adam(G), D: adam(D) },
  };
}

const ckptFiles = (step: number) =>
  encodeTrainerState(trainerState(step), { maxShardBytes: 160, created: new Date(0) });

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function sameFiles(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || !same(v, b.get(k)!)) return false;
  return true;
}

const META: DetectorMeta = {
  format: 'ceph-studio-landmark-detector',
  version: 1,
  symbols: ['S', 'N'],
  arch: { size: 32, channels: [4, 8], landmarks: 2, head: 'softmax', outStride: 2 },
  preprocess: 'letterbox',
  sigmaMm: 3,
  mmPerPx: 0.1,
  decoder: 'dark',
  weightsFile: 'weights.safetensors',
  dtype: 'float32',
};

const detRecord = (id: string): DetectorRecord => ({
  id,
  name: 'd',
  createdAt: 1,
  updatedAt: 1,
  status: 'training',
  symbols: ['S', 'N'],
  datasetId: 'demo-6-1',
  datasetName: 'demo',
  cases: 5,
  epochs: 3,
  epochsDone: 0,
  options: {},
  history: [],
  checkpoints: {},
});

const weights = (v: number) => Uint8Array.from({ length: 300 }, (_, i) => (v * 31 + i) & 255);
const point = (epoch: number) => ({
  epoch,
  step: epoch * 4,
  loss: 1 / epoch,
  valMreMm: 2,
  valSdr2: 0.5,
  timeMs: 1,
});
const detInfo = (epoch: number) => ({
  meta: META,
  epoch,
  step: epoch * 4,
  valMreMm: 2,
  valSdr: null,
  valN: 2,
});

const SET = landmarkSetInfo(ISBI_SET);

function caseRecord(id: string): CaseRecord {
  return {
    id,
    split: 'train',
    source: { xrayPath: `xray/${id}.png`, photoPath: `photo/${id}.png` },
    photoSize: { width: 64, height: 64 },
    xraySize: { width: 64, height: 64 },
    landmarks: null,
    flags: [],
    state: { excluded: false },
  };
}

const newCase = (id: string, n: number): NewCase => ({
  record: caseRecord(id),
  images: {
    photo: {
      blob: new Blob([new Uint8Array(n).fill(1)], { type: 'image/png' }),
      fileName: `photo/${id}.png`,
    },
    xray: {
      blob: new Blob([new Uint8Array(n + 1).fill(2)], { type: 'image/png' }),
      fileName: `xray/${id}.png`,
    },
  },
});

async function datasetWith(kv: Kv, id: string, caseIds: string[]): Promise<void> {
  await createDataset(
    kv,
    createDatasetMeta({ id, name: id, layout: 'folders', evalList: chooseEvalList([], 1) }),
  );
  if (caseIds.length > 0)
    await addCases(
      kv,
      id,
      caseIds.map((c, i) => newCase(c, 10 + i)),
    );
}

/** Every listed case has its record and both images, the counts agree, nothing is half there. */
async function expectDatasetWhole(kv: Kv, id: string): Promise<string[]> {
  const ids = await listCaseIds(kv, id);
  const ds = await getDataset(kv, id);
  expect(ds?.caseCount).toBe(ids.length);
  const recs = await getCases(kv, id, ids); // throws when a listed record is missing
  let bytes = 0;
  for (const r of recs) {
    for (const role of ['photo', 'xray'] as const) {
      const blob = await getCaseImage(kv, id, r.record.id, role);
      expect(blob, `${role} image of listed case ${r.record.id}`).toBeDefined();
      expect(blob!.size).toBe(r.images[role]!.bytes);
      bytes += blob!.size;
    }
  }
  expect(ds?.bytesOnDisk).toBe(bytes);
  return ids;
}

// ---------------------------------------------------------------------------------------------

describe('a write cut at every point (killed tab)', () => {
  it('checkpoint save: the pointer offers the complete old or new checkpoint; GC leaves only it', async () => {
    const old = ckptFiles(3);
    const next = ckptFiles(4);
    let sawOld = 0;
    let sawNew = 0;
    const cuts = await everyCut(
      async (s) =>
        void (await saveCheckpoint(s.checkpoints, 'run1', 'last', old, undefined, { maxPartBytes: 200 })),
      (s, wrap) =>
        saveCheckpoint(wrap(s.checkpoints), 'run1', 'last', next, undefined, { maxPartBytes: 200 }),
      async (s, cut) => {
        const listed = await listCheckpoints(s.checkpoints, 'run1');
        expect(listed.map((r) => r.name)).toEqual(['last']);
        const { record, files } = await loadCheckpoint(s.checkpoints, 'run1', 'last');
        const isOld = sameFiles(files, old);
        const isNew = sameFiles(files, next);
        expect(isOld || isNew, `cut after ${cut} writes: the files are the old or the new checkpoint`).toBe(
          true,
        );
        expect(record.step).toBe(isNew ? 4 : 3);
        expect(loadTrainerState(files, 'reopened').step).toBe(record.step);
        if (isNew) sawNew++;
        else sawOld++;
        // the kill's leftovers go; the survivor stays whole
        await collectCheckpointGarbage(s.checkpoints, { minAgeMs: 0 });
        const keys = await keysUnder(s.checkpoints, 'ver/');
        expect(new Set(keys.map((k) => k.split('/')[2]))).toEqual(new Set([record.versionId]));
        expect(
          sameFiles((await loadCheckpoint(s.checkpoints, 'run1', 'last')).files, isNew ? next : old),
        ).toBe(true);
      },
    );
    expect(cuts).toBeGreaterThan(10); // many parts, each a transaction: many places to be killed
    expect(sawOld).toBeGreaterThan(0);
    expect(sawNew).toBeGreaterThan(0);
  });

  it('first checkpoint save: nothing offered, or the complete checkpoint', async () => {
    const files = ckptFiles(1);
    await everyCut(
      async () => undefined,
      (s, wrap) =>
        saveCheckpoint(wrap(s.checkpoints), 'run1', 'last', files, undefined, { maxPartBytes: 200 }),
      async (s, cut) => {
        const listed = await listCheckpoints(s.checkpoints, 'run1');
        if (listed.length === 0) return;
        const loaded = await loadCheckpoint(s.checkpoints, 'run1', 'last');
        expect(sameFiles(loaded.files, files), `cut after ${cut} writes`).toBe(true);
      },
    );
  });

  it('detector checkpoint save: weights, checkpoint info and history move together', async () => {
    let sawNew = 0;
    const cuts = await everyCut(
      async (s) => {
        await putDetectorRecord(s.checkpoints, detRecord('det1'));
        await saveDetectorCheckpoint(s.checkpoints, 'det1', 'last', weights(1), detInfo(1), {
          history: [point(1)],
          epochsDone: 1,
        });
      },
      (s, wrap) =>
        saveDetectorCheckpoint(wrap(s.checkpoints), 'det1', 'last', weights(2), detInfo(2), {
          history: [point(1), point(2)],
          epochsDone: 2,
        }),
      async (s, cut) => {
        const got = await loadDetectorCheckpoint(s.checkpoints, 'det1', 'last');
        expect(got, `cut after ${cut} writes`).toBeDefined();
        const epoch = got!.checkpoint.epoch;
        expect(same(got!.weights, weights(epoch)), `cut after ${cut}: weights of epoch ${epoch}`).toBe(true);
        expect(got!.record.epochsDone).toBe(epoch);
        expect(got!.record.history.length).toBe(epoch);
        if (epoch === 2) sawNew++;
        await collectDetectorGarbage(s.checkpoints);
        const rec = (await getDetector(s.checkpoints, 'det1'))!;
        expect(await keysUnder(s.checkpoints, 'det/w/')).toEqual([
          `det/w/det1/${rec.checkpoints.last!.versionId}`,
        ]);
        expect((await loadDetectorCheckpoint(s.checkpoints, 'det1', 'last'))!.checkpoint.epoch).toBe(epoch);
      },
    );
    expect(cuts).toBeGreaterThanOrEqual(3);
    expect(sawNew).toBeGreaterThan(0);
  });

  it('tracing saved as ground truth: tracing, case landmarks and landmark set move together', async () => {
    const real: TracingTarget = { kind: 'real', datasetId: 'ds1' };
    const pts = (k: number): Point[] => SET.symbols.map((_, i) => [10 + i + k, 20 + i] as Point);
    let sawNew = 0;
    await everyCut(
      async (s) => {
        await datasetWith(s.datasets, 'ds1', ['c1']);
        // an earlier, incomplete tracing (not ground truth)
        await saveTracing(
          s.datasets,
          {
            datasetId: 'ds1',
            caseId: 'c1',
            target: real,
            points: [null, ...pts(0).slice(1)],
            symbols: SET.symbols,
          },
          { nowMs: 5 },
        );
      },
      (s, wrap) =>
        saveTracing(
          wrap(s.datasets),
          { datasetId: 'ds1', caseId: 'c1', target: real, points: pts(1), symbols: SET.symbols },
          { groundTruth: SET, nowMs: 9 },
        ),
      async (s, cut) => {
        const t = await getTracing(s.datasets, 'ds1', 'c1', real);
        const [c] = await getCases(s.datasets, 'ds1', ['c1']);
        const ds = await getDataset(s.datasets, 'ds1');
        if (t?.updatedAt === 9) {
          sawNew++;
          expect(c.record.landmarks, `cut after ${cut}: new tracing => its ground truth`).toEqual(pts(1));
          expect(ds?.landmarkSet?.symbols).toEqual(SET.symbols);
        } else {
          expect(t?.updatedAt, `cut after ${cut}: the old tracing stays`).toBe(5);
          expect(c.record.landmarks).toBeNull();
          expect(ds?.landmarkSet).toBeNull();
        }
        await expectDatasetWhole(s.datasets, 'ds1');
      },
    );
    expect(sawNew).toBeGreaterThan(0);
  });

  it('dataset import (batches): every listed case is complete; repair removes the unlisted rest', async () => {
    const adds = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id, i) => newCase(id, 20 + i));
    const counts = new Set<number>();
    const cuts = await everyCut(
      (s) => datasetWith(s.datasets, 'ds1', ['a', 'b']),
      (s, wrap) => addCases(wrap(s.datasets), 'ds1', adds, { batchSize: 2 }),
      async (s, cut) => {
        const ids = await expectDatasetWhole(s.datasets, 'ds1');
        expect(ids.slice(0, 2), `cut after ${cut}: the cases stored before stay`).toEqual(['a', 'b']);
        counts.add(ids.length);
        await repairDataset(s.datasets, 'ds1');
        const left = new Set((await keysUnder(s.datasets, 'case/ds1/')).map((k) => k.split('/')[2]));
        expect(left).toEqual(new Set(ids));
        expect(await keysUnder(s.datasets, 'img/ds1/')).toHaveLength(2 * ids.length);
      },
    );
    expect(cuts).toBeGreaterThanOrEqual(7); // 3 batches x (cases + manifest) + 1
    expect([...counts].sort()).toEqual([2, 4, 6, 7]);
  });

  it('adding to a dataset (staged): all new cases or none', async () => {
    const counts = new Set<number>();
    await everyCut(
      (s) => datasetWith(s.datasets, 'ds1', ['a', 'b']),
      async (s, wrap) => {
        const kv = wrap(s.datasets);
        const staging = await beginCaseStaging(kv, 'ds1');
        await stageCases(kv, staging, [newCase('n1', 5), newCase('n2', 6)]);
        await stageCases(kv, staging, [newCase('n3', 7)]);
        await commitCaseStaging(kv, staging);
      },
      async (s) => {
        const ids = await expectDatasetWhole(s.datasets, 'ds1');
        expect([
          ['a', 'b'],
          ['a', 'b', 'n1', 'n2', 'n3'],
        ]).toContainEqual(ids);
        counts.add(ids.length);
        await repairDataset(s.datasets, 'ds1');
        expect(await keysUnder(s.datasets, 'case/ds1/')).toHaveLength(ids.length);
      },
    );
    expect([...counts].sort()).toEqual([2, 5]);
  });
});

describe('two tabs on one studio', () => {
  it('setCaseLandmarks in one tab keeps the cases another tab added between its read and its write', async () => {
    const s = await open();
    await datasetWith(s.datasets, 'ds1', ['a', 'b']);
    // the second tab: its own connection to the same database
    const tabB = idbKv(s.datasets.dbName);
    let raced = false;
    // tab A: right after each of its reads, tab B commits an add to the same dataset (once)
    const race = async <T>(value: T): Promise<T> => {
      if (!raced) {
        raced = true;
        await addCases(tabB, 'ds1', [newCase('fromB', 9)]);
      }
      return value;
    };
    const tabA: Kv = {
      ...s.datasets,
      get: async (k) => race(await s.datasets.get(k)),
      getMany: async (k) => race(await s.datasets.getMany(k)),
    };
    if (s.datasets.updateMany) {
      const inner = s.datasets.updateMany.bind(s.datasets);
      // the transaction's own reads cannot be raced (that is the fix); race just before it opens
      tabA.updateMany = async (keys, updater) => {
        await race(undefined);
        return inner(keys, updater);
      };
    }
    const points = SET.symbols.map((_, i) => [i, i] as Point);
    await setCaseLandmarks(tabA, 'ds1', 'a', points, SET);
    expect(raced).toBe(true);
    const ids = await expectDatasetWhole(s.datasets, 'ds1');
    expect(ids).toEqual(['a', 'b', 'fromB']);
    expect((await getCases(s.datasets, 'ds1', ['a']))[0].record.landmarks).toEqual(points);
    expect((await getDataset(s.datasets, 'ds1'))?.landmarkSet?.symbols).toEqual(SET.symbols);
  });

  it('setCaseLandmarks does not bring back a dataset another tab is deleting', async () => {
    const s = await open();
    await datasetWith(s.datasets, 'ds1', ['a']);
    const tabB = idbKv(s.datasets.dbName);
    let raced = false;
    const tabA: Kv = { ...s.datasets };
    const inner = s.datasets.updateMany?.bind(s.datasets);
    const mark = async () => {
      if (raced) return;
      raced = true;
      await tabB.update<{ state: string }>('manifest/ds1', (m) => ({ ...m!, state: 'deleting' }));
    };
    tabA.get = async (k) => {
      const v = await s.datasets.get(k);
      await mark();
      return v as never;
    };
    tabA.getMany = async (k) => {
      const v = await s.datasets.getMany(k);
      await mark();
      return v as never;
    };
    if (inner)
      tabA.updateMany = async (keys, updater) => {
        await mark();
        return inner(keys, updater);
      };
    const points = SET.symbols.map((_, i) => [i, i] as Point);
    await expect(setCaseLandmarks(tabA, 'ds1', 'a', points, SET)).rejects.toThrow(/does not exist/);
    expect(await getDataset(s.datasets, 'ds1')).toBeUndefined(); // still being deleted, not revived
  });
});

/** navigator.locks as one origin's tabs share it: exclusive locks by name, abortable waits. */
class FakeLocks {
  private held = new Map<string, Promise<void>>();
  async request<T>(name: string, opts: { signal?: AbortSignal }, cb: () => T | Promise<T>): Promise<T> {
    while (this.held.has(name)) {
      if (opts.signal?.aborted) throw new DOMException('aborted', 'AbortError');
      const aborted = new Promise<void>((r) =>
        opts.signal?.addEventListener('abort', () => r(), { once: true }),
      );
      await Promise.race([this.held.get(name), aborted]);
    }
    let release = () => undefined as void;
    this.held.set(name, new Promise<void>((r) => (release = r)));
    try {
      return await cb();
    } finally {
      this.held.delete(name);
      release();
    }
  }
}

describe('two tabs: run locks', () => {
  it('a tab that opens while another trains leaves the run running; once that tab is gone the run is interrupted', async () => {
    const g = globalThis as { navigator?: unknown };
    const saved = Object.getOwnPropertyDescriptor(g, 'navigator');
    Object.defineProperty(g, 'navigator', { value: { locks: new FakeLocks() }, configurable: true });
    try {
      const s = await open();
      const run = await createRun(s.runs, {
        name: 'r',
        datasetId: 'ds1',
        config: { ...DEFAULT_CONFIG },
        preprocessing: { ...DEFAULT_PREPROCESS },
        backend: 'wasm',
        adapter: null,
      });
      // tab A's engine holds the run's lock while it trains (its heartbeat is long stale here)
      const releaseA = await holdRunLock(run.id);
      const opts = { graceMs: 100, staleMs: 0, nowMs: Date.now() + 60_000 };
      expect(await markOrphanedRuns(s.runs, 'tab B opened', opts)).toEqual([]);
      expect((await getRun(s.runs, run.id))?.status).toBe('running');
      // tab A closes: the browser releases its locks
      releaseA();
      expect(await markOrphanedRuns(s.runs, 'tab A closed', opts)).toEqual([run.id]);
      expect(await getRun(s.runs, run.id)).toMatchObject({ status: 'interrupted', error: 'tab A closed' });
    } finally {
      if (saved) Object.defineProperty(g, 'navigator', saved);
      else delete g.navigator;
    }
  });
});
