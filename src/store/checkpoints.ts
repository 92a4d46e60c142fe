/**
 * Checkpoints: a checkpoint is a set of files (`manifest.json`, `G.safetensors` or
 * `G-00001-of-00002.safetensors`, `D…`, `optim…`; made by core/train/checkpoint.ts
 * `encodeTrainerState`), saved under a pointer `<runId>/<name>` (`last`, `best`, or a user name).
 *
 * Atomic by construction:
 *  1. every file is written under a NEW version id, as Blob parts of at most `maxPartBytes`
 *     (64 MB: single IndexedDB values above ~128-256 MB fail);
 *  2. only after every part is stored, the pointer is flipped with `update()` (one transaction);
 *  3. then the previous version's parts are deleted.
 * A failure in 1 leaves the pointer on the previous version (still loadable); the partial new
 * version is removed at once, or by `collectCheckpointGarbage` after a crash.
 *
 * Keys (checkpoints database):
 *   ptr/<runId>/<name>                              CheckpointRecord (the pointer + summary)
 *   ver/<runId>/<versionId>/<file>/<part, 5 digits>  Blob
 */
import { completedEpochs } from '../core/train/continue';
import type { RunConfig } from '../core/config';
import { MANIFEST_FILE, parseManifest, type KeyValueStorage } from '../core/train/checkpoint';
import { asStorageFull, NotFoundError } from './errors';
import { idTimeMs, newId } from './ids';
import { assertId, deleteUnder, keysUnder, seg, type Kv } from './kv';

/** Largest Blob stored as one IndexedDB value. */
export const MAX_PART_BYTES = 64 * 1024 * 1024;

const VERSION_PREFIX = 'v';

export interface CheckpointFileInfo {
  name: string;
  bytes: number;
  parts: number;
}

/** What a checkpoint list shows; read from the files' `manifest.json` unless given. */
export interface CheckpointInfo {
  epoch: number;
  step: number;
  /**
   * Completed epochs (core/train/continue.ts completedEpochs: `epoch` counts the epoch in
   * progress, which is complete once its last batch is done). Absent on older records.
   */
  completedEpochs?: number;
  /** Metrics at save time, e.g. `{ G_L1: 0.081, val_psnr_db: 21.3 }`; null = not finite. */
  metrics: Record<string, number | null>;
  /** A few config fields worth showing in a list, e.g. `{ netG: 'unet_256', size: 512 }`. */
  configSummary: Record<string, string | number | boolean>;
}

export interface CheckpointRecord extends CheckpointInfo {
  runId: string;
  /** Pointer name: `last`, `best` or a user name. */
  name: string;
  /** Display label (rename changes only this). Defaults to the name. */
  label: string;
  versionId: string;
  savedAt: number;
  /** Sum of all file sizes. */
  bytes: number;
  files: CheckpointFileInfo[];
}

export interface SaveCheckpointOptions {
  /** Split files into parts of at most this many bytes (default MAX_PART_BYTES). */
  maxPartBytes?: number;
  nowMs?: number;
}

const ptrPrefix = (runId: string) => `ptr/${runId}/`;
const ptrKey = (runId: string, name: string) => `ptr/${runId}/${seg(name)}`;
const verPrefix = (runId: string, versionId: string) => `ver/${runId}/${versionId}/`;
const partKey = (runId: string, versionId: string, file: string, part: number) =>
  `ver/${runId}/${versionId}/${seg(file)}/${String(part).padStart(5, '0')}`;

function assertName(name: string): void {
  if (name.length === 0 || name.length > 200) {
    throw new Error(`checkpoint name "${name}" must be 1-200 characters`);
  }
}

/** The config fields a checkpoint list shows. */
export function summarizeConfig(c: RunConfig): Record<string, string | number | boolean> {
  return {
    netG: c.netG,
    size: c.size,
    preprocess: c.preprocess,
    ngf: c.ngf,
    ndf: c.ndf,
    batch_size: c.batch_size,
    lambda_L1: c.lambda_L1,
    lambda_grad: c.lambda_grad,
    gan_mode: c.gan_mode,
  };
}

