// The survey plan: a representative sample of bureaux drawn by the cube method (balanced on
// chosen totals) and/or spread in space, with how well it reproduces every total, the
// interviews and doors it needs, and its acceptance.
import { html } from 'htm/preact';
import { useCallback, useMemo, useState } from 'preact/hooks';
import { api, ApiError, type MyCampaign, type SurveyPlan } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { GeoMap, type Props } from '../lib/map';
import { formatDateTime, formatNumber, formatPercent, t } from '../i18n';

export function SurveyPage({ mine }: { mine: MyCampaign }) {
  const id = mine.campaign.id;
  const frame = useAsync(() => api.surveyFrame(id), [id]);
  const plans = useAsync(() => api.surveyPlans(id), [id]);
  const layer = useAsync(() => api.map(id, 'bureau'), [id]);
  const [name, setName] = useState('');
  const [n, setN] = useState(40);
  const [balance, setBalance] = useState<string[]>(['inscrits', 'abstentions']);
  const [spatial, setSpatial] = useState(true);
  const [interviews, setInterviews] = useState(1000);
  const [plan, setPlan] = useState<SurveyPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const canDraw = mine.role === 'director' || mine.role === 'admin';
  const chosen = useMemo(() => new Set(plan?.areas?.map((a) => a.territory_id)), [plan]);
  const color = useCallback((p: Props) => (chosen.has(p.id as string) ? '#0b5d4b' : '#e6e3dc'), [chosen]);
  const tooltip = useCallback((p: Props) => p.name as string, []);
  const draw = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setPlan(await api.createSurveyPlan(id, { name, n, balance, spatial, interviews }));
      plans.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.error'));
    } finally {
      setBusy(false);
    }
  };
  const accept = async () => {
    if (!plan) return;
    try {
      setPlan(await api.acceptSurveyPlan(id, plan.id));
      plans.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  const open = async (planId: string) => setPlan(await api.surveyPlan(id, planId));
  const toggle = (v: string) => setBalance(balance.includes(v) ? balance.filter((x) => x !== v) : [...balance, v]);
  return html`
    <section>
      <h1>${t('survey.title')}</h1>
      <p class="muted">${t('survey.intro')}</p>
      ${frame.data && html`<p class="muted small">${t('survey.frame', { units: formatNumber(frame.data.units), election: frame.data.election ?? '—' })}</p>`}
      ${canDraw && frame.data && frame.data.units > 0 && html`
        <form class="card grid-form" onSubmit=${draw}>
          <label>${t('survey.name')}<input required value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></label>
          <label>${t('survey.n')}<input type="number" min="1" max=${frame.data.units - 1} value=${n} onInput=${(e: Event) => setN(Number((e.target as HTMLInputElement).value))} /></label>
          <label>${t('survey.interviews')}<input type="number" min="1" value=${interviews} onInput=${(e: Event) => setInterviews(Number((e.target as HTMLInputElement).value))} /></label>
          <label class="check"><input type="checkbox" checked=${spatial} onChange=${() => setSpatial(!spatial)} />${t('survey.spatial')}</label>
          <fieldset class="blocs wide"><legend>${t('survey.balance')}</legend>
            ${frame.data.variables.map((v) => html`<label class="check"><input type="checkbox" checked=${balance.includes(v.name)} onChange=${() => toggle(v.name)} />${v.label}</label>`)}
          </fieldset>
          <div class="actions"><button type="submit" class="primary" disabled=${busy}>${busy ? t('common.loading') : t('survey.draw')}</button></div>
          ${error && html`<p class="error" role="alert">${error}</p>`}
        </form>`}
      ${plan && html`
        <div class="map-layout">
          <div class="card map-card">
            <${GeoMap} data=${layer.data} color=${color} tooltip=${tooltip} label=${t('survey.title')} />
          </div>
          <aside class="card side" data-testid="plan">
            <h2>${plan.name}</h2>
            <dl class="facts">
              <dt>${t('survey.areas')}</dt><dd>${formatNumber(plan.areas?.length ?? plan.n)}</dd>
              ${plan.report.interviews != null && html`<dt>${t('survey.interviews')}</dt><dd>${formatNumber(plan.report.interviews)}</dd>`}
              ${plan.report.doors != null && html`<dt>${t('survey.doors')}</dt><dd>${formatNumber(plan.report.doors)}</dd>`}
              ${plan.report.spatial_balance != null && html`<dt>${t('survey.spread')}</dt><dd>${plan.report.spatial_balance.toFixed(2)}</dd>`}
              <dt>${t('survey.method')}</dt><dd>${plan.report.method ?? '—'}</dd>
              <dt>${t('survey.seed')}</dt><dd>${plan.seed}</dd>
            </dl>
            ${plan.accepted_at
              ? html`<p class="ok">${t('survey.accepted', { when: formatDateTime(plan.accepted_at) })}</p>`
              : canDraw && html`<button class="primary" onClick=${accept}>${t('survey.accept')}</button>`}
          </aside>
        </div>
        <div class="card">
          <h2>${t('survey.balanceTitle')}</h2>
          <table class="table" data-testid="balance">
            <thead><tr><th>${t('survey.col.total')}</th><th>${t('survey.col.frame')}</th><th>${t('survey.col.estimate')}</th><th>${t('survey.col.error')}</th></tr></thead>
            <tbody>${(plan.report.balance ?? []).map((b) => html`<tr>
              <td>${b.variable === '(sample size)' ? t('survey.sampleSize') : (frame.data?.variables.find((v) => v.name === b.variable)?.label ?? b.variable)}</td>
              <td>${formatNumber(Math.round(b.total))}</td><td>${formatNumber(Math.round(b.estimate))}</td>
              <td>${formatPercent(b.relative_error, 2)}</td></tr>`)}</tbody>
          </table>
          <p class="muted small">${t('survey.balanceHelp')}</p>
        </div>`}
      <div class="card">
        <h2>${t('survey.plans')}</h2>
        ${plans.data && plans.data.length === 0 && html`<p class="muted">${t('survey.none')}</p>`}
        <ul class="invites">${plans.data?.map((p) => html`<li>
          <button class="link" onClick=${() => open(p.id)}>${p.name}</button>
          <span class="muted small">${t('survey.line', { n: p.n })} · ${formatDateTime(p.created_at)}</span>
          ${p.accepted_at && html`<span class="badge role-coordinator">${t('survey.acceptedBadge')}</span>`}
        </li>`)}</ul>
      </div>
    </section>`;
}
