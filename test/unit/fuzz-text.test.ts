/**
 * Property-based fuzzing (fast-check, fixed seeds) of the text parsers: landmark files (ISBI text,
 * ISBI CSV, Aariz JSON), tracing files (text, CSV), and the pix2pix server's options file and loss
 * log. FUZZ_RUNS inputs per parser: valid files mutated at random, files assembled from the
 * tokens these formats are made of (numbers at their limits, separators, quotes, BOMs, header
 * cells with absurd landmark numbers, prototype names), and random text.
 *
 * The landmark and tracing parsers never throw: bad input is a value (FileProblem /
 * TracingFileError) whose message names the file. The options parser throws only
 * CheckpointFormatError; the loss-log parser never throws. Every call < MAX_CALL_MS, and what comes
 * out is bounded by what went in (points per file, problems per line, message length).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import {
  MAX_LANDMARKS,
  parseAarizJson,
  parseIsbiText,
  parseLandmarkCsv,
  writeAarizJson,
  writeIsbiText,
  writeLandmarkCsv,
} from '../../src/core/io/landmarks';
import { parseLossLog, parseTrainOptDetailed } from '../../src/core/io/serverImport';
import { parseTracingCsv, parseTracingText, writeTracingCsv } from '../../src/core/landmarks/tracingFile';
import { messageText } from '../../src/core/messages';
import type { FileProblem } from '../../src/core/data/dataset';
import { FUZZ_RUNS, mutatedText, newStats, nothingThrown, probe, report, type FuzzStats } from './fuzz-kit';

const all: FuzzStats[] = [];
afterAll(() => all.forEach(report));

const pts = (n: number): [number, number][] => Array.from({ length: n }, (_, i) => [100 + i * 7.5, 200 - i]);
const MAX_MESSAGE = 600;

/** Tokens the text formats are made of, at their limits. */
const cellArb = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '1e308',
    '1e309',
    '-0',
    '.5',
    '5.',
    'NaN',
    'nan',
    'inf',
    'Infinity',
    '0x10',
    '1_000',
    '',
    ' ',
    '"',
    '""',
    '"a,b"',
    '\ufeff',
    '１２',
    '__proto__',
    'constructor',
    'toString',
    'image_path',
    'id',
    '1_x',
    '1_y',
    '19_y',
    '20_x',
    '0_x',
    '99999999999_x',
    '9007199254740993_y',
    'landmark_5x',
    'p3_y',
  ),
  fc.double({ noNaN: false }).map(String),
  fc.integer({ min: -100000, max: 100000 }).map(String),
  fc.string({ maxLength: 6 }),
);
const sepArb = fc.constantFrom(',', ';', '\t', ' ', ', ', '\r', '\r\n', '\n', '\u2028');
const tokenText = fc
  .array(fc.tuple(cellArb, sepArb), { maxLength: 60 })
  .map((xs) => xs.map(([c, s]) => c + s).join(''));

function checkProblems(problems: readonly FileProblem[], file: string, text: string): void {
  // at most one problem per line (text, CSV) or per landmark (JSON), plus a few per file
  expect(problems.length).toBeLessThanOrEqual(text.length + 3);
  for (const p of problems) {
    expect(p.file).toBe(file);
    expect(p.message).toContain(file);
    expect(p.message.length).toBeLessThan(MAX_MESSAGE + file.length);
    expect(['error', 'warning', 'info']).toContain(p.severity);
  }
}

