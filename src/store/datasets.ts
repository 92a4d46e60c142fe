/**
 * Datasets in IndexedDB: several side by side, each a manifest plus its cases and original images.
 *
 * Keys (datasets database):
 *   manifest/<datasetId>               DatasetManifest (meta + the committed case ids)
 *   case/<datasetId>/<caseId>          StoredCase (CaseRecord + image file info; no Blobs)
 *   img/<datasetId>/<caseId>/<role>    Blob (the original file, as dropped)
 *
 * Consistency: `addCases` writes each batch of cases + images in ONE transaction (`setMany`), and
 * only then appends their ids to the manifest with `update()`. Readers trust only cases listed in
 * the manifest, so a cancel, a crash or a full disk between the two steps leaves unlisted records
 * (removed by `repairDataset`), never a manifest that promises missing cases:
 * `meta.caseCount === caseIds.length` always, and every listed case has its record and images.
 *
 * Adding to an existing dataset is all or nothing: `stageCases` writes records + images in batches
 * without listing them, and `commitCaseStaging` lists them all in ONE manifest update. Until then
 * the dataset reads exactly as before; a cancel or a full disk ends with `discardCaseStaging`
 * (and a crash leaves unlisted records that `repairDataset` removes). A staged case id that is
 * already listed is refused before anything is written: a stored case is never overwritten.
 *
 * Paging: `listCases` reads a slice of the manifest's ids, then gets just those records; Blobs are
 * separate keys, read one case at a time with `getCaseImage`.
 */
import type { CaseRecord, CaseSplit, DatasetMeta, LandmarkSetInfo } from '../core/data/dataset';
import type { Point } from '../core/image';
import { setCaseExcluded } from '../core/data/dataset';
import { planResplit, type EvalList, type SplitRatios } from '../core/data/splits';
import { asStorageFull, NotFoundError } from './errors';
import { newId } from './ids';
import { assertId, chunks, deleteUnder, keysUnder, updateIf, type Kv } from './kv';
import type { StudioStorage } from './storage';
import { deleteTensorCache } from './tensorCache';

/** `aligned` = one file holding photo (left half) and X-ray (right half). */
export type StoredImageRole = 'photo' | 'xray' | 'aligned';
export const IMAGE_ROLES: readonly StoredImageRole[] = ['photo', 'xray', 'aligned'];

/** What the store keeps about an original image beside its Blob. */
export interface StoredImageInfo {
  /** File name (path inside the drop / ZIP) as imported. */
  fileName: string;
  /** MIME type, e.g. `image/png`. */
  mime: string;
  /** File size in bytes. */
  bytes: number;
}

export interface StoredCase {
  datasetId: string;
  record: CaseRecord;
  images: Partial<Record<StoredImageRole, StoredImageInfo>>;
}

export interface NewImage {
  blob: Blob;
  fileName: string;
  /** Defaults to `blob.type`, else `application/octet-stream`. */
  mime?: string;
}

export interface NewCase {
  record: CaseRecord;
  images: Partial<Record<StoredImageRole, NewImage>>;
}

export interface DatasetManifest {
  meta: DatasetMeta;
  /** ISO time of the last change (cases added, meta edited). */
  updatedAt: string;
  /** Bytes of the original images of the listed cases. */
  bytesOnDisk: number;
  /** The committed cases, in import order. `meta.caseCount === caseIds.length`. */
  caseIds: string[];
  /** `deleting`: hidden from lists; `finishPendingDeletes` completes it after a crash. */
  state: 'ready' | 'deleting';
}

/** What a dataset list shows. */
export interface DatasetSummary extends DatasetMeta {
  updatedAt: string;
  bytesOnDisk: number;
}

const manifestKey = (id: string) => `manifest/${id}`;
const caseKey = (ds: string, c: string) => `case/${ds}/${c}`;
const imgKey = (ds: string, c: string, role: StoredImageRole) => `img/${ds}/${c}/${role}`;

export function newDatasetId(): string {
  return newId('ds');
}

