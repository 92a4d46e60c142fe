/**
 * The demo phantom as a detector's training data: every landmark must have something in the
 * X-ray to be found by. A detector trained on the phantom (cli train-landmarks --demo 60 --size
 * 256) found 18 landmarks within ~1 mm but never PNS: its heatmap stayed flat and peaked on the
 * image border (~133 mm off). The phantom drew the palate only as a faint fill under the maxilla
 * and the teeth, so its posterior tip (PNS) barely showed; a real film shows the hard palate as a
 * bright band between two cortical lines (nasal floor, oral surface) ending at PNS.
 */
import { describe, expect, it } from 'vitest';
import { generatePhantomCase, type PhantomCase } from '../../src/core/data/phantom';
import { toOriginal } from '../../src/core/data/preprocess';
import { decodeHeatmaps, gaussianTargets, sigmaPx } from '../../src/core/detector/heatmap';
import { makeSample } from '../../src/core/detector/train';
import { buildAnatomy } from '../../src/core/data/phantom/anatomy';
import { LM, sampleHead } from '../../src/core/data/phantom/head';
import type { Point, RgbaImage } from '../../src/core/image';
import { Rng } from '../../src/core/rng';

/** Bilinear grey value at continuous pixel coordinates (pixel centres at +0.5), edges clamped. */
function grey(img: RgbaImage, x: number, y: number): number {
  const fx = x - 0.5;
  const fy = y - 0.5;
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const ax = fx - x0;
  const ay = fy - y0;
  const at = (xx: number, yy: number): number =>
    img.data[
      (Math.min(img.height - 1, Math.max(0, yy)) * img.width + Math.min(img.width - 1, Math.max(0, xx))) * 4
    ];
  return (
    (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) +
    ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1))
  );
}

/**
 * Grey value at t mm along the palatal line PNS -> ANS and h mm above it (towards the nasal
 * cavity), in a case's X-ray.
 */
function palateProbe(c: PhantomCase): (t: number, h: number) => number {
  const pxPerMm = 1 / c.mmPerPx;
  const P = c.landmarks[LM.PNS];
  const A = c.landmarks[LM.ANS];
  const len = Math.hypot(A[0] - P[0], A[1] - P[1]);
  const u = [(A[0] - P[0]) / len, (A[1] - P[1]) / len];
  // the normal with a negative y component points up (the face looks right in an unmirrored film)
  const up = u[0] >= 0 ? [u[1], -u[0]] : [-u[1], u[0]];
  return (t, h) =>
    grey(c.xray, P[0] + (u[0] * t + up[0] * h) * pxPerMm, P[1] + (u[1] * t + up[1] * h) * pxPerMm);
}

describe('the demo phantom gives PNS something to be found by', () => {
  // the studio's demo detector input: square 256 px (0.94 mm per px)
  const cases: PhantomCase[] = [];
  for (let i = 0; cases.length < 10; i++) {
    const c = generatePhantomCase(1, i, { width: 256, height: 256 });
    if (!c.flags.mirrored) cases.push(c);
  }

  it('draws the hard palate as a bright line from PNS forwards (brighter than the nasal cavity above)', () => {
    const ridges = cases.map((c) => {
      const g = palateProbe(c);
      let s = 0;
      let n = 0;
      for (let t = 3; t <= 15; t++) {
        s += g(t, 0) - g(t, 3);
        n++;
      }
      return s / n;
    });
    // before the fix: mean 18, minimum 7.6 grey levels (the palate lost under maxilla and teeth)
    const mean = ridges.reduce((a, b) => a + b, 0) / ridges.length;
    expect(mean, ridges.map((r) => r.toFixed(1)).join(' ')).toBeGreaterThan(26);
    for (const r of ridges) expect(r).toBeGreaterThan(15);
  });

  it('ends the palate at PNS: bright just in front of it, dark just behind it', () => {
    for (const c of cases) {
      const g = palateProbe(c);
      const front = (g(2, 0) + g(3, 0)) / 2;
      const behind = (g(-3, 0) + g(-4, 0)) / 2;
      // before the fix some cases had no step at all (3 grey levels)
      expect(front - behind, c.id).toBeGreaterThan(40);
    }
  });

  it('draws the palate cortices from the landmarks: the nasal floor starts at PNS and ends at ANS', () => {
    for (let k = 0; k < 10; k++) {
      const head = sampleHead(new Rng(500 + k));
      const an = buildAnatomy(head, 0.25, new Rng(k));
      const pns = head.lm[LM.PNS];
      const ans = head.lm[LM.ANS];
      expect(an.nasalFloor[0]).toEqual(pns);
      const end = an.nasalFloor[an.nasalFloor.length - 1];
      expect(Math.hypot(end[0] - ans[0], end[1] - ans[1])).toBeLessThan(1e-9);
      // the oral surface closes the band within 1.5 mm below PNS
      const last = an.palatalSurface[an.palatalSurface.length - 1];
      expect(Math.hypot(last[0] - pns[0], last[1] - pns[1])).toBeLessThan(1.5);
    }
  });
});

describe('heatmap targets and decoding, the phantom landmarks and the border', () => {
  it('round-trips every phantom landmark (PNS too) through stride-2 targets and DARK within 0.1 px', () => {
    for (let i = 0; i < 4; i++) {
      const c = generatePhantomCase(1, i, { width: 256, height: 256 });
      const s = makeSample(c.id, c.xray, c.landmarks, 256, c.mmPerPx);
      const st = 2;
      const M = 256 / st;
      const sigma = sigmaPx(3, s.mmPerPx, s.transform.scaleX) / st;
      const pts = s.points.map((p) => [p![0] / st, p![1] / st] as Point);
      const h = gaussianTargets(pts, M, M, sigma);
      const dec = decodeHeatmaps(h, M, M, pts.length, { decoder: 'dark', sigma });
      dec.forEach((d, l) => {
        const q = toOriginal(s.transform, [d.point[0] * st, d.point[1] * st]);
        const p = c.landmarks[l];
        expect(Math.hypot(q[0] - p[0], q[1] - p[1]), `${c.id} landmark ${l}`).toBeLessThan(0.1);
      });
    }
  });

  it('decodes a peak in the outermost cells within 0.1 px (DARK, raw and smoothed)', () => {
    const W = 64;
    const H = 48;
    const sigma = 1.6;
    const pts: Point[] = [
      [0.6, 30.3],
      [1.5, 20.2],
      [63.3, 33.3],
      [62.2, 12.7],
      [30.2, 0.8],
      [20.7, 47.4],
      [0.7, 0.9],
      [63.6, 47.2],
    ];
    const h = gaussianTargets(pts, W, H, sigma);
    for (const smooth of [false, true]) {
      const dec = decodeHeatmaps(h, W, H, pts.length, { decoder: 'dark', sigma, smooth });
      dec.forEach((d, i) => {
        // before: the border fell back to the centroid of the cut-off peak, ~0.9 px inwards
        const err = Math.hypot(d.point[0] - pts[i][0], d.point[1] - pts[i][1]);
        expect(err, `${pts[i].join(',')} smooth ${smooth}`).toBeLessThan(0.1);
      });
    }
  });
});
