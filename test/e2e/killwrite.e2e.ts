/**
 * Interrupted writes (issue 17, item 3), proven by killing the browser: Chromium runs on a
 * persistent profile (IndexedDB survives); a demo run trains in the engine's worker saving `last`
 * every step; at a seeded random moment after a checkpoint save starts (the engine's activity is
 * `saving`), the browser process and its whole process tree get SIGKILL — no unload handler, no
 * clean shutdown. The studio is reopened on the same profile and must offer only complete
 * records: the run shows `interrupted`, its `last` checkpoint has every stored part (read from
 * IndexedDB directly), Recover interrupted run loads it and training continues from its step. 10 trials in a row,
 * each resuming what the previous kill left; every trial must pass (10/10).
 *
 * Also: while a run trains in one tab, a second tab of the same studio sees it as running (its
 * Web Lock is held), not interrupted, and offers no Recover for it (two tabs, locks tested).
 *
 * Read-only debug hook: `window.__studio.train`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { zipSync, strToU8 } from 'fflate';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import { encodePngNode } from '../../src/core/io/decodeNode';
import { writeIsbiText } from '../../src/core/io/landmarks';
import { killBrowser, openStudio, type StudioSession } from './browser';

interface TrainDebug {
  phase: string;
  activity: string | null;
  runId: string | null;
  activeRunId: string | null;
  step: number | null;
  checkpoints: { name: string; step: number }[];
}

const debug = (page: Page): Promise<TrainDebug> =>
  page.evaluate(() => (window as unknown as { __studio: { train: TrainDebug } }).__studio.train);

async function waitFor(
  page: Page,
  pred: (d: TrainDebug) => boolean,
  timeoutMs: number,
  what: string,
): Promise<TrainDebug> {
  const t0 = Date.now();
  let last: TrainDebug | undefined;
  while (Date.now() - t0 < timeoutMs) {
    last = await debug(page).catch(() => undefined);
    if (last && pred(last)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last state ${JSON.stringify(last)}`);
}

/** mulberry32: the kill moments are seeded, so a failing trial reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface StoredCheckpointState {
  pointer: { versionId: string; step: number; files: { name: string; parts: number }[] } | null;
  /** Parts of the pointer's files that are not stored. */
  missingParts: string[];
  /** Versions stored but not pointed at (a save or a delete the kill interrupted). */
  orphanVersions: string[];
}