describe('fuzz: landmark files (problems as values, nothing thrown)', () => {
  const isbi = writeIsbiText(pts(19));
  const csv = writeLandmarkCsv([
    { imagePath: '001.png', points: pts(19) },
    { imagePath: 'dir/002_xray.jpg', points: pts(19) },
  ]);
  const aariz = writeAarizJson('001', pts(3), ['S', 'N', 'Or'], ['Sella', 'Nasion', 'Orbitale']);

  it(`parseIsbiText: ${FUZZ_RUNS} inputs`, () => {
    const stats = newStats('landmarks ISBI text (parseIsbiText)', 'FileProblem values');
    all.push(stats);
    fc.assert(
      fc.property(
        fc.oneof(mutatedText(isbi, 6), tokenText, fc.string({ maxLength: 300 })),
        fc.constantFrom(19, null, 0, 3),
        (text, expected) => {
          const r = probe(stats, nothingThrown, () => parseIsbiText(text, '001.txt', { expected }))!;
          checkProblems(r.problems, '001.txt', text);
          if (r.points) {
            if (expected !== null) expect(r.points.length).toBe(expected);
            for (const [x, y] of r.points) expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
          }
        },
      ),
      { seed: 0x7e1701, numRuns: FUZZ_RUNS },
    );
  });

  it(`parseLandmarkCsv: ${FUZZ_RUNS} inputs`, () => {
    const stats = newStats('landmarks CSV (parseLandmarkCsv)', 'FileProblem values');
    all.push(stats);
    const header = fc
      .array(cellArb, { minLength: 1, maxLength: 8 })
      .map((cells) => ['image_path', ...cells].join(','));
    const structured = fc
      .tuple(header, fc.array(fc.array(cellArb, { maxLength: 8 }), { maxLength: 6 }))
      .map(([h, rows]) => [h, ...rows.map((r) => r.join(','))].join('\n'));
    fc.assert(
      fc.property(
        fc.oneof(mutatedText(csv, 6), structured, tokenText, fc.string({ maxLength: 300 })),
        fc.constantFrom(19, null, 2),
        (text, expected) => {
          const r = probe(stats, nothingThrown, () => parseLandmarkCsv(text, 'lm.csv', { expected }))!;
          checkProblems(r.problems, 'lm.csv', text);
          if (expected !== null && r.rows.length) expect(r.count).toBe(expected);
          expect(r.count).toBeLessThanOrEqual(expected ?? MAX_LANDMARKS);
          for (const row of r.rows) expect(row.points.length).toBe(r.count);
          expect(r.rows.length).toBeLessThanOrEqual(text.split(/\r\n|\r|\n/).length);
        },
      ),
      { seed: 0x7e1702, numRuns: FUZZ_RUNS },
    );
  });

  it(`parseAarizJson: ${FUZZ_RUNS} inputs`, () => {
    const stats = newStats('landmarks Aariz JSON (parseAarizJson)', 'FileProblem values');
    all.push(stats);
    const jsonish = fc
      .anything({ maxDepth: 3, maxKeys: 4 })
      .map((v) => JSON.stringify({ ceph_id: v, landmarks: [v, { symbol: 'S', value: v }] }) ?? '');
    const landmarksArb = fc
      .array(
        fc.record({
          symbol: fc.oneof(fc.string({ maxLength: 4 }), fc.nat()),
          value: fc.oneof(
            fc.record({ x: fc.oneof(fc.double(), fc.string({ maxLength: 3 })), y: fc.double() }),
            fc.string({ maxLength: 200 }),
            fc.constant(null),
          ),
        }),
        { maxLength: 5 },
      )
      .map((l) => JSON.stringify({ ceph_id: 1, landmarks: l }));
    fc.assert(
      fc.property(
        fc.oneof(mutatedText(aariz, 6), jsonish, landmarksArb, fc.string({ maxLength: 200 })),
        fc.constantFrom(3, null),
        (text, expected) => {
          const r = probe(stats, nothingThrown, () => parseAarizJson(text, 'a.json', { expected }))!;
          checkProblems(r.problems, 'a.json', text);
          if (r.points) {
            expect(r.symbols!.length).toBe(r.points.length);
            for (const [x, y] of r.points) expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
          }
        },
      ),
      { seed: 0x7e1703, numRuns: FUZZ_RUNS },
    );
  });
});

describe('landmark messages stay short whatever the file holds', () => {
  it('a 10,000-character value or symbol is cut in the message', () => {
    const long = 'x'.repeat(10_000);
    const r = parseAarizJson(
      JSON.stringify({ landmarks: [{ symbol: long, value: { x: long, y: 1 } }] }),
      'long.json',
    );
    expect(r.points).toBeNull();
    expect(r.problems[0].message).toMatch(
      /^long\.json: landmark "x+… has no numeric value\.x \/ value\.y \(got \{"x":"x+…\)\.$/,
    );
    expect(r.problems[0].message.length).toBeLessThan(200);
  });
});

