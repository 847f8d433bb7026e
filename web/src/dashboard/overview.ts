// The first page after sign-in: who you are in this campaign, your territory, a few counts.
import { html } from 'htm/preact';
import { api, type MyCampaign } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { can } from '../lib/access';
import { formatNumber, t } from '../i18n';

export function Overview({ mine }: { mine: MyCampaign }) {
  const id = mine.campaign.id;
  const members = useAsync(() => (can(mine.role, 'team') ? api.members(id) : Promise.resolve(null)), [id]);
  const invites = useAsync(() => (can(mine.role, 'invites') ? api.invites(id) : Promise.resolve(null)), [id]);
  const top = useAsync(() => api.territories(id), [id]);
  const now = Date.now();
  const activeInvites = invites.data?.filter((i) => i.uses < i.max_uses && Date.parse(i.expires_at) > now).length;
  const zones = top.data?.reduce((n, t) => n + t.child_count, 0);
  return html`
    <section>
      <h1>${mine.campaign.name}</h1>
      <div class="cards">
        <div class="card stat">
          <div class="label">${t('overview.role')}</div>
          <div class="value">${t(`role.${mine.role}`)}</div>
        </div>
        <div class="card stat">
          <div class="label">${t('overview.scope')}</div>
          <div class="value small">
            ${mine.territories.length === 0
              ? t('overview.wholeCampaign')
              : mine.territories.map((s) => html`<a href=${`#/territories/${s.id}`} class="chip">${s.name}</a>`)}
          </div>
        </div>
        ${members.data && html`<div class="card stat" data-testid="stat-members">
          <div class="label">${t('overview.members')}</div><div class="value">${formatNumber(members.data.length)}</div></div>`}
        ${zones !== undefined && html`<div class="card stat">
          <div class="label">${t('overview.territories')}</div><div class="value">${formatNumber(zones)}</div></div>`}
        ${activeInvites !== undefined && html`<div class="card stat">
          <div class="label">${t('overview.invites')}</div><div class="value">${formatNumber(activeInvites)}</div></div>`}
      </div>
      <div class="card">
        <h2>${t('overview.next')}</h2>
        <ul class="steps">
          <li><a href="#/territories">${t('overview.nextTerritory')}</a></li>
          ${can(mine.role, 'invites') && html`<li><a href="#/invites">${t('overview.nextInvite')}</a></li>`}
          ${can(mine.role, 'team') && mine.role !== 'trainer' && html`<li><a href="#/team">${t('overview.nextTeam')}</a></li>`}
        </ul>
      </div>
    </section>`;
}
