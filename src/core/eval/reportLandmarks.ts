/**
 * The review report's landmarks section (issue 12, item 7), Markdown (en / zh) and JSON:
 * - the per-landmark sharpness table (landmark-region sharpness of the evaluation:
 *   landmarkSharpnessSummary.ts), the most blurred landmarks named;
 * - a pointer to the grid figure (the overlay draws the ground-truth landmarks on the X-ray and
 *   the prediction there when `gridOverlay` says so);
 * - the tracing errors (radial error in mm, MRE, SDR) and the cephalometric measurements traced
 *   vs ground truth, when the caller passes them (tracings exist). Nothing is rendered for what is
 *   absent, and the whole section is left out when there is nothing to say.
 * Pure, TF.js-free (report.ts calls it).
 */
import { ISBI_LANDMARKS } from '../data/landmarkSet';
import type { ErrorSummary } from '../landmarks/errors';
import type { MeasurementComparison } from '../landmarks/measure';
import { worstLandmarks, type LandmarkSharpnessSummary } from './landmarkSharpnessSummary';
import type { Finding } from './types';

type Lang = 'en' | 'zh';

/** What the tracing side knows about a checkpoint's predictions (all optional). */
export interface ReviewLandmarks {
  /** True when the grid figure draws the ground-truth landmarks on the X-ray and the prediction. */
  gridOverlay?: boolean;
  /** Radial errors of tracings on the checkpoint's predictions vs the ground truth. */
  tracing?: {
    /** Traced cases summarised. */
    cases: number;
    /** Pixel spacing used for mm (original mm per px). */
    mmPerPx: number;
    tracer?: string | null;
    summary: ErrorSummary;
  } | null;
  /**
   * Measurements on the tracings (a) vs on the ground truth (b) of the same cases; with several
   * cases the caller passes means (a, b) and the mean per-case difference (diff).
   */
  measurements?: {
    /** Analysis id or name (e.g. `isbi2015`). */
    analysis: string;
    cases: number;
    rows: MeasurementComparison[];
  } | null;
  /**
   * Traceability (issue 13): a landmark detector on the real X-rays (the floor) and on the
   * predictions (synthetic), both vs the ground truth, and the measurements from the synthetic
   * detections vs the ground truth. Structurally the engine's TraceabilityResult.
   */
  traceability?: ReviewTraceability | null;
}

export interface ReviewTraceability {
  detector: { name: string };
  cases: number;
  floor: ErrorSummary;
  synthetic: ErrorSummary;
  measurements: {
    id: string;
    name: { en: string; zh: string };
    unit: 'deg' | 'mm' | 'ratio';
    meanAbsDiff: number | null;
    meanGt: number | null;
    meanSynthetic: number | null;
    n: number;
  }[];
}

/** The clinical tolerance of a landmark (mm). */
export const TRACE_TOLERANCE_MM = 2;

