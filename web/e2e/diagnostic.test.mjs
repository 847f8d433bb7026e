// The diagnostic on the demo (issue 9): the director opens the themes of the open answers,
// codes five answers with the keyboard only (a digit picks a code, Enter saves and shows the
// next), downloads the report and checks it is one self-contained file; a coordinator sees the
// closed results of the 18th, on a phone too.
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

test('the director reads the themes, codes five answers with the keyboard and downloads the report', async () => {
  const context = await chrome.browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, 'directrice@terrain.demo');
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Diagnostic' }).click();
  await page.getByRole('heading', { name: 'Diagnostic' }).waitFor();
  await page.getByTestId('closed-table').first().waitFor();
  // The demo's responses were weighted at seeding (issue 8): the figures say so.
  assert.match(await page.getByTestId('weighting').first().innerText(), /pondéré \(raking, redressement du \d\d\/\d\d\/\d{4}\)/);
  await shot(page, 'dashboard-diagnostic-closed-desktop');

  // The themes of the first open question the demo's respondents answered.
  await page.getByTestId('tab-themes').click();
  await page.getByTestId('theme').first().waitFor({ timeout: 60_000 });
  await page.getByTestId('question').selectOption('vie_quotidienne');
  const list = page.locator('[data-testid="themes"][data-question="vie_quotidienne"]');
  await list.getByTestId('theme').first().waitFor({ timeout: 60_000 });
  const themes = await list.getByTestId('theme').count();
  assert.ok(themes >= 4, `themes: ${themes}`);
  assert.ok((await page.locator('.theme blockquote').count()) >= themes, 'each theme quotes real answers');
  await shot(page, 'dashboard-diagnostic-themes-desktop');

  // Coding: five answers, the keyboard only.
  await page.getByTestId('tab-coding').click();
  const answer = page.getByTestId('answer');
  await answer.waitFor({ timeout: 60_000 });
  const progress = page.getByTestId('coded-by-me');
  const count = async () => Number((await progress.innerText()).split(' ')[0].replace(/\D/g, ''));
  const start = await count();
  const seen = [];
  for (let i = 0; i < 5; i += 1) {
    const text = await answer.innerText();
    seen.push(text);
    await page.keyboard.press(String((i % 3) + 1));
    await page.locator('.code.picked').first().waitFor();
    await page.keyboard.press('Enter');
    await progress.filter({ hasText: new RegExp(`^${start + i + 1} `) }).waitFor();
    if (i === 1) await shot(page, 'dashboard-diagnostic-coding-desktop');
  }
  assert.equal(new Set(seen).size, 5, 'each Enter moves to another answer');
  assert.equal(await count(), start + 5);

  // The report: one HTML file, nothing fetched from elsewhere.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report').click()]);
  assert.equal(download.suggestedFilename(), 'diagnostic.html');
  const html = readFileSync(await download.path(), 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.includes('<svg'), 'charts are inline SVG');
  assert.ok(html.includes('pondéré (raking'), 'the report says how it is weighted');
  assert.ok(html.includes('Effet de plan de Kish'), 'the report shows the sample against the census');
  assert.ok(html.includes('Méthode et limites'));
  for (const bad of [/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i, /<script/i, /<link/i, /url\(\s*["']?https?:/i, /@import/i]) {
    assert.doesNotMatch(html, bad, 'the report is self-contained');
  }
  // The report opens offline in the browser and shows its charts.
  const offline = await context.newPage();
  await context.setOffline(true);
  await offline.setContent(html);
  assert.ok((await offline.locator('svg').count()) > 3);
  await shot(offline, 'diagnostic-report-desktop');
  await context.setOffline(false);
  await context.close();
});

test('a coordinator reads the closed results of the 18th on a phone, names masked', async () => {
  const context = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await signIn(page, 'coord18@terrain.demo');
  await page.goto(`${demo.base}/#/diagnostic`);
  await page.getByTestId('closed-table').first().waitFor();
  await page.getByTestId('by').selectOption('sex');
  await page.getByTestId('closed-table').filter({ hasText: 'Femme' }).first().waitFor();
  await shot(page, 'dashboard-diagnostic-closed-phone');
  await page.getByTestId('tab-themes').click();
  await page.getByTestId('theme').first().waitFor({ timeout: 60_000 });
  await page.getByText('Noms, adresses, courriels et téléphones masqués.').first().waitFor();
  await shot(page, 'dashboard-diagnostic-themes-phone');
  await page.getByTestId('tab-coding').click();
  await page.getByTestId('answer').waitFor({ timeout: 60_000 });
  await shot(page, 'dashboard-diagnostic-coding-phone');
  await context.close();
});
