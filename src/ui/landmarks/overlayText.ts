/**
 * Helpers of the landmark overlay: label text widths measured with the page's font (never smaller
 * than the core's estimate, so a reserved box always holds its text), and full landmark names in
 * the UI language (the ISBI set's Chinese names where a symbol is an ISBI one).
 */
import type { Lang } from '../../engine/messages';
import { ISBI_LANDMARKS } from '../../core/data/landmarkSet';
import { estimateTextWidth } from '../../core/landmarks/labels';

/** The font of overlay labels (CSS and canvas measurement use the same string). */
export const OVERLAY_FONT_FAMILY =
  "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif";
export const OVERLAY_FONT_WEIGHT = 600;

let ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null | undefined;

function context(): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null {
  if (ctx !== undefined) return ctx;
  try {
    ctx =
      typeof OffscreenCanvas !== 'undefined'
        ? new OffscreenCanvas(1, 1).getContext('2d')
        : typeof document !== 'undefined'
          ? document.createElement('canvas').getContext('2d')
          : null;
  } catch {
    ctx = null;
  }
  return ctx;
}

/** Width of `text` at `fontPx` in the overlay font: max(canvas measurement, the core estimate). */
export function measureLabel(text: string, fontPx: number): number {
  const est = estimateTextWidth(text, fontPx);
  const c = context();
  if (!c) return est;
  c.font = `${OVERLAY_FONT_WEIGHT} ${fontPx}px ${OVERLAY_FONT_FAMILY}`;
  return Math.max(est, c.measureText(text).width);
}

const ISBI_BY_SYMBOL = new Map(ISBI_LANDMARKS.map((l) => [l.id, l]));

/**
 * Full names of `symbols` in `lang`: the ISBI set's English / Chinese name where the symbol is an
 * ISBI one and the stored name agrees (or is absent); otherwise the dataset's stored name, else the
 * symbol itself.
 */
export function landmarkNames(
  symbols: readonly string[],
  storedNames: readonly string[] | undefined,
  lang: Lang,
): string[] {
  return symbols.map((s, i) => {
    const stored = storedNames?.[i];
    const isbi = ISBI_BY_SYMBOL.get(s);
    if (isbi && (!stored || stored === isbi.name))
      return lang === 'zh' ? `${isbi.zh} (${isbi.name})` : isbi.name;
    return stored || s;
  });
}
