// Stored XSS (issue 10): a volunteer whose name is markup signs up on the public form; the
// coordinator's dashboard shows the name as text — no script runs, no dialog opens, no element
// is injected — in the list and on the volunteer's page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PASSWORD, PHONE, launch, shot, startDemo } from './harness.mjs';

const FRANCE = { locale: 'fr-FR', timezoneId: 'Europe/Paris' };
const NAME = '<script>alert(1)</script><img src=x onerror=alert(2)>';

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

/** A page that records every dialog and every script error, and flags a run of `alert`. */
async function watched(options) {
  const context = await chrome.browser.newContext({ ...FRANCE, ...options });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await page.addInitScript(() => {
    window.__xss = [];
    window.alert = (m) => window.__xss.push(String(m));
  });
  return { context, page, dialogs };
}

test('a name made of markup is shown as text in the dashboard', async () => {
  const signup = await watched({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await signup.page.goto(`${demo.base}/inscription/paris-2027`);
  await signup.page.getByRole('heading', { name: 'Devenir bénévole' }).waitFor();
  await signup.page.getByLabel('Prénom et nom').fill(NAME);
  await signup.page.getByLabel('Téléphone').fill('06 12 12 12 12');
  await signup.page.getByLabel('Code postal').fill('75018');
  await signup.page.getByLabel('Samedi matin').check();
  await signup.page.getByLabel(/J’accepte d’être contacté/).check();
  await signup.page.getByRole('button', { name: 'Je m’inscris' }).click();
  await signup.page.getByRole('status').filter({ hasText: 'Merci' }).waitFor();
  await signup.context.close();

  const { context, page, dialogs } = await watched({ viewport: DESKTOP });
  await page.goto(`${demo.base}/`);
  await page.getByLabel('Adresse e-mail').fill('coord18@terrain.demo');
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('heading', { name: /Paris 2027/ }).waitFor();
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Bénévoles', exact: true }).click();
  const table = page.getByTestId('volunteers');
  await table.waitFor();
  await table.getByText(NAME, { exact: true }).first().waitFor();
  assert.equal(await table.locator('img[src="x"]').count(), 0, 'no <img> injected in the list');
  assert.equal(await table.locator('script').count(), 0, 'no <script> injected in the list');
  await shot(page, 'xss-volunteers-desktop');

  await table.getByRole('link', { name: NAME }).first().click();
  const detail = page.getByTestId('volunteer-detail');
  await detail.waitFor();
  assert.match(await detail.innerText(), /<script>alert\(1\)<\/script><img src=x onerror=alert\(2\)>/);
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no <img> injected anywhere');
  await shot(page, 'xss-volunteer-detail-desktop');

  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.deepEqual(await page.evaluate(() => window.__xss), [], 'no injected script ran');
  await context.close();
});
