/**
 * The layering rules of ARCHITECTURE.md, checked on the source and on the build output:
 *  - no import cycle in src/ (static, type-only and dynamic imports all count; .ts files and the
 *    <script> blocks of .svelte files), each found cycle printed as a path;
 *  - `core/` imports nothing from engine/, store/ or ui/;
 *  - no import of `@tensorflow` from ui/ or store/ (type imports included), and none reachable from
 *    the page's entry (src/main.ts) through static value imports;
 *  - in the built app (dist/, or STUDIO_DIST like the e2e tests), TF.js is in no chunk the page loads
 *    at start (the entry chunk and its static imports): only in the engine worker's chunks and in
 *    chunks loaded by a dynamic import (the in-page home when no worker can run).
 * The parser is TypeScript's own (already a dev dependency), so multi-line and type imports are seen.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');

interface Edge {
  /** The specifier as written. */
  spec: string;
  /** Resolved file under src/ (null: a package or unresolved). */
  to: string | null;
  /** `import type` / `export type` / every named specifier type-only. */
  typeOnly: boolean;
  /** `import('…')`. */
  dynamic: boolean;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|svelte)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The TypeScript text of a file: a .svelte file's <script> blocks (module and instance). */
function scriptOf(file: string): string {
  const text = readFileSync(file, 'utf8');
  if (!file.endsWith('.svelte')) return text;
  const blocks: string[] = [];
  for (const m of text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) blocks.push(m[1]);
  return blocks.join('\n');
}

