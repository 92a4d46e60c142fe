/**
 * `cli profile-pairs`: photo/X-ray pairs from a folder of lateral films (+ landmarks) for the
 * real-anatomy benchmark (issue 15 item 5). The input ("photo") of each pair is the film's
 * soft-tissue profile — the face outline a profile photo shows, segmented from the film (see
 * core/data/profile.ts), a shaded silhouette without bone — and the target ("X-ray") is the film.
 * Writes a dataset folder the studio imports and `train`/`sweep`/`study --data` read:
 *   <out>/[train|val|test/]photo/<id>.png and <out>/[...]xray/<id>.<ext> (by default the film's own
 *   file, byte for byte, so the original pixel spacing holds for every tool; with --size the longest
 *   side in px, aspect ratio kept, as PNG), <out>/[...]xray/<id>.txt (the ISBI landmark text in the
 *   written X-ray's pixels, read by the studio's import and by `train/sweep/study --data`),
 *   <out>/README.md (source, spacing in mm/px of the written images, command) and
 *   <out>/profile-pairs.tsv (per film: face side, contrast, and the soft-tissue landmarks' distance
 *   from the traced profile in mm — a check of the segmentation on every film).
 */
import { copyFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { compareIds } from '../core/data/splits';
import {
  faceSideFromLandmarks,
  ISBI_SOFT_TISSUE,
  profileDistanceMm,
  renderSilhouette,
  segmentProfile,
  type FaceSide,
} from '../core/data/profile';
import { resizeRgba } from '../core/data/resize';
import type { Point, RgbaImage } from '../core/image';
import { decodeFileNode, encodePngNode } from '../core/io/decodeNode';
import { parseLandmarkCsv, writeIsbiText } from '../core/io/landmarks';
import { Rng, deriveSeed } from '../core/rng';
import {
  HELP_OPTION,
  helpText,
  numberOption,
  parse,
  stringOption,
  UsageError,
  type OptionSpecs,
} from './args';

const OPTIONS: OptionSpecs = {
  films: { type: 'string', arg: '<dir>', help: 'folder of lateral films (PNG/JPEG), e.g. 001.jpg … 150.jpg' },
  landmarks: {
    type: 'string',
    arg: '<csv>',
    help: 'landmark CSV (image_path,1_x,1_y,…) in the films’ pixels; kept (scaled) in the pairs',
  },
  out: { type: 'string', arg: '<dir>', help: 'output dataset folder (required; must be empty or new)' },
  size: {
    type: 'string',
    arg: '<px>',
    help: 'longest side of the written images in px, aspect ratio kept (default: the film’s own size, copied)',
  },
  mm_per_px: { type: 'string', arg: '<mm>', help: 'pixel spacing of the films (default 0.1, ISBI 2015)' },
  face: {
    type: 'string',
    arg: '<auto|right|left>',
    help: 'side the faces look to (default auto: from the landmarks, else from the image)',
  },
  val: {
    type: 'string',
    arg: '<n>',
    help: 'hold out n films in val/ (seeded; default 0 = no split folders)',
  },
  test: { type: 'string', arg: '<n>', help: 'hold out n films in test/ (seeded; default 0)' },
  seed: { type: 'string', arg: '<n>', help: 'seed of the held-out choice (default 1)' },
  limit: { type: 'string', arg: '<n>', help: 'only the first n films (by name)' },
  sheet: {
    type: 'string',
    arg: '<png>',
    help: 'also write a contact sheet (film with the traced profile | silhouette) of up to 8 pairs',
  },
  quiet: { type: 'boolean', help: 'print only the summary' },
};

export const PROFILE_PAIRS_HELP = helpText(
  'profile-pairs --films <dir> [--landmarks <csv>] --out <dir> [--size N] [--val N --test N --seed S]',
  'Build photo/X-ray pairs from lateral films for the real-anatomy benchmark: the input is the film’s\n' +
    'soft-tissue profile (a shaded silhouette of the face outline, no bone), the target is the film.\n' +
    'Writes photo/ + xray/ (under train/ val/ test/ with --val/--test; landmarks as xray/<id>.txt), README.md and\n' +
    'profile-pairs.tsv (per film: the soft-tissue landmarks’ distance from the traced profile, mm).',
  [
    ['Pairs', OPTIONS],
    ['Other', HELP_OPTION],
  ],
);

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

export interface ProfilePairsOptions {
  films: string;
  landmarks?: string;
  out: string;
  /** Longest side of the written images; 0 = the film's own size (the X-ray is the film's file). */
  size: number;
  mmPerPx: number;
  face: 'auto' | FaceSide;
  val: number;
  test: number;
  seed: number;
  limit?: number;
  sheet?: string;
  say: (line: string) => void;
  /** The command line recorded in README.md. */
  command?: string;
}

export interface ProfilePairRecord {
  id: string;
  split: 'train' | 'val' | 'test' | null;
  film: string;
  face: FaceSide;
  faceFrom: 'option' | 'landmarks' | 'image';
  contrast: number;
  width: number;
  height: number;
  /** Soft-tissue landmarks' signed distance from the profile (mm; negative inside), null without landmarks. */
  softTissueMm: (number | null)[] | null;
}

export interface ProfilePairsResult {
  pairs: ProfilePairRecord[];
  skipped: string[];
  /** mm per pixel of the written images. */
  mmPerPxOut: number;
  /** Largest |distance| of any soft-tissue landmark from its profile, mm (null without landmarks). */
  worstSoftTissueMm: number | null;
  medianSoftTissueMm: number | null;
}

/** Ids of the held-out films: a seeded draw, the same for the same ids and seed. */
export function heldOutSplits(
  ids: readonly string[],
  val: number,
  test: number,
  seed: number,
): Map<string, 'train' | 'val' | 'test'> {
  if (val + test >= ids.length)
    throw new UsageError(`--val ${val} + --test ${test} leave no training films of ${ids.length}`);
  const order = [...ids].sort(compareIds);
  const rng = new Rng(deriveSeed(seed, 'profile-pairs'));
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out = new Map<string, 'train' | 'val' | 'test'>();
  order.forEach((id, i) => out.set(id, i < val ? 'val' : i < val + test ? 'test' : 'train'));
  return out;
}

async function writeAtomically(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.partial`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/** The film with the traced profile drawn in red, beside its silhouette (one contact-sheet cell). */
function sheetCell(
  film: RgbaImage,
  sil: RgbaImage,
  depthOut: (y: number) => number,
  face: FaceSide,
): RgbaImage {
  const w = sil.width;
  const h = sil.height;
  const small = resizeRgba(film, w, h);
  const cell = { width: 2 * w, height: h, data: new Uint8ClampedArray(2 * w * h * 4) };
  for (let y = 0; y < h; y++) {
    const b = depthOut(y);
    const xb = Number.isNaN(b) ? -1 : Math.floor(face === 'right' ? b : w - b);
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 4;
      const d1 = (y * 2 * w + x) * 4;
      const d2 = (y * 2 * w + w + x) * 4;
      for (let c = 0; c < 4; c++) {
        cell.data[d1 + c] = small.data[s + c];
        cell.data[d2 + c] = sil.data[s + c];
      }
      if (x === xb) {
        cell.data[d1] = 255;
        cell.data[d1 + 1] = 0;
        cell.data[d1 + 2] = 0;
      }
    }
  }
  return cell;
}

/** Build the pairs (the CLI's work, callable from the benchmark). */
export async function buildProfilePairs(o: ProfilePairsOptions): Promise<ProfilePairsResult> {
  let entries: string[];
  try {
    entries = await readdir(o.films);
  } catch (e) {
    throw new UsageError(`--films ${o.films}: cannot read the folder (${(e as Error).message})`);
  }
  let files = entries.filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort(compareIds);
  if (o.limit !== undefined) files = files.slice(0, o.limit);
  if (files.length === 0) throw new UsageError(`--films ${o.films}: no PNG or JPEG films in the folder`);
  const idOf = (f: string): string => basename(f, extname(f));
  let landmarksByCase = new Map<string, Point[]>();
  if (o.landmarks !== undefined) {
    let text: string;
    try {
      text = await readFile(o.landmarks, 'utf8');
    } catch (e) {
      throw new UsageError(`--landmarks ${o.landmarks}: cannot read the file (${(e as Error).message})`);
    }
    const csv = parseLandmarkCsv(text, basename(o.landmarks), { expected: null });
    const fatal = csv.problems.find((p) => p.severity === 'error' && p.code === 'csv-missing-column');
    if (fatal || csv.rows.length === 0)
      throw new UsageError(fatal?.message ?? `--landmarks ${o.landmarks}: no landmark rows`);
    for (const p of csv.problems) if (p.severity !== 'info') o.say(`note: ${p.message}`);
    landmarksByCase = csv.byCase;
  }
  const ids = files.map(idOf);
  const splits = o.val + o.test > 0 ? heldOutSplits(ids, o.val, o.test, o.seed) : null;
  await mkdir(o.out, { recursive: true });
  const existing = (await readdir(o.out)).filter((f) => !f.startsWith('.'));
  if (existing.length > 0)
    throw new UsageError(
      `--out ${o.out} is not empty (${existing.slice(0, 3).join(', ')}…); give a new folder`,
    );
  const pairs: ProfilePairRecord[] = [];
  const skipped: string[] = [];
  let withLandmarks = 0;
  const cells: RgbaImage[] = [];
  let mmPerPxOut = o.mmPerPx;
  for (const f of files) {
    const id = idOf(f);
    const r = await decodeFileNode(join(o.films, f));
    if (!r.ok) {
      skipped.push(r.problem.message);
      o.say(`skipped: ${r.problem.message}`);
      continue;
    }
    const film = r.image;
    const points = landmarksByCase.get(id) ?? null;
    if (o.landmarks !== undefined && !points)
      o.say(`note: ${o.landmarks} has no row for ${f}; the pair has no landmarks`);
    let face: FaceSide | undefined;
    let faceFrom: ProfilePairRecord['faceFrom'] = 'image';
    if (o.face !== 'auto') {
      face = o.face;
      faceFrom = 'option';
    } else if (points && points.length >= 19) {
      face = faceSideFromLandmarks(points) ?? undefined;
      if (face) faceFrom = 'landmarks';
    }
    const seg = segmentProfile(film, { mmPerPx: o.mmPerPx, face });
    const scale = o.size > 0 ? o.size / Math.max(film.width, film.height) : 1;
    const w = Math.max(1, Math.round(film.width * scale));
    const h = Math.max(1, Math.round(film.height * scale));
    mmPerPxOut = (o.mmPerPx * film.width) / w;
    const sil = renderSilhouette(seg, w, h, o.mmPerPx);
    const split = splits?.get(id) ?? null;
    const dir = split ? join(o.out, split) : o.out;
    await mkdir(join(dir, 'photo'), { recursive: true });
    await mkdir(join(dir, 'xray'), { recursive: true });
    await writeAtomically(join(dir, 'photo', `${id}.png`), encodePngNode(sil));
    if (o.size > 0)
      await writeAtomically(join(dir, 'xray', `${id}.png`), encodePngNode(resizeRgba(film, w, h)));
    else await copyFile(join(o.films, f), join(dir, 'xray', `${id}${extname(f).toLowerCase()}`));
    let softTissueMm: (number | null)[] | null = null;
    if (points) {
      const scaled = points.map(([x, y]) => [(x * w) / film.width, (y * h) / film.height] as Point);
      await writeAtomically(join(dir, 'xray', `${id}.txt`), writeIsbiText(scaled, { decimals: 2 }));
      withLandmarks++;
      if (points.length >= 19)
        softTissueMm = ISBI_SOFT_TISSUE.map((k) => {
          const d = profileDistanceMm(seg, points[k], o.mmPerPx);
          return Number.isNaN(d) ? null : d;
        });
    }
    pairs.push({
      id,
      split,
      film: f,
      face: seg.face,
      faceFrom,
      contrast: seg.contrast,
      width: w,
      height: h,
      softTissueMm,
    });
    if (o.sheet !== undefined && cells.length < 8) {
      const cw = 160;
      const ch = Math.round((cw * film.height) / film.width);
      const small = renderSilhouette(seg, cw, ch, o.mmPerPx);
      const depthOut = (y: number): number => {
        const wy = Math.min(seg.workHeight - 1, Math.floor(((y + 0.5) * film.height) / ch / seg.factor));
        return (seg.depth[wy] * seg.factor * cw) / film.width;
      };
      cells.push(sheetCell(film, small, depthOut, seg.face));
    }
    const st = softTissueMm
      ? ` soft-tissue landmarks ${softTissueMm.map((d) => (d === null ? '—' : d.toFixed(1))).join('/')} mm from the profile`
      : '';
    o.say(
      `${f} -> ${split ? `${split}/` : ''}photo|xray/${id} ${w}x${h} (face ${seg.face}, contrast ${seg.contrast.toFixed(1)})${st}`,
    );
  }
  if (pairs.length === 0) throw new UsageError(`--films ${o.films}: no film could be read (${skipped[0]})`);
  const all = pairs.flatMap((p) =>
    (p.softTissueMm ?? []).filter((d): d is number => d !== null).map(Math.abs),
  );
  all.sort((a, b) => a - b);
  const worst = all.length ? all[all.length - 1] : null;
  const med = all.length ? all[all.length >> 1] : null;
  const tsv = [
    [
      'id',
      'split',
      'film',
      'face',
      'face_from',
      'contrast',
      'width',
      'height',
      'upper_lip_mm',
      'lower_lip_mm',
      'subnasale_mm',
      'soft_pogonion_mm',
    ].join('\t'),
    ...pairs.map((p) =>
      [
        p.id,
        p.split ?? '',
        p.film,
        p.face,
        p.faceFrom,
        p.contrast.toFixed(1),
        p.width,
        p.height,
        ...(p.softTissueMm ?? [null, null, null, null]).map((d) => (d === null ? '' : d.toFixed(2))),
      ].join('\t'),
    ),
  ].join('\n');
  await writeAtomically(join(o.out, 'profile-pairs.tsv'), `${tsv}\n`);
  const counts = { train: 0, val: 0, test: 0 };
  for (const p of pairs) counts[p.split ?? 'train']++;
  const readme = [
    '# Soft-tissue profile -> film pairs (real-anatomy benchmark)',
    '',
    `Built by \`${o.command ?? 'npm run cli -- profile-pairs'}\` from ${pairs.length} films in \`${o.films}\`` +
      (o.landmarks ? ` with the landmarks of \`${o.landmarks}\`.` : '.'),
    '',
    '- `photo/<id>.png`: the input, the film’s soft-tissue profile as a shaded silhouette (face outline only, no bone).',
    o.size > 0
      ? `- \`xray/<id>.png\`: the target, the film resized to a longest side of ${o.size} px (aspect ratio kept): ` +
        `pixel spacing **${mmPerPxOut.toFixed(4)} mm/px** (films ${o.mmPerPx} mm/px); give it on import and to ` +
        '`train --mm-per-px`.'
      : `- \`xray/<id>.*\`: the target, the film’s own file (pixel spacing ${o.mmPerPx} mm/px, as the films).`,
    withLandmarks > 0
      ? `- \`xray/<id>.txt\`: the film’s landmarks (ISBI text, one x,y per line) in the written X-ray’s pixels (${withLandmarks} films).`
      : '- No landmarks.',
    splits
      ? `- Held out (seed ${o.seed}): ${counts.val} in \`val/\`, ${counts.test} in \`test/\`; ${counts.train} in \`train/\`.`
      : '- No split folders: the studio splits the cases itself.',
    '- `profile-pairs.tsv`: per film the face side, the chosen edge contrast and the soft-tissue landmarks’ signed' +
      ' distance from the traced profile in mm (negative = inside the silhouette).',
    worst !== null
      ? `- Soft-tissue landmarks vs the traced profile: median ${med!.toFixed(2)} mm, worst ${worst.toFixed(2)} mm.`
      : '',
    '',
  ].join('\n');
  await writeAtomically(join(o.out, 'README.md'), readme);
  if (o.sheet !== undefined && cells.length > 0) {
    const cols = Math.min(4, cells.length);
    const rows = Math.ceil(cells.length / cols);
    const cw = cells[0].width;
    const ch = Math.max(...cells.map((c) => c.height));
    const sheet = {
      width: cols * cw,
      height: rows * ch,
      data: new Uint8ClampedArray(cols * cw * rows * ch * 4),
    };
    cells.forEach((c, i) => {
      const ox = (i % cols) * cw;
      const oy = Math.floor(i / cols) * ch;
      for (let y = 0; y < c.height; y++)
        sheet.data.set(
          c.data.subarray(y * c.width * 4, (y + 1) * c.width * 4),
          ((oy + y) * sheet.width + ox) * 4,
        );
    });
    await writeAtomically(o.sheet, encodePngNode(sheet, { grey: false }));
  }
  return { pairs, skipped, mmPerPxOut, worstSoftTissueMm: worst, medianSoftTissueMm: med };
}

