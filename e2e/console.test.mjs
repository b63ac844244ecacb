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

// A demo user by role (the first with it) or by username (demo-gsoc).
const user = (who) => demo.users.find((u) => u.role === who || u.username === who);

async function signIn(who, locale = 'en-US') {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.fill('#username', user(who).username);
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

const api = async (role, method, path, body) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${user(role).token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: res.status === 204 ? null : await res.json() };
};

test('the operator updates the report and the coordinator records its severity', async () => {
  const op = await signIn('operator');
  await op.goto(reportUrl);
  await op.click('details#update > summary');
  await op.selectOption('#u-status', 'under-response');
  await op.fill('#u-affected_people', '20000');
  await op.fill('#u-duration_hours', '3');
  await op.selectOption('#u-substitutability', 'partial');
  await op.fill('#u-description', 'Billing is down; branches take payments by hand.');
  await op.click('details#update button[type=submit]');
  await op.waitForURL(/\/reports\/[0-9a-f-]{36}/);
  assert.match(await op.textContent('main'), /Status: under-response/);
  assert.match(await op.textContent('main'), /kanto-power\s*version: description, impact, status/, 'the new version names what changed');
  await op.context().close();

  const page = await signIn('coordinator');
  await page.goto(reportUrl);
  await page.click('details#record-severity > summary');
  assert.equal(await page.inputValue('#s-affected_people'), '20000', 'starts from the reported impact');
  await page.fill('#s-simultaneous_organisations', '1');
  await page.selectOption('#s-lost_trust', 'limited');
  await page.check('#record-severity input[name=kind][value=provisional]');
  await page.click('#record-severity button[type=submit]');
  await page.waitForURL(/#severity$/);
  const section = await page.textContent('section[aria-labelledby=severity]');
  assert.match(section, /Provisional: overall level\s*1 Low/);
  assert.match(section, /affected_people >= 1000 -> level 2/);
  assert.match(section, /NCISS-style score/);
  await (await page.$('section[aria-labelledby=severity]')).screenshot({ path: join(shots, 'severity-en.png') });
  await page.context().close();

  const ja = await signIn('coordinator', 'ja-JP');
  await ja.goto(reportUrl);
  assert.match(await ja.textContent('main'), /深刻度評価/);
  await (await ja.$('section[aria-labelledby=severity]')).screenshot({ path: join(shots, 'severity-ja.png') });
  await ja.context().close();
});

let trackingUrl;

test('the coordinator writes an advisory and follows it tier by tier', async () => {
  const page = await signIn('coordinator');
  await page.goto(`${url}/advisories`);
  await page.click('a[href="/advisories/new"]');
  await page.fill('#title', 'Exposed management interfaces on grid gateways');
  await page.fill('#title_ja', '系統ゲートウェイの管理画面の露出');
  await page.fill('#body', 'Close the management port **today** and rotate the credentials.');
  await page.fill('#body_ja', '本日中に管理ポートを**閉じ**、認証情報を変更してください。');
  await page.check('input[name=tlp][value="TLP:AMBER"]');
  await page.selectOption('#category', 'vulnerability');
  await page.selectOption('#urgency', 'high');
  await page.check('input[name=sectors][value=electricity]');
  await page.fill('#indicators', 'ipv4:203.0.113.9');
  await page.fill('#cves', 'CVE-2024-3400');
  await page.screenshot({ path: join(shots, 'advisory-form-en.png'), fullPage: true });
  await page.click('main form[action="/advisories"] button[type=submit]');
  await page.waitForURL(/\/advisories\/[0-9a-f-]{36}\/status$/);
  trackingUrl = page.url();
  const tiers = await page.textContent('#tiers');
  assert.match(tiers, /Supervising ministries/);
  assert.match(tiers, /CEPTOARs \/ ISACs/);
  assert.match(tiers, /Operators and bodies/);
  assert.match(await page.textContent('#deliveries'), /kanto-power/);

  // The operator acknowledges; the author sees it and the median time.
  const id = trackingUrl.split('/').at(-2);
  assert.equal((await api('operator', 'POST', `/api/v1/advisories/${id}/ack`)).status, 200);
  assert.equal((await api('ministry', 'POST', `/api/v1/advisories/${id}/ack`)).status, 200);
  await page.reload();
  assert.match(await page.textContent('#deliveries tr:has(th:text("kanto-power"))'), /demo-operator/);
  await page.screenshot({ path: join(shots, 'tracking-en.png'), fullPage: true });
  await page.context().close();

  // Nobody else follows it.
  const hub = await signIn('hub');
  const res = await hub.goto(trackingUrl);
  assert.equal(res.status(), 403);
  await hub.context().close();

  const ja = await signIn('coordinator', 'ja-JP');
  await ja.goto(trackingUrl);
  assert.match(await ja.textContent('#tiers'), /所管省庁/);
  await ja.screenshot({ path: join(shots, 'tracking-ja.png'), fullPage: true });
  await ja.context().close();

  const phone = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 } });
  const p = await phone.newPage();
  await p.goto(`${url}/login`);
  await p.fill('#username', user('coordinator').username);
  await p.fill('#password', demo.password);
  await p.click('button[type=submit]');
  await p.waitForURL(`${url}/home`);
  await p.goto(trackingUrl);
  await p.screenshot({ path: join(shots, 'tracking-ja-phone.png'), fullPage: true });
  await phone.close();
});

