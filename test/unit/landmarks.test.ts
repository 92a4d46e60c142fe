import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/core/image';
import {
  landmarkFormatOf,
  matchCsvRows,
  parseAarizJson,
  parseIsbiText,
  parseLandmarkCsv,
  parseLandmarkFile,
  writeAarizJson,
  writeIsbiText,
  writeLandmarkCsv,
} from '../../src/core/io/landmarks';

const FIXTURES = new URL('../../../shared/fixtures/isbi2015-sample/', import.meta.url);
const SENIOR = readFileSync(new URL('senior.csv', FIXTURES), 'utf8');

const nineteen: Point[] = Array.from({ length: 19 }, (_, i) => [100 + i, 200 + 2 * i] as Point);

describe('ISBI text', () => {
  it('parses 19 x,y lines', () => {
    const r = parseIsbiText(writeIsbiText(nineteen), '001.txt');
    expect(r.problems).toEqual([]);
    expect(r.points).toEqual(nineteen);
  });

  it('ignores extra lines after the 19 and tolerates blank lines, spaces, CRLF and a BOM', () => {
    const body = nineteen.map(([x, y]) => ` ${x} , ${y} `).join('\r\n\r\n');
    const r = parseIsbiText('\ufeff' + body + '\r\n1\r\n2\r\nnot a landmark\r\n', '002.txt');
    expect(r.points).toEqual(nineteen);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ code: 'landmark-extra-lines', severity: 'info' });
    expect(r.problems[0].message).toContain('3 line(s)');
  });

  it('accepts tab, space and semicolon separators and decimals', () => {
    const text = nineteen.map(([x, y], i) => `${x + 0.25}${['\t', ' ', ';'][i % 3]}${y}`).join('\n');
    const r = parseIsbiText(text, 'x.txt');
    expect(r.points![0]).toEqual([100.25, 200]);
    expect(r.points![2]).toEqual([102.25, 204]);
  });

  it('reports a wrong count without points', () => {
    const r = parseIsbiText(writeIsbiText(nineteen.slice(0, 17)), '003.txt');
    expect(r.points).toBeNull();
    expect(r.problems).toEqual([
      expect.objectContaining({ file: '003.txt', code: 'landmark-count', severity: 'error' }),
    ]);
    expect(r.problems[0].message).toMatch(/17 landmarks found, 19 expected/);
  });

  it('reports non-numbers with the line number and never throws', () => {
    const lines = writeIsbiText(nineteen).split('\n');
    lines[4] = '12a,44';
    const r = parseIsbiText(lines.join('\n'), '004.txt');
    expect(r.points).toBeNull();
    expect(r.problems[0]).toMatchObject({ line: 5, code: 'landmark-not-number' });
    expect(r.problems[0].message).toContain('"12a,44"');
    for (const junk of [
      '',
      '\u0000\u0001',
      'NaN,NaN\n'.repeat(19),
      '1,2,3\n'.repeat(19),
      'Infinity,1\n'.repeat(19),
    ]) {
      const j = parseIsbiText(junk, 'junk.txt');
      expect(j.points).toBeNull();
      expect(j.problems.length).toBeGreaterThan(0);
    }
  });

  it('accepts another landmark count when asked', () => {
    expect(parseIsbiText(writeIsbiText(nineteen.slice(0, 5)), 'a.txt', { expected: 5 }).points).toHaveLength(
      5,
    );
    expect(parseIsbiText(writeIsbiText(nineteen), 'a.txt', { expected: null }).points).toHaveLength(19);
  });

  it('writes exactly what it reads (integers stay integers; decimals on request)', () => {
    const text = writeIsbiText(nineteen);
    expect(text.split('\n')[0]).toBe('100,200');
    expect(writeIsbiText(parseIsbiText(text, 'a.txt').points!)).toBe(text);
    expect(writeIsbiText([[1.23456, 2]], { decimals: 2 })).toBe('1.23,2.00\n');
  });
});

