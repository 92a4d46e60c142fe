import { describe, expect, it } from 'vitest';
import { ISBI_LANDMARKS } from '../../src/core/data/landmarkSet';
import { generatePhantomCase } from '../../src/core/data/phantom';
import { computeTransform, toPreprocessed } from '../../src/core/data/preprocess';
import {
  detectionsToOriginal,
  TRACE_MEASUREMENTS,
  traceabilityScore,
} from '../../src/core/detector/traceability';
import type { Point } from '../../src/core/image';
import { measureOne } from '../../src/core/landmarks/measure';

const SYMBOLS = ISBI_LANDMARKS.map((l) => l.id);
/** Realistic landmarks: a phantom film (its anatomy is drawn from them). */
const GT: Point[] = generatePhantomCase(4, 0, { width: 256, height: 256, split: 'val' }).landmarks.map(
  ([x, y]) => [x, y] as Point,
);
const MM = 0.4;

describe('traceability score (core, pure)', () => {
  it('perfect detections score 0 mm on the floor and the synthetic film, and every measurement agrees', () => {
    const s = traceabilityScore([{ id: 'a', gt: GT, floor: GT, synthetic: GT, mmPerPx: MM }], SYMBOLS);
    expect(s.cases).toBe(1);
    expect(s.floor.mreMm).toBe(0);
    expect(s.synthetic.mreMm).toBe(0);
    expect(s.synthetic.sdr['2']).toBe(1);
    expect(s.synthetic.perLandmark).toHaveLength(19);
    expect(s.measurements.map((m) => m.id)).toEqual([...TRACE_MEASUREMENTS]);
    for (const m of s.measurements) {
      expect(m.n).toBe(1);
      expect(m.meanAbsDiff).toBeCloseTo(0, 9);
    }
  });

  it('a known shift gives a known error in mm; translation leaves every measurement unchanged', () => {
    const shifted = GT.map(([x, y]) => [x + 3, y + 4] as Point); // 5 px = 2 mm at 0.4 mm/px
    const floor = GT.map(([x, y]) => [x + 0.6, y - 0.8] as Point); // 1 px = 0.4 mm
    const s = traceabilityScore(
      [
        { id: 'a', gt: GT, floor, synthetic: shifted, mmPerPx: MM },
        { id: 'b', gt: GT, floor: GT, synthetic: GT, mmPerPx: MM },
      ],
      SYMBOLS,
    );
    expect(s.synthetic.mreMm).toBeCloseTo(1, 9); // (2 + 0) / 2
    expect(s.floor.mreMm).toBeCloseTo(0.2, 9);
    expect(s.synthetic.perLandmark[0].mreMm).toBeCloseTo(1, 9);
    expect(s.synthetic.n).toBe(38);
    for (const m of s.measurements) expect(m.meanAbsDiff).toBeCloseTo(0, 6);
  });

  it('measurement agreement: moving B changes SNB and ANB by the same amount, not SNA; a missing landmark is left out', () => {
    const iB = SYMBOLS.indexOf('B');
    const moved = GT.map((p, i) => (i === iB ? ([p[0] + 10, p[1]] as Point) : p));
    const snb = (pts: (Point | null)[]) => measureOne('SNB', pts, SYMBOLS, MM).value as number;
    const expected = Math.abs(snb(moved) - snb(GT));
    expect(expected).toBeGreaterThan(0.5);
    const s = traceabilityScore([{ id: 'a', gt: GT, floor: GT, synthetic: moved, mmPerPx: MM }], SYMBOLS);
    const by = Object.fromEntries(s.measurements.map((m) => [m.id, m]));
    expect(by.SNB.meanAbsDiff).toBeCloseTo(expected, 9);
    expect(by.ANB.meanAbsDiff).toBeCloseTo(expected, 9);
    expect(by.SNA.meanAbsDiff).toBeCloseTo(0, 9);
    expect(by.SNB.unit).toBe('deg');
    expect(by.SNB.meanGt).toBeCloseTo(snb(GT), 9);
    expect(by.SNB.meanSynthetic).toBeCloseTo(snb(moved), 9);
    expect(by.SNB.name.zh.length).toBeGreaterThan(0);

    // the detector could not place B on the synthetic film: B is missing, SNB/ANB have no case
    const noB = GT.map((p, i) => (i === iB ? null : p));
    const t = traceabilityScore([{ id: 'a', gt: GT, floor: GT, synthetic: noB, mmPerPx: MM }], SYMBOLS);
    const byT = Object.fromEntries(t.measurements.map((m) => [m.id, m]));
    expect(t.synthetic.missing).toBe(1);
    expect(t.synthetic.perLandmark[iB].n).toBe(0);
    expect(byT.SNB.n).toBe(0);
    expect(byT.SNB.meanAbsDiff).toBeNull();
    expect(byT.SNA.n).toBe(1);
  });

  it('detections in the letterboxed prediction frame map back to original X-ray pixels', () => {
    // a 2000 x 1000 film letterboxed to 64 px: 0.032 px per original px, padding top and bottom
    const t = computeTransform(2000, 1000, {
      mode: 'letterbox',
      size: 64,
      pad: 'constant',
      padColor: [0, 0, 0],
      roi: null,
    });
    expect(t.offsetY).toBeGreaterThan(0);
    const gtOrig: Point[] = GT.map(([x, y]) => [x * 7, y * 3] as Point);
    const inFrame = gtOrig.map((p) => toPreprocessed(t, p));
    const back = detectionsToOriginal(inFrame, t) as Point[];
    back.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(gtOrig[i][0], 6);
      expect(p[1]).toBeCloseTo(gtOrig[i][1], 6);
    });
    // one preprocessed px to the right = 1 / 0.032 = 31.25 original px = 3.125 mm at 0.1 mm/px
    const off = detectionsToOriginal(
      inFrame.map(([x, y]) => [x + 1, y] as Point),
      t,
    );
    const s = traceabilityScore(
      [{ id: 'a', gt: gtOrig, floor: back, synthetic: off, mmPerPx: 0.1 }],
      SYMBOLS,
    );
    expect(s.floor.mreMm).toBeCloseTo(0, 6);
    expect(s.synthetic.mreMm).toBeCloseTo(3.125, 6);
    expect(s.synthetic.sdr['2']).toBe(0);
    expect(s.synthetic.sdr['4']).toBe(1);
    expect(detectionsToOriginal([null], t)).toEqual([null]);
  });

  it('refuses a case whose landmark count differs from the set', () => {
    expect(() =>
      traceabilityScore([{ id: 'x', gt: GT.slice(0, 5), floor: GT, synthetic: GT, mmPerPx: MM }], SYMBOLS),
    ).toThrow(/case x: 19 landmarks expected/);
  });
});
