/**
 * Audit flags stored by schema 1 carried their sentences (`message` English, `messageZh`
 * Chinese); schema 2 stores a code and its parameters (core/data/dataset.ts AuditFlag). This turns
 * an old flag into the new form: the parameters are derived from the flag's code and its stored
 * `details`, and kept only when the new table renders exactly the old English and Chinese
 * sentences; otherwise (a sentence no code reproduces, e.g. a landmark list that was never stored
 * in `details`, or a Chinese sentence that now carries more numbers) the old sentences stay as
 * `params.en` / `params.zh` under `audit.legacy`, so nothing shown is lost.
 *
 * TF.js-free; used by the store's datasets migration (store/schema.ts).
 */
import { EXPOSURE_LIMITS } from '../data/audit';
import type { AuditFlag, FlagDetail } from '../data/dataset';
import type { Params } from './form';
import { auditFlagMessage } from './audit';
import { messageText } from './table';

/** A flag as schema 1 stored it. */
export type AuditFlagV1 = Omit<AuditFlag, 'params'> & { message: string; messageZh?: string };

/** True for a flag in the schema-1 form (a sentence stored, no params). */
export function isAuditFlagV1(f: unknown): f is AuditFlagV1 {
  const o = f as { message?: unknown; params?: unknown } | null;
  return !!o && typeof o.message === 'string' && o.params === undefined;
}

const KINDS = ['xray', 'photo'] as const;
const num = (v: FlagDetail | undefined): number => (typeof v === 'number' ? v : Number(v));
const pair = (v: FlagDetail | undefined): [number, number] =>
  Array.isArray(v) ? [num(v[0] as number), num(v[1] as number)] : [NaN, NaN];

/** Parameter sets the flag's sentence may have had (the first that reproduces it wins). */
function candidates(f: AuditFlagV1): Params[] {
  const d = f.details ?? {};
  switch (f.code) {
    case 'low-contrast':
      return KINDS.map((variant) => ({
        variant,
        contrast: num(d.contrast_255),
        limit: EXPOSURE_LIMITS[variant].minContrast,
      }));
    case 'ruler': {
      const [x, y] = pair(d.at);
      return KINDS.map((variant) => ({ variant, period: String(d.period_px), x, y }));
    }
    case 'burned-in-label': {
      const [x, y] = pair(d.at);
      return KINDS.map((variant) => ({ variant, x, y }));
    }
    case 'unreadable':
      return [{ file: f.file ?? '', error: String(d.message) }];
    case 'unpaired':
      return [{ variant: d.missing === 'photo' ? 'noPhoto' : 'noXray', id: f.caseId }];
    case 'aspect-mismatch':
    case 'size-mismatch': {
      const [pw, ph] = pair(d.photo_px);
      const [xw, xh] = pair(d.xray_px);
      const sizes = { pw, ph, xw, xh };
      return f.code === 'size-mismatch'
        ? [sizes]
        : [{ ...sizes, pct: num(d.aspectDifference_pct).toFixed(1) }];
    }
    case 'landmark-count':
      return [{ count: num(d.count), expected: num(d.expected) }];
    case 'photo-orientation':
    case 'xray-mirrored':
      return [{ pct: num(d.majorityShare_pct) }];
    default:
      return [];
  }
}

/** The schema-2 form of a schema-1 flag (same English and Chinese on screen). */
export function auditFlagFromV1(old: AuditFlagV1): AuditFlag {
  const { message, messageZh, ...rest } = old;
  const zh = messageZh ?? message;
  for (const params of candidates(old)) {
    const flag: AuditFlag = { ...rest, params };
    const m = auditFlagMessage(flag);
    if (messageText(m, 'en') === message && messageText(m, 'zh') === zh) return flag;
  }
  return { ...rest, params: { variant: 'legacy', en: message, zh } };
}
