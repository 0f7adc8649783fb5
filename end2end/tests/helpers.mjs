import { expect } from '@playwright/test';

/** Date, time and weekday of an instant as seen in an IANA zone. */
export function localParts(instant, timeZone) {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    weekday: 'short',
  });
  const p = Object.fromEntries(format.formatToParts(instant).map((x) => [x.type, x.value]));
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    month: `${p.year}-${p.month}`,
    time: `${p.hour}:${p.minute}`,
    weekday: p.weekday,
  };
}

/** The date `days` days after today in `timeZone`, with its weekday ("Mon"): what "tomorrow" means
 * on a calendar, whatever the hour and across clock changes (unlike now + 24 hours). */
export function dayAhead(timeZone, days, now = new Date()) {
  const date = addDays(localParts(now, timeZone).date, days);
  return { date, weekday: localParts(new Date(`${date}T12:00:00Z`), 'UTC').weekday };
}

/** Whether the wall time of `instant` in `timeZone` is the second reading of an hour the clocks
 * repeat (after they go back): such a time names two instants and is read as the earlier. */
export function isRepeatedWallTime(instant, timeZone) {
  const at = localParts(instant, timeZone);
  const hourBefore = localParts(new Date(instant.getTime() - 3600 * 1000), timeZone);
  return at.date === hourBefore.date && at.time === hourBefore.time;
}

/** The month `n` months after a "YYYY-MM" month. */
export function addMonths(ym, n) {
  const [y, m] = ym.split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}

export function addDays(ymd, days) {
  const d = new Date(`${ymd}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Opens a page and waits until its islands are hydrated (interactive). */
export async function open(page, path) {
  if (!page.__watched) {
    page.__watched = true;
    page.__errors = [];
    page.on('pageerror', (e) => page.__errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && console.log(`[console] ${m.text()}`));
  }
  await page.goto(path);
  // A phone asking for the calendar without a view is sent on to the agenda by a line of script
  // while the first page loads: wait for the agenda, so nothing acts on the page being replaced.
  const landed = new URL(page.url());
  if (landed.pathname === '/' && !landed.searchParams.has('view') && !landed.searchParams.has('month')
      && (page.viewportSize()?.width ?? Infinity) <= 600) {
    await page.waitForURL((u) => u.searchParams.get('view') === 'agenda');
  }
  // Only the forms are islands (hydrated); other pages are plain server-rendered HTML.
  if ((await page.locator('leptos-island').count()) > 0) {
    await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
  }
}

/** What the AURA sandbox holds, from its control endpoint. */
export async function sandboxRequests(request) {
  const response = await request.get('/sandbox/_control/requests');
  expect(response.ok()).toBeTruthy();
  return response.json();
}

export const LONDON_SITE = 'Canary Wharf warehouse (Europe/London)';

/** Uncaught errors the page threw (a panic in the WASM shows up here). */
export function pageErrors(page) {
  return page.__errors ?? [];
}

/** The demo accounts scripts/test starts the dashboard with (DEMO_PASSWORD is set there). */
export const PASSWORD = process.env.DEMO_PASSWORD ?? 'demo-password';
export const USERS = {
  customer: 'customer@example.com',
  manager: 'manager@example.com',
  admin: 'admin@example.com',
};

/** Signs in through the sign-in page and waits to be let in. */
export async function signIn(page, email, password = PASSWORD) {
  await open(page, '/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
}

/** Picks the customer an account manager or administrator acts for, in the page header. */
export async function actFor(page, customer) {
  await page.getByLabel('Acting for').selectOption({ label: customer });
  await page.getByRole('button', { name: 'Switch' }).click();
  await expect(page.getByLabel('Acting for')).toHaveValue(/\d+/);
}
