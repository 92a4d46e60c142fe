/**
 * The demo phantom (src/core/data/phantom): determinism, split, sizes, landmark population
 * statistics against ISBI 2015, landmarks lying exactly on the drawn anatomy, planted artefact
 * rates, mirrored X-rays really mirrored, and photo/X-ray agreement along the profile.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  generatePhantomCase,
  generatePhantomDataset,
  phantomMmPerPx,
  phantomSplits,
  type PhantomCase,
  type PhantomDataset,
} from '../../src/core/data/phantom';
import { buildAnatomy } from '../../src/core/data/phantom/anatomy';
import { closestOnPath, dot, sub, type Path, type V2 } from '../../src/core/data/phantom/geometry';
import { depthBehindChord, LM, sampleHead } from '../../src/core/data/phantom/head';
import { ISBI_LANDMARKS } from '../../src/core/data/landmarkSet';
import { Rng } from '../../src/core/rng';
import type { Point, RgbaImage } from '../../src/core/image';

/** Angle a-b-c in degrees. */
function angleDeg(a: Point, b: Point, c: Point): number {
  const u = [a[0] - b[0], a[1] - b[1]];
  const v = [c[0] - b[0], c[1] - b[1]];
  return (
    (Math.acos((u[0] * v[0] + u[1] * v[1]) / Math.hypot(u[0], u[1]) / Math.hypot(v[0], v[1])) * 180) / Math.PI
  );
}

const lum = (img: RgbaImage, x: number, y: number): number => img.data[(y * img.width + x) * 4];
/** Mean grey of a (2r+1)^2 window, clipped to the image. */
function windowMean(img: RgbaImage, cx: number, cy: number, r: number): number {
  let s = 0;
  let n = 0;
  for (let y = Math.floor(cy) - r; y <= Math.floor(cy) + r; y++) {
    for (let x = Math.floor(cx) - r; x <= Math.floor(cx) + r; x++) {
      if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
      s += lum(img, x, y);
      n++;
    }
  }
  return s / n;
}
const clean = (c: PhantomCase): boolean =>
  !c.flags.border && !c.flags.ruler && !c.flags.label && !c.flags.mirrored;

describe('phantom generator', () => {
  it('is deterministic per seed and index, and differs between seeds and indices', () => {
    const a = generatePhantomCase(7, 3, { width: 96, height: 120 });
    const b = generatePhantomCase(7, 3, { width: 96, height: 120 });
    expect(Buffer.from(a.xray.data).equals(Buffer.from(b.xray.data))).toBe(true);
    expect(Buffer.from(a.photo.data).equals(Buffer.from(b.photo.data))).toBe(true);
    expect(a.landmarks).toEqual(b.landmarks);
    expect(a.params).toEqual(b.params);
    const c = generatePhantomCase(8, 3, { width: 96, height: 120 });
    const d = generatePhantomCase(7, 4, { width: 96, height: 120 });
    for (const o of [c, d]) {
      expect(Buffer.from(o.xray.data).equals(Buffer.from(a.xray.data))).toBe(false);
      expect(Buffer.from(o.photo.data).equals(Buffer.from(a.photo.data))).toBe(false);
      expect(o.landmarks).not.toEqual(a.landmarks);
    }
    // a case does not depend on the dataset around it
    const ds = generatePhantomDataset({ n: 5, seed: 7, width: 96, height: 120, valCount: 1 });
    expect(Buffer.from(ds.cases[3].xray.data).equals(Buffer.from(a.xray.data))).toBe(true);
  });

  it('splits deterministically: default 100 cases -> 80 train + 20 val', () => {
    const s1 = phantomSplits(100, 20, 1);
    expect(s1.filter((s) => s === 'val')).toHaveLength(20);
    expect(phantomSplits(100, 20, 1)).toEqual(s1);
    expect(phantomSplits(100, 20, 2)).not.toEqual(s1);
    expect(phantomSplits(10, 0, 1).every((s) => s === 'train')).toBe(true);
  });

  it('generates the default dataset: 100 cases at 256x320, 80 train / 20 val, unique ids', () => {
    const ds = generatePhantomDataset();
    expect(ds.cases).toHaveLength(100);
    expect(ds.width).toBe(256);
    expect(ds.height).toBe(320);
    expect(ds.cases.filter((c) => c.split === 'train')).toHaveLength(80);
    expect(ds.cases.filter((c) => c.split === 'val')).toHaveLength(20);
    expect(ds.cases.map((c) => c.split)).toEqual(phantomSplits(100, 20, ds.seed));
    expect(new Set(ds.cases.map((c) => c.id)).size).toBe(100);
    for (const c of ds.cases) {
      expect(c.xray.width).toBe(256);
      expect(c.photo.height).toBe(320);
      expect(c.landmarks).toHaveLength(19);
      expect(c.mmPerPx).toBeCloseTo(phantomMmPerPx(256, 320), 12);
    }
  }, 60_000);

  it('works at other sizes, square ones too, with landmarks inside the image', () => {
    for (const [w, h] of [
      [64, 80],
      [128, 160],
      [512, 640],
      [256, 256],
      [100, 100],
    ]) {
      const c = generatePhantomCase(3, 1, { width: w, height: h });
      expect([c.xray.width, c.xray.height, c.photo.width, c.photo.height]).toEqual([w, h, w, h]);
      expect(c.xray.data.length).toBe(w * h * 4);
      for (const [x, y] of c.landmarks) {
        expect(x).toBeGreaterThan(0);
        expect(x).toBeLessThan(w);
        expect(y).toBeGreaterThan(0);
        expect(y).toBeLessThan(h);
      }
      // one scale for both axes: S-N in mm is the same whatever the aspect ratio
      const sn =
        Math.hypot(c.landmarks[1][0] - c.landmarks[0][0], c.landmarks[1][1] - c.landmarks[0][1]) * c.mmPerPx;
      expect(sn).toBeGreaterThan(45);
      expect(sn).toBeLessThan(75);
    }
    expect(() => generatePhantomCase(1, 0, { width: 8, height: 8 })).toThrow(/at least 16 px/);
  });
});

