/**
 * `cli sweep` and `cli study` (issue 15) on the demo at 32 px (unet_32, ngf 4, 3 steps per run),
 * in this process: the files per run, the comparison table with only the differing options,
 * the study's nested subsets, chart and reading, a rerun that skips finished runs and continues
 * an interrupted one, and the user's mistakes.
 */
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { mkdir, writeFile } from 'node:fs/promises';
import { main } from '../../src/cli';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import { writeIsbiText } from '../../src/core/io/landmarks';
import type { RgbaImage } from '../../src/core/image';

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

const TINY = [
  '--demo',
  '--size',
  '32',
  '--netG',
  'unet_32',
  '--ngf',
  '4',
  '--ndf',
  '4',
  '--steps',
  '3',
  '--log_every',
  '3',
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ceph-cli-exp-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A folder of non-square phantom pairs (photo/, xray/, landmarks/<id>.txt in original px). */
async function nonSquareFolder(path: string, n: number, width: number, height: number): Promise<void> {
  const ds = generatePhantomDataset({ n, seed: 3, width, height, valCount: 2 });
  for (const d of ['photo', 'xray', 'landmarks']) await mkdir(join(path, d), { recursive: true });
  const png = (img: RgbaImage): Uint8Array =>
    encodePng({ width: img.width, height: img.height, data: img.data, channels: 4, depth: 8 });
  for (const c of ds.cases) {
    await writeFile(join(path, 'photo', `${c.id}.png`), png(c.photo));
    await writeFile(join(path, 'xray', `${c.id}.png`), png(c.xray));
    await writeFile(join(path, 'landmarks', `${c.id}.txt`), writeIsbiText(c.landmarks));
  }
}

describe('cli train: the validation summary', () => {
  it('letterboxed non-square films: content-region metrics, whole-image figures beside them, diagnostics, landmark sharpness, traceability', async () => {
    const data = join(dir, 'films');
    await nonSquareFolder(data, 10, 48, 32);
    const out = join(dir, 'train-lb');
    const base = ['train', '--data', data, '--size', '32', '--netG', 'unet_32', '--ngf', '4', '--ndf', '4'];
    const t0 = performance.now();
    const r = await runMain([...base, '--steps', '2', '--log_every', '2', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    const f = m.final;
    expect(m.config.preprocess).toBe('letterbox');
    // 48 x 32 letterboxed into 32 px: rows 5..26 hold the film (21.3 px high, whole pixels inside)
    expect(f.metrics_region).toBe('content');
    expect(f.content_fraction).toBeCloseTo(21 / 32, 9);
    for (const k of ['mean_l1_whole', 'mean_psnr_whole', 'mean_ssim_whole'])
      expect(typeof f[k]).toBe('number');
    expect(f.mean_l1_whole).not.toBeCloseTo(f.mean_l1, 6);
    for (const k of [
      'sharpness_ratio',
      'mean_sharpness_ratio',
      'pred_grad_mean_255',
      'pred_max_255',
      'target_grad_mean_255',
      'target_max_255',
      'pred_grad_p99_255',
      'edge_ratio',
      'max_ratio',
      'p999_ratio',
      'lm_sharp',
      'train_l1',
      'gap_ratio',
      'trace_mre_mm',
      'trace_floor_mre_mm',
    ])
      expect(f[k], k).toBeGreaterThan(0);
    expect(typeof f.plan002_grad_ok).toBe('boolean');
    expect(Object.keys(f.lm_sharp_by_landmark)).toHaveLength(19);
    expect(f.trace_cases).toBe(m.data.val_cases); // every val case has landmarks
    expect(f.trace_detector).toMatch(/shipped/);
    expect(r.stdout).toMatch(/content region, 66 % of the image; whole image L1 /);
    expect(r.stdout).toMatch(/traceability MRE \d+\.\d+ mm/);
    // --no-traceability: no detector runs; a wrong --preprocess is refused
    const off = await runMain([
      ...base,
      '--steps',
      '1',
      '--out',
      join(dir, 'train-off'),
      '--quiet',
      '--no-traceability',
    ]);
    expect(off.code).toBe(0);
    const mo = JSON.parse(await readFile(join(dir, 'train-off', 'metrics.json'), 'utf8'));
    expect(mo.final.trace_mre_mm).toBeNull();
    expect(mo.final.lm_sharp).toBeGreaterThan(0);
    const bad = await runMain([...base, '--out', join(dir, 'x'), '--preprocess', 'roi']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--preprocess roi: use letterbox or stretch/);
    console.log(
      `cli train summary (2 + 1 steps, 32 px, in-process): ${(performance.now() - t0).toFixed(0)} ms`,
    );
  });
});

describe('cli sweep and study', () => {
  it('sweep: two runs, the comparison with only the differing option, a rerun skips and resumes', async () => {
    const out = join(dir, 'sweep');
    const args = ['sweep', ...TINY, '--cases', '8', '--vary', 'lambda_L1=100,60', '--out', out, '--quiet'];
    const t0 = performance.now();
    const r = await runMain(args);
    const ms = performance.now() - t0;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sweep: 2 runs \(lambda_L1 ∈ \{100, 60\}\) .* 3 steps per run/m);
    for (const name of ['lambda_L1=100', 'lambda_L1=60']) {
      const m = JSON.parse(await readFile(join(out, 'runs', name, 'metrics.json'), 'utf8'));
      expect(m.steps).toBe(3);
      expect(m.config.lambda_L1).toBe(Number(name.split('=')[1]));
      // the full evaluation: what the Evaluate view shows, not only L1/PSNR/SSIM
      expect(m.final.sharpness_ratio).toBeGreaterThan(0);
      expect(m.final.pred_grad_mean_255).toBeGreaterThan(0);
      expect(m.final.train_l1).toBeGreaterThan(0);
      expect(m.final.lm_sharp).toBeGreaterThan(0);
      expect(['pass', 'fail', 'incomplete']).toContain(m.final.gate);
      // the demo is generated square: its content region is the whole image
      expect(m.final.metrics_region).toBe('content');
      expect(m.final.content_fraction).toBe(1);
      expect(m.final.mean_l1_whole).toBeCloseTo(m.final.mean_l1, 9);
      // traceability with the shipped detector (the demo has landmarks), in mm
      expect(m.final.trace_mre_mm).toBeGreaterThan(0);
      expect(m.final.trace_floor_mre_mm).toBeGreaterThan(0);
      expect(m.final.trace_cases).toBeGreaterThan(0);
      expect((await stat(join(out, 'runs', name, 'last', 'current'))).isFile()).toBe(true);
    }
    const cmp = JSON.parse(await readFile(join(out, 'comparison.json'), 'utf8'));
    expect(cmp.differing_keys).toEqual(['lambda_L1']);
    expect(cmp.shared_config.ngf).toBe(4);
    expect(cmp.rows.map((row: unknown[]) => row.slice(0, 2))).toEqual([
      ['lambda_L1=100', 100],
      ['lambda_L1=60', 60],
    ]);
    const md = await readFile(join(out, 'comparison.md'), 'utf8');
    const header = md.split('\n').find((l) => l.startsWith('| run |')) as string;
    expect(header).toMatch(/^\| run \| lambda_L1 \| training cases \| steps \| epochs \|/);
    expect(header).not.toMatch(/\| (ngf|lambda_grad|size|netG) \|/);
    expect(header).toContain('best val L1 (on [0,1])');
    expect(header).toContain('pred. mean gradient (0-255)');
    expect(header).toContain('traceability MRE (mm)');
    expect(header).toContain('metrics over');
    expect(md).toContain('Steps held equal: 3 steps per run.');
    expect(md).toContain('| 训练 | lambda_L1 | 训练病例数 |');
    expect(md).toContain('步数相同：每个训练 3 步。');
    const csv = (await readFile(join(out, 'comparison.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[1]).toMatch(/^lambda_L1=100,100,6,3,1,/);
    const queue = JSON.parse(await readFile(join(out, 'queue.json'), 'utf8'));
    expect(queue.runs.map((x: { status: string }) => x.status)).toEqual(['done', 'done']);

    // a crash after run 2's checkpoint but before its metrics: the rerun skips run 1 and resumes run 2
    const m1 = (await stat(join(out, 'runs', 'lambda_L1=100', 'metrics.json'))).mtimeMs;
    await rm(join(out, 'runs', 'lambda_L1=60', 'metrics.json'));
    const again = await runMain(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/continuing the sweep/);
    expect(again.stdout).toMatch(/\[1\/2 lambda_L1=100\] finished earlier: skipped/);
    expect(again.stdout).toMatch(/\[2\/2 lambda_L1=60\] resuming at step 3/);
    expect((await stat(join(out, 'runs', 'lambda_L1=100', 'metrics.json'))).mtimeMs).toBe(m1);
    expect(JSON.parse(await readFile(join(out, 'runs', 'lambda_L1=60', 'metrics.json'), 'utf8')).steps).toBe(
      3,
    );

    // another plan on the same folder is refused, nothing is overwritten
    const other = await runMain([
      'sweep',
      ...TINY,
      '--cases',
      '8',
      '--vary',
      'lambda_L1=100,80',
      '--out',
      out,
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a different sweep \(its run 2 is lambda_L1=60\)/);
    console.log(`cli sweep (2 runs x 3 steps, 32 px, in-process): ${ms.toFixed(0)} ms`);
  });

  it('study: nested subsets from the training split, the same val cases, table, chart and reading', async () => {
    const out = join(dir, 'study');
    const r = await runMain([
      'study',
      ...TINY,
      '--cases',
      '12',
      '--subsets',
      '3,all',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /study: 2 subsets \(3 \/ 10 of 10 training cases; 2 val cases for every subset\)/,
    );
    const study = JSON.parse(await readFile(join(out, 'study.json'), 'utf8'));
    expect(study.held).toBe('steps');
    expect(study.subsets.map((s: { n: number }) => s.n)).toEqual([3, 10]);
    const [small, all] = study.subsets as { ids: string[] }[];
    expect(small.ids.every((id) => all.ids.includes(id))).toBe(true);
    expect(study.points.map((p: { cases: number }) => p.cases)).toEqual([3, 10]);
    expect(study.points.every((p: { val_l1: number }) => p.val_l1 > 0 && p.val_l1 < 1)).toBe(true);
    expect(study.reading.verdict).toBe('undecided');
    for (const d of ['0003_cases', '0010_cases']) {
      const m = JSON.parse(await readFile(join(out, 'runs', d, 'metrics.json'), 'utf8'));
      expect(m.data.val_cases).toBe(2);
      expect(m.data.train_cases).toBe(Number(d.slice(0, 4)));
    }
    const md = await readFile(join(out, 'study.md'), 'utf8');
    expect(md).toContain('Steps held equal: 3 steps per run.');
    expect(md).toMatch(/\*\*Reading:\*\* Undecided: 2 subset sizes cannot tell a trend from noise/);
    expect(md).toMatch(/\*\*解读：\*\* 尚无定论/);
    expect(md).toMatch(/^\| 3 \| 0\.\d{4} \| \d+\.\d{2} \|/m);
    const cmp = JSON.parse(await readFile(join(out, 'comparison.json'), 'utf8'));
    expect(cmp.differing_keys).toEqual([]); // the same config: only the number of cases differs
    const png = await readFile(join(out, 'study.png'));
    expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
    expect(png.length).toBeGreaterThan(5000);
  });

  it('user mistakes print one line and exit 2', async () => {
    const bad = await runMain(['sweep', ...TINY, '--vary', 'lambda_l1=1,2', '--out', join(dir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^error: sweep: "lambda_l1" is not a run-config option \(did you mean lambda_L1\?\)/,
    );
    const big = await runMain([
      'study',
      ...TINY,
      '--cases',
      '12',
      '--subsets',
      '3,50',
      '--out',
      join(dir, 'y'),
    ]);
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/subset 50 is larger than the training split \(10 cases\)/);
    const both = await runMain([
      'study',
      ...TINY,
      '--epochs',
      '2',
      '--subsets',
      '3,all',
      '--out',
      join(dir, 'z'),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --steps .* or --epochs/);
    // --data folders of resized films give their own spacing (landmark windows, traceability in mm)
    const spacing = await runMain([
      'sweep',
      '--data',
      join(dir, 'none'),
      '--mm-per-px',
      '0',
      '--vary',
      'lambda_L1=1,2',
      '--out',
      join(dir, 'w'),
    ]);
    expect(spacing.code).toBe(2);
    expect(spacing.stderr).toMatch(/--mm-per-px must be at least/);
    const lrStep = await runMain([
      'sweep',
      ...TINY,
      '--lr_step_at',
      'end',
      '--vary',
      'lambda_L1=1,2',
      '--out',
      join(dir, 'v'),
    ]);
    expect(lrStep.code).toBe(2);
    expect(lrStep.stderr).toMatch(/--lr_step_at must be epoch_end or epoch_start; got "end"/);
  });
});
