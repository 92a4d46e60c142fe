/**
 * Static line charts for the review report (`curves.png`): a few panels, each with its axes, tick
 * labels, series with markers, an optional reference line (a threshold) and a legend. Drawn on
 * an RgbaImage with raster.ts, so the report's figures come out the same in the page and in Node.
 */
import type { RgbaImage } from '../image';
import {
  drawLine,
  drawText,
  drawTextFit,
  fillRect,
  newImage,
  strokeRect,
  TEXT_HEIGHT,
  textWidth,
  type Rgb,
} from './raster';

export interface CurveSeries {
  label: string;
  color: Rgb;
  /** [x, y] points; non-finite y values are gaps. */
  points: readonly (readonly [number, number | null])[];
  dashed?: boolean;
}

export interface CurvePanel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: CurveSeries[];
  /** A horizontal reference (e.g. the gate's threshold). */
  reference?: { y: number; label: string };
}

export const SERIES_COLORS: readonly Rgb[] = [
  [217, 95, 2],
  [29, 106, 134],
  [117, 112, 179],
  [27, 158, 119],
  [231, 41, 138],
];

/** "Nice" tick values covering [lo, hi] (about `n` of them). */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= d;
    hi += d;
  }
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function tickText(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

const INK: Rgb = [30, 36, 44];
const MUTED: Rgb = [96, 106, 118];
const GRID: Rgb = [230, 235, 240];

/** Draw one panel into `img` at (x0, y0) with size w x h. */
export function drawPanel(
  img: RgbaImage,
  panel: CurvePanel,
  x0: number,
  y0: number,
  w: number,
  h: number,
): void {
  strokeRect(img, x0, y0, w, h, [210, 216, 222]);
  drawTextFit(img, x0 + 8, y0 + 6, panel.title, INK, w - 16);
  const pts = panel.series.flatMap((s) =>
    s.points.filter(
      (p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]) && Number.isFinite(p[0]),
    ),
  );
  const left = x0 + 58;
  const right = x0 + w - 12;
  const legendRows = Math.ceil(panel.series.length / 2);
  // title, legend rows, then the y-axis label line above the plot area
  const top = y0 + 22 + legendRows * (TEXT_HEIGHT + 4) + TEXT_HEIGHT + 8;
  const bottom = y0 + h - 34;
  if (pts.length === 0) {
    drawText(img, left, (top + bottom) / 2, 'no data yet', MUTED);
    return;
  }
  let xlo = Math.min(...pts.map((p) => p[0]));
  let xhi = Math.max(...pts.map((p) => p[0]));
  let ylo = Math.min(...pts.map((p) => p[1]));
  let yhi = Math.max(...pts.map((p) => p[1]));
  if (panel.reference && Number.isFinite(panel.reference.y)) {
    ylo = Math.min(ylo, panel.reference.y);
    yhi = Math.max(yhi, panel.reference.y);
  }
  if (xhi === xlo) {
    xlo -= 1;
    xhi += 1;
  }
  const pad = (yhi - ylo) * 0.08 || Math.abs(yhi) * 0.1 || 1;
  ylo -= pad;
  yhi += pad;
  const yt = niceTicks(ylo, yhi, 4);
  ylo = Math.min(ylo, yt[0] ?? ylo);
  yhi = Math.max(yhi, yt[yt.length - 1] ?? yhi);
  const sx = (x: number): number => left + ((x - xlo) / (xhi - xlo)) * (right - left);
  const sy = (y: number): number => bottom - ((y - ylo) / (yhi - ylo)) * (bottom - top);
  for (const t of yt) {
    const y = Math.round(sy(t));
    drawLine(img, left, y, right, y, GRID);
    const s = tickText(t);
    drawText(img, left - 6 - textWidth(s), y - 3, s, MUTED);
  }
  for (const t of niceTicks(xlo, xhi, 5)) {
    const x = Math.round(sx(t));
    drawLine(img, x, top, x, bottom, GRID);
    const s = tickText(t);
    drawText(img, x - textWidth(s) / 2, bottom + 5, s, MUTED);
  }
  drawLine(img, left, bottom, right, bottom, MUTED);
  drawLine(img, left, top, left, bottom, MUTED);
  drawTextFit(
    img,
    (left + right) / 2 - textWidth(panel.xLabel) / 2,
    bottom + 17,
    panel.xLabel,
    MUTED,
    right - left,
  );
  drawTextFit(img, x0 + 6, top - TEXT_HEIGHT - 4, panel.yLabel, MUTED, w - 12);
  const ref = panel.reference && Number.isFinite(panel.reference.y) ? panel.reference : null;
  const refY = ref ? Math.round(sy(ref.y)) : 0;
  if (ref) drawLine(img, left, refY, right, refY, [200, 40, 40], 1, [6, 4]);
  panel.series.forEach((s, i) => {
    let prev: [number, number] | null = null;
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y) || !Number.isFinite(x)) {
        prev = null;
        continue;
      }
      const p: [number, number] = [sx(x), sy(y)];
      if (prev) drawLine(img, prev[0], prev[1], p[0], p[1], s.color, 2, s.dashed ? [5, 4] : undefined);
      fillRect(img, p[0] - 2, p[1] - 2, 5, 5, s.color);
      prev = p;
    }
    // legend: two per line
    const lx = x0 + 8 + (i % 2) * Math.floor((w - 16) / 2);
    const ly = y0 + 20 + Math.floor(i / 2) * (TEXT_HEIGHT + 4);
    fillRect(img, lx, ly + 2, 10, 3, s.color);
    drawTextFit(img, lx + 14, ly, s.label, INK, Math.floor((w - 16) / 2) - 18);
  });
  // the reference's label last, on white, above its line (below when there is no room)
  if (ref) {
    const lw = Math.min(textWidth(ref.label), right - left);
    const ly = refY - TEXT_HEIGHT - 3 < top ? refY + 3 : refY - TEXT_HEIGHT - 3;
    fillRect(img, right - lw - 4, ly - 1, lw + 4, TEXT_HEIGHT + 2, [255, 255, 255]);
    drawTextFit(img, right - lw - 2, ly, ref.label, [200, 40, 40], right - left);
  }
}

/** Panels in a grid of `columns` (default 2), each `panelW` x `panelH` px. */
export function renderCurves(
  panels: readonly CurvePanel[],
  opts: { columns?: number; panelW?: number; panelH?: number; title?: string } = {},
): RgbaImage {
  const columns = Math.max(1, opts.columns ?? 2);
  const pw = opts.panelW ?? 520;
  const ph = opts.panelH ?? 280;
  const rows = Math.max(1, Math.ceil(panels.length / columns));
  const titleH = opts.title ? 2 * TEXT_HEIGHT + 12 : 0;
  const img = newImage(columns * pw + (columns + 1) * 10, titleH + rows * ph + (rows + 1) * 10);
  if (opts.title) drawTextFit(img, 10, 10, opts.title, INK, img.width - 20, 2);
  panels.forEach((p, i) => {
    const c = i % columns;
    const r = Math.floor(i / columns);
    drawPanel(img, p, 10 + c * (pw + 10), titleH + 10 + r * (ph + 10), pw, ph);
  });
  return img;
}
