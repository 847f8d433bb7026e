// Measures the map page: Paris demo (real contours) and the synthetic department.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(join(process.cwd(), 'web/package.json'));
const { chromium } = require('playwright-core');

const RUNS = Number(process.env.RUNS ?? 5);

function start(args) {
  const proc = spawn(process.env.BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m && (out.includes('Ctrl-C') || out.includes('listening'))) resolve({ base: m[1], proc });
    });
    proc.on('exit', (c) => reject(new Error(`exited ${c}: ${out}`)));
  });
}

async function measure(base, email, password, expected) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    await page.goto(`${base}/`);
    await page.getByLabel('Adresse e-mail').fill(email);
    await page.getByLabel('Mot de passe').fill(password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('navigation', { name: 'Navigation' }).waitFor();
    const t0 = Date.now();
    await page.getByRole('navigation', { name: 'Navigation' }).getByRole('link', { name: 'Carte', exact: true }).click();
    await page.getByText(expected).waitFor({ timeout: 60_000 });
    await page.locator('[data-testid=map] canvas').waitFor();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    times.push((Date.now() - t0) / 1000);
    await page.close();
  }
  await browser.close();
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

const demoDir = mkdtempSync(join(tmpdir(), 'terrain-map-bench-'));
const demo = await start(['demo', '--port', '0', '--data-dir', demoDir]);
const paris = await measure(demo.base, 'directrice@terrain.demo', 'terrain-demo', /896 bureaux/);
demo.proc.kill('SIGTERM');
const serve = await start(['serve', '--db', process.env.DB, '--bind', '127.0.0.1:0']);
const synthetic = await measure(serve.base, 'bench@terrain.test', 'bench-password-1', /1\s300 bureaux/);
serve.proc.kill('SIGTERM');
console.log('| map | bureaux | median s | min s | max s |');
console.log('|---|---|---|---|---|');
console.log(`| Paris demo (real contours) | 896 | ${paris.median.toFixed(2)} | ${paris.min.toFixed(2)} | ${paris.max.toFixed(2)} |`);
console.log(`| synthetic department | 1,300 | ${synthetic.median.toFixed(2)} | ${synthetic.min.toFixed(2)} | ${synthetic.max.toFixed(2)} |`);
