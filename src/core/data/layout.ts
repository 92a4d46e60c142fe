/**
 * Layout detection: from a list of dropped paths (folder, ZIP, loose files) to an import plan
 * shown to the user BEFORE anything is imported. Only paths and sizes are looked at here; pixel
 * checks (decodability, aligned halves, limits on the pixel size) happen during the import.
 *
 * Recognised layouts, with any nesting (a top folder from a ZIP or a drop is stripped):
 * (a) `folders`: photo/ + xray/ folders, paired by base name (`photo/001.jpg` + `xray/001.png`).
 *     Folder synonyms (case-insensitive, configurable): photo|photos|face|faces|A|trainA|input|
 *     profile and xray|xrays|x-ray|ceph|cephs|cephalogram|B|trainB|target|lateral. Patient folders
 *     holding `photo.jpg` + `xray.png` are recognised too.
 * (b) `aligned`: the server's pix2pix layout, one image per case with the photo in the left half
 *     and the X-ray in the right half (plan.aligned = true: split each image in half). Recognised
 *     by the absence of any photo/X-ray folders or name suffixes.
 * (c) `suffix`: names carry the role: `123_photo.jpg` / `123_xray.png`, also `-photo`, `_A`/`_B`,
 *     `_face`/`_ceph`, `real_A`/`real_B`, or a prefix (`photo_123.jpg`).
 * `mixed` = (a) and (c) in one drop. train/ val/ test/ folders anywhere in a path give splits.
 * Landmarks: `<case>.txt` (ISBI text) or `<case>.json` (Aariz) anywhere, matched by base name;
 * or one CSV for all (`image_path,1_x,1_y,…`), whose rows the parser matches to cases.
 * Hidden and system files (`.DS_Store`, `__MACOSX/`, `._x`, `Thumbs.db`) are ignored; DICOM
 * and other unsupported formats are reported with what to do.
 */
import type { CaseSplit, FileProblem, LandmarkFormat, LayoutKind } from './types';
import { compareIds } from './splits';

export type { LayoutKind } from './types';

export type ImageRole = 'photo' | 'xray';

export interface LayoutOptions {
  /** Folder names that hold photos (case-insensitive). Replaces DEFAULT_PHOTO_DIRS. */
  photoDirNames?: string[];
  /** Folder names that hold X-rays (case-insensitive). Replaces DEFAULT_XRAY_DIRS. */
  xrayDirNames?: string[];
  /** Override the detection: 'paired' never treats role-less images as aligned pairs. */
  assume?: 'auto' | 'paired' | 'aligned';
}

export const DEFAULT_PHOTO_DIRS = [
  'photo',
  'photos',
  'face',
  'faces',
  'a',
  'traina',
  'input',
  'profile',
  'profiles',
];
export const DEFAULT_XRAY_DIRS = [
  'xray',
  'xrays',
  'x-ray',
  'x-rays',
  'ceph',
  'cephs',
  'cephalogram',
  'cephalograms',
  'b',
  'trainb',
  'target',
  'lateral',
];

/** One planned case. A case with only one of photoPath / xrayPath is unpaired (see problems). */
export interface PlannedCase {
  id: string;
  photoPath?: string;
  xrayPath?: string;
  /** Aligned layout: the side-by-side image (photo left half, X-ray right half). */
  alignedPath?: string;
  /**
   * Per-case landmark file (.txt ISBI or .json Aariz), in X-ray pixels (aligned layout: pixels of
   * the right half); CSV rows are matched at import (io/landmarks.ts matchCsvRows).
   */
  landmarkPath?: string;
  split?: CaseSplit;
}

export interface LayoutPlan {
  kind: LayoutKind;
  /** True for the aligned layout: split each image in half (photo left, X-ray right). */
  aligned: boolean;
  /** Common top folder of all paths ('' when none), not part of case ids. */
  root: string;
  cases: PlannedCase[];
  /** The landmark format found (the most common one when files of several formats match). */
  landmarkFormat: LandmarkFormat | null;
  /** The one CSV holding landmarks of all cases, when present. */
  landmarkCsvPath?: string;
  /** True when every case got its split from a train/ val/ test/ folder. */
  splitsFromFolders: boolean;
  /** Per-file problems (errors: will not be imported; warnings: imported with a caveat; info). */
  problems: FileProblem[];
  /** Hidden and system files, skipped silently. */
  ignored: string[];
  counts: {
    files: number;
    photos: number;
    xrays: number;
    alignedImages: number;
    cases: number;
    pairs: number;
    unpaired: number;
    withLandmarks: number;
    ignored: number;
  };
  /** What will happen, in plain English, to show before the import. */
  summary: string;
}

