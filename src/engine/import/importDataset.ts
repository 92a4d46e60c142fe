/**
 * A new dataset from dropped files (`runImport`), framework-free:
 *
 *   plan (core detectLayout, `planImport`) → per case: read, decode, landmarks, audit (readCases.ts)
 *   → store in batches (one transaction each) → dataset-level audit (orientation, duplicates,
 *   exposure outliers) → the fixed evaluation list → the import report.
 *
 * Guarantees
 * - Every planned case with at least one readable image is stored, with flags saying what is wrong
 *   (unpaired, unreadable, landmarks); the training loader skips cases without both images.
 *   Nothing is deleted or excluded by the import.
 * - A cancel stores the cases already read (one last batch) and stops; a full disk
 *   (StorageFullError) stops with the batches committed so far. Either way the dataset is
 *   consistent (the store lists only complete batches) and the report says what was not imported.
 * - Only the new dataset is written; nothing already stored changes.
 */
import type { CaseSplit, DatasetMeta, LandmarkSetInfo } from '../../core/data/dataset';
import { createDatasetMeta, landmarkSetInfo } from '../../core/data/dataset';
import { auditDataset } from '../../core/data/audit';
import { ISBI_SET } from '../../core/data/landmarkSet';
import { detectLayout, type LayoutOptions, type LayoutPlan } from '../../core/data/layout';
import { DEFAULT_PREPROCESS, type PreprocessSpec } from '../../core/data/preprocess';
import {
  assignSplits,
  chooseEvalList,
  EVAL_LIST_SIZE,
  type EvalList,
  proposedSplitRatios,
  type SplitRatios,
} from '../../core/data/splits';
import { ISBI_LANDMARK_COUNT } from '../../core/io/landmarks';
import {
  addCases,
  createDataset,
  getDataset,
  newDatasetId,
  updateCase,
  updateDatasetMeta,
} from '../../store/datasets';
import { isQuotaError, StorageFullError } from '../../store/errors';
import type { FileIndex } from './fileIndex';
import {
  type CaseLoopResult,
  type ImportDeps,
  type ImportOutcome,
  notStoredEntry,
  plannedPair,
  readAndStoreCases,
  readLandmarkCsv,
  reportCsvUse,
  reportPlanProblems,
  safeCaseIds,
  startSession,
  unreachedEntries,
} from './readCases';

export interface ImportSettings {
  name: string;
  /** X-ray pixel spacing, mm per original pixel (default 0.1). */
  mmPerPx?: number;
  preprocessing?: PreprocessSpec;
  splitSeed?: number;
  splitRatios?: SplitRatios;
}

/** Default dataset name from the drop: the common top folder or archive, else a dated name. */
export function defaultDatasetName(plan: LayoutPlan, now = new Date()): string {
  const top = plan.root.split('/').filter(Boolean).pop();
  if (top) return top.replace(/\.zip$/i, '');
  return `Import ${now.toISOString().slice(0, 16).replace('T', ' ')}`;
}

/** Build the plan for an index (the layout detection plus the index's own problems). */
export function planImport(index: FileIndex, opts: LayoutOptions = {}): LayoutPlan {
  const plan = detectLayout(
    index.files.map((f) => ({ path: f.path, size: f.size })),
    opts,
  );
  return { ...plan, problems: [...index.problems, ...plan.problems] };
}

/**
 * Run the import of a plan into a new dataset. Throws only for an abort before anything started
 * or a storage error other than a full disk; everything a user's files can cause is reported.
 */
