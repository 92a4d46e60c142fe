/**
 * The review report's sentences (issue 11 item 6): report.md's prose, the findings' titles,
 * evidence and next steps, the landmarks and run-comparison sections, in English and Simplified
 * Chinese, every code under `review.` (the environment report's codes are `report.*`). The report
 * modules (core/eval/report/) render them with `fillTemplate`; `{name}` is filled from the params
 * the module passes (numbers already formatted with their unit).
 *
 * TF.js-free, type imports only.
 */
import type { MessageTable } from './form';

export const REPORT_TEXT = {
  // lists and punctuation that differ by language
  'review.list.comma': { en: ', ', zh: '，' },
  'review.list.semicolon': { en: '; ', zh: '；' },
  'review.list.enum': { en: ', ', zh: '、' },
  'review.sentence.end': { en: '.', zh: '。' },

  // preprocessing override (preprocessing.ts)
  'review.override.size': {
    en: 'size {run} px (dataset: {dataset} px)',
    zh: '尺寸 {run} px（数据集：{dataset} px）',
  },
  'review.override.mode': { en: 'mode {run} (dataset: {dataset})', zh: '方式 {run}（数据集：{dataset}）' },
  'review.override.sentence': {
    en: "This run overrides the dataset's preprocessing: {parts}",
    zh: '此训练覆盖了数据集的预处理：{parts}',
  },

  // run comparison (compare.ts)
  'review.compare.held.steps': {
    en: 'Every run trained the same number of steps ({steps}); smaller subsets saw each case more often.',
    zh: '每个训练的步数相同（{steps}）；较小的子集中每个病例被看到的次数更多。',
  },
  'review.compare.held.epochs': {
    en: 'Every run trained the same number of epochs ({epochs}); smaller subsets took fewer steps.',
    zh: '每个训练的 epoch 数相同（{epochs}）；较小的子集训练步数更少。',
  },
  'review.compare.held.neither': {
    en: 'The runs had neither equal steps ({steps}) nor equal epochs ({epochs}): the trend mixes the amount of data with the length of training.',
    zh: '这些训练的步数（{steps}）和 epoch 数（{epochs}）都不相同：趋势混合了数据量与训练时长的影响。',
  },
  'review.compare.study.col.cases': { en: 'training cases', zh: '训练病例数' },
  'review.compare.study.col.valL1': { en: 'val L1 (on [0,1])', zh: '验证 L1（[0,1]）' },
  'review.compare.study.col.psnr': { en: 'PSNR (dB)', zh: 'PSNR（dB）' },
  'review.compare.study.col.sharpness': { en: 'sharpness ratio', zh: '清晰度比' },
  'review.compare.study.col.lmSharpness': { en: 'landmark-region sharpness', zh: '标志点区域清晰度比' },
  'review.compare.study.col.traceMre': { en: 'traceability MRE (mm)', zh: '可描点性 MRE（mm）' },
  'review.compare.study.col.trainL1': { en: 'train-subset L1 (on [0,1])', zh: '训练子集 L1（[0,1]）' },
  'review.compare.study.col.gap': { en: 'gap (val / train L1)', zh: '泛化差距（验证 / 训练 L1）' },
  'review.compare.heading': { en: 'Run comparison ({n} runs)', zh: '训练对比（{n} 个训练）' },
  'review.compare.intro': {
    en: 'Runs selected in the Experiments section. Only the options that differ are columns; the last round decides the gate verdict (advisory).',
    zh: '在“实验”栏中选择的训练。只列出不同的选项；门槛判定依据最后一轮验证（仅供参考）。',
  },
  'review.compare.study.heading': { en: 'Sample-size study', zh: '样本量研究' },

  // landmarks section (landmarks.ts)
  'review.lm.heading': { en: 'Landmarks', zh: '关键点' },
  'review.lm.gridOverlay': {
    en: 'The grid figure ({grid}, above) draws the ground-truth landmarks on the real X-ray and on the prediction: where they sit off the predicted bone, that structure is not where the X-ray has it.',
    zh: '网格图（{grid}，见上文）在真实 X 光和预测图上都画出了真实关键点：若关键点偏离预测的骨结构，说明该结构与 X 光中的位置不一致。',
  },
  'review.lm.sharp.heading': {
    en: 'Landmark-region sharpness (prediction ÷ X-ray)',
    zh: '关键点区域锐度（预测 ÷ X 光）',
  },
  'review.lm.sharp.intro': {
    en: "In a {window} mm square around each ground-truth landmark: the prediction's mean Sobel gradient ÷ the X-ray's (0–255 grey levels per pixel, Sobel/8), averaged over {cases} validation cases. 1 = as sharp as the X-ray; below 1 the bone edges there are blurred. Mean over landmarks: **{mean}**.",
    zh: '在每个真实关键点周围 {window} mm 的方形窗口内：预测的平均 Sobel 梯度 ÷ X 光的平均梯度（0–255 灰度级/像素，Sobel/8），对 {cases} 个验证病例取平均。1 = 与 X 光同样清晰；小于 1 表示该处骨边缘模糊。各关键点平均：**{mean}**。',
  },
  'review.lm.sharp.windowTiny': {
    en: "Window: {window} mm = only {px} px of the preprocessed image at this run's size: too few pixels to tell blur from noise; read these numbers at 256 px or more.",
    zh: '窗口：{window} mm 在本次训练尺寸下仅为预处理图像的 {px} 像素：像素太少，无法区分模糊与噪声；请在 256 像素及以上的尺寸解读这些数值。',
  },
  'review.lm.sharp.window': {
    en: "Window: {window} mm = {px} px of the preprocessed image at this run's size.",
    zh: '窗口：{window} mm = 本次训练尺寸下预处理图像的 {px} 像素。',
  },
  'review.lm.sharp.mostBlurred': { en: 'Most blurred', zh: '最模糊' },
  'review.lm.col.landmark': { en: 'landmark', zh: '关键点' },
  'review.lm.col.name': { en: 'name', zh: '名称' },
  'review.lm.col.sharpness': { en: 'sharpness (pred ÷ X-ray)', zh: '锐度（预测 ÷ X 光）' },
  'review.lm.col.sd': { en: 'SD', zh: '标准差' },
  'review.lm.col.predGradient': { en: 'pred gradient', zh: '预测梯度' },
  'review.lm.col.xrayGradient': { en: 'X-ray gradient', zh: 'X 光梯度' },
  'review.lm.col.cases': { en: 'cases', zh: '病例数' },
  'review.lm.col.notIdentifiable': { en: 'not identifiable', zh: '无法识别' },
  'review.lm.col.measurement': { en: 'measurement', zh: '测量' },
  'review.lm.col.tracing': { en: 'tracing', zh: '描点' },
  'review.lm.col.groundTruth': { en: 'ground truth', zh: '真实标注' },
  'review.lm.col.difference': { en: 'difference', zh: '差值' },
  'review.lm.col.missing': { en: 'missing', zh: '缺失关键点' },
  'review.lm.col.floorMre': { en: 'floor MRE (mm)', zh: '下限 MRE (mm)' },
  'review.lm.col.floorSdr2': { en: 'floor SDR 2 mm', zh: '下限 SDR 2 mm' },
  'review.lm.col.syntheticMre': { en: 'synthetic MRE (mm)', zh: '合成 MRE (mm)' },
  'review.lm.col.syntheticSdr2': { en: 'synthetic SDR 2 mm', zh: '合成 SDR 2 mm' },
  'review.lm.col.groundTruthMean': { en: 'ground truth (mean)', zh: '真实标注（均值）' },
  'review.lm.col.syntheticMean': { en: 'synthetic (mean)', zh: '合成（均值）' },
  'review.lm.col.meanAbsDiff': { en: 'mean |Δ|', zh: '平均 |Δ|' },
  'review.lm.col.agreementCases': { en: 'cases', zh: '病例' },
  'review.lm.tracing.heading': { en: 'Tracing errors on the predictions', zh: '在预测图上描点的误差' },
  'review.lm.tracing.by': { en: ' by {tracer}', zh: '（描点者 {tracer}）' },
  'review.lm.tracing.summary': {
    en: '{cases} traced case(s){by}, pixel spacing {spacing} mm/px: MRE **{mre} ± {sd} mm** over {n} landmarks ({missing} not identifiable); SDR 2 / 2.5 / 3 / 4 mm: {sdr2} / {sdr25} / {sdr3} / {sdr4}. 2 mm is the clinical tolerance; inter-observer variability is 1–2 mm.',
    zh: '{cases} 个已描点病例{by}，像素间距 {spacing} mm/像素：MRE **{mre} ± {sd} mm**，共 {n} 个关键点（{missing} 个无法识别）；SDR 2 / 2.5 / 3 / 4 mm：{sdr2} / {sdr25} / {sdr3} / {sdr4}。2 mm 为临床容差；观察者间差异为 1–2 mm。',
  },
  'review.lm.meas.heading': { en: 'Measurements: tracing vs ground truth', zh: '测量值：描点 vs 真实标注' },
  'review.lm.meas.intro': {
    en: '{cases} case(s). A measurement whose landmarks are missing is shown as unavailable, never as a number.',
    zh: '{cases} 个病例。所需关键点缺失的测量值显示为不可用，绝不给出数值。',
  },
  'review.lm.unavailable': { en: 'unavailable', zh: '不可用' },
  'review.lm.all': { en: 'all', zh: '全部' },
  'review.lm.trace.heading': { en: 'Traceability (landmark detector)', zh: '可追踪性（关键点检测器）' },
  'review.lm.trace.intro': {
    en: 'Detector **{detector}** on {cases} validation case(s) with landmarks. Floor = the detector on the real X-ray vs the ground truth: MRE **{floorMre} mm**, SDR 2 mm {floorSdr2}. Traceability = the detector on the synthetic X-ray vs the ground truth: MRE **{syntheticMre} mm**, SDR 2 mm {syntheticSdr2}. 2 mm is the clinical tolerance.',
    zh: '检测器 **{detector}** 作用于 {cases} 个带关键点的验证病例。下限 = 检测器在真实 X 光上对比真实标注：MRE **{floorMre} mm**，SDR 2 mm {floorSdr2}。可追踪性 = 检测器在合成 X 光上对比真实标注：MRE **{syntheticMre} mm**，SDR 2 mm {syntheticSdr2}。2 mm 为临床容差。',
  },
  'review.lm.trace.over': { en: 'Over 2 mm on the synthetic X-ray', zh: '合成 X 光上超过 2 mm' },
  'review.lm.agreement.heading': {
    en: 'Measurement agreement (detected on synthetic vs ground truth)',
    zh: '测量一致性（合成图检测 vs 真实标注）',
  },
  'review.lm.blur.title': {
    en: 'Bone edges blurred at {n} of {total} landmarks',
    zh: '{total} 个关键点中有 {n} 个处骨边缘模糊',
  },
  'review.lm.blur.evidence': {
    en: 'Landmark-region sharpness (prediction ÷ X-ray mean Sobel gradient in {window} mm{px} around each landmark, {cases} cases) below {threshold}: {list}{more}; mean over landmarks {mean}.{tiny}',
    zh: '关键点区域锐度（每个关键点周围 {window} mm{px} 内预测 ÷ X 光的平均 Sobel 梯度，{cases} 个病例）低于 {threshold}：{list}{more}；各关键点平均 {mean}。{tiny}',
  },
  'review.lm.blur.more': { en: ', …', zh: '等' },
  'review.lm.blur.tiny': {
    en: ' The window is under 5 px at this size: read these numbers at 256 px or more.',
    zh: '此尺寸下窗口不足 5 像素：请在 256 像素及以上的尺寸解读这些数值。',
  },
  'review.lm.blur.next': {
    en: 'Landmarks on blurred edges are hard to place: strengthen the edge terms (lambda_grad, lambda_lap), keep the “best” checkpoint by landmark-region sharpness, and trace these landmarks on the predictions to see whether they are still identifiable within 2 mm.',
    zh: '模糊边缘上的关键点难以定位：加强边缘损失（lambda_grad、lambda_lap），按关键点区域锐度保存“最佳”检查点，并在预测图上对这些关键点描点，检查是否仍能在 2 mm 内识别。',
  },

  // the gate's criteria (findings.ts, markdown.ts)
  'review.gate.name.mean_l1': { en: 'mean L1 on [0,1]', zh: '平均 L1（[0,1]）' },
  'review.gate.name.mean_psnr': { en: 'mean PSNR', zh: '平均 PSNR' },
  'review.gate.name.failure_rate': { en: 'failure rate', zh: '失败率' },
  'review.gate.name.sharpness_ratio': {
    en: 'sharpness ratio (prediction / X-ray mean gradient)',
    zh: '清晰度比（预测 / X 线平均梯度）',
  },
  'review.gate.name.trace_mre': {
    en: 'traceability MRE (landmark detector on the predictions vs ground truth)',
    zh: '可追踪性 MRE（关键点检测器作用于预测图 vs 真实标注）',
  },

  // findings (findings.ts)
  'review.finding.gate.failTitle': { en: '{gate} not passed', zh: '{gate} 未通过' },
  'review.finding.gate.failCriterion': {
    en: '{name} {value} (needs {op} {threshold})',
    zh: '{name} {value}（要求 {op} {threshold}）',
  },
  'review.finding.gate.failEvidence': { en: '{criteria}.', zh: '{criteria}。' },
  'review.finding.gate.failNext': {
    en: 'The gate is advisory and blocks nothing. Use the findings below to choose the next run; judge quality on the fixed evaluation list only.',
    zh: '质量门仅供参考，不阻断任何训练。请依据下面的发现选择下一轮实验；质量结论只基于固定评估清单。',
  },
  'review.finding.gate.passTitle': { en: '{gate} passed', zh: '{gate} 通过' },
  'review.finding.gate.passEvidence': { en: '{criteria}.', zh: '{criteria}。' },
  'review.finding.gate.passNext': {
    en: 'Confirm on the full dataset and check landmarks on the predicted X-rays before clinical use.',
    zh: '请在完整数据集上确认，并在预测 X 线上检查描点后再用于临床。',
  },
  'review.finding.check.next': {
    en: 'Fix this before reading anything else in this report.',
    zh: '请先修正此项，再解读本报告的其他内容。',
  },
  'review.finding.stuck.title': { en: 'The generator’s output is stuck', zh: '生成器输出停滞' },
  'review.finding.stuck.evidence': { en: '{explanation}.', zh: '{explanation}。' },
  'review.finding.stuck.nextChecklist': {
    en: 'Work through the checklist: {questions}',
    zh: '请逐项检查：{questions}',
  },
  'review.finding.stuck.nextOptimum': {
    en: 'The checklist finds nothing wrong: the model sits in a smooth local optimum — raise the gradient loss weight (lambda_grad 5–10), add lambda_lap, or lower the learning rate with a warmup.',
    zh: '检查清单未发现问题：模型陷入平滑的局部最优——请提高梯度损失权重（lambda_grad 5–10）、加入 lambda_lap，或降低学习率并加预热。',
  },
  'review.finding.oversmooth.title': {
    en: 'Over-smoothed predictions (bone edges blurred)',
    zh: '预测过度平滑（骨缘发糊）',
  },
  'review.finding.oversmooth.evidence': {
    en: 'Predictions are smoother than the X-rays: mean gradient {predGrad} vs {targetGrad} (0-255 units, ratio {ratio} < {limit}); maximum intensity {predMax} vs {targetMax}. The clinic’s plan-002 targets (gradient > 3.0, maximum > 140): {grad}, {max}.',
    zh: '预测图比 X 线更平滑：平均梯度 {predGrad} 对 {targetGrad}（0–255 单位，比值 {ratio} < {limit}）；最大强度 {predMax} 对 {targetMax}。诊所方案 002 的目标（梯度 > 3.0，极值 > 140）：{grad}，{max}。',
  },
  'review.finding.oversmooth.gradMet': { en: 'gradient met', zh: '梯度已达到' },
  'review.finding.oversmooth.gradNotMet': { en: 'gradient not met', zh: '梯度未达到' },
  'review.finding.oversmooth.maxMet': { en: 'maximum met', zh: '极值已达到' },
  'review.finding.oversmooth.maxNotMet': { en: 'maximum not met', zh: '极值未达到' },
  'review.finding.oversmooth.nextAddGrad': {
    en: 'Add the gradient (Sobel) loss: lambda_grad 5–10 (the clinic’s P2.5 preset); if edges stay soft, add a Laplacian term (lambda_lap). Keep lambda_L1 {lambdaL1} or try 80/60.',
    zh: '加入梯度（Sobel）损失：lambda_grad 5–10（诊所 P2.5 预设）；若边缘仍发糊，再加入拉普拉斯项（lambda_lap）。lambda_L1 保持 {lambdaL1} 或尝试 80/60。',
  },
  'review.finding.oversmooth.nextRaiseGrad': {
    en: 'Raise lambda_grad from {lambdaGrad} (×2–4){lap}; check in the loss balance that its gradient is at least 1/10 of G_L1’s.',
    zh: '将 lambda_grad 从 {lambdaGrad} 提高（2–4 倍）{lap}；并在损失平衡中确认其梯度至少为 G_L1 的 1/10。',
  },
  'review.finding.oversmooth.addLap': {
    en: ' or add a Laplacian term (lambda_lap)',
    zh: '，或加入拉普拉斯项（lambda_lap）',
  },
  'review.finding.oversmooth.raiseLap': {
    en: ', or raise lambda_lap from {lambdaLap}',
    zh: '，或将 lambda_lap 从 {lambdaLap} 提高',
  },
  'review.finding.weakTerm.title': {
    en: 'A loss term is too weak to matter',
    zh: '某个损失项权重过小、不起作用',
  },
  'review.finding.weakTerm.next': {
    en: 'Raise that weight until its gradient norm at the generator output is at least 1/10 of G_L1’s (see the loss balance).',
    zh: '提高该权重，直到其在生成器输出处的梯度范数至少为 G_L1 的 1/10（见损失平衡）。',
  },
  'review.finding.gap.title': { en: 'Large train/val gap: {ratio}×', zh: '训练/验证差距大：{ratio} 倍' },
  'review.finding.gap.evidence': {
    en: 'L1 on [0,1]: {train} on {nTrain} training cases vs {val} on the validation cases (same inference mode){all}.',
    zh: 'L1（[0,1]）：{nTrain} 个训练病例上为 {train}，验证病例上为 {val}（相同推理模式）{all}。',
  },
  'review.finding.gap.allCases': { en: '; {n} training cases in all', zh: '；训练病例共 {n} 例' },
  'review.finding.gap.next': {
    en: 'Sample size first: train on more cases (the clinic’s full baseline, 600 cases) before changing the method — a small run checks the direction, it is not the final gate. Keep augmentation on where landmarks allow.',
    zh: '先解决样本规模：在更多病例上训练（诊所的 full 基线，600 例），再考虑改方法——small 只是“方向检查”，不是终审门禁。在不影响描点的前提下保持数据增强。',
  },
  'review.finding.underfit.title': {
    en: 'Training and validation are both poor (underfitting)',
    zh: '训练集与验证集表现都差（欠拟合）',
  },
  'review.finding.underfit.evidence': {
    en: 'L1 on [0,1]: {train} (train subset) vs {val} (validation), ratio {ratio}×.',
    zh: 'L1（[0,1]）：训练子集 {train}，验证集 {val}，比值 {ratio} 倍。',
  },
  'review.finding.underfit.next': {
    en: 'Train longer (more epochs before the decay) or with more capacity (ngf); check the learning rate in the checklist.',
    zh: '延长训练（衰减前更多 epoch）或增大模型容量（ngf）；并查看检查清单中的学习率。',
  },
  'review.finding.data.concentratedTitle': {
    en: 'Failures concentrate in audit flag “{flag}”',
    zh: '失败样本集中在审计标记“{flag}”',
  },
  'review.finding.data.concentratedEvidence': {
    en: '{withFlag} of {failed} failed cases carry “{flag}” ({share}); failure rate {rateWith} with the flag vs {rateWithout} without.',
    zh: '{failed} 个失败病例中有 {withFlag} 个带有“{flag}”（{share}）；带此标记的失败率 {rateWith}，不带的为 {rateWithout}。',
  },
  'review.finding.data.concentratedNext': {
    en: 'Data: review the “{flag}” cases in the Data section (a short list by hand — device borders and rulers are often normal); fix or exclude with a reason, then retrain.',
    zh: '数据问题：在“数据”栏目中人工复核带“{flag}”的病例（先做小清单——设备边框和标尺常属正常）；修正或注明原因后排除，再重新训练。',
  },
  'review.finding.data.unexplainedTitle': {
    en: 'Failures are not explained by the audit flags',
    zh: '失败样本与审计标记关系不大',
  },
  'review.finding.data.topFlag': {
    en: 'The most common flag among the {failed} failures is “{flag}” with {withFlag}/{failed}.',
    zh: '{failed} 个失败病例中最常见的标记是“{flag}”，占 {withFlag}/{failed}。',
  },
  'review.finding.data.noFlag': {
    en: 'None of the {failed} failed cases carries an audit flag.',
    zh: '{failed} 个失败病例均无审计标记。',
  },
  'review.finding.data.unexplainedNext': {
    en: 'The main problem is not dirty data; do not exclude cases in bulk on audit flags.',
    zh: '主要矛盾不是“脏数据”；不要依据审计标记大规模剔除样本。',
  },
  'review.finding.stretch.title': { en: 'Images are stretched to a square', zh: '图像被拉伸为正方形' },
  'review.finding.stretch.evidence': {
    en: 'preprocess = stretch at {size} px: a 1520×1236 film is squeezed, losing aspect and fine detail.',
    zh: 'preprocess = stretch，{size} px：1520×1236 的片子被压缩，失去长宽比和细节。',
  },
  'review.finding.stretch.next': {
    en: 'Use letterbox (keep the aspect ratio, pad) and a fixed ROI around skull and mandible (the clinic’s P2.5, top priority).',
    zh: '改用 letterbox（保持长宽比并填充），并加固定 ROI（头颅—下颌主区域）（诊所 P2.5 的最高优先级）。',
  },
  'review.finding.resolution.title': {
    en: 'Above 512 px before 512 px works',
    zh: '512 px 尚未稳定就提高了分辨率',
  },
  'review.finding.resolution.evidence': {
    en: 'size = {size} px and the gate fails.',
    zh: 'size = {size} px，且质量门未通过。',
  },
  'review.finding.resolution.next': {
    en: 'Make the structure right at 512 px first; larger sizes magnify the errors (the clinic’s rule 4).',
    zh: '先在 512 px 上把结构做对；更大的尺寸会放大错误（诊所口令 4）。',
  },

  // report.md (markdown.ts)
  'review.md.severity.alert': { en: 'ALERT', zh: '警报' },
  'review.md.severity.warn': { en: 'WARNING', zh: '警告' },
  'review.md.severity.info': { en: 'NOTE', zh: '提示' },
  'review.md.severity.ok': { en: 'OK', zh: '通过' },
  'review.md.status.pass': { en: 'pass', zh: '通过' },
  'review.md.status.fail': { en: 'FAIL', zh: '未通过' },
  'review.md.status.unknown': { en: 'unknown', zh: '未知' },
  'review.md.status.incomplete': { en: 'incomplete', zh: '不完整' },
  'review.md.status.ok': { en: 'ok', zh: '正常' },
  'review.md.status.warn': { en: 'check', zh: '需检查' },
  'review.md.reason.l1': { en: 'L1', zh: 'L1' },
  'review.md.reason.psnr': { en: 'PSNR', zh: 'PSNR' },
  'review.md.reason.sharpness': { en: 'sharpness', zh: '清晰度' },
  'review.md.col.check': { en: 'check', zh: '检查项' },
  'review.md.col.result': { en: 'result', zh: '结果' },
  'review.md.col.answer': { en: 'answer (automatic)', zh: '自动回答' },
  'review.md.col.criterion': { en: 'criterion', zh: '指标' },
  'review.md.col.measured': { en: 'measured', zh: '测量值' },
  'review.md.col.condition': { en: 'condition', zh: '条件' },
  'review.md.col.metric': { en: 'metric', zh: '指标' },
  'review.md.col.mean': { en: 'mean', zh: '平均' },
  'review.md.col.median': { en: 'median', zh: '中位数' },
  'review.md.col.unit': { en: 'unit / scale', zh: '单位 / 尺度' },
  'review.md.col.quantity': { en: 'quantity', zh: '量' },
  'review.md.col.prediction': { en: 'prediction', zh: '预测' },
  'review.md.col.target': { en: 'X-ray (target)', zh: 'X 线（目标）' },
  'review.md.col.ratio': { en: 'ratio', zh: '比值' },
  'review.md.col.term': { en: 'term', zh: '损失项' },
  'review.md.col.weight': { en: 'weight', zh: '权重' },
  'review.md.col.value': { en: 'value', zh: '值' },
  'review.md.col.share': { en: 'share', zh: '占比' },
  'review.md.col.vsL1': { en: 'vs G_L1', zh: '相对 G_L1' },
  'review.md.col.case': { en: 'case', zh: '病例' },
  'review.md.col.failsOn': { en: 'fails on', zh: '失败原因' },
  'review.md.col.flag': { en: 'flag', zh: '标记' },
  'review.md.col.withFlag': { en: 'cases with flag', zh: '带标记病例' },
  'review.md.col.failedWithFlag': { en: 'failed with flag', zh: '其中失败' },
  'review.md.col.shareOfFailures': { en: 'share of failures', zh: '占全部失败' },
  'review.md.col.rateWith': { en: 'fail rate with', zh: '带标记失败率' },
  'review.md.col.rateWithout': { en: 'fail rate without', zh: '不带标记失败率' },
  'review.md.col.item': { en: 'item', zh: '项' },
  'review.md.title': { en: 'Review report', zh: '评审报告' },
  'review.md.currentWeights': { en: 'current weights', zh: '当前权重' },
  'review.md.intro': {
    en: 'Written by Ceph GAN Studio on {generatedAt} from checkpoint **{checkpoint}** (step {step}{epoch}) of run `{runId}`, evaluated on {cases} validation cases in {mode}. Every number carries its unit: L1 on [0,1] unless marked [-1,1], PSNR in dB (data range 1), gradients and intensities in 0–255 grey levels.',
    zh: '由 Ceph GAN Studio 于 {generatedAt} 生成：训练 `{runId}` 的检查点 **{checkpoint}**（第 {step} 步{epoch}），在 {cases} 个验证病例上以{mode}评估。所有数值均带单位：L1 默认在 [0,1] 尺度（标注 [-1,1] 者除外），PSNR 单位为 dB（数据范围 1），梯度与强度为 0–255 灰度级。',
  },
  'review.md.intro.epoch': { en: ', epoch {epoch}', zh: '，第 {epoch} 个 epoch' },
  'review.md.intro.evalMode': { en: 'eval mode (--eval)', zh: ' eval 模式（--eval）' },
  'review.md.intro.testMode': {
    en: 'the server’s default test mode (no --eval)',
    zh: '服务器默认测试模式（不加 --eval）',
  },
  'review.md.gate.heading': { en: 'Quality gate', zh: '质量门' },
  'review.md.gate.verdict': { en: 'Verdict', zh: '结论' },
  'review.md.gate.advisory': {
    en: 'advisory: the studio never blocks a run.',
    zh: '仅供参考：工作室从不阻断训练。',
  },
  'review.md.findings.heading': {
    en: 'Findings and suggested next experiments',
    zh: '发现与建议的下一步实验',
  },
  'review.md.findings.none': { en: 'No rule fired.', zh: '没有触发任何规则。' },
  'review.md.findings.next': { en: 'Next', zh: '下一步' },
  'review.md.metrics.heading': { en: 'Validation metrics', zh: '验证指标' },
  'review.md.cases': { en: 'cases', zh: '例' },
  'review.md.metrics.whole': {
    en: 'Computed over the whole image including any letterbox padding (a round stored before content-region metrics).',
    zh: '在含信箱填充的整幅图像上计算（内容区域指标之前保存的轮次）。',
  },
  'review.md.metrics.content': {
    en: "Computed over each case's content region only (the film: {percent} % of the image; letterbox/ROI padding excluded). Whole image incl. padding: L1 {l1Whole}, PSNR {psnrWhole} dB.",
    zh: '仅在每例的内容区域计算（胶片部分：占图像 {percent}%；不含信箱/ROI 填充）。整幅图像（含填充）：L1 {l1Whole}，PSNR {psnrWhole} dB。',
  },
  'review.md.metrics.contentWhole': {
    en: 'Computed over the content region (the whole image here: no padding).',
    zh: '在内容区域计算（此处即整幅图像：无填充）。',
  },
  'review.md.metrics.l1Unit': { en: 'mean absolute error on [0,1]', zh: '[0,1] 上的平均绝对误差' },
  'review.md.metrics.l1pm1Unit': {
    en: 'server scale (= G_L1 / lambda_L1)',
    zh: '服务器尺度（= G_L1 / lambda_L1）',
  },
  'review.md.metrics.psnrUnit': { en: 'dB, data range 1', zh: 'dB，数据范围 1' },
  'review.md.metrics.ssimUnit': { en: 'grey, window 11, σ 1.5', zh: '灰度，窗口 11，σ 1.5' },
  'review.md.sharpnessRatio': { en: 'sharpness ratio', zh: '清晰度比' },
  'review.md.metrics.sharpnessUnit': {
    en: 'per case, prediction / X-ray mean gradient',
    zh: '逐例，预测 / X 线平均梯度',
  },
  'review.md.metrics.comparison': {
    en: 'Compared with **{label}** (step {step}): mean L1 {l1} (on [0,1]), PSNR {psnr} dB, SSIM {ssim}, sharpness ratio {sharpness}.',
    zh: '对照 **{label}**（第 {step} 步）：平均 L1 {l1}（[0,1]），PSNR {psnr} dB，SSIM {ssim}，清晰度比 {sharpness}。',
  },
  'review.md.grid.heading': { en: 'Fixed evaluation grid', zh: '固定评估网格' },
  'review.md.grid.caption': {
    en: 'photo | real X-ray | prediction | error heat map (|prediction − X-ray| in grey levels, fixed scale 0–128), the same cases for every checkpoint.',
    zh: '照片 | 真实 X 线 | 预测 | 误差热图（|预测 − X 线| 的灰度级，固定色标 0–128），每个检查点使用同一批病例。',
  },
  'review.md.curves.heading': { en: 'Curves over the run', zh: '训练过程曲线' },
  'review.md.curves.rounds': { en: 'validation rounds', zh: '轮验证' },
  'review.md.diag.heading': {
    en: 'Gradient and extremum diagnostics (0–255 units)',
    zh: '梯度与极值诊断（0–255 单位）',
  },
  'review.md.diag.intro': {
    en: 'Pooled over the {cases} cases of the fixed evaluation list; gradient = Sobel magnitude (kernels / 8) of the grey image per pixel.',
    zh: '在固定评估清单的 {cases} 个病例上汇总；梯度 = 灰度图逐像素的 Sobel 幅值（核除以 8）。',
  },
  'review.md.diag.meanGradient': { en: 'mean gradient', zh: '平均梯度' },
  'review.md.diag.maxGradient': { en: 'max gradient', zh: '最大梯度' },
  'review.md.diag.gradientPercentiles': { en: 'gradient p1 / p99 / p99.9', zh: '梯度 p1 / p99 / p99.9' },
  'review.md.diag.maxIntensity': { en: 'max intensity (the clinic’s “extremum”)', zh: '最大强度（极值）' },
  'review.md.diag.intensityP999': { en: 'intensity p99.9', zh: '强度 p99.9' },
  'review.md.diag.meanIntensity': { en: 'mean intensity', zh: '平均强度' },
  'review.md.diag.plan002': {
    en: 'Clinic plan-002 targets (their pipeline; a guide): mean gradient > 3.0 — {grad}; maximum > 140 — {max}. Input sensitivity: {sensitivity} (mean |difference| of two predictions for different photos, 0–255).',
    zh: '诊所方案 002 的目标（其流程；仅作参考）：平均梯度 > 3.0 —— {grad}；极值 > 140 —— {max}。输入敏感度：{sensitivity}（不同照片的两张预测图之间的平均绝对差，0–255）。',
  },
  'review.md.diag.met': { en: 'met', zh: '已达到' },
  'review.md.diag.notMet': { en: 'not met', zh: '未达到' },
  'review.md.diag.none': { en: 'No diagnostics (no validation case).', zh: '无诊断（没有验证病例）。' },
  'review.md.stuck.heading': { en: 'Stuck-output detector', zh: '输出停滞检测' },
  'review.md.stuck.stuck': { en: 'STUCK', zh: '停滞' },
  'review.md.stuck.notStuck': { en: 'not stuck', zh: '未停滞' },
  'review.md.balance.heading': { en: 'Loss balance at the generator output', zh: '生成器输出处的损失平衡' },
  'review.md.balance.intro': {
    en: 'Averaged over {cases} case(s), batch 1. Value = weighted term λᵢLᵢ; ‖∂(λᵢLᵢ)/∂fake‖ = how hard the term pulls on the generated image.',
    zh: '在 {cases} 个病例上平均（批大小 1）。值 = 加权项 λᵢLᵢ；‖∂(λᵢLᵢ)/∂fake‖ = 该项对生成图像的拉动强度。',
  },
  'review.md.balance.none': {
    en: 'Not measured (no discriminator available).',
    zh: '未测量（没有判别器）。',
  },
  'review.md.gap.heading': { en: 'Generalization gap', zh: '泛化差距' },
  'review.md.gap.text': {
    en: 'L1 on [0,1]: train subset ({nTrain} fixed training cases, evaluated like validation) {train}, validation {val} — ratio **{ratio}×** (alert above {alert}×).{clinic}',
    zh: 'L1（[0,1]）：训练子集（{nTrain} 个固定训练病例，按验证方式评估）{train}，验证集 {val}——比值 **{ratio} 倍**（超过 {alert} 倍时报警）。{clinic}',
  },
  'review.md.gap.clinic': {
    en: ' For comparison, the clinic’s way (last training loss G_L1 / lambda_L1 / 2, train mode with augmentation): {loss}.',
    zh: '作为对照，诊所的算法（最后的训练损失 G_L1 / lambda_L1 / 2，train 模式且含增强）：{loss}。',
  },
  'review.md.gap.none': { en: 'Not measured.', zh: '未测量。' },
  'review.md.failures.heading': { en: 'Failure statistics', zh: '失败统计' },
  'review.md.failures.rule': {
    en: 'A case fails when any of: {rule}. Failed: **{label}** ({rate}); by criterion: L1 {l1}, PSNR {psnr}, sharpness {sharpness}.',
    zh: '任一条件成立即判为失败：{rule}。失败：**{label}**（{rate}）；按条件：L1 {l1}，PSNR {psnr}，清晰度 {sharpness}。',
  },
  'review.md.failures.noCriterion': { en: '(no criterion enabled)', zh: '（未启用任何条件）' },
  'review.md.failures.worst': { en: 'Worst cases (by L1)', zh: '最差病例（按 L1）' },
  'review.md.failures.byFlag': { en: 'Failures × audit flags', zh: '失败 × 审计标记' },
  'review.md.failures.noFlag': { en: '(no flag)', zh: '（无标记）' },
  'review.md.failures.noAudit': {
    en: 'No audit data for this dataset (the demo phantom has none).',
    zh: '此数据集没有审计数据（演示模拟数据没有审计）。',
  },
  'review.md.data.heading': { en: 'Data and preprocessing', zh: '数据与预处理' },
  'review.md.data.dataset': { en: 'dataset', zh: '数据集' },
  'review.md.data.trainCases': { en: 'training cases', zh: '训练病例' },
  'review.md.data.valCases': { en: 'validation cases', zh: '验证病例' },
  'review.md.data.evalList': { en: 'fixed evaluation list', zh: '固定评估清单' },
  'review.md.data.preprocessing': { en: 'preprocessing', zh: '预处理' },
  'review.md.data.datasetPreprocessing': { en: "dataset's preprocessing", zh: '数据集的预处理' },
  'review.md.data.noDatasetPreprocessing': {
    en: 'none (the demo phantom is generated at the run size)',
    zh: '无（演示模拟数据按训练尺寸生成）',
  },
  'review.md.config.heading': {
    en: 'Run configuration (server option names)',
    zh: '训练配置（服务器参数名）',
  },
  'review.md.env.heading': { en: 'Environment', zh: '运行环境' },
  'review.md.env.backend': { en: 'backend', zh: '后端' },
  'review.md.env.adapter': { en: 'adapter', zh: '适配器' },
  'review.md.env.status': { en: 'run status', zh: '训练状态' },
  'review.md.env.steps': { en: 'steps / epoch', zh: '步数 / epoch' },
  'review.md.env.trainingTime': { en: 'training time', zh: '训练时长' },
  'review.md.env.evaluationTime': { en: 'evaluation time', zh: '评估耗时' },
  'review.md.files': {
    en: 'Files: {markdown}, {json} (everything above, machine-readable), {rest}.',
    zh: '文件：{markdown}、{json}（以上全部内容的机器可读版本）、{rest}。',
  },
} as const satisfies MessageTable;

export type ReportTextCode = keyof typeof REPORT_TEXT;