/** Epoch, step, metrics and config summary from a checkpoint's `manifest.json` (validated by core). */
export function checkpointInfoFromFiles(
  files: ReadonlyMap<string, Uint8Array>,
  where: string,
): CheckpointInfo {
  const bytes = files.get(MANIFEST_FILE);
  if (!bytes) throw new Error(`${where}: ${MANIFEST_FILE} is missing; pass the checkpoint info explicitly`);
  const m = parseManifest(bytes, where);
  return {
    epoch: m.epoch,
    step: m.step,
    completedEpochs: completedEpochs(m),
    metrics: { ...m.metrics },
    configSummary: summarizeConfig(m.config),
  };
}

/**
 * Save a checkpoint atomically under `<runId>/<name>`, replacing the previous one of that name
 * only once the new one is complete. `info` defaults to what `manifest.json` says.
 * Quota errors become StorageFullError.
 */
export async function saveCheckpoint(
  kv: Kv,
  runId: string,
  name: string,
  files: ReadonlyMap<string, Uint8Array>,
  info?: CheckpointInfo,
  opts: SaveCheckpointOptions = {},
): Promise<CheckpointRecord> {
  assertId(runId, 'run');
  assertName(name);
  if (files.size === 0) throw new Error(`checkpoint "${name}" of run ${runId} has no files`);
  const meta = info ?? checkpointInfoFromFiles(files, `run ${runId}, checkpoint "${name}"`);
  const maxPart = opts.maxPartBytes ?? MAX_PART_BYTES;
  if (!(maxPart > 0)) throw new Error(`maxPartBytes must be positive, got ${maxPart}`);
  const now = opts.nowMs ?? Date.now();
  const versionId = newId(VERSION_PREFIX, now);
  const fileInfos: CheckpointFileInfo[] = [];
  let total = 0;
  try {
    // manifest last, like core's writer (not needed for atomicity here: the pointer flip is)
    const order = [...files.keys()].filter((f) => f !== MANIFEST_FILE);
    if (files.has(MANIFEST_FILE)) order.push(MANIFEST_FILE);
    for (const file of order) {
      const data = files.get(file) as Uint8Array;
      if (file.length === 0) throw new Error(`checkpoint "${name}": empty file name`);
      const parts = Math.max(1, Math.ceil(data.byteLength / maxPart));
      for (let p = 0; p < parts; p++) {
        const slice = data.subarray(p * maxPart, Math.min(data.byteLength, (p + 1) * maxPart));
        // one part per transaction: a transaction never holds more than maxPart bytes
        await kv.set(partKey(runId, versionId, file, p), new Blob([slice as Uint8Array<ArrayBuffer>]));
      }
      fileInfos.push({ name: file, bytes: data.byteLength, parts });
      total += data.byteLength;
    }
  } catch (e) {
    await deleteUnder(kv, verPrefix(runId, versionId)).catch(() => undefined);
    throw await asStorageFull(e, 'save the checkpoint again');
  }
  let previous: string | undefined;
  let record: CheckpointRecord | undefined;
  try {
    await kv.update<CheckpointRecord>(ptrKey(runId, name), (old) => {
      previous = old?.versionId;
      record = {
        runId,
        name,
        label: old?.label ?? name,
        versionId,
        savedAt: now,
        bytes: total,
        files: fileInfos,
        epoch: meta.epoch,
        step: meta.step,
        ...(meta.completedEpochs !== undefined ? { completedEpochs: meta.completedEpochs } : {}),
        metrics: { ...meta.metrics },
        configSummary: { ...meta.configSummary },
      };
      return record;
    });
  } catch (e) {
    await deleteUnder(kv, verPrefix(runId, versionId)).catch(() => undefined);
    throw await asStorageFull(e, 'save the checkpoint again');
  }
  if (previous !== undefined && previous !== versionId) {
    // failure here only leaves garbage (collectCheckpointGarbage removes it); the new one is live
    await deleteUnder(kv, verPrefix(runId, previous)).catch(() => undefined);
  }
  if (!record) throw new Error('unreachable: pointer updater did not run');
  return record;
}

