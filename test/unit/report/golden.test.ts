/**
 * The review report's golden check: for each scenario of fixtures.ts, report.md in English and
 * Simplified Chinese, report.json, the curves figure's panels and the ZIP's file list (name, size
 * and SHA-256 of each file) must equal the files in golden/, written by the report before it was
 * split into src/core/eval/report/ and its prose moved into core/messages/report.ts. A change of
 * one byte fails. `GOLDEN_WRITE=1` rewrites the files (only for an intended change of the output).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { reportCurvePanels, reviewBundle } from '../../../src/core/eval/report';
import { goldenScenarios } from './fixtures';

const DIR = join(__dirname, 'golden');
const WRITE = process.env.GOLDEN_WRITE === '1';

function check(file: string, actual: string): void {
  const path = join(DIR, file);
  if (WRITE) writeFileSync(path, actual);
  expect(existsSync(path), `${path} is missing: run with GOLDEN_WRITE=1 once`).toBe(true);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

function zipListing(zip: Uint8Array): string {
  const files = unzipSync(zip);
  return (
    Object.keys(files)
      .sort()
      .map((n) => `${n} ${files[n].length} ${createHash('sha256').update(files[n]).digest('hex')}`)
      .join('\n') + '\n'
  );
}

describe('the review report is byte-identical to its golden files', () => {
  for (const s of goldenScenarios())
    it(s.name, () => {
      const en = reviewBundle(s.input, 'en', s.pngs);
      const zh = reviewBundle(s.input, 'zh', s.pngs);
      check(`${s.name}.en.md`, en.markdown);
      check(`${s.name}.zh.md`, zh.markdown);
      check(`${s.name}.json.txt`, JSON.stringify(en.json, null, 2) + '\n');
      expect(JSON.stringify(zh.json)).toBe(JSON.stringify(en.json));
      check(
        `${s.name}.curves.txt`,
        JSON.stringify(reportCurvePanels(s.input.rounds, s.input.gate), null, 2) + '\n',
      );
      check(`${s.name}.zip.txt`, `en\n${zipListing(en.zip)}zh\n${zipListing(zh.zip)}`);
    });
});
