// Browser-test harness: starts `terrain demo` on a free port with a throw-away data directory,
// and headless Debian Chromium through playwright-core. Everything stays on 127.0.0.1.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const BIN = process.env.TERRAIN_BIN ?? resolve(import.meta.dirname, '../../target/debug/terrain');
export const SHOTS = resolve(import.meta.dirname, '../test-results');
export const PASSWORD = 'terrain-demo';

/** Starts the demo server; resolves with its base URL and invite code once it listens. */
export async function startDemo() {
  const dir = mkdtempSync(join(tmpdir(), 'terrain-e2e-'));
  const proc = spawn(BIN, ['demo', '--port', '0', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const ready = new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start in 60 s:\n${out}\n${err}`)), 60_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const url = /dashboard:\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      const code = /invite code ([A-Z0-9]{5}-[A-Z0-9]{5})/.exec(out);
      if (url && code && out.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolveReady({ base: url[1], invite: code[1] });
      }
    });
    proc.on('exit', (c) => reject(new Error(`demo exited with ${c}:\n${out}\n${err}`)));
  });
  const info = await ready;
  return {
    ...info,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium with the flags this machine needs (no network beyond loopback). */
export async function launch() {
  // Playwright gives each launch a fresh, empty profile directory of its own.
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** Saves a screenshot under web/test-results/ for a person to look at. */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export const DESKTOP = { width: 1366, height: 860 };
export const PHONE = { width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** Signs in to the dashboard of the demo at `base` with a demo account. */
export async function signInDashboard(page, base, email) {
  await page.goto(`${base}/`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('heading', { name: /Paris 2027/ }).waitFor();
}
