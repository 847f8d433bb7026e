// The audit log: every write in the campaign, newest first.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type AuditEntry, type MyCampaign } from '../lib/api';
import { formatDateTime, t } from '../i18n';

export function AuditLog({ mine }: { mine: MyCampaign }) {
  const id = mine.campaign.id;
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [more, setMore] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const load = async (before?: string) => {
    try {
      const page = await api.audit(id, before);
      setEntries((prev) => (before ? [...prev, ...page] : page));
      setMore(page.length === 50);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
    api.members(id).then((ms) => setNames(new Map(ms.map((m) => [m.user.id, m.user.display_name])))).catch(() => {});
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);
  return html`
    <section>
      <h1>${t('audit.title')}</h1>
      <div class="card">
        ${error && html`<p class="error">${error}</p>`}
        <table class="table" data-testid="audit">
          <thead><tr><th>${t('audit.when')}</th><th>${t('audit.action')}</th><th>${t('audit.who')}</th><th>${t('audit.source')}</th></tr></thead>
          <tbody>
            ${entries.map((e) => html`<tr>
              <td class="small">${formatDateTime(e.at)}</td>
              <td><code>${e.action}</code></td>
              <td>${e.actor ? (names.get(e.actor) ?? html`<span class="mono small">${e.actor.slice(-12)}</span>`) : '—'}</td>
              <td>${e.source}</td>
            </tr>`)}
          </tbody>
        </table>
        ${more && entries.length > 0 && html`<button onClick=${() => load(entries[entries.length - 1].id)}>${t('audit.more')}</button>`}
      </div>
    </section>`;
}
