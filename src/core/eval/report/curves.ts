/**
 * The panels of the report's curves figure (curves.png) over the run's validation rounds, with
 * the gate's thresholds as reference lines. Pure.
 */
import type { CurvePanel } from '../curves';
import { SERIES_COLORS } from '../curves';
import { GAP_ALERT_RATIO } from '../gap';
import type { GateVerdict } from '../gate';
import { OVERSMOOTH_RATIO, type RoundPoint } from './input';

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
