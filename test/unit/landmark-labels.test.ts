/**
 * Landmark label placement (core/landmarks/labels.ts): no two label boxes overlap, no label covers
 * a landmark marker, leaders cross no other marker, boxes stay inside the image — on the ISBI mean
 * shape, phantom cases and the senior tracings of the fixture films, at 512, 256 and 128 px.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ISBI_IMAGE, ISBI_LANDMARKS } from '../../src/core/data/landmarkSet';
import { generatePhantomCase } from '../../src/core/data/phantom';
import type { Point } from '../../src/core/image';
import { parseLandmarkCsv } from '../../src/core/io/landmarks';
import {
  estimateTextWidth,
  LABEL_LINE,
  landmarkColor,
  landmarkRgb,
  placeLabels,
  type LabelBox,
  type LabelPlacement,
} from '../../src/core/landmarks/labels';

const SYMBOLS = ISBI_LANDMARKS.map((l) => l.id);
const FIXTURES = new URL('../../../shared/fixtures/isbi2015-sample/', import.meta.url);

/** ISBI mean shape as the brief states it: mean x/y fractions × side (a square stretch). */
function meanShape(side: number): Point[] {
  return ISBI_LANDMARKS.map((l) => [l.x * side, l.y * side]);
}

/** Letterbox of `w`×`h` original pixels into a `side` square (centred). */
function letterbox(points: readonly Point[], w: number, h: number, side: number): Point[] {
  const s = side / Math.max(w, h);
  const ox = (side - w * s) / 2;
  const oy = (side - h * s) / 2;
  return points.map(([x, y]) => [x * s + ox, y * s + oy]);
}

function overlap(a: LabelBox, b: LabelBox): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function distToBox(p: Point, b: LabelBox): number {
  const dx = Math.max(b.x - p[0], 0, p[0] - (b.x + b.w));
  const dy = Math.max(b.y - p[1], 0, p[1] - (b.y + b.h));
  return Math.hypot(dx, dy);
}

function distToSegment(p: Point, a: Point, b: Point): number {
  const vx = b[0] - a[0];
  const vy = b[1] - a[1];
  const l2 = vx * vx + vy * vy;
  const t = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * vx + (p[1] - a[1]) * vy) / l2));
  return Math.hypot(p[0] - a[0] - t * vx, p[1] - a[1] - t * vy);
}

/** Every rule the overlay relies on; returns the broken ones as sentences (empty = all hold). */
function violations(
  points: readonly (Point | null)[],
  texts: readonly string[],
  placed: readonly LabelPlacement[],
  side: number,
  fontPx: number,
  radius: number,
): string[] {
  const bad: string[] = [];
  const shown = placed.map((p, i) => ({ p, i })).filter(({ p, i }) => !p.hidden && points[i]);
  for (const { p, i } of shown) {
    const b = p.box;
    if (b.x < 0 || b.y < 0 || b.x + b.w > side || b.y + b.h > side) bad.push(`${texts[i]} leaves the image`);
    if (b.w < estimateTextWidth(texts[i], fontPx) - 1e-9 || b.h < fontPx)
      bad.push(`${texts[i]}'s box is smaller than its text`);
    points.forEach((q, j) => {
      if (q && distToBox(q, b) < radius) bad.push(`${texts[i]} covers the marker of ${texts[j]}`);
      // a marker inside this label's own marker cannot be avoided by its leader
      const inside = q && Math.hypot(q[0] - points[i]![0], q[1] - points[i]![1]) < radius;
      if (q && j !== i && !inside && p.leader && distToSegment(q, p.leaderFrom, p.leaderTo) < radius)
        bad.push(`${texts[i]}'s leader crosses ${texts[j]}`);
    });
    for (const { p: o, i: k } of shown)
      if (k > i && overlap(b, o.box)) bad.push(`${texts[i]} overlaps ${texts[k]}`);
    // the text anchor lies on the box as the anchor says
    const ax = p.anchor === 'start' ? b.x : p.anchor === 'end' ? b.x + b.w : b.x + b.w / 2;
    if (Math.abs(ax - p.x) > 1e-9 || Math.abs(b.y + b.h / 2 - p.y) > 1e-9) bad.push(`${texts[i]} anchor off`);
  }
  return bad;
}

