// LMP's randomised evaluation in the dashboard: drawing one on the current plan (directors),
// and its page — the draw and its digest before the campaign, the effect after the election.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, ApiError, type Experiment, type MyCampaign } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { formatDateTime, formatPercent, t } from '../i18n';

/** The experiments box of the targeting page. */
export function ExperimentsBox({ mine, election, blocs, budget }: { mine: MyCampaign; election: string; blocs: string; budget: number }) {
  const id = mine.campaign.id;
  const list = useAsync(() => api.experiments(id), [id]);
  const [name, setName] = useState('');
  const [k, setK] = useState(5);
  const [m, setM] = useState(4);
  const [error, setError] = useState<string | null>(null);
  const canDraw = mine.role === 'director' || mine.role === 'admin';
  const draw = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const made = await api.createExperiment(id, { name, election, blocs, budget_doors: budget, strata_size: k, treated_per_stratum: m });
      location.hash = `#/experiment/${made.id}`;
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  return html`
    <div class="card" data-testid="experiments">
      <h2>${t('experiment.title')}</h2>
      <p class="muted small">${t('experiment.intro')}</p>
      ${canDraw && html`
        <form class="grid-form" onSubmit=${draw}>
          <label>${t('experiment.name')}<input required value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></label>
          <label>${t('experiment.strata')}<input type="number" min="2" max="20" value=${k} onInput=${(e: Event) => setK(Number((e.target as HTMLInputElement).value))} /></label>
          <label>${t('experiment.treated')}<input type="number" min="1" max=${k - 1} value=${m} onInput=${(e: Event) => setM(Number((e.target as HTMLInputElement).value))} /></label>
          <div class="actions"><button type="submit" class="primary">${t('experiment.draw')}</button></div>
          ${error && html`<p class="error" role="alert">${error}</p>`}
        </form>`}
      ${list.data && list.data.length > 0 && html`<ul class="invites">
        ${list.data.map((x) => html`<li><a href=${`#/experiment/${x.id}`}>${x.name}</a>
          <span class="muted small">${t('experiment.line', { strata: x.strata, treated: x.treated, control: x.control })} · ${formatDateTime(x.created_at)}</span></li>`)}
      </ul>`}
    </div>`;
}

const pts = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1).replace('.', ',')} pt`;

/** One experiment: the recorded draw, and its analysis once the election is imported. */
export function ExperimentPage({ mine, id }: { mine: MyCampaign; id: string }) {
  const c = mine.campaign.id;
  const exp = useAsync(() => api.experiment(c, id), [c, id]);
  const elections = useAsync(() => api.elections(c), [c]);
  const [election, setElection] = useState('');
  const analysis = useAsync(() => (election ? api.analyseExperiment(c, id, election) : Promise.resolve(null)), [c, id, election]);
  const e: Experiment | null = exp.data;
  if (exp.error) return html`<p class="card error">${exp.error.message}</p>`;
  if (!e) return html`<p class="muted">${t('common.loading')}</p>`;
  const strata = new Map<number, NonNullable<Experiment['assignments']>>();
  for (const a of e.assignments ?? []) strata.set(a.stratum, [...(strata.get(a.stratum) ?? []), a]);
  return html`
    <section>
      <p><a href="#/targeting">← ${t('targeting.title')}</a></p>
      <h1>${e.name}</h1>
      <div class="cards">
        <div class="card stat"><div class="label">${t('experiment.strataCount')}</div><div class="value">${e.strata}</div></div>
        <div class="card stat"><div class="label">${t('experiment.treatedCount')}</div><div class="value">${e.treated}</div></div>
        <div class="card stat"><div class="label">${t('experiment.controlCount')}</div><div class="value">${e.control}</div></div>
        <div class="card stat"><div class="label">${t('experiment.reference')}</div><div class="value small">${e.reference_election} · ${e.blocs}</div></div>
      </div>
      <div class="card">
        <h2>${t('experiment.digest')}</h2>
        <p class="mono small" data-testid="digest">${e.digest}</p>
        <p class=${e.verified ? 'ok small' : 'error small'}>${e.verified ? t('experiment.verified') : t('experiment.notVerified')}</p>
        <p class="muted small">${t('experiment.publish', { seed: e.seed })}</p>
      </div>
      <div class="card" data-testid="analysis">
        <h2>${t('experiment.after')}</h2>
        <label>${t('experiment.outcome')}
          <select value=${election} onChange=${(ev: Event) => setElection((ev.target as HTMLSelectElement).value)}>
            <option value="">—</option>
            ${elections.data?.filter((x) => x.code !== e.reference_election).map((x) => html`<option value=${x.code}>${x.label}</option>`)}
          </select>
        </label>
        ${analysis.error && html`<p class="error">${analysis.error.message}</p>`}
        ${analysis.data && html`
          <ul class="summary">${analysis.data.summary.map((s) => html`<li>${s}</li>`)}</ul>
          <table class="table">
            <thead><tr><th>${t('experiment.col.outcome')}</th><th>${t('experiment.col.kind')}</th><th>${t('experiment.col.effect')}</th><th>${t('experiment.col.ci')}</th></tr></thead>
            <tbody>${analysis.data.effects.map((x) => html`<tr>
              <td>${t(`experiment.outcome.${x.outcome}` as never)}</td><td>${t(`experiment.kind.${x.kind}` as never)}</td>
              <td><strong>${pts(x.estimate)}</strong></td><td>${pts(x.ci_low)} ; ${pts(x.ci_high)}</td></tr>`)}</tbody>
          </table>`}
      </div>
      <div class="card">
        <h2>${t('experiment.bureaux')}</h2>
        <table class="table">
          <thead><tr><th>${t('experiment.col.stratum')}</th><th>${t('targeting.col.name')}</th><th>${t('targeting.col.po')}</th><th>${t('experiment.col.arm')}</th></tr></thead>
          <tbody>${[...strata.entries()].flatMap(([s, list]) => list.map((a) => html`<tr>
            <td>${s}</td><td>${a.territory_id ? html`<a href=${`#/territories/${a.territory_id}`}>${a.name}</a>` : a.name} <span class="muted small">${a.code}</span></td>
            <td>${formatPercent(a.score, 2)}</td><td>${a.treated ? t('experiment.treatedArm') : html`<strong>${t('experiment.controlArm')}</strong>`}</td></tr>`))}</tbody>
        </table>
      </div>
    </section>`;
}
