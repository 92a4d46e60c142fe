import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createDatasetMeta, landmarkSetInfo, type CaseRecord } from '../../src/core/data/dataset';
import { ISBI_SET } from '../../src/core/data/landmarkSet';
import { chooseEvalList } from '../../src/core/data/splits';
import type { Point } from '../../src/core/image';
import { messageText } from '../../src/core/messages';
import { addCases, createDataset, deleteDataset, getCase, getDataset } from '../../src/store/datasets';
import { StorageFullError } from '../../src/store/errors';
import type { Kv } from '../../src/store/kv';
import { openStudioStorage } from '../../src/store/storage';
import {
  countedTracings,
  deleteTracing,
  getTracing,
  importTracings,
  TracingFileRefused,
  tracingsToCsv,
  tracingToText,
  listTracings,
  parseTracingTargetKey,
  saveTracing,
  tracingTargetKey,
  type TracingTarget,
} from '../../src/store/tracings';

const open = () => openStudioStorage({ prefix: `t-${globalThis.crypto.randomUUID()}` });
const SET = landmarkSetInfo(ISBI_SET);
const SYMBOLS = SET.symbols;

function record(id: string, landmarks: Point[] | null): CaseRecord {
  return {
    id,
    split: 'train',
    source: { xrayPath: `xray/${id}.jpg` },
    photoSize: { width: 1935, height: 2400 },
    xraySize: { width: 1935, height: 2400 },
    landmarks,
    flags: [],
    state: { excluded: false },
  };
}

async function realDataset(kv: Kv, id = 'dsReal'): Promise<void> {
  await createDataset(
    kv,
    createDatasetMeta({ id, name: 'films', layout: 'folders', evalList: chooseEvalList([], 1) }),
  );
  const blob = (n: number) => new Blob([new Uint8Array(n)], { type: 'image/jpeg' });
  await addCases(kv, id, [
    { record: record('001', null), images: { xray: { blob: blob(10), fileName: 'xray/001.jpg' } } },
    { record: record('002', null), images: { xray: { blob: blob(10), fileName: 'xray/002.jpg' } } },
  ]);
}

const pts = (k: number, skip: number[] = []): (Point | null)[] =>
  SYMBOLS.map((_, i) => (skip.includes(i) ? null : ([100 + i * 10 + k, 200 + i * 5] as Point)));

const ckpt: TracingTarget = { kind: 'checkpoint', runId: 'run01', name: 'best / v2' };

function quotaOnSetMany(kv: Kv): Kv {
  return {
    ...kv,
    async setMany() {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    },
    // the ground-truth write reads and writes in one transaction (updateMany)
    async updateMany() {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    },
  };
}

