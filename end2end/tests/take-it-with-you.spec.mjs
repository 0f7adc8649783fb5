// Taking the schedule along and booking the common cases faster: the private calendar feed, CSV
// downloads, the printed site sheet and month, "book again", overlap warnings, lock/unlock pairs
// and the customer's own sites.
import { request as playwrightRequest } from '@playwright/test';
import { test, expect } from './fixtures.mjs';
import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import { LONDON_SITE, USERS, actFor, addDays, addMonths, dayAhead, localParts, open, pageErrors, sandboxRequests, signIn } from './helpers.mjs';

test.beforeEach(async ({ page }) => {
  await signIn(page, USERS.customer);
});

test.afterEach(async ({ page }) => {
  expect(pageErrors(page), 'uncaught errors in the page').toEqual([]);
});

/** A4 in PDF points (MediaBox width x height). */
const A4_PORTRAIT = '595x842';
const A4_LANDSCAPE = '842x595';

/** The size of each page of a PDF Chromium wrote, rounded to points. */
function pdfPages(pdf) {
  const text = pdf.toString('latin1');
  return [...text.matchAll(/\/Type\s*\/Page[^s][\s\S]*?\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)]
    .map((m) => `${Math.round(Number(m[1]))}x${Math.round(Number(m[2]))}`);
}

/** How many points one CSS pixel became on each page: 0.75 (72 / 96) when printed at full size,
 * less when Chromium shrank the page to fit something too wide. Read from the first two scale
 * transforms of each page's content stream (Skia's own units, then pixels). */
function pdfPixelScales(pdf) {
  const text = pdf.toString('latin1');
  const scales = [];
  for (const m of text.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length;
    let content;
    try {
      content = inflateSync(pdf.subarray(start, text.indexOf('endstream', start))).toString('latin1');
    } catch {
      continue; // not a compressed content stream (fonts, images)
    }
    const cm = [...content.matchAll(/([-\d.]+) 0 0 [-\d.]+ [-\d.]+ [-\d.]+ cm/g)].slice(0, 2);
    if (cm.length === 2) scales.push(Math.round(Number(cm[0][1]) * Number(cm[1][1]) * 1000) / 1000);
  }
  return scales;
}

/** Names near the fields' limits (a booking's 120 characters, a site's 100), to be cut short in print. */
const LONG_NAME = 'Overnight perimeter patrol of the loading bays, the car park, the roof access and every shutter';
const LONG_SITE = 'Riverside distribution centre, north gate, warehouse block C and the covered yard';
const LONG_CUSTOMER = 'Consolidated Riverside Logistics and Warehousing Holdings (United Kingdom) Limited';

/** The customer with long names for the month print, made once per server (kept across runs). */
async function ensureLongCustomer(page) {
  await open(page, '/admin/customers');
  const link = page.locator('main a', { hasText: LONG_CUSTOMER });
  if ((await link.count()) === 0) {
    const form = page.getByRole('region', { name: 'Add a customer' });
    await form.getByLabel('Name', { exact: true }).fill(LONG_CUSTOMER);
    await form.getByLabel('AURA customerId').fill('990117');
    await form.getByLabel('Default time zone').fill('Europe/London');
    // Added, it opens on its own page.
    await form.getByRole('button', { name: 'Add customer' }).click();
  } else {
    await link.click();
  }
  await expect(page).toHaveURL(/\/admin\/customers\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(LONG_CUSTOMER);
  if ((await page.getByText(LONG_SITE).count()) === 0) {
    await page.getByLabel('Site name').fill(LONG_SITE);
    await page.getByLabel('Address', { exact: true }).fill('Riverside Way, Dartford DA1 5PZ');
    await page.getByLabel('Time zone', { exact: true }).fill('Europe/London');
    await page.getByRole('button', { name: 'Add site' }).click();
    await expect(page.getByText(LONG_SITE).first()).toBeVisible();
  }
  await actFor(page, LONG_CUSTOMER);
}

/** Reads RFC 4180 text into rows (quotes, doubled quotes, line breaks inside quotes). */
function readCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; }
    else if (c !== '\r') field += c;
  }
  return rows;
}

