/**
 * Environment page in headless Chromium with WebGPU on SwiftShader (the CPU fallback adapter these
 * machines have): backend webgpu is chosen, the adapter is shown as a fallback with the warning,
 * the self-test passes, the report exports as JSON and Markdown; switching to wasm re-runs
 * detection and the self-test with the wasm binary served from 127.0.0.1. Device questions go to
 * the training engine (its worker here); the page is served cross-origin isolated (COOP/COEP) and
 * shows the wasm thread count; the in-app benchmark (3 steps of the small config on wasm) fills its table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openEnvironmentAndWaitForSelfTest, openStudio } from './browser';
import { bothLanguages } from './helpers';

describe('Environment page', () => {
  it('reports webgpu on the SwiftShader fallback adapter, warns, and passes the self-test', async () => {
    const s = await openStudio();
    try {
      const { page } = s;
      await openEnvironmentAndWaitForSelfTest(page, 'Environment');

      const backend = page.getByTestId('env-backend');
      await expect.poll(() => backend.textContent()).toBe('webgpu');
      expect(await page.getByTestId('env-adapter-vendor').textContent()).toBe('google');
      expect(await page.getByTestId('env-adapter-architecture').textContent()).toBe('swiftshader');
      expect(await page.getByTestId('env-adapter-fallback').getAttribute('data-fallback')).toBe('true');

      const warnings = page.getByTestId('env-warnings').locator('li');
      expect(await warnings.first().getAttribute('data-code')).toBe('backend.webgpu.fallbackAdapter');
      expect(await warnings.first().textContent()).toContain('only a CPU fallback adapter');

      const banner = page.getByRole('alert').filter({ hasText: 'CPU fallback adapter' });
      expect(await banner.isVisible()).toBe(true);
      expect(await page.getByTestId('backend-badge').textContent()).toContain(
        'WebGPU · SwiftShader (CPU fallback)',
      );

      const verdict = page.getByTestId('env-selftest-verdict');
      expect(await verdict.getAttribute('data-passed')).toBe('true');
      expect(await verdict.textContent()).toContain('self-test passed: webgpu agrees with the cpu reference');
      // six quantities compared (forward + five gradients), each passed
      const rows = page.locator('table.checks tbody tr');
      expect(await rows.count()).toBe(6);
      expect(await rows.locator('td.ok').count()).toBe(6);

      await s.screenshot('environment-en');

      // JSON export: the same facts, machine-readable
      const [jsonDownload] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download report (JSON)' }).click(),
      ]);
      expect(jsonDownload.suggestedFilename()).toMatch(/^ceph-gan-studio-environment-.*\.json$/);
      const report = JSON.parse(readFileSync(await jsonDownload.path(), 'utf8'));
      expect(report.schema).toBe('ceph-gan-studio/env-report@1');
      expect(report.selection.backend).toBe('webgpu');
      expect(report.selection.adapter.architecture).toBe('swiftshader');
      expect(report.selection.adapter.isFallbackAdapter).toBe(true);
      expect(report.selection.adapter.limits.maxBufferSize).toBeGreaterThan(0);
      expect(report.selection.adapter.features.shaderF16).toBe(false);
      expect(report.selection.adapter.features.timestampQuery).toBe(true);
      expect(report.selfTest.passed).toBe(true);
      expect(report.selfTest.checks).toHaveLength(6);
      for (const c of report.selfTest.checks) expect(c.maxAbsDiff).toBeLessThan(1e-3);
      expect(report.browser.brands.join(' ')).toMatch(/Chromium/);
      expect(report.storage.available).toBe(true);
      expect(report.storage.quotaBytes).toBeGreaterThan(0);
      console.log(
        `[e2e] webgpu self-test: max |diff| ${report.selfTest.maxAbsDiff.toExponential(2)}, ` +
          `${Math.round(report.selfTest.durationMs)} ms on webgpu, ${Math.round(report.selfTest.referenceDurationMs)} ms on cpu`,
      );

      const [mdDownload] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download report (Markdown)' }).click(),
      ]);
      const md = readFileSync(await mdDownload.path(), 'utf8');
      expect(md).toContain('| Backend in use | webgpu |');
      expect(md).toContain('| CPU fallback adapter (isFallbackAdapter) | yes |');
      expect(md).toMatch(/\*\*Result: passed\*\*/);

      // the answers come from the training engine in its worker; the page is cross-origin isolated
      expect(report.engine).toMatchObject({ home: 'worker', wasmThreads: null, crossOriginIsolated: true });
      expect(report.browser.crossOriginIsolated).toBe(true);
      expect(await page.getByTestId('env-engine-home').getAttribute('data-home')).toBe('worker');
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

      s.expectClean();
    } finally {
      await s.close();
    }
  });

  it('switching to wasm re-runs detection and the self-test; the .wasm comes from 127.0.0.1', async () => {
    const s = await openStudio({ path: '#/environment' });
    try {
      const { page } = s;
      await page.getByTestId('env-selftest-verdict').waitFor({ timeout: 120_000 });
      await page.getByLabel('Backend to use').selectOption('wasm');
      const backend = page.getByTestId('env-backend');
      await expect.poll(() => backend.textContent(), { timeout: 60_000 }).toBe('wasm');
      const verdict = page.getByTestId('env-selftest-verdict');
      await expect
        .poll(() => verdict.textContent(), { timeout: 60_000 })
        .toContain('wasm agrees with the cpu reference');
      expect(await verdict.getAttribute('data-passed')).toBe('true');
      // the thread count the wasm backend runs with (TF.js caps it at half the logical cores)
      await expect
        .poll(() => page.getByTestId('env-wasm-threads').getAttribute('data-threads'))
        .toMatch(/^[1-9]\d*$/);
      // the in-app benchmark on wasm (WebGPU on SwiftShader takes ~30 s a step): the small
      // configuration, 3 measured steps, through the engine
      await page.getByTestId('env-bench-steps').selectOption('3');
      await page.getByTestId('env-bench-run').click();
      const row = page.locator('[data-testid=env-bench-row][data-config="unet_128-ngf16-128"]');
      await row.waitFor({ timeout: 240_000 });
      const stepText = (await row.getByTestId('env-bench-step').textContent()) ?? '';
      const gflopsText = (await row.getByTestId('env-bench-gflops').textContent()) ?? '';
      expect(stepText).toMatch(/^\d+ ms$/);
      expect(gflopsText).toMatch(/^\d+\.\d\d GFLOP\/s$/);
      const stepMs = Number(stepText.split(' ')[0]);
      const gflops = Number(gflopsText.split(' ')[0]);
      expect(stepMs).toBeGreaterThan(0);
      // achieved GFLOP/s is the arithmetic (1.56 GFLOP per step) over the median step
      expect(gflops).toBeCloseTo(1.5604 / (stepMs / 1000), 0);
      expect(await row.textContent()).toContain('wasm');
      expect(await row.textContent()).toContain('wasm heap');
      // peak memory against the theoretical need (weights + grads + Adam + activations), as a ratio
      expect(await row.getByTestId('env-bench-theory').textContent()).toMatch(/^\d+(\.\d)? MiB$/);
      expect(await row.getByTestId('env-bench-ratio').textContent()).toMatch(/^\d+\.\d\d×$/);
      const [benchMd] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download table (Markdown)' }).click(),
      ]);
      const table = readFileSync(await benchMd.path(), 'utf8');
      expect(table).toMatch(/\| unet_128 ngf16 @128 \| wasm \| browser \| \d+ \| \d+ \|/);
      console.log(`[e2e] in-app benchmark on wasm: ${stepText} per step, ${gflopsText}`);
      await bothLanguages(page, page.getByTestId('env-bench'), 'environment-benchmark', async () => {
        expect(await page.getByTestId('env-bench').textContent()).toContain('本机训练速度');
      });
      // the wasm backend's binary was fetched from the app's own origin
      const wasm = s.requests.filter((r) => r.url.endsWith('.wasm'));
      expect(wasm.length).toBeGreaterThan(0);
      for (const r of wasm) expect(new URL(r.url).hostname).toBe('127.0.0.1');
      // the banner now says there is no GPU, and the choice is remembered across a reload
      expect(await page.getByTestId('fallback-banner').textContent()).toContain(
        'WebAssembly backend (no GPU)',
      );
      await page.reload();
      await expect
        .poll(() => page.getByTestId('env-backend').textContent(), { timeout: 60_000 })
        .toBe('wasm');
      expect(await page.getByLabel('Backend to use').inputValue()).toBe('wasm');
      s.expectClean();
    } finally {
      await s.close();
    }
  });
});
