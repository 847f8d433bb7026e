// The diagnostic (issue 9), for the direction and coordinators: the closed questions with
// their intervals, the themes of the open answers with their verbatims and their breakdown by
// profile and territory, the human coding (digits pick codes, Enter saves and goes to the next
// answer), the reading list, and the report (HTML, PDF) and workbook to download. Coders see
// the coding only.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { MyCampaign } from '../lib/api';
import { diagnosticTabs, editsCodebooks } from '../lib/access';
import { fieldApi } from '../lib/field-api';
import { diagnosticApi, type CodeInput, type Coding, type EstimateRow, type Share, type Theme } from '../lib/diagnostic-api';
import { useAsync } from '../lib/hooks';
import { formatNumber, formatPercent, t } from '../i18n';
import type { MessageKey } from '../i18n/fr';

type Tab = 'closed' | 'themes' | 'coding' | 'reading';
const BREAKDOWNS = ['sex', 'age_band', 'occupation', 'territory'] as const;

export function Diagnostic({ mine }: { mine: MyCampaign }) {
  const c = mine.campaign.id;
  const questionnaires = useAsync(() => fieldApi.questionnaires(c), [c]);
  const published = (questionnaires.data ?? []).filter((q) => q.versions.some((v) => v.status !== 'draft'));
  const [chosen, setChosen] = useState('');
  const q = chosen || published[0]?.id || '';
  const tabs: Tab[] = diagnosticTabs(mine.role);
  const reads = tabs.includes('closed');
  const [tab, setTab] = useState<Tab>(tabs[0]);
  const [question, setQuestion] = useState('');
  return html`<section class="diagnostic">
    <div class="title-row">
      <h1>${t('diag.title')}</h1>
      ${published.length > 1 && html`<select aria-label=${t('diag.questionnaire')} value=${q}
        onChange=${(e: Event) => setChosen((e.target as HTMLSelectElement).value)}>
        ${published.map((x) => html`<option value=${x.id}>${x.name}</option>`)}
      </select>`}
      ${q && reads && html`<span class="downloads">
        <a class="button" data-testid="report" href=${diagnosticApi.reportUrl(c, q)} download="diagnostic.html">${t('diag.report')}</a>
        <a class="button" data-testid="report-pdf" href=${diagnosticApi.reportPdfUrl(c, q)} download="diagnostic.pdf">${t('diag.pdf')}</a>
        <a class="button" data-testid="xlsx" href=${diagnosticApi.xlsxUrl(c, q)} download="diagnostic.xlsx">${t('diag.xlsx')}</a>
      </span>`}
    </div>
    ${questionnaires.error && html`<p class="error">${questionnaires.error.message}</p>`}
    ${questionnaires.data && !q && html`<p class="muted">${t('diag.none')}</p>`}
    ${q && html`
      ${tabs.length > 1 && html`<div class="tabs" role="tablist">
        ${tabs.map((x) => html`<button type="button" role="tab" aria-selected=${tab === x} class=${tab === x ? 'active' : ''}
          data-testid=${`tab-${x}`} onClick=${() => setTab(x)}>${t(`diag.tab.${x}` as MessageKey)}</button>`)}
      </div>`}
      ${tab === 'closed' && html`<${ClosedView} c=${c} q=${q} />`}
      ${tab === 'themes' && html`<${ThemesView} c=${c} q=${q} question=${question} setQuestion=${setQuestion} />`}
      ${tab === 'coding' && html`<${CodingView} c=${c} q=${q} question=${question} setQuestion=${setQuestion} reads=${reads} edits=${editsCodebooks(mine.role)} />`}
      ${tab === 'reading' && html`<${ReadingView} c=${c} q=${q} />`}`}
  </section>`;
}

function WeightNote({ label, calibrated }: { label: string; calibrated: boolean }) {
  return html`<span class=${`badge ${calibrated ? 'ok' : 'warn'}`} data-testid="weighting">${label}</span>`;
}

function interval(lo: number | null, hi: number | null, mean: boolean) {
  if (lo === null || hi === null) return '';
  return mean ? `${lo.toFixed(1)} – ${hi.toFixed(1)}` : `${formatPercent(lo, 0)} – ${formatPercent(hi, 0)}`;
}