export async function getCheckpoint(
  kv: Kv,
  runId: string,
  name: string,
): Promise<CheckpointRecord | undefined> {
  return kv.get<CheckpointRecord>(ptrKey(runId, name));
}

/** The checkpoints of one run (or of every run), ordered by run then name. */
export async function listCheckpoints(kv: Kv, runId?: string): Promise<CheckpointRecord[]> {
  if (runId !== undefined) assertId(runId, 'run');
  const keys = await keysUnder(kv, runId === undefined ? 'ptr/' : ptrPrefix(runId));
  const recs = await kv.getMany<CheckpointRecord>(keys);
  return recs.filter((r): r is CheckpointRecord => r !== undefined);
}

async function readParts(kv: Kv, rec: CheckpointRecord): Promise<Map<string, Blob> | null> {
  const out = new Map<string, Blob>();
  for (const f of rec.files) {
    const keys = Array.from({ length: f.parts }, (_, p) => partKey(rec.runId, rec.versionId, f.name, p));
    const parts = await kv.getMany<Blob>(keys);
    if (parts.some((b) => b === undefined)) return null;
    out.set(f.name, new Blob(parts as Blob[]));
  }
  return out;
}

/** Blobs of a checkpoint's files (lazily concatenated parts), re-reading the pointer if it moved. */
async function checkpointBlobs(
  kv: Kv,
  runId: string,
  name: string,
): Promise<{ record: CheckpointRecord; blobs: Map<string, Blob> }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const rec = await getCheckpoint(kv, runId, name);
    if (!rec) throw new NotFoundError(`checkpoint "${name}" of run ${runId} does not exist`);
    const blobs = await readParts(kv, rec);
    if (blobs) return { record: rec, blobs };
    const now = await getCheckpoint(kv, runId, name);
    if (now && now.versionId !== rec.versionId) continue; // replaced while reading: read the new one
    throw new NotFoundError(
      `checkpoint "${name}" of run ${runId} is incomplete (a stored part is missing); ` +
        `delete it and resume from another checkpoint`,
    );
  }
  throw new Error(`checkpoint "${name}" of run ${runId} kept changing while it was read; try again`);
}

/** Load every file of a checkpoint into memory. */
export async function loadCheckpoint(
  kv: Kv,
  runId: string,
  name: string,
): Promise<{ record: CheckpointRecord; files: Map<string, Uint8Array> }> {
  const { record, blobs } = await checkpointBlobs(kv, runId, name);
  const files = new Map<string, Uint8Array>();
  for (const [file, blob] of blobs) files.set(file, new Uint8Array(await blob.arrayBuffer()));
  return { record, files };
}

/** The checkpoint as a file set for download (Blobs, not copied into memory). */
export async function exportCheckpoint(
  kv: Kv,
  runId: string,
  name: string,
): Promise<{ record: CheckpointRecord; files: { name: string; blob: Blob }[] }> {
  const { record, blobs } = await checkpointBlobs(kv, runId, name);
  return { record, files: [...blobs].map(([file, blob]) => ({ name: file, blob })) };
}

/**
 * A checkpoint's files read one at a time on demand (they stay Blobs until asked for): e.g. the
 * manifest and G for inference without loading D and the optimizer state (twice G's size).
 */
export async function checkpointReader(
  kv: Kv,
  runId: string,
  name: string,
): Promise<{ record: CheckpointRecord; get(file: string): Promise<Uint8Array | undefined> }> {
  const { record, blobs } = await checkpointBlobs(kv, runId, name);
  return {
    record,
    get: async (file) => {
      const blob = blobs.get(file);
      return blob ? new Uint8Array(await blob.arrayBuffer()) : undefined;
    },
  };
}

