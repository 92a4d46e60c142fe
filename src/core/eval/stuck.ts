/**
 * The stuck-output detector: is the generator frozen (the clinic's "gradient fixed at 2.133,
 * maximum at 112.34") while training still moves the losses? Pure arithmetic over per-round
 * numbers, no TF.js, so the Evaluate page judges the stored rounds itself; diagnostics.ts and
 * round.ts re-export it for the engine.
 *
 * The verdict's explanation is structured (`StuckMessage`: key + params, numbers preformatted
 * with their units) and rendered in English or Simplified Chinese from `STUCK_MESSAGES`; the UI
 * dictionary takes these templates in (src/ui/strings/evaluate.ts), `reason` keeps the English
 * rendering for logs, the CLI and report.json.
 */
import type { RunConfig } from '../config';
import { lastEpoch, lrStepAt } from '../train/schedule';
import { zeroWholeRun } from './checklist';

/** Diagnostics of one validation round, as the stuck detector consumes them. */
export interface RoundDiag {
  /** Training step (or round index) of the measurement. */
  step: number;
  /** Prediction mean Sobel gradient magnitude, 0-255 units per pixel. */
  predGradMean_255: number;
  /** Prediction maximum grey intensity, 0-255. */
  predMax_255: number;
  /** Loss values at that round, e.g. { G_L1: 3.8, D_real: 0.6 } (any keys). */
  losses: Record<string, number>;
  /** Optional input sensitivity (outputInputSensitivity of diagnostics.ts), 0-255 units. */
  sensitivity_255?: number;
  /** Optional validation mean L1 on [0,1] (shown in the explanation, not judged). */
  valL1_01?: number;
}

export interface StuckOptions {
  /** Number of most recent rounds compared (>= 2). */
  k: number;
  /** Relative change below which a series counts as frozen, e.g. 0.01 = 1 %. */
  relTol: number;
  /** Sensitivity (0-255 units) below which the output counts as input-independent. Default 0.5. */
  sensitivityTol_255?: number;
}

/** Compare the last 3 rounds; a change under 1 % counts as frozen. */
export const DEFAULT_STUCK: StuckOptions = { k: 3, relTol: 0.01 };

export type StuckKind = 'too_few_rounds' | 'insensitive' | 'frozen' | 'plateau' | 'moving';

/** The two languages of the explanation (the UI's and the review report's). */
export type StuckLang = 'en' | 'zh';

/** Preformatted numbers of the image diagnostics over the judged window. */
type WindowParams = {
  /** Latest prediction mean gradient, 0-255 units per pixel (3 decimals). */
  grad: string;
  /** Its relative range over the window, e.g. `0.00 %`. */
  gradChange: string;
  /** Latest prediction maximum intensity, 0-255 (2 decimals). */
  max: string;
  maxChange: string;
  /** First and last step of the window, and its number of rounds. */
  from: number;
  to: number;
  k: number;
};

/** Parameters of each explanation message (numbers preformatted, so both languages agree). */
export interface StuckMessageParams {
  insensitive: { sens: string; tol: string; step: number };
  tooFewRounds: { k: number; n: number };
  frozen: WindowParams & { loss: string; lossChange: string; lossFrom: string; lossTo: string };
  plateau: WindowParams & { tol: string };
  moving: WindowParams;
  /** Validation mean L1 on [0,1] at the window's first and last round (4 decimals). */
  valL1: { from: string; to: string };
  lrZeroWholeRun: { nEpochs: number; nDecay: number };
  lrZeroLastEpoch: Record<string, never>;
  lrZeroPastEnd: { last: number };
  /** A verdict an earlier version stored with a round that cannot be judged again. */
  stored: { step: number };
  noDiagnostics: { step: number };
  latestRound: { step: number };
}

export type StuckMessageKey = keyof StuckMessageParams;

/** One sentence of an explanation: a template key and its parameters. */
export type StuckMessage = {
  [K in StuckMessageKey]: { key: K; params: StuckMessageParams[K] };
}[StuckMessageKey];

