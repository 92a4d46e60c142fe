/**
 * The real-anatomy benchmark's pairs (issue 15 item 5): the soft-tissue profile segmented from
 * real ISBI films (../shared/fixtures/isbi2015-sample), the `cli profile-pairs` folder the studio
 * imports, and `npm run bench -- study --quick` end to end on a few films.
 */
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli';
import { heldOutSplits } from '../../src/cli/profilePairs';
import { detectLayout } from '../../src/core/data/layout';
import {
  DEFAULT_SILHOUETTE_STYLE,
  faceSideFromLandmarks,
  ISBI_SOFT_TISSUE,
  profileDistanceMm,
  renderSilhouette,
  segmentProfile,
  type ProfileSegmentation,
} from '../../src/core/data/profile';
import type { Point, RgbaImage } from '../../src/core/image';
import { decodeFileNode } from '../../src/core/io/decodeNode';
import { parseIsbiText, parseLandmarkCsv } from '../../src/core/io/landmarks';
import { defaultOptions, runStudyBench } from '../bench/study';

const SAMPLE = '../shared/fixtures/isbi2015-sample';
const FILMS = ['001', '002', '003'];
const MM = 0.1;
/** Landmarks behind the soft tissue (0-based ISBI): S, Or, Po, PNS, Ar — deep inside the head. */
const DEEP = [0, 2, 3, 16, 18];

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

