// A hostile web page against the mock, in headless Chromium. The host name evil.test resolves
// to 127.0.0.1 (Chromium's resolver rules), as a DNS-rebinding attacker's name would. The page
// at <attacker>/ tries, as any site a developer opens could:
//   - simple cross-site POSTs (form-encoded and text/plain: no preflight) to the clock advance;
//   - a cross-origin read of the control API's journal.
// Then the browser opens the mock under the attacker's name (rebinding: same port, Host
// evil.test) and reads what it answers.
//
// usage: node cross-site.mjs <attacker base URL with evil.test> <mock base URL> <mock URL with evil.test>
// prints one JSON line; exits 0 when the page ran (the Go test judges what happened).
import { chromium } from 'playwright-core';

const [attackerURL, mockURL, rebindURL] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    '--host-resolver-rules=MAP evil.test 127.0.0.1'],
});
let code = 1;
try {
  const page = await browser.newPage();
  await page.goto(attackerURL);
  const result = await page.evaluate(async (mock) => {
    const out = {};
    try {
      for (const type of ['application/x-www-form-urlencoded', 'text/plain']) { // no preflight for either
        await fetch(mock + '/__mock/clock/advance', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': type }, body: '{"seconds": 7200}' });
      }
      out.postSent = true;
    } catch (e) { out.postSent = false; out.postError = String(e); }
    try {
      const r = await fetch(mock + '/__mock/journal');
      out.journalRead = true;
      out.journal = (await r.text()).slice(0, 200);
    } catch (e) { out.journalRead = false; }
    return out;
  }, mockURL);
  const rebind = await page.goto(rebindURL + '/__mock/journal');
  result.rebindStatus = rebind.status();
  result.rebindBody = (await rebind.text()).slice(0, 300);
  process.stdout.write(JSON.stringify({ event: 'done', ...result }) + '\n');
  code = 0;
} catch (err) {
  process.stderr.write(`cross-site: ${err}\n`);
} finally {
  await browser.close();
}
process.exit(code);
