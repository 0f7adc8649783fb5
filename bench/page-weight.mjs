// What a first visit to each page really fetches: every response Chromium receives while the page
// loads (the HTML, the stylesheet, and on pages with an island the JS and WASM), as bytes over the
// wire (compressed as served). Run by bench/bundle-size against a release dashboard with the demo
// data; a fresh browser context per page, so nothing comes from the cache.
//
//   node bench/page-weight.mjs DASHBOARD_URL DEMO_PASSWORD
import { createRequire } from 'node:module';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

const [base, password] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});

/** Cookies of a session signed in as `email` (none for null). */
async function sessionOf(email) {
  if (!email) return [];
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  const cookies = await context.cookies();
  await context.close();
  return cookies;
}

/** Loads `path` in a fresh context with `cookies`: the bytes of every response, by kind. */
async function weigh(path, cookies) {
  const context = await browser.newContext({ baseURL: base });
  await context.addCookies(cookies);
  const page = await context.newPage();
  const responses = [];
  page.on('response', (r) => responses.push(r));
  await page.goto(path, { waitUntil: 'networkidle' });
  const byKind = { html: 0, css: 0, js: 0, wasm: 0, other: 0 };
  for (const r of responses) {
    const sizes = await r.request().sizes();
    const bytes = sizes.responseBodySize + sizes.responseHeadersSize;
    const url = new URL(r.url());
    const kind = url.pathname.endsWith('.css') ? 'css'
      : url.pathname.endsWith('.js') ? 'js'
        : url.pathname.endsWith('.wasm') ? 'wasm'
          : (r.headers()['content-type'] ?? '').startsWith('text/html') ? 'html' : 'other';
    byKind[kind] += bytes;
  }
  await context.close();
  return { path: new URL(page.url()).pathname + new URL(page.url()).search, ...byKind };
}

const admin = await sessionOf('admin@example.com');
const customer = await sessionOf('customer@example.com');
// A booking of the demo customer's, from its agenda.
const probe = await browser.newContext({ baseURL: base });
await probe.addCookies(customer);
const agenda = await probe.newPage();
await agenda.goto('/?view=agenda');
const booking = await agenda.locator('a[href^="/bookings/"]').first().getAttribute('href');
await probe.close();

const pages = [
  ['calendar, month', '/?view=month', customer],
  ['calendar, week', '/?view=week', customer],
  ['calendar, agenda', '/?view=agenda', customer],
  ['upcoming & cancellations', '/upcoming', customer],
  ['needs attention', '/attention', customer],
  ['sites', '/sites', customer],
  ['your account', '/account', customer],
  ['sign-in (signed out)', '/sign-in', []],
  ['administration: users', '/admin/users', admin],
  ['administration: customers', '/admin/customers', admin],
  ['book a service', '/book', customer],
  ["a booking's page", booking, customer],
];
console.log(
  `${'page'.padEnd(28)} ${'HTML'.padStart(8)} ${'CSS'.padStart(7)} ${'JS'.padStart(7)} ` +
  `${'WASM'.padStart(8)} ${'other'.padStart(6)} ${'total'.padStart(8)}`,
);
for (const [name, path, cookies] of pages) {
  const w = await weigh(path, cookies);
  const total = w.html + w.css + w.js + w.wasm + w.other;
  console.log(
    `${name.padEnd(28)} ${String(w.html).padStart(8)} ${String(w.css).padStart(7)} ` +
    `${String(w.js).padStart(7)} ${String(w.wasm).padStart(8)} ${String(w.other).padStart(6)} ` +
    `${String(total).padStart(8)}`,
  );
}
await browser.close();
