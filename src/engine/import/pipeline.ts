/**
 * The import itself, framework-free (the import worker runs it with the browser's decoder; Node
 * tests run it with fast-png / jpeg-js and fake-indexeddb):
 *
 *   plan (core detectLayout) → per case: read the files, check type and size limits from the
 *   header, decode (exact pixels), split aligned images, parse landmarks, audit the case →
 *   store in batches (one transaction each) → dataset-level audit (orientation, duplicates,
 *   exposure outliers) → the fixed evaluation list → the import report.
 *
 * Guarantees
 * - A bad file never stops the import: it becomes a line of the report (and an audit flag of its
 *   case), the other files continue. Every planned case with at least one readable image is stored,
 *   with flags saying what is wrong (unpaired, unreadable, landmarks); the training loader skips
 *   cases without both images. Nothing is deleted or excluded by the import.
 * - A cancel stores the cases already read (one last batch) and stops; a full disk
 *   (StorageFullError) stops with the batches committed so far. Either way the dataset is
 *   consistent (the store lists only complete batches) and the report says what was not imported.
 * - Only the new dataset is written; nothing already stored changes.
 */
import type {
  AuditFlag,
  CaseRecord,
  CaseSplit,
  DatasetMeta,
  FileProblem,
  ImportFileEntry,
  ImportReport,
  LandmarkSetInfo,
} from '../../core/data/dataset';
import { checkImageLimits, createDatasetMeta, landmarkSetInfo, LIMITS } from '../../core/data/dataset';
import { auditCase, auditDataset, type AuditCaseInput, type CaseFeatures } from '../../core/data/audit';
import { ISBI_SET } from '../../core/data/landmarkSet';
import {
  caseBaseName,
  checkAlignedImage,
  detectLayout,
  type LayoutOptions,
  type LayoutPlan,
  type PlannedCase,
} from '../../core/data/layout';
import { DEFAULT_PREPROCESS, splitAlignedImage, type PreprocessSpec } from '../../core/data/preprocess';
import { hammingDistance } from '../../core/data/phash';
import {
  assignSplits,
  chooseEvalList,
  proposedSplitRatios,
  EVAL_LIST_SIZE,
  splitsForAddedCases,
  type EvalList,
  type SplitRatios,
} from '../../core/data/splits';
import type { Point, RgbaImage } from '../../core/image';
import {
  ISBI_LANDMARK_COUNT,
  parseLandmarkCsv,
  parseLandmarkFile,
  type ParsedLandmarkCsv,
} from '../../core/io/landmarks';
import {
  addCases,
  beginCaseStaging,
  commitCaseStaging,
  createDataset,
  discardCaseStaging,
  getCases,
  getDataset,
  listCaseIds,
  newDatasetId,
  stageCases,
  updateCase,
  updateDatasetMeta,
  updateStagedCase,
  type DatasetSummary,
  type NewCase,
  type NewImage,
  type StoredCase,
} from '../../store/datasets';
import { isQuotaError, NotFoundError, StorageFullError } from '../../store/errors';
import type { StudioStorage } from '../../store/storage';
import type { FileIndex, ImportFileRef } from './fileIndex';
import { HEADER_BYTES, readImageHeader, type SniffedType } from './imageHeader';
import { ZipEntryError } from './zipIndex';

/** Decode an image file to exact 8-bit RGBA; throws with a short reason when it cannot. */
export type ImageDecoder = (blob: Blob, file: string) => Promise<RgbaImage>;

/** Largest landmark file read (a CSV of thousands of rows is well below 1 MB). */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

export interface ImportSettings {
  name: string;
  /** X-ray pixel spacing, mm per original pixel (default 0.1). */
  mmPerPx?: number;
  preprocessing?: PreprocessSpec;
  splitSeed?: number;
  splitRatios?: SplitRatios;
}

/** `finishing`: an import chooses the evaluation list; an add lists its cases in the dataset. */
export type ImportPhase = 'preparing' | 'cases' | 'audit' | 'finishing';

export interface ImportProgress {
  phase: ImportPhase;
  /** Cases read (decoded and audited) so far. */
  done: number;
  total: number;
  /** Cases committed to storage. */
  stored: number;
  /** Files with an error so far. */
  errors: number;
  /** Estimated time left, ms (null until two cases are done). */
  etaMs: number | null;
  /** The case being read. */
  current?: string;
}

