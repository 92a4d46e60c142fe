import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { createImage } from '../../src/core/image';
import { ISBI_SET } from '../../src/core/data/landmarkSet';
import {
  checkImageLimits,
  checkZipLimits,
  createDatasetMeta,
  importReportCounts,
  importReportToCsv,
  importReportToMarkdown,
  landmarkSetInfo,
  SCHEMA_VERSION,
  setCaseExcluded,
  type CaseRecord,
  type ImportReport,
} from '../../src/core/data/dataset';
import { chooseEvalList } from '../../src/core/data/splits';
import { decodeImageNode, encodeJpegNode, encodePngNode } from '../../src/core/io/decodeNode';
import {
  caseBaseName,
  checkAlignedImage,
  detectLayout,
  isHiddenPath,
  roleFromName,
  sniffImageType,
} from '../../src/core/data/layout';

const files = (...paths: string[]): { path: string; size: number }[] =>
  paths.map((path) => ({ path, size: 1000 }));

describe('(a) photo/ + xray/ folders', () => {
  it('pairs by base name under a top folder, with landmark text files', () => {
    const plan = detectLayout(
      files(
        'clinic/photo/001.jpg',
        'clinic/photo/002.jpg',
        'clinic/photo/010.jpg',
        'clinic/xray/001.png',
        'clinic/xray/002.png',
        'clinic/xray/010.png',
        'clinic/landmarks/001.txt',
        'clinic/landmarks/010.txt',
      ),
    );
    expect(plan.kind).toBe('folders');
    expect(plan.aligned).toBe(false);
    expect(plan.root).toBe('clinic');
    expect(plan.cases).toEqual([
      {
        id: '001',
        photoPath: 'clinic/photo/001.jpg',
        xrayPath: 'clinic/xray/001.png',
        landmarkPath: 'clinic/landmarks/001.txt',
      },
      { id: '002', photoPath: 'clinic/photo/002.jpg', xrayPath: 'clinic/xray/002.png' },
      {
        id: '010',
        photoPath: 'clinic/photo/010.jpg',
        xrayPath: 'clinic/xray/010.png',
        landmarkPath: 'clinic/landmarks/010.txt',
      },
    ]);
    expect(plan.landmarkFormat).toBe('isbi-txt');
    expect(plan.problems).toEqual([]);
    expect(plan.counts).toMatchObject({
      photos: 3,
      xrays: 3,
      cases: 3,
      pairs: 3,
      unpaired: 0,
      withLandmarks: 2,
    });
    expect(plan.summary).toContain(
      '3 photos and 3 X-rays in “clinic/” (photo and X-ray folders, paired by file name) → 3 complete cases.',
    );
    expect(plan.summary).toContain('Landmarks: ISBI text files for 2 of 3 cases.');
  });

  it.each([
    ['A', 'B'],
    ['face', 'ceph'],
    ['Faces', 'Cephalograms'],
    ['input', 'target'],
    ['profile', 'lateral'],
    ['photos', 'X-ray'],
  ])('recognises the synonyms %s/ and %s/ (case-insensitive)', (a, b) => {
    const plan = detectLayout(files(`${a}/7.png`, `${b}/7.png`));
    expect(plan.kind).toBe('folders');
    expect(plan.cases).toEqual([{ id: '7', photoPath: `${a}/7.png`, xrayPath: `${b}/7.png` }]);
  });

  it('uses configured folder names instead of the defaults', () => {
    const plan = detectLayout(files('rgb/1.png', 'rx/1.png'), {
      photoDirNames: ['RGB'],
      xrayDirNames: ['rx'],
    });
    expect(plan.cases).toEqual([{ id: '1', photoPath: 'rgb/1.png', xrayPath: 'rx/1.png' }]);
    // with the defaults these folders mean nothing: aligned images
    expect(detectLayout(files('rgb/1.png', 'rx/1.png')).kind).toBe('aligned');
  });

  it('takes splits from train/ val/ test/ at any depth and keeps same-named cases apart', () => {
    const plan = detectLayout(
      files(
        'd/train/photo/1.png',
        'd/train/xray/1.png',
        'd/val/photo/1.png',
        'd/val/xray/1.png',
        'd/photo/test/2.png',
        'd/xray/test/2.png',
      ),
    );
    expect(plan.splitsFromFolders).toBe(true);
    expect(plan.cases.map((c) => [c.id, c.split])).toEqual([
      ['2', 'test'],
      ['train/1', 'train'],
      ['val/1', 'val'],
    ]);
    expect(plan.summary).toContain('Splits from folders: train 1, val 1, test 1.');
  });

  it('reads CycleGAN folders trainA/trainB/testA/testB as role + split', () => {
    const plan = detectLayout(files('trainA/5.jpg', 'trainB/5.jpg', 'testA/9.jpg', 'testB/9.jpg'));
    expect(plan.cases).toEqual([
      { id: '5', photoPath: 'trainA/5.jpg', xrayPath: 'trainB/5.jpg', split: 'train' },
      { id: '9', photoPath: 'testA/9.jpg', xrayPath: 'testB/9.jpg', split: 'test' },
    ]);
    expect(plan.splitsFromFolders).toBe(true);
  });

  it('recognises patient folders holding photo.jpg + xray.png', () => {
    const plan = detectLayout(
      files('p001/photo.jpg', 'p001/xray.png', 'p002/face.jpg', 'p002/ceph.png', 'p002/p002.txt'),
    );
    expect(plan.cases).toEqual([
      { id: 'p001', photoPath: 'p001/photo.jpg', xrayPath: 'p001/xray.png' },
      { id: 'p002', photoPath: 'p002/face.jpg', xrayPath: 'p002/ceph.png', landmarkPath: 'p002/p002.txt' },
    ]);
  });

  it('reports unpaired files as errors and counts them', () => {
    const plan = detectLayout(files('photo/1.jpg', 'photo/2.jpg', 'xray/1.png', 'xray/3.png'));
    expect(plan.counts).toMatchObject({ cases: 3, pairs: 1, unpaired: 2 });
    expect(plan.cases.find((c) => c.id === '2')).toEqual({ id: '2', photoPath: 'photo/2.jpg' });
    const unpaired = plan.problems.filter((p) => p.code === 'unpaired');
    expect(unpaired.map((p) => p.file)).toEqual(['photo/2.jpg', 'xray/3.png']);
    expect(unpaired[0].severity).toBe('error');
    expect(unpaired[0].message).toMatch(/photo of case "2" has no X-ray/);
    expect(plan.summary).toContain('2 images without a partner');
  });

  it('keeps one image when a case has two photos and warns about the other', () => {
    const plan = detectLayout(files('photo/1.jpg', 'photo/1.png', 'xray/1.png'));
    expect(plan.cases).toEqual([{ id: '1', photoPath: 'photo/1.jpg', xrayPath: 'xray/1.png' }]);
    expect(plan.problems).toEqual([
      expect.objectContaining({ file: 'photo/1.png', code: 'duplicate-image', severity: 'warning' }),
    ]);
  });
});

