/**
 * The Checkpoints section in headless Chromium (WebGPU on SwiftShader), through the real UI:
 * train a demo run in the Train section and stop it; in Checkpoints download its generator as
 * `latest_net_G.pth` (the download menu), import that file again (preview: PyTorch .pth, config
 * inferred, size 64 px from netG), and "Measure" both checkpoints on the run's validation cases in
 * eval mode: the metrics are identical to the last bit. A server run folder (the same .pth with
 * train_opt.txt and loss_log.txt) imports as a run whose loss curves show in the Train view. A
 * unet_128 generator imported from a .safetensors file gets the server bundle: both commands (the
 * GPU count applied), the studio-only options, and a ZIP with the demo cases, latest_net_G/D.pth
 * and train_opt.txt. A pickle that calls os.system is refused with the file named and nothing stored.
 * The server model then continues training in a new run from "Continue training" (structure locked,
 * epoch 3 after the log's 2 epochs, origin shown in the run history). Screenshots of the
 * list, the download menu, the import preview and the import error in English and 简体中文 are
 * copied to /tmp/ck-*.png.
 *
 * Read-only debug hooks: `window.__studio.train` and `window.__studio.checkpoints`.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/config';
import { writeSafetensors } from '../../src/core/io/safetensors';
import { formatTrainOpt, serverOptionsFor } from '../../src/core/io/serverBundle';
import { listZip, writeZip } from '../../src/core/io/zip';
import { expectedEntries } from '../../src/core/model';
import type { StateDict } from '../../src/core/model/types';
import { openStudio, type StudioSession } from './browser';

interface TrainDebug {
  phase: string;
  runId: string | null;
  activeRunId: string | null;
  step: number | null;
  seriesCounts: Record<string, number>;
  checkpoints: { name: string; step: number }[];
  epoch: number | null;
}

interface CkDebug {
  ready: boolean;
  rows: { runId: string; name: string; label: string; epoch: number; step: number }[];
  importPhase: string;
}

const trainDebug = (page: Page): Promise<TrainDebug> =>
  page.evaluate(() => (window as unknown as { __studio: { train: TrainDebug } }).__studio.train);
const ckDebug = (page: Page): Promise<CkDebug> =>
  page.evaluate(() => (window as unknown as { __studio: { checkpoints: CkDebug } }).__studio.checkpoints);

async function shot(s: StudioSession, name: string): Promise<void> {
  await s.page.waitForTimeout(300);
  copyFileSync(await s.screenshot(name), `/tmp/${name}.png`);
}

interface Measured {
  l1: string;
  psnr: string;
  ssim: string;
  cases: string;
}

async function measure(page: Page, key: string): Promise<Measured> {
  const row = page.locator(`tr[data-checkpoint="${key}"]`);
  await row.getByTestId('ck-measure').click();
  const m = row.getByTestId('ck-measured');
  await m.waitFor({ timeout: 180_000 });
  const get = async (a: string): Promise<string> => (await m.getAttribute(`data-${a}`)) ?? '';
  return { l1: await get('l1'), psnr: await get('psnr'), ssim: await get('ssim'), cases: await get('cases') };
}

const enc = (s: string) => new TextEncoder().encode(s);

/** A generator of `cfg` with deterministic small weights (no TF.js needed). */
function syntheticG(cfg: ReturnType<typeof withDefaults>): StateDict {
  let x = 12345;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x / 2147483648 - 0.5) * 0.04;
  };
  return expectedEntries(cfg, 'G').map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.dtype === 'int64') return { ...e, data: new BigInt64Array(n).fill(7n) };
    const data = new Float32Array(n);
    const isVar = e.key.endsWith('running_var');
    const isScale = /\.weight$/.test(e.key) && e.shape.length === 1;
    for (let i = 0; i < n; i++) data[i] = isVar || isScale ? 1 + next() : next();
    return { ...e, data };
  });
}

