/**
 * Landmark file parsers and writers. Three formats are in circulation for cephalograms:
 * - ISBI 2015 text: one `x,y` per line in pixels, 19 lines (the evaluator's files may carry extra
 *   lines after the 19: ignored). Blank lines and surrounding spaces are tolerated; `x y`,
 *   `x;y` and tabs are accepted as separators.
 * - ISBI CSV variant: header `image_path,1_x,1_y,…,19_x,19_y`, one row per image, matched to
 *   cases by the image's base name (`001.jpg` -> case `001`).
 * - Aariz JSON: `{"ceph_id": …, "landmarks": [{"symbol", "title", "value": {"x", "y"}}]}`; the
 *   landmark names come from the file, in file order.
 * Coordinates are kept exactly as written (original pixels; see preprocess.ts for the convention).
 *
 * Parsers never throw for bad input: every problem is a value `{ file, line?, code, severity,
 * message }` whose message names the file (and line or column) and says what to fix. A file with
 * an error yields no points (`points: null`), never partial landmarks that would be misnumbered.
 */
import type { Point } from '../image';
import type { FileProblem, LandmarkFormat } from '../data/dataset';
import { caseBaseName } from '../data/layout';

/** Default number of landmarks (ISBI 2015). */
export const ISBI_LANDMARK_COUNT = 19;
/**
 * Highest landmark number a CSV header may name (the largest published sets have under 100). A
 * header cell like `99999999999_x` is refused instead of being read as that many landmarks.
 */
export const MAX_LANDMARKS = 1000;

export interface ParsedLandmarks {
  /** Points in file order, or null when the file cannot be used. */
  points: Point[] | null;
  /** Landmark symbols in file order, when the file names them (Aariz). */
  symbols?: string[];
  /** Landmark full names in file order, when the file names them (Aariz). */
  names?: string[];
  problems: FileProblem[];
}

export interface ParseOptions {
  /** Number of landmarks the dataset's set has; default 19 (ISBI). null = accept any count. */
  expected?: number | null;
}

function problem(
  file: string,
  code: string,
  message: string,
  line?: number,
  severity: FileProblem['severity'] = 'error',
): FileProblem {
  return line === undefined ? { file, code, severity, message } : { file, line, code, severity, message };
}

/** A finite number from a cell, or null ("12", "12.5", "-3", "1e3"; not "", "12px", "NaN"). */
function num(cell: string): number | null {
  const t = cell.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parse an ISBI text file (one `x,y` per line). */
export function parseIsbiText(text: string, file: string, opts: ParseOptions = {}): ParsedLandmarks {
  const expected = opts.expected === undefined ? ISBI_LANDMARK_COUNT : opts.expected;
  const problems: FileProblem[] = [];
  const points: Point[] = [];
  const lines = stripBom(text).split(/\r\n|\r|\n/);
  let extra = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw) continue;
    if (expected !== null && points.length >= expected) {
      extra++;
      continue;
    }
    const cells = raw.split(/\s*[,;\t ]\s*/).filter((c) => c !== '');
    const x = cells.length >= 2 ? num(cells[0]) : null;
    const y = cells.length >= 2 ? num(cells[1]) : null;
    if (cells.length !== 2 || x === null || y === null) {
      const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
      problems.push(
        problem(
          file,
          'landmark-not-number',
          `${file}, line ${i + 1}: "${shown}" is not a landmark: each line must be two numbers "x,y" in pixels.`,
          i + 1,
        ),
      );
      continue;
    }
    points.push([x, y]);
  }
  if (problems.length) return { points: null, problems };
  if (expected !== null && points.length < expected) {
    problems.push(
      problem(
        file,
        'landmark-count',
        `${file}: ${points.length} landmarks found, ${expected} expected (one "x,y" line per landmark). ` +
          'Check that the file is complete and belongs to this landmark set.',
      ),
    );
    return { points: null, problems };
  }
  if (points.length === 0) {
    problems.push(problem(file, 'landmark-count', `${file}: the file contains no landmarks.`));
    return { points: null, problems };
  }
  if (extra) {
    problems.push(
      problem(
        file,
        'landmark-extra-lines',
        `${file}: ${extra} line(s) after the ${expected} landmarks were ignored (ISBI evaluator files carry extra lines).`,
        undefined,
        'info',
      ),
    );
  }
  return { points, problems };
}

/** Split one CSV line (RFC 4180 quoting). */
export function splitCsvLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else q = false;
      } else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export interface CsvLandmarkRow {
  /** As written in the CSV. */
  imagePath: string;
  /** Case key the row matches (`caseBaseName`: `images/001_xray.png` -> `001`). */
  caseKey: string;
  /** 1-based line in the CSV. */
  line: number;
  points: Point[];
}

