// Trainings: organise a session (date, place or video link, capacity, the role-play
// programme), register volunteers, then take attendance and validate skills.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ApiError, volunteersApi, type MyCampaign, type Registration, type Training } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { formatDateTime, t } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { TerritoryPicker } from './picker';

/** A local date and time (from date and time inputs) as an RFC 3339 instant. */
export function instant(date: string, time: string): string {
  return new Date(`${date}T${time}`).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function Trainings({ mine, selected }: { mine: MyCampaign; selected: string | null }) {
  const id = mine.campaign.id;
  const list = useAsync(() => volunteersApi.trainings(id), [id]);
  return html`
    <section>
      <h1>${t('trainings.title')}</h1>
      <${CreateTraining} mine=${mine} onCreated=${list.reload} />
      <div class=${selected ? 'split wide-right' : ''}>
        <div class="card">
          <h2>${t('trainings.upcoming')}</h2>
          ${list.data && list.data.length === 0 && html`<p class="muted">${t('trainings.none')}</p>`}
          <ul class="plain trainings" data-testid="trainings">
            ${list.data?.map((tr) => html`<li class=${tr.id === selected ? 'selected' : ''}>
              <a href=${`#/trainings/${tr.id}`}><strong>${tr.title}</strong></a>
              <div class="small">${formatDateTime(tr.starts_at)} · ${tr.place ?? tr.video_url ?? ''}</div>
              <div class="muted small">${tr.territory.name} · ${t('trainings.fill', { registered: tr.registered, capacity: tr.capacity })}
                ${tr.trainer_name && html` · ${t('trainings.by', { trainer: tr.trainer_name })}`}</div></li>`)}
          </ul>
        </div>
        ${selected && html`<${Detail} key=${selected} mine=${mine} id=${selected} onChanged=${list.reload} />`}
      </div>
    </section>`;
}

function CreateTraining({ mine, onCreated }: { mine: MyCampaign; onCreated: () => void }) {
  const [title, setTitle] = useState('');
  const [territory, setTerritory] = useState('');
  const [date, setDate] = useState('');
  const [start, setStart] = useState('18:30');
  const [end, setEnd] = useState('20:30');
  const [place, setPlace] = useState('');
  const [video, setVideo] = useState('');
  const [capacity, setCapacity] = useState(12);
  const [programme, setProgramme] = useState(t('trainings.programmeDefault'));
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await volunteersApi.createTraining(mine.campaign.id, {
        title, territory_id: territory, starts_at: instant(date, start), ends_at: instant(date, end),
        place: place || undefined, video_url: video || undefined, capacity,
        programme: programme.split('\n').map((s) => s.trim()).filter(Boolean),
      });
      setMsg({ ok: true, text: t('trainings.created') });
      setTitle('');
      onCreated();
    } catch (err) {
      setMsg({ ok: false, text: err instanceof ApiError ? err.message : t('common.error') });
    }
  };
  const val = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return html`
    <details class="card">
      <summary>${t('trainings.create')}</summary>
      <form class="grid-form" onSubmit=${submit}>
        <label>${t('trainings.name')}<input required value=${title} onInput=${val(setTitle)} /></label>
        <${TerritoryPicker} mine=${mine} value=${territory} onChange=${setTerritory} label=${t('trainings.territory')} />
        <label>${t('trainings.date')}<input type="date" required value=${date} onInput=${val(setDate)} /></label>
        <label>${t('trainings.start')}<input type="time" required value=${start} onInput=${val(setStart)} /></label>
        <label>${t('trainings.end')}<input type="time" required value=${end} onInput=${val(setEnd)} /></label>
        <label>${t('trainings.place')}<input value=${place} onInput=${val(setPlace)} /></label>
        <label>${t('trainings.video')}<input type="url" placeholder="https://" value=${video} onInput=${val(setVideo)} /></label>
        <label>${t('trainings.capacity')}<input type="number" min="1" max="500" value=${capacity}
          onInput=${(e: Event) => setCapacity(Number((e.target as HTMLInputElement).value))} /></label>
        <label class="wide">${t('trainings.programme')}<textarea rows="5" value=${programme} onInput=${val(setProgramme)}></textarea></label>
        <div class="actions"><button type="submit" class="primary">${t('trainings.create')}</button></div>
        ${msg && html`<p class=${msg.ok ? 'ok' : 'error'} role="status">${msg.text}</p>`}
      </form>
    </details>`;
}

