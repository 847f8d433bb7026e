// The paper fallback's keying screen ("Saisie papier"), for coordinators keying in the
// questionnaires filled in on paper: the version, bureau de vote and day are chosen once (and
// remembered between sheets), then each sheet is keyed with the keyboard only — digits pick
// options, 0–10 a scale, o/y/n a yes/no, Enter or Tab moves on, Ctrl+Enter saves — and the
// server checks it as it checks a phone's response. The question numbers are those of the
// printed questionnaire.
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, type MyCampaign } from '../lib/api';
import { fieldApi, type PaperEntry, type QuestionnaireInfo, type Version } from '../lib/field-api';
import { useAsync } from '../lib/hooks';
import { optionsOf, visibleQuestions, type AnswerValue, type Answers, type Choice, type Question } from '../lib/questionnaire';
import { formatDate, formatDateTime, t } from '../i18n';
import type { MessageKey } from '../i18n/fr';

/** The French sentence of a refusal that names no question. */
const ERRORS: Record<string, MessageKey> = {
  invalid_sheet_ref: 'paper.err.sheetRef',
  invalid_date: 'paper.err.date',
  territory_out_of_scope: 'paper.err.scope',
  not_a_bureau: 'paper.err.scope',
  questionnaire_not_published: 'paper.err.version',
  questionnaire_not_found: 'paper.err.version',
  client_id_taken: 'paper.err.taken',
  network: 'paper.err.network',
};

/** What is chosen once for a pile of sheets. */
interface Setup { versionId: string; bureauId: string; day: string }

const today = () => new Date().toISOString().slice(0, 10);
const storageKey = (campaign: string) => `terrain.paper.${campaign}`;

function loadSetup(campaign: string): Setup {
  try {
    const s = JSON.parse(localStorage.getItem(storageKey(campaign)) ?? '{}') as Partial<Setup>;
    return { versionId: s.versionId ?? '', bureauId: s.bureauId ?? '', day: s.day ?? today() };
  } catch {
    return { versionId: '', bureauId: '', day: today() };
  }
}

/** A new id per sheet: sending the same sheet twice stores it once. */
function newClientId(): string {
  return crypto.randomUUID();
}

/** The versions one may key sheets of: in the field, or retired (old sheets). */
function keyable(qs: QuestionnaireInfo[]): { name: string; v: Version }[] {
  const out: { name: string; v: Version }[] = [];
  for (const q of qs)
    for (const v of [...q.versions].reverse())
      if (v.status !== 'draft') out.push({ name: q.name, v });
  return out;
}

/** The value a typed text gives a question, or `undefined` (nothing, or not an answer). */
export function parseTyped(q: Question, text: string, options: Choice[]): AnswerValue | undefined {
  const s = text.trim();
  if (!s) return undefined;
  switch (q.kind) {
    case 'single_choice':
    case 'profile': {
      if (q.kind === 'profile' && q.field === 'postcode') return s;
      const n = Number(s);
      return Number.isInteger(n) && n >= 1 && n <= options.length ? options[n - 1].value : undefined;
    }
    case 'scale': {
      const n = Number(s);
      return /^\d{1,2}$/.test(s) && n >= (q.min ?? 0) && n <= (q.max ?? 10) ? n : undefined;
    }
    case 'yes_no':
    case 'consent':
      return /^[oy1]/i.test(s) ? true : /^n/i.test(s) ? false : undefined;
    case 'open':
      return text;
    default:
      return undefined;
  }
}