/** Books a weekly service at the London site through the form and returns its page's URL. */
async function bookWeekly(page, { name, service = 'patrol', instructions = '', time = '21:30', days = 20 }) {
  const tomorrow = dayAhead('Europe/London', 1);
  await open(page, '/book');
  await page.getByLabel('Service type').selectOption(service);
  await page.getByLabel('Name', { exact: true }).fill(name);
  if (instructions) await page.getByLabel('Special instructions (optional)').fill(instructions);
  await page.getByLabel('Number of guards').fill('2');
  await page.getByLabel('Armed preference').selectOption('unarmed');
  await page.getByLabel('Contact 1 name').fill('Priya Shah');
  await page.getByLabel('Contact 1 mobile').fill('+44 7700 900123');
  await page.getByLabel('Site').selectOption({ label: LONDON_SITE });
  await page.getByLabel('Repeats').selectOption('weekly');
  await page.getByLabel('First date').fill(tomorrow.date);
  await page.getByLabel('Last date').fill(addDays(tomorrow.date, days));
  await page.getByRole('checkbox', { name: tomorrow.weekday }).check();
  await page.getByLabel('Start time').fill(time);
  await page.getByLabel('Window length (minutes)').fill('90');
  return tomorrow;
}

test('the calendar feed address is shown once, replaced (the old one stops) and turned off', async ({ page }) => {
  await open(page, '/account');
  const off = page.getByRole('button', { name: 'Turn the feed off' });
  if (await off.isVisible()) await off.click();
  await page.getByRole('button', { name: 'Turn the feed on' }).click();
  const address = page.getByLabel('Your feed address (shown only now)');
  await expect(address).toBeVisible();
  const first = await address.inputValue();
  expect(first).toMatch(/^https?:\/\/[^/]+\/feeds\/[0-9a-f]{64}\.ics$/);

  // A calendar app reads it without any session.
  const app = await playwrightRequest.newContext();
  const feed = await app.get(first);
  expect(feed.status()).toBe(200);
  expect(feed.headers()['content-type']).toContain('text/calendar');
  const text = await feed.text();
  expect(text.startsWith('BEGIN:VCALENDAR\r\n')).toBeTruthy();
  expect(text).toContain('BEGIN:VTIMEZONE\r\nTZID:Europe/London');
  expect(text).toMatch(/DTSTART;TZID=Europe\/London:\d{8}T\d{6}/);

  // Shown once: gone on the next visit.
  await open(page, '/account');
  await expect(page.getByLabel('Your feed address (shown only now)')).toHaveCount(0);
  await expect(page.locator('.feed')).toContainText('Your feed is on');

  await page.getByRole('button', { name: 'Replace the feed address' }).click();
  const second = await page.getByLabel('Your feed address (shown only now)').inputValue();
  expect(second).not.toBe(first);
  expect((await app.get(first)).status()).toBe(404);
  expect((await app.get(second)).status()).toBe(200);

  await page.getByRole('button', { name: 'Turn the feed off' }).click();
  await expect(page.locator('.feed')).toContainText('Your feed is off');
  expect((await app.get(second)).status()).toBe(404);
  await app.dispose();
});

