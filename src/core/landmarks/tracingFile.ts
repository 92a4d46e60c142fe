/**
 * Tracing files (TF.js-free): one image's landmarks as ISBI text (one `x,y` line per landmark, in
 * original X-ray pixels) or several images' as CSV (`image_path,1_x,1_y,…,N_x,N_y`).
 *
 * Stricter than the dataset import (core/io/landmarks.ts), because a tracing is compared landmark
 * by landmark: a file with the wrong landmark count or a value that is not a number is refused as
 * a whole, and the message names the file and the line (and the column in a CSV). A landmark
 * marked "not identifiable" is written `NaN,NaN` in text and as two empty cells in CSV, and read
 * back as null; any other non-number is refused. ISBI evaluator files carry extra single-number
 * lines after the landmarks (class labels): those are ignored with a note.
 */
import type { Point } from '../image';
import { caseBaseName } from '../data/layout';
import { IMAGE_COLUMNS, ISBI_LANDMARK_COUNT, MAX_LANDMARKS, splitCsvLine } from '../io/landmarks';
import type { Message } from '../messages/form';
import type { TracingMessageCode } from '../messages/tracing';

export type TracingFormat = 'isbi-txt' | 'csv';

export interface TracingRow {
  /** As written in the CSV, or the text file's name. */
  imagePath: string;
  /** Base name the row matches cases by (`images/001.jpg` -> `001`). */
  caseKey: string;
  /** 1-based line of the row (CSV). */
  line?: number;
  /** null = not identifiable. */
  points: (Point | null)[];
}

export interface TracingFileError {
  file: string;
  line?: number;
  code:
    | 'landmark-count'
    | 'landmark-not-number'
    | 'csv-header'
    | 'csv-row'
    | 'duplicate-image'
    | 'format'
    | 'empty';
  /** Render with `messageText` (core/messages); it names the file and the line. */
  message: Message;
}

export type TracingParse =
  { ok: true; rows: TracingRow[]; notes: Message[] } | { ok: false; error: TracingFileError };

export interface TracingParseOptions {
  /** Landmarks per image the dataset's set has; default 19 (ISBI). null = any count (text: all lines). */
  expected?: number | null;
}

const NUM = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MISSING = /^nan$/i;

function num(cell: string): number | null {
  const t = cell.trim();
  if (!NUM.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function fail(
  file: string,
  code: TracingFileError['code'],
  msg: TracingMessageCode,
  params: Record<string, string | number>,
  line?: number,
): TracingParse {
  const message: Message = {
    code: msg,
    params: line === undefined ? { file, ...params } : { file, line, ...params },
  };
  return { ok: false, error: line === undefined ? { file, code, message } : { file, line, code, message } };
}

const shown = (raw: string): string => (raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);

/** Parse an ISBI text tracing (one image). */
export function parseTracingText(text: string, file: string, opts: TracingParseOptions = {}): TracingParse {
  const expected = opts.expected === undefined ? ISBI_LANDMARK_COUNT : opts.expected;
  const lines = stripBom(text).split(/\r\n|\r|\n/);
  const points: (Point | null)[] = [];
  let lastPointLine = 0;
  let trailer = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw) continue;
    const ln = i + 1;
    const cells = raw.split(/\s*[,;\t ]\s*/).filter((c) => c !== '');
    // a single number after the landmarks: an ISBI evaluator class label
    if (
      cells.length === 1 &&
      num(cells[0]) !== null &&
      points.length > 0 &&
      (expected === null || points.length === expected)
    ) {
      trailer++;
      continue;
    }
    if (trailer > 0) {
      return fail(file, 'landmark-not-number', 'tracing.txt.afterTrailer', { raw: shown(raw) }, ln);
    }
    const x = cells.length === 2 ? num(cells[0]) : null;
    const y = cells.length === 2 ? num(cells[1]) : null;
    const isMissing = cells.length === 2 && MISSING.test(cells[0]) && MISSING.test(cells[1]);
    if (!isMissing && (x === null || y === null)) {
      return fail(file, 'landmark-not-number', 'tracing.txt.notLandmark', { raw: shown(raw) }, ln);
    }
    if (expected !== null && points.length === expected) {
      return fail(file, 'landmark-count', 'tracing.txt.tooMany', { found: expected + 1, expected }, ln);
    }
    points.push(isMissing ? null : [x as number, y as number]);
    lastPointLine = ln;
  }
  if (points.length === 0) return fail(file, 'empty', 'tracing.txt.empty', {}, 1);
  if (expected !== null && points.length < expected)
    return fail(
      file,
      'landmark-count',
      'tracing.txt.tooFew',
      { count: points.length, expected },
      lastPointLine + 1,
    );
  const notes: Message[] = trailer
    ? [{ code: 'tracing.txt.trailerIgnored', params: { file, count: trailer } }]
    : [];
  const name = file.split(/[\\/]/).pop() ?? file;
  return { ok: true, rows: [{ imagePath: name, caseKey: caseBaseName(name), points }], notes };
}

