/**
 * `cli measure`: every measurement of a cephalometric analysis for each image of a landmark CSV
 * (`image_path,1_x,1_y,…`) or a folder of ISBI text files (one `x,y` line per landmark) or Aariz
 * JSON files; with `--reference`, also the radial errors per landmark (MRE, SD, SDR at 2 / 2.5 /
 * 3 / 4 mm) and the measurement differences between the two sets, matched by image name.
 *
 * Output (`--out`): one row per image and measurement (value, unit, normal range, ISBI 2015 class,
 * missing landmarks; reference value and difference with --reference). Radial errors go to
 * `--errors_out` (default `<out>_errors.csv`): one row per image and landmark, then per-landmark
 * and overall summary rows (image "(all)"). Landmarks are found by symbol: 19 per image means the
 * ISBI set; other sets need `--symbols` (CSV/text) or carry their symbols (Aariz JSON).
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { ISBI_LANDMARKS } from '../core/data/landmarkSet';
import { isHiddenPath } from '../core/data/layout';
import type { Point } from '../core/image';
import { messageText } from '../core/messages';
import { parseAarizJson } from '../core/io/landmarks';
import {
  ANALYSES,
  checkMmPerPx,
  compareMeasurements,
  DEFAULT_MM_PER_PX,
  findLandmark,
  getAnalysis,
  measureAnalysis,
  radialErrorsMm,
  summarizeErrors,
  parseTracingCsv,
  parseTracingText,
  type MeasurementValue,
  type TracingParse,
} from '../core/landmarks';
import { HELP_OPTION, helpText, parse, stringOption, UsageError, type OptionSpecs } from './args';

const ANALYSIS_IDS = [...Object.keys(ANALYSES), 'all'];

const OPTIONS: OptionSpecs = {
  landmarks: {
    type: 'string',
    arg: '<csv|folder>',
    help: 'landmarks to measure: CSV image_path,1_x,1_y,… or a folder of ISBI .txt / Aariz .json files',
  },
  reference: {
    type: 'string',
    arg: '<csv|folder>',
    help: 'reference landmarks (e.g. ground truth): radial errors and measurement differences',
  },
  analysis: {
    type: 'string',
    arg: `<${ANALYSIS_IDS.join('|')}>`,
    help: 'measurements to compute (default isbi2015)',
  },
  mm_per_px: {
    type: 'string',
    arg: '<mm>',
    help: `pixel spacing of the films, mm per pixel (default ${DEFAULT_MM_PER_PX}, ISBI 2015)`,
  },
  symbols: {
    type: 'string',
    arg: '<S,N,…>',
    help: 'landmark symbols in file order, comma-separated (default: the ISBI 19 for 19 landmarks)',
  },
  out: { type: 'string', arg: '<csv>', help: 'measurements CSV to write' },
  errors_out: {
    type: 'string',
    arg: '<csv>',
    help: 'radial errors CSV with --reference (default <out>_errors.csv)',
  },
  ...HELP_OPTION,
};

export const MEASURE_HELP = helpText(
  'measure --landmarks <csv|folder> [--reference <csv|folder>] [--analysis isbi2015|steiner|tweed|all] [--mm_per_px 0.1] --out <csv>',
  'Cephalometric measurements (angles in degrees, distances in mm) for each image of a landmark set; with\n' +
    '--reference also the radial errors per landmark (MRE, SDR at 2/2.5/3/4 mm) and the measurement\n' +
    'differences between the two sets, matched by image name. A measurement whose landmarks the set\n' +
    'lacks is written empty with the missing symbols, never guessed.',
  [['Options', OPTIONS]],
);

const ISBI_SYMBOLS = ISBI_LANDMARKS.map((l) => l.id);

/** One image's landmarks as read. */
interface ImageLandmarks {
  key: string;
  imagePath: string;
  /** Where it came from, for messages (file, or file:line). */
  source: string;
  points: (Point | null)[];
  symbols: string[];
}

