// The diagnostic's coder and exports on the demo (issue 9): the demo's coder signs in, lands on
// the coding view (and sees nothing else), codes five answers with the keyboard; the director
// reads a theme's breakdown by profile, renames a code of the codebook, downloads the workbook (XLSX) and the report's PDF, and
// the report's maps by bureau de vote render offline — on a desktop and on a phone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESKTOP, launch, PHONE, shot, SHOTS, signInDashboard, startDemo } from './harness.mjs';

/** A screenshot of one part of a page. */
async function part(locator, name) {
  mkdirSync(SHOTS, { recursive: true });
  await locator.screenshot({ path: join(SHOTS, `${name}.png`) });
}

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

/** Signs the coder in: no overview to wait for, the coding view instead. */
async function signInCoder(page) {
  await page.goto(`${demo.base}/`);
  await page.getByLabel('Adresse e-mail').fill('codeur@terrain.demo');
  await page.getByLabel('Mot de passe').fill('terrain-demo');
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

test('the coder lands on the coding, sees nothing else and codes five answers with the keyboard', async () => {
  const context = await chrome.browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await signInCoder(page);
  const answer = page.getByTestId('answer');
  // The first coding view analyses the campaign's answers (the codebook's proposals): slow once.
  await answer.waitFor({ timeout: 120_000 });
  // One page in the navigation, no tabs, no report, no export.
  const nav = page.getByRole('navigation', { name: 'Navigation' }).getByRole('link');
  assert.equal(await nav.count(), 1);
  assert.equal(await nav.first().innerText(), 'Diagnostic');
  assert.equal(await page.getByTestId('tab-themes').count(), 0);
  assert.equal(await page.getByTestId('report').count(), 0);
  assert.equal(await page.getByText('Exporter en CSV').count(), 0);
  assert.equal(await page.locator('.badge.role-coder').innerText(), 'Codeur·se');
  await page.getByText('Noms, adresses, courriels et téléphones masqués.').first().waitFor();
  const progress = page.getByTestId('coded-by-me');
  const count = async () => Number((await progress.innerText()).split(' ')[0].replace(/\D/g, ''));
  const start = await count();
  const seen = [];
  for (let i = 0; i < 5; i += 1) {
    seen.push(await answer.innerText());
    await page.keyboard.press(String((i % 3) + 1));
    await page.locator('.code.picked').first().waitFor();
    await page.keyboard.press('Enter');
    await progress.filter({ hasText: new RegExp(`^${start + i + 1} `) }).waitFor();
  }
  assert.equal(new Set(seen).size, 5, 'each Enter moves to another answer');
  await shot(page, 'diagnostic-coder-desktop');
  // Another page asked for by its address falls back to the coding.
  await page.goto(`${demo.base}/#/team`);
  await answer.waitFor({ timeout: 60_000 });
  await context.close();

  const phone = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const p = await phone.newPage();
  await signInCoder(p);
  await p.getByTestId('answer').waitFor({ timeout: 60_000 });
  await shot(p, 'diagnostic-coder-phone');
  await phone.close();
});

test('the director reads a theme by profile, downloads the workbook and the PDF, and the report maps the bureaux', async () => {
  const context = await chrome.browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, 'directrice@terrain.demo');
  await page.goto(`${demo.base}/#/diagnostic`);
  await page.getByTestId('tab-themes').click();
  await page.getByTestId('theme').first().waitFor({ timeout: 60_000 });
  const table = page.getByTestId('breakdown').first();
  await table.waitFor();
  // By sex: women and men, each with a share and its interval.
  assert.match(await table.innerText(), /Femme[\s\S]*\d+\s%[\s\S]*Homme/);
  await page.getByTestId('theme-by').selectOption('age_band');
  await page.getByTestId('breakdown').first().filter({ hasText: '65' }).waitFor();
  await shot(page, 'diagnostic-theme-breakdown-desktop');
  await part(page.getByTestId('theme').first(), 'diagnostic-theme-breakdown-card-desktop');
  // By territory: the arrondissements with too few answers are "—", the tooltip says why.
  await page.getByTestId('theme-by').selectOption('territory');
  const hidden = page.getByTestId('suppressed-cell').first();
  if (await hidden.count()) {
    assert.match(await hidden.getAttribute('title'), /moins de 10 réponses/);
  }

  // The codebook: the direction renames a code; the coding buttons follow.
  await page.getByTestId('tab-coding').click();
  await page.getByTestId('answer').waitFor({ timeout: 120_000 });
  await page.getByTestId('codebook-editor').locator('summary').click();
  const label = page.getByTestId('code-label').first();
  await label.fill('Pouvoir d’achat (renommé)');
  await page.getByTestId('save-codebook').click();
  await page.getByText('Grille enregistrée').waitFor();
  await page.getByTestId('codebook').getByText('Pouvoir d’achat (renommé)').waitFor();
  await part(page.getByTestId('codebook-editor'), 'diagnostic-codebook-editor-desktop');
  await page.getByTestId('tab-themes').click();
  await page.getByTestId('theme').first().waitFor({ timeout: 60_000 });

  // The workbook: a ZIP (XLSX) with a sheet per table.
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByTestId('xlsx').click()]);
  assert.equal(xlsx.suggestedFilename(), 'diagnostic.xlsx');
  const book = readFileSync(await xlsx.path());
  assert.equal(book.subarray(0, 2).toString('latin1'), 'PK');
  assert.ok(book.includes('xl/worksheets/sheet2.xml'), 'several sheets');
  assert.ok(book.length > 5_000, `workbook of ${book.length} bytes`);

  // The PDF of the report.
  const [pdf] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('report-pdf').click()]);
  assert.equal(pdf.suggestedFilename(), 'diagnostic.pdf');
  const bytes = readFileSync(await pdf.path());
  assert.equal(bytes.subarray(0, 4).toString('latin1'), '%PDF');
  const pages = (bytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  assert.ok(pages >= 3, `PDF pages: ${pages}`);

  // The report's maps, offline.
  const [report] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report').click()]);
  const html = readFileSync(await report.path(), 'utf8');
  assert.ok(html.includes('id="cartes"'));
  const offline = await context.newPage();
  await context.setOffline(true);
  await offline.setContent(html);
  const maps = offline.locator('figure.map');
  assert.ok((await maps.count()) >= 4, `maps: ${await maps.count()}`);
  const box = await maps.first().locator('svg').boundingBox();
  assert.ok(box && box.width > 200 && box.height > 150, `map size ${JSON.stringify(box)}`);
  await part(offline.locator('.maps').first(), 'diagnostic-report-maps-desktop');
  await part(offline.locator('.maps').nth(1), 'diagnostic-report-theme-maps-desktop');
  await context.setOffline(false);
  await context.close();

  const phone = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const p = await phone.newPage();
  await signIn(p, 'directrice@terrain.demo');
  await p.goto(`${demo.base}/#/diagnostic`);
  await p.getByTestId('tab-themes').click();
  await p.getByTestId('breakdown').first().waitFor({ timeout: 60_000 });
  await part(p.getByTestId('theme').first(), 'diagnostic-theme-breakdown-phone');
  const maps2 = await phone.newPage();
  await maps2.setContent(html);
  await part(maps2.locator('.maps').first(), 'diagnostic-report-maps-phone');
  await phone.close();
});