describe('fuzz: tracing files (TracingFileError values, nothing thrown)', () => {
  const text = writeIsbiText(pts(19)) + '1\n2\n';
  const csv = writeTracingCsv([
    { imagePath: '001.png', points: [...pts(18), null] },
    { imagePath: '"q",x.png', points: pts(19) },
  ]);

  function checkTracing(r: ReturnType<typeof parseTracingText>, file: string, expected: number | null): void {
    if (r.ok) {
      for (const row of r.rows) {
        if (expected !== null) expect(row.points.length).toBe(expected);
        for (const p of row.points) if (p) expect(Number.isFinite(p[0]) && Number.isFinite(p[1])).toBe(true);
      }
    } else {
      expect(r.error.file).toBe(file);
      const en = messageText(r.error.message, 'en');
      expect(en).toContain(file);
      expect(messageText(r.error.message, 'zh')).toContain(file);
      expect(en.length).toBeLessThan(MAX_MESSAGE + file.length);
    }
  }

  it(`parseTracingText: ${FUZZ_RUNS} inputs`, () => {
    const stats = newStats('tracing text (parseTracingText)', 'TracingFileError values');
    all.push(stats);
    fc.assert(
      fc.property(
        fc.oneof(mutatedText(text, 6), tokenText, fc.string({ maxLength: 300 })),
        fc.constantFrom(19, null, 1),
        (t, expected) => {
          const r = probe(stats, nothingThrown, () => parseTracingText(t, 't/001.txt', { expected }))!;
          checkTracing(r, 't/001.txt', expected);
        },
      ),
      { seed: 0x7e1704, numRuns: FUZZ_RUNS },
    );
  });

  it(`parseTracingCsv: ${FUZZ_RUNS} inputs`, () => {
    const stats = newStats('tracing CSV (parseTracingCsv)', 'TracingFileError values');
    all.push(stats);
    const structured = fc
      .tuple(
        fc.array(cellArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.array(cellArb, { maxLength: 9 }), { maxLength: 5 }),
      )
      .map(([h, rows]) => [['image', ...h].join(','), ...rows.map((r) => r.join(','))].join('\n'));
    fc.assert(
      fc.property(
        fc.oneof(mutatedText(csv, 6), structured, tokenText, fc.string({ maxLength: 300 })),
        fc.constantFrom(19, null, 1),
        (t, expected) => {
          const r = probe(stats, nothingThrown, () => parseTracingCsv(t, 'tr.csv', { expected }))!;
          checkTracing(r, 'tr.csv', expected);
          if (r.ok) for (const row of r.rows) expect(row.points.length).toBeLessThanOrEqual(t.length);
        },
      ),
      { seed: 0x7e1705, numRuns: FUZZ_RUNS },
    );
  });

  it('a header claiming landmark 99999999999 is refused at once (no loop over the missing columns)', () => {
    const t0 = performance.now();
    const r = parseTracingCsv('image_path,1_x,1_y,99999999999_x\n', 'big.csv', { expected: null });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(messageText(r.error.message, 'en')).toMatch(/big\.csv, line 1: landmark 99999999999/);
    const l = parseLandmarkCsv('image_path,1_x,1_y,99999999999_x\n', 'big.csv', { expected: null });
    expect(l.problems[0].message).toMatch(/big\.csv, line 1: landmark 99999999999/);
    expect(performance.now() - t0).toBeLessThan(100);
  });
});

