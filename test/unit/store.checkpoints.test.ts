import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config';
import type { StateDict } from '../../src/core/model/types';
import {
  encodeTrainerState,
  loadTrainerState,
  readCheckpointFiles,
  writeCheckpointAtomically,
  type TrainerState,
} from '../../src/core/train/checkpoint';
import {
  collectCheckpointGarbage,
  deleteCheckpoint,
  deleteRunCheckpoints,
  exportCheckpoint,
  getCheckpoint,
  idbKeyValueStorage,
  listCheckpoints,
  checkpointReader,
  loadCheckpoint,
  renameCheckpoint,
  saveCheckpoint,
} from '../../src/store/checkpoints';
import { NotFoundError, StorageFullError } from '../../src/store/errors';
import { newId } from '../../src/store/ids';
import type { Kv } from '../../src/store/kv';
import { createRun, deleteCheckpointOfRun, getRun, listRuns, updateRun } from '../../src/store/runs';
import { openStudioStorage } from '../../src/store/storage';
import { DEFAULT_PREPROCESS } from '../../src/core/data/preprocess';

const open = () => openStudioStorage({ prefix: `t-${globalThis.crypto.randomUUID()}` });

function tensor(key: string, n: number, base: number): StateDict[number] {
  return {
    key,
    dtype: 'float32',
    shape: [n],
    data: Float32Array.from({ length: n }, (_, i) => base + i * 0.5),
  };
}

/** A small trainer state whose numbers depend on `step` (so two checkpoints differ). */
function state(step: number): TrainerState {
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
    epoch: 1 + Math.floor(step / 10),
    iterInEpoch: step % 10,
    trainCount: 10,
    dataOrder: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3].slice(0, 10),
    historyLength: step,
    metrics: { G_L1: 0.25 / (step + 1), D_real: 0.7, val_psnr_db: Number.NaN },
    G,
    D,
    optimizer: { G: adam(G), D: adam(D) },
  };
}

/** Files of a checkpoint: shards of at most 128 bytes of tensor data, so each role has several. */
const filesAt = (step: number) =>
  encodeTrainerState(state(step), { maxShardBytes: 128, created: new Date(0) });

/** A Kv whose `failAt`-th `set` throws `error` (default: a plain Error). */
function failingSet(kv: Kv, failAt: number, error: unknown = new Error('disk went away')): Kv {
  let n = 0;
  return {
    ...kv,
    async set(key: string, value: unknown) {
      if (++n === failAt) throw error;
      return kv.set(key, value);
    },
  };
}

const bytesEqual = (a: Map<string, Uint8Array>, b: Map<string, Uint8Array>) => {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, v] of a) expect(Buffer.from(b.get(k)!).equals(Buffer.from(v))).toBe(true);
};

