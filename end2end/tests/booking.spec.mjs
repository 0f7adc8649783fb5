import { test, expect } from './fixtures.mjs';
import { LONDON_SITE, USERS, addDays, dayAhead, isRepeatedWallTime, localParts, open, pageErrors, sandboxRequests, signIn } from './helpers.mjs';

// The customer's own user books and cancels here; accounts.spec.mjs covers the other roles.
test.beforeEach(async ({ page }) => {
  await signIn(page, USERS.customer);
});

test.afterEach(async ({ page }) => {
  expect(pageErrors(page), 'uncaught errors in the page').toEqual([]);
});

test('book a weekly patrol, find it on the calendar, cancel it and find it in cancellations', async ({ page, request }, info) => {
  const name = `Weekly patrol ${info.project.name} ${Date.now()}`;
  const tomorrow = dayAhead('Europe/London', 1);

  await open(page, '/book');
  await page.getByLabel('Service type').selectOption('patrol');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Special instructions (optional)').fill('Check the <b>shutters</b>');
  await page.getByLabel('Number of guards').fill('2');
  await page.getByLabel('Armed preference').selectOption('unarmed');
  await page.getByLabel('Contact 1 name').fill('Priya Shah');
  await page.getByLabel('Contact 1 mobile').fill('+44 7700 900123');
  await page.getByRole('button', { name: 'Add a contact' }).click();
  await page.getByLabel('Contact 2 name').fill('Night desk');
  await page.getByLabel('Contact 2 mobile').fill('+44 20 7946 0000');
  await page.getByLabel('Site').selectOption({ label: LONDON_SITE });
  await page.getByLabel('Repeats').selectOption('weekly');
  await page.getByLabel('First date').fill(tomorrow.date);
  await page.getByLabel('Last date').fill(addDays(tomorrow.date, 20));
  await page.getByRole('checkbox', { name: tomorrow.weekday }).check();
  await page.getByLabel('Start time').fill('21:30');
  await page.getByLabel('Window length (minutes)').fill('90');

  // The live preview shows the first windows in the site's zone before submitting.
  const preview = page.locator('.preview-list li').first();
  await expect(preview).toContainText('21:30–23:00');
  await expect(page.locator('.preview')).toContainText('Europe/London');

  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(page.locator('.detail-head')).toContainText('Confirmed by AURA');
  await expect(page.getByText('Check the <b>shutters</b>')).toBeVisible();
  const requestUrl = page.url();

  // On the calendar: the month of its first window counts it; that day's agenda lists it, its link
  // naming time, zone, what and where.
  await open(page, `/?view=month&date=${tomorrow.date}`);
  await expect(page.locator('.calendar[data-view="month"]')).toHaveCount(1);
  await expect(page.locator(`td[data-date="${tomorrow.date}"]`).locator('.occ, .more').first()).toBeVisible();
  await open(page, `/?view=agenda&date=${tomorrow.date}`);
  const chip = page.getByRole('link', { name: new RegExp(`^21:30–23:00 (GMT|BST)\\s+${name}\\s+Canary Wharf warehouse.*Mobile patrol.*Europe/London`) }).first();
  await expect(chip).toBeVisible();
  await chip.click();
  await expect(page).toHaveURL(requestUrl);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
  await expect(page.locator('leptos-island')).toHaveCount(1);

  // Cancel with a reason; the page says plainly that every future window stops.
  await expect(page.getByText('Cancelling stops every future window of this booking.')).toBeVisible();
  await page.getByRole('button', { name: 'Cancel booking' }).click();
  await expect(page.locator('#cancel-reason-error')).toHaveText('Say why the booking is being cancelled.');
  await page.getByLabel('Reason for cancelling (required)').fill('Site closed for refurbishment');
  await page.getByRole('button', { name: 'Cancel booking' }).click();
  await expect(page.locator('.detail-head')).toContainText('Cancelled');
  await expect(page.locator('.cancelled-box')).toContainText('Site closed for refurbishment');

  await open(page, '/upcoming');
  const ledger = page.locator('.ledger-item', { hasText: name });
  await expect(ledger).toContainText('Site closed for refurbishment');
  await expect(ledger).toContainText('Priya Shah');
  await expect(page.locator('.agenda-item', { hasText: name })).toHaveCount(0);

  // AURA got exactly one create and the request is cancelled there too.
  const sandbox = await sandboxRequests(request);
  const atAura = sandbox.requests.filter((r) => r.scheduledRequestConfig.name === name);
  expect(atAura).toHaveLength(1);
  expect(atAura[0].status).toBe('cancelled');
  expect(atAura[0].scheduledRequestConfig.repeatsConfig).toMatchObject({
    type: 'weekly',
    startTime: '21:30',
    windowPeriodMinutes: 90,
    timezone: 'Europe/London',
  });
});

