/**
 * `npm run bench -- study`: the real-anatomy benchmark (issue 15 item 5). Real films become pairs
 * (input: the film's soft-tissue profile, a silhouette without bone; target: the film — see
 * `cli profile-pairs`), a fixed seeded hold-out is set aside, and at a CPU-friendly size the
 * baseline (stretch, L1 only = lambda_grad 0, the server's pix2pix defaults otherwise) is trained
 * against the P2.5 recipe (ROI/letterbox + gradient loss 10; with --recipes grid as a 2 x 2 so each
 * half of the recipe is seen alone) and the recipe's sample-size study (nested subsets, steps held
 * equal; its all-cases point is the P2.5 run itself). The runs
 * go through the CLI's queue (`runQueue` -> `trainRun`, full evaluation: content-region metrics,
 * sharpness, landmark-region sharpness, traceability with the shipped detector), so a rerun on the
 * same --out skips finished runs. Writes <out>/real-anatomy.md/.json/.png (+ the queues' own
 * comparison and study files) and prints the tables.
 *
 *   npx tsx test/bench/study.ts [--out DIR] [--quick] [--films DIR --landmarks CSV] [--pairs DIR]
 *       [--steps N] [--size 128] [--ngf 16] [--ndf 16] [--subsets 15,30,60,all] [--recipes grid|pair]
 *       [--backend wasm]
 */
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config';
import { renderCurves } from '../../src/core/eval/curves';
import { DEFAULT_GATE } from '../../src/core/eval/gate';
import { encodePngRgba } from '../../src/core/eval/grid';
import {
  DEFAULT_STUDY_RULE,
  expandSweep,
  nestedSubsets,
  parseSubsetSizes,
  readStudy,
  runDirName,
  studyReadingJson,
  studyChartPanels,
  sweepRunConfig,
  type StudyPoint,
  type StudyReading,
} from '../../src/core/experiments';
import { buildProfilePairs } from '../../src/cli/profilePairs';
import { heldText, runQueue, writeComparison, type QueueRun } from '../../src/cli/sweep';
import { loadFolder, type LoadedData, type ValRow } from '../../src/cli/train';

export interface StudyBenchOptions {
  out: string;
  quick: boolean;
  films: string;
  landmarks?: string;
  /** An existing pairs folder (else <out>/pairs, built once). */
  pairs?: string;
  /** Longest side of the written pairs (their pixel spacing follows). */
  pairSize: number;
  val: number;
  test: number;
  limit?: number;
  steps: number;
  size: number;
  ngf: number;
  ndf: number;
  subsets: string;
  /**
   * 'pair': baseline and the P2.5 recipe only; 'grid': the 2 x 2 (each half of the recipe alone
   * too). The study's "all" point is the P2.5 recipe run itself (same config, cases and steps).
   */
  recipes: 'pair' | 'grid';
  valEvery: number;
  backend: string;
  seed: number;
  say: (line: string) => void;
  command: string;
}

export function defaultOptions(quick: boolean): Omit<StudyBenchOptions, 'say' | 'command'> {
  return quick
    ? {
        out: 'test-results/real-anatomy-quick',
        quick,
        films: '../shared/fixtures/isbi2015-sample',
        landmarks: '../shared/fixtures/isbi2015-sample/senior.csv',
        pairSize: 128,
        val: 1,
        test: 0,
        limit: 4,
        steps: 2,
        size: 32,
        ngf: 4,
        ndf: 4,
        subsets: '2,all',
        recipes: 'grid',
        valEvery: 0,
        backend: 'wasm',
        seed: 1,
      }
    : {
        out: 'test-results/real-anatomy',
        quick,
        films: '../shared/fixtures/isbi2015-train',
        landmarks: '../shared/fixtures/isbi2015-train/senior.csv',
        pairSize: 512,
        val: 20,
        test: 10,
        steps: 300,
        size: 128,
        ngf: 16,
        ndf: 16,
        subsets: '15,30,60,all',
        recipes: 'grid',
        valEvery: 0,
        backend: 'wasm',
        seed: 1,
      };
}

/** One run's final round as the table shows it. */
export interface BenchRow {
  name: string;
  preprocess: string;
  lambda_grad: number;
  train_cases: number;
  steps: number;
  final: ValRow | null;
  duration_s: number | null;
}

