import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createImage, type Point, type RgbaImage } from '../../src/core/image';
import {
  auditCase,
  auditDataset,
  auditSummary,
  auditSummaryMarkdown,
  type AuditCaseInput,
  type AuditResult,
  type CaseFeatures,
} from '../../src/core/data/audit';
import { computeImageFeatures, orientationScores } from '../../src/core/data/auditFeatures';
import type { AuditFlag } from '../../src/core/data/dataset';
import { messageText } from '../../src/core/messages';
import { auditFlagMessage } from '../../src/core/messages/audit';
import { findNearDuplicates, hammingDistance, phash } from '../../src/core/data/phash';
import { flipHorizontal, resizeRgba } from '../../src/core/data/resize';
import { generatePhantomDataset, type PhantomDataset, type PhantomFlags } from '../../src/core/data/phantom';
import { decodeFileNode } from '../../src/core/io/decodeNode';
import { parseLandmarkCsv } from '../../src/core/io/landmarks';
import { Rng } from '../../src/core/rng';

const en = (f: AuditFlag): string => messageText(auditFlagMessage(f), 'en');
const zh = (f: AuditFlag): string => messageText(auditFlagMessage(f), 'zh');

const FIXTURES = new URL('../../../shared/fixtures/isbi2015-sample/', import.meta.url);
const IDS = ['001', '002', '003', '004', '005', '006', '007', '008', '009', '010'];

function copyImage(img: RgbaImage): RgbaImage {
  return { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
}

function addNoise(img: RgbaImage, sd: number, seed: number): RgbaImage {
  const rng = new Rng(seed);
  const out = copyImage(img);
  for (let i = 0; i < out.data.length; i += 4) {
    const n = rng.normal(0, sd);
    out.data[i] += n;
    out.data[i + 1] += n;
    out.data[i + 2] += n;
  }
  return out;
}

function scaleBrightness(img: RgbaImage, k: number, add = 0): RgbaImage {
  const out = copyImage(img);
  for (let i = 0; i < out.data.length; i++) if (i % 4 !== 3) out.data[i] = out.data[i] * k + add;
  return out;
}

/** A synthetic lateral profile photo: light background, head with the nose and chin on one side. */
function profilePhoto(w: number, h: number, facingRight: boolean, seed: number): RgbaImage {
  const rng = new Rng(seed);
  const img = createImage(w, h);
  const bg = [rng.uniform(190, 225), rng.uniform(195, 230), rng.uniform(205, 240)];
  const skin = [rng.uniform(170, 215), rng.uniform(130, 165), rng.uniform(100, 130)];
  const cx = w * rng.uniform(0.4, 0.48);
  const cy = h * rng.uniform(0.36, 0.42);
  const rx = w * rng.uniform(0.22, 0.27);
  const ry = h * rng.uniform(0.26, 0.3);
  const noseX = cx + rx * rng.uniform(1.2, 1.35);
  const noseY = cy + ry * 0.3;
  const chinX = cx + rx * rng.uniform(0.95, 1.1);
  const chinY = cy + ry * 1.05;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const e = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      let face = e < 1;
      // nose: a triangle sticking out in front
      if (!face && y > noseY - ry * 0.25 && y < noseY + ry * 0.08) {
        const t = y < noseY ? (y - (noseY - ry * 0.25)) / (ry * 0.25) : 1 - (y - noseY) / (ry * 0.08);
        face = x < cx + rx * 0.9 + (noseX - cx - rx * 0.9) * t;
      }
      // lower face and chin down to the neck
      if (!face && y >= noseY && y < chinY) face = x < chinX && x > cx - rx * 0.6;
      if (!face && y >= chinY) face = x > cx - rx * 0.55 && x < cx + rx * 0.45;
      // hair on the back of the head
      const hair = e < 1 && x < cx - rx * 0.1 && y < cy + ry * 0.2;
      const c = hair ? [50, 40, 35] : face ? skin : bg;
      const o = (y * w + (facingRight ? x : w - 1 - x)) * 4;
      const n = rng.normal(0, 3);
      img.data[o] = c[0] + n;
      img.data[o + 1] = c[1] + n;
      img.data[o + 2] = c[2] + n;
    }
  return img;
}

