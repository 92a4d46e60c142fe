/**
 * Stored landmark detectors (issue 13): one record per detector trained in the studio, with its
 * `best` and `last` checkpoints (core/detector/checkpoint.ts DetectorMeta + the weights file
 * bytes), its per-epoch history and its status.
 *
 * Keys (in the checkpoints database, beside the GAN checkpoints, under their own prefix):
 *   det/rec/<detectorId>                       DetectorRecord (status, history, checkpoint pointers)
 *   det/w/<detectorId>/<versionId>             Blob: weights.safetensors of one checkpoint version
 *
 * Atomic like checkpoints.ts: the weights are written under a NEW version id first; only then the
 * record's pointer flips (one `update()` transaction); then the old version is deleted. A failure
 * before the flip leaves the previous checkpoint in place and removes the partial version; a
 * crash in between leaves only garbage that `collectDetectorGarbage` removes. A record is never
 * offered with a checkpoint whose weights are not fully stored. Quota errors become
 * StorageFullError (nothing stored before is lost).
 */
import type { DetectorMeta } from '../core/detector/checkpoint';
import type { DetectorAutoName } from '../core/detector/traceability';
import { asStorageFull, NotFoundError } from './errors';
import { newId } from './ids';
import { assertId, deleteUnder, keysUnder, type Kv } from './kv';

export type DetectorStatus = 'training' | 'stopped' | 'finished' | 'failed';
export type DetectorCheckpointName = 'best' | 'last';

/** One epoch of a detector's training (same fields as the engine's DetectorEpochPoint). */
export interface DetectorHistoryPoint {
  epoch: number;
  step: number;
  loss: number;
  valMreMm: number | null;
  valSdr2: number | null;
  timeMs: number;
}

export interface StoredDetectorCheckpoint {
  versionId: string;
  meta: DetectorMeta;
  /** Completed epochs when saved. */
  epoch: number;
  step: number;
  bytes: number;
  savedAt: number;
  /** Held-out metrics at save time (null = not measured). */
  valMreMm: number | null;
  valSdr: { '2': number; '2.5': number; '3': number; '4': number } | null;
  valN: number;
}

export interface DetectorRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  status: DetectorStatus;
  /** Why it failed (English), when status is 'failed'. */
  error?: string;
  symbols: string[];
  datasetId: string;
  datasetName: string;
  /** Training cases. */
  cases: number;
  epochs: number;
  epochsDone: number;
  /** The options it was started with (to resume it the same way). */
  options: Record<string, unknown>;
  history: DetectorHistoryPoint[];
  checkpoints: Partial<Record<DetectorCheckpointName, StoredDetectorCheckpoint>>;
  /** The generated name's parts when no name was given (rendered in the UI's language); old records have none. */
  autoName?: DetectorAutoName;
}

const REC_PREFIX = 'det/rec/';
const recKey = (id: string) => `${REC_PREFIX}${id}`;
const weightsPrefix = (id: string) => `det/w/${id}/`;
const weightsKey = (id: string, versionId: string) => `det/w/${id}/${versionId}`;

export function newDetectorId(nowMs: number = Date.now()): string {
  return newId('det', nowMs);
}

/** Create (or replace) a detector's record; its checkpoints are saved with saveDetectorCheckpoint. */
export async function putDetectorRecord(kv: Kv, rec: DetectorRecord): Promise<DetectorRecord> {
  assertId(rec.id, 'detector');
  try {
    await kv.set(recKey(rec.id), rec);
  } catch (e) {
    throw await asStorageFull(e, 'train the detector again');
  }
  return rec;
}

export async function getDetector(kv: Kv, id: string): Promise<DetectorRecord | undefined> {
  assertId(id, 'detector');
  return kv.get<DetectorRecord>(recKey(id));
}

/** Every stored detector, newest first. */
export async function listDetectors(kv: Kv): Promise<DetectorRecord[]> {
  const keys = await keysUnder(kv, REC_PREFIX);
  const recs = (await kv.getMany<DetectorRecord>(keys)).filter((r): r is DetectorRecord => !!r);
  return recs.sort((a, b) => b.createdAt - a.createdAt);
}

/** Change a record's fields in one transaction (status, history, epochs done…). */
export async function patchDetector(
  kv: Kv,
  id: string,
  patch: (rec: DetectorRecord) => Partial<Omit<DetectorRecord, 'id' | 'checkpoints'>>,
  nowMs: number = Date.now(),
): Promise<DetectorRecord> {
  assertId(id, 'detector');
  let out: DetectorRecord | undefined;
  try {
    await kv.update<DetectorRecord>(recKey(id), (old) => {
      if (!old) throw new NotFoundError(`detector ${id} is not stored`);
      out = { ...old, ...patch(old), id: old.id, checkpoints: old.checkpoints, updatedAt: nowMs };
      return out;
    });
  } catch (e) {
    throw await asStorageFull(e, 'try again once space is freed');
  }
  if (!out) throw new NotFoundError(`detector ${id} is not stored`);
  return out;
}

