/**
 * Save data as a file through a temporary blob: URL: it stays on this computer (no request leaves
 * the page) and works under the app's CSP. The URL is revoked `keepUrlMs` later (a save dialog may
 * still be reading it).
 */
export function downloadBlob(filename: string, blob: Blob, keepUrlMs = 30_000): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), keepUrlMs);
}

/** Save bytes as a file (see downloadBlob). */
export function downloadBytes(filename: string, bytes: Uint8Array, mime: string): void {
  downloadBlob(filename, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }));
}

/** Save text as a file (see downloadBlob). */
export function downloadText(filename: string, text: string, mime: string): void {
  downloadBlob(filename, new Blob([text], { type: mime }));
}
