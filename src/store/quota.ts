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