/**
 * Change the display label (the pointer name stays, so `last`/`best` keep working). A run lists its
 * checkpoints by pointer name (`RunRecord.checkpointNames`), never by label, so a rename is one
 * write and the run needs no update.
 */
export async function renameCheckpoint(kv: Kv, runId: string, name: string, label: string): Promise<void> {
  const trimmed = label.trim();
  if (trimmed.length === 0) throw new Error('a checkpoint label cannot be empty');
  await kv.update<CheckpointRecord>(ptrKey(runId, name), (old) => {
    if (!old) throw new NotFoundError(`checkpoint "${name}" of run ${runId} does not exist`);
    return { ...old, label: trimmed };
  });
}

/**
 * Delete one checkpoint: the pointer first (it disappears from lists at once), then its parts.
 * This leaves the run's `checkpointNames` alone: the app deletes a run's checkpoint with
 * runs.ts `deleteCheckpointOfRun`, which updates the run first.
 */
export async function deleteCheckpoint(kv: Kv, runId: string, name: string): Promise<boolean> {
  const rec = await getCheckpoint(kv, runId, name);
  if (!rec) return false;
  await kv.del(ptrKey(runId, name));
  await deleteUnder(kv, verPrefix(runId, rec.versionId));
  return true;
}

/** Delete every checkpoint of a run. */
export async function deleteRunCheckpoints(kv: Kv, runId: string): Promise<void> {
  assertId(runId, 'run');
  await deleteUnder(kv, ptrPrefix(runId));
  await deleteUnder(kv, `ver/${runId}/`);
}

/**
 * Remove versions no pointer refers to (left by a crash during a save or a delete), if older than
 * `minAgeMs` so a save in progress in another tab or worker is never touched. Returns how many.
 */
export async function collectCheckpointGarbage(
  kv: Kv,
  opts: { minAgeMs?: number; nowMs?: number } = {},
): Promise<number> {
  const minAge = opts.minAgeMs ?? 10 * 60_000;
  const now = opts.nowMs ?? Date.now();
  const live = new Set((await listCheckpoints(kv)).map((r) => `${r.runId}/${r.versionId}`));
  const versions = new Set<string>();
  for (const k of await keysUnder(kv, 'ver/')) {
    const [, runId, versionId] = k.split('/');
    versions.add(`${runId}/${versionId}`);
  }
  let removed = 0;
  for (const v of versions) {
    if (live.has(v)) continue;
    const t = idTimeMs(v.split('/')[1], VERSION_PREFIX);
    if (t !== null && now - t < minAge) continue;
    await deleteUnder(kv, `ver/${v}/`);
    removed++;
  }
  return removed;
}

/**
 * core/train/checkpoint.ts's `KeyValueStorage` on IndexedDB, for code written against that
 * interface (`writeCheckpointAtomically`, `readCheckpointFiles`). Values are stored as Blobs, one
 * key each, under `kvs/<key>`; a value above MAX_PART_BYTES is refused (core's shards stay below
 * 64 MiB). Checkpoints written this way are not in `listCheckpoints`: the studio's own
 * list / rename / export path is `saveCheckpoint` / `loadCheckpoint`.
 */
export function idbKeyValueStorage(kv: Kv): KeyValueStorage {
  const P = 'kvs/';
  return {
    async get(key) {
      const blob = await kv.get<Blob>(P + key);
      return blob === undefined ? undefined : new Uint8Array(await blob.arrayBuffer());
    },
    async put(key, value) {
      if (value.byteLength > MAX_PART_BYTES) {
        throw new Error(
          `"${key}" is ${value.byteLength} bytes; values above ${MAX_PART_BYTES} bytes must be sharded`,
        );
      }
      try {
        await kv.set(P + key, new Blob([value as Uint8Array<ArrayBuffer>]));
      } catch (e) {
        throw await asStorageFull(e, 'save the checkpoint again');
      }
    },
    async delete(key) {
      await kv.del(P + key);
    },
    async list(prefix) {
      return (await keysUnder(kv, P + prefix)).map((k) => k.slice(P.length));
    },
  };
}