export function PaperPage({ mine }: { mine: MyCampaign }) {
  const c = mine.campaign.id;
  const questionnaires = useAsync(() => fieldApi.questionnaires(c), [c]);
  const kit = useAsync(() => fieldApi.kit(c), [c]);
  const bureaux = useAsync(() => api.territories(c, { kind: 'bureau', limit: 5000 }), [c]);
  const [setup, setSetup] = useState<Setup>(() => loadSetup(c));
  const [listTick, setListTick] = useState(0);
  const entries = useAsync(() => fieldApi.paperEntries(c, 10), [c, listTick]);
  const versions = useMemo(() => keyable(questionnaires.data ?? []), [questionnaires.data]);
  const chosen = versions.find((x) => x.v.id === setup.versionId) ?? versions[0];
  const bureau = (bureaux.data ?? []).find((b) => b.id === setup.bureauId) ?? (bureaux.data ?? [])[0];
  const change = (s: Partial<Setup>) => {
    const next = { ...setup, ...s };
    setSetup(next);
    localStorage.setItem(storageKey(c), JSON.stringify(next));
  };
  useEffect(() => setSetup(loadSetup(c)), [c]);

  const ready = chosen && bureau && setup.day;
  return html`<section class="paper">
    <div class="title-row">
      <h1>${t('paper.title')}</h1>
      <span class="badge live" data-testid="paper-count">${t((entries.data?.total ?? 0) > 1 ? 'paper.count' : 'paper.countOne', { n: entries.data?.total ?? 0 })}</span>
    </div>
    <p class="muted">${t('paper.intro')}</p>
    <div class="paper-grid">
      <div>
        <fieldset class="card paper-setup">
          <legend>${t('paper.setup')}</legend>
          <label>${t('paper.version')}
            <select data-testid="paper-version" value=${chosen?.v.id ?? ''} onChange=${(e: Event) => change({ versionId: (e.target as HTMLSelectElement).value })}>
              ${versions.map((x) => html`<option value=${x.v.id}>${t('paper.versionLabel', { name: x.name, n: x.v.number })}${x.v.status === 'retired' ? ` (${t('paper.retired')})` : ''}</option>`)}
            </select>
          </label>
          <label>${t('paper.bureau')}
            <select data-testid="paper-bureau" value=${bureau?.id ?? ''} onChange=${(e: Event) => change({ bureauId: (e.target as HTMLSelectElement).value })}>
              ${(bureaux.data ?? []).map((b) => html`<option value=${b.id}>${b.code} · ${b.name}</option>`)}
            </select>
          </label>
          <label>${t('paper.day')}
            <input type="date" data-testid="paper-day" value=${setup.day} max=${today()}
              onChange=${(e: Event) => change({ day: (e.target as HTMLInputElement).value })} />
          </label>
          ${chosen && html`<a class="button" target="_blank" rel="noopener" href=${fieldApi.printUrl(c, chosen.v.questionnaire_id, chosen.v.number)}>${t('paper.printBlank')}</a>`}
        </fieldset>
        ${questionnaires.data && versions.length === 0 && html`<p class="note">${t('paper.noVersion')}</p>`}
        ${bureaux.data && bureaux.data.length === 0 && html`<p class="note">${t('paper.noBureau')}</p>`}
        ${ready && kit.data && html`<${SheetForm}
          key=${`${chosen.v.id}`}
          campaign=${c} version=${chosen.v} bureauId=${bureau.id} day=${setup.day} codes=${kit.data.profile_codes}
          onSaved=${() => setListTick((n) => n + 1)} />`}
      </div>
      <${Recent} campaign=${c} entries=${entries.data?.entries ?? []} total=${entries.data?.total ?? 0}
        onVoided=${() => setListTick((n) => n + 1)} />
    </div>
  </section>`;
}