function summary(m: DatasetManifest): DatasetSummary {
  return { ...m.meta, caseCount: m.caseIds.length, updatedAt: m.updatedAt, bytesOnDisk: m.bytesOnDisk };
}

async function readyManifest(kv: Kv, datasetId: string): Promise<DatasetManifest> {
  assertId(datasetId, 'dataset');
  const m = await kv.get<DatasetManifest>(manifestKey(datasetId));
  if (!m || m.state !== 'ready')
    throw new NotFoundError(`dataset ${datasetId} does not exist (it may have been deleted)`);
  return m;
}

/** Store a new, empty dataset. `meta` comes from core's `createDatasetMeta`; its caseCount must be 0. */
export async function createDataset(kv: Kv, meta: DatasetMeta): Promise<DatasetSummary> {
  assertId(meta.id, 'dataset');
  if (meta.caseCount !== 0)
    throw new Error(`a new dataset starts with 0 cases (got caseCount ${meta.caseCount})`);
  const manifest: DatasetManifest = {
    meta: { ...meta },
    updatedAt: meta.createdAt,
    bytesOnDisk: 0,
    caseIds: [],
    state: 'ready',
  };
  let wrote: boolean;
  try {
    wrote = await updateIf<DatasetManifest>(kv, manifestKey(meta.id), (old) => (old ? undefined : manifest));
  } catch (e) {
    throw await asStorageFull(e, 'import again');
  }
  if (!wrote) throw new Error(`a dataset with id ${meta.id} already exists`);
  return summary(manifest);
}

export async function getDataset(kv: Kv, datasetId: string): Promise<DatasetSummary | undefined> {
  assertId(datasetId, 'dataset');
  const m = await kv.get<DatasetManifest>(manifestKey(datasetId));
  return m && m.state === 'ready' ? summary(m) : undefined;
}

/** Every dataset (not the ones being deleted), most recently changed first. */
export async function listDatasets(kv: Kv): Promise<DatasetSummary[]> {
  const keys = await keysUnder(kv, 'manifest/');
  const ms = await kv.getMany<DatasetManifest>(keys);
  return ms
    .filter((m): m is DatasetManifest => m !== undefined && m.state === 'ready')
    .map(summary)
    .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
}

/** Fields of the meta a user may edit (the store keeps id, caseCount, createdAt, schemaVersion). */
export type DatasetMetaPatch = Partial<Omit<DatasetMeta, 'id' | 'caseCount' | 'createdAt' | 'schemaVersion'>>;

export async function updateDatasetMeta(
  kv: Kv,
  datasetId: string,
  patch: DatasetMetaPatch,
): Promise<DatasetSummary> {
  assertId(datasetId, 'dataset');
  if (patch.mmPerPx !== undefined && !(patch.mmPerPx > 0 && Number.isFinite(patch.mmPerPx))) {
    throw new Error(`pixel spacing must be a positive number of mm per pixel, got ${patch.mmPerPx}`);
  }
  let out: DatasetManifest | undefined;
  const { id: _id, caseCount: _c, createdAt: _t, schemaVersion: _v, ...safe } = patch as Partial<DatasetMeta>;
  await kv.update<DatasetManifest>(manifestKey(datasetId), (old) => {
    if (!old || old.state !== 'ready') throw new NotFoundError(`dataset ${datasetId} does not exist`);
    out = { ...old, meta: { ...old.meta, ...safe }, updatedAt: new Date().toISOString() };
    return out;
  });
  return summary(out!);
}

export async function renameDataset(kv: Kv, datasetId: string, name: string): Promise<DatasetSummary> {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new Error('a dataset name cannot be empty');
  return updateDatasetMeta(kv, datasetId, { name: trimmed });
}

export interface AddCasesOptions {
  /** Cases per transaction (default 16). */
  batchSize?: number;
  /** Checked before each batch; a cancel keeps the batches already committed. */
  signal?: AbortSignal;
  onProgress?: (p: { added: number; total: number }) => void;
}

