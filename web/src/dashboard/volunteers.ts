// Volunteers: the recruitment funnel (per coordinator, with who recruited how many), the list
// of volunteers of one's territories (paged, searchable, duplicates shown — never merged), a
// volunteer's record with the next step, their invite and their printable certificate.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import {
  ApiError, volunteersApi, type Certificate, type CreatedInvite, type MyCampaign, type Stage, type Volunteer,
} from '../lib/api';
import { useAsync } from '../lib/hooks';
import { formatDateTime, formatNumber, t } from '../i18n';
import type { MessageKey } from '../i18n/fr';

const STAGES: Stage[] = ['signed_up', 'contacted', 'trained', 'active', 'inactive'];
const PAGE = 50;
const stage = (s: Stage) => t(`stage.${s}` as MessageKey);
const slot = (s: string) => t(`slot.${s}` as MessageKey);
const manages = (m: MyCampaign) => ['admin', 'director', 'coordinator'].includes(m.role);
const campaignWide = (m: MyCampaign) => m.territories.length === 0;

export function Volunteers({ mine, selected }: { mine: MyCampaign; selected: string | null }) {
  const id = mine.campaign.id;
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<Stage | ''>('');
  const [dups, setDups] = useState(false);
  const [unplaced, setUnplaced] = useState(false);
  const [offset, setOffset] = useState(0);
  const funnel = useAsync(() => volunteersApi.funnel(id), [id]);
  const list = useAsync(
    () => volunteersApi.list(id, { q, status: status || undefined, duplicates: dups, unplaced, limit: PAGE, offset }),
    [id, q, status, dups, unplaced, offset],
  );
  const reload = () => {
    list.reload();
    funnel.reload();
  };
  const names = new Map(list.data?.items.map((v) => [v.id, v.display_name]));
  const total = list.data?.total ?? 0;
  return html`
    <section>
      <h1>${t('volunteers.title')}</h1>
      ${funnel.data && html`<div class="card">
        <h2>${t('volunteers.funnel')}</h2>
        <ol class="funnel" data-testid="funnel">
          ${STAGES.map((s) => html`<li class=${`stage-${s}`}><span class="n">${formatNumber(funnel.data!.totals[s])}</span><span>${stage(s)}</span></li>`)}
        </ol>
        ${funnel.data.unplaced > 0 && html`<p class="muted small">${t('volunteers.unplaced', { n: funnel.data.unplaced })}</p>`}
        ${funnel.data.coordinators.length > 0 && html`
          <h3>${t('volunteers.funnelBy')}</h3>
          <table class="table compact">
            <thead><tr><th>${t('volunteers.coordinator')}</th>${STAGES.map((s) => html`<th class="num">${stage(s)}</th>`)}<th class="num">${t('volunteers.recruited')}</th></tr></thead>
            <tbody>${funnel.data.coordinators.map((c) => html`<tr>
              <td data-label=${t('volunteers.coordinator')}>${c.name}<div class="muted small">${c.territories.join(', ')}</div></td>
              ${STAGES.map((s) => html`<td class="num" data-label=${stage(s)}>${formatNumber(c.counts[s])}</td>`)}
              <td class="num" data-label=${t('volunteers.recruited')}>${formatNumber(c.recruited)}</td></tr>`)}</tbody>
          </table>`}
      </div>`}
      ${campaignWide(mine) && manages(mine) && html`<${Settings} mine=${mine} />`}
      <div class=${selected ? 'split wide-right' : ''}>
        <div class="card">
          <div class="filters">
            <input type="search" aria-label=${t('volunteers.search')} placeholder=${t('volunteers.search')} value=${q}
              onInput=${(e: Event) => { setQ((e.target as HTMLInputElement).value); setOffset(0); }} />
            <select aria-label=${t('volunteers.stage')} value=${status} onChange=${(e: Event) => { setStatus((e.target as HTMLSelectElement).value as Stage); setOffset(0); }}>
              <option value="">${t('volunteers.allStages')}</option>
              ${STAGES.map((s) => html`<option value=${s}>${stage(s)}</option>`)}
            </select>
            <label class="check"><input type="checkbox" checked=${dups} onChange=${() => { setDups(!dups); setOffset(0); }} />${t('volunteers.duplicates')}</label>
            ${campaignWide(mine) && html`<label class="check"><input type="checkbox" checked=${unplaced} onChange=${() => { setUnplaced(!unplaced); setOffset(0); }} />${t('volunteers.unplacedOnly')}</label>`}
          </div>
          ${list.error && html`<p class="error">${list.error.message}</p>`}
          ${list.data && list.data.items.length === 0 && html`<p class="muted">${t('volunteers.none')}</p>`}
          ${list.data && list.data.items.length > 0 && html`
            <div class="table-wrap"><table class="table" data-testid="volunteers">
              <thead><tr><th>${t('volunteers.name')}</th><th>${t('volunteers.contact')}</th><th>${t('volunteers.territory')}</th>
                <th>${t('volunteers.stage')}</th><th>${t('volunteers.recruitedBy')}</th></tr></thead>
              <tbody>${list.data.items.map((v) => html`<tr class=${v.id === selected ? 'selected' : ''}>
                <td data-label=${t('volunteers.name')}><a href=${`#/volunteers/${v.id}`}>${v.display_name}</a>
                  ${v.duplicate_of && html`<div class="warn small">${names.has(v.duplicate_of) ? t('volunteers.dupOf', { name: names.get(v.duplicate_of)! }) : t('volunteers.dupOfOther')}</div>`}
                  ${v.source === 'member' && html`<div class="muted small">${t('volunteers.member')}</div>`}</td>
                <td data-label=${t('volunteers.contact')} class="small contact">${contact(v)}</td>
                <td data-label=${t('volunteers.territory')}>${v.territory?.name ?? '—'}${v.postcode && html`<div class="muted small">${v.postcode}</div>`}</td>
                <td data-label=${t('volunteers.stage')}><span class=${`badge stage-${v.status}`}>${stage(v.status)}</span></td>
                <td data-label=${t('volunteers.recruitedBy')}>${v.recruited_by_name ?? '—'}</td></tr>`)}</tbody>
            </table></div>
            <div class="pager">
              <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE))}>${t('volunteers.prev')}</button>
              <span class="muted">${t('volunteers.page', { from: offset + 1, to: Math.min(offset + PAGE, total), total: formatNumber(total) })}</span>
              <button disabled=${offset + PAGE >= total} onClick=${() => setOffset(offset + PAGE)}>${t('volunteers.next')}</button>
            </div>`}
        </div>
        ${selected && html`<${Detail} key=${selected} mine=${mine} id=${selected} onChanged=${reload} />`}
      </div>
    </section>`;
}

function contact(v: Volunteer) {
  if (!v.email && !v.phone) return '—';
  return html`${v.email && html`<div>${v.email}</div>`}${v.phone && html`<div>${v.phone}</div>`}
    ${!v.consent_contact && html`<div class="muted">${t('volunteers.noConsent')}</div>`}`;
}

function Detail({ mine, id, onChanged }: { mine: MyCampaign; id: string; onChanged: () => void }) {
  const c = mine.campaign.id;
  const detail = useAsync(() => volunteersApi.get(c, id), [c, id]);
  const [invite, setInvite] = useState<CreatedInvite | null>(null);
  const [cert, setCert] = useState<Certificate | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  if (detail.error) return html`<div class="card detail-panel"><p class="error">${detail.error.message}</p></div>`;
  if (!detail.data) return html`<div class="card detail-panel"><p class="muted">${t('common.loading')}</p></div>`;
  const { volunteer: v, trainings, duplicate_of } = detail.data;
  const act = async (f: () => Promise<unknown>) => {
    setMsg(null);
    try {
      await f();
      detail.reload();
      onChanged();
    } catch (err) {
      setMsg(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  const validated = trainings.some((x) => x.validated);
  return html`
    <div class="card detail-panel" data-testid="volunteer-detail">
      <h2>${v.display_name} <span class=${`badge stage-${v.status}`}>${stage(v.status)}</span></h2>
      <dl class="facts">
        <dt>${t('volunteers.contact')}</dt><dd>${contact(v)}</dd>
        <dt>${t('volunteers.territory')}</dt><dd>${v.territory?.name ?? '—'} ${v.postcode && html`<span class="muted">(${v.postcode})</span>`}</dd>
        <dt>${t('volunteers.availability')}</dt><dd>${v.availability.length ? v.availability.map(slot).join(', ') : '—'}</dd>
        <dt>${t('volunteers.recruitedBy')}</dt><dd>${v.recruited_by_name ?? '—'}</dd>
        <dt>${t('volunteers.since')}</dt><dd>${formatDateTime(v.created_at)}</dd>
      </dl>
      ${duplicate_of && html`<p class="warn">${t('volunteers.dupOf', { name: duplicate_of.display_name })} —
        <a href=${`#/volunteers/${duplicate_of.id}`}>${duplicate_of.email ?? duplicate_of.phone ?? ''}</a></p>`}
      ${manages(mine) && html`<div class="actions-row">
        <label>${t('volunteers.setStage')}
          <select value=${v.status} onChange=${(e: Event) => act(() => volunteersApi.update(c, v.id, { status: (e.target as HTMLSelectElement).value as Stage }))}>
            ${STAGES.map((s) => html`<option value=${s}>${stage(s)}</option>`)}
          </select></label>
        ${!v.user_id && v.territory && html`<button onClick=${() => act(async () => setInvite(await volunteersApi.invite(c, v.id)))}>${t('volunteers.inviteOne')}</button>`}
      </div>`}
      ${invite && html`<div class="invite-mini">
        <p class="muted small">${t('volunteers.inviteHint')}</p>
        <div class="invite-code">${invite.code}</div>
        <img class="qr small-qr" alt=${t('invites.qrAlt')} src=${`data:image/svg+xml;charset=utf-8,${encodeURIComponent(invite.qr_svg)}`} />
      </div>`}
      ${trainings.length > 0 && html`<h3>${t('volunteers.trainingsOf')}</h3>
        <ul class="plain">${trainings.map((x) => html`<li>${x.title} — ${formatDateTime(x.starts_at)}
          ${x.validated ? html` <span class="badge stage-trained">${t('trainings.validated')}</span>` : ''}</li>`)}</ul>`}
      ${validated && html`<button class="link" onClick=${() => act(async () => setCert(await volunteersApi.certificate(c, v.id)))}>${t('volunteers.certificate')}</button>`}
      ${msg && html`<p class="error" role="alert">${msg}</p>`}
      ${cert && html`<${CertificateView} cert=${cert} onClose=${() => setCert(null)} />`}
    </div>`;
}

function CertificateView({ cert, onClose }: { cert: Certificate; onClose: () => void }) {
  const day = (iso: string) => new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long' }).format(new Date(iso));
  return html`
    <div class="certificate-overlay">
      <article class="certificate printable" data-testid="certificate">
        <div class="cert-brand"><img src="/favicon.png" alt="" width="40" height="40" /> ${t('app.name')} · ${cert.campaign_name}</div>
        <h1>${t('certificate.title')}</h1>
        <p class="cert-name">${cert.volunteer_name}</p>
        ${cert.role && html`<p>${t('certificate.role', { role: t(`role.${cert.role}`) })}</p>`}
        ${cert.territory_name && html`<p>${t('certificate.territory', { territory: cert.territory_name })}</p>`}
        <p>${t('certificate.body', { name: cert.volunteer_name, campaign: cert.campaign_name })}</p>
        ${cert.trainings.map((x) => html`<section>
          <h3>${x.trainer_name ? t('certificate.trainer', { title: x.title, date: day(x.starts_at), trainer: x.trainer_name }) : t('certificate.trainerUnknown', { title: x.title, date: day(x.starts_at) })}</h3>
          <ul>${x.skills.map((s) => html`<li>${s}</li>`)}</ul>
          <p class="muted small">${t('certificate.validated', { date: day(x.validated_at) })}</p></section>`)}
        <div class="signature">${t('certificate.signature')}</div>
        <div class="no-print actions-row">
          <button class="primary" onClick=${() => print()}>${t('common.print')}</button>
          <button onClick=${onClose}>${t('common.close')}</button>
        </div>
      </article>
    </div>`;
}

function Settings({ mine }: { mine: MyCampaign }) {
  const c = mine.campaign.id;
  const s = useAsync(() => volunteersApi.settings(c), [c]);
  const [msg, setMsg] = useState<string | null>(null);
  if (!s.data) return null;
  const save = async (next: { turfs_require_training: boolean; signup_open: boolean }) => {
    try {
      await volunteersApi.putSettings(c, next);
      setMsg(t('volunteers.saved'));
      s.reload();
    } catch (err) {
      setMsg(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  const link = `${location.origin}/inscription/${mine.campaign.slug}`;
  return html`<details class="card">
    <summary>${t('volunteers.settings')}</summary>
    <label class="check"><input type="checkbox" checked=${s.data.turfs_require_training}
      onChange=${() => save({ ...s.data!, turfs_require_training: !s.data!.turfs_require_training })} />${t('volunteers.turfsRequireTraining')}</label>
    <label class="check"><input type="checkbox" checked=${s.data.signup_open}
      onChange=${() => save({ ...s.data!, signup_open: !s.data!.signup_open })} />${t('volunteers.signupOpen')}</label>
    <p>${t('volunteers.signupLink')} : <a href=${link} target="_blank" rel="noopener">${link}</a></p>
    ${msg && html`<p class="muted small" role="status">${msg}</p>`}
  </details>`;
}
