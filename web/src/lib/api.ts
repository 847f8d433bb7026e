// The API client shared by the dashboard and the field app: JSON in and out, the session
// cookie sent by the browser, the anti-CSRF token echoed on every write, errors as ApiError
// with the server's stable code.

export type Role = 'admin' | 'director' | 'coordinator' | 'trainer' | 'walker';
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
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** Remembers the anti-CSRF token given at sign-in. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
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
    const err = (data ?? {}) as { code?: string; message?: string };
    const retry = resp.headers.get('retry-after');
    throw new ApiError(resp.status, err.code ?? 'http_error', err.message ?? `HTTP ${resp.status}`, retry ? Number(retry) : null);
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
