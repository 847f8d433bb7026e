// Questionnaires for the direction: the list, a builder (script and talking points, questions of
// every kind, conditions, the respondent profile, consents) beside a live preview as a walker
// sees it on a phone, drafts and published versions. A published version is never edited:
// saving a change to it makes the next version.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, type MyCampaign } from '../lib/api';
import { fieldApi, type Kit, type QuestionnaireInfo, type Version } from '../lib/field-api';
import { useAsync } from '../lib/hooks';
import type { Choice, Definition, ProfileField, Question, QuestionKind } from '../lib/questionnaire';
import { SurveyForm, type SurveyResult } from '../lib/survey-form';
import { formatDateTime, t } from '../i18n';
import type { MessageKey } from '../i18n/fr';

const KINDS: QuestionKind[] = ['open', 'single_choice', 'multiple_choice', 'scale', 'yes_no', 'profile', 'consent'];
const PROFILE_FIELDS: ProfileField[] = ['sex', 'age_band', 'occupation', 'postcode'];

function canEdit(mine: MyCampaign): boolean {
  return mine.role === 'admin' || mine.role === 'director';
}

/** `Les transports` → `les_transports`: a value for an option typed as a label. */
export function slug(label: string): string {
  const s = label
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  return s || 'option';
}

/** Options written one per line, as `Libellé` or `valeur | Libellé`. */
export function parseOptions(text: string): Choice[] {
  const seen = new Set<string>();
  const out: Choice[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [a, b] = line.includes('|') ? line.split('|').map((x) => x.trim()) : [slug(line), line];
    let value = a || slug(b);
    for (let i = 2; seen.has(value); i++) value = `${a}_${i}`;
    seen.add(value);
    out.push({ value, label: b || a });
  }
  return out;
}

export function optionsText(options: Choice[] | undefined): string {
  return (options ?? []).map((o) => (slug(o.label) === o.value ? o.label : `${o.value} | ${o.label}`)).join('\n');
}

function statusLabel(v: Version): string {
  return t(`qb.status.${v.status}` as MessageKey, { n: v.number });
}

export function Questionnaires({ mine, selected }: { mine: MyCampaign; selected: string | null }) {
  const c = mine.campaign.id;
  const list = useAsync(() => fieldApi.questionnaires(c), [c]);
  const kit = useAsync(() => fieldApi.kit(c), [c]);
  if (selected && kit.data) {
    return html`<${Builder} mine=${mine} id=${selected} kit=${kit.data} onChanged=${list.reload} />`;
  }
  return html`<section>
    <h1>${t('qb.title')}</h1>
    ${canEdit(mine) && kit.data && html`<${Create} campaign=${c} kit=${kit.data} />`}
    ${list.error && html`<p class="error">${list.error.message}</p>`}
    ${list.data && list.data.length === 0 && html`<p class="muted">${t('qb.empty')}</p>`}
    <div class="q-list">
      ${list.data?.map((q) => html`<${Summary} q=${q} />`)}
    </div>
  </section>`;
}

function Summary({ q }: { q: QuestionnaireInfo }) {
  const latest = q.versions[q.versions.length - 1];
  const live = q.versions.find((v) => v.status === 'published');
  return html`<a class="card q-card" href=${`#/questionnaires/${q.id}`}>
    <strong>${q.name}</strong>
    <span>${live ? html`<span class="badge live">${statusLabel(live)}</span>` : html`<span class="badge">${t('qb.notLive')}</span>`}
      ${latest && latest.status === 'draft' && html` <span class="badge draft">${statusLabel(latest)}</span>`}</span>
    <span class="muted small">${t('qb.questions', { n: (live ?? latest)?.definition.questions.length ?? 0 })}</span>
  </a>`;
}

function Create({ campaign, kit }: { campaign: string; kit: Kit }) {
  const [name, setName] = useState('');
  const [template, setTemplate] = useState(kit.templates[0]?.id ?? '');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const body = template
        ? { name: name.trim() || undefined, template }
        : { name: name.trim() || t('qb.untitled'), definition: blank() };
      const q = await fieldApi.createQuestionnaire(campaign, body);
      location.hash = `#/questionnaires/${q.id}`;
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.error'));
    }
  };
  return html`<details class="card">
    <summary>${t('qb.create')}</summary>
    <form class="grid-form" onSubmit=${submit}>
      <label>${t('qb.name')}<input value=${name} placeholder=${t('qb.namePlaceholder')} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></label>
      <label>${t('qb.startFrom')}
        <select value=${template} onChange=${(e: Event) => setTemplate((e.target as HTMLSelectElement).value)}>
          ${kit.templates.map((x) => html`<option value=${x.id}>${x.name}</option>`)}
          <option value="">${t('qb.blank')}</option>
        </select></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="actions"><button type="submit" class="primary">${t('qb.createSubmit')}</button></div>
    </form>
  </details>`;
}