/** Grey image with smooth "anatomy" (an ellipse and a gradient) and nothing burned in. */
function plainXray(w: number, h: number, seed: number): RgbaImage {
  const rng = new Rng(seed);
  const img = createImage(w, h);
  // left/right symmetric apart from a small offset: no orientation to judge
  const cx = w * rng.uniform(0.47, 0.53);
  const cy = h * rng.uniform(0.3, 0.6);
  const rx = w * rng.uniform(0.15, 0.35);
  const ry = h * rng.uniform(0.2, 0.4);
  const gy = rng.uniform(-60, 60);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const e = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      const v = (e < 1 ? 190 - 80 * e : 100 + (gy * y) / h) + rng.normal(0, 3);
      const o = (y * w + x) * 4;
      img.data[o] = img.data[o + 1] = img.data[o + 2] = v;
    }
  return img;
}

function fillRect(img: RgbaImage, x0: number, y0: number, w: number, h: number, v: number): void {
  for (let y = Math.max(0, y0); y < Math.min(img.height, y0 + h); y++)
    for (let x = Math.max(0, x0); x < Math.min(img.width, x0 + w); x++) {
      const o = (y * img.width + x) * 4;
      img.data[o] = img.data[o + 1] = img.data[o + 2] = v;
    }
}

/** 5×7 bitmap digits, drawn at `scale` px per dot. */
const DIGITS: Record<string, string[]> = {
  '0': ['01110', '10001', '10011', '10101', '11001', '10001', '01110'],
  '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
  '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  '8': ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
};
function drawText(img: RgbaImage, text: string, x0: number, y0: number, scale: number, v: number): void {
  [...text].forEach((ch, k) => {
    DIGITS[ch].forEach((row, r) =>
      [...row].forEach((bit, c) => {
        if (bit === '1') fillRect(img, x0 + (k * 6 + c) * scale, y0 + r * scale, scale, scale, v);
      }),
    );
  });
}

function drawRuler(img: RgbaImage, x0: number, y0: number, ticks: number, period: number, v: number): void {
  fillRect(img, x0, y0, 6, ticks * period, v);
  for (let t = 0; t < ticks; t++)
    fillRect(img, x0, y0 + t * period, period * 1.5 + (t % 5 === 0 ? 10 : 0), 3, v);
}

const codes = (flags: readonly AuditFlag[]): string[] => [...new Set(flags.map((f) => f.code))].sort();

describe('perceptual hash', () => {
  it('counts differing bits', () => {
    expect(hammingDistance('0000000000000000', '000000000000000f')).toBe(4);
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('a5a5a5a5a5a5a5a5', 'a5a5a5a5a5a5a5a5')).toBe(0);
    expect(() => hammingDistance('abc', '0000000000000000')).toThrow(/16 hex digits/);
  });

  it('ignores brightness, sees a mirror image, and pairs near duplicates', () => {
    const img = profilePhoto(160, 200, true, 1);
    const h = phash(img);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(parseInt(h[0], 16) & 8).toBe(0); // the DC bit is never set
    expect(hammingDistance(h, phash(scaleBrightness(img, 0.8, 20)))).toBeLessThanOrEqual(2);
    expect(hammingDistance(h, phash(flipHorizontal(img)))).toBeGreaterThan(10);
    const items = [
      { id: 'a', hash: '0000000000000000' },
      { id: 'b', hash: '0000000000000003' },
      { id: 'c', hash: 'ffff000000000000' },
    ];
    expect(findNearDuplicates(items, 6)).toEqual([{ a: 'a', b: 'b', distance: 2 }]);
  });
});

