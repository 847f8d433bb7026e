// The API client shared by the dashboard and the field app: JSON in and out, the session
// cookie sent by the browser, the anti-CSRF token echoed on every write, errors as ApiError
// with the server's stable code.

export type Role = 'admin' | 'director' | 'coordinator' | 'trainer' | 'walker' | 'coder';
export type Kind = 'region' | 'department' | 'commune' | 'arrondissement' | 'bureau' | 'iris';

export interface User { id: string; email: string | null; display_name: string; is_admin: boolean }
export interface Campaign { id: string; slug: string; name: string; retention_until: string | null; created_at: string }
export interface ScopeTerritory { id: string; kind: Kind; code: string; name: string }
export interface MyCampaign { campaign: Campaign; role: Role; territories: ScopeTerritory[] }
export interface Session { user: User; csrf_token: string | null; campaigns: MyCampaign[] }
export interface Territory { id: string; kind: Kind; code: string; name: string; parent_id: string | null; child_count: number }
export interface TerritoryDetail extends Territory { ancestors: Territory[] }
export interface Address {
  id: string; ban_id: string | null; label: string; postcode: string | null; commune: string;
  lon: number; lat: number; bureau_id: string | null; iris_id: string | null; doors_estimated: number;
}
export interface Member {
  user: User; role: Role; territories: ScopeTerritory[];
  recruited_by: string | null; trained_by: string | null; joined_at: string;
}
export interface Invite {
  id: string; role: Role; territory_id: string; territory_name: string; created_by: string | null;
  expires_at: string; max_uses: number; uses: number; created_at: string;
}
export interface CreatedInvite { invite: Invite; code: string; url: string; qr_svg: string }
export interface AuditEntry { id: string; at: string; actor: string | null; source: string; action: string; target: string; detail: unknown }

export interface Election {
  id: string; code: string; label: string; kind: string; year: number; round: number;
  bureaux: number; source: string; imported_at: string;
}
export interface Votes { name: string; nuance: string | null; bloc: string | null; votes: number; share: number }
export interface Counts { inscrits: number; abstentions: number; votants: number; blancs: number; nuls: number; exprimes: number }
export interface TerritoryResults {
  election: Election; bureaux: number; counts: Counts; abstention_rate: number; candidates: Votes[]; blocs: Votes[];
}
export interface CensusValue { source: string; variable: string; value: number }
export interface BureauTarget {
  id: string; code: string; name: string; inscrits: number; abstention_rate: number; bloc_share: number;
  po: number; count: number; doors: number; rank: number; class: 'red' | 'orange' | 'yellow' | 'none'; selected: boolean;
}
export interface PlanYield {
  bureaux: number; inscrits: number; doors: number; doors_opened: number; conversations: number; hours: number;
  target_electors: number; target_electors_at_opened_doors: number;
}
export interface Targeting {
  election: string; blocs: string[]; budget_doors: number; bureaux: BureauTarget[]; plan: PlanYield; classes: Record<string, number>;
}
export interface TargetingQuery { election?: string; blocs?: string; budget_doors?: number }
export interface Assignment { territory_id: string | null; code: string; name: string; stratum: number; treated: boolean; score: number }
export interface Experiment {
  id: string; name: string; reference_election: string; blocs: string; budget_doors: number;
  strata_size: number; treated_per_stratum: number; seed: number; strata: number; treated: number; control: number;
  digest: string; verified: boolean; created_at: string; assignments?: Assignment[];
}
export interface Effect { outcome: 'turnout' | 'bloc_share'; kind: 'itt' | 'tot'; estimate: number; ci_low: number; ci_high: number; p_value: number }
export interface ExperimentAnalysis { experiment: Experiment; election: string; bureaux: number; missing_results: number; effects: Effect[]; summary: string[] }
export interface FrameVariable { name: string; label: string; total: number }
export interface SurveyFrame { level: string; units: number; with_position: number; election: string | null; variables: FrameVariable[] }
export interface TotalCheck { variable: string; total: number; estimate: number; relative_error: number }
export interface PlanArea { territory_id: string; code: string; name: string; inclusion_probability: number; interviews: number | null; doors: number | null }
export interface SurveyPlan {
  id: string; name: string; n: number; seed: number; options: { balance?: string[]; spatial?: boolean; interviews?: number | null };
  report: { method?: string; balance?: TotalCheck[]; max_relative_error?: number; spatial_balance?: number | null; sample_expected_respondents?: number | null; interviews?: number | null; doors?: number | null };
  accepted_at: string | null; created_at: string; areas?: PlanArea[];
}
export type FeatureCollection = { type: 'FeatureCollection'; election?: string | null; features: Array<{ type: 'Feature'; geometry: unknown; properties: Record<string, unknown> }> };

