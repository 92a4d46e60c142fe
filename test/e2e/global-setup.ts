/**
 * vitest globalSetup of the `e2e` project: serve the BUILT app (dist/) on 127.0.0.1 and hand its
 * URL to the tests (`inject('baseUrl')`). `npm test` builds first; if dist/ is missing (running
 * `npx vitest run --project e2e` on a fresh clone) this builds it with `npx vite build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { serveStatic } from './server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:<port>/ serving dist/ */
    baseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = project.config.root;
  // STUDIO_DIST: serve another build folder (parallel work on one machine)
  const dist = resolve(root, process.env.STUDIO_DIST ?? 'dist');
  if (!existsSync(resolve(dist, 'index.html'))) {
    console.log('[e2e] dist/ is missing: running npx vite build');
    const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0)
      throw new Error('[e2e] `npx vite build` failed; fix the build, then run the e2e tests again.');
  }
  if (!existsSync('/usr/bin/chromium')) {
    throw new Error(
      '[e2e] /usr/bin/chromium is missing. Install Debian Chromium (as root): ' +
        'apt-get update && apt-get install -y --no-install-recommends chromium',
    );
  }
  const server = await serveStatic(dist);
  project.provide('baseUrl', server.url);
  return () => server.close();
}