/** A report line with the stable problem code (for translated display). */
export interface ReportEntry extends ImportFileEntry {
  code?: string;
  line?: number;
}

/** The core's ImportReport whose lines carry problem codes. */
export interface CodedImportReport extends Omit<ImportReport, 'files'> {
  files: ReportEntry[];
}

export interface ImportOutcome {
  report: CodedImportReport;
  /** The new dataset (null when nothing could be stored, e.g. the disk was full at once). */
  dataset: DatasetSummary | null;
  /** Cases stored. */
  stored: number;
  /** Cases stored with both images (usable for training unless the user excludes them). */
  usable: number;
  cancelled: boolean;
  /** Set when the import stopped because storage was full. */
  storageFull: StorageFullError | null;
  /** Time taken, ms. */
  elapsedMs: number;
  /** Set for an add into an existing dataset (runAddToDataset). */
  added?: AddSummary;
}

export interface ImportDeps {
  storage: Pick<StudioStorage, 'datasets'>;
  decode: ImageDecoder;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  /** Cases per storage transaction (default 8). */
  batchSize?: number;
  /** Dataset id (default: a new time-sortable id). */
  datasetId?: string;
  now?: () => number;
}

const MIME: Record<SniffedType, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  bmp: 'image/bmp',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  dicom: 'application/dicom',
};

const ID_OK = /^[A-Za-z0-9_.-]{1,128}$/;

function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36).padStart(7, '0');
}

/**
 * Storage-safe case ids (letters, digits, `_ . -`, at most 128) for the planned ids, unique.
 * Ids that are already safe stay as they are; others (folders, spaces, Chinese names) become the
 * safe characters plus a short hash of the original (`张三 001` → `_001-0k3j9x2`).
 */
export function safeCaseIds(ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const id of ids) if (ID_OK.test(id)) used.add(id);
  for (const id of ids) {
    if (ID_OK.test(id)) {
      out.set(id, id);
      continue;
    }
    const base = id.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 110) || 'case';
    let safe = `${base}-${shortHash(id)}`;
    for (let k = 2; used.has(safe); k++) safe = `${base}-${shortHash(`${id}#${k}`)}`;
    used.add(safe);
    out.set(id, safe);
  }
  return out;
}

/** Default dataset name from the drop: the common top folder or archive, else a dated name. */
export function defaultDatasetName(plan: LayoutPlan, now = new Date()): string {
  const top = plan.root.split('/').filter(Boolean).pop();
  if (top) return top.replace(/\.zip$/i, '');
  return `Import ${now.toISOString().slice(0, 16).replace('T', ' ')}`;
}

function plannedFiles(c: PlannedCase): string[] {
  return [c.photoPath, c.xrayPath, c.alignedPath, c.landmarkPath].filter((p): p is string => !!p);
}

/** A planned case with both images (an aligned image, or a photo and an X-ray). */
function plannedPair(c: PlannedCase): boolean {
  return !!c.alignedPath || (!!c.photoPath && !!c.xrayPath);
}

type ImageLoad = { ok: true; image: RgbaImage; stored: NewImage } | { ok: false; problem: FileProblem };

function problem(file: string, code: string, message: string): FileProblem {
  return { file, code, severity: 'error', message };
}

