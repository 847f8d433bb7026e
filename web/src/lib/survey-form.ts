// The questionnaire as the walker fills it on a phone, one question per screen, with one thumb:
// big options at the bottom half, a tap on a single choice moves on. Used by the field app and,
// unchanged, by the dashboard's preview.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import {
  checkAnswer,
  cleanAnswers,
  NO_ANSWER,
  optionsOf,
  refused,
  visibleQuestions,
  wantsRecontact,
  type AnswerValue,
  type Answers,
  type Definition,
  type ProfileCodes,
  type Question,
} from './questionnaire';
import './survey.css';

export interface ContactDetails { name: string; phone: string | null; email: string | null }
export type SurveyResult = { refused: true } | { refused: false; answers: Answers; contact: ContactDetails | null };

type Step = { at: 'script' } | { at: 'question'; index: number } | { at: 'contact' } | { at: 'end' } | { at: 'refused' };

export function SurveyForm({ def, codes, title, onFinish, onCancel }: {
  def: Definition;
  codes: ProfileCodes;
  title: string;
  onFinish: (r: SurveyResult) => void;
  onCancel: () => void;
}) {
  const [answers, setAnswers] = useState<Answers>({});
  const [step, setStep] = useState<Step>({ at: 'script' });
  const [error, setError] = useState<string | null>(null);
  const [contact, setContact] = useState<ContactDetails>({ name: '', phone: '', email: '' });
  const visible = visibleQuestions(def, answers);

  const goQuestion = (index: number, a: Answers) => {
    setError(null);
    const list = visibleQuestions(def, a);
    if (refused(def, a)) setStep({ at: 'refused' });
    else if (index < list.length) setStep({ at: 'question', index });
    else if (wantsRecontact(def, a)) setStep({ at: 'contact' });
    else setStep({ at: 'end' });
  };

  const answer = (q: Question, v: AnswerValue | undefined, advance: boolean, index: number) => {
    const next = { ...answers };
    if (v === undefined) delete next[q.key];
    else next[q.key] = v;
    setAnswers(next);
    setError(null);
    if (advance) {
      const e = checkAnswer(q, v, codes);
      if (e) setError(t(e as MessageKey));
      else goQuestion(index + 1, next);
    }
  };

  const header = (label: string, fraction: number) => html`
    <div class="survey-head">
      <div class="survey-title"><span>${title}</span><button type="button" class="link" onClick=${onCancel}>${t('survey.stop')}</button></div>
      <div class="survey-progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${Math.round(fraction * 100)}>
        <span style=${{ width: `${Math.round(fraction * 100)}%` }}></span>
      </div>
      <div class="muted small">${label}</div>
    </div>`;

  if (step.at === 'script') {
    return html`<section class="survey">
      ${header(t('survey.script'), 0)}
      <div class="survey-body fill">
        ${def.script.intro && html`<p class="survey-script">${def.script.intro}</p>`}
        ${def.script.talking_points.length > 0 && html`
          <h3>${t('survey.talkingPoints')}</h3>
          <ul class="talking">${def.script.talking_points.map((p) => html`<li>${p}</li>`)}</ul>`}
      </div>
      <div class="survey-actions">
        <button type="button" class="primary big" onClick=${() => goQuestion(0, answers)}>${t('survey.start')}</button>
      </div>
    </section>`;
  }

  if (step.at === 'refused') {
    return html`<section class="survey">
      ${header(t('survey.refusedTitle'), 1)}
      <div class="survey-body fill"><p class="survey-script">${t('survey.refusedText')}</p></div>
      <div class="survey-actions">
        <button type="button" class="big" onClick=${() => goQuestion(visible.length - 1, answers)}>${t('survey.back')}</button>
        <button type="button" class="primary big" onClick=${() => onFinish({ refused: true })}>${t('survey.refusedDone')}</button>
      </div>
    </section>`;
  }

  if (step.at === 'contact') {
    const submit = (skip: boolean) => {
      if (skip) {
        setStep({ at: 'end' });
        return;
      }
      const phone = contact.phone?.trim() || null;
      const email = contact.email?.trim() || null;
      if (!contact.name.trim() || (!phone && !email)) {
        setError(t('survey.contactNeeded'));
        return;
      }
      if (phone && !/^[0-9 +.()-]{6,30}$/.test(phone)) {
        setError(t('survey.phoneInvalid'));
        return;
      }
      if (email && !/^[^@\s]+@[^@\s]+$/.test(email)) {
        setError(t('survey.emailInvalid'));
        return;
      }
      setError(null);
      setStep({ at: 'end' });
    };
    const val = (k: keyof ContactDetails) => (e: Event) => setContact({ ...contact, [k]: (e.target as HTMLInputElement).value });
    return html`<section class="survey">
      ${header(t('survey.contactTitle'), 1)}
      <div class="survey-body fill">
        <p class="muted">${t('survey.contactIntro')}</p>
        <label>${t('survey.contactName')}<input autocomplete="off" value=${contact.name} onInput=${val('name')} /></label>
        <label>${t('survey.contactPhone')}<input type="tel" inputmode="tel" autocomplete="off" value=${contact.phone ?? ''} onInput=${val('phone')} /></label>
        <label>${t('survey.contactEmail')}<input type="email" autocomplete="off" value=${contact.email ?? ''} onInput=${val('email')} /></label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
      </div>
      <div class="survey-actions">
        <button type="button" class="big" onClick=${() => submit(true)}>${t('survey.contactSkip')}</button>
        <button type="button" class="primary big" onClick=${() => submit(false)}>${t('survey.next')}</button>
      </div>
    </section>`;
  }

  if (step.at === 'end') {
    const finish = () => {
      const final = cleanAnswers(def, answers);
      const keepContact = wantsRecontact(def, final) && contact.name.trim() && (contact.phone?.trim() || contact.email?.trim());
      onFinish({
        refused: false,
        answers: final,
        contact: keepContact
          ? { name: contact.name.trim(), phone: contact.phone?.trim() || null, email: contact.email?.trim() || null }
          : null,
      });
    };
    return html`<section class="survey">
      ${header(t('survey.endTitle'), 1)}
      <div class="survey-body fill">
        ${def.script.closing && html`<p class="survey-script">${def.script.closing}</p>`}
        <p class="muted">${t('survey.answered', { n: Object.keys(cleanAnswers(def, answers)).length })}</p>
      </div>
      <div class="survey-actions">
        <button type="button" class="big" onClick=${() => goQuestion(visible.length - 1, answers)}>${t('survey.back')}</button>
        <button type="button" class="primary big" onClick=${finish} data-testid="survey-save">${t('survey.save')}</button>
      </div>
    </section>`;
  }

  const index = Math.min(step.index, visible.length - 1);
  const q = visible[index];
  return html`<section class="survey">
    ${header(t('survey.questionOf', { i: index + 1, n: visible.length }), index / Math.max(1, visible.length))}
    <${QuestionView}
      key=${q.key}
      q=${q}
      codes=${codes}
      value=${answers[q.key]}
      error=${error}
      onAnswer=${(v: AnswerValue | undefined, advance: boolean) => answer(q, v, advance, index)}
      onBack=${() => (index === 0 ? setStep({ at: 'script' }) : goQuestion(index - 1, answers))}
      onNext=${() => answer(q, answers[q.key], true, index)}
    />
  </section>`;
}

