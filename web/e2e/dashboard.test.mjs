// A coordinator signs in and sees the dashboard of their campaign, limited to their territory;
// makes an invite with its QR code; sees their team.
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

test('a wrong password is refused with a clear message', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await page.goto(`${demo.base}/`);
  await page.getByLabel('Adresse e-mail').fill('coord18@terrain.demo');
  await page.getByLabel('Mot de passe').fill('not-the-password');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('alert').filter({ hasText: 'E-mail ou mot de passe incorrect.' }).waitFor();
  await shot(page, 'dashboard-login-failed-desktop');
  await page.close();
});

test('a coordinator sees the dashboard and only their territory', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  assert.match(await page.locator('.topbar').innerText(), /Karim Benali/);
  assert.match(await page.locator('.topbar').innerText(), /Coordination/);
  await shot(page, 'dashboard-overview-desktop');
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Territoires', exact: true }).click();
  const tree = page.getByRole('tree');
  await tree.getByText('Paris 18e Arrondissement').waitFor();
  assert.equal(await tree.getByText('Paris 19e Arrondissement').count(), 0, 'the 19th is outside this coordinator\'s territory');
  await tree.getByText('Paris 18e Arrondissement').click();
  await page.locator('.detail-panel').getByRole('heading', { name: 'Paris 18e Arrondissement' }).waitFor();
  assert.match(await page.locator('.detail-panel').innerText(), /75118/);
  await shot(page, 'dashboard-territories-desktop');
  // The audit log is for directors: the coordinator has no link to it.
  assert.equal(await page.getByRole('link', { name: 'Journal' }).count(), 0);
  await page.close();
});

test('a coordinator makes a printable invite for walkers', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Invitations', exact: true }).click();
  const picker = page.getByLabel('Territoire des nouveaux venus');
  await picker.locator('option', { hasText: 'Paris 18e' }).first().waitFor({ state: 'attached' });
  await picker.selectOption({ label: 'Arrondissement · Paris 18e Arrondissement' });
  await page.getByRole('button', { name: 'Créer une invitation' }).click();
  const card = page.getByTestId('created-invite');
  await card.waitFor();
  const code = await card.locator('.invite-code').innerText();
  assert.match(code, /^[A-Z0-9]{5}-[A-Z0-9]{5}$/);
  const qr = card.getByRole('img', { name: 'QR code de l’invitation' });
  const width = await qr.evaluate((img) => img.naturalWidth);
  assert.ok(width >= 200, `QR code rendered at ${width}px`);
  await shot(page, 'dashboard-invite-desktop');
  await page.close();
});

test('the team page lists the members of the territory, on a phone too', async () => {
  const context = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await signIn(page, 'coord18@terrain.demo');
  await shot(page, 'dashboard-overview-phone');
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Équipe', exact: true }).click();
  const table = page.getByTestId('members');
  await table.waitFor();
  const text = await table.innerText();
  assert.match(text, /Karim Benali/);
  assert.match(text, /Thomas Petit/);
  assert.match(text, /Léa Moreau/);
  assert.doesNotMatch(text, /Sophie Leroy/, 'the 19th arrondissement coordinator is outside this territory');
  await shot(page, 'dashboard-team-phone');
  await context.close();
});

test('a director reads the audit log', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'directrice@terrain.demo');
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Journal', exact: true }).click();
  const table = page.getByTestId('audit');
  await table.locator('tbody tr').first().waitFor();
  // The demo's first write is at the bottom: older pages are loaded on demand.
  for (let page_ = 0; page_ < 5 && !/campaign\.create/.test(await table.innerText()); page_++) {
    const rows = await table.locator('tbody tr').count();
    await page.getByRole('button', { name: 'Plus ancien' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=audit] tbody tr').length > n, rows);
  }
  assert.match(await table.innerText(), /campaign\.create/);
  await shot(page, 'dashboard-audit-desktop');
  await page.close();
});

test('a name with HTML in it is shown as text, never run', async () => {
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Équipe', exact: true }).click();
  await page.locator('summary', { hasText: 'Ajouter un membre' }).click();
  const hostile = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  await page.getByLabel('Territoire').selectOption({ label: 'Arrondissement · Paris 18e Arrondissement' });
  await page.getByLabel('Nom affiché').fill(hostile);
  await page.getByRole('button', { name: 'Ajouter un membre' }).click();
  await page.getByRole('status').waitFor();
  await page.getByTestId('members').getByText(hostile).waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'the name ran as HTML');
  assert.equal(await page.locator('[data-testid=members] img').count(), 0);
  await page.close();
});
