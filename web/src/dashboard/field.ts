// Field progress for coordinators, trainers and the direction: visits and their outcomes,
// doors, responses by questionnaire version, in one's territory or a part of it; and, for the
// direction only, the respondents who asked to be recontacted, with their consent.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { MyCampaign } from '../lib/api';
import { fieldApi, OUTCOMES, type QualityFlag } from '../lib/field-api';
import { useAsync } from '../lib/hooks';
import { formatDate, formatDateTime, formatNumber, t } from '../i18n';
import type { MessageKey } from '../i18n/fr';

export function FieldProgress({ mine }: { mine: MyCampaign }) {
  const c = mine.campaign.id;
  const [territory, setTerritory] = useState('');
  const progress = useAsync(() => fieldApi.progress(c, territory || undefined), [c, territory]);
  const questionnaires = useAsync(() => fieldApi.questionnaires(c), [c]);
  const direction = mine.role === 'admin' || mine.role === 'director';
  const p = progress.data;
  const versionName = (id: string) => {
    for (const q of questionnaires.data ?? []) {
      const v = q.versions.find((x) => x.id === id);
      if (v) return t('progress.version', { name: q.name, n: v.number });
    }
    return id;
  };
  const opened = p ? OUTCOMES.filter((o) => o !== 'not_home').reduce((a, o) => a + (p.outcomes[o] ?? 0), 0) : 0;
  return html`<section>
    <div class="title-row">
      <h1>${t('progress.title')}</h1>
      ${mine.territories.length > 1 && html`<select aria-label=${t('progress.scope')} value=${territory}
        onChange=${(e: Event) => setTerritory((e.target as HTMLSelectElement).value)}>
        <option value="">${t('progress.allMine')}</option>
        ${mine.territories.map((x) => html`<option value=${x.id}>${x.name}</option>`)}
      </select>`}
      <button type="button" onClick=${progress.reload}>${t('progress.refresh')}</button>
    </div>
    ${progress.error && html`<p class="error">${progress.error.message}</p>`}
    ${p && html`
      <div class="cards six">
        <div class="card stat"><div class="label">${t('progress.visits')}</div><div class="value" data-testid="visits">${formatNumber(p.visits)}</div></div>
        <div class="card stat"><div class="label">${t('progress.doors')}</div><div class="value">${formatNumber(p.doors_visited)}</div></div>
        <div class="card stat"><div class="label">${t('progress.contactRate')}</div><div class="value">${p.visits ? `${Math.round((100 * opened) / p.visits)} %` : '—'}</div></div>
        <div class="card stat"><div class="label">${t('progress.responses')}</div><div class="value" data-testid="responses">${formatNumber(p.responses)}</div></div>
        <div class="card stat"><div class="label">${t('progress.walkers')}</div><div class="value">${formatNumber(p.walkers)}</div></div>
        <div class="card stat"><div class="label">${t('progress.dnk')}</div><div class="value">${formatNumber(p.do_not_knock)}</div></div>
      </div>
      <div class="card">
        <h2>${t('progress.outcomes')}</h2>
        ${p.visits === 0
          ? html`<p class="muted">${t('progress.none')}</p>`
          : html`<ul class="bars">${OUTCOMES.map((o) => {
              const n = p.outcomes[o] ?? 0;
              const pct = p.visits ? (100 * n) / p.visits : 0;
              return html`<li><span class="bar-label">${t(`outcome.${o}` as MessageKey)}</span>
                <span class="bar"><span class=${`fill ${o}`} style=${{ width: `${pct.toFixed(1)}%` }}></span></span>
                <span class="bar-n">${formatNumber(n)}</span></li>`;
            })}</ul>`}
      </div>
      <div class="card">
        <h2>${t('progress.byVersion')}</h2>
        ${Object.keys(p.responses_by_version).length === 0
          ? html`<p class="muted">${t('progress.noResponses')}</p>`
          : html`<table class="table"><tbody>
              ${Object.entries(p.responses_by_version).map(([v, n]) => html`<tr><td>${versionName(v)}</td><td>${formatNumber(n)}</td></tr>`)}
            </tbody></table>`}
        <p class="muted small">${t('progress.privacy')}</p>
      </div>
      <${QualityFlags} campaign=${c} territory=${territory} />
      ${direction && html`<${Recontacts} campaign=${c} count=${p.recontacts} />`}`}
  </section>`;
}

