// cryptomock dashboard: one small script, no dependencies, nothing loaded from elsewhere.
// Every button is a call of the control API, shown beside it as the equivalent curl.
// Everything is built with DOM calls and textContent: no markup from data is ever parsed.
'use strict';

const TOKEN_KEY = 'cryptomock-control-token';
const main = document.getElementById('main');
const live = document.getElementById('live');
const base = location.origin;
const DASH = { 'X-Cr-Application': 'cryptomock-dashboard', 'X-Cr-Version': document.body.dataset.version || 'dashboard' };

// Problem codes of the documents (README "Problem triggers"), for arming.
const PROBLEMS = ['AMOUNT_LESS_THEN_MINIMUM_ALLOWED', 'MAXIMUM_AMOUNT_PER_ORDER_EXCEEDED', 'DAILY_SPENDING_LIMIT_EXCEEDED',
  'MONTHLY_SPENDING_LIMIT_EXCEEDED', 'PRODUCT_COUNT_EXCEEDED', 'MULTIPLE_LIMITED_PRODUCT_SAME_ORDER', 'NOT_AVAILABLE_PRODUCT',
  'OUT_OF_STOCK', 'NOT_ACTIVE', 'INVALID_BENEFICIARY_ACCOUNT', 'NOT_ALLOWED_PAYMENT_VIA', 'UNSUPPORTED_PROTOCOL_COIN_COMBINATION',
  'LOGIN_REQUIRED', 'COUPON_REQUIRES_LOGIN', 'COUPON_NOT_FOUND', 'COUPON_NOT_ACTIVE', 'COUPON_ALREADY_SPENT', 'COUPON_MAX_USAGE_REACHED',
  'COUPON_EXPIRED', 'COUPON_BELOW_MIN_AMOUNT', 'COUPON_NOT_VALID_FOR_USER', 'KYC_MISSING', 'KYC_PENDING', 'VERIFICATION_REQUIRED'];
const FAULTS = ['latency', 'status', 'drop', 'sse_drop', 'sse_stall', 'sse_malformed', 'sse_bad_payload', 'sse_http_error'];
// Catalogue entries that trigger a problem (README "Problem triggers").
const TRIGGERS = { 'Mock Out Of Stock': 'OUT_OF_STOCK', 'Mock Inactive': 'NOT_ACTIVE', 'Mock Micro': 'AMOUNT_LESS_THEN_MINIMUM_ALLOWED',
  'Mock Limited': 'MULTIPLE_LIMITED_PRODUCT_SAME_ORDER (two in one order)', 'Rewarble VISA': 'LOGIN_REQUIRED; MULTIPLE_LIMITED_PRODUCT_SAME_ORDER' };
const GOOD = new Set(['Done', 'SUCCESSFUL', 'delivered']);
const BAD = new Set(['Expired', 'Canceled', 'PaymentFailed', 'PaymentSetupFailed', 'Refunded', 'EXPIRED', 'CANCELED', 'FAILED', 'gave_up']);

// h builds an element: h('a', {href: '/x', class: 'y'}, 'text', child...).
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid !== undefined && kid !== null && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
  return el;
}
const state = (s) => h('span', { class: 'state ' + (GOOD.has(s) ? 'good' : BAD.has(s) ? 'bad' : 'wait') }, s || '—');
const when = (t) => (t ? new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');
const unix = (s) => when(s * 1000);
const table = (caption, heads, rows) => h('table', {}, h('caption', {}, caption),
  h('thead', {}, h('tr', {}, heads.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows));

// --- the control API -------------------------------------------------------------------------
const token = { get: () => sessionStorage.getItem(TOKEN_KEY) || '', set: (v) => sessionStorage.setItem(TOKEN_KEY, v) };

// askToken shows the token dialog once, however many calls are waiting for it.
let asking = null;
function askToken() {
  if (asking) return asking;
  const dialog = document.getElementById('token-dialog');
  asking = new Promise((resolve) => {
    const form = document.getElementById('token-form');
    form.onsubmit = (e) => {
      e.preventDefault();
      token.set(document.getElementById('token-input').value.trim());
      dialog.close();
      resolve();
    };
    if (!dialog.open) dialog.showModal();
    document.getElementById('token-input').focus();
  }).finally(() => { asking = null; });
  return asking;
}

function headers(extra) {
  const hd = { Accept: 'application/json', ...extra };
  if (token.get()) hd.Authorization = 'Bearer ' + token.get();
  return hd;
}

// api calls the mock; a 401 asks for the token once and tries again.
async function api(method, path, body, extra) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(base + path, { method, headers: headers(body === undefined ? extra : { 'Content-Type': 'application/json', ...extra }),
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401 && path.startsWith('/__mock/') && attempt < 3) { await askToken(); continue; }
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, json, text };
  }
}