describe('store tracings', () => {
  it('saves, replaces (same id and creation time), lists by dataset / target / case and deletes', async () => {
    const s = await open();
    const kv = s.datasets;
    expect(parseTracingTargetKey(tracingTargetKey(ckpt), 'demo-20-1')).toEqual(ckpt);
    const a = await saveTracing(
      kv,
      {
        datasetId: 'demo-20-1',
        caseId: 'case_0003',
        target: ckpt,
        points: pts(0, [4]),
        symbols: SYMBOLS,
        tracer: ' Dr. Li ',
      },
      { nowMs: 1000 },
    );
    expect(a.groundTruthWritten).toBe(false);
    expect(a.record).toMatchObject({ tracer: 'Dr. Li', createdAt: 1000, updatedAt: 1000, assisted: false });
    expect(a.record.points[4]).toBeNull();
    const b = await saveTracing(
      kv,
      { datasetId: 'demo-20-1', caseId: 'case_0003', target: ckpt, points: pts(1), symbols: SYMBOLS },
      { nowMs: 2000 },
    );
    expect(b.record.id).toBe(a.record.id);
    expect(b.record).toMatchObject({ createdAt: 1000, updatedAt: 2000 });
    expect(b.record.tracer).toBeUndefined();
    const other: TracingTarget = { kind: 'checkpoint', runId: 'run01', name: 'last' };
    await saveTracing(kv, {
      datasetId: 'demo-20-1',
      caseId: 'case_0004',
      target: other,
      points: pts(2),
      symbols: SYMBOLS,
      assisted: 'groundTruth',
    });
    await saveTracing(kv, {
      datasetId: 'demo-20-10',
      caseId: 'case_0003',
      target: ckpt,
      points: pts(3),
      symbols: SYMBOLS,
    });
    expect((await listTracings(kv, 'demo-20-1')).map((r) => r.caseId)).toEqual(['case_0003', 'case_0004']);
    expect((await listTracings(kv, 'demo-20-1', { target: ckpt })).map((r) => r.caseId)).toEqual([
      'case_0003',
    ]);
    expect(await listTracings(kv, 'demo-20-1', { caseId: 'case_0004' })).toHaveLength(1);
    expect(countedTracings(await listTracings(kv, 'demo-20-1'))).toHaveLength(1);
    const got = await getTracing(kv, 'demo-20-1', 'case_0003', ckpt);
    expect(got?.points[0]).toEqual([101, 200]);
    expect(await deleteTracing(kv, 'demo-20-1', 'case_0003', ckpt)).toBe(true);
    expect(await deleteTracing(kv, 'demo-20-1', 'case_0003', ckpt)).toBe(false);
    expect(await listTracings(kv, 'demo-20-1')).toHaveLength(1);
    expect(await listTracings(kv, 'demo-20-10')).toHaveLength(1);
  });

  it('refuses a tracing whose points do not match its landmarks', async () => {
    const s = await open();
    await expect(
      saveTracing(s.datasets, {
        datasetId: 'd1',
        caseId: 'c1',
        target: ckpt,
        points: pts(0).slice(1),
        symbols: SYMBOLS,
      }),
    ).rejects.toThrow(/18 points for 19 landmarks/);
    const bad = pts(0);
    bad[2] = [Number.NaN, 3];
    await expect(
      saveTracing(s.datasets, { datasetId: 'd1', caseId: 'c1', target: ckpt, points: bad, symbols: SYMBOLS }),
    ).rejects.toThrow(/landmark Or is not a finite/);
    expect(await listTracings(s.datasets, 'd1')).toEqual([]);
  });

  it('a complete tracing of a real X-ray becomes its ground truth (one transaction); incomplete or assisted ones do not', async () => {
    const s = await open();
    const kv = s.datasets;
    await realDataset(kv);
    expect((await getDataset(kv, 'dsReal'))?.landmarkSet).toBeNull();
    const real: TracingTarget = { kind: 'real', datasetId: 'dsReal' };
    // one landmark not identifiable: stored as a tracing, not as ground truth
    const partial = await saveTracing(
      kv,
      { datasetId: 'dsReal', caseId: '001', target: real, points: pts(0, [7]), symbols: SYMBOLS },
      { groundTruth: SET },
    );
    expect(partial.groundTruthWritten).toBe(false);
    expect((await getCase(kv, 'dsReal', '001'))?.record.landmarks).toBeNull();
    // review from pre-placed ground truth: never ground truth
    const assisted = await saveTracing(
      kv,
      {
        datasetId: 'dsReal',
        caseId: '002',
        target: real,
        points: pts(0),
        symbols: SYMBOLS,
        assisted: 'groundTruth',
      },
      { groundTruth: SET },
    );
    expect(assisted.groundTruthWritten).toBe(false);
    expect((await getCase(kv, 'dsReal', '002'))?.record.landmarks).toBeNull();

    const full = await saveTracing(
      kv,
      { datasetId: 'dsReal', caseId: '001', target: real, points: pts(5), symbols: SYMBOLS },
      { groundTruth: SET },
    );
    expect(full.groundTruthWritten).toBe(true);
    const c = await getCase(kv, 'dsReal', '001');
    expect(c?.record.landmarks).toHaveLength(19);
    expect(c?.record.landmarks?.[3]).toEqual([135, 215]);
    expect((await getDataset(kv, 'dsReal'))?.landmarkSet?.symbols).toEqual(SYMBOLS);
    expect((await getTracing(kv, 'dsReal', '001', real))?.points[7]).toEqual([175, 235]);

    // another landmark set is refused once the dataset has one
    await expect(
      saveTracing(
        kv,
        {
          datasetId: 'dsReal',
          caseId: '002',
          target: real,
          points: pts(0).slice(0, 3),
          symbols: SYMBOLS.slice(0, 3),
        },
        { groundTruth: { id: 'other', symbols: SYMBOLS.slice(0, 3), names: ['a', 'b', 'c'] } },
      ),
    ).rejects.toThrow(/uses the landmark set isbi2015-19/);

    // deleting the dataset deletes its tracings
    await deleteDataset(s, 'dsReal');
    expect(await listTracings(kv, 'dsReal')).toEqual([]);
  });

  it('a full disk gives StorageFullError and loses nothing (old tracing, case and manifest unchanged)', async () => {
    const s = await open();
    await realDataset(s.datasets);
    const real: TracingTarget = { kind: 'real', datasetId: 'dsReal' };
    await saveTracing(
      s.datasets,
      { datasetId: 'dsReal', caseId: '001', target: real, points: pts(0, [1]), symbols: SYMBOLS },
      { nowMs: 5 },
    );
    const full = quotaOnSetMany(s.datasets);
    for (const target of [real, ckpt]) {
      const err = await saveTracing(
        full,
        { datasetId: 'dsReal', caseId: '001', target, points: pts(9), symbols: SYMBOLS },
        { groundTruth: SET },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageFullError);
      expect((err as Error).message).toMatch(/storage for this site is full.*save the tracing again/);
    }
    const kept = await getTracing(s.datasets, 'dsReal', '001', real);
    expect(kept?.updatedAt).toBe(5);
    expect(kept?.points[1]).toBeNull();
    expect((await getCase(s.datasets, 'dsReal', '001'))?.record.landmarks).toBeNull();
    expect((await getDataset(s.datasets, 'dsReal'))?.landmarkSet).toBeNull();
    expect(await getTracing(s.datasets, 'dsReal', '001', ckpt)).toBeUndefined();
  });

  it('exports ISBI text / CSV and imports them back; a wrong landmark count or a non-number is refused naming file and line, nothing stored', async () => {
    const s = await open();
    const kv = s.datasets;
    const a = await saveTracing(kv, {
      datasetId: 'd1',
      caseId: '001',
      target: ckpt,
      points: pts(0, [2]),
      symbols: SYMBOLS,
    });
    const b = await saveTracing(kv, {
      datasetId: 'd1',
      caseId: '002',
      target: ckpt,
      points: pts(1),
      symbols: SYMBOLS,
    });
    const txt = tracingToText(a.record);
    expect(txt.split('\n')[2]).toBe('NaN,NaN');
    expect(txt.split('\n')[0]).toBe('100.00,200.00');
    const csv = tracingsToCsv([a.record, b.record]);
    expect(csv.split('\n')[0]).toMatch(/^image_path,1_x,1_y,.*,19_x,19_y$/);
    const other: TracingTarget = { kind: 'checkpoint', runId: 'run02', name: 'last' };
    const opts = { datasetId: 'd1', target: other, symbols: SYMBOLS, caseIds: ['001', '002'], tracer: 'imp' };
    const fromCsv = await importTracings(kv, 'all.csv', csv, opts);
    expect(fromCsv.map((r) => r.caseId)).toEqual(['001', '002']);
    expect(fromCsv[0].points[2]).toBeNull();
    expect(fromCsv[1].points).toEqual(b.record.points);
    const fromTxt = await importTracings(kv, '002.txt', tracingToText(b.record), { ...opts, target: ckpt });
    expect(fromTxt[0].points).toEqual(b.record.points);
    expect(fromTxt[0].id).toBe(b.record.id); // replaced, same record

    const before = await listTracings(kv, 'd1');
    const short = txt.split('\n').slice(0, 18).join('\n');
    const e1 = await importTracings(kv, '001.txt', short, opts).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(TracingFileRefused);
    expect((e1 as TracingFileRefused).message).toMatch(
      /^001\.txt, line 19: the file ends after 18 landmarks, 19 expected/,
    );
    expect((e1 as TracingFileRefused).line).toBe(19);
    expect(messageText((e1 as TracingFileRefused).text, 'zh')).toContain('第 19 行');
    const lines = txt.split('\n');
    lines[4] = '140,x7';
    const e2 = await importTracings(kv, '001.txt', lines.join('\n'), opts).catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(/^001\.txt, line 5: "140,x7" is not a landmark/);
    const e3 = await importTracings(kv, 'x.csv', csv.replace('002,', '009,'), opts).catch((e: unknown) => e);
    expect((e3 as Error).message).toMatch(/^x\.csv, line 3: the dataset has no case "009"/);
    expect(messageText((e3 as TracingFileRefused).text, 'zh')).toBe(
      'x.csv，第 3 行：数据集中没有病例“009”（文件与 CSV 行按图像基本名称匹配病例）。未导入任何内容。',
    );
    const after = await listTracings(kv, 'd1');
    expect(after).toEqual(before);
  });
});
