/**
 * A full disk (QuotaExceededError) injected where the browser raises it, during each kind of
 * write: (a) dataset import, (b) checkpoint save, (c) tracing save, (d) detector save, on the IndexedDB
 * object store itself (the Nth `put` into a database aborts its transaction with a
 * QuotaExceededError, as Chromium does), and (e) the server bundle written by the real checkpoint
 * worker (bundleWorker.ts) into a fake Origin Private File System whose write fails part-way.
 *
 * Each case asserts: the error is a StorageFullError; what the user reads (en and zh, through the
 * strings the UI uses for it) says the storage is full, gives MB used / quota / free with the unit,
 * says what to delete or export and what to do again; and every record stored before is intact
 * and readable (the whole database compared value by value, plus the read functions).
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { createDiscriminator, createGenerator, stateDictOf } from '../../src/core/model';
import { freshAdam } from '../../src/core/train/adam';
import { encodeTrainerState } from '../../src/core/train/checkpoint';
import type { FromServer as IoWorkerMessage, ToServer as IoRequestMessage } from '../../src/engine/rpc';
import {
  addCases,
  createDataset,
  createRun,
  getDataset,
  listCaseIds,
  loadCheckpoint,
  saveCheckpoint,
  saveTracing,
  type StudioStorage,
} from '../../src/store';
import { loadDetectorCheckpoint, saveDetectorCheckpoint } from '../../src/store/detectors';
import { StorageFullError } from '../../src/store/errors';
import { localizeStorageFull } from '../../src/store/quota';
import { DB_KINDS, type DbKind } from '../../src/store/schema';
import { openStudioStorage } from '../../src/store/storage';
import { translate, type StringKey } from '../../src/ui/strings';
import { createDatasetMeta } from '../../src/core/data/dataset';
import { chooseEvalList } from '../../src/core/data/splits';
import {
  DETECTOR_META,
  FIX,
  bytes,
  checkpointFiles,
  encodeValue,
  readBackStudioFixture,
  writeStudioFixture,
} from '../fixtures-db/studioFixture';

const USAGE = 4_987_654_321;
const QUOTA = 5_000_000_000;

beforeEach(() => {
  vi.stubGlobal('navigator', {
    storage: { estimate: async () => ({ usage: USAGE, quota: QUOTA }), persisted: async () => false },
  });
});
afterEach(() => vi.unstubAllGlobals());

/**
 * From now on, the `failAt`-th write transaction into database `db` fails like Chromium's on a full
 * disk: its puts are queued, then the transaction aborts with `error` = QuotaExceededError (what
 * idb-keyval rejects with). Counted per transaction that puts, 1-based.
 */
function injectQuota(db: string, failAt = 1): { fired: () => number; restore: () => void } {
  const proto = globalThis.IDBObjectStore.prototype;
  const orig = proto.put;
  const seen = new WeakSet<IDBTransaction>();
  let n = 0;
  let fired = 0;
  proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    const req = orig.call(this, value, key);
    const tx = this.transaction;
    if (tx.db.name === db && !seen.has(tx)) {
      seen.add(tx);
      if (++n === failAt) {
        fired++;
        const err = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        Object.defineProperty(tx, 'error', { get: () => err, set: () => undefined, configurable: true });
        queueMicrotask(() => {
          try {
            tx.abort();
          } catch {
            // already finished
          }
        });
      }
    }
    return req;
  };
  return { fired: () => fired, restore: () => void (proto.put = orig) };
}

/** Every key and value of every database (Blobs as bytes). */
async function snapshot(s: StudioStorage): Promise<Record<DbKind, [string, unknown][]>> {
  const out = {} as Record<DbKind, [string, unknown][]>;
  for (const k of DB_KINDS) {
    const keys = await s[k].keys('');
    const vals = await s[k].getMany(keys);
    out[k] = await Promise.all(
      keys.map(async (key, i) => [key, await encodeValue(vals[i])] as [string, unknown]),
    );
  }
  return out;
}

async function filled(): Promise<StudioStorage> {
  const s = await openStudioStorage({ prefix: `qi-${globalThis.crypto.randomUUID()}` });
  await writeStudioFixture(s);
  return s;
}

