// A territory chooser for forms: one's own territories and the level below them (for a
// director: departments, communes and arrondissements).
import { html } from 'htm/preact';
import { api, type MyCampaign, type Territory } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { t } from '../i18n';

async function choices(mine: MyCampaign): Promise<Territory[]> {
  const id = mine.campaign.id;
  if (mine.territories.length === 0) {
    const lists = await Promise.all(
      (['department', 'commune', 'arrondissement'] as const).map((kind) => api.territories(id, { kind, limit: 500 })),
    );
    return lists.flat();
  }
  const out: Territory[] = [];
  for (const s of mine.territories) {
    const [self, children] = await Promise.all([api.territory(id, s.id), api.territories(id, { parent: s.id, limit: 500 })]);
    out.push(self, ...children);
  }
  return out;
}

export function TerritoryPicker({ mine, value, onChange, label }: {
  mine: MyCampaign; value: string; onChange: (id: string) => void; label: string;
}) {
  const list = useAsync(() => choices(mine), [mine.campaign.id]);
  return html`<label>${label}
    <select required value=${value} onChange=${(e: Event) => onChange((e.target as HTMLSelectElement).value)}>
      <option value="" disabled>—</option>
      ${list.data?.map((o) => html`<option value=${o.id}>${t(`kind.${o.kind}`)} · ${o.name}</option>`)}
    </select>
  </label>`;
}
