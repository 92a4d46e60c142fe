/** Strings of the Checkpoints section (list, export menu, server bundle, import). */
import type { Translation } from '../../engine/messages';

export const CHECKPOINTS_STRINGS = {
  'ckpt.title': { en: 'Checkpoints', zh: '检查点' },
  'ckpt.intro': {
    en: 'Every checkpoint stored in this browser. Download one for the pix2pix server (PyTorch .pth), for another studio (safetensors, TF.js) or as studio files (with the optimizer state); hand a run to the server as one bundle; and import what the server trained, with its loss curves.',
    zh: '此浏览器中保存的全部检查点。可下载为 pix2pix 服务器使用的 PyTorch .pth、供其他工作室使用的 safetensors 或 TF.js，或含优化器状态的工作室文件；可将一次训练打包交给服务器；也可导入服务器训练的结果及其损失曲线。',
  },
  'ckpt.loading': { en: 'Reading the stored checkpoints…', zh: '正在读取已保存的检查点…' },
  'ckpt.storeError': {
    en: 'The stored checkpoints could not be read: {error}',
    zh: '无法读取已保存的检查点：{error}',
  },

  // ----- import -----
  'ckpt.import.title': { en: 'Import', zh: '导入' },
  'ckpt.import.help': {
    en: 'Drop a server folder checkpoints/<name>/ (with train_opt.txt and loss_log.txt), a ZIP of it, a .pth written by PyTorch or by the studio, a .safetensors file, a TF.js model.json with its .bin files, or studio checkpoint files. You see what was recognised before anything is stored.',
    zh: '拖入服务器文件夹 checkpoints/<name>/（含 train_opt.txt 和 loss_log.txt）或其 ZIP、由 PyTorch 或本工作室写出的 .pth、.safetensors 文件、TF.js 的 model.json 及其 .bin 文件，或工作室检查点文件。保存之前会先显示识别结果。',
  },
  'ckpt.import.drop': {
    en: 'Drop files, a folder or a ZIP here',
    zh: '将文件、文件夹或 ZIP 拖到此处',
  },
  'ckpt.import.chooseFiles': { en: 'Choose files…', zh: '选择文件…' },
  'ckpt.import.chooseFolder': { en: 'Choose a folder…', zh: '选择文件夹…' },
  'ckpt.import.reading': { en: 'Reading {n} files…', zh: '正在读取 {n} 个文件…' },
  'ckpt.import.storing': { en: 'Storing the run…', zh: '正在保存训练记录…' },
  'ckpt.import.recognised': { en: 'Recognised: {what}', zh: '识别结果：{what}' },
  'ckpt.kind.serverRun': { en: 'a pix2pix server run folder', zh: 'pix2pix 服务器训练文件夹' },
  'ckpt.kind.network': { en: 'network file(s)', zh: '网络权重文件' },
  'ckpt.kind.studio': { en: 'studio checkpoint files', zh: '工作室检查点文件' },
  'ckpt.format.pth': { en: 'PyTorch .pth', zh: 'PyTorch .pth 文件' },
  'ckpt.format.safetensors': { en: 'safetensors', zh: 'safetensors' },
  'ckpt.format.tfjs': { en: 'TF.js (model.json + shards)', zh: 'TF.js（model.json + 分片）' },
  'ckpt.format.studio': { en: 'studio checkpoint (manifest + shards)', zh: '工作室检查点（清单 + 分片）' },
  'ckpt.import.format': { en: 'Format', zh: '格式' },
  'ckpt.import.generator': { en: 'Generator (G)', zh: '生成器（G）' },
  'ckpt.import.discriminator': { en: 'Discriminator (D)', zh: '判别器（D）' },
  'ckpt.import.netInfo': {
    en: '{file} — {keys} keys, {values} values, {mb}',
    zh: '{file} —— {keys} 个键，{values} 个数值，{mb}',
  },
  'ckpt.import.dFresh': {
    en: 'not in the files: a fresh one (ndf {ndf}, n_layers_D {layers}) is created with the server’s initialisation, as the server does when net_D is missing',
    zh: '文件中没有：将按服务器的初始化方式新建一个（ndf {ndf}，n_layers_D {layers}），与服务器缺少 net_D 时的做法相同',
  },
  'ckpt.import.settings': { en: 'Settings', zh: '设置' },
  'ckpt.source.train_opt': { en: 'from train_opt.txt', zh: '来自 train_opt.txt' },
  'ckpt.source.metadata': { en: 'from the file’s metadata', zh: '来自文件元数据' },
  'ckpt.source.inferred': { en: 'inferred from the keys and shapes', zh: '由键名和形状推断' },
  'ckpt.source.studio': { en: 'from the studio manifest', zh: '来自工作室清单' },
  'ckpt.import.epochs': {
    en: 'Completed epochs: {epoch} · steps: {step}',
    zh: '已完成轮次：{epoch} · 步数：{step}',
  },
  'ckpt.import.lossLog': {
    en: 'Loss log: {n} records (they become the run’s curves); last G_GAN {gan} · G_L1 {l1} · D_real {real} · D_fake {fake}',
    zh: '损失日志：{n} 条记录（将成为该训练的曲线）；最后一条 G_GAN {gan} · G_L1 {l1} · D_real {real} · D_fake {fake}',
  },
  'ckpt.import.noLossLog': {
    en: 'No loss log: the run will have no loss curves.',
    zh: '没有损失日志：该训练将没有损失曲线。',
  },
  'ckpt.import.name': { en: 'Run name', zh: '训练名称' },
  'ckpt.import.size': { en: 'Training size (px)', zh: '训练尺寸（像素）' },
  'ckpt.import.sizeGuessed': {
    en: 'The files do not say the training size; {size} px is the size {netG} is built for. Set the size the model was trained at, so evaluation uses the same images.',
    zh: '文件中没有训练尺寸；{size} 像素是 {netG} 的设计尺寸。请设置模型训练时的尺寸，以便评估使用相同的图像。',
  },
  'ckpt.import.dataset': {
    en: 'Dataset for evaluating and continuing',
    zh: '用于评估和继续训练的数据集',
  },
  'ckpt.import.datasetNone': { en: 'None (choose later)', zh: '暂不选择' },
  'ckpt.import.notes': { en: 'Notes from reading the files', zh: '读取文件时的说明' },
  'ckpt.warn.noTrainOpt': {
    en: 'No train_opt.txt: the network settings come from the weights; the training options (learning rate, λ, epochs) are the defaults.',
    zh: '没有 train_opt.txt：网络设置取自权重；训练选项（学习率、λ、轮次）使用默认值。',
  },
  'ckpt.warn.modulePrefix': {
    en: 'Every key started with "module." (saved from a DataParallel/DDP wrapper); the prefix was removed.',
    zh: '所有键都以 "module." 开头（由 DataParallel/DDP 包装保存）；已去掉该前缀。',
  },
  'ckpt.warn.syncbatch': {
    en: 'The server run used --norm syncbatch (several GPUs): in the studio that is BatchNorm with the same weights.',
    zh: '服务器训练使用了 --norm syncbatch（多 GPU）：在工作室中即为权重相同的 BatchNorm。',
  },
  'ckpt.warn.ndfFromNgf': {
    en: 'The files hold no discriminator, so its width is unknown: the fresh one gets ndf = ngf = {ngf}, as in the server’s defaults (64, 64) and the studio’s presets.',
    zh: '文件中没有判别器，因此其宽度未知：新建的判别器取 ndf = ngf = {ngf}，与服务器默认值（64、64）及工作室预设一致。',
  },
  'ckpt.import.used': { en: 'Files read ({n})', zh: '已读取的文件（{n}）' },
  'ckpt.import.ignored': { en: 'Files not used ({n})', zh: '未使用的文件（{n}）' },
  'ckpt.ignored.notCheckpoint': { en: 'not a checkpoint file', zh: '不是检查点文件' },
  'ckpt.ignored.olderEpoch': {
    en: 'an older epoch (the newest generator is imported)',
    zh: '较早的轮次（导入的是最新的生成器）',
  },
  'ckpt.ignored.otherNetwork': {
    en: 'belongs to another checkpoint in the drop',
    zh: '属于拖入内容中的另一个检查点',
  },
  'ckpt.import.confirm': { en: 'Import as a new run', zh: '作为新训练导入' },
  'ckpt.import.cancel': { en: 'Cancel', zh: '取消' },
  'ckpt.import.done': {
    en: 'Imported “{name}”: {points} loss records, checkpoint after epoch {epoch}. It is in the list above and in the Train view’s run history.',
    zh: '已导入“{name}”：{points} 条损失记录，检查点为 {epoch} 轮之后。它已出现在上方列表和“训练”页面的训练历史中。',
  },
  'ckpt.import.doneNoLog': {
    en: 'Imported “{name}” (checkpoint after epoch {epoch}). It is in the list above and in the Train view’s run history.',
    zh: '已导入“{name}”（检查点为 {epoch} 轮之后）。它已出现在上方列表和“训练”页面的训练历史中。',
  },
  'ckpt.import.failed': {
    en: 'The import failed; nothing was stored.',
    zh: '导入失败；未保存任何内容。',
  },
  'ckpt.import.failedHelp': {
    en: 'Check that the file is a checkpoint of the pix2pix server or of this studio and that it was copied completely, then drop it again.',
    zh: '请确认该文件是 pix2pix 服务器或本工作室的检查点且已完整复制，然后重新拖入。',
  },
  'ckpt.err.unsafePickle': {
    en: 'The file would run code when opened with PyTorch: its pickle calls something a state_dict never needs. It was refused; nothing in it was executed.',
    zh: '该文件在用 PyTorch 打开时会执行代码：其 pickle 调用了 state_dict 不需要的内容。已拒绝该文件，其中的内容未被执行。',
  },
  'ckpt.err.damaged': {
    en: 'The file is incomplete or damaged (cut off during a copy or download?).',
    zh: '该文件不完整或已损坏（复制或下载时被截断？）。',
  },
  'ckpt.err.safetensors': {
    en: 'The safetensors header does not describe its data consistently (overlapping or missing byte ranges).',
    zh: 'safetensors 文件头对数据的描述不一致（字节范围重叠或缺失）。',
  },
  'ckpt.err.shape': {
    en: 'The weights do not fit the settings: the key named below has another shape than those settings need.',
    zh: '权重与设置不符：下方所列键的形状与这些设置所需的形状不同。',
  },
  'ckpt.import.noFiles': {
    en: 'The drop held no files. Drop the files themselves, a folder or a ZIP.',
    zh: '拖入的内容中没有文件。请拖入文件本身、文件夹或 ZIP。',
  },
  'ckpt.import.readErrors': {
    en: 'Some dropped items could not be read: {items}',
    zh: '部分拖入的项目无法读取：{items}',
  },

  // ----- list -----
  'ckpt.list.title': { en: 'Stored checkpoints', zh: '已保存的检查点' },
  'ckpt.list.filter': { en: 'Run', zh: '训练' },
  'ckpt.list.allRuns': { en: 'All runs', zh: '全部训练' },
  'ckpt.list.count': { en: 'Checkpoints: {n}', zh: '检查点：{n} 个' },
  'ckpt.list.none': {
    en: 'No checkpoints yet. Train a run in the Train section, or import one above.',
    zh: '还没有检查点。请在“训练”栏目中训练，或在上方导入。',
  },
  'ckpt.col.name': { en: 'Checkpoint', zh: '检查点' },
  'ckpt.col.run': { en: 'Run', zh: '训练' },
  'ckpt.col.epoch': { en: 'Epochs done', zh: '已完成轮次' },
  'ckpt.col.step': { en: 'Step', zh: '步数' },
  'ckpt.col.metrics': { en: 'Validation metrics', zh: '验证指标' },
  'ckpt.col.size': { en: 'Size', zh: '大小' },
  'ckpt.col.saved': { en: 'Saved', zh: '保存时间' },
  'ckpt.col.actions': { en: 'Actions', zh: '操作' },
  'ckpt.kind.last': { en: 'latest', zh: '最新' },
  'ckpt.kind.best': { en: 'best', zh: '最佳' },
  'ckpt.origin.server': { en: 'from the server', zh: '来自服务器' },
  'ckpt.origin.file': { en: 'imported', zh: '已导入' },
  'ckpt.metrics.stored': {
    en: 'L1 {l1} (0–1 scale) · PSNR {psnr} dB',
    zh: 'L1 {l1}（0–1 尺度）· PSNR {psnr} dB',
  },
  'ckpt.metrics.none': { en: 'not measured', zh: '尚未测量' },
  'ckpt.metrics.losses': {
    en: 'no validation yet; last training loss G_L1 = {l1}',
    zh: '尚未验证；最后的训练损失 G_L1 = {l1}',
  },
  'ckpt.metrics.measured': {
    en: 'Measured now ({n} cases, eval mode): L1 {l1} (0–1) · PSNR {psnr} dB · SSIM {ssim}',
    zh: '刚刚测量（{n} 个病例，eval 模式）：L1 {l1}（0–1）· PSNR {psnr} dB · SSIM {ssim}',
  },
  'ckpt.size.mb': { en: '{mb}', zh: '{mb}' },
  'ckpt.act.rename': { en: 'Rename', zh: '重命名' },
  'ckpt.act.renameLabel': { en: 'New label for {name}', zh: '{name} 的新名称' },
  'ckpt.act.save': { en: 'Save', zh: '保存' },
  'ckpt.act.cancel': { en: 'Cancel', zh: '取消' },
  'ckpt.act.download': { en: 'Download…', zh: '下载…' },
  'ckpt.act.downloadNamed': {
    en: 'Download checkpoint {label} of run {run}',
    zh: '下载训练 {run} 的检查点 {label}',
  },
  'ckpt.act.bundle': { en: 'Server bundle…', zh: '服务器包…' },
  'ckpt.act.bundleNamed': {
    en: 'Server bundle of checkpoint {label} of run {run}',
    zh: '训练 {run} 的检查点 {label} 的服务器包',
  },
  'ckpt.act.measure': { en: 'Measure', zh: '测量' },
  'ckpt.act.busyTraining': {
    en: 'A run is training: stop it before preparing another',
    zh: '正在训练：请先停止，再准备新的训练',
  },
  'ckpt.act.continue': { en: 'Continue training (new run)', zh: '从此检查点继续训练（新训练）' },
  'ckpt.act.continueNamed': {
    en: 'Continue training from checkpoint {label} of run {run} in a new run (Train section)',
    zh: '从训练 {run} 的检查点 {label} 继续训练（新训练，在“训练”页面）',
  },
  'ckpt.act.measureNamed': {
    en: 'Measure checkpoint {label} of run {run} on the validation cases',
    zh: '在验证病例上测量训练 {run} 的检查点 {label}',
  },
  'ckpt.act.measuring': { en: 'Measuring…', zh: '正在测量…' },
  'ckpt.act.measureHelp': {
    en: 'Evaluate on the validation cases of the run’s dataset in eval mode (BatchNorm running statistics, no dropout — the server’s --eval).',
    zh: '在该训练数据集的验证病例上以 eval 模式评估（使用 BatchNorm 运行统计量、不使用 dropout——即服务器的 --eval）。',
  },
  'ckpt.act.delete': { en: 'Delete', zh: '删除' },
  'ckpt.act.confirmDelete': {
    en: 'Delete checkpoint “{label}” of run “{run}”? Its files are removed from this browser; this cannot be undone.',
    zh: '删除训练“{run}”的检查点“{label}”？其文件将从此浏览器中移除，且无法撤销。',
  },
  'ckpt.act.activeRun': {
    en: 'This run is training; stop it in the Train section first.',
    zh: '该训练正在进行；请先在“训练”栏目中停止。',
  },
  'ckpt.measure.noDataset': {
    en: 'Which cases? This run has no dataset recorded and none is loaded in the Train section. Load the dataset there, then measure again.',
    zh: '使用哪些病例？该训练没有记录数据集，“训练”栏目中也未加载数据集。请先在那里加载数据集，再测量。',
  },
  'ckpt.measure.busy': {
    en: 'A run is training; measure after it stops.',
    zh: '正在训练；请在训练停止后再测量。',
  },
  'ckpt.measure.failed': { en: 'Measuring failed: {error}', zh: '测量失败：{error}' },
  'ckpt.dataset.demo': {
    en: 'Demo phantom ({cases} cases, seed {seed})',
    zh: '演示模拟数据（{cases} 个病例，种子 {seed}）',
  },
  'ckpt.dataset.missing': { en: '{id} (not in this browser)', zh: '{id}（不在此浏览器中）' },

  // ----- export menu -----
  'ckpt.export.title': { en: 'Download “{label}” of {run}', zh: '下载 {run} 的“{label}”' },
  'ckpt.export.format': { en: 'Format', zh: '格式' },
  'ckpt.export.pth': {
    en: 'PyTorch .pth — for the pix2pix server (torch.load with weights_only=True, strict loading)',
    zh: 'PyTorch .pth —— 供 pix2pix 服务器使用（torch.load 且 weights_only=True，严格加载）',
  },
  'ckpt.export.safetensors': {
    en: 'safetensors — the same keys, the settings in its metadata',
    zh: 'safetensors —— 相同的键名，设置保存在元数据中',
  },
  'ckpt.export.tfjs': {
    en: 'TF.js — model.json + 4 MB shards, zipped, for another studio',
    zh: 'TF.js —— model.json + 4 MB 分片，打包为 ZIP，供其他工作室使用',
  },
  'ckpt.export.studio': {
    en: 'Studio files — manifest + shards with the optimizer state, zipped; import them to continue exactly',
    zh: '工作室文件 —— 清单 + 分片（含优化器状态），打包为 ZIP；导入后可精确继续训练',
  },
  'ckpt.export.nets': { en: 'Networks', zh: '网络' },
  'ckpt.export.netG': { en: 'Generator (G)', zh: '生成器（G）' },
  'ckpt.export.netD': { en: 'Discriminator (D)', zh: '判别器（D）' },
  'ckpt.export.netBoth': { en: 'Both (one ZIP)', zh: '两者（一个 ZIP）' },
  'ckpt.export.naming': { en: 'File names', zh: '文件名' },
  'ckpt.export.latest': {
    en: '{file} — what the server’s --continue_train loads',
    zh: '{file} —— 服务器 --continue_train 加载的文件',
  },
  'ckpt.export.epoch': {
    en: '{file} — named after the number of completed epochs: {epoch}',
    zh: '{file} —— 以已完成的 {epoch} 轮命名',
  },
  'ckpt.export.download': { en: 'Download', zh: '下载' },
  'ckpt.export.working': { en: 'Writing the files…', zh: '正在写出文件…' },
  'ckpt.export.done': { en: 'Saved {file} ({mb}).', zh: '已保存 {file}（{mb}）。' },
  'ckpt.export.doneZip': {
    en: 'Saved {file} ({mb}) with {contents}.',
    zh: '已保存 {file}（{mb}），其中包含 {contents}。',
  },
  'ckpt.export.close': { en: 'Close', zh: '关闭' },
  'ckpt.export.failed': { en: 'The download could not be made:', zh: '无法生成下载文件：' },
  'ckpt.export.notServerNetG': {
    en: 'netG {netG} is not among the server’s --netG choices (unet_128, unet_256): the .pth loads in PyTorch code that builds a U-Net with {downs} down-steps, not with train.py.',
    zh: 'netG {netG} 不在服务器 --netG 的可选项（unet_128、unet_256）中：此 .pth 可由构建 {downs} 层下采样 U-Net 的 PyTorch 代码加载，但不能用于 train.py。',
  },
  'ckpt.export.multiScale': {
    en: 'This discriminator has {n} scales; the server’s PatchGAN loads only scale 0 (keys model.*). The server bundle leaves the other scales out for you.',
    zh: '该判别器有 {n} 个尺度；服务器的 PatchGAN 只加载尺度 0（键 model.*）。服务器包会自动去掉其他尺度。',
  },

  // ----- server bundle -----
  'ckpt.bundle.title': {
    en: 'Server bundle of “{label}” ({run})',
    zh: '“{label}”（{run}）的服务器包',
  },
  'ckpt.bundle.intro': {
    en: 'One ZIP to continue this run on the pix2pix server: datasets/{name}/train|val|test (aligned photo|X-ray pairs after the studio’s preprocessing), checkpoints/{name}/latest_net_G.pth and latest_net_D.pth, train_opt.txt, and a README with the commands below. Unzip it in the folder that holds train.py.',
    zh: '一个 ZIP，用于在 pix2pix 服务器上继续此训练：datasets/{name}/train|val|test（经工作室预处理的照片|X 光对齐图像对）、checkpoints/{name}/latest_net_G.pth 与 latest_net_D.pth、train_opt.txt，以及包含下列命令的 README。请在 train.py 所在的文件夹中解压。',
  },
  'ckpt.bundle.loading': { en: 'Reading the checkpoint…', zh: '正在读取检查点…' },
  'ckpt.bundle.incompatible': {
    en: 'The server cannot continue this run:',
    zh: '服务器无法继续此训练：',
  },
  'ckpt.bundle.incompatibleHelp': {
    en: 'To hand a run to the server, train it with netG unet_256 (size a multiple of 256 px, e.g. the “paper” or clinic presets) or unet_128 (a multiple of 128 px). The .pth download still works for PyTorch code of your own.',
    zh: '若要交给服务器，请使用 netG unet_256（尺寸为 256 像素的倍数，例如“论文”或临床预设）或 unet_128（尺寸为 128 像素的倍数）进行训练。.pth 下载仍可用于您自己的 PyTorch 代码。',
  },
  'ckpt.bundle.epochNote': {
    en: 'Epochs done in the studio: {epoch}; the server continues with epoch {next} (--continue_train --epoch_count {next}).',
    zh: '工作室中已完成 {epoch} 轮；服务器将从第 {next} 轮继续（--continue_train --epoch_count {next}）。',
  },
  'ckpt.bundle.single': { en: 'One GPU', zh: '单 GPU' },
  'ckpt.bundle.multi': {
    en: 'Several GPUs of one machine (PyTorch DDP)',
    zh: '同一台机器上的多个 GPU（PyTorch DDP）',
  },
  'ckpt.bundle.gpus': { en: 'GPUs', zh: 'GPU 数量' },
  'ckpt.bundle.syncNote': {
    en: '--norm syncbatch replaces --norm batch under DDP (the checkpoint files are the same). The batch statistics then span all GPUs: the effective batch is {gpus} × batch_size = {eff} images, so results differ from a one-GPU run.',
    zh: '在 DDP 下用 --norm syncbatch 代替 --norm batch（检查点文件相同）。此时批统计量跨越所有 GPU：有效批大小为 {gpus} × batch_size = {eff} 张图像，因此结果与单 GPU 训练不同。',
  },
  'ckpt.bundle.instanceNote': {
    en: 'InstanceNorm has no batch statistics; with {gpus} GPUs the effective batch is {gpus} × batch_size = {eff} images.',
    zh: 'InstanceNorm 没有批统计量；使用 {gpus} 个 GPU 时有效批大小为 {gpus} × batch_size = {eff} 张图像。',
  },
  'ckpt.bundle.copy': { en: 'Copy', zh: '复制' },
  'ckpt.bundle.copied': { en: 'Copied', zh: '已复制' },
  'ckpt.bundle.studioOnly': {
    en: 'Studio-only options — the server has none of these, so its training continues without them:',
    zh: '仅工作室具有的选项 —— 服务器没有这些选项，因此其训练将在没有它们的情况下继续：',
  },
  'ckpt.bundle.studioOnlyNone': {
    en: 'Studio-only options: none — this run uses only options the server has.',
    zh: '仅工作室具有的选项：无 —— 此训练只使用服务器也有的选项。',
  },
  'ckpt.bundle.dataset': { en: 'Cases from', zh: '病例来源' },
  'ckpt.bundle.build': { en: 'Build and download the bundle', zh: '生成并下载服务器包' },
  'ckpt.bundle.phase.checkpoint': { en: 'Reading the checkpoint…', zh: '正在读取检查点…' },
  'ckpt.bundle.phase.dataset': {
    en: 'Writing the cases into the ZIP… {done} of {total}',
    zh: '正在把病例写入 ZIP… {done} / {total}',
  },
  'ckpt.bundle.phase.writing': {
    en: 'Writing the .pth files and finishing the ZIP ({total} cases)…',
    zh: '正在写出 .pth 文件并完成 ZIP（{total} 个病例）…',
  },
  'ckpt.bundle.done': {
    en: 'Saved {file} ({mb}, {n} files).',
    zh: '已保存 {file}（{mb}，{n} 个文件）。',
  },
  'ckpt.bundle.failed': { en: 'The bundle could not be built:', zh: '无法生成服务器包：' },
  'ckpt.bundle.close': { en: 'Close', zh: '关闭' },
} as const satisfies Record<string, Translation>;
