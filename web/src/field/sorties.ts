// The walker's next sorties on the field app's home: when, where to meet (a little map drawn
// from the areas' contours, no tiles), their area and partner, accept or decline; trainings
// to register for; their calendar feed. The last answer is kept on the phone for offline use.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, volunteersApi, type MySortie, type MySorties } from '../lib/api';
import { GeoMap } from '../lib/geomap';
import { formatDateTime, t } from '../i18n';

const KEY = 'terrain.field.sorties';

interface Saved { campaign: string; data: MySorties; savedAt: string }

function load(): Saved | null {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Saved | null;
    return v && typeof v.campaign === 'string' && v.data && Array.isArray(v.data.sorties) ? v : null;
  } catch {
    return null;
  }
}

const when = (s: { starts_at: string; ends_at: string }) => {
  const d = new Date(s.starts_at);
  const day = new Intl.DateTimeFormat('fr-FR', { weekday: 'long', day: 'numeric', month: 'long' }).format(d);
  const hm = (x: Date) => new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit' }).format(x);
  return `${day}, ${hm(d)} – ${hm(new Date(s.ends_at))}`;
};

export function NextSorties({ online }: { online: boolean }) {
  const [saved, setSaved] = useState<Saved | null>(load());
  const [offline, setOffline] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [feed, setFeed] = useState<string | null>(null);
  const refresh = async () => {
    try {
      const s = await api.session();
      const campaign = s.campaigns[0]?.campaign.id;
      if (!campaign) return;
      const data = await volunteersApi.mySorties(campaign);
      const next = { campaign, data, savedAt: new Date().toISOString() };
      localStorage.setItem(KEY, JSON.stringify(next));
      setSaved(next);
      setOffline(false);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'network') setOffline(true);
    }
  };
  useEffect(() => {
    refresh();
  }, [online]);
  const answer = async (s: MySortie, a: 'accepted' | 'declined') => {
    if (!saved) return;
    setMsg(null);
    try {
      await volunteersApi.answer(saved.campaign, s.id, a);
      await refresh();
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      setMsg(code === 'not_trained' ? t('field.sortie.trainFirst')
        : code === 'schedule_conflict' && err instanceof ApiError ? t('sorties.conflict', { message: err.message })
        : code === 'network' ? t('field.join.offline') : t('common.error'));
    }
  };
  const register = async (training: string) => {
    if (!saved) return;
    try {
      await volunteersApi.register(saved.campaign, training);
      await refresh();
    } catch (err) {
      setMsg(err instanceof ApiError && err.code === 'training_full' ? t('trainings.full') : t('common.error'));
    }
  };
  if (!saved) {
    return html`<div class="panel"><div class="label">${t('field.home.next')}</div><p>${t('field.home.noSession')}</p></div>`;
  }
  const { data } = saved;
  const [next, ...later] = data.sorties;
  return html`
    ${offline && html`<p class="muted small">${t('field.sortie.offlineCopy', { when: formatDateTime(saved.savedAt) })}</p>`}
    ${next ? html`<${SortieCard} s=${next} first=${true} onAnswer=${answer} />` : html`<div class="panel" data-testid="next-sortie">
      <div class="label">${t('field.home.next')}</div><p>${t('field.home.noSession')}</p></div>`}
    ${!data.may_go_out && html`<p class="panel warn">${t('field.sortie.trainFirst')}</p>`}
    ${msg && html`<p class="error" role="alert">${msg}</p>`}
    ${later.length > 0 && html`<div class="label">${t('field.sortie.others')}</div>
      ${later.map((s) => html`<${SortieCard} s=${s} first=${false} onAnswer=${answer} />`)}`}
    ${data.trainings.length > 0 && html`<div class="panel">
      <div class="label">${t('field.sortie.trainings')}</div>
      ${data.trainings.map((x) => html`<div class="training-row">
        <div><strong>${x.title}</strong><div class="small">${when(x)}</div><div class="muted small">${x.place ?? x.video_url ?? ''}</div></div>
        ${x.mine ? html`<span class="ok small">${t('field.sortie.registered')}</span>`
          : html`<button onClick=${() => register(x.id)} disabled=${!online}>${t('field.sortie.register')}</button>`}
      </div>`)}
    </div>`}
    <button class="link" onClick=${async () => { try { setFeed((await volunteersApi.myFeed(saved.campaign)).url); } catch { setMsg(t('common.error')); } }}
      disabled=${!online}>${t('field.sortie.calendar')}</button>
    ${feed && html`<p class="small">${t('field.sortie.feedReady')} <code class="mono">${feed}</code></p>`}`;
}

function SortieCard({ s, first, onAnswer }: { s: MySortie; first: boolean; onAnswer: (s: MySortie, a: 'accepted' | 'declined') => void }) {
  const point: [number, number] | null = s.meeting_lon !== null && s.meeting_lat !== null ? [s.meeting_lon, s.meeting_lat] : null;
  const status = s.my_status === 'accepted' ? t('field.sortie.accepted')
    : s.my_status === 'declined' ? t('field.sortie.declined')
    : s.my_status === 'invited' ? t('field.sortie.invited') : t('field.sortie.openToJoin');
  return html`<div class="panel sortie" data-testid=${first ? 'next-sortie' : 'sortie'}>
    ${first && html`<div class="label">${t('field.sortie.next')}</div>`}
    <h2>${s.title}</h2>
    <div class="when">${when(s)}</div>
    <div><div class="label">${t('field.sortie.meet')}</div><div class="strong meet">${s.meeting_point}</div></div>
    ${s.areas_geojson.features.length > 0 && html`<${GeoMap} fc=${s.areas_geojson} width=${360} point=${point}
      highlight=${s.my_area ? [s.my_area.id] : []} label=${t('field.sortie.map')} />`}
    ${point && html`<a class="small" href=${`geo:${point[1]},${point[0]}`}>${t('field.sortie.directions')}</a>`}
    ${s.my_area && html`<div><div class="label">${t('field.sortie.area')}</div><div>${s.my_area.name}</div></div>`}
    ${s.my_status === 'accepted' && html`<div><div class="label">${t('field.sortie.partners')}</div>
      <div>${s.partners.length ? s.partners.join(', ') : t('field.sortie.alone')}</div></div>`}
    ${s.notes && html`<p class="small">${s.notes}</p>`}
    <div class="answer-status ${s.my_status ?? 'open'}">${status}</div>
    <div class="answer">
      ${s.my_status !== 'accepted' && html`<button class="primary big" onClick=${() => onAnswer(s, 'accepted')}>${t('field.sortie.accept')}</button>`}
      ${s.my_status !== 'declined' && s.my_status !== null && html`<button class="big" onClick=${() => onAnswer(s, 'declined')}>${t('field.sortie.decline')}</button>`}
    </div>
  </div>`;
}
