import { describe, expect, it } from 'vitest';
import { checkAnswer, cleanAnswers, firstProblem, refused, visibleQuestions, wantsRecontact, type Definition } from '../src/lib/questionnaire';

const codes = { age_band: [{ value: '18-24', label: '18 à 24 ans' }, { value: 'nsp', label: 'NSP' }] };
const def: Definition = {
  script: { intro: 'Bonjour', talking_points: [], closing: 'Merci' },
  questions: [
    { key: 'ok', text: 'Accord ?', kind: 'consent', purpose: 'survey', statement: 'Oui' },
    { key: 'vote', text: 'Voté ?', kind: 'yes_no' },
    { key: 'pourquoi', text: 'Pourquoi ?', kind: 'open', max_length: 10, required: true, show_if: { question: 'vote', any_of: ['no'] } },
    { key: 'suite', text: 'Suite ?', kind: 'open', show_if: { question: 'pourquoi', any_of: ['x'] } },
    { key: 'note', text: 'Note ?', kind: 'scale', min: 0, max: 10 },
    { key: 'themes', text: 'Thèmes ?', kind: 'multiple_choice', max_choices: 1, options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] },
    { key: 'age', text: 'Âge', kind: 'profile', field: 'age_band' },
    { key: 'cp', text: 'CP', kind: 'profile', field: 'postcode' },
    { key: 'rappel', text: 'Rappel ?', kind: 'consent', purpose: 'recontact', statement: 'Oui' },
  ],
};

describe('questionnaire rules, as the server has them', () => {
  it('shows conditional questions only when their condition holds', () => {
    const keys = (a: Record<string, unknown>) => visibleQuestions(def, a as never).map((q) => q.key);
    expect(keys({})).not.toContain('pourquoi');
    expect(keys({ vote: false })).toContain('pourquoi');
    expect(keys({ vote: true })).not.toContain('pourquoi');
    // A condition on a hidden question hides too.
    expect(keys({ vote: true, pourquoi: 'x' })).not.toContain('suite');
    expect(cleanAnswers(def, { vote: true, pourquoi: 'trop loin', note: 3 })).toEqual({ vote: true, note: 3 });
  });

  it('checks every kind of answer', () => {
    const q = (k: string) => def.questions.find((x) => x.key === k)!;
    expect(checkAnswer(q('note'), 11, codes)).toBe('survey.invalid');
    expect(checkAnswer(q('note'), 7, codes)).toBeNull();
    expect(checkAnswer(q('themes'), ['a', 'b'], codes)).toBe('survey.tooMany');
    expect(checkAnswer(q('themes'), ['c'], codes)).toBe('survey.invalid');
    expect(checkAnswer(q('age'), '18-24', codes)).toBeNull();
    expect(checkAnswer(q('age'), '30-40', codes)).toBe('survey.invalid');
    expect(checkAnswer(q('cp'), '7501', codes)).toBe('survey.postcode');
    expect(checkAnswer(q('cp'), 'nsp', codes)).toBeNull();
    expect(checkAnswer(q('pourquoi'), 'beaucoup trop long', codes)).toBe('survey.tooLong');
    expect(checkAnswer(q('pourquoi'), undefined, codes)).toBe('survey.required');
    expect(checkAnswer(q('ok'), undefined, codes)).toBe('survey.required');
    expect(checkAnswer(q('vote'), undefined, codes)).toBeNull();
  });

  it('finds the first problem and reads the consents', () => {
    expect(firstProblem(def, { ok: true, vote: false }, codes)).toEqual(['pourquoi', 'survey.required']);
    expect(firstProblem(def, { ok: true, vote: true }, codes)).toBeNull();
    expect(refused(def, { ok: false })).toBe(true);
    expect(refused(def, { ok: true })).toBe(false);
    expect(wantsRecontact(def, { rappel: true })).toBe(true);
  });
});
