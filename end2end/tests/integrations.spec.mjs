// Plugging in: a customer makes an API key on the integrations page (shown once), books through
// the API with it, finds the booking on its page, and revokes the key, which stops at once; webhook
// endpoints are added (a private address refused at its field), their secret shown once, rotated
// and deleted. The API reference is served by the dashboard itself.
import { test, expect } from './fixtures.mjs';
import { USERS, dayAhead, open, pageErrors, signIn } from './helpers.mjs';

test.afterEach(async ({ page }) => {
  expect(pageErrors(page), 'uncaught errors in the page').toEqual([]);
});

test('a key made on the page books through the API, and stops the moment it is revoked', async ({ page, request }) => {
  const name = `Facility system ${Date.now()}`;
  await signIn(page, USERS.customer);
  await open(page, '/integrations');
  const form = page.getByRole('region', { name: 'Make an API key' });
  await form.getByLabel('What uses it').fill(name);
  await form.getByRole('checkbox', { name: /webhooks/ }).uncheck();
  await form.getByRole('button', { name: 'Make key' }).click();
  await expect(page.getByRole('status')).toContainText('is made');
  const key = await page.getByLabel('The new API key').inputValue();
  expect(key).toMatch(/^aura_[0-9a-f]{64}$/);
  const row = page.locator('tr', { hasText: name });
  await expect(row).toContainText('read, book, cancel');
  await expect(row).toContainText('Active');
  // Shown once: not after a reload, and nowhere in the page.
  await open(page, '/integrations');
  await expect(page.getByLabel('The new API key')).toHaveCount(0);
  expect(await page.content()).not.toContain(key);

  const auth = { Authorization: `Bearer ${key}` };
  const sites = await (await request.get('/api/v1/sites', { headers: auth })).json();
  const site = sites.sites.find((s) => s.location.timeZone === 'Europe/London');
  const day = dayAhead('Europe/London', 2);
  const weekday = { Mon: 'monday', Tue: 'tuesday', Wed: 'wednesday', Thu: 'thursday', Fri: 'friday', Sat: 'saturday', Sun: 'sunday' }[day.weekday];
  const made = await request.post('/api/v1/bookings', {
    headers: { ...auth, 'Idempotency-Key': `e2e-${name}` },
    data: {
      serviceType: 'patrol',
      name: `API patrol ${name}`,
      details: { numberOfGuards: 1, armedPreference: 'unarmed', contacts: [{ name: 'Sam', mobile: '+44 7700 900123' }] },
      siteId: site.id,
      dateFrom: day.date,
      dateTo: day.date,
      repeats: { kind: 'weekly', days: [weekday], startTime: '22:00', windowMinutes: 90 },
    },
  });
  expect(made.status(), await made.text()).toBe(201);
  const booking = await made.json();
  expect(booking.status).toBe('confirmed');
  expect(made.headers().location).toBe(`/api/v1/bookings/${booking.id}`);
  // The page shows it, and who booked it.
  await open(page, `/bookings/${booking.id}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`API patrol ${name}`);
  await expect(page.getByText(`API key \u201c${name}\u201d`).first()).toBeVisible();
  // The last use is shown ("never" until then).
  await open(page, '/integrations');
  await expect(row.locator('.last-used')).not.toHaveText('never');

  await page.getByRole('button', { name: `Revoke the key ${name}` }).click();
  await expect(page.getByRole('status')).toContainText('is revoked');
  await expect(row).toContainText('Revoked');
  const refused = await request.get('/api/v1/bookings', { headers: auth });
  expect(refused.status()).toBe(401);
  expect(refused.headers()['content-type']).toBe('application/problem+json');
  expect((await refused.json()).detail).toContain('revoked');
});

test('a webhook endpoint: a private address is refused at its field; the secret is shown once, replaced and the endpoint deleted', async ({ page }) => {
  const url = `https://hooks.example.com/e2e-${Date.now()}`;
  await signIn(page, USERS.customer);
  await open(page, '/integrations');
  const form = page.getByRole('region', { name: 'Add a webhook endpoint' });
  await form.getByLabel('Address (https://…)').fill('http://127.0.0.1:9/hook');
  await form.getByRole('button', { name: 'Add endpoint' }).click();
  const field = page.getByRole('region', { name: 'Add a webhook endpoint' }).getByLabel('Address (https://…)');
  await expect(field).toHaveValue('http://127.0.0.1:9/hook');
  await expect(field).toHaveAccessibleDescription(/loopback, private or link-local/);

  await field.fill(url);
  await page.getByRole('region', { name: 'Add a webhook endpoint' }).getByRole('checkbox', { name: /booking\.cancelled/ }).check();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await expect(page.getByRole('status')).toContainText(`Events now go to ${url}`);
  const secret = await page.getByLabel("The endpoint's signing secret").inputValue();
  expect(secret).toMatch(/^whsec_/);
  const card = page.locator('.hook-card', { hasText: url });
  await expect(card).toContainText('Takes booking.cancelled');

  await card.getByRole('link', { name: 'Deliveries' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Webhook deliveries');
  await expect(page.getByText(url)).toBeVisible();
  await page.getByRole('link', { name: 'Back to integrations' }).click();

  await page.getByRole('button', { name: `Replace the signing secret of ${url}` }).click();
  await expect(page.getByRole('status')).toContainText('has a new signing secret');
  const rotated = await page.getByLabel("The endpoint's signing secret").inputValue();
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(secret);

  await page.getByRole('button', { name: `Delete the endpoint ${url}` }).click();
  await expect(page.getByRole('status')).toContainText(`Events no longer go to ${url}`);
  await expect(page.locator('.hook-card', { hasText: url })).toHaveCount(0);
});

test('the API reference is served by the dashboard, with no script', async ({ page, request }) => {
  await open(page, '/api/v1/docs');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('AURA dashboard API');
  await expect(page.locator('#createBooking')).toContainText('/api/v1/bookings');
  await expect(page.locator('script')).toHaveCount(0);
  const doc = await (await request.get('/api/v1/openapi.json')).json();
  expect(doc.openapi).toMatch(/^3\.1/);
});
