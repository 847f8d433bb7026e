// The profiles still wanted in the walker's area (issue 8), when the campaign shows them:
// "whom to look for" on the field app's home. Counts of interviews wanted, never a response.
// The last answer is kept on the phone for offline use.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { quotaApi, type WantedProfiles } from '../lib/quota-api';
import { t } from '../i18n';

const KEY = 'terrain.field.wanted';

function load(): WantedProfiles | null {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? 'null') as WantedProfiles | null;
    return v && Array.isArray(v.profiles) ? v : null;
  } catch {
    return null;
  }
}

export function WantedPanel({ online }: { online: boolean }) {
  const [wanted, setWanted] = useState<WantedProfiles | null>(load());
  useEffect(() => {
    if (!online) return;
    (async () => {
      try {
        const s = await api.session();
        const campaign = s.campaigns[0]?.campaign.id;
        if (!campaign) return;
        const w = await quotaApi.wanted(campaign);
        localStorage.setItem(KEY, JSON.stringify(w));
        setWanted(w);
      } catch {
        // Offline or refused: keep what the phone has.
      }
    })();
  }, [online]);
  if (!wanted?.shown || wanted.profiles.length === 0) return null;
  return html`<div class="panel" data-testid="wanted">
    <div class="label">${t('field.wanted.title')}</div>
    <p class="muted small">${t('field.wanted.intro')}</p>
    <ul class="wanted">${wanted.profiles.map((p) => html`<li class=${p.behind ? 'behind' : ''}>
      <span>${p.label}</span><span class="muted small"> — ${t('field.wanted.remaining', { n: p.remaining })}</span></li>`)}</ul>
  </div>`;
}