export interface AddCasesResult {
  added: number;
  cancelled: boolean;
}

function imageBytes(c: NewCase): number {
  let n = 0;
  for (const role of IMAGE_ROLES) n += c.images[role]?.blob.size ?? 0;
  return n;
}

/**
 * Add cases in batches (one transaction each, then one manifest update). Throws before writing
 * anything when a case id is invalid, repeated, or already in the dataset. A full disk throws
 * StorageFullError; the batches committed before it stay, listed and complete.
 */
export async function addCases(
  kv: Kv,
  datasetId: string,
  cases: readonly NewCase[],
  opts: AddCasesOptions = {},
): Promise<AddCasesResult> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 16));
  const manifest = await readyManifest(kv, datasetId);
  const existing = new Set(manifest.caseIds);
  const seen = new Set<string>();
  for (const c of cases) {
    assertId(c.record.id, 'case');
    if (existing.has(c.record.id)) throw new Error(`case ${c.record.id} is already in dataset ${datasetId}`);
    if (seen.has(c.record.id)) throw new Error(`case ${c.record.id} appears twice in this import`);
    seen.add(c.record.id);
  }
  let added = 0;
  for (const batch of chunks(cases, batchSize)) {
    if (opts.signal?.aborted) return { added, cancelled: true };
    const entries = batch.flatMap((c) => storedEntries(datasetId, c));
    const bytesById = new Map(batch.map((c) => [c.record.id, imageBytes(c)]));
    try {
      await kv.setMany(entries);
      await kv.update<DatasetManifest>(manifestKey(datasetId), (old) => {
        if (!old || old.state !== 'ready')
          throw new NotFoundError(`dataset ${datasetId} was deleted during the import`);
        const listed = new Set(old.caseIds);
        const fresh = [...bytesById.keys()].filter((id) => !listed.has(id));
        const caseIds = old.caseIds.concat(fresh);
        return {
          ...old,
          meta: { ...old.meta, caseCount: caseIds.length },
          caseIds,
          bytesOnDisk: fresh.reduce((sum, id) => sum + (bytesById.get(id) ?? 0), old.bytesOnDisk),
          updatedAt: new Date().toISOString(),
        };
      });
    } catch (e) {
      // the batch may be written but unlisted: remove it (best effort; repairDataset also does)
      await kv.delMany(entries.map(([k]) => k)).catch(() => undefined);
      throw await asStorageFull(e, 'import again');
    }
    added += batch.length;
    opts.onProgress?.({ added, total: cases.length });
  }
  return { added, cancelled: false };
}

// ---------------------------------------------------------------------------------------------
// Adding cases to an existing dataset, all or nothing

/** An add in progress: cases written under the dataset's keys but not listed yet. */
export interface CaseStaging {
  readonly datasetId: string;
  /** Staged case ids, in the order staged. */
  readonly ids: string[];
  /** Every key written (records and images), for the discard. */
  readonly keys: string[];
  /** Image bytes per staged case. */
  readonly bytes: Map<string, number>;
}

/** Start an add into an existing dataset (nothing is written yet). */
export async function beginCaseStaging(kv: Kv, datasetId: string): Promise<CaseStaging> {
  await readyManifest(kv, datasetId);
  return { datasetId, ids: [], keys: [], bytes: new Map() };
}

function storedEntries(datasetId: string, c: NewCase): [string, unknown][] {
  const entries: [string, unknown][] = [];
  const images: Partial<Record<StoredImageRole, StoredImageInfo>> = {};
  for (const role of IMAGE_ROLES) {
    const img = c.images[role];
    if (!img) continue;
    images[role] = {
      fileName: img.fileName,
      mime: img.mime ?? (img.blob.type || 'application/octet-stream'),
      bytes: img.blob.size,
    };
    entries.push([imgKey(datasetId, c.record.id, role), img.blob]);
  }
  const stored: StoredCase = { datasetId, record: c.record, images };
  entries.push([caseKey(datasetId, c.record.id), stored]);
  return entries;
}

