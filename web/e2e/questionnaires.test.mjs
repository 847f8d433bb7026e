// The director opens the demo's questionnaire, tries it in the phone preview, changes a
// question: the published version stays as it was and the change becomes version 2, put in
// service. Coordinators read questionnaires but cannot change them; the field page shows the
// progress of one's territory.
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

test('the director previews, changes and publishes a new version', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'directrice@terrain.demo');
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Questionnaires' }).click();
  await page.getByRole('heading', { name: 'Questionnaires' }).waitFor();
  await page.getByText('v1 en service').waitFor();
  await shot(page, 'dashboard-questionnaires-desktop');
  await page.getByRole('link', { name: /Grande Marche/ }).click();
  await page.locator('.preview').getByRole('button', { name: 'Commencer le questionnaire' }).waitFor();
  assert.match(await page.locator('.note').innerText(), /version 2/);

  // The preview is the walker's phone: consent, then the first open question.
  const preview = page.locator('.preview');
  await preview.getByRole('button', { name: 'Commencer le questionnaire' }).click();
  await preview.getByRole('button', { name: 'Oui', exact: true }).click();
  await preview.getByRole('heading', { name: 'Selon vous, qu’est-ce qui marche en France ?' }).waitFor();
  await shot(page, 'dashboard-questionnaire-builder-desktop');

  // Change the second question: saving makes version 2, a draft; version 1 is untouched.
  const q2 = page.getByTestId('question-ce_qui_marche');
  await q2.getByLabel('Question', { exact: true }).fill('Selon vous, qu’est-ce qui marche bien dans votre quartier ?');
  await page.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
  await page.getByRole('status').filter({ hasText: 'version 2' }).waitFor();
  await page.locator('.versions').getByText('v2 brouillon').waitFor();
  await page.getByRole('button', { name: 'Mettre en service' }).click();
  await page.locator('.versions').getByText('v2 en service').waitFor();
  await page.locator('.versions').getByText('v1 remplacée').click();
  await page.getByText('Vous regardez la version 1').waitFor();
  assert.equal(
    await page.getByTestId('question-ce_qui_marche').getByLabel('Question', { exact: true }).inputValue(),
    'Selon vous, qu’est-ce qui marche en France ?',
    'version 1 keeps its wording',
  );

  // A broken change is refused with where it is.
  await page.getByRole('button', { name: 'Revenir à la dernière version' }).click();
  await page.getByTestId('question-ce_qui_marche').getByLabel('Nom court (pour l’analyse)').fill('Mauvaise clé');
  await page.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
  await page.getByRole('status').filter({ hasText: 'questions[1] (Mauvaise clé)' }).waitFor();
  await page.close();

  const phone = await chrome.browser.newPage({ viewport: PHONE });
  await signIn(phone, 'directrice@terrain.demo');
  await phone.goto(`${demo.base}/#/questionnaires`);
  await phone.getByRole('link', { name: /Grande Marche/ }).click();
  await phone.locator('.preview').getByRole('button', { name: 'Commencer le questionnaire' }).waitFor();
  await shot(phone, 'dashboard-questionnaire-builder-phone');
  await phone.close();
});

test('a coordinator reads questionnaires and follows the field', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  await page.goto(`${demo.base}/#/questionnaires`);
  await page.getByRole('link', { name: /Grande Marche/ }).click();
  await page.locator('.preview').getByRole('button', { name: 'Commencer le questionnaire' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Enregistrer le brouillon' }).count(), 0);
  assert.ok(await page.getByTestId('question-ce_qui_marche').getByLabel('Question', { exact: true }).isDisabled());
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Terrain' }).click();
  await page.getByRole('heading', { name: 'Avancement du terrain' }).waitFor();
  assert.equal(await page.getByTestId('visits').innerText(), '0');
  assert.equal(await page.getByText('Personnes à recontacter').count(), 0, 'contact details are for the direction');
  await shot(page, 'dashboard-field-empty-desktop');
  await page.close();
});
