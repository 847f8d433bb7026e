import { describe, expect, it } from 'vitest';
import { clearProfile, codeFromHash, loadProfile, profileOf, saveProfile } from '../src/field/state';
import type { Session } from '../src/lib/api';

const session: Session = {
  user: { id: 'u', email: null, display_name: 'Nadia', is_admin: false },
  csrf_token: 'secret-csrf',
  campaigns: [
    {
      campaign: { id: 'c', slug: 'paris-2027', name: 'Paris 2027', retention_until: null, created_at: '2026-11-26T00:00:00Z' },
      role: 'walker',
      territories: [{ id: 't', kind: 'arrondissement', code: '75118', name: 'Paris 18e Arrondissement' }],
    },
  ],
};

describe('the profile kept on the phone', () => {
  it('round-trips and holds no secret', () => {
    const p = profileOf(session, new Date('2026-11-26T10:00:00Z'));
    saveProfile(p, localStorage);
    expect(loadProfile(localStorage)).toEqual(p);
    expect(JSON.stringify(p)).not.toContain('secret-csrf');
    clearProfile(localStorage);
    expect(loadProfile(localStorage)).toBeNull();
  });

  it('ignores garbage', () => {
    localStorage.setItem('terrain.field.profile', '{not json');
    expect(loadProfile(localStorage)).toBeNull();
    localStorage.setItem('terrain.field.profile', '{"name": 3}');
    expect(loadProfile(localStorage)).toBeNull();
  });
});

describe('invite links', () => {
  it('reads the code from the fragment', () => {
    expect(codeFromHash('#join=abcde-fghjk')).toBe('ABCDE-FGHJK');
    expect(codeFromHash('#x=1&join=ABCDE-FGHJK')).toBe('ABCDE-FGHJK');
    expect(codeFromHash('#join=<script>')).toBe('');
    expect(codeFromHash('')).toBe('');
  });
});