/** Marker radius and font a view of `side` px uses (LandmarkOverlay: 4 px markers from 256 px up). */
const RADIUS: Record<number, number> = { 512: 4, 256: 3, 128: 2 };
/**
 * Fonts that place every label of every shape below at 512 and 256 px (measured: 512 px up to 14 px,
 * 256 px up to 9 px; the ISBI mean shape alone up to 11 px at 256). At 128 px even 6 px leaves a
 * few labels of crowded films to hover.
 */
const FONT: Record<number, number> = { 512: 12, 256: 9, 128: 6 };

function check(points: (Point | null)[], side: number, fontPx = FONT[side]) {
  const radius = RADIUS[side];
  const placed = placeLabels(points, SYMBOLS, { fontPx, width: side, height: side, pointRadius: radius });
  return { placed, bad: violations(points, SYMBOLS, placed, side, fontPx, radius) };
}

describe('landmarkColor', () => {
  it('is stable per index, a CSS hex colour, and distinct for 20 landmarks', () => {
    const cs = Array.from({ length: 40 }, (_, i) => landmarkColor(i));
    for (const c of cs) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    expect(landmarkColor(3)).toBe(cs[3]);
    expect(new Set(cs.slice(0, 20)).size).toBe(20);
    expect(new Set(cs).size).toBe(40);
    // no two of the first 19 are near-identical (RGB distance > 40 of 441)
    for (let i = 0; i < 19; i++)
      for (let j = i + 1; j < 19; j++) {
        const [a, b] = [landmarkRgb(i), landmarkRgb(j)];
        expect(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]), `${i} vs ${j}`).toBeGreaterThan(40);
      }
  });
});

