#!/usr/bin/env node
/**
 * `npm test`: the one test command. Makes sure the system tools the tests need are present
 * (Debian chromium for e2e, the CJK font fonts-wqy-microhei so the 简体中文 screenshots are legible
 * instead of empty boxes, python3-torch for the PyTorch parity tests), then runs
 * lint, type check, build, and every vitest project (unit, parity, e2e), and ends with one summary line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';

const results = [];
const t0 = Date.now();

function run(name, cmd, args, opts = {}) {
  const start = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  const ok = r.status === 0;
  results.push({ name, ok, seconds: (Date.now() - start) / 1000 });
  return ok;
}

function have(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}

/** A font with Simplified Chinese glyphs (the e2e screenshots in zh are looked at). */
function hasCjkFont() {
  if (existsSync('/usr/share/fonts/truetype/wqy/wqy-microhei.ttc')) return true;
  const r = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim().length > 0;
}

function ensureSystemTools() {
  const need = [];
  if (!existsSync('/usr/bin/chromium')) need.push('chromium');
  if (!hasCjkFont()) need.push('fonts-wqy-microhei');
  if (!have('/usr/bin/python3', ['-c', 'import torch, numpy'])) need.push('python3-torch', 'python3-numpy');
  if (need.length === 0) return true;
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${need.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && have('sh', ['-c', 'command -v apt-get'])) {
    console.log(`Installing missing system packages for the tests: ${need.join(', ')}`);
    return run('install system packages', 'sh', ['-c', cmd], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  console.error(
    `\nThe tests need Debian packages that are missing: ${need.join(', ')}.\nRun as root:\n  ${cmd}\nthen run npm test again.`,
  );
  results.push({ name: 'system packages', ok: false, seconds: 0 });
  return false;
}

mkdirSync('test-results', { recursive: true });
const toolsOk = ensureSystemTools();
run('lint (eslint)', 'npx', ['eslint', '.']);
run('format (prettier --check)', 'npx', ['prettier', '--check', '.']);
run('type check (svelte-check)', 'npx', [
  'svelte-check',
  '--tsconfig',
  './tsconfig.json',
  '--fail-on-warnings',
]);
run('type check (tsc, node)', 'npx', ['tsc', '-p', 'tsconfig.node.json', '--noEmit']);
const built = run('build (vite)', 'npx', ['vite', 'build', '--logLevel', 'warn']);

let passed = 0;
let failed = 0;
let skipped = 0;
if (toolsOk && built) {
  run('tests (vitest: unit, parity, e2e)', 'npx', [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    '--outputFile.json=test-results/vitest.json',
  ]);
  if (existsSync('test-results/vitest.json')) {
    const j = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
    passed = j.numPassedTests ?? 0;
    failed = (j.numFailedTests ?? 0) + (j.numRuntimeErrorTests ?? 0);
    skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
    if (j.numTotalTestSuites && j.testResults) {
      const brokenFiles = j.testResults.filter(
        (f) => f.status === 'failed' && f.assertionResults.length === 0,
      );
      failed += brokenFiles.length;
    }
  } else {
    failed += 1;
  }
}

console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}  (${r.seconds.toFixed(1)} s)`);
const stepFailures = results.filter((r) => !r.ok && !r.name.startsWith('tests')).length;
console.log(`total time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(
  `tests: ${passed} passed, ${failed + stepFailures} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
process.exit(failed + stepFailures === 0 && results.every((r) => r.ok) ? 0 : 1);
