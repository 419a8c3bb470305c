// A reference partner app for certify's tests: a stream route written after the documents'
// Next.js route (section 9a) and a Payscrypt webhook receiver that re-checks every webhook with
// get_public_order, as payscrypt.txt demands. BROKEN (comma-separated) breaks one requirement
// at a time, the way real integrations get it wrong:
//
//   buffer        buffers the whole upstream stream, sends it at the end     (CR-SSE-3)
//   drop-stop     relays everything but the stop event                       (CR-SSE-4)
//   no-headers    calls upstream without X-Cr-Application / X-Cr-Version     (CR-SSE-2)
//   bad-headers   answers without Cache-Control no-transform / X-Accel-Buffering (CR-SSE-1)
//   500-on-down   answers 500 when the upstream cannot be reached            (CR-SSE-5)
//   flatten       answers 502 to every upstream error                        (CR-SSE-6)
//   never-close   keeps reading upstream after the browser left              (CR-SSE-7)
//   webhook-500   re-checks, then answers webhooks 500                       (PS-WH-1)
//   no-recheck    trusts webhooks, never calls get_public_order              (PS-WH-2..4)
//   slow          answers webhooks after 6 s                                 (PS-WH-1)
//   forged-500    answers 500 when the webhook disagrees with get_public_order (PS-WH-3)
//   unknown-500   answers 500 for an invoice get_public_order does not know  (PS-WH-5)
//
// Env: MOCK_URL (the upstream), PARTNER, PORT (0: any; the chosen port is printed as
// "listening <port>"). No dependencies beyond Node itself.
'use strict';
const http = require('node:http');
const { Readable } = require('node:stream');

const upstream = process.env.MOCK_URL;
const partner = process.env.PARTNER || 'reference-shop';
const broken = new Set((process.env.BROKEN || '').split(',').filter(Boolean));

// genHeader.server(session) of the documents: the partner's server headers.
function serverHeaders() {
  if (broken.has('no-headers')) return {};
  return { 'X-Cr-Application': partner, 'X-Cr-Version': 'reference-1.0', 'X-Country-ISO-Code': 'US' };
}

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function subscribe(req, res, orderId) {
  const abort = new AbortController();
  if (!broken.has('never-close')) req.on('close', () => abort.abort());
  let up;
  try {
    up = await fetch(`${upstream}/v5/orders/${encodeURIComponent(orderId)}/subscribe`, {
      method: 'GET',
      headers: { ...serverHeaders(), 'User-Agent': req.headers['user-agent'] || 'reference-app', Accept: 'text/event-stream' },
      signal: abort.signal,
    });
  } catch (err) {
    if (broken.has('500-on-down')) return json(res, 500, { error: 'internal error' });
    return json(res, 502, { error: 'Failed to connect to upstream stream' });
  }
  if (!up.ok || !up.body) {
    up.body?.cancel().catch(() => {});
    return json(res, broken.has('flatten') ? 502 : up.status || 502, { error: 'Upstream returned an error' });
  }
  const headers = broken.has('bad-headers')
    ? { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' }
    : { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' };
  res.writeHead(200, headers);
  res.flushHeaders();
  const body = Readable.fromWeb(up.body);
  body.on('error', () => res.end());
  if (broken.has('buffer')) {
    const chunks = [];
    body.on('data', (c) => chunks.push(c));
    body.on('end', () => res.end(Buffer.concat(chunks)));
    return;
  }
  if (broken.has('drop-stop')) {
    let pending = '';
    body.on('data', (c) => {
      pending += c.toString('utf8');
      const frames = pending.split('\n\n');
      pending = frames.pop();
      for (const f of frames) if (!/^event: stop$/m.test(f)) res.write(f + '\n\n');
    });
    body.on('end', () => res.end());
    return;
  }
  if (broken.has('never-close')) {
    body.on('data', (c) => { if (!res.destroyed) res.write(c); });
    body.on('end', () => res.end());
    return;
  }
  body.pipe(res);
}

// The webhook receiver: never trust the body, re-check with get_public_order.
async function webhook(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  let hook;
  try {
    hook = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return json(res, 400, { error: 'not JSON' });
  }
  if (broken.has('slow')) await new Promise((r) => setTimeout(r, 6000));
  if (broken.has('no-recheck')) return json(res, 200, { ok: true, trusted: hook.status });
  const check = await fetch(`${upstream}/apis/pg/get_public_order`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: String(hook.id) }),
  });
  if (check.status === 404) {
    return broken.has('unknown-500') ? json(res, 500, { error: 'unknown order' }) : json(res, 200, { ignored: 'unknown order' });
  }
  const verified = (await check.json())?.order?.status ?? 'PENDING';
  // Re-checks, records, then fails to answer: the gateway sees 500 and retries.
  if (broken.has('webhook-500')) return json(res, 500, { error: 'boom' });
  // A handler that crashes when a webhook claims more than the gateway confirms.
  if (broken.has('forged-500') && hook.status === 'SUCCESSFUL' && verified !== 'SUCCESSFUL') return json(res, 500, { error: 'status mismatch' });
  return json(res, 200, { ok: true, verified });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const m = url.pathname.match(/^\/api\/orders\/([^/]+)\/subscribe$/);
  const done = (p) => p.catch((err) => { if (!res.headersSent) json(res, 500, { error: String(err) }); else res.end(); });
  if (req.method === 'GET' && m) return done(subscribe(req, res, decodeURIComponent(m[1])));
  if (req.method === 'POST' && url.pathname === '/webhooks/payscrypt') return done(webhook(req, res));
  json(res, 404, { error: 'not found' });
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
// Stop with the test that started us, even if it dies without killing us.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
