// End-to-end: the web console in a real browser (Debian's Chromium, driven by
// playwright-core), against `sakimori serve --demo` on a fresh data directory.
// Saves screenshots of the main pages to docs/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.env.SAKIMORI_BIN || join(root, 'target', 'debug', 'sakimori');
const shots = join(root, 'docs', 'screenshots');
let server, url, demo, browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'sakimori-e2e-'));
  server = spawn(bin, ['serve', '--demo', '--listen', '127.0.0.1:0', '--json', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  demo = JSON.parse(line);
  url = demo.url;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

const user = (role) => demo.users.find((u) => u.role === role);

async function signIn(role, locale = 'en-US') {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.fill('#username', user(role).username);
  await page.fill('#password', demo.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${url}/home`);
  return page;
}

let reportUrl;

test('an operator signs in and submits a report with the short form', async () => {
  const page = await signIn('operator');
  await page.goto(`${url}/reports/new`);
  await page.screenshot({ path: join(shots, 'report-form-en.png'), fullPage: true });
  await page.fill('#summary', 'Ransom note on the billing file server');
  await page.check('input[name=service_affected]');
  await page.click('main button[type=submit]');
  await page.waitForURL(/\/reports\/[0-9a-f-]{36}$/);
  reportUrl = page.url();
  const text = await page.textContent('main');
  assert.match(text, /Ransom note on the billing file server/);
  assert.match(text, /meti/);
  assert.match(text, /ceptoar-electricity/);
  await page.context().close();
});

test('the ministry signs in and acknowledges the report', async () => {
  const page = await signIn('ministry');
  await page.goto(reportUrl);
  await page.click('main button:text("Acknowledge")');
  await page.waitForURL(reportUrl);
  const row = await page.textContent('tbody tr:first-child');
  assert.match(row, /meti/);
  assert.doesNotMatch(row, /—\s*$/, 'acknowledged time shown');
  await page.screenshot({ path: join(shots, 'report-en.png'), fullPage: true });
  await page.context().close();
});

test('the coordinator sees it on the situation dashboard', async () => {
  const page = await signIn('coordinator');
  await page.goto(`${url}/dashboard`);
  const row = await page.textContent('tr:has(th:text("Electricity"))');
  assert.match(row, /1/);
  await page.screenshot({ path: join(shots, 'dashboard-en.png'), fullPage: true });
  await page.context().close();
});

test('an operator acknowledges an advisory', async () => {
  const res = await fetch(`${url}/api/v1/advisories`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user('coordinator').token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'VPN appliance campaign', title_ja: 'VPN機器を狙う攻撃', body: 'Patch the VPN appliances **now**.', tlp: 'TLP:AMBER', category: 'alert', audience: { sectors: ['electricity'] } }),
  });
  assert.equal(res.status, 201);
  const page = await signIn('operator');
  await page.goto(`${url}/advisories`);
  assert.match(await page.textContent('main'), /1 unread/);
  await page.screenshot({ path: join(shots, 'advisories-en.png'), fullPage: true });
  await page.click('tr:has-text("VPN appliance campaign") a');
  await page.click('main button:text("Acknowledge")');
  await page.waitForLoadState();
  assert.match(await page.textContent('main'), /acknowledged/);
  await page.context().close();
});

test('switching the language shows Japanese labels', async () => {
  const page = await signIn('coordinator');
  await page.click('a[lang=ja]');
  await page.waitForURL(`${url}/home`);
  assert.match(await page.textContent('nav'), /情報連絡/);
  assert.match(await page.textContent('nav'), /状況ボード/);
  await page.goto(`${url}/dashboard`);
  assert.match(await page.textContent('main'), /電力/);
  await page.screenshot({ path: join(shots, 'dashboard-ja.png'), fullPage: true });
  await page.goto(`${url}/statistics`);
  await page.screenshot({ path: join(shots, 'statistics-ja.png'), fullPage: true });
  await page.goto(reportUrl);
  await page.screenshot({ path: join(shots, 'report-ja.png'), fullPage: true });
  await page.context().close();
});

test('a phone-sized screen still shows the inbox', async () => {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.screenshot({ path: join(shots, 'login-ja-phone.png'), fullPage: true });
  assert.match(await page.textContent('h1'), /ログイン/);
  await context.close();
});