function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return String(Number(v.toPrecision(digits)));
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${fmt(v * 100, 3)} %`;
}

function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const row = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [row(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(row)];
}

function landmarkName(symbol: string, name: string, lang: Lang): string {
  const isbi = ISBI_LANDMARKS.find((l) => l.id === symbol);
  if (lang === 'zh' && isbi) return isbi.zh;
  return name || isbi?.name || '';
}

const UNIT: Record<string, string> = { deg: '°', mm: ' mm', ratio: '' };

/** Whether the section has anything to show. */
export function hasLandmarksSection(
  sharpness: LandmarkSharpnessSummary | null | undefined,
  lm: ReviewLandmarks | null | undefined,
): boolean {
  return !!sharpness || !!lm?.tracing || !!lm?.measurements || !!lm?.gridOverlay || !!lm?.traceability;
}

/** Markdown lines of the landmarks section (empty when there is nothing to show). */
export function landmarksMarkdown(
  sharpness: LandmarkSharpnessSummary | null | undefined,
  lm: ReviewLandmarks | null | undefined,
  gridFile: string | null,
  lang: Lang,
): string[] {
  if (!hasLandmarksSection(sharpness, lm)) return [];
  const zh = lang === 'zh';
  const L = (en: string, z: string): string => (zh ? z : en);
  const out: string[] = [`## ${L('Landmarks', '关键点')}`, ''];

  if (gridFile && lm?.gridOverlay) {
    out.push(
      L(
        `The grid figure (${gridFile}, above) draws the ground-truth landmarks on the real X-ray and on the prediction: where they sit off the predicted bone, that structure is not where the X-ray has it.`,
        `网格图（${gridFile}，见上文）在真实 X 光和预测图上都画出了真实关键点：若关键点偏离预测的骨结构，说明该结构与 X 光中的位置不一致。`,
      ),
    );
    out.push('');
  }

  const errByLm = new Map((lm?.tracing?.summary.perLandmark ?? []).map((r) => [r.symbol, r]));
  if (sharpness) {
    out.push(`### ${L('Landmark-region sharpness (prediction ÷ X-ray)', '关键点区域锐度（预测 ÷ X 光）')}`);
    out.push('');
    out.push(
      L(
        `In a ${fmt(sharpness.windowMm)} mm square around each ground-truth landmark: the prediction's mean Sobel gradient ÷ the X-ray's (0–255 grey levels per pixel, Sobel/8), averaged over ${sharpness.nCases} validation cases. 1 = as sharp as the X-ray; below 1 the bone edges there are blurred. Mean over landmarks: **${fmt(sharpness.meanRatio)}**.`,
        `在每个真实关键点周围 ${fmt(sharpness.windowMm)} mm 的方形窗口内：预测的平均 Sobel 梯度 ÷ X 光的平均梯度（0–255 灰度级/像素，Sobel/8），对 ${sharpness.nCases} 个验证病例取平均。1 = 与 X 光同样清晰；小于 1 表示该处骨边缘模糊。各关键点平均：**${fmt(sharpness.meanRatio)}**。`,
      ),
    );
    out.push('');
    const wp = sharpness.windowPx;
    if (wp) {
      const px = wp.min === wp.max ? `${wp.min}` : `${wp.min}–${wp.max}`;
      out.push(
        wp.min < 5
          ? L(
              `Window: ${fmt(sharpness.windowMm)} mm = only ${px} px of the preprocessed image at this run's size: too few pixels to tell blur from noise; read these numbers at 256 px or more.`,
              `窗口：${fmt(sharpness.windowMm)} mm 在本次训练尺寸下仅为预处理图像的 ${px} 像素：像素太少，无法区分模糊与噪声；请在 256 像素及以上的尺寸解读这些数值。`,
            )
          : L(
              `Window: ${fmt(sharpness.windowMm)} mm = ${px} px of the preprocessed image at this run's size.`,
              `窗口：${fmt(sharpness.windowMm)} mm = 本次训练尺寸下预处理图像的 ${px} 像素。`,
            ),
      );
      out.push('');
    }
    const worst = worstLandmarks(sharpness, 3);
    if (worst.length > 0) {
      const list = worst
        .map((r) => `${r.symbol} (${landmarkName(r.symbol, r.name, lang)}) ${fmt(r.meanRatio)}`)
        .join(zh ? '、' : ', ');
      out.push(`**${L('Most blurred', '最模糊')}:** ${list}`);
      out.push('');
    }
    const withErr = errByLm.size > 0;
    const head = zh
      ? ['#', '关键点', '名称', '锐度（预测 ÷ X 光）', '标准差', '预测梯度', 'X 光梯度', '病例数']
      : [
          '#',
          'landmark',
          'name',
          'sharpness (pred ÷ X-ray)',
          'SD',
          'pred gradient',
          'X-ray gradient',
          'cases',
        ];
    if (withErr) head.push(...(zh ? ['MRE (mm)', 'SDR 2 mm'] : ['MRE (mm)', 'SDR 2 mm']));
    out.push(
      ...table(
        head,
        sharpness.perLandmark.map((r, i) => {
          const cells = [
            String(i + 1),
            r.symbol,
            landmarkName(r.symbol, r.name, lang),
            fmt(r.meanRatio),
            fmt(r.sdRatio, 2),
            fmt(r.meanPred_255),
            fmt(r.meanTarget_255),
            String(r.n),
          ];
          if (withErr) {
            const e = errByLm.get(r.symbol);
            cells.push(fmt(e?.mreMm ?? null), pct(e?.sdr2 ?? null));
          }
          return cells;
        }),
      ),
    );
    out.push('');
  }

  const tracing = lm?.tracing;
  if (tracing) {
    const s = tracing.summary;
    out.push(`### ${L('Tracing errors on the predictions', '在预测图上描点的误差')}`);
    out.push('');
    out.push(
      L(
        `${tracing.cases} traced case(s)${tracing.tracer ? ` by ${tracing.tracer}` : ''}, pixel spacing ${fmt(tracing.mmPerPx)} mm/px: MRE **${fmt(s.mreMm)} ± ${fmt(s.sdMm)} mm** over ${s.n} landmarks (${s.missing} not identifiable); SDR 2 / 2.5 / 3 / 4 mm: ${pct(s.sdr['2'])} / ${pct(s.sdr['2.5'])} / ${pct(s.sdr['3'])} / ${pct(s.sdr['4'])}. 2 mm is the clinical tolerance; inter-observer variability is 1–2 mm.`,
        `${tracing.cases} 个已描点病例${tracing.tracer ? `（描点者 ${tracing.tracer}）` : ''}，像素间距 ${fmt(tracing.mmPerPx)} mm/像素：MRE **${fmt(s.mreMm)} ± ${fmt(s.sdMm)} mm**，共 ${s.n} 个关键点（${s.missing} 个无法识别）；SDR 2 / 2.5 / 3 / 4 mm：${pct(s.sdr['2'])} / ${pct(s.sdr['2.5'])} / ${pct(s.sdr['3'])} / ${pct(s.sdr['4'])}。2 mm 为临床容差；观察者间差异为 1–2 mm。`,
      ),
    );
    out.push('');
    if (!sharpness && s.perLandmark.length > 0) {
      out.push(
        ...table(
          zh
            ? ['关键点', '名称', 'n', 'MRE (mm)', 'SD (mm)', 'SDR 2 mm', '无法识别']
            : ['landmark', 'name', 'n', 'MRE (mm)', 'SD (mm)', 'SDR 2 mm', 'not identifiable'],
          s.perLandmark.map((r) => [
            r.symbol,
            landmarkName(r.symbol, '', lang),
            String(r.n),
            fmt(r.mreMm),
            fmt(r.sdMm),
            pct(r.sdr2),
            String(r.missing),
          ]),
        ),
      );
      out.push('');
    }
  }

  if (lm?.traceability) out.push(...traceabilityMarkdown(lm.traceability, lang));

  const m = lm?.measurements;
  if (m && m.rows.length > 0) {
    out.push(`### ${L('Measurements: tracing vs ground truth', '测量值：描点 vs 真实标注')} (${m.analysis})`);
    out.push('');
    out.push(
      L(
        `${m.cases} case(s). A measurement whose landmarks are missing is shown as unavailable, never as a number.`,
        `${m.cases} 个病例。所需关键点缺失的测量值显示为不可用，绝不给出数值。`,
      ),
    );
    out.push('');
    out.push(
      ...table(
        zh
          ? ['测量', '描点', '真实标注', '差值', '缺失关键点']
          : ['measurement', 'tracing', 'ground truth', 'difference', 'missing'],
        m.rows.map((r) => [
          r.name[lang],
          r.a === null ? L('unavailable', '不可用') : `${fmt(r.a, 4)}${UNIT[r.unit] ?? ''}`,
          r.b === null ? L('unavailable', '不可用') : `${fmt(r.b, 4)}${UNIT[r.unit] ?? ''}`,
          r.diff === null ? '–' : `${fmt(r.diff, 3)}${UNIT[r.unit] ?? ''}`,
          r.missing.join(', ') || '–',
        ]),
      ),
    );
    out.push('');
  }
  return out;
}

