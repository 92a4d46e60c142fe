import { afterEach, describe, expect, it, vi } from 'vitest';
import { StorageFullError, asStorageFull, isQuotaError } from '../../src/store/errors';
import { formatMB, requestPersistence, storageInfo } from '../../src/store/quota';

afterEach(() => vi.unstubAllGlobals());

describe('store quota', () => {
  it('is null-safe without navigator.storage (Node)', async () => {
    vi.stubGlobal('navigator', undefined);
    expect(await storageInfo()).toEqual({ usageBytes: null, quotaBytes: null, persisted: null });
    expect(await requestPersistence()).toBeNull();
  });

  it('reads estimate() and persisted(), asks persist() only when not yet persisted', async () => {
    const persist = vi.fn(async () => true);
    vi.stubGlobal('navigator', {
      storage: {
        estimate: async () => ({ usage: 1_234_567_890, quota: 9_876_543_210 }),
        persisted: async () => false,
        persist,
      },
    });
    expect(await storageInfo()).toEqual({
      usageBytes: 1_234_567_890,
      quotaBytes: 9_876_543_210,
      persisted: false,
    });
    expect(await requestPersistence()).toBe(true);
    expect(persist).toHaveBeenCalledTimes(1);
  });

  it('maps QuotaExceededError to a clinician-readable StorageFullError with the numbers', async () => {
    vi.stubGlobal('navigator', {
      storage: { estimate: async () => ({ usage: 2_147_000_000, quota: 2_150_000_000 }) },
    });
    const dom = new DOMException('quota', 'QuotaExceededError');
    expect(isQuotaError(dom)).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaError(new DOMException('x', 'AbortError'))).toBe(false);
    const e = await asStorageFull(dom, 'import again');
    expect(e).toBeInstanceOf(StorageFullError);
    expect((e as Error).message).toBe(
      "The browser's storage for this site is full: 2,147 MB used of 2,150 MB (3 MB free). " +
        'Everything stored before is kept. Free space by deleting what you no longer need: old runs ' +
        '(Train section) and checkpoints (Checkpoints section; export a checkpoint there first to keep ' +
        'a copy), datasets you no longer train on (Data section), stored detectors (Landmarks section); ' +
        'then import again.',
    );
    const other = new Error('boom');
    expect(await asStorageFull(other, 'x')).toBe(other);
    expect(formatMB(499_999)).toBe('0 MB');
    expect(formatMB(1_500_000)).toBe('2 MB');
  });
});
