/**
 * `cli measure` as a user runs it: measurements per image from the ISBI fixture CSV and from a
 * folder of ISBI text files, with and without `--reference` (radial errors, SDR, measurement
 * differences, unmatched images named), another landmark set (Aariz JSON symbols), and bad input
 * refused with the file and line (exit 2).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli';
import { ISBI_LANDMARKS } from '../../src/core/data/landmarkSet';
import type { Point } from '../../src/core/image';
import {
  measureAnalysis,
  parseTracingCsv,
  writeTracingText,
  type TracingRow,
} from '../../src/core/landmarks';
import { messageText } from '../../src/core/messages';

const ROOT = join(import.meta.dirname, '..', '..');
const SENIOR = join(ROOT, '..', 'shared', 'fixtures', 'isbi2015-sample', 'senior.csv');
const ISBI = ISBI_LANDMARKS.map((l) => l.id);

async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** Split one CSV line (RFC 4180 quotes). */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q && ch === '"' && line[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (ch === '"') q = !q;
    else if (ch === ',' && !q) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  return [...out, cur];
}

/** A CSV as rows of column -> cell. */
async function readCsv(path: string): Promise<Record<string, string>[]> {
  const [head, ...lines] = (await readFile(path, 'utf8')).trim().split('\n');
  const cols = cells(head);
  return lines.map((l) => Object.fromEntries(cells(l).map((c, i) => [cols[i], c])));
}

