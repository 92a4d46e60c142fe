/** Formatting and small pure helpers of the Data section (no Svelte, no DOM): testable in Node. */
import type { AuditCode, CaseSplit, Severity } from '../../core/data/dataset';
import type { Lang } from '../../engine/messages';
import type { ReportEntry } from '../../engine/import/readCases';
import { formatSize } from '../bytes';

export function locale(lang: Lang): string {
  return lang === 'zh' ? 'zh-CN' : 'en-US';
}

/** Bytes in binary units (KiB, MiB, GiB), the page's one size formatter (ui/bytes.ts). */
export function formatBytes(bytes: number, lang: Lang): string {
  void lang; // the same digits in both languages
  return formatSize(bytes);
}

export function formatInt(n: number, lang: Lang): string {
  return Math.round(n).toLocaleString(locale(lang));
}

/** A duration as "1 h 05 min", "3 min 20 s", "12 s" (en) or "1 小时 05 分" … (zh). */
export function formatEta(ms: number, lang: Lang): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (lang === 'zh') {
    if (h) return `${h} 小时 ${pad(m)} 分`;
    if (m) return `${m} 分 ${pad(sec)} 秒`;
    return `${sec} 秒`;
  }
  if (h) return `${h} h ${pad(m)} min`;
  if (m) return `${m} min ${pad(sec)} s`;
  return `${sec} s`;
}

/** An ISO time (or epoch ms) as a local date and time (minutes), in the UI language's format. */
export function formatDate(iso: string | number, lang: Lang): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(locale(lang), {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatPercent(fraction: number, lang: Lang): string {
  return `${(fraction * 100).toLocaleString(locale(lang), { maximumFractionDigits: fraction < 0.01 ? 2 : 1 })} %`;
}

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export const ALL_AUDIT_CODES: readonly AuditCode[] = [
  'unpaired',
  'unreadable',
  'aspect-mismatch',
  'size-mismatch',
  'aligned-not-pair',
  'photo-orientation',
  'xray-mirrored',
  'device-border',
  'ruler',
  'burned-in-label',
  'too-dark',
  'too-bright',
  'low-contrast',
  'exposure-outlier',
  'near-duplicate',
  'landmarks-outside',
  'landmark-count',
];

export const SPLITS: readonly CaseSplit[] = ['train', 'val', 'test'];

/** Comma/semicolon/whitespace-separated folder names → list (lower case, unique, no empties). */
export function parseNameList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,;，；\s]+/)
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}

/** Report lines to show: problems first (errors, then skipped), then imported; or problems only. */
export function reportRows(files: readonly ReportEntry[], problemsOnly: boolean): ReportEntry[] {
  const order = { error: 0, skipped: 1, imported: 2 } as const;
  return files
    .filter((f) => !problemsOnly || f.status !== 'imported')
    .slice()
    .sort((a, b) => order[a.status] - order[b.status] || a.path.localeCompare(b.path));
}

/** Valid pixel spacing in mm/px (0.001 – 5). */
export function validMmPerPx(v: number): boolean {
  return Number.isFinite(v) && v >= 0.001 && v <= 5;
}