/**
 * The review finding "bone edges blurred at these landmarks": landmarks whose mean sharpness
 * ratio is below `threshold` (the report's over-smoothing ratio), worst first. A note instead of
 * a warning when the window is under 5 px (too few pixels to tell blur from noise).
 */
export function landmarkSharpnessFindings(
  s: LandmarkSharpnessSummary | null | undefined,
  threshold: number,
): Finding[] {
  if (!s) return [];
  const low = s.perLandmark
    .filter((r) => r.meanRatio !== null && r.meanRatio < threshold)
    .sort((a, b) => (a.meanRatio ?? 0) - (b.meanRatio ?? 0));
  if (low.length === 0) return [];
  const list = (lang: Lang): string =>
    low
      .slice(0, 5)
      .map((r) => `${r.symbol} (${landmarkName(r.symbol, r.name, lang)}) ${fmt(r.meanRatio)}`)
      .join(lang === 'zh' ? '、' : ', ');
  const tiny = !!s.windowPx && s.windowPx.min < 5;
  const px = s.windowPx
    ? ` = ${s.windowPx.min}${s.windowPx.max !== s.windowPx.min ? `–${s.windowPx.max}` : ''} px`
    : '';
  return [
    {
      id: 'landmark_blur',
      severity: tiny ? 'info' : 'warn',
      title: {
        en: `Bone edges blurred at ${low.length} of ${s.perLandmark.length} landmarks`,
        zh: `${s.perLandmark.length} 个关键点中有 ${low.length} 个处骨边缘模糊`,
      },
      evidence: {
        en: `Landmark-region sharpness (prediction ÷ X-ray mean Sobel gradient in ${fmt(s.windowMm)} mm${px} around each landmark, ${s.nCases} cases) below ${threshold}: ${list('en')}${low.length > 5 ? ', …' : ''}; mean over landmarks ${fmt(s.meanRatio)}.${tiny ? ' The window is under 5 px at this size: read these numbers at 256 px or more.' : ''}`,
        zh: `关键点区域锐度（每个关键点周围 ${fmt(s.windowMm)} mm${px} 内预测 ÷ X 光的平均 Sobel 梯度，${s.nCases} 个病例）低于 ${threshold}：${list('zh')}${low.length > 5 ? '等' : ''}；各关键点平均 ${fmt(s.meanRatio)}。${tiny ? '此尺寸下窗口不足 5 像素：请在 256 像素及以上的尺寸解读这些数值。' : ''}`,
      },
      next: {
        en: 'Landmarks on blurred edges are hard to place: strengthen the edge terms (lambda_grad, lambda_lap), keep the “best” checkpoint by landmark-region sharpness, and trace these landmarks on the predictions to see whether they are still identifiable within 2 mm.',
        zh: '模糊边缘上的关键点难以定位：加强边缘损失（lambda_grad、lambda_lap），按关键点区域锐度保存“最佳”检查点，并在预测图上对这些关键点描点，检查是否仍能在 2 mm 内识别。',
      },
    },
  ];
}

