import { describe, expect, it } from 'vitest';
import { setLang, t } from '../src/i18n';
import { fr } from '../src/i18n/fr';
import { en } from '../src/i18n/en';

describe('messages', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    setLang('fr');
    expect(t('login.tooMany', { seconds: 42 })).toBe('Trop de tentatives : réessayez dans 42 s.');
    expect(t('login.tooMany')).toContain('{seconds}');
  });

  it('falls back to French for keys English lacks', () => {
    setLang('en');
    expect(t('login.submit')).toBe('Sign in');
    expect(t('field.home.noSession')).toBe(fr['field.home.noSession']);
    setLang('fr');
  });

  it('English has no key French lacks', () => {
    for (const k of Object.keys(en)) expect(Object.keys(fr)).toContain(k);
  });
});
