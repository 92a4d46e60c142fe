/**
 * Small pure helpers of the Evaluate view: chart columns from validation rounds, number formats
 * with units, the stuck verdict's explanation in the UI language, binary downloads. No Svelte,
 * testable in Node.
 */
import type { RoundPoint } from '../../core/eval/report';
import type { StuckVerdict } from '../../core/eval/stuck';
import type { Lang } from '../../engine/messages';
import { translate } from '../strings';
import type { ChartColumns } from '../train/chartData';

/** uPlot columns (x = step) of the given value keys; missing / non-finite values are gaps. */
export function roundColumns(rounds: readonly RoundPoint[], keys: readonly string[]): ChartColumns {
  const x = rounds.map((r) => r.step);
  const cols = keys.map((k) =>
    rounds.map((r) => {
      const v = r.values[k];
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    }),
  );
  return [x, ...cols];
}

/** 4 significant digits; '–' when missing; ∞ for an exact match's PSNR. */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v === Infinity) return '∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

/** A fraction as a percentage with 3 significant digits ("31.3 %"). */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${fmt(v * 100, 3)} %`;
}

/** The stuck verdict's explanation in `lang`: each message through `eval.stuck.why.<key>`. */
export function stuckExplanation(verdict: Pick<StuckVerdict, 'explanation'>, lang: Lang): string {
  return verdict.explanation
    .map((m) => translate(lang, `eval.stuck.why.${m.key}`, m.params))
    .join(lang === 'zh' ? '；' : '; ');
}

export { downloadBytes } from '../download';

/** A file-name-safe version of a run name. */
export function fileSafe(s: string): string {
  return (
    s
      .replace(/[^\w.-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 60) || 'run'
  );
}

/** Base64 of bytes (for data: URIs), in chunks so large PNGs do not overflow the call stack. */
export function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
