/**
 * The fixed evaluation grid (the clinic's `viz_grid_20.png`): for each case of the dataset's fixed
 * evaluation list, photo | real X-ray | prediction | error heat map, with the case id and the
 * case's L1; one or two models (checkpoints or runs) side by side, each with its own prediction
 * and error columns. Rendered into an RgbaImage (no DOM) and encoded as PNG with fast-png.
 *
 * Error heat map: |grey(prediction) − grey(X-ray)| per pixel in 0-255 units (grey = mean of R, G,
 * B), coloured on a FIXED scale 0..`errorMax_255` (default 128) so grids of different checkpoints
 * compare; the colour bar at the bottom states the scale.
 *
 * Landmarks: a case with `landmarks` (its X-ray's pixels) gets them drawn on the X-ray tile and on
 * every prediction tile — a dot per landmark in its colour (core/landmarks/labels.ts) and, where
 * they fit without covering another point or label, the landmark symbols in the pixel font.
 */
import { encode } from 'fast-png';
import type { Point, RgbaImage } from '../image';
import { landmarkRgb, placeLabels } from '../landmarks/labels';
import {
  blit,
  drawLine,
  drawText,
  drawTextFit,
  fillRect,
  heatColor,
  newImage,
  resample,
  strokeRect,
  TEXT_HEIGHT,
  textWidth,
  type Rgb,
} from './raster';

/** The grid's file name for n cases: the clinic's `viz_grid_20.png` names its real count (`viz_grid_5.png`). */
export function gridFileName(n: number): string {
  return `viz_grid_${n}.png`;
}

/** The clinic's file name for the full 20-case list; use gridFileName(cases) for the real count. */
export const GRID_FILE_NAME = gridFileName(20);

export interface GridModelColumn {
  /** Short label drawn in the header, e.g. `A: run-3 best (step 1200)`. */
  label: string;
  /** Prediction per grid case (same order as `cases`); null draws an empty tile. */
  predictions: (RgbaImage | null)[];
  /** Optional per-case L1 on [0,1] drawn on the error tile. */
  l1_01?: (number | null)[];
}

export interface GridCaseInput {
  id: string;
  photo: RgbaImage;
  xray: RgbaImage;
  /** Ground-truth landmarks in the X-ray's pixels, drawn on the X-ray and prediction tiles. */
  landmarks?: readonly (Point | null)[];
}

export interface GridLandmarkOptions {
  /** Draw the cases' landmarks (default true). */
  show?: boolean;
  /** Draw symbols next to the dots where they fit (default true). */
  labels?: boolean;
  /** Landmark symbols in order (default 1, 2, 3, ...). */
  symbols?: readonly string[];
}

export interface GridInput {
  cases: GridCaseInput[];
  /** Landmark drawing (cases without landmarks get none). */
  landmarks?: GridLandmarkOptions;
  /** One or two models. */
  models: GridModelColumn[];
  /** Title line at the top. */
  title?: string;
  /** Tile side in px (default: 2x for images <= 128 px, else min(size, 256)). */
  tilePx?: number;
  /** Upper end of the error colour scale, 0-255 units (default 128). */
  errorMax_255?: number;
  /** Case blocks side by side (default 2 for one model with > 10 cases, else 1). */
  blocks?: number;
}

const BG: Rgb = [255, 255, 255];
const INK: Rgb = [30, 36, 44];
const MUTED: Rgb = [96, 106, 118];
const LINE: Rgb = [210, 216, 222];
const GAP = 4;
const PAD = 10;

/** Per-pixel |grey(a) − grey(b)| in 0-255 units as a heat-map image. Sizes must match. */
export function errorHeatMap(pred: RgbaImage, xray: RgbaImage, errorMax_255 = 128): RgbaImage {
  if (pred.width !== xray.width || pred.height !== xray.height) {
    throw new Error(
      `errorHeatMap: prediction is ${pred.width}x${pred.height} px, X-ray ${xray.width}x${xray.height} px`,
    );
  }
  const out = newImage(pred.width, pred.height);
  const n = pred.width * pred.height;
  for (let i = 0; i < n; i++) {
    const k = i * 4;
    const gp = (pred.data[k] + pred.data[k + 1] + pred.data[k + 2]) / 3;
    const gx = (xray.data[k] + xray.data[k + 1] + xray.data[k + 2]) / 3;
    const c = heatColor(Math.abs(gp - gx) / errorMax_255);
    out.data[k] = c[0];
    out.data[k + 1] = c[1];
    out.data[k + 2] = c[2];
  }
  return out;
}

/** Tiles readable on screen and in the report: small images enlarged (3x below 64 px, 2x to 128 px). */
function defaultTile(size: number): number {
  if (size < 64) return size * 3;
  return size <= 128 ? size * 2 : Math.min(size, 256);
}

