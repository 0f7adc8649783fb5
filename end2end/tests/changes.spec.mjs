// Changing plans: the start time of a weekly booking is changed from its page (a new version
// booked, then the original cancelled, both linked), and one date of a daily booking is skipped
// from the calendar's agenda after a preview of what will be sent. AURA ends up holding exactly
// what the pages say.
import { test, expect } from './fixtures.mjs';
import { LONDON_SITE, USERS, addDays, dayAhead, open, pageErrors, sandboxRequests, signIn } from './helpers.mjs';

test.beforeEach(async ({ page }) => {
  await signIn(page, USERS.customer);
});

test.afterEach(async ({ page }) => {
  expect(pageErrors(page), 'uncaught errors in the page').toEqual([]);
});

/** The booking's page until its Changes say `done` (the worker may still be finishing the last
 * step when the page first comes back: the page says so, and a reload shows where it stands). */
async function changesDone(page, id) {
  await expect(async () => {
    await open(page, `/bookings/${id}`);
    await expect(page.getByRole('region', { name: 'Changes' })).toContainText('Done', { timeout: 1000 });
  }).toPass({ timeout: 20000 });
}

/** Books through the form: `repeat` 'weekly' (on the first date's weekday) or 'daily'. */
async function book(page, { name, first, last, weekday, repeat, time }) {
  await open(page, '/book');
  await page.getByLabel('Service type').selectOption('patrol');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Number of guards').fill('1');
  await page.getByLabel('Armed preference').selectOption('unarmed');
  await page.getByLabel('Site').selectOption({ label: LONDON_SITE });
  await page.getByLabel('Repeats').selectOption(repeat);
  await page.getByLabel('First date').fill(first);
  await page.getByLabel('Last date').fill(last);
  if (repeat === 'weekly') {
    await page.getByRole('checkbox', { name: weekday }).check();
  }
  await page.getByLabel('Start time').fill(time);
  await page.getByLabel('Window length (minutes)').fill('60');
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  await expect(page.locator('.detail-head')).toContainText('Confirmed by AURA');
  return Number(new URL(page.url()).pathname.split('/').pop());
}

