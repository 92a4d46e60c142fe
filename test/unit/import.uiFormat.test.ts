/** Pure helpers of the Data section: folder-name lists, report ordering, durations, translated report lines. */
import { describe, expect, it } from 'vitest';
import type { ReportEntry } from '../../src/engine/import/readCases';
import {
  formatBytes,
  formatDate,
  formatEta,
  parseNameList,
  reportRows,
  validMmPerPx,
} from '../../src/ui/data/format';
import { problemText } from '../../src/ui/data/texts';
import { formatDuration } from '../../src/ui/train/format';

describe('Data section helpers', () => {
  it('formats dates in the UI language (zh: 2026年12月6日, also from epoch ms as tracings store them)', () => {
    const ms = Date.UTC(2026, 11, 6, 12, 0);
    expect(formatDate(ms, 'zh')).toMatch(/2026年12月\d+日/);
    expect(formatDate(new Date(ms).toISOString(), 'zh')).toBe(formatDate(ms, 'zh'));
    expect(formatDate(ms, 'en')).toMatch(/Dec/);
    expect(formatDate('not a date', 'en')).toBe('not a date');
  });

  it('parses folder-name lists (commas, Chinese commas, spaces), lower-cased and unique', () => {
    expect(parseNameList('Photo, FACE，照片 ;face  A')).toEqual(['photo', 'face', '照片', 'a']);
    expect(parseNameList(' , ')).toEqual([]);
  });

  it('orders report rows errors → skipped → imported and filters problems', () => {
    const rows: ReportEntry[] = [
      { path: 'b.png', status: 'imported', message: '' },
      { path: 'a.png', status: 'skipped', message: '' },
      { path: 'z.png', status: 'error', message: '' },
      { path: 'c.png', status: 'error', message: '' },
    ];
    expect(reportRows(rows, false).map((r) => r.path)).toEqual(['c.png', 'z.png', 'a.png', 'b.png']);
    expect(reportRows(rows, true).map((r) => r.path)).toEqual(['c.png', 'z.png', 'a.png']);
  });

  it('formats durations and sizes with units in both languages', () => {
    expect(formatEta(4_000, 'en')).toBe('4 s');
    expect(formatEta(125_000, 'en')).toBe('2 min 05 s');
    expect(formatEta(3_725_000, 'en')).toBe('1 h 02 min');
    expect(formatEta(125_000, 'zh')).toBe('2 分 05 秒');
    // the Train view's ETA and elapsed time carry their units too ("14:06" read like a clock time)
    expect(formatDuration(846_000, 'en')).toBe('14 min 06 s');
    expect(formatDuration(846_000, 'zh')).toBe('14 分 06 秒');
    expect(formatDuration(Number.NaN, 'en')).toBe('–');
    // one formatter in binary units everywhere (a checkpoint reads the same in every view)
    expect(formatBytes(1_800_000, 'en')).toBe('1.7 MiB');
    expect(formatBytes(10_750_000_000, 'zh')).toBe('10.0 GiB');
    expect(formatBytes(6_070_000, 'en')).toBe('5.8 MiB');
  });

  it('accepts pixel spacings from 0.001 to 5 mm/px only', () => {
    expect([0.1, 0.001, 5].every(validMmPerPx)).toBe(true);
    expect([0, -0.1, 5.1, Number.NaN].some(validMmPerPx)).toBe(false);
  });

  it('shows report lines in Chinese by code, keeping the file and line, English as written', () => {
    const e: ReportEntry = {
      path: 'x/scan.dcm',
      status: 'error',
      code: 'unsupported-dicom',
      message:
        'x/scan.dcm: DICOM files are not supported. Export PNG from your DICOM viewer and import the PNG files.',
    };
    expect(problemText(e, 'en')).toBe(e.message);
    expect(problemText(e, 'zh')).toBe('x/scan.dcm：不支持 DICOM：请在 DICOM 查看器中导出 PNG 后再导入。');
    const lm: ReportEntry = {
      path: 'l/1.txt',
      status: 'error',
      code: 'landmark-not-number',
      line: 3,
      message: 'm',
    };
    expect(problemText(lm, 'zh')).toContain('l/1.txt（第 3 行）：标志点不是数字');
    const ok: ReportEntry = {
      path: 'p/1.png',
      status: 'imported',
      caseId: '1',
      message: 'Photo of case "1".',
    };
    expect(problemText(ok, 'zh')).toBe('p/1.png：已导入。（病例 1）');
    const unknown: ReportEntry = {
      path: 'q',
      status: 'error',
      code: 'something-new',
      message: 'English only',
    };
    expect(problemText(unknown, 'zh')).toBe('English only');
  });
});
