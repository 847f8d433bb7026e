// Importing official files from the dashboard (directors): the file as published, its upload
// progress, then what was stored and what was odd about it (file, line, field).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ApiError, uploadImport, type MyCampaign } from '../lib/api';
import { t } from '../i18n';

const KINDS = ['results', 'census', 'contours', 'addresses', 'communes'] as const;
type Kind = (typeof KINDS)[number];

interface Summary {
  kind: string;
  source: string;
  stored: { territories_created: number; elections: [string, string][]; bureaux_with_results: number; census_values: number; shapes: number };
  report: Record<string, unknown>;
  warnings: { total: number; kept: Array<{ message: string; source?: string; line?: number; field?: string; bureau?: string }> };
}

export function ImportsPage({ mine }: { mine: MyCampaign }) {
  const [kind, setKind] = useState<Kind>('results');
  const [file, setFile] = useState<File | null>(null);
  const [election, setElection] = useState('');
  const [contourKind, setContourKind] = useState('bureau');
  const [progress, setProgress] = useState<number | null>(null);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setSummary(null);
    setProgress(0);
    const params: Record<string, string> = { filename: file.name };
    if (kind === 'results' && election) params.election = election;
    if (kind === 'contours') params.contour_kind = contourKind;
    try {
      setSummary((await uploadImport(mine.campaign.id, kind, file, params, setProgress)) as Summary);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.error'));
    } finally {
      setProgress(null);
    }
  };
  return html`
    <section>
      <h1>${t('imports.title')}</h1>
      <form class="card grid-form" onSubmit=${submit}>
        <label>${t('imports.kind')}
          <select value=${kind} onChange=${(e: Event) => setKind((e.target as HTMLSelectElement).value as Kind)}>
            ${KINDS.map((k) => html`<option value=${k}>${t(`imports.kind.${k}` as never)}</option>`)}
          </select>
        </label>
        <label>${t('imports.file')}
          <input type="file" required onChange=${(e: Event) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
        </label>
        ${kind === 'results' && html`<label>${t('imports.election')}
          <input placeholder="2017_pres_t1" value=${election} onInput=${(e: Event) => setElection((e.target as HTMLInputElement).value)} /></label>`}
        ${kind === 'contours' && html`<label>${t('imports.contourKind')}
          <select value=${contourKind} onChange=${(e: Event) => setContourKind((e.target as HTMLSelectElement).value)}>
            <option value="bureau">${t('kind.bureau')}</option><option value="iris">${t('kind.iris')}</option><option value="commune">${t('kind.commune')}</option>
          </select></label>`}
        <p class="muted small">${t(`imports.help.${kind}` as never)}</p>
        <div class="actions"><button type="submit" class="primary" disabled=${!file || progress !== null}>${t('imports.submit')}</button></div>
        ${progress !== null && html`<div class="progress" role="progressbar" aria-valuenow=${Math.round(progress * 100)} aria-valuemin="0" aria-valuemax="100">
          <i style=${{ width: `${Math.round(progress * 100)}%` }}></i>
          <span>${progress < 1 ? t('imports.uploading', { pct: Math.round(progress * 100) }) : t('imports.processing')}</span></div>`}
        ${error && html`<p class="error" role="alert">${error}</p>`}
      </form>
      ${summary && html`
        <div class="card" data-testid="import-summary">
          <h2>${t('imports.done', { file: summary.source })}</h2>
          <dl class="facts">
            <dt>${t('imports.territories')}</dt><dd>${summary.stored.territories_created}</dd>
            ${summary.stored.elections.length > 0 && html`<dt>${t('imports.elections')}</dt><dd>${summary.stored.elections.map((e) => e[0]).join(', ')}</dd>`}
            ${summary.stored.bureaux_with_results > 0 && html`<dt>${t('imports.bureaux')}</dt><dd>${summary.stored.bureaux_with_results}</dd>`}
            ${summary.stored.census_values > 0 && html`<dt>${t('imports.census')}</dt><dd>${summary.stored.census_values}</dd>`}
            ${summary.stored.shapes > 0 && html`<dt>${t('imports.shapes')}</dt><dd>${summary.stored.shapes}</dd>`}
          </dl>
          ${summary.warnings.total > 0 && html`<h3>${t('imports.warnings', { n: summary.warnings.total })}</h3>
            <ul class="warnings">${summary.warnings.kept.slice(0, 20).map((w) => html`<li>${w.source ?? ''}${w.line ? `:${w.line}` : ''}${w.field ? ` [${w.field}]` : ''} ${w.bureau ? `(${w.bureau})` : ''} — ${w.message}</li>`)}</ul>`}
        </div>`}
    </section>`;
}
