// Drives the mock's dashboard in headless Chromium the way a developer uses it, and reports
// what the pages showed as one JSON line; screenshots of the main views go to outDir.
//
// usage: node dashboard.mjs <baseURL> <outDir> flow
//        node dashboard.mjs <baseURL> <outDir> steady
//        node dashboard.mjs <baseURL> <outDir> token <token>
//        node dashboard.mjs <baseURL> <outFile.png> readme      (the README's picture)
//
// In "flow" it: opens /, creates an order through the public API (as a partner's backend
// would, from Node) and times its appearance on / without a reload; opens the order's page,
// watches its stream, clicks Pay and advances the order's clock until Done; sends a refused
// request and finds its reason in the Journal; creates an invoice, registers a real webhook
// receiver (a Node HTTP server here), clicks Pay on the invoice's page and waits for the
// attempts with their status.
import http from 'node:http';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { launch } from './chromium.mjs';

const [base, out, mode, tokenArg] = process.argv.slice(2);
const T = Number(process.env.DEADLINE_MS || 20000);
const partner = 'dash-' + Math.random().toString(36).slice(2, 8);
const cr = { 'X-Cr-Application': partner, 'X-Cr-Version': '1.0', 'X-Country-ISO-Code': 'US', 'Content-Type': 'application/json' };
const report = {};
const control = (method, path, body) => fetch(base + path, { method, headers: { 'Content-Type': 'application/json', ...(tokenArg ? { Authorization: 'Bearer ' + tokenArg } : {}) },
  body: body && JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: await r.json().catch(() => null) }));

async function createOrder() {
  const email = `jane+${Date.now()}@example.com`;
  const r = await fetch(base + '/v5/orders', { method: 'POST', headers: cr, body: JSON.stringify({
    email, payment: { type: 'via', payment_via: 'USER_WALLET', coin: 'USDC', network: 'Solana' },
    deliveries: [{ beneficiary_account: email, brand_name: 'Airbnb', country_code: 'US', denomination: '100 USD' }], lang: 'en' }) });
  return (await r.json()).order_id;
}

const shot = (page, name) => page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
const text = (page, sel) => page.textContent(sel);

