/** Strings of the Train section (config panel, charts, progress, preview, checkpoints, run history). */
import type { Translation } from '../../engine/messages';

export const TRAIN_STRINGS = {
  'train.title': { en: 'Train', zh: '训练' },
  'train.intro': {
    en: 'Train a pix2pix model on this computer: choose the data and a preset, press Start and watch the losses. Runs, curves and checkpoints are kept in this browser; a run interrupted by a reload or a closed tab can be recovered from its last checkpoint (Recover interrupted run, in the run history).',
    zh: '在本机训练 pix2pix 模型：选择数据和预设，点击“开始训练”并观察损失曲线。训练记录、曲线和检查点保存在此浏览器中；因重新加载或关闭标签页而中断的训练可从最近的检查点恢复（训练记录中的“恢复中断的训练”）。',
  },
  'train.engine.starting': { en: 'Starting the training engine…', zh: '正在启动训练引擎…' },
  'train.engine.failed': {
    en: 'The training engine could not start: {error}',
    zh: '训练引擎无法启动：{error}',
  },
  'train.home.worker': { en: 'background worker', zh: '后台 Worker' },
  'train.home.page': { en: 'this page', zh: '当前页面' },
  'train.home.node': { en: 'Node', zh: 'Node' },

  // data
  'train.data.title': { en: 'Data', zh: '数据' },
  'train.data.demo': { en: 'Demo phantom dataset', zh: '演示模拟数据集' },
  'train.data.demoHelp': {
    en: 'Synthetic profile photos and cephalograms generated in the browser (about 80 % training, 20 % validation cases) — for trying the studio without patient data.',
    zh: '在浏览器中生成的合成侧面照片与头颅侧位片（约 80% 训练病例、20% 验证病例）——无需患者数据即可试用。',
  },
  'train.data.cases': { en: 'Cases', zh: '病例数' },
  'train.data.seed': { en: 'Seed', zh: '随机种子' },
  'train.data.loadDemo': { en: 'Load demo dataset', zh: '加载演示数据集' },
  'train.data.stored': { en: 'Imported dataset', zh: '已导入的数据集' },
  'train.data.storedNone': {
    en: 'No imported dataset yet — import one in the Data section.',
    zh: '尚未导入数据集——请在“数据”栏目中导入。',
  },
  'train.data.loadStored': { en: 'Use this dataset', zh: '使用此数据集' },
  'train.data.loaded': {
    en: '{name}: {train} training cases, {val} validation cases',
    zh: '{name}：{train} 个训练病例，{val} 个验证病例',
  },
  'train.data.loading': {
    en: 'Loading the dataset… {done} of {total} cases',
    zh: '正在加载数据集…已完成 {done}/{total} 例',
  },
  'train.data.none': { en: 'No dataset loaded yet.', zh: '尚未加载数据集。' },

  // config
  'train.config.title': { en: 'Run configuration', zh: '训练配置' },
  'train.config.preset': { en: 'Preset', zh: '预设' },
  'train.preset.demo': { en: 'Demo ({size} px, quick)', zh: '演示（{size} px，快速）' },
  'train.preset.paper': { en: 'pix2pix paper (256 px)', zh: 'pix2pix 论文（256 px）' },
  'train.preset.clinic_baseline': {
    en: 'Clinic baseline (512 px, lambda_L1 100)',
    zh: '诊所基线（512 px，lambda_L1 100）',
  },
  'train.preset.clinic_p25': {
    en: 'Clinic P2.5 (letterbox + ROI + gradient loss 5–10)',
    zh: '诊所 P2.5（等比缩放 + ROI + 梯度损失 5–10）',
  },
  'train.config.edited': { en: 'edited', zh: '已修改' },
  'train.config.presetHelp': {
    en: 'A preset fills every option; change any of them below. Each option shows the server’s name for it, or “studio only”.',
    zh: '预设会填写全部选项，可在下方修改任意一项。每个选项旁显示服务器上的对应参数名，或标注“仅工作室”。',
  },
  'train.config.more': { en: 'More options ({n})', zh: '更多选项（{n} 项）' },
  'train.config.studioOnly': { en: 'studio only', zh: '仅工作室' },
  'train.config.runName': { en: 'Run name', zh: '训练名称' },
  'train.config.bestMetric': { en: 'Keep the “best” checkpoint by', zh: '“最佳”检查点依据' },
  'train.best.l1': { en: 'lowest validation L1 (on [0,1])', zh: '最低验证 L1（[0,1] 尺度）' },
  'train.best.psnr': { en: 'highest validation PSNR (dB)', zh: '最高验证 PSNR（dB）' },
  'train.best.ssim': { en: 'highest validation SSIM', zh: '最高验证 SSIM' },
  'train.best.lmSharp': {
    en: 'landmark-region sharpness closest to 1 (pred ÷ X-ray)',
    zh: '关键点区域锐度最接近 1（预测 ÷ X 光）',
  },
  'train.config.issues': { en: 'Fix these options before starting:', zh: '开始前请修正以下选项：' },
  'train.config.reset': { en: 'Reset to preset', zh: '恢复预设值' },
  'train.config.yes': { en: 'on', zh: '开' },
  'train.group.networks': { en: 'Networks', zh: '网络' },
  'train.group.losses': { en: 'Losses', zh: '损失' },
  'train.group.optimisation': { en: 'Optimisation', zh: '优化' },
  'train.group.data': { en: 'Data', zh: '数据' },
  'train.group.inference': { en: 'Inference', zh: '推理' },
  'train.group.logging': { en: 'Logging and saving', zh: '记录与保存' },

  'train.opt.netG': {
    en: 'Generator U-Net depth: unet_256 halves the image 8 times, unet_128 7 times; size must be a multiple of the number.',
    zh: '生成器 U-Net 深度：unet_256 将图像减半 8 次，unet_128 减半 7 次；size 必须是该数的倍数。',
  },
  'train.opt.ngf': {
    en: 'Generator width: filters in its first layer (64 on the server).',
    zh: '生成器宽度：第一层的滤波器数（服务器默认 64）。',
  },
  'train.opt.ndf': {
    en: 'Discriminator width: filters in its first layer (64 on the server).',
    zh: '判别器宽度：第一层的滤波器数（服务器默认 64）。',
  },
  'train.opt.n_layers_D': {
    en: 'PatchGAN layers: 3 judges 70×70-pixel patches (the server’s “basic” discriminator).',
    zh: 'PatchGAN 层数：3 表示判别 70×70 像素的图块（服务器的“basic”判别器）。',
  },
  'train.opt.num_D': {
    en: 'Discriminator scales: 1 is the server’s; 2–3 also judge half- and quarter-size images.',
    zh: '判别器尺度数：1 与服务器相同；2–3 还会判别 1/2 和 1/4 尺寸的图像。',
  },
  'train.opt.norm': {
    en: 'Normalisation layers: batch (server default) or instance.',
    zh: '归一化层：batch（服务器默认）或 instance。',
  },
  'train.opt.no_dropout': {
    en: 'Turn off the generator’s dropout (0.5 in the deepest layers).',
    zh: '关闭生成器的 dropout（最深几层为 0.5）。',
  },
  'train.opt.init_gain': {
    en: 'Standard deviation of the initial weights N(0, gain).',
    zh: '初始权重 N(0, gain) 的标准差。',
  },
  'train.opt.input_nc': {
    en: 'Photo channels: 3 for colour, 1 for grey.',
    zh: '照片通道数：彩色为 3，灰度为 1。',
  },
  'train.opt.output_nc': {
    en: 'X-ray channels: 3 like the server’s default, or 1.',
    zh: 'X 光片通道数：与服务器默认相同为 3，或为 1。',
  },
  'train.opt.gan_mode': {
    en: 'Adversarial loss: vanilla (cross-entropy, server default) or lsgan (least squares).',
    zh: '对抗损失：vanilla（交叉熵，服务器默认）或 lsgan（最小二乘）。',
  },
  'train.opt.lambda_L1': {
    en: 'Weight of the pixel L1 loss (G_L1 = lambda_L1 × L1); 100 on the server.',
    zh: '像素 L1 损失的权重（G_L1 = lambda_L1 × L1）；服务器为 100。',
  },
  'train.opt.lambda_grad': {
    en: 'Weight of the Sobel gradient loss that sharpens bone edges (clinic plan: 5–10; 0 = off).',
    zh: '使骨骼边缘更清晰的 Sobel 梯度损失权重（诊所方案：5–10；0 为关闭）。',
  },
  'train.opt.grad_loss': {
    en: 'How gradient maps are compared: L1 or squared error.',
    zh: '梯度图的比较方式：L1 或平方误差。',
  },
  'train.opt.lambda_lap': {
    en: 'Weight of the Laplacian (second-derivative) loss; 0 = off.',
    zh: '拉普拉斯（二阶导数）损失权重；0 为关闭。',
  },
  'train.opt.lambda_fm': {
    en: 'Weight of feature matching on the discriminator’s layers (a perceptual loss); 0 = off.',
    zh: '判别器各层特征匹配损失（一种感知损失）的权重；0 为关闭。',
  },
  'train.opt.lambda_ssim': {
    en: 'Weight of the SSIM loss (1 − SSIM); 0 = off.',
    zh: 'SSIM 损失（1 − SSIM）的权重；0 为关闭。',
  },
  'train.opt.ms_levels': {
    en: 'Pyramid levels for L1 and gradient losses: 1 = full resolution only.',
    zh: 'L1 与梯度损失的金字塔层数：1 表示只用原分辨率。',
  },
  'train.opt.lr': { en: 'Learning rate of Adam (2e-4 on the server).', zh: 'Adam 学习率（服务器为 2e-4）。' },
  'train.opt.beta1': {
    en: 'Adam’s first-moment decay (0.5 on the server).',
    zh: 'Adam 一阶矩衰减系数（服务器为 0.5）。',
  },
  'train.opt.beta2': {
    en: 'Adam’s second-moment decay (fixed at 0.999 on the server).',
    zh: 'Adam 二阶矩衰减系数（服务器固定为 0.999）。',
  },
  'train.opt.adam_epsilon': {
    en: 'Adam’s epsilon, always set explicitly: 1e-8 as on the server (PyTorch’s default); raised to 1e-4 on 16-bit WebGL.',
    zh: 'Adam 的 epsilon，始终显式设置：1e-8，与服务器相同（PyTorch 默认值）；16 位 WebGL 上提高到 1e-4。',
  },
  'train.opt.batch_size': {
    en: 'Image pairs per step (1 on the server for pix2pix).',
    zh: '每步的图像对数（服务器 pix2pix 为 1）。',
  },
  'train.opt.n_epochs': { en: 'Epochs at the initial learning rate.', zh: '保持初始学习率的轮数。' },
  'train.opt.n_epochs_decay': {
    en: 'Epochs over which the learning rate falls linearly to 0.',
    zh: '学习率线性降到 0 所用的轮数。',
  },
  'train.opt.warmup_steps': {
    en: 'Steps of linear learning-rate warm-up at the start; 0 = off.',
    zh: '开始时学习率线性预热的步数；0 为关闭。',
  },
  'train.opt.lr_step_at': {
    en: 'When the linear decay steps: epoch_end = after each epoch, like the server’s current train.py (the last epoch at 1/(n_epochs_decay+1) of lr); epoch_start = before each epoch, like the 2020 train.py and runs made before this option (one epoch ahead, the last epoch at lr 0).',
    zh: '线性衰减在何时更新：epoch_end = 每个 epoch 结束后，与服务器当前的 train.py 相同（最后一个 epoch 为 lr 的 1/(n_epochs_decay+1)）；epoch_start = 每个 epoch 开始前，与 2020 年的 train.py 及此选项出现前的训练相同（提前一个 epoch，最后一个 epoch 学习率为 0）。',
  },
  'train.opt.epoch_count': {
    en: 'Number of the first epoch (the learning-rate schedule counts from it).',
    zh: '起始轮次编号（学习率计划从此开始计数）。',
  },
  'train.opt.seed': {
    en: 'Random seed of initialisation, data order and augmentation: same seed, same run.',
    zh: '初始化、数据顺序与数据增强的随机种子：种子相同，训练结果相同。',
  },
  'train.opt.size': { en: 'Training image side in pixels (square).', zh: '训练图像边长（像素，正方形）。' },
  'train.opt.preprocess': {
    en: 'How images become square: letterbox keeps the proportions, stretch squashes (old server runs), roi crops the drawn box.',
    zh: '图像变为正方形的方式：letterbox 保持比例，stretch 直接压缩（旧服务器方式），roi 裁剪所画区域。',
  },
  'train.opt.jitter': {
    en: 'Random jitter: enlarge to size×286/256, then crop back at a random position.',
    zh: '随机抖动：先放大到 size×286/256，再在随机位置裁剪回原尺寸。',
  },
  'train.opt.flip': {
    en: 'Random horizontal flip (off for landmark data: it mirrors the anatomy).',
    zh: '随机水平翻转（标志点数据应关闭：会使解剖结构左右镜像）。',
  },
  'train.opt.direction': {
    en: 'AtoB: photo → X-ray (the studio’s task); BtoA the reverse.',
    zh: 'AtoB：照片 → X 光片（本工作室的任务）；BtoA 为反向。',
  },
  'train.opt.eval_mode': {
    en: 'Predict with BatchNorm running statistics and no dropout (validation and preview too).',
    zh: '预测时使用 BatchNorm 的滑动统计并关闭 dropout（验证和预览同样适用）。',
  },
  'train.opt.log_every': {
    en: 'Read the losses back every this many steps.',
    zh: '每隔多少步读取一次损失。',
  },
  'train.opt.val_every': {
    en: 'Validate on the val cases every this many steps; 0 = only at the end.',
    zh: '每隔多少步在验证病例上验证一次；0 表示只在结束时验证。',
  },
  'train.opt.save_every': {
    en: 'Save the “last” checkpoint every this many steps (and at each epoch end).',
    zh: '每隔多少步保存一次“最近”检查点（每轮结束时也会保存）。',
  },

  // memory estimate
  'train.mem.title': { en: 'Memory estimate', zh: '内存估计' },
  'train.mem.params': {
    en: 'Parameters: G {g}, D {d} · {gflop} GFLOP per step',
    zh: '参数量：G {g}，D {d} · 每步 {gflop} GFLOP',
  },
  'train.mem.total': {
    en: 'Training needs about {total}: {weights} weights, gradients and Adam state, {act} activations.',
    zh: '训练约需 {total}：权重、梯度与 Adam 状态 {weights}，激活 {act}。',
  },
  'train.mem.largest': {
    en: 'Largest tensor {largest}; adapter limit (maxStorageBufferBindingSize) {limit}.',
    zh: '最大张量 {largest}；适配器上限（maxStorageBufferBindingSize）{limit}。',
  },
  'train.mem.noLimit': { en: 'Largest tensor {largest}.', zh: '最大张量 {largest}。' },
  'train.mem.fits': { en: 'Fits this backend’s limits.', zh: '在此后端的限制之内。' },
  'train.mem.deviceNote': {
    en: 'WebGPU does not report how much GPU memory exists: compare the total with your GPU’s memory.',
    zh: 'WebGPU 不报告 GPU 显存总量：请将总量与您的 GPU 显存比较。',
  },
  'train.mem.pending': {
    en: 'The estimate appears once the engine has started.',
    zh: '引擎启动后显示估计值。',
  },

  // controls (Pause / Resume: the running run)
  'train.start': { en: 'Start training', zh: '开始训练' },
  'train.pause': { en: 'Pause', zh: '暂停' },
  'train.resume': { en: 'Resume', zh: '继续' },
  'train.stop': { en: 'Stop', zh: '停止' },
  'train.saveNow': { en: 'Save checkpoint now', zh: '立即保存检查点' },
  'train.controls': { en: 'Run controls', zh: '训练控制' },
  'train.controls.run': { en: 'Run: {name}', zh: '训练：{name}' },
  'train.why.noEngine': { en: 'The engine is still starting.', zh: '引擎仍在启动。' },
  'train.why.noData': { en: 'Load a dataset first.', zh: '请先加载数据集。' },
  'train.why.invalid': { en: 'The configuration has problems (see above).', zh: '配置有问题（见上方）。' },
  'train.why.busy': { en: 'A run is active.', zh: '已有训练在进行。' },
  'train.why.memory': {
    en: 'The run will not fit this backend (see the memory estimate).',
    zh: '此后端无法容纳本次训练（见内存估计）。',
  },

  // status
  'train.phase.created': { en: 'starting', zh: '启动中' },
  'train.phase.initializing': { en: 'choosing the backend', zh: '正在选择后端' },
  'train.phase.ready': { en: 'ready', zh: '就绪' },
  'train.phase.loadingDataset': { en: 'loading the dataset', zh: '正在加载数据集' },
  'train.phase.starting': { en: 'preparing the run', zh: '正在准备训练' },
  'train.phase.running': { en: 'training', zh: '训练中' },
  'train.phase.paused': { en: 'paused', zh: '已暂停' },
  'train.phase.stopping': { en: 'stopping (saving the last checkpoint)', zh: '正在停止（保存最近检查点）' },
  'train.phase.failed': { en: 'failed', zh: '失败' },
  'train.activity.training': { en: 'training', zh: '训练中' },
  'train.activity.validating': { en: 'validating', zh: '验证中' },
  'train.activity.saving': { en: 'saving a checkpoint', zh: '正在保存检查点' },
  'train.activity.previewing': { en: 'updating the preview', zh: '正在更新预览' },
  'train.status.label': { en: 'Engine status', zh: '引擎状态' },

  // progress
  'train.progress.title': { en: 'Progress', zh: '进度' },
  'train.progress.step': { en: 'Step {step} of {total}', zh: '第 {step} 步，共 {total} 步' },
  'train.progress.stepBar': { en: 'Steps done', zh: '已完成步数' },
  'train.progress.epoch': {
    en: 'Epoch {epoch} of {last} · step {iter} of {spe} in this epoch',
    zh: '第 {epoch} 轮，共 {last} 轮 · 本轮第 {iter}/{spe} 步',
  },
  'train.progress.epochBar': { en: 'Current epoch', zh: '当前轮次' },
  'train.progress.speed': { en: 'Speed', zh: '速度' },
  'train.progress.itps': { en: 'it/s', zh: '步/秒' },
  'train.progress.imgps': { en: 'images/s', zh: '图像/秒' },
  'train.progress.eta': { en: 'Time left (ETA)', zh: '剩余时间（预计）' },
  'train.progress.elapsed': { en: 'Training time', zh: '训练用时' },
  'train.progress.gpu': { en: 'GPU memory allocated', zh: 'GPU 已分配显存' },
  'train.progress.notGpu': { en: 'not on a GPU', zh: '未使用 GPU' },
  'train.progress.tensors': { en: 'Tensors', zh: '张量' },
  'train.progress.backend': { en: 'Backend · adapter', zh: '后端 · 适配器' },
  'train.progress.runsIn': { en: 'Engine runs in', zh: '引擎运行于' },
  'train.progress.lr': { en: 'Learning rate', zh: '学习率' },
  'train.progress.measuring': { en: 'measuring…', zh: '测量中…' },
  'train.progress.none': { en: 'No run yet.', zh: '尚无训练。' },

  // charts
  'train.chart.title': { en: 'Live curves', zh: '实时曲线' },
  'train.chart.losses': { en: 'Training losses', zh: '训练损失' },
  'train.chart.lossAxis': { en: 'loss', zh: '损失' },
  'train.chart.lr': { en: 'Learning rate', zh: '学习率' },
  'train.chart.val': { en: 'Validation (val cases)', zh: '验证（验证病例）' },
  'train.chart.smoothing': { en: 'Smoothing (debiased EMA)', zh: '平滑（去偏 EMA）' },
  'train.chart.log': { en: 'Log scale', zh: '对数坐标' },
  'train.chart.empty': { en: 'Curves appear after the first logged step.', zh: '第一个记录步之后显示曲线。' },
  'train.chart.valEmpty': {
    en: 'Validation runs every {n} steps (val_every) and at the end.',
    zh: '每 {n} 步（val_every）及结束时进行验证。',
  },
  'train.chart.step': { en: 'step', zh: '步' },
  'train.chart.valL1': { en: 'val L1 on [0,1]', zh: '验证 L1（[0,1]）' },
  'train.chart.valPsnr': { en: 'val PSNR (dB)', zh: '验证 PSNR（dB）' },
  'train.chart.valSsim': { en: 'val SSIM', zh: '验证 SSIM' },
  'train.chart.lrSeries': { en: 'lr', zh: '学习率' },
  'train.chart.lm': {
    en: 'Landmark-region sharpness (pred ÷ X-ray)',
    zh: '关键点区域锐度（预测 ÷ X 光）',
  },
  'train.chart.lmSharp': { en: 'landmark sharpness', zh: '关键点锐度' },
  'train.chart.lmTarget': { en: 'target 1.0 (as sharp as the X-ray)', zh: '目标 1.0（与 X 光同样清晰）' },
  'train.chart.lmAxis': { en: 'pred ÷ X-ray', zh: '预测 ÷ X 光' },
  'train.chart.lmEmpty': {
    en: 'Appears after a validation round (every {n} steps) on a dataset with landmarks.',
    zh: '在带关键点的数据集上完成验证（每 {n} 步）后显示。',
  },
  'train.chart.lmHelp': {
    en: 'Mean Sobel gradient of the prediction ÷ the X-ray’s in a 10 mm window around each ground-truth landmark, averaged over landmarks and val cases: below 1 the bone edges are blurred.',
    zh: '在每个真实关键点周围 10 mm 窗口内，预测的平均 Sobel 梯度 ÷ X 光的平均梯度，对关键点和验证病例取平均：小于 1 表示骨边缘模糊。',
  },
  'train.chart.showing': { en: 'Curves of run “{name}”', zh: '训练“{name}”的曲线' },
  'train.chart.offNote': {
    en: 'Terms with weight 0 are hidden (click a legend entry to show or hide a series).',
    zh: '权重为 0 的损失项已隐藏（点击图例可显示或隐藏曲线）。',
  },
  'train.chart.points': { en: '{n} logged steps', zh: '已记录 {n} 步' },

  // gradient norms
  'train.grad.title': { en: 'Gradient norms (log scale)', zh: '梯度范数（对数坐标）' },
  'train.grad.pull': {
    en: 'Pull of each loss term on G’s output: ‖∂(λL)/∂fake‖, L2 over the batch, fake on [−1, 1]',
    zh: '各损失项对 G 输出的拉动：‖∂(λL)/∂fake‖，批内 L2，fake 取值 [−1, 1]',
  },
  'train.grad.pullAxis': { en: '‖∂(λL)/∂fake‖', zh: '‖∂(λL)/∂fake‖' },
  'train.grad.groups': {
    en: 'G’s weight gradient per layer group: ‖∂L_G/∂θ‖, L2 over the group',
    zh: 'G 各层组的权重梯度：‖∂L_G/∂θ‖，组内 L2',
  },
  'train.grad.groupsAxis': { en: '‖∂L_G/∂θ‖', zh: '‖∂L_G/∂θ‖' },
  'train.grad.group.outermost': { en: 'outermost', zh: '最外层' },
  'train.grad.group.down': { en: 'down (encoder)', zh: '下采样（编码器）' },
  'train.grad.group.innermost': { en: 'innermost', zh: '最内层' },
  'train.grad.group.up': { en: 'up (decoder)', zh: '上采样（解码器）' },
  'train.grad.ratio': {
    en: 'G_GAN ÷ G_L1 pull at step {step} (unsmoothed): {ratio}',
    zh: '第 {step} 步 G_GAN ÷ G_L1 拉动之比（未平滑）：{ratio}',
  },
  'train.grad.explain': {
    en: 'G_L1 pulls with about lambda_L1/√(pixel count) whatever the error, so G_GAN ÷ G_L1 scales as 1/lambda_L1: below 0.01 the adversarial term no longer shapes G (it learns the blurry L1 average) — lower lambda_L1, e.g. 100 → 60; any term under 1/100 of G_L1’s pull cannot steer training.',
    zh: 'G_L1 的拉动约为 lambda_L1/√(像素数)，与误差大小无关，因此 G_GAN ÷ G_L1 与 1/lambda_L1 成正比：低于 0.01 时对抗项不再塑造 G（G 只学到模糊的 L1 平均）——应降低 lambda_L1，如 100 → 60；拉动不足 G_L1 1/100 的损失项无法左右训练。',
  },
  'train.grad.none': {
    en: 'No gradient norms were logged for this run; runs with gradient norms on log them at every log step (log_every).',
    zh: '此训练未记录梯度范数；开启梯度范数的训练会在每个记录步（log_every）记录。',
  },

  // preview
  'train.preview.title': { en: 'Live preview', zh: '实时预览' },
  'train.preview.help': {
    en: 'The first three cases of the fixed evaluation list; the prediction is refreshed every {n} steps.',
    zh: '固定评估清单中的前三个病例；预测每 {n} 步刷新一次。',
  },
  'train.preview.photo': { en: 'Photo (input)', zh: '照片（输入）' },
  'train.preview.xray': { en: 'Real X-ray (target)', zh: '真实 X 光片（目标）' },
  'train.preview.pred': { en: 'Prediction', zh: '预测' },
  'train.preview.atStep': { en: 'at step {step}', zh: '第 {step} 步' },
  'train.preview.none': { en: 'The preview appears when a run starts.', zh: '训练开始后显示预览。' },

  // checkpoints
  'train.ckpt.title': { en: 'Checkpoints of this run', zh: '本次训练的检查点' },
  'train.ckpt.none': {
    en: 'No checkpoint yet: “last” is saved every {n} steps and at each epoch end, “best” after each validation that improves.',
    zh: '尚无检查点：“最近”每 {n} 步及每轮结束时保存，“最佳”在验证指标提升时保存。',
  },
  'train.ckpt.noRun': {
    en: 'Start or choose a run to see its checkpoints.',
    zh: '开始或选择一次训练以查看其检查点。',
  },
  'train.ckpt.label': { en: 'Checkpoint', zh: '检查点' },
  'train.ckpt.stepEpoch': { en: 'Step · epoch', zh: '步 · 轮' },
  'train.ckpt.metrics': { en: 'Validation at save time', zh: '保存时的验证指标' },
  'train.ckpt.size': { en: 'Size', zh: '大小' },
  'train.ckpt.saved': { en: 'Saved', zh: '保存时间' },
  'train.ckpt.actions': { en: 'Actions', zh: '操作' },
  'train.ckpt.rename': { en: 'Rename', zh: '重命名' },
  'train.ckpt.renameLabel': { en: 'New label for checkpoint {name}', zh: '检查点 {name} 的新名称' },
  'train.ckpt.save': { en: 'Save', zh: '保存' },
  'train.ckpt.cancel': { en: 'Cancel', zh: '取消' },
  'train.ckpt.delete': { en: 'Delete', zh: '删除' },
  'train.ckpt.confirmDelete': {
    en: 'Delete checkpoint “{label}” of this run? This cannot be undone.',
    zh: '删除本次训练的检查点“{label}”？此操作无法撤销。',
  },
  'train.ckpt.download': { en: 'Download (.zip)', zh: '下载（.zip）' },
  'train.ckpt.downloadNamed': { en: 'Download checkpoint {label} (.zip)', zh: '下载检查点 {label}（.zip）' },
  'train.ckpt.valMetrics': {
    en: 'L1 {l1} (on [0,1]) · PSNR {psnr} dB · SSIM {ssim}',
    zh: 'L1 {l1}（[0,1]）· PSNR {psnr} dB · SSIM {ssim}',
  },
  'train.ckpt.noVal': { en: 'no validation yet', zh: '尚未验证' },
  'train.ckpt.kind.last': { en: 'last', zh: '最近' },
  'train.ckpt.kind.best': { en: 'best', zh: '最佳' },
  'train.ckpt.count': { en: '{n} checkpoint(s)', zh: '{n} 个检查点' },

  // run history
  'train.runs.title': { en: 'Run history', zh: '训练记录' },
  'train.runs.none': { en: 'No runs yet.', zh: '尚无训练记录。' },
  'train.runs.name': { en: 'Run', zh: '训练' },
  'train.runs.status': { en: 'Status', zh: '状态' },
  'train.runs.dataset': { en: 'Dataset', zh: '数据集' },
  'train.runs.config': { en: 'Config', zh: '配置' },
  'train.runs.backend': { en: 'Backend', zh: '后端' },
  'train.runs.duration': { en: 'Duration', zh: '用时' },
  'train.runs.steps': { en: 'Step · epoch', zh: '步 · 轮' },
  'train.runs.last': { en: 'Last losses', zh: '最近损失' },
  'train.runs.best': { en: 'Best', zh: '最佳' },
  'train.runs.actions': { en: 'Actions', zh: '操作' },
  'train.runs.recover': { en: 'Recover interrupted run', zh: '恢复中断的训练' },
  'train.runs.recoverNamed': {
    en: 'Recover interrupted run {name} from its last checkpoint',
    zh: '从最近的检查点恢复中断的训练 {name}',
  },
  'train.runs.show': { en: 'Show curves', zh: '查看曲线' },
  'train.runs.delete': { en: 'Delete', zh: '删除' },
  'train.runs.confirmDelete': {
    en: 'Delete run “{name}” with its curves and checkpoints? This cannot be undone.',
    zh: '删除训练“{name}”及其曲线和检查点？此操作无法撤销。',
  },
  'train.runs.started': { en: 'started {time}', zh: '开始于 {time}' },
  'train.runs.status.running': { en: 'running', zh: '训练中' },
  'train.runs.status.paused': { en: 'paused', zh: '已暂停' },
  'train.runs.status.stopped': { en: 'stopped', zh: '已停止' },
  'train.runs.status.finished': { en: 'finished', zh: '已完成' },
  'train.runs.status.interrupted': { en: 'interrupted', zh: '已中断' },
  'train.runs.status.failed': { en: 'failed', zh: '失败' },
  'train.runs.interruptedHelp': {
    en: 'Stopped without saying so (a reload, a crash or a closed tab). Recover interrupted run goes on from its last checkpoint, in the same run.',
    zh: '在未告知的情况下停止（重新加载、崩溃或关闭标签页）。“恢复中断的训练”从最近的检查点接着训练，仍是同一次训练。',
  },
  'train.runs.bestValue': { en: '{metric} {value} at step {step}', zh: '{metric} {value}（第 {step} 步）' },
  'train.runs.bestWholeImage': {
    en: '(older rule: whole image incl. any padding)',
    zh: '（旧规则：整幅图像，含任何填充）',
  },

  // --- Continue training from a checkpoint: a NEW run from its weights (not Resume, not Recover) ---
  'train.cont.title': {
    en: 'Continue training from checkpoint “{label}” of run {run} (a new run)',
    zh: '从训练 {run} 的检查点“{label}”继续训练（新训练）',
  },
  'train.cont.what': {
    en: 'Start begins a NEW run with this checkpoint’s generator and discriminator weights (epochs trained: {completed}, step {step}), like the server’s --continue_train --epoch_count {first}. The optimizer starts fresh (Adam moments 0); the step counter and curves start at 0.',
    zh: '点击“开始”将用该检查点的生成器和判别器权重（已训练 {completed} 轮，第 {step} 步）开始一次新的训练，相当于服务器的 --continue_train --epoch_count {first}。优化器重新初始化（Adam 动量为 0），步数和曲线从 0 开始。',
  },
  'train.cont.schedule': {
    en: 'Epochs {first}–{last} ({epochs} epochs, {steps} steps on the loaded data); learning rate in epoch {first}: {lr} (server linear policy).',
    zh: '第 {first}–{last} 轮（共 {epochs} 轮，按已加载的数据为 {steps} 步）；第 {first} 轮的学习率：{lr}（服务器线性策略）。',
  },
  'train.cont.lrZero': {
    en: 'Every epoch of this run has learning rate 0, so the weights would not change: raise n_epochs (epochs at the full rate) or n_epochs_decay.',
    zh: '本次训练的每一轮学习率都为 0，权重不会改变：请增大 n_epochs（全学习率轮数）或 n_epochs_decay。',
  },
  'train.cont.extended': {
    en: 'The checkpoint’s schedule was already over ({done} of {total} epochs); it was extended by n_epochs {n} epochs at the full rate. Lower lr for a gentle fine-tune.',
    zh: '该检查点的学习率计划已结束（{total} 轮中已完成 {done} 轮）；已延长 n_epochs 的 {n} 轮全学习率训练。如需温和微调，请降低 lr。',
  },
  'train.cont.locked': {
    en: 'Fixed by the checkpoint: {fields}.',
    zh: '由检查点固定：{fields}。',
  },
  'train.cont.lockedField': {
    en: 'Fixed by the checkpoint’s weights',
    zh: '由检查点的权重决定，不可更改',
  },
  'train.cont.otherData': {
    en: 'The checkpoint was trained on {trained}; this run trains on the loaded dataset {loaded}.',
    zh: '该检查点在 {trained} 上训练；本次训练使用已加载的数据集 {loaded}。',
  },
  'train.cont.clear': { en: 'Start from fresh networks instead', zh: '改为从全新网络开始' },
  'train.cont.defaultName': { en: '{name} (continued)', zh: '{name}（继续）' },
  'train.cont.action': { en: 'Continue training (new run)', zh: '继续训练（新训练）' },
  'train.cont.actionNamed': {
    en: 'Continue training from checkpoint {label} in a new run',
    zh: '从检查点 {label} 继续训练（新训练）',
  },
  'train.runs.origin.continued': {
    en: 'from {run} · {checkpoint} ({completed} epochs)',
    zh: '来自 {run} · {checkpoint}（{completed} 轮）',
  },
  'train.runs.origin.imported': { en: 'imported', zh: '导入' },

  'train.messages': { en: 'Messages from the engine', zh: '引擎消息' },
  'train.dismiss': { en: 'Dismiss', zh: '关闭' },

  // faults during training (engine recovery)
  'train.recovery.title.nonFinite': {
    en: 'Training paused: a value became NaN/Inf',
    zh: '训练已暂停：出现 NaN/Inf 数值',
  },
  'train.recovery.title.ganDiverged': {
    en: 'Training paused: the GAN is diverging',
    zh: '训练已暂停：GAN 正在发散',
  },
  'train.recovery.title.deviceLost': {
    en: 'Training paused: the GPU device was lost',
    zh: '训练已暂停：GPU 设备丢失',
  },
  'train.recovery.resumeHalf': { en: 'Resume with lr {lr}', zh: '以 lr {lr} 继续' },
  'train.recovery.resumeSame': { en: 'Resume with the same lr', zh: '保持原 lr 继续' },
  'train.recovery.checklist': {
    en: 'Checklist (answered automatically from this run):',
    zh: '检查清单（根据本次训练自动作答）：',
  },
  'train.recovery.check': { en: 'Check', zh: '检查项' },
  'train.recovery.result': { en: 'Result', zh: '结果' },
  'train.recovery.answer': { en: 'What the studio found', zh: '工作室的发现' },
  'train.recovery.status.ok': { en: 'OK', zh: '正常' },
  'train.recovery.status.warn': { en: 'Check', zh: '注意' },
  'train.recovery.status.fail': { en: 'Problem', zh: '有问题' },
  'train.recovery.status.unknown': { en: 'Unknown', zh: '未知' },
  'train.recovery.auto': {
    en: 'After NaN/Inf or a diverging GAN, resume automatically with the learning rate halved (at most 3 times)',
    zh: '出现 NaN/Inf 或 GAN 发散时，自动将学习率减半后继续（最多 3 次）',
  },
} as const satisfies Record<string, Translation>;
