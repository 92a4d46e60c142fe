/**
 * The landmark overlay component rendered on the server (Svelte SSR, no DOM): one marker per
 * present point at its exact coordinates in the image frame, colours by landmark, the full
 * localised name as <title>, labels per mode (always / hover / off) placed without overlap,
 * the secondary set hollow with a line to its primary point.
 */
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import { ISBI_LANDMARKS } from '../../src/core/data/landmarkSet';
import type { Point } from '../../src/core/image';
import { landmarkColor } from '../../src/core/landmarks/labels';
import LandmarkOverlay from '../../src/ui/landmarks/LandmarkOverlay.svelte';
import { landmarkNames } from '../../src/ui/landmarks/overlayText';

const SYMBOLS = ISBI_LANDMARKS.map((l) => l.id);
const W = 1935;
const H = 2400;
const POINTS: (Point | null)[] = ISBI_LANDMARKS.map((l) => [l.x * W, l.y * H]);

function html(props: Record<string, unknown>): string {
  return render(LandmarkOverlay, {
    props: { points: POINTS, width: W, height: H, symbols: SYMBOLS, ...props },
  }).body;
}
const all = (s: string, re: RegExp) => [...s.matchAll(re)];

describe('LandmarkOverlay (SSR)', () => {
  it('one marker per present point at its frame coordinates, coloured by landmark, with the full name', () => {
    const pts = [...POINTS];
    pts[4] = null;
    const out = html({ points: pts, names: landmarkNames(SYMBOLS, undefined, 'zh'), labels: 'always' });
    expect(out).toContain(`viewBox="0 0 ${W} ${H}"`);
    expect(out).toContain('data-count="18"');
    const markers = all(out, /<circle class="lmo-pt[^"]*" cx="([\d.]+)" cy="([\d.]+)"/g);
    expect(markers).toHaveLength(18);
    expect(Number(markers[0][1])).toBeCloseTo(POINTS[0]![0], 6);
    expect(Number(markers[0][2])).toBeCloseTo(POINTS[0]![1], 6);
    expect(out).toContain(`--c: ${landmarkColor(9)}`);
    expect(out).toContain('<title>Go — 下颌角点 (Gonion)</title>');
    expect(out).not.toContain('data-landmark="A"');
    // 'always': a text per placed label, symbols as text
    const texts = all(out, /<text [^>]*>([^<]+)<\/text>/g).map((m) => m[1]);
    expect(texts.sort()).toEqual(SYMBOLS.filter((s) => s !== 'A').sort());
  });

  it('labels: hover marks every group for hover, off draws no text, always only the ones without room', () => {
    const hover = html({ labels: 'hover' });
    expect(all(hover, /class="lmo-lm [^"]*lmo-hover"/g)).toHaveLength(19);
    const off = html({ labels: 'off' });
    expect(all(off, /<text /g)).toHaveLength(0);
    expect(all(off, /<title>/g)).toHaveLength(19);
    const always = html({ labels: 'always' });
    const hidden = Number(/data-hidden-labels="(\d+)"/.exec(always)![1]);
    expect(all(always, /class="lmo-lm [^"]*lmo-hover"/g)).toHaveLength(hidden);
  });

  it('the secondary set is drawn hollow with a line to the primary point', () => {
    const sec: (Point | null)[] = POINTS.map((p, i) => (p && i < 3 ? [p[0] + 20, p[1] - 10] : null));
    const out = html({ secondary: sec, labels: 'off', interactive: false });
    const g = all(out, /<g class="lmo-sec[^"]*"[^>]*>(.*?)<\/g>/g);
    expect(g).toHaveLength(3);
    expect(g[0][1]).toMatch(
      new RegExp(`<line x1="${POINTS[0]![0]}" y1="${POINTS[0]![1]}" x2="${POINTS[0]![0] + 20}"`),
    );
    expect(out).not.toContain('lmo-hit'); // not interactive: no hover targets
  });
});
