// The director and coordinators on real Paris data: the map of bureaux, a bureau's results,
// targeting with its budget slider and exports, and importing a file with its progress.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

const nav = (page, name) => page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name, exact: true }).click();

test('the director sees the 896 Paris bureaux on the map', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'directrice@terrain.demo');
  await nav(page, 'Carte');
  await page.getByText('896 bureaux').waitFor();
  await page.locator('[data-testid=map] canvas').waitFor();
  await page.getByLabel('Couleur').selectOption('abstention');
  await page.waitForTimeout(300);
  await shot(page, 'dashboard-map-desktop');
  await page.close();
});

test('a bureau shows its results and the Paris total matches the published one', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'directrice@terrain.demo');
  await nav(page, 'Territoires');
  await page.getByRole('searchbox', { name: 'Rechercher un nom ou un code…' }).fill('75056');
  await page.getByRole('tree').getByRole('link', { name: /Commune Paris/ }).click();
  const results = page.getByTestId('results');
  await results.getByLabel('Élection').selectOption('2017_pres_t1');
  await results.getByText('Emmanuel MACRON').waitFor();
  // Paris, first round 2017: Macron 34.83 % of votes cast.
  assert.match(await results.innerText(), /34,8\s%/);
  await shot(page, 'dashboard-results-desktop');
  await page.close();
});

test('a coordinator ranks the bureaux of the 18th, moves the budget and exports', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP, acceptDownloads: true });
  await signIn(page, 'coord18@terrain.demo');
  await nav(page, 'Ciblage');
  const table = page.getByTestId('targeting-table');
  await table.locator('tbody tr').first().waitFor();
  const rows = await table.locator('tbody tr').count();
  assert.ok(rows > 50 && rows < 120, `${rows} bureaux in the 18th`);
  assert.ok((await table.innerText()).includes('75056_18'), 'bureaux of the 18th');
  assert.ok(!(await table.innerText()).includes('75056_19'), 'no bureau of the 19th');
  const yieldCards = page.getByTestId('yield');
  const before = await yieldCards.innerText();
  await page.getByLabel('Budget de portes').fill('20000');
  await page.waitForFunction((b) => document.querySelector('[data-testid=yield]')?.textContent !== b, before, { timeout: 10_000 });
  await table.locator('tr.chosen').first().waitFor();
  assert.match(await page.getByText(/^Budget : /).innerText(), /20\s?000 portes/);
  await shot(page, 'dashboard-targeting-desktop');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tableau (CSV)' }).click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.ok(csv.startsWith('rang;bureau;nom;'), csv.slice(0, 80));
  assert.match(csv.split('\n')[1], /^1;75056_18\d\d;/);
  await page.close();
});

test('the targeting page works on a phone', async () => {
  const context = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await signIn(page, 'coord18@terrain.demo');
  await nav(page, 'Ciblage');
  await page.getByTestId('targeting-table').locator('tbody tr').first().waitFor();
  await shot(page, 'dashboard-targeting-phone');
  await context.close();
});

test('the director imports a results file and sees what was stored', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'directrice@terrain.demo');
  await nav(page, 'Imports');
  const csv = 'code_departement;code_commune;code_bureau;id_secteur;circonscription;scrutin;inscrits;votants;blancs;exprimes;numero_panneau;sexe;nom;prenom;nuance;voix\n' +
    '75;056;1801;75056-1801;17;presidentielle-1;1000;800;20;760;1;F;HIDALGO;Anne;;500\n' +
    '75;056;1801;75056-1801;17;presidentielle-1;1000;800;20;760;2;M;MACRON;Emmanuel;;260\n';
  await page.getByLabel('Fichier', { exact: true }).setInputFiles({ name: 'paris-2022.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByLabel('Élection (facultatif)').fill('2022_pres_t1');
  await page.getByRole('button', { name: 'Importer' }).click();
  const summary = page.getByTestId('import-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), /paris-2022\.csv importé/);
  assert.match(await summary.innerText(), /2022_pres_t1/);
  await shot(page, 'dashboard-import-desktop');
  // A broken file says what is wrong, and where.
  await page.getByLabel('Fichier', { exact: true }).setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('\u0000\u0001garbage') });
  await page.getByRole('button', { name: 'Importer' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /broken\.csv/);
  await page.close();
});

test('the director draws an evaluation on the plan and reads its page', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'directrice@terrain.demo');
  await nav(page, 'Ciblage');
  await page.getByTestId('targeting-table').locator('tbody tr').first().waitFor();
  await page.getByLabel('Élection').selectOption('2017_pres_t1');
  // Wait for the 896 bureaux of that election before moving the budget.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=targeting-table] tbody tr').length >= 200);
  await page.getByLabel('Budget de portes').fill('200000');
  await page.getByTestId('targeting-table').locator('tr.chosen').first().waitFor();
  const box = page.getByTestId('experiments');
  await box.getByLabel('Nom de l’évaluation').fill('Évaluation Paris 2027');
  await box.getByRole('button', { name: 'Tirer et enregistrer' }).click();
  await page.getByRole('heading', { name: 'Évaluation Paris 2027' }).waitFor();
  assert.match(await page.getByTestId('digest').innerText(), /^[0-9a-f]{64}$/);
  await page.getByText('Le tirage enregistré correspond à son empreinte.').waitFor();
  // Measured on another election of the data set (no canvassing happened: no effect expected).
  await page.getByLabel('Élection mesurée').selectOption('2017_pres_t2');
  const analysis = page.getByTestId('analysis');
  await analysis.getByText(/Sur la participation/).waitFor();
  await shot(page, 'dashboard-experiment-desktop');
  await page.close();
});

test('the director draws a representative survey plan and adopts it', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'directrice@terrain.demo');
  await nav(page, 'Plan d’enquête');
  await page.getByText(/Base de sondage : 896 bureaux/).waitFor();
  await page.getByLabel('Nom du plan').fill('Paris témoin');
  await page.getByRole('checkbox', { name: /diplômée du supérieur/ }).check();
  await page.getByRole('button', { name: 'Tirer le plan' }).click();
  const plan = page.getByTestId('plan');
  await plan.getByRole('heading', { name: 'Paris témoin' }).waitFor();
  const balance = await page.getByTestId('balance').innerText();
  assert.match(balance, /Inscrits/);
  assert.match(balance, /diplômée du supérieur/);
  await shot(page, 'dashboard-survey-desktop');
  await plan.getByRole('button', { name: 'Adopter ce plan' }).click();
  await plan.getByText(/Plan adopté le/).waitFor();
  await page.close();
});