export interface ParsedLandmarkCsv {
  rows: CsvLandmarkRow[];
  /** Row by case key (the first row wins when a key repeats). */
  byCase: Map<string, Point[]>;
  /** Number of landmarks per row (from the header). */
  count: number;
  problems: FileProblem[];
}

/** Column names that hold the image of a landmark CSV row. */
export const IMAGE_COLUMNS = [
  'image_path',
  'image',
  'image_name',
  'filename',
  'file',
  'file_name',
  'path',
  'name',
  'id',
];

/**
 * Parse the CSV variant: `image_path,1_x,1_y,…,N_x,N_y` (landmark numbers 1-based, any column
 * order). Rows with a problem are skipped and reported; the others are kept.
 */
export function parseLandmarkCsv(text: string, file: string, opts: ParseOptions = {}): ParsedLandmarkCsv {
  const expected = opts.expected === undefined ? ISBI_LANDMARK_COUNT : opts.expected;
  const problems: FileProblem[] = [];
  const rows: CsvLandmarkRow[] = [];
  const byCase = new Map<string, Point[]>();
  const lines = stripBom(text).split(/\r\n|\r|\n/);
  const headerIdx = lines.findIndex((l) => l.trim() !== '');
  if (headerIdx < 0) {
    problems.push(problem(file, 'csv-empty', `${file}: the CSV file is empty.`));
    return { rows, byCase, count: 0, problems };
  }
  const headerLine = lines[headerIdx];
  const sep = headerLine.includes(',') ? ',' : headerLine.includes(';') ? ';' : '\t';
  const header = splitCsvLine(headerLine, sep).map((h) => h.trim().toLowerCase());
  const imgCol = header.findIndex((h) => IMAGE_COLUMNS.includes(h));
  if (imgCol < 0) {
    problems.push(
      problem(
        file,
        'csv-missing-column',
        `${file}, line ${headerIdx + 1}: no image column; the header must start with "image_path" followed by 1_x,1_y,2_x,2_y,…`,
        headerIdx + 1,
      ),
    );
    return { rows, byCase, count: 0, problems };
  }
  const xCol = new Map<number, number>();
  const yCol = new Map<number, number>();
  header.forEach((h, i) => {
    const m = /^(?:l|p|landmark|point)?_?(\d+)[_ ]?(x|y)$/.exec(h);
    if (m) (m[2] === 'x' ? xCol : yCol).set(Number(m[1]), i);
  });
  const maxNo = Math.max(0, ...xCol.keys(), ...yCol.keys());
  if (expected === null && maxNo > MAX_LANDMARKS) {
    problems.push(
      problem(
        file,
        'csv-missing-column',
        `${file}, line ${headerIdx + 1}: landmark ${maxNo} in the header, but a landmark set has at most ${MAX_LANDMARKS}. ` +
          'Check the column names (image_path,1_x,1_y,…,N_x,N_y).',
        headerIdx + 1,
      ),
    );
    return { rows, byCase, count: 0, problems };
  }
  const count = expected ?? maxNo;
  const missing: string[] = [];
  for (let k = 1; k <= count; k++) {
    if (!xCol.has(k)) missing.push(`${k}_x`);
    if (!yCol.has(k)) missing.push(`${k}_y`);
  }
  if (count === 0 || missing.length) {
    const what =
      count === 0
        ? 'no landmark columns (1_x, 1_y, …)'
        : `missing column(s) ${missing.slice(0, 6).join(', ')}`;
    problems.push(
      problem(
        file,
        'csv-missing-column',
        `${file}, line ${headerIdx + 1}: ${what}${missing.length > 6 ? ' …' : ''}. ` +
          `The header must be image_path,1_x,1_y,…,${count || 'N'}_x,${count || 'N'}_y.`,
        headerIdx + 1,
      ),
    );
    return { rows, byCase, count, problems };
  }
  if (maxNo > count) {
    problems.push(
      problem(
        file,
        'landmark-extra-columns',
        `${file}: columns for landmarks ${count + 1}-${maxNo} are ignored (the landmark set has ${count}).`,
        headerIdx + 1,
        'info',
      ),
    );
  }
  for (let i = headerIdx + 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const line = i + 1;
    const cells = splitCsvLine(lines[i], sep);
    const imagePath = (cells[imgCol] ?? '').trim();
    if (!imagePath) {
      problems.push(
        problem(
          file,
          'csv-missing-image',
          `${file}, line ${line}: the image name is empty; row skipped.`,
          line,
        ),
      );
      continue;
    }
    const points: Point[] = [];
    let bad: string | null = null;
    for (let k = 1; k <= count && !bad; k++) {
      const xi = xCol.get(k)!;
      const yi = yCol.get(k)!;
      if (xi >= cells.length || yi >= cells.length) {
        bad = `the row has ${cells.length} cells, the header ${header.length} (landmark ${k} is missing)`;
        break;
      }
      const x = num(cells[xi]);
      const y = num(cells[yi]);
      if (x === null) bad = `${k}_x = "${cells[xi].trim()}" is not a number`;
      else if (y === null) bad = `${k}_y = "${cells[yi].trim()}" is not a number`;
      else points.push([x, y]);
    }
    if (bad) {
      problems.push(
        problem(
          file,
          'landmark-not-number',
          `${file}, line ${line} (${imagePath}): ${bad}; row skipped.`,
          line,
        ),
      );
      continue;
    }
    const caseKey = caseBaseName(imagePath);
    if (byCase.has(caseKey)) {
      problems.push(
        problem(
          file,
          'landmark-duplicate',
          `${file}, line ${line}: a second row for "${caseKey}"; the first one is used, this one is skipped.`,
          line,
          'warning',
        ),
      );
      continue;
    }
    rows.push({ imagePath, caseKey, line, points });
    byCase.set(caseKey, points);
  }
  return { rows, byCase, count, problems };
}