describe('phantom population (400 cases at 64x80)', () => {
  let ds: PhantomDataset;
  beforeAll(() => {
    ds = generatePhantomDataset({ n: 400, seed: 11, width: 64, height: 80, valCount: 80 });
  }, 60_000);

  it('plants border / ruler / label on about 15 % and mirrors about 3 % of the X-rays', () => {
    const rate = (k: 'border' | 'ruler' | 'label' | 'mirrored'): number =>
      ds.cases.filter((c) => c.flags[k]).length / ds.cases.length;
    for (const k of ['border', 'ruler', 'label'] as const) {
      expect(rate(k)).toBeGreaterThanOrEqual(0.09);
      expect(rate(k)).toBeLessThanOrEqual(0.21);
    }
    expect(rate('mirrored')).toBeGreaterThanOrEqual(0.01);
    expect(rate('mirrored')).toBeLessThanOrEqual(0.06);
  });

  it('mirrored X-rays really face left (image and landmarks), the others face right', () => {
    const W = 64;
    const H = 80;
    let checked = 0;
    for (const c of ds.cases) {
      const lm = c.landmarks;
      // landmarks: the face (N, Pog) is on the side the flag says
      expect(lm[LM.N][0] > lm[LM.S][0]).toBe(!c.flags.mirrored);
      expect(lm[LM.Pog][0] > lm[LM.Go][0]).toBe(!c.flags.mirrored);
      if (c.flags.border) continue; // a frame hides the edge columns
      // image: in front of the face there is only background (dark); behind, the neck
      let left = 0;
      let right = 0;
      for (let y = Math.round(H * 0.45); y < Math.round(H * 0.8); y++) {
        for (let x = 0; x < 6; x++) {
          left += lum(c.xray, x, y);
          right += lum(c.xray, W - 1 - x, y);
        }
      }
      expect(right < left).toBe(!c.flags.mirrored);
      // the photo is never mirrored
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('has ISBI-like SNA and SNB (means within 2 deg of 83.3 and 80.9)', () => {
    const sna: number[] = [];
    const snb: number[] = [];
    for (const c of ds.cases.slice(0, 200)) {
      sna.push(angleDeg(c.landmarks[LM.S], c.landmarks[LM.N], c.landmarks[LM.A]));
      snb.push(angleDeg(c.landmarks[LM.S], c.landmarks[LM.N], c.landmarks[LM.B]));
    }
    const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
    const sd = (a: number[]): number => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
    expect(Math.abs(mean(sna) - 83.3)).toBeLessThan(2);
    expect(Math.abs(mean(snb) - 80.9)).toBeLessThan(2);
    // a population, not one shape: sd of a few degrees
    expect(sd(sna)).toBeGreaterThan(2);
    expect(sd(sna)).toBeLessThan(5.5);
    expect(sd(snb)).toBeGreaterThan(2);
    expect(sd(snb)).toBeLessThan(5.5);
  });

  it('puts each landmark on average within 1 sd of the ISBI mean (fractions of the film)', () => {
    const W = 64;
    const H = 80;
    const mm = phantomMmPerPx(W, H);
    const offX = (W * mm - 193.5) / 2;
    const offY = (H * mm - 240) / 2;
    const cases = ds.cases.filter((c) => !c.flags.mirrored);
    ISBI_LANDMARKS.forEach((def, k) => {
      let fx = 0;
      let fy = 0;
      for (const c of cases) {
        fx += (c.landmarks[k][0] * mm - offX) / 193.5;
        fy += (c.landmarks[k][1] * mm - offY) / 240;
      }
      fx /= cases.length;
      fy /= cases.length;
      expect(Math.abs(fx - def.x), `${def.id} x`).toBeLessThan(def.sdx);
      expect(Math.abs(fy - def.y), `${def.id} y`).toBeLessThan(def.sdy);
    });
  });

  it('keeps the landmarks in anatomical order', () => {
    for (const c of ds.cases) {
      const m = c.flags.mirrored ? -1 : 1; // +1: anterior is +x
      const L = c.landmarks;
      const ant = (a: number, b: number): boolean => m * (L[a][0] - L[b][0]) > 0; // a anterior of b
      const below = (a: number, b: number): boolean => L[a][1] > L[b][1];
      expect(ant(LM.N, LM.S)).toBe(true);
      expect(ant(LM.ANS, LM.PNS)).toBe(true);
      expect(ant(LM.Or, LM.Po)).toBe(true);
      expect(below(LM.Or, LM.N)).toBe(true);
      expect(below(LM.Me, LM.B)).toBe(true);
      expect(below(LM.Pog, LM.B)).toBe(true);
      expect(below(LM.Go, LM.Ar)).toBe(true);
      expect(ant(LM.Pog, LM.Go)).toBe(true);
      expect(below(LM.A, LM.ANS)).toBe(true);
      expect(below(LM.Li, LM.Ls)).toBe(true);
      expect(below(LM.PogS, LM.Li)).toBe(true);
      expect(ant(LM.Ls, LM.U1)).toBe(true);
      expect(ant(LM.Li, LM.L1)).toBe(true);
      expect(ant(LM.PogS, LM.Pog)).toBe(true);
      expect(ant(LM.Sn, LM.ANS)).toBe(true);
      // Gn on the chin between Pog and Me
      const d = (a: number, b: number): number => Math.hypot(L[a][0] - L[b][0], L[a][1] - L[b][1]);
      expect(d(LM.Gn, LM.Pog)).toBeLessThan(d(LM.Pog, LM.Me));
      expect(d(LM.Gn, LM.Me)).toBeLessThan(d(LM.Pog, LM.Me));
      // incisors in occlusion: tips within 8 mm
      const dIncMm = Math.hypot(L[LM.U1][0] - L[LM.L1][0], L[LM.U1][1] - L[LM.L1][1]) * c.mmPerPx;
      expect(dIncMm).toBeLessThan(8);
    }
  });
});

describe('landmarks lie exactly on the drawn anatomy (head frame, mm)', () => {
  const maxAlong = (paths: Path[], d: V2): number => Math.max(...paths.flat().map((p) => dot(p, d)));
  it('S, N, Or, Po, A, B, Pog, Me, Gn, Go, Ar, ANS, PNS, U1, L1 and the soft-tissue points', () => {
    for (let k = 0; k < 40; k++) {
      const head = sampleHead(new Rng(1000 + k));
      const an = buildAnatomy(head, 0.25, new Rng(k));
      const L = head.lm;
      const on = (p: V2, path: Path, tol = 0.05): void => {
        expect(closestOnPath(path, p).distance).toBeLessThan(tol);
      };
      // S: centre of the sella's circular floor (radius r..1.05 r)
      const r = head.params.sellaRadiusMm;
      for (const p of an.sellaFloor) {
        const d = Math.hypot(p[0] - L[LM.S][0], p[1] - L[LM.S][1]);
        expect(d).toBeGreaterThan(r - 1e-6);
        expect(d).toBeLessThan(1.05 * r + 1e-6);
      }
      // N: start of the frontal contour and of the nasal bone
      expect(an.vaultOuter[0]).toEqual(L[LM.N]);
      expect(an.nasalBone[0]).toEqual(L[LM.N]);
      // Or: lowest point of the orbit; Po: top of the meatus
      expect(Math.max(...an.orbit.map((p) => p[1]))).toBeCloseTo(L[LM.Or][1], 2);
      expect(Math.min(...an.meatus.map((p) => p[1]))).toBeCloseTo(L[LM.Po][1], 2);
      // chin: Pog most anterior and Me lowest in the symphysis frame, Gn on the contour between
      const chinPaths = [
        an.symphysisLabial.filter((p) => dot(sub(p, L[LM.B]), head.chinD) >= 0),
        an.mandible,
      ];
      expect(maxAlong([chinPaths[0]], head.chinA)).toBeCloseTo(dot(L[LM.Pog], head.chinA), 2);
      expect(maxAlong([an.mandible], head.chinD)).toBeCloseTo(dot(L[LM.Me], head.chinD), 2);
      on(L[LM.Pog], an.mandible);
      on(L[LM.Me], an.mandible);
      on(L[LM.Gn], an.mandible);
      // B: deepest point of the symphysis' anterior contour behind the chord Id-Pog
      const depthB = depthBehindChord(L[LM.B], head.id, L[LM.Pog]);
      expect(depthB).toBeGreaterThan(0.5);
      for (const p of an.symphysisLabial)
        expect(depthBehindChord(p, head.id, L[LM.Pog])).toBeLessThan(depthB + 0.02);
      on(L[LM.B], an.symphysisLabial);
      // A: deepest point of the anterior maxilla behind the chord ANS-prosthion
      const depthA = depthBehindChord(L[LM.A], L[LM.ANS], head.pr);
      expect(depthA).toBeGreaterThan(0.5);
      const front = an.palate.filter(
        (p) => p[1] >= L[LM.ANS][1] && p[1] <= head.pr[1] && p[0] > L[LM.A][0] - 3,
      );
      for (const p of front) expect(depthBehindChord(p, L[LM.ANS], head.pr)).toBeLessThan(depthA + 0.02);
      on(L[LM.A], an.palate);
      // ANS / PNS: the tips of the palate along the palatal line (ANS: of the spine, above A)
      const pal = sub(L[LM.ANS], L[LM.PNS]);
      expect(maxAlong([an.palate.filter((p) => p[1] <= L[LM.A][1])], pal)).toBeCloseTo(
        dot(L[LM.ANS], pal),
        1,
      );
      expect(-maxAlong([an.palate], [-pal[0], -pal[1]])).toBeCloseTo(dot(L[LM.PNS], pal), 1);
      // Go on the gonial fillet, on the bisector between the two tangents
      on(L[LM.Go], an.mandible, 0.1);
      const f = an.gonialFillet;
      expect(Math.hypot(L[LM.Go][0] - f.centre[0], L[LM.Go][1] - f.centre[1])).toBeCloseTo(f.radius, 3);
      // Ar on the ramus' posterior border and on the basi-occiput's inferior contour
      on(L[LM.Ar], an.ramusBorder);
      on(L[LM.Ar], an.clivusEdge);
      // incisal tips: on their teeth, the extreme point along the tooth axis
      for (const [tip, t] of [
        [L[LM.U1], an.teeth[0]],
        [L[LM.L1], an.teeth[1]],
      ] as const) {
        on(tip, t.outline);
        expect(Math.min(...t.outline.map((p) => dot(p, t.axis)))).toBeCloseTo(dot(tip, t.axis), 2);
      }
      // soft tissue: on the head outline; Ls, Li, PogS the most anterior points nearby
      for (const i of [LM.Sn, LM.Ls, LM.Li, LM.PogS]) on(L[i], an.head);
      for (const i of [LM.Ls, LM.Li, LM.PogS]) {
        const near = an.profile.filter((p) => Math.abs(p[1] - L[i][1]) < 2.5);
        expect(Math.max(...near.map((p) => p[0]))).toBeCloseTo(L[i][0], 2);
      }
    }
  });
});

describe('phantom images', () => {
  let cases: PhantomCase[];
  beforeAll(() => {
    cases = [];
    for (let i = 0; cases.length < 6; i++) {
      const c = generatePhantomCase(5, i);
      if (clean(c)) cases.push(c);
    }
  }, 60_000);

  it('shows bone brighter than the background at S, N and the mandible', () => {
    for (const c of cases) {
      const L = c.landmarks;
      const bg = windowMean(c.xray, c.xray.width - 8, 8, 4);
      const r = 2;
      expect(windowMean(c.xray, L[LM.S][0], L[LM.S][1], r)).toBeGreaterThan(bg + 80);
      expect(windowMean(c.xray, L[LM.N][0] - 2, L[LM.N][1] - 3, r)).toBeGreaterThan(bg + 60);
      // the mandible's lower border between Go and Me, a little inside
      const mx = (L[LM.Go][0] + L[LM.Me][0]) / 2;
      const my = (L[LM.Go][1] + L[LM.Me][1]) / 2 - 2;
      expect(windowMean(c.xray, mx, my, 1)).toBeGreaterThan(bg + 60);
      // and the soft tissue is visible but darker than bone
      const soft = windowMean(c.xray, L[LM.Ls][0] - 4, L[LM.Ls][1], 1);
      expect(soft).toBeGreaterThan(bg + 15);
      expect(soft).toBeLessThan(windowMean(c.xray, L[LM.S][0], L[LM.S][1], r));
    }
  });

  it('paints a photo whose background differs from the skin', () => {
    for (const c of cases) {
      const L = c.landmarks;
      const at = (x: number, y: number): number[] => {
        const i = (Math.floor(y) * c.photo.width + Math.floor(x)) * 4;
        return [c.photo.data[i], c.photo.data[i + 1], c.photo.data[i + 2]];
      };
      const bg = at(c.photo.width - 3, L[LM.Li][1]);
      const skin = at(L[LM.Sn][0] - 15, L[LM.Sn][1] + 8); // upper-lip / cheek skin
      expect(Math.hypot(bg[0] - skin[0], bg[1] - skin[1], bg[2] - skin[2])).toBeGreaterThan(40);
    }
  });

  it('aligns the photo silhouette with the X-ray soft-tissue profile (within 3 px)', () => {
    for (const c of cases) {
      const W = c.photo.width;
      const L = c.landmarks;
      for (const k of [LM.Sn, LM.Ls, LM.Li, LM.PogS]) {
        for (const dy of [-2, 0, 2]) {
          const y = Math.round(L[k][1]) + dy;
          // photo: rightmost pixel clearly different from the background at the row's end
          const i0 = (y * W + W - 2) * 4;
          const bg = [c.photo.data[i0], c.photo.data[i0 + 1], c.photo.data[i0 + 2]];
          let xp = -1;
          for (let x = W - 3; x >= 0; x--) {
            const i = (y * W + x) * 4;
            const d = Math.hypot(
              c.photo.data[i] - bg[0],
              c.photo.data[i + 1] - bg[1],
              c.photo.data[i + 2] - bg[2],
            );
            if (d > 30) {
              xp = x;
              break;
            }
          }
          // X-ray: rightmost pixel clearly brighter than the background (3-px means: film noise)
          const bgx = windowMean(c.xray, W - 6, y, 2);
          const row3 = (x: number): number =>
            (lum(c.xray, x - 1, y) + lum(c.xray, x, y) + lum(c.xray, x + 1, y)) / 3;
          let xx = -1;
          for (let x = W - 4; x >= 1; x--) {
            if (row3(x) > bgx + 25) {
              xx = x;
              break;
            }
          }
          expect(xp).toBeGreaterThan(W / 2);
          expect(Math.abs(xp - xx)).toBeLessThanOrEqual(3);
          if (dy === 0 && k !== LM.Sn) expect(Math.abs(xp + 0.5 - L[k][0])).toBeLessThanOrEqual(3);
        }
      }
    }
  });
});