/** The JSON of the landmarks section (null when there is nothing to show). */
export function landmarksJson(
  sharpness: LandmarkSharpnessSummary | null | undefined,
  lm: ReviewLandmarks | null | undefined,
  gridFile: string | null,
): Record<string, unknown> | null {
  if (!hasLandmarksSection(sharpness, lm)) return null;
  let sharp: Record<string, unknown> | null = null;
  if (sharpness) {
    const { cases: _cases, ...rest } = sharpness;
    void _cases;
    sharp = {
      units: 'ratio of mean Sobel/8 gradient magnitudes (0-255 grey levels per pixel), prediction ÷ X-ray',
      ...rest,
      worst: worstLandmarks(sharpness, 3).map((r) => r.symbol),
    };
  }
  return {
    sharpness: sharp,
    grid: gridFile && lm?.gridOverlay ? gridFile : null,
    tracing: lm?.tracing ?? null,
    measurements: lm?.measurements ?? null,
    traceability: lm?.traceability
      ? { units: 'mm (MRE); SDR as fractions 0..1; measurements in their unit', ...lm.traceability }
      : null,
  };
}

/**
 * The traceability table: floor (detector on the real X-ray) and traceability (detector on the
 * prediction) per landmark with MRE / SDR@2mm, the landmarks over 2 mm on the prediction named,
 * then the measurement agreement (mean |Δ| of detected-on-synthetic vs ground truth).
 */