const IMAGE_EXT = new Set(['png', 'jpg', 'jpeg', 'bmp', 'webp']);
const LANDMARK_EXT = new Set(['txt', 'json', 'csv']);
const DICOM_EXT = new Set(['dcm', 'dicom', 'dic']);
const OTHER_IMAGE_EXT = new Set([
  'tif',
  'tiff',
  'heic',
  'heif',
  'jp2',
  'j2k',
  'gif',
  'raw',
  'nii',
  'gz',
  'nrrd',
]);

const SPLIT_DIRS: Record<string, CaseSplit> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
};
/** CycleGAN-style folders that carry both a split and a role. */
const SPLIT_ROLE_DIRS: Record<string, [CaseSplit, ImageRole]> = {
  traina: ['train', 'photo'],
  trainb: ['train', 'xray'],
  vala: ['val', 'photo'],
  valb: ['val', 'xray'],
  testa: ['test', 'photo'],
  testb: ['test', 'xray'],
};

const PHOTO_WORDS = 'photo|photos|face|profile|input|real_a|reala';
const XRAY_WORDS = 'xray|x-ray|x_ray|ceph|cephalogram|lateral|target|real_b|realb';
const SUFFIX_RE = new RegExp(`^(.+?)[ _.-](${PHOTO_WORDS}|${XRAY_WORDS})$`, 'i');
const PREFIX_RE = new RegExp(`^(${PHOTO_WORDS}|${XRAY_WORDS})[ _.-](.+)$`, 'i');
/** `_A` / `_B`: single letters only in upper case, to avoid reading `scan_b` as an X-ray. */
const AB_RE = /^(.+?)[_-](A|B)$/;
const WHOLE_RE = new RegExp(`^(${PHOTO_WORDS}|${XRAY_WORDS})$`, 'i');
const GENERATED_RE = /(^|[_-])(fake_[AB]|rec_[AB]|idt_[AB]|fake)$/i;

function wordRole(word: string): ImageRole {
  return new RegExp(`^(${PHOTO_WORDS})$`, 'i').test(word) ? 'photo' : 'xray';
}

/** Role and stem from a file's base name (without extension). */
export function roleFromName(stem: string): { role: ImageRole; stem: string } | null {
  let m = SUFFIX_RE.exec(stem);
  if (m) return { role: wordRole(m[2]), stem: m[1] };
  m = AB_RE.exec(stem);
  if (m) return { role: m[2] === 'A' ? 'photo' : 'xray', stem: m[1] };
  m = PREFIX_RE.exec(stem);
  if (m) return { role: wordRole(m[1]), stem: m[2] };
  m = WHOLE_RE.exec(stem);
  if (m) return { role: wordRole(m[1]), stem: '' };
  return null;
}

export function normalizePath(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/^\.?\/+/, '')
    .replace(/\/{2,}/g, '/');
}

function extOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i > 0 ? name.slice(i + 1).toLowerCase() : '';
}

function stemOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i > 0 ? name.slice(0, i) : name;
}

/**
 * The case key of an image or landmark path as used to match landmark CSV rows and files:
 * the base name without extension and without a role suffix/prefix (`dir/001_xray.png` -> `001`).
 */
export function caseBaseName(path: string): string {
  const p = normalizePath(path);
  const name = p.slice(p.lastIndexOf('/') + 1);
  const stem = stemOf(name);
  const r = roleFromName(stem);
  return r && r.stem ? r.stem : stem;
}

/** True for hidden and OS metadata files that are skipped silently. */
export function isHiddenPath(path: string): boolean {
  const parts = normalizePath(path).split('/');
  const name = parts[parts.length - 1];
  return (
    parts.some((c) => c.startsWith('.') || c === '__MACOSX') ||
    /^(thumbs\.db|desktop\.ini|ehthumbs\.db)$/i.test(name) ||
    name.startsWith('~$')
  );
}

/** Recognise a file type from its first bytes (the import checks content, not only names). */
export function sniffImageType(
  bytes: Uint8Array,
): 'png' | 'jpeg' | 'bmp' | 'webp' | 'gif' | 'tiff' | 'dicom' | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (
    b.length >= 12 &&
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45
  )
    return 'webp';
  if (b.length >= 4 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'gif';
  if (
    b.length >= 4 &&
    ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a))
  )
    return 'tiff';
  if (b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d)
    return 'dicom';
  return null;
}