export async function runImport(
  index: FileIndex,
  plan: LayoutPlan,
  settings: ImportSettings,
  deps: ImportDeps,
): Promise<ImportOutcome> {
  const kv = deps.storage.datasets;
  const signal = deps.signal;
  const batchSize = Math.max(1, deps.batchSize ?? 8);
  const s = startSession(settings.name, plan.cases.length, deps);
  s.progress('preparing');
  const unpairedFiles = reportPlanProblems(plan, s);

  // landmarks: the set, and one CSV for all cases
  const format = plan.landmarkFormat;
  const landmarkSet: LandmarkSetInfo | null =
    format === 'aariz-json' ? null : format ? landmarkSetInfo(ISBI_SET) : null;
  const expected: number | null = format === 'aariz-json' ? null : ISBI_LANDMARK_COUNT;
  const csv = await readLandmarkCsv(index, plan, s, signal);
  const csvUsed = new Set<string>();

  // ids and splits (folder splits are kept; the rest seeded)
  const ids = safeCaseIds(plan.cases.map((c) => c.id));
  const seed = settings.splitSeed ?? 42;
  // a small dataset gets a val split big enough to mean something (core/data/splits.ts)
  const ratios = settings.splitRatios ?? proposedSplitRatios(plan.cases.filter(plannedPair).length);
  const fixed: Record<string, CaseSplit> = {};
  for (const c of plan.cases) if (c.split) fixed[ids.get(c.id)!] = c.split;
  // complete pairs are split among themselves, so an unpaired file never takes a val slot
  const splits = {
    ...assignSplits(
      plan.cases.filter((c) => !plannedPair(c)).map((c) => ids.get(c.id)!),
      { seed, ratios, fixed },
    ),
    ...assignSplits(
      plan.cases.filter(plannedPair).map((c) => ids.get(c.id)!),
      { seed, ratios, fixed },
    ),
  };

  // the dataset
  const datasetId = deps.datasetId ?? newDatasetId();
  const placeholderEval: EvalList = { ids: [], seed, size: EVAL_LIST_SIZE, version: 0, history: [] };
  const meta: DatasetMeta = createDatasetMeta({
    id: datasetId,
    name: settings.name,
    layout: plan.kind,
    evalList: placeholderEval,
    landmarkSet,
    landmarkFormat: format,
    mmPerPx: settings.mmPerPx ?? 0.1,
    preprocessing: { ...(settings.preprocessing ?? DEFAULT_PREPROCESS) },
    splitSeed: seed,
    splitRatios: { ...ratios },
    splitsFromFolders: plan.splitsFromFolders,
  });
  let storageFull: StorageFullError | null = null;
  let created = false;
  try {
    await createDataset(kv, meta);
    created = true;
  } catch (e) {
    if (e instanceof StorageFullError || isQuotaError(e))
      storageFull = e instanceof StorageFullError ? e : new StorageFullError(null, null, 'import again', e);
    else throw e;
  }

  // cases: each batch is listed as soon as it is stored (a cancel keeps them)
  let loop: CaseLoopResult | null = null;
  if (created) {
    loop = await readAndStoreCases(
      {
        index,
        cases: plan.cases,
        ids,
        splits,
        decode: deps.decode,
        signal,
        batchSize,
        landmarks: { expected, landmarkSet, csv, csvUsed, unpairedFiles },
        store: async (batch) => void (await addCases(kv, datasetId, batch, { batchSize })),
        storeOnCancel: true,
      },
      s,
    );
    storageFull = loop.storageFull;
    s.entries.push(...loop.storedEntries);
    for (const e of loop.lostEntries) {
      if (e.status !== 'error') s.counts.errors++;
      s.entries.push(notStoredEntry(e, storageFull ? 'storage-full' : 'cancelled'));
    }
  }
  const cancelled = loop?.cancelled ?? false;

  // what was not reached
  if (cancelled || storageFull) {
    const reached = new Set<string>(s.entries.map((e) => e.path));
    for (const e of unreachedEntries(
      plan.cases.slice(loop?.reached ?? 0),
      reached,
      storageFull ? 'storage-full' : 'cancelled',
    ))
      s.add(e);
  }
  reportCsvUse(plan, csv, csvUsed, s);

  // dataset-level audit and the evaluation list (on what was stored)
  const stored = s.counts.stored;
  if (created && loop && stored > 0) {
    s.progress('audit');
    const storedFeatures = loop.features.filter((f) => loop.storedIds.has(f.id));
    const audit = auditDataset(storedFeatures, { expectedLandmarks: loop.expected });
    for (const f of storedFeatures) {
      const all = audit.byCase[f.id] ?? [];
      if (all.length === f.flags.length) continue;
      try {
        await updateCase(kv, datasetId, f.id, (rec) => ({ ...rec, flags: all }));
      } catch (e) {
        if (!isQuotaError(e)) throw e;
        storageFull ??= new StorageFullError(null, null, 'import again', e);
        break;
      }
    }
    s.progress('finishing');
    const valIds = [...loop.usableIds].filter((id) => loop.storedIds.has(id) && splits[id] === 'val');
    const evalList = chooseEvalList(valIds, seed, EVAL_LIST_SIZE, new Date(s.now()));
    try {
      await updateDatasetMeta(kv, datasetId, {
        evalList,
        landmarkSet: loop.landmarkSet,
        landmarkFormat: format,
      });
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      storageFull ??= new StorageFullError(null, null, 'import again', e);
    }
  }
  const usableCount = loop ? [...loop.usableIds].filter((id) => loop.storedIds.has(id)).length : 0;
  s.report.finishedAt = new Date(s.now()).toISOString();
  if (cancelled) s.report.cancelled = true;
  const dataset = created ? ((await getDataset(kv, datasetId)) ?? null) : null;
  return {
    report: s.report,
    dataset,
    stored,
    usable: usableCount,
    cancelled,
    storageFull,
    elapsedMs: s.now() - s.t0,
  };
}