/**
 * Write one batch of new cases (one transaction) without listing them. Throws before writing when
 * a case id is invalid, already in the dataset, already staged or repeated; a full disk throws
 * StorageFullError after removing the batch (the batches staged before stay staged: discard them).
 */
export async function stageCases(kv: Kv, staging: CaseStaging, cases: readonly NewCase[]): Promise<void> {
  const { datasetId } = staging;
  const listed = new Set((await readyManifest(kv, datasetId)).caseIds);
  const staged = new Set(staging.ids);
  const seen = new Set<string>();
  for (const c of cases) {
    const id = c.record.id;
    assertId(id, 'case');
    if (listed.has(id))
      throw new Error(`case ${id} is already in dataset ${datasetId}; a stored case is never overwritten`);
    if (staged.has(id) || seen.has(id)) throw new Error(`case ${id} appears twice in this add`);
    seen.add(id);
  }
  const entries = cases.flatMap((c) => storedEntries(datasetId, c));
  try {
    await kv.setMany(entries);
  } catch (e) {
    await kv.delMany(entries.map(([k]) => k)).catch(() => undefined);
    throw await asStorageFull(e, 'add the files again');
  }
  for (const c of cases) {
    staging.ids.push(c.record.id);
    staging.bytes.set(c.record.id, imageBytes(c));
  }
  staging.keys.push(...entries.map(([k]) => k));
}

/** Change staged records before the commit (the audit's dataset-level flags). */
export async function updateStagedCase(
  kv: Kv,
  staging: CaseStaging,
  caseId: string,
  change: (rec: CaseRecord) => CaseRecord,
): Promise<void> {
  if (!staging.bytes.has(caseId)) throw new Error(`case ${caseId} is not staged in this add`);
  try {
    await kv.update<StoredCase>(caseKey(staging.datasetId, caseId), (old) => {
      if (!old) throw new NotFoundError(`staged case ${caseId} is missing from the store`);
      const rec = change(old.record);
      if (rec.id !== caseId) throw new Error(`a case id cannot change (${caseId} -> ${rec.id})`);
      return { ...old, record: rec };
    });
  } catch (e) {
    throw await asStorageFull(e, 'add the files again');
  }
}

/** Meta fields an add may set (the landmark set, when the dataset had none). */
export type AddMetaPatch = Partial<Pick<DatasetMeta, 'landmarkSet' | 'landmarkFormat'>>;

/**
 * List every staged case in one manifest update: the add becomes visible at once, or (on any
 * error, e.g. StorageFullError) not at all. Throws when a staged id was listed meanwhile.
 */
export async function commitCaseStaging(
  kv: Kv,
  staging: CaseStaging,
  patch: AddMetaPatch = {},
): Promise<DatasetSummary> {
  const { datasetId } = staging;
  let out: DatasetManifest | undefined;
  try {
    await kv.update<DatasetManifest>(manifestKey(datasetId), (old) => {
      if (!old || old.state !== 'ready')
        throw new NotFoundError(`dataset ${datasetId} was deleted while files were being added`);
      const listed = new Set(old.caseIds);
      const clash = staging.ids.find((id) => listed.has(id));
      if (clash) throw new Error(`case ${clash} was added to dataset ${datasetId} by another add meanwhile`);
      const caseIds = old.caseIds.concat(staging.ids);
      const added = staging.ids.reduce((sum, id) => sum + (staging.bytes.get(id) ?? 0), 0);
      out = {
        ...old,
        meta: { ...old.meta, ...patch, caseCount: caseIds.length },
        caseIds,
        bytesOnDisk: old.bytesOnDisk + added,
        updatedAt: new Date().toISOString(),
      };
      return out;
    });
  } catch (e) {
    throw await asStorageFull(e, 'add the files again');
  }
  return summary(out!);
}