/** An error answered by the server (or the network failing: code `network`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null = null,
    /** The field or question at fault, when the server names one. */
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** Remembers the anti-CSRF token given at sign-in. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Whether a write would carry an anti-CSRF token (an app opened offline has none yet). */
export function hasCsrfToken(): boolean {
  return csrfToken !== null;
}

/** Calls the API; `body` is sent as JSON. */
export async function request<T>(method: string, path: string, body?: unknown, fetchImpl: typeof fetch = fetch): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let resp: Response;
  try {
    resp = await fetchImpl(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'network unreachable');
  }
  if (resp.status === 204) return undefined as T;
  const text = await resp.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const err = (data ?? {}) as { code?: string; message?: string; field?: string };
    const retry = resp.headers.get('retry-after');
    throw new ApiError(resp.status, err.code ?? 'http_error', err.message ?? `HTTP ${resp.status}`, retry ? Number(retry) : null, err.field ?? null);
  }
  return data as T;
}

const c = (id: string) => `/campaigns/${encodeURIComponent(id)}`;

/** The endpoints, typed. */
export const api = {
  login: (email: string, password: string) => request<Session>('POST', '/auth/login', { email, password }),
  join: (code: string, display_name: string) => request<Session>('POST', '/auth/join', { code, display_name }),
  logout: () => request<void>('POST', '/auth/logout'),
  session: () => request<Session>('GET', '/auth/session'),
  campaign: (id: string) => request<MyCampaign>('GET', c(id)),
  territories: (campaign: string, q: { parent?: string; kind?: Kind; q?: string; limit?: number } = {}) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
    const qs = params.toString();
    return request<Territory[]>('GET', `${c(campaign)}/territories${qs ? `?${qs}` : ''}`);
  },
  territory: (campaign: string, id: string) => request<TerritoryDetail>('GET', `${c(campaign)}/territories/${id}`),
  addresses: (campaign: string, territory: string, limit = 100) =>
    request<Address[]>('GET', `${c(campaign)}/territories/${territory}/addresses?limit=${limit}`),
  members: (campaign: string) => request<Member[]>('GET', `${c(campaign)}/members`),
  addMember: (campaign: string, m: { email?: string; display_name?: string; password?: string; role: Role; territories: string[] }) =>
    request<Member>('POST', `${c(campaign)}/members`, m),
  invites: (campaign: string) => request<Invite[]>('GET', `${c(campaign)}/invites`),
  createInvite: (campaign: string, i: { territory_id: string; role?: Role; expires_in_hours?: number; max_uses?: number }) =>
    request<CreatedInvite>('POST', `${c(campaign)}/invites`, i),
  elections: (campaign: string) => request<Election[]>('GET', `${c(campaign)}/elections`),
  results: (campaign: string, territory: string, election?: string) =>
    request<TerritoryResults>('GET', `${c(campaign)}/territories/${territory}/results${election ? `?election=${encodeURIComponent(election)}` : ''}`),
  census: (campaign: string, territory: string) => request<CensusValue[]>('GET', `${c(campaign)}/territories/${territory}/census`),
  map: (campaign: string, kind: 'bureau' | 'iris', election?: string) =>
    request<FeatureCollection>('GET', `${c(campaign)}/map?kind=${kind}${election ? `&election=${encodeURIComponent(election)}` : ''}`),
  targeting: (campaign: string, q: TargetingQuery) => request<Targeting>('GET', `${c(campaign)}/targeting?${targetingQuery(q)}`),
  targetingExport: (campaign: string, q: TargetingQuery, format: 'csv' | 'geojson') =>
    `/api/v1${c(campaign)}/targeting.${format}?${targetingQuery(q)}`,
  experiments: (campaign: string) => request<Experiment[]>('GET', `${c(campaign)}/experiments`),
  experiment: (campaign: string, id: string) => request<Experiment>('GET', `${c(campaign)}/experiments/${id}`),
  createExperiment: (campaign: string, e: { name: string; election?: string; blocs?: string; budget_doors: number; strata_size: number; treated_per_stratum: number }) =>
    request<Experiment>('POST', `${c(campaign)}/experiments`, e),
  analyseExperiment: (campaign: string, id: string, election: string) =>
    request<ExperimentAnalysis>('GET', `${c(campaign)}/experiments/${id}/analysis?election=${encodeURIComponent(election)}`),
  surveyFrame: (campaign: string) => request<SurveyFrame>('GET', `${c(campaign)}/survey-frame`),
  surveyPlans: (campaign: string) => request<SurveyPlan[]>('GET', `${c(campaign)}/survey-plans`),
  surveyPlan: (campaign: string, id: string) => request<SurveyPlan>('GET', `${c(campaign)}/survey-plans/${id}`),
  createSurveyPlan: (campaign: string, p: { name: string; n: number; balance: string[]; spatial: boolean; interviews?: number }) =>
    request<SurveyPlan>('POST', `${c(campaign)}/survey-plans`, p),
  acceptSurveyPlan: (campaign: string, id: string) => request<SurveyPlan>('POST', `${c(campaign)}/survey-plans/${id}/accept`),
  audit: (campaign: string, before?: string) =>
    request<AuditEntry[]>('GET', `${c(campaign)}/audit?limit=50${before ? `&before=${before}` : ''}`),
};

