// Opens the mock's Payscrypt payment page in headless Chromium, checks what it shows, clicks
// one of its buttons (full, partial, late) and waits for the status the test names.
//
// usage: node pay-page.mjs <redirect_url> [full|partial|late] [status to wait for]
// prints one JSON line with what the page showed; exits 0 on success, 1 otherwise.
import { launch } from './chromium.mjs';

const [pageURL, mode = 'full', want = 'SUCCESSFUL'] = process.argv.slice(2);
const browser = await launch();
let code = 1;
try {
  const page = await browser.newPage();
  await page.goto(pageURL);
  const shown = {
    amount: await page.textContent('#amount'),
    address: await page.textContent('#address'),
    qrLoaded: await page.$eval('#qr', (img) => img.complete && img.naturalWidth > 0),
    before: await page.textContent('#status'),
  };
  const before = await page.textContent('#value');
  await page.click('#pay-' + mode);
  await page.waitForFunction(([w, b]) => document.getElementById('status').textContent === w &&
    document.getElementById('value').textContent !== b, [want, before], { timeout: Number(process.env.DEADLINE_MS || 30000) });
  shown.after = await page.textContent('#status');
  shown.received = await page.textContent('#value');
  process.stdout.write(JSON.stringify({ event: 'done', ...shown }) + '\n');
  code = 0;
} catch (err) {
  process.stderr.write(`pay page: ${err}\n`);
} finally {
  await browser.close();
}
process.exit(code);