describe('(b) the aligned layout', () => {
  it('one image per case, splits from folders, plan says split in half', () => {
    const plan = detectLayout(
      files('facades/train/1.jpg', 'facades/train/2.jpg', 'facades/val/3.jpg', 'facades/test/4.jpg'),
    );
    expect(plan.kind).toBe('aligned');
    expect(plan.aligned).toBe(true);
    expect(plan.root).toBe('facades');
    expect(plan.cases).toEqual([
      { id: '1', alignedPath: 'facades/train/1.jpg', split: 'train' },
      { id: '2', alignedPath: 'facades/train/2.jpg', split: 'train' },
      { id: '3', alignedPath: 'facades/val/3.jpg', split: 'val' },
      { id: '4', alignedPath: 'facades/test/4.jpg', split: 'test' },
    ]);
    expect(plan.splitsFromFolders).toBe(true);
    expect(plan.summary).toMatch(/aligned layout .* each image will be split in half → 4 cases/);
  });

  it('is not chosen when role folders exist; role-less images then get an error', () => {
    const plan = detectLayout(files('photo/1.png', 'xray/1.png', 'misc/2.png'));
    expect(plan.kind).toBe('folders');
    expect(plan.problems).toEqual([
      expect.objectContaining({ file: 'misc/2.png', code: 'unknown-role', severity: 'error' }),
    ]);
  });

  it('can be forced either way', () => {
    expect(detectLayout(files('1.png', '2.png'), { assume: 'paired' }).problems.map((p) => p.code)).toEqual([
      'unknown-role',
      'unknown-role',
    ]);
    expect(detectLayout(files('1_photo.png'), { assume: 'aligned' }).cases).toEqual([
      { id: '1_photo', alignedPath: '1_photo.png' },
    ]);
  });

  it('checks decoded sizes of aligned images', () => {
    expect(checkAlignedImage('a.png', 2472, 1520)).toBeNull();
    expect(checkAlignedImage('c.png', 1520, 1236)).toBeNull();
    expect(checkAlignedImage('b.png', 1935, 2400)).toMatchObject({
      code: 'aligned-not-pair',
      severity: 'error',
    });
  });
});

