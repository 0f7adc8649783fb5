// Accessibility: axe-core (run in the page) finds no WCAG 2.1 A/AA violation on any page, in the
// light and the dark theme; and the month grid moves between days with the arrow keys.
import { test, expect } from './fixtures.mjs';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { open, signIn, USERS, localParts, addDays } from './helpers.mjs';

const require = createRequire(import.meta.url);
// Run through the DevTools protocol, not as an inline <script>: the pages' Content-Security-Policy
// (rightly) refuses inline scripts without their nonce.
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function violations(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
}

async function setTheme(context, baseURL, theme) {
  await context.addCookies([{ name: 'aura_theme', value: theme, url: baseURL }]);
}

for (const theme of ['light', 'dark']) {
  test(`no accessibility violation on any page, ${theme} theme`, async ({ page, context, baseURL }) => {
    await setTheme(context, baseURL, theme);
    await open(page, '/sign-in');
    expect(await violations(page), 'sign-in').toEqual([]);
    await open(page, '/forgot-password');
    expect(await violations(page), 'forgot-password').toEqual([]);
    await signIn(page, USERS.admin);
    const today = localParts(new Date(), 'Europe/London').date;
    const pages = [
      `/?view=month&date=${today}`,
      `/?view=week&date=${today}`,
      `/?view=agenda&date=${today}`,
      '/book',
      '/upcoming',
      '/attention',
      '/account',
      '/sites',
      '/integrations',
      '/closures',
      `/several?action=skip&skip-from=${today}`,
      '/admin/users',
      '/admin/customers',
      '/inbox',
      '/admin/mail',
      '/mail',
    ];
    for (const path of pages) {
      await open(page, path);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      expect(await violations(page), path).toEqual([]);
    }
    // A booking's page and a customer's administration page, reached from the lists.
    await open(page, `/?view=agenda&date=${today}`);
    const anyBooking = page.locator('a.occ').first();
    if ((await anyBooking.count()) === 0) {
      await open(page, `/?view=agenda&date=${addDays(today, 7)}`);
    }
    await page.locator('a.occ').first().click();
    await expect(page).toHaveURL(/\/bookings\/\d+$/);
    expect(await violations(page), 'booking page').toEqual([]);
    await open(page, '/admin/customers');
    await page.locator('main a[href^="/admin/customers/"]').first().click();
    await expect(page).toHaveURL(/\/admin\/customers\/\d+$/);
    expect(await violations(page), 'customer page').toEqual([]);
    // The API reference (its own plain page, no theme) and a webhook endpoint's delivery log.
    await open(page, '/api/v1/docs');
    expect(await violations(page), 'API reference').toEqual([]);
  });
}

test('the month grid moves between days with the arrow keys', async ({ page }, info) => {
  test.skip(info.project.name === 'phone', 'phones show the month as a list of days');
  await signIn(page, USERS.customer);
  await open(page, '/?view=month&date=2027-03-10');
  const day = (date) => page.locator(`td[data-date="${date}"] .day-number a`);
  await day('2027-03-10').focus();
  await page.keyboard.press('ArrowRight');
  await expect(day('2027-03-11')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(day('2027-03-18')).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(day('2027-03-17')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(day('2027-03-10')).toBeFocused();
  // Enter opens that day's agenda.
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/view=agenda&date=2027-03-10/);
});

test('phones open the calendar on the agenda; the choice of view stays in the URL', async ({ page }, info) => {
  await signIn(page, USERS.customer);
  await open(page, '/');
  if (info.project.name === 'phone') {
    await expect(page).toHaveURL(/view=agenda/);
    await expect(page.locator('.calendar[data-view="agenda"]')).toHaveCount(1);
  } else {
    await expect(page.locator('.calendar[data-view="month"]')).toHaveCount(1);
  }
  await page.getByRole('navigation', { name: 'Calendar view' }).getByRole('link', { name: 'Week' }).click();
  await expect(page).toHaveURL(/view=week/);
  await expect(page.locator('.calendar[data-view="week"]')).toHaveCount(1);
  // Each step waits for its page to arrive: going back while the next week is still loading would
  // go back from a page that is being replaced.
  const thisWeek = page.url();
  const nextWeek = page.getByRole('link', { name: 'Next week' });
  const nextUrl = new URL(await nextWeek.getAttribute('href'), thisWeek).href;
  await nextWeek.click();
  await page.waitForURL(nextUrl);
  await expect(page.locator('.calendar[data-view="week"]')).toHaveCount(1);
  await page.goBack();
  await page.waitForURL(thisWeek);
  await expect(page.locator('.calendar[data-view="week"]')).toHaveCount(1);
  await page.reload();
  await expect(page).toHaveURL(thisWeek);
  await expect(page.locator('.calendar[data-view="week"]')).toHaveCount(1);
});

test('the theme switch is kept across pages and visits', async ({ page }) => {
  await open(page, '/sign-in');
  await page.getByRole('button', { name: 'Dark theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await signIn(page, USERS.customer);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  // Read through a locator: signing in lands on a page that may still be arriving (no body yet).
  await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(17, 20, 24)');
  await page.getByRole('button', { name: 'Light theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});

test('pages without an island download no WASM', async ({ page }) => {
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await signIn(page, USERS.customer);
  for (const path of ['/', '/?view=week', '/?view=agenda', '/upcoming', '/account', '/sites']) {
    fetched.length = 0;
    await open(page, path);
    await page.waitForLoadState('networkidle');
    expect(fetched.filter((p) => p.endsWith('.wasm') || p.endsWith('.js')), path).toEqual([]);
  }
  fetched.length = 0;
  await open(page, '/book');
  await page.waitForLoadState('networkidle');
  expect(fetched.some((p) => p.endsWith('.wasm')), '/book').toBeTruthy();
});
