/** Strings of the app shell: header, navigation, language switch, banners, section placeholders. */
import type { Translation } from '../../engine/messages';

export const SHELL_STRINGS = {
  'app.name': { en: 'Ceph GAN Studio', zh: 'Ceph GAN Studio' },
  'app.tagline': {
    en: 'Profile photo → lateral cephalogram, trained on this computer',
    zh: '侧面照片 → 头颅侧位片，在本机训练',
  },
  'app.privacy': {
    en: 'Images and models stay in this browser (IndexedDB of this site); nothing is uploaded.',
    zh: '图像和模型只保存在此浏览器中（本站点的 IndexedDB），不会上传。',
  },
  'app.skipToContent': { en: 'Skip to content', zh: '跳到正文' },
  'app.offlineReady': { en: 'Works offline', zh: '可离线使用' },

  'nav.label': { en: 'Studio sections', zh: '工作室栏目' },
  'nav.data': { en: 'Data', zh: '数据' },
  'nav.train': { en: 'Train', zh: '训练' },
  'nav.evaluate': { en: 'Evaluate', zh: '评估' },
  'nav.landmarks': { en: 'Landmarks', zh: '标志点' },
  'nav.checkpoints': { en: 'Checkpoints', zh: '检查点' },
  'nav.environment': { en: 'Environment', zh: '运行环境' },

  'lang.label': { en: 'Language', zh: '语言' },
  'lang.en': { en: 'English', zh: 'English' },
  'lang.zh': { en: '简体中文', zh: '简体中文' },

  'badge.label': {
    en: 'Compute backend: {backend}. Open the environment check',
    zh: '计算后端：{backend}。打开运行环境检查',
  },
  'badge.detecting': { en: 'Detecting backend…', zh: '正在检测后端…' },
  'badge.adapterFallback': { en: '{name} (CPU fallback)', zh: '{name}（CPU 后备）' },
  'badge.float16': { en: '16-bit floats', zh: '16 位浮点' },
  'badge.failed': { en: 'No backend', zh: '无可用后端' },
  'backend.name.webgpu': { en: 'WebGPU', zh: 'WebGPU' },
  'backend.name.webgl': { en: 'WebGL', zh: 'WebGL' },
  'backend.name.wasm': { en: 'WebAssembly', zh: 'WebAssembly' },
  'backend.name.cpu': { en: 'CPU', zh: 'CPU' },

  'banner.fallback': {
    en: 'Training would run on a CPU fallback adapter ({adapter}) — expect it to be very slow. Use a computer with a GPU and an up-to-date driver for real training.',
    zh: '训练将在 CPU 后备适配器（{adapter}）上运行 —— 速度会非常慢。正式训练请使用带 GPU 且驱动较新的电脑。',
  },
  'banner.cpu': {
    en: 'Training would run on the {backend} backend (no GPU) — expect it to be slow.',
    zh: '训练将在 {backend} 后端（无 GPU）上运行 —— 速度会较慢。',
  },
  'banner.details': { en: 'Details', zh: '详情' },

  'soon.title': { en: 'Coming in a later release', zh: '将在后续版本中提供' },
  'soon.data': {
    en: 'Load photo/X-ray pairs from a folder or ZIP, check the pairing, preview cases and split them into training and evaluation sets.',
    zh: '从文件夹或 ZIP 导入照片/X 光片配对，检查配对情况，预览病例，并划分训练集与评估集。',
  },
  'soon.train': {
    en: 'Configure a pix2pix run (presets for the clinic), train on the GPU with live loss charts, pause and resume.',
    zh: '配置 pix2pix 训练（含诊所预设），在 GPU 上训练并实时查看损失曲线，可暂停与继续。',
  },
  'soon.evaluate': {
    en: 'Compare generated and real X-rays on the evaluation set with image metrics and side-by-side views.',
    zh: '在评估集上用图像指标和并排视图比较生成的与真实的 X 光片。',
  },
  'soon.landmarks': {
    en: 'Place and import cephalometric landmarks and compare measurements on real and generated X-rays.',
    zh: '标注和导入头影测量标志点，并比较真实与生成 X 光片上的测量值。',
  },
  'soon.checkpoints': {
    en: 'Keep, compare and export checkpoints, including the server format (PyTorch .pth) for round trips.',
    zh: '保存、比较和导出检查点，包括服务器格式（PyTorch .pth），便于往返使用。',
  },
} as const satisfies Record<string, Translation>;