function Detail({ mine, id, onChanged }: { mine: MyCampaign; id: string; onChanged: () => void }) {
  const c = mine.campaign.id;
  const d = useAsync(() => volunteersApi.training(c, id), [c, id]);
  const [who, setWho] = useState('');
  const candidates = useAsync(() => (who.length >= 2 ? volunteersApi.list(c, { q: who, limit: 8 }) : Promise.resolve(null)), [c, who]);
  const [msg, setMsg] = useState<string | null>(null);
  if (d.error) return html`<div class="card detail-panel"><p class="error">${d.error.message}</p></div>`;
  if (!d.data) return html`<div class="card detail-panel"><p class="muted">${t('common.loading')}</p></div>`;
  const tr = d.data.training;
  const register = async (v: string) => {
    setMsg(null);
    try {
      await volunteersApi.register(c, tr.id, v);
      setWho('');
      d.reload();
      onChanged();
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      setMsg(code === 'training_full' ? t('trainings.full') : code === 'already_registered' ? t('trainings.already') : err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  return html`
    <div class="card detail-panel" data-testid="training-detail">
      <h2>${tr.title}</h2>
      <p class="small">${formatDateTime(tr.starts_at)} → ${formatDateTime(tr.ends_at)}<br />
        ${tr.place}${tr.place && tr.video_url ? ' · ' : ''}${tr.video_url && html`<a href=${tr.video_url} rel="noopener" target="_blank">${tr.video_url}</a>`}</p>
      <p class="muted small">${t('trainings.fill', { registered: tr.registered, capacity: tr.capacity })}</p>
      <h3>${t('trainings.registerWho')}</h3>
      <input type="search" aria-label=${t('trainings.registerWho')} placeholder=${t('volunteers.search')} value=${who}
        onInput=${(e: Event) => setWho((e.target as HTMLInputElement).value)} />
      ${candidates.data && html`<ul class="plain picks">${candidates.data.items.map((v) => html`<li>
        ${v.display_name} <span class="muted small">${v.territory?.name ?? ''} · ${t(`stage.${v.status}` as MessageKey)}</span>
        <button onClick=${() => register(v.id)}>${t('trainings.register')}</button></li>`)}</ul>`}
      ${msg && html`<p class="error" role="alert">${msg}</p>`}
      <h3>${t('trainings.registrations')}</h3>
      ${d.data.registrations.length === 0 && html`<p class="muted">${t('trainings.noRegistrations')}</p>`}
      ${d.data.registrations.map((r) => html`<${Attendance} key=${r.volunteer_id} c=${c} tr=${tr} r=${r} onSaved=${() => { d.reload(); onChanged(); }} />`)}
    </div>`;
}

function Attendance({ c, tr, r, onSaved }: { c: string; tr: Training; r: Registration; onSaved: () => void }) {
  const [attended, setAttended] = useState(r.attended ?? false);
  const [skills, setSkills] = useState<string[]>(r.skills);
  const [validated, setValidated] = useState(r.validated_at !== null);
  const [msg, setMsg] = useState<string | null>(null);
  const save = async () => {
    try {
      await volunteersApi.attendance(c, tr.id, r.volunteer_id, { attended, skills, validated: validated && attended });
      setMsg(null);
      onSaved();
    } catch (err) {
      setMsg(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  const toggle = (s: string) => setSkills(skills.includes(s) ? skills.filter((x) => x !== s) : [...skills, s]);
  return html`<div class="attendance" data-testid="registration">
    <div class="who"><strong>${r.volunteer_name}</strong>
      ${r.validated_at && html`<span class="badge stage-trained">${t('trainings.validated')}</span>`}</div>
    <label class="check"><input type="checkbox" checked=${attended} onChange=${() => setAttended(!attended)} />${t('trainings.attended')}</label>
    <fieldset class="skills"><legend>${t('trainings.skills')}</legend>
      ${tr.programme.map((s) => html`<label class="check"><input type="checkbox" checked=${skills.includes(s)} onChange=${() => toggle(s)} />${s}</label>`)}
    </fieldset>
    <label class="check"><input type="checkbox" checked=${validated} disabled=${!attended} onChange=${() => setValidated(!validated)} />${t('trainings.validate')}</label>
    <button class="primary" onClick=${save}>${t('trainings.save')}</button>
    ${msg && html`<p class="error" role="alert">${msg}</p>`}
  </div>`;
}