describe('Checkpoints section', () => {
  it('downloads a demo run as .pth, imports it back with identical metrics, imports a server folder with curves, refuses a hostile pickle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-e2e-'));
    const s = await openStudio({ path: '#/train' });
    try {
      const { page } = s;
      const t0 = Date.now();
      // ----- a demo run through the Train section -----
      const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
      await expect.poll(() => loadDemo.isEnabled(), { timeout: 120_000 }).toBe(true);
      await page.getByLabel('Cases', { exact: true }).fill('20');
      await loadDemo.click();
      await page
        .getByTestId('train-dataset')
        .filter({ hasText: '16 training cases' })
        .waitFor({ timeout: 60_000 });
      await page.getByLabel('Preset', { exact: true }).selectOption('demo');
      // `last` after 2 steps: trained weights and BatchNorm running statistics to round-trip
      await page.getByText(/^More options/).click();
      const saveEvery = page.getByLabel('save_every', { exact: true });
      await saveEvery.fill('2');
      await saveEvery.blur();
      await page.getByRole('button', { name: 'Start training' }).click();
      const trained = await (async () => {
        for (const end = Date.now() + 420_000; Date.now() < end;) {
          const d = await trainDebug(page);
          if (d.checkpoints.some((c) => c.name === 'last')) return d;
          await page.waitForTimeout(500);
        }
        throw new Error('no `last` checkpoint within 420 s');
      })();
      const runId = trained.activeRunId as string;
      expect(runId).toMatch(/^run/);
      await page.getByRole('button', { name: 'Stop' }).click();
      await expect
        .poll(() => page.getByTestId('train-phase').getAttribute('data-phase'), { timeout: 120_000 })
        .toBe('ready');
      console.log(`[e2e] demo run trained and stopped in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

      // ----- the Checkpoints section: download latest_net_G.pth -----
      await page.getByRole('tab', { name: 'Checkpoints' }).click();
      await page.getByRole('heading', { level: 2, name: 'Checkpoints' }).waitFor();
      const key = `${runId}/last`;
      const row = page.locator(`tr[data-checkpoint="${key}"]`);
      await row.waitFor({ timeout: 30_000 });
      await row.getByTestId('ck-export').click();
      const menu = page.getByTestId('ck-export-menu');
      await menu.waitFor();
      await menu.getByRole('radio', { name: /^PyTorch \.pth/ }).check();
      await menu.getByRole('radio', { name: 'Generator (G)' }).check();
      await menu.getByRole('radio', { name: /^latest_net_G\.pth/ }).check();
      await shot(s, 'ck-export-menu-en');
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 60_000 }),
        menu.getByTestId('ck-export-download').click(),
      ]);
      expect(download.suggestedFilename()).toBe('latest_net_G.pth');
      const pthPath = join(dir, 'latest_net_G.pth');
      await download.saveAs(pthPath);
      const pth = readFileSync(pthPath);
      expect(pth.subarray(0, 2).toString('latin1')).toBe('PK');
      await menu.getByTestId('ck-export-done').waitFor();

      // ----- import it again -----
      const fileInput = page.getByTestId('ck-file-input');
      await fileInput.setInputFiles(pthPath);
      const preview = page.getByTestId('ck-import-preview');
      await preview.waitFor({ timeout: 60_000 });
      expect(await preview.getAttribute('data-format')).toBe('pth');
      expect(await preview.getAttribute('data-kind')).toBe('network');
      const cfgText = (await page.getByTestId('ck-preview-config').textContent()) ?? '';
      expect(cfgText).toContain('netG unet_64');
      expect(cfgText).toContain('ngf 8');
      expect(cfgText).toContain('norm batch');
      expect(await page.getByTestId('ck-import-size').inputValue()).toBe('64');
      await page.getByTestId('ck-import-dataset').selectOption('demo-20-1');
      await page.getByTestId('ck-import-name').fill('round trip');
      await shot(s, 'ck-import-preview-en');
      await page.getByTestId('ck-import-confirm').click();
      await page.getByTestId('ck-import-done').waitFor({ timeout: 60_000 });
      const rows = (await ckDebug(page)).rows;
      const imported = rows.find((r) => r.runId !== runId);
      expect(imported).toBeDefined();
      const importedKey = `${imported!.runId}/last`;

      // ----- identical evaluation metrics (eval mode, the run's validation cases) -----
      const a = await measure(page, key);
      const b = await measure(page, importedKey);
      console.log(`[e2e] original ${JSON.stringify(a)} imported ${JSON.stringify(b)}`);
      expect(Number(a.cases)).toBe(4);
      expect(Number(a.l1)).toBeGreaterThan(0);
      expect(Number(a.l1)).toBeLessThan(1);
      expect(Number.isFinite(Number(a.psnr))).toBe(true);
      expect(b).toEqual(a);

      // ----- a server run folder: the loss log becomes curves in the Train view -----
      const cfg = withDefaults({ netG: 'unet_64', size: 64, ngf: 8, ndf: 8 });
      writeFileSync(join(dir, 'train_opt.txt'), formatTrainOpt(serverOptionsFor(cfg, 'ceph_srv', 3)));
      writeFileSync(
        join(dir, 'loss_log.txt'),
        [
          '================ Training Loss (Sat Nov 22 00:00:00 2025) ================',
          '(epoch: 1, iters: 8, time: 0.1, data: 0.1) G_GAN: 0.70 G_L1: 30.1 D_real: 0.60 D_fake: 0.71 ',
          '(epoch: 1, iters: 16, time: 0.1, data: 0.1) G_GAN: 0.80 G_L1: 25.5 D_real: 0.55 D_fake: 0.66 ',
          '(epoch: 2, iters: 8, time: 0.1, data: 0.1) G_GAN: 0.90 G_L1: 21.0 D_real: 0.50 D_fake: 0.61 ',
          '',
        ].join('\n'),
      );
      await fileInput.setInputFiles([pthPath, join(dir, 'train_opt.txt'), join(dir, 'loss_log.txt')]);
      await preview.waitFor({ timeout: 60_000 });
      expect(await preview.getAttribute('data-kind')).toBe('serverRun');
      expect(await page.getByTestId('ck-import-name').inputValue()).toBe('ceph_srv');
      await page.getByTestId('ck-import-confirm').click();
      await page.getByTestId('ck-import-done').waitFor({ timeout: 60_000 });
      const server = (await ckDebug(page)).rows.find((r) => r.runId !== runId && r.runId !== imported!.runId);
      expect(server?.step).toBe(24);
      await shot(s, 'ck-list-en');

      // ----- a run the server can continue: its bundle (commands, ZIP with the demo cases) -----
      const cfg128 = withDefaults({ netG: 'unet_128', size: 128, ngf: 2, ndf: 2, lambda_grad: 5 });
      const g128 = join(dir, 'clinic128_G.safetensors');
      writeFileSync(
        g128,
        writeSafetensors(syntheticG(cfg128), { kind: 'G', studio_config: JSON.stringify(cfg128) }),
      );
      await fileInput.setInputFiles(g128);
      await preview.waitFor({ timeout: 60_000 });
      expect(await preview.getAttribute('data-format')).toBe('safetensors');
      await page.getByTestId('ck-import-dataset').selectOption('demo-20-1');
      await page.getByTestId('ck-import-confirm').click();
      await page.getByTestId('ck-import-done').waitFor({ timeout: 60_000 });
      const known = new Set([runId, imported!.runId, server!.runId]);
      const r128 = (await ckDebug(page)).rows.find((r) => !known.has(r.runId))!;
      const row128 = page.locator(`tr[data-checkpoint="${r128.runId}/last"]`);
      await row128.getByTestId('ck-bundle').click();
      const single = page.getByTestId('ck-cmd-single');
      await single.waitFor({ timeout: 60_000 });
      expect(await single.textContent()).toMatch(
        /^python train\.py --dataroot \.\/datasets\/clinic128_G --name clinic128_G --model pix2pix --netG unet_128 --ngf 2 --ndf 2 --norm batch .*--continue_train --epoch_count 1$/,
      );
      await page.getByTestId('ck-bundle-gpus').fill('4');
      await page.getByTestId('ck-bundle-gpus').blur();
      await expect
        .poll(() => page.getByTestId('ck-cmd-multi').textContent(), { timeout: 30_000 })
        .toMatch(/^torchrun --nproc_per_node=4 train\.py .*--norm syncbatch /);
      expect(await page.getByTestId('ck-bundle-studio-only').textContent()).toContain('lambda_grad');
      expect(await page.getByTestId('ck-bundle-dataset').inputValue()).toBe('demo-20-1');
      const [bundleDl] = await Promise.all([
        page.waitForEvent('download', { timeout: 180_000 }),
        page.getByTestId('ck-bundle-build').click(),
      ]);
      expect(bundleDl.suggestedFilename()).toBe('clinic128_G_server_bundle.zip');
      const bundlePath = join(dir, 'bundle.zip');
      await bundleDl.saveAs(bundlePath);
      const entries = listZip(readFileSync(bundlePath), 'bundle.zip').map((e) => e.name);
      expect(entries.filter((n) => n.startsWith('datasets/clinic128_G/train/')).length).toBe(16);
      expect(entries.filter((n) => n.startsWith('datasets/clinic128_G/val/')).length).toBe(4);
      expect(entries).toEqual(
        expect.arrayContaining([
          'checkpoints/clinic128_G/latest_net_G.pth',
          'checkpoints/clinic128_G/latest_net_D.pth',
          'checkpoints/clinic128_G/train_opt.txt',
          'README.md',
        ]),
      );
      await shot(s, 'ck-bundle-en');
      await row128.getByTestId('ck-bundle').click();

      // ----- rename one checkpoint, delete another (after confirming) -----
      const rtRow = page.locator(`tr[data-checkpoint="${importedKey}"]`);
      await rtRow.getByRole('button', { name: 'Rename' }).click();
      await rtRow.getByRole('textbox').fill('after round trip');
      await rtRow.getByRole('textbox').press('Enter');
      await expect
        .poll(async () => (await ckDebug(page)).rows.find((r) => r.runId === imported!.runId)?.label)
        .toBe('after round trip');
      // one library for every section: the Train section shows the run's checkpoint; once it is
      // deleted in Checkpoints, the Train section no longer offers it (no reload, no notification)
      await page.getByRole('tab', { name: 'Train' }).click();
      await page.locator(`tr[data-run="${r128.runId}"]`).getByRole('button', { name: 'Show curves' }).click();
      const trainCkpt = page.getByTestId('checkpoint-list').locator('tr[data-checkpoint="last"]');
      await trainCkpt.waitFor({ timeout: 30_000 });
      expect((await trainDebug(page)).runId).toBe(r128.runId);
      expect((await trainDebug(page)).checkpoints.map((c) => c.name)).toEqual(['last']);
      await page.getByRole('tab', { name: 'Checkpoints' }).click();
      await row128.waitFor({ timeout: 30_000 });
      page.once('dialog', (d) => void d.accept());
      await row128.getByRole('button', { name: 'Delete' }).click();
      await expect
        .poll(async () => (await ckDebug(page)).rows.some((r) => r.runId === r128.runId))
        .toBe(false);
      await page.getByRole('tab', { name: 'Train' }).click();
      await page.getByTestId('checkpoint-list').waitFor();
      expect((await trainDebug(page)).runId).toBe(r128.runId);
      expect((await trainDebug(page)).checkpoints).toEqual([]);
      expect(await trainCkpt.count()).toBe(0);
      await shot(s, 'ck-deleted-train-en');
      await page.getByRole('tab', { name: 'Checkpoints' }).click();
      await page.getByRole('heading', { level: 2, name: 'Checkpoints' }).waitFor();

      // ----- a hostile pickle: refused by name, nothing stored -----
      const pkl = new Uint8Array([
        0x80,
        0x02,
        ...enc('cposix\nsystem\n'),
        0x58,
        4,
        0,
        0,
        0,
        ...enc('echo'),
        0x85,
        0x52,
        0x2e,
      ]);
      const evilPath = join(dir, 'evil_net_G.pth');
      writeFileSync(
        evilPath,
        writeZip([
          { name: 'evil/data.pkl', data: pkl },
          { name: 'evil/version', data: enc('3\n') },
        ]),
      );
      const before = (await ckDebug(page)).rows.length;
      await fileInput.setInputFiles(evilPath);
      const err = page.getByTestId('ck-import-error');
      await err.waitFor({ timeout: 60_000 });
      const errText = (await err.textContent()) ?? '';
      expect(errText).toContain('The import failed; nothing was stored.');
      expect(errText).toContain('It was refused; nothing in it was executed.');
      expect(errText).toContain('evil_net_G.pth');
      expect(errText).toContain('refusing the global "posix.system"');
      expect((await ckDebug(page)).rows.length).toBe(before);
      await shot(s, 'ck-import-error-en');

      // ----- 简体中文: the list, the download menu, a preview and the error -----
      await page.getByRole('button', { name: '简体中文' }).click();
      await page.getByRole('heading', { level: 2, name: '检查点' }).waitFor();
      await shot(s, 'ck-import-error-zh');
      await fileInput.setInputFiles([pthPath, join(dir, 'train_opt.txt'), join(dir, 'loss_log.txt')]);
      await preview.waitFor({ timeout: 60_000 });
      await shot(s, 'ck-import-preview-zh');
      await page.getByRole('button', { name: '取消' }).click();
      if ((await page.getByTestId('ck-export-menu').count()) === 0)
        await row.getByTestId('ck-export').click();
      await page.getByTestId('ck-export-menu').waitFor();
      await shot(s, 'ck-export-menu-zh');
      await row.getByTestId('ck-bundle').click();
      await page.getByTestId('ck-bundle-incompatible').waitFor({ timeout: 60_000 });
      await shot(s, 'ck-bundle-zh');
      await row.getByTestId('ck-bundle').click();
      await shot(s, 'ck-list-zh');
      await page.getByRole('button', { name: 'English' }).click();

      // ----- the server run's curves in the Train view -----
      await page.getByRole('tab', { name: 'Train' }).click();
      const runRow = page.locator(`tr[data-run="${server!.runId}"]`);
      await runRow.waitFor({ timeout: 30_000 });
      expect(await runRow.getAttribute('data-status')).toBe('finished');
      await runRow.getByRole('button', { name: 'Show curves' }).click();
      await expect
        .poll(async () => (await trainDebug(page)).seriesCounts.G_GAN ?? 0, { timeout: 30_000 })
        .toBe(3);
      expect((await trainDebug(page)).seriesCounts.D_fake).toBe(3);
      await shot(s, 'ck-server-run-curves-en');

      // ----- continue training the server model in a new run (fresh Adam, the next epoch) -----
      await page.getByRole('tab', { name: 'Checkpoints' }).click();
      const serverRow = page.locator(`tr[data-checkpoint="${server!.runId}/last"]`);
      await serverRow.waitFor({ timeout: 30_000 });
      await serverRow.getByTestId('ck-continue').click();
      const banner = page.getByTestId('continue-banner');
      await banner.waitFor({ timeout: 30_000 });
      // the loss log ends in epoch 2: two epochs are complete, the new run starts at epoch 3
      expect(await banner.getAttribute('data-first-epoch')).toBe('3');
      expect(await banner.textContent()).toContain(
        'Continue training from checkpoint “last” of run ceph_srv (a new run)',
      );
      expect(await banner.textContent()).toContain('--continue_train --epoch_count 3');
      expect(await page.locator('#tv-opt-ngf').isDisabled()).toBe(true);
      expect(await page.locator('#tv-opt-ngf').inputValue()).toBe('8');
      expect(await page.locator('#tv-opt-lambda_L1').isDisabled()).toBe(false);
      await banner.scrollIntoViewIfNeeded();
      await shot(s, 'ck-continue-en');
      await page.getByRole('button', { name: '简体中文' }).click();
      await page.getByTestId('continue-banner').filter({ hasText: '从训练 ceph_srv 的检查点' }).waitFor();
      await shot(s, 'ck-continue-zh');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('button', { name: 'Start training' }).click();
      await expect
        .poll(async () => (await trainDebug(page)).step ?? 0, { timeout: 300_000, interval: 500 })
        .toBeGreaterThanOrEqual(2);
      const cont = await trainDebug(page);
      expect(cont.activeRunId).not.toBe(server!.runId);
      expect(cont.epoch).toBe(3);
      await page.getByRole('button', { name: 'Stop' }).click();
      await expect
        .poll(() => page.getByTestId('train-phase').getAttribute('data-phase'), { timeout: 120_000 })
        .toBe('ready');
      const contRow = page.locator(`tr[data-run="${cont.activeRunId}"]`);
      await contRow.waitFor({ timeout: 30_000 });
      expect(await contRow.getByTestId('run-origin').textContent()).toContain(
        'from ceph_srv · last (2 epochs)',
      );
      expect(await page.getByTestId('continue-banner').count()).toBe(0);
      s.expectClean();
    } catch (e) {
      // what the page looked like when it failed
      await s.screenshot('ck-failure').catch(() => undefined);
      throw e;
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
