import { describe, expect, it } from 'vitest';
import { optionsText, parseOptions, slug } from '../src/dashboard/questionnaires';

describe('writing options in the builder', () => {
  it('derives values from labels, keeps given values, never repeats one', () => {
    expect(slug('Les transports en commun')).toBe('les_transports_en_commun');
    expect(slug('Écoles & crèches')).toBe('ecoles_creches');
    expect(slug('!!!')).toBe('option');
    expect(parseOptions('Emploi\n\n  Santé  \nsec | Sécurité\nEmploi')).toEqual([
      { value: 'emploi', label: 'Emploi' },
      { value: 'sante', label: 'Santé' },
      { value: 'sec', label: 'Sécurité' },
      { value: 'emploi_2', label: 'Emploi' },
    ]);
  });

  it('writes options back as they were typed', () => {
    const opts = parseOptions('Emploi\nsec | Sécurité');
    expect(optionsText(opts)).toBe('Emploi\nsec | Sécurité');
    expect(parseOptions(optionsText(opts))).toEqual(opts);
  });
});