describe('(c) name suffixes and prefixes', () => {
  it.each([
    ['123_photo.jpg', '123_xray.png'],
    ['123-photo.jpg', '123-xray.png'],
    ['123_A.jpg', '123_B.jpg'],
    ['123_face.jpg', '123_ceph.png'],
    ['123_real_A.png', '123_real_B.png'],
    ['123 profile.jpg', '123 lateral.jpg'],
    ['photo_123.jpg', 'xray_123.png'],
    ['123_Photo.JPG', '123_X-Ray.PNG'],
  ])('%s + %s', (a, b) => {
    const plan = detectLayout(files(`zip/sub/${b}`, `zip/sub/${a}`));
    expect(plan.kind).toBe('suffix');
    expect(plan.root).toBe('zip/sub');
    expect(plan.cases).toEqual([{ id: '123', photoPath: `zip/sub/${a}`, xrayPath: `zip/sub/${b}` }]);
  });

  it('does not read lower-case _a/_b as roles, and skips generated fake_B images', () => {
    expect(roleFromName('scan_b')).toBeNull();
    expect(roleFromName('1_B')).toEqual({ role: 'xray', stem: '1' });
    const plan = detectLayout(files('r/1_real_A.png', 'r/1_real_B.png', 'r/1_fake_B.png'));
    expect(plan.cases).toHaveLength(1);
    expect(plan.problems).toEqual([
      expect.objectContaining({ file: 'r/1_fake_B.png', code: 'generated-image', severity: 'info' }),
    ]);
  });

  it('mixes folders and suffixes', () => {
    const plan = detectLayout(files('photo/1.jpg', 'xray/1.png', 'more/2_photo.jpg', 'more/2_xray.png'));
    expect(plan.kind).toBe('mixed');
    expect(plan.counts.pairs).toBe(2);
  });
});

describe('landmarks in the layout', () => {
  it('finds one CSV for all cases', () => {
    const plan = detectLayout(files('x/001_photo.jpg', 'x/001_xray.jpg', 'x/senior.csv'));
    expect(plan.landmarkFormat).toBe('isbi-csv');
    expect(plan.landmarkCsvPath).toBe('x/senior.csv');
    expect(plan.summary).toContain('one CSV (x/senior.csv)');
  });

  it('matches Aariz JSON files and reports unmatched, duplicate and ambiguous ones', () => {
    const plan = detectLayout(
      files(
        'train/photo/1.png',
        'train/xray/1.png',
        'val/photo/1.png',
        'val/xray/1.png',
        'photo/2.png',
        'xray/2.png',
        'ann/2.json',
        'ann2/2.json',
        'ann/1.json',
        'train/ann/1.json',
        'notes/README.txt',
      ),
    );
    expect(plan.landmarkFormat).toBe('aariz-json');
    expect(plan.cases.find((c) => c.id === '2')!.landmarkPath).toBe('ann/2.json');
    expect(plan.cases.find((c) => c.id === 'train/1')!.landmarkPath).toBe('train/ann/1.json');
    const byFile = Object.fromEntries(plan.problems.map((p) => [p.file, p]));
    expect(byFile['ann2/2.json']).toMatchObject({ code: 'landmark-duplicate', severity: 'warning' });
    expect(byFile['ann/1.json']).toMatchObject({ code: 'landmark-ambiguous', severity: 'warning' });
    expect(byFile['notes/README.txt']).toMatchObject({ code: 'landmark-unmatched', severity: 'info' });
  });
});

