/**
 * The Data section in headless Chromium (issue 4 acceptance):
 * 1. phantom cases exported as PNG + ISBI text, zipped, given to the page's file input: the plan,
 *    the import (worker decode with createImageBitmap), the right case count, the audit table with
 *    the flags the core audit finds on the same images in Node (the planted borders, rulers and
 *    mirrored X-rays among them), the landmarks in the case view, and the dataset after a reload;
 * 2. a ZIP with a corrupt image and an unpaired file: the rest is imported, both problems are listed;
 * 3. a small ZIP added to an existing dataset: cases already in it are skipped and named, the new
 *    ones are added, the evaluation list is unchanged; then a re-split through its confirmation.
 * Screenshots (English and 简体中文) of every screen go to test-results/e2e/data-*.png.
 */
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { auditDataset, auditSummary } from '../../src/core/data/audit';
import { messageText } from '../../src/core/messages';
import { auditFlagMessage } from '../../src/core/messages/audit';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import type { Point, RgbaImage } from '../../src/core/image';
import { decodeImageNode, encodePngNode } from '../../src/core/io/decodeNode';
import { writeIsbiText } from '../../src/core/io/landmarks';
import { openStudio, type StudioSession } from './browser';

const W = 400;
const H = 325;

interface Exported {
  zip: Uint8Array;
  ids: string[];
  landmarks: Map<string, Point[]>;
  /** code → number of cases, from the core audit of the decoded PNGs (what the page must show). */
  expectedCases: Map<string, number>;
  /** code → cases the core audit flags. */
  flagged: Map<string, string[]>;
  /** Cases the phantom drew a border / ruler into, or mirrored (its own truth). */
  planted: { border: string[]; ruler: string[]; mirrored: string[] };
  /** The case with the most flags and its flags' sentences (core table, en + zh). */
  mostFlagged: { id: string; en: string[]; zh: string[] };
}

function grey(img: RgbaImage): boolean {
  for (let i = 0; i < img.data.length; i += 4)
    if (img.data[i] !== img.data[i + 1] || img.data[i] !== img.data[i + 2]) return false;
  return true;
}

/** Phantom cases as a clinic would export them: photo/ and xray/ PNGs, ISBI text landmarks beside the X-rays. */
function exportPhantom(n: number, seed: number): Exported {
  const ds = generatePhantomDataset({ n, seed, width: W, height: H, valCount: Math.round(n * 0.2) });
  const planted = {
    border: ds.cases.filter((c) => c.flags.border).map((c) => c.id),
    ruler: ds.cases.filter((c) => c.flags.ruler).map((c) => c.id),
    mirrored: ds.cases.filter((c) => c.flags.mirrored).map((c) => c.id),
  };
  const files: Record<string, Uint8Array> = {};
  const landmarks = new Map<string, Point[]>();
  const ids: string[] = [];
  const decoded: { id: string; photo: RgbaImage; xray: RgbaImage; landmarks: Point[] }[] = [];
  for (const c of ds.cases) {
    const id = c.id;
    ids.push(id);
    const photo = encodePngNode(c.photo);
    const xray = encodePngNode(c.xray, { grey: grey(c.xray) });
    files[`phantom/photo/${id}.png`] = photo;
    files[`phantom/xray/${id}.png`] = xray;
    files[`phantom/xray/${id}.txt`] = strToU8(writeIsbiText(c.landmarks));
    landmarks.set(id, c.landmarks);
    const p = decodeImageNode(photo);
    const x = decodeImageNode(xray);
    if (!p.ok || !x.ok) throw new Error('phantom PNG does not decode');
    decoded.push({ id, photo: p.image, xray: x.image, landmarks: c.landmarks });
  }
  const audit = auditDataset(
    decoded.map((d) => ({ id: d.id, photo: d.photo, xray: d.xray, landmarks: d.landmarks })),
    { expectedLandmarks: 19 },
  );
  const expectedCases = new Map<string, number>();
  for (const row of auditSummary(audit.flags))
    expectedCases.set(row.code, (expectedCases.get(row.code) ?? 0) + row.cases);
  const flagged = new Map<string, string[]>();
  for (const f of audit.flags) {
    const list = flagged.get(f.code) ?? [];
    if (!list.includes(f.caseId)) list.push(f.caseId);
    flagged.set(f.code, list);
  }
  const most = [...ids].sort((a, b) => audit.byCase[b].length - audit.byCase[a].length)[0];
  const say = (lang: 'en' | 'zh') => audit.byCase[most].map((f) => messageText(auditFlagMessage(f), lang));
  const mostFlagged = { id: most, en: say('en'), zh: say('zh') };
  return { zip: zipSync(files), ids, landmarks, expectedCases, flagged, planted, mostFlagged };
}

