/** Strings of the Evaluate section (issue 6): metrics, diagnostics, stuck detector, balance, gap, failures, grid, gate, report. */
import { STUCK_MESSAGES, type StuckMessageKey } from '../../core/eval/stuck';
import type { Translation } from '../../engine/messages';

/**
 * The stuck verdict's explanation, one template per message key of core/eval/stuck.ts (which
 * holds them, in both languages, because the review report renders them too), as
 * `eval.stuck.why.<key>`; `{name}` is filled from the message's params.
 */
const STUCK_WHY = Object.fromEntries(
  Object.entries(STUCK_MESSAGES).map(([key, text]) => [`eval.stuck.why.${key}`, text]),
) as { readonly [K in StuckMessageKey as `eval.stuck.why.${K}`]: Translation };

export const EVALUATE_STRINGS = {
  'eval.title': { en: 'Evaluate', zh: '评估' },
  'eval.intro': {
    en: 'The review the clinic wrote by hand, computed live: validation metrics per case, sharpness diagnostics with a stuck-output detector, the loss balance, the train/val gap, failure statistics, the fixed evaluation grid (the same cases for every checkpoint), the quality gate and a one-click review report. Units: L1 on [0,1] (the server’s [-1,1] is labelled), PSNR in dB, gradients and intensities in 0–255 grey levels.',
    zh: '把诊所手写的评审实时算出来：逐例验证指标、带输出停滞检测的清晰度诊断、损失平衡、训练/验证差距、失败统计、固定评估网格（每个检查点使用同一批病例）、质量门以及一键评审报告。单位：L1 在 [0,1] 尺度（服务器的 [-1,1] 会单独标注），PSNR 为 dB，梯度与强度为 0–255 灰度级。',
  },
  'eval.empty': {
    en: 'No validation round yet: train a run (validation every val_every steps) or evaluate a checkpoint.',
    zh: '尚无验证结果：请训练（每 val_every 步验证一次）或评估一个检查点。',
  },
  'eval.step': { en: 'step {step}', zh: '第 {step} 步' },
  'eval.case': { en: 'case', zh: '病例' },
  'eval.reset': { en: 'Reset to defaults', zh: '恢复默认值' },
  'eval.mode.eval': { en: 'eval mode (--eval)', zh: 'eval 模式（--eval）' },
  'eval.mode.test': { en: 'server test mode (no --eval)', zh: '服务器测试模式（不加 --eval）' },
  'eval.chart.step': { en: 'step', zh: '步数' },
  'eval.chart.empty': {
    en: 'Curves appear after the first validation round of the run.',
    zh: '第一轮验证后显示曲线。',
  },

  // units
  'eval.unit.l1': { en: 'mean absolute error on [0,1]', zh: '[0,1] 上的平均绝对误差' },
  'eval.unit.l1pm1': {
    en: 'server scale [-1,1] (= G_L1 / lambda_L1)',
    zh: '服务器尺度 [-1,1]（= G_L1 / lambda_L1）',
  },
  'eval.unit.psnr': { en: 'dB, data range 1', zh: 'dB，数据范围 1' },
  'eval.unit.ssim': {
    en: 'grey image, window 11, σ 1.5 (1 = identical)',
    zh: '灰度图，窗口 11，σ 1.5（1 = 相同）',
  },
  'eval.unit.ratio': { en: 'prediction / X-ray (1 = as sharp)', zh: '预测 / X 线（1 = 同样清晰）' },

  // toolbar
  'eval.toolbar.title': { en: 'What to evaluate', zh: '评估对象' },
  'eval.toolbar.run': { en: 'Run', zh: '训练' },
  'eval.toolbar.noRuns': {
    en: 'No runs yet — train one in the Train section',
    zh: '尚无训练——请在“训练”栏目中训练',
  },
  'eval.toolbar.modelA': { en: 'Model A', zh: '模型 A' },
  'eval.toolbar.modelB': { en: 'Compare with (B)', zh: '对比（B）' },
  'eval.toolbar.round': { en: 'Latest validation round (step {step})', zh: '最近一轮验证（第 {step} 步）' },
  'eval.toolbar.roundNone': { en: 'Latest validation round (none yet)', zh: '最近一轮验证（尚无）' },
  'eval.toolbar.current': { en: 'Current weights of the active run', zh: '进行中训练的当前权重' },
  'eval.toolbar.checkpoint': {
    en: 'checkpoint “{name}” (step {step})',
    zh: '检查点“{name}”（第 {step} 步）',
  },
  'eval.toolbar.none': { en: 'nothing', zh: '不对比' },
  'eval.toolbar.evaluate': { en: 'Evaluate', zh: '评估' },
  'eval.toolbar.evaluating': {
    en: 'Evaluating model {slot} in the training engine…',
    zh: '正在训练引擎中评估模型 {slot}…',
  },
  'eval.toolbar.showingCheckpoint': { en: 'Showing {label}.', zh: '当前显示：{label}。' },
  'eval.toolbar.showingRound': {
    en: 'Showing the validation round at step {step}. Choose a checkpoint for the grid and histograms.',
    zh: '当前显示第 {step} 步的验证结果。选择一个检查点以查看网格和直方图。',
  },
  'eval.toolbar.noRounds': {
    en: 'This run has no validation round yet (every {n} steps).',
    zh: '此训练尚无验证结果（每 {n} 步一次）。',
  },
  'eval.toolbar.pickRun': { en: 'Choose a run.', zh: '请选择一次训练。' },

  // stuck detector
  'eval.stuck.title': { en: 'Stuck output: the generator stopped changing', zh: '输出停滞：生成器不再变化' },
  'eval.stuck.at': {
    en: 'Judged at the validation round of step {step} over the last {n} rounds.',
    zh: '在第 {step} 步的验证中，根据最近 {n} 轮判断。',
  },
  'eval.stuck.frozen': {
    en: 'The predictions’ mean gradient and maximum intensity stayed frozen over the last validation rounds while the losses still move — the clinic’s “gradient fixed at 2.133, maximum at 112.34”.',
    zh: '最近几轮验证中，预测图的平均梯度和最大强度几乎不变，而损失仍在变化——即诊所记录的“梯度固定在 2.133、极值固定在 112.34”。',
  },
  'eval.stuck.insensitive': {
    en: 'The output barely depends on the input: predictions for two different photos are almost the same image.',
    zh: '输出几乎不随输入变化：两张不同照片的预测几乎是同一张图。',
  },
  'eval.stuck.checklistIntro': {
    en: 'Checklist (answered automatically where the studio can tell):',
    zh: '检查清单（工作室能判断的项目已自动回答）：',
  },
  'eval.stuck.okTitle': {
    en: 'Stuck-output detector: not stuck (round at step {step})',
    zh: '输出停滞检测：未停滞（第 {step} 步的验证）',
  },
  'eval.stuck.tooFewTitle': {
    en: 'Stuck-output detector: not enough rounds to judge yet (round at step {step})',
    zh: '输出停滞检测：验证轮数尚不足以判断（第 {step} 步的验证）',
  },
  'eval.stuck.tooFew': {
    en: 'needs {k} validation rounds to judge; checklist answered below',
    zh: '需要 {k} 轮验证才能判断；检查清单见下',
  },
  'eval.stuck.plateau': {
    en: 'the images no longer change, for an expected reason (flat losses, or the schedule’s learning rate 0) — not a stuck generator',
    zh: '图像不再变化，但原因在预期之内（损失也已平稳，或调度使学习率为 0）——并非生成器停滞',
  },
  'eval.stuck.moving': { en: 'the predictions are still changing', zh: '预测图仍在变化' },
  'eval.stuck.check': { en: 'Check', zh: '检查项' },
  'eval.stuck.result': { en: 'Result', zh: '结果' },
  'eval.stuck.answer': { en: 'Answer', zh: '回答' },
  ...STUCK_WHY,
  'eval.check.ok': { en: 'ok', zh: '正常' },
  'eval.check.warn': { en: 'check', zh: '需检查' },
  'eval.check.fail': { en: 'problem', zh: '有问题' },
  'eval.check.unknown': { en: 'unknown', zh: '未知' },

  // metrics
  'eval.metrics.title': { en: 'Validation metrics', zh: '验证指标' },
  'eval.metrics.download': { en: 'Metrics JSON', zh: '指标 JSON' },
  'eval.metrics.context': {
    en: '{n} validation cases · step {step} · {mode}',
    zh: '{n} 个验证病例 · 第 {step} 步 · {mode}',
  },
  'eval.metrics.metric': { en: 'Metric', zh: '指标' },
  'eval.metrics.mean': { en: 'Mean', zh: '平均' },
  'eval.metrics.median': { en: 'Median', zh: '中位数' },
  'eval.metrics.meanB': { en: 'Mean (B)', zh: '平均（B）' },
  'eval.metrics.unit': { en: 'Unit / scale', zh: '单位 / 尺度' },
  'eval.metrics.sharpness': { en: 'Sharpness ratio (per case)', zh: '清晰度比（逐例）' },
  'eval.metrics.sharpnessShort': { en: 'sharpness', zh: '清晰度比' },
  'eval.metrics.perCase': { en: 'Every case ({n})', zh: '全部病例（{n}）' },
  'eval.metrics.region.content': {
    en: 'Over the content region only (the film: {pct} % of the image; letterbox/ROI padding excluded). Whole image incl. padding: L1 {l1} on [0,1], PSNR {psnr} dB.',
    zh: '仅在内容区域计算（胶片部分：占图像 {pct}%；不含信箱/ROI 填充）。整幅图像（含填充）：L1 {l1}（[0,1]），PSNR {psnr} dB。',
  },
  'eval.metrics.region.contentWhole': {
    en: 'Over the content region, which is the whole image here (no padding).',
    zh: '在内容区域计算；此处内容区域即整幅图像（无填充）。',
  },
  'eval.metrics.region.whole': {
    en: 'Over the whole image incl. any letterbox padding (stored before content-region metrics): not comparable with newer rounds of letterboxed runs.',
    zh: '在含信箱填充的整幅图像上计算（内容区域指标之前保存）：不能与信箱处理训练的较新轮次直接比较。',
  },
  'eval.metrics.region.mixed': {
    en: 'A and B were measured over different pixels (content region vs whole image): compare with care.',
    zh: 'A 与 B 的计算像素不同（内容区域与整幅图像）：比较时请谨慎。',
  },

  // gate
  'eval.gate.title': { en: 'Quality gate (Gate-1)', zh: '质量门（Gate-1）' },
  'eval.gate.advisory': {
    en: 'Advisory: it judges, it never stops or blocks a run. Set your own thresholds (remembered in this browser).',
    zh: '仅供参考：只做判断，从不停止或阻断训练。可自行设定阈值（保存在此浏览器中）。',
  },
  'eval.gate.criterion': { en: 'Criterion', zh: '指标' },
  'eval.gate.threshold': { en: 'Threshold', zh: '阈值' },
  'eval.gate.measured': { en: 'Measured', zh: '测量值' },
  'eval.gate.result': { en: 'Result', zh: '结果' },
  'eval.gate.mean_l1': { en: 'Mean L1', zh: '平均 L1' },
  'eval.gate.mean_psnr': { en: 'Mean PSNR', zh: '平均 PSNR' },
  'eval.gate.failure_rate': { en: 'Failure rate', zh: '失败率' },
  'eval.gate.sharpness_ratio': { en: 'Sharpness ratio', zh: '清晰度比' },
  'eval.gate.unitL1': { en: 'on [0,1]', zh: '[0,1] 尺度' },
  'eval.gate.pass': { en: 'pass', zh: '通过' },
  'eval.gate.fail': { en: 'fail', zh: '未通过' },
  'eval.gate.unknown': { en: 'not measured', zh: '未测量' },
  'eval.gate.off': { en: 'off', zh: '关闭' },
  'eval.gate.verdictPass': { en: 'Gate passed', zh: '质量门通过' },
  'eval.gate.verdictFail': { en: 'Gate not passed', zh: '质量门未通过' },
  'eval.gate.verdictIncomplete': { en: 'Gate incomplete', zh: '质量门不完整' },

  // diagnostics
  'eval.diag.title': {
    en: 'Gradient and extremum diagnostics (0–255 units)',
    zh: '梯度与极值诊断（0–255 单位）',
  },
  'eval.diag.explain': {
    en: 'Sobel gradient magnitude (kernels / 8) and grey intensity of the predictions against the real X-rays, pooled over the fixed evaluation list. A sharpness ratio below 0.7 means blurred bone edges.',
    zh: '预测图与真实 X 线的 Sobel 梯度幅值（核除以 8）和灰度强度，在固定评估清单上汇总。清晰度比低于 0.7 表示骨缘发糊。',
  },
  'eval.diag.plan002Grad': { en: 'clinic plan 002: gradient > {v}', zh: '诊所方案 002：梯度 > {v}' },
  'eval.diag.plan002Max': { en: 'clinic plan 002: maximum > {v}', zh: '诊所方案 002：极值 > {v}' },
  'eval.diag.chartGrad': { en: 'Mean gradient (0–255 units per px)', zh: '平均梯度（0–255 单位/像素）' },
  'eval.diag.chartMax': { en: 'Maximum intensity (0–255)', zh: '最大强度（0–255）' },
  'eval.diag.chartRatio': { en: 'Ratios prediction / X-ray', zh: '比值：预测 / X 线' },
  'eval.diag.axisGrad': { en: 'mean gradient (0–255)', zh: '平均梯度（0–255）' },
  'eval.diag.axisIntensity': { en: 'intensity (0–255)', zh: '强度（0–255）' },
  'eval.diag.axisRatio': { en: 'ratio (1 = as sharp)', zh: '比值（1 = 同样清晰）' },
  'eval.diag.pred': { en: 'prediction', zh: '预测' },
  'eval.diag.target': { en: 'X-ray (target)', zh: 'X 线（目标）' },
  'eval.diag.sharpness': { en: 'sharpness (mean gradient)', zh: '清晰度（平均梯度）' },
  'eval.diag.edge': { en: 'edges (p99 gradient)', zh: '边缘（p99 梯度）' },
  'eval.diag.maxRatio': { en: 'maximum intensity', zh: '最大强度' },
  'eval.diag.latest': { en: 'Step {step} · {n} cases', zh: '第 {step} 步 · {n} 例' },
  'eval.diag.quantity': { en: 'Quantity (0–255)', zh: '量（0–255）' },
  'eval.diag.ratio': { en: 'Ratio', zh: '比值' },
  'eval.diag.gradMean': { en: 'mean gradient', zh: '平均梯度' },
  'eval.diag.gradMax': { en: 'max gradient', zh: '最大梯度' },
  'eval.diag.gradP1': { en: 'gradient p1', zh: '梯度 p1' },
  'eval.diag.gradP99': { en: 'gradient p99', zh: '梯度 p99' },
  'eval.diag.gradP999': { en: 'gradient p99.9', zh: '梯度 p99.9' },
  'eval.diag.intMax': { en: 'max intensity (the clinic’s “extremum”)', zh: '最大强度（极值）' },
  'eval.diag.intP999': { en: 'intensity p99.9', zh: '强度 p99.9' },
  'eval.diag.intMean': { en: 'mean intensity', zh: '平均强度' },
  'eval.diag.sensitivity': {
    en: 'Input sensitivity: {v} (mean |difference| between the predictions for two different photos, 0–255; near 0 = the output ignores the input).',
    zh: '输入敏感度：{v}（两张不同照片的预测之间的平均绝对差，0–255；接近 0 表示输出与输入无关）。',
  },
  'eval.diag.histGrad': {
    en: 'Gradient histogram (share of pixels, √ scale)',
    zh: '梯度直方图（像素占比，平方根刻度）',
  },
  'eval.diag.histIntensity': { en: 'Intensity histogram (share of pixels)', zh: '强度直方图（像素占比）' },
  'eval.diag.unit255': { en: '(0–255)', zh: '（0–255）' },
  'eval.diag.noHist': {
    en: 'Histograms come with a live round or a checkpoint evaluation (stored rounds keep the summary values only).',
    zh: '直方图来自实时验证或检查点评估（已保存的验证只保留汇总值）。',
  },

  // balance
  'eval.balance.title': { en: 'Loss balance at the generator output', zh: '生成器输出处的损失平衡' },
  'eval.balance.explain': {
    en: 'Each weighted term λᵢLᵢ: its value, its share of the total, and how hard it pulls on the generated image (‖∂(λᵢLᵢ)/∂fake‖).',
    zh: '每个加权项 λᵢLᵢ：其值、占总损失的比例，以及它对生成图像的拉动强度（‖∂(λᵢLᵢ)/∂fake‖）。',
  },
  'eval.balance.term': { en: 'Term', zh: '损失项' },
  'eval.balance.weight': { en: 'Weight', zh: '权重' },
  'eval.balance.value': { en: 'Value', zh: '值' },
  'eval.balance.share': { en: 'Share', zh: '占比' },
  'eval.balance.vsL1': { en: 'vs G_L1', zh: '相对 G_L1' },
  'eval.balance.weak': {
    en: 'A highlighted term is too weak to matter (share < 1 % or gradient < 1/100 of G_L1’s): raise its weight.',
    zh: '高亮的损失项过弱、不起作用（占比 < 1 % 或梯度不足 G_L1 的 1/100）：请提高其权重。',
  },
  'eval.balance.scale': {
    en: 'Gradient bars: log scale over 4 decades below the strongest term.',
    zh: '梯度条：以最强项为准的 4 个数量级对数刻度。',
  },
  'eval.balance.none': { en: 'Not measured yet.', zh: '尚未测量。' },
  'eval.balance.chart': {
    en: 'Gradient norm per term over the run (log)',
    zh: '各损失项梯度范数随训练变化（对数）',
  },

  // gap
  'eval.gap.title': { en: 'Generalization gap', zh: '泛化差距' },
  'eval.gap.alert': {
    en: 'Validation L1 is {ratio}× the training L1 (alert above {limit}×): more data helps more than more epochs.',
    zh: '验证 L1 是训练 L1 的 {ratio} 倍（超过 {limit} 倍报警）：增加数据比增加 epoch 更有效。',
  },
  'eval.gap.summary': {
    en: 'L1 on [0,1]: {train} on {n} fixed training cases (evaluated like validation) vs {val} on validation — ratio {ratio}×.',
    zh: 'L1（[0,1]）：{n} 个固定训练病例（按验证方式评估）为 {train}，验证集为 {val}——比值 {ratio} 倍。',
  },
  'eval.gap.clinic': {
    en: 'The clinic’s way, for comparison: last training loss G_L1 / lambda_L1 / 2 = {v} (train mode, augmented).',
    zh: '诊所的算法（供对照）：最后的训练损失 G_L1 / lambda_L1 / 2 = {v}（train 模式，含增强）。',
  },
  'eval.gap.none': { en: 'Not measured yet.', zh: '尚未测量。' },
  'eval.gap.val': { en: 'validation L1', zh: '验证 L1' },
  'eval.gap.train': { en: 'train-subset L1', zh: '训练子集 L1' },
  'eval.gap.ratio': { en: 'ratio val / train', zh: '比值 验证/训练' },
  'eval.gap.axisRatio': { en: 'ratio', zh: '比值' },
  'eval.gap.chart': { en: 'L1 on [0,1]: validation vs train subset', zh: 'L1（[0,1]）：验证集与训练子集' },
  'eval.gap.chartRatio': {
    en: 'Ratio validation / train (alert above 2×)',
    zh: '比值 验证/训练（超过 2 倍报警）',
  },
  'eval.gap.alertLine': { en: 'alert 2×', zh: '报警线 2 倍' },

  // failures
  'eval.fail.title': { en: 'Failure statistics', zh: '失败统计' },
  'eval.fail.count': { en: '{label} failed ({pct})', zh: '失败 {label}（{pct}）' },
  'eval.fail.rule': { en: 'A case fails when any enabled criterion holds', zh: '任一启用条件成立即判为失败' },
  'eval.fail.ruleL1': { en: 'L1', zh: 'L1' },
  'eval.fail.rulePsnr': { en: 'PSNR', zh: 'PSNR' },
  'eval.fail.ruleSharp': { en: 'sharpness ratio', zh: '清晰度比' },
  'eval.fail.byReason': {
    en: 'By criterion: L1 {l1}, PSNR {psnr}, sharpness {sharp} (a case can fail on several).',
    zh: '按条件：L1 {l1}，PSNR {psnr}，清晰度 {sharp}（一个病例可能同时满足多个条件）。',
  },
  'eval.fail.worst': { en: 'Worst cases (by L1)', zh: '最差病例（按 L1）' },
  'eval.fail.failsOn': { en: 'fails on', zh: '失败原因' },
  'eval.fail.reason.l1': { en: 'L1', zh: 'L1' },
  'eval.fail.reason.psnr': { en: 'PSNR', zh: 'PSNR' },
  'eval.fail.reason.sharpness': { en: 'sharpness', zh: '清晰度' },
  'eval.fail.cross': { en: 'Failures × audit flags', zh: '失败 × 审计标记' },
  'eval.fail.flag': { en: 'Audit flag', zh: '审计标记' },
  'eval.fail.withFlag': { en: 'cases', zh: '病例数' },
  'eval.fail.failedWith': { en: 'failed', zh: '其中失败' },
  'eval.fail.rateWith': { en: 'fail rate with', zh: '带标记失败率' },
  'eval.fail.rateWithout': { en: 'without', zh: '不带标记' },
  'eval.fail.noFlag': { en: '(no flag)', zh: '（无标记）' },
  'eval.fail.noAudit': {
    en: 'No audit flags for this run’s dataset (runs on the built-in demo data carry none here; imported datasets are audited on import).',
    zh: '此训练所用数据集没有审计标记（使用内置演示数据的训练在此没有标记；导入的数据集会在导入时审计）。',
  },

  // grid
  'eval.grid.title': { en: 'Fixed evaluation grid ({n} cases)', zh: '固定评估网格（{n} 例）' },
  'eval.grid.download': { en: 'Download the grid as PNG', zh: '下载网格 PNG' },
  'eval.grid.explain': {
    en: 'photo | real X-ray | prediction | error heat map (|prediction − X-ray| in grey levels, fixed scale 0–128) for the same cases at every checkpoint; choose B above to compare side by side.',
    zh: '照片 | 真实 X 线 | 预测 | 误差热图（|预测 − X 线| 的灰度级，固定色标 0–128），每个检查点都用同一批病例；在上方选择 B 可并排对比。',
  },
  'eval.grid.alt': {
    en: 'Evaluation grid of {n} cases: photo, X-ray, prediction and error map per row',
    zh: '{n} 个病例的评估网格：每行依次为照片、X 线、预测和误差图',
  },
  'eval.grid.needCheckpoint': {
    en: 'The grid shows a checkpoint’s predictions: evaluate one.',
    zh: '网格显示某个检查点的预测：请先评估一个检查点。',
  },
  'eval.grid.noCheckpoint': {
    en: 'This run has no checkpoint yet (saved every save_every steps).',
    zh: '此训练尚无检查点（每 save_every 步保存一次）。',
  },
  'eval.grid.evaluateBest': { en: 'Evaluate the best checkpoint', zh: '评估最佳检查点' },

  // report
  'eval.report.title': { en: 'Review report', zh: '评审报告' },
  'eval.report.zip': { en: 'Download review (ZIP)', zh: '下载评审报告（ZIP）' },
  'eval.report.md': { en: 'Markdown (figures embedded)', zh: 'Markdown（内嵌图片）' },
  'eval.report.json': { en: 'JSON', zh: 'JSON' },
  'eval.report.explain': {
    en: 'One click writes report.md and report.json (environment, data and preprocessing, config, metrics, failures, diagnostics, gate verdict, findings) with viz_grid_<n>.png (n = the cases of the evaluation list) and curves.png, in the UI language. Findings so far:',
    zh: '一键生成 report.md 和 report.json（运行环境、数据与预处理、配置、指标、失败统计、诊断、质量门结论、发现），附 viz_grid_<n>.png（n 为评估清单的病例数）和 curves.png，语言与界面一致。目前的发现：',
  },
  'eval.report.next': { en: 'Next:', zh: '下一步：' },
  'eval.report.noFindings': { en: 'No rule fired.', zh: '没有触发任何规则。' },
  'eval.report.sev.alert': { en: 'alert', zh: '警报' },
  'eval.report.sev.warn': { en: 'warning', zh: '警告' },
  'eval.report.sev.info': { en: 'note', zh: '提示' },
  'eval.report.sev.ok': { en: 'ok', zh: '通过' },
  // landmark-region sharpness card
  'eval.lm.title': { en: 'Landmark-region sharpness (pred ÷ X-ray)', zh: '关键点区域锐度（预测 ÷ X 光）' },
  'eval.lm.overall': { en: 'mean over landmarks', zh: '各关键点平均' },
  'eval.lm.explain': {
    en: 'In a {w} mm square around each ground-truth landmark: the prediction’s mean Sobel gradient ÷ the X-ray’s (0–255 units per pixel), averaged over {n} validation cases (step {step}). 1 = as sharp as the X-ray; below 1 the bone edges there are blurred.',
    zh: '在每个真实关键点周围 {w} mm 的方形窗口内：预测的平均 Sobel 梯度 ÷ X 光的平均梯度（0–255 单位/像素），对 {n} 个验证病例取平均（第 {step} 步）。1 = 与 X 光同样清晰；小于 1 表示该处骨边缘模糊。',
  },
  'eval.lm.worst': { en: 'Most blurred: {list}', zh: '最模糊：{list}' },
  'eval.lm.px': {
    en: 'Window: {w} mm = {px} px of the preprocessed image at this run’s size.',
    zh: '窗口：{w} mm = 本次训练尺寸下预处理图像的 {px} 像素。',
  },
  'eval.lm.pxSmall': {
    en: 'Window: {w} mm = only {px} px at this run’s size: too few pixels to tell blur from noise; read these numbers at 256 px or more.',
    zh: '窗口：{w} mm 在本次训练尺寸下仅 {px} 像素：像素太少，无法区分模糊与噪声；请在 256 像素及以上的尺寸解读这些数值。',
  },
  'eval.lm.symbol': { en: 'Landmark', zh: '关键点' },
  'eval.lm.name': { en: 'Name', zh: '名称' },
  'eval.lm.ratio': { en: 'Sharpness (pred ÷ X-ray) ± SD', zh: '锐度（预测 ÷ X 光）± 标准差' },
  'eval.lm.ratioB': { en: 'Model B', zh: '模型 B' },
  'eval.lm.pred': { en: 'Pred gradient (0–255/px)', zh: '预测梯度（0–255/像素）' },
  'eval.lm.target': { en: 'X-ray gradient (0–255/px)', zh: 'X 光梯度（0–255/像素）' },
  'eval.lm.n': { en: 'Cases', zh: '病例数' },
  'eval.lm.scale': {
    en: 'Bars: 0 to 1.5; green ≥ 0.9, amber ≥ 0.7, red below (a reading aid, not a gate). Highlighted rows: the three most blurred landmarks. Cases without a landmark, windows outside the image and flat X-ray windows are left out.',
    zh: '条形：0 到 1.5；绿色 ≥ 0.9，琥珀色 ≥ 0.7，红色更低（仅供阅读，不是门槛）。高亮行：最模糊的三个关键点。缺少该关键点的病例、位于图像外的窗口和 X 光平坦的窗口不计入。',
  },
  'eval.lm.none': {
    en: 'No landmark-region sharpness for this model: the dataset has no landmarks, the X-ray is not the target, or the round was stored before this measure existed (evaluate a checkpoint to compute it).',
    zh: '此模型没有关键点区域锐度：数据集没有关键点、目标不是 X 光片，或该轮验证保存于此指标出现之前（评估一个检查点即可计算）。',
  },
} as const satisfies Record<string, Translation>;
