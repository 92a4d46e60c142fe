/**
 * The data model of an imported dataset, shared by the import worker, the IndexedDB store and
 * the Data UI: dataset metadata, case records, per-case user state (exclusion), audit flags,
 * file problems, the import report (with Markdown / CSV export) and the input limits.
 *
 * Conventions
 * - `photo` is input A, `xray` is target B. A case is one photo/xray pair with its landmarks.
 * - Landmarks are stored in ORIGINAL X-ray pixel coordinates (continuous, x right, y down;
 *   see preprocess.ts for the pixel-centre convention) and only mapped to a preprocessed
 *   image on demand, so a change of preprocessing never touches stored data.
 * - Everything here is plain data (structured-clone safe): no classes, no functions, no Blobs.
 *   The store keeps the image Blobs beside these records.
 */
import type { Point, RgbaImage } from '../image';
import type { LandmarkSet } from './landmarkSet';
import type { Params } from '../messages/form';
import type { PreprocessSpec } from './preprocess';
import { DEFAULT_PREPROCESS } from './preprocess';
import {
  DEFAULT_SPLIT_RATIOS,
  type CaseSplit,
  type EvalList,
  type FileProblem,
  type LandmarkFormat,
  type LayoutKind,
  type Severity,
  type SplitRatios,
} from './types';

export { CASE_SPLITS } from './types';
export type { CaseSplit, FileProblem, LandmarkFormat, Severity } from './types';

/** Bump when the stored shape of DatasetMeta / CaseRecord changes; the store migrates. */
export const SCHEMA_VERSION = 2;

/** Pixel spacing used when the user has not entered one (ISBI 2015 films: 0.1 mm/px). */
export const DEFAULT_MM_PER_PX = 0.1;

/** Every audit flag code (see audit.ts for what each means and its severity). */
export type AuditCode =
  | 'unpaired'
  | 'unreadable'
  | 'aspect-mismatch'
  | 'size-mismatch'
  | 'aligned-not-pair'
  | 'photo-orientation'
  | 'xray-mirrored'
  | 'device-border'
  | 'ruler'
  | 'burned-in-label'
  | 'too-dark'
  | 'too-bright'
  | 'low-contrast'
  | 'exposure-outlier'
  | 'near-duplicate'
  | 'landmarks-outside'
  | 'landmark-count';

export type FlagDetail = number | string | boolean | number[] | string[];

/** One audit finding. The audit never deletes or excludes anything; it only informs. */
export interface AuditFlag {
  code: AuditCode;
  severity: Severity;
  caseId: string;
  /** The file the flag concerns, when it concerns one image. */
  file?: string;
  /**
   * The numbers of its sentence: the sentence is the message `auditFlagMessage(flag)`
   * (core/messages/audit.ts; `params.variant` picks the form), rendered en/zh by `messageText`.
   * Nothing is stored as prose (schema 2; schema 1 stored `message` + `messageZh`, migrated).
   */
  params: Params;
  /** The measured numbers (all with their unit in the key, e.g. `meanLuma_255`). */
  details: Record<string, FlagDetail>;
}

/** The user's decision about a case. Exclusion is always the user's, with a reason. */
export interface CaseState {
  excluded: boolean;
  reason?: string;
  /** ISO time of the last change. */
  changedAt?: string;
}

export interface ImageSize {
  width: number;
  height: number;
}

/** The landmark set stored with a dataset: names and order as in the annotation files. */
export interface LandmarkSetInfo {
  id: string;
  /** Short symbols (`S`, `N`, ...), in file order. */
  symbols: string[];
  /** Full names (`Sella`, ...), in file order. */
  names: string[];
}

/** The stored landmark-set description for a core LandmarkSet (e.g. ISBI_SET). */
export function landmarkSetInfo(set: LandmarkSet): LandmarkSetInfo {
  return {
    id: set.id,
    symbols: set.landmarks.map((l) => l.id),
    names: set.landmarks.map((l) => l.name),
  };
}

/** Where each case's data came from (paths relative to the dropped folder / ZIP root). */
export interface CaseSource {
  photoPath?: string;
  xrayPath?: string;
  /** Aligned layout: one image, photo left half, X-ray right half. */
  alignedPath?: string;
  landmarkPath?: string;
}

