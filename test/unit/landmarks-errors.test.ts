/**
 * Landmark accuracy in mm (src/core/landmarks/errors.ts), pixel spacing and ruler calibration
 * (calibration.ts) and tracing files (tracingFile.ts): radial errors with a calibrated spacing,
 * MRE / SD / SDR with skipped landmarks, calibration refusals in en + zh, tracing files refused
 * with the file and line named.
 */
import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/core/image';
import { messageText } from '../../src/core/messages';
import {
  checkMmPerPx,
  DEFAULT_MM_PER_PX,
  parseTracingCsv,
  parseTracingFile,
  parseTracingText,
  radialErrorsMm,
  rulerMmPerPx,
  summarizeErrors,
  writeTracingCsv,
  writeTracingText,
  type TracingParse,
} from '../../src/core/landmarks';

const CJK = /[\u4e00-\u9fff]/;

describe('radial errors in mm', () => {
  it('Euclidean distance times the pixel spacing; null where either side is missing', () => {
    const ref: Point[] = [
      [100, 100],
      [200, 200],
      [300, 300],
    ];
    const pred: (Point | null)[] = [[130, 140], null, [300, 300]];
    expect(radialErrorsMm(pred, ref, DEFAULT_MM_PER_PX)).toEqual([5, null, 0]);
    expect(radialErrorsMm(ref, [ref[0], null, ref[2]], 0.1)).toEqual([0, null, 0]);
  });

  it('with a ruler calibration: 10 mm over 200 px is 0.05 mm/px, so 50 px is 2.5 mm', () => {
    const cal = rulerMmPerPx([40, 60], [40, 260], 10);
    expect(cal).toEqual({ ok: true, mmPerPx: 0.05, lengthPx: 200 });
    if (!cal.ok) throw new Error('unreachable');
    expect(radialErrorsMm([[330, 440]], [[300, 400]], cal.mmPerPx)[0]).toBeCloseTo(2.5, 12);
    // a diagonal ruler: 3-4-5
    const diag = rulerMmPerPx([0, 0], [300, 400], 25);
    expect(diag.ok && diag.mmPerPx).toBeCloseTo(0.05, 12);
  });

  it('refuses mismatched sets and a bad spacing', () => {
    expect(() => radialErrorsMm([[0, 0]], [], 0.1)).toThrow(/1 predicted landmarks but 0 reference/);
    expect(() => radialErrorsMm([[0, 0]], [[1, 1]], 0)).toThrow(/positive/);
  });
});

describe('summaries: MRE, SD, SDR at 2 / 2.5 / 3 / 4 mm, per landmark', () => {
  const symbols = ['S', 'N', 'A'];
  // case 1: S 1 mm, N 2 mm (exactly on the radius: counted within), A skipped
  // case 2: S 3 mm, N 2.5 mm, A 5 mm
  const perCase = [
    [1, 2, null],
    [3, 2.5, 5],
  ];
  const s = summarizeErrors(perCase, symbols);

  it('overall numbers over the measured landmarks only', () => {
    expect(s.n).toBe(5);
    expect(s.missing).toBe(1);
    expect(s.cases).toBe(2);
    expect(s.mreMm).toBeCloseTo(13.5 / 5, 12);
    const mean = 13.5 / 5;
    const sd = Math.sqrt([1, 2, 3, 2.5, 5].reduce((t, e) => t + (e - mean) ** 2, 0) / 5);
    expect(s.sdMm).toBeCloseTo(sd, 12);
    expect(s.sdr).toEqual({ '2': 2 / 5, '2.5': 3 / 5, '3': 4 / 5, '4': 4 / 5 });
  });

  it('per landmark, with the skipped count that shows which landmarks are untraceable', () => {
    expect(s.perLandmark.map((l) => l.symbol)).toEqual(symbols);
    expect(s.perLandmark[0]).toMatchObject({ n: 2, missing: 0, mreMm: 2, sdMm: 1, maxMm: 3, sdr2: 0.5 });
    expect(s.perLandmark[1]).toMatchObject({ n: 2, missing: 0, mreMm: 2.25, sdr2: 0.5 });
    expect(s.perLandmark[1].sdr).toEqual({ '2': 0.5, '2.5': 1, '3': 1, '4': 1 });
    expect(s.perLandmark[2]).toMatchObject({ n: 1, missing: 1, mreMm: 5, sdMm: 0, sdr2: 0 });
  });

  it('a landmark never measured has no numbers (null), not 0 mm', () => {
    const t = summarizeErrors([[null], [null]], ['Go']);
    expect(t).toMatchObject({ n: 0, missing: 2, mreMm: null, sdMm: null });
    expect(t.perLandmark[0]).toMatchObject({ n: 0, missing: 2, mreMm: null, sdr2: null, sdr: null });
  });
});