describe('per-case flags on drawn images', () => {
  it('unpaired, unreadable and mismatched pairs', () => {
    const x = plainXray(300, 240, 1);
    expect(codes(auditCase({ id: 'a', xray: x, xrayFile: 'xray/a.png' }).flags)).toEqual(['unpaired']);
    const unread = auditCase({
      id: 'b',
      xray: x,
      photoFile: 'photo/b.jpg',
      unreadable: [{ file: 'photo/b.jpg', message: 'the JPEG file is damaged' }],
    });
    expect(codes(unread.flags)).toEqual(['unreadable']);
    expect(unread.flags[0]).toMatchObject({ severity: 'error', file: 'photo/b.jpg' });
    const photo = profilePhoto(300, 240, true, 2);
    expect(codes(auditCase({ id: 'c', photo, xray: x }).flags)).toEqual([]);
    const small = auditCase({ id: 'd', photo: resizeRgba(photo, 150, 120), xray: x });
    expect(small.flags.map((f) => [f.code, f.severity])).toEqual([['size-mismatch', 'warning']]);
    const wide = auditCase({ id: 'e', photo: resizeRgba(photo, 400, 240), xray: x });
    expect(wide.flags[0]).toMatchObject({ code: 'aspect-mismatch', severity: 'warning' });
    expect(wide.flags[0].details.aspectDifference_pct).toBeCloseTo(33.33, 1);
    expect(en(wide.flags[0])).toMatch(
      /^Photo 400×240 px and X-ray 300×240 px have different aspect ratios \(33\.3 % apart\)/,
    );
    expect(zh(wide.flags[0])).toBe(
      '照片 400×240 与 X线片 300×240 宽高比相差 33.3%，两者可能未对齐，请检查裁剪。',
    );
    // stored as code + numbers only: no prose in the record
    expect(Object.keys(wide.flags[0]).sort()).toEqual(['caseId', 'code', 'details', 'params', 'severity']);
  });

  it('exposure with the numbers', () => {
    const x = plainXray(300, 240, 3);
    const dark = auditCase({
      id: 'dark',
      photo: profilePhoto(300, 240, true, 4),
      xray: scaleBrightness(x, 0.25),
    });
    const f = dark.flags.find((q) => q.code === 'too-dark')!;
    expect(f.severity).toBe('warning');
    expect(en(f)).toMatch(
      /^The X-ray is very dark: mean \d+\/255, 95th percentile \d+\/255 \(limits 50 and 120\)/,
    );
    expect(zh(f)).toMatch(/^X线片过暗：平均灰度 \d+\/255，95% 分位 \d+\/255（限值 50 和 120）/);
    expect(f.details.mean_255).toBeLessThan(50);
    const bright = auditCase({ id: 'bright', xray: scaleBrightness(x, 0.2, 200) });
    expect(codes(bright.flags)).toEqual(['low-contrast', 'too-bright', 'unpaired']);
    expect(bright.flags.find((q) => q.code === 'low-contrast')!.details.contrast_255).toBeLessThan(50);
  });

  it('landmark count and landmarks outside the image are errors', () => {
    const x = plainXray(300, 240, 5);
    const p = profilePhoto(300, 240, true, 6);
    const pts: Point[] = Array.from({ length: 19 }, (_, i) => [10 + i * 10, 100]);
    expect(auditCase({ id: 'ok', photo: p, xray: x, landmarks: pts }).flags).toEqual([]);
    const short = auditCase({
      id: 's',
      photo: p,
      xray: x,
      landmarks: pts.slice(0, 18),
      landmarkFile: 's.txt',
    });
    expect(short.flags).toEqual([
      expect.objectContaining({ code: 'landmark-count', severity: 'error', file: 's.txt' }),
    ]);
    const out = [...pts];
    out[7] = [310, 100];
    out[8] = [-1, 5];
    const o = auditCase({ id: 'o', photo: p, xray: x, landmarks: out });
    expect(o.flags[0]).toMatchObject({
      code: 'landmarks-outside',
      severity: 'error',
      details: { indices: [7, 8] },
    });
    expect(en(o.flags[0])).toContain('#8 (310, 100)');
    expect(zh(o.flags[0])).toContain('#8 (310, 100)');
    expect(
      auditCase({ id: 'n', photo: p, xray: x, landmarks: pts.slice(0, 5) }, { expectedLandmarks: null })
        .flags,
    ).toEqual([]);
  });

  it('device border, ruler and label are found and are info only', () => {
    const x = plainXray(960, 1200, 7);
    fillRect(x, 0, 0, 960, 30, 250); // unexposed film margin on top
    fillRect(x, 0, 0, 18, 1200, 5); // black frame on the left
    drawRuler(x, 820, 300, 12, 14, 240);
    drawText(x, '20250813', 60, 1100, 5, 255);
    const f = computeImageFeatures(x);
    expect(f.border.top_px).toBe(30);
    expect(f.border.left_px).toBe(18);
    expect(f.border.right_px).toBe(0);
    expect(f.ruler.found).toBe(true);
    expect(f.ruler.period_px).toBeCloseTo(14, 0);
    expect(f.label.found).toBe(true);
    expect(f.label.at![1]).toBeGreaterThan(1050);
    const flags = auditCase({ id: 'x', photo: profilePhoto(960, 1200, true, 8), xray: x }).flags;
    expect(codes(flags)).toEqual(['burned-in-label', 'device-border', 'ruler']);
    for (const q of flags) {
      expect(q.severity).toBe('info');
      expect(en(q)).toMatch(/normal for cephalograms/i);
      expect(zh(q)).toMatch(/不是剔除理由/);
    }
    // nothing of the kind on the plain image
    const plain = computeImageFeatures(plainXray(960, 1200, 9));
    expect([plain.ruler.found, plain.label.found, plain.border.top_px + plain.border.left_px]).toEqual([
      false,
      false,
      0,
    ]);
  });
});

