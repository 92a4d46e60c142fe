/**
 * Tracings: landmarks a clinician placed by hand in the Landmarks section, one record per
 * (target, case). The target is the prediction of a stored checkpoint or the real X-ray itself.
 *
 * Keys (in the datasets database, beside the cases they belong to):
 *   tracing/<datasetId>/<caseId>/<target key>     TracingRecord
 * with target key `real` or `ckpt~<runId>~<encoded checkpoint name>`.
 *
 * They live in the datasets database so that saving a tracing of a REAL X-ray (a case without
 * landmarks) and writing it as that case's ground truth is one transaction (`setCaseLandmarks`).
 * The prefix is new in schema 1 (older data simply has no tracings), so no migration is needed;
 * deleting a dataset deletes its tracings.
 *
 * Points are in ORIGINAL X-ray pixels (continuous, pixel centres at +0.5), in `symbols` order;
 * null = "not identifiable". `assisted: 'groundTruth'` marks a review made from pre-placed ground
 * truth: it is kept and shown but never counted in error statistics and never becomes ground truth.
 */
import type { LandmarkSetInfo } from '../core/data/dataset';
import type { Point } from '../core/image';
import { parseTracingFile, writeTracingCsv, writeTracingText } from '../core/landmarks/tracingFile';
import { messageText, type Message } from '../core/messages';
import { setCaseLandmarks } from './datasets';
import { asStorageFull } from './errors';
import { newId } from './ids';
import { assertId, keysUnder, seg, unseg, type Kv } from './kv';

export type TracingTarget =
  { kind: 'checkpoint'; runId: string; name: string } | { kind: 'real'; datasetId: string };

export type TracingAssist = false | 'groundTruth' | 'detector';

export interface TracingRecord {
  id: string;
  datasetId: string;
  caseId: string;
  target: TracingTarget;
  /** Original X-ray pixels, in `symbols` order; null = not identifiable. */
  points: (Point | null)[];
  symbols: string[];
  tracer?: string;
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
  assisted: TracingAssist;
}

export interface NewTracing {
  datasetId: string;
  caseId: string;
  target: TracingTarget;
  points: readonly (Point | null)[];
  symbols: readonly string[];
  tracer?: string;
  assisted?: TracingAssist;
}

export interface SaveTracingOptions {
  /**
   * For a `real` target on a stored dataset: write a complete, unassisted tracing as the case's
   * ground truth (with this landmark set) in the same transaction.
   */
  groundTruth?: LandmarkSetInfo;
  nowMs?: number;
}

export interface SavedTracing {
  record: TracingRecord;
  /** True when the tracing became the case's ground-truth landmarks. */
  groundTruthWritten: boolean;
}

const CKPT_RE = /^ckpt~([A-Za-z0-9_.-]{1,128})~(.+)$/;

/** The key segment of a target. */
export function tracingTargetKey(target: TracingTarget): string {
  if (target.kind === 'real') return 'real';
  assertId(target.runId, 'run');
  if (!target.name) throw new Error('a checkpoint target needs the checkpoint name');
  return `ckpt~${target.runId}~${seg(target.name)}`;
}

/** Inverse of `tracingTargetKey` (the dataset id comes from the key's dataset segment). */
export function parseTracingTargetKey(key: string, datasetId: string): TracingTarget | null {
  if (key === 'real') return { kind: 'real', datasetId };
  const m = CKPT_RE.exec(key);
  return m ? { kind: 'checkpoint', runId: m[1], name: unseg(m[2]) } : null;
}

export function sameTarget(a: TracingTarget, b: TracingTarget): boolean {
  if (a.kind === 'real' || b.kind === 'real') return a.kind === b.kind && a.kind === 'real';
  return a.runId === b.runId && a.name === b.name;
}

export function tracingKey(datasetId: string, caseId: string, target: TracingTarget): string {
  assertId(datasetId, 'dataset');
  assertId(caseId, 'case');
  return `tracing/${datasetId}/${caseId}/${tracingTargetKey(target)}`;
}

/** How many landmarks were placed (not null). */
export function placedCount(points: readonly (Point | null)[]): number {
  return points.filter((p) => p !== null).length;
}

