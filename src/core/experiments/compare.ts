/**
 * Run comparison (issue 15): a table of runs with only the run-config options that differ between
 * them, their best and last validation values, gate verdict, diagnostics, duration and backend,
 * rendered as Markdown and CSV. Headers are English or Simplified Chinese; every number carries its
 * unit and scale in its header (L1 on [0,1], PSNR dB, gradients in 0-255 units, MRE mm).
 * Columns that no run has a value for (e.g. traceability without a detector) are left out.
 * TF.js-free: the CLI writes the files, the Train/Evaluate views can show the same table.
 */

/** One validation round's values as a comparison reads them (null: not measured). */
export interface ValPoint {
  step: number;
  /** Mean L1 on [0,1]. */
  mean_l1: number | null;
  /** dB, data range 1. */
  mean_psnr: number | null;
  mean_ssim?: number | null;
  /** Mean over cases of prediction / X-ray mean Sobel gradient. */
  sharpness_ratio?: number | null;
  /** Pooled prediction mean gradient and maximum, 0-255 units (the clinic's 2.13 / 112 figures). */
  pred_grad_mean_255?: number | null;
  pred_max_255?: number | null;
  /** Landmark-region sharpness ratio (prediction / X-ray in 10 mm windows around the landmarks). */
  lm_sharp?: number | null;
  /** Traceability: landmark detector on the prediction vs ground truth, mean radial error, mm. */
  trace_mre_mm?: number | null;
  /** Mean L1 on [0,1] of the fixed training subset, and val / train. */
  train_l1?: number | null;
  gap_ratio?: number | null;
  /** Failed / evaluated validation cases (fraction). */
  failure_rate?: number | null;
  /**
   * Where the image figures were computed: 'content' = each case's content region (letterbox /
   * ROI padding excluded, so runs with different preprocessing compare on the same pixels);
   * 'whole' (or absent: older files) = whole image, padding included.
   */
  metrics_region?: 'content' | 'whole' | null;
  /** Whole-image val L1 on [0,1] (padding included) beside the content-region one. */
  mean_l1_whole?: number | null;
  /** Mean share of the image inside the content region (1 = no padding). */
  content_fraction?: number | null;
  /** pred / X-ray: p99 gradient (strong edges) and maximum intensity (the clinic's 极值). */
  edge_ratio?: number | null;
  max_ratio?: number | null;
  /** Traceability: the detector on the REAL X-ray vs ground truth (its floor), mm; SDR within 2 mm on the prediction. */
  trace_floor_mre_mm?: number | null;
  trace_sdr2?: number | null;
}

export type GateStatus = 'pass' | 'fail' | 'incomplete';

export interface RunSummary {
  name: string;
  /** The run's full config (a RunConfig; any flat record of options works). */
  config: Readonly<Record<string, unknown>>;
  status: 'done' | 'failed';
  /** Why a failed run failed. */
  error?: string;
  train_cases: number;
  val_cases: number;
  steps: number;
  epochs: number;
  /** The round with the lowest val L1 (null: no round). */
  best: ValPoint | null;
  last: ValPoint | null;
  /** The gate's verdict on the last round (null: not judged). */
  gate: GateStatus | null;
  /** Wall time of the run's training and validation, seconds. */
  duration_s: number | null;
  backend: string;
}

