// What each role may see in the dashboard. A mirror of the server's role table (the server
// decides; this only hides what would be refused).
import type { Role } from './api';

export type Page = 'overview' | 'territories' | 'team' | 'invites' | 'audit';

const PAGES_BY_ROLE: Record<Role, Page[]> = {
  admin: ['overview', 'territories', 'team', 'invites', 'audit'],
  director: ['overview', 'territories', 'team', 'invites', 'audit'],
  coordinator: ['overview', 'territories', 'team', 'invites'],
  trainer: ['overview', 'territories', 'team', 'invites'],
  walker: ['overview', 'territories'],
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
