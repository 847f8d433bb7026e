// Representativeness on the demo (issue 8): the demo's accepted plan gives the quota board its
// cells; responses uploaded through the sync API (as the director, in the plan's bureaux,
// with varied profiles) fill them; the director runs a weighting and reads its margins, design
// effect and weight histogram; a coordinator sees only their arrondissement.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, launch, PASSWORD, PHONE, shot, signInDashboard, startDemo } from './harness.mjs';

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

const SEX = ['f', 'm'];
const AGE = ['18-24', '25-34', '35-49', '50-64', '65+'];
// Occupations as a Paris sample might give them (no farmer: an empty cell the weighting reports).
const OCC = ['3', '4', '5', '7', '8', '3', '4', '6', '2', '3', '7', '5'];

/** A UUIDv7 (what phones give their records): 48 bits of milliseconds, then random bits. */
function uuidv7() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i += 1) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Signs in through the API; returns a fetch bound to the session, and the campaign id. */
async function apiSession(email) {
  const login = await fetch(`${demo.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const session = await login.json();
  const campaign = session.campaigns[0].campaign.id;
  const call = async (method, path, body) => {
    const r = await fetch(`${demo.base}/api/v1/campaigns/${campaign}${path}`, {
      method,
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': session.csrf_token },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  return { call, campaign };
}

/** Uploads `per` responses in each of the first `bureaux` bureaux of the accepted plan. */
async function uploadResponses(bureaux, per) {
  const { call } = await apiSession('directrice@terrain.demo');
  const plans = await call('GET', '/survey-plans');
  const accepted = plans.body.find((p) => p.accepted_at);
  assert.ok(accepted, 'the demo has an accepted plan');
  const plan = await call('GET', `/survey-plans/${accepted.id}`);
  const qs = await call('GET', '/questionnaires');
  const version = qs.body[0].versions.find((v) => v.status === 'published').id;
  const records = [];
  let k = 0;
  for (const area of plan.body.areas.slice(0, bureaux)) {
    const addresses = await call('GET', `/territories/${area.territory_id}/addresses?limit=5`);
    assert.equal(addresses.status, 200);
    for (let i = 0; i < per; i += 1, k += 1) {
      const a = addresses.body[i % addresses.body.length];
      records.push({
        id: uuidv7(), at: new Date().toISOString(), kind: 'response', version_id: version, address_id: a.id,
        answers: { consentement: true, sexe: SEX[k % 2], age: AGE[Math.floor(k / 2) % 5], profession: OCC[k % OCC.length], code_postal: '75018' },
        contact: null,
      });
    }
  }
  const r = await call('POST', '/field/sync', { device_id: uuidv7(), records });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.acks.every((a) => a.status === 'stored'), JSON.stringify(r.body.acks.slice(0, 3)));
  return records.length;
}

const signIn = (page, email) => signInDashboard(page, demo.base, email);

test('the quota board fills as responses sync, and the direction weights them', async () => {
  const uploaded = await uploadResponses(12, 8);
  assert.equal(uploaded, 96);

  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'directrice@terrain.demo');
  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Quotas' }).click();
  await page.getByRole('heading', { name: /Quotas/ }).waitFor();
  await page.getByTestId('quota-done').waitFor();
  // The territory most behind first in "Où": its cells.
  await page.getByTestId('quota-where').locator('button.link').first().click();
  await page.getByTestId('quota-sex_age').waitFor();
  assert.equal(await page.getByTestId('quota-sex_age').locator('tbody tr').count(), 10);
  // The demo holds responses of its own (the diagnostic's, issue 9): at least the 96 uploaded here.
  const done = await page.getByTestId('quota-done').textContent();
  assert.ok(Number(done.split('/')[0].replace(/\D/g, '')) >= 96, done);
  assert.ok((await page.getByTestId('go-after').locator('li').count()) > 0, 'cells behind are listed');
  await shot(page, 'dashboard-quotas-desktop');

  await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Redressement' }).click();
  await page.getByRole('heading', { name: 'Redressement des réponses' }).waitFor();
  // The demo's own responses were weighted when it was seeded: a run may already be shown.
  await page.getByRole('button', { name: 'Calculer les poids' }).click();
  await page.getByTestId('weighting-result').waitFor();
  const deff = Number((await page.getByTestId('deff').textContent()).replace(',', '.'));
  assert.ok(deff >= 1, `design effect ${deff}`);
  assert.equal(await page.getByTestId('histogram').locator('rect').count(), 20);
  assert.ok((await page.getByTestId('margins').locator('tbody tr').count()) >= 10);
  assert.match(await page.getByTestId('weighting-warnings').textContent(), /empty cell: no respondent in occupation=1/);
  await shot(page, 'dashboard-weighting-desktop');

  // Bounds that cannot be met: a clear refusal, and the previous weights stay.
  await page.locator('select[name=method]').selectOption('logit');
  await page.locator('input[name=lower]').fill('0.99');
  await page.locator('input[name=upper]').fill('1.01');
  await page.getByRole('button', { name: 'Calculer les poids' }).click();
  await page.getByTestId('weighting-error').waitFor();
  assert.match(await page.getByTestId('weighting-error').textContent(), /outside|bounds|bornes/i);
  await page.getByTestId('weighting-result').waitFor();

  const phone = await chrome.browser.newPage({ viewport: PHONE });
  await signIn(phone, 'directrice@terrain.demo');
  await phone.goto(`${demo.base}/#/weighting`);
  await phone.getByTestId('weighting-result').waitFor();
  await shot(phone, 'dashboard-weighting-phone');
  await phone.goto(`${demo.base}/#/quotas`);
  await phone.getByTestId('quota-where').locator('button.link').first().click();
  await phone.getByTestId('quota-sex_age').waitFor();
  await shot(phone, 'dashboard-quotas-phone');
});

test('a coordinator sees the quotas of their arrondissement only; a walker none', async () => {
  const { call } = await apiSession('coord18@terrain.demo');
  const board = await call('GET', '/quotas');
  assert.equal(board.status, 200);
  assert.ok(board.body.cells.every((c) => c.territory_code === '75118'), 'only the 18th');
  const page = await chrome.browser.newPage({ viewport: DESKTOP });
  await signIn(page, 'coord18@terrain.demo');
  await page.goto(`${demo.base}/#/quotas`);
  await page.getByRole('heading', { name: /Quotas/ }).waitFor();
  await page.getByText(/Source des proportions/).waitFor();
  if (board.body.territories.length === 1) await page.getByTestId('quota-sex_age').waitFor();
  await shot(page, 'dashboard-quotas-coordinator-desktop');
  const walker = await apiSession('marcheuse18@terrain.demo');
  assert.equal((await walker.call('GET', '/quotas')).status, 403);
  const wanted = await walker.call('GET', '/field/quotas');
  assert.equal(wanted.status, 200);
  assert.equal(wanted.body.shown, true);
});
