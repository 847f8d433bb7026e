// The team: members within one's territory, who recruited them, and adding staff or walkers.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, ApiError, type MyCampaign, type Role } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { grantableRoles } from '../lib/access';
import { formatDateTime, t } from '../i18n';
import { TerritoryPicker } from './picker';

export function Team({ mine }: { mine: MyCampaign }) {
  const id = mine.campaign.id;
  const members = useAsync(() => api.members(id), [id]);
  const names = new Map(members.data?.map((m) => [m.user.id, m.user.display_name]));
  const roles = grantableRoles(mine.role);
  return html`
    <section>
      <h1>${t('team.title')}</h1>
      ${roles.length > 0 && html`<${AddMember} mine=${mine} roles=${roles} onAdded=${members.reload} />`}
      <div class="card">
        ${members.error && html`<p class="error">${members.error.message}</p>`}
        ${members.data && members.data.length === 0 && html`<p class="muted">${t('team.empty')}</p>`}
        ${members.data && members.data.length > 0 && html`
          <table class="table" data-testid="members">
            <thead><tr>
              <th>${t('team.name')}</th><th>${t('team.role')}</th><th>${t('team.territories')}</th>
              <th>${t('team.recruitedBy')}</th><th>${t('team.joined')}</th>
            </tr></thead>
            <tbody>
              ${members.data.map((m) => html`<tr>
                <td data-label=${t('team.name')}>${m.user.display_name}${m.user.email && html`<div class="muted small">${m.user.email}</div>`}</td>
                <td data-label=${t('team.role')}><span class=${`badge role-${m.role}`}>${t(`role.${m.role}`)}</span></td>
                <td data-label=${t('team.territories')}>${m.territories.length === 0 ? t('overview.wholeCampaign') : m.territories.map((s) => s.name).join(', ')}</td>
                <td data-label=${t('team.recruitedBy')}>${m.recruited_by ? (names.get(m.recruited_by) ?? '—') : '—'}</td>
                <td data-label=${t('team.joined')} class="small">${formatDateTime(m.joined_at)}</td>
              </tr>`)}
            </tbody>
          </table>`}
      </div>
    </section>`;
}

function AddMember({ mine, roles, onAdded }: { mine: MyCampaign; roles: Role[]; onAdded: () => void }) {
  const [role, setRole] = useState<Role>(roles[roles.length - 1]);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [territory, setTerritory] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const m = await api.addMember(mine.campaign.id, {
        role,
        email: email || undefined,
        display_name: name || undefined,
        password: password || undefined,
        territories: role === 'director' ? [] : [territory],
      });
      setMsg({ ok: true, text: t('team.added', { name: m.user.display_name }) });
      setEmail('');
      setName('');
      setPassword('');
      onAdded();
    } catch (err) {
      setMsg({ ok: false, text: err instanceof ApiError ? err.message : t('common.error') });
    }
  };
  const val = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return html`
    <details class="card">
      <summary>${t('team.add')}</summary>
      <form class="grid-form" onSubmit=${submit}>
        <label>${t('team.role')}
          <select value=${role} onChange=${(e: Event) => setRole((e.target as HTMLSelectElement).value as Role)}>
            ${roles.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}
          </select>
        </label>
        ${role !== 'director' && html`<${TerritoryPicker} mine=${mine} value=${territory} onChange=${setTerritory} label=${t('team.territory')} />`}
        <label>${t('team.displayName')}<input required value=${name} onInput=${val(setName)} /></label>
        <label>${t('team.email')}<input type="email" required=${role !== 'walker'} value=${email} onInput=${val(setEmail)} /></label>
        ${role !== 'walker' && html`<label>${t('team.password')}<input type="password" minlength="10" required autocomplete="new-password" value=${password} onInput=${val(setPassword)} /></label>`}
        <div class="actions"><button type="submit" class="primary">${t('team.add')}</button></div>
        ${msg && html`<p class=${msg.ok ? 'ok' : 'error'} role="status">${msg.text}</p>`}
      </form>
    </details>`;
}
