/**
 * Errors of the store that a user can cause or see. Messages are written for a clinician:
 * they say what happened and what to do.
 */
import { storageFullText, storageInfo } from './quota';

/**
 * The browser's storage quota for this origin is exhausted (IndexedDB / OPFS QuotaExceededError).
 * The message (English; the UI renders it in its language with `localizeStorageFull`) says what
 * happened, the MB used / quota / free when the browser tells, what to delete or export to free
 * space, and `retry`: what to do again afterwards (a key of STORAGE_RETRY).
 */
export class StorageFullError extends Error {
  readonly usageBytes: number | null;
  readonly quotaBytes: number | null;
  readonly retry: string;
  constructor(usageBytes: number | null, quotaBytes: number | null, retry = 'import again', cause?: unknown) {
    super(storageFullText('en', usageBytes, quotaBytes, retry), cause === undefined ? undefined : { cause });
    this.name = 'StorageFullError';
    this.usageBytes = usageBytes;
    this.quotaBytes = quotaBytes;
    this.retry = retry;
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
  if (e instanceof StorageFullError && e.usageBytes !== null) return e;
  if (!isQuotaError(e)) return e;
  if (e instanceof StorageFullError) {
    // made where the numbers could not be awaited (a synchronous OPFS write): add them now
    const info = await storageInfo();
    if (info.usageBytes === null || info.quotaBytes === null) return e;
    return new StorageFullError(info.usageBytes, info.quotaBytes, e.retry, e.cause);
  }
  const info = await storageInfo();
  return new StorageFullError(info.usageBytes, info.quotaBytes, retry, e);
}
