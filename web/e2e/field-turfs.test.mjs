// The demo walker's turf: handed to her by the coordinator, listed first when she prepares her
// sortie, downloaded with its stops in walking order and its walk drawn on the map; a door
// recorded there marks the stop walked on the coordinators' turfs board.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PASSWORD, PHONE, launch, shot, startDemo } from './harness.mjs';

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

/** A signed-in API caller. */
async function apiAs(email) {
  const login = await fetch(`${demo.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const session = await login.json();
  const campaign = session.campaigns[0].campaign.id;
  const get = async (path) => {
    const r = await fetch(`${demo.base}/api/v1/campaigns/${campaign}${path}`, { headers: { cookie } });
    assert.equal(r.status, 200, path);
    return r.json();
  };
  return { campaign, get };
}

async function signIn(page) {
  await page.goto(`${demo.base}/field/`);
  await page.getByRole('button', { name: 'J’ai un compte (e-mail et mot de passe)' }).click();
  await page.getByLabel('Adresse e-mail').fill('marcheuse18@terrain.demo');
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('heading', { name: /^Bonjour/ }).waitFor();
}

for (const [label, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  test(`the walker downloads and walks the turf handed to her (${label})`, async () => {
    const walker = await apiAs('marcheuse18@terrain.demo');
    const mine = await walker.get('/field/turfs');
    assert.equal(mine.length, 1, 'the demo hands one turf to the walker');
    const turf = mine[0];
    const coordinator = await apiAs('coord18@terrain.demo');
    const order = await coordinator.get(`/turfs/${turf.id}/stops`);

    const context = await chrome.browser.newContext(
      label === 'phone' ? { viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : { viewport: DESKTOP },
    );
    const page = await context.newPage();
    await signIn(page);
    await page.getByRole('button', { name: 'Préparer ma sortie' }).click();
    const panel = page.getByTestId('my-turfs');
    await panel.waitFor();
    const title = `Secteur ${turf.number} · ${turf.bureau_name}`;
    assert.match(await panel.innerText(), new RegExp(title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await shot(page, `field-my-turfs-${label}`);
    await panel.getByRole('button', { name: new RegExp(`Secteur ${turf.number}`) }).click();
    await page.getByRole('heading', { name: title }).waitFor();
    await page.locator('.field-map .route').waitFor();
    await page.locator('.field-map .contour.turf').waitFor();
    const stops = await page.locator('.stops .addr').allInnerTexts();
    assert.equal(stops.length, turf.stops);
    assert.deepEqual(stops, order.map((s) => s.label), 'the stops come in walking order');
    await shot(page, `field-turf-stops-${label}`);

    if (label === 'phone') {
      // A door at the first stop: once uploaded, the stop is walked on the turf.
      await page.locator('.stops a').first().click();
      await page.getByTestId('door-card').getByRole('button', { name: 'Absent', exact: true }).click();
      await page.getByTestId('sync-waiting').filter({ hasText: /Tout est envoyé/ }).waitFor();
      let visited = false;
      for (let i = 0; i < 20 && !visited; i++) {
        const s = await coordinator.get(`/turfs/${turf.id}/stops`);
        visited = s[0].visited;
        if (!visited) await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(visited, 'the first stop of the turf is marked walked');
    }
    await context.close();
  });
}
