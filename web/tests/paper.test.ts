// The keying screen's reading of what a coordinator types: digits pick the n-th option, a
// scale takes its range, o/y/n a yes/no; anything else is no answer (and stays on screen).
import { describe, expect, it } from 'vitest';
import { parseTyped } from '../src/dashboard/paper';
import type { Question } from '../src/lib/questionnaire';

const opts = [{ value: 'emploi', label: 'L’emploi' }, { value: 'sante', label: 'La santé' }];
const q = (over: Partial<Question>): Question => ({ key: 'k', text: 'K ?', kind: 'open', ...over });

describe('parseTyped', () => {
  it('picks the n-th option of a choice or a coded profile field', () => {
    expect(parseTyped(q({ kind: 'single_choice', options: opts }), '2', opts)).toBe('sante');
    expect(parseTyped(q({ kind: 'single_choice', options: opts }), '3', opts)).toBeUndefined();
    expect(parseTyped(q({ kind: 'single_choice', options: opts }), '0', opts)).toBeUndefined();
    expect(parseTyped(q({ kind: 'profile', field: 'sex' }), '1', opts)).toBe('emploi');
  });
  it('keeps a postcode as typed, for the server to check', () => {
    expect(parseTyped(q({ kind: 'profile', field: 'postcode' }), '7501', [])).toBe('7501');
  });
  it('reads scales within their range only', () => {
    const s = q({ kind: 'scale', min: 0, max: 10 });
    expect(parseTyped(s, '0', [])).toBe(0);
    expect(parseTyped(s, '10', [])).toBe(10);
    expect(parseTyped(s, '11', [])).toBeUndefined();
    expect(parseTyped(s, '4.5', [])).toBeUndefined();
  });
  it('reads o, y and n for yes/no and consents', () => {
    for (const kind of ['yes_no', 'consent'] as const) {
      expect(parseTyped(q({ kind }), 'o', [])).toBe(true);
      expect(parseTyped(q({ kind }), 'Y', [])).toBe(true);
      expect(parseTyped(q({ kind }), 'n', [])).toBe(false);
      expect(parseTyped(q({ kind }), 'x', [])).toBeUndefined();
    }
  });
  it('keeps open answers word for word, new lines included', () => {
    expect(parseTyped(q({ kind: 'open' }), 'Ligne 1\nLigne 2', [])).toBe('Ligne 1\nLigne 2');
    expect(parseTyped(q({ kind: 'open' }), '   ', [])).toBeUndefined();
  });
});