/** The query string of a targeting request. */
export function targetingQuery(q: TargetingQuery): string {
  const p = new URLSearchParams();
  if (q.election) p.set('election', q.election);
  if (q.blocs) p.set('blocs', q.blocs);
  if (q.budget_doors !== undefined) p.set('budget_doors', String(Math.round(q.budget_doors)));
  return p.toString();
}

/** Uploads a file for import, reporting the upload's progress (0–1). */
export function uploadImport(
  campaign: string,
  kind: string,
  file: Blob,
  params: Record<string, string>,
  onProgress: (fraction: number) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const qs = new URLSearchParams(params).toString();
    xhr.open('POST', `/api/v1${c(campaign)}/imports/${encodeURIComponent(kind)}?${qs}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network unreachable'));
    xhr.onload = () => {
      let data: { code?: string; message?: string } | null = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data?.code ?? 'http_error', data?.message ?? `HTTP ${xhr.status}`));
    };
    xhr.send(file);
  });
}
// ── volunteers, trainings and sorties (issue 6) ─────────────────────────────────
export type Stage = 'signed_up' | 'contacted' | 'trained' | 'active' | 'inactive';
export type Answer = 'invited' | 'accepted' | 'declined';
export interface Volunteer {
  id: string; user_id: string | null; display_name: string; email: string | null; phone: string | null;
  postcode: string | null; territory: ScopeTerritory | null; placement: string; availability: string[];
  consent_contact: boolean; consent_at: string | null; status: Stage; status_at: string; source: string;
  recruited_by: string | null; recruited_by_name: string | null; duplicate_of: string | null;
  trained_at: string | null; created_at: string;
}
export interface VolunteerPage { total: number; items: Volunteer[] }
export interface VolunteerDetail {
  volunteer: Volunteer;
  trainings: { training_id: string; title: string; starts_at: string; attended: boolean | null; skills: string[]; validated: boolean }[];
  duplicate_of: Volunteer | null;
}
export interface StageCounts { signed_up: number; contacted: number; trained: number; active: number; inactive: number }
export interface Funnel {
  totals: StageCounts; unplaced: number;
  coordinators: { user_id: string; name: string; territories: string[]; counts: StageCounts; recruited: number }[];
}
export interface Certificate {
  volunteer_name: string; campaign_name: string; role: Role | null; territory_name: string | null;
  trainings: { title: string; starts_at: string; trainer_name: string | null; skills: string[]; validated_at: string }[];
}
export interface Training {
  id: string; title: string; territory: ScopeTerritory; starts_at: string; ends_at: string; place: string | null;
  video_url: string | null; capacity: number; programme: string[]; trainer_id: string | null; trainer_name: string | null;
  registered: number; attended: number; validated: number; mine: boolean;
}
export interface Registration {
  volunteer_id: string; volunteer_name: string; status: Stage; registered_at: string; attended: boolean | null;
  skills: string[]; validated_at: string | null; validated_by: string | null;
}
export interface TrainingDetail { training: Training; registrations: Registration[] }
export interface Team {
  id: string; name: string; territory: ScopeTerritory; created_at: string;
  members: { volunteer_id: string; display_name: string; status: Stage }[];
}
export interface Sortie {
  id: string; title: string; territory: ScopeTerritory; starts_at: string; ends_at: string; meeting_point: string;
  meeting_lon: number | null; meeting_lat: number | null; team_id: string | null; team_name: string | null;
  open_signup: boolean; min_per_area: number; notes: string | null; uncovered: number;
  areas: { territory: ScopeTerritory; accepted: number; covered: boolean }[];
  participants: { volunteer_id: string; display_name: string; status: Answer; area_id: string | null; attended: boolean | null; responded_at: string | null }[];
}
export interface NewSortie {
  title: string; territory_id: string; starts_at: string; ends_at: string; meeting_point: string;
  meeting_lon?: number; meeting_lat?: number; areas: string[]; team_id?: string; open_signup: boolean; min_per_area: number; notes?: string;
}
export interface MySortie {
  id: string; title: string; territory_name: string; starts_at: string; ends_at: string; meeting_point: string;
  meeting_lon: number | null; meeting_lat: number | null; team_name: string | null; notes: string | null;
  my_status: Answer | null; my_area: ScopeTerritory | null; partners: string[]; areas: ScopeTerritory[];
  areas_geojson: AreaCollection;
}
export interface MySorties { volunteer_id: string; status: Stage; may_go_out: boolean; sorties: MySortie[]; trainings: Training[] }
export interface Week {
  start: string; from: string; to: string; sorties: Sortie[]; trainings: Training[]; mail_configured: boolean;
  available: { volunteer_id: string; display_name: string; status: Stage; territory_name: string | null; availability: string[]; free_for: string[] }[];
  uncovered: { sortie_id: string; sortie_title: string; starts_at: string; area: ScopeTerritory; accepted: number; needed: number }[];
}
export interface TeamScore { team_id: string; name: string; territory_name: string; members: number; sorties: number; trainings: number; doors: number; conversations: number; questionnaires: number }
export interface Recognition {
  volunteers: { volunteer_id: string; display_name: string; sorties: number; trainings: number; doors: number; conversations: number; questionnaires: number }[];
  teams: TeamScore[]; leaderboard_visible: boolean;
}
export interface VolunteerSettings { turfs_require_training: boolean; signup_open: boolean; leaderboard_hidden: string[] }
export interface AreaFeature { type: 'Feature'; id?: string; properties: { id: string; code: string; name: string }; geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown } }
export interface AreaCollection { type: 'FeatureCollection'; features: AreaFeature[] }
export interface SignupForm { campaign_name: string; open: boolean; slots: string[] }

const qs = (q: Record<string, string | number | boolean | undefined>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '' && v !== false) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

/** The endpoints of volunteers, trainings and sorties. */
export const volunteersApi = {
  signupForm: (slug: string) => request<SignupForm>('GET', `/public/${encodeURIComponent(slug)}/signup`),
  signUp: (slug: string, s: { name: string; email?: string; phone?: string; postcode: string; availability: string[]; consent: boolean }) =>
    request<{ territory_name: string | null }>('POST', `/public/${encodeURIComponent(slug)}/signup`, s),
  list: (campaign: string, q: { q?: string; status?: Stage; duplicates?: boolean; unplaced?: boolean; limit?: number; offset?: number } = {}) =>
    request<VolunteerPage>('GET', `${c(campaign)}/volunteers${qs(q)}`),
  get: (campaign: string, id: string) => request<VolunteerDetail>('GET', `${c(campaign)}/volunteers/${id}`),
  update: (campaign: string, id: string, u: { status?: Stage; territory_id?: string; availability?: string[] }) =>
    request<Volunteer>('PATCH', `${c(campaign)}/volunteers/${id}`, u),
  invite: (campaign: string, id: string) => request<CreatedInvite>('POST', `${c(campaign)}/volunteers/${id}/invite`),
  certificate: (campaign: string, id: string) => request<Certificate>('GET', `${c(campaign)}/volunteers/${id}/certificate`),
  funnel: (campaign: string) => request<Funnel>('GET', `${c(campaign)}/funnel`),
  settings: (campaign: string) => request<VolunteerSettings>('GET', `${c(campaign)}/volunteer-settings`),
  putSettings: (campaign: string, s: { turfs_require_training: boolean; signup_open: boolean }) =>
    request<VolunteerSettings>('PUT', `${c(campaign)}/volunteer-settings`, s),
  leaderboard: (campaign: string) => request<{ visible: boolean; teams: TeamScore[] }>('GET', `${c(campaign)}/leaderboard`),
  switchLeaderboard: (campaign: string, territory_id: string, visible: boolean) =>
    request<VolunteerSettings>('PUT', `${c(campaign)}/leaderboard`, { territory_id, visible }),
  recognition: (campaign: string) => request<Recognition>('GET', `${c(campaign)}/recognition`),
  trainings: (campaign: string) => request<Training[]>('GET', `${c(campaign)}/trainings`),
  createTraining: (campaign: string, t: { title: string; territory_id: string; starts_at: string; ends_at: string; place?: string; video_url?: string; capacity: number; programme: string[] }) =>
    request<Training>('POST', `${c(campaign)}/trainings`, t),
  training: (campaign: string, id: string) => request<TrainingDetail>('GET', `${c(campaign)}/trainings/${id}`),
  register: (campaign: string, training: string, volunteer_id?: string) =>
    request<Registration>('POST', `${c(campaign)}/trainings/${training}/registrations`, { volunteer_id }),
  attendance: (campaign: string, training: string, volunteer: string, a: { attended: boolean; skills: string[]; validated: boolean }) =>
    request<Registration>('PUT', `${c(campaign)}/trainings/${training}/registrations/${volunteer}`, a),
  teams: (campaign: string) => request<Team[]>('GET', `${c(campaign)}/teams`),
  createTeam: (campaign: string, t: { name: string; territory_id: string; members: string[] }) => request<Team>('POST', `${c(campaign)}/teams`, t),
  teamFeed: (campaign: string, team: string) => request<{ url: string }>('POST', `${c(campaign)}/teams/${team}/calendar`),
  sorties: (campaign: string) => request<Sortie[]>('GET', `${c(campaign)}/sorties`),
  createSortie: (campaign: string, s: NewSortie) => request<Sortie>('POST', `${c(campaign)}/sorties`, s),
  setParticipant: (campaign: string, sortie: string, volunteer: string, u: { status?: Answer; area_id?: string; attended?: boolean }) =>
    request<Sortie>('PUT', `${c(campaign)}/sorties/${sortie}/participants/${volunteer}`, u),
  map: (campaign: string, territory?: string) => request<AreaCollection>('GET', `${c(campaign)}/sortie-map${qs({ territory })}`),
  mySorties: (campaign: string) => request<MySorties>('GET', `${c(campaign)}/me/sorties`),
  answer: (campaign: string, sortie: string, answer: 'accepted' | 'declined') =>
    request<Sortie>('PUT', `${c(campaign)}/me/sorties/${sortie}`, { answer }),
  myFeed: (campaign: string) => request<{ url: string }>('POST', `${c(campaign)}/me/calendar`),
  week: (campaign: string, start?: string) => request<Week>('GET', `${c(campaign)}/week${qs({ start })}`),
  remindersCsvUrl: (campaign: string, start?: string) => `/api/v1${c(campaign)}/week/reminders.csv${qs({ start })}`,
  sendReminders: (campaign: string, start?: string) =>
    request<{ sent: number; failed: number; without_email: number }>('POST', `${c(campaign)}/week/reminders${qs({ start })}`),
};