export interface SaveDetectorCheckpointInfo {
  meta: DetectorMeta;
  epoch: number;
  step: number;
  valMreMm: number | null;
  valSdr: StoredDetectorCheckpoint['valSdr'];
  valN: number;
}

/**
 * Save a checkpoint (`best` or `last`) atomically: weights under a new version, then the pointer
 * flip, then the old version's removal. `patch` changes record fields in the same transaction
 * as the flip (e.g. history and epochsDone, so they never disagree with `last`).
 */
export async function saveDetectorCheckpoint(
  kv: Kv,
  id: string,
  name: DetectorCheckpointName,
  weights: Uint8Array,
  info: SaveDetectorCheckpointInfo,
  patch: Partial<Omit<DetectorRecord, 'id' | 'checkpoints'>> = {},
  nowMs: number = Date.now(),
): Promise<DetectorRecord> {
  assertId(id, 'detector');
  if (weights.byteLength === 0) throw new Error(`detector ${id}: checkpoint "${name}" has empty weights`);
  const existing = await kv.get<DetectorRecord>(recKey(id));
  if (!existing) throw new NotFoundError(`detector ${id} is not stored`);
  const versionId = newId('v', nowMs);
  try {
    await kv.set(weightsKey(id, versionId), new Blob([weights as Uint8Array<ArrayBuffer>]));
  } catch (e) {
    await kv.del(weightsKey(id, versionId)).catch(() => undefined);
    throw await asStorageFull(e, 'free space and resume the detector');
  }
  let previous: string | undefined;
  let out: DetectorRecord | undefined;
  try {
    await kv.update<DetectorRecord>(recKey(id), (old) => {
      if (!old) throw new NotFoundError(`detector ${id} was deleted while saving`);
      previous = old.checkpoints[name]?.versionId;
      const ckpt: StoredDetectorCheckpoint = {
        versionId,
        meta: info.meta,
        epoch: info.epoch,
        step: info.step,
        bytes: weights.byteLength,
        savedAt: nowMs,
        valMreMm: info.valMreMm,
        valSdr: info.valSdr,
        valN: info.valN,
      };
      out = {
        ...old,
        ...patch,
        id: old.id,
        updatedAt: nowMs,
        checkpoints: { ...old.checkpoints, [name]: ckpt },
      };
      return out;
    });
  } catch (e) {
    await kv.del(weightsKey(id, versionId)).catch(() => undefined);
    throw await asStorageFull(e, 'free space and resume the detector');
  }
  if (previous !== undefined && previous !== versionId) {
    await kv.del(weightsKey(id, previous)).catch(() => undefined);
  }
  if (!out) throw new Error('unreachable: detector record updater did not run');
  return out;
}

/** The weights bytes of a checkpoint with its meta; undefined when the detector or checkpoint is absent. */
export async function loadDetectorCheckpoint(
  kv: Kv,
  id: string,
  name: DetectorCheckpointName,
): Promise<
  { record: DetectorRecord; checkpoint: StoredDetectorCheckpoint; weights: Uint8Array } | undefined
> {
  const record = await getDetector(kv, id);
  const checkpoint = record?.checkpoints[name];
  if (!record || !checkpoint) return undefined;
  const blob = await kv.get<Blob | Uint8Array>(weightsKey(id, checkpoint.versionId));
  if (!blob) throw new NotFoundError(`detector ${id}: the weights of checkpoint "${name}" are missing`);
  const weights = blob instanceof Uint8Array ? blob : new Uint8Array(await blob.arrayBuffer());
  if (weights.byteLength !== checkpoint.bytes)
    throw new Error(
      `detector ${id}: checkpoint "${name}" weights are ${weights.byteLength} bytes, expected ${checkpoint.bytes}`,
    );
  return { record, checkpoint, weights };
}

/** Delete a detector: its record first (it is no longer offered), then its weights. */
export async function deleteDetector(kv: Kv, id: string): Promise<void> {
  assertId(id, 'detector');
  await kv.del(recKey(id));
  await deleteUnder(kv, weightsPrefix(id));
}

/** Remove weight versions no record points at (left by a crash between write and flip). Returns how many. */
export async function collectDetectorGarbage(kv: Kv): Promise<number> {
  const recs = await listDetectors(kv);
  const live = new Set<string>();
  for (const r of recs)
    for (const c of Object.values(r.checkpoints)) if (c) live.add(weightsKey(r.id, c.versionId));
  let n = 0;
  for (const k of await keysUnder(kv, 'det/w/')) {
    if (live.has(k)) continue;
    await kv.del(k);
    n++;
  }
  return n;
}