/** The run's `last` checkpoint as IndexedDB holds it (raw reads, no studio code). */
function storedCheckpoint(page: Page, runId: string): Promise<StoredCheckpointState> {
  return page.evaluate(async (runId) => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open('ceph-gan-studio-checkpoints');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const req = <T>(r: IDBRequest<T>) =>
      new Promise<T>((ok, fail) => {
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
    const os = db.transaction('kv', 'readonly').objectStore('kv');
    const pointer = (await req(os.get(`ptr/${runId}/last`))) as StoredCheckpointState['pointer'] | undefined;
    const keys = (await req(
      os.getAllKeys(IDBKeyRange.bound(`ver/${runId}/`, `ver/${runId}/\uffff`)),
    )) as string[];
    db.close();
    const have = new Set(keys);
    const missingParts: string[] = [];
    for (const f of pointer?.files ?? [])
      for (let p = 0; p < f.parts; p++) {
        const k = `ver/${runId}/${pointer!.versionId}/${encodeURIComponent(f.name)}/${String(p).padStart(5, '0')}`;
        if (!have.has(k)) missingParts.push(k);
      }
    const versions = new Set(keys.map((k) => k.split('/')[2]));
    versions.delete(pointer?.versionId ?? '');
    return { pointer: pointer ?? null, missingParts, orphanVersions: [...versions] };
  }, runId);
}

const TRIALS = 10;
/** The wasm backend starts in a second (no shader compilation on SwiftShader); the writes are the same. */
const BACKEND_WASM = `localStorage.setItem('ceph-gan-studio.backend', 'wasm');`;
const SEED = 17;

describe('killing the browser during checkpoint saves', () => {
  it(
    `reopens with a complete checkpoint and resumes, ${TRIALS}/${TRIALS}`,
    { timeout: 900_000 },
    async () => {
      const profile = mkdtempSync(join(tmpdir(), 'ceph-gan-kill-'));
      const random = rng(SEED);
      const open = () => openStudio({ path: '#/train', profile, initScript: BACKEND_WASM });
      let s: StudioSession | null = await open();
      const t0 = Date.now();
      const passed: string[] = [];
      let orphansBefore = new Set<string>();
      let trialsMidWrite = 0;
      try {
        let page = s.page;
        const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
        await expect.poll(() => loadDemo.isEnabled(), { timeout: 120_000 }).toBe(true);
        await page.getByLabel('Cases', { exact: true }).fill('8');
        await loadDemo.click();
        await page
          .getByTestId('train-dataset')
          .filter({ hasText: 'training cases' })
          .waitFor({ timeout: 60_000 });
        await page.getByLabel('Preset', { exact: true }).selectOption('demo');
        await page.getByText(/^More options/).click();
        for (const [label, value] of [
          ['save_every', '1'],
          ['val_every', '0'],
          ['log_every', '1'],
        ]) {
          await page.getByLabel(label, { exact: true }).fill(value);
          await page.getByLabel(label, { exact: true }).blur();
        }
        await page.getByRole('button', { name: 'Start training' }).click();
        const first = await waitFor(
          page,
          (d) => d.checkpoints.some((c) => c.name === 'last'),
          120_000,
          'the first `last` checkpoint',
        );
        const runId = first.activeRunId as string;
        expect(runId).toMatch(/^run/);
        console.log(
          `[e2e] run ${runId} trains; first checkpoint after ${((Date.now() - t0) / 1000).toFixed(0)} s`,
        );

        // how long a save takes here (activity `saving` until the next activity), median of 5
        const saveMs = await page.evaluate(
          () =>
            new Promise<number>((done) => {
              const hook = () => (window as unknown as { __studio: { train: TrainDebug } }).__studio.train;
              const spans: number[] = [];
              let since: number | null = null;
              const timer = setInterval(() => {
                const saving = hook().activity === 'saving';
                if (saving && since === null) since = performance.now();
                if (!saving && since !== null) {
                  spans.push(performance.now() - since);
                  since = null;
                  if (spans.length === 5) {
                    clearInterval(timer);
                    spans.sort((a, b) => a - b);
                    done(spans[2]);
                  }
                }
              }, 1);
            }),
        );
        console.log(`[e2e] a checkpoint save takes ~${saveMs.toFixed(0)} ms (median of 5)`);

        for (let trial = 1; trial <= TRIALS; trial++) {
          // a save starts (the engine reports activity `saving`), then a random moment within it
          await page.waitForFunction(
            () =>
              (window as unknown as { __studio: { train: TrainDebug } }).__studio.train.activity === 'saving',
            undefined,
            { polling: 5, timeout: 60_000 },
          );
          const delayMs = Math.floor(random() * saveMs);
          if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
          const killed = killBrowser(profile);
          expect(killed.length, 'browser processes found to kill').toBeGreaterThan(0);
          s = null;

          // reopen on the same profile
          const tOpen = Date.now();
          s = await open();
          page = s.page;
          const row = page.locator(`tr[data-run="${runId}"]`);
          await expect.poll(() => row.getAttribute('data-status'), { timeout: 60_000 }).toBe('interrupted');
          const tShown = Date.now();
          const stored = await storedCheckpoint(page, runId);
          expect(stored.pointer, `trial ${trial}: the run's last checkpoint`).not.toBeNull();
          expect(stored.missingParts, `trial ${trial}: parts of the offered checkpoint`).toEqual([]);
          const ckptStep = stored.pointer!.step;
          if (trial === 1) await s.screenshot('killwrite-reopened');
          // versions left by THIS kill: parts written but never pointed at (killed mid-write), or the
          // replaced version not yet deleted (killed just after the pointer flip)
          const leftNow = stored.orphanVersions.filter((v) => !orphansBefore.has(v));
          orphansBefore = new Set(stored.orphanVersions);
          if (leftNow.length > 0) trialsMidWrite++;
          const recover = row.getByRole('button', { name: /^Recover interrupted run / });
          await expect.poll(() => recover.isEnabled(), { timeout: 60_000 }).toBe(true);
          await recover.click();
          const resumed = await waitFor(
            page,
            (d) => d.activeRunId === runId && (d.step ?? 0) > ckptStep,
            120_000,
            `trial ${trial}: steps after resuming from step ${ckptStep}`,
          );
          const line =
            `trial ${trial}: killed ${delayMs} ms into a save (${killed.length} processes); reopened: ` +
            `last at step ${ckptStep}, ${leftNow.length} unreferenced version(s) left by this kill; ` +
            `resumed to step ${resumed.step} at ${((Date.now() - t0) / 1000).toFixed(0)} s ` +
            `(reopen ${((tShown - tOpen) / 1000).toFixed(1)} s, resume ${((Date.now() - tShown) / 1000).toFixed(1)} s)`;
          console.log(`[e2e] ${line}`);
          passed.push(line);

          if (trial === 1) {
            // two tabs: a second tab of the same studio sees the run as running (its Web Lock is
            // held by the first tab's engine), never as interrupted, and offers no Recover for it
            const tab2 = await s.context.newPage();
            await tab2.goto(new URL('#/train', s.baseUrl).href);
            const row2 = tab2.locator(`tr[data-run="${runId}"]`);
            await expect.poll(() => row2.getAttribute('data-status'), { timeout: 60_000 }).toBe('running');
            await tab2.waitForTimeout(4000); // longer than the lock check's grace period (2.5 s)
            expect(await row2.getAttribute('data-status')).toBe('running');
            expect(await row2.getByRole('button', { name: /^Recover interrupted run / }).count()).toBe(0);
            const d1 = await debug(page);
            expect(d1.activeRunId, 'the first tab still trains').toBe(runId);
            await tab2.close();
            console.log(
              '[e2e] a second tab saw the run running (lock held), not interrupted; no Recover offered',
            );
          }
        }
        console.log(
          `[e2e] ${trialsMidWrite}/${TRIALS} kills left a partly written or replaced version behind (caught mid-write)`,
        );
        expect(passed.length).toBe(TRIALS);
        s.expectClean();
      } finally {
        if (s) await s.close().catch(() => undefined);
        else killBrowser(profile);
        rmSync(profile, { recursive: true, force: true });
      }
    },
  );
});

interface DatasetsState {
  /** Listed (ready) datasets with their case counts. */
  listed: { id: string; cases: number }[];
  /** Listed cases whose record or an image is missing (must be none). */
  missing: string[];
  /** Case records not listed by any manifest (left by a kill; repaired, never offered). */
  unlisted: number;
  tracings: { key: string; points: number; symbols: number }[];
}

/** What the datasets database holds, read raw (no studio code). */
function storedDatasets(page: Page): Promise<DatasetsState> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open('ceph-gan-studio-datasets');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const req = <T>(r: IDBRequest<T>) =>
      new Promise<T>((ok, fail) => {
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
    const os = db.transaction('kv', 'readonly').objectStore('kv');
    const range = (p: string) => IDBKeyRange.bound(p, p + '\uffff');
    const manifests = (await req(os.getAll(range('manifest/')))) as {
      meta: { id: string };
      caseIds: string[];
      state: string;
    }[];
    const keys = new Set((await req(os.getAllKeys(range('')))) as string[]);
    const cases = (await req(os.getAll(range('case/')))) as {
      datasetId: string;
      record: { id: string };
      images: Record<string, unknown>;
    }[];
    const byKey = new Map(cases.map((c) => [`case/${c.datasetId}/${c.record.id}`, c]));
    const tracings = (await req(os.getAll(range('tracing/')))) as {
      datasetId: string;
      caseId: string;
      points: unknown[];
      symbols: string[];
    }[];
    db.close();
    const listed: { id: string; cases: number }[] = [];
    const missing: string[] = [];
    const listedKeys = new Set<string>();
    for (const m of manifests) {
      if (m.state !== 'ready') continue;
      listed.push({ id: m.meta.id, cases: m.caseIds.length });
      for (const id of m.caseIds) {
        const k = `case/${m.meta.id}/${id}`;
        listedKeys.add(k);
        const c = byKey.get(k);
        if (!c) missing.push(k);
        else
          for (const role of Object.keys(c.images))
            if (!keys.has(`img/${m.meta.id}/${id}/${role}`)) missing.push(`img/${m.meta.id}/${id}/${role}`);
      }
    }
    return {
      listed,
      missing,
      unlisted: [...byKey.keys()].filter((k) => !listedKeys.has(k)).length,
      tracings: tracings.map((t) => ({
        key: `${t.datasetId}/${t.caseId}`,
        points: t.points.length,
        symbols: t.symbols.length,
      })),
    };
  });
}

