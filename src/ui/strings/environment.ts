/** Strings of the Environment page (labels shared with the report come from engine/messages.ts `report.*`). */
import type { Translation } from '../../engine/messages';

export const ENVIRONMENT_STRINGS = {
  'env.title': { en: 'Environment check', zh: '运行环境检查' },
  'env.intro': {
    en: 'What this browser offers for training: the compute backend and why it was chosen, the GPU, a numerical self-test and the storage for your data. Export the report for IT or support.',
    zh: '此浏览器可用于训练的条件：计算后端及其选择原因、GPU、数值自检以及数据存储。可导出报告交给 IT 或技术支持。',
  },
  'env.backend.choose': { en: 'Backend to use', zh: '使用的后端' },
  'env.backend.auto': { en: 'Automatic (best available)', zh: '自动（选择最佳可用）' },
  'env.backend.webgpu': { en: 'WebGPU (GPU)', zh: 'WebGPU（GPU）' },
  'env.backend.webgl': { en: 'WebGL (GPU, older)', zh: 'WebGL（GPU，较旧）' },
  'env.backend.wasm': { en: 'WebAssembly (CPU, fast)', zh: 'WebAssembly（CPU，较快）' },
  'env.backend.cpu': { en: 'CPU (plain JavaScript, slow)', zh: 'CPU（纯 JavaScript，慢）' },
  'env.backend.rerun': { en: 'Check again', zh: '重新检查' },
  'env.backend.detecting': { en: 'Detecting the backend…', zh: '正在检测后端…' },
  'env.backend.inUse': { en: 'In use', zh: '正在使用' },
  'env.backend.whyAuto': {
    en: 'Chosen automatically: the first backend that works in the order webgpu → webgl → wasm → cpu.',
    zh: '自动选择：按 webgpu → webgl → wasm → cpu 的顺序，第一个可用的后端。',
  },
  'env.backend.whyChosen': { en: 'Chosen by you.', zh: '由您选择。' },
  'env.backend.savedChoice': {
    en: 'Your choice is remembered in this browser and used for training.',
    zh: '您的选择会保存在此浏览器中，并用于训练。',
  },
  'env.backend.failed': { en: 'Backend detection failed: {error}', zh: '后端检测失败：{error}' },
  'env.adapter.none': { en: 'No WebGPU adapter.', zh: '没有 WebGPU 适配器。' },
  'env.selftest.run': { en: 'Run self-test again', zh: '重新运行自检' },
  'env.selftest.running': { en: 'Running the self-test…', zh: '正在运行自检…' },
  'env.selftest.explain': {
    en: 'Trains nothing and stores nothing: computes a small network block forward and backward on the backend in use and on the exact cpu backend, and compares every value.',
    zh: '不训练、不保存任何内容：在当前后端和精确的 cpu 后端上分别计算一个小网络块的前向与反向传播，并逐一比较所有数值。',
  },
  'env.selftest.tolerance': {
    en: 'Allowed difference: {tolerance} × max(1, largest cpu value).',
    zh: '允许的差异：{tolerance} × max(1, cpu 最大值)。',
  },
  'env.storage.persist': { en: 'Ask the browser to keep the data', zh: '请求浏览器持久保存数据' },
  'env.storage.persistExplain': {
    en: 'Persistent storage is not cleared when the disk runs low. Datasets and checkpoints can be large.',
    zh: '持久化存储在磁盘空间不足时不会被清除。数据集和检查点可能很大。',
  },
  'env.storage.granted': {
    en: 'Granted: the browser will keep this studio’s data.',
    zh: '已授予：浏览器将保留本工作室的数据。',
  },
  'env.storage.denied': {
    en: 'Not granted. Chrome grants it to sites you use often or have installed; your data is still stored, but may be cleared when the disk is full.',
    zh: '未授予。Chrome 会授予常用或已安装的网站；数据仍会保存，但磁盘已满时可能被清除。',
  },
  'env.storage.percent': { en: '{percent} % of the quota used', zh: '已使用配额的 {percent}%' },
  'env.export.title': { en: 'Export the report', zh: '导出报告' },
  'env.export.markdown': { en: 'Download report (Markdown)', zh: '下载报告（Markdown）' },
  'env.export.json': { en: 'Download report (JSON)', zh: '下载报告（JSON）' },
  'env.export.explain': {
    en: 'The report contains no images or patient data, only this computer’s capabilities.',
    zh: '报告不包含任何图像或患者数据，只包含本机的性能信息。',
  },
} as const satisfies Record<string, Translation>;