/**
 * Give each planned case its CSV row: a row matches a case when the row's image base name equals
 * the base name of one of the case's image files (`xray/001.png`, `001_photo.jpg` -> `001`).
 * Rows that match no case, or several, are reported (warning) and not used.
 */
export function matchCsvRows(
  cases: readonly { id: string; photoPath?: string; xrayPath?: string; alignedPath?: string }[],
  csv: ParsedLandmarkCsv,
  file: string,
): { byCase: Map<string, Point[]>; problems: FileProblem[] } {
  const owners = new Map<string, string[]>();
  for (const c of cases) {
    const keys = new Set(
      [c.xrayPath, c.alignedPath, c.photoPath].filter((p): p is string => !!p).map(caseBaseName),
    );
    for (const k of keys) owners.set(k, [...(owners.get(k) ?? []), c.id]);
  }
  const byCase = new Map<string, Point[]>();
  const problems: FileProblem[] = [];
  for (const row of csv.rows) {
    const ids = owners.get(row.caseKey) ?? [];
    if (ids.length === 1) byCase.set(ids[0], row.points);
    else if (ids.length === 0) {
      problems.push(
        problem(
          file,
          'landmark-unmatched',
          `${file}, line ${row.line}: no imported image is named "${row.caseKey}" (${row.imagePath}); row not used.`,
          row.line,
          'warning',
        ),
      );
    } else {
      problems.push(
        problem(
          file,
          'landmark-ambiguous',
          `${file}, line ${row.line}: "${row.caseKey}" names several cases (${ids.join(', ')}); row not used. Give the images unique names.`,
          row.line,
          'warning',
        ),
      );
    }
  }
  return { byCase, problems };
}

interface AarizLandmark {
  symbol?: unknown;
  title?: unknown;
  value?: { x?: unknown; y?: unknown };
}

