// What each role may see in the dashboard. A mirror of the server's role table (the server
// decides; this only hides what would be refused).
import type { Role } from './api';

export type Page =
  | 'overview' | 'territories' | 'map' | 'targeting' | 'experiment' | 'survey' | 'team' | 'invites' | 'imports' | 'audit'
  | 'volunteers' | 'trainings' | 'sorties' | 'turfs'
  | 'questionnaires' | 'field' | 'paper'
  | 'quotas' | 'weighting'
  | 'diagnostic';

const PAGES_BY_ROLE: Record<Role, Page[]> = {
  admin: ['overview', 'territories', 'map', 'targeting', 'experiment', 'survey', 'quotas', 'weighting', 'team', 'invites', 'imports', 'audit', 'volunteers', 'trainings', 'sorties', 'turfs', 'questionnaires', 'field', 'paper', 'diagnostic'],
  director: ['overview', 'territories', 'map', 'targeting', 'experiment', 'survey', 'quotas', 'weighting', 'team', 'invites', 'imports', 'audit', 'volunteers', 'trainings', 'sorties', 'turfs', 'questionnaires', 'field', 'paper', 'diagnostic'],
  coordinator: ['overview', 'territories', 'map', 'targeting', 'experiment', 'quotas', 'team', 'invites', 'volunteers', 'trainings', 'sorties', 'turfs', 'questionnaires', 'field', 'paper', 'diagnostic'],
  trainer: ['overview', 'territories', 'map', 'quotas', 'team', 'invites', 'volunteers', 'trainings', 'turfs', 'questionnaires', 'field'],
  walker: ['overview', 'territories', 'map'],
  // Coders code open answers (masked) and see nothing else.
  coder: ['diagnostic'],
};

/** Whether a role sees a page of the dashboard. */
export function can(role: Role, page: Page): boolean {
  return PAGES_BY_ROLE[role].includes(page);
}

/** The dashboard page a role lands on: the overview, or its only page (a coder: the coding). */
export function homePage(role: Role): Page {
  const pages = PAGES_BY_ROLE[role];
  return pages.includes('overview') ? 'overview' : pages[0];
}

/** The diagnostic's tabs a role sees: a coder codes, and reads nothing else of the diagnostic. */
export function diagnosticTabs(role: Role): ('closed' | 'themes' | 'coding' | 'reading')[] {
  return role === 'coder' ? ['coding'] : ['closed', 'themes', 'coding', 'reading'];
}

/** Whether a role may edit the codebooks (the direction, as the server decides). */
export function editsCodebooks(role: Role): boolean {
  return role === 'director' || role === 'admin';
}

/** Whether a role may add members (and which roles it may give). */
export function grantableRoles(role: Role): Role[] {
  switch (role) {
    case 'admin':
    case 'director':
      return ['director', 'coordinator', 'trainer', 'walker', 'coder'];
    case 'coordinator':
      return ['trainer', 'walker'];
    default:
      return [];
  }
}