function QuestionView({ q, codes, value, error, onAnswer, onBack, onNext }: {
  q: Question;
  codes: ProfileCodes;
  value: AnswerValue | undefined;
  error: string | null;
  onAnswer: (v: AnswerValue | undefined, advance: boolean) => void;
  onBack: () => void;
  onNext: () => void;
}) {
  const input = useRef<HTMLTextAreaElement | HTMLInputElement>(null);
  useEffect(() => {
    if (q.kind === 'open' || (q.kind === 'profile' && q.field === 'postcode')) input.current?.focus();
  }, [q.key]);
  const optional = !q.required && !(q.kind === 'consent' && q.purpose === 'survey');
  const choice = (v: string, label: string, selected: boolean, advance = true) => html`
    <button type="button" class=${`option ${selected ? 'selected' : ''}`} aria-pressed=${selected}
      onClick=${() => onAnswer(v, advance)}>${label}</button>`;
  let body;
  switch (q.kind) {
    case 'single_choice':
      body = html`<div class="options">${optionsOf(q, codes).map((o) => choice(o.value, o.label, value === o.value))}</div>`;
      break;
    case 'profile':
      if (q.field === 'postcode') {
        body = html`<div class="options top">
          <input ref=${input} class="postcode" inputmode="numeric" maxlength="5" autocomplete="off" aria-label=${q.text}
            value=${typeof value === 'string' && value !== NO_ANSWER ? value : ''}
            onInput=${(e: Event) => onAnswer((e.target as HTMLInputElement).value.replace(/\D/g, '') || undefined, false)} />
          ${choice(NO_ANSWER, t('survey.noAnswer'), value === NO_ANSWER)}
        </div>`;
      } else {
        body = html`<div class="options">${optionsOf(q, codes).map((o) => choice(o.value, o.label, value === o.value))}</div>`;
      }
      break;
    case 'multiple_choice': {
      const chosen = Array.isArray(value) ? value : [];
      body = html`<div class="options">
        ${optionsOf(q, codes).map((o) => {
          const on = chosen.includes(o.value);
          return html`<button type="button" class=${`option check ${on ? 'selected' : ''}`} aria-pressed=${on}
            onClick=${() => {
              const next = on ? chosen.filter((c) => c !== o.value) : [...chosen, o.value];
              onAnswer(next.length ? next : undefined, false);
            }}>${o.label}</button>`;
        })}
        ${q.max_choices && html`<p class="muted small">${t('survey.maxChoices', { n: q.max_choices })}</p>`}
      </div>`;
      break;
    }
    case 'scale': {
      const nums: number[] = [];
      for (let n = q.min ?? 0; n <= (q.max ?? 10); n++) nums.push(n);
      body = html`<div class="options">
        <div class="scale">${nums.map((n) => html`<button type="button" class=${`option ${value === n ? 'selected' : ''}`} aria-pressed=${value === n}
          onClick=${() => onAnswer(n, true)}>${n}</button>`)}</div>
        <div class="scale-labels muted small"><span>${q.min_label ?? ''}</span><span>${q.max_label ?? ''}</span></div>
      </div>`;
      break;
    }
    case 'yes_no':
    case 'consent':
      body = html`<div class="options">
        ${q.kind === 'consent' && html`<p class="statement">${q.statement}</p>`}
        <div class="yesno">
          <button type="button" class=${`option ${value === true ? 'selected' : ''}`} aria-pressed=${value === true} onClick=${() => onAnswer(true, true)}>${t('survey.yes')}</button>
          <button type="button" class=${`option ${value === false ? 'selected' : ''}`} aria-pressed=${value === false} onClick=${() => onAnswer(false, true)}>${t('survey.no')}</button>
        </div>
      </div>`;
      break;
    case 'open': {
      const text = typeof value === 'string' ? value : '';
      body = html`<div class="options top">
        <textarea ref=${input} rows="6" maxlength=${q.max_length ?? 2000} aria-label=${q.text} value=${text}
          onInput=${(e: Event) => onAnswer((e.target as HTMLTextAreaElement).value || undefined, false)}></textarea>
        <p class="muted small">${t('survey.dictate')} · ${[...text].length} / ${q.max_length ?? 2000}</p>
      </div>`;
      break;
    }
  }
  const needsNext = q.kind === 'open' || q.kind === 'multiple_choice' || (q.kind === 'profile' && q.field === 'postcode');
  return html`
    <div class="survey-body">
      <h2 class="question">${q.text}</h2>
      ${q.help && html`<p class="muted help">${q.help}</p>`}
    </div>
    ${body}
    ${error && html`<p class="error center" role="alert">${error}</p>`}
    <div class="survey-actions">
      <button type="button" class="big" onClick=${onBack}>${t('survey.previous')}</button>
      ${needsNext || value !== undefined
        ? html`<button type="button" class="primary big" onClick=${onNext}>${t('survey.next')}</button>`
        : optional
          ? html`<button type="button" class="big" onClick=${() => onAnswer(undefined, true)}>${t('survey.skip')}</button>`
          : html`<span></span>`}
    </div>`;
}