export function traceabilityMarkdown(tr: ReviewTraceability, lang: Lang): string[] {
  const zh = lang === 'zh';
  const L = (en: string, z: string): string => (zh ? z : en);
  const out: string[] = [];
  const fl = tr.floor;
  const sy = tr.synthetic;
  out.push(`### ${L('Traceability (landmark detector)', '可追踪性（关键点检测器）')}`);
  out.push('');
  out.push(
    L(
      `Detector **${tr.detector.name}** on ${tr.cases} validation case(s) with landmarks. Floor = the detector on the real X-ray vs the ground truth: MRE **${fmt(fl.mreMm)} mm**, SDR 2 mm ${pct(fl.sdr['2'])}. Traceability = the detector on the synthetic X-ray vs the ground truth: MRE **${fmt(sy.mreMm)} mm**, SDR 2 mm ${pct(sy.sdr['2'])}. 2 mm is the clinical tolerance.`,
      `检测器 **${tr.detector.name}** 作用于 ${tr.cases} 个带关键点的验证病例。下限 = 检测器在真实 X 光上对比真实标注：MRE **${fmt(fl.mreMm)} mm**，SDR 2 mm ${pct(fl.sdr['2'])}。可追踪性 = 检测器在合成 X 光上对比真实标注：MRE **${fmt(sy.mreMm)} mm**，SDR 2 mm ${pct(sy.sdr['2'])}。2 mm 为临床容差。`,
    ),
  );
  out.push('');
  const over = sy.perLandmark.filter((r) => r.mreMm !== null && r.mreMm > TRACE_TOLERANCE_MM);
  if (over.length > 0) {
    const list = over
      .map((r) => `${r.symbol} (${landmarkName(r.symbol, '', lang)}) ${fmt(r.mreMm)} mm`)
      .join(zh ? '、' : ', ');
    out.push(`**${L('Over 2 mm on the synthetic X-ray', '合成 X 光上超过 2 mm')}:** ${list}`);
    out.push('');
  }
  const floorBy = new Map(fl.perLandmark.map((r) => [r.symbol, r]));
  out.push(
    ...table(
      zh
        ? ['关键点', '名称', '下限 MRE (mm)', '下限 SDR 2 mm', '合成 MRE (mm)', '合成 SDR 2 mm', 'n']
        : [
            'landmark',
            'name',
            'floor MRE (mm)',
            'floor SDR 2 mm',
            'synthetic MRE (mm)',
            'synthetic SDR 2 mm',
            'n',
          ],
      [
        ...sy.perLandmark.map((r) => {
          const f0 = floorBy.get(r.symbol);
          const flag = r.mreMm !== null && r.mreMm > TRACE_TOLERANCE_MM ? ' ⚠' : '';
          return [
            r.symbol,
            landmarkName(r.symbol, '', lang),
            fmt(f0?.mreMm ?? null),
            pct(f0?.sdr2 ?? null),
            `${fmt(r.mreMm)}${flag}`,
            pct(r.sdr2),
            String(r.n),
          ];
        }),
        [
          L('all', '全部'),
          '',
          fmt(fl.mreMm),
          pct(fl.sdr['2']),
          fmt(sy.mreMm),
          pct(sy.sdr['2']),
          String(sy.n),
        ],
      ],
    ),
  );
  out.push('');
  if (tr.measurements.length > 0) {
    out.push(
      `#### ${L('Measurement agreement (detected on synthetic vs ground truth)', '测量一致性（合成图检测 vs 真实标注）')}`,
    );
    out.push('');
    out.push(
      ...table(
        zh
          ? ['测量', '真实标注（均值）', '合成（均值）', '平均 |Δ|', '病例']
          : ['measurement', 'ground truth (mean)', 'synthetic (mean)', 'mean |Δ|', 'cases'],
        tr.measurements.map((r) => {
          const u = UNIT[r.unit] ?? '';
          const v = (x: number | null): string =>
            x === null ? L('unavailable', '不可用') : `${fmt(x, 4)}${u}`;
          return [
            r.name[lang],
            v(r.meanGt),
            v(r.meanSynthetic),
            r.meanAbsDiff === null ? '–' : `${fmt(r.meanAbsDiff)}${u}`,
            String(r.n),
          ];
        }),
      ),
    );
    out.push('');
  }
  return out;
}