test('the coordinator starts a drill and reads its reachability', async () => {
  const page = await signIn('coordinator');
  await page.goto(`${url}/drills`);
  await page.fill('#drill-title', 'FY2026 second-half CEPTOAR drill');
  await page.check('input[name=kind][value=provision]');
  await page.check('main input[name=sectors][value=electricity]');
  await page.check('main input[name=sectors][value=gas]');
  await page.click('main form[action="/drills"] button[type=submit]');
  await page.waitForURL(/\/drills\/[0-9a-f-]{36}$/);
  // Some of the chain confirms.
  const drills = await api('coordinator', 'GET', '/api/v1/drills');
  const aid = drills.json[0].advisory_id;
  for (const role of ['ministry', 'hub', 'operator']) {
    assert.equal((await api(role, 'POST', `/api/v1/advisories/${aid}/ack`)).status, 200, role);
  }
  await page.reload();
  assert.match(await page.textContent('#by-tier'), /Supervising ministries/);
  assert.match(await page.textContent('#by-ceptoar'), /Electricity CEPTOAR/);
  assert.match(await page.textContent('#unconfirmed'), /aoba-power/);
  assert.doesNotMatch(await page.textContent('#unconfirmed'), /\(kanto-power\)/);
  const chart = await page.$('img[src$="chart.svg"]');
  assert.ok(await chart.evaluate((img) => img.complete && img.naturalWidth > 0), 'the chart loads under the CSP');
  await page.screenshot({ path: join(shots, 'drill-en.png'), fullPage: true });
  const drillUrl = page.url();
  await page.context().close();

  const ja = await signIn('coordinator', 'ja-JP');
  await ja.goto(drillUrl);
  assert.match(await ja.textContent('main'), /疎通確認/);
  await ja.screenshot({ path: join(shots, 'drill-ja.png'), fullPage: true });
  await ja.context().close();

  const op = await signIn('operator');
  assert.equal((await op.goto(drillUrl)).status(), 403);
  await op.context().close();
});

