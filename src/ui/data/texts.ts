/**
 * Texts of data values in the UI language: report lines and plan problems (the core writes English
 * sentences with numbers; in Chinese the line is the file name plus a translated sentence for its
 * code, the English detail stays available as a tooltip), audit flags (code + params, rendered by
 * core/messages' one table), flag and severity names.
 */
import type { AuditCode, AuditFlag, FileProblem, Severity } from '../../core/data/dataset';
import type { ReportEntry } from '../../engine/import/readCases';
import { messageText, type Lang } from '../../core/messages';
import { auditFlagMessage } from '../../core/messages/audit';
import { DICTIONARY, translate, type StringKey } from '../strings';

function key(k: string): StringKey | null {
  return k in DICTIONARY ? (k as StringKey) : null;
}

/** A report line or plan problem in the UI language (English: the core's sentence). */
export function problemText(
  p:
    | Pick<ReportEntry, 'path' | 'message' | 'status' | 'caseId' | 'code' | 'line'>
    | (FileProblem & { status?: undefined; caseId?: undefined; path?: undefined }),
  lang: Lang,
): string {
  if (lang === 'en') return p.message;
  const file = ('path' in p && p.path) || ('file' in p ? p.file : '');
  const where = p.line ? `${file}（第 ${p.line} 行）` : file;
  const k = p.code
    ? key(`data.problem.${p.code}`)
    : p.status === 'imported'
      ? key('data.problem.imported')
      : null;
  if (!k) return p.message;
  const text = translate(lang, k);
  return p.status === 'imported' && p.caseId ? `${where}：${text}（病例 ${p.caseId}）` : `${where}：${text}`;
}

/** The short name of a flag code (core/messages/audit.ts `audit.name.<code>`). */
export function flagName(code: AuditCode, lang: Lang): string {
  const k = key(`audit.name.${code}`);
  return k ? translate(lang, k) : code;
}

export function flagHelp(code: AuditCode, lang: Lang): string {
  const k = key(`audit.help.${code}`);
  return k ? translate(lang, k) : '';
}

/** A stored flag's sentence in `lang`, through the one message table. */
export function flagMessage(f: AuditFlag, lang: Lang): string {
  return messageText(auditFlagMessage(f), lang);
}

export function severityName(s: Severity, lang: Lang): string {
  return translate(lang, `data.severity.${s}`);
}

/** An audit flag code as users read it ('burned-in-label' -> "Burned-in label"); unknown codes as they are. */
export function flagLabel(code: string, lang: Lang): string {
  return flagName(code as AuditCode, lang);
}

/** A landmark set id as users read it ('isbi2015-19' -> "ISBI 2015 (19 landmarks)"); unknown ids as they are. */
export function landmarkSetName(id: string, lang: Lang): string {
  const k = key(`data.landmarkSet.${id}`);
  return k ? translate(lang, k) : id;
}
