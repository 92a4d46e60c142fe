/**
 * Experiments' sentences (core/experiments): the planned sweep presets' names and descriptions,
 * en + zh.
 */
import type { MessageTable } from './form';

export const EXPERIMENTS_MESSAGES = {
  'experiments.preset.p25.label': { en: 'P2.5 quality push', zh: 'P2.5 提质' },
  'experiments.preset.p25.description': {
    en: 'letterbox + ROI; gradient loss weight 5 and 10; lambda_L1 100 / 80 / 60 (6 runs)',
    zh: '等比 + 填充（letterbox）+ ROI；梯度损失权重 5 和 10；lambda_L1 100 / 80 / 60（6 个训练）',
  },
} as const satisfies MessageTable;
