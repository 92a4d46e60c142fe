import { describe, expect, it } from 'vitest';
import type { BackendSelection } from '../../src/engine/backend';
import {
  buildEnvReport,
  collectBrowserInfo,
  collectStorage,
  formatBytes,
  reportToJson,
  reportToMarkdown,
} from '../../src/engine/envReport';
import { engineMessage } from '../../src/engine/messages';
import type { SelfTestResult } from '../../src/engine/selftest';

const GiB = 1024 ** 3;

const selection: BackendSelection = {
  backend: 'webgpu',
  requested: 'auto',
  runtime: 'browser',
  floatPrecision: 32,
  adamEpsilon: 1e-7,
  adapter: {
    vendor: 'google',
    architecture: 'swiftshader',
    device: '',
    description: 'SwiftShader device (Subzero)',
    isFallbackAdapter: true,
    limits: { maxBufferSize: GiB, maxStorageBufferBindingSize: GiB, maxComputeWorkgroupStorageSize: 16384 },
    features: { shaderF16: false, timestampQuery: true, all: ['subgroups', 'timestamp-query'] },
  },
  skipped: [],
  warnings: [
    engineMessage('backend.webgpu.fallbackAdapter', { description: 'SwiftShader device (Subzero)' }),
  ],
  notes: [],
  versions: { tfjs: '4.22.0', 'tfjs-core': '4.22.0' },
};

const selfTest: SelfTestResult = {
  backend: 'webgpu',
  reference: 'cpu',
  passed: true,
  tolerance: 1e-3,
  maxAbsDiff: 2.4e-6,
  checks: [
    { quantity: 'forward', maxAbsDiff: 1.2e-7, maxAbsRef: 0.93, allowed: 1e-3, passed: true },
    { quantity: 'dConvFilter', maxAbsDiff: 2.4e-6, maxAbsRef: 12.5, allowed: 1.25e-2, passed: true },
  ],
  durationMs: 812.4,
  referenceDurationMs: 95.2,
  message: engineMessage('selftest.passed', { backend: 'webgpu', tolerance: '1e-3' }),
};

const report = buildEnvReport({
  appVersion: '0.1.0',
  selection,
  selfTest,
  browser: {
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0',
    brands: ['Chromium 156'],
    platform: 'Linux',
    language: 'en-US',
    hardwareConcurrency: 2,
    secureContext: true,
    crossOriginIsolated: false,
  },
  storage: { available: true, usageBytes: 5 * 1024 * 1024, quotaBytes: 60 * GiB, persisted: false },
  now: new Date('2026-11-22T10:00:00Z'),
});

describe('formatBytes', () => {
  it('uses binary units with three significant digits', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(16384)).toBe('16.0 KiB');
    expect(formatBytes(268435456)).toBe('256 MiB');
    expect(formatBytes(GiB)).toBe('1.00 GiB');
    expect(formatBytes(1.5 * GiB)).toBe('1.50 GiB');
    expect(formatBytes(undefined)).toBe('?');
  });
});