describe('CSV variant (senior.csv, 10 real ISBI films)', () => {
  it('parses the 10 rows and matches them to cases by image base name', () => {
    const r = parseLandmarkCsv(SENIOR, 'senior.csv');
    expect(r.problems).toEqual([]);
    expect(r.count).toBe(19);
    expect(r.rows.map((x) => x.caseKey)).toEqual([
      '001',
      '002',
      '003',
      '004',
      '005',
      '006',
      '007',
      '008',
      '009',
      '010',
    ]);
    // first and last values of 001 and 002 as in the file
    expect(r.byCase.get('001')![0]).toEqual([835, 996]);
    expect(r.byCase.get('001')![18]).toEqual([664, 1340]);
    expect(r.byCase.get('002')![1]).toEqual([1395, 985]);
    expect(r.rows[1].line).toBe(3);
    // every landmark lies on the 1935×2400 film
    for (const row of r.rows) {
      expect(row.points).toHaveLength(19);
      for (const [x, y] of row.points) {
        expect(x).toBeGreaterThan(0);
        expect(x).toBeLessThan(1935);
        expect(y).toBeGreaterThan(0);
        expect(y).toBeLessThan(2400);
      }
    }
  });

  it('round-trips through the writer', () => {
    const r = parseLandmarkCsv(SENIOR, 'senior.csv');
    const again = parseLandmarkCsv(writeLandmarkCsv(r.rows), 'again.csv');
    expect(again.rows.map((x) => x.points)).toEqual(r.rows.map((x) => x.points));
    expect(writeLandmarkCsv(r.rows).split('\n')[0]).toBe(SENIOR.split(/\r?\n/)[0]);
  });

  it('matches paths with folders and role suffixes, and reports a repeated image', () => {
    const header = SENIOR.split(/\r?\n/)[0];
    const row = SENIOR.split(/\r?\n/)[1].split(',').slice(1).join(',');
    const text = [
      header,
      `xray/017_xray.png,${row}`,
      `"dir, with comma/018.jpg",${row}`,
      `017.png,${row}`,
    ].join('\n');
    const r = parseLandmarkCsv(text, 'l.csv');
    expect([...r.byCase.keys()]).toEqual(['017', '018']);
    expect(r.problems).toEqual([
      expect.objectContaining({ line: 4, code: 'landmark-duplicate', severity: 'warning' }),
    ]);
  });

  it('assigns rows to planned cases by image base name and reports the rest', () => {
    const r = parseLandmarkCsv(SENIOR, 'senior.csv');
    const cases = [
      { id: '001', photoPath: 'photo/001.jpg', xrayPath: 'xray/001.png' },
      { id: 'p2', photoPath: 'p2/002_photo.jpg', xrayPath: 'p2/002_xray.jpg' },
      { id: 'train/003', alignedPath: 'train/003.jpg' },
      { id: 'val/003', alignedPath: 'val/003.jpg' },
    ];
    const m = matchCsvRows(cases, r, 'senior.csv');
    expect([...m.byCase.keys()]).toEqual(['001', 'p2']);
    expect(m.byCase.get('p2')![0]).toEqual([810, 1052]);
    expect(m.problems.map((p) => [p.line, p.code])).toEqual([
      [4, 'landmark-ambiguous'],
      [5, 'landmark-unmatched'],
      [6, 'landmark-unmatched'],
      [7, 'landmark-unmatched'],
      [8, 'landmark-unmatched'],
      [9, 'landmark-unmatched'],
      [10, 'landmark-unmatched'],
      [11, 'landmark-unmatched'],
    ]);
    expect(m.problems[1].message).toBe(
      'senior.csv, line 5: no imported image is named "004" (004.jpg); row not used.',
    );
  });

  it('reports a missing column in the header', () => {
    const header = SENIOR.split(/\r?\n/)[0].replace(',7_y', '');
    const r = parseLandmarkCsv(header + '\n', 'bad.csv');
    expect(r.rows).toEqual([]);
    expect(r.problems[0]).toMatchObject({ code: 'csv-missing-column', line: 1 });
    expect(r.problems[0].message).toContain('7_y');
    const noImage = parseLandmarkCsv('x,1_x,1_y\na,1,2\n', 'noimg.csv');
    expect(noImage.problems[0].message).toMatch(/image_path/);
  });

  it('skips bad rows with the line and column and keeps the good ones', () => {
    const lines = SENIOR.split(/\r?\n/).filter(Boolean);
    const cells = lines[3].split(',');
    cells[5] = 'abc'; // 3_x
    lines[3] = cells.join(',');
    lines[5] = lines[5].split(',').slice(0, 20).join(','); // truncated row
    const r = parseLandmarkCsv(lines.join('\n'), 'senior.csv');
    expect(r.rows).toHaveLength(8);
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toMatchObject({ line: 4, code: 'landmark-not-number' });
    expect(r.problems[0].message).toContain('3_x = "abc"');
    expect(r.problems[1]).toMatchObject({ line: 6 });
    expect(r.problems[1].message).toMatch(/landmark 10 is missing/);
  });

  it('never throws on garbage', () => {
    for (const junk of ['', '\n\n', '"unterminated', 'image_path\n,,,', '\u0000,\u0001']) {
      expect(() => parseLandmarkCsv(junk, 'j.csv')).not.toThrow();
      expect(parseLandmarkCsv(junk, 'j.csv').problems.length).toBeGreaterThan(0);
    }
  });
});

