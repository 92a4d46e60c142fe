/**
 * What an import reads: dropped files, folders (paths `folder/sub/file`) and ZIPs as ImportSources
 * (bytes or a Blob, read only when needed), ZIP and torch-zip expansion, and the path helpers the
 * other checkpoint modules share. Framework-free; part of engine/checkpoint (see index.ts).
 */
import { CheckpointFormatError } from '../../core/io/checkpointError';
import { listZip, looksLikeZip, readZipEntry } from '../../core/io/zip';
import { errorText } from '../../core/errors';

/** One dropped or picked file: its path relative to the drop (`folder/sub/file`) and its bytes on demand. */
export interface ImportSource {
  path: string;
  size: number;
  read(): Promise<Uint8Array>;
}

export function sourceFromBytes(path: string, bytes: Uint8Array): ImportSource {
  return { path, size: bytes.length, read: async () => bytes };
}

export function sourceFromBlob(path: string, blob: Blob): ImportSource {
  return { path, size: blob.size, read: async () => new Uint8Array(await blob.arrayBuffer()) };
}

/** Files an import looks at; everything else (images, logs of the web/ folder, …) is listed as ignored. */
const RELEVANT = /\.(pth|pt|pkl|safetensors|json|bin|txt)$/i;
export const NETWORK_FILE = /\.(pth|pt|pkl|safetensors)$/i;
export const SERVER_G = /^(latest|\d+|iter_\d+)_net_G\.pth$/;
export const SERVER_TEXT = new Set(['train_opt.txt', 'loss_log.txt']);

function normPath(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^(\.\/|\/)+/, '')
    .replace(/\/{2,}/g, '/');
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(0, i) : '';
}

export function stemOf(path: string): string {
  return baseName(path).replace(/\.[^.]+$/, '');
}

/** Errors without a file name (a RangeError deep in a reader) get the file's name in front. */
export function namedError(path: string, e: unknown): CheckpointFormatError {
  const msg = errorText(e);
  if (e instanceof CheckpointFormatError && msg.includes(baseName(path))) return e;
  return new CheckpointFormatError(msg.includes(baseName(path)) ? msg : `${path}: ${msg}`);
}

export async function readSource(s: ImportSource): Promise<Uint8Array> {
  try {
    return await s.read();
  } catch (e) {
    throw new CheckpointFormatError(
      `${s.path}: the browser could not read the file (${errorText(e)}); copy it to a local disk and try again`,
    );
  }
}

/** A ZIP that is a torch.save file: every entry under one folder that holds data.pkl. */
function isTorchZip(names: readonly string[]): boolean {
  const top = new Set(names.map((n) => n.split('/')[0]));
  return top.size === 1 && names.some((n) => /^[^/]+\/data\.pkl$/.test(n));
}

interface Expanded {
  candidates: ImportSource[];
  ignored: IgnoredFile[];
}

/**
 * ZIP archives (other than torch.save files) are opened and their relevant entries become sources
 * `<zip path>/<entry>`; `datasets/` of a server bundle and irrelevant files are skipped unread.
 */
export async function expandSources(sources: readonly ImportSource[]): Promise<Expanded> {
  const candidates: ImportSource[] = [];
  const ignored: IgnoredFile[] = [];
  for (const raw of sources) {
    const s: ImportSource = { ...raw, path: normPath(raw.path) };
    if (/\.zip$/i.test(s.path)) {
      const bytes = await readSource(s);
      if (!looksLikeZip(bytes)) {
        throw new CheckpointFormatError(`${s.path}: the name ends in .zip but the file is not a ZIP archive`);
      }
      const entries = listZip(bytes, s.path).filter((e) => !e.name.endsWith('/'));
      if (isTorchZip(entries.map((e) => e.name))) {
        candidates.push(sourceFromBytes(`${s.path.slice(0, -4)}.pth`, bytes));
        continue;
      }
      for (const e of entries) {
        const inner = normPath(e.name);
        const path = `${s.path}/${inner}`;
        if (inner.startsWith('datasets/') || inner.startsWith('__MACOSX/') || !RELEVANT.test(inner)) {
          ignored.push({ path, reason: 'notCheckpoint' });
          continue;
        }
        candidates.push({ path, size: e.size, read: async () => readZipEntry(bytes, e, s.path) });
      }
      continue;
    }
    if (!RELEVANT.test(s.path)) {
      ignored.push({ path: s.path, reason: 'notCheckpoint' });
      continue;
    }
    candidates.push(s);
  }
  return { candidates, ignored };
}

/** Why a file of the drop was not used (a code the UI translates). */
export type IgnoredReason = 'notCheckpoint' | 'olderEpoch' | 'otherNetwork';

export interface IgnoredFile {
  path: string;
  reason: IgnoredReason;
}
