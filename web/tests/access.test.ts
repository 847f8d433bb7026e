import { describe, expect, it } from 'vitest';
import { can, diagnosticTabs, grantableRoles, homePage } from '../src/lib/access';

describe('what each role sees', () => {
  it('keeps the audit log for directors', () => {
    expect(can('director', 'audit')).toBe(true);
    expect(can('coordinator', 'audit')).toBe(false);
    expect(can('walker', 'team')).toBe(false);
  });

  it('shows the quota board to the field staff and the weighting to the direction (as the server does)', () => {
    expect(can('coordinator', 'quotas')).toBe(true);
    expect(can('trainer', 'quotas')).toBe(true);
    expect(can('walker', 'quotas')).toBe(false);
    expect(can('director', 'weighting')).toBe(true);
    expect(can('coordinator', 'weighting')).toBe(false);
  });

  it('gives coders the coding and nothing else; directors make coders, coordinators do not', () => {
    expect(can('coder', 'diagnostic')).toBe(true);
    for (const p of ['overview', 'territories', 'map', 'team', 'field', 'turfs', 'questionnaires'] as const) {
      expect(can('coder', p)).toBe(false);
    }
    expect(homePage('coder')).toBe('diagnostic');
    expect(homePage('walker')).toBe('overview');
    expect(diagnosticTabs('coder')).toEqual(['coding']);
    expect(diagnosticTabs('coordinator')).toContain('themes');
    expect(grantableRoles('director')).toContain('coder');
    expect(grantableRoles('coordinator')).not.toContain('coder');
    expect(grantableRoles('coder')).toEqual([]);
  });

  it('gives the paper keying screen to coordinators and the direction only (as the server does)', () => {
    for (const r of ['admin', 'director', 'coordinator'] as const) expect(can(r, 'paper')).toBe(true);
    for (const r of ['trainer', 'walker', 'coder'] as const) expect(can(r, 'paper')).toBe(false);
  });

  it('never lets a role grant more than it holds', () => {
    expect(grantableRoles('coordinator')).not.toContain('coordinator');
    expect(grantableRoles('coordinator')).not.toContain('director');
    expect(grantableRoles('walker')).toEqual([]);
    expect(grantableRoles('director')).not.toContain('admin');
  });
});
