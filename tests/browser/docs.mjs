// Headless check of the Swagger UI page served at <base_url>/docs.
//
// usage: node docs.mjs <base_url> <out.png>
//
// Uses Debian's Chromium (/usr/bin/chromium) through playwright-core; no
// browser is downloaded. Fails (exit 1) if the page requests any host other
// than the base URL's host, if no operation (.opblock) renders within 20 s,
// or if neither the page title nor the spec title mentions "callbase".
// Prints one JSON line on stdout; diagnostics go to stderr.
import { chromium } from 'playwright-core';

const [baseArg, outPng] = process.argv.slice(2);
if (!baseArg || !outPng) {
  console.error('usage: node docs.mjs <base_url> <out.png>');
  process.exit(2);
}

const base = new URL(baseArg);
const docsUrl = base.href.replace(/\/+$/, '') + '/docs';

const failures = [];
const externalRequests = [];
const consoleErrors = [];
const httpErrors = [];
let operations = 0;
let title = '';
let infoTitle = '';

// Network-free schemes never leave the browser; everything else must hit base.host.
const isExternal = (u) => {
  let url;
  try { url = new URL(u); } catch { return true; }
  if (['data:', 'blob:', 'about:'].includes(url.protocol)) return false;
  return url.host !== base.host;
};

let browser;
try {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });

  // Record every request; block (never send) anything not aimed at base.host.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (isExternal(u)) {
      externalRequests.push(u);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  // Requests that bypass routing (e.g. some service-worker traffic) are still seen here.
  context.on('request', (req) => {
    const u = req.url();
    if (isExternal(u) && !externalRequests.includes(u)) externalRequests.push(u);
  });

  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      const text = `${msg.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`;
      consoleErrors.push(text);
      console.error(`console error: ${text}`);
    }
  });
  page.on('pageerror', (err) => {
    consoleErrors.push(`pageerror: ${err.message}`);
    console.error(`page error: ${err.message}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) {
      httpErrors.push(`${res.status()} ${res.url()}`);
      console.error(`http ${res.status()}: ${res.url()}`);
    }
  });

  const resp = await page.goto(docsUrl, { waitUntil: 'load', timeout: 20000 });
  if (!resp || !resp.ok()) failures.push(`GET ${docsUrl} -> ${resp ? resp.status() : 'no response'}`);

  try {
    await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 20000 });
  } catch (e) {
    failures.push(`no .opblock visible within 20s: ${e.message.split('\n')[0]}`);
  }
  operations = await page.locator('.opblock').count();

  title = await page.title();
  const infoLoc = page.locator('.info .title').first();
  if (await infoLoc.count()) infoTitle = (await infoLoc.innerText()).replace(/\s+/g, ' ').trim();
  if (!/callbase/i.test(title)) failures.push(`page title ${JSON.stringify(title)} lacks "callbase"`);
  if (!/callbase/i.test(infoTitle)) failures.push(`.info .title ${JSON.stringify(infoTitle)} lacks "callbase"`);

  // Screenshot even on failure: it helps to see what went wrong.
  await page.screenshot({ path: outPng, fullPage: true });
} catch (e) {
  failures.push(`error: ${e.message.split('\n')[0]}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}

if (externalRequests.length) failures.push(`${externalRequests.length} request(s) to hosts other than ${base.host}`);
for (const f of failures) console.error(`FAIL: ${f}`);

console.log(JSON.stringify({
  ok: failures.length === 0,
  operations,
  external_requests: externalRequests,
  title,
  info_title: infoTitle,
  console_errors: consoleErrors,
  http_errors: httpErrors,
  failures,
}));
process.exit(failures.length ? 1 : 0);