/** Read, check and decode one image file. Never throws except for an abort. */
async function loadImage(ref: ImportFileRef, decode: ImageDecoder, signal?: AbortSignal): Promise<ImageLoad> {
  const path = ref.path;
  const pre = checkImageLimits(path, 0, 0, ref.size);
  if (pre) return { ok: false, problem: pre };
  let blob: Blob;
  try {
    blob = await ref.open({ maxBytes: LIMITS.maxImageBytes, signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    if (e instanceof ZipEntryError) return { ok: false, problem: e.problem };
    return {
      ok: false,
      problem: problem(
        path,
        'unreadable',
        `${path}: the file cannot be read (${errText(e)}). Copy it again.`,
      ),
    };
  }
  const limit = checkImageLimits(path, 0, 0, blob.size);
  if (limit) return { ok: false, problem: limit };
  const head = readImageHeader(new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer()));
  if (head.type === 'dicom') {
    return {
      ok: false,
      problem: problem(
        path,
        'unsupported-dicom',
        `${path}: this is a DICOM file. DICOM is not supported: export PNG from your DICOM viewer and import the PNG files.`,
      ),
    };
  }
  if (head.type === 'gif' || head.type === 'tiff') {
    return {
      ok: false,
      problem: problem(
        path,
        'unsupported-format',
        `${path}: a ${head.type.toUpperCase()} image, which is not supported. Convert it to PNG (lossless) and import again.`,
      ),
    };
  }
  if (head.type === null) {
    return {
      ok: false,
      problem: problem(
        path,
        'unreadable',
        `${path}: the content is not a PNG, JPEG, BMP or WebP image (damaged, or another kind of file with an image name). Export it again.`,
      ),
    };
  }
  if (head.width !== null && head.height !== null) {
    const p = checkImageLimits(path, head.width, head.height, blob.size);
    if (p) return { ok: false, problem: p };
  }
  let image: RgbaImage;
  try {
    image = await decode(blob, path);
  } catch (e) {
    if (signal?.aborted) throw e;
    return {
      ok: false,
      problem: problem(
        path,
        'unreadable',
        `${path}: the image cannot be decoded (${errText(e)}); the file is damaged or incomplete. Export it again.`,
      ),
    };
  }
  const after = checkImageLimits(path, image.width, image.height, blob.size);
  if (after) return { ok: false, problem: after };
  if (image.width < 1 || image.height < 1) {
    return {
      ok: false,
      problem: problem(path, 'unreadable', `${path}: the image is empty (0 px). Export it again.`),
    };
  }
  const mime = MIME[head.type];
  const typed = blob.type === mime ? blob : new Blob([blob], { type: mime });
  return { ok: true, image, stored: { blob: typed, fileName: path, mime } };
}

async function readText(
  ref: ImportFileRef,
  signal?: AbortSignal,
): Promise<{ ok: true; text: string } | { ok: false; problem: FileProblem }> {
  if (ref.size > MAX_TEXT_BYTES) {
    return {
      ok: false,
      problem: problem(
        ref.path,
        'file-too-large',
        `${ref.path}: ${(ref.size / 1024 ** 2).toFixed(1)} MB is too large for a landmark file; check that it is the right file.`,
      ),
    };
  }
  try {
    const blob = await ref.open({ maxBytes: MAX_TEXT_BYTES, signal });
    return { ok: true, text: await blob.text() };
  } catch (e) {
    if (signal?.aborted) throw e;
    if (e instanceof ZipEntryError) return { ok: false, problem: e.problem };
    return {
      ok: false,
      problem: problem(ref.path, 'unreadable', `${ref.path}: the file cannot be read (${errText(e)}).`),
    };
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function landmarkFlag(caseId: string, p: FileProblem): AuditFlag {
  return {
    code: 'landmark-count',
    severity: 'error',
    caseId,
    file: p.file,
    message: `${p.message} The case is imported without landmarks.`,
    messageZh: `标志点文件 ${p.file} 无法使用（数量不对或含非数字内容，详见导入报告）；该病例导入时不带标志点。`,
    details: { problem: p.code, ...(p.line ? { line: p.line } : {}) },
  };
}

/** Build the plan for an index (the layout detection plus the index's own problems). */
export function planImport(index: FileIndex, opts: LayoutOptions = {}): LayoutPlan {
  const plan = detectLayout(
    index.files.map((f) => ({ path: f.path, size: f.size })),
    opts,
  );
  return { ...plan, problems: [...index.problems, ...plan.problems] };
}

interface CaseResult {
  newCase: NewCase | null;
  features: CaseFeatures | null;
  usable: boolean;
  entries: ReportEntry[];
  landmarkSet?: LandmarkSetInfo;
}

/** The report and progress of one run (import or add). */
interface Session {
  entries: ReportEntry[];
  report: CodedImportReport;
  counts: { done: number; total: number; stored: number; errors: number; caseTimeStart: number };
  add(e: ReportEntry): void;
  progress(phase: ImportPhase, current?: string): void;
  now: () => number;
  t0: number;
}

function startSession(name: string, total: number, deps: ImportDeps): Session {
  const now = deps.now ?? Date.now;
  const t0 = now();
  const entries: ReportEntry[] = [];
  const counts = { done: 0, total, stored: 0, errors: 0, caseTimeStart: 0 };
  return {
    entries,
    report: { datasetName: name, startedAt: new Date(t0).toISOString(), files: entries },
    counts,
    now,
    t0,
    add(e) {
      if (e.status === 'error') counts.errors++;
      entries.push(e);
    },
    progress(phase, current) {
      const { done, stored, errors } = counts;
      let etaMs: number | null = null;
      if (phase === 'cases' && done >= 2) etaMs = ((now() - counts.caseTimeStart) / done) * (total - done);
      deps.onProgress?.({ phase, done, total, stored, errors, etaMs, ...(current ? { current } : {}) });
    },
  };
}

/** Report the plan's own problems and hidden files; returns the files that lack a partner. */
function reportPlanProblems(plan: LayoutPlan, s: Session): Set<string> {
  const unpairedFiles = new Set<string>();
  for (const p of plan.problems) {
    if (p.code === 'unpaired') {
      unpairedFiles.add(p.file);
      continue;
    }
    s.add({
      path: p.file,
      status: p.severity === 'error' ? 'error' : 'skipped',
      message: p.message,
      code: p.code,
      ...(p.line ? { line: p.line } : {}),
    });
  }
  for (const f of plan.ignored)
    s.add({ path: f, status: 'skipped', message: `${f}: hidden or system file; skipped.`, code: 'hidden' });
  return unpairedFiles;
}

/** Read and parse the plan's one landmark CSV (null when there is none or it cannot be read). */
async function readLandmarkCsv(
  index: FileIndex,
  plan: LayoutPlan,
  s: Session,
  signal?: AbortSignal,
): Promise<ParsedLandmarkCsv | null> {
  if (!plan.landmarkCsvPath) return null;
  const ref = index.byPath.get(plan.landmarkCsvPath);
  const text = ref ? await readText(ref, signal) : null;
  if (text && text.ok) {
    const csv = parseLandmarkCsv(text.text, plan.landmarkCsvPath, { expected: ISBI_LANDMARK_COUNT });
    for (const p of csv.problems) {
      s.add({
        path: p.file,
        status: p.severity === 'error' ? 'error' : 'skipped',
        message: p.message,
        code: p.code,
        ...(p.line ? { line: p.line } : {}),
      });
    }
    return csv;
  }
  if (text && !text.ok)
    s.add({
      path: text.problem.file,
      status: 'error',
      message: text.problem.message,
      code: text.problem.code,
    });
  return null;
}

function reportCsvUse(
  plan: LayoutPlan,
  csv: ParsedLandmarkCsv | null,
  csvUsed: Set<string>,
  s: Session,
): void {
  if (!csv || !plan.landmarkCsvPath) return;
  const unmatched = csv.rows.filter((r) => !csvUsed.has(r.caseKey));
  s.add({
    path: plan.landmarkCsvPath,
    status: csvUsed.size ? 'imported' : 'skipped',
    message:
      `${plan.landmarkCsvPath}: landmarks for ${csvUsed.size} case(s)` +
      (unmatched.length
        ? `; ${unmatched.length} row(s) name no imported case (${unmatched
            .slice(0, 3)
            .map((r) => r.imagePath)
            .join(', ')}${unmatched.length > 3 ? ', …' : ''}).`
        : '.'),
    code: 'landmark-csv',
  });
}

interface CaseLoopOptions {
  index: FileIndex;
  /** The planned cases to read, in order. */
  cases: readonly PlannedCase[];
  ids: Map<string, string>;
  splits: Record<string, CaseSplit>;
  decode: ImageDecoder;
  signal?: AbortSignal;
  batchSize: number;
  landmarks: {
    expected: number | null;
    landmarkSet: LandmarkSetInfo | null;
    csv: ParsedLandmarkCsv | null;
    csvUsed: Set<string>;
    unpairedFiles: Set<string>;
  };
  /** Store one batch; throws StorageFullError when the disk is full (the loop stops). */
  store: (batch: NewCase[]) => Promise<void>;
  /** Store the cases already read when the user cancels (import: yes; add: pointless). */
  storeOnCancel: boolean;
}

interface CaseLoopResult {
  features: CaseFeatures[];
  storedIds: Set<string>;
  usableIds: Set<string>;
  /** Report lines of the stored cases (held back: an add may still discard them). */
  storedEntries: ReportEntry[];
  /** Report lines of cases read but not stored because the disk was full. */
  lostEntries: ReportEntry[];
  /** Planned cases reached (read or tried), from the start of `cases`. */
  reached: number;
  cancelled: boolean;
  storageFull: StorageFullError | null;
  landmarkSet: LandmarkSetInfo | null;
  expected: number | null;
}

/** Read each planned case (decode, landmarks, per-case audit) and store them in batches. */
async function readAndStoreCases(o: CaseLoopOptions, s: Session): Promise<CaseLoopResult> {
  const lm = o.landmarks;
  let landmarkSet = lm.landmarkSet;
  let expected = lm.expected;
  const features: CaseFeatures[] = [];
  const storedIds = new Set<string>();
  const usableIds = new Set<string>();
  const storedEntries: ReportEntry[] = [];
  const lostEntries: ReportEntry[] = [];
  let pending: { nc: NewCase; entries: ReportEntry[] }[] = [];
  let cancelled = false;
  let storageFull: StorageFullError | null = null;
  const flush = async (): Promise<void> => {
    if (!pending.length || storageFull) return;
    const batch = pending;
    pending = [];
    try {
      await o.store(batch.map((b) => b.nc));
      s.counts.stored += batch.length;
      for (const b of batch) {
        storedEntries.push(...b.entries);
        storedIds.add(b.nc.record.id);
      }
    } catch (e) {
      if (!(e instanceof StorageFullError)) throw e;
      storageFull = e;
      for (const b of batch) lostEntries.push(...b.entries);
    }
  };

  s.counts.caseTimeStart = s.now();
  for (const pc of o.cases) {
    if (storageFull) break;
    if (o.signal?.aborted) {
      cancelled = true;
      break;
    }
    const id = o.ids.get(pc.id)!;
    s.progress('cases', pc.id);
    let r: CaseResult;
    try {
      r = await readCase(pc, id, o.splits[id] ?? 'train', o.index, o.decode, {
        signal: o.signal,
        expected,
        csv: lm.csv,
        csvUsed: lm.csvUsed,
        unpairedFiles: lm.unpairedFiles,
        landmarkSet,
      });
    } catch (e) {
      if (o.signal?.aborted) {
        cancelled = true;
        break;
      }
      throw e;
    }
    if (r.landmarkSet && !landmarkSet) {
      landmarkSet = r.landmarkSet;
      expected = r.landmarkSet.symbols.length;
    }
    s.counts.done++;
    if (r.newCase && r.features) {
      features.push(r.features);
      if (r.usable) usableIds.add(id);
      pending.push({ nc: r.newCase, entries: r.entries });
      for (const e of r.entries) if (e.status === 'error') s.counts.errors++;
    } else {
      for (const e of r.entries) s.add(e);
    }
    if (pending.length >= o.batchSize) await flush();
    s.progress('cases');
  }
  if (o.signal?.aborted && s.counts.done < o.cases.length) cancelled = true;
  if (!storageFull && (!cancelled || o.storeOnCancel)) await flush();
  for (const b of pending) lostEntries.push(...b.entries); // read after a cancel, not stored
  return {
    features,
    storedIds,
    usableIds,
    storedEntries,
    lostEntries,
    reached: s.counts.done,
    cancelled,
    storageFull,
    landmarkSet,
    expected,
  };
}

/** The report lines of files that were read (or planned) but did not become part of the dataset. */
function notStoredEntry(
  e: ReportEntry,
  why: 'storage-full' | 'cancelled' | 'add-storage-full' | 'add-cancelled',
): ReportEntry {
  const message =
    why === 'storage-full'
      ? `${e.path}: not imported: the browser's storage is full. Free space, then import this file again.`
      : why === 'cancelled'
        ? `${e.path}: not imported: the import was cancelled before this case.`
        : why === 'add-storage-full'
          ? `${e.path}: not added: the browser's storage is full, so nothing of this add was kept and the dataset is as it was. Free space, then add the files again.`
          : `${e.path}: not added: the add was cancelled, so nothing of it was kept and the dataset is as it was.`;
  return {
    path: e.path,
    ...(e.caseId ? { caseId: e.caseId } : {}),
    status: why === 'cancelled' || why === 'add-cancelled' ? 'skipped' : 'error',
    message,
    code: why,
  };
}

/** Lines for the planned files of cases never reached (after a cancel or a full disk). */
function unreachedEntries(
  cases: readonly PlannedCase[],
  reached: Set<string>,
  why: 'storage-full' | 'cancelled' | 'add-storage-full' | 'add-cancelled',
): ReportEntry[] {
  const out: ReportEntry[] = [];
  for (const pc of cases)
    for (const f of plannedFiles(pc))
      if (!reached.has(f)) out.push(notStoredEntry({ path: f, status: 'skipped', message: '' }, why));
  return out;
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

// ---------------------------------------------------------------------------------------------
// Adding files to an existing dataset

/** A planned case whose (storage-safe) id is already in the dataset: it is skipped, never stored. */
export interface DuplicateCase {
  /** The stored case id it collides with. */
  caseId: string;
  /** Its files in the drop. */
  files: string[];
}

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
        message:
          `Possibly the same case as the stored case "${b.id}": the ${which.join(' and the ')} ` +
          `${which.length > 1 ? 'are' : 'is'} almost identical (perceptual hash ${bits.join(' / ')} bits apart; ` +
          `copies differ by 0-${maxBits}). Compare the two cases and exclude one if they are the same patient.`,
        messageZh: `可能与已保存的病例 "${b.id}" 是同一病例（${which
          .map((w) => (w === 'photo' ? '照片' : 'X线片'))
          .join(
            '和',
          )}几乎相同，感知哈希相差 ${bits.join(' / ')} 位）。请对比这两个病例，若为同一患者请排除其一。`,
        details: { other: b.id, images: which, hashBits: bits },
      });
      out.set(a.id, list);
    }
  }
  return out;
}

