/**
 * The environment report: one plain data object (browser/Node, backend choice and why, WebGPU
 * adapter, self-test, storage) and its two exports, Markdown (for people, in either language) and
 * JSON (for tools). The browser counterpart of the clinic's GPU check report. No DOM: the
 * collectors take the navigator-like object they read, so everything is testable in Node.
 */
import type { BackendSelection } from './backend';
import { ENGINE_MESSAGES, fillTemplate, messageText, type Lang, type Params } from './messages';
import type { SelfTestResult } from './selftest';

export const ENV_REPORT_SCHEMA = 'ceph-gan-studio/env-report@1';

export interface BrowserInfo {
  userAgent: string;
  /** userAgentData brands, e.g. "Chromium 156" (empty where the browser has no userAgentData) */
  brands: string[];
  platform: string;
  language: string;
  hardwareConcurrency?: number;
  /** navigator.deviceMemory, GiB (coarse, capped at 8 by browsers) */
  deviceMemoryGiB?: number;
  secureContext: boolean;
  crossOriginIsolated: boolean;
}

export interface NodeInfo {
  version: string;
  platform: string;
  arch: string;
}

export interface StorageInfo {
  /** false when navigator.storage.estimate is missing */
  available: boolean;
  usageBytes?: number;
  quotaBytes?: number;
  persisted?: boolean;
}

export interface EnvReport {
  schema: typeof ENV_REPORT_SCHEMA;
  /** ISO 8601 */
  generatedAt: string;
  app: { name: string; version: string };
  browser?: BrowserInfo;
  node?: NodeInfo;
  selection: BackendSelection;
  selfTest?: SelfTestResult;
  storage?: StorageInfo;
}

export function buildEnvReport(parts: {
  appVersion: string;
  selection: BackendSelection;
  browser?: BrowserInfo;
  node?: NodeInfo;
  selfTest?: SelfTestResult;
  storage?: StorageInfo;
  now?: Date;
}): EnvReport {
  return {
    schema: ENV_REPORT_SCHEMA,
    generatedAt: (parts.now ?? new Date()).toISOString(),
    app: { name: 'Ceph GAN Studio', version: parts.appVersion },
    browser: parts.browser,
    node: parts.node,
    selection: parts.selection,
    selfTest: parts.selfTest,
    storage: parts.storage,
  };
}

interface NavigatorLike {
  userAgent?: string;
  platform?: string;
  language?: string;
  hardwareConcurrency?: number;
  deviceMemory?: number;
  userAgentData?: { brands?: { brand: string; version: string }[]; platform?: string };
  storage?: {
    estimate?: () => Promise<{ usage?: number; quota?: number }>;
    persisted?: () => Promise<boolean>;
  };
}

export function collectBrowserInfo(
  nav: NavigatorLike = (globalThis.navigator ?? {}) as unknown as NavigatorLike,
  scope: { isSecureContext?: boolean; crossOriginIsolated?: boolean } = globalThis,
): BrowserInfo {
  const brands = (nav.userAgentData?.brands ?? [])
    .filter((b) => !/not.?a.?brand/i.test(b.brand))
    .map((b) => `${b.brand} ${b.version}`);
  return {
    userAgent: nav.userAgent ?? '',
    brands,
    platform: nav.userAgentData?.platform || nav.platform || '',
    language: nav.language ?? '',
    hardwareConcurrency: nav.hardwareConcurrency,
    deviceMemoryGiB: nav.deviceMemory,
    secureContext: scope.isSecureContext === true,
    crossOriginIsolated: scope.crossOriginIsolated === true,
  };
}

/** navigator.storage figures; never throws. */
export async function collectStorage(
  nav: NavigatorLike = (globalThis.navigator ?? {}) as unknown as NavigatorLike,
): Promise<StorageInfo> {
  const storage = nav.storage;
  if (!storage || typeof storage.estimate !== 'function') return { available: false };
  try {
    const est = await storage.estimate();
    const persisted = typeof storage.persisted === 'function' ? await storage.persisted() : undefined;
    return { available: true, usageBytes: est.usage, quotaBytes: est.quota, persisted };
  } catch {
    return { available: false };
  }
}

