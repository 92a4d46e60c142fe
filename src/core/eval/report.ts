/**
 * The review report: what the clinic wrote by hand (metrics, the 20-case grid, failure counts,
 * the train/val gap, the gate verdict, the over-smoothing diagnostics with its checklist, root
 * causes and next steps), written by the studio from one evaluation and the run's validation
 * history.
 *
 * - `reviewFindings`: rule-based findings, each with its evidence and a suggested next
 *   experiment in the spirit of the clinic's review (large gap ⇒ sample size; sharpness ratio
 *   < 0.7 ⇒ raise the gradient loss or add a Laplacian; failures concentrated in one audit flag
 *   ⇒ data; a loss term too weak to matter ⇒ its weight; a frozen generator ⇒ the checklist).
 * - `reportMarkdown` (English or Simplified Chinese), `reportJson` (schema
 *   `ceph-gan-studio/review@1`), `metricsJson` / `failureStatsJson` (the clinic's names),
 *   `reportCurvePanels` (the curves figure) and `reviewBundle` (a ZIP of all of it with the PNGs).
 * Pure functions (fflate for the ZIP).
 */
import { zipSync } from 'fflate';
import type { RunConfig } from '../config';
import type { Bi, ChecklistItem } from './checklist';
import type { Finding, FindingSeverity } from './types';
import type { CurvePanel } from './curves';
import { SERIES_COLORS } from './curves';
import { concentratedFlags, NO_FLAG, type FailureStats } from './failures';
import { GAP_ALERT_RATIO } from './gap';
import { gridFileName } from './grid';
import type { GateVerdict } from './gate';
import type { ValidationRound } from './round';
import {
  landmarkSharpnessFindings,
  landmarksJson,
  landmarksMarkdown,
  type ReviewLandmarks,
} from './reportLandmarks';
import { stuckExplanationText } from './stuck';
// --- Run comparison (issue 15): the Experiments section's selected runs ---
import {
  COMPARISON_FILES,
  runComparisonCsv,
  runComparisonJson,
  runComparisonMarkdown,
  type ReviewRunComparison,
} from './reportCompare';

export type ReportLang = 'en' | 'zh';

export const REVIEW_SCHEMA = 'ceph-gan-studio/review@1';
export const REPORT_FILES = {
  markdown: 'report.md',
  json: 'report.json',
  metrics: 'val_metrics.json',
  failures: 'failure_stats.json',
  /** For a 20-case list; the bundle names the real count (`gridFileName(evalCaseIds.length)`). */
  grid: 'viz_grid_20.png',
  curves: 'curves.png',
} as const;

/** Sharpness ratio below which predictions count as over-smoothed (the clinic's bone edges "发糊"). */
export const OVERSMOOTH_RATIO = 0.7;

export interface ReviewRun {
  id: string;
  name: string;
  status: string;
  step: number;
  epoch: number;
  durationMs: number;
  backend: string;
  adapter: string | null;
  /** ms since the epoch. */
  startedAt: number;
  datasetId: string;
  datasetName: string | null;
  trainCount: number | null;
  valCount: number | null;
  config: RunConfig;
  /** The preprocessing the run used (mode, size, padding, ROI). */
  preprocessing: unknown;
  /** The dataset's own preprocessing (size and mode; null for the demo, generated at the run's size). */
  datasetPreprocessing?: { size: number; mode: string } | null;
}

/** Where a run's size or mode differs from its dataset's preprocessing (the default of every run). */
export interface PreprocessingOverride {
  size: { dataset: number; run: number } | null;
  mode: { dataset: string; run: string } | null;
}

/**
 * The run's override of its dataset's preprocessing, or null when it follows the dataset (or the
 * dataset has none: the demo phantom is generated at the run's size).
 */
export function preprocessingOverride(
  dataset: { size: number; mode: string } | null | undefined,
  run: { size: number; preprocess: string },
): PreprocessingOverride | null {
  if (!dataset) return null;
  const size = dataset.size !== run.size ? { dataset: dataset.size, run: run.size } : null;
  const mode = dataset.mode !== run.preprocess ? { dataset: dataset.mode, run: run.preprocess } : null;
  return size || mode ? { size, mode } : null;
}

/** The override in words (en/zh), '' when the run follows its dataset. */
export function preprocessingOverrideText(o: PreprocessingOverride | null, lang: ReportLang): string {
  if (!o) return '';
  const parts: string[] = [];
  if (o.size)
    parts.push(
      lang === 'zh'
        ? `尺寸 ${o.size.run} px（数据集：${o.size.dataset} px）`
        : `size ${o.size.run} px (dataset: ${o.size.dataset} px)`,
    );
  if (o.mode)
    parts.push(
      lang === 'zh'
        ? `方式 ${o.mode.run}（数据集：${o.mode.dataset}）`
        : `mode ${o.mode.run} (dataset: ${o.mode.dataset})`,
    );
  return lang === 'zh'
    ? `此训练覆盖了数据集的预处理：${parts.join('，')}`
    : `This run overrides the dataset's preprocessing: ${parts.join(', ')}`;
}

/** One stored validation round (the run's `val` series, summary values). */
export interface RoundPoint {
  step: number;
  values: Record<string, number | null>;
}

export interface ReviewComparison {
  label: string;
  step: number;
  mean_l1: number;
  mean_psnr: number;
  mean_ssim: number;
  sharpness_ratio: number | null;
}

export interface ReviewInput {
  /** ISO time. */
  generatedAt: string;
  /** Audit flag codes as users read them (`burned-in-label` → Burned-in label / 烧录标签); codes not listed are shown as they are. */
  flagNames?: Record<string, { en: string; zh: string }>;
  studioVersion?: string;
  run: ReviewRun;
  /** The environment report (engine/envReport.ts JSON), when available. */
  environment: unknown;
  /** The evaluation the report is about. */
  evaluation: ValidationRound;
  /** Checkpoint name (`best`, `last`, ...) or null for the live weights. */
  checkpoint: string | null;
  /** The fixed evaluation list (grid and diagnostics cases). */
  evalCaseIds: readonly string[];
  rounds: readonly RoundPoint[];
  failures: FailureStats;
  gate: GateVerdict;
  /** A second checkpoint/run shown side by side in the grid. */
  comparison?: ReviewComparison | null;
  /** File names of the figures inside the bundle (null = not included). */
  figures: { grid: string | null; curves: string | null };
  /**
   * The landmarks section (reportLandmarks.ts): the per-landmark sharpness comes from
   * `evaluation.landmarkSharpness`; tracing errors and measurements render when given.
   */
  landmarks?: ReviewLandmarks | null;
  /** Runs selected in the Experiments section (reportCompare.ts); absent/null: no such section. */
  runComparison?: ReviewRunComparison | null;
}

export type { ReviewLandmarks } from './reportLandmarks';
export type { ReviewRunComparison } from './reportCompare';

// one finding of the review (core/eval/types.ts: reportLandmarks.ts builds them too)
export type { Finding, FindingSeverity } from './types';

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/** 4 significant digits, '–' for missing, ∞ for Infinity. */
export function f(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '-∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${f(v * 100, 3)} %`;
}

function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [row(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(row)];
}

