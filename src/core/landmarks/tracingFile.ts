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
import type { Text } from './analysis';

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
  message: Text;
}

export type TracingParse =
  { ok: true; rows: TracingRow[]; notes: Text[] } | { ok: false; error: TracingFileError };

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

function fail(file: string, code: TracingFileError['code'], message: Text, line?: number): TracingParse {
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
      return fail(
        file,
        'landmark-not-number',
        {
          en: `${file}, line ${ln}: "${shown(raw)}" follows the single-number lines after the landmarks; a tracing has one "x,y" line per landmark only.`,
          zh: `${file} 第 ${ln} 行："${shown(raw)}" 出现在标志点之后的单数字行后面；描点文件每个标志点只有一行 "x,y"。`,
        },
        ln,
      );
    }
    const x = cells.length === 2 ? num(cells[0]) : null;
    const y = cells.length === 2 ? num(cells[1]) : null;
    const isMissing = cells.length === 2 && MISSING.test(cells[0]) && MISSING.test(cells[1]);
    if (!isMissing && (x === null || y === null)) {
      return fail(
        file,
        'landmark-not-number',
        {
          en: `${file}, line ${ln}: "${shown(raw)}" is not a landmark: each line must be two numbers "x,y" in pixels (or "NaN,NaN" for a landmark that is not identifiable).`,
          zh: `${file} 第 ${ln} 行："${shown(raw)}" 不是标志点：每行必须是两个数字 "x,y"（像素），无法识别的标志点写 "NaN,NaN"。`,
        },
        ln,
      );
    }
    if (expected !== null && points.length === expected) {
      return fail(
        file,
        'landmark-count',
        {
          en: `${file}, line ${ln}: landmark ${expected + 1} found, but the landmark set has ${expected}. Check that the file belongs to this landmark set.`,
          zh: `${file} 第 ${ln} 行：出现第 ${expected + 1} 个标志点，但该标志点集只有 ${expected} 个。请确认文件属于此标志点集。`,
        },
        ln,
      );
    }
    points.push(isMissing ? null : [x as number, y as number]);
    lastPointLine = ln;
  }
  if (points.length === 0)
    return fail(
      file,
      'empty',
      { en: `${file}, line 1: the file contains no landmarks.`, zh: `${file} 第 1 行：文件中没有标志点。` },
      1,
    );
  if (expected !== null && points.length < expected)
    return fail(
      file,
      'landmark-count',
      {
        en: `${file}, line ${lastPointLine + 1}: the file ends after ${points.length} landmarks, ${expected} expected (one "x,y" line per landmark).`,
        zh: `${file} 第 ${lastPointLine + 1} 行：文件在 ${points.length} 个标志点后结束，应有 ${expected} 个（每个标志点一行 "x,y"）。`,
      },
      lastPointLine + 1,
    );
  const notes: Text[] = trailer
    ? [
        {
          en: `${file}: ${trailer} single-number line(s) after the landmarks ignored (ISBI evaluator class labels).`,
          zh: `${file}：标志点之后的 ${trailer} 行单个数字已忽略（ISBI 评测文件的分类标签）。`,
        },
      ]
    : [];
  const name = file.split(/[\\/]/).pop() ?? file;
  return { ok: true, rows: [{ imagePath: name, caseKey: caseBaseName(name), points }], notes };
}

