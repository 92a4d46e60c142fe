/**
 * The evaluation grid and the report's curves as pixels: tiles are exact copies of the images,
 * the error tile is the heat colour of |grey(prediction) − grey(X-ray)| on the fixed 0–128 scale,
 * PNG round trip through fast-png, resampling and the pixel font.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import type { RgbaImage } from '../../src/core/image';
import { niceTicks, renderCurves } from '../../src/core/eval/curves';
import { ISBI_LANDMARKS } from '../../src/core/data/landmarkSet';
import {
  drawLandmarksOnTile,
  encodePngRgba,
  errorHeatMap,
  gridMarkerRadius,
  renderGrid,
} from '../../src/core/eval/grid';
import type { Point } from '../../src/core/image';
import { landmarkRgb } from '../../src/core/landmarks/labels';
import { drawText, heatColor, newImage, resample, TEXT_HEIGHT, textWidth } from '../../src/core/eval/raster';

function solid(w: number, h: number, rgb: [number, number, number]): RgbaImage {
  return newImage(w, h, rgb);
}

function countColor(img: RgbaImage, rgb: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    if (img.data[i] === rgb[0] && img.data[i + 1] === rgb[1] && img.data[i + 2] === rgb[2]) n++;
  }
  return n;
}

describe('heat map and resampling', () => {
  it('colours |grey difference| on the fixed 0..128 scale', () => {
    expect(heatColor(0)).toEqual([0, 0, 4]);
    expect(heatColor(0.5)).toEqual([188, 55, 84]);
    expect(heatColor(1)).toEqual([252, 255, 164]);
    expect(heatColor(2)).toEqual([252, 255, 164]);
    // 0.125 is halfway between the stops 0 and 0.25
    expect(heatColor(0.125)).toEqual([44, 8, 57]);
    const pred = solid(2, 1, [200, 200, 200]);
    pred.data.set([10, 20, 30, 255], 4); // grey 20
    const xray = solid(2, 1, [72, 72, 72]);
    const h = errorHeatMap(pred, xray, 128);
    expect(Array.from(h.data.subarray(0, 3))).toEqual([252, 255, 164]); // |200 - 72| = 128
    expect(Array.from(h.data.subarray(4, 7))).toEqual([...heatColor(52 / 128)]); // |20 - 72| = 52
    expect(() => errorHeatMap(pred, solid(3, 1, [0, 0, 0]))).toThrow(/2x1 px, X-ray 3x1/);
  });

  it('box-averages when shrinking and repeats pixels when enlarging', () => {
    const src = newImage(4, 2);
    const greys = [0, 10, 20, 30, 40, 50, 60, 70];
    greys.forEach((g, i) => src.data.set([g, g, g, 255], i * 4));
    const small = resample(src, 2, 1);
    // (0 + 10 + 40 + 50) / 4 = 25 ; (20 + 30 + 60 + 70) / 4 = 45
    expect([small.data[0], small.data[4]]).toEqual([25, 45]);
    const big = resample(small, 4, 2);
    expect(Array.from({ length: 8 }, (_, i) => big.data[i * 4])).toEqual([25, 25, 45, 45, 25, 25, 45, 45]);
  });
});

describe('renderGrid (viz_grid_20)', () => {
  const cases = [0, 1, 2, 3].map((i) => ({
    id: `case_${i}`,
    photo: solid(16, 16, [10 + 40 * i, 200, 50]),
    xray: solid(16, 16, [72, 72, 72]),
  }));
  const predA = [0, 1, 2, 3].map(
    (i) => solid(16, 16, [72 + 32 * i, 72 + 32 * i, 72 + 32 * i]) as RgbaImage | null,
  );

  it('one model: photo | X-ray | prediction | error tiles are exact at the tile size', () => {
    const img = renderGrid({
      cases,
      models: [{ label: 'A', predictions: predA }],
      tilePx: 32,
      title: 'viz_grid_20',
    });
    for (let i = 0; i < 4; i++) {
      expect(countColor(img, [10 + 40 * i, 200, 50])).toBe(32 * 32);
      // error |72 + 32 i - 72| = 32 i -> heat colour of 32 i / 128 (i = 0 shares black with nothing else)
      expect(countColor(img, heatColor((32 * i) / 128))).toBeGreaterThanOrEqual(32 * 32);
    }
    // the X-ray tile of each case plus the prediction of case 0 (same grey)
    expect(countColor(img, [72, 72, 72])).toBe(5 * 32 * 32);
    // one column block for 4 cases
    expect(img.height).toBeGreaterThan(4 * 32);
    expect(img.width).toBeLessThan(2 * 4 * 32 + 200);
  });

  it('two models side by side, a missing prediction drawn empty, and a PNG that decodes to the same pixels', () => {
    const predB = [...predA].reverse();
    predB[1] = null;
    const img = renderGrid({
      cases,
      models: [
        { label: 'A: best', predictions: predA, l1_01: [0, 0.0627, 0.1255, 0.1882] },
        { label: 'B: last', predictions: predB },
      ],
      tilePx: 48,
    });
    // 6 columns: each photo once, X-ray tiles 4 + grey-72 predictions (A case 0, B case 3)
    for (let i = 0; i < 4; i++) expect(countColor(img, [10 + 40 * i, 200, 50])).toBe(48 * 48);
    expect(countColor(img, [72, 72, 72])).toBe(6 * 48 * 48);
    expect(countColor(img, [240, 242, 245])).toBe(2 * 48 * 48 - 2 * textPixels('n/a'));
    const png = encodePngRgba(img);
    expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const back = decode(png);
    expect([back.width, back.height, back.channels, back.depth]).toEqual([img.width, img.height, 4, 8]);
    expect(Buffer.from(back.data as Uint8Array).equals(Buffer.from(img.data))).toBe(true);
    expect(() => renderGrid({ cases, models: [{ label: 'x', predictions: predA.slice(1) }] })).toThrow(
      /3 predictions for 4 cases/,
    );
  });
});

describe('landmarks on the grid', () => {
  const SIZE = 64;
  const TILE = 128;
  /** The ISBI mean shape letterboxed into a 64 px X-ray frame. */
  const shape: Point[] = ISBI_LANDMARKS.map((l) => [
    SIZE / 2 + (l.x - 0.5) * SIZE * (1935 / 2400),
    l.y * SIZE,
  ]);
  const grey = (v: number) => solid(SIZE, SIZE, [v, v, v]);
  const cases = [0, 1].map((i) => ({
    id: `c${i}`,
    photo: solid(SIZE, SIZE, [20 + i, 160, 90]),
    xray: grey(80),
    landmarks: shape,
  }));
  const preds = [grey(120), grey(120)];

  /** Pixels of each landmark colour inside one tile of the grid (x0, y0 its top-left). */
  function colourCounts(img: RgbaImage, x0: number, y0: number): number[] {
    return ISBI_LANDMARKS.map((_, i) => {
      const c = landmarkRgb(i);
      let n = 0;
      for (let y = y0; y < y0 + TILE; y++)
        for (let x = x0; x < x0 + TILE; x++) {
          const k = (y * img.width + x) * 4;
          if (img.data[k] === c[0] && img.data[k + 1] === c[1] && img.data[k + 2] === c[2]) n++;
        }
      return n;
    });
  }
  /** Top-left of the first tile of a colour (row 0: the first pixel of that colour). */
  function tileOrigin(img: RgbaImage, v: number | readonly number[]): [number, number] {
    const [r, g, b] = typeof v === 'number' ? [v, v, v] : v;
    for (let y = 0; y < img.height; y++)
      for (let x = 0; x < img.width; x++) {
        const k = (y * img.width + x) * 4;
        if (img.data[k] === r && img.data[k + 1] === g && img.data[k + 2] === b) return [x, y];
      }
    throw new Error(`no pixel of colour ${v}`);
  }

  it('draws every landmark as a dot in its colour on the X-ray and prediction tiles, not on photo or error', () => {
    const img = renderGrid({ cases, models: [{ label: 'A', predictions: preds }], tilePx: TILE });
    const disc = Math.PI * gridMarkerRadius(TILE) ** 2;
    for (const v of [80, 120]) {
      const [x0, y0] = tileOrigin(img, v);
      const counts = colourCounts(img, x0, y0);
      // each of the 19 colours: at least most of a dot (overlapping dots, e.g. U1/L1, hide a little)
      counts.forEach((n, i) => expect(n, `${ISBI_LANDMARKS[i].id} on grey ${v}`).toBeGreaterThan(disc * 0.3));
    }
    for (const c of [[20, 160, 90], heatColor(40 / 128)]) {
      const [x, y] = tileOrigin(img, c);
      expect(colourCounts(img, x, y).reduce((a, b) => a + b)).toBe(0);
    }
    // the dot sits where the landmark is: S at its scaled position
    const [x0, y0] = tileOrigin(img, 80);
    const s = TILE / SIZE;
    const k = ((y0 + Math.floor(shape[0][1] * s)) * img.width + x0 + Math.floor(shape[0][0] * s)) * 4;
    expect(Array.from(img.data.subarray(k, k + 3))).toEqual([...landmarkRgb(0)]);
  });

  it('symbols are drawn where they fit (more ink in the colours than dots alone) and can be turned off', () => {
    const withLabels = renderGrid({ cases, models: [{ label: 'A', predictions: preds }], tilePx: TILE });
    const dotsOnly = renderGrid({
      cases,
      models: [{ label: 'A', predictions: preds }],
      tilePx: TILE,
      landmarks: { labels: false },
    });
    const none = renderGrid({
      cases,
      models: [{ label: 'A', predictions: preds }],
      tilePx: TILE,
      landmarks: { show: false },
    });
    const ink = (img: RgbaImage) => {
      const [x0, y0] = tileOrigin(img, 80);
      return colourCounts(img, x0, y0).reduce((a, b) => a + b);
    };
    expect(ink(none)).toBe(0);
    expect(ink(withLabels)).toBeGreaterThan(ink(dotsOnly) * 1.5);
    // the X-ray grey itself is untouched outside the marks: landmark drawing never alters the input
    expect(Array.from(cases[0].xray.data.subarray(0, 4))).toEqual([80, 80, 80, 255]);
  });

  it('drawLandmarksOnTile scales from the X-ray frame and skips missing points', () => {
    const tile = solid(40, 40, [0, 0, 0]);
    drawLandmarksOnTile(tile, [[5, 5], null, [15, 15]], 20, { labels: false });
    const at = (x: number, y: number) =>
      Array.from(tile.data.subarray((y * 40 + x) * 4, (y * 40 + x) * 4 + 3));
    expect(at(10, 10)).toEqual([...landmarkRgb(0)]);
    expect(at(30, 30)).toEqual([...landmarkRgb(2)]);
    expect(countColor(tile, landmarkRgb(1))).toBe(0);
  });
});

