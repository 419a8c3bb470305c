// Opens a page in headless Chromium (Debian's, driven by playwright-core) and waits until the
// page's EventSource hook has seen `stop`. The page and its /api/orders/{id}/subscribe proxy
// are served by the Go test, as a partner's app would serve them.
//
// usage: node browser-client.mjs <page URL>
// prints the page's event log as one JSON line; exits 0 after `stop`, 1 otherwise.
import { launch } from './chromium.mjs';

const [pageURL] = process.argv.slice(2);
const browser = await launch();
let code = 1;
try {
  const page = await browser.newPage();
  page.on('console', (m) => process.stderr.write(`console: ${m.text()}\n`));
  await page.goto(pageURL);
  process.stdout.write(JSON.stringify({ event: 'loaded' }) + '\n');
  await page.waitForFunction(() => window.__stopped === true, null, { timeout: Number(process.env.DEADLINE_MS || 30000) });
  process.stdout.write(JSON.stringify(await page.evaluate(() => window.__log)) + '\n');
  code = 0;
} catch (err) {
  process.stderr.write(`browser client: ${err}\n`);
} finally {
  await browser.close();
}
process.exit(code);