/** The round with the lowest finite val L1 (the first of equals) and the last round. */
export function bestAndLast(points: readonly ValPoint[]): { best: ValPoint | null; last: ValPoint | null } {
  let best: ValPoint | null = null;
  for (const p of points)
    if (
      p.mean_l1 !== null &&
      Number.isFinite(p.mean_l1) &&
      (best === null || p.mean_l1 < (best.mean_l1 as number))
    )
      best = p;
  return { best, last: points.length > 0 ? points[points.length - 1] : null };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The config options whose values are not the same in every run, in the order of the first run's
 * config (options only some runs have come after, in order of appearance). One run: none differ.
 */
export function configDiff(configs: readonly Readonly<Record<string, unknown>>[]): string[] {
  const keys: string[] = [];
  for (const c of configs) for (const k of Object.keys(c)) if (!keys.includes(k)) keys.push(k);
  return keys.filter((k) => configs.some((c) => !same(c[k], configs[0][k])));
}

/** The options every run shares, with their value. */
export function sharedConfig(configs: readonly Readonly<Record<string, unknown>>[]): Record<string, unknown> {
  const diff = new Set(configDiff(configs));
  const out: Record<string, unknown> = {};
  if (configs.length === 0) return out;
  for (const [k, v] of Object.entries(configs[0])) if (!diff.has(k)) out[k] = v;
  return out;
}

export type ColumnKind =
  | 'text'
  | 'config'
  | 'int'
  | 'l1'
  | 'db'
  | 'ratio'
  | 'ssim'
  | 'grad'
  | 'mm'
  | 'frac'
  | 'gate'
  | 's'
  /** 'content' / 'whole': where the image metrics were computed. */
  | 'region';

export interface ComparisonColumn {
  key: string;
  en: string;
  zh: string;
  kind: ColumnKind;
}

export type Cell = string | number | boolean | null;

export interface ComparisonTable {
  columns: ComparisonColumn[];
  /** One row per run, in the order given; cells match `columns`. */
  rows: Cell[][];
  /** Config options that differ between the runs (their columns come right after the name). */
  differingKeys: string[];
  /** Options every run shares. */
  shared: Record<string, unknown>;
}

interface MetricColumn extends ComparisonColumn {
  get: (r: RunSummary) => Cell;
  /** Always shown (even when every run lacks it). */
  always?: boolean;
}

const v = (x: number | null | undefined): number | null =>
  x === undefined || x === null || Number.isNaN(x) ? null : x;

const METRIC_COLUMNS: MetricColumn[] = [
  {
    key: 'train_cases',
    en: 'training cases',
    zh: '训练病例数',
    kind: 'int',
    always: true,
    get: (r) => r.train_cases,
  },
  { key: 'steps', en: 'steps', zh: '步数', kind: 'int', always: true, get: (r) => r.steps },
  { key: 'epochs', en: 'epochs', zh: '轮数 (epoch)', kind: 'int', always: true, get: (r) => r.epochs },
  {
    key: 'best_step',
    en: 'best round: step',
    zh: '最佳轮：步',
    kind: 'int',
    get: (r) => r.best?.step ?? null,
  },
  {
    key: 'best_l1',
    en: 'best val L1 (on [0,1])',
    zh: '最佳验证 L1（[0,1]）',
    kind: 'l1',
    always: true,
    get: (r) => v(r.best?.mean_l1),
  },
  {
    key: 'best_psnr',
    en: 'best-round PSNR (dB)',
    zh: '最佳轮 PSNR（dB）',
    kind: 'db',
    get: (r) => v(r.best?.mean_psnr),
  },
  {
    key: 'last_l1',
    en: 'last val L1 (on [0,1])',
    zh: '最终验证 L1（[0,1]）',
    kind: 'l1',
    always: true,
    get: (r) => v(r.last?.mean_l1),
  },
  {
    key: 'last_psnr',
    en: 'last PSNR (dB)',
    zh: '最终 PSNR（dB）',
    kind: 'db',
    always: true,
    get: (r) => v(r.last?.mean_psnr),
  },
  {
    key: 'last_ssim',
    en: 'last SSIM (0-1)',
    zh: '最终 SSIM（0-1）',
    kind: 'ssim',
    get: (r) => v(r.last?.mean_ssim),
  },
  {
    key: 'sharpness_ratio',
    en: 'sharpness ratio (pred / X-ray gradient)',
    zh: '清晰度比（预测 / X 线梯度）',
    kind: 'ratio',
    get: (r) => v(r.last?.sharpness_ratio),
  },
  {
    key: 'pred_grad_mean_255',
    en: 'pred. mean gradient (0-255)',
    zh: '预测平均梯度（0-255）',
    kind: 'grad',
    get: (r) => v(r.last?.pred_grad_mean_255),
  },
  {
    key: 'pred_max_255',
    en: 'pred. maximum (0-255)',
    zh: '预测最大值（0-255）',
    kind: 'grad',
    get: (r) => v(r.last?.pred_max_255),
  },
  {
    key: 'lm_sharp',
    en: 'landmark-region sharpness ratio',
    zh: '标志点区域清晰度比',
    kind: 'ratio',
    get: (r) => v(r.last?.lm_sharp),
  },
  {
    key: 'trace_mre_mm',
    en: 'traceability MRE (mm)',
    zh: '可描点性 MRE（mm）',
    kind: 'mm',
    get: (r) => v(r.last?.trace_mre_mm),
  },
  {
    key: 'trace_floor_mre_mm',
    en: 'traceability floor: detector on the real X-ray, MRE (mm)',
    zh: '可描点性下限：真实 X 线上的检测 MRE（mm）',
    kind: 'mm',
    get: (r) => v(r.last?.trace_floor_mre_mm),
  },
  {
    key: 'trace_sdr2',
    en: 'traceability SDR 2 mm (%)',
    zh: '可描点性 2 mm 成功率（%）',
    kind: 'frac',
    get: (r) => v(r.last?.trace_sdr2),
  },
  {
    key: 'edge_ratio',
    en: 'edge ratio (pred / X-ray p99 gradient)',
    zh: '边缘比（预测 / X 线 p99 梯度）',
    kind: 'ratio',
    get: (r) => v(r.last?.edge_ratio),
  },
  {
    key: 'max_ratio',
    en: 'maximum ratio (pred / X-ray, 0-255)',
    zh: '最大值比（预测 / X 线，0-255）',
    kind: 'ratio',
    get: (r) => v(r.last?.max_ratio),
  },
  {
    key: 'metrics_region',
    en: 'metrics over',
    zh: '指标计算区域',
    kind: 'region',
    always: true,
    get: (r) => (r.last ? (r.last.metrics_region ?? 'whole') : null),
  },
  {
    key: 'content_fraction',
    en: 'content region (% of the image)',
    zh: '内容区域（占图像 %）',
    kind: 'frac',
    get: (r) => v(r.last?.content_fraction),
  },
  {
    key: 'last_l1_whole',
    en: 'last val L1, whole image incl. padding (on [0,1])',
    zh: '最终验证 L1，整幅图像含填充（[0,1]）',
    kind: 'l1',
    get: (r) => v(r.last?.mean_l1_whole),
  },
  {
    key: 'train_l1',
    en: 'train-subset L1 (on [0,1])',
    zh: '训练子集 L1（[0,1]）',
    kind: 'l1',
    get: (r) => v(r.last?.train_l1),
  },
  {
    key: 'gap_ratio',
    en: 'gap (val / train L1)',
    zh: '泛化差距（验证 / 训练 L1）',
    kind: 'ratio',
    get: (r) => v(r.last?.gap_ratio),
  },
  {
    key: 'failure_rate',
    en: 'failed val cases (%)',
    zh: '失败验证病例（%）',
    kind: 'frac',
    get: (r) => v(r.last?.failure_rate),
  },
  { key: 'gate', en: 'gate (advisory)', zh: '门槛（仅供参考）', kind: 'gate', get: (r) => r.gate },
  {
    key: 'duration_s',
    en: 'duration (s)',
    zh: '用时（秒）',
    kind: 's',
    always: true,
    get: (r) => v(r.duration_s),
  },
  { key: 'backend', en: 'backend', zh: '后端', kind: 'text', always: true, get: (r) => r.backend },
  {
    key: 'status',
    en: 'status',
    zh: '状态',
    kind: 'text',
    always: true,
    get: (r) => (r.status === 'done' ? 'done' : `failed: ${r.error ?? ''}`),
  },
];

/** The comparison table of `runs` (see the module comment). */
export function comparisonTable(runs: readonly RunSummary[]): ComparisonTable {
  const configs = runs.map((r) => r.config);
  const differingKeys = configDiff(configs);
  const metricCols = METRIC_COLUMNS.filter((c) => c.always || runs.some((r) => c.get(r) !== null));
  const columns: ComparisonColumn[] = [
    { key: 'run', en: 'run', zh: '训练', kind: 'text' },
    ...differingKeys.map((k) => ({ key: `config.${k}`, en: k, zh: k, kind: 'config' as const })),
    ...metricCols.map(({ key, en, zh, kind }) => ({ key, en, zh, kind })),
  ];
  const rows = runs.map((r) => [
    r.name,
    ...differingKeys.map((k) => {
      const x = r.config[k];
      return x === undefined ? null : typeof x === 'object' ? JSON.stringify(x) : (x as Cell);
    }),
    ...metricCols.map((c) => c.get(r)),
  ]);
  return { columns, rows, differingKeys, shared: sharedConfig(configs) };
}

export type Lang = 'en' | 'zh';

const REGION_TEXT: Record<'content' | 'whole', Record<Lang, string>> = {
  content: { en: 'content region', zh: '内容区域' },
  whole: { en: 'whole image (incl. padding)', zh: '整幅图像（含填充）' },
};

const GATE_TEXT: Record<GateStatus, Record<Lang, string>> = {
  pass: { en: 'pass', zh: '通过' },
  fail: { en: 'fail', zh: '未通过' },
  incomplete: { en: 'incomplete', zh: '不完整' },
};

/** A cell as text, with the precision its unit calls for (the unit itself is in the header). */
export function formatCell(c: Cell, kind: ColumnKind, lang: Lang = 'en'): string {
  if (c === null) return '—';
  if (typeof c !== 'number') {
    if (kind === 'gate' && typeof c === 'string' && c in GATE_TEXT) return GATE_TEXT[c as GateStatus][lang];
    if (kind === 'region' && (c === 'content' || c === 'whole')) return REGION_TEXT[c][lang];
    if (kind === 'text' && lang === 'zh' && c === 'done') return '完成';
    if (kind === 'text' && lang === 'zh' && typeof c === 'string' && c.startsWith('failed: '))
      return `失败：${c.slice(8)}`;
    return String(c);
  }
  if (!Number.isFinite(c)) return c > 0 ? '∞' : c < 0 ? '-∞' : '—';
  switch (kind) {
    case 'l1':
    case 'ssim':
      return c.toFixed(4);
    case 'db':
    case 'grad':
    case 'mm':
      return c.toFixed(2);
    case 'ratio':
      return c.toFixed(3);
    case 'frac':
      return `${(100 * c).toFixed(0)}`;
    case 's':
      return c.toFixed(1);
    case 'int':
      return String(Math.round(c));
    default:
      return String(c);
  }
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The table as Markdown in one language, with the options every run shares below it. */
export function comparisonMarkdown(t: ComparisonTable, lang: Lang = 'en'): string {
  const head = t.columns.map((c) => mdEscape(c[lang]));
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${t.columns.map((c) => (c.kind === 'text' || c.kind === 'config' || c.kind === 'gate' || c.kind === 'region' ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const row of t.rows)
    lines.push(`| ${row.map((c, i) => mdEscape(formatCell(c, t.columns[i].kind, lang))).join(' | ')} |`);
  const shared = Object.entries(t.shared)
    .map(([k, x]) => `${k} ${typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
    .join(', ');
  lines.push('');
  const regionCol = t.columns.findIndex((c) => c.key === 'metrics_region');
  const regions = new Set(t.rows.map((r) => r[regionCol]).filter((c) => c !== null));
  if (regionCol >= 0 && regions.size > 1)
    lines.push(
      lang === 'en'
        ? 'Warning: these runs were not measured on the same pixels — some over the content region, some over the whole image including letterbox padding (stored before content-region metrics); compare their L1/PSNR with care.'
        : '注意：这些训练的指标并非在相同像素上计算——部分仅在内容区域，部分在含信箱填充的整幅图像上（内容区域指标之前保存的结果）；比较其 L1/PSNR 时请谨慎。',
      '',
    );
  lines.push(
    lang === 'en'
      ? `Options that differ: ${t.differingKeys.length ? t.differingKeys.join(', ') : 'none'}. Same in every run: ${shared || '—'}.`
      : `不同的选项：${t.differingKeys.length ? t.differingKeys.join('、') : '无'}。所有训练相同：${shared || '—'}。`,
  );
  return lines.join('\n');
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The table as CSV: headers in one language (with units), numbers unrounded (full precision for
 * further analysis), gate verdicts in that language, empty cells for values not measured.
 */
export function comparisonCsv(t: ComparisonTable, lang: Lang = 'en'): string {
  const lines = [t.columns.map((c) => csvCell(c[lang])).join(',')];
  for (const row of t.rows)
    lines.push(
      row
        .map((c, i) => {
          const kind = t.columns[i].kind;
          if (c === null || (typeof c === 'number' && Number.isNaN(c))) return '';
          if (typeof c === 'number') return kind === 'frac' ? String(100 * c) : String(c);
          return csvCell(formatCell(c, kind, lang));
        })
        .join(','),
    );
  return lines.join('\n') + '\n';
}