function EstimateBar({ e, lo, hi }: { e: number; lo: number; hi: number }) {
  return html`<span class="ci-bar" title=${`${formatPercent(lo, 0)} – ${formatPercent(hi, 0)}`}>
    <span class="fill" style=${{ width: `${(100 * e).toFixed(1)}%` }}></span>
    <span class="ci" style=${{ left: `${(100 * lo).toFixed(1)}%`, width: `${(100 * (hi - lo)).toFixed(1)}%` }}></span>
  </span>`;
}

function Row({ r, mean, min }: { r: EstimateRow; mean: boolean; min: number }) {
  return html`<tr class=${r.suppressed ? 'suppressed' : ''}>
    <td>${r.label}</td>
    <td data-label=${t('diag.n')}>${r.suppressed && r.respondents < min ? `< ${min}` : formatNumber(r.respondents)}</td>
    <td data-label=${t('diag.estimate')}>${r.estimate === null ? t('diag.suppressed') : mean ? r.estimate.toFixed(2) : formatPercent(r.estimate, 0)}</td>
    <td data-label=${t('diag.ci')}>${interval(r.lower, r.upper, mean)}</td>
    <td class="wide">${!mean && r.estimate !== null && r.lower !== null && r.upper !== null
      ? html`<${EstimateBar} e=${r.estimate} lo=${r.lower} hi=${r.upper} />` : ''}</td>
  </tr>`;
}

function ClosedView({ c, q }: { c: string; q: string }) {
  const [by, setBy] = useState('');
  const data = useAsync(() => diagnosticApi.closed(c, q, by || undefined), [c, q, by]);
  const d = data.data;
  return html`<div>
    <div class="toolbar">
      <label>${t('diag.by')} <select value=${by} data-testid="by" onChange=${(e: Event) => setBy((e.target as HTMLSelectElement).value)}>
        <option value="">${t('diag.by.none')}</option>
        ${['sex', 'age_band', 'occupation', 'territory'].map((b) => html`<option value=${b}>${t(`diag.by.${b}` as MessageKey)}</option>`)}
      </select></label>
      <a href=${diagnosticApi.csvUrl(c, q, 'closed', { by: by || undefined })} download>${t('diag.csv')}</a>
      <a href=${diagnosticApi.xlsxUrl(c, q)} download>${t('diag.xlsxShort')}</a>
    </div>
    ${data.error && html`<p class="error">${data.error.message}</p>`}
    ${data.loading && !d && html`<p class="muted">${t('common.loading')}</p>`}
    ${d && html`
      <p class="muted small">${t('diag.respondents', { n: formatNumber(d.respondents) })} · <${WeightNote} ...${d.weighting} /> ·
        ${t('diag.minCell', { n: d.min_cell })}</p>
      ${d.tables.map((tb) => html`<div class="card" data-testid="closed-table">
        <h3>${tb.text}${tb.group ? html` — <span class="muted">${tb.group}</span>` : ''}</h3>
        <table class="table estimates">
          <thead><tr><th></th><th>${t('diag.n')}</th><th>${tb.kind === 'mean' ? t('diag.mean') : t('diag.share')}</th><th>${t('diag.ci')}</th><th></th></tr></thead>
          <tbody>${tb.rows.map((r) => html`<${Row} r=${r} mean=${tb.kind === 'mean'} min=${d.min_cell} />`)}</tbody>
        </table>
      </div>`)}
      <p class="muted small">${d.method}</p>`}
  </div>`;
}

function QuestionPicker({ options, value, onChange }: { options: { key: string; text: string }[]; value: string; onChange: (v: string) => void }) {
  return html`<label>${t('diag.question')} <select data-testid="question" value=${value} onChange=${(e: Event) => onChange((e.target as HTMLSelectElement).value)}>
    ${options.map((o) => html`<option value=${o.key}>${o.text}</option>`)}
  </select></label>`;
}

function shareText(s: Share) {
  return `${formatPercent(s.estimate, 0)} (${formatPercent(s.lower, 0)} – ${formatPercent(s.upper, 0)})`;
}

