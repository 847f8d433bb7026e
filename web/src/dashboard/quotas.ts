// Representativeness (issue 8): the quota board — cells behind schedule, where and whom to go
// after, a territory filter — and the weighting page: a run form, the margins before and
// after, Kish's design effect and effective sample size, the weights' histogram, warnings.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ApiError, type MyCampaign } from '../lib/api';
import { fieldApi } from '../lib/field-api';
import { quotaApi, type MarginsSource, type QuotaCell, type Weighting, type WeightingMethod, type WeightingReport } from '../lib/quota-api';
import { useAsync } from '../lib/hooks';
import { formatDateTime, formatNumber, formatPercent, t } from '../i18n';
import type { MessageKey } from '../i18n/fr';

const fmt1 = (v: number) => formatNumber(Math.round(v * 10) / 10);

function Status({ cell }: { cell: QuotaCell }) {
  return html`<span class=${`badge quota-${cell.status}`}>${t(`quotas.status.${cell.status}` as MessageKey)}</span>`;
}

function CellRow({ cell }: { cell: QuotaCell }) {
  const pct = cell.target ? Math.min(100, (100 * cell.done) / cell.target) : 100;
  const expected = cell.target ? Math.min(100, (100 * cell.expected_by_now) / cell.target) : 0;
  return html`<tr class=${cell.status === 'behind' ? 'quota-behind-row' : ''} data-status=${cell.status}>
    <td>${cell.label}</td>
    <td class="num">${formatNumber(cell.done)} / ${formatNumber(cell.target)}</td>
    <td class="quota-bar-cell"><span class="bar quota-bar" title=${t('quotas.expectedTip', { n: fmt1(cell.expected_by_now) })}>
      <span class=${`fill ${cell.status}`} style=${{ width: `${pct.toFixed(1)}%` }}></span>
      <i class="pace" style=${{ left: `${expected.toFixed(1)}%` }}></i></span></td>
    <td class="num">${fmt1(cell.expected_by_now)}</td>
    <td><${Status} cell=${cell} /></td>
  </tr>`;
}