const tr = (lang: ReportLang, b: Bi): string => b[lang];

// ---------------------------------------------------------------------------------------------
// Findings
// ---------------------------------------------------------------------------------------------

const GATE_NAMES: Record<string, Bi> = {
  mean_l1: { en: 'mean L1 on [0,1]', zh: '平均 L1（[0,1]）' },
  mean_psnr: { en: 'mean PSNR', zh: '平均 PSNR' },
  failure_rate: { en: 'failure rate', zh: '失败率' },
  sharpness_ratio: {
    en: 'sharpness ratio (prediction / X-ray mean gradient)',
    zh: '清晰度比（预测 / X 线平均梯度）',
  },
  trace_mre: {
    en: 'traceability MRE (landmark detector on the predictions vs ground truth)',
    zh: '可追踪性 MRE（关键点检测器作用于预测图 vs 真实标注）',
  },
};

function gateValue(id: string, v: number | null): string {
  if (v === null) return '–';
  if (id === 'trace_mre') return `${f(v)} mm`;
  return id === 'failure_rate' ? pct(v) : id === 'mean_psnr' ? `${f(v)} dB` : f(v);
}

/** Rule-based findings in order of importance (alerts first). */
export function reviewFindings(input: ReviewInput): Finding[] {
  const out: Finding[] = [];
  const ev = input.evaluation;
  const cfg = input.run.config;
  const d = ev.diagnosis;

  // the gate
  const failed = input.gate.criteria.filter((c) => c.status === 'fail');
  if (input.gate.status === 'fail') {
    const en = failed
      .map(
        (c) =>
          `${GATE_NAMES[c.id].en} ${gateValue(c.id, c.value)} (needs ${c.op} ${gateValue(c.id, c.threshold)})`,
      )
      .join('; ');
    const zh = failed
      .map(
        (c) =>
          `${GATE_NAMES[c.id].zh} ${gateValue(c.id, c.value)}（要求 ${c.op} ${gateValue(c.id, c.threshold)}）`,
      )
      .join('；');
    out.push({
      id: 'gate',
      severity: 'alert',
      title: { en: `${input.gate.name} not passed`, zh: `${input.gate.name} 未通过` },
      evidence: { en: en + '.', zh: zh + '。' },
      next: {
        en: 'The gate is advisory and blocks nothing. Use the findings below to choose the next run; judge quality on the fixed evaluation list only.',
        zh: '质量门仅供参考，不阻断任何训练。请依据下面的发现选择下一轮实验；质量结论只基于固定评估清单。',
      },
    });
  } else if (input.gate.status === 'pass') {
    out.push({
      id: 'gate',
      severity: 'ok',
      title: { en: `${input.gate.name} passed`, zh: `${input.gate.name} 通过` },
      evidence: {
        en:
          input.gate.criteria.map((c) => `${GATE_NAMES[c.id].en} ${gateValue(c.id, c.value)}`).join('; ') +
          '.',
        zh:
          input.gate.criteria.map((c) => `${GATE_NAMES[c.id].zh} ${gateValue(c.id, c.value)}`).join('；') +
          '。',
      },
      next: {
        en: 'Confirm on the full dataset and check landmarks on the predicted X-rays before clinical use.',
        zh: '请在完整数据集上确认，并在预测 X 线上检查描点后再用于临床。',
      },
    });
  }

  // checklist failures (a loss term at 0, input out of range)
  for (const item of ev.checklist.filter((i) => i.status === 'fail')) {
    out.push({
      id: `check_${item.id}`,
      severity: 'alert',
      title: item.question,
      evidence: item.answer,
      next: {
        en: 'Fix this before reading anything else in this report.',
        zh: '请先修正此项，再解读本报告的其他内容。',
      },
    });
  }

  // stuck output
  if (ev.stuck.stuck) {
    const open = ev.checklist.filter((i) => i.status !== 'ok');
    out.push({
      id: 'stuck',
      severity: 'alert',
      title: { en: 'The generator’s output is stuck', zh: '生成器输出停滞' },
      evidence: {
        en: `${stuckExplanationText(ev.stuck.explanation, 'en')}.`,
        zh: `${stuckExplanationText(ev.stuck.explanation, 'zh')}。`,
      },
      next: {
        en:
          open.length > 0
            ? `Work through the checklist: ${open.map((i) => i.question.en).join(' ')}`
            : 'The checklist finds nothing wrong: the model sits in a smooth local optimum — raise the gradient loss weight (lambda_grad 5–10), add lambda_lap, or lower the learning rate with a warmup.',
        zh:
          open.length > 0
            ? `请逐项检查：${open.map((i) => i.question.zh).join(' ')}`
            : '检查清单未发现问题：模型陷入平滑的局部最优——请提高梯度损失权重（lambda_grad 5–10）、加入 lambda_lap，或降低学习率并加预热。',
      },
    });
  }

  // over-smoothing
  if (d && Number.isFinite(d.sharpnessRatio) && d.sharpnessRatio < OVERSMOOTH_RATIO) {
    const ev2 = {
      en: `Predictions are smoother than the X-rays: mean gradient ${f(d.pred.gradMean_255)} vs ${f(d.target.gradMean_255)} (0-255 units, ratio ${f(d.sharpnessRatio, 3)} < ${OVERSMOOTH_RATIO}); maximum intensity ${f(d.pred.intensityMax_255)} vs ${f(d.target.intensityMax_255)}. The clinic’s plan-002 targets (gradient > 3.0, maximum > 140): ${d.clinicPlan002.gradOk ? 'gradient met' : 'gradient not met'}, ${d.clinicPlan002.maxOk ? 'maximum met' : 'maximum not met'}.`,
      zh: `预测图比 X 线更平滑：平均梯度 ${f(d.pred.gradMean_255)} 对 ${f(d.target.gradMean_255)}（0–255 单位，比值 ${f(d.sharpnessRatio, 3)} < ${OVERSMOOTH_RATIO}）；最大强度 ${f(d.pred.intensityMax_255)} 对 ${f(d.target.intensityMax_255)}。诊所方案 002 的目标（梯度 > 3.0，极值 > 140）：梯度${d.clinicPlan002.gradOk ? '已达到' : '未达到'}，极值${d.clinicPlan002.maxOk ? '已达到' : '未达到'}。`,
    };
    const next: Bi =
      cfg.lambda_grad === 0
        ? {
            en: `Add the gradient (Sobel) loss: lambda_grad 5–10 (the clinic’s P2.5 preset); if edges stay soft, add a Laplacian term (lambda_lap). Keep lambda_L1 ${f(cfg.lambda_L1)} or try 80/60.`,
            zh: `加入梯度（Sobel）损失：lambda_grad 5–10（诊所 P2.5 预设）；若边缘仍发糊，再加入拉普拉斯项（lambda_lap）。lambda_L1 保持 ${f(cfg.lambda_L1)} 或尝试 80/60。`,
          }
        : {
            en: `Raise lambda_grad from ${f(cfg.lambda_grad)} (×2–4)${cfg.lambda_lap === 0 ? ' or add a Laplacian term (lambda_lap)' : `, or raise lambda_lap from ${f(cfg.lambda_lap)}`}; check in the loss balance that its gradient is at least 1/10 of G_L1’s.`,
            zh: `将 lambda_grad 从 ${f(cfg.lambda_grad)} 提高（2–4 倍）${cfg.lambda_lap === 0 ? '，或加入拉普拉斯项（lambda_lap）' : `，或将 lambda_lap 从 ${f(cfg.lambda_lap)} 提高`}；并在损失平衡中确认其梯度至少为 G_L1 的 1/10。`,
          };
    out.push({
      id: 'oversmooth',
      severity: 'warn',
      title: { en: 'Over-smoothed predictions (bone edges blurred)', zh: '预测过度平滑（骨缘发糊）' },
      evidence: ev2,
      next,
    });
  }
  // blurred bone edges at named landmarks (landmark-region sharpness)
  out.push(...landmarkSharpnessFindings(ev.landmarkSharpness, OVERSMOOTH_RATIO));

  // weak loss weight
  const weights = ev.checklist.find((i) => i.id === 'weights');
  if (weights && weights.status === 'warn') {
    out.push({
      id: 'weak_term',
      severity: 'warn',
      title: { en: 'A loss term is too weak to matter', zh: '某个损失项权重过小、不起作用' },
      evidence: weights.answer,
      next: {
        en: 'Raise that weight until its gradient norm at the generator output is at least 1/10 of G_L1’s (see the loss balance).',
        zh: '提高该权重，直到其在生成器输出处的梯度范数至少为 G_L1 的 1/10（见损失平衡）。',
      },
    });
  }

  // generalization gap
  const gap = ev.gap;
  if (gap && Number.isFinite(gap.ratio) && gap.ratio > GAP_ALERT_RATIO) {
    const n = input.run.trainCount;
    out.push({
      id: 'gap',
      severity: 'warn',
      title: {
        en: `Large train/val gap: ${f(gap.ratio, 3)}×`,
        zh: `训练/验证差距大：${f(gap.ratio, 3)} 倍`,
      },
      evidence: {
        en: `L1 on [0,1]: ${f(gap.train_l1_01)} on ${gap.n_train} training cases vs ${f(gap.val_l1_01)} on the validation cases (same inference mode)${n !== null ? `; ${n} training cases in all` : ''}.`,
        zh: `L1（[0,1]）：${gap.n_train} 个训练病例上为 ${f(gap.train_l1_01)}，验证病例上为 ${f(gap.val_l1_01)}（相同推理模式）${n !== null ? `；训练病例共 ${n} 例` : ''}。`,
      },
      next: {
        en: 'Sample size first: train on more cases (the clinic’s full baseline, 600 cases) before changing the method — a small run checks the direction, it is not the final gate. Keep augmentation on where landmarks allow.',
        zh: '先解决样本规模：在更多病例上训练（诊所的 full 基线，600 例），再考虑改方法——small 只是“方向检查”，不是终审门禁。在不影响描点的前提下保持数据增强。',
      },
    });
  } else if (
    gap &&
    Number.isFinite(gap.ratio) &&
    gap.ratio <= 1.5 &&
    input.gate.criteria.some((c) => c.id === 'mean_l1' && c.status === 'fail')
  ) {
    out.push({
      id: 'underfit',
      severity: 'info',
      title: {
        en: 'Training and validation are both poor (underfitting)',
        zh: '训练集与验证集表现都差（欠拟合）',
      },
      evidence: {
        en: `L1 on [0,1]: ${f(gap.train_l1_01)} (train subset) vs ${f(gap.val_l1_01)} (validation), ratio ${f(gap.ratio, 3)}×.`,
        zh: `L1（[0,1]）：训练子集 ${f(gap.train_l1_01)}，验证集 ${f(gap.val_l1_01)}，比值 ${f(gap.ratio, 3)} 倍。`,
      },
      next: {
        en: 'Train longer (more epochs before the decay) or with more capacity (ngf); check the learning rate in the checklist.',
        zh: '延长训练（衰减前更多 epoch）或增大模型容量（ngf）；并查看检查清单中的学习率。',
      },
    });
  }

  // failures and the audit
  const fs = input.failures;
  const conc = concentratedFlags(fs);
  const flagEn = (code: string): string => input.flagNames?.[code]?.en ?? code;
  const flagZh = (code: string): string => input.flagNames?.[code]?.zh ?? code;
  if (conc.length > 0) {
    const c = conc[0];
    out.push({
      id: 'data',
      severity: 'warn',
      title: {
        en: `Failures concentrate in audit flag “${flagEn(c.flag)}”`,
        zh: `失败样本集中在审计标记“${flagZh(c.flag)}”`,
      },
      evidence: {
        en: `${c.failedWithFlag} of ${fs.failed} failed cases carry “${flagEn(c.flag)}” (${pct(c.shareOfFailures)}); failure rate ${pct(c.failRateWithFlag)} with the flag vs ${pct(c.failRateWithout)} without.`,
        zh: `${fs.failed} 个失败病例中有 ${c.failedWithFlag} 个带有“${flagZh(c.flag)}”（${pct(c.shareOfFailures)}）；带此标记的失败率 ${pct(c.failRateWithFlag)}，不带的为 ${pct(c.failRateWithout)}。`,
      },
      next: {
        en: `Data: review the “${flagEn(c.flag)}” cases in the Data section (a short list by hand — device borders and rulers are often normal); fix or exclude with a reason, then retrain.`,
        zh: `数据问题：在“数据”栏目中人工复核带“${flagZh(c.flag)}”的病例（先做小清单——设备边框和标尺常属正常）；修正或注明原因后排除，再重新训练。`,
      },
    });
  } else if (fs.hasAudit && fs.failed > 0) {
    const top = fs.crossTable.find((r) => r.flag !== NO_FLAG);
    out.push({
      id: 'data',
      severity: 'info',
      title: { en: 'Failures are not explained by the audit flags', zh: '失败样本与审计标记关系不大' },
      evidence: {
        en: top
          ? `The most common flag among the ${fs.failed} failures is “${flagEn(top.flag)}” with ${top.failedWithFlag}/${fs.failed}.`
          : `None of the ${fs.failed} failed cases carries an audit flag.`,
        zh: top
          ? `${fs.failed} 个失败病例中最常见的标记是“${flagZh(top.flag)}”，占 ${top.failedWithFlag}/${fs.failed}。`
          : `${fs.failed} 个失败病例均无审计标记。`,
      },
      next: {
        en: 'The main problem is not dirty data; do not exclude cases in bulk on audit flags.',
        zh: '主要矛盾不是“脏数据”；不要依据审计标记大规模剔除样本。',
      },
    });
  }

  // preprocessing
  if (cfg.preprocess === 'stretch') {
    out.push({
      id: 'preprocess',
      severity: 'info',
      title: { en: 'Images are stretched to a square', zh: '图像被拉伸为正方形' },
      evidence: {
        en: `preprocess = stretch at ${cfg.size} px: a 1520×1236 film is squeezed, losing aspect and fine detail.`,
        zh: `preprocess = stretch，${cfg.size} px：1520×1236 的片子被压缩，失去长宽比和细节。`,
      },
      next: {
        en: 'Use letterbox (keep the aspect ratio, pad) and a fixed ROI around skull and mandible (the clinic’s P2.5, top priority).',
        zh: '改用 letterbox（保持长宽比并填充），并加固定 ROI（头颅—下颌主区域）（诊所 P2.5 的最高优先级）。',
      },
    });
  }
  if (cfg.size > 512 && input.gate.status === 'fail') {
    out.push({
      id: 'resolution',
      severity: 'info',
      title: { en: 'Above 512 px before 512 px works', zh: '512 px 尚未稳定就提高了分辨率' },
      evidence: {
        en: `size = ${cfg.size} px and the gate fails.`,
        zh: `size = ${cfg.size} px，且质量门未通过。`,
      },
      next: {
        en: 'Make the structure right at 512 px first; larger sizes magnify the errors (the clinic’s rule 4).',
        zh: '先在 512 px 上把结构做对；更大的尺寸会放大错误（诊所口令 4）。',
      },
    });
  }
  const order: Record<FindingSeverity, number> = { alert: 0, warn: 1, info: 2, ok: 3 };
  return out.sort((a, b) => order[a.severity] - order[b.severity]);
}

