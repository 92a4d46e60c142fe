/**
 * Experiments' sentences (core/experiments): the planned sweep presets' names and descriptions,
 * and the sample-size study's reading (study.ts: verdict with its trend, notes, the rule), en + zh.
 * Numbers arrive formatted ({slope} with its sign, {ratio}); the verdict takes its trend as a
 * sub-message ({trend}, rendered in the same language).
 */
import type { MessageTable } from './form';

export const EXPERIMENTS_MESSAGES = {
  'experiments.preset.p25.label': { en: 'P2.5 quality push', zh: 'P2.5 提质' },
  'experiments.preset.p25.description': {
    en: 'letterbox + ROI; gradient loss weight 5 and 10; lambda_L1 100 / 80 / 60 (6 runs)',
    zh: '等比 + 填充（letterbox）+ ROI；梯度损失权重 5 和 10；lambda_L1 100 / 80 / 60（6 个训练）',
  },
  // the sample-size study's reading (core/experiments/study.ts)
  'experiments.study.trend.interval': {
    en: 'val L1 changes by {slope} per doubling of the cases (90 % interval {lo} to {hi}, {n} subsets)',
    zh: '病例数每翻一倍，验证 L1 变化 {slope}（90% 区间 {lo} 至 {hi}，{n} 个子集）',
  },
  'experiments.study.trend.noInterval': {
    en: 'val L1 changes by {slope} per doubling of the cases ({n} subsets: no uncertainty can be estimated)',
    zh: '病例数每翻一倍，验证 L1 变化 {slope}（仅 {n} 个子集，无法估计不确定性）',
  },
  'experiments.study.trend.none': {
    en: 'val L1 was not measured on two or more subset sizes',
    zh: '验证 L1 未在两个以上的子集规模上测得',
  },
  'experiments.study.collectMore': {
    en: 'Still improving with data → collect more cases: {trend}.',
    zh: '仍随数据改善 → 继续收集病例：{trend}。',
  },
  'experiments.study.changeMethod': {
    en: 'Flat → change the method (preprocessing, losses, network), more cases of the same kind will not fix it: {trend}.',
    zh: '趋于平坦 → 更换方法（预处理、损失、网络），同类病例再多也解决不了：{trend}。',
  },
  'experiments.study.undecidedOneSize': {
    en: 'Undecided: {sizes} subset size cannot tell a trend from noise (at least {minSizes} needed); {trend}.',
    zh: '尚无定论：{sizes} 个子集规模无法区分趋势与噪声（至少需要 {minSizes} 个）；{trend}。',
  },
  'experiments.study.undecidedSizes': {
    en: 'Undecided: {sizes} subset sizes cannot tell a trend from noise (at least {minSizes} needed); {trend}.',
    zh: '尚无定论：{sizes} 个子集规模无法区分趋势与噪声（至少需要 {minSizes} 个）；{trend}。',
  },
  'experiments.study.undecidedNoise': {
    en: 'Undecided: the trend is within the noise — add a subset size, train longer or use more validation cases; {trend}.',
    zh: '尚无定论：趋势在噪声范围内——增加子集规模、延长训练或使用更多验证病例；{trend}。',
  },
  'experiments.study.note.gapBig': {
    en: 'Train/val gap at {cases} cases: val L1 is {ratio}× the training-subset L1 — the model fits its training cases far better than new ones (overfitting), which more cases reduce.',
    zh: '{cases} 例时的训练/验证差距：验证 L1 是训练子集 L1 的 {ratio} 倍——模型对训练病例远好于新病例（过拟合），更多病例可以缓解。',
  },
  'experiments.study.note.gapSmall': {
    en: 'Train/val gap at {cases} cases: val L1 is {ratio}× the training-subset L1 — no strong overfitting: the model does about as well on new cases as on its own.',
    zh: '{cases} 例时的训练/验证差距：验证 L1 是训练子集 L1 的 {ratio} 倍——没有明显过拟合：模型在新病例上与训练病例上表现相近。',
  },
  'experiments.study.note.psnr': {
    en: 'PSNR changes by {slope} dB per doubling of the cases.',
    zh: '病例数每翻一倍，PSNR 变化 {slope} dB。',
  },
  'experiments.study.note.converged': {
    en: 'A flat curve can also mean every run stopped before it converged: check that the loss and validation curves of the largest subset had levelled off before changing the method.',
    zh: '曲线平坦也可能是每个训练都在收敛前停止：更换方法前，请确认最大子集的损失和验证曲线已趋于平稳。',
  },
  'experiments.study.note.projection': {
    en: "If the trend held (an extrapolation, uncertain), val L1 would reach the gate's {gate} at about {cases} training cases.",
    zh: '若趋势保持（外推，不确定），验证 L1 约在 {cases} 例训练病例时达到门槛 {gate}。',
  },
  'experiments.study.rule': {
    en: "Rule: least-squares slope of val L1 (on [0,1]) against log2(training cases), i.e. the change per doubling, with its 90 % interval (Student t, n − 2 degrees of freedom). Collect more when the whole interval is below 0 and the slope is at most −{minEffect}; change the method when even the interval's favourable end gains less than {minEffect} per doubling; otherwise (or with fewer than {minSizes} subset sizes) undecided.",
    zh: '规则：以训练病例数的 log2 为横轴，对验证 L1（[0,1]）做最小二乘斜率，即病例数每翻一倍 L1 的变化，并给出 90% 置信区间（Student t，自由度 n − 2）。整个区间小于 0 且斜率不大于 −{minEffect}：继续收集数据；区间最有利的一端每翻一倍的改善也小于 {minEffect}：更换方法；其余情况（或子集规模少于 {minSizes} 个）：尚无定论。',
  },
} as const satisfies MessageTable;

export type ExperimentsCode = keyof typeof EXPERIMENTS_MESSAGES;