function fmtL1(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '' : `L1 ${v.toFixed(3)}`;
}

const HALO: Rgb = [0, 0, 0];

function fillDisc(img: RgbaImage, cx: number, cy: number, r: number, c: Rgb): void {
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(img.width - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(img.height - 1, Math.ceil(cy + r));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > r * r) continue;
      const k = (y * img.width + x) * 4;
      img.data[k] = c[0];
      img.data[k + 1] = c[1];
      img.data[k + 2] = c[2];
      img.data[k + 3] = 255;
    }
  }
}

/** Marker radius (px) of a grid tile of `tile` px. */
export function gridMarkerRadius(tile: number): number {
  return Math.max(2, Math.round(tile / 80));
}

/**
 * Draw landmarks (in a `size`-px X-ray frame) onto a tile image of `tile` px: dark-rimmed dots in
 * the landmark colours, then the symbols placed without overlap (pixel font, dark halo, a leader
 * line when moved); symbols with no room are left out (the dot stays).
 */
export function drawLandmarksOnTile(
  img: RgbaImage,
  points: readonly (Point | null)[],
  size: number,
  opts: { labels: boolean; symbols?: readonly string[] },
): void {
  const s = img.width / size;
  const pts = points.map((p) =>
    p && Number.isFinite(p[0]) && Number.isFinite(p[1]) ? ([p[0] * s, p[1] * s] as Point) : null,
  );
  const r = gridMarkerRadius(img.width);
  if (opts.labels) {
    const texts = pts.map((_, i) => opts.symbols?.[i] ?? String(i + 1));
    // the pixel font is 7 px tall plus 2 px descenders; +2 px for the halo
    const placed = placeLabels(pts, texts, {
      fontPx: (TEXT_HEIGHT + 2) / 1.2,
      width: img.width,
      height: img.height,
      pointRadius: r + 1,
      gap: 1,
      measure: (t) => textWidth(t) + 2,
    });
    placed.forEach((pl, i) => {
      if (pl.hidden || !pts[i]) return;
      const c = landmarkRgb(i);
      if (pl.leader) drawLine(img, pl.leaderFrom[0], pl.leaderFrom[1], pl.leaderTo[0], pl.leaderTo[1], c);
      const x = pl.box.x + 1;
      const y = pl.box.y + 1;
      for (const [dx, dy] of [
        [-1, 0],
        [1, 0],
        [0, -1],
        [0, 1],
      ])
        drawText(img, x + dx, y + dy, texts[i], HALO);
      drawText(img, x, y, texts[i], c);
    });
  }
  pts.forEach((p, i) => {
    if (!p) return;
    fillDisc(img, p[0], p[1], r + 1, HALO);
    fillDisc(img, p[0], p[1], r, landmarkRgb(i));
  });
}