/** What the user reads, in en and zh, for a storage error shown through `key` with `{error}` (or alone). */
function shown(err: Error, key: StringKey | null, params: Record<string, string> = {}) {
  return {
    en: key
      ? translate('en', key, { ...params, error: err.message })
      : localizeStorageFull(err.message, 'en'),
    zh: key
      ? translate('zh', key, { ...params, error: err.message })
      : localizeStorageFull(err.message, 'zh'),
  };
}

/** The message says what happened, the numbers with units, what to delete/export and what to redo. */
function expectClear(text: { en: string; zh: string }, retry: { en: string; zh: string }, amounts = true) {
  expect(text.en).toContain("The browser's storage for this site is full");
  expect(text.en).toContain('Everything stored before is kept');
  expect(text.en).toContain('deleting what you no longer need: old runs (Train section) and checkpoints');
  expect(text.en).toContain('export a checkpoint');
  expect(text.en).toContain('datasets you no longer train on');
  expect(text.en).toContain(`; then ${retry.en}.`);
  expect(text.zh).toContain('此网站的浏览器存储已满');
  expect(text.zh).toContain('之前保存的所有内容均完好保留');
  expect(text.zh).toContain('导出检查点');
  expect(text.zh).toContain(`然后${retry.zh}。`);
  expect(text.zh).not.toContain('storage for this site');
  if (amounts) {
    expect(text.en).toContain('4,988 MB used of 5,000 MB (12 MB free)');
    expect(text.zh).toContain('已用 4,988 MB，配额 5,000 MB（剩余 12 MB）');
  }
}