function curl(method, path, body) {
  let c = `curl -X ${method} '${base}${path}'`;
  if (token.get()) c += " -H 'Authorization: Bearer $CRYPTOMOCK_CONTROL_TOKEN'";
  if (body !== undefined) c += ` -H 'Content-Type: application/json' -d '${JSON.stringify(body)}'`;
  return c;
}

const notice = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite', hidden: true });
function say(text, error) {
  notice.textContent = text;
  notice.className = 'notice' + (error ? ' error' : '');
  notice.hidden = false;
}

// action is a button that makes one control call (body may be a function reading inputs),
// with its curl beside it, updated as the inputs change.
function action(label, method, path, body, inputs) {
  const code = h('code', { class: 'curl' });
  const bodyOf = () => (typeof body === 'function' ? body() : body);
  const pathOf = () => (typeof path === 'function' ? path() : path);
  const show = () => { code.textContent = curl(method, pathOf(), bodyOf()); };
  const button = h('button', { type: 'button', onclick: async () => {
    button.disabled = true;
    try {
      const r = await api(method, pathOf(), bodyOf());
      if (r.status >= 400) say(`${label}: ${r.status} ${r.json?.message || r.text}`, true);
      else say(`${label}: done (${r.status}).`);
      await refresh();
    } catch (err) { say(`${label}: ${err}`, true); }
    button.disabled = false;
  } }, label);
  for (const i of inputs || []) i.addEventListener('input', show);
  show();
  return h('div', { class: 'action' }, button, ' ', inputs || [], code);
}

function field(label, attrs) {
  const id = 'f-' + Math.random().toString(36).slice(2, 9);
  const input = h(attrs.options ? 'select' : 'input', { id, ...attrs, options: undefined },
    (attrs.options || []).map((o) => h('option', { value: o }, o || 'all')));
  const wrap = h('span', {}, h('label', { for: id }, label), input);
  wrap.input = input;
  return wrap;
}

// --- live updates ----------------------------------------------------------------------------
let refreshTimer = null;
let current = null; // the view's render function
let refreshing = null; // the refresh running, if any
let again = false; // a refresh was asked for while one ran
// refresh renders the current view. One runs at a time: asked again meanwhile (a filter
// changed, a change came), it runs once more after, so a slower, older fetch never draws over
// a newer one.
function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      if (current) await current();
    } while (again);
  })().finally(() => { refreshing = null; });
  return refreshing;
}
// soon refreshes the view 150 ms after a change, then at most once per 150 ms while changes
// keep coming (a timer restarted on every change would wait for a pause that steady traffic
// never leaves).
function soon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refresh().catch(() => {});
  }, 150);
}

// frames reads an event stream from a fetch response, calling onFrame({event, id, data}) per
// frame (comments and retry hints come with no event).
async function frames(res, onFrame) {
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const raw = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const field = (name) => new RegExp('^' + name + ': ?(.*)$', 'm').exec(raw)?.[1];
      onFrame({ event: field('event'), id: field('id'), data: field('data') || '' });
    }
  }
}

// follow reads the mock's change stream (fetch, not EventSource: it carries the token).
async function follow() {
  for (let wait = 500; ; wait = Math.min(wait * 2, 10000)) {
    try {
      const res = await fetch(base + '/__mock/events', { headers: headers({ Accept: 'text/event-stream' }) });
      if (res.status === 401) { live.textContent = 'needs the control token'; live.classList.add('down'); await askToken(); continue; }
      if (!res.ok || !res.body) throw new Error('status ' + res.status);
      live.textContent = 'live'; live.classList.remove('down');
      wait = 500;
      await frames(res, (f) => { if (f.event === 'change' || f.event === 'resync') soon(); });
    } catch { /* reconnect below */ }
    live.textContent = 'reconnecting…'; live.classList.add('down');
    await new Promise((r) => setTimeout(r, wait));
  }
}

