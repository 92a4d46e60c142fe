import { describe, expect, it } from 'vitest';
import { DEFAULT_PREPROCESS } from '../../src/core/data/preprocess';
import { toOriginal, toPreprocessed } from '../../src/core/data/preprocess';
import { ISBI_LANDMARKS, ISBI_IMAGE } from '../../src/core/data/landmarkSet';
import type { Point } from '../../src/core/image';
import type { TracingRecord } from '../../src/store/tracings';
import { adjustmentLut, NEUTRAL } from '../../src/ui/landmarks/adjust';
import {
  errorsCsv,
  measurementRows,
  predictionTransform,
  targetErrors,
} from '../../src/ui/landmarks/results';

const SYMBOLS = ISBI_LANDMARKS.map((l) => l.id);
const MEAN: Point[] = ISBI_LANDMARKS.map((l) => [
  Math.round(l.x * ISBI_IMAGE.width),
  Math.round(l.y * ISBI_IMAGE.height),
]);

function rec(
  caseId: string,
  points: (Point | null)[],
  assisted: TracingRecord['assisted'] = false,
): TracingRecord {
  return {
    id: `tr-${caseId}`,
    datasetId: 'd',
    caseId,
    target: { kind: 'checkpoint', runId: 'r', name: 'last' },
    points,
    symbols: SYMBOLS,
    createdAt: 0,
    updatedAt: 0,
    assisted,
  };
}

describe('Landmarks tables', () => {
  it('radial errors in mm over the hand tracings only; skipped landmarks counted apart; cases without ground truth left out', async () => {
    // 0.125 mm/px (exact in binary): case a every landmark 16 px right (2 mm) except A skipped; case b 24 px down (3 mm)
    const a = rec(
      'a',
      MEAN.map((p, i) => (i === 4 ? null : [p[0] + 16, p[1]])),
    );
    const b = rec(
      'b',
      MEAN.map((p) => [p[0], p[1] + 24]),
    );
    const review = rec('c', MEAN, 'groundTruth');
    const noGt = rec('d', MEAN);
    const gt = async (id: string) => (id === 'd' ? null : MEAN);
    const e = await targetErrors([a, b, review, noGt], SYMBOLS, 0.125, gt);
    expect(e.leftOut).toBe(2);
    expect(e.cases.map((c) => c.caseId)).toEqual(['a', 'b']);
    expect(e.cases[0]).toMatchObject({ placed: 18, skipped: 1 });
    expect(e.cases[0].mreMm).toBeCloseTo(2, 9);
    expect(e.cases[1].mreMm).toBeCloseTo(3, 9);
    expect(e.summary.n).toBe(37);
    expect(e.summary.mreMm).toBeCloseTo((18 * 2 + 19 * 3) / 37, 9);
    expect(e.summary.sdr['2']).toBeCloseTo(18 / 37, 9);
    expect(e.summary.sdr['3']).toBe(1);
    const lmA = e.summary.perLandmark[4];
    expect(lmA).toMatchObject({ symbol: 'A', n: 1, missing: 1 });
    expect(e.skippedPerLandmark[4]).toBe(1);
    const csv = errorsCsv([{ label: 'run · last', errors: e }]).split('\r\n');
    expect(csv[0]).toBe(
      'kind,checkpoint,case,landmark,n,not_identifiable,radial_error_mm,mre_mm,sd_mm,sdr_2mm,sdr_2_5mm,sdr_3mm,sdr_4mm',
    );
    expect(csv[1].startsWith('overall,run · last,,,37,1,,')).toBe(true);
    expect(csv).toContain('case,run · last,a,A,0,1,,,,,,,');
    expect(csv).toContain('case,run · last,b,S,1,0,3,,,,,,');
    expect(csv.every((l) => l === '' || l.split(',').length === 13)).toBe(true);
  });

  it('measurements from ground truth and tracing: difference, and unavailable (never wrong) where a landmark is missing', () => {
    const tracing: (Point | null)[] = MEAN.map((p, i) => (i === 4 ? null : p));
    const rows = measurementRows('isbi2015', MEAN, tracing, SYMBOLS, 0.1);
    expect(rows.map((r) => r.id)).toEqual(['ANB', 'SNB', 'SNA', 'ODI', 'APDI', 'FHI', 'FMA_ISBI', 'MW']);
    const sna = rows.find((r) => r.id === 'SNA')!;
    expect(sna.gt).toBeCloseTo(83.3, 0); // the mean shape's SNA (cephalometry.md)
    expect(sna.tracing).toBeNull();
    expect(sna.diff).toBeNull();
    expect(sna.missing).toEqual(['A']);
    const fhi = rows.find((r) => r.id === 'FHI')!;
    expect(fhi.diff).toBe(0);
    expect(fhi.norm).toEqual({ min: 0.65, max: 0.75 });
  });

  it('the prediction frame maps back to original pixels (letterbox; ROI without a box falls back to letterbox)', () => {
    for (const preprocess of ['letterbox', 'stretch', 'roi'] as const) {
      const tr = predictionTransform({ width: 1935, height: 2400 }, DEFAULT_PREPROCESS, {
        size: 64,
        preprocess,
      });
      expect(tr.mode).toBe(preprocess === 'roi' ? 'letterbox' : preprocess);
      for (const p of MEAN) {
        const q = toOriginal(tr, toPreprocessed(tr, p));
        expect(Math.hypot(q[0] - p[0], q[1] - p[1])).toBeLessThan(1e-9);
      }
    }
    // letterbox 1935x2400 -> 64: scale 64/2400, centred horizontally
    const tr = predictionTransform({ width: 1935, height: 2400 }, DEFAULT_PREPROCESS, {
      size: 64,
      preprocess: 'letterbox',
    });
    const c = toPreprocessed(tr, [1935 / 2, 1200]);
    expect(c[1]).toBeCloseTo(32, 9);
    expect(Math.abs(c[0] - 32)).toBeLessThanOrEqual(0.5);
  });

  it('image adjustments: neutral is the identity, invert flips, gamma > 1 brightens dark tones', () => {
    const id = adjustmentLut(NEUTRAL);
    expect([...id]).toEqual(Array.from({ length: 256 }, (_, i) => i));
    const inv = adjustmentLut({ ...NEUTRAL, invert: true });
    expect(inv[0]).toBe(255);
    expect(inv[255]).toBe(0);
    const g = adjustmentLut({ ...NEUTRAL, gamma: 2 });
    expect(g[64]).toBeGreaterThan(64);
    expect(g[255]).toBe(255);
    const c = adjustmentLut({ ...NEUTRAL, contrast: 100 });
    expect(c[64]).toBeLessThan(64);
    expect(c[192]).toBeGreaterThan(192);
    expect(adjustmentLut({ ...NEUTRAL, brightness: 50 })[0]).toBe(128);
  });
});