let dir = '';
let senior: TracingRow[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-measure-'));
  const parsed = parseTracingCsv(await readFile(SENIOR, 'utf8'), SENIOR);
  if (!parsed.ok) throw new Error(messageText(parsed.error.message, 'en'));
  senior = parsed.rows;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('measure', () => {
  it('--help lists the options', async () => {
    const r = await runMain(['measure', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: npm run cli -- measure --landmarks/);
    for (const o of ['--reference', '--analysis', '--mm_per_px', '--symbols', '--out', '--errors_out'])
      expect(r.stdout).toContain(o);
    expect((await runMain(['--help'])).stdout).toMatch(/measure\s+cephalometric measurements/);
  });

  it('every ISBI 2015 measurement for each image of the fixture CSV', async () => {
    const out = join(dir, 'isbi.csv');
    const r = await runMain(['measure', '--landmarks', SENIOR, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/10 image\(s\), analysis isbi2015 \(8 measurements\), 0\.1 mm\/px/);
    const rows = await readCsv(out);
    expect(rows).toHaveLength(80);
    expect(Object.keys(rows[0])).toEqual([
      'image', 'measurement', 'name', 'unit', 'value', 'norm_min', 'norm_max', 'status', 'isbi_class', 'isbi_class_name', 'missing',
    ]); // prettier-ignore
    for (const tr of senior) {
      for (const m of measureAnalysis('isbi2015', tr.points, ISBI, 0.1)) {
        const row = rows.find((x) => x.image === tr.caseKey && x.measurement === m.id)!;
        expect(Number(row.value)).toBeCloseTo(m.value!, 3);
        expect(row.unit).toBe(m.unit);
        expect(row.isbi_class).toBe(m.classification?.code ?? '');
        expect(row.missing).toBe('');
      }
    }
    // a pixel spacing of 0.05 halves the mm measurements and leaves angles alone
    const half = join(dir, 'half.csv');
    expect(
      (await runMain(['measure', '--landmarks', SENIOR, '--mm_per_px', '0.05', '--out', half])).code,
    ).toBe(0);
    const h = await readCsv(half);
    const pick = (rs: Record<string, string>[], id: string): number =>
      Number(rs.find((x) => x.image === '001' && x.measurement === id)!.value);
    expect(pick(h, 'MW')).toBeCloseTo(pick(rows, 'MW') / 2, 3);
    expect(pick(h, 'SNA')).toBeCloseTo(pick(rows, 'SNA'), 4);
  });

  it('Steiner: what the ISBI landmarks do not define is written unavailable with the missing symbols', async () => {
    const out = join(dir, 'steiner.csv');
    const r = await runMain(['measure', '--landmarks', SENIOR, '--analysis', 'steiner', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SND: unavailable .* missing D/);
    expect(r.stdout).toMatch(/OCC_SN: unavailable .* missing U6, L6/);
    const rows = await readCsv(out);
    const snd = rows.filter((x) => x.measurement === 'SND');
    expect(snd).toHaveLength(10);
    for (const x of snd) expect(x).toMatchObject({ value: '', status: 'unavailable', missing: 'D' });
    expect(rows.filter((x) => x.measurement === 'GOGN_SN').every((x) => x.value !== '')).toBe(true);
  });

  it('a folder of ISBI text files against --reference: radial errors, SDR, differences, unmatched named', async () => {
    const folder = join(dir, 'traced');
    await mkdir(folder);
    const a = ISBI.indexOf('A');
    for (const tr of senior.slice(0, 9)) {
      const pts = tr.points.map((p, i): Point | null =>
        tr.caseKey === '003' && i === a ? [p![0] + 30, p![1] + 40] : p,
      ); // A moved 50 px = 5 mm on 003
      await writeFile(join(folder, `${tr.caseKey}.txt`), writeTracingText(pts));
    }
    await writeFile(join(folder, '011.txt'), writeTracingText(senior[0].points)); // no reference
    const out = join(dir, 'vs.csv');
    const r = await runMain(['measure', '--landmarks', folder, '--reference', SENIOR, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no reference for: 011/);
    expect(r.stdout).toMatch(/reference images without landmarks to compare: 010/);
    expect(r.stdout).toMatch(/radial errors over 9 matched image\(s\), 171 landmarks/);
    expect(r.stdout).toMatch(/MRE 0\.03 mm .* SDR 2 mm 99\.4 %/);
    const errs = await readCsv(join(dir, 'vs_errors.csv'));
    expect(errs).toHaveLength(9 * 19 + 19 + 1);
    const e003 = errs.find((x) => x.image === '003' && x.symbol === 'A')!;
    expect(Number(e003.radial_error_mm)).toBeCloseTo(5, 6);
    expect(
      errs.filter((x) => x.image !== '(all)' && x !== e003).every((x) => Number(x.radial_error_mm) === 0),
    ).toBe(true);
    const sumA = errs.find((x) => x.image === '(all)' && x.symbol === 'A')!;
    expect(Number(sumA.radial_error_mm)).toBeCloseTo(5 / 9, 4);
    expect(Number(sumA.sdr_2mm)).toBeCloseTo(8 / 9, 4);
    const all = errs[errs.length - 1];
    expect(all).toMatchObject({ image: '(all)', symbol: '(all)', n: '171', missing: '0' });
    expect(Number(all.radial_error_mm)).toBeCloseTo(5 / 171, 4);
    expect(Number(all.sdr_4mm)).toBeCloseTo(170 / 171, 4);
    // measurement differences: only 003's measurements that use A move
    const rows = await readCsv(out);
    expect(Object.keys(rows[0])).toContain('difference');
    const d = (img: string, id: string): number =>
      Number(rows.find((x) => x.image === img && x.measurement === id)!.difference);
    expect(d('003', 'SNA')).not.toBeCloseTo(0, 3);
    expect(d('003', 'SNB')).toBeCloseTo(0, 9);
    expect(d('001', 'SNA')).toBeCloseTo(0, 9);
    expect(rows.find((x) => x.image === '011' && x.measurement === 'SNA')).toMatchObject({
      reference_value: '',
      difference: '',
      reference_missing: '(no reference)',
    });
  });

  it('another landmark set: Aariz JSON symbols are used by name', async () => {
    const folder = join(dir, 'aariz');
    await mkdir(folder);
    const p = senior[0].points as Point[];
    const at = (s: string): Point => p[ISBI.indexOf(s)];
    // Aariz order and spelling; the incisor tips are UIT / LIT, plus apices ISBI lacks
    const marks: [string, Point][] = [
      ['A', at('A')], ['ANS', at('ANS')], ['B', at('B')], ['Me', at('Me')], ['N', at('N')], ['Or', at('Or')],
      ['Pog', at('Pog')], ['PNS', at('PNS')], ['S', at('S')], ['Gn', at('Gn')], ['Go', at('Go')], ['Po', at('Po')],
      ['LIT', at('L1')], ['UIA', [at('U1')[0] - 60, at('U1')[1] - 200]], ['UIT', at('U1')],
      ['LIA', [at('L1')[0] - 70, at('L1')[1] + 190]],
    ]; // prettier-ignore
    const json = {
      ceph_id: 'c1',
      landmarks: marks.map(([symbol, [x, y]]) => ({ symbol, title: symbol, value: { x, y } })),
    };
    await writeFile(join(folder, 'c1.json'), JSON.stringify(json));
    const out = join(dir, 'aariz.csv');
    const r = await runMain(['measure', '--landmarks', folder, '--analysis', 'all', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = await readCsv(out);
    const isbi001 = Object.fromEntries(
      measureAnalysis('all', senior[0].points, ISBI, 0.1).map((m) => [m.id, m.value]),
    );
    const v = (id: string): string => rows.find((x) => x.measurement === id)!.value;
    expect(Number(v('SNA'))).toBeCloseTo(isbi001.SNA!, 3);
    expect(Number(v('MW'))).toBeCloseTo(isbi001.MW!, 3);
    expect(v('U1_NA_DEG')).not.toBe(''); // computable here, not on ISBI
    expect(v('INTERINCISAL')).not.toBe('');
    expect(rows.find((x) => x.measurement === 'FMIA')!.value).not.toBe(''); // L1A present
    expect(rows.find((x) => x.measurement === 'FHI')!.name).toBe('FHI (facial height index, S-Go / N-Me)');
    expect(rows.find((x) => x.measurement === 'OCC_SN')).toMatchObject({ value: '', missing: 'U6 L6' });
  });

  it('bad input: exit 2 with the file and line named', async () => {
    const folder = join(dir, 'bad');
    await mkdir(folder);
    await writeFile(join(folder, '001.txt'), writeTracingText(senior[0].points));
    await writeFile(join(folder, '002.txt'), writeTracingText(senior[1].points.slice(0, 18)));
    const r = await runMain(['measure', '--landmarks', folder, '--out', join(dir, 'bad.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/002\.txt, line 19: the file ends after 18 landmarks, 19 expected/);
    await writeFile(join(folder, '002.txt'), writeTracingText(senior[1].points).replace('1052', '10x2'));
    expect((await runMain(['measure', '--landmarks', folder, '--out', join(dir, 'bad.csv')])).stderr).toMatch(
      /002\.txt, line 1: "810,10x2" is not a landmark/,
    );
    const csv = join(dir, 'bad.csv.in.csv');
    await writeFile(csv, (await readFile(SENIOR, 'utf8')).replace('1473', 'n/a'));
    expect((await runMain(['measure', '--landmarks', csv, '--out', join(dir, 'x.csv')])).stderr).toMatch(
      /bad\.csv\.in\.csv, line 2 \(001\.jpg\), column 2_x: "n\/a" is not a number/,
    );
  });

  it('usage mistakes: exit 2 with one line', async () => {
    const cases: [string[], RegExp][] = [
      [['--landmarks', SENIOR, '--out', join(dir, 'a.csv'), '--mm_per_px', '0'], /--mm_per_px 0: .*above 0/],
      [['--landmarks', SENIOR, '--out', join(dir, 'a.csv'), '--mm_per_px', 'abc'], /--mm_per_px abc: .*not a number/],
      [['--landmarks', SENIOR, '--out', join(dir, 'a.csv'), '--analysis', 'downs'], /--analysis must be one of isbi2015, steiner, tweed, all/],
      [['--landmarks', SENIOR], /--out <csv> is required/],
      [['--out', join(dir, 'a.csv')], /--landmarks <csv or folder> is required/],
      [['--landmarks', join(dir, 'nope'), '--out', join(dir, 'a.csv')], /nope: no such file or folder/],
      [['--landmarks', SENIOR, '--symbols', 'S,N', '--out', join(dir, 'a.csv')], /header has 19 landmarks .* has 2/],
    ]; // prettier-ignore
    for (const [args, msg] of cases) {
      const r = await runMain(['measure', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });

  it('runs as `npm run cli -- measure` (tsx subprocess)', async () => {
    const out = join(dir, 'sub.csv');
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
          join(ROOT, 'src', 'cli.ts'),
          'measure',
          '--landmarks',
          SENIOR,
          '--out',
          out,
        ],
        { cwd: ROOT, timeout: 120_000 },
        (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout }),
      );
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/10 image\(s\)/);
    expect(await readCsv(out)).toHaveLength(80);
  });
});
