/**
 * The engine's sentences about backends, the self-test and the environment report, en + zh
 * (moved here from engine/messages.ts so the one MESSAGES table in core can hold them; the engine
 * re-exports it).
 */
import type { MessageTable } from './form';

export const ENGINE_MESSAGES = {
  'backend.notInNode.webgpu': {
    en: 'WebGPU is not available in Node (it exists only in a browser)',
    zh: 'Node 中没有 WebGPU（只在浏览器中可用）',
  },
  'backend.notInNode.webgl': {
    en: 'WebGL is not available in Node (it exists only in a browser)',
    zh: 'Node 中没有 WebGL（只在浏览器中可用）',
  },
  'backend.webgpu.insecureContext': {
    en: 'WebGPU needs a secure page: open the studio over https:// or from localhost / 127.0.0.1',
    zh: 'WebGPU 需要安全页面：请通过 https:// 或 localhost / 127.0.0.1 打开工作室',
  },
  'backend.webgpu.noNavigatorGpu': {
    en:
      'navigator.gpu is missing — use Chrome/Edge 113+ (on Linux start Chrome with ' +
      '--enable-unsafe-webgpu or enable chrome://flags/#enable-unsafe-webgpu)',
    zh:
      '缺少 navigator.gpu —— 请使用 Chrome/Edge 113 或更高版本（Linux 上请用 ' +
      '--enable-unsafe-webgpu 启动 Chrome，或打开 chrome://flags/#enable-unsafe-webgpu）',
  },
  'backend.webgpu.noAdapter': {
    en:
      'no WebGPU adapter: the browser offered no GPU (check chrome://gpu; update the GPU driver; ' +
      'on Linux Chrome needs --enable-unsafe-webgpu)',
    zh:
      '没有 WebGPU 适配器：浏览器没有提供 GPU（请查看 chrome://gpu、更新显卡驱动；' +
      'Linux 上 Chrome 需要 --enable-unsafe-webgpu）',
  },
  'backend.webgpu.fallbackAdapter': {
    en:
      'only a CPU fallback adapter ({description}): training will be very slow — ' +
      'use a machine with a GPU and an up-to-date driver for real training',
    zh: '只有 CPU 后备适配器（{description}）：训练会非常慢 —— 正式训练请使用带 GPU 且驱动较新的电脑',
  },
  'backend.webgpu.adapterError': {
    en: 'asking the browser for a WebGPU adapter failed: {error}',
    zh: '向浏览器请求 WebGPU 适配器失败：{error}',
  },
  'backend.initFailed': {
    en: 'the {backend} backend did not start: {error}',
    zh: '{backend} 后端未能启动：{error}',
  },
  'backend.initFailedConsole': {
    en: 'the {backend} backend did not start (the browser console has the details)',
    zh: '{backend} 后端未能启动（详情见浏览器控制台）',
  },
  'backend.webgl.noContext': {
    en: 'WebGL2 is not available in this browser (or it is disabled for this GPU)',
    zh: '此浏览器不支持 WebGL2（或已对此 GPU 禁用）',
  },
  'backend.webgl.float16': {
    en:
      'WebGL float precision is 16-bit: training would lose precision (choose WebGL explicitly ' +
      'to use it anyway; Adam epsilon is then 1e-4)',
    zh: 'WebGL 浮点精度只有 16 位：训练会损失精度（如仍要使用，请手动选择 WebGL；此时 Adam epsilon 为 1e-4）',
  },
  'backend.webgl.float16Chosen': {
    en: 'WebGL float precision is 16-bit: results differ from the server; Adam epsilon is set to 1e-4',
    zh: 'WebGL 浮点精度只有 16 位：结果会与服务器不同；Adam epsilon 设为 1e-4',
  },
  'backend.webgl.softwareRenderer': {
    en: 'WebGL runs on {renderer}, a CPU emulation of a GPU: training will be very slow',
    zh: 'WebGL 运行在 {renderer} 上，这是用 CPU 模拟的 GPU：训练会非常慢',
  },
  'backend.wasm.missing': {
    en: 'WebAssembly is not available in this browser',
    zh: '此浏览器不支持 WebAssembly',
  },
  'backend.wasm.noFilterGrad': {
    en:
      'WebAssembly has no built-in conv filter gradient; the studio computes it from other ops ' +
      '(checked by the self-test)',
    zh: 'WebAssembly 没有内置的卷积滤波器梯度；工作室用其他运算来计算它（由自检验证）',
  },
  'backend.cpu.slow': {
    en: 'the cpu backend is plain JavaScript: fine for tiny tests, far too slow for training',
    zh: 'cpu 后端是纯 JavaScript：只适合很小的测试，训练会慢得无法使用',
  },
  'backend.choiceUnavailable': {
    en: 'the backend you chose ({requested}) could not be used, so {backend} is used instead',
    zh: '您选择的后端（{requested}）无法使用，因此改用 {backend}',
  },
  'backend.notTriedChosen': {
    en: 'not tried: you chose {requested}',
    zh: '未尝试：您选择了 {requested}',
  },
  'selftest.passed': {
    en: 'self-test passed: {backend} agrees with the cpu reference within {tolerance}',
    zh: '自检通过：{backend} 与 cpu 参考结果的差异在 {tolerance} 以内',
  },
  'selftest.failed': {
    en:
      'self-test failed: {backend} differs from the cpu reference by up to {diff} (allowed {tolerance}); ' +
      'do not train on this backend — choose another one above',
    zh: '自检失败：{backend} 与 cpu 参考结果最大相差 {diff}（允许 {tolerance}）；请不要在此后端上训练 —— 请在上方选择其他后端',
  },
  'selftest.error': {
    en: 'self-test could not run on {backend}: {error}',
    zh: '自检无法在 {backend} 上运行：{error}',
  },
  'selftest.missingKernel': {
    en:
      'self-test could not run on {backend}: the kernel {kernel} is missing, so training on this ' +
      'backend would fail — choose another backend',
    zh: '自检无法在 {backend} 上运行：缺少算子 {kernel}，在此后端上训练会失败 —— 请选择其他后端',
  },
  // --- labels of the environment report (Markdown export and the Environment page) ---
  'report.title': { en: 'Ceph GAN Studio — environment report', zh: 'Ceph GAN Studio —— 运行环境报告' },
  'report.generatedAt': { en: 'Generated', zh: '生成时间' },
  'report.appVersion': { en: 'Studio version', zh: '工作室版本' },
  'report.section.backend': { en: 'Backend', zh: '计算后端' },
  'report.section.browser': { en: 'Browser', zh: '浏览器' },
  'report.section.node': { en: 'Node', zh: 'Node' },
  'report.section.adapter': { en: 'WebGPU adapter', zh: 'WebGPU 适配器' },
  'report.section.limits': { en: 'WebGPU limits', zh: 'WebGPU 限制' },
  'report.section.features': { en: 'WebGPU features', zh: 'WebGPU 特性' },
  'report.section.selftest': { en: 'Numerical self-test', zh: '数值自检' },
  'report.section.storage': { en: 'Storage', zh: '存储' },
  'report.section.warnings': { en: 'Warnings', zh: '警告' },
  'report.section.skipped': { en: 'Backends not used', zh: '未使用的后端' },
  'report.section.notes': { en: 'Notes', zh: '说明' },
  'report.item': { en: 'Item', zh: '项目' },
  'report.value': { en: 'Value', zh: '值' },
  'report.none': { en: 'none', zh: '无' },
  'report.unknown': { en: 'unknown', zh: '未知' },
  'report.notRun': { en: 'not run', zh: '未运行' },
  'report.yes': { en: 'yes', zh: '是' },
  'report.no': { en: 'no', zh: '否' },
  'report.backend': { en: 'Backend in use', zh: '当前后端' },
  'report.requested': { en: 'Requested', zh: '请求的后端' },
  'report.requestedAuto': {
    en: 'automatic (webgpu → webgl → wasm → cpu)',
    zh: '自动（webgpu → webgl → wasm → cpu）',
  },
  'report.runtime': { en: 'Runs in', zh: '运行于' },
  'report.floatPrecision': { en: 'Float precision', zh: '浮点精度' },
  'report.bits': { en: '{bits}-bit', zh: '{bits} 位' },
  'report.adamEpsilon': { en: 'Adam epsilon (passed explicitly)', zh: 'Adam epsilon（显式传入）' },
  'report.tfjsVersion': { en: 'TF.js version', zh: 'TF.js 版本' },
  'report.userAgent': { en: 'User agent', zh: 'User agent' },
  'report.brands': { en: 'Browser brands', zh: '浏览器品牌' },
  'report.platform': { en: 'Platform', zh: '平台' },
  'report.language': { en: 'Browser language', zh: '浏览器语言' },
  'report.cores': { en: 'Logical CPU cores', zh: '逻辑 CPU 核心数' },
  'report.deviceMemory': { en: 'Device memory (approx.)', zh: '设备内存（约）' },
  'report.secureContext': { en: 'Secure context', zh: '安全上下文' },
  'report.crossOriginIsolated': { en: 'Cross-origin isolated', zh: '跨源隔离' },
  'report.nodeVersion': { en: 'Node version', zh: 'Node 版本' },
  'report.vendor': { en: 'Vendor', zh: '厂商' },
  'report.architecture': { en: 'Architecture', zh: '架构' },
  'report.device': { en: 'Device', zh: '设备' },
  'report.description': { en: 'Description', zh: '描述' },
  'report.isFallbackAdapter': {
    en: 'CPU fallback adapter (isFallbackAdapter)',
    zh: 'CPU 后备适配器（isFallbackAdapter）',
  },
  'report.noAdapter': { en: 'no WebGPU adapter', zh: '没有 WebGPU 适配器' },
  'report.maxBufferSize': { en: 'Largest buffer (maxBufferSize)', zh: '最大缓冲区（maxBufferSize）' },
  'report.maxStorageBufferBindingSize': {
    en: 'Largest storage binding (maxStorageBufferBindingSize)',
    zh: '最大存储绑定（maxStorageBufferBindingSize）',
  },
  'report.maxComputeWorkgroupStorageSize': {
    en: 'Workgroup shared memory (maxComputeWorkgroupStorageSize)',
    zh: '工作组共享内存（maxComputeWorkgroupStorageSize）',
  },
  'report.shaderF16': { en: '16-bit float shaders (shader-f16)', zh: '16 位浮点着色器（shader-f16）' },
  'report.timestampQuery': { en: 'GPU timers (timestamp-query)', zh: 'GPU 计时（timestamp-query）' },
  'report.allFeatures': { en: 'All features', zh: '全部特性' },
  'report.selftest.verdict': { en: 'Result', zh: '结果' },
  'report.selftest.passed': { en: 'passed', zh: '通过' },
  'report.selftest.failed': { en: 'FAILED', zh: '失败' },
  'report.selftest.quantity': { en: 'Quantity', zh: '量' },
  'report.selftest.maxAbsDiff': { en: 'max |difference|', zh: '最大绝对差' },
  'report.selftest.maxAbsRef': { en: 'max |cpu value|', zh: 'cpu 值最大绝对值' },
  'report.selftest.allowed': { en: 'allowed', zh: '允许' },
  'report.selftest.duration': {
    en: 'Time: {ms} ms on {backend}, {refMs} ms on cpu',
    zh: '用时：{backend} 上 {ms} 毫秒，cpu 上 {refMs} 毫秒',
  },
  'report.selftest.network': {
    en: 'conv 4×4/2 (3→8) → BatchNorm → LeakyReLU → conv-transpose 4×4/2 (8→3) → tanh, input 2×16×16×3; forward and gradients compared with the cpu backend',
    zh: '卷积 4×4/2（3→8）→ 批归一化 → LeakyReLU → 转置卷积 4×4/2（8→3）→ tanh，输入 2×16×16×3；前向与梯度均与 cpu 后端比较',
  },
  'report.q.forward': { en: 'forward output', zh: '前向输出' },
  'report.q.dInput': { en: 'gradient w.r.t. input', zh: '对输入的梯度' },
  'report.q.dConvFilter': { en: 'gradient w.r.t. conv filter', zh: '对卷积核的梯度' },
  'report.q.dConvTFilter': { en: 'gradient w.r.t. conv-transpose filter', zh: '对转置卷积核的梯度' },
  'report.q.dGamma': { en: 'gradient w.r.t. BatchNorm scale (γ)', zh: '对批归一化缩放（γ）的梯度' },
  'report.q.dBeta': { en: 'gradient w.r.t. BatchNorm shift (β)', zh: '对批归一化偏移（β）的梯度' },
  'report.storage.usage': { en: 'Used by this studio', zh: '本工作室已用' },
  'report.storage.quota': { en: 'Available to this studio (quota)', zh: '本工作室可用（配额）' },
  'report.storage.persisted': {
    en: 'Persistent (not evicted under disk pressure)',
    zh: '持久化（磁盘紧张时不会被清除）',
  },
  'report.storage.unavailable': { en: 'the browser does not report storage', zh: '浏览器未提供存储信息' },
} as const satisfies MessageTable;
