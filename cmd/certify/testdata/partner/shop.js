// A scripted partner for certify's passive checks, run as the command after "--": it reads
// CERTIFY_MOCK_URL, CERTIFY_PARTNER, CERTIFY_PG_WALLET_ID, CERTIFY_APIKEY and CERTIFY_PAYSCRYPT_URL, as a
// partner's e2e tests would, and goes through a checkout. MODE (the first argument) is "good"
// or one way of getting it wrong:
//
//   fast-poll        polls the order 1 s apart                       (CR-API-4)
//   skip-validation  creates without validating                      (CR-API-2)
//   ignore-problems  creates a cart whose validation reported problems (CR-API-3)
//   placeholders     sends the documents' END_USER_EMAIL             (CR-API-5)
//   no-version       omits X-Cr-Version                              (CR-API-1)
//   fast-reconnect   reconnects to a dropped stream at once          (CR-API-6)
//   bad-invoice      create_order with a decimal amount, relative callback_url (PS-API-1)
//   quiet            sends nothing at all                            (everything not exercised)
'use strict';
const base = process.env.CERTIFY_MOCK_URL;
const psBase = process.env.CERTIFY_PAYSCRYPT_URL || base;
const partner = process.env.CERTIFY_PARTNER;
const wallet = process.env.CERTIFY_PG_WALLET_ID;
const mode = process.argv[2] || 'good';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function headers() {
  const h = { 'X-Cr-Application': partner, 'X-Cr-Version': 'shop-2.3.1', 'X-Country-ISO-Code': 'US', 'Content-Type': 'application/json', 'User-Agent': 'shop-e2e' };
  if (mode === 'no-version') delete h['X-Cr-Version'];
  return h;
}

async function call(method, path, body) {
  const res = await fetch(base + path, { method, headers: headers(), body: body && JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function cart(email, promo) {
  return {
    email,
    promo_code: promo,
    payment: { type: 'via', payment_via: 'USER_WALLET', coin: 'USDC', network: 'Solana' },
    deliveries: [{ beneficiary_account: email, brand_name: 'Airbnb', country_code: 'US', denomination: '100 USD' }],
    lang: 'en',
  };
}

// Reads a stream until its first message, then leaves.
async function peek(orderId) {
  const ac = new AbortController();
  const res = await fetch(`${base}/v5/orders/${orderId}/subscribe`, { headers: { ...headers(), Accept: 'text/event-stream' }, signal: ac.signal });
  const reader = res.body.getReader();
  let seen = '';
  while (!seen.includes('event: message')) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += Buffer.from(value).toString('utf8');
  }
  ac.abort();
  await reader.cancel().catch(() => {});
}

async function main() {
  if (mode === 'quiet') return;
  const email = mode === 'placeholders' ? 'END_USER_EMAIL' : `buyer-${Date.now()}-${Math.floor(Math.random() * 1e6)}@shop.test`;
  const order = cart(email, mode === 'ignore-problems' ? 'MOCK-NOSUCHCODE' : undefined); // COUPON_NOT_FOUND
  if (mode !== 'skip-validation') {
    const v = await call('POST', '/v5/orders/validations', order);
    if (mode === 'good' && v.body?.problems?.length) throw new Error('validation: ' + JSON.stringify(v.body));
  }
  const created = await call('POST', '/v5/orders', order);
  if (mode === 'ignore-problems' || mode === 'placeholders') return; // refused: nothing to follow
  const id = created.body.order_id;
  await call('GET', `/v5/orders/${id}`);
  await sleep(mode === 'fast-poll' ? 1000 : 5100);
  await call('GET', `/v5/orders/${id}`);
  await peek(id);
  // 1 s after the stream ended as the mock saw it, which is a little after this side let go (the
  // mock notices the closed connection; under a loaded CI machine that took >100 ms once).
  await sleep(mode === 'fast-reconnect' ? 0 : 1600);
  await peek(id);

  const invoice = mode === 'bad-invoice'
    ? { merchant_order_id: 'o-1', asset_name: 'ETH', target_value: '1.5', callback_url: '/thanks', pg_wallet_id: wallet }
    : { merchant_order_id: `o-${Date.now()}`, asset_name: 'ETH', target_value: '1500000000000000000', callback_url: 'https://shop.test/thanks', pg_wallet_id: wallet };
  const res = await fetch(psBase + '/apis/pg/create_order', {
    method: 'POST', headers: { 'Content-Type': 'application/json', apikey: process.env.CERTIFY_APIKEY }, body: JSON.stringify(invoice),
  });
  await res.text();
}

main().catch((err) => { console.error(err); process.exit(1); });
