// The paper fallback: the director puts a questionnaire in service; a coordinator keys in three
// paper questionnaires with the keyboard only — one of them with a typing mistake the server
// refuses, naming the question, corrected without retyping the sheet — and the server holds
// exactly those three, marked paper and keyed by that coordinator. Then the printable
// questionnaire.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, launch, PHONE, shot, signInDashboard, startDemo } from './harness.mjs';

let demo;
let chrome;
before(async () => {
  demo = await startDemo();
  chrome = await launch();
});
after(async () => {
  await chrome?.close();
  await demo?.stop();
});

const signIn = (page, email) => signInDashboard(page, demo.base, email);

/** Calls the API from the signed-in page (session cookie and anti-CSRF token). */
async function call(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const s = await (await fetch('/api/v1/auth/session')).json();
      const r = await fetch(`/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token ?? '' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: r.status === 204 ? null : await r.json(), me: s.user.id, campaign: s.campaigns[0].campaign.id };
    },
    { method, path, body },
  );
}

const DEFINITION = {
  script: {
    intro: 'Bonjour, nous faisons une enquête sur le quartier.',
    talking_points: ['Les réponses sont anonymes', 'Dix minutes au plus'],
    closing: 'Merci de votre temps !',
  },
  questions: [
    { key: 'accord', text: 'Acceptez-vous de répondre ?', kind: 'consent', purpose: 'survey', required: true,
      statement: 'J’accepte que mes réponses soient utilisées, sans mon nom ni mon adresse.' },
    { key: 'priorite', text: 'Quelle est votre priorité ?', kind: 'single_choice',
      options: [{ value: 'emploi', label: 'L’emploi' }, { value: 'logement', label: 'Le logement' }, { value: 'sante', label: 'La santé' }] },
    { key: 'satisfait', text: 'Êtes-vous satisfait de votre quartier ?', kind: 'yes_no' },
    { key: 'pourquoi', text: 'Qu’est-ce qui ne va pas ?', kind: 'open', show_if: { question: 'satisfait', any_of: ['no'] } },
    { key: 'note', text: 'Quelle note donnez-vous aux transports ?', kind: 'scale', min: 0, max: 10, min_label: 'très mauvais', max_label: 'excellents' },
    { key: 'sexe', text: 'Sexe', kind: 'profile', field: 'sex' },
    { key: 'age', text: 'Tranche d’âge', kind: 'profile', field: 'age_band' },
    { key: 'cp', text: 'Code postal', kind: 'profile', field: 'postcode' },
  ],
};

test('a coordinator keys in paper questionnaires with the keyboard only', async () => {
  // The director puts the questionnaire in service.
  const boss = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(boss, 'directrice@terrain.demo');
  const { campaign } = await call(boss, 'GET', '/campaigns');
  const made = await call(boss, 'POST', `/campaigns/${campaign}/questionnaires`, { name: 'Fiche papier du quartier', definition: DEFINITION });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const qid = made.body.id;
  const pub = await call(boss, 'POST', `/campaigns/${campaign}/questionnaires/${qid}/publish`);
  assert.equal(pub.status, 200);
  await boss.close();

  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Saisie papier' }).click();
  await page.getByRole('heading', { name: 'Saisie papier' }).waitFor();
  // Chosen once for the pile: the version, the bureau, the day.
  await page.getByTestId('paper-version').selectOption({ label: 'Fiche papier du quartier — version 1' });
  const sheetRef = page.getByTestId('sheet-ref');
  await sheetRef.waitFor();
  const kb = page.keyboard;
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-key') ?? document.activeElement?.tagName);
  // Focus starts on the sheet number.
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-key') === 'sheet_ref');

  // Sheet 1: everything, with the conditional question opened by "non".
  await kb.type('P-001');
  await kb.press('Enter');
  assert.equal(await focused(), 'accord');
  await kb.type('o');
  await kb.press('Enter');
  await kb.type('2');
  await kb.press('Enter');
  assert.equal(await page.locator('[data-question="pourquoi"]').count(), 0, 'hidden until satisfait is answered no');
  await kb.type('n');
  await page.locator('[data-question="pourquoi"]').waitFor();
  await kb.press('Enter');
  assert.equal(await focused(), 'pourquoi');
  await kb.type('Les bus passent rarement.');
  await kb.press('Enter'); // a new line inside the open answer
  await kb.type('Et les trottoirs sont encombrés.');
  await kb.press('Tab');
  assert.equal(await focused(), 'note');
  await kb.type('3');
  await kb.press('Enter');
  await kb.type('1');
  await kb.press('Enter');
  await kb.type('3');
  await kb.press('Enter');
  await kb.type('75018');
  await shot(page, 'dashboard-paper-keying-desktop');
  await kb.press('Control+Enter');
  await page.getByTestId('paper-saved').filter({ hasText: 'P-001' }).waitFor();
  // The form is empty again, focus back on the sheet number, the setup kept.
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-key') === 'sheet_ref');
  assert.equal(await sheetRef.inputValue(), '');
  assert.equal(await page.locator('[data-question="pourquoi"]').count(), 0);

  // Sheet 2: a postcode with a missing digit; the server's message names the question, the
  // sheet stays as typed, the coordinator corrects the postcode and saves.
  await kb.type('P-002');
  await kb.press('Enter');
  await kb.type('o');
  await kb.press('Enter');
  await kb.type('1');
  await kb.press('Enter');
  await kb.type('o');
  await kb.press('Enter');
  assert.equal(await focused(), 'note', 'no conditional question after "oui"');
  await kb.type('8');
  await kb.press('Enter');
  await kb.type('2');
  await kb.press('Enter');
  await kb.type('5');
  await kb.press('Enter');
  await kb.type('7501');
  await kb.press('Control+Enter');
  const error = page.getByTestId('paper-error');
  await error.waitFor();
  const text = await error.innerText();
  assert.match(text, /Question 8/);
  assert.match(text, /7501/);
  assert.ok(await page.locator('[data-question="cp"].has-error').count(), 'the question is marked');
  await shot(page, 'dashboard-paper-error-desktop');
  assert.equal(await sheetRef.inputValue(), 'P-002', 'nothing lost');
  assert.equal(await focused(), 'cp', 'focus on the question at fault');
  await kb.press('Control+A');
  await kb.type('75018');
  await kb.press('Control+Enter');
  await page.getByTestId('paper-saved').filter({ hasText: 'P-002' }).waitFor();

  // Sheet 3: saved from the middle of the sheet, the profile left blank.
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-key') === 'sheet_ref');
  await kb.type('P-003');
  await kb.press('Tab');
  await kb.type('o');
  await kb.press('Tab');
  await kb.type('3');
  await kb.press('Tab');
  await kb.type('o');
  await kb.press('Tab');
  await kb.type('10');
  await kb.press('Control+Enter');
  await page.getByTestId('paper-saved').filter({ hasText: 'P-003' }).waitFor();
  await page.getByTestId('paper-recent').getByText('P-003').waitFor();
  await shot(page, 'dashboard-paper-desktop');

  // The server holds exactly these three, marked paper, keyed by this coordinator.
  const list = await call(page, 'GET', `/campaigns/${campaign}/paper-responses?limit=200`);
  assert.equal(list.status, 200);
  const mine = list.body.entries.filter((e) => e.keyed_by === list.me);
  assert.deepEqual(mine.map((e) => e.sheet_ref).sort(), ['P-001', 'P-002', 'P-003']);
  assert.ok(mine.every((e) => e.source === 'paper' && e.questionnaire_id === qid && e.bureau_code.startsWith('75056_18')));
  assert.equal(new Set(mine.map((e) => e.response_id)).size, 3);
  const progress = await call(page, 'GET', `/campaigns/${campaign}/field/progress`);
  assert.equal(progress.body.responses_by_version[pub.body.id], 3, 'counted as responses');

  // The printable questionnaire.
  const print = page;
  await print.goto(`${demo.base}/api/v1/campaigns/${campaign}/questionnaires/${qid}/print`);
  await print.getByRole('heading', { name: 'Fiche papier du quartier' }).waitFor();
  const body = await print.locator('body').innerText();
  assert.match(body, /N° de fiche/);
  assert.match(body, /Seulement si la réponse à la question 3 est « Non »/);
  assert.match(body, /J’accepte que mes réponses soient utilisées/);
  await shot(print, 'paper-questionnaire-print-desktop');
  await print.setViewportSize({ width: PHONE.width, height: PHONE.height });
  await shot(print, 'paper-questionnaire-print-phone');
  await page.close();

  const phone = await chrome.browser.newPage({ viewport: PHONE });
  await signIn(phone, 'coord18@terrain.demo');
  await phone.goto(`${demo.base}/#/paper`);
  await phone.getByTestId('sheet-ref').waitFor();
  await phone.getByTestId('paper-recent').waitFor();
  await shot(phone, 'dashboard-paper-phone');
  await phone.close();
});

test('a coordinator voids a mistyped sheet; walkers have no keying screen', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  await page.goto(`${demo.base}/#/paper`);
  const recent = page.getByTestId('paper-recent');
  await recent.getByText('P-002').waitFor();
  const before = Number((await page.getByTestId('paper-count').innerText()).match(/\d+/)[0]);
  const row = recent.locator('li', { hasText: 'P-002' });
  await row.getByRole('button', { name: 'Annuler' }).click();
  await row.getByRole('button', { name: 'Confirmer l’annulation' }).click();
  await recent.getByText('P-002').waitFor({ state: 'detached' });
  await page.getByTestId('paper-count').filter({ hasText: `${before - 1} fiches` }).waitFor();
  await page.close();

  const walker = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(walker, 'marcheuse18@terrain.demo');
  assert.equal(await walker.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Saisie papier' }).count(), 0);
  await walker.close();
});