describe('store checkpoints', () => {
  it('saves sharded files in parts and loads them back byte for byte, info from manifest.json', async () => {
    const s = await open();
    const files = filesAt(7);
    expect(files.size).toBeGreaterThan(6); // manifest + several G, D and optim shards
    const rec = await saveCheckpoint(s.checkpoints, 'run1', 'last', files, undefined, { maxPartBytes: 100 });
    const total = [...files.values()].reduce((n, f) => n + f.byteLength, 0);
    expect(rec).toMatchObject({
      runId: 'run1',
      name: 'last',
      label: 'last',
      epoch: 1,
      step: 7,
      bytes: total,
    });
    expect(rec.metrics).toEqual({ G_L1: 0.25 / 8, D_real: 0.7, val_psnr_db: null });
    expect(rec.configSummary).toMatchObject({ netG: 'unet_64', size: 64, lambda_L1: 100 });
    for (const f of rec.files) expect(f.parts).toBe(Math.max(1, Math.ceil(f.bytes / 100)));
    const partKeys = await s.checkpoints.keys(`ver/run1/${rec.versionId}/`);
    expect(partKeys).toHaveLength(rec.files.reduce((n, f) => n + f.parts, 0));
    expect(rec.files.some((f) => f.parts > 1)).toBe(true);
    const loaded = await loadCheckpoint(s.checkpoints, 'run1', 'last');
    bytesEqual(files, loaded.files);
    const st = loadTrainerState(loaded.files); // CRCs and safetensors still valid
    expect(st.step).toBe(7);
    expect(Array.from(st.G[0].data as Float32Array)).toEqual(Array.from(state(7).G[0].data as Float32Array));
    // the on-demand reader gives each file byte for byte (parts joined), and undefined for others
    const reader = await checkpointReader(s.checkpoints, 'run1', 'last');
    expect(reader.record.versionId).toBe(rec.versionId);
    for (const [name, bytes] of files)
      expect(Array.from((await reader.get(name)) ?? [])).toEqual(Array.from(bytes));
    expect(await reader.get('nope.safetensors')).toBeUndefined();
  });

  it('a save that fails on the 3rd shard put leaves the previous checkpoint loadable and no leftovers', async () => {
    const s = await open();
    const v1 = filesAt(10);
    const r1 = await saveCheckpoint(s.checkpoints, 'run1', 'last', v1);
    const before = await s.checkpoints.keys('ver/run1/');
    const err = await saveCheckpoint(failingSet(s.checkpoints, 3), 'run1', 'last', filesAt(20)).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe('disk went away');
    expect((await getCheckpoint(s.checkpoints, 'run1', 'last'))?.versionId).toBe(r1.versionId);
    const loaded = await loadCheckpoint(s.checkpoints, 'run1', 'last');
    bytesEqual(v1, loaded.files);
    expect(loadTrainerState(loaded.files).step).toBe(10);
    expect(await s.checkpoints.keys('ver/run1/')).toEqual(before);
    // a quota error becomes StorageFullError, same guarantees
    const full = await saveCheckpoint(
      failingSet(s.checkpoints, 2, new DOMException('full', 'QuotaExceededError')),
      'run1',
      'last',
      filesAt(30),
    ).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(StorageFullError);
    expect((full as Error).message).toMatch(/then save the checkpoint again\.$/);
    expect(loadTrainerState((await loadCheckpoint(s.checkpoints, 'run1', 'last')).files).step).toBe(10);
  });

  it('a successful save replaces the previous version and deletes its parts; other names stay', async () => {
    const s = await open();
    const r1 = await saveCheckpoint(s.checkpoints, 'run1', 'last', filesAt(1));
    const best = await saveCheckpoint(s.checkpoints, 'run1', 'best', filesAt(1));
    const r2 = await saveCheckpoint(s.checkpoints, 'run1', 'last', filesAt(2));
    expect(r2.versionId).not.toBe(r1.versionId);
    const versions = new Set((await s.checkpoints.keys('ver/run1/')).map((k) => k.split('/')[2]));
    expect(versions).toEqual(new Set([r2.versionId, best.versionId]));
    expect(loadTrainerState((await loadCheckpoint(s.checkpoints, 'run1', 'last')).files).step).toBe(2);
    expect(loadTrainerState((await loadCheckpoint(s.checkpoints, 'run1', 'best')).files).step).toBe(1);
  });

  it('a reader whose version is replaced mid-read retries on the new pointer', async () => {
    const s = await open();
    await saveCheckpoint(s.checkpoints, 'run1', 'last', filesAt(1));
    let raced = false;
    const racing: Kv = {
      ...s.checkpoints,
      async getMany<T>(keys: readonly string[]) {
        if (!raced && keys[0]?.startsWith('ver/')) {
          raced = true; // another context saves (and deletes the old parts) between pointer read and part read
          await saveCheckpoint(s.checkpoints, 'run1', 'last', filesAt(2));
        }
        return s.checkpoints.getMany<T>(keys);
      },
    };
    const loaded = await loadCheckpoint(racing, 'run1', 'last');
    expect(raced).toBe(true);
    expect(loadTrainerState(loaded.files).step).toBe(2);
  });

  it('lists, renames (label only), exports as a file set and deletes', async () => {
    const s = await open();
    await saveCheckpoint(s.checkpoints, 'run1', 'last', filesAt(3));
    await saveCheckpoint(s.checkpoints, 'run1', 'before lr drop / v2', filesAt(2));
    await saveCheckpoint(s.checkpoints, 'run2', 'last', filesAt(4));
    expect((await listCheckpoints(s.checkpoints, 'run1')).map((c) => c.name).sort()).toEqual([
      'before lr drop / v2',
      'last',
    ]);
    expect(await listCheckpoints(s.checkpoints)).toHaveLength(3);
    await renameCheckpoint(s.checkpoints, 'run1', 'last', 'epoch 1, looks sharp');
    expect((await getCheckpoint(s.checkpoints, 'run1', 'last'))?.label).toBe('epoch 1, looks sharp');
    // the label survives the next save of `last`
    await saveCheckpoint(s.checkpoints, 'run1', 'last', filesAt(5));
    expect((await getCheckpoint(s.checkpoints, 'run1', 'last'))?.label).toBe('epoch 1, looks sharp');
    const exp = await exportCheckpoint(s.checkpoints, 'run1', 'last');
    const files = new Map<string, Uint8Array>();
    for (const f of exp.files) files.set(f.name, new Uint8Array(await f.blob.arrayBuffer()));
    bytesEqual(filesAt(5), files);
    expect(await deleteCheckpoint(s.checkpoints, 'run1', 'before lr drop / v2')).toBe(true);
    expect(await deleteCheckpoint(s.checkpoints, 'run1', 'before lr drop / v2')).toBe(false);
    await expect(loadCheckpoint(s.checkpoints, 'run1', 'before lr drop / v2')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await deleteRunCheckpoints(s.checkpoints, 'run1');
    expect(await s.checkpoints.keys('ver/run1/')).toEqual([]);
    expect(await s.checkpoints.keys('ptr/run1/')).toEqual([]);
    expect(loadTrainerState((await loadCheckpoint(s.checkpoints, 'run2', 'last')).files).step).toBe(4);
  });

  it('garbage collection removes unreferenced versions older than minAge only', async () => {
    const s = await open();
    const now = 1_800_000_000_000;
    const live = await saveCheckpoint(s.checkpoints, 'run1', 'last', filesAt(1));
    const stale = newId('v', now - 3_600_000);
    const fresh = newId('v', now - 1_000);
    await s.checkpoints.set(`ver/run1/${stale}/G.safetensors/00000`, new Blob([new Uint8Array(4)]));
    await s.checkpoints.set(`ver/run1/${fresh}/G.safetensors/00000`, new Blob([new Uint8Array(4)]));
    expect(await collectCheckpointGarbage(s.checkpoints, { nowMs: now, minAgeMs: 600_000 })).toBe(1);
    const versions = new Set((await s.checkpoints.keys('ver/run1/')).map((k) => k.split('/')[2]));
    expect(versions).toEqual(new Set([live.versionId, fresh]));
  });

  it("implements core's KeyValueStorage: writeCheckpointAtomically / readCheckpointFiles round trip and atomicity", async () => {
    const s = await open();
    const kvs = idbKeyValueStorage(s.checkpoints);
    await writeCheckpointAtomically(kvs, 'run1/last', filesAt(1));
    bytesEqual(filesAt(1), (await readCheckpointFiles(kvs, 'run1/last'))!);
    const broken = idbKeyValueStorage(failingSet(s.checkpoints, 3));
    await expect(writeCheckpointAtomically(broken, 'run1/last', filesAt(2))).rejects.toThrow(
      'disk went away',
    );
    const after = (await readCheckpointFiles(kvs, 'run1/last'))!;
    expect(loadTrainerState(after).step).toBe(1);
    await writeCheckpointAtomically(kvs, 'run1/last', filesAt(2));
    expect(loadTrainerState((await readCheckpointFiles(kvs, 'run1/last'))!).step).toBe(2);
    // the old version and the failed write's leftovers are gone
    const versions = new Set((await kvs.list('run1/last/')).map((k) => k.split('/')[2]));
    expect(versions.size).toBe(2); // 'current' + the live version
  });
});

describe('store checkpoints of a run (the store keeps the run in step)', () => {
  const info = { epoch: 1, step: 3, metrics: {}, configSummary: {} };
  const one = new Map([['a.bin', new Uint8Array([1, 2, 3])]]);
  async function runWith(names: string[]) {
    const s = await open();
    await createRun(s.runs, {
      id: 'run1',
      name: 'run one',
      datasetId: 'dsA',
      config: { ...DEFAULT_CONFIG },
      preprocessing: { ...DEFAULT_PREPROCESS },
      backend: 'cpu',
      adapter: null,
    });
    for (const n of names) await saveCheckpoint(s.checkpoints, 'run1', n, one, info);
    await updateRun(s.runs, 'run1', {
      checkpointNames: names,
      best: { metric: 'l1', value: 0.1, step: 3, epoch: 1 },
    });
    return s;
  }
  /** Every name the run lists is a checkpoint that exists (what readers of checkpointNames rely on). */
  async function consistent(s: Awaited<ReturnType<typeof open>>): Promise<void> {
    const run = await getRun(s.runs, 'run1');
    const stored = new Set((await listCheckpoints(s.checkpoints, 'run1')).map((c) => c.name));
    for (const n of run?.checkpointNames ?? []) expect(stored.has(n), `run names "${n}"`).toBe(true);
  }

  it('deleting a checkpoint removes it and its name from the run in one call', async () => {
    const s = await runWith(['last', 'best', 'mine']);
    const out = await deleteCheckpointOfRun(s, 'run1', 'best');
    expect(out.deleted).toBe(true);
    expect(out.run?.checkpointNames).toEqual(['last', 'mine']);
    const run = await getRun(s.runs, 'run1');
    expect(run?.checkpointNames).toEqual(['last', 'mine']);
    // best is the best metric seen (not a pointer to the checkpoint): it stays
    expect(run?.best?.value).toBe(0.1);
    expect((await listCheckpoints(s.checkpoints, 'run1')).map((c) => c.name).sort()).toEqual([
      'last',
      'mine',
    ]);
    expect(await s.checkpoints.keys('ver/run1/')).toHaveLength(2);
    // again: nothing left to delete, nothing changes
    expect((await deleteCheckpointOfRun(s, 'run1', 'best')).deleted).toBe(false);
    expect((await getRun(s.runs, 'run1'))?.checkpointNames).toEqual(['last', 'mine']);
  });

  it('a checkpoint without a run record (orphan, imported) is still deleted', async () => {
    const s = await open();
    await saveCheckpoint(s.checkpoints, 'run9', 'last', one, info);
    const out = await deleteCheckpointOfRun(s, 'run9', 'last');
    expect(out).toEqual({ run: undefined, deleted: true });
    expect(await listCheckpoints(s.checkpoints, 'run9')).toEqual([]);
    expect((await listRuns(s.runs)).total).toBe(0);
  });

  it('a failure between the writes leaves a consistent, readable state and a retry finishes', async () => {
    // 1. the pointer delete fails after the run was updated
    const s = await runWith(['last', 'best']);
    const broken = {
      ...s,
      checkpoints: { ...s.checkpoints, del: () => Promise.reject(new Error('tab closed')) },
    };
    await expect(deleteCheckpointOfRun(broken, 'run1', 'best')).rejects.toThrow('tab closed');
    await consistent(s);
    expect((await getRun(s.runs, 'run1'))?.checkpointNames).toEqual(['last']);
    // the checkpoint the run no longer names is complete and loadable
    expect((await loadCheckpoint(s.checkpoints, 'run1', 'best')).files.get('a.bin')).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    expect((await deleteCheckpointOfRun(s, 'run1', 'best')).deleted).toBe(true);
    expect(await listCheckpoints(s.checkpoints, 'run1')).toHaveLength(1);
    expect(await s.checkpoints.keys('ver/run1/')).toHaveLength(1);

    // 2. the parts' delete fails after the pointer went: only unreferenced parts remain (garbage)
    const t = await runWith(['last', 'best']);
    const partsFail = {
      ...t,
      checkpoints: { ...t.checkpoints, delMany: () => Promise.reject(new Error('disk went away')) },
    };
    await expect(deleteCheckpointOfRun(partsFail, 'run1', 'last')).rejects.toThrow('disk went away');
    await consistent(t);
    expect((await listCheckpoints(t.checkpoints, 'run1')).map((c) => c.name)).toEqual(['best']);
    expect(await collectCheckpointGarbage(t.checkpoints, { minAgeMs: 0 })).toBe(1);

    // 3. the run update fails: nothing changed
    const u = await runWith(['last']);
    const runFails = { ...u, runs: { ...u.runs, update: () => Promise.reject(new Error('quota')) } };
    await expect(deleteCheckpointOfRun(runFails, 'run1', 'last')).rejects.toThrow('quota');
    await consistent(u);
    expect(await listCheckpoints(u.checkpoints, 'run1')).toHaveLength(1);
  });
});
