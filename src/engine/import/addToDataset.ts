/**
 * Adding files to an existing dataset (`runAddToDataset`): the same reading as a new import
 * (readCases.ts), all or nothing — the cases are staged as unlisted records and listed in one
 * manifest update, so cancel or a full disk leaves the dataset as it was; duplicates of stored cases
 * (same id, or a near-identical image) are reported, and the new cases get splits that keep the
 * dataset's ratios and its fixed evaluation list.
 */
import type { AuditFlag, CaseRecord, CaseSplit, LandmarkSetInfo } from '../../core/data/dataset';
import { landmarkSetInfo } from '../../core/data/dataset';
import { auditDataset, type CaseFeatures } from '../../core/data/audit';
import { ISBI_SET } from '../../core/data/landmarkSet';
import type { LayoutPlan } from '../../core/data/layout';
import { hammingDistance } from '../../core/data/phash';
import { splitsForAddedCases } from '../../core/data/splits';
import { ISBI_LANDMARK_COUNT } from '../../core/io/landmarks';
import {
  beginCaseStaging,
  commitCaseStaging,
  discardCaseStaging,
  getCases,
  getDataset,
  listCaseIds,
  stageCases,
  type StoredCase,
  updateStagedCase,
} from '../../store/datasets';
import { NotFoundError, StorageFullError } from '../../store/errors';
import type { FileIndex } from './fileIndex';
import {
  type AddSummary,
  type DuplicateCase,
  type ImportDeps,
  type ImportOutcome,
  notStoredEntry,
  plannedFiles,
  plannedPair,
  readAndStoreCases,
  readLandmarkCsv,
  reportCsvUse,
  reportPlanProblems,
  safeCaseIds,
  startSession,
  unreachedEntries,
} from './readCases';

/** The planned cases whose ids are already in the dataset (what an add will skip). */
export function findDuplicateCases(plan: LayoutPlan, existingIds: Iterable<string>): DuplicateCase[] {
  const have = new Set(existingIds);
  const ids = safeCaseIds(plan.cases.map((c) => c.id));
  return plan.cases
    .filter((c) => have.has(ids.get(c.id)!))
    .map((c) => ({ caseId: ids.get(c.id)!, files: plannedFiles(c) }));
}

/** Largest pHash distance (bits) at which an added case is flagged as a copy of a stored one. */
export const STORED_DUPLICATE_BITS = 2;

/**
 * Near-duplicate flags of added cases against the stored ones. Stored cases keep only their
 * perceptual hashes (not the thumbnails the import's audit confirms with), so this is strict: every
 * image kind both cases have must be within `maxBits` (re-saved copies: 0-2 bits; films of
 * different patients from one device: 4 or more, see phash.ts). Only the added case is flagged.
 */
export function storedDuplicateFlags(
  added: readonly CaseFeatures[],
  stored: readonly Pick<CaseRecord, 'id' | 'phash'>[],
  maxBits = STORED_DUPLICATE_BITS,
): Map<string, AuditFlag[]> {
  const out = new Map<string, AuditFlag[]>();
  for (const a of added) {
    for (const b of stored) {
      const which: string[] = [];
      const bits: number[] = [];
      let ok = true;
      for (const kind of ['xray', 'photo'] as const) {
        const ha = a[kind]?.phash;
        const hb = b.phash?.[kind];
        if (!ha || !hb) continue;
        const d = hammingDistance(ha, hb);
        if (d > maxBits) {
          ok = false;
          break;
        }
        which.push(kind === 'photo' ? 'photo' : 'X-ray');
        bits.push(d);
      }
      if (!ok || !which.length) continue;
      const list = out.get(a.id) ?? [];
      list.push({
        code: 'near-duplicate',
        severity: 'warning',
        caseId: a.id,
        params: {
          variant: which.length > 1 ? 'stored-both' : which[0] === 'photo' ? 'stored-photo' : 'stored-xray',
          other: b.id,
          bits: bits.join(' / '),
          maxBits,
        },
        details: { other: b.id, images: which, hashBits: bits },
      });
      out.set(a.id, list);
    }
  }
  return out;
}

export interface AddOutcome extends ImportOutcome {
  added: AddSummary;
}

/**
 * Add the cases of a plan to an existing dataset, all or nothing. Cases whose id is already in the
 * dataset are skipped and reported (a stored case is never overwritten). The others are read and
 * audited like an import, with the dataset's landmark set and pixel spacing (its preprocessing
 * applies to every case at training time), dealt to splits by the dataset's seed and ratios
 * without moving any existing case, staged, and listed in one manifest update at the end. The
 * fixed evaluation list is not changed. A cancel or a full disk discards everything staged: the
 * dataset is exactly as it was (`stored` is 0). Hold the dataset's import lock while this runs.
 */
