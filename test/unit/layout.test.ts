import { describe, expect, it } from 'vitest';
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
