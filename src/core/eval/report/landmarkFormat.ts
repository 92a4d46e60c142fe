/**
 * How the landmarks and traceability sections write numbers and landmark names: 3 significant
 * digits without exponent form, percentages, measurement units, ISBI landmark names in the
 * report's language. Pure.
 */
import { ISBI_LANDMARKS } from '../../data/landmarkSet';
import type { ReportLang } from './text';

/** 3 significant digits without exponent form, '–' when missing (these sections' numbers). */
export function fmtSig(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return String(Number(v.toPrecision(digits)));
}

/** A fraction as a percentage with 3 significant digits, '–' when missing. */
export function fmtSigPercent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${fmtSig(v * 100, 3)} %`;
}

/** A landmark's name: the ISBI name in Chinese for zh, else the given name or the ISBI name. */
export function landmarkName(symbol: string, name: string, lang: ReportLang): string {
  const isbi = ISBI_LANDMARKS.find((l) => l.id === symbol);
  if (lang === 'zh' && isbi) return isbi.zh;
  return name || isbi?.name || '';
}

/** A measurement unit as written after its value. */
export const MEASUREMENT_UNIT: Record<string, string> = { deg: '°', mm: ' mm', ratio: '' };
