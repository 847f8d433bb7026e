// The API of questionnaires and field work (issue 7), beside the foundation's in api.ts.
import { request, type Kind } from './api';
import type { Definition } from './questionnaire';

export type Outcome = 'not_home' | 'refused' | 'conversation' | 'questionnaire_done' | 'come_back_later' | 'do_not_knock';
export const OUTCOMES: Outcome[] = ['not_home', 'refused', 'conversation', 'questionnaire_done', 'come_back_later', 'do_not_knock'];

export type VersionStatus = 'draft' | 'published' | 'retired';
export interface Version {
  id: string; questionnaire_id: string; number: number; status: VersionStatus;
  definition: Definition; created_at: string; published_at: string | null;
}
export interface QuestionnaireInfo { id: string; name: string; created_at: string; versions: Version[] }
export interface Kit {
  templates: { id: string; name: string; definition: Definition }[];
  profile_codes: Record<string, { value: string; label: string }[]>;
}

export interface DoorRef { number?: number; unit?: string }
export interface DoorStatus { door: DoorRef; last_outcome: Outcome | null; last_at: string | null; do_not_knock: boolean }
export interface PackageUnit { id: string; floor: number | null; label: string }
export interface PackageBuilding { id: string; label: string; doors: number; units: PackageUnit[]; door_status: DoorStatus[] }
export interface Stop {
  order: number; address_id: string; label: string; postcode: string | null; lon: number; lat: number;
  bureau_id: string | null; iris_id: string | null; buildings: PackageBuilding[];
}
export interface PackageQuestionnaire { questionnaire_id: string; name: string; version_id: string; number: number; definition: Definition }
export interface GeoFeature { type: 'Feature'; geometry: { type: string; coordinates: unknown }; properties: Record<string, unknown> }
export interface Package {
  campaign_id: string;
  territory: { id: string; kind: Kind; code: string; name: string };
  made_at: string;
  turf_id: string | null;
  /** The turf's number and expected walk, when the package is a turf's. */
  turf?: { number: number; minutes: number; length_m: number } | null;
  stops: Stop[];
  map: { type: 'FeatureCollection'; features: GeoFeature[] };
  questionnaires: PackageQuestionnaire[];
  profile_codes: Record<string, { value: string; label: string }[]>;
}

/** A turf handed to me (or to a sortie I accepted). */
export interface MyTurf {
  id: string; bureau_id: string; bureau_code: string; bureau_name: string; number: number;
  stops: number; doors: number; minutes: number; until: string; sortie_id: string | null; team: string | null;
}

/** What to download: a territory, or a turf. */
export type PackageChoice = { territory: string } | { turf: string };

export interface Ack { id: string; status: 'stored' | 'duplicate' | 'rejected'; code?: string; message?: string }
export interface SyncResult { acks: Ack[]; stored: number; duplicates: number; rejected: number; server_time: string }
export interface Progress {
  visits: number; outcomes: Record<string, number>; doors_visited: number; responses: number;
  responses_by_version: Record<string, number>; do_not_knock: number; recontacts: number; walkers: number;
}
export interface Recontact {
  response_id: string; contact: { name: string; phone: string | null; email: string | null };
  address: string | null; statement: string; consented_at: string; collected_on: string;
}

const c = (id: string) => `/campaigns/${encodeURIComponent(id)}`;

/** The endpoints of questionnaires and field work, typed. */
export type FlagKind = 'too_fast' | 'all_not_home' | 'far_from_door' | 'copied_answers';
/** A pattern in the field work to look at — never a verdict. */
export interface QualityFlag {
  kind: FlagKind; walker_id: string | null; walker_name: string | null; bureau_id: string | null;
  bureau_code: string | null; bureau_name: string | null; turf_id: string | null; turf_number: number | null;
  day: string | null; count: number; out_of: number; value: number; question: string | null;
}
export interface Quality { since: string; visits_checked: number; responses_checked: number; truncated: boolean; flags: QualityFlag[] }

/** A paper questionnaire to key in. */
export interface NewPaperSheet {
  client_id: string; version_id: string; bureau_id: string; collected_on: string; sheet_ref: string;
  answers: Record<string, string | string[] | number | boolean>;
}
/** A keyed-in paper questionnaire (never its answers). */
export interface PaperEntry {
  response_id: string; client_id: string; source: 'paper'; questionnaire_id: string; questionnaire_name: string;
  version_id: string; version_number: number; bureau_id: string; bureau_code: string; bureau_name: string;
  collected_on: string; sheet_ref: string; keyed_by: string; keyed_by_name: string; keyed_at: string;
}
export interface PaperEntries { entries: PaperEntry[]; total: number; limit: number; offset: number }

export const fieldApi = {
  questionnaires: (campaign: string) => request<QuestionnaireInfo[]>('GET', `${c(campaign)}/questionnaires`),
  questionnaire: (campaign: string, id: string) => request<QuestionnaireInfo>('GET', `${c(campaign)}/questionnaires/${id}`),
  createQuestionnaire: (campaign: string, body: { name?: string; template?: string; definition?: Definition }) =>
    request<QuestionnaireInfo>('POST', `${c(campaign)}/questionnaires`, body),
  saveDraft: (campaign: string, id: string, body: { name?: string; definition: Definition }) =>
    request<Version>('PUT', `${c(campaign)}/questionnaires/${id}/draft`, body),
  publish: (campaign: string, id: string) => request<Version>('POST', `${c(campaign)}/questionnaires/${id}/publish`),
  kit: (campaign: string) => request<Kit>('GET', `${c(campaign)}/questionnaire-kit`),
  /** The printable questionnaire (HTML, A4), opened in a tab. */
  printUrl: (campaign: string, id: string, version: number) =>
    `/api/v1${c(campaign)}/questionnaires/${encodeURIComponent(id)}/print?version=${version}`,
  keyInPaper: (campaign: string, body: NewPaperSheet) => request<PaperEntry>('POST', `${c(campaign)}/paper-responses`, body),
  paperEntries: (campaign: string, limit = 20, offset = 0) =>
    request<PaperEntries>('GET', `${c(campaign)}/paper-responses?limit=${limit}&offset=${offset}`),
  voidPaper: (campaign: string, response: string) =>
    request<void>('DELETE', `${c(campaign)}/paper-responses/${encodeURIComponent(response)}`),
  package: (campaign: string, choice: PackageChoice) =>
    request<Package>('GET', `${c(campaign)}/field/package?${'turf' in choice
      ? `turf=${encodeURIComponent(choice.turf)}`
      : `territory=${encodeURIComponent(choice.territory)}`}`),
  myTurfs: (campaign: string) => request<MyTurf[]>('GET', `${c(campaign)}/field/turfs`),
  sync: (campaign: string, body: { device_id: string; records: unknown[] }, fetchImpl?: typeof fetch) =>
    request<SyncResult>('POST', `${c(campaign)}/field/sync`, body, fetchImpl),
  progress: (campaign: string, territory?: string) =>
    request<Progress>('GET', `${c(campaign)}/field/progress${territory ? `?territory=${encodeURIComponent(territory)}` : ''}`),
  recontacts: (campaign: string) => request<Recontact[]>('GET', `${c(campaign)}/field/recontacts`),
  quality: (campaign: string, territory?: string, days?: number) => {
    const q = new URLSearchParams();
    if (territory) q.set('territory', territory);
    if (days) q.set('days', String(days));
    const s = q.toString();
    return request<Quality>('GET', `${c(campaign)}/field/quality${s ? `?${s}` : ''}`);
  },
};