describe('pixel spacing and ruler calibration refusals (en + zh)', () => {
  it.each([
    ['zero length', [[50, 50], [50, 50], 10], 'zero-length', /same point/],
    ['too short', [[50, 50], [51, 50], 10], 'too-short', /1 px long/],
    ['zero mm', [[0, 0], [0, 100], 0], 'non-positive-mm', /positive number of millimetres \(got 0\)/],
    ['negative mm', [[0, 0], [0, 100], -5], 'non-positive-mm', /got -5/],
    ['NaN mm', [[0, 0], [0, 100], Number.NaN], 'non-positive-mm', /got NaN/],
    ['no position', [[Number.NaN, 0], [0, 100], 10], 'not-finite', /no position/],
  ] as const)('%s is refused', (_name, [p1, p2, mm], code, en) => {
    const r = rulerMmPerPx(p1 as unknown as Point, p2 as unknown as Point, mm);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(code);
    expect(r.message.en).toMatch(en);
    expect(r.message.zh).toMatch(CJK);
  });

  it('a typed spacing must be a positive number', () => {
    expect(checkMmPerPx(0.1)).toEqual({ ok: true, mmPerPx: 0.1 });
    for (const [v, code] of [
      [0, 'non-positive-mm'],
      [-0.1, 'non-positive-mm'],
      [Number.NaN, 'not-finite'],
      [Number.POSITIVE_INFINITY, 'not-finite'],
    ] as const) {
      const r = checkMmPerPx(v);
      expect(r.ok ? 'ok' : r.code).toBe(code);
      if (!r.ok) expect(r.message.zh).toMatch(CJK);
    }
  });
});

function refusal(r: TracingParse): { line?: number; code: string; en: string; zh: string } {
  if (r.ok) throw new Error(`expected a refusal, got ${r.rows.length} row(s)`);
  const m = r.error.message;
  return { line: r.error.line, code: r.error.code, en: messageText(m, 'en'), zh: messageText(m, 'zh') };
}

const lines19 = Array.from({ length: 19 }, (_, i) => `${100 + i},${200 + 2 * i}`);

describe('tracing files: ISBI text', () => {
  it('reads 19 x,y lines, NaN,NaN as not identifiable, and ignores the evaluator class lines', () => {
    const text = [...lines19.slice(0, 4), 'NaN,NaN', ...lines19.slice(5), '1', '3', '2'].join('\r\n');
    const r = parseTracingText(text, 'tracings/001.txt');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0].caseKey).toBe('001');
    expect(r.rows[0].points[0]).toEqual([100, 200]);
    expect(r.rows[0].points[4]).toBeNull();
    expect(r.rows[0].points).toHaveLength(19);
    expect(messageText(r.notes[0], 'en')).toMatch(/3 single-number line/);
    expect(messageText(r.notes[0], 'zh')).toBe(
      'tracings/001.txt：标志点之后的 3 行单个数字已忽略（ISBI 评测文件的分类标签）。',
    );
  });

  it('refuses too few landmarks, naming the file and the line where the next one should be', () => {
    const e = refusal(parseTracingText(lines19.slice(0, 18).join('\n'), '001.txt'));
    expect(e).toMatchObject({ line: 19, code: 'landmark-count' });
    expect(e.en).toMatch(/^001\.txt, line 19: the file ends after 18 landmarks, 19 expected/);
    expect(e.zh).toMatch(/001\.txt 第 19 行/);
  });

  it('refuses too many landmarks at the first extra line', () => {
    const e = refusal(parseTracingText([...lines19, '5,6'].join('\n'), 'x/002.txt'));
    expect(e).toMatchObject({ line: 20, code: 'landmark-count' });
    expect(e.en).toMatch(/^x\/002\.txt, line 20: landmark 20 found, but the landmark set has 19/);
  });

  it('refuses a non-number, naming file and line (blank lines count)', () => {
    const text = ['', ...lines19.slice(0, 4), '12,abc', ...lines19.slice(5)].join('\n');
    const e = refusal(parseTracingText(text, '003.txt'));
    expect(e).toMatchObject({ line: 6, code: 'landmark-not-number' });
    expect(e.en).toMatch(/^003\.txt, line 6: "12,abc" is not a landmark/);
    expect(e.zh).toMatch(CJK);
    expect(
      refusal(parseTracingText([...lines19.slice(0, 3), '7', ...lines19.slice(3)].join('\n'), 'a.txt')),
    ).toMatchObject({
      line: 4,
    });
    expect(refusal(parseTracingText('', 'empty.txt'))).toMatchObject({ code: 'empty', line: 1 });
  });

  it('another landmark count when the set says so; any count with expected null', () => {
    const aariz = Array.from({ length: 29 }, (_, i) => `${i},${i}`).join('\n');
    expect(parseTracingText(aariz, 'c.txt', { expected: 29 }).ok).toBe(true);
    expect(refusal(parseTracingText(aariz, 'c.txt')).line).toBe(20);
    const any = parseTracingText(aariz, 'c.txt', { expected: null });
    expect(any.ok && any.rows[0].points.length).toBe(29);
  });

  it('writes and reads back exactly, skipped landmarks included', () => {
    const pts: (Point | null)[] = [[1.5, 2], null, [1935, 2400.25]];
    const text = writeTracingText(pts);
    expect(text).toBe('1.5,2\nNaN,NaN\n1935,2400.25\n');
    const r = parseTracingText(text, 't.txt', { expected: 3 });
    expect(r.ok && r.rows[0].points).toEqual(pts);
  });
});

