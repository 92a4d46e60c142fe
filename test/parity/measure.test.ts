/**
 * Parity of the cephalometric measurements with an independent computation: every ISBI 2015
 * measurement (and the Steiner / Tweed ones the ISBI landmarks define) on the 10 real fixture films
 * (`../shared/fixtures/isbi2015-sample/senior.csv`, senior clinician's landmarks) equals what a
 * numpy re-statement of the challenge's definitions gives. The Python below is written from the
 * definitions (arccos of normalised dot products, numpy cross products for the signs, feet of
 * perpendiculars), not translated from measure.ts. A missing numpy fails the test with the
 * apt-get line (it never skips).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ISBI_LANDMARKS } from '../../src/core/data/landmarkSet';
import { measureAnalysis, parseTracingCsv } from '../../src/core/landmarks';
import { messageText } from '../../src/core/messages';
import { PYTHON } from './python';

const CSV = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'shared',
  'fixtures',
  'isbi2015-sample',
  'senior.csv',
);

const SCRIPT = String.raw`
import csv, json, sys
import numpy as np

rows = list(csv.reader(sys.stdin))
names = ['S','N','Or','Po','A','B','Pog','Me','Gn','Go','L1','U1','Ls','Li','Sn','PogS','PNS','ANS','Ar']
MM = 0.1

def ang(u, v):
    u = np.asarray(u, float); v = np.asarray(v, float)
    c = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))

def cr(u, v):
    return float(np.cross(np.append(u, 0.0), np.append(v, 0.0))[2])

def signed_from_line(P, A, B):
    # distance of P from line A-B; positive when P lies anterior (larger x) of its foot
    d = B - A
    t = np.dot(P - A, d) / np.dot(d, d)
    F = A + t * d
    return float(np.linalg.norm(P - F) * np.sign(P[0] - F[0]))

out = {}
for r in rows[1:]:
    if not r: continue
    v = np.array([float(x) for x in r[1:39]]).reshape(19, 2)
    p = {n: v[i] for i, n in enumerate(names)}
    S, N, A, B = p['S'], p['N'], p['A'], p['B']
    sna = ang(S - N, A - N)
    snb = ang(S - N, B - N)
    # ODI: MP (Me->Go) to AB (B->A), plus FH (Po->Or) to PP (PNS->ANS), negative when cross < 0
    fh, pp = p['Or'] - p['Po'], p['ANS'] - p['PNS']
    fh_pp = ang(fh, pp) * (-1.0 if cr(fh, pp) < 0 else 1.0)
    odi = ang(p['Go'] - p['Me'], A - B) + fh_pp
    # APDI: facial angle (Or->Po, N->Pog) + AB to facial plane (negative when cross > 0) + FH-PP
    fp = p['Pog'] - N
    ab = B - A
    apdi = ang(p['Po'] - p['Or'], fp) + ang(fp, ab) * (-1.0 if cr(fp, ab) > 0 else 1.0) + fh_pp
    fhi = np.linalg.norm(p['Go'] - S) / np.linalg.norm(p['Me'] - N)
    fma_isbi = ang(N - S, p['Gn'] - p['Go'])
    mw = np.linalg.norm(p['U1'] - p['L1']) * MM * (-1.0 if p['U1'][0] < p['L1'][0] else 1.0)
    sn = N - S
    out[r[0]] = {
        'SNA': sna, 'SNB': snb, 'ANB': sna - snb, 'ODI': odi, 'APDI': apdi, 'FHI': float(fhi),
        'FMA_ISBI': fma_isbi, 'MW': float(mw),
        'GOGN_SN': ang(sn, p['Gn'] - p['Go']),
        'FMA_TWEED': ang(fh, p['Me'] - p['Go']),
        'U1_NA_MM': signed_from_line(p['U1'], N, A) * MM,
        'L1_NB_MM': signed_from_line(p['L1'], N, B) * MM,
        'POG_NB_MM': signed_from_line(p['Pog'], N, B) * MM,
        'S_L': float(np.dot(p['Pog'] - S, sn) / np.linalg.norm(sn)) * MM,
    }
print(json.dumps(out))
`;

function numpyReference(csvText: string): Record<string, Record<string, number>> {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy']);
  if (probe.status !== 0)
    throw new Error(
      `This parity test needs numpy for ${PYTHON}. Run as root:\n  apt-get update && apt-get install -y python3-numpy`,
    );
  const r = spawnSync(PYTHON, ['-c', SCRIPT], { input: csvText, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`numpy reference failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, Record<string, number>>;
}

describe('measurements on the 10 ISBI fixture films equal an independent numpy computation', () => {
  const text = readFileSync(CSV, 'utf8');
  const parsed = parseTracingCsv(text, CSV);
  if (!parsed.ok) throw new Error(messageText(parsed.error.message, 'en'));
  const symbols = ISBI_LANDMARKS.map((l) => l.id);
  const ref = numpyReference(text);

  it('reads the 10 films', () => {
    expect(parsed.rows.map((r) => r.imagePath)).toEqual(
      Array.from({ length: 10 }, (_, i) => `${String(i + 1).padStart(3, '0')}.jpg`),
    );
    expect(Object.keys(ref)).toHaveLength(10);
  });

  it.each(['isbi2015', 'all'])('every %s measurement the ISBI landmarks define', (analysis) => {
    let compared = 0;
    for (const row of parsed.rows) {
      const studio = measureAnalysis(analysis, row.points, symbols, 0.1);
      const py = ref[row.imagePath];
      for (const m of studio) {
        if (m.id in py) {
          expect(m.value, `${row.imagePath} ${m.id}`).not.toBeNull();
          expect(
            Math.abs(m.value! - py[m.id]),
            `${row.imagePath} ${m.id}: ${m.value} vs numpy ${py[m.id]}`,
          ).toBeLessThan(1e-9);
          compared++;
        } else {
          // the rest need landmarks ISBI does not have: unavailable, with the symbols named
          expect(m.value, `${row.imagePath} ${m.id}`).toBeNull();
          expect(m.missing.length).toBeGreaterThan(0);
        }
      }
    }
    expect(compared).toBe(analysis === 'isbi2015' ? 80 : 140);
  });

  it('the ISBI classes follow from the values (the films span several classes)', () => {
    const classes = new Set<string>();
    for (const row of parsed.rows) {
      for (const m of measureAnalysis('isbi2015', row.points, symbols, 0.1)) {
        const v = ref[row.imagePath][m.id];
        if (m.id === 'MW' && v > 0 && v < 2) expect(m.classification).toBeUndefined();
        else expect(m.classification?.code, `${row.imagePath} ${m.id} = ${v}`).toMatch(/^C[1-4]$/);
        if (m.id === 'ANB') classes.add(m.classification!.code);
      }
    }
    expect(classes.size).toBeGreaterThan(1);
  });
});