function textPixels(text: string): number {
  const img = newImage(textWidth(text), TEXT_HEIGHT);
  drawText(img, 0, 0, text, [0, 0, 0]);
  return countColor(img, [0, 0, 0]);
}

describe('pixel font and curves', () => {
  it('draws glyphs in a 5x7 cell with 1 px spacing', () => {
    expect(textWidth('abc')).toBe(17);
    expect(textWidth('ab', 2)).toBe(22);
    const img = newImage(5, 7);
    drawText(img, 0, 0, 'T', [0, 0, 0]);
    // 'T': a full top row and the middle column
    expect(countColor(img, [0, 0, 0])).toBe(5 + 6);
    expect(textPixels('×')).toBe(textPixels('x'));
    expect(textPixels('\u4e2d')).toBe(textPixels('?'));
  });

  it('nice ticks and panels', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(2.1, 3.9, 4)).toEqual([2.5, 3, 3.5]);
    expect(niceTicks(5, 5, 4)).toEqual([4.5, 4.75, 5, 5.25, 5.5]);
    const color: [number, number, number] = [217, 95, 2];
    const img = renderCurves(
      [
        {
          title: 'L1',
          xLabel: 'step',
          yLabel: 'L1',
          series: [
            {
              label: 'val',
              color,
              points: [
                [10, 0.3],
                [20, 0.2],
                [30, null],
                [40, 0.1],
              ],
            },
          ],
          reference: { y: 0.1, label: 'gate' },
        },
        {
          title: 'empty',
          xLabel: 'step',
          yLabel: 'y',
          series: [{ label: 'none', color: [1, 2, 3], points: [] }],
        },
        { title: 'third', xLabel: 'step', yLabel: 'y', series: [] },
      ],
      { panelW: 300, panelH: 200 },
    );
    expect([img.width, img.height]).toEqual([630, 430]);
    // markers (5x5) and 2 px lines in the series colour; the gap after step 20 breaks the line
    expect(countColor(img, color)).toBeGreaterThan(3 * 25);
    expect(countColor(img, [200, 40, 40])).toBeGreaterThan(50); // dashed reference line
  });
});
