// Load generator for bench/load: USERS signed-in customer users, each in a loop for SECONDS —
// one booking in four, otherwise browsing (the calendar page, the upcoming list, a booking's page) —
// then checks that every booking a user was told about exists, is confirmed, and is held exactly
// once by the sandbox. Exits non-zero on any 5xx, transport error or lost/doubled booking.
//
//   node bench/load.mjs DASHBOARD_URL[,DASHBOARD_URL…] SANDBOX_URL USERS SECONDS
//
// With several dashboard addresses (processes sharing one database), each user signs in on one and
// sends each kind of request to every process in turn, with the same session cookie: bookings,
// pages and lists all meet sessions and data another process made. Any answer other than the one
// expected (a 5xx, a 4xx, a redirect to the sign-in page) counts as a failure.

const [basesArg, sandbox, usersArg, secondsArg] = process.argv.slice(2);
const BASES = basesArg.split(',');
const USERS = Number(usersArg ?? 20);
const SECONDS = Number(secondsArg ?? 30);
const RUN = `load-${Date.now()}`;

function londonTomorrow() {
  const at = new Date(Date.now() + 26 * 3600 * 1000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
      minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(at).map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

function draft(key) {
  const at = londonTomorrow();
  return {
    idempotency_key: key, customer_id: null, service_type: 'patrol', name: key,
    special_instructions: '', number_of_guards: '1', armed_preference: 'noPreference', contacts: [],
    site_id: null, address: `${key} Example Street, London`, latitude: '', longitude: '',
    timezone: 'Europe/London', first_date: at.date, last_date: at.date, repeat: 'single', days: [],
    start_time: at.time, window_minutes: '60',
  };
}

const samples = {}; // kind -> [ms]
const failures = []; // {kind, status|error}
const told = []; // {user, id, key}

async function timed(kind, run) {
  const started = performance.now();
  let response;
  try {
    response = await run();
  } catch (e) {
    failures.push({ kind, error: String(e) });
    return null;
  }
  const ms = performance.now() - started;
  (samples[kind] ??= []).push(ms);
  if (response.status >= 300) {
    const where = response.headers.get('location');
    failures.push({ kind, status: response.status, body: where ? `to ${where}` : await response.text() });
    return null;
  }
  return response;
}

/// The address of a user's request (the user's `n`-th of its kind), and the headers that go with it
/// there: each kind of request goes to every process in turn.
function at(i, n, cookie) {
  const base = BASES[(i + n) % BASES.length];
  return { base, headers: { origin: base, cookie } };
}

async function signIn(i) {
  const base = at(i, 0).base;
  const r = await fetch(`${base}/api/sign_in`, {
    method: 'POST',
    headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: `load${i}@example.com`, password: `load-test-password-${i}`, next: '/' }),
    redirect: 'manual',
  });
  if (!r.ok) throw new Error(`sign-in ${i}: ${r.status} ${await r.text()}`);
  return r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

async function user(i, until) {
  const cookie = await signIn(i);
  const sent = [0, 0, 0, 0]; // requests of each kind so far
  let n = 0;
  while (performance.now() < until) {
    n += 1;
    const mine = told.filter((t) => t.user === i);
    // A booking's page once the user has a booking; the calendar page until then.
    const pick = n % 4 === 3 && !mine.length ? 1 : n % 4;
    sent[pick] += 1;
    const { base, headers } = at(i, sent[pick], cookie);
    // Redirects are not followed: one to the sign-in page means the session was not known there.
    const get = (path) => fetch(`${base}${path}`, { headers, redirect: 'manual' });
    if (pick === 0) {
      const key = `${RUN}-u${i}-${n}`;
      const r = await timed('book', () => fetch(`${base}/api/book_service`, {
        method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ draft: draft(key) }), redirect: 'manual',
      }));
      if (r) told.push({ user: i, key, id: (await r.json()).booking_id });
    } else if (pick === 1) {
      const r = await timed('calendar page', () => get('/'));
      if (r) await r.text();
    } else if (pick === 2) {
      const r = await timed('upcoming', () => get('/api/load_upcoming?days=30'));
      if (r) await r.text();
    } else {
      const id = mine[mine.length - 1].id;
      const r = await timed('booking page', () => get(`/bookings/${id}`));
      if (r) await r.text();
    }
  }
  return cookie;
}

function percentile(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const started = performance.now();
const until = started + SECONDS * 1000;
const sessions = await Promise.all(Array.from({ length: USERS }, (_, k) => user(k + 1, until)));
const elapsed = (performance.now() - started) / 1000;

let total = 0;
console.log(`${'request'.padEnd(16)} ${'count'.padStart(7)} ${'per s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
for (const [kind, list] of Object.entries(samples)) {
  const sorted = [...list].sort((a, b) => a - b);
  total += sorted.length;
  console.log(
    `${kind.padEnd(16)} ${String(sorted.length).padStart(7)} ${(sorted.length / elapsed).toFixed(1).padStart(8)} ` +
    `${percentile(sorted, 50).toFixed(1).padStart(8)} ${percentile(sorted, 99).toFixed(1).padStart(8)}`,
  );
}
const all = Object.values(samples).flat().sort((a, b) => a - b);
console.log(
  `${'all'.padEnd(16)} ${String(total).padStart(7)} ${(total / elapsed).toFixed(1).padStart(8)} ` +
  `${percentile(all, 50).toFixed(1).padStart(8)} ${percentile(all, 99).toFixed(1).padStart(8)}`,
);

// Nothing lost, nothing doubled.
let lost = 0;
let unconfirmed = 0;
for (const t of told) {
  const { base, headers } = at(t.user, 0, sessions[t.user - 1]);
  const r = await fetch(`${base}/api/load_booking?id=${t.id}`, { headers });
  if (!r.ok) { lost += 1; continue; }
  const detail = await r.json();
  if (detail.name !== t.key) lost += 1;
  else if (detail.status !== 'confirmed') unconfirmed += 1;
}
const held = (await (await fetch(`${sandbox}/_control/requests`)).json()).requests
  .filter((r) => r.scheduledRequestConfig.name.startsWith(RUN));
const names = new Set(held.map((r) => r.scheduledRequestConfig.name));
const doubled = held.length - names.size;
const missingAtAura = told.filter((t) => !names.has(t.key)).length;
console.log(
  `bookings told saved: ${told.length}; lost: ${lost}; not confirmed: ${unconfirmed}; ` +
  `held by AURA: ${held.length}; doubled: ${doubled}; missing at AURA: ${missingAtAura}`,
);
const errors5xx = failures.filter((f) => f.status >= 500).length;
const transport = failures.filter((f) => f.error).length;
const other = failures.length - errors5xx - transport;
console.log(`errors: 5xx ${errors5xx}, transport ${transport}, other ${other}`);
for (const f of failures.slice(0, 5)) console.log('  ', JSON.stringify(f).slice(0, 300));
if (failures.length || lost || doubled || missingAtAura || unconfirmed) process.exit(1);
