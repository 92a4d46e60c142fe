/**
 * The data audit: run on import, it explains what it sees in each case and never deletes or
 * excludes anything (exclusion is the user's decision, CaseState in dataset.ts).
 *
 * Two steps, so the import worker does not need to keep images in memory:
 * 1. `auditCase(input)` looks at one case's decoded images and landmarks and returns its
 *    `CaseFeatures`: small numbers and 32×32 thumbnails (about 3 KB per case) plus the flags that need
 *    only this case (unpaired, unreadable, size/aspect mismatch, device border / ruler / label,
 *    absolute exposure, landmark count / position).
 * 2. `auditDataset(cases)` adds the flags that need the whole dataset: orientation against the
 *    majority (photo profile facing the other way, mirrored X-ray), exposure far from the rest of
 *    the dataset, and near-duplicate cases (perceptual hash, confirmed by the detail correlation of
 *    the thumbnails).
 *
 * Severity
 * - error: the case cannot be used as it is (unpaired, unreadable, landmarks wrong).
 * - warning: worth a look before training (orientation, mismatch, exposure, duplicates).
 * - info: normal for cephalograms. Device borders, film-holder marks, rulers and burned-in labels
 *   are on nearly every film; the clinic's first audit flagged 326 "border issues", mostly these,
 *   which are not reasons to exclude a case.
 *
 * This module is the flag logic (messages, per-case and dataset-level flags, the summary); the
 * numbers it judges are measured by auditFeatures.ts.
 */
import type { Point, RgbaImage } from '../image';
import type { Params } from '../messages/form';
import type { AuditCode, AuditFlag, FlagDetail, Severity } from './dataset';
import { hammingDistance } from './phash';
import {
  computeImageFeatures,
  detailCorrelation,
  type ImageFeatures,
  orientationScores,
  r0,
  r2,
  median,
} from './auditFeatures';

// ---------------------------------------------------------------------------------------------
// Types

export interface AuditCaseInput {
  id: string;
  /** Decoded images; null/undefined when missing (unpaired) or unreadable (see `unreadable`). */
  photo?: RgbaImage | null;
  xray?: RgbaImage | null;
  photoFile?: string;
  xrayFile?: string;
  /** Files of this case that could not be decoded, with the decoder's message. */
  unreadable?: { file: string; message: string }[];
  /** Landmarks in original X-ray pixels (null/undefined: the case has none). */
  landmarks?: readonly Point[] | null;
  landmarkFile?: string;
}

export interface CaseFeatures {
  kind: 'case-features';
  id: string;
  photoFile?: string;
  xrayFile?: string;
  photo: ImageFeatures | null;
  xray: ImageFeatures | null;
  /** Flags that need only this case. */
  flags: AuditFlag[];
}

export interface AuditOptions {
  /** Landmarks per case (default 19, ISBI). null = do not check the count. */
  expectedLandmarks?: number | null;
  /** pHash distance (bits) for near-duplicate candidates (default 10). */
  duplicateBits?: number;
  /** Detail correlation of the thumbnails confirming a near duplicate (default 0.97, see detailCorrelation). */
  duplicateCorrelation?: number;
  /** Fewest images of a kind before orientation is judged against the majority (default 5). */
  minCasesForOrientation?: number;
  /**
   * A case is flagged when its orientation score is below -margin (default 0.15). The score is the
   * thumbnail's correlation with the leave-one-out template of the others minus that of its
   * mirror image: about +0.7..0.9 for real cephalograms facing like the majority, -0.7 for a
   * mirrored one, near 0 for images without a left/right structure.
   */
  orientationMargin?: number;
}

const DEFAULTS = {
  expectedLandmarks: 19,
  duplicateBits: 10,
  duplicateCorrelation: 0.97,
  minCasesForOrientation: 5,
  orientationMargin: 0.15,
};

export interface ExposureLimits {
  darkMean: number;
  darkP95: number;
  brightMean: number;
  brightP5: number;
  minContrast: number;
}

/**
 * Thresholds of the exposure flags (0-255 luma), per kind of image. X-rays: a film is too dark
 * when its mean AND its 95th percentile are low (bone must reach the bright range), too bright
 * when its mean AND its 5th percentile are high (air must stay dark). Photos on a light backdrop
 * are bright by nature, so their limits are wider.
 */
export const EXPOSURE_LIMITS: {
  xray: ExposureLimits;
  photo: ExposureLimits;
  outlierZ: number;
  outlierLevels: number;
} = {
  xray: { darkMean: 50, darkP95: 120, brightMean: 205, brightP5: 130, minContrast: 50 },
  photo: { darkMean: 40, darkP95: 90, brightMean: 230, brightP5: 200, minContrast: 30 },
  /** Robust z-score (median / MAD) beyond which a case's mean is far from the dataset's ... */
  outlierZ: 4,
  /** ... and at least this many grey levels away. */
  outlierLevels: 50,
};