interface DetectorsState {
  records: { id: string; status: string; epochsDone: number; checkpoints: string[] }[];
  /** Checkpoints whose weights are missing or of the wrong size (must be none). */
  broken: string[];
}

function storedDetectors(page: Page): Promise<DetectorsState> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open('ceph-gan-studio-checkpoints');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const req = <T>(r: IDBRequest<T>) =>
      new Promise<T>((ok, fail) => {
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
    const os = db.transaction('kv', 'readonly').objectStore('kv');
    const recs = (await req(os.getAll(IDBKeyRange.bound('det/rec/', 'det/rec/\uffff')))) as {
      id: string;
      status: string;
      epochsDone: number;
      checkpoints: Record<string, { versionId: string; bytes: number }>;
    }[];
    const broken: string[] = [];
    for (const r of recs)
      for (const [name, c] of Object.entries(r.checkpoints)) {
        const w = (await req(os.get(`det/w/${r.id}/${c.versionId}`))) as Blob | undefined;
        if (!w || w.size !== c.bytes) broken.push(`${r.id}/${name}`);
      }
    db.close();
    return {
      records: recs.map((r) => ({
        id: r.id,
        status: r.status,
        epochsDone: r.epochsDone,
        checkpoints: Object.keys(r.checkpoints),
      })),
      broken,
    };
  });
}