const films = new Map<string, { film: RgbaImage; points: Point[]; seg: ProfileSegmentation }>();
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'profile-pairs-'));
  const csv = parseLandmarkCsv(await readFile(join(SAMPLE, 'senior.csv'), 'utf8'), 'senior.csv');
  for (const id of FILMS) {
    const r = await decodeFileNode(join(SAMPLE, `${id}.jpg`));
    if (!r.ok) throw new Error(r.problem.message);
    const points = csv.byCase.get(id) as Point[];
    const face = faceSideFromLandmarks(points) ?? undefined;
    films.set(id, { film: r.image, points, seg: segmentProfile(r.image, { mmPerPx: MM, face }) });
  }
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('soft-tissue profile on real films', () => {
  it.each(FILMS)(
    'film %s: a silhouette of the head, face to the right, soft-tissue landmarks on its outline',
    (id) => {
      const { film, points, seg } = films.get(id)!;
      expect(seg.face).toBe('right');
      const w = 194;
      const h = 240;
      const sil = renderSilhouette(seg, w, h, MM);
      let filled = 0;
      for (let i = 0; i < w * h; i++) if (sil.data[i * 4] > 0) filled++;
      // non-empty, not the whole film: the head with air in front of the face
      expect(filled / (w * h)).toBeGreaterThan(0.4);
      expect(filled / (w * h)).toBeLessThan(0.95);
      // touches the face side: on the rows of the soft-tissue landmarks the outline is in front of
      // sella by at least 40 mm (the face), and the back border is inside
      for (const k of ISBI_SOFT_TISSUE) {
        const y = Math.floor((points[k][1] * h) / film.height);
        let right = -1;
        for (let x = 0; x < w; x++) if (sil.data[(y * w + x) * 4] > 0) right = x;
        expect((right * film.width) / w - points[0][0]).toBeGreaterThan(40 / MM);
        expect(sil.data[y * w * 4]).toBeGreaterThan(0);
      }
      // upper lip, lower lip, subnasale, soft-tissue pogonion: inside or on the outline (within 3 mm)
      for (const k of ISBI_SOFT_TISSUE) {
        const d = profileDistanceMm(seg, points[k], MM);
        expect(Math.abs(d), `landmark ${k + 1}: ${d.toFixed(2)} mm from the outline`).toBeLessThan(3);
      }
      // bone landmarks well inside (orbitale, the nearest to the face, lies 15-20 mm behind the skin)
      for (const k of DEEP) expect(profileDistanceMm(seg, points[k], MM)).toBeLessThan(-10);
    },
  );

  it.each(FILMS)(
    'film %s: no bone inside — the silhouette is the same grey deep inside, whatever the bone',
    (id) => {
      const { film, points, seg } = films.get(id)!;
      const sil = renderSilhouette(seg, film.width, film.height, MM);
      const at = (p: Point): number => sil.data[(Math.floor(p[1]) * film.width + Math.floor(p[0])) * 4];
      // sella, orbitale, porion, PNS, articulare lie on bone of very different density in the film …
      const filmAt = (p: Point): number => film.data[(Math.floor(p[1]) * film.width + Math.floor(p[0])) * 4];
      const filmSpread =
        Math.max(...DEEP.map((k) => filmAt(points[k]))) - Math.min(...DEEP.map((k) => filmAt(points[k])));
      expect(filmSpread).toBeGreaterThan(20);
      // … but the silhouette's grey there is the shading of the depth behind the outline, nothing else
      const s = DEFAULT_SILHOUETTE_STYLE;
      for (const k of DEEP) {
        const depthMm = -profileDistanceMm(seg, points[k], MM);
        const shade = s.inner - (s.inner - s.edge) * Math.exp(-depthMm / s.shadeMm);
        expect(Math.abs(at(points[k]) - shade), `landmark ${k + 1}`).toBeLessThanOrEqual(1);
      }
      // a 15 mm square around sella is flat (no edge of the skull base, the sella turcica, …)
      let lo = 255;
      let hi = 0;
      const [sx, sy] = points[0].map(Math.floor);
      for (let y = sy - 75; y <= sy + 75; y += 5)
        for (let x = sx - 75; x <= sx + 75; x += 5) {
          const v = sil.data[(y * film.width + x) * 4];
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      expect(hi - lo).toBeLessThanOrEqual(2);
    },
  );

  it('the outline does not follow the bone: a bright disc painted over the skull base changes nothing', () => {
    const { film, points, seg } = films.get('001')!;
    const painted: RgbaImage = { ...film, data: new Uint8ClampedArray(film.data) };
    const [sx, sy] = points[0];
    for (let y = Math.floor(sy - 200); y < sy + 200; y++)
      for (let x = Math.floor(sx - 200); x < sx + 200; x++)
        if ((x - sx) ** 2 + (y - sy) ** 2 < 200 ** 2)
          painted.data.fill(255, (y * film.width + x) * 4, (y * film.width + x) * 4 + 3);
    const again = segmentProfile(painted, { mmPerPx: MM, face: 'right' });
    let worst = 0;
    for (let i = 0; i < seg.depth.length; i++)
      worst = Math.max(worst, Math.abs(again.depth[i] - seg.depth[i]));
    expect(worst * seg.factor * MM).toBeLessThan(0.5); // mm
  });
});

describe('held-out films', () => {
  it('a seeded, disjoint draw of val and test films', () => {
    const ids = Array.from({ length: 150 }, (_, i) => String(i + 1).padStart(3, '0'));
    const a = heldOutSplits(ids, 20, 10, 1);
    expect(heldOutSplits([...ids].reverse(), 20, 10, 1)).toEqual(a);
    const count = (m: Map<string, string>, s: string): number =>
      [...m.values()].filter((v) => v === s).length;
    expect([count(a, 'train'), count(a, 'val'), count(a, 'test')]).toEqual([120, 20, 10]);
    const b = heldOutSplits(ids, 20, 10, 2);
    expect([...b.entries()].filter(([id, s]) => s === 'val' && a.get(id) === 'val').length).toBeLessThan(20);
    expect(() => heldOutSplits(ids.slice(0, 5), 3, 2, 1)).toThrow(/leave no training films/);
  });
});

describe('cli profile-pairs', () => {
  it('writes a folder the studio imports: photo/ + xray/ per split, landmarks per case in the X-ray’s pixels', async () => {
    const out = join(tmp, 'pairs');
    const r = await runMain([
      'profile-pairs',
      '--films',
      SAMPLE,
      '--landmarks',
      join(SAMPLE, 'senior.csv'),
      '--out',
      out,
      '--limit',
      '3',
      '--size',
      '128',
      '--val',
      '1',
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote 3 pairs .*1\.8786 mm\/px/);
    const files: { path: string; size: number }[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else files.push({ path: relative(out, p).split(sep).join('/'), size: (await stat(p)).size });
      }
    };
    await walk(out);
    const plan = detectLayout(files);
    expect(plan.kind).toBe('folders');
    expect(plan.counts.pairs).toBe(3);
    expect(plan.counts.withLandmarks).toBe(3);
    expect(plan.splitsFromFolders).toBe(true);
    expect(plan.cases.map((c) => c.split).sort()).toEqual(['train', 'train', 'val']);
    // landmarks scaled from the 1935 x 2400 film to 103 x 128
    const c1 = plan.cases.find((c) => c.id === '001')!;
    const txt = parseIsbiText(await readFile(join(out, c1.landmarkPath!), 'utf8'), '001.txt');
    const csv = parseLandmarkCsv(await readFile(join(SAMPLE, 'senior.csv'), 'utf8'), 'senior.csv');
    const orig = csv.byCase.get('001')!;
    expect(txt.points![15][0]).toBeCloseTo((orig[15][0] * 103) / 1935, 1);
    expect(txt.points![15][1]).toBeCloseTo((orig[15][1] * 128) / 2400, 1);
    const photo = await decodeFileNode(join(out, c1.photoPath!));
    expect(photo.ok && [photo.image.width, photo.image.height]).toEqual([103, 128]);
    const readme = await readFile(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('1.8786 mm/px');
    // a second run into the same folder is refused (nothing is overwritten)
    const again = await runMain(['profile-pairs', '--films', SAMPLE, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--out .* is not empty/);
    const none = await runMain(['profile-pairs', '--films', join(tmp, 'nope'), '--out', join(tmp, 'x')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--films .*nope: cannot read the folder/);
  }, 120_000);
});

describe('npm run bench -- study --quick', () => {
  it('trains baseline vs P2.5 (2 x 2) and a 2-subset study on the pairs above, writes the report', async () => {
    const out = join(tmp, 'bench');
    const d = defaultOptions(true);
    const lines: string[] = [];
    const res = await runStudyBench({
      ...d,
      out,
      pairs: join(tmp, 'pairs'), // the 3 pairs of the CLI test (2 train + 1 val, 1.8786 mm/px)
      steps: 1,
      subsets: '1,all',
      say: (s) => lines.push(s),
      command: 'npm run bench -- study --quick',
    });
    expect(res.recipes.map((r) => `${r.preprocess}/${r.lambda_grad}`)).toEqual([
      'stretch/0',
      'stretch/10',
      'roi/0',
      'roi/10',
    ]);
    for (const r of [...res.recipes, ...res.study]) {
      expect(r.steps).toBe(1);
      expect(r.final?.metrics_region).toBe('content');
      expect(r.final?.mean_l1).toBeGreaterThan(0);
    }
    // letterbox runs: the content region excludes the padding, the whole-image figure includes it
    const lb = res.recipes[2].final!;
    expect(lb.content_fraction!).toBeLessThan(1);
    expect(res.recipes[0].final!.content_fraction).toBe(1);
    expect(res.study.map((r) => r.train_cases)).toEqual([1, 2]);
    const md = await readFile(res.mdPath, 'utf8');
    expect(md).toContain('| baseline: stretch, lambda_grad 0 |');
    expect(md).toContain('P2.5 recipe: roi');
    expect(md).toMatch(/\*\*Reading:\*\* /);
    const json = JSON.parse(await readFile(res.jsonPath, 'utf8')) as { recipes: unknown[]; study: unknown[] };
    expect(json.recipes).toHaveLength(4);
    expect(json.study).toHaveLength(2);
    expect((await stat(res.pngPath)).size).toBeGreaterThan(1000);
  }, 180_000);
});