function resolveSpec(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.js$/, '');
  for (const c of [base, `${stem}.ts`, `${base}.ts`, `${base}.svelte`, join(base, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return null;
}

function importsOf(file: string): Edge[] {
  const sf = ts.createSourceFile(file, scriptOf(file), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Edge[] = [];
  const add = (spec: string, typeOnly: boolean, dynamic: boolean): void => {
    out.push({ spec, to: resolveSpec(file, spec), typeOnly, dynamic });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings : null;
      const typeOnly =
        !!c &&
        (c.isTypeOnly ||
          (!c.name && !!named && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly, false);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause : null;
      const typeOnly =
        node.isTypeOnly ||
        (!!named && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier.text, typeOnly, false);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0].text, false, true);
    } else if (ts.isImportTypeNode(node)) {
      // `typeof import('./x')` in a type position
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) add(arg.literal.text, true, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function buildGraph(files: readonly string[]): Map<string, Edge[]> {
  const g = new Map<string, Edge[]>();
  for (const f of files) g.set(f, importsOf(f));
  return g;
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
export function importCycles(graph: ReadonlyMap<string, readonly { to: string | null }[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const e of graph.get(v) ?? []) {
      const w = e.to;
      if (w === null || !graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).some((e) => e.to === v);
      if (comp.length > 1 || selfLoop) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return out;
}

/** One concrete cycle inside a component, as `a → b → a` (for the failure message). */
function cyclePath(graph: Map<string, Edge[]>, comp: readonly string[]): string {
  const inComp = new Set(comp);
  const start = comp[0];
  const prev = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const e of graph.get(v) ?? []) {
      if (e.to === null || !inComp.has(e.to)) continue;
      if (e.to === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
        return [...path, start].map((p) => relative(ROOT, p)).join(' → ');
      }
      if (!seen.has(e.to)) {
        seen.add(e.to);
        prev.set(e.to, v);
        queue.push(e.to);
      }
    }
  }
  return comp.map((p) => relative(ROOT, p)).join(', ');
}

const files = walk(SRC);
const graph = buildGraph(files);
const rel = (p: string): string => relative(SRC, p).split('\\').join('/');

describe('source layering (import graph of src/)', () => {
  it('the walker sees type imports, export-from, dynamic imports and .svelte scripts', () => {
    expect(files.length).toBeGreaterThan(100);
    // a known type-only import, a dynamic one and a .svelte file's script (guards the parser itself)
    const engineEdges = graph.get(join(SRC, 'engine/engineCore.ts'))!;
    expect(engineEdges.some((e) => e.dynamic && e.to?.endsWith('engine/demoData.ts'))).toBe(true);
    expect(engineEdges.some((e) => e.typeOnly && e.to?.endsWith('engine/protocol.ts'))).toBe(true);
    const app = graph.get(join(SRC, 'App.svelte'))!;
    expect(app.some((e) => e.to !== null)).toBe(true);
    // the cycle finder finds a planted two-file cycle and a self-import
    const planted = new Map<string, { to: string | null }[]>([
      ['a', [{ to: 'b' }]],
      ['b', [{ to: 'a' }, { to: 'c' }]],
      ['c', [{ to: 'c' }]],
      ['d', [{ to: 'a' }]],
    ]);
    expect(importCycles(planted)).toEqual([['c'], ['a', 'b']]);
  });

  it('has no import cycle (type and dynamic imports included)', () => {
    const cycles = importCycles(graph).map((c) => cyclePath(graph, c));
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([]);
  });

  it('resolves every relative import to a file under src/', () => {
    const broken: string[] = [];
    for (const [f, edges] of graph)
      for (const e of edges)
        if (e.spec.startsWith('.') && e.to === null && !/\.(css|svg|png|json|wasm)(\?.*)?$/.test(e.spec))
          broken.push(`${rel(f)}: ${e.spec}`);
    expect(broken).toEqual([]);
  });

  it('core/ imports nothing from engine/, store/ or ui/', () => {
    const bad: string[] = [];
    for (const [f, edges] of graph) {
      if (!rel(f).startsWith('core/')) continue;
      for (const e of edges)
        if (e.to && /^(engine|store|ui)\//.test(rel(e.to))) bad.push(`${rel(f)} → ${e.spec}`);
    }
    expect(bad).toEqual([]);
  });

  it('ui/ and store/ never import @tensorflow (type imports included)', () => {
    const bad: string[] = [];
    for (const [f, edges] of graph) {
      if (!/^(ui|store)\//.test(rel(f))) continue;
      for (const e of edges) if (e.spec.startsWith('@tensorflow')) bad.push(`${rel(f)} → ${e.spec}`);
    }
    expect(bad).toEqual([]);
  });

  it('TF.js is not reachable from the page entry through static value imports', () => {
    // what the page loads at start: src/main.ts and everything it imports statically for values
    const entry = join(SRC, 'main.ts');
    expect(graph.has(entry)).toBe(true);
    const via = new Map<string, string | null>([[entry, null]]);
    const queue = [entry];
    const hits: string[] = [];
    while (queue.length > 0) {
      const f = queue.shift()!;
      for (const e of graph.get(f) ?? []) {
        if (e.typeOnly || e.dynamic) continue;
        if (e.spec.startsWith('@tensorflow')) {
          const chain: string[] = [];
          for (let u: string | null = f; u !== null; u = via.get(u) ?? null) chain.unshift(rel(u));
          hits.push(`${chain.join(' → ')} → ${e.spec}`);
        }
        if (e.to && !via.has(e.to)) {
          via.set(e.to, f);
          queue.push(e.to);
        }
      }
    }
    expect(hits, hits.join('\n')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The build output
// ---------------------------------------------------------------------------------------------

const DIST = resolve(ROOT, process.env.STUDIO_DIST ?? 'dist');
const hasBuild = existsSync(join(DIST, 'index.html'));

/** Static imports of a built chunk (`import{…}from"./x.js"`, `import"./x.js"`, `export…from`). */
function chunkStaticImports(code: string): string[] {
  const out: string[] = [];
  const re =
    /(?:^|[;\s}])(?:import|export)\s*(?:\{[^}]*\}|\*\s*as\s*[\w$]+|[\w$]+(?:\s*,\s*\{[^}]*\})?)?\s*(?:from)?\s*["'](\.{1,2}\/[^"']+\.js)["']/g;
  for (const m of code.matchAll(re)) out.push(m[1]);
  return out;
}

/** The sources a chunk was built from (its source map), as written there. */
function chunkSources(chunk: string): string[] {
  const map = `${chunk}.map`;
  if (!existsSync(map)) return [];
  return (JSON.parse(readFileSync(map, 'utf8')) as { sources?: string[] }).sources ?? [];
}

const hasTf = (chunk: string): boolean => chunkSources(chunk).some((s) => s.includes('@tensorflow'));

describe.skipIf(!hasBuild)(`the built app (${relative(ROOT, DIST) || 'dist'})`, () => {
  it("TF.js is in none of the chunks the page loads at start, only in the worker's and dynamic ones", () => {
    const html = readFileSync(join(DIST, 'index.html'), 'utf8');
    const entries = [...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(entries.length).toBeGreaterThan(0);
    const start = new Set<string>();
    const queue = entries.map((e) => resolve(DIST, e));
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (start.has(c) || !existsSync(c)) continue;
      start.add(c);
      for (const s of chunkStaticImports(readFileSync(c, 'utf8'))) queue.push(resolve(dirname(c), s));
    }
    // modulepreload links are fetched at start too
    for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g))
      start.add(resolve(DIST, m[1]));
    expect(start.size).toBeGreaterThan(1);
    const withTf = [...start].filter(hasTf).map((c) => relative(DIST, c));
    expect(withTf, `chunks loaded at page start that contain TF.js: ${withTf.join(', ')}`).toEqual([]);
    // the check can fail: TF.js is in the build (the worker's chunks), and source maps name it
    const all = readdirSync(join(DIST, 'assets'))
      .filter((n) => n.endsWith('.js'))
      .map((n) => join(DIST, 'assets', n));
    expect(all.some(hasTf)).toBe(true);
  });
});