export function QuotasPage({ mine }: { mine: MyCampaign }) {
  const c = mine.campaign.id;
  const board = useAsync(() => quotaApi.board(c), [c]);
  const [territory, setTerritory] = useState('');
  const [onlyBehind, setOnlyBehind] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const direction = mine.role === 'admin' || mine.role === 'director';
  const b = board.data;
  // Cells are shown for one territory at a time (all of them would be hundreds of rows).
  const selected = territory || (b?.territories.length === 1 ? b.territories[0].territory_id : '');
  const cells = (b?.cells ?? []).filter((x) => x.territory_id === selected && (!onlyBehind || x.status === 'behind'));
  const toggleWalkers = async () => {
    if (!b) return;
    setError(null);
    try {
      await quotaApi.setSettings(c, { show_to_walkers: !b.show_to_walkers, field_starts_on: b.period?.starts_on ?? null, field_ends_on: b.period?.ends_on ?? null });
      board.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  const table = (set: 'sex_age' | 'occupation') => {
    const rows = cells.filter((x) => x.set === set);
    return html`<div class="card">
      <h2>${t(set === 'sex_age' ? 'quotas.sexAge' : 'quotas.occupation')} — ${cells[0]?.territory_name ?? ''}</h2>
      ${rows.length === 0
        ? html`<p class="muted">${t('quotas.noCells')}</p>`
        : html`<div class="table-wrap"><table class="table compact quota-table keep-table" data-testid=${`quota-${set}`}>
            <thead><tr><th>${t('quotas.col.profile')}</th>
              <th class="num">${t('quotas.col.done')}</th><th>${t('quotas.col.fill')}</th><th class="num">${t('quotas.col.expected')}</th><th>${t('quotas.col.status')}</th></tr></thead>
            <tbody>${rows.map((x) => html`<${CellRow} cell=${x} />`)}</tbody>
          </table></div>`}
    </div>`;
  };
  return html`<section>
    <div class="title-row">
      <h1>${t('quotas.title')}</h1>
      ${b && b.territories.length > 1 && html`<select aria-label=${t('quotas.filter')} value=${territory}
        onChange=${(e: Event) => setTerritory((e.target as HTMLSelectElement).value)}>
        <option value="">${t('quotas.chooseTerritory')}</option>
        ${[...b.territories].sort((x, y) => x.code.localeCompare(y.code)).map((x) => html`<option value=${x.territory_id}>${x.name}</option>`)}
      </select>`}
      <label class="check"><input type="checkbox" checked=${onlyBehind} onChange=${() => setOnlyBehind(!onlyBehind)} />${t('quotas.onlyBehind')}</label>
      <button type="button" onClick=${board.reload}>${t('progress.refresh')}</button>
    </div>
    <p class="muted">${t('quotas.intro')}</p>
    ${board.error && html`<p class="error">${board.error.message}</p>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${b && !b.plan_id && html`<div class="card"><p>${t('quotas.noPlan')}</p>
      ${direction && html`<a href="#/survey">${t('nav.survey')}</a>`}</div>`}
    ${b && b.plan_id && html`
      <div class="cards">
        <div class="card stat"><div class="label">${t('quotas.plan')}</div><div class="value small">${b.plan_name}</div></div>
        ${b.period && html`<div class="card stat"><div class="label">${t('quotas.period')}</div>
          <div class="value small">${b.period.starts_on} → ${b.period.ends_on}</div>
          <div class="muted small">${t('quotas.elapsed', { pct: formatPercent(b.period.progress, 0) })}</div></div>`}
        <div class="card stat"><div class="label">${t('quotas.doneTotal')}</div>
          <div class="value" data-testid="quota-done">${formatNumber(b.territories.reduce((a, x) => a + x.done, 0))} / ${formatNumber(b.territories.reduce((a, x) => a + x.target, 0))}</div></div>
        <div class="card stat"><div class="label">${t('quotas.behindCount')}</div>
          <div class="value" data-testid="quota-behind">${formatNumber(b.cells.filter((x) => x.status === 'behind').length)}</div></div>
      </div>
      <div class="cards two">
        <div class="card" data-testid="go-after">
          <h2>${t('quotas.goAfter')}</h2>
          ${b.go_after.length === 0
            ? html`<p class="muted">${t('quotas.nothingBehind')}</p>`
            : html`<ol class="go-after">${b.go_after.map((x) => html`<li><strong>${x.label}</strong>
                <span class="muted"> — ${x.territory_name}</span>
                <span class="warn"> ${t('quotas.missing', { n: fmt1(x.shortfall) })}</span></li>`)}</ol>`}
        </div>
        <div class="card">
          <h2>${t('quotas.where')}</h2>
          <table class="table compact keep-table" data-testid="quota-where"><thead><tr><th>${t('quotas.col.territory')}</th><th class="num">${t('quotas.col.done')}</th>
            <th class="num">${t('quotas.col.expected')}</th><th class="num">${t('quotas.col.behindCells')}</th></tr></thead>
            <tbody>${b.territories.map((x) => html`<tr class=${`${x.cells_behind ? 'quota-behind-row' : ''} ${x.territory_id === selected ? 'selected' : ''}`}>
              <td><button class="link" onClick=${() => setTerritory(x.territory_id)}>${x.name}</button></td>
              <td class="num">${formatNumber(x.done)} / ${formatNumber(x.target)}</td>
              <td class="num">${fmt1(x.expected_by_now)}</td><td class="num">${formatNumber(x.cells_behind)}</td></tr>`)}</tbody></table>
        </div>
      </div>
      ${selected
        ? html`${table('sex_age')}${table('occupation')}`
        : html`<div class="card"><p class="muted">${t('quotas.pickTerritory')}</p></div>`}
      <div class="card">
        <p class="muted small">${t('quotas.source')} ${b.census_source}</p>
        ${b.warnings.length > 0 && html`<ul class="warnings">${b.warnings.map((w) => html`<li class="warn">${w}</li>`)}</ul>`}
        ${direction
          ? html`<label class="check"><input type="checkbox" data-testid="show-walkers" checked=${b.show_to_walkers} onChange=${toggleWalkers} />${t('quotas.showWalkers')}</label>`
          : html`<p class="muted small">${t(b.show_to_walkers ? 'quotas.walkersSee' : 'quotas.walkersDont')}</p>`}
      </div>`}
  </section>`;
}

/** The weights' histogram (weight / mean on the horizontal axis), drawn as SVG. */
export function WeightHistogram({ report }: { report: WeightingReport }) {
  const h = report.weights?.histogram ?? [];
  if (h.length === 0) return null;
  const W = 560;
  const H = 180;
  const pad = { l: 36, r: 8, t: 8, b: 28 };
  const max = Math.max(...h.map((x) => x.count), 1);
  const bw = (W - pad.l - pad.r) / h.length;
  const y = (n: number) => pad.t + (H - pad.t - pad.b) * (1 - n / max);
  return html`<svg class="histogram" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${t('weighting.histogram')} data-testid="histogram">
    <line x1=${pad.l} y1=${H - pad.b} x2=${W - pad.r} y2=${H - pad.b} stroke="#999" />
    <line x1=${pad.l} y1=${pad.t} x2=${pad.l} y2=${H - pad.b} stroke="#999" />
    <text x=${pad.l - 4} y=${pad.t + 8} text-anchor="end" font-size="10">${max}</text>
    <text x=${pad.l - 4} y=${H - pad.b} text-anchor="end" font-size="10">0</text>
    ${h.map((bin, i) => html`<rect x=${pad.l + i * bw + 1} y=${y(bin.count)} width=${Math.max(bw - 2, 1)} height=${H - pad.b - y(bin.count)} fill="#0b5d4b">
      <title>${`${bin.from.toFixed(2)}–${bin.to.toFixed(2)} : ${bin.count}`}</title></rect>`)}
    <text x=${pad.l} y=${H - 10} text-anchor="start" font-size="10">${h[0].from.toFixed(2)}</text>
    <text x=${pad.l + (W - pad.l - pad.r) / 2} y=${H - 10} text-anchor="middle" font-size="10">${((h[0].from + h[h.length - 1].to) / 2).toFixed(2)}</text>
    <text x=${W - pad.r} y=${H - 10} text-anchor="end" font-size="10">${h[h.length - 1].to.toFixed(2)}</text>
  </svg>`;
}

function WeightingResult({ run }: { run: Weighting }) {
  const r = run.report;
  const vars = [...new Set(r.margins.map((m) => m.variable))];
  return html`<div data-testid="weighting-result">
    <div class="cards">
      <div class="card stat"><div class="label">${t('weighting.weighted')}</div><div class="value">${formatNumber(run.weighted)} / ${formatNumber(r.responses)}</div></div>
      <div class="card stat"><div class="label">${t('weighting.deff')}</div><div class="value" data-testid="deff">${r.kish_deff.toFixed(2)}</div></div>
      <div class="card stat"><div class="label">${t('weighting.ess')}</div><div class="value" data-testid="ess">${formatNumber(Math.round(r.effective_sample_size))}</div></div>
      <div class="card stat"><div class="label">${t('weighting.converged')}</div>
        <div class="value small">${r.converged ? t('weighting.yes', { n: r.iterations }) : t('weighting.no')}</div>
        <div class="muted small">${t('weighting.maxDev', { v: r.max_relative_deviation.toExponential(1) })}</div></div>
    </div>
    ${r.warnings.length > 0 && html`<div class="card"><h2>${t('weighting.warnings')}</h2>
      <ul class="warnings" data-testid="weighting-warnings">${r.warnings.map((w) => html`<li class="warn">${w}</li>`)}</ul></div>`}
    <div class="card">
      <h2>${t('weighting.margins')}</h2>
      <div class="table-wrap"><table class="table compact keep-table" data-testid="margins">
        <thead><tr><th>${t('weighting.col.variable')}</th><th>${t('weighting.col.category')}</th><th class="num">${t('weighting.col.respondents')}</th>
          <th class="num">${t('weighting.col.target')}</th><th class="num">${t('weighting.col.before')}</th><th class="num">${t('weighting.col.after')}</th></tr></thead>
        <tbody>${vars.map((v) => {
          const rows = r.margins.filter((m) => m.variable === v);
          const total = rows.reduce((a, m) => a + m.target, 0) || 1;
          return rows.map((m, i) => html`<tr>
            <td>${i === 0 ? t(`weighting.var.${v}` as MessageKey) : ''}</td><td>${m.label}</td>
            <td class="num">${formatNumber(m.respondents)}</td>
            <td class="num">${formatPercent(m.target / total)}</td>
            <td class="num">${formatPercent(m.before / total)}</td>
            <td class="num">${formatPercent(m.after / total)}</td></tr>`);
        })}</tbody>
      </table></div>
      <p class="muted small">${t('weighting.marginsHelp')}</p>
    </div>
    <div class="card">
      <h2>${t('weighting.histogram')}</h2>
      <${WeightHistogram} report=${r} />
      ${r.weights && html`<p class="muted small">${t('weighting.spread', {
        min: r.weights.min.toFixed(1), median: r.weights.median.toFixed(1), max: r.weights.max.toFixed(1), cv: r.weights.cv.toFixed(2),
      })}</p>`}
    </div>
    <p class="muted small">${t('weighting.sourceLine')} ${r.margins_source}</p>
    <p class="muted small">${t('weighting.designLine')} ${t('weighting.designText')} · ${formatDateTime(run.created_at)}</p>
  </div>`;
}

export function WeightingPage({ mine }: { mine: MyCampaign }) {
  const c = mine.campaign.id;
  const questionnaires = useAsync(() => fieldApi.questionnaires(c), [c]);
  const published = (questionnaires.data ?? []).filter((q) => q.versions.some((v) => v.status !== 'draft'));
  const [chosen, setChosen] = useState('');
  const q = chosen || published[0]?.id || '';
  const latest = useAsync(() => (q ? quotaApi.latest(c, q).catch((e) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e))) : Promise.resolve(null)), [c, q]);
  const [method, setMethod] = useState<WeightingMethod>('raking');
  const [margins, setMargins] = useState<MarginsSource>('census');
  const [bounded, setBounded] = useState(false);
  const [lo, setLo] = useState(0.2);
  const [hi, setHi] = useState(5);
  const [trim, setTrim] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await quotaApi.weigh(c, {
        questionnaire: q, method, margins,
        bounds: bounded || method === 'logit' ? [lo, hi] : null,
        trim: trim ? Number(trim) : null,
      });
      latest.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.error'));
    } finally {
      setBusy(false);
    }
  };
  const num = (set: (v: number) => void) => (e: Event) => set(Number((e.target as HTMLInputElement).value));
  return html`<section>
    <h1>${t('weighting.title')}</h1>
    <p class="muted">${t('weighting.intro')}</p>
    ${published.length === 0 && questionnaires.data && html`<p class="muted">${t('weighting.noQuestionnaire')}</p>`}
    ${published.length > 0 && html`<form class="card grid-form" onSubmit=${run} data-testid="weighting-form">
      <label>${t('weighting.questionnaire')}<select value=${q} onChange=${(e: Event) => setChosen((e.target as HTMLSelectElement).value)}>
        ${published.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select></label>
      <label>${t('weighting.method')}<select name="method" value=${method} onChange=${(e: Event) => setMethod((e.target as HTMLSelectElement).value as WeightingMethod)}>
        <option value="raking">${t('weighting.method.raking')}</option>
        <option value="linear">${t('weighting.method.linear')}</option>
        <option value="logit">${t('weighting.method.logit')}</option></select></label>
      <label>${t('weighting.marginsSource')}<select name="margins" value=${margins} onChange=${(e: Event) => setMargins((e.target as HTMLSelectElement).value as MarginsSource)}>
        <option value="census">${t('weighting.source.census')}</option>
        <option value="paris_rp2011">${t('weighting.source.paris')}</option></select></label>
      <label class="check"><input type="checkbox" checked=${bounded || method === 'logit'} disabled=${method === 'logit'} onChange=${() => setBounded(!bounded)} />${t('weighting.bounds')}</label>
      ${(bounded || method === 'logit') && html`
        <label>${t('weighting.lower')}<input name="lower" type="number" step="any" min="0" max="0.99" value=${lo} onInput=${num(setLo)} /></label>
        <label>${t('weighting.upper')}<input name="upper" type="number" step="any" min="1.01" value=${hi} onInput=${num(setHi)} /></label>`}
      <label>${t('weighting.trim')}<input name="trim" type="number" step="any" min="1.01" placeholder="—" value=${trim} onInput=${(e: Event) => setTrim((e.target as HTMLInputElement).value)} /></label>
      <div class="actions"><button type="submit" class="primary" disabled=${busy || !q}>${busy ? t('common.loading') : t('weighting.run')}</button></div>
      ${error && html`<p class="error" role="alert" data-testid="weighting-error">${error}</p>`}
    </form>`}
    ${latest.error && html`<p class="error">${latest.error.message}</p>`}
    ${latest.data ? html`<${WeightingResult} run=${latest.data} />` : q && !latest.loading && html`<p class="muted">${t('weighting.never')}</p>`}
  </section>`;
}
