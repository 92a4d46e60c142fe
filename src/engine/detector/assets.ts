/**
 * The detector shipped with the studio: `public/detector/detector.json` + `weights.safetensors`,
 * fetched from the app's own origin relative to the app base (the service worker precaches them,
 * so this works offline). In Node the engine is given a file reader instead (EngineCoreOptions).
 */

/** Folder of the shipped detector, relative to the app base. */
export const SHIPPED_DETECTOR_DIR = 'detector/';

/** Reads one file of the app's static assets (e.g. `detector/detector.json`). */
export type AssetReader = (path: string) => Promise<Uint8Array>;

/**
 * The app base URL as seen from here: the document's base in the page; in a worker (built into
 * `<base>/assets/` by Vite, or served from `<base>/src/…` in dev) the folder above those.
 */
export function appBaseUrl(): string {
  const g = globalThis as { document?: { baseURI?: string }; location?: { href: string } };
  if (g.document?.baseURI) return g.document.baseURI;
  const href = g.location?.href;
  if (!href) throw new Error('no app base URL here (not a page or a worker)');
  const u = new URL(href);
  for (const marker of ['/assets/', '/src/', '/@fs/']) {
    const i = u.pathname.indexOf(marker);
    if (i >= 0) return new URL(u.pathname.slice(0, i + 1), u.origin).href;
  }
  return new URL('./', u).href;
}

/** The default reader: same-origin fetch relative to the app base. */
export const fetchAsset: AssetReader = async (path) => {
  const url = new URL(path, appBaseUrl());
  const res = await fetch(url.href);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
};
