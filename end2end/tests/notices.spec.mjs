// Telling people: what needs a person reaches them in the dashboard (inbox, Needs attention, the
// calendar) and by mail. scripts/test runs the dashboard in demo mode without SMTP_URL, so mail
// goes to the built-in catcher at /mail (administrators only), which these tests read, signed in
// as the administrator in a window of their own, as a person reads their mailbox.
import { test, expect } from './fixtures.mjs';
import { LONDON_SITE, USERS, dayAhead, open, pageErrors, signIn } from './helpers.mjs';

test.afterEach(async ({ page }) => {
  expect(pageErrors(page), 'uncaught errors in the page').toEqual([]);
});

/** An administrator adds a customer user of `customer`; signs the administrator out again. */
async function addCustomerUser(page, email, name, customer, password) {
  await signIn(page, USERS.admin);
  await open(page, '/admin/users');
  const form = page.getByRole('region', { name: 'Add a user' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Email', { exact: true }).fill(email);
  await form.getByLabel('Role', { exact: true }).selectOption('customer');
  await form.getByLabel('Customer', { exact: true }).selectOption({ label: customer });
  await form.getByLabel('First password').fill(password);
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('status')).toContainText('can now sign in');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
}

/** Books a patrol at the London site for tomorrow evening, as whoever `page` is signed in as,
 * while AURA refuses it: the form says so and keeps everything typed. Tomorrow's date. */
async function bookRefused(page, request, name) {
  const fault = await request.post('/sandbox/_control/faults', { data: { operation: 'create', status: 400, count: 1 } });
  expect(fault.ok()).toBeTruthy();
  const tomorrow = dayAhead('Europe/London', 1);
  await open(page, '/book');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Site').selectOption({ label: LONDON_SITE });
  await page.getByLabel('Date', { exact: true }).fill(tomorrow.date);
  await page.getByLabel('Start time').fill('21:00');
  await page.getByRole('button', { name: 'Book service' }).click();
  await expect(page.locator('.form-message')).toContainText('AURA refused this booking');
  return tomorrow;
}

/** The text of the newest caught mail to `to` whose text holds `holding`, once it has arrived. */
async function caughtMail(browser, to, holding) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, USERS.admin);
  let text = '';
  await expect(async () => {
    await open(page, '/mail');
    const mail = page.locator('.caught', { hasText: to }).filter({ hasText: holding }).first();
    text = (await mail.locator('pre.mail-text').last().textContent({ timeout: 1000 })) ?? '';
    expect(text).toContain(holding);
  }).toPass({ timeout: 45_000, intervals: [1000] });
  await context.close();
  return text;
}

test('a customer sees a refused booking in their inbox and under Needs attention, and on the calendar until acknowledged', async ({ page, request }, info) => {
  const name = `Refused ${info.project.name} ${Date.now()}`;
  await signIn(page, USERS.customer);
  const tomorrow = await bookRefused(page, request, name);

  // The navigation (on the next page) counts what is unread; the inbox says what happened and
  // what to do.
  await open(page, '/');
  const inboxLink = page.getByRole('link', { name: /^Inbox, \d+ unread$/ });
  await expect(inboxLink).toBeVisible();
  await inboxLink.click();
  await expect(page).toHaveURL(/\/inbox$/);
  const item = page.locator('.inbox-item', { hasText: name });
  await expect(item).toContainText('AURA refused a booking');
  await expect(item).toContainText('New');
  await expect(item).toContainText('book again');

  // Needs attention, for customers too, with what they can do.
  await page.getByRole('link', { name: /^Needs attention/ }).click();
  await expect(page).toHaveURL(/\/attention$/);
  const row = page.locator('.agenda-row', { hasText: name });
  await expect(row).toContainText('Refused by AURA; nothing is scheduled.');
  await expect(row.getByRole('link', { name: 'Book again' })).toBeVisible();

  // Still on the calendar, marked, until someone acknowledges it.
  await open(page, `/?view=agenda&date=${tomorrow.date}`);
  await expect(page.getByRole('link', { name: new RegExp(` ${name} `) }).first()).toBeVisible();
  await open(page, '/attention');
  await page.locator('.agenda-row', { hasText: name }).getByRole('button', { name: 'Acknowledge' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'is acknowledged' })).toBeVisible();
  await open(page, '/attention');
  await expect(page.locator('.agenda-row', { hasText: name })).toHaveCount(0);
  await open(page, `/?view=agenda&date=${tomorrow.date}`);
  await expect(page.getByRole('link', { name: new RegExp(` ${name} `) })).toHaveCount(0);

  // Read.
  await open(page, '/inbox');
  await page.locator('.inbox-item', { hasText: name }).getByRole('button', { name: 'Mark read' }).click();
  await expect(page.locator('.inbox-item', { hasText: name })).not.toContainText('New');
});

test('a forgotten password is reset through the link in the caught mail', async ({ page, browser }, info) => {
  const email = `reset.${info.project.name}.${Date.now()}@example.com`;
  await addCustomerUser(page, email, 'Robin Reset', 'Harbourside Lofts', 'the first password here');

  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Mail me a reset link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account has this address');

  const text = await caughtMail(browser, email, 'Reset your password');
  const link = new URL(text.match(/https?:\/\/\S+\/reset-password\?token=[0-9a-f]+/)[0]);
  await open(page, link.pathname + link.search);
  await page.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
  await page.getByLabel('New password again').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole('status')).toContainText('Your password is changed');

  // The old password no longer works; the new one does; the link works once.
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('the first password here');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('do not match');
  await signIn(page, email, 'a brand new passphrase');
  await expect(page.locator('.who')).toContainText('Robin Reset');
  await open(page, link.pathname + link.search);
  await expect(page.getByRole('alert')).toContainText('expired or was already used');
});

test('unsubscribe from the link in a mail, signed out', async ({ page, browser, request }, info) => {
  const email = `unsub.${info.project.name}.${Date.now()}@example.com`;
  await addCustomerUser(page, email, 'Uma Unsubscribe', 'Northwind Estates', 'uma first password');
  // A refusal for Northwind: its users are told, Uma among them.
  const name = `Refused for Uma ${info.project.name} ${Date.now()}`;
  await signIn(page, USERS.customer);
  await bookRefused(page, request, name);

  const text = await caughtMail(browser, email, name);
  const link = new URL(text.match(/https?:\/\/\S+\/unsubscribe\?u=\d+&n=refused&s=[0-9a-f]+/)[0]);
  const stranger = await browser.newContext();
  const mailbox = await stranger.newPage();
  await open(mailbox, link.pathname + link.search);
  await expect(mailbox.getByRole('heading', { name: 'Unsubscribe' })).toBeVisible();
  await expect(mailbox.locator('main')).toContainText(email);
  await mailbox.getByRole('button', { name: 'Unsubscribe' }).click();
  await expect(mailbox.getByRole('status')).toContainText('gets no more mail about');
  await stranger.close();

  // Uma's choices say so.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, email, 'uma first password');
  await open(page, '/account');
  await expect(page.getByRole('group', { name: 'AURA refused a booking' }).getByLabel('Not by mail')).toBeChecked();
});
