/**
 * The checkpoint KeyValueStorage on the filesystem (Node only): key `a/b/c` is the file
 * `<root>/a/b/c`. Each file is written to a temporary name and renamed into place, so a file is
 * either absent or complete; `writeCheckpointAtomically` adds the version pointer on top, so a
 * whole checkpoint is either the old one or the new one.
 *
 * A checkpoint written as `<out>/last` therefore looks like:
 *   <out>/last/current                 the id of the complete version (text)
 *   <out>/last/<version>/manifest.json
 *   <out>/last/<version>/G.safetensors  D.safetensors  optim.safetensors
 */
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { KeyValueStorage } from '../core/train/checkpoint';

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() && !e.name.endsWith('.partial')) out.push(p);
  }
  return out;
}

export function createFsStorage(root: string): KeyValueStorage {
  const pathOf = (key: string): string => {
    if (key.split('/').some((p) => p === '..' || p === '')) throw new Error(`invalid storage key "${key}"`);
    return join(root, ...key.split('/'));
  };
  return {
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async put(key, value) {
      const p = pathOf(key);
      await mkdir(dirname(p), { recursive: true });
      const tmp = `${p}.${process.pid}.partial`;
      await writeFile(tmp, value);
      await rename(tmp, p);
    },
    async delete(key) {
      const p = pathOf(key);
      await rm(p, { force: true });
      // remove directories left empty, up to the root
      for (let d = dirname(p); d.startsWith(root) && d !== root; d = dirname(d)) {
        try {
          await rmdir(d);
        } catch {
          break;
        }
      }
    },
    async list(prefix) {
      const files = await walk(root);
      return files.map((f) => relative(root, f).split(sep).join('/')).filter((k) => k.startsWith(prefix));
    },
  };
}
