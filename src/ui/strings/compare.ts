/** Strings of the Experiments section and its run comparison / sample-size study (issue 15). */
import type { Translation } from '../../engine/messages';

export const COMPARE_STRINGS = {
  'nav.experiments': { en: 'Experiments', zh: '实验' },
  'exp.title': { en: 'Experiments', zh: '实验' },
  'exp.intro': {
    en: 'Queue sweeps and sample-size studies, then compare their runs side by side: the options that differ, their metrics, curves and predictions.',
    zh: '排队运行参数扫描和样本量研究，然后并排比较它们的训练：不同的选项、指标、曲线和预测图。',
  },

  'compare.title': { en: 'Compare runs', zh: '训练对比' },
  'compare.intro': {
    en: 'Pick stored runs. The table keeps only the options that differ; metrics are the best and the last validation round (L1 on [0,1], PSNR in dB, gradients in 0-255 units, traceability MRE in mm).',
    zh: '选择已保存的训练。表格只保留不同的选项；指标取最佳与最后一轮验证（L1 在 [0,1] 上，PSNR 单位 dB，梯度为 0-255 单位，可描点性 MRE 单位 mm）。',
  },
  'compare.pick.title': { en: 'Stored runs', zh: '已保存的训练' },
  'compare.pick.filter': { en: 'Dataset', zh: '数据集' },
  'compare.pick.allDatasets': { en: 'All datasets', zh: '全部数据集' },
  'compare.pick.none': {
    en: 'No stored runs yet: train a run in the Train section or queue a sweep above.',
    zh: '尚无已保存的训练：请在“训练”栏训练，或在上方排队运行参数扫描。',
  },
  'compare.pick.selectShown': { en: 'Select all shown', zh: '全选所列' },
  'compare.pick.clear': { en: 'Clear selection', zh: '清除选择' },
  'compare.pick.count': { en: '{n} selected', zh: '已选 {n} 个' },
  'compare.pick.meta': { en: '{steps} steps · {status}', zh: '{steps} 步 · {status}' },
  'compare.pick.sweep': { en: 'sweep {name} #{index}', zh: '扫描 {name} 第 {index} 个' },
  'compare.status.running': { en: 'running', zh: '训练中' },
  'compare.status.paused': { en: 'paused', zh: '已暂停' },
  'compare.status.stopped': { en: 'stopped', zh: '已停止' },
  'compare.status.finished': { en: 'finished', zh: '已完成' },
  'compare.status.interrupted': { en: 'interrupted', zh: '已中断' },
  'compare.status.failed': { en: 'failed', zh: '失败' },
  'compare.hint': {
    en: 'Select two or more runs to compare them.',
    zh: '请选择两个或更多训练进行比较。',
  },
  'compare.loading': { en: 'Reading the runs’ histories…', zh: '正在读取训练历史……' },

  'compare.table.title': { en: 'Table: only the options that differ', zh: '对比表：仅列出不同的选项' },
  'compare.table.differ': { en: 'Options that differ: {keys}.', zh: '不同的选项：{keys}。' },
  'compare.table.noneDiffer': {
    en: 'No option differs: the runs share one configuration.',
    zh: '没有不同的选项：这些训练的配置相同。',
  },
  'compare.table.mixedRegions': {
    en: 'Not measured on the same pixels: some runs over the content region, others over the whole image including letterbox padding (rounds stored before content-region metrics). Compare their L1 and PSNR with care.',
    zh: '并非在相同像素上测得：部分训练按内容区域计算，其他训练按整幅图像（含信箱填充）计算（在内容区域指标之前保存的验证轮）。比较其 L1 和 PSNR 时请谨慎。',
  },
  'compare.table.shared': { en: 'Same in every run', zh: '所有训练相同的选项' },
  'compare.table.caption': {
    en: 'Comparison of {n} runs (best = the round with the lowest val L1; gate = the last round, advisory)',
    zh: '{n} 个训练的对比（最佳 = 验证 L1 最低的一轮；门槛 = 最后一轮，仅供参考）',
  },
  'compare.export.md': { en: 'Export Markdown', zh: '导出 Markdown' },
  'compare.export.csv': { en: 'Export CSV', zh: '导出 CSV' },
  'compare.report.note': {
    en: 'While two or more runs are selected here, the review report (Evaluate → Review report) includes this comparison.',
    zh: '只要此处选择了两个或更多训练，评审报告（评估 → 评审报告）就会包含本对比。',
  },

  'compare.curves.title': { en: 'Curves overlaid (one colour per run)', zh: '曲线叠加（每个训练一种颜色）' },
  'compare.curves.loss': { en: 'Training loss', zh: '训练损失' },
  'compare.curves.val': { en: 'Validation', zh: '验证' },
  'compare.curves.step': { en: 'step', zh: '步' },
  'compare.curves.lossLabel': { en: 'Training loss {term} (smoothed)', zh: '训练损失 {term}（平滑）' },
  'compare.curves.valLabel': { en: 'Validation: {metric}', zh: '验证：{metric}' },
  'compare.curves.noData': {
    en: 'No logged points for this value in the selected runs.',
    zh: '所选训练中没有此项的记录点。',
  },
  'compare.metric.mean_l1': { en: 'val L1 (on [0,1])', zh: '验证 L1（[0,1]）' },
  'compare.metric.mean_psnr': { en: 'PSNR (dB)', zh: 'PSNR（dB）' },
  'compare.metric.mean_ssim': { en: 'SSIM (0-1)', zh: 'SSIM（0-1）' },
  'compare.metric.sharpness_ratio': {
    en: 'sharpness ratio (pred / X-ray gradient)',
    zh: '清晰度比（预测 / X 线梯度）',
  },
  'compare.metric.lm_sharp': { en: 'landmark-region sharpness ratio', zh: '标志点区域清晰度比' },
  'compare.metric.trace_mre': { en: 'traceability MRE (mm)', zh: '可描点性 MRE（mm）' },
  'compare.metric.gap_ratio': { en: 'gap (val / train L1)', zh: '泛化差距（验证 / 训练 L1）' },

  'compare.grid.title': { en: 'Predictions side by side', zh: '预测图并排对比' },
  'compare.grid.explain': {
    en: 'The fixed evaluation cases, one row per case: the photo and the real X-ray once, then each run’s prediction from its best checkpoint (else last), with the ground-truth landmarks on top. The number under a prediction is its L1 on [0,1].',
    zh: '固定评估病例，每行一个病例：照片和真实 X 线片各显示一次，然后是每个训练最佳检查点（否则最后检查点）的预测图，叠加真实标志点。预测图下方的数字是其 L1（[0,1]）。',
  },
  'compare.grid.run': { en: 'Predict the fixed cases', zh: '预测固定病例' },
  'compare.grid.rerun': { en: 'Predict again', zh: '重新预测' },
  'compare.grid.busy': { en: 'Predicting… ({done} of {n} runs)', zh: '正在预测……（{done}/{n} 个训练）' },
  'compare.grid.photo': { en: 'Photo', zh: '照片' },
  'compare.grid.xray': { en: 'X-ray (target)', zh: 'X 线片（目标）' },
  'compare.grid.case': { en: 'case', zh: '病例' },
  'compare.grid.noCheckpoint': { en: 'no checkpoint', zh: '无检查点' },
  'compare.grid.failed': { en: 'failed: {error}', zh: '失败：{error}' },
  'compare.grid.checkpoint': { en: '{name} · step {step}', zh: '{name} · 第 {step} 步' },
  'compare.grid.mixed': {
    en: 'The selected runs use different datasets: the grid shows the runs on {dataset} only.',
    zh: '所选训练使用不同的数据集：网格只显示 {dataset} 上的训练。',
  },
  'compare.grid.trainingOther': {
    en: 'A run on another dataset is training: predict after it finishes or pauses.',
    zh: '另一个数据集上的训练正在进行：请在其结束或暂停后再预测。',
  },
  'compare.grid.showAll': { en: 'Show all {n} cases', zh: '显示全部 {n} 个病例' },
  'compare.grid.showFew': { en: 'Show {n} cases', zh: '只显示 {n} 个病例' },
  'compare.grid.l1': { en: 'L1 {value}', zh: 'L1：{value}' },

  'study.title': { en: 'Sample-size study', zh: '样本量研究' },
  'study.explain': {
    en: 'The selected runs trained the same configuration on nested subsets of the training split with the same validation cases. Each point is a run’s last validation round.',
    zh: '所选训练在训练集的嵌套子集上使用相同配置训练，验证病例相同。每个点是一个训练的最后一轮验证。',
  },
  'study.cases': { en: 'training cases', zh: '训练病例数' },
  'study.held.steps': {
    en: 'Held equal: steps ({steps}). Smaller subsets saw each case more often.',
    zh: '保持相同：步数（{steps}）。较小的子集中每个病例被看到的次数更多。',
  },
  'study.held.epochs': {
    en: 'Held equal: epochs ({epochs}). Smaller subsets took fewer steps.',
    zh: '保持相同：epoch 数（{epochs}）。较小的子集训练步数更少。',
  },
  'study.held.neither': {
    en: 'Neither steps ({steps}) nor epochs ({epochs}) were equal: the trend mixes data with training length.',
    zh: '步数（{steps}）和 epoch 数（{epochs}）都不相同：趋势混合了数据量与训练时长。',
  },
  'study.chart.l1': {
    en: 'L1 on [0,1]: val and training subset (the gap between them)',
    zh: 'L1（[0,1]）：验证与训练子集（两者之差即泛化差距）',
  },
  'study.chart.psnr': { en: 'Val PSNR (dB)', zh: '验证 PSNR（dB）' },
  'study.chart.sharp': {
    en: 'Sharpness ratios (1 = as sharp as the X-ray)',
    zh: '清晰度比（1 = 与 X 线片一样清晰）',
  },
  'study.chart.gap': {
    en: 'Train/val gap (val / train L1; above {alert}× = overfitting alert)',
    zh: '训练/验证差距（验证 / 训练 L1；高于 {alert}× 提示过拟合）',
  },
  'study.chart.mre': { en: 'Traceability MRE (mm)', zh: '可描点性 MRE（mm）' },
  'study.series.val': { en: 'val L1', zh: '验证 L1' },
  'study.series.train': { en: 'training-subset L1', zh: '训练子集 L1' },
  'study.series.psnr': { en: 'val PSNR', zh: '验证 PSNR' },
  'study.series.sharp': { en: 'sharpness ratio', zh: '清晰度比' },
  'study.series.lm': { en: 'landmark-region sharpness', zh: '标志点区域清晰度比' },
  'study.series.gap': { en: 'gap ratio', zh: '差距比' },
  'study.series.mre': { en: 'traceability MRE', zh: '可描点性 MRE' },
  'study.verdict.collect_more': { en: 'Collect more data', zh: '继续收集数据' },
  'study.verdict.change_method': { en: 'Change the method', zh: '更换方法' },
  'study.verdict.undecided': { en: 'Undecided', zh: '尚无定论' },
  'study.rule': { en: 'How this is read', zh: '判读规则' },
} as const satisfies Record<string, Translation>;
