// Invites: a code (and its QR code, to print) for walkers to join from their phone.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, ApiError, type CreatedInvite, type MyCampaign, type Role } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { formatDateTime, t } from '../i18n';
import { TerritoryPicker } from './picker';

export function Invites({ mine }: { mine: MyCampaign }) {
  const id = mine.campaign.id;
  const list = useAsync(() => api.invites(id), [id]);
  const [territory, setTerritory] = useState('');
  const [role, setRole] = useState<Role>('walker');
  const [hours, setHours] = useState(72);
  const [uses, setUses] = useState(20);
  const [created, setCreated] = useState<CreatedInvite | null>(null);
  const [error, setError] = useState<string | null>(null);
  const canInviteTrainers = mine.role !== 'trainer';
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setCreated(await api.createInvite(id, { territory_id: territory, role, expires_in_hours: hours, max_uses: uses }));
      list.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  const now = Date.now();
  return html`
    <section>
      <h1>${t('invites.title')}</h1>
      <form class="card grid-form no-print" onSubmit=${submit}>
        <h2>${t('invites.create')}</h2>
        <${TerritoryPicker} mine=${mine} value=${territory} onChange=${setTerritory} label=${t('invites.territory')} />
        ${canInviteTrainers && html`<label>${t('invites.role')}
          <select value=${role} onChange=${(e: Event) => setRole((e.target as HTMLSelectElement).value as Role)}>
            <option value="walker">${t('role.walker')}</option><option value="trainer">${t('role.trainer')}</option>
          </select></label>`}
        <label>${t('invites.hours')}<input type="number" min="1" max="720" value=${hours}
          onInput=${(e: Event) => setHours(Number((e.target as HTMLInputElement).value))} /></label>
        <label>${t('invites.uses')}<input type="number" min="1" max="500" value=${uses}
          onInput=${(e: Event) => setUses(Number((e.target as HTMLInputElement).value))} /></label>
        <div class="actions"><button type="submit" class="primary">${t('invites.create')}</button></div>
        ${error && html`<p class="error" role="alert">${error}</p>`}
      </form>
      ${created && html`
        <div class="card invite-card printable" data-testid="created-invite">
          <div>
            <div class="label">${t('invites.code')}</div>
            <div class="invite-code">${created.code}</div>
            <div class="label">${t('invites.link')}</div>
            <p class="mono small">${created.url}</p>
            <p class="muted small no-print">${t('invites.shownOnce')}</p>
            <button class="no-print" onClick=${() => print()}>${t('common.print')}</button>
          </div>
          <img class="qr" alt=${t('invites.qrAlt')} src=${`data:image/svg+xml;charset=utf-8,${encodeURIComponent(created.qr_svg)}`} />
        </div>`}
      <div class="card no-print">
        <h2>${t('invites.list')}</h2>
        ${list.data && list.data.length === 0 && html`<p class="muted">${t('invites.empty')}</p>`}
        <ul class="invites">
          ${list.data?.map((i) => html`<li>
            <span class=${`badge role-${i.role}`}>${t(`role.${i.role}`)}</span>
            <span>${i.territory_name}</span>
            <span>${t('invites.uses.count', { uses: i.uses, max: i.max_uses })}</span>
            <span class="muted small">${Date.parse(i.expires_at) < now ? t('invites.expired') : t('invites.expires', { date: formatDateTime(i.expires_at) })}</span>
          </li>`)}
        </ul>
      </div>
    </section>`;
}