describe('files that are not images', () => {
  it('ignores hidden files, names DICOM as unsupported with a hint, reports other files', () => {
    const plan = detectLayout([
      ...files(
        'd/photo/1.jpg',
        'd/xray/1.png',
        'd/.DS_Store',
        '__MACOSX/d/photo/._1.jpg',
        'd/photo/Thumbs.db',
        'd/xray/2.dcm',
        'd/scan.tif',
        'd/report.pdf',
      ),
      { path: 'd/photo/3.jpg', size: 0 },
    ]);
    expect(plan.cases).toHaveLength(1);
    expect(plan.ignored).toEqual(['__MACOSX/d/photo/._1.jpg', 'd/.DS_Store', 'd/photo/Thumbs.db']);
    const byFile = Object.fromEntries(plan.problems.map((p) => [p.file, p]));
    expect(byFile['d/xray/2.dcm']).toMatchObject({ code: 'unsupported-dicom', severity: 'error' });
    expect(byFile['d/xray/2.dcm'].message).toContain('Export PNG from your DICOM viewer');
    expect(byFile['d/scan.tif']).toMatchObject({ code: 'unsupported-format', severity: 'error' });
    expect(byFile['d/report.pdf']).toMatchObject({ code: 'not-image', severity: 'info' });
    expect(byFile['d/photo/3.jpg']).toMatchObject({ code: 'empty-file', severity: 'error' });
    expect(plan.summary).toContain(
      'Skipped: 3 hidden/system files, 1 DICOM file (not supported: export PNG from your DICOM viewer), 2 other files.',
    );
  });

  it('normalises Windows paths and handles an empty drop', () => {
    const plan = detectLayout(files('C:\\data\\photo\\1.jpg'.replace('C:\\', ''), 'data\\xray\\1.jpg'));
    expect(plan.cases).toEqual([{ id: '1', photoPath: 'data/photo/1.jpg', xrayPath: 'data/xray/1.jpg' }]);
    const empty = detectLayout(files('readme.md'));
    expect(empty.kind).toBe('empty');
    expect(empty.summary).toMatch(/No PNG or JPEG images found/);
  });

  it('helpers: hidden paths, base names, content sniffing', () => {
    expect(isHiddenPath('a/.git/config')).toBe(true);
    expect(isHiddenPath('a/b.png')).toBe(false);
    expect(caseBaseName('images/001_xray.png')).toBe('001');
    expect(caseBaseName('001.jpg')).toBe('001');
    expect(sniffImageType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]))).toBe('png');
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    const dcm = new Uint8Array(140);
    dcm.set([0x44, 0x49, 0x43, 0x4d], 128);
    expect(sniffImageType(dcm)).toBe('dicom');
    expect(sniffImageType(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});

describe('import limits and the import report', () => {
  it('checks image size limits with messages that say what to do', () => {
    expect(checkImageLimits('ok.png', 8192, 8192, 50 * 1024 * 1024)).toBeNull();
    const big = checkImageLimits('huge.png', 9000, 4000, 1000);
    expect(big).toMatchObject({ file: 'huge.png', code: 'image-too-large', severity: 'error' });
    expect(big!.message).toBe(
      'huge.png: the image is 9000 × 4000 px, above the limit of 8192 px per side. Reduce it to at most 8192 px per side before importing.',
    );
    const heavy = checkImageLimits('scan.png', 0, 0, 60 * 1024 * 1024);
    expect(heavy!.message).toMatch(/60\.0 MB, above the limit of 50\.0 MB per image/);
    expect(checkZipLimits('a.zip', 100_001, 10)!.code).toBe('zip-too-many-entries');
    expect(checkZipLimits('a.zip', 10, 5 * 1024 ** 3)!.message).toMatch(
      /expands to 5\.0 GB, above the limit of 4 GB/,
    );
    expect(checkZipLimits('a.zip', 100_000, 4 * 1024 ** 3)).toBeNull();
  });

  it('exports the report as Markdown and CSV', () => {
    const report: ImportReport = {
      datasetName: 'Clinic | 2026',
      startedAt: '2026-02-21T18:00:00.000Z',
      finishedAt: '2026-02-21T18:01:00.000Z',
      files: [
        { path: 'photo/1.jpg', status: 'imported', message: 'ok', caseId: '1' },
        { path: 'xray/2.dcm', status: 'error', message: 'DICOM files are not supported, export "PNG"' },
        { path: '.DS_Store', status: 'skipped', message: 'hidden file' },
      ],
    };
    expect(importReportCounts(report)).toEqual({ imported: 1, skipped: 1, error: 1 });
    const md = importReportToMarkdown(report);
    expect(md.split('\n').slice(0, 9)).toEqual([
      '# Import report: Clinic \\| 2026',
      '',
      'Started 2026-02-21T18:00:00.000Z, finished 2026-02-21T18:01:00.000Z.',
      '',
      '1 imported, 1 skipped, 1 with errors (3 files).',
      '',
      '| file | status | case | message |',
      '|---|---|---|---|',
      '| xray/2.dcm | error |  | DICOM files are not supported, export "PNG" |',
    ]);
    expect(importReportToCsv(report)).toBe(
      'path,status,case,message\r\nphoto/1.jpg,imported,1,ok\r\n' +
        'xray/2.dcm,error,,"DICOM files are not supported, export ""PNG"""\r\n.DS_Store,skipped,,hidden file\r\n',
    );
  });

  it('creates dataset metadata with defaults and records exclusions with a reason', () => {
    const meta = createDatasetMeta({
      id: 'd1',
      name: 'demo',
      layout: 'folders',
      evalList: chooseEvalList(['a', 'b'], 1),
    });
    expect(meta).toMatchObject({ mmPerPx: 0.1, schemaVersion: SCHEMA_VERSION, splitSeed: 42, caseCount: 0 });
    expect(meta.preprocessing).toEqual({
      mode: 'letterbox',
      size: 512,
      pad: 'constant',
      padColor: [0, 0, 0],
      roi: null,
    });
    expect(landmarkSetInfo(ISBI_SET).symbols.slice(0, 3)).toEqual(['S', 'N', 'Or']);
    const rec: CaseRecord = {
      id: '1',
      split: 'train',
      source: {},
      photoSize: null,
      xraySize: null,
      landmarks: null,
      flags: [],
      state: { excluded: false },
    };
    const ex = setCaseExcluded(rec, true, ' motion blur ', new Date('2026-02-21T00:00:00Z'));
    expect(ex.state).toEqual({
      excluded: true,
      reason: 'motion blur',
      changedAt: '2026-02-21T00:00:00.000Z',
    });
    expect(rec.state.excluded).toBe(false);
    expect(() => setCaseExcluded(rec, true, ' ')).toThrow(/needs a reason/);
    expect(setCaseExcluded(ex, false).state.excluded).toBe(false);
  });
});

describe('decoding in Node', () => {
  const grey = createImage(3, 2);
  grey.data.set([
    0, 0, 0, 255, 100, 100, 100, 255, 255, 255, 255, 255, 7, 7, 7, 255, 8, 8, 8, 255, 9, 9, 9, 255,
  ]);

  it('round-trips grey and RGBA PNGs and decodes 16-bit, grey+alpha and palette PNGs', () => {
    const back = decodeImageNode(encodePngNode(grey), 'g.png');
    expect(back.ok && Array.from(back.image.data)).toEqual(Array.from(grey.data));
    const rgba = createImage(2, 1, [10, 20, 30, 40]);
    const b2 = decodeImageNode(encodePngNode(rgba), 'c.png');
    expect(b2.ok && Array.from(b2.image.data)).toEqual([10, 20, 30, 40, 10, 20, 30, 40]);
    const s16 = encodePng({ width: 2, height: 1, data: new Uint16Array([0, 65535]), channels: 1, depth: 16 });
    const d16 = decodeImageNode(s16, '16.png');
    expect(d16.ok && Array.from(d16.image.data)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
    const ga = encodePng({ width: 1, height: 1, data: new Uint8Array([50, 128]), channels: 2, depth: 8 });
    const dga = decodeImageNode(ga, 'ga.png');
    expect(dga.ok && Array.from(dga.image.data)).toEqual([50, 50, 50, 128]);
    const pal = encodePng({
      width: 2,
      height: 1,
      data: new Uint8Array([1, 0]),
      channels: 1,
      depth: 8,
      palette: [
        [255, 0, 0],
        [0, 0, 255],
      ],
    });
    const dp = decodeImageNode(pal, 'p.png');
    expect(dp.ok && Array.from(dp.image.data)).toEqual([0, 0, 255, 255, 255, 0, 0, 255]);
  });

  it('decodes JPEG close to the original', () => {
    const img = createImage(16, 16, [120, 120, 120, 255]);
    const d = decodeImageNode(encodeJpegNode(img, 95), 'a.jpg');
    expect(d.ok).toBe(true);
    if (d.ok) {
      expect(d.image.width).toBe(16);
      expect(Math.abs(d.image.data[0] - 120)).toBeLessThanOrEqual(2);
    }
  });

  it('returns problems for corrupt, empty, DICOM and other files instead of throwing', () => {
    const png = encodePngNode(grey);
    const cut = decodeImageNode(png.subarray(0, 30), 'cut.png');
    expect(cut.ok === false && cut.problem).toMatchObject({
      code: 'unreadable',
      severity: 'error',
      file: 'cut.png',
    });
    const jpg = encodeJpegNode(createImage(32, 32), 80);
    const badJpg = decodeImageNode(jpg.subarray(0, 200), 'bad.jpg');
    expect(badJpg.ok).toBe(false);
    expect(decodeImageNode(new Uint8Array(0), 'e.png')).toMatchObject({
      ok: false,
      problem: { code: 'empty-file' },
    });
    const dcm = new Uint8Array(200);
    dcm.set([0x44, 0x49, 0x43, 0x4d], 128);
    const d = decodeImageNode(dcm, 'IM0001');
    expect(d.ok === false && d.problem.message).toBe(
      'IM0001: DICOM files are not supported. Export PNG from your DICOM viewer and import the PNG.',
    );
    expect(decodeImageNode(new TextEncoder().encode('hello'), 'x.png')).toMatchObject({
      ok: false,
      problem: { code: 'unsupported-format' },
    });
  });
});
