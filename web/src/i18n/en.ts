// English, ready to grow: any key missing here falls back to French.
import type { MessageKey } from './fr';

export const en: Partial<Record<MessageKey, string>> = {
  'app.tagline': 'Your campaign in the field',
  'login.title': 'Sign in',
  'login.email': 'E-mail',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'Wrong e-mail or password.',
  'nav.overview': 'Overview',
  'nav.territories': 'Territories',
  'nav.team': 'Team',
  'nav.invites': 'Invites',
  'nav.audit': 'Audit log',
  'nav.logout': 'Sign out',
  'field.join.title': 'Join the campaign',
  'field.join.submit': 'Join',
};
