/**
 * `cli study`: the sample-size study. The same config is trained on nested subsets of the training
 * split (e.g. 20 / 40 / 80 / all cases; each smaller subset inside the larger ones, seeded) with the
 * same validation cases and the same number of steps or epochs (the user chooses; the report says
 * which). Writes the runs and comparison table like `sweep` (same queue: a rerun continues), then
 * study.md (en + zh), study.json, study.png (val L1 with the training-subset L1, PSNR, sharpness
 * ratios, the train/val gap against the number of cases) and the plain-language reading.
 */
import { studyPointsMarkdown } from '../core/eval/report';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_STUDY_RULE,
  nestedSubsets,
  parseSubsetSizes,
  readStudy,
  studyChartPanels,
  studyReadingJson,
  SubsetError,
  type NestedSubset,
  type RunSummary,
  type StudyPoint,
} from '../core/experiments';
import { renderCurves } from '../core/eval/curves';
import { DEFAULT_GATE } from '../core/eval/gate';
import { encodePngRgba } from '../core/eval/grid';
import {
  BACKEND_OPTION,
  CONFIG_OPTIONS,
  HELP_OPTION,
  helpText,
  numberOption,
  parse,
  stringOption,
  UsageError,
  type OptionSpecs,
} from './args';
import type { LoadedData } from './train';
import {
  EXPERIMENT_OPTIONS,
  experimentBasics,
  heldText,
  runQueue,
  writeComparison,
  type QueueRun,
} from './sweep';

const STUDY_OPTIONS: OptionSpecs = {
  subsets: {
    type: 'string',
    arg: '<n,n,...,all>',
    help: 'training-subset sizes, nested (each inside the larger ones), e.g. 20,40,80,all',
  },
  epochs: {
    type: 'string',
    arg: '<n>',
    help: 'hold epochs equal instead of steps (default without --steps: the config’s n_epochs + n_epochs_decay)',
  },
};

export const STUDY_HELP = helpText(
  'study (--demo | --data <dir>) --subsets 20,40,80,all --out <dir> [--steps N | --epochs N] [options]',
  'Sample-size study: train the same config on nested subsets of the training split (seeded with --seed;\n' +
    'the validation cases are the same for every subset) with the same steps (--steps) or epochs (--epochs).\n' +
    'Writes <out>/runs/<n>_cases/, comparison.md/.csv/.json, study.md (en + zh), study.json and study.png,\n' +
    'and reads the trend: "still improving with data -> collect more" or "flat -> change the method"\n' +
    '(slope of val L1 per doubling of the cases with its 90 % interval; the rule is in study.md).\n' +
    'Rerun on the same --out to continue after a crash: finished runs are skipped.',
  [
    ['Study', { ...STUDY_OPTIONS, ...EXPERIMENT_OPTIONS }],
    ['Run config (server option names)', CONFIG_OPTIONS],
    ['Runtime', { ...BACKEND_OPTION, ...HELP_OPTION }],
  ],
);

function num(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : x;
}

/** A study point from a run's summary (its last round: every subset trained the same length). */
export function studyPoint(s: RunSummary): StudyPoint {
  const l = s.last;
  return {
    cases: s.train_cases,
    val_l1: num(l?.mean_l1),
    psnr_db: num(l?.mean_psnr),
    sharpness_ratio: num(l?.sharpness_ratio),
    lm_sharp: num(l?.lm_sharp),
    trace_mre_mm: num(l?.trace_mre_mm),
    train_l1: num(l?.train_l1),
    gap_ratio: num(l?.gap_ratio),
  };
}

