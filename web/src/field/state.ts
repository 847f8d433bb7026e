// What the field app keeps on the phone between launches, so it opens without network: who is
// signed in and where they work (no secrets: the session cookie stays HttpOnly).
import type { Kind, Session } from '../lib/api';

const KEY = 'terrain.field.profile';

/** A territory the walker works in. */
export interface ScopeItem { id: string; kind: Kind; code: string; name: string }

export interface Profile {
  name: string;
  campaign: string | null;
  /** The campaign's id, for the package and the uploads. */
  campaignId: string | null;
  /** The walker's territories, to choose a sector in. */
  scope: ScopeItem[];
  role: string | null;
  territories: string[];
  savedAt: string;
}

/** The profile to keep from a session. */
export function profileOf(s: Session, now = new Date()): Profile {
  const first = s.campaigns[0];
  return {
    name: s.user.display_name,
    campaign: first?.campaign.name ?? null,
    campaignId: first?.campaign.id ?? null,
    scope: first?.territories.map((t) => ({ id: t.id, kind: t.kind, code: t.code, name: t.name })) ?? [],
    role: first?.role ?? null,
    territories: first?.territories.map((t) => t.name) ?? [],
    savedAt: now.toISOString(),
  };
}

/** Saves the profile. */
export function saveProfile(p: Profile, storage: Storage = localStorage): void {
  storage.setItem(KEY, JSON.stringify(p));
}

/** The saved profile, if any and well-formed. */
export function loadProfile(storage: Storage = localStorage): Profile | null {
  try {
    const v = JSON.parse(storage.getItem(KEY) ?? 'null') as Profile | null;
    if (!v || typeof v.name !== 'string' || !Array.isArray(v.territories)) return null;
    // Profiles saved before packages existed have no campaign id or scope.
    return { ...v, campaignId: v.campaignId ?? null, scope: Array.isArray(v.scope) ? v.scope : [] };
  } catch {
    return null;
  }
}

/** Forgets the profile (signed out, or the server no longer knows the session). */
export function clearProfile(storage: Storage = localStorage): void {
  storage.removeItem(KEY);
}

/** The invite code carried in the link's fragment (`#join=ABCDE-FGHJK`). */
export function codeFromHash(hash: string): string {
  const m = /(?:^#|&)join=([A-Za-z0-9-]{4,20})/.exec(hash);
  return m ? m[1].toUpperCase() : '';
}