/** What an add reports beyond the import's outcome. */
export interface AddSummary {
  datasetId: string;
  /** Planned cases skipped because their id is already in the dataset. */
  duplicates: DuplicateCase[];
  /** Splits the added cases went to (all zero when nothing was added). */
  splits: Record<CaseSplit, number>;
  /** The evaluation list's version, unchanged by the add. */
  evalListVersion: number;
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

interface ReadCaseOptions {
  signal?: AbortSignal;
  expected: number | null;
  csv: ParsedLandmarkCsv | null;
  csvUsed: Set<string>;
  unpairedFiles: Set<string>;
  landmarkSet: LandmarkSetInfo | null;
}

/** Read one planned case: images, landmarks, per-case audit. */
async function readCase(
  pc: PlannedCase,
  id: string,
  split: CaseSplit,
  index: FileIndex,
  decode: ImageDecoder,
  o: ReadCaseOptions,
): Promise<CaseResult> {
  const entries: ReportEntry[] = [];
  const unreadable: { file: string; message: string }[] = [];
  const images: NewCase['images'] = {};
  let photo: RgbaImage | null = null;
  let xray: RgbaImage | null = null;
  const caseName = pc.id === id ? `"${id}"` : `"${pc.id}" (stored as ${id})`;

  const fail = (p: FileProblem): void => {
    unreadable.push({ file: p.file, message: p.message });
    entries.push({ path: p.file, status: 'error', message: p.message, code: p.code, caseId: id });
  };
  const load = async (path: string): Promise<ImageLoad> => {
    const ref = index.byPath.get(path);
    if (!ref)
      return {
        ok: false,
        problem: problem(path, 'unreadable', `${path}: the file disappeared before it could be read.`),
      };
    return loadImage(ref, decode, o.signal);
  };

  if (pc.alignedPath) {
    const r = await load(pc.alignedPath);
    if (r.ok) {
      const bad = checkAlignedImage(pc.alignedPath, r.image.width, r.image.height);
      if (bad) fail(bad);
      else {
        const halves = splitAlignedImage(r.image);
        photo = halves.photo;
        xray = halves.xray;
        images.aligned = r.stored;
        entries.push({
          path: pc.alignedPath,
          status: 'imported',
          message: `Case ${caseName}: photo and X-ray side by side, ${r.image.width} × ${r.image.height} px.`,
          caseId: id,
        });
      }
    } else fail(r.problem);
  } else {
    for (const role of ['photo', 'xray'] as const) {
      const path = role === 'photo' ? pc.photoPath : pc.xrayPath;
      if (!path) continue;
      const r = await load(path);
      if (!r.ok) {
        fail(r.problem);
        continue;
      }
      if (role === 'photo') photo = r.image;
      else xray = r.image;
      images[role] = r.stored;
      const what = role === 'photo' ? 'Photo' : 'X-ray';
      if (o.unpairedFiles.has(path)) {
        const lacks = role === 'photo' ? 'X-ray' : 'photo';
        entries.push({
          path,
          status: 'error',
          message: `${path}: ${what.toLowerCase()} of case ${caseName} has no ${lacks} with the same name; stored with the flag "unpaired", not used for training.`,
          code: 'unpaired',
          caseId: id,
        });
      } else {
        entries.push({
          path,
          status: 'imported',
          message: `${what} of case ${caseName}, ${r.image.width} × ${r.image.height} px.`,
          caseId: id,
        });
      }
    }
  }

  // landmarks
  let landmarks: Point[] | null = null;
  const extraFlags: AuditFlag[] = [];
  let foundSet: LandmarkSetInfo | undefined;
  if (pc.landmarkPath) {
    const ref = index.byPath.get(pc.landmarkPath);
    const text = ref ? await readText(ref, o.signal) : null;
    if (text && text.ok) {
      const parsed = parseLandmarkFile(pc.landmarkPath, text.text, { expected: o.expected });
      const errs = parsed.problems.filter((p) => p.severity === 'error');
      if (parsed.points && !errs.length) {
        landmarks = parsed.points;
        if (!o.landmarkSet && parsed.symbols && parsed.names) {
          foundSet = { id: `file-${parsed.symbols.length}`, symbols: parsed.symbols, names: parsed.names };
        }
        const info = parsed.problems.filter((p) => p.severity !== 'error').map((p) => p.message);
        entries.push({
          path: pc.landmarkPath,
          status: 'imported',
          message: `${landmarks.length} landmarks of case ${caseName}.${info.length ? ` ${info.join(' ')}` : ''}`,
          caseId: id,
        });
      } else {
        const first =
          errs[0] ??
          problem(pc.landmarkPath, 'landmark-count', `${pc.landmarkPath}: no landmarks could be read.`);
        for (const p of errs.length ? errs : [first]) {
          entries.push({
            path: p.file,
            status: 'error',
            message: `${p.message} The case is imported without landmarks.`,
            code: p.code,
            caseId: id,
            ...(p.line ? { line: p.line } : {}),
          });
        }
        extraFlags.push(landmarkFlag(id, first));
      }
    } else if (text && !text.ok) {
      entries.push({
        path: text.problem.file,
        status: 'error',
        message: text.problem.message,
        code: text.problem.code,
        caseId: id,
      });
      extraFlags.push(landmarkFlag(id, text.problem));
    }
  } else if (o.csv) {
    const keys = [pc.xrayPath, pc.alignedPath, pc.photoPath]
      .filter((p): p is string => !!p)
      .map(caseBaseName);
    keys.push(pc.id, pc.id.split('/').pop() ?? pc.id);
    const key = keys.find((k) => o.csv!.byCase.has(k));
    if (key) {
      landmarks = o.csv.byCase.get(key)!;
      o.csvUsed.add(key);
    }
  }

  if (!photo && !xray) {
    // nothing readable: the files are in the report, no case is stored
    return { newCase: null, features: null, usable: false, entries };
  }
  const input: AuditCaseInput = {
    id,
    photo,
    xray,
    ...(pc.photoPath ? { photoFile: pc.photoPath } : pc.alignedPath ? { photoFile: pc.alignedPath } : {}),
    ...(pc.xrayPath ? { xrayFile: pc.xrayPath } : pc.alignedPath ? { xrayFile: pc.alignedPath } : {}),
    unreadable,
    landmarks,
    ...(pc.landmarkPath ? { landmarkFile: pc.landmarkPath } : {}),
  };
  const features = auditCase(input, { expectedLandmarks: o.expected ?? foundSet?.symbols.length ?? null });
  features.flags.push(...extraFlags);
  const landmarkBad = features.flags.some((f) => f.code === 'landmark-count');
  const record: CaseRecord = {
    id,
    split,
    source: {
      ...(pc.photoPath ? { photoPath: pc.photoPath } : {}),
      ...(pc.xrayPath ? { xrayPath: pc.xrayPath } : {}),
      ...(pc.alignedPath ? { alignedPath: pc.alignedPath } : {}),
      ...(pc.landmarkPath ? { landmarkPath: pc.landmarkPath } : {}),
    },
    photoSize: photo ? { width: photo.width, height: photo.height } : null,
    xraySize: xray ? { width: xray.width, height: xray.height } : null,
    landmarks: landmarkBad ? null : landmarks,
    phash: {
      ...(features.photo ? { photo: features.photo.phash } : {}),
      ...(features.xray ? { xray: features.xray.phash } : {}),
    },
    flags: features.flags,
    state: { excluded: false },
  };
  return {
    newCase: { record, images },
    features,
    usable: !!photo && !!xray,
    entries,
    ...(foundSet ? { landmarkSet: foundSet } : {}),
  };
}