export interface StuckVerdict {
  stuck: boolean;
  kind: StuckKind;
  /** The explanation in English (logs, CLI, report.json): `stuckExplanationText(explanation, 'en')`. */
  reason: string;
  /** The explanation as messages, rendered in either language (joined by `;`). */
  explanation: StuckMessage[];
}

/**
 * Templates of the explanation, `{name}` filled from the message's params. Units: gradients in
 * grey levels per pixel on the 0-255 scale, intensities 0-255, L1 on [0,1], training losses in the
 * server's own (weighted) values.
 */
export const STUCK_MESSAGES: {
  readonly [K in StuckMessageKey]: { readonly en: string; readonly zh: string };
} = {
  insensitive: {
    en: 'output barely depends on the input: predictions for two different photos differ by {sens} grey levels (0–255 scale, mean absolute difference) < {tol} at step {step}',
    zh: '输出几乎不随输入变化：第 {step} 步时，两张不同照片的预测图平均绝对差仅 {sens} 灰度级（0–255 尺度），小于 {tol}',
  },
  tooFewRounds: {
    en: 'need {k} validation rounds to judge, have {n}',
    zh: '需要 {k} 轮验证才能判断，目前有 {n} 轮',
  },
  frozen: {
    en: 'prediction mean gradient {grad} grey levels/px (0–255 scale, changed {gradChange}) and maximum intensity {max} (0–255, changed {maxChange}) stayed frozen over steps {from}-{to} ({k} rounds) while training loss {loss} changed {lossChange} ({lossFrom} → {lossTo})',
    zh: '第 {from}–{to} 步（{k} 轮验证）中，预测图平均梯度 {grad} 灰度级/像素（0–255 尺度，变化 {gradChange}）和最大强度 {max}（0–255，变化 {maxChange}）几乎不变，而训练损失 {loss} 变化了 {lossChange}（{lossFrom} → {lossTo}）',
  },
  plateau: {
    en: 'prediction mean gradient {grad} grey levels/px (0–255 scale, changed {gradChange}) and maximum intensity {max} (0–255, changed {maxChange}): these and all training losses changed less than {tol} over steps {from}-{to} ({k} rounds) (a plateau)',
    zh: '第 {from}–{to} 步（{k} 轮验证）中，预测图平均梯度 {grad} 灰度级/像素（0–255 尺度，变化 {gradChange}）、最大强度 {max}（0–255，变化 {maxChange}）以及所有训练损失的变化都小于 {tol}（进入平台期）',
  },
  moving: {
    en: 'prediction mean gradient {grad} grey levels/px (0–255 scale, changed {gradChange}) and maximum intensity {max} (0–255, changed {maxChange}) over steps {from}-{to} ({k} rounds): the images are still changing',
    zh: '第 {from}–{to} 步（{k} 轮验证）中，预测图平均梯度 {grad} 灰度级/像素（0–255 尺度，变化 {gradChange}），最大强度 {max}（0–255，变化 {maxChange}）：图像仍在变化',
  },
  valL1: {
    en: 'validation mean L1 {from} → {to} (on [0,1])',
    zh: '验证集平均 L1 {from} → {to}（[0,1] 尺度）',
  },
  lrZeroWholeRun: {
    en: 'the learning rate is 0 from the first epoch on (n_epochs {nEpochs} + n_epochs_decay {nDecay}), so nothing learns',
    zh: '学习率从第一个 epoch 起就是 0（n_epochs {nEpochs} + n_epochs_decay {nDecay}），模型什么也学不到',
  },
  lrZeroLastEpoch: {
    en: "expected: the learning rate is 0 in the schedule's last epoch (lr_step_at epoch_start, the server's 2020 train.py), so the weights no longer change",
    zh: '属预期：按调度最后一个 epoch 的学习率为 0（lr_step_at epoch_start，即服务器 2020 年的 train.py），权重不再更新',
  },
  lrZeroPastEnd: {
    en: 'expected: the schedule ended with epoch {last} (n_epochs + n_epochs_decay); past it the learning rate is 0, so the weights no longer change',
    zh: '属预期：调度已在第 {last} 个 epoch（n_epochs + n_epochs_decay）结束；此后学习率为 0，权重不再更新',
  },
  stored: {
    en: 'verdict recorded with the validation round at step {step} (the round has no image diagnostics to judge again)',
    zh: '第 {step} 步验证时记录的结论（该轮没有可重新判断的图像诊断）',
  },
  noDiagnostics: {
    en: 'the validation round at step {step} has no image diagnostics (no validation case), so there is nothing to judge',
    zh: '第 {step} 步的验证没有图像诊断（没有验证病例），无法判断',
  },
  latestRound: {
    en: "judged at the run's latest validation round (step {step})",
    zh: '按本次训练最新一轮验证（第 {step} 步）判断',
  },
};

