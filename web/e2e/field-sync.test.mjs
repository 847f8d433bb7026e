// A walker's day on a phone, offline: download a bureau's package, cut the network, record 30
// doors of which 10 with a questionnaire, close and reopen the app offline, come back online —
// the first upload reaches the server but its answer is lost — and the server holds exactly 30
// visits and 10 responses more than the demo's own. Replaying the same batch afterwards changes nothing.
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

/** Signs in as the director through the API and reads the campaign's field progress. */
async function serverProgress() {
  const login = await fetch(`${demo.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'directrice@terrain.demo', password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const session = await login.json();
  const campaign = session.campaigns[0].campaign.id;
  const r = await fetch(`${demo.base}/api/v1/campaigns/${campaign}/field/progress`, { headers: { cookie } });
  assert.equal(r.status, 200);
  return r.json();
}

/** Fills the Grande Marche questionnaire, answering a few open questions and the profile. */
async function fillQuestionnaire(page, n) {
  await page.getByRole('button', { name: 'Commencer le questionnaire' }).click();
  await page.getByRole('heading', { name: /Acceptez-vous/ }).waitFor();
  if (n === 0) await shot(page, 'field-survey-consent-phone');
  await page.getByRole('button', { name: 'Oui', exact: true }).click();
  const open = [
    `Le métro, les écoles du quartier (${n})`,
    'Le logement est trop cher',
    '',
    'Les fins de mois',
    '',
    '',
    'Le chômage des jeunes',
    '',
  ];
  for (const [i, text] of open.entries()) {
    await page.getByText(`Question ${i + 2} sur`).waitFor();
    if (text) await page.locator('.survey textarea').fill(text);
    if (n === 0 && i === 0) await shot(page, 'field-survey-open-phone');
    await page.getByRole('button', { name: 'Suivant' }).click();
  }
  await page.getByRole('heading', { name: 'Sexe' }).waitFor();
  await page.getByRole('button', { name: n % 2 ? 'Homme' : 'Femme' }).click();
  await page.getByRole('heading', { name: 'Tranche d’âge' }).waitFor();
  if (n === 0) await shot(page, 'field-survey-choice-phone');
  await page.getByRole('button', { name: '35 à 49 ans' }).click();
  await page.getByRole('heading', { name: 'Profession (catégorie)' }).waitFor();
  await page.getByRole('button', { name: 'Employés' }).click();
  await page.getByRole('heading', { name: 'Code postal' }).waitFor();
  await page.locator('.survey .postcode').fill('75018');
  await page.getByRole('button', { name: 'Suivant' }).click();
  await page.getByRole('heading', { name: /recontacté/ }).waitFor();
  if (n === 9) {
    // The last respondent asks to be recontacted: the contact details go apart.
    await page.getByRole('button', { name: 'Oui', exact: true }).click();
    await page.getByLabel('Nom ou prénom').fill('Mme Diallo');
    await page.getByLabel('Téléphone').fill('06 11 22 33 44');
    await shot(page, 'field-survey-contact-phone');
    await page.getByRole('button', { name: 'Suivant' }).click();
  } else {
    await page.getByRole('button', { name: 'Non', exact: true }).click();
  }
  await page.getByTestId('survey-save').click();
}

test('a day offline is uploaded exactly once', async () => {
  // The demo holds responses of its own (the diagnostic's): count what this walk adds.
  const baseline = await serverProgress();
  const context = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(`${demo.base}/field/#join=${demo.invite}`);
  await page.getByLabel('Votre prénom').fill('Nadia');
  await page.getByRole('button', { name: 'Rejoindre' }).click();
  await page.getByRole('heading', { name: 'Bonjour Nadia' }).waitFor();
  await page.getByTestId('offline-ready').filter({ hasText: 'Prête à fonctionner sans réseau' }).waitFor();
  await page.reload(); // the service worker now controls the page

  // Choose a bureau and download its package.
  await page.getByRole('button', { name: 'Préparer ma sortie' }).click();
  await page.getByRole('heading', { name: 'Choisir un secteur' }).waitFor();
  await page.getByRole('button', { name: /Bureau 18-01/ }).waitFor();
  await shot(page, 'field-sector-phone');
  await page.getByRole('button', { name: /Bureau 18-01/ }).click();
  await page.getByRole('heading', { name: 'Bureau 18-01' }).waitFor();
  await page.locator('.field-map .contour').first().waitFor();
  await shot(page, 'field-stops-phone');

  // No network from here.
  await context.setOffline(true);
  let visits = 0;
  let responses = 0;
  for (let stop = 1; visits < 30; stop++) {
    await page.goto(`${demo.base}/field/#/adresses`);
    await page.locator('.stops a').nth(stop - 1).click();
    await page.getByTestId('door-card').waitFor();
    if (responses < 10) {
      await page.getByRole('button', { name: 'Questionnaire', exact: true }).click();
      await fillQuestionnaire(page, responses);
      responses += 1;
      visits += 1;
      await page.getByTestId('door-card').waitFor();
    }
    if (stop === 1) await shot(page, 'field-doors-phone');
    for (const outcome of ['Absent', 'Discussion']) {
      if (visits >= 30) break;
      await page.getByTestId('door-card').getByRole('button', { name: outcome, exact: true }).click();
      visits += 1;
    }
  }
  assert.equal(visits, 30);
  assert.equal(responses, 10);
  await page.getByTestId('sync-waiting').filter({ hasText: '40 en attente' }).waitFor();

  // Closed and reopened with no network: everything is still there.
  await page.goto(`${demo.base}/field/`);
  await page.getByRole('heading', { name: 'Bonjour Nadia' }).waitFor();
  await page.getByTestId('network').filter({ hasText: 'Hors ligne' }).waitFor();
  assert.equal(await page.getByTestId('sync-waiting').getAttribute('data-waiting'), '40');
  await shot(page, 'field-offline-waiting-phone');
  await page.getByRole('button', { name: 'Continuer ma sortie' }).click();
  await page.locator('.stops a.partial, .stops a.done').first().waitFor();

  // Back online: the first upload reaches the server, but its answer is lost on the way back.
  let cut = 0;
  let replay = null;
  let firstStatus = 0;
  let cutDone;
  const cutHappened = new Promise((resolve) => (cutDone = resolve));
  await page.route('**/field/sync', async (route) => {
    if (cut === 0) {
      cut += 1;
      replay = route.request().postData();
      const answer = await route.fetch();
      firstStatus = answer.status();
      await route.abort('connectionreset');
      cutDone();
    } else {
      await route.continue();
    }
  });
  await page.getByRole('button', { name: '← Accueil' }).click();
  await context.setOffline(false);
  // The `online` event starts the upload by itself (the button too, should the event come
  // before the network): the first upload is stored, but its answer is lost, so the records wait.
  await page.getByTestId('network').filter({ hasText: 'En ligne' }).waitFor();
  if (cut === 0) await page.getByRole('button', { name: 'Envoyer maintenant' }).first().click();
  await cutHappened;
  assert.equal(firstStatus, 200, 'the server stored the first upload');
  await page.getByText('Pas de réseau : l’envoi reprendra tout seul.').waitFor();
  assert.equal(await page.getByTestId('sync-waiting').getAttribute('data-waiting'), '40');
  // The retry needs no action (on start, on `online`, every 20 s); the button runs it now.
  await page.getByRole('button', { name: 'Envoyer maintenant' }).first().click();
  await page.getByTestId('sync-waiting').filter({ hasText: 'Tout est envoyé' }).waitFor();
  await shot(page, 'field-synced-phone');

  const progress = await serverProgress();
  assert.equal(progress.visits, 30, JSON.stringify(progress));
  assert.equal(progress.responses - baseline.responses, 10, JSON.stringify(progress));
  assert.equal(progress.outcomes.questionnaire_done, 10);

  // The same batch replayed by the phone's session: acknowledged as duplicates, nothing added.
  const cookies = await context.cookies();
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const session = await (await fetch(`${demo.base}/api/v1/auth/session`, { headers: { cookie } })).json();
  const campaign = session.campaigns[0].campaign.id;
  const again = await fetch(`${demo.base}/api/v1/campaigns/${campaign}/field/sync`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': session.csrf_token },
    body: replay,
  });
  const acks = await again.json();
  assert.equal(again.status, 200);
  assert.equal(acks.duplicates, 40, JSON.stringify(acks).slice(0, 300));
  assert.equal(acks.stored, 0);
  const after = await serverProgress();
  assert.equal(after.visits, 30);
  assert.equal(after.responses - baseline.responses, 10);
  assert.equal(after.recontacts, 1);
  await context.close();

  // The director follows the field from the dashboard.
  const desk = await chrome.browser.newPage({ viewport: DESKTOP });
  await desk.goto(`${demo.base}/`);
  await desk.getByLabel('Adresse e-mail').fill('directrice@terrain.demo');
  await desk.getByLabel('Mot de passe').fill(PASSWORD);
  await desk.getByRole('button', { name: 'Se connecter' }).click();
  await desk.getByRole('heading', { name: /Paris 2027/ }).waitFor();
  await desk.goto(`${demo.base}/#/field`);
  await desk.getByTestId('visits').filter({ hasText: '30' }).waitFor();
  assert.equal(
    (await desk.getByTestId('responses').innerText()).replace(/\D/g, ''),
    String(baseline.responses + 10),
  );
  await desk.getByRole('button', { name: 'Afficher les coordonnées' }).click();
  await desk.getByRole('cell', { name: 'Mme Diallo' }).waitFor();
  // The data-quality panel has looked at the 30 visits and 10 questionnaires.
  const quality = desk.getByTestId('quality');
  await quality.locator('table, p.muted:not(.small)').first().waitFor();
  const flagged = await quality.locator('tbody tr').count();
  if (flagged === 0) await quality.getByText('Rien de particulier sur 30 passages et 10 questionnaires.').waitFor();
  await shot(desk, 'dashboard-field-progress-desktop');
  await desk.close();
});