test('the upcoming list and the cancellations download as CSV a spreadsheet reads', async ({ page }, info) => {
  const name = `Gate "North", Zoë's ${info.project.name} ${Date.now()}`;
  await bookWeekly(page, { name, days: 6 });
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  const id = page.url().split('/').pop();
  await page.getByLabel('Reason for cancelling (required)').fill('Closed, for "good"\nsecond line — ünïcode');
  await page.getByRole('button', { name: 'Cancel booking' }).click();
  await expect(page.locator('.detail-head')).toContainText('Cancelled');

  await open(page, '/upcoming');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('section', { has: page.locator('#cancelled-h') }).getByRole('link', { name: 'Download as CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('cancellations.csv');
  const bytes = await readFile(await download.path());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const rows = readCsv(bytes.toString('utf8').slice(1));
  expect(rows[0].slice(0, 3)).toEqual(['Booking', 'Name', 'Customer']);
  const row = rows.find((r) => r[0] === id);
  expect(row, 'the cancelled booking').toBeTruthy();
  expect(row[1]).toBe(name);
  expect(row[10]).toBe('Closed, for "good"\nsecond line — ünïcode');
  expect(row[5]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  expect(row[7]).toBe('Europe/London');

  // The rows are the page's windows, in order. Page and download each list from their own "now":
  // when a minute that changes the list passed between the two, the page reads differently a
  // moment later, and both are read again.
  const windows = () => page.locator('.agenda-item .what > a').allTextContents();
  for (;;) {
    const shown = await windows();
    const [upcoming] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('.section-head', { has: page.locator('#upcoming-h') }).getByRole('link', { name: 'Download as CSV' }).click(),
    ]);
    expect(upcoming.suggestedFilename()).toBe('upcoming-30-days.csv');
    const listed = readCsv((await readFile(await upcoming.path())).toString('utf8').slice(1));
    expect(listed[0].slice(0, 4)).toEqual(['Date', 'Opens', 'Closes', 'Time zone']);
    await open(page, '/upcoming');
    if (JSON.stringify(await windows()) !== JSON.stringify(shown)) continue;
    expect(listed.slice(1).map((r) => r[6])).toEqual(shown);
    break;
  }
});

test('a booking prints as one A4 site sheet and the month prints on one page', async ({ page }, info) => {
  const name = `Print sheet ${info.project.name} ${Date.now()}`;
  await bookWeekly(page, { name, instructions: 'Side gate code 4471. Check the loading bay shutters and the roof access.', days: 60 });
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  await expect(page.getByRole('link', { name: 'Open in a map' })).toBeVisible();

  await page.emulateMedia({ media: 'print' });
  // What is for screens only is off the sheet; what site staff need is on it.
  await expect(page.locator('.site-header')).toBeHidden();
  await expect(page.locator('.cancel-box')).toBeHidden();
  await expect(page.locator('.event-log')).toBeHidden();
  await expect(page.getByText('Side gate code 4471')).toBeVisible();
  await expect(page.getByRole('link', { name: '+44 7700 900123' })).toBeVisible();
  await expect(page.locator('.map-link .print-only')).toContainText('https://www.google.com/maps/search/');
  await expect(page.locator('.occurrence-list li').first()).toBeVisible();
  // At A4's width (96 dpi) the sheet is no taller than A4, and the PDF has one page.
  await page.setViewportSize({ width: 794, height: 1123 });
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  expect(height).toBeLessThanOrEqual(1123);
  const shot = await page.screenshot({ fullPage: true });
  expect(shot.readUInt32BE(20), 'screenshot height').toBeLessThanOrEqual(1123);
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  expect(pdfPages(pdf)).toEqual([A4_PORTRAIT]);
  expect(pdfPixelScales(pdf), 'printed at full size').toEqual([0.75]);
});

test('every month prints on one landscape A4 page, every day full and every name long, in both themes', async ({ page, context, baseURL, request }) => {
  test.setTimeout(240_000);
  // A customer of its own, so these windows crowd no other test's calendar. Every day from tomorrow
  // to the end of the eleventh month ahead gets four windows (three drawn and "+1 more", or more
  // where other bookings fall), each with long names. Any eleven months in a row hold a month of
  // six week rows; February 2027 has four.
  await page.context().clearCookies();
  await signIn(page, USERS.admin);
  const now = new Date();
  const today = localParts(now, 'Europe/London');
  const tomorrow = dayAhead('Europe/London', 1, now).date;
  const months = Array.from({ length: 12 }, (_, i) => addMonths(today.month, i));
  const lastDate = addDays(`${addMonths(today.month, 12)}-01`, -1);
  await ensureLongCustomer(page);
  const booked = (await sandboxRequests(request)).requests
    .filter((r) => r.status !== 'cancelled')
    .map((r) => r.scheduledRequestConfig.name);
  const services = ['escort', 'guarding', 'vacantProperty', 'occupiedInspection'];
  for (const [i, service] of services.entries()) {
    const name = `${LONG_NAME} ${i + 1} through ${months[11]}`;
    if (booked.includes(name)) continue;
    await open(page, '/book');
    await page.getByLabel('Service type').selectOption(service);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Site').selectOption({ label: `${LONG_SITE} (Europe/London)` });
    await page.getByLabel('Repeats').selectOption('daily');
    await page.getByLabel('First date').fill(tomorrow);
    await page.getByLabel('Last date').fill(lastDate);
    await page.getByLabel('Start time').fill(`${String(6 + 4 * i).padStart(2, '0')}:00`);
    await page.getByLabel('Window length (minutes)').fill('60');
    await page.getByRole('button', { name: 'Book service' }).click();
    await expect(page).toHaveURL(/\/bookings\/\d+$/);
  }
  // The administrator sees every customer, so each window also names its customer.
  await page.getByLabel('Acting for').selectOption({ label: 'All customers' });
  await page.getByRole('button', { name: 'Switch' }).click();

  const rowsSeen = new Set();
  for (const theme of ['light', 'dark']) {
    await context.addCookies([{ name: 'aura_theme', value: theme, url: baseURL }]);
    for (const month of months) {
      await page.emulateMedia({ media: 'screen' });
      await open(page, `/?view=month&date=${month}-01`);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await page.emulateMedia({ media: 'print' });
      await expect(page.locator('.calendar-options')).toBeHidden();
      const rows = await page.locator('.month-grid tbody tr').count();
      rowsSeen.add(rows);
      // Every day from tomorrow on shows three windows, each cut to one line, and its "+N more",
      // all inside the day's box: nothing is hidden by the fixed heights.
      const days = await page.locator('.month-grid td:not(.outside)').evaluateAll((cells, from) =>
        cells.filter((td) => td.dataset.date >= from).map((td) => {
          const box = td.getBoundingClientRect();
          const inside = (el) => {
            const r = el.getBoundingClientRect();
            return r.height > 0 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
          };
          const chips = [...td.querySelectorAll('.occ')];
          const more = td.querySelector('.more');
          return {
            date: td.dataset.date,
            chips: chips.length,
            chipsInside: chips.every(inside),
            oneLine: chips.every((c) => getComputedStyle(c).whiteSpace === 'nowrap' && c.scrollWidth > c.clientWidth),
            ellipsis: chips.every((c) => getComputedStyle(c).textOverflow === 'ellipsis'),
            more: more ? more.textContent.trim() : null,
            moreInside: !!more && inside(more),
          };
        }), tomorrow);
      for (const day of days) {
        expect(day, `${theme} ${month}: ${day.date}`).toEqual({
          date: day.date,
          chips: 3,
          chipsInside: true,
          oneLine: true,
          ellipsis: true,
          more: expect.stringMatching(/^\+\d+ more/),
          moreInside: true,
        });
      }
      const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
      expect(pdfPages(pdf), `${theme} ${month} (${rows} week rows)`).toEqual([A4_LANDSCAPE]);
      // Not shrunk to fit: the fixed heights hold on paper, and the text is the size it was given.
      expect(pdfPixelScales(pdf), `${theme} ${month}: printed at full size`).toEqual([0.75]);
    }
  }
  expect(rowsSeen.has(5) && rowsSeen.has(6), `week rows seen: ${[...rowsSeen]}`).toBeTruthy();
});

test('book again fills in every field; an overlap is warned about and can still be booked', async ({ page, request }, info) => {
  const name = `Again ${info.project.name} ${Date.now()}`;
  const tomorrow = await bookWeekly(page, { name, instructions: 'Ring the night bell twice', days: 13 });
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  const firstId = page.url().split('/').pop();

  await page.getByRole('link', { name: 'Book again' }).click();
  await expect(page).toHaveURL(new RegExp(`/book\\?again=${firstId}$`));
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
  await expect(page.locator('.prefill-note')).toContainText(`booking #${firstId}`);
  await expect(page.getByLabel('Service type')).toHaveValue('patrol');
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(name);
  await expect(page.getByLabel('Special instructions (optional)')).toHaveValue('Ring the night bell twice');
  await expect(page.getByLabel('Number of guards')).toHaveValue('2');
  await expect(page.getByLabel('Armed preference')).toHaveValue('unarmed');
  await expect(page.getByLabel('Contact 1 name')).toHaveValue('Priya Shah');
  await expect(page.getByLabel('Contact 1 mobile')).toHaveValue('+44 7700 900123');
  await expect(page.getByLabel('Site')).toHaveValue(/^\d+$/);
  await expect(page.getByLabel('Site').locator('option:checked')).toHaveText(LONDON_SITE);
  await expect(page.getByLabel('Repeats')).toHaveValue('weekly');
  await expect(page.getByLabel('First date')).toHaveValue(tomorrow.date);
  await expect(page.getByLabel('Last date')).toHaveValue(addDays(tomorrow.date, 13));
  await expect(page.getByRole('checkbox', { name: tomorrow.weekday })).toBeChecked();
  await expect(page.getByLabel('Start time')).toHaveValue('21:30');
  await expect(page.getByLabel('Window length (minutes)')).toHaveValue('90');

  // The same windows at the same site: the preview warns, naming the earlier booking.
  const warning = page.locator('.overlaps');
  await expect(warning).toContainText('Overlaps with bookings already made');
  await expect(warning.getByRole('link', { name: new RegExp(`#${firstId} · ${name}`) })).toBeVisible();
  await expect(warning).toContainText('2 windows of this booking overlap');
  // A warning, not a block.
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  expect(page.url().split('/').pop()).not.toBe(firstId);
  const sandbox = await sandboxRequests(request);
  expect(sandbox.requests.filter((r) => r.scheduledRequestConfig.name === name)).toHaveLength(2);
});

test('a lock is booked with its unlock the next morning, and cancelling one offers the other', async ({ page, request }, info) => {
  const name = `Shop front ${info.project.name} ${Date.now()}`;
  await bookWeekly(page, { name, service: 'lockUnlock', time: '18:00', days: 13 });
  await page.getByLabel('Also unlock the next morning').check();
  await expect(page.getByLabel('Unlock time (the next morning)')).toHaveValue('07:00');
  await page.getByLabel('Unlock time (the next morning)').fill('07:30');
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`${name} (lock)`);
  await expect(page.locator('.pair-note')).toContainText('This is the lock of a lock/unlock pair');

  // Two AURA requests: the lock at 18:00, the unlock at 07:30 the next day.
  const sandbox = await sandboxRequests(request);
  const mine = sandbox.requests.filter((r) => r.scheduledRequestConfig.name.startsWith(name));
  expect(mine.map((r) => r.scheduledRequestConfig.name).sort()).toEqual([`${name} (lock)`, `${name} (unlock)`]);
  const unlock = mine.find((r) => r.scheduledRequestConfig.name.endsWith('(unlock)'));
  expect(unlock.scheduledRequestConfig.repeatsConfig.startTime).toBe('07:30');

  // Cancelling the lock offers the unlock too.
  const also = page.getByLabel(/Also cancel the unlock/);
  await expect(also).toBeVisible();
  await also.check();
  await page.getByLabel('Reason for cancelling (required)').fill('Shop closed');
  await page.getByRole('button', { name: 'Cancel booking' }).click();
  await expect(page.locator('.detail-head')).toContainText('Cancelled');
  await expect(async () => {
    const after = await sandboxRequests(request);
    const both = after.requests.filter((r) => r.scheduledRequestConfig.name.startsWith(name));
    expect(both.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
  }).toPass({ timeout: 15_000 });
  await page.locator('.pair-note a').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`${name} (unlock)`);
  await expect(page.locator('.detail-head')).toContainText('Cancelled');
});

