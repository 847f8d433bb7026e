// Turfs in the dashboard, on the Paris demo: a coordinator of the 18th cuts a bureau, sees its
// turfs numbered on the map, moves a stop with the mouse, hands a turf to a walker, prints its
// walk sheet and redraws a turf with a polygon; the same page on a phone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DESKTOP, launch, PHONE, shot, SHOTS, signInDashboard, startDemo } from './harness.mjs';

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
const notice = (page, re) => page.locator('.notice').filter({ hasText: re }).waitFor({ timeout: 20_000 });
const row = (page, n) => page.getByTestId('turf-table').locator('tbody tr').filter({ has: page.getByRole('button', { name: `Secteur ${n}`, exact: true }) });

test('a coordinator cuts a bureau, edits a turf with the mouse, hands it out and prints its sheet', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  await nav(page, 'Secteurs');
  // The demo's turfs: the top bureaux of the 18th, drawn on the map.
  await page.getByRole('heading', { name: /12 bureau\(x\) découpé\(s\)/ }).waitFor();
  await page.locator('[data-testid=turf-map] canvas').waitFor();
  await page.waitForTimeout(400);
  await shot(page, 'dashboard-turfs-overview-desktop');
  const cut = new Set(await page.locator('.bureau-list a').allInnerTexts());

  // Cut a bureau that has no turfs yet, 60 doors per turf.
  const select = page.getByLabel('Découper', { exact: true });
  await select.locator('option', { hasText: '75056_18' }).first().waitFor({ state: 'attached' });
  const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent })));
  const fresh = options.find((o) => o.text.startsWith('Bureau') && ![...cut].some((name) => o.text.startsWith(`${name} (`)));
  assert.ok(fresh, 'a bureau of the 18th not cut yet');
  await select.selectOption(fresh.value);
  await page.getByLabel('Portes par secteur').fill('60');
  await page.getByRole('button', { name: 'Découper', exact: true }).click();
  await notice(page, /secteurs dans 1 bureau/);
  const rows = page.getByTestId('turf-table').locator('tbody tr');
  await rows.first().waitFor();
  const turfs = await rows.count();
  assert.ok(turfs >= 3, `${turfs} turfs`);
  await page.waitForTimeout(400);
  assert.match(await page.getByTestId('turf-quality').innerText(), /visé : 60 portes/);
  // Stops are numbered on the map, in walking order, coloured by turf.
  await page.locator('.stop-marker[title^="Secteur 2 · arrêt 1 :"]').waitFor();
  const doorsBefore = Number(await row(page, 1).locator('td').nth(1).innerText());

  // Pick the first stop of turf 2 on the map and move it to turf 1.
  // (Dense bureaux put markers on top of one another: the click goes to this one's element.)
  await page.locator('.stop-marker[title^="Secteur 2 · arrêt 1 :"]').dispatchEvent('click');
  const pick = page.getByTestId('pick-panel');
  await pick.getByText('1 arrêt(s) sélectionné(s)').waitFor();
  await pick.getByLabel('Déplacer vers').selectOption({ index: 1 });
  await pick.getByRole('button', { name: 'Déplacer', exact: true }).click();
  await notice(page, /1 arrêt\(s\) déplacé\(s\) vers le secteur 1/);
  await page.waitForFunction(
    (before) => Number(document.querySelector('[data-testid=turf-table] tbody tr td:nth-child(2)')?.textContent) > before,
    doorsBefore,
  );
  await page.getByRole('heading', { name: /version 2 \(arrêts déplacés\)/ }).waitFor();

  // Hand turf 1 to the demo walker for 4 hours.
  await row(page, 1).getByRole('button', { name: 'Secteur 1', exact: true }).click();
  const handout = page.getByTestId('handout');
  const lea = await handout.getByLabel('À une personne').locator('option', { hasText: 'Léa Moreau' }).getAttribute('value');
  await handout.getByLabel('À une personne').selectOption(lea);
  // The demo's sorties to come are offered: a turf handed out for one lasts until it ends.
  const sortie = handout.getByTestId('handout-sortie');
  await sortie.waitFor();
  assert.ok((await sortie.locator('option').count()) >= 2, 'the demo sorties are offered');
  await handout.screenshot({ path: 'test-results/dashboard-turfs-handout-desktop.png' });
  await handout.getByRole('button', { name: 'Confier', exact: true }).click();
  await notice(page, /Secteur 1 confié jusqu’au/);
  await row(page, 1).getByText('Confié', { exact: true }).waitFor();
  assert.match(await row(page, 1).innerText(), /Léa Moreau/);
  // Handed out: it cannot be split.
  assert.equal(await page.getByRole('button', { name: 'Couper en deux' }).isDisabled(), true);
  await shot(page, 'dashboard-turfs-bureau-desktop');

  // The walk sheet opens in its own tab, ready to print: map, stops in order, door boxes.
  const [sheet] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Ouvrir la feuille de route' }).click()]);
  await sheet.getByRole('heading', { name: /Feuille de route — .* · secteur 1/ }).waitFor();
  const text = await sheet.locator('body').innerText();
  assert.match(text, /Confié à Léa Moreau/);
  assert.match(text, /Une case par porte/);
  assert.ok((await sheet.locator('svg.map circle').count()) >= 3);
  assert.ok((await sheet.locator('.box').count()) >= 30);
  await sheet.setViewportSize(DESKTOP);
  await shot(sheet, 'walk-sheet');
  mkdirSync(SHOTS, { recursive: true });
  const pdf = await sheet.pdf({ path: join(SHOTS, 'walk-sheet.pdf'), format: 'A4' });
  assert.ok(pdf.length > 10_000, 'the sheet prints to PDF');
  await sheet.close();

  // Redraw: a polygon around a stop of turf 3 gives it to a new turf.
  await page.getByRole('button', { name: 'Redessiner un secteur (polygone)' }).click();
  const marker = await page.locator('.stop-marker[title^="Secteur 3 · arrêt 2 :"]').boundingBox();
  const [cx, cy] = [marker.x + marker.width / 2, marker.y + marker.height / 2];
  for (const [dx, dy] of [[-14, -14], [14, -14], [14, 14], [-14, 14]]) await page.mouse.click(cx + dx, cy + dy);
  const draw = page.getByTestId('draw-panel');
  await draw.getByText('4 sommet(s) posé(s)').waitFor();
  await draw.getByRole('button', { name: 'Terminer' }).click();
  await notice(page, /arrêt\(s\) redistribué\(s\)/);
  await page.getByRole('heading', { name: /secteur redessiné/ }).waitFor();
  // The stops inside went to a new turf, numbered after the others.
  await row(page, turfs + 1).waitFor();
  await page.waitForTimeout(300);
  await shot(page, 'dashboard-turfs-redrawn-desktop');
  await page.close();
});

test('the turfs page works on a phone', async () => {
  const context = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await signIn(page, 'coord18@terrain.demo');
  await nav(page, 'Secteurs');
  await page.locator('.bureau-list a').first().click();
  await page.getByTestId('turf-table').locator('tbody tr').first().waitFor();
  await page.locator('.stop-marker').first().waitFor();
  await page.getByTestId('turf-table').getByRole('button', { name: 'Secteur 2', exact: true }).click();
  await page.getByTestId('turf-panel').waitFor();
  await page.waitForTimeout(400);
  await shot(page, 'dashboard-turfs-phone');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, 'dashboard-turfs-phone-top.png') });
  await page.getByTestId('turf-map').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, 'dashboard-turfs-phone-map.png') });
  await context.close();
});
