// The API of representativeness (issue 8): the quota board, the campaign's quota options,
// the walker's wanted profiles, and weightings.
import { request } from './api';

export type QuotaStatus = 'complete' | 'on_track' | 'behind';
export interface QuotaCell {
  territory_id: string; territory_code: string; territory_name: string; set: 'sex_age' | 'occupation';
  sex: string | null; age_band: string | null; occupation: string | null; label: string;
  target: number; done: number; remaining: number; expected_by_now: number; shortfall: number; status: QuotaStatus;
}
export interface QuotaTerritory {
  territory_id: string; code: string; name: string; target: number; done: number;
  expected_by_now: number; shortfall: number; cells_behind: number;
}
export interface QuotaBoard {
  plan_id: string | null; plan_name: string | null;
  period: { starts_on: string; ends_on: string; progress: number } | null;
  show_to_walkers: boolean; census_source: string;
  territories: QuotaTerritory[]; cells: QuotaCell[]; go_after: QuotaCell[]; warnings: string[];
}
export interface QuotaSettings { show_to_walkers: boolean; field_starts_on: string | null; field_ends_on: string | null }
export interface WantedProfile {
  territory_name: string; label: string; sex: string | null; age_band: string | null; occupation: string | null;
  remaining: number; behind: boolean;
}
export interface WantedProfiles { shown: boolean; profiles: WantedProfile[] }

export type WeightingMethod = 'raking' | 'linear' | 'logit';
export type MarginsSource = 'census' | 'paris_rp2011';
export interface WeightingParams {
  questionnaire: string; method?: WeightingMethod; bounds?: [number, number] | null; trim?: number | null; margins?: MarginsSource;
}
export interface MarginRow {
  variable: string; category: string; label: string; respondents: number; target: number; before: number; after: number;
  relative_deviation: number;
}
export interface WeightingReport {
  margins_source: string; design: string; responses: number; weighted: number;
  excluded_outside_plan: number; excluded_incomplete_profile: number;
  converged: boolean; iterations: number; max_relative_deviation: number;
  kish_deff: number; effective_sample_size: number; trimmed: number;
  margins: MarginRow[];
  weights: {
    min: number; p05: number; q1: number; median: number; q3: number; p95: number; max: number; mean: number; cv: number;
    histogram: { from: number; to: number; count: number }[];
  } | null;
  warnings: string[];
}
export interface Weighting {
  id: string; questionnaire_id: string; plan_id: string | null; params: WeightingParams; report: WeightingReport;
  weighted: number; created_at: string;
}

const c = (id: string) => `/campaigns/${encodeURIComponent(id)}`;

export const quotaApi = {
  board: (campaign: string) => request<QuotaBoard>('GET', `${c(campaign)}/quotas`),
  setSettings: (campaign: string, s: QuotaSettings) => request<QuotaSettings>('PUT', `${c(campaign)}/quota-settings`, s),
  wanted: (campaign: string) => request<WantedProfiles>('GET', `${c(campaign)}/field/quotas`),
  weigh: (campaign: string, p: WeightingParams) => request<Weighting>('POST', `${c(campaign)}/weightings`, p),
  latest: (campaign: string, questionnaire: string) =>
    request<Weighting>('GET', `${c(campaign)}/weightings/latest?questionnaire=${encodeURIComponent(questionnaire)}`),
};