test('a customer adds, renames and retires a site, cannot retire one in use, and cannot touch another customer\'s', async ({ page, baseURL }, info) => {
  const name = `Loading dock ${info.project.name} ${Date.now()}`;
  await open(page, '/sites');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sites');
  const add = page.locator('form', { has: page.getByRole('button', { name: 'Add site' }) });
  await add.getByLabel('Site name').fill(name);
  await add.getByLabel('Address').fill('7 Dock Road, London E16');
  // A problem is shown next to its field and nothing typed is lost.
  await add.getByLabel('Time zone').fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Add site' }).click();
  await expect(page.locator('#new-site-timezone-error')).toBeVisible();
  await expect(add.getByLabel('Site name')).toHaveValue(name);
  await add.getByLabel('Time zone').fill('Europe/London');
  await page.getByRole('button', { name: 'Add site' }).click();
  await expect(page.locator('.notice-ok, [role=status]').first()).toContainText(`${name} is saved`);
  const card = page.locator('.site-card', { has: page.getByRole('heading', { name }) });
  await expect(card).toContainText('7 Dock Road');

  // Offered when booking.
  await open(page, '/book');
  await expect(page.getByLabel('Site').locator('option', { hasText: name })).toHaveCount(1);

  await open(page, '/sites');
  const renamed = `${name} East`;
  await card.getByLabel(`New name for ${name}`).fill(renamed);
  await card.getByRole('button', { name: 'Rename' }).click();
  const renamedCard = page.locator('.site-card', { has: page.getByRole('heading', { name: renamed }) });
  await expect(renamedCard).toBeVisible();
  await renamedCard.getByRole('button', { name: `Retire ${renamed}` }).click();
  const retired = page.locator('section', { has: page.locator('#retired-sites-h') });
  await expect(retired.getByRole('heading', { name: new RegExp(renamed) })).toBeVisible();
  await open(page, '/book');
  await expect(page.getByLabel('Site').locator('option', { hasText: renamed })).toHaveCount(0);

  // A site with bookings still to happen stays.
  await open(page, '/sites');
  const london = page.locator('.site-card', { has: page.getByRole('heading', { name: 'Canary Wharf warehouse' }) });
  await london.getByRole('button', { name: 'Retire Canary Wharf warehouse' }).click();
  await expect(page.locator('.site-card', { has: page.getByRole('heading', { name: 'Canary Wharf warehouse' }) })).toContainText('cannot be retired');
  await expect(page.locator('section', { has: page.locator('#open-sites-h') })).toContainText('Canary Wharf warehouse');

  // Another customer's sites: not listed, and changing one by its number is "not found".
  const own = await page.locator('input[name="site"]').evaluateAll((els) => els.map((e) => Number(e.value)));
  const others = Array.from({ length: 40 }, (_, i) => i + 1).filter((id) => !own.includes(id));
  for (const id of others) {
    const r = await page.request.post('/api/rename_site', {
      form: { site: String(id), name: 'Taken over', back: '/sites' },
      headers: { Origin: new URL(baseURL).origin },
    });
    expect(r.status(), `site ${id}`).toBe(404);
  }
  await expect(page.locator('.site-card', { hasText: 'Taken over' })).toHaveCount(0);
});