// ---------------------------------------------------------------------------------------------
// Flags: code + the numbers of its sentence (params); the sentences (en + zh) are in
// core/messages/audit.ts, `params.variant` picks the form (photo / xray, …)

function flag(
  code: AuditCode,
  severity: Severity,
  caseId: string,
  params: Params,
  details: Record<string, FlagDetail>,
  file?: string,
): AuditFlag {
  return file
    ? { code, severity, caseId, file, params, details }
    : { code, severity, caseId, params, details };
}

// ---------------------------------------------------------------------------------------------
// Per-case flags

function imageFlags(id: string, kind: 'photo' | 'xray', f: ImageFeatures, file?: string): AuditFlag[] {
  const out: AuditFlag[] = [];
  const variant = kind;
  const e = f.exposure;
  const L = EXPOSURE_LIMITS[kind];
  const expo: Record<string, FlagDetail> = { ...e };
  if (e.mean_255 < L.darkMean && e.p95_255 < L.darkP95) {
    out.push(
      flag(
        'too-dark',
        'warning',
        id,
        {
          variant,
          mean: e.mean_255.toFixed(0),
          p95: e.p95_255,
          limitMean: L.darkMean,
          limitP95: L.darkP95,
        },
        expo,
        file,
      ),
    );
  } else if (e.mean_255 > L.brightMean && e.p5_255 > L.brightP5) {
    out.push(
      flag(
        'too-bright',
        'warning',
        id,
        {
          variant,
          mean: e.mean_255.toFixed(0),
          p5: e.p5_255,
          limitMean: L.brightMean,
          limitP5: L.brightP5,
        },
        expo,
        file,
      ),
    );
  }
  if (e.contrast_255 < L.minContrast) {
    out.push(
      flag(
        'low-contrast',
        'warning',
        id,
        { variant, contrast: e.contrast_255, limit: L.minContrast },
        expo,
        file,
      ),
    );
  }
  const b = f.border;
  const sides = (['top', 'bottom', 'left', 'right'] as const).filter((s) => b[`${s}_px`] > 0);
  // device frames and film-holder marks belong to X-ray films; a photo's backdrop is not one
  if (kind === 'xray' && (sides.length || b.edgeMarks >= 2)) {
    const marks = b.edgeMarks >= 2;
    out.push(
      flag(
        'device-border',
        'info',
        id,
        {
          variant: sides.length && marks ? 'both' : sides.length ? 'margins' : 'marks',
          margins: sides.map((s) => `${s} (${b[`${s}_px`]} px)`).join(', '),
          marks: b.edgeMarks,
        },
        { ...b, sides: sides.map(String) },
        file,
      ),
    );
  }
  if (f.ruler.found) {
    out.push(
      flag(
        'ruler',
        'info',
        id,
        { variant, period: String(f.ruler.period_px), x: r0(f.ruler.at![0]), y: r0(f.ruler.at![1]) },
        { tiles: f.ruler.tiles, period_px: f.ruler.period_px ?? 0, at: f.ruler.at!.map(r0) },
        file,
      ),
    );
  }
  if (f.label.found) {
    out.push(
      flag(
        'burned-in-label',
        'info',
        id,
        { variant, x: r0(f.label.at![0]), y: r0(f.label.at![1]) },
        { tiles: f.label.tiles, at: f.label.at!.map(r0) },
        file,
      ),
    );
  }
  return out;
}