function SheetForm({ campaign, version, bureauId, day, codes, onSaved }: {
  campaign: string; version: Version; bureauId: string; day: string;
  codes: Record<string, Choice[]>; onSaved: () => void;
}) {
  const def = version.definition;
  const [sheetRef, setSheetRef] = useState('');
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [multi, setMulti] = useState<Record<string, string[]>>({});
  const [clientId, setClientId] = useState(newClientId);
  const [error, setError] = useState<{ field: string | null; code: string; text: string } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [session, setSession] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  const numberOf = (key: string) => def.questions.findIndex((q) => q.key === key) + 1;

  const answers: Answers = useMemo(() => {
    const out: Answers = {};
    for (const q of def.questions) {
      if (q.kind === 'multiple_choice') {
        if (multi[q.key]?.length) out[q.key] = multi[q.key];
        continue;
      }
      const v = parseTyped(q, typed[q.key] ?? '', optionsOf(q, codes));
      if (v !== undefined) out[q.key] = v;
    }
    return out;
  }, [typed, multi, def, codes]);
  const shown = visibleQuestions(def, answers);

  const focusFirst = () => form.current?.querySelector<HTMLElement>('[data-testid="sheet-ref"]')?.focus();
  useEffect(focusFirst, [version.id]);

  const fields = () => [...(form.current?.querySelectorAll<HTMLElement>('[data-nav]') ?? [])];
  const next = (from: HTMLElement) => {
    const all = fields();
    const i = all.indexOf(from);
    (all[i + 1] ?? form.current?.querySelector<HTMLElement>('button[type=submit]'))?.focus();
  };

  const save = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    setSaved(null);
    const body = {
      client_id: clientId, version_id: version.id, bureau_id: bureauId, collected_on: day, sheet_ref: sheetRef,
      answers: Object.fromEntries(shown.filter((q) => q.key in answers).map((q) => [q.key, answers[q.key]])),
    };
    try {
      const e = await fieldApi.keyInPaper(campaign, body);
      setSaved(t('paper.saved', { sheet: e.sheet_ref }));
      setSession((n) => n + 1);
      setSheetRef('');
      setTyped({});
      setMulti({});
      setClientId(newClientId());
      onSaved();
      setTimeout(focusFirst, 0);
    } catch (err) {
      if (err instanceof ApiError) {
        setError({ field: err.field, code: err.code, text: err.message });
        const q = err.field && form.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(err.field)}"]`);
        if (q) setTimeout(() => q.focus(), 0);
      } else setError({ field: null, code: 'network', text: t('common.error') });
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void save();
      return;
    }
    const el = e.target as HTMLElement;
    if (e.key === 'Enter' && el.dataset.nav !== undefined && el.tagName !== 'TEXTAREA') {
      e.preventDefault();
      next(el);
    }
  };

  const questionError = (key: string) => (error?.field === key ? error.text : null);
  const setOne = (key: string, v: string) => {
    setTyped({ ...typed, [key]: v });
    if (error?.field === key) setError(null);
  };

  return html`<form ref=${form} class="card sheet" onKeyDown=${onKeyDown} onSubmit=${(e: Event) => {
      e.preventDefault();
      void save();
    }} aria-label=${t('paper.sheet')}>
    <div class="sheet-head">
      <label class=${`sheet-ref ${error?.field === 'sheet_ref' ? 'has-error' : ''}`}>${t('paper.sheetRef')}
        <input data-testid="sheet-ref" data-nav data-key="sheet_ref" value=${sheetRef} autocomplete="off" maxlength="40"
          onInput=${(e: Event) => setSheetRef((e.target as HTMLInputElement).value)} />
      </label>
      <p class="muted small keys">${t('paper.keys')}</p>
    </div>
    ${error && html`<div class="error paper-error" role="alert" data-testid="paper-error">
      <b>${error.field && numberOf(error.field) > 0
        ? t('paper.errorAt', { n: numberOf(error.field), text: def.questions[numberOf(error.field) - 1].text })
        : t(ERRORS[error.code] ?? 'paper.errorOther')}</b>
      <div class="small detail">${t('paper.serverSaid')} ${error.text}</div></div>`}
    ${saved && html`<p class="ok" role="status" data-testid="paper-saved">${saved} ${t('paper.session', { n: session })}</p>`}
    <ol class="sheet-questions">
      ${shown.map((q) => html`<li key=${q.key} class=${questionError(q.key) ? 'has-error' : ''} data-question=${q.key}>
        <div class="q-line"><span class="q-num">${numberOf(q.key)}</span>
          <span class="q-text">${q.text}${q.required ? html`<span class="req"> *</span>` : ''}</span></div>
        <${Answer} q=${q} codes=${codes} value=${typed[q.key] ?? ''} chosen=${multi[q.key] ?? []} answer=${answers[q.key]}
          onText=${(v: string) => setOne(q.key, v)}
          onToggle=${(v: string) => {
            const cur = multi[q.key] ?? [];
            setMulti({ ...multi, [q.key]: cur.includes(v) ? cur.filter((x) => x !== v) : [...cur, v] });
            if (error?.field === q.key) setError(null);
          }} />
        ${questionError(q.key) && html`<p class="error small">${t('paper.fixHere')}</p>`}
      </li>`)}
    </ol>
    <div class="actions">
      <button type="submit" class="primary" data-testid="paper-save" disabled=${busy}>${t('paper.save')}</button>
      <span class="muted small">${t('paper.saveHint')}</span>
    </div>
  </form>`;
}