/**
 * After decoding an aligned-layout image: a problem when it cannot be a side-by-side pair
 * (narrower than tall means each half would be a thin strip), else null.
 */
export function checkAlignedImage(file: string, width: number, height: number): FileProblem | null {
  if (width >= 2 && width >= height) return null;
  return {
    file,
    code: 'aligned-not-pair',
    severity: 'error',
    message:
      `${file}: ${width} × ${height} px does not look like a photo and an X-ray side by side (the aligned layout). ` +
      'Put photos in a photo/ folder and X-rays in an xray/ folder with the same file names instead.',
  };
}

interface ImageEntry {
  path: string;
  /** Key for pairing: folders minus role folders (and the root) + stem. */
  key: string;
  stem: string;
  dirs: string[];
  role: ImageRole | null;
  roleFrom: 'dir' | 'name' | null;
  split?: CaseSplit;
}

/** Path order: folder by folder, each compared in natural order (`2/` before `10/`). */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = compareIds(pa[i], pb[i]);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

function commonRoot(paths: string[]): string {
  if (!paths.length) return '';
  const first = paths[0].split('/').slice(0, -1);
  let n = first.length;
  for (const p of paths) {
    const parts = p.split('/').slice(0, -1);
    let i = 0;
    while (i < n && i < parts.length && parts[i] === first[i]) i++;
    n = i;
    if (n === 0) break;
  }
  // never strip a folder that carries meaning (a role or a split)
  const kept = first.slice(0, n);
  const meaningful = kept.findIndex((c) => {
    const l = c.toLowerCase();
    return (
      Object.hasOwn(SPLIT_DIRS, l) ||
      Object.hasOwn(SPLIT_ROLE_DIRS, l) ||
      DEFAULT_PHOTO_DIRS.includes(l) ||
      DEFAULT_XRAY_DIRS.includes(l)
    );
  });
  return (meaningful >= 0 ? kept.slice(0, meaningful) : kept).join('/');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** Build the import plan from dropped paths (and sizes in bytes). Never throws. */
export function detectLayout(files: { path: string; size: number }[], opts: LayoutOptions = {}): LayoutPlan {
  const photoDirs = new Set((opts.photoDirNames ?? DEFAULT_PHOTO_DIRS).map((s) => s.toLowerCase()));
  const xrayDirs = new Set((opts.xrayDirNames ?? DEFAULT_XRAY_DIRS).map((s) => s.toLowerCase()));
  const problems: FileProblem[] = [];
  const ignored: string[] = [];
  const images: { path: string; size: number }[] = [];
  const landmarkFiles: string[] = [];
  const csvFiles: string[] = [];
  const all = files
    .map((f) => ({ path: normalizePath(f.path), size: f.size }))
    .sort((a, b) => comparePaths(a.path, b.path));
  const seen = new Set<string>();
  let dicomCount = 0;
  let otherCount = 0;

  for (const f of all) {
    if (!f.path || f.path.endsWith('/')) continue;
    if (seen.has(f.path)) continue;
    seen.add(f.path);
    if (isHiddenPath(f.path)) {
      ignored.push(f.path);
      continue;
    }
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const ext = extOf(name);
    if (IMAGE_EXT.has(ext)) {
      if (f.size === 0) {
        problems.push({
          file: f.path,
          code: 'empty-file',
          severity: 'error',
          message: `${f.path}: the file is empty (0 bytes) and will be skipped. Copy or export it again.`,
        });
      } else if (GENERATED_RE.test(stemOf(name))) {
        problems.push({
          file: f.path,
          code: 'generated-image',
          severity: 'info',
          message: `${f.path}: a generated image from a pix2pix results folder (fake/rec), not training data; skipped.`,
        });
      } else {
        images.push(f);
      }
    } else if (LANDMARK_EXT.has(ext)) {
      if (ext === 'csv') csvFiles.push(f.path);
      else landmarkFiles.push(f.path);
    } else if (DICOM_EXT.has(ext)) {
      dicomCount++;
      problems.push({
        file: f.path,
        code: 'unsupported-dicom',
        severity: 'error',
        message: `${f.path}: DICOM files are not supported. Export PNG from your DICOM viewer and import the PNG files.`,
      });
    } else if (OTHER_IMAGE_EXT.has(ext)) {
      otherCount++;
      problems.push({
        file: f.path,
        code: 'unsupported-format',
        severity: 'error',
        message: `${f.path}: .${ext} images are not supported. Convert them to PNG (lossless) and import again.`,
      });
    } else {
      otherCount++;
      problems.push({
        file: f.path,
        code: 'not-image',
        severity: 'info',
        message: `${f.path}: not an image or landmark file; skipped.`,
      });
    }
  }

  const root = commonRoot([...images.map((f) => f.path), ...landmarkFiles, ...csvFiles]);
  const rel = (p: string): string[] => {
    const parts = p.split('/');
    return root ? parts.slice(root.split('/').length) : parts;
  };

  // classify images
  const entries: ImageEntry[] = [];
  for (const f of images) {
    const parts = rel(f.path);
    const name = parts[parts.length - 1];
    const dirsAll = parts.slice(0, -1);
    let stem = stemOf(name);
    let role: ImageRole | null = null;
    let roleFrom: ImageEntry['roleFrom'] = null;
    let split: CaseSplit | undefined;
    const keyDirs: string[] = [];
    for (let i = dirsAll.length - 1; i >= 0; i--) {
      const d = dirsAll[i];
      const l = d.toLowerCase();
      if (Object.hasOwn(SPLIT_ROLE_DIRS, l)) {
        const [s, r] = SPLIT_ROLE_DIRS[l];
        split ??= s;
        if (!role) {
          role = r;
          roleFrom = 'dir';
        }
        keyDirs.unshift(s);
        continue;
      }
      if (!role && photoDirs.has(l)) {
        role = 'photo';
        roleFrom = 'dir';
        continue;
      }
      if (!role && xrayDirs.has(l)) {
        role = 'xray';
        roleFrom = 'dir';
        continue;
      }
      if (Object.hasOwn(SPLIT_DIRS, l)) split ??= SPLIT_DIRS[l];
      keyDirs.unshift(d);
    }
    const byName = roleFromName(stem);
    if (byName) {
      role = byName.role;
      roleFrom = 'name';
      stem = byName.stem;
    }
    if (opts.assume === 'aligned') {
      role = null;
      roleFrom = null;
      stem = stemOf(name);
    }
    // patient folders: `p001/photo.jpg` -> stem '' -> the folder names the case
    if (!stem) stem = keyDirs.pop() ?? 'case';
    const key = [...keyDirs, stem].join('/');
    entries.push({ path: f.path, key, stem, dirs: keyDirs, role, roleFrom, split });
  }

  const withRole = entries.filter((e) => e.role);
  const noRole = entries.filter((e) => !e.role);
  const byDir = withRole.some((e) => e.roleFrom === 'dir');
  const byName = withRole.some((e) => e.roleFrom === 'name');
  const aligned =
    opts.assume === 'aligned' || (opts.assume !== 'paired' && withRole.length === 0 && noRole.length > 0);
  const kind: LayoutKind =
    entries.length === 0
      ? 'empty'
      : aligned
        ? 'aligned'
        : byDir && byName
          ? 'mixed'
          : byDir
            ? 'folders'
            : 'suffix';

  interface Group {
    key: string;
    stem: string;
    dirs: string[];
    photo?: string;
    xray?: string;
    aligned?: string;
    split?: CaseSplit;
  }
  const groups = new Map<string, Group>();
  const group = (e: ImageEntry): Group => {
    let g = groups.get(e.key);
    if (!g) {
      g = { key: e.key, stem: e.stem, dirs: e.dirs, split: e.split };
      groups.set(e.key, g);
    }
    g.split ??= e.split;
    return g;
  };
  const duplicate = (e: ImageEntry, kept: string, what: string): void => {
    problems.push({
      file: e.path,
      code: 'duplicate-image',
      severity: 'warning',
      message: `${e.path}: a second ${what} for case "${e.key}" (already using ${kept}); this one is skipped. Remove one of the two.`,
    });
  };
  for (const e of entries) {
    if (aligned) {
      const g = group(e);
      if (g.aligned) duplicate(e, g.aligned, 'image');
      else g.aligned = e.path;
    } else if (e.role) {
      const g = group(e);
      const kept = g[e.role];
      if (kept) duplicate(e, kept, e.role === 'photo' ? 'photo' : 'X-ray');
      else g[e.role] = e.path;
    } else {
      problems.push({
        file: e.path,
        code: 'unknown-role',
        severity: 'error',
        message:
          `${e.path}: cannot tell whether this is a photo or an X-ray. Put it in a photo/ or xray/ folder, ` +
          'or name it like 001_photo.jpg / 001_xray.png.',
      });
    }
  }

  // case ids: the stem when unique, else the key with its folders
  const stemCount = new Map<string, number>();
  for (const g of groups.values()) stemCount.set(g.stem, (stemCount.get(g.stem) ?? 0) + 1);
  const cases: (PlannedCase & { _key: string; _dirs: string[]; _stem: string })[] = [...groups.values()]
    .map((g) => ({
      id: (stemCount.get(g.stem) ?? 0) > 1 ? g.key : g.stem,
      ...(g.photo ? { photoPath: g.photo } : {}),
      ...(g.xray ? { xrayPath: g.xray } : {}),
      ...(g.aligned ? { alignedPath: g.aligned } : {}),
      ...(g.split ? { split: g.split } : {}),
      _key: g.key,
      _dirs: g.dirs,
      _stem: g.stem,
    }))
    .sort((a, b) => compareIds(a.id, b.id) || comparePaths(a._key, b._key));

  let unpaired = 0;
  for (const c of cases) {
    if (aligned) continue;
    if (c.photoPath && !c.xrayPath) {
      unpaired++;
      problems.push({
        file: c.photoPath,
        code: 'unpaired',
        severity: 'error',
        message: `${c.photoPath}: photo of case "${c.id}" has no X-ray with the same name; the case cannot be used for training.`,
      });
    } else if (c.xrayPath && !c.photoPath) {
      unpaired++;
      problems.push({
        file: c.xrayPath,
        code: 'unpaired',
        severity: 'error',
        message: `${c.xrayPath}: X-ray of case "${c.id}" has no photo with the same name; the case cannot be used for training.`,
      });
    }
  }

  // landmark files matched by base name
  const byStem = new Map<string, typeof cases>();
  for (const c of cases) {
    const list = byStem.get(c._stem) ?? [];
    list.push(c);
    byStem.set(c._stem, list);
  }
  const formatVotes = { 'isbi-txt': 0, 'aariz-json': 0 };
  for (const lp of landmarkFiles) {
    const stem = caseBaseName(lp);
    let candidates = byStem.get(stem) ?? [];
    if (candidates.length > 1) {
      const dirs = new Set(
        rel(lp)
          .slice(0, -1)
          .map((d) => d.toLowerCase()),
      );
      const narrowed = candidates.filter((c) => c._dirs.every((d) => dirs.has(d.toLowerCase())));
      if (narrowed.length) candidates = narrowed;
    }
    const fmt = extOf(lp) === 'json' ? ('aariz-json' as const) : ('isbi-txt' as const);
    if (candidates.length === 0) {
      problems.push({
        file: lp,
        code: 'landmark-unmatched',
        severity: 'info',
        message: `${lp}: no case named "${stem}", so it is not read as landmarks; skipped.`,
      });
    } else if (candidates.length > 1) {
      problems.push({
        file: lp,
        code: 'landmark-ambiguous',
        severity: 'warning',
        message:
          `${lp}: several cases are named "${stem}" (${candidates.map((c) => c.id).join(', ')}); ` +
          'put the landmark file in the same train/ val/ test/ folder as its images. Skipped.',
      });
    } else {
      const c = candidates[0];
      if (c.landmarkPath) {
        problems.push({
          file: lp,
          code: 'landmark-duplicate',
          severity: 'warning',
          message: `${lp}: case "${c.id}" already has landmarks from ${c.landmarkPath}; this file is skipped. Remove one of the two to choose.`,
        });
      } else {
        c.landmarkPath = lp;
        formatVotes[fmt]++;
      }
    }
  }
  let landmarkCsvPath: string | undefined;
  if (csvFiles.length) {
    landmarkCsvPath = csvFiles[0];
    for (const other of csvFiles.slice(1)) {
      problems.push({
        file: other,
        code: 'landmark-duplicate',
        severity: 'warning',
        message: `${other}: only one landmark CSV is read per import (using ${landmarkCsvPath}); this one is skipped.`,
      });
    }
  }
  const fileFormat: LandmarkFormat | null =
    formatVotes['isbi-txt'] + formatVotes['aariz-json'] === 0
      ? null
      : formatVotes['aariz-json'] > formatVotes['isbi-txt']
        ? 'aariz-json'
        : 'isbi-txt';
  const landmarkFormat: LandmarkFormat | null = fileFormat ?? (landmarkCsvPath ? 'isbi-csv' : null);

  const finalCases: PlannedCase[] = cases.map((c) => {
    const out: PlannedCase = { id: c.id };
    if (c.photoPath) out.photoPath = c.photoPath;
    if (c.xrayPath) out.xrayPath = c.xrayPath;
    if (c.alignedPath) out.alignedPath = c.alignedPath;
    if (c.landmarkPath) out.landmarkPath = c.landmarkPath;
    if (c.split) out.split = c.split;
    return out;
  });
  const splitsFromFolders = finalCases.length > 0 && finalCases.every((c) => c.split);
  const pairs = aligned ? finalCases.length : finalCases.filter((c) => c.photoPath && c.xrayPath).length;
  const withLandmarks = finalCases.filter((c) => c.landmarkPath).length;
  const counts = {
    files: all.length,
    photos: entries.filter((e) => e.role === 'photo').length,
    xrays: entries.filter((e) => e.role === 'xray').length,
    alignedImages: aligned ? entries.length : 0,
    cases: finalCases.length,
    pairs,
    unpaired,
    withLandmarks,
    ignored: ignored.length,
  };

  // human summary
  const lines: string[] = [];
  const where = root ? ` in “${root}/”` : '';
  if (kind === 'empty') {
    lines.push(`No PNG or JPEG images found${where} (${plural(counts.files, 'file')} looked at).`);
  } else if (aligned) {
    lines.push(
      `${plural(entries.length, 'image')}${where} in the aligned layout (photo left half, X-ray right half): ` +
        `each image will be split in half → ${plural(pairs, 'case')}.`,
    );
  } else {
    const how =
      kind === 'folders'
        ? 'photo and X-ray folders, paired by file name'
        : kind === 'suffix'
          ? 'file names marking photo and X-ray (e.g. 001_photo / 001_xray)'
          : 'photo/X-ray folders and name suffixes';
    lines.push(
      `${plural(counts.photos, 'photo')} and ${plural(counts.xrays, 'X-ray')}${where} (${how}) → ${plural(pairs, 'complete case')}.`,
    );
    if (unpaired)
      lines.push(`${plural(unpaired, 'image')} without a partner: listed below, not usable for training.`);
  }
  if (finalCases.length) {
    const bySplit: Record<CaseSplit, number> = { train: 0, val: 0, test: 0 };
    for (const c of finalCases) if (c.split) bySplit[c.split]++;
    const nSplit = bySplit.train + bySplit.val + bySplit.test;
    if (splitsFromFolders)
      lines.push(`Splits from folders: train ${bySplit.train}, val ${bySplit.val}, test ${bySplit.test}.`);
    else if (nSplit)
      lines.push(
        `${nSplit} cases have a split from their folder; the other ${finalCases.length - nSplit} get a seeded split.`,
      );
    else lines.push('No train/ val/ test/ folders: a seeded split will be made (editable).');
  }
  if (landmarkFormat === 'isbi-csv' && landmarkCsvPath) {
    lines.push(
      `Landmarks: one CSV (${landmarkCsvPath}); rows are matched to cases by image name during the import.`,
    );
  } else if (withLandmarks) {
    const fmt = landmarkFormat === 'aariz-json' ? 'Aariz JSON' : 'ISBI text';
    lines.push(`Landmarks: ${fmt} files for ${withLandmarks} of ${finalCases.length} cases.`);
  } else if (finalCases.length) {
    lines.push('No landmark files.');
  }
  const skipped: string[] = [];
  if (ignored.length) skipped.push(plural(ignored.length, 'hidden/system file'));
  if (dicomCount)
    skipped.push(`${plural(dicomCount, 'DICOM file')} (not supported: export PNG from your DICOM viewer)`);
  if (otherCount) skipped.push(plural(otherCount, 'other file'));
  if (skipped.length) lines.push(`Skipped: ${skipped.join(', ')}.`);
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.filter((p) => p.severity === 'warning').length;
  if (errors || warnings)
    lines.push(`${plural(errors, 'error')} and ${plural(warnings, 'warning')} listed per file.`);

  return {
    kind,
    aligned,
    root,
    cases: finalCases,
    landmarkFormat,
    ...(landmarkCsvPath ? { landmarkCsvPath } : {}),
    splitsFromFolders,
    problems,
    ignored,
    counts,
    summary: lines.join('\n'),
  };
}
