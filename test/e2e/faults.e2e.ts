/**
 * Faults during training in the browser (issue 17, items 1 and 2), headless Chromium with WebGPU
 * on SwiftShader, the engine in its worker:
 *  - the GPU device is destroyed (`device.destroy()` on the engine's own WebGPU device, through the
 *    test hook `window.__studio.injectFault`) while a run trains: the engine says so, re-creates the
 *    backend (or falls back to another, with a message) and continues from its last checkpoint,
 *    which was read back intact (the run goes on past it; nothing stored is lost);
 *  - NaN weights are injected: the run pauses at the next metric read, rolled back, and the Train
 *    view offers to resume with the learning rate halved; resuming works.
 * Screenshots of both messages in the Train view, en and zh (test-results/e2e/faults-*.png).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openStudio } from './browser';
import { bothLanguages, debugHook, poll, setOption } from './helpers';

interface TrainHook {
  phase: string;
  step: number | null;
  backend: string | null;
  backendNow: string | null;
  checkpoints: { name: string; step: number }[];
  messageCodes: string[];
  recovery: { kind: string; step: number; restoredStep: number; waiting: boolean } | null;
}

const hook = (page: Page): Promise<TrainHook> => debugHook<TrainHook>(page, 'train');
const inject = (page: Page, fault: { kind: string; atStep?: number }): Promise<void> =>
  page.evaluate(
    (f) =>
      (
        window as unknown as { __studio: { injectFault: (f: unknown) => Promise<void> } }
      ).__studio.injectFault(f),
    fault,
  );

describe('faults during training (Chromium, WebGPU on SwiftShader)', () => {
  it('survives device.destroy() and offers lr-halved resume after NaN, checkpoints intact', async () => {
    const s = await openStudio({ path: '#/train' });
    const { page } = s;
    try {
      const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
      await expect.poll(() => loadDemo.isEnabled(), { timeout: 60_000 }).toBe(true);
      await page.getByLabel('Cases', { exact: true }).fill('6');
      await loadDemo.click();
      await page
        .getByTestId('train-dataset')
        .filter({ hasText: 'training cases' })
        .waitFor({ timeout: 60_000 });
      await page.getByLabel('Preset', { exact: true }).selectOption('demo');
      await page.getByText(/^More options/).click();
      await page.getByLabel('netG', { exact: true }).selectOption('unet_32');
      for (const [k, v] of [
        ['size', '32'],
        ['ngf', '4'],
        ['ndf', '4'],
        ['log_every', '1'],
        ['save_every', '2'],
        ['val_every', '1000'],
        ['n_epochs', '20'],
        ['n_epochs_decay', '0'],
      ])
        await setOption(page, k, v);
      await expect.poll(() => page.getByTestId('memory-estimate').getAttribute('data-fits')).toBe('true');
      await page.getByRole('button', { name: 'Start training' }).click();

      // ---- the GPU device is lost while training ----
      const before = await poll(
        () => hook(page),
        (h) => h.backend === 'webgpu' && h.checkpoints.some((c) => c.name === 'last' && c.step >= 2),
        150_000,
        'a first `last` checkpoint on webgpu',
      );
      const savedStep = Math.max(...before.checkpoints.filter((c) => c.name === 'last').map((c) => c.step));
      const t0 = Date.now();
      await inject(page, { kind: 'destroyDevice' });
      const after = await poll(
        () => hook(page),
        (h) =>
          h.messageCodes.includes('engine.fault.deviceRecovered') ||
          h.messageCodes.includes('engine.fault.deviceFallback') ||
          h.phase === 'ready', // the run ended: no recovery (asserted below)
        90_000,
        'the engine to recover from the lost device',
      );
      expect(
        after.phase,
        `the run ended instead of recovering; messages ${after.messageCodes.join(', ')}`,
      ).not.toBe('ready');
      expect(after.messageCodes).toContain('engine.fault.deviceLost');
      expect(after.messageCodes).not.toContain('engine.error');
      console.log(
        `[faults] device lost → ${after.messageCodes.includes('engine.fault.deviceRecovered') ? 'webgpu re-created' : `fell back to ${after.backendNow}`} in ${Date.now() - t0} ms`,
      );
      const msgs = page.locator('ul.tv-messages');
      const recovered = msgs.locator('li[data-code^="engine.fault.device"]').last();
      const restored = Number(/step (\d+)\)/.exec((await recovered.textContent()) ?? '')?.[1]);
      // the checkpoint written before the loss was read back: the run continues from it (or a newer one)
      expect(restored).toBeGreaterThanOrEqual(savedStep);
      const resumed = await poll(
        () => hook(page),
        (h) => h.phase === 'running' && (h.step ?? 0) >= restored + 2,
        90_000,
        'training to go on after the recovery',
      );
      expect(resumed.checkpoints.find((c) => c.name === 'last')?.step ?? 0).toBeGreaterThanOrEqual(savedStep);
      await bothLanguages(page, page.locator('section.tv-controls'), 'faults-device-lost');

      // ---- NaN weights: pause, roll back, offer lr halved ----
      const stepNow = (await hook(page)).step ?? 0;
      await inject(page, { kind: 'nonFinite', atStep: stepNow + 1 });
      const banner = page.getByTestId('train-recovery');
      await banner.waitFor({ timeout: 60_000 });
      const h = await hook(page);
      expect(h.phase).toBe('paused');
      expect(h.recovery?.kind).toBe('nonFinite');
      expect(h.recovery?.step).toBeGreaterThan(stepNow);
      expect(h.recovery?.restoredStep).toBeLessThan(h.recovery?.step ?? 0);
      expect(await page.getByTestId('train-recovery-message').textContent()).toMatch(
        new RegExp(`^Step ${h.recovery?.step}: .* became NaN`),
      );
      expect(await page.getByTestId('recovery-checklist').locator('tr[data-check]').count()).toBe(5);
      await bothLanguages(page, page.locator('section.tv-controls'), 'faults-nan');
      await page.getByTestId('recovery-resume-half').click();
      await poll(
        () => hook(page),
        (x) => x.phase === 'running' && (x.step ?? 0) > (h.recovery?.restoredStep ?? 0) + 1,
        90_000,
        'training to resume with the lr halved',
      );
      await expect.poll(() => banner.count()).toBe(0);

      await page.getByRole('button', { name: 'Stop' }).click();
      await expect
        .poll(() => page.getByTestId('train-phase').getAttribute('data-phase'), { timeout: 60_000 })
        .toBe('ready');
      expect(s.foreignRequests).toEqual([]);
    } finally {
      await s.close();
    }
  }, 420_000);
});