export async function run(argv: string[]): Promise<number> {
  const values = parse(argv, { ...OPTIONS, ...HELP_OPTION }, 'profile-pairs');
  if (values.help) {
    console.log(PROFILE_PAIRS_HELP);
    return 0;
  }
  const films = stringOption(values, 'films');
  const out = stringOption(values, 'out');
  if (films === undefined) throw new UsageError('profile-pairs: --films <dir> is required (see --help)');
  if (out === undefined) throw new UsageError('profile-pairs: --out <dir> is required (see --help)');
  const face = stringOption(values, 'face') ?? 'auto';
  if (face !== 'auto' && face !== 'right' && face !== 'left')
    throw new UsageError(`--face must be auto, right or left, got "${face}"`);
  const quiet = values.quiet === true;
  const res = await buildProfilePairs({
    films,
    landmarks: stringOption(values, 'landmarks'),
    out,
    size: numberOption(values, 'size', { integer: true, min: 16, max: 8192 }) ?? 0,
    mmPerPx: numberOption(values, 'mm_per_px', { min: 1e-4 }) ?? 0.1,
    face,
    val: numberOption(values, 'val', { integer: true, min: 0 }) ?? 0,
    test: numberOption(values, 'test', { integer: true, min: 0 }) ?? 0,
    seed: numberOption(values, 'seed', { integer: true, min: 0 }) ?? 1,
    limit: numberOption(values, 'limit', { integer: true, min: 1 }),
    sheet: stringOption(values, 'sheet'),
    say: (s) => {
      if (!quiet) console.log(s);
    },
    command: `npm run cli -- profile-pairs ${argv.join(' ')}`,
  });
  console.log(
    `wrote ${res.pairs.length} pairs to ${out} (${res.mmPerPxOut.toFixed(4)} mm/px)` +
      (res.skipped.length ? `; skipped ${res.skipped.length}` : '') +
      (res.worstSoftTissueMm !== null
        ? `; soft-tissue landmarks vs profile: median ${res.medianSoftTissueMm!.toFixed(2)} mm, worst ${res.worstSoftTissueMm.toFixed(2)} mm`
        : ''),
  );
  return 0;
}