// ---------------------------------------------------------------------------------------------
// JSON files
// ---------------------------------------------------------------------------------------------

/** Metrics JSON with the clinic's names (`mean_l1` on [0,1], `mean_psnr` in dB) and per-case rows. */
export function metricsJson(ev: ValidationRound, checkpoint: string | null): Record<string, unknown> {
  const a = ev.aggregate;
  return {
    mean_l1: a.mean_l1,
    median_l1: a.median_l1,
    mean_psnr: Number.isFinite(a.mean_psnr) ? a.mean_psnr : null,
    median_psnr: Number.isFinite(a.median_psnr) ? a.median_psnr : null,
    mean_ssim: a.mean_ssim,
    median_ssim: a.median_ssim,
    n_cases: a.n_cases,
    mean_l1_pm1: a.mean_l1_pm1,
    median_l1_pm1: a.median_l1_pm1,
    mean_sharpness_ratio: a.mean_sharpness_ratio,
    // where the figures were computed (fairmetrics): 'content' = each case's content region, padding excluded
    metrics_region: ev.metricsRegion ?? 'whole',
    ...(a.mean_l1_whole !== undefined
      ? {
          mean_l1_whole: a.mean_l1_whole,
          mean_psnr_whole: Number.isFinite(a.mean_psnr_whole) ? a.mean_psnr_whole : null,
          mean_ssim_whole: a.mean_ssim_whole,
          content_fraction: a.mean_content_fraction,
        }
      : {}),
    units: {
      l1: 'mean absolute error on [0,1] (l1_pm1: on the server’s [-1,1] = 2 x l1)',
      psnr: 'dB, data range 1 on [0,1]',
      ssim: 'grey image, Gaussian window 11 / sigma 1.5',
      sharpness_ratio: 'prediction / X-ray mean Sobel gradient magnitude',
    },
    step: ev.step,
    checkpoint,
    eval_mode: ev.evalMode,
    per_case: ev.cases.map((c) => ({
      case_id: c.id,
      l1: c.l1_01,
      l1_pm1: c.l1_pm1,
      psnr: Number.isFinite(c.psnr_db) ? c.psnr_db : null,
      ssim: c.ssim,
      sharpness_ratio: Number.isFinite(c.sharpnessRatio) ? c.sharpnessRatio : null,
    })),
  };
}

