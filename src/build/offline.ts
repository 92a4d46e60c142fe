/// <reference types="node" />
/**
 * Vite build plugin: writes dist/sw.js (after the bundle is written) = src/build/sw.template.js with the complete list of the
 * build's files (every emitted chunk/asset + every file of public/, source maps excluded) and a
 * version hash of their contents, so the service worker precaches exactly this build and a new
 * build installs a new worker.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Plugin, ResolvedConfig } from 'vite';

function listFiles(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out; // no public/ folder
  }
  for (const name of entries) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(listFiles(full));
    else out.push(full);
  }
  return out;
}

export const SW_FILE = 'sw.js';

export function offlineServiceWorker(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'ceph-gan-studio:offline-service-worker',
    apply: 'build',
    configResolved(resolved) {
      config = resolved;
    },
    // writeBundle, not generateBundle: index.html joins the bundle late (vite:build-html).
    writeBundle(options, bundle) {
      const hash = createHash('sha256');
      const files: string[] = [];
      for (const [fileName, item] of Object.entries(bundle).sort(([a], [b]) => a.localeCompare(b))) {
        if (fileName.endsWith('.map') || fileName === SW_FILE) continue;
        files.push(fileName);
        hash.update(fileName);
        hash.update(item.type === 'chunk' ? item.code : item.source);
      }
      const publicDir = config.publicDir ? resolve(config.publicDir) : '';
      for (const full of publicDir ? listFiles(publicDir).sort() : []) {
        const fileName = relative(publicDir, full).split(sep).join('/');
        if (fileName === SW_FILE || fileName.endsWith('.map')) continue;
        // the shipped detector is precached (detector/detector.json + weights); its CLI resume state is not
        if (fileName.startsWith('detector/last/')) continue;
        files.push(fileName);
        hash.update(fileName);
        hash.update(readFileSync(full));
      }
      const template = readFileSync(resolve(config.root, 'src/build/sw.template.js'), 'utf8');
      hash.update(template);
      const version = hash.digest('hex').slice(0, 16);
      const precache = ['./', ...files];
      const outDir = options.dir ?? resolve(config.root, config.build.outDir);
      writeFileSync(
        join(outDir, SW_FILE),
        `const VERSION = ${JSON.stringify(version)};\n` +
          `const PRECACHE = ${JSON.stringify(precache, null, 1)};\n` +
          template,
      );
    },
  };
}