/** A theme's shares in the groups of one breakdown: a compact table with bars and intervals;
 * suppressed groups show "—" with the reason in a tooltip. */
function Breakdown({ theme, by, min }: { theme: Theme; by: string; min: number }) {
  const b = theme.breakdowns.find((x) => x.by === by);
  if (!b || b.groups.length === 0) return html`<p class="muted small">${t('diag.noBreakdown')}</p>`;
  return html`<table class="breakdown" data-testid="breakdown">
    <thead><tr><th>${t(`diag.by.${by}` as MessageKey)}</th><th>${t('diag.answersShort')}</th><th>${t('diag.share')}</th><th class="wide"></th></tr></thead>
    <tbody>${b.groups.map((g) => html`<tr class=${g.suppressed ? 'suppressed' : ''}>
      <td>${g.group}</td>
      <td>${g.suppressed ? `< ${min}` : formatNumber(g.n)}</td>
      ${g.share
        ? html`<td title=${`${t('diag.ci')} : ${formatPercent(g.share.lower, 0)} – ${formatPercent(g.share.upper, 0)}`}>${formatPercent(g.share.estimate, 0)}
            <span class="muted small ci-text">(${formatPercent(g.share.lower, 0)} – ${formatPercent(g.share.upper, 0)})</span></td>
          <td class="wide"><${EstimateBar} e=${g.share.estimate} lo=${g.share.lower} hi=${g.share.upper} /></td>`
        : html`<td title=${t('diag.suppressedWhy', { n: min })} data-testid="suppressed-cell">—</td><td class="wide"></td>`}
    </tr>`)}</tbody>
  </table>`;
}

function ThemesView({ c, q, question, setQuestion }: { c: string; q: string; question: string; setQuestion: (v: string) => void }) {
  const data = useAsync(() => diagnosticApi.themes(c, q, question || undefined), [c, q, question]);
  const [by, setBy] = useState<string>('sex');
  const d = data.data;
  return html`<div>
    <div class="toolbar">
      ${d && html`<${QuestionPicker} options=${d.open_questions} value=${d.question} onChange=${setQuestion} />`}
      <label>${t('diag.by')} <select value=${by} data-testid="theme-by" onChange=${(e: Event) => setBy((e.target as HTMLSelectElement).value)}>
        ${BREAKDOWNS.map((b) => html`<option value=${b}>${t(`diag.by.${b}` as MessageKey)}</option>`)}
      </select></label>
      ${d && html`<a href=${diagnosticApi.csvUrl(c, q, 'themes', { question: d.question, by })} download>${t('diag.csv')}</a>`}
      <a href=${diagnosticApi.xlsxUrl(c, q)} download>${t('diag.xlsxShort')}</a>
    </div>
    ${data.error && html`<p class="error">${data.error.message}</p>`}
    ${data.loading && html`<p class="muted">${t('diag.analysing')}</p>`}
    ${d && !data.loading && html`
      <p class="muted small">${t('diag.answers', { n: formatNumber(d.answers), total: formatNumber(d.respondents) })} · <${WeightNote} ...${d.weighting} />
        ${d.k ? html` · ${t('diag.k', { k: d.k })}` : ''}${d.masked ? html` · ${t('diag.masked')}` : ''}</p>
      ${d.note && html`<p class="muted">${d.note}</p>`}
      <div class="themes" data-testid="themes" data-question=${d.question}>
        ${d.themes.map((th) => html`<article class="card theme" data-testid="theme">
          <header>
            <h3>${th.label}</h3>
            <span class="share" title=${t('diag.ci')}>${shareText(th.share)}</span>
          </header>
          <${EstimateBar} e=${th.share.estimate} lo=${th.share.lower} hi=${th.share.upper} />
          <p class="muted small">${t('diag.terms')} : ${th.terms.join(', ')}</p>
          <p class="muted small">${t('diag.mentions', { s: shareText(th.mention_share) })}</p>
          ${th.verbatims.slice(0, 3).map((v) => html`<blockquote>« ${v.text} »</blockquote>`)}
          <details class="breakdown-box" open>
            <summary>${t('diag.breakdownOf', { by: t(`diag.by.${by}` as MessageKey) })}</summary>
            <${Breakdown} theme=${th} by=${by} min=${d.min_cell} />
          </details>
        </article>`)}
      </div>
      ${d.k_chosen_by && html`<p class="muted small">${t('diag.kChosen')} ${d.k_chosen_by}</p>`}`}
  </div>`;
}