/** Binary units with three significant digits: 512 B, 16.0 KiB, 256 MiB, 1.00 GiB. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${v} B`;
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${units[u]}`;
}

export function reportToJson(report: EnvReport): string {
  return JSON.stringify(
    report,
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
    2,
  );
}

type LabelKey = keyof typeof ENGINE_MESSAGES & `report.${string}`;

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The report as Markdown, every label in `lang`. */
export function reportToMarkdown(report: EnvReport, lang: Lang = 'en'): string {
  const L = (key: LabelKey, params?: Params): string => fillTemplate(ENGINE_MESSAGES[key][lang], params);
  const yesNo = (b: boolean | undefined): string =>
    b === undefined ? L('report.unknown') : b ? L('report.yes') : L('report.no');
  const out: string[] = [];
  const table = (rows: [string, string][]): void => {
    out.push(`| ${L('report.item')} | ${L('report.value')} |`, '|---|---|');
    for (const [k, v] of rows) out.push(`| ${mdEscape(k)} | ${mdEscape(v)} |`);
    out.push('');
  };
  const list = (items: string[]): void => {
    if (items.length === 0) out.push(`- ${L('report.none')}`);
    for (const i of items) out.push(`- ${i}`);
    out.push('');
  };
  const sel = report.selection;

  out.push(`# ${L('report.title')}`, '');
  out.push(`${L('report.generatedAt')}: ${report.generatedAt}  `);
  out.push(`${L('report.appVersion')}: ${report.app.version}`, '');

  out.push(`## ${L('report.section.backend')}`, '');
  table([
    [L('report.backend'), sel.backend],
    [L('report.requested'), sel.requested === 'auto' ? L('report.requestedAuto') : sel.requested],
    [L('report.runtime'), sel.runtime],
    [L('report.floatPrecision'), L('report.bits', { bits: sel.floatPrecision })],
    [L('report.adamEpsilon'), sel.adamEpsilon.toExponential(0)],
    ...Object.entries(sel.versions).map(([k, v]): [string, string] => [
      `${L('report.tfjsVersion')} (${k})`,
      v,
    ]),
  ]);
  out.push(`### ${L('report.section.warnings')}`, '');
  list(sel.warnings.map((w) => messageText(w, lang)));
  out.push(`### ${L('report.section.skipped')}`, '');
  list(sel.skipped.map((s) => `**${s.backend}**: ${messageText(s.reason, lang)}`));
  if (sel.notes.length > 0) {
    out.push(`### ${L('report.section.notes')}`, '');
    list(sel.notes.map((n) => messageText(n, lang)));
  }

  if (report.browser) {
    const b = report.browser;
    out.push(`## ${L('report.section.browser')}`, '');
    table([
      [L('report.userAgent'), b.userAgent],
      [L('report.brands'), b.brands.join(', ') || L('report.unknown')],
      [L('report.platform'), b.platform || L('report.unknown')],
      [L('report.language'), b.language || L('report.unknown')],
      [
        L('report.cores'),
        b.hardwareConcurrency !== undefined ? String(b.hardwareConcurrency) : L('report.unknown'),
      ],
      [
        L('report.deviceMemory'),
        b.deviceMemoryGiB !== undefined ? `${b.deviceMemoryGiB} GiB` : L('report.unknown'),
      ],
      [L('report.secureContext'), yesNo(b.secureContext)],
      [L('report.crossOriginIsolated'), yesNo(b.crossOriginIsolated)],
    ]);
  }
  if (report.node) {
    out.push(`## ${L('report.section.node')}`, '');
    table([
      [L('report.nodeVersion'), report.node.version],
      [L('report.platform'), `${report.node.platform} ${report.node.arch}`],
    ]);
  }

  out.push(`## ${L('report.section.adapter')}`, '');
  const a = sel.adapter;
  if (!a) {
    const why = sel.skipped.find((s) => s.backend === 'webgpu');
    out.push(`${L('report.noAdapter')}${why ? `: ${messageText(why.reason, lang)}` : ''}`, '');
  } else {
    table([
      [L('report.vendor'), a.vendor || L('report.unknown')],
      [L('report.architecture'), a.architecture || L('report.unknown')],
      [L('report.device'), a.device || L('report.unknown')],
      [L('report.description'), a.description || L('report.unknown')],
      [L('report.isFallbackAdapter'), yesNo(a.isFallbackAdapter)],
    ]);
    out.push(`### ${L('report.section.limits')}`, '');
    const lim = (n: number): string => `${formatBytes(n)} (${n} B)`;
    table([
      [L('report.maxBufferSize'), lim(a.limits.maxBufferSize)],
      [L('report.maxStorageBufferBindingSize'), lim(a.limits.maxStorageBufferBindingSize)],
      [L('report.maxComputeWorkgroupStorageSize'), lim(a.limits.maxComputeWorkgroupStorageSize)],
    ]);
    out.push(`### ${L('report.section.features')}`, '');
    table([
      [L('report.shaderF16'), yesNo(a.features.shaderF16)],
      [L('report.timestampQuery'), yesNo(a.features.timestampQuery)],
      [L('report.allFeatures'), a.features.all.join(', ') || L('report.none')],
    ]);
  }

  out.push(`## ${L('report.section.selftest')}`, '');
  const st = report.selfTest;
  if (!st) {
    out.push(L('report.notRun'), '');
  } else {
    out.push(`${L('report.selftest.network')}`, '');
    out.push(
      `**${L('report.selftest.verdict')}: ${st.passed ? L('report.selftest.passed') : L('report.selftest.failed')}** — ${messageText(st.message, lang)}`,
      '',
    );
    if (st.checks.length > 0) {
      out.push(
        `| ${L('report.selftest.quantity')} | ${L('report.selftest.maxAbsDiff')} | ${L('report.selftest.maxAbsRef')} | ${L('report.selftest.allowed')} | ${L('report.selftest.verdict')} |`,
        '|---|---|---|---|---|',
      );
      for (const c of st.checks) {
        out.push(
          `| ${L(`report.q.${c.quantity}`)} | ${c.maxAbsDiff.toExponential(2)} | ${c.maxAbsRef.toPrecision(3)} | ${c.allowed.toExponential(2)} | ${c.passed ? L('report.selftest.passed') : L('report.selftest.failed')} |`,
        );
      }
      out.push('');
      out.push(
        L('report.selftest.duration', {
          ms: Math.round(st.durationMs),
          refMs: Math.round(st.referenceDurationMs),
          backend: st.backend,
        }),
        '',
      );
    }
  }

  if (report.storage) {
    const s = report.storage;
    out.push(`## ${L('report.section.storage')}`, '');
    if (!s.available) {
      out.push(L('report.storage.unavailable'), '');
    } else {
      table([
        [L('report.storage.usage'), formatBytes(s.usageBytes)],
        [L('report.storage.quota'), formatBytes(s.quotaBytes)],
        [L('report.storage.persisted'), yesNo(s.persisted)],
      ]);
    }
  }
  return out.join('\n');
}