function blank(): Definition {
  return {
    script: { intro: '', talking_points: [], closing: '' },
    questions: [{ key: 'q1', text: t('qb.firstQuestion'), kind: 'open', max_length: 2000 }],
  };
}

function freshQuestion(kind: QuestionKind, taken: Set<string>): Question {
  let n = taken.size + 1;
  while (taken.has(`q${n}`)) n++;
  const q: Question = { key: `q${n}`, text: '', kind };
  if (kind === 'single_choice' || kind === 'multiple_choice') q.options = [{ value: 'oui', label: 'Oui' }, { value: 'non', label: 'Non' }];
  if (kind === 'scale') Object.assign(q, { min: 0, max: 10 });
  if (kind === 'open') q.max_length = 2000;
  if (kind === 'profile') q.field = 'sex';
  if (kind === 'consent') Object.assign(q, { purpose: 'survey', statement: '' });
  return q;
}

function Builder({ mine, id, kit, onChanged }: { mine: MyCampaign; id: string; kit: Kit; onChanged: () => void }) {
  const c = mine.campaign.id;
  const q = useAsync(() => fieldApi.questionnaire(c, id), [c, id]);
  const [def, setDef] = useState<Definition | null>(null);
  const [name, setName] = useState('');
  const [viewing, setViewing] = useState<number | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [dirty, setDirty] = useState(false);
  const [previewRun, setPreviewRun] = useState(0);
  const editable = canEdit(mine);
  const info = q.data;
  const latest = info?.versions[info.versions.length - 1];
  useEffect(() => {
    if (info && latest) {
      setDef(structuredClone(latest.definition));
      setName(info.name);
      setDirty(false);
    }
  }, [info]);
  const shown = viewing !== null ? info?.versions.find((v) => v.number === viewing) : undefined;
  const current = shown ? shown.definition : def;
  const readOnly = !editable || Boolean(shown);

  if (q.error) return html`<p class="error">${q.error.message}</p>`;
  if (!info || !def || !current) return html`<p class="muted">${t('common.loading')}</p>`;

  const change = (d: Definition) => {
    setDef(d);
    setDirty(true);
    setMessage(null);
  };
  const save = async () => {
    try {
      const v = await fieldApi.saveDraft(c, id, { name: name.trim() || undefined, definition: def });
      setMessage({ ok: true, text: t('qb.saved', { n: v.number }) });
      setDirty(false);
      q.reload();
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof ApiError ? err.message : t('common.error') });
    }
  };
  const publish = async () => {
    try {
      if (dirty) await fieldApi.saveDraft(c, id, { name: name.trim() || undefined, definition: def });
      const v = await fieldApi.publish(c, id);
      setMessage({ ok: true, text: t('qb.published', { n: v.number }) });
      setDirty(false);
      q.reload();
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof ApiError ? err.message : t('common.error') });
    }
  };
  const live = info.versions.find((v) => v.status === 'published');

  return html`<section class="builder">
    <nav class="breadcrumb"><a href="#/questionnaires">${t('qb.title')}</a> › ${info.name}</nav>
    <div class="builder-head">
      <div>
        ${editable && !shown
          ? html`<input class="q-name" aria-label=${t('qb.name')} value=${name} onInput=${(e: Event) => {
              setName((e.target as HTMLInputElement).value);
              setDirty(true);
            }} />`
          : html`<h1>${info.name}</h1>`}
        <div class="versions">
          ${info.versions.map((v) => html`<button type="button" class=${`badge ${v.status} ${(shown ? shown.number : latest?.number) === v.number ? 'on' : ''}`}
            title=${v.published_at ? t('qb.publishedAt', { when: formatDateTime(v.published_at) }) : formatDateTime(v.created_at)}
            onClick=${() => setViewing(v.number === latest?.number ? null : v.number)}>${statusLabel(v)}</button>`)}
        </div>
      </div>
      <div class="builder-actions">
        ${(shown ?? live ?? latest) && html`<a class="button" data-testid="print-questionnaire" target="_blank" rel="noopener"
          title=${t('qb.printHint')}
          href=${fieldApi.printUrl(c, id, (shown ?? live ?? latest)!.number)}>${t('qb.print', { n: (shown ?? live ?? latest)!.number })}</a>`}
      </div>
      ${editable && !shown && html`<div class="builder-actions">
        <button type="button" onClick=${save} disabled=${!dirty}>${t('qb.saveDraft')}</button>
        <button type="button" class="primary" onClick=${publish} disabled=${!dirty && latest?.status !== 'draft'}>${t('qb.publish')}</button>
      </div>`}
    </div>
    ${message && html`<p class=${message.ok ? 'ok' : 'error'} role="status">${message.text}</p>`}
    ${shown && html`<p class="note">${t('qb.viewingOld', { n: shown.number })} <button type="button" class="link" onClick=${() => setViewing(null)}>${t('qb.backToLatest')}</button></p>`}
    ${!shown && editable && latest?.status !== 'draft' && html`<p class="note">${t('qb.nextVersion', { live: live?.number ?? 0, next: (latest?.number ?? 0) + 1 })}</p>`}
    <div class="builder-grid">
      <div class="builder-form">
        <${ScriptEditor} def=${current} readOnly=${readOnly} onChange=${change} />
        ${current.questions.map((qq, i) => html`<${QuestionEditor} key=${`${i}-${qq.key}`} def=${current} index=${i} kit=${kit} readOnly=${readOnly} onChange=${change} />`)}
        ${!readOnly && html`<div class="card add-question">
          <span class="label">${t('qb.addQuestion')}</span>
          <div class="kinds">${KINDS.map((k) => html`<button type="button" onClick=${() => {
            const taken = new Set(def.questions.map((x) => x.key));
            change({ ...def, questions: [...def.questions, freshQuestion(k, taken)] });
          }}>${t(`qb.kind.${k}` as MessageKey)}</button>`)}</div>
        </div>`}
      </div>
      <aside class="preview">
        <div class="preview-head"><span class="label">${t('qb.preview')}</span>
          <button type="button" class="link" onClick=${() => setPreviewRun(previewRun + 1)}>${t('qb.previewRestart')}</button></div>
        <div class="phone">
          <${Preview} key=${previewRun} def=${current} codes=${kit.profile_codes} name=${info.name} onRestart=${() => setPreviewRun(previewRun + 1)} />
        </div>
      </aside>
    </div>
  </section>`;
}