/** Features and per-case flags of one case. */
export function auditCase(input: AuditCaseInput, opts: AuditOptions = {}): CaseFeatures {
  const o = { ...DEFAULTS, ...opts };
  const id = input.id;
  const flags: AuditFlag[] = [];
  for (const u of input.unreadable ?? []) {
    flags.push(
      flag('unreadable', 'error', id, { file: u.file, error: u.message }, { message: u.message }, u.file),
    );
  }
  const unreadableFiles = new Set((input.unreadable ?? []).map((u) => u.file));
  const photo = input.photo ? computeImageFeatures(input.photo, 'photo') : null;
  const xray = input.xray ? computeImageFeatures(input.xray, 'xray') : null;
  const photoMissing = !photo && !(input.photoFile && unreadableFiles.has(input.photoFile));
  const xrayMissing = !xray && !(input.xrayFile && unreadableFiles.has(input.xrayFile));
  if (photoMissing !== xrayMissing) {
    const lacks = photoMissing ? 'photo' : 'X-ray';
    flags.push(
      flag(
        'unpaired',
        'error',
        id,
        { variant: photoMissing ? 'noPhoto' : 'noXray', id },
        { missing: lacks },
        photoMissing ? input.xrayFile : input.photoFile,
      ),
    );
  }
  if (photo && xray) {
    const ap = photo.width / photo.height;
    const ax = xray.width / xray.height;
    const rel = Math.abs(ap - ax) / ax;
    const sizes = {
      pw: photo.width,
      ph: photo.height,
      xw: xray.width,
      xh: xray.height,
      pct: (rel * 100).toFixed(1),
    };
    const details = {
      photo_px: [photo.width, photo.height],
      xray_px: [xray.width, xray.height],
      aspectDifference_pct: r2(rel * 100),
    };
    if (rel > 0.02) {
      flags.push(flag('aspect-mismatch', 'warning', id, sizes, details));
    } else if (photo.width !== xray.width || photo.height !== xray.height) {
      flags.push(
        flag(
          'size-mismatch',
          'warning',
          id,
          { pw: sizes.pw, ph: sizes.ph, xw: sizes.xw, xh: sizes.xh },
          details,
        ),
      );
    }
  }
  if (photo) flags.push(...imageFlags(id, 'photo', photo, input.photoFile));
  if (xray) flags.push(...imageFlags(id, 'xray', xray, input.xrayFile));
  const lm = input.landmarks;
  if (lm) {
    if (o.expectedLandmarks !== null && lm.length !== o.expectedLandmarks) {
      flags.push(
        flag(
          'landmark-count',
          'error',
          id,
          { count: lm.length, expected: o.expectedLandmarks },
          { count: lm.length, expected: o.expectedLandmarks },
          input.landmarkFile,
        ),
      );
    }
    if (xray) {
      const outside = lm
        .map((p, i) => [i, p] as const)
        .filter(([, p]) => !(p[0] >= 0 && p[1] >= 0 && p[0] <= xray.width && p[1] <= xray.height));
      if (outside.length) {
        const list = outside
          .slice(0, 4)
          .map(([i, p]) => `#${i + 1} (${r0(p[0])}, ${r0(p[1])})`)
          .join(', ');
        flags.push(
          flag(
            'landmarks-outside',
            'error',
            id,
            {
              count: outside.length,
              w: xray.width,
              h: xray.height,
              list,
              more: outside.length > 4 ? ', …' : '',
            },
            { indices: outside.map(([i]) => i), xray_px: [xray.width, xray.height] },
            input.landmarkFile,
          ),
        );
      }
    }
  }
  return {
    kind: 'case-features',
    id,
    ...(input.photoFile ? { photoFile: input.photoFile } : {}),
    ...(input.xrayFile ? { xrayFile: input.xrayFile } : {}),
    photo,
    xray,
    flags,
  };
}

// ---------------------------------------------------------------------------------------------
// Dataset-level flags

function isCaseFeatures(c: AuditCaseInput | CaseFeatures): c is CaseFeatures {
  return (c as CaseFeatures).kind === 'case-features';
}

export interface AuditResult {
  /** Every flag: per-case and dataset-level, grouped by case in input order. */
  flags: AuditFlag[];
  features: CaseFeatures[];
  byCase: Record<string, AuditFlag[]>;
}

/**
 * Audit a whole dataset. `cases` are inputs with images (audited here) or CaseFeatures from
 * earlier auditCase calls (the import worker's path: features are small, images are not kept).
 */
