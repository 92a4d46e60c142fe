/**
 * Pixel spacing (TF.js-free): the ISBI 2015 default, a check for a typed-in spacing, and the
 * ruler calibration (click both ends of a known length on the film). Refusals are values with a
 * code and an en + zh message, never exceptions.
 */
import type { Point } from '../image';
import type { Text } from './analysis';

/** ISBI 2015 films (1935 x 2400 px) are 0.1 mm per pixel; the demo phantom uses the same. */
export const DEFAULT_MM_PER_PX = 0.1;

/** Shortest ruler accepted, in pixels: below it a click's half-pixel error is > 25 % of the length. */
export const MIN_RULER_PX = 2;

export type CalibrationCode = 'zero-length' | 'too-short' | 'non-positive-mm' | 'not-finite';

export type CalibrationResult =
  | { ok: true; mmPerPx: number; /** ruler length in pixels (ruler calibration only) */ lengthPx?: number }
  | { ok: false; code: CalibrationCode; message: Text };

const fmt = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : String(v));

/** Check a pixel spacing typed by the user (mm per pixel). */
export function checkMmPerPx(mmPerPx: number): CalibrationResult {
  if (!Number.isFinite(mmPerPx))
    return {
      ok: false,
      code: 'not-finite',
      message: {
        en: `The pixel spacing "${mmPerPx}" is not a number. Enter millimetres per pixel, e.g. 0.1 for ISBI films.`,
        zh: `像素间距"${mmPerPx}"不是数字。请输入每像素的毫米数，例如 ISBI 片为 0.1。`,
      },
    };
  if (mmPerPx <= 0)
    return {
      ok: false,
      code: 'non-positive-mm',
      message: {
        en: `The pixel spacing must be above 0 mm per pixel (got ${fmt(mmPerPx)}). ISBI films are 0.1.`,
        zh: `像素间距必须大于 0 毫米/像素（当前为 ${fmt(mmPerPx)}）。ISBI 片为 0.1。`,
      },
    };
  return { ok: true, mmPerPx };
}

/**
 * mm per pixel from a ruler: two points (pixels of the original film) `knownMm` apart.
 * Refused: a zero or too short ruler (the two clicks on the same spot), a length that is not a
 * positive number, coordinates that are not numbers.
 */
export function rulerMmPerPx(p1: Point, p2: Point, knownMm: number): CalibrationResult {
  if (![p1[0], p1[1], p2[0], p2[1]].every(Number.isFinite))
    return {
      ok: false,
      code: 'not-finite',
      message: {
        en: 'A ruler end has no position. Click both ends of the ruler on the film.',
        zh: '标尺端点没有位置。请在片子上点击标尺的两端。',
      },
    };
  if (!Number.isFinite(knownMm) || knownMm <= 0)
    return {
      ok: false,
      code: 'non-positive-mm',
      message: {
        en: `The known length must be a positive number of millimetres (got ${fmt(knownMm)}), e.g. 10 for a 0-10 mm ruler.`,
        zh: `已知长度必须是正的毫米数（当前为 ${fmt(knownMm)}），例如 0-10 mm 标尺填 10。`,
      },
    };
  const lengthPx = Math.hypot(p2[0] - p1[0], p2[1] - p1[1]);
  if (lengthPx === 0)
    return {
      ok: false,
      code: 'zero-length',
      message: {
        en: 'The two ruler ends are the same point (length 0 px). Click the two ends of a known length on the film.',
        zh: '标尺两端是同一个点（长度 0 像素）。请在片子上点击已知长度的两端。',
      },
    };
  if (lengthPx < MIN_RULER_PX)
    return {
      ok: false,
      code: 'too-short',
      message: {
        en: `The ruler is only ${fmt(lengthPx)} px long; click the two ends of a longer known length (at least ${MIN_RULER_PX} px, ideally 10 mm or more).`,
        zh: `标尺只有 ${fmt(lengthPx)} 像素长；请点击更长的已知长度的两端（至少 ${MIN_RULER_PX} 像素，最好 10 毫米以上）。`,
      },
    };
  return { ok: true, mmPerPx: knownMm / lengthPx, lengthPx };
}
