/**
 * `train-landmarks` and `detect` as a user runs them (in-process `main`, wasm backend): a tiny
 * detector trained on a few ISBI fixture films gets better on held-out films, and `detect` writes
 * the ISBI CSV layout in original pixels.
 */
import '@tensorflow/tfjs-backend-wasm';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli';
import { parseLandmarkCsv } from '../../src/core/io/landmarks';

const ROOT = join(import.meta.dirname, '..', '..');
const SAMPLE = join(ROOT, '..', 'shared', 'fixtures', 'isbi2015-sample');

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

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-detector-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('train-landmarks and detect', () => {
  it('trains a tiny detector whose held-out MRE falls, saves it, and detect writes the ISBI CSV', async () => {
    const out = join(dir, 'det');
    const r = await runMain([
      'train-landmarks',
      '--data',
      SAMPLE,
      '--out',
      out,
      '--size',
      '64',
      '--channels',
      '8,16,32',
      '--epochs',
      '6',
      '--limit',
      '6',
      '--holdout',
      '2',
      '--lr',
      '0.003',
      '--sigma-mm',
      '6',
      '--loss',
      'ce',
      '--seed',
      '3',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const mres = [...r.stdout.matchAll(/held-out MRE ([\d.]+) ±/g)].map((m) => Number(m[1]));
    expect(mres).toHaveLength(6);
    expect(Math.min(...mres.slice(-3))).toBeLessThan(0.7 * mres[0]);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.films).toMatchObject({ train: 4, heldOut: 2 });
    expect(metrics.heldOut.perLandmark).toHaveLength(19);
    expect(metrics.heldOut.mreMm).toBeCloseTo(Math.min(...mres), 1);
    expect(Object.keys(metrics.heldOut.sdr).sort()).toEqual(['2', '2.5', '3', '4']);
    const meta = JSON.parse(await readFile(join(out, 'detector.json'), 'utf8'));
    expect(meta).toMatchObject({
      dtype: 'float16',
      sigmaMm: 6,
      mmPerPx: 0.1,
      arch: { size: 64, landmarks: 19 },
    });
    expect(meta.symbols.slice(0, 3)).toEqual(['S', 'N', 'Or']);
    expect((await stat(join(out, 'last', 'state.json'))).isFile()).toBe(true);

    // resume continues from last/ for one more epoch
    const r2 = await runMain([
      'train-landmarks',
      '--data',
      SAMPLE,
      '--out',
      out,
      '--epochs',
      '7',
      '--limit',
      '6',
      '--resume',
      '--quiet',
    ]);
    expect(r2.code).toBe(0);
    expect(r2.stderr).toBe('');
    expect(r2.stdout).toMatch(/done \(7 epochs\): 7 epochs/);

    const films = join(dir, 'films');
    await mkdir(films);
    for (const f of ['001.jpg', '002.jpg', '003.jpg']) await copyFile(join(SAMPLE, f), join(films, f));
    const csv = join(dir, 'pred.csv');
    const d = await runMain(['detect', '--checkpoint', out, '--input', films, '--out', csv]);
    expect(d.code).toBe(0);
    const text = await readFile(csv, 'utf8');
    expect(text.split('\n')[0]).toBe(
      ['image_path', ...Array.from({ length: 19 }, (_, k) => [`${k + 1}_x`, `${k + 1}_y`]).flat()].join(','),
    );
    const parsed = parseLandmarkCsv(text, 'pred.csv');
    expect(parsed.problems).toEqual([]);
    expect(parsed.rows.map((x) => x.imagePath)).toEqual(['001.jpg', '002.jpg', '003.jpg']);
    // original pixels of a 1935 x 2400 film, not the 64 px input
    const xs = parsed.rows.flatMap((x) => x.points.map((p) => p[0]));
    expect(Math.max(...xs)).toBeGreaterThan(500);
    expect(Math.max(...xs)).toBeLessThan(2400); // inside the letterboxed square (a tiny model may point into the padding)

    // fine-tuning on a dataset with another landmark set is refused, naming both sets
    const other = join(dir, 'five');
    await mkdir(other);
    await copyFile(join(SAMPLE, '001.jpg'), join(other, '001.jpg'));
    const header = [
      'image_path',
      ...Array.from({ length: 5 }, (_, k) => [`${k + 1}_x`, `${k + 1}_y`]).flat(),
    ];
    await writeFile(
      join(other, 'five.csv'),
      `${header.join(',')}\n001.jpg,${Array(10).fill('100').join(',')}\n`,
    );
    const refused = await runMain([
      'train-landmarks',
      '--data',
      other,
      '--out',
      join(dir, 'ft'),
      '--init',
      out,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('19 landmarks [S, N, Or');
    expect(refused.stderr).toContain('5 landmarks [L1, L2, L3, L4, L5]');
  }, 240_000);

  it('refuses bad input with a clear message', async () => {
    const noImages = await runMain(['train-landmarks', '--data', join(ROOT, 'src'), '--out', join(dir, 'x')]);
    expect(noImages.code).toBe(2);
    expect(noImages.stderr).toMatch(/src: no PNG or JPEG images found/);
    const bare = join(dir, 'bare');
    await mkdir(bare);
    await copyFile(join(SAMPLE, '002.jpg'), join(bare, '002.jpg'));
    const noLm = await runMain(['train-landmarks', '--data', bare, '--out', join(dir, 'x')]);
    expect(noLm.code).toBe(2);
    expect(noLm.stderr).toMatch(/no landmarks found\. A detector needs landmarks.*trace the films/);
    const notDet = await runMain([
      'detect',
      '--checkpoint',
      dir,
      '--input',
      SAMPLE,
      '--out',
      join(dir, 'y.csv'),
    ]);
    expect(notDet.code).toBe(2);
    expect(notDet.stderr).toMatch(/not a detector folder/);
  });
});