test('the administrator creates a user, who signs in', async () => {
  const page = await signIn('administrator');
  await page.click('nav a[href="/admin/users"]');
  await page.fill('#nu-username', 'suzuki.hanako');
  await page.fill('#nu-display', 'Suzuki Hanako');
  await page.selectOption('#nu-org', 'hinode-gas');
  await page.check('input[name=roles][value=operator]');
  await page.fill('#nu-password', 'correct horse battery staple');
  await page.click('main form[action="/admin/users"] button[type=submit]');
  await page.waitForLoadState();
  assert.match(await page.textContent('main [role=status]'), /suzuki\.hanako/);
  assert.match(await page.textContent('#users'), /hinode-gas/);
  await page.screenshot({ path: join(shots, 'users-en.png'), fullPage: true });
  await page.context().close();

  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const s = await context.newPage();
  await s.goto(`${url}/login`);
  await s.fill('#username', 'suzuki.hanako');
  await s.fill('#password', 'correct horse battery staple');
  await s.click('button[type=submit]');
  await s.waitForURL(`${url}/home`);
  assert.match(await s.textContent('header'), /suzuki\.hanako/);
  assert.doesNotMatch(await s.textContent('nav'), /ユーザー/, 'an operator has no user administration');
  // Her own API token: shown once.
  await s.click('nav a[href="/tokens"]');
  await s.fill('#nt-label', 'SOC integration');
  await s.click('main form[action="/tokens"] button[type=submit]');
  await s.waitForLoadState();
  assert.match(await s.inputValue('#new-secret'), /^skm_/);
  await s.goto(`${url}/tokens`);
  assert.equal(await s.$('#new-secret'), null, 'the secret is shown only once');
  await s.screenshot({ path: join(shots, 'tokens-ja.png'), fullPage: true });
  await context.close();
});