export async function runAddToDataset(
  index: FileIndex,
  plan: LayoutPlan,
  datasetId: string,
  deps: Omit<ImportDeps, 'datasetId'>,
): Promise<AddOutcome> {
  const kv = deps.storage.datasets;
  const signal = deps.signal;
  const batchSize = Math.max(1, deps.batchSize ?? 8);
  const ds = await getDataset(kv, datasetId);
  if (!ds) throw new NotFoundError(`dataset ${datasetId} does not exist (it may have been deleted)`);
  const existingIds = await listCaseIds(kv, datasetId);
  const existing: StoredCase[] = [];
  for (let i = 0; i < existingIds.length; i += 500)
    existing.push(...(await getCases(kv, datasetId, existingIds.slice(i, i + 500))));

  const duplicates = findDuplicateCases(plan, existingIds);
  const dupIds = new Set(duplicates.map((d) => d.caseId));
  const ids = safeCaseIds(plan.cases.map((c) => c.id));
  const toRead = plan.cases.filter((c) => !dupIds.has(ids.get(c.id)!));
  const s = startSession(ds.name, toRead.length, deps);
  s.progress('preparing');
  const unpairedFiles = reportPlanProblems(plan, s);
  for (const d of duplicates)
    for (const f of d.files)
      s.add({
        path: f,
        status: 'skipped',
        caseId: d.caseId,
        code: 'duplicate-case',
        message:
          `${f}: case "${d.caseId}" is already in this dataset, so this file was not added ` +
          `(a stored case is never overwritten). If it is another patient, rename the file ` +
          `(for example ${d.caseId}-2) and add it again.`,
      });

  // landmarks: the dataset's set when it has one
  const format = plan.landmarkFormat;
  const landmarkSet: LandmarkSetInfo | null =
    ds.landmarkSet ?? (format && format !== 'aariz-json' ? landmarkSetInfo(ISBI_SET) : null);
  const expected: number | null = ds.landmarkSet
    ? ds.landmarkSet.symbols.length
    : format === 'aariz-json'
      ? null
      : ISBI_LANDMARK_COUNT;
  const csv = await readLandmarkCsv(index, plan, s, signal);
  const csvUsed = new Set<string>();

  // splits: existing cases keep theirs; new ones by the dataset's seeded rule (folder splits kept)
  const splits = splitsForAddedCases(
    existing.map((c) => ({
      id: c.record.id,
      split: c.record.split,
      paired: !!c.record.photoSize && !!c.record.xraySize,
    })),
    toRead.map((c) => ({
      id: ids.get(c.id)!,
      paired: plannedPair(c),
      ...(c.split ? { split: c.split } : {}),
    })),
    { seed: ds.splitSeed, ratios: ds.splitRatios },
  );

  const staging = await beginCaseStaging(kv, datasetId);
  // read, stage, audit and commit; anything unexpected discards what was staged, then rethrows
  const stageAuditCommit = async () => {
    const loop = await readAndStoreCases(
      {
        index,
        cases: toRead,
        ids,
        splits,
        decode: deps.decode,
        signal,
        batchSize,
        landmarks: { expected, landmarkSet, csv, csvUsed, unpairedFiles },
        store: (batch) => stageCases(kv, staging, batch),
        storeOnCancel: false,
      },
      s,
    );
    let storageFull = loop.storageFull;
    let cancelled = loop.cancelled;

    // dataset-level audit of the staged cases (among themselves, and hashes against the stored ones)
    if (!cancelled && !storageFull && staging.ids.length) {
      s.progress('audit');
      const staged = loop.features.filter((f) => loop.storedIds.has(f.id));
      const audit = auditDataset(staged, { expectedLandmarks: loop.expected });
      const vsStored = storedDuplicateFlags(
        staged,
        existing.map((c) => c.record),
      );
      try {
        for (const f of staged) {
          const all = [...(audit.byCase[f.id] ?? []), ...(vsStored.get(f.id) ?? [])];
          if (all.length === f.flags.length) continue;
          await updateStagedCase(kv, staging, f.id, (rec) => ({ ...rec, flags: all }));
        }
      } catch (e) {
        if (!(e instanceof StorageFullError)) throw e;
        storageFull = e;
      }
    }
    if (!cancelled && signal?.aborted) cancelled = true; // a cancel during the audit still counts

    // commit (one manifest update) or discard
    let committed = false;
    if (!cancelled && !storageFull && staging.ids.length) {
      s.progress('finishing');
      const patch =
        !ds.landmarkSet && loop.landmarkSet ? { landmarkSet: loop.landmarkSet, landmarkFormat: format } : {};
      try {
        await commitCaseStaging(kv, staging, patch);
        committed = true;
      } catch (e) {
        await discardCaseStaging(kv, staging);
        if (!(e instanceof StorageFullError)) throw e;
        storageFull = e;
      }
    }
    if (!committed) await discardCaseStaging(kv, staging);
    return { loop, storageFull, cancelled, committed };
  };
  let run: Awaited<ReturnType<typeof stageAuditCommit>>;
  try {
    run = await stageAuditCommit();
  } catch (e) {
    await discardCaseStaging(kv, staging);
    throw e;
  }
  const { loop, storageFull, cancelled, committed } = run;

  const why = storageFull ? 'add-storage-full' : 'add-cancelled';
  if (committed) s.entries.push(...loop.storedEntries);
  else {
    for (const e of [...loop.storedEntries, ...loop.lostEntries]) s.add(notStoredEntry(e, why));
  }
  if (cancelled || storageFull) {
    const reached = new Set<string>(s.entries.map((e) => e.path));
    for (const e of unreachedEntries(toRead.slice(loop.reached), reached, why)) s.add(e);
  }
  reportCsvUse(plan, csv, csvUsed, s);

  const counts: Record<CaseSplit, number> = { train: 0, val: 0, test: 0 };
  if (committed) for (const id of loop.storedIds) counts[splits[id]]++;
  s.report.finishedAt = new Date(s.now()).toISOString();
  if (cancelled) s.report.cancelled = true;
  const after = (await getDataset(kv, datasetId)) ?? null;
  return {
    report: s.report,
    dataset: after,
    stored: committed ? loop.storedIds.size : 0,
    usable: committed ? [...loop.usableIds].filter((id) => loop.storedIds.has(id)).length : 0,
    cancelled,
    storageFull,
    elapsedMs: s.now() - s.t0,
    added: { datasetId, duplicates, splits: counts, evalListVersion: ds.evalList.version },
  };
}