/** Parse an Aariz-style JSON file; names and symbols come from the file, in file order. */
export function parseAarizJson(
  text: string,
  file: string,
  opts: ParseOptions = {},
): ParsedLandmarks & { cephId?: string } {
  const expected = opts.expected === undefined ? null : opts.expected;
  let doc: unknown;
  try {
    doc = JSON.parse(stripBom(text));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      points: null,
      problems: [
        problem(file, 'json-invalid', `${file}: not valid JSON (${why}). Export the annotation again.`),
      ],
    };
  }
  const obj = doc as { ceph_id?: unknown; landmarks?: unknown };
  if (!obj || typeof obj !== 'object' || !Array.isArray(obj.landmarks)) {
    return {
      points: null,
      problems: [
        problem(
          file,
          'json-missing-key',
          `${file}: no "landmarks" list; expected {"ceph_id": …, "landmarks": [{"symbol", "title", "value": {"x", "y"}}]}.`,
        ),
      ],
    };
  }
  const problems: FileProblem[] = [];
  const points: Point[] = [];
  const symbols: string[] = [];
  const names: string[] = [];
  (obj.landmarks as AarizLandmark[]).forEach((l, i) => {
    const label = l && typeof l.symbol === 'string' ? `"${l.symbol}"` : `#${i + 1}`;
    const x = l && l.value && typeof l.value.x === 'number' && Number.isFinite(l.value.x) ? l.value.x : null;
    const y = l && l.value && typeof l.value.y === 'number' && Number.isFinite(l.value.y) ? l.value.y : null;
    if (x === null || y === null) {
      const got = JSON.stringify(l?.value ?? null) ?? String(l?.value);
      problems.push(
        problem(
          file,
          'landmark-not-number',
          `${file}: landmark ${label.length > 40 ? `${label.slice(0, 40)}…` : label} has no numeric value.x / value.y (got ${got.length > 60 ? `${got.slice(0, 60)}…` : got}).`,
        ),
      );
      return;
    }
    points.push([x, y]);
    symbols.push(typeof l.symbol === 'string' ? l.symbol : `L${i + 1}`);
    names.push(typeof l.title === 'string' ? l.title : symbols[symbols.length - 1]);
  });
  const cephId = obj.ceph_id === undefined || obj.ceph_id === null ? undefined : String(obj.ceph_id);
  if (problems.length) return { points: null, problems, cephId };
  if (points.length === 0) {
    return {
      points: null,
      problems: [problem(file, 'landmark-count', `${file}: the "landmarks" list is empty.`)],
      cephId,
    };
  }
  if (expected !== null && points.length !== expected) {
    return {
      points: null,
      problems: [
        problem(
          file,
          'landmark-count',
          `${file}: ${points.length} landmarks found, ${expected} expected. Check that the file belongs to this landmark set.`,
        ),
      ],
      cephId,
    };
  }
  return { points, symbols, names, problems, cephId };
}

/** The format of a landmark file from its name. */
export function landmarkFormatOf(file: string): LandmarkFormat | null {
  const ext = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
  return ext === 'txt' ? 'isbi-txt' : ext === 'json' ? 'aariz-json' : ext === 'csv' ? 'isbi-csv' : null;
}

/** Parse a per-case landmark file (.txt or .json) by its extension. */
export function parseLandmarkFile(file: string, text: string, opts: ParseOptions = {}): ParsedLandmarks {
  const fmt = landmarkFormatOf(file);
  if (fmt === 'isbi-txt') return parseIsbiText(text, file, opts);
  if (fmt === 'aariz-json') return parseAarizJson(text, file, opts);
  return {
    points: null,
    problems: [
      problem(
        file,
        'landmark-format',
        `${file}: not a per-case landmark file; use .txt (ISBI, one "x,y" per line) or .json (Aariz).`,
      ),
    ],
  };
}

function fmtNum(v: number, decimals: number | null): string {
  if (decimals === null) return String(v);
  return v.toFixed(decimals);
}

/**
 * Write ISBI text: one `x,y` per line, newline-terminated. `decimals` null (default) writes numbers
 * exactly as JavaScript prints them (integers stay integers, so files round-trip byte for byte).
 */
export function writeIsbiText(points: readonly Point[], opts: { decimals?: number | null } = {}): string {
  const d = opts.decimals ?? null;
  return points.map((p) => `${fmtNum(p[0], d)},${fmtNum(p[1], d)}`).join('\n') + '\n';
}

/** Write the CSV variant (`image_path,1_x,1_y,…`); every row must have the same count. */
export function writeLandmarkCsv(
  rows: readonly { imagePath: string; points: readonly Point[] }[],
  opts: { decimals?: number | null } = {},
): string {
  const n = rows.length ? rows[0].points.length : ISBI_LANDMARK_COUNT;
  for (const r of rows) {
    if (r.points.length !== n) {
      throw new Error(
        `writeLandmarkCsv: ${r.imagePath} has ${r.points.length} landmarks, the first row ${n}.`,
      );
    }
  }
  const d = opts.decimals ?? null;
  const header = ['image_path', ...Array.from({ length: n }, (_, k) => [`${k + 1}_x`, `${k + 1}_y`]).flat()];
  const quote = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [header.join(',')];
  for (const r of rows)
    lines.push(
      [quote(r.imagePath), ...r.points.flatMap((p) => [fmtNum(p[0], d), fmtNum(p[1], d)])].join(','),
    );
  return lines.join('\n') + '\n';
}

/** Write an Aariz-style JSON file. */
export function writeAarizJson(
  cephId: string,
  points: readonly Point[],
  symbols: readonly string[],
  titles: readonly string[] = symbols,
): string {
  return JSON.stringify(
    {
      ceph_id: cephId,
      landmarks: points.map((p, i) => ({
        symbol: symbols[i] ?? `L${i + 1}`,
        title: titles[i] ?? symbols[i],
        value: { x: p[0], y: p[1] },
      })),
    },
    null,
    2,
  );
}