function refused(r: TracingParse): never {
  if (r.ok) throw new Error('unreachable');
  throw new UsageError(messageText(r.error.message, 'en'));
}

function symbolsFor(count: number, given: string[] | undefined, source: string): string[] {
  if (given) return given;
  if (count === ISBI_SYMBOLS.length) return ISBI_SYMBOLS;
  throw new UsageError(
    `${source}: ${count} landmarks per image; only the ISBI 19 are known by default — give their symbols with --symbols S,N,…`,
  );
}

async function readLandmarks(
  path: string,
  given: string[] | undefined,
  option: string,
): Promise<ImageLandmarks[]> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new UsageError(`--${option} ${path}: no such file or folder`);
  }
  const expected = given ? given.length : null;
  if (!isDir) {
    const ext = extname(path).toLowerCase();
    const text = await readFile(path, 'utf8');
    if (ext === '.csv') {
      const r = parseTracingCsv(text, path, { expected });
      if (!r.ok) refused(r);
      const count = r.rows[0].points.length;
      const symbols = symbolsFor(count, given, path);
      return r.rows.map((row) => ({
        key: row.caseKey,
        imagePath: row.imagePath,
        source: `${path}:${row.line}`,
        points: row.points,
        symbols,
      }));
    }
    return [await readOne(path, text, given)];
  }
  const files = (await readdir(path))
    .filter((f) => !isHiddenPath(f) && ['.txt', '.json'].includes(extname(f).toLowerCase()))
    .sort();
  if (!files.length)
    throw new UsageError(
      `--${option} ${path}: the folder has no .txt (ISBI) or .json (Aariz) landmark files`,
    );
  const out: ImageLandmarks[] = [];
  for (const f of files) {
    const p = join(path, f);
    out.push(await readOne(p, await readFile(p, 'utf8'), given));
  }
  const seen = new Map<string, string>();
  for (const im of out) {
    const other = seen.get(im.key);
    if (other)
      throw new UsageError(`${im.source} and ${other} are both image "${im.key}"; keep one per image`);
    seen.set(im.key, im.source);
  }
  return out;
}

async function readOne(file: string, text: string, given: string[] | undefined): Promise<ImageLandmarks> {
  const ext = extname(file).toLowerCase();
  const name = basename(file);
  const key = name.slice(0, name.length - ext.length);
  if (ext === '.json') {
    const r = parseAarizJson(text, file, { expected: given ? given.length : null });
    if (!r.points) throw new UsageError(r.problems.map((p) => p.message).join(' '));
    return { key, imagePath: name, source: file, points: r.points, symbols: given ?? r.symbols! };
  }
  if (ext !== '.txt')
    throw new UsageError(
      `${file}: not a landmark file; use .csv, .txt (ISBI) or .json (Aariz), or a folder of them`,
    );
  const r = parseTracingText(text, file, { expected: given ? given.length : ISBI_SYMBOLS.length });
  if (!r.ok) refused(r);
  return {
    key,
    imagePath: name,
    source: file,
    points: r.rows[0].points,
    symbols: symbolsFor(r.rows[0].points.length, given, file),
  };
}

/** Points of `im` in the order of `symbols` (null where `im` lacks one). */
function inOrder(im: ImageLandmarks, symbols: readonly string[]): (Point | null)[] {
  return symbols.map((s) => {
    const i = findLandmark(im.symbols, s);
    return i >= 0 ? (im.points[i] ?? null) : null;
  });
}

const csvCell = (v: string | number | null | undefined): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(Number(v.toFixed(4))) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const csvLine = (cells: (string | number | null | undefined)[]): string => cells.map(csvCell).join(',');
const f2 = (v: number | null): string => (v === null ? '—' : v.toFixed(2));
const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

function defaultErrorsOut(out: string): string {
  return out.toLowerCase().endsWith('.csv') ? `${out.slice(0, -4)}_errors.csv` : `${out}_errors.csv`;
}

