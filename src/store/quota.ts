/**
 * Storage usage and persistence through `navigator.storage` (page and worker). Null-safe where
 * the API is missing (Node, old browsers): the numbers are then null, never invented.
 */

export interface StorageInfo {
  /** Bytes this origin uses (all databases, caches), or null when the browser does not say. */
  usageBytes: number | null;
  /** Bytes this origin may use, or null when unknown. */
  quotaBytes: number | null;
  /** True when the browser will not evict this site's data under storage pressure; null when unknown. */
  persisted: boolean | null;
}

type StorageManagerLike = Partial<Pick<StorageManager, 'estimate' | 'persist' | 'persisted'>>;

function storageManager(): StorageManagerLike | null {
  const nav = (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator;
  return nav?.storage ?? null;
}

export async function storageInfo(): Promise<StorageInfo> {
  const sm = storageManager();
  let usageBytes: number | null = null;
  let quotaBytes: number | null = null;
  let persisted: boolean | null = null;
  if (sm?.estimate) {
    try {
      const e = await sm.estimate();
      usageBytes = typeof e.usage === 'number' ? e.usage : null;
      quotaBytes = typeof e.quota === 'number' ? e.quota : null;
    } catch {
      /* estimate unavailable (e.g. opaque origin): leave null */
    }
  }
  if (sm?.persisted) {
    try {
      persisted = await sm.persisted();
    } catch {
      persisted = null;
    }
  }
  return { usageBytes, quotaBytes, persisted };
}

/**
 * Ask the browser to keep this site's data under storage pressure (call on the first import).
 * Returns true when granted (or already persisted), false when refused, null when the API is missing.
 * `persist()` is only available in a window (not in workers).
 */
export async function requestPersistence(): Promise<boolean | null> {
  const sm = storageManager();
  if (!sm?.persist) return null;
  try {
    if (sm.persisted && (await sm.persisted())) return true;
    return await sm.persist();
  } catch {
    return false;
  }
}

/** Whole megabytes (10^6 bytes) with thousands separators, no unit: `1,234`. */
export function wholeMB(bytes: number): string {
  return Math.round(bytes / 1e6).toLocaleString('en-US');
}

/** Whole megabytes (10^6 bytes) with the unit: `1,234 MB`. */
export function formatMB(bytes: number): string {
  return `${wholeMB(bytes)} MB`;
}

// --- The "storage full" message, English and Simplified Chinese ------------------------------
//
// A QuotaExceededError reaches the user as the English message of StorageFullError (errors.ts),
// because errors cross the worker boundary as text. The UI renders it in its language with
// `localizeStorageFull` (called by the strings dictionary's `translate`, so every
// `t('…', { error })` form gets it). The table below is merged into the UI dictionary.

export type StorageLang = 'en' | 'zh';

export const STORAGE_MESSAGES = {
  'storage.full': {
    en:
      "The browser's storage for this site is full{amounts}. Everything stored before is kept. " +
      'Free space by deleting what you no longer need: old runs (Train section) and checkpoints ' +
      '(Checkpoints section; export a checkpoint there first to keep a copy), datasets you no longer ' +
      'train on (Data section), stored detectors (Landmarks section); then {retry}.',
    zh:
      '此网站的浏览器存储已满{amounts}。之前保存的所有内容均完好保留。' +
      '请删除不再需要的内容以释放空间：旧的训练（“训练”栏目）和检查点（“检查点”栏目；如需保留，请先在那里导出检查点）、' +
      '不再用于训练的数据集（“数据”栏目）、已保存的检测器（“标志点”栏目）；然后{retry}。',
  },
  'storage.full.amounts': {
    en: ': {used} MB used of {quota} MB ({free} MB free)',
    zh: '：已用 {used} MB，配额 {quota} MB（剩余 {free} MB）',
  },
  'storage.evictionRisk': {
    en:
      'Eviction risk: this browser has not made the studio’s storage persistent, so it may delete the ' +
      'datasets, runs and checkpoints when the disk runs low. Ask it to keep the data below, and export ' +
      'the checkpoints you need (Checkpoints section).',
    zh:
      '存在被清除的风险：浏览器尚未将本工作室的存储设为持久化，磁盘空间不足时可能删除数据集、训练和检查点。' +
      '请在下方请求浏览器保留数据，并导出需要的检查点（“检查点”栏目）。',
  },
} as const satisfies Record<string, { en: string; zh: string }>;

/** What the user does again once space is freed (the `retry` of StorageFullError), in both languages. */
export const STORAGE_RETRY: Readonly<Record<string, { en: string; zh: string }>> = {
  'import again': { en: 'import again', zh: '重新导入' },
  'add the files again': { en: 'add the files again', zh: '重新添加这些文件' },
  're-split again': { en: 're-split again', zh: '重新划分' },
  'save the tracing again': { en: 'save the tracing again', zh: '重新保存描点' },
  'import the tracing file again': { en: 'import the tracing file again', zh: '重新导入描点文件' },
  'resume the run': { en: 'resume the run', zh: '继续这次训练' },
  'start training again': { en: 'start training again', zh: '重新开始训练' },
  'save the checkpoint again': { en: 'save the checkpoint again', zh: '重新保存检查点' },
  'train the detector again': { en: 'train the detector again', zh: '重新训练检测器' },
  'try again once space is freed': { en: 'try again once space is freed', zh: '再试一次' },
  'free space and resume the detector': { en: 'free space and resume the detector', zh: '继续训练检测器' },
  'build the bundle again': { en: 'build the bundle again', zh: '重新生成服务器包' },
};

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, k: string) => params[k] ?? whole);
}

