// The API of the diagnostic (issue 9): closed results, themes, coding, reading list, report.
import { request } from './api';

export interface Weighting { calibrated: boolean; label: string }
export interface EstimateRow {
  label: string; respondents: number; weighted: number;
  estimate: number | null; standard_error: number | null; lower: number | null; upper: number | null; suppressed: boolean;
}
export interface ClosedTable {
  question: string; text: string; kind: 'shares' | 'mean'; multiple: boolean; group: string | null; respondents: number; rows: EstimateRow[];
}
export interface Closed {
  questionnaire_id: string; questionnaire: string; respondents: number; weighting: Weighting; method: string;
  min_cell: number; by: string | null; tables: ClosedTable[];
}
export interface Share { estimate: number; lower: number; upper: number; n: number; count: number }
export interface Theme {
  code: string; label: string; terms: string[]; share: Share; mention_share: Share;
  verbatims: { response_id: string; text: string }[];
  groups: GroupShare[];
  breakdowns: { by: string; groups: GroupShare[] }[];
}
export interface GroupShare { group: string; n: number; share: Share | null; suppressed: boolean }
export interface Themes {
  questionnaire_id: string; question: string; text: string; respondents: number; answers: number; k: number;
  k_chosen_by: string; weighting: Weighting; min_cell: number; masked: boolean; themes: Theme[]; note: string | null;
  open_questions: { key: string; text: string }[];
}
export interface Code { id: string; label: string; description: string | null; key: string | null }
export interface Coding {
  questionnaire_id: string; question: string; text: string; codebook: Code[];
  next: { response_id: string; text: string; proposals: { code: string; weight: number }[] } | null;
  answers: number; coded_by_me: number; coded: number; double_coded: number;
  kappa: { kappa: number; lower: number; upper: number; observed: number; n: number } | null;
  shares: { code: string; label: string; share: Share }[];
  weighting: Weighting; masked: boolean;
  open_questions: { key: string; text: string }[];
}
/** A code as the codebook editor sends it: no id for a new code. */
export interface CodeInput { id?: string; label: string; description: string | null; key: string | null }
export interface ReadingItem { response_id: string; question: string; text: string; codes: string[] }

const base = (c: string) => `/campaigns/${encodeURIComponent(c)}/diagnostic`;
const qs = (p: Record<string, string | undefined>) =>
  Object.entries(p)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`)
    .join('&');

export const diagnosticApi = {
  closed: (c: string, questionnaire: string, by?: string) => request<Closed>('GET', `${base(c)}/closed?${qs({ questionnaire, by })}`),
  themes: (c: string, questionnaire: string, question?: string) =>
    request<Themes>('GET', `${base(c)}/themes?${qs({ questionnaire, question })}`),
  coding: (c: string, questionnaire: string, question?: string) =>
    request<Coding>('GET', `${base(c)}/coding?${qs({ questionnaire, question })}`),
  code: (c: string, body: { questionnaire: string; question: string; response_id: string; codes: string[]; flagged: boolean }) =>
    request<Coding>('POST', `${base(c)}/coding`, body),
  editCodebook: (c: string, body: { questionnaire: string; question: string; codes: CodeInput[] }) =>
    request<Coding>('PUT', `${base(c)}/codebook`, body),
  readingList: (c: string, questionnaire: string) => request<ReadingItem[]>('GET', `${base(c)}/reading-list?${qs({ questionnaire })}`),
  reportUrl: (c: string, questionnaire: string) => `/api/v1${base(c)}/report?${qs({ questionnaire })}`,
  reportPdfUrl: (c: string, questionnaire: string) => `/api/v1${base(c)}/report.pdf?${qs({ questionnaire })}`,
  xlsxUrl: (c: string, questionnaire: string) => `/api/v1${base(c)}/export.xlsx?${qs({ questionnaire })}`,
  csvUrl: (c: string, questionnaire: string, table: string, extra: Record<string, string | undefined> = {}) =>
    `/api/v1${base(c)}/export.csv?${qs({ questionnaire, table, ...extra })}`,
};