// --- views -----------------------------------------------------------------------------------
const SHOWN = 200; // orders and invoices listed on the overview: the newest
const SHOWN_TENANTS = 100; // tenants listed on the overview, with their panels
function render(...nodes) {
  const y = window.scrollY;
  main.replaceChildren(notice, ...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
  window.scrollTo(0, y);
}

async function overview() {
  const f = overview.filters || (overview.filters = { tenant: '', state: '' });
  // The newest SHOWN of each list, filtered by the mock (a full store holds 10,000 of each).
  const [kind, who] = f.tenant ? f.tenant.split(/:(.*)/) : ['', ''];
  // A list of the tenant's API (or of both when none is picked), else nothing.
  const list = (which, path, tenantParam, stateParam) => {
    if (kind && kind !== which) return Promise.resolve({ json: { orders: [], total: 0 } });
    const q = new URLSearchParams({ limit: String(SHOWN) });
    if (who) q.set(tenantParam, who);
    if (f.state) q.set(stateParam, f.state);
    return api('GET', path + '?' + q);
  };
  const [t, o, i] = await Promise.all([api('GET', '/__mock/tenants'),
    list('cryptorefills', '/__mock/cryptorefills/orders', 'partner', 'state'),
    list('payscrypt', '/__mock/payscrypt/orders', 'pg_wallet_id', 'status')]);
  const tenants = t.json?.tenants || [];
  // The filtered tenant, or the first SHOWN_TENANTS by name: a long-lived team mock can know
  // thousands (a partner per CI run), each row with its panel.
  const shownTenants = f.tenant ? tenants.filter((x) => x.tenant === f.tenant) : tenants.slice(0, SHOWN_TENANTS);
  const tenantCaption = (all, shown) => (shown < all ? `${shown} of ${all} tenants (by name; the Tenant filter picks one)` : `${all} tenants`);
  const orders = o.json?.orders || [];
  const invoices = i.json?.orders || [];
  const caption = (shown, total, what) => (total > shown ? `the newest ${shown} of ${total} ${what}` : `${shown} ${what}, newest first`);
  const tenantSel = field('Tenant', { options: ['', ...tenants.map((x) => x.tenant)] });
  tenantSel.input.value = f.tenant;
  tenantSel.input.onchange = () => { f.tenant = tenantSel.input.value; refresh(); };
  const states = [...new Set([f.state, ...orders.map((x) => x.order_state), ...invoices.map((x) => x.status)].filter(Boolean))];
  const stateSel = field('State', { options: ['', ...states] });
  stateSel.input.value = f.state;
  stateSel.input.onchange = () => { f.state = stateSel.input.value; refresh(); };
  render(
    h('h1', {}, 'Overview'),
    h('h2', {}, 'Tenants'),
    table(tenantCaption(tenants.length, shownTenants.length), ['tenant', 'clock', 'orders', 'armed', 'manage'], shownTenants.map(tenantRow)),
    h('div', { class: 'filters', role: 'group', 'aria-label': 'Filters' }, tenantSel, stateSel),
    h('div', { class: 'grid' },
      h('section', {}, h('h2', {}, 'Cryptorefills orders'), table(caption(orders.length, o.json?.total || 0, 'orders'), ['order', 'partner', 'order_state', 'payment_state', 'amount'],
        orders.map((x) => h('tr', {}, h('td', {}, h('a', { href: '/ui/cryptorefills/orders/' + encodeURIComponent(x.order_id) }, x.order_id)),
          h('td', {}, x.partner), h('td', {}, state(x.order_state)), h('td', {}, x.payment_state), h('td', {}, `${x.coin_amount} ${x.coin}`))))),
      h('section', {}, h('h2', {}, 'Payscrypt invoices'), table(caption(invoices.length, i.json?.total || 0, 'invoices'), ['invoice', 'pg_wallet_id', 'status', 'paid'],
        invoices.map((x) => h('tr', {}, h('td', {}, h('a', { href: '/ui/payscrypt/invoices/' + x.id }, x.id)), h('td', {}, x.pg_wallet_id),
          h('td', {}, state(x.status)), h('td', {}, `${x.value} / ${x.target_value} ${x.asset_name}`)))))));
}

function tenantRow(t) {
  const who = t.kind === 'partner' ? { partner: t.id } : { pg_wallet_id: Number(t.id) };
  const secs = field('Seconds', { type: 'number', min: '0', value: '3600', size: '6' });
  const codes = field('Problem', { options: PROBLEMS });
  const kind = field('Fault', { options: FAULTS });
  const op = field('Operation', { value: 'getOrder', size: '12' });
  const status = field('Status', { type: 'number', value: '503', size: '4' });
  const faultBody = () => {
    const b = { kind: kind.input.value, operation: op.input.value || undefined, count: 1 };
    b.partner = t.kind === 'partner' ? t.id : t.apikey; // faults name a merchant by its api key
    if (['status', 'sse_http_error'].includes(b.kind)) b.status = Number(status.input.value);
    return b;
  };
  const manage = [action('Advance clock', 'POST', '/__mock/clock/advance', () => ({ seconds: Number(secs.input.value), ...who }), [secs])];
  if (t.kind === 'partner') {
    manage.push(action('Arm problem', 'POST', '/__mock/cryptorefills/problems', () => ({ partner: t.id, problems: [codes.input.value], count: 1 }), [codes]),
      action('Arm fault', 'POST', '/__mock/faults', faultBody, [kind, op, status]),
      action('Reset partner', 'POST', '/__mock/reset', { partner: t.id }));
  } else if (t.apikey) {
    op.input.value = 'createPaymentOrder';
    manage.push(action('Arm fault', 'POST', '/__mock/faults', faultBody, [kind, op, status]));
  }
  const counts = Object.entries(t.by_state || {}).map(([s, n]) => `${n} ${s}`).join(', ');
  return h('tr', {}, h('td', {}, h('strong', {}, t.tenant), t.name ? h('div', { class: 'muted' }, t.name) : null),
    h('td', {}, when(t.clock.time), h('div', { class: 'muted' }, `offset ${Math.round(t.clock.offset_seconds)} s`)),
    h('td', {}, `${t.orders}`, counts ? h('div', { class: 'muted' }, counts) : null),
    h('td', {}, t.problems.length ? 'problems: ' + t.problems.join(', ') : '', t.faults ? ` faults: ${t.faults}` : '', (!t.problems.length && !t.faults) ? '—' : ''),
    h('td', {}, h('details', {}, h('summary', {}, 'Manage ' + t.tenant), h('div', { class: 'actions' }, manage))));
}

function bodyBlock(label, text) {
  if (!text) return null;
  let pretty = text;
  try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch { /* as it was */ }
  return h('details', {}, h('summary', {}, label), h('pre', {}, pretty));
}

function specLink(e) {
  const spec = e.path.startsWith('/apis/') || e.path.startsWith('/payment/') ? 'payscrypt.yaml' : 'cryptorefills.yaml';
  return e.operation ? h('a', { href: `/ui/specs/${spec}#op-${e.operation}` }, `what ${e.operation} accepts`) : h('a', { href: '/ui/specs/' + spec }, 'the operations it has');
}

function requestItem(e) {
  const refused = e.status >= 400 || e.status === 0;
  return { at: e.received_at, node: h('li', { class: 'request' + (refused ? ' refused' : '') },
    h('span', { class: 'kind' }, 'request'), when(e.received_at), ' ', h('code', {}, `${e.method} ${e.path}${e.query ? '?' + e.query : ''}`), ' → ',
    h('strong', {}, e.status || 'dropped'), e.operation ? h('span', { class: 'muted' }, ` ${e.operation}`) : null,
    e.stream ? h('span', { class: 'muted' }, ` stream: ${e.stream.events} events${e.stream.stop ? ', ended with stop' : ', ended without stop'}`) : null,
    refused && e.refusal ? h('div', {}, h('span', { class: 'refusal' }, 'Refused: ' + e.refusal), ' — ', specLink(e)) : null,
    bodyBlock('request body', e.request_body), bodyBlock('response body', e.response_body),
    h('details', {}, h('summary', {}, 'headers'), h('pre', {}, Object.entries(e.headers || {}).map(([k, v]) => `${k}: ${v}`).join('\n')))) };
}

function webhookItem(a) {
  return { at: a.sent_at || a.time, node: h('li', { class: 'webhook' }, h('span', { class: 'kind' }, 'webhook'), when(a.sent_at || a.time), ' ',
    `${a.kind} ${a.delivery_id} attempt ${a.attempt} (${a.order_status}) to `, h('code', {}, a.url), ' → ',
    h('strong', {}, a.status || 'no answer'), ` in ${Math.round(a.latency_ms)} ms, `, state(a.outcome), a.error ? h('span', { class: 'muted' }, ' ' + a.error) : null) };
}

function timeline(items, next, tenantTime) {
  items.sort((a, b) => new Date(a.at) - new Date(b.at));
  return [h('h2', {}, 'Timeline'), h('p', { class: 'muted' }, `The tenant's clock reads ${when(tenantTime)}.`),
    next.length ? h('div', { class: 'card' }, h('h3', {}, 'Next scheduled (tenant clock)'),
      h('ul', {}, next.map((n) => h('li', {}, when(n.at), ' — ', n.what)))) : h('p', { class: 'muted' }, 'Nothing scheduled.'),
    h('ol', { class: 'timeline', 'aria-label': 'Timeline, oldest first' }, items.map((x) => x.node))];
}

const streamView = { id: null, frames: [], abort: null };

async function order(id) {
  const r = await api('GET', '/__mock/cryptorefills/orders/' + encodeURIComponent(id));
  if (r.status !== 200) return render(h('h1', {}, 'Order ' + id), h('p', { class: 'notice error' }, `${r.status}: ${r.json?.message || r.text}`));
  const t = r.json; const o = t.order; const s = t.summary;
  const p = '/__mock/cryptorefills/orders/' + encodeURIComponent(id);
  const due = Math.max(0, Number(s.coin_amount) - Number(s.sent_coin_amount));
  const part = field('Amount', { value: (due / 2).toFixed(2), size: '8' });
  const secs = field('Seconds', { type: 'number', min: '0', value: '600', size: '6' });
  const items = [...t.requests.map(requestItem), ...t.webhooks.map(webhookItem), ...t.frames.map((f) => {
    let st = '';
    try { st = JSON.parse(f.data).order_state || ''; } catch { /* not JSON */ }
    return { at: f.sent_at, node: h('li', { class: 'frame' }, h('span', { class: 'kind' }, 'sse frame'), when(f.sent_at), ` id ${f.id} `,
      h('code', {}, f.event), ' ', st ? state(st) : null, ` to ${f.subscribers} subscriber${f.subscribers === 1 ? '' : 's'}`, bodyBlock('data', f.data)) };
  })];
  const transitions = ['deliver', 'fail_delivery', 'manual_review', 'refund', 'cancel', 'expire', 'fail_payment', 'request_payment', 'payment_started', 'partial_payment_started'];
  const frames = h('ol', { id: 'live-frames', class: 'timeline', 'aria-label': 'Frames received' }, streamView.id === id ? streamView.frames.map(frameNode) : []);
  render(h('h1', {}, 'Order ', h('code', { id: 'order-id' }, id)),
    h('p', {}, 'order_state ', h('span', { id: 'order-state' }, state(s.order_state)), '  payment_state ', h('span', { id: 'payment-state' }, state(s.payment_state)),
      `  partner ${s.partner}  ·  ${s.coin_amount} ${s.coin}${s.network ? ' on ' + s.network : ''}, received ${s.sent_coin_amount}  ·  expires ${unix(s.expires_at)}`),
    h('h2', {}, 'Drive it'),
    h('div', { class: 'actions' },
      action('Pay', 'POST', p + '/payments', {}),
      action('Pay part', 'POST', p + '/payments', () => ({ coin_amount: part.input.value }), [part]),
      action('Overpay', 'POST', p + '/payments', { coin_amount: (Number(s.coin_amount) * 1.1).toFixed(2) }),
      payLate(p),
      action('Advance its clock', 'POST', '/__mock/clock/advance', () => ({ seconds: Number(secs.input.value), order_id: id }), [secs])),
    h('details', {}, h('summary', {}, 'Every transition'), h('div', { class: 'actions' }, transitions.map((a) => action(a, 'POST', p + '/transitions', { action: a })))),
    h('h2', {}, 'Its event stream'),
    h('p', {}, h('button', { type: 'button', class: 'quiet', id: 'watch', onclick: () => watch(id, s.partner) }, streamView.abort && streamView.id === id ? 'Watching…' : 'Watch the stream'),
      h('span', { class: 'muted' }, ` GET /v5/orders/${id}/subscribe as partner ${s.partner}`)),
    frames,
    ...timeline(items, t.next, t.tenant_time),
    h('details', {}, h('summary', {}, 'The order as GET /v5/orders/{orderId} answers it'), h('pre', {}, JSON.stringify(o, null, 2))));
}

// Pay late: the order expires, then the payment arrives (payment_state ExpiredAfterPaymentDetection).
function payLate(p) {
  const a = action('Pay late', 'POST', p + '/transitions', { action: 'expire' });
  const button = a.querySelector('button');
  const code = a.querySelector('code');
  code.textContent += '\n' + curl('POST', p + '/payments', {});
  button.replaceWith(h('button', { type: 'button', onclick: async () => {
    const r1 = await api('POST', p + '/transitions', { action: 'expire' });
    const r2 = r1.status < 400 ? await api('POST', p + '/payments', {}) : r1;
    say(r2.status < 400 ? 'Pay late: expired, then paid.' : `Pay late: ${r2.status} ${r2.json?.message || r2.text}`, r2.status >= 400);
    refresh();
  } }, 'Pay late'));
  return a;
}

function frameNode(f) {
  return h('li', { class: 'frame' }, h('span', { class: 'kind' }, 'received'), `${f.at} id ${f.id || '—'} `, h('code', {}, f.event), ' ', f.state ? state(f.state) : null);
}

// watch follows the order's stream as a client would, showing every frame as it arrives.
async function watch(id, partner) {
  if (streamView.abort) streamView.abort.abort();
  streamView.id = id; streamView.frames = []; streamView.abort = new AbortController();
  const list = document.getElementById('live-frames');
  try {
    const res = await fetch(`${base}/v5/orders/${encodeURIComponent(id)}/subscribe`, { signal: streamView.abort.signal,
      headers: { ...DASH, 'X-Cr-Application': partner, Accept: 'text/event-stream' } });
    await frames(res, (raw) => {
      if (!raw.event) return;
      let st = '';
      try { st = JSON.parse(raw.data).order_state || ''; } catch { /* not JSON */ }
      const f = { at: new Date().toISOString().slice(11, 23), id: raw.id, event: raw.event, state: st };
      streamView.frames.push(f);
      (document.getElementById('live-frames') || list).append(frameNode(f));
    });
  } catch { /* left or dropped */ }
  streamView.abort = null;
}

async function invoice(id) {
  const r = await api('GET', '/__mock/payscrypt/orders/' + encodeURIComponent(id));
  if (r.status !== 200) return render(h('h1', {}, 'Invoice ' + id), h('p', { class: 'notice error' }, `${r.status}: ${r.json?.message || r.text}`));
  const t = r.json; const v = t.invoice;
  const p = '/__mock/payscrypt/orders/' + encodeURIComponent(id);
  const part = field('Value', { value: (BigInt(v.target_value) / 2n).toString(), size: '22' });
  const conf = field('Confirmations', { type: 'number', min: '1', value: '1', size: '4' });
  const untilExpiry = Math.max(1, v.expired_at - Math.floor(new Date(t.tenant_time).getTime() / 1000) + 1);
  render(h('h1', {}, 'Invoice ', h('code', {}, id)),
    h('p', {}, 'status ', h('span', { id: 'invoice-status' }, state(v.status)), `  pg_wallet_id ${v.pg_wallet_id}  ·  ${v.value} of ${v.target_value} (${v.asset_name}, smallest unit)`,
      `  ·  confirmations ${v.confirmations}/${v.target_confirmations}  ·  expires ${unix(v.expired_at)}`),
    h('p', {}, h('a', { href: '/pay/' + id }, 'Its payment page')),
    h('h2', {}, 'Drive it'),
    h('div', { class: 'actions' },
      action('Pay', 'POST', p + '/payments', {}),
      action('Pay part', 'POST', p + '/payments', () => ({ value: part.input.value }), [part]),
      action('Add confirmations', 'POST', p + '/payments', () => ({ confirmations: Number(conf.input.value) }), [conf]),
      action('Cancel', 'POST', p + '/cancel'),
      action('Expire', 'POST', '/__mock/clock/advance', { seconds: untilExpiry, pg_wallet_id: v.pg_wallet_id })),
    h('h2', {}, 'Its webhooks'),
    h('div', { class: 'actions' },
      action('Send again', 'POST', p + '/webhooks', { mode: 'resend' }),
      action('Duplicate', 'POST', p + '/webhooks', { mode: 'duplicate' }),
      action('Forged', 'POST', p + '/webhooks', { mode: 'forged', status: v.status === 'SUCCESSFUL' ? 'CANCELED' : 'SUCCESSFUL' }),
      action('Out of order', 'POST', p + '/webhooks', { mode: 'out_of_order' })),
    ...timeline([...t.requests.map(requestItem), ...t.webhooks.map(webhookItem)], t.next, t.tenant_time));
}

async function journal() {
  const f = journal.filters || (journal.filters = { tenant: '', path: '', status: '', refused: false });
  const q = new URLSearchParams({ limit: '500' });
  if (f.tenant) q.set('partner', f.tenant);
  if (f.path) q.set('path', f.path);
  if (f.status) q.set('status', f.status); // the mock says what is wrong with one that is no status
  if (f.refused) q.set('refused', 'true');
  // Filtered by the mock: a refusal among thousands of answers is found, not just in the newest 500.
  const r = await api('GET', '/__mock/journal?' + q);
  if (r.status >= 400) say(`Journal: ${r.json?.message || r.text}`, true);
  const entries = (r.json?.entries || []).reverse();
  const tenant = field('Tenant', { value: f.tenant, size: '14' });
  const path = field('Path starts with', { value: f.path, size: '14' });
  const status = field('Status', { value: f.status, size: '4' });
  const refused = h('input', { type: 'checkbox', id: 'refused-only', checked: f.refused });
  const apply = h('button', { type: 'button', onclick: () => {
    Object.assign(f, { tenant: tenant.input.value.trim(), path: path.input.value.trim(), status: status.input.value.trim(), refused: refused.checked });
    refresh();
  } }, 'Filter');
  render(h('h1', {}, 'Journal'),
    h('p', { class: 'muted' }, `Requests to both APIs, newest first (${r.json?.capacity ?? '?'} kept at most). A refused request says what was wrong and links to what the operation accepts.`),
    h('div', { class: 'filters', role: 'group', 'aria-label': 'Journal filters' }, tenant, path, status, h('span', {}, refused, h('label', { for: 'refused-only' }, ' refused only')), apply),
    h('ol', { class: 'timeline', 'aria-label': 'Journal entries' }, entries.map((e) => requestItem(e).node)));
}

async function webhooks() {
  const [ps, cr] = await Promise.all([api('GET', '/__mock/payscrypt/webhooks/deliveries?limit=500'), api('GET', '/__mock/cryptorefills/webhooks/deliveries?limit=500')]);
  const attempts = [...(ps.json?.attempts || []), ...(cr.json?.attempts || [])].sort((a, b) => b.seq - a.seq);
  const pending = [...(ps.json?.pending || []), ...(cr.json?.pending || [])];
  render(h('h1', {}, 'Webhooks'),
    h('h2', {}, 'Retries scheduled'),
    pending.length ? table('On each tenant\'s clock', ['delivery', 'url', 'attempts so far', 'next attempt'],
      pending.map((x) => h('tr', {}, h('td', {}, x.delivery_id), h('td', {}, h('code', {}, x.url)), h('td', {}, x.attempts), h('td', {}, when(x.due)))))
      : h('p', { class: 'muted' }, 'None.'),
    table(`${attempts.length} attempts, newest first`, ['time', 'order', 'delivery', 'url', 'status', 'outcome', 'again'],
      attempts.map((a) => {
        const isInvoice = /^\d+$/.test(a.order_id);
        return h('tr', {}, h('td', {}, when(a.sent_at || a.time)),
          h('td', {}, h('a', { href: (isInvoice ? '/ui/payscrypt/invoices/' : '/ui/cryptorefills/orders/') + encodeURIComponent(a.order_id) }, a.order_id), ` ${a.order_status}`),
          h('td', {}, `${a.kind} ${a.delivery_id} #${a.attempt}`), h('td', {}, h('code', {}, a.url)),
          h('td', {}, `${a.status || 'no answer'} in ${Math.round(a.latency_ms)} ms`), h('td', {}, state(a.outcome)),
          h('td', {}, isInvoice ? action('Resend', 'POST', `/__mock/payscrypt/orders/${a.order_id}/webhooks`, { mode: 'resend' }) : '—'));
      })));
}

async function catalogue() {
  const f = catalogue.filters || (catalogue.filters = { country: 'US', family: '' });
  const hd = { ...DASH, 'X-Country-ISO-Code': f.country };
  const brands = await api('GET', '/v2/brands?country_code=' + encodeURIComponent(f.country), undefined, hd);
  const country = field('Country', { value: f.country, size: '3', maxlength: '2' });
  const go = h('button', { type: 'button', onclick: () => { f.country = country.input.value.trim().toUpperCase(); f.family = ''; refresh(); } }, 'Show');
  const list = brands.json?.all_brands || [];
  let products = null;
  if (f.family) {
    const r = await api('GET', `/v5/products/country/${encodeURIComponent(f.country)}?family_name=${encodeURIComponent(f.family)}`, undefined, hd);
    products = h('section', {}, h('h2', {}, f.family), (Array.isArray(r.json) ? r.json : []).map((fam) => table(`${fam.brand} (${fam.kind})`,
      ['denomination', 'price', 'product_id', 'delivery'], (fam.products || []).map((x) => h('tr', {}, h('td', {}, x.denomination || x.localized_denomination),
        h('td', {}, `${x.coin_amount ?? ''} ${x.coin ?? ''}`), h('td', {}, h('code', {}, x.product_id)), h('td', {}, x.delivery_type))))));
  }
  render(h('h1', {}, 'Catalogue'),
    h('p', { class: 'muted' }, 'As the public API serves it (these calls are journaled as partner cryptomock-dashboard). Logos are on the vendor\'s CDN: shown as addresses, never loaded.'),
    h('div', { class: 'filters' }, country, go),
    brands.status !== 200 ? h('p', { class: 'notice error' }, `${brands.status}: ${brands.text}`) : null,
    products,
    table(`${list.length} brands in ${f.country}`, ['brand', 'family', 'kind', 'range', 'logo', 'triggers'], list.map((b) => h('tr', {},
      h('td', {}, h('button', { type: 'button', class: 'quiet', onclick: () => { f.family = b.family; refresh(); } }, b.brand)),
      h('td', {}, b.family), h('td', {}, b.kind), h('td', {}, `${b.min ?? ''} – ${b.max ?? ''}`), h('td', {}, h('code', {}, b.logo_url || '')),
      h('td', {}, TRIGGERS[b.brand] ? h('span', { class: 'trigger' }, TRIGGERS[b.brand]) : (b.is_out_of_stock ? h('span', { class: 'trigger' }, 'OUT_OF_STOCK') : ''))))));
}

async function specs() {
  const r = await api('GET', '/__mock/');
  render(h('h1', {}, 'Specs'),
    h('ul', {}, (r.json?.specs || []).map((s) => {
      const name = s.split('/').pop();
      return h('li', {}, h('a', { href: '/ui/specs/' + name }, name), ' — ', h('a', { href: s, download: name }, 'download'));
    })),
    h('p', { class: 'muted' }, 'Each spec cites its source per operation; openapi/README.md in the repository lists the choices made where the documents are silent.'));
}

// --- routing ---------------------------------------------------------------------------------
function route() {
  const path = location.pathname;
  let m;
  if ((m = path.match(/^\/ui\/cryptorefills\/orders\/([^/]+)$/))) return () => order(decodeURIComponent(m[1]));
  if ((m = path.match(/^\/ui\/payscrypt\/invoices\/([^/]+)$/))) return () => invoice(decodeURIComponent(m[1]));
  return { '/ui/journal': journal, '/ui/webhooks': webhooks, '/ui/catalogue': catalogue, '/ui/specs': specs }[path] || overview;
}

current = route();
refresh().catch((err) => say(String(err), true));
follow();