/**
 * The storage-full sentence in `lang`. With both numbers known it says how much is used, the quota
 * and what is free, in whole MB (10^6 bytes) with the unit; without them it leaves them out.
 */
export function storageFullText(
  lang: StorageLang,
  usageBytes: number | null,
  quotaBytes: number | null,
  retry: string,
): string {
  const amounts =
    usageBytes !== null && quotaBytes !== null
      ? fill(STORAGE_MESSAGES['storage.full.amounts'][lang], {
          used: wholeMB(usageBytes),
          quota: wholeMB(quotaBytes),
          free: wholeMB(Math.max(0, quotaBytes - usageBytes)),
        })
      : '';
  const r = STORAGE_RETRY[retry]?.[lang] ?? retry;
  return fill(STORAGE_MESSAGES['storage.full'][lang], { amounts, retry: r });
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const NUM = '([\\d,]+)';

/** Matches the English storage-full sentence anywhere in a text (the template with its slots open). */
const EN_FULL_RE = new RegExp(
  escapeRe(STORAGE_MESSAGES['storage.full'].en)
    .replace(
      escapeRe('{amounts}'),
      () =>
        `(?:${escapeRe(STORAGE_MESSAGES['storage.full.amounts'].en)
          .replace(escapeRe('{used}'), () => NUM)
          .replace(escapeRe('{quota}'), () => NUM)
          .replace(escapeRe('{free}'), () => NUM)})?`,
    )
    .replace(escapeRe('{retry}'), () => '([^.]+)'),
  'g',
);

/**
 * `text` with every English storage-full sentence in it rendered in `lang` (numbers and the retry
 * hint carried over). Other text is unchanged; English returns `text` itself.
 */
export function localizeStorageFull(text: string, lang: StorageLang): string {
  if (lang === 'en' || !text.includes('storage for this site is full')) return text;
  return text.replace(EN_FULL_RE, (_m, used?: string, quota?: string, free?: string, retry = '') => {
    const amounts =
      used !== undefined && quota !== undefined && free !== undefined
        ? fill(STORAGE_MESSAGES['storage.full.amounts'][lang], { used, quota, free })
        : '';
    const r = STORAGE_RETRY[retry]?.[lang] ?? retry;
    return fill(STORAGE_MESSAGES['storage.full'][lang], { amounts, retry: r });
  });
}