/** Remove everything staged (cancel, full disk, failed commit). Best effort; repairDataset finishes. */
export async function discardCaseStaging(kv: Kv, staging: CaseStaging): Promise<void> {
  for (const part of chunks(staging.keys, 500)) await kv.delMany(part).catch(() => undefined);
  staging.ids.length = 0;
  staging.keys.length = 0;
  staging.bytes.clear();
}

// ---------------------------------------------------------------------------------------------
// Re-split

export interface ResplitResult {
  dataset: DatasetSummary;
  /** The new split of every case. */
  splits: Record<string, CaseSplit>;
  /** Cases whose split changed. */
  moved: string[];
  /** The evaluation list now stored. */
  evalList: EvalList;
  /** List cases dealt into train, removed from the list. */
  evalLeft: string[];
  /** List cases now in test (kept in the list). */
  evalInTest: string[];
}

/**
 * Re-split the whole dataset with a seed and ratios (core planResplit): the moved case records and
 * the manifest (seed, ratios, evaluation list) are written in ONE transaction, so a full disk
 * leaves the dataset as it was. Call it while holding the dataset's import lock (no add may
 * commit meanwhile).
 */
export async function resplitDataset(
  kv: Kv,
  datasetId: string,
  opts: { seed: number; ratios: SplitRatios; now?: Date },
): Promise<ResplitResult> {
  const m = await readyManifest(kv, datasetId);
  const stored: StoredCase[] = [];
  for (const part of chunks(m.caseIds, 500)) stored.push(...(await getCases(kv, datasetId, part)));
  const plan = planResplit(
    stored.map((c) => ({
      id: c.record.id,
      split: c.record.split,
      paired: !!c.record.photoSize && !!c.record.xraySize,
    })),
    m.meta.evalList,
    opts,
  );
  const movedSet = new Set(plan.moved);
  const entries: [string, unknown][] = stored
    .filter((c) => movedSet.has(c.record.id))
    .map((c) => [
      caseKey(datasetId, c.record.id),
      { ...c, record: { ...c.record, split: plan.splits[c.record.id] } } satisfies StoredCase,
    ]);
  const manifest: DatasetManifest = {
    ...m,
    meta: {
      ...m.meta,
      splitSeed: opts.seed,
      splitRatios: { ...opts.ratios },
      splitsFromFolders: false,
      evalList: plan.evalList,
    },
    updatedAt: (opts.now ?? new Date()).toISOString(),
  };
  entries.push([manifestKey(datasetId), manifest]);
  try {
    await kv.setMany(entries);
  } catch (e) {
    throw await asStorageFull(e, 're-split again');
  }
  return {
    dataset: summary(manifest),
    splits: plan.splits,
    moved: plan.moved,
    evalList: plan.evalList,
    evalLeft: plan.evalLeft,
    evalInTest: plan.evalInTest,
  };
}

/** The dataset's case ids in import order (the manifest's list). */
export async function listCaseIds(kv: Kv, datasetId: string): Promise<string[]> {
  return (await readyManifest(kv, datasetId)).caseIds;
}

/** One page of cases (records only, no Blobs), in import order. */
export async function listCases(
  kv: Kv,
  datasetId: string,
  page: { offset?: number; limit?: number } = {},
): Promise<{ total: number; cases: StoredCase[] }> {
  const m = await readyManifest(kv, datasetId);
  const offset = Math.max(0, page.offset ?? 0);
  const limit = Math.max(0, page.limit ?? 100);
  const ids = m.caseIds.slice(offset, offset + limit);
  return { total: m.caseIds.length, cases: await getCases(kv, datasetId, ids) };
}

/** Records of the given (listed) cases; throws when one is missing from the store. */
export async function getCases(kv: Kv, datasetId: string, caseIds: readonly string[]): Promise<StoredCase[]> {
  const recs = await kv.getMany<StoredCase>(caseIds.map((id) => caseKey(datasetId, id)));
  return recs.map((r, i) => {
    if (!r) throw new NotFoundError(`case ${caseIds[i]} of dataset ${datasetId} is missing from the store`);
    return r;
  });
}

