// A walker opens the invite link on a phone, joins, and the field app keeps opening with the
// network cut: the service worker has precached it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PHONE, launch, shot, startDemo } from './harness.mjs';

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

test('a walker joins with the invite link and the app works offline', async () => {
  const context = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(`${demo.base}/field/#join=${demo.invite}`);
  await page.getByRole('heading', { name: 'Rejoindre la campagne' }).waitFor();
  assert.equal(await page.getByLabel('Code d’invitation').inputValue(), demo.invite, 'the code comes from the link');
  await shot(page, 'field-join-phone');

  const registered = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return { scope: reg.scope, active: Boolean(reg.active) };
  });
  assert.ok(registered.active, 'the service worker is active');
  assert.ok(registered.scope.endsWith('/field/'), `scope ${registered.scope}`);

  await page.getByLabel('Votre prénom').fill('Nadia');
  await page.getByRole('button', { name: 'Rejoindre' }).click();
  await page.getByRole('heading', { name: 'Bonjour Nadia' }).waitFor();
  assert.match(await page.locator('main').innerText(), /Paris 18e Arrondissement/);
  await page.getByTestId('offline-ready').filter({ hasText: 'Prête à fonctionner sans réseau' }).waitFor();
  await shot(page, 'field-home-phone');

  // Cut the network and open the app again: it comes from the cache, with the walker's profile.
  await page.reload(); // the service worker now controls the page
  await page.getByRole('heading', { name: 'Bonjour Nadia' }).waitFor();
  await context.setOffline(true);
  await page.goto(`${demo.base}/field/`);
  await page.getByRole('heading', { name: 'Bonjour Nadia' }).waitFor();
  await page.getByTestId('network').filter({ hasText: 'Hors ligne' }).waitFor();
  await shot(page, 'field-home-offline-phone');
  await context.close();
});

test('an unknown invite code gets a clear message', async () => {
  const context = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${demo.base}/field/`);
  await page.getByLabel('Code d’invitation').fill('AAAAA-BBBBB');
  await page.getByLabel('Votre prénom').fill('Yann');
  await page.getByRole('button', { name: 'Rejoindre' }).click();
  await page.getByRole('alert').filter({ hasText: 'Ce code n’existe pas' }).waitFor();
  await context.close();
});
