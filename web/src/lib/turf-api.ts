// The turfs endpoints, typed: cutting bureaux into turfs, listing and drawing them, editing,
// handing out, walk sheets. Same conventions as ./api (JSON, CSRF token, ApiError).
import { request, type FeatureCollection } from './api';

export type TurfStatus = 'planned' | 'checked_out' | 'done' | 'retired';

export interface TurfCheckout {
  to_user: string | null; to_name: string | null; team: string | null; session_id: string | null;
  by: string | null; at: string; expires_at: string; lapsed: boolean;
}
export interface Turf {
  id: string; bureau_id: string; bureau_code: string; bureau_name: string; number: number; label: string;
  status: TurfStatus; stops: number; doors: number; length_m: number; minutes: number; on_network: boolean;
  polsby_popper: number | null; revision: number; checkout: TurfCheckout | null; done_at: string | null; updated_at: string;
}
export interface CutQuality {
  turfs: number; doors: number; doors_mean: number; doors_std: number; doors_std_within_bureau: number;
  doors_min: number; doors_max: number; polsby_popper_mean: number; polsby_popper_p10: number;
  turfs_without_area: number; rms_radius_m: number; hull_overlap: number;
  streets: { segments: number; split: number; split_share: number; doors_on_split_share: number } | null;
}
export interface BureauPlan {
  bureau_id: string; code: string; name: string; version: number; kind: string;
  params: { target_doors?: number; [k: string]: unknown }; quality: CutQuality; summary: Record<string, unknown>; created_at: string;
}
export interface TurfList {
  turfs: Turf[]; bureaux: BureauPlan[];
  network: { source: string; nodes: number; edges: number; length_km: number; imported_at: string } | null;
}
export interface BureauCut {
  bureau_id: string; code: string; name: string; outcome: 'cut' | 'recut' | 'skipped'; reason: string | null;
  version: number | null; turfs: number; stops: number; doors: number; quality: CutQuality | null; summary: Record<string, number> | null;
}
export interface CutResult { bureaux: BureauCut[]; turfs: number; on_network: boolean }
export interface EditResult { version: number; kind: string; quality: CutQuality; summary: Record<string, unknown>; turfs: Turf[] }
export interface TurfStopBuilding { id: string; label: string; doors: number; units: Array<{ id: string; floor: number | null; label: string }> }
export interface TurfStop {
  position: number; address_id: string; label: string; lon: number; lat: number; doors: number; visited: boolean; buildings: TurfStopBuilding[];
}
export interface CutOptions { target_doors: number; method?: 'balanced' | 'bisection'; closed?: boolean }
export interface CheckoutRequest { user_id?: string; team?: string; session_id?: string; hours?: number }

const c = (id: string) => `/campaigns/${encodeURIComponent(id)}`;
const qs = (q: Record<string, string | boolean | undefined>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

export const turfApi = {
  list: (campaign: string, q: { territory?: string; session?: string } = {}) =>
    request<TurfList>('GET', `${c(campaign)}/turfs${qs(q)}`),
  geojson: (campaign: string, q: { territory?: string; stops?: boolean } = {}) =>
    request<FeatureCollection>('GET', `${c(campaign)}/turfs.geojson${qs(q)}`),
  cut: (campaign: string, territory: string, options: CutOptions) =>
    request<CutResult>('POST', `${c(campaign)}/turfs/cut`, { territory, ...options }),
  move: (campaign: string, stops: string[], to: string) => request<EditResult>('POST', `${c(campaign)}/turfs/move`, { stops, to }),
  split: (campaign: string, turf: string, parts: number) => request<EditResult>('POST', `${c(campaign)}/turfs/${turf}/split`, { parts }),
  merge: (campaign: string, turf: string, other: string) => request<EditResult>('POST', `${c(campaign)}/turfs/${turf}/merge`, { other }),
  redraw: (campaign: string, ring: Array<[number, number]>, target: { to?: string; bureau?: string }) =>
    request<EditResult>('POST', `${c(campaign)}/turfs/redraw`, { ring, ...target }),
  stops: (campaign: string, turf: string) => request<TurfStop[]>('GET', `${c(campaign)}/turfs/${turf}/stops`),
  checkout: (campaign: string, turf: string, body: CheckoutRequest) => request<Turf>('POST', `${c(campaign)}/turfs/${turf}/checkout`, body),
  release: (campaign: string, turf: string) => request<Turf>('POST', `${c(campaign)}/turfs/${turf}/release`),
  done: (campaign: string, turf: string) => request<Turf>('POST', `${c(campaign)}/turfs/${turf}/done`),
  /** The walk sheet's address (an HTML page to print). */
  sheetUrl: (campaign: string, turf: string) => `/api/v1${c(campaign)}/turfs/${turf}/sheet`,
};

/** Twelve colours that stay apart from one another on a light background. */
export const TURF_COLORS = [
  '#1f77b4', '#d95f02', '#2ca02c', '#9467bd', '#e7298a', '#8c564b',
  '#17becf', '#b8860b', '#d62728', '#1b9e77', '#7570b3', '#66a61e',
];

/** A turf's colour, from its number (stable across reloads). */
export function turfColor(number: number): string {
  return TURF_COLORS[(Math.max(1, number) - 1) % TURF_COLORS.length];
}

/** `2 h 35`, `45 min`. */
export function formatMinutes(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')}`;
}

/** `850 m`, `1,2 km` (French). */
export function formatMetres(m: number): string {
  return m < 1000 ? `${Math.round(m / 10) * 10} m` : `${(m / 1000).toFixed(1).replace('.', ',')} km`;
}

/** Adds or removes an id from a selection (a new set: state stays immutable). */
export function toggle(set: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(set);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}