/** The direction's codebook editor: rename, add, remove codes (a code on coded answers cannot
 * be removed: the server says so). */
function CodebookEditor({ c, q, view, onSaved }: { c: string; q: string; view: Coding; onSaved: (v: Coding) => void }) {
  const initial = (): CodeInput[] => view.codebook.map((k) => ({ id: k.id, label: k.label, description: k.description, key: k.key }));
  const [codes, setCodes] = useState<CodeInput[]>(initial);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => setCodes(initial()), [view.question, view.codebook.map((k) => `${k.id}:${k.label}:${k.key}`).join('|')]);
  const set = (i: number, patch: Partial<CodeInput>) => setCodes((cs) => cs.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      onSaved(await diagnosticApi.editCodebook(c, { questionnaire: q, question: view.question, codes }));
      setMsg({ ok: true, text: t('diag.codebookSaved') });
    } catch (err) {
      setMsg({ ok: false, text: (err as Error).message });
    }
  };
  return html`<details class="card codebook-editor" data-testid="codebook-editor">
    <summary>${t('diag.editCodebook')}</summary>
    <form onSubmit=${save}>
      <table class="codebook-table">
        <thead><tr><th>${t('diag.codeKey')}</th><th>${t('diag.codeLabel')}</th><th>${t('diag.codeDescription')}</th><th></th></tr></thead>
        <tbody>${codes.map((k, i) => html`<tr>
          <td><input class="key" maxlength="1" aria-label=${t('diag.codeKey')} value=${k.key ?? ''}
            onInput=${(e: Event) => set(i, { key: (e.target as HTMLInputElement).value || null })} /></td>
          <td><input required aria-label=${t('diag.codeLabel')} data-testid="code-label" value=${k.label}
            onInput=${(e: Event) => set(i, { label: (e.target as HTMLInputElement).value })} /></td>
          <td><input aria-label=${t('diag.codeDescription')} value=${k.description ?? ''}
            onInput=${(e: Event) => set(i, { description: (e.target as HTMLInputElement).value || null })} /></td>
          <td><button type="button" class="link" onClick=${() => setCodes((cs) => cs.filter((_, j) => j !== i))}>${t('diag.removeCode')}</button></td>
        </tr>`)}</tbody>
      </table>
      <div class="actions">
        <button type="button" onClick=${() => setCodes((cs) => [...cs, { label: '', description: null, key: null }])}>${t('diag.addCode')}</button>
        <button type="submit" class="primary" data-testid="save-codebook">${t('diag.saveCodebook')}</button>
      </div>
      ${msg && html`<p class=${msg.ok ? 'ok' : 'error'} role="status">${msg.text}</p>`}
    </form>
  </details>`;
}

