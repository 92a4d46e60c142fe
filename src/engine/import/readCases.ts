/**
 * Reading planned cases, shared by a new import (importDataset.ts) and adding files to a dataset
 * (addToDataset.ts), framework-free (the import worker runs it with the browser's decoder; Node tests
 * with fast-png / jpeg-js and fake-indexeddb): per case, read the files, check type and size limits
 * from the header, decode (exact pixels), split aligned images, parse landmarks, audit the case; the
 * case loop that stores them in batches (one transaction each, or staged for an add); the session's
 * progress and report; the outcome types both flows return.
 *
 * A bad file never stops the import: it becomes a line of the report (and an audit flag of its case),
 * the other files continue.
 */
import type {
  AuditFlag,
  CaseRecord,
  CaseSplit,
  FileProblem,
  ImportFileEntry,
  ImportReport,
  LandmarkSetInfo,
} from '../../core/data/dataset';
import { checkImageLimits, LIMITS } from '../../core/data/dataset';
import { auditCase, type AuditCaseInput, type CaseFeatures } from '../../core/data/audit';
import { caseBaseName, checkAlignedImage, type LayoutPlan, type PlannedCase } from '../../core/data/layout';
import { splitAlignedImage } from '../../core/data/preprocess';
import type { Point, RgbaImage } from '../../core/image';
import {
  ISBI_LANDMARK_COUNT,
  type ParsedLandmarkCsv,
  parseLandmarkCsv,
  parseLandmarkFile,
} from '../../core/io/landmarks';
import type { DatasetSummary, NewCase, NewImage } from '../../store/datasets';
import { StorageFullError } from '../../store/errors';
import type { StudioStorage } from '../../store/storage';
import type { FileIndex, ImportFileRef } from './fileIndex';
import { HEADER_BYTES, readImageHeader, type SniffedType } from './imageHeader';
import { ZipEntryError } from './zipIndex';

/** Decode an image file to exact 8-bit RGBA; throws with a short reason when it cannot. */
export type ImageDecoder = (blob: Blob, file: string) => Promise<RgbaImage>;

/** Largest landmark file read (a CSV of thousands of rows is well below 1 MB). */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

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

export function plannedFiles(c: PlannedCase): string[] {
  return [c.photoPath, c.xrayPath, c.alignedPath, c.landmarkPath].filter((p): p is string => !!p);
}

/** A planned case with both images (an aligned image, or a photo and an X-ray). */
export function plannedPair(c: PlannedCase): boolean {
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
    params: { variant: 'file', problem: p.message, file: p.file },
    details: { problem: p.code, ...(p.line ? { line: p.line } : {}) },
  };
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

export function startSession(name: string, total: number, deps: ImportDeps): Session {
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
export function reportPlanProblems(plan: LayoutPlan, s: Session): Set<string> {
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
export async function readLandmarkCsv(
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

export function reportCsvUse(
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

export interface CaseLoopResult {
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
export async function readAndStoreCases(o: CaseLoopOptions, s: Session): Promise<CaseLoopResult> {
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
export function notStoredEntry(
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
export function unreachedEntries(
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

/** A planned case whose (storage-safe) id is already in the dataset: it is skipped, never stored. */
export interface DuplicateCase {
  /** The stored case id it collides with. */
  caseId: string;
  /** Its files in the drop. */
  files: string[];
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