describe('QuotaExceededError injected into IndexedDB: clear message, nothing stored before is lost', () => {
  it('(a) dataset import: stops at the full batch; the other dataset, runs and checkpoints are untouched', async () => {
    const s = await filled();
    const before = await snapshot(s);
    await createDataset(
      s.datasets,
      createDatasetMeta({
        id: 'dsNew',
        name: 'new films',
        layout: 'folders',
        evalList: chooseEvalList([], 1),
      }),
    );
    // batch 1 (cases, then the manifest listing them) commits; batch 2's cases hit the quota
    const q = injectQuota(s.datasets.dbName, 3);
    const cases = ['n1', 'n2', 'n3', 'n4'].map((id, i) => ({
      record: {
        id,
        split: 'train' as const,
        source: { xrayPath: `xray/${id}.png` },
        photoSize: null,
        xraySize: { width: 10, height: 10 },
        landmarks: null,
        flags: [],
        state: { excluded: false },
      },
      images: { xray: { blob: new Blob([bytes(50, i)], { type: 'image/png' }), fileName: `xray/${id}.png` } },
    }));
    const err = await addCases(s.datasets, 'dsNew', cases, { batchSize: 2 }).catch((e: unknown) => e);
    q.restore();
    expect(q.fired()).toBe(1);
    expect(err).toBeInstanceOf(StorageFullError);
    const e = err as StorageFullError;
    expect(e.cause).toMatchObject({ name: 'QuotaExceededError' });
    // the import report: the stop line, then the error in the UI language
    const en = `${translate('en', 'data.report.storageFull')} ${localizeStorageFull(e.message, 'en')}`;
    const zh = `${translate('zh', 'data.report.storageFull')} ${localizeStorageFull(e.message, 'zh')}`;
    expectClear({ en, zh }, { en: 'import again', zh: '重新导入' });
    // what was there before is byte-for-byte the same; the new dataset is consistent (batch 1 listed)
    const after = await snapshot(s);
    for (const k of DB_KINDS) {
      const now = new Map(after[k]);
      for (const [key, v] of before[k]) expect(now.get(key), `${k} ${key}`).toEqual(v);
    }
    expect(await listCaseIds(s.datasets, 'dsNew')).toEqual(['n1', 'n2']);
    expect((await getDataset(s.datasets, 'dsNew'))?.caseCount).toBe(2);
    await readBackStudioFixture(s);
  });

  it('(b) checkpoint save: the new version fails part-way; the previous checkpoint loads as before', async () => {
    const s = await filled();
    const before = await snapshot(s);
    const q = injectQuota(s.checkpoints.dbName, 3); // two shards stored, the third fails
    const files = new Map<string, Uint8Array>([
      ['G.safetensors', bytes(1000, 5)],
      ['D.safetensors', bytes(300, 6)],
    ]);
    const err = await saveCheckpoint(
      s.checkpoints,
      FIX.runId,
      'last',
      files,
      { epoch: 9, step: 999, metrics: {}, configSummary: {} },
      { maxPartBytes: FIX.partBytes },
    ).catch((e: unknown) => e);
    q.restore();
    expect(q.fired()).toBe(1);
    expect(err).toBeInstanceOf(StorageFullError);
    // shown by the Train view as the engine's warning
    expectClear(shown(err as Error, 'engine.checkpoint.saveFailed', { name: 'last' }), {
      en: 'save the checkpoint again',
      zh: '重新保存检查点',
    });
    expect(await snapshot(s)).toEqual(before);
    const last = await loadCheckpoint(s.checkpoints, FIX.runId, 'last');
    expect(last.record.step).toBe(120);
    expect(last.files.get('G.safetensors')).toEqual(checkpointFiles('last').get('G.safetensors'));
    await readBackStudioFixture(s);
  });

  it('(c) tracing save: the replaced tracing stays as it was', async () => {
    const s = await filled();
    const before = await snapshot(s);
    const q = injectQuota(s.datasets.dbName, 1);
    const err = await saveTracing(s.datasets, {
      datasetId: FIX.datasetId,
      caseId: FIX.caseIds[1],
      target: { kind: 'real', datasetId: FIX.datasetId },
      points: FIX.symbols.map(() => [1, 1] as [number, number]),
      symbols: FIX.symbols,
      tracer: 'someone else',
    }).catch((e: unknown) => e);
    q.restore();
    expect(q.fired()).toBe(1);
    expect(err).toBeInstanceOf(StorageFullError);
    // the tracing wizard shows the error text itself
    expectClear(shown(err as Error, null), { en: 'save the tracing again', zh: '重新保存描点' });
    expect(await snapshot(s)).toEqual(before);
    await readBackStudioFixture(s);
  });

  it('(d) detector save: the previous best weights load as before', async () => {
    const s = await filled();
    const before = await snapshot(s);
    const q = injectQuota(s.checkpoints.dbName, 1);
    const err = await saveDetectorCheckpoint(s.checkpoints, FIX.detectorId, 'best', bytes(500, 9), {
      meta: DETECTOR_META,
      epoch: 3,
      step: 12,
      valMreMm: 1.5,
      valSdr: null,
      valN: 1,
    }).catch((e: unknown) => e);
    q.restore();
    expect(q.fired()).toBe(1);
    expect(err).toBeInstanceOf(StorageFullError);
    expectClear(shown(err as Error, 'engine.detector.failed'), {
      en: 'free space and resume the detector',
      zh: '继续训练检测器',
    });
    expect(await snapshot(s)).toEqual(before);
    const w = await loadDetectorCheckpoint(s.checkpoints, FIX.detectorId, 'best');
    expect(w?.checkpoint.epoch).toBe(2);
    await readBackStudioFixture(s);
  });

  it('without numbers from the browser the message leaves them out (never invented)', async () => {
    vi.stubGlobal('navigator', undefined);
    const s = await filled();
    const q = injectQuota(s.datasets.dbName, 1);
    const err = await saveTracing(s.datasets, {
      datasetId: FIX.datasetId,
      caseId: FIX.caseIds[0],
      target: { kind: 'real', datasetId: FIX.datasetId },
      points: FIX.symbols.map(() => null),
      symbols: FIX.symbols,
    }).catch((e: unknown) => e);
    q.restore();
    const text = shown(err as Error, null);
    expectClear(text, { en: 'save the tracing again', zh: '重新保存描点' }, false);
    expect(text.en).not.toMatch(/MB/);
    expect(text.zh).not.toMatch(/MB/);
  });
});

// --- (e) the server bundle, written by the real checkpoint worker into a fake OPFS ---------------

const SERVER_OK: RunConfig = withDefaults({ netG: 'unet_128', size: 128, ngf: 2, ndf: 2, seed: 3 });