test('a booking two minutes ahead is refused at the date/time field', async ({ page, request }, info) => {
  const name = `Too soon ${info.project.name} ${Date.now()}`;
  const soon = localParts(new Date(Date.now() + 2 * 60 * 1000), 'Europe/London');

  await open(page, '/book');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Site').selectOption({ label: LONDON_SITE });
  await page.getByLabel('Repeats').selectOption('single');
  await page.getByLabel('Date', { exact: true }).fill(soon.date);
  await page.getByLabel('Start time').fill(soon.time);
  // Before submitting, the live preview already says it is too close.
  await expect(page.locator('.countdown')).toContainText('Too late for this start');
  await page.getByRole('button', { name: 'Book service' }).click();

  const error = page.locator('#start-time-error');
  await expect(error).toContainText('must open at least 5 minutes from now');
  await expect(page.getByLabel('Start time')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Start time')).toBeFocused();
  await expect(page).toHaveURL(/\/book$/);
  // Nothing typed was lost, and nothing reached AURA.
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(name);
  const sandbox = await sandboxRequests(request);
  expect(sandbox.requests.filter((r) => r.scheduledRequestConfig.name === name)).toHaveLength(0);
});

test('a window opening within half an hour shows a countdown to the booking deadline', async ({ page }) => {
  // A wall time the clocks are repeating (London's hour after they go back) is read as its first
  // reading, an hour earlier: then the New York site, whose clocks change at another hour.
  const at = new Date(Date.now() + 20 * 60 * 1000);
  const [zone, site] = isRepeatedWallTime(at, 'Europe/London')
    ? ['America/New_York', 'Brooklyn office (America/New_York)']
    : ['Europe/London', LONDON_SITE];
  const soon = localParts(at, zone);
  await open(page, '/book');
  await page.getByLabel('Site').selectOption({ label: site });
  await page.getByLabel('Date', { exact: true }).fill(soon.date);
  await page.getByLabel('Start time').fill(soon.time);
  const countdown = page.locator('.countdown');
  await expect(countdown).toContainText(/The first window opens in 1\d min \d\d s\. AURA needs 5 minutes' notice, so book within 1?\d min/);
  const first = await countdown.textContent();
  await expect(countdown).not.toHaveText(first ?? '');
});

test('missing fields are reported next to each field', async ({ page }) => {
  await open(page, '/book');
  await page.getByLabel('Site').selectOption('new');
  await page.getByLabel('Window length (minutes)').fill('0');
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page.locator('#name-error')).toHaveText('Give the booking a name.');
  // Keyboard focus lands on the first field with a problem.
  await expect(page.getByLabel('Name', { exact: true })).toBeFocused();
  await expect(page.locator('#address-error')).toHaveText('Give an address, coordinates, or both.');
  await expect(page.locator('#start-time-error')).toContainText('HH:MM');
  await expect(page.locator('#window-error')).toContainText('1 to 1440 minutes');
  await expect(page.locator('.form-message')).toContainText('Some fields need attention');
});

test('a booking made while AURA is down shows "not yet sent", then is confirmed on its own', async ({ page, request }, info) => {
  const name = `AURA down ${info.project.name} ${Date.now()}`;
  const tomorrow = dayAhead('America/New_York', 1);
  // AURA is down for the form's attempt and the worker's first retry.
  const fault = await request.post('/sandbox/_control/faults', { data: { operation: 'create', status: 503, count: 2 } });
  expect(fault.ok()).toBeTruthy();

  await open(page, '/book');
  await page.getByLabel('Service type').selectOption('guarding');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Site').selectOption({ label: 'Brooklyn office (America/New_York)' });
  await page.getByLabel('Date', { exact: true }).fill(tomorrow.date);
  await page.getByLabel('Start time').fill('09:00');
  await page.getByRole('button', { name: 'Book service' }).click();

  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  await expect(page.locator('.detail-head')).toContainText('not yet sent to AURA');
  await expect(page.locator('.detail-head')).toContainText('503');
  await expect(page.locator('.detail-head')).toContainText('sends it again by itself');
  const bookingUrl = page.url();
  await open(page, '/upcoming');
  await expect(page.locator('.agenda-item', { hasText: name })).toContainText('not yet sent');

  // Nobody touches it: the dashboard's worker sends it once AURA is back.
  await expect(async () => {
    await page.goto(bookingUrl);
    await expect(page.locator('.detail-head')).toContainText('Confirmed by AURA', { timeout: 1000 });
  }).toPass({ timeout: 45_000, intervals: [1000] });
  const history = page.locator('.event-log');
  await expect(history).toContainText('Did not reach AURA');
  await expect(history).toContainText('Confirmed by AURA');
  const sandbox = await sandboxRequests(request);
  expect(sandbox.requests.filter((r) => r.scheduledRequestConfig.name === name)).toHaveLength(1);
});

test('an outcome-unknown booking is shown as such and resolved by an account manager', async ({ page, browser, request }, info) => {
  const name = `Lost answer ${info.project.name} ${Date.now()}`;
  const tomorrow = dayAhead('Europe/London', 1);
  // AURA books it, but the answer is lost on the way back.
  const fault = await request.post('/sandbox/_control/faults', { data: { operation: 'create', mode: 'drop', count: 1 } });
  expect(fault.ok()).toBeTruthy();

  await open(page, '/book');
  await page.getByLabel('Service type').selectOption('patrol');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Site').selectOption({ label: LONDON_SITE });
  await page.getByLabel('Date', { exact: true }).fill(tomorrow.date);
  await page.getByLabel('Start time').fill('22:00');
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  const bookingUrl = new URL(page.url()).pathname;
  await expect(page.locator('.detail-head')).toContainText('AURA may have scheduled this — being checked');
  // Customers cannot record what AURA holds; it counts as active on the calendar.
  await expect(page.getByRole('heading', { name: 'Check with AURA' })).toHaveCount(0);
  await open(page, `/?view=agenda&date=${tomorrow.date}`);
  await expect(page.getByRole('link', { name: new RegExp(` ${name} `) }).first()).toBeVisible();

  const sandbox = await sandboxRequests(request);
  const atAura = sandbox.requests.filter((r) => r.scheduledRequestConfig.name === name);
  expect(atAura).toHaveLength(1);

  const staff = await browser.newContext();
  const manager = await staff.newPage();
  await signIn(manager, USERS.manager);
  await manager.getByRole('link', { name: 'Needs attention' }).click();
  await expect(manager).toHaveURL(/\/attention$/);
  await manager.getByRole('link', { name }).click();
  await expect(manager).toHaveURL(new RegExp(`${bookingUrl}$`));
  await expect(manager.locator('.detail-head')).toContainText('AURA may have scheduled this — being checked');
  await manager.getByLabel('AURA id of this booking').fill(atAura[0].id);
  await manager.getByRole('button', { name: 'AURA has it' }).click();
  await expect(manager.getByRole('status').filter({ hasText: 'Recorded' })).toContainText('Recorded: AURA has this booking');
  await expect(manager.locator('.detail-head')).toContainText('Confirmed by AURA');
  await expect(manager.locator('.event-log')).toContainText('Checked with AURA: AURA has it');
  await expect(manager.locator('.event-log')).toContainText('Sam Patel');
  await open(manager, '/attention');
  await expect(manager.getByRole('link', { name })).toHaveCount(0);
  await staff.close();
});

test('a booking is cancelled from a browser without JavaScript', async ({ page, browser, baseURL }, info) => {
  const name = `No script ${info.project.name} ${Date.now()}`;
  const tomorrow = dayAhead('Europe/London', 1);
  await open(page, '/book');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Site').selectOption({ label: LONDON_SITE });
  await page.getByLabel('Date', { exact: true }).fill(tomorrow.date);
  await page.getByLabel('Start time').fill('20:00');
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  const bookingPath = new URL(page.url()).pathname;

  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const plain = await context.newPage();
  await signIn(plain, USERS.customer);
  await plain.goto(bookingPath);
  await expect(plain.locator('.detail-head')).toContainText('Confirmed by AURA');
  // No reason: the same page again, the problem next to the field.
  await plain.getByRole('button', { name: 'Cancel booking' }).click();
  await expect(plain).toHaveURL(new RegExp(`${bookingPath}$`));
  await expect(plain.locator('#cancel-reason-error')).toHaveText('Say why the booking is being cancelled.');
  await plain.getByLabel('Reason for cancelling (required)').fill('Plans changed');
  await plain.getByRole('button', { name: 'Cancel booking' }).click();
  await expect(plain.locator('.detail-head')).toContainText('Cancelled');
  await expect(plain.locator('.cancelled-box')).toContainText('Plans changed');
  await expect(plain.getByText('The booking is cancelled.')).toBeVisible();
  await context.close();
});