/** Parse a CSV of tracings (`image_path,1_x,1_y,…`), one row per image. */
export function parseTracingCsv(text: string, file: string, opts: TracingParseOptions = {}): TracingParse {
  const expected = opts.expected === undefined ? ISBI_LANDMARK_COUNT : opts.expected;
  const lines = stripBom(text).split(/\r\n|\r|\n/);
  const h = lines.findIndex((l) => l.trim() !== '');
  if (h < 0) return fail(file, 'empty', 'tracing.csv.empty', {});
  const hl = h + 1;
  const sep = lines[h].includes(',') ? ',' : lines[h].includes(';') ? ';' : '\t';
  const header = splitCsvLine(lines[h], sep).map((c) => c.trim().toLowerCase());
  const imgCol = header.findIndex((c) => IMAGE_COLUMNS.includes(c));
  const xCol = new Map<number, number>();
  const yCol = new Map<number, number>();
  header.forEach((c, i) => {
    const m = /^(?:l|p|landmark|point)?_?(\d+)[_ ]?(x|y)$/.exec(c);
    if (m) (m[2] === 'x' ? xCol : yCol).set(Number(m[1]), i);
  });
  const count = Math.max(0, ...xCol.keys(), ...yCol.keys());
  if (count > MAX_LANDMARKS)
    return fail(file, 'csv-header', 'tracing.csv.headerTooMany', { count, max: MAX_LANDMARKS }, hl);
  const gaps: string[] = [];
  for (let k = 1; k <= count; k++) {
    if (!xCol.has(k)) gaps.push(`${k}_x`);
    if (!yCol.has(k)) gaps.push(`${k}_y`);
  }
  if (imgCol < 0 || count === 0 || gaps.length) {
    if (imgCol < 0) return fail(file, 'csv-header', 'tracing.csv.noImageColumn', {}, hl);
    if (count === 0) return fail(file, 'csv-header', 'tracing.csv.noLandmarkColumns', {}, hl);
    return fail(
      file,
      'csv-header',
      'tracing.csv.missingColumns',
      { columns: gaps.slice(0, 6).join(', ') },
      hl,
    );
  }
  if (expected !== null && count !== expected)
    return fail(file, 'landmark-count', 'tracing.csv.headerCount', { count, expected }, hl);
  const rows: TracingRow[] = [];
  const seen = new Map<string, number>();
  for (let i = h + 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const ln = i + 1;
    const cells = splitCsvLine(lines[i], sep);
    if (cells.length < header.length)
      return fail(
        file,
        'csv-row',
        'tracing.csv.cells',
        { cells: cells.length, header: header.length, count },
        ln,
      );
    const imagePath = cells[imgCol].trim();
    if (!imagePath) return fail(file, 'csv-row', 'tracing.csv.noImageName', {}, ln);
    const points: (Point | null)[] = [];
    for (let k = 1; k <= count; k++) {
      const xs = cells[xCol.get(k)!].trim();
      const ys = cells[yCol.get(k)!].trim();
      const blank = (s: string): boolean => s === '' || MISSING.test(s);
      if (blank(xs) && blank(ys)) {
        points.push(null);
        continue;
      }
      const x = num(xs);
      const y = num(ys);
      if (x === null || y === null) {
        const col = x === null ? `${k}_x` : `${k}_y`;
        const val = x === null ? xs : ys;
        return fail(
          file,
          'landmark-not-number',
          'tracing.csv.notNumber',
          { image: imagePath, column: col, value: shown(val) },
          ln,
        );
      }
      points.push([x, y]);
    }
    const caseKey = caseBaseName(imagePath);
    const first = seen.get(caseKey);
    if (first !== undefined)
      return fail(file, 'duplicate-image', 'tracing.csv.duplicate', { case: caseKey, first }, ln);
    seen.set(caseKey, ln);
    rows.push({ imagePath, caseKey, line: ln, points });
  }
  if (!rows.length) return fail(file, 'empty', 'tracing.csv.noRows', {}, hl + 1);
  return { ok: true, rows, notes: [] };
}

/** The format of a tracing file from its name (.txt ISBI text, .csv), or null. */
export function tracingFormatOf(file: string): TracingFormat | null {
  const ext = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
  return ext === 'txt' ? 'isbi-txt' : ext === 'csv' ? 'csv' : null;
}

/** Parse a tracing file by its extension. */
export function parseTracingFile(file: string, text: string, opts: TracingParseOptions = {}): TracingParse {
  const fmt = tracingFormatOf(file);
  if (fmt === 'isbi-txt') return parseTracingText(text, file, opts);
  if (fmt === 'csv') return parseTracingCsv(text, file, opts);
  return fail(file, 'format', 'tracing.format', {});
}

function fmtNum(v: number, decimals: number | null): string {
  return decimals === null ? String(v) : v.toFixed(decimals);
}

/** ISBI text: one `x,y` per line (`NaN,NaN` for a landmark that is not identifiable). */
export function writeTracingText(
  points: readonly (Point | null)[],
  opts: { decimals?: number | null } = {},
): string {
  const d = opts.decimals ?? null;
  return points.map((p) => (p ? `${fmtNum(p[0], d)},${fmtNum(p[1], d)}` : 'NaN,NaN')).join('\n') + '\n';
}

/** CSV `image_path,1_x,1_y,…` (empty cells for a landmark that is not identifiable). */
export function writeTracingCsv(
  rows: readonly { imagePath: string; points: readonly (Point | null)[] }[],
  opts: { decimals?: number | null; count?: number } = {},
): string {
  const n = opts.count ?? (rows.length ? rows[0].points.length : ISBI_LANDMARK_COUNT);
  for (const r of rows)
    if (r.points.length !== n)
      throw new RangeError(`writeTracingCsv: ${r.imagePath} has ${r.points.length} landmarks, expected ${n}`);
  const d = opts.decimals ?? null;
  const quote = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const header = ['image_path', ...Array.from({ length: n }, (_, k) => [`${k + 1}_x`, `${k + 1}_y`]).flat()];
  const out = [header.join(',')];
  for (const r of rows)
    out.push(
      [
        quote(r.imagePath),
        ...r.points.flatMap((p) => (p ? [fmtNum(p[0], d), fmtNum(p[1], d)] : ['', ''])),
      ].join(','),
    );
  return out.join('\n') + '\n';
}
