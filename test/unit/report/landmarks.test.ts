/**
 * The review report's landmarks section (core/eval/report/landmarks.ts) and where the metrics were
 * computed: per-landmark sharpness, tracing errors, measurements, traceability, in Markdown
 * (en / zh) and JSON.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../../src/core/config';
import { DEFAULT_GATE, evaluateGate } from '../../../src/core/eval/gate';
import { summarizeLandmarkSharpness } from '../../../src/core/eval/landmarkSharpnessSummary';
import { metricsJson, reviewBundle, type ReviewInput } from '../../../src/core/eval/report';
import { summarizeErrors } from '../../../src/core/landmarks/errors';
import { clinicInput, tracingLandmarks } from './fixtures';

describe('landmarks section', () => {
  const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 512 };

  it('says where the metrics were computed: whole image for an old round, the content region with its whole-image figures for a new one', () => {
    const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 512, preprocess: 'letterbox' };
    const old = clinicInput(cfg, false);
    expect(reviewBundle(old, 'en', {}).markdown).toContain(
      'Computed over the whole image including any letterbox padding (a round stored before content-region metrics).',
    );
    expect(metricsJson(old.evaluation, null).metrics_region).toBe('whole');
    const ev = old.evaluation;
    const fresh = {
      ...old,
      evaluation: {
        ...ev,
        metricsRegion: 'content' as const,
        aggregate: {
          ...ev.aggregate,
          mean_l1_whole: 0.15,
          mean_psnr_whole: 18.2,
          mean_ssim_whole: 0.5,
          mean_content_fraction: 0.81,
        },
      },
    };
    expect(reviewBundle(fresh, 'en', {}).markdown).toContain(
      "Computed over each case's content region only (the film: 81 % of the image; letterbox/ROI padding excluded). Whole image incl. padding: L1 0.15, PSNR 18.2 dB.",
    );
    expect(reviewBundle(fresh, 'zh', {}).markdown).toContain('仅在每例的内容区域计算（胶片部分：占图像 81%');
    const j = metricsJson(fresh.evaluation, 'best');
    expect(j.metrics_region).toBe('content');
    expect(j.mean_l1_whole).toBe(0.15);
    expect(j.content_fraction).toBe(0.81);
  });

  it('is absent without landmark data (Markdown en/zh and JSON)', () => {
    const input = clinicInput(cfg, false);
    const en = reviewBundle(input, 'en', {});
    expect(en.markdown).not.toContain('## Landmarks');
    expect(en.json.landmarks).toBeNull();
    expect(reviewBundle(input, 'zh', {}).markdown).not.toContain('## 关键点');
  });

  it('renders per-landmark sharpness with the most blurred, the overlay grid, tracing errors and measurements', () => {
    const input = clinicInput(cfg, false);
    const sharp = summarizeLandmarkSharpness(
      [
        { id: 'c01', pred_255: [2, 9, 1], target_255: [4, 10, 4], ratio: [0.5, 0.9, 0.25] },
        { id: 'c02', pred_255: [3, 11, null], target_255: [4, 10, null], ratio: [0.75, 1.1, null] },
      ],
      ['S', 'N', 'Go'],
      ['Sella', 'Nasion', 'Gonion'],
      10,
    );
    const withSharp: ReviewInput = {
      ...input,
      evaluation: { ...input.evaluation, landmarkSharpness: sharp },
    };
    const only = reviewBundle(withSharp, 'en', {});
    expect(only.markdown).toContain('## Landmarks');
    expect(only.markdown).toContain('In a 10 mm square around each ground-truth landmark');
    expect(only.markdown).toContain('**Most blurred:** Go (Gonion) 0.25, S (Sella) 0.625');
    expect(only.markdown).toContain('| 1 | S | Sella | 0.625 | 0.18 | 2.5 | 4 | 2 |');
    expect(only.markdown).toContain('| 3 | Go | Gonion | 0.25 | – | 1 | 4 | 1 |');
    expect(only.markdown).not.toContain('Window:');
    const tiny = reviewBundle(
      {
        ...input,
        evaluation: { ...input.evaluation, landmarkSharpness: { ...sharp, windowPx: { min: 1, max: 1 } } },
      },
      'en',
      {},
    ).markdown;
    expect(tiny).toContain('Window: 10 mm = only 1 px of the preprocessed image at this run');
    expect(tiny).toContain('[NOTE] Bone edges blurred at 2 of 3 landmarks');
    // no tracing given: no tracing or measurement text, no per-case dump in the JSON
    expect(only.markdown).not.toContain('Tracing errors');
    expect(only.markdown).not.toContain('Measurements:');
    // the finding names the landmarks below the over-smoothing ratio, worst first
    const blur = only.findings.find((x) => x.id === 'landmark_blur');
    expect(blur?.severity).toBe('warn');
    expect(blur?.title.en).toBe('Bone edges blurred at 2 of 3 landmarks');
    expect(blur?.evidence.en).toContain('below 0.7: Go (Gonion) 0.25, S (Sella) 0.625');
    expect(blur?.evidence.zh).toContain('Go (下颌角点) 0.25、S (蝶鞍点) 0.625');
    expect(only.markdown).toContain('Bone edges blurred at 2 of 3 landmarks');
    expect(reviewBundle(input, 'en', {}).findings.some((x) => x.id === 'landmark_blur')).toBe(false);
    const lj = only.json.landmarks as { sharpness: Record<string, unknown>; tracing: unknown };
    expect(lj.sharpness.meanRatio).toBeCloseTo((0.625 + 1 + 0.25) / 3, 12);
    expect(lj.sharpness.worst).toEqual(['Go', 'S']);
    expect(lj.sharpness.cases).toBeUndefined();
    expect(lj.tracing).toBeNull();

    const full: ReviewInput = { ...withSharp, landmarks: tracingLandmarks() };
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const en = reviewBundle(full, 'en', { grid: png }).markdown;
    expect(en).toContain('The grid figure (viz_grid_1.png, above) draws the ground-truth landmarks');
    expect(en).toContain('| MRE (mm) | SDR 2 mm |');
    expect(en).toContain('| 1 | S | Sella | 0.625 | 0.18 | 2.5 | 4 | 2 | 1.5 | 100 % |');
    expect(en).toContain('2 traced case(s) by Dr. Li, pixel spacing 0.1 mm/px: MRE **2.4');
    expect(en).toContain('(1 not identifiable)');
    expect(en).toContain('### Measurements: tracing vs ground truth (isbi2015)');
    expect(en).toContain('| SNA | 81.5° | 82° | -0.5° | – |');
    expect(en).toContain('| FHI | unavailable | 0.7 | – | Go |');
    const zh = reviewBundle(full, 'zh', { grid: png }).markdown;
    expect(zh).toContain('## 关键点');
    expect(zh).toContain('网格图（viz_grid_1.png，见上文）');
    expect(zh).toContain('**最模糊:** Go (下颌角点) 0.25、S (蝶鞍点) 0.625');
    expect(zh).toContain('| SNA 角 | 81.5° | 82° | -0.5° | – |');
    expect(zh).toContain('| FHI | 不可用 | 0.7 | – | Go |');
    expect(zh).toContain('描点者 Dr. Li');
    const j = reviewBundle(full, 'en', { grid: png }).json.landmarks as Record<string, unknown>;
    expect(j.grid).toBe('viz_grid_1.png');
    // without the grid in the bundle, no sentence points at it
    expect(reviewBundle(full, 'en', {}).markdown).not.toContain('The grid figure');
    expect((j.tracing as { cases: number }).cases).toBe(2);
  });

  it('renders the traceability table (floor, synthetic, over 2 mm, measurements) and gates on 2 mm', () => {
    const input = clinicInput(cfg, false);
    const floor = summarizeErrors(
      [
        [1, 1.5, 0.5],
        [1, 0.5, 1.5],
      ],
      ['S', 'N', 'Go'],
    );
    const synthetic = summarizeErrors(
      [
        [1.5, 3, 1],
        [2.5, 5, null],
      ],
      ['S', 'N', 'Go'],
    );
    const traceability = {
      detector: { name: 'demo detector' },
      cases: 2,
      floor,
      synthetic,
      measurements: [
        {
          id: 'ANB',
          name: { en: 'ANB', zh: 'ANB 角' },
          unit: 'deg' as const,
          meanAbsDiff: 1.25,
          meanGt: 2,
          meanSynthetic: 3.25,
          n: 2,
        },
        {
          id: 'FHI',
          name: { en: 'FHI', zh: 'FHI' },
          unit: 'ratio' as const,
          meanAbsDiff: null,
          meanGt: 0.7,
          meanSynthetic: null,
          n: 0,
        },
      ],
    };
    const gate = evaluateGate(
      { mean_l1: 0.05, mean_psnr: 25, failure_rate: 0, sharpness_ratio: 1, trace_mre: synthetic.mreMm },
      DEFAULT_GATE,
    );
    const full: ReviewInput = { ...input, gate, landmarks: { traceability } };
    const b = reviewBundle(full, 'en', {});
    const en = b.markdown;
    expect(en).toContain('## Landmarks');
    expect(en).toContain('### Traceability (landmark detector)');
    expect(en).toContain('Detector **demo detector** on 2 validation case(s)');
    expect(en).toContain(
      'Floor = the detector on the real X-ray vs the ground truth: MRE **1 mm**, SDR 2 mm 100 %',
    );
    // synthetic: 1.5, 3, 1, 2.5, 5 -> 13 / 5 = 2.6 mm; 2 of 5 within 2 mm
    expect(en).toContain('MRE **2.6 mm**, SDR 2 mm 40 %');
    expect(en).toContain('**Over 2 mm on the synthetic X-ray:** N (Nasion) 4 mm');
    expect(en).toContain('| S | Sella | 1 | 100 % | 2 | 50 % | 2 |');
    expect(en).toContain('| N | Nasion | 1 | 100 % | 4 ⚠ | 0 % | 2 |');
    expect(en).toContain('| all |  | 1 | 100 % | 2.6 | 40 % | 5 |');
    expect(en).toContain('| ANB | 2° | 3.25° | 1.25° | 2 |');
    expect(en).toContain('| FHI | 0.7 | unavailable | – | 0 |');
    // the gate's traceability rule, named with its unit, fails at 2.6 mm > 2 mm
    expect(en).toContain(
      '| traceability MRE (landmark detector on the predictions vs ground truth) | 2.6 mm | <= 2 mm | FAIL |',
    );
    const zh = reviewBundle(full, 'zh', {}).markdown;
    expect(zh).toContain('### 可追踪性（关键点检测器）');
    expect(zh).toContain('**合成 X 光上超过 2 mm:** N (鼻根点) 4 mm');
    expect(zh).toContain('| ANB 角 | 2° | 3.25° | 1.25° | 2 |');
    const j = b.json.landmarks as { traceability: { cases: number; synthetic: { mreMm: number } } };
    expect(j.traceability.cases).toBe(2);
    expect(j.traceability.synthetic.mreMm).toBeCloseTo(2.6, 12);
    // without traceability the section stays absent
    expect(reviewBundle({ ...input, landmarks: { traceability: null } }, 'en', {}).markdown).not.toContain(
      'Traceability',
    );
  });
});