describe('dataset-level flags on drawn images', () => {
  it('flags photos whose profile faces the other way', () => {
    const cases = Array.from({ length: 12 }, (_, i) => ({
      id: `c${i}`,
      photo: profilePhoto(240, 300, i !== 4 && i !== 9, 100 + i),
      xray: plainXray(240, 300, 200 + i),
    }));
    const r = auditDataset(cases);
    const flagged = r.flags.filter((f) => f.code === 'photo-orientation').map((f) => f.caseId);
    expect(flagged).toEqual(['c4', 'c9']);
    expect(r.flags.find((f) => f.code === 'photo-orientation')!.details.majorityShare_pct).toBe(83);
  });

  it('orientation scores are symmetric and need no majority template', () => {
    const thumbs = Array.from(
      { length: 6 },
      (_, i) => computeImageFeatures(profilePhoto(120, 150, i < 4, i)).thumb,
    );
    const { scores, majorityShare } = orientationScores(thumbs);
    expect(majorityShare).toBeCloseTo(4 / 6, 9);
    expect(scores.slice(0, 4).every((s) => s > 0)).toBe(true);
    expect(scores.slice(4).every((s) => s < 0)).toBe(true);
  });

  it('takes precomputed features (the import worker path) and summarises', () => {
    const feats: CaseFeatures[] = Array.from({ length: 6 }, (_, i) =>
      auditCase({
        id: `f${i}`,
        photo: profilePhoto(200, 250, true, 300 + i),
        xray: plainXray(200, 250, 400 + i),
      }),
    );
    feats.push(auditCase({ id: 'lonely', xray: plainXray(200, 250, 500) }));
    const r = auditDataset(feats);
    expect(r.features).toBe(r.features);
    expect(r.byCase.lonely.map((f) => f.code)).toEqual(['unpaired']);
    const summary = auditSummary([
      ...r.flags,
      { code: 'ruler', severity: 'info', caseId: 'f1', params: {}, details: {} },
      { code: 'ruler', severity: 'info', caseId: 'f1', params: {}, details: {} },
      { code: 'ruler', severity: 'info', caseId: 'f2', params: {}, details: {} },
    ]);
    expect(summary).toEqual([
      { code: 'unpaired', severity: 'error', count: 1, cases: 1 },
      { code: 'ruler', severity: 'info', count: 3, cases: 2 },
    ]);
    expect(auditSummaryMarkdown(summary)).toBe(
      '| flag | severity | flags | cases |\n|---|---|---:|---:|\n| unpaired | error | 1 | 1 |\n| ruler | info | 3 | 2 |\n',
    );
  });
});