export async function getCase(kv: Kv, datasetId: string, caseId: string): Promise<StoredCase | undefined> {
  const m = await readyManifest(kv, datasetId);
  if (!m.caseIds.includes(caseId)) return undefined;
  return kv.get<StoredCase>(caseKey(datasetId, caseId));
}

/** The original image file of a case (a Blob; read lazily by the browser). */
export async function getCaseImage(
  kv: Kv,
  datasetId: string,
  caseId: string,
  role: StoredImageRole,
): Promise<Blob | undefined> {
  assertId(datasetId, 'dataset');
  assertId(caseId, 'case');
  return kv.get<Blob>(imgKey(datasetId, caseId, role));
}

/** Change one case record atomically (landmarks, flags, split, state). The id cannot change. */
export async function updateCase(
  kv: Kv,
  datasetId: string,
  caseId: string,
  change: (rec: CaseRecord) => CaseRecord,
): Promise<CaseRecord> {
  assertId(datasetId, 'dataset');
  let out: CaseRecord | undefined;
  await kv.update<StoredCase>(caseKey(datasetId, caseId), (old) => {
    if (!old) throw new NotFoundError(`case ${caseId} of dataset ${datasetId} does not exist`);
    const rec = change(old.record);
    if (rec.id !== caseId) throw new Error(`a case id cannot change (${caseId} -> ${rec.id})`);
    out = rec;
    return { ...old, record: rec };
  });
  await touch(kv, datasetId);
  return out!;
}

/**
 * Give one case ground-truth landmarks (original X-ray pixels, in `set` order), e.g. from a tracing
 * of a real X-ray made in the studio. The dataset's landmark set becomes `set` when it had none; a
 * dataset with another set (other symbols) is refused. The case record, the manifest and the
 * caller's `extra` entries (the tracing record) are written in ONE transaction: all or nothing.
 * A full disk throws StorageFullError and changes nothing.
 *
 * The manifest and the case are read in that same transaction (`Kv.updateMany`), so an add, a
 * delete, a re-split or a case edit committed by another tab (or the import worker) a moment
 * before is kept, never overwritten with a stale copy.
 */
export async function setCaseLandmarks(
  kv: Kv,
  datasetId: string,
  caseId: string,
  points: readonly Point[],
  set: LandmarkSetInfo,
  extra: ReadonlyArray<readonly [string, unknown]> = [],
): Promise<CaseRecord> {
  assertId(datasetId, 'dataset');
  assertId(caseId, 'case');
  if (
    points.length !== set.symbols.length ||
    points.some((p) => !(Number.isFinite(p[0]) && Number.isFinite(p[1])))
  )
    throw new Error(
      `case ${caseId}: ground truth needs all ${set.symbols.length} landmarks as finite pixel coordinates (got ${points.length})`,
    );
  const mKey = manifestKey(datasetId);
  const cKey = caseKey(datasetId, caseId);
  let record: CaseRecord | undefined;
  const change = (manifest: DatasetManifest | undefined, stored: StoredCase | undefined) => {
    if (!manifest || manifest.state !== 'ready')
      throw new NotFoundError(`dataset ${datasetId} does not exist (it may have been deleted)`);
    if (!manifest.caseIds.includes(caseId) || !stored)
      throw new NotFoundError(`case ${caseId} of dataset ${datasetId} does not exist`);
    const own = manifest.meta.landmarkSet;
    if (own && own.symbols.join(',') !== set.symbols.join(','))
      throw new Error(
        `dataset "${manifest.meta.name}" uses the landmark set ${own.id} (${own.symbols.length} landmarks); ` +
          `landmarks of the set ${set.id} (${set.symbols.length}) cannot become its ground truth`,
      );
    record = { ...stored.record, landmarks: points.map((p) => [p[0], p[1]] as Point) };
    const nextManifest: DatasetManifest = {
      ...manifest,
      meta: { ...manifest.meta, landmarkSet: own ?? { ...set } },
      updatedAt: new Date().toISOString(),
    };
    return [...extra, [cKey, { ...stored, record }], [mKey, nextManifest]] as [string, unknown][];
  };
  try {
    if (kv.updateMany) {
      await kv.updateMany([mKey, cKey], ([m, c]) =>
        change(m as DatasetManifest | undefined, c as StoredCase | undefined),
      );
    } else {
      // a Kv without multi-key transactions (hand-made in tests): read, then write in one transaction
      const [m, c] = await kv.getMany<unknown>([mKey, cKey]);
      await kv.setMany(change(m as DatasetManifest | undefined, c as StoredCase | undefined));
    }
  } catch (e) {
    throw await asStorageFull(e, 'save the tracing again');
  }
  if (!record) throw new Error('unreachable: the landmark updater did not run');
  return record;
}