async function chooseZip(s: StudioSession, name: string, zip: Uint8Array): Promise<void> {
  await s.page
    .getByTestId('data-file-input')
    .setInputFiles({ name, mimeType: 'application/zip', buffer: Buffer.from(zip) });
  await s.page.getByTestId('import-plan').waitFor({ timeout: 60_000 });
}

async function runImportAndWait(s: StudioSession): Promise<number> {
  const t0 = Date.now();
  await s.page.getByTestId('import-start').click();
  await s.page.getByTestId('import-report').waitFor({ timeout: 170_000 });
  return Date.now() - t0;
}

describe('Data: import, audit, browser', () => {
  it('imports a ZIP of phantom PNG + ISBI cases with the right count, flags and landmarks, kept after a reload', async () => {
    const N = 20;
    // seed 1: among the first 20 cases the phantom plants 3 borders, 7 rulers and 2 mirrored X-rays
    const ex = exportPhantom(N, 1);
    expect(ex.planted.border.length).toBeGreaterThan(0);
    expect(ex.planted.ruler.length).toBeGreaterThan(0);
    expect(ex.planted.mirrored.length).toBeGreaterThan(0);
    const s = await openStudio({ locale: 'en-US' });
    try {
      const { page } = s;
      await page.getByTestId('dataset-list').waitFor();
      expect(await page.getByTestId('dataset-row-demo').textContent()).toContain('Demo phantom (100 cases)');
      await s.screenshot('data-list-en');

      await chooseZip(s, 'phantom.zip', ex.zip);
      expect(await page.getByTestId('plan-kind').textContent()).toBe(
        'Photo and X-ray folders, paired by file name',
      );
      expect(await page.getByTestId('plan-cases').textContent()).toContain(`${N} complete cases of ${N}`);
      await s.screenshot('data-plan-en');

      const ms = await runImportAndWait(s);
      console.log(`[data e2e] import of ${N} cases (${W}×${H}) took ${ms} ms`);
      expect(await page.getByTestId('import-summary').textContent()).toContain(
        `${N} cases stored (${N} complete pairs)`,
      );
      expect(await page.getByTestId('report-table').locator('tbody tr').count()).toBe(0); // problems only: none
      await s.screenshot('data-report-en');

      await page.getByRole('button', { name: 'Open the dataset' }).click();
      await page.getByTestId('case-grid').waitFor();
      expect(await page.getByTestId('browse-count').textContent()).toBe(`${N} of ${N} cases`);
      await page.waitForTimeout(1500); // thumbnails
      await s.screenshot('data-grid-en');

      // the audit table shows what the core audit finds on the same pixels, planted flags included
      await page.getByTestId('ds-tab-audit').click();
      const rows = page.getByTestId('audit-row');
      const shown = new Map<string, number>();
      for (let i = 0; i < (await rows.count()); i++) {
        const code = (await rows.nth(i).getAttribute('data-code'))!;
        const cases = Number((await rows.nth(i).getByTestId('audit-cases').textContent())!.replace(/,/g, ''));
        shown.set(code, (shown.get(code) ?? 0) + cases);
      }
      expect([...shown].sort()).toEqual([...ex.expectedCases].sort());
      await s.screenshot('data-audit-en');
      // the planted artefacts show up: the flag filter lists exactly the cases the core audit flags,
      // and among them are cases the phantom planted that artefact in
      for (const [code, planted] of [
        ['device-border', ex.planted.border],
        ['ruler', ex.planted.ruler],
        ['xray-mirrored', ex.planted.mirrored],
      ] as const) {
        await page.getByTestId('ds-tab-browse').click();
        await page.getByTestId('filter-flag').selectOption(code);
        await page
          .getByTestId('browse-count')
          .filter({ hasText: `${ex.flagged.get(code)?.length ?? 0} of ${N} cases` })
          .waitFor();
        const listed = await page
          .getByTestId('case-card')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-case')!));
        expect(listed.sort(), code).toEqual([...(ex.flagged.get(code) ?? [])].sort());
        const found = planted.filter((id) => listed.includes(id));
        console.log(
          `[data e2e] ${code}: planted ${planted.length}, flagged ${listed.length}, both ${found.length}`,
        );
        expect(found.length, `planted ${code} flagged`).toBeGreaterThan(0);
        await page.getByTestId('ds-tab-audit').click();
      }
      await page.getByTestId('ds-tab-browse').click();
      await page.getByTestId('filter-flag').selectOption('all');

      // the stored flags ({code, params}) read through the one message table: the case view shows
      // the sentences the core audit writes for the same pixels
      const mf = ex.mostFlagged;
      expect(mf.en.length).toBeGreaterThan(0);
      await page.locator(`[data-testid="case-card"][data-case="${mf.id}"]`).click();
      // numbers masked: the browser decodes the PNGs itself, the sentence form is what is checked
      const mask = (t: string) => t.replace(/\d+(\.\d+)?/g, '#');
      const flagText = async () => mask((await page.getByTestId('case-flags').textContent()) ?? '');
      await page.getByTestId('case-flags').waitFor();
      for (const sentence of mf.en) expect(await flagText()).toContain(mask(sentence));
      await page.keyboard.press('Escape');

      // landmarks: the overlay of one case sits exactly on its ISBI points (original X-ray pixels)
      const id = ex.ids[3];
      await page.locator(`[data-testid="case-card"][data-case="${id}"]`).click();
      const overlay = page.getByTestId('landmark-overlay');
      await overlay.waitFor();
      const circles = await overlay
        .locator('circle.dv-lm')
        .evaluateAll((els) => els.map((e) => [Number(e.getAttribute('cx')), Number(e.getAttribute('cy'))]));
      expect(circles).toEqual(ex.landmarks.get(id));
      expect(await overlay.getAttribute('viewBox')).toBe(`0 0 ${W} ${H}`);
      await page.waitForTimeout(800);
      await page.screenshot({ path: 'test-results/e2e/data-case-en.png' });
      await page.getByTestId('toggle-landmarks').uncheck();
      await page.getByTestId('landmark-overlay').waitFor({ state: 'detached' });
      await page.getByTestId('toggle-landmarks').check();

      // exclude this case with a reason (nothing is deleted; the reason is kept)
      await page.getByTestId('case-exclude').click();
      const dialog = page.getByRole('dialog', { name: `Exclude case ${id}` });
      await dialog.getByRole('button', { name: 'Exclude' }).waitFor();
      expect(await dialog.getByRole('button', { name: 'Exclude' }).isDisabled()).toBe(true); // a reason is required
      await dialog.getByRole('textbox').fill('motion blur');
      await dialog.getByRole('button', { name: 'Exclude' }).click();
      await page.getByTestId('case-view').getByText('Excluded: motion blur').waitFor(); // written to the store first

      // 简体中文
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: '简体中文' }).click();
      await page
        .getByTestId('browse-count')
        .filter({ hasText: `显示 ${N}/${N} 个病例` })
        .waitFor();
      await page.locator(`[data-testid="case-card"][data-case="${id}"]`).click();
      await page.getByTestId('landmark-overlay').waitFor();
      await page.waitForTimeout(800);
      await page.screenshot({ path: 'test-results/e2e/data-case-zh.png' });
      await page.keyboard.press('Escape');
      await page.locator(`[data-testid="case-card"][data-case="${mf.id}"]`).click();
      await page.getByTestId('case-flags').waitFor();
      for (const sentence of mf.zh) expect(await flagText()).toContain(mask(sentence));
      await page.waitForTimeout(800);
      await page.screenshot({ path: 'test-results/e2e/data-case-flags-zh.png' });
      await page.keyboard.press('Escape');
      await s.screenshot('data-grid-zh');
      await page.getByTestId('ds-tab-audit').click();
      await s.screenshot('data-audit-zh');
      await page.getByRole('button', { name: '全部数据集' }).click();
      await s.screenshot('data-list-zh');
      await page.getByRole('button', { name: 'English' }).click();

      // after a reload the dataset is still there, with its cases and landmarks
      await page.reload();
      const row = page.getByTestId('dataset-row');
      await row.first().waitFor();
      expect(await row.count()).toBe(1);
      expect(await row.getByTestId('dataset-cases').textContent()).toBe(String(N));
      await row.getByRole('button', { name: 'Open' }).click();
      await page.getByTestId('case-grid').waitFor();
      expect(await page.getByTestId('browse-count').textContent()).toBe(`${N} of ${N} cases`);
      await page.getByTestId('filter-state').selectOption('excluded');
      await page
        .getByTestId('browse-count')
        .filter({ hasText: `1 of ${N} cases` })
        .waitFor();
      expect(await page.getByTestId('case-card').getAttribute('data-case')).toBe(id);
      s.expectClean();
    } finally {
      await s.close();
    }
  });

  it('a ZIP with a corrupt image and an unpaired file imports the rest and lists both problems', async () => {
    const ex = exportPhantom(8, 5);
    // corrupt the photo of the second case (truncated PNG), add a photo without an X-ray
    const files: Record<string, Uint8Array> = {};
    const { unzipSync } = await import('fflate');
    for (const [k, v] of Object.entries(unzipSync(ex.zip))) files[k] = v;
    const broken = `phantom/photo/${ex.ids[1]}.png`;
    files[broken] = files[broken].slice(0, 120);
    files['phantom/photo/extra-001.png'] = files[`phantom/photo/${ex.ids[0]}.png`];
    const zip = zipSync(files);

    const s = await openStudio({ locale: 'en-US' });
    try {
      const { page } = s;
      // dropped onto the page (not the file input): a DataTransfer holding the ZIP
      const dt = await page.evaluateHandle((b64) => {
        const bin = atob(b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        const d = new DataTransfer();
        d.items.add(new File([bytes], 'bad.zip', { type: 'application/zip' }));
        return d;
      }, Buffer.from(zip).toString('base64'));
      await page.getByTestId('dataset-list').waitFor();
      for (const type of ['dragenter', 'dragover', 'drop'])
        await page.dispatchEvent('main', type, { dataTransfer: dt });
      await page.getByTestId('import-plan').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('plan-cases').textContent()).toContain('8 complete cases of 9');
      const planProblems = await page.getByTestId('plan-problems').textContent();
      expect(planProblems).toContain('bad.zip/phantom/photo/extra-001.png');
      await page.getByRole('button', { name: '简体中文' }).click();
      await s.screenshot('data-plan-zh');
      await page.getByRole('button', { name: 'English' }).click();

      await runImportAndWait(s);
      const summary = await page.getByTestId('import-summary').textContent();
      // 9 cases stored: 7 complete, the one with the corrupt photo (X-ray only) and the unpaired photo
      expect(summary).toContain('9 cases stored (7 complete pairs)');
      const table = page.getByTestId('report-table');
      const corrupt = table.locator(`tr[data-path="bad.zip/${broken}"]`);
      expect(await corrupt.getAttribute('data-code')).toBe('unreadable');
      expect(await corrupt.textContent()).toContain('the image cannot be decoded');
      const unpaired = table.locator('tr[data-path="bad.zip/phantom/photo/extra-001.png"]');
      expect(await unpaired.getAttribute('data-code')).toBe('unpaired');
      expect(await unpaired.textContent()).toContain('has no X-ray with the same name');
      expect(await table.locator('tbody tr').count()).toBe(2);
      await s.screenshot('data-report-en-problems');

      // the downloadable report names both files
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('report-md').click(),
      ]);
      const md = await (await import('node:fs/promises')).readFile((await download.path())!, 'utf8');
      expect(md).toContain(`| bad.zip/${broken} | error |`);
      expect(md).toContain('| bad.zip/phantom/photo/extra-001.png | error | extra-001 |');

      await page.getByRole('button', { name: '简体中文' }).click();
      await corrupt.filter({ hasText: '图像无法读取' }).waitFor();
      await s.screenshot('data-report-zh');
      await page.getByRole('button', { name: 'English' }).click();

      // rename, then delete, each through a confirmation
      await page.getByRole('button', { name: 'Close' }).click();
      const row = page.getByTestId('dataset-row');
      await row.getByRole('button', { name: 'Rename' }).click();
      const rename = page.getByRole('dialog', { name: 'Rename “phantom”' });
      await rename.getByRole('textbox').fill('Clinic batch 2');
      await rename.getByRole('button', { name: 'Rename' }).click();
      await page.getByRole('button', { name: 'Clinic batch 2' }).waitFor();
      await row.getByRole('button', { name: 'Delete' }).click();
      const del = page.getByRole('dialog', { name: 'Delete “Clinic batch 2”?' });
      expect(await del.textContent()).toContain('This deletes its 9 cases');
      await del.getByRole('button', { name: 'Delete dataset' }).click();
      await row.waitFor({ state: 'detached' });
      expect(await page.getByTestId('dataset-row').count()).toBe(0);
      s.expectClean();
    } finally {
      await s.close();
    }
  });

  it('adds a small ZIP to an existing dataset (duplicates skipped, evaluation list unchanged), then re-splits', async () => {
    const { unzipSync } = await import('fflate');
    const first = exportPhantom(8, 3);
    // the second batch: 3 new cases and 2 that are already in the dataset (same ids as the first ZIP)
    const more = exportPhantom(3, 4);
    const files: Record<string, Uint8Array> = { ...unzipSync(more.zip) };
    const firstFiles = unzipSync(first.zip);
    for (const id of first.ids.slice(0, 2))
      for (const f of [`phantom/photo/${id}.png`, `phantom/xray/${id}.png`, `phantom/xray/${id}.txt`])
        files[f] = firstFiles[f];
    const addZip = zipSync(files);

    const s = await openStudio({ locale: 'en-US' });
    try {
      const { page } = s;
      await page.getByTestId('dataset-list').waitFor();
      await chooseZip(s, 'phantom.zip', first.zip);
      await runImportAndWait(s);
      await page.getByRole('button', { name: 'Open the dataset' }).click();
      await page.getByTestId('case-grid').waitFor();
      await page.getByTestId('ds-tab-splits').click();
      const evalBefore = (await page.getByTestId('eval-version').textContent())!;
      expect(evalBefore).toContain('Version 1 ·');
      const evalIdsBefore = await page.getByTestId('eval-list').textContent();

      // the add: from the dataset's own box (not the page's import)
      const add = page.getByTestId('add-files');
      expect(await add.textContent()).toContain('The fixed evaluation list is not changed.');
      await page
        .getByTestId('add-file-input')
        .setInputFiles({ name: 'more.zip', mimeType: 'application/zip', buffer: Buffer.from(addZip) });
      await page.getByTestId('import-plan').waitFor({ timeout: 60_000 });
      expect(await page.locator('#dv-plan-h').textContent()).toContain(
        'Add to “phantom” — check before adding',
      );
      expect(await page.getByTestId('add-new-count').textContent()).toBe('3 new case(s) will be added');
      expect(await page.getByTestId('add-duplicates').textContent()).toContain(
        '2 case(s) already in this dataset will be skipped',
      );
      const dupList = (await page.getByTestId('add-duplicate-list').textContent())!;
      expect(dupList).toContain(`more.zip/phantom/photo/${first.ids[0]}.png`);
      expect(dupList).toContain(`more.zip/phantom/xray/${first.ids[1]}.png`);
      expect(await page.getByTestId('add-eval-note').textContent()).toContain(
        'The fixed evaluation list is not changed by this add (version 1,',
      );
      expect(await page.getByTestId('import-start').textContent()).toContain('Add 3 cases');
      await s.screenshot('data-add-plan-en');
      await page.getByRole('button', { name: '简体中文' }).click();
      await page.getByTestId('add-new-count').filter({ hasText: '将添加 3 个新病例' }).waitFor();
      await s.screenshot('data-add-plan-zh');
      await page.getByRole('button', { name: 'English' }).click();

      await runImportAndWait(s);
      expect(await page.getByTestId('import-summary').textContent()).toContain(
        '3 cases added (3 complete pairs)',
      );
      expect(await page.getByTestId('add-report-duplicates').textContent()).toContain(
        `2 case(s) already in the dataset were skipped: ${first.ids[0]}, ${first.ids[1]}.`,
      );
      expect(await page.getByTestId('add-report-eval').textContent()).toBe(
        'The fixed evaluation list was not changed (version 1).',
      );
      const dupRows = page.getByTestId('report-table').locator('tr[data-code="duplicate-case"]');
      expect(await dupRows.count()).toBe(6); // 2 cases × (photo, X-ray, landmarks)
      expect(await dupRows.first().textContent()).toContain('is already in this dataset');
      await s.screenshot('data-add-report-en');
      await page.getByRole('button', { name: '简体中文' }).click();
      await page.getByTestId('add-report-eval').filter({ hasText: '固定评估清单未改变（版本 1）' }).waitFor();
      await s.screenshot('data-add-report-zh');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('button', { name: 'Close' }).first().click();

      // the dataset: 11 cases, the list exactly as before
      await page.getByTestId('ds-tab-browse').click();
      await page.getByTestId('browse-count').filter({ hasText: '11 of 11 cases' }).waitFor();
      await page.getByTestId('ds-tab-splits').click();
      expect(await page.getByTestId('eval-version').textContent()).toBe(evalBefore);
      // the same cases (a replace button ⇄ appears once the add put a spare case into val)
      expect((await page.getByTestId('eval-list').textContent())!.replace(/⇄/g, '')).toBe(
        evalIdsBefore!.replace(/⇄/g, ''),
      );

      // re-split: preview, then a confirmation that says old runs are not comparable
      await page.getByTestId('resplit-open').click();
      await page.getByTestId('resplit-seed').fill('5');
      await page.getByTestId('resplit-train').fill('60');
      await page.getByTestId('resplit-val').fill('20');
      await page.getByTestId('resplit-test').fill('20');
      // 11 pairs at 60 / 20 / 20: 6.6, 2.2, 2.2 -> 7 / 2 / 2
      await page.getByTestId('resplit-preview').filter({ hasText: 'train 7 · val 2 · test 2' }).waitFor();
      // a full-page screenshot resizes the viewport, and Chromium then scrolls a focused input into
      // view, which would move the button under a following click: leave the field first
      await page.getByTestId('resplit-test').blur();
      await s.screenshot('data-resplit-form-en');
      await page.getByTestId('resplit-apply').click();
      const dialog = page.getByRole('dialog', { name: 'Re-split the whole dataset?' });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('Runs trained on the old split are not comparable');
      await s.screenshot('data-resplit-confirm-en');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      // the same confirmation in Chinese, confirmed there
      await page.getByRole('button', { name: '简体中文' }).click();
      await page.getByTestId('resplit-preview').filter({ hasText: '训练 7 · 验证 2 · 测试 2' }).waitFor();
      await s.screenshot('data-resplit-form-zh');
      await page.getByTestId('resplit-apply').click();
      const zhDialog = page.getByRole('dialog', { name: '重新划分整个数据集？' });
      await zhDialog.waitFor();
      expect(await zhDialog.textContent()).toContain('基于旧划分训练的运行与新划分的运行不可直接比较');
      await s.screenshot('data-resplit-confirm-zh');
      await zhDialog.getByRole('button', { name: '重新划分' }).click();
      const done = page.getByTestId('resplit-done');
      await done.filter({ hasText: '已用种子 5 重新划分' }).waitFor();
      expect(await page.getByTestId('split-counts').textContent()).toContain('训练 7 · 验证 2 · 测试 2');
      await s.screenshot('data-resplit-done-zh');
      await page.getByRole('button', { name: 'English' }).click();
      await done.filter({ hasText: 'Re-split with seed 5:' }).waitFor();
      expect(await page.getByTestId('split-counts').textContent()).toContain('train 7 · val 2 · test 2');
      await s.screenshot('data-resplit-done-en');
      s.expectClean();
    } finally {
      await s.close();
    }
  });
});
