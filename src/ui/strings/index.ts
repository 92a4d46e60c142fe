/**
 * The one dictionary of user-visible strings, English and Simplified Chinese side by side.
 * Each part is `{ key: { en, zh } }` checked with `satisfies Record<string, Translation>`, so a
 * missing translation is a type error. To add strings for a section, create
 * `src/ui/strings/<section>.ts` like `shell.ts` and add it to DICTIONARY_PARTS below
 * (keys must be unique across parts; a unit test checks this).
 */
// --- The one message table of core and engine (engine, training, audit …; core/messages) ---
import { fillTemplate, MESSAGES, type Lang, type Params, type Translation } from '../../core/messages';
import { ENVIRONMENT_STRINGS } from './environment';
import { SHELL_STRINGS } from './shell';
// --- Checkpoints section (issue 7) ---
import { CHECKPOINTS_STRINGS } from './checkpoints';
// --- Evaluate section (issue 6) ---
import { EVALUATE_STRINGS } from './evaluate';
// --- Train section (issue 5) ---
import { TRAIN_STRINGS } from './train';
// --- Data section (issue 4) ---
import { DATA_STRINGS } from './data';
// --- A clinician's first hour (issue 14) ---
import { FIRSTHOUR_STRINGS } from './firsthour';
// --- Landmark overlay (issues 12, 14) ---
import { OVERLAY_STRINGS } from './overlay';
// --- Landmarks section (issue 12) ---
import { LANDMARKS_STRINGS } from './landmarks';
// --- Landmark detector (issue 13) ---
import { DETECTOR_STRINGS } from './detector';
// --- Storage full / eviction risk (issue 17) ---
import { localizeStorageFull, STORAGE_MESSAGES } from '../../store/quota';
// --- Experiments: run comparison and sample-size study (issue 15) ---
import { COMPARE_STRINGS } from './compare';
// --- Experiments: sweep / study queue (issue 15) ---
import { SWEEP_STRINGS } from './sweep';

/** Named parts, for the uniqueness test. */
export const DICTIONARY_PARTS = {
  messages: MESSAGES,
  shell: SHELL_STRINGS,
  environment: ENVIRONMENT_STRINGS,
  // --- Checkpoints section (issue 7) ---
  checkpoints: CHECKPOINTS_STRINGS,
  // --- Evaluate section (issue 6) ---
  evaluate: EVALUATE_STRINGS,
  // --- Data section (issue 4) ---
  data: DATA_STRINGS,
  // --- Train section (issue 5) ---
  train: TRAIN_STRINGS,
  // --- A clinician's first hour (issue 14) ---
  firsthour: FIRSTHOUR_STRINGS,
  // --- Landmarks section (issue 12) ---
  landmarks: LANDMARKS_STRINGS,
  // --- Landmark overlay (issues 12, 14) ---
  overlay: OVERLAY_STRINGS,
  // --- Landmark detector (issue 13) ---
  detector: DETECTOR_STRINGS,
  // --- Storage full / eviction risk (issue 17) ---
  storage: STORAGE_MESSAGES,
  // --- Experiments: run comparison and sample-size study (issue 15) ---
  compare: COMPARE_STRINGS,
  // --- Experiments: sweep / study queue (issue 15) ---
  sweep: SWEEP_STRINGS,
} as const satisfies Record<string, Record<string, Translation>>;

export const DICTIONARY = {
  ...MESSAGES,
  ...SHELL_STRINGS,
  ...ENVIRONMENT_STRINGS,
  // --- Checkpoints section (issue 7) ---
  ...CHECKPOINTS_STRINGS,
  // --- Evaluate section (issue 6) ---
  ...EVALUATE_STRINGS,
  // --- Data section (issue 4) ---
  ...DATA_STRINGS,
  // --- Train section (issue 5) ---
  ...TRAIN_STRINGS,
  // --- A clinician's first hour (issue 14) ---
  ...FIRSTHOUR_STRINGS,
  // --- Landmarks section (issue 12) ---
  ...LANDMARKS_STRINGS,
  // --- Landmark overlay (issues 12, 14) ---
  ...OVERLAY_STRINGS,
  // --- Landmark detector (issue 13) ---
  ...DETECTOR_STRINGS,
  // --- Storage full / eviction risk (issue 17) ---
  ...STORAGE_MESSAGES,
  // --- Experiments: run comparison and sample-size study (issue 15) ---
  ...COMPARE_STRINGS,
  // --- Experiments: sweep / study queue (issue 15) ---
  ...SWEEP_STRINGS,
} as const satisfies Record<string, Translation>;

export type StringKey = keyof typeof DICTIONARY;

export const LANGS: readonly Lang[] = ['en', 'zh'];

/** BCP 47 tag for `<html lang>` (fonts, screen readers, hyphenation). */
export function htmlLang(lang: Lang): string {
  return lang === 'zh' ? 'zh-CN' : 'en';
}

/** The text of `key` in `lang` with `{name}` placeholders filled. */
export function translate(lang: Lang, key: StringKey, params?: Params): string {
  // a storage-full message inside a parameter (errors cross workers as English text) in `lang`
  return localizeStorageFull(fillTemplate(DICTIONARY[key][lang], params), lang);
}

/** Stored choice first, then the browser's language (any zh-* → Simplified Chinese), else English. */
export function initialLang(stored: string | null | undefined, browserLanguages: readonly string[]): Lang {
  if (stored === 'en' || stored === 'zh') return stored;
  return browserLanguages.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh' : 'en';
}