test('the start time of a weekly booking is changed: the new version is booked, then the original cancelled', async ({ page, request }, info) => {
  const name = `Weekly change ${info.project.name} ${Date.now()}`;
  const day = dayAhead('Europe/London', 2);
  const id = await book(page, { name, first: day.date, last: addDays(day.date, 20), weekday: day.weekday, repeat: 'weekly', time: '21:30' });

  await page.getByRole('link', { name: 'Change', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/book\\?change=${id}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Change booking #${id}`);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
  // Filled in from the booking, first date at its next window.
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(name);
  await expect(page.getByLabel('First date')).toHaveValue(day.date);
  await expect(page.getByLabel('Start time')).toHaveValue('21:30');
  await expect(page.locator('.prefill-note')).toContainText('cancelled once AURA holds it');
  await page.getByLabel('Start time').fill('22:30');
  await expect(page.locator('.preview-list li').first()).toContainText('22:30–23:30');
  await page.getByRole('button', { name: 'Save the change' }).click();

  // Back on the original: cancelled as a change, linked to its new version.
  await expect(page).toHaveURL(new RegExp(`/bookings/${id}$`));
  await changesDone(page, id);
  const changes = page.getByRole('region', { name: 'Changes' });
  await expect(changes).toContainText('Changed');
  await expect(changes).toContainText('start time 21:30 → 22:30');
  await expect(page.locator('.detail-head')).toContainText('Cancelled');
  await expect(page.locator('.cancelled-box')).toContainText('not a cancellation');
  const newLink = changes.getByRole('link', { name: /booking #\d+/ });
  const newHref = await newLink.getAttribute('href');
  await newLink.click();
  await expect(page).toHaveURL(new RegExp(`${newHref}$`));
  await expect(page.locator('.detail-head')).toContainText('Confirmed by AURA');
  await expect(page.getByText('Opens 22:30 (Europe/London) for 60 minutes')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Changes' })).toContainText(`Made from booking #${id}`);

  // AURA holds the new version only.
  const held = (await sandboxRequests(request)).requests.filter((r) => r.scheduledRequestConfig.name === name);
  expect(held.map((r) => [r.status, r.scheduledRequestConfig.repeatsConfig.startTime]).sort()).toEqual([
    ['cancelled', '21:30'],
    ['scheduled', '22:30'],
  ]);
  // The ledger shows the change as a change.
  await open(page, '/upcoming');
  await expect(page.locator('.ledger-item', { hasText: name }).locator('.change-badge')).toHaveText('Changed');
});

test('one date of a daily booking is skipped from the calendar, after a preview of what will be sent', async ({ page, request }, info) => {
  const name = `Daily skip ${info.project.name} ${Date.now()}`;
  const first = dayAhead('Europe/London', 2).date;
  const skipped = addDays(first, 2);
  const id = await book(page, { name, first, last: addDays(first, 4), repeat: 'daily', time: '20:00' });

  await open(page, `/?view=agenda&date=${skipped}`);
  await page.getByRole('link', { name: new RegExp(`^Skip this date\\s*: .*, ${name}$`) }).first().click();
  await expect(page).toHaveURL(new RegExp(`/bookings/${id}\\?skip-from=${skipped}&skip-to=${skipped}#skip$`));
  const preview = page.getByRole('region', { name: 'What the skip will do' });
  await expect(preview).toContainText('Skipped: 1 window');
  await expect(preview.getByRole('list').first()).toContainText(', 20:00–21:00');
  await expect(preview).toContainText('Kept as they are: 4 windows.');
  await expect(preview.getByRole('listitem').filter({ hasText: /^Book / })).toHaveCount(2);
  await expect(preview.getByRole('listitem').filter({ hasText: /^Book / }).first()).toContainText('exactly as booked now');
  await expect(preview).toContainText('Then cancel this booking at AURA');
  // Nothing is sent before the person confirms.
  const before = (await sandboxRequests(request)).requests.filter((r) => r.scheduledRequestConfig.name === name);
  expect(before).toHaveLength(1);

  await preview.getByRole('button', { name: 'Skip these dates' }).click();
  await expect(page).toHaveURL(new RegExp(`/bookings/${id}$`));
  // Done, or its last step (the original's cancel) still under way: the page says which.
  await expect(page.getByRole('status').first()).toContainText(/The skip is (done|under way)/);
  await changesDone(page, id);
  await expect(page.getByRole('region', { name: 'Changes' })).toContainText('Dates skipped');
  await expect(page.getByRole('region', { name: 'Changes' }).getByRole('link')).toHaveCount(2);

  // AURA: the original cancelled, the days before and after booked again as they were.
  const held = (await sandboxRequests(request)).requests.filter((r) => r.scheduledRequestConfig.name === name);
  const scheduled = held.filter((r) => r.status === 'scheduled');
  expect(held.filter((r) => r.status === 'cancelled')).toHaveLength(1);
  expect(scheduled).toHaveLength(2);
  for (const r of scheduled) {
    expect(r.scheduledRequestConfig.repeatsConfig).toMatchObject({ type: 'daily', startTime: '20:00' });
  }
  // The skipped date is gone from the calendar; the next day is there.
  await open(page, `/?view=agenda&date=${skipped}`);
  const today = page.locator(`#day-${skipped}`);
  await expect(today.getByRole('link', { name: new RegExp(name) })).toHaveCount(0);
  await expect(page.locator(`#day-${addDays(skipped, 1)}`).getByRole('link', { name: new RegExp(`20:00.*${name}`) })).toHaveCount(1);
});

test('a closures file is imported and the bookings it meets are skipped, booking by booking', async ({ page, request }, info) => {
  const name = `Closure patrol ${info.project.name} ${Date.now()}`;
  const first = dayAhead('Europe/London', 3).date;
  const closed = addDays(first, 2);
  const id = await book(page, { name, first, last: addDays(first, 4), repeat: 'daily', time: '19:00' });
  const compact = (d) => d.replaceAll('-', '');
  const uid = `e2e-${info.project.name}-${Date.now()}@example.com`;
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//e2e//EN',
    'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261201T000000Z',
    `DTSTART;VALUE=DATE:${compact(closed)}`, `DTEND;VALUE=DATE:${compact(addDays(closed, 1))}`,
    `SUMMARY:Site holiday ${info.project.name}`, 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');

  await open(page, '/closures');
  const importForm = page.getByRole('region', { name: 'Import from a calendar file' });
  await importForm.getByLabel('Calendar file (.ics)').setInputFiles({ name: 'holidays.ics', mimeType: 'text/calendar', buffer: Buffer.from(ics) });
  await importForm.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').first()).toContainText('1 closure added');
  const closure = page.locator('.closure-item', { hasText: `Site holiday ${info.project.name}` });
  await expect(closure).toContainText('Every site');
  const box = closure.getByRole('checkbox', { name: new RegExp(`Skip ${name}`) });
  await expect(box).toBeChecked();
  // The booking's page offers the same skip.
  await open(page, `/bookings/${id}`);
  await expect(page.locator('.closures-met')).toContainText(`Site holiday ${info.project.name}`);

  await open(page, '/closures');
  // Keep every other booking this closure meets (other tests' bookings); skip this one.
  const boxes = closure.getByRole('checkbox');
  for (let i = 0; i < (await boxes.count()); i += 1) {
    const other = boxes.nth(i);
    if ((await other.isEnabled()) && !(await other.getAttribute('id')).endsWith(`-booking-${id}`)) {
      await other.uncheck();
    }
  }
  await closure.getByRole('button', { name: 'Skip the ticked bookings on these dates' }).click();
  const results = page.getByRole('status', { name: 'What was done' });
  await expect(results).toContainText(`Booking #${id}`);
  await expect(results).toContainText(/The skip is (done|under way)/);
  await changesDone(page, id);

  // AURA holds the days before and after the closure, not the closed day.
  const held = (await sandboxRequests(request)).requests.filter((r) => r.scheduledRequestConfig.name === name);
  expect(held.filter((r) => r.status === 'scheduled')).toHaveLength(2);
  expect(held.filter((r) => r.status === 'cancelled')).toHaveLength(1);
  await open(page, `/?view=agenda&date=${closed}`);
  await expect(page.locator(`#day-${closed}`).getByRole('link', { name: new RegExp(`19:00.*${name}`) })).toHaveCount(0);
  await expect(page.locator(`#day-${addDays(closed, 1)}`).getByRole('link', { name: new RegExp(`19:00.*${name}`) })).toHaveCount(1);
});

test('one service is booked for three sites at once, previewed and reported site by site', async ({ page, request }, info) => {
  const name = `Three sites ${info.project.name} ${Date.now()}`;
  const depot = `Depot ${info.project.name} ${Date.now()}`;
  await open(page, '/sites');
  const add = page.locator('form', { has: page.getByRole('button', { name: 'Add site' }) });
  await add.getByLabel('Site name').fill(depot);
  await add.getByLabel('Address').fill('9 Quay Street, Manchester');
  await add.getByLabel('Time zone').fill('Europe/London');
  await page.getByRole('button', { name: 'Add site' }).click();
  await expect(page.locator('.notice-ok, [role=status]').first()).toContainText(`${depot} is saved`);

  const day = dayAhead('Europe/London', 2);
  await open(page, '/book');
  await page.getByLabel('Service type').selectOption('patrol');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Number of guards').fill('1');
  await page.getByLabel('Armed preference').selectOption('unarmed');
  await page.getByLabel('Site').selectOption({ label: LONDON_SITE });
  await page.getByText('Also book at other sites').click();
  await page.getByRole('checkbox', { name: /Brooklyn office/ }).check();
  await page.getByRole('checkbox', { name: new RegExp(depot) }).check();
  await page.getByLabel('Repeats').selectOption('daily');
  await page.getByLabel('First date').fill(day.date);
  await page.getByLabel('Last date').fill(day.date);
  await page.getByLabel('Start time').fill('21:00');
  await page.getByLabel('Window length (minutes)').fill('60');
  // A preview per site, each in its own zone.
  const others = page.locator('.other-sites');
  await expect(others.getByRole('listitem')).toHaveCount(2);
  await expect(others).toContainText('Brooklyn office');
  await expect(others).toContainText(/21:00–22:00 (EST|EDT)/);
  await expect(others).toContainText(depot);

  await page.getByRole('button', { name: 'Book service' }).click();
  const results = page.getByRole('status', { name: 'Booked at each site' });
  await expect(results.getByRole('listitem')).toHaveCount(3);
  await expect(results.getByRole('listitem').filter({ hasText: 'Confirmed by AURA' })).toHaveCount(3);
  await expect(results.getByRole('link', { name: /Booking #\d+/ })).toHaveCount(3);

  // Three requests at AURA, one per site, each in the site's zone.
  const held = (await sandboxRequests(request)).requests.filter((r) => r.scheduledRequestConfig.name === name);
  expect(held).toHaveLength(3);
  expect(held.every((r) => r.status === 'scheduled')).toBe(true);
  expect(held.map((r) => r.scheduledRequestConfig.repeatsConfig.timezone).sort()).toEqual(['America/New_York', 'Europe/London', 'Europe/London']);
});
