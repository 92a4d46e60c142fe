/**
 * Collect the files of a drop or a file picker as `ImportInput`s (path relative to the drop).
 * Runs in the page (the entries API exists only there); the Files then go to the import worker.
 *
 * Folders are walked recursively. `readEntries()` returns at most 100 entries per call in
 * Chromium, so each directory is read until a call returns none. Errors reading one folder are
 * collected, not thrown, so the rest of the drop is still imported.
 */
import type { ImportInput } from './fileIndex';

/** The parts of FileSystemEntry the walker uses (so tests can fake them). */
export interface EntryLike {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  file?(ok: (f: File) => void, fail?: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: EntryLike[]) => void, fail?: (e: unknown) => void): void };
}

export interface WalkResult {
  inputs: ImportInput[];
  /** Folders or files that could not be read, with the browser's reason. */
  errors: { path: string; message: string }[];
}

function errText(e: unknown): string {
  return e instanceof Error
    ? e.message
    : e && typeof e === 'object' && 'name' in e
      ? String((e as { name: unknown }).name)
      : String(e);
}

/** Every entry of a directory: readEntries until it returns an empty batch. */
export async function readAllEntries(dir: EntryLike): Promise<EntryLike[]> {
  const reader = dir.createReader!();
  const all: EntryLike[] = [];
  for (;;) {
    const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/** Walk entries (files and folders) into inputs with paths `folder/sub/file`. */
export async function walkEntries(entries: readonly EntryLike[], base = ''): Promise<WalkResult> {
  const out: WalkResult = { inputs: [], errors: [] };
  const visit = async (e: EntryLike, prefix: string): Promise<void> => {
    const path = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isFile && e.file) {
      try {
        const f = await new Promise<File>((ok, fail) => e.file!(ok, fail));
        out.inputs.push({ path, blob: f });
      } catch (err) {
        out.errors.push({ path, message: errText(err) });
      }
    } else if (e.isDirectory && e.createReader) {
      let children: EntryLike[];
      try {
        children = await readAllEntries(e);
      } catch (err) {
        out.errors.push({ path: `${path}/`, message: errText(err) });
        return;
      }
      for (const c of children) await visit(c, path);
    }
  };
  for (const e of entries) await visit(e, base);
  return out;
}

/** Inputs from a drop: folders walked, loose files as they are. Call synchronously in the drop handler. */
export function collectDrop(dt: DataTransfer): Promise<WalkResult> {
  // the entries must be taken before the handler returns (the DataTransfer is emptied afterwards)
  const entries: EntryLike[] = [];
  const loose: File[] = [];
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.() as EntryLike | null | undefined;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  return walkEntries(entries).then((r) => {
    for (const f of loose) r.inputs.push({ path: f.name, blob: f });
    return r;
  });
}

/** Inputs from `<input type=file>` (multiple files, or a folder with webkitdirectory). */
export function collectFiles(files: FileList | readonly File[]): WalkResult {
  const inputs: ImportInput[] = Array.from(files).map((f) => ({
    path: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name,
    blob: f,
  }));
  return { inputs, errors: [] };
}
