/**
 * Cephalometric analyses as data (src/core/landmarks/analysis.ts, measure.ts): every measurement
 * on hand-built landmark sets with known answers (SNA exactly 82 deg, …), the sign conventions
 * (image y down, profile facing right; mirrored films give the same numbers), ISBI 2015 classes
 * at their thresholds, missing landmarks named (never a wrong number), and an Aariz-style set
 * found by symbol.
 */
import { describe, expect, it } from 'vitest';
import { ISBI_IMAGE, ISBI_LANDMARKS } from '../../src/core/data/landmarkSet';
import type { Point } from '../../src/core/image';
import {
  ANALYSES,
  analysisCoverage,
  classifyMw,
  compareMeasurements,
  findLandmark,
  getAnalysis,
  MEASUREMENTS,
  measureAnalysis,
  measureOne,
  profileFacing,
  requiredLandmarks,
  type MeasurementValue,
} from '../../src/core/landmarks';

const ISBI = ISBI_LANDMARKS.map((l) => l.id);
const RAD = Math.PI / 180;

/** The point at `r` px from `o` in direction `deg` (image frame: 0 = right, 90 = down). */
const ray = (o: Point, deg: number, r: number): Point => [
  o[0] + r * Math.cos(deg * RAD),
  o[1] + r * Math.sin(deg * RAD),
];

/** A landmark list in ISBI order from a partial symbol -> point map (others null). */
function isbiPoints(m: Record<string, Point>): (Point | null)[] {
  return ISBI.map((s) => m[s] ?? null);
}

const value = (id: string, pts: (Point | null)[], syms: string[] = ISBI, mm = 0.1): number | null =>
  measureOne(id, pts, syms, mm).value;

describe('knowledge as data', () => {
  it('every measurement derives the landmarks it uses from its formula', () => {
    expect(MEASUREMENTS.SNA.uses).toEqual(['N', 'S', 'A']);
    expect(MEASUREMENTS.ANB.uses).toEqual(['N', 'S', 'A', 'B']);
    expect(MEASUREMENTS.ODI.uses).toEqual(['Me', 'Go', 'B', 'A', 'Po', 'Or', 'PNS', 'ANS']);
    expect(MEASUREMENTS.FHI.uses).toEqual(['S', 'Go', 'N', 'Me']);
    expect(MEASUREMENTS.OCC_SN.uses).toEqual(['S', 'N', 'U6', 'L6', 'U1', 'L1']);
    for (const m of Object.values(MEASUREMENTS)) {
      expect(m.uses.length).toBeGreaterThan(0);
      expect(m.kind).toBe(m.formula.kind);
      expect(m.name.en && m.name.zh).toBeTruthy();
    }
  });

  it('analyses list known measurements; required landmarks are derived and exist in the ISBI set', () => {
    for (const a of Object.values(ANALYSES))
      for (const id of a.measurements) expect(MEASUREMENTS[id]).toBeDefined();
    expect(ANALYSES.isbi2015.measurements).toEqual([
      'ANB',
      'SNB',
      'SNA',
      'ODI',
      'APDI',
      'FHI',
      'FMA_ISBI',
      'MW',
    ]);
    const req = requiredLandmarks('isbi2015');
    expect(new Set(req)).toEqual(
      new Set(['S', 'N', 'A', 'B', 'Me', 'Go', 'Po', 'Or', 'PNS', 'ANS', 'Pog', 'Gn', 'L1', 'U1']),
    );
    for (const s of req) expect(ISBI).toContain(s);
    // Steiner needs landmarks ISBI does not have: they are named, not invented
    expect(
      requiredLandmarks('steiner')
        .filter((s) => !ISBI.includes(s))
        .sort(),
    ).toEqual(['D', 'L1A', 'L6', 'U1A', 'U6']);
    expect(getAnalysis('all').measurements).toHaveLength(new Set(getAnalysis('all').measurements).size);
    expect(() => getAnalysis('downs')).toThrow(/unknown analysis "downs".*isbi2015, steiner, tweed, all/);
  });

  it('Steiner shows its own SNA/SNB/ANB norms; ISBI 2015 its ranges; every norm names its source', () => {
    const mean: Point[] = ISBI_LANDMARKS.map((l) => [l.x * ISBI_IMAGE.width, l.y * ISBI_IMAGE.height]);
    const st = measureAnalysis('steiner', mean, ISBI, 0.1).find((m) => m.id === 'SNA')!;
    const is = measureAnalysis('isbi2015', mean, ISBI, 0.1).find((m) => m.id === 'SNA')!;
    expect(st.norm).toMatchObject({ min: 80, max: 84, mean: 82 });
    expect(st.status).toBe('normal'); // 83.3 is inside Steiner's 80-84 ...
    expect(is.norm).toMatchObject({ min: 79.4, max: 83.2 });
    expect(is.status).toBe('high'); // ... and above ISBI's 79.4-83.2
    expect(st.value).toBe(is.value);
    for (const m of Object.values(MEASUREMENTS))
      if (m.norm) expect(m.norm.source).toMatch(/ISBI|Steiner|Tweed/);
  });

  it('coverage: what a landmark set can measure before anything is placed', () => {
    const isbi = analysisCoverage('isbi2015', ISBI);
    expect(isbi.missing).toEqual([]);
    expect(isbi.measurable).toEqual(ANALYSES.isbi2015.measurements);
    const st = analysisCoverage('steiner', ISBI);
    expect(st.missing.sort()).toEqual(['D', 'L1A', 'L6', 'U1A', 'U6']);
    expect(st.unavailable).toContainEqual({ id: 'OCC_SN', missing: ['U6', 'L6'] });
    expect(st.measurable).toContain('L1_NB_MM');
    // an Aariz-style set has the incisor apices and molars (aliases), not D
    const aariz = analysisCoverage('steiner', [
      'S',
      'N',
      'A',
      'B',
      'UIT',
      'UIA',
      'LIT',
      'LIA',
      'UMT',
      'LMT',
      'Pog',
      'Go',
      'Gn',
    ]);
    expect(aariz.unavailable).toEqual([{ id: 'SND', missing: ['D'] }]);
  });

  it('the FMA ISBI 2015 computes is labelled as SN to Go-Gn, and classic Tweed FMA is separate', () => {
    expect(MEASUREMENTS.FMA_ISBI.name.en).toMatch(/ISBI.*SN to Go-Gn/);
    expect(MEASUREMENTS.FMA_TWEED.name.en).toMatch(/Tweed.*Po-Or.*Go-Me/);
    expect(MEASUREMENTS.FMA_TWEED.uses).toEqual(['Po', 'Or', 'Go', 'Me']);
  });
});

