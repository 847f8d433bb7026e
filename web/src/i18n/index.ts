// Message lookup with {placeholders}. The language is French unless the page says otherwise
// (<html lang="en">) or a saved preference exists.
import { fr, type MessageKey } from './fr';
import { en } from './en';

export type Lang = 'fr' | 'en';
const dictionaries: Record<Lang, Partial<Record<MessageKey, string>>> = { fr, en };

let current: Lang = 'fr';

/** Chooses the interface language. */
export function setLang(lang: Lang): void {
  current = lang;
}

/** The interface language. */
export function lang(): Lang {
  return current;
}

/** The message for `key` in the current language (French when missing), with `{name}` filled. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = dictionaries[current][key] ?? fr[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in params ? String(params[name]) : `{${name}}`));
}

/** A date and time written the local way (26 nov. 2026, 14:05). */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return new Intl.DateTimeFormat(current === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** A calendar day (`2026-11-26`) written the local way (26 nov. 2026). */
export function formatDate(isoDay: string): string {
  const [y, m, d] = isoDay.split('-').map(Number);
  return new Intl.DateTimeFormat(current === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium' }).format(new Date(y, m - 1, d));
}

/** A number written the local way (12 345). */
export function formatNumber(n: number): string {
  return new Intl.NumberFormat(current === 'fr' ? 'fr-FR' : 'en-GB').format(n);
}

/** A share in [0, 1] written as a percentage the local way (34,8 %). */
export function formatPercent(v: number, digits = 1): string {
  return new Intl.NumberFormat(current === 'fr' ? 'fr-FR' : 'en-GB', {
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(v);
}