/** One case as stored (images are Blobs in the store, keyed by dataset id + case id). */
export interface CaseRecord {
  id: string;
  split: CaseSplit;
  source: CaseSource;
  /** Original size of the photo (for aligned: of its left half); null when missing/unreadable. */
  photoSize: ImageSize | null;
  xraySize: ImageSize | null;
  /** In original X-ray pixels, in landmark-set order; null when the case has none. */
  landmarks: Point[] | null;
  /** Perceptual hashes (16 hex digits, phash.ts) for near-duplicate checks against new imports. */
  phash?: { photo?: string; xray?: string };
  flags: AuditFlag[];
  state: CaseState;
}

/** A case with decoded images in memory (import, audit, tests, the CLI). */
export interface Case {
  id: string;
  split: CaseSplit;
  photo: RgbaImage | null;
  xray: RgbaImage | null;
  landmarks: Point[] | null;
}

export interface DatasetMeta {
  id: string;
  name: string;
  /** ISO time. */
  createdAt: string;
  caseCount: number;
  layout: LayoutKind;
  landmarkSet: LandmarkSetInfo | null;
  landmarkFormat: LandmarkFormat | null;
  /** Pixel spacing of the X-rays in mm per original pixel (editable; default 0.1). */
  mmPerPx: number;
  /** Preprocessing used when a run does not override it. */
  preprocessing: PreprocessSpec;
  splitSeed: number;
  splitRatios: SplitRatios;
  /** True when splits came from train/ val/ test/ folders of the import. */
  splitsFromFolders: boolean;
  /** The fixed evaluation list (splits.ts): chosen once, edited only explicitly. */
  evalList: EvalList;
  schemaVersion: number;
}

export interface Dataset {
  meta: DatasetMeta;
  cases: CaseRecord[];
}

/** Fill the defaults of a new dataset's metadata. */
export function createDatasetMeta(
  init: Pick<DatasetMeta, 'id' | 'name' | 'layout' | 'evalList'> & Partial<DatasetMeta>,
): DatasetMeta {
  return {
    createdAt: new Date().toISOString(),
    caseCount: 0,
    landmarkSet: null,
    landmarkFormat: null,
    mmPerPx: DEFAULT_MM_PER_PX,
    preprocessing: { ...DEFAULT_PREPROCESS },
    splitSeed: 42,
    splitRatios: { ...DEFAULT_SPLIT_RATIOS },
    splitsFromFolders: false,
    schemaVersion: SCHEMA_VERSION,
    ...init,
  };
}

/** Change a case's exclusion; excluding requires a reason (returns a new record). */
export function setCaseExcluded(
  rec: CaseRecord,
  excluded: boolean,
  reason?: string,
  now = new Date(),
): CaseRecord {
  if (excluded && !(reason && reason.trim())) {
    throw new Error(
      `Excluding case "${rec.id}" needs a reason (for example "wrong patient", "motion blur").`,
    );
  }
  return {
    ...rec,
    state: { excluded, reason: excluded ? reason!.trim() : undefined, changedAt: now.toISOString() },
  };
}

// ---------------------------------------------------------------------------------------------
// Import report

export type ImportStatus = 'imported' | 'skipped' | 'error';

export interface ImportFileEntry {
  path: string;
  status: ImportStatus;
  message: string;
  caseId?: string;
}

export interface ImportReport {
  datasetName: string;
  /** ISO times. */
  startedAt: string;
  finishedAt?: string;
  /** True when the user cancelled; the cases imported before the cancel are kept. */
  cancelled?: boolean;
  files: ImportFileEntry[];
}

export function importReportCounts(report: ImportReport): Record<ImportStatus, number> {
  const c: Record<ImportStatus, number> = { imported: 0, skipped: 0, error: 0 };
  for (const f of report.files) c[f.status]++;
  return c;
}

