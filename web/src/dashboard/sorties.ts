// The coordinator's week: a calendar of the sorties and trainings of their territory, the
// areas that lack people, who is free, reminders to export or mail; planning a sortie on a
// map of the bureaux (no tiles); teams and their leaderboard.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import {
  ApiError, volunteersApi, type MyCampaign, type Sortie, type Team, type Week,
} from '../lib/api';
import { useAsync, type Async } from '../lib/hooks';
import { GeoMap } from '../lib/geomap';
import { t } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { TerritoryPicker } from './picker';
import { instant } from './trainings';

const dayFmt = new Intl.DateTimeFormat('fr-FR', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'Europe/Paris' });
const hm = (iso: string) => new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' }).format(new Date(iso));
const dayKey = (iso: string) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date(iso));

/** `YYYY-MM-DD` of the day `n` days after `start`. */
export function addDays(start: string, n: number): string {
  const d = new Date(`${start}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function Sorties({ mine }: { mine: MyCampaign }) {
  const id = mine.campaign.id;
  const [start, setStart] = useState<string | undefined>(undefined);
  const week = useAsync(() => volunteersApi.week(id, start), [id, start]);
  const teams = useAsync(() => volunteersApi.teams(id), [id]);
  const w = week.data;
  return html`
    <section>
      <h1>${t('sorties.title')}</h1>
      ${w && html`<div class="week-nav no-print">
        <button onClick=${() => setStart(addDays(w.start, -7))}>← ${t('sorties.prevWeek')}</button>
        <strong>${t('sorties.week', { date: dayFmt.format(new Date(`${w.start}T12:00:00Z`)) })}</strong>
        <button onClick=${() => setStart(addDays(w.start, 7))}>${t('sorties.nextWeek')} →</button>
      </div>`}
      ${week.error && html`<p class="error">${week.error.message}</p>`}
      ${w && html`<${Calendar} w=${w} />`}
      ${w && html`<div class="cards two">
        <${Uncovered} w=${w} />
        <${Available} mine=${mine} w=${w} onChanged=${week.reload} />
      </div>`}
      ${w && html`<${Reminders} mine=${mine} w=${w} />`}
      <${PlanSortie} mine=${mine} teams=${teams.data ?? []} onCreated=${week.reload} />
      ${w && w.sorties.length > 0 && html`<div class="card"><h2>${t('sorties.participants')}</h2>
        ${w.sorties.map((s) => html`<${SortieCard} key=${s.id} s=${s} />`)}</div>`}
      <${Teams} mine=${mine} teams=${teams} />
    </section>`;
}

function Calendar({ w }: { w: Week }) {
  const days = Array.from({ length: 7 }, (_, i) => addDays(w.start, i));
  return html`<div class="card"><h2>${t('sorties.calendar')}</h2>
    <div class="calendar" data-testid="calendar">
      ${days.map((d) => html`<div class="day">
        <div class="day-head">${dayFmt.format(new Date(`${d}T12:00:00Z`))}</div>
        ${w.sorties.filter((s) => dayKey(s.starts_at) === d).map((s) => html`<div class=${`chip-sortie ${s.uncovered ? 'short' : 'ok'}`}>
          <strong>${hm(s.starts_at)}–${hm(s.ends_at)}</strong> ${s.title}
          <div class="small">${s.areas.map((a) => a.territory.name).join(', ')}</div></div>`)}
        ${w.trainings.filter((x) => dayKey(x.starts_at) === d).map((x) => html`<div class="chip-training">
          <strong>${hm(x.starts_at)}</strong> ${t('sorties.trainingChip')} · ${x.title}</div>`)}
      </div>`)}
    </div>
    ${w.sorties.length === 0 && html`<p class="muted">${t('sorties.none')}</p>`}
  </div>`;
}

function Uncovered({ w }: { w: Week }) {
  return html`<div class="card" data-testid="uncovered"><h2>${t('sorties.uncovered')}</h2>
    ${w.uncovered.length === 0 ? html`<p class="muted">${t('sorties.allCovered')}</p>` : html`<ul class="plain">
      ${w.uncovered.map((u) => html`<li><span class="warn">${u.area.name}</span> — ${u.sortie_title}, ${dayFmt.format(new Date(u.starts_at))} ${hm(u.starts_at)}
        <span class="badge">${t('sorties.coverage', { accepted: u.accepted, min: u.needed })}</span></li>`)}</ul>`}
  </div>`;
}

function Available({ mine, w, onChanged }: { mine: MyCampaign; w: Week; onChanged: () => void }) {
  const [msg, setMsg] = useState<string | null>(null);
  const title = (id: string) => w.sorties.find((s) => s.id === id)?.title ?? '';
  const invite = async (sortie: string, v: string) => {
    try {
      await volunteersApi.setParticipant(mine.campaign.id, sortie, v, { status: 'invited' });
      setMsg(null);
      onChanged();
    } catch (err) {
      setMsg(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  const plans = ['admin', 'director', 'coordinator'].includes(mine.role);
  return html`<div class="card" data-testid="available"><h2>${t('sorties.available')}</h2>
    ${w.available.length === 0 ? html`<p class="muted">${t('sorties.noneAvailable')}</p>` : html`<ul class="plain">
      ${w.available.slice(0, 30).map((a) => html`<li>${a.display_name} <span class="muted small">${a.territory_name ?? ''}</span>
        <div class="small">${t('sorties.freeFor', { list: a.free_for.map(title).join(', ') })}
        ${plans && a.free_for.map((s) => html` <button class="link" onClick=${() => invite(s, a.volunteer_id)}>${t('sorties.invite')} (${title(s)})</button>`)}</div></li>`)}</ul>`}
    ${msg && html`<p class="error" role="alert">${msg}</p>`}
  </div>`;
}

function Reminders({ mine, w }: { mine: MyCampaign; w: Week }) {
  const [msg, setMsg] = useState<string | null>(null);
  if (!['admin', 'director', 'coordinator'].includes(mine.role)) return null;
  const send = async () => {
    try {
      const r = await volunteersApi.sendReminders(mine.campaign.id, w.start);
      setMsg(t('sorties.remindersSent', { sent: r.sent, without: r.without_email }));
    } catch (err) {
      setMsg(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  return html`<div class="card no-print"><h2>${t('sorties.reminders')}</h2>
    <div class="actions-row">
      <a class="button" href=${volunteersApi.remindersCsvUrl(mine.campaign.id, w.start)} download="rappels.csv">${t('sorties.remindersCsv')}</a>
      ${w.mail_configured ? html`<button onClick=${send}>${t('sorties.remindersSend')}</button>` : html`<span class="muted small">${t('sorties.noMail')}</span>`}
    </div>
    ${msg && html`<p class="muted" role="status">${msg}</p>`}
  </div>`;
}

function SortieCard({ s }: { s: Sortie }) {
  const areaName = (id: string | null) => s.areas.find((a) => a.territory.id === id)?.territory.name ?? '—';
  return html`<div class="sortie-card" data-testid="sortie">
    <h3>${s.title} <span class="muted small">${dayFmt.format(new Date(s.starts_at))} ${hm(s.starts_at)}–${hm(s.ends_at)}</span></h3>
    <p class="small">${t('sorties.meeting')} : ${s.meeting_point}${s.team_name ? ` · ${s.team_name}` : ''}</p>
    <div class="areas">${s.areas.map((a) => html`<span class=${`badge ${a.covered ? 'stage-trained' : 'warn-badge'}`}>${a.territory.name} ${t('sorties.coverage', { accepted: a.accepted, min: s.min_per_area })}</span>`)}</div>
    ${s.participants.length > 0 && html`<ul class="plain small">${s.participants.map((p) => html`<li>${p.display_name} — ${t(`answer.${p.status}` as MessageKey)} · ${areaName(p.area_id)}</li>`)}</ul>`}
  </div>`;
}

function PlanSortie({ mine, teams, onCreated }: { mine: MyCampaign; teams: { id: string; name: string }[]; onCreated: () => void }) {
  const [territory, setTerritory] = useState(mine.territories[0]?.id ?? '');
  const map = useAsync(() => (territory ? volunteersApi.map(mine.campaign.id, territory) : Promise.resolve(null)), [mine.campaign.id, territory]);
  const [title, setTitle] = useState('');
  const [date, setDate] = useState('');
  const [start, setStart] = useState('10:00');
  const [end, setEnd] = useState('12:30');
  const [meeting, setMeeting] = useState('');
  const [point, setPoint] = useState<[number, number] | null>(null);
  const [areas, setAreas] = useState<string[]>([]);
  const [team, setTeam] = useState('');
  const [open, setOpen] = useState(true);
  const [min, setMin] = useState(2);
  const [mode, setMode] = useState<'areas' | 'point'>('areas');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  if (!['admin', 'director', 'coordinator'].includes(mine.role)) return null;
  const names = new Map(map.data?.features.map((f) => [f.properties.id, f.properties.name]));
  const toggle = (id: string) => setAreas(areas.includes(id) ? areas.filter((a) => a !== id) : [...areas, id]);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await volunteersApi.createSortie(mine.campaign.id, {
        title, territory_id: territory, starts_at: instant(date, start), ends_at: instant(date, end), meeting_point: meeting,
        meeting_lon: point?.[0], meeting_lat: point?.[1], areas, team_id: team || undefined, open_signup: open, min_per_area: min,
      });
      setMsg({ ok: true, text: t('sorties.created') });
      setTitle('');
      setAreas([]);
      onCreated();
    } catch (err) {
      setMsg({ ok: false, text: err instanceof ApiError ? err.message : t('common.error') });
    }
  };
  const val = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return html`<details class="card no-print" open>
    <summary>${t('sorties.plan')}</summary>
    <form class="plan" onSubmit=${submit}>
      <div class="grid-form">
        <label>${t('sorties.name')}<input required value=${title} onInput=${val(setTitle)} /></label>
        <${TerritoryPicker} mine=${mine} value=${territory} onChange=${(v: string) => { setTerritory(v); setAreas([]); }} label=${t('sorties.territory')} />
        <label>${t('sorties.date')}<input type="date" required value=${date} onInput=${val(setDate)} /></label>
        <label>${t('sorties.start')}<input type="time" required value=${start} onInput=${val(setStart)} /></label>
        <label>${t('sorties.end')}<input type="time" required value=${end} onInput=${val(setEnd)} /></label>
        <label>${t('sorties.meeting')}<input required value=${meeting} onInput=${val(setMeeting)} /></label>
        <label>${t('sorties.team')}<select value=${team} onChange=${(e: Event) => setTeam((e.target as HTMLSelectElement).value)}>
          <option value="">${t('sorties.noTeam')}</option>${teams.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select></label>
        <label>${t('sorties.minPerArea')}<input type="number" min="1" max="10" value=${min} onInput=${(e: Event) => setMin(Number((e.target as HTMLInputElement).value))} /></label>
        <label class="check"><input type="checkbox" checked=${open} onChange=${() => setOpen(!open)} />${t('sorties.open')}</label>
      </div>
      <div class="map-box">
        <div class="map-tools">
          <div class="segmented" role="radiogroup">
            <label class="check"><input type="radio" name="mode" checked=${mode === 'areas'} onChange=${() => setMode('areas')} />${t('sorties.modeAreas')}</label>
            <label class="check"><input type="radio" name="mode" checked=${mode === 'point'} onChange=${() => setMode('point')} />${t('sorties.modePoint')}</label>
          </div>
          <p class="muted small">${t('sorties.meetingHint')}</p>
        </div>
        ${map.data && html`<${GeoMap} fc=${map.data} width=${720} selected=${areas} point=${point} label=${t('sorties.mapLabel')}
          onArea=${mode === 'areas' ? toggle : undefined} onPoint=${mode === 'point' ? setPoint : undefined} />`}
        <p class="small" data-testid="chosen-areas"><strong>${t('sorties.areas')} :</strong> ${areas.length ? areas.map((a) => names.get(a) ?? a).join(', ') : t('sorties.noAreas')}</p>
      </div>
      <div class="actions"><button type="submit" class="primary" disabled=${areas.length === 0}>${t('sorties.submit')}</button></div>
      ${msg && html`<p class=${msg.ok ? 'ok' : 'error'} role="status">${msg.text}</p>`}
    </form>
  </details>`;
}

function Teams({ mine, teams }: { mine: MyCampaign; teams: Async<Team[]> }) {
  const c = mine.campaign.id;
  const board = useAsync(() => volunteersApi.recognition(c), [c]);
  const pool = useAsync(() => volunteersApi.list(c, { limit: 200 }), [c]);
  const [name, setName] = useState('');
  const [territory, setTerritory] = useState(mine.territories[0]?.id ?? '');
  const [members, setMembers] = useState<string[]>([]);
  const [feed, setFeed] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const plans = ['admin', 'director', 'coordinator'].includes(mine.role);
  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      setMsg(null);
      teams.reload();
      board.reload();
    } catch (err) {
      setMsg(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  return html`<div class="cards two">
    <div class="card"><h2>${t('sorties.teams')}</h2>
      <ul class="plain">${teams.data?.map((x) => html`<li><strong>${x.name}</strong> <span class="muted small">${x.territory.name}</span>
        <div class="small">${x.members.map((m) => m.display_name).join(', ') || '—'}</div>
        ${plans && html`<button class="link" onClick=${() => act(async () => setFeed((await volunteersApi.teamFeed(c, x.id)).url))}>${t('sorties.teamFeed')}</button>`}</li>`)}</ul>
      ${feed && html`<p class="small">${t('sorties.feedHint')} <code class="mono">${feed}</code></p>`}
      ${plans && html`<details><summary>${t('sorties.newTeam')}</summary>
        <form class="grid-form" onSubmit=${(e: Event) => { e.preventDefault(); act(async () => { await volunteersApi.createTeam(c, { name, territory_id: territory, members }); setName(''); setMembers([]); }); }}>
          <label>${t('sorties.teamName')}<input required value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></label>
          <${TerritoryPicker} mine=${mine} value=${territory} onChange=${setTerritory} label=${t('sorties.territory')} />
          <label class="wide">${t('sorties.teamMembers')}<select multiple size="6" onChange=${(e: Event) => setMembers(Array.from((e.target as HTMLSelectElement).selectedOptions).map((o) => o.value))}>
            ${pool.data?.items.map((v) => html`<option value=${v.id} selected=${members.includes(v.id)}>${v.display_name} — ${t(`stage.${v.status}` as MessageKey)}</option>`)}</select></label>
          <div class="actions"><button class="primary" type="submit">${t('sorties.teamCreate')}</button></div>
        </form></details>`}
      ${msg && html`<p class="error" role="alert">${msg}</p>`}
    </div>
    <div class="card" data-testid="leaderboard"><h2>${t('sorties.leaderboard')}</h2>
      ${board.data && !board.data.leaderboard_visible && html`<p class="muted small">${t('sorties.leaderboardHidden')}</p>`}
      <ol>${board.data?.teams.map((s) => html`<li><strong>${s.name}</strong> <span class="muted small">${t('sorties.score', { sorties: s.sorties, trainings: s.trainings })}</span></li>`)}</ol>
      ${plans && mine.territories.length > 0 && board.data && html`<button onClick=${() => act(() => volunteersApi.switchLeaderboard(c, mine.territories[0].id, !board.data!.leaderboard_visible))}>
        ${board.data.leaderboard_visible ? t('sorties.leaderboardHide') : t('sorties.leaderboardShow')}</button>`}
    </div>
  </div>`;
}