describe('Aariz JSON', () => {
  const doc = {
    ceph_id: 'cephalogram_001',
    landmarks: [
      { landmark_id: 1, symbol: 'S', title: 'Sella', value: { x: 812.5, y: 1001 } },
      { landmark_id: 2, symbol: 'N', title: 'Nasion', value: { x: 1470, y: 1022 } },
      { landmark_id: 3, symbol: 'Or', title: 'Orbitale', value: { x: 1290, y: 1280 } },
    ],
  };

  it('keeps names and symbols in file order', () => {
    const r = parseAarizJson(JSON.stringify(doc), 'cephalogram_001.json');
    expect(r.problems).toEqual([]);
    expect(r.cephId).toBe('cephalogram_001');
    expect(r.symbols).toEqual(['S', 'N', 'Or']);
    expect(r.names).toEqual(['Sella', 'Nasion', 'Orbitale']);
    expect(r.points).toEqual([
      [812.5, 1001],
      [1470, 1022],
      [1290, 1280],
    ]);
    const again = parseAarizJson(writeAarizJson('cephalogram_001', r.points!, r.symbols!, r.names), 'x.json');
    expect(again.points).toEqual(r.points);
    expect(again.names).toEqual(r.names);
  });

  it('reports invalid JSON, a missing list, a non-numeric value and a wrong count', () => {
    expect(parseAarizJson('{"landmarks": [', 'a.json').problems[0].code).toBe('json-invalid');
    expect(parseAarizJson('{"points": []}', 'a.json').problems[0].message).toMatch(/no "landmarks" list/);
    const bad = structuredClone(doc);
    (bad.landmarks[1].value as { x: unknown }).x = '1470';
    const r = parseAarizJson(JSON.stringify(bad), 'b.json');
    expect(r.points).toBeNull();
    expect(r.problems[0].message).toContain('landmark "N"');
    expect(parseAarizJson(JSON.stringify(doc), 'c.json', { expected: 29 }).problems[0].message).toMatch(
      /3 landmarks found, 29 expected/,
    );
    expect(() => parseAarizJson('null', 'n.json')).not.toThrow();
  });
});

describe('dispatch by file name', () => {
  it('picks the parser from the extension', () => {
    expect(landmarkFormatOf('a/001.TXT')).toBe('isbi-txt');
    expect(landmarkFormatOf('x.json')).toBe('aariz-json');
    expect(landmarkFormatOf('senior.csv')).toBe('isbi-csv');
    expect(parseLandmarkFile('001.txt', writeIsbiText(nineteen)).points).toEqual(nineteen);
    expect(parseLandmarkFile('001.pts', 'x').problems[0].code).toBe('landmark-format');
  });
});