test('an analyst shares an indicator through the form, searches it and opens it', async () => {
  const collections = async (role) => (await api(role, 'GET', '/api/v1/intel/collections')).json;
  const of = (list, community) => list.find((c) => c.community_id === community).id;
  const stixId = (type) => `${type}--${crypto.randomUUID()}`;
  const indicator = (name, ip, extra = {}) => ({
    type: 'indicator', spec_version: '2.1', id: stixId('indicator'),
    created: '2026-11-20T00:00:00.000Z', modified: '2026-11-20T00:00:00.000Z',
    name, pattern: `[ipv4-addr:value = '${ip}']`, pattern_type: 'stix', valid_from: '2026-11-20T00:00:00Z', ...extra,
  });
  // Some intelligence from others: the electricity CEPTOAR (TLP:CLEAR, seen
  // anonymised outside its community) and NISC in the Cybersecurity Council.
  const hubSector = of(await collections('hub'), 'sector-electricity');
  let r = await api('hub', 'POST', '/api/v1/intel/objects', {
    collection: hubSector, tlp: 'TLP:CLEAR',
    objects: [indicator('Scanning from 198.51.100.77 reported by ceptoar-electricity members', '198.51.100.77', { labels: ['malicious-activity'] })],
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const council = of(await collections('coordinator'), 'cybersecurity-council');
  r = await api('coordinator', 'POST', '/api/v1/intel/objects', {
    collection: council, tlp: 'TLP:GREEN',
    objects: [indicator('VPN appliance exploitation: C2 server', '192.0.2.200', { description: 'Seen against several members.' })],
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));

  const page = await signIn('analyst');
  await page.click('nav a[href="/intel"]');
  await page.click('main a[href="/intel/new"]');
  const shared = indicator('Phishing kit host (bank lure)', '203.0.113.77', {
    description: 'Hosts a kit imitating an Asagiri Bank login page.',
    labels: ['malicious-activity', 'phishing'],
    external_references: [{ source_name: 'mitre-attack', external_id: 'T1566', url: 'https://attack.mitre.org/techniques/T1566/' }],
  });
  await page.fill('#stix', JSON.stringify(shared, null, 2));
  await page.check('input[name=tlp][value="TLP:GREEN"]');
  await page.click('main form[action="/intel"] button[type=submit]');
  await page.waitForURL(/\/intel\/new\?status=/);
  assert.match(await page.textContent('main [role=status]'), new RegExp(shared.id));

  // Others sight it: an operator on the whole platform, the CEPTOAR in its community.
  const sighting = (count) => ({
    type: 'sighting', spec_version: '2.1', id: stixId('sighting'),
    created: '2026-11-21T00:00:00.000Z', modified: '2026-11-21T00:00:00.000Z',
    sighting_of_ref: shared.id, count, first_seen: '2026-11-21T00:00:00Z', last_seen: '2026-11-21T09:30:00Z',
  });
  assert.equal((await api('operator', 'POST', '/api/v1/intel/objects', { tlp: 'TLP:GREEN', objects: [sighting(4)] })).status, 200);
  assert.equal((await api('hub', 'POST', '/api/v1/intel/objects', { collection: hubSector, tlp: 'TLP:GREEN', objects: [sighting(2)] })).status, 200);

  await page.goto(`${url}/intel`);
  assert.match(await page.textContent('main .banner'), /Cybersecurity Council/);
  assert.match(await page.textContent('#objects'), /\[匿名化 anonymised\]/);
  await page.screenshot({ path: join(shots, 'intel-en.png'), fullPage: true });
  await page.fill('#q', '203.0.113.77');
  await page.click('form[role=search] button[type=submit]');
  await page.waitForURL(/\/intel\?q=203\.0\.113\.77/);
  const rows = await page.$$('#objects tbody tr');
  assert.equal(rows.length, 1);
  await page.click(`#objects a[href="/intel/${shared.id}"]`);
  await page.waitForURL(`${url}/intel/${shared.id}`);
  const main = await page.textContent('main');
  assert.match(main, /Phishing kit host/);
  assert.match(main, /T1566/);
  assert.match(await page.textContent('#sightings-by-org'), /kanto-power/);
  assert.match(await page.textContent('section[aria-labelledby=sightings]'), /1 more organisation/);
  await page.screenshot({ path: join(shots, 'intel-object-en.png'), fullPage: true });
  await page.context().close();

  const ja = await signIn('analyst', 'ja-JP');
  await ja.goto(`${url}/intel`);
  assert.match(await ja.textContent('h1'), /脅威情報/);
  await ja.screenshot({ path: join(shots, 'intel-ja.png'), fullPage: true });
  await ja.context().close();
});

test('the GSOC confirms a sensor event and only the owner is notified', async () => {
  // An indicator the centre holds for the first attacker: its event names it.
  const indicator = {
    type: 'indicator', spec_version: '2.1', id: `indicator--${crypto.randomUUID()}`,
    created: '2026-11-20T00:00:00.000Z', modified: '2026-11-20T00:00:00.000Z',
    name: 'SSL-VPN exploitation source', pattern: "[ipv4-addr:value = '198.18.3.3']", pattern_type: 'stix', valid_from: '2026-11-20T00:00:00Z',
  };
  const shared = await api('coordinator', 'POST', '/api/v1/intel/objects', { tlp: 'TLP:GREEN', objects: [indicator] });
  assert.equal(shared.status, 200, JSON.stringify(shared.json));

  // The sensor posts Suricata EVE alerts, one a minute: two attackers, two events.
  const eve = (src, dest, host, signature, sid, uri, hour, n) => Array.from({ length: n }, (_, k) => JSON.stringify({
    timestamp: `2026-11-30T${hour}:0${k}:00.000000+0900`, event_type: 'alert',
    src_ip: src, src_port: 50001 + k, dest_ip: dest, dest_port: 443, proto: 'TCP',
    alert: { action: 'allowed', signature_id: sid, signature, category: 'Attempted Administrator Privilege Gain', severity: 1 },
    http: { hostname: host, url: uri },
  })).join('\n') + '\n';
  const observe = async (body) => {
    const res = await fetch(`${url}/api/v1/sensors/gsoc1-tap-03/observations?site=kasumigaseki&format=eve`, {
      method: 'POST', headers: { authorization: `Bearer ${user('sensor').token}` }, body,
    });
    const answer = await res.json();
    assert.equal(res.status, 200, JSON.stringify(answer));
    return answer;
  };
  let answer = await observe(eve('198.18.3.3', '192.0.2.10', 'vpn.kanto-power.example.jp', 'ET EXPLOIT SSL-VPN Path Traversal', 2049001,
    '/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession', '03', 5));
  assert.deepEqual([answer.observations, answer.malformed, answer.new_events], [5, 0, 1], JSON.stringify(answer));
  answer = await observe(eve('198.18.4.4', '192.0.2.66', 'portal.hinode-gas.example.jp', 'ET EXPLOIT Ivanti Connect Secure Command Injection', 2050001,
    '/api/v1/totp/user-backup-code/../../license/keys-status/', '02', 3));
  assert.equal(answer.new_events, 1, JSON.stringify(answer));

  // The list, in Japanese: newest first.
  const ja = await signIn('demo-gsoc', 'ja-JP');
  await ja.click('nav a[href="/events"]');
  await ja.waitForURL(`${url}/events`);
  assert.match(await ja.textContent('h1'), /確認を要するイベント/);
  const rows = await ja.$$('#events tbody tr');
  assert.equal(rows.length, 2);
  assert.match(await rows[0].textContent(), /198\.18\.3\.3[\s\S]*kanto-power[\s\S]*未対応/);
  assert.match(await rows[1].textContent(), /198\.18\.4\.4[\s\S]*hinode-gas/);
  await ja.screenshot({ path: join(shots, 'events-ja.png'), fullPage: true });
  await ja.context().close();

  // In English: the first event, its evidence, confirmed at TLP:AMBER+STRICT.
  const page = await signIn('demo-gsoc');
  await page.goto(`${url}/events`);
  assert.match(await page.textContent('#events tbody tr:first-child'), /SSL-VPN exploitation source[\s\S]*198\.18\.3\.3[\s\S]*kanto-power[\s\S]*5[\s\S]*open/);
  await page.goto(`${url}/events?org=hinode-gas`);
  assert.equal((await page.$$('#events tbody tr')).length, 1, 'filtered by target organisation');
  await page.goto(`${url}/events`);
  await page.click('#events tbody tr:first-child th a');
  await page.waitForURL(/\/events\/[^/?]+$/);
  const eventUrl = page.url();
  assert.match(await page.textContent('h1'), /SSL-VPN exploitation source/);
  assert.match(await page.textContent('#indicators'), new RegExp(indicator.id));
  const evidence = await page.$$('#evidence tbody tr');
  assert.equal(evidence.length, 5);
  const first = await evidence[0].textContent();
  assert.match(first, /198\.18\.3\.3:50001/);
  assert.match(first, /192\.0\.2\.10:443/);
  assert.match(first, /2049001 ET EXPLOIT SSL-VPN Path Traversal/);
  assert.match(first, /gsoc1-tap-03@kasumigaseki/);
  await page.screenshot({ path: join(shots, 'event-en.png'), fullPage: true });
  assert.equal(await page.$('input[name=tlp][value="TLP:CLEAR"]'), null, 'a notification names the victim: never TLP:CLEAR');
  await page.check('input[name=tlp][value="TLP:AMBER+STRICT"]');
  await page.fill('#confirm_note', 'SSL-VPN path traversal against the VPN gateway: patch and check for web sessions.');
  await page.click('form[action$="/confirm"] button[type=submit]');
  await page.waitForSelector('#confirm', { state: 'detached' });
  const decided = await page.textContent('#event');
  assert.match(decided, /confirmed, notified/);
  assert.match(decided, /demo-gsoc/);
  assert.match(decided, /patch and check for web sessions/);
  assert.match(decided, /TLP:AMBER\+STRICT/);
  assert.equal(await page.$('form[action$="/dismiss"]'), null, 'no decision is left to take');
  await page.goto(`${url}/events`);
  assert.equal((await page.$$('#events tbody tr')).length, 1, 'the confirmed event left the open queue');
  await page.goto(`${url}/events?state=confirmed`);
  assert.match(await page.textContent('#events'), /198\.18\.3\.3/);
  await page.context().close();

  // The owner finds the notification in its inbox; the operator does not triage.
  const op = await signIn('demo-operator');
  await op.goto(`${url}/advisories`);
  const row = 'main tr:has-text("Sensor notification")';
  const notification = await op.textContent(row);
  assert.match(notification, /TLP:AMBER\+STRICT/);
  assert.match(notification, /SSL-VPN exploitation source/);
  const advisoryUrl = `${url}${await op.getAttribute(`${row} a`, 'href')}`;
  await op.goto(advisoryUrl);
  assert.match(await op.textContent('main'), /198\.18\.3\.3/);
  assert.equal((await op.goto(eventUrl)).status(), 403);
  await op.context().close();

  // The ministry above it is not told.
  const ministry = await signIn('demo-ministry');
  await ministry.goto(`${url}/advisories`);
  assert.doesNotMatch(await ministry.textContent('main'), /Sensor notification/);
  assert.equal((await ministry.goto(advisoryUrl)).status(), 404);
  await ministry.context().close();
});
