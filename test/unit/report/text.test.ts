/**
 * The review report's prose lives in one en/zh table (core/messages/report.ts, REPORT_TEXT):
 * no report module holds Chinese text outside comments (no inline en/zh pairs), every entry is
 * used by a module, and each entry's English and Chinese name the same placeholders.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPORT_TEXT } from '../../../src/core/messages/report';
import { auditFlagNames, reportText, reportTextBoth } from '../../../src/core/eval/report/text';

const DIR = join(__dirname, '../../../src/core/eval/report');
const sources = readdirSync(DIR)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, text: readFileSync(join(DIR, f), 'utf8') }));

/** The source without its comments (block and line comments; strings keep their `//`). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

const placeholders = (s: string): string[] =>
  [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

describe('the report prose table', () => {
  it('leaves no Chinese text in the report modules outside comments', () => {
    const han = sources
      .map(({ file, text }) => ({ file, hits: code(text).match(/[\u4e00-\u9fff]+/g) ?? [] }))
      .filter((x) => x.hits.length > 0);
    expect(han).toEqual([]);
  });

  it('uses every entry and names the same placeholders in English and Chinese', () => {
    const all = sources.map((s) => code(s.text)).join('\n');
    const unused = Object.keys(REPORT_TEXT).filter((k) => !all.includes(`'${k}'`));
    expect(unused).toEqual([]);
    const mismatched = Object.entries(REPORT_TEXT)
      .filter(([, t]) => placeholders(t.en).join() !== placeholders(t.zh).join())
      .map(([k]) => k);
    expect(mismatched).toEqual([]);
  });

  it('fills placeholders per language', () => {
    expect(reportText('review.compare.heading', 'zh', { n: 3 })).toBe('训练对比（3 个训练）');
    expect(
      reportTextBoth('review.finding.data.concentratedTitle', (lang) => ({
        flag: lang === 'en' ? 'Too dark' : '过暗',
      })),
    ).toEqual({
      en: 'Failures concentrate in audit flag “Too dark”',
      zh: '失败样本集中在审计标记“过暗”',
    });
  });

  it('names audit flags from the audit message table, unknown codes as they are', () => {
    expect(auditFlagNames(['too-dark', 'burned-in-label', 'no-such-flag', '(none)'])).toEqual({
      'too-dark': { en: 'Too dark', zh: '过暗' },
      'burned-in-label': { en: 'Burned-in label', zh: '烧录标签' },
      'no-such-flag': { en: 'no-such-flag', zh: 'no-such-flag' },
      '(none)': { en: '(none)', zh: '(none)' },
    });
  });
});