test('signing out warns before losing records that were not sent', async () => {
  const context = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(`${demo.base}/field/#join=${demo.invite}`);
  await page.getByLabel('Votre prénom').fill('Yann');
  await page.getByRole('button', { name: 'Rejoindre' }).click();
  await page.getByRole('button', { name: 'Préparer ma sortie' }).click();
  await page.getByRole('button', { name: /Bureau 18-02/ }).click();
  await page.getByRole('heading', { name: 'Bureau 18-02' }).waitFor();
  await context.setOffline(true);
  await page.locator('.stops a').first().click();
  await page.getByTestId('door-card').getByRole('button', { name: 'Repasser', exact: true }).click();
  await page.getByRole('button', { name: '← Adresses' }).click();
  await page.getByRole('button', { name: '← Accueil' }).click();
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.getByRole('alertdialog').getByText('1 enregistrement(s) ne sont pas encore envoyés').waitFor();
  await page.getByRole('button', { name: 'Me déconnecter et tout effacer' }).click();
  // Still offline: one more, explicit, confirmation before anything is lost.
  await page.getByRole('button', { name: 'Perdre 1 enregistrement(s) et me déconnecter' }).waitFor();
  await shot(page, 'field-signout-warning-phone');
  await page.getByRole('button', { name: 'Annuler' }).click();
  // Back online, signing out sends first and loses nothing.
  await context.setOffline(false);
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.getByRole('button', { name: 'Me déconnecter et tout effacer' }).click();
  await page.getByRole('heading', { name: 'Rejoindre la campagne' }).waitFor();
  const progress = await serverProgress();
  assert.equal(progress.outcomes.come_back_later, 1, JSON.stringify(progress));
  await context.close();
});