/** Failure statistics JSON (the clinic's `failure_stats`): `failed`/`total`, rule, reasons, cross-table. */
export function failureStatsJson(fs: FailureStats): Record<string, unknown> {
  return {
    failed: fs.failed,
    total: fs.total,
    label: fs.label,
    failure_rate: fs.rate,
    rule: {
      l1_above: fs.rule.maxL1_01,
      psnr_below_db: fs.rule.minPsnr_db,
      sharpness_ratio_below: fs.rule.minSharpnessRatio,
      combine: 'any',
    },
    by_reason: fs.byReason,
    failed_cases: fs.failedCases.map((c) => ({
      case_id: c.id,
      l1: c.l1_01,
      psnr: Number.isFinite(c.psnr_db) ? c.psnr_db : null,
      sharpness_ratio: c.sharpnessRatio,
      reasons: c.reasons,
    })),
    cross_table: fs.hasAudit
      ? fs.crossTable.map((r) => ({
          flag: r.flag,
          cases_with_flag: r.withFlag,
          failed_with_flag: r.failedWithFlag,
          share_of_failures: r.shareOfFailures,
          fail_rate_with_flag: r.failRateWithFlag,
          fail_rate_without: Number.isFinite(r.failRateWithout) ? r.failRateWithout : null,
        }))
      : null,
  };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** The whole review as JSON (schema `ceph-gan-studio/review@1`). */
export function reportJson(input: ReviewInput, findings: readonly Finding[]): Record<string, unknown> {
  const ev = input.evaluation;
  const d = ev.diagnosis;
  return {
    schema: REVIEW_SCHEMA,
    generatedAt: input.generatedAt,
    studioVersion: input.studioVersion ?? null,
    environment: input.environment ?? null,
    run: {
      id: input.run.id,
      name: input.run.name,
      status: input.run.status,
      step: input.run.step,
      epoch: input.run.epoch,
      durationMs: input.run.durationMs,
      backend: input.run.backend,
      adapter: input.run.adapter,
      startedAt: new Date(input.run.startedAt).toISOString(),
    },
    data: {
      datasetId: input.run.datasetId,
      datasetName: input.run.datasetName,
      trainCount: input.run.trainCount,
      valCount: input.run.valCount,
      evalCaseIds: [...input.evalCaseIds],
      preprocessing: input.run.preprocessing,
      datasetPreprocessing: input.run.datasetPreprocessing ?? null,
      preprocessingOverride: preprocessingOverride(input.run.datasetPreprocessing, input.run.config),
    },
    config: input.run.config,
    evaluation: {
      checkpoint: input.checkpoint,
      step: ev.step,
      epoch: ev.epoch,
      evalMode: ev.evalMode,
      durationMs: ev.durationMs,
    },
    metrics: metricsJson(ev, input.checkpoint),
    comparison: input.comparison ?? null,
    diagnostics: d
      ? {
          units: 'grey levels 0-255; gradients = Sobel/8 magnitude per pixel',
          cases: ev.diagnosisCaseIds,
          prediction: { ...d.pred },
          target: { ...d.target },
          sharpness_ratio: finiteOrNull(d.sharpnessRatio),
          edge_ratio: finiteOrNull(d.edgeRatio),
          max_ratio: finiteOrNull(d.maxRatio),
          p999_ratio: finiteOrNull(d.p999Ratio),
          clinic_plan_002: d.clinicPlan002,
        }
      : null,
    sensitivity_255: ev.sensitivity_255,
    inputRange: ev.inputRange,
    lossBalance: ev.balance,
    gap: ev.gap ? { ...ev.gap, ratio: finiteOrNull(ev.gap.ratio), alertAbove: GAP_ALERT_RATIO } : null,
    landmarks: landmarksJson(ev.landmarkSharpness, input.landmarks, input.figures.grid),
    stuck: ev.stuck,
    checklist: ev.checklist,
    failures: failureStatsJson(input.failures),
    gate: input.gate,
    findings,
    history: input.rounds.map((r) => ({ step: r.step, ...r.values })),
    files: { ...REPORT_FILES, grid: input.figures.grid, curves: input.figures.curves },
    ...(input.runComparison ? { runComparison: runComparisonJson(input.runComparison) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Curves figure
// ---------------------------------------------------------------------------------------------

function series(rounds: readonly RoundPoint[], key: string): [number, number | null][] {
  return rounds.map((r) => [r.step, r.values[key] ?? null]);
}

/** Panels of the report's curves figure (labels in ASCII English: the PNG font has no CJK). */
export function reportCurvePanels(rounds: readonly RoundPoint[], gate?: GateVerdict): CurvePanel[] {
  const [c0, c1, c2] = SERIES_COLORS;
  const thr = (id: string): number | undefined => gate?.criteria.find((c) => c.id === id)?.threshold;
  const l1T = thr('mean_l1');
  const psnrT = thr('mean_psnr');
  const sharpT = thr('sharpness_ratio');
  return [
    {
      title: 'Validation L1 on [0,1] (mean over val cases)',
      xLabel: 'step',
      yLabel: 'L1 [0,1]',
      series: [
        { label: 'val mean L1', color: c0, points: series(rounds, 'mean_l1') },
        { label: 'train-subset L1 (same mode)', color: c1, points: series(rounds, 'train_l1'), dashed: true },
      ],
      reference: l1T !== undefined ? { y: l1T, label: `gate <= ${l1T}` } : undefined,
    },
    {
      title: 'Validation PSNR (dB, data range 1)',
      xLabel: 'step',
      yLabel: 'PSNR dB',
      series: [{ label: 'val mean PSNR', color: c2, points: series(rounds, 'mean_psnr') }],
      reference: psnrT !== undefined ? { y: psnrT, label: `gate >= ${psnrT} dB` } : undefined,
    },
    {
      title: 'Mean Sobel gradient (0-255 units per px)',
      xLabel: 'step',
      yLabel: 'gradient',
      series: [
        { label: 'prediction', color: c0, points: series(rounds, 'pred_grad_mean_255') },
        { label: 'X-ray (target)', color: c1, points: series(rounds, 'target_grad_mean_255'), dashed: true },
      ],
      reference: { y: 3, label: 'clinic plan 002: > 3.0' },
    },
    {
      title: 'Maximum intensity (0-255)',
      xLabel: 'step',
      yLabel: 'intensity',
      series: [
        { label: 'prediction', color: c0, points: series(rounds, 'pred_max_255') },
        { label: 'X-ray (target)', color: c1, points: series(rounds, 'target_max_255'), dashed: true },
      ],
      reference: { y: 140, label: 'clinic plan 002: > 140' },
    },
    {
      title: 'Sharpness ratio (prediction / X-ray mean gradient)',
      xLabel: 'step',
      yLabel: 'ratio',
      series: [{ label: 'sharpness ratio', color: c0, points: series(rounds, 'sharpness_ratio') }],
      reference: {
        y: sharpT ?? OVERSMOOTH_RATIO,
        label: sharpT !== undefined ? `gate >= ${sharpT}` : `over-smooth < ${OVERSMOOTH_RATIO}`,
      },
    },
    {
      title: 'Generalization gap (val L1 / train-subset L1)',
      xLabel: 'step',
      yLabel: 'ratio',
      series: [{ label: 'gap ratio', color: c2, points: series(rounds, 'gap_ratio') }],
      reference: { y: GAP_ALERT_RATIO, label: `alert > ${GAP_ALERT_RATIO}x` },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

const SEV: Record<FindingSeverity, Bi> = {
  alert: { en: 'ALERT', zh: '警报' },
  warn: { en: 'WARNING', zh: '警告' },
  info: { en: 'NOTE', zh: '提示' },
  ok: { en: 'OK', zh: '通过' },
};

const STATUS: Record<string, Bi> = {
  pass: { en: 'pass', zh: '通过' },
  fail: { en: 'FAIL', zh: '未通过' },
  unknown: { en: 'unknown', zh: '未知' },
  incomplete: { en: 'incomplete', zh: '不完整' },
  ok: { en: 'ok', zh: '正常' },
  warn: { en: 'check', zh: '需检查' },
};

const REASONS: Record<string, Bi> = {
  l1: { en: 'L1', zh: 'L1' },
  psnr: { en: 'PSNR', zh: 'PSNR' },
  sharpness: { en: 'sharpness', zh: '清晰度' },
};

function checklistRows(lang: ReportLang, items: readonly ChecklistItem[]): string[] {
  return table(
    lang === 'zh' ? ['检查项', '结果', '自动回答'] : ['check', 'result', 'answer (automatic)'],
    items.map((i) => [
      tr(lang, i.question),
      tr(lang, STATUS[i.status] ?? STATUS.unknown),
      tr(lang, i.answer),
    ]),
  );
}

/** The report as Markdown in the UI language; figures are referenced by file name (same ZIP). */
export function reportMarkdown(input: ReviewInput, findings: readonly Finding[], lang: ReportLang): string {
  const zh = lang === 'zh';
  const L = (en: string, z: string): string => (zh ? z : en);
  const ev = input.evaluation;
  const a = ev.aggregate;
  const d = ev.diagnosis;
  const cfg = input.run.config;
  const fs = input.failures;
  const ck = input.checkpoint ?? L('current weights', '当前权重');
  const lines: string[] = [];
  lines.push(`# ${L('Review report', '评审报告')}: ${input.run.name}`);
  lines.push('');
  lines.push(
    L(
      `Written by Ceph GAN Studio on ${input.generatedAt} from checkpoint **${ck}** (step ${ev.step}${ev.epoch !== null ? `, epoch ${ev.epoch}` : ''}) of run \`${input.run.id}\`, evaluated on ${a.n_cases} validation cases in ${ev.evalMode ? 'eval mode (--eval)' : 'the server’s default test mode (no --eval)'}. Every number carries its unit: L1 on [0,1] unless marked [-1,1], PSNR in dB (data range 1), gradients and intensities in 0–255 grey levels.`,
      `由 Ceph GAN Studio 于 ${input.generatedAt} 生成：训练 \`${input.run.id}\` 的检查点 **${ck}**（第 ${ev.step} 步${ev.epoch !== null ? `，第 ${ev.epoch} 个 epoch` : ''}），在 ${a.n_cases} 个验证病例上以${ev.evalMode ? ' eval 模式（--eval）' : '服务器默认测试模式（不加 --eval）'}评估。所有数值均带单位：L1 默认在 [0,1] 尺度（标注 [-1,1] 者除外），PSNR 单位为 dB（数据范围 1），梯度与强度为 0–255 灰度级。`,
    ),
  );
  lines.push('');

  // verdict
  lines.push(`## ${L('Quality gate', '质量门')} (${input.gate.name})`);
  lines.push('');
  lines.push(
    `**${L('Verdict', '结论')}: ${tr(lang, STATUS[input.gate.status])}** — ${L('advisory: the studio never blocks a run.', '仅供参考：工作室从不阻断训练。')}`,
  );
  lines.push('');
  lines.push(
    ...table(
      zh ? ['指标', '测量值', '条件', '结果'] : ['criterion', 'measured', 'condition', 'result'],
      input.gate.criteria.map((c) => [
        tr(lang, GATE_NAMES[c.id]),
        gateValue(c.id, c.value),
        `${c.op} ${gateValue(c.id, c.threshold)}`,
        tr(lang, STATUS[c.status]),
      ]),
    ),
  );
  lines.push('');

  // findings
  lines.push(`## ${L('Findings and suggested next experiments', '发现与建议的下一步实验')}`);
  lines.push('');
  if (findings.length === 0) lines.push(L('No rule fired.', '没有触发任何规则。'));
  findings.forEach((x, i) => {
    lines.push(`${i + 1}. **[${tr(lang, SEV[x.severity])}] ${tr(lang, x.title)}** — ${tr(lang, x.evidence)}`);
    lines.push(`   - ${L('Next', '下一步')}: ${tr(lang, x.next)}`);
  });
  lines.push('');

  // metrics
  lines.push(`## ${L('Validation metrics', '验证指标')} (${a.n_cases} ${L('cases', '例')})`);
  lines.push('');
  if ((ev.metricsRegion ?? 'whole') === 'whole')
    lines.push(
      L(
        'Computed over the whole image including any letterbox padding (a round stored before content-region metrics).',
        '在含信箱填充的整幅图像上计算（内容区域指标之前保存的轮次）。',
      ),
    );
  else if ((a.mean_content_fraction ?? 1) < 1)
    lines.push(
      L(
        `Computed over each case's content region only (the film: ${(100 * (a.mean_content_fraction ?? 1)).toFixed(0)} % of the image; letterbox/ROI padding excluded). Whole image incl. padding: L1 ${f(a.mean_l1_whole ?? NaN)}, PSNR ${f(a.mean_psnr_whole ?? NaN)} dB.`,
        `仅在每例的内容区域计算（胶片部分：占图像 ${(100 * (a.mean_content_fraction ?? 1)).toFixed(0)}%；不含信箱/ROI 填充）。整幅图像（含填充）：L1 ${f(a.mean_l1_whole ?? NaN)}，PSNR ${f(a.mean_psnr_whole ?? NaN)} dB。`,
      ),
    );
  else
    lines.push(
      L(
        'Computed over the content region (the whole image here: no padding).',
        '在内容区域计算（此处即整幅图像：无填充）。',
      ),
    );
  lines.push('');
  lines.push(
    ...table(zh ? ['指标', '平均', '中位数', '单位 / 尺度'] : ['metric', 'mean', 'median', 'unit / scale'], [
      [
        'L1 (mean_l1)',
        f(a.mean_l1),
        f(a.median_l1),
        L('mean absolute error on [0,1]', '[0,1] 上的平均绝对误差'),
      ],
      [
        'L1 [-1,1]',
        f(a.mean_l1_pm1),
        f(a.median_l1_pm1),
        L('server scale (= G_L1 / lambda_L1)', '服务器尺度（= G_L1 / lambda_L1）'),
      ],
      ['PSNR (mean_psnr)', f(a.mean_psnr), f(a.median_psnr), L('dB, data range 1', 'dB，数据范围 1')],
      [
        'SSIM (mean_ssim)',
        f(a.mean_ssim),
        f(a.median_ssim),
        L('grey, window 11, σ 1.5', '灰度，窗口 11，σ 1.5'),
      ],
      [
        L('sharpness ratio', '清晰度比'),
        f(a.mean_sharpness_ratio),
        '–',
        L('per case, prediction / X-ray mean gradient', '逐例，预测 / X 线平均梯度'),
      ],
    ]),
  );
  if (input.comparison) {
    const c = input.comparison;
    lines.push('');
    lines.push(
      L(
        `Compared with **${c.label}** (step ${c.step}): mean L1 ${f(c.mean_l1)} (on [0,1]), PSNR ${f(c.mean_psnr)} dB, SSIM ${f(c.mean_ssim)}, sharpness ratio ${f(c.sharpness_ratio)}.`,
        `对照 **${c.label}**（第 ${c.step} 步）：平均 L1 ${f(c.mean_l1)}（[0,1]），PSNR ${f(c.mean_psnr)} dB，SSIM ${f(c.mean_ssim)}，清晰度比 ${f(c.sharpness_ratio)}。`,
      ),
    );
  }
  lines.push('');

  if (input.figures.grid) {
    lines.push(
      `## ${L('Fixed evaluation grid', '固定评估网格')} (${input.evalCaseIds.length} ${L('cases', '例')})`,
    );
    lines.push('');
    lines.push(
      L(
        'photo | real X-ray | prediction | error heat map (|prediction − X-ray| in grey levels, fixed scale 0–128), the same cases for every checkpoint.',
        '照片 | 真实 X 线 | 预测 | 误差热图（|预测 − X 线| 的灰度级，固定色标 0–128），每个检查点使用同一批病例。',
      ),
    );
    lines.push('');
    lines.push(`![viz_grid_${input.evalCaseIds.length}](${input.figures.grid})`);
    lines.push('');
  }
  if (input.figures.curves) {
    lines.push(
      `## ${L('Curves over the run', '训练过程曲线')} (${input.rounds.length} ${L('validation rounds', '轮验证')})`,
    );
    lines.push('');
    lines.push(`![curves](${input.figures.curves})`);
    lines.push('');
  }

  // diagnostics
  lines.push(`## ${L('Gradient and extremum diagnostics (0–255 units)', '梯度与极值诊断（0–255 单位）')}`);
  lines.push('');
  if (d) {
    lines.push(
      L(
        `Pooled over the ${ev.diagnosisCaseIds.length} cases of the fixed evaluation list; gradient = Sobel magnitude (kernels / 8) of the grey image per pixel.`,
        `在固定评估清单的 ${ev.diagnosisCaseIds.length} 个病例上汇总；梯度 = 灰度图逐像素的 Sobel 幅值（核除以 8）。`,
      ),
    );
    lines.push('');
    lines.push(
      ...table(
        zh ? ['量', '预测', 'X 线（目标）', '比值'] : ['quantity', 'prediction', 'X-ray (target)', 'ratio'],
        [
          [
            L('mean gradient', '平均梯度'),
            f(d.pred.gradMean_255),
            f(d.target.gradMean_255),
            f(d.sharpnessRatio, 3),
          ],
          [L('max gradient', '最大梯度'), f(d.pred.gradMax_255), f(d.target.gradMax_255), '–'],
          [
            L('gradient p1 / p99 / p99.9', '梯度 p1 / p99 / p99.9'),
            `${f(d.pred.gradP1_255)} / ${f(d.pred.gradP99_255)} / ${f(d.pred.gradP999_255)}`,
            `${f(d.target.gradP1_255)} / ${f(d.target.gradP99_255)} / ${f(d.target.gradP999_255)}`,
            f(d.edgeRatio, 3),
          ],
          [
            L('max intensity (the clinic’s “extremum”)', '最大强度（极值）'),
            f(d.pred.intensityMax_255),
            f(d.target.intensityMax_255),
            f(d.maxRatio, 3),
          ],
          [
            L('intensity p99.9', '强度 p99.9'),
            f(d.pred.intensityP999_255),
            f(d.target.intensityP999_255),
            f(d.p999Ratio, 3),
          ],
          [L('mean intensity', '平均强度'), f(d.pred.intensityMean_255), f(d.target.intensityMean_255), '–'],
        ],
      ),
    );
    lines.push('');
    lines.push(
      L(
        `Clinic plan-002 targets (their pipeline; a guide): mean gradient > 3.0 — ${d.clinicPlan002.gradOk ? 'met' : 'not met'}; maximum > 140 — ${d.clinicPlan002.maxOk ? 'met' : 'not met'}. Input sensitivity: ${f(ev.sensitivity_255)} (mean |difference| of two predictions for different photos, 0–255).`,
        `诊所方案 002 的目标（其流程；仅作参考）：平均梯度 > 3.0 —— ${d.clinicPlan002.gradOk ? '已达到' : '未达到'}；极值 > 140 —— ${d.clinicPlan002.maxOk ? '已达到' : '未达到'}。输入敏感度：${f(ev.sensitivity_255)}（不同照片的两张预测图之间的平均绝对差，0–255）。`,
      ),
    );
  } else {
    lines.push(L('No diagnostics (no validation case).', '无诊断（没有验证病例）。'));
  }
  lines.push('');

  lines.push(...landmarksMarkdown(ev.landmarkSharpness, input.landmarks, input.figures.grid, lang));

  // stuck detector
  lines.push(`## ${L('Stuck-output detector', '输出停滞检测')}`);
  lines.push('');
  lines.push(
    `**${ev.stuck.stuck ? L('STUCK', '停滞') : L('not stuck', '未停滞')}** (${ev.stuck.kind}): ${stuckExplanationText(ev.stuck.explanation, lang)}${L('.', '。')}`,
  );
  lines.push('');
  lines.push(...checklistRows(lang, ev.checklist));
  lines.push('');

  // loss balance
  lines.push(`## ${L('Loss balance at the generator output', '生成器输出处的损失平衡')}`);
  lines.push('');
  if (ev.balance && ev.balance.length > 0) {
    const l1 = ev.balance.find((b) => b.term === 'G_L1');
    lines.push(
      L(
        `Averaged over ${ev.balanceCaseIds.length} case(s), batch 1. Value = weighted term λᵢLᵢ; ‖∂(λᵢLᵢ)/∂fake‖ = how hard the term pulls on the generated image.`,
        `在 ${ev.balanceCaseIds.length} 个病例上平均（批大小 1）。值 = 加权项 λᵢLᵢ；‖∂(λᵢLᵢ)/∂fake‖ = 该项对生成图像的拉动强度。`,
      ),
    );
    lines.push('');
    const weightOf = (t: string): string =>
      t === 'G_GAN'
        ? '1'
        : t === 'G_L1'
          ? `lambda_L1 ${f(cfg.lambda_L1)}`
          : t === 'G_grad'
            ? `lambda_grad ${f(cfg.lambda_grad)}`
            : t === 'G_lap'
              ? `lambda_lap ${f(cfg.lambda_lap)}`
              : t === 'G_fm'
                ? `lambda_fm ${f(cfg.lambda_fm)}`
                : `lambda_ssim ${f(cfg.lambda_ssim)}`;
    lines.push(
      ...table(
        zh
          ? ['损失项', '权重', '值', '占比', '‖∂/∂fake‖', '相对 G_L1']
          : ['term', 'weight', 'value', 'share', '‖∂/∂fake‖', 'vs G_L1'],
        ev.balance.map((b) => [
          b.term,
          weightOf(b.term),
          f(b.value),
          pct(b.share),
          f(b.gradNorm),
          l1 && l1.gradNorm > 0 ? `${f(b.gradNorm / l1.gradNorm, 3)}×` : '–',
        ]),
      ),
    );
  } else {
    lines.push(L('Not measured (no discriminator available).', '未测量（没有判别器）。'));
  }
  lines.push('');

  // gap
  lines.push(`## ${L('Generalization gap', '泛化差距')}`);
  lines.push('');
  if (ev.gap) {
    const g = ev.gap;
    lines.push(
      L(
        `L1 on [0,1]: train subset (${g.n_train} fixed training cases, evaluated like validation) ${f(g.train_l1_01)}, validation ${f(g.val_l1_01)} — ratio **${f(g.ratio, 3)}×** (alert above ${GAP_ALERT_RATIO}×).` +
          (g.lossL1_01 !== null
            ? ` For comparison, the clinic’s way (last training loss G_L1 / lambda_L1 / 2, train mode with augmentation): ${f(g.lossL1_01)}.`
            : ''),
        `L1（[0,1]）：训练子集（${g.n_train} 个固定训练病例，按验证方式评估）${f(g.train_l1_01)}，验证集 ${f(g.val_l1_01)}——比值 **${f(g.ratio, 3)} 倍**（超过 ${GAP_ALERT_RATIO} 倍时报警）。` +
          (g.lossL1_01 !== null
            ? `作为对照，诊所的算法（最后的训练损失 G_L1 / lambda_L1 / 2，train 模式且含增强）：${f(g.lossL1_01)}。`
            : ''),
      ),
    );
  } else {
    lines.push(L('Not measured.', '未测量。'));
  }
  lines.push('');

  // failures
  lines.push(`## ${L('Failure statistics', '失败统计')}: ${fs.label}`);
  lines.push('');
  const rule = [
    fs.rule.maxL1_01 !== null ? `L1 > ${f(fs.rule.maxL1_01)}` : null,
    fs.rule.minPsnr_db !== null ? `PSNR < ${f(fs.rule.minPsnr_db)} dB` : null,
    fs.rule.minSharpnessRatio !== null
      ? `${L('sharpness ratio', '清晰度比')} < ${f(fs.rule.minSharpnessRatio)}`
      : null,
  ].filter((x): x is string => x !== null);
  lines.push(
    L(
      `A case fails when any of: ${rule.join(', ') || '(no criterion enabled)'}. Failed: **${fs.label}** (${pct(fs.rate)}); by criterion: L1 ${fs.byReason.l1}, PSNR ${fs.byReason.psnr}, sharpness ${fs.byReason.sharpness}.`,
      `任一条件成立即判为失败：${rule.join('，') || '（未启用任何条件）'}。失败：**${fs.label}**（${pct(fs.rate)}）；按条件：L1 ${fs.byReason.l1}，PSNR ${fs.byReason.psnr}，清晰度 ${fs.byReason.sharpness}。`,
    ),
  );
  lines.push('');
  lines.push(`### ${L('Worst cases (by L1)', '最差病例（按 L1）')}`);
  lines.push('');
  lines.push(
    ...table(
      zh
        ? ['病例', 'L1 [0,1]', 'PSNR (dB)', 'SSIM', '清晰度比', '失败原因']
        : ['case', 'L1 [0,1]', 'PSNR (dB)', 'SSIM', 'sharpness ratio', 'fails on'],
      fs.worst.map((c) => [
        c.id,
        f(c.l1_01),
        f(c.psnr_db),
        f(c.ssim),
        f(c.sharpnessRatio),
        c.reasons.map((r) => tr(lang, REASONS[r])).join(', ') || '–',
      ]),
    ),
  );
  lines.push('');
  lines.push(`### ${L('Failures × audit flags', '失败 × 审计标记')}`);
  lines.push('');
  if (fs.hasAudit && fs.crossTable.length > 0) {
    lines.push(
      ...table(
        zh
          ? ['标记', '带标记病例', '其中失败', '占全部失败', '带标记失败率', '不带标记失败率']
          : [
              'flag',
              'cases with flag',
              'failed with flag',
              'share of failures',
              'fail rate with',
              'fail rate without',
            ],
        fs.crossTable.map((r) => [
          r.flag === NO_FLAG
            ? L('(no flag)', '（无标记）')
            : L(input.flagNames?.[r.flag]?.en ?? r.flag, input.flagNames?.[r.flag]?.zh ?? r.flag),
          String(r.withFlag),
          `${r.failedWithFlag}/${fs.failed}`,
          pct(r.shareOfFailures),
          pct(r.failRateWithFlag),
          pct(r.failRateWithout),
        ]),
      ),
    );
  } else {
    lines.push(
      L(
        'No audit data for this dataset (the demo phantom has none).',
        '此数据集没有审计数据（演示模拟数据没有审计）。',
      ),
    );
  }
  lines.push('');

  // data and config
  lines.push(`## ${L('Data and preprocessing', '数据与预处理')}`);
  lines.push('');
  lines.push(
    ...table(zh ? ['项', '值'] : ['item', 'value'], [
      [L('dataset', '数据集'), `${input.run.datasetName ?? ''} (${input.run.datasetId})`],
      [L('training cases', '训练病例'), input.run.trainCount === null ? '–' : String(input.run.trainCount)],
      [L('validation cases', '验证病例'), input.run.valCount === null ? '–' : String(input.run.valCount)],
      [
        L('fixed evaluation list', '固定评估清单'),
        `${input.evalCaseIds.length}: ${input.evalCaseIds.join(', ')}`,
      ],
      [L('preprocessing', '预处理'), JSON.stringify(input.run.preprocessing)],
      ['size / preprocess / direction', `${cfg.size} px / ${cfg.preprocess} / ${cfg.direction}`],
      [
        L("dataset's preprocessing", '数据集的预处理'),
        input.run.datasetPreprocessing
          ? `${input.run.datasetPreprocessing.mode} ${input.run.datasetPreprocessing.size} px`
          : L('none (the demo phantom is generated at the run size)', '无（演示模拟数据按训练尺寸生成）'),
      ],
    ]),
  );
  lines.push('');
  const override = preprocessingOverride(input.run.datasetPreprocessing, cfg);
  if (override) {
    lines.push(`**${preprocessingOverrideText(override, lang)}**`);
    lines.push('');
  }
  if (input.runComparison) lines.push(...runComparisonMarkdown(input.runComparison, lang));
  lines.push(`## ${L('Run configuration (server option names)', '训练配置（服务器参数名）')}`);
  lines.push('');
  lines.push(
    ...table(
      ['option', 'value'],
      Object.entries(cfg).map(([k, v]) => [k, String(v)]),
    ),
  );
  lines.push('');
  lines.push(`## ${L('Environment', '运行环境')}`);
  lines.push('');
  lines.push(
    ...table(zh ? ['项', '值'] : ['item', 'value'], [
      [L('backend', '后端'), input.run.backend],
      [L('adapter', '适配器'), input.run.adapter ?? '–'],
      [L('run status', '训练状态'), input.run.status],
      [L('steps / epoch', '步数 / epoch'), `${input.run.step} / ${input.run.epoch}`],
      [L('training time', '训练时长'), `${f(input.run.durationMs / 60000, 3)} min`],
      [L('evaluation time', '评估耗时'), `${f(ev.durationMs / 1000, 3)} s`],
    ]),
  );
  lines.push('');
  lines.push(
    L(
      `Files: ${REPORT_FILES.markdown}, ${REPORT_FILES.json} (everything above, machine-readable), ${REPORT_FILES.metrics}, ${REPORT_FILES.failures}${input.figures.grid ? `, ${input.figures.grid}` : ''}${input.figures.curves ? `, ${input.figures.curves}` : ''}.`,
      `文件：${REPORT_FILES.markdown}、${REPORT_FILES.json}（以上全部内容的机器可读版本）、${REPORT_FILES.metrics}、${REPORT_FILES.failures}${input.figures.grid ? `、${input.figures.grid}` : ''}${input.figures.curves ? `、${input.figures.curves}` : ''}。`,
    ),
  );
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Bundle
// ---------------------------------------------------------------------------------------------

export interface ReviewBundle {
  markdown: string;
  json: Record<string, unknown>;
  findings: Finding[];
  /** ZIP: report.md, report.json, val_metrics.json, failure_stats.json and the given PNGs. */
  zip: Uint8Array;
}

/** Everything of the review in one ZIP (PNG bytes passed in: grid and curves are rendered by the caller). */
export function reviewBundle(
  input: ReviewInput,
  lang: ReportLang,
  pngs: { grid?: Uint8Array | null; curves?: Uint8Array | null; study?: Uint8Array | null },
  folder = 'review',
): ReviewBundle {
  const gridFile = gridFileName(input.evalCaseIds.length);
  const rc = input.runComparison
    ? { ...input.runComparison, studyFigure: pngs.study ? COMPARISON_FILES.study : null }
    : input.runComparison;
  const withFigures: ReviewInput = {
    ...input,
    figures: { grid: pngs.grid ? gridFile : null, curves: pngs.curves ? REPORT_FILES.curves : null },
    ...(rc ? { runComparison: rc } : {}),
  };
  const findings = reviewFindings(withFigures);
  const markdown = reportMarkdown(withFigures, findings, lang);
  const json = reportJson(withFigures, findings);
  const enc = new TextEncoder();
  const files: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = {
    [`${folder}/${REPORT_FILES.markdown}`]: enc.encode(markdown),
    [`${folder}/${REPORT_FILES.json}`]: enc.encode(JSON.stringify(json, null, 2)),
    [`${folder}/${REPORT_FILES.metrics}`]: enc.encode(
      JSON.stringify(metricsJson(input.evaluation, input.checkpoint), null, 2),
    ),
    [`${folder}/${REPORT_FILES.failures}`]: enc.encode(
      JSON.stringify(failureStatsJson(input.failures), null, 2),
    ),
  };
  // PNGs are compressed already: stored as they are
  if (pngs.grid) files[`${folder}/${gridFile}`] = [pngs.grid, { level: 0 }];
  if (pngs.curves) files[`${folder}/${REPORT_FILES.curves}`] = [pngs.curves, { level: 0 }];
  if (rc) files[`${folder}/${COMPARISON_FILES.csv}`] = enc.encode(runComparisonCsv(rc, lang));
  if (rc && pngs.study) files[`${folder}/${COMPARISON_FILES.study}`] = [pngs.study, { level: 0 }];
  return { markdown, json, findings, zip: zipSync(files, { level: 6 }) };
}
