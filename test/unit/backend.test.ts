import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  BACKEND_ORDER,
  adapterLabel,
  detectRuntime,
  probeWebGpu,
  recommendedAdamEpsilon,
  selectBackend,
  type AdapterReport,
} from '../../src/engine/backend';
import { ENGINE_MESSAGES, engineMessage, fillTemplate, messageText } from '../../src/engine/messages';

describe('backend selection in Node', () => {
  it('detects the Node runtime', () => {
    expect(detectRuntime()).toBe('node');
  });

  it('skips webgpu and webgl with reasons and chooses wasm', async () => {
    const sel = await selectBackend('auto');
    expect(sel.runtime).toBe('node');
    expect(sel.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(sel.skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
    expect(sel.skipped[0].reason.code).toBe('backend.notInNode.webgpu');
    expect(sel.skipped[0].reason.text).toBe('WebGPU is not available in Node (it exists only in a browser)');
    expect(sel.skipped[1].reason.code).toBe('backend.notInNode.webgl');
    expect(sel.adapter).toBeUndefined();
    expect(sel.floatPrecision).toBe(32);
    expect(sel.adamEpsilon).toBe(1e-7);
    expect(sel.warnings).toEqual([]);
    // TF.js 4.22 wasm has no Conv2DBackpropFilter: the note says the studio supplies it.
    expect(sel.notes.map((n) => n.code)).toEqual(['backend.wasm.noFilterGrad']);
    expect(sel.versions.tfjs).toBe('4.22.0');
    expect(sel.versions['tfjs-backend-wasm']).toBe('4.22.0');
  });

  it('honours an explicit cpu choice and warns that it is slow', async () => {
    const sel = await selectBackend('cpu');
    expect(sel.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(sel.skipped).toEqual([]);
    expect(sel.warnings.map((w) => w.code)).toEqual(['backend.cpu.slow']);
  });

  it('falls back in order when the explicit choice cannot run, and says so', async () => {
    const sel = await selectBackend('webgpu');
    expect(sel.backend).toBe('wasm');
    expect(sel.skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
    expect(sel.warnings[0].code).toBe('backend.choiceUnavailable');
    expect(sel.warnings[0].text).toBe(
      'the backend you chose (webgpu) could not be used, so wasm is used instead',
    );
  });

  it('serialises concurrent selections (the last call wins)', async () => {
    const [a, b] = await Promise.all([selectBackend('cpu'), selectBackend('wasm')]);
    expect(a.backend).toBe('cpu');
    expect(b.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('probeWebGpu explains a missing navigator.gpu in a browser-like runtime', async () => {
    // Node 20 has a navigator without gpu.
    const r = await probeWebGpu('browser');
    expect('reason' in r && r.reason.code).toBe('backend.webgpu.noNavigatorGpu');
  });

  it('keeps the documented order', () => {
    expect(BACKEND_ORDER).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
  });
});

describe('recommendedAdamEpsilon', () => {
  it('is 1e-4 only on 16-bit (or unknown-precision) webgl', () => {
    expect(recommendedAdamEpsilon('webgl', 16)).toBe(1e-4);
    expect(recommendedAdamEpsilon('webgl')).toBe(1e-4);
    expect(recommendedAdamEpsilon('webgl', 32)).toBe(1e-7);
    expect(recommendedAdamEpsilon('webgpu')).toBe(1e-7);
    expect(recommendedAdamEpsilon('wasm')).toBe(1e-7);
    expect(recommendedAdamEpsilon('cpu')).toBe(1e-7);
  });
});

describe('adapterLabel', () => {
  const base: AdapterReport = {
    vendor: 'google',
    architecture: 'swiftshader',
    device: '',
    description: 'SwiftShader device (Subzero)',
    isFallbackAdapter: true,
    limits: { maxBufferSize: 1, maxStorageBufferBindingSize: 1, maxComputeWorkgroupStorageSize: 1 },
    features: { shaderF16: false, timestampQuery: true, all: ['timestamp-query'] },
  };
  it('names SwiftShader as a CPU fallback', () => {
    expect(adapterLabel(base)).toBe('SwiftShader (CPU fallback)');
  });
  it('names a real GPU by vendor and architecture', () => {
    expect(
      adapterLabel({ ...base, vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false }),
    ).toBe('nvidia ampere');
    expect(
      adapterLabel({
        ...base,
        vendor: '',
        architecture: '',
        description: 'Intel Arc',
        isFallbackAdapter: false,
      }),
    ).toBe('Intel Arc');
  });
});

describe('engine messages', () => {
  it('fill placeholders and keep unknown ones visible', () => {
    expect(fillTemplate('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
  it('render in both languages with the same placeholders', () => {
    const m = engineMessage('backend.initFailed', { backend: 'webgl', error: 'boom' });
    expect(m.text).toBe('the webgl backend did not start: boom');
    expect(messageText(m, 'zh')).toBe('webgl 后端未能启动：boom');
    for (const [code, t] of Object.entries(ENGINE_MESSAGES)) {
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort();
      expect(names(t.zh), code).toEqual(names(t.en));
      expect(t.en.length, code).toBeGreaterThan(0);
      expect(t.zh.length, code).toBeGreaterThan(0);
    }
  });
});
