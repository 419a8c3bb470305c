// Opens the mock's Payscrypt payment page in headless Chromium, checks what it shows, clicks
// its buttons (full, partial, late) in the order given and waits after each for the status the
// test names; then reports what the page shows once the invoice is final.
//
// usage: node pay-page.mjs <redirect_url> <mode[,mode...]> <status[,status...]>
// prints one JSON line with what the page showed; exits 0 on success, 1 otherwise.
import { launch } from './chromium.mjs';

const [pageURL, modes = 'full', wants = 'SUCCESSFUL'] = process.argv.slice(2);
const browser = await launch();
let code = 1;
try {
  const page = await browser.newPage();
  await page.goto(pageURL);
  const shown = {
    amount: await page.textContent('#amount'),
    address: await page.textContent('#address'),
    description: await page.textContent('#description'),
    countdown: await page.textContent('#countdown'),
    qrLoaded: await page.$eval('#qr', (img) => img.complete && img.naturalWidth > 0),
    before: await page.textContent('#status'),
  };
  const wanted = wants.split(',');
  for (const [i, mode] of modes.split(',').entries()) {
    const before = await page.textContent('#value');
    await page.click('#pay-' + mode);
    await page.waitForFunction(([w, b]) => document.getElementById('status').textContent === w &&
      document.getElementById('value').textContent !== b, [wanted[i], before], { timeout: Number(process.env.DEADLINE_MS || 30000) });
  }
  shown.after = await page.textContent('#status');
  shown.received = await page.textContent('#value');
  // Wait for the page's own refresh to settle the final state (buttons, link back).
  await page.waitForTimeout(1200);
  shown.buttonsDisabled = await page.$$eval('.mock button', (bs) => bs.every((b) => b.disabled));
  shown.backVisible = await page.$eval('#back', (p) => !p.hidden);
  shown.backHref = await page.$eval('#back a', (a) => a.href);
  process.stdout.write(JSON.stringify({ event: 'done', ...shown }) + '\n');
  code = 0;
} catch (err) {
  process.stderr.write(`pay page: ${err}\n`);
} finally {
  await browser.close();
}
process.exit(code);
