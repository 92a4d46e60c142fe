/**
 * Landmark colours and collision-free label placement (TF.js-free, no DOM).
 *
 * `placeLabels` puts one short text (a landmark symbol) next to each point so that no two label
 * boxes overlap, no label box covers any landmark point (its own included) and every box stays
 * inside the image. Greedy and deterministic: the most crowded points choose first; each tries 8
 * directions (right, left, the diagonals, above, below) at the nearest ring around its marker,
 * then at rings further out. A label that had to leave the first ring gets a leader line back to
 * its point (and the leader may cross no other point and no other label). A label with no free
 * place within `maxDistance` is marked `hidden`: the overlay then shows it on hover only.
 *
 * Coordinates are those of the frame the caller draws in (screen px of the overlay, or image px),
 * continuous, x right, y down. `y` of a placement is the vertical centre of the text (SVG
 * `dominant-baseline: central`).
 */
import type { Point } from '../image';

export type Rgb = readonly [number, number, number];

/**
 * 20 colours that stay distinct from each other on a grey X-ray (bright enough on black, dark
 * enough halo-free on white); after that golden-angle hues.
 */
const PALETTE: readonly Rgb[] = [
  [255, 77, 77], // red
  [60, 220, 90], // green
  [255, 225, 25], // yellow
  [90, 140, 255], // blue
  [255, 140, 40], // orange
  [200, 110, 255], // purple
  [70, 240, 240], // cyan
  [255, 80, 230], // magenta
  [190, 246, 12], // lime
  [255, 170, 170], // pink
  [30, 200, 180], // teal
  [230, 190, 255], // lavender
  [215, 150, 70], // brown
  [255, 250, 200], // beige
  [0, 190, 255], // azure
  [150, 255, 190], // mint
  [200, 200, 60], // olive
  [255, 216, 177], // apricot
  [127, 178, 255], // sky
  [255, 255, 255], // white
];

function hslToRgb(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** RGB of landmark `i` (0-based), stable per index. */
export function landmarkRgb(i: number): Rgb {
  const k = Math.max(0, Math.floor(i));
  if (k < PALETTE.length) return PALETTE[k];
  return hslToRgb((k * 137.508) % 360, 0.85, k % 2 ? 0.62 : 0.72);
}

/** CSS colour (`#rrggbb`) of landmark `i` (0-based), stable per index, distinct for the first 20. */
export function landmarkColor(i: number): string {
  return (
    '#' +
    landmarkRgb(i)
      .map((c) => c.toString(16).padStart(2, '0'))
      .join('')
  );
}

export interface LabelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LabelPlacement {
  /** Text anchor x (SVG `text-anchor` = `anchor`). */
  x: number;
  /** Vertical centre of the text (SVG `dominant-baseline: central`). */
  y: number;
  anchor: 'start' | 'end' | 'middle';
  /** The label left the first ring around its point: draw a line from the point to `leaderTo`. */
  leader: boolean;
  /** Start of the leader line: the marker's edge towards the label. */
  leaderFrom: Point;
  /** End of the leader line on the label box (the box point nearest the landmark). */
  leaderTo: Point;
  /** The label's box (what the no-overlap rules apply to). */
  box: LabelBox;
  /** No free place (or the point is missing): show on hover only. */
  hidden: boolean;
}

export interface PlaceLabelsOptions {
  /** Font size in the frame's px. */
  fontPx: number;
  width: number;
  height: number;
  /** Radius of a landmark marker in the frame's px; labels keep clear of every marker. */
  pointRadius: number;
  /** Text width in the frame's px (e.g. canvas measureText); default an estimate per character. */
  measure?: (text: string, fontPx: number) => number;
  /** Clearance between labels, markers and leaders (default fontPx / 6; all sizes scale with the frame). */
  gap?: number;
  /** Furthest a label may move from its marker edge (default 5 × fontPx). */
  maxDistance?: number;
}

/**
 * Width estimate of `text` at `fontPx` for a semibold sans-serif (a little generous, so the
 * boxes the placement reserves contain the drawn text): CJK 1 em, capitals and digits 0.7 em,
 * lower case 0.58 em, others 0.45 em.
 */
export function estimateTextWidth(text: string, fontPx: number): number {
  let em = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (c >= 0x2e80) em += 1;
    else if (/[A-Z0-9]/.test(ch)) em += 0.7;
    else if (/[a-z]/.test(ch)) em += ch === 'i' || ch === 'l' || ch === 'j' ? 0.32 : 0.58;
    else em += 0.45;
  }
  return em * fontPx;
}

