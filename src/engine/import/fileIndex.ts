/**
 * The files of one import, whatever they came as: loose files (a drop, the file picker, a folder
 * walked in the page) and ZIP archives (indexed through their central directory, entries inflated
 * on demand). Each file is an `ImportFileRef` with its path relative to the drop and a way to get
 * its bytes as a Blob; the layout detection sees only paths and sizes.
 *
 * Paths inside a ZIP are prefixed with the archive's name (`cases.zip/photo/001.png`), so the
 * import report says which archive a file came from; the layout detection strips the common top
 * folder again. Framework-free (runs in the import worker and in Node tests).
 */
import type { FileProblem } from '../../core/data/dataset';
import { normalizePath } from '../../core/data/layout';
import {
  DEFAULT_ZIP_CAPS,
  blobAccess,
  extractZipEntry,
  indexZip,
  type RandomAccess,
  type ZipCaps,
  type ZipIndexEntry,
} from './zipIndex';

/** One dropped or picked file with its path relative to the drop (folders included). */
export interface ImportInput {
  path: string;
  blob: Blob;
}

export interface OpenOptions {
  /** Largest size accepted for this file, in bytes. */
  maxBytes: number;
  mime?: string;
  signal?: AbortSignal;
}

export interface ImportFileRef {
  /** Path as shown to the user and used by the layout detection. */
  path: string;
  /** Size in bytes (declared size for a ZIP entry). */
  size: number;
  /** The archive it is in, when it comes from a ZIP. */
  archive?: string;
  /** The bytes. Throws ZipEntryError (with a FileProblem) for a damaged or oversized ZIP entry. */
  open(opts: OpenOptions): Promise<Blob>;
}

export interface FileIndex {
  files: ImportFileRef[];
  byPath: Map<string, ImportFileRef>;
  /** Archives that could not be read or exceed the caps, nested ZIPs. */
  problems: FileProblem[];
  /** The archives read, with their entry counts and declared sizes. */
  archives: { path: string; entries: number; totalBytes: number }[];
}

export function isZipName(path: string): boolean {
  return /\.zip$/i.test(path);
}

function zipEntryRef(src: RandomAccess, zipPath: string, entry: ZipIndexEntry): ImportFileRef {
  const path = `${zipPath}/${normalizePath(entry.name)}`;
  return {
    path,
    size: entry.size,
    archive: zipPath,
    open: (o) =>
      extractZipEntry(src, zipPath, entry, {
        maxBytes: o.maxBytes,
        mime: o.mime,
        signal: o.signal,
        displayPath: path,
      }),
  };
}

/**
 * Index the inputs: loose files as they are, ZIPs expanded into their entries. Never throws for
 * bad input: an unreadable or oversized archive becomes a problem and its entries are left out.
 */
export async function buildFileIndex(
  inputs: readonly ImportInput[],
  caps: ZipCaps = DEFAULT_ZIP_CAPS,
  access: (blob: Blob) => RandomAccess = blobAccess,
): Promise<FileIndex> {
  const files: ImportFileRef[] = [];
  const problems: FileProblem[] = [];
  const archives: FileIndex['archives'] = [];
  for (const input of inputs) {
    const path = normalizePath(input.path);
    if (!isZipName(path)) {
      const blob = input.blob;
      files.push({ path, size: blob.size, open: async () => blob });
      continue;
    }
    const src = access(input.blob);
    const r = await indexZip(src, path, caps);
    if (!r.ok) {
      problems.push(r.problem);
      continue;
    }
    archives.push({ path, entries: r.index.entries.length, totalBytes: r.index.totalSize });
    for (const e of r.index.entries) {
      if (e.directory) continue;
      if (isZipName(e.name)) {
        problems.push({
          file: `${path}/${e.name}`,
          code: 'nested-zip',
          severity: 'error',
          message: `${path}/${e.name}: a ZIP inside a ZIP is not read. Extract it and import its contents.`,
        });
        continue;
      }
      files.push(zipEntryRef(src, path, e));
    }
  }
  const byPath = new Map<string, ImportFileRef>();
  for (const f of files) if (!byPath.has(f.path)) byPath.set(f.path, f);
  return { files, byPath, problems, archives };
}