function Recontacts({ campaign, count }: { campaign: string; count: number }) {
  const [open, setOpen] = useState(false);
  const list = useAsync(() => (open ? fieldApi.recontacts(campaign) : Promise.resolve([])), [campaign, open]);
  return html`<div class="card">
    <h2>${t('progress.recontacts', { n: formatNumber(count) })}</h2>
    <p class="muted small">${t('progress.recontactsIntro')}</p>
    ${!open
      ? html`<button type="button" disabled=${count === 0} onClick=${() => setOpen(true)}>${t('progress.showContacts')}</button>`
      : html`<table class="table">
          <thead><tr><th>${t('progress.contactName')}</th><th>${t('progress.contactHow')}</th><th>${t('progress.contactWhere')}</th><th>${t('progress.contactWhen')}</th></tr></thead>
          <tbody>${list.data?.map((r) => html`<tr>
            <td>${r.contact.name}</td>
            <td data-label=${t('progress.contactHow')}>${[r.contact.phone, r.contact.email].filter(Boolean).join(' · ')}</td>
            <td data-label=${t('progress.contactWhere')}>${r.address ?? '—'}</td>
            <td data-label=${t('progress.contactWhen')} title=${r.statement}>${formatDateTime(r.consented_at)}</td>
          </tr>`)}</tbody>
        </table>`}
  </div>`;
}

/** What a flag says, in words: who, where, when and the pattern. */
function flagText(f: QualityFlag): string {
  const where = f.turf_number !== null ? t('quality.turf', { n: f.turf_number, bureau: f.bureau_name ?? '' }) : (f.bureau_name ?? '');
  const vars = {
    count: formatNumber(f.count), outOf: formatNumber(f.out_of), value: formatNumber(Math.round(f.value)),
    where, question: f.question ?? '',
  };
  return t(`quality.${f.kind}` as MessageKey, vars);
}

/** Patterns to look at in the field work of the territory (issue 7): flags, never verdicts. */
function QualityFlags({ campaign, territory }: { campaign: string; territory: string }) {
  const [days, setDays] = useState(14);
  const q = useAsync(() => fieldApi.quality(campaign, territory || undefined, days), [campaign, territory, days]);
  return html`<div class="card" data-testid="quality">
    <div class="title-row">
      <h2>${t('quality.title')}</h2>
      <select aria-label=${t('quality.window')} value=${String(days)} onChange=${(e: Event) => setDays(Number((e.target as HTMLSelectElement).value))}>
        ${[7, 14, 30, 90].map((d) => html`<option value=${d}>${t('quality.days', { n: d })}</option>`)}
      </select>
    </div>
    <p class="muted small">${t('quality.intro')}</p>
    ${q.error && html`<p class="error">${q.error.message}</p>`}
    ${q.data && (q.data.flags.length === 0
      ? html`<p class="muted">${t('quality.none', { visits: formatNumber(q.data.visits_checked), responses: formatNumber(q.data.responses_checked) })}</p>`
      : html`<table class="table">
          <thead><tr><th>${t('quality.when')}</th><th>${t('quality.who')}</th><th>${t('quality.what')}</th></tr></thead>
          <tbody>${q.data.flags.map((f) => html`<tr data-kind=${f.kind}>
            <td data-label=${t('quality.when')}>${f.day ? formatDate(f.day) : '—'}</td>
            <td data-label=${t('quality.who')}>${f.walker_name ?? t('quality.anyone')}</td>
            <td data-label=${t('quality.what')}>${flagText(f)}</td>
          </tr>`)}</tbody>
        </table>`)}
    ${q.data?.truncated && html`<p class="muted small">${t('quality.truncated')}</p>`}
  </div>`;
}
