import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { DetectorMeta } from '../../src/core/detector/checkpoint';
import {
  collectDetectorGarbage,
  deleteDetector,
  getDetector,
  listDetectors,
  loadDetectorCheckpoint,
  newDetectorId,
  patchDetector,
  putDetectorRecord,
  saveDetectorCheckpoint,
  type DetectorRecord,
} from '../../src/store/detectors';
import { NotFoundError, StorageFullError } from '../../src/store/errors';
import { keysUnder, type Kv } from '../../src/store/kv';
import { openStudioStorage } from '../../src/store/storage';

const open = () => openStudioStorage({ prefix: `det-${globalThis.crypto.randomUUID()}` });

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

function record(id: string, createdAt: number): DetectorRecord {
  return {
    id,
    name: `detector ${id}`,
    createdAt,
    updatedAt: createdAt,
    status: 'training',
    symbols: ['S', 'N'],
    datasetId: 'demo-6-1',
    datasetName: 'demo',
    cases: 5,
    epochs: 3,
    epochsDone: 0,
    options: { size: 32 },
    history: [],
    checkpoints: {},
  };
}

const bytes = (n: number, v: number) => Uint8Array.from({ length: n }, (_, i) => (v + i) & 255);
const info = (epoch: number, mre: number | null) => ({
  meta: META,
  epoch,
  step: epoch * 4,
  valMreMm: mre,
  valSdr: mre === null ? null : { '2': 0.5, '2.5': 0.6, '3': 0.7, '4': 0.9 },
  valN: 2,
});

/** A Kv whose set() fails on its n-th call. */
function failingSet(kv: Kv, failAt: number, error: unknown): Kv {
  let n = 0;
  return {
    ...kv,
    async set(key: string, value: unknown) {
      if (++n === failAt) throw error;
      return kv.set(key, value);
    },
  };
}

describe('store detectors', () => {
  it('saves best/last atomically, lists newest first, loads bytes back, patches, deletes everything', async () => {
    const s = await open();
    const a = newDetectorId(1000);
    const b = newDetectorId(2000);
    await putDetectorRecord(s.checkpoints, record(a, 1000));
    await putDetectorRecord(s.checkpoints, record(b, 2000));
    expect((await listDetectors(s.checkpoints)).map((r) => r.id)).toEqual([b, a]);

    const w1 = bytes(300, 1);
    let rec = await saveDetectorCheckpoint(s.checkpoints, a, 'last', w1, info(1, 2.5), {
      epochsDone: 1,
      history: [{ epoch: 1, step: 4, loss: 3, valMreMm: 2.5, valSdr2: 0.5, timeMs: 1 }],
    });
    expect(rec.epochsDone).toBe(1);
    expect(rec.history).toHaveLength(1);
    expect(rec.checkpoints.last?.bytes).toBe(300);
    const l1 = await loadDetectorCheckpoint(s.checkpoints, a, 'last');
    expect(Buffer.from(l1!.weights).equals(Buffer.from(w1))).toBe(true);
    expect(l1!.checkpoint.meta.symbols).toEqual(['S', 'N']);

    // a second save replaces the version and removes the old weights
    const w2 = bytes(200, 7);
    rec = await saveDetectorCheckpoint(s.checkpoints, a, 'last', w2, info(2, 2.0), { epochsDone: 2 });
    expect(rec.epochsDone).toBe(2);
    expect((await keysUnder(s.checkpoints, `det/w/${a}/`)).length).toBe(1);
    expect(
      Buffer.from((await loadDetectorCheckpoint(s.checkpoints, a, 'last'))!.weights).equals(Buffer.from(w2)),
    ).toBe(true);
    await saveDetectorCheckpoint(s.checkpoints, a, 'best', bytes(100, 3), info(2, 2.0));
    expect((await keysUnder(s.checkpoints, `det/w/${a}/`)).length).toBe(2);
    expect(await loadDetectorCheckpoint(s.checkpoints, b, 'best')).toBeUndefined();

    const p = await patchDetector(s.checkpoints, a, () => ({ status: 'stopped' }));
    expect(p.status).toBe('stopped');
    expect(p.checkpoints.best?.valMreMm).toBe(2.0); // a patch never drops checkpoints
    await expect(patchDetector(s.checkpoints, 'det-nope', () => ({}))).rejects.toThrow(NotFoundError);

    await deleteDetector(s.checkpoints, a);
    expect(await getDetector(s.checkpoints, a)).toBeUndefined();
    expect(await keysUnder(s.checkpoints, `det/w/${a}/`)).toEqual([]);
    expect((await listDetectors(s.checkpoints)).map((r) => r.id)).toEqual([b]);
  });

  it('a failed weights write (quota) keeps the previous checkpoint and says the storage is full', async () => {
    const s = await open();
    const id = newDetectorId(5000);
    await putDetectorRecord(s.checkpoints, record(id, 5000));
    const w1 = bytes(64, 9);
    await saveDetectorCheckpoint(s.checkpoints, id, 'last', w1, info(1, 3));
    const full = failingSet(s.checkpoints, 1, new DOMException('full', 'QuotaExceededError'));
    await expect(saveDetectorCheckpoint(full, id, 'last', bytes(64, 1), info(2, 2))).rejects.toThrow(
      StorageFullError,
    );
    const still = await loadDetectorCheckpoint(s.checkpoints, id, 'last');
    expect(still?.checkpoint.epoch).toBe(1);
    expect(Buffer.from(still!.weights).equals(Buffer.from(w1))).toBe(true);
    // no partial version is left behind
    expect((await keysUnder(s.checkpoints, `det/w/${id}/`)).length).toBe(1);
  });

  it('garbage collection removes weights no record points at (a crash between write and flip)', async () => {
    const s = await open();
    const id = newDetectorId(7000);
    await putDetectorRecord(s.checkpoints, record(id, 7000));
    await saveDetectorCheckpoint(s.checkpoints, id, 'last', bytes(32, 2), info(1, null));
    await s.checkpoints.set(`det/w/${id}/v-orphan`, new Blob([bytes(8, 0)]));
    expect(await collectDetectorGarbage(s.checkpoints)).toBe(1);
    expect(await loadDetectorCheckpoint(s.checkpoints, id, 'last')).toBeDefined();
    // a checkpoint for a detector that is not stored is refused
    await expect(
      saveDetectorCheckpoint(s.checkpoints, 'det-gone', 'last', bytes(4, 0), info(1, 1)),
    ).rejects.toThrow(NotFoundError);
  });
});
