// What each role may see in the dashboard. A mirror of the server's role table (the server
// decides; this only hides what would be refused).
import type { Role } from './api';

export type Page =
  | 'overview' | 'territories' | 'map' | 'targeting' | 'experiment' | 'survey' | 'team' | 'invites' | 'imports' | 'audit'
  | 'volunteers' | 'trainings' | 'sorties' | 'turfs'
  | 'questionnaires' | 'field'
  | 'quotas' | 'weighting'
  | 'diagnostic';

const PAGES_BY_ROLE: Record<Role, Page[]> = {
  admin: ['overview', 'territories', 'map', 'targeting', 'experiment', 'survey', 'quotas', 'weighting', 'team', 'invites', 'imports', 'audit', 'volunteers', 'trainings', 'sorties', 'turfs', 'questionnaires', 'field', 'diagnostic'],
  director: ['overview', 'territories', 'map', 'targeting', 'experiment', 'survey', 'quotas', 'weighting', 'team', 'invites', 'imports', 'audit', 'volunteers', 'trainings', 'sorties', 'turfs', 'questionnaires', 'field', 'diagnostic'],
  coordinator: ['overview', 'territories', 'map', 'targeting', 'experiment', 'quotas', 'team', 'invites', 'volunteers', 'trainings', 'sorties', 'turfs', 'questionnaires', 'field', 'diagnostic'],
  trainer: ['overview', 'territories', 'map', 'quotas', 'team', 'invites', 'volunteers', 'trainings', 'turfs', 'questionnaires', 'field'],
  walker: ['overview', 'territories', 'map'],
};

/** Whether a role sees a page of the dashboard. */
export function can(role: Role, page: Page): boolean {
  return PAGES_BY_ROLE[role].includes(page);
}

/** Whether a role may add members (and which roles it may give). */
export function grantableRoles(role: Role): Role[] {
  switch (role) {
    case 'admin':
    case 'director':
      return ['director', 'coordinator', 'trainer', 'walker'];
    case 'coordinator':
      return ['trainer', 'walker'];
    default:
      return [];
  }
}