function CodingView({ c, q, question, setQuestion, reads, edits }: { c: string; q: string; question: string; setQuestion: (v: string) => void; reads: boolean; edits: boolean }) {
  const [view, setView] = useState<Coding | null>(null);
  const [error, setError] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [flagged, setFlagged] = useState(false);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    setView(null);
    diagnosticApi.coding(c, q, question || undefined).then(setView, (e: Error) => setError(e.message));
  }, [c, q, question]);
  // The model proposes (the proposed codes are marked), the coder decides: nothing is picked
  // for them.
  useEffect(() => {
    setPicked([]);
    setFlagged(false);
  }, [view?.next?.response_id]);
  const save = async () => {
    if (!view?.next || saving) return;
    setSaving(true);
    try {
      setView(await diagnosticApi.code(c, { questionnaire: q, question: view.question, response_id: view.next.response_id, codes: picked, flagged }));
      setError('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  };
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (!view?.next) return;
      if (e.key === 'Enter') {
        e.preventDefault();
        void save();
        return;
      }
      if (e.key === '!') {
        setFlagged((f) => !f);
        return;
      }
      const code = view.codebook.find((k) => k.key !== null && k.key.toLowerCase() === e.key.toLowerCase());
      if (code) {
        e.preventDefault();
        toggle(code.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
  const v = view;
  return html`<div class="coding">
    <div class="toolbar">
      ${view && html`<${QuestionPicker} options=${view.open_questions} value=${view.question} onChange=${setQuestion} />`}
      ${v && html`<span class="muted small" data-testid="coded-by-me">${t('diag.codedByMe', { n: formatNumber(v.coded_by_me), total: formatNumber(v.answers) })}</span>`}
      ${v && reads && html`<a href=${diagnosticApi.csvUrl(c, q, 'codes', { question: v.question })} download>${t('diag.csv')}</a>`}
    </div>
    ${error && html`<p class="error">${error}</p>`}
    ${!v && !error && html`<p class="muted">${t('diag.analysing')}</p>`}
    ${v && html`<div class="coding-grid">
      <div class="card answer-card">
        ${v.next
          ? html`<p class="answer" data-testid="answer">${v.next.text}</p>
            <ul class="codebook" data-testid="codebook">
              ${v.codebook.map((k) => {
                const proposed = v.next?.proposals.some((p) => p.code === k.id);
                return html`<li>
                  <button type="button" class=${`code ${picked.includes(k.id) ? 'picked' : ''} ${proposed ? 'proposed' : ''}`}
                    aria-pressed=${picked.includes(k.id)} onClick=${() => toggle(k.id)} title=${k.description ?? ''}>
                    ${k.key && html`<kbd>${k.key}</kbd>`} ${k.label}${proposed ? html` <span class="muted small">(${t('diag.proposed')})</span>` : ''}
                  </button></li>`;
              })}
            </ul>
            <div class="actions">
              <label class="flag-label"><input type="checkbox" checked=${flagged} onChange=${() => setFlagged(!flagged)} /> ${t('diag.flag')} <kbd>!</kbd></label>
              <button type="button" class="primary" data-testid="save-code" disabled=${saving} onClick=${save}>${t('diag.save')} <kbd>${t('diag.enterKey')}</kbd></button>
            </div>
            <p class="muted small">${t('diag.keys')}${v.masked ? ` ${t('diag.masked')}` : ''}</p>`
          : html`<p data-testid="all-coded">${t('diag.allCoded')}</p>`}
      </div>
      <div class="card">
        <h3>${t('diag.agreement')}</h3>
        ${v.kappa
          ? html`<p data-testid="kappa">κ = ${v.kappa.kappa.toFixed(2)} (${v.kappa.lower.toFixed(2)} – ${v.kappa.upper.toFixed(2)}), ${t('diag.doubleCoded', { n: v.kappa.n })}</p>`
          : html`<p class="muted small">${t('diag.noKappa', { n: v.double_coded })}</p>`}
        <h3>${t('diag.codeShares')}</h3>
        ${v.shares.length === 0
          ? html`<p class="muted small">${t('diag.noShares', { n: v.coded, min: 10 })}</p>`
          : html`<ul class="plain">${v.shares.map((s) => html`<li>${s.label} : ${shareText(s.share)}</li>`)}</ul>`}
      </div>
    </div>`}
    ${v && edits && html`<${CodebookEditor} c=${c} q=${q} view=${v} onSaved=${setView} />`}
  </div>`;
}

function ReadingView({ c, q }: { c: string; q: string }) {
  const list = useAsync(() => diagnosticApi.readingList(c, q), [c, q]);
  return html`<div>
    <p class="muted small">${t('diag.readingIntro')}</p>
    ${list.error && html`<p class="error">${list.error.message}</p>`}
    ${list.data && list.data.length === 0 && html`<p class="muted">${t('diag.readingEmpty')}</p>`}
    ${list.data?.map((r) => html`<blockquote class="card" data-testid="reading-item"><p>« ${r.text} »</p>
      <p class="muted small">${r.question}${r.codes.length ? ` · ${r.codes.join(', ')}` : ''}</p></blockquote>`)}
  </div>`;
}
