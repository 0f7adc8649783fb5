// Driver for bench/calendar: makes the bookings through the dashboard, then times the calendar.
//
//   node bench/calendar.mjs DASHBOARD_URL BOOKINGS
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.NODE_PATH}/`);
const { chromium } = require('@playwright/test');

const [base, bookingsArg] = process.argv.slice(2);
const BOOKINGS = Number(bookingsArg ?? 1000);
const EMAIL = 'portfolio@example.com';
const PASSWORD = 'calendar-bench-password';

function ymd(d) {
  return d.toISOString().slice(0, 10);
}

// The month measured: the one after next, which every booking covers whole.
const now = new Date();
const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1));
const monthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 3, 0));
const firstDate = ymd(new Date(Date.now() + 2 * 86400e3));
const lastDate = ymd(new Date(monthEnd.getTime() + 14 * 86400e3));
const MONTH_DAY = ymd(new Date(monthStart.getTime() + 14 * 86400e3));

async function signIn() {
  const r = await fetch(`${base}/api/sign_in`, {
    method: 'POST',
    headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: EMAIL, password: PASSWORD, next: '/' }),
    redirect: 'manual',
  });
  if (!r.ok) throw new Error(`sign-in: ${r.status} ${await r.text()}`);
  return r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

// 42 % daily, 38 % weekly on two days, 20 % single; every other one in New York.
function draft(i) {
  const kind = i % 50 < 21 ? 'daily' : i % 50 < 40 ? 'weekly' : 'single';
  const newYork = i % 2 === 1;
  const hour = String(6 + (i % 16)).padStart(2, '0');
  const minute = ['00', '15', '30', '45'][i % 4];
  return {
    idempotency_key: `bench-${i}`, customer_id: null,
    service_type: ['patrol', 'lockUnlock', 'vacantProperty', 'occupiedInspection', 'guarding', 'escort'][i % 6],
    name: `Site ${i} ${kind}`, special_instructions: '', number_of_guards: '1',
    armed_preference: 'noPreference', contacts: [], site_id: null,
    address: `${i} ${newYork ? 'Broadway, New York' : 'High Street, London'}`, latitude: '', longitude: '',
    timezone: newYork ? 'America/New_York' : 'Europe/London',
    first_date: kind === 'single' ? MONTH_DAY : firstDate,
    last_date: kind === 'single' ? MONTH_DAY : lastDate,
    repeat: kind,
    days: kind === 'weekly' ? [WEEKDAYS[i % 7], WEEKDAYS[(i + 3) % 7]] : [],
    start_time: `${hour}:${minute}`, window_minutes: String(30 + (i % 5) * 30),
  };
}

async function book(cookie) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < BOOKINGS) {
      const i = next++;
      const r = await fetch(`${base}/api/book_service`, {
        method: 'POST',
        headers: { origin: base, cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ draft: draft(i) }),
      });
      if (!r.ok) {
        failed += 1;
        if (failed < 5) console.error(`booking ${i}: ${r.status} ${await r.text()}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (failed) throw new Error(`${failed} bookings failed`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const started = performance.now();
const cookie = await signIn();
await book(cookie);
console.log(`made ${BOOKINGS} bookings in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// The server's month query alone (JSON, no page).
const monthQuery = `view=month&date=${MONTH_DAY}`;
const serverMs = [];
let windows = 0;
for (let n = 0; n < 11; n += 1) {
  const t = performance.now();
  const r = await fetch(`${base}/api/load_calendar?${monthQuery}`, { headers: { cookie } });
  const body = await r.json();
  serverMs.push(performance.now() - t);
  windows = body.total;
}

// The calendar feed (90 days of every booking, at most 5,000 events) and the CSV export of the
// upcoming list (30 days, at most 500 windows), as a calendar app and a spreadsheet fetch them.
const started_feed = await fetch(`${base}/api/start_feed`, {
  method: 'POST',
  headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
  body: '',
  redirect: 'manual',
});
if (started_feed.status >= 400) throw new Error(`start_feed: ${started_feed.status}`);
const account = await (await fetch(`${base}/api/load_account`, { headers: { cookie } })).json();
const feedPath = account.flash?.reveal;
if (!feedPath) throw new Error('no feed address');
const feedMs = [];
let feedBytes = 0;
let feedEvents = 0;
for (let n = 0; n < 7; n += 1) {
  const t = performance.now();
  const text = await (await fetch(`${base}${feedPath}`)).text();
  feedMs.push(performance.now() - t);
  feedBytes = Buffer.byteLength(text);
  feedEvents = text.split('BEGIN:VEVENT').length - 1;
}
const csvMs = [];
let csvRows = 0;
for (let n = 0; n < 7; n += 1) {
  const t = performance.now();
  const text = await (await fetch(`${base}/upcoming.csv?days=30`, { headers: { cookie } })).text();
  csvMs.push(performance.now() - t);
  csvRows = text.trim().split('\r\n').length - 1;
}

// The month page's HTML, uncompressed (the browser's figure below is what crossed the wire).
const page = await fetch(`${base}/?${monthQuery}`, { headers: { cookie } });
const raw = Buffer.from(await page.arrayBuffer()).length;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const [name, value] = cookie.split(';')[0].split('=');
await context.addCookies([{ name, value, url: base }]);
const tab = await context.newPage();
const results = {};
for (const [label, query] of [
  ['month', monthQuery],
  ['week', `view=week&date=${MONTH_DAY}`],
  ['agenda', `view=agenda&date=${MONTH_DAY}`],
]) {
  const times = [];
  let bytes = 0;
  for (let n = 0; n < 7; n += 1) {
    const t = performance.now();
    await tab.goto(`${base}/?${query}`, { waitUntil: 'load' });
    // Rendered: the next frame after load.
    await tab.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    times.push(performance.now() - t);
    bytes = await tab.evaluate(() => performance.getEntriesByType('navigation')[0].transferSize);
  }
  results[label] = { ms: median(times), bytes };
}
await browser.close();

console.log(`windows in the month: ${windows}`);
console.log(`server month query (JSON): median ${median(serverMs).toFixed(1)} ms of 11`);
console.log(`month page HTML: ${raw} bytes uncompressed`);
console.log(`calendar feed: median ${median(feedMs).toFixed(0)} ms of 7, ${feedEvents} events, ${feedBytes} bytes`);
console.log(`upcoming CSV (30 days): median ${median(csvMs).toFixed(0)} ms of 7, ${csvRows} rows`);
for (const [label, r] of Object.entries(results)) {
  console.log(`${label.padEnd(7)} navigation to rendered: median ${r.ms.toFixed(0)} ms of 7, ${r.bytes} bytes on the wire`);
}