export async function run(argv: string[]): Promise<number> {
  const values = parse(argv, OPTIONS, 'measure');
  if (values.help) {
    console.log(MEASURE_HELP);
    return 0;
  }
  const landmarksPath = stringOption(values, 'landmarks');
  const out = stringOption(values, 'out');
  if (!landmarksPath) throw new UsageError('measure: --landmarks <csv or folder> is required (see --help)');
  if (!out) throw new UsageError('measure: --out <csv> is required (see --help)');
  const analysisId = stringOption(values, 'analysis') ?? 'isbi2015';
  if (!ANALYSIS_IDS.includes(analysisId))
    throw new UsageError(`--analysis must be one of ${ANALYSIS_IDS.join(', ')}; got "${analysisId}"`);
  const rawMm = stringOption(values, 'mm_per_px');
  const mmPerPx = rawMm === undefined ? DEFAULT_MM_PER_PX : Number(rawMm.trim() === '' ? Number.NaN : rawMm);
  const mmCheck = checkMmPerPx(mmPerPx);
  if (!mmCheck.ok) throw new UsageError(`--mm_per_px ${rawMm}: ${mmCheck.message.en}`);
  const rawSymbols = stringOption(values, 'symbols');
  const given = rawSymbols
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (given && given.length === 0)
    throw new UsageError('--symbols is empty; give them comma-separated, e.g. S,N,Or,…');

  const images = await readLandmarks(landmarksPath, given, 'landmarks');
  const referencePath = stringOption(values, 'reference');
  const reference = referencePath ? await readLandmarks(referencePath, given, 'reference') : null;
  const refByKey = new Map((reference ?? []).map((r) => [r.key, r]));
  const analysis = getAnalysis(analysisId);

  // ---- measurements ----
  const header = [
    'image',
    'measurement',
    'name',
    'unit',
    'value',
    'norm_min',
    'norm_max',
    'status',
    'isbi_class',
    'isbi_class_name',
    'missing',
  ];
  if (reference) header.push('reference_value', 'difference', 'reference_missing');
  const rows = [csvLine(header)];
  const unavailable = new Map<string, Set<string>>();
  const diffs = new Map<string, number[]>();
  const note = (m: MeasurementValue): void => {
    if (m.value !== null) return;
    const set = unavailable.get(m.id) ?? new Set<string>();
    for (const s of m.missing.length ? m.missing : ['(coincident landmarks)']) set.add(s);
    unavailable.set(m.id, set);
  };
  for (const im of images) {
    const measured = measureAnalysis(analysis.id, im.points, im.symbols, mmPerPx);
    const ref = refByKey.get(im.key);
    const refValues = ref ? measureAnalysis(analysis.id, ref.points, ref.symbols, mmPerPx) : null;
    const cmp = refValues ? compareMeasurements(measured, refValues) : null;
    measured.forEach((m, i) => {
      note(m);
      const cells: (string | number | null | undefined)[] = [
        im.key,
        m.id,
        m.name.en,
        m.unit,
        m.value,
        m.norm?.min,
        m.norm?.max,
        m.status ?? (m.value === null ? 'unavailable' : ''),
        m.classification?.code,
        m.classification?.en,
        m.missing.join(' '),
      ];
      if (reference) {
        const c = cmp?.[i];
        cells.push(
          refValues?.[i].value,
          c?.diff,
          refValues ? refValues[i].missing.join(' ') : '(no reference)',
        );
        if (c && c.diff !== null) diffs.set(m.id, [...(diffs.get(m.id) ?? []), c.diff]);
      }
      rows.push(csvLine(cells));
    });
  }
  await writeFile(out, rows.join('\n') + '\n');
  const lines = [
    `measure: ${images.length} image(s), analysis ${analysis.id} (${analysis.measurements.length} measurements), ${mmPerPx} mm/px -> ${out}`,
  ];
  for (const [id, syms] of unavailable)
    lines.push(`  ${id}: unavailable on some or all images; missing ${[...syms].join(', ')}`);

  // ---- radial errors against the reference ----
  if (reference) {
    const unmatched = images.filter((im) => !refByKey.has(im.key)).map((im) => im.key);
    const keys = new Set(images.map((im) => im.key));
    const refOnly = reference.filter((r) => !keys.has(r.key)).map((r) => r.key);
    const matched = images.filter((im) => refByKey.has(im.key));
    if (unmatched.length) lines.push(`  no reference for: ${unmatched.join(', ')}`);
    if (refOnly.length) lines.push(`  reference images without landmarks to compare: ${refOnly.join(', ')}`);
    const symbols = matched.length ? refByKey.get(matched[0].key)!.symbols : ISBI_SYMBOLS;
    const errRows = [
      csvLine([
        'image',
        'landmark',
        'symbol',
        'x',
        'y',
        'reference_x',
        'reference_y',
        'radial_error_mm',
        'n',
        'missing',
        'sd_mm',
        'sdr_2mm',
        'sdr_2_5mm',
        'sdr_3mm',
        'sdr_4mm',
      ]),
    ];
    const perCase: (number | null)[][] = [];
    for (const im of matched) {
      const ref = refByKey.get(im.key)!;
      const refPts = inOrder(ref, symbols);
      const pts = inOrder(im, symbols);
      const errs = radialErrorsMm(pts, refPts, mmPerPx);
      perCase.push(errs);
      symbols.forEach((s, i) =>
        errRows.push(
          csvLine([im.key, i + 1, s, pts[i]?.[0], pts[i]?.[1], refPts[i]?.[0], refPts[i]?.[1], errs[i]]),
        ),
      );
    }
    const sum = summarizeErrors(perCase, symbols);
    sum.perLandmark.forEach((l, i) =>
      errRows.push(
        csvLine([
          '(all)',
          i + 1,
          l.symbol,
          '',
          '',
          '',
          '',
          l.mreMm,
          l.n,
          l.missing,
          l.sdMm,
          l.sdr?.['2'],
          l.sdr?.['2.5'],
          l.sdr?.['3'],
          l.sdr?.['4'],
        ]),
      ),
    );
    errRows.push(
      csvLine([
        '(all)',
        '',
        '(all)',
        '',
        '',
        '',
        '',
        sum.mreMm,
        sum.n,
        sum.missing,
        sum.sdMm,
        sum.sdr['2'],
        sum.sdr['2.5'],
        sum.sdr['3'],
        sum.sdr['4'],
      ]),
    );
    const errorsOut = stringOption(values, 'errors_out') ?? defaultErrorsOut(out);
    await writeFile(errorsOut, errRows.join('\n') + '\n');
    lines.push(
      `radial errors over ${matched.length} matched image(s), ${sum.n} landmarks (${sum.missing} not identifiable on either side) -> ${errorsOut}`,
      `  MRE ${f2(sum.mreMm)} mm (SD ${f2(sum.sdMm)} mm); SDR 2 mm ${pct(sum.sdr['2'])}, 2.5 mm ${pct(sum.sdr['2.5'])}, 3 mm ${pct(sum.sdr['3'])}, 4 mm ${pct(sum.sdr['4'])}`,
      '  per landmark: symbol  MRE mm  SD mm  SDR@2mm  n',
    );
    for (const l of sum.perLandmark)
      lines.push(
        `    ${l.symbol.padEnd(6)} ${f2(l.mreMm).padStart(6)} ${f2(l.sdMm).padStart(6)} ${pct(l.sdr2).padStart(8)}  ${l.n}`,
      );
    if (diffs.size) {
      lines.push('  measurement differences (landmarks - reference): mean, mean |diff|');
      for (const id of analysis.measurements) {
        const d = diffs.get(id);
        if (!d) continue;
        const mean = d.reduce((s, v) => s + v, 0) / d.length;
        const mad = d.reduce((s, v) => s + Math.abs(v), 0) / d.length;
        lines.push(
          `    ${id.padEnd(12)} ${mean.toFixed(2).padStart(7)} ${mad.toFixed(2).padStart(7)}  (${d.length} images)`,
        );
      }
    }
  }
  console.log(lines.join('\n'));
  return 0;
}