function Preview({ def, codes, name, onRestart }: { def: Definition; codes: Kit['profile_codes']; name: string; onRestart: () => void }) {
  const [done, setDone] = useState<SurveyResult | null>(null);
  const valid = def.questions.length > 0 && def.questions.every((q) => q.text.trim());
  if (!valid) return html`<p class="muted center pad">${t('qb.previewIncomplete')}</p>`;
  if (done) {
    return html`<div class="pad">
      <p class="ok">${done.refused ? t('qb.previewRefused') : t('qb.previewDone', { n: Object.keys(done.answers).length })}</p>
      ${!done.refused && html`<pre class="answers">${JSON.stringify(done.answers, null, 1)}</pre>`}
      <button type="button" onClick=${onRestart}>${t('qb.previewRestart')}</button>
    </div>`;
  }
  return html`<${SurveyForm} def=${def} codes=${codes} title=${name} onFinish=${setDone} onCancel=${onRestart} />`;
}

function ScriptEditor({ def, readOnly, onChange }: { def: Definition; readOnly: boolean; onChange: (d: Definition) => void }) {
  const set = (patch: Partial<Definition['script']>) => onChange({ ...def, script: { ...def.script, ...patch } });
  return html`<div class="card">
    <h2>${t('qb.script')}</h2>
    <label>${t('qb.intro')}<textarea rows="3" disabled=${readOnly} value=${def.script.intro}
      onInput=${(e: Event) => set({ intro: (e.target as HTMLTextAreaElement).value })}></textarea></label>
    <label>${t('qb.talkingPoints')}<textarea rows="4" disabled=${readOnly} value=${def.script.talking_points.join('\n')}
      onInput=${(e: Event) => set({ talking_points: (e.target as HTMLTextAreaElement).value.split('\n') })}></textarea></label>
    <label>${t('qb.closing')}<textarea rows="2" disabled=${readOnly} value=${def.script.closing}
      onInput=${(e: Event) => set({ closing: (e.target as HTMLTextAreaElement).value })}></textarea></label>
  </div>`;
}