function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The report as Markdown: a heading, counts, then one table row per file (errors first). */
export function importReportToMarkdown(report: ImportReport): string {
  const c = importReportCounts(report);
  const order: Record<ImportStatus, number> = { error: 0, skipped: 1, imported: 2 };
  const rows = [...report.files].sort(
    (a, b) => order[a.status] - order[b.status] || a.path.localeCompare(b.path),
  );
  const lines = [
    `# Import report: ${mdCell(report.datasetName)}`,
    '',
    `Started ${report.startedAt}${report.finishedAt ? `, finished ${report.finishedAt}` : ''}` +
      `${report.cancelled ? ' (cancelled by the user; the files imported before the cancel are kept)' : ''}.`,
    '',
    `${c.imported} imported, ${c.skipped} skipped, ${c.error} with errors (${report.files.length} files).`,
    '',
    '| file | status | case | message |',
    '|---|---|---|---|',
    ...rows.map(
      (f) => `| ${mdCell(f.path)} | ${f.status} | ${mdCell(f.caseId ?? '')} | ${mdCell(f.message)} |`,
    ),
  ];
  return lines.join('\n') + '\n';
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report as CSV (RFC 4180): `path,status,case,message`. */
export function importReportToCsv(report: ImportReport): string {
  const lines = ['path,status,case,message'];
  for (const f of report.files) {
    lines.push([f.path, f.status, f.caseId ?? '', f.message].map(csvCell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// Limits

export const LIMITS = {
  /** Largest accepted image side in pixels. */
  maxSidePx: 8192,
  /** Largest accepted image file in bytes (50 MB). */
  maxImageBytes: 50 * 1024 * 1024,
  /** Largest total uncompressed size of a ZIP (4 GiB). */
  maxZipTotalBytes: 4 * 1024 * 1024 * 1024,
  /** Most entries in a ZIP. */
  maxZipEntries: 100_000,
} as const;

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Check one image against the limits; returns a problem (error) or null.
 * Pass width = height = 0 when the size is not known yet (file size only).
 */
export function checkImageLimits(
  name: string,
  width: number,
  height: number,
  bytes: number,
): FileProblem | null {
  if (bytes > LIMITS.maxImageBytes) {
    return {
      file: name,
      code: 'file-too-large',
      severity: 'error',
      message:
        `${name}: the file is ${mb(bytes)}, above the limit of ${mb(LIMITS.maxImageBytes)} per image. ` +
        'Export it as PNG or JPEG at the film resolution (cephalograms are usually below 10 MB).',
    };
  }
  if (width > LIMITS.maxSidePx || height > LIMITS.maxSidePx) {
    return {
      file: name,
      code: 'image-too-large',
      severity: 'error',
      message:
        `${name}: the image is ${width} × ${height} px, above the limit of ${LIMITS.maxSidePx} px per side. ` +
        `Reduce it to at most ${LIMITS.maxSidePx} px per side before importing.`,
    };
  }
  if (!(width >= 0 && height >= 0) || !Number.isInteger(width) || !Number.isInteger(height)) {
    return {
      file: name,
      code: 'unreadable',
      severity: 'error',
      message: `${name}: the image reports an invalid size ${width} × ${height} px. Export it again.`,
    };
  }
  return null;
}

/**
 * Check a ZIP's central directory totals before extracting (zip-bomb guard); returns a problem
 * (error) or null. `totalUncompressedBytes` is the sum of the entries' declared sizes.
 */
export function checkZipLimits(
  name: string,
  entryCount: number,
  totalUncompressedBytes: number,
): FileProblem | null {
  if (entryCount > LIMITS.maxZipEntries) {
    return {
      file: name,
      code: 'zip-too-many-entries',
      severity: 'error',
      message:
        `${name}: the ZIP holds ${entryCount.toLocaleString('en-US')} files, above the limit of ` +
        `${LIMITS.maxZipEntries.toLocaleString('en-US')}. Split it into several ZIPs or drop the folder instead.`,
    };
  }
  if (totalUncompressedBytes > LIMITS.maxZipTotalBytes) {
    return {
      file: name,
      code: 'zip-too-large',
      severity: 'error',
      message:
        `${name}: the ZIP expands to ${(totalUncompressedBytes / 1024 ** 3).toFixed(1)} GB, above the limit of ` +
        `${LIMITS.maxZipTotalBytes / 1024 ** 3} GB. Split it into several ZIPs or drop the folder instead.`,
    };
  }
  return null;
}
