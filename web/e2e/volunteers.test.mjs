// Volunteers in the browser: the public sign-up on a phone; the funnel and a training's
// attendance in the dashboard; a coordinator plans a sortie on the map and a walker sees it on
// her phone, where to meet, and says she comes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, launch, PASSWORD, PHONE, shot, signInDashboard, startDemo } from './harness.mjs';

/** A browser set up like a French user's: dates, times and the time zone. */
const FRANCE = { locale: 'fr-FR', timezoneId: 'Europe/Paris' };

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

async function phone() {
  const context = await chrome.browser.newContext({ ...FRANCE, viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  return { context, page: await context.newPage() };
}

const signIn = (page, email) => signInDashboard(page, demo.base, email);

const nav = (page, name) => page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name, exact: true }).click();

/** `YYYY-MM-DD` in `days` days. */
function day(days) {
  const d = new Date(Date.now() + days * 86400e3);
  return d.toISOString().slice(0, 10);
}

test('someone signs up on a phone and is placed in the arrondissement of their postcode', async () => {
  const { context, page } = await phone();
  await page.goto(`${demo.base}/inscription/paris-2027`);
  await page.getByRole('heading', { name: 'Devenir bénévole' }).waitFor();
  await shot(page, 'signup-form-phone');
  await page.getByLabel('Prénom et nom').fill('Léon Garnier');
  await page.getByLabel('Téléphone').fill('06 55 44 33 22');
  await page.getByLabel('Code postal').fill('75018');
  await page.getByLabel('Samedi matin').check();
  // Without consent, nothing is sent.
  await page.getByRole('button', { name: 'Je m’inscris' }).click();
  await page.getByRole('alert').filter({ hasText: 'Cochez la case d’accord' }).waitFor();
  await shot(page, 'signup-error-phone');
  await page.getByLabel(/J’accepte d’être contacté/).check();
  await page.getByRole('button', { name: 'Je m’inscris' }).click();
  const done = page.getByRole('status');
  await done.filter({ hasText: 'Merci' }).waitFor();
  assert.match(await done.innerText(), /Paris 18e Arrondissement/);
  await shot(page, 'signup-done-phone');
  await context.close();
});

test('a coordinator sees the funnel and the possible duplicates of the 18th', async () => {
  const page = await chrome.browser.newPage({ ...FRANCE, viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  await nav(page, 'Bénévoles');
  const funnel = page.getByTestId('funnel');
  await funnel.waitFor();
  assert.match(await funnel.innerText(), /Formé·e/);
  const table = page.getByTestId('volunteers');
  await table.waitFor();
  const text = await table.innerText();
  assert.match(text, /Inès Haddad/);
  assert.match(text, /Doublon possible de Inès Haddad/);
  assert.doesNotMatch(text, /Paul Nguyen/, 'the 19th is not this coordinator’s');
  await shot(page, 'dashboard-volunteers-desktop');
  await table.getByRole('link', { name: 'Inès Haddad' }).first().click();
  await page.getByTestId('volunteer-detail').waitFor();
  await page.getByRole('button', { name: 'Créer son invitation' }).click();
  await page.locator('.invite-mini .invite-code').waitFor();
  await shot(page, 'dashboard-volunteer-detail-desktop');
  await page.close();
});

test('a trainer takes attendance and validates skills', async () => {
  const page = await chrome.browser.newPage({ ...FRANCE, viewport: DESKTOP });
  await signIn(page, 'formateur18@terrain.demo');
  await nav(page, 'Formations');
  await page.getByRole('link', { name: 'Porte-à-porte : jeux de rôle' }).click();
  const detail = page.getByTestId('training-detail');
  await detail.waitFor();
  const ines = detail.getByTestId('registration').filter({ hasText: 'Inès Haddad' });
  await ines.getByLabel('Présent·e').check();
  await ines.getByLabel('Se présenter à la porte').check();
  await ines.getByLabel('Écouter sans contredire').check();
  await ines.getByLabel('Formé·e', { exact: true }).check();
  await ines.getByRole('button', { name: 'Enregistrer' }).click();
  await ines.locator('.badge', { hasText: 'Validé·e' }).waitFor();
  await shot(page, 'dashboard-training-attendance-desktop');
  await page.close();
});

test('a coordinator plans a sortie on the map and a walker sees it on her phone', async () => {
  const page = await chrome.browser.newPage({ ...FRANCE, viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  await nav(page, 'Sorties');
  await page.getByTestId('calendar').waitFor();
  await page.getByLabel('Intitulé').fill('Soirée à la Goutte d’Or');
  await page.getByLabel('Date').fill(day(1));
  await page.getByLabel('Début').fill('18:00');
  await page.getByLabel('Fin').fill('20:00');
  await page.getByLabel('Point de rendez-vous').fill('Métro Château Rouge');
  const map = page.getByRole('img', { name: 'Carte des bureaux de vote' });
  await map.waitFor();
  const areas = map.locator('path.area');
  assert.ok((await areas.count()) > 10, 'the bureaux of the 18th are drawn');
  await areas.nth(2).dispatchEvent('click');
  await areas.nth(3).dispatchEvent('click');
  assert.equal(await map.locator('path.area.selected').count(), 2);
  await page.getByLabel('Placer le rendez-vous').check();
  await map.click({ position: { x: 300, y: 200 } });
  await map.locator('.pin').waitFor();
  await shot(page, 'dashboard-plan-sortie-desktop');
  await page.getByRole('button', { name: 'Planifier', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Sortie planifiée.' }).waitFor();
  await page.getByTestId('calendar').filter({ hasText: 'Soirée à la Goutte d’Or' }).waitFor();
  await shot(page, 'dashboard-week-desktop');
  await page.close();

  const { context, page: field } = await phone();
  await field.goto(`${demo.base}/field/`);
  await field.getByRole('button', { name: 'J’ai un compte (e-mail et mot de passe)' }).click();
  await field.getByLabel('Adresse e-mail').fill('marcheuse18@terrain.demo');
  await field.getByLabel('Mot de passe').fill(PASSWORD);
  await field.getByRole('button', { name: 'Se connecter' }).click();
  await field.getByRole('heading', { name: 'Bonjour Léa Moreau' }).waitFor();
  const next = field.getByTestId('next-sortie');
  await next.filter({ hasText: 'Soirée à la Goutte d’Or' }).waitFor();
  assert.match(await next.innerText(), /Métro Château Rouge/);
  assert.ok(await next.getByRole('img', { name: 'Carte des bureaux de la sortie' }).isVisible(), 'the little map is drawn');
  await shot(field, 'field-next-sortie-phone');
  await next.getByRole('button', { name: 'Je viens' }).click();
  await field.getByTestId('next-sortie').filter({ hasText: 'Vous venez ✓' }).waitFor();
  await shot(field, 'field-sortie-accepted-phone');
  await context.close();
});
