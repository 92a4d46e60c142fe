/** engine/import/readCases.ts: case ids safe for the store, stable and unique. */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { safeCaseIds } from '../../src/engine/import/readCases';

describe('safeCaseIds', () => {
  it('keeps safe ids and makes others storage-safe and unique', () => {
    const m = safeCaseIds(['001', 'train/001', '张三', '李四', 'a b']);
    expect(m.get('001')).toBe('001');
    expect(m.get('train/001')).toMatch(/^train_001-[0-9a-z]{7}$/);
    expect(m.get('张三')).toMatch(/^_-[0-9a-z]{7}$/);
    expect(m.get('张三')).not.toBe(m.get('李四'));
    expect(new Set(m.values()).size).toBe(5);
    for (const v of m.values()) expect(v).toMatch(/^[A-Za-z0-9_.-]{1,128}$/);
  });
});