/** A message with its parameters checked against the key. */
export function stuckMessage<K extends StuckMessageKey>(key: K, params: StuckMessageParams[K]): StuckMessage {
  return { key, params } as StuckMessage;
}

/** One message in `lang` (unknown placeholders stay visible, so a bug shows). */
export function stuckMessageText(message: StuckMessage, lang: StuckLang): string {
  const params = message.params as Readonly<Record<string, string | number>>;
  return STUCK_MESSAGES[message.key][lang].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** The whole explanation in `lang`, messages joined by `; ` (English) or `；` (Chinese). */
export function stuckExplanationText(explanation: readonly StuckMessage[], lang: StuckLang): string {
  return explanation.map((m) => stuckMessageText(m, lang)).join(lang === 'zh' ? '；' : '; ');
}

/** A verdict with its English `reason` rendered from the explanation. */
export function stuckVerdict(stuck: boolean, kind: StuckKind, explanation: StuckMessage[]): StuckVerdict {
  return { stuck, kind, reason: stuckExplanationText(explanation, 'en'), explanation };
}

/** (max - min) / |mean| over finite values; 0 for a constant series, Infinity if mean is 0 but values differ. */
export function relativeRange(values: readonly number[]): number {
  const v = values.filter(Number.isFinite);
  if (v.length < 2) return 0;
  const min = Math.min(...v);
  const max = Math.max(...v);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  if (max === min) return 0;
  return Math.abs(mean) < 1e-12 ? Infinity : (max - min) / Math.abs(mean);
}

/** A relative change as a percentage with 2 decimals, `∞ %` when unbounded. */
export function pctText(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : '∞ %';
}

/** A training loss value with 4 significant digits. */
function lossText(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x);
}

/**
 * A generator is "stuck" (the clinic's frozen 2.133 / 112.34) when, over the last `k` rounds, the
 * prediction mean gradient AND maximum intensity each change by less than `relTol` (relative range
 * (max - min) / |mean|) while at least one loss still changes by >= relTol — training moves the
 * losses but not the images' sharpness/contrast. It is also stuck when the latest input
 * sensitivity is below `sensitivityTol_255`. Flat diagnostics with flat losses is a plateau, not
 * "stuck".
 */