describe('the ten real ISBI films (rulers, ear-rod holders, labels are info only)', () => {
  const films: Record<string, RgbaImage> = {};
  const feats: Record<string, CaseFeatures> = {};
  const senior = parseLandmarkCsv(readFileSync(new URL('senior.csv', FIXTURES), 'utf8'), 'senior.csv');
  const have = existsSync(new URL('001.jpg', FIXTURES));

  beforeAll(async () => {
    if (!have) throw new Error('../shared/fixtures/isbi2015-sample is missing');
    for (const id of IDS) {
      const r = await decodeFileNode(new URL(`${id}.jpg`, FIXTURES).pathname);
      if (!r.ok) throw new Error(r.problem.message);
      films[id] = r.image;
      // no profile photos exist for these films: audit the X-ray with its senior landmarks
      feats[id] = auditCase({ id, xray: r.image, xrayFile: `${id}.jpg`, landmarks: senior.byCase.get(id) });
    }
  });

  it('gives no warning or error other than the missing photo, and finds the overlays', () => {
    const r = auditDataset(IDS.map((id) => feats[id]));
    const serious = r.flags.filter((f) => f.severity !== 'info' && f.code !== 'unpaired');
    expect(serious).toEqual([]);
    const per = (code: string): number =>
      IDS.filter((id) => r.byCase[id].some((f) => f.code === code)).length;
    expect(per('unpaired')).toBe(10);
    expect(per('burned-in-label')).toBeGreaterThanOrEqual(9);
    expect(per('device-border')).toBeGreaterThanOrEqual(9);
    expect(per('ruler')).toBeGreaterThanOrEqual(8);
    // the nasion-relator scale: 1 mm ticks imaged at about 18 px (magnification of the device)
    for (const id of IDS) {
      const ruler = feats[id].xray!.ruler;
      if (ruler.found) expect(ruler.period_px!).toBeGreaterThan(12);
    }
  });

  it('finds two mirrored films among ten', () => {
    const mirrored = new Set(['003', '008']);
    const cases = IDS.map((id) =>
      mirrored.has(id) ? auditCase({ id, xray: flipHorizontal(films[id]) }) : feats[id],
    );
    const r = auditDataset(cases);
    expect(r.flags.filter((f) => f.code === 'xray-mirrored').map((f) => f.caseId)).toEqual(['003', '008']);
    expect(r.flags.find((f) => f.code === 'xray-mirrored')!.severity).toBe('warning');
  });

  it('separates different films from a noisy re-saved copy (near duplicates)', () => {
    // one device, standard positioning: pHash alone puts different patients only 4+ bits apart
    const hashes = IDS.map((id) => feats[id].xray!.phash);
    let minBits = 64;
    for (let i = 0; i < 10; i++)
      for (let j = i + 1; j < 10; j++) minBits = Math.min(minBits, hammingDistance(hashes[i], hashes[j]));
    expect(minBits).toBeLessThanOrEqual(10);
    const copy = addNoise(films['005'], 6, 11);
    expect(hammingDistance(phash(copy), hashes[4])).toBeLessThanOrEqual(2);
    const r = auditDataset([...IDS.map((id) => feats[id]), auditCase({ id: '005-copy', xray: copy })]);
    const dup = r.flags.filter((f) => f.code === 'near-duplicate');
    expect(dup.map((f) => [f.caseId, f.details.other])).toEqual([
      ['005', '005-copy'],
      ['005-copy', '005'],
    ]);
    expect(dup[0].severity).toBe('warning');
  });

  it('flags a darkened film against the rest of the dataset', () => {
    const dark = scaleBrightness(films['010'], 0.45);
    const r = auditDataset([
      ...IDS.filter((id) => id !== '010').map((id) => feats[id]),
      auditCase({ id: '010', xray: dark }),
    ]);
    const expo = r.flags.filter((f) => ['too-dark', 'exposure-outlier', 'low-contrast'].includes(f.code));
    expect(expo.map((f) => f.caseId)).toEqual(['010']);
    expect(expo[0].severity).toBe('warning');
  });
});