export function auditDataset(
  cases: readonly (AuditCaseInput | CaseFeatures)[],
  opts: AuditOptions = {},
): AuditResult {
  const o = { ...DEFAULTS, ...opts };
  const features = cases.map((c) => (isCaseFeatures(c) ? c : auditCase(c, opts)));
  const extra = new Map<string, AuditFlag[]>();
  const add = (f: AuditFlag): void => {
    const l = extra.get(f.caseId) ?? [];
    l.push(f);
    extra.set(f.caseId, l);
  };

  for (const kind of ['photo', 'xray'] as const) {
    const items = features.filter((c) => c[kind]).map((c) => ({ c, f: c[kind]! }));
    // orientation
    if (items.length >= o.minCasesForOrientation) {
      const { scores, majorityShare } = orientationScores(items.map((i) => i.f.edges ?? i.f.thumb));
      items.forEach(({ c }, i) => {
        if (scores[i] >= -o.orientationMargin) return;
        const file = kind === 'photo' ? c.photoFile : c.xrayFile;
        const details = { score: scores[i], majorityShare_pct: r0(majorityShare * 100) };
        add(
          kind === 'photo'
            ? flag('photo-orientation', 'warning', c.id, { pct: r0(majorityShare * 100) }, details, file)
            : flag('xray-mirrored', 'warning', c.id, { pct: r0(majorityShare * 100) }, details, file),
        );
      });
    }
    // exposure relative to the dataset
    if (items.length >= 5) {
      const means = items.map((i) => i.f.exposure.mean_255);
      const med = median(means);
      const mad = median(means.map((m) => Math.abs(m - med))) * 1.4826 || 1;
      items.forEach(({ c, f }) => {
        const m = f.exposure.mean_255;
        const z = (m - med) / mad;
        const own = c.flags.some(
          (x) =>
            (x.code === 'too-dark' || x.code === 'too-bright') &&
            x.file === (kind === 'photo' ? c.photoFile : c.xrayFile),
        );
        if (
          !own &&
          Math.abs(z) > EXPOSURE_LIMITS.outlierZ &&
          Math.abs(m - med) >= EXPOSURE_LIMITS.outlierLevels
        ) {
          const darker = m < med;
          add(
            flag(
              'exposure-outlier',
              'warning',
              c.id,
              {
                variant: `${kind}-${darker ? 'darker' : 'brighter'}`,
                mean: m.toFixed(0),
                median: med.toFixed(0),
                z: Math.abs(z).toFixed(1),
              },
              { mean_255: m, datasetMedian_255: r2(med), robustZ: r2(z) },
              kind === 'photo' ? c.photoFile : c.xrayFile,
            ),
          );
        }
      });
    }
  }

  // near-duplicate cases: pHash candidates confirmed by detail correlation, on either image
  const dupPairs = new Map<
    string,
    { a: CaseFeatures; b: CaseFeatures; which: string[]; bits: number[]; corr: number[] }
  >();
  for (const kind of ['xray', 'photo'] as const) {
    const items = features.filter((c) => c[kind]);
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++) {
        const fa = items[i][kind]!;
        const fb = items[j][kind]!;
        const bits = hammingDistance(fa.phash, fb.phash);
        if (bits > o.duplicateBits) continue;
        const corr = detailCorrelation(fa.thumb, fb.thumb);
        if (corr < o.duplicateCorrelation) continue;
        const key = `${items[i].id}\u0000${items[j].id}`;
        const e = dupPairs.get(key) ?? { a: items[i], b: items[j], which: [], bits: [], corr: [] };
        e.which.push(kind === 'photo' ? 'photo' : 'X-ray');
        e.bits.push(bits);
        e.corr.push(r2(corr * 1000) / 1000);
        dupPairs.set(key, e);
      }
  }
  for (const { a, b, which, bits, corr } of dupPairs.values()) {
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      add(
        flag(
          'near-duplicate',
          'warning',
          self.id,
          {
            variant: which.length > 1 ? 'both' : which[0] === 'photo' ? 'photo' : 'xray',
            other: other.id,
            bits: bits.join(' / '),
            corr: corr.map((c) => c.toFixed(3)).join(' / '),
          },
          { other: other.id, images: which, hashBits: bits, correlation: corr },
        ),
      );
    }
  }

  const byCase: Record<string, AuditFlag[]> = {};
  const flags: AuditFlag[] = [];
  for (const c of features) {
    const list = [...c.flags, ...(extra.get(c.id) ?? [])];
    byCase[c.id] = list;
    flags.push(...list);
  }
  return { flags, features, byCase };
}

// ---------------------------------------------------------------------------------------------
// Summary

export interface AuditSummaryRow {
  code: AuditCode;
  severity: Severity;
  /** Number of flags. */
  count: number;
  /** Number of distinct cases. */
  cases: number;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Flags counted by code × severity (errors first, then warnings, then info; larger counts first). */
export function auditSummary(flags: readonly AuditFlag[]): AuditSummaryRow[] {
  const m = new Map<string, { row: AuditSummaryRow; ids: Set<string> }>();
  for (const f of flags) {
    const k = `${f.code}|${f.severity}`;
    const e = m.get(k) ?? {
      row: { code: f.code, severity: f.severity, count: 0, cases: 0 },
      ids: new Set<string>(),
    };
    e.row.count++;
    e.ids.add(f.caseId);
    m.set(k, e);
  }
  return [...m.values()]
    .map(({ row, ids }) => ({ ...row, cases: ids.size }))
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
        b.count - a.count ||
        a.code.localeCompare(b.code),
    );
}

/** The summary as a Markdown table. */
export function auditSummaryMarkdown(rows: readonly AuditSummaryRow[]): string {
  const lines = ['| flag | severity | flags | cases |', '|---|---|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.code} | ${r.severity} | ${r.count} | ${r.cases} |`);
  return lines.join('\n') + '\n';
}