interface MetricsJson {
  config: RunConfig;
  data: { train_cases: number; val_cases: number };
  steps: number;
  duration_s?: number;
  final?: ValRow;
}

async function readRun(dir: string): Promise<MetricsJson | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as MetricsJson;
  } catch {
    return null;
  }
}

const fmt = (x: number | null | undefined, d: number): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d);

/** The comparison table (Markdown): the fair (content-region) figures first, the whole-image L1 beside. */
export function benchTable(rows: readonly BenchRow[], label: (r: BenchRow) => string): string {
  const head = [
    'run',
    'train cases',
    'steps',
    'val L1 (on [0,1], content)',
    'val L1 whole image',
    'PSNR (dB)',
    'SSIM',
    'sharpness ratio',
    'landmark-region sharpness',
    'traceability MRE (mm)',
    'detector floor (mm)',
    'train-subset L1',
    'time (s)',
  ];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const r of rows) {
    const f = r.final;
    lines.push(
      `| ${label(r)} | ${r.train_cases} | ${r.steps} | ${fmt(f?.mean_l1, 4)} | ${fmt(f?.mean_l1_whole, 4)} | ` +
        `${fmt(f?.mean_psnr, 2)} | ${fmt(f?.mean_ssim, 4)} | ${fmt(f?.sharpness_ratio, 3)} | ${fmt(f?.lm_sharp, 3)} | ` +
        `${fmt(f?.trace_mre_mm, 2)} | ${fmt(f?.trace_floor_mre_mm, 2)} | ${fmt(f?.train_l1, 4)} | ${fmt(r.duration_s, 0)} |`,
    );
  }
  return lines.join('\n');
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export interface StudyBenchResult {
  recipes: BenchRow[];
  study: BenchRow[];
  reading: StudyReading;
  mdPath: string;
  jsonPath: string;
  pngPath: string;
}