describe('known answers (hand-built landmarks)', () => {
  // SN tilted by `tilt` degrees; A and B placed at exact angles from N
  function snab(tilt: number, sna: number, snb: number): Record<string, Point> {
    const N: Point = [1400, 900];
    const S = ray(N, 180 + tilt, 650);
    // rotating counter-clockwise on the screen from N->S (angle decreases in the y-down frame)
    return { S, N, A: ray(N, 180 + tilt - sna, 560), B: ray(N, 180 + tilt - snb, 900) };
  }

  it.each([0, -7, 11])('SNA exactly 82, SNB exactly 80, ANB exactly +2 (SN tilted %d deg)', (tilt) => {
    const pts = isbiPoints(snab(tilt, 82, 80));
    expect(value('SNA', pts)).toBeCloseTo(82, 10);
    expect(value('SNB', pts)).toBeCloseTo(80, 10);
    expect(value('ANB', pts)).toBeCloseTo(2, 10);
  });

  it('ANB is negative when B lies ahead of A (class III) and the ISBI class says so', () => {
    const pts = isbiPoints(snab(0, 80, 84));
    const anb = measureOne('ANB', pts, ISBI, 0.1);
    expect(anb.value).toBeCloseTo(-4, 10);
    expect(anb.classification).toMatchObject({ code: 'C3', en: 'Skeletal class III', scheme: 'isbi2015' });
    expect(anb.status).toBe('low');
  });

  it('ODI = angle(MP, AB) + signed angle(FH, PP); the palatal term is negative when PP tilts up anteriorly', () => {
    const base: Record<string, Point> = {
      Me: [1300, 2100],
      Go: ray([1300, 2100], 200, 800), // Me->Go up and back, 20 deg above horizontal
      B: [1350, 1800],
      A: [1350, 1500], // B->A straight up: angle(Me->Go, B->A) = 70
      Po: [600, 1200],
      Or: [1300, 1200], // FH horizontal
      PNS: [900, 1400],
    };
    expect(value('ODI', isbiPoints({ ...base, ANS: ray(base.PNS, 0, 500) }))).toBeCloseTo(70, 10);
    // ANS higher (anterior end up: counter-clockwise on screen): -3
    expect(value('ODI', isbiPoints({ ...base, ANS: ray(base.PNS, -3, 500) }))).toBeCloseTo(67, 10);
    expect(value('ODI', isbiPoints({ ...base, ANS: ray(base.PNS, 3, 500) }))).toBeCloseTo(73, 10);
    const open = measureOne('ODI', isbiPoints({ ...base, ANS: ray(base.PNS, -3, 500) }), ISBI, 0.1);
    expect(open.classification?.code).toBe('C3');
    expect(open.classification?.en).toMatch(/open bite/i);
  });

  it('APDI = facial angle + signed AB-facial plane + signed FH-PP; the AB term is negative when A is ahead of B', () => {
    const N: Point = [1400, 900];
    const common: Record<string, Point> = {
      Or: [1300, 1200],
      Po: [600, 1200],
      N,
      Pog: ray(N, 87, 1200), // Or->Po (180) to N->Pog (87): 93
      PNS: [900, 1400],
      ANS: [1400, 1400],
    };
    const A: Point = [1450, 1500];
    // A ahead of B: A->B turned clockwise from N->Pog by 8 deg -> -8
    expect(value('APDI', isbiPoints({ ...common, A, B: ray(A, 95, 300) }))).toBeCloseTo(93 - 8, 10);
    // B ahead of A: +7
    expect(value('APDI', isbiPoints({ ...common, A, B: ray(A, 80, 300) }))).toBeCloseTo(93 + 7, 10);
    // palatal plane up anteriorly by 2 deg: -2
    expect(
      value('APDI', isbiPoints({ ...common, ANS: ray(common.PNS, -2, 500), A, B: ray(A, 95, 300) })),
    ).toBeCloseTo(93 - 8 - 2, 10);
  });

  it('FHI = |S-Go| / |N-Me|; FMA (ISBI) = angle S->N, Go->Gn; Tweed FMA = angle Po->Or, Go->Me', () => {
    const S: Point = [800, 900];
    const N: Point = [1500, 900];
    const Go: Point = ray(S, 90, 700);
    const Me: Point = ray(N, 90, 1000);
    expect(value('FHI', isbiPoints({ S, N, Go, Me }))).toBeCloseTo(0.7, 12);
    const Gn = ray(Go, 30, 700);
    expect(value('FMA_ISBI', isbiPoints({ S, N, Go, Gn }))).toBeCloseTo(30, 10);
    expect(value('GOGN_SN', isbiPoints({ S, N, Go, Gn }))).toBeCloseTo(30, 10);
    const Po: Point = [600, 1200];
    const Or = ray(Po, -4, 700);
    expect(value('FMA_TWEED', isbiPoints({ Po, Or, Go, Me: ray(Go, 21, 650) }))).toBeCloseTo(25, 10);
  });

  it('MW is the L1-U1 tip distance in mm, negative when the upper incisor is behind; classes C1-C4', () => {
    const L1: Point = [1400, 1700];
    const at = (dx: number, dy: number): (Point | null)[] => isbiPoints({ L1, U1: [L1[0] + dx, L1[1] + dy] });
    expect(value('MW', at(30, 40))).toBeCloseTo(5, 12); // 50 px at 0.1 mm/px
    expect(value('MW', at(30, 40), ISBI, 0.05)).toBeCloseTo(2.5, 12);
    expect(value('MW', at(-30, 40))).toBeCloseTo(-5, 12);
    expect(measureOne('MW', at(30, 0), ISBI, 0.1).classification?.code).toBe('C1');
    expect(measureOne('MW', at(0, 0), ISBI, 0.1).classification?.code).toBe('C2');
    expect(measureOne('MW', at(-10, 0), ISBI, 0.1).classification?.code).toBe('C3');
    expect(measureOne('MW', at(50, 0), ISBI, 0.1).classification?.code).toBe('C4');
    // 0 < MW < 2 mm is in no ISBI 2015 class: no classification rather than a made-up one
    expect(measureOne('MW', at(10, 0), ISBI, 0.1).classification).toBeUndefined();
  });

  it('ISBI 2015 classes at the thresholds (C1 ranges inclusive)', () => {
    const c = (id: string, v: number): string | undefined => MEASUREMENTS[id].classify?.(v)?.code;
    expect([c('SNA', 79.39), c('SNA', 79.4), c('SNA', 83.2), c('SNA', 83.21)]).toEqual([
      'C3',
      'C1',
      'C1',
      'C2',
    ]);
    expect([c('SNB', 74.59), c('SNB', 74.6), c('SNB', 78.7), c('SNB', 78.71)]).toEqual([
      'C2',
      'C1',
      'C1',
      'C3',
    ]);
    expect([c('ANB', 3.19), c('ANB', 3.2), c('ANB', 5.7), c('ANB', 5.71)]).toEqual(['C3', 'C1', 'C1', 'C2']);
    expect([c('ODI', 68.3), c('ODI', 74.5), c('ODI', 80.6)]).toEqual(['C3', 'C1', 'C2']);
    expect([c('APDI', 77.5), c('APDI', 81.4), c('APDI', 85.3)]).toEqual(['C2', 'C1', 'C3']);
    expect([c('FHI', 0.64), c('FHI', 0.7), c('FHI', 0.76)]).toEqual(['C3', 'C1', 'C2']);
    expect([c('FMA_ISBI', 26.7), c('FMA_ISBI', 29), c('FMA_ISBI', 31.5)]).toEqual(['C3', 'C1', 'C2']);
    expect([
      classifyMw(-0.1)?.code,
      classifyMw(2)?.code,
      classifyMw(4.5)?.code,
      classifyMw(4.51)?.code,
    ]).toEqual(['C3', 'C1', 'C1', 'C4']);
    for (const id of ANALYSES.isbi2015.measurements) {
      const cl = MEASUREMENTS[id].classify?.(MEASUREMENTS[id].norm!.min);
      expect(cl?.zh).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('Steiner incisor and distance measurements on an Aariz-style symbol set', () => {
    // Aariz JSON symbols (29): incisors as UIT/UIA/LIT/LIA, molars UMT/LMT, found through aliases
    const aariz = [
      'A', 'ANS', 'B', 'Me', 'N', 'Or', 'Pog', 'PNS', 'Prn', 'R', 'S', 'Ar', 'Co', 'Gn', 'Go', 'Po',
      'LPM', 'LIT', 'LMT', 'UPM', 'UIA', 'UIT', 'UMT', 'LIA', 'Li', 'Ls', "N'", "Pog'", 'Sn',
    ]; // prettier-ignore
    expect(aariz).toHaveLength(29);
    const N: Point = [1400, 900];
    const S = ray(N, 180, 650); // SN horizontal
    const A = ray(N, 98, 600); // SNA 82
    const B = ray(N, 100, 1000); // SNB 80
    const UIT: Point = [A[0] + 60, A[1] + 250];
    const UIA = ray(UIT, 98 - 22 + 180, 230); // UIA->UIT at 76 deg: 22 deg ahead of N->A (98)
    const LIT: Point = [UIT[0] - 25, UIT[1] - 20];
    const LIA = ray(LIT, 100 + 25, 210); // LIT->LIA at 125 deg: 25 deg behind N->B (100)
    const UMT: Point = [900, 1580];
    const LMT: Point = [900, 1600];
    const Pog = ray(N, 101, 1200);
    const Go: Point = [700, 1700];
    const Gn = ray(Go, 32, 900);
    const m: Record<string, Point> = { S, N, A, B, UIT, UIA, LIT, LIA, UMT, LMT, Pog, Go, Gn };
    const pts = aariz.map((s) => m[s] ?? ([0, 0] as Point));
    const v = (id: string): number | null => value(id, pts, aariz);
    expect(v('SNA')).toBeCloseTo(82, 10);
    expect(v('ANB')).toBeCloseTo(2, 10);
    expect(v('U1_NA_DEG')).toBeCloseTo(22, 10);
    expect(v('L1_NB_DEG')).toBeCloseTo(25, 10);
    expect(v('GOGN_SN')).toBeCloseTo(32, 10);
    // interincisal: tip->apex directions 256 (upper) and 125 (lower) deg: 131 deg apart
    expect(v('INTERINCISAL')).toBeCloseTo(131, 10);
    // occlusal plane: molar overlap (900, 1590) -> incisal overlap midpoint
    const mid: Point = [(UIT[0] + LIT[0]) / 2, (UIT[1] + LIT[1]) / 2];
    const occ = (Math.atan2(mid[1] - 1590, mid[0] - 900) * 180) / Math.PI; // SN is horizontal
    expect(v('OCC_SN')).toBeCloseTo(Math.abs(occ), 10);
    // point to line distances: positive when ahead of the line, in mm
    const dist = (p: Point, a: Point, b: Point): number => {
      const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
      const [nx, ny] = -dy > 0 ? [-dy, dx] : [dy, -dx]; // normal pointing anteriorly (+x)
      return (((p[0] - a[0]) * nx + (p[1] - a[1]) * ny) / Math.hypot(dx, dy)) * 0.1;
    };
    expect(v('U1_NA_MM')).toBeCloseTo(dist(UIT, N, A), 10);
    expect(v('U1_NA_MM')!).toBeGreaterThan(0); // the tip lies ahead of NA
    expect(v('L1_NB_MM')).toBeCloseTo(dist(LIT, N, B), 10);
    expect(v('POG_NB_MM')).toBeCloseTo(dist(Pog, N, B), 10);
    // S-L: Pog projected on SN (horizontal): x distance from S
    expect(v('S_L')).toBeCloseTo((Pog[0] - S[0]) * 0.1, 10);
    // SND needs D, which Aariz does not have either
    expect(measureOne('SND', pts, aariz, 0.1)).toMatchObject({ value: null, missing: ['D'] });
  });

  it('Tweed triangle: FMA + FMIA + IMPA = 180', () => {
    const syms = [...ISBI, 'L1A'];
    const Po: Point = [600, 1200];
    const Or: Point = [1350, 1180];
    const Go: Point = [700, 1750];
    const Me: Point = [1300, 2050];
    const L1: Point = [1420, 1700];
    const L1A = ray(L1, 112, 220);
    const pts = [...isbiPoints({ Po, Or, Go, Me, L1 }), L1A];
    const fma = value('FMA_TWEED', pts, syms)!;
    const fmia = value('FMIA', pts, syms)!;
    const impa = value('IMPA', pts, syms)!;
    expect(fma + fmia + impa).toBeCloseTo(180, 9);
    expect(impa).toBeGreaterThan(80);
    expect(fmia).toBeGreaterThan(50);
  });
});

describe('signs and frames', () => {
  const W = ISBI_IMAGE.width;
  const mean: Point[] = ISBI_LANDMARKS.map((l) => [l.x * W, l.y * ISBI_IMAGE.height]);

  it('the ISBI mean shape: SNA 83.3, SNB 80.9, ANB positive (class I face)', () => {
    const r = Object.fromEntries(measureAnalysis('isbi2015', mean, ISBI, 0.1).map((m) => [m.id, m]));
    expect(r.SNA.value!).toBeCloseTo(83.3, 1);
    expect(r.SNB.value!).toBeCloseTo(80.9, 1);
    expect(r.ANB.value!).toBeGreaterThan(0);
    expect(r.MW.value!).toBeGreaterThan(0); // upper incisor ahead of the lower
    for (const id of ANALYSES.isbi2015.measurements) expect(r[id].missing).toEqual([]);
  });

  it('a film facing left (mirrored) gives the same numbers, signs included', () => {
    const mirrored = mean.map(([x, y]): Point => [W - x, y]);
    expect(profileFacing(mean, ISBI)).toBe(1);
    expect(profileFacing(mirrored, ISBI)).toBe(-1);
    const a = measureAnalysis('all', mean, ISBI, 0.1);
    const b = measureAnalysis('all', mirrored, ISBI, 0.1);
    for (let i = 0; i < a.length; i++) {
      if (a[i].value === null) expect(b[i].value).toBeNull();
      else expect(b[i].value!).toBeCloseTo(a[i].value!, 9);
    }
  });

  it('angles and ratios do not depend on the pixel spacing; distances scale with it', () => {
    const a = measureAnalysis('all', mean, ISBI, 0.1);
    const b = measureAnalysis('all', mean, ISBI, 0.2);
    a.forEach((m, i) => {
      if (m.value === null) return;
      expect(b[i].value!).toBeCloseTo(m.unit === 'mm' ? 2 * m.value : m.value, 9);
    });
  });

  it('refuses a pixel spacing that is not a positive number', () => {
    expect(() => measureAnalysis('isbi2015', mean, ISBI, 0)).toThrow(/positive/);
    expect(() => measureOne('SNA', mean, ISBI, Number.NaN)).toThrow(/positive/);
  });
});

describe('missing landmarks: null with their names, never a wrong number', () => {
  const mean: Point[] = ISBI_LANDMARKS.map((l) => [l.x * ISBI_IMAGE.width, l.y * ISBI_IMAGE.height]);

  it('a skipped landmark (null point) nulls exactly the measurements that use it', () => {
    const pts: (Point | null)[] = [...mean];
    pts[ISBI.indexOf('Go')] = null;
    const r = measureAnalysis('isbi2015', pts, ISBI, 0.1);
    const byId = Object.fromEntries(r.map((m) => [m.id, m]));
    for (const id of ['ODI', 'FHI', 'FMA_ISBI'])
      expect(byId[id]).toMatchObject({ value: null, missing: ['Go'] });
    for (const id of ['SNA', 'SNB', 'ANB', 'APDI', 'MW']) {
      expect(byId[id].value).not.toBeNull();
      expect(byId[id].missing).toEqual([]);
    }
    expect(byId.FHI.status).toBeUndefined();
    expect(byId.FHI.classification).toBeUndefined();
  });

  it('a symbol the set does not define is named; all missing symbols are listed', () => {
    const syms = ISBI.filter((s) => s !== 'PNS' && s !== 'ANS');
    const pts = mean.filter((_, i) => ISBI[i] !== 'PNS' && ISBI[i] !== 'ANS');
    expect(measureOne('APDI', pts, syms, 0.1)).toMatchObject({ value: null, missing: ['PNS', 'ANS'] });
    expect(measureOne('SNA', pts, syms, 0.1).value).toBeCloseTo(83.27, 1);
    // Steiner on ISBI: the incisor axes, D and molars are missing, the rest computed
    const st = Object.fromEntries(measureAnalysis('steiner', mean, ISBI, 0.1).map((m) => [m.id, m]));
    expect(st.SND.missing).toEqual(['D']);
    expect(st.U1_NA_DEG.missing).toEqual(['U1A']);
    expect(st.INTERINCISAL.missing).toEqual(['U1A', 'L1A']);
    expect(st.OCC_SN.missing).toEqual(['U6', 'L6']);
    for (const id of ['U1_NA_MM', 'L1_NB_MM', 'POG_NB_MM', 'GOGN_SN', 'S_L'])
      expect(st[id].value).not.toBeNull();
  });

  it('points beyond the list, NaN coordinates and coincident landmarks give null', () => {
    expect(measureOne('SNA', mean.slice(0, 3), ISBI, 0.1)).toMatchObject({ value: null, missing: ['A'] });
    const nan: (Point | null)[] = [...mean];
    nan[ISBI.indexOf('A')] = [Number.NaN, 5];
    expect(measureOne('SNA', nan, ISBI, 0.1)).toMatchObject({ value: null, missing: ['A'] });
    const same: (Point | null)[] = [...mean];
    same[ISBI.indexOf('A')] = mean[ISBI.indexOf('N')];
    const m: MeasurementValue = measureOne('SNA', same, ISBI, 0.1);
    expect(m).toMatchObject({ value: null, missing: [], degenerate: true });
  });

  it('finds landmarks by symbol or alias, never by position', () => {
    expect(findLandmark(['UIT', 'S'], 'U1')).toBe(0);
    expect(findLandmark(['S', "Pog'"], 'PogS')).toBe(1);
    expect(findLandmark(['Li'], 'L1')).toBe(-1); // the lower lip is not the lower incisor
    // a shuffled ISBI set measures the same
    const order = [...ISBI.keys()].reverse();
    const a = measureAnalysis('isbi2015', mean, ISBI, 0.1);
    const b = measureAnalysis(
      'isbi2015',
      order.map((i) => mean[i]),
      order.map((i) => ISBI[i]),
      0.1,
    );
    a.forEach((m, i) => expect(b[i].value).toBeCloseTo(m.value!, 12));
  });

  it('compareMeasurements gives a - b and names what either side lacks', () => {
    const other: (Point | null)[] = [...mean];
    other[ISBI.indexOf('A')] = [mean[ISBI.indexOf('A')][0] + 20, mean[ISBI.indexOf('A')][1]];
    other[ISBI.indexOf('Go')] = null;
    const a = measureAnalysis('isbi2015', other, ISBI, 0.1);
    const b = measureAnalysis('isbi2015', mean, ISBI, 0.1);
    const c = Object.fromEntries(compareMeasurements(a, b).map((x) => [x.id, x]));
    expect(c.SNA.diff!).toBeGreaterThan(0); // A moved forward
    expect(c.SNA.diff).toBeCloseTo(
      a.find((m) => m.id === 'SNA')!.value! - b.find((m) => m.id === 'SNA')!.value!,
      12,
    );
    expect(c.SNB.diff).toBeCloseTo(0, 12);
    expect(c.FHI).toMatchObject({ a: null, diff: null, missing: ['Go'] });
  });
});
