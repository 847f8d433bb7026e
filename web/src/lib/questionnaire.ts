// Questionnaires on the client: the definition's shape (as the server stores it), which
// questions show given the answers so far, and the checks an answer must pass — the same rules
// as the server's (crates/model/src/questionnaire.rs), so a walker learns at once what the
// server would refuse.

export type QuestionKind = 'single_choice' | 'multiple_choice' | 'scale' | 'yes_no' | 'open' | 'profile' | 'consent';
export type ProfileField = 'sex' | 'age_band' | 'occupation' | 'postcode';
export type ConsentPurpose = 'survey' | 'recontact';

export interface Choice { value: string; label: string }
export interface Condition { question: string; any_of: string[] }
export interface Question {
  key: string;
  text: string;
  help?: string;
  required?: boolean;
  show_if?: Condition | null;
  kind: QuestionKind;
  options?: Choice[];
  max_choices?: number | null;
  min?: number;
  max?: number;
  min_label?: string;
  max_label?: string;
  max_length?: number;
  field?: ProfileField;
  purpose?: ConsentPurpose;
  statement?: string;
}
export interface Script { intro: string; talking_points: string[]; closing: string }
export interface Definition { script: Script; questions: Question[] }
export type AnswerValue = string | string[] | number | boolean;
export type Answers = Record<string, AnswerValue>;
export type ProfileCodes = Record<string, Choice[]>;

/** The answer code for "does not wish to say". */
export const NO_ANSWER = 'nsp';

/** Whether an answer is one of `values` (choices, `yes`/`no`, numbers as text). */
export function matchesAny(a: AnswerValue | undefined, values: string[]): boolean {
  if (a === undefined) return false;
  if (Array.isArray(a)) return a.some((c) => values.includes(c));
  if (typeof a === 'boolean') return values.includes(a ? 'yes' : 'no');
  return values.includes(String(a));
}

/** The questions shown, in order, given the answers so far. */
export function visibleQuestions(def: Definition, answers: Answers): Question[] {
  const shown = new Set<string>();
  const out: Question[] = [];
  for (const q of def.questions) {
    const c = q.show_if;
    const visible = !c || (shown.has(c.question) && matchesAny(answers[c.question], c.any_of));
    if (visible) {
      shown.add(q.key);
      out.push(q);
    }
  }
  return out;
}

/** The answers without those to questions now hidden (an earlier answer changed). */
export function cleanAnswers(def: Definition, answers: Answers): Answers {
  const out: Answers = {};
  for (const q of visibleQuestions(def, answers)) if (q.key in answers) out[q.key] = answers[q.key];
  return out;
}

/** The options of a question: its own, or the profile field's fixed codes. */
export function optionsOf(q: Question, codes: ProfileCodes): Choice[] {
  if (q.kind === 'profile') return q.field ? codes[q.field] ?? [] : [];
  return q.options ?? [];
}

/** Why an answer does not fit its question (a message key), or null. */
export function checkAnswer(q: Question, v: AnswerValue | undefined, codes: ProfileCodes): string | null {
  if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) {
    return q.required || (q.kind === 'consent' && q.purpose === 'survey') ? 'survey.required' : null;
  }
  switch (q.kind) {
    case 'single_choice':
      return typeof v === 'string' && optionsOf(q, codes).some((o) => o.value === v) ? null : 'survey.invalid';
    case 'multiple_choice': {
      if (!Array.isArray(v) || new Set(v).size !== v.length) return 'survey.invalid';
      if (!v.every((c) => optionsOf(q, codes).some((o) => o.value === c))) return 'survey.invalid';
      return q.max_choices && v.length > q.max_choices ? 'survey.tooMany' : null;
    }
    case 'scale':
      return typeof v === 'number' && Number.isInteger(v) && v >= (q.min ?? 0) && v <= (q.max ?? 10) ? null : 'survey.invalid';
    case 'yes_no':
    case 'consent':
      return typeof v === 'boolean' ? null : 'survey.invalid';
    case 'open':
      if (typeof v !== 'string' || !v.trim()) return 'survey.required';
      return [...v].length > (q.max_length ?? 2000) ? 'survey.tooLong' : null;
    case 'profile':
      if (typeof v !== 'string') return 'survey.invalid';
      if (q.field === 'postcode') return v === NO_ANSWER || /^\d{5}$/.test(v) ? null : 'survey.postcode';
      return optionsOf(q, codes).some((o) => o.value === v) ? null : 'survey.invalid';
  }
  return null;
}

/** The survey consent question, if the questionnaire asks it. */
export function surveyConsent(def: Definition): Question | undefined {
  return def.questions.find((q) => q.kind === 'consent' && q.purpose === 'survey');
}

/** True when the respondent refused the survey: nothing may be stored. */
export function refused(def: Definition, answers: Answers): boolean {
  const c = surveyConsent(def);
  return Boolean(c && answers[c.key] === false);
}

/** True when the respondent agreed to be recontacted. */
export function wantsRecontact(def: Definition, answers: Answers): boolean {
  const c = def.questions.find((q) => q.kind === 'consent' && q.purpose === 'recontact');
  return Boolean(c && answers[c.key] === true);
}

/** The first problem of a whole set of answers, as `[question key, message key]`, or null. */
export function firstProblem(def: Definition, answers: Answers, codes: ProfileCodes): [string, string] | null {
  for (const q of visibleQuestions(def, answers)) {
    const e = checkAnswer(q, answers[q.key], codes);
    if (e) return [q.key, e];
  }
  return null;
}