function checkTracing(t: NewTracing): void {
  if (t.points.length !== t.symbols.length)
    throw new Error(
      `a tracing of case ${t.caseId} has ${t.points.length} points for ${t.symbols.length} landmarks`,
    );
  if (t.symbols.length === 0) throw new Error(`a tracing of case ${t.caseId} needs at least one landmark`);
  t.points.forEach((p, i) => {
    if (p !== null && !(Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1])))
      throw new Error(
        `a tracing of case ${t.caseId}: landmark ${t.symbols[i]} is not a finite pixel coordinate`,
      );
  });
  if (t.target.kind === 'real' && t.target.datasetId !== t.datasetId)
    throw new Error(
      `a tracing of the real X-ray belongs to its own dataset (${t.target.datasetId} ≠ ${t.datasetId})`,
    );
}

/**
 * Store a tracing (a new one, or replace the one of the same target and case, keeping its id and
 * creation time). Atomic: one transaction. A full disk throws StorageFullError and the tracing
 * stored before (if any) is unchanged. See `SaveTracingOptions.groundTruth`.
 */
export async function saveTracing(
  kv: Kv,
  t: NewTracing,
  opts: SaveTracingOptions = {},
): Promise<SavedTracing> {
  checkTracing(t);
  const key = tracingKey(t.datasetId, t.caseId, t.target);
  const now = opts.nowMs ?? Date.now();
  const old = await kv.get<TracingRecord>(key);
  const tracer = t.tracer?.trim();
  const record: TracingRecord = {
    id: old?.id ?? newId('tr', now),
    datasetId: t.datasetId,
    caseId: t.caseId,
    target: { ...t.target },
    points: t.points.map((p) => (p ? ([p[0], p[1]] as Point) : null)),
    symbols: [...t.symbols],
    ...(tracer ? { tracer } : {}),
    createdAt: old?.createdAt ?? now,
    updatedAt: now,
    assisted: t.assisted ?? false,
  };
  const complete = record.points.every((p) => p !== null);
  if (opts.groundTruth && t.target.kind === 'real' && record.assisted === false && complete) {
    await setCaseLandmarks(kv, t.datasetId, t.caseId, record.points as Point[], opts.groundTruth, [
      [key, record],
    ]);
    return { record, groundTruthWritten: true };
  }
  try {
    await kv.setMany([[key, record]]);
  } catch (e) {
    throw await asStorageFull(e, 'save the tracing again');
  }
  return { record, groundTruthWritten: false };
}

export async function getTracing(
  kv: Kv,
  datasetId: string,
  caseId: string,
  target: TracingTarget,
): Promise<TracingRecord | undefined> {
  return kv.get<TracingRecord>(tracingKey(datasetId, caseId, target));
}

export interface ListTracingsOptions {
  /** Only this target's tracings. */
  target?: TracingTarget;
  /** Only this case's. */
  caseId?: string;
}

/** A dataset's tracings (optionally of one target / case), by case id then target key. */
export async function listTracings(
  kv: Kv,
  datasetId: string,
  opts: ListTracingsOptions = {},
): Promise<TracingRecord[]> {
  assertId(datasetId, 'dataset');
  if (opts.caseId !== undefined) assertId(opts.caseId, 'case');
  const prefix = `tracing/${datasetId}/${opts.caseId !== undefined ? `${opts.caseId}/` : ''}`;
  let keys = await keysUnder(kv, prefix);
  if (opts.target) {
    const tk = tracingTargetKey(opts.target);
    keys = keys.filter((k) => k.slice(k.lastIndexOf('/') + 1) === tk);
  }
  const out: TracingRecord[] = [];
  for (let i = 0; i < keys.length; i += 200) {
    for (const r of await kv.getMany<TracingRecord>(keys.slice(i, i + 200))) if (r) out.push(r);
  }
  return out;
}

/** Every tracing of every dataset (small records; for the section's overview). */
export async function listAllTracings(kv: Kv): Promise<TracingRecord[]> {
  const keys = await keysUnder(kv, 'tracing/');
  const out: TracingRecord[] = [];
  for (let i = 0; i < keys.length; i += 200) {
    for (const r of await kv.getMany<TracingRecord>(keys.slice(i, i + 200))) if (r) out.push(r);
  }
  return out;
}

