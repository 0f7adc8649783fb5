import { test, expect } from './fixtures.mjs';
import { USERS, actFor, dayAhead, open, pageErrors, signIn } from './helpers.mjs';

test('the Content-Security-Policy refuses a script the page did not send, and the watch on it sees that', async ({ page, cspViolations }) => {
  await signIn(page, USERS.customer);
  await open(page, '/upcoming');
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true;';
    document.body.append(s);
    await new Promise((r) => setTimeout(r, 50));
    return window.__injected === true;
  });
  expect(ran).toBe(false);
  await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
  expect(cspViolations[0]).toContain('script-src');
  // Provoked on purpose: not a failure of this test.
  cspViolations.length = 0;
});

/** The page fits the screen's width: nothing makes a phone scroll sideways. */
async function expectFitsScreen(page, path) {
  await open(page, path);
  // Against the configured width: a phone widens its layout viewport to fit content that overflows.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${path} scrolls sideways`).toBeLessThanOrEqual(page.viewportSize().width);
}

test.afterEach(async ({ page }) => {
  expect(pageErrors(page), 'uncaught errors in the page').toEqual([]);
});

test('signing in: a wrong password gets one plain message, the email stays; signed-out visitors are sent to sign in', async ({ page }) => {
  await open(page, '/upcoming');
  await expect(page).toHaveURL(/\/sign-in\?next=\/upcoming$/);
  await page.getByLabel('Email').fill(USERS.customer);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('That email and password do not match an active account.');
  await expect(page.getByLabel('Email')).toHaveValue(USERS.customer);
  await expect(page.getByLabel('Password')).toHaveValue('');

  await signIn(page, USERS.customer);
  await open(page, '/sign-in?next=/upcoming');
  await page.getByLabel('Email').fill(USERS.customer);
  await page.getByLabel('Password').fill(process.env.DEMO_PASSWORD ?? 'demo-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/upcoming$/, { message: 'back where they were going' });
});

test('each role sees its own navigation and customers', async ({ page }) => {
  await signIn(page, USERS.customer);
  await expect(page.locator('.who')).toContainText('Priya Shah');
  await expect(page.locator('.who')).toContainText('Customer');
  await expect(page.locator('.showing-for')).toHaveText('Showing Northwind Estates');
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await expect(page.getByLabel('Acting for')).toHaveCount(0);
  for (const path of ['/', '/book', '/upcoming', '/integrations']) await expectFitsScreen(page, path);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole('status')).toContainText('You are signed out.');
  await open(page, '/');
  await expect(page).toHaveURL(/\/sign-in/);

  await signIn(page, USERS.manager);
  await expect(page.locator('.showing-for')).toHaveText('Showing all 2 of your customers');
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await expect(page.getByLabel('Acting for')).toBeVisible();
  // The header with the switcher fits the screen.
  for (const path of ['/', '/upcoming', '/book', '/attention']) await expectFitsScreen(page, path);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, USERS.admin);
  await expect(page.getByRole('link', { name: 'Users' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Customers' })).toBeVisible();
  for (const path of ['/admin/users', '/admin/customers', '/admin/customers/1']) await expectFitsScreen(page, path);
});

test('a customer cannot reach another customer\'s booking by its address', async ({ page }) => {
  // Find a Harbourside Lofts booking as the account manager.
  await signIn(page, USERS.manager);
  await actFor(page, 'Harbourside Lofts');
  await open(page, '/upcoming');
  const link = page.locator('.agenda-item a').first();
  const href = await link.getAttribute('href');
  const name = await link.textContent();
  expect(href).toMatch(/^\/bookings\/\d+$/);
  await page.getByRole('button', { name: 'Sign out' }).click();

  await signIn(page, USERS.customer);
  await open(page, href);
  await expect(page.getByRole('alert')).toContainText('No booking with that number is yours to see.');
  await expect(page.getByText(name)).toHaveCount(0);
});

test('an account manager switches customer, books and cancels on its behalf, and the record names both', async ({ page }, info) => {
  const name = `On behalf ${info.project.name} ${Date.now()}`;
  const tomorrow = dayAhead('Europe/London', 1);
  await signIn(page, USERS.manager);
  await open(page, '/book');
  await expect(page.getByText('Which customer is this for?')).toBeVisible();
  await page.getByRole('button', { name: 'Book for Harbourside Lofts' }).click();
  await expect(page).toHaveURL(/\/book$/);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
  await expect(page.getByText('Booking for Harbourside Lofts')).toBeVisible();
  // Only the chosen customer's sites are offered.
  await expect(page.getByLabel('Site').locator('option', { hasText: 'Canary Wharf' })).toHaveCount(0);

  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Site').selectOption({ label: 'Salford Quays lofts (Europe/London)' });
  await page.getByLabel('Date', { exact: true }).fill(tomorrow.date);
  await page.getByLabel('Start time').fill('22:15');
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  await expect(page.locator('.detail-head')).toContainText('Harbourside Lofts');
  await expect(page.locator('.event-log li').first()).toContainText('Sam Patel for Harbourside Lofts');

  await page.getByLabel('Reason for cancelling (required)').fill('Booked for the wrong night');
  await page.getByRole('button', { name: 'Cancel booking' }).click();
  await expect(page.locator('.detail-head')).toContainText('Cancelled');
  await expect(page.locator('.event-log li').last()).toContainText('Sam Patel for Harbourside Lofts');
  await expect(page.locator('.cancelled-box')).toContainText('Sam Patel, for Harbourside Lofts');

  // All customers again: the ledger spans both and names the customer.
  await page.getByLabel('Acting for').selectOption({ label: 'All my customers' });
  await page.getByRole('button', { name: 'Switch' }).click();
  await open(page, '/upcoming');
  const entry = page.locator('.ledger-item', { hasText: name });
  await expect(entry).toContainText('Harbourside Lofts');
  await expect(entry).toContainText('Sam Patel, for Harbourside Lofts');
  await expect(page.locator('.agenda-item', { hasText: 'Northwind Estates' }).first()).toBeVisible();
});

test('an administrator adds a customer user, who can then sign in and choose their own password', async ({ page }, info) => {
  const email = `new.${info.project.name}.${Date.now()}@example.com`;
  await signIn(page, USERS.admin);
  await open(page, '/admin/users');
  const form = page.getByRole('region', { name: 'Add a user' });
  await form.getByLabel('Name', { exact: true }).fill('Jordan <Lee>');
  await form.getByLabel('Email', { exact: true }).fill(email);
  await form.getByLabel('Role', { exact: true }).selectOption('customer');
  await form.getByLabel('Customer', { exact: true }).selectOption({ label: 'Harbourside Lofts' });
  await form.getByLabel('First password').fill('too short');
  await form.getByRole('button', { name: 'Add user' }).click();
  // Refused at the field; what was typed is still there.
  await expect(page.locator('#new-user-password-error')).toContainText('at least 12 characters');
  await expect(form.getByLabel('Email', { exact: true })).toHaveValue(email);
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue('Jordan <Lee>');
  await expect(form.getByLabel('Customer', { exact: true })).toHaveValue(/\d+/);

  await form.getByLabel('First password').fill('a much longer first password');
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('status')).toContainText(`Jordan <Lee> (${email}) can now sign in as customer.`);
  await expect(page.locator('.admin-table')).toContainText(email);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, email, 'a much longer first password');
  await expect(page.locator('.who')).toContainText('Jordan <Lee>');
  await expect(page.locator('.showing-for')).toHaveText('Showing Harbourside Lofts');

  // They choose their own password; the first one stops working.
  await page.locator('.who').click();
  await expect(page).toHaveURL(/\/account$/);
  await page.getByLabel('Current password').fill('a much longer first password');
  await page.getByLabel('New password', { exact: true }).fill('my own secret phrase');
  await page.getByLabel('New password again').fill('my own secret phrase!');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.locator('#password-repeat-error')).toContainText('differ');
  await page.getByLabel('Current password').fill('a much longer first password');
  await page.getByLabel('New password', { exact: true }).fill('my own secret phrase');
  await page.getByLabel('New password again').fill('my own secret phrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password is changed.');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, email, 'my own secret phrase');
});