/** An Origin Private File System whose files accept `limit` bytes in total, then QuotaExceededError. */
function fakeOpfs(limit: number) {
  type Dir = Map<string, Dir | { bytes: number; closed: boolean }>;
  const root: Dir = new Map();
  let written = 0;
  const dirHandle = (d: Dir): unknown => ({
    async getDirectoryHandle(name: string) {
      if (!d.has(name)) d.set(name, new Map());
      return dirHandle(d.get(name) as Dir);
    },
    async getFileHandle(name: string) {
      const f = { bytes: 0, closed: false };
      d.set(name, f);
      return {
        async createSyncAccessHandle() {
          return {
            write(chunk: Uint8Array) {
              if (written + chunk.length > limit)
                throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
              written += chunk.length;
              f.bytes += chunk.length;
              return chunk.length;
            },
            flush() {},
            close() {
              f.closed = true;
            },
          };
        },
        async move() {},
        async getFile() {
          return new Blob([]);
        },
      };
    },
    async *keys() {
      yield* d.keys();
    },
    async removeEntry(name: string) {
      d.delete(name);
    },
  });
  class FileSystemFileHandle {
    createSyncAccessHandle(): void {}
  }
  return { root, getDirectory: async () => dirHandle(root), FileSystemFileHandle, written: () => written };
}

describe('QuotaExceededError while the checkpoint worker writes the server bundle (OPFS)', () => {
  it('(e) answers StorageFullError with the numbers, removes the partial file, the store is intact', async () => {
    const s = await filled();
    // a server-compatible run with a real checkpoint (G, D, optimizer) next to the fixture's
    const g = createGenerator(SERVER_OK, 3);
    const d = createDiscriminator(SERVER_OK, 4);
    const G = await stateDictOf(g);
    const D = await stateDictOf(d);
    g.dispose();
    d.dispose();
    const run = await createRun(s.runs, {
      name: 'bundle run',
      datasetId: 'demo-3-1',
      config: SERVER_OK,
      preprocessing: { mode: 'letterbox', size: 128, pad: 'constant', padColor: [0, 0, 0], roi: null },
      backend: 'cpu',
      adapter: null,
    });
    const state = {
      config: SERVER_OK,
      step: 10,
      epoch: 1,
      iterInEpoch: 0,
      trainCount: 3,
      dataOrder: [0, 1, 2],
      historyLength: 0,
      metrics: {},
      G,
      D,
      optimizer: { G: freshAdam(G, SERVER_OK), D: freshAdam(D, SERVER_OK) },
    };
    await saveCheckpoint(s.checkpoints, run.id, 'last', encodeTrainerState(state));
    const before = await snapshot(s);

    const fs = fakeOpfs(20_000); // the .pth files alone are larger: the write fails part-way
    const posted: IoWorkerMessage[] = [];
    let onMessage: ((e: { data: IoRequestMessage }) => void) | undefined;
    vi.stubGlobal('self', {
      addEventListener: (_t: string, fn: typeof onMessage) => (onMessage = fn),
      postMessage: (m: IoWorkerMessage) => posted.push(m),
    });
    vi.stubGlobal('FileSystemFileHandle', fs.FileSystemFileHandle);
    vi.stubGlobal('navigator', {
      storage: {
        estimate: async () => ({ usage: USAGE, quota: QUOTA }),
        getDirectory: fs.getDirectory,
      },
    });
    await import('../../src/engine/bundleWorker');
    expect(onMessage).toBeDefined();
    onMessage!({
      data: {
        kind: 'request',
        id: 7,
        method: 'writeBundle',
        params: {
          runId: run.id,
          name: 'last',
          gpus: 1,
          datasetId: 'demo-3-1',
          storagePrefix: s.datasets.dbName.replace(/-datasets$/, ''),
        },
      },
    });
    await vi.waitFor(() => expect(posted.some((m) => m.kind === 'response')).toBe(true), {
      timeout: 60_000,
      interval: 50,
    });
    const res = posted.find((m) => m.kind === 'response')!;
    expect(res.ok).toBe(false);
    const error = (res as { error: { name: string; message: string } }).error;
    expect(error.name).toBe('StorageFullError');
    expect(fs.written()).toBeGreaterThan(0); // it did write part of the bundle first
    // the Checkpoints section shows the worker's message in the UI language
    expectClear(
      { en: localizeStorageFull(error.message, 'en'), zh: localizeStorageFull(error.message, 'zh') },
      { en: 'build the bundle again', zh: '重新生成服务器包' },
    );
    // the partial bundle is gone (its folder removed), the store is unchanged
    const bundles = fs.root.get('server-bundles') as Map<string, unknown>;
    expect([...bundles.keys()]).toEqual([]);
    expect(await snapshot(s)).toEqual(before);
    expect((await loadCheckpoint(s.checkpoints, run.id, 'last')).record.step).toBe(10);
    expect((await loadCheckpoint(s.checkpoints, FIX.runId, 'last')).record.step).toBe(120);
  }, 90_000);
});
