// The documents' client hook (section 9a), run in Node with the `eventsource` package instead
// of a browser: a new EventSource per connection, payloads checked before use, `stop` ends it
// for good, any other error reconnects with exponential backoff (1 s doubling to 30 s).
// The partner headers are added the way the documents' server-side route adds them.
//
// usage: node node-client.mjs <subscribe URL> <partner id>
// prints one JSON line per thing that happens; exits 0 after `stop`, 2 at the deadline.
import { EventSource } from 'eventsource';

const [url, partner] = process.argv.slice(2);
const log = (o) => process.stdout.write(JSON.stringify(o) + '\n');
// Stand-in for the documents' orderSchema.safeParse.
const isOrder = (o) => o !== null && typeof o === 'object' && typeof o.order_id === 'string' &&
  typeof o.order_state === 'string' && Array.isArray(o.deliveries);

let es = null;
let stopped = false;
let shouldReconnect = true;
let retryTimeout = null;
let retryDelay = 1000;

const cleanup = () => {
  if (es) { es.close(); es = null; }
  if (retryTimeout !== null) { clearTimeout(retryTimeout); retryTimeout = null; }
};
const stopForever = () => { shouldReconnect = false; stopped = true; cleanup(); };

const connect = () => {
  if (stopped) return;
  cleanup();
  es = new EventSource(url, {
    fetch: (input, init) => fetch(input, {
      ...init,
      headers: { ...init.headers, 'X-Cr-Application': partner, 'X-Cr-Version': '1.0' },
    }),
  });
  es.onopen = () => log({ event: 'open' });
  es.addEventListener('message', (ev) => {
    try {
      const raw = JSON.parse(ev.data);
      if (!isOrder(raw)) { log({ event: 'invalid' }); return; }
      retryDelay = 1000;
      log({ event: 'message', id: ev.lastEventId, state: raw.order_state });
    } catch (err) {
      log({ event: 'unparsable' });
    }
  });
  es.addEventListener('stop', () => {
    log({ event: 'stop' });
    stopForever();
    process.exit(0);
  });
  es.onerror = () => {
    if (stopped || !shouldReconnect) return;
    log({ event: 'error', retryIn: retryDelay });
    cleanup();
    retryTimeout = setTimeout(() => {
      retryDelay = Math.min(retryDelay * 2, 30000);
      connect();
    }, retryDelay);
  };
};

connect();
setTimeout(() => { log({ event: 'deadline' }); process.exit(2); }, Number(process.env.DEADLINE_MS || 30000)).unref?.();