export async function run(argv: string[]): Promise<number> {
  const values = parse(
    argv,
    { ...STUDY_OPTIONS, ...EXPERIMENT_OPTIONS, ...CONFIG_OPTIONS, ...BACKEND_OPTION, ...HELP_OPTION },
    'study',
  );
  if (values.help) {
    console.log(STUDY_HELP);
    return 0;
  }
  const { out, say, tell, base, steps, load, dataLabel } = experimentBasics(values, 'study');
  const spec = stringOption(values, 'subsets');
  if (spec === undefined) throw new UsageError('study: --subsets is required, e.g. --subsets 20,40,80,all');
  const epochsOpt = numberOption(values, 'epochs', { integer: true, min: 1 });
  if (steps !== undefined && epochsOpt !== undefined)
    throw new UsageError(
      'study: give either --steps (steps held equal) or --epochs (epochs held equal), not both',
    );
  const held = steps !== undefined ? 'steps' : 'epochs';
  const epochs = epochsOpt ?? base.n_epochs + base.n_epochs_decay;
  const data: LoadedData = await load(base);
  let subsets: NestedSubset[];
  try {
    const cases = [
      ...data.train.map((p, i) => ({ id: p.id ?? `train${i}`, split: 'train' as const })),
      ...data.val.map((p, i) => ({ id: p.id ?? `val${i}`, split: 'val' as const })),
    ];
    subsets = nestedSubsets(cases, parseSubsetSizes(spec), base.seed);
  } catch (e) {
    if (e instanceof SubsetError) throw new UsageError(`study: ${e.message}`);
    throw e;
  }
  const runs: QueueRun[] = subsets.map((s) => ({
    name: `${s.n} cases${s.label === 'all' ? ' (all)' : ''}`,
    dir: `${String(s.n).padStart(4, '0')}_cases`,
    config: base,
    trainIds: s.ids,
    ...(held === 'steps' ? { steps } : { epochs }),
  }));
  tell(
    `study: ${runs.length} subsets (${subsets.map((s) => s.n).join(' / ')} of ${data.train.length} training cases; ` +
      `${data.val.length} val cases for every subset) on ${dataLabel}; ` +
      `${held === 'steps' ? `${steps} steps` : `${epochs} epochs`} per subset; out ${out}`,
  );
  const byId = new Map(data.train.map((p, i) => [p.id ?? `train${i}`, p]));
  const dataFor = async (r: QueueRun): Promise<LoadedData> => ({
    ...data,
    train: (r.trainIds ?? [])
      .map((id) => byId.get(id))
      .filter((p): p is NonNullable<typeof p> => p !== undefined),
  });
  const { summaries } = await runQueue({
    kind: 'study',
    out,
    values,
    dataFor,
    dataLabel,
    held,
    runs,
    say,
    tell,
  });
  const heldWords = heldText(held, runs);
  const points = summaries.filter((s) => s.status === 'done').map(studyPoint);
  const reading = studyReadingJson(
    readStudy(points, DEFAULT_STUDY_RULE, { gateMaxL1: DEFAULT_GATE.maxMeanL1_01 }),
  );
  const files = await writeComparison(
    out,
    { en: `Sample-size study (${dataLabel})`, zh: `样本量研究（${dataLabel}）` },
    summaries,
    heldWords,
    { kind: 'study', data: dataLabel },
  );
  const png = renderCurves(studyChartPanels(points), {
    title: `Sample-size study: ${held === 'steps' ? `${steps} steps` : `${epochs} epochs`} per subset, ${data.val.length} val cases`,
  });
  await writeFile(join(out, 'study.png'), encodePngRgba(png));
  const md = [
    '# Sample-size study',
    '',
    `Data: ${dataLabel}; ${data.val.length} validation cases, the same for every subset; subsets nested (seed ${base.seed}), drawn from the training split only.`,
    heldWords.en,
    'Values: the last validation round of each run.',
    '',
    studyPointsMarkdown(points, 'en').join('\n'),
    '',
    `**Reading:** ${reading.en}`,
    '',
    ...reading.notes.map((n) => `- ${n.en}`),
    '',
    reading.ruleText.en,
    '',
    '![study](study.png)',
    '',
    '# 样本量研究',
    '',
    `数据：${dataLabel}；${data.val.length} 个验证病例，所有子集相同；子集嵌套（种子 ${base.seed}），仅取自训练集。`,
    heldWords.zh,
    '数值：每个训练的最后一轮验证。',
    '',
    studyPointsMarkdown(points, 'zh').join('\n'),
    '',
    `**解读：** ${reading.zh}`,
    '',
    ...reading.notes.map((n) => `- ${n.zh}`),
    '',
    reading.ruleText.zh,
    '',
  ].join('\n');
  await writeFile(join(out, 'study.md'), md);
  await writeFile(
    join(out, 'study.json'),
    JSON.stringify(
      {
        format: 'ceph-gan-studio-study',
        version: 1,
        created: new Date().toISOString(),
        data: dataLabel,
        held,
        ...(held === 'steps' ? { steps } : { epochs }),
        val_cases: data.val.length,
        subsets: subsets.map((s) => ({ label: s.label, n: s.n, ids: s.ids })),
        points,
        reading,
      },
      (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
      1,
    ),
  );
  tell(`reading: ${reading.en}`);
  tell(
    `wrote ${[...files, join(out, 'study.md'), join(out, 'study.json'), join(out, 'study.png')].join(', ')}`,
  );
  return summaries.some((s) => s.status === 'failed') ? 1 : 0;
}