/** The values a condition may name for a question, with labels. */
function conditionValues(q: Question, codes: Kit['profile_codes']): Choice[] {
  switch (q.kind) {
    case 'single_choice':
    case 'multiple_choice':
      return q.options ?? [];
    case 'yes_no':
    case 'consent':
      return [{ value: 'yes', label: t('survey.yes') }, { value: 'no', label: t('survey.no') }];
    case 'scale': {
      const out: Choice[] = [];
      for (let n = q.min ?? 0; n <= (q.max ?? 10); n++) out.push({ value: String(n), label: String(n) });
      return out;
    }
    case 'profile':
      return q.field && q.field !== 'postcode' ? codes[q.field] ?? [] : [];
    default:
      return [];
  }
}

function QuestionEditor({ def, index, kit, readOnly, onChange }: {
  def: Definition; index: number; kit: Kit; readOnly: boolean; onChange: (d: Definition) => void;
}) {
  const q = def.questions[index];
  const [optText, setOptText] = useState(optionsText(q.options));
  const set = (patch: Partial<Question>) => {
    const questions = [...def.questions];
    questions[index] = { ...q, ...patch };
    onChange({ ...def, questions });
  };
  const move = (d: number) => {
    const questions = [...def.questions];
    const [x] = questions.splice(index, 1);
    questions.splice(index + d, 0, x);
    onChange({ ...def, questions });
  };
  const earlier = def.questions.slice(0, index).filter((x) => conditionValues(x, kit.profile_codes).length > 0);
  const condTarget = q.show_if ? def.questions.find((x) => x.key === q.show_if?.question) : undefined;
  const val = (e: Event) => (e.target as HTMLInputElement).value;
  const choices = useMemo(() => conditionValues(condTarget ?? q, kit.profile_codes), [condTarget, kit]);
  return html`<div class="card q-edit" data-testid=${`question-${q.key}`}>
    <div class="q-edit-head">
      <span class="q-num">${index + 1}</span>
      <span class="badge">${t(`qb.kind.${q.kind}` as MessageKey)}</span>
      ${!readOnly && html`<span class="q-tools">
        <button type="button" class="icon" aria-label=${t('qb.moveUp')} disabled=${index === 0} onClick=${() => move(-1)}>↑</button>
        <button type="button" class="icon" aria-label=${t('qb.moveDown')} disabled=${index === def.questions.length - 1} onClick=${() => move(1)}>↓</button>
        <button type="button" class="icon" aria-label=${t('qb.remove')} onClick=${() => onChange({ ...def, questions: def.questions.filter((_, i) => i !== index) })}>✕</button>
      </span>`}
    </div>
    <label>${t('qb.text')}<textarea rows="2" disabled=${readOnly} value=${q.text} onInput=${(e: Event) => set({ text: val(e) })}></textarea></label>
    <div class="q-row">
      <label>${t('qb.key')}<input disabled=${readOnly} value=${q.key} onInput=${(e: Event) => set({ key: val(e) })} /></label>
      <label>${t('qb.kind')}<select disabled=${readOnly} value=${q.kind} onChange=${(e: Event) => {
        const fresh = freshQuestion(val(e) as QuestionKind, new Set());
        const next = { ...fresh, key: q.key, text: q.text, help: q.help, required: q.required, show_if: q.show_if };
        setOptText(optionsText(next.options));
        const questions = [...def.questions];
        questions[index] = next;
        onChange({ ...def, questions });
      }}>${KINDS.map((k) => html`<option value=${k}>${t(`qb.kind.${k}` as MessageKey)}</option>`)}</select></label>
      <label class="check"><input type="checkbox" disabled=${readOnly} checked=${Boolean(q.required)} onChange=${(e: Event) => set({ required: (e.target as HTMLInputElement).checked })} />${t('qb.required')}</label>
    </div>
    <label>${t('qb.help')}<input disabled=${readOnly} value=${q.help ?? ''} onInput=${(e: Event) => set({ help: val(e) })} /></label>
    ${(q.kind === 'single_choice' || q.kind === 'multiple_choice') && html`
      <label>${t('qb.options')}<textarea rows="4" disabled=${readOnly} value=${optText} onInput=${(e: Event) => {
        const text = (e.target as HTMLTextAreaElement).value;
        setOptText(text);
        set({ options: parseOptions(text) });
      }}></textarea></label>`}
    ${q.kind === 'multiple_choice' && html`<label>${t('qb.maxChoices')}<input type="number" min="1" disabled=${readOnly} value=${q.max_choices ?? ''}
      onInput=${(e: Event) => set({ max_choices: val(e) ? Number(val(e)) : null })} /></label>`}
    ${q.kind === 'scale' && html`<div class="q-row">
      <label>${t('qb.min')}<input type="number" min="0" max="10" disabled=${readOnly} value=${q.min ?? 0} onInput=${(e: Event) => set({ min: Number(val(e)) })} /></label>
      <label>${t('qb.max')}<input type="number" min="0" max="10" disabled=${readOnly} value=${q.max ?? 10} onInput=${(e: Event) => set({ max: Number(val(e)) })} /></label>
      <label>${t('qb.minLabel')}<input disabled=${readOnly} value=${q.min_label ?? ''} onInput=${(e: Event) => set({ min_label: val(e) })} /></label>
      <label>${t('qb.maxLabel')}<input disabled=${readOnly} value=${q.max_label ?? ''} onInput=${(e: Event) => set({ max_label: val(e) })} /></label>
    </div>`}
    ${q.kind === 'open' && html`<label>${t('qb.maxLength')}<input type="number" min="1" max="5000" disabled=${readOnly} value=${q.max_length ?? 2000}
      onInput=${(e: Event) => set({ max_length: Number(val(e)) })} /></label>`}
    ${q.kind === 'profile' && html`<label>${t('qb.profileField')}<select disabled=${readOnly} value=${q.field} onChange=${(e: Event) => set({ field: val(e) as ProfileField })}>
      ${PROFILE_FIELDS.map((f) => html`<option value=${f}>${t(`qb.profile.${f}` as MessageKey)}</option>`)}</select></label>`}
    ${q.kind === 'consent' && html`<div class="q-row">
      <label>${t('qb.purpose')}<select disabled=${readOnly} value=${q.purpose} onChange=${(e: Event) => set({ purpose: val(e) as 'survey' | 'recontact' })}>
        <option value="survey">${t('qb.purpose.survey')}</option><option value="recontact">${t('qb.purpose.recontact')}</option></select></label>
    </div>
    <label>${t('qb.statement')}<textarea rows="2" disabled=${readOnly} value=${q.statement ?? ''} onInput=${(e: Event) => set({ statement: val(e) })}></textarea></label>`}
    ${earlier.length > 0 && html`<div class="q-row condition">
      <label>${t('qb.showIf')}<select disabled=${readOnly} value=${q.show_if?.question ?? ''} onChange=${(e: Event) => {
        const key = val(e);
        set({ show_if: key ? { question: key, any_of: [] } : null });
      }}>
        <option value="">${t('qb.always')}</option>
        ${earlier.map((x) => html`<option value=${x.key}>${x.key} — ${x.text.slice(0, 40)}</option>`)}
      </select></label>
      ${q.show_if && html`<fieldset class="values"><legend>${t('qb.isOneOf')}</legend>
        ${choices.map((ch) => html`<label class="check"><input type="checkbox" disabled=${readOnly} checked=${q.show_if?.any_of.includes(ch.value)}
          onChange=${(e: Event) => {
            const on = (e.target as HTMLInputElement).checked;
            const any = new Set(q.show_if?.any_of ?? []);
            if (on) any.add(ch.value);
            else any.delete(ch.value);
            set({ show_if: { question: q.show_if!.question, any_of: [...any] } });
          }} />${ch.label}</label>`)}
      </fieldset>`}
    </div>`}
  </div>`;
}