describe('fuzz: server options and loss log', () => {
  const opt = [
    '----------------- Options ---------------',
    '               batch_size: 1                             ',
    '                    beta1: 0.5                           ',
    '                 crop_size: 256                          ',
    '                 gan_mode: vanilla                       ',
    '                lambda_L1: 100.0                         ',
    '                       lr: 0.0002                        ',
    '                     name: ceph                          \t[default: experiment_name]',
    '                     netD: basic                         ',
    '                     netG: unet_256                      ',
    '                      ngf: 64                            ',
    '                     norm: batch                         ',
    '                  no_flip: True                          \t[default: False]',
    '               preprocess: resize_and_crop               ',
    '----------------- End -------------------',
  ].join('\n');
  const log = [
    '================ Training Loss (Mon Jan  1 00:00:00 2024) ================',
    '(epoch: 1, iters: 100, time: 0.050, data: 0.002) G_GAN: 0.693 G_L1: 38.123 D_real: 0.693 D_fake: 0.693 ',
    '(epoch: 1, iters: 200, time: 0.051, data: 0.001) G_GAN: nan G_L1: inf D_real: -1e-3 D_fake: .5 ',
  ].join('\n');
  const optToken = fc.oneof(
    fc.constantFrom(
      'netG',
      'ngf',
      'norm',
      'lr',
      'name',
      '__proto__',
      'constructor',
      'toString',
      'n_epochs',
      'crop_size',
    ),
    fc.string({ maxLength: 5 }),
  );
  const optValue = fc.oneof(
    fc.constantFrom(
      'unet_256',
      'unet_99999999999999999999',
      'resnet_9blocks',
      '1e400',
      'NaN',
      'True',
      '-1',
      '0x10',
      '',
    ),
    fc.string({ maxLength: 8 }),
  );
  const structuredOpt = fc
    .array(fc.tuple(optToken, optValue, fc.boolean()), { maxLength: 12 })
    .map((xs) => xs.map(([k, v, d]) => `  ${k}: ${v}${d ? '\t[default: x]' : ''}`).join('\n'));

  it(`parseTrainOptDetailed: ${FUZZ_RUNS} inputs (CheckpointFormatError only)`, () => {
    const stats = newStats('server options (parseTrainOptDetailed)', 'CheckpointFormatError');
    all.push(stats);
    fc.assert(
      fc.property(fc.oneof(mutatedText(opt, 6), structuredOpt, fc.string({ maxLength: 300 })), (t) => {
        const r = probe(
          stats,
          (e) => e instanceof CheckpointFormatError,
          () => parseTrainOptDetailed(t, 'train_opt.txt'),
        );
        if (!r) return;
        expect(Object.keys(r.raw).length).toBeGreaterThan(0);
        for (const [k, v] of Object.entries(r.config)) {
          if (typeof v === 'number') expect(Number.isFinite(v), k).toBe(true);
        }
        expect(r.notes.length).toBeLessThanOrEqual(Object.keys(r.raw).length + 2);
      }),
      { seed: 0x7e1706, numRuns: FUZZ_RUNS },
    );
  });

  it(`parseLossLog: ${FUZZ_RUNS} inputs (nothing thrown)`, () => {
    const stats = newStats('server loss log (parseLossLog)', 'none: damaged lines skipped');
    all.push(stats);
    const structuredLog = fc
      .array(
        fc.tuple(
          fc.array(fc.tuple(optToken, fc.oneof(fc.integer().map(String), optValue)), { maxLength: 4 }),
          fc.array(fc.tuple(optToken, fc.oneof(fc.double().map(String), optValue)), { maxLength: 4 }),
        ),
        { maxLength: 6 },
      )
      .map((ls) =>
        ls
          .map(
            ([head, losses]) =>
              `(${head.map(([k, v]) => `${k}: ${v}`).join(', ')}) ${losses.map(([k, v]) => `${k}: ${v}`).join(' ')}`,
          )
          .join('\n'),
      );
    fc.assert(
      fc.property(fc.oneof(mutatedText(log, 6), structuredLog, fc.string({ maxLength: 300 })), (t) => {
        const r = probe(stats, nothingThrown, () => parseLossLog(t))!;
        expect(r.length).toBeLessThanOrEqual(t.split(/\r?\n/).length);
        for (const rec of r) {
          expect(Number.isSafeInteger(rec.epoch) && Number.isSafeInteger(rec.iters)).toBe(true);
          expect(Object.keys(rec.losses).length).toBeGreaterThan(0);
          expect(Object.getPrototypeOf(rec.losses)).toBe(Object.prototype);
        }
      }),
      { seed: 0x7e1707, numRuns: FUZZ_RUNS },
    );
  });
});