/** Parse a CSV of tracings (`image_path,1_x,1_y,…`), one row per image. */
export function parseTracingCsv(text: string, file: string, opts: TracingParseOptions = {}): TracingParse {
  const expected = opts.expected === undefined ? ISBI_LANDMARK_COUNT : opts.expected;
  const lines = stripBom(text).split(/\r\n|\r|\n/);
  const h = lines.findIndex((l) => l.trim() !== '');
  if (h < 0)
    return fail(file, 'empty', { en: `${file}: the CSV file is empty.`, zh: `${file}：CSV 文件为空。` });
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
    return fail(
      file,
      'csv-header',
      {
        en: `${file}, line ${hl}: landmark ${count} in the header, but a landmark set has at most ${MAX_LANDMARKS}; the header must be image_path,1_x,1_y,…,N_x,N_y.`,
        zh: `${file} 第 ${hl} 行：表头中有第 ${count} 个标志点，但标志点集最多 ${MAX_LANDMARKS} 个；表头应为 image_path,1_x,1_y,…,N_x,N_y。`,
      },
      hl,
    );
  const gaps: string[] = [];
  for (let k = 1; k <= count; k++) {
    if (!xCol.has(k)) gaps.push(`${k}_x`);
    if (!yCol.has(k)) gaps.push(`${k}_y`);
  }
  if (imgCol < 0 || count === 0 || gaps.length) {
    const what =
      imgCol < 0
        ? 'no image column'
        : count === 0
          ? 'no landmark columns (1_x, 1_y, …)'
          : `missing column(s) ${gaps.slice(0, 6).join(', ')}`;
    return fail(
      file,
      'csv-header',
      {
        en: `${file}, line ${hl}: ${what}; the header must be image_path,1_x,1_y,…,N_x,N_y.`,
        zh: `${file} 第 ${hl} 行：${imgCol < 0 ? '没有图像列' : count === 0 ? '没有标志点列 (1_x, 1_y, …)' : `缺少列 ${gaps.slice(0, 6).join(', ')}`}；表头应为 image_path,1_x,1_y,…,N_x,N_y。`,
      },
      hl,
    );
  }
  if (expected !== null && count !== expected)
    return fail(
      file,
      'landmark-count',
      {
        en: `${file}, line ${hl}: the header has ${count} landmarks (up to ${count}_x, ${count}_y), but the landmark set has ${expected}.`,
        zh: `${file} 第 ${hl} 行：表头有 ${count} 个标志点（到 ${count}_x, ${count}_y 为止），但该标志点集有 ${expected} 个。`,
      },
      hl,
    );
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
        {
          en: `${file}, line ${ln}: ${cells.length} cells, the header has ${header.length}; every row needs the image and ${count} x,y pairs.`,
          zh: `${file} 第 ${ln} 行：有 ${cells.length} 个单元格，表头有 ${header.length} 个；每行需要图像名和 ${count} 对 x,y。`,
        },
        ln,
      );
    const imagePath = cells[imgCol].trim();
    if (!imagePath)
      return fail(
        file,
        'csv-row',
        { en: `${file}, line ${ln}: the image name is empty.`, zh: `${file} 第 ${ln} 行：图像名为空。` },
        ln,
      );
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
          {
            en: `${file}, line ${ln} (${imagePath}), column ${col}: "${shown(val)}" is not a number (pixels; leave both cells of a landmark empty when it is not identifiable).`,
            zh: `${file} 第 ${ln} 行（${imagePath}），${col} 列："${shown(val)}" 不是数字（像素；无法识别的标志点两格都留空）。`,
          },
          ln,
        );
      }
      points.push([x, y]);
    }
    const caseKey = caseBaseName(imagePath);
    const first = seen.get(caseKey);
    if (first !== undefined)
      return fail(
        file,
        'duplicate-image',
        {
          en: `${file}, line ${ln}: a second row for "${caseKey}" (the first is line ${first}); keep one tracing per image.`,
          zh: `${file} 第 ${ln} 行："${caseKey}" 的第二行（第一行在第 ${first} 行）；每张图像只保留一个描点。`,
        },
        ln,
      );
    seen.set(caseKey, ln);
    rows.push({ imagePath, caseKey, line: ln, points });
  }
  if (!rows.length)
    return fail(
      file,
      'empty',
      {
        en: `${file}, line ${hl + 1}: no rows after the header.`,
        zh: `${file} 第 ${hl + 1} 行：表头之后没有数据行。`,
      },
      hl + 1,
    );
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
  return fail(file, 'format', {
    en: `${file}: not a tracing file; use .txt (ISBI, one "x,y" line per landmark) or .csv (image_path,1_x,1_y,…).`,
    zh: `${file}：不是描点文件；请使用 .txt（ISBI，每个标志点一行 "x,y"）或 .csv（image_path,1_x,1_y,…）。`,
  });
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