/** Exclude (with a reason) or include a case. */
export async function setCaseExclusion(
  kv: Kv,
  datasetId: string,
  caseId: string,
  excluded: boolean,
  reason?: string,
): Promise<CaseRecord> {
  if (excluded && !reason?.trim()) {
    throw new Error(
      `Excluding case "${caseId}" needs a reason (for example "wrong patient", "motion blur").`,
    );
  }
  return updateCase(kv, datasetId, caseId, (rec) => setCaseExcluded(rec, excluded, reason));
}

async function touch(kv: Kv, datasetId: string): Promise<void> {
  await kv.update<DatasetManifest>(manifestKey(datasetId), (old) => {
    if (!old) throw new NotFoundError(`dataset ${datasetId} does not exist`);
    return { ...old, updatedAt: new Date().toISOString() };
  });
}

/**
 * Delete a dataset: its cases, original images and cached tensors, and nothing else. The manifest
 * is first marked `deleting` (it disappears from lists at once), removed last.
 */
export async function deleteDataset(
  storage: Pick<StudioStorage, 'datasets' | 'tensors'>,
  datasetId: string,
): Promise<boolean> {
  assertId(datasetId, 'dataset');
  const kv = storage.datasets;
  const key = manifestKey(datasetId);
  const current = await kv.get<DatasetManifest>(key);
  if (!current) return false;
  await kv.update<DatasetManifest>(key, (old) => ({ ...(old ?? current), state: 'deleting' }));
  await deleteUnder(kv, `case/${datasetId}/`);
  await deleteUnder(kv, `img/${datasetId}/`);
  await deleteUnder(kv, `tracing/${datasetId}/`);
  await deleteTensorCache(storage.tensors, datasetId);
  await kv.del(key);
  return true;
}

/** Complete deletes interrupted by a crash or a closed tab. Returns the ids finished. */
export async function finishPendingDeletes(
  storage: Pick<StudioStorage, 'datasets' | 'tensors'>,
): Promise<string[]> {
  const keys = await keysUnder(storage.datasets, 'manifest/');
  const ms = await storage.datasets.getMany<DatasetManifest>(keys);
  const done: string[] = [];
  for (const m of ms) {
    if (m && m.state === 'deleting') {
      await deleteDataset(storage, m.meta.id);
      done.push(m.meta.id);
    }
  }
  return done;
}

/**
 * Remove records and images of cases not listed in the manifest (left by a crash between a batch
 * and its manifest update). Call when no import into this dataset is running. Returns how many.
 */
export async function repairDataset(kv: Kv, datasetId: string): Promise<number> {
  const listed = new Set((await readyManifest(kv, datasetId)).caseIds);
  const orphans = new Set<string>();
  for (const prefix of [`case/${datasetId}/`, `img/${datasetId}/`]) {
    for (const k of await keysUnder(kv, prefix)) {
      const caseId = k.split('/')[2];
      if (!listed.has(caseId)) orphans.add(caseId);
    }
  }
  for (const caseId of orphans) {
    await kv.delMany([caseKey(datasetId, caseId), ...IMAGE_ROLES.map((r) => imgKey(datasetId, caseId, r))]);
  }
  return orphans.size;
}