describe('tracing files: CSV', () => {
  const header = ['image_path', ...Array.from({ length: 19 }, (_, k) => `${k + 1}_x,${k + 1}_y`)].join(',');
  const row = (name: string, cells?: string[]): string =>
    [name, ...(cells ?? Array.from({ length: 38 }, (_, i) => String(10 + i)))].join(',');

  it('reads rows matched by image base name; empty cells are not identifiable', () => {
    const cells = Array.from({ length: 38 }, (_, i) => String(i));
    cells[2] = '';
    cells[3] = '';
    const r = parseTracingCsv(
      [header, row('images/001.jpg'), row('002.png', cells)].join('\n'),
      'senior.csv',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rows.map((x) => [x.caseKey, x.line])).toEqual([
      ['001', 2],
      ['002', 3],
    ]);
    expect(r.rows[1].points[1]).toBeNull();
    expect(r.rows[1].points[2]).toEqual([4, 5]);
  });

  it('refuses a header with the wrong landmark count at line 1', () => {
    const short = ['image_path', ...Array.from({ length: 18 }, (_, k) => `${k + 1}_x,${k + 1}_y`)].join(',');
    const e = refusal(parseTracingCsv([short, row('001.jpg', Array(36).fill('1'))].join('\n'), 'a.csv'));
    expect(e).toMatchObject({ line: 1, code: 'landmark-count' });
    expect(e.en).toMatch(/^a\.csv, line 1: the header has 18 landmarks.*has 19/);
    expect(refusal(parseTracingCsv('name,foo\n1,2', 'b.csv'))).toMatchObject({ line: 1, code: 'csv-header' });
  });

  it('refuses a non-number naming the file, line and column; short rows and duplicates too', () => {
    const cells = Array.from({ length: 38 }, (_, i) => String(i));
    cells[7] = '12px';
    const e = refusal(
      parseTracingCsv([header, row('001.jpg'), '', row('002.jpg', cells)].join('\n'), 'c.csv'),
    );
    expect(e).toMatchObject({ line: 4, code: 'landmark-not-number' });
    expect(e.en).toMatch(/^c\.csv, line 4 \(002\.jpg\), column 4_y: "12px" is not a number/);
    expect(e.zh).toMatch(/c\.csv 第 4 行/);
    const half = Array.from({ length: 38 }, (_, i) => String(i));
    half[0] = '';
    expect(refusal(parseTracingCsv([header, row('x.jpg', half)].join('\n'), 'd.csv'))).toMatchObject({
      line: 2,
      code: 'landmark-not-number',
    });
    expect(refusal(parseTracingCsv([header, 'x.jpg,1,2'].join('\n'), 'e.csv'))).toMatchObject({
      line: 2,
      code: 'csv-row',
    });
    const dup = refusal(parseTracingCsv([header, row('a/001.jpg'), row('b/001.png')].join('\n'), 'f.csv'));
    expect(dup).toMatchObject({ line: 3, code: 'duplicate-image' });
    expect(dup.en).toMatch(/first is line 2/);
  });

  it('writes and reads back; parseTracingFile picks the format by extension', () => {
    const rows = [
      { imagePath: 'a,b.jpg', points: [[1, 2], null, [3.25, 4]] as (Point | null)[] },
      {
        imagePath: '002.jpg',
        points: [
          [5, 6],
          [7, 8],
          [9, 10],
        ] as (Point | null)[],
      },
    ];
    const csv = writeTracingCsv(rows);
    expect(csv.split('\n')[0]).toBe('image_path,1_x,1_y,2_x,2_y,3_x,3_y');
    expect(csv.split('\n')[1]).toBe('"a,b.jpg",1,2,,,3.25,4');
    const r = parseTracingFile('out.csv', csv, { expected: 3 });
    expect(r.ok && r.rows.map((x) => x.points)).toEqual(rows.map((x) => x.points));
    expect(refusal(parseTracingFile('x.json', '{}')).code).toBe('format');
    expect(() => writeTracingCsv([rows[0], { imagePath: 'z', points: [[1, 1]] }])).toThrow(
      /z has 1 landmarks/,
    );
  });
});
