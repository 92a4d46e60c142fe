/**
 * A clinician's first hour with their own films (issue 14 acceptance), in headless Chromium:
 * 1. a 20-case dataset (phantom photos and X-rays with ISBI landmarks, zipped as a clinic exports
 *    them) is imported through the page: the plan proposes 13 train / 5 val / 2 test instead of
 *    16 / 2 / 2 and warns that 5 evaluation cases are anecdotal;
 * 2. the Train section loads nothing by itself once imported data exists and refuses to start
 *    until a dataset is chosen; Data's "Train on this dataset" chooses it;
 * 3. the dataset's preprocessing (letterbox 512) is the run's default; the run at 64 px says in
 *    its header that it overrides the size; the header names the dataset;
 * 4. "What the network sees" shows the first evaluation case at 64 px with its 19 landmarks;
 * 5. after a short run, Evaluate warns that the evaluation rests on 5 cases and the failure rate
 *    names its denominator.
 * Screenshots in English and 简体中文 (legible with the CJK font the test setup installs) go to
 * test-results/e2e/firsthour-*.png.
 */
import { strToU8, zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import type { RgbaImage } from '../../src/core/image';
import { encodePngNode } from '../../src/core/io/decodeNode';
import { writeIsbiText } from '../../src/core/io/landmarks';
import { openStudio } from './browser';
import { poll, setOption } from './helpers';

const N = 20;
const W = 400;
const H = 325;

interface TrainDebug {
  phase: string;
  activeRunId: string | null;
  runId: string | null;
  step: number | null;
  valPoints: number;
  datasetId: string | null;
  datasetChosen: boolean;
  needsChoice: boolean;
  networkInput: { caseId: string; size: number; landmarks: number } | null;
}

const trainDebug = (page: Page): Promise<TrainDebug> =>
  page.evaluate(() => (window as unknown as { __studio: { train: TrainDebug } }).__studio.train);

function grey(img: RgbaImage): boolean {
  for (let i = 0; i < img.data.length; i += 4)
    if (img.data[i] !== img.data[i + 1] || img.data[i] !== img.data[i + 2]) return false;
  return true;
}

/** 20 phantom cases as a clinic exports them: photo/ and xray/ PNGs, ISBI text landmarks beside the X-rays. */
function clinicZip(): Uint8Array {
  const ds = generatePhantomDataset({ n: N, seed: 3, width: W, height: H, valCount: 4 });
  const files: Record<string, Uint8Array> = {};
  for (const c of ds.cases) {
    files[`films/photo/${c.id}.png`] = encodePngNode(c.photo);
    files[`films/xray/${c.id}.png`] = encodePngNode(c.xray, { grey: grey(c.xray) });
    files[`films/xray/${c.id}.txt`] = strToU8(writeIsbiText(c.landmarks));
  }
  return zipSync(files);
}

describe('First hour with 20 own films', () => {
  it(
    'proposes a real val split, warns about a small evaluation, waits for a dataset choice, names the dataset and the preprocessing override, shows what the network sees',
    { timeout: 900_000 },
    async () => {
      const s = await openStudio({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
      try {
        const { page } = s;
        await page.getByTestId('dataset-list').waitFor();

        // ----- 1. import: the split proposal and the small-evaluation warning -----
        await page.getByTestId('data-file-input').setInputFiles({
          name: 'films.zip',
          mimeType: 'application/zip',
          buffer: Buffer.from(clinicZip()),
        });
        await page.getByTestId('import-plan').waitFor({ timeout: 60_000 });
        expect(await page.getByTestId('plan-cases').textContent()).toContain(`${N} complete cases of ${N}`);
        const splits = (await page.getByTestId('plan-splits').textContent()) ?? '';
        expect(splits).toContain('13 train, 5 val, 2 test');
        const small = page.getByTestId('plan-small-eval');
        expect(await small.getAttribute('data-count')).toBe('5');
        expect(await small.textContent()).toContain('only 5 cases (fewer than 20)');
        await small.scrollIntoViewIfNeeded();
        await s.screenshot('firsthour-plan-en');
        await page.getByRole('button', { name: '简体中文' }).click();
        await page.getByTestId('plan-small-eval').filter({ hasText: '评估清单只有 5 个病例' }).waitFor();
        await s.screenshot('firsthour-plan-zh');
        await page.getByRole('button', { name: 'English' }).click();

        await page.getByTestId('import-start').click();
        await page.getByTestId('import-report').waitFor({ timeout: 170_000 });
        expect(await page.getByTestId('import-summary').textContent()).toContain(`${N} cases stored`);

        // ----- 2. Train: nothing preselected, Start refuses until a dataset is chosen -----
        await page.getByRole('tab', { name: 'Train' }).click();
        await page.getByRole('heading', { name: 'Train', exact: true }).waitFor();
        const d0 = await poll(
          () => trainDebug(page),
          (d) => d.needsChoice && d.phase !== 'created',
          120_000,
          'the engine to start and ask for a dataset',
        );
        expect(d0.datasetId).toBeNull(); // the demo is not loaded by itself once own data exists
        await page.getByTestId('train-choose-dataset').waitFor();
        const start = page.getByRole('button', { name: 'Start training' });
        expect(await start.isDisabled()).toBe(true);
        await page.getByText('Choose the dataset to train on first').waitFor({ timeout: 30_000 });
        expect(await page.getByTestId('train-stored-choice').inputValue()).toBe('');
        await s.screenshot('firsthour-train-choose-en');

        // Data → "Train on this dataset"
        await page.getByRole('tab', { name: 'Data' }).click();
        const row = page.getByTestId('dataset-row').filter({ hasText: 'films' });
        await row.getByTestId('dataset-train').click();
        await page.getByRole('heading', { name: 'Train', exact: true }).waitFor();
        const d1 = await poll(
          () => trainDebug(page),
          (d) => d.datasetId !== null && d.datasetChosen && !d.needsChoice,
          120_000,
          'the chosen dataset to load',
        );
        expect(d1.datasetId).toMatch(/^ds/);
        expect(await page.getByTestId('train-dataset').textContent()).toContain(
          'films: 13 training cases, 5 validation cases',
        );

        // ----- 3. one preprocessing story: the dataset's letterbox 512 is the default -----
        const header = page.getByTestId('run-header');
        expect(await header.getAttribute('data-kind')).toBe('next');
        expect(await header.textContent()).toContain('Next run trains on: films');
        expect(await header.textContent()).toContain('Network input: 512 px, letterbox');
        expect(await header.getAttribute('data-override')).toBe('false');
        // a light run for SwiftShader: 64 px overrides the dataset's 512 px, and says so
        await page.getByLabel('Preset', { exact: true }).selectOption('demo');
        expect(await page.getByLabel('size', { exact: true }).inputValue()).toBe('512'); // the dataset's size
        const more = page.getByText(/^More options/);
        if (!(await page.getByLabel('val_every', { exact: true }).isVisible())) await more.click();
        await setOption(page, 'size', '64');
        await setOption(page, 'ngf', '4');
        await setOption(page, 'ndf', '4');
        await setOption(page, 'batch_size', '4');
        await setOption(page, 'n_epochs', '2');
        await setOption(page, 'n_epochs_decay', '0');
        await setOption(page, 'val_every', '4');
        await setOption(page, 'save_every', '4');
        await setOption(page, 'log_every', '1');
        await page.getByLabel('Run name', { exact: true }).fill('first-hour');
        await header.filter({ hasText: 'overrides the dataset’s size (512 px)' }).waitFor();
        expect(await header.getAttribute('data-override')).toBe('true');
        expect(await header.textContent()).toContain('Network input: 64 px, letterbox');

        // ----- 4. what the network sees: the first evaluation case at 64 px with its landmarks -----
        await page.getByTestId('network-input-show').click();
        const ni = await poll(
          () => trainDebug(page),
          (d) => d.networkInput !== null && d.networkInput.size === 64,
          180_000,
          'the network input',
        );
        expect(ni.networkInput!.landmarks).toBe(19);
        const overlay = page.getByTestId('network-input-landmarks');
        await overlay.waitFor();
        // drawn over the X-ray only (the landmarks are the X-ray's)
        expect(await overlay.count()).toBe(1);
        expect(await overlay.getAttribute('data-count')).toBe('19');
        expect(await overlay.getAttribute('viewBox')).toBe('0 0 64 64');
        expect(await page.getByTestId('network-input-caption').textContent()).toContain(
          '64 × 64 px · letterbox · 19 landmarks',
        );
        await page.getByTestId('network-input').scrollIntoViewIfNeeded();
        await s.screenshot('firsthour-train-en');

        // ----- the run: its header names the dataset and the override -----
        expect(await start.isDisabled()).toBe(false);
        await start.click();
        const started = await poll(
          () => trainDebug(page),
          (d) => d.activeRunId !== null,
          120_000,
          'the run to start',
        );
        await header.filter({ hasText: 'Run “first-hour” · dataset: films' }).waitFor({ timeout: 30_000 });
        expect(await header.getAttribute('data-kind')).toBe('run');
        expect(await header.getAttribute('data-override')).toBe('true');
        await poll(
          () => trainDebug(page),
          (d) => d.activeRunId === null && d.phase === 'ready' && d.valPoints >= 1,
          600_000,
          'the run to finish with a validation round',
        );
        // no time-left estimate for a run that is not training
        expect(await page.getByTestId('train-eta').textContent()).toContain('not training');
        const row2 = page.locator(`tr[data-run="${started.activeRunId}"]`);
        expect(await row2.textContent()).toContain('films');
        // the run history's config says the run left the dataset's preprocessing
        expect(await row2.getByTestId('run-override').textContent()).toContain(
          'overrides the dataset’s size (512 px)',
        );
        await s.screenshot('firsthour-run-en');

        // ----- 5. Evaluate: the small evaluation is said plainly -----
        await page.getByRole('tab', { name: 'Evaluate' }).click();
        const evalSmall = page.getByTestId('eval-small');
        await evalSmall.waitFor({ timeout: 180_000 });
        expect(await evalSmall.getAttribute('data-count')).toBe('5');
        expect(await evalSmall.textContent()).toContain('Small evaluation: 5 cases (fewer than 20)');
        await page.getByTestId('eval-failed-anecdotal').waitFor({ timeout: 180_000 });
        expect(await page.getByTestId('eval-failed-anecdotal').textContent()).toContain(
          'Out of only 5 cases',
        );
        await s.screenshot('firsthour-evaluate-en');

        // ----- 简体中文 -----
        await page.getByRole('button', { name: '简体中文' }).click();
        await page.getByTestId('eval-small').filter({ hasText: '评估规模小：5 个病例' }).waitFor();
        await s.screenshot('firsthour-evaluate-zh');
        await page.getByRole('tab', { name: '训练' }).click();
        await page.getByTestId('run-header').filter({ hasText: '数据集：films' }).waitFor();
        await page.getByTestId('network-input').filter({ hasText: '网络看到的图像' }).waitFor();
        await s.screenshot('firsthour-train-zh');
        s.expectClean();
      } finally {
        await s.close();
      }
    },
  );
});
