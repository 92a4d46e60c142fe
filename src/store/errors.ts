/**
 * Errors of the store that a user can cause or see. Messages are written for a clinician:
 * they say what happened and what to do.
 */
import { storageInfo, wholeMB } from './quota';

/** The browser's storage quota for this origin is exhausted (IndexedDB QuotaExceededError). */
export class StorageFullError extends Error {
  readonly usageBytes: number | null;
  readonly quotaBytes: number | null;
  constructor(usageBytes: number | null, quotaBytes: number | null, retry = 'import again', cause?: unknown) {
    const amounts =
      usageBytes !== null && quotaBytes !== null
        ? `: ${wholeMB(usageBytes)} MB used of ${wholeMB(quotaBytes)} MB`
        : '';
    super(
      `The browser's storage for this site is full${amounts}. ` +
        `Free space by deleting old runs or checkpoints, then ${retry}.`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'StorageFullError';
    this.usageBytes = usageBytes;
    this.quotaBytes = quotaBytes;
  }
}

/** The data was written by a newer studio (higher schema version); nothing was changed. */
export class NewerSchemaError extends Error {
  readonly dbName: string;
  readonly foundVersion: number;
  readonly knownVersion: number;
  constructor(dbName: string, foundVersion: number, knownVersion: number) {
    super(
      `The saved data in "${dbName}" was written by a newer studio version ` +
        `(schema ${foundVersion}, this studio knows up to ${knownVersion}); update the studio. ` +
        `Nothing was changed.`,
    );
    this.name = 'NewerSchemaError';
    this.dbName = dbName;
    this.foundVersion = foundVersion;
    this.knownVersion = knownVersion;
  }
}

/** A record the caller asked for does not exist (deleted, or never written). */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** QuotaExceededError in all its spellings (Chromium/WebKit name, Firefox legacy name, legacy code 22). */
export function isQuotaError(e: unknown): boolean {
  if (e instanceof StorageFullError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const { name, code } = e as { name?: unknown; code?: unknown };
  if (name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22) return true;
  // idb-keyval rejects with the transaction's error; an AbortError may carry the quota error as cause
  const cause = (e as { cause?: unknown }).cause;
  return cause !== undefined && cause !== e && isQuotaError(cause);
}

/** Turn a quota error into a StorageFullError with the current usage; other errors are returned unchanged. */
export async function asStorageFull(e: unknown, retry: string): Promise<unknown> {
  if (e instanceof StorageFullError) return e;
  if (!isQuotaError(e)) return e;
  const info = await storageInfo();
  return new StorageFullError(info.usageBytes, info.quotaBytes, retry, e);
}