/** Build (or reuse) the pairs, train the queues, write the report. */
export async function runStudyBench(o: StudyBenchOptions): Promise<StudyBenchResult> {
  const t0 = performance.now();
  await mkdir(o.out, { recursive: true });
  const pairsDir = o.pairs ?? join(o.out, 'pairs');
  const pairsSheet = join(o.out, 'pairs-sheet.png');
  let mmPerPx: number;
  let pairsNote: string;
  if (await exists(join(pairsDir, 'profile-pairs.tsv'))) {
    const readme = await readFile(join(pairsDir, 'README.md'), 'utf8');
    const m = /spacing \*\*([0-9.]+) mm\/px\*\*|pixel spacing ([0-9.]+) mm\/px/.exec(readme);
    mmPerPx = Number(m?.[1] ?? m?.[2] ?? 0.1);
    pairsNote = `pairs reused from ${pairsDir}`;
    o.say(`${pairsNote} (${mmPerPx} mm/px)`);
  } else {
    o.say(`building pairs from ${o.films} into ${pairsDir} …`);
    const built = await buildProfilePairs({
      films: o.films,
      landmarks: o.landmarks,
      out: pairsDir,
      size: o.pairSize,
      mmPerPx: 0.1,
      face: 'auto',
      val: o.val,
      test: o.test,
      seed: o.seed,
      limit: o.limit,
      sheet: pairsSheet,
      say: () => {},
      command:
        `npm run cli -- profile-pairs --films ${o.films}${o.landmarks ? ` --landmarks ${o.landmarks}` : ''} ` +
        `--out ${pairsDir} --size ${o.pairSize} --val ${o.val} --test ${o.test} --seed ${o.seed}` +
        (o.limit ? ` --limit ${o.limit}` : ''),
    });
    mmPerPx = built.mmPerPxOut;
    pairsNote = `${built.pairs.length} pairs built in ${((performance.now() - t0) / 1000).toFixed(0)} s`;
    o.say(pairsNote);
  }
  const pairsReadme = await readFile(join(pairsDir, 'README.md'), 'utf8');
  const qa = /median ([0-9.]+) mm, worst ([0-9.]+) mm/.exec(pairsReadme);

  const base: RunConfig = {
    ...DEFAULT_CONFIG,
    size: o.size,
    netG: `unet_${o.size}` as RunConfig['netG'],
    ngf: o.ngf,
    ndf: o.ndf,
    seed: o.seed,
    log_every: o.quick ? 1 : 50,
    val_every: o.valEvery,
    save_every: 0,
  };
  const values = { backend: o.backend, quiet: true };
  const cache = new Map<string, Promise<LoadedData>>();
  const load = (cfg: RunConfig): Promise<LoadedData> => {
    const key = `${cfg.size}|${cfg.preprocess === 'stretch' ? 'stretch' : 'letterbox'}`;
    let d = cache.get(key);
    if (!d) {
      d = loadFolder(pairsDir, { ...cfg, seed: base.seed }, { mmPerPx });
      cache.set(key, d);
    }
    return d;
  };
  const dataLabel = `real-anatomy pairs ${pairsDir}`;

  // 1. baseline vs the P2.5 recipe, as a 2 x 2 (each half of the recipe alone too)
  const recipeOut = join(o.out, 'recipes');
  const sweep = expandSweep([
    { key: 'preprocess', values: ['stretch', 'roi'] },
    { key: 'lambda_grad', values: [0, 10] },
  ]);
  const isBaseline = (c: RunConfig): boolean => c.preprocess === 'stretch' && c.lambda_grad === 0;
  const isRecipe = (c: RunConfig): boolean => c.preprocess !== 'stretch' && c.lambda_grad > 0;
  const recipeRuns: QueueRun[] = sweep
    .map((r) => ({
      name: r.name,
      dir: runDirName(r.name),
      config: sweepRunConfig(base, {}, r),
      steps: o.steps,
    }))
    .filter((r) => o.recipes === 'grid' || isBaseline(r.config) || isRecipe(r.config));
  o.say(`recipes: ${recipeRuns.length} runs x ${o.steps} steps at ${o.size} px (ngf ${o.ngf}, ndf ${o.ndf})`);
  const rq = await runQueue({
    kind: 'sweep',
    out: recipeOut,
    values,
    dataFor: (r) => load(r.config),
    dataLabel,
    held: 'steps',
    runs: recipeRuns,
    say: (line) => {
      // the progress lines (every log_every steps: losses, it/s) and the validation lines
      if (!o.quick) o.say(line);
    },
    tell: o.say,
  });
  await writeComparison(
    recipeOut,
    { en: `Real anatomy: baseline vs P2.5 (${dataLabel})`, zh: `真实解剖：基线 vs P2.5（${dataLabel}）` },
    rq.summaries,
    heldText('steps', recipeRuns),
    { kind: 'sweep', data: dataLabel },
  );

  // 2. the recipe's sample-size study (nested subsets of the training split, steps held equal)
  const studyOut = join(o.out, 'study');
  const recipe: RunConfig = { ...base, preprocess: 'roi', lambda_grad: 10 };
  const data = await load(recipe);
  const subsets = nestedSubsets(
    [
      ...data.train.map((p, i) => ({ id: p.id ?? `train${i}`, split: 'train' as const })),
      ...data.val.map((p, i) => ({ id: p.id ?? `val${i}`, split: 'val' as const })),
    ],
    parseSubsetSizes(o.subsets),
    base.seed,
  );
  // every training case with the recipe's config and steps is the P2.5 run already: not trained twice
  const allCases = subsets.find((s) => s.n === data.train.length);
  const studyRuns: QueueRun[] = subsets
    .filter((s) => s !== allCases)
    .map((s) => ({
      name: `${s.n} cases`,
      dir: `${String(s.n).padStart(4, '0')}_cases`,
      config: recipe,
      trainIds: s.ids,
      steps: o.steps,
    }));
  const byId = new Map(data.train.map((p, i) => [p.id ?? `train${i}`, p]));
  o.say(
    `study: ${subsets.map((s) => s.n).join(' / ')} of ${data.train.length} training cases, ${data.val.length} val`,
  );
  const sq = await runQueue({
    kind: 'study',
    out: studyOut,
    values,
    dataFor: async (r) => ({
      ...data,
      train: (r.trainIds ?? []).map((id) => byId.get(id)).filter((p): p is NonNullable<typeof p> => !!p),
    }),
    dataLabel,
    held: 'steps',
    runs: studyRuns,
    say: (line) => {
      // the progress lines (every log_every steps: losses, it/s) and the validation lines
      if (!o.quick) o.say(line);
    },
    tell: o.say,
  });
  await writeComparison(
    studyOut,
    { en: `Real anatomy: sample-size study (${dataLabel})`, zh: `真实解剖：样本量研究（${dataLabel}）` },
    sq.summaries,
    heldText('steps', studyRuns),
    { kind: 'study', data: dataLabel },
  );

  const rowsOf = async (runs: QueueRun[], outDir: string): Promise<BenchRow[]> =>
    Promise.all(
      runs.map(async (r) => {
        const m = await readRun(join(outDir, 'runs', r.dir));
        return {
          name: r.name,
          preprocess: r.config.preprocess,
          lambda_grad: r.config.lambda_grad,
          train_cases: m?.data.train_cases ?? r.trainIds?.length ?? 0,
          steps: m?.steps ?? 0,
          final: m?.final ?? null,
          duration_s: m?.duration_s ?? null,
        };
      }),
    );
  const recipes = await rowsOf(recipeRuns, recipeOut);
  const recipeRow = recipes.find(
    (r) => r.preprocess === recipe.preprocess && r.lambda_grad === recipe.lambda_grad,
  );
  const study = [
    ...(await rowsOf(studyRuns, studyOut)),
    ...(allCases && recipeRow
      ? [{ ...recipeRow, name: `${allCases.n} cases (all) = the P2.5 recipe run` }]
      : []),
  ];
  const points: StudyPoint[] = study.map((r) => ({
    cases: r.train_cases,
    val_l1: r.final?.mean_l1 ?? null,
    psnr_db: r.final?.mean_psnr ?? null,
    sharpness_ratio: r.final?.sharpness_ratio ?? null,
    lm_sharp: r.final?.lm_sharp ?? null,
    trace_mre_mm: r.final?.trace_mre_mm ?? null,
    train_l1: r.final?.train_l1 ?? null,
    gap_ratio: r.final?.gap_ratio ?? null,
  }));
  const reading = readStudy(points, DEFAULT_STUDY_RULE, { gateMaxL1: DEFAULT_GATE.maxMeanL1_01 });
  const words = studyReadingJson(reading);
  const chart = renderCurves(studyChartPanels(points), {
    title: `Real anatomy, P2.5 recipe: ${o.steps} steps per subset, ${data.val.length} val films, ${o.size} px`,
  });
  const pngPath = join(o.out, 'real-anatomy.png');
  await writeFile(pngPath, encodePngRgba(chart));
  if (await exists(pairsSheet)) await copyFile(pairsSheet, join(o.out, 'real-anatomy-pairs.png'));

  const recipeLabel = (r: BenchRow): string => {
    const tag =
      r.preprocess === 'stretch' && r.lambda_grad === 0
        ? 'baseline: '
        : r.preprocess !== 'stretch' && r.lambda_grad > 0
          ? 'P2.5 recipe: '
          : '';
    return `${tag}${r.preprocess === 'roi' ? 'roi (= letterbox, no ROI box)' : r.preprocess}, lambda_grad ${r.lambda_grad}`;
  };
  const baseline = recipes.find((r) => r.preprocess === 'stretch' && r.lambda_grad === 0);
  const p25 = recipes.find((r) => r.preprocess !== 'stretch' && r.lambda_grad > 0);
  const delta = (k: 'mean_l1' | 'mean_psnr' | 'mean_l1_whole'): number | null =>
    baseline?.final && p25?.final && baseline.final[k] !== null && p25.final[k] !== null
      ? (p25.final[k] as number) - (baseline.final[k] as number)
      : null;
  const elapsed = (performance.now() - t0) / 1000;
  const md = [
    '# Real-anatomy benchmark: baseline vs P2.5 and the sample-size study',
    '',
    `Command: \`${o.command}\``,
    '',
    `Data: ${o.quick ? 'QUICK (smoke) run, ' : ''}films \`${o.films}\` → soft-tissue profile (input) / film (target) pairs ` +
      `(\`cli profile-pairs\`, ${pairsNote}); hold-out seed ${o.seed}: ${data.val.length} val films measured, ` +
      `${o.test} test films never used; ${data.train.length} training films. Pairs written at ${mmPerPx.toFixed(4)} mm/px.` +
      (qa
        ? ` Profile check: the 4 soft-tissue landmarks lie a median ${qa[1]} mm from the traced outline (worst ${qa[2]} mm).`
        : ''),
    '',
    `Training: ${o.size} px, unet_${o.size}, ngf ${o.ngf}, ndf ${o.ndf}, batch 1, lambda_L1 100, vanilla GAN, lr 2e-4 ` +
      `(the server's pix2pix defaults otherwise), jitter + flip as the CLI chooses for data with landmarks, ` +
      `${o.steps} steps per run (held equal), backend ${o.backend}; metrics at the last step on the ${data.val.length} val films ` +
      '(content region: letterbox padding excluded; the whole-image L1 beside it), traceability = the shipped ' +
      'detector on the prediction vs the ground-truth landmarks in the film frame.',
    '',
    o.recipes === 'grid' ? '## Baseline vs the P2.5 recipe (2 x 2)' : '## Baseline vs the P2.5 recipe',
    '',
    benchTable(recipes, recipeLabel),
    '',
    delta('mean_l1') !== null
      ? `P2.5 minus baseline: val L1 ${fmt(delta('mean_l1'), 4)} on the content region ` +
        `(whole image ${fmt(delta('mean_l1_whole'), 4)}), PSNR ${fmt(delta('mean_psnr'), 2)} dB.`
      : '',
    '',
    `## Sample-size study (P2.5 recipe, ${o.steps} steps per subset)`,
    '',
    benchTable(study, (r) => r.name),
    '',
    `**Reading:** ${words.en}`,
    '',
    ...words.notes.map((n) => `- ${n.en}`),
    '',
    words.ruleText.en,
    '',
    `**解读：** ${words.zh}`,
    '',
    '![study chart](real-anatomy.png)',
    '',
    `Wall time ${(elapsed / 60).toFixed(1)} min; load average at the end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')} (2 cores shared).`,
    '',
  ].join('\n');
  const mdPath = join(o.out, 'real-anatomy.md');
  const jsonPath = join(o.out, 'real-anatomy.json');
  await writeFile(mdPath, md);
  await writeFile(
    jsonPath,
    JSON.stringify(
      {
        format: 'ceph-gan-studio-real-anatomy',
        version: 1,
        created: new Date().toISOString(),
        command: o.command,
        options: { ...o, say: undefined },
        mm_per_px: mmPerPx,
        pairs: pairsDir,
        val_cases: data.val.length,
        train_cases: data.train.length,
        recipes,
        study,
        points,
        reading: words,
        elapsed_s: elapsed,
      },
      (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
      1,
    ),
  );
  o.say('');
  o.say(md);
  return { recipes, study, reading, mdPath, jsonPath, pngPath };
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      out: { type: 'string' },
      films: { type: 'string' },
      landmarks: { type: 'string' },
      pairs: { type: 'string' },
      steps: { type: 'string' },
      size: { type: 'string' },
      ngf: { type: 'string' },
      ndf: { type: 'string' },
      subsets: { type: 'string' },
      recipes: { type: 'string' },
      backend: { type: 'string' },
      'val-every': { type: 'string' },
    },
    strict: true,
  });
  const d = defaultOptions(values.quick === true);
  const n = (v: string | undefined, def: number): number => (v === undefined ? def : Number(v));
  await runStudyBench({
    ...d,
    out: values.out ?? d.out,
    films: values.films ?? d.films,
    landmarks: values.landmarks ?? (values.films ? undefined : d.landmarks),
    pairs: values.pairs,
    steps: n(values.steps, d.steps),
    size: n(values.size, d.size),
    ngf: n(values.ngf, d.ngf),
    ndf: n(values.ndf, d.ndf),
    subsets: values.subsets ?? d.subsets,
    recipes: values.recipes === 'grid' ? 'grid' : values.recipes === 'pair' ? 'pair' : d.recipes,
    backend: values.backend ?? d.backend,
    valEvery: n(values['val-every'], d.valEvery),
    say: (s) => console.log(s),
    command: `npm run bench -- study ${argv.join(' ')}`.trim(),
  });
  return 0;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exitCode = 1;
    },
  );
}