/** Phantom cases as a clinic exports them: photo/ and xray/ PNGs with ISBI landmark files. */
function phantomZip(n: number): { zip: Uint8Array; ids: string[] } {
  const ds = generatePhantomDataset({ n, seed: 5, width: 160, height: 200, valCount: 2 });
  const files: Record<string, Uint8Array> = {};
  for (const c of ds.cases) {
    files[`films/photo/${c.id}.png`] = encodePngNode(c.photo);
    files[`films/xray/${c.id}.png`] = encodePngNode(c.xray);
    files[`films/xray/${c.id}.txt`] = strToU8(writeIsbiText(c.landmarks));
  }
  return { zip: zipSync(files), ids: ds.cases.map((c) => c.id) };
}

describe('killing the browser during a dataset import, a tracing save and a detector save', () => {
  it('reopens with only complete datasets, tracings and detectors', { timeout: 900_000 }, async () => {
    const profile = mkdtempSync(join(tmpdir(), 'ceph-gan-kill-'));
    const random = rng(SEED + 1);
    const open = (path = '') => openStudio({ path, profile, initScript: BACKEND_WASM });
    let s: StudioSession | null = await open();
    const t0 = Date.now();
    const kill = () => {
      const pids = killBrowser(profile);
      expect(pids.length, 'browser processes found to kill').toBeGreaterThan(0);
      s = null;
      return pids.length;
    };
    try {
      // ----- 1. a dataset import, killed at a random moment -----
      const { zip, ids } = phantomZip(24);
      let page = s.page;
      const importZip = async () => {
        await page.getByTestId('dataset-list').waitFor({ timeout: 60_000 });
        await page
          .getByTestId('data-file-input')
          .setInputFiles({ name: 'films.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
        await page.getByTestId('import-plan').waitFor({ timeout: 60_000 });
        await page.getByTestId('import-start').click();
      };
      await importZip();
      // once the first batch of 8 cases is read (its write begins), a random moment
      await expect
        .poll(
          () => page.locator('progress.dv-progress').evaluate((el) => (el as HTMLProgressElement).value),
          {
            timeout: 120_000,
            interval: 50,
          },
        )
        .toBeGreaterThanOrEqual(8);
      const importDelay = Math.floor(random() * 1500);
      await page.waitForTimeout(importDelay);
      kill();
      s = await open();
      page = s.page;
      await page.getByTestId('dataset-list').waitFor({ timeout: 60_000 });
      const afterImport = await storedDatasets(page);
      console.log(
        `[e2e] import killed ${importDelay} ms after its 8th case was read: listed ${JSON.stringify(afterImport.listed)}, ` +
          `${afterImport.unlisted} unlisted case record(s) left by the kill (never offered)`,
      );
      expect(afterImport.missing, 'listed cases without their record or images').toEqual([]);
      // the studio lists what the store lists (no more)
      for (const d of afterImport.listed) expect(d.cases).toBeLessThanOrEqual(ids.length);
      let dsId = afterImport.listed.find((d) => d.cases === ids.length)?.id;
      if (!dsId) {
        // import again, to the end, for the next steps
        await importZip();
        await page.getByTestId('import-report').waitFor({ timeout: 170_000 });
        dsId = (await storedDatasets(page)).listed.find((d) => d.cases === ids.length)?.id;
      }
      expect(dsId).toBeTruthy();

      // ----- 2. a tracing file import (one tracing per case), killed at a random moment -----
      await page.getByRole('tab', { name: 'Landmarks' }).click();
      await page.locator('[data-testid="lm-section"][data-ready="true"]').waitFor({ timeout: 120_000 });
      await page.getByTestId('lm-dataset').selectOption(dsId!);
      await page.getByTestId('lm-target').selectOption('real');
      const header = [
        'image_path',
        ...Array.from({ length: 19 }, (_, i) => [`${i + 1}_x`, `${i + 1}_y`]).flat(),
      ];
      const csv =
        [
          header.join(','),
          ...ids.map((id, k) => [id, ...Array.from({ length: 38 }, (_, i) => 10 + i + k)].join(',')),
        ].join('\n') + '\n';
      await page
        .getByTestId('lm-import')
        .setInputFiles({ name: 'tracings.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      const tracingDelay = Math.floor(random() * 120);
      await page.waitForTimeout(tracingDelay);
      kill();
      s = await open();
      page = s.page;
      await page.getByTestId('dataset-list').waitFor({ timeout: 60_000 });
      const afterTracing = await storedDatasets(page);
      console.log(
        `[e2e] tracing import killed ${tracingDelay} ms after the file was chosen: ${afterTracing.tracings.length} of ${ids.length} tracings stored`,
      );
      expect([0, ids.length]).toContain(afterTracing.tracings.length); // one transaction: all or none
      for (const t of afterTracing.tracings) expect(t.points, t.key).toBe(t.symbols);
      expect(afterTracing.missing).toEqual([]);

      // ----- 3. a detector training, killed around an epoch's checkpoint save -----
      await page.getByRole('tab', { name: 'Landmarks' }).click();
      await page.locator('[data-testid="lm-section"][data-ready="true"]').waitFor({ timeout: 120_000 });
      await page.locator('[data-testid="det-panel"][data-loaded="true"]').waitFor({ timeout: 60_000 });
      await page.getByTestId('det-dataset').selectOption(dsId!);
      await page.getByTestId('det-preset').selectOption('quick');
      await page.getByTestId('det-epochs').fill('3');
      await page.getByTestId('det-start').click();
      interface DetProgress {
        epoch: number;
        step: number;
        stepsPerEpoch: number;
      }
      const detDebug = () =>
        page.evaluate(
          () =>
            (
              window as unknown as {
                __studio: { detector: { progress: DetProgress | null; error: string | null } };
              }
            ).__studio.detector,
        );
      // the last step of an epoch: validation and the `best` / `last` saves follow
      for (const end = Date.now() + 300_000; ;) {
        const d = await detDebug();
        expect(d.error).toBeNull();
        if (d.progress && d.progress.step === d.progress.stepsPerEpoch && d.progress.epoch >= 2) break;
        if (Date.now() > end) throw new Error(`no detector epoch end within 300 s; ${JSON.stringify(d)}`);
        await page.waitForTimeout(100);
      }
      const detDelay = Math.floor(random() * 1500);
      await page.waitForTimeout(detDelay);
      kill();
      s = await open('#/train');
      page = s.page;
      const afterDet = await storedDetectors(page);
      console.log(
        `[e2e] detector killed ${detDelay} ms after an epoch's last step: ${JSON.stringify(afterDet.records)}`,
      );
      expect(afterDet.records.length).toBe(1);
      expect(afterDet.broken, 'checkpoints without complete weights').toEqual([]);
      expect(afterDet.records[0].checkpoints).toContain('last');
      // the studio lists it (resumable), with no error
      await page.getByRole('tab', { name: 'Landmarks' }).click();
      await page.locator('[data-testid="det-panel"][data-loaded="true"]').waitFor({ timeout: 120_000 });
      const listed = await page.evaluate(
        () =>
          (
            window as unknown as {
              __studio: {
                detector: { detectors: { key: string; status: string | null }[]; error: string | null };
              };
            }
          ).__studio.detector,
      );
      expect(listed.error).toBeNull();
      expect(listed.detectors.filter((d) => d.key.startsWith('stored:')).map((d) => d.status)).toEqual([
        'stopped',
      ]);
      console.log(`[e2e] three kills and reopens in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      (s as StudioSession).expectClean();
    } finally {
      if (s) await (s as StudioSession).close().catch(() => undefined);
      else killBrowser(profile);
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