/** Line height of a label box as a multiple of the font size. */
export const LABEL_LINE = 1.2;

// 8 directions in order of preference: right, left, up-right, down-right, up-left, down-left, up,
// down; then the side positions slid along the marker (a box beside the point, shifted up or down
// by a third of its height; above or below, shifted left or right by a third of its width).
const D = Math.SQRT1_2;
const DIRECTIONS: readonly [ux: number, uy: number, slide: number][] = [
  [1, 0, 0],
  [-1, 0, 0],
  [D, -D, 0],
  [D, D, 0],
  [-D, -D, 0],
  [-D, D, 0],
  [0, -1, 0],
  [0, 1, 0],
  [1, 0, -1 / 3],
  [1, 0, 1 / 3],
  [-1, 0, -1 / 3],
  [-1, 0, 1 / 3],
  [0, -1, 1 / 3],
  [0, -1, -1 / 3],
  [0, 1, 1 / 3],
  [0, 1, -1 / 3],
];

function boxesOverlap(a: LabelBox, b: LabelBox, gap: number): boolean {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}

/** Distance from point (px, py) to the box (0 inside). */
function distToBox(px: number, py: number, b: LabelBox): number {
  const dx = Math.max(b.x - px, 0, px - (b.x + b.w));
  const dy = Math.max(b.y - py, 0, py - (b.y + b.h));
  return Math.hypot(dx, dy);
}

function nearestOnBox(px: number, py: number, b: LabelBox): Point {
  return [Math.max(b.x, Math.min(px, b.x + b.w)), Math.max(b.y, Math.min(py, b.y + b.h))];
}

/** Distance from point p to segment a-b. */
function distToSegment(p: Point, a: Point, b: Point): number {
  const vx = b[0] - a[0];
  const vy = b[1] - a[1];
  const l2 = vx * vx + vy * vy;
  const t = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * vx + (p[1] - a[1]) * vy) / l2));
  return Math.hypot(p[0] - a[0] - t * vx, p[1] - a[1] - t * vy);
}

/** Does segment a-b come within `gap` of the box? (sampled finely enough for label sizes) */
function segmentHitsBox(a: Point, b: Point, box: LabelBox, gap: number): boolean {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  const n = Math.max(2, Math.ceil(len / Math.max(0.5, gap)));
  for (let k = 0; k <= n; k++) {
    const t = k / n;
    if (distToBox(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, box) < gap) return true;
  }
  return false;
}