async function flow(page) {
  mkdirSync(out, { recursive: true });
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: T });
  const id = await createOrder();
  const t0 = Date.now();
  await page.waitForSelector(`a[href="/ui/cryptorefills/orders/${id}"]`, { timeout: T });
  report.appearMs = Date.now() - t0;
  report.reloaded = await page.evaluate(() => performance.getEntriesByType('navigation').length !== 1);
  await shot(page, 'overview');

  await page.click(`a[href="/ui/cryptorefills/orders/${id}"]`);
  await page.waitForSelector('#order-state', { timeout: T });
  report.orderTimelineHasCreation = await page.$$eval('.timeline li.request code', (cs) => cs.some((c) => c.textContent === 'POST /v5/orders'));
  await page.click('#watch');
  await page.waitForFunction(() => document.querySelectorAll('#live-frames li').length >= 1, null, { timeout: T });
  await page.getByRole('button', { name: 'Pay', exact: true }).click();
  const states = [];
  for (const want of ['PaymentReceived|WaitingForDelivery']) {
    await page.waitForFunction((w) => new RegExp('^(' + w + ')$').test(document.querySelector('#order-state .state').textContent), want, { timeout: T });
    states.push(await text(page, '#order-state .state'));
  }
  await page.fill('input[type=number]', '600');
  await page.getByRole('button', { name: 'Advance its clock' }).click();
  await page.waitForFunction(() => document.querySelector('#order-state .state').textContent === 'Done', null, { timeout: T });
  states.push(await text(page, '#order-state .state'));
  await page.waitForFunction(() => [...document.querySelectorAll('#live-frames li code')].some((c) => c.textContent === 'stop'), null, { timeout: T });
  report.states = states;
  report.liveFrames = await page.$$eval('#live-frames li', (ls) => ls.map((l) => l.querySelector('code').textContent + ':' + (l.querySelector('.state')?.textContent || '')));
  report.timelineFrames = await page.$$eval('ol[aria-label^="Timeline"] li.frame', (ls) => ls.map((l) => l.querySelector('code').textContent + ':' + (l.querySelector('.state')?.textContent || '')));
  report.curlShown = await page.$$eval('.action code.curl', (cs) => cs.some((c) => c.textContent.includes(`/__mock/cryptorefills/orders/`) && c.textContent.startsWith('curl -X POST')));
  await shot(page, 'order');

  // A refused request: its reason in the Journal.
  await fetch(base + '/v5/orders/validations', { method: 'POST', headers: cr, body: JSON.stringify({ payment: { type: 'via' }, deliveries: [] }) });
  await page.goto(base + '/ui/journal', { waitUntil: 'domcontentloaded' });
  await page.check('#refused-only');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForSelector('.timeline li.refused .refusal', { timeout: T });
  report.refusal = await text(page, '.timeline li.refused .refusal');
  report.refusalLink = await page.$eval('.timeline li.refused .refusal + a', (a) => a.getAttribute('href'));
  await shot(page, 'journal');

  // An invoice's webhook attempts, with the receiver's status.
  const hook = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(202); res.end(); }); });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${hook.address().port}/payscrypt`;
  await control('POST', '/__mock/payscrypt/webhooks', { pg_wallet_id: 1, url });
  const inv = await fetch(base + '/apis/pg/create_order', { method: 'POST', headers: { 'Content-Type': 'application/json', apikey: 'test-apikey' },
    body: JSON.stringify({ merchant_order_id: 'dash-1', asset_name: 'ETH', target_value: '1000000000000000000', pg_wallet_id: '1' }) }).then((r) => r.json());
  await page.goto(base + '/ui/payscrypt/invoices/' + inv.order.id, { waitUntil: 'domcontentloaded' });
  await page.getByRole('button', { name: 'Pay', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('.timeline li.webhook').length >= 2, null, { timeout: T });
  report.webhooks = await page.$$eval('.timeline li.webhook', (ls) => ls.map((l) => l.querySelector('strong').textContent + ':' + l.querySelector('.state').textContent));
  report.invoiceStatus = await text(page, '#invoice-status .state');
  await page.getByRole('button', { name: 'Duplicate' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('.timeline li.webhook')].filter((l) => l.textContent.includes('duplicate')).length >= 2, null, { timeout: T });
  report.duplicates = true;
  await shot(page, 'invoice');
  await control('DELETE', `/__mock/payscrypt/webhooks?pg_wallet_id=1&url=${encodeURIComponent(url)}`);
  hook.close();

  // Pay part, then pay late, on a second order.
  const late = await createOrder();
  await page.goto(`${base}/ui/cryptorefills/orders/${late}`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('button', { name: 'Pay part' }).click();
  await page.waitForFunction(() => !/received 0(\.0+)? /.test(document.querySelector('main > p').textContent + ' '), null, { timeout: T });
  report.partState = await text(page, '#order-state .state');
  await page.getByRole('button', { name: 'Pay late' }).click();
  await page.waitForFunction(() => document.querySelector('#order-state .state').textContent === 'Expired', null, { timeout: T });
  report.latePayment = await text(page, '#payment-state .state');

  // A tenant's panel arms a problem; the catalogue marks the triggers.
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  const panel = page.locator('details', { hasText: 'Manage cryptorefills:' + partner });
  await panel.locator('summary').click();
  await panel.getByLabel('Problem').selectOption('OUT_OF_STOCK');
  await panel.getByRole('button', { name: 'Arm problem' }).click();
  await page.waitForFunction((p) => [...document.querySelectorAll('tr')].some((r) => r.textContent.includes('cryptorefills:' + p) && r.textContent.includes('problems: OUT_OF_STOCK')), partner, { timeout: T });
  report.armed = true;
  await page.goto(base + '/ui/catalogue', { waitUntil: 'domcontentloaded' });
  await page.getByRole('button', { name: 'Mock Out Of Stock' }).click();
  await page.waitForSelector('h2:text("Mock Out Of Stock")', { timeout: T });
  report.trigger = await page.locator('tr', { hasText: 'mock-out-of-stock' }).locator('.trigger').textContent();
  report.logoImages = await page.$$eval('img', (is) => is.length);
}

// steady: a request every 50 ms (a test suite at work, each one a change on the feed) while
// an order is created; the order must still appear on / without a reload. Reports appearMs,
// or -1 when it had not appeared after 5 s, and the orders table's caption and row count.
async function steady(page) {
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: T });
  let on = true;
  let sent = 0;
  const traffic = (async () => {
    while (on) {
      await fetch(base + '/v3/payment_vias', { headers: cr }).then((r) => r.arrayBuffer(), () => {});
      sent++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await new Promise((r) => setTimeout(r, 600)); // the traffic under way
    const id = await createOrder();
    const t0 = Date.now();
    report.appearMs = await page.waitForSelector(`a[href="/ui/cryptorefills/orders/${id}"]`, { timeout: 5000 }).then(() => Date.now() - t0, () => -1);
  } finally {
    on = false;
    await traffic;
  }
  report.trafficRequests = sent;
  const orders = page.locator('section', { hasText: 'Cryptorefills orders' }).locator('table');
  report.ordersCaption = await orders.locator('caption').textContent();
  report.orderRows = await orders.locator('tbody tr').count();
  const tenants = page.locator('table', { has: page.locator('caption', { hasText: 'tenants' }) });
  report.tenantsCaption = await tenants.locator('caption').textContent();
  report.tenantRows = await tenants.locator('tbody > tr').count();
  // The tenant filter asks the mock for that partner's orders only (and no invoices), and
  // shows that tenant's row alone.
  await page.getByLabel('Tenant').selectOption('cryptorefills:' + partner);
  await page.waitForFunction(() => document.querySelector('section table caption').textContent.startsWith('1 '), null, { timeout: T });
  report.filteredRows = await orders.locator('tbody tr').count();
  report.filteredInvoices = await page.locator('section', { hasText: 'Payscrypt invoices' }).locator('tbody tr').count();
  report.filteredTenantRows = await tenants.locator('tbody > tr').count();
}

async function token(page) {
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#token-dialog[open]', { timeout: T });
  report.asked = true;
  await page.fill('#token-input', tokenArg);
  await page.click('#token-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: T });
  await page.waitForSelector('h2:text("Tenants")', { timeout: T });
  report.stored = await page.evaluate(() => sessionStorage.getItem('cryptomock-control-token') !== null && !location.href.includes('token') && document.cookie === '');
  const id = await createOrder();
  await page.waitForSelector(`a[href="/ui/cryptorefills/orders/${id}"]`, { timeout: T });
  report.worksAfter = true;
}

async function readme(page) {
  mkdirSync(dirname(out), { recursive: true });
  const id = await createOrder();
  await control('POST', `/__mock/cryptorefills/orders/${id}/payments`, { coin_amount: '40' });
  await page.goto(`${base}/ui/cryptorefills/orders/${id}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#order-state', { timeout: T });
  await page.click('#watch');
  await page.waitForFunction(() => document.querySelectorAll('#live-frames li').length >= 1, null, { timeout: T });
  await page.getByRole('button', { name: 'Pay', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('#live-frames li').length >= 3, null, { timeout: T });
  await page.screenshot({ path: out, fullPage: false });
}

const browser = await launch();
let code = 1;
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (err) => { report.pageErrors = [...(report.pageErrors || []), String(err)]; });
  page.on('console', (m) => { if (m.type() === 'error') report.consoleErrors = [...(report.consoleErrors || []), m.text()]; });
  await ({ flow, steady, token, readme })[mode](page);
  process.stdout.write(JSON.stringify({ event: 'done', ...report }) + '\n');
  code = 0;
} catch (err) {
  process.stderr.write(`dashboard: ${err}\n${JSON.stringify(report)}\n`);
} finally {
  await browser.close();
}
process.exit(code);
