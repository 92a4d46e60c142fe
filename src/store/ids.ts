/**
 * Time-sortable ids: `<prefix><ms since epoch, base36, 9 chars><random, 8 chars>`.
 * Sorting ids as strings sorts by creation time (to the millisecond), so listing keys in key order
 * lists datasets, runs and checkpoint versions oldest first without reading their records.
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomChars(n: number): string {
  const bytes = new Uint8Array(n);
  globalThis.crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % 36];
  return s;
}

export function newId(prefix: string, nowMs: number = Date.now()): string {
  return `${prefix}${Math.floor(nowMs).toString(36).padStart(9, '0')}${randomChars(8)}`;
}

/** Creation time of an id made by `newId` with this prefix, or null when it is not one. */
export function idTimeMs(id: string, prefix: string): number | null {
  if (!id.startsWith(prefix) || id.length !== prefix.length + 17) return null;
  const t = parseInt(id.slice(prefix.length, prefix.length + 9), 36);
  return Number.isFinite(t) ? t : null;
}
