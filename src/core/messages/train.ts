/**
 * The training engine's sentences (where it runs, why a run stopped, what a config check found),
 * en + zh (moved here from engine/trainMessages.ts so the one MESSAGES table in core can hold
 * them; the engine re-exports it).
 */
import type { MessageTable } from './form';

export const TRAIN_MESSAGES = {
  // --- where the engine runs ---
  'engine.home.worker': {
    en: 'Training runs in a background worker, so the page stays responsive.',
    zh: '训练在后台 Worker 中运行，页面保持流畅。',
  },
  'engine.home.pageForWebGpu': {
    en: 'Training runs in the page: the background worker could not get WebGPU ({reason}) but the page can. The page may stutter during steps.',
    zh: '训练在页面中运行：后台 Worker 无法使用 WebGPU（{reason}），而页面可以。训练步骤期间页面可能会卡顿。',
  },
  'engine.home.noWorker': {
    en: 'Training runs in the page: this browser could not start a module worker ({error}). The page may stutter during steps.',
    zh: '训练在页面中运行：此浏览器无法启动模块 Worker（{error}）。训练步骤期间页面可能会卡顿。',
  },
  'engine.home.node': { en: 'Training runs in Node.', zh: '训练在 Node 中运行。' },
  'engine.worker.noWebGpu': {
    en: 'no WebGPU adapter in the worker',
    zh: 'Worker 中没有 WebGPU 适配器',
  },
  'engine.worker.crashed': {
    en: 'The training worker stopped unexpectedly ({error}). Reload the page; an interrupted run can be recovered from its last checkpoint (Recover interrupted run in the run history).',
    zh: '训练 Worker 意外停止（{error}）。请重新加载页面；中断的训练可从最近的检查点恢复（训练历史中的“恢复中断的训练”）。',
  },
  // --- preconditions ---
  'engine.notInitialized': {
    en: 'The training engine is not started yet; wait for the backend check to finish.',
    zh: '训练引擎尚未启动；请等待后端检测完成。',
  },
  'engine.noDataset': {
    en: 'Load a dataset first (the demo dataset or an imported one).',
    zh: '请先加载数据集（演示数据集或已导入的数据集）。',
  },
  'engine.busy': {
    en: 'A run is already active ({run}); stop it before starting another.',
    zh: '已有训练在进行（{run}）；请先停止它再开始新的训练。',
  },
  'engine.noRun': { en: 'No run is active.', zh: '当前没有进行中的训练。' },
  'engine.noModel': {
    en: 'There is no model to use: start or resume a run, or choose a saved checkpoint.',
    zh: '没有可用的模型：请开始或继续一次训练，或选择一个已保存的检查点。',
  },
  'engine.unknownMethod': {
    en: 'The training engine does not know the command "{method}" (page and worker are from different versions? reload the page).',
    zh: '训练引擎不认识命令“{method}”（页面与 Worker 版本不同？请重新加载页面）。',
  },
  'engine.error': { en: '{error}', zh: '{error}' },
  // --- datasets ---
  'engine.dataset.demoName': {
    en: 'Demo phantom dataset ({cases} cases, seed {seed})',
    zh: '演示模拟数据集（{cases} 例，种子 {seed}）',
  },
  'engine.dataset.notFound': {
    en: 'Dataset {dataset} is not in this browser’s storage (deleted, or imported in another browser). Import it again in the Data section.',
    zh: '此浏览器的存储中没有数据集 {dataset}（已删除，或在其他浏览器中导入）。请在“数据”栏目中重新导入。',
  },
  'engine.dataset.noTrain': {
    en: 'Dataset {dataset} has no usable training cases (split "train", not excluded, photo and X-ray readable).',
    zh: '数据集 {dataset} 没有可用的训练病例（划分为“train”、未排除、照片与 X 光片均可读取）。',
  },
  'engine.dataset.noVal': {
    en: 'Dataset {dataset} has no val cases: validation curves, the preview and the "best" checkpoint are off for this run.',
    zh: '数据集 {dataset} 没有验证（val）病例：本次训练不显示验证曲线和预览，也不保存“最佳”检查点。',
  },
  'engine.dataset.caseSkipped': {
    en: 'Case {case} was skipped: {reason}',
    zh: '已跳过病例 {case}：{reason}',
  },
  'engine.dataset.noDecoder': {
    en: 'Stored datasets can only be decoded in a browser (createImageBitmap + OffscreenCanvas); in Node use the CLI with --data.',
    zh: '已存储的数据集只能在浏览器中解码（createImageBitmap + OffscreenCanvas）；在 Node 中请使用 CLI 的 --data 选项。',
  },
  // --- runs ---
  'engine.config.invalid': {
    en: 'The run configuration has problems: {errors}',
    zh: '训练配置有问题：{errors}',
  },
  // --- faults during training (engineCore.ts: non-finite values, a diverging GAN, a lost GPU) ---
  'engine.fault.nonFinite': {
    en: 'Step {step}: {what} became {value} (not a finite number). The run is paused and rolled back to its last good checkpoint (step {restored}); nothing stored is lost. Resume with the learning rate halved (lr {lr} → {newLr}), or stop the run.',
    zh: '第 {step} 步：{what} 变为 {value}（不是有限数值）。训练已暂停，并回退到最近的正常检查点（第 {restored} 步）；已存储的内容没有丢失。可将学习率减半后继续（lr {lr} → {newLr}），或停止训练。',
  },
  'engine.fault.ganDiverged': {
    en: 'Step {step}: the GAN is diverging — the discriminator loss is {dLoss} (→ 0) over {reads} logged steps while G_GAN rose to {gGan}. The run is paused and rolled back to its last good checkpoint (step {restored}); see the checklist, then resume with the learning rate halved (lr {lr} → {newLr}), or stop the run.',
    zh: '第 {step} 步：GAN 正在发散——判别器损失在连续 {reads} 个记录步中为 {dLoss}（→ 0），而 G_GAN 升至 {gGan}。训练已暂停，并回退到最近的正常检查点（第 {restored} 步）；请查看检查清单，然后将学习率减半后继续（lr {lr} → {newLr}），或停止训练。',
  },
  'engine.fault.autoResumed': {
    en: 'Resumed automatically from step {restored} with the learning rate halved (lr {lr} → {newLr}); automatic resumes left for this run: {left}.',
    zh: '已从第 {restored} 步自动继续，学习率减半（lr {lr} → {newLr}）；本次训练剩余自动继续次数：{left}。',
  },
  'engine.fault.checkpointRefused': {
    en: 'Checkpoint "{name}" was not saved at step {step}: the weight {key} is not a finite number. The previous "{name}" checkpoint is kept.',
    zh: '第 {step} 步未保存检查点“{name}”：权重 {key} 不是有限数值。之前的“{name}”检查点仍然保留。',
  },
  'engine.fault.deviceLost': {
    en: 'The GPU device was lost at step {step} ({reason}): the driver was reset or another application took the GPU. Nothing stored is lost; the studio restarts the backend and resumes from the last checkpoint.',
    zh: '第 {step} 步时 GPU 设备丢失（{reason}）：显卡驱动被重置，或其他应用占用了 GPU。已存储的内容没有丢失；工作室正在重启后端，并从最近的检查点继续。',
  },
  'engine.fault.deviceRecovered': {
    en: 'The {backend} backend was restarted; training resumes from the last checkpoint (step {restored}).',
    zh: '{backend} 后端已重启；训练从最近的检查点（第 {restored} 步）继续。',
  },
  'engine.fault.deviceFallback': {
    en: '{from} could not be restarted; training continues on {backend} (slower) from the last checkpoint (step {restored}). Reload the page to try the GPU again.',
    zh: '无法重启 {from}；训练改在 {backend} 上（较慢）从最近的检查点（第 {restored} 步）继续。重新加载页面可再次尝试使用 GPU。',
  },
  'engine.fault.recoveryFailed': {
    en: 'Recovering from the fault failed: {error}. The stored checkpoints are intact: recover the run from the run history (Recover interrupted run).',
    zh: '故障恢复失败：{error}。已存储的检查点完好无损：请在训练历史中恢复该训练（“恢复中断的训练”）。',
  },
  'engine.best.noLandmarks': {
    en: 'The “best” checkpoint is kept by the lowest validation L1: landmark-region sharpness needs a dataset with landmarks and the X-ray as the target.',
    zh: '“最佳”检查点改按最低验证 L1 保存：关键点区域锐度需要带关键点的数据集，且以 X 光片为目标。',
  },
  'engine.webglEpsilon': {
    en: 'WebGL computes in 16-bit floats here: Adam epsilon is raised from {from} to 1e-4 for this run.',
    zh: '此处 WebGL 以 16 位浮点计算：本次训练的 Adam epsilon 从 {from} 提高到 1e-4。',
  },
  'engine.checkpoint.saveFailed': {
    en: 'Saving checkpoint "{name}" failed: {error}. Training continues; the previous "{name}" checkpoint is still there.',
    zh: '保存检查点“{name}”失败：{error}。训练继续；之前的“{name}”检查点仍然保留。',
  },
  'engine.history.writeFailed': {
    en: 'Writing the loss history failed ({error}); the curves on screen are complete, but after a reload some points may be missing.',
    zh: '写入损失历史失败（{error}）；屏幕上的曲线完整，但重新加载后可能缺少部分数据点。',
  },
  'engine.resume.notResumable': {
    en: 'Run {run} is {status}; only an interrupted, stopped or failed run can be recovered.',
    zh: '训练 {run} 的状态为 {status}；只有中断、已停止或失败的训练可以恢复。',
  },
  'engine.resume.noCheckpoint': {
    en: 'Run {run} had not saved a checkpoint yet: it starts again from step 0 with its own configuration.',
    zh: '训练 {run} 尚未保存检查点：将使用其原配置从第 0 步重新开始。',
  },
  'engine.resume.fromCheckpoint': {
    en: 'Run {run} is recovered from checkpoint "{name}" at step {step} (epoch {epoch}).',
    zh: '训练 {run} 从检查点“{name}”恢复：第 {step} 步（第 {epoch} 轮）。',
  },
  'engine.continue.fromCheckpoint': {
    en: 'Run {run} starts from the weights of {source}, checkpoint "{name}" ({completed} epochs trained): first epoch {first}, optimizer fresh, network {netG} ngf {ngf} {norm}.',
    zh: '训练 {run} 从 {source} 的检查点“{name}”的权重开始（已训练 {completed} 轮）：从第 {first} 轮开始，优化器重新初始化，网络 {netG} ngf {ngf} {norm}。',
  },
  'engine.continue.notFound': {
    en: 'Checkpoint "{name}" of run {run} does not exist any more; choose another checkpoint in the Checkpoints section.',
    zh: '训练 {run} 的检查点“{name}”已不存在；请在“检查点”页面选择另一个检查点。',
  },
  'engine.continue.unreadable': {
    en: 'Checkpoint "{name}" of run {run} cannot be used to continue training: {error}',
    zh: '训练 {run} 的检查点“{name}”无法用于继续训练：{error}',
  },
  'engine.resume.notFound': { en: 'Run {run} does not exist.', zh: '训练 {run} 不存在。' },
  'engine.run.interrupted': {
    en: 'The training stopped without saying so (a reload, a crash or a closed tab). Recover interrupted run goes on from the last checkpoint.',
    zh: '训练在未告知的情况下停止（页面重新加载、崩溃或关闭了标签页）。“恢复中断的训练”将从最近的检查点继续。',
  },
  'engine.run.finished': {
    en: 'Run {run} finished: {steps} steps in {epochs} epochs.',
    zh: '训练 {run} 已完成：{epochs} 轮共 {steps} 步。',
  },
  'engine.memory.tooLarge': {
    en: 'The largest tensor of this run ({need}) exceeds the GPU adapter’s {limitName} ({limit}): lower size, ngf/ndf or batch_size.',
    zh: '本次训练最大的张量（{need}）超过 GPU 适配器的 {limitName}（{limit}）：请降低 size、ngf/ndf 或 batch_size。',
  },
  'engine.memory.wasmHeap': {
    en: 'This run needs about {need} of memory; the WebAssembly backend cannot use more than 4 GiB. Lower size, ngf/ndf or batch_size, or use a GPU.',
    zh: '本次训练约需 {need} 内存；WebAssembly 后端最多只能使用 4 GiB。请降低 size、ngf/ndf 或 batch_size，或使用 GPU。',
  },
  'engine.memory.wasmHeapFit': {
    en: 'This run needs about {need} of WebAssembly heap; the wasm backend cannot use more than 4 GiB. The largest size that fits with these networks is {fitSize} px; at {size} px, ngf {ngf} or less fits. Or use a GPU.',
    zh: '本次训练约需 {need} 的 WebAssembly 堆内存；wasm 后端最多只能使用 4 GiB。在当前网络设置下可容纳的最大尺寸为 {fitSize} px；若保持 {size} px，ngf 不超过 {ngf} 即可。也可以使用 GPU。',
  },
  'engine.memory.wasmHeapFitSize': {
    en: 'This run needs about {need} of WebAssembly heap; the wasm backend cannot use more than 4 GiB. The largest size that fits with these networks is {fitSize} px. Or use a GPU.',
    zh: '本次训练约需 {need} 的 WebAssembly 堆内存；wasm 后端最多只能使用 4 GiB。在当前网络设置下可容纳的最大尺寸为 {fitSize} px。也可以使用 GPU。',
  },
  'engine.memory.wasmHeapFitNgf': {
    en: 'This run needs about {need} of WebAssembly heap; the wasm backend cannot use more than 4 GiB. No smaller size fits these networks; at {size} px, ngf {ngf} or less fits. Or use a GPU.',
    zh: '本次训练约需 {need} 的 WebAssembly 堆内存；wasm 后端最多只能使用 4 GiB。更小的尺寸也放不下当前网络；若保持 {size} px，ngf 不超过 {ngf} 即可。也可以使用 GPU。',
  },
  // --- run configuration checks (configCheck.ts) ---
  'config.netG': {
    en: 'netG "{value}" is not unet_<power of two> of at least unet_32 (for example unet_256).',
    zh: 'netG“{value}”不是不小于 unet_32 的 unet_<2 的幂>（例如 unet_256）。',
  },
  'config.sizeDivisible': {
    en: 'size {size} px is not a multiple of 2^{downs} = {factor}: netG {netG} halves the image {downs} times. Choose a multiple of {factor} or a smaller netG.',
    zh: 'size {size} px 不是 2^{downs} = {factor} 的倍数：netG {netG} 会把图像减半 {downs} 次。请选择 {factor} 的倍数，或更小的 netG。',
  },
  'config.integer': {
    en: '{option} must be a whole number of at least {min}; got {value}.',
    zh: '{option} 必须是不小于 {min} 的整数；当前为 {value}。',
  },
  'config.range': {
    en: '{option} must be between {min} and {max}; got {value}.',
    zh: '{option} 必须在 {min} 与 {max} 之间；当前为 {value}。',
  },
  'config.positive': {
    en: '{option} must be greater than 0; got {value}.',
    zh: '{option} 必须大于 0；当前为 {value}。',
  },
  'config.nonNegative': {
    en: '{option} must be 0 or more; got {value}.',
    zh: '{option} 必须不小于 0；当前为 {value}。',
  },
  'config.channels': {
    en: '{option} must be 1 (grey) or 3 (colour); got {value}.',
    zh: '{option} 必须为 1（灰度）或 3（彩色）；当前为 {value}。',
  },
  'config.choice': {
    en: '{option} must be one of {choices}; got {value}.',
    zh: '{option} 必须是 {choices} 之一；当前为 {value}。',
  },
  'config.patchTooSmall': {
    en: 'The discriminator (n_layers_D {layers}, num_D {scales}) leaves no output at {size} px: its smallest scale needs at least {need} px. Lower n_layers_D or num_D, or raise size.',
    zh: '判别器（n_layers_D {layers}，num_D {scales}）在 {size} px 下没有输出：最小尺度至少需要 {need} px。请降低 n_layers_D 或 num_D，或增大 size。',
  },
  'config.noEpochs': {
    en: 'n_epochs + n_epochs_decay must be at least 1 (the run would have no epochs).',
    zh: 'n_epochs + n_epochs_decay 至少为 1（否则训练没有任何轮次）。',
  },
  'config.scheduleOver': {
    en: 'The run would start at epoch {first} (epoch_count) but its schedule ends at epoch {last} (n_epochs + n_epochs_decay): raise n_epochs or n_epochs_decay so that there is something left to train.',
    zh: '训练将从第 {first} 轮开始（epoch_count），但学习率计划在第 {last} 轮就结束了（n_epochs + n_epochs_decay）：请增大 n_epochs 或 n_epochs_decay，才有剩余的轮次可训练。',
  },
  'config.pyramidTooDeep': {
    en: 'ms_levels {levels} halves {size} px down to {smallest} px; the Sobel/SSIM terms need at least 8 px. Lower ms_levels.',
    zh: 'ms_levels {levels} 会把 {size} px 减半到 {smallest} px；Sobel/SSIM 项至少需要 8 px。请降低 ms_levels。',
  },
  // --- landmark detector (engine/detector) ---
  'engine.detector.needsLandmarks': {
    en: 'Dataset {dataset} has no landmarks: a detector needs landmarks — trace the films first (Landmarks section).',
    zh: '数据集 {dataset} 没有标志点：检测器需要标志点——请先描记这些影像（“标志点”栏目）。',
  },
  'engine.detector.setMismatch': {
    en: 'Detector {detector} finds {detectorCount} landmarks [{detectorSet}], but dataset {dataset} has {datasetCount} landmarks [{datasetSet}]. The landmark sets differ: train (or fine-tune) a detector on this dataset instead.',
    zh: '检测器 {detector} 识别 {detectorCount} 个标志点 [{detectorSet}]，而数据集 {dataset} 有 {datasetCount} 个标志点 [{datasetSet}]。标志点集合不同：请在此数据集上训练（或微调）一个检测器。',
  },
  'engine.detector.ganBusy': {
    en: 'A GAN run ({run}) is training and the landmark detector shares the GPU: wait for it to finish or stop it first.',
    zh: 'GAN 训练（{run}）正在进行，标志点检测器与其共用 GPU：请等待其结束或先停止它。',
  },
  'engine.detector.busy': {
    en: 'Landmark detector {detector} is training and shares the GPU: stop it before starting another training.',
    zh: '标志点检测器 {detector} 正在训练，与其他训练共用 GPU：请先停止它再开始新的训练。',
  },
  'engine.detector.notFound': {
    en: 'Detector {detector} is not stored in this browser (deleted, or trained in another browser).',
    zh: '此浏览器中没有检测器 {detector}（已删除，或在其他浏览器中训练）。',
  },
  'engine.detector.shippedMissing': {
    en: 'The detector shipped with the studio could not be loaded ({error}).',
    zh: '无法加载工作室自带的检测器（{error}）。',
  },
  'engine.detector.noCheckpoint': {
    en: 'Detector {detector} has no saved checkpoint to resume from; train it again.',
    zh: '检测器 {detector} 没有可用于继续训练的检查点；请重新训练。',
  },
  'engine.detector.noVal': {
    en: 'Dataset {dataset} has no val cases with landmarks: the detector’s held-out error cannot be measured and its best checkpoint is its last.',
    zh: '数据集 {dataset} 没有带标志点的验证病例：无法测量检测器的留出误差，最佳检查点即最后一个。',
  },
  'engine.detector.failed': {
    en: 'Detector training stopped: {error}',
    zh: '检测器训练已停止：{error}',
  },
  'engine.trace.fallback': {
    en: 'The best checkpoint by traceability MRE needs a detector and val cases with landmarks (X-ray as target); it is chosen by L1 instead.',
    zh: '按可追踪性 MRE 选择最佳检查点需要检测器以及带标志点的验证病例（以 X 光片为目标）；改为按 L1 选择。',
  },
  'engine.trace.failed': {
    en: 'Traceability was not computed for this round: {error}',
    zh: '本轮未计算可追踪性：{error}',
  },
} as const satisfies MessageTable;
