/**
 * The review report's prose: every sentence is an entry of REPORT_TEXT (core/messages/report.ts),
 * rendered here with the one message form's `fillTemplate`. No report module holds en/zh pairs.
 */
import {
  fillTemplate,
  MESSAGES,
  messageText,
  type MessageTable,
  type NestedMessage,
  type Params,
  type Translation,
} from '../../messages';
import { REPORT_TEXT, type ReportTextCode } from '../../messages/report';

export type ReportLang = 'en' | 'zh';

/** One sentence of the report in `lang`, `{name}` filled from `params`. */
export function reportText(code: ReportTextCode, lang: ReportLang, params?: Params): string {
  return fillTemplate(REPORT_TEXT[code][lang], params);
}

/**
 * One sentence in both languages (a finding's title, evidence, next step); `params` may differ by
 * language (lists joined with '; ' / '；', names in each language).
 */
export function reportTextBoth(
  code: ReportTextCode,
  params?: Params | ((lang: ReportLang) => Params),
): Translation {
  const p = (lang: ReportLang): Params | undefined => (typeof params === 'function' ? params(lang) : params);
  return { en: reportText(code, 'en', p('en')), zh: reportText(code, 'zh', p('zh')) };
}

/** A core message (e.g. a checklist answer) in both languages, for a finding or report.json. */
export function messageBoth(msg: NestedMessage): Translation {
  return { en: messageText(msg, 'en'), zh: messageText(msg, 'zh') };
}

/** Pick the language of a stored two-language value. */
export function inLang(lang: ReportLang, b: Translation): string {
  return b[lang];
}

/**
 * Audit flag codes as users read them (`too-dark` → Too dark / 过暗), from the audit table's
 * `audit.name.<code>` (core/messages/audit.ts); a code without a name stays as it is.
 */
export function auditFlagNames(codes: Iterable<string>): Record<string, Translation> {
  const table: MessageTable = MESSAGES;
  const out: Record<string, Translation> = {};
  for (const code of codes) {
    const key = `audit.name.${code}`;
    const t = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : null;
    out[code] = t ? { en: t.en, zh: t.zh } : { en: code, zh: code };
  }
  return out;
}
