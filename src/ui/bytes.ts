/**
 * The one size formatter of the page: binary units with one decimal (5.8 MiB, 1.2 GiB, 12.0 KiB,
 * 512 B), the same text as the engine's `formatBinaryBytes`, so a checkpoint, a dataset or the
 * browser's storage reads the same in every view.
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.max(0, bytes);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[i]}`;
}