export function stuckDetector(history: readonly RoundDiag[], opts: StuckOptions): StuckVerdict {
  const { k, relTol } = opts;
  if (!Number.isInteger(k) || k < 2) throw new Error(`stuckDetector: k must be an integer >= 2, got ${k}`);
  const sensTol = opts.sensitivityTol_255 ?? 0.5;
  const last = history[history.length - 1];
  if (last?.sensitivity_255 !== undefined && last.sensitivity_255 < sensTol) {
    return stuckVerdict(true, 'insensitive', [
      stuckMessage('insensitive', {
        sens: last.sensitivity_255.toFixed(3),
        tol: String(sensTol),
        step: last.step,
      }),
    ]);
  }
  if (history.length < k) {
    return stuckVerdict(false, 'too_few_rounds', [stuckMessage('tooFewRounds', { k, n: history.length })]);
  }
  const win = history.slice(-k);
  const gradRel = relativeRange(win.map((r) => r.predGradMean_255));
  const maxRel = relativeRange(win.map((r) => r.predMax_255));
  const keys = Object.keys(win[0].losses).filter((key) => win.every((r) => key in r.losses));
  let movingKey = '';
  let movingRel = 0;
  for (const key of keys) {
    const rel = relativeRange(win.map((r) => r.losses[key]));
    if (rel > movingRel) {
      movingRel = rel;
      movingKey = key;
    }
  }
  const w: WindowParams = {
    grad: last.predGradMean_255.toFixed(3),
    gradChange: pctText(gradRel),
    max: last.predMax_255.toFixed(2),
    maxChange: pctText(maxRel),
    from: win[0].step,
    to: last.step,
    k,
  };
  const l1 = win.map((r) => r.valL1_01);
  const l1From = l1[0];
  const l1To = l1[l1.length - 1];
  const valL1: StuckMessage[] =
    l1From !== undefined && l1To !== undefined && Number.isFinite(l1From) && Number.isFinite(l1To)
      ? [stuckMessage('valL1', { from: l1From.toFixed(4), to: l1To.toFixed(4) })]
      : [];
  if (gradRel < relTol && maxRel < relTol) {
    if (movingRel >= relTol) {
      return stuckVerdict(true, 'frozen', [
        stuckMessage('frozen', {
          ...w,
          loss: movingKey,
          lossChange: pctText(movingRel),
          lossFrom: lossText(win[0].losses[movingKey]),
          lossTo: lossText(last.losses[movingKey]),
        }),
        ...valL1,
      ]);
    }
    return stuckVerdict(false, 'plateau', [
      stuckMessage('plateau', { ...w, tol: pctText(relTol) }),
      ...valL1,
    ]);
  }
  return stuckVerdict(false, 'moving', [stuckMessage('moving', w), ...valL1]);
}

/** The part of a verdict `scheduleAware` reads (older callers may lack the explanation). */
export type VerdictCore = Pick<StuckVerdict, 'stuck' | 'kind' | 'reason'> & { explanation?: StuckMessage[] };

function withNote(v: VerdictCore, stuck: boolean, kind: StuckKind, note: StuckMessage): StuckVerdict {
  return {
    stuck,
    kind,
    reason: `${v.reason}; ${stuckMessageText(note, 'en')}`,
    explanation: [...(v.explanation ?? []), note],
  };
}

/**
 * A frozen output while the learning rate is 0 is the schedule's doing, not a stuck generator:
 * with `lr_step_at` epoch_start (the server's 2020 train.py) the linear policy runs the last epoch
 * at lr 0, so the last rounds of such a run freeze; with epoch_end (the current train.py) no epoch
 * of the schedule is at 0 and lr 0 only comes past its end. Then the verdict becomes a plateau with
 * that reason — unless the schedule is 0 from the first epoch on (epoch_start with n_epochs 1,
 * n_epochs_decay 0), where nothing ever learns and the alert stays.
 * Any other verdict is returned as it came (the same object).
 */
export function scheduleAware<V extends VerdictCore>(
  v: V,
  cfg: RunConfig,
  lrNow: number | null,
): V | StuckVerdict {
  if (v.kind !== 'frozen' || lrNow === null || lrNow > 0) return v;
  if (zeroWholeRun(cfg)) {
    return withNote(
      v,
      v.stuck,
      v.kind,
      stuckMessage('lrZeroWholeRun', { nEpochs: cfg.n_epochs, nDecay: cfg.n_epochs_decay }),
    );
  }
  const note =
    lrStepAt(cfg) === 'epoch_start'
      ? stuckMessage('lrZeroLastEpoch', {})
      : stuckMessage('lrZeroPastEnd', { last: lastEpoch(cfg) });
  return withNote(v, false, 'plateau', note);
}

/** Verdict kinds in the order of their stored code (`stuck_kind` of a round's history values). */
export const STUCK_KINDS: readonly StuckKind[] = [
  'too_few_rounds',
  'insensitive',
  'frozen',
  'plateau',
  'moving',
];
