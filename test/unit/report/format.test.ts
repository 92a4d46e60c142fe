/**
 * The report's number and table formatting (core/eval/report/format.ts): 4 significant digits,
 * exponent form for very small and very large values, dashes for missing values, escaped cells.
 */
import { describe, expect, it } from 'vitest';
import { fmtNumber, fmtPercent, markdownTable } from '../../../src/core/eval/report/format';

describe('report formatting', () => {
  it('formats numbers with their significant digits and marks missing ones', () => {
    expect([null, undefined, NaN].map((v) => fmtNumber(v))).toEqual(['–', '–', '–']);
    expect([Infinity, -Infinity, 0].map((v) => fmtNumber(v))).toEqual(['∞', '-∞', '0']);
    expect(fmtNumber(0.203312)).toBe('0.2033');
    expect(fmtNumber(2.133 / 3.9, 3)).toBe('0.547');
    expect(fmtNumber(0.0001234)).toBe('1.23e-4');
    expect(fmtNumber(-0.0009999)).toBe('-1.00e-3');
    expect(fmtNumber(0.001)).toBe('0.001');
    expect(fmtNumber(999999)).toBe('1000000');
    expect(fmtNumber(1234567)).toBe('1.23e+6');
    expect(fmtPercent(25 / 80)).toBe('31.3 %');
    expect([null, NaN, Infinity].map((v) => fmtPercent(v))).toEqual(['–', '–', '–']);
  });

  it('escapes pipes, backslashes and line breaks in Markdown cells', () => {
    expect(markdownTable(['a', 'b'], [['x|y', 'c\\d\ne']])).toEqual([
      '| a | b |',
      '|---|---|',
      '| x\\|y | c\\\\d e |',
    ]);
  });
});