describe('placeLabels', () => {
  it('the naive placement (every label to the right of its point) does overlap on the ISBI mean shape', () => {
    // proves the checks below can fail: UIT/LIT (L1/U1) and Pog/Gn/Me collide when placed naively
    const pts = meanShape(512);
    const f = FONT[512];
    const naive: LabelPlacement[] = pts.map(([x, y], i) => {
      const box = {
        x: x + 6,
        y: y - (f * LABEL_LINE) / 2,
        w: estimateTextWidth(SYMBOLS[i], f),
        h: f * LABEL_LINE,
      };
      return {
        x: box.x,
        y,
        anchor: 'start',
        leader: false,
        leaderFrom: [x, y],
        leaderTo: [box.x, y],
        box,
        hidden: false,
      };
    });
    const bad = violations(pts, SYMBOLS, naive, 512, f, RADIUS[512]);
    expect(bad).toContain('L1 covers the marker of U1');
    expect(bad.some((s) => /Gn|Me|Pog/.test(s))).toBe(true);
  });

  for (const side of [512, 256, 128]) {
    it(`ISBI mean shape at ${side} px, font ${FONT[side]} px: every label placed, none overlapping or covering a marker`, () => {
      for (const pts of [
        meanShape(side),
        letterbox(
          meanShape(1).map(([x, y]) => [x * ISBI_IMAGE.width, y * ISBI_IMAGE.height]),
          ISBI_IMAGE.width,
          ISBI_IMAGE.height,
          side,
        ),
      ]) {
        const { placed, bad } = check(pts, side);
        expect(bad).toEqual([]);
        expect(SYMBOLS.filter((_, i) => placed[i].hidden)).toEqual([]);
      }
    });
  }

  it('at 512 px the labels stay next to their points (few leader lines) with fonts up to 16 px', () => {
    for (const f of [10, 12, 14, 16]) {
      const { placed, bad } = check(meanShape(512), 512, f);
      expect(bad).toEqual([]);
      expect(placed.every((p) => !p.hidden)).toBe(true);
      expect(placed.filter((p) => p.leader).length).toBeLessThanOrEqual(3);
    }
  });

  it('phantom cases and the 10 fixture films (senior landmarks), letterboxed to 512 / 256 / 128 px', () => {
    const shapes: { name: string; pts: Point[]; w: number; h: number }[] = [];
    for (const i of [0, 1, 2, 5, 8]) {
      const c = generatePhantomCase(1, i, { width: 96, height: 120 });
      shapes.push({ name: `phantom ${c.id}`, pts: c.landmarks, w: 96, h: 120 });
    }
    const csv = parseLandmarkCsv(readFileSync(new URL('senior.csv', FIXTURES), 'utf8'), 'senior.csv');
    expect(csv.rows).toHaveLength(10);
    for (const r of csv.rows)
      shapes.push({ name: r.imagePath, pts: r.points, w: ISBI_IMAGE.width, h: ISBI_IMAGE.height });
    let hiddenAt128 = 0;
    for (const s of shapes) {
      for (const side of [512, 256, 128]) {
        const { placed, bad } = check(letterbox(s.pts, s.w, s.h, side), side);
        expect(bad, `${s.name} at ${side} px`).toEqual([]);
        if (side > 128)
          expect(
            placed.filter((p) => p.hidden),
            `${s.name} at ${side} px`,
          ).toEqual([]);
        else hiddenAt128 += placed.filter((p) => p.hidden).length;
      }
    }
    // at 128 px a few crowded films leave a label for hover; most labels are still shown
    expect(hiddenAt128).toBeLessThan(shapes.length * 19 * 0.05);
  });

  it('missing points get a hidden placement; a crowded cluster hides what does not fit, never overlaps', () => {
    const pts: (Point | null)[] = meanShape(256);
    pts[3] = null;
    const { placed, bad } = check(pts, 256);
    expect(bad).toEqual([]);
    expect(placed[3].hidden).toBe(true);
    // 19 points within 6 px of each other in a 40 px image: cannot all be labelled
    const cluster: Point[] = SYMBOLS.map((_, i) => [20 + (i % 4) * 1.5, 20 + Math.floor(i / 4) * 1.5]);
    const r = placeLabels(cluster, SYMBOLS, { fontPx: 10, width: 40, height: 40, pointRadius: 2 });
    expect(r.some((p) => p.hidden)).toBe(true);
    expect(violations(cluster, SYMBOLS, r, 40, 10, 2)).toEqual([]);
  });

  it('is scale-free: a 32 px frame shown at 256 px places labels like the 256 px frame', () => {
    // the overlay places labels in the image's own frame (e.g. a 32 px training image drawn at
    // 256 CSS px): every length scales with the frame, nothing is clamped to one frame pixel
    const big = placeLabels(meanShape(256), SYMBOLS, { fontPx: 12, width: 256, height: 256, pointRadius: 4 });
    const small = placeLabels(meanShape(32), SYMBOLS, {
      fontPx: 1.5,
      width: 32,
      height: 32,
      pointRadius: 0.5,
    });
    small.forEach((p, i) => {
      expect(p.hidden).toBe(big[i].hidden);
      expect(p.anchor).toBe(big[i].anchor);
      expect(p.x * 8).toBeCloseTo(big[i].x, 6);
      expect(p.y * 8).toBeCloseTo(big[i].y, 6);
    });
    expect(
      placeLabels(meanShape(32), SYMBOLS, { fontPx: 0, width: 32, height: 32, pointRadius: 1 }).every(
        (p) => p.hidden,
      ),
    ).toBe(true);
  });

  it('is deterministic and respects a caller-supplied text measure', () => {
    const pts = meanShape(256);
    const a = placeLabels(pts, SYMBOLS, { fontPx: 11, width: 256, height: 256, pointRadius: 3 });
    const b = placeLabels(pts, SYMBOLS, { fontPx: 11, width: 256, height: 256, pointRadius: 3 });
    expect(a).toEqual(b);
    const wide = placeLabels(pts, SYMBOLS, {
      fontPx: 11,
      width: 256,
      height: 256,
      pointRadius: 3,
      measure: (t, f) => t.length * f,
    });
    wide.forEach((p, i) => expect(p.box.w).toBeCloseTo(SYMBOLS[i].length * 11));
  });
});