/** Delete one tracing; returns whether there was one. Ground truth written from it stays. */
export async function deleteTracing(
  kv: Kv,
  datasetId: string,
  caseId: string,
  target: TracingTarget,
): Promise<boolean> {
  const key = tracingKey(datasetId, caseId, target);
  const old = await kv.get<TracingRecord>(key);
  if (!old) return false;
  await kv.del(key);
  return true;
}

/** Tracings that count in error statistics: hand-placed (not pre-placed from ground truth / a detector). */
export function countedTracings(records: readonly TracingRecord[]): TracingRecord[] {
  return records.filter((r) => r.assisted === false);
}

// ---------------------------------------------------------------------------------------------
// Files: export as ISBI text / CSV, import (refused as a whole, naming the file and the line)

/** A tracing file that cannot be imported; `message` is English, `text` the Message (render with `messageText`). */
export class TracingFileRefused extends Error {
  readonly file: string;
  readonly line?: number;
  readonly text: Message;
  constructor(file: string, text: Message, line?: number) {
    super(messageText(text, 'en'));
    this.name = 'TracingFileRefused';
    this.file = file;
    this.line = line;
    this.text = text;
  }
}

/** One tracing as an ISBI text file (original pixels, 2 decimals; `NaN,NaN` = not identifiable). */
export function tracingToText(rec: TracingRecord): string {
  return writeTracingText(rec.points, { decimals: 2 });
}

/** Tracings as one CSV (`image_path,1_x,1_y,…`; image_path = case id); all must have the same count. */
export function tracingsToCsv(recs: readonly TracingRecord[]): string {
  return writeTracingCsv(
    recs.map((r) => ({ imagePath: r.caseId, points: r.points })),
    { decimals: 2, count: recs[0]?.points.length },
  );
}

export interface ImportTracingsOptions {
  datasetId: string;
  target: TracingTarget;
  /** The dataset's landmark symbols: the file must have exactly this many per image. */
  symbols: readonly string[];
  /** Case ids of the dataset; rows are matched by base name (`images/001.jpg` -> `001`). */
  caseIds: readonly string[];
  tracer?: string;
  nowMs?: number;
}

/**
 * Import a tracing file (.txt: one image, named after its case; .csv: one row per image) as
 * tracings of `target`. Refused as a whole — nothing stored — when the file has the wrong landmark
 * count, a value that is not a number, or names a case the dataset lacks (TracingFileRefused names
 * the file and the line). All rows are written in one transaction.
 */
export async function importTracings(
  kv: Kv,
  file: string,
  text: string,
  opts: ImportTracingsOptions,
): Promise<TracingRecord[]> {
  const parsed = parseTracingFile(file, text, { expected: opts.symbols.length });
  if (!parsed.ok) throw new TracingFileRefused(parsed.error.file, parsed.error.message, parsed.error.line);
  const known = new Set(opts.caseIds);
  const now = opts.nowMs ?? Date.now();
  const keys: string[] = [];
  const rows = parsed.rows.map((row) => {
    if (!known.has(row.caseKey)) {
      throw new TracingFileRefused(
        file,
        row.line !== undefined
          ? { code: 'tracing.import.noCaseAtLine', params: { file, line: row.line, case: row.caseKey } }
          : { code: 'tracing.import.noCase', params: { file, case: row.caseKey } },
        row.line,
      );
    }
    keys.push(tracingKey(opts.datasetId, row.caseKey, opts.target));
    return row;
  });
  const old = await kv.getMany<TracingRecord>(keys);
  const tracer = opts.tracer?.trim();
  const records: TracingRecord[] = rows.map((row, i) => ({
    id: old[i]?.id ?? newId('tr', now),
    datasetId: opts.datasetId,
    caseId: row.caseKey,
    target: { ...opts.target },
    points: row.points.map((p) => (p ? ([p[0], p[1]] as Point) : null)),
    symbols: [...opts.symbols],
    ...(tracer ? { tracer } : {}),
    createdAt: old[i]?.createdAt ?? now,
    updatedAt: now,
    assisted: false,
  }));
  try {
    await kv.setMany(records.map((r, i) => [keys[i], r] as const));
  } catch (e) {
    throw await asStorageFull(e, 'import the tracing file again');
  }
  return records;
}