function Answer({ q, codes, value, chosen, answer, onText, onToggle }: {
  q: Question; codes: Record<string, Choice[]>; value: string; chosen: string[]; answer: AnswerValue | undefined;
  onText: (v: string) => void; onToggle: (v: string) => void;
}) {
  const options = optionsOf(q, codes);
  const common = { 'data-nav': '', 'data-key': q.key, 'aria-label': q.text, autocomplete: 'off' };
  const invalid = value.trim() !== '' && answer === undefined;
  switch (q.kind) {
    case 'open':
      return html`<textarea ...${common} rows="3" value=${value} maxlength=${q.max_length ?? 2000}
        onInput=${(e: Event) => onText((e.target as HTMLTextAreaElement).value)}></textarea>`;
    case 'multiple_choice':
      return html`<div class="typed">
        <input ...${common} class="digit" value=${chosen.map((v) => options.findIndex((o) => o.value === v) + 1).join(' ')} readonly
          onKeyDown=${(e: KeyboardEvent) => {
            const n = Number(e.key);
            if (/^[1-9]$/.test(e.key) && n <= options.length) {
              e.preventDefault();
              onToggle(options[n - 1].value);
            }
          }} />
        <ol class="opts">${options.map((o, i) => html`<li class=${chosen.includes(o.value) ? 'on' : ''}><kbd>${i + 1}</kbd> ${o.label}</li>`)}</ol>
      </div>`;
    case 'single_choice':
    case 'profile':
      if (q.kind === 'profile' && q.field === 'postcode')
        return html`<input ...${common} class="postcode" inputmode="numeric" maxlength="5" value=${value}
          onInput=${(e: Event) => onText((e.target as HTMLInputElement).value)} />`;
      return html`<div class="typed">
        <input ...${common} class=${`digit ${invalid ? 'bad' : ''}`} inputmode="numeric" maxlength="2" value=${value}
          onInput=${(e: Event) => onText((e.target as HTMLInputElement).value)} />
        <ol class="opts">${options.map((o, i) => html`<li class=${answer === o.value ? 'on' : ''}><kbd>${i + 1}</kbd> ${o.label}</li>`)}</ol>
      </div>`;
    case 'scale':
      return html`<div class="typed">
        <input ...${common} class=${`digit ${invalid ? 'bad' : ''}`} inputmode="numeric" maxlength="2" value=${value}
          onInput=${(e: Event) => onText((e.target as HTMLInputElement).value)} />
        <span class="muted small">${t('paper.scale', { min: q.min ?? 0, max: q.max ?? 10 })}${q.min_label ? ` · ${q.min_label}` : ''}${q.max_label ? ` → ${q.max_label}` : ''}</span>
      </div>`;
    case 'yes_no':
    case 'consent':
      return html`<div class="typed">
        <input ...${common} class=${`digit ${invalid ? 'bad' : ''}`} maxlength="1" value=${value}
          onInput=${(e: Event) => onText((e.target as HTMLInputElement).value)} />
        <span class=${`yn ${answer === true ? 'on' : ''}`}><kbd>o</kbd> ${t('paper.yes')}</span>
        <span class=${`yn ${answer === false ? 'on' : ''}`}><kbd>n</kbd> ${t('paper.no')}</span>
        ${q.kind === 'consent' && q.statement && html`<p class="muted small statement">${q.statement}</p>`}
      </div>`;
  }
  return null;
}

function Recent({ campaign, entries, total, onVoided }: {
  campaign: string; entries: PaperEntry[]; total: number; onVoided: () => void;
}) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const voidIt = async (id: string) => {
    try {
      await fieldApi.voidPaper(campaign, id);
      setConfirming(null);
      onVoided();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  return html`<aside class="card paper-recent">
    <h2>${t('paper.recent')}</h2>
    ${error && html`<p class="error">${error}</p>`}
    ${entries.length === 0
      ? html`<p class="muted">${t('paper.none')}</p>`
      : html`<ul class="paper-list" data-testid="paper-recent">${entries.map((e) => html`<li key=${e.response_id}>
          <div class="line"><b class="ref">${e.sheet_ref}</b>
            <span>${e.bureau_code.replace(/^\d+_/, '')} · ${e.bureau_name}</span>
            ${confirming === e.response_id
              ? html`<button type="button" class="danger small" onClick=${() => voidIt(e.response_id)}>${t('paper.voidConfirm')}</button>`
              : html`<button type="button" class="link" onClick=${() => setConfirming(e.response_id)}>${t('paper.void')}</button>`}</div>
          <div class="muted small">${t('paper.entryMeta', { day: formatDate(e.collected_on), n: e.version_number, who: e.keyed_by_name, when: formatDateTime(e.keyed_at) })}</div>
        </li>`)}</ul>
        ${total > entries.length && html`<p class="muted small">${t('paper.more', { n: total - entries.length })}</p>`}`}
  </aside>`;
}