/** Render the grid; see the module comment for the layout. */
export function renderGrid(input: GridInput): RgbaImage {
  const { cases, models } = input;
  if (models.length < 1 || models.length > 2) throw new Error('renderGrid: give one or two models');
  for (const m of models) {
    if (m.predictions.length !== cases.length) {
      throw new Error(
        `renderGrid: model "${m.label}" has ${m.predictions.length} predictions for ${cases.length} cases`,
      );
    }
  }
  const size = cases[0]?.xray.width ?? 64;
  const tile = Math.max(16, Math.round(input.tilePx ?? defaultTile(size)));
  const errorMax = input.errorMax_255 ?? 128;
  const showLandmarks = input.landmarks?.show ?? true;
  const lmOpts = { labels: input.landmarks?.labels ?? true, symbols: input.landmarks?.symbols };
  const blocks = Math.max(1, input.blocks ?? (models.length === 1 && cases.length > 10 ? 2 : 1));
  const rowsPerBlock = Math.max(1, Math.ceil(cases.length / blocks));
  const cols = 2 + 2 * models.length;
  const labelW = Math.max(textWidth('case', 1), ...cases.map((c) => Math.min(textWidth(c.id, 1), 120))) + 10;
  const blockW = labelW + cols * tile + (cols - 1) * GAP;
  const titleH = (input.title ? 2 * TEXT_HEIGHT + 10 : 0) + models.length * (TEXT_HEIGHT + 4) + 4;
  const headerH = TEXT_HEIGHT * 2 + 12;
  const legendH = TEXT_HEIGHT * 2 + 24;
  const width = PAD * 2 + blocks * blockW + (blocks - 1) * 3 * GAP;
  const height = PAD * 2 + titleH + headerH + rowsPerBlock * (tile + GAP) + legendH;
  const img = newImage(width, height, BG);

  if (input.title) drawTextFit(img, PAD, PAD, input.title, INK, width - 2 * PAD, 2);
  // the models' full labels under the title; the columns carry their letters
  const labelsY = PAD + (input.title ? 2 * TEXT_HEIGHT + 10 : 0);
  models.forEach((m, i) => {
    drawTextFit(img, PAD, labelsY + i * (TEXT_HEIGHT + 4), m.label, MUTED, width - 2 * PAD);
  });

  const headers: { text: string; sub: string }[] = [
    { text: 'photo', sub: 'input' },
    { text: 'X-ray', sub: 'target' },
  ];
  models.forEach((m, i) => {
    const letter = String.fromCharCode(65 + i);
    const tag = models.length > 1 ? ` ${letter}` : '';
    headers.push({ text: `prediction${tag}`, sub: `model ${letter}` });
    headers.push({ text: `|error|${tag}`, sub: `0-${errorMax} grey lv` });
  });

  for (let b = 0; b < blocks; b++) {
    const bx = PAD + b * (blockW + 3 * GAP);
    const hy = PAD + titleH;
    drawText(img, bx, hy + 2, 'case', MUTED);
    headers.forEach((h, c) => {
      const x = bx + labelW + c * (tile + GAP);
      drawTextFit(img, x, hy + 2, h.text, INK, tile);
      drawTextFit(img, x, hy + 4 + TEXT_HEIGHT, h.sub, MUTED, tile);
    });
    for (let r = 0; r < rowsPerBlock; r++) {
      const idx = b * rowsPerBlock + r;
      if (idx >= cases.length) break;
      const cs = cases[idx];
      const y = PAD + titleH + headerH + r * (tile + GAP);
      drawTextFit(img, bx, y + Math.floor((tile - TEXT_HEIGHT) / 2), cs.id, INK, labelW - 6);
      const tiles: (RgbaImage | null)[] = [cs.photo, cs.xray];
      const l1s: (number | null | undefined)[] = [undefined, undefined];
      /** Tiles (by column) that get the case's landmarks: the X-ray and each prediction. */
      const marked = new Set<number>([1]);
      for (const m of models) {
        const p = m.predictions[idx];
        marked.add(tiles.length);
        tiles.push(p, p ? errorHeatMap(p, cs.xray, errorMax) : null);
        l1s.push(undefined, m.l1_01?.[idx]);
      }
      const lms = showLandmarks && cs.landmarks && cs.landmarks.length > 0 ? cs.landmarks : null;
      tiles.forEach((t, c) => {
        const x = bx + labelW + c * (tile + GAP);
        if (t) {
          const scaled = resample(t, tile, tile);
          if (lms && marked.has(c)) drawLandmarksOnTile(scaled, lms, t.width, lmOpts);
          blit(img, scaled, x, y);
        }
        if (!t) {
          fillRect(img, x, y, tile, tile, [240, 242, 245]);
          drawTextFit(img, x + 4, y + 4, 'n/a', MUTED, tile - 8);
        }
        strokeRect(img, x - 1, y - 1, tile + 2, tile + 2, LINE);
        const l1 = fmtL1(l1s[c]);
        if (l1 && tile >= 48) {
          const w = textWidth(l1) + 4;
          fillRect(img, x, y + tile - TEXT_HEIGHT - 4, Math.min(w, tile), TEXT_HEIGHT + 4, [0, 0, 0]);
          drawTextFit(img, x + 2, y + tile - TEXT_HEIGHT - 2, l1, [255, 255, 255], tile - 4);
        }
      });
    }
  }

  // colour bar of the error scale
  const ly = height - PAD - legendH + 10;
  const barW = Math.min(256, width - 2 * PAD - 120);
  drawText(img, PAD, ly, '|error|', INK);
  const bx0 = PAD + textWidth('|error| ') + 4;
  for (let i = 0; i < barW; i++) fillRect(img, bx0 + i, ly, 1, 10, heatColor(i / (barW - 1)));
  strokeRect(img, bx0 - 1, ly - 1, barW + 2, 12, LINE);
  drawText(img, bx0, ly + 14, '0', MUTED);
  const maxText = `${errorMax} (grey levels, 0-255 units; L1 on [0,1])`;
  drawText(img, bx0 + barW - textWidth(String(errorMax)), ly + 14, String(errorMax), MUTED);
  drawTextFit(img, bx0 + barW + 10, ly + 2, maxText, MUTED, Math.max(0, width - bx0 - barW - 10 - PAD));
  return img;
}

/** PNG bytes of an RgbaImage (8-bit RGBA, fast-png). */
export function encodePngRgba(img: RgbaImage): Uint8Array {
  return encode({
    width: img.width,
    height: img.height,
    data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength),
    channels: 4,
    depth: 8,
  });
}