describe('env report', () => {
  it('JSON carries every field and round-trips', () => {
    const j = JSON.parse(reportToJson(report));
    expect(j.schema).toBe('ceph-gan-studio/env-report@1');
    expect(j.generatedAt).toBe('2026-11-22T10:00:00.000Z');
    expect(j.selection.backend).toBe('webgpu');
    expect(j.selection.adapter.isFallbackAdapter).toBe(true);
    expect(j.selection.adapter.limits.maxBufferSize).toBe(GiB);
    expect(j.selection.warnings[0].code).toBe('backend.webgpu.fallbackAdapter');
    expect(j.selfTest.passed).toBe(true);
    expect(j.selfTest.checks[1].maxAbsDiff).toBe(2.4e-6);
    expect(j.browser.brands).toEqual(['Chromium 156']);
    expect(j.storage.quotaBytes).toBe(60 * GiB);
  });

  it('JSON keeps non-finite numbers readable', () => {
    const bad = buildEnvReport({
      appVersion: '0',
      selection,
      selfTest: { ...selfTest, maxAbsDiff: Number.NaN },
    });
    expect(JSON.parse(reportToJson(bad)).selfTest.maxAbsDiff).toBe('NaN');
  });

  it('Markdown (English) contains the backend, adapter, limits, features, self-test and storage', () => {
    const md = reportToMarkdown(report, 'en');
    expect(md).toContain('# Ceph GAN Studio — environment report');
    expect(md).toContain('| Backend in use | webgpu |');
    expect(md).toContain('| CPU fallback adapter (isFallbackAdapter) | yes |');
    expect(md).toContain('| Architecture | swiftshader |');
    expect(md).toContain('| Largest buffer (maxBufferSize) | 1.00 GiB (1073741824 B) |');
    expect(md).toContain('| Workgroup shared memory (maxComputeWorkgroupStorageSize) | 16.0 KiB (16384 B) |');
    expect(md).toContain('| 16-bit float shaders (shader-f16) | no |');
    expect(md).toContain('| GPU timers (timestamp-query) | yes |');
    expect(md).toContain(
      '- only a CPU fallback adapter (SwiftShader device (Subzero)): training will be very slow',
    );
    expect(md).toContain('| gradient w.r.t. conv filter | 2.40e-6 | 12.5 | 1.25e-2 | passed |');
    expect(md).toContain('Time: 812 ms on webgpu, 95 ms on cpu');
    expect(md).toContain('| Used by this studio | 5.00 MiB |');
    expect(md).toContain('| Available to this studio (quota) | 60.0 GiB |');
    expect(md).toContain('| Persistent (not evicted under disk pressure) | no |');
    expect(md).toContain('| Browser brands | Chromium 156 |');
  });

  it('Markdown (Chinese) uses Chinese labels and messages', () => {
    const md = reportToMarkdown(report, 'zh');
    expect(md).toContain('# Ceph GAN Studio —— 运行环境报告');
    expect(md).toContain('| 当前后端 | webgpu |');
    expect(md).toContain('只有 CPU 后备适配器');
    expect(md).not.toContain('Backend in use');
  });

  it('Markdown says why there is no adapter (Node)', () => {
    const md = reportToMarkdown(
      buildEnvReport({
        appVersion: '0',
        selection: {
          ...selection,
          backend: 'wasm',
          runtime: 'node',
          adapter: undefined,
          warnings: [],
          skipped: [{ backend: 'webgpu', reason: engineMessage('backend.notInNode.webgpu') }],
        },
        node: { version: 'v20.20.2', platform: 'linux', arch: 'x64' },
      }),
    );
    expect(md).toContain('no WebGPU adapter: WebGPU is not available in Node');
    expect(md).toContain('- **webgpu**: WebGPU is not available in Node');
    expect(md).toContain('| Node version | v20.20.2 |');
    expect(md).toContain('## Numerical self-test\n\nnot run');
  });
});

describe('collectors', () => {
  it('read brands (without the GREASE brand) and platform from userAgentData', () => {
    const b = collectBrowserInfo(
      {
        userAgent: 'UA',
        platform: 'Linux x86_64',
        language: 'zh-CN',
        hardwareConcurrency: 8,
        deviceMemory: 8,
        userAgentData: {
          brands: [
            { brand: 'Chromium', version: '156' },
            { brand: 'Not_A Brand', version: '24' },
          ],
          platform: 'Linux',
        },
      },
      { isSecureContext: true, crossOriginIsolated: false },
    );
    expect(b.brands).toEqual(['Chromium 156']);
    expect(b.platform).toBe('Linux');
    expect(b.deviceMemoryGiB).toBe(8);
    expect(b.secureContext).toBe(true);
  });

  it('storage: figures when estimate exists, unavailable otherwise', async () => {
    const s = await collectStorage({
      storage: { estimate: async () => ({ usage: 10, quota: 100 }), persisted: async () => true },
    });
    expect(s).toEqual({ available: true, usageBytes: 10, quotaBytes: 100, persisted: true });
    expect(await collectStorage({})).toEqual({ available: false });
    expect(
      await collectStorage({
        storage: {
          estimate: async () => {
            throw new Error('denied');
          },
        },
      }),
    ).toEqual({ available: false });
  });
});
