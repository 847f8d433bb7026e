import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/api';
import { can } from '../src/lib/access';
import { TURF_COLORS, formatMetres, formatMinutes, toggle, turfColor } from '../src/lib/turf-api';
import { cutSummary, errorText } from '../src/dashboard/turfs';
import { hullColor, stopTitle } from '../src/dashboard/turf-map';
import type { CutResult, Turf } from '../src/lib/turf-api';

const turf = (number: number, status: Turf['status'] = 'planned'): Turf => ({
  id: `t${number}`, bureau_id: 'b', bureau_code: '75056_1801', bureau_name: 'Bureau 18-01', number, label: '',
  status, stops: 10, doors: 80, length_m: 900, minutes: 150, on_network: false, polsby_popper: 0.8,
  revision: 1, checkout: null, done_at: null, updated_at: '2026-11-26T10:00:00Z',
});

describe('turfs', () => {
  it('gives each turf number a stable colour, and handed-out turfs their status colour', () => {
    expect(turfColor(1)).toBe(TURF_COLORS[0]);
    expect(turfColor(13)).toBe(TURF_COLORS[0]);
    expect(turfColor(2)).not.toBe(turfColor(1));
    expect(hullColor(turf(2))).toBe(turfColor(2));
    expect(hullColor(turf(2, 'done'))).toBe('#9aa0a6');
    expect(hullColor(undefined)).toBe('#c8c8c8');
  });

  it('writes lengths and durations the French way', () => {
    expect(formatMetres(845)).toBe('850 m');
    expect(formatMetres(1234)).toBe('1,2 km');
    expect(formatMinutes(155.4)).toBe('2 h 35');
    expect(formatMinutes(45)).toBe('45 min');
  });

  it('toggles picked stops without changing the old set', () => {
    const a = new Set(['x']);
    const b = toggle(a, 'y');
    expect([...b].sort()).toEqual(['x', 'y']);
    expect([...toggle(b, 'x')]).toEqual(['y']);
    expect([...a]).toEqual(['x']);
  });

  it('says what a cut did and why a change was refused, in French', () => {
    const r: CutResult = {
      turfs: 14, on_network: false,
      bureaux: [
        { bureau_id: 'a', code: 'a', name: 'Bureau 18-01', outcome: 'recut', reason: null, version: 2, turfs: 14, stops: 120, doors: 1100, quality: null, summary: { kept_locked: 2 } },
        { bureau_id: 'b', code: 'b', name: 'Bureau 18-02', outcome: 'skipped', reason: 'no address', version: null, turfs: 0, stops: 0, doors: 0, quality: null, summary: null },
      ],
    };
    const s = cutSummary(r);
    expect(s).toContain('14 secteurs dans 1 bureau');
    expect(s).toContain('2 secteur(s) confié(s)');
    expect(s).toContain('Bureau 18-02');
    expect(errorText(new ApiError(409, 'turf_locked', 'locked'))).toMatch(/^Ce secteur est confié/);
    expect(errorText(new ApiError(0, 'network', 'x'))).toMatch(/Pas de réseau/);
    expect(errorText(new Error('boom'))).toContain('boom');
  });

  it('names each stop for screen readers and tests', () => {
    expect(stopTitle(turf(3), { position: 5, label: '12 Rue Ordener', doors: 4 })).toBe('Secteur 3 · arrêt 5 : 12 Rue Ordener (4 portes)');
  });

  it('shows the turfs page to those who cut or hand out turfs, not to walkers', () => {
    expect(can('coordinator', 'turfs')).toBe(true);
    expect(can('trainer', 'turfs')).toBe(true);
    expect(can('walker', 'turfs')).toBe(false);
  });
});
