/** Numbers as the Train view shows them: always with their unit and a sensible precision. */
import { formatSize } from '../bytes';
import { formatEta } from '../data/format';

/** 1,234,567 in the UI language's grouping. */
export function formatInt(n: number, lang: 'en' | 'zh'): string {
  return Math.round(n).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US');
}

/** Memory and file sizes: the page's one binary-unit formatter ("12.5 MiB", "1.2 GiB"; ui/bytes.ts). */
export function formatMiB(bytes: number): string {
  return formatSize(bytes);
}

/**
 * A duration with its units, "3 min 20 s" / "3 分 20 秒" (data/format.ts formatEta): a bare "14:06"
 * read like a clock time.
 */
export function formatDuration(ms: number, lang: 'en' | 'zh'): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  return formatEta(ms, lang);
}

/** A loss or metric value with 4 significant digits (scientific for tiny/huge values). */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/** Steps per second with 2 significant digits at low speeds ("0.42 it/s", "12 it/s"). */
export function formatRate(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return `– ${unit}`;
  const digits = v < 1 ? 2 : v < 10 ? 1 : 0;
  return `${v.toFixed(digits)} ${unit}`;
}

/** Learning rate like the server prints it ("2.0e-4"). */
export function formatLr(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v === 0 ? '0' : v.toExponential(1);
}

/** Local date and time, short. */
export function formatTime(ms: number, lang: 'en' | 'zh'): string {
  return new Date(ms).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
}
