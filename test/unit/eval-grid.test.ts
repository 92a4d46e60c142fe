/**
 * The evaluation grid and the report's curves as pixels: tiles are exact copies of the images,
 * the error tile is the heat colour of |grey(prediction) − grey(X-ray)| on the fixed 0–128 scale,
 * PNG round trip through fast-png, resampling and the pixel font.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import type { RgbaImage } from '../../src/core/image';
import { niceTicks, renderCurves } from '../../src/core/eval/curves';
import { encodePngRgba, errorHeatMap, renderGrid } from '../../src/core/eval/grid';
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