describe('the demo phantom: planted artefacts, mirrored X-rays, a duplicate, a dark film, a wrong count', () => {
  const N = 40;
  // extra plants on top of the phantom's own (by case index): mirror 4 X-rays (with their
  // landmarks) and 2 photos, copy case 17 with slight noise, darken one X-ray, drop a landmark
  const MIRROR_X = [2, 9, 21, 33];
  const MIRROR_P = [5, 27];
  const DARK = 14;
  const SHORT = 30;
  const COPY = 17;
  let ds: PhantomDataset;
  let inputs: AuditCaseInput[];
  let result: AuditResult;
  let mirrorX: Set<string>;
  const truth = (id: string): PhantomFlags & { mirroredX: boolean } => {
    const c = ds.cases.find((x) => x.id === id) ?? ds.cases[COPY];
    return { ...c.flags, mirroredX: c.flags.mirrored !== mirrorX.has(id) };
  };
  const has = (id: string, code: string): boolean => result.byCase[id].some((f) => f.code === code);

  beforeAll(() => {
    ds = generatePhantomDataset({ n: N, seed: 3, width: 256, height: 320 });
    mirrorX = new Set(MIRROR_X.map((i) => ds.cases[i].id));
    const mirrorP = new Set(MIRROR_P.map((i) => ds.cases[i].id));
    inputs = ds.cases.map((c, i) => {
      const flip = mirrorX.has(c.id);
      return {
        id: c.id,
        photo: mirrorP.has(c.id) ? flipHorizontal(c.photo) : c.photo,
        xray: flip ? flipHorizontal(c.xray) : i === DARK ? scaleBrightness(c.xray, 0.35) : c.xray,
        landmarks: flip
          ? c.landmarks.map(([x, y]) => [c.xray.width - x, y] as Point)
          : i === SHORT
            ? c.landmarks.slice(0, 18)
            : c.landmarks,
      };
    });
    const original = ds.cases[COPY];
    inputs.push({
      id: 'copy-of-017',
      photo: addNoise(original.photo, 4, 21),
      xray: addNoise(original.xray, 4, 22),
      landmarks: original.landmarks,
    });
    result = auditDataset(inputs);
  });

  it.each([
    ['border', 'device-border'],
    ['ruler', 'ruler'],
    ['label', 'burned-in-label'],
  ] as const)('planted %s: found as info (recall >= 0.8), rarely elsewhere', (kind, code) => {
    const ids = inputs.map((c) => c.id);
    const planted = ids.filter((id) => truth(id)[kind]);
    const clean = ids.filter((id) => !truth(id)[kind]);
    expect(planted.length).toBeGreaterThanOrEqual(5);
    const found = planted.filter((id) => has(id, code));
    expect(found.length / planted.length).toBeGreaterThanOrEqual(0.8);
    expect(clean.filter((id) => has(id, code)).length).toBeLessThanOrEqual(Math.floor(0.1 * clean.length));
    for (const f of result.flags.filter((x) => x.code === code)) expect(f.severity).toBe('info');
  });

  it('mirrored X-rays: recall >= 0.8, false positives <= 2 % of cases', () => {
    const ids = inputs.map((c) => c.id);
    const planted = ids.filter((id) => truth(id).mirroredX);
    expect(planted.length).toBeGreaterThanOrEqual(5);
    const flagged = result.flags.filter((f) => f.code === 'xray-mirrored').map((f) => f.caseId);
    expect(planted.filter((id) => flagged.includes(id)).length / planted.length).toBeGreaterThanOrEqual(0.8);
    expect(flagged.filter((id) => !planted.includes(id)).length).toBeLessThanOrEqual(
      Math.floor(0.02 * ids.length),
    );
  });

  it('flags exactly the planted problems as warnings or errors', () => {
    const serious = result.flags
      .filter((f) => f.severity !== 'info')
      .map((f) => `${f.caseId} ${f.code}`)
      .sort();
    const dark = ds.cases[DARK].id;
    const expected = [
      ...inputs.filter((c) => truth(c.id).mirroredX).map((c) => `${c.id} xray-mirrored`),
      ...MIRROR_P.map((i) => `${ds.cases[i].id} photo-orientation`),
      `${ds.cases[COPY].id} near-duplicate`,
      'copy-of-017 near-duplicate',
      `${ds.cases[SHORT].id} landmark-count`,
    ];
    const darkFlags = serious.filter((s) => s.startsWith(dark));
    expect(darkFlags.length).toBeGreaterThanOrEqual(1);
    for (const s of darkFlags) expect(s).toMatch(/too-dark|exposure-outlier|low-contrast/);
    expect(serious.filter((s) => !s.startsWith(dark))).toEqual([...new Set(expected)].sort());
    const dup = result.byCase['copy-of-017'].find((f) => f.code === 'near-duplicate')!;
    expect(dup.details.other).toBe(ds.cases[COPY].id);
    expect(dup.details.images).toEqual(['X-ray', 'photo']);
  });

  it('summarises by code and severity; nothing is removed', () => {
    const rows = auditSummary(result.flags);
    expect(rows.find((r) => r.code === 'near-duplicate')).toEqual({
      code: 'near-duplicate',
      severity: 'warning',
      count: 2,
      cases: 2,
    });
    expect(
      rows.every(
        (r, i) =>
          i === 0 ||
          ['error', 'warning', 'info'].indexOf(r.severity) >=
            ['error', 'warning', 'info'].indexOf(rows[i - 1].severity),
      ),
    ).toBe(true);
    expect(result.features.map((f) => f.id)).toEqual(inputs.map((c) => c.id));
  });
});