function isPoint(p: Point | null | undefined): p is Point {
  return !!p && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

/** Greedy passes tried at most (each moves the labels left without a place to the front). */
const PASSES = 6;

/**
 * Place one label per point; see the module comment. Same inputs, same output. When a greedy pass
 * leaves labels without a place, the next pass lets those choose first; the best pass wins
 * (fewest hidden labels, then fewest leader lines, then the earliest).
 */
export function placeLabels(
  points: readonly (Point | null)[],
  texts: readonly string[],
  opts: PlaceLabelsOptions,
): LabelPlacement[] {
  const present = points.map(isPoint);
  if (!(opts.fontPx > 0) || !Number.isFinite(opts.fontPx)) {
    // nothing sensible to place: every label on hover
    return greedyPass(points, present, texts, { ...opts, fontPx: 1 }, []);
  }
  const near = 3 * opts.fontPx;
  const crowd = points.map((p, i) =>
    present[i]
      ? points.filter((q, j) => j !== i && present[j] && Math.hypot(q![0] - p![0], q![1] - p![1]) < near)
          .length
      : -1,
  );
  // the most crowded points choose first (ties: index order)
  let order = points
    .map((_, i) => i)
    .filter((i) => present[i])
    .sort((a, b) => crowd[b] - crowd[a] || a - b);
  let best: LabelPlacement[] | null = null;
  let bestScore = Infinity;
  for (let pass = 0; pass < PASSES; pass++) {
    const out = greedyPass(points, present, texts, opts, order);
    const hidden = order.filter((i) => out[i].hidden);
    const score = hidden.length * 1000 + out.filter((p) => p.leader).length;
    if (score < bestScore) {
      best = out;
      bestScore = score;
    }
    if (hidden.length === 0) break;
    const set = new Set(hidden);
    order = [...hidden, ...order.filter((i) => !set.has(i))];
  }
  return best ?? greedyPass(points, present, texts, opts, order);
}

function greedyPass(
  points: readonly (Point | null)[],
  present: readonly boolean[],
  texts: readonly string[],
  opts: PlaceLabelsOptions,
  order: readonly number[],
): LabelPlacement[] {
  const { fontPx, width, height, pointRadius } = opts;
  const measure = opts.measure ?? estimateTextWidth;
  const gap = opts.gap ?? fontPx / 6;
  const maxDistance = opts.maxDistance ?? 5 * fontPx;
  const h = fontPx * LABEL_LINE;
  const out: LabelPlacement[] = points.map((p) => ({
    x: p?.[0] ?? 0,
    y: p?.[1] ?? 0,
    anchor: 'start',
    leader: false,
    leaderFrom: [p?.[0] ?? 0, p?.[1] ?? 0],
    leaderTo: [p?.[0] ?? 0, p?.[1] ?? 0],
    box: { x: p?.[0] ?? 0, y: p?.[1] ?? 0, w: 0, h: 0 },
    hidden: true,
  }));

  const placedBoxes: LabelBox[] = [];
  const leaders: [Point, Point][] = [];
  const first = pointRadius + gap;
  const step = fontPx * 0.5;

  const free = (i: number, box: LabelBox, leader: [Point, Point] | null): boolean => {
    if (box.x < 0 || box.y < 0 || box.x + box.w > width || box.y + box.h > height) return false;
    for (let j = 0; j < points.length; j++) {
      if (!present[j]) continue;
      const q = points[j]!;
      if (distToBox(q[0], q[1], box) < pointRadius + gap) return false;
      if (leader && j !== i && distToSegment(q, leader[0], leader[1]) < pointRadius + gap / 2) return false;
    }
    for (const b of placedBoxes) {
      if (boxesOverlap(box, b, gap)) return false;
      if (leader && segmentHitsBox(leader[0], leader[1], b, gap / 2)) return false;
    }
    for (const [a, b] of leaders) if (segmentHitsBox(a, b, box, gap / 2)) return false;
    return true;
  };

  for (const i of order) {
    const p = points[i]!;
    const text = texts[i] ?? String(i + 1);
    const w = measure(text, fontPx);
    let done = false;
    for (let d = first; d <= first + maxDistance + 1e-9 && !done; d += step) {
      for (const [ux, uy, slide] of DIRECTIONS) {
        const ax = p[0] + ux * d;
        const ay = p[1] + uy * d;
        const bx = (ux > 0.3 ? ax : ux < -0.3 ? ax - w : ax - w / 2) + (uy !== 0 ? slide * w : 0);
        const by = (uy > 0.3 ? ay : uy < -0.3 ? ay - h : ay - h / 2) + (ux !== 0 ? slide * h : 0);
        const box = { x: bx, y: by, w, h };
        const moved = d > first + 1e-9;
        const to = nearestOnBox(p[0], p[1], box);
        // a leader starts at the marker's edge
        const len = Math.hypot(to[0] - p[0], to[1] - p[1]);
        const from: Point =
          len > 0
            ? [p[0] + ((to[0] - p[0]) / len) * pointRadius, p[1] + ((to[1] - p[1]) / len) * pointRadius]
            : p;
        if (!free(i, box, moved ? [from, to] : null)) continue;
        const anchor = ux > 0.3 ? 'start' : ux < -0.3 ? 'end' : 'middle';
        out[i] = {
          x: anchor === 'start' ? bx : anchor === 'end' ? bx + w : bx + w / 2,
          y: by + h / 2,
          anchor,
          leader: moved,
          leaderFrom: from,
          leaderTo: to,
          box,
          hidden: false,
        };
        placedBoxes.push(box);
        if (moved) leaders.push([from, to]);
        done = true;
        break;
      }
    }
  }
  return out;
}
